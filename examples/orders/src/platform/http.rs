//! Platform: the template maintains this file, and `cargo microservice upgrade` updates it.
//!
//! What every service answers whatever its resources: the probes, `/metrics`, JSON for a path
//! no route matches and for a method a path does not take, and the bounds every request on the
//! main listener is held to. The resources' routes are the team's: `src/routes.rs`.

use super::connection::Drain;
use super::error::ApiError;
use crate::store::Store;
use actix_http::ConnectionType;
use actix_web::dev::{Payload, Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use actix_web::error::PayloadError;
use actix_web::http::header;
use actix_web::rt::time::{Sleep, sleep};
use actix_web::web::Bytes;
use actix_web::{Error, HttpMessage, HttpResponse, web};
use futures_core::Stream;
use serde::Serialize;
use std::future::{Future, Ready};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;
use utoipa::ToSchema;

/// The longest request target accepted; a longer one is answered 414.
pub const MAX_TARGET_BYTES: usize = 8 * 1024;

/// Registers the admin listener's routes: the probes, and the metrics, which only monitoring
/// reads (a flood of the main port cannot blind it, and clients never see them).
pub fn configure_admin(cfg: &mut web::ServiceConfig) {
    cfg.configure(configure_probes).service(
        web::resource("/metrics")
            .route(web::get().to(super::metrics::serve))
            .default_service(web::to(|| method_not_allowed("GET"))),
    );
}

/// Compiled in only with the `panic-route` feature, for the test that proves the panic hook
/// writes every buffered log line, and the panic, before `panic = "abort"` ends the process.
#[cfg(feature = "panic-route")]
async fn panic_on_purpose() -> HttpResponse {
    panic!("panic requested through GET /panic")
}

/// Registers the platform's routes on the main listener, beside the resources': the probes, the
/// OpenAPI document and, with the `panic-route` feature, the route that panics on purpose.
pub fn configure(cfg: &mut web::ServiceConfig) {
    configure_probes(cfg);
    cfg.service(
        web::resource("/openapi.json")
            .route(web::get().to(super::openapi::serve))
            .route(web::head().to(super::openapi::serve))
            .default_service(web::to(|| method_not_allowed("GET, HEAD"))),
    );
    #[cfg(feature = "panic-route")]
    cfg.route("/panic", web::get().to(panic_on_purpose));
}

/// Registers the probes: the admin listener serves these, and the main listener serves them too
/// for load balancers that check the port they send traffic to.
fn configure_probes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/health")
            .route(web::get().to(health))
            .route(web::head().to(health))
            .default_service(web::to(|| method_not_allowed("GET, HEAD"))),
    )
    .service(
        web::resource("/ready")
            .route(web::get().to(ready))
            .route(web::head().to(ready))
            .default_service(web::to(|| method_not_allowed("GET, HEAD"))),
    );
}

/// The bounds every request on the main listener is held to: an over-long target is refused
/// (414), a body, when there is one, gets `request_timeout` to arrive (actix-http's own timer
/// covers only the head), and once the service drains the connection closes after the response.
///
/// Written out as a middleware rather than with `middleware::from_fn`, whose boxed `Next` and
/// boxed future came on top of this work: taking that layer out, work and all, saved 433
/// instructions a request; this one, with template 0.6.2's other change, 331 against it
/// (`bench/profile.sh`, bench/RESULTS.md).
#[derive(Clone)]
pub struct RequestBounds {
    pub request_timeout: Duration,
    pub drain: Drain,
}

impl<S, B> Transform<S, ServiceRequest> for RequestBounds
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Transform = RequestBoundsService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, ()>>;

    fn new_transform(&self, service: S) -> Self::Future {
        std::future::ready(Ok(RequestBoundsService {
            service,
            bounds: Rc::new(self.clone()),
        }))
    }
}

pub struct RequestBoundsService<S> {
    service: S,
    bounds: Rc<RequestBounds>,
}

