//! The read models, checked against inline snapshots of what a person would see.

mod common;

use std::fmt::Write;

use chronicle_board::{BoardEvent, BoardProjections, SNAPSHOT_FORMAT, SnapshotError};
use chronicle_core::{Effect, Event, RawEnvelope};
use common::*;
use expect_test::{Expect, expect};
use serde_json::json;
use uuid::Uuid;

fn render(p: &BoardProjections) -> String {
    let mut out = String::new();
    let board = &p.board;
    writeln!(out, "{} ({} events)", board.name(), p.position).unwrap();
    for column in board.columns() {
        let titles: Vec<_> = board.cards_in(column).map(|c| c.title.as_str()).collect();
        writeln!(out, "[{}] {}", column.name, titles.join(", ")).unwrap();
    }
    let archived: Vec<_> = board.archived().into_iter().map(|c| c.title.as_str()).collect();
    if !archived.is_empty() {
        writeln!(out, "archived: {}", archived.join(", ")).unwrap();
    }
    for entry in p.activity.recent().collect::<Vec<_>>().into_iter().rev() {
        let mark = match entry.effect {
            Effect::Applied => "",
            Effect::NoEffect => " (no effect)",
            Effect::Unreadable => " (unreadable)",
        };
        writeln!(out, "{:>2}. {}{mark}", entry.position, entry.text).unwrap();
    }
    let flow: Vec<_> = p
        .flow
        .changes()
        .map(|(position, column, count)| {
            let name = board.column(column).map_or("removed", |c| c.name.as_str());
            format!("{position}:{name}={count}")
        })
        .collect();
    writeln!(out, "flow: {}", flow.join(" ")).unwrap();
    if !p.diagnostics.is_clean() {
        writeln!(out, "diagnostics: {:?}", p.diagnostics).unwrap();
    }
    out
}

fn check(events: Vec<Event<BoardEvent>>, expect: Expect) {
    let projections = BoardProjections::replay(events.iter());
    expect.assert_eq(&render(&projections));
}

