//! The client's side of sync: one driver per board, run by one tab of the profile at a time.
//!
//! The engine's [`SyncState`] decides what to do next; a driver carries it out against the
//! server ([`crate::remote`]) and storage, and tells every tab how sync stands. Pulled events go
//! through the engine's [`Log::rebase`]: our acknowledged events move from pending to confirmed,
//! other devices' events take their places in the server's order, and what is still pending
//! replays on top. Each step is stored in one IndexedDB transaction (events, acknowledgements
//! and cursor together) before the next request goes out.
//!
//! A Web Lock named after the board makes sure only one tab of the profile talks to the server
//! for it; when that tab closes, the lock passes to a waiting tab at once. No event is pushed
//! twice because two tabs raced.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use chronicle_board::{BoardEvent, set_aside_with};
use chronicle_core::{Action, Event, Log, RawEnvelope, Rebased, SyncState, SyncStatus, Uuid, next_push};
use chronicle_protocol::{ErrorCode, MAX_BATCH_EVENTS};
use futures::channel::mpsc;
use futures::{FutureExt, StreamExt, select};
use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::spawn_local;

use crate::clock::{jitter, new_token, now};
use crate::crypto::{self, BoardKey, KeyRing};
use crate::remote::{self, RemoteError};
use crate::storage::{HeadRead, LogTail, PendingHead, Storage, StorageError};
use crate::tabs::{Listeners, Notice, Subscription, Tabs};

/// Starts and wakes the drivers of this tab.
pub struct SyncHub {
    storage: Rc<Storage>,
    tabs: Rc<Tabs>,
    keys: Rc<KeyRing>,
    drivers: RefCell<HashMap<Uuid, Driver>>,
    folds: Rc<Folds>,
    /// Boards with a save sequence under way in this tab: how many, and whether one has written
    /// (see [`SyncHub::hold`]).
    held: RefCell<HashMap<Uuid, (usize, bool)>>,
    _subscription: RefCell<Option<Subscription>>,
    _online: RefCell<Vec<Closure<dyn FnMut()>>>,
}

struct Driver {
    wake: mpsc::UnboundedSender<()>,
    /// The last status published, when this tab holds the board's lock.
    status: Rc<RefCell<Option<SyncStatus>>>,
}

impl SyncHub {
    /// A hub that syncs the boards it is asked to [`watch`](SyncHub::watch), and any board
    /// another tab writes to.
    pub fn start(storage: Rc<Storage>, tabs: Rc<Tabs>, keys: Rc<KeyRing>) -> Rc<SyncHub> {
        let hub = Rc::new(SyncHub {
            storage,
            tabs: Rc::clone(&tabs),
            keys,
            drivers: RefCell::default(),
            folds: Rc::default(),
            held: RefCell::default(),
            _subscription: RefCell::default(),
            _online: RefCell::default(),
        });
        let weak = Rc::downgrade(&hub);
        let subscription = tabs.subscribe(move |notice| {
            let Some(hub) = weak.upgrade() else { return };
            match notice {
                Notice::Written { stream, .. } => {
                    // A write while this tab saves the board wakes its driver once saving ends.
                    if let Some((_, written)) = hub.held.borrow_mut().get_mut(stream) {
                        *written = true;
                        return;
                    }
                    hub.watch(*stream);
                }
                Notice::Hello => {
                    for (stream, driver) in hub.drivers.borrow().iter() {
                        if let Some(status) = driver.status.borrow().clone() {
                            hub.tabs.publish(Notice::Sync { stream: *stream, status });
                        }
                    }
                }
                Notice::Removed { stream } => hub.forget(*stream),
                Notice::Sync { .. } => {}
            }
        });
        *hub._subscription.borrow_mut() = Some(subscription);
        if let Some(window) = web_sys::window() {
            for event in ["online", "offline"] {
                let weak = Rc::downgrade(&hub);
                let listener = Closure::<dyn FnMut()>::new(move || {
                    if let Some(hub) = weak.upgrade() {
                        hub.wake_all();
                    }
                });
                let _ = window.add_event_listener_with_callback(event, listener.as_ref().unchecked_ref());
                hub._online.borrow_mut().push(listener);
            }
        }
        tabs.publish(Notice::Hello);
        hub
    }

