//! The engine's laws, on a tiny counter domain: decoding and upcasting, unreadable events kept,
//! and rebase equal to a fold of the concatenated log.

use chronicle_core::{
    Data, Decider, Diagnostics, Effect, Event, EventPayload, Log, Payload, RawEnvelope, UnreadableReason, Upcaster,
    parse_lines,
};
use proptest::prelude::*;
use serde_json::{Value, json};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq)]
enum Counted {
    Added { amount: i64 },
}

fn v1_to_v2(data: Value) -> Value {
    // Version 1 called the field `n`.
    json!({ "amount": data.get("n").cloned().unwrap_or(json!(0)) })
}

static UPCASTERS: [Upcaster; 1] = [Upcaster { kind: "added", from: 1, lift: v1_to_v2 }];

impl EventPayload for Counted {
    fn kind(&self) -> &'static str {
        "added"
    }
    fn version(&self) -> u16 {
        3
    }
    fn to_data(&self) -> Data {
        let Counted::Added { amount } = self;
        json!({ "amount": amount }).into()
    }
    fn current_version(kind: &str) -> Option<u16> {
        // Version 3 added an optional `note`, which version 2's data reads without: no upcaster.
        (kind == "added").then_some(3)
    }
    fn from_data(_: &str, version: u16, data: &str) -> Result<Self, String> {
        // Version 1 has an upcaster: its data must come lifted, at the current version.
        if version == 1 {
            return Err("version 1 came without its upcaster".to_owned());
        }
        let data: Value = serde_json::from_str(data).map_err(|e| e.to_string())?;
        let amount = data.get("amount").and_then(Value::as_i64).ok_or("amount must be an integer")?;
        Ok(Counted::Added { amount })
    }
    fn upcasters() -> &'static [Upcaster] {
        &UPCASTERS
    }
}

struct Counter;

impl Decider for Counter {
    type State = Vec<i64>;
    type Command = i64;
    type Event = Counted;
    type Rejection = &'static str;

    fn decide(_: &Vec<i64>, amount: i64) -> Result<Vec<Counted>, &'static str> {
        if amount == 0 { Err("nothing to add") } else { Ok(vec![Counted::Added { amount }]) }
    }

    fn evolve(mut state: Vec<i64>, event: &Event<Counted>) -> Vec<i64> {
        if let Some(Counted::Added { amount }) = event.known() {
            state.push(*amount);
        }
        state
    }
}

fn raw(kind: &str, version: u16, data: Value) -> RawEnvelope {
    RawEnvelope {
        id: Uuid::from_u128(1),
        stream: Uuid::from_u128(2),
        kind: kind.to_owned(),
        version,
        device: Uuid::from_u128(3),
        at: 1_700_000_000_000,
        seq: None,
        data: data.into(),
    }
}

#[test]
fn current_version_decodes_and_encodes_back() {
    let envelope = raw("added", 3, json!({ "amount": 5 }));
    let event = Event::<Counted>::decode(envelope.clone());
    assert_eq!(event.known(), Some(&Counted::Added { amount: 5 }));
    assert_eq!(event.encode(), envelope);
}

#[test]
fn older_version_is_upcast_on_read() {
    let event = Event::<Counted>::decode(raw("added", 1, json!({ "n": 7 })));
    assert_eq!(event.known(), Some(&Counted::Added { amount: 7 }));
}

#[test]
fn older_version_that_no_upcaster_lifts_is_read_as_it_is() {
    let event = Event::<Counted>::decode(raw("added", 2, json!({ "amount": 4 })));
    assert_eq!(event.known(), Some(&Counted::Added { amount: 4 }));
}

