//! Platform: the template maintains this file, and `cargo microservice upgrade` updates it.
//!
//! Every error leaves the service as JSON:
//! `{"error": "<code>", "message": "<sentence>", "request_id": "<the X-Request-Id>"}`, with
//! `"field": "<name>"` when one field's value is refused.

use super::request_id;
use crate::store::StoreError;
use actix_web::body::MessageBody;
use actix_web::dev::ServiceResponse;
use actix_web::error::{JsonPayloadError, PathError, PayloadError, QueryPayloadError};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::{ErrorHandlerResponse, ErrorHandlers};
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use serde::Serialize;
use std::fmt;
use utoipa::ToSchema;

/// An error a handler returns; its status and JSON body are decided here, once.
#[derive(Debug)]
pub enum ApiError {
    BadRequest {
        code: &'static str,
        message: String,
    },
    /// Well-formed JSON whose values cannot be accepted; `field` names the one refused.
    Unprocessable {
        code: &'static str,
        field: Option<String>,
        message: String,
    },
    NotFound,
    /// What a resource's path names is not there: `code` says what (`user_not_found`).
    Missing {
        code: &'static str,
        message: String,
    },
    MethodNotAllowed {
        allow: &'static str,
    },
    RequestTimeout,
    PayloadTooLarge {
        limit: usize,
    },
    UriTooLong {
        limit: usize,
    },
    UnsupportedMediaType,
    Store(StoreError),
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        Self::Store(error)
    }
}

/// What every error answer holds.
#[derive(Serialize, ToSchema)]
#[schema(as = Error)]
pub struct ErrorBody<'a> {
    /// What went wrong, for programs: `invalid_fields`, `user_not_found`, ...
    #[schema(example = "invalid_fields")]
    pub error: &'a str,
    /// What went wrong, for people.
    pub message: &'a str,
    /// The field whose value is refused, when one is.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "email")]
    pub field: Option<&'a str>,
    /// The id that ties a client's report to the service's log lines.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<&'a str>,
}

impl ApiError {
    /// A `422` for one refused value: `field` names it (a JSON path: `name`, `items[2].id`), the
    /// message says what it must be.
    pub fn invalid(field: Option<String>, message: impl fmt::Display) -> Self {
        let message = match &field {
            Some(field) => format!("{field}: {message}"),
            None => message.to_string(),
        };
        Self::Unprocessable {
            code: "invalid_fields",
            field,
            message,
        }
    }

