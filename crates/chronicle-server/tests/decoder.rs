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
    let server = Server::in_memory();
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
    let server = Server::in_memory();
    let config = config(200);
    proptest!(config, |(bytes in body())| {
        let reply = runtime.block_on(server.send("POST", "/api/v1/streams", None, Body::from(bytes)));
        prop_assert!(
            matches!(reply.status, StatusCode::CREATED | StatusCode::CONFLICT) || reply.status.is_client_error(),
            "{}", reply.status
        );
    });
}