    /// Makes sure `stream` is synced (by this tab, or by another that holds its lock), and wakes
    /// its driver: there may be new pending events.
    pub fn watch(self: &Rc<Self>, stream: Uuid) {
        if let Some(driver) = self.drivers.borrow().get(&stream) {
            let _ = driver.wake.unbounded_send(());
            return;
        }
        let (wake, woken) = mpsc::unbounded();
        let status = Rc::new(RefCell::new(None));
        self.drivers.borrow_mut().insert(stream, Driver { wake, status: Rc::clone(&status) });
        let (storage, tabs, folds) = (Rc::clone(&self.storage), Rc::clone(&self.tabs), Rc::clone(&self.folds));
        let keys = Rc::clone(&self.keys);
        spawn_local(async move {
            // Waits here while another tab syncs this board.
            let _lock = WebLock::acquire(&format!("chronicle-sync/{stream}")).await;
            // The board may have been removed meanwhile.
            if !storage.is_listed(stream).await.unwrap_or(true) {
                return;
            }
            let token = storage.sync_token(stream).await.ok().flatten();
            let cursor = storage.log_state(stream).await.map(|state| state.confirmed).unwrap_or(0);
            let sync = SyncState::new(cursor, token.is_some(), online());
            BoardSync {
                stream,
                storage,
                tabs,
                folds,
                keys,
                key: None,
                published: status,
                token,
                sync,
                head: RefCell::default(),
            }
            .run(woken)
            .await;
        });
    }

    /// Holds back the driver of `stream` while a save sequence of this tab runs, until the
    /// returned value is dropped: what is written meanwhile is answered by one round when saving
    /// ends. A change is often followed at once by the next, whose write would otherwise queue
    /// behind the reads of the round the first one woke; and a burst of changes is sent together.
    pub fn hold(self: &Rc<Self>, stream: Uuid) -> Hold {
        self.held.borrow_mut().entry(stream).or_insert((0, false)).0 += 1;
        Hold { hub: Rc::clone(self), stream }
    }

    /// Stops syncing `stream`, which was removed from this browser.
    pub fn forget(&self, stream: Uuid) {
        // The driver ends when its wake channel closes.
        self.drivers.borrow_mut().remove(&stream);
    }

    /// Hands `on_confirmed` the events this tab's driver confirms for `stream`, decoded, as it
    /// stores them: a page catching up with a long history folds them as they come instead of
    /// reading them back from storage. Dropping the returned value stops the calls.
    pub fn on_confirmed(&self, stream: Uuid, on_confirmed: impl Fn(&[Event<BoardEvent>]) + 'static) -> Subscription {
        let listeners = Rc::clone(self.folds.borrow_mut().entry(stream).or_default());
        listeners.add(on_confirmed)
    }

    fn wake_all(&self) {
        for driver in self.drivers.borrow().values() {
            let _ = driver.wake.unbounded_send(());
        }
    }
}

/// A save sequence under way (see [`SyncHub::hold`]). When the last one of a board ends, a write
/// made meanwhile wakes the board's driver.
pub struct Hold {
    hub: Rc<SyncHub>,
    stream: Uuid,
}

impl Drop for Hold {
    fn drop(&mut self) {
        let written = {
            let mut held = self.hub.held.borrow_mut();
            let Some((holders, written)) = held.get_mut(&self.stream) else { return };
            *holders -= 1;
            if *holders > 0 {
                return;
            }
            let written = *written;
            held.remove(&self.stream);
            written
        };
        if written {
            self.hub.watch(self.stream);
        }
    }
}

/// Per board, who wants the events its driver confirms (see [`SyncHub::on_confirmed`]).
type Folds = RefCell<HashMap<Uuid, Rc<Listeners<[Event<BoardEvent>]>>>>;

