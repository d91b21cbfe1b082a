//! Everything Chronicle keeps in the browser, in IndexedDB.
//!
//! Three object stores:
//! - `events`: the log. One record per appended batch (all events of one command, or up to
//!   [`MAX_BATCH`] events of a bulk append), keyed `[stream, first position]`. A record holds the
//!   envelopes as one JSON text, exactly as they were written, plus the ids (`by_id` index) and
//!   the server positions (`by_seq` index) of its events so either finds it. Records are only
//!   ever added, never overwritten: `add` refuses an existing key, so two writers racing for the
//!   same position fail instead of losing each other's events.
//! - `meta`: device id and name, the list of local boards, per-board sync cursors.
//! - `snapshots`: the board's projections after its first `position` events, for a fast start.

use chronicle_core::{RawEnvelope, Uuid};
use indexed_db_futures::database::Database;
use indexed_db_futures::error::{DomException, Error as IdbError, OpenDbError};
use indexed_db_futures::prelude::*;
use indexed_db_futures::transaction::{TransactionDurability, TransactionMode, TransactionOptions};
use indexed_db_futures::{KeyPath, KeyRange};
use js_sys::{Array, Object, Reflect};
use wasm_bindgen::{JsCast, JsValue};

/// Name of the database the app uses.
pub const DATABASE: &str = "chronicle";
/// Version of the database layout.
const LAYOUT_VERSION: u32 = 1;
/// Most events kept in one record of the `events` store.
pub const MAX_BATCH: usize = 1000;

/// Prefix of the metadata keys that list local boards.
pub const BOARD_PREFIX: &str = "board/";

const EVENTS: &str = "events";
const META: &str = "meta";
const SNAPSHOTS: &str = "snapshots";

/// Why the browser's storage could not do what was asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StorageError {
    /// IndexedDB is missing or refused to open (private mode, disabled storage, blocked upgrade).
    #[error("The browser's storage could not be opened: {0}")]
    Unavailable(String),
    /// The browser ran out of space for this site.
    #[error("The browser is out of storage space for Chronicle. Free some space, then try again.")]
    QuotaExceeded,
    /// Another tab wrote the same position first; reload to see its changes.
    #[error("Another tab changed this board at the same moment. Reload to see both changes.")]
    Conflict,
    /// Any other failure of a read or a write.
    #[error("The browser's storage failed: {0}")]
    Failed(String),
}

impl From<IdbError> for StorageError {
    fn from(error: IdbError) -> Self {
        match &error {
            IdbError::DomException(DomException::ConstraintError(_)) => StorageError::Conflict,
            IdbError::DomException(e) if dom_name(e) == "QuotaExceededError" => StorageError::QuotaExceeded,
            _ => StorageError::Failed(error.to_string()),
        }
    }
}

