//! Request ids, JSON error bodies that carry them, and the metrics the service counts.

use crate::helpers::spawn_app;
use std::collections::HashSet;

#[test]
fn a_safe_request_id_comes_back_on_the_response_and_in_the_error_body() {
    let app = spawn_app();

    let found = app.request_with_headers(
        "GET",
        "/users/42",
        &[("X-Request-Id", "checkout-7f3a:retry.2")],
        b"",
    );
    let missing = app.request_with_headers(
        "GET",
        "/no/such/route",
        &[("X-Request-Id", "0f8fad5b-d9cb-469f-a165-70867728950e")],
        b"",
    );

    assert_eq!(found.header("x-request-id"), Some("checkout-7f3a:retry.2"));
    assert_eq!(missing.status, 404);
    assert_eq!(
        missing.header("x-request-id"),
        Some("0f8fad5b-d9cb-469f-a165-70867728950e")
    );
    assert_eq!(
        missing.json()["request_id"],
        "0f8fad5b-d9cb-469f-a165-70867728950e"
    );
}

#[test]
fn every_json_error_names_the_request_id_of_its_response() {
    let app = spawn_app();
    let oversized =
        serde_json::json!({ "name": "x".repeat(70_000), "email": "a@example.com" }).to_string();

    let responses = [
        app.get("/users/abc"),
        app.get("/nowhere"),
        app.request("DELETE", "/users/1", None, b""),
        app.post_json("/users", b"{"),
        app.post_json("/users", oversized.as_bytes()),
        // Refused by middleware before routing: the error passes the telemetry layer as such.
        app.get(&format!("/users/{}", "1".repeat(9 * 1024))),
    ];

    for response in responses {
        assert!(response.status >= 400, "{}", response.body);
        let id = response.header("x-request-id").expect("an X-Request-Id");
        assert_eq!(response.json()["request_id"], id, "{}", response.body);
    }
}

#[test]
fn an_unsafe_or_long_request_id_is_replaced_by_a_generated_one() {
    let app = spawn_app();
    let long = "a".repeat(65);

    for sent in ["two words", "quote\"d", "{\"json\":1}", long.as_str()] {
        let response = app.request_with_headers("GET", "/users/1", &[("X-Request-Id", sent)], b"");

        let id = response.header("x-request-id").expect("an X-Request-Id");
        assert_ne!(id, sent);
        assert_generated(id);
    }
}

#[test]
fn every_response_gets_its_own_generated_id_when_the_client_sends_none() {
    let app = spawn_app();

    let ids: HashSet<String> = (0..20)
        .map(|i| {
            let response = app.get(&format!("/users/{i}"));
            let id = response.header("x-request-id").expect("an X-Request-Id");
            assert_generated(id);
            id.to_owned()
        })
        .collect();

    assert_eq!(ids.len(), 20);
}

#[test]
fn metrics_count_requests_by_route_pattern_exactly() {
    let app = spawn_app();
    for i in 1..=20 {
        let user = serde_json::json!({ "name": format!("User {i}"), "email": format!("user{i}@example.com") });
        assert_eq!(
            app.post_json("/users", user.to_string().as_bytes()).status,
            201
        );
    }
    for i in 0..200 {
        assert_eq!(app.get(&format!("/users/{}", i % 20 + 1)).status, 200);
    }
    for _ in 0..3 {
        assert_eq!(app.get("/users/abc").status, 400);
    }
    for i in 0..5 {
        assert_eq!(app.get(&format!("/no/such/{i}")).status, 404);
    }

    let samples = app.metrics();

    let get_users = r#"method="GET",route="/users/{id}""#;
    let count = |name: &str, labels: &str| samples[&series(name, labels)];
    assert_eq!(
        count(
            "http_requests_total",
            &format!(r#"{get_users},status_class="2xx""#)
        ),
        200.0
    );
    assert_eq!(
        count(
            "http_requests_total",
            &format!(r#"{get_users},status_class="4xx""#)
        ),
        3.0
    );
    assert_eq!(
        count(
            "http_requests_total",
            r#"method="GET",route="unmatched",status_class="4xx""#
        ),
        5.0
    );
    assert_eq!(
        count("http_request_duration_seconds_count", get_users),
        203.0
    );
    assert_eq!(
        count(
            "http_request_duration_seconds_bucket",
            &format!(r#"{get_users},le="+Inf""#)
        ),
        203.0
    );
    assert!(
        samples.keys().all(|name| !name.contains("/users/1")),
        "a raw path became a label: {samples:?}"
    );
}

#[test]
fn metrics_include_the_process_and_requests_in_flight() {
    let app = spawn_app();

    let samples = app.metrics();

    // The scrape itself is in flight while the metrics are rendered.
    assert!(samples.contains_key("http_requests_in_flight"));
    if cfg!(target_os = "linux") {
        for name in [
            "process_resident_memory_bytes",
            "process_cpu_seconds_total",
            "process_open_fds",
            "process_max_fds",
            "process_start_time_seconds",
        ] {
            assert!(samples[name] > 0.0, "{name}");
        }
    }
}

#[test]
fn metrics_are_served_on_the_admin_port_and_not_to_clients() {
    let app = spawn_app();

    let on_main_port = app.get("/metrics");
    let on_admin_port = app.admin_get("/metrics");

    assert_eq!(on_main_port.status, 404);
    assert_eq!(on_admin_port.status, 200);
    assert!(on_admin_port.header("x-request-id").is_some());
}

/// `name{labels}`, as the text format writes a sample.
fn series(name: &str, labels: &str) -> String {
    format!("{name}{}{labels}{}", '{', '}')
}

fn assert_generated(id: &str) {
    assert!(
        id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()),
        "{id:?} is not a generated id"
    );
}
