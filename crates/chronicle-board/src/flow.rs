//! Cards per column over time: the data of a cumulative flow diagram.
//!
//! Only changes are kept: each event that changed how many live cards a column holds adds one
//! change per column it changed (two for a move between columns), so an event costs the same
//! however many columns, cards or devices came before it, and is kept in four bytes. The counts of
//! every column at a point are read back from the nearest checkpoint plus the changes after it.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::board::IdMap;

/// Changes between checkpoints, at least; a board with more columns than this spaces them as far
/// apart as it has columns, so that checkpoints never cost more than the changes they cover.
const CHECKPOINT_EVERY: usize = 1024;

/// A change packed into four bytes: how far its event is from the previous change's (16 bits),
/// the column's slot (8 bits) and how much its count moved (8 bits, signed). Nearly every change
/// fits: an event is seldom tens of thousands after the last change, a board seldom has used
/// hundreds of columns, and a card added, moved or archived moves a count by one. One that does
/// not is [`WIDE`], and is kept whole in [`FlowStats::wide`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Packed(u32);

/// The packed form of a change kept whole.
const WIDE: Packed = Packed(u32::MAX);

impl Packed {
    /// Packs a change `since` positions after the last, of the column at `slot`, whose count
    /// moved by `difference`; [`WIDE`] when it does not fit.
    fn new(since: u64, slot: u32, difference: i64) -> Packed {
        match (u16::try_from(since), u8::try_from(slot), i8::try_from(difference)) {
            (Ok(since), Ok(slot), Ok(difference)) if since < u16::MAX => {
                Packed(u32::from(since) | u32::from(slot) << 16 | u32::from(difference as u8) << 24)
            }
            _ => WIDE,
        }
    }
}

/// A change kept whole: the position of its event, the column's slot, its new count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Wide {
    position: u64,
    slot: u32,
    count: u32,
}

/// Every column's count after a number of changes, and where reading goes on from there.
#[derive(Debug, Clone)]
struct Checkpoint {
    /// How many changes come before it.
    changes: usize,
    /// How many of them were kept whole.
    wide: usize,
    /// The position of the last change before it.
    position: u64,
    /// Counts per slot.
    counts: Vec<u32>,
}

/// How many live cards each column held after every event of the log.
///
/// The snapshot form (`FlowWire`) keeps two small numbers a change, as bytes.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(try_from = "FlowWire", into = "FlowWire")]
pub struct FlowStats {
    /// Every column that ever held a card; a column's slot is its index here.
    columns: Vec<Uuid>,
    slots: IdMap<u32>,
    /// Changes in log order, four bytes each, where a decoded one would take sixteen: a
    /// million-event board's flow is 4.4 MB, not 17.6.
    changes: Vec<Packed>,
    /// The changes that do not fit four bytes, in order.
    wide: Vec<Wide>,
    /// The position of the last change.
    position: u64,
    /// Counts per slot after the last change.
    counts: Vec<u32>,
    /// Every so many changes.
    checkpoints: Vec<Checkpoint>,
}

