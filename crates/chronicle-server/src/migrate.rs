//! `chronicle-server migrate`: copies every stream of a SQLite database into a PostgreSQL one, for
//! a server that outgrew one machine.
//!
//! Each stream is copied in one PostgreSQL transaction (its row, its token hash, every event with
//! its `seq` and its envelope text byte for byte), so a copy cut short by a crash leaves every
//! stream either whole or absent, and running the command again copies the rest. A stream the
//! target holds already is skipped when it is the same stream (same token hash, same head, same
//! number of events); any other stream of the same id makes the command refuse before it copies
//! anything. At the end every stream is counted on both sides.

use std::path::Path;

use rusqlite::{Connection, OpenFlags};
use uuid::Uuid;

use crate::postgres::PostgresStore;
use crate::sqlite::{SqliteStore, StoreOptions};

/// Events inserted per statement.
const CHUNK: usize = 1000;

/// What a migration did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Migrated {
    /// Streams copied by this run.
    pub copied: usize,
    /// Streams the target held already, whole.
    pub already_there: usize,
    /// Events copied by this run.
    pub events: u64,
}

/// Why a migration stopped. Nothing half-done stays: a stream is copied whole or not at all.
#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    /// The source could not be read.
    #[error("cannot read {path}: {detail}")]
    Source {
        /// The SQLite file.
        path: String,
        /// What went wrong.
        detail: String,
    },
    /// The target could not be used.
    #[error("cannot use the target database: {0}")]
    Target(String),
    /// The target holds a stream of the same id with other content.
    #[error(
        "the target already holds stream {0} with other content; nothing was copied (move it away, or migrate into an empty database)"
    )]
    Conflict(Uuid),
    /// After copying, the two sides do not agree.
    #[error("stream {stream} differs after copying: {detail}")]
    Mismatch {
        /// The stream.
        stream: Uuid,
        /// How.
        detail: String,
    },
}

/// One stream as the source holds it.
struct Source {
    id: Uuid,
    token_hash: Vec<u8>,
    head: i64,
    events: i64,
    /// When the stream was deleted, for a tombstone.
    deleted_at: Option<i64>,
}

fn target(error: impl std::fmt::Display) -> MigrateError {
    MigrateError::Target(error.to_string())
}

/// Copies every stream of the SQLite database at `from` into the PostgreSQL database at `to`.
pub async fn migrate(from: &Path, to: &str) -> Result<Migrated, MigrateError> {
    let source_error =
        |e: &dyn std::fmt::Display| MigrateError::Source { path: from.display().to_string(), detail: e.to_string() };
    if !from.is_file() {
        return Err(source_error(&"no such file"));
    }
    // Brings an older SQLite schema up to date first, as a server starting on it would.
    drop(SqliteStore::open_with(from, StoreOptions::default()).map_err(|e| source_error(&e))?);
    let source = Connection::open_with_flags(from, OpenFlags::SQLITE_OPEN_READ_ONLY).map_err(|e| source_error(&e))?;
    // The target's schema, under the same lock as a starting server.
    drop(PostgresStore::connect(to, StoreOptions::default()).await.map_err(target)?);
    let mut client = crate::postgres::connect_once(to).await.map_err(target)?;

    let streams = read_streams(&source).map_err(|e| source_error(&e))?;
    // First every check, then every copy: a conflict refuses the whole run before anything moves.
    let mut to_copy = Vec::new();
    let mut migrated = Migrated::default();
    for stream in &streams {
        match held(&client, stream.id).await? {
            None => to_copy.push(stream),
            Some((token_hash, head, events)) => {
                let same = token_hash == stream.token_hash && head == stream.head && events == stream.events;
                if !same {
                    return Err(MigrateError::Conflict(stream.id));
                }
                migrated.already_there += 1;
            }
        }
    }
    for stream in to_copy {
        migrated.events += copy(&source, &mut client, stream).await?;
        migrated.copied += 1;
    }
    for stream in &streams {
        verify(&client, stream).await?;
    }
    Ok(migrated)
}

