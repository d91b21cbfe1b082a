//! A board open on a page: commands decided and shown at once, saved in the background, and the
//! stored log followed as other tabs and the sync change it.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use chronicle_board::{BoardEvent, BoardProjections, Command, History, Rejection, describe};
use chronicle_core::sealed::KeyId;
use chronicle_core::{Event, Uuid};
use wasm_bindgen_futures::spawn_local;

use super::{BoardService, Notice, Saving, ShareLink, Subscription, save};
use crate::boards::{self, OpenedBoard};
use crate::clock::{new_id, now};
use crate::session::{Refreshed, Session};
use crate::storage::StorageError;

/// What an open board tells the page that shows it.
#[derive(Debug, Clone, PartialEq)]
pub enum BoardChange {
    /// Show this board from now on: the stored log changed under the page (another tab wrote,
    /// the sync brought others' events), or a save failed and its change was undone.
    Shown(Box<BoardProjections>),
    /// How many changes are still being saved, and how many wait for the server.
    Counts {
        /// Events decided here and not yet written.
        unsaved: usize,
        /// Stored events the server has not confirmed yet.
        pending: usize,
    },
    /// Something the person should know, in a sentence.
    Problem(String),
}

/// Changes of one command that the server refused for good, set aside from the board.
#[derive(Debug, Clone, PartialEq)]
pub struct SetAsideChange {
    /// Each event, in words.
    pub described: Vec<String>,
    /// What the server said.
    pub reason: String,
    /// When they were set aside, by this device's clock.
    pub at: i64,
    /// How many events.
    pub events: usize,
}

/// A board's history, shared by the open board, which keeps it in step with the board as shown,
/// and the panels that read it. Cheap to clone.
#[derive(Clone)]
pub struct SharedHistory(Rc<RefCell<History>>);

impl SharedHistory {
    /// Reads the history.
    pub fn with<T>(&self, read: impl FnOnce(&History) -> T) -> T {
        read(&self.0.borrow())
    }
}

/// A board open on a page. Cheap to clone; the board stays open while a clone lives, and a
/// save under way finishes even after the page has gone.
#[derive(Clone)]
pub struct OpenBoard {
    inner: Rc<Inner>,
}

struct Inner {
    service: Rc<BoardService>,
    session: RefCell<Session>,
    /// The id of a private board's key; `None` in the clear.
    private: Option<KeyId>,
    /// Whether a save sequence is under way.
    writing: Cell<bool>,
    /// The log as shown (what is stored, then what is still to be written) with its keyframes:
    /// read when first asked for, then grown with every change and cut back where a change was
    /// undone or a rebase placed others' events before ours.
    history: RefCell<Option<SharedHistory>>,
    on_change: Box<dyn Fn(BoardChange)>,
    subscription: RefCell<Option<Subscription>>,
}

impl OpenBoard {
    /// Opens a board read from storage. Returns it and the board to show.
    pub(super) fn new(
        service: Rc<BoardService>,
        stream: Uuid,
        opened: OpenedBoard,
        on_change: impl Fn(BoardChange) + 'static,
    ) -> (OpenBoard, BoardProjections) {
        let OpenedBoard { projections, snapshot_at, state, pending, private, .. } = opened;
        let session = Session::new(stream, service.device, projections.clone(), snapshot_at, state, pending);
        let inner = Rc::new(Inner {
            service,
            session: RefCell::new(session),
            private,
            writing: Cell::new(false),
            history: RefCell::new(None),
            on_change: Box::new(on_change),
            subscription: RefCell::new(None),
        });
        let weak = Rc::downgrade(&inner);
        let subscription = inner.service.subscribe(move |notice| {
            let Some(inner) = weak.upgrade() else { return };
            if let Notice::Written { stream: written, state } = notice
                && *written == stream
                && inner.session.borrow().state() != *state
            {
                inner.catch_up();
            }
        });
        *inner.subscription.borrow_mut() = Some(subscription);
        // What was written since the board was read (by the sync, by another tab) was told
        // before this board listened: look once.
        inner.catch_up();
        (OpenBoard { inner }, projections)
    }

    /// The board's stream id.
    pub fn stream(&self) -> Uuid {
        self.inner.session.borrow().stream()
    }

