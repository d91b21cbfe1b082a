//! The HTTP side: routes, authorization, and live delivery over server-sent events.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Extension;
use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::{ConnectInfo, Path, RawQuery, State};
use axum::http::header::{
    AUTHORIZATION, CACHE_CONTROL, CONTENT_LENGTH, CONTENT_SECURITY_POLICY, CONTENT_TYPE, REFERRER_POLICY,
    X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, delete, get, post};
use chronicle_protocol::{API, Created, ErrorCode, MAX_BATCH_EVENTS, MAX_BODY_BYTES, MAX_CREATE_BYTES};
use futures_util::Stream;
use tokio::sync::broadcast;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;
use uuid::Uuid;

use crate::error::ApiError;
use crate::metrics::Metrics;
use crate::protocol;
use crate::store::{Heard, Store, StoreError};
use crate::{auth, headers};

/// How many live listeners one server keeps open, in all and on one stream. Each holds a
/// connection and wakes on every append, so their number is bounded like any other resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListenerLimits {
    /// Live listeners in all.
    pub total: usize,
    /// Live listeners on one stream.
    pub per_stream: usize,
}

impl Default for ListenerLimits {
    fn default() -> Self {
        ListenerLimits { total: 10_000, per_stream: 100 }
    }
}

/// The live listeners open now.
#[derive(Debug, Default)]
struct Listeners {
    limits: ListenerLimits,
    open: Mutex<(usize, HashMap<Uuid, usize>)>,
}

/// A place taken by one live listener; dropping it, when the listener goes, frees it.
struct ListenerSlot {
    listeners: Arc<Listeners>,
    stream: Uuid,
}

/// Seconds a listener turned away is asked to wait; it pulls meanwhile.
const LISTENER_RETRY_SECONDS: u32 = 30;

impl Listeners {
    fn take(self: &Arc<Self>, stream: Uuid) -> Result<ListenerSlot, ApiError> {
        let mut open = self.open.lock().map_err(ApiError::internal)?;
        let (total, per_stream) = &mut *open;
        let on_stream = per_stream.entry(stream).or_default();
        if *total >= self.limits.total || *on_stream >= self.limits.per_stream {
            return Err(ApiError::new(
                ErrorCode::TooManyListeners,
                "This server has as many live listeners as it takes just now. Pull, and listen again later.",
            )
            .retry_after(LISTENER_RETRY_SECONDS));
        }
        *total += 1;
        *on_stream += 1;
        Ok(ListenerSlot { listeners: Arc::clone(self), stream })
    }
}

impl Drop for ListenerSlot {
    fn drop(&mut self) {
        if let Ok(mut open) = self.listeners.open.lock() {
            let (total, per_stream) = &mut *open;
            *total = total.saturating_sub(1);
            if let Some(n) = per_stream.get_mut(&self.stream) {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    per_stream.remove(&self.stream);
                }
            }
        }
    }
}

/// How many streams one client address may create: `burst` at once, then `per_minute`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CreateLimit {
    /// Creations allowed at once.
    pub burst: u32,
    /// Creations allowed per minute after the burst.
    pub per_minute: u32,
}

impl Default for CreateLimit {
    /// Generous: a person makes a few boards a day; a script that makes thousands is slowed.
    fn default() -> Self {
        CreateLimit { burst: 1000, per_minute: 600 }
    }
}

/// A token bucket per client address for stream creation.
#[derive(Debug, Default)]
struct CreateBuckets {
    limit: CreateLimit,
    /// The header that names the client's address when a trusted proxy stands in front.
    client_header: Option<HeaderName>,
    buckets: Mutex<HashMap<IpAddr, (f64, Instant)>>,
}

/// Addresses remembered at most; full buckets are forgotten first.
const MAX_BUCKETS: usize = 100_000;

