//! The board as folded from its events: the write model commands are checked against, and the
//! `BoardView` read model the UI draws.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};

use chronicle_core::{Effect, Event, Payload, Projection};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::event::BoardEvent;

/// The key of the id hashes. A fixed default keeps native tests and benchmarks repeatable; the
/// app sets a random one at start ([`seed_id_hashes`]), so that nobody can choose ids that all
/// land in one bucket and make every lookup on a shared board scan them all.
static ID_HASH_KEY: AtomicU64 = AtomicU64::new(0x243F_6A88_85A3_08D3);

/// Keys the hashing of card and column ids with `key`, which should be random. Call it once,
/// before any board is read: maps built before keep working but are slower to search after.
pub fn seed_id_hashes(key: u64) {
    ID_HASH_KEY.store(key, Ordering::Relaxed);
}

/// Hashes ids with one folded multiply per 16 bytes, keyed with what [`seed_id_hashes`] set: every bit of the
/// id reaches every bit of the hash, so ids that differ only in a few bytes (as crafted or
/// sequential ones do) spread as well as random ones, at a fraction of SipHash's cost.
#[derive(Default, Clone, Copy)]
pub struct IdHasher(u64);

impl IdHasher {
    fn mix(&mut self, word: u128) {
        let key = ID_HASH_KEY.load(Ordering::Relaxed);
        let (low, high) = (word as u64, (word >> 64) as u64);
        self.0 = folded_multiply(low ^ key ^ self.0, high ^ 0x9E37_79B9_7F4A_7C15);
    }
}

fn folded_multiply(x: u64, y: u64) -> u64 {
    let product = u128::from(x) * u128::from(y);
    (product as u64) ^ ((product >> 64) as u64)
}

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // An id is exactly one word: read it as one, without the padded copy (a call to `memcpy`
        // and one to `memset`) that a chunk of unknown length needs.
        if let Ok(id) = <[u8; 16]>::try_from(bytes) {
            self.mix(u128::from_le_bytes(id));
            return;
        }
        for chunk in bytes.chunks(16) {
            let mut word = [0u8; 16];
            word[..chunk.len()].copy_from_slice(chunk);
            self.mix(u128::from_le_bytes(word));
        }
    }

    fn write_usize(&mut self, n: usize) {
        // Only the length before an id's bytes comes here; it is the same for every id.
        self.0 ^= n as u64;
    }
}

/// Finds a slot in a column. Columns are scanned on every move during replay, so the scan goes
/// a group of slots at a time, asking `any` whether the group holds the slot without an early
/// exit inside it; only the group that does is searched one by one. Always inlined, so that the
/// WebAssembly caller's SIMD compares are built into its own loop.
#[inline(always)]
fn find_in_groups<const N: usize>(slots: &[u32], slot: u32, any: impl Fn(&[u32; N]) -> bool) -> Option<usize> {
    let (groups, rest) = slots.as_chunks::<N>();
    for (g, group) in groups.iter().enumerate() {
        if any(group) {
            return group.iter().position(|s| *s == slot).map(|i| g * N + i);
        }
    }
    rest.iter().position(|s| *s == slot).map(|i| slots.len() - rest.len() + i)
}

/// [`find_in_groups`] eight slots at a time, which the compiler turns into vector compares.
#[cfg(not(target_arch = "wasm32"))]
fn find_slot(slots: &[u32], slot: u32) -> Option<usize> {
    find_in_groups::<8>(slots, slot, |group| group.iter().fold(false, |hit, s| hit | (*s == slot)))
}

/// [`find_in_groups`] four slots at a time with WebAssembly's SIMD instructions, which every
/// engine Chronicle runs in has: the size-first build vectorises no loop by itself, and this scan
/// is a fifth of a replay's time without them.
#[cfg(target_arch = "wasm32")]
#[target_feature(enable = "simd128")]
fn find_slot(slots: &[u32], slot: u32) -> Option<usize> {
    use core::arch::wasm32::{u32x4, u32x4_eq, u32x4_splat, v128_any_true};
    let wanted = u32x4_splat(slot);
    find_in_groups::<4>(slots, slot, |&[a, b, c, d]| v128_any_true(u32x4_eq(u32x4(a, b, c, d), wanted)))
}

