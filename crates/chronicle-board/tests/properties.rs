//! The laws that make the board trustworthy, over arbitrary event sequences.

mod common;

use chronicle_board::{BoardDecider, BoardEvent, BoardProjections, ColumnSeed, Command};
use chronicle_core::{Decider, Event, Log, RawEnvelope};
use common::*;
use proptest::prelude::*;
use serde_json::json;
use uuid::Uuid;

fn id(n: u8) -> Uuid {
    Uuid::from_u128(0xab00 + n as u128)
}

/// Any event over a small id space, so that events often refer to the same cards and columns,
/// and often to ones that are gone: exactly the events that "no longer apply".
fn any_event() -> impl Strategy<Value = BoardEvent> {
    let small = 0u8..8;
    prop_oneof![
        (small.clone()).prop_map(|n| BoardEvent::BoardCreated {
            name: format!("B{n}"),
            columns: vec![ColumnSeed { id: id(n), name: "C".into() }]
        }),
        ".{0,4}".prop_map(|name| BoardEvent::BoardRenamed { name }),
        (small.clone(), ".{0,4}").prop_map(|(n, name)| BoardEvent::ColumnAdded { column: id(n), name }),
        (small.clone(), ".{0,4}").prop_map(|(n, name)| BoardEvent::ColumnRenamed { column: id(n), name }),
        (small.clone(), any::<u32>()).prop_map(|(n, index)| BoardEvent::ColumnMoved { column: id(n), index }),
        small.clone().prop_map(|n| BoardEvent::ColumnRemoved { column: id(n) }),
        (small.clone(), small.clone(), ".{0,6}").prop_map(|(c, k, title)| BoardEvent::CardAdded {
            card: id(c + 100),
            column: id(k),
            title,
            description: String::new()
        }),
        (small.clone(), ".{0,6}").prop_map(|(c, title)| BoardEvent::CardEdited {
            card: id(c + 100),
            title,
            description: "d".into()
        }),
        (small.clone(), small.clone(), small.clone(), any::<u32>())
            .prop_map(|(c, f, t, index)| BoardEvent::CardMoved { card: id(c + 100), from: id(f), to: id(t), index }),
        small.clone().prop_map(|c| BoardEvent::CardArchived { card: id(c + 100) }),
        (small.clone(), small.clone()).prop_map(|(c, k)| BoardEvent::CardRestored { card: id(c + 100), column: id(k) }),
        (small, ".{0,4}").prop_map(|(d, name)| BoardEvent::DeviceNamed { device: id(d), name }),
    ]
}

