//! Undo and redo as new events: what it takes to take a change back is read from the board just
//! before the change ([`undo_step`]); taking it back is decided later against the board as it is
//! then ([`Command::Undo`](crate::Command::Undo)), so that a change another device made since is
//! never overwritten: the undo does what still makes sense, or says why it cannot.

use chronicle_core::{Event, EventPayload, Payload};
use uuid::Uuid;

use crate::activity::shown_text;
use crate::board::Board;
use crate::command::{MAX_COLUMNS, MAX_NAME, MAX_TITLE, Rejection};
use crate::event::{BoardEvent, UndoMark};

/// One change, and what it takes to take it back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UndoStep {
    /// The event that made the change.
    pub event: Uuid,
    /// Its type, by its wire name.
    pub kind: &'static str,
    /// The change, with what was there before it.
    pub change: Undoable,
}

/// A change that can be taken back, with what it replaced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Undoable {
    /// A card was added (taken back: archived).
    CardAdded {
        /// The card.
        card: Uuid,
    },
    /// A card moved from `from`, where it was at `index`, to `to`.
    CardMoved {
        /// The card.
        card: Uuid,
        /// The column it was in.
        from: Uuid,
        /// Its place there.
        index: usize,
        /// The column it went to.
        to: Uuid,
    },
    /// A card's texts changed from `before` to `after` (title, description).
    CardEdited {
        /// The card.
        card: Uuid,
        /// Its title and description before.
        before: (String, String),
        /// Its title and description after.
        after: (String, String),
    },
    /// A card was archived from its place `index` in its column.
    CardArchived {
        /// The card.
        card: Uuid,
        /// Its place in its column.
        index: usize,
    },
    /// A card was restored.
    CardRestored {
        /// The card.
        card: Uuid,
    },
    /// A column was added.
    ColumnAdded {
        /// The column.
        column: Uuid,
    },
    /// A column was removed from its place `index`.
    ColumnRemoved {
        /// The column.
        column: Uuid,
        /// Its name.
        name: String,
        /// Its place among the columns.
        index: usize,
    },
    /// A column's name changed.
    ColumnRenamed {
        /// The column.
        column: Uuid,
        /// Its name before.
        before: String,
        /// Its name after.
        after: String,
    },
    /// A column moved from its place `index`.
    ColumnMoved {
        /// The column.
        column: Uuid,
        /// Its place before.
        index: usize,
    },
    /// The board's name changed.
    BoardRenamed {
        /// Its name before.
        before: String,
        /// Its name after.
        after: String,
    },
}

/// What it takes to take back what `event` does to `board`, the board just before it; `None`
/// for an event that changes nothing a person would undo (naming a device, creating the board),
/// or that no longer applies. An undo is itself a change, and its step is how a redo does it again.
pub fn undo_step(board: &Board, event: &Event<BoardEvent>) -> Option<UndoStep> {
    let Payload::Known(known) = &event.payload else { return None };
    let change = match known.change() {
        BoardEvent::CardAdded { card, .. } => Undoable::CardAdded { card: *card },
        BoardEvent::CardMoved { card, to, .. } => {
            let (column, index) = board.position_of(*card)?;
            Undoable::CardMoved { card: *card, from: board.columns()[column].id, index, to: *to }
        }
        BoardEvent::CardEdited { card, title, description } => {
            let now = board.card(*card)?;
            Undoable::CardEdited {
                card: *card,
                before: (now.title.clone(), now.description.clone()),
                after: (title.clone(), description.clone()),
            }
        }
        BoardEvent::CardArchived { card } => Undoable::CardArchived { card: *card, index: board.position_of(*card)?.1 },
        BoardEvent::CardRestored { card, .. } => Undoable::CardRestored { card: *card },
        BoardEvent::ColumnAdded { column, .. } => Undoable::ColumnAdded { column: *column },
        BoardEvent::ColumnRemoved { column } => {
            let index = board.column_index(*column)?;
            Undoable::ColumnRemoved { column: *column, name: board.columns()[index].name.clone(), index }
        }
        BoardEvent::ColumnRenamed { column, name } => Undoable::ColumnRenamed {
            column: *column,
            before: board.column(*column)?.name.clone(),
            after: name.clone(),
        },
        BoardEvent::ColumnMoved { column, .. } => {
            Undoable::ColumnMoved { column: *column, index: board.column_index(*column)? }
        }
        BoardEvent::BoardRenamed { name } => {
            Undoable::BoardRenamed { before: board.name().to_owned(), after: name.clone() }
        }
        BoardEvent::BoardCreated { .. } | BoardEvent::DeviceNamed { .. } | BoardEvent::Undo { .. } => return None,
    };
    Some(UndoStep { event: event.meta.id, kind: known.kind(), change })
}

