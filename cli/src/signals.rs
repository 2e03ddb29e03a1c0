//! SIGINT and SIGTERM while `new` renders and writes: the first one is noted and `new` stops
//! at its next step, undoing what it did (the staging directory, temporaries, replaced
//! files). While it renders, a second one ends the process at once, as people pressing Ctrl-C
//! twice expect; once it writes into the destination, it does not, because ending there would
//! leave the user's files half replaced.

use signal_hook::SigId;
use signal_hook::consts::{SIGINT, SIGTERM, SIGXFSZ};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// A signal `new` stopped for; the exit status says which (130 or 143).
#[derive(Debug, thiserror::Error)]
#[error("interrupted by {name}: nothing was written, and what was staged is removed")]
pub struct Interrupted {
    pub name: &'static str,
    pub exit_status: u8,
}

/// Watches for SIGINT and SIGTERM from now on, until dropped.
pub struct Watch {
    received: Arc<AtomicUsize>,
    actions: Vec<SigId>,
    /// The actions that end the process at a second signal.
    exit_at_second: Vec<SigId>,
}

impl Watch {
    pub fn start() -> std::io::Result<Watch> {
        let received = Arc::new(AtomicUsize::new(0));
        let mut actions = Vec::new();
        let mut exit_at_second = Vec::new();
        for signal in [SIGINT, SIGTERM] {
            let flag = Arc::new(AtomicBool::new(false));
            exit_at_second.push(signal_hook::flag::register_conditional_shutdown(
                signal,
                exit_status(signal).into(),
                Arc::clone(&flag),
            )?);
            actions.push(signal_hook::flag::register(signal, flag)?);
            actions.push(signal_hook::flag::register_usize(
                signal,
                Arc::clone(&received),
                signal as usize,
            )?);
        }
        // Past a file-size limit (RLIMIT_FSIZE) the kernel kills a writer with SIGXFSZ; with
        // a handler the write fails instead (EFBIG), and new can undo what it did.
        actions.push(signal_hook::flag::register(
            SIGXFSZ,
            Arc::new(AtomicBool::new(false)),
        )?);
        Ok(Watch {
            received,
            actions,
            exit_at_second,
        })
    }

    /// From now on every signal waits for the next step, and for the undo: the destination is
    /// being written.
    pub fn finish_writes_before_exiting(&mut self) {
        for action in self.exit_at_second.drain(..) {
            signal_hook::low_level::unregister(action);
        }
    }

    /// The signal received so far, as the error that stops `new`.
    pub fn received(&self) -> Option<Interrupted> {
        match self.received.load(Ordering::SeqCst) {
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
    /// the process as it would have before `new` ran.
    fn drop(&mut self) {
        for action in self.actions.drain(..).chain(self.exit_at_second.drain(..)) {
            signal_hook::low_level::unregister(action);
        }
        for signal in [SIGINT, SIGTERM, SIGXFSZ] {
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

    /// Raised in this test process: were the second signal still fatal, the whole test binary
    /// would end with status 130 and the suite would fail.
    #[test]
    fn a_second_signal_while_writing_is_noted_and_does_not_end_the_process() {
        let mut watch = Watch::start().unwrap();
        watch.finish_writes_before_exiting();

        for _ in 0..2 {
            signal_hook::low_level::raise(SIGINT).unwrap();
        }

        let interrupted = watch.received().expect("the signal was noted");
        assert_eq!(interrupted.exit_status, crate::exit::INTERRUPTED);
    }
}
