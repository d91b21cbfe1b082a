//! Every endpoint and every error of the protocol, through `oneshot` against a temporary database.

mod common;

use axum::body::Body;
use axum::http::StatusCode;
use common::{Server, event, next_message, read_whole, seqs};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;
use uuid::Uuid;

#[tokio::test]
async fn creating_a_stream_gives_an_id_and_a_long_token() {
    let server = Server::new().await;
    let reply = server.json("POST", "/api/v1/streams", None, json!({})).await;
    assert_eq!(reply.status, StatusCode::CREATED);
    assert!(reply.body["stream"].as_str().unwrap().parse::<Uuid>().is_ok());
    let token = reply.body["token"].as_str().unwrap();
    assert!(token.len() * 4 >= 128, "at least 128 bits: {token}");
    let other = server.json("POST", "/api/v1/streams", None, json!({})).await;
    assert_ne!(other.body["token"], reply.body["token"]);
    assert_ne!(other.body["stream"], reply.body["stream"]);
}

#[tokio::test]
async fn a_stream_keeps_the_id_its_client_chose_and_that_id_cannot_be_taken_again() {
    let server = Server::new().await;
    let chosen = Uuid::from_u128(42);
    let reply = server.json("POST", "/api/v1/streams", None, json!({ "stream": chosen })).await;
    assert_eq!(reply.status, StatusCode::CREATED);
    assert_eq!(reply.body["stream"], json!(chosen));
    let again = server.json("POST", "/api/v1/streams", None, json!({ "stream": chosen })).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(again.code(), "stream_exists");
}

#[tokio::test]
async fn a_registration_with_a_token_the_client_made_can_be_sent_again_when_its_reply_was_lost() {
    let server = Server::new().await;
    let chosen = Uuid::from_u128(43);
    let token = "Hx7_-bq2Zk0aYwV9LmN3pQrS5tU8vW1xY4zA6cD9eF0";
    let body = json!({ "stream": chosen, "token": token });
    let first = server.json("POST", "/api/v1/streams", None, body.clone()).await;
    assert_eq!(first.status, StatusCode::CREATED);
    assert_eq!((&first.body["stream"], &first.body["token"]), (&json!(chosen), &json!(token)));
    // The reply was lost; the client asks again and gets the same answer.
    let again = server.json("POST", "/api/v1/streams", None, body).await;
    assert_eq!((again.status, &again.body), (StatusCode::CREATED, &first.body));
    server.push(chosen, token, vec![event(1)]).await;
    assert_eq!(server.pull(chosen, token, "").await.body["head"], 1, "the chosen token opens the stream");

    let other = json!({ "stream": chosen, "token": "A".repeat(43) });
    let taken = server.json("POST", "/api/v1/streams", None, other).await;
    assert_eq!((taken.status, taken.code()), (StatusCode::CONFLICT, "stream_exists"));
    let without = server.json("POST", "/api/v1/streams", None, json!({ "stream": chosen })).await;
    assert_eq!(without.status, StatusCode::CONFLICT, "nor is it taken without a token");
}

#[tokio::test]
async fn a_chosen_token_that_is_short_or_not_base64url_is_refused() {
    let server = Server::new().await;
    let stream = Uuid::from_u128(44);
    for token in
        [json!("short"), json!("A".repeat(42)), json!(format!("{}=", "A".repeat(43))), json!("é".repeat(43)), json!(7)]
    {
        let reply = server.json("POST", "/api/v1/streams", None, json!({ "stream": stream, "token": token })).await;
        assert_eq!((reply.status, reply.code()), (StatusCode::BAD_REQUEST, "bad_token"), "{token}");
    }
    let alone = server.json("POST", "/api/v1/streams", None, json!({ "token": "A".repeat(43) })).await;
    assert_eq!((alone.status, alone.code()), (StatusCode::BAD_REQUEST, "bad_request"), "a token needs a stream");
    let created = server.json("POST", "/api/v1/streams", None, json!({ "stream": stream })).await;
    assert_eq!(created.status, StatusCode::CREATED, "none of those took the id");
}

#[tokio::test]
async fn a_bad_create_request_is_refused() {
    let server = Server::new().await;
    for body in [json!({ "stream": "not-a-uuid" }), json!({ "stream": 5 }), json!({ "other": 1 }), json!([1])] {
        let reply = server.json("POST", "/api/v1/streams", None, body.clone()).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{body}");
    }
    let reply = server.send("POST", "/api/v1/streams", None, Body::from("{")).await;
    assert_eq!((reply.status, reply.code()), (StatusCode::BAD_REQUEST, "malformed_json"));
}

#[tokio::test]
async fn without_a_token_nothing_is_served_and_a_wrong_token_looks_like_no_stream() {
    let server = Server::new().await;
    let (stream, token) = server.stream().await;
    let uri = format!("/api/v1/streams/{stream}/events");
    let none = server.send("GET", &uri, None, Body::empty()).await;
    assert_eq!((none.status, none.code()), (StatusCode::UNAUTHORIZED, "unauthorized"));
    let none = server.json("POST", &uri, None, json!({ "events": [event(1)] })).await;
    assert_eq!(none.status, StatusCode::UNAUTHORIZED);

    let wrong = server.pull(stream, "0123456789abcdef0123456789abcdef", "").await;
    let unknown = server.pull(Uuid::from_u128(99), &token, "").await;
    let nil = server.pull(Uuid::nil(), &token, "").await;
    let not_an_id = server.send("GET", "/api/v1/streams/garbage/events", Some(&token), Body::empty()).await;
    assert_eq!(wrong.status, StatusCode::NOT_FOUND);
    assert_eq!(wrong.body, unknown.body, "a wrong token and an unknown stream read the same");
    assert_eq!(wrong.body, nil.body, "and so does the nil stream");
    assert_eq!((not_an_id.status, &not_an_id.body), (wrong.status, &wrong.body), "and a stream id that is not a UUID");

    // Nothing was stored by the refused push.
    assert_eq!(server.pull(stream, &token, "").await.body["head"], 0);
}