#[test]
fn unknown_type_newer_version_and_bad_data_are_kept_as_they_came() {
    let cases = [
        (raw("renamed", 1, json!({ "x": 1 })), UnreadableReason::UnknownType),
        (raw("added", 4, json!({ "amount": 1 })), UnreadableReason::NewerVersion),
        (raw("added", 0, json!({ "amount": 1 })), UnreadableReason::NewerVersion),
    ];
    for (envelope, reason) in cases {
        let event = Event::<Counted>::decode(envelope.clone());
        let Payload::Unreadable(u) = &event.payload else { panic!("{envelope:?} should be unreadable") };
        assert_eq!(u.reason, reason);
        assert_eq!(event.encode(), envelope, "an unreadable event is written back unchanged");
    }
    let bad = Event::<Counted>::decode(raw("added", 2, json!({ "amount": "lots" })));
    assert!(matches!(&bad.payload, Payload::Unreadable(u) if matches!(u.reason, UnreadableReason::Malformed(_))));
    let lifted_bad = Event::<Counted>::decode(raw("added", 1, json!({ "n": "lots" })));
    let Payload::Unreadable(u) = &lifted_bad.payload else { panic!("a bad version 1 should be unreadable") };
    assert_eq!(u.data, json!({ "n": "lots" }).into(), "it keeps the data as it came, not as it was lifted");
}

#[test]
fn unreadable_data_is_written_back_byte_for_byte() {
    let text = r#"{ "x" : 1.50,  "y" : "\u00e9" }"#;
    let envelope = RawEnvelope { data: Data::from_text(text.to_owned()).unwrap(), ..raw("renamed", 1, json!({})) };
    let line = serde_json::to_string(&Event::<Counted>::decode(envelope).encode()).unwrap();
    assert!(line.contains(text), "{line}");
    let read: RawEnvelope = serde_json::from_str(&line).unwrap();
    assert_eq!(read.data.text(), text);
}

#[test]
fn diagnostics_count_what_was_skipped() {
    let mut diagnostics = Diagnostics::default();
    for envelope in [raw("renamed", 1, json!({})), raw("added", 9, json!({})), raw("added", 3, json!({}))] {
        diagnostics.record(&Event::<Counted>::decode(envelope), Effect::Unreadable);
    }
    diagnostics
        .record(&Event::new(Uuid::nil(), Uuid::nil(), Uuid::nil(), 0, Counted::Added { amount: 1 }), Effect::NoEffect);
    assert_eq!(diagnostics.unreadable(), 3);
    assert_eq!(diagnostics.unknown_types.get("renamed"), Some(&1));
    assert_eq!(diagnostics.newer_versions.get("added"), Some(&1));
    assert_eq!(diagnostics.no_effect, 1);
    assert!(!diagnostics.is_clean());
}

#[test]
fn decide_rejects_without_events() {
    assert_eq!(Counter::decide(&vec![], 0), Err("nothing to add"));
    assert_eq!(Counter::decide(&vec![], 2), Ok(vec![Counted::Added { amount: 2 }]));
}

#[test]
fn parse_lines_reports_bad_lines_and_keeps_the_rest() {
    let good = serde_json::to_string(&raw("added", 2, json!({ "amount": 1 }))).unwrap();
    let text = format!("{good}\n\nnot json\n{{\"id\": 1}}\n{good}\n");
    let (envelopes, errors) = parse_lines(&text);
    assert_eq!(envelopes.len(), 2);
    assert_eq!(errors.iter().map(|e| e.line).collect::<Vec<_>>(), vec![3, 4]);
}

fn event(id: u128, amount: i64, seq: Option<u64>) -> Event<Counted> {
    let mut e = Event::new(Uuid::from_u128(id), Uuid::from_u128(2), Uuid::from_u128(3), 0, Counted::Added { amount });
    e.meta.seq = seq;
    e
}

