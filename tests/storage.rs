//! IndexedDB storage in a real headless Chromium: what is appended reads back, survives reopening,
//! and a batch that fails leaves nothing behind.

#![cfg(target_arch = "wasm32")]

use chronicle::boards;
use chronicle::session::Session;
use chronicle::storage::{MAX_BATCH, Storage, StorageError, StoredSnapshot};
use chronicle_board::{BoardProjections, Command};
use chronicle_core::{RawEnvelope, Uuid};
use serde_json::json;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn fresh_name() -> String {
    format!("chronicle-test-{}", chronicle::clock::new_id())
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
        data: json!({ "n": n }),
    }
}

/// A real board's first events, made the way the app makes them.
fn board_events(stream: Uuid) -> Vec<RawEnvelope> {
    let mut session = Session::new(stream, Uuid::from_u128(7), BoardProjections::default(), 0, 0);
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
    session.written();
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

#[wasm_bindgen_test]
async fn appended_events_read_back_in_order_and_by_id_and_seq() {
    let name = fresh_name();
    let storage = Storage::open(&name, || ()).await.unwrap();
    let stream = chronicle::clock::new_id();
    let first: Vec<_> = (0..3).map(|n| envelope(stream, n)).collect();
    let second: Vec<_> = (3..5).map(|n| envelope(stream, n)).collect();
    storage.append(stream, 0, &first, None).await.unwrap();
    storage.append(stream, 3, &second, None).await.unwrap();

    let loaded = storage.load(stream).await.unwrap();
    let all: Vec<_> = first.iter().chain(&second).cloned().collect();
    assert_eq!(loaded.tail, all);
    assert_eq!(loaded.total, 5);
    assert!(loaded.problems.is_empty());

    assert_eq!(storage.event_by_id(all[4].id).await.unwrap(), Some(all[4].clone()));
    assert_eq!(storage.event_by_seq(stream, 2).await.unwrap(), Some(all[1].clone()));
    assert_eq!(storage.event_by_seq(stream, 99).await.unwrap(), None);
    assert_eq!(storage.event_by_id(Uuid::from_u128(12345)).await.unwrap(), None);

    let other = chronicle::clock::new_id();
    assert!(storage.load(other).await.unwrap().tail.is_empty(), "streams do not mix");
}

#[wasm_bindgen_test]
async fn everything_is_there_after_reopening() {
    let name = fresh_name();
    let stream = chronicle::clock::new_id();
    let events = board_events(stream);
    {
        let storage = Storage::open(&name, || ()).await.unwrap();
        storage.append(stream, 0, &events, None).await.unwrap();
        storage.set_meta(&[("device/name", "Laptop")]).await.unwrap();
        storage.close();
    }
    let storage = Storage::open(&name, || ()).await.unwrap();
    assert_eq!(storage.meta("device/name").await.unwrap().as_deref(), Some("Laptop"));
    let boards = storage.meta_with_prefix(chronicle::storage::BOARD_PREFIX).await.unwrap();
    assert_eq!(boards.len(), 1, "the first append listed the board");
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
    // Someone else already wrote position 1000: a batch of 1500 from 0 spans two records and its
    // second record collides. The first record must not stay behind.
    let blocker = envelope(stream, 5000);
    storage.append(stream, MAX_BATCH as u64, std::slice::from_ref(&blocker), None).await.unwrap();
    let big: Vec<_> = (0..1500).map(|n| envelope(stream, n)).collect();
    let snapshot = StoredSnapshot { position: 1500, last_event: big[1499].id, text: "{}".into() };
    let result = storage.append(stream, 0, &big, Some(&snapshot)).await;
    assert_eq!(result, Err(StorageError::Conflict));
    let loaded = storage.load_all(stream).await.unwrap();
    assert_eq!(loaded.tail, vec![blocker.clone()], "only the earlier write is there");
    assert_eq!(storage.event_by_id(big[0].id).await.unwrap(), None);

    // An event id that is already stored fails the whole batch as well.
    let other = chronicle::clock::new_id();
    let mut again = envelope(other, 0);
    again.id = blocker.id;
    let result = storage.append(other, 0, &[envelope(other, 1), again], None).await;
    assert!(result.is_err(), "a duplicate id is refused");
    assert!(storage.load_all(other).await.unwrap().tail.is_empty());
    assert!(storage.meta_with_prefix(&format!("board/{other}")).await.unwrap().is_empty(), "nor is the board listed");
}

#[wasm_bindgen_test]
async fn a_snapshot_is_used_only_when_it_matches_the_log() {
    let storage = Storage::open(&fresh_name(), || ()).await.unwrap();
    let stream = chronicle::clock::new_id();
    let events = board_events(stream);
    storage.append(stream, 0, &events, None).await.unwrap();
    let decoded: Vec<_> = events.iter().cloned().map(chronicle_core::Event::decode).collect();
    let full = BoardProjections::replay(decoded.iter());

    // A good snapshot of the first event: opening uses it and replays only the tail.
    let head = BoardProjections::replay(decoded[..1].iter());
    let good = StoredSnapshot { position: 1, last_event: events[0].id, text: head.to_snapshot() };
    storage.put_snapshot(stream, &good).await.unwrap();
    let opened = boards::open(&storage, stream).await.unwrap();
    assert_eq!(opened.snapshot_at, 1);
    assert_eq!(opened.projections, full);

    // Corrupt, stale, or of another history: ignored and rebuilt from the events.
    let corrupt =
        StoredSnapshot { position: 1, last_event: events[0].id, text: "{\"format\":1,\"projections\":".into() };
    let stale = StoredSnapshot {
        position: 1,
        last_event: events[0].id,
        text: head.to_snapshot().replacen("\"format\":1", "\"format\":0", 1),
    };
    let foreign = StoredSnapshot { position: 1, last_event: Uuid::from_u128(404), text: head.to_snapshot() };
    for bad in [corrupt, stale, foreign] {
        storage.put_snapshot(stream, &bad).await.unwrap();
        let opened = boards::open(&storage, stream).await.unwrap();
        assert_eq!(opened.snapshot_at, 0);
        assert_eq!(opened.projections, full);
    }
}

#[wasm_bindgen_test]
async fn an_unreadable_record_is_reported_kept_in_place_and_written_after() {
    let name = fresh_name();
    let storage = Storage::open(&name, || ()).await.unwrap();
    let stream = chronicle::clock::new_id();
    let events = board_events(stream);
    storage.append(stream, 0, &events, None).await.unwrap();
    let end = events.len() as u64;
    damage(&name, stream, end).await;

    let opened = boards::open(&storage, stream).await.unwrap();
    assert_eq!(opened.problems.len(), 1, "{:?}", opened.problems);
    assert_eq!(opened.projections.position, end, "the readable events are all there");
    assert_eq!(opened.end, end + 2, "the damaged record keeps its two places");

    let later = envelope(stream, 99);
    storage.append(stream, opened.end, std::slice::from_ref(&later), None).await.unwrap();
    let loaded = storage.load_all(stream).await.unwrap();
    assert_eq!(loaded.tail.last(), Some(&later));
    assert_eq!(loaded.total, end + 3);
}

/// Adds, behind the app's back, a record of two events whose text is not JSON.
async fn damage(name: &str, stream: Uuid, first: u64) {
    use indexed_db_futures::prelude::*;
    use indexed_db_futures::transaction::TransactionMode;
    use js_sys::{Array, Object, Reflect};
    use wasm_bindgen::JsValue;

    let db = indexed_db_futures::database::Database::open(name).await.unwrap();
    let tx = db.transaction("events").with_mode(TransactionMode::Readwrite).build().unwrap();
    let record = Object::new();
    let set = |k: &str, v: JsValue| Reflect::set(&record, &k.into(), &v).unwrap();
    set("stream", stream.to_string().into());
    set("first", JsValue::from_f64(first as f64));
    let ids =
        Array::of2(&chronicle::clock::new_id().to_string().into(), &chronicle::clock::new_id().to_string().into());
    set("ids", ids.into());
    set("seqs", Array::new().into());
    set("events", "[{\"id\": truncated".into());
    tx.object_store("events").unwrap().add(JsValue::from(record)).primitive().unwrap().await.unwrap();
    tx.commit().await.unwrap();
    db.close();
}