#[tokio::test]
async fn pushes_get_dense_seqs_and_pulls_return_them_in_order() {
    let server = Server::new().await;
    let (stream, token) = server.stream().await;
    let first = server.push(stream, &token, vec![event(1), event(2), event(3)]).await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(
        first.body,
        json!({ "accepted": [
            { "id": event(1)["id"], "seq": 1 },
            { "id": event(2)["id"], "seq": 2 },
            { "id": event(3)["id"], "seq": 3 },
        ], "head": 3 })
    );
    let second = server.push(stream, &token, vec![event(4)]).await;
    assert_eq!(second.body["head"], 4);

    let all = server.pull(stream, &token, "").await;
    assert_eq!(all.status, StatusCode::OK);
    assert_eq!(seqs(&all.body), [1, 2, 3, 4]);
    assert_eq!(all.body["head"], 4);
    let mut expected = event(2);
    expected["seq"] = json!(2);
    assert_eq!(all.body["events"][1], expected, "an event comes back as it was pushed, with its seq");

    assert_eq!(seqs(&server.pull(stream, &token, "?after=2").await.body), [3, 4]);
    assert_eq!(seqs(&server.pull(stream, &token, "?after=1&limit=2").await.body), [2, 3]);
    assert_eq!(seqs(&server.pull(stream, &token, "?after=4").await.body), Vec::<u64>::new());
    assert_eq!(seqs(&server.pull(stream, &token, "?after=400").await.body), Vec::<u64>::new());
    let bad = server.pull(stream, &token, "?after=x").await;
    assert_eq!((bad.status, bad.code()), (StatusCode::BAD_REQUEST, "bad_query"));
}

#[tokio::test]
async fn a_page_holds_at_most_a_thousand_events() {
    let server = Server::new().await;
    let (stream, token) = server.stream().await;
    for chunk in 0..2u128 {
        let events = (0..1000).map(|i| event(chunk * 1000 + i)).collect();
        assert_eq!(server.push(stream, &token, events).await.status, StatusCode::OK);
    }
    let page = server.pull(stream, &token, "?limit=5000").await;
    assert_eq!(seqs(&page.body).len(), 1000);
    assert_eq!(page.body["head"], 2000);
    assert_eq!(seqs(&server.pull(stream, &token, "?after=1000").await.body).first(), Some(&1001));
}

#[tokio::test]
async fn streams_are_separate() {
    let server = Server::new().await;
    let (a, token_a) = server.stream().await;
    let (b, token_b) = server.stream().await;
    server.push(a, &token_a, vec![event(1), event(2)]).await;
    let reply = server.push(b, &token_b, vec![event(1)]).await;
    assert_eq!(reply.body["accepted"][0]["seq"], 1, "the same id may be in two streams");
    assert_eq!(server.pull(a, &token_b, "").await.status, StatusCode::NOT_FOUND, "b's token does not open a");
}

#[tokio::test]
async fn a_retried_push_returns_the_original_seqs_and_stores_nothing_twice() {
    let server = Server::new().await;
    let (stream, token) = server.stream().await;
    server.push(stream, &token, vec![event(1), event(2)]).await;
    let retry = server.push(stream, &token, vec![event(2), event(3)]).await;
    assert_eq!(retry.status, StatusCode::OK);
    assert_eq!(retry.body["accepted"][0]["seq"], 2);
    assert_eq!(retry.body["accepted"][1]["seq"], 3);
    assert_eq!(retry.body["head"], 3);
    // The same id twice in one batch is one event.
    let twice = server.push(stream, &token, vec![event(4), event(4)]).await;
    assert_eq!(twice.body["accepted"][0]["seq"], twice.body["accepted"][1]["seq"]);
    assert_eq!(seqs(&server.pull(stream, &token, "").await.body), [1, 2, 3, 4]);
}

#[tokio::test]
async fn an_id_reused_with_other_content_refuses_the_whole_batch() {
    let server = Server::new().await;
    let (stream, token) = server.stream().await;
    server.push(stream, &token, vec![event(1)]).await;
    let mut changed = event(1);
    changed["data"] = json!({ "n": 100 });
    let reply = server.push(stream, &token, vec![event(2), changed]).await;
    assert_eq!((reply.status, reply.code()), (StatusCode::CONFLICT, "event_id_reused"));
    assert_eq!(reply.body["error"]["index"], 1, "the refused event's place in the batch");
    let all = server.pull(stream, &token, "").await;
    assert_eq!(seqs(&all.body), [1], "event 2 of the refused batch was not stored");
    assert_eq!(all.body["head"], 1);
    // The next push still gets a dense seq.
    assert_eq!(server.push(stream, &token, vec![event(2)]).await.body["accepted"][0]["seq"], 2);
}

