//! IndexedDB storage in a real headless Chromium: what is appended reads back, survives reopening,
//! and a batch that fails leaves nothing behind.

#![cfg(target_arch = "wasm32")]

use chronicle::boards;
use chronicle::session::Session;
use chronicle::storage::{HeadRead, LogState, MAX_BATCH, PendingHead, Storage, StorageError, StoredSnapshot};
use chronicle_board::{BoardProjections, Command};
use chronicle_core::{RawEnvelope, Rebased, Uuid};
use serde_json::json;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn fresh_name() -> String {
    format!("chronicle-test-{}", chronicle::clock::new_id())
}

/// A database of its own for one test (its name, to open it again), and a board's id in it.
async fn fresh_board() -> (String, Storage, Uuid) {
    let name = fresh_name();
    let storage = Storage::open(&name, || ()).await.unwrap();
    (name, storage, chronicle::clock::new_id())
}

fn envelope(stream: Uuid, n: u64) -> RawEnvelope {
    RawEnvelope {
        id: chronicle::clock::new_id(),
        stream,
        kind: "card_labelled".into(),
        version: 1,
        device: Uuid::from_u128(7),
        at: 1_700_000_000_000 + n as i64,
        seq: Some(n + 1),
        data: json!({ "n": n }).into(),
    }
}

/// A real board's first events, made the way the app makes them.
fn board_events(stream: Uuid) -> Vec<RawEnvelope> {
    let mut session =
        Session::new(stream, Uuid::from_u128(7), BoardProjections::default(), 0, LogState::default(), Vec::new());
    let mut shown = BoardProjections::default();
    let ids = [Uuid::from_u128(1), Uuid::from_u128(2), Uuid::from_u128(3)];
    session
        .execute(
            &mut shown,
            Command::CreateBoard { name: "Kept".into(), columns: ids },
            "Laptop",
            1,
            chronicle::clock::new_id,
        )
        .unwrap();
    let mut events = session.next_write().unwrap().1;
    session.written(LogState { revision: events.len() as u64, confirmed: 0 });
    session
        .execute(
            &mut shown,
            Command::AddCard {
                card: Uuid::from_u128(9),
                column: ids[0],
                title: "Fix login".into(),
                description: String::new(),
            },
            "Laptop",
            2,
            chronicle::clock::new_id,
        )
        .unwrap();
    events.extend(session.next_write().unwrap().1);
    events
}

fn pending(events: &[RawEnvelope]) -> Vec<RawEnvelope> {
    events.iter().map(|e| RawEnvelope { seq: None, ..e.clone() }).collect()
}

/// Appends `events` to a new board's log, `per_record` events to a record, one write each;
/// returns how the log stands after the last.
async fn append_records(storage: &Storage, stream: Uuid, events: &[RawEnvelope], per_record: usize) -> LogState {
    let mut state = LogState::default();
    for part in events.chunks(per_record) {
        state = storage.append(stream, state.revision, part, &[], None).await.unwrap();
    }
    state
}

#[wasm_bindgen_test]
async fn confirmed_then_pending_events_read_back_in_order_and_by_seq() {
    let (_, storage, stream) = fresh_board().await;
    let confirmed: Vec<_> = (0..3).map(|n| envelope(stream, n)).collect();
    let mine = pending(&(3..5).map(|n| envelope(stream, n)).collect::<Vec<_>>());
    let state = storage.confirm(stream, &confirmed, &Rebased::default()).await.unwrap();
    assert_eq!(state.confirmed, 3);
    let state = storage.append(stream, state.revision, &mine, &[], None).await.unwrap();

    let loaded = storage.load(stream).await.unwrap();
    let all: Vec<_> = confirmed.iter().chain(&mine).cloned().collect();
    assert_eq!(loaded.tail, all);
    assert_eq!(loaded.state, state);
    assert_eq!(loaded.pending, mine.iter().map(|e| e.id).collect::<Vec<_>>());
    assert!(loaded.problems.is_empty());

    assert_eq!(storage.event_by_seq(stream, 2).await.unwrap(), Some(all[1].clone()));
    assert_eq!(storage.event_by_seq(stream, 99).await.unwrap(), None);

    let other = chronicle::clock::new_id();
    assert!(storage.load(other).await.unwrap().tail.is_empty(), "streams do not mix");
}

#[wasm_bindgen_test]
async fn confirming_moves_own_events_and_places_others_before_what_is_still_pending() {
    let storage = Storage::open(&fresh_name(), || ()).await.unwrap();
    let stream = chronicle::clock::new_id();
    let mine = pending(&(0..3).map(|n| envelope(stream, n)).collect::<Vec<_>>());
    // Two commands: [a, b] and [c].
    let state = storage.append(stream, 0, &mine[..2], &[], None).await.unwrap();
    let state = storage.append(stream, state.revision, &mine[2..], &[], None).await.unwrap();

    // The server confirmed a, then another device's event; b and c are still on their way.
    let remote = envelope(stream, 100);
    let confirmed =
        vec![RawEnvelope { seq: Some(1), ..mine[0].clone() }, RawEnvelope { seq: Some(2), ..remote.clone() }];
    let rebased = Rebased { confirmed: 2, acknowledged: vec![mine[0].id], ..Rebased::default() };
    assert_eq!(pending_count(&storage, stream).await, 3);
    let after = storage.confirm(stream, &confirmed, &rebased).await.unwrap();
    assert_eq!(after.confirmed, 2);
    assert!(after.revision > state.revision, "others' events placed before ours move the revision on");
    assert_eq!(pending_count(&storage, stream).await, 2);

    let loaded = storage.load_all(stream).await.unwrap();
    let ids: Vec<Uuid> = loaded.tail.iter().map(|e| e.id).collect();
    assert_eq!(ids, [mine[0].id, remote.id, mine[1].id, mine[2].id], "confirmed in server order, then pending");
    assert_eq!(loaded.pending, [mine[1].id, mine[2].id]);

    // A reader that knew a confirmed and held nothing more reads every pending event.
    let known = LogState { revision: state.revision, confirmed: 1 };
    let tail = storage.tail(stream, known, 1).await.unwrap();
    assert_eq!(tail.state, after);
    assert_eq!(tail.confirmed.iter().map(|e| e.id).collect::<Vec<_>>(), [remote.id]);
    assert_eq!((tail.pending, tail.after.as_slice()), (Some(vec![mine[1].id, mine[2].id]), &mine[1..]));
    // One that holds the log's first three events (b is the third) reads c alone, and every id.
    let tail = storage.tail(stream, known, 3).await.unwrap();
    assert_eq!((tail.pending, tail.after.as_slice()), (Some(vec![mine[1].id, mine[2].id]), &mine[2..]));
    // A reader that already knows the log as it is gets nothing more to read.
    let tail = storage.tail(stream, after, 4).await.unwrap();
    assert_eq!((tail.state, tail.confirmed.len(), tail.pending, tail.after.len()), (after, 0, None, 0));

    // Events that do not follow on are refused: another tab stored them first.
    let stale = vec![RawEnvelope { seq: Some(2), ..remote }];
    assert_eq!(storage.confirm(stream, &stale, &Rebased::default()).await, Err(StorageError::Conflict));
    // A write decided before the confirmation is refused too, and is retried by its caller.
    assert_eq!(
        storage.append(stream, state.revision, &pending(&[envelope(stream, 7)]), &[], None).await,
        Err(StorageError::Conflict)
    );
}

