//! Cards per column over time: the data of a cumulative flow diagram.
//!
//! Only changes are kept: each event that changed how many live cards a column holds adds one
//! change per column it changed (two for a move between columns), so an event costs the same
//! however many columns, cards or devices came before it. The counts of every column at a point
//! are read back from the nearest checkpoint plus the changes after it.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::board::IdMap;

/// Changes between checkpoints, at least; a board with more columns than this spaces them as far
/// apart as it has columns, so that checkpoints never cost more than the changes they cover.
const CHECKPOINT_EVERY: usize = 1024;

/// One column's new count of live cards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Change {
    /// Position of the event in the log, from 1.
    position: u64,
    /// When the event was made, in milliseconds since the Unix epoch.
    at: i64,
    /// The column, as its index in [`FlowStats::columns`].
    slot: u32,
    /// Live cards in it after the event.
    count: u32,
}

/// How many live cards each column held after every event of the log.
///
/// The snapshot form is a flat list of numbers with positions and times stored as differences.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(from = "FlowWire", into = "FlowWire")]
pub struct FlowStats {
    /// Every column that ever held a card; a column's slot is its index here.
    columns: Vec<Uuid>,
    slots: IdMap<u32>,
    /// Changes in log order.
    changes: Vec<Change>,
    /// Counts per slot after the last change.
    counts: Vec<u32>,
    /// Counts per slot after the first `n` changes, every so many changes: `(n, counts)`.
    checkpoints: Vec<(usize, Vec<u32>)>,
}

impl FlowStats {
    /// Whether no column ever held a card.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// Every change, oldest first: the position of the event, the column and its new count.
    pub fn changes(&self) -> impl Iterator<Item = (u64, Uuid, u32)> + '_ {
        self.changes.iter().map(|c| (c.position, self.columns[c.slot as usize], c.count))
    }

    /// How many live cards each of `columns` held after the event at `position` (from 1); 0 for
    /// a column that held none then or that this history never saw.
    pub fn counts_at(&self, position: u64, columns: &[Uuid]) -> Vec<u32> {
        let applied = self.changes.partition_point(|c| c.position <= position);
        let (from, base) = match self.checkpoints.partition_point(|(n, _)| *n <= applied).checked_sub(1) {
            Some(i) => (self.checkpoints[i].0, Some(&self.checkpoints[i].1)),
            None => (0, None),
        };
        let wanted: Vec<Option<u32>> = columns.iter().map(|id| self.slots.get(id).copied()).collect();
        let mut counts: Vec<u32> = wanted
            .iter()
            .map(|slot| slot.and_then(|s| base.and_then(|b| b.get(s as usize))).copied().unwrap_or(0))
            .collect();
        let index: std::collections::HashMap<u32, usize> =
            wanted.iter().enumerate().filter_map(|(i, slot)| Some(((*slot)?, i))).collect();
        for change in &self.changes[from.min(applied)..applied] {
            if let Some(&i) = index.get(&change.slot) {
                counts[i] = change.count;
            }
        }
        counts
    }

    /// A column now holds `count` live cards, after the event at `position`.
    pub(crate) fn record(&mut self, position: u64, at: i64, column: Uuid, count: u32) {
        let slot = match self.slots.get(&column) {
            Some(&slot) => slot,
            None => {
                let slot = self.columns.len() as u32;
                self.columns.push(column);
                self.slots.insert(column, slot);
                self.counts.push(0);
                slot
            }
        };
        let now = &mut self.counts[slot as usize];
        if *now == count {
            return;
        }
        *now = count;
        // Positions only grow; a damaged snapshot's position cannot unsort the changes.
        let position = position.max(self.changes.last().map_or(0, |c| c.position));
        self.changes.push(Change { position, at, slot, count });
        self.checkpoint_if_due();
    }

    fn checkpoint_if_due(&mut self) {
        let last = self.checkpoints.last().map_or(0, |(n, _)| *n);
        if self.changes.len() - last >= CHECKPOINT_EVERY.max(self.columns.len()) {
            self.checkpoints.push((self.changes.len(), self.counts.clone()));
        }
    }
}

/// Two flows are equal when they hold the same changes; checkpoints only make reading faster and
/// may be spaced differently in a flow read back from a snapshot.
impl PartialEq for FlowStats {
    fn eq(&self, other: &Self) -> bool {
        self.columns == other.columns && self.changes == other.changes
    }
}

impl Eq for FlowStats {}

/// The snapshot form: `changes` holds, per change, the position and time as differences from the
/// previous change, the column's slot and its count.
#[derive(Serialize, Deserialize)]
struct FlowWire {
    columns: Vec<Uuid>,
    changes: Vec<i64>,
}

impl From<FlowStats> for FlowWire {
    fn from(flow: FlowStats) -> Self {
        let mut changes = Vec::with_capacity(flow.changes.len() * 4);
        let (mut position, mut at) = (0u64, 0i64);
        for c in &flow.changes {
            // Times are whatever devices recorded: the difference wraps, and reads back exactly.
            let since = c.at.wrapping_sub(at);
            changes.extend([c.position.saturating_sub(position) as i64, since, i64::from(c.slot), i64::from(c.count)]);
            (position, at) = (c.position, c.at);
        }
        FlowWire { columns: flow.columns, changes }
    }
}

impl From<FlowWire> for FlowStats {
    /// Reads the snapshot form. Numbers out of range are clamped rather than trusted, and changes
    /// of a column it does not list are left out: a damaged snapshot yields odd statistics, never
    /// a panic.
    fn from(wire: FlowWire) -> Self {
        let mut flow = FlowStats::default();
        for id in wire.columns {
            if !flow.slots.contains_key(&id) {
                flow.slots.insert(id, flow.columns.len() as u32);
                flow.columns.push(id);
            }
        }
        flow.counts = vec![0; flow.columns.len()];
        let (mut position, mut at) = (0u64, 0i64);
        for numbers in wire.changes.chunks_exact(4) {
            let &[dp, dt, slot, count] = numbers else { continue };
            position = position.saturating_add(dp.max(0) as u64);
            at = at.wrapping_add(dt);
            let Some(slot) = u32::try_from(slot).ok().filter(|s| (*s as usize) < flow.columns.len()) else { continue };
            let count = count.clamp(0, i64::from(u32::MAX)) as u32;
            flow.counts[slot as usize] = count;
            flow.changes.push(Change { position, at, slot, count });
            flow.checkpoint_if_due();
        }
        flow
    }
}
