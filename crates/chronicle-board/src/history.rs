//! A board's history: every event of its log, and the board as it was after any of them.
//!
//! Reads come in pairs, the present and the past: [`History::projections`] and
//! [`History::projections_at`], [`History::board`] and [`History::board_at`]. The past is reached
//! through [`Keyframes`]: a copy of the board every so many events, plus the events after it.

use chronicle_core::{Event, Keyframes, Projection};

use crate::activity::{ActivityEntry, describe};
use crate::board::{Board, IdMap};
use crate::card_history::CardIndex;
use crate::event::BoardEvent;
use crate::projections::BoardProjections;

/// Keyframes are kept at least this many events apart.
pub const KEYFRAME_EVERY: usize = 256;
/// At most this many keyframes are kept; a longer history spaces them further apart. Each one is a
/// copy of the board, so their number bounds what opening the History panel copies, and keeps it
/// proportional to the board: a seek then replays up to a thirty-second of the log (about 3,000
/// events at 100k, well under a millisecond in the browser) after copying the keyframe before it.
pub const MAX_KEYFRAMES: usize = 32;
/// Memory the keyframes of one history may take, roughly, in bytes. A keyframe holds a whole
/// board, archive included, so a board with a long past gets fewer, further apart.
pub const KEYFRAME_BUDGET: usize = 128 << 20;
/// What one card costs in a keyframe, roughly, in bytes (the card, its index entries), besides
/// its texts.
const CARD_BYTES: usize = 160;
/// What one column or one device name costs in a keyframe, roughly, besides its name.
const COLUMN_BYTES: usize = 96;

/// The projections at a keyframe. The flow of cards over time is left out: it is one series over
/// the whole history, read from the present (`FlowStats::at`), and copying it into every keyframe
/// would cost as much as the rest together.
#[derive(Debug, Clone, Default, PartialEq)]
struct Past(BoardProjections);

impl Projection<BoardEvent> for Past {
    fn apply(&mut self, event: &Event<BoardEvent>) {
        self.0.apply_without_flow(event);
    }

    /// Only the newest events of a run are described: the feed keeps no more, and describing
    /// is most of the cost of a seek.
    fn apply_all(&mut self, events: &[Event<BoardEvent>]) {
        self.0.extend_without_flow(events, |_| {});
    }
}

/// Roughly how many bytes an event adds to a board kept in memory (an edit is counted as if it
/// added its texts: an estimate on the safe side).
fn bytes_added(event: &BoardEvent) -> usize {
    match event {
        BoardEvent::BoardCreated { name, columns } => {
            name.len() + columns.iter().map(|c| COLUMN_BYTES + c.name.len()).sum::<usize>()
        }
        BoardEvent::ColumnAdded { name, .. } | BoardEvent::DeviceNamed { name, .. } => COLUMN_BYTES + name.len(),
        BoardEvent::CardAdded { title, description, .. } => CARD_BYTES + title.len() + description.len(),
        BoardEvent::CardEdited { title, description, .. } => title.len() + description.len(),
        _ => 0,
    }
}

/// When an event was recorded, and by which device: its place among [`History::devices`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    /// Wall-clock time on the recording device, in milliseconds since the Unix epoch.
    pub at: i64,
    /// The recording device's place among the history's devices.
    pub device: u32,
}

/// Every event's [`Stamp`], and the devices they name, in the order the log first names them:
/// what a picture of the whole history (the density strip) reads of each event, in a tenth of
/// the memory of the events themselves.
#[derive(Debug, Clone, Default)]
struct Stamps {
    stamps: Vec<Stamp>,
    devices: Vec<uuid::Uuid>,
    places: IdMap<u32>,
}

impl Stamps {
    /// Stamps the events past those already stamped.
    fn extend(&mut self, events: &[Event<BoardEvent>]) {
        // A whole log is stamped into one allocation of its size, not grown into by doubling.
        self.stamps.reserve(events.len().saturating_sub(self.stamps.len()));
        for event in events.iter().skip(self.stamps.len()) {
            let device = event.meta.device;
            let place = *self.places.entry(device).or_insert_with(|| {
                self.devices.push(device);
                self.devices.len() as u32 - 1
            });
            self.stamps.push(Stamp { at: event.meta.at, device: place });
        }
    }
}

/// A board's log with fast access to any point of it.
#[derive(Debug, Clone)]
pub struct History {
    events: Vec<Event<BoardEvent>>,
    keyframes: Keyframes<Past>,
    /// The events by the card they act on.
    cards: CardIndex,
    stamps: Stamps,
}

impl History {
    /// The history of a log, in log order (confirmed events, then pending ones).
    pub fn new(events: Vec<Event<BoardEvent>>) -> Self {
        let every = Self::spacing(&events);
        Self::with_keyframes_every(events, every)
    }

    /// The history of a log with keyframes every `every` events.
    pub fn with_keyframes_every(events: Vec<Event<BoardEvent>>, every: usize) -> Self {
        let mut history = History {
            events: Vec::new(),
            keyframes: Keyframes::build(&[], every),
            cards: CardIndex::default(),
            stamps: Stamps::default(),
        };
        history.extend(events);
        history
    }

