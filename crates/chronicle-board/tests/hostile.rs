//! A log written to hurt: whatever a collaborator with the share link pushes, folding it, keeping
//! its history and snapshotting it costs about the same per event however long the log is.
//!
//! Wall time is no measure on a shared machine, so these tests count: every byte this process
//! allocates goes through a counting allocator, and a log four times as long may cost at most
//! about four times as much. A quadratic cost (a copy of every column per event, a layout stored
//! per column added) costs sixteen times as much and fails.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering};

use chronicle_board::{BoardEvent, BoardProjections, ColumnSeed, History};
use chronicle_core::Event;
use uuid::Uuid;

struct Counting;

static ALLOCATED: AtomicU64 = AtomicU64::new(0);

// SAFETY: every call is passed on to the system allocator unchanged; only sizes are counted.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATED.fetch_add(layout.size() as u64, Ordering::Relaxed);
        // SAFETY: the caller's promises about `layout` are the ones `System` needs.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by `System` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATED.fetch_add(new_size.saturating_sub(layout.size()) as u64, Ordering::Relaxed);
        // SAFETY: as for `dealloc`, and `new_size` comes from the caller unchanged.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Bytes allocated while `work` runs. The tests in this file run one at a time (see `main` of
/// each test: they share one lock) so that one test's allocations do not count for another.
fn allocated_by(work: impl FnOnce()) -> u64 {
    static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let before = ALLOCATED.load(Ordering::Relaxed);
    work();
    ALLOCATED.load(Ordering::Relaxed) - before
}

fn id(kind: u128, n: usize) -> Uuid {
    Uuid::from_u128(kind << 64 | n as u128)
}

/// A hostile log of about `8 * n` events: `n` columns added, `n` devices naming themselves,
/// cards added to columns far apart and moved between them, columns moved and renamed, and now
/// and then a card whose title and description are as long as an event may be.
fn hostile(n: usize) -> Vec<Event<BoardEvent>> {
    let mut payloads = vec![BoardEvent::BoardCreated {
        name: "Target".into(),
        columns: vec![ColumnSeed { id: id(1, 0), name: "To do".into() }],
    }];
    for i in 1..=n {
        payloads.push(BoardEvent::ColumnAdded { column: id(1, i), name: format!("Column {i}") });
    }
    let mut devices = Vec::new();
    for i in 0..n {
        devices.push(id(2, i));
        payloads.push(BoardEvent::DeviceNamed { device: id(2, i), name: format!("Device {i}") });
    }
    for i in 0..n {
        let (title, description) =
            if i % 100 == 0 { ("t".repeat(30_000), "d".repeat(30_000)) } else { (format!("Card {i}"), String::new()) };
        payloads.push(BoardEvent::CardAdded { card: id(3, i), column: id(1, i * 7 % n), title, description });
        payloads.push(BoardEvent::CardMoved { card: id(3, i), from: id(1, 0), to: id(1, (i * 13 + 5) % n), index: 0 });
        payloads.push(BoardEvent::CardMoved { card: id(3, i / 2), from: id(1, 0), to: id(1, i % n), index: 3 });
        if i % 3 == 0 {
            payloads.push(BoardEvent::CardArchived { card: id(3, i / 3) });
            payloads.push(BoardEvent::CardRestored { card: id(3, i / 3), column: id(1, i % n) });
        }
        if i % 10 == 0 {
            payloads.push(BoardEvent::ColumnMoved { column: id(1, i), index: (i % 97) as u32 });
            payloads.push(BoardEvent::ColumnRenamed { column: id(1, i), name: format!("Renamed {i}") });
        }
    }
    payloads
        .into_iter()
        .enumerate()
        .map(|(i, payload)| {
            // Device names are only taken from the device itself.
            let device = match &payload {
                BoardEvent::DeviceNamed { device, .. } => *device,
                _ => devices[i % devices.len()],
            };
            Event::new(id(4, i), id(5, 0), device, 1_700_000_000_000 + i as i64, payload)
        })
        .collect()
}

/// Everything the app does with a log when it opens a board: folds it, snapshots it, reads the
/// snapshot back, keeps its history and reads the flow of cards at a few points.
fn open(events: &[Event<BoardEvent>]) {
    let projections = BoardProjections::replay(events.iter());
    let snapshot = projections.to_snapshot();
    let read = BoardProjections::from_snapshot(&snapshot).expect("a snapshot reads back");
    assert_eq!(read.position, events.len() as u64);
    let columns: Vec<Uuid> = read.board.columns().iter().take(100).map(|c| c.id).collect();
    for i in 0..=120u64 {
        let _ = read.flow.counts_at(read.position * i / 120, &columns);
    }
    let history = History::new(events.to_vec());
    let _ = history.board_at(history.len() / 2);
}

#[test]
fn a_hostile_log_four_times_as_long_costs_about_four_times_as_much() {
    let (short, long) = (hostile(2_500), hostile(10_000));
    assert!(long.iter().filter(|e| matches!(e.known(), Some(BoardEvent::ColumnAdded { .. }))).count() >= 10_000);
    let small = allocated_by(|| open(&short));
    let large = allocated_by(|| open(&long));
    let ratio = large as f64 / small as f64;
    let per_event = large / long.len() as u64;
    eprintln!(
        "{} events: {} MB allocated, {per_event} bytes per event, {ratio:.2} times the quarter",
        long.len(),
        large >> 20
    );
    assert!(ratio < 5.0, "a log four times as long cost {ratio:.2} times as much to open");
}
