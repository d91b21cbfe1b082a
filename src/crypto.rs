//! A private board's key, and sealing and opening its events with the browser's WebCrypto
//! (AES-256-GCM, HKDF-SHA-256): the only module that does cryptography. The sealed form itself
//! (what is sealed, the associated data, the key id) is the engine's, `chronicle_core::sealed`.
//!
//! Every call for many events is issued side by side: WebCrypto works on its own threads, and
//! awaiting each event in turn would make a thousand events a thousand round trips.

use chronicle_core::RawEnvelope;
use chronicle_core::sealed::{self, Arrived, KEY_BYTES, KEY_ID_BYTES, KEY_ID_INFO, KeyId, NONCE_BYTES};
use js_sys::{Array, Object, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{CryptoKey, SubtleCrypto};

use crate::clock::{fill_secure_random, secure_random};

/// Why a key could not be made or used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    /// No secure random generator or no WebCrypto here (a page served over plain HTTP from
    /// another machine, say): a private board is never made with weaker means.
    #[error(
        "This browser offers no secure encryption here (open Chronicle over HTTPS), so a private board cannot be made or changed."
    )]
    Unavailable,
    /// WebCrypto refused the operation.
    #[error("The browser could not encrypt: {0}")]
    Failed(String),
}

fn failed(error: JsValue) -> CryptoError {
    let message = error
        .dyn_ref::<web_sys::DomException>()
        .map(|e| format!("{}: {}", e.name(), e.message()))
        .unwrap_or_else(|| format!("{error:?}"));
    CryptoError::Failed(message)
}

fn subtle() -> Result<SubtleCrypto, CryptoError> {
    let crypto = web_sys::window().and_then(|w| w.crypto().ok()).ok_or(CryptoError::Unavailable)?;
    // `crypto.subtle` is undefined outside secure contexts.
    let subtle = Reflect::get(&crypto, &JsValue::from_str("subtle")).map_err(|_| CryptoError::Unavailable)?;
    subtle.dyn_into::<SubtleCrypto>().map_err(|_| CryptoError::Unavailable)
}

fn object(entries: &[(&str, JsValue)]) -> Object {
    let object = Object::new();
    for (key, value) in entries {
        let _ = Reflect::set(&object, &JsValue::from_str(key), value);
    }
    object
}

fn bytes(value: &[u8]) -> JsValue {
    Uint8Array::from(value).into()
}

async fn call(promise: Result<js_sys::Promise, JsValue>) -> Result<JsValue, CryptoError> {
    JsFuture::from(promise.map_err(failed)?).await.map_err(failed)
}

fn buffer_bytes(value: &JsValue) -> Vec<u8> {
    Uint8Array::new(value).to_vec()
}

/// A board's key: its raw bytes (which a share link carries), its id, and the AES-GCM key
/// WebCrypto uses, which cannot be read back out of the browser.
#[derive(Clone)]
pub struct BoardKey {
    raw: [u8; KEY_BYTES],
    id: KeyId,
    aes: CryptoKey,
}

impl std::fmt::Debug for BoardKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The key itself is never printed.
        f.debug_struct("BoardKey").field("id", &self.id).finish_non_exhaustive()
    }
}

impl BoardKey {
    /// 256 fresh bits from the browser's cryptographic generator, or
    /// [`CryptoError::Unavailable`].
    pub fn generate() -> Result<[u8; KEY_BYTES], CryptoError> {
        secure_random::<KEY_BYTES>().ok_or(CryptoError::Unavailable)
    }

    /// Makes the key usable: imports it for AES-GCM (not extractable) and derives its id.
    pub async fn import(raw: [u8; KEY_BYTES]) -> Result<BoardKey, CryptoError> {
        let subtle = subtle()?;
        let usages = Array::of2(&"encrypt".into(), &"decrypt".into());
        let aes_algorithm = object(&[("name", "AES-GCM".into())]);
        let data: Object = Uint8Array::from(&raw[..]).into();
        let aes = subtle.import_key_with_object("raw", &data, &aes_algorithm, false, &usages);
        let hkdf_algorithm = object(&[("name", "HKDF".into())]);
        let hkdf =
            subtle.import_key_with_object("raw", &data, &hkdf_algorithm, false, &Array::of1(&"deriveBits".into()));
        let (aes, hkdf) = futures::join!(call(aes), call(hkdf));
        let (aes, hkdf): (CryptoKey, CryptoKey) = (aes?.unchecked_into(), hkdf?.unchecked_into());
        let derive = object(&[
            ("name", "HKDF".into()),
            ("hash", "SHA-256".into()),
            ("salt", bytes(&[])),
            ("info", bytes(KEY_ID_INFO)),
        ]);
        let bits = call(subtle.derive_bits_with_object(&derive, &hkdf, (KEY_ID_BYTES * 8) as u32)).await?;
        let id: [u8; KEY_ID_BYTES] =
            buffer_bytes(&bits).try_into().map_err(|_| CryptoError::Failed("a key id of the wrong length".into()))?;
        Ok(BoardKey { raw, id: KeyId(id), aes })
    }