/// A map keyed by ids, hashed with [`IdHasher`]: a fraction of the default hasher's cost, and as
/// safe against chosen ids once [`seed_id_hashes`] has run.
pub type IdMap<V> = HashMap<Uuid, V, BuildHasherDefault<IdHasher>>;

/// What one event changed on a board.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Change {
    /// Nothing: the event no longer applies.
    Nothing,
    /// The board, but no card: its name, its columns, a device's name.
    Board,
    /// The card at this slot of the arena.
    Card(u32),
}

/// A column and its live (not archived) cards, top to bottom.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Column {
    /// The column's id.
    #[serde(deserialize_with = "chronicle_core::id::read")]
    pub id: Uuid,
    /// The column's name.
    pub name: String,
    /// Live cards, in order, as slots in the board's card arena: replay moves cards by shifting
    /// these 4-byte slots rather than 16-byte ids.
    cards: Vec<u32>,
}

impl Column {
    /// Number of live cards in the column.
    pub fn len(&self) -> usize {
        self.cards.len()
    }

    /// Whether the column has no live cards.
    pub fn is_empty(&self) -> bool {
        self.cards.is_empty()
    }
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
    /// The device whose event last changed the card: an undo refused because of it says who.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_device: Option<Uuid>,
}

/// A board: its name, columns in order, cards, and the names of the devices that edited it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "BoardWire", into = "BoardWire")]
pub struct Board {
    created: bool,
    name: String,
    columns: Vec<Column>,
    /// Column id to its index in `columns`: nearly every event names a column, and finding it
    /// must not cost more on a board with many columns.
    column_at: IdMap<u32>,
    /// Every card ever added, archived or not; a card's slot is its index here.
    cards: Vec<Card>,
    /// Card id to slot, for every card.
    slots: IdMap<u32>,
    /// Live cards only, by id: a few hundred entries that stay in cache, where nearly every
    /// event looks its card up.
    live: IdMap<Live>,
    /// How many archivings there have been, to order the archive.
    archivings: u64,
    archived_count: usize,
    devices: IdMap<String>,
}

/// Where a live card is: its slot, and the index of the column whose list holds it. A move finds
/// the card's column from here rather than from the card itself, which lies somewhere in an arena
/// of every card ever added and would be one more wait on memory in the replay's chain of lookups.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Live {
    slot: u32,
    column: u32,
}

/// The snapshot form of a board. The id indexes are rebuilt on reading rather than stored, and
/// each card is a row that names its column and last device by their place in `ids`, which holds
/// each of them once: a long board's snapshot is mostly archived cards, and those two ids written
/// out were half of each card's size.
#[derive(Serialize, Deserialize)]
struct BoardWire {
    created: bool,
    name: String,
    columns: Vec<Column>,
    /// The columns and devices the cards name.
    ids: Vec<Uuid>,
    cards: Vec<CardRow>,
    archivings: u64,
    devices: IdMap<String>,
}

/// A card in the snapshot form: id, title, description, column (its place in
/// [`BoardWire::ids`]), whether archived, archive order, and last device (its place in `ids`).
#[derive(Serialize, Deserialize)]
struct CardRow(
    #[serde(deserialize_with = "chronicle_core::id::read")] Uuid,
    String,
    String,
    u32,
    bool,
    u64,
    Option<u32>,
);

impl From<Board> for BoardWire {
    fn from(b: Board) -> Self {
        let mut ids = Vec::new();
        let mut places: IdMap<u32> = IdMap::default();
        let mut place = |id: Uuid| {
            *places.entry(id).or_insert_with(|| {
                ids.push(id);
                ids.len() as u32 - 1
            })
        };
        let cards = b
            .cards
            .into_iter()
            .map(|c| {
                let (column, device) = (place(c.column), c.last_device.map(&mut place));
                CardRow(c.id, c.title, c.description, column, c.archived, c.archived_order, device)
            })
            .collect();
        BoardWire {
            created: b.created,
            name: b.name,
            columns: b.columns,
            ids,
            cards,
            archivings: b.archivings,
            devices: b.devices,
        }
    }
}

