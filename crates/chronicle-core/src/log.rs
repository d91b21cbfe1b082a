//! The local log: events the server confirmed, then events still pending, and the rebase between them.

use std::collections::HashSet;

use uuid::Uuid;

use crate::envelope::Event;

/// The events of one stream as this device knows them.
///
/// `confirmed` holds events with a server `seq`, densely in `seq` order; `pending` holds local
/// events not yet acknowledged, in the order they were made. The state of the stream is the fold
/// of `confirmed` followed by `pending`.
#[derive(Debug, Clone, PartialEq)]
pub struct Log<E> {
    /// Confirmed events before `confirmed`, known to the caller but not held here.
    base: u64,
    confirmed: Vec<Event<E>>,
    pending: Vec<Event<E>>,
}

impl<E> Default for Log<E> {
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
}

impl<E: Clone> Log<E> {
    /// A log of events the server already confirmed (ordered by `seq`) and local pending ones.
    pub fn new(confirmed: Vec<Event<E>>, pending: Vec<Event<E>>) -> Self {
        let mut log = Log { base: 0, confirmed: Vec::new(), pending };
        log.rebase(confirmed);
        log
    }

    /// A log that goes on from `head`: the first `head` confirmed events are stored elsewhere and
    /// not held here, so `confirmed()` returns only what a later [`Log::rebase`] adds.
    pub fn resume(head: u64, pending: Vec<Event<E>>) -> Self {
        Log { base: head, confirmed: Vec::new(), pending }
    }

    /// Confirmed events held here (after the `head` a log [`resume`](Log::resume)d from), in `seq` order.
    pub fn confirmed(&self) -> &[Event<E>] {
        &self.confirmed
    }

    /// Pending events, in the order they were made.
    pub fn pending(&self) -> &[Event<E>] {
        &self.pending
    }

    /// Every event in log order: confirmed, then pending.
    pub fn events(&self) -> impl DoubleEndedIterator<Item = &Event<E>> + Clone {
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
        self.confirmed.last().and_then(|e| e.meta.seq).unwrap_or(self.base)
    }

    /// Adds events made on this device; they stay pending until the server confirms them.
    pub fn append(&mut self, events: impl IntoIterator<Item = Event<E>>) {
        self.pending.extend(events.into_iter().map(|mut e| {
            e.meta.seq = None;
            e
        }));
    }

    /// Takes events the server confirmed. Events at or below the current head are duplicates and
    /// ignored; the rest are placed in `seq` order as long as positions stay dense. Pending events
    /// the server has confirmed (recognised by id) leave `pending`; the others replay on top.
    pub fn rebase(&mut self, incoming: impl IntoIterator<Item = Event<E>>) -> Rebased {
        let mut incoming: Vec<Event<E>> = incoming.into_iter().filter(|e| e.meta.seq.is_some()).collect();
        incoming.sort_by_key(|e| e.meta.seq);
        let mut report = Rebased::default();
        let mut head = self.head();
        let mut taken = HashSet::new();
        for event in incoming {
            let seq = event.meta.seq.unwrap_or_default();
            if seq <= head {
                report.duplicates += 1;
                continue;
            }
            if seq != head + 1 {
                report.missing_from = Some(head + 1);
                break;
            }
            head = seq;
            taken.insert(event.meta.id);
            self.confirmed.push(event);
            report.confirmed += 1;
        }
        if !taken.is_empty() {
            self.pending.retain(|e| {
                let acknowledged = taken.contains(&e.meta.id);
                if acknowledged {
                    report.acknowledged.push(e.meta.id);
                }
                !acknowledged
            });
        }
        report
    }
}
