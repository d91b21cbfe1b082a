//! Cards per column over time: the data of a cumulative flow diagram.
//!
//! Only changes are kept: each event that changed how many live cards a column holds adds one
//! change per column it changed (two for a move between columns), so an event costs the same
//! however many columns, cards or devices came before it. The counts of every column at a point
//! are read back from the nearest checkpoint plus the changes after it.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
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
    /// The column, as its index in [`FlowStats::columns`].
    slot: u32,
    /// Live cards in it after the event.
    count: u32,
}

/// How many live cards each column held after every event of the log.
///
/// The snapshot form (`FlowWire`) keeps two small numbers a change, as bytes.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(try_from = "FlowWire", into = "FlowWire")]
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
        // Where each slot's count goes, by slot: the changes since the checkpoint are read one by
        // one, for each of the diagram's points, so they are not looked up through a hash.
        let mut index: Vec<Option<usize>> = vec![None; self.columns.len()];
        for (i, slot) in wanted.iter().enumerate() {
            if let Some(at) = slot.and_then(|s| index.get_mut(s as usize)) {
                *at = Some(i);
            }
        }
        for change in &self.changes[from.min(applied)..applied] {
            if let Some(&Some(i)) = index.get(change.slot as usize) {
                counts[i] = change.count;
            }
        }
        counts
    }

    /// A column now holds `count` live cards, after the event at `position`.
    pub(crate) fn record(&mut self, position: u64, column: Uuid, count: u32) {
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
        self.changes.push(Change { position, slot, count });
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

/// The snapshot form: `changes` is base64url, without padding, of two LEB128 numbers per change:
/// the position as a difference from the previous change's, then the column's slot and the
/// difference from that column's previous count together, as `zigzag(difference) × columns +
/// slot`. A card added, archived or moved changes a count by one, so each change takes two bytes
/// on a board of up to 32 columns, and a long board's flow is read without parsing millions of
/// JSON numbers.
#[derive(Serialize, Deserialize)]
struct FlowWire {
    columns: Vec<Uuid>,
    changes: String,
}

impl From<FlowStats> for FlowWire {
    fn from(flow: FlowStats) -> Self {
        let columns = flow.columns.len().max(1) as u64;
        let mut bytes = Vec::with_capacity(flow.changes.len() * 2);
        let mut position = 0u64;
        let mut counts = vec![0u32; flow.columns.len()];
        for c in &flow.changes {
            let before = std::mem::replace(&mut counts[c.slot as usize], c.count);
            let difference = i64::from(c.count) - i64::from(before);
            let zigzag = ((difference << 1) ^ (difference >> 63)) as u64;
            write_leb128(&mut bytes, c.position.saturating_sub(position));
            // At most 2^33 × the columns ever used: far inside 64 bits.
            write_leb128(&mut bytes, zigzag * columns + u64::from(c.slot));
            position = c.position;
        }
        FlowWire { columns: flow.columns, changes: URL_SAFE_NO_PAD.encode(bytes) }
    }
}

/// Why the snapshot form of a flow cannot be read.
#[derive(Debug, thiserror::Error)]
enum FlowWireError {
    /// Not base64url.
    #[error("the flow's changes are not base64url: {0}")]
    Encoding(String),
    /// A number cut short or longer than 64 bits.
    #[error("the flow's changes end in the middle of a number")]
    Truncated,
}

impl TryFrom<FlowWire> for FlowStats {
    type Error = FlowWireError;

    /// Reads the snapshot form. Bytes that do not make whole numbers make it unreadable; counts
    /// out of range are clamped and a change of a column it does not list is left out, so a
    /// damaged snapshot yields odd statistics or none, never a panic.
    fn try_from(wire: FlowWire) -> Result<Self, FlowWireError> {
        let mut flow = FlowStats::default();
        for id in wire.columns {
            if !flow.slots.contains_key(&id) {
                flow.slots.insert(id, flow.columns.len() as u32);
                flow.columns.push(id);
            }
        }
        flow.counts = vec![0; flow.columns.len()];
        let columns = flow.columns.len().max(1) as u64;
        let bytes = URL_SAFE_NO_PAD.decode(wire.changes).map_err(|e| FlowWireError::Encoding(e.to_string()))?;
        // Each change is two numbers, and each number ends in the one byte of it without its high
        // bit: counted first, a long history's changes are read into one allocation of their
        // size rather than grown into (a million-event board's are 24 MB).
        flow.changes.reserve(bytes.iter().filter(|byte| *byte & 0x80 == 0).count() / 2);
        let mut rest = bytes.as_slice();
        let mut position = 0u64;
        while !rest.is_empty() {
            position = position.saturating_add(read_leb128(&mut rest)?);
            let packed = read_leb128(&mut rest)?;
            let (slot, zigzag) = ((packed % columns) as u32, packed / columns);
            let difference = (zigzag >> 1) as i64 ^ -((zigzag & 1) as i64);
            let Some(count) = flow.counts.get_mut(slot as usize) else { continue };
            *count = i64::from(*count).saturating_add(difference).clamp(0, i64::from(u32::MAX)) as u32;
            flow.changes.push(Change { position, slot, count: *count });
            flow.checkpoint_if_due();
        }
        Ok(flow)
    }
}

/// Appends `n` as LEB128: seven bits a byte, low bits first, the high bit set on every byte but
/// the last.
fn write_leb128(bytes: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        bytes.push((n as u8) | 0x80);
        n >>= 7;
    }
    bytes.push(n as u8);
}

