//! The only module that talks to the sync server (`docs/protocol.md`), with the browser's `fetch`.
//!
//! Live updates are read from a streamed `fetch` rather than `EventSource`, because the stream
//! needs the `Authorization` header, which `EventSource` cannot send.

use chronicle_core::{RawEnvelope, Uuid};
use chronicle_protocol::{
    API, CreateStream, Created, ErrorBody, ErrorCode, ErrorDetail, Page, Push, Pushed, WireEnvelope,
};
use futures::FutureExt;
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
    /// No answer came in time: the network or the server is too slow, or the connection went
    /// silent.
    #[error("The sync server did not answer in time.")]
    TimedOut,
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
        /// The refused event's place in its push, when one was.
        index: Option<usize>,
        /// How long the server asked to wait before asking again (`Retry-After`), in seconds.
        retry_after: Option<u32>,
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

    /// Whether asking again cannot help: the server refused the request itself (it is malformed,
    /// too large, or conflicts with what it holds), not the moment it came at.
    pub fn is_permanent(&self) -> bool {
        matches!(self, RemoteError::Refused { status: 400 | 409 | 413, code, .. } if *code != ErrorCode::Unknown)
    }

    /// How long the server asked to wait, in milliseconds.
    pub fn wait_asked_ms(&self) -> Option<i64> {
        match self {
            RemoteError::Refused { retry_after: Some(seconds), .. } => Some(i64::from(*seconds) * 1000),
            _ => None,
        }
    }
}

/// Longest wait for a request and its whole answer.
const REQUEST_TIMEOUT_MS: u32 = 30_000;
/// The live stream is given up, and opened again, when nothing arrived on it for this long, not
/// even a keep-alive (the server sends one every 15 s): the connection is half-open.
const LIVE_SILENCE_MS: u32 = 45_000;
/// Largest message the live stream takes: a page the server may send, with room to spare.
const MAX_LIVE_MESSAGE_BYTES: usize = 16 * 1024 * 1024;

/// Waits for `work` at most `ms` milliseconds; `None` when the time ran out first.
async fn at_most<T>(ms: u32, work: impl std::future::Future<Output = T>) -> Option<T> {
    let work = work.fuse();
    let timer = gloo_timers::future::TimeoutFuture::new(ms).fuse();
    futures::pin_mut!(work, timer);
    futures::select! {
        done = work => Some(done),
        _ = timer => None,
    }
}

/// Runs one exchange with the server, given the signal that aborts its request, for at most
/// [`REQUEST_TIMEOUT_MS`]; then the request is aborted, so its connection is let go.
async fn exchange<T>(run: impl AsyncFnOnce(&AbortSignal) -> Result<T, RemoteError>) -> Result<T, RemoteError> {
    let controller = web_sys::AbortController::new().map_err(unreachable_js)?;
    let signal = controller.signal();
    match at_most(REQUEST_TIMEOUT_MS, run(&signal)).await {
        Some(answer) => answer,
        None => {
            controller.abort();
            Err(RemoteError::TimedOut)
        }
    }
}

fn unreachable(error: gloo_net::Error) -> RemoteError {
    RemoteError::Unreachable(error.to_string())
}

/// A failure the browser reported as a JavaScript value.
fn unreachable_js(error: JsValue) -> RemoteError {
    RemoteError::Unreachable(format!("{error:?}"))
}

async fn answer<T: DeserializeOwned>(response: Result<Response, gloo_net::Error>) -> Result<T, RemoteError> {
    let response = web_sys::Response::from(response.map_err(unreachable)?);
    let text = text(&response).await?;
    if !response.ok() {
        return Err(refusal(&Response::from(response), &text));
    }
    serde_json::from_str(&text).map_err(|e| RemoteError::Malformed(e.to_string()))
}

/// A response's body as text, copied into the module by the browser's encoder: a page of a
/// thousand events is a few hundred kilobytes (see [`crate::text`]).
async fn text(response: &web_sys::Response) -> Result<String, RemoteError> {
    let read = response.text().map_err(unreachable_js)?;
    let body = JsFuture::from(read).await.map_err(unreachable_js)?;
    crate::text::string_of(&body).ok_or_else(|| RemoteError::Unreachable("the reply is not text".to_owned()))
}

