//! An open board: its projections as shown, as saved, and the batches of events between them.
//!
//! A command is decided against the board as shown, applied at once (the UI is optimistic) and
//! queued for writing. Batches are written one at a time, in order. When a write fails, the board
//! goes back to what is saved, the queued batches are dropped, and the caller tells the person.
//! When the stored log changes under the session (another tab wrote, or sync confirmed events),
//! [`Session::refresh`] takes the new events, or asks the caller to read the board again when
//! the server put other devices' events before ours.

use std::collections::VecDeque;

use chronicle_board::{BoardDecider, BoardEvent, BoardProjections, Command, Rejection, UndoList, undo_step};
use chronicle_core::{Decider, Event, RawEnvelope, Uuid};

use crate::storage::{Followed, LogState, SnapshotLog, StoredSnapshot};

/// One board being edited on this device.
#[derive(Debug, Clone)]
pub struct Session {
    stream: Uuid,
    device: Uuid,
    /// The board after every stored event: the confirmed ones, then `pending`.
    saved: BoardProjections,
    state: LogState,
    /// Ids of the stored pending events, in order.
    pending: Vec<Uuid>,
    queued: VecDeque<Vec<RawEnvelope>>,
    writing: Option<Vec<RawEnvelope>>,
    snapshot_at: u64,
    /// What this tab can undo and redo on the board; empty whenever the board is opened.
    undo: UndoList,
}

/// Events are snapshotted every this many events, so a start replays at most this many.
pub const SNAPSHOT_EVERY: u64 = 500;

/// A snapshot of projections covering the first `projections.position` events of the log, and
/// `log`, the whole log they cover, when they do.
pub fn snapshot_of(projections: &BoardProjections, log: Option<SnapshotLog>) -> Option<StoredSnapshot> {
    let last_event = projections.last_event?;
    Some(StoredSnapshot { position: projections.position, last_event, text: projections.to_snapshot(), log })
}

/// A snapshot of `projections` when one is due: [`SNAPSHOT_EVERY`] events or more after the
/// last one (at `snapshot_at`), and the fold covers the whole stored log, at `state` with its
/// `pending` events. With unreadable records in the log the folded count differs from the stored
/// one; such a board is never snapshotted, so that a snapshot's position is always a place in the
/// log, and a snapshot that says it covers the whole log does.
pub fn snapshot_if_due(
    projections: &BoardProjections,
    snapshot_at: u64,
    state: LogState,
    pending: &[Uuid],
) -> Option<StoredSnapshot> {
    let position = projections.position;
    let end = state.confirmed + pending.len() as u64;
    let due = position >= snapshot_at.saturating_add(SNAPSHOT_EVERY) && position == end;
    due.then(|| snapshot_of(projections, Some(SnapshotLog { state, pending: pending.to_vec() }))).flatten()
}

/// What a [`Session::refresh`] found.
#[derive(Debug, Clone, PartialEq)]
pub enum Refreshed {
    /// The stored log only grew after what the session had.
    Extended {
        /// The board to show, when it changed: `None` when the stored log only confirmed
        /// events the session had (the board on screen is already this one).
        shown: Option<Box<BoardProjections>>,
        /// The stored events that are new, in log order: they come after what was saved and
        /// before the work not yet written.
        added: Vec<Event<BoardEvent>>,
        /// A snapshot to store, when one is due.
        snapshot: Option<StoredSnapshot>,
    },
    /// Nothing new.
    Unchanged,
    /// Events were placed before ones the session had shown: read the board again and
    /// [`Session::rebase_onto`] it.
    Reread,
}

impl Session {
    /// A session over a board as loaded from storage: `saved` folds every stored event, `state`
    /// and `pending` say how the log stands.
    pub fn new(
        stream: Uuid,
        device: Uuid,
        saved: BoardProjections,
        snapshot_at: u64,
        state: LogState,
        pending: Vec<Uuid>,
    ) -> Self {
        let queued = VecDeque::new();
        Session { stream, device, saved, state, pending, queued, writing: None, snapshot_at, undo: UndoList::default() }
    }