    /// The key's id, which every event sealed with it names.
    pub fn id(&self) -> KeyId {
        self.id
    }

    /// Whether the browser would hand the AES key back out: never, where it supports keeping
    /// keys inside (the bytes are kept apart, for share links).
    pub fn is_extractable(&self) -> bool {
        self.aes.extractable()
    }

    /// The key's bytes, for a share link and for storage.
    pub fn raw(&self) -> &[u8; KEY_BYTES] {
        &self.raw
    }

    /// Seals `events`, each with a fresh nonce, all side by side.
    pub async fn seal_all(&self, events: &[RawEnvelope]) -> Result<Vec<RawEnvelope>, CryptoError> {
        let mut random = vec![0u8; events.len() * NONCE_BYTES];
        if !fill_secure_random(&mut random) {
            return Err(CryptoError::Unavailable);
        }
        let nonces: Vec<[u8; NONCE_BYTES]> =
            random.chunks_exact(NONCE_BYTES).map(|n| n.try_into().expect("chunks of a nonce's size")).collect();
        self.seal_with_nonces(events, &nonces).await
    }

    /// Seals `events` with the given nonces, one per event, all side by side. A nonce must never
    /// be used twice with one key: outside tests, [`BoardKey::seal_all`] draws them.
    pub async fn seal_with_nonces(
        &self,
        events: &[RawEnvelope],
        nonces: &[[u8; NONCE_BYTES]],
    ) -> Result<Vec<RawEnvelope>, CryptoError> {
        let subtle = subtle()?;
        let params = Aes::new();
        let promises = Array::new();
        for (event, nonce) in events.iter().zip(nonces) {
            let (associated, plaintext) = (sealed::associated_data(event, self.id), sealed::plaintext(event));
            let promise = params.with(nonce, &associated, &plaintext, |params, plaintext| {
                subtle.encrypt_with_object_and_js_u8_array(params, &self.aes, plaintext)
            });
            let promise: js_sys::Promise = promise.map_err(failed)?;
            promises.push(&promise);
        }
        let settled = settle_all(&promises).await?;
        events
            .iter()
            .zip(nonces)
            .zip(settled)
            .map(|((event, nonce), ciphertext)| {
                Ok(sealed::sealed(event, self.id, nonce, &buffer_bytes(&ciphertext.map_err(failed)?)))
            })
            .collect()
    }
}

/// AES-GCM's parameters, one object for many calls: WebCrypto reads them, and copies the bytes,
/// when it is called, so they may change before the next call.
struct Aes {
    params: Object,
    iv: JsValue,
    additional_data: JsValue,
}

impl Aes {
    fn new() -> Aes {
        let params = object(&[("name", "AES-GCM".into())]);
        Aes { params, iv: JsValue::from_str("iv"), additional_data: JsValue::from_str("additionalData") }
    }

    /// Calls `call` with the parameters for `nonce` and `associated`, and the bytes of `data`.
    fn with<T>(&self, nonce: &[u8], associated: &[u8], data: &[u8], call: impl FnOnce(&Object, &Uint8Array) -> T) -> T {
        // SAFETY: views into the module's memory are valid until it next grows, which only an
        // allocation in this module can make it do; none happens between here and the call,
        // and WebCrypto copies the bytes before it returns.
        let (nonce, associated, data) =
            unsafe { (Uint8Array::view(nonce), Uint8Array::view(associated), Uint8Array::view(data)) };
        let _ = Reflect::set(&self.params, &self.iv, &nonce);
        let _ = Reflect::set(&self.params, &self.additional_data, &associated);
        call(&self.params, &data)
    }
}

/// Waits for every promise at once (one await for a whole batch, not one per promise); each one's
/// value, or why it failed.
async fn settle_all(promises: &Array) -> Result<Vec<Result<JsValue, JsValue>>, CryptoError> {
    // The usual case, every one fulfilled, costs one array of results.
    if let Ok(values) = JsFuture::from(js_sys::Promise::all(promises)).await {
        return Ok(values.unchecked_into::<Array>().iter().map(Ok).collect());
    }
    let settled: Array = JsFuture::from(js_sys::Promise::all_settled(promises)).await.map_err(failed)?.unchecked_into();
    let (status, value, reason) =
        (JsValue::from_str("status"), JsValue::from_str("value"), JsValue::from_str("reason"));
    Ok(settled
        .iter()
        .map(|outcome| {
            let fulfilled =
                Reflect::get(&outcome, &status).ok().and_then(|s| s.as_string()).as_deref() == Some("fulfilled");
            match fulfilled {
                true => Ok(Reflect::get(&outcome, &value).unwrap_or(JsValue::UNDEFINED)),
                false => Err(Reflect::get(&outcome, &reason).unwrap_or(JsValue::UNDEFINED)),
            }
        })
        .collect())
}

