//! Chronicle's sync protocol, version 1: the wire contract, written once for the server, the web
//! app and the engine. The prose contract is `docs/protocol.md`; a test checks it against these
//! types.
//!
//! - [`WireEnvelope`]: one event as it travels (an envelope without `stream`, which the URL names),
//!   its payload kept as [`Data`], the JSON text it came as.
//! - [`CreateStream`] and [`Created`]: registering a stream. [`Push`], [`Pushed`] and
//!   [`Accepted`]: pushing events. [`Page`]: a page of a pull, and the data of one live message.
//! - [`ErrorBody`] with its [`ErrorCode`]: the one error shape, and the status of each code.
//! - The limits every side checks: [`MAX_BODY_BYTES`], [`MAX_EVENT_BYTES`], [`MAX_BATCH_EVENTS`],
//!   [`MAX_TYPE_CHARS`], [`MAX_VERSION`], and the tokens a client may choose ([`is_client_token`]).

use std::fmt;

pub mod id;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;
use uuid::Uuid;

/// Where the protocol lives on a server.
pub const API: &str = "/api/v1";
/// Largest request body, in bytes.
pub const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;
/// Largest single event, in bytes of its JSON envelope.
pub const MAX_EVENT_BYTES: usize = 64 * 1024;
/// Most events in one push, and in one page of a pull.
pub const MAX_BATCH_EVENTS: usize = 1000;
/// Most bytes of envelopes in one page of a pull or one live message; a single larger event
/// still comes, alone.
pub const MAX_PAGE_BYTES: usize = 4 * 1024 * 1024;
/// Largest body of `POST /streams`.
pub const MAX_CREATE_BYTES: usize = 1024;
/// Most bytes of envelopes a client puts in one push, well inside [`MAX_BODY_BYTES`].
pub const MAX_PUSH_BYTES: usize = 1024 * 1024;
/// Longest event type name, in characters.
pub const MAX_TYPE_CHARS: usize = 64;
/// Highest version of an event's payload schema; versions start at 1.
pub const MAX_VERSION: u16 = u16::MAX;
/// Fewest characters of a token a client makes for its stream: 256 random bits in base64url.
pub const MIN_TOKEN_CHARS: usize = 43;
/// Most characters of a token a client makes for its stream.
pub const MAX_TOKEN_CHARS: usize = 128;

/// An event as it travels to and from the server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WireEnvelope {
    /// Unique id of the event, made by the device that recorded it.
    #[serde(deserialize_with = "id::read")]
    pub id: Uuid,
    /// Stable name of the event type, 1 to [`MAX_TYPE_CHARS`] characters.
    #[serde(rename = "type")]
    pub kind: String,
    /// Version of the payload schema for `kind`, 1 to [`MAX_VERSION`].
    pub version: u16,
    /// The device that recorded it.
    #[serde(deserialize_with = "id::read")]
    pub device: Uuid,
    /// When, in milliseconds since the epoch, on that device's clock.
    pub at: i64,
    /// Position the server gave it in its stream, from 1; never sent by a client.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seq: Option<u64>,
    /// The payload.
    pub data: Data,
}

/// An event's payload as JSON text, kept as it came: a payload of a type nobody here knows goes
/// on byte for byte, and one that is known is read straight into its own type, with no tree of
/// JSON values built on the way.
#[derive(Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Data(Box<RawValue>);

impl Data {
    /// The JSON text of `value`.
    pub fn of<T: Serialize + ?Sized>(value: &T) -> Result<Data, serde_json::Error> {
        serde_json::value::to_raw_value(value).map(Data)
    }

    /// `text`, once it is checked to be one JSON value.
    pub fn from_text(text: String) -> Result<Data, serde_json::Error> {
        RawValue::from_string(text).map(Data)
    }

    /// The JSON text.
    pub fn text(&self) -> &str {
        self.0.get()
    }

    /// The length of the text as the server stores it, read and written out again: without
    /// spaces, and with each number as the server writes it (`1e15` as `1000000000000000.0`). A
    /// key given twice in one object counts twice here, where the server keeps it once.
    pub fn stored_size(&self) -> usize {
        /// Counts what is written, and keeps none of it.
        struct Count(usize);
        impl std::io::Write for Count {
            fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
                self.0 += bytes.len();
                Ok(bytes.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let mut count = Count(0);
        let mut text = serde_json::Deserializer::from_str(self.text());
        match serde_transcode::transcode(&mut text, &mut serde_json::Serializer::new(&mut count)) {
            Ok(()) => count.0,
            Err(_) => usize::MAX,
        }
    }

    /// The payload as a tree of JSON values, for code that looks inside a payload it has no type
    /// for.
    pub fn to_value(&self) -> Value {
        // The text was checked to be JSON when this was made.
        serde_json::from_str(self.text()).unwrap_or(Value::Null)
    }
}

impl From<Value> for Data {
    fn from(value: Value) -> Data {
        // Writing a JSON value out cannot fail: its keys are strings.
        Data::of(&value).unwrap_or_default()
    }
}

impl Default for Data {
    /// `null`.
    fn default() -> Data {
        Data(RawValue::NULL.to_owned())
    }
}

impl PartialEq for Data {
    /// Two payloads are equal when they hold the same JSON value, however it is spelt: the order
    /// of keys and the spaces between them do not count.
    fn eq(&self, other: &Data) -> bool {
        self.text() == other.text() || self.to_value() == other.to_value()
    }
}

impl fmt::Debug for Data {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.text())
    }
}

