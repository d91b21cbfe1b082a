//! The sealed form of events: it round-trips, its associated data binds an event to its stream,
//! id, device, time and key, and anything altered fails to open. AES-GCM and HKDF here are
//! RustCrypto's; the app uses WebCrypto, and both agree on the known-answer vector in
//! `tests/data/sealed-vector.json`, which the app's browser test reads too.

use aes_gcm::aead::{Aead, KeyInit, Payload as AeadPayload};
use aes_gcm::{Aes256Gcm, Nonce};
use chronicle_core::sealed::{
    self, Arrived, KEY_BYTES, KEY_ID_INFO, KeyId, NONCE_BYTES, SEALED, SealError, from_base64url,
};
use chronicle_core::{Data, Diagnostics, Event, EventPayload, Payload, RawEnvelope, Uuid};
use proptest::prelude::*;
use serde_json::{Value, json};

fn key_id(key: &[u8; KEY_BYTES]) -> KeyId {
    let mut id = [0u8; 16];
    hkdf::Hkdf::<sha2::Sha256>::new(None, key).expand(KEY_ID_INFO, &mut id).unwrap();
    KeyId(id)
}

fn seal(event: &RawEnvelope, key: &[u8; KEY_BYTES], nonce: &[u8; NONCE_BYTES]) -> RawEnvelope {
    let id = key_id(key);
    let cipher = Aes256Gcm::new_from_slice(key).unwrap();
    let plaintext = sealed::plaintext(event);
    let associated = sealed::associated_data(event, id);
    let ciphertext =
        cipher.encrypt(Nonce::from_slice(nonce), AeadPayload { msg: &plaintext, aad: &associated }).unwrap();
    sealed::sealed(event, id, nonce, &ciphertext)
}

/// Opens `event` with `key` as a device would: `None` when it does not open.
fn open(event: &RawEnvelope, key: &[u8; KEY_BYTES]) -> Option<RawEnvelope> {
    let Arrived::Sealed(parts) = sealed::arrived(event) else { return None };
    let cipher = Aes256Gcm::new_from_slice(key).unwrap();
    let plaintext = cipher
        .decrypt(Nonce::from_slice(&parts.nonce), AeadPayload { msg: &parts.ciphertext, aad: &parts.associated })
        .ok()?;
    sealed::opened(event, &plaintext).ok()
}

fn event() -> RawEnvelope {
    RawEnvelope {
        id: Uuid::from_u128(0x0191_d3a8_7c1e_7b5e_9f3a_2b4c_6d8e_0f12),
        stream: Uuid::from_u128(0x0191_d3a8_7c00_7000_8000_0000_0000_0001),
        kind: "card_added".to_owned(),
        version: 2,
        device: Uuid::from_u128(0x0191_d3a8_7c00_7000_8000_0000_0000_00d1),
        at: 1_790_000_000_000,
        seq: None,
        data: json!({"card": "0191d3a8-7c1e-7b5e-9f3a-2b4c6d8e0f13", "column": "0191d3a8-7c1e-7b5e-9f3a-2b4c6d8e0f14",
                     "title": "Résumé ✓", "description": ""})
        .into(),
    }
}

/// `event` with its data changed by `change`.
fn edited(event: &RawEnvelope, change: impl FnOnce(&mut Value)) -> RawEnvelope {
    let mut data = event.data.to_value();
    change(&mut data);
    RawEnvelope { data: data.into(), ..event.clone() }
}

fn vector() -> Value {
    serde_json::from_str(include_str!("../../../tests/data/sealed-vector.json")).unwrap()
}

fn bytes(value: &Value) -> Vec<u8> {
    from_base64url(value.as_str().unwrap()).unwrap()
}

#[test]
fn the_known_answer_vector_seals_and_opens_as_written() {
    let vector = vector();
    let key: [u8; KEY_BYTES] = bytes(&vector["key"]).try_into().unwrap();
    let nonce: [u8; NONCE_BYTES] = bytes(&vector["nonce"]).try_into().unwrap();
    let clear: RawEnvelope = serde_json::from_value(vector["event"].clone()).unwrap();
    assert_eq!(clear, event(), "the vector's event is this test's");
    assert_eq!(key_id(&key).to_string(), vector["key_id"].as_str().unwrap());
    assert_eq!(sealed::associated_data(&clear, key_id(&key)), bytes(&vector["associated_data"]));
    let sealed_event = seal(&clear, &key, &nonce);
    assert_eq!(serde_json::to_value(&sealed_event).unwrap(), vector["sealed"]);
    assert_eq!(open(&sealed_event, &key), Some(clear));
}

#[test]
fn the_server_sees_ids_device_and_time_but_not_the_event() {
    let clear = event();
    let sealed_event = seal(&clear, &[7; KEY_BYTES], &[1; NONCE_BYTES]);
    assert_eq!(sealed_event.kind, SEALED);
    assert_eq!(
        (sealed_event.id, sealed_event.stream, sealed_event.device, sealed_event.at),
        (clear.id, clear.stream, clear.device, clear.at)
    );
    let text = serde_json::to_string(&sealed_event).unwrap();
    assert!(!text.contains("card_added") && !text.contains("sum"), "{text}");
    assert_eq!(sealed::sealed_with(&sealed_event), Some(key_id(&[7; KEY_BYTES])));
}

