//! Soak benchmark: 200 clients for 60 seconds against the server binary on a fresh SQLite file,
//! ten to a stream. Three in four push a batch, then pull what others pushed, over and over with a
//! short pause; one in four keeps a live stream open. At the end every stream is read back whole.
//! Prints events acknowledged, errors (any answer but success, or a connection that broke), whether
//! every stream's `seq` is dense and holds each acknowledged event once, whether every live
//! listener saw a dense run of `seq`, and the server's peak resident memory, as
//! `BENCH<TAB>name<TAB>value` rows for `cargo xtask bench`.
//!
//! Then 40 slow readers each ask for the largest page a stream of 60 KiB events gives (4 MiB)
//! and read it a little at a time: the server's peak memory after that is the last row.
//!
//! `CHRONICLE_SERVER` names the server binary; `CHRONICLE_SOAK_SECONDS` shortens the run.

use std::collections::HashMap;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::{Value, json};
use uuid::Uuid;

const CLIENTS: usize = 200;
const PER_STREAM: usize = 10;
const BATCH: usize = 10;
const PAUSE: Duration = Duration::from_millis(100);

type Http = Client<HttpConnector, Full<Bytes>>;

#[derive(Default)]
struct Tally {
    errors: AtomicU64,
    pushes: AtomicU64,
    pulls: AtomicU64,
    live_events: AtomicU64,
    live_out_of_order: AtomicU64,
}

async fn request(http: &Http, method: &str, url: &str, token: Option<&str>, body: Option<Value>) -> Option<Value> {
    let mut request = hyper::Request::builder().method(method).uri(url).header("content-type", "application/json");
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let body = body.map_or_else(Bytes::new, |b| Bytes::from(b.to_string()));
    let response = http.request(request.body(Full::new(body)).unwrap()).await.ok()?;
    if !response.status().is_success() {
        return None;
    }
    serde_json::from_slice(&response.into_body().collect().await.ok()?.to_bytes()).ok()
}

fn event(device: u128, n: usize) -> Value {
    json!({
        "id": Uuid::new_v4(),
        "type": "card_moved",
        "version": 1,
        "device": Uuid::from_u128(device),
        "at": 1_700_000_000_000i64 + n as i64,
        "data": { "card": Uuid::new_v4(), "from": Uuid::new_v4(), "to": Uuid::new_v4(), "index": n % 40 },
    })
}

/// Pushes and pulls until `until`; returns the ids it saw acknowledged.
async fn pusher(
    http: Http,
    url: String,
    token: String,
    client: usize,
    until: Instant,
    tally: Arc<Tally>,
) -> Vec<String> {
    let mut acknowledged = Vec::new();
    let mut after = 0u64;
    let mut n = 0;
    while Instant::now() < until {
        let events: Vec<Value> = (0..BATCH).map(|i| event(client as u128, n + i)).collect();
        n += BATCH;
        match request(&http, "POST", &url, Some(&token), Some(json!({ "events": events }))).await {
            Some(reply) => {
                tally.pushes.fetch_add(1, Ordering::Relaxed);
                acknowledged.extend(reply["accepted"].as_array().into_iter().flatten().map(|a| a["id"].to_string()));
            }
            None => {
                tally.errors.fetch_add(1, Ordering::Relaxed);
            }
        }
        match request(&http, "GET", &format!("{url}?after={after}"), Some(&token), None).await {
            Some(page) => {
                tally.pulls.fetch_add(1, Ordering::Relaxed);
                after =
                    page["events"].as_array().and_then(|e| e.last()).and_then(|e| e["seq"].as_u64()).unwrap_or(after);
            }
            None => {
                tally.errors.fetch_add(1, Ordering::Relaxed);
            }
        }
        tokio::time::sleep(PAUSE).await;
    }
    acknowledged
}