impl CreateBuckets {
    /// Takes one creation for `address`, or says how many seconds to wait.
    fn take(&self, address: IpAddr, now: Instant) -> Result<(), u32> {
        let burst = f64::from(self.limit.burst.max(1));
        let per_second = f64::from(self.limit.per_minute.max(1)) / 60.0;
        let Ok(mut buckets) = self.buckets.lock() else { return Ok(()) };
        if buckets.len() >= MAX_BUCKETS {
            buckets.retain(|_, (tokens, at)| *tokens + now.duration_since(*at).as_secs_f64() * per_second < burst);
        }
        let (tokens, at) = buckets.entry(address).or_insert((burst, now));
        *tokens = (*tokens + now.duration_since(*at).as_secs_f64() * per_second).min(burst);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - *tokens) / per_second).ceil() as u32)
        }
    }

    /// The client's address: from the trusted header when one is named, else the connection's.
    fn address(&self, headers: &HeaderMap, connection: Option<SocketAddr>) -> Option<IpAddr> {
        let forwarded = self.client_header.as_ref().and_then(|name| {
            // The proxy in front appends the address it saw last.
            let value = headers.get(name)?.to_str().ok()?;
            value.rsplit(',').next()?.trim().parse().ok()
        });
        forwarded.or(connection.map(|c| c.ip()))
    }
}

/// What every request handler shares.
#[derive(Clone)]
pub struct AppState {
    store: Arc<dyn Store>,
    /// `(stream, head)` after every append that stored something; live streams wait on it.
    appended: broadcast::Sender<Heard>,
    static_dir: Option<PathBuf>,
    /// The Content-Security-Policy of the app in `static_dir`.
    policy: HeaderValue,
    listeners: Arc<Listeners>,
    creates: Arc<CreateBuckets>,
    /// Events whose envelope is larger than this are refused (see
    /// [`AppState::refusing_larger_than`]).
    refused_above: Option<usize>,
    metrics: Arc<Metrics>,
}

impl AppState {
    /// State over a store; `static_dir`, when given, is served at `/` (the built web app).
    pub fn new(store: impl Store, static_dir: Option<PathBuf>) -> Self {
        let (appended, _) = broadcast::channel(1024);
        store.watch(appended.clone());
        let index = static_dir.as_ref().and_then(|dir| std::fs::read_to_string(dir.join("index.html")).ok());
        let policy = headers::content_security_policy(index.as_deref().unwrap_or_default());
        // A policy is ASCII; should it ever not be, the strictest one stands in.
        let policy = HeaderValue::from_str(&policy).unwrap_or(HeaderValue::from_static("default-src 'none'"));
        AppState {
            store: Arc::new(store),
            appended,
            static_dir,
            policy,
            listeners: Arc::default(),
            creates: Arc::default(),
            refused_above: None,
            metrics: Arc::default(),
        }
    }

    /// The same state, refusing for good every push with an event whose envelope is larger than
    /// `bytes`: a server that keeps smaller events than the protocol allows (it cannot look inside
    /// a private board's events), and the way the end-to-end tests make a server refuse one change
    /// while taking the others.
    pub fn refusing_larger_than(self, bytes: usize) -> Self {
        AppState { refused_above: Some(bytes), ..self }
    }

    /// The same state with another limit on stream creation per client address, and the header
    /// that names a client's address when a trusted proxy stands in front (`None`: the
    /// connection's address).
    pub fn with_create_limit(self, limit: CreateLimit, client_header: Option<HeaderName>) -> Self {
        AppState { creates: Arc::new(CreateBuckets { limit, client_header, ..CreateBuckets::default() }), ..self }
    }

    /// The same state with other limits on live listeners.
    pub fn with_listener_limits(self, limits: ListenerLimits) -> Self {
        AppState { listeners: Arc::new(Listeners { limits, ..Listeners::default() }), ..self }
    }
}

