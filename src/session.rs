//! An open board: its projections as shown, as saved, and the batches of events between them.
//!
//! A command is decided against the board as shown, applied at once (the UI is optimistic) and
//! queued for writing. Batches are written one at a time, in order. When a write fails, the board
//! goes back to what is saved, the queued batches are dropped, and the caller tells the person.

use std::collections::VecDeque;

use chronicle_board::{BoardDecider, BoardEvent, BoardProjections, Command, Rejection};
use chronicle_core::{Decider, Event, RawEnvelope, Uuid};

use crate::storage::StoredSnapshot;

/// One board being edited on this device.
#[derive(Debug, Clone)]
pub struct Session {
    stream: Uuid,
    device: Uuid,
    saved: BoardProjections,
    queued: VecDeque<Vec<RawEnvelope>>,
    writing: Option<Vec<RawEnvelope>>,
    snapshot_at: u64,
    /// Where the next batch goes in the stored log. Usually `saved.position`, but a log can hold
    /// records this version could not read; they keep their places.
    end: u64,
}

/// Events are snapshotted every this many events, so a start replays at most this many.
pub const SNAPSHOT_EVERY: u64 = 500;

/// A snapshot of projections covering the first `projections.position` events of the log.
pub fn snapshot_of(projections: &BoardProjections) -> Option<StoredSnapshot> {
    let last_event = projections.last_event?;
    Some(StoredSnapshot { position: projections.position, last_event, text: projections.to_snapshot() })
}

impl Session {
    /// A session over a board as loaded from storage, whose stored log ends at `end`.
    pub fn new(stream: Uuid, device: Uuid, saved: BoardProjections, snapshot_at: u64, end: u64) -> Self {
        Session { stream, device, saved, queued: VecDeque::new(), writing: None, snapshot_at, end }
    }

    /// The board's stream id.
    pub fn stream(&self) -> Uuid {
        self.stream
    }

    /// Decides a command against `shown` and applies its events to it. The events are queued for
    /// writing. `name` is this device's name, recorded on the board when it changed.
    pub fn execute(
        &mut self,
        shown: &mut BoardProjections,
        command: Command,
        name: &str,
        at: i64,
        mut new_id: impl FnMut() -> Uuid,
    ) -> Result<usize, Rejection> {
        let decided = BoardDecider::decide(&shown.board, command)?;
        if decided.is_empty() {
            return Ok(0);
        }
        let mut batch = Vec::with_capacity(decided.len() + 1);
        let mut record = |shown: &mut BoardProjections, payload: BoardEvent| {
            let event = Event::new(new_id(), self.stream, self.device, at, payload);
            shown.apply_event(&event);
            batch.push(event.encode());
        };
        // The board learns this device's name before its first edit, and again after a rename,
        // so that every device shows who did what.
        let naming = |shown: &BoardProjections| {
            let command = Command::NameDevice { device: self.device, name: name.to_owned() };
            BoardDecider::decide(&shown.board, command).unwrap_or_default()
        };
        for payload in naming(shown) {
            record(shown, payload);
        }
        for payload in decided {
            record(shown, payload);
        }
        for payload in naming(shown) {
            record(shown, payload);
        }
        let count = batch.len();
        self.queued.push_back(batch);
        Ok(count)
    }

    /// The next batch to write and the position it goes to, unless a write is under way.
    pub fn next_write(&mut self) -> Option<(u64, Vec<RawEnvelope>)> {
        if self.writing.is_some() {
            return None;
        }
        let batch = self.queued.pop_front()?;
        self.writing = Some(batch.clone());
        Some((self.end, batch))
    }

    /// The write under way succeeded. Returns a snapshot to store when one is due.
    pub fn written(&mut self) -> Option<StoredSnapshot> {
        let batch = self.writing.take()?;
        self.end += batch.len() as u64;
        let events: Vec<Event<BoardEvent>> = batch.into_iter().map(Event::decode).collect();
        self.saved.extend(events.iter());
        let due = self.saved.position >= self.snapshot_at + SNAPSHOT_EVERY && self.queued.is_empty();
        if due && self.saved.position == self.end {
            self.snapshot_at = self.saved.position;
            return snapshot_of(&self.saved);
        }
        None
    }

    /// The write under way failed: drops it and everything queued after it, and returns the
    /// board as saved, which the caller shows again.
    pub fn failed(&mut self) -> BoardProjections {
        self.writing = None;
        self.queued.clear();
        self.saved.clone()
    }

    /// Another writer (another tab) appended to the log first. Takes `saved`, the board as it is now
    /// stored, and replays the write under way and everything queued on top of it, to be written
    /// after what is stored. Returns the board to show. The events keep their ids and their
    /// meaning; one that no longer applies is kept and marked as having had no effect.
    pub fn rebase_onto(&mut self, saved: BoardProjections, end: u64) -> BoardProjections {
        if let Some(batch) = self.writing.take() {
            self.queued.push_front(batch);
        }
        self.saved = saved;
        self.end = end;
        let mut shown = self.saved.clone();
        for batch in &self.queued {
            let events: Vec<Event<BoardEvent>> = batch.iter().cloned().map(Event::decode).collect();
            shown.extend(events.iter());
        }
        shown
    }

