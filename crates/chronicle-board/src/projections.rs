//! The read models of one board folded together, and their snapshots.

use chronicle_core::{Diagnostics, Effect, Event, Projection};
use serde::{Deserialize, Serialize};
use thiserror::Error;
use uuid::Uuid;

use crate::activity::{Activity, ActivityEntry, describe};
use crate::board::Board;
use crate::event::BoardEvent;
use crate::flow::FlowStats;

/// Every read model of a board, folded from one log in one pass.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BoardProjections {
    /// Columns and cards in order: the `BoardView`.
    pub board: Board,
    /// The activity feed.
    pub activity: Activity,
    /// Cards per column over time.
    pub flow: FlowStats,
    /// Unreadable events and events that had no effect.
    pub diagnostics: Diagnostics,
    /// Number of events folded.
    pub position: u64,
    /// Id of the last event folded.
    pub last_event: Option<Uuid>,
}

impl BoardProjections {
    /// Folds a whole log from the start.
    pub fn replay<'a>(events: impl IntoIterator<Item = &'a Event<BoardEvent>, IntoIter: Clone>) -> Self {
        let mut projections = BoardProjections::default();
        projections.extend(events);
        projections
    }

    /// Folds more events. Only the last [`Activity::KEPT`] are described in words: the feed
    /// keeps no more, and describing is most of the cost of a fold.
    pub fn extend<'a>(&mut self, events: impl IntoIterator<Item = &'a Event<BoardEvent>, IntoIter: Clone>) {
        self.extend_with(events, true, |_| {});
    }

    /// [`BoardProjections::extend`] without adding to the flow of cards over time (for keyframes
    /// of the history, which read the flow from the present), telling `note` the effect of each
    /// event in order.
    pub(crate) fn extend_without_flow<'a>(
        &mut self,
        events: impl IntoIterator<Item = &'a Event<BoardEvent>, IntoIter: Clone>,
        note: impl FnMut(Effect),
    ) {
        self.extend_with(events, false, note);
    }

    fn extend_with<'a>(
        &mut self,
        events: impl IntoIterator<Item = &'a Event<BoardEvent>, IntoIter: Clone>,
        with_flow: bool,
        mut note: impl FnMut(Effect),
    ) {
        let events = events.into_iter();
        let quiet = events.clone().count().saturating_sub(Activity::KEPT);
        for (i, event) in events.enumerate() {
            note(self.fold_with(event, i >= quiet, with_flow));
        }
    }

    /// Folds one event and returns the effect it had.
    pub fn apply_event(&mut self, event: &Event<BoardEvent>) -> Effect {
        self.fold_with(event, true, true)
    }

    /// Folds one event, describing it, without adding to the flow of cards over time: for
    /// keyframes of the history, which read the flow from the present.
    pub(crate) fn apply_without_flow(&mut self, event: &Event<BoardEvent>) -> Effect {
        self.fold_with(event, true, false)
    }

    fn fold_with(&mut self, event: &Event<BoardEvent>, describe_it: bool, with_flow: bool) -> Effect {
        self.position += 1;
        self.last_event = Some(event.meta.id);
        let text = describe_it.then(|| describe(&self.board, event));
        let card = if with_flow { moved_card(event) } else { None };
        let before = card.and_then(|card| self.board.live_column_of(card));
        let effect = self.board.apply_event(event);
        if effect == Effect::Applied
            && let Some(card) = card
        {
            // Only the columns the card left and entered can have changed their counts.
            let after = self.board.live_column_of(card);
            for column in [before, after.filter(|a| Some(*a) != before)].into_iter().flatten() {
                let count = self.board.column(column).map_or(0, |c| c.len() as u32);
                self.flow.record(self.position, column, count);
            }
        }
        self.diagnostics.record(event, effect);
        match text {
            Some(text) => self.activity.push(ActivityEntry {
                position: self.position,
                event: event.meta.id,
                device: event.meta.device,
                at: event.meta.at,
                text,
                effect,
            }),
            None => self.activity.skip(),
        }
        effect
    }

    /// Serialises these projections as a snapshot of the first `position` events of a log.
    pub fn to_snapshot(&self) -> String {
        let snapshot = SnapshotRef { format: SNAPSHOT_FORMAT, projections: self };
        // Projections are plain data with string keys; serialising them cannot fail.
        serde_json::to_string(&snapshot).unwrap_or_default()
    }

    /// Reads a snapshot written by [`BoardProjections::to_snapshot`]. A snapshot of another
    /// format, or one that does not parse, is refused so that the caller rebuilds it.
    pub fn from_snapshot(text: &str) -> Result<Self, SnapshotError> {
        // One pass reads a current snapshot whole; only one that does not read goes through a
        // second, for its format alone, to tell an older snapshot from a damaged one.
        match serde_json::from_str::<SnapshotOwned>(text) {
            Ok(snapshot) if snapshot.format == SNAPSHOT_FORMAT => Ok(snapshot.projections),
            Ok(snapshot) => Err(SnapshotError::Stale { found: snapshot.format }),
            Err(e) => {
                #[derive(Deserialize)]
                struct Header {
                    format: u32,
                }
                match serde_json::from_str::<Header>(text) {
                    Ok(header) if header.format != SNAPSHOT_FORMAT => {
                        Err(SnapshotError::Stale { found: header.format })
                    }
                    _ => Err(SnapshotError::Corrupt(e.to_string())),
                }
            }
        }
    }
}

/// Version of the snapshot layout; bump it whenever a projection's shape or meaning changes.
/// Format 2: the flow keeps each column's changes rather than every column's counts per event.
/// Format 3: cards are rows naming their column and device by place, and the flow's changes are
/// bytes (a 1M-event board's snapshot went from 26.5 MB to 8.9 MB).
pub const SNAPSHOT_FORMAT: u32 = 3;

#[derive(Serialize)]
struct SnapshotRef<'a> {
    format: u32,
    projections: &'a BoardProjections,
}

#[derive(Deserialize)]
struct SnapshotOwned {
    format: u32,
    projections: BoardProjections,
}

/// Why a snapshot cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SnapshotError {
    /// Written by a version of the app with another layout.
    #[error("snapshot format {found} is not the current format {SNAPSHOT_FORMAT}")]
    Stale {
        /// The format found.
        found: u32,
    },
    /// Not a snapshot at all.
    #[error("snapshot is corrupt: {0}")]
    Corrupt(String),
}

/// The card an event may add to a column, move, archive or restore.
fn moved_card(event: &Event<BoardEvent>) -> Option<Uuid> {
    match event.known()?.change() {
        BoardEvent::CardAdded { card, .. }
        | BoardEvent::CardMoved { card, .. }
        | BoardEvent::CardArchived { card }
        | BoardEvent::CardRestored { card, .. } => Some(*card),
        _ => None,
    }
}

impl Projection<BoardEvent> for BoardProjections {
    fn apply(&mut self, event: &Event<BoardEvent>) {
        self.apply_event(event);
    }
}
