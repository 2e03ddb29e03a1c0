//! Platform: the template maintains this file, and `cargo microservice upgrade` updates it.
//!
//! Graceful shutdown that ends when the last connection closes, not on the next poll.
//!
//! Actix-web's own graceful stop checks its open connections once a second, so a SIGTERM that
//! lands while any request is in flight keeps the process up for a whole extra second. Here the
//! service counts its connections itself, stops accepting on SIGTERM or SIGINT, tells every
//! connection to drain (idle keep-alive connections close at once, the request in progress is
//! answered with `Connection: close`), and hands the stop to actix-web the moment the count
//! reaches zero (or forces it after `SHUTDOWN_TIMEOUT`). The admin listener answers probes
//! until then.

use super::connection::{Connections, Drain};
use actix_web::dev::ServerHandle;
use actix_web::rt::signal::unix::{SignalKind, signal};
use actix_web::rt::time::sleep;
use std::io;
use std::time::{Duration, Instant};

/// How often the drain looks at the connection count.
const DRAIN_POLL: Duration = Duration::from_millis(5);

/// Waits for SIGTERM or SIGINT, stops accepting on the main listener, drains its connections
/// (at most `timeout`), then stops both servers: gracefully when the connections finished,
/// forcibly when they did not.
///
/// The handlers are installed before this returns its future, so a signal that arrives while
/// the server starts is not lost.
pub fn on_signal(
    [server, admin]: [ServerHandle; 2],
    connections: Connections,
    drain: Drain,
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
        drain.start();
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
        admin.stop(false).await;
    })
}