#[tokio::test]
async fn bad_envelopes_are_refused_with_what_was_wrong() {
    let server = Server::new().await;
    let (stream, token) = server.stream().await;
    let broken = |change: &dyn Fn(&mut serde_json::Map<String, Value>)| {
        let mut e = event(1);
        change(e.as_object_mut().unwrap());
        e
    };
    let cases: Vec<(&str, Value)> = vec![
        ("id", broken(&|e| drop(e.insert("id".into(), json!("nope"))))),
        ("device", broken(&|e| drop(e.insert("device".into(), json!(12))))),
        ("type", broken(&|e| drop(e.insert("type".into(), json!(""))))),
        ("type", broken(&|e| drop(e.insert("type".into(), json!("x".repeat(65)))))),
        ("version", broken(&|e| drop(e.insert("version".into(), json!(0))))),
        ("version", broken(&|e| drop(e.insert("version".into(), json!(1.5))))),
        ("at", broken(&|e| drop(e.insert("at".into(), json!("yesterday"))))),
        ("data", broken(&|e| drop(e.remove("data")))),
        ("id", broken(&|e| drop(e.remove("id")))),
        ("seq", broken(&|e| drop(e.insert("seq".into(), json!(1))))),
        ("object", json!("an event")),
    ];
    for (field, bad) in cases {
        let reply = server.push(stream, &token, vec![event(5), bad.clone()]).await;
        assert_eq!((reply.status, reply.code()), (StatusCode::BAD_REQUEST, "bad_envelope"), "{bad}");
        assert_eq!(reply.body["error"]["index"], 1, "{bad}");
        let message = reply.body["error"]["message"].as_str().unwrap();
        assert!(message.starts_with("Event 2 of the batch"), "{message}");
        assert!(message.contains(field), "{field}: {message}");
    }
    // A type of exactly 64 characters is fine.
    let mut long = event(6);
    long["type"] = json!("y".repeat(64));
    assert_eq!(server.push(stream, &token, vec![long]).await.status, StatusCode::OK);
    assert_eq!(server.pull(stream, &token, "").await.body["head"], 1, "no refused batch left anything behind");

    for body in ["{", "[]", "{\"events\": 3}", "{\"events\": [], \"more\": 1}", ""] {
        let reply =
            server.send("POST", &format!("/api/v1/streams/{stream}/events"), Some(&token), Body::from(body)).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{body}");
    }
}

#[tokio::test]
async fn oversized_requests_are_refused() {
    let server = Server::new().await;
    let (stream, token) = server.stream().await;
    let many = (0..1001).map(event).collect();
    let reply = server.push(stream, &token, many).await;
    assert_eq!((reply.status, reply.code()), (StatusCode::PAYLOAD_TOO_LARGE, "too_many_events"));

    let mut big = event(1);
    big["data"] = json!({ "text": "x".repeat(64 * 1024) });
    let reply = server.push(stream, &token, vec![big]).await;
    assert_eq!((reply.status, reply.code()), (StatusCode::PAYLOAD_TOO_LARGE, "event_too_large"));
    assert_eq!(reply.body["error"]["index"], 0);

    let huge = format!("{{\"events\": [], \"pad\": \"{}\"}}", "x".repeat(4 * 1024 * 1024));
    let reply = server.send("POST", &format!("/api/v1/streams/{stream}/events"), Some(&token), Body::from(huge)).await;
    assert_eq!((reply.status, reply.code()), (StatusCode::PAYLOAD_TOO_LARGE, "body_too_large"));
    assert_eq!(server.pull(stream, &token, "").await.body["head"], 0);
}

/// The client's own check of an event's size (`WireEnvelope::problem`, which an import runs on
/// every event) agrees with the server on events whose data the server writes out otherwise: with
/// spaces it drops, with numbers it writes out in full, and at the limit exactly.
#[tokio::test]
async fn the_clients_size_check_agrees_with_the_server() {
    use chronicle_protocol::{Data, MAX_EVENT_BYTES, WireEnvelope};

    let server = Server::new().await;
    let (stream, token) = server.stream().await;
    let envelope = |n: u128, data: String| WireEnvelope {
        id: Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0000 + n),
        kind: "noted".to_owned(),
        version: 1,
        device: Uuid::from_u128(7),
        at: 1,
        seq: None,
        data: Data::from_text(data).unwrap(),
    };
    let compact = |n: u128, text: usize| envelope(n, format!("{{\"t\":\"{}\"}}", "x".repeat(text)));
    let base = serde_json::to_vec(&compact(1, 0)).unwrap().len();
    let cases = [
        envelope(1, format!("{{\"t\": \"x\"{}}}", " ".repeat(MAX_EVENT_BYTES))),
        envelope(2, format!("[{}]", vec!["1e15"; MAX_EVENT_BYTES / 6].join(","))),
        compact(3, MAX_EVENT_BYTES - base),
        compact(4, MAX_EVENT_BYTES - base + 1),
    ];
    let mut accepted = 0;
    for case in cases {
        let body = format!("{{\"events\":[{}]}}", serde_json::to_string(&case).unwrap());
        let uri = format!("/api/v1/streams/{stream}/events");
        let reply = server.send("POST", &uri, Some(&token), Body::from(body)).await;
        let client = case.problem();
        match reply.status {
            StatusCode::OK => {
                assert_eq!(client, None, "the server took it");
                accepted += 1;
            }
            _ => {
                assert_eq!(reply.code(), "event_too_large", "{}", reply.body);
                assert!(client.is_some(), "the server refused it: {}", reply.body);
            }
        }
    }
    assert_eq!(accepted, 2, "the spaced one and the one at the limit exactly");
}

