//! The benchmark's JavaScript peer of the board fold (`tests/js/board_fold.js`) gives the same
//! board as `chronicle_board::Board`, over the bench's workload and over logs of every event type
//! with ids chosen to collide, so that comparing their speeds compares the same work.

#![cfg(target_arch = "wasm32")]

use chronicle_board::workload::generate;
use chronicle_board::{Board, BoardEvent, ColumnSeed};
use chronicle_core::{Event, Payload, RawEnvelope, Uuid};
use serde_json::{Value, json};
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen(module = "/tests/js/board_fold.js")]
extern "C" {
    #[wasm_bindgen(js_name = foldSummary)]
    fn fold_summary(json: &str) -> String;
}

/// The board as plain data, in the shape the JavaScript fold's `summary()` gives.
fn summary(board: &Board) -> Value {
    let columns: Vec<Value> = board
        .columns()
        .iter()
        .map(|column| {
            let cards: Vec<Value> = board
                .cards_in(column)
                .map(|c| {
                    json!({ "id": c.id, "title": c.title, "description": c.description, "column": c.column, "last_device": c.last_device })
                })
                .collect();
            json!({ "id": column.id, "name": column.name, "cards": cards })
        })
        .collect();
    let archived: Vec<Uuid> = board.archived().iter().map(|c| c.id).collect();
    json!({
        "name": board.name(),
        "columns": columns,
        "archived": archived,
        "archived_count": board.archived_count(),
        "live_cards": board.live_cards(),
    })
}

fn both_folds(events: &[Event<BoardEvent>]) -> (Value, Value) {
    let mut board = Board::default();
    for event in events {
        board.apply_event(event);
    }
    let wire: Vec<RawEnvelope> = events.iter().map(Event::encode).collect();
    let from_js: Value = serde_json::from_str(&fold_summary(&serde_json::to_string(&wire).unwrap())).unwrap();
    (summary(&board), from_js)
}

#[wasm_bindgen_test]
fn both_folds_give_the_same_board_for_the_bench_workload() {
    let events = generate(30_000, 42);
    let (rust, js) = both_folds(&events);
    assert!(rust["live_cards"].as_u64().unwrap() > 50 && rust["archived_count"].as_u64().unwrap() > 50);
    assert_eq!(rust, js);
}

/// A small random number source, the same in every run.
struct Dice(u64);

impl Dice {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// Events of every type over a few columns and cards, so that most name something that is
/// missing, removed, archived or already there: every no-effect rule gets exercised.
fn awkward_log(seed: u64, count: usize) -> Vec<Event<BoardEvent>> {
    let mut dice = Dice(seed | 1);
    let column = |n: u64| Uuid::from_u128(0xC000 + u128::from(n));
    let card = |n: u64| Uuid::from_u128(0xCA00 + u128::from(n));
    let devices = [Uuid::from_u128(0xD1), Uuid::from_u128(0xD2)];
    let mut events = Vec::with_capacity(count);
    for n in 0..count as u64 {
        let payload = match dice.below(14) {
            0 => BoardEvent::BoardCreated {
                name: format!("Board {n}"),
                columns: (0..dice.below(4)).map(|c| ColumnSeed { id: column(c), name: format!("Seed {c}") }).collect(),
            },
            1 => BoardEvent::BoardRenamed { name: format!("Renamed {n}") },
            2 => BoardEvent::ColumnAdded { column: column(dice.below(6)), name: format!("Column {n}") },
            3 => BoardEvent::ColumnRenamed { column: column(dice.below(6)), name: format!("Named {n}") },
            4 => BoardEvent::ColumnMoved { column: column(dice.below(6)), index: dice.below(8) as u32 },
            5 => BoardEvent::ColumnRemoved { column: column(dice.below(6)) },
            6 | 7 => BoardEvent::CardAdded {
                card: card(dice.below(30)),
                column: column(dice.below(6)),
                title: format!("Card {n}"),
                description: if n % 3 == 0 { String::new() } else { format!("About {n}") },
            },
            8 => BoardEvent::CardEdited {
                card: card(dice.below(30)),
                title: format!("Edited {n}"),
                description: "Done.".into(),
            },
            9 | 10 => BoardEvent::CardMoved {
                card: card(dice.below(30)),
                from: column(dice.below(6)),
                to: column(dice.below(6)),
                index: dice.below(12) as u32,
            },
            11 => BoardEvent::CardArchived { card: card(dice.below(30)) },
            12 => BoardEvent::CardRestored { card: card(dice.below(30)), column: column(dice.below(6)) },
            _ => BoardEvent::DeviceNamed { device: devices[dice.below(2) as usize], name: format!("Device {n}") },
        };
        let device = devices[dice.below(2) as usize];
        events.push(Event::new(
            Uuid::from_u128(0xE000_0000 + u128::from(n)),
            Uuid::from_u128(1),
            device,
            n as i64,
            payload,
        ));
    }
    events
}

#[wasm_bindgen_test]
fn both_folds_give_the_same_board_for_logs_of_every_event_type() {
    for seed in 1..=20 {
        let events = awkward_log(seed, 400);
        assert!(events.iter().all(|e| matches!(e.payload, Payload::Known(_))));
        let (rust, js) = both_folds(&events);
        assert_eq!(rust, js, "seed {seed}");
    }
}

/// Columns of every length up to a few groups of the wasm fold's four-at-a-time scan: each card
/// is found at its place, first as added, then moved to the top one after another.
#[wasm_bindgen_test]
fn both_folds_find_every_card_in_columns_of_every_length() {
    let column = Uuid::from_u128(0xC0);
    let card = |n: usize| Uuid::from_u128(0xCA00 + n as u128);
    let device = Uuid::from_u128(0xD1);
    let event =
        |n: usize, payload| Event::new(Uuid::from_u128(0xE000 + n as u128), Uuid::from_u128(1), device, 0, payload);
    for len in 0..14 {
        let seed = ColumnSeed { id: column, name: "Only".into() };
        let mut events = vec![event(0, BoardEvent::BoardCreated { name: "Board".into(), columns: vec![seed] })];
        for n in 0..len {
            let added =
                BoardEvent::CardAdded { card: card(n), column, title: format!("Card {n}"), description: String::new() };
            events.push(event(events.len(), added));
        }
        let mut board = Board::default();
        for e in &events {
            board.apply_event(e);
        }
        for n in 0..len {
            assert_eq!(board.position_of(card(n)), Some((0, n)), "card {n} of {len}");
        }
        for n in 0..len {
            events
                .push(event(events.len(), BoardEvent::CardMoved { card: card(n), from: column, to: column, index: 0 }));
        }
        let (rust, js) = both_folds(&events);
        assert_eq!(rust, js, "{len} cards");
    }
}