fn online() -> bool {
    web_sys::window().is_none_or(|w| w.navigator().on_line())
}

/// What a person reads when the server refused a push for good.
fn refused_push(error: &RemoteError, batch: &[RawEnvelope]) -> String {
    let which = match error {
        RemoteError::Refused { index: Some(i), .. } => batch.get(*i).map(|e| format!("a change of type '{}'", e.kind)),
        _ => None,
    };
    format!(
        "The server refused {} ({error}). It is kept on this device and the board's other changes keep syncing; \
         Export history keeps a copy of everything.",
        which.unwrap_or_else(|| "changes made here".to_owned())
    )
}

/// What the status says when the server holds less of a board than this device has stored as
/// confirmed.
const LOST_HISTORY: &str = "The server's copy of this board lacks changes it had confirmed before (it may have been \
     restored from an older backup). Nothing on this device is lost; its changes wait to be sent.";

/// What a person reads when sync failed.
fn explain(error: &RemoteError) -> String {
    match error.code() {
        Some(ErrorCode::StreamNotFound) => {
            "The server does not know this board, or this browser's key for it is wrong.".to_owned()
        }
        Some(ErrorCode::StreamExists) => {
            "This board is already on the server, but this browser does not have its key. \
                                  Open the board's share link here to sync it."
                .to_owned()
        }
        _ => error.to_string(),
    }
}

/// One board's sync, carried out by the tab that holds the board's lock: the engine's
/// [`SyncState`] decides, these functions move the bytes and store what comes back.
struct BoardSync {
    stream: Uuid,
    storage: Rc<Storage>,
    tabs: Rc<Tabs>,
    folds: Rc<Folds>,
    keys: Rc<KeyRing>,
    /// A private board's key, read again every round; `None` for a board in the clear.
    key: Option<BoardKey>,
    /// The last status told, so that an unchanged one is not told again.
    published: Rc<RefCell<Option<SyncStatus>>>,
    token: Option<String>,
    sync: SyncState,
    /// The head of the pending events as last read, kept while the log stays where it was then.
    head: RefCell<Option<Rc<PendingHead>>>,
}

impl BoardSync {
    async fn pending(&self) -> Result<LogTail, StorageError> {
        self.storage.pending(self.stream).await
    }

    /// The first pending events, as many as a push sends, and how many there are in all: read
    /// again only when the log has moved since the last read, so that a round that changed
    /// nothing (offline, or waiting to try again) costs one small read, and a round after a
    /// change made offline reads that change, or on a long backlog only the count.
    async fn pending_head(&self) -> Result<Rc<PendingHead>, StorageError> {
        let known = self.head.borrow().clone();
        let read = self.storage.pending_head(self.stream, MAX_BATCH_EVENTS, known.as_deref()).await?;
        // Held only here, so that a head that grew is changed in place rather than copied.
        drop(known);
        match read {
            HeadRead::Unchanged => {}
            HeadRead::Grown { more, count } => {
                if let Some(head) = self.head.borrow_mut().as_mut() {
                    Rc::make_mut(head).grow(more, count);
                }
            }
            HeadRead::Read(head) => *self.head.borrow_mut() = Some(Rc::new(head)),
        }
        Ok(self.head.borrow().clone().unwrap_or_default())
    }

    fn failed(&mut self, message: impl Into<String>) {
        self.sync.failed(now(), message, jitter());
    }

    /// An exchange with the server failed for a reason that may pass: try again after a back-off,
    /// and no sooner than the server asked.
    fn failed_remote(&mut self, error: &RemoteError) {
        if error.code() == Some(ErrorCode::StreamDeleted) {
            return self.sync.deleted();
        }
        self.sync.failed_with_wait(now(), explain(error), jitter(), error.wait_asked_ms());
    }

    /// Tells every tab the board's sync status, when it changed since it was last told.
    fn tell(&self, pending: usize) {
        let status = self.sync.status(pending);
        if self.published.borrow().as_ref() != Some(&status) {
            *self.published.borrow_mut() = Some(status.clone());
            self.tabs.publish(Notice::Sync { stream: self.stream, status });
        }
    }