#[tokio::test]
async fn unknown_endpoints_answer_in_the_error_shape() {
    let server = Server::new().await;
    let reply = server.send("GET", "/api/v1/nothing", None, Body::empty()).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    let reply = server.send("DELETE", "/api/v1/streams", None, Body::empty()).await;
    assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn everything_acknowledged_is_there_after_a_restart() {
    let server = Server::new().await;
    let (stream, token) = server.stream().await;
    server.push(stream, &token, vec![event(1), event(2)]).await;
    let server = server.reopen().await;
    let all = server.pull(stream, &token, "").await;
    assert_eq!(seqs(&all.body), [1, 2]);
    assert_eq!(server.push(stream, &token, vec![event(3)]).await.body["head"], 3);
}

/// Reads the next server-sent message's `data` line, waiting at most a few seconds for it.

#[tokio::test]
async fn live_sends_what_is_there_then_each_new_batch() {
    let server = Server::new().await;
    let (stream, token) = server.stream().await;
    server.push(stream, &token, vec![event(1), event(2)]).await;
    let request = axum::http::Request::get(format!("/api/v1/streams/{stream}/live?after=1"))
        .header("authorization", format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    let response = server.router.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let mut body = response.into_body();
    let mut buffer = String::new();
    let first = next_message(&mut body, &mut buffer).await;
    assert_eq!(seqs(&first), [2]);
    server.push(stream, &token, vec![event(3), event(4)]).await;
    let second = next_message(&mut body, &mut buffer).await;
    assert_eq!(seqs(&second), [3, 4]);
    assert_eq!(second["head"], 4);

    let refused = server.send("GET", &format!("/api/v1/streams/{stream}/live"), None, Body::empty()).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn health_says_the_store_can_be_read_and_written() {
    let server = Server::new().await;
    let reply = server.send("GET", "/healthz", None, Body::empty()).await;
    assert_eq!((reply.status, &reply.body), (StatusCode::OK, &json!({ "status": "ok" })));
}

/// A store whose disk has gone: every call fails.
struct Broken;

impl chronicle_server::Store for Broken {
    fn create_stream(&self, _: Uuid, _: [u8; 32]) -> chronicle_server::StoreFuture<'_, ()> {
        Box::pin(async { Err(chronicle_server::StoreError::Storage("disk I/O error".into())) })
    }
    fn token_hash(&self, _: Uuid) -> chronicle_server::StoreFuture<'_, Option<[u8; 32]>> {
        Box::pin(async { Err(chronicle_server::StoreError::Storage("disk I/O error".into())) })
    }
    fn append(
        &self,
        _: Uuid,
        _: Vec<chronicle_server::NewEvent>,
    ) -> chronicle_server::StoreFuture<'_, chronicle_server::Appended> {
        Box::pin(async { Err(chronicle_server::StoreError::Storage("disk I/O error".into())) })
    }
    fn delete_stream(&self, _: Uuid) -> chronicle_server::StoreFuture<'_, ()> {
        Box::pin(async { Err(chronicle_server::StoreError::Storage("disk I/O error".into())) })
    }
    fn check(&self) -> chronicle_server::StoreFuture<'_, ()> {
        Box::pin(async { Err(chronicle_server::StoreError::Storage("disk I/O error".into())) })
    }
    fn read(&self, _: Uuid, _: u64, _: usize) -> chronicle_server::StoreFuture<'_, chronicle_server::Page> {
        Box::pin(async { Err(chronicle_server::StoreError::Storage("disk I/O error".into())) })
    }
}

#[tokio::test]
async fn health_answers_503_when_the_store_fails_and_says_nothing_of_why() {
    use tower::ServiceExt;
    let router = chronicle_server::app(chronicle_server::AppState::new(Broken, None));
    let request = axum::http::Request::get("/healthz").body(Body::empty()).unwrap();
    let response = router.oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    let bytes = http_body_util::BodyExt::collect(response.into_body()).await.unwrap().to_bytes();
    let body: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(body["error"]["code"], "unavailable");
    assert!(!body.to_string().contains("disk"), "the detail stays in the log: {body}");
}

#[tokio::test]
async fn answers_carry_the_security_headers_and_the_app_its_content_security_policy() {
    use tower::ServiceExt;
    let dir = tempfile::tempdir().unwrap();
    let loader = "\nimport init from '/app.js';\nawait init();\n";
    std::fs::write(dir.path().join("index.html"), format!("<!doctype html><script type=\"module\">{loader}</script>"))
        .unwrap();
    let store = chronicle_server::SqliteStore::open(dir.path().join("chronicle.db")).unwrap();
    let router = chronicle_server::app(chronicle_server::AppState::new(store, Some(dir.path().to_path_buf())));
    let get = |uri: &str| axum::http::Request::get(uri).body(Body::empty()).unwrap();

    let page = router.clone().oneshot(get("/")).await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let header = |name: &str| page.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let policy = header("content-security-policy");
    use base64::Engine;
    use sha2::Digest;
    let hash = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(loader.as_bytes()));
    assert!(policy.contains(&format!("'sha256-{hash}'")), "the loader is allowed by its hash: {policy}");
    assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
    assert_eq!(header("x-content-type-options"), "nosniff");
    assert_eq!(header("referrer-policy"), "no-referrer");
    assert_eq!(header("cache-control"), "no-cache", "the service worker revalidates the app");

    let api = router.clone().oneshot(get("/api/v1/streams/nothing/events")).await.unwrap();
    assert_eq!(api.headers()["cache-control"], "no-store", "answers about streams are never cached");
    assert_eq!(api.headers()["x-content-type-options"], "nosniff");
}

