//! [`PostgresStore`]: streams and events in PostgreSQL (13 or newer), for several server instances
//! on one database (ADR 0008).
//!
//! An append runs in one transaction that first takes the stream's row `FOR UPDATE`: appends to
//! one stream, through any instance, run one after another, so `seq` stays dense; appends to
//! different streams run side by side. A batch costs a fixed number of round trips whatever its
//! size: one look for ids the stream has already, one insert of the new events from arrays.

use std::sync::Arc;
use std::time::Duration;

use chronicle_protocol::MAX_PAGE_BYTES;
use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, PoolError, RecyclingMethod, Runtime};
use futures_util::{StreamExt, TryStreamExt};
use tokio::sync::broadcast::WeakSender;
use tokio_postgres::AsyncMessage;
use tokio_postgres_rustls::MakeRustlsConnect;
use uuid::Uuid;

use crate::protocol::same_envelope;
use crate::sqlite::StoreOptions;
use crate::store::{Appended, Heard, NewEvent, Page, Store, StoreError, StoreFuture, StoreGauges, StoredEvent};

/// The schema this build writes, kept in `chronicle_schema`.
const SCHEMA_VERSION: i32 = 2;

/// Schema 1: the same tables as SQLite's schema 2, with PostgreSQL's types.
const SCHEMA_1: &str = "
CREATE TABLE streams (
    id UUID PRIMARY KEY,
    token_hash BYTEA NOT NULL,
    head BIGINT NOT NULL DEFAULT 0,
    bytes BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE events (
    stream UUID NOT NULL REFERENCES streams (id),
    seq BIGINT NOT NULL,
    id UUID NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (stream, seq)
);
CREATE UNIQUE INDEX events_by_id ON events (stream, id);
";

/// From schema 1: a deleted stream keeps its row, with the time it was deleted (SQLite's schema 3).
const SCHEMA_1_TO_2: &str = "ALTER TABLE streams ADD COLUMN deleted_at BIGINT;";

/// Taken while the schema is brought up to date, so that instances starting at once take turns.
const MIGRATION_LOCK: i64 = 0x4368_726f_6e69_636c;

/// The notification channel on which every append is announced, as `"<stream> <head>"`.
const CHANNEL: &str = "chronicle_appended";
/// How long the listening connection waits before it connects again after it dropped.
const RELISTEN_AFTER: Duration = Duration::from_secs(1);

/// Connections kept, at most; a request waits this long for one before it is answered as busy.
const POOL_SIZE: usize = 16;
const POOL_WAIT: Duration = Duration::from_secs(5);

/// A store in a PostgreSQL database.
#[derive(Clone)]
pub struct PostgresStore {
    pool: Pool,
    quota: u64,
    /// For the connection that listens for other servers' appends.
    config: tokio_postgres::Config,
    tls: MakeRustlsConnect,
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStore").field("quota", &self.quota).finish_non_exhaustive()
    }
}

fn storage(error: impl std::fmt::Display) -> StoreError {
    StoreError::Storage(error.to_string())
}

/// A failed query: the database going away (a broken connection, a shutdown, a restart) is
/// `Unavailable` and passes; anything else is a fault.
fn failed(error: tokio_postgres::Error) -> StoreError {
    let class = error.code().map(|code| &code.code()[..2]);
    match class {
        // No answer from the server at all, a connection exception, or an operator's intervention.
        None | Some("08") | Some("57") => StoreError::Unavailable(with_causes(&error)),
        Some(_) => StoreError::Storage(error.to_string()),
    }
}

/// A database that cannot be reached is a moment's trouble, not a fault: the answer says to try
/// again, and the server goes on when it is back.
fn unavailable(error: PoolError) -> StoreError {
    match error {
        PoolError::Timeout(_) => StoreError::Busy,
        other => StoreError::Unavailable(with_causes(&other)),
    }
}