    /// Where the next batch goes in the stored log.
    pub fn end(&self) -> u64 {
        self.end
    }

    /// Number of events waiting to be written.
    pub fn unsaved(&self) -> usize {
        self.queued.iter().chain(self.writing.iter()).map(Vec::len).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEVICE: Uuid = Uuid::from_u128(7);

    fn ids() -> impl FnMut() -> Uuid {
        let mut n = 100;
        move || {
            n += 1;
            Uuid::from_u128(n)
        }
    }

    fn created() -> (Session, BoardProjections, [Uuid; 3]) {
        let columns = [Uuid::from_u128(1), Uuid::from_u128(2), Uuid::from_u128(3)];
        let mut session = Session::new(Uuid::from_u128(9), DEVICE, BoardProjections::default(), 0, 0);
        let mut shown = BoardProjections::default();
        session.execute(&mut shown, Command::CreateBoard { name: "B".into(), columns }, "Laptop", 0, ids()).unwrap();
        let (first, batch) = session.next_write().unwrap();
        assert_eq!(first, 0);
        assert_eq!(batch.len(), 2, "the board, then who made it");
        session.written();
        (session, shown, columns)
    }

    fn add(session: &mut Session, shown: &mut BoardProjections, column: Uuid, title: &str, n: u128) {
        let card = Uuid::from_u128(1000 + n);
        let command = Command::AddCard { card, column, title: title.into(), description: String::new() };
        session.execute(shown, command, "Laptop", 1, move || Uuid::from_u128(5000 + n)).unwrap();
    }

    #[test]
    fn writes_go_one_at_a_time_in_order() {
        let (mut session, mut shown, columns) = created();
        add(&mut session, &mut shown, columns[0], "A", 1);
        add(&mut session, &mut shown, columns[0], "B", 2);
        assert_eq!(session.unsaved(), 2);
        let (first, _) = session.next_write().unwrap();
        assert_eq!(first, 2);
        assert!(session.next_write().is_none(), "one write at a time");
        session.written();
        assert_eq!(session.next_write().unwrap().0, 3);
    }

    #[test]
    fn a_failed_write_undoes_it_and_what_was_queued_after_it() {
        let (mut session, mut shown, columns) = created();
        let before = shown.clone();
        add(&mut session, &mut shown, columns[0], "A", 1);
        add(&mut session, &mut shown, columns[0], "B", 2);
        session.next_write().unwrap();
        assert_eq!(session.failed(), before);
        assert_eq!(session.unsaved(), 0);
        assert!(session.next_write().is_none());
    }

    #[test]
    fn rejected_commands_change_nothing() {
        let (mut session, mut shown, columns) = created();
        let before = shown.clone();
        let command = Command::AddCard {
            card: Uuid::from_u128(1),
            column: columns[0],
            title: "  ".into(),
            description: String::new(),
        };
        assert_eq!(session.execute(&mut shown, command, "Laptop", 1, ids()), Err(Rejection::EmptyTitle));
        assert_eq!(shown, before);
        assert_eq!(session.unsaved(), 0);
    }

    #[test]
    fn after_another_writer_pending_work_replays_on_top() {
        let (mut session, mut shown, columns) = created();
        // Another tab of this browser added a card; this tab's card was being written meanwhile.
        let mut other = session.clone();
        let mut other_shown = shown.clone();
        add(&mut other, &mut other_shown, columns[1], "Theirs", 1);
        let (_, theirs) = other.next_write().unwrap();
        add(&mut session, &mut shown, columns[0], "Mine", 2);
        session.next_write().unwrap();

        let mut stored = session.saved.clone();
        let theirs: Vec<Event<BoardEvent>> = theirs.into_iter().map(Event::decode).collect();
        stored.extend(theirs.iter());
        let shown = session.rebase_onto(stored.clone(), stored.position);
        assert_eq!(shown.board.live_cards(), 2);
        let (first, batch) = session.next_write().unwrap();
        assert_eq!(first, stored.position, "written after what is stored");
        assert_eq!(batch.len(), 1);
    }

    #[test]
    fn a_renamed_device_is_recorded_before_its_next_edit() {
        let (mut session, mut shown, columns) = created();
        let command = Command::AddCard {
            card: Uuid::from_u128(1),
            column: columns[0],
            title: "A".into(),
            description: String::new(),
        };
        session.execute(&mut shown, command, "Phone", 1, ids()).unwrap();
        let (_, batch) = session.next_write().unwrap();
        assert_eq!(batch.iter().map(|e| e.kind.as_str()).collect::<Vec<_>>(), ["device_named", "card_added"]);
        assert_eq!(shown.board.device_name(DEVICE), Some("Phone"));
    }
}
