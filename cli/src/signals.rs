//! SIGINT and SIGTERM while `new` or `upgrade` renders and writes: the first one is noted and
//! the command stops at its next step, undoing what it did (the staging directory, temporaries,
//! replaced files). While it renders, a second one ends the process at once, as people pressing
//! Ctrl-C twice expect, removing the staging directory first; once it writes into the project,
//! it does not, because ending there would leave the user's files half replaced.

use signal_hook::SigId;
use signal_hook::consts::{SIGINT, SIGTERM, SIGXFSZ};
use signal_hook::iterator::{Handle, Signals};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

/// A signal the command stopped for; the exit status says which (130 or 143).
#[derive(Debug, thiserror::Error)]
#[error("interrupted by {name}: nothing was written, and what was staged is removed")]
pub struct Interrupted {
    pub name: &'static str,
    pub exit_status: u8,
}

/// The run's directory of temporary files (see `engine::RunDir`), removed before a second
/// signal ends the process.
static RUN_DIR: Mutex<Option<PathBuf>> = Mutex::new(None);

/// Registers the run's directory of temporary files.
pub fn remove_at_exit(dir: PathBuf) {
    *RUN_DIR
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(dir);
}

/// What the watching thread and the command share.
#[derive(Default)]
struct Shared {
    /// The first signal's number, 0 until one comes.
    received: AtomicUsize,
    /// Whether a second signal may end the process (not once the project is being written).
    exit_at_second: AtomicBool,
    /// Removed before a second signal ends the process.
    staging: Mutex<Option<PathBuf>>,
}

/// Watches for SIGINT and SIGTERM from now on, until dropped.
pub struct Watch {
    shared: Arc<Shared>,
    handle: Handle,
    thread: Option<JoinHandle<()>>,
}

/// Past a file-size limit (RLIMIT_FSIZE) the kernel kills a writer with SIGXFSZ; with a
/// handler the write fails instead (EFBIG), and the command says so and undoes what it did.
/// For the whole run of the binary: its first write (the check that `$TMPDIR` has room) comes
/// before any command starts watching for signals.
pub fn fail_writes_past_a_file_size_limit() -> std::io::Result<SigId> {
    signal_hook::flag::register(SIGXFSZ, Arc::new(AtomicBool::new(false)))
}

impl Watch {
    pub fn start() -> std::io::Result<Watch> {
        let shared = Arc::new(Shared {
            exit_at_second: AtomicBool::new(true),
            ..Shared::default()
        });
        let mut signals = Signals::new([SIGINT, SIGTERM])?;
        let handle = signals.handle();
        let thread = {
            let shared = Arc::clone(&shared);
            std::thread::spawn(move || {
                for signal in signals.forever() {
                    let first = shared
                        .received
                        .compare_exchange(0, signal as usize, Ordering::SeqCst, Ordering::SeqCst)
                        .is_ok();
                    if !first && shared.exit_at_second.load(Ordering::SeqCst) {
                        let staging = shared
                            .staging
                            .lock()
                            .unwrap_or_else(|poisoned| poisoned.into_inner())
                            .take();
                        let run_dir = RUN_DIR
                            .lock()
                            .unwrap_or_else(|poisoned| poisoned.into_inner())
                            .take();
                        for dir in staging.into_iter().chain(run_dir) {
                            let _ = std::fs::remove_dir_all(dir);
                        }
                        std::process::exit(exit_status(signal).into());
                    }
                }
            })
        };
        Ok(Watch {
            shared,
            handle,
            thread: Some(thread),
        })
    }

    /// The staging directory a second signal removes before it ends the process.
    pub fn clean_up_at_exit(&self, staging: PathBuf) {
        *self
            .shared
            .staging
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(staging);
    }

    /// From now on every signal waits for the next step, and for the undo: the project is
    /// being written.
    pub fn finish_writes_before_exiting(&mut self) {
        self.shared.exit_at_second.store(false, Ordering::SeqCst);
    }

    /// The signal received so far, as the error that stops the command.
    pub fn received(&self) -> Option<Interrupted> {
        match self.shared.received.load(Ordering::SeqCst) {
            0 => None,
            signal => Some(Interrupted {
                name: if signal == SIGINT as usize {
                    "SIGINT"
                } else {
                    "SIGTERM"
                },
                exit_status: exit_status(signal as i32),
            }),
        }
    }
}

impl Drop for Watch {
    /// A library caller (the benchmark) gets the default actions back: the next signal ends
    /// the process as it would have before the command ran.
    fn drop(&mut self) {
        self.handle.close();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        for signal in [SIGINT, SIGTERM] {
            let _ = signal_hook::flag::register_conditional_default(
                signal,
                Arc::new(AtomicBool::new(true)),
            );
        }
    }
}

fn exit_status(signal: i32) -> u8 {
    if signal == SIGINT {
        crate::exit::INTERRUPTED
    } else {
        crate::exit::TERMINATED
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    /// Raised in this test process: were the second signal still fatal, the whole test binary
    /// would end with status 130 and the suite would fail.
    #[test]
    fn a_second_signal_while_writing_is_noted_and_does_not_end_the_process() {
        let mut watch = Watch::start().unwrap();
        watch.finish_writes_before_exiting();

        for _ in 0..2 {
            signal_hook::low_level::raise(SIGINT).unwrap();
        }

        // The watching thread notes it as it wakes.
        let started = Instant::now();
        while watch.received().is_none() && started.elapsed() < Duration::from_secs(5) {
            std::thread::sleep(Duration::from_millis(10));
        }
        let interrupted = watch.received().expect("the signal was noted");
        assert_eq!(interrupted.exit_status, crate::exit::INTERRUPTED);
    }
}