impl FlowStats {
    /// Whether no column ever held a card.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// Every change, oldest first: the position of the event, the column and its new count.
    pub fn changes(&self) -> impl Iterator<Item = (u64, Uuid, u32)> + '_ {
        let mut changes = Vec::with_capacity(self.changes.len());
        self.read(None, u64::MAX, |position, slot, count| changes.push((position, self.columns[slot], count)));
        changes.into_iter()
    }

    /// How many live cards each of `columns` held after the event at `position` (from 1); 0 for
    /// a column that held none then or that this history never saw.
    pub fn counts_at(&self, position: u64, columns: &[Uuid]) -> Vec<u32> {
        // Positions never go down: every change before a checkpoint at or before `position`
        // counts, and those after it are read until one comes later.
        let before = self.checkpoints.partition_point(|c| c.position <= position);
        let counts = self.read(before.checked_sub(1).map(|i| &self.checkpoints[i]), position, |_, _, _| ());
        columns
            .iter()
            .map(|id| self.slots.get(id).and_then(|slot| counts.get(*slot as usize)).copied().unwrap_or(0))
            .collect()
    }

    /// Reads the changes after `checkpoint` (or all) up to the event at `position`, telling
    /// `visit` each one's position, slot and new count, and gives every slot's count then.
    fn read(&self, checkpoint: Option<&Checkpoint>, position: u64, mut visit: impl FnMut(u64, usize, u32)) -> Vec<u32> {
        let (first, mut wide, mut at, mut counts) = match checkpoint {
            Some(c) => (c.changes, c.wide, c.position, c.counts.clone()),
            None => (0, 0, 0, Vec::new()),
        };
        counts.resize(self.columns.len(), 0);
        for packed in &self.changes[first..] {
            let (slot, count) = if *packed == WIDE {
                let change = self.wide[wide];
                if change.position > position {
                    break;
                }
                wide += 1;
                at = change.position;
                (change.slot as usize, change.count)
            } else {
                let since = u64::from(packed.0 & 0xFFFF);
                if at + since > position {
                    break;
                }
                at += since;
                let slot = (packed.0 >> 16 & 0xFF) as usize;
                (slot, counts[slot].wrapping_add_signed(i32::from((packed.0 >> 24) as u8 as i8)))
            };
            counts[slot] = count;
            visit(at, slot, count);
        }
        counts
    }

    /// A column now holds `count` live cards, after the event at `position`.
    pub(crate) fn record(&mut self, position: u64, column: Uuid, count: u32) {
        let slot = match self.slots.get(&column) {
            Some(&slot) => slot,
            None => {
                let slot = self.columns.len() as u32;
                self.columns.push(column);
                self.slots.insert(column, slot);
                self.counts.push(0);
                slot
            }
        };
        self.push(position, slot, count);
    }

    /// Adds a change of the column at `slot`, which must be one of [`FlowStats::columns`].
    fn push(&mut self, position: u64, slot: u32, count: u32) {
        let now = &mut self.counts[slot as usize];
        if *now == count {
            return;
        }
        let difference = i64::from(count) - i64::from(*now);
        *now = count;
        // Positions only grow; a damaged snapshot's position cannot unsort the changes.
        let position = position.max(self.position);
        let packed = Packed::new(position - self.position, slot, difference);
        if packed == WIDE {
            self.wide.push(Wide { position, slot, count });
        }
        self.changes.push(packed);
        self.position = position;
        let last = self.checkpoints.last().map_or(0, |c| c.changes);
        if self.changes.len() - last >= CHECKPOINT_EVERY.max(self.columns.len()) {
            let (changes, wide, counts) = (self.changes.len(), self.wide.len(), self.counts.clone());
            self.checkpoints.push(Checkpoint { changes, wide, position, counts });
        }
    }
}

/// Two flows are equal when they hold the same changes; checkpoints only make reading faster and
/// may be spaced differently in a flow read back from a snapshot.
impl PartialEq for FlowStats {
    fn eq(&self, other: &Self) -> bool {
        // A change's packed form depends only on it and the change before it.
        self.columns == other.columns && self.changes == other.changes && self.wide == other.wide
    }
}

impl Eq for FlowStats {}

/// The snapshot form: `changes` is base64url, without padding, of two LEB128 numbers per change:
/// the position as a difference from the previous change's, then the column's slot and the
/// difference from that column's previous count together, as `zigzag(difference) × columns +
/// slot`. A card added, archived or moved changes a count by one, so each change takes two bytes
/// on a board of up to 32 columns, and a long board's flow is read without parsing millions of
/// JSON numbers.
#[derive(Serialize, Deserialize)]
struct FlowWire {
    columns: Vec<Uuid>,
    changes: String,
}

