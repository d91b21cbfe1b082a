//! Sync with a server, as a state machine: it says what to do next and takes the outcome; the
//! caller moves the bytes (over HTTP in the browser) and keeps the time.
//!
//! One [`SyncState`] follows one stream. The caller asks [`SyncState::next`] for an [`Action`],
//! carries it out, and reports back with [`SyncState::registered`], [`SyncState::pushed`],
//! [`SyncState::pulled`], [`SyncState::live_ended`] or [`SyncState::failed`]. Failures back off
//! exponentially with jitter (the caller passes a random number in, the engine has no randomness);
//! coming back online clears the back-off so that sync starts at once.

use chronicle_protocol::{Accepted, MAX_BATCH_EVENTS, MAX_PUSH_BYTES};
use serde::{Deserialize, Serialize};

use crate::envelope::RawEnvelope;
/// First wait after a failure, in milliseconds; it doubles with each failure in a row.
const FIRST_BACKOFF_MS: i64 = 1_000;
/// Longest wait after failures, in milliseconds.
const MAX_BACKOFF_MS: i64 = 60_000;
/// While the live connection is down, pull this often, in milliseconds.
const POLL_MS: i64 = 5_000;
/// After the live connection broke, poll for this long before trying it again, in milliseconds.
const LIVE_RETRY_MS: i64 = 30_000;
/// After the server refused a push for good, pushing waits this long (or for the network to come
/// back) before it tries again, in case the server changed its mind; pulling goes on meanwhile.
const REFUSED_RETRY_MS: i64 = 10 * 60_000;

/// What the caller should do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Nothing until something changes: the browser is offline.
    Idle,
    /// Register the stream on the server (a board made on this device, syncing the first time).
    Register,
    /// Push the oldest pending events, at most `max` of them, keeping whole records together.
    Push {
        /// Most events to push.
        max: usize,
    },
    /// Pull the events after `after`.
    Pull {
        /// The last `seq` stored here.
        after: u64,
    },
    /// Listen for new events after `after` until the connection ends or there is work to do.
    Listen {
        /// The last `seq` stored here.
        after: u64,
    },
    /// Wait until this time (milliseconds since the epoch), or until something changes.
    WaitUntil(i64),
}

/// What a person is told about sync.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SyncStatus {
    /// The browser is offline; `pending` events wait to be sent.
    Offline {
        /// Events not yet confirmed by the server.
        pending: usize,
    },
    /// Sending or fetching.
    Syncing {
        /// Events not yet confirmed by the server.
        pending: usize,
        /// Events known to be on the server and not yet here.
        behind: u64,
    },
    /// Everything here is on the server and everything on the server is here.
    Synced {
        /// When that was last checked (milliseconds since the epoch).
        at: i64,
    },
    /// The server refused a push for good: those changes stay on this device, and everything else
    /// keeps syncing.
    Stuck {
        /// Why, for a person.
        message: String,
        /// Events not yet confirmed by the server.
        pending: usize,
    },
    /// The board was deleted from the server by one of its devices: nothing syncs any more, and
    /// what is here stays here.
    Deleted {
        /// Events made here that never reached the server.
        pending: usize,
    },
    /// The last attempt failed; another follows at `retry_at`.
    Failed {
        /// What went wrong, for a person.
        message: String,
        /// When the next attempt is due (milliseconds since the epoch).
        retry_at: i64,
        /// Events not yet confirmed by the server.
        pending: usize,
    },
}

/// The sync state of one stream.
#[derive(Debug, Clone, PartialEq)]
pub struct SyncState {
    online: bool,
    registered: bool,
    cursor: u64,
    server_head: Option<u64>,
    failures: u32,
    retry_at: Option<i64>,
    error: Option<String>,
    synced_at: Option<i64>,
    poll_until: Option<i64>,
    next_poll: i64,
    /// Why the last push was refused for good, and until when pushing waits.
    refused: Option<(String, i64)>,
    /// The server says the stream was deleted.
    deleted: bool,
}

