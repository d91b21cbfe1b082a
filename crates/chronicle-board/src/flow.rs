//! Cards per column over time: the data of a cumulative flow diagram.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::board::Board;

/// The live cards in each column after the event at `position`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlowSample {
    /// Position of the event in the log, from 1.
    pub position: u64,
    /// When the event was made, in milliseconds since the Unix epoch.
    pub at: i64,
    /// Cards per column, left to right as the board stood then.
    pub counts: Vec<(Uuid, u32)>,
}

/// One sample per event that changed how many cards a column holds; between samples the counts
/// stay as they were, so [`FlowStats::at`] answers for every position.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlowStats {
    samples: Vec<FlowSample>,
    /// Every column ever seen, with its latest name, for the legend.
    columns: Vec<(Uuid, String)>,
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

    /// The counts after the event at `position` (from 1), or `None` before any card existed.
    pub fn at(&self, position: u64) -> Option<&FlowSample> {
        let after = self.samples.partition_point(|s| s.position <= position);
        after.checked_sub(1).map(|i| &self.samples[i])
    }

    pub(crate) fn record(&mut self, position: u64, at: i64, board: &Board) {
        let same = self.samples.last().is_some_and(|last| {
            last.counts.len() == board.columns().len()
                && last
                    .counts
                    .iter()
                    .zip(board.columns())
                    .all(|((id, n), c)| *id == c.id && *n as usize == c.cards.len())
        });
        if same {
            return;
        }
        for column in board.columns() {
            match self.columns.iter_mut().find(|(id, _)| *id == column.id) {
                Some((_, name)) if *name != column.name => name.clone_from(&column.name),
                Some(_) => {}
                None => self.columns.push((column.id, column.name.clone())),
            }
        }
        let counts = board.columns().iter().map(|c| (c.id, c.cards.len() as u32)).collect();
        self.samples.push(FlowSample { position, at, counts });
    }
}
