//! The HTTP side: routes, authorization, and live delivery over server-sent events.

use std::convert::Infallible;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::{Path, RawQuery, State};
use axum::http::header::{
    AUTHORIZATION, CACHE_CONTROL, CONTENT_LENGTH, CONTENT_SECURITY_POLICY, CONTENT_TYPE, REFERRER_POLICY,
    X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use chronicle_protocol::{API, Created, ErrorCode, MAX_BATCH_EVENTS, MAX_BODY_BYTES};
use futures_util::Stream;
use tokio::sync::broadcast;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;
use uuid::Uuid;

use crate::error::ApiError;
use crate::protocol;
use crate::store::{Store, StoreError};
use crate::{auth, headers};

/// What every request handler shares.
#[derive(Clone)]
pub struct AppState {
    store: Arc<dyn Store>,
    /// `(stream, head)` after every append that stored something; live streams wait on it.
    appended: broadcast::Sender<(Uuid, u64)>,
    static_dir: Option<PathBuf>,
    /// The Content-Security-Policy of the app in `static_dir`.
    policy: HeaderValue,
}

impl AppState {
    /// State over a store; `static_dir`, when given, is served at `/` (the built web app).
    pub fn new(store: impl Store, static_dir: Option<PathBuf>) -> Self {
        let (appended, _) = broadcast::channel(1024);
        let index = static_dir.as_ref().and_then(|dir| std::fs::read_to_string(dir.join("index.html")).ok());
        let policy = headers::content_security_policy(index.as_deref().unwrap_or_default());
        // A policy is ASCII; should it ever not be, the strictest one stands in.
        let policy = HeaderValue::from_str(&policy).unwrap_or(HeaderValue::from_static("default-src 'none'"));
        AppState { store: Arc::new(store), appended, static_dir, policy }
    }
}

/// The server's routes: the API under `/api/v1` and, when configured, the app's files at `/`.
pub fn app(state: AppState) -> Router {
    let api = Router::new()
        .route("/streams", post(create_stream))
        .route("/streams/{stream}/events", post(push).get(pull))
        .route("/streams/{stream}/live", get(live))
        .method_not_allowed_fallback(method_not_allowed);
    let (static_dir, policy) = (state.static_dir.clone(), state.policy.clone());
    let router = Router::new()
        .nest(API, api)
        .route("/api", any(unknown_api))
        .route("/api/{*rest}", any(unknown_api))
        .route("/healthz", get(healthz))
        // Answers about streams are never kept in a cache.
        .layer(SetResponseHeaderLayer::overriding(CACHE_CONTROL, HeaderValue::from_static("no-store")))
        .with_state(state);
    let router = match static_dir {
        // The service worker decides what is cached; the server always lets it revalidate.
        Some(dir) => router
            .fallback_service(ServeDir::new(dir).append_index_html_on_directories(true))
            .layer(SetResponseHeaderLayer::if_not_present(CACHE_CONTROL, HeaderValue::from_static("no-cache")))
            .layer(SetResponseHeaderLayer::overriding(CONTENT_SECURITY_POLICY, policy)),
        None => router,
    };
    router
        .layer(SetResponseHeaderLayer::overriding(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .layer(SetResponseHeaderLayer::overriding(REFERRER_POLICY, HeaderValue::from_static("no-referrer")))
        .layer(SetResponseHeaderLayer::overriding(X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
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

/// Reads a request body of at most [`MAX_BODY_BYTES`].
async fn body_bytes(headers: &HeaderMap, body: Body) -> Result<axum::body::Bytes, ApiError> {
    let too_large = || {
        ApiError::new(ErrorCode::BodyTooLarge, format!("A request body may be at most {} MiB.", MAX_BODY_BYTES >> 20))
    };
    let declared = headers.get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES) {
        return Err(too_large());
    }
    to_bytes(body, MAX_BODY_BYTES).await.map_err(|_| too_large())
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

async fn create_stream(State(state): State<AppState>, headers: HeaderMap, body: Body) -> Result<Response, ApiError> {
    let body = body_bytes(&headers, body).await?;
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

async fn push(
    State(state): State<AppState>,
    Path(stream): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let stream = stream_id(&stream)?;
    authorize(&state, stream, &headers).await?;
    let body = body_bytes(&headers, body).await?;
    let events = protocol::push_request(&body)?;
    let appended = state.store.append(stream, events).await?;
    // Nobody listening is not an error.
    let _ = state.appended.send((stream, appended.head));
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
    // Subscribe before the first read, so that an append between the two is not missed.
    let appended = state.appended.subscribe();
    let messages = futures_util::stream::unfold((state, after, appended), move |(state, mut after, mut appended)| {
        async move {
            loop {
                match state.store.read(stream, after, MAX_BATCH_EVENTS).await {
                    Ok(page) if !page.events.is_empty() => {
                        after = page.events.last().map_or(after, |e| e.seq);
                        let message = SseEvent::default().id(after.to_string()).data(protocol::page_reply(&page));
                        return Some((Ok(message), (state, after, appended)));
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
                        Ok((s, head)) if s == stream && head > after => break,
                        Ok(_) => {}
                        // Missed notices: read again and see.
                        Err(broadcast::error::RecvError::Lagged(_)) => break,
                        Err(broadcast::error::RecvError::Closed) => return None,
                    }
                }
            }
        }
    });
    Ok(Sse::new(messages).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}
