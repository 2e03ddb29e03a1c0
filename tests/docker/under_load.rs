//! The tests that measure time or memory under load: hostile clients (`attacks`), the database's
//! faults (`database`), and the Kubernetes manifests played by a kubelet stand-in
//! (`kubernetes`, `conformance`). Each waits until the pipeline has built and proven every image
//! (`every_image_built`), so no build and no other container shares the cores with it.
//!
//! Grouped here so that libtest, which starts a binary's tests in the order of their names and
//! only as many at once as there are cores, starts them after the tests that build and prove
//! images of their own (the harness's broken images, `check --build`, the SBOM): those run
//! while the pipeline builds, instead of after these tests, on cores these leave idle. The
//! matrix's own test waits for the pipeline too and holds one of two cores' slots from the
//! start: a test outside this module that waits for the pipeline would take the other one.

mod attacks;
mod conformance;
mod database;
mod kubernetes;
