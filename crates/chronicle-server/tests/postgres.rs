//! What only the PostgreSQL store has to show: several servers bringing one database's schema up
//! to date at once, a database a newer server wrote, a database that goes away and comes back,
//! and a database that cannot be reached at start. The rest of the suite runs on both stores.
//!
//! These tests need a PostgreSQL to make databases on, named by `CHRONICLE_TEST_POSTGRES`
//! (`cargo xtask test` starts a throwaway one).

mod common;

use axum::http::StatusCode;
use chronicle_server::{AppState, PostgresStore, StoreError, StoreOptions, app};
use common::{Server, event, next_message, seqs};

fn admin() -> String {
    std::env::var("CHRONICLE_TEST_POSTGRES")
        .expect("CHRONICLE_TEST_POSTGRES names a PostgreSQL to test on; cargo xtask test starts one")
}

/// A fresh database and its URL.
fn database() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let url = common::postgres_database(&admin(), &dir.path().join("chronicle.db"));
    (dir, url)
}

async fn sql(url: &str, statement: &str) {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(connection);
    client.batch_execute(statement).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn servers_starting_at_once_bring_the_schema_up_to_date_once() {
    let (_dir, url) = database();
    let starts: Vec<_> = (0..4)
        .map(|_| {
            let url = url.clone();
            tokio::spawn(async move { PostgresStore::connect(&url, StoreOptions::default()).await.map(drop) })
        })
        .collect();
    for start in starts {
        start.await.unwrap().unwrap();
    }
    let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(connection);
    let versions = client.query("SELECT version FROM chronicle_schema", &[]).await.unwrap();
    assert_eq!(versions.len(), 1);
    assert_eq!(versions[0].get::<_, i32>(0), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_of_the_first_schema_is_brought_up_to_date_in_place() {
    let (dir, url) = database();
    let token = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    let stream = uuid::Uuid::from_u128(77);
    let hash: String =
        <sha2::Sha256 as sha2::Digest>::digest(token.as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
    let body = serde_json::to_string(&event(1)).unwrap().replace('\'', "''");
    // Written as the server of schema 1 wrote it.
    sql(
        &url,
        &format!(
            "CREATE TABLE chronicle_schema (version INT NOT NULL); INSERT INTO chronicle_schema VALUES (1);
             CREATE TABLE streams (id UUID PRIMARY KEY, token_hash BYTEA NOT NULL, head BIGINT NOT NULL DEFAULT 0,
                 bytes BIGINT NOT NULL DEFAULT 0);
             CREATE TABLE events (stream UUID NOT NULL REFERENCES streams (id), seq BIGINT NOT NULL, id UUID NOT NULL,
                 body TEXT NOT NULL, PRIMARY KEY (stream, seq));
             CREATE UNIQUE INDEX events_by_id ON events (stream, id);
             INSERT INTO streams (id, token_hash, head) VALUES ('{stream}', '\\x{hash}', 1);
             INSERT INTO events VALUES ('{stream}', 1, '{}', '{body}');",
            uuid::Uuid::from_u128(0x1000_0001)
        ),
    )
    .await;
    let store = PostgresStore::connect(&url, StoreOptions::default()).await.unwrap();
    let server = Server { router: app(AppState::new(store, None)), dir };
    assert_eq!(seqs(&server.pull(stream, token, "").await.body), [1], "everything is there");
    let deleted =
        server.send("DELETE", &format!("/api/v1/streams/{stream}"), Some(token), axum::body::Body::empty()).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "schema 2 keeps deleted streams");
    assert_eq!(server.pull(stream, token, "").await.code(), "stream_deleted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_deleted_through_one_server_ends_the_live_listeners_of_another() {
    let (first, second) = two_servers().await;
    let (stream, token) = first.stream().await;
    first.push(stream, &token, vec![event(1)]).await;
    let mut live = second.listen(stream, &token, 0).await;
    let mut buffer = String::new();
    assert_eq!(seqs(&next_message(&mut live, &mut buffer).await), [1]);
    let deleted =
        first.send("DELETE", &format!("/api/v1/streams/{stream}"), Some(&token), axum::body::Body::empty()).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    let rest = tokio::time::timeout(std::time::Duration::from_secs(10), http_body_util::BodyExt::collect(live))
        .await
        .expect("the live stream ends")
        .unwrap()
        .to_bytes();
    assert!(!String::from_utf8_lossy(&rest).contains("data:"));
    assert_eq!(second.pull(stream, &token, "").await.code(), "stream_deleted");
}

#[tokio::test]
async fn a_database_a_newer_server_wrote_is_refused_and_left_alone() {
    let (_dir, url) = database();
    PostgresStore::connect(&url, StoreOptions::default()).await.unwrap();
    sql(&url, "UPDATE chronicle_schema SET version = 99").await;
    let refused = PostgresStore::connect(&url, StoreOptions::default()).await.unwrap_err();
    assert!(matches!(&refused, StoreError::Storage(m) if m.contains("newer server (schema 99)")), "{refused:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_that_goes_away_is_answered_as_unavailable_and_used_again_when_back() {
    let (dir, url) = database();
    let store = PostgresStore::connect(&url, StoreOptions::default()).await.unwrap();
    let server = Server { router: app(AppState::new(store, None)), dir };
    let (stream, token) = server.stream().await;
    assert_eq!(server.push(stream, &token, vec![event(1)]).await.status, StatusCode::OK);

    // The database takes no connections and every connection of the server is cut, as while a
    // database restarts or fails over.
    let name = url.split('?').next().unwrap().rsplit('/').next().unwrap().to_owned();
    sql(&admin(), &format!("ALTER DATABASE {name} ALLOW_CONNECTIONS false")).await;
    sql(&admin(), &format!("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'")).await;
    let refused = server.push(stream, &token, vec![event(2)]).await;
    assert_eq!((refused.status, refused.code()), (StatusCode::SERVICE_UNAVAILABLE, "unavailable"), "{}", refused.body);
    let health = server.send("GET", "/healthz", None, axum::body::Body::empty()).await;
    assert_eq!(health.status, StatusCode::SERVICE_UNAVAILABLE);

    // Back: the same server goes on, and nothing of what was refused was stored.
    sql(&admin(), &format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true")).await;
    assert_eq!(server.push(stream, &token, vec![event(3)]).await.status, StatusCode::OK);
    let page = server.pull(stream, &token, "").await;
    assert_eq!(page.body["head"], 2, "{}", page.body);
    assert_eq!(server.send("GET", "/healthz", None, axum::body::Body::empty()).await.status, StatusCode::OK);
}

#[test]
fn a_database_that_cannot_be_reached_at_start_is_one_line_and_no_panic() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_chronicle-server"))
        .args(["--listen", "127.0.0.1:0", "--static-dir", "no-such-dir"])
        .env("CHRONICLE_DATABASE_URL", "postgres://chronicle:secret@127.0.0.1:1/nowhere")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let said = String::from_utf8_lossy(&out.stderr);
    let last = said.lines().last().unwrap_or_default();
    assert!(
        last.starts_with(
            "chronicle-server: cannot use the PostgreSQL database at postgres://chronicle@127.0.0.1:1/nowhere"
        ),
        "{said}"
    );
    assert!(!said.contains("secret") && !said.contains("panicked"), "{said}");
}

/// Two servers on one new database, as two instances behind a load balancer.
async fn two_servers() -> (Server, Server) {
    let (dir, url) = database();
    let first = PostgresStore::connect(&url, StoreOptions::default()).await.unwrap();
    let second = PostgresStore::connect(&url, StoreOptions::default()).await.unwrap();
    let first = Server { router: app(AppState::new(first, None)), dir };
    let second = Server { router: app(AppState::new(second, None)), dir: tempfile::tempdir().unwrap() };
    (first, second)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_listener_on_one_server_hears_what_is_pushed_through_another() {
    let (first, second) = two_servers().await;
    let (stream, token) = first.stream().await;
    let mut live = second.listen(stream, &token, 0).await;
    let mut buffer = String::new();
    first.push(stream, &token, vec![event(1), event(2)]).await;
    assert_eq!(seqs(&next_message(&mut live, &mut buffer).await), [1, 2]);
    first.push(stream, &token, vec![event(3)]).await;
    assert_eq!(seqs(&next_message(&mut live, &mut buffer).await), [3]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_the_listening_connection_drops_nothing_pushed_meanwhile_is_missed() {
    let (first, second) = two_servers().await;
    let (stream, token) = first.stream().await;
    let mut live = second.listen(stream, &token, 0).await;
    let mut buffer = String::new();
    first.push(stream, &token, vec![event(1)]).await;
    assert_eq!(seqs(&next_message(&mut live, &mut buffer).await), [1]);

    // Both servers' listening connections are cut; a push lands while they are down or coming back.
    sql(&admin(), "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'chronicle-listen'")
        .await;
    first.push(stream, &token, vec![event(2)]).await;
    assert_eq!(seqs(&next_message(&mut live, &mut buffer).await), [2]);
    first.push(stream, &token, vec![event(3)]).await;
    assert_eq!(seqs(&next_message(&mut live, &mut buffer).await), [3], "and it listens again");
}

/// Every stream's first page, as its token reads it.
async fn pages(server: &Server, streams: &[(uuid::Uuid, String)]) -> Vec<serde_json::Value> {
    let mut all = Vec::new();
    for (stream, token) in streams {
        all.push(server.pull(*stream, token, "?limit=1000").await.body);
    }
    all
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrate_copies_every_stream_byte_for_byte_runs_again_after_a_crash_and_refuses_a_conflict() {
    // A server on SQLite with a few streams.
    let source_dir = tempfile::tempdir().unwrap();
    let file = source_dir.path().join("chronicle.db");
    let sqlite = chronicle_server::SqliteStore::open(&file).unwrap();
    let before = Server { router: app(AppState::new(sqlite, None)), dir: tempfile::tempdir().unwrap() };
    let mut streams = Vec::new();
    for s in 0..3u128 {
        let (stream, token) = before.stream().await;
        for batch in 0..(s * 3) {
            let events = (0..700).map(|i| event(s << 32 | batch << 16 | i)).collect();
            assert_eq!(before.push(stream, &token, events).await.status, StatusCode::OK);
        }
        streams.push((stream, token));
    }
    let expected = pages(&before, &streams).await;
    let (gone, gone_token) = before.stream().await;
    before.push(gone, &gone_token, vec![event(9)]).await;
    before.send("DELETE", &format!("/api/v1/streams/{gone}"), Some(&gone_token), axum::body::Body::empty()).await;
    drop(before);

    let (dir, url) = database();
    let done = chronicle_server::migrate(&file, &url).await.unwrap();
    assert_eq!((done.copied, done.already_there, done.events), (4, 0, 700 * (3 + 6)));
    let store = PostgresStore::connect(&url, StoreOptions::default()).await.unwrap();
    let after = Server { router: app(AppState::new(store, None)), dir };
    assert_eq!(pages(&after, &streams).await, expected, "the same pages, with the same tokens");
    assert_eq!(after.pull(gone, &gone_token, "").await.code(), "stream_deleted", "a deleted stream stays deleted");

    // A run cut short copied some streams whole and none of the rest: a second run copies those.
    sql(&url, &format!("DELETE FROM events WHERE stream = '{0}'; DELETE FROM streams WHERE id = '{0}'", streams[2].0))
        .await;
    let again = chronicle_server::migrate(&file, &url).await.unwrap();
    assert_eq!((again.copied, again.already_there), (1, 3));
    assert_eq!(pages(&after, &streams).await, expected);

    // A stream of the same id with other content: refused, nothing copied.
    sql(&url, &format!("UPDATE streams SET head = head + 1 WHERE id = '{}'", streams[1].0)).await;
    let refused = chronicle_server::migrate(&file, &url).await.unwrap_err();
    assert!(matches!(refused, chronicle_server::MigrateError::Conflict(id) if id == streams[1].0), "{refused}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_during_pushes_through_two_loses_nothing_it_acknowledged() {
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex};

    let (_dir, url) = database();
    let (mut first, first_url) = common::start_binary_on(url.as_ref(), &[]);
    let (mut second, second_url) = common::start_binary_on(url.as_ref(), &[]);
    let http = common::http_client();
    let (status, created) =
        common::call(&http, "POST", &format!("{first_url}/api/v1/streams"), None, serde_json::json!({})).await.unwrap();
    assert_eq!(status, 201);
    let (stream, token) =
        (created["stream"].as_str().unwrap().to_owned(), created["token"].as_str().unwrap().to_owned());

    let acknowledged: Arc<Mutex<HashMap<String, u64>>> = Arc::default();
    let mut pushers = Vec::new();
    for client in 0..8u128 {
        let (http, urls, stream, token, acknowledged) = (
            http.clone(),
            [first_url.clone(), second_url.clone()],
            stream.clone(),
            token.clone(),
            Arc::clone(&acknowledged),
        );
        pushers.push(tokio::spawn(async move {
            let mut on = client as usize % 2;
            let mut batch = 0u128;
            while acknowledged.lock().unwrap().len() < 3000 {
                let events: Vec<serde_json::Value> = (0..20).map(|i| event(client << 32 | batch << 8 | i)).collect();
                let push = format!("{}/api/v1/streams/{stream}/events", urls[on]);
                match common::call(&http, "POST", &push, Some(&token), serde_json::json!({ "events": events })).await {
                    Ok((200, reply)) => {
                        let mut acknowledged = acknowledged.lock().unwrap();
                        for a in reply["accepted"].as_array().unwrap() {
                            acknowledged.insert(a["id"].as_str().unwrap().to_owned(), a["seq"].as_u64().unwrap());
                        }
                        batch += 1;
                        on = (on + 1) % 2;
                    }
                    // The server went away with the push unanswered: the same push goes to the other.
                    _ => on = 1,
                }
            }
        }));
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while acknowledged.lock().unwrap().len() < 1000 {
        assert!(std::time::Instant::now() < deadline, "too little was acknowledged");
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
    first.kill().unwrap();
    first.wait().unwrap();
    for pusher in pushers {
        pusher.await.unwrap();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();

    let seen = common::read_whole(async |after| {
        let pull = format!("{second_url}/api/v1/streams/{stream}/events?after={after}");
        let (status, page) = common::call(&http, "GET", &pull, Some(&token), serde_json::Value::Null).await.unwrap();
        assert_eq!(status, 200);
        page
    })
    .await;
    let lost: Vec<_> = acknowledged.iter().filter(|(id, seq)| seen.get(*id) != Some(seq)).collect();
    assert!(lost.is_empty(), "{} acknowledged events lost or moved", lost.len());
    second.kill().unwrap();
    second.wait().unwrap();
}

#[tokio::test]
async fn tls_is_used_when_the_url_asks_for_it_and_the_server_certificate_is_checked() {
    let authority = std::env::var("CHRONICLE_TEST_POSTGRES_CA")
        .expect("CHRONICLE_TEST_POSTGRES_CA names the authority of the test PostgreSQL's certificate");
    let (_dir, url) = database();
    let base = url.split('?').next().unwrap();
    let secure = format!("{base}?sslmode=require&sslrootcert={authority}");
    let store = PostgresStore::connect(&secure, StoreOptions::default()).await.unwrap();
    let server = Server { router: app(AppState::new(store, None)), dir: tempfile::tempdir().unwrap() };
    let (stream, token) = server.stream().await;
    assert_eq!(server.push(stream, &token, vec![event(1)]).await.status, StatusCode::OK);
    // The database says the server's connections to it are encrypted.
    let name = base.rsplit('/').next().unwrap();
    let (client, connection) = tokio_postgres::connect(&admin(), tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(connection);
    let encrypted: i64 = client
        .query_one(
            "SELECT COUNT(*) FROM pg_stat_ssl JOIN pg_stat_activity USING (pid) WHERE datname = $1 AND ssl",
            &[&name],
        )
        .await
        .unwrap()
        .get(0);
    assert!(encrypted >= 1, "no encrypted connection to {name}");

    // Without the authority that signed the database's certificate, it is not trusted.
    let untrusted = PostgresStore::connect(&format!("{base}?sslmode=require"), StoreOptions::default()).await;
    let error = untrusted.unwrap_err().to_string();
    assert!(error.contains("certificate"), "{error}");
}