#[test]
fn an_event_moved_relabelled_or_altered_does_not_open() {
    let key = [7; KEY_BYTES];
    let good = seal(&event(), &key, &[1; NONCE_BYTES]);
    assert!(open(&good, &key).is_some());
    let moved: [fn(&mut RawEnvelope); 4] = [
        |e| e.stream = Uuid::from_u128(2),
        |e| e.id = Uuid::from_u128(3),
        |e| e.device = Uuid::from_u128(4),
        |e| e.at += 1,
    ];
    for change in moved {
        let mut bad = good.clone();
        change(&mut bad);
        assert_eq!(open(&bad, &key), None, "{bad:?}");
    }
    // Another key id in the envelope: it names a key this device lacks, and with the right
    // key it still does not open, since the key id is bound too.
    let relabelled = edited(&good, |data| data["key"] = json!(key_id(&[8; KEY_BYTES]).to_string()));
    assert_eq!(open(&relabelled, &key), None);
    assert_eq!(open(&good, &[8; KEY_BYTES]), None, "another key");
}

proptest! {
    #[test]
    fn every_flipped_bit_of_the_ciphertext_or_nonce_fails(bit in 0usize..2000, in_nonce in any::<bool>()) {
        let key = [9; KEY_BYTES];
        let good = seal(&event(), &key, &[5; NONCE_BYTES]);
        let field = if in_nonce { "nonce" } else { "ciphertext" };
        let mut bytes = from_base64url(good.data.to_value()[field].as_str().unwrap()).unwrap();
        let bit = bit % (bytes.len() * 8);
        bytes[bit / 8] ^= 1 << (bit % 8);
        let bad = edited(&good, |data| data[field] = json!(sealed::base64url(&bytes)));
        prop_assert_eq!(open(&bad, &key), None);
    }

    #[test]
    fn any_event_round_trips(title in ".{0,40}", at in any::<i64>(), version in 1u16..5) {
        let mut clear = edited(&event(), |data| data["title"] = json!(title));
        clear.at = at;
        clear.version = version;
        let key = [3; KEY_BYTES];
        prop_assert_eq!(open(&seal(&clear, &key, &[2; NONCE_BYTES]), &key), Some(clear));
    }
}

#[test]
fn a_truncated_or_damaged_sealed_form_is_kept_with_a_reason() {
    let good = seal(&event(), &[7; KEY_BYTES], &[1; NONCE_BYTES]);
    let cut = edited(&good, |data| data["ciphertext"] = json!("AAAA"));
    let no_nonce = edited(&good, |data| {
        data.as_object_mut().unwrap().remove("nonce");
    });
    let bad_key = edited(&good, |data| data["key"] = json!("not base64!"));
    let number_key = edited(&good, |data| data["key"] = json!(5));
    let not_an_object = edited(&good, |data| *data = json!(["key", "nonce", "ciphertext"]));
    for bad in [cut, no_nonce, bad_key, number_key, not_an_object] {
        assert!(matches!(sealed::arrived(&bad), Arrived::Kept(SealError::Malformed(_))), "{bad:?}");
    }
    assert_eq!(sealed::arrived(&event()), Arrived::Clear);
    assert!(sealed::opened(&good, b"{\"type\":\"sealed\",\"version\":1,\"data\":{}}").is_err(), "no sealing twice");
    assert!(sealed::opened(&good, b"not json").is_err());
}

/// A tiny domain for the fold's side of it.
#[derive(Debug, Clone, PartialEq)]
struct Noted(String);

impl EventPayload for Noted {
    fn kind(&self) -> &'static str {
        "noted"
    }
    fn version(&self) -> u16 {
        1
    }
    fn to_data(&self) -> Data {
        json!(self.0).into()
    }
    fn current_version(kind: &str) -> Option<u16> {
        (kind == "noted").then_some(1)
    }
    fn from_data(_: &str, _: u16, data: &str) -> Result<Self, String> {
        serde_json::from_str(data).map(Noted).map_err(|e| e.to_string())
    }
}

#[test]
fn sealed_events_of_an_unknown_form_or_key_are_kept_and_counted_never_applied() {
    let mut newer = seal(&event(), &[7; KEY_BYTES], &[1; NONCE_BYTES]);
    newer.version = 2;
    assert_eq!(sealed::arrived(&newer), Arrived::Kept(SealError::NewerVersion(2)));
    let unopened = seal(&event(), &[7; KEY_BYTES], &[1; NONCE_BYTES]);
    let clear = RawEnvelope { kind: "noted".into(), version: 1, data: json!("hi").into(), ..event() };
    let unsealed = sealed::unsealed(&clear);
    assert_eq!(sealed::unwrapped(&unsealed), Some(clear.clone()), "kept whole");

    let mut diagnostics = Diagnostics::default();
    for raw in [newer.clone(), unopened, unsealed] {
        let decoded = Event::<Noted>::decode(raw.clone());
        assert!(matches!(decoded.payload, Payload::Unreadable(_)), "never applied");
        assert_eq!(decoded.encode(), raw, "kept as it came");
        diagnostics.record(&decoded, chronicle_core::Effect::Unreadable);
    }
    assert_eq!(diagnostics.sealed.get(&key_id(&[7; KEY_BYTES]).to_string()), Some(&1));
    assert_eq!(diagnostics.unsealed, 1);
    assert_eq!(diagnostics.unreadable(), 1, "a newer sealed form is kept like any event this build cannot read");
    assert_eq!(diagnostics.undecrypted(), 2);
}