    /// The board's stream id.
    pub fn stream(&self) -> Uuid {
        self.stream
    }

    /// Decides a command against `shown` and applies its events to it. The events are queued for
    /// writing, and what they change goes on the undo list (an undo's on the redo list). `name` is
    /// this device's name, recorded on the board when it changed.
    pub fn execute(
        &mut self,
        shown: &mut BoardProjections,
        command: Command,
        name: &str,
        at: i64,
        mut new_id: impl FnMut() -> Uuid,
    ) -> Result<usize, Rejection> {
        let undoing = match &command {
            Command::Undo { redo, .. } => Some(*redo),
            _ => None,
        };
        let decided = match BoardDecider::decide(&shown.board, command) {
            Ok(decided) => decided,
            Err(why) => {
                // Nothing that still makes sense: the next undo (or redo) goes further back.
                match undoing {
                    Some(false) => self.undo.undo_refused(),
                    Some(true) => self.undo.redo_refused(),
                    None => {}
                }
                return Err(why);
            }
        };
        if decided.is_empty() {
            return Ok(0);
        }
        let mut batch = Vec::with_capacity(decided.len() + 1);
        let mut steps = Vec::new();
        let mut record = |shown: &mut BoardProjections, payload: BoardEvent, undoable: bool| {
            let event = Event::new(new_id(), self.stream, self.device, at, payload);
            if undoable {
                steps.extend(undo_step(&shown.board, &event));
            }
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
            record(shown, payload, false);
        }
        for payload in decided {
            record(shown, payload, true);
        }
        for payload in naming(shown) {
            record(shown, payload, false);
        }
        let count = batch.len();
        self.queued.push_back(batch);
        match undoing {
            None => self.undo.made(steps),
            Some(false) => self.undo.undone(steps),
            Some(true) => self.undo.redone(steps),
        }
        Ok(count)
    }

    /// The command that undoes this tab's last change on the board, if there is one.
    pub fn undo_command(&self) -> Option<Command> {
        self.undo.undo_command()
    }

    /// The command that makes this tab's last undone change again, if there is one.
    pub fn redo_command(&self) -> Option<Command> {
        self.undo.redo_command()
    }

    /// Whether there is a change to undo, and one to redo.
    pub fn can_undo_redo(&self) -> (bool, bool) {
        (self.undo.can_undo(), self.undo.can_redo())
    }

    /// Queues events made elsewhere (the history of an imported file) to be written as they are.
    pub fn queue(&mut self, events: Vec<RawEnvelope>) {
        if !events.is_empty() {
            self.queued.push_back(events);
        }
    }

    /// The next batch to write and the log revision it was decided at, unless a write is under way.
    pub fn next_write(&mut self) -> Option<(u64, Vec<RawEnvelope>)> {
        if self.writing.is_some() {
            return None;
        }
        let batch = self.queued.pop_front()?;
        self.writing = Some(batch.clone());
        Some((self.state.revision, batch))
    }

    /// The write under way was refused and is to be made again as it is: [`Session::next_write`]
    /// gives it once more.
    pub fn write_again(&mut self) {
        if let Some(batch) = self.writing.take() {
            self.queued.push_front(batch);
        }
    }

    /// The write under way succeeded and the log is now at `state`. Returns a snapshot to store
    /// when one is due.
    pub fn written(&mut self, state: LogState) -> Option<StoredSnapshot> {
        let batch = self.writing.take()?;
        // The sync may have confirmed pending events while the batch was being written. The
        // write found the revision it expected, so they were this session's oldest pending
        // events, in order (confirmed in place): they leave the pending list, which otherwise
        // would no longer match what is stored and make the next catch-up read the board again.
        let confirmed_meanwhile = state.confirmed.saturating_sub(self.state.confirmed) as usize;
        self.pending.drain(..confirmed_meanwhile.min(self.pending.len()));
        self.state = state;
        self.pending.extend(batch.iter().map(|e| e.id));
        let events: Vec<Event<BoardEvent>> = batch.into_iter().map(Event::decode).collect();
        self.saved.extend(events.iter());
        self.snapshot_due()
    }

