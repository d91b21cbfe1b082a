//! Ingest benchmark: 50 clients push batches of 100 events over loopback to a server on a fresh
//! SQLite file, each to its own stream and then all to one stream; with `CHRONICLE_BENCH_POSTGRES`
//! naming a PostgreSQL server, the same on a fresh PostgreSQL database with one server, and with
//! two servers on that database taking the clients' pushes in turn, and the time from a push
//! through one server to a live listener on the other. Prints the rates and latencies as
//! `BENCH<TAB>name<TAB>value` rows for `cargo xtask bench`.

use std::time::{Duration, Instant};

use axum::body::Bytes;
use chronicle_server::{AppState, PostgresStore, SqliteStore, StoreOptions, app};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::{Value, json};
use uuid::Uuid;

const CLIENTS: usize = 50;
const BATCH: usize = 100;
const BATCHES_PER_CLIENT: usize = 40;

type Http = Client<HttpConnector, Full<Bytes>>;

async fn post(http: &Http, url: &str, token: Option<&str>, body: Value) -> Value {
    let mut request = hyper::Request::post(url).header("content-type", "application/json");
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let response = http.request(request.body(Full::new(Bytes::from(body.to_string()))).unwrap()).await.unwrap();
    assert!(response.status().is_success(), "{}", response.status());
    serde_json::from_slice(&response.into_body().collect().await.unwrap().to_bytes()).unwrap()
}

/// An event like a board's: about 300 bytes of JSON.
fn event(client: usize, n: usize) -> Value {
    json!({
        "id": Uuid::new_v4(),
        "type": "card_moved",
        "version": 1,
        "device": Uuid::from_u128(client as u128),
        "at": 1_700_000_000_000i64 + n as i64,
        "data": { "card": Uuid::new_v4(), "from": Uuid::new_v4(), "to": Uuid::new_v4(), "index": n % 40 },
    })
}

/// Runs the clients. With `rate` (events per second, all clients together), each client pushes
/// on a schedule (an open loop: the latency at that load); without, as fast as it can (a closed
/// loop: the most the server takes, with 50 pushes always waiting).
async fn run(http: &Http, bases: &[String], shared: bool, rate: Option<f64>) -> (f64, Duration, Duration) {
    let base = &bases[0];
    let mut streams: Vec<(String, String)> = Vec::new();
    for i in 0..CLIENTS {
        if shared && i > 0 {
            streams.push(streams[0].clone());
            continue;
        }
        let created = post(http, &format!("{base}/api/v1/streams"), None, json!({})).await;
        streams.push((created["stream"].as_str().unwrap().to_owned(), created["token"].as_str().unwrap().to_owned()));
    }
    let start = Instant::now();
    let mut clients = Vec::new();
    for (client, (stream, token)) in streams.into_iter().enumerate() {
        // With several servers, each client's pushes go to them in turn, as a load balancer sends them.
        let urls: Vec<String> = bases.iter().map(|b| format!("{b}/api/v1/streams/{stream}/events")).collect();
        let http = http.clone();
        let every = rate.map(|r| Duration::from_secs_f64((CLIENTS * BATCH) as f64 / r));
        clients.push(tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(BATCHES_PER_CLIENT);
            // Clients start spread over one period, as independent devices would.
            let offset = every.map_or(Duration::ZERO, |e| e.mul_f64(client as f64 / CLIENTS as f64));
            for b in 0..BATCHES_PER_CLIENT {
                if let Some(every) = every {
                    tokio::time::sleep_until((start + offset + every * b as u32).into()).await;
                }
                let events: Vec<Value> = (0..BATCH).map(|i| event(client, b * BATCH + i)).collect();
                let sent = Instant::now();
                post(&http, &urls[b % urls.len()], Some(&token), json!({ "events": events })).await;
                latencies.push(sent.elapsed());
            }
            latencies
        }));
    }
    let mut latencies = Vec::new();
    for client in clients {
        latencies.extend(client.await.unwrap());
    }
    let elapsed = start.elapsed();
    latencies.sort();
    let rate = (CLIENTS * BATCHES_PER_CLIENT * BATCH) as f64 / elapsed.as_secs_f64();
    (rate, latencies[latencies.len() / 2], latencies[latencies.len() * 99 / 100])
}

/// Serves `store` on a free loopback port in this process; returns its base URL.
async fn serve(state: AppState) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app(state)).await.unwrap() });
    base
}

