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