/// Why a board's snapshot form cannot be read.
#[derive(Debug, thiserror::Error)]
#[error("a card names id {0} of a snapshot that holds {1}")]
struct UnknownPlace(u32, usize);

impl TryFrom<BoardWire> for Board {
    type Error = UnknownPlace;

    /// Reads the snapshot form. A card that names an id the snapshot does not hold makes it
    /// unreadable; slots that point past the arena are dropped rather than trusted. Either way a
    /// damaged snapshot can never make a later replay panic.
    fn try_from(w: BoardWire) -> Result<Self, UnknownPlace> {
        let id = |place: u32| w.ids.get(place as usize).copied().ok_or(UnknownPlace(place, w.ids.len()));
        let mut cards = w
            .cards
            .into_iter()
            .map(|CardRow(card, title, description, column, archived, archived_order, device)| {
                Ok(Card {
                    id: card,
                    title,
                    description,
                    column: id(column)?,
                    archived,
                    archived_order,
                    last_device: device.map(id).transpose()?,
                })
            })
            .collect::<Result<Vec<Card>, UnknownPlace>>()?;
        let slots: IdMap<u32> = cards.iter().enumerate().map(|(i, c)| (c.id, i as u32)).collect();
        let mut columns = w.columns;
        let mut seen = IdMap::default();
        columns.retain(|c| seen.insert(c.id, ()).is_none());
        let mut live: IdMap<Live> = IdMap::default();
        for (i, column) in columns.iter_mut().enumerate() {
            // A live card is in one column's list once; a damaged snapshot's other entries go.
            column.cards.retain(|slot| match cards.get(*slot as usize) {
                Some(card) if !card.archived && card.column == column.id => {
                    live.insert(card.id, Live { slot: *slot, column: i as u32 }).is_none()
                }
                _ => false,
            });
        }
        // A card neither archived nor in any column's list (a damaged snapshot) is put in the
        // archive, where it can be seen and restored, rather than kept where nothing shows it.
        for card in cards.iter_mut().filter(|c| !c.archived && !live.contains_key(&c.id)) {
            card.archived = true;
        }
        let archived_count = cards.iter().filter(|c| c.archived).count();
        let column_at = columns.iter().enumerate().map(|(i, c)| (c.id, i as u32)).collect();
        Ok(Board {
            created: w.created,
            name: w.name,
            columns,
            column_at,
            cards,
            slots,
            live,
            archivings: w.archivings,
            archived_count,
            devices: w.devices,
        })
    }
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
        self.column_index(id).map(|i| &self.columns[i])
    }

    /// The index of a column among the columns.
    pub fn column_index(&self, id: Uuid) -> Option<usize> {
        let i = *self.column_at.get(&id)? as usize;
        (self.columns.get(i)?.id == id).then_some(i)
    }

    /// The column a live card is in.
    pub fn live_column_of(&self, card: Uuid) -> Option<Uuid> {
        let live = self.live.get(&card)?;
        self.columns.get(live.column as usize).map(|c| c.id)
    }

    fn push_column(&mut self, id: Uuid, name: &str) {
        self.column_at.insert(id, self.columns.len() as u32);
        self.columns.push(Column { id, name: name.to_owned(), cards: Vec::new() });
    }

    /// Indexes the columns in `range` again, and the live cards in them, after a removal or a
    /// move shifted them.
    fn reindex_columns(&mut self, range: std::ops::Range<usize>) {
        for i in range {
            self.column_at.insert(self.columns[i].id, i as u32);
            for slot in &self.columns[i].cards {
                if let Some(live) = self.live.get_mut(&self.cards[*slot as usize].id) {
                    live.column = i as u32;
                }
            }
        }
    }

    /// The live cards of a column, top to bottom.
    pub fn cards_in<'a>(&'a self, column: &'a Column) -> impl Iterator<Item = &'a Card> + 'a {
        column.cards.iter().filter_map(|slot| self.cards.get(*slot as usize))
    }

    /// The ids of a column's live cards, top to bottom; empty for an unknown column.
    pub fn card_ids(&self, column: Uuid) -> Vec<Uuid> {
        self.column(column).map(|c| self.cards_in(c).map(|card| card.id).collect()).unwrap_or_default()
    }

    /// A card by id, archived or not.
    pub fn card(&self, id: Uuid) -> Option<&Card> {
        self.slots.get(&id).and_then(|slot| self.cards.get(*slot as usize))
    }

    /// The slot of a card in the arena, archived or not.
    fn slot_of(&self, id: Uuid) -> Option<u32> {
        self.live.get(&id).map(|live| live.slot).or_else(|| self.slots.get(&id).copied())
    }

    /// Archived cards, most recently archived first.
    pub fn archived(&self) -> Vec<&Card> {
        let mut cards: Vec<&Card> = self.cards.iter().filter(|c| c.archived).collect();
        cards.sort_by_key(|c| std::cmp::Reverse(c.archived_order));
        cards
    }

    /// Number of archived cards.
    pub fn archived_count(&self) -> usize {
        self.archived_count
    }

    /// Number of live cards.
    pub fn live_cards(&self) -> usize {
        self.columns.iter().map(Column::len).sum()
    }

    /// The name a device gave itself on this board, if it did.
    pub fn device_name(&self, device: Uuid) -> Option<&str> {
        self.devices.get(&device).map(String::as_str)
    }

    /// Where a live card sits: its column's index and its index in that column.
    pub fn position_of(&self, card: Uuid) -> Option<(usize, usize)> {
        let Live { slot, column } = *self.live.get(&card)?;
        let index = find_slot(&self.columns.get(column as usize)?.cards, slot)?;
        Some((column as usize, index))
    }

    /// Applies one event and says whether it changed anything. Never fails: an event that no
    /// longer applies (a move of an archived card, a card in a removed column) changes nothing.
    pub fn evolve(&mut self, event: &BoardEvent) -> Effect {
        match self.change(event) {
            Change::Nothing => Effect::NoEffect,
            Change::Board | Change::Card(_) => Effect::Applied,
        }
    }

    /// Applies one event, as [`Board::evolve`] does, and says which card it changed, if any, so
    /// that a caller marking the card finds it without looking it up again.
    fn change(&mut self, event: &BoardEvent) -> Change {
        let applied = match event {
            BoardEvent::Undo { change, .. } => return self.change(change),
            BoardEvent::BoardCreated { name, columns } => {
                if self.created {
                    false
                } else {
                    self.created = true;
                    self.name.clone_from(name);
                    for seed in columns {
                        if self.column(seed.id).is_none() {
                            self.push_column(seed.id, &seed.name);
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
                    self.push_column(*column, name);
                    true
                }
            }
            BoardEvent::ColumnRenamed { column, name } => match self.column_index(*column) {
                Some(i) => {
                    self.columns[i].name.clone_from(name);
                    true
                }
                None => false,
            },
            BoardEvent::ColumnMoved { column, index } => match self.column_index(*column) {
                Some(from) => {
                    let moved = self.columns.remove(from);
                    let to = (*index as usize).min(self.columns.len());
                    self.columns.insert(to, moved);
                    self.reindex_columns(from.min(to)..from.max(to) + 1);
                    true
                }
                None => false,
            },
            BoardEvent::ColumnRemoved { column } => match self.column_index(*column) {
                Some(i) if self.columns[i].cards.is_empty() => {
                    self.columns.remove(i);
                    self.column_at.remove(column);
                    self.reindex_columns(i..self.columns.len());
                    true
                }
                _ => false,
            },
            BoardEvent::CardAdded { card, column, title, description } => {
                let target = self.column_index(*column);
                match target {
                    Some(target) if !self.slots.contains_key(card) => {
                        let slot = self.cards.len() as u32;
                        self.cards.push(Card {
                            id: *card,
                            title: title.clone(),
                            description: description.clone(),
                            column: *column,
                            archived: false,
                            archived_order: 0,
                            last_device: None,
                        });
                        self.slots.insert(*card, slot);
                        self.live.insert(*card, Live { slot, column: target as u32 });
                        self.columns[target].cards.push(slot);
                        return Change::Card(slot);
                    }
                    _ => false,
                }
            }
            BoardEvent::CardEdited { card, title, description } => match self.slot_of(*card) {
                Some(slot) => {
                    let c = &mut self.cards[slot as usize];
                    c.title.clone_from(title);
                    c.description.clone_from(description);
                    return Change::Card(slot);
                }
                None => false,
            },
            BoardEvent::CardMoved { card, to, index, .. } => return self.move_card(*card, *to, *index as usize),
            BoardEvent::CardArchived { card } => match (self.position_of(*card), self.live.get(card).copied()) {
                (Some((column, index)), Some(Live { slot, .. })) => {
                    self.columns[column].cards.remove(index);
                    self.live.remove(card);
                    self.archivings += 1;
                    self.archived_count += 1;
                    let order = self.archivings;
                    let c = &mut self.cards[slot as usize];
                    c.archived = true;
                    c.archived_order = order;
                    return Change::Card(slot);
                }
                _ => false,
            },
            BoardEvent::CardRestored { card, column } => return self.restore_card(*card, *column),
            BoardEvent::DeviceNamed { device, name } => {
                self.devices.insert(*device, name.clone());
                true
            }
        };
        if applied { Change::Board } else { Change::Nothing }
    }

    fn move_card(&mut self, card: Uuid, to: Uuid, index: usize) -> Change {
        // The hot path of every replay: one map lookup, then work within the two columns only.
        let Some(target) = self.column_index(to) else { return Change::Nothing };
        let Some(live) = self.live.get_mut(&card) else { return Change::Nothing };
        let Live { slot, column: source } = *live;
        let source = source as usize;
        let Some(from) = self.columns.get(source).and_then(|c| find_slot(&c.cards, slot)) else {
            return Change::Nothing;
        };
        live.column = target as u32;
        self.cards[slot as usize].column = to;
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
            cards.insert(index.min(cards.len()), slot);
        }
        Change::Card(slot)
    }

    fn restore_card(&mut self, card: Uuid, column: Uuid) -> Change {
        // A card that is not live is archived (a snapshot is read so): knowing that from the
        // small map of live cards spares a read of the card, far off in the arena, before writing it.
        if self.live.contains_key(&card) {
            return Change::Nothing;
        }
        let Some(&slot) = self.slots.get(&card) else { return Change::Nothing };
        // The column may have been removed meanwhile on another device; the card then lands in
        // the first column rather than staying lost.
        let target = self.column_index(column).or(if self.columns.is_empty() { None } else { Some(0) });
        let Some(target) = target else { return Change::Nothing };
        let target_id = self.columns[target].id;
        self.columns[target].cards.push(slot);
        self.live.insert(card, Live { slot, column: target as u32 });
        self.archived_count -= 1;
        let c = &mut self.cards[slot as usize];
        c.archived = false;
        c.column = target_id;
        Change::Card(slot)
    }
}