#[wasm_bindgen_test]
async fn confirming_many_records_removes_those_acknowledged_whole_and_keeps_the_rest_in_order() {
    let (_, storage, stream) = fresh_board().await;
    let numbered: Vec<RawEnvelope> = (0..40).map(|n| envelope(stream, n)).collect();
    let mine = pending(&numbered);
    // Twenty records of two events each: more than one read of records takes.
    let state = append_records(&storage, stream, &mine, 2).await;
    // The server took the first 25, in order (numbered as it numbers them): twelve records go
    // whole, the thirteenth keeps one.
    let confirmed = numbered[..25].to_vec();
    let rebased = Rebased {
        confirmed: 25,
        acknowledged: mine[..25].iter().map(|e| e.id).collect(),
        in_place: true,
        ..Rebased::default()
    };
    let after = storage.confirm(stream, &confirmed, &rebased).await.unwrap();
    assert_eq!(after.revision, state.revision, "confirmed in place");
    let loaded = storage.load_all(stream).await.unwrap();
    assert_eq!(loaded.tail.iter().map(|e| e.id).collect::<Vec<_>>(), mine.iter().map(|e| e.id).collect::<Vec<_>>());
    assert_eq!(loaded.pending, mine[25..].iter().map(|e| e.id).collect::<Vec<_>>());
    assert_eq!(storage.pending(stream).await.unwrap().pending.len(), 8, "the thirteenth record and seven more");
    assert_eq!(pending_count(&storage, stream).await, 15);

    // A reader that held all forty reads the confirmed events and nothing pending: what is left
    // is what it held past them. One that held thirty reads every id and the ten it lacked.
    let tail = storage.tail(stream, state, 40).await.unwrap();
    assert_eq!((tail.confirmed, tail.pending, tail.after.len()), (confirmed, None, 0));
    let tail = storage.tail(stream, state, 30).await.unwrap();
    assert_eq!(tail.pending, Some(mine[25..].iter().map(|e| e.id).collect()));
    assert_eq!(tail.after, mine[30..]);
}

/// A whole log is read a part at a time (32 records, then more), each record's events handed
/// over as soon as they are read: confirmed records, then pending ones, in log order, none twice.
#[wasm_bindgen_test]
async fn a_whole_log_is_read_record_by_record_in_order() {
    let (_, storage, stream) = fresh_board().await;
    let numbered: Vec<RawEnvelope> = (0..40).map(|n| envelope(stream, n)).collect();
    let mine = pending(&numbered);
    let mut state = append_records(&storage, stream, &mine, 1).await;
    // Thirty-six confirmed records of one event each (more than the first read takes), then four
    // pending ones.
    for n in 0..36 {
        let rebased =
            Rebased { confirmed: n + 1, acknowledged: vec![mine[n].id], in_place: true, ..Rebased::default() };
        state = storage.confirm(stream, &numbered[n..=n], &rebased).await.unwrap();
    }
    let mut handed = Vec::new();
    let log = storage
        .read_all(stream, &mut |events, all| {
            assert_eq!(all, 40, "the log's length is known before its events");
            handed.push(events.iter().map(|e| e.id).collect::<Vec<_>>());
        })
        .await
        .unwrap();
    assert_eq!(handed.len(), 40, "one hand-over per record");
    assert_eq!(handed.concat(), mine.iter().map(|e| e.id).collect::<Vec<_>>());
    assert_eq!(log.state, state);
    assert_eq!(log.pending, mine[36..].iter().map(|e| e.id).collect::<Vec<_>>());
    assert!(log.problems.is_empty());
    let loaded = storage.load_all(stream).await.unwrap();
    assert_eq!(loaded.tail, [&numbered[..36], &mine[36..]].concat());
    assert_eq!((loaded.state, loaded.pending), (log.state, log.pending));
}

#[wasm_bindgen_test]
async fn everything_is_there_after_reopening() {
    let name = fresh_name();
    let stream = chronicle::clock::new_id();
    let events = board_events(stream);
    {
        let storage = Storage::open(&name, || ()).await.unwrap();
        storage.append(stream, 0, &events, &[], None).await.unwrap();
        storage.set_device(Uuid::from_u128(7), "Laptop").await.unwrap();
        storage.set_sync_token(stream, "abc123").await.unwrap();
        storage.close();
    }
    let storage = Storage::open(&name, || ()).await.unwrap();
    assert_eq!(storage.device().await.unwrap(), Some((Uuid::from_u128(7), Some("Laptop".to_owned()))));
    assert_eq!(storage.sync_token(stream).await.unwrap().as_deref(), Some("abc123"));
    assert_eq!(storage.boards().await.unwrap(), [stream], "the first append listed the board");
    let opened = boards::open(&storage, stream).await.unwrap();
    assert_eq!(opened.projections.board.name(), "Kept");
    assert_eq!(opened.projections.position, events.len() as u64);
    let card = opened.projections.board.card(Uuid::from_u128(9)).unwrap();
    assert_eq!(card.title, "Fix login");
}

#[wasm_bindgen_test]
async fn a_failing_batch_leaves_nothing_behind() {
    let storage = Storage::open(&fresh_name(), || ()).await.unwrap();
    let stream = chronicle::clock::new_id();
    let blocker = pending(&[envelope(stream, 5000)]);
    let state = storage.append(stream, 0, &blocker, &[], None).await.unwrap();

    // A write decided at an old revision: refused, nothing written.
    let late = pending(&[envelope(stream, 1)]);
    assert_eq!(storage.append(stream, 0, &late, &[], None).await, Err(StorageError::Conflict));

    // A batch of 1500 spans two records, and its last event reuses a stored id: the first record
    // must not stay behind.
    let mut big = pending(&(0..1500).map(|n| envelope(stream, n)).collect::<Vec<_>>());
    big[1499].id = blocker[0].id;
    assert!(storage.append(stream, state.revision, &big, &[], None).await.is_err());
    let loaded = storage.load_all(stream).await.unwrap();
    assert_eq!(loaded.tail, blocker, "only the earlier write is there");
    assert_eq!(loaded.state, state);
    const { assert!(MAX_BATCH < 1500, "the batch spans two records") };

    // A new board whose first write fails is not listed either.
    let other = chronicle::clock::new_id();
    let mut again = envelope(other, 0);
    again.seq = None;
    again.id = blocker[0].id;
    let result = storage.append(other, 0, &[pending(&[envelope(other, 1)])[0].clone(), again], &[], None).await;
    assert!(result.is_err(), "a duplicate id is refused");
    assert!(storage.load_all(other).await.unwrap().tail.is_empty());
    assert!(!storage.boards().await.unwrap().contains(&other), "nor is the board listed");
}

