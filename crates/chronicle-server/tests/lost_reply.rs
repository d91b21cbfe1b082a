//! A reply lost on the way back, after the server committed what it answers: a proxy in front of
//! the real server passes each request on, waits for the whole reply and then hangs up without
//! passing it back. The client's retry, sent again as it was, gets the same outcome.

#![cfg(unix)]

mod common;

use std::net::SocketAddr;

use common::{call, call_with, event, http_client};
use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use uuid::Uuid;

/// Listens on a free port and passes every connection to `upstream`, dropping every reply once the
/// server has sent all of it. Returns the proxy's base URL.
async fn reply_dropping_proxy(upstream: SocketAddr) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut client, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut server = TcpStream::connect(upstream).await.unwrap();
                let (mut from_client, _to_client) = client.split();
                let (mut from_server, mut to_server) = server.split();
                // The requests ask the server to close after its reply, so its end of the
                // connection closing means the reply was written whole (and so committed first).
                let forward = async {
                    tokio::io::copy(&mut from_client, &mut to_server).await.ok();
                    to_server.shutdown().await.ok();
                    std::future::pending::<()>().await
                };
                let mut nowhere = tokio::io::sink();
                let swallow = tokio::io::copy(&mut from_server, &mut nowhere);
                tokio::select! {
                    _ = forward => {}
                    swallowed = swallow => assert!(swallowed.unwrap() > 0, "the server answered"),
                }
            });
        }
    });
    format!("http://{address}")
}

/// Sends a request through the proxy, asking the server to close the connection after its reply.
async fn lost(method: &str, url: &str, token: Option<&str>, body: Value) {
    let outcome = call_with(&http_client(), method, url, token, &[("connection", "close")], body).await;
    assert!(outcome.is_err(), "the proxy passes no reply back: {outcome:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registration_and_a_push_whose_replies_were_lost_get_the_same_outcome_when_sent_again() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, url) = common::start_binary(&dir.path().join("chronicle.db"), &[]);
    let upstream: SocketAddr = url.trim_start_matches("http://").parse().unwrap();
    let proxy = reply_dropping_proxy(upstream).await;
    let http = http_client();

    let stream = Uuid::from_u128(0xfeed);
    let token = "Hx7_-bq2Zk0aYwV9LmN3pQrS5tU8vW1xY4zA6cD9eF0";
    let register = json!({ "stream": stream, "token": token });
    lost("POST", &format!("{proxy}/api/v1/streams"), None, register.clone()).await;
    let (status, created) = call(&http, "POST", &format!("{url}/api/v1/streams"), None, register).await.unwrap();
    assert_eq!(status, 201, "{created}");
    assert_eq!((&created["stream"], &created["token"]), (&json!(stream), &json!(token)));

    let events = json!({ "events": [event(1), event(2), event(3)] });
    let push = format!("/api/v1/streams/{stream}/events");
    lost("POST", &format!("{proxy}{push}"), Some(token), events.clone()).await;
    let (status, page) = call(&http, "GET", &format!("{url}{push}"), Some(token), Value::Null).await.unwrap();
    assert_eq!((status, &page["head"]), (200, &json!(3)), "the lost push was committed");
    let (status, pushed) = call(&http, "POST", &format!("{url}{push}"), Some(token), events).await.unwrap();
    assert_eq!(status, 200, "{pushed}");
    let stored: Vec<(Value, Value)> =
        page["events"].as_array().unwrap().iter().map(|e| (e["id"].clone(), e["seq"].clone())).collect();
    let answered: Vec<(Value, Value)> =
        pushed["accepted"].as_array().unwrap().iter().map(|a| (a["id"].clone(), a["seq"].clone())).collect();
    assert_eq!(answered, stored, "the retry is answered with the seqs the lost reply held");
    let (_, after) = call(&http, "GET", &format!("{url}{push}"), Some(token), Value::Null).await.unwrap();
    assert_eq!(after["head"], 3, "nothing is stored twice");

    child.kill().unwrap();
    child.wait().unwrap();
}
