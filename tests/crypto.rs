//! Private boards in a real headless Chromium: WebCrypto seals and opens as the engine's sealed
//! form says (the known-answer vector the native test checks with RustCrypto), keys are kept and
//! read back, and what does not open is kept, never applied.

#![cfg(target_arch = "wasm32")]

use chronicle::crypto::{self, BoardKey};
use chronicle::storage::Storage;
use chronicle_core::sealed::{self, KEY_BYTES, NONCE_BYTES, SEALED, UNSEALED, from_base64url};
use chronicle_core::{RawEnvelope, Uuid};
use serde_json::{Value, json};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn vector() -> Value {
    serde_json::from_str(include_str!("data/sealed-vector.json")).unwrap()
}

fn bytes(value: &Value) -> Vec<u8> {
    from_base64url(value.as_str().unwrap()).unwrap()
}

fn event(n: u128) -> RawEnvelope {
    RawEnvelope {
        id: Uuid::from_u128(0x1000 + n),
        stream: Uuid::from_u128(1),
        kind: "card_added".into(),
        version: 2,
        device: Uuid::from_u128(7),
        at: 1_790_000_000_000 + n as i64,
        seq: Some(n as u64),
        data: json!({ "title": format!("Card {n}") }).into(),
    }
}

async fn key_of(fill: u8) -> BoardKey {
    BoardKey::import([fill; KEY_BYTES]).await.unwrap()
}

#[wasm_bindgen_test]
async fn webcrypto_seals_the_known_answer_vector_byte_for_byte_and_opens_it() {
    let vector = vector();
    let raw: [u8; KEY_BYTES] = bytes(&vector["key"]).try_into().unwrap();
    let nonce: [u8; NONCE_BYTES] = bytes(&vector["nonce"]).try_into().unwrap();
    let clear: RawEnvelope = serde_json::from_value(vector["event"].clone()).unwrap();
    let key = BoardKey::import(raw).await.unwrap();
    assert_eq!(key.id().to_string(), vector["key_id"].as_str().unwrap(), "HKDF agrees");
    let sealed = key.seal_with_nonces(std::slice::from_ref(&clear), &[nonce]).await.unwrap();
    assert_eq!(serde_json::to_value(&sealed[0]).unwrap(), vector["sealed"], "AES-GCM agrees");
    let opened = crypto::open_all(Some(&key), vec![serde_json::from_value(vector["sealed"].clone()).unwrap()]).await;
    assert_eq!(opened, [clear]);
}

#[wasm_bindgen_test]
async fn every_event_gets_its_own_nonce_and_a_thousand_open_side_by_side() {
    let key = key_of(3).await;
    let events: Vec<RawEnvelope> = (1..=1000).map(event).collect();
    let sealed = key.seal_all(&events).await.unwrap();
    let nonces: std::collections::HashSet<Value> = sealed.iter().map(|e| e.data.to_value()["nonce"].clone()).collect();
    assert_eq!(nonces.len(), 1000, "no nonce twice");
    assert!(sealed.iter().all(|e| e.kind == SEALED && !e.data.text().contains("Card")));
    assert_eq!(crypto::open_all(Some(&key), sealed).await, events);
}

#[wasm_bindgen_test]
async fn what_does_not_open_is_kept_as_it_came_and_a_clear_event_on_a_private_board_is_kept_apart() {
    let key = key_of(3).await;
    let other = key_of(4).await;
    let sealed = key.seal_all(&[event(1), event(2), event(3)]).await.unwrap();
    let mut tampered = sealed[1].clone();
    let mut data = tampered.data.to_value();
    let mut ciphertext = bytes(&data["ciphertext"]);
    ciphertext[0] ^= 1;
    data["ciphertext"] = json!(sealed::base64url(&ciphertext));
    tampered.data = data.into();
    let mut moved = sealed[2].clone();
    moved.stream = Uuid::from_u128(2);
    let arrived = vec![sealed[0].clone(), tampered.clone(), moved.clone(), event(4)];
    let opened = crypto::open_all(Some(&key), arrived.clone()).await;
    assert_eq!(opened[0], event(1));
    assert_eq!((&opened[1], &opened[2]), (&tampered, &moved), "kept byte for byte");
    assert_eq!(opened[3].kind, UNSEALED, "a clear event reached a private board: not applied");
    assert_eq!(sealed::unwrapped(&opened[3]), Some(event(4)), "and nothing of it is lost");

    let elsewhere = crypto::open_all(Some(&other), sealed.clone()).await;
    assert_eq!(elsewhere, sealed, "another key opens nothing");
    assert_eq!(
        crypto::open_all(None, arrived.clone()).await,
        arrived,
        "a board in the clear takes events as they come"
    );
    // The right key arrives: what it sealed opens now.
    assert_eq!(crypto::reopen(&key, &elsewhere).await, [event(1), event(2), event(3)]);
}

#[wasm_bindgen_test]
async fn a_boards_key_is_kept_as_its_bytes_read_back_and_used_without_being_extractable() {
    let name = format!("chronicle-test-{}", chronicle::clock::new_id());
    let storage = Storage::open(&name, || ()).await.unwrap();
    let stream = chronicle::clock::new_id();
    assert_eq!(storage.board_key(stream).await.unwrap(), None, "a board in the clear has none");
    let raw = BoardKey::generate().unwrap();
    assert_ne!(raw, [0; KEY_BYTES]);
    storage.set_board_key(stream, &raw).await.unwrap();
    storage.close();
    let storage = Storage::open(&name, || ()).await.unwrap();
    assert_eq!(storage.board_key(stream).await.unwrap(), Some(raw));
    let key = BoardKey::import(raw).await.unwrap();
    assert!(!key.is_extractable(), "the AES key cannot be read back out of the browser");
    let sealed = key.seal_all(&[event(1)]).await.unwrap();
    let again = BoardKey::import(storage.board_key(stream).await.unwrap().unwrap()).await.unwrap();
    assert_eq!(crypto::open_all(Some(&again), sealed).await, [event(1)]);
    assert!(!format!("{key:?}").contains(&sealed::base64url(&raw)), "never printed");
}
