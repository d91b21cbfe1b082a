//! What the server needs from storage, independent of the database behind it.

use std::future::Future;
use std::pin::Pin;

use uuid::Uuid;

/// A boxed future of a store operation, so that stores can sit behind `Arc<dyn Store>`.
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>;

/// Why a store operation did not happen.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// No stream has this id.
    #[error("no such stream")]
    StreamNotFound,
    /// A stream with this id exists already.
    #[error("the stream exists already")]
    StreamExists,
    /// The stream was deleted; its id is never used again.
    #[error("the stream was deleted")]
    StreamDeleted,
    /// The stream would hold more than its quota of bytes.
    #[error("the stream would pass its quota of {quota} bytes")]
    QuotaExceeded {
        /// The quota, in bytes.
        quota: u64,
    },
    /// Too many writes are waiting; try again in a moment.
    #[error("the store is busy")]
    Busy,
    /// An event id already in the stream came again with other content.
    #[error("event {id} is already stored with other content")]
    IdReused {
        /// The event id.
        id: Uuid,
        /// Its place in the batch, from 0.
        index: usize,
    },
    /// The database cannot be reached just now; the detail is for the log only.
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    /// The database failed; the detail is for the log only.
    #[error("storage failed: {0}")]
    Storage(String),
}

/// An event to append: its id and its envelope as canonical JSON text, without `seq`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEvent {
    /// The event's id, unique within its stream.
    pub id: Uuid,
    /// The envelope, as a JSON object without `seq`, with keys in a fixed order so that equal
    /// envelopes have equal text.
    pub body: String,
}

/// What an append did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appended {
    /// Every event of the batch with its `seq`, in batch order; an event the stream already had
    /// keeps its original `seq`.
    pub accepted: Vec<(Uuid, u64)>,
    /// The stream's last `seq` after the append.
    pub head: u64,
    /// How many events of the batch were new.
    pub stored: usize,
}

/// How a store's own resources stand, for `GET /metrics`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StoreGauges {
    /// Writes waiting for the store.
    pub queued: usize,
    /// Database connections open.
    pub connections: usize,
    /// Of those, the ones idle.
    pub idle: usize,
}

/// A stored event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvent {
    /// Its position in the stream, from 1.
    pub seq: u64,
    /// The envelope as stored (see [`NewEvent::body`]).
    pub body: String,
}

/// A page of a stream's events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// Events in `seq` order.
    pub events: Vec<StoredEvent>,
    /// The stream's last `seq` when the page was read.
    pub head: u64,
}

/// What a live listener hears of appends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Heard {
    /// A stream's head moved to this `seq`.
    Appended {
        /// The stream.
        stream: Uuid,
        /// Its last `seq` now.
        head: u64,
    },
    /// Notices may have been missed (a store's notification connection dropped): every listener
    /// reads its stream again.
    Missed,
}

/// Storage for streams and their events.
///
/// Every method is atomic: an append stores all of its batch or none of it, and a read sees the
/// stream as of one moment.
pub trait Store: Send + Sync + 'static {
    /// Creates an empty stream whose token has this SHA-256 hash.
    fn create_stream(&self, stream: Uuid, token_hash: [u8; 32]) -> StoreFuture<'_, ()>;

    /// The hash of a stream's token, or `None` when there is no such stream (a deleted stream
    /// keeps its token hash).
    fn token_hash(&self, stream: Uuid) -> StoreFuture<'_, Option<[u8; 32]>>;

    /// Appends a batch: each new event gets the next `seq`; an event whose id the stream has with
    /// the same body is accepted again with its old `seq`; with another body, nothing is stored.
    fn append(&self, stream: Uuid, events: Vec<NewEvent>) -> StoreFuture<'_, Appended>;

    /// Deletes a stream's events for good and keeps its id and token hash as a tombstone, so that
    /// its devices learn it was deleted ([`StoreError::StreamDeleted`] from every later append,
    /// read and creation) and the id is never used again. Deleting it again changes nothing.
    fn delete_stream(&self, stream: Uuid) -> StoreFuture<'_, ()>;

    /// Whether the store can be read and written now, for `GET /healthz`.
    fn check(&self) -> StoreFuture<'_, ()>;

    /// Up to `limit` events with `seq > after`, in order, and the head.
    fn read(&self, stream: Uuid, after: u64, limit: usize) -> StoreFuture<'_, Page>;

    /// Tells `heard` of appends made through the other servers that share this store, as they
    /// commit (appends through this server are told by the server itself). A store only one
    /// server uses has nothing to tell.
    fn watch(&self, heard: tokio::sync::broadcast::Sender<Heard>) {
        drop(heard);
    }

    /// How the store's queue and connections stand now.
    fn gauges(&self) -> StoreGauges {
        StoreGauges::default()
    }
}