impl Board {
    /// Applies a recorded event, as [`Board::evolve`] does, with one rule that needs to know who
    /// recorded it: a device names only itself, so a `device_named` event about another device
    /// has no effect (nobody can rename someone else's device on every board they share).
    pub fn apply_event(&mut self, event: &Event<BoardEvent>) -> Effect {
        match &event.payload {
            Payload::Known(BoardEvent::DeviceNamed { device, .. }) if *device != event.meta.device => Effect::NoEffect,
            Payload::Known(e) => match self.change(e) {
                Change::Nothing => Effect::NoEffect,
                Change::Board => Effect::Applied,
                Change::Card(slot) => {
                    self.cards[slot as usize].last_device = Some(event.meta.device);
                    Effect::Applied
                }
            },
            Payload::Unreadable(_) => Effect::Unreadable,
        }
    }
}

impl Projection<BoardEvent> for Board {
    fn apply(&mut self, event: &Event<BoardEvent>) {
        self.apply_event(event);
    }
}

#[cfg(test)]
mod tests {
    use super::{Board, IdHasher, find_slot};
    use crate::event::{BoardEvent, ColumnSeed};
    use chronicle_core::Effect;
    use serde_json::json;
    use std::hash::{BuildHasher, BuildHasherDefault};
    use uuid::Uuid;

