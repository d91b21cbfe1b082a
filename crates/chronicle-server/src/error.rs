//! The one error shape clients see: `{"error": {"code": "...", "message": "..."}}` with a status.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chronicle_protocol::{ErrorBody, ErrorCode, ErrorDetail};

use crate::store::StoreError;

/// An error as a client sees it. Internal details are logged, never sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// Stable code a program can match on; it decides the HTTP status.
    pub code: ErrorCode,
    /// What was wrong, for a person.
    pub message: String,
    /// The place in its batch of the one event refused, from 0.
    pub index: Option<usize>,
    /// Seconds to wait before asking again, sent as `Retry-After`.
    pub retry_after: Option<u32>,
}

impl ApiError {
    /// An error with its code and message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError { code, message: message.into(), index: None, retry_after: None }
    }

    /// The same error, asking the client to wait `seconds` before trying again.
    pub fn retry_after(self, seconds: u32) -> Self {
        ApiError { retry_after: Some(seconds), ..self }
    }

    /// The same error, about the event at `index` in its batch.
    pub fn at(self, index: usize) -> Self {
        ApiError { index: Some(index), ..self }
    }

    /// The HTTP status of the error's code.
    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.code.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    /// 404 for an unknown stream and for a wrong token alike, so streams cannot be probed.
    pub fn stream_not_found() -> Self {
        Self::new(ErrorCode::StreamNotFound, "There is no stream with this id, or the token does not open it.")
    }

    /// 500: the detail goes to the log, the client gets an apology.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        tracing::error!(%detail, "request failed");
        Self::new(
            ErrorCode::InternalError,
            "The server could not complete the request. Nothing was changed; try again.",
        )
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::StreamNotFound => ApiError::stream_not_found(),
            StoreError::StreamExists => ApiError::new(
                ErrorCode::StreamExists,
                "A stream with this id already exists. Ask its owner for a share link to join it.",
            ),
            StoreError::StreamDeleted => ApiError::new(
                ErrorCode::StreamDeleted,
                "This board was deleted from the server by one of its devices. Its events are gone from the server.",
            ),
            StoreError::IdReused { id, index } => ApiError::new(
                ErrorCode::EventIdReused,
                format!(
                    "Event {id} is already in this stream with different content. Nothing in this batch was stored."
                ),
            )
            .at(index),
            StoreError::QuotaExceeded { quota } => ApiError::new(
                ErrorCode::QuotaExceeded,
                format!(
                    "This board would hold more than the {} MiB this server keeps for one board. Nothing of this batch was stored.",
                    quota >> 20
                ),
            ),
            StoreError::Busy => {
                ApiError::new(ErrorCode::Busy, "The server is busy. Nothing was stored; try again in a moment.")
                    .retry_after(1)
            }
            StoreError::Unavailable(detail) => {
                tracing::error!(%detail, "the database cannot be reached");
                ApiError::new(ErrorCode::Unavailable, "The server cannot reach its database just now. Try again later.")
                    .retry_after(5)
            }
            StoreError::Storage(detail) => ApiError::internal(detail),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let error = ErrorDetail { code: self.code, message: self.message, index: self.index };
        let mut response = (status, Json(ErrorBody { error })).into_response();
        if let Some(seconds) = self.retry_after {
            response.headers_mut().insert(axum::http::header::RETRY_AFTER, seconds.into());
        }
        response
    }
}
