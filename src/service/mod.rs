//! The board service: the one way from the screen to what is kept.
//!
//! The components ask [`BoardService`] for what they show and hand it what a person does: list
//! the boards, create one, open one, import and export a history, join a shared board, name this
//! device. An open board is an [`OpenBoard`]: commands are decided and shown at once and saved in
//! the background, through the one save sequence in this module. Only this layer knows how
//! IndexedDB is laid out, what a revision is, when to read again and how often to retry.

mod open_board;
mod opening;
mod share_link;

use std::cell::RefCell;
use std::rc::Rc;

use chronicle_board::{BoardProjections, Command, MAX_NAME, Rejection, shown_text};
use chronicle_core::Uuid;
use chronicle_core::sealed::{self, KEY_BYTES};
use chronicle_protocol::ErrorCode;

pub use self::open_board::{BoardChange, OpenBoard, SetAsideChange, SharedHistory};
pub use self::opening::{Opened, Opening};
pub use self::share_link::ShareLink;
use crate::clock::{new_id, now};
use crate::crypto::{self, BoardKey, KeyError, KeyRing};
use crate::session::Session;
use crate::storage::{DATABASE, LogState, Storage, StorageError, StoredSummary};
use crate::sync::SyncHub;
use crate::tabs::Tabs;
pub use crate::tabs::{Notice, Subscription};
use crate::transfer::{ImportError, export_lines, import_lines};
use crate::{boards, remote};

/// How many times in a row a write is decided again after others wrote first, before giving up.
/// Each time means another writer made progress, so this is only reached under a storm of writes.
const MAX_REREADS: u32 = 20;

/// Largest history file taken in, in bytes.
const MAX_IMPORT_BYTES: u64 = 256_000_000;

/// Why a command was not carried out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommandError {
    /// The board's rules refused it; nothing changed.
    #[error(transparent)]
    Rejected(#[from] Rejection),
    /// It was decided but could not be saved; nothing changed.
    #[error("{0} The change was not saved.")]
    NotSaved(#[from] KeyError),
}

impl From<StorageError> for CommandError {
    fn from(error: StorageError) -> Self {
        CommandError::NotSaved(error.into())
    }
}

/// Why a history file was not imported. Nothing was stored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportFailed {
    /// The file is larger than an import takes.
    #[error("The file is {} MB; at most {} MB can be imported.", .0 / 1_000_000, MAX_IMPORT_BYTES / 1_000_000)]
    TooLarge(u64),
    /// The browser could not read the file.
    #[error("The file could not be read.")]
    Unreadable,
    /// The file is not a Chronicle history.
    #[error(transparent)]
    NotAHistory(#[from] ImportError),
    /// The board could not be stored.
    #[error(transparent)]
    NotSaved(#[from] KeyError),
}

impl From<StorageError> for ImportFailed {
    fn from(error: StorageError) -> Self {
        ImportFailed::NotSaved(error.into())
    }
}

/// Why sharing a board could not be stopped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StopSharingError {
    /// The server did not delete the board; nothing changed.
    #[error("The server did not delete the board ({0}). Nothing was changed; try again when you are online.")]
    Server(String),
    /// The board was deleted from the server, but its private copy could not be made here; the
    /// board itself is still here, whole.
    #[error(
        "The board was deleted from the server, but its private copy could not be made ({0}). The board is still here, whole: use Start a private copy to try again."
    )]
    Copy(#[from] ImportFailed),
    /// The copy was made, but the old board could not be removed from this browser.
    #[error("The private copy was made, but the old board could not be removed from this browser ({0}).")]
    Remove(#[from] StorageError),
}

/// Why a board was not deleted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeleteError {
    /// The server did not delete it; nothing changed.
    #[error("The server did not delete the board ({0}). Nothing was changed; try again when you are online.")]
    Server(String),
    /// It could not be removed from this browser.
    #[error("The board could not be removed from this browser. {0}")]
    Storage(#[from] StorageError),
}

/// Why this device's name was not changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeviceNameError {
    /// Empty, or longer than the board allows.
    #[error("A device name needs 1 to {} characters.", chronicle_board::MAX_NAME)]
    Length,
    /// The name could not be stored.
    #[error(transparent)]
    NotSaved(#[from] StorageError),
}

/// What opening a share link did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Joined {
    /// The board is new here; it syncs with the link's token.
    Added,
    /// The board was here with the same token already.
    AlreadyHere,
    /// The board was here with another token; the server confirmed the link's, which it syncs
    /// with now.
    KeyReplaced,
    /// The board was here with another token, and the server says the link's does not open it:
    /// the board keeps its own.
    KeyRefused,
    /// The board was here with another token, and the link's could not be checked (the reason):
    /// the board keeps its own.
    NotChecked(String),
    /// The link's encryption key is not the one this board's events are sealed with: the board
    /// keeps the key it has.
    EncryptionKeyKept,
}