    /// A snapshot whose column lists name a card twice, name it in a column it is not in, name an
    /// archived card, or leave a live card out reads back with each live card once, in its own
    /// column, and the card left out in the archive; each of them then moves, is archived or is
    /// restored as on a sound board.
    #[test]
    fn a_snapshot_with_damaged_column_lists_reads_with_each_card_shown_once() {
        let [a, b, x, y, z] = [1, 2, 3, 4, 5].map(Uuid::from_u128);
        let mut board = Board::default();
        let columns = [(a, "A"), (b, "B")].map(|(id, name)| ColumnSeed { id, name: name.into() }).to_vec();
        board.evolve(&BoardEvent::BoardCreated { name: "Board".into(), columns });
        for card in [x, y, z] {
            let (title, description) = ("Card".into(), String::new());
            board.evolve(&BoardEvent::CardAdded { card, column: a, title, description });
        }
        board.evolve(&BoardEvent::CardArchived { card: y });
        let mut wire = serde_json::to_value(&board).expect("a board writes");
        wire["columns"][0]["cards"] = json!([0, 0, 1]);
        wire["columns"][1]["cards"] = json!([0]);
        let mut read: Board = serde_json::from_value(wire).expect("a damaged snapshot still reads");
        assert_eq!((read.card_ids(a), read.card_ids(b)), (vec![x], vec![]));
        assert_eq!(read.position_of(x), Some((0, 0)));
        assert_eq!(read.archived().iter().map(|c| c.id).collect::<Vec<_>>(), vec![y, z]);
        assert_eq!(read.evolve(&BoardEvent::CardMoved { card: x, from: a, to: b, index: 0 }), Effect::Applied);
        assert_eq!((read.card_ids(a), read.card_ids(b)), (vec![], vec![x]));
        assert_eq!(read.live_column_of(x), Some(b));
        assert_eq!(read.evolve(&BoardEvent::CardRestored { card: z, column: a }), Effect::Applied);
        assert_eq!(read.evolve(&BoardEvent::CardRestored { card: z, column: a }), Effect::NoEffect);
        assert_eq!(read.evolve(&BoardEvent::CardArchived { card: x }), Effect::Applied);
        assert_eq!((read.card_ids(a), read.card_ids(b), read.archived_count()), (vec![z], vec![], 2));
    }

