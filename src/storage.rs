//! Everything Chronicle keeps in the browser, in IndexedDB.
//!
//! A board's log is its **confirmed** events, in the server's order, followed by its **pending**
//! events, recorded here and not yet confirmed, in the order they were made. Six object stores:
//! - `confirmed`: events the server has ordered. One record per batch of up to [`MAX_BATCH`]
//!   events, keyed `[stream, seq of its first event - 1]`, so records follow the server's order
//!   and two writers of the same events collide instead of doubling them.
//! - `events`: the pending events (the store keeps the name of the first layout, when every event
//!   was pending). One record per command, keyed `[stream, revision]`, where the revision is a
//!   per-stream counter bumped by every write: keys follow the order the events were made in.
//!   A pending event leaves this store only in the transaction that adds it to `confirmed`.
//! - `sealed` (layout 6): on a private board, the sealed forms of a pending record's events, made
//!   before it was written and pushed unchanged on every retry, keyed as the record and written,
//!   rewritten and deleted in the same transactions as it. Kept apart so that a reload, which
//!   reads every pending record, does not read them too (ADR 0013); a record written by an
//!   earlier layout keeps its forms inside (`sealed`), and both are read.
//! - `meta`: device id and name, the list of local boards (`board/<id>`), each board's log state
//!   (`log/<id>`: an object `{revision, confirmed}`; JSON text before layout 3), how many of its
//!   events are pending (`pending-count/<id>`: `[revision, confirmed, count]`, kept by every
//!   write and holding only while the log is at that state, ADR 0012), its sync credentials
//!   (`sync/<id>`), the key of a private board (`key/<id>`: its 32 raw bytes) and the summary the
//!   board list draws (`summary/<id>`).
//! - `snapshots`: the board's projections after its first `position` events, for a fast start;
//!   when they cover the whole log, also the log's state and its pending events' ids then, so
//!   that a start at that state reads nothing else (ADR 0014).
//! - `set_aside` (layout 4): pending records the server refused for good, moved here whole with
//!   the server's reason and their sealed forms inside, keyed as they were in `events`; no longer
//!   part of the board's log until the person takes them back (ADR 0006).
//!
//! Records hold the envelopes as one JSON text, exactly as they were written, plus their ids.
//! Pending records are indexed by id (`by_id`, unique: no event is stored twice); confirmed
//! records are found by `seq` through their keys, and have no index since layout 5 (one entry
//! per event made storing a catch-up several times slower, and nothing looked them up). Why JSON text for
//! events and snapshots and objects for small records: ADR 0005. A write states the
//! revision it was decided at; when another tab (or the sync) wrote in between, the write is
//! refused with [`StorageError::Conflict`] and the caller rereads and tries again.

use std::cell::{Cell, RefCell};
use std::collections::HashSet;
use std::ops::ControlFlow;
use std::rc::Rc;

use chronicle_board::IdMap;
use chronicle_core::sealed::KEY_BYTES;
use chronicle_core::{RawEnvelope, Rebased, Uuid};
use indexed_db_futures::database::{Database, ObjectStoreName};
use indexed_db_futures::error::{DomException, Error as IdbError, OpenDbError};
use indexed_db_futures::internals::SystemRepr;
use indexed_db_futures::prelude::*;
use indexed_db_futures::transaction::{Transaction, TransactionDurability, TransactionMode, TransactionOptions};
use indexed_db_futures::{KeyPath, KeyRange};
use js_sys::{Array, Object, Reflect, Uint8Array};
use serde::{Deserialize, Serialize};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};

use crate::text::string_of;

/// Name of the database the app uses.
pub const DATABASE: &str = "chronicle";
/// Version of the database layout.
const LAYOUT_VERSION: u32 = 6;
/// Most events kept in one record.
pub const MAX_BATCH: usize = 1000;

/// Prefix of the metadata keys that list local boards.
const BOARD_PREFIX: &str = "board/";
const LOG_PREFIX: &str = "log/";
const SYNC_PREFIX: &str = "sync/";
const PROPOSED_PREFIX: &str = "register/";
const SUMMARY_PREFIX: &str = "summary/";
const KEY_PREFIX: &str = "key/";
const COUNT_PREFIX: &str = "pending-count/";
const DEVICE_ID: &str = "device/id";
const DEVICE_NAME: &str = "device/name";

const CONFIRMED: &str = "confirmed";
const PENDING: &str = "events";
const META: &str = "meta";
const SNAPSHOTS: &str = "snapshots";
const SET_ASIDE: &str = "set_aside";
const SEALED: &str = "sealed";

/// Why the browser's storage could not do what was asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StorageError {
    /// IndexedDB is missing or refused to open (private mode, disabled storage, blocked upgrade).
    #[error("The browser's storage could not be opened: {0}")]
    Unavailable(String),
    /// The browser ran out of space for this site.
    #[error("The browser is out of storage space for Chronicle. Free some space, then try again.")]
    QuotaExceeded,
    /// Another tab (or the sync) wrote this board first; read again and retry.
    #[error("Another tab changed this board at the same moment. Reload to see both changes.")]
    Conflict,
    /// The board's key is no longer the one the events were sealed with (or it has one now and
    /// they were not sealed); read the key again and seal them with it.
    #[error("This board's encryption key changed while a change was being saved. Try again.")]
    KeyChanged,
    /// Any other failure of a read or a write. `name` is the browser's name for it (a
    /// DOMException's, such as `AbortError` or `InvalidStateError`), when it gave one.
    #[error("The browser's storage failed ({}): {message}", name.as_deref().unwrap_or("no reason given"))]
    Failed {
        /// The DOMException's name, if the failure was one.
        name: Option<String>,
        /// What the browser said.
        message: String,
    },
}

impl StorageError {
    fn failed(message: impl std::fmt::Display) -> StorageError {
        StorageError::Failed { name: None, message: message.to_string() }
    }
}

impl From<IdbError> for StorageError {
    fn from(error: IdbError) -> Self {
        match &error {
            IdbError::DomException(DomException::ConstraintError(_)) => StorageError::Conflict,
            IdbError::DomException(e) if dom_name(e) == "QuotaExceededError" => StorageError::QuotaExceeded,
            IdbError::DomException(e) => StorageError::Failed { name: Some(dom_name(e)), message: error.to_string() },
            _ => StorageError::failed(&error),
        }
    }
}

/// Why the database cannot be opened when a newer build has already upgraded it.
const NEWER_LAYOUT: &str =
    "a newer version of Chronicle has already updated this browser's data. Reload to get the newer version.";

impl From<OpenDbError> for StorageError {
    fn from(error: OpenDbError) -> Self {
        match error {
            OpenDbError::Base(IdbError::DomException(e)) if dom_name(&e) == "VersionError" => {
                StorageError::Unavailable(NEWER_LAYOUT.to_owned())
            }
            OpenDbError::NullFactory | OpenDbError::UnsupportedEnvironment => StorageError::Unavailable(
                "this browser offers no IndexedDB here (a private window may turn it off)".to_owned(),
            ),
            OpenDbError::Base(e) => StorageError::Unavailable(e.to_string()),
            other => StorageError::Unavailable(other.to_string()),
        }
    }
}

fn dom_name(error: &DomException) -> String {
    let js: &JsValue = error.as_ref();
    js.dyn_ref::<web_sys::DomException>().map(|e| e.name()).unwrap_or_default()
}

fn js_error(value: JsValue) -> StorageError {
    match value.dyn_ref::<web_sys::DomException>() {
        Some(e) => StorageError::Failed { name: Some(e.name()), message: e.message() },
        None => StorageError::failed(format!("{value:?}")),
    }
}

/// Where a board's stored log stands.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogState {
    /// Bumped by every change to what the board's log reads (a local write, events of others);
    /// a write must name the revision it was decided at.
    pub revision: u64,
    /// How many confirmed events are stored: the `seq` of the last one.
    pub confirmed: u64,
}

/// What was read for one board: the newest usable snapshot, the events after it, and any record
/// that could not be read (reported, never fatal).
#[derive(Debug, Clone, Default)]
pub struct Loaded {
    /// A snapshot's text and the number of events it covers.
    pub snapshot: Option<StoredSnapshot>,
    /// Events after the snapshot (all of them without one), in log order.
    pub tail: Vec<RawEnvelope>,
    /// The log's state when it was read.
    pub state: LogState,
    /// Ids of the pending events, in order.
    pub pending: Vec<Uuid>,
    /// Records that could not be read, in words.
    pub problems: Vec<String>,
}

/// What [`Storage::read_all`] tells besides the events it hands over.
#[derive(Debug, Clone, Default)]
pub struct WholeLog {
    /// The log's state when it was read.
    pub state: LogState,
    /// Ids of the pending events, in order.
    pub pending: Vec<Uuid>,
    /// Records that could not be read, in words.
    pub problems: Vec<String>,
}

/// The part of a board's log after its first `from` confirmed events.
#[derive(Debug, Clone, Default)]
pub struct LogTail {
    /// Confirmed events with `seq > from`, in order.
    pub confirmed: Vec<RawEnvelope>,
    /// Every pending event, grouped as they were written (one group per command), in order.
    pub pending: Vec<Vec<RawEnvelope>>,
    /// The sealed forms kept with pending events of a private board, in no particular order.
    pub sealed: Vec<RawEnvelope>,
    /// The log's state when it was read.
    pub state: LogState,
    /// Records that could not be read, in words.
    pub problems: Vec<String>,
}