/// Ingest rows for the servers at `bases`, all on one store, labelled `store`.
async fn ingest(http: &Http, bases: &[String], store: &str) {
    let total = CLIENTS * BATCHES_PER_CLIENT * BATCH;
    for (shared, label) in [(false, "50 clients, a stream each"), (true, "50 clients, one stream")] {
        let (rate, p50, p99) = run(http, bases, shared, None).await;
        println!(
            "BENCH\tserver ingest, {store}, {label}, batches of {BATCH} ({total} events)\t{:.1}k events/s",
            rate / 1000.0
        );
        println!(
            "BENCH\tserver push latency at full load, {store}, {label} (p50 / p99)\t{:.1} ms / {:.1} ms",
            p50.as_secs_f64() * 1000.0,
            p99.as_secs_f64() * 1000.0
        );
        let (_, p50, p99) = run(http, bases, shared, Some(20_000.0)).await;
        println!(
            "BENCH\tserver push latency at 20k events/s, {store}, {label} (p50 / p99)\t{:.1} ms / {:.1} ms",
            p50.as_secs_f64() * 1000.0,
            p99.as_secs_f64() * 1000.0
        );
    }
}

/// A fresh database on the PostgreSQL server at `admin`; its URL.
async fn fresh_database(admin: &str) -> String {
    let (client, connection) = tokio_postgres::connect(admin, tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(connection);
    let name = format!("chronicle_bench_{}", Uuid::new_v4().simple());
    client.batch_execute(&format!("CREATE DATABASE {name}")).await.unwrap();
    // The admin URL with the new database in place of its own, and the same parameters.
    let (url, query) = admin.split_once('?').map_or((admin, String::new()), |(url, q)| (url, format!("?{q}")));
    format!("{}/{name}{query}", url.rsplit_once('/').unwrap().0)
}

/// From a push of one event through `through` to its arrival at a live listener on `heard`, 200
/// times, one after another: p50 and p99.
async fn live_latency(http: &Http, through: &str, heard: &str) -> (Duration, Duration) {
    let created = post(http, &format!("{through}/api/v1/streams"), None, json!({})).await;
    let (stream, token) =
        (created["stream"].as_str().unwrap().to_owned(), created["token"].as_str().unwrap().to_owned());
    let request = hyper::Request::get(format!("{heard}/api/v1/streams/{stream}/live?after=0"))
        .header("authorization", format!("Bearer {token}"))
        .body(Full::new(Bytes::new()))
        .unwrap();
    let mut body = http.request(request).await.unwrap().into_body();
    let mut latencies = Vec::new();
    let mut buffer = String::new();
    for n in 0..200 {
        let sent = Instant::now();
        let url = format!("{through}/api/v1/streams/{stream}/events");
        post(http, &url, Some(&token), json!({ "events": [event(0, n)] })).await;
        // Until a message (not a keep-alive) arrives.
        loop {
            if let Some(end) = buffer.find("\n\n") {
                let message: String = buffer.drain(..end + 2).collect();
                if message.contains("data:") {
                    break;
                }
                continue;
            }
            let frame = body.frame().await.unwrap().unwrap();
            if let Ok(data) = frame.into_data() {
                buffer.push_str(&String::from_utf8_lossy(&data));
            }
        }
        latencies.push(sent.elapsed());
    }
    latencies.sort();
    (latencies[latencies.len() / 2], latencies[latencies.len() * 99 / 100])
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let http: Http = Client::builder(TokioExecutor::new()).pool_max_idle_per_host(CLIENTS).build_http();
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path().join("bench.db")).unwrap();
        let base = serve(AppState::new(store, None)).await;
        ingest(&http, &[base], "SQLite").await;

        let Ok(admin) = std::env::var("CHRONICLE_BENCH_POSTGRES") else { return };
        let url = fresh_database(&admin).await;
        let store = PostgresStore::connect(&url, StoreOptions::default()).await.unwrap();
        let one = serve(AppState::new(store, None)).await;
        ingest(&http, std::slice::from_ref(&one), "PostgreSQL, one server").await;

        let url = fresh_database(&admin).await;
        let mut bases = Vec::new();
        for _ in 0..2 {
            let store = PostgresStore::connect(&url, StoreOptions::default()).await.unwrap();
            bases.push(serve(AppState::new(store, None)).await);
        }
        ingest(&http, &bases, "PostgreSQL, two servers").await;
        let (p50, p99) = live_latency(&http, &bases[0], &bases[1]).await;
        println!(
            "BENCH\tlive latency, push through one PostgreSQL server to a listener on another (p50 / p99)\t{:.1} ms / {:.1} ms",
            p50.as_secs_f64() * 1000.0,
            p99.as_secs_f64() * 1000.0
        );
    });
}
