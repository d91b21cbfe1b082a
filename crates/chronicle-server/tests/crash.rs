//! The server process is stopped while clients push, hard (SIGKILL, as a crash or a pulled plug)
//! or politely (SIGTERM, as a deploy does); after a restart every event it acknowledged is there
//! exactly once, with the same `seq`, and `seq` is dense.

#![cfg(unix)]

mod common;

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::process::{Child, Command};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use common::event;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::{Value, json};

type Http = Client<HttpConnector, Full<Bytes>>;

/// Starts the server binary on a free port and returns it with its base URL.
fn start(database: &Path) -> (Child, String) {
    common::start_binary(database, &[])
}

async fn call(http: &Http, method: &str, url: &str, token: Option<&str>, body: Value) -> Result<(u16, Value), String> {
    let mut request = hyper::Request::builder().method(method).uri(url).header("content-type", "application/json");
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let body = if body.is_null() { Bytes::new() } else { Bytes::from(body.to_string()) };
    let response = http.request(request.body(Full::new(body)).unwrap()).await.map_err(|e| e.to_string())?;
    let status = response.status().as_u16();
    let bytes = response.into_body().collect().await.map_err(|e| e.to_string())?.to_bytes();
    Ok((status, serde_json::from_slice(&bytes).unwrap_or(Value::Null)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_events_survive_a_hard_kill_exactly_once() {
    pushes_survive(|server| {
        server.kill().unwrap();
        server.wait().unwrap();
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_finishes_the_pushes_in_flight_and_exits_cleanly() {
    pushes_survive(|server| {
        let stopped = Command::new("kill").args(["-TERM", &server.id().to_string()]).status().unwrap();
        assert!(stopped.success());
        let status = server.wait().unwrap();
        assert!(status.success(), "the server exits 0 after SIGTERM: {status}");
    })
    .await;
}

/// Clients push until the server is stopped by `stop`; then it is started again on the same
/// database, and every event it acknowledged must be there.
async fn pushes_survive(stop: impl FnOnce(&mut Child)) {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("chronicle.db");
    let (mut server, url) = start(&database);
    let http: Http = Client::builder(TokioExecutor::new()).build_http();
    let (status, created) = call(&http, "POST", &format!("{url}/api/v1/streams"), None, json!({})).await.unwrap();
    assert_eq!(status, 201);
    let stream = created["stream"].as_str().unwrap().to_owned();
    let token = created["token"].as_str().unwrap().to_owned();

    let acknowledged: Arc<Mutex<HashMap<String, u64>>> = Arc::default();
    let mut pushers = Vec::new();
    for client in 0..4u128 {
        let (http, url, stream, token, acknowledged) =
            (http.clone(), url.clone(), stream.clone(), token.clone(), Arc::clone(&acknowledged));
        pushers.push(tokio::spawn(async move {
            for batch in 0u128.. {
                let events: Vec<Value> = (0..20).map(|i| event(client << 40 | batch << 8 | i)).collect();
                let push = format!("{url}/api/v1/streams/{stream}/events");
                match call(&http, "POST", &push, Some(&token), json!({ "events": events })).await {
                    Ok((200, reply)) => {
                        let mut acknowledged = acknowledged.lock().unwrap();
                        for a in reply["accepted"].as_array().unwrap() {
                            acknowledged.insert(a["id"].as_str().unwrap().to_owned(), a["seq"].as_u64().unwrap());
                        }
                    }
                    _ => return,
                }
            }
        }));
    }
    // Kill once a good number of pushes were acknowledged, while the others are in flight.
    let deadline = Instant::now() + Duration::from_secs(60);
    while acknowledged.lock().unwrap().len() < 2000 {
        assert!(Instant::now() < deadline, "the server acknowledged too little");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    stop(&mut server);
    for pusher in pushers {
        pusher.await.unwrap();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();

    let (mut server, url) = start(&database);
    let mut seen: HashMap<String, u64> = HashMap::new();
    let mut after = 0;
    let head = loop {
        let pull = format!("{url}/api/v1/streams/{stream}/events?after={after}");
        let (status, page) = call(&http, "GET", &pull, Some(&token), Value::Null).await.unwrap();
        assert_eq!(status, 200);
        let events = page["events"].as_array().unwrap();
        for e in events {
            let seq = e["seq"].as_u64().unwrap();
            assert_eq!(seq, after + 1, "seq is dense");
            after = seq;
            assert!(seen.insert(e["id"].as_str().unwrap().to_owned(), seq).is_none(), "an event is stored twice");
        }
        if events.is_empty() {
            break page["head"].as_u64().unwrap();
        }
    };
    assert_eq!(head, after);
    let missing: HashSet<_> = acknowledged.iter().filter(|(id, seq)| seen.get(*id) != Some(seq)).collect();
    assert!(missing.is_empty(), "{} acknowledged events lost or moved", missing.len());
    server.kill().unwrap();
    server.wait().unwrap();
}