#[wasm_bindgen_test]
async fn a_snapshot_is_used_only_when_it_matches_the_log() {
    let storage = Storage::open(&fresh_name(), || ()).await.unwrap();
    let stream = chronicle::clock::new_id();
    let events = board_events(stream);
    storage.append(stream, 0, &events, &[], None).await.unwrap();
    let decoded: Vec<_> = events.iter().cloned().map(chronicle_core::Event::decode).collect();
    let full = BoardProjections::replay(decoded.iter());

    // A good snapshot of the first event: opening uses it and replays only the tail.
    let head = BoardProjections::replay(decoded[..1].iter());
    let good = StoredSnapshot { position: 1, last_event: events[0].id, text: head.to_snapshot(), log: None };
    storage.put_snapshot(stream, &good).await.unwrap();
    let opened = boards::open(&storage, stream).await.unwrap();
    assert_eq!(opened.snapshot_at, 1);
    assert_eq!(opened.projections, full);

    // Corrupt, stale, or of another history: ignored and rebuilt from the events.
    let current = format!("\"format\":{}", chronicle_board::SNAPSHOT_FORMAT);
    let corrupt = StoredSnapshot {
        position: 1,
        last_event: events[0].id,
        text: format!("{{{current},\"projections\":"),
        log: None,
    };
    let stale = StoredSnapshot {
        position: 1,
        last_event: events[0].id,
        text: head.to_snapshot().replacen(&current, "\"format\":0", 1),
        log: None,
    };
    let foreign = StoredSnapshot { position: 1, last_event: Uuid::from_u128(404), text: head.to_snapshot(), log: None };
    for bad in [corrupt, stale, foreign] {
        storage.put_snapshot(stream, &bad).await.unwrap();
        let opened = boards::open(&storage, stream).await.unwrap();
        assert_eq!(opened.snapshot_at, 0);
        assert_eq!(opened.projections, full);
    }
}

/// Nothing confirmed, as after an import offline: nine pending events of `stream` in three
/// records of 3, 4 and 2 events. Returns the events, the key (`first`) of each record, and the
/// log state after them.
async fn three_pending_records(storage: &Storage, stream: Uuid) -> (Vec<RawEnvelope>, Vec<u64>, LogState) {
    let events = pending(&(0..9).map(|n| envelope(stream, n)).collect::<Vec<_>>());
    let mut state = LogState::default();
    let mut firsts = Vec::new();
    for range in [0..3, 3..7, 7..9] {
        firsts.push(state.revision);
        state = storage.append(stream, state.revision, &events[range], &[], None).await.unwrap();
    }
    (events, firsts, state)
}

#[wasm_bindgen_test]
async fn a_reload_reads_only_the_ids_of_pending_events_a_snapshot_holds() {
    let (name, storage, stream) = fresh_board().await;
    let (events, firsts, state) = three_pending_records(&storage, stream).await;
    let decoded: Vec<_> = events.iter().cloned().map(chronicle_core::Event::decode).collect();
    let head = BoardProjections::replay(decoded[..5].iter());
    let snapshot = StoredSnapshot { position: 5, last_event: events[4].id, text: head.to_snapshot(), log: None };
    storage.put_snapshot(stream, &snapshot).await.unwrap();

    let loaded = storage.load(stream).await.unwrap();
    assert_eq!(loaded.snapshot, Some(snapshot));
    assert_eq!(loaded.tail, events[5..], "the events after the snapshot, from the middle of a record");
    assert_eq!(loaded.pending, events.iter().map(|e| e.id).collect::<Vec<_>>(), "every pending id, in order");
    assert_eq!(loaded.state, state);
    assert!(loaded.problems.is_empty());
    let opened = boards::open(&storage, stream).await.unwrap();
    assert_eq!(opened.projections, BoardProjections::replay(decoded.iter()));

    // A record under the snapshot that cannot be read is still found and reported, once, and the
    // board is read from the events that can be.
    damage(&name, "events", stream, firsts[0]).await;
    let loaded = storage.load(stream).await.unwrap();
    assert_eq!(loaded.snapshot, None);
    assert_eq!(loaded.problems.len(), 1, "{:?}", loaded.problems);
    assert_eq!(loaded.tail, events[3..]);
}

#[wasm_bindgen_test]
async fn a_snapshot_of_the_whole_log_opens_the_board_without_its_records_while_the_log_stands() {
    let (name, storage, stream) = fresh_board().await;
    let (events, firsts, state) = three_pending_records(&storage, stream).await;
    let decoded: Vec<_> = events.iter().cloned().map(chronicle_core::Event::decode).collect();
    let ids: Vec<Uuid> = events.iter().map(|e| e.id).collect();
    let whole = BoardProjections::replay(decoded.iter());
    let log = chronicle::storage::SnapshotLog { state, pending: ids.clone() };
    let snapshot = chronicle::session::snapshot_of(&whole, Some(log)).expect("a board to snapshot");
    storage.put_snapshot(stream, &snapshot).await.unwrap();

    // A record damaged behind the app's back, the log state unchanged: the open reads no record,
    // so it reads the board, and the pending ids, from the snapshot alone.
    damage(&name, "events", stream, firsts[0]).await;
    let loaded = storage.load(stream).await.unwrap();
    assert_eq!(loaded.snapshot, Some(snapshot));
    assert_eq!((loaded.tail, loaded.pending, loaded.state), (Vec::new(), ids.clone(), state));
    assert!(loaded.problems.is_empty(), "{:?}", loaded.problems);

    // Once the log moves on, the snapshot is checked against the records again, and the damage
    // is found.
    let later = pending(&[envelope(stream, 99)]);
    let moved = storage.append(stream, state.revision, &later, &[], None).await.unwrap();
    let loaded = storage.load(stream).await.unwrap();
    assert_eq!((loaded.snapshot, loaded.state), (None, moved));
    assert_eq!(loaded.problems.len(), 1, "{:?}", loaded.problems);
}

