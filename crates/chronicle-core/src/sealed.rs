//! The sealed form of an event: what a private board's events look like to the server.
//!
//! An event's `type`, `version` and `data` are sealed together into one AES-256-GCM ciphertext;
//! `id`, `stream`, `device` and `at` stay in the clear, so that the server can order events and
//! recognise one sent twice. The envelope keeps its shape:
//!
//! ```json
//! {"id": …, "type": "sealed", "version": 1, "device": …, "at": …,
//!  "data": {"key": "<key id>", "nonce": "<12 bytes>", "ciphertext": "<ciphertext and tag>"}}
//! ```
//!
//! with every byte string in base64url without padding. The plaintext is the JSON object
//! `{"type": …, "version": …, "data": …}`. The associated data is the exact byte string
//!
//! ```text
//! "chronicle-sealed-v1" ‖ key id (16 bytes) ‖ stream (16) ‖ id (16) ‖ device (16) ‖ at (8, big-endian, two's complement)
//! ```
//!
//! (ids as their 16 bytes in RFC 9562 order), so a sealed event moved to another stream, given
//! another id, device or time, or relabelled with another key id, does not open. The key id is
//! the first 16 bytes of HKDF-SHA-256 of the key, with an empty salt and the info
//! `chronicle-key-id-v1`: it tells a device that lacks the key ("sealed with another key") from
//! one whose event was altered.
//!
//! The engine does no cryptography: callers seal and open with the platform's AES-GCM (WebCrypto
//! in the browser), and this module builds and reads everything around it.

use std::fmt;
use std::str::FromStr;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

use crate::Data;
use crate::envelope::RawEnvelope;

/// The `type` of a sealed event.
pub const SEALED: &str = "sealed";
/// The version of the sealed form this build seals and opens.
pub const SEALED_VERSION: u16 = 1;
/// The `type` this build gives an event that reached a private board unsealed: it is kept, never
/// applied, since whoever could write it did not need the board's key.
pub const UNSEALED: &str = "unsealed";
/// Bytes of a board key (AES-256).
pub const KEY_BYTES: usize = 32;
/// Bytes of a nonce (AES-GCM's 96 bits).
pub const NONCE_BYTES: usize = 12;
/// Bytes of the authentication tag at the end of a ciphertext.
pub const TAG_BYTES: usize = 16;
/// Bytes of a key id.
pub const KEY_ID_BYTES: usize = 16;
/// HKDF's `info` for a key id.
pub const KEY_ID_INFO: &[u8] = b"chronicle-key-id-v1";
/// The first bytes of the associated data.
pub const AD_PREFIX: &[u8] = b"chronicle-sealed-v1";

/// Bytes as base64url without padding (RFC 4648, section 5): the form every byte string of the
/// sealed format and of share links takes.
pub fn base64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Reads base64url without padding; `None` for anything else.
pub fn from_base64url(text: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(text).ok()
}

/// The id of a board key: which key sealed an event, without telling anything about the key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KeyId(pub [u8; KEY_ID_BYTES]);

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&base64url(&self.0))
    }
}

impl FromStr for KeyId {
    type Err = SealError;

    fn from_str(text: &str) -> Result<Self, SealError> {
        from_base64url(text)
            .and_then(|bytes| bytes.try_into().ok())
            .map(KeyId)
            .ok_or_else(|| SealError::Malformed("its key id is not 16 bytes in base64url".to_owned()))
    }
}

/// Why a sealed event cannot be opened, or an event cannot be read as sealed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    /// The event is not sealed.
    #[error("the event is not sealed")]
    NotSealed,
    /// A sealed form this build does not know; the event is kept as it came.
    #[error("it is sealed in a newer form (version {0})")]
    NewerVersion(u16),
    /// The sealed fields, or the opened plaintext, are not what the format says.
    #[error("its sealed form is damaged: {0}")]
    Malformed(String),
}

/// What to do with an event that arrived for a board.
#[derive(Debug, Clone, PartialEq)]
pub enum Arrived {
    /// Sealed: open it (`parts`) with the key it names, if this device has it.
    Sealed(SealedParts),
    /// Sealed in a form this build cannot open: keep it as it came.
    Kept(SealError),
    /// In the clear.
    Clear,
}

/// A sealed event's parts, ready for AES-GCM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedParts {
    /// The key it was sealed with.
    pub key: KeyId,
    /// Its nonce.
    pub nonce: [u8; NONCE_BYTES],
    /// The ciphertext with its tag.
    pub ciphertext: Vec<u8>,
    /// The associated data it was sealed with: see the module's documentation.
    pub associated: Vec<u8>,
}

/// What an event's sealed form holds: everything but the fields the server needs.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Sealed {
    #[serde(rename = "type")]
    kind: String,
    version: u16,
    data: Data,
}

/// [`Sealed`] as it is written, borrowing the event's fields.
#[derive(Serialize)]
struct SealedOf<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    version: u16,
    data: &'a Data,
}

impl<'a> SealedOf<'a> {
    fn new(event: &'a RawEnvelope) -> Self {
        SealedOf { kind: &event.kind, version: event.version, data: &event.data }
    }
}

/// The data of a sealed event.
#[derive(Serialize)]
struct Seal {
    key: String,
    nonce: String,
    ciphertext: String,
}