/// "'Fix login' was archived on Phone since; there is nothing to undo."
fn changed_since(board: &Board, card: Uuid, what: &str) -> Rejection {
    let Some(c) = board.card(card) else {
        return Rejection::NothingToUndo("That card is no longer on this board; there is nothing to undo.".to_owned());
    };
    let title = shown_text(&c.title, MAX_TITLE);
    let on = match c.last_device.and_then(|d| board.device_name(d)) {
        Some(device) => format!(" on {}", shown_text(device, MAX_NAME)),
        None => String::new(),
    };
    Rejection::NothingToUndo(format!("'{title}' was {what}{on} since; there is nothing to undo."))
}

fn column_gone() -> Rejection {
    Rejection::NothingToUndo("That column was removed since; there is nothing to undo.".to_owned())
}

/// The events that take `step` back on `board` as it is now, each marked with what it takes
/// back; or why that no longer makes sense.
pub(crate) fn take_back(board: &Board, step: &UndoStep, redo: bool) -> Result<Vec<BoardEvent>, Rejection> {
    let mark = || UndoMark { event: step.event, kind: step.kind.to_owned(), redo };
    let marked = |change: BoardEvent| BoardEvent::Undo { mark: mark(), change: Box::new(change) };
    let live = |card: Uuid| match board.card(card) {
        None => Err(changed_since(board, card, "removed")),
        Some(c) if c.archived => Err(changed_since(board, card, "archived")),
        Some(c) => Ok(c),
    };
    Ok(match &step.change {
        Undoable::CardAdded { card } => {
            live(*card)?;
            vec![marked(BoardEvent::CardArchived { card: *card })]
        }
        Undoable::CardMoved { card, from, index, to } => {
            let now = live(*card)?;
            if now.column != *to {
                return Err(changed_since(board, *card, "moved"));
            }
            let back = board.column(*from).ok_or_else(column_gone)?;
            let room = if from == to { back.len() - 1 } else { back.len() };
            vec![marked(BoardEvent::CardMoved { card: *card, from: *to, to: *from, index: (*index).min(room) as u32 })]
        }
        Undoable::CardEdited { card, before, after } => {
            let now = live(*card)?;
            if (&now.title, &now.description) != (&after.0, &after.1) {
                return Err(changed_since(board, *card, "edited"));
            }
            vec![marked(BoardEvent::CardEdited { card: *card, title: before.0.clone(), description: before.1.clone() })]
        }
        Undoable::CardArchived { card, index } => match board.card(*card) {
            Some(c) if c.archived => {
                let first = board.columns().first().ok_or_else(column_gone)?;
                let column = board.column(c.column).unwrap_or(first);
                let mut events = vec![marked(BoardEvent::CardRestored { card: *card, column: column.id })];
                // Restored at the bottom; back to its place, when that is higher up.
                if *index < column.len() {
                    let index = *index as u32;
                    events.push(BoardEvent::CardMoved { card: *card, from: column.id, to: column.id, index });
                }
                events
            }
            _ => return Err(changed_since(board, *card, "restored")),
        },
        Undoable::CardRestored { card } => {
            live(*card)?;
            vec![marked(BoardEvent::CardArchived { card: *card })]
        }
        Undoable::ColumnAdded { column } => {
            let now = board.column(*column).ok_or_else(column_gone)?;
            if !now.is_empty() {
                return Err(Rejection::NothingToUndo(format!(
                    "Column '{}' has {} card(s) now; move or archive them, then undo again.",
                    shown_text(&now.name, MAX_NAME),
                    now.len()
                )));
            }
            if board.columns().len() == 1 {
                return Err(Rejection::LastColumn);
            }
            vec![marked(BoardEvent::ColumnRemoved { column: *column })]
        }
        Undoable::ColumnRemoved { column, name, index } => {
            if board.column(*column).is_some() {
                return Err(Rejection::NothingToUndo(format!(
                    "Column '{}' is back already; there is nothing to undo.",
                    shown_text(name, MAX_NAME)
                )));
            }
            if board.columns().len() >= MAX_COLUMNS {
                return Err(Rejection::TooManyColumns);
            }
            let mut events = vec![marked(BoardEvent::ColumnAdded { column: *column, name: name.clone() })];
            // Added at the right end; back to its place, when that is elsewhere.
            if *index < board.columns().len() {
                events.push(BoardEvent::ColumnMoved { column: *column, index: *index as u32 });
            }
            events
        }
        Undoable::ColumnRenamed { column, before, after } => {
            let now = board.column(*column).ok_or_else(column_gone)?;
            if now.name != *after {
                return Err(Rejection::NothingToUndo(format!(
                    "Column '{}' was renamed '{}' since; there is nothing to undo.",
                    shown_text(after, MAX_NAME),
                    shown_text(&now.name, MAX_NAME)
                )));
            }
            vec![marked(BoardEvent::ColumnRenamed { column: *column, name: before.clone() })]
        }
        Undoable::ColumnMoved { column, index } => {
            let now = board.column_index(*column).ok_or_else(column_gone)?;
            let index = (*index).min(board.columns().len() - 1);
            if now == index {
                return Err(Rejection::NothingToUndo(
                    "That column is in its place already; there is nothing to undo.".into(),
                ));
            }
            vec![marked(BoardEvent::ColumnMoved { column: *column, index: index as u32 })]
        }
        Undoable::BoardRenamed { before, after } => {
            if board.name() != after {
                return Err(Rejection::NothingToUndo(format!(
                    "The board was renamed '{}' since; there is nothing to undo.",
                    shown_text(board.name(), MAX_NAME)
                )));
            }
            vec![marked(BoardEvent::BoardRenamed { name: before.clone() })]
        }
    })
}

