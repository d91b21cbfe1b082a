//! A server over a temporary database, driven through `oneshot` with no socket.
//!
//! The suite runs against SQLite, and against PostgreSQL when `CHRONICLE_TEST_STORE=postgres`
//! and `CHRONICLE_TEST_POSTGRES` names a server to make databases on (`cargo xtask test` starts
//! a throwaway one and runs the suite both ways): each test gets a database of its own.

#![allow(dead_code, unreachable_pub)]

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use chronicle_protocol::{Created, ErrorBody, ErrorCode, Page, Pushed};
use chronicle_server::{AppState, PostgresStore, SqliteStore, StoreOptions, app};
use http_body_util::BodyExt;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use tempfile::TempDir;
use tower::ServiceExt;
use uuid::Uuid;

pub struct Server {
    pub dir: TempDir,
    pub router: Router,
}

pub struct Reply {
    pub status: StatusCode,
    pub body: Value,
}

impl Reply {
    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }
}

impl Server {
    pub async fn new() -> Server {
        let dir = tempfile::tempdir().unwrap();
        let router = Self::router_at(&dir).await;
        Server { dir, router }
    }

    /// A server whose database lives in memory (`/dev/shm`, where there is one) when it is
    /// SQLite: the same store, with commits that cost no disk flush, for tests that push
    /// thousands of batches.
    pub async fn in_memory() -> Server {
        let dir = tempfile::tempdir_in("/dev/shm").or_else(|_| tempfile::tempdir()).unwrap();
        let router = Self::router_at(&dir).await;
        Server { dir, router }
    }

    /// The store of this run for the folder `dir`: a SQLite file in it, or the PostgreSQL
    /// database named after it.
    pub async fn router_at(dir: &TempDir) -> Router {
        match postgres_admin() {
            None => {
                let store = SqliteStore::open(dir.path().join("chronicle.db")).unwrap();
                app(AppState::new(store, None))
            }
            Some(admin) => {
                let url = postgres_database(&admin, &dir.path().join("chronicle.db"));
                let store = PostgresStore::connect(&url, StoreOptions::default()).await.unwrap();
                app(AppState::new(store, None))
            }
        }
    }

    /// The same database, opened again as after a restart.
    pub async fn reopen(self) -> Server {
        let Server { dir, router } = self;
        drop(router);
        let router = Self::router_at(&dir).await;
        Server { dir, router }
    }

    pub async fn send(&self, method: &str, uri: &str, token: Option<&str>, body: Body) -> Reply {
        let mut request = Request::builder().method(method).uri(uri).header("content-type", "application/json");
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        let response = self.router.clone().oneshot(request.body(body).unwrap()).await.unwrap();
        let status = response.status();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let body = if bytes.is_empty() { Value::Null } else { serde_json::from_slice(&bytes).unwrap_or(Value::Null) };
        contract(method, uri, status, &body);
        Reply { status, body }
    }

    pub async fn json(&self, method: &str, uri: &str, token: Option<&str>, body: Value) -> Reply {
        self.send(method, uri, token, Body::from(body.to_string())).await
    }

    /// Creates a stream and returns its id and token.
    pub async fn stream(&self) -> (Uuid, String) {
        let reply = self.json("POST", "/api/v1/streams", None, json!({})).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
        let stream = reply.body["stream"].as_str().unwrap().parse().unwrap();
        (stream, reply.body["token"].as_str().unwrap().to_owned())
    }

    pub async fn push(&self, stream: Uuid, token: &str, events: Vec<Value>) -> Reply {
        self.json("POST", &format!("/api/v1/streams/{stream}/events"), Some(token), json!({ "events": events })).await
    }

    pub async fn pull(&self, stream: Uuid, token: &str, query: &str) -> Reply {
        self.send("GET", &format!("/api/v1/streams/{stream}/events{query}"), Some(token), Body::empty()).await
    }
}