/// Known events, and now and then one this build cannot read.
fn any_record() -> impl Strategy<Value = Event<BoardEvent>> {
    prop_oneof![
        9 => any_event().prop_map(|e| record(&[e]).remove(0)),
        1 => ("[a-z_]{1,10}", 0u16..4).prop_map(|(kind, version)| Event::decode(RawEnvelope {
            id: Uuid::from_u128(0xfff), stream: STREAM, kind, version, device: LAPTOP, at: 0, seq: None,
            data: json!({ "card": id(100) }).into(),
        })),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn replay_is_deterministic_and_never_panics(events in proptest::collection::vec(any_record(), 0..60)) {
        let once = BoardProjections::replay(events.iter());
        let twice = BoardProjections::replay(events.iter());
        prop_assert_eq!(&once, &twice);
        prop_assert_eq!(once.position, events.len() as u64);
        prop_assert_eq!(BoardDecider::replay(events.iter()), once.board.clone());
        // Every live card sits in exactly one column, the one it names, where the board finds it.
        let mut seen = std::collections::HashSet::new();
        for (i, column) in once.board.columns().iter().enumerate() {
            prop_assert_eq!(once.board.cards_in(column).count(), column.len());
            for (at, c) in once.board.cards_in(column).enumerate() {
                prop_assert!(!c.archived);
                prop_assert_eq!(c.column, column.id);
                prop_assert_eq!(once.board.position_of(c.id), Some((i, at)));
                prop_assert_eq!(once.board.live_column_of(c.id), Some(column.id));
                prop_assert!(seen.insert(c.id), "a card sits in one column once");
                prop_assert_eq!(once.board.card(c.id), Some(c));
            }
        }
        prop_assert_eq!(seen.len(), once.board.live_cards());
    }

    #[test]
    fn snapshot_then_tail_equals_full_replay(events in proptest::collection::vec(any_record(), 0..40), split in 0usize..40) {
        let split = split.min(events.len());
        let full = BoardProjections::replay(events.iter());
        let mut resumed = BoardProjections::from_snapshot(&BoardProjections::replay(events[..split].iter()).to_snapshot()).unwrap();
        resumed.extend(events[split..].iter());
        prop_assert_eq!(resumed, full);
    }

    /// Whatever a stored snapshot holds, reading it and folding more events never panics: bytes
    /// that are not a snapshot are refused, and a snapshot whose numbers were damaged (slots,
    /// layouts, counts pointing anywhere) reads as something the next events can fold onto.
    #[test]
    fn damaged_snapshots_never_panic(
        bytes in proptest::collection::vec(any::<u8>(), 0..200),
        seed in any::<u64>(),
        damage in proptest::collection::vec((any::<prop::sample::Index>(), any::<i64>()), 1..12),
    ) {
        let _ = BoardProjections::from_snapshot(&String::from_utf8_lossy(&bytes));
        let events = chronicle_board::workload::generate(300, seed);
        let (before, after) = events.split_at(200);
        let mut snapshot: serde_json::Value =
            serde_json::from_str(&BoardProjections::replay(before.iter()).to_snapshot()).unwrap();
        let mut numbers = Vec::new();
        collect_numbers(&mut snapshot, &mut numbers);
        for (index, value) in damage {
            let at = index.index(numbers.len());
            // Keep the format, so that the damaged snapshot is read rather than refused outright.
            if at > 0 {
                *numbers_mut(&mut snapshot, at) = serde_json::json!(value.rem_euclid(1 << 20) - (1 << 10));
            }
        }
        if let Ok(mut resumed) = BoardProjections::from_snapshot(&snapshot.to_string()) {
            resumed.extend(after.iter());
            let _ = resumed.to_snapshot();
        }
    }

    /// A snapshot whose flow is damaged (its bytes altered, cut short or not base64 at all) is
    /// refused or reads as odd statistics that the next events and the diagram can use.
    #[test]
    fn damaged_flows_never_panic(
        seed in any::<u64>(),
        damage in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..12),
        cut in any::<prop::sample::Index>(),
        text in "[A-Za-z0-9_!=-]{0,12}",
    ) {
        use base64::Engine as _;
        let base64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let events = chronicle_board::workload::generate(300, seed);
        let (before, after) = events.split_at(200);
        let mut snapshot: serde_json::Value =
            serde_json::from_str(&BoardProjections::replay(before.iter()).to_snapshot()).unwrap();
        let changes = &mut snapshot["projections"]["flow"]["changes"];
        let mut bytes = base64.decode(changes.as_str().unwrap()).unwrap();
        for (index, value) in damage {
            let at = index.index(bytes.len());
            bytes[at] = value;
        }
        bytes.truncate(cut.index(bytes.len() + 1));
        *changes = serde_json::json!(base64.encode(&bytes) + &text);
        if let Ok(mut resumed) = BoardProjections::from_snapshot(&snapshot.to_string()) {
            resumed.extend(after.iter());
            let ids: Vec<Uuid> = resumed.board.columns().iter().map(|c| c.id).collect();
            for position in (0..=resumed.position).step_by(7) {
                let _ = resumed.flow.counts_at(position, &ids);
            }
            let _ = resumed.to_snapshot();
        }
    }

    #[test]
    fn rebase_equals_fold_of_the_concatenation(
        remote in proptest::collection::vec(any_event(), 0..15),
        local in proptest::collection::vec(any_event(), 0..15),
        acked in 0usize..15,
    ) {
        let mut log = Log::default();
        let mine: Vec<_> = record(&local).into_iter().enumerate().map(|(i, mut e)| { e.meta.id = Uuid::from_u128(0x1_0000 + i as u128); e }).collect();
        log.append(mine.clone());
        let acked = acked.min(mine.len());
        let mut confirmed: Vec<_> = record(&remote).into_iter().enumerate().map(|(i, mut e)| { e.meta.id = Uuid::from_u128(0x2_0000 + i as u128); e }).collect();
        confirmed.extend(mine.iter().take(acked).cloned());
        for (i, e) in confirmed.iter_mut().enumerate() { e.meta.seq = Some(i as u64 + 1); }
        let rebased = log.rebase(confirmed.clone());
        prop_assert_eq!(rebased.in_place, remote.is_empty(), "in place exactly when only our oldest events were confirmed");
        let expected: Vec<_> = confirmed.iter().chain(mine.iter().skip(acked)).cloned().collect();
        prop_assert_eq!(BoardProjections::replay(log.events()), BoardProjections::replay(expected.iter()));
    }

    /// Whatever a person does, the events `decide` produces are ones `evolve` applies.
    #[test]
    fn decided_events_always_apply(titles in proptest::collection::vec("[a-z ]{0,8}", 1..20), moves in proptest::collection::vec((0usize..20, 0usize..3, 0usize..5), 0..30)) {
        let mut events = Vec::new();
        let mut board = BoardDecider::replay(events.iter());
        let run = |board: &mut chronicle_board::Board, events: &mut Vec<Event<BoardEvent>>, command| {
            if let Ok(new) = BoardDecider::decide(board, command) {
                for e in record(&new) {
                    prop_assert_eq!(board.evolve(e.known().unwrap()), chronicle_core::Effect::Applied);
                    events.push(e);
                }
            }
            Ok(())
        };
        run(&mut board, &mut events, Command::CreateBoard { name: "B".into(), columns: [TODO, DOING, DONE] })?;
        for (i, title) in titles.iter().enumerate() {
            run(&mut board, &mut events, Command::AddCard { card: card(i as u128), column: TODO, title: title.clone(), description: String::new() })?;
        }
        for (c, column, index) in moves {
            let to = [TODO, DOING, DONE][column];
            run(&mut board, &mut events, Command::MoveCard { card: card(c as u128), to, index })?;
        }
    }
}

