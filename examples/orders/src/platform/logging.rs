//! Platform: the template maintains this file, and `cargo microservice upgrade` updates it.
//!
//! Logs go to stderr in batches, written by a thread of their own. Under a 0.5 CPU limit one
//! write per access-log line costs about as much CPU as serving the request, and a worker that
//! writes a batch itself stops serving whenever the reader of stderr (Docker's log driver, the
//! kubelet's) is slow to drain the pipe: measured, that cost a quarter of the throughput.
//! Lines reach stderr within 100 ms, sooner when 64 KiB are waiting, at shutdown, and when the
//! process panics: `panic = "abort"` would otherwise end it with the batch unwritten. Past
//! 256 KiB waiting, loggers wait for the writer: memory stays bounded, and so does what is left
//! to write when the service stops (with 1 MiB, a stop under load took a second longer).
//!
//! Clients decide how often protocol errors happen (a flood of TLS hellos is one per
//! connection), so those are logged at warn with the peer's address, at most
//! `CLIENT_ERRORS_PER_WINDOW` per window, then one line counting the rest.

use super::log_format::{ACCESS_MESSAGE, ACCESS_TARGET, Access, LogFormat};
use std::cell::RefCell;
use std::fmt::Display;
use std::io::{self, Write};
use std::net::SocketAddr;
use std::sync::{Condvar, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant, SystemTime};

const FLUSH_EVERY: Duration = Duration::from_millis(100);
const FLUSH_AT_BYTES: usize = 64 * 1024;
const MAX_PENDING_BYTES: usize = 256 * 1024;
const CLIENT_ERRORS_PER_WINDOW: u32 = 20;
const CLIENT_ERROR_WINDOW: Duration = Duration::from_secs(10);

/// The logger `init` set.
static LOGGER: OnceLock<WithoutDispatcherErrors> = OnceLock::new();
/// Set when `init`'s logger is the one logging: the format `access` writes its lines in
/// straight, or `None` when `RUST_LOG` filters them out (asked once: the filter is fixed at
/// `init`).
static ACCESS: OnceLock<Option<LogFormat>> = OnceLock::new();

static BATCH: Batch = Batch {
    pending: Mutex::new(Vec::new()),
    filled: Condvar::new(),
    drained: Condvar::new(),
    stderr: Mutex::new(()),
};