    /// Ids that differ only in their last bytes, or only in their first, land in as many buckets
    /// of a table as random ids would (about 63% of the buckets for as many ids as buckets), in
    /// the low bits that pick a bucket and the high bits that tag it.
    #[test]
    fn ids_that_differ_in_a_few_bytes_spread_over_every_bucket() {
        let hashes = BuildHasherDefault::<IdHasher>::default();
        const BITS: u32 = 14;
        type Family = (&'static str, fn(u128) -> Uuid);
        let families: [Family; 3] = [
            ("last bytes", |n| Uuid::from_u128(1 << 64 | n)),
            ("first bytes", |n| Uuid::from_u128(n << 112 | 7)),
            ("middle bytes", |n| Uuid::from_u128(n << 60)),
        ];
        for (name, id) in families {
            let mut low = vec![false; 1 << BITS];
            let mut high = std::collections::HashSet::new();
            for n in 0..1u128 << BITS {
                let hash = hashes.hash_one(id(n));
                low[(hash & ((1 << BITS) - 1)) as usize] = true;
                high.insert(hash >> (64 - BITS));
            }
            let filled = low.iter().filter(|b| **b).count() as f64 / f64::from(1u32 << BITS);
            let tagged = high.len() as f64 / f64::from(1u32 << BITS);
            assert!(filled > 0.55 && tagged > 0.55, "{name}: {filled:.2} of the buckets, {tagged:.2} of the tags");
        }
    }

    #[test]
    fn find_slot_finds_every_slot_and_nothing_else() {
        for len in 0..40u32 {
            let slots: Vec<u32> = (0..len).map(|i| i * 3 + 1).collect();
            for (i, s) in slots.iter().enumerate() {
                assert_eq!(find_slot(&slots, *s), Some(i), "slot {s} of {len}");
            }
            assert_eq!(find_slot(&slots, 0), None);
            assert_eq!(find_slot(&slots, len * 3 + 1), None);
        }
    }
}
