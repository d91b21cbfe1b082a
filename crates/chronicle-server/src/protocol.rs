//! The wire format of `/api/v1`: reading request bodies into checked values and writing replies.
//!
//! The shapes and limits are `chronicle_protocol`'s; this module reads bodies field by field, so
//! that every check produces an [`ApiError`] that tells a person which event and which field was
//! wrong, and writes pages straight from the stored text of each envelope.

use chronicle_protocol::{
    Accepted, CreateStream, ErrorCode, MAX_BATCH_EVENTS, MAX_EVENT_BYTES, MAX_TOKEN_CHARS, MAX_TYPE_CHARS, MAX_VERSION,
    MIN_TOKEN_CHARS, Pushed, is_client_token, is_event_type,
};
use serde::Serialize;
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::error::ApiError;
use crate::store::{Appended, NewEvent, Page};

/// The fields of an envelope, in the order they are stored.
const FIELDS: [&str; 6] = ["id", "type", "version", "device", "at", "data"];

/// An envelope as stored: the fields in a fixed order, `seq` added only when read back.
#[derive(Serialize)]
struct Canonical<'a> {
    id: Uuid,
    #[serde(rename = "type")]
    kind: &'a str,
    version: u16,
    device: Uuid,
    at: i64,
    data: &'a Value,
}

fn parse_json(body: &[u8]) -> Result<Value, ApiError> {
    serde_json::from_slice(body)
        .map_err(|e| ApiError::new(ErrorCode::MalformedJson, format!("The request body is not valid JSON: {e}.")))
}

/// Reads `POST /streams`: `{}`, `{"stream": "<uuid>"}` or `{"stream": "<uuid>", "token": "<t>"}`
/// (an empty body counts as `{}`).
pub(crate) fn create_request(body: &[u8]) -> Result<CreateStream, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(CreateStream::default());
    }
    let Value::Object(fields) = parse_json(body)? else {
        return Err(ApiError::new(ErrorCode::BadRequest, "The body must be a JSON object."));
    };
    if let Some(other) = fields.keys().find(|k| !["stream", "token"].contains(&k.as_str())) {
        return Err(ApiError::new(
            ErrorCode::BadRequest,
            format!("Unknown field `{other}`; only `stream` and `token` are allowed."),
        ));
    }
    let stream = match fields.get("stream") {
        None | Some(Value::Null) => None,
        Some(Value::String(text)) => Some(text.parse().map_err(|_| {
            ApiError::new(ErrorCode::BadStreamId, format!("`stream` must be a UUID, not \"{}\".", clip(text)))
        })?),
        Some(_) => return Err(ApiError::new(ErrorCode::BadStreamId, "`stream` must be a UUID string.")),
    };
    let token = match fields.get("token") {
        None | Some(Value::Null) => None,
        Some(Value::String(token)) if is_client_token(token) => Some(token.clone()),
        Some(_) => {
            return Err(ApiError::new(
                ErrorCode::BadToken,
                format!(
                    "`token` must be base64url, {MIN_TOKEN_CHARS} to {MAX_TOKEN_CHARS} characters (256 random bits or more)."
                ),
            ));
        }
    };
    if token.is_some() && stream.is_none() {
        return Err(ApiError::new(ErrorCode::BadRequest, "A chosen `token` needs a chosen `stream`."));
    }
    Ok(CreateStream { stream, token })
}

/// Reads `POST /streams/{stream}/events`: `{"events": [envelope, ...]}`.
pub(crate) fn push_request(body: &[u8]) -> Result<Vec<NewEvent>, ApiError> {
    let Value::Object(mut fields) = parse_json(body)? else {
        return Err(ApiError::new(ErrorCode::BadRequest, "The body must be a JSON object with an `events` array."));
    };
    if let Some(other) = fields.keys().find(|k| k.as_str() != "events") {
        return Err(ApiError::new(
            ErrorCode::BadRequest,
            format!("Unknown field `{other}`; only `events` is allowed."),
        ));
    }
    let Some(Value::Array(events)) = fields.remove("events") else {
        return Err(ApiError::new(ErrorCode::BadRequest, "The body must have an `events` array."));
    };
    if events.len() > MAX_BATCH_EVENTS {
        return Err(ApiError::new(
            ErrorCode::TooManyEvents,
            format!("A push holds at most {MAX_BATCH_EVENTS} events; this one has {}.", events.len()),
        ));
    }
    events.into_iter().enumerate().map(|(i, event)| envelope(i, event).map_err(|e| e.at(i))).collect()
}