/// What follows the part of a board's log a reader holds: see [`Storage::tail`].
#[derive(Debug, Default)]
pub struct Followed {
    /// The log's state when it was read.
    pub state: LogState,
    /// How many of the log's first events the reader said it held.
    pub held: u64,
    /// Confirmed events after those the reader knew were confirmed, in order.
    pub confirmed: Vec<RawEnvelope>,
    /// Every pending event's id, in order; `None` when they are the reader's own past the
    /// confirmed events, unread: only confirmations in place happened since `known` (the revision
    /// stands, and as many events are pending as the reader held past the confirmed ones).
    pub pending: Option<Vec<Uuid>>,
    /// The pending events from the log's position `held` on, in order.
    pub after: Vec<RawEnvelope>,
    /// Records that could not be read, in words.
    pub problems: Vec<String>,
}

/// The first pending events of a board, and how many there are in all: see
/// [`Storage::pending_head`].
#[derive(Debug, Clone, Default)]
pub struct PendingHead {
    /// The log state, and the first records' events and sealed forms.
    pub tail: LogTail,
    /// Pending events in all, those of the head included.
    pub count: usize,
}

impl PendingHead {
    /// How many events the head holds.
    fn held(&self) -> usize {
        held(&self.tail)
    }

    /// The head after the log only grew: `more` is what follows it (nothing when it already held
    /// as many events as asked) at the log's state now, and `count` the pending events in all.
    pub fn grow(&mut self, more: LogTail, count: usize) {
        self.tail.state = more.state;
        self.tail.pending.extend(more.pending);
        self.tail.sealed.extend(more.sealed);
        self.tail.problems.extend(more.problems);
        self.count = count;
    }
}

fn held(tail: &LogTail) -> usize {
    tail.pending.iter().map(Vec::len).sum()
}

/// What [`Storage::pending_head`] found, against the head a reader already holds.
#[derive(Debug)]
pub enum HeadRead {
    /// The log is still as the reader's head was read.
    Unchanged,
    /// Events were only added since: the head reads as it did, followed by `more` (see
    /// [`PendingHead::grow`]).
    Grown {
        /// The log state now, and the records that follow the head when it held less than asked.
        more: LogTail,
        /// Pending events in all.
        count: usize,
    },
    /// The head, read now.
    Read(PendingHead),
}

/// What the board list shows of a board, kept so that the list never has to fold a board to draw
/// it. It holds for the log at `revision` only; the list reads the board again when the log has
/// moved on since.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredSummary {
    /// The log's revision it describes.
    pub revision: u64,
    /// The board's name, cut to the length the app lets anyone give a name.
    pub name: String,
    /// Live cards.
    pub cards: u64,
    /// Events in the log.
    pub events: u64,
    /// When the last event was made, by its device's clock, in milliseconds since the Unix epoch.
    pub last_change: Option<i64>,
    /// What could not be read when the board was last read whole, in words.
    pub problem: Option<String>,
}

/// Changes the server refused for good, set aside from the board's log: one command's events.
#[derive(Debug, Clone, PartialEq)]
pub struct SetAside {
    /// The events, as they were made.
    pub events: Vec<RawEnvelope>,
    /// What the server said, in words.
    pub reason: String,
    /// When they were set aside, by this device's clock.
    pub at: i64,
}

/// A stored snapshot of a board's projections.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredSnapshot {
    /// How many events of the log it covers.
    pub position: u64,
    /// The id of the last of them, so that a snapshot of another history is never trusted.
    pub last_event: Uuid,
    /// The projections, as written by `BoardProjections::to_snapshot`.
    pub text: String,
    /// The log it was made of, when it covers all of it (none from earlier builds).
    pub log: Option<SnapshotLog>,
}

/// The whole log a snapshot covers: the log's state then, and the ids of its pending events, in
/// order. While the log stands at that state, opening the board reads nothing else of it.
#[derive(Debug, Clone, PartialEq)]
pub struct SnapshotLog {
    /// The log's state when the snapshot was made.
    pub state: LogState,
    /// The ids of its pending events then.
    pub pending: Vec<Uuid>,
}

impl StoredSnapshot {
    /// The pending events' ids, when the snapshot covers the whole log at `state`.
    fn whole_log_at(&self, state: LogState) -> Option<&[Uuid]> {
        let log = self.log.as_ref().filter(|log| log.state == state)?;
        (self.position == state.confirmed + log.pending.len() as u64).then_some(log.pending.as_slice())
    }
}

/// The open database.
#[derive(Debug)]
pub struct Storage {
    db: Database,
    live: Rc<Live>,
    on_pagehide: Closure<dyn Fn(web_sys::PageTransitionEvent)>,
}

/// The transactions under way. A page the browser puts in its back/forward cache is suspended
/// with them; WebKit keeps a suspended page's transactions open, and every other tab's then waits
/// behind them. So when the page is put aside they are aborted, as leaving the page would.
#[derive(Debug, Default)]
struct Live {
    next: Cell<u64>,
    open: RefCell<Vec<(u64, web_sys::IdbTransaction)>>,
}

impl Live {
    fn abort_all(&self) {
        for (_, tx) in self.open.take() {
            // One that has just finished cannot be aborted, and needs not be.
            let _ = tx.abort();
        }
    }
}

/// A transaction counted among the [`Live`] ones while this is held.
struct Held {
    live: Rc<Live>,
    id: u64,
}

impl Drop for Held {
    fn drop(&mut self) {
        self.live.open.borrow_mut().retain(|(id, _)| *id != self.id);
    }
}

/// What a transaction may do.
enum Access {
    Read,
    Write,
    /// Write, with the commit reported once the data is on disk (see [`strict`]).
    WriteStrict,
}

/// A transaction of [`Storage`], counted among the [`Live`] ones until it is dropped.
struct Tx<'a> {
    tx: Transaction<'a>,
    _held: Held,
}

impl<'a> std::ops::Deref for Tx<'a> {
    type Target = Transaction<'a>;

    fn deref(&self) -> &Transaction<'a> {
        &self.tx
    }
}

impl Tx<'_> {
    /// Commits, and stays counted until the commit is reported.
    async fn commit(self) -> Result<(), IdbError> {
        let Tx { tx, _held } = self;
        tx.commit().await
    }
}

impl Drop for Storage {
    fn drop(&mut self) {
        if let Some(window) = web_sys::window() {
            let _ = window.remove_event_listener_with_callback("pagehide", self.on_pagehide.as_ref().unchecked_ref());
        }
    }
}

fn set(object: &Object, key: &str, value: impl Into<JsValue>) -> Result<(), StorageError> {
    Reflect::set(object, &JsValue::from_str(key), &value.into()).map(|_| ()).map_err(js_error)
}

