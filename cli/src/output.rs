//! What the commands print, written the way a Unix tool writes: a reader that closes the pipe
//! early (`| head -1`) ends the output quietly, and any other write error (a full disk,
//! `/dev/full`) is an error that says so, never a panic. Messages on stderr that cannot be
//! written are dropped, as a Unix tool drops them: the exit status still tells.

use anyhow::{Context, Result};
use std::io::{ErrorKind, Write};

/// Writes `text` to stdout and flushes it.
pub fn print(text: &str) -> Result<()> {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(error) if error.kind() == ErrorKind::BrokenPipe => Ok(()),
        result => result.context("while writing to standard output"),
    }
}

/// Writes a message to stderr, never failing: stderr closed or full has nowhere left to be
/// reported (`eprintln!` panics there, turning status 2 into 101).
pub fn eprint(text: &str) {
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}
