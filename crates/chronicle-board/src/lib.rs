//! The board domain on Chronicle's engine: columns and cards.
//!
//! - [`Command`]s are checked by [`BoardDecider`] against a [`Board`] and produce [`BoardEvent`]s,
//!   or a [`Rejection`] that says why not.
//! - [`Board`] is both the write model and the `BoardView` read model: columns and cards in order.
//! - [`Activity`] is the feed a person reads; [`FlowStats`] counts cards per column over time.
//! - [`BoardProjections`] folds all of them in one pass and snapshots them for a fast start.
//! - [`History`] keeps the whole log and gives the board as it was after any event
//!   (`board_at`) and each card's own changes (`card_changes`, through an index by card);
//!   `Command::RestoreVersion` brings such a version back with new events.

mod activity;
mod board;
mod card_history;
mod command;
mod event;
mod flow;
mod history;
mod projections;
mod set_aside;
mod undo;
pub mod workload;

pub use activity::{Activity, ActivityEntry, describe, device_label, shown_text};
pub use board::{Board, Card, Column, IdHasher, IdMap, seed_id_hashes};
pub use card_history::card_of;
pub use command::{
    BoardDecider, Command, DEFAULT_COLUMNS, MAX_COLUMNS, MAX_DESCRIPTION, MAX_NAME, MAX_TITLE, Rejection,
};
pub use event::{BoardEvent, ColumnSeed, UndoMark};
pub use flow::FlowStats;
pub use history::{History, KEYFRAME_BUDGET, KEYFRAME_EVERY, MAX_KEYFRAMES, Stamp};
pub use projections::{BoardProjections, SNAPSHOT_FORMAT, SnapshotError};
pub use set_aside::set_aside_with;
pub use undo::{UndoList, UndoStep, Undoable, undo_step};

/// An event of a board, decoded.
pub type BoardEventRecord = chronicle_core::Event<BoardEvent>;