impl WireEnvelope {
    /// What in this envelope a server would refuse, in a sentence; `None` when it keeps the
    /// protocol's rules (the type's length, the version, the size).
    pub fn problem(&self) -> Option<String> {
        if !is_event_type(&self.kind) {
            let kind = self.kind.chars().count();
            return Some(format!("its type must have 1 to {MAX_TYPE_CHARS} characters; it has {kind}"));
        }
        if self.version == 0 {
            return Some(format!("its version must be from 1 to {MAX_VERSION}"));
        }
        let size = serde_json::to_vec(self).map_or(usize::MAX, |bytes| bytes.len());
        // The server measures the envelope as it stores it, its data parsed and written out
        // compactly: spaces in the data as it came do not count there, and a number such as
        // `1e15` is written out in full. That is at most five times the data as it came, so only
        // an envelope past a fifth of the limit can measure otherwise there; it is measured the
        // server's way.
        let size = if size <= MAX_EVENT_BYTES / 5 {
            size
        } else {
            size.saturating_sub(self.data.text().len()).saturating_add(self.data.stored_size())
        };
        if size > MAX_EVENT_BYTES {
            return Some(format!("it is {size} bytes; an event may be at most {MAX_EVENT_BYTES}"));
        }
        None
    }
}

/// `POST /streams`: create a stream, under the id the client chose or one the server picks, with
/// the token the client made or one the server makes. With both chosen, the same request again
/// answers as the first did, so a client whose reply was lost can simply ask again.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateStream {
    /// The chosen id, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream: Option<Uuid>,
    /// The token the client made: base64url, [`MIN_TOKEN_CHARS`] to [`MAX_TOKEN_CHARS`]
    /// characters (at least 256 random bits). Only with `stream`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

/// Whether `kind` may name an event type: 1 to [`MAX_TYPE_CHARS`] characters.
pub fn is_event_type(kind: &str) -> bool {
    !kind.is_empty() && kind.chars().count() <= MAX_TYPE_CHARS
}

/// Whether `token` is a token a client may choose: base64url, of a length that carries at least
/// 256 bits.
pub fn is_client_token(token: &str) -> bool {
    (MIN_TOKEN_CHARS..=MAX_TOKEN_CHARS).contains(&token.len())
        && token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The reply to `POST /streams` (201).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Created {
    /// The stream's id.
    pub stream: Uuid,
    /// The token that opens it, shown once.
    pub token: String,
}

/// `POST /streams/{stream}/events`: events to store, at most [`MAX_BATCH_EVENTS`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Push {
    /// The events, in the order they were made.
    pub events: Vec<WireEnvelope>,
}

/// The reply to a push (200).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pushed {
    /// Each pushed event's id and `seq`, in push order.
    pub accepted: Vec<Accepted>,
    /// The stream's last `seq` after the push.
    pub head: u64,
}

/// One acknowledged event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Accepted {
    /// Its id.
    pub id: Uuid,
    /// Its position in the stream.
    pub seq: u64,
}

/// A page of a pull (200), and the data of one live message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page {
    /// Events in `seq` order.
    pub events: Vec<WireEnvelope>,
    /// The stream's last `seq`.
    pub head: u64,
}

/// Every error the server answers: `{"error": {"code": ..., "message": ...}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// What went wrong.
    pub error: ErrorDetail,
}

/// The inside of an [`ErrorBody`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDetail {
    /// For programs; stable.
    pub code: ErrorCode,
    /// For people; may change.
    pub message: String,
    /// When one event of a push was refused (`bad_envelope`, `event_too_large`,
    /// `event_id_reused`), its place in the batch, from 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<usize>,
}