#[tokio::test]
async fn app_files_go_out_as_the_build_compressed_them_and_hashed_ones_are_kept_a_year() {
    use tower::ServiceExt;
    let dir = tempfile::tempdir().unwrap();
    let files = [
        ("index.html", "<!doctype html><title>Chronicle</title>"),
        ("chronicle-14cecd48232632c9_bg.wasm", "wasm bytes"),
        ("sw.js", "self.addEventListener('fetch', () => {});"),
    ];
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
        std::fs::write(dir.path().join(format!("{name}.gz")), format!("gzip of {name}")).unwrap();
        std::fs::write(dir.path().join(format!("{name}.br")), format!("brotli of {name}")).unwrap();
    }
    let store = chronicle_server::SqliteStore::open(dir.path().join("chronicle.db")).unwrap();
    let router = chronicle_server::app(chronicle_server::AppState::new(store, Some(dir.path().to_path_buf())));
    let get = |uri: &str, accept: &str| {
        let request = axum::http::Request::get(uri).header("accept-encoding", accept).body(Body::empty()).unwrap();
        let router = router.clone();
        async move {
            let response = router.oneshot(request).await.unwrap();
            let header = |name: &str| response.headers().get(name).map(|v| v.to_str().unwrap().to_owned());
            let (encoding, cache) = (header("content-encoding"), header("cache-control"));
            let body = http_body_util::BodyExt::collect(response.into_body()).await.unwrap().to_bytes();
            (encoding, cache.unwrap_or_default(), String::from_utf8(body.to_vec()).unwrap())
        }
    };
    let year = "public, max-age=31536000, immutable";
    let wasm = "/chronicle-14cecd48232632c9_bg.wasm";
    assert_eq!(
        get(wasm, "gzip, deflate, br").await,
        (Some("br".into()), year.into(), format!("brotli of {}", &wasm[1..]))
    );
    assert_eq!(get(wasm, "gzip").await, (Some("gzip".into()), year.into(), format!("gzip of {}", &wasm[1..])));
    assert_eq!(get(wasm, "identity").await, (None, year.into(), "wasm bytes".into()));
    assert_eq!(get("/", "br").await, (Some("br".into()), "no-cache".into(), "brotli of index.html".into()));
    assert_eq!(get("/sw.js", "gzip").await.1, "no-cache", "a new service worker is seen at once");
    let missing = get("/chronicle-0000000000000000_bg.wasm", "br").await;
    assert_eq!(missing.1, "no-cache", "a file that is not there is not remembered as missing");
}

#[tokio::test]
async fn pages_are_bounded_by_bytes_and_every_event_still_comes_back_by_paging() {
    let server = Server::in_memory().await;
    let (stream, token) = server.stream().await;
    let large = |n: u128| {
        let mut e = event(n);
        e["data"] = json!({ "text": "x".repeat(60 * 1024) });
        e
    };
    for first in (0..150u128).step_by(50) {
        let reply = server.push(stream, &token, (first..first + 50).map(large).collect()).await;
        assert_eq!(reply.status, StatusCode::OK);
    }
    let mut after = 0;
    let mut pages = 0;
    while after < 150 {
        let page = server.pull(stream, &token, &format!("?after={after}")).await;
        let events = page.body["events"].as_array().unwrap();
        let bytes: usize = events.iter().map(|e| e.to_string().len()).sum();
        assert!(bytes <= chronicle_protocol::MAX_PAGE_BYTES + 64 * 1024, "a page of {bytes} bytes");
        assert!(!events.is_empty() && events.len() < 150);
        assert_eq!(seqs(&page.body), (after + 1..=after + events.len() as u64).collect::<Vec<_>>());
        after += events.len() as u64;
        pages += 1;
    }
    assert!(pages >= 3, "{pages} pages for about 9 MB");
}

#[tokio::test]
async fn odd_bodies_are_refused_plainly() {
    let server = Server::new().await;
    let (stream, token) = server.stream().await;
    let uri = format!("/api/v1/streams/{stream}/events");
    let deep = format!("{{\"events\": [{}{}]}}", "[".repeat(10_000), "]".repeat(10_000));
    let reply = server.send("POST", &uri, Some(&token), Body::from(deep)).await;
    assert_eq!((reply.status, reply.code()), (StatusCode::BAD_REQUEST, "malformed_json"), "deeply nested");
    let reply = server.send("POST", &uri, Some(&token), Body::from(b"{\"events\": [\"\xff\xfe\"]}".to_vec())).await;
    assert_eq!((reply.status, reply.code()), (StatusCode::BAD_REQUEST, "malformed_json"), "not UTF-8");
    let padded = json!({ "stream": Uuid::from_u128(5), "pad": "x".repeat(2000) });
    let reply = server.json("POST", "/api/v1/streams", None, padded).await;
    assert_eq!(
        (reply.status, reply.code()),
        (StatusCode::PAYLOAD_TOO_LARGE, "body_too_large"),
        "a create body is small"
    );
    assert_eq!(server.pull(stream, &token, "").await.body["head"], 0);
}