impl From<FlowStats> for FlowWire {
    fn from(flow: FlowStats) -> Self {
        let columns = flow.columns.len().max(1) as u64;
        let mut bytes = Vec::with_capacity(flow.changes.len() * 2);
        let mut position = 0u64;
        let mut counts = vec![0u32; flow.columns.len()];
        flow.read(None, u64::MAX, |at, slot, count| {
            let before = std::mem::replace(&mut counts[slot], count);
            let difference = i64::from(count) - i64::from(before);
            let zigzag = ((difference << 1) ^ (difference >> 63)) as u64;
            write_leb128(&mut bytes, at.saturating_sub(position));
            // At most 2^33 × the columns ever used: far inside 64 bits.
            write_leb128(&mut bytes, zigzag * columns + slot as u64);
            position = at;
        });
        FlowWire { columns: flow.columns, changes: URL_SAFE_NO_PAD.encode(bytes) }
    }
}

/// Why the snapshot form of a flow cannot be read.
#[derive(Debug, thiserror::Error)]
enum FlowWireError {
    /// Not base64url.
    #[error("the flow's changes are not base64url: {0}")]
    Encoding(String),
    /// A number cut short or longer than 64 bits.
    #[error("the flow's changes end in the middle of a number")]
    Truncated,
}

impl TryFrom<FlowWire> for FlowStats {
    type Error = FlowWireError;

    /// Reads the snapshot form. Bytes that do not make whole numbers make it unreadable; counts
    /// out of range are clamped and a change of a column it does not list is left out, so a
    /// damaged snapshot yields odd statistics or none, never a panic.
    fn try_from(wire: FlowWire) -> Result<Self, FlowWireError> {
        let mut flow = FlowStats::default();
        for id in wire.columns {
            if !flow.slots.contains_key(&id) {
                flow.slots.insert(id, flow.columns.len() as u32);
                flow.columns.push(id);
            }
        }
        flow.counts = vec![0; flow.columns.len()];
        let columns = flow.columns.len().max(1) as u64;
        let bytes = URL_SAFE_NO_PAD.decode(wire.changes).map_err(|e| FlowWireError::Encoding(e.to_string()))?;
        // Each change is two numbers, and each number ends in the one byte of it without its high
        // bit: counted first, a long history's changes are read into one allocation of their
        // size rather than grown into.
        flow.changes.reserve(bytes.iter().filter(|byte| *byte & 0x80 == 0).count() / 2);
        let mut rest = bytes.as_slice();
        let mut position = 0u64;
        while !rest.is_empty() {
            position = position.saturating_add(read_leb128(&mut rest)?);
            let packed = read_leb128(&mut rest)?;
            let (slot, zigzag) = ((packed % columns) as u32, packed / columns);
            let difference = (zigzag >> 1) as i64 ^ -((zigzag & 1) as i64);
            let Some(&count) = flow.counts.get(slot as usize) else { continue };
            let count = i64::from(count).saturating_add(difference).clamp(0, i64::from(u32::MAX)) as u32;
            flow.push(position, slot, count);
        }
        Ok(flow)
    }
}

/// Appends `n` as LEB128: seven bits a byte, low bits first, the high bit set on every byte but
/// the last.
fn write_leb128(bytes: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        bytes.push((n as u8) | 0x80);
        n >>= 7;
    }
    bytes.push(n as u8);
}