#[test]
fn rebase_acknowledges_own_events_and_replays_the_rest_on_top() {
    let mut log = Log::default();
    log.append([event(10, 1, None), event(11, 2, None)]);
    let report = log.rebase([event(20, 100, Some(1)), event(10, 1, Some(2))]);
    assert_eq!(report.acknowledged, vec![Uuid::from_u128(10)]);
    assert_eq!(Counter::replay(log.events()), vec![100, 1, 2]);
    assert_eq!(log.pending().len(), 1);
    assert_eq!(log.head(), 2);

    let again = log.rebase([event(20, 100, Some(1))]);
    assert_eq!(again.duplicates, 1);
    let gap = log.rebase([event(30, 5, Some(5))]);
    assert_eq!(gap.missing_from, Some(3));
    assert_eq!(log.head(), 2, "nothing after a gap is confirmed");
}

proptest! {
    /// Whatever the server confirms (new events from others, some of ours, duplicates, in any
    /// delivery order), the state after rebase is the fold of the new confirmed sequence followed
    /// by what is still pending.
    #[test]
    fn rebase_equals_fold_of_the_concatenation(
        confirmed_before in 0usize..5,
        pending in proptest::collection::vec(-5i64..5, 0..8),
        remote in proptest::collection::vec(-5i64..5, 0..8),
        ours_acked in 0usize..8,
        shuffle in any::<u64>(),
    ) {
        let mut log = Log::default();
        let initial: Vec<_> = (0..confirmed_before).map(|i| event(1000 + i as u128, i as i64, Some(i as u64 + 1))).collect();
        log.rebase(initial.clone());
        let mine: Vec<_> = pending.iter().enumerate().map(|(i, a)| event(2000 + i as u128, *a, None)).collect();
        log.append(mine.clone());

        // The server interleaves remote events with the first `ours_acked` of ours.
        let acked = ours_acked.min(mine.len());
        let mut server_order: Vec<Event<Counted>> = Vec::new();
        let mut r = remote.iter().enumerate();
        for (i, e) in mine.iter().take(acked).enumerate() {
            if let Some((j, a)) = r.next() { server_order.push(event(3000 + j as u128, *a, None)); }
            let _ = i;
            server_order.push(e.clone());
        }
        for (j, a) in r { server_order.push(event(3000 + j as u128, *a, None)); }
        for (k, e) in server_order.iter_mut().enumerate() { e.meta.seq = Some((confirmed_before + k + 1) as u64); }

        let mut delivery = server_order.clone();
        delivery.extend(initial.iter().cloned()); // re-delivered duplicates
        let n = delivery.len().max(1);
        delivery.rotate_left((shuffle as usize) % n);
        log.rebase(delivery);

        let expected: Vec<_> = initial.iter().chain(&server_order).chain(mine.iter().skip(acked)).cloned().collect();
        prop_assert_eq!(Counter::replay(log.events()), Counter::replay(expected.iter()));
        prop_assert_eq!(log.pending().len(), mine.len() - acked);
        prop_assert_eq!(log.head(), (confirmed_before + server_order.len()) as u64);
    }

    /// Decoding never panics, whatever the envelope holds.
    #[test]
    fn decode_never_panics(kind in "[a-z_]{0,12}", version in any::<u16>(), n in any::<i64>(), text in ".{0,20}") {
        for data in [json!({ "amount": n }), json!({ "n": n }), json!(text), json!(null), json!([n])] {
            let _ = Event::<Counted>::decode(raw(&kind, version, data)).encode();
        }
    }
}

/// A server as the protocol describes it: one dense log, ids unique, a retried push is harmless.
#[derive(Default)]
struct Server {
    log: Vec<Event<Counted>>,
}

impl Server {
    fn push(&mut self, events: &[Event<Counted>]) {
        for e in events {
            if !self.log.iter().any(|s| s.meta.id == e.meta.id) {
                let mut stored = e.clone();
                stored.meta.seq = Some(self.log.len() as u64 + 1);
                self.log.push(stored);
            }
        }
    }
}