impl Joined {
    /// What the person should be told, if anything.
    pub fn notice(&self) -> Option<String> {
        match self {
            Joined::Added | Joined::AlreadyHere => None,
            Joined::KeyReplaced => Some("This board now syncs with the key from the link you opened.".to_owned()),
            Joined::KeyRefused => Some(
                "The link's key does not open this board on the server, so this browser keeps syncing it with the \
                 key it already had. Nothing was changed."
                    .to_owned(),
            ),
            Joined::EncryptionKeyKept => Some(
                "The link's encryption key is not the key of this board's changes, so this browser keeps the key it \
                 already had. Nothing was changed."
                    .to_owned(),
            ),
            Joined::NotChecked(why) => Some(format!(
                "This board is already here with its own key, and the link's key could not be checked ({why}). \
                 Nothing was changed; open the link again when you are online."
            )),
        }
    }
}

/// A board as the board list shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct BoardSummary {
    /// The board's stream id.
    pub stream: Uuid,
    /// Its name, or "Untitled board".
    pub name: String,
    /// Cards on it, not counting archived ones.
    pub cards: usize,
    /// Events in its log.
    pub events: u64,
    /// When its last change was made, by the clock of the device that made it.
    pub last_change: Option<i64>,
    /// What could not be read of it, in words.
    pub problem: Option<String>,
}

impl BoardSummary {
    fn from_stored(stream: Uuid, stored: StoredSummary) -> Self {
        BoardSummary {
            stream,
            name: stored.name,
            cards: stored.cards as usize,
            events: stored.events,
            last_change: stored.last_change,
            problem: stored.problem,
        }
    }
}

/// What the board list keeps of a board whose log stands at `revision`.
fn summary_of(projections: &BoardProjections, revision: u64, problem: Option<String>) -> StoredSummary {
    let name = projections.board.name();
    let name = if name.is_empty() { "Untitled board" } else { name };
    StoredSummary {
        revision,
        name: shown_text(name, MAX_NAME).into_owned(),
        cards: projections.board.live_cards() as u64,
        events: projections.position,
        last_change: projections.activity.recent().next().map(|entry| entry.at),
        problem,
    }
}

/// The app's boards, this device, and the tabs and sync around them.
pub struct BoardService {
    storage: Rc<Storage>,
    tabs: Rc<Tabs>,
    hub: Rc<SyncHub>,
    keys: Rc<KeyRing>,
    device: Uuid,
}

impl BoardService {
    /// Opens this browser's boards: the database (and on first use this device's id and a first
    /// name for it), the line to the other tabs, and the sync of every board kept here.
    /// `on_blocked` runs when an older version in another tab keeps the database from upgrading;
    /// `on_replaced` when a newer version in another tab has taken it over. Returns the service
    /// and this device's name.
    pub async fn start(
        on_blocked: impl FnOnce() + 'static,
        on_replaced: impl FnOnce() + 'static,
    ) -> Result<(Rc<BoardService>, String), StorageError> {
        Self::start_with(DATABASE, on_blocked, on_replaced).await
    }