/// Reads one LEB128 number from the front of `bytes`.
fn read_leb128(bytes: &mut &[u8]) -> Result<u64, FlowWireError> {
    let mut n = 0u64;
    for (i, byte) in bytes.iter().enumerate().take(10) {
        let bits = u64::from(byte & 0x7F);
        if i == 9 && bits > 1 {
            return Err(FlowWireError::Truncated);
        }
        n |= bits << (7 * i);
        if byte & 0x80 == 0 {
            *bytes = &bytes[i + 1..];
            return Ok(n);
        }
    }
    Err(FlowWireError::Truncated)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        /// Any changes, however far apart and by however much a count moves (a column removed
        /// with a thousand cards, counts near the top of the range), read back exactly.
        #[test]
        fn any_changes_read_back_exactly(
            changes in proptest::collection::vec((0u64..=u64::MAX / 4096, 0u128..40, any::<u32>()), 0..200),
        ) {
            let mut flow = FlowStats::default();
            let mut position = 0u64;
            for (since, column, count) in changes {
                position = position.saturating_add(since);
                flow.record(position, Uuid::from_u128(column), count);
            }
            let text = serde_json::to_string(&flow).unwrap();
            let read: FlowStats = serde_json::from_str(&text).unwrap();
            prop_assert_eq!(read.changes().collect::<Vec<_>>(), flow.changes().collect::<Vec<_>>());
        }
    }

    proptest! {
        /// Changes small and large (far from the last, of a column past the 256th, by more than
        /// a card), across several checkpoints: the counts at any position are those recorded
        /// last at or before it, in the flow and in the flow read back.
        #[test]
        fn counts_at_any_position_are_the_last_recorded(
            changes in proptest::collection::vec(
                (prop_oneof![4 => 0u64..3, 1 => 60_000u64..200_000], prop_oneof![4 => 0u128..4, 1 => 250u128..300], prop_oneof![4 => 0u32..50, 1 => any::<u32>()]),
                0..3_000,
            ),
            probes in proptest::collection::vec(any::<prop::sample::Index>(), 1..20),
        ) {
            let mut flow = FlowStats::default();
            let mut recorded: Vec<(u64, Uuid, u32)> = Vec::new();
            let mut position = 0u64;
            for (since, column, count) in changes {
                position += since;
                flow.record(position, Uuid::from_u128(column), count);
                recorded.push((position, Uuid::from_u128(column), count));
            }
            let read: FlowStats = serde_json::from_str(&serde_json::to_string(&flow).unwrap()).unwrap();
            let columns: Vec<Uuid> = (0u128..4).chain(250..300).map(Uuid::from_u128).collect();
            for probe in probes {
                let at = probe.index(position as usize + 2) as u64;
                let expected: Vec<u32> = columns
                    .iter()
                    .map(|c| recorded.iter().rev().find(|(p, id, _)| *p <= at && id == c).map_or(0, |(_, _, n)| *n))
                    .collect();
                prop_assert_eq!(flow.counts_at(at, &columns), expected.clone(), "at {}", at);
                prop_assert_eq!(read.counts_at(at, &columns), expected, "at {}, read back", at);
            }
        }
    }

    #[test]
    fn a_move_takes_two_bytes_a_change() {
        let (todo, doing) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let mut flow = FlowStats::default();
        flow.record(1, todo, 1);
        flow.record(2, todo, 0);
        flow.record(2, doing, 1);
        let wire = FlowWire::from(flow);
        // Position 1, todo +1 (zigzag 2 × 2 columns + 0); 1, todo -1 (1 × 2 + 0); 0, doing +1.
        assert_eq!(URL_SAFE_NO_PAD.decode(&wire.changes).unwrap(), [1, 4, 1, 2, 0, 5]);
    }

    #[test]
    fn numbers_cut_short_or_too_long_are_refused() {
        for bytes in
            [&[0x80][..], &[1, 0xFF], &[0xFF; 10], &[0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02]]
        {
            let wire = FlowWire { columns: vec![Uuid::from_u128(1)], changes: URL_SAFE_NO_PAD.encode(bytes) };
            assert!(matches!(FlowStats::try_from(wire), Err(FlowWireError::Truncated)), "{bytes:?}");
        }
        let wire = FlowWire { columns: vec![], changes: "not base64!".into() };
        assert!(matches!(FlowStats::try_from(wire), Err(FlowWireError::Encoding(_))));
    }
}