#[tokio::test]
async fn live_listeners_beyond_the_cap_are_asked_to_come_back_later() {
    use tower::ServiceExt;
    let dir = tempfile::tempdir().unwrap();
    let store = chronicle_server::SqliteStore::open(dir.path().join("chronicle.db")).unwrap();
    let limits = chronicle_server::ListenerLimits { total: 3, per_stream: 2 };
    let router = chronicle_server::app(chronicle_server::AppState::new(store, None).with_listener_limits(limits));
    let send = |request: axum::http::Request<Body>| router.clone().oneshot(request);
    let created = send(axum::http::Request::post("/api/v1/streams").body(Body::from("{}")).unwrap()).await.unwrap();
    let created: serde_json::Value =
        serde_json::from_slice(&http_body_util::BodyExt::collect(created.into_body()).await.unwrap().to_bytes())
            .unwrap();
    let (stream, token) =
        (created["stream"].as_str().unwrap().to_owned(), created["token"].as_str().unwrap().to_owned());
    let listen = |stream: &str| {
        axum::http::Request::get(format!("/api/v1/streams/{stream}/live"))
            .header("authorization", format!("Bearer {token}"))
            .body(Body::empty())
            .unwrap()
    };
    let first = send(listen(&stream)).await.unwrap();
    let second = send(listen(&stream)).await.unwrap();
    assert_eq!((first.status(), second.status()), (StatusCode::OK, StatusCode::OK));
    let third = send(listen(&stream)).await.unwrap();
    assert_eq!(third.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(third.headers()["retry-after"], "30");
    let body = http_body_util::BodyExt::collect(third.into_body()).await.unwrap().to_bytes();
    assert_eq!(serde_json::from_slice::<serde_json::Value>(&body).unwrap()["error"]["code"], "too_many_listeners");

    // A listener that goes frees its place.
    drop(first);
    assert_eq!(send(listen(&stream)).await.unwrap().status(), StatusCode::OK);
}

#[tokio::test]
async fn stream_creation_is_rate_limited_per_client_address() {
    use axum::extract::ConnectInfo;
    use tower::ServiceExt;
    let dir = tempfile::tempdir().unwrap();
    let store = chronicle_server::SqliteStore::open(dir.path().join("chronicle.db")).unwrap();
    let limit = chronicle_server::CreateLimit { burst: 2, per_minute: 1 };
    let header = axum::http::HeaderName::from_static("x-forwarded-for");
    let router =
        chronicle_server::app(chronicle_server::AppState::new(store, None).with_create_limit(limit, Some(header)));
    let create = |from: &str, forwarded: Option<&str>| {
        let mut request = axum::http::Request::post("/api/v1/streams");
        if let Some(forwarded) = forwarded {
            request = request.header("x-forwarded-for", forwarded);
        }
        let mut request = request.body(Body::from("{}")).unwrap();
        request.extensions_mut().insert(ConnectInfo(format!("{from}:4000").parse::<std::net::SocketAddr>().unwrap()));
        router.clone().oneshot(request)
    };
    for _ in 0..2 {
        assert_eq!(create("10.0.0.1", None).await.unwrap().status(), StatusCode::CREATED);
    }
    let refused = create("10.0.0.1", None).await.unwrap();
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u32 = refused.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    let body = http_body_util::BodyExt::collect(refused.into_body()).await.unwrap().to_bytes();
    assert_eq!(serde_json::from_slice::<serde_json::Value>(&body).unwrap()["error"]["code"], "rate_limited");
    assert_eq!(create("10.0.0.2", None).await.unwrap().status(), StatusCode::CREATED, "another address");

    // Behind the trusted proxy, the address it names counts, the last one it appended.
    for _ in 0..2 {
        let status = create("10.0.0.9", Some("203.0.113.5, 198.51.100.7")).await.unwrap().status();
        assert_eq!(status, StatusCode::CREATED);
    }
    assert_eq!(create("10.0.0.9", Some("198.51.100.7")).await.unwrap().status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(create("10.0.0.9", Some("198.51.100.8")).await.unwrap().status(), StatusCode::CREATED);
}

fn router_with(dir: &tempfile::TempDir, options: chronicle_server::StoreOptions) -> axum::Router {
    let store = chronicle_server::SqliteStore::open_with(dir.path().join("chronicle.db"), options).unwrap();
    chronicle_server::app(chronicle_server::AppState::new(store, None))
}

#[tokio::test]
async fn a_stream_holds_at_most_its_quota_and_a_push_past_it_stores_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let options = chronicle_server::StoreOptions { max_stream_bytes: 2_000, ..Default::default() };
    let server = Server { router: router_with(&dir, options), dir };
    let (stream, token) = server.stream().await;
    let sized = |n: u128| {
        let mut e = event(n);
        e["data"] = json!({ "text": "x".repeat(600) });
        e
    };
    assert_eq!(server.push(stream, &token, vec![sized(1), sized(2)]).await.status, StatusCode::OK);
    let over = server.push(stream, &token, vec![sized(3), sized(4)]).await;
    assert_eq!((over.status, over.code()), (StatusCode::PAYLOAD_TOO_LARGE, "quota_exceeded"));
    assert_eq!(server.pull(stream, &token, "").await.body["head"], 2, "nothing of the refused batch");
    let again = server.push(stream, &token, vec![sized(1), sized(2)]).await;
    assert_eq!(again.status, StatusCode::OK, "events already held count once");
}

#[tokio::test]
async fn a_database_of_the_first_schema_is_brought_up_to_date_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chronicle.db");
    let stream = Uuid::from_u128(77);
    let token = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    {
        // Written as the server before schema 2 wrote it.
        let db = rusqlite::Connection::open(&path).unwrap();
        db.execute_batch(
            "CREATE TABLE streams (id TEXT PRIMARY KEY, token_hash BLOB NOT NULL, head BIGINT NOT NULL DEFAULT 0);
             CREATE TABLE events (stream TEXT NOT NULL REFERENCES streams (id), seq BIGINT NOT NULL, id TEXT NOT NULL,
                 body TEXT NOT NULL, PRIMARY KEY (stream, seq));
             CREATE UNIQUE INDEX events_by_id ON events (stream, id);
             PRAGMA user_version = 1;",
        )
        .unwrap();
        let hash = <sha2::Sha256 as sha2::Digest>::digest(token.as_bytes());
        db.execute(
            "INSERT INTO streams (id, token_hash, head) VALUES (?1, ?2, 2)",
            rusqlite::params![stream.to_string(), &hash[..]],
        )
        .unwrap();
        for n in 1..=2u128 {
            let body = serde_json::to_string(&event(n)).unwrap();
            db.execute(
                "INSERT INTO events (stream, seq, id, body) VALUES (?1, ?2, ?3, ?4)",
                rusqlite::params![stream.to_string(), n as i64, Uuid::from_u128(0x1000_0000 + n).to_string(), body],
            )
            .unwrap();
        }
    }
    let held = 2 * serde_json::to_string(&event(1)).unwrap().len() as u64;
    let options = chronicle_server::StoreOptions { max_stream_bytes: held + 10, ..Default::default() };
    let server = Server { router: router_with(&dir, options), dir };
    let all = server.pull(stream, token, "").await;
    assert_eq!(seqs(&all.body), [1, 2], "everything is there");
    // The events held before count against the quota: one more is too many.
    let over = server.push(stream, token, vec![event(3)]).await;
    assert_eq!((over.status, over.code()), (StatusCode::PAYLOAD_TOO_LARGE, "quota_exceeded"));
    let version: i64 = rusqlite::Connection::open(server.dir.path().join("chronicle.db"))
        .unwrap()
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .unwrap();
    assert_eq!(version, 3);
    // Schema 3 keeps deleted streams: an upgraded database can delete one.
    let deleted = server.send("DELETE", &format!("/api/v1/streams/{stream}"), Some(token), Body::empty()).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert_eq!(server.pull(stream, token, "").await.code(), "stream_deleted");
}

