//! Platform: the template maintains this file, and `cargo microservice upgrade` updates it.
//!
//! Connections, bounded where actix-http has no setting for it.
//!
//! actix-http keeps reading pipelined requests from a client that reads none of the responses,
//! and buffers those responses without limit: ten such clients took a 128 MiB container down
//! in seconds. So the service serves HTTP/1 through actix-server and actix-http's `H1Service`
//! itself, over a stream that stops reading from a client while it has responses unsent, closes
//! the connection when they still pile up past `MAX_UNSENT_BYTES` or go unread for
//! `REQUEST_TIMEOUT`, and counts the connection so that one past `MAX_CONNECTIONS` is answered
//! 503 at once instead of queueing.
//!
//! Nor does actix-http bound what it reads ahead of a request that is still being handled (one
//! waiting for the database, say): it queues every pipelined request in up to 128 KiB of input,
//! a few KiB of memory for each 40-byte request. So a connection reads nothing more while its
//! current request is being handled ([`Turn`]): what one read brought in is all it can queue.

use super::logging;
use super::request_id::RequestId;
use super::settings::Bounds;
use actix_http::error::PayloadError;
use actix_http::header::HeaderValue;
use actix_http::{
    BoxedPayloadStream, Extensions, HttpService, KeepAlive, Payload, Request, Response, Uri,
    body::MessageBody,
};
use actix_service::{
    IntoServiceFactory, Service, ServiceFactory, ServiceFactoryExt, apply_fn_factory, map_config,
};
use actix_web::dev::{AppConfig, Server, fn_factory, fn_service};
use actix_web::rt::net::TcpStream;
use actix_web::rt::time::{Sleep, sleep};
use actix_web::web::{Bytes, BytesMut};
use futures_core::Stream;
use socket2::{Domain, Socket, Type};
use std::cell::Cell;
use std::fmt;
use std::future::Future;
use std::io::{self, Write};
use std::net::{IpAddr, SocketAddr, TcpListener};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::task::{Context, Poll, Waker};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::watch;

/// Bytes read from one connection per turn of its dispatcher. actix-http reads until the socket
/// is empty (up to 128 KiB) before it parses, and every header it parses keeps that whole read
/// buffer alive in actix's request pools after the connection is gone: read this way, a pooled
/// request pins a few KiB instead of a whole stalled body. It also bounds what a pipelining
/// client gets queued ahead of the request being handled: the requests in one read, each
/// parsed into a few KiB of head (about 40 of them at this size: 250 KiB).
const READ_PER_TURN: usize = 2 * 1024;

/// Connections a worker may hold past `MAX_CONNECTIONS` while it answers them 503.
const REFUSAL_ROOM: usize = 64;

/// Binds `host:port` with a listen backlog of `backlog` connections.
pub fn listen(host: IpAddr, port: u16, backlog: u32) -> io::Result<TcpListener> {
    let address = SocketAddr::new(host, port);
    let socket = Socket::new(Domain::for_address(address), Type::STREAM, None)?;
    socket.set_reuse_address(true)?;
    socket.bind(&address.into())?;
    socket.listen(i32::try_from(backlog).unwrap_or(i32::MAX))?;
    Ok(socket.into())
}

/// The number of open connections on one listener, shared by its workers.
#[derive(Clone, Default)]
pub struct Connections(Arc<AtomicUsize>);

/// Counts one connection until it is dropped.
struct Open(Arc<AtomicUsize>);

impl Drop for Open {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Connections {
    pub fn open(&self) -> usize {
        self.0.load(Ordering::Relaxed)
    }

    /// Counts a new connection; returns its guard and the count including it.
    fn count(&self) -> (Open, usize) {
        let now_open = self.0.fetch_add(1, Ordering::Relaxed) + 1;
        (Open(Arc::clone(&self.0)), now_open)
    }
}

/// Tells every connection that the service is draining: from then on a response carries
/// `Connection: close`, a connection with no request under way (an idle keep-alive one) closes
/// at once, and one with a request half-received closes once it is answered.
#[derive(Clone, Default)]
pub struct Drain(Arc<DrainState>);

struct DrainState {
    /// Read by every response: a plain flag beside the channel that wakes the connections.
    started: AtomicBool,
    wake: watch::Sender<bool>,
}

impl Default for DrainState {
    fn default() -> Self {
        Self {
            started: AtomicBool::new(false),
            wake: watch::Sender::new(false),
        }
    }
}

impl Drain {
    pub fn start(&self) {
        self.0.started.store(true, Ordering::Relaxed);
        self.0.wake.send_replace(true);
    }

