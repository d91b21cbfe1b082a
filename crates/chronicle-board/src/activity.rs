//! The activity feed: what happened, in words a person reads, with who and when.

use std::collections::VecDeque;

use chronicle_core::{Effect, Event, Payload, UnreadableReason};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::board::Board;
use crate::event::BoardEvent;

/// One line of the feed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivityEntry {
    /// Position of the event in the log, from 1.
    pub position: u64,
    /// The event's id.
    pub event: Uuid,
    /// The device that made it.
    pub device: Uuid,
    /// When, in milliseconds since the Unix epoch, by that device's clock.
    pub at: i64,
    /// What happened, in words.
    pub text: String,
    /// Whether it changed anything.
    pub effect: Effect,
}

/// The most recent entries of the feed, newest last, and how many there were in all.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Activity {
    entries: VecDeque<ActivityEntry>,
    total: u64,
}

impl Activity {
    /// How many entries the feed keeps in memory; older ones are described again on demand
    /// from the log by [`describe`].
    pub const KEPT: usize = 500;

    /// Entries kept, newest first.
    pub fn recent(&self) -> impl Iterator<Item = &ActivityEntry> {
        self.entries.iter().rev()
    }

    /// The entries at positions `from..=to`, oldest first, when the feed still keeps all of
    /// them; `None` when some are older than what it keeps (then [`crate::History::entries`]
    /// describes them again from the log, in the same words).
    pub fn entries(&self, from: u64, to: u64) -> Option<Vec<ActivityEntry>> {
        let from = from.max(1);
        let to = to.min(self.total);
        let oldest = self.entries.front().map_or(self.total + 1, |e| e.position);
        if from < oldest {
            return (from > to).then(Vec::new);
        }
        Some(self.entries.iter().filter(|e| (from..=to).contains(&e.position)).cloned().collect())
    }

    /// Number of events the feed has seen.
    pub fn total(&self) -> u64 {
        self.total
    }

    pub(crate) fn skip(&mut self) {
        self.total += 1;
    }

    pub(crate) fn push(&mut self, entry: ActivityEntry) {
        self.total += 1;
        if self.entries.len() == Self::KEPT {
            self.entries.pop_front();
        }
        self.entries.push_back(entry);
    }
}

/// Who made an event, in words: the device's name as `board` knows it, else "This device" for
/// `this_device` (before it named itself) and "Another device" for the others. The activity
/// feed, the history list and every other list of changes say it the same way.
pub fn device_label(board: &Board, device: Uuid, this_device: Uuid) -> String {
    match board.device_name(device) {
        Some(name) => shown_text(name, crate::command::MAX_NAME).into_owned(),
        None if device == this_device => "This device".to_owned(),
        None => "Another device".to_owned(),
    }
}

/// Longest text quoted whole in a line of the feed: longer than any name or title the app lets
/// a person type, so only texts from a log made elsewhere are cut.
const QUOTED_CHARS: usize = crate::command::MAX_TITLE;

/// `text` as shown: whole when it has at most `max_chars` characters, else cut there with an
/// ellipsis. Screens pass the limit the app itself enforces (a title, a name), so only text from a
/// log made elsewhere is ever cut, and a page never lays out a whole event's worth of one word.
pub fn shown_text(text: &str, max_chars: usize) -> std::borrow::Cow<'_, str> {
    match text.char_indices().nth(max_chars) {
        Some((end, _)) => format!("{}…", &text[..end]).into(),
        None => text.into(),
    }
}

/// `text` cut for one line of the feed.
fn cut(text: &str) -> std::borrow::Cow<'_, str> {
    shown_text(text, QUOTED_CHARS)
}

fn card_title(board: &Board, card: Uuid) -> String {
    match board.card(card) {
        Some(c) => format!("'{}'", cut(&c.title)),
        None => "an unknown card".to_owned(),
    }
}

fn column_name(board: &Board, column: Uuid) -> String {
    match board.column(column) {
        Some(c) => cut(&c.name).into_owned(),
        None => "a removed column".to_owned(),
    }
}

/// Says in words what an event does to `board`, the board as it was just before the event.
pub fn describe(board: &Board, event: &Event<BoardEvent>) -> String {
    let event = match &event.payload {
        Payload::Known(e) => e,
        Payload::Unreadable(u) => {
            let why = match &u.reason {
                UnreadableReason::UnknownType => "a type this version does not know".to_owned(),
                UnreadableReason::NewerVersion => "a newer version than this app reads".to_owned(),
                UnreadableReason::Malformed(m) => format!("data it could not read ({m})"),
            };
            return format!("Kept an event '{}' v{} with {why}", u.kind, u.version);
        }
    };
    describe_change(board, event)
}