/// Every reply reads as the protocol's shared types: errors as the one error shape with a code of
/// this version and its status, successes as the endpoint's reply.
fn contract(method: &str, uri: &str, status: StatusCode, body: &Value) {
    fn reads<T: DeserializeOwned>(body: &Value) -> Result<T, serde_json::Error> {
        serde_json::from_value(body.clone())
    }
    let events = uri.split('?').next().unwrap_or(uri).ends_with("/events");
    let read = match (status.is_success(), method, events) {
        (false, _, _) => reads::<ErrorBody>(body).map(|error| {
            let code = error.error.code;
            assert_ne!(code, ErrorCode::Unknown, "{method} {uri}: {body}");
            assert_eq!(code.status(), status.as_u16(), "{method} {uri}: the status of `{code}`");
        }),
        (true, "POST", false) => reads::<Created>(body).map(drop),
        (true, "POST", true) => reads::<Pushed>(body).map(drop),
        (true, "GET", true) => reads::<Page>(body).map(drop),
        _ => Ok(()),
    };
    if let Err(e) = read {
        panic!("{method} {uri} answered {status} with a body the protocol's types do not read ({e}): {body}");
    }
}

/// The PostgreSQL server to make test databases on, when this run tests that store.
pub fn postgres_admin() -> Option<String> {
    let wanted = std::env::var("CHRONICLE_TEST_STORE").is_ok_and(|s| s == "postgres");
    wanted.then(|| {
        std::env::var("CHRONICLE_TEST_POSTGRES").expect("CHRONICLE_TEST_POSTGRES names the PostgreSQL to test on")
    })
}

/// The URL of a database on the test PostgreSQL that belongs to `path` (the SQLite file a test
/// would use), made when it is not there yet: the same path opens the same database again.
pub fn postgres_database(admin: &str, path: &std::path::Path) -> String {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    path.hash(&mut hasher);
    let name = format!("chronicle_test_{:016x}", hasher.finish());
    // The admin URL with the test's database in place of its own, and the same parameters.
    let (without_query, query) = admin.split_once('?').map_or((admin, None), |(url, query)| (url, Some(query)));
    let base = without_query.rsplit_once('/').expect("a postgres:// URL").0;
    let url = match query {
        Some(query) => format!("{base}/{name}?{query}"),
        None => format!("{base}/{name}"),
    };
    let admin = admin.to_owned();
    let create = name.clone();
    // On a thread of its own, so that this works inside and outside a test's runtime alike.
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            let (client, connection) = tokio_postgres::connect(&admin, tokio_postgres::NoTls).await.unwrap();
            tokio::spawn(connection);
            let known = client.query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&create]).await.unwrap();
            if known.is_none() {
                client.batch_execute(&format!("CREATE DATABASE {create}")).await.unwrap();
            }
        });
    })
    .join()
    .unwrap();
    url
}

/// What `--database` says for a test's database at `path`: the file, or the PostgreSQL database
/// that belongs to it.
pub fn database_flag(path: &std::path::Path) -> std::ffi::OsString {
    match postgres_admin() {
        Some(admin) => postgres_database(&admin, path).into(),
        None => path.as_os_str().to_owned(),
    }
}

/// Starts the server binary on a free port with its database at `database` (see
/// [`database_flag`]) and `flags` more; returns the process and the address it printed
/// (`http://127.0.0.1:PORT`).
pub fn start_binary(database: &std::path::Path, flags: &[&str]) -> (std::process::Child, String) {
    start_binary_on(&database_flag(database), flags)
}

/// [`start_binary`] with `--database` as given: a file or a `postgres://` URL.
pub fn start_binary_on(database: &std::ffi::OsStr, flags: &[&str]) -> (std::process::Child, String) {
    use std::io::BufRead;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_chronicle-server"))
        .args(["--listen", "127.0.0.1:0", "--static-dir", "no-such-dir", "--database"])
        .arg(database)
        .args(flags)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let url = line.trim().rsplit(' ').next().unwrap().to_owned();
    assert!(url.starts_with("http://127.0.0.1:"), "{line}");
    (child, url)
}