    pub fn has_started(&self) -> bool {
        self.0.started.load(Ordering::Relaxed)
    }

    /// Resolves once draining has started and the connection has no request under way.
    fn reached(&self, mid_request: Option<Rc<Cell<bool>>>) -> impl Future<Output = ()> + use<> {
        let mut draining = self.0.wake.subscribe();
        async move {
            let _ = draining.wait_for(|draining| *draining).await;
            if let Some(mid_request) = mid_request {
                // `Bounded` wakes the connection's task when the answer has gone out.
                std::future::poll_fn(|_| {
                    if mid_request.get() {
                        Poll::Pending
                    } else {
                        Poll::Ready(())
                    }
                })
                .await;
            }
        }
    }
}

thread_local! {
    /// The connection being opened, for the drain hook: actix-http calls the hook while it sets
    /// up the connection, inside `call`, on this thread.
    static OPENING: Cell<Option<Rc<Cell<bool>>>> = const { Cell::new(None) };
}

/// Whether a connection's current request is being handled: its head (and body, if it has one)
/// read, its response not yet ready. Shared by the connection's stream, which reads nothing while
/// it is, and the request's service, which begins and ends it.
#[derive(Clone, Default)]
pub struct Turn(Rc<TurnState>);

#[derive(Default)]
struct TurnState {
    handling: Cell<bool>,
    /// The connection's task, parked in a read while the request was being handled.
    parked: Cell<Option<Waker>>,
}

impl Turn {
    fn begin(&self) {
        self.0.handling.set(true);
    }

    fn end(&self) {
        self.0.handling.set(false);
        if let Some(reader) = self.0.parked.take() {
            reader.wake();
        }
    }

    /// Whether a read must wait; if so, the end of the turn wakes the reader.
    fn must_wait(&self, cx: &Context<'_>) -> bool {
        let handling = self.0.handling.get();
        if handling {
            self.0.parked.set(Some(cx.waker().clone()));
        }
        handling
    }
}

/// Ends the turn when the response is ready, or when the connection drops the request.
struct Handling(Turn);

impl Drop for Handling {
    fn drop(&mut self) {
        self.0.end();
    }
}

/// Calls `service` with the request's turn begun: at once for a request without a body, once
/// its body has been read otherwise (the stream must go on reading until then).
fn one_at_a_time<S: Service<Request>>(
    mut request: Request,
    service: &S,
) -> impl Future<Output = Result<S::Response, S::Error>> + use<S> {
    own_the_head(&mut request);
    let turn = request.conn_data::<Turn>().cloned();
    if let Some(turn) = &turn {
        match request.take_payload() {
            Payload::None => turn.begin(),
            payload => {
                let payload: BoxedPayloadStream = Box::pin(UntilEnd {
                    payload,
                    turn: Some(turn.clone()),
                });
                request = request.replace_payload(Payload::Stream { payload }).0;
            }
        }
    }
    let call = service.call(request);
    async move {
        let _handling = turn.map(Handling);
        call.await
    }
}

/// Gives the request's head bytes of its own. actix-http parses the target and the header
/// values as slices of the connection's read buffer, and the request pools of actix-http and
/// actix-web keep up to 128 heads per worker each, values and all, after the requests: every
/// pooled head would keep a whole read buffer (8 to 16 KiB) alive long after its connection,
/// several MiB after a burst. One small copy per request instead.
fn own_the_head(request: &mut Request) {
    let head = request.head_mut();
    let target = head
        .uri
        .path_and_query()
        .filter(|_| head.uri.scheme().is_none())
        .map(|target| target.as_str().as_bytes());
    let mut copy = BytesMut::with_capacity(
        target.map_or(0, <[u8]>::len)
            + head
                .headers
                .iter()
                .map(|(_, value)| value.len())
                .sum::<usize>(),
    );
    if let Some(target) = target {
        copy.extend_from_slice(target);
    }
    let target_len = copy.len();
    // The second walk visits the values in the order of the first: the map does not change.
    head.headers.retain(|_, value| {
        copy.extend_from_slice(value.as_bytes());
        true
    });
    let copy = copy.freeze();
    if target_len > 0
        && let Ok(uri) = Uri::from_maybe_shared(copy.slice(..target_len))
    {
        head.uri = uri;
    }
    let mut at = target_len;
    head.headers.retain(|_, value| {
        let end = at + value.len();
        if let Ok(owned) = HeaderValue::from_maybe_shared(copy.slice(at..end)) {
            *value = owned;
        }
        at = end;
        true
    });
}

/// A request's body, which begins the turn when it ends.
struct UntilEnd {
    payload: Payload,
    turn: Option<Turn>,
}

impl Stream for UntilEnd {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let next = Pin::new(&mut self.payload).poll_next(cx);
        if matches!(next, Poll::Ready(None | Some(Err(_))))
            && let Some(turn) = self.turn.take()
        {
            turn.begin();
        }
        next
    }
}