/// The server's routes: the API under `/api/v1` and, when configured, the app's files at `/`.
pub fn app(state: AppState) -> Router {
    let api = Router::new()
        .route("/streams", post(create_stream))
        .route("/streams/{stream}", delete(delete_stream))
        .route("/streams/{stream}/events", post(push).get(pull))
        .route("/streams/{stream}/live", get(live))
        .method_not_allowed_fallback(method_not_allowed);
    let (static_dir, policy) = (state.static_dir.clone(), state.policy.clone());
    let counted = state.clone();
    let router = Router::new()
        .nest(API, api)
        .route("/api", any(unknown_api))
        .route("/api/", any(unknown_api))
        .route("/api/{*rest}", any(unknown_api))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        // Answers about streams are never kept in a cache.
        .layer(SetResponseHeaderLayer::overriding(CACHE_CONTROL, HeaderValue::from_static("no-store")))
        .with_state(state);
    let router = match static_dir {
        // The build writes each file compressed beside it (`.br`, `.gz`); the one the browser
        // takes is sent as it is, with no compression work per request.
        Some(dir) => router
            .fallback_service(
                ServeDir::new(dir).append_index_html_on_directories(true).precompressed_br().precompressed_gzip(),
            )
            .layer(axum::middleware::map_response(app_file_lifetime))
            .layer(SetResponseHeaderLayer::overriding(CONTENT_SECURITY_POLICY, policy)),
        None => router,
    };
    router
        .layer(axum::middleware::from_fn_with_state(counted, count))
        .layer(SetResponseHeaderLayer::overriding(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .layer(SetResponseHeaderLayer::overriding(REFERRER_POLICY, HeaderValue::from_static("no-referrer")))
        .layer(SetResponseHeaderLayer::overriding(X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
}

/// Says how long a browser may keep one of the app's files (see
/// [`headers::app_file_cache_control`]); answers that already say (the API's) keep theirs.
async fn app_file_lifetime(uri: axum::http::Uri, mut response: Response) -> Response {
    if !response.headers().contains_key(CACHE_CONTROL) {
        // A file that is not there may be there after the next deployment.
        let value =
            if response.status().is_success() { headers::app_file_cache_control(uri.path()) } else { "no-cache" };
        response.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static(value));
    }
    response
}

/// Counts every answer by its status class, for `GET /metrics`.
async fn count(
    State(state): State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let response = next.run(request).await;
    state.metrics.answered(response.status());
    response
}

/// `GET /metrics`: requests, pushes, events stored, live listeners and the store's queue and
/// connections, in Prometheus' text format.
async fn metrics(State(state): State<AppState>) -> Response {
    let listeners = state.listeners.open.lock().map_or(0, |open| open.0);
    let text = state.metrics.render(listeners, state.store.gauges());
    ([(CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4"))], text).into_response()
}

/// `GET /healthz`: whether this server can read and write its store.
async fn healthz(State(state): State<AppState>) -> Result<Response, ApiError> {
    match state.store.check().await {
        Ok(()) => Ok(axum::Json(serde_json::json!({ "status": "ok" })).into_response()),
        Err(e) => {
            tracing::error!(error = %e, "the health check failed");
            Err(ApiError::new(ErrorCode::Unavailable, "The server cannot use its store just now. Try again later."))
        }
    }
}

async fn unknown_api() -> ApiError {
    ApiError::new(ErrorCode::NotFound, format!("There is no such API endpoint. The API lives under {API}."))
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(ErrorCode::MethodNotAllowed, "This endpoint does not take that method.")
}

/// Reads a request body of at most `limit` bytes.
async fn body_bytes(headers: &HeaderMap, body: Body, limit: usize) -> Result<axum::body::Bytes, ApiError> {
    let too_large =
        || ApiError::new(ErrorCode::BodyTooLarge, format!("This request's body may be at most {limit} bytes."));
    let declared = headers.get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(too_large());
    }
    to_bytes(body, limit).await.map_err(|_| too_large())
}

fn stream_id(text: &str) -> Result<Uuid, ApiError> {
    // An id that is not a UUID names no stream: the same answer as a stream that does not exist.
    text.parse().map_err(|_| ApiError::stream_not_found())
}

/// Checks the bearer token against the stream's. A wrong token and an unknown stream get the same
/// answer, so that nobody can learn which streams exist.
async fn authorize(state: &AppState, stream: Uuid, headers: &HeaderMap) -> Result<(), ApiError> {
    let token = headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(auth::bearer).ok_or_else(|| {
        ApiError::new(ErrorCode::Unauthorized, "Send the stream's token in the header `Authorization: Bearer <token>`.")
    })?;
    match state.store.token_hash(stream).await? {
        Some(hash) if hash == auth::hash(token) => Ok(()),
        _ => Err(ApiError::stream_not_found()),
    }
}

async fn create_stream(
    State(state): State<AppState>,
    connection: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let connection = connection.map(|Extension(ConnectInfo(address))| address);
    if let Some(address) = state.creates.address(&headers, connection)
        && let Err(seconds) = state.creates.take(address, Instant::now())
    {
        tracing::warn!(%address, "stream creation rate-limited");
        return Err(ApiError::new(
            ErrorCode::RateLimited,
            "Too many boards were registered from this address just now. Try again in a little while.",
        )
        .retry_after(seconds));
    }
    let body = body_bytes(&headers, body, MAX_CREATE_BYTES).await?;
    let request = protocol::create_request(&body)?;
    let stream = request.stream.unwrap_or_else(Uuid::new_v4);
    let token = match request.token {
        Some(token) => token,
        None => auth::new_token().map_err(ApiError::internal)?,
    };
    let hash = auth::hash(&token);
    match state.store.create_stream(stream, hash).await {
        Ok(()) => tracing::info!(%stream, "stream created"),
        // The same stream with the same chosen token: a retry whose first reply was lost.
        Err(StoreError::StreamExists) if state.store.token_hash(stream).await? == Some(hash) => {}
        Err(e) => return Err(e.into()),
    }
    Ok((StatusCode::CREATED, axum::Json(Created { stream, token })).into_response())
}

/// `DELETE /streams/{stream}`: deletes the stream's events for good. Its live listeners are
/// woken, read, learn it was deleted and end.
async fn delete_stream(
    State(state): State<AppState>,
    Path(stream): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let stream = stream_id(&stream)?;
    authorize(&state, stream, &headers).await?;
    state.store.delete_stream(stream).await?;
    tracing::info!(%stream, "stream deleted");
    let _ = state.appended.send(Heard::Appended { stream, head: u64::MAX });
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn push(
    State(state): State<AppState>,
    Path(stream): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let stream = stream_id(&stream)?;
    authorize(&state, stream, &headers).await?;
    let body = body_bytes(&headers, body, MAX_BODY_BYTES).await?;
    let events = protocol::push_request(&body)?;
    if let Some(bytes) = state.refused_above
        && let Some(index) = events.iter().position(|e| e.body.len() > bytes)
    {
        let message = format!("Event {} of the batch is larger than the {bytes} bytes this server takes.", index + 1);
        return Err(ApiError::new(ErrorCode::BadEnvelope, message).at(index));
    }
    let appended = state.store.append(stream, events).await?;
    // Nobody listening is not an error.
    let _ = state.appended.send(Heard::Appended { stream, head: appended.head });
    state.metrics.pushed(appended.stored);
    Ok(axum::Json(protocol::push_reply(&appended)).into_response())
}

async fn pull(
    State(state): State<AppState>,
    Path(stream): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let stream = stream_id(&stream)?;
    authorize(&state, stream, &headers).await?;
    let (after, limit) = protocol::page_query(query.as_deref())?;
    let page = state.store.read(stream, after, limit).await?;
    Ok(([(CONTENT_TYPE, HeaderValue::from_static("application/json"))], protocol::page_reply(&page)).into_response())
}

async fn live(
    State(state): State<AppState>,
    Path(stream): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>, ApiError> {
    let stream = stream_id(&stream)?;
    authorize(&state, stream, &headers).await?;
    let (after, _) = protocol::page_query(query.as_deref())?;
    // Held for as long as the stream is open: the client going away drops it.
    let slot = state.listeners.take(stream)?;
    // Subscribe before the first read, so that an append between the two is not missed.
    let appended = state.appended.subscribe();
    let start = (state, after, appended, slot);
    let messages = futures_util::stream::unfold(start, move |(state, mut after, mut appended, slot)| {
        async move {
            loop {
                match state.store.read(stream, after, MAX_BATCH_EVENTS).await {
                    Ok(page) if !page.events.is_empty() => {
                        after = page.events.last().map_or(after, |e| e.seq);
                        let message = SseEvent::default().id(after.to_string()).data(protocol::page_reply(&page));
                        return Some((Ok(message), (state, after, appended, slot)));
                    }
                    Ok(_) => {}
                    Err(e) => {
                        // The client resumes with `after`; ending the stream is how it learns to.
                        tracing::warn!(%stream, error = %e, "a live stream ended on a failed read");
                        return None;
                    }
                }
                loop {
                    match appended.recv().await {
                        Ok(Heard::Appended { stream: s, head }) if s == stream && head > after => break,
                        Ok(Heard::Appended { .. }) => {}
                        // Missed notices: read again and see.
                        Ok(Heard::Missed) | Err(broadcast::error::RecvError::Lagged(_)) => break,
                        Err(broadcast::error::RecvError::Closed) => return None,
                    }
                }
            }
        }
    });
    Ok(Sse::new(messages).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}