#[wasm_bindgen_test]
async fn a_reload_decodes_no_confirmed_event_a_snapshot_holds() {
    let (name, storage, stream) = fresh_board().await;
    // Three confirmed records, of 3, 4 and 2 events, as three pulls store them.
    let events: Vec<_> = (0..9).map(|n| envelope(stream, n)).collect();
    for range in [0..3, 3..7, 7..9] {
        storage.confirm(stream, &events[range], &Rebased::default()).await.unwrap();
    }
    let decoded: Vec<_> = events.iter().cloned().map(chronicle_core::Event::decode).collect();
    let full = BoardProjections::replay(decoded.iter());
    for position in [3, 5, 7, 9] {
        let head = BoardProjections::replay(decoded[..position].iter());
        let snapshot = StoredSnapshot {
            position: position as u64,
            last_event: events[position - 1].id,
            text: head.to_snapshot(),
            log: None,
        };
        storage.put_snapshot(stream, &snapshot).await.unwrap();
        let loaded = storage.load(stream).await.unwrap();
        assert_eq!(loaded.snapshot, Some(snapshot), "at {position}");
        assert_eq!(loaded.tail, events[position..], "the events after the snapshot, at {position}");
        assert!(loaded.problems.is_empty());
        assert_eq!(boards::open(&storage, stream).await.unwrap().projections, full, "at {position}");
    }

    // The first record is under the snapshot at 7 and not read at all; the second ends there and
    // gives the last id from its id list, its events text only checked to be whole.
    damage(&name, "confirmed", stream, 0).await;
    let head = BoardProjections::replay(decoded[..7].iter());
    let snapshot = StoredSnapshot { position: 7, last_event: events[6].id, text: head.to_snapshot(), log: None };
    storage.put_snapshot(stream, &snapshot).await.unwrap();
    let loaded = storage.load(stream).await.unwrap();
    assert_eq!((loaded.snapshot, loaded.problems.len()), (Some(snapshot.clone()), 0));
    // The record that held the snapshot's last event cannot be read: the snapshot cannot be
    // checked and is not used, and reading the board whole reports the damage.
    damage(&name, "confirmed", stream, 3).await;
    let loaded = storage.load(stream).await.unwrap();
    assert_eq!(loaded.snapshot, None);
    assert!(!loaded.problems.is_empty());
}

fn read(found: HeadRead) -> PendingHead {
    match found {
        HeadRead::Read(head) => head,
        other => panic!("the head was not read: {other:?}"),
    }
}

/// The pending events' count as the sync reads it, checked against a read of them all.
async fn pending_count(storage: &Storage, stream: Uuid) -> usize {
    let count = read(storage.pending_head(stream, 0, None).await.unwrap()).count;
    assert_eq!(count, storage.pending(stream).await.unwrap().pending.concat().len());
    count
}

#[wasm_bindgen_test]
async fn a_push_reads_the_first_pending_events_and_the_count_kept_with_the_log() {
    let (name, storage, stream) = fresh_board().await;
    let (events, firsts, state) = three_pending_records(&storage, stream).await;
    assert_eq!(storage.log_state(stream).await.unwrap(), state);
    assert_eq!(kept_count(&name, stream).await, Some((state, 9)), "every append keeps the count");

    // Records are read whole until they hold five events; the last one is not read.
    let head = read(storage.pending_head(stream, 5, None).await.unwrap());
    assert_eq!(head.tail.state, state);
    assert_eq!(head.tail.pending, [events[..3].to_vec(), events[3..7].to_vec()]);
    assert_eq!(head.count, 9);
    let whole = read(storage.pending_head(stream, 100, None).await.unwrap());
    assert_eq!(whole.tail.pending.concat(), events);
    // A reader that already knows the log as it is gets nothing more to read.
    assert!(matches!(storage.pending_head(stream, 5, Some(&head)).await.unwrap(), HeadRead::Unchanged));

    // Events added after a whole head leave it as it was: only the state and the count are new.
    let later = pending(&[envelope(stream, 20), envelope(stream, 21)]);
    let grown = storage.append(stream, state.revision, &later, &[], None).await.unwrap();
    let found = storage.pending_head(stream, 5, Some(&head)).await.unwrap();
    let HeadRead::Grown { more, count: 11 } = found else { panic!("{found:?}") };
    assert_eq!((more.state, more.pending.len()), (grown, 0));
    // A head that held them all reads only them, and grows by them.
    let HeadRead::Grown { more, count } = storage.pending_head(stream, 100, Some(&whole)).await.unwrap() else {
        panic!("the head did not grow")
    };
    assert_eq!(more.pending, std::slice::from_ref(&later));
    let mut whole = whole;
    whole.grow(more, count);
    assert_eq!((whole.tail.state, whole.count), (grown, 11));
    assert_eq!(whole.tail.pending.concat(), [events.clone(), later].concat());
    // Taking events out is not growing, even when as many are added after.
    let confirmed = vec![RawEnvelope { seq: Some(1), ..events[0].clone() }];
    let rebased = Rebased { confirmed: 1, acknowledged: vec![events[0].id], in_place: true, ..Rebased::default() };
    let state = storage.confirm(stream, &confirmed, &rebased).await.unwrap();
    assert_eq!(kept_count(&name, stream).await, Some((state, 10)), "a confirmation keeps the count too");
    let found = read(storage.pending_head(stream, 5, Some(&head)).await.unwrap());
    assert_eq!((found.tail.pending[0].as_slice(), found.count), (&events[1..3], 10));

    // A log last written by a build that kept no count is counted from its records, and a record
    // cut short past the head is reported and not counted, as a whole read leaves it out; the
    // count is kept for the next round, which reads only the head.
    damage(&name, "events", stream, firsts[2]).await;
    forget_count(&name, stream).await;
    let counted = read(storage.pending_head(stream, 5, None).await.unwrap());
    assert_eq!((counted.count, counted.tail.problems.len()), (8, 1), "{:?}", counted.tail.problems);
    let state = storage.log_state(stream).await.unwrap();
    assert_eq!(kept_count(&name, stream).await, Some((state, 8)));
    let next = read(storage.pending_head(stream, 5, None).await.unwrap());
    assert_eq!((next.count, next.tail.problems.len()), (8, 0));
}

#[wasm_bindgen_test]
async fn an_unreadable_record_is_reported_kept_in_place_and_written_after() {
    let (name, storage, stream) = fresh_board().await;
    let events = board_events(stream);
    let first = storage.append(stream, 0, &events[..2], &[], None).await.unwrap();
    let state = storage.append(stream, first.revision, &events[2..], &[], None).await.unwrap();
    damage(&name, "events", stream, first.revision).await;

    let opened = boards::open(&storage, stream).await.unwrap();
    assert_eq!(opened.problems.len(), 1, "{:?}", opened.problems);
    assert_eq!(opened.projections.board.name(), "Kept", "the readable events are all there");
    assert_eq!(opened.state, state);

    let later = pending(&[envelope(stream, 99)]);
    storage.append(stream, opened.state.revision, &later, &[], None).await.unwrap();
    let loaded = storage.load_all(stream).await.unwrap();
    assert_eq!(loaded.tail.last(), Some(&later[0]));
    assert_eq!(loaded.problems.len(), 1, "the damaged record is still there, still reported");
}

/// Replaces, behind the app's back, the record at `first` with one whose text is not JSON.
async fn damage(name: &str, store: &str, stream: Uuid, first: u64) {
    use indexed_db_futures::prelude::*;
    use indexed_db_futures::transaction::TransactionMode;
    use js_sys::{Array, Object, Reflect};
    use wasm_bindgen::JsValue;

    let db = indexed_db_futures::database::Database::open(name).await.unwrap();
    let tx = db.transaction(store).with_mode(TransactionMode::Readwrite).build().unwrap();
    let record = Object::new();
    let set = |k: &str, v: JsValue| Reflect::set(&record, &k.into(), &v).unwrap();
    set("stream", stream.to_string().into());
    set("first", JsValue::from_f64(first as f64));
    let ids =
        Array::of2(&chronicle::clock::new_id().to_string().into(), &chronicle::clock::new_id().to_string().into());
    set("ids", ids.into());
    set("seqs", Array::new().into());
    set("events", "[{\"id\": truncated".into());
    tx.object_store(store).unwrap().put(JsValue::from(record)).primitive().unwrap().await.unwrap();
    tx.commit().await.unwrap();
    db.close();
}