/// What one listener serves and how much of it.
pub struct Listener {
    pub listener: TcpListener,
    pub workers: usize,
    pub bounds: Bounds,
    pub connections: Connections,
    pub drain: Drain,
    pub shutdown_timeout: Duration,
}

/// Serves `app` (an actix-web `App` factory) over HTTP/1 on `listener`, within its bounds.
pub fn serve<F, I, S, B>(listener: Listener, app: F) -> io::Result<Server>
where
    F: Fn() -> I + Send + Clone + 'static,
    I: IntoServiceFactory<S, Request>,
    S: ServiceFactory<Request, Config = AppConfig> + 'static,
    S::Error: Into<actix_web::Error>,
    S::InitError: fmt::Debug,
    S::Response: Into<Response<B>>,
    B: MessageBody + 'static,
{
    let Listener {
        listener,
        workers,
        bounds,
        connections,
        drain,
        shutdown_timeout,
    } = listener;
    let local = listener.local_addr()?;
    // The total is counted across workers, and one past it is refused here; actix-server's own
    // per-worker cap stops accepting altogether (clients would then wait in the backlog), so it
    // leaves room above the total to answer the excess with a 503.
    let per_worker = bounds.max_connections + REFUSAL_ROOM;
    let factory = move || {
        let bounds = bounds.clone();
        let connections = connections.clone();
        let drain = drain.clone();
        let keep_alive = if bounds.keep_alive_timeout.is_zero() {
            KeepAlive::Disabled
        } else {
            KeepAlive::Timeout(bounds.keep_alive_timeout)
        };
        let h1 = HttpService::build()
            .on_connect_ext(|io: &Bounded<TcpStream>, data: &mut Extensions| {
                data.insert(io.turn.clone());
            })
            .keep_alive(keep_alive)
            .client_request_timeout(bounds.request_timeout)
            // The hook actix-web's own HttpServer drains with; it is hidden from the docs only
            // because HttpServer wires it up for its users.
            .graceful_shutdown_signal({
                let drain = drain.clone();
                move || drain.reached(OPENING.take())
            })
            .local_addr(local)
            .h1(apply_fn_factory(
                map_config(
                    app()
                        .into_factory()
                        .map_err(|error| error.into().error_response()),
                    move |_| AppConfig::default(),
                ),
                one_at_a_time,
            ));
        fn_factory(move || {
            let h1 = h1.new_service(());
            let bounds = bounds.clone();
            let connections = connections.clone();
            let drain = drain.clone();
            async move {
                let h1 = Rc::new(h1.await?);
                Ok::<_, ()>(fn_service(move |io: TcpStream| {
                    let h1 = Rc::clone(&h1);
                    let bounds = bounds.clone();
                    let drain = drain.clone();
                    let (open, now_open) = connections.count();
                    async move {
                        let peer = io.peer_addr().ok();
                        if now_open > bounds.max_connections {
                            refuse(io);
                            return Ok(());
                        }
                        let mid_request = Rc::new(Cell::new(false));
                        let stream =
                            Bounded::new(io, open, &bounds, Rc::clone(&mid_request), drain);
                        OPENING.set(Some(mid_request));
                        let connection = h1.call((stream, peer));
                        OPENING.set(None);
                        if let Err(error) = connection.await {
                            logging::client_error(peer, &error);
                        }
                        Ok::<_, ()>(())
                    }
                }))
            }
        })
    };
    Ok(Server::build()
        .workers(workers)
        .max_concurrent_connections(per_worker)
        .shutdown_timeout(shutdown_timeout.as_secs())
        // Signals are handled by `shutdown`, which ends the drain as soon as it can.
        .disable_signals()
        .listen("http", listener, factory)?
        .run())
}