    /// [`BoardService::start`] on the database called `database`.
    pub async fn start_with(
        database: &str,
        on_blocked: impl FnOnce() + 'static,
        on_replaced: impl FnOnce() + 'static,
    ) -> Result<(Rc<BoardService>, String), StorageError> {
        let storage = Rc::new(Storage::open(database, on_blocked).await?);
        storage.on_replaced(on_replaced)?;
        let (device, name) = match storage.device().await? {
            Some((device, name)) => (device, name.unwrap_or_else(guess_device_name)),
            None => {
                let (device, name) = (new_id(), guess_device_name());
                storage.set_device(device, &name).await?;
                (device, name)
            }
        };
        let tabs = Tabs::open();
        let keys = Rc::new(KeyRing::default());
        let hub = SyncHub::start(Rc::clone(&storage), Rc::clone(&tabs), Rc::clone(&keys));
        // Every local board syncs, open or not.
        for stream in storage.boards().await.unwrap_or_default() {
            hub.watch(stream);
        }
        Ok((Rc::new(BoardService { storage, tabs, hub, keys, device }), name))
    }

    /// This device's id.
    pub fn device(&self) -> Uuid {
        self.device
    }

    /// Keeps this device's new name: the name the next changes on each board carry.
    pub async fn set_device_name(&self, name: &str) -> Result<String, DeviceNameError> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > chronicle_board::MAX_NAME {
            return Err(DeviceNameError::Length);
        }
        self.storage.set_device_name(name).await?;
        Ok(name.to_owned())
    }

    /// Calls `on_notice` for everything told about boards, in this tab or another, until the
    /// subscription is dropped.
    pub fn subscribe(&self, on_notice: impl Fn(&Notice) + 'static) -> Subscription {
        self.tabs.subscribe(on_notice)
    }

    /// Every board kept in this browser, newest first. One that cannot be read is listed with
    /// the reason.
    pub async fn list(&self) -> Result<Vec<BoardSummary>, StorageError> {
        let mut list = Vec::new();
        for stream in self.storage.boards().await? {
            list.push(self.summary(stream).await);
        }
        // Ids are time-ordered.
        list.sort_by_key(|b| std::cmp::Reverse(b.stream));
        Ok(list)
    }

    /// A board's tile: from its stored summary while that still describes its log, else read
    /// whole once and kept, so the list costs the same however long each board's history.
    async fn summary(&self, stream: Uuid) -> BoardSummary {
        if let Ok((state, Some(stored))) = self.storage.summary(stream).await
            && stored.revision == state.revision
        {
            return BoardSummary::from_stored(stream, stored);
        }
        match boards::open(&self.storage, stream).await {
            Ok(opened) => {
                let stored = summary_of(&opened.projections, opened.state.revision, opened.problems.first().cloned());
                // The list works without it; the next one reads the board again.
                let _ = self.storage.put_summary(stream, &stored).await;
                BoardSummary::from_stored(stream, stored)
            }
            Err(e) => BoardSummary {
                stream,
                name: "Unreadable board".to_owned(),
                cards: 0,
                events: 0,
                last_change: None,
                problem: Some(format!("This board could not be read: {e}")),
            },
        }
    }

    /// Makes a new private board with three columns and starts syncing it. Returns its id.
    pub async fn create(&self, name: &str, device_name: &str) -> Result<Uuid, CommandError> {
        let name = if name.trim().is_empty() { "Untitled board" } else { name };
        let stream = new_id();
        self.make_private(stream).await?;
        let command = Command::CreateBoard { name: name.to_owned(), columns: [new_id(), new_id(), new_id()] };
        self.run_on(self.new_board(stream), command, device_name).await?;
        Ok(stream)
    }

    /// Keeps a new key for the new board `stream`: every event of it is sealed before it is
    /// stored. Without a secure generator and WebCrypto, no board is made.
    async fn make_private(&self, stream: Uuid) -> Result<(), KeyError> {
        let raw = BoardKey::generate()?;
        // Imported before it is kept, so that a browser that cannot use it keeps nothing.
        self.keys.import(raw).await?;
        self.storage.set_board_key(stream, &raw).await?;
        Ok(())
    }

    /// Runs one command on a board that is not open here (renaming it from the list, say).
    pub async fn run(&self, stream: Uuid, command: Command, device_name: &str) -> Result<(), CommandError> {
        let opened = boards::open(&self.storage, stream).await?;
        let session =
            Session::new(stream, self.device, opened.projections, opened.snapshot_at, opened.state, opened.pending);
        self.run_on(session, command, device_name).await
    }

    /// A session over a board that has nothing stored yet.
    fn new_board(&self, stream: Uuid) -> Session {
        Session::new(stream, self.device, BoardProjections::default(), 0, LogState::default(), Vec::new())
    }

    async fn run_on(&self, session: Session, command: Command, device_name: &str) -> Result<(), CommandError> {
        let mut shown = session.saved().clone();
        let session = RefCell::new(session);
        session.borrow_mut().execute(&mut shown, command, device_name, now(), new_id)?;
        save(self, &session, |_| {}).await.map_err(|(error, _)| CommandError::NotSaved(error))
    }

    /// Turns a history file into a new private board, checked whole before anything is stored.
    /// Returns the new board's id.
    pub async fn import(&self, file: &web_sys::File) -> Result<Uuid, ImportFailed> {
        let size = file.size() as u64;
        if size > MAX_IMPORT_BYTES {
            return Err(ImportFailed::TooLarge(size));
        }
        let text = wasm_bindgen_futures::JsFuture::from(file.text())
            .await
            .ok()
            .and_then(|t| crate::text::string_of(&t))
            .ok_or(ImportFailed::Unreadable)?;
        self.import_text(&text).await
    }

    /// Turns a history (JSON lines) into a new private board.
    async fn import_text(&self, text: &str) -> Result<Uuid, ImportFailed> {
        let stream = new_id();
        let events = import_lines(text, stream, new_id)?;
        self.make_private(stream).await?;
        let session = RefCell::new(self.new_board(stream));
        session.borrow_mut().queue(events);
        save(self, &session, |_| {}).await.map_err(|(error, _)| ImportFailed::NotSaved(error))?;
        Ok(stream)
    }

    /// A board's whole history as a file of JSON lines.
    pub async fn export(&self, stream: Uuid) -> Result<String, StorageError> {
        let mut text = String::new();
        self.storage.read_all(stream, &mut |events, _| text.push_str(&export_lines(&events))).await?;
        Ok(text)
    }

    /// Brings a shared board here and syncs it; its events arrive from the server. A board this
    /// browser already syncs with another token keeps it, unless the server confirms that the
    /// link's token opens the board: a link never silently takes a working key away. The same
    /// holds for a private board's key: see [`BoardService::take_key`].
    pub async fn join(&self, link: &ShareLink) -> Result<Joined, KeyError> {
        let mut joined = match self.storage.sync_token(link.stream).await? {
            None => Joined::Added,
            Some(token) if token == link.token => Joined::AlreadyHere,
            Some(_) => match remote::opens(link.stream, &link.token).await {
                Ok(true) => Joined::KeyReplaced,
                Ok(false) => Joined::KeyRefused,
                Err(e) => Joined::NotChecked(e.to_string()),
            },
        };
        if let Some(raw) = link.key
            && !self.take_key(link.stream, raw).await?
        {
            joined = Joined::EncryptionKeyKept;
        }
        if matches!(joined, Joined::Added | Joined::KeyReplaced) {
            self.storage.set_sync_token(link.stream, &link.token).await?;
        }
        self.hub.watch(link.stream);
        Ok(joined)
    }

    /// Takes a link's key for a board, when the board has nothing yet or holds events sealed with
    /// that key: those that could not be opened are opened now, in place. A board with a key of
    /// its own, or kept in the clear, that holds nothing sealed with the link's key keeps what it
    /// has. Returns whether the board has the link's key now.
    async fn take_key(&self, stream: Uuid, raw: [u8; KEY_BYTES]) -> Result<bool, KeyError> {
        let key = self.keys.import(raw).await?;
        if self.storage.board_key(stream).await? == Some(raw) {
            return Ok(true);
        }
        let log = self.storage.load_all(stream).await?.tail;
        if !log.is_empty() && !log.iter().any(|e| sealed::sealed_with(e) == Some(key.id())) {
            return Ok(false);
        }
        self.storage.set_board_key(stream, &raw).await?;
        let opened = crypto::reopen(&key, &log).await;
        if !opened.is_empty() {
            let state = self.storage.replace_confirmed(stream, &opened).await?;
            self.tabs.publish(Notice::Written { stream, state });
        }
        Ok(true)
    }

    /// The link that brings a board to another device, once the board has reached the server;
    /// a private board's carries its key.
    pub async fn share_link(&self, stream: Uuid) -> Result<Option<ShareLink>, StorageError> {
        let token = self.storage.sync_token(stream).await?;
        let key = self.storage.board_key(stream).await?;
        Ok(token.map(|token| ShareLink { stream, token, key }))
    }

    /// Makes a private board of a board's whole history: a new board (new stream, token and key)
    /// whose events are sealed on the wire. The board itself is left as it is. Returns the new
    /// board's id.
    pub async fn private_copy(&self, stream: Uuid) -> Result<Uuid, ImportFailed> {
        let text = self.export(stream).await?;
        self.import_text(&text).await
    }

    /// Stops sharing a board: deletes its stream from the server, so that every link to it stops
    /// working, then makes a private copy of it here and removes it from this browser. The server
    /// is asked first: should that fail, nothing has changed. Returns the copy's id.
    pub async fn stop_sharing(&self, stream: Uuid) -> Result<Uuid, StopSharingError> {
        self.delete_from_server(stream).await.map_err(StopSharingError::Server)?;
        let copy = self.private_copy(stream).await?;
        self.remove(stream).await?;
        Ok(copy)
    }

    /// Deletes a board from this browser and, when `from_server`, from the server first (should
    /// that fail, nothing has changed).
    pub async fn delete_board(&self, stream: Uuid, from_server: bool) -> Result<(), DeleteError> {
        if from_server {
            self.delete_from_server(stream).await.map_err(DeleteError::Server)?;
        }
        Ok(self.remove(stream).await?)
    }

    /// Deletes a board's stream from the server, if it reached it; the reason in words if not.
    async fn delete_from_server(&self, stream: Uuid) -> Result<(), String> {
        let Some(token) = self.storage.sync_token(stream).await.map_err(|e| e.to_string())? else { return Ok(()) };
        match remote::delete(stream, &token).await {
            Ok(()) => Ok(()),
            // Deleted already (by another device, or an earlier attempt whose reply was lost).
            Err(e) if e.code() == Some(ErrorCode::StreamDeleted) => Ok(()),
            Err(e) => Err(e.to_string()),
        }
    }

    /// Removes a board and its history from this browser (and from the other tabs' lists); the
    /// server keeps its copy.
    pub async fn remove(&self, stream: Uuid) -> Result<(), StorageError> {
        self.hub.forget(stream);
        self.storage.remove_board(stream).await?;
        self.tabs.publish(Notice::Removed { stream });
        Ok(())
    }

    /// Starts opening a board: see [`Opening`].
    pub fn open(self: &Rc<Self>, stream: Uuid, on_arrived: impl Fn() + 'static) -> Opening {
        Opening::new(Rc::clone(self), stream, on_arrived)
    }
}