/// The pending events' count kept with a board's log, read behind the app's back.
async fn kept_count(name: &str, stream: Uuid) -> Option<(LogState, u64)> {
    use indexed_db_futures::prelude::*;

    let db = indexed_db_futures::database::Database::open(name).await.unwrap();
    let tx = db.transaction("meta").build().unwrap();
    let stored: Option<wasm_bindgen::JsValue> =
        tx.object_store("meta").unwrap().get(format!("pending-count/{stream}")).primitive().unwrap().await.unwrap();
    drop(tx);
    db.close();
    let [revision, confirmed, count]: [u64; 3] = serde_wasm_bindgen::from_value(stored?).unwrap();
    Some((LogState { revision, confirmed }, count))
}

/// Takes away the count kept with a board's log, as a write by a build that kept none leaves it
/// behind the log.
async fn forget_count(name: &str, stream: Uuid) {
    use indexed_db_futures::prelude::*;
    use indexed_db_futures::transaction::TransactionMode;

    let db = indexed_db_futures::database::Database::open(name).await.unwrap();
    let tx = db.transaction("meta").with_mode(TransactionMode::Readwrite).build().unwrap();
    tx.object_store("meta").unwrap().delete(format!("pending-count/{stream}")).primitive().unwrap().await.unwrap();
    tx.commit().await.unwrap();
    db.close();
}

#[wasm_bindgen_test]
fn notices_to_other_tabs_read_back_in_this_versions_form_and_the_earlier_one() {
    use chronicle::tabs::Notice;
    use chronicle_core::SyncStatus;
    let stream = chronicle::clock::new_id();
    let notices = [
        Notice::Written { stream, state: LogState { revision: 9, confirmed: 4 } },
        Notice::Sync {
            stream,
            status: SyncStatus::Failed { message: "Down".into(), retry_at: 1_700_000_000_000, pending: 2 },
        },
        Notice::Sync { stream, status: SyncStatus::Synced { at: 5 } },
        Notice::Hello,
    ];
    for notice in notices {
        let message = notice.to_message().unwrap();
        assert!(message.as_string().is_none() || notice == Notice::Hello, "sent as an object");
        assert_eq!(Notice::from_message(message), Some(notice.clone()));
        let earlier = wasm_bindgen::JsValue::from_str(&serde_json::to_string(&notice).unwrap());
        assert_eq!(Notice::from_message(earlier), Some(notice));
    }
    assert_eq!(Notice::from_message(wasm_bindgen::JsValue::from_f64(3.0)), None);
}

#[wasm_bindgen_test]
async fn a_token_made_here_is_kept_before_registering_and_given_up_once_registered() {
    let storage = Storage::open(&fresh_name(), || ()).await.unwrap();
    let stream = chronicle::clock::new_id();
    let token = chronicle::clock::new_token().expect("the browser has a secure generator");
    assert!(chronicle_protocol::is_client_token(&token), "{token}");
    assert_ne!(chronicle::clock::new_token(), Some(token.clone()));

    storage.propose_token(stream, &token).await.unwrap();
    assert_eq!(storage.proposed_token(stream).await.unwrap().as_deref(), Some(token.as_str()));
    assert_eq!(storage.sync_token(stream).await.unwrap(), None, "not registered yet");
    storage.set_sync_token(stream, &token).await.unwrap();
    assert_eq!(storage.sync_token(stream).await.unwrap().as_deref(), Some(token.as_str()));
    assert_eq!(storage.proposed_token(stream).await.unwrap(), None);
    assert_eq!(storage.boards().await.unwrap(), [stream]);
}

#[wasm_bindgen_test]
async fn refused_changes_are_set_aside_whole_then_taken_back_after_the_others_or_let_go() {
    let storage = Storage::open(&fresh_name(), || ()).await.unwrap();
    let stream = chronicle::clock::new_id();
    let events = pending(&board_events(stream));
    let (created, card) = events.split_at(events.len() - 1);
    let state = storage.append(stream, 0, created, &[], None).await.unwrap();
    let state = storage.append(stream, state.revision, card, &[], None).await.unwrap();
    let later = pending(&[envelope(stream, 50)]);
    let state = storage.append(stream, state.revision, &later, &[], None).await.unwrap();

    // The card's record leaves the log, whole, with the server's reason; the log moves on.
    let aside = storage.set_aside(stream, &[card[0].id], "Too long for this server.", 5).await.unwrap();
    assert!(aside.revision > state.revision);
    assert_eq!(pending_count(&storage, stream).await, created.len() + later.len());
    let loaded = storage.load_all(stream).await.unwrap();
    let ids: Vec<Uuid> = loaded.tail.iter().map(|e| e.id).collect();
    let expected: Vec<Uuid> = created.iter().chain(&later).map(|e| e.id).collect();
    assert_eq!(ids, expected, "the log reads without it");
    let kept = storage.set_aside_changes(stream).await.unwrap();
    assert_eq!(kept.len(), 1);
    assert_eq!(
        (kept[0].events.as_slice(), kept[0].reason.as_str(), kept[0].at),
        (card, "Too long for this server.", 5)
    );
    // Nothing else to set aside: the state stays.
    assert_eq!(storage.set_aside(stream, &[Uuid::from_u128(404)], "-", 6).await.unwrap(), aside);

    // Taken back, it follows the others, to be sent again; the set-aside store is empty.
    let back = storage.take_back(stream).await.unwrap();
    assert!(back.revision > aside.revision);
    assert_eq!(pending_count(&storage, stream).await, events.len() + later.len());
    let ids: Vec<Uuid> = storage.load_all(stream).await.unwrap().tail.iter().map(|e| e.id).collect();
    let expected: Vec<Uuid> = created.iter().chain(&later).chain(card).map(|e| e.id).collect();
    assert_eq!(ids, expected);
    assert!(storage.set_aside_changes(stream).await.unwrap().is_empty());

    // Set aside again and let go: gone from this device, the log as it was.
    let aside = storage.set_aside(stream, &[card[0].id], "Refused again.", 7).await.unwrap();
    assert_eq!(storage.let_go(stream).await.unwrap(), aside);
    assert!(storage.set_aside_changes(stream).await.unwrap().is_empty());
    assert_eq!(storage.load_all(stream).await.unwrap().tail.len(), created.len() + later.len());
}

/// A stand-in for an event's sealed form: the storage keeps it with the event, whatever it holds.
fn sealed_form(event: &RawEnvelope) -> RawEnvelope {
    RawEnvelope { kind: "sealed".into(), data: json!({ "of": event.id }).into(), ..event.clone() }
}