impl<S, B> Service<ServiceRequest> for RequestBoundsService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Future = WithinBounds<S::Future>;

    forward_ready!(service);

    fn call(&self, mut request: ServiceRequest) -> Self::Future {
        let target = request
            .uri()
            .path_and_query()
            .map_or(0, |target| target.as_str().len());
        if target > MAX_TARGET_BYTES {
            return WithinBounds::Refused {
                error: Some(
                    ApiError::UriTooLong {
                        limit: MAX_TARGET_BYTES,
                    }
                    .into(),
                ),
            };
        }
        let headers = request.headers();
        if headers.contains_key(header::CONTENT_LENGTH)
            || headers.contains_key(header::TRANSFER_ENCODING)
        {
            let body = request.take_payload();
            request.set_payload(Payload::Stream {
                payload: Box::pin(BodyDeadline {
                    body,
                    deadline: Box::pin(sleep(self.bounds.request_timeout)),
                }),
            });
        }
        WithinBounds::Handled {
            inner: self.service.call(request),
            bounds: Rc::clone(&self.bounds),
        }
    }
}

pin_project_lite::pin_project! {
    /// A request refused at once, or handled within the bounds.
    #[project = WithinBoundsProjection]
    pub enum WithinBounds<F> {
        Refused { error: Option<Error> },
        Handled {
            #[pin]
            inner: F,
            bounds: Rc<RequestBounds>,
        },
    }
}

impl<F, B> Future for WithinBounds<F>
where
    F: Future<Output = Result<ServiceResponse<B>, Error>>,
{
    type Output = Result<ServiceResponse<B>, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project() {
            WithinBoundsProjection::Refused { error } => {
                Poll::Ready(Err(error.take().expect("a refusal is polled once")))
            }
            WithinBoundsProjection::Handled { inner, bounds } => {
                let mut response = std::task::ready!(inner.poll(cx))?;
                if bounds.drain.has_started() {
                    response
                        .response_mut()
                        .head_mut()
                        .set_connection_type(ConnectionType::Close);
                }
                Poll::Ready(Ok(response))
            }
        }
    }
}

/// A request body that fails with `TimedOut` once its deadline passes.
struct BodyDeadline {
    body: Payload,
    deadline: Pin<Box<Sleep>>,
}

impl Stream for BodyDeadline {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if let Poll::Ready(chunk) = Pin::new(&mut this.body).poll_next(cx) {
            return Poll::Ready(chunk);
        }
        match this.deadline.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Some(Err(PayloadError::Io(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "the request body did not arrive within REQUEST_TIMEOUT",
            ))))),
            Poll::Pending => Poll::Pending,
        }
    }
}

/// The process is up.
#[derive(Serialize, ToSchema)]
pub struct Health {
    #[schema(example = "healthy")]
    status: &'static str,
    /// The service's version (its Cargo.toml).
    version: &'static str,
}

/// Whether the service can serve now.
#[derive(Serialize, ToSchema)]
pub struct Readiness {
    /// `ready`, or `not_ready`.
    #[schema(example = "ready")]
    status: &'static str,
    /// Why not, for programs (`database_unavailable`), when not ready.
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'static str>,
    /// Why not, for people, when not ready.
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
}

/// Liveness: the process is up and serving. It never asks the database, so an outage of the
/// database does not get the service restarted.
#[utoipa::path(
    get,
    path = "/health",
    tag = "probes",
    operation_id = "health",
    summary = "Liveness: the process is up",
    responses((status = 200, description = "The process is up", body = Health))
)]
async fn health() -> HttpResponse {
    HttpResponse::Ok().json(Health {
        status: "healthy",
        version: env!("CARGO_PKG_VERSION"),
    })
}

/// Readiness: 200 when the store can serve (with PostgreSQL: the database answers `SELECT 1`),
/// 503 with the reason while it cannot.
#[utoipa::path(
    get,
    path = "/ready",
    tag = "probes",
    operation_id = "ready",
    summary = "Readiness: whether the service can serve now",
    responses(
        (status = 200, description = "The service can serve", body = Readiness),
        (status = 503, description = "The service cannot serve now; `reason` says why", body = Readiness),
    )
)]
async fn ready(store: web::Data<Store>) -> HttpResponse {
    match store.ready().await {
        Ok(()) => HttpResponse::Ok().json(Readiness {
            status: "ready",
            error: None,
            reason: None,
        }),
        Err(error) => HttpResponse::ServiceUnavailable().json(Readiness {
            status: "not_ready",
            error: Some(error.code()),
            reason: Some(error.reason()),
        }),
    }
}

/// Answers a method the path does not take: 405, with `Allow`.
pub async fn method_not_allowed(allow: &'static str) -> Result<HttpResponse, ApiError> {
    Err(ApiError::MethodNotAllowed { allow })
}

/// The fallback for every path no route matches.
pub async fn not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotFound)
}