/// An error and what caused it, in one line: "error performing TLS handshake: invalid peer
/// certificate: UnknownIssuer" says what to fix where the first part alone does not.
fn with_causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(inner) = cause {
        let said = inner.to_string();
        if !text.contains(&said) {
            text.push_str(": ");
            text.push_str(&said);
        }
        cause = inner.source();
    }
    text
}

/// `url` without libpq's `sslrootcert` parameter, which tokio-postgres does not read, and that
/// parameter's value: a file of PEM certificates to trust besides the system's.
fn split_root_certificates(url: &str) -> (String, Option<String>) {
    let Some((base, query)) = url.split_once('?') else { return (url.to_owned(), None) };
    let mut roots = None;
    let kept: Vec<&str> = query
        .split('&')
        .filter(|pair| match pair.strip_prefix("sslrootcert=") {
            Some(path) => {
                roots = Some(path.to_owned());
                false
            }
            None => true,
        })
        .collect();
    let url = if kept.is_empty() { base.to_owned() } else { format!("{base}?{}", kept.join("&")) };
    (url, roots)
}

/// TLS for connections to a database on another machine: used when the URL asks for it
/// (`sslmode=require`) or, with the default `sslmode=prefer`, when the server offers it. The
/// server's certificate is always verified, against the system's roots and the certificates in
/// `sslrootcert`, if given.
fn tls(root_certificates: Option<&str>) -> Result<MakeRustlsConnect, StoreError> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    for certificate in rustls_native_certs::load_native_certs().certs {
        // A system certificate rustls cannot use is one fewer root, not a failure.
        let _ = roots.add(certificate);
    }
    if let Some(path) = root_certificates {
        let unreadable = |e: &dyn std::fmt::Display| StoreError::Unavailable(format!("sslrootcert {path}: {e}"));
        for certificate in CertificateDer::pem_file_iter(path).map_err(|e| unreadable(&e))? {
            roots.add(certificate.map_err(|e| unreadable(&e))?).map_err(|e| unreadable(&e))?;
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(storage)?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(MakeRustlsConnect::new(config))
}

/// One connection of its own to the database at `url` (read as [`PostgresStore::connect`] reads
/// it), driven on a task that ends with it.
pub(crate) async fn connect_once(url: &str) -> Result<tokio_postgres::Client, StoreError> {
    let (url, root_certificates) = split_root_certificates(url);
    let (client, connection) =
        tokio_postgres::connect(&url, tls(root_certificates.as_deref())?).await.map_err(failed)?;
    tokio::spawn(connection);
    Ok(client)
}

impl PostgresStore {
    /// Connects to the database at `url` (`postgres://user:password@host:port/database`, with
    /// `?sslmode=require` and libpq's `sslrootcert=FILE` for TLS) and brings its schema up to
    /// date, refusing a database a newer server wrote.
    pub async fn connect(url: &str, options: StoreOptions) -> Result<PostgresStore, StoreError> {
        let (url, root_certificates) = split_root_certificates(url);
        let config: tokio_postgres::Config =
            url.parse().map_err(|e| StoreError::Unavailable(format!("not a PostgreSQL URL: {e}")))?;
        let tls = tls(root_certificates.as_deref())?;
        let manager = Manager::from_config(
            config.clone(),
            tls.clone(),
            ManagerConfig { recycling_method: RecyclingMethod::Fast },
        );
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(POOL_WAIT))
            .create_timeout(Some(POOL_WAIT))
            .build()
            .map_err(storage)?;
        let store = PostgresStore { pool, quota: options.max_stream_bytes, config, tls };
        store.migrate().await?;
        Ok(store)
    }

    async fn client(&self) -> Result<Object, StoreError> {
        self.pool.get().await.map_err(unavailable)
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(failed)?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK]).await.map_err(failed)?;
        tx.batch_execute("CREATE TABLE IF NOT EXISTS chronicle_schema (version INT NOT NULL)").await.map_err(failed)?;
        let version: Option<i32> =
            tx.query_opt("SELECT version FROM chronicle_schema", &[]).await.map_err(failed)?.map(|row| row.get(0));
        match version {
            Some(v) if v > SCHEMA_VERSION => {
                return Err(StoreError::Storage(format!(
                    "the database was written by a newer server (schema {v}); this one knows schema {SCHEMA_VERSION}"
                )));
            }
            Some(SCHEMA_VERSION) => return tx.commit().await.map_err(failed),
            Some(_) => {}
            None => {
                tx.batch_execute(SCHEMA_1).await.map_err(failed)?;
                tx.execute("INSERT INTO chronicle_schema (version) VALUES (1)", &[]).await.map_err(failed)?;
            }
        }
        // Each step from the version the database has; all of them in this one transaction.
        let at: i32 = tx.query_one("SELECT version FROM chronicle_schema", &[]).await.map_err(failed)?.get(0);
        if at < 2 {
            tx.batch_execute(SCHEMA_1_TO_2).await.map_err(failed)?;
        }
        tx.execute("UPDATE chronicle_schema SET version = $1", &[&SCHEMA_VERSION]).await.map_err(failed)?;
        tx.commit().await.map_err(failed)
    }
}

