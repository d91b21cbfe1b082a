//! [`SqliteStore`]: the default store, one SQLite file in WAL mode.
//!
//! Writes go through one thread that owns the write connection. It takes every write waiting in
//! its queue, runs each in a savepoint of one transaction and commits them together, so that many
//! clients pushing at once share one `fsync` (group commit) while each batch still succeeds or
//! fails on its own. Reads run on a small pool of read connections, which WAL lets run while a
//! write is under way.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::thread;

use chronicle_protocol::MAX_PAGE_BYTES;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use tokio::sync::oneshot;
use uuid::Uuid;

use crate::protocol::same_envelope;
use crate::store::{Appended, NewEvent, Page, Store, StoreError, StoreFuture, StoreGauges, StoredEvent};

/// The layout this build writes; kept in `PRAGMA user_version`. Version 2 counts each stream's
/// bytes, for quotas; version 3 keeps deleted streams as tombstones (`deleted_at`).
const SCHEMA_VERSION: i64 = 3;

/// The schema, in SQL that PostgreSQL reads too (`BLOB` becomes `BYTEA` there).
const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS streams (
    id TEXT PRIMARY KEY,
    token_hash BLOB NOT NULL,
    head BIGINT NOT NULL DEFAULT 0,
    bytes BIGINT NOT NULL DEFAULT 0,
    deleted_at BIGINT
);
CREATE TABLE IF NOT EXISTS events (
    stream TEXT NOT NULL REFERENCES streams (id),
    seq BIGINT NOT NULL,
    id TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (stream, seq)
);
CREATE UNIQUE INDEX IF NOT EXISTS events_by_id ON events (stream, id);
";

/// From schema 1: streams learn how many bytes of envelopes they hold.
const SCHEMA_1_TO_2: &str = "
ALTER TABLE streams ADD COLUMN bytes BIGINT NOT NULL DEFAULT 0;
UPDATE streams SET bytes = (SELECT COALESCE(SUM(LENGTH(body)), 0) FROM events WHERE events.stream = streams.id);
";

/// From schema 2: a deleted stream keeps its row, with the time it was deleted.
const SCHEMA_2_TO_3: &str = "ALTER TABLE streams ADD COLUMN deleted_at BIGINT;";

/// How a store is run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreOptions {
    /// Most bytes of envelopes one stream may hold; a push past it is refused whole.
    pub max_stream_bytes: u64,
    /// Most writes waiting for the writer; past it, a write is refused as busy at once.
    pub write_queue: usize,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions { max_stream_bytes: 1 << 30, write_queue: 4096 }
    }
}

/// Most writes committed together.
const GROUP: usize = 64;
/// How often the write-ahead log is folded back into the database, off the write path.
const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_secs(1);
/// Read connections kept open.
const READERS: usize = 4;
/// Reads running at once, at most; more wait their turn instead of each taking a thread and a
/// connection of its own.
const MAX_READS: usize = 16;

enum Write {
    Create { stream: Uuid, token_hash: [u8; 32], reply: oneshot::Sender<Result<(), StoreError>> },
    Append { stream: Uuid, events: Vec<NewEvent>, reply: oneshot::Sender<Result<Appended, StoreError>> },
    Delete { stream: Uuid, reply: oneshot::Sender<Result<(), StoreError>> },
    Check { reply: oneshot::Sender<Result<(), StoreError>> },
}

/// Streams and events in one SQLite file.
#[derive(Clone)]
pub struct SqliteStore {
    writes: mpsc::SyncSender<Write>,
    /// Dropped with the last copy of the store, which stops the checkpoint thread.
    _checkpoints: Arc<mpsc::Sender<()>>,
    readers: Arc<Mutex<Vec<Connection>>>,
    reads: Arc<tokio::sync::Semaphore>,
    path: PathBuf,
    /// Writes sent to the writer and not yet taken by it.
    queued: Arc<AtomicUsize>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore").field("path", &self.path).finish_non_exhaustive()
    }
}

fn storage(error: impl std::fmt::Display) -> StoreError {
    StoreError::Storage(error.to_string())
}

fn connect(path: &Path) -> Result<Connection, StoreError> {
    let connection = Connection::open(path).map_err(storage)?;
    // WAL lets reads run during a write; FULL makes every acknowledged commit survive a power cut.
    connection
        .execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 5000;")
        .map_err(storage)?;
    Ok(connection)
}

impl SqliteStore {
    /// Opens the database at `path`, creating it (and its schema) if needed, with the default
    /// [`StoreOptions`].
    pub fn open(path: impl AsRef<Path>) -> Result<SqliteStore, StoreError> {
        Self::open_with(path, StoreOptions::default())
    }

