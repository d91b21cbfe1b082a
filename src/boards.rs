//! Reading a board from storage into its projections: the newest usable snapshot plus the events
//! after it, or a full replay when the snapshot is stale, corrupt or of another history.

use chronicle_board::{BoardEvent, BoardProjections};
use chronicle_core::sealed::KeyId;
use chronicle_core::{Event, Uuid};

use crate::session::snapshot_if_due;
use crate::storage::{LogState, Storage, StorageError, StoredSnapshot};

/// A board as read from storage.
#[derive(Debug, Clone)]
pub struct OpenedBoard {
    /// Its projections after every stored event.
    pub projections: BoardProjections,
    /// Position of the snapshot it started from (0 when it replayed everything).
    pub snapshot_at: u64,
    /// Where the stored log stands.
    pub state: LogState,
    /// Ids of the pending events, in order.
    pub pending: Vec<Uuid>,
    /// What could not be read, in words.
    pub problems: Vec<String>,
    /// A fresh snapshot to store, when the one found was missing, unusable or far behind.
    pub fresh_snapshot: Option<StoredSnapshot>,
    /// The id of a private board's key, once the service has read it; `None` in the clear.
    pub private: Option<KeyId>,
}

/// Reads a board.
pub async fn open(storage: &Storage, stream: Uuid) -> Result<OpenedBoard, StorageError> {
    let mut loaded = storage.load(stream).await?;
    let mut problems = std::mem::take(&mut loaded.problems);
    let resumed = loaded.snapshot.as_ref().and_then(|s| match BoardProjections::from_snapshot(&s.text) {
        Ok(p) if p.position == s.position => Some(p),
        Ok(_) => None,
        Err(e) => {
            // A snapshot from an older version of the app is expected; only a corrupt one is news.
            if matches!(e, chronicle_board::SnapshotError::Corrupt(_)) {
                problems.push("A saved snapshot was damaged; the board was rebuilt from its events.".to_owned());
            }
            None
        }
    });
    if loaded.snapshot.is_some() && resumed.is_none() {
        // The snapshot cannot be used: read the whole log instead.
        loaded = storage.load_all(stream).await?;
    }
    let snapshot_at = resumed.as_ref().map_or(0, |p| p.position);
    let mut projections = resumed.unwrap_or_default();
    let tail: Vec<Event<BoardEvent>> = loaded.tail.into_iter().map(Event::decode).collect();
    projections.extend(tail.iter());
    let fresh_snapshot = snapshot_if_due(&projections, snapshot_at, loaded.state, &loaded.pending);
    Ok(OpenedBoard {
        private: None,
        state: loaded.state,
        pending: loaded.pending,
        snapshot_at: if fresh_snapshot.is_some() { projections.position } else { snapshot_at },
        projections,
        problems,
        fresh_snapshot,
    })
}