/// Listens for appends on a connection of its own and passes each on as [`Heard::Appended`], for
/// as long as the server that `heard` belongs to is there. Each time it starts listening (at
/// start, and after the connection dropped and it connected again) it says [`Heard::Missed`], so
/// that every live listener reads its stream anew and none misses an event appended while nobody
/// was listening.
async fn listen(mut config: tokio_postgres::Config, tls: MakeRustlsConnect, heard: WeakSender<Heard>) {
    config.application_name("chronicle-listen");
    while heard.strong_count() > 0 {
        match config.connect(tls.clone()).await {
            Ok((client, mut connection)) => {
                // The connection is driven on a task of its own, which hands on its notices.
                let (tell, mut told) = tokio::sync::mpsc::unbounded_channel::<String>();
                let driver = tokio::spawn(async move {
                    let mut messages = futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
                    while let Some(Ok(message)) = messages.next().await {
                        if let AsyncMessage::Notification(notice) = message
                            && tell.send(notice.payload().to_owned()).is_err()
                        {
                            return;
                        }
                    }
                });
                if client.batch_execute(&format!("LISTEN {CHANNEL}")).await.is_ok() {
                    if let Some(heard) = heard.upgrade() {
                        let _ = heard.send(Heard::Missed);
                    }
                    while let Some(payload) = told.recv().await {
                        let Some(heard) = heard.upgrade() else { break };
                        if let Some(notice) = read_notice(&payload) {
                            let _ = heard.send(notice);
                        }
                    }
                }
                driver.abort();
                if heard.strong_count() > 0 {
                    tracing::warn!("the connection listening for other servers' appends dropped; listening again");
                }
            }
            Err(e) => tracing::warn!(error = %e, "cannot listen for other servers' appends; trying again"),
        }
        tokio::time::sleep(RELISTEN_AFTER).await;
    }
}

/// Reads one notice's payload, `"<stream> <head>"`.
fn read_notice(payload: &str) -> Option<Heard> {
    let (stream, head) = payload.split_once(' ')?;
    Some(Heard::Appended { stream: stream.parse().ok()?, head: head.parse().ok()? })
}