#[test]
fn a_board_in_use() {
    check(
        record(&[
            created(),
            added(1, TODO, "Fix login"),
            added(2, TODO, "Write docs"),
            added(3, TODO, "Ship"),
            BoardEvent::CardMoved { card: card(1), from: TODO, to: DONE, index: 0 },
            BoardEvent::CardMoved { card: card(3), from: TODO, to: TODO, index: 0 },
            BoardEvent::CardEdited { card: card(2), title: "Write the docs".into(), description: String::new() },
            BoardEvent::CardArchived { card: card(2) },
            BoardEvent::ColumnRenamed { column: DOING, name: "In progress".into() },
            BoardEvent::DeviceNamed { device: LAPTOP, name: "Laptop".into() },
        ]),
        expect![[r#"
            Launch (10 events)
            [To do] Ship
            [In progress] 
            [Done] Fix login
            archived: Write the docs
             1. Created board 'Launch'
             2. Added 'Fix login' to To do
             3. Added 'Write docs' to To do
             4. Added 'Ship' to To do
             5. Moved 'Fix login' from To do to Done
             6. Reordered 'Ship' in To do
             7. Renamed 'Write docs' to 'Write the docs'
             8. Archived 'Write the docs'
             9. Renamed column Doing to In progress
            10. Named a device 'Laptop'
            flow: 2:To do=1 3:To do=2 4:To do=3 5:To do=2 5:Done=1 8:To do=1
        "#]],
    );
}

#[test]
fn events_that_no_longer_apply_change_nothing_and_are_marked() {
    check(
        record(&[
            created(),
            added(1, TODO, "Fix login"),
            BoardEvent::CardArchived { card: card(1) },
            BoardEvent::CardMoved { card: card(1), from: TODO, to: DONE, index: 0 },
            BoardEvent::CardMoved { card: card(9), from: TODO, to: DONE, index: 0 },
            BoardEvent::CardArchived { card: card(1) },
            added(2, Uuid::from_u128(0xdead), "Lost"),
            BoardEvent::ColumnRemoved { column: DOING },
            BoardEvent::CardRestored { card: card(1), column: DOING },
            created(),
        ]),
        expect![[r#"
            Launch (10 events)
            [To do] Fix login
            [Done] 
             1. Created board 'Launch'
             2. Added 'Fix login' to To do
             3. Archived 'Fix login'
             4. Moved 'Fix login' from To do to Done (no effect)
             5. Moved an unknown card from To do to Done (no effect)
             6. Archived 'Fix login' (no effect)
             7. Added 'Lost' to a removed column (no effect)
             8. Removed column Doing
             9. Restored 'Fix login' to To do
            10. Created board 'Launch' (no effect)
            flow: 2:To do=1 3:To do=0 9:To do=1
            diagnostics: Diagnostics { unknown_types: {}, newer_versions: {}, malformed: 0, no_effect: 5, sealed: {}, unsealed: 0 }
        "#]],
    );
}

#[test]
fn unreadable_events_are_kept_and_counted() {
    let mut events = record(&[created(), added(1, TODO, "Fix login")]);
    let stranger = RawEnvelope {
        id: Uuid::from_u128(0xf00),
        stream: STREAM,
        kind: "card_labelled".into(),
        version: 1,
        device: LAPTOP,
        at: 0,
        seq: None,
        data: json!({ "card": card(1), "label": "bug" }).into(),
    };
    events.push(Event::decode(stranger));
    check(
        events,
        expect![[r#"
            Launch (3 events)
            [To do] Fix login
            [Doing] 
            [Done] 
             1. Created board 'Launch'
             2. Added 'Fix login' to To do
             3. Kept an event 'card_labelled' v1 with a type this version does not know (unreadable)
            flow: 2:To do=1
            diagnostics: Diagnostics { unknown_types: {"card_labelled": 1}, newer_versions: {}, malformed: 0, no_effect: 0, sealed: {}, unsealed: 0 }
        "#]],
    );
}

/// Two cards added, one moved, the other archived and restored.
fn added_moved_archived_restored() -> Vec<Event<BoardEvent>> {
    record(&[
        created(),
        added(1, TODO, "A"),
        added(2, TODO, "B"),
        BoardEvent::CardMoved { card: card(1), from: TODO, to: DOING, index: 0 },
        BoardEvent::CardArchived { card: card(2) },
        BoardEvent::CardRestored { card: card(2), column: TODO },
    ])
}

#[test]
fn snapshot_plus_tail_equals_full_replay() {
    let events = added_moved_archived_restored();
    let full = BoardProjections::replay(events.iter());
    for split in 0..=events.len() {
        let head = BoardProjections::replay(events[..split].iter());
        let mut restored = BoardProjections::from_snapshot(&head.to_snapshot()).expect("snapshot reads back");
        restored.extend(events[split..].iter());
        assert_eq!(restored, full, "split at {split}");
    }
}

#[test]
fn stale_or_corrupt_snapshots_are_refused() {
    let snapshot = BoardProjections::replay(record(&[created()]).iter()).to_snapshot();
    let current = format!("\"format\":{SNAPSHOT_FORMAT}");
    assert!(snapshot.contains(&current));
    let stale = snapshot.replacen(&current, "\"format\":1", 1);
    assert_eq!(BoardProjections::from_snapshot(&stale), Err(SnapshotError::Stale { found: 1 }));
    assert!(matches!(BoardProjections::from_snapshot(&snapshot[..snapshot.len() / 2]), Err(SnapshotError::Corrupt(_))));
    let empty = format!("{{{current}}}");
    assert!(matches!(BoardProjections::from_snapshot(&empty), Err(SnapshotError::Corrupt(_))));
}

#[test]
fn a_snapshot_in_the_previous_format_is_refused_as_stale_not_misread() {
    // Written by the build before format 3, of `workload::generate(40, 3)`: cards as objects, the
    // flow as numbers.
    let earlier = include_str!("fixtures/snapshot-format-2.json");
    assert_eq!(BoardProjections::from_snapshot(earlier), Err(SnapshotError::Stale { found: 2 }));
}

#[test]
fn a_snapshot_writes_cards_as_rows_and_the_flow_as_bytes() {
    // Up to the archiving: one card archived, one live.
    let events = added_moved_archived_restored();
    let snapshot: serde_json::Value =
        serde_json::from_str(&BoardProjections::replay(events[..5].iter()).to_snapshot()).unwrap();
    let board = &snapshot["projections"]["board"];
    let flow = &snapshot["projections"]["flow"];
    expect![[r#"
        ids: ["00000000-0000-0000-0000-0000000000c2","00000000-0000-0000-0000-00000000001a","00000000-0000-0000-0000-0000000000c1"]
        cards: [["00000000-0000-0000-0000-00000000ca01","A","",0,false,0,1],["00000000-0000-0000-0000-00000000ca02","B","",2,true,1,1]]
        flow: {"changes":"AgQBBAECAAUBAg","columns":["00000000-0000-0000-0000-0000000000c1","00000000-0000-0000-0000-0000000000c2"]}
    "#]]
    .assert_eq(&format!("ids: {}\ncards: {}\nflow: {}\n", board["ids"], board["cards"], flow));
}

#[test]
fn a_snapshot_whose_card_names_an_id_it_does_not_hold_is_refused() {
    let snapshot = BoardProjections::replay(record(&[created(), added(1, TODO, "A")]).iter()).to_snapshot();
    let mut value: serde_json::Value = serde_json::from_str(&snapshot).unwrap();
    value["projections"]["board"]["cards"][0][3] = json!(7);
    assert!(matches!(BoardProjections::from_snapshot(&value.to_string()), Err(SnapshotError::Corrupt(_))));
}

#[test]
fn a_device_names_only_itself() {
    let (phone, laptop) = (Uuid::from_u128(0xd1), Uuid::from_u128(0xd2));
    let event = |n: u128, device: Uuid, payload: BoardEvent| {
        Event::new(Uuid::from_u128(n), Uuid::from_u128(1), device, 0, payload)
    };
    let events = [
        event(1, phone, created()),
        event(2, phone, BoardEvent::DeviceNamed { device: phone, name: "Phone".into() }),
        event(3, phone, BoardEvent::DeviceNamed { device: laptop, name: "Not yours".into() }),
    ];
    let projections = BoardProjections::replay(events.iter());
    assert_eq!(projections.board.device_name(phone), Some("Phone"));
    assert_eq!(projections.board.device_name(laptop), None, "another device's name is not changed");
    assert_eq!(projections.activity.recent().next().map(|e| e.effect), Some(Effect::NoEffect));
}

#[test]
fn times_at_the_ends_of_the_clock_replay_and_snapshot_exactly() {
    let device = Uuid::from_u128(0xd1);
    let at = [i64::MIN, i64::MIN, i64::MAX, i64::MIN, 0];
    let mut events = vec![Event::new(Uuid::from_u128(1), Uuid::from_u128(1), device, at[0], created())];
    for (n, at) in at.iter().enumerate().skip(1) {
        let payload = BoardEvent::CardAdded {
            card: card(n as u128),
            column: TODO,
            title: format!("Card {n}"),
            description: String::new(),
        };
        events.push(Event::new(Uuid::from_u128(10 + n as u128), Uuid::from_u128(1), device, *at, payload));
    }
    let projections = BoardProjections::replay(events.iter());
    assert_eq!(projections.board.live_cards(), 4);
    let back = BoardProjections::from_snapshot(&projections.to_snapshot()).unwrap();
    assert_eq!(back, projections);
}