    /// Takes events the server confirmed through the engine's rebase, onto the pending events as
    /// stored, and stores what it confirms in one transaction. Returns the new cursor.
    async fn take(&self, incoming: Vec<RawEnvelope>) -> Result<u64, StorageError> {
        let cursor = self.sync.cursor();
        if incoming.is_empty() {
            return Ok(cursor);
        }
        let pending = self.pending().await?;
        let mut log = Log::resume(cursor, pending.pending.into_iter().flatten().collect());
        let rebased = log.rebase(incoming);
        self.confirm(&log, &rebased).await
    }

    /// Takes the events a push was answered with. They are this device's oldest pending events,
    /// which the round's `head` holds in order: the head stands in for every pending event, and
    /// they are read only when the events confirmed are not the head's first ones (others' events
    /// came between), which a rebase over the head alone cannot place.
    async fn take_pushed(&self, incoming: Vec<RawEnvelope>, head: &LogTail) -> Result<u64, StorageError> {
        let mut log = Log::resume(self.sync.cursor(), head.pending.iter().flatten().cloned().collect());
        let rebased = log.rebase(incoming.clone());
        if !rebased.in_place {
            return self.take(incoming).await;
        }
        self.confirm(&log, &rebased).await
    }

    /// Stores what a rebase confirmed, and tells the tabs and the folds of this board.
    async fn confirm(&self, log: &Log<RawEnvelope>, rebased: &Rebased) -> Result<u64, StorageError> {
        if rebased.confirmed == 0 {
            return Ok(self.sync.cursor());
        }
        match self.storage.confirm(self.stream, log.confirmed(), rebased).await {
            Ok(state) => {
                self.tabs.publish(Notice::Written { stream: self.stream, state });
                let listeners = self.folds.borrow().get(&self.stream).cloned();
                if let Some(listeners) = listeners {
                    let events: Vec<Event<BoardEvent>> = log.confirmed().iter().cloned().map(Event::decode).collect();
                    listeners.tell(&events);
                }
                Ok(state.confirmed)
            }
            // Another tab stored them first.
            Err(StorageError::Conflict) => Ok(self.storage.log_state(self.stream).await?.confirmed),
            Err(e) => Err(e),
        }
    }

    /// Registers the board's stream with a token made here and kept before it is sent: when the
    /// reply is lost, the next attempt sends the same token and gets the same answer.
    async fn register(&mut self) {
        let proposed = match self.storage.proposed_token(self.stream).await {
            Ok(Some(token)) => Some(token),
            Ok(None) => match new_token() {
                Some(token) => match self.storage.propose_token(self.stream, &token).await {
                    Ok(()) => Some(token),
                    Err(e) => return self.failed(e.to_string()),
                },
                // No secure generator here: the server makes the token instead.
                None => None,
            },
            Err(e) => return self.failed(e.to_string()),
        };
        match remote::register(self.stream, proposed.as_deref()).await {
            Ok(token) => match self.storage.set_sync_token(self.stream, &token).await {
                Ok(()) => {
                    self.token = Some(token);
                    self.sync.registered();
                }
                Err(e) => self.failed(e.to_string()),
            },
            Err(e) => self.failed_remote(&e),
        }
    }

    async fn push(&mut self, token: &str, pending: &LogTail, max: usize) {
        let batch = next_push(&pending.pending, max);
        let wire = match self.on_the_wire(pending, &batch).await {
            Ok(wire) => wire,
            Err(message) => return self.failed(message),
        };
        match remote::push(self.stream, token, &wire).await {
            Ok(pushed) if self.sync.server_lost_history(pushed.head, &pushed.accepted) => self.failed(LOST_HISTORY),
            Ok(pushed) => {
                self.sync.pushed(pushed.head);
                let Some(events) = self.sync.acknowledged_in_order(&batch, &pushed.accepted) else { return };
                match self.take_pushed(events, pending).await {
                    Ok(cursor) => self.sync.pulled(now(), cursor, pushed.head),
                    Err(e) => self.failed(e.to_string()),
                }
            }
            Err(e) if e.code() == Some(ErrorCode::StreamDeleted) => self.sync.deleted(),
            // The server will not take these events however often they come: they are set aside
            // (or, when the server did not say which, wait here), and the rest of the sync goes on.
            Err(e) if e.is_permanent() => self.set_aside(&e, &batch).await,
            Err(e) => self.failed_remote(&e),
        }
    }

