//! The only module that talks to the sync server (`docs/protocol.md`), with the browser's `fetch`.
//!
//! Live updates are read from a streamed `fetch` rather than `EventSource`, because the stream
//! needs the `Authorization` header, which `EventSource` cannot send.

use chronicle_core::{RawEnvelope, Uuid, WireEnvelope, WirePage};
use gloo_net::http::{Request, Response};
use js_sys::{Reflect, Uint8Array};
use serde::Deserialize;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortSignal, ReadableStreamDefaultReader};

const API: &str = "/api/v1";

/// Why a call to the server did not work.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RemoteError {
    /// The server could not be reached (offline, down, or the connection broke).
    #[error("The sync server cannot be reached.")]
    Unreachable,
    /// The server answered with an error.
    #[error("{message}")]
    Refused {
        /// HTTP status.
        status: u16,
        /// The protocol's error code.
        code: String,
        /// The server's explanation.
        message: String,
    },
    /// The server's answer did not read as the protocol says.
    #[error("The sync server sent an answer this version does not understand ({0}).")]
    Malformed(String),
}

impl RemoteError {
    /// Whether the server itself is fine and said no (the request will not work by retrying soon).
    pub fn code(&self) -> Option<&str> {
        match self {
            RemoteError::Refused { code, .. } => Some(code),
            _ => None,
        }
    }
}

#[derive(Deserialize)]
struct ErrorBody {
    error: ErrorDetail,
}

#[derive(Deserialize)]
struct ErrorDetail {
    code: String,
    message: String,
}

#[derive(Deserialize)]
struct Created {
    token: String,
}

/// The server's answer to a push.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Pushed {
    /// Each pushed event's id and `seq`, in push order.
    pub accepted: Vec<Accepted>,
    /// The stream's last `seq`.
    pub head: u64,
}

/// One acknowledged event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct Accepted {
    /// Its id.
    pub id: Uuid,
    /// Its position in the stream.
    pub seq: u64,
}

async fn answer<T: for<'de> Deserialize<'de>>(response: Result<Response, gloo_net::Error>) -> Result<T, RemoteError> {
    let response = response.map_err(|_| RemoteError::Unreachable)?;
    let text = response.text().await.map_err(|_| RemoteError::Unreachable)?;
    if !response.ok() {
        return Err(refusal(response.status(), &text));
    }
    serde_json::from_str(&text).map_err(|e| RemoteError::Malformed(e.to_string()))
}

fn refusal(status: u16, text: &str) -> RemoteError {
    match serde_json::from_str::<ErrorBody>(text) {
        Ok(body) => RemoteError::Refused { status, code: body.error.code, message: body.error.message },
        // Not the protocol's shape: a proxy, or a server that is not Chronicle's.
        Err(_) if status == 404 || status == 405 => RemoteError::Refused {
            status,
            code: "no_sync_server".to_owned(),
            message: "There is no Chronicle sync server at this address.".to_owned(),
        },
        Err(_) => RemoteError::Unreachable,
    }
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

/// Registers a stream under the id this device chose. Returns its token.
pub async fn register(stream: Uuid) -> Result<String, RemoteError> {
    let request = Request::post(&format!("{API}/streams"))
        .json(&serde_json::json!({ "stream": stream }))
        .map_err(|e| RemoteError::Malformed(e.to_string()))?;
    let created: Created = answer(request.send().await).await?;
    Ok(created.token)
}

/// Pushes events; they come back acknowledged with their `seq`.
pub async fn push(stream: Uuid, token: &str, events: &[RawEnvelope]) -> Result<Pushed, RemoteError> {
    let events: Vec<WireEnvelope> = events.iter().map(WireEnvelope::to_push).collect();
    let request = Request::post(&format!("{API}/streams/{stream}/events"))
        .header("Authorization", &bearer(token))
        .json(&serde_json::json!({ "events": events }))
        .map_err(|e| RemoteError::Malformed(e.to_string()))?;
    answer(request.send().await).await
}

/// Pulls up to a page of events after `after`.
pub async fn pull(stream: Uuid, token: &str, after: u64) -> Result<WirePage, RemoteError> {
    let response = Request::get(&format!("{API}/streams/{stream}/events?after={after}"))
        .header("Authorization", &bearer(token))
        .send()
        .await;
    answer(response).await
}

/// An open live connection: one page per message.
pub struct Live {
    reader: ReadableStreamDefaultReader,
    buffer: Vec<u8>,
}

/// Opens the live stream of events after `after`. Aborting `signal` closes it.
pub async fn listen(stream: Uuid, token: &str, after: u64, signal: &AbortSignal) -> Result<Live, RemoteError> {
    let response = Request::get(&format!("{API}/streams/{stream}/live?after={after}"))
        .header("Authorization", &bearer(token))
        .header("Accept", "text/event-stream")
        .abort_signal(Some(signal))
        .send()
        .await
        .map_err(|_| RemoteError::Unreachable)?;
    if !response.ok() {
        let text = response.text().await.unwrap_or_default();
        return Err(refusal(response.status(), &text));
    }
    let body = response.body().ok_or(RemoteError::Unreachable)?;
    let reader = body.get_reader().unchecked_into::<ReadableStreamDefaultReader>();
    Ok(Live { reader, buffer: Vec::new() })
}

impl Live {
    /// The next page, or `None` when the server closed the stream.
    pub async fn next(&mut self) -> Result<Option<WirePage>, RemoteError> {
        loop {
            if let Some(end) = self.buffer.windows(2).position(|w| w == b"\n\n") {
                let message: Vec<u8> = self.buffer.drain(..end + 2).collect();
                let text = String::from_utf8_lossy(&message);
                // Comment lines (keep-alives) and fields other than `data` are skipped.
                let data: String = text.lines().filter_map(|l| l.strip_prefix("data:")).map(str::trim_start).collect();
                if data.is_empty() {
                    continue;
                }
                return serde_json::from_str(&data).map(Some).map_err(|e| RemoteError::Malformed(e.to_string()));
            }
            let chunk = JsFuture::from(self.reader.read()).await.map_err(|_| RemoteError::Unreachable)?;
            if Reflect::get(&chunk, &JsValue::from_str("done")).ok().and_then(|d| d.as_bool()).unwrap_or(true) {
                return Ok(None);
            }
            let value = Reflect::get(&chunk, &JsValue::from_str("value")).map_err(|_| RemoteError::Unreachable)?;
            self.buffer.extend(value.unchecked_into::<Uint8Array>().to_vec());
        }
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        // Lets go of the connection. The promise fails when the connection was aborted first,
        // which is expected: it gets a handler so that nothing reports it as unhandled.
        let cancelled = JsFuture::from(self.reader.cancel());
        wasm_bindgen_futures::spawn_local(async move {
            let _ = cancelled.await;
        });
    }
}

/// The envelopes of a page, as stored here.
pub fn envelopes(stream: Uuid, page: WirePage) -> Vec<RawEnvelope> {
    page.events.into_iter().map(|e| e.into_raw(stream)).collect()
}
