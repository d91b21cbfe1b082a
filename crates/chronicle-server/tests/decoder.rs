//! No body, however odd, makes the server panic, answer 5xx or store part of a batch.
//!
//! `CHRONICLE_FUZZ_CASES` sets how many bodies each test tries (a few hundred by default, so the
//! suite stays quick); `CHRONICLE_FUZZ_CASES=50000 cargo test -p chronicle-server --test decoder`
//! searches much longer.

mod common;

use axum::body::Body;
use axum::http::StatusCode;
use common::{Server, event};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_filter("JSON has no NaN", |f| f.is_finite()).prop_map(Value::from),
        ".{0,20}".prop_map(Value::String),
        Just(json!("0190a4d2-7f6e-7c3b-9d2a-1b2c3d4e5f60")),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map("[a-z]{1,8}|id|type|version|device|at|data|seq", inner, 0..8)
                .prop_map(|m| Value::Object(m.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// A valid envelope with one field replaced or removed.
fn damaged_envelope() -> impl Strategy<Value = Value> {
    (
        0u128..50,
        prop::sample::select(vec!["id", "type", "version", "device", "at", "data", "seq"]),
        prop::option::of(json_value()),
    )
        .prop_map(|(n, field, value)| {
            let mut e = event(n);
            match value {
                Some(v) => e[field] = v,
                None => drop(e.as_object_mut().unwrap().remove(field)),
            }
            e
        })
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..300),
        json_value().prop_map(|v| v.to_string().into_bytes()),
        prop::collection::vec(prop_oneof![damaged_envelope(), json_value(), (0u128..50).prop_map(event)], 0..8)
            .prop_map(|events| json!({ "events": events }).to_string().into_bytes()),
    ]
}

fn config(default_cases: u32) -> ProptestConfig {
    let cases = std::env::var("CHRONICLE_FUZZ_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(default_cases);
    ProptestConfig { cases, failure_persistence: None, ..ProptestConfig::default() }
}

#[test]
fn random_bodies_never_break_the_server() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let server = runtime.block_on(Server::in_memory());
    let (stream, token) = runtime.block_on(server.stream());
    let uri = format!("/api/v1/streams/{stream}/events");
    let config = config(400);
    proptest!(config, |(bytes in body())| {
        let before = runtime.block_on(server.pull(stream, &token, "")).body["head"].as_u64().unwrap();
        let reply = runtime.block_on(server.send("POST", &uri, Some(&token), Body::from(bytes.clone())));
        prop_assert!(
            reply.status == StatusCode::OK || reply.status.is_client_error(),
            "{} for {:?}", reply.status, String::from_utf8_lossy(&bytes)
        );
        let after = runtime.block_on(server.pull(stream, &token, "?limit=1000"));
        let head = after.body["head"].as_u64().unwrap();
        if reply.status != StatusCode::OK {
            prop_assert_eq!(head, before, "a refused push stored nothing");
        }
        let seqs: Vec<u64> = after.body["events"].as_array().unwrap().iter().map(|e| e["seq"].as_u64().unwrap()).collect();
        prop_assert_eq!(seqs, (1..=head.min(1000)).collect::<Vec<_>>(), "seq stays dense");
    });
}

#[test]
fn random_create_bodies_never_break_the_server() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let server = runtime.block_on(Server::in_memory());
    let config = config(200);
    proptest!(config, |(bytes in body())| {
        let reply = runtime.block_on(server.send("POST", "/api/v1/streams", None, Body::from(bytes)));
        prop_assert!(
            matches!(reply.status, StatusCode::CREATED | StatusCode::CONFLICT) || reply.status.is_client_error(),
            "{}", reply.status
        );
    });
}

/// A path under the API: real segments, the stream's own id, other ids and odd text, in any order.
fn api_path(stream: uuid::Uuid) -> impl Strategy<Value = String> {
    let segment = prop_oneof![
        4 => prop::sample::select(vec!["api", "v1", "streams", "events", "live", "healthz", ""]).prop_map(str::to_owned),
        2 => Just(stream.to_string()),
        1 => any::<u128>().prop_map(|n| uuid::Uuid::from_u128(n).to_string()),
        1 => "[a-zA-Z0-9%._~-]{1,12}",
        1 => Just("%00".to_owned()),
        1 => Just("..".to_owned()),
    ];
    prop_oneof![
        prop::collection::vec(segment.clone(), 0..5).prop_map(|s| format!("/api/v1/{}", s.join("/"))),
        prop::collection::vec(segment, 0..4).prop_map(|s| format!("/api/{}", s.join("/"))),
        Just(format!("/api/v1/streams/{stream}/events")),
        Just(format!("/api/v1/streams/{stream}/live")),
        Just("/api/v1/streams".to_owned()),
    ]
}

fn query() -> impl Strategy<Value = String> {
    let value = prop_oneof![
        any::<u64>().prop_map(|n| n.to_string()),
        any::<i64>().prop_map(|n| n.to_string()),
        "[0-9]{20,30}",
        "[a-z%&=+]{0,10}",
    ];
    let pair = (prop::sample::select(vec!["after", "limit", "x", "after[]", ""]), value)
        .prop_map(|(name, value)| format!("{name}={value}"));
    prop_oneof![Just(String::new()), prop::collection::vec(pair, 1..4).prop_map(|p| format!("?{}", p.join("&")))]
}

#[test]
fn random_requests_to_every_endpoint_are_answered_in_the_error_shape_and_never_fail_inside() {
    use tower::ServiceExt;
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let server = runtime.block_on(Server::in_memory());
    let (stream, token) = runtime.block_on(server.stream());
    let config = config(400);
    let method = prop::sample::select(vec!["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"]);
    let authorization = prop::option::of(prop_oneof![
        Just(format!("Bearer {token}")),
        Just("Bearer ".to_owned()),
        ".{0,60}",
        "Bearer [A-Za-z0-9_-]{0,80}",
    ]);
    proptest!(config, |(method in method, path in api_path(stream), query in query(), authorization in authorization, bytes in body())| {
        let uri = format!("{path}{query}");
        let mut request = axum::http::Request::builder().method(method).uri(&uri);
        if let Some(value) = &authorization {
            request = request.header("authorization", value.as_str());
        }
        let Ok(request) = request.body(Body::from(bytes)) else {
            // Not a request a client could send at all (a header value no HTTP library writes).
            return Ok(());
        };
        let response = runtime.block_on(server.router.clone().oneshot(request)).unwrap();
        let status = response.status();
        prop_assert!(!status.is_server_error(), "{} for {} {}", status, method, uri);
        let live = response.headers().get("content-type").is_some_and(|t| t.as_bytes().starts_with(b"text/event-stream"));
        if !live && method != "HEAD" {
            // A live stream never ends; everything else is read whole.
            let bytes = runtime.block_on(http_body_util::BodyExt::collect(response.into_body())).unwrap().to_bytes();
            if status.is_client_error() {
                let error: Result<chronicle_protocol::ErrorBody, _> = serde_json::from_slice(&bytes);
                prop_assert!(error.is_ok(), "{} {} answered {} with {:?}", method, uri, status, String::from_utf8_lossy(&bytes));
                let code = error.unwrap().error.code;
                prop_assert_eq!(code.status(), status.as_u16(), "{} {}: the status of `{}`", method, uri, code);
            }
        }
    });
}
