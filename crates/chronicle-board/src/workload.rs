//! A synthetic but realistic board history, for benchmarks and load tests: cards are added,
//! edited, moved along and across columns, archived and restored, with a few hundred live at a
//! time. Deterministic for a given seed; needs no randomness from the outside world.

use chronicle_core::{Event, Uuid};

use crate::event::{BoardEvent, ColumnSeed};

/// A small deterministic generator (SplitMix64), enough to shuffle a workload.
struct Mix(u64);

impl Mix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn id(&mut self, at: i64) -> Uuid {
        let bytes = self.next().to_le_bytes();
        let more = self.next().to_le_bytes();
        let mut random = [0u8; 10];
        random[..8].copy_from_slice(&bytes);
        random[8..].copy_from_slice(&more[..2]);
        uuid::Builder::from_unix_timestamp_millis(at as u64, &random).into_uuid()
    }
}

const TITLES: [&str; 8] = [
    "Fix login on Safari",
    "Write the release notes",
    "Review the onboarding flow",
    "Update dependencies",
    "Plan the next sprint",
    "Answer support tickets",
    "Profile the start-up time",
    "Design the settings page",
];

/// `count` events of one board, as a device would record them, starting with its creation.
pub fn generate(count: usize, seed: u64) -> Vec<Event<BoardEvent>> {
    let mut mix = Mix(seed);
    let stream = mix.id(1_700_000_000_000);
    let devices = [mix.id(1_700_000_000_000), mix.id(1_700_000_000_000)];
    let mut at = 1_700_000_000_000i64;
    let columns: Vec<Uuid> = (0..4).map(|_| mix.id(at)).collect();
    let names = ["Backlog", "To do", "Doing", "Done"];
    let mut events = Vec::with_capacity(count);
    let mut push = |mix: &mut Mix, at: i64, payload: BoardEvent| {
        let device = devices[mix.below(2)];
        events.push(Event::new(mix.id(at), stream, device, at, payload));
    };
    let seeds = columns.iter().zip(names).map(|(id, name)| ColumnSeed { id: *id, name: name.to_owned() }).collect();
    push(&mut mix, at, BoardEvent::BoardCreated { name: "Product".into(), columns: seeds });
    // Live cards with their column index, and archived cards.
    let mut live: Vec<(Uuid, usize)> = Vec::new();
    let mut archived: Vec<Uuid> = Vec::new();
    let mut sizes = [0usize; 4];
    for n in 1..count {
        at += 1 + mix.below(60_000) as i64;
        let roll = mix.below(100);
        let payload = if live.len() < 50 || (roll < 25 && live.len() < 400) {
            let card = mix.id(at);
            let column = mix.below(2);
            live.push((card, column));
            sizes[column] += 1;
            let title = format!("{} #{n}", TITLES[mix.below(TITLES.len())]);
            BoardEvent::CardAdded { card, column: columns[column], title, description: String::new() }
        } else if roll < 65 {
            let pick = mix.below(live.len());
            let (card, from) = live[pick];
            let to = if mix.below(4) == 0 { from } else { (from + 1 + mix.below(3)) % 4 };
            sizes[from] -= 1;
            let index = mix.below(sizes[to] + 1);
            sizes[to] += 1;
            live[pick].1 = to;
            BoardEvent::CardMoved { card, from: columns[from], to: columns[to], index: index as u32 }
        } else if roll < 85 {
            let (card, _) = live[mix.below(live.len())];
            let title = format!("{} (edited {n})", TITLES[mix.below(TITLES.len())]);
            BoardEvent::CardEdited { card, title, description: "Checked with the team.".into() }
        } else if roll < 95 || archived.is_empty() {
            let (card, column) = live.swap_remove(mix.below(live.len()));
            sizes[column] -= 1;
            archived.push(card);
            BoardEvent::CardArchived { card }
        } else {
            let card = archived.swap_remove(mix.below(archived.len()));
            live.push((card, 0));
            sizes[0] += 1;
            BoardEvent::CardRestored { card, column: columns[0] }
        };
        push(&mut mix, at, payload);
    }
    events
}
