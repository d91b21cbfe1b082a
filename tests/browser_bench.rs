//! In-browser measurements for `cargo xtask bench`: board replay in wasm and IndexedDB appends.
//! Compiled only with the `browser-bench` feature; it measures and prints, it asserts nothing.

#![cfg(all(target_arch = "wasm32", feature = "browser-bench"))]

use chronicle::storage::Storage;
use chronicle_board::workload::generate;
use chronicle_board::{Board, BoardProjections};
use chronicle_core::{Payload, RawEnvelope};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

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

#[wasm_bindgen_test]
async fn indexeddb_appends() {
    let events: Vec<RawEnvelope> = generate(10_000, 7).iter().map(|e| e.encode()).collect();
    let bytes: usize = events.iter().map(|e| serde_json::to_string(e).map_or(0, |s| s.len())).sum();
    row("IndexedDB bench event size", format!("{} bytes on average", bytes / events.len()));

    let storage = Storage::open(&format!("chronicle-bench-{}", chronicle::clock::new_id()), || ()).await.unwrap();
    let stream = events[0].stream;
    let start = now();
    storage.append(stream, 0, &events).await.unwrap();
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
        revision = storage.append(stream, revision, std::slice::from_ref(event)).await.unwrap().revision;
    }
    let ms = now() - start;
    row(
        "IndexedDB append, 1k commands one by one",
        format!("{:.2} ms per command ({:.0} commands/s)", ms / 1000.0, 1e6 / ms),
    );
}