/// Reads a live stream until `until`, checking that the `seq`s it is sent follow each other.
async fn listener(http: Http, url: String, token: String, until: Instant, tally: Arc<Tally>) {
    let request = hyper::Request::get(format!("{url}?after=0"))
        .header("authorization", format!("Bearer {token}"))
        .body(Full::new(Bytes::new()))
        .unwrap();
    let response = match http.request(request).await {
        Ok(r) if r.status().is_success() => r,
        _ => {
            tally.errors.fetch_add(1, Ordering::Relaxed);
            return;
        }
    };
    let mut body = response.into_body();
    let mut buffer = String::new();
    let mut last = 0u64;
    while let Ok(Some(frame)) = tokio::time::timeout_at(until.into(), body.frame()).await {
        let Ok(frame) = frame else {
            tally.errors.fetch_add(1, Ordering::Relaxed);
            return;
        };
        let Some(chunk) = frame.data_ref() else { continue };
        buffer.push_str(&String::from_utf8_lossy(chunk));
        while let Some(end) = buffer.find("\n\n") {
            let message: String = buffer.drain(..end + 2).collect();
            for data in message.lines().filter_map(|l| l.strip_prefix("data:")) {
                let page: Value = serde_json::from_str(data.trim()).unwrap_or(Value::Null);
                for seq in page["events"].as_array().into_iter().flatten().filter_map(|e| e["seq"].as_u64()) {
                    if seq != last + 1 {
                        tally.live_out_of_order.fetch_add(1, Ordering::Relaxed);
                    }
                    last = seq;
                    tally.live_events.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
    }
}

/// Pushes 240 events of about 60 KiB to a new stream, then has 40 readers ask for its first page
/// at once and read 16 KiB of it every quarter second for five seconds.
async fn slow_readers(http: &Http, base: &str) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let created = request(http, "POST", &format!("{base}/api/v1/streams"), None, Some(json!({}))).await;
    let created = created.expect("a stream is created");
    let (stream, token) =
        (created["stream"].as_str().unwrap().to_owned(), created["token"].as_str().unwrap().to_owned());
    let url = format!("{base}/api/v1/streams/{stream}/events");
    for batch in 0..16 {
        let events: Vec<Value> = (0..15)
            .map(|i| {
                let mut e = event(1, batch * 15 + i);
                e["data"] = json!({ "text": "x".repeat(60 * 1024) });
                e
            })
            .collect();
        request(http, "POST", &url, Some(&token), Some(json!({ "events": events })))
            .await
            .expect("a push of large events");
    }
    let address = base.trim_start_matches("http://").to_owned();
    let until = Instant::now() + Duration::from_secs(5);
    let readers: Vec<_> = (0..40)
        .map(|_| {
            let (address, stream, token) = (address.clone(), stream.clone(), token.clone());
            tokio::spawn(async move {
                let mut socket = tokio::net::TcpStream::connect(&address).await.ok()?;
                let ask = format!(
                    "GET /api/v1/streams/{stream}/events HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {token}\r\n\r\n"
                );
                socket.write_all(ask.as_bytes()).await.ok()?;
                let mut chunk = vec![0u8; 16 * 1024];
                let mut read = 0;
                while Instant::now() < until {
                    read += socket.read(&mut chunk).await.ok()?;
                    tokio::time::sleep(Duration::from_millis(250)).await;
                }
                Some(read)
            })
        })
        .collect();
    for reader in readers {
        let _ = reader.await;
    }
}

/// The most memory the process has held resident, from `/proc`.
fn peak_memory_mb(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

fn main() {
    let server = std::env::var("CHRONICLE_SERVER").expect("CHRONICLE_SERVER names the server binary");
    let seconds: u64 = std::env::var("CHRONICLE_SOAK_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(60);
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(server)
        .args(["--listen", "127.0.0.1:0", "--static-dir", "no-such-dir", "--database"])
        .arg(dir.path().join("soak.db"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(child.stdout.take().unwrap()), &mut line).unwrap();
    let base = line.trim().rsplit(' ').next().unwrap().to_owned();

    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let http: Http = Client::builder(TokioExecutor::new()).pool_max_idle_per_host(CLIENTS).build_http();
        let mut streams = Vec::new();
        for _ in 0..CLIENTS / PER_STREAM {
            let created = request(&http, "POST", &format!("{base}/api/v1/streams"), None, Some(json!({}))).await;
            let created = created.expect("a stream is created");
            streams
                .push((created["stream"].as_str().unwrap().to_owned(), created["token"].as_str().unwrap().to_owned()));
        }
        let tally = Arc::new(Tally::default());
        let until = Instant::now() + Duration::from_secs(seconds);
        let mut pushers = Vec::new();
        let mut listeners = Vec::new();
        for client in 0..CLIENTS {
            let on = client / PER_STREAM;
            let (stream, token) = streams[on].clone();
            let (http, tally) = (http.clone(), Arc::clone(&tally));
            if client % 4 == 3 {
                let url = format!("{base}/api/v1/streams/{stream}/live");
                listeners.push(tokio::spawn(listener(http, url, token, until, tally)));
            } else {
                let url = format!("{base}/api/v1/streams/{stream}/events");
                pushers.push((on, tokio::spawn(pusher(http, url, token, client, until, tally))));
            }
        }
        let mut acknowledged: HashMap<usize, Vec<String>> = HashMap::new();
        for (on, pusher) in pushers {
            acknowledged.entry(on).or_default().extend(pusher.await.unwrap());
        }
        for listener in listeners {
            listener.await.unwrap();
        }
        let peak = peak_memory_mb(child.id());
        slow_readers(&http, &base).await;
        let peak_with_slow_readers = peak_memory_mb(child.id());

        // Every stream read back whole: dense, and each acknowledged event there once.
        let mut dense = true;
        let mut total = 0;
        for (on, (stream, token)) in streams.iter().enumerate() {
            let mut stored: HashMap<String, u32> = HashMap::new();
            let mut after = 0;
            loop {
                let url = format!("{base}/api/v1/streams/{stream}/events?after={after}");
                let page = request(&http, "GET", &url, Some(token), None).await.expect("a stream reads back");
                let events = page["events"].as_array().cloned().unwrap_or_default();
                if events.is_empty() {
                    break;
                }
                for e in events {
                    let seq = e["seq"].as_u64().unwrap_or(0);
                    dense &= seq == after + 1;
                    after = seq;
                    *stored.entry(e["id"].to_string()).or_default() += 1;
                }
            }
            let ours = acknowledged.remove(&on).unwrap_or_default();
            total += ours.len();
            dense &= stored.len() == ours.len() && stored.values().all(|&n| n == 1);
            dense &= ours.iter().all(|id| stored.contains_key(id));
        }
        let _ = child.kill();
        let _ = child.wait();

        let label = format!("soak, {CLIENTS} clients for {seconds} s");
        println!("BENCH\t{label}: events acknowledged\t{total}");
        println!(
            "BENCH\t{label}: pushes / pulls / events sent live\t{} / {} / {}",
            tally.pushes.load(Ordering::Relaxed),
            tally.pulls.load(Ordering::Relaxed),
            tally.live_events.load(Ordering::Relaxed)
        );
        println!("BENCH\t{label}: errors\t{}", tally.errors.load(Ordering::Relaxed));
        let live_in_order = tally.live_out_of_order.load(Ordering::Relaxed) == 0;
        println!(
            "BENCH\t{label}: seq dense, each event once / live in order\t{} / {}",
            if dense { "yes" } else { "NO" },
            if live_in_order { "yes" } else { "NO" }
        );
        match peak {
            Some(mb) => println!("BENCH\t{label}: peak server memory\t{mb:.1} MB"),
            None => println!("BENCH\t{label}: peak server memory\tnot known (no /proc)"),
        }
        if let Some(mb) = peak_with_slow_readers {
            println!("BENCH\tpeak server memory after 40 slow readers of 4 MiB pages\t{mb:.1} MB");
        }
    });
}