impl SyncState {
    /// A stream whose events up to `cursor` are stored here; `registered` when the server knows it.
    pub fn new(cursor: u64, registered: bool, online: bool) -> Self {
        SyncState {
            online,
            registered,
            cursor,
            server_head: None,
            failures: 0,
            retry_at: None,
            error: None,
            synced_at: None,
            poll_until: None,
            next_poll: 0,
            refused: None,
            deleted: false,
        }
    }

    /// The last `seq` stored here.
    pub fn cursor(&self) -> u64 {
        self.cursor
    }

    /// The browser went online or offline. Going online retries at once.
    pub fn set_online(&mut self, online: bool) {
        if online && !self.online {
            self.retry_at = None;
            // A refused push is tried again too: the server may take it now.
            if let Some((_, until)) = &mut self.refused {
                *until = 0;
            }
            self.failures = 0;
            self.server_head = None;
        }
        self.online = online;
    }

    /// What to do now, with `pending` events waiting to be pushed.
    pub fn next(&self, now: i64, pending: usize) -> Action {
        if !self.online || self.deleted {
            return Action::Idle;
        }
        if let Some(at) = self.retry_at.filter(|at| *at > now) {
            return Action::WaitUntil(at);
        }
        if !self.registered {
            return Action::Register;
        }
        // Known to be behind (others pushed, or our push landed after theirs): pull first, so
        // that what we pushed is acknowledged through the pull instead of being pushed again.
        if self.server_head.is_some_and(|head| head > self.cursor) {
            return Action::Pull { after: self.cursor };
        }
        let push_waits = self.refused.as_ref().is_some_and(|(_, until)| *until > now);
        if pending > 0 && !push_waits {
            return Action::Push { max: MAX_BATCH_EVENTS };
        }
        if self.server_head.is_none() {
            return Action::Pull { after: self.cursor };
        }
        match self.poll_until {
            Some(until) if until > now => {
                if self.next_poll <= now {
                    Action::Pull { after: self.cursor }
                } else {
                    Action::WaitUntil(self.next_poll.min(until))
                }
            }
            _ => Action::Listen { after: self.cursor },
        }
    }

    /// The stream was registered (or found registered).
    pub fn registered(&mut self) {
        self.registered = true;
        self.succeeded(None);
    }

    /// A push was stored; the server's head is now `head`.
    pub fn pushed(&mut self, head: u64) {
        self.server_head = Some(head);
        self.refused = None;
        self.succeeded(None);
    }

    /// Events up to `cursor` are now stored here (from a pull, a live message or acknowledged
    /// pushes), and the server's head was `head`.
    pub fn pulled(&mut self, now: i64, cursor: u64, head: u64) {
        self.cursor = cursor;
        self.server_head = Some(head.max(cursor));
        if self.poll_until.is_some() {
            self.next_poll = now + POLL_MS;
        }
        self.succeeded(Some(now));
    }

    /// The live connection ended without an error reply: poll for a while, then listen again.
    pub fn live_ended(&mut self, now: i64) {
        self.poll_until = Some(now + LIVE_RETRY_MS);
        self.next_poll = now + POLL_MS;
    }

    /// An attempt failed for a reason that may pass (no network, a timeout, a server in trouble).
    /// `jitter` is a random number in `0.0..1.0`.
    pub fn failed(&mut self, now: i64, message: impl Into<String>, jitter: f64) {
        self.failed_with_wait(now, message, jitter, None);
    }

    /// As [`SyncState::failed`], when the server also said how long to wait (`Retry-After`, in
    /// milliseconds): the next attempt is no sooner than that.
    pub fn failed_with_wait(&mut self, now: i64, message: impl Into<String>, jitter: f64, asked: Option<i64>) {
        self.failures = self.failures.saturating_add(1);
        let backoff = FIRST_BACKOFF_MS.saturating_mul(1 << self.failures.min(16).saturating_sub(1)).min(MAX_BACKOFF_MS);
        // "Equal jitter": at least half the back-off, so retries spread out but never pile up early.
        let wait = backoff / 2 + (backoff as f64 / 2.0 * jitter.clamp(0.0, 1.0)) as i64;
        let wait = wait.max(asked.unwrap_or(0).clamp(0, REFUSED_RETRY_MS));
        self.retry_at = Some(now.saturating_add(wait));
        self.error = Some(message.into());
        self.server_head = None;
    }

