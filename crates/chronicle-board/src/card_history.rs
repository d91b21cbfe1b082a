//! One card's own history: every event that touched it, found through an index by card rather
//! than by reading the whole log, each said as a person reads it in the card's dialog (an
//! [`ActivityEntry`] whose text speaks of the card: "Moved from To do to Doing").

use chronicle_core::{Effect, Event, Payload};
use uuid::Uuid;

use crate::activity::{ActivityEntry, shown_text};
use crate::board::IdMap;
use crate::command::{MAX_NAME, MAX_TITLE};
use crate::event::BoardEvent;

/// The card an event acts on, if it acts on one.
pub fn card_of(event: &Event<BoardEvent>) -> Option<Uuid> {
    match event.known()?.change() {
        BoardEvent::CardAdded { card, .. }
        | BoardEvent::CardEdited { card, .. }
        | BoardEvent::CardMoved { card, .. }
        | BoardEvent::CardArchived { card }
        | BoardEvent::CardRestored { card, .. } => Some(*card),
        _ => None,
    }
}

/// The events of a log by the card they act on, and what a card's changes need to be said in
/// words: the effect of every event, and the name each column had last.
#[derive(Debug, Clone, Default)]
pub(crate) struct CardIndex {
    /// Positions (from 1) of the events that act on each card, in log order.
    by_card: IdMap<Vec<u32>>,
    /// The effect of every event of the log, in order, as the history's fold found it.
    effects: Vec<Effect>,
    /// The last name of every column the log ever named, removed ones included.
    column_names: IdMap<String>,
    /// How many events of the log are indexed by card.
    indexed: usize,
}

impl CardIndex {
    /// The effect of the next event of the log (the history folds each event once, for its
    /// keyframes, and tells it here).
    pub(crate) fn note(&mut self, effect: Effect) {
        self.effects.push(effect);
    }

    /// Indexes the events of the log after the ones it has.
    pub(crate) fn extend(&mut self, log: &[Event<BoardEvent>]) {
        for (i, event) in log.iter().enumerate().skip(self.indexed) {
            let position = i as u32 + 1;
            if let Some(card) = card_of(event) {
                self.by_card.entry(card).or_default().push(position);
            }
            if let Payload::Known(e) = &event.payload {
                match e.change() {
                    BoardEvent::BoardCreated { columns, .. } => {
                        for column in columns {
                            self.column_names.insert(column.id, column.name.clone());
                        }
                    }
                    BoardEvent::ColumnAdded { column, name } | BoardEvent::ColumnRenamed { column, name } => {
                        self.column_names.insert(*column, name.clone());
                    }
                    _ => {}
                }
            }
        }
        self.indexed = log.len();
    }

    /// The log was cut back to `log`.
    pub(crate) fn truncate(&mut self, log: &[Event<BoardEvent>]) {
        if log.len() >= self.indexed {
            return;
        }
        // Rare (a rebase placed others' events before ours): indexed again from the start; the
        // effects of the events kept stand.
        let mut effects = std::mem::take(&mut self.effects);
        effects.truncate(log.len());
        *self = CardIndex { effects, ..CardIndex::default() };
        self.extend(log);
    }

    /// The positions of the events that act on `card`.
    pub(crate) fn positions(&self, card: Uuid) -> &[u32] {
        self.by_card.get(&card).map_or(&[], Vec::as_slice)
    }

    /// `card`'s changes in `log`, oldest first.
    pub(crate) fn changes(&self, log: &[Event<BoardEvent>], card: Uuid) -> Vec<ActivityEntry> {
        let column = |id: &Uuid| match self.column_names.get(id) {
            Some(name) => shown_text(name, MAX_NAME).into_owned(),
            None => "a column this board never named".to_owned(),
        };
        let quoted = |text: &str| format!("'{}'", shown_text(text, MAX_TITLE));
        // What the card's own events said it was, to say what each one changed.
        let (mut title, mut description) = (None::<&str>, None::<&str>);
        let mut changes = Vec::new();
        for &position in self.positions(card) {
            let Some(event) = log.get(position as usize - 1) else { break };
            let Payload::Known(known) = &event.payload else { continue };
            let undone = match known {
                BoardEvent::Undo { mark, .. } if mark.redo => "Redid: ",
                BoardEvent::Undo { .. } => "Undid: ",
                _ => "",
            };
            let text = match known.change() {
                BoardEvent::CardAdded { column: to, title: t, description: d, .. } => {
                    (title, description) = (Some(t.as_str()), Some(d.as_str()));
                    format!("Added to {}", column(to))
                }
                BoardEvent::CardEdited { title: t, description: d, .. } => {
                    let renamed = title.is_some_and(|old| old != t);
                    let described = description.is_some_and(|old| old != d);
                    let text = match (renamed, described) {
                        (true, true) => format!(
                            "Renamed from {} to {}, and the description changed",
                            quoted(title.unwrap_or_default()),
                            quoted(t)
                        ),
                        (true, false) => format!("Renamed from {} to {}", quoted(title.unwrap_or_default()), quoted(t)),
                        (false, true) => "Description changed".to_owned(),
                        (false, false) => "Edited, with nothing changed".to_owned(),
                    };
                    (title, description) = (Some(t.as_str()), Some(d.as_str()));
                    text
                }
                BoardEvent::CardMoved { from, to, .. } if from == to => format!("Reordered in {}", column(to)),
                BoardEvent::CardMoved { from, to, .. } => format!("Moved from {} to {}", column(from), column(to)),
                BoardEvent::CardArchived { .. } => "Archived".to_owned(),
                BoardEvent::CardRestored { column: to, .. } => format!("Restored to {}", column(to)),
                _ => continue,
            };
            let effect = self.effects.get(position as usize - 1).copied().unwrap_or(Effect::Applied);
            let text = format!("{undone}{text}");
            let (device, at) = (event.meta.device, event.meta.at);
            changes.push(ActivityEntry {
                position: u64::from(position),
                event: event.meta.id,
                device,
                at,
                text,
                effect,
            });
        }
        changes
    }
}
