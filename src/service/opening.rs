//! Opening a board: from storage, or, for a board just joined from a share link, from the events
//! the sync brings as they arrive.

use std::cell::RefCell;
use std::rc::Rc;

use chronicle_board::BoardProjections;
use chronicle_core::sealed::KeyId;
use chronicle_core::{SyncStatus, Uuid};
use wasm_bindgen_futures::spawn_local;

use super::{BoardChange, BoardService, Notice, OpenBoard, Subscription};
use crate::boards::{self, OpenedBoard};
use crate::session::snapshot_if_due;
use crate::storage::{HeadRead, PendingHead};

/// What reading a board found.
#[derive(Debug, Clone)]
pub enum Opened {
    /// The board, ready to [`Opening::start`].
    Ready(Box<OpenedBoard>),
    /// A board joined from a share link whose history has not arrived yet.
    Fetching,
    /// There is no board to show; the reason, in words.
    Missing(String),
}

/// A board being opened. Cheap to clone.
///
/// While a joined board's history arrives, the events this tab's sync confirms are folded as
/// they come, so that the board opens without reading its whole history back from storage; and
/// `on_arrived` is called once the sync has caught up, so that the page opens the board once
/// rather than drawing it again for every page of a long catch-up.
#[derive(Clone)]
pub struct Opening {
    inner: Rc<Inner>,
}

struct Inner {
    service: Rc<BoardService>,
    stream: Uuid,
    fold: Rc<RefCell<Option<BoardProjections>>>,
    subscriptions: RefCell<Vec<Subscription>>,
}

impl Opening {
    pub(super) fn new(service: Rc<BoardService>, stream: Uuid, on_arrived: impl Fn() + 'static) -> Opening {
        let fold = Rc::new(RefCell::new(Some(BoardProjections::default())));
        let folding = {
            let fold = Rc::clone(&fold);
            service.hub.on_confirmed(stream, move |events| {
                let mut fold = fold.borrow_mut();
                let follows =
                    fold.as_ref().is_some_and(|p| events.first().and_then(|e| e.meta.seq) == Some(p.position + 1));
                match fold.as_mut() {
                    Some(projections) if follows => projections.extend(events.iter()),
                    _ => *fold = None,
                }
            })
        };
        let waiting = service.subscribe(move |notice| {
            if let Notice::Sync { stream: s, status } = notice
                && *s == stream
                && !matches!(status, SyncStatus::Syncing { behind, .. } if *behind > 0)
            {
                on_arrived();
            }
        });
        let subscriptions = RefCell::new(vec![folding, waiting]);
        Opening { inner: Rc::new(Inner { service, stream, fold, subscriptions }) }
    }

    /// Reads the board as it stands.
    pub async fn read(&self) -> Opened {
        let Inner { service, stream, fold, .. } = &*self.inner;
        let storage = &service.storage;
        // A fold that holds every confirmed event stored, with nothing pending, is the board.
        let folded = fold.borrow().clone().filter(|p| p.board.is_created());
        if let Some(folded) = folded
            && let Ok(HeadRead::Read(PendingHead { tail, count: 0 })) = storage.pending_head(*stream, 0, None).await
            && tail.state.confirmed == folded.position
        {
            let fresh_snapshot = snapshot_if_due(&folded, 0, tail.state, &[]);
            return Opened::Ready(Box::new(OpenedBoard {
                projections: folded,
                snapshot_at: 0,
                state: tail.state,
                pending: Vec::new(),
                problems: tail.problems,
                fresh_snapshot,
                private: self.key_id().await,
            }));
        }
        // The key of a private board is read and imported while the board is read.
        let (read, private) = futures::join!(boards::open(storage, *stream), self.key_id());
        match read {
            // A board whose events could not be opened is shown too, with the reason.
            Ok(mut opened)
                if opened.projections.board.is_created() || opened.projections.diagnostics.undecrypted() > 0 =>
            {
                opened.private = private;
                Opened::Ready(Box::new(opened))
            }
            Ok(_) => match storage.sync_token(*stream).await {
                Ok(Some(_)) => Opened::Fetching,
                _ => Opened::Missing(
                    "There is no board here. It may have been made in another browser; open its share link to \
                     bring it here."
                        .to_owned(),
                ),
            },
            Err(e) => Opened::Missing(e.to_string()),
        }
    }

    /// The id of the board's key, on a private board.
    async fn key_id(&self) -> Option<KeyId> {
        let Inner { service, stream, .. } = &*self.inner;
        service.keys.key(&service.storage, *stream).await.ok().flatten().map(|k| k.id())
    }

    /// Opens the board that [`Opening::read`] found, and stops following its arrival. Returns the
    /// open board and the board to show; `on_change` hears what changes after.
    pub fn start(
        &self,
        opened: OpenedBoard,
        on_change: impl Fn(BoardChange) + 'static,
    ) -> (OpenBoard, BoardProjections) {
        let Inner { service, stream, fold, subscriptions } = &*self.inner;
        subscriptions.borrow_mut().clear();
        fold.borrow_mut().take();
        if let Some(snapshot) = opened.fresh_snapshot.clone() {
            // After the board is on screen: a snapshot only speeds up the next start.
            let (service, stream) = (Rc::clone(service), *stream);
            spawn_local(async move {
                let _ = service.storage.put_snapshot(stream, &snapshot).await;
            });
        }
        OpenBoard::new(Rc::clone(service), *stream, opened, on_change)
    }
}
