//! Cards per column over time: the data of a cumulative flow diagram.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::board::{Board, IdMap};

/// The live cards in each column after the event at `position`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowSample {
    /// Position of the event in the log, from 1.
    pub position: u64,
    /// When the event was made, in milliseconds since the Unix epoch.
    pub at: i64,
    /// Index of the column layout in [`FlowStats::layout`]: which columns, in which order.
    pub layout: u32,
    /// Cards per column, in the order of the layout.
    pub counts: Vec<u32>,
}

/// One sample per event that changed how many cards a column holds; between samples the counts
/// stay as they were, so [`FlowStats::at`] answers for every position.
///
/// A long history has a sample for most events, so the snapshot form is a flat list of numbers
/// with positions and times stored as differences: about a tenth of the size of plain JSON objects.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "FlowWire", into = "FlowWire")]
pub struct FlowStats {
    /// Every column ever seen, with its latest name, for the legend.
    columns: Vec<(Uuid, String)>,
    /// Where each column is in `columns`: a column is found without a scan, so the cost of an
    /// event does not grow with the number of columns ever seen.
    slots: IdMap<u32>,
    /// Column orders seen over time, as indexes into `columns`.
    layouts: Vec<Vec<u32>>,
    samples: Vec<FlowSample>,
}

impl FlowStats {
    /// The samples, oldest first.
    pub fn samples(&self) -> &[FlowSample] {
        &self.samples
    }

    /// Every column ever seen, with its latest name.
    pub fn columns(&self) -> &[(Uuid, String)] {
        &self.columns
    }

    /// The columns of a sample, in order, with their latest names.
    pub fn layout(&self, sample: &FlowSample) -> impl Iterator<Item = &(Uuid, String)> {
        let layout = self.layouts.get(sample.layout as usize).map_or(&[][..], Vec::as_slice);
        layout.iter().filter_map(|i| self.columns.get(*i as usize))
    }

    /// The counts after the event at `position` (from 1), or `None` before any card existed.
    pub fn at(&self, position: u64) -> Option<&FlowSample> {
        let after = self.samples.partition_point(|s| s.position <= position);
        after.checked_sub(1).map(|i| &self.samples[i])
    }

    pub(crate) fn record(&mut self, position: u64, at: i64, board: &Board) {
        let columns = board.columns();
        if let Some(last) = self.samples.last()
            && let Some(layout) = self.layouts.get(last.layout as usize)
        {
            let same_layout = layout.len() == columns.len()
                && layout
                    .iter()
                    .zip(columns)
                    .all(|(i, c)| self.columns.get(*i as usize).is_some_and(|(id, _)| *id == c.id));
            if same_layout && last.counts.iter().zip(columns).all(|(n, c)| *n as usize == c.len()) {
                return;
            }
        }
        let layout = self.layout_of(board);
        let counts = columns.iter().map(|c| c.len() as u32).collect();
        self.samples.push(FlowSample { position, at, layout, counts });
    }

    fn layout_of(&mut self, board: &Board) -> u32 {
        let mut slots = Vec::with_capacity(board.columns().len());
        for column in board.columns() {
            let slot = match self.slots.get(&column.id) {
                Some(&i) => {
                    if let Some((_, name)) = self.columns.get_mut(i as usize)
                        && *name != column.name
                    {
                        name.clone_from(&column.name);
                    }
                    i
                }
                None => {
                    let i = self.columns.len() as u32;
                    self.columns.push((column.id, column.name.clone()));
                    self.slots.insert(column.id, i);
                    i
                }
            };
            slots.push(slot);
        }
        // Only the latest layout is compared: a board that goes back to an older one stores it
        // again, which costs a few bytes, where searching every layout ever seen would cost time
        // that grows with the board's past.
        match self.layouts.last() {
            Some(last) if *last == slots => (self.layouts.len() - 1) as u32,
            _ => {
                self.layouts.push(slots);
                (self.layouts.len() - 1) as u32
            }
        }
    }
}

/// The snapshot form: `samples` holds, per sample, the position and time as differences from
/// the previous sample, the layout, the number of counts, then the counts.
#[derive(Serialize, Deserialize)]
struct FlowWire {
    columns: Vec<(Uuid, String)>,
    layouts: Vec<Vec<u32>>,
    samples: Vec<i64>,
}

impl From<FlowStats> for FlowWire {
    fn from(flow: FlowStats) -> Self {
        let mut samples = Vec::with_capacity(flow.samples.len() * 8);
        let (mut position, mut at) = (0i64, 0i64);
        for s in &flow.samples {
            // Times are whatever devices recorded: the difference wraps, and reads back exactly.
            let since = s.at.wrapping_sub(at);
            samples.extend([s.position as i64 - position, since, i64::from(s.layout), s.counts.len() as i64]);
            samples.extend(s.counts.iter().map(|c| i64::from(*c)));
            (position, at) = (s.position as i64, s.at);
        }
        FlowWire { columns: flow.columns, layouts: flow.layouts, samples }
    }
}

impl From<FlowWire> for FlowStats {
    /// Reads the snapshot form. Numbers out of range are clamped rather than trusted, and layouts
    /// or samples that point at nothing are left out: a damaged snapshot yields odd statistics,
    /// never a panic.
    fn from(wire: FlowWire) -> Self {
        let known = wire.columns.len();
        let layouts: Vec<Vec<u32>> = wire
            .layouts
            .into_iter()
            .map(|layout| layout.into_iter().filter(|i| (*i as usize) < known).collect())
            .collect();
        let mut samples = Vec::new();
        let (mut position, mut at) = (0i64, 0i64);
        let mut numbers = wire.samples.into_iter();
        while let (Some(dp), Some(dt), Some(layout), Some(n)) =
            (numbers.next(), numbers.next(), numbers.next(), numbers.next())
        {
            position = position.saturating_add(dp);
            at = at.wrapping_add(dt);
            let counts: Vec<u32> = numbers
                .by_ref()
                .take(n.clamp(0, 1 << 16) as usize)
                .map(|c| c.clamp(0, u32::MAX as i64) as u32)
                .collect();
            let layout = layout.clamp(0, u32::MAX as i64) as u32;
            let fits = layouts.get(layout as usize).is_some_and(|l| l.len() == counts.len());
            if fits {
                samples.push(FlowSample { position: position.max(0) as u64, at, layout, counts });
            }
        }
        let slots = wire.columns.iter().enumerate().map(|(i, (id, _))| (*id, i as u32)).collect();
        FlowStats { columns: wire.columns, slots, layouts, samples }
    }
}
