//! The HTTP API, called over real sockets on a free port. The same tests hold whichever store
//! keeps the users; what only one store does is tested in its own module.
{%- if database == "postgres" %}
mod database;
{%- endif %}
mod helpers;
{%- if database == "none" %}
mod in_memory;
{%- endif %}
mod observability;
{%- if database == "postgres" %}
mod postgres;
{%- endif %}

use helpers::{TestApp, exchange_raw, parse_response, spawn_app, spawn_app_with, test_settings};
use serde_json::{Value, json};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use {{crate_name}}::Settings;
use {{crate_name}}::platform::healthcheck;
use {{crate_name}}::platform::http;
use {{crate_name}}::platform::openapi;
use {{crate_name}}::users;

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

fn create(app: &TestApp, name: &str, email: &str) -> Value {
    let body = json!({ "name": name, "email": email }).to_string();
    let response = app.post_json("/users", body.as_bytes());
    assert_eq!(response.status, 201, "{}", response.body);
    response.json()
}

#[test]
fn a_created_user_is_answered_with_its_location_and_read_back_as_sent() {
    let app = spawn_app();
    let name = "Ada Lovelace, née Byron";

    let response = app.post_json(
        "/users",
        json!({ "name": name, "email": "Ada@Example.com" })
            .to_string()
            .as_bytes(),
    );

    assert_eq!(response.status, 201);
    let created = response.json();
    let id = created["id"].as_i64().unwrap();
    assert!(id > 0);
    assert_eq!(
        created,
        json!({ "id": id, "name": name, "email": "Ada@Example.com" })
    );
    let location = response.header("location").expect("a Location header");
    assert_eq!(location, format!("/users/{id}"));
    let read = app.get(location);
    assert_eq!(read.status, 200);
    assert_eq!(read.json(), created);
}

#[test]
fn a_duplicate_email_is_a_json_409_whatever_its_case() {
    let app = spawn_app();
    create(&app, "Ada", "ada@example.com");

    let response = app.post_json(
        "/users",
        br#"{"name":"Ada again","email":"ADA@example.com"}"#,
    );

    assert_eq!(response.status, 409);
    assert_eq!(response.json()["error"], "email_taken");
}

#[test]
fn an_unknown_user_is_a_json_404() {
    let app = spawn_app();

    let response = app.get("/users/42");

    assert_eq!(response.status, 404);
    assert_eq!(response.content_type.as_deref(), Some("application/json"));
    assert_eq!(response.json()["error"], "user_not_found");
}

#[test]
fn invalid_users_are_a_json_422_and_nothing_is_stored() {
    let app = spawn_app();
    let long_name = "x".repeat(users::MAX_NAME_CHARS + 1);

    for body in [
        json!({ "name": "", "email": "ada@example.com" }),
        json!({ "name": "Ada", "email": "not-an-email" }),
        json!({ "name": long_name, "email": "ada@example.com" }),
        json!({ "name": "Ada" }),
        json!({ "name": 42, "email": "ada@example.com" }),
    ] {
        let response = app.post_json("/users", body.to_string().as_bytes());

        assert_eq!(response.status, 422, "{body}: {}", response.body);
        assert!(response.json()["message"].is_string());
    }
    assert_eq!(app.get("/users").json()["users"], json!([]));
}

/// Every class of character the API refuses in stored text (README.md, "API"), in each field:
/// the same `422` naming the field, whichever store keeps the users, and nothing stored.
#[test]
fn refused_characters_are_a_422_naming_the_field_and_nothing_is_stored() {
    let app = spawn_app();
    let classes = [
        ("NUL", "\\u0000"),
        ("a C0 control", "\\u001b"),
        ("DEL", "\\u007f"),
        ("a C1 control", "\\u0085"),
        ("the line separator", "\\u2028"),
        ("the paragraph separator", "\\u2029"),
        ("a bidi override", "\\u202e"),
        ("a bidi isolate", "\\u2066"),
        ("a lone high surrogate", "\\ud800"),
        ("a lone low surrogate", "\\udfff"),
    ];
    for (class, escape) in classes {
        // The escape goes in as JSON text: no Rust string holds a lone surrogate.
        let user = |name: &str, email: &str| {
            json!({ "name": name, "email": email })
                .to_string()
                .replace("ESCAPE", escape)
        };
        for (field, body) in [
            ("name", user("AdaESCAPE", "ada@example.com")),
            ("email", user("Ada", "adaESCAPE@example.com")),
        ] {
            let response = app.post_json("/users", body.as_bytes());

            assert_eq!(
                response.status, 422,
                "{class} in {field}: {}",
                response.body
            );
            let answer = response.json();
            assert_eq!(answer["error"], "invalid_fields", "{class} in {field}");
            assert_eq!(answer["field"], field, "{class} in {field}: {answer}");
        }
    }
    let too_long =
        json!({ "name": "x".repeat(users::MAX_NAME_CHARS + 1), "email": "ada@example.com" });
    let response = app.post_json("/users", too_long.to_string().as_bytes());
    assert_eq!(response.json()["field"], "name");
    assert_eq!(app.get("/users").json()["users"], json!([]));
}

/// `openapi.json` in the project is what the code documents: regenerate it with
/// `cargo run -- openapi > openapi.json` after a change to a route, a handler or a type.
#[test]
fn the_committed_openapi_json_is_what_the_code_generates() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.json");
    let committed = std::fs::read_to_string(path).expect("openapi.json in the project");
    let generated = openapi::document();
    let as_json = |text: &str| serde_json::from_str::<Value>(text).expect("JSON");
    assert!(
        as_json(&committed) == as_json(generated),
        "openapi.json differs from what the code documents; run `cargo run -- openapi > openapi.json`"
    );
}