#[tokio::test]
async fn a_deleted_stream_loses_its_events_and_says_so_to_its_token_and_its_id_is_never_taken_again() {
    let server = Server::new().await;
    let (stream, token) = server.stream().await;
    let (other, other_token) = server.stream().await;
    server.push(stream, &token, vec![event(1), event(2)]).await;
    server.push(other, &other_token, vec![event(3)]).await;
    let path = format!("/api/v1/streams/{stream}");

    let unauthorised = server.send("DELETE", &path, None, Body::empty()).await;
    assert_eq!(unauthorised.status, StatusCode::UNAUTHORIZED);
    let wrong = server.send("DELETE", &path, Some(&other_token), Body::empty()).await;
    assert_eq!(
        (wrong.status, wrong.code()),
        (StatusCode::NOT_FOUND, "stream_not_found"),
        "a wrong token deletes nothing"
    );
    assert_eq!(seqs(&server.pull(stream, &token, "").await.body), [1, 2]);

    let deleted = server.send("DELETE", &path, Some(&token), Body::empty()).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    let pulled = server.pull(stream, &token, "").await;
    assert_eq!((pulled.status, pulled.code()), (StatusCode::GONE, "stream_deleted"));
    let pushed = server.push(stream, &token, vec![event(4)]).await;
    assert_eq!((pushed.status, pushed.code()), (StatusCode::GONE, "stream_deleted"));
    let again = server.send("DELETE", &path, Some(&token), Body::empty()).await;
    assert_eq!(again.status, StatusCode::NO_CONTENT, "deleting again changes nothing");
    let recreated = server.json("POST", "/api/v1/streams", None, json!({ "stream": stream, "token": token })).await;
    assert_eq!((recreated.status, recreated.code()), (StatusCode::GONE, "stream_deleted"));
    let stranger = server.pull(stream, &other_token, "").await;
    assert_eq!(stranger.code(), "stream_not_found", "to any other token it is no stream at all");
    assert_eq!(seqs(&server.pull(other, &other_token, "").await.body), [1], "other streams are untouched");
}