    /// What goes on the wire for `batch`: on a private board, the sealed forms kept with the
    /// events, the same bytes on every retry; any that could not be read back are sealed now and
    /// kept before they are sent.
    async fn on_the_wire(&self, pending: &LogTail, batch: &[RawEnvelope]) -> Result<Vec<RawEnvelope>, String> {
        let Some(key) = &self.key else { return Ok(batch.to_vec()) };
        let kept: HashMap<Uuid, &RawEnvelope> = pending.sealed.iter().map(|e| (e.id, e)).collect();
        let missing: Vec<RawEnvelope> = batch.iter().filter(|e| !kept.contains_key(&e.id)).cloned().collect();
        let mut fresh = HashMap::new();
        if !missing.is_empty() {
            let sealed = key.seal_all(&missing).await.map_err(|e| e.to_string())?;
            // Sealed forms kept leave the log state as it is: the head is read again.
            self.head.borrow_mut().take();
            self.storage.keep_sealed(self.stream, &sealed).await.map_err(|e| e.to_string())?;
            fresh = sealed.into_iter().map(|e| (e.id, e)).collect();
        }
        Ok(batch.iter().map(|e| kept.get(&e.id).map_or_else(|| fresh[&e.id].clone(), |s| (*s).clone())).collect())
    }

    /// The server refused the event `error` names for good: it and the pending changes that build
    /// on it leave the board's log for the set-aside store (ADR 0006), every tab shows the board
    /// without them, and the other changes are pushed on the next round. When the server did not
    /// name the event, or setting aside fails, they stay pending and pushing waits.
    async fn set_aside(&mut self, error: &RemoteError, batch: &[RawEnvelope]) {
        let named = match error {
            RemoteError::Refused { index: Some(i), .. } => batch.get(*i),
            _ => None,
        };
        // The changes that build on the refused one may lie past what a push reads: read them all.
        let Ok(pending) = self.pending().await else {
            return self.sync.push_refused(now(), refused_push(error, batch));
        };
        let at = named.and_then(|refused| pending.pending.iter().position(|g| g.iter().any(|e| e.id == refused.id)));
        let Some(at) = at else { return self.sync.push_refused(now(), refused_push(error, batch)) };
        let groups: Vec<Vec<Event<BoardEvent>>> =
            pending.pending.iter().map(|g| g.iter().cloned().map(Event::decode).collect()).collect();
        let ids: Vec<Uuid> =
            set_aside_with(&groups, at).into_iter().flat_map(|i| pending.pending[i].iter().map(|e| e.id)).collect();
        match self.storage.set_aside(self.stream, &ids, &error.to_string(), now()).await {
            Ok(state) => self.tabs.publish(Notice::Written { stream: self.stream, state }),
            Err(_) => self.sync.push_refused(now(), refused_push(error, batch)),
        }
    }

    /// Takes events that came from the server: a private board's are opened first, side by side;
    /// those that do not open are kept as they came.
    async fn take_arrived(&self, arrived: Vec<RawEnvelope>) -> Result<u64, StorageError> {
        self.take(crypto::open_all(self.key.as_ref(), arrived).await).await
    }