/// What can happen to a device, in any order.
#[derive(Debug, Clone)]
enum Step {
    /// The device records an edit, online or not.
    Edit { device: usize, amount: i64 },
    /// The device pushes its pending events, perhaps twice (a retry after a lost reply).
    Push { device: usize, retry: bool },
    /// The device gets some of the server's events: from `from`, `count` of them, in an order
    /// rotated by `rotate` (a reordered delivery; `from` below its head brings duplicates).
    Deliver { device: usize, from: usize, count: usize, rotate: usize },
}

fn step(devices: usize) -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => (0..devices, -9i64..9).prop_filter("0 is refused", |(_, a)| *a != 0)
            .prop_map(|(device, amount)| Step::Edit { device, amount }),
        2 => (0..devices, any::<bool>()).prop_map(|(device, retry)| Step::Push { device, retry }),
        2 => (0..devices, 0usize..40, 0usize..10, 0usize..10)
            .prop_map(|(device, from, count, rotate)| Step::Deliver { device, from, count, rotate }),
    ]
}

/// Runs the steps, then lets every device come online and sync fully, and checks that all of them
/// hold the server's sequence and the same state.
fn converge(devices: usize, steps: Vec<Step>) -> Result<(), TestCaseError> {
    let mut server = Server::default();
    let mut logs: Vec<Log<Event<Counted>>> = (0..devices).map(|_| Log::default()).collect();
    let mut next_id = 1u128;
    let mut made = 0usize;
    for s in steps {
        match s {
            Step::Edit { device, amount } => {
                let state = Counter::replay(logs[device].events());
                let decided = Counter::decide(&state, amount).expect("non-zero amounts are accepted");
                let events = decided.into_iter().map(|payload| {
                    next_id += 1;
                    Event::new(
                        Uuid::from_u128(next_id),
                        Uuid::from_u128(2),
                        Uuid::from_u128(device as u128),
                        0,
                        payload,
                    )
                });
                logs[device].append(events);
                made += 1;
            }
            Step::Push { device, retry } => {
                let pending = logs[device].pending().to_vec();
                server.push(&pending);
                if retry {
                    server.push(&pending);
                }
            }
            Step::Deliver { device, from, count, rotate } => {
                let from = from.min(server.log.len());
                let mut delivery: Vec<_> = server.log[from..(from + count).min(server.log.len())].to_vec();
                if !delivery.is_empty() {
                    let n = delivery.len();
                    delivery.rotate_left(rotate % n);
                }
                let before = logs[device].head();
                let report = logs[device].rebase(delivery);
                prop_assert!(logs[device].head() >= before);
                if let Some(missing) = report.missing_from {
                    prop_assert_eq!(missing, logs[device].head() + 1, "a gap is reported from the head");
                }
            }
        }
        for log in &logs {
            let seqs: Vec<u64> = log.confirmed().iter().filter_map(|e| e.meta.seq).collect();
            prop_assert_eq!(seqs, (1..=log.head()).collect::<Vec<_>>(), "confirmed stays dense");
        }
    }
    // Everyone comes back online: pushes what is pending, then pulls in pages from its head.
    for log in &logs {
        server.push(log.pending());
    }
    for log in &mut logs {
        while (log.head() as usize) < server.log.len() {
            let from = log.head() as usize;
            log.rebase(server.log[from..(from + 3).min(server.log.len())].to_vec());
        }
    }
    prop_assert_eq!(server.log.len(), made, "every edit is on the server exactly once");
    let ids = |log: &Log<Event<Counted>>| log.confirmed().iter().map(|e| e.meta.id).collect::<Vec<_>>();
    let server_ids: Vec<Uuid> = server.log.iter().map(|e| e.meta.id).collect();
    let server_state = Counter::replay(server.log.iter());
    for log in &logs {
        prop_assert!(log.pending().is_empty());
        prop_assert_eq!(ids(log), server_ids.clone(), "the same confirmed sequence");
        prop_assert_eq!(Counter::replay(log.events()), server_state.clone(), "the same state");
    }
    Ok(())
}