impl Store for PostgresStore {
    fn create_stream(&self, stream: Uuid, token_hash: [u8; 32]) -> StoreFuture<'_, ()> {
        Box::pin(async move {
            let client = self.client().await?;
            let inserted = client
                .execute(
                    "INSERT INTO streams (id, token_hash) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING",
                    &[&stream, &&token_hash[..]],
                )
                .await
                .map_err(failed)?;
            if inserted == 0 {
                let row = client
                    .query_opt("SELECT deleted_at FROM streams WHERE id = $1", &[&stream])
                    .await
                    .map_err(failed)?;
                let deleted = row.is_some_and(|row| row.get::<_, Option<i64>>(0).is_some());
                return Err(if deleted { StoreError::StreamDeleted } else { StoreError::StreamExists });
            }
            Ok(())
        })
    }

    fn delete_stream(&self, stream: Uuid) -> StoreFuture<'_, ()> {
        Box::pin(async move {
            let mut client = self.client().await?;
            let tx = client.transaction().await.map_err(failed)?;
            // Waits for appends under way on any instance, like an append.
            let now =
                std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64);
            let marked = tx
                .execute(
                    "UPDATE streams SET deleted_at = COALESCE(deleted_at, $2), bytes = 0 WHERE id = $1",
                    &[&stream, &now],
                )
                .await
                .map_err(failed)?;
            if marked == 0 {
                return Err(StoreError::StreamNotFound);
            }
            tx.execute("DELETE FROM events WHERE stream = $1", &[&stream]).await.map_err(failed)?;
            // Live listeners on every server wake, read, and learn it was deleted.
            tx.execute("SELECT pg_notify($1, $2)", &[&CHANNEL, &format!("{stream} {}", i64::MAX)])
                .await
                .map_err(failed)?;
            tx.commit().await.map_err(failed)
        })
    }

    fn token_hash(&self, stream: Uuid) -> StoreFuture<'_, Option<[u8; 32]>> {
        Box::pin(async move {
            let client = self.client().await?;
            let row =
                client.query_opt("SELECT token_hash FROM streams WHERE id = $1", &[&stream]).await.map_err(failed)?;
            Ok(row.and_then(|row| row.get::<_, Vec<u8>>(0).try_into().ok()))
        })
    }

    fn append(&self, stream: Uuid, events: Vec<NewEvent>) -> StoreFuture<'_, Appended> {
        Box::pin(async move {
            let mut client = self.client().await?;
            let tx = client.transaction().await.map_err(failed)?;
            // Appends to this stream wait here for each other, on any instance.
            let row = tx
                .query_opt("SELECT head, bytes, deleted_at FROM streams WHERE id = $1 FOR UPDATE", &[&stream])
                .await
                .map_err(failed)?
                .ok_or(StoreError::StreamNotFound)?;
            if row.get::<_, Option<i64>>(2).is_some() {
                return Err(StoreError::StreamDeleted);
            }
            let (mut head, mut bytes): (i64, i64) = (row.get(0), row.get(1));
            let ids: Vec<Uuid> = events.iter().map(|e| e.id).collect();
            let held = tx
                .query("SELECT id, seq, body FROM events WHERE stream = $1 AND id = ANY($2)", &[&stream, &ids])
                .await
                .map_err(failed)?;
            let mut known: std::collections::HashMap<Uuid, (i64, String)> =
                held.into_iter().map(|row| (row.get(0), (row.get(1), row.get(2)))).collect();
            let (mut new_ids, mut new_seqs, mut new_bodies) = (Vec::new(), Vec::new(), Vec::new());
            let mut accepted = Vec::with_capacity(events.len());
            for (index, event) in events.into_iter().enumerate() {
                if let Some((seq, body)) = known.get(&event.id) {
                    if !same_envelope(body, &event.body) {
                        return Err(StoreError::IdReused { id: event.id, index });
                    }
                    accepted.push((event.id, *seq as u64));
                    continue;
                }
                head += 1;
                bytes += event.body.len() as i64;
                if bytes as u64 > self.quota {
                    // The transaction is dropped unfinished: nothing of this batch stays.
                    return Err(StoreError::QuotaExceeded { quota: self.quota });
                }
                accepted.push((event.id, head as u64));
                known.insert(event.id, (head, event.body.clone()));
                new_ids.push(event.id);
                new_seqs.push(head);
                new_bodies.push(event.body);
            }
            if !new_ids.is_empty() {
                tx.execute(
                    "INSERT INTO events (stream, seq, id, body)
                     SELECT $1, seq, id, body FROM UNNEST($2::BIGINT[], $3::UUID[], $4::TEXT[]) AS new (seq, id, body)",
                    &[&stream, &new_seqs, &new_ids, &new_bodies],
                )
                .await
                .map_err(failed)?;
                tx.execute("UPDATE streams SET head = $1, bytes = $2 WHERE id = $3", &[&head, &bytes, &stream])
                    .await
                    .map_err(failed)?;
                // Delivered to every server listening when, and only if, the transaction commits.
                tx.execute("SELECT pg_notify($1, $2)", &[&CHANNEL, &format!("{stream} {head}")])
                    .await
                    .map_err(failed)?;
            }
            // "Stored" is said only once the commit is durable.
            tx.commit().await.map_err(failed)?;
            Ok(Appended { accepted, head: head as u64, stored: new_ids.len() })
        })
    }

    fn check(&self) -> StoreFuture<'_, ()> {
        Box::pin(async move {
            let mut client = self.client().await?;
            let tx = client.transaction().await.map_err(failed)?;
            // An update that matches nothing shows the tables can be written, without writing.
            tx.execute("UPDATE streams SET head = head WHERE id = '00000000-0000-0000-0000-000000000000'", &[])
                .await
                .map_err(failed)?;
            tx.query_opt("SELECT id FROM streams LIMIT 1", &[]).await.map_err(failed)?;
            tx.rollback().await.map_err(failed)
        })
    }

    fn gauges(&self) -> StoreGauges {
        let status = self.pool.status();
        StoreGauges { queued: status.waiting, connections: status.size, idle: status.available }
    }

    fn watch(&self, heard: tokio::sync::broadcast::Sender<Heard>) {
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => drop(runtime.spawn(listen(self.config.clone(), self.tls.clone(), heard.downgrade()))),
            Err(_) => tracing::warn!("no runtime to listen on: live listeners hear only this server's appends"),
        }
    }

    fn read(&self, stream: Uuid, after: u64, limit: usize) -> StoreFuture<'_, Page> {
        Box::pin(async move {
            let mut client = self.client().await?;
            // One snapshot, so that the head and the events are of the same moment.
            let tx = client
                .build_transaction()
                .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
                .read_only(true)
                .start()
                .await
                .map_err(failed)?;
            let row = tx
                .query_opt("SELECT head, deleted_at FROM streams WHERE id = $1", &[&stream])
                .await
                .map_err(failed)?
                .ok_or(StoreError::StreamNotFound)?;
            if row.get::<_, Option<i64>>(1).is_some() {
                return Err(StoreError::StreamDeleted);
            }
            let head: i64 = row.get(0);
            let mut events = Vec::new();
            if after < head as u64 {
                // Positions are dense, so a page is the `limit` positions after `after`: asked for
                // as that range, the query reads no more rows than it returns, whatever the planner
                // believes of the table. Asked for as "after `after`, the first `limit`", a plan made
                // with statistics from before a long stream was written read every row after
                // `after` and sorted them (15 ms a page of 1,000 in the middle of 100k events,
                // against under 1 ms).
                let after = after as i64;
                let upto = after.saturating_add(limit as i64);
                let rows = tx
                    .query_raw(
                        "SELECT seq, body FROM events WHERE stream = $1 AND seq > $2 AND seq <= $3 ORDER BY seq",
                        [&stream as &(dyn tokio_postgres::types::ToSql + Sync), &after, &upto],
                    )
                    .await
                    .map_err(failed)?;
                // Rows come as they are read: a page bounded by bytes stops reading there. One
                // event larger than the bound still comes, alone.
                let mut rows = std::pin::pin!(rows.map_err(failed));
                let mut bytes = 0;
                while let Some(row) = rows.next().await {
                    let row = row?;
                    let event = StoredEvent { seq: row.get::<_, i64>(0) as u64, body: row.get(1) };
                    bytes += event.body.len();
                    if bytes > MAX_PAGE_BYTES && !events.is_empty() {
                        break;
                    }
                    events.push(event);
                }
            }
            Ok(Page { events, head: head as u64 })
        })
    }
}
