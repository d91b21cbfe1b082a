//! The Chronicle sync server.
//!
//! It keeps one append-only, densely numbered log per **stream** (a board is one stream) and never
//! looks inside an event: it checks the envelope, gives each new event the next `seq`, and hands
//! events back in that order. The protocol it speaks is written down in `docs/protocol.md`.
//!
//! - [`app`] builds the axum [`Router`](axum::Router): the API under `/api/v1`, `/healthz`, the
//!   web app's files at `/`, and the security headers on every answer.
//! - [`Store`] is the storage a server needs; [`SqliteStore`] keeps it in an embedded SQLite file,
//!   [`PostgresStore`] in a PostgreSQL database that several servers share.
//! - [`ApiError`] is the one error shape every client sees.

mod api;
mod auth;
mod error;
mod headers;
mod metrics;
mod migrate;
mod postgres;
mod protocol;
mod sqlite;
mod store;

pub use api::{AppState, CreateLimit, ListenerLimits, app};
pub use chronicle_protocol::{MAX_BATCH_EVENTS, MAX_BODY_BYTES, MAX_EVENT_BYTES, MAX_TYPE_CHARS};
pub use error::ApiError;
pub use migrate::{MigrateError, Migrated, migrate};
pub use postgres::PostgresStore;
pub use sqlite::{SqliteStore, StoreOptions};
pub use store::{Appended, Heard, NewEvent, Page, Store, StoreError, StoreFuture, StoreGauges, StoredEvent};