    /// Opens the database at `path`, creating it (and its schema) if needed, and bringing a
    /// database of an earlier schema up to date in place.
    pub fn open_with(path: impl AsRef<Path>, options: StoreOptions) -> Result<SqliteStore, StoreError> {
        let path = path.as_ref().to_path_buf();
        let mut writer = connect(&path)?;
        let version: i64 = writer.query_row("PRAGMA user_version", [], |row| row.get(0)).map_err(storage)?;
        if version > SCHEMA_VERSION {
            return Err(StoreError::Storage(format!(
                "{} was written by a newer server (schema {version}); this one knows schema {SCHEMA_VERSION}",
                path.display()
            )));
        }
        let tx = writer.transaction_with_behavior(TransactionBehavior::Immediate).map_err(storage)?;
        // A new database (version 0) gets the whole schema below; an older one its steps.
        if version == 1 {
            tx.execute_batch(SCHEMA_1_TO_2).map_err(storage)?;
        }
        if (1..=2).contains(&version) {
            tx.execute_batch(SCHEMA_2_TO_3).map_err(storage)?;
        }
        tx.execute_batch(SCHEMA).map_err(storage)?;
        tx.pragma_update(None, "user_version", SCHEMA_VERSION).map_err(storage)?;
        tx.commit().map_err(storage)?;
        let readers = (0..READERS).map(|_| connect(&path)).collect::<Result<Vec<_>, _>>()?;
        // Checkpoints run on their own thread: left to SQLite, one would run inside whichever
        // commit crossed the threshold and make that push wait for it.
        writer.pragma_update(None, "wal_autocheckpoint", 0).map_err(storage)?;
        let checkpointer = connect(&path)?;
        let (stop, stopped) = mpsc::channel::<()>();
        thread::Builder::new()
            .name("sqlite-checkpoint".to_owned())
            .spawn(move || {
                while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(CHECKPOINT_EVERY) {
                    // PASSIVE never blocks the writer; what it cannot copy now, the next one does.
                    if let Err(e) = checkpointer.execute_batch("PRAGMA wal_checkpoint(PASSIVE);") {
                        tracing::warn!(error = %e, "a checkpoint failed");
                    }
                }
            })
            .map_err(storage)?;
        let (writes, queue) = mpsc::sync_channel(options.write_queue.max(1));
        let queued = Arc::new(AtomicUsize::new(0));
        let taken = Arc::clone(&queued);
        thread::Builder::new()
            .name("sqlite-writer".to_owned())
            .spawn(move || write_loop(writer, queue, options.max_stream_bytes, taken))
            .map_err(storage)?;
        Ok(SqliteStore {
            writes,
            _checkpoints: Arc::new(stop),
            readers: Arc::new(Mutex::new(readers)),
            reads: Arc::new(tokio::sync::Semaphore::new(MAX_READS)),
            path,
            queued,
        })
    }

    fn send(&self, write: Write) -> Result<(), StoreError> {
        // Counted before it is sent, so that the writer never takes one it was not told of.
        self.queued.fetch_add(1, Ordering::Relaxed);
        self.writes.try_send(write).map_err(|e| {
            self.queued.fetch_sub(1, Ordering::Relaxed);
            match e {
                mpsc::TrySendError::Full(_) => StoreError::Busy,
                mpsc::TrySendError::Disconnected(_) => StoreError::Storage("the writer thread has stopped".to_owned()),
            }
        })
    }

    async fn with_reader<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let readers = Arc::clone(&self.readers);
        let path = self.path.clone();
        let turn = Arc::clone(&self.reads).acquire_owned().await.map_err(storage)?;
        tokio::task::spawn_blocking(move || {
            let _turn = turn;
            let pooled = readers.lock().map_err(storage)?.pop();
            let mut connection = match pooled {
                Some(c) => c,
                None => connect(&path)?,
            };
            let result = work(&mut connection);
            let mut pool = readers.lock().map_err(storage)?;
            if pool.len() < READERS {
                pool.push(connection);
            }
            result
        })
        .await
        .map_err(storage)?
    }
}

fn write_loop(mut connection: Connection, queue: mpsc::Receiver<Write>, quota: u64, queued: Arc<AtomicUsize>) {
    while let Ok(first) = queue.recv() {
        let mut group = vec![first];
        while group.len() < GROUP {
            match queue.try_recv() {
                Ok(write) => group.push(write),
                Err(_) => break,
            }
        }
        queued.fetch_sub(group.len(), Ordering::Relaxed);
        commit_group(&mut connection, group, quota);
    }
}

enum Outcome {
    Created(oneshot::Sender<Result<(), StoreError>>, Result<(), StoreError>),
    Checked(oneshot::Sender<Result<(), StoreError>>, Result<(), StoreError>),
    Appended(oneshot::Sender<Result<Appended, StoreError>>, Result<Appended, StoreError>),
}