proptest! {
    /// Two devices editing offline, pushing, retrying and receiving duplicated, reordered, partial
    /// deliveries end with the server's sequence and the same state.
    #[test]
    fn two_devices_converge(steps in proptest::collection::vec(step(2), 0..40)) {
        converge(2, steps)?;
    }

    /// The same with three devices.
    #[test]
    fn three_devices_converge(steps in proptest::collection::vec(step(3), 0..60)) {
        converge(3, steps)?;
    }

    /// A log resumed from a stored head takes exactly what comes after it.
    #[test]
    fn a_resumed_log_takes_what_follows_its_head(head in 0u64..20, more in 0u64..10) {
        let mut log = Log::resume(head, vec![event(9_000, 1, None)]);
        let incoming: Vec<_> = (1..=head + more).map(|s| event(s as u128, 1, Some(s))).collect();
        let report = log.rebase(incoming);
        prop_assert_eq!(report.confirmed as u64, more);
        prop_assert_eq!(report.duplicates as u64, head);
        prop_assert_eq!(log.head(), head + more);
        prop_assert_eq!(log.pending().len(), 1);
    }
}

/// A fold of the counter model, as a projection.
#[derive(Debug, Clone, Default, PartialEq)]
struct Sums(Vec<i64>);

impl chronicle_core::Projection<Counted> for Sums {
    fn apply(&mut self, event: &Event<Counted>) {
        self.0 = Counter::evolve(std::mem::take(&mut self.0), event);
    }
}

proptest! {
    /// The state at any position through keyframes equals a full replay up to that position.
    #[test]
    fn a_keyframe_seek_equals_a_full_replay(
        amounts in proptest::collection::vec(-9i64..9, 0..120),
        every in 1usize..20,
        positions in proptest::collection::vec(0usize..130, 1..10),
    ) {
        let log: Vec<_> = amounts.iter().enumerate().map(|(i, a)| event(i as u128 + 1, *a, None)).collect();
        let keyframes = chronicle_core::Keyframes::<Sums>::build(&log, every);
        for position in positions {
            let expected = Counter::replay(log.iter().take(position));
            prop_assert_eq!(keyframes.at(&log, position).0, expected);
        }
    }

    /// After a rebase puts remote events before pending ones, the keyframes are cut back to where
    /// the log changed and extended: seeks still equal full replays of the new log.
    #[test]
    fn keyframes_follow_a_rebase(
        confirmed in proptest::collection::vec(-9i64..9, 0..30),
        pending in proptest::collection::vec(-9i64..9, 1..30),
        remote in proptest::collection::vec(-9i64..9, 1..30),
        every in 1usize..12,
        positions in proptest::collection::vec(0usize..100, 1..10),
    ) {
        let seq = |events: &mut Vec<Event<Counted>>, from: usize| {
            for (i, e) in events.iter_mut().enumerate() { e.meta.seq = Some((from + i + 1) as u64); }
        };
        let mut confirmed: Vec<_> = confirmed.iter().enumerate().map(|(i, a)| event(i as u128 + 1, *a, None)).collect();
        seq(&mut confirmed, 0);
        let mine: Vec<_> = pending.iter().enumerate().map(|(i, a)| event(1000 + i as u128, *a, None)).collect();
        let mut log = Log::new(confirmed.clone(), mine.clone());
        let before: Vec<_> = log.events().cloned().collect();
        let mut keyframes = chronicle_core::Keyframes::<Sums>::build(&before, every);

        let mut theirs: Vec<_> = remote.iter().enumerate().map(|(i, a)| event(2000 + i as u128, *a, None)).collect();
        seq(&mut theirs, confirmed.len());
        log.rebase(theirs);
        let after: Vec<_> = log.events().cloned().collect();
        keyframes.truncate(&after, confirmed.len());
        keyframes.extend(&after);
        for position in positions {
            prop_assert_eq!(keyframes.at(&after, position).0, Counter::replay(after.iter().take(position)));
        }
    }
}
