//! What the app reads from the network or from a file, however odd, is read or refused and never
//! panics: envelopes and pages from the sync server, history files, and the events inside them
//! folded onto a board.
//!
//! `CHRONICLE_FUZZ_CASES` sets how many inputs each test tries (a few hundred by default, so the
//! suite stays quick); `cargo xtask fuzz` asks for many more.

use chronicle_board::{BoardEvent, BoardProjections, workload};
use chronicle_core::{Event, RawEnvelope, parse_lines};
use chronicle_protocol::{Page, WireEnvelope};
use proptest::prelude::*;
use serde_json::{Map, Value, json};
use uuid::Uuid;

fn config(default_cases: u32) -> ProptestConfig {
    let cases = std::env::var("CHRONICLE_FUZZ_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(default_cases);
    ProptestConfig { cases, failure_persistence: None, ..ProptestConfig::default() }
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_filter("JSON has no NaN", |f| f.is_finite()).prop_map(Value::from),
        ".{0,12}".prop_map(Value::String),
        Just(json!("0190a4d2-7f6e-7c3b-9d2a-1b2c3d4e5f60")),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map("[a-z]{1,8}|card|column|from|to|index|name|title|columns", inner, 0..8)
                .prop_map(|m| Value::Object(m.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// Real events of a board as they travel, in order.
fn real_events(seed: u64) -> Vec<Value> {
    workload::generate(120, seed).iter().map(|e| serde_json::to_value(Event::encode(e).to_wire()).unwrap()).collect()
}

/// A real envelope with one part of it replaced: a field of the envelope, a field of its data, its
/// data whole, or its version.
fn damaged(mut envelope: Value, field: usize, value: Value) -> Value {
    let data_fields: Vec<String> =
        envelope["data"].as_object().map(|d| d.keys().cloned().collect()).unwrap_or_default();
    match field % 4 {
        0 => {
            let names = ["id", "type", "version", "device", "at", "data", "seq"];
            envelope[names[field / 4 % names.len()]] = value;
        }
        1 if !data_fields.is_empty() => envelope["data"][&data_fields[field / 4 % data_fields.len()]] = value,
        2 => envelope["version"] = json!(field / 4 % 6),
        _ => envelope["data"] = value,
    }
    envelope
}

/// A history as the server or a file might hold it: real events, some damaged, some replaced.
fn history() -> impl Strategy<Value = Vec<Value>> {
    (any::<u64>(), prop::collection::vec((any::<prop::sample::Index>(), any::<usize>(), json_value()), 0..12)).prop_map(
        |(seed, damage)| {
            let mut events = real_events(seed);
            for (at, field, value) in damage {
                let at = at.index(events.len());
                events[at] = damaged(events[at].take(), field, value);
            }
            events
        },
    )
}

/// Folds what was read onto a board, as the app does, and draws nothing but reads everything a
/// screen would.
fn fold(events: impl IntoIterator<Item = RawEnvelope>) {
    let decoded: Vec<Event<BoardEvent>> = events.into_iter().map(Event::decode).collect();
    let projections = BoardProjections::replay(decoded.iter());
    let _ = projections.board.live_cards();
    let _ = projections.to_snapshot();
}

proptest! {
    #![proptest_config(config(300))]

    #[test]
    fn pages_from_the_server_are_read_or_refused_and_what_is_read_folds(events in history(), head in any::<u64>()) {
        let stream = Uuid::from_u128(9);
        let page = json!({ "events": events, "head": head }).to_string();
        if let Ok(page) = serde_json::from_str::<Page>(&page) {
            fold(page.events.into_iter().map(|e| RawEnvelope::from_wire(stream, e)));
        }
        for event in &events {
            if let Ok(wire) = serde_json::from_value::<WireEnvelope>(event.clone()) {
                let _ = wire.problem();
            }
        }
    }

    #[test]
    fn history_files_are_read_or_refused_line_by_line_and_what_is_read_folds(
        events in history(),
        cut in any::<prop::sample::Index>(),
        noise in ".{0,40}",
    ) {
        let stream = Uuid::from_u128(9);
        let lines: Vec<String> = events
            .into_iter()
            .map(|mut e| {
                e["stream"] = json!(stream);
                e.to_string()
            })
            .collect();
        let mut text = lines.join("\n");
        // A file cut short, or with something else in the middle of it.
        let at = cut.index(text.len() + 1);
        if text.is_char_boundary(at) {
            text.insert_str(at, &noise);
        }
        let (envelopes, _errors) = parse_lines(&text);
        fold(envelopes);
    }

    #[test]
    fn any_bytes_are_refused_as_a_page_an_envelope_or_a_snapshot_without_panicking(
        bytes in prop::collection::vec(any::<u8>(), 0..400),
    ) {
        let text = String::from_utf8_lossy(&bytes);
        let _ = serde_json::from_slice::<Page>(&bytes);
        let _ = serde_json::from_slice::<WireEnvelope>(&bytes);
        let _ = BoardProjections::from_snapshot(&text);
        let (envelopes, _) = parse_lines(&text);
        fold(envelopes);
    }
}
