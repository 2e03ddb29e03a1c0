//! Platform: the template maintains this file, and `cargo microservice upgrade` updates it.
//!
//! The container proof, opt-in: it needs Docker and a built image, so a plain `cargo test`
//! skips it. Build the image, then pass it in:
//!
//! ```sh
//! docker build -t orders .
//! CONTAINER_IMAGE=orders cargo test --test container -- --ignored --nocapture
//! ```
//!
//! It runs the image as compose.yaml does and checks, each by name (`prove.rs` says how): the
//! uid is 65532, the HEALTHCHECK turns healthy, `/health`, `/ready` and `/metrics` answer on the
//! admin port, a user posted on the main port reads back, SIGTERM ends it with exit 0 inside
//! compose's `stop_grace_period` (10 s), and the image has no shell.
//! PostgreSQL runs beside it, migrated first by the image's own `migrate`: compose's
//! `postgres:17-trixie`, or the image `POSTGRES_IMAGE` names.
//! CI runs it on the image it builds (`.github/workflows/ci.yml`).

mod prove;

use std::time::Duration;

#[test]
#[ignore = "needs Docker and an image: CONTAINER_IMAGE=<image> cargo test --test container -- --ignored"]
fn the_image_runs_as_compose_runs_it_answers_and_stops_cleanly() {
    let image = std::env::var("CONTAINER_IMAGE")
        .expect("CONTAINER_IMAGE names the image to prove: `docker build -t <image> .` first");
    let expect = prove::Expectations {
        image,
        port: 8080,
        admin_port: Some(8081),
        probes: vec!["/health".into(), "/ready".into(), "/metrics".into()],
        round_trip: true,
        postgres: Some(
            std::env::var("POSTGRES_IMAGE").unwrap_or_else(|_| "postgres:17-trixie".to_owned()),
        ),
        env: Vec::new(),
        shell: Some(false),
        uid: Some(65532),
        grace: Duration::from_secs(10),
    };

    let proof = prove::prove(&expect).unwrap_or_else(|why| panic!("{why}"));

    print!("{}", proof.report());
    assert!(
        proof.failures().is_empty(),
        "{} failed:\n{}",
        proof.image,
        proof.report()
    );
}