/// Reads one LEB128 number from the front of `bytes`.
fn read_leb128(bytes: &mut &[u8]) -> Result<u64, FlowWireError> {
    let mut n = 0u64;
    for (i, byte) in bytes.iter().enumerate().take(10) {
        let bits = u64::from(byte & 0x7F);
        if i == 9 && bits > 1 {
            return Err(FlowWireError::Truncated);
        }
        n |= bits << (7 * i);
        if byte & 0x80 == 0 {
            *bytes = &bytes[i + 1..];
            return Ok(n);
        }
    }
    Err(FlowWireError::Truncated)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        /// Any changes, however far apart and by however much a count moves (a column removed
        /// with a thousand cards, counts near the top of the range), read back exactly.
        #[test]
        fn any_changes_read_back_exactly(
            changes in proptest::collection::vec((0u64..=u64::MAX / 4096, 0u128..40, any::<u32>()), 0..200),
        ) {
            let mut flow = FlowStats::default();
            let mut position = 0u64;
            for (since, column, count) in changes {
                position = position.saturating_add(since);
                flow.record(position, Uuid::from_u128(column), count);
            }
            let text = serde_json::to_string(&flow).unwrap();
            let read: FlowStats = serde_json::from_str(&text).unwrap();
            prop_assert_eq!(read.changes().collect::<Vec<_>>(), flow.changes().collect::<Vec<_>>());
        }
    }

    #[test]
    fn a_move_takes_two_bytes_a_change() {
        let (todo, doing) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let mut flow = FlowStats::default();
        flow.record(1, todo, 1);
        flow.record(2, todo, 0);
        flow.record(2, doing, 1);
        let wire = FlowWire::from(flow);
        // Position 1, todo +1 (zigzag 2 × 2 columns + 0); 1, todo -1 (1 × 2 + 0); 0, doing +1.
        assert_eq!(URL_SAFE_NO_PAD.decode(&wire.changes).unwrap(), [1, 4, 1, 2, 0, 5]);
    }

    #[test]
    fn numbers_cut_short_or_too_long_are_refused() {
        for bytes in
            [&[0x80][..], &[1, 0xFF], &[0xFF; 10], &[0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02]]
        {
            let wire = FlowWire { columns: vec![Uuid::from_u128(1)], changes: URL_SAFE_NO_PAD.encode(bytes) };
            assert!(matches!(FlowStats::try_from(wire), Err(FlowWireError::Truncated)), "{bytes:?}");
        }
        let wire = FlowWire { columns: vec![], changes: "not base64!".into() };
        assert!(matches!(FlowStats::try_from(wire), Err(FlowWireError::Encoding(_))));
    }
}