fn refusal(response: &Response, text: &str) -> RemoteError {
    let status = response.status();
    // Only the seconds form of Retry-After; a date is read as no advice.
    let retry_after = response.headers().get("retry-after").and_then(|v| v.trim().parse().ok());
    match serde_json::from_str::<ErrorBody>(text) {
        Ok(body) => {
            let ErrorDetail { code, message, index } = body.error;
            RemoteError::Refused { status, code, message, index, retry_after }
        }
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
    let body = CreateStream { stream: Some(stream), token: token.map(str::to_owned) };
    let created: Created = exchange(async |signal| {
        let request = Request::post(&format!("{API}/streams"))
            .abort_signal(Some(signal))
            .json(&body)
            .map_err(|e| RemoteError::Malformed(e.to_string()))?;
        answer(request.send().await).await
    })
    .await?;
    Ok(created.token)
}

/// Pushes events; they come back acknowledged with their `seq`.
pub async fn push(stream: Uuid, token: &str, events: &[RawEnvelope]) -> Result<Pushed, RemoteError> {
    // What a client pushes carries no `seq`: the server gives it one.
    let body = Push { events: events.iter().map(|e| WireEnvelope { seq: None, ..e.to_wire() }).collect() };
    exchange(async |signal| {
        let request = Request::post(&format!("{API}/streams/{stream}/events"))
            .header("Authorization", &bearer(token))
            .abort_signal(Some(signal))
            .json(&body)
            .map_err(|e| RemoteError::Malformed(e.to_string()))?;
        answer(request.send().await).await
    })
    .await
}

/// Deletes a stream from the server for good: every device syncing it, and every share link,
/// learns it was deleted.
pub async fn delete(stream: Uuid, token: &str) -> Result<(), RemoteError> {
    exchange(async |signal| {
        let response = Request::delete(&format!("{API}/streams/{stream}"))
            .header("Authorization", &bearer(token))
            .abort_signal(Some(signal))
            .send()
            .await
            .map_err(unreachable)?;
        if response.ok() {
            return Ok(());
        }
        let text = response.text().await.map_err(unreachable)?;
        Err(refusal(&response, &text))
    })
    .await
}

/// Pulls up to a page of events after `after`.
pub async fn pull(stream: Uuid, token: &str, after: u64) -> Result<Page, RemoteError> {
    page(stream, token, &format!("after={after}")).await
}

/// Whether `token` opens `stream` on the server: `false` when the server says it does not.
pub async fn opens(stream: Uuid, token: &str) -> Result<bool, RemoteError> {
    // After the last possible position: the answer holds no events, only whether the token opens.
    match page(stream, token, &format!("after={}&limit=1", u64::MAX)).await {
        Ok(_) => Ok(true),
        Err(RemoteError::Refused { code: ErrorCode::StreamNotFound, .. }) => Ok(false),
        Err(e) => Err(e),
    }
}

/// `GET .../events?{query}`: a page of a stream's events.
async fn page(stream: Uuid, token: &str, query: &str) -> Result<Page, RemoteError> {
    exchange(async |signal| {
        let response = Request::get(&format!("{API}/streams/{stream}/events?{query}"))
            .header("Authorization", &bearer(token))
            .abort_signal(Some(signal))
            .send()
            .await;
        answer(response).await
    })
    .await
}

/// An open live connection: one page per message.
pub struct Live {
    reader: ReadableStreamDefaultReader,
    messages: EventStream,
}

/// The messages of a server-sent event stream, taken as its bytes arrive. Each chunk is looked
/// at once (only the new bytes are searched for the end of a message), and a message that grows
/// past its limit is refused rather than kept growing.
#[derive(Debug, Default)]
struct EventStream {
    buffer: Vec<u8>,
    /// How far `buffer` has been searched for the end of a message.
    searched: usize,
}

impl EventStream {
    fn push(&mut self, chunk: &[u8]) {
        self.buffer.extend_from_slice(chunk);
    }

    /// The data of the next whole message with any, or `None` until more bytes arrive. Comment
    /// lines (keep-alives) and fields other than `data` are skipped.
    fn next_data(&mut self, max: usize) -> Result<Option<String>, RemoteError> {
        loop {
            // A message ends at a blank line; the two newlines may straddle the last search.
            let from = self.searched.saturating_sub(1);
            let Some(end) = self.buffer[from..].windows(2).position(|w| w == b"\n\n").map(|i| from + i) else {
                self.searched = self.buffer.len();
                if self.buffer.len() > max {
                    return Err(RemoteError::Malformed(format!("a live message is over {max} bytes")));
                }
                return Ok(None);
            };
            let message: Vec<u8> = self.buffer.drain(..end + 2).collect();
            self.searched = 0;
            let text = String::from_utf8_lossy(&message);
            let data: String = text.lines().filter_map(|l| l.strip_prefix("data:")).map(str::trim_start).collect();
            if !data.is_empty() {
                return Ok(Some(data));
            }
        }
    }
}

/// Opens the live stream of events after `after`. Aborting `signal` closes it.
pub async fn listen(stream: Uuid, token: &str, after: u64, signal: &AbortSignal) -> Result<Live, RemoteError> {
    let request = Request::get(&format!("{API}/streams/{stream}/live?after={after}"))
        .header("Authorization", &bearer(token))
        .header("Accept", "text/event-stream")
        .abort_signal(Some(signal))
        .send();
    let response = at_most(REQUEST_TIMEOUT_MS, request).await.ok_or(RemoteError::TimedOut)?.map_err(unreachable)?;
    if !response.ok() {
        let text = response.text().await.unwrap_or_default();
        return Err(refusal(&response, &text));
    }
    let body = response.body().ok_or_else(|| RemoteError::Unreachable("the live reply has no body".to_owned()))?;
    let reader = body.get_reader().unchecked_into::<ReadableStreamDefaultReader>();
    Ok(Live { reader, messages: EventStream::default() })
}

impl Live {
    /// The next page, or `None` when the server closed the stream. A connection silent for
    /// [`LIVE_SILENCE_MS`] is given up with [`RemoteError::TimedOut`].
    pub async fn next(&mut self) -> Result<Option<Page>, RemoteError> {
        loop {
            if let Some(data) = self.messages.next_data(MAX_LIVE_MESSAGE_BYTES)? {
                return serde_json::from_str(&data).map(Some).map_err(|e| RemoteError::Malformed(e.to_string()));
            }
            let read = JsFuture::from(self.reader.read());
            let chunk = at_most(LIVE_SILENCE_MS, read).await.ok_or(RemoteError::TimedOut)?.map_err(unreachable_js)?;
            if Reflect::get(&chunk, &JsValue::from_str("done")).ok().and_then(|d| d.as_bool()).unwrap_or(true) {
                return Ok(None);
            }
            let value = Reflect::get(&chunk, &JsValue::from_str("value")).map_err(unreachable_js)?;
            self.messages.push(&value.unchecked_into::<Uint8Array>().to_vec());
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn live_messages_are_read_as_their_bytes_arrive_and_keep_alives_are_skipped() {
        let mut stream = EventStream::default();
        stream.push(b": keep-alive\n\nid: 3\ndata: {\"events\"");
        assert_eq!(stream.next_data(1000).unwrap(), None, "the first message is not whole yet");
        stream.push(b":[],\"head\":3}\n");
        assert_eq!(stream.next_data(1000).unwrap(), None);
        stream.push(b"\ndata: second\n\n");
        assert_eq!(stream.next_data(1000).unwrap().as_deref(), Some(r#"{"events":[],"head":3}"#));
        assert_eq!(stream.next_data(1000).unwrap().as_deref(), Some("second"));
        assert_eq!(stream.next_data(1000).unwrap(), None);
    }

    #[test]
    fn refusals_of_the_request_itself_are_permanent_and_the_rest_may_pass() {
        let refused = |status, code, retry_after| RemoteError::Refused {
            status,
            code,
            message: String::new(),
            index: None,
            retry_after,
        };
        for permanent in [
            refused(400, ErrorCode::BadEnvelope, None),
            refused(409, ErrorCode::EventIdReused, None),
            refused(413, ErrorCode::EventTooLarge, None),
        ] {
            assert!(permanent.is_permanent(), "{permanent:?}");
        }
        for passing in [
            RemoteError::Unreachable("offline".into()),
            RemoteError::TimedOut,
            RemoteError::Status(502),
            RemoteError::NoSyncServer,
            refused(500, ErrorCode::InternalError, None),
            refused(503, ErrorCode::Unavailable, Some(20)),
            refused(404, ErrorCode::StreamNotFound, None),
            refused(400, ErrorCode::Unknown, None),
        ] {
            assert!(!passing.is_permanent(), "{passing:?}");
        }
        assert_eq!(refused(503, ErrorCode::Unavailable, Some(20)).wait_asked_ms(), Some(20_000));
        assert_eq!(RemoteError::TimedOut.wait_asked_ms(), None);
    }

    #[test]
    fn a_live_message_over_its_limit_is_refused() {
        let mut stream = EventStream::default();
        stream.push(&[b'x'; 600]);
        assert_eq!(stream.next_data(1000).unwrap(), None);
        stream.push(&[b'x'; 600]);
        assert!(matches!(stream.next_data(1000), Err(RemoteError::Malformed(_))));
    }
}
