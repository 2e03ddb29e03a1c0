//! The HTTP API, called over real sockets on a free port.

mod helpers;

use helpers::spawn_app;
use serde_json::json;

#[test]
fn health_reports_healthy_with_the_crate_version() {
    let app = spawn_app();

    let response = app.get("/health");

    assert_eq!(response.status, 200);
    assert_eq!(
        response.json(),
        json!({ "status": "healthy", "version": env!("CARGO_PKG_VERSION") })
    );
}

#[test]
fn ready_reports_ready() {
    let app = spawn_app();

    let response = app.get("/ready");

    assert_eq!(response.status, 200);
    assert_eq!(response.json(), json!({ "status": "ready" }));
}

#[test]
fn a_user_is_returned_for_a_valid_id() {
    let app = spawn_app();

    let response = app.get("/users/42");

    assert_eq!(response.status, 200);
    assert_eq!(
        response.json(),
        json!({ "id": 42, "name": "User 42", "email": "user42@example.com" })
    );
}

#[test]
fn a_bad_user_id_is_a_json_400_naming_the_value() {
    let app = spawn_app();

    for bad_id in ["abc", "0", "-1", "18446744073709551616"] {
        let response = app.get(&format!("/users/{bad_id}"));

        assert_eq!(response.status, 400, "id {bad_id}");
        let body = response.json();
        assert_eq!(body["error"], "invalid_user_id");
        assert!(body["message"].as_str().unwrap().contains(bad_id));
    }
}

#[test]
fn an_unknown_route_is_a_json_404() {
    let app = spawn_app();

    let response = app.get("/no/such/route");

    assert_eq!(response.status, 404);
    assert_eq!(response.content_type.as_deref(), Some("application/json"));
    assert_eq!(response.json()["error"], "not_found");
}

#[test]
fn a_wrong_method_is_a_json_405() {
    let app = spawn_app();

    let response = app.request("DELETE", "/health", None, b"");

    assert_eq!(response.status, 405);
    assert_eq!(response.json()["error"], "method_not_allowed");
}

#[test]
fn a_valid_new_user_is_created() {
    let app = spawn_app();

    let response = app.post_json("/users", br#"{"name":"Ada","email":"ada@example.com"}"#);

    assert_eq!(response.status, 201);
    let body = response.json();
    assert_eq!(body["name"], "Ada");
    assert_eq!(body["email"], "ada@example.com");
    assert!(body["id"].as_u64().unwrap() > 0);
}

#[test]
fn malformed_json_is_a_json_400() {
    let app = spawn_app();

    let response = app.post_json("/users", br#"{"name": "Ada", "email": "#);

    assert_eq!(response.status, 400);
    assert_eq!(response.content_type.as_deref(), Some("application/json"));
    assert_eq!(response.json()["error"], "malformed_json");
}

#[test]
fn an_oversized_body_is_a_json_413() {
    let app = spawn_app();
    let limit = orders::Settings::default().max_body_bytes;
    let body = json!({ "name": "x".repeat(limit), "email": "ada@example.com" }).to_string();

    let response = app.post_json("/users", body.as_bytes());

    assert_eq!(response.status, 413);
    assert_eq!(response.json()["error"], "payload_too_large");
}

#[test]
fn the_healthcheck_probe_sees_a_running_app() {
    let app = spawn_app();

    assert_eq!(orders::healthcheck::probe(app.address).unwrap(), 200);
}

#[test]
fn the_healthcheck_probe_fails_when_nothing_listens() {
    let unused = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = unused.local_addr().unwrap();
    drop(unused);

    assert!(orders::healthcheck::probe(address).is_err());
}