fn sealed_ids(storage_sealed: &[RawEnvelope]) -> Vec<Uuid> {
    let mut ids: Vec<Uuid> = storage_sealed.iter().map(|e| e.id).collect();
    ids.sort();
    ids
}

#[wasm_bindgen_test]
async fn sealed_forms_stay_with_their_pending_events_until_confirmed_and_through_set_aside() {
    let storage = Storage::open(&fresh_name(), || ()).await.unwrap();
    let stream = chronicle::clock::new_id();
    let events = pending(&(0..3).map(|n| envelope(stream, n)).collect::<Vec<_>>());
    let sealed: Vec<RawEnvelope> = events.iter().map(sealed_form).collect();
    let state = storage.append(stream, 0, &events[..2], &sealed, None).await.unwrap();
    storage.append(stream, state.revision, &events[2..], &sealed, None).await.unwrap();
    let tail = storage.pending(stream).await.unwrap();
    assert_eq!(sealed_ids(&tail.sealed), sealed_ids(&sealed), "each record keeps its own events' forms");

    // The first event is confirmed: its record keeps the other's form, exactly as stored.
    let first = RawEnvelope { seq: Some(1), ..events[0].clone() };
    let rebased = Rebased { confirmed: 1, acknowledged: vec![events[0].id], ..Rebased::default() };
    storage.confirm(stream, &[first], &rebased).await.unwrap();
    let tail = storage.pending(stream).await.unwrap();
    assert_eq!(sealed_ids(&tail.sealed), sealed_ids(&sealed[1..]));
    assert!(tail.sealed.contains(&sealed[1]), "byte for byte: a retry sends the same bytes");

    // Set aside and taken back, a record keeps its sealed forms.
    storage.set_aside(stream, &[events[2].id], "Refused.", 1).await.unwrap();
    assert_eq!(sealed_ids(&storage.pending(stream).await.unwrap().sealed), [events[1].id]);
    storage.take_back(stream).await.unwrap();
    assert_eq!(sealed_ids(&storage.pending(stream).await.unwrap().sealed), sealed_ids(&sealed[1..]));
}

/// An append names the key its events were sealed with (none in the clear), and the board's
/// stored key is read in the same transaction: when it is another, or the board has one and the
/// events were not sealed, or has none and they were, nothing is written.
#[wasm_bindgen_test]
async fn an_append_is_refused_unless_the_board_has_the_key_its_events_were_sealed_with() {
    let storage = Storage::open(&fresh_name(), || ()).await.unwrap();
    let stream = chronicle::clock::new_id();
    let events = pending(&(0..3).map(|n| envelope(stream, n)).collect::<Vec<_>>());
    let sealed: Vec<RawEnvelope> = events.iter().map(sealed_form).collect();
    let (key, other) = ([1; 32], [2; 32]);
    let refused = storage.append(stream, 0, &events[..1], &sealed[..1], Some(&key)).await;
    assert_eq!(refused, Err(StorageError::KeyChanged), "the board has no key");
    let state = storage.append(stream, 0, &events[..1], &[], None).await.unwrap();

    storage.set_board_key(stream, &key).await.unwrap();
    for wrong in [None, Some(&other)] {
        let refused = storage.append(stream, state.revision, &events[1..2], &sealed[1..2], wrong).await;
        assert_eq!(refused, Err(StorageError::KeyChanged), "sealed with {wrong:?}");
    }
    assert_eq!(storage.log_state(stream).await.unwrap(), state, "nothing was written");
    assert!(storage.pending(stream).await.unwrap().sealed.is_empty());

    let state = storage.append(stream, state.revision, &events[1..], &sealed[1..], Some(&key)).await.unwrap();
    let tail = storage.pending(stream).await.unwrap();
    assert_eq!((state.revision, sealed_ids(&tail.sealed)), (3, sealed_ids(&sealed[1..])));
}

#[wasm_bindgen::prelude::wasm_bindgen(module = "/tests/js/layouts.js")]
extern "C" {
    #[wasm_bindgen(js_name = writeLayout)]
    async fn write_layout(name: &str, version: u32, stream: &str, confirmed: &str, pending: &str, sealed: &str);
    #[wasm_bindgen(js_name = makeLayoutWith)]
    async fn make_layout_with(name: &str, version: u32, store: &str);
    #[wasm_bindgen(js_name = holdOpen)]
    async fn hold_open(name: &str, version: u32) -> wasm_bindgen::JsValue;
    fn release(db: &wasm_bindgen::JsValue);
    #[wasm_bindgen(js_name = storedValues)]
    async fn stored_values(name: &str, store: &str) -> wasm_bindgen::JsValue;
}

#[wasm_bindgen::prelude::wasm_bindgen(module = "/tests/js/page.js")]
extern "C" {
    #[wasm_bindgen(js_name = hidePage)]
    fn hide_page(persisted: bool);
}

/// Lets what was spawned run up to its first wait.
async fn settle() {
    wasm_bindgen_futures::JsFuture::from(js_sys::Promise::resolve(&wasm_bindgen::JsValue::NULL)).await.unwrap();
}

/// A page the browser keeps in its back/forward cache is suspended with its transactions, and
/// WebKit keeps those open: every other tab's then waits behind them. Put aside, the page aborts
/// what it had under way, as leaving it would, and nothing of it is kept; a page left for good
/// is left alone (the browser ends it).
#[wasm_bindgen_test]
async fn a_page_put_aside_by_the_browser_leaves_no_transaction_open() {
    let (_, storage, stream) = fresh_board().await;
    let storage = std::rc::Rc::new(storage);
    let events = pending(&(0..3).map(|n| envelope(stream, n)).collect::<Vec<_>>());
    let start_append = |storage: &std::rc::Rc<Storage>| {
        let (done, appended) = futures::channel::oneshot::channel();
        let (storage, events) = (std::rc::Rc::clone(storage), events.clone());
        wasm_bindgen_futures::spawn_local(async move {
            let _ = done.send(storage.append(stream, 0, &events, &[], None).await);
        });
        appended
    };

    let appended = start_append(&storage);
    settle().await;
    hide_page(true);
    assert!(appended.await.unwrap().is_err(), "aborted");
    assert!(storage.load(stream).await.unwrap().tail.is_empty(), "nothing of it kept");

    let appended = start_append(&storage);
    settle().await;
    hide_page(false);
    assert!(appended.await.unwrap().is_ok(), "left alone");
    assert_eq!(storage.load(stream).await.unwrap().tail, events);
}

/// What a store of the database `name` holds, as JSON, with the database's version and stores.
async fn stored(name: &str, store: &str) -> serde_json::Value {
    serde_wasm_bindgen::from_value(stored_values(name, store).await).unwrap()
}

/// How many values of `store` hold sealed forms (inside a record, or in the store of their own).
async fn holding_sealed_forms(name: &str, store: &str) -> usize {
    let found = stored(name, store).await;
    found["values"].as_array().unwrap().iter().filter(|v| v.get("sealed").is_some()).count()
}

