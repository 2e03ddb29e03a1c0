//! The HTTP API, called over real sockets on a free port.

mod helpers;
mod observability;

use helpers::{exchange_raw, parse_response, spawn_app, spawn_app_with, test_settings};
use serde_json::json;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

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

    for bad_id in ["abc", "0", "-1", "18446744073709551616", "+5", "%2B5", "007", "%31"] {
        let response = app.get(&format!("/users/{bad_id}"));

        assert_eq!(response.status, 400, "id {bad_id}");
        let body = response.json();
        assert_eq!(body["error"], "invalid_user_id");
        assert!(
            body["message"].as_str().unwrap().contains(bad_id),
            "{body}"
        );
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
fn a_wrong_method_is_a_json_405_naming_the_allowed_methods() {
    let app = spawn_app();

    for (method, path, allow) in [
        ("DELETE", "/health", "GET, HEAD"),
        ("POST", "/ready", "GET, HEAD"),
        ("GET", "/users", "POST"),
        ("PUT", "/users/42", "GET, HEAD"),
    ] {
        let response = app.request(method, path, None, b"");

        assert_eq!(response.status, 405, "{method} {path}");
        assert_eq!(response.header("allow"), Some(allow), "{method} {path}");
        assert_eq!(response.json()["error"], "method_not_allowed");
    }
}

#[test]
fn head_on_the_probes_answers_like_get_without_a_body() {
    let app = spawn_app();

    for path in ["/health", "/ready"] {
        for address in [app.address, app.admin_address] {
            let response = helpers::send(address, "HEAD", path, None, b"");

            assert_eq!(response.status, 200, "HEAD {path} on {address}");
            assert_eq!(response.body, "", "HEAD {path} on {address}");
        }
    }
}

#[test]
fn the_admin_listener_serves_the_probes_and_nothing_else() {
    let app = spawn_app();

    assert_eq!(app.admin_get("/health").json()["status"], "healthy");
    assert_eq!(app.admin_get("/ready").json()["status"], "ready");
    assert_eq!(app.admin_get("/users/42").status, 404);
}

#[test]
fn a_body_that_is_not_json_is_a_json_415() {
    let app = spawn_app();

    let response = app.request("POST", "/users", Some("text/plain"), b"name=Ada");

    assert_eq!(response.status, 415);
    assert_eq!(response.json()["error"], "unsupported_media_type");
}

#[test]
fn an_over_long_target_is_a_json_414() {
    let app = spawn_app();
    let path = format!("/users/{}", "1".repeat({{crate_name}}::routes::MAX_TARGET_BYTES));

    let response = app.get(&path);

    assert_eq!(response.status, 414);
    assert_eq!(response.json()["error"], "uri_too_long");
}

#[test]
fn a_body_that_stalls_is_answered_408_within_the_request_timeout() {
    let mut settings = test_settings();
    settings.bounds.request_timeout = Duration::from_secs(1);
    let app = spawn_app_with(settings);
    let head = "POST /users HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"name\":";

    let (raw, took) = exchange_raw(app.address, head.as_bytes(), Duration::from_secs(10));

    let response = parse_response(&raw);
    assert_eq!(response.status, 408, "{raw}");
    assert_eq!(response.json()["error"], "request_timeout");
    assert!(took < Duration::from_secs(3), "took {took:?}");
}

#[test]
fn a_connection_past_max_connections_is_answered_503_with_retry_after() {
    let mut settings = test_settings();
    settings.bounds.max_connections = 2;
    let app = spawn_app_with(settings);
    let held: Vec<TcpStream> = (0..2)
        .map(|_| TcpStream::connect(app.address).unwrap())
        .collect();
    // The held connections are open once the service has answered on them.
    for mut connection in &held {
        connection
            .write_all(b"GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n")
            .unwrap();
        let mut answer = [0; 12];
        connection.read_exact(&mut answer).unwrap();
    }

    let (raw, _) = exchange_raw(app.address, b"", Duration::from_secs(5));

    let response = parse_response(&raw);
    assert_eq!(response.status, 503, "{raw}");
    assert_eq!(response.header("retry-after"), Some("1"));
    assert_eq!(response.json()["error"], "too_many_connections");
    assert_eq!(
        response.json()["request_id"],
        response.header("x-request-id").unwrap()
    );
    drop(held);
    // Room again once they close.
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(app.get("/health").status, 200);
}

#[test]
fn a_client_that_pipelines_without_reading_is_held_back_and_others_are_served() {
    let mut settings = test_settings();
    settings.bounds.max_unsent_bytes = 4096;
    let app = spawn_app_with(settings);
    let mut greedy = TcpStream::connect(app.address).unwrap();
    greedy
        .set_write_timeout(Some(Duration::from_secs(1)))
        .unwrap();
    let requests = b"GET /users/42 HTTP/1.1\r\nHost: localhost\r\n\r\n".repeat(1000);

    // 18 MB of requests: more than the socket buffers hold once the service stops reading.
    let mut sent = 0;
    let mut held_back = false;
    for _ in 0..400 {
        match greedy.write(&requests) {
            Ok(n) => sent += n,
            Err(_) => {
                held_back = true;
                break;
            }
        }
    }

    assert!(
        held_back,
        "the service read all {sent} bytes from a client that reads none of its responses"
    );
    assert_eq!(app.get("/health").status, 200);
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
    let limit = {{crate_name}}::Settings::default().max_body_bytes;
    let body = json!({ "name": "x".repeat(limit), "email": "ada@example.com" }).to_string();

    let response = app.post_json("/users", body.as_bytes());

    assert_eq!(response.status, 413);
    assert_eq!(response.json()["error"], "payload_too_large");
}

#[test]
fn the_healthcheck_probe_sees_a_running_app() {
    let app = spawn_app();

    assert_eq!({{crate_name}}::healthcheck::probe(app.address).unwrap(), 200);
}

#[test]
fn the_healthcheck_probe_fails_when_nothing_listens() {
    let unused = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = unused.local_addr().unwrap();
    drop(unused);

    assert!({{crate_name}}::healthcheck::probe(address).is_err());
}
