//! The one error shape clients see: `{"error": {"code": "...", "message": "..."}}` with a status.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::store::StoreError;

/// An error as a client sees it. Internal details are logged, never sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Stable `snake_case` code a program can match on.
    pub code: &'static str,
    /// What was wrong, for a person.
    pub message: String,
}

impl ApiError {
    /// An error with its status, code and message.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError { status, code, message: message.into() }
    }

    /// 400: the request does not say what the protocol expects.
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    /// 413: too big.
    pub fn too_large(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::PAYLOAD_TOO_LARGE, code, message)
    }

    /// 404 for an unknown stream and for a wrong token alike, so streams cannot be probed.
    pub fn stream_not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "stream_not_found",
            "There is no stream with this id, or the token does not open it.",
        )
    }

    /// 500: the detail goes to the log, the client gets an apology.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        tracing::error!(%detail, "request failed");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "The server could not complete the request. Nothing was changed; try again.",
        )
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::StreamNotFound => ApiError::stream_not_found(),
            StoreError::StreamExists => ApiError::new(
                StatusCode::CONFLICT,
                "stream_exists",
                "A stream with this id already exists. Ask its owner for a share link to join it.",
            ),
            StoreError::IdReused { id } => ApiError::new(
                StatusCode::CONFLICT,
                "event_id_reused",
                format!(
                    "Event {id} is already in this stream with different content. Nothing in this batch was stored."
                ),
            ),
            StoreError::Storage(detail) => ApiError::internal(detail),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({ "error": { "code": self.code, "message": self.message } });
        (self.status, Json(body)).into_response()
    }
}