/// Reads events that arrived from the server for a board whose key is `key` (`None` for a board
/// in the clear), all side by side: sealed ones that open become the events they hold; ones that
/// do not (another key, altered, damaged, a newer sealed form) are kept exactly as they came,
/// and so are kept unapplied; on a private board, an event that came unsealed is kept wrapped
/// ([`sealed::unsealed`]), since whoever made it did not need the key.
pub async fn open_all(key: Option<&BoardKey>, events: Vec<RawEnvelope>) -> Vec<RawEnvelope> {
    let Some(key) = key else { return events };
    let Ok(subtle) = subtle() else {
        return events
            .into_iter()
            .map(|e| if sealed::arrived(&e) == Arrived::Clear { sealed::unsealed(&e) } else { e })
            .collect();
    };
    // Every decryption is asked for before any is awaited; `asked[i]` says whether event `i` was.
    let params = Aes::new();
    let promises = Array::new();
    let mut asked = Vec::with_capacity(events.len());
    let mut events = events;
    for event in &mut events {
        match sealed::arrived(event) {
            Arrived::Clear => {
                *event = sealed::unsealed(event);
                asked.push(false);
            }
            Arrived::Sealed(parts) if parts.key == key.id => {
                let promise = params.with(&parts.nonce, &parts.associated, &parts.ciphertext, |params, ciphertext| {
                    subtle.decrypt_with_object_and_js_u8_array(params, &key.aes, ciphertext)
                });
                match promise {
                    Ok(promise) => {
                        promises.push(&promise);
                        asked.push(true);
                    }
                    Err(_) => asked.push(false),
                }
            }
            _ => asked.push(false),
        }
    }
    let Ok(settled) = settle_all(&promises).await else { return events };
    let mut settled = settled.into_iter();
    for (event, asked) in events.iter_mut().zip(asked) {
        if !asked {
            continue;
        }
        if let Some(Ok(plaintext)) = settled.next()
            && let Ok(opened) = sealed::opened(event, &buffer_bytes(&plaintext))
        {
            *event = opened;
        }
    }
    events
}

/// Opens again what `events` kept sealed, with `key`: for a board whose right key has arrived.
/// Returns the events that opened, each in place of its sealed form.
pub async fn reopen(key: &BoardKey, events: &[RawEnvelope]) -> Vec<RawEnvelope> {
    let sealed: Vec<RawEnvelope> = events.iter().filter(|e| sealed::sealed_with(e) == Some(key.id)).cloned().collect();
    open_all(Some(key), sealed).await.into_iter().filter(|e| e.kind != sealed::SEALED).collect()
}

/// The keys of this tab's private boards, imported once each, and the key each board was last
/// read with. [`KeyRing::key`] reads the bytes from storage every time (another tab may have just
/// stored a board's key); [`KeyRing::last_read`] takes what was last read, for a write that checks
/// it against the stored key in its own transaction.
#[derive(Default)]
pub struct KeyRing {
    imported: std::cell::RefCell<std::collections::HashMap<[u8; KEY_BYTES], BoardKey>>,
    /// Each board's key as last read, searched in turn: a tab reads the keys of the boards it
    /// syncs or opens, tens of them at most, and a list costs less code than another map.
    last: std::cell::RefCell<Vec<(chronicle_core::Uuid, Option<[u8; KEY_BYTES]>)>>,
}

impl KeyRing {
    /// The key of `stream`, if it is a private board, as stored now.
    pub async fn key(
        &self,
        storage: &crate::storage::Storage,
        stream: chronicle_core::Uuid,
    ) -> Result<Option<BoardKey>, KeyError> {
        let raw = storage.board_key(stream).await?;
        self.keep_last(stream, raw);
        match raw {
            Some(raw) => self.import(raw).await.map(Some),
            None => Ok(None),
        }
    }

    /// The key `stream` had when it was last read in this tab, or as stored now if it never was.
    /// It may have changed since: whatever is sealed with it must be written by a transaction
    /// that checks the stored key (`Storage::append` does).
    pub async fn last_read(
        &self,
        storage: &crate::storage::Storage,
        stream: chronicle_core::Uuid,
    ) -> Result<Option<BoardKey>, KeyError> {
        let last = self.last.borrow().iter().find(|(board, _)| *board == stream).map(|(_, raw)| *raw);
        match last {
            Some(Some(raw)) => self.import(raw).await.map(Some),
            Some(None) => Ok(None),
            None => self.key(storage, stream).await,
        }
    }

    fn keep_last(&self, stream: chronicle_core::Uuid, raw: Option<[u8; KEY_BYTES]>) {
        let mut last = self.last.borrow_mut();
        match last.iter_mut().find(|(board, _)| *board == stream) {
            Some((_, kept)) => *kept = raw,
            None => last.push((stream, raw)),
        }
    }

    /// `raw`, imported (once).
    pub async fn import(&self, raw: [u8; KEY_BYTES]) -> Result<BoardKey, KeyError> {
        if let Some(key) = self.imported.borrow().get(&raw) {
            return Ok(key.clone());
        }
        let key = BoardKey::import(raw).await?;
        self.imported.borrow_mut().insert(raw, key.clone());
        Ok(key)
    }
}

/// Why a board's key could not be had.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// It could not be read.
    #[error(transparent)]
    Storage(#[from] crate::storage::StorageError),
    /// It could not be used.
    #[error(transparent)]
    Crypto(#[from] CryptoError),
}