fn envelope(index: usize, event: Value) -> Result<NewEvent, ApiError> {
    let which = format!("Event {} of the batch", index + 1);
    let bad = |message: String| ApiError::new(ErrorCode::BadEnvelope, format!("{which}: {message}"));
    let Value::Object(fields) = event else {
        return Err(bad("it must be a JSON object.".to_owned()));
    };
    if let Some(other) = fields.keys().find(|k| !FIELDS.contains(&k.as_str())) {
        let hint = if other == "seq" { " The server assigns `seq`." } else { "" };
        return Err(bad(format!("unknown field `{other}`.{hint}")));
    }
    let field = |name: &str| fields.get(name).ok_or_else(|| bad(format!("the field `{name}` is missing.")));
    let uuid = |name: &str| -> Result<Uuid, ApiError> {
        match field(name)? {
            Value::String(text) => {
                text.parse().map_err(|_| bad(format!("`{name}` must be a UUID, not \"{}\".", clip(text))))
            }
            _ => Err(bad(format!("`{name}` must be a UUID string."))),
        }
    };
    let id = uuid("id")?;
    let device = uuid("device")?;
    let kind = match field("type")? {
        Value::String(kind) if is_event_type(kind) => kind.as_str(),
        _ => return Err(bad(format!("`type` must be a string of 1 to {MAX_TYPE_CHARS} characters."))),
    };
    let version = match field("version")?.as_u64().map(u16::try_from) {
        Some(Ok(v)) if v >= 1 => v,
        _ => return Err(bad(format!("`version` must be a whole number from 1 to {MAX_VERSION}."))),
    };
    let at = field("at")?
        .as_i64()
        .ok_or_else(|| bad("`at` must be a whole number of milliseconds since 1970.".to_owned()))?;
    let data = field("data")?;
    let body = serde_json::to_string(&Canonical { id, kind, version, device, at, data }).map_err(ApiError::internal)?;
    if body.len() > MAX_EVENT_BYTES {
        return Err(ApiError::new(
            ErrorCode::EventTooLarge,
            format!("{which} is {} bytes; an event may be at most {MAX_EVENT_BYTES} bytes.", body.len()),
        ));
    }
    Ok(NewEvent { id, body })
}

/// Reads the query of `GET .../events` and `GET .../live`: `after` (default 0) and `limit`
/// (default and most [`MAX_BATCH_EVENTS`]).
pub(crate) fn page_query(query: Option<&str>) -> Result<(u64, usize), ApiError> {
    let mut after = 0;
    let mut limit = MAX_BATCH_EVENTS;
    for pair in query.unwrap_or_default().split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        match key {
            "after" => {
                after = value.parse().map_err(|_| {
                    ApiError::new(ErrorCode::BadQuery, "`after` must be a whole number, the last `seq` already read.")
                })?
            }
            "limit" => {
                limit = match value.parse::<usize>() {
                    Ok(0) | Err(_) => {
                        return Err(ApiError::new(ErrorCode::BadQuery, "`limit` must be a whole number from 1."));
                    }
                    Ok(n) => n.min(MAX_BATCH_EVENTS),
                }
            }
            _ => {}
        }
    }
    Ok((after, limit))
}

/// The reply to a push.
pub(crate) fn push_reply(appended: &Appended) -> Pushed {
    let accepted = appended.accepted.iter().map(|&(id, seq)| Accepted { id, seq }).collect();
    Pushed { accepted, head: appended.head }
}

/// The reply to a pull, and the data of one live message: stored envelopes with their `seq`.
pub(crate) fn page_reply(page: &Page) -> String {
    let mut out = String::with_capacity(page.events.iter().map(|e| e.body.len() + 16).sum::<usize>() + 32);
    out.push_str("{\"events\":[");
    for (i, event) in page.events.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        // A stored body is a JSON object; `seq` goes in front of its first field.
        out.push_str("{\"seq\":");
        out.push_str(&event.seq.to_string());
        match event.body.strip_prefix('{') {
            Some(rest) if rest.trim_start().starts_with('}') => out.push_str(rest),
            Some(rest) => {
                out.push(',');
                out.push_str(rest);
            }
            None => out.push('}'),
        }
    }
    out.push_str("],\"head\":");
    out.push_str(&page.head.to_string());
    out.push('}');
    out
}

/// Whether two stored bodies hold the same envelope, whatever the order of their keys.
pub(crate) fn same_envelope(a: &str, b: &str) -> bool {
    a == b
        || matches!((serde_json::from_str::<Map<String, Value>>(a), serde_json::from_str::<Map<String, Value>>(b)), (Ok(x), Ok(y)) if x == y)
}

fn clip(text: &str) -> String {
    text.chars().take(60).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::StoredEvent;

    #[test]
    fn pages_put_seq_into_each_envelope() {
        let page = Page { events: vec![StoredEvent { seq: 7, body: r#"{"id":"x","data":{}}"#.to_owned() }], head: 9 };
        let reply: Value = serde_json::from_str(&page_reply(&page)).unwrap();
        assert_eq!(reply, serde_json::json!({"events": [{"seq": 7, "id": "x", "data": {}}], "head": 9}));
    }

    #[test]
    fn limits_are_read_and_clamped() {
        assert_eq!(page_query(None).unwrap(), (0, 1000));
        assert_eq!(page_query(Some("after=5&limit=20")).unwrap(), (5, 20));
        assert_eq!(page_query(Some("limit=5000")).unwrap(), (0, 1000));
        assert!(page_query(Some("limit=0")).is_err());
        assert!(page_query(Some("after=-1")).is_err());
    }
}