thread_local! {
    /// Each thread formats its lines here, so a line costs no allocation.
    static LINE: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Starts the logger in `format`: `RUST_LOG` when set, `info` otherwise. From here on a panic
/// is logged as a line in that format, after everything logged before it.
pub fn init(format: LogFormat) {
    let logger =
        env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info"))
            .format(move |out, record| {
                with_line(|line| {
                    format.write(line, SystemTime::now(), record);
                    out.write_all(line)
                })
            })
            .target(env_logger::Target::Pipe(Box::new(Batched)))
            .build();
    log::set_max_level(logger.filter());
    // The first logger set keeps logging, in the first format; `access` writes straight into
    // the batch only when that logger is this one.
    if LOGGER.set(WithoutDispatcherErrors(logger)).is_ok() {
        let logger = LOGGER.get().expect("just set");
        if log::set_logger(logger).is_ok() {
            let access_on = logger.0.matches(
                &log::Record::builder()
                    .level(log::Level::Info)
                    .target(ACCESS_TARGET)
                    .args(format_args!("{ACCESS_MESSAGE}"))
                    .build(),
            );
            let _ = ACCESS.set(access_on.then_some(format));
        }
    }
    std::panic::set_hook(Box::new(log_panic));
    std::thread::spawn(|| {
        let mut batch = Vec::with_capacity(FLUSH_AT_BYTES);
        loop {
            // Before the batch is locked: the summary is a log line of its own.
            client_errors().summarise_if_due(Instant::now());
            let pending = lock(&BATCH.pending);
            let (pending, _) = BATCH
                .filled
                .wait_timeout_while(pending, FLUSH_EVERY, |pending| {
                    pending.len() < FLUSH_AT_BYTES
                })
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            BATCH.write_out(pending, &mut batch);
        }
    });
}

/// Writes one request's access-log line, when `RUST_LOG` lets `access` lines through: the line
/// `log::info!(target: "access", method, route, path, status, bytes, duration_ms; "request")`
/// gives, without the log crate's key-value visitors, env_logger's own buffer and its pipe's
/// lock (the filter still applies: `init` asks it once). Measured with `bench/profile.sh`
/// (bench/RESULTS.md, 2026-12-07): `GET /users/{id}` took 34,062 instructions a request through
/// `log::info!`, 33,129 this way.
pub fn access(access: &Access<'_>) {
    let Some(&access_on) = ACCESS.get() else {
        // Another logger was set before this one (a test harness's, say): it gets the line
        // through `log`, as it did before.
        log::info!(
            target: ACCESS_TARGET,
            method = access.method,
            route = access.route,
            path = access.path,
            status = access.status,
            bytes = access.bytes,
            duration_ms = access.duration.as_micros() as f64 / 1000.0;
            "{ACCESS_MESSAGE}"
        );
        return;
    };
    let Some(format) = access_on else {
        return;
    };
    with_line(|line| {
        format.write_access(line, SystemTime::now(), access);
        BATCH.append(line);
    });
}

/// Runs `write` with this thread's empty line buffer, so a line costs no allocation; a line
/// logged while this thread formats another (from a Display impl, or the panic hook) gets a
/// buffer of its own.
fn with_line<R>(write: impl FnOnce(&mut Vec<u8>) -> R) -> R {
    LINE.with(|line| match line.try_borrow_mut() {
        Ok(mut line) => {
            line.clear();
            write(&mut line)
        }
        Err(_) => write(&mut Vec::new()),
    })
}

/// Writes out what is waiting, with the count of client errors held back; call it before the
/// process exits.
pub fn flush() {
    client_errors().summarise(Instant::now());
    BATCH.write_out(lock(&BATCH.pending), &mut Vec::new());
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

/// Logs the panic through the logger, so it gets the format, the request id and its place
/// after every earlier line, then writes the batch out before the process aborts.
fn log_panic(panic: &std::panic::PanicHookInfo<'_>) {
    let payload = panic.payload();
    let message = payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(a panic payload that is not text)");
    let thread = std::thread::current();
    log::error!(
        target: "panic",
        thread = thread.name().unwrap_or("unnamed"),
        location:% = panic.location().map_or_else(String::new, ToString::to_string);
        "panicked: {message}"
    );
    BATCH.write_out(lock(&BATCH.pending), &mut Vec::new());
}

struct Batch {
    pending: Mutex<Vec<u8>>,
    /// Wakes the writer before its 100 ms are up: a batch is full.
    filled: Condvar,
    /// Wakes loggers waiting for room.
    drained: Condvar,
    /// Held while a batch goes to stderr, so batches go out whole and in order.
    stderr: Mutex<()>,
}

impl Batch {
    fn append(&self, bytes: &[u8]) {
        let mut pending = lock(&self.pending);
        while pending.len() >= MAX_PENDING_BYTES {
            pending = self
                .drained
                .wait(pending)
                .unwrap_or_else(|poisoned| poisoned.into_inner());
        }
        pending.extend_from_slice(bytes);
        if pending.len() >= FLUSH_AT_BYTES {
            self.filled.notify_one();
        }
    }

    /// Swaps what is waiting for the empty `batch` and writes it, with no logger kept waiting
    /// for the write.
    fn write_out(&self, mut pending: MutexGuard<'_, Vec<u8>>, batch: &mut Vec<u8>) {
        std::mem::swap(&mut *pending, batch);
        // Taken before `pending` is let go, so the next batch cannot overtake this one.
        let _stderr = lock(&self.stderr);
        drop(pending);
        self.drained.notify_all();
        if !batch.is_empty() {
            // Nowhere to report a failed write to stderr; the batch is dropped either way.
            let _ = io::stderr().lock().write_all(batch);
            batch.clear();
        }
    }
}

/// The logger's target: appends to the batch.
struct Batched;

impl Write for Batched {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        BATCH.append(bytes);
        Ok(bytes.len())
    }

    /// The logger flushes after every line; the batch is written on its own schedule instead.
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