fn commit_group(connection: &mut Connection, group: Vec<Write>, quota: u64) {
    let mut outcomes = Vec::with_capacity(group.len());
    let committed = (|| -> Result<(), StoreError> {
        let mut tx = connection.transaction_with_behavior(TransactionBehavior::Immediate).map_err(storage)?;
        for write in group {
            // Each write runs in its own savepoint: one that fails is undone alone.
            let mut savepoint = tx.savepoint().map_err(storage)?;
            let outcome = match write {
                Write::Create { stream, token_hash, reply } => {
                    Outcome::Created(reply, create(&savepoint, stream, &token_hash))
                }
                Write::Delete { stream, reply } => Outcome::Created(reply, delete(&savepoint, stream)),
                Write::Append { stream, events, reply } => {
                    Outcome::Appended(reply, append(&savepoint, stream, &events, quota))
                }
                // Inside the group's write transaction, which already holds the write lock: an
                // update that matches nothing shows the tables can be written.
                Write::Check { reply } => Outcome::Checked(
                    reply,
                    savepoint.execute("UPDATE streams SET head = head WHERE id = ''", []).map(drop).map_err(storage),
                ),
            };
            let ok = matches!(&outcome, Outcome::Created(_, Ok(_)) | Outcome::Appended(_, Ok(_)));
            if ok {
                savepoint.commit().map_err(storage)?;
            } else {
                savepoint.rollback().map_err(storage)?;
                savepoint.finish().map_err(storage)?;
            }
            outcomes.push(outcome);
        }
        tx.commit().map_err(storage)
    })();
    // Nobody hears "stored" before the commit is on disk; if the commit failed, everyone hears so.
    for outcome in outcomes {
        match outcome {
            Outcome::Created(reply, result) | Outcome::Checked(reply, result) => {
                let _ = reply.send(committed.clone().and(result));
            }
            Outcome::Appended(reply, result) => {
                let _ = reply.send(committed.clone().and(result));
            }
        }
    }
    if let Err(e) = committed {
        tracing::error!(error = %e, "a group of writes could not be committed");
    }
}

fn create(tx: &Connection, stream: Uuid, token_hash: &[u8; 32]) -> Result<(), StoreError> {
    let inserted = tx
        .execute(
            "INSERT INTO streams (id, token_hash, head) VALUES (?1, ?2, 0) ON CONFLICT (id) DO NOTHING",
            params![stream.to_string(), &token_hash[..]],
        )
        .map_err(storage)?;
    if inserted == 0 {
        return Err(if deleted(tx, &stream.to_string())? {
            StoreError::StreamDeleted
        } else {
            StoreError::StreamExists
        });
    }
    Ok(())
}

/// Whether `stream` is a deleted stream's tombstone.
fn deleted(tx: &Connection, stream: &str) -> Result<bool, StoreError> {
    let at: Option<Option<i64>> = tx
        .query_row("SELECT deleted_at FROM streams WHERE id = ?1", [stream], |row| row.get(0))
        .optional()
        .map_err(storage)?;
    Ok(matches!(at, Some(Some(_))))
}

fn delete(tx: &Connection, stream: Uuid) -> Result<(), StoreError> {
    let stream_id = stream.to_string();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64);
    let marked = tx
        .execute(
            "UPDATE streams SET deleted_at = COALESCE(deleted_at, ?2), bytes = 0 WHERE id = ?1",
            params![stream_id, now],
        )
        .map_err(storage)?;
    if marked == 0 {
        return Err(StoreError::StreamNotFound);
    }
    tx.execute("DELETE FROM events WHERE stream = ?1", [&stream_id]).map_err(storage)?;
    Ok(())
}

fn append(tx: &Connection, stream: Uuid, events: &[NewEvent], quota: u64) -> Result<Appended, StoreError> {
    let stream_id = stream.to_string();
    let (mut head, mut bytes, deleted_at): (i64, i64, Option<i64>) = tx
        .query_row("SELECT head, bytes, deleted_at FROM streams WHERE id = ?1", [&stream_id], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?))
        })
        .optional()
        .map_err(storage)?
        .ok_or(StoreError::StreamNotFound)?;
    if deleted_at.is_some() {
        return Err(StoreError::StreamDeleted);
    }
    let before = head;
    // Insert first and look only when the id was there already: new events are the rule.
    let mut insert = tx
        .prepare_cached("INSERT INTO events (stream, seq, id, body) VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING")
        .map_err(storage)?;
    let mut find = tx.prepare_cached("SELECT seq, body FROM events WHERE stream = ?1 AND id = ?2").map_err(storage)?;
    let mut accepted = Vec::with_capacity(events.len());
    for (index, event) in events.iter().enumerate() {
        let id = event.id.to_string();
        if insert.execute(params![stream_id, head + 1, id, event.body]).map_err(storage)? == 1 {
            head += 1;
            bytes += event.body.len() as i64;
            if bytes as u64 > quota {
                // The savepoint is rolled back: nothing of this batch stays.
                return Err(StoreError::QuotaExceeded { quota });
            }
            accepted.push((event.id, head as u64));
            continue;
        }
        let (seq, body): (i64, String) =
            find.query_row(params![stream_id, id], |row| Ok((row.get(0)?, row.get(1)?))).map_err(storage)?;
        if !same_envelope(&body, &event.body) {
            return Err(StoreError::IdReused { id: event.id, index });
        }
        accepted.push((event.id, seq as u64));
    }
    tx.execute("UPDATE streams SET head = ?1, bytes = ?2 WHERE id = ?3", params![head, bytes, stream_id])
        .map_err(storage)?;
    let stored = accepted.iter().filter(|(_, seq)| *seq > before as u64).count();
    Ok(Appended { accepted, head: head as u64, stored })
}

