//! Graceful shutdown that ends when the last connection closes, not on the next poll.
//!
//! Actix-web's own graceful stop checks its open connections once a second, so a SIGTERM that
//! lands while any request is in flight keeps the process up for a whole extra second. Here the
//! service counts its connections itself, stops accepting on SIGTERM or SIGINT, and hands the
//! stop to actix-web the moment the count reaches zero (or forces it after `SHUTDOWN_TIMEOUT`).

use actix_web::dev::{Extensions, ServerHandle};
use actix_web::rt::signal::unix::{SignalKind, signal};
use actix_web::rt::time::sleep;
use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// How often the drain looks at the connection count.
const DRAIN_POLL: Duration = Duration::from_millis(5);

/// The number of open client connections, shared by every worker.
#[derive(Clone, Default)]
pub struct Connections(Arc<AtomicUsize>);

/// Held in a connection's extensions: counts the connection until actix-web drops it.
struct Open(Arc<AtomicUsize>);

impl Drop for Open {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Connections {
    /// Counts a new connection; pass it to `HttpServer::on_connect`.
    pub fn track(&self, extensions: &mut Extensions) {
        self.0.fetch_add(1, Ordering::Relaxed);
        extensions.insert(Open(Arc::clone(&self.0)));
    }

    fn open(&self) -> usize {
        self.0.load(Ordering::Relaxed)
    }
}

/// Waits for SIGTERM or SIGINT, stops accepting, waits for open connections to finish (at most
/// `timeout`), then stops the server: gracefully when they did, forcibly when they did not.
///
/// The handlers are installed before this returns its future, so a signal that arrives while
/// the server starts is not lost.
pub fn on_signal(
    server: ServerHandle,
    connections: Connections,
    timeout: Duration,
) -> io::Result<impl Future<Output = ()>> {
    let mut terminate = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    Ok(async move {
        let name = std::future::poll_fn(|cx| {
            if terminate.poll_recv(cx).is_ready() {
                std::task::Poll::Ready("SIGTERM")
            } else if interrupt.poll_recv(cx).is_ready() {
                std::task::Poll::Ready("SIGINT")
            } else {
                std::task::Poll::Pending
            }
        })
        .await;
        server.pause().await;
        log::info!(
            "{name} received: no longer accepting; open connections: {}",
            connections.open()
        );
        let deadline = Instant::now() + timeout;
        while connections.open() > 0 && Instant::now() < deadline {
            sleep(DRAIN_POLL).await;
        }
        let left = connections.open();
        if left > 0 {
            log::warn!(
                "SHUTDOWN_TIMEOUT ({}s) reached; closing the connections still open: {left}",
                timeout.as_secs()
            );
        }
        server.stop(left == 0).await;
    })
}
