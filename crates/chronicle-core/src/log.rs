//! The local log: events the server confirmed, then events still pending, and the rebase between them.

use std::collections::HashSet;

use uuid::Uuid;

use crate::envelope::{Event, RawEnvelope};

/// What the log needs to know of an event: its id, and its server position once confirmed. Both
/// the decoded [`Event`] and the stored [`RawEnvelope`] have them, so the same rebase serves a
/// fold in memory and a pull on its way to storage, which need not decode anything.
pub trait Positioned {
    /// The event's id.
    fn id(&self) -> Uuid;
    /// Its position in the stream, once the server gave it one.
    fn seq(&self) -> Option<u64>;
    /// Forgets the position: the event is pending again.
    fn clear_seq(&mut self);
}

impl<E> Positioned for Event<E> {
    fn id(&self) -> Uuid {
        self.meta.id
    }
    fn seq(&self) -> Option<u64> {
        self.meta.seq
    }
    fn clear_seq(&mut self) {
        self.meta.seq = None;
    }
}

impl Positioned for RawEnvelope {
    fn id(&self) -> Uuid {
        self.id
    }
    fn seq(&self) -> Option<u64> {
        self.seq
    }
    fn clear_seq(&mut self) {
        self.seq = None;
    }
}

/// The events of one stream as this device knows them: [`Event`]s or [`RawEnvelope`]s.
///
/// `confirmed` holds events with a server `seq`, densely in `seq` order; `pending` holds local
/// events not yet acknowledged, in the order they were made. The state of the stream is the fold
/// of `confirmed` followed by `pending`.
#[derive(Debug, Clone, PartialEq)]
pub struct Log<T> {
    /// Confirmed events before `confirmed`, known to the caller but not held here.
    base: u64,
    confirmed: Vec<T>,
    pending: Vec<T>,
}

impl<T> Default for Log<T> {
    fn default() -> Self {
        Log { base: 0, confirmed: Vec::new(), pending: Vec::new() }
    }
}

/// What a [`Log::rebase`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rebased {
    /// How many events were added to `confirmed`.
    pub confirmed: usize,
    /// Ids of our own pending events that the server has now confirmed.
    pub acknowledged: Vec<Uuid>,
    /// Events already known (a duplicate or re-delivered batch) that were ignored.
    pub duplicates: usize,
    /// When a delivery skipped positions, the first missing `seq`: the caller should fetch from there.
    /// Events after the gap are not taken, so `confirmed` stays dense.
    pub missing_from: Option<u64>,
    /// Whether the log reads exactly as before: everything confirmed was our own oldest pending
    /// events, in the order they were made, with nothing of others' among them. Then whoever
    /// decided something on the log as it was need not decide again.
    pub in_place: bool,
}

impl<T: Positioned> Log<T> {
    /// A log of events the server already confirmed (ordered by `seq`) and local pending ones.
    pub fn new(confirmed: Vec<T>, pending: Vec<T>) -> Self {
        let mut log = Log { base: 0, confirmed: Vec::new(), pending };
        log.rebase(confirmed);
        log
    }

    /// A log that goes on from `head`: the first `head` confirmed events are stored elsewhere and
    /// not held here, so `confirmed()` returns only what a later [`Log::rebase`] adds.
    pub fn resume(head: u64, pending: Vec<T>) -> Self {
        Log { base: head, confirmed: Vec::new(), pending }
    }

    /// Confirmed events held here (after the `head` a log [`resume`](Log::resume)d from), in `seq` order.
    pub fn confirmed(&self) -> &[T] {
        &self.confirmed
    }

    /// Pending events, in the order they were made.
    pub fn pending(&self) -> &[T] {
        &self.pending
    }

    /// Every event in log order: confirmed, then pending.
    pub fn events(&self) -> impl DoubleEndedIterator<Item = &T> + Clone {
        self.confirmed.iter().chain(self.pending.iter())
    }

    /// Number of events held here.
    pub fn len(&self) -> usize {
        self.confirmed.len() + self.pending.len()
    }

    /// True when the log has no events.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The `seq` of the last confirmed event, 0 when none is confirmed.
    pub fn head(&self) -> u64 {
        self.confirmed.last().and_then(T::seq).unwrap_or(self.base)
    }

    /// Adds events made on this device; they stay pending until the server confirms them.
    pub fn append(&mut self, events: impl IntoIterator<Item = T>) {
        self.pending.extend(events.into_iter().map(|mut e| {
            e.clear_seq();
            e
        }));
    }

    /// Takes events the server confirmed. Events at or below the current head are duplicates and
    /// ignored; the rest are placed in `seq` order as long as positions stay dense. Pending events
    /// the server has confirmed (recognised by id) leave `pending`; the others replay on top.
    pub fn rebase(&mut self, incoming: impl IntoIterator<Item = T>) -> Rebased {
        let mut incoming: Vec<T> = incoming.into_iter().filter(|e| e.seq().is_some()).collect();
        incoming.sort_by_key(T::seq);
        let mut report = Rebased::default();
        let mut head = self.head();
        let mut taken = Vec::new();
        for event in incoming {
            let seq = event.seq().unwrap_or_default();
            if seq <= head {
                report.duplicates += 1;
                continue;
            }
            if seq != head + 1 {
                report.missing_from = Some(head + 1);
                break;
            }
            head = seq;
            taken.push(event.id());
            self.confirmed.push(event);
            report.confirmed += 1;
        }
        report.in_place =
            taken.len() <= self.pending.len() && self.pending.iter().zip(&taken).all(|(p, t)| p.id() == *t);
        if !taken.is_empty() {
            let taken: HashSet<Uuid> = taken.into_iter().collect();
            self.pending.retain(|e| {
                let acknowledged = taken.contains(&e.id());
                if acknowledged {
                    report.acknowledged.push(e.id());
                }
                !acknowledged
            });
        }
        report
    }
}
