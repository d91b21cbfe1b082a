//! A card's own history, in the words its dialog uses.

mod common;

use chronicle_board::{BoardEvent, History};
use chronicle_core::{Effect, Event};
use common::*;
use uuid::Uuid;

const PHONE: Uuid = Uuid::from_u128(0x1b);

#[test]
fn a_card_tells_its_own_story_changes_without_effect_included() {
    let mut events = record(&[
        created(),
        added(1, TODO, "Fix login"),
        added(2, TODO, "Write docs"),
        BoardEvent::CardMoved { card: card(1), from: TODO, to: DOING, index: 0 },
        BoardEvent::ColumnRenamed { column: DOING, name: "In progress".into() },
        BoardEvent::CardEdited { card: card(1), title: "Fix login bug".into(), description: String::new() },
        BoardEvent::CardEdited { card: card(1), title: "Fix login bug".into(), description: "Safari only".into() },
        BoardEvent::CardMoved { card: card(2), from: TODO, to: DONE, index: 0 },
        BoardEvent::CardArchived { card: card(1) },
        BoardEvent::CardMoved { card: card(1), from: DOING, to: DONE, index: 0 },
        BoardEvent::CardRestored { card: card(1), column: TODO },
        BoardEvent::CardMoved { card: card(1), from: TODO, to: TODO, index: 0 },
    ]);
    // The move of the archived card came from the phone, which had not seen the archive.
    events[9] = Event::new(events[9].meta.id, STREAM, PHONE, events[9].meta.at, events[9].known().unwrap().clone());
    let history = History::new(events);
    let story: Vec<(u64, String, Effect)> =
        history.card_changes(card(1)).into_iter().map(|c| (c.position, c.text, c.effect)).collect();
    let expected = [
        (2, "Added to To do", Effect::Applied),
        (4, "Moved from To do to In progress", Effect::Applied),
        (6, "Renamed from 'Fix login' to 'Fix login bug'", Effect::Applied),
        (7, "Description changed", Effect::Applied),
        (9, "Archived", Effect::Applied),
        (10, "Moved from In progress to Done", Effect::NoEffect),
        (11, "Restored to To do", Effect::Applied),
        (12, "Reordered in To do", Effect::Applied),
    ];
    let expected: Vec<(u64, String, Effect)> = expected.iter().map(|(p, t, e)| (*p, t.to_string(), *e)).collect();
    assert_eq!(story, expected);
    let phone = &history.card_changes(card(1))[5];
    assert_eq!((phone.device, phone.at), (PHONE, 1_700_000_000_000 + 9 * 60_000));
    assert_eq!(history.card_changes(card(2)).len(), 2, "another card's story is its own");
    assert!(history.card_changes(card(9)).is_empty(), "a card the board never had has none");
}