fn read_streams(source: &Connection) -> rusqlite::Result<Vec<Source>> {
    let mut query = source.prepare(
        "SELECT id, token_hash, head, (SELECT COUNT(*) FROM events WHERE events.stream = streams.id), deleted_at
         FROM streams ORDER BY id",
    )?;
    let rows = query.query_map([], |row| {
        let id: String = row.get(0)?;
        Ok((id, row.get::<_, Vec<u8>>(1)?, row.get::<_, i64>(2)?, row.get::<_, i64>(3)?, row.get(4)?))
    })?;
    let mut streams = Vec::new();
    for row in rows {
        let (id, token_hash, head, events, deleted_at) = row?;
        // A row whose id is not a UUID was never written by a server; it cannot be served anyway.
        let Ok(id) = id.parse() else { continue };
        streams.push(Source { id, token_hash, head, events, deleted_at });
    }
    Ok(streams)
}

/// Up to [`CHUNK`] events of a stream after `after`, in order: their seqs, ids and envelopes.
type Chunk = (Vec<i64>, Vec<Uuid>, Vec<String>);

fn read_chunk(source: &Connection, stream: Uuid, after: i64) -> Result<Chunk, String> {
    let mut query = source
        .prepare_cached("SELECT seq, id, body FROM events WHERE stream = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3")
        .map_err(|e| e.to_string())?;
    let rows = query
        .query_map(rusqlite::params![stream.to_string(), after, CHUNK as i64], |row| {
            Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?, row.get::<_, String>(2)?))
        })
        .map_err(|e| e.to_string())?;
    let mut chunk: Chunk = (Vec::new(), Vec::new(), Vec::new());
    for row in rows {
        let (seq, id, body) = row.map_err(|e| e.to_string())?;
        chunk.0.push(seq);
        chunk.1.push(id.parse().map_err(|e| format!("event {seq} of stream {stream} has the id `{id}`: {e}"))?);
        chunk.2.push(body);
    }
    Ok(chunk)
}

/// Copies one stream in one transaction; returns how many events it copied.
async fn copy(source: &Connection, client: &mut tokio_postgres::Client, stream: &Source) -> Result<u64, MigrateError> {
    let tx = client.transaction().await.map_err(target)?;
    tx.execute(
        "INSERT INTO streams (id, token_hash, head, bytes, deleted_at) VALUES ($1, $2, $3, 0, $4)",
        &[&stream.id, &stream.token_hash, &stream.head, &stream.deleted_at],
    )
    .await
    .map_err(target)?;
    let (mut after, mut copied, mut bytes) = (0i64, 0u64, 0i64);
    loop {
        let (seqs, ids, bodies) = read_chunk(source, stream.id, after)
            .map_err(|detail| MigrateError::Source { path: "the source".into(), detail })?;
        let Some(&last) = seqs.last() else { break };
        bytes += bodies.iter().map(|b| b.len() as i64).sum::<i64>();
        copied += seqs.len() as u64;
        after = last;
        tx.execute(
            "INSERT INTO events (stream, seq, id, body)
             SELECT $1, seq, id, body FROM UNNEST($2::BIGINT[], $3::UUID[], $4::TEXT[]) AS copied (seq, id, body)",
            &[&stream.id, &seqs, &ids, &bodies],
        )
        .await
        .map_err(target)?;
    }
    tx.execute("UPDATE streams SET bytes = $1 WHERE id = $2", &[&bytes, &stream.id]).await.map_err(target)?;
    tx.commit().await.map_err(target)?;
    Ok(copied)
}

/// A stream as the target holds it: its token hash, head and number of events, if it is there.
async fn held(client: &tokio_postgres::Client, stream: Uuid) -> Result<Option<(Vec<u8>, i64, i64)>, MigrateError> {
    let row = client
        .query_opt(
            "SELECT token_hash, head, (SELECT COUNT(*) FROM events WHERE stream = $1) FROM streams WHERE id = $1",
            &[&stream],
        )
        .await
        .map_err(target)?;
    Ok(row.map(|row| (row.get(0), row.get(1), row.get(2))))
}

/// The stream on the target has the source's token hash, head and number of events.
async fn verify(client: &tokio_postgres::Client, stream: &Source) -> Result<(), MigrateError> {
    let (hash, head, events) = held(client, stream.id)
        .await?
        .ok_or_else(|| MigrateError::Mismatch { stream: stream.id, detail: "it is not on the target".to_owned() })?;
    let mismatch = |detail: String| MigrateError::Mismatch { stream: stream.id, detail };
    if hash != stream.token_hash {
        return Err(mismatch("its token hash".to_owned()));
    }
    if (head, events) != (stream.head, stream.events) {
        return Err(mismatch(format!(
            "head {head} and {events} events on the target, head {} and {} events in the source",
            stream.head, stream.events
        )));
    }
    Ok(())
}
