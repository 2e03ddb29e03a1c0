//! Rules that need the image built and running (`--build`).

pub mod cm025_build_and_run;