/// A card as seen: id, title, description.
type SeenCard = (Uuid, String, String);
/// A column as seen: id, name, cards in order.
type SeenColumn = (Uuid, String, Vec<SeenCard>);

/// What a person sees of a board: its name, and each column's name and cards in order.
fn view(board: &chronicle_board::Board) -> (String, Vec<SeenColumn>) {
    let columns = board
        .columns()
        .iter()
        .map(|c| {
            let cards = board.cards_in(c).map(|k| (k.id, k.title.clone(), k.description.clone())).collect();
            (c.id, c.name.clone(), cards)
        })
        .collect();
    (board.name().to_owned(), columns)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// The board at any position of a history equals a full replay up to there, whatever the
    /// spacing of keyframes, and it stays so as the history grows.
    #[test]
    fn board_at_equals_a_replay(
        events in proptest::collection::vec(any_record(), 0..300),
        every in 1usize..80,
        positions in proptest::collection::vec(0u64..320, 1..8),
    ) {
        let (first, rest) = events.split_at(events.len() / 2);
        let mut history = chronicle_board::History::with_keyframes_every(first.to_vec(), every);
        history.extend(rest.iter().cloned());
        for position in positions {
            let replayed = BoardProjections::replay(events.iter().take(position as usize));
            let seen = history.projections_at(position);
            prop_assert_eq!(&seen.board, &replayed.board);
            prop_assert_eq!(&seen.activity, &replayed.activity);
            prop_assert_eq!(seen.position, replayed.position);
        }
        prop_assert_eq!(history.board(), BoardProjections::replay(events.iter()).board);
    }

    /// A history kept in step with a log, grown, cut back where a rebase changed the log and
    /// grown again, reads at every position like a replay of the log it ends with.
    #[test]
    fn a_history_kept_in_step_reads_like_a_replay(
        first in proptest::collection::vec(any_record(), 0..120),
        grown in proptest::collection::vec(any_record(), 0..120),
        replaced in proptest::collection::vec(any_record(), 0..120),
        cut in 0usize..260,
        every in 1usize..50,
        positions in proptest::collection::vec(0u64..400, 1..8),
    ) {
        let mut history = chronicle_board::History::with_keyframes_every(first.clone(), every);
        history.extend(grown.iter().cloned());
        history.replace_from(cut as u64, replaced.iter().cloned());
        let mut log: Vec<_> = first.into_iter().chain(grown).collect();
        log.truncate(cut);
        log.extend(replaced);
        prop_assert_eq!(history.len(), log.len() as u64);
        for position in positions {
            let replayed = BoardProjections::replay(log.iter().take(position as usize));
            let seen = history.projections_at(position);
            prop_assert_eq!(&seen.board, &replayed.board);
            prop_assert_eq!(&seen.activity, &replayed.activity);
        }
    }

    /// However the history grew and was partly replaced, its stamps are its events' times and
    /// devices, in order.
    #[test]
    fn a_historys_stamps_are_its_events_times_and_devices(
        first in proptest::collection::vec((0u8..4, any::<i64>()), 0..60),
        grown in proptest::collection::vec((0u8..4, any::<i64>()), 0..60),
        replaced in proptest::collection::vec((0u8..4, any::<i64>()), 0..60),
        cut in 0usize..130,
    ) {
        let events = |stamps: &[(u8, i64)]| -> Vec<Event<BoardEvent>> {
            stamps
                .iter()
                .enumerate()
                .map(|(i, (device, at))| {
                    let (id, device) = (Uuid::from_u128(i as u128), Uuid::from_u128(u128::from(*device) + 1));
                    Event::new(id, STREAM, device, *at, BoardEvent::BoardRenamed { name: "n".into() })
                })
                .collect()
        };
        let mut history = chronicle_board::History::new(events(&first));
        history.extend(events(&grown));
        history.replace_from(cut as u64, events(&replaced));
        let mut log: Vec<_> = events(&first).into_iter().chain(events(&grown)).collect();
        log.truncate(cut);
        log.extend(events(&replaced));
        let stamped: Vec<(i64, Uuid)> =
            history.stamps().iter().map(|s| (s.at, history.devices()[s.device as usize])).collect();
        let expected: Vec<(i64, Uuid)> = log.iter().map(|e| (e.meta.at, e.meta.device)).collect();
        prop_assert_eq!(stamped, expected);
    }

    /// Restoring any earlier version of a realistic board makes it show exactly that version, with
    /// new events only: the history grows and keeps everything it had.
    #[test]
    fn restoring_a_version_shows_it_again(seed in any::<u64>(), count in 2usize..600, at in 0.0f64..1.0) {
        let events = chronicle_board::workload::generate(count, seed);
        let position = 1 + ((events.len() - 1) as f64 * at) as usize;
        let present = BoardProjections::replay(events.iter()).board;
        let target = BoardProjections::replay(events.iter().take(position)).board;
        let restored = BoardDecider::decide(&present, Command::RestoreVersion { target: Box::new(target.clone()) })
            .expect("an earlier version can always be restored");
        let mut board = present.clone();
        for event in &restored {
            prop_assert_eq!(board.evolve(event), chronicle_core::Effect::Applied, "every restoring event applies");
        }
        prop_assert_eq!(view(&board), view(&target));
        if view(&present) == view(&target) {
            prop_assert!(restored.is_empty(), "nothing to do, nothing written");
        }
    }
}

