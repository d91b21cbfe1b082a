//! One row of a list of changes, as the activity feed and the history list both show it: what
//! happened, who did it on which device, when, and whether it had an effect.

use chronicle_board::{ActivityEntry, Board, device_label};
use chronicle_core::{Effect, Uuid};

use crate::clock::relative;

/// A change as a list shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FeedRow {
    /// The change, described as it read when it happened.
    pub(crate) entry: ActivityEntry,
    /// Who, when, and a word when it had no effect: "Phone · 3 min ago · had no effect".
    pub(crate) meta: String,
}

impl FeedRow {
    /// The row of `entry`, naming devices as `board` (the board as it is now) knows them.
    pub(crate) fn new(entry: ActivityEntry, board: &Board, this_device: Uuid, now: i64) -> FeedRow {
        let effect = match entry.effect {
            Effect::Applied => "",
            Effect::NoEffect => " · had no effect",
            Effect::Unreadable => " · not readable by this version",
        };
        let who = device_label(board, entry.device, this_device);
        let meta = format!("{who} · {}{effect}", relative(entry.at, now));
        FeedRow { entry, meta }
    }

    /// What a list keys the row by: a rebase can put another event at a position already shown,
    /// and a device can be named after its changes were listed.
    pub(crate) fn key(&self) -> (Uuid, u64, Effect, String) {
        (self.entry.event, self.entry.position, self.entry.effect, self.meta.clone())
    }

    /// Whether the change had an effect.
    pub(crate) fn applied(&self) -> bool {
        self.entry.effect == Effect::Applied
    }
}
