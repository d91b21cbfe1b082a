//! An open board: its projections as shown, as saved, and the batches of events between them.
//!
//! A command is decided against the board as shown, applied at once (the UI is optimistic) and
//! queued for writing. Batches are written one at a time, in order. When a write fails, the board
//! goes back to what is saved, the queued batches are dropped, and the caller tells the person.

use std::collections::VecDeque;

use chronicle_board::{BoardDecider, BoardEvent, BoardProjections, Command, Rejection};
use chronicle_core::{Decider, Event, RawEnvelope, Uuid};

/// One board being edited on this device.
#[derive(Debug, Clone)]
pub struct Session {
    stream: Uuid,
    device: Uuid,
    saved: BoardProjections,
    queued: VecDeque<Vec<RawEnvelope>>,
    writing: Option<Vec<RawEnvelope>>,
    snapshot_at: u64,
}

/// Events are snapshotted every this many events, so a start replays at most this many.
pub const SNAPSHOT_EVERY: u64 = 500;

impl Session {
    /// A session over a board as loaded from storage.
    pub fn new(stream: Uuid, device: Uuid, saved: BoardProjections, snapshot_at: u64) -> Self {
        Session { stream, device, saved, queued: VecDeque::new(), writing: None, snapshot_at }
    }

    /// The board's stream id.
    pub fn stream(&self) -> Uuid {
        self.stream
    }

    /// Decides a command against `shown` and applies its events to it. The events are queued for
    /// writing. `name` is this device's name, recorded on the board when it changed.
    pub fn execute(
        &mut self,
        shown: &mut BoardProjections,
        command: Command,
        name: &str,
        at: i64,
        mut new_id: impl FnMut() -> Uuid,
    ) -> Result<usize, Rejection> {
        let decided = BoardDecider::decide(&shown.board, command)?;
        if decided.is_empty() {
            return Ok(0);
        }
        let mut batch = Vec::with_capacity(decided.len() + 1);
        let mut record = |shown: &mut BoardProjections, payload: BoardEvent| {
            let event = Event::new(new_id(), self.stream, self.device, at, payload);
            shown.apply_event(&event);
            batch.push(event.encode());
        };
        // The board learns this device's name before its first edit, and again after a rename,
        // so that every device shows who did what.
        let naming = |shown: &BoardProjections| {
            let command = Command::NameDevice { device: self.device, name: name.to_owned() };
            BoardDecider::decide(&shown.board, command).unwrap_or_default()
        };
        for payload in naming(shown) {
            record(shown, payload);
        }
        for payload in decided {
            record(shown, payload);
        }
        for payload in naming(shown) {
            record(shown, payload);
        }
        let count = batch.len();
        self.queued.push_back(batch);
        Ok(count)
    }

    /// The next batch to write and the position it goes to, unless a write is under way.
    pub fn next_write(&mut self) -> Option<(u64, Vec<RawEnvelope>)> {
        if self.writing.is_some() {
            return None;
        }
        let batch = self.queued.pop_front()?;
        self.writing = Some(batch.clone());
        Some((self.saved.position, batch))
    }

    /// The write under way succeeded. Returns a snapshot to store when one is due.
    pub fn written(&mut self) -> Option<(u64, Uuid, String)> {
        let batch = self.writing.take()?;
        let events: Vec<Event<BoardEvent>> = batch.into_iter().map(Event::decode).collect();
        self.saved.extend(events.iter());
        if self.saved.position >= self.snapshot_at + SNAPSHOT_EVERY && self.queued.is_empty() {
            self.snapshot_at = self.saved.position;
            let last = self.saved.last_event?;
            return Some((self.saved.position, last, self.saved.to_snapshot()));
        }
        None
    }

    /// The write under way failed: drops it and everything queued after it, and returns the
    /// board as saved, which the caller shows again.
    pub fn failed(&mut self) -> BoardProjections {
        self.writing = None;
        self.queued.clear();
        self.saved.clone()
    }

    /// Number of events waiting to be written.
    pub fn unsaved(&self) -> usize {
        self.queued.iter().chain(self.writing.iter()).map(Vec::len).sum()
    }
}
