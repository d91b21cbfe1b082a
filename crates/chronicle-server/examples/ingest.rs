//! Ingest benchmark: 50 clients push batches of 100 events over loopback to a server on a fresh
//! SQLite file, each to its own stream and then all to one stream. Prints the rate and the push
//! latency as `BENCH<TAB>name<TAB>value` rows for `cargo xtask bench`.

use std::time::{Duration, Instant};

use axum::body::Bytes;
use chronicle_server::{AppState, SqliteStore, app};
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
async fn run(http: &Http, base: &str, shared: bool, rate: Option<f64>) -> (f64, Duration, Duration) {
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
        let (http, url) = (http.clone(), format!("{base}/api/v1/streams/{stream}/events"));
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
                post(&http, &url, Some(&token), json!({ "events": events })).await;
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

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path().join("bench.db")).unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app(AppState::new(store, None))).await.unwrap() });
        let http: Http = Client::builder(TokioExecutor::new()).pool_max_idle_per_host(CLIENTS).build_http();
        let total = CLIENTS * BATCHES_PER_CLIENT * BATCH;
        for (shared, label) in [(false, "50 clients, a stream each"), (true, "50 clients, one stream")] {
            let (rate, p50, p99) = run(&http, &base, shared, None).await;
            println!(
                "BENCH\tserver ingest, {label}, batches of {BATCH} ({total} events)\t{:.1}k events/s",
                rate / 1000.0
            );
            println!(
                "BENCH\tserver push latency at full load, {label} (p50 / p99)\t{:.1} ms / {:.1} ms",
                p50.as_secs_f64() * 1000.0,
                p99.as_secs_f64() * 1000.0
            );
            let (_, p50, p99) = run(&http, &base, shared, Some(20_000.0)).await;
            println!(
                "BENCH\tserver push latency at 20k events/s, {label} (p50 / p99)\t{:.1} ms / {:.1} ms",
                p50.as_secs_f64() * 1000.0,
                p99.as_secs_f64() * 1000.0
            );
        }
    });
}