/// A step of the save sequence, as it happens.
enum Saving {
    /// A batch was written.
    Written,
    /// Another writer came first: this is the board as stored, with the queued work on top.
    Reread(Box<BoardProjections>),
}

/// The one save sequence. Writes what `session` has queued, a batch at a time, each at the
/// revision it was decided at, and tells every tab. When another writer came first, the board is
/// read again and the queued work replays on top of it, up to [`MAX_REREADS`] times in a row.
/// A snapshot is stored when one falls due, and the board list's summary once nothing is left to
/// write. Events are sealed with the key this tab last read for the board, and each write checks
/// that key against the stored one in its own transaction: when another tab made the board
/// private or a link brought its key meanwhile, the key is read again and the batch sealed with
/// it. `on_step` hears of each step. On failure the queued work is dropped; the error comes
/// back with the board as saved.
async fn save(
    service: &BoardService,
    session: &RefCell<Session>,
    mut on_step: impl FnMut(Saving),
) -> Result<(), (KeyError, BoardProjections)> {
    let BoardService { storage, tabs, keys, hub, .. } = service;
    let stream = session.borrow().stream();
    // The board's sync answers what this sequence writes once it is done.
    let _held = hub.hold(stream);
    let mut key = match keys.last_read(storage, stream).await {
        Ok(key) => key,
        Err(error) => return Err((error, session.borrow_mut().failed())),
    };
    let mut rereads = 0;
    let mut written = None;
    loop {
        let Some((revision, batch)) = session.borrow_mut().next_write() else {
            let Some(revision) = written.take() else { return Ok(()) };
            // Nor does a summary: without one, the board list reads the board again. What was
            // queued while it was written is taken on the next round.
            let summary = summary_of(session.borrow().saved(), revision, None);
            let _ = storage.put_summary_after_write(stream, &summary).await;
            continue;
        };
        // A private board's events are sealed first, then stored with their sealed forms:
        // IndexedDB transactions do not stay open across WebCrypto's promises.
        let sealed = match &key {
            Some(key) => match key.seal_all(&batch).await {
                Ok(sealed) => sealed,
                Err(error) => return Err((error.into(), session.borrow_mut().failed())),
            },
            None => Vec::new(),
        };
        let error = match storage.append(stream, revision, &batch, &sealed, key.as_ref().map(BoardKey::raw)).await {
            Ok(state) => {
                let snapshot = session.borrow_mut().written(state);
                tabs.publish(Notice::Written { stream, state });
                written = Some(state.revision);
                // The change is on disk: that is what "saved" tells; what follows only helps.
                on_step(Saving::Written);
                if let Some(snapshot) = snapshot {
                    // A snapshot only speeds up the next start; a failure to write one loses nothing.
                    let _ = storage.put_snapshot(stream, &snapshot).await;
                }
                continue;
            }
            Err(StorageError::KeyChanged) if rereads < MAX_REREADS => {
                // The board's key is not the one this tab last read: read it again and seal the
                // batch with it.
                rereads += 1;
                match keys.key(storage, stream).await {
                    Ok(now) => {
                        key = now;
                        session.borrow_mut().write_again();
                        continue;
                    }
                    Err(error) => return Err((error, session.borrow_mut().failed())),
                }
            }
            Err(StorageError::Conflict) if rereads < MAX_REREADS => {
                // Another tab, or the sync, wrote first: read what is stored and put this
                // session's changes after it, so that nothing is lost.
                rereads += 1;
                match boards::open(storage, stream).await {
                    Ok(opened) => {
                        let shown = session.borrow_mut().rebase_onto(opened.projections, opened.state, opened.pending);
                        on_step(Saving::Reread(Box::new(shown)));
                        continue;
                    }
                    Err(error) => error,
                }
            }
            Err(error) => error,
        };
        let saved = session.borrow_mut().failed();
        return Err((error.into(), saved));
    }
}

/// A first name for this device, from what the browser says it runs on: "Chrome on Linux".
/// The person can change it; it only needs to tell their devices apart in the activity feed.
fn guess_device_name() -> String {
    let agent = web_sys::window().and_then(|w| w.navigator().user_agent().ok()).unwrap_or_default();
    let browser = [("Edg/", "Edge"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"), ("Safari/", "Safari")]
        .iter()
        .find(|(token, _)| agent.contains(token))
        .map_or("Browser", |(_, name)| name);
    let system = [
        ("Android", "Android"),
        ("iPhone", "iPhone"),
        ("iPad", "iPad"),
        ("Mac OS", "Mac"),
        ("Windows", "Windows"),
        ("CrOS", "ChromeOS"),
        ("Linux", "Linux"),
    ]
    .iter()
    .find(|(token, _)| agent.contains(token))
    .map_or("this device", |(_, name)| name);
    format!("{browser} on {system}")
}