/// Answers a connection past `MAX_CONNECTIONS` without reading it, and closes it. Unread, the
/// request's own id is unknown, so the answer carries a new one, as every response does.
fn refuse(io: TcpStream) {
    let request_id = RequestId::generate();
    let body = format!(
        r#"{}"error":"too_many_connections","message":"the service is at MAX_CONNECTIONS; retry later","request_id":"{request_id}"{}"#,
        '{', '}'
    );
    let answer = format!(
        "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nConnection: close\r\n\
         X-Request-Id: {request_id}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    );
    // Written directly: the runtime has not seen the socket writable yet, and the answer fits
    // any socket's empty send buffer.
    if let Ok(mut io) = io.into_std() {
        let _ = io.write_all(answer.as_bytes());
        let _ = io.shutdown(std::net::Shutdown::Write);
    }
}

/// A connection's stream: reading waits while a request is being handled or responses are
/// unsent, and too many unsent responses, or responses left unread for too long, close it.
pub struct Bounded<S> {
    io: S,
    turn: Turn,
    read_this_turn: usize,
    wrote_this_turn: bool,
    /// Bytes have come in that no response has gone out for yet.
    mid_request: Rc<Cell<bool>>,
    drain: Drain,
    max_unsent: usize,
    unread_timeout: Duration,
    unsent: Option<Unsent>,
    _open: Open,
}

/// The client's socket refused more bytes: how many were waiting then, and until when it may.
struct Unsent {
    bytes: usize,
    deadline: Pin<Box<Sleep>>,
}

impl<S> Bounded<S> {
    fn new(io: S, open: Open, bounds: &Bounds, mid_request: Rc<Cell<bool>>, drain: Drain) -> Self {
        Self {
            io,
            turn: Turn::default(),
            read_this_turn: 0,
            wrote_this_turn: false,
            mid_request,
            drain,
            max_unsent: bounds.max_unsent_bytes,
            unread_timeout: bounds.request_timeout,
            unsent: None,
            _open: open,
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Bounded<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.turn.must_wait(cx) {
            // Pipelined requests wait in the socket, not in actix's queue.
            return Poll::Pending;
        }
        if this.unsent.is_some() {
            // No more requests from a client that is not reading its responses; the flush that
            // empties them wakes this task to read again.
            return Poll::Pending;
        }
        let room = READ_PER_TURN - this.read_this_turn;
        if room == 0 {
            // The rest waits for the next turn, which this wakes up right away.
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        let filled = buf.filled().len();
        let read = if buf.remaining() <= room {
            Pin::new(&mut this.io).poll_read(cx, buf)
        } else {
            // The window over `buf`'s unfilled bytes is left uninitialized, as tokio's own
            // `Take` leaves it: zeroing it first cost two 2 KiB memsets a request.
            let mut limited = buf.take(room);
            let start = limited.filled().as_ptr();
            let read = Pin::new(&mut this.io).poll_read(cx, &mut limited);
            // Still the same memory: a reader cannot swap another buffer in (tokio's `Take`
            // checks it too).
            assert_eq!(limited.filled().as_ptr(), start);
            let n = limited.filled().len();
            // SAFETY: `limited` is the start of `buf`'s unfilled part, and the read filled, so
            // initialized, its first `n` bytes.
            unsafe { buf.assume_init(n) };
            buf.advance(n);
            read
        };
        let n = buf.filled().len() - filled;
        this.read_this_turn += n;
        if n > 0 {
            this.mid_request.set(true);
        }
        read
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Bounded<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        // actix-http hands over everything it has not sent yet, so `buf` is the whole backlog.
        if let Some(unsent) = &mut this.unsent {
            if buf.len() > unsent.bytes && buf.len() > this.max_unsent {
                return Poll::Ready(Err(io::Error::other(format!(
                    "closed: more than {} bytes of responses left unread (MAX_UNSENT_BYTES)",
                    this.max_unsent
                ))));
            }
            if unsent.deadline.as_mut().poll(cx).is_ready() {
                return Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!(
                        "closed: responses left unread for {} s (REQUEST_TIMEOUT)",
                        this.unread_timeout.as_secs()
                    ),
                )));
            }
        }
        let written = Pin::new(&mut this.io).poll_write(cx, buf);
        if let Poll::Ready(Ok(1..)) = written {
            this.wrote_this_turn = true;
        }
        if written.is_pending() {
            match &mut this.unsent {
                Some(unsent) => unsent.bytes = buf.len(),
                None => {
                    let mut deadline = Box::pin(sleep(this.unread_timeout));
                    // Registers the timer, so the deadline wakes this task even if the client
                    // never reads again.
                    let _ = deadline.as_mut().poll(cx);
                    this.unsent = Some(Unsent {
                        bytes: buf.len(),
                        deadline,
                    });
                }
            }
        }
        written
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        // actix-http flushes only once every byte it had is handed to the socket, at the end of
        // each turn.
        this.read_this_turn = 0;
        let answered = std::mem::take(&mut this.wrote_this_turn) && this.mid_request.replace(false);
        // Once draining, an answered connection is re-polled so the drain can close it.
        if this.unsent.take().is_some() || answered && this.drain.has_started() {
            cx.waker().wake_by_ref();
        }
        Pin::new(&mut this.io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }
}
