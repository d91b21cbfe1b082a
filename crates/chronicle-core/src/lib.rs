//! Chronicle's event-sourcing engine. It does no I/O: callers pass in ids, clocks and bytes.
//!
//! - [`RawEnvelope`] is the wire and storage form of an event, its payload kept as JSON text
//!   ([`Data`]); [`Event`] is its decoded form, with a [`Payload`] that is either known to this
//!   build (read straight from the text, or lifted first through the domain's [`Upcaster`]s) or
//!   kept as [`Unreadable`], never dropped.
//! - [`Decider`] is the write-model shape: `decide` holds the rules, `evolve` never fails.
//! - [`Projection`] is a read model folded from events; [`Diagnostics`] counts what a fold skipped.
//! - [`Log`] keeps `confirmed` and `pending` events and [`Log::rebase`]s pending work onto what the
//!   server confirmed.
//! - [`Keyframes`] keep a fold's state every so many events, so that any position of a long log
//!   is reached quickly: the engine's half of `board_at(position)`.
//! - [`sealed`] is the sealed form of a private board's events on the wire: what is sealed, the
//!   exact associated data, and reading it back; callers do the AES-GCM.
//! - [`SyncState`] decides what sync does next ([`Action`]) and what to tell a person
//!   ([`SyncStatus`]). The wire form is `chronicle_protocol`'s; [`RawEnvelope::to_wire`] and
//!   [`RawEnvelope::from_wire`] cross it.

mod decider;
mod envelope;
mod keyframes;
mod log;
mod projection;
pub mod sealed;
mod sync;

pub use chronicle_protocol::{Data, id};
pub use decider::Decider;
pub use envelope::{
    Event, EventPayload, LineError, Meta, Payload, RawEnvelope, Unreadable, UnreadableReason, Upcaster, parse_lines,
};
pub use keyframes::Keyframes;
pub use log::{Log, Positioned, Rebased};
pub use projection::{Diagnostics, Effect, Projection};
pub use sync::{Action, SyncState, SyncStatus, next_push};
pub use uuid::Uuid;