    fn field(&self) -> Option<&str> {
        match self {
            Self::Unprocessable { field, .. } => field.as_deref(),
            Self::Store(error) => error.field(),
            _ => None,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::BadRequest { code, .. }
            | Self::Unprocessable { code, .. }
            | Self::Missing { code, .. } => code,
            Self::NotFound => "not_found",
            Self::MethodNotAllowed { .. } => "method_not_allowed",
            Self::RequestTimeout => "request_timeout",
            Self::PayloadTooLarge { .. } => "payload_too_large",
            Self::UriTooLong { .. } => "uri_too_long",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::Store(error) => error.code(),
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::BadRequest { message, .. }
            | Self::Unprocessable { message, .. }
            | Self::Missing { message, .. } => f.write_str(message),
            Self::NotFound => f.write_str("no route matches this path"),
            Self::MethodNotAllowed { allow } => {
                write!(
                    f,
                    "this path does not accept this method; it accepts {allow}"
                )
            }
            Self::RequestTimeout => f.write_str("the request body did not arrive in time"),
            Self::PayloadTooLarge { limit } => {
                write!(f, "the request body is larger than the {limit}-byte limit")
            }
            Self::UriTooLong { limit } => {
                write!(
                    f,
                    "the request target is longer than the {limit}-byte limit"
                )
            }
            Self::UnsupportedMediaType => {
                f.write_str("send the body as JSON with Content-Type: application/json")
            }
            Self::Store(error) => error.fmt(f),
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Self::Unprocessable { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Self::NotFound | Self::Missing { .. } => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            Self::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            Self::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UriTooLong { .. } => StatusCode::URI_TOO_LONG,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Store(error) => error.status_code(),
        }
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = json_error(
            self.status_code(),
            self.code(),
            &self.to_string(),
            self.field(),
        );
        if let Self::MethodNotAllowed { allow } = self {
            response
                .headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static(allow));
        }
        if self.status_code() == StatusCode::SERVICE_UNAVAILABLE {
            // Clients and proxies that honour it back off instead of hammering.
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        response
    }
}

fn json_error(status: StatusCode, code: &str, message: &str, field: Option<&str>) -> HttpResponse {
    let context = request_id::current();
    HttpResponse::build(status).json(ErrorBody {
        error: code,
        message,
        field,
        request_id: context.as_ref().map(|context| context.request_id.as_str()),
    })
}

/// Turns actix's plain-text JSON extractor errors into our JSON errors.
pub fn json_payload_error(error: JsonPayloadError, _: &HttpRequest) -> actix_web::Error {
    match error {
        JsonPayloadError::OverflowKnownLength { limit, .. }
        | JsonPayloadError::Overflow { limit } => ApiError::PayloadTooLarge { limit }.into(),
        JsonPayloadError::ContentType => ApiError::UnsupportedMediaType.into(),
        JsonPayloadError::Payload(PayloadError::Io(error))
            if error.kind() == std::io::ErrorKind::TimedOut =>
        {
            ApiError::RequestTimeout.into()
        }
        // Valid JSON of the wrong shape (a missing field, a number for a string) can be fixed
        // by the client field by field: 422, as for values the handler refuses.
        JsonPayloadError::Deserialize(error) if error.is_data() => {
            ApiError::invalid(None, error).into()
        }
        other => ApiError::BadRequest {
            code: "malformed_json",
            message: other.to_string(),
        }
        .into(),
    }
}

/// Turns actix's plain-text query string errors into our JSON errors.
pub fn query_error(error: QueryPayloadError, _: &HttpRequest) -> actix_web::Error {
    ApiError::BadRequest {
        code: "invalid_query",
        message: error.to_string(),
    }
    .into()
}

/// Turns actix's plain-text path extractor errors into our JSON errors.
pub fn path_error(error: PathError, _: &HttpRequest) -> actix_web::Error {
    ApiError::BadRequest {
        code: "invalid_path",
        message: error.to_string(),
    }
    .into()
}

/// Replaces the body of any 500 that is not JSON yet (a failed extractor or a library error),
/// so clients never see plain text and no internal detail leaks.
pub fn internal_error_handlers<B: MessageBody + 'static>() -> ErrorHandlers<B> {
    ErrorHandlers::new().handler(StatusCode::INTERNAL_SERVER_ERROR, |response| {
        let is_json = response.response().headers().get(header::CONTENT_TYPE)
            == Some(&HeaderValue::from_static("application/json"));
        if is_json {
            return Ok(ErrorHandlerResponse::Response(
                response.map_into_left_body(),
            ));
        }
        let (request, _) = response.into_parts();
        let body = json_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "the service failed to handle this request",
            None,
        );
        Ok(ErrorHandlerResponse::Response(
            ServiceResponse::new(request, body).map_into_right_body(),
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::{App, test, web};

    #[actix_web::test]
    async fn a_plain_500_leaves_as_json_without_its_detail() {
        let app = test::init_service(App::new().wrap(internal_error_handlers()).route(
            "/",
            web::get().to(|| async {
                HttpResponse::InternalServerError().body("connection string: secret")
            }),
        ))
        .await;

        let response = test::call_service(&app, test::TestRequest::get().to_request()).await;

        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body: serde_json::Value = test::read_body_json(response).await;
        assert_eq!(body["error"], "internal_error");
        assert!(!body.to_string().contains("secret"));
    }
}
