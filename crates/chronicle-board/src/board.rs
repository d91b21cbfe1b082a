//! The board as folded from its events: the write model commands are checked against, and the
//! `BoardView` read model the UI draws.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use chronicle_core::{Effect, Event, Payload, Projection};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::event::BoardEvent;

/// Hashes ids by folding their 128 bits. Ids are UUIDs with at least 74 random bits, so this
/// spreads them as well as SipHash does, at a fraction of the cost during replay.
#[derive(Default, Clone, Copy)]
pub(crate) struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.0 = (self.0.rotate_left(29) ^ u64::from_le_bytes(word)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
}

pub(crate) type IdMap<V> = HashMap<Uuid, V, BuildHasherDefault<IdHasher>>;

/// A column and the ids of its live (not archived) cards, top to bottom.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Column {
    /// The column's id.
    pub id: Uuid,
    /// The column's name.
    pub name: String,
    /// Live cards, in order.
    pub cards: Vec<Uuid>,
}

/// A card.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Card {
    /// The card's id.
    pub id: Uuid,
    /// Its title.
    pub title: String,
    /// Its description, possibly empty.
    pub description: String,
    /// The column it is in, or was in when it was archived.
    pub column: Uuid,
    /// Whether it is archived.
    pub archived: bool,
    /// When archived, the board's archive count at that moment: orders the archive.
    #[serde(default)]
    pub archived_order: u64,
}

/// A board: its name, columns in order, cards, and the names of the devices that edited it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Board {
    created: bool,
    name: String,
    columns: Vec<Column>,
    cards: IdMap<Card>,
    /// How many archivings there have been, to order the archive.
    archivings: u64,
    archived_count: usize,
    devices: IdMap<String>,
}

impl Board {
    /// Whether the board has been created.
    pub fn is_created(&self) -> bool {
        self.created
    }

    /// The board's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Columns, left to right.
    pub fn columns(&self) -> &[Column] {
        &self.columns
    }

    /// A column by id.
    pub fn column(&self, id: Uuid) -> Option<&Column> {
        self.columns.iter().find(|c| c.id == id)
    }

    /// The index of a column among the columns.
    pub fn column_index(&self, id: Uuid) -> Option<usize> {
        self.columns.iter().position(|c| c.id == id)
    }

    /// A card by id, archived or not.
    pub fn card(&self, id: Uuid) -> Option<&Card> {
        self.cards.get(&id)
    }

    /// Archived cards, most recently archived first.
    pub fn archived(&self) -> Vec<&Card> {
        let mut cards: Vec<&Card> = self.cards.values().filter(|c| c.archived).collect();
        cards.sort_by_key(|c| std::cmp::Reverse(c.archived_order));
        cards
    }

    /// Number of archived cards.
    pub fn archived_count(&self) -> usize {
        self.archived_count
    }

    /// Number of live cards.
    pub fn live_cards(&self) -> usize {
        self.columns.iter().map(|c| c.cards.len()).sum()
    }

    /// The name a device gave itself on this board, if it did.
    pub fn device_name(&self, device: Uuid) -> Option<&str> {
        self.devices.get(&device).map(String::as_str)
    }

    /// Where a live card sits: its column's index and its index in that column.
    pub fn position_of(&self, card: Uuid) -> Option<(usize, usize)> {
        let column = self.cards.get(&card).filter(|c| !c.archived)?.column;
        let column_index = self.column_index(column)?;
        let index = self.columns[column_index].cards.iter().position(|c| *c == card)?;
        Some((column_index, index))
    }