    fn snapshot_due(&mut self) -> Option<StoredSnapshot> {
        if !self.queued.is_empty() {
            // More is about to be written: snapshot after that.
            return None;
        }
        let snapshot = snapshot_if_due(&self.saved, self.snapshot_at, self.state, &self.pending)?;
        self.snapshot_at = snapshot.position;
        Some(snapshot)
    }

    /// The write under way failed: drops it and everything queued after it, and returns the
    /// board as saved, which the caller shows again.
    pub fn failed(&mut self) -> BoardProjections {
        self.writing = None;
        self.queued.clear();
        self.saved.clone()
    }

    /// The stored log changed; `tail` is what follows the confirmed events this session knew, read
    /// for a session holding the events up to [`Session::held`]. When it only adds to what the
    /// session had, the new events are folded in and the board to show comes back. Work not yet
    /// written replays on top.
    pub fn refresh(&mut self, tail: &Followed) -> Refreshed {
        if tail.state == self.state {
            return Refreshed::Unchanged;
        }
        let confirmed = tail.confirmed.iter().map(|e| e.id);
        let extends = match &tail.pending {
            // Unread: the pending events are this session's own past the confirmed ones, so only
            // the confirmed ones need to be its first.
            None => confirmed.zip(&self.pending).all(|(id, mine)| id == *mine),
            Some(pending) => {
                tail.confirmed.len() + pending.len() >= self.pending.len()
                    && confirmed.chain(pending.iter().copied()).zip(&self.pending).all(|(id, mine)| id == *mine)
            }
        };
        if !extends || tail.state.confirmed < self.state.confirmed || tail.held != self.held() {
            return Refreshed::Reread;
        }
        // What follows the events held here: confirmed ones past them, then pending ones.
        let added: Vec<Event<BoardEvent>> =
            tail.confirmed.iter().skip(self.pending.len()).chain(&tail.after).cloned().map(Event::decode).collect();
        self.saved.extend(added.iter());
        match &tail.pending {
            Some(pending) => self.pending.clone_from(pending),
            None => {
                self.pending.drain(..tail.confirmed.len().min(self.pending.len()));
            }
        }
        self.state = tail.state;
        let snapshot = self.snapshot_due();
        // Copying the board to show costs as much as the board is large; after the server only
        // confirmed this session's own events there is nothing new to show.
        let shown = (!added.is_empty()).then(|| Box::new(self.shown()));
        Refreshed::Extended { shown, added, snapshot }
    }

    /// How many of the stored log's first events this session holds: the confirmed ones it knows
    /// and its pending ones.
    pub fn held(&self) -> u64 {
        self.state.confirmed + self.pending.len() as u64
    }

    /// The log as stored is `saved` (read again after another writer, or after sync placed other
    /// devices' events first). The write under way and everything queued replay on top of it, to be
    /// written after what is stored. Returns the board to show. The events keep their ids and
    /// their meaning; one that no longer applies is kept and marked as having had no effect.
    pub fn rebase_onto(&mut self, saved: BoardProjections, state: LogState, pending: Vec<Uuid>) -> BoardProjections {
        self.write_again();
        self.saved = saved;
        self.state = state;
        self.pending = pending;
        self.shown()
    }

    fn shown(&self) -> BoardProjections {
        let mut shown = self.saved.clone();
        shown.extend(self.unwritten().iter());
        shown
    }

    /// The events decided here and not yet written, in order: the batch being written, then
    /// those queued.
    pub fn unwritten(&self) -> Vec<Event<BoardEvent>> {
        self.writing.iter().chain(self.queued.iter()).flatten().cloned().map(Event::decode).collect()
    }

    /// The events of the command executed last, when they are not written yet.
    pub fn last_queued(&self) -> Option<&[RawEnvelope]> {
        self.queued.back().map(Vec::as_slice)
    }