fn get(object: &JsValue, key: &str) -> JsValue {
    Reflect::get(object, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

fn record_key(stream: Uuid, first: u64) -> JsValue {
    Array::of2(&JsValue::from_str(&stream.to_string()), &JsValue::from_f64(first as f64)).into()
}

/// The greatest position a record key can hold (keys are JavaScript numbers).
const LAST_KEY: u64 = (1 << 53) - 1;

/// Every record key of `stream` from `from` on.
fn stream_range(stream: Uuid, from: u64) -> Result<KeyRange<JsValue>, StorageError> {
    keys_between(stream, from, LAST_KEY)
}

/// The record keys of `stream` from `from` to `to`, both included.
fn keys_between(stream: Uuid, from: u64, to: u64) -> Result<KeyRange<JsValue>, StorageError> {
    let range = web_sys::IdbKeyRange::bound(&record_key(stream, from), &record_key(stream, to)).map_err(js_error)?;
    Ok(KeyRange::Only(range.into()))
}

fn strict() -> TransactionOptions {
    // Strict durability: the commit is reported only once the data is on disk, so what the app
    // shows as saved survives a crash of the browser or of the machine.
    TransactionOptions::new().with_durability(TransactionDurability::Strict)
}

impl Storage {
    /// Opens (and on first use creates) the database called `name`. `on_blocked` runs when a tab
    /// with an older version of the app holds the database open and keeps it from upgrading.
    pub async fn open(name: &str, on_blocked: impl FnOnce() + 'static) -> Result<Storage, StorageError> {
        let db = Database::open(name)
            .with_version(LAYOUT_VERSION)
            .with_on_blocked(move |_| {
                on_blocked();
                Ok(())
            })
            .with_on_upgrade_needed(|event, db| upgrade(event.old_version(), &db))
            .await?;
        let live = Rc::new(Live::default());
        let on_pagehide = {
            let live = Rc::clone(&live);
            Closure::<dyn Fn(web_sys::PageTransitionEvent)>::new(move |event: web_sys::PageTransitionEvent| {
                if event.persisted() {
                    live.abort_all();
                }
            })
        };
        if let Some(window) = web_sys::window() {
            let _ = window.add_event_listener_with_callback("pagehide", on_pagehide.as_ref().unchecked_ref());
        }
        Ok(Storage { db, live, on_pagehide })
    }

    /// Calls `on_replaced` once when a newer version of the app, in another tab, needs to change
    /// the database's layout. This connection is closed first, so the upgrade can go ahead and
    /// nothing is written in the old layout after it; the page should then ask to be reloaded.
    pub fn on_replaced(&self, on_replaced: impl FnOnce() + 'static) -> Result<(), StorageError> {
        let mut changes = self.db.version_changes()?;
        let db = self.db.clone();
        wasm_bindgen_futures::spawn_local(async move {
            if changes.recv().await.is_some() {
                db.close();
                on_replaced();
            }
        });
        Ok(())
    }

    /// Closes the connection.
    pub fn close(self) {
        self.db.clone().close();
    }

    /// A transaction on `stores`, counted among those under way until it ends (see [`Live`]):
    /// every transaction of this storage is made here.
    fn transaction<S: ObjectStoreName>(&self, stores: S, access: Access) -> Result<Tx<'_>, StorageError> {
        let builder = self.db.transaction(stores);
        let tx = match access {
            Access::Read => builder.build()?,
            Access::Write => builder.with_mode(TransactionMode::Readwrite).build()?,
            Access::WriteStrict => builder.with_mode(TransactionMode::Readwrite).with_options(strict()).build()?,
        };
        let id = self.live.next.get();
        self.live.next.set(id + 1);
        // The browser's transaction under the crate's (its `internals` give it), to abort it.
        self.live.open.borrow_mut().push((id, (**tx.as_sys()).clone()));
        Ok(Tx { tx, _held: Held { live: Rc::clone(&self.live), id } })
    }

    /// Appends events made on this device to a board's pending events, in one transaction: all of
    /// them or none. `revision` is the log's revision they were decided at; if the log has changed
    /// since, nothing is written and the answer is [`StorageError::Conflict`]. The first write to
    /// a board also lists it among the local boards. `sealed` holds the events' sealed forms on a
    /// private board (none on a board in the clear), kept with them to be pushed, and `key` the
    /// key they were sealed with (`None` in the clear): if the board's stored key is another (a
    /// tab made the board private, or a link brought its key, since), nothing is written and the
    /// answer is [`StorageError::KeyChanged`]. The key is read with the log state, in the same
    /// transaction, so no change is ever stored in the clear on a board that has a key.
    pub async fn append(
        &self,
        stream: Uuid,
        revision: u64,
        events: &[RawEnvelope],
        sealed: &[RawEnvelope],
        key: Option<&[u8; KEY_BYTES]>,
    ) -> Result<LogState, StorageError> {
        let tx = self.transaction([PENDING, META, SEALED], Access::WriteStrict)?;
        let stored_key = tx.object_store(META)?.get(format!("{KEY_PREFIX}{stream}")).primitive()?;
        let (mut state, known, count) = log_state_counted(&tx, stream).await?;
        let stored_key: Option<JsValue> = stored_key.await?;
        if state.revision != revision {
            return Err(StorageError::Conflict);
        }
        // A stored value that is not a key (a damaged one) matches no key, and the caller's read
        // of the key then says what is wrong with it.
        let same_key = match (&stored_key, key) {
            (None, None) => true,
            (Some(stored), Some(key)) => key_bytes(stored).as_ref() == Some(key),
            _ => false,
        };
        if !same_key {
            return Err(StorageError::KeyChanged);
        }
        let meta = tx.object_store(META)?;
        if !known {
            meta.put(stream.to_string()).with_key(format!("{BOARD_PREFIX}{stream}")).primitive()?;
        }
        let forms = Forms::new(sealed);
        for chunk in events.chunks(MAX_BATCH) {
            add_pending(&tx, stream, state.revision, chunk, &forms)?;
            state.revision += chunk.len() as u64;
        }
        put_log_state(&tx, stream, state)?;
        recount(&tx, stream, count, state, events.len(), 0)?;
        tx.commit().await?;
        Ok(state)
    }

    /// Stores events the server has confirmed, in one transaction: `events` follow the stored
    /// confirmed events densely (their `seq`s go on from [`LogState::confirmed`]); the pending
    /// events `rebased` says they acknowledge leave the pending store, and the revision moves on
    /// unless the log reads as before. Lists the board (a board joined from another device starts
    /// this way). Returns the new state, or [`StorageError::Conflict`] when the events do not
    /// follow on (another tab stored them first).
    pub async fn confirm(
        &self,
        stream: Uuid,
        events: &[RawEnvelope],
        rebased: &Rebased,
    ) -> Result<LogState, StorageError> {
        // Default (relaxed) durability: should a crash lose this transaction, the events, the
        // acknowledgements and the cursor are lost together, and the next pull fetches them again.
        let tx = self.transaction([CONFIRMED, PENDING, META, SEALED], Access::Write)?;
        let (mut state, _, count) = log_state_counted(&tx, stream).await?;
        let mut removed = 0;
        let dense = events.iter().enumerate().all(|(i, e)| e.seq == Some(state.confirmed + 1 + i as u64));
        if !dense {
            return Err(StorageError::Conflict);
        }
        let confirmed = tx.object_store(CONFIRMED)?;
        for chunk in events.chunks(MAX_BATCH) {
            confirmed.add(batch_record(stream, state.confirmed, chunk)?).primitive()?;
            state.confirmed += chunk.len() as u64;
        }
        if !rebased.acknowledged.is_empty() {
            // Records whose events are now confirmed go; one partly confirmed keeps the rest. What
            // is acknowledged was pushed from the front of the pending events: records are read
            // from there, by their id lists, until every acknowledged event is found, and only a
            // record partly confirmed is decoded.
            let acknowledged: HashSet<Uuid> = rebased.acknowledged.iter().copied().collect();
            let mut unfound = acknowledged.len();
            let mut partly = Vec::new();
            each_pending(&tx, stream, 0, false, &mut |record| {
                let Ok(ids) = read_ids(&record) else { return Ok(ControlFlow::Continue(())) };
                let hits = ids.iter().filter(|id| acknowledged.contains(id)).count();
                unfound = unfound.saturating_sub(hits);
                if hits == ids.len() && hits > 0 {
                    delete_pending(&tx, stream, record_first(&record))?;
                    removed += hits;
                } else if hits > 0
                    && let Ok(batch) = read_batch(&record)
                {
                    partly.push(batch);
                }
                Ok(if unfound == 0 { ControlFlow::Break(()) } else { ControlFlow::Continue(()) })
            })
            .await?;
            for mut batch in partly {
                batch.sealed.extend(read_sealed(&tx, stream, batch.first, batch.first).await?);
                let left: Vec<RawEnvelope> =
                    batch.events.iter().filter(|e| !acknowledged.contains(&e.id)).cloned().collect();
                delete_pending(&tx, stream, batch.first)?;
                add_pending(&tx, stream, batch.first, &left, &Forms::new(&batch.sealed))?;
                removed += batch.events.len() - left.len();
            }
        }
        if !rebased.in_place {
            state.revision += 1;
        }
        put_log_state(&tx, stream, state)?;
        recount(&tx, stream, count, state, 0, removed)?;
        tx.object_store(META)?.put(stream.to_string()).with_key(format!("{BOARD_PREFIX}{stream}")).primitive()?;
        tx.commit().await?;
        Ok(state)
    }

    /// Writes a snapshot of a stream's projections.
    pub async fn put_snapshot(&self, stream: Uuid, snapshot: &StoredSnapshot) -> Result<(), StorageError> {
        let tx = self.transaction(SNAPSHOTS, Access::Write)?;
        tx.object_store(SNAPSHOTS)?.put(snapshot_record(snapshot)?).with_key(stream.to_string()).primitive()?;
        tx.commit().await?;
        Ok(())
    }

    /// Reads a board: its newest snapshot if it still matches the log, and the events after it.
    /// A snapshot that does not match (another history, a position past the end) is ignored.
    /// Events the snapshot holds are not decoded, only checked: a board imported or edited
    /// offline keeps its whole history pending, and a reload must not read it all again. A
    /// snapshot of the whole log, with the log still at the state it names, needs no record read.
    pub async fn load(&self, stream: Uuid) -> Result<Loaded, StorageError> {
        let tx = self.transaction([CONFIRMED, PENDING, META, SNAPSHOTS], Access::Read)?;
        let stored: Option<JsValue> = tx.object_store(SNAPSHOTS)?.get(stream.to_string()).primitive()?.await?;
        let mut problems = Vec::new();
        let snapshot = stored.and_then(|value| match read_snapshot(&value) {
            Some(s) => Some(s),
            None => {
                problems.push("A saved snapshot could not be read; the board was rebuilt from its events.".to_owned());
                None
            }
        });
        let (state, _) = log_state(&tx, stream).await?;
        if let Some(snapshot) = snapshot {
            // Every write moves the log state on: at the state the snapshot was made at, the
            // log is what it covered, and its records need not be read (a long backlog not yet
            // sent would otherwise be read for its ids on every start).
            if let Some(pending) = snapshot.whole_log_at(state).map(<[Uuid]>::to_vec) {
                return Ok(Loaded { snapshot: Some(snapshot), tail: Vec::new(), state, pending, problems });
            }
            let mut found = Vec::new();
            let confirmed = read_confirmed_past(&tx, stream, snapshot.position, &mut found).await?;
            let pending = read_pending_past(&tx, stream, state.confirmed, snapshot.position, &mut found).await?;
            let last = snapshot.position.checked_sub(1);
            let last_id = last.and_then(|at| match at.checked_sub(state.confirmed) {
                None => confirmed.last,
                Some(index) => pending.ids.get(index as usize).copied(),
            });
            if last_id == Some(snapshot.last_event) {
                let tail = confirmed.after.into_iter().chain(pending.after).collect();
                problems.extend(found);
                return Ok(Loaded { snapshot: Some(snapshot), tail, state, pending: pending.ids, problems });
            }
        }
        let tail = read_tail(&tx, stream, state, Some(0), &mut problems).await?;
        Ok(whole(tail, problems))
    }

    /// Reads a board's whole log, ignoring any snapshot.
    pub async fn load_all(&self, stream: Uuid) -> Result<Loaded, StorageError> {
        let mut tail = Vec::new();
        let log = self
            .read_all(stream, &mut |events, all| {
                tail.reserve(all.saturating_sub(tail.len()));
                tail.extend(events);
            })
            .await?;
        Ok(Loaded { snapshot: None, tail, state: log.state, pending: log.pending, problems: log.problems })
    }

    /// Reads a board's whole log, ignoring any snapshot, a part at a time (32 records, then up to
    /// 128 a request): `take` is given each record's events in log order as soon as they are read
    /// (with how many events the log holds in all, when that is kept, to make room for them once),
    /// so that neither the page nor the module holds the whole log twice, as text and as events.
    pub async fn read_all(
        &self,
        stream: Uuid,
        take: &mut dyn FnMut(Vec<RawEnvelope>, usize),
    ) -> Result<WholeLog, StorageError> {
        let tx = self.transaction([CONFIRMED, PENDING, META], Access::Read)?;
        let (state, _, count) = log_state_counted(&tx, stream).await?;
        let all = (state.confirmed + count.unwrap_or(0)) as usize;
        let mut log = WholeLog { state, pending: Vec::new(), problems: Vec::new() };
        for (store, pending) in [(CONFIRMED, false), (PENDING, true)] {
            each_record(&tx, store, stream, 0, Limits::WHOLE_LOG, &mut |record| {
                match read_events(&record) {
                    Ok((_, events)) => {
                        if pending {
                            log.pending.extend(events.iter().map(|e| e.id));
                        }
                        take(events, all);
                    }
                    Err(problem) => log.problems.push(problem),
                }
                Ok(ControlFlow::Continue(()))
            })
            .await?;
        }
        Ok(log)
    }

    /// Reads what follows a log known at `known`, for a reader that holds its first `held` events
    /// (the confirmed events it knew, then its pending ones): the confirmed events after its first
    /// `known.confirmed`, every pending event's id, and the pending events from position `held`
    /// on. Pending records wholly among those held give only their id lists, and none is read
    /// when only confirmations in place happened: after the sync confirmed a few events of a long
    /// backlog, nothing of the rest is read. When the log is still at `known`, only its state is
    /// read: nothing follows.
    pub async fn tail(&self, stream: Uuid, known: LogState, held: u64) -> Result<Followed, StorageError> {
        let tx = self.transaction([CONFIRMED, PENDING, META], Access::Read)?;
        let (state, _, count) = log_state_counted(&tx, stream).await?;
        let mut followed = Followed { state, held, ..Followed::default() };
        if state == known {
            return Ok(followed);
        }
        let from = known.confirmed;
        followed.confirmed = read_confirmed(&tx, stream, from, &mut followed.problems).await?;
        followed.confirmed.retain(|e| e.seq.is_some_and(|seq| seq > from));
        // Every change to the pending events but a confirmation in place moves the revision on;
        // a confirmation takes events out, so when as many are left as were held past the
        // confirmed ones, each event confirmed since was one of those held.
        if state.revision == known.revision && count == Some(held.saturating_sub(state.confirmed)) {
            return Ok(followed);
        }
        let pending = read_pending_past(&tx, stream, state.confirmed, held, &mut followed.problems).await?;
        followed.pending = Some(pending.ids);
        followed.after = pending.after;
        Ok(followed)
    }

    /// Reads the log state and every pending event with its sealed forms, without the confirmed
    /// events.
    pub async fn pending(&self, stream: Uuid) -> Result<LogTail, StorageError> {
        let tx = self.transaction([PENDING, META, SEALED], Access::Read)?;
        let (state, _) = log_state(&tx, stream).await?;
        let mut problems = Vec::new();
        let mut tail = read_tail(&tx, stream, state, None, &mut problems).await?;
        tail.sealed.extend(read_sealed(&tx, stream, 0, LAST_KEY).await?);
        tail.problems = problems;
        Ok(tail)
    }

    /// What a round of the sync reads of the pending events: the log state, the first records
    /// decoded with their sealed forms until they hold `head` events (a push sends no more), and
    /// how many pending events there are in all. The count is kept beside the log state by every
    /// write, so that a board edited offline for long, or imported, does not read its whole
    /// backlog after each change; where no write of this build kept it (the log was written by
    /// an earlier one), the records past the head are counted from their id lists, and the count
    /// is kept for the next round. Against `known`, the head a reader holds: nothing is read past
    /// the log state when the log is as it was, and when events were only added since, only what
    /// was added, as far as the head needs it.
    pub async fn pending_head(
        &self,
        stream: Uuid,
        head: usize,
        known: Option<&PendingHead>,
    ) -> Result<HeadRead, StorageError> {
        let tx = self.transaction([PENDING, META, SEALED], Access::Read)?;
        let (state, _, count) = log_state_counted(&tx, stream).await?;
        if known.is_some_and(|known| known.tail.state == state) {
            return Ok(HeadRead::Unchanged);
        }
        let Some(count) = count else {
            // No count kept: the head is read, and the records past it counted from their id lists.
            let mut found = PendingHead { tail: LogTail { state, ..LogTail::default() }, count: 0 };
            let mut taken = Taken::default();
            each_pending(&tx, stream, 0, true, &mut |record| {
                let counted = if found.count >= head {
                    read_ids(&record).map(|ids| ids.len())
                } else {
                    taken.take(&record, &mut found.tail)
                };
                match counted {
                    Ok(events) => found.count += events,
                    Err(problem) => found.tail.problems.push(problem),
                }
                Ok(ControlFlow::Continue(()))
            })
            .await?;
            taken.read_sealed(&tx, stream, &mut found.tail).await?;
            drop(tx);
            // Only the next round's speed depends on it: a failure to keep it loses nothing.
            let _ = self.keep_pending_count(stream, state, found.count).await;
            return Ok(HeadRead::Read(found));
        };
        if let Some(known) = known {
            // Every change but an append moves the revision on without adding as many events
            // (a confirmation moves the confirmed count): only appends make the two agree.
            let before = known.tail.state;
            let added = state.revision.checked_sub(before.revision);
            if state.confirmed == before.confirmed && added.is_some_and(|added| known.count as u64 + added == count) {
                // The head reads as it did; when it held less than asked (it held every record),
                // the records appended since follow it, from the revision it was read at.
                let mut more = LogTail { state, ..LogTail::default() };
                let wanted = head.saturating_sub(known.held());
                if wanted > 0 {
                    let added = (count as usize).saturating_sub(known.count);
                    read_records(&tx, stream, before.revision, wanted, added <= wanted, &mut more).await?;
                }
                return Ok(HeadRead::Grown { more, count: count as usize });
            }
        }
        let mut found = PendingHead { tail: LogTail { state, ..LogTail::default() }, count: count as usize };
        read_records(&tx, stream, 0, head, count as usize <= head, &mut found.tail).await?;
        Ok(HeadRead::Read(found))
    }

    /// Keeps a count of pending events made by reading them, unless the log moved on meanwhile.
    async fn keep_pending_count(&self, stream: Uuid, counted: LogState, count: usize) -> Result<(), StorageError> {
        let tx = self.transaction([PENDING, META], Access::Write)?;
        if log_state(&tx, stream).await?.0 == counted {
            put_pending_count(&tx, stream, counted, count as u64)?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Where a board's log stands.
    pub async fn log_state(&self, stream: Uuid) -> Result<LogState, StorageError> {
        let tx = self.transaction([PENDING, META], Access::Read)?;
        Ok(log_state(&tx, stream).await?.0)
    }

    /// Finds a confirmed event by its server position in a stream.
    pub async fn event_by_seq(&self, stream: Uuid, seq: u64) -> Result<Option<RawEnvelope>, StorageError> {
        if seq == 0 {
            return Ok(None);
        }
        // A record keyed `[stream, first]` holds at most MAX_BATCH events from `seq = first + 1`.
        let tx = self.transaction(CONFIRMED, Access::Read)?;
        let range = web_sys::IdbKeyRange::bound(
            &record_key(stream, seq.saturating_sub(MAX_BATCH as u64)),
            &record_key(stream, seq - 1),
        )
        .map_err(js_error)?;
        let store = tx.object_store(CONFIRMED)?;
        let records = store.get_all::<JsValue>().with_query::<JsValue, _>(KeyRange::Only(range.into())).primitive()?;
        for record in records.await? {
            if let Some(event) =
                read_batch(&record?).ok().and_then(|b| b.events.into_iter().find(|e| e.seq == Some(seq)))
            {
                return Ok(Some(event));
            }
        }
        Ok(None)
    }

    /// The token that opens a board's stream on the server, once it is registered or joined.
    pub async fn sync_token(&self, stream: Uuid) -> Result<Option<String>, StorageError> {
        self.meta(&format!("{SYNC_PREFIX}{stream}")).await
    }

    /// Keeps a board's stream token and lists the board (a joined board has no events yet).
    pub async fn set_sync_token(&self, stream: Uuid, token: &str) -> Result<(), StorageError> {
        let tx = self.transaction(META, Access::Write)?;
        let store = tx.object_store(META)?;
        store.put(token).with_key(format!("{SYNC_PREFIX}{stream}")).primitive()?;
        store.put(stream.to_string()).with_key(format!("{BOARD_PREFIX}{stream}")).primitive()?;
        store.delete(format!("{PROPOSED_PREFIX}{stream}")).primitive()?;
        tx.commit().await?;
        Ok(())
    }

    /// The token this browser made for a board's stream and is registering with the server, until
    /// the server has said yes.
    pub async fn proposed_token(&self, stream: Uuid) -> Result<Option<String>, StorageError> {
        self.meta(&format!("{PROPOSED_PREFIX}{stream}")).await
    }

    /// Keeps a token made here for a board's stream before it is sent to the server, so that a
    /// registration whose reply is lost can be sent again with the same token.
    pub async fn propose_token(&self, stream: Uuid, token: &str) -> Result<(), StorageError> {
        self.set_meta(&[(&format!("{PROPOSED_PREFIX}{stream}"), token)]).await
    }

    /// The key of a private board; `None` for a board in the clear.
    pub async fn board_key(&self, stream: Uuid) -> Result<Option<[u8; KEY_BYTES]>, StorageError> {
        let tx = self.transaction(META, Access::Read)?;
        let value: Option<JsValue> = tx.object_store(META)?.get(format!("{KEY_PREFIX}{stream}")).primitive()?.await?;
        let Some(value) = value else { return Ok(None) };
        key_bytes(&value).map(Some).ok_or_else(|| StorageError::failed("this board's stored key is damaged"))
    }

    /// Keeps the key of a private board, as its raw bytes.
    pub async fn set_board_key(&self, stream: Uuid, key: &[u8; KEY_BYTES]) -> Result<(), StorageError> {
        let tx = self.transaction(META, Access::Write)?;
        let value: JsValue = Uint8Array::from(&key[..]).into();
        tx.object_store(META)?.put(&value).with_key(format!("{KEY_PREFIX}{stream}")).primitive()?;
        tx.commit().await?;
        Ok(())
    }

    /// Puts `opened` in place of the confirmed events with the same ids: events kept sealed that
    /// the board's key now opens. One transaction; the revision moves on and the snapshot goes,
    /// since the log reads differently now. Returns the new state.
    pub async fn replace_confirmed(&self, stream: Uuid, opened: &[RawEnvelope]) -> Result<LogState, StorageError> {
        let tx = self.transaction([CONFIRMED, META, SNAPSHOTS], Access::Write)?;
        let (mut state, _, count) = log_state_counted(&tx, stream).await?;
        let by_id: std::collections::HashMap<Uuid, &RawEnvelope> = opened.iter().map(|e| (e.id, e)).collect();
        let confirmed = tx.object_store(CONFIRMED)?;
        let records = confirmed.get_all::<JsValue>().with_query::<JsValue, _>(stream_range(stream, 0)?);
        let mut changed = false;
        for record in records.primitive()?.await? {
            let Ok(batch) = read_batch(&record?) else { continue };
            if !batch.events.iter().any(|e| by_id.contains_key(&e.id)) {
                continue;
            }
            let events: Vec<RawEnvelope> = batch
                .events
                .into_iter()
                .map(|e| match by_id.get(&e.id) {
                    Some(opened) => RawEnvelope { seq: e.seq, ..(*opened).clone() },
                    None => e,
                })
                .collect();
            confirmed.put(batch_record(stream, batch.first, &events)?).primitive()?;
            changed = true;
        }
        if changed {
            state.revision += 1;
            put_log_state(&tx, stream, state)?;
            recount(&tx, stream, count, state, 0, 0)?;
            tx.object_store(SNAPSHOTS)?.delete(stream.to_string()).primitive()?;
        }
        tx.commit().await?;
        Ok(state)
    }

    /// Removes a board from this browser: its events, set-aside changes, snapshot, credentials,
    /// key and summary, in one transaction. The board is no longer listed.
    pub async fn remove_board(&self, stream: Uuid) -> Result<(), StorageError> {
        let tx = self.transaction([CONFIRMED, PENDING, META, SNAPSHOTS, SET_ASIDE, SEALED], Access::WriteStrict)?;
        for store in [CONFIRMED, PENDING, SET_ASIDE, SEALED] {
            tx.object_store(store)?.delete::<KeyRange<JsValue>, _>(stream_range(stream, 0)?).primitive()?;
        }
        let meta = tx.object_store(META)?;
        for prefix in [BOARD_PREFIX, LOG_PREFIX, COUNT_PREFIX, SYNC_PREFIX, PROPOSED_PREFIX, SUMMARY_PREFIX, KEY_PREFIX]
        {
            meta.delete(format!("{prefix}{stream}")).primitive()?;
        }
        tx.object_store(SNAPSHOTS)?.delete(stream.to_string()).primitive()?;
        tx.commit().await?;
        Ok(())
    }

    /// Whether a board is kept in this browser.
    pub async fn is_listed(&self, stream: Uuid) -> Result<bool, StorageError> {
        Ok(self.meta(&format!("{BOARD_PREFIX}{stream}")).await?.is_some())
    }

    /// Keeps sealed forms for pending events that had none (a record whose sealed forms could
    /// not be read), beside the records that hold them. Records that changed meanwhile are left.
    pub async fn keep_sealed(&self, stream: Uuid, sealed: &[RawEnvelope]) -> Result<(), StorageError> {
        let tx = self.transaction([PENDING, SEALED], Access::Write)?;
        let pending = tx.object_store(PENDING)?;
        let records = pending.get_all::<JsValue>().with_query::<JsValue, _>(stream_range(stream, 0)?);
        for record in records.primitive()?.await? {
            let Ok(batch) = read_batch(&record?) else { continue };
            if batch.events.iter().any(|e| sealed.iter().any(|s| s.id == e.id)) {
                let kept = read_sealed(&tx, stream, batch.first, batch.first).await?;
                let all: Vec<RawEnvelope> = kept.into_iter().chain(sealed.iter().cloned()).collect();
                put_sealed(&tx, stream, batch.first, &batch.events, &Forms::new(&all))?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// Moves the pending records that hold any of `ids` out of the board's log into the set-aside
    /// store, with `reason`, in one transaction; the log's revision moves on, since it reads
    /// differently now. Returns the new state; a record already confirmed is left alone.
    pub async fn set_aside(&self, stream: Uuid, ids: &[Uuid], reason: &str, at: i64) -> Result<LogState, StorageError> {
        let tx = self.transaction([PENDING, META, SET_ASIDE, SEALED], Access::WriteStrict)?;
        let (mut state, _, count) = log_state_counted(&tx, stream).await?;
        let pending = tx.object_store(PENDING)?;
        let aside = tx.object_store(SET_ASIDE)?;
        let records = pending.get_all::<JsValue>().with_query::<JsValue, _>(stream_range(stream, 0)?);
        let mut moved = 0;
        for record in records.primitive()?.await? {
            let record = record?;
            let Ok(batch) = read_batch(&record) else { continue };
            if batch.events.iter().any(|e| ids.contains(&e.id)) {
                // A set-aside record keeps its sealed forms inside, as every pending record did
                // before layout 6.
                let kept = read_sealed(&tx, stream, batch.first, batch.first).await?;
                let all: Vec<RawEnvelope> = batch.sealed.into_iter().chain(kept).collect();
                if let Some(text) = Forms::new(&all).text_for(&batch.events)? {
                    set(record.unchecked_ref(), "sealed", text)?;
                }
                set(record.unchecked_ref(), "reason", reason)?;
                set(record.unchecked_ref(), "at", at as f64)?;
                aside.put(&record).primitive()?;
                delete_pending(&tx, stream, batch.first)?;
                moved += batch.events.len();
            }
        }
        if moved > 0 {
            state.revision += 1;
            put_log_state(&tx, stream, state)?;
            recount(&tx, stream, count, state, 0, moved)?;
        }
        tx.commit().await?;
        Ok(state)
    }

    /// The board's changes set aside, oldest first; one that cannot be read is left out.
    pub async fn set_aside_changes(&self, stream: Uuid) -> Result<Vec<SetAside>, StorageError> {
        let tx = self.transaction(SET_ASIDE, Access::Read)?;
        let aside = tx.object_store(SET_ASIDE)?;
        let records = aside.get_all::<JsValue>().with_query::<JsValue, _>(stream_range(stream, 0)?);
        let mut changes = Vec::new();
        for record in records.primitive()?.await? {
            let record = record?;
            if let Ok(batch) = read_batch(&record) {
                let reason = get(&record, "reason").as_string().unwrap_or_default();
                let at = get(&record, "at").as_f64().unwrap_or(0.0) as i64;
                changes.push(SetAside { events: batch.events, reason, at });
            }
        }
        Ok(changes)
    }

    /// Puts the board's set-aside changes back at the end of its pending events, to be pushed
    /// again, in one transaction. Returns the new state.
    pub async fn take_back(&self, stream: Uuid) -> Result<LogState, StorageError> {
        self.end_set_aside(stream, true).await
    }

    /// Lets the board's set-aside changes go: they are removed from this device.
    pub async fn let_go(&self, stream: Uuid) -> Result<LogState, StorageError> {
        self.end_set_aside(stream, false).await
    }

    async fn end_set_aside(&self, stream: Uuid, take_back: bool) -> Result<LogState, StorageError> {
        let tx = self.transaction([PENDING, META, SET_ASIDE, SEALED], Access::WriteStrict)?;
        let (mut state, _, count) = log_state_counted(&tx, stream).await?;
        let aside = tx.object_store(SET_ASIDE)?;
        let records = aside.get_all::<JsValue>().with_query::<JsValue, _>(stream_range(stream, 0)?);
        let mut changed = false;
        let mut added = 0;
        for record in records.primitive()?.await? {
            let record = record?;
            let first = record_first(&record);
            if take_back && let Ok(batch) = read_batch(&record) {
                add_pending(&tx, stream, state.revision, &batch.events, &Forms::new(&batch.sealed))?;
                state.revision += batch.events.len().max(1) as u64;
                added += batch.events.len();
            }
            aside.delete(record_key(stream, first)).primitive()?;
            changed = true;
        }
        if changed && take_back {
            put_log_state(&tx, stream, state)?;
            recount(&tx, stream, count, state, added, 0)?;
        }
        tx.commit().await?;
        Ok(state)
    }

    /// A board's log state and the summary last kept for it, if one was and it can be read.
    pub async fn summary(&self, stream: Uuid) -> Result<(LogState, Option<StoredSummary>), StorageError> {
        let tx = self.transaction([PENDING, META], Access::Read)?;
        let (state, _) = log_state(&tx, stream).await?;
        let stored: Option<JsValue> =
            tx.object_store(META)?.get(format!("{SUMMARY_PREFIX}{stream}")).primitive()?.await?;
        Ok((state, stored.and_then(|value| serde_wasm_bindgen::from_value(value).ok())))
    }

    /// Keeps a board's summary made when the board was read whole, unless the log has moved on past
    /// the revision it describes (another tab or the sync wrote meanwhile): a summary is never kept
    /// for a log it does not describe.
    pub async fn put_summary(&self, stream: Uuid, summary: &StoredSummary) -> Result<(), StorageError> {
        self.keep_summary(stream, summary, false).await
    }

    /// Keeps a board's summary made after a write, as [`Storage::put_summary`] does, keeping the
    /// problem found when the board was last read whole until it is read whole again.
    pub async fn put_summary_after_write(&self, stream: Uuid, summary: &StoredSummary) -> Result<(), StorageError> {
        self.keep_summary(stream, summary, true).await
    }

    async fn keep_summary(
        &self,
        stream: Uuid,
        summary: &StoredSummary,
        keep_problem: bool,
    ) -> Result<(), StorageError> {
        let tx = self.transaction([PENDING, META], Access::Write)?;
        let (state, _) = log_state(&tx, stream).await?;
        if state.revision != summary.revision {
            return Ok(());
        }
        let store = tx.object_store(META)?;
        let key = format!("{SUMMARY_PREFIX}{stream}");
        let mut summary = summary.clone();
        if keep_problem {
            let stored: Option<JsValue> = store.get(key.as_str()).primitive()?.await?;
            let stored: Option<StoredSummary> = stored.and_then(|value| serde_wasm_bindgen::from_value(value).ok());
            summary.problem = stored.and_then(|s| s.problem);
        }
        let record =
            summary.serialize(&serde_wasm_bindgen::Serializer::json_compatible()).map_err(StorageError::failed)?;
        store.put(record).with_key(key).primitive()?;
        tx.commit().await?;
        Ok(())
    }

    /// The boards kept in this browser, in no particular order.
    pub async fn boards(&self) -> Result<Vec<Uuid>, StorageError> {
        let entries = self.meta_with_prefix(BOARD_PREFIX).await?;
        Ok(entries.iter().filter_map(|(key, _)| key.strip_prefix(BOARD_PREFIX)?.parse().ok()).collect())
    }

    /// This device's id and name, once [`Storage::set_device`] has stored them.
    pub async fn device(&self) -> Result<Option<(Uuid, Option<String>)>, StorageError> {
        let Some(id) = self.meta(DEVICE_ID).await?.and_then(|id| id.parse().ok()) else { return Ok(None) };
        Ok(Some((id, self.meta(DEVICE_NAME).await?)))
    }

    /// Keeps this device's id and name.
    pub async fn set_device(&self, id: Uuid, name: &str) -> Result<(), StorageError> {
        self.set_meta(&[(DEVICE_ID, &id.to_string()), (DEVICE_NAME, name)]).await
    }

    /// Keeps this device's new name.
    pub async fn set_device_name(&self, name: &str) -> Result<(), StorageError> {
        self.set_meta(&[(DEVICE_NAME, name)]).await
    }

    /// Reads a metadata value.
    async fn meta(&self, key: &str) -> Result<Option<String>, StorageError> {
        let tx = self.transaction(META, Access::Read)?;
        let value: Option<JsValue> = tx.object_store(META)?.get(key).primitive()?.await?;
        Ok(value.and_then(|v| v.as_string()))
    }

    /// Writes metadata values, all in one transaction.
    async fn set_meta(&self, entries: &[(&str, &str)]) -> Result<(), StorageError> {
        let tx = self.transaction(META, Access::Write)?;
        let store = tx.object_store(META)?;
        for (key, value) in entries {
            store.put(*value).with_key(*key).primitive()?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Every metadata entry whose key starts with `prefix`, as (key, value).
    async fn meta_with_prefix(&self, prefix: &str) -> Result<Vec<(String, String)>, StorageError> {
        let tx = self.transaction(META, Access::Read)?;
        let store = tx.object_store(META)?;
        let range =
            web_sys::IdbKeyRange::bound(&JsValue::from_str(prefix), &JsValue::from_str(&format!("{prefix}\u{ffff}")))
                .map_err(js_error)?;
        let keys = store
            .get_all_keys::<JsValue>()
            .with_query::<JsValue, _>(KeyRange::Only(range.clone().into()))
            .primitive()?
            .await?;
        let values =
            store.get_all::<JsValue>().with_query::<JsValue, _>(KeyRange::Only(range.into())).primitive()?.await?;
        let mut entries = Vec::new();
        for (key, value) in keys.zip(values) {
            if let (Some(k), Some(v)) = (key?.as_string(), value?.as_string()) {
                entries.push((k, v));
            }
        }
        Ok(entries)
    }
}

/// Brings a database at layout `old` (0 when it is being made) to [`LAYOUT_VERSION`], one step at
/// a time, keeping every record. It runs in the browser's version-change transaction: when it
/// fails, the transaction is aborted, the open fails, and the old layout stays as it was.
fn upgrade(old: f64, db: &Database) -> Result<(), IdbError> {
    let keyed = || KeyPath::from(["stream", "first"]);
    if old < 1.0 {
        let pending = db.create_object_store(PENDING).with_key_path(keyed()).build()?;
        pending.create_index("by_id", KeyPath::from("ids")).with_unique(true).with_multi_entry(true).build()?;
        for store in [META, SNAPSHOTS] {
            db.create_object_store(store).build()?;
        }
        for store in [SET_ASIDE, CONFIRMED, SEALED] {
            db.create_object_store(store).with_key_path(keyed()).build()?;
        }
        return Ok(());
    }
    // Every earlier layout lacks the store of sealed forms (layout 6; pending records written
    // before keep theirs inside, ADR 0013). Made first, it gives the version-change transaction,
    // which the steps that change stores already there need. A later layout whose step adds no
    // store needs that transaction some other way.
    let sealed = db.create_object_store(SEALED).with_key_path(keyed()).build()?;
    let tx = sealed.transaction();
    // An index already gone (a database damaged by hand) is no reason to refuse the upgrade.
    let drop_index = |store: &str, index: &str| -> Result<(), IdbError> {
        let store = tx.object_store(store)?;
        if store.index_names().any(|name| name == index) {
            store.delete_index(index)?;
        }
        Ok(())
    };
    if old < 3.0 {
        // Layouts 1 and 2 indexed pending events by `seq`, which pending events never have and
        // nothing read.
        drop_index(PENDING, "by_seq")?;
    }
    if old < 4.0 {
        db.create_object_store(SET_ASIDE).with_key_path(keyed()).build()?;
    }
    if old < 2.0 {
        // Layout 1 kept only pending events: they stay where they are, and the log state of
        // their boards is worked out from them on first use. No index: records are keyed by
        // `seq` already, and every index entry costs time on the way in, a thousand per record.
        db.create_object_store(CONFIRMED).with_key_path(keyed()).build()?;
    } else if old < 5.0 {
        // Layouts 2 to 4 indexed confirmed events by id, which nothing read.
        drop_index(CONFIRMED, "by_id")?;
    }
    Ok(())
}

/// A board's log state, and whether it was stored (a board from layout 1 has none yet: its
/// revision is worked out from its pending records).
async fn log_state(tx: &Transaction<'_>, stream: Uuid) -> Result<(LogState, bool), StorageError> {
    let stored: Option<JsValue> = tx.object_store(META)?.get(format!("{LOG_PREFIX}{stream}")).primitive()?.await?;
    // Layouts 1 and 2 kept it as JSON text; layout 3 as an object, which the text is parsed to.
    let state = stored.and_then(|value| match value.as_string() {
        Some(text) => js_sys::JSON::parse(&text).ok().and_then(|value| serde_wasm_bindgen::from_value(value).ok()),
        None => serde_wasm_bindgen::from_value(value).ok(),
    });
    if let Some(state) = state {
        return Ok((state, true));
    }
    let pending = tx.object_store(PENDING)?;
    let records = pending.get_all::<JsValue>().with_query::<JsValue, _>(stream_range(stream, 0)?);
    let mut revision = 0;
    for record in records.primitive()?.await? {
        revision = revision.max(record_end(&record?));
    }
    Ok((LogState { revision, confirmed: 0 }, revision > 0))
}

/// A board's key as stored: its raw bytes, or `None` when the value is not a key.
fn key_bytes(stored: &JsValue) -> Option<[u8; KEY_BYTES]> {
    stored.dyn_ref::<Uint8Array>()?.to_vec().try_into().ok()
}

/// The log state, whether one was stored, and the pending events' count kept with it when it
/// holds for that state (a log that was never written holds none). Both are asked for at once.
/// The count is kept as `[revision, confirmed, count]`, the log state it was counted at first: it
/// holds only while the log is at that state (a build that did not keep it may have written
/// since).
async fn log_state_counted(tx: &Transaction<'_>, stream: Uuid) -> Result<(LogState, bool, Option<u64>), StorageError> {
    let kept = tx.object_store(META)?.get(format!("{COUNT_PREFIX}{stream}")).primitive()?;
    let (state, known) = log_state(tx, stream).await?;
    let kept: Option<JsValue> = kept.await?;
    if state == LogState::default() {
        return Ok((state, known, Some(0)));
    }
    let kept = kept.and_then(|value| value.dyn_into::<Array>().ok()).filter(|kept| kept.length() == 3);
    let number = |kept: &Array, at: u32| kept.get(at).as_f64().filter(|n| *n >= 0.0).map(|n| n as u64);
    let count = kept.and_then(|kept| {
        let counted = LogState { revision: number(&kept, 0)?, confirmed: number(&kept, 1)? };
        number(&kept, 2).filter(|_| counted == state)
    });
    Ok((state, known, count))
}

fn put_pending_count(tx: &Transaction<'_>, stream: Uuid, state: LogState, count: u64) -> Result<(), StorageError> {
    let [revision, confirmed, count] = [state.revision, state.confirmed, count].map(|n| JsValue::from_f64(n as f64));
    let kept = Array::of3(&revision, &confirmed, &count);
    tx.object_store(META)?.put(&kept).with_key(format!("{COUNT_PREFIX}{stream}")).primitive()?;
    Ok(())
}

/// In a write that moved the log on to `after`, adding `added` pending events and removing
/// `removed`: keeps the count up to date, when one was kept for the state the write read.
fn recount(
    tx: &Transaction<'_>,
    stream: Uuid,
    count: Option<u64>,
    after: LogState,
    added: usize,
    removed: usize,
) -> Result<(), StorageError> {
    match count {
        Some(count) => put_pending_count(tx, stream, after, (count + added as u64).saturating_sub(removed as u64)),
        None => Ok(()),
    }
}

/// Goes over the pending records of `stream` from key `from` on, in order, until `visit` breaks
/// or the records end: all at once when `all` (the caller knows it needs every one), or else one,
/// then four times as many each time, since a record holds one event or a thousand and the
/// caller may need only the first.
async fn each_pending(
    tx: &Transaction<'_>,
    stream: Uuid,
    from: u64,
    all: bool,
    visit: &mut dyn FnMut(JsValue) -> Result<ControlFlow<()>, StorageError>,
) -> Result<(), StorageError> {
    let limits = if all { Limits::ALL } else { Limits { first: 1, most: u32::MAX } };
    each_record(tx, PENDING, stream, from, limits, visit).await
}

/// How many records one request reads: `first` at first, then four times as many each time, up
/// to `most`.
#[derive(Debug, Clone, Copy)]
struct Limits {
    first: u32,
    most: u32,
}

impl Limits {
    /// Every record in one request.
    const ALL: Limits = Limits { first: u32::MAX, most: u32::MAX };
    /// A whole log read a part at a time: up to 128 records (about 40 MB of text) per request,
    /// which the page can let go of before the next one, rather than a million events' text
    /// (hundreds of megabytes) held at once.
    const WHOLE_LOG: Limits = Limits { first: 32, most: 128 };
}

/// Goes over the records of `stream` in `store` from key `from` on, in order, until `visit`
/// breaks or the records end, reading them `limits` at a time.
async fn each_record(
    tx: &Transaction<'_>,
    store: &str,
    stream: Uuid,
    mut from: u64,
    limits: Limits,
    visit: &mut dyn FnMut(JsValue) -> Result<ControlFlow<()>, StorageError>,
) -> Result<(), StorageError> {
    let store = tx.object_store(store)?;
    let mut limit = limits.first;
    loop {
        let records = store
            .get_all::<JsValue>()
            .with_query::<JsValue, _>(stream_range(stream, from)?)
            .with_limit(limit)
            .primitive()?
            .await?;
        let mut read = 0;
        for record in records {
            let record = record?;
            read += 1;
            from = record_first(&record) + 1;
            if visit(record)?.is_break() {
                return Ok(());
            }
        }
        if read < limit {
            return Ok(());
        }
        limit = limit.saturating_mul(4).min(limits.most);
    }
}

/// Reads the pending records of `stream` from key `from` on, in order, into `tail`, until it holds
/// `wanted` events more or the records end; `all` when there are no more than wanted.
async fn read_records(
    tx: &Transaction<'_>,
    stream: Uuid,
    from: u64,
    wanted: usize,
    all: bool,
    tail: &mut LogTail,
) -> Result<(), StorageError> {
    if wanted == 0 {
        return Ok(());
    }
    let goal = held(tail) + wanted;
    let mut taken = Taken::default();
    each_pending(tx, stream, from, all, &mut |record| {
        if let Err(problem) = taken.take(&record, tail) {
            tail.problems.push(problem);
        }
        Ok(if held(tail) >= goal { ControlFlow::Break(()) } else { ControlFlow::Continue(()) })
    })
    .await?;
    taken.read_sealed(tx, stream, tail).await
}

/// The keys of the pending records decoded onto a tail, first and last, whose sealed forms kept
/// in their own store are read after them.
#[derive(Default)]
struct Taken(Option<(u64, u64)>);

impl Taken {
    /// Decodes a pending record onto the end of `tail`, with the sealed forms kept inside it (by
    /// a layout before 6): how many events it held, or why it could not be read.
    fn take(&mut self, record: &JsValue, tail: &mut LogTail) -> Result<usize, String> {
        let batch = read_batch(record)?;
        let events = batch.events.len();
        self.0 = Some((self.0.map_or(batch.first, |(first, _)| first), batch.first));
        tail.pending.push(batch.events);
        tail.sealed.extend(batch.sealed);
        Ok(events)
    }

    /// Adds to `tail` the sealed forms kept for the records taken.
    async fn read_sealed(self, tx: &Transaction<'_>, stream: Uuid, tail: &mut LogTail) -> Result<(), StorageError> {
        if let Some((first, last)) = self.0 {
            tail.sealed.extend(read_sealed(tx, stream, first, last).await?);
        }
        Ok(())
    }
}

/// The sealed forms kept for the pending records of `stream` keyed from `first` to `last`.
async fn read_sealed(
    tx: &Transaction<'_>,
    stream: Uuid,
    first: u64,
    last: u64,
) -> Result<Vec<RawEnvelope>, StorageError> {
    let store = tx.object_store(SEALED)?;
    let entries = store.get_all::<JsValue>().with_query::<JsValue, _>(keys_between(stream, first, last)?);
    let mut sealed = Vec::new();
    for entry in entries.primitive()?.await? {
        sealed.extend(read_forms(&entry?));
    }
    Ok(sealed)
}

/// The sealed forms a value holds as JSON text (`sealed`): a record of an earlier layout, a
/// set-aside record, or an entry of the store of sealed forms. Forms that cannot be read are
/// left out: they are sealed again before they are pushed.
fn read_forms(value: &JsValue) -> Vec<RawEnvelope> {
    string_of(&get(value, "sealed")).and_then(|text| serde_json::from_str(&text).ok()).unwrap_or_default()
}

/// A private board's sealed forms, found by the id of the event each seals (the first, should
/// two seal the same event).
struct Forms<'a>(IdMap<&'a RawEnvelope>);

impl<'a> Forms<'a> {
    fn new(sealed: &'a [RawEnvelope]) -> Self {
        let mut forms = IdMap::default();
        for form in sealed {
            forms.entry(form.id).or_insert(form);
        }
        Forms(forms)
    }

    /// The forms that seal `events`, in their order, as JSON text; none when there are none.
    fn text_for(&self, events: &[RawEnvelope]) -> Result<Option<String>, StorageError> {
        let forms: Vec<&RawEnvelope> = events.iter().filter_map(|e| self.0.get(&e.id).copied()).collect();
        if forms.is_empty() {
            return Ok(None);
        }
        serde_json::to_string(&forms).map(Some).map_err(StorageError::failed)
    }
}

/// Adds a pending record of `events` at key `first`, and beside it, in their own store, the
/// `forms` that seal them: a reload reads the records, never the sealed forms (ADR 0013).
fn add_pending(
    tx: &Transaction<'_>,
    stream: Uuid,
    first: u64,
    events: &[RawEnvelope],
    forms: &Forms,
) -> Result<(), StorageError> {
    tx.object_store(PENDING)?.add(batch_record(stream, first, events)?).primitive()?;
    put_sealed(tx, stream, first, events, forms)
}

/// Keeps, beside the pending record at key `first`, the `forms` that seal its `events`.
fn put_sealed(
    tx: &Transaction<'_>,
    stream: Uuid,
    first: u64,
    events: &[RawEnvelope],
    forms: &Forms,
) -> Result<(), StorageError> {
    if let Some(text) = forms.text_for(events)? {
        let entry = Object::new();
        set(&entry, "stream", stream.to_string())?;
        set(&entry, "first", first as f64)?;
        set(&entry, "sealed", text)?;
        tx.object_store(SEALED)?.put(entry).primitive()?;
    }
    Ok(())
}

/// Deletes the pending record at key `first` and the sealed forms kept for it.
fn delete_pending(tx: &Transaction<'_>, stream: Uuid, first: u64) -> Result<(), StorageError> {
    tx.object_store(PENDING)?.delete(record_key(stream, first)).primitive()?;
    tx.object_store(SEALED)?.delete(record_key(stream, first)).primitive()?;
    Ok(())
}

fn put_log_state(tx: &Transaction<'_>, stream: Uuid, state: LogState) -> Result<(), StorageError> {
    let record = state.serialize(&serde_wasm_bindgen::Serializer::json_compatible()).map_err(StorageError::failed)?;
    tx.object_store(META)?.put(record).with_key(format!("{LOG_PREFIX}{stream}")).primitive()?;
    Ok(())
}

/// One stored record.
struct StoredBatch {
    first: u64,
    events: Vec<RawEnvelope>,
    /// The events' sealed forms, on a private board.
    sealed: Vec<RawEnvelope>,
}

/// Confirmed records from position `from` on (their events may start a little earlier; none
/// without `from`), and all pending records, of a log at `state` (read by the caller, in `tx`).
async fn read_tail(
    tx: &Transaction<'_>,
    stream: Uuid,
    state: LogState,
    from: Option<u64>,
    problems: &mut Vec<String>,
) -> Result<LogTail, StorageError> {
    let mut tail = LogTail { state, ..LogTail::default() };
    if let Some(from) = from {
        tail.confirmed = read_confirmed(tx, stream, from, problems).await?;
    }
    let pending = tx.object_store(PENDING)?;
    let records = pending.get_all::<JsValue>().with_query::<JsValue, _>(stream_range(stream, 0)?);
    for record in records.primitive()?.await? {
        match read_batch(&record?) {
            Ok(batch) => {
                tail.pending.push(batch.events);
                tail.sealed.extend(batch.sealed);
            }
            Err(problem) => problems.push(problem),
        }
    }
    Ok(tail)
}

/// Confirmed events from the record that holds position `from` on, in order: a record that ends
/// at `from` or before (by its id list) is not decoded.
async fn read_confirmed(
    tx: &Transaction<'_>,
    stream: Uuid,
    from: u64,
    problems: &mut Vec<String>,
) -> Result<Vec<RawEnvelope>, StorageError> {
    let start = from.saturating_sub(MAX_BATCH as u64);
    let confirmed = tx.object_store(CONFIRMED)?;
    let records = confirmed.get_all::<JsValue>().with_query::<JsValue, _>(stream_range(stream, start)?);
    let mut events = Vec::new();
    for record in records.primitive()?.await? {
        let record = record?;
        if from > 0 && record_end(&record) <= from {
            continue;
        }
        match read_events(&record) {
            Ok((_, batch)) => events.extend(batch),
            Err(problem) => problems.push(problem),
        }
    }
    Ok(events)
}

/// The confirmed events as a reader needs them that already holds the log's first `covered`
/// events: the id of the last of those, to check a snapshot against, and the events after them.
struct ConfirmedPast {
    last: Option<Uuid>,
    after: Vec<RawEnvelope>,
}

/// Reads the confirmed events of `stream` from position `covered` on, for a reader holding the
/// log's first `covered` events. The record that holds the last of those gives its id from its
/// id list when it ends there, and is decoded only when it holds later events too: a board
/// opened from a snapshot at the end of its log decodes no event at all. A record that cannot be
/// read is reported and left out, as [`read_tail`] does.
async fn read_confirmed_past(
    tx: &Transaction<'_>,
    stream: Uuid,
    covered: u64,
    problems: &mut Vec<String>,
) -> Result<ConfirmedPast, StorageError> {
    let confirmed = tx.object_store(CONFIRMED)?;
    // A record holds at most MAX_BATCH events: one that holds position `covered` starts after this.
    let start = covered.saturating_sub(MAX_BATCH as u64);
    let records = confirmed.get_all::<JsValue>().with_query::<JsValue, _>(stream_range(stream, start)?);
    let mut past = ConfirmedPast { last: None, after: Vec::new() };
    for record in records.primitive()?.await? {
        let record = record?;
        let end = record_end(&record);
        if end <= covered {
            if end == covered && record_len(&record) > 0 {
                match read_ids(&record) {
                    Ok(ids) => past.last = ids.last().copied(),
                    Err(problem) => problems.push(problem),
                }
            }
            continue;
        }
        match read_events(&record) {
            Ok((_, events)) => {
                for event in events {
                    match event.seq {
                        Some(seq) if seq == covered => past.last = Some(event.id),
                        Some(seq) if seq > covered => past.after.push(event),
                        _ => {}
                    }
                }
            }
            Err(problem) => problems.push(problem),
        }
    }
    Ok(past)
}

/// The pending events as a reader needs them that already holds the log's first `covered`
/// events: every id, in order, and the events from `covered` on.
struct PendingPast {
    ids: Vec<Uuid>,
    after: Vec<RawEnvelope>,
}

/// Reads the pending events of `stream`, which follow `confirmed` confirmed ones, for a reader
/// holding the first `covered` events of the log. A record wholly among those is checked to be
/// readable and gives its id list; the others are decoded. Sealed forms are not read. A record
/// that cannot be read is reported and left out, as [`read_tail`] does.
async fn read_pending_past(
    tx: &Transaction<'_>,
    stream: Uuid,
    confirmed: u64,
    covered: u64,
    problems: &mut Vec<String>,
) -> Result<PendingPast, StorageError> {
    let pending = tx.object_store(PENDING)?;
    let records = pending.get_all::<JsValue>().with_query::<JsValue, _>(stream_range(stream, 0)?);
    let mut past = PendingPast { ids: Vec::new(), after: Vec::new() };
    for record in records.primitive()?.await? {
        let record = record?;
        let at = confirmed + past.ids.len() as u64;
        if at + record_len(&record) <= covered {
            match read_ids(&record) {
                Ok(ids) => past.ids.extend(ids),
                Err(problem) => problems.push(problem),
            }
            continue;
        }
        match read_events(&record) {
            Ok((_, events)) => {
                past.ids.extend(events.iter().map(|e| e.id));
                past.after.extend(events.into_iter().skip(covered.saturating_sub(at) as usize));
            }
            Err(problem) => problems.push(problem),
        }
    }
    Ok(past)
}

fn pending_ids(tail: &LogTail) -> Vec<Uuid> {
    tail.pending.iter().flatten().map(|e| e.id).collect()
}

fn whole(tail: LogTail, problems: Vec<String>) -> Loaded {
    let pending = pending_ids(&tail);
    let state = tail.state;
    let events = tail.confirmed.into_iter().chain(tail.pending.into_iter().flatten()).collect();
    Loaded { snapshot: None, tail: events, state, pending, problems }
}

/// A record of `events` from position `first`.
fn batch_record(stream: Uuid, first: u64, events: &[RawEnvelope]) -> Result<JsValue, StorageError> {
    let record = Object::new();
    set(&record, "stream", stream.to_string())?;
    set(&record, "first", first as f64)?;
    // The ids go to JavaScript as one text, split there: a string handed over for each id cost
    // about a microsecond apiece, a tenth of a second of every 100k events stored.
    let mut joined = String::with_capacity(events.len() * (uuid::fmt::Hyphenated::LENGTH + 1));
    for (i, event) in events.iter().enumerate() {
        if i > 0 {
            joined.push(',');
        }
        joined.push_str(event.id.hyphenated().encode_lower(&mut Uuid::encode_buffer()));
    }
    let ids = if events.is_empty() { Array::new() } else { js_sys::JsString::from(joined).split(",") };
    set(&record, "ids", ids)?;
    let text = serde_json::to_string(events).map_err(StorageError::failed)?;
    set(&record, "events", text)?;
    Ok(record.into())
}

/// The key a record is stored at, after its stream.
fn record_first(record: &JsValue) -> u64 {
    get(record, "first").as_f64().unwrap_or(0.0) as u64
}

/// The key after a record's last event, from its id list, which is there even when its events
/// cannot be read.
fn record_end(record: &JsValue) -> u64 {
    record_first(record) + record_len(record)
}

/// How many events a record holds, from its id list.
fn record_len(record: &JsValue) -> u64 {
    get(record, "ids").dyn_into::<Array>().map_or(0, |ids| u64::from(ids.length()))
}

fn read_batch(record: &JsValue) -> Result<StoredBatch, String> {
    let (first, events) = read_events(record)?;
    Ok(StoredBatch { first, events, sealed: read_forms(record) })
}

/// A record's position and events.
fn read_events(record: &JsValue) -> Result<(u64, Vec<RawEnvelope>), String> {
    let first = get(record, "first").as_f64().ok_or("an event record has no position")?;
    let text = string_of(&get(record, "events")).ok_or("an event record has no events")?;
    let events = serde_json::from_str(&text).map_err(|e| unreadable(first, &e))?;
    Ok((first as u64, events))
}

/// The ids of a record's events, from its id list, once its events are there as a whole JSON
/// array: neither decoded nor copied out of JavaScript (a record cut short or overwritten with
/// other text is found; a change inside the text is found when the events are read).
fn read_ids(record: &JsValue) -> Result<Vec<Uuid>, String> {
    let first = get(record, "first").as_f64().ok_or("an event record has no position")?;
    let text: js_sys::JsString = get(record, "events").dyn_into().map_err(|_| "an event record has no events")?;
    let end = text.length().saturating_sub(1);
    if text.length() < 2 || text.char_code_at(0) != f64::from(b'[') || text.char_code_at(end) != f64::from(b']') {
        return Err(unreadable(first, &"the text is not a whole list of events"));
    }
    let ids = get(record, "ids").dyn_into::<Array>().map_err(|_| unreadable(first, &"it has no id list"))?;
    if ids.length() == 0 {
        return Ok(Vec::new());
    }
    String::from(ids.join(",")).split(',').map(|id| id.parse().map_err(|e| unreadable(first, &e))).collect()
}

fn unreadable(first: f64, why: &dyn std::fmt::Display) -> String {
    format!("The events stored at position {first} could not be read ({why}); they are kept as they are.")
}

fn snapshot_record(snapshot: &StoredSnapshot) -> Result<JsValue, StorageError> {
    let record = Object::new();
    set(&record, "position", snapshot.position as f64)?;
    set(&record, "last_event", snapshot.last_event.to_string())?;
    set(&record, "projections", snapshot.text.as_str())?;
    if let Some(log) = &snapshot.log {
        set(&record, "log_revision", log.state.revision as f64)?;
        set(&record, "log_confirmed", log.state.confirmed as f64)?;
        let ids: Vec<u8> = log.pending.iter().flat_map(|id| *id.as_bytes()).collect();
        set(&record, "pending_ids", Uint8Array::from(ids.as_slice()))?;
    }
    Ok(record.into())
}

fn read_snapshot(record: &JsValue) -> Option<StoredSnapshot> {
    let position = get(record, "position").as_f64()? as u64;
    let last_event = get(record, "last_event").as_string()?.parse().ok()?;
    let text = string_of(&get(record, "projections"))?;
    Some(StoredSnapshot { position, last_event, text, log: read_snapshot_log(record) })
}

/// The whole log a snapshot record covers, when it says so whole: a part missing or damaged
/// reads as none, and the log is then read to check the snapshot, as for an earlier build's.
fn read_snapshot_log(record: &JsValue) -> Option<SnapshotLog> {
    let revision = get(record, "log_revision").as_f64()? as u64;
    let confirmed = get(record, "log_confirmed").as_f64()? as u64;
    let ids = get(record, "pending_ids").dyn_into::<Uint8Array>().ok()?.to_vec();
    let (ids, rest) = ids.as_chunks::<16>();
    if !rest.is_empty() {
        return None;
    }
    let pending = ids.iter().map(|id| Uuid::from_bytes(*id)).collect();
    Some(SnapshotLog { state: LogState { revision, confirmed }, pending })
}
