//! In-browser measurements for `cargo xtask bench`: board replay in wasm beside the same fold in
//! JavaScript, IndexedDB appends beside Dexie and raw IndexedDB, a command stored through the
//! service, sealing and opening, seeking in a long history, and opening a long board from its
//! snapshot with the heap it holds. Compiled only with the `browser-bench` feature, at the
//! release profile the app ships with; it measures and prints, it asserts nothing.

#![cfg(all(target_arch = "wasm32", feature = "browser-bench"))]

use chronicle::storage::Storage;
use chronicle_board::workload::generate;
use chronicle_board::{Board, BoardEvent, BoardProjections, History};
use chronicle_core::{Event, Payload, RawEnvelope, Uuid};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// Counts the bytes the wasm heap holds, so that what an open board keeps can be read exactly
/// (the module's memory only ever grows, and says nothing of what was freed).
struct CountingAllocator;

static HELD: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

// SAFETY: every call is passed to the system allocator unchanged; only a counter is added.
unsafe impl std::alloc::GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        HELD.fetch_add(layout.size(), std::sync::atomic::Ordering::Relaxed);
        // SAFETY: the caller's contract is the system allocator's.
        unsafe { std::alloc::System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
        HELD.fetch_sub(layout.size(), std::sync::atomic::Ordering::Relaxed);
        // SAFETY: the caller's contract is the system allocator's.
        unsafe { std::alloc::System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, new_size: usize) -> *mut u8 {
        HELD.fetch_add(new_size, std::sync::atomic::Ordering::Relaxed);
        HELD.fetch_sub(layout.size(), std::sync::atomic::Ordering::Relaxed);
        // SAFETY: the caller's contract is the system allocator's.
        unsafe { std::alloc::System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

fn held_bytes() -> f64 {
    HELD.load(std::sync::atomic::Ordering::Relaxed) as f64
}

#[wasm_bindgen::prelude::wasm_bindgen(module = "/tests/js/board_fold.js")]
extern "C" {
    #[wasm_bindgen(js_name = parseEvents)]
    fn parse_events(json: &str) -> js_sys::Array;
    #[wasm_bindgen(js_name = bestFoldMs)]
    fn best_fold_ms(events: &js_sys::Array, runs: u32) -> f64;
}

#[wasm_bindgen::prelude::wasm_bindgen(module = "/tests/js/idb_peers.js")]
extern "C" {
    #[wasm_bindgen(js_name = dexieBulkAddMs)]
    async fn dexie_bulk_add_ms(dexie: &str, json: &str) -> wasm_bindgen::JsValue;
    #[wasm_bindgen(js_name = rawPutMs)]
    async fn raw_put_ms(json: &str) -> wasm_bindgen::JsValue;
    #[wasm_bindgen(js_name = rawGetAllMs)]
    async fn raw_get_all_ms(json: &str, runs: u32) -> wasm_bindgen::JsValue;
}

/// Dexie's module, which the benchmark page loads from its source.
const DEXIE: &str = include_str!("../node_modules/dexie/dist/dexie.mjs");

/// Wire events as one JSON array, as a JavaScript app would have them from the server.
fn wire_json(events: &[chronicle_core::Event<chronicle_board::BoardEvent>]) -> String {
    let wire: Vec<RawEnvelope> = events.iter().map(|e| e.encode()).collect();
    serde_json::to_string(&wire).unwrap()
}

fn ms(value: wasm_bindgen::JsValue) -> f64 {
    value.as_f64().unwrap_or(f64::NAN)
}

fn now() -> f64 {
    web_sys::window().and_then(|w| w.performance()).map_or(0.0, |p| p.now())
}

fn row(name: &str, value: String) {
    console_log!("BENCH\t{name}\t{value}");
}

fn best_of(runs: usize, mut f: impl FnMut()) -> f64 {
    (0..runs)
        .map(|_| {
            let start = now();
            f();
            now() - start
        })
        .fold(f64::INFINITY, f64::min)
}

#[wasm_bindgen_test]
fn replay_in_wasm() {
    // The browser first runs wasm with its baseline compiler and swaps in optimised code a little
    // later; this figure is the first replay a fresh page does, the ones below are steady state.
    let warm_up = generate(300_000, 1);
    let start = now();
    std::hint::black_box(BoardProjections::replay(warm_up.iter()));
    let ms = now() - start;
    row(
        "wasm replay, first run in a fresh page, 300k events",
        format!("{:.1}M events/s ({ms:.1} ms)", 300_000.0 / ms / 1e3),
    );
    for count in [100_000usize, 1_000_000] {
        let events = generate(count, 42);
        let board_ms = best_of(3, || {
            let mut board = Board::default();
            for event in &events {
                if let Payload::Known(e) = &event.payload {
                    board.evolve(e);
                }
            }
            std::hint::black_box(&board);
        });
        row(
            &format!("wasm replay, BoardView, {}k events", count / 1000),
            format!("{:.1}M events/s ({board_ms:.1} ms)", count as f64 / board_ms / 1e3),
        );
        let all_ms = best_of(2, || {
            std::hint::black_box(BoardProjections::replay(events.iter()));
        });
        row(
            &format!("wasm replay, all projections, {}k events", count / 1000),
            format!("{:.1}M events/s ({all_ms:.1} ms)", count as f64 / all_ms / 1e3),
        );
    }
}

/// Stored records read into events, as a catch-up, an import and the History panel read them:
/// each record's JSON text parsed into envelopes, then each envelope decoded into its event.
#[wasm_bindgen_test]
fn stored_events_read_into_memory() {
    let records: Vec<String> = generate(100_000, 42)
        .chunks(1_000)
        .map(|part| serde_json::to_string(&part.iter().map(|e| e.encode()).collect::<Vec<_>>()).unwrap())
        .collect();
    let parse_ms = best_of(3, || {
        for record in &records {
            std::hint::black_box(serde_json::from_str::<Vec<RawEnvelope>>(record).unwrap());
        }
    });
    let read_ms = best_of(3, || {
        let mut events = Vec::with_capacity(100_000);
        for record in &records {
            let envelopes: Vec<RawEnvelope> = serde_json::from_str(record).unwrap();
            events.extend(envelopes.into_iter().map(Event::<BoardEvent>::decode));
        }
        std::hint::black_box(events);
    });
    row(
        "stored events read into memory, 100k: envelopes parsed / parsed and decoded",
        format!("{parse_ms:.0} ms / {read_ms:.0} ms"),
    );
}

/// The same BoardView fold, in wasm and in plain JavaScript (`tests/js/board_fold.js`, checked
/// to give the same board by `tests/peers.rs`), over the same events, each already decoded: the
/// wasm fold over `Event`s, the JavaScript one over objects parsed from the same events' JSON.
#[wasm_bindgen_test]
fn replay_beside_the_same_fold_in_javascript() {
    for count in [100_000usize, 1_000_000] {
        let events = generate(count, 42);
        // Parsed a part at a time, so that the JSON of a million events is never whole at once.
        let parsed = events
            .chunks(50_000)
            .fold(js_sys::Array::new(), |parsed, part| parsed.concat(&parse_events(&wire_json(part))));
        // The two folds take turns, so that a change in the machine's speed during the row
        // weighs on both; each figure is the best of its five.
        let (mut wasm_ms, mut js_ms) = (f64::INFINITY, f64::INFINITY);
        for _ in 0..5 {
            wasm_ms = wasm_ms.min(best_of(1, || {
                let mut board = Board::default();
                for event in &events {
                    board.apply_event(event);
                }
                std::hint::black_box(&board);
            }));
            js_ms = js_ms.min(best_fold_ms(&parsed, 1));
        }
        row(
            &format!("wasm replay vs the same fold in JavaScript, {}k events", count / 1000),
            format!("{:.2}x (wasm {wasm_ms:.1} ms, JavaScript {js_ms:.1} ms)", js_ms / wasm_ms),
        );
    }
}

/// Chronicle's append beside what a JavaScript app would use: Dexie's `bulkAdd` and raw
/// IndexedDB with one record per event, each into a fresh database, 10k events in one call. The
/// three take turns, three times, and each figure is its best: one stall of the disk does not
/// make the row.
#[wasm_bindgen_test]
async fn appends_beside_dexie_and_raw_indexeddb() {
    let events = generate(10_000, 7);
    let json = wire_json(&events);
    let raw: Vec<RawEnvelope> = events.iter().map(|e| e.encode()).collect();
    let (mut chronicle_ms, mut dexie_ms, mut raw_ms) = (f64::INFINITY, f64::INFINITY, f64::INFINITY);
    for _ in 0..3 {
        let name = format!("chronicle-bench-{}", chronicle::clock::new_id());
        let storage = Storage::open(&name, || ()).await.unwrap();
        let start = now();
        storage.append(raw[0].stream, 0, &raw, &[], None).await.unwrap();
        chronicle_ms = chronicle_ms.min(now() - start);
        storage.close();
        dexie_ms = dexie_ms.min(ms(dexie_bulk_add_ms(DEXIE, &json).await));
        raw_ms = raw_ms.min(ms(raw_put_ms(&json).await));
    }
    row(
        "IndexedDB append vs Dexie bulkAdd, 10k events",
        format!("{:.2}x (Chronicle {chronicle_ms:.0} ms, Dexie {dexie_ms:.0} ms)", dexie_ms / chronicle_ms),
    );
    row(
        "IndexedDB append vs raw IndexedDB one record per event, 10k events",
        format!("{:.2}x (Chronicle {chronicle_ms:.0} ms, raw {raw_ms:.0} ms)", raw_ms / chronicle_ms),
    );
}

/// What a JavaScript app reading its events at start would wait for: one `getAll` of 100k events
/// stored one record per event. `cargo xtask bench` sets it beside Chronicle's cold start.
#[wasm_bindgen_test]
async fn raw_indexeddb_get_all() {
    let json = wire_json(&generate(100_000, 42));
    let get_all = ms(raw_get_all_ms(&json, 3).await);
    row("raw IndexedDB getAll, 100k events one record each (best of 3)", format!("{get_all:.0} ms"));
}

/// One command, from the service deciding it until it is stored (for a private board: sealed
/// with WebCrypto first), on a private board, on one in the clear with a thousand events not yet
/// sent, and on one imported from a 100k-event history file and not yet sent (there is no server:
/// the sync's rounds after each change run as they do offline); median and p95 of 100 made back
/// to back, each as soon as the last is told saved, and of 30 made as a person makes them, each
/// after a pause in which the save before it has ended.
#[wasm_bindgen_test]
async fn one_command_stored() {
    use chronicle::service::{BoardChange, BoardService, Opened};
    use futures::StreamExt;

    let database = format!("chronicle-bench-{}", chronicle::clock::new_id());
    let service = BoardService::start_with(&database, || (), || ()).await.unwrap().0;
    let private = service.create("Private", "Bench").await.unwrap();
    let clear_events: Vec<RawEnvelope> = generate(1_000, 13).iter().map(|e| e.encode()).collect();
    let clear = clear_events[0].stream;
    let storage = Storage::open(&database, || ()).await.unwrap();
    storage.append(clear, 0, &clear_events, &[], None).await.unwrap();
    let history =
        chronicle::transfer::export_lines(&generate(100_000, 17).iter().map(|e| e.encode()).collect::<Vec<_>>());
    let file = web_sys::File::new_with_str_sequence(&js_sys::Array::of1(&history.into()), "history.jsonl").unwrap();
    let imported = service.import(&file).await.unwrap();
    let boards = [
        (private, "private board"),
        (clear, "board in the clear"),
        (imported, "100k events imported from a file, not yet sent (private)"),
    ];
    for (stream, kind) in boards {
        let opening = service.open(stream, || ());
        let Opened::Ready(opened) = opening.read().await else { panic!("the board is there") };
        let (tell, mut heard) = futures::channel::mpsc::unbounded();
        let (board, mut shown) = opening.start(*opened, move |change| {
            let _ = tell.unbounded_send(change);
        });
        let column = shown.board.columns()[0].id;
        for (count, pause) in [(100, None), (30, Some(100))] {
            let mut times = Vec::new();
            for i in 0..count {
                if let Some(pause) = pause {
                    gloo_timers::future::TimeoutFuture::new(pause).await;
                    // What the save before told as it ended is not this command's "saved".
                    while heard.try_recv().is_ok() {}
                }
                let command = chronicle_board::Command::AddCard {
                    card: chronicle::clock::new_id(),
                    column,
                    title: format!("Card {i}"),
                    description: String::new(),
                };
                let start = now();
                board.run(&mut shown, command, "Bench").unwrap();
                while let Some(change) = heard.next().await {
                    if let BoardChange::Counts { unsaved: 0, .. } = change {
                        break;
                    }
                }
                times.push(now() - start);
            }
            times.sort_by(f64::total_cmp);
            let (median, p95) = (times[count / 2], times[count * 95 / 100]);
            let made = if pause.is_some() { " after a pause" } else { "" };
            row(
                &format!("one command stored{made}, {kind} (median / p95 of {count})"),
                format!("{median:.2} ms / {p95:.2} ms"),
            );
        }
    }
}

#[wasm_bindgen_test]
async fn indexeddb_appends() {
    let events: Vec<RawEnvelope> = generate(10_000, 7).iter().map(|e| e.encode()).collect();
    let bytes: usize = events.iter().map(|e| serde_json::to_string(e).map_or(0, |s| s.len())).sum();
    row("IndexedDB bench event size", format!("{} bytes on average", bytes / events.len()));

    let storage = Storage::open(&format!("chronicle-bench-{}", chronicle::clock::new_id()), || ()).await.unwrap();
    let stream = events[0].stream;
    let start = now();
    storage.append(stream, 0, &events, &[], None).await.unwrap();
    let ms = now() - start;
    row("IndexedDB append, 10k events in one call", format!("{:.0}k events/s ({ms:.0} ms)", 10_000.0 / ms));

    let start = now();
    let loaded = storage.load_all(stream).await.unwrap();
    let ms = now() - start;
    assert_eq!(loaded.tail.len(), events.len());
    row("IndexedDB read + parse, 10k events", format!("{ms:.0} ms"));

    let storage = Storage::open(&format!("chronicle-bench-{}", chronicle::clock::new_id()), || ()).await.unwrap();
    let start = now();
    let mut revision = 0;
    for event in events.iter().take(1000) {
        revision = storage.append(stream, revision, std::slice::from_ref(event), &[], None).await.unwrap().revision;
    }
    let ms = now() - start;
    row(
        "IndexedDB append, 1k commands one by one",
        format!("{:.2} ms per command ({:.0} commands/s)", ms / 1000.0, 1e6 / ms),
    );
}

/// Sealing and opening a private board's events with WebCrypto, a thousand at a time side by
/// side as the app does them (a push, a page of a pull).
#[wasm_bindgen_test]
async fn sealing_and_opening() {
    let key = chronicle::crypto::BoardKey::import(chronicle::crypto::BoardKey::generate().unwrap()).await.unwrap();
    let events: Vec<RawEnvelope> = generate(20_000, 5).iter().map(|e| e.encode()).collect();
    let mut sealed = Vec::with_capacity(events.len());
    let start = now();
    for chunk in events.chunks(1000) {
        sealed.extend(key.seal_all(chunk).await.unwrap());
    }
    let seal_ms = now() - start;
    let start = now();
    let mut opened = 0;
    for chunk in sealed.chunks(1000) {
        opened += chronicle::crypto::open_all(Some(&key), chunk.to_vec()).await.len();
    }
    let open_ms = now() - start;
    assert_eq!(opened, events.len());
    row("seal with WebCrypto, 20k events, 1000 at a time", format!("{:.0}k events/s", events.len() as f64 / seal_ms));
    row("open with WebCrypto, 20k events, 1000 at a time", format!("{:.0}k events/s", events.len() as f64 / open_ms));
}

#[wasm_bindgen_test]
fn seeking_in_a_long_history() {
    for count in [100_000usize, 1_000_000] {
        let events = generate(count, 9);
        // What the history holds besides its events (which it takes): keyframes, index, stamps.
        let before = held_bytes();
        let start = now();
        let history = History::new(events);
        let build_ms = now() - start;
        let used = held_bytes() - before;
        row(
            &format!("history of {}k events: keyframes built, every (events), memory held", count / 1000),
            format!("{build_ms:.0} ms, every {}, {:.0} MB", history.keyframe_every(), used / 1e6),
        );
        // Positions spread over the whole log, in a scrambled order, as a drag back and forth does.
        let mut latencies: Vec<f64> = (0..200u64)
            .map(|i| {
                let position = (i * 7_919 % 200) * history.len() / 200 + i;
                let start = now();
                std::hint::black_box(history.projections_at(position.min(history.len())));
                now() - start
            })
            .collect();
        latencies.sort_by(f64::total_cmp);
        row(
            &format!("history seek, {}k events, 200 random positions (p50 / p99)", count / 1000),
            format!("{:.2} ms / {:.2} ms", latencies[100], latencies[197]),
        );
        // What a card's dialog reads when it opens: the card that went through the most.
        let busiest = history
            .events()
            .iter()
            .filter_map(chronicle_board::card_of)
            .fold(std::collections::HashMap::<_, usize>::new(), |mut counts, card| {
                *counts.entry(card).or_default() += 1;
                counts
            })
            .into_iter()
            .max_by_key(|(_, n)| *n);
        if let Some((card, changes)) = busiest {
            let ms = best_of(5, || {
                std::hint::black_box(history.card_changes(card));
            });
            row(
                &format!("a card's own history, {}k events (the busiest card, {changes} changes)", count / 1000),
                format!("{ms:.2} ms"),
            );
        }
    }
}

#[wasm_bindgen_test]
async fn opening_a_long_board_from_its_snapshot() {
    let count = 1_000_000;
    let events = generate(count, 11);
    let stream = events[0].meta.stream;
    let storage = Storage::open(&format!("chronicle-bench-{}", chronicle::clock::new_id()), || ()).await.unwrap();
    // Stored as a synced board is: confirmed events, in chunks, then a snapshot of the whole.
    let mut state = chronicle::storage::LogState::default();
    for (k, chunk) in events.chunks(10_000).enumerate() {
        let raw: Vec<RawEnvelope> = chunk
            .iter()
            .enumerate()
            .map(|(i, e)| RawEnvelope { seq: Some((k * 10_000 + i + 1) as u64), ..e.encode() })
            .collect();
        state = storage.confirm(stream, &raw, &chronicle_core::Rebased::default()).await.unwrap();
    }
    let projections = BoardProjections::replay(events.iter());
    let log = chronicle::storage::SnapshotLog { state, pending: Vec::new() };
    let snapshot = chronicle::session::snapshot_of(&projections, Some(log)).unwrap();
    row("1M-event board: snapshot size", format!("{:.1} MB", snapshot.text.len() as f64 / 1e6));
    storage.put_snapshot(stream, &snapshot).await.unwrap();
    drop(projections);
    drop(snapshot);
    drop(events);
    let mut runs = Vec::new();
    for _ in 0..3 {
        let start = now();
        std::hint::black_box(chronicle::boards::open(&storage, stream).await.unwrap());
        runs.push(now() - start);
    }
    runs.sort_by(f64::total_cmp);
    row("open a 1M-event board from its snapshot (median of 3, storage to projections)", format!("{:.0} ms", runs[1]));
    // What the open board keeps on the wasm heap: its projections and what opening left behind.
    let before = held_bytes();
    let opened = chronicle::boards::open(&storage, stream).await.unwrap();
    let held = held_bytes() - before;
    std::hint::black_box(&opened);
    row("wasm heap held by an open 1M-event board", format!("{:.1} MB", held / 1e6));
}

/// Records kept as one JSON text or as JavaScript objects (`serde-wasm-bindgen`): the time to
/// turn them into what IndexedDB stores and back, for the kinds of record Chronicle keeps. Each
/// is given in the form each way would read it: an event's data kept as text for the first, as an
/// object for the second.
#[wasm_bindgen_test]
fn records_as_json_text_or_as_objects() {
    use serde::de::DeserializeOwned;
    use serde::{Deserialize, Serialize};

    /// An envelope as a record of JavaScript objects holds it: its data an object too.
    #[derive(Serialize, Deserialize)]
    struct ObjectEnvelope {
        id: Uuid,
        stream: Uuid,
        #[serde(rename = "type")]
        kind: String,
        version: u16,
        device: Uuid,
        at: i64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        seq: Option<u64>,
        data: serde_json::Value,
    }

    fn compare<T: Serialize + DeserializeOwned, O: Serialize + DeserializeOwned>(
        name: &str,
        as_text: &T,
        as_objects: &O,
        runs: usize,
    ) {
        let text_ms = best_of(3, || {
            for _ in 0..runs {
                let text = wasm_bindgen::JsValue::from_str(&serde_json::to_string(as_text).unwrap());
                let back: T = serde_json::from_str(&text.as_string().unwrap()).unwrap();
                std::hint::black_box(back);
            }
        }) / runs as f64;
        let object_ms = best_of(3, || {
            for _ in 0..runs {
                let object = serde_wasm_bindgen::to_value(as_objects).unwrap();
                let back: O = serde_wasm_bindgen::from_value(object).unwrap();
                std::hint::black_box(back);
            }
        }) / runs as f64;
        row(
            &format!("record as JSON text / as objects, write + read: {name}"),
            format!("{text_ms:.3} ms / {object_ms:.3} ms (objects {:.1}x)", object_ms / text_ms),
        );
    }
    let state = chronicle::storage::LogState { revision: 123_456, confirmed: 98_765 };
    compare("a board's log state", &state, &state, 2_000);
    let batch: Vec<RawEnvelope> = generate(1_000, 3).iter().map(|e| e.encode()).collect();
    let objects: Vec<ObjectEnvelope> = serde_json::from_str(&serde_json::to_string(&batch).unwrap()).unwrap();
    compare("a record of 1000 events", &batch, &objects, 5);
    let projections = BoardProjections::replay(generate(100_000, 42).iter());
    compare("the snapshot of a 100k-event board", &projections, &projections, 1);
}