/// The data of a sealed event as it is read back: any field may be missing, and others are let be.
#[derive(Deserialize)]
struct SealRead {
    key: Option<String>,
    nonce: Option<String>,
    ciphertext: Option<String>,
}

impl SealRead {
    fn of(data: &Data) -> Result<SealRead, SealError> {
        serde_json::from_str(data.text())
            .map_err(|e| SealError::Malformed(format!("its sealed fields do not read: {e}")))
    }
}

/// The key id a sealed event's data names, as it is written there, even when it is not a key id
/// this build reads.
pub(crate) fn named_key(data: &Data) -> Option<String> {
    SealRead::of(data).ok()?.key
}

/// The associated data of an event sealed with `key`: see the module's documentation.
pub fn associated_data(event: &RawEnvelope, key: KeyId) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(AD_PREFIX.len() + KEY_ID_BYTES + 3 * 16 + 8);
    bytes.extend_from_slice(AD_PREFIX);
    bytes.extend_from_slice(&key.0);
    bytes.extend_from_slice(event.stream.as_bytes());
    bytes.extend_from_slice(event.id.as_bytes());
    bytes.extend_from_slice(event.device.as_bytes());
    bytes.extend_from_slice(&event.at.to_be_bytes());
    bytes
}

/// The plaintext of an event: its `type`, `version` and `data` as one JSON object.
pub fn plaintext(event: &RawEnvelope) -> Vec<u8> {
    serde_json::to_vec(&SealedOf::new(event)).expect("an envelope's fields serialise")
}

/// The sealed form of `event`, from the AES-GCM `ciphertext` (with its tag) of its
/// [`plaintext`] under `key` and `nonce`, with its [`associated_data`].
pub fn sealed(event: &RawEnvelope, key: KeyId, nonce: &[u8; NONCE_BYTES], ciphertext: &[u8]) -> RawEnvelope {
    let seal = Seal { key: key.to_string(), nonce: base64url(nonce), ciphertext: base64url(ciphertext) };
    event.with_payload(SEALED.to_owned(), SEALED_VERSION, Data::of(&seal).expect("a seal's fields serialise"))
}

/// Reads an arrived event: sealed (with the parts to open it), sealed in a form this build does
/// not know or that is damaged (kept), or clear.
pub fn arrived(event: &RawEnvelope) -> Arrived {
    if event.kind != SEALED {
        return Arrived::Clear;
    }
    match parts(event) {
        Ok(parts) => Arrived::Sealed(parts),
        Err(error) => Arrived::Kept(error),
    }
}

fn parts(event: &RawEnvelope) -> Result<SealedParts, SealError> {
    if event.version != SEALED_VERSION {
        return Err(SealError::NewerVersion(event.version));
    }
    let data = SealRead::of(&event.data)?;
    let field = |value: Option<String>, name: &str| -> Result<String, SealError> {
        value.ok_or_else(|| SealError::Malformed(format!("it has no `{name}`")))
    };
    let key: KeyId = field(data.key, "key")?.parse()?;
    let nonce = from_base64url(&field(data.nonce, "nonce")?)
        .and_then(|n| n.try_into().ok())
        .ok_or_else(|| SealError::Malformed(format!("its nonce is not {NONCE_BYTES} bytes")))?;
    let ciphertext = from_base64url(&field(data.ciphertext, "ciphertext")?)
        .filter(|c| c.len() >= TAG_BYTES)
        .ok_or_else(|| SealError::Malformed("its ciphertext is shorter than a tag".to_owned()))?;
    Ok(SealedParts { key, nonce, ciphertext, associated: associated_data(event, key) })
}

/// The key id a sealed event names, if it is sealed in a form this build reads.
pub fn sealed_with(event: &RawEnvelope) -> Option<KeyId> {
    match arrived(event) {
        Arrived::Sealed(parts) => Some(parts.key),
        _ => None,
    }
}

/// The event `sealed` holds, from the `plaintext` its ciphertext opened to.
pub fn opened(sealed: &RawEnvelope, plaintext: &[u8]) -> Result<RawEnvelope, SealError> {
    let inner: Sealed = serde_json::from_slice(plaintext)
        .map_err(|e| SealError::Malformed(format!("its plaintext is not an event: {e}")))?;
    if inner.kind.is_empty() || inner.kind == SEALED || inner.version == 0 {
        return Err(SealError::Malformed("its plaintext names no event type and version".to_owned()));
    }
    Ok(sealed.with_payload(inner.kind, inner.version, inner.data))
}

/// An event that reached a private board in the clear, kept as an event of type [`UNSEALED`]
/// holding it whole: no fold applies it, and nothing of it is lost.
pub fn unsealed(event: &RawEnvelope) -> RawEnvelope {
    event.with_payload(UNSEALED.to_owned(), 1, Data::of(&SealedOf::new(event)).expect("an envelope's fields serialise"))
}

/// The event an [`unsealed`] one holds; `None` for any other.
pub fn unwrapped(event: &RawEnvelope) -> Option<RawEnvelope> {
    if event.kind != UNSEALED || event.version != 1 {
        return None;
    }
    let inner: Sealed = serde_json::from_str(event.data.text()).ok()?;
    Some(event.with_payload(inner.kind, inner.version, inner.data))
}