#[test]
fn the_history_list_and_the_activity_feed_tell_each_event_alike() {
    let events = chronicle_board::workload::generate(400, 9);
    let history = chronicle_board::History::with_keyframes_every(events.clone(), 64);
    let feed: Vec<_> = BoardProjections::replay(events.iter()).activity.recent().cloned().collect();
    let mut listed = history.entries(1, history.len());
    listed.reverse();
    assert_eq!(listed, feed);
    assert_eq!(
        history.entries(120, 130),
        listed[listed.len() - 130..listed.len() - 119].iter().rev().cloned().collect::<Vec<_>>()
    );
    assert!(history.entries(401, 500).is_empty());

    // The feed keeps the newest entries; where it has them, it gives the same ones.
    let long = chronicle_board::workload::generate(2_000, 4);
    let present = BoardProjections::replay(long.iter());
    let history = chronicle_board::History::new(long);
    assert_eq!(present.activity.entries(1_980, 2_000), Some(history.entries(1_980, 2_000)));
    assert_eq!(present.activity.entries(1_995, 2_100), Some(history.entries(1_995, 2_000)));
    assert_eq!(present.activity.entries(10, 30), None, "long gone from the feed");
}

#[test]
fn devices_are_named_alike_everywhere() {
    let (this, other, named) = (Uuid::from_u128(1), Uuid::from_u128(2), Uuid::from_u128(3));
    let mut board = chronicle_board::Board::default();
    board.evolve(&chronicle_board::BoardEvent::DeviceNamed { device: named, name: "Phone".into() });
    assert_eq!(chronicle_board::device_label(&board, named, this), "Phone");
    assert_eq!(chronicle_board::device_label(&board, this, this), "This device");
    assert_eq!(chronicle_board::device_label(&board, other, this), "Another device");
}

#[test]
fn a_version_from_before_the_board_existed_is_refused() {
    let events = chronicle_board::workload::generate(20, 1);
    let present = BoardProjections::replay(events.iter()).board;
    let empty = chronicle_board::Board::default();
    assert_eq!(
        BoardDecider::decide(&present, Command::RestoreVersion { target: Box::new(empty) }),
        Err(chronicle_board::Rejection::BeforeCreation)
    );
}

