//! A board open on a page: commands decided and shown at once, saved in the background, and the
//! stored log followed as other tabs and the sync change it.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use chronicle_board::{BoardProjections, Command, History, Rejection};
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

/// A board open on a page. Cheap to clone; the board stays open while a clone lives, and a
/// save under way finishes even after the page has gone.
#[derive(Clone)]
pub struct OpenBoard {
    inner: Rc<Inner>,
}

struct Inner {
    service: Rc<BoardService>,
    session: RefCell<Session>,
    /// Whether a save sequence is under way.
    writing: Cell<bool>,
    /// The whole log with its keyframes, read when first asked for and forgotten when the log
    /// changes.
    history: RefCell<Option<Rc<History>>>,
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
        let OpenedBoard { projections, snapshot_at, state, pending, .. } = opened;
        let session = Session::new(stream, service.device, projections.clone(), snapshot_at, state, pending);
        let inner = Rc::new(Inner {
            service,
            session: RefCell::new(session),
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
            Inner::save(&self.inner);
        }
        Ok(())
    }

    /// Events decided here and not yet written.
    pub fn unsaved(&self) -> usize {
        self.inner.session.borrow().unsaved()
    }

    /// Stored events the server has not confirmed yet.
    pub fn pending(&self) -> usize {
        self.inner.session.borrow().pending()
    }

    /// The board's whole history, read from storage the first time it is asked for.
    pub async fn history(&self) -> Result<Rc<History>, StorageError> {
        if let Some(history) = self.inner.history.borrow().clone() {
            return Ok(history);
        }
        let loaded = self.inner.service.storage.load_all(self.stream()).await?;
        let history = Rc::new(History::new(loaded.tail.into_iter().map(Event::decode).collect()));
        *self.inner.history.borrow_mut() = Some(Rc::clone(&history));
        Ok(history)
    }

    /// The board's whole history as a file of JSON lines.
    pub async fn export(&self) -> Result<String, StorageError> {
        self.inner.service.export(self.stream()).await
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

    /// The log changed: counts are told again, and the history is read again when next needed.
    fn changed(&self) {
        self.history.borrow_mut().take();
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
            let result = save(&service.storage, &service.tabs, &this.session, |step| {
                if let Saving::Reread(shown) = step {
                    this.tell(BoardChange::Shown(shown));
                }
                this.changed();
            })
            .await;
            if let Err((error, saved)) = result {
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
            let (stream, known) = {
                let session = this.session.borrow();
                (session.stream(), session.state())
            };
            let Ok(tail) = storage.tail(stream, known.confirmed).await else { return };
            if this.writing.get() || tail.state.revision < known.revision {
                return;
            }
            let refreshed = this.session.borrow_mut().refresh(&tail);
            match refreshed {
                Refreshed::Extended(shown, snapshot) => {
                    this.tell(BoardChange::Shown(shown));
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
                    this.tell(BoardChange::Shown(Box::new(shown)));
                }
                Refreshed::Unchanged => {}
            }
            this.changed();
        });
    }
}