#[test]
fn the_openapi_document_is_served_on_the_main_port() {
    let app = spawn_app();

    let response = app.get("/openapi.json");

    assert_eq!(response.status, 200);
    assert_eq!(response.content_type.as_deref(), Some("application/json"));
    assert_eq!(response.body, openapi::document());
    let document = response.json();
    assert_eq!(document["openapi"], "3.1.0");
    for path in [
        "/users",
        "/users/{id}",
        "/health",
        "/ready",
        "/openapi.json",
    ] {
        assert!(document["paths"][path].is_object(), "{path}");
    }
}

#[test]
fn users_are_listed_in_pages_that_follow_each_other() {
    let app = spawn_app();
    let created: Vec<Value> = (1..=5)
        .map(|n| create(&app, &format!("User {n}"), &format!("user{n}@example.com")))
        .collect();

    let mut seen = Vec::new();
    let mut path = Some("/users?limit=2".to_owned());
    let mut pages = 0;
    while let Some(next) = path {
        let response = app.get(&next);
        assert_eq!(response.status, 200, "{next}: {}", response.body);
        let page = response.json();
        seen.extend(page["users"].as_array().unwrap().iter().cloned());
        path = page["next"].as_str().map(str::to_owned);
        pages += 1;
    }

    assert_eq!(seen, created);
    assert_eq!(pages, 3);
    let all = app.get("/users").json();
    assert_eq!(all, json!({ "users": created, "next": null }));
}

#[test]
fn bad_pagination_values_are_a_json_400_naming_the_value() {
    let app = spawn_app();
    let too_many = users::MAX_PAGE_SIZE + 1;

    for (query, code) in [
        ("limit=0".to_owned(), "invalid_limit"),
        (format!("limit={too_many}"), "invalid_limit"),
        ("limit=abc".to_owned(), "invalid_limit"),
        ("after=-1".to_owned(), "invalid_after"),
        ("after=99999999999999999999".to_owned(), "invalid_after"),
        ("limit=1&limit=2".to_owned(), "invalid_query"),
    ] {
        let response = app.get(&format!("/users?{query}"));

        assert_eq!(response.status, 400, "{query}: {}", response.body);
        assert_eq!(response.json()["error"], code, "{query}");
    }
}

#[test]
fn a_bad_user_id_is_a_json_400_naming_the_value() {
    let app = spawn_app();

    for bad_id in [
        "abc",
        "0",
        "-1",
        "9223372036854775808",
        "+5",
        "%2B5",
        "007",
        "%31",
    ] {
        let response = app.get(&format!("/users/{bad_id}"));

        assert_eq!(response.status, 400, "id {bad_id}");
        let body = response.json();
        assert_eq!(body["error"], "invalid_user_id");
        assert!(body["message"].as_str().unwrap().contains(bad_id), "{body}");
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
        ("PUT", "/users", "GET, HEAD, POST"),
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
    let path = format!("/users/{}", "1".repeat(http::MAX_TARGET_BYTES));

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
fn pipelined_requests_with_and_without_bodies_are_each_answered_once_in_order() {
    let app = spawn_app();
    let post = |name: &str, email: &str| {
        let body = json!({ "name": name, "email": email }).to_string();
        format!(
            "POST /users HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
    };
    let get = |path: &str| format!("GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n");
    let mut requests = vec![
        (post("Ada", "ada@example.com"), 201),
        (post("Bob", "bob@example.com"), 201),
        (get("/users/1"), 200),
        (get("/users/2"), 200),
        (post("Ada again", "ada@example.com"), 409),
        (get("/users/999999"), 404),
        (get("/users/abc"), 400),
    ];
    requests.extend((0..50).map(|_| (get("/users/2"), 200)));
    requests.push((
        "GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".to_owned(),
        200,
    ));
    let wire: String = requests
        .iter()
        .map(|(request, _)| request.as_str())
        .collect();

    // All in one write: the service reads them while it is still handling the first ones.
    let (raw, _) = exchange_raw(app.address, wire.as_bytes(), Duration::from_secs(10));

    // Bodies are JSON: a status line is the only place the protocol name appears.
    let statuses: Vec<u16> = raw
        .match_indices("HTTP/1.1 ")
        .map(|(at, _)| raw[at + 9..at + 12].parse().unwrap())
        .collect();
    let expected: Vec<u16> = requests.iter().map(|(_, status)| *status).collect();
    assert_eq!(statuses, expected, "{raw}");
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
    let limit = Settings::default().max_body_bytes;
    let body = json!({ "name": "x".repeat(limit), "email": "ada@example.com" }).to_string();

    let response = app.post_json("/users", body.as_bytes());

    assert_eq!(response.status, 413);
    assert_eq!(response.json()["error"], "payload_too_large");
}

#[test]
fn the_healthcheck_probe_sees_a_running_app() {
    let app = spawn_app();

    assert_eq!(healthcheck::probe(app.address).unwrap(), 200);
}

#[test]
fn the_healthcheck_probe_fails_when_nothing_listens() {
    let unused = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = unused.local_addr().unwrap();
    drop(unused);

    assert!(healthcheck::probe(address).is_err());
}