    /// The server refused a push for good (the request itself was wrong, not the moment): pushing
    /// those events again soon would be refused again. Pulling and listening go on, so that the
    /// board keeps up with everyone else; pushing is tried again after a while, or when the
    /// network comes back.
    pub fn push_refused(&mut self, now: i64, message: impl Into<String>) {
        self.refused = Some((message.into(), now.saturating_add(REFUSED_RETRY_MS)));
    }

    /// The server says the stream was deleted: there is nothing more to do, ever.
    pub fn deleted(&mut self) {
        self.deleted = true;
    }

    fn succeeded(&mut self, now: Option<i64>) {
        self.failures = 0;
        self.retry_at = None;
        self.error = None;
        if let Some(now) = now.filter(|_| self.server_head == Some(self.cursor)) {
            self.synced_at = Some(now);
        }
    }

    /// Whether the server holds less of the stream than this device has stored as confirmed: its
    /// head is behind the cursor, or it put an event just pushed at a position this device already
    /// holds another confirmed event at. Its copy has lost part of the history (restored from an
    /// older backup, say); pushing or pulling again would get the same answer at once.
    pub fn server_lost_history(&self, head: u64, accepted: &[Accepted]) -> bool {
        head < self.cursor || accepted.iter().any(|a| a.seq <= self.cursor)
    }

    /// The events of a push that came back acknowledged, with their `seq`s, when the server put
    /// them right after what is stored here: nobody pushed in between, and they can be stored as
    /// confirmed at once. Otherwise `None`, and a pull brings everything in the server's order.
    /// Call it after [`SyncState::pushed`] and before anything moves the cursor.
    pub fn acknowledged_in_order(&self, pushed: &[RawEnvelope], accepted: &[Accepted]) -> Option<Vec<RawEnvelope>> {
        let in_order = pushed.len() == accepted.len()
            && pushed.iter().zip(accepted).zip(self.cursor + 1..).all(|((e, a), seq)| e.id == a.id && a.seq == seq);
        in_order
            .then(|| pushed.iter().zip(accepted).map(|(e, a)| RawEnvelope { seq: Some(a.seq), ..e.clone() }).collect())
    }

    /// What to tell a person, with `pending` events waiting.
    pub fn status(&self, pending: usize) -> SyncStatus {
        if self.deleted {
            return SyncStatus::Deleted { pending };
        }
        if !self.online {
            return SyncStatus::Offline { pending };
        }
        if let (Some(message), Some(retry_at)) = (&self.error, self.retry_at) {
            return SyncStatus::Failed { message: message.clone(), retry_at, pending };
        }
        if let Some((message, _)) = self.refused.as_ref().filter(|_| pending > 0) {
            return SyncStatus::Stuck { message: message.clone(), pending };
        }
        match self.synced_at {
            Some(at) if pending == 0 && self.registered && self.server_head == Some(self.cursor) => {
                SyncStatus::Synced { at }
            }
            _ => SyncStatus::Syncing { pending, behind: self.server_head.map_or(0, |h| h.saturating_sub(self.cursor)) },
        }
    }
}

/// The next push from the pending events, grouped as they were made (one group per command):
/// whole groups in order, at most `max` events and [`MAX_PUSH_BYTES`] of envelopes, so that no
/// push can be refused for its size; a first group larger than that goes alone, cut (one event
/// at least).
pub fn next_push(pending: &[Vec<RawEnvelope>], max: usize) -> Vec<RawEnvelope> {
    let mut batch: Vec<RawEnvelope> = Vec::new();
    let mut bytes = 0;
    for group in pending {
        let sizes: Vec<usize> = group.iter().map(wire_size).collect();
        let group_bytes: usize = sizes.iter().sum();
        if !batch.is_empty() && (batch.len() + group.len() > max || bytes + group_bytes > MAX_PUSH_BYTES) {
            break;
        }
        for (event, size) in group.iter().zip(sizes) {
            if !batch.is_empty() && (batch.len() == max || bytes + size > MAX_PUSH_BYTES) {
                return batch;
            }
            bytes += size;
            batch.push(event.clone());
        }
    }
    batch
}