/// The `seq`s of a page's events, in order.
pub fn seqs(page: &Value) -> Vec<u64> {
    page["events"].as_array().unwrap().iter().map(|e| e["seq"].as_u64().unwrap()).collect()
}

/// A valid envelope numbered `n` (its id is derived from `n`).
pub fn event(n: u128) -> Value {
    json!({
        "id": Uuid::from_u128(0x1000_0000 + n),
        "type": "card_added",
        "version": 2,
        "device": Uuid::from_u128(7),
        "at": 1_700_000_000_000i64 + n as i64,
        "data": { "n": n as u64 },
    })
}

/// A client for a server on a real socket.
pub type Http = hyper_util::client::legacy::Client<
    hyper_util::client::legacy::connect::HttpConnector,
    http_body_util::Full<axum::body::Bytes>,
>;

pub fn http_client() -> Http {
    hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new()).build_http()
}

/// Sends one request over a socket and reads its status and JSON body; an `Err` is a connection
/// that ended without an answer.
pub async fn call(
    http: &Http,
    method: &str,
    url: &str,
    token: Option<&str>,
    body: Value,
) -> Result<(u16, Value), String> {
    call_with(http, method, url, token, &[], body).await
}

/// `call` with more request headers.
pub async fn call_with(
    http: &Http,
    method: &str,
    url: &str,
    token: Option<&str>,
    headers: &[(&str, &str)],
    body: Value,
) -> Result<(u16, Value), String> {
    use axum::body::Bytes;
    let mut request = hyper::Request::builder().method(method).uri(url).header("content-type", "application/json");
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let body = if body.is_null() { Bytes::new() } else { Bytes::from(body.to_string()) };
    let request = request.body(http_body_util::Full::new(body)).unwrap();
    let response = http.request(request).await.map_err(|e| e.to_string())?;
    let status = response.status().as_u16();
    let bytes = response.into_body().collect().await.map_err(|e| e.to_string())?.to_bytes();
    Ok((status, serde_json::from_slice(&bytes).unwrap_or(Value::Null)))
}

impl Server {
    /// Opens the live stream of `stream` after `after`; its body yields the messages.
    pub async fn listen(&self, stream: Uuid, token: &str, after: u64) -> Body {
        use tower::ServiceExt;
        let request = Request::get(format!("/api/v1/streams/{stream}/live?after={after}"))
            .header("authorization", format!("Bearer {token}"))
            .body(Body::empty())
            .unwrap();
        let response = self.router.clone().oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        response.into_body()
    }
}

/// The data of the next message of a live stream, waiting at most ten seconds for it.
pub async fn next_message(body: &mut Body, buffer: &mut String) -> Value {
    loop {
        if let Some(end) = buffer.find("\n\n") {
            let message: String = buffer.drain(..end + 2).collect();
            if let Some(data) = message.lines().find_map(|l| l.strip_prefix("data:")) {
                return serde_json::from_str(data.trim()).unwrap();
            }
            continue;
        }
        let frame = tokio::time::timeout(std::time::Duration::from_secs(10), body.frame())
            .await
            .expect("a live message within ten seconds")
            .unwrap();
        if let Ok(data) = frame.unwrap().into_data() {
            buffer.push_str(std::str::from_utf8(&data).unwrap());
        }
    }
}

/// Reads a stream whole, a page at a time from `page(after)`, and returns each event's id with
/// its `seq`; `seq` must be dense from 1 and no event stored twice.
pub async fn read_whole(mut page: impl AsyncFnMut(u64) -> Value) -> std::collections::HashMap<String, u64> {
    let mut stored = std::collections::HashMap::new();
    let mut after = 0;
    loop {
        let body = page(after).await;
        let events = body["events"].as_array().unwrap().clone();
        if events.is_empty() {
            return stored;
        }
        for e in events {
            let seq = e["seq"].as_u64().unwrap();
            assert_eq!(seq, after + 1, "seq is dense");
            after = seq;
            assert!(stored.insert(e["id"].as_str().unwrap().to_owned(), seq).is_none(), "stored once");
        }
    }
}
