//! Every fixture log under `tests/data/` replays, including the deliberately broken ones.

mod common;

use std::path::PathBuf;

use chronicle_board::{BoardEvent, BoardProjections};
use chronicle_core::{Event, parse_lines};

fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/data")
}

fn load(name: &str) -> (BoardProjections, usize) {
    let text = std::fs::read_to_string(data_dir().join(name)).expect("fixture exists");
    let (envelopes, errors) = parse_lines(&text);
    let events: Vec<Event<BoardEvent>> = envelopes.into_iter().map(Event::decode).collect();
    (BoardProjections::replay(events.iter()), errors.len())
}

#[test]
fn every_fixture_replays_without_panicking() {
    let mut seen = 0;
    for entry in std::fs::read_dir(data_dir()).expect("tests/data exists") {
        let path = entry.expect("readable entry").path();
        if path.extension().is_some_and(|e| e == "jsonl") {
            let (projections, _) = load(path.file_name().unwrap().to_str().unwrap());
            assert!(projections.position > 0, "{} holds events", path.display());
            seen += 1;
        }
    }
    assert!(seen >= 3, "the fixtures are there");
}

#[test]
fn version_1_cards_load_with_an_empty_description() {
    let (p, errors) = load("v1-card-added.jsonl");
    assert_eq!(errors, 0);
    assert!(p.diagnostics.is_clean(), "{:?}", p.diagnostics);
    let titles: Vec<_> = p.board.columns().iter().flat_map(|c| p.board.cards_in(c)).collect();
    assert_eq!(
        titles.iter().map(|c| c.title.as_str()).collect::<Vec<_>>(),
        ["Write release notes", "Plan 1.1", "Ship <b>it</b>", "Fix login"]
    );
    assert_eq!(titles[0].description, "");
    assert_eq!(titles[1].description, "After the release");
}

#[test]
fn unknown_types_and_newer_versions_are_kept_and_counted() {
    let (p, errors) = load("unknown-and-newer-events.jsonl");
    assert_eq!(errors, 0);
    assert_eq!(p.position, 7, "every event is in the log");
    assert_eq!(p.diagnostics.unknown_types.get("card_labelled"), Some(&1));
    assert_eq!(p.diagnostics.newer_versions.get("card_added"), Some(&1));
    assert_eq!(p.diagnostics.no_effect, 2, "a move of an archived card and of an unknown card");
}

#[test]
fn broken_lines_are_reported_and_the_rest_replays() {
    let (p, errors) = load("broken.jsonl");
    assert_eq!(errors, 3, "not JSON, a bad id, a truncated line");
    assert_eq!(p.position, 7);
    assert_eq!(p.diagnostics.malformed, 2, "a missing title and a numeric title");
    assert_eq!(p.diagnostics.newer_versions.get("card_archived"), Some(&1), "version 0 is not readable");
}

/// Each payload shape an earlier build (or another client) may have written, and what this build
/// reads from it: the same as the builds that lifted old versions through a tree of JSON values.
#[test]
fn every_versions_shape_reads_as_it_did() {
    use chronicle_board::UndoMark;
    use chronicle_core::{Payload, RawEnvelope, UnreadableReason, Uuid};
    use serde_json::json;

    let id = |n: u128| Uuid::from_u128(n);
    let decode = |kind: &str, version: u16, data: serde_json::Value| {
        let raw = RawEnvelope {
            id: id(1),
            stream: id(2),
            kind: kind.to_owned(),
            version,
            device: id(3),
            at: 0,
            seq: None,
            data: data.into(),
        };
        Event::<BoardEvent>::decode(raw).payload
    };
    let known = |payload: Payload<BoardEvent>| match payload {
        Payload::Known(event) => event,
        Payload::Unreadable(u) => panic!("{} v{} should read: {:?}", u.kind, u.version, u.reason),
    };
    let malformed = |payload: Payload<BoardEvent>| matches!(payload, Payload::Unreadable(u) if matches!(u.reason, UnreadableReason::Malformed(_)));
    let added = BoardEvent::CardAdded { card: id(10), column: id(20), title: "T".into(), description: String::new() };
    let card_added = |fields: serde_json::Value| {
        let mut data = json!({ "card": id(10), "column": id(20), "title": "T" });
        data.as_object_mut().unwrap().extend(fields.as_object().unwrap().clone());
        data
    };
    assert_eq!(known(decode("card_added", 1, card_added(json!({})))), added, "v1 had no description");
    assert_eq!(known(decode("card_added", 1, card_added(json!({ "description": "" })))), added);
    assert_eq!(known(decode("card_added", 2, card_added(json!({ "description": "" })))), added);
    assert!(malformed(decode("card_added", 2, card_added(json!({})))), "v2 requires its description");
    assert!(malformed(decode("card_added", 2, card_added(json!({ "description": "", "undoes": null })))));

    let moved = BoardEvent::CardMoved { card: id(10), from: id(20), to: id(21), index: 0 };
    let card_moved = json!({ "card": id(10), "from": id(20), "to": id(21), "index": 0 });
    let mut with_null = card_moved.clone();
    with_null["undoes"] = json!(null);
    let mark = UndoMark { event: id(5), kind: "card_moved".into(), redo: false };
    let mut with_mark = card_moved.clone();
    with_mark["undoes"] = json!({ "event": id(5), "kind": "card_moved" });
    assert_eq!(known(decode("card_moved", 1, card_moved.clone())), moved);
    assert_eq!(known(decode("card_moved", 2, card_moved)), moved, "v2 without a mark takes nothing back");
    assert_eq!(known(decode("card_moved", 2, with_null)), moved);
    assert_eq!(known(decode("card_moved", 2, with_mark)), BoardEvent::Undo { mark, change: Box::new(moved) });
}