    /// Pulls until caught up. While far behind, the next pages are fetched while the last ones
    /// are opened and stored.
    async fn pull(&mut self, token: &str, pending: usize) {
        let mut fetched = pull_pages(self.stream, token, self.sync.cursor()).await;
        loop {
            let (events, head) = match fetched {
                Ok((_, head)) if self.sync.server_lost_history(head, &[]) => return self.failed(LOST_HISTORY),
                Ok(pages) => pages,
                Err(e) => return self.failed_remote(&e),
            };
            let reached = events.last().and_then(|e| e.seq).unwrap_or(self.sync.cursor());
            let ahead = reached < head;
            let stream = self.stream;
            let (stored, next) = futures::join!(self.take_arrived(events), async {
                if ahead { Some(pull_pages(stream, token, reached).await) } else { None }
            });
            match stored {
                Ok(cursor) => self.sync.pulled(now(), cursor, head),
                Err(e) => return self.failed(e.to_string()),
            }
            self.tell(pending);
            match next {
                // Only when what was stored reaches where the prefetch started.
                Some(next) if self.sync.cursor() == reached => fetched = next,
                _ => return,
            }
        }
    }

    /// Listens for new events until the connection ends, fails, or `woken` says there is work.
    async fn listen(&mut self, token: &str, woken: &mut mpsc::UnboundedReceiver<()>) {
        let Ok(controller) = web_sys::AbortController::new() else {
            return self.sync.live_ended(now());
        };
        let mut live = match remote::listen(self.stream, token, self.sync.cursor(), &controller.signal()).await {
            Ok(live) => live,
            // The server has as many listeners as it takes: poll for a while instead.
            Err(e) if e.code() == Some(ErrorCode::TooManyListeners) => return self.sync.live_ended(now()),
            Err(e) => return self.failed_remote(&e),
        };
        loop {
            let message = select! {
                message = live.next().fuse() => Some(message),
                _ = woken.next() => None,
            };
            match message {
                // Something to push, or the network changed: go round again.
                None => break,
                Some(Ok(Some(page))) => {
                    let head = page.head;
                    match self.take_arrived(remote::envelopes(self.stream, page)).await {
                        Ok(cursor) => self.sync.pulled(now(), cursor, head),
                        Err(e) => {
                            self.failed(e.to_string());
                            break;
                        }
                    }
                    // The new status goes out before the next message.
                    self.tell(0);
                }
                Some(Ok(None)) => {
                    self.sync.live_ended(now());
                    break;
                }
                // A broken connection: poll for a while. Going offline is told by the browser's
                // event and needs nothing here.
                Some(Err(_)) => {
                    if online() {
                        self.sync.live_ended(now());
                    }
                    break;
                }
            }
        }
        controller.abort();
    }

    async fn run(mut self, mut woken: mpsc::UnboundedReceiver<()>) {
        loop {
            // Every wake so far is answered by this round: it reads the pending events afresh, and
            // the token, which a share link may have replaced. A closed channel means the board
            // was removed from this browser.
            loop {
                match woken.try_recv() {
                    Ok(()) => continue,
                    Err(mpsc::TryRecvError::Closed) => return,
                    Err(mpsc::TryRecvError::Empty) => break,
                }
            }
            self.sync.set_online(online());
            if let Ok(Some(token)) = self.storage.sync_token(self.stream).await
                && self.token.as_ref() != Some(&token)
            {
                self.token = Some(token);
                self.sync.registered();
            }
            match self.keys.key(&self.storage, self.stream).await {
                Ok(key) => self.key = key,
                // Nothing is pushed or pulled without the key a private board needs.
                Err(e) => {
                    self.failed(e.to_string());
                    self.tell(0);
                    if let Action::WaitUntil(at) = self.sync.next(now(), 0) {
                        wait_until(at, &mut woken).await;
                    }
                    continue;
                }
            }
            let pending = match self.pending_head().await {
                Ok(head) => head,
                Err(e) => {
                    self.failed(e.to_string());
                    Rc::default()
                }
            };
            let count = pending.count;
            self.tell(count);
            let action = self.sync.next(now(), count);
            // Every action but registering and waiting needs the token; without one, register.
            // Each exchange runs as a future of its own (boxed), so that the loop's own stays small.
            let token = self.token.clone();
            match (action, token) {
                (Action::Idle, _) => {
                    let _ = woken.next().await;
                }
                (Action::WaitUntil(at), _) => wait_until(at, &mut woken).await,
                (Action::Register, _) => Box::pin(self.register()).await,
                (Action::Push { max }, Some(token)) => Box::pin(self.push(&token, &pending.tail, max)).await,
                (Action::Pull { .. }, Some(token)) => Box::pin(self.pull(&token, count)).await,
                (Action::Listen { .. }, Some(token)) => Box::pin(self.listen(&token, &mut woken)).await,
                (_, None) => self.sync = SyncState::new(self.sync.cursor(), false, online()),
            }
        }
    }
}