    /// Decides a command against `shown`, the board on screen, and applies its events to it at
    /// once; they are saved in the background. A rejection changes nothing. `device_name` is
    /// recorded on the board when it changed.
    pub fn run(&self, shown: &mut BoardProjections, command: Command, device_name: &str) -> Result<(), Rejection> {
        let made = self.inner.session.borrow_mut().execute(shown, command, device_name, now(), new_id)?;
        if made > 0 {
            let added: Vec<Event<BoardEvent>> = self
                .inner
                .session
                .borrow()
                .last_queued()
                .map_or_else(Vec::new, |batch| batch.iter().cloned().map(Event::decode).collect());
            self.inner.grow(|history| history.extend(added));
            Inner::save(&self.inner);
        }
        Ok(())
    }

    /// The id of the board's key when it is private (its events are sealed on the wire);
    /// `None` for a board kept in the clear.
    pub fn private(&self) -> Option<KeyId> {
        self.inner.private
    }

    /// Undoes this tab's last change on the board, with new events decided against `shown`;
    /// `Ok(false)` when there is nothing to undo. When nothing still makes sense (another device
    /// changed it since), the rejection says why, and the next undo goes further back.
    pub fn undo(&self, shown: &mut BoardProjections, device_name: &str) -> Result<bool, Rejection> {
        let Some(command) = self.inner.session.borrow().undo_command() else { return Ok(false) };
        self.run(shown, command, device_name).map(|()| true)
    }

    /// Makes this tab's last undone change again; `Ok(false)` when there is nothing to redo.
    pub fn redo(&self, shown: &mut BoardProjections, device_name: &str) -> Result<bool, Rejection> {
        let Some(command) = self.inner.session.borrow().redo_command() else { return Ok(false) };
        self.run(shown, command, device_name).map(|()| true)
    }

    /// Whether there is a change to undo, and one to redo, in this tab.
    pub fn can_undo_redo(&self) -> (bool, bool) {
        self.inner.session.borrow().can_undo_redo()
    }

    /// Events decided here and not yet written.
    pub fn unsaved(&self) -> usize {
        self.inner.session.borrow().unsaved()
    }

    /// Stored events the server has not confirmed yet.
    pub fn pending(&self) -> usize {
        self.inner.session.borrow().pending()
    }

    /// The board's whole history, as shown: read from storage the first time it is asked for,
    /// then kept in step with every change, so that it is never read whole again.
    pub async fn history(&self) -> Result<SharedHistory, StorageError> {
        self.history_telling(&mut |_, _| ()).await
    }

    /// The board's history, as [`OpenBoard::history`] gives it, telling `read` how far a read of
    /// the log has come as it goes: how many of its events have been read, of how many. A long
    /// log takes seconds to read; nothing is told when the history is kept already.
    pub async fn history_telling(&self, read: &mut dyn FnMut(usize, usize)) -> Result<SharedHistory, StorageError> {
        if let Some(history) = self.inner.history.borrow().clone() {
            return Ok(history);
        }
        let mut read_again = 3;
        loop {
            let known = self.inner.session.borrow().state();
            // Each record's events are decoded as they are read: a long log is never held both
            // as envelopes and as events.
            let mut events: Vec<Event<BoardEvent>> = Vec::new();
            let log = self
                .inner
                .service
                .storage
                .read_all(self.stream(), &mut |part, all| {
                    events.reserve(all.saturating_sub(events.len()));
                    events.extend(part.into_iter().map(Event::decode));
                    read(events.len(), all.max(events.len()));
                })
                .await?;
            events.extend(self.inner.session.borrow().unwritten());
            let history = SharedHistory(Rc::new(RefCell::new(History::new(events))));
            // Kept only when nothing was stored meanwhile; otherwise it is read once more.
            if log.state == known && self.inner.session.borrow().state() == known {
                *self.inner.history.borrow_mut() = Some(history.clone());
                return Ok(history);
            }
            read_again -= 1;
            if read_again == 0 {
                return Ok(history);
            }
        }
    }

    /// The board's whole history as a file of JSON lines.
    pub async fn export(&self) -> Result<String, StorageError> {
        self.inner.service.export(self.stream()).await
    }

    /// The changes the server refused for good and that were set aside (ADR 0006), oldest first,
    /// each in the words the activity feed uses, against the board as saved now.
    pub async fn set_aside(&self) -> Result<Vec<SetAsideChange>, StorageError> {
        let changes = self.inner.service.storage.set_aside_changes(self.stream()).await?;
        let session = self.inner.session.borrow();
        let board = &session.saved().board;
        Ok(changes
            .into_iter()
            .map(|change| SetAsideChange {
                described: change.events.iter().cloned().map(|e| describe(board, &Event::decode(e))).collect(),
                reason: change.reason,
                at: change.at,
                events: change.events.len(),
            })
            .collect())
    }