    /// The board after every stored event, without the work still to be written.
    pub fn saved(&self) -> &BoardProjections {
        &self.saved
    }

    /// Where the stored log stands, as this session knows it.
    pub fn state(&self) -> LogState {
        self.state
    }

    /// Number of events waiting to be written.
    pub fn unsaved(&self) -> usize {
        self.queued.iter().chain(self.writing.iter()).map(Vec::len).sum()
    }

    /// Number of stored events the server has not confirmed yet.
    pub fn pending(&self) -> usize {
        self.pending.len()
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

    fn state(revision: u64, confirmed: u64) -> LogState {
        LogState { revision, confirmed }
    }

    fn created() -> (Session, BoardProjections, [Uuid; 3], Vec<RawEnvelope>) {
        let columns = [Uuid::from_u128(1), Uuid::from_u128(2), Uuid::from_u128(3)];
        let mut session =
            Session::new(Uuid::from_u128(9), DEVICE, BoardProjections::default(), 0, LogState::default(), Vec::new());
        let mut shown = BoardProjections::default();
        session.execute(&mut shown, Command::CreateBoard { name: "B".into(), columns }, "Laptop", 0, ids()).unwrap();
        let (revision, batch) = session.next_write().unwrap();
        assert_eq!(revision, 0);
        assert_eq!(batch.len(), 2, "the board, then who made it");
        session.written(state(2, 0));
        (session, shown, columns, batch)
    }

    fn add(session: &mut Session, shown: &mut BoardProjections, column: Uuid, title: &str, n: u128) {
        let card = Uuid::from_u128(1000 + n);
        let command = Command::AddCard { card, column, title: title.into(), description: String::new() };
        session.execute(shown, command, "Laptop", 1, move || Uuid::from_u128(5000 + n)).unwrap();
    }

    /// The events of a card "Mine" added in `column` and written, which leaves the log at `after`.
    fn write_mine(
        session: &mut Session,
        shown: &mut BoardProjections,
        column: Uuid,
        after: LogState,
    ) -> Vec<RawEnvelope> {
        add(session, shown, column, "Mine", 1);
        let (_, mine) = session.next_write().unwrap();
        session.written(after);
        mine
    }

    /// The events of a card "Theirs" added in `column` by another session of `device`, on the
    /// board `session` has saved, with the log at `state` and `pending` in it.
    fn theirs(session: &Session, device: Uuid, column: Uuid, state: LogState, pending: Vec<Uuid>) -> Vec<RawEnvelope> {
        let mut other = Session::new(session.stream, device, session.saved.clone(), 0, state, pending);
        add(&mut other, &mut session.saved.clone(), column, "Theirs", 2);
        other.next_write().unwrap().1
    }

    fn ids_of(events: &[Event<BoardEvent>]) -> Vec<Uuid> {
        events.iter().map(|e| e.meta.id).collect()
    }

    fn ids_of_raw(events: &[RawEnvelope]) -> Vec<Uuid> {
        events.iter().map(|e| e.id).collect()
    }

    fn confirmed(events: &[RawEnvelope], from: u64) -> Vec<RawEnvelope> {
        events.iter().enumerate().map(|(i, e)| RawEnvelope { seq: Some(from + 1 + i as u64), ..e.clone() }).collect()
    }

    #[test]
    fn writes_go_one_at_a_time_in_order() {
        let (mut session, mut shown, columns, _) = created();
        add(&mut session, &mut shown, columns[0], "A", 1);
        add(&mut session, &mut shown, columns[0], "B", 2);
        assert_eq!(session.unsaved(), 2);
        let (revision, _) = session.next_write().unwrap();
        assert_eq!(revision, 2);
        assert!(session.next_write().is_none(), "one write at a time");
        session.written(state(3, 0));
        assert_eq!(session.next_write().unwrap().0, 3);
        assert_eq!(session.pending(), 3);
    }

    #[test]
    fn a_failed_write_undoes_it_and_what_was_queued_after_it() {
        let (mut session, mut shown, columns, _) = created();
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
        let (mut session, mut shown, columns, _) = created();
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
        let (mut session, mut shown, columns, _) = created();
        // Another tab of this browser added a card; this tab's card was being written meanwhile.
        let mut other = session.clone();
        let mut other_shown = shown.clone();
        add(&mut other, &mut other_shown, columns[1], "Theirs", 1);
        let (_, theirs) = other.next_write().unwrap();
        add(&mut session, &mut shown, columns[0], "Mine", 2);
        session.next_write().unwrap();

        let mut stored = session.saved.clone();
        let decoded: Vec<Event<BoardEvent>> = theirs.iter().cloned().map(Event::decode).collect();
        stored.extend(decoded.iter());
        let mut pending = session.pending.clone();
        pending.extend(theirs.iter().map(|e| e.id));
        let shown = session.rebase_onto(stored, state(3, 0), pending);
        assert_eq!(shown.board.live_cards(), 2);
        let (revision, batch) = session.next_write().unwrap();
        assert_eq!(revision, 3, "written after what is stored");
        assert_eq!(batch.len(), 1);
    }

    #[test]
    fn confirmed_own_events_change_nothing_shown_and_remote_ones_are_added() {
        let (mut session, mut shown, columns, first) = created();
        let mine = write_mine(&mut session, &mut shown, columns[0], state(3, 0));
        let stored_pending: Vec<Uuid> = session.pending.clone();
        assert_eq!(stored_pending.len(), 3);

        // The server confirmed our three events in order, then another device's card.
        let theirs = theirs(&session, Uuid::from_u128(8), columns[1], state(3, 0), vec![]);
        let ours: Vec<RawEnvelope> = first.iter().chain(&mine).cloned().collect();
        let all: Vec<RawEnvelope> = ours.iter().chain(&theirs).cloned().collect();
        let tail = Followed { confirmed: confirmed(&all, 0), state: state(4, 4), held: 3, ..Followed::default() };
        let Refreshed::Extended { shown: Some(shown), added, snapshot: None } = session.refresh(&tail) else {
            panic!("only grew")
        };
        assert_eq!(shown.board.live_cards(), 2);
        assert_eq!(ids_of(&added), ids_of_raw(&theirs));
        assert_eq!(session.pending(), 0);
        assert_eq!(session.state(), state(4, 4));
        assert_eq!(session.refresh(&Followed { state: state(4, 4), ..tail }), Refreshed::Unchanged);
    }

    #[test]
    fn events_confirmed_while_a_batch_was_written_leave_the_pending_list() {
        let (mut session, mut shown, columns, _) = created();
        // While "Mine" was written, the sync confirmed the board's two first events in place.
        let mine = write_mine(&mut session, &mut shown, columns[0], state(3, 2));
        assert_eq!(session.pending(), 1, "only the card is still pending");
        // Then the server confirms the card too: the log only grew, nothing is read again.
        let tail = Followed { confirmed: confirmed(&mine, 2), state: state(3, 3), held: 3, ..Followed::default() };
        let Refreshed::Extended { shown: None, added, snapshot: None } = session.refresh(&tail) else {
            panic!("only confirmed, not read again")
        };
        assert!(added.is_empty());
        assert_eq!((session.pending(), session.state()), (0, state(3, 3)));
    }

    #[test]
    fn confirming_only_our_own_events_shows_nothing_new() {
        let (mut session, mut shown, columns, first) = created();
        let mine = write_mine(&mut session, &mut shown, columns[0], state(3, 0));
        let before = session.saved().clone();
        let ours: Vec<RawEnvelope> = first.iter().chain(&mine).cloned().collect();
        let tail = Followed { confirmed: confirmed(&ours, 0), state: state(3, 3), held: 3, ..Followed::default() };
        let Refreshed::Extended { shown: None, added, snapshot: None } = session.refresh(&tail) else {
            panic!("only confirmed")
        };
        assert!(added.is_empty());
        assert_eq!(session.pending(), 0);
        assert_eq!(session.state(), state(3, 3));
        assert_eq!(*session.saved(), before, "the board is the one already shown");
    }

    #[test]
    fn another_tabs_events_after_ours_are_folded_from_what_was_read_past_ours() {
        let (mut session, mut shown, columns, first) = created();
        assert_eq!(session.held(), 2);
        // Another tab added a card after this session's two pending events: storage gives every
        // pending id, and decodes only what follows the two this session holds.
        let theirs = theirs(&session, DEVICE, columns[1], state(2, 0), ids_of_raw(&first));
        let pending: Vec<Uuid> = first.iter().chain(&theirs).map(|e| e.id).collect();
        let tail = Followed {
            pending: Some(pending),
            after: theirs.clone(),
            state: state(3, 0),
            held: 2,
            ..Followed::default()
        };
        let Refreshed::Extended { shown: Some(board), added, snapshot: None } = session.refresh(&tail) else {
            panic!("only grew")
        };
        assert_eq!(board.board.live_cards(), 1);
        assert_eq!(ids_of(&added), ids_of_raw(&theirs));
        assert_eq!((session.pending(), session.held(), session.state()), (3, 3, state(3, 0)));
        // Read for a session that held less or more than this one, the same tail is read again.
        add(&mut session, &mut shown, columns[0], "Mine", 3);
        let stale = Followed { state: state(4, 0), held: 2, ..tail };
        assert_eq!(session.refresh(&stale), Refreshed::Reread);
    }

    #[test]
    fn confirmations_in_place_keep_the_rest_of_the_pending_events_without_reading_them() {
        let (mut session, mut shown, columns, first) = created();
        let mine = write_mine(&mut session, &mut shown, columns[0], state(3, 0));
        // The board's two first events were confirmed in place; the card is still pending, and
        // storage did not read it.
        let tail = Followed { confirmed: confirmed(&first, 0), state: state(3, 2), held: 3, ..Followed::default() };
        let Refreshed::Extended { shown: None, added, snapshot: None } = session.refresh(&tail) else {
            panic!("only confirmed")
        };
        assert!(added.is_empty());
        assert_eq!((session.pending.clone(), session.held()), (vec![mine[0].id], 3));
    }

    #[test]
    fn remote_events_before_ours_need_a_reread() {
        let (mut session, _, _, _) = created();
        let remote = RawEnvelope {
            id: Uuid::from_u128(77),
            stream: session.stream,
            kind: "board_renamed".into(),
            version: 1,
            device: Uuid::from_u128(8),
            at: 0,
            seq: Some(1),
            data: serde_json::json!({ "name": "Theirs" }).into(),
        };
        let tail = Followed { confirmed: vec![remote], state: state(3, 1), held: 2, ..Followed::default() };
        assert_eq!(session.refresh(&tail), Refreshed::Reread);
    }

    #[test]
    fn snapshots_fall_due_every_so_many_events_and_only_where_the_fold_is_the_stored_log() {
        let events = chronicle_board::workload::generate(SNAPSHOT_EVERY as usize + 10, 3);
        let folded = BoardProjections::replay(events.iter());
        let end = folded.position;
        // The log: all but the last two events confirmed, those two pending.
        let log = state(7, end - 2);
        let pending = ids_of(&events[events.len() - 2..]);
        let snapshot = snapshot_if_due(&folded, 0, log, &pending).expect("due");
        assert_eq!((snapshot.position, Some(snapshot.last_event)), (end, folded.last_event));
        assert_eq!(snapshot.log, Some(SnapshotLog { state: log, pending: pending.clone() }), "it covers the whole log");
        assert_eq!(snapshot_if_due(&folded, 20, log, &pending), None, "not yet: the last one is too recent");
        let more = state(8, end - 1);
        assert_eq!(snapshot_if_due(&folded, 0, more, &pending), None, "the log holds a record the fold could not read");
        assert_eq!(snapshot_if_due(&folded, u64::MAX, log, &pending), None);
    }

    #[test]
    fn a_renamed_device_is_recorded_before_its_next_edit() {
        let (mut session, mut shown, columns, _) = created();
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
