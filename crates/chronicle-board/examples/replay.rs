//! Measures how fast a board's history folds into its projections, with events already in memory.
//! Prints `BENCH<TAB>name<TAB>value` rows that `cargo xtask bench` collects into its table.

use std::hint::black_box;
use std::time::Instant;

use chronicle_board::workload::generate;
use chronicle_board::{Board, BoardProjections};
use chronicle_core::Payload;

fn rate(events: usize, seconds: f64) -> String {
    format!("{:.1}M events/s ({:.1} ms)", events as f64 / seconds / 1e6, seconds * 1e3)
}

fn best_of<T>(runs: usize, mut f: impl FnMut() -> T) -> f64 {
    (0..runs)
        .map(|_| {
            let start = Instant::now();
            black_box(f());
            start.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min)
}

fn main() {
    for count in [100_000, 1_000_000] {
        let events = generate(count, 42);
        let board = best_of(5, || {
            let mut board = Board::default();
            for event in &events {
                if let Payload::Known(e) = &event.payload {
                    board.evolve(e);
                }
            }
            board
        });
        println!("BENCH\tnative replay, BoardView, {}k events\t{}", count / 1000, rate(count, board));
        let all = best_of(3, || BoardProjections::replay(events.iter()));
        println!("BENCH\tnative replay, all projections, {}k events\t{}", count / 1000, rate(count, all));
    }
}