    /// Events between keyframes: as close as [`KEYFRAME_EVERY`], as few as [`MAX_KEYFRAMES`],
    /// and within [`KEYFRAME_BUDGET`] for a board that grows steadily over its history. What a
    /// board holds at the end is read from what its events add (cards, columns, device names and
    /// their texts), so a log of many columns or long texts gets fewer keyframes, not more memory.
    fn spacing(events: &[Event<BoardEvent>]) -> usize {
        let grown: usize = events.iter().filter_map(Event::known).map(|e| bytes_added(e.change())).sum();
        let average_frame = 4096 + grown / 2;
        let frames = (KEYFRAME_BUDGET / average_frame).clamp(8, MAX_KEYFRAMES);
        KEYFRAME_EVERY.max(events.len().div_ceil(frames))
    }

    /// Number of events: positions go from 0 (before the first) to `len()` (now).
    pub fn len(&self) -> u64 {
        self.events.len() as u64
    }

    /// Whether the log has no events.
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// The event that brought the log to `position` (from 1).
    pub fn event(&self, position: u64) -> Option<&Event<BoardEvent>> {
        position.checked_sub(1).and_then(|i| self.events.get(i as usize))
    }

    /// The feed entries of the events at positions `from..=to` (from 1), each in the words it
    /// read in when it happened: the same entries the activity feed made of them.
    pub fn entries(&self, from: u64, to: u64) -> Vec<ActivityEntry> {
        let from = from.max(1);
        let mut before = self.projections_at(from - 1);
        (from..=to)
            .map_while(|position| {
                let event = self.event(position)?;
                let text = describe(&before.board, event);
                let effect = before.apply_without_flow(event);
                let meta = &event.meta;
                Some(ActivityEntry { position, event: meta.id, device: meta.device, at: meta.at, text, effect })
            })
            .collect()
    }

    /// Every event, in order.
    pub fn events(&self) -> &[Event<BoardEvent>] {
        &self.events
    }

    /// Every event's time and device, in order.
    pub fn stamps(&self) -> &[Stamp] {
        &self.stamps.stamps
    }

    /// The devices the stamps name, by their place: every device the log names, and any a part
    /// of it that was replaced named.
    pub fn devices(&self) -> &[uuid::Uuid] {
        &self.stamps.devices
    }

    /// The events of the log grew: takes the new ones.
    pub fn extend(&mut self, events: impl IntoIterator<Item = Event<BoardEvent>>) {
        self.events.extend(events);
        // One fold of the new events makes the keyframes and tells the card index what each
        // event did.
        let cards = &mut self.cards;
        self.keyframes.extend_by(&self.events, |past, run| past.0.extend_without_flow(run, |e| cards.note(e)));
        self.cards.extend(&self.events);
        self.stamps.extend(&self.events);
    }

    /// The log from `position` on was replaced (a rebase placed others' events before ours).
    pub fn replace_from(&mut self, position: u64, events: impl IntoIterator<Item = Event<BoardEvent>>) {
        let position = (position as usize).min(self.events.len());
        self.events.truncate(position);
        self.keyframes.truncate(&self.events, position);
        self.cards.truncate(&self.events);
        self.stamps.stamps.truncate(position);
        self.extend(events);
    }

    /// The projections now (without the flow; see [`Past`]).
    pub fn projections(&self) -> BoardProjections {
        self.projections_at(self.len())
    }

    /// The projections after the first `position` events (without the flow; see [`Past`]).
    pub fn projections_at(&self, position: u64) -> BoardProjections {
        self.keyframes.at(&self.events, position as usize).0
    }

    /// The board now.
    pub fn board(&self) -> Board {
        self.board_at(self.len())
    }

    /// The board after the first `position` events.
    pub fn board_at(&self, position: u64) -> Board {
        self.projections_at(position).board
    }

    /// A card's own history, oldest first: every event that acted on it, changes that had no
    /// effect included, each in words. Read through an index by card, so it costs what the card
    /// went through, not what the board did.
    pub fn card_changes(&self, card: uuid::Uuid) -> Vec<ActivityEntry> {
        self.cards.changes(&self.events, card)
    }

    /// The positions (from 1) of the events that act on `card`, in order.
    pub fn card_positions(&self, card: uuid::Uuid) -> &[u32] {
        self.cards.positions(card)
    }

    /// How many events apart the keyframes are.
    pub fn keyframe_every(&self) -> usize {
        self.keyframes.every()
    }
}

#[cfg(test)]
mod tests {
    use super::{History, KEYFRAME_EVERY, MAX_KEYFRAMES};
    use crate::workload::generate;

    /// A short log gets a keyframe every [`KEYFRAME_EVERY`] events; a longer one at most
    /// [`MAX_KEYFRAMES`] of them, further apart, so that opening its history copies the board a
    /// bounded number of times.
    #[test]
    fn a_longer_log_gets_keyframes_further_apart_not_more_of_them() {
        let short = History::new(generate(2_000, 3));
        assert_eq!(short.keyframe_every(), KEYFRAME_EVERY);
        let events = generate(20_000, 3);
        let long = History::new(events.clone());
        assert_eq!(long.keyframe_every(), 20_000usize.div_ceil(MAX_KEYFRAMES));
        assert_eq!(long.board_at(12_345), History::new(events[..12_345].to_vec()).board());
    }
}