#[test]
fn board_at_equals_a_replay_far_from_any_keyframe() {
    // Long runs between keyframes are folded describing only their newest events, as a replay is.
    let events = chronicle_board::workload::generate(6_000, 5);
    let history = chronicle_board::History::with_keyframes_every(events.clone(), 2_500);
    for position in [0u64, 1, 499, 500, 501, 1_234, 2_499, 2_500, 2_999, 4_321, 4_999, 5_000, 5_999, 6_000] {
        let replayed = BoardProjections::replay(events.iter().take(position as usize));
        let seen = history.projections_at(position);
        assert_eq!(seen.board, replayed.board, "board at {position}");
        assert_eq!(seen.activity, replayed.activity, "activity at {position}");
        assert_eq!(seen.diagnostics, replayed.diagnostics, "diagnostics at {position}");
    }
}

#[test]
fn the_flow_at_any_position_counts_the_cards_the_board_held_then() {
    // Long enough for several checkpoints of the flow, and read back from a snapshot too.
    let events = chronicle_board::workload::generate(8_000, 11);
    let now = BoardProjections::replay(events.iter());
    let read = BoardProjections::from_snapshot(&now.to_snapshot()).unwrap();
    let history = chronicle_board::History::new(events.clone());
    for position in (0..=events.len() as u64).step_by(97).chain([events.len() as u64]) {
        let board = history.board_at(position);
        let ids: Vec<Uuid> = board.columns().iter().map(|c| c.id).collect();
        let held: Vec<u32> = board.columns().iter().map(|c| c.len() as u32).collect();
        assert_eq!(now.flow.counts_at(position, &ids), held, "at {position}");
        assert_eq!(read.flow.counts_at(position, &ids), held, "at {position}, read back");
    }
    assert!(now.flow.changes().count() > 3 * 1024, "the log crosses several checkpoints");
}

/// Every number in a JSON value, depth first; the first is the snapshot's format.
fn collect_numbers(value: &mut serde_json::Value, found: &mut Vec<()>) {
    match value {
        serde_json::Value::Number(_) => found.push(()),
        serde_json::Value::Array(items) => items.iter_mut().for_each(|v| collect_numbers(v, found)),
        serde_json::Value::Object(fields) => fields.values_mut().for_each(|v| collect_numbers(v, found)),
        _ => {}
    }
}

/// The `n`th number of a JSON value, in the order `collect_numbers` finds them.
fn numbers_mut(value: &mut serde_json::Value, n: usize) -> &mut serde_json::Value {
    fn walk<'a>(value: &'a mut serde_json::Value, n: &mut usize) -> Option<&'a mut serde_json::Value> {
        match value {
            serde_json::Value::Number(_) if *n == 0 => Some(value),
            serde_json::Value::Number(_) => {
                *n -= 1;
                None
            }
            serde_json::Value::Array(items) => items.iter_mut().find_map(|v| walk(v, n)),
            serde_json::Value::Object(fields) => fields.values_mut().find_map(|v| walk(v, n)),
            _ => None,
        }
    }
    let mut n = n;
    walk(value, &mut n).expect("the number is there")
}

proptest! {
    /// A card's own history, read through the index by card, is exactly the log filtered to the
    /// events that act on it, with the effect each had when the whole log was folded; and so it
    /// stays as the log grows and is cut back (a rebase).
    #[test]
    fn a_cards_history_is_the_log_filtered_to_it(
        first in proptest::collection::vec(any_record(), 0..60),
        later in proptest::collection::vec(any_record(), 0..30),
        cut in 0usize..90,
        every in 1usize..20,
    ) {
        use chronicle_board::{History, card_of};
        use chronicle_core::Effect;
        let check = |history: &History| -> Result<(), TestCaseError> {
            let log = history.events();
            let mut board = chronicle_board::Board::default();
            let effects: Vec<Effect> = log.iter().map(|e| board.apply_event(e)).collect();
            for n in 100..108u8 {
                let card = id(n);
                let expected: Vec<u32> =
                    (1..=log.len() as u32).filter(|p| card_of(&log[*p as usize - 1]) == Some(card)).collect();
                prop_assert_eq!(history.card_positions(card), expected.as_slice());
                let changes = history.card_changes(card);
                prop_assert_eq!(changes.iter().map(|c| c.position as u32).collect::<Vec<_>>(), expected.clone());
                for change in &changes {
                    prop_assert_eq!(change.effect, effects[change.position as usize - 1]);
                }
            }
            Ok(())
        };
        let mut history = History::with_keyframes_every(first.clone(), every);
        check(&history)?;
        history.extend(later.clone());
        check(&history)?;
        let cut = cut.min(first.len() + later.len()) as u64;
        history.replace_from(cut, later);
        check(&history)?;
    }
}