/// Bytes of an envelope as it is pushed.
fn wire_size(event: &RawEnvelope) -> usize {
    serde_json::to_vec(&event.to_wire()).map_or(usize::MAX, |bytes| bytes.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn envelope(n: u128) -> RawEnvelope {
        RawEnvelope {
            id: uuid::Uuid::from_u128(n),
            stream: uuid::Uuid::from_u128(1),
            kind: "card_added".into(),
            version: 2,
            device: uuid::Uuid::from_u128(2),
            at: 0,
            seq: None,
            data: serde_json::Value::Null.into(),
        }
    }

    fn groups(sizes: &[usize]) -> Vec<Vec<RawEnvelope>> {
        let mut n = 0;
        sizes
            .iter()
            .map(|size| {
                (0..*size)
                    .map(|_| {
                        n += 1;
                        envelope(n)
                    })
                    .collect()
            })
            .collect()
    }

    #[test]
    fn a_server_that_lost_part_of_the_history_is_told_from_one_that_others_pushed_to() {
        let mut sync = SyncState::new(4, true, true);
        sync.pulled(0, 4, 4);
        let accepted = |seqs: &[u64]| -> Vec<Accepted> {
            seqs.iter().map(|seq| Accepted { id: uuid::Uuid::from_u128(u128::from(*seq)), seq: *seq }).collect()
        };
        assert!(!sync.server_lost_history(5, &accepted(&[5])), "right after what is stored");
        assert!(!sync.server_lost_history(9, &accepted(&[8, 9])), "after others' events");
        assert!(!sync.server_lost_history(4, &[]), "a pull at the head");
        assert!(sync.server_lost_history(4, &accepted(&[3, 4])), "placed where confirmed events are");
        assert!(sync.server_lost_history(2, &[]), "a head behind the cursor");
        // Said so, and tried again after a back-off rather than at once.
        sync.failed(0, "lost", 0.0);
        assert_eq!(sync.next(100, 2), Action::WaitUntil(500));
        assert!(matches!(sync.status(2), SyncStatus::Failed { pending: 2, .. }));
    }

    #[test]
    fn a_deleted_stream_stops_every_sync_for_good_and_says_so() {
        let mut sync = SyncState::new(4, true, true);
        sync.pulled(0, 4, 4);
        sync.deleted();
        assert_eq!(sync.next(1_000, 2), Action::Idle);
        assert_eq!(sync.status(2), SyncStatus::Deleted { pending: 2 });
        sync.set_online(false);
        sync.set_online(true);
        assert_eq!(sync.next(2_000, 2), Action::Idle, "not even after coming back online");
    }

    #[test]
    fn a_push_refused_for_good_lets_pulling_go_on_and_is_tried_again_later() {
        let mut sync = SyncState::new(0, true, true);
        sync.pulled(0, 0, 0);
        assert_eq!(sync.next(0, 2), Action::Push { max: MAX_BATCH_EVENTS });
        sync.push_refused(1_000, "Event 2 is too large.");
        assert_eq!(sync.status(2), SyncStatus::Stuck { message: "Event 2 is too large.".into(), pending: 2 });
        assert_eq!(sync.next(1_000, 2), Action::Listen { after: 0 }, "no push, but it keeps listening");
        sync.pulled(2_000, 5, 7);
        assert_eq!(sync.next(2_000, 2), Action::Pull { after: 5 }, "and keeps pulling what others pushed");
        sync.pulled(3_000, 7, 7);
        assert_eq!(sync.next(3_000 + REFUSED_RETRY_MS, 2), Action::Push { max: MAX_BATCH_EVENTS }, "tried again later");
        sync.push_refused(4_000, "Refused again.");
        assert_eq!(sync.next(4_000, 2), Action::Listen { after: 7 });
        sync.set_online(false);
        sync.set_online(true);
        assert_eq!(
            sync.next(5_000, 2),
            Action::Push { max: MAX_BATCH_EVENTS },
            "coming back online tries again at once"
        );
        sync.pushed(9);
        assert!(matches!(sync.status(0), SyncStatus::Syncing { .. } | SyncStatus::Synced { .. }));
    }

    #[test]
    fn a_server_that_asks_to_wait_is_not_asked_sooner() {
        let mut sync = SyncState::new(0, true, true);
        sync.failed_with_wait(0, "Busy.", 0.0, Some(30_000));
        assert_eq!(sync.next(0, 1), Action::WaitUntil(30_000));
        let mut sync = SyncState::new(0, true, true);
        sync.failed_with_wait(0, "Busy.", 0.0, Some(i64::MAX));
        assert_eq!(sync.next(0, 1), Action::WaitUntil(REFUSED_RETRY_MS), "never longer than a refused push waits");
    }

    #[test]
    fn a_push_takes_whole_commands_up_to_the_limit() {
        let ids = |batch: Vec<RawEnvelope>| batch.iter().map(|e| e.id.as_u128()).collect::<Vec<_>>();
        assert_eq!(ids(next_push(&groups(&[2, 3, 4]), 6)), [1, 2, 3, 4, 5], "the third command waits");
        assert_eq!(ids(next_push(&groups(&[2, 3, 4]), 9)), (1..=9).collect::<Vec<_>>());
        assert_eq!(ids(next_push(&groups(&[8, 1]), 5)), [1, 2, 3, 4, 5], "a command over the limit goes alone, cut");
        assert!(next_push(&[], 5).is_empty());
    }

    #[test]
    fn a_push_stays_under_the_byte_limit_and_a_large_command_goes_alone() {
        let big = |n: u128| RawEnvelope { data: serde_json::json!("x".repeat(60_000)).into(), ..envelope(n) };
        let size = wire_size(&big(1));
        let per_push = MAX_PUSH_BYTES / size;
        // Many small commands of one large event each: as many as fit.
        let commands: Vec<Vec<RawEnvelope>> = (1..=40).map(|n| vec![big(n)]).collect();
        let batch = next_push(&commands, 1000);
        assert_eq!(batch.len(), per_push);
        assert!(batch.iter().map(wire_size).sum::<usize>() <= MAX_PUSH_BYTES);
        // One command larger than a push goes alone, cut where the bytes run out.
        let restore = vec![(1..=40).map(big).collect::<Vec<_>>(), vec![envelope(99)]];
        assert_eq!(next_push(&restore, 1000).len(), per_push);
        // An event larger than the limit on its own still goes, alone.
        let huge = vec![
            vec![RawEnvelope { data: serde_json::json!("x".repeat(MAX_PUSH_BYTES)).into(), ..envelope(1) }],
            vec![envelope(2)],
        ];
        assert_eq!(next_push(&huge, 1000).len(), 1);
    }

    #[test]
    fn acknowledgements_right_after_the_cursor_are_stored_at_once_and_others_wait_for_a_pull() {
        let mut sync = SyncState::new(10, true, true);
        let pushed: Vec<RawEnvelope> = (1..=2).map(envelope).collect();
        let at = |seqs: [u64; 2]| -> Vec<Accepted> {
            pushed.iter().zip(seqs).map(|(e, seq)| Accepted { id: e.id, seq }).collect()
        };
        sync.pushed(12);
        let stored = sync.acknowledged_in_order(&pushed, &at([11, 12])).unwrap();
        assert_eq!(stored.iter().map(|e| e.seq).collect::<Vec<_>>(), [Some(11), Some(12)]);
        assert_eq!(sync.acknowledged_in_order(&pushed, &at([12, 13])), None, "another device pushed first");
        assert_eq!(sync.acknowledged_in_order(&pushed, &at([11, 12])[..1]), None, "not every event came back");
        let swapped: Vec<Accepted> = at([11, 12]).into_iter().rev().collect();
        assert_eq!(sync.acknowledged_in_order(&pushed, &swapped), None);
    }

    #[test]
    fn a_new_board_registers_pushes_pulls_then_listens() {
        let mut sync = SyncState::new(0, false, true);
        assert_eq!(sync.next(0, 3), Action::Register);
        sync.registered();
        assert_eq!(sync.next(0, 3), Action::Push { max: MAX_BATCH_EVENTS });
        sync.pushed(3);
        sync.pulled(10, 3, 3);
        assert_eq!(sync.next(10, 0), Action::Listen { after: 3 });
        assert_eq!(sync.status(0), SyncStatus::Synced { at: 10 });
    }

    #[test]
    fn offline_waits_and_online_syncs_at_once() {
        let mut sync = SyncState::new(5, true, false);
        assert_eq!(sync.next(0, 2), Action::Idle);
        assert_eq!(sync.status(2), SyncStatus::Offline { pending: 2 });
        sync.set_online(true);
        sync.failed(0, "no network", 0.5);
        sync.set_online(false);
        sync.set_online(true);
        assert_eq!(sync.next(1, 2), Action::Push { max: MAX_BATCH_EVENTS }, "no back-off left after coming online");
    }

    #[test]
    fn failures_back_off_with_jitter_up_to_a_minute() {
        let mut sync = SyncState::new(0, true, true);
        let mut waits = Vec::new();
        for _ in 0..10 {
            sync.failed(0, "down", 0.0);
            let Action::WaitUntil(at) = sync.next(0, 1) else { panic!("should wait") };
            waits.push(at);
        }
        assert_eq!(&waits[..4], [500, 1000, 2000, 4000]);
        assert_eq!(*waits.last().unwrap(), 30_000);
        sync.failed(0, "down", 1.0);
        assert_eq!(sync.next(0, 1), Action::WaitUntil(60_000));
        assert!(matches!(sync.status(1), SyncStatus::Failed { retry_at: 60_000, .. }));
        assert_eq!(sync.next(60_000, 1), Action::Push { max: MAX_BATCH_EVENTS }, "due: try again");
        sync.pushed(1);
        assert_eq!(sync.status(1), SyncStatus::Syncing { pending: 1, behind: 1 }, "a success clears the error");
    }

    #[test]
    fn a_broken_live_connection_falls_back_to_polling() {
        let mut sync = SyncState::new(4, true, true);
        sync.pulled(0, 4, 4);
        sync.live_ended(100);
        assert_eq!(sync.next(100, 0), Action::WaitUntil(5_100));
        assert_eq!(sync.next(5_100, 0), Action::Pull { after: 4 });
        sync.pulled(5_100, 4, 4);
        assert_eq!(sync.next(5_200, 0), Action::WaitUntil(10_100));
        assert_eq!(sync.next(30_100, 0), Action::Listen { after: 4 }, "then listens again");
    }

    #[test]
    fn a_push_that_landed_after_others_is_followed_by_a_pull_not_a_second_push() {
        let mut sync = SyncState::new(4, true, true);
        assert_eq!(sync.next(0, 3), Action::Push { max: MAX_BATCH_EVENTS });
        // The server stored ours at 7..9: another device pushed 5 and 6 first.
        sync.pushed(9);
        assert_eq!(sync.next(0, 3), Action::Pull { after: 4 });
        sync.pulled(0, 9, 9);
        assert_eq!(sync.next(0, 0), Action::Listen { after: 9 });
    }

    #[test]
    fn pulls_until_the_server_head_is_reached() {
        let mut sync = SyncState::new(0, true, true);
        assert_eq!(sync.next(0, 0), Action::Pull { after: 0 });
        sync.pulled(0, 1000, 2500);
        assert_eq!(sync.next(0, 0), Action::Pull { after: 1000 });
        assert_eq!(sync.status(0), SyncStatus::Syncing { pending: 0, behind: 1500 });
    }
}
