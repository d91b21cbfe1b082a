//! The event envelope: the wire and storage form of one event, and its decoded in-memory form.

use chronicle_protocol::{Data, WireEnvelope};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

/// One event as it travels and as it is stored: the JSON form is the contract.
///
/// `data` is kept as the JSON text it came as, so that an envelope of a type this build does not
/// know survives a read and a write byte for byte, and one it knows is read straight into its type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEnvelope {
    /// Unique id of the event (UUID v7, made by the device that recorded it).
    #[serde(deserialize_with = "chronicle_protocol::id::read")]
    pub id: Uuid,
    /// The stream the event belongs to; one board is one stream.
    #[serde(deserialize_with = "chronicle_protocol::id::read")]
    pub stream: Uuid,
    /// Stable wire name of the event type, such as `card_added`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Version of the payload schema for `kind`, starting at 1.
    pub version: u16,
    /// Id of the device that recorded the event.
    #[serde(deserialize_with = "chronicle_protocol::id::read")]
    pub device: Uuid,
    /// Wall-clock time on the recording device, in milliseconds since the Unix epoch.
    pub at: i64,
    /// Position assigned by the server; absent while the event is pending.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seq: Option<u64>,
    /// The payload.
    pub data: Data,
}

impl RawEnvelope {
    /// The envelope as it travels: without `stream`, which the URL names.
    pub fn to_wire(&self) -> WireEnvelope {
        WireEnvelope {
            id: self.id,
            kind: self.kind.clone(),
            version: self.version,
            device: self.device,
            at: self.at,
            seq: self.seq,
            data: self.data.clone(),
        }
    }

    /// The same event with its payload in another form (sealed, opened, or kept whole inside
    /// another): every field but `type`, `version` and `data` as they are.
    pub fn with_payload(&self, kind: String, version: u16, data: Data) -> RawEnvelope {
        RawEnvelope {
            id: self.id,
            stream: self.stream,
            kind,
            version,
            device: self.device,
            at: self.at,
            seq: self.seq,
            data,
        }
    }

    /// An envelope of `stream` that came over the wire.
    pub fn from_wire(stream: Uuid, wire: WireEnvelope) -> RawEnvelope {
        RawEnvelope {
            id: wire.id,
            stream,
            kind: wire.kind,
            version: wire.version,
            device: wire.device,
            at: wire.at,
            seq: wire.seq,
            data: wire.data,
        }
    }
}

/// Who recorded an event, where and when: everything in an envelope but the payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Meta {
    /// Unique id of the event.
    pub id: Uuid,
    /// The stream the event belongs to.
    pub stream: Uuid,
    /// The device that recorded it.
    pub device: Uuid,
    /// Wall-clock time on that device, milliseconds since the Unix epoch.
    pub at: i64,
    /// Position assigned by the server, if confirmed.
    pub seq: Option<u64>,
}

/// An event in memory: its metadata and its payload, decoded and upcast when this build knows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Event<E> {
    /// Who, where, when.
    pub meta: Meta,
    /// What happened.
    pub payload: Payload<E>,
}

/// The payload of an event in memory.
#[derive(Debug, Clone, PartialEq)]
pub enum Payload<E> {
    /// A payload this build understands, at its current version.
    Known(E),
    /// A payload this build cannot read: an unknown type, a newer version, or data that does not
    /// match its schema. It is kept as it came so that nothing is lost, and projections skip it.
    Unreadable(Unreadable),
}

/// A payload kept but not understood, with the reason.
#[derive(Debug, Clone, PartialEq)]
pub struct Unreadable {
    /// Wire name of the event type.
    pub kind: String,
    /// Version as recorded.
    pub version: u16,
    /// The data as recorded.
    pub data: Data,
    /// Why this build cannot read it.
    pub reason: UnreadableReason,
}

/// Why a payload could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UnreadableReason {
    /// No event type of this name is known to this build.
    UnknownType,
    /// The type is known but the version is newer than this build understands.
    NewerVersion,
    /// The type and version are known but the data does not match the schema.
    Malformed(String),
}

/// A domain's event payloads: their wire names, versions, and the way to read them back.
pub trait EventPayload: Sized {
    /// Wire name of this payload's type.
    fn kind(&self) -> &'static str;
    /// Current version of this payload's type.
    fn version(&self) -> u16;
    /// The JSON data of the payload (without the envelope).
    fn to_data(&self) -> Data;
    /// The current version of `kind`, or `None` when this build does not know the type.
    fn current_version(kind: &str) -> Option<u16>;
    /// Reads the JSON text of `kind`'s data at `version`: the current one, or an earlier one that
    /// no upcaster lifts, which the type reads in that version's shape (typically the current
    /// shape with a default for what was added since). Data an upcaster lifted comes at the
    /// current version.
    fn from_data(kind: &str, version: u16, data: &str) -> Result<Self, String>;
    /// The upcasters that lift older versions of this domain's events whose data the current
    /// reader cannot take as it is.
    fn upcasters() -> &'static [Upcaster] {
        &[]
    }
}