impl Store for SqliteStore {
    fn create_stream(&self, stream: Uuid, token_hash: [u8; 32]) -> StoreFuture<'_, ()> {
        Box::pin(async move {
            let (reply, result) = oneshot::channel();
            self.send(Write::Create { stream, token_hash, reply })?;
            result.await.map_err(storage)?
        })
    }

    fn token_hash(&self, stream: Uuid) -> StoreFuture<'_, Option<[u8; 32]>> {
        Box::pin(self.with_reader(move |connection| {
            let hash: Option<Vec<u8>> = connection
                .query_row("SELECT token_hash FROM streams WHERE id = ?1", [stream.to_string()], |row| row.get(0))
                .optional()
                .map_err(storage)?;
            Ok(hash.and_then(|h| h.try_into().ok()))
        }))
    }

    fn append(&self, stream: Uuid, events: Vec<NewEvent>) -> StoreFuture<'_, Appended> {
        Box::pin(async move {
            let (reply, result) = oneshot::channel();
            self.send(Write::Append { stream, events, reply })?;
            result.await.map_err(storage)?
        })
    }

    fn delete_stream(&self, stream: Uuid) -> StoreFuture<'_, ()> {
        Box::pin(async move {
            let (reply, result) = oneshot::channel();
            self.send(Write::Delete { stream, reply })?;
            result.await.map_err(storage)?
        })
    }

    fn check(&self) -> StoreFuture<'_, ()> {
        Box::pin(async move {
            let (reply, result) = oneshot::channel();
            self.send(Write::Check { reply })?;
            result.await.map_err(storage)??;
            self.with_reader(|connection| {
                connection
                    .query_row("SELECT id FROM streams LIMIT 1", [], |_| Ok(()))
                    .optional()
                    .map(drop)
                    .map_err(storage)
            })
            .await
        })
    }

    fn gauges(&self) -> StoreGauges {
        let idle = self.readers.lock().map_or(0, |readers| readers.len());
        // The writer's and the checkpointer's connections, and the readers'.
        StoreGauges { queued: self.queued.load(Ordering::Relaxed), connections: 2 + READERS, idle }
    }

    fn read(&self, stream: Uuid, after: u64, limit: usize) -> StoreFuture<'_, Page> {
        Box::pin(self.with_reader(move |connection| {
            // One read transaction, so that the head and the events are of the same moment.
            let tx = connection.transaction().map_err(storage)?;
            let stream_id = stream.to_string();
            let (head, deleted_at): (i64, Option<i64>) = tx
                .query_row("SELECT head, deleted_at FROM streams WHERE id = ?1", [&stream_id], |row| {
                    Ok((row.get(0)?, row.get(1)?))
                })
                .optional()
                .map_err(storage)?
                .ok_or(StoreError::StreamNotFound)?;
            if deleted_at.is_some() {
                return Err(StoreError::StreamDeleted);
            }
            let head = head as u64;
            let mut events = Vec::new();
            if after < head {
                let mut query = tx
                    .prepare_cached("SELECT seq, body FROM events WHERE stream = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3")
                    .map_err(storage)?;
                let rows = query
                    .query_map(params![stream_id, after as i64, limit as i64], |row| {
                        Ok(StoredEvent { seq: row.get::<_, i64>(0)? as u64, body: row.get(1)? })
                    })
                    .map_err(storage)?;
                // A page is bounded by bytes too, so that no reply holds more than a few MiB; one
                // event larger than that still comes, alone.
                let mut bytes = 0;
                for row in rows {
                    let event = row.map_err(storage)?;
                    bytes += event.body.len();
                    if bytes > MAX_PAGE_BYTES && !events.is_empty() {
                        break;
                    }
                    events.push(event);
                }
            }
            drop(tx);
            Ok(Page { events, head })
        }))
    }
}
