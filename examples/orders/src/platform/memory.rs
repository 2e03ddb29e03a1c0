//! Platform: the template maintains this file, and `cargo microservice upgrade` updates it.
//!
//! Gives memory freed after a burst of clients back to the kernel.
//!
//! glibc keeps what the service frees in its arenas for reuse and returns it only from the top
//! of each heap, so a burst of clients used to leave RSS tens of MB above idle for good.
//! `malloc_trim` also returns the free pages inside the heaps; once a second it costs well
//! under a millisecond.

use std::time::Duration;

const TRIM_EVERY: Duration = Duration::from_secs(1);

unsafe extern "C" {
    fn malloc_trim(pad: usize) -> i32;
}

/// Starts the thread that trims the heaps.
pub fn return_freed_memory() {
    std::thread::spawn(|| {
        loop {
            std::thread::sleep(TRIM_EVERY);
            // SAFETY: malloc_trim only walks glibc's own free lists, under their locks.
            unsafe { malloc_trim(0) };
        }
    });
}