/// Waits until the time `at`, or until woken.
async fn wait_until(at: i64, woken: &mut mpsc::UnboundedReceiver<()>) {
    let wait = at.saturating_sub(now()).clamp(0, i64::from(u32::MAX)) as u32;
    select! {
        _ = gloo_timers::future::TimeoutFuture::new(wait).fuse() => {}
        _ = woken.next() => {}
    }
}

/// Pages fetched side by side when far behind.
const PAGES_AT_ONCE: u64 = 8;

/// Pulls the events after `after`: one page, and when that shows the server is further ahead,
/// the next few pages side by side (positions are dense, so where each starts is known). Returns
/// the events in order and the server's head.
async fn pull_pages(stream: Uuid, token: &str, after: u64) -> Result<(Vec<RawEnvelope>, u64), RemoteError> {
    let first = remote::pull(stream, token, after).await?;
    let head = first.head;
    let mut reached = first.events.last().and_then(|e| e.seq).unwrap_or(after);
    let page = (first.events.len() as u64).max(1);
    let mut events = remote::envelopes(stream, first);
    if reached < head {
        let starts: Vec<u64> = (0..PAGES_AT_ONCE - 1).map(|k| reached + k * page).take_while(|a| *a < head).collect();
        let pages = futures::future::join_all(starts.iter().map(|a| remote::pull(stream, token, *a))).await;
        for page in pages {
            // A page that failed or came short leaves a gap: the rebase stops before it, and the
            // next pull starts there.
            let Ok(page) = page else { break };
            let Some(last) = page.events.last().and_then(|e| e.seq) else { break };
            reached = reached.max(last);
            events.extend(remote::envelopes(stream, page));
        }
    }
    Ok((events, head))
}

/// A held Web Lock; dropping it lets the next tab in line take it.
struct WebLock {
    release: Option<Function>,
}

impl WebLock {
    /// Waits for the lock `name`. Where the browser has no Web Locks, returns at once: one tab is
    /// then all there is to coordinate, or the server's idempotent pushes keep a race harmless.
    async fn acquire(name: &str) -> WebLock {
        let locks = web_sys::window()
            .map(|w| Reflect::get(&w.navigator(), &JsValue::from_str("locks")).unwrap_or(JsValue::UNDEFINED))
            .filter(|l| !l.is_undefined() && !l.is_null());
        let request = locks.as_ref().and_then(|l| Reflect::get(l, &JsValue::from_str("request")).ok());
        let (Some(locks), Some(request)) = (locks, request.and_then(|r| r.dyn_into::<Function>().ok())) else {
            return WebLock { release: None };
        };
        // The lock is held until the promise returned to `request`'s callback settles.
        let mut release = None;
        let held = Promise::new(&mut |resolve, _| release = Some(resolve));
        let (granted, on_grant) = futures::channel::oneshot::channel::<()>();
        let granted_tx = RefCell::new(Some(granted));
        let callback = Closure::once_into_js(move |_lock: JsValue| -> Promise {
            if let Some(tx) = granted_tx.borrow_mut().take() {
                let _ = tx.send(());
            }
            held
        });
        if request.call2(&locks, &JsValue::from_str(name), &callback).is_err() {
            return WebLock { release: None };
        }
        let _ = on_grant.await;
        WebLock { release }
    }
}

impl Drop for WebLock {
    fn drop(&mut self) {
        if let Some(release) = self.release.take() {
            let _ = release.call0(&JsValue::UNDEFINED);
        }
    }
}