/// Lifts the data of one event type from `from` to `from + 1`.
#[derive(Debug, Clone, Copy)]
pub struct Upcaster {
    /// Wire name of the event type it applies to.
    pub kind: &'static str,
    /// The version it reads.
    pub from: u16,
    /// The transformation; it returns the data at version `from + 1`.
    pub lift: fn(Value) -> Value,
}

impl<E: EventPayload> Event<E> {
    /// Wraps a freshly decided payload into a pending event.
    pub fn new(id: Uuid, stream: Uuid, device: Uuid, at: i64, payload: E) -> Self {
        Event { meta: Meta { id, stream, device, at, seq: None }, payload: Payload::Known(payload) }
    }

    /// Reads an envelope: known types are upcast to their current version and decoded;
    /// anything else is kept as [`Payload::Unreadable`]. Never fails.
    pub fn decode(raw: RawEnvelope) -> Self {
        let meta = Meta { id: raw.id, stream: raw.stream, device: raw.device, at: raw.at, seq: raw.seq };
        let payload = decode_payload::<E>(raw.kind, raw.version, raw.data);
        Event { meta, payload }
    }

    /// The envelope of this event. Known payloads are written at their current version;
    /// unreadable ones exactly as they were read.
    pub fn encode(&self) -> RawEnvelope {
        let (kind, version, data) = match &self.payload {
            Payload::Known(e) => (e.kind().to_owned(), e.version(), e.to_data()),
            Payload::Unreadable(u) => (u.kind.clone(), u.version, u.data.clone()),
        };
        RawEnvelope {
            id: self.meta.id,
            stream: self.meta.stream,
            kind,
            version,
            device: self.meta.device,
            at: self.meta.at,
            seq: self.meta.seq,
            data,
        }
    }

    /// The known payload, if this build could read it.
    pub fn known(&self) -> Option<&E> {
        match &self.payload {
            Payload::Known(e) => Some(e),
            Payload::Unreadable(_) => None,
        }
    }
}

fn decode_payload<E: EventPayload>(kind: String, version: u16, data: Data) -> Payload<E> {
    let unreadable = |kind, data, reason| Payload::Unreadable(Unreadable { kind, version, data, reason });
    let Some(current) = E::current_version(&kind) else {
        return unreadable(kind, data, UnreadableReason::UnknownType);
    };
    if version > current || version == 0 {
        return unreadable(kind, data, UnreadableReason::NewerVersion);
    }
    let step = |at: u16| E::upcasters().iter().find(|u| u.kind == kind && u.from == at);
    // Only data that an upcaster lifts goes through a tree of JSON values; the rest, nearly
    // every event, is read from its text straight into its type.
    let read = if (version..current).any(|at| step(at).is_some()) {
        let lifted = (version..current).filter_map(step).fold(data.to_value(), |value, u| (u.lift)(value));
        E::from_data(&kind, current, Data::from(lifted).text())
    } else {
        E::from_data(&kind, version, data.text())
    };
    match read {
        Ok(e) => Payload::Known(e),
        Err(message) => unreadable(kind, data, UnreadableReason::Malformed(message)),
    }
}

/// A line of a JSON-lines log that is not an envelope.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct LineError {
    /// Line number, from 1.
    pub line: usize,
    /// What was wrong with it.
    pub message: String,
}

/// Reads a log written one JSON envelope per line. Blank lines are skipped; a line that is not
/// an envelope is reported, never a panic, and does not stop the other lines from being read.
pub fn parse_lines(text: &str) -> (Vec<RawEnvelope>, Vec<LineError>) {
    let mut envelopes = Vec::new();
    let mut errors = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<RawEnvelope>(line) {
            Ok(envelope) => envelopes.push(envelope),
            Err(e) => errors.push(LineError { line: i + 1, message: e.to_string() }),
        }
    }
    (envelopes, errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_envelopes_leave_the_stream_to_the_url() {
        let raw = RawEnvelope {
            id: Uuid::from_u128(1),
            stream: Uuid::from_u128(2),
            kind: "card_added".into(),
            version: 2,
            device: Uuid::from_u128(3),
            at: 5,
            seq: Some(9),
            data: serde_json::json!({"a": 1}).into(),
        };
        let wire = serde_json::to_value(raw.to_wire()).unwrap();
        assert!(wire.get("stream").is_none());
        assert_eq!(RawEnvelope::from_wire(raw.stream, serde_json::from_value(wire).unwrap()), raw);
    }
}