#[tokio::test]
async fn a_live_listener_ends_when_its_stream_is_deleted() {
    let server = Server::new().await;
    let (stream, token) = server.stream().await;
    server.push(stream, &token, vec![event(1)]).await;
    let request = axum::http::Request::get(format!("/api/v1/streams/{stream}/live?after=1"))
        .header("authorization", format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    let response = server.router.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let deleted = server.send("DELETE", &format!("/api/v1/streams/{stream}"), Some(&token), Body::empty()).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    let rest = tokio::time::timeout(std::time::Duration::from_secs(10), response.into_body().collect())
        .await
        .expect("the live stream ends")
        .unwrap()
        .to_bytes();
    let rest = String::from_utf8_lossy(&rest);
    assert!(!rest.contains("data:"), "nothing more was sent: {rest}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_write_queue_answers_busy_at_once_and_stores_nothing_of_what_it_refused() {
    let dir = tempfile::tempdir().unwrap();
    let options = chronicle_server::StoreOptions { write_queue: 1, ..Default::default() };
    let server = Server { router: router_with(&dir, options), dir };
    let (stream, token) = server.stream().await;
    // Another connection holds the database's write lock, so the writer waits on what it took
    // from the queue and at most one more write can queue behind it.
    let holder = rusqlite::Connection::open(server.dir.path().join("chronicle.db")).unwrap();
    holder.execute_batch("BEGIN IMMEDIATE").unwrap();
    let server = std::sync::Arc::new(server);
    let mut pushes = tokio::task::JoinSet::new();
    for n in 0..20u128 {
        let server = std::sync::Arc::clone(&server);
        let token = token.clone();
        pushes.spawn(async move { (n, server.push(stream, &token, vec![event(n)]).await) });
    }
    // Nothing can be stored while the lock is held, so the first answer is a refusal.
    let (n, first) = pushes.join_next().await.unwrap().unwrap();
    assert_eq!((first.status, first.code()), (StatusCode::SERVICE_UNAVAILABLE, "busy"), "{}", first.body);
    let mut refused = vec![n];
    holder.execute_batch("ROLLBACK").unwrap();
    let mut stored = 0;
    while let Some(done) = pushes.join_next().await {
        let (n, reply) = done.unwrap();
        match reply.status {
            StatusCode::OK => stored += 1,
            _ => {
                assert_eq!((reply.status, reply.code()), (StatusCode::SERVICE_UNAVAILABLE, "busy"), "{}", reply.body);
                refused.push(n);
            }
        }
    }
    assert_eq!(stored + refused.len(), 20);
    assert_eq!(server.pull(stream, &token, "").await.body["head"], stored, "nothing of the refused pushes");
    for n in refused {
        assert_eq!(server.push(stream, &token, vec![event(n)]).await.status, StatusCode::OK, "a retry is stored");
    }
    assert_eq!(server.pull(stream, &token, "").await.body["head"], 20);
}

#[tokio::test]
async fn a_server_with_a_size_rule_refuses_the_event_that_breaks_it_and_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let store = chronicle_server::SqliteStore::open(dir.path().join("chronicle.db")).unwrap();
    let router = chronicle_server::app(chronicle_server::AppState::new(store, None).refusing_larger_than(1000));
    let server = Server { router, dir };
    let (stream, token) = server.stream().await;
    let mut refused = event(2);
    refused["data"] = json!({ "title": "x".repeat(1000) });
    let reply = server.push(stream, &token, vec![event(1), refused, event(3)]).await;
    assert_eq!((reply.status, reply.code()), (StatusCode::BAD_REQUEST, "bad_envelope"));
    assert_eq!(reply.body["error"]["index"], 1, "the refused event is named");
    assert_eq!(server.pull(stream, &token, "").await.body["head"], 0, "nothing of the batch is stored");
    assert_eq!(server.push(stream, &token, vec![event(1), event(3)]).await.status, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_on_one_database_keep_one_dense_order_under_pushes_through_both() {
    let first = Server::new().await;
    let second = Server { router: Server::router_at(&first.dir).await, dir: tempfile::tempdir().unwrap() };
    let (stream, token) = first.stream().await;
    let servers = std::sync::Arc::new([first, second]);
    let mut pushers = tokio::task::JoinSet::new();
    for client in 0..8u128 {
        let (servers, token) = (std::sync::Arc::clone(&servers), token.clone());
        pushers.spawn(async move {
            let mut acknowledged = Vec::new();
            for batch in 0..20u128 {
                // Each client's batches go to both servers in turn, as a load balancer sends them.
                let server = &servers[((client + batch) % 2) as usize];
                let events: Vec<Value> = (0..10).map(|i| event(client << 24 | batch << 8 | i)).collect();
                let reply = server.push(stream, &token, events).await;
                assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
                for a in reply.body["accepted"].as_array().unwrap() {
                    acknowledged.push((a["id"].as_str().unwrap().to_owned(), a["seq"].as_u64().unwrap()));
                }
            }
            acknowledged
        });
    }
    let mut acknowledged = std::collections::HashMap::new();
    while let Some(done) = pushers.join_next().await {
        acknowledged.extend(done.unwrap());
    }
    assert_eq!(acknowledged.len(), 8 * 20 * 10);
    // Read page by page through both servers in turn.
    let stored = read_whole(async |after| {
        servers[(after % 2) as usize].pull(stream, &token, &format!("?after={after}")).await.body
    })
    .await;
    assert_eq!(stored, acknowledged, "every acknowledged event is there once, with the seq it was given");
    // A push retried on the other server is answered with the seqs it was first given.
    let retried = servers[1].push(stream, &token, vec![event(3 << 24 | 4 << 8 | 5)]).await;
    let id = Uuid::from_u128(0x1000_0000 + (3 << 24 | 4 << 8 | 5)).to_string();
    assert_eq!(retried.body["accepted"][0]["seq"].as_u64(), acknowledged.get(&id).copied());
}

#[tokio::test]
async fn metrics_count_answers_pushes_new_events_and_listeners_for_prometheus() {
    let server = Server::new().await;
    let (stream, token) = server.stream().await;
    server.push(stream, &token, vec![event(1), event(2)]).await;
    server.push(stream, &token, vec![event(1), event(2)]).await;
    let _live = server.listen(stream, &token, 0).await;
    server.pull(stream, &Uuid::from_u128(9).to_string(), "").await;

    let response =
        server.router.clone().oneshot(axum::http::Request::get("/metrics").body(Body::empty()).unwrap()).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/plain; version=0.0.4"));
    let bytes = http_body_util::BodyExt::collect(response.into_body()).await.unwrap().to_bytes();
    let text = String::from_utf8(bytes.to_vec()).unwrap();
    let value = |line: &str| -> u64 {
        let found = text.lines().find(|l| l.starts_with(line)).unwrap_or_else(|| panic!("no `{line}` in\n{text}"));
        found.rsplit(' ').next().unwrap().parse().unwrap()
    };
    assert_eq!(value("chronicle_pushes_total "), 2);
    assert_eq!(value("chronicle_events_stored_total "), 2, "a retried event counts once");
    assert_eq!(value("chronicle_live_listeners "), 1);
    assert_eq!(value("chronicle_requests_total{status=\"2xx\"}"), 4, "a stream, two pushes, a listener");
    assert_eq!(value("chronicle_requests_total{status=\"4xx\"}"), 1, "a pull with a wrong token");
    assert!(value("chronicle_store_connections{state=\"open\"}") >= 1);
    assert!(text.contains("# TYPE chronicle_requests_total counter"));
}