/// One open board's undo and redo lists in one tab: each entry is one command's changes. They
/// start empty whenever a board is opened.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UndoList {
    undo: Vec<Vec<UndoStep>>,
    redo: Vec<Vec<UndoStep>>,
}

impl UndoList {
    /// A command made these changes: they can be undone, and nothing can be redone any more.
    pub fn made(&mut self, steps: Vec<UndoStep>) {
        if !steps.is_empty() {
            self.undo.push(steps);
            self.redo.clear();
        }
    }

    /// The command that undoes the last change, if there is one.
    pub fn undo_command(&self) -> Option<crate::Command> {
        self.undo.last().map(|steps| crate::Command::Undo { steps: steps.clone(), redo: false })
    }

    /// The command that makes the last undone change again, if there is one.
    pub fn redo_command(&self) -> Option<crate::Command> {
        self.redo.last().map(|steps| crate::Command::Undo { steps: steps.clone(), redo: true })
    }

    /// The last change was undone by changes that `steps` take back: a redo makes it again.
    pub fn undone(&mut self, steps: Vec<UndoStep>) {
        self.undo.pop();
        if !steps.is_empty() {
            self.redo.push(steps);
        }
    }

    /// The last undone change was made again by changes that `steps` take back.
    pub fn redone(&mut self, steps: Vec<UndoStep>) {
        self.redo.pop();
        if !steps.is_empty() {
            self.undo.push(steps);
        }
    }

    /// The last change could not be undone (the reason was told): the next undo goes further back.
    pub fn undo_refused(&mut self) {
        self.undo.pop();
    }

    /// The last undone change could not be made again.
    pub fn redo_refused(&mut self) {
        self.redo.pop();
    }

    /// Whether there is a change to undo.
    pub fn can_undo(&self) -> bool {
        !self.undo.is_empty()
    }

    /// Whether there is a change to redo.
    pub fn can_redo(&self) -> bool {
        !self.redo.is_empty()
    }
}