#[wasm_bindgen_test]
async fn sealed_forms_are_kept_beside_the_pending_records_and_go_with_them() {
    let (name, storage, stream) = fresh_board().await;
    let events = pending(&(0..3).map(|n| envelope(stream, n)).collect::<Vec<_>>());
    let sealed: Vec<RawEnvelope> = events.iter().map(sealed_form).collect();
    let state = storage.append(stream, 0, &events[..2], &sealed, None).await.unwrap();
    storage.append(stream, state.revision, &events[2..], &sealed, None).await.unwrap();
    // A reload reads the records: they hold no sealed form, each record's are beside it.
    assert_eq!(holding_sealed_forms(&name, "events").await, 0);
    assert_eq!(holding_sealed_forms(&name, "sealed").await, 2);

    // A push reads the first records with their forms, byte for byte.
    let head = read(storage.pending_head(stream, 2, None).await.unwrap());
    assert_eq!(sealed_ids(&head.tail.sealed), sealed_ids(&sealed[..2]));
    assert!(head.tail.sealed.contains(&sealed[1]));

    // Confirmed whole, a record's forms go with it.
    let first = RawEnvelope { seq: Some(1), ..events[0].clone() };
    let second = RawEnvelope { seq: Some(2), ..events[1].clone() };
    let rebased = Rebased { confirmed: 2, acknowledged: vec![events[0].id, events[1].id], ..Rebased::default() };
    storage.confirm(stream, &[first, second], &rebased).await.unwrap();
    assert_eq!(holding_sealed_forms(&name, "sealed").await, 1);
    assert_eq!(sealed_ids(&storage.pending(stream).await.unwrap().sealed), [events[2].id]);

    // A board removed leaves none behind.
    storage.remove_board(stream).await.unwrap();
    assert_eq!(holding_sealed_forms(&name, "sealed").await, 0);
}

#[wasm_bindgen_test]
async fn sealed_forms_kept_late_join_those_kept_with_the_record() {
    let (name, storage, stream) = fresh_board().await;
    let events = pending(&(0..2).map(|n| envelope(stream, n)).collect::<Vec<_>>());
    let sealed: Vec<RawEnvelope> = events.iter().map(sealed_form).collect();
    storage.append(stream, 0, &events, &sealed[..1], None).await.unwrap();
    storage.keep_sealed(stream, &sealed[1..]).await.unwrap();
    let head = read(storage.pending_head(stream, 2, None).await.unwrap());
    assert_eq!(sealed_ids(&head.tail.sealed), sealed_ids(&sealed));
    assert!(head.tail.sealed.contains(&sealed[0]) && head.tail.sealed.contains(&sealed[1]));
    assert_eq!(head.tail.pending.concat(), events, "the record itself is as it was");
    assert_eq!((holding_sealed_forms(&name, "events").await, holding_sealed_forms(&name, "sealed").await), (0, 1));
}

/// A board as each earlier layout kept it, its confirmed events (from layout 2 on) and its pending
/// ones, reads back whole after the upgrade, in layout 6's stores and indexes, and takes new events.
#[wasm_bindgen_test]
async fn a_board_of_every_earlier_layout_reads_back_whole_and_takes_new_events() {
    let text = |events: &[RawEnvelope]| serde_json::to_string(events).unwrap();
    for version in 1..=5 {
        let (name, stream) = (fresh_name(), chronicle::clock::new_id());
        let events: Vec<RawEnvelope> = (0..4).map(|n| envelope(stream, n)).collect();
        let confirmed = if version == 1 { &[][..] } else { &events[..2] };
        let waiting = pending(&events[confirmed.len()..]);
        write_layout(&name, version, &stream.to_string(), &text(confirmed), &text(&waiting), "[]").await;

        let storage = Storage::open(&name, || ()).await.unwrap();
        let layout = stored(&name, "meta").await;
        assert_eq!(layout["version"], 6, "from layout {version}");
        assert_eq!(
            layout["indexes"],
            json!({ "confirmed": [], "events": ["by_id"], "meta": [], "sealed": [], "set_aside": [], "snapshots": [] }),
            "from layout {version}"
        );
        let loaded = storage.load(stream).await.unwrap();
        assert_eq!(loaded.tail, [confirmed, &waiting[..]].concat(), "from layout {version}");
        assert_eq!(loaded.pending, waiting.iter().map(|e| e.id).collect::<Vec<_>>(), "from layout {version}");
        assert_eq!(loaded.state.confirmed, confirmed.len() as u64, "from layout {version}");
        assert!(loaded.problems.is_empty(), "from layout {version}: {:?}", loaded.problems);
        assert_eq!(storage.boards().await.unwrap(), [stream], "from layout {version}");

        let later = pending(&[envelope(stream, 4)]);
        let state = storage.append(stream, loaded.state.revision, &later, &[], None).await.unwrap();
        assert_eq!(state.confirmed, confirmed.len() as u64, "from layout {version}");
        let reread = storage.load(stream).await.unwrap();
        assert_eq!(reread.tail, [confirmed, &waiting[..], &later[..]].concat(), "from layout {version}");
        let head = read(storage.pending_head(stream, 10, None).await.unwrap());
        assert_eq!(head.count, waiting.len() + 1, "from layout {version}");
        storage.close();
    }
}

/// An upgrade that cannot finish (here a database whose layout 5 already holds a store of the
/// next one's) fails to open with the reason, and leaves the database as it found it.
#[wasm_bindgen_test]
async fn an_upgrade_that_fails_leaves_the_database_as_it_was() {
    let name = fresh_name();
    make_layout_with(&name, 5, "sealed").await;
    let Err(error) = Storage::open(&name, || ()).await else { panic!("the upgrade cannot finish") };
    assert!(matches!(error, StorageError::Unavailable(_)), "{error:?}");
    let layout = stored(&name, "sealed").await;
    assert_eq!((layout["version"].as_u64(), layout["stores"].clone()), (Some(5), json!(["sealed"])));
}

/// A tab of an earlier build that keeps the database open holds the upgrade back: the open says
/// so (the app asks for that tab to be closed), and goes on once the tab lets go.
#[wasm_bindgen_test]
async fn an_upgrade_held_back_by_an_older_tab_says_so_and_goes_on_once_it_lets_go() {
    let (name, stream) = (fresh_name(), chronicle::clock::new_id());
    let events = pending(&[envelope(stream, 0)]);
    write_layout(&name, 4, &stream.to_string(), "[]", &serde_json::to_string(&events).unwrap(), "[]").await;
    let older = hold_open(&name, 4).await;
    let (blocked, held_back) = futures::channel::oneshot::channel();
    let (storage, ()) = futures::join!(Storage::open(&name, move || blocked.send(()).unwrap()), async {
        held_back.await.expect("the open says it is held back");
        release(&older);
    });
    assert_eq!(storage.unwrap().load(stream).await.unwrap().tail, events);
    assert_eq!(stored(&name, "sealed").await["version"], 6);
}