/// What went wrong, as a program matches on it. Each code has one HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The body is not JSON.
    MalformedJson,
    /// The body is not the object the endpoint takes.
    BadRequest,
    /// An envelope breaks a rule; the message says which.
    BadEnvelope,
    /// A chosen stream id is not a UUID.
    BadStreamId,
    /// A chosen token is too short or not base64url.
    BadToken,
    /// `after` or `limit` is not a whole number.
    BadQuery,
    /// No Bearer token.
    Unauthorized,
    /// No such stream, or the token does not open it.
    StreamNotFound,
    /// The stream was deleted (`DELETE /streams/{stream}`); its events are gone for good.
    StreamDeleted,
    /// No such endpoint.
    NotFound,
    /// The endpoint does not take that method.
    MethodNotAllowed,
    /// The chosen stream id is taken.
    StreamExists,
    /// An event id came again with other content.
    EventIdReused,
    /// More than [`MAX_BATCH_EVENTS`] events in one push.
    TooManyEvents,
    /// One envelope over [`MAX_EVENT_BYTES`].
    EventTooLarge,
    /// A body over [`MAX_BODY_BYTES`].
    BodyTooLarge,
    /// Too many live listeners on this server or this stream; try again after `Retry-After`.
    TooManyListeners,
    /// Too many streams created from one address; try again after `Retry-After`.
    RateLimited,
    /// The stream would hold more than the server keeps for one stream.
    QuotaExceeded,
    /// Too many writes are waiting; try again after `Retry-After`.
    Busy,
    /// The server failed; nothing was changed.
    InternalError,
    /// The server cannot read or write its store just now; try again later.
    Unavailable,
    /// A code this version does not know, from a newer server.
    #[serde(other)]
    Unknown,
}

impl ErrorCode {
    /// Every code a server of this version sends.
    pub const ALL: [ErrorCode; 22] = [
        ErrorCode::MalformedJson,
        ErrorCode::BadRequest,
        ErrorCode::BadEnvelope,
        ErrorCode::BadStreamId,
        ErrorCode::BadToken,
        ErrorCode::BadQuery,
        ErrorCode::Unauthorized,
        ErrorCode::StreamNotFound,
        ErrorCode::StreamDeleted,
        ErrorCode::NotFound,
        ErrorCode::MethodNotAllowed,
        ErrorCode::StreamExists,
        ErrorCode::EventIdReused,
        ErrorCode::TooManyEvents,
        ErrorCode::EventTooLarge,
        ErrorCode::BodyTooLarge,
        ErrorCode::TooManyListeners,
        ErrorCode::RateLimited,
        ErrorCode::QuotaExceeded,
        ErrorCode::Busy,
        ErrorCode::InternalError,
        ErrorCode::Unavailable,
    ];

    /// The HTTP status that comes with the code.
    pub fn status(self) -> u16 {
        match self {
            ErrorCode::MalformedJson
            | ErrorCode::BadRequest
            | ErrorCode::BadEnvelope
            | ErrorCode::BadStreamId
            | ErrorCode::BadToken
            | ErrorCode::BadQuery => 400,
            ErrorCode::Unauthorized => 401,
            ErrorCode::StreamNotFound | ErrorCode::NotFound => 404,
            ErrorCode::MethodNotAllowed => 405,
            ErrorCode::StreamExists | ErrorCode::EventIdReused => 409,
            ErrorCode::StreamDeleted => 410,
            ErrorCode::TooManyEvents
            | ErrorCode::EventTooLarge
            | ErrorCode::BodyTooLarge
            | ErrorCode::QuotaExceeded => 413,
            ErrorCode::TooManyListeners | ErrorCode::RateLimited => 429,
            ErrorCode::InternalError | ErrorCode::Unknown => 500,
            ErrorCode::Unavailable | ErrorCode::Busy => 503,
        }
    }

    /// The code as it is written on the wire: `stream_not_found`.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::MalformedJson => "malformed_json",
            ErrorCode::BadRequest => "bad_request",
            ErrorCode::BadEnvelope => "bad_envelope",
            ErrorCode::BadStreamId => "bad_stream_id",
            ErrorCode::BadToken => "bad_token",
            ErrorCode::BadQuery => "bad_query",
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::StreamNotFound => "stream_not_found",
            ErrorCode::StreamDeleted => "stream_deleted",
            ErrorCode::NotFound => "not_found",
            ErrorCode::MethodNotAllowed => "method_not_allowed",
            ErrorCode::StreamExists => "stream_exists",
            ErrorCode::EventIdReused => "event_id_reused",
            ErrorCode::TooManyEvents => "too_many_events",
            ErrorCode::EventTooLarge => "event_too_large",
            ErrorCode::BodyTooLarge => "body_too_large",
            ErrorCode::TooManyListeners => "too_many_listeners",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::QuotaExceeded => "quota_exceeded",
            ErrorCode::Busy => "busy",
            ErrorCode::InternalError => "internal_error",
            ErrorCode::Unavailable => "unavailable",
            ErrorCode::Unknown => "unknown",
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
