//! Platform: the template maintains this file, and `cargo microservice upgrade` updates it.
//!
//! The container proof, opt-in: it needs Docker and a built image, so a plain `cargo test`
//! skips it. Build the image, then pass it in:
//!
//! ```sh
//! docker build -t {{project-name}} .
//! CONTAINER_IMAGE={{project-name}} cargo test --test container -- --ignored --nocapture
//! ```
//!
//! It runs the image as compose.yaml does and checks, each by name (`prove.rs` says how): the
//! uid is {{runtime_user}}, the HEALTHCHECK turns healthy, `/health`, `/ready` and `/metrics` answer on the
//! admin port, a user posted on the main port reads back, SIGTERM ends it with exit 0 inside
//! compose's `stop_grace_period` ({{compose_stop_grace_period}} s), and the image has {% if base == "debian-slim" or base == "alpine" %}its{% else %}no{% endif %} shell.
{%- if database == "postgres" %}
//! PostgreSQL runs beside it, migrated first by the image's own `migrate`: compose's
//! `{{postgres_image}}`, or the image `POSTGRES_IMAGE` names.
{%- endif %}
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
        port: {{port}},
        admin_port: Some({{admin_port}}),
        probes: vec!["/health".into(), "/ready".into(), "/metrics".into()],
        round_trip: true,
{%- if database == "postgres" %}
        postgres: Some(
            std::env::var("POSTGRES_IMAGE").unwrap_or_else(|_| "{{postgres_image}}".to_owned()),
        ),
{%- else %}
        postgres: None,
{%- endif %}
        env: Vec::new(),
        shell: Some({% if base == "debian-slim" or base == "alpine" %}true{% else %}false{% endif %}),
        uid: Some({{runtime_user}}),
        grace: Duration::from_secs({{compose_stop_grace_period}}),
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