#[wasm_bindgen_test]
async fn a_pending_record_of_layout_five_keeps_its_sealed_forms_through_the_upgrade() {
    let (name, stream) = (fresh_name(), chronicle::clock::new_id());
    let events = pending(&(0..3).map(|n| envelope(stream, n)).collect::<Vec<_>>());
    let sealed: Vec<RawEnvelope> = events.iter().map(sealed_form).collect();
    let text = |events: &[RawEnvelope]| serde_json::to_string(events).unwrap();
    write_layout(&name, 5, &stream.to_string(), "[]", &text(&events), &text(&sealed)).await;

    let storage = Storage::open(&name, || ()).await.unwrap();
    let layout = stored(&name, "sealed").await;
    assert_eq!((layout["version"].as_u64(), layout["stores"].as_array().map(Vec::len)), (Some(6), Some(6)));
    assert_eq!(storage.load(stream).await.unwrap().tail, events, "the board reads as before");
    // A push sends the forms kept inside the record, byte for byte.
    let head = read(storage.pending_head(stream, 3, None).await.unwrap());
    assert_eq!((head.count, sealed_ids(&head.tail.sealed)), (3, sealed_ids(&sealed)));
    assert!(head.tail.sealed.contains(&sealed[2]));

    // Confirmed in part, the record keeps the forms of what is left, now beside it.
    let first = RawEnvelope { seq: Some(1), ..events[0].clone() };
    let rebased = Rebased { confirmed: 1, acknowledged: vec![events[0].id], ..Rebased::default() };
    storage.confirm(stream, &[first], &rebased).await.unwrap();
    let tail = storage.pending(stream).await.unwrap();
    assert_eq!(sealed_ids(&tail.sealed), sealed_ids(&sealed[1..]));
    assert!(tail.sealed.contains(&sealed[1]));
    assert_eq!((holding_sealed_forms(&name, "events").await, holding_sealed_forms(&name, "sealed").await), (0, 1));

    // Set aside and taken back, they stay with their events.
    storage.set_aside(stream, &[events[2].id], "Refused.", 1).await.unwrap();
    assert_eq!(holding_sealed_forms(&name, "set_aside").await, 1);
    storage.take_back(stream).await.unwrap();
    assert_eq!(sealed_ids(&storage.pending(stream).await.unwrap().sealed), sealed_ids(&sealed[1..]));
    assert_eq!(holding_sealed_forms(&name, "set_aside").await, 0);
}

#[wasm_bindgen_test]
async fn events_kept_sealed_are_replaced_in_place_once_they_open_and_the_snapshot_goes() {
    let storage = Storage::open(&fresh_name(), || ()).await.unwrap();
    let stream = chronicle::clock::new_id();
    let events: Vec<RawEnvelope> = (0..3).map(|n| envelope(stream, n)).collect();
    let kept: Vec<RawEnvelope> = events.iter().map(|e| RawEnvelope { seq: e.seq, ..sealed_form(e) }).collect();
    let state = storage.confirm(stream, &kept, &Rebased::default()).await.unwrap();
    let snapshot = StoredSnapshot { position: 3, last_event: events[2].id, text: "{}".into(), log: None };
    storage.put_snapshot(stream, &snapshot).await.unwrap();
    let after = storage.replace_confirmed(stream, &[RawEnvelope { seq: None, ..events[1].clone() }]).await.unwrap();
    assert!(after.revision > state.revision, "the log reads differently now");
    assert_eq!(after.confirmed, 3);
    let loaded = storage.load(stream).await.unwrap();
    assert!(loaded.snapshot.is_none(), "the snapshot folded the sealed form: it goes");
    assert_eq!(loaded.tail, [kept[0].clone(), events[1].clone(), kept[2].clone()], "in place, with its seq");
}

#[wasm_bindgen_test]
async fn a_removed_board_leaves_nothing_behind_and_other_boards_are_untouched() {
    let storage = Storage::open(&fresh_name(), || ()).await.unwrap();
    let (stream, other) = (chronicle::clock::new_id(), chronicle::clock::new_id());
    let confirmed: Vec<RawEnvelope> = (0..2).map(|n| envelope(stream, n)).collect();
    let state = storage.confirm(stream, &confirmed, &Rebased::default()).await.unwrap();
    let state = storage.append(stream, state.revision, &pending(&[envelope(stream, 5)]), &[], None).await.unwrap();
    let later = pending(&[envelope(stream, 6)]);
    storage.append(stream, state.revision, &later, &[], None).await.unwrap();
    storage.set_aside(stream, &[later[0].id], "-", 1).await.unwrap();
    assert_eq!(storage.set_aside_changes(stream).await.unwrap().len(), 1);
    storage.set_sync_token(stream, "token").await.unwrap();
    storage.set_board_key(stream, &[1; 32]).await.unwrap();
    storage
        .put_snapshot(
            stream,
            &StoredSnapshot { position: 2, last_event: confirmed[1].id, text: "{}".into(), log: None },
        )
        .await
        .unwrap();
    storage.append(other, 0, &pending(&[envelope(other, 1)]), &[], None).await.unwrap();

    storage.remove_board(stream).await.unwrap();
    assert!(!storage.is_listed(stream).await.unwrap());
    assert_eq!(storage.boards().await.unwrap(), [other]);
    let loaded = storage.load(stream).await.unwrap();
    assert!(loaded.tail.is_empty() && loaded.snapshot.is_none());
    assert_eq!(loaded.state, LogState::default());
    assert_eq!(storage.sync_token(stream).await.unwrap(), None);
    assert_eq!(storage.board_key(stream).await.unwrap(), None);
    assert!(storage.set_aside_changes(stream).await.unwrap().is_empty());
    assert_eq!(storage.load_all(other).await.unwrap().tail.len(), 1);
}

/// What is read out of JavaScript's strings (stored records, snapshots, history files) is the
/// text JavaScript holds, whatever its characters and length, as wasm-bindgen's own conversion
/// reads it: a lone surrogate, which no UTF-8 text can hold, becomes U+FFFD.
#[wasm_bindgen_test]
fn long_and_short_texts_come_out_of_javascript_whole() {
    use chronicle::text::string_of;
    use wasm_bindgen::JsValue;

    let long_ascii = "card ".repeat(100_000);
    let accent_late = format!("{}é{}😀 fin", "x".repeat(70_000), "y".repeat(3));
    let mixed = "Été — 日本語 — 😀🎉 ".repeat(5_000);
    for sample in ["", "a", "é", "😀", "e\u{301}", &long_ascii, &accent_late, &mixed] {
        let value = JsValue::from_str(sample);
        assert_eq!(string_of(&value).as_deref(), Some(sample));
        assert_eq!(string_of(&value), value.as_string());
    }
    let lone = js_sys::JsString::from_char_code1(0xD800).concat(&JsValue::from_str(&"x".repeat(10)));
    assert_eq!(string_of(&lone), Some(format!("\u{FFFD}{}", "x".repeat(10))));
    assert_eq!(string_of(&lone), lone.as_string());
    assert_eq!(string_of(&JsValue::from_f64(1.0)), None);
    assert_eq!(string_of(&JsValue::UNDEFINED), None);
}