/// Says in words what a known event does to `board`.
fn describe_change(board: &Board, event: &BoardEvent) -> String {
    match event {
        BoardEvent::Undo { mark, change } if mark.redo => format!("Redid: {}", describe_change(board, change)),
        BoardEvent::Undo { mark, change } => format!("Undid: {}", describe_undone(board, &mark.kind, change)),
        BoardEvent::BoardCreated { name, .. } => format!("Created board '{}'", cut(name)),
        BoardEvent::BoardRenamed { name } => {
            format!("Renamed the board from '{}' to '{}'", cut(board.name()), cut(name))
        }
        BoardEvent::ColumnAdded { name, .. } => format!("Added column '{}'", cut(name)),
        BoardEvent::ColumnRenamed { column, name } => {
            format!("Renamed column {} to {}", column_name(board, *column), cut(name))
        }
        BoardEvent::ColumnMoved { column, index } => {
            format!("Moved column {} to position {}", column_name(board, *column), u64::from(*index) + 1)
        }
        BoardEvent::ColumnRemoved { column } => format!("Removed column {}", column_name(board, *column)),
        BoardEvent::CardAdded { title, column, .. } => {
            format!("Added '{}' to {}", cut(title), column_name(board, *column))
        }
        BoardEvent::CardEdited { card, title, description } => match board.card(*card) {
            Some(c) if c.title != *title && c.description != *description => {
                format!("Edited '{}': now '{}', with a new description", cut(&c.title), cut(title))
            }
            Some(c) if c.title != *title => format!("Renamed '{}' to '{}'", cut(&c.title), cut(title)),
            Some(_) => format!("Edited the description of '{}'", cut(title)),
            None => format!("Edited an unknown card, now '{}'", cut(title)),
        },
        BoardEvent::CardMoved { card, from, to, .. } => {
            let title = card_title(board, *card);
            if from == to {
                format!("Reordered {title} in {}", column_name(board, *to))
            } else {
                format!("Moved {title} from {} to {}", column_name(board, *from), column_name(board, *to))
            }
        }
        BoardEvent::CardArchived { card } => format!("Archived {}", card_title(board, *card)),
        BoardEvent::CardRestored { card, column } => {
            let target = board.column(*column).or(board.columns().first()).map(|c| cut(&c.name).into_owned());
            format!("Restored {} to {}", card_title(board, *card), target.unwrap_or_else(|| "no column".to_owned()))
        }
        BoardEvent::DeviceNamed { name, .. } => format!("Named a device '{}'", cut(name)),
    }
}

/// Says in words the change that `inverse` takes back, as the feed said it when it was made
/// (`kind` is its type): `board` is the board just before the undo, that is, with the change.
fn describe_undone(board: &Board, kind: &str, inverse: &BoardEvent) -> String {
    match inverse {
        BoardEvent::CardArchived { card } if kind == "card_added" => {
            let column = board.card(*card).map(|c| column_name(board, c.column));
            format!("Added {} to {}", card_title(board, *card), column.unwrap_or_else(|| "a column".to_owned()))
        }
        BoardEvent::CardArchived { card } => {
            let column = board.card(*card).map(|c| column_name(board, c.column));
            format!("Restored {} to {}", card_title(board, *card), column.unwrap_or_else(|| "a column".to_owned()))
        }
        BoardEvent::CardRestored { card, .. } => format!("Archived {}", card_title(board, *card)),
        BoardEvent::CardMoved { card, from, to, .. } if from == to => {
            format!("Reordered {} in {}", card_title(board, *card), column_name(board, *to))
        }
        BoardEvent::CardMoved { card, from, to, .. } => {
            format!(
                "Moved {} from {} to {}",
                card_title(board, *card),
                column_name(board, *to),
                column_name(board, *from)
            )
        }
        BoardEvent::CardEdited { card, title, .. } => match board.card(*card) {
            Some(c) if c.title != *title => format!("Renamed '{}' to '{}'", cut(title), cut(&c.title)),
            _ => format!("Edited the description of {}", card_title(board, *card)),
        },
        BoardEvent::ColumnRemoved { column } => format!("Added column '{}'", column_name(board, *column)),
        BoardEvent::ColumnAdded { name, .. } => format!("Removed column '{}'", cut(name)),
        BoardEvent::ColumnRenamed { column, name } => {
            format!("Renamed column {} to {}", cut(name), column_name(board, *column))
        }
        BoardEvent::ColumnMoved { column, .. } => format!("Moved column {}", column_name(board, *column)),
        BoardEvent::BoardRenamed { name } => {
            format!("Renamed the board from '{}' to '{}'", cut(name), cut(board.name()))
        }
        other => describe_change(board, other),
    }
}
