//! The decider shape: commands are checked against state and produce events; events fold into state.

use crate::envelope::{Event, EventPayload};

/// A write model: every business rule lives in [`Decider::decide`]; [`Decider::evolve`] holds none.
pub trait Decider {
    /// The state commands are checked against.
    type State: Default;
    /// What a person asks for, in the imperative.
    type Command;
    /// What happened, in the past tense.
    type Event: EventPayload;
    /// Why a command was refused.
    type Rejection;

    /// Checks a command against the state and returns the events it causes, or why not.
    /// A rejected command produces no events at all.
    fn decide(state: &Self::State, command: Self::Command) -> Result<Vec<Self::Event>, Self::Rejection>;

    /// Applies one event to the state. It never fails: an event that no longer applies
    /// leaves the state as it was, so that any stored log replays.
    fn evolve(state: Self::State, event: &Event<Self::Event>) -> Self::State;

    /// Folds a sequence of events from the empty state.
    fn replay<'a>(events: impl IntoIterator<Item = &'a Event<Self::Event>>) -> Self::State
    where
        Self::Event: 'a,
    {
        events.into_iter().fold(Self::State::default(), Self::evolve)
    }
}
