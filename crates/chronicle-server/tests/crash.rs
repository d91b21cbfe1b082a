//! The server process is stopped while clients push, hard (SIGKILL, as a crash or a pulled plug)
//! or politely (SIGTERM, as a deploy does); after a restart every event it acknowledged is there
//! exactly once, with the same `seq`, and `seq` is dense.
//!
//! The hard kill runs in a loop on one database: three runs here, as many as
//! `CHRONICLE_KILL_RUNS` says under `cargo xtask fuzz`. It prints what it counted.

#![cfg(unix)]

mod common;

use std::collections::HashMap;
use std::path::Path;
use std::process::{Child, Command};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{Http, call, event, http_client};
use serde_json::{Value, json};

/// Clients pushing at once, spread over the streams.
const CLIENTS: u128 = 8;
const STREAMS: usize = 2;
/// Acknowledged events each run waits for before it stops the server.
const ACKNOWLEDGED_PER_RUN: usize = 1000;

/// An acknowledged event: its stream and the `seq` the server answered.
type Acknowledged = HashMap<String, (usize, u64)>;

#[derive(Debug, Default)]
struct Counts {
    runs: usize,
    acknowledged: usize,
    lost: usize,
    doubled: usize,
    gaps: usize,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_events_survive_hard_kills_in_a_loop_exactly_once() {
    let runs = std::env::var("CHRONICLE_KILL_RUNS").ok().and_then(|r| r.parse().ok()).unwrap_or(3);
    let counts = stopped_while_pushing(runs, |server| {
        server.kill().unwrap();
        server.wait().unwrap();
    })
    .await;
    eprintln!(
        "kill loop: {} runs, {} events acknowledged, {} lost, {} doubled, {} gaps",
        counts.runs, counts.acknowledged, counts.lost, counts.doubled, counts.gaps
    );
    assert_eq!(counts.runs, runs);
    assert!(counts.acknowledged >= runs * ACKNOWLEDGED_PER_RUN);
    assert_eq!((counts.lost, counts.doubled, counts.gaps), (0, 0, 0), "{counts:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_finishes_the_pushes_in_flight_and_exits_cleanly() {
    let counts = stopped_while_pushing(1, |server| {
        let stopped = Command::new("kill").args(["-TERM", &server.id().to_string()]).status().unwrap();
        assert!(stopped.success());
        let status = server.wait().unwrap();
        assert!(status.success(), "the server exits 0 after SIGTERM: {status}");
    })
    .await;
    assert_eq!((counts.lost, counts.doubled, counts.gaps), (0, 0, 0), "{counts:?}");
}

/// Starts the server binary on a free port and returns it with its base URL.
fn start(database: &Path) -> (Child, String) {
    common::start_binary(database, &[])
}

/// `runs` times: clients push to the streams until the server is stopped by `stop`, then it is
/// started again on the same database and every stream is read back whole and counted against
/// everything acknowledged so far.
async fn stopped_while_pushing(runs: usize, mut stop: impl FnMut(&mut Child)) -> Counts {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("chronicle.db");
    let http: Http = http_client();
    let (mut server, mut url) = start(&database);
    let mut streams = Vec::new();
    for _ in 0..STREAMS {
        let (status, created) = call(&http, "POST", &format!("{url}/api/v1/streams"), None, json!({})).await.unwrap();
        assert_eq!(status, 201);
        streams.push((created["stream"].as_str().unwrap().to_owned(), created["token"].as_str().unwrap().to_owned()));
    }
    let streams = Arc::new(streams);
    let acknowledged: Arc<Mutex<Acknowledged>> = Arc::default();
    let mut counts = Counts::default();
    for run in 0..runs {
        let before = acknowledged.lock().unwrap().len();
        let mut pushers = Vec::new();
        for client in 0..CLIENTS {
            let (http, url, streams, acknowledged) =
                (http.clone(), url.clone(), Arc::clone(&streams), Arc::clone(&acknowledged));
            pushers.push(tokio::spawn(async move {
                let on = client as usize % STREAMS;
                let (stream, token) = &streams[on];
                let push = format!("{url}/api/v1/streams/{stream}/events");
                for batch in 0u128.. {
                    let first = client << 32 | (run as u128) << 24 | batch << 8;
                    let events: Vec<Value> = (0..20).map(|i| event(first | i)).collect();
                    match call(&http, "POST", &push, Some(token), json!({ "events": events })).await {
                        Ok((200, reply)) => {
                            let mut acknowledged = acknowledged.lock().unwrap();
                            for a in reply["accepted"].as_array().unwrap() {
                                let seq = a["seq"].as_u64().unwrap();
                                acknowledged.insert(a["id"].as_str().unwrap().to_owned(), (on, seq));
                            }
                        }
                        _ => return,
                    }
                }
            }));
        }
        // Stop once a good number of pushes were acknowledged, while the others are in flight.
        let deadline = Instant::now() + Duration::from_secs(60);
        while acknowledged.lock().unwrap().len() < before + ACKNOWLEDGED_PER_RUN {
            assert!(Instant::now() < deadline, "the server acknowledged too little");
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        stop(&mut server);
        for pusher in pushers {
            pusher.await.unwrap();
        }
        (server, url) = start(&database);
        let so_far = acknowledged.lock().unwrap().clone();
        count(&http, &url, &streams, &so_far, &mut counts).await;
        counts.runs += 1;
    }
    counts.acknowledged = acknowledged.lock().unwrap().len();
    server.kill().unwrap();
    server.wait().unwrap();
    counts
}

/// Reads every stream back whole and adds what is missing, stored twice or out of order.
async fn count(http: &Http, url: &str, streams: &[(String, String)], acknowledged: &Acknowledged, counts: &mut Counts) {
    let mut seen: HashMap<String, (usize, u64)> = HashMap::new();
    for (on, (stream, token)) in streams.iter().enumerate() {
        let mut after = 0;
        loop {
            let pull = format!("{url}/api/v1/streams/{stream}/events?after={after}");
            let (status, page) = call(http, "GET", &pull, Some(token), Value::Null).await.unwrap();
            assert_eq!(status, 200);
            let events = page["events"].as_array().unwrap();
            if events.is_empty() {
                assert_eq!(page["head"].as_u64().unwrap(), after);
                break;
            }
            for e in events {
                let seq = e["seq"].as_u64().unwrap();
                if seq != after + 1 {
                    counts.gaps += 1;
                }
                after = seq;
                if seen.insert(e["id"].as_str().unwrap().to_owned(), (on, seq)).is_some() {
                    counts.doubled += 1;
                }
            }
        }
    }
    counts.lost = acknowledged.iter().filter(|(id, place)| seen.get(*id) != Some(place)).count();
}
