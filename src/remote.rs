//! The only module that talks to the sync server (`docs/protocol.md`), with the browser's `fetch`.
//!
//! Live updates are read from a streamed `fetch` rather than `EventSource`, because the stream
//! needs the `Authorization` header, which `EventSource` cannot send.

use chronicle_core::{RawEnvelope, Uuid};
use chronicle_protocol::{API, CreateStream, Created, ErrorBody, ErrorCode, Page, Push, Pushed, WireEnvelope};
use gloo_net::http::{Request, Response};
use js_sys::{Reflect, Uint8Array};
use serde::de::DeserializeOwned;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortSignal, ReadableStreamDefaultReader};

/// Why a call to the server did not work.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RemoteError {
    /// No answer came: offline, the server is down, or the connection broke. The browser's reason
    /// is kept for the record.
    #[error("The sync server cannot be reached.")]
    Unreachable(String),
    /// Something other than a Chronicle server answered, with this HTTP status: a proxy, a captive
    /// portal, a server in trouble.
    #[error("The sync server answered with HTTP status {0} instead of a Chronicle reply.")]
    Status(u16),
    /// There is no Chronicle sync server at this address (it answered 404 or 405, not in the
    /// protocol's shape).
    #[error("There is no Chronicle sync server at this address.")]
    NoSyncServer,
    /// The server refused the request, and said why.
    #[error("{message}")]
    Refused {
        /// HTTP status.
        status: u16,
        /// The protocol's error code.
        code: ErrorCode,
        /// The server's explanation.
        message: String,
    },
    /// The server's answer did not read as the protocol says.
    #[error("The sync server sent an answer this version does not understand ({0}).")]
    Malformed(String),
}

impl RemoteError {
    /// The protocol's error code, when the server refused the request.
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            RemoteError::Refused { code, .. } => Some(*code),
            _ => None,
        }
    }
}

fn unreachable(error: gloo_net::Error) -> RemoteError {
    RemoteError::Unreachable(error.to_string())
}

async fn answer<T: DeserializeOwned>(response: Result<Response, gloo_net::Error>) -> Result<T, RemoteError> {
    let response = response.map_err(unreachable)?;
    let text = response.text().await.map_err(unreachable)?;
    if !response.ok() {
        return Err(refusal(response.status(), &text));
    }
    serde_json::from_str(&text).map_err(|e| RemoteError::Malformed(e.to_string()))
}

fn refusal(status: u16, text: &str) -> RemoteError {
    match serde_json::from_str::<ErrorBody>(text) {
        Ok(body) => RemoteError::Refused { status, code: body.error.code, message: body.error.message },
        // Not the protocol's shape: a proxy, or a server that is not Chronicle's.
        Err(_) if status == 404 || status == 405 => RemoteError::NoSyncServer,
        Err(_) => RemoteError::Status(status),
    }
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

/// Registers a stream under the id this device chose, with the token it made (or, without one,
/// a token the server makes). Sent again with the same token, it answers as the first time did.
/// Returns the stream's token.
pub async fn register(stream: Uuid, token: Option<&str>) -> Result<String, RemoteError> {
    let request = Request::post(&format!("{API}/streams"))
        .json(&CreateStream { stream: Some(stream), token: token.map(str::to_owned) })
        .map_err(|e| RemoteError::Malformed(e.to_string()))?;
    let created: Created = answer(request.send().await).await?;
    Ok(created.token)
}

/// Pushes events; they come back acknowledged with their `seq`.
pub async fn push(stream: Uuid, token: &str, events: &[RawEnvelope]) -> Result<Pushed, RemoteError> {
    // What a client pushes carries no `seq`: the server gives it one.
    let events = events.iter().map(|e| WireEnvelope { seq: None, ..e.to_wire() }).collect();
    let request = Request::post(&format!("{API}/streams/{stream}/events"))
        .header("Authorization", &bearer(token))
        .json(&Push { events })
        .map_err(|e| RemoteError::Malformed(e.to_string()))?;
    answer(request.send().await).await
}

/// Pulls up to a page of events after `after`.
pub async fn pull(stream: Uuid, token: &str, after: u64) -> Result<Page, RemoteError> {
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
        .map_err(unreachable)?;
    if !response.ok() {
        let text = response.text().await.unwrap_or_default();
        return Err(refusal(response.status(), &text));
    }
    let body = response.body().ok_or_else(|| RemoteError::Unreachable("the live reply has no body".to_owned()))?;
    let reader = body.get_reader().unchecked_into::<ReadableStreamDefaultReader>();
    Ok(Live { reader, buffer: Vec::new() })
}

impl Live {
    /// The next page, or `None` when the server closed the stream.
    pub async fn next(&mut self) -> Result<Option<Page>, RemoteError> {
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
            let chunk =
                JsFuture::from(self.reader.read()).await.map_err(|e| RemoteError::Unreachable(format!("{e:?}")))?;
            if Reflect::get(&chunk, &JsValue::from_str("done")).ok().and_then(|d| d.as_bool()).unwrap_or(true) {
                return Ok(None);
            }
            let value = Reflect::get(&chunk, &JsValue::from_str("value"))
                .map_err(|e| RemoteError::Unreachable(format!("{e:?}")))?;
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
pub fn envelopes(stream: Uuid, page: Page) -> Vec<RawEnvelope> {
    page.events.into_iter().map(|e| RawEnvelope::from_wire(stream, e)).collect()
}