impl From<OpenDbError> for StorageError {
    fn from(error: OpenDbError) -> Self {
        match error {
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
    StorageError::Failed(format!("{value:?}"))
}

/// One stored batch of events.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredBatch {
    /// Position of its first event in the stream's local log, from 0.
    pub first: u64,
    /// Its envelopes, in order.
    pub events: Vec<RawEnvelope>,
}

/// What was read for one board: the newest usable snapshot, the events after it, and any record
/// that could not be read (reported, never fatal).
#[derive(Debug, Clone, Default)]
pub struct Loaded {
    /// A snapshot's text and the number of events it covers.
    pub snapshot: Option<StoredSnapshot>,
    /// Events after the snapshot (all of them without one), in log order.
    pub tail: Vec<RawEnvelope>,
    /// Where the next append goes: the end of the stored log, counting records that could not
    /// be read, so that nothing is ever written over or between them.
    pub total: u64,
    /// Records that could not be read, in words.
    pub problems: Vec<String>,
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
}

/// The open database.
#[derive(Debug)]
pub struct Storage {
    db: Database,
}

fn set(object: &Object, key: &str, value: impl Into<JsValue>) -> Result<(), StorageError> {
    Reflect::set(object, &JsValue::from_str(key), &value.into()).map(|_| ()).map_err(js_error)
}

fn get(object: &JsValue, key: &str) -> JsValue {
    Reflect::get(object, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

fn event_key(stream: Uuid, first: u64) -> JsValue {
    Array::of2(&JsValue::from_str(&stream.to_string()), &JsValue::from_f64(first as f64)).into()
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
            .with_on_upgrade_needed(|event, db| {
                if event.old_version() < 1.0 {
                    let events =
                        db.create_object_store(EVENTS).with_key_path(KeyPath::from(["stream", "first"])).build()?;
                    events
                        .create_index("by_id", KeyPath::from("ids"))
                        .with_unique(true)
                        .with_multi_entry(true)
                        .build()?;
                    events
                        .create_index("by_seq", KeyPath::from("seqs"))
                        .with_unique(true)
                        .with_multi_entry(true)
                        .build()?;
                    db.create_object_store(META).build()?;
                    db.create_object_store(SNAPSHOTS).build()?;
                }
                Ok(())
            })
            .await?;
        Ok(Storage { db })
    }

    /// Closes the connection.
    pub fn close(self) {
        self.db.close();
    }

    /// Appends events to a stream at `first`, the number of events it already holds, in one
    /// transaction together with an optional snapshot: all of it is written, or none. The first
    /// append to a stream also lists it among the local boards, in the same transaction.
    pub async fn append(
        &self,
        stream: Uuid,
        first: u64,
        events: &[RawEnvelope],
        snapshot: Option<&StoredSnapshot>,
    ) -> Result<(), StorageError> {
        // Strict durability: the commit is reported only once the events are on disk, so what the
        // app shows as saved survives a crash of the browser or of the machine.
        let tx = self
            .db
            .transaction([EVENTS, SNAPSHOTS, META])
            .with_mode(TransactionMode::Readwrite)
            .with_options(TransactionOptions::new().with_durability(TransactionDurability::Strict))
            .build()?;
        if first == 0 {
            tx.object_store(META)?.put(stream.to_string()).with_key(format!("{BOARD_PREFIX}{stream}")).primitive()?;
        }
        let store = tx.object_store(EVENTS)?;
        let mut at = first;
        for chunk in events.chunks(MAX_BATCH) {
            let record = batch_record(stream, at, chunk)?;
            store.add(record).primitive()?;
            at += chunk.len() as u64;
        }
        if let Some(snapshot) = snapshot {
            let snapshots = tx.object_store(SNAPSHOTS)?;
            snapshots.put(snapshot_record(snapshot)?).with_key(stream.to_string()).primitive()?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Writes a snapshot of a stream's projections.
    pub async fn put_snapshot(&self, stream: Uuid, snapshot: &StoredSnapshot) -> Result<(), StorageError> {
        let tx = self.db.transaction(SNAPSHOTS).with_mode(TransactionMode::Readwrite).build()?;
        tx.object_store(SNAPSHOTS)?.put(snapshot_record(snapshot)?).with_key(stream.to_string()).primitive()?;
        tx.commit().await?;
        Ok(())
    }

    /// Reads a board: its newest snapshot if it still matches the log, and the events after it.
    /// A snapshot that does not match (another history, a position past the end) is ignored.
    pub async fn load(&self, stream: Uuid) -> Result<Loaded, StorageError> {
        let tx = self.db.transaction([EVENTS, SNAPSHOTS]).build()?;
        let stored: Option<JsValue> = tx.object_store(SNAPSHOTS)?.get(stream.to_string()).primitive()?.await?;
        let mut problems = Vec::new();
        let snapshot = stored.and_then(|value| match read_snapshot(&value) {
            Some(s) => Some(s),
            None => {
                problems.push("A saved snapshot could not be read; the board was rebuilt from its events.".to_owned());
                None
            }
        });
        let from = snapshot.as_ref().map_or(0, |s| s.position.saturating_sub(MAX_BATCH as u64));
        let (batches, total) = self.read_batches(&tx, stream, from, &mut problems).await?;
        if let Some(s) = snapshot.filter(|s| covers(&batches, s)) {
            let tail = batches
                .into_iter()
                .flat_map(|b| {
                    let first = b.first;
                    b.events.into_iter().enumerate().map(move |(i, e)| (first + i as u64, e))
                })
                .filter(|(position, _)| *position >= s.position)
                .map(|(_, e)| e)
                .collect();
            return Ok(Loaded { snapshot: Some(s), tail, total, problems });
        }
        let (batches, total) =
            if from == 0 { (batches, total) } else { self.read_batches(&tx, stream, 0, &mut problems).await? };
        let tail = batches.into_iter().flat_map(|b| b.events).collect();
        Ok(Loaded { snapshot: None, tail, total, problems })
    }

    /// Reads a board's whole log, ignoring any snapshot.
    pub async fn load_all(&self, stream: Uuid) -> Result<Loaded, StorageError> {
        let tx = self.db.transaction(EVENTS).build()?;
        let mut problems = Vec::new();
        let (batches, total) = self.read_batches(&tx, stream, 0, &mut problems).await?;
        let tail = batches.into_iter().flat_map(|b| b.events).collect();
        Ok(Loaded { snapshot: None, tail, total, problems })
    }

    async fn read_batches(
        &self,
        tx: &indexed_db_futures::transaction::Transaction<'_>,
        stream: Uuid,
        from: u64,
        problems: &mut Vec<String>,
    ) -> Result<(Vec<StoredBatch>, u64), StorageError> {
        let range = web_sys::IdbKeyRange::bound(&event_key(stream, from), &event_key(stream, u64::MAX >> 11))
            .map_err(js_error)?;
        let store = tx.object_store(EVENTS)?;
        let records = store.get_all::<JsValue>().with_query::<JsValue, _>(KeyRange::Only(range.into())).primitive()?;
        let mut batches = Vec::new();
        let mut end = 0;
        for record in records.await? {
            let record = record?;
            end = end.max(record_end(&record));
            match read_batch(&record) {
                Ok(batch) => batches.push(batch),
                Err(problem) => problems.push(problem),
            }
        }
        Ok((batches, end))
    }

    /// Finds an event by its id.
    pub async fn event_by_id(&self, id: Uuid) -> Result<Option<RawEnvelope>, StorageError> {
        self.event_by_index("by_id", JsValue::from_str(&id.to_string()), |e| e.id == id).await
    }

    /// Finds an event by its server position in a stream.
    pub async fn event_by_seq(&self, stream: Uuid, seq: u64) -> Result<Option<RawEnvelope>, StorageError> {
        let key = Array::of2(&JsValue::from_str(&stream.to_string()), &JsValue::from_f64(seq as f64));
        self.event_by_index("by_seq", key.into(), |e| e.seq == Some(seq)).await
    }

    async fn event_by_index(
        &self,
        index: &str,
        key: JsValue,
        matches: impl Fn(&RawEnvelope) -> bool,
    ) -> Result<Option<RawEnvelope>, StorageError> {
        let tx = self.db.transaction(EVENTS).build()?;
        let store = tx.object_store(EVENTS)?;
        let record: Option<JsValue> = store.index(index)?.get(key).primitive()?.await?;
        Ok(record.and_then(|r| read_batch(&r).ok()).and_then(|b| b.events.into_iter().find(|e| matches(e))))
    }

    /// Reads a metadata value.
    pub async fn meta(&self, key: &str) -> Result<Option<String>, StorageError> {
        let tx = self.db.transaction(META).build()?;
        let value: Option<JsValue> = tx.object_store(META)?.get(key).primitive()?.await?;
        Ok(value.and_then(|v| v.as_string()))
    }

    /// Writes metadata values, all in one transaction.
    pub async fn set_meta(&self, entries: &[(&str, &str)]) -> Result<(), StorageError> {
        let tx = self.db.transaction(META).with_mode(TransactionMode::Readwrite).build()?;
        let store = tx.object_store(META)?;
        for (key, value) in entries {
            store.put(*value).with_key(*key).primitive()?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Every metadata entry whose key starts with `prefix`, as (key, value).
    pub async fn meta_with_prefix(&self, prefix: &str) -> Result<Vec<(String, String)>, StorageError> {
        let tx = self.db.transaction(META).build()?;
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

fn batch_record(stream: Uuid, first: u64, events: &[RawEnvelope]) -> Result<JsValue, StorageError> {
    let record = Object::new();
    let stream_id = stream.to_string();
    set(&record, "stream", stream_id.as_str())?;
    set(&record, "first", first as f64)?;
    let ids = Array::new();
    let seqs = Array::new();
    for event in events {
        ids.push(&JsValue::from_str(&event.id.to_string()));
        if let Some(seq) = event.seq {
            seqs.push(&Array::of2(&JsValue::from_str(&stream_id), &JsValue::from_f64(seq as f64)));
        }
    }
    set(&record, "ids", ids)?;
    set(&record, "seqs", seqs)?;
    let text = serde_json::to_string(events).map_err(|e| StorageError::Failed(e.to_string()))?;
    set(&record, "events", text)?;
    Ok(record.into())
}

/// The position after a record's last event, from its id list, which is there even when its
/// events cannot be read.
fn record_end(record: &JsValue) -> u64 {
    let first = get(record, "first").as_f64().unwrap_or(0.0) as u64;
    let count = get(record, "ids").dyn_into::<Array>().map_or(0, |ids| ids.length());
    first + u64::from(count)
}

fn read_batch(record: &JsValue) -> Result<StoredBatch, String> {
    let first = get(record, "first").as_f64().ok_or("an event record has no position")?;
    let text = get(record, "events").as_string().ok_or("an event record has no events")?;
    let events: Vec<RawEnvelope> = serde_json::from_str(&text).map_err(|e| {
        format!("The events stored at position {first} could not be read ({e}); they are kept as they are.")
    })?;
    Ok(StoredBatch { first: first as u64, events })
}

fn snapshot_record(snapshot: &StoredSnapshot) -> Result<JsValue, StorageError> {
    let record = Object::new();
    set(&record, "position", snapshot.position as f64)?;
    set(&record, "last_event", snapshot.last_event.to_string())?;
    set(&record, "projections", snapshot.text.as_str())?;
    Ok(record.into())
}

fn read_snapshot(record: &JsValue) -> Option<StoredSnapshot> {
    let position = get(record, "position").as_f64()? as u64;
    let last_event = get(record, "last_event").as_string()?.parse().ok()?;
    let text = get(record, "projections").as_string()?;
    Some(StoredSnapshot { position, last_event, text })
}

/// Whether the snapshot covers exactly the first `position` events of these batches.
fn covers(batches: &[StoredBatch], snapshot: &StoredSnapshot) -> bool {
    if snapshot.position == 0 {
        return false;
    }
    let last = snapshot.position - 1;
    batches
        .iter()
        .find(|b| b.first <= last && last < b.first + b.events.len() as u64)
        .is_some_and(|b| b.events[(last - b.first) as usize].id == snapshot.last_event)
}