    /// Applies one event and says whether it changed anything. Never fails: an event that no
    /// longer applies (a move of an archived card, a card in a removed column) changes nothing.
    pub fn evolve(&mut self, event: &BoardEvent) -> Effect {
        let applied = match event {
            BoardEvent::BoardCreated { name, columns } => {
                if self.created {
                    false
                } else {
                    self.created = true;
                    self.name.clone_from(name);
                    for seed in columns {
                        if self.column(seed.id).is_none() {
                            self.columns.push(Column { id: seed.id, name: seed.name.clone(), cards: Vec::new() });
                        }
                    }
                    true
                }
            }
            BoardEvent::BoardRenamed { name } => {
                self.name.clone_from(name);
                true
            }
            BoardEvent::ColumnAdded { column, name } => {
                if self.column(*column).is_some() {
                    false
                } else {
                    self.columns.push(Column { id: *column, name: name.clone(), cards: Vec::new() });
                    true
                }
            }
            BoardEvent::ColumnRenamed { column, name } => match self.columns.iter_mut().find(|c| c.id == *column) {
                Some(c) => {
                    c.name.clone_from(name);
                    true
                }
                None => false,
            },
            BoardEvent::ColumnMoved { column, index } => match self.column_index(*column) {
                Some(from) => {
                    let moved = self.columns.remove(from);
                    let to = (*index as usize).min(self.columns.len());
                    self.columns.insert(to, moved);
                    true
                }
                None => false,
            },
            BoardEvent::ColumnRemoved { column } => match self.column_index(*column) {
                Some(i) if self.columns[i].cards.is_empty() => {
                    self.columns.remove(i);
                    true
                }
                _ => false,
            },
            BoardEvent::CardAdded { card, column, title, description } => {
                match (self.cards.contains_key(card), self.columns.iter_mut().find(|c| c.id == *column)) {
                    (false, Some(c)) => {
                        c.cards.push(*card);
                        let new = Card {
                            id: *card,
                            title: title.clone(),
                            description: description.clone(),
                            column: *column,
                            archived: false,
                            archived_order: 0,
                        };
                        self.cards.insert(*card, new);
                        true
                    }
                    _ => false,
                }
            }
            BoardEvent::CardEdited { card, title, description } => match self.cards.get_mut(card) {
                Some(c) => {
                    c.title.clone_from(title);
                    c.description.clone_from(description);
                    true
                }
                None => false,
            },
            BoardEvent::CardMoved { card, to, index, .. } => self.move_card(*card, *to, *index as usize),
            BoardEvent::CardArchived { card } => match self.position_of(*card) {
                Some((column, index)) => {
                    self.columns[column].cards.remove(index);
                    self.archivings += 1;
                    self.archived_count += 1;
                    if let Some(c) = self.cards.get_mut(card) {
                        c.archived = true;
                        c.archived_order = self.archivings;
                    }
                    true
                }
                None => false,
            },
            BoardEvent::CardRestored { card, column } => self.restore_card(*card, *column),
            BoardEvent::DeviceNamed { device, name } => {
                self.devices.insert(*device, name.clone());
                true
            }
        };
        if applied { Effect::Applied } else { Effect::NoEffect }
    }

    fn move_card(&mut self, card: Uuid, to: Uuid, index: usize) -> bool {
        // The hot path of every replay: one map lookup, then work within the two columns only.
        let Some(target) = self.column_index(to) else { return false };
        let Some(c) = self.cards.get_mut(&card).filter(|c| !c.archived) else { return false };
        let from_id = c.column;
        let Some(source) = self.columns.iter().position(|col| col.id == from_id) else { return false };
        let Some(from) = self.columns[source].cards.iter().position(|x| *x == card) else { return false };
        c.column = to;
        if source == target {
            let cards = &mut self.columns[source].cards;
            let to = index.min(cards.len() - 1);
            if to < from {
                cards[to..=from].rotate_right(1);
            } else {
                cards[from..=to].rotate_left(1);
            }
        } else {
            self.columns[source].cards.remove(from);
            let cards = &mut self.columns[target].cards;
            cards.insert(index.min(cards.len()), card);
        }
        true
    }

    fn restore_card(&mut self, card: Uuid, column: Uuid) -> bool {
        let archived = self.cards.get(&card).is_some_and(|c| c.archived);
        if !archived {
            return false;
        }
        // The column may have been removed meanwhile on another device; the card then lands in
        // the first column rather than staying lost.
        let target = self.column_index(column).or(if self.columns.is_empty() { None } else { Some(0) });
        let Some(target) = target else { return false };
        let target_id = self.columns[target].id;
        self.columns[target].cards.push(card);
        self.archived_count -= 1;
        if let Some(c) = self.cards.get_mut(&card) {
            c.archived = false;
            c.column = target_id;
        }
        true
    }
}

impl Projection<BoardEvent> for Board {
    fn apply(&mut self, event: &Event<BoardEvent>) {
        if let Payload::Known(e) = &event.payload {
            self.evolve(e);
        }
    }
}