    /// The set-aside changes as a file of JSON lines, as *Export history* writes, so that they can
    /// be kept or imported elsewhere.
    pub async fn export_set_aside(&self) -> Result<String, StorageError> {
        let changes = self.inner.service.storage.set_aside_changes(self.stream()).await?;
        let events: Vec<_> = changes.into_iter().flat_map(|c| c.events).collect();
        Ok(crate::transfer::export_lines(&events))
    }

    /// Puts the set-aside changes back after the board's other changes, to be sent again.
    pub async fn take_back_set_aside(&self) -> Result<(), StorageError> {
        let state = self.inner.service.storage.take_back(self.stream()).await?;
        self.inner.service.tabs.publish(Notice::Written { stream: self.stream(), state });
        Ok(())
    }

    /// Removes the set-aside changes from this device, for good.
    pub async fn let_go_set_aside(&self) -> Result<(), StorageError> {
        self.inner.service.storage.let_go(self.stream()).await.map(drop)
    }

    /// The link that brings this board to another device, once it has reached the server.
    pub async fn share_link(&self) -> Result<Option<ShareLink>, StorageError> {
        self.inner.service.share_link(self.stream()).await
    }
}

impl Inner {
    fn tell(&self, update: BoardChange) {
        (self.on_change)(update);
    }

    /// Changes the history in place, if it has been read.
    fn grow(&self, change: impl FnOnce(&mut History)) {
        if let Some(history) = self.history.borrow().as_ref() {
            change(&mut history.0.borrow_mut());
        }
    }

    /// Counts are told again.
    fn changed(&self) {
        let (unsaved, pending) = {
            let session = self.session.borrow();
            (session.unsaved(), session.pending())
        };
        self.tell(BoardChange::Counts { unsaved, pending });
    }

    /// Starts the save sequence, unless one is under way: that one writes this change too.
    fn save(this: &Rc<Inner>) {
        if this.writing.replace(true) {
            return;
        }
        let this = Rc::clone(this);
        spawn_local(async move {
            let service = Rc::clone(&this.service);
            let result = save(&service, &this.session, |step| {
                if let Saving::Reread(shown) = step {
                    // Another tab wrote first, which is rare: the history is read again when
                    // next needed rather than pieced together here.
                    this.history.borrow_mut().take();
                    this.tell(BoardChange::Shown(shown));
                }
                this.changed();
            })
            .await;
            if let Err((error, saved)) = result {
                this.grow(|history| history.replace_from(saved.position, []));
                this.tell(BoardChange::Shown(Box::new(saved)));
                this.tell(BoardChange::Problem(format!("{error} Your last change could not be saved and was undone.")));
            }
            this.writing.set(false);
            this.changed();
            // Whatever was stored while this board was writing is read now.
            this.catch_up();
        });
    }

    /// The stored log changed (another tab wrote, or the sync stored confirmed events): take
    /// what is new. While this board is writing, its save sequence catches up when it is done.
    fn catch_up(self: &Rc<Self>) {
        if self.writing.get() {
            return;
        }
        let this = Rc::clone(self);
        spawn_local(async move {
            let storage = &this.service.storage;
            let (stream, known, held) = {
                let session = this.session.borrow();
                (session.stream(), session.state(), session.held())
            };
            let Ok(tail) = storage.tail(stream, known, held).await else { return };
            if this.writing.get() || tail.state.revision < known.revision {
                return;
            }
            let saved_before = this.session.borrow().saved().position;
            let refreshed = this.session.borrow_mut().refresh(&tail);
            match refreshed {
                Refreshed::Extended { shown, added, snapshot } => {
                    if let Some(shown) = shown {
                        // What others stored goes after what was saved, before what is still ours.
                        let mut tail = added;
                        tail.extend(this.session.borrow().unwritten());
                        this.grow(|history| history.replace_from(saved_before, tail));
                        this.tell(BoardChange::Shown(shown));
                    }
                    if let Some(snapshot) = snapshot {
                        let _ = storage.put_snapshot(stream, &snapshot).await;
                    }
                }
                Refreshed::Reread => {
                    let Ok(opened) = boards::open(storage, stream).await else { return };
                    if this.writing.get() {
                        return;
                    }
                    let shown = this.session.borrow_mut().rebase_onto(opened.projections, opened.state, opened.pending);
                    // The log reads differently from what was known: the history is read again
                    // when next needed rather than pieced together here.
                    this.history.borrow_mut().take();
                    this.tell(BoardChange::Shown(Box::new(shown)));
                }
                // Nothing to tell: the board and its counts are as they were.
                Refreshed::Unchanged => return,
            }
            this.changed();
        });
    }
}
