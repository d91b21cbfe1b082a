//! Read models folded from the log, and the diagnostics every fold keeps.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::envelope::{Event, Payload, UnreadableReason};
use crate::sealed::{SEALED, SEALED_VERSION, UNSEALED};

/// A read model folded from events. Projections never fail: an event that does not apply
/// is skipped, and an unreadable one is left to [`Diagnostics`].
pub trait Projection<E> {
    /// Folds one event into the read model.
    fn apply(&mut self, event: &Event<E>);

    /// Folds several events in order. A read model may skip work whose result later events in
    /// the same run overwrite (a feed that keeps only its newest entries need not describe the
    /// others); the result must be the same as applying them one by one.
    fn apply_all(&mut self, events: &[Event<E>]) {
        for event in events {
            self.apply(event);
        }
    }
}

/// Whether an event changed anything when it was applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Effect {
    /// The event changed the read model.
    Applied,
    /// The event no longer applied (for example a move of an archived card) and changed nothing.
    NoEffect,
    /// The event could not be read by this build and was skipped.
    Unreadable,
}

/// What a fold noticed that a person may want to know: events kept but not understood,
/// and events that had no effect.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diagnostics {
    /// Events of types this build does not know, by wire name.
    pub unknown_types: BTreeMap<String, u64>,
    /// Events of a newer version than this build reads, by wire name.
    pub newer_versions: BTreeMap<String, u64>,
    /// Events whose data did not match their schema.
    pub malformed: u64,
    /// Events that were read but no longer applied.
    pub no_effect: u64,
    /// Sealed events kept unopened (this device lacks their key, or they were altered), by the
    /// key id they name; a sealed form this build does not know is counted in `newer_versions`.
    #[serde(default)]
    pub sealed: BTreeMap<String, u64>,
    /// Events that reached a private board in the clear, kept and never applied.
    #[serde(default)]
    pub unsealed: u64,
}

impl Diagnostics {
    /// Records one event and the effect it had.
    pub fn record<E>(&mut self, event: &Event<E>, effect: Effect) {
        match (&event.payload, effect) {
            (Payload::Unreadable(u), _) if u.kind == SEALED && u.version == SEALED_VERSION => {
                *self.sealed.entry(crate::sealed::named_key(&u.data).unwrap_or_default()).or_default() += 1;
            }
            (Payload::Unreadable(u), _) if u.kind == UNSEALED => self.unsealed += 1,
            (Payload::Unreadable(u), _) => match u.reason {
                UnreadableReason::UnknownType => *self.unknown_types.entry(u.kind.clone()).or_default() += 1,
                UnreadableReason::NewerVersion => *self.newer_versions.entry(u.kind.clone()).or_default() += 1,
                UnreadableReason::Malformed(_) => self.malformed += 1,
            },
            (Payload::Known(_), Effect::NoEffect) => self.no_effect += 1,
            (Payload::Known(_), _) => {}
        }
    }

    /// Number of events kept in the log that this build could not read (sealed ones aside).
    pub fn unreadable(&self) -> u64 {
        self.unknown_types.values().sum::<u64>() + self.newer_versions.values().sum::<u64>() + self.malformed
    }

    /// Number of events kept in the log that could not be opened: sealed ones, and those that
    /// reached a private board unsealed.
    pub fn undecrypted(&self) -> u64 {
        self.sealed.values().sum::<u64>() + self.unsealed
    }

    /// True when there is nothing to report.
    pub fn is_clean(&self) -> bool {
        self.unreadable() == 0 && self.undecrypted() == 0 && self.no_effect == 0
    }
}
