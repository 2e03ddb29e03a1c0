//! Platform: the template maintains this file, and `cargo microservice upgrade` updates it.
//!
//! The one middleware that sees every request whole: it gives the request its id (and the
//! response its `X-Request-Id`), makes id and trace id current while the request runs, counts
//! it in the metrics and writes its access-log line. One middleware rather than three, because
//! each layer costs an allocation and a poll on every request.

use super::log_format::Access;
use super::logging;
use super::metrics::{InFlight, Metrics, UNMATCHED_ROUTE};
use super::request_id::{self, RequestContext, X_REQUEST_ID};
use actix_web::body::{BodySize, MessageBody};
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use actix_web::http::header::HeaderValue;
use actix_web::http::{Method, StatusCode};
use actix_web::{Error, HttpResponse, ResponseError};
use std::fmt;
use std::future::{Future, Ready, ready};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

/// Routes whose requests are counted but not written to the access log: probes come every
/// few seconds and would drown it.
const UNLOGGED_ROUTES: [&str; 2] = ["/health", "/ready"];

/// `App::wrap` it outermost, so that it sees the final response of every request.
#[derive(Clone, Default)]
pub struct Telemetry {
    metrics: Option<Arc<Metrics>>,
    access_log: bool,
}

impl Telemetry {
    /// Request ids, metrics and the access log: for the listener that serves clients.
    pub fn new(metrics: Arc<Metrics>) -> Self {
        Self {
            metrics: Some(metrics),
            access_log: true,
        }
    }

    /// Request ids only: for the admin listener, whose probes and scrapes are not traffic.
    pub fn request_ids_only() -> Self {
        Self::default()
    }
}

impl Telemetry {
    fn record(
        &self,
        method: &Method,
        route: &str,
        path: Option<&str>,
        status: StatusCode,
        bytes: Option<u64>,
        elapsed: Duration,
    ) {
        if let Some(metrics) = &self.metrics {
            metrics.observe(method, route, status, elapsed);
        }
        if self.access_log && !UNLOGGED_ROUTES.contains(&route) {
            logging::access(&Access {
                method: method.as_str(),
                route,
                path,
                status: status.as_u16(),
                bytes,
                duration: elapsed,
            });
        }
    }
}

fn header_value(context: &RequestContext) -> HeaderValue {
    HeaderValue::from_bytes(context.request_id.as_bytes()).expect("request ids are header-safe")
}

/// An error inner middleware returned: actix-web turns it into a response after this
/// middleware is done, so the error carries the request's context to that point.
struct Identified {
    error: Error,
    context: RequestContext,
}

impl fmt::Debug for Identified {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.error, f)
    }
}

impl fmt::Display for Identified {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.error, f)
    }
}

impl ResponseError for Identified {
    fn status_code(&self) -> StatusCode {
        self.error.as_response_error().status_code()
    }

    fn error_response(&self) -> HttpResponse {
        let _entered = request_id::enter(self.context);
        let mut response = self.error.error_response();
        response
            .headers_mut()
            .insert(X_REQUEST_ID, header_value(&self.context));
        response
    }
}

impl<S, B> Transform<S, ServiceRequest> for Telemetry
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Transform = TelemetryService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, ()>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(TelemetryService {
            service,
            settings: Rc::new(self.clone()),
        }))
    }
}

pub struct TelemetryService<S> {
    service: S,
    settings: Rc<Telemetry>,
}

impl<S, B> Service<ServiceRequest> for TelemetryService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Future = Observed<S::Future>;

    forward_ready!(service);

    fn call(&self, request: ServiceRequest) -> Self::Future {
        let started = Instant::now();
        let context = RequestContext::from_headers(request.headers());
        let in_flight = self.settings.metrics.as_ref().map(|m| m.track_in_flight());
        // For the rare error that inner middleware returns instead of a response: by then the
        // request is gone.
        let method = request.method().clone();
        let inner = {
            let _entered = request_id::enter(context);
            self.service.call(request)
        };
        Observed {
            inner,
            context,
            started,
            method,
            settings: Rc::clone(&self.settings),
            _in_flight: in_flight,
        }
    }
}

pin_project_lite::pin_project! {
    pub struct Observed<F> {
        #[pin]
        inner: F,
        context: RequestContext,
        started: Instant,
        method: Method,
        settings: Rc<Telemetry>,
        _in_flight: Option<InFlight>,
    }
}

impl<F, B> Future for Observed<F>
where
    F: Future<Output = Result<ServiceResponse<B>, Error>>,
    B: MessageBody + 'static,
{
    type Output = Result<ServiceResponse<B>, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let _entered = request_id::enter(*this.context);
        let mut response = match this.inner.poll(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(Ok(response)) => response,
            Poll::Ready(Err(error)) => {
                let status = error.as_response_error().status_code();
                // No path: errors at this level are about the request itself (a target too
                // long to serve, say), and a client's 8 KiB target has no place in the log.
                this.settings.record(
                    this.method,
                    UNMATCHED_ROUTE,
                    None,
                    status,
                    None,
                    this.started.elapsed(),
                );
                return Poll::Ready(Err(Identified {
                    error,
                    context: *this.context,
                }
                .into()));
            }
        };
        let elapsed = this.started.elapsed();
        response
            .headers_mut()
            .insert(X_REQUEST_ID, header_value(this.context));
        let request = response.request();
        let route = request.match_pattern();
        let bytes = match response.response().body().size() {
            BodySize::None => Some(0),
            BodySize::Sized(bytes) => Some(bytes),
            BodySize::Stream => None,
        };
        this.settings.record(
            request.method(),
            route.as_deref().unwrap_or(UNMATCHED_ROUTE),
            Some(request.path()),
            response.status(),
            bytes,
            elapsed,
        );
        Poll::Ready(Ok(response))
    }
}
