//! Logs go to stderr in batches. Under a 0.5 CPU limit one write per access-log line costs about
//! as much CPU as serving the request; batching keeps the access log on at a fraction of that.
//! Lines reach stderr within 100 ms, at once when 64 KiB are waiting, and at shutdown.
//!
//! Clients decide how often protocol errors happen (a flood of TLS hellos is one per
//! connection), so those are logged at warn with the peer's address, at most
//! `CLIENT_ERRORS_PER_WINDOW` per window, then one line counting the rest.

use actix_web::dev::ServiceRequest;
use actix_web::middleware::Logger;
use std::fmt::{self, Display};
use std::io::{self, Write};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

const FLUSH_EVERY: Duration = Duration::from_millis(100);
const FLUSH_AT_BYTES: usize = 64 * 1024;
const CLIENT_ERRORS_PER_WINDOW: u32 = 20;
const CLIENT_ERROR_WINDOW: Duration = Duration::from_secs(10);

static PENDING: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();

/// Starts the logger: `RUST_LOG` when set, `info` otherwise.
pub fn init() {
    let pending = PENDING.get_or_init(|| Arc::new(Mutex::new(Vec::with_capacity(FLUSH_AT_BYTES))));
    let logger = env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info"))
        .target(env_logger::Target::Pipe(Box::new(Batched(Arc::clone(pending)))))
        .build();
    log::set_max_level(logger.filter());
    // Only fails when a logger is set already, and then that one keeps logging.
    let _ = log::set_boxed_logger(Box::new(WithoutDispatcherErrors(logger)));
    std::thread::spawn(|| {
        loop {
            std::thread::sleep(FLUSH_EVERY);
            client_errors().summarise_if_due(Instant::now());
            write_pending();
        }
    });
}

/// actix-http logs each client's protocol error at error level, without the client's address
/// and without a limit; `connection` logs the same errors itself through `client_error`.
struct WithoutDispatcherErrors(env_logger::Logger);

impl log::Log for WithoutDispatcherErrors {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        self.0.enabled(metadata)
    }

    fn log(&self, record: &log::Record<'_>) {
        let from_dispatcher = record.target().starts_with("actix_http::h1::dispatcher");
        if !(from_dispatcher && record.level() <= log::Level::Warn) {
            self.0.log(record);
        }
    }

    fn flush(&self) {
        self.0.flush();
    }
}

/// The access log: peer, request line (quotes escaped, so a line cannot be forged), status,
/// bytes, time.
pub fn access_log() -> Logger {
    Logger::new(r#"%a "%{request}xi" %s %b %Dms"#)
        .custom_request_replace("request", |request: &ServiceRequest| {
            EscapedRequestLine(request).to_string()
        })
}

struct EscapedRequestLine<'a>(&'a ServiceRequest);

impl Display for EscapedRequestLine<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ", self.0.method())?;
        let target = self.0.uri().path_and_query().map_or("/", |target| target.as_str());
        let mut plain = 0;
        for (at, c) in target.char_indices() {
            let escaped = match c {
                '"' => "\\\"",
                '\\' => "\\\\",
                _ => continue,
            };
            f.write_str(&target[plain..at])?;
            f.write_str(escaped)?;
            plain = at + 1;
        }
        f.write_str(&target[plain..])?;
        write!(f, " {:?}", self.0.version())
    }
}

/// Logs a client's protocol error (a malformed request, a timeout, a bound it crossed) at warn
/// with its address, within the rate limit; resets and broken pipes are ordinary and go to debug.
pub fn client_error(peer: Option<SocketAddr>, error: &dyn Display) {
    let peer = peer.map_or_else(|| "unknown peer".to_owned(), |peer| peer.to_string());
    let text = error.to_string();
    if ["reset by peer", "Broken pipe", "early eof"]
        .iter()
        .any(|ordinary| text.contains(ordinary))
    {
        log::debug!("{peer}: {text}");
        return;
    }
    if client_errors().admit(Instant::now()) {
        log::warn!("client {peer}: {text}");
    }
}

/// Client errors logged and held back in the current window.
struct ClientErrors {
    window_start: Instant,
    logged: u32,
    held_back: u64,
}

fn client_errors() -> MutexGuard<'static, ClientErrors> {
    static CLIENT_ERRORS: OnceLock<Mutex<ClientErrors>> = OnceLock::new();
    CLIENT_ERRORS
        .get_or_init(|| {
            Mutex::new(ClientErrors {
                window_start: Instant::now(),
                logged: 0,
                held_back: 0,
            })
        })
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl ClientErrors {
    fn admit(&mut self, now: Instant) -> bool {
        self.summarise_if_due(now);
        if self.logged < CLIENT_ERRORS_PER_WINDOW {
            self.logged += 1;
            true
        } else {
            self.held_back += 1;
            false
        }
    }

    fn summarise_if_due(&mut self, now: Instant) {
        if now.duration_since(self.window_start) >= CLIENT_ERROR_WINDOW {
            self.summarise(now);
        }
    }

    fn summarise(&mut self, now: Instant) {
        if self.held_back > 0 {
            log::warn!(
                "{} more client protocol errors in the last {:.0} s were not logged",
                self.held_back,
                now.duration_since(self.window_start).as_secs_f64()
            );
        }
        *self = Self {
            window_start: now,
            logged: 0,
            held_back: 0,
        };
    }
}

/// Writes out what is waiting, with the count of client errors held back; call it before the
/// process exits.
pub fn flush() {
    client_errors().summarise(Instant::now());
    write_pending();
}

fn write_pending() {
    if let Some(pending) = PENDING.get() {
        write_out(&mut lock(pending));
    }
}

struct Batched(Arc<Mutex<Vec<u8>>>);

impl Write for Batched {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        let mut pending = lock(&self.0);
        pending.extend_from_slice(bytes);
        if pending.len() >= FLUSH_AT_BYTES {
            write_out(&mut pending);
        }
        Ok(bytes.len())
    }

    /// The logger flushes after every line; the batch is written on its own schedule instead.
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn lock(pending: &Mutex<Vec<u8>>) -> MutexGuard<'_, Vec<u8>> {
    pending.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn write_out(pending: &mut Vec<u8>) {
    if !pending.is_empty() {
        // Nowhere to report a failed write to stderr; the batch is dropped either way.
        let _ = io::stderr().lock().write_all(pending);
        pending.clear();
    }
}
