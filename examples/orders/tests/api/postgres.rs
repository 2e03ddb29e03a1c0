//! What only the PostgreSQL store does: start without its database and say so on `/ready`,
//! answer a JSON 503 within the acquire timeout while the database is away and recover when it
//! returns, name refused credentials without the password, migrate from several processes at
//! once.

use crate::database::{TestDatabase, block_on};
use crate::helpers::{TestApp, spawn_app, spawn_app_with_store, test_settings};
use sqlx::ConnectOptions;
use sqlx::postgres::{PgConnectOptions, PgConnection};
use std::io;
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use orders::StoreSettings;
use orders::platform::database;

const ACQUIRE_TIMEOUT: Duration = Duration::from_millis(500);
/// What a loaded test machine may add to a bound before the test calls it broken.
const SLACK: Duration = Duration::from_secs(1);

/// A TCP link between the app and PostgreSQL that a test can cut and restore, so the database
/// goes away for this test's app without stopping the server other tests use.
struct Link {
    address: SocketAddr,
    state: Arc<Mutex<LinkState>>,
}

struct LinkState {
    up: bool,
    open: Vec<TcpStream>,
}

impl Link {
    fn to(server: &PgConnectOptions, up: bool) -> Link {
        let upstream = (server.get_host(), server.get_port())
            .to_socket_addrs()
            .expect("DATABASE_URL's host resolves")
            .next()
            .expect("DATABASE_URL's host has an address");
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        let state = Arc::new(Mutex::new(LinkState {
            up,
            open: Vec::new(),
        }));
        let shared = Arc::clone(&state);
        thread::spawn(move || {
            for client in listener.incoming().map_while(Result::ok) {
                let mut state = shared.lock().unwrap();
                // While cut, a connection is closed as soon as it is accepted.
                if !state.up {
                    continue;
                }
                let Ok(server) = TcpStream::connect(upstream) else {
                    continue;
                };
                state.open.push(client.try_clone().unwrap());
                state.open.push(server.try_clone().unwrap());
                pipe(client.try_clone().unwrap(), server.try_clone().unwrap());
                pipe(server, client);
            }
        });
        Link { address, state }
    }

    /// Closes every connection through the link and refuses new ones.
    fn cut(&self) {
        let mut state = self.state.lock().unwrap();
        state.up = false;
        for stream in state.open.drain(..) {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }

    fn restore(&self) {
        self.state.lock().unwrap().up = true;
    }

    /// `database`'s settings, reached through this link, with a short acquire timeout.
    fn store_settings(&self, database: &PgConnectOptions) -> StoreSettings {
        StoreSettings {
            acquire_timeout: ACQUIRE_TIMEOUT,
            ..StoreSettings::new(
                database
                    .clone()
                    .host(&self.address.ip().to_string())
                    .port(self.address.port()),
            )
        }
    }
}

fn pipe(mut from: TcpStream, mut to: TcpStream) {
    thread::spawn(move || {
        let _ = io::copy(&mut from, &mut to);
        let _ = to.shutdown(Shutdown::Both);
    });
}

/// Asks `path` until it answers `status`, for at most `within`; returns how long that took.
fn wait_for(app: &TestApp, path: &str, status: u16, within: Duration) -> Duration {
    let started = Instant::now();
    loop {
        let response = app.get(path);
        if response.status == status {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < within,
            "{path} still answers {} after {within:?}: {}",
            response.status,
            response.body
        );
        thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn the_service_starts_without_its_database_and_is_ready_once_it_answers() {
    let database = TestDatabase::create();
    let link = Link::to(&database.connect_options(), false);
    let app = spawn_app_with_store(
        test_settings(),
        link.store_settings(&database.connect_options()),
    );

    assert_eq!(app.get("/health").status, 200);
    let not_ready = app.get("/ready");
    assert_eq!(not_ready.status, 503);
    assert_eq!(not_ready.json()["status"], "not_ready");
    assert_eq!(not_ready.json()["error"], "database_unavailable");

    link.restore();

    wait_for(&app, "/ready", 200, Duration::from_secs(5));
    assert_eq!(app.get("/users/1").status, 404);
}

#[test]
fn while_the_database_is_away_requests_get_a_json_503_within_the_acquire_timeout() {
    let database = TestDatabase::create();
    let link = Link::to(&database.connect_options(), true);
    let app = spawn_app_with_store(
        test_settings(),
        link.store_settings(&database.connect_options()),
    );
    let created = app.post_json("/users", br#"{"name":"Ada","email":"ada@example.com"}"#);
    assert_eq!(created.status, 201);
    let location = created.header("location").unwrap().to_owned();

    link.cut();

    for (method, path, body) in [
        ("GET", location.as_str(), &b""[..]),
        ("GET", "/users", b""),
        (
            "POST",
            "/users",
            br#"{"name":"Bob","email":"bob@example.com"}"#,
        ),
        ("GET", "/ready", b""),
    ] {
        let started = Instant::now();
        let response = app.request(method, path, Some("application/json"), body);
        let took = started.elapsed();

        assert_eq!(response.status, 503, "{method} {path}: {}", response.body);
        assert_eq!(response.json()["error"], "database_unavailable");
        assert!(
            took < ACQUIRE_TIMEOUT + SLACK,
            "{method} {path} took {took:?}"
        );
    }
    assert_eq!(app.get(&location).header("retry-after"), Some("1"));
    assert_eq!(app.get("/health").status, 200);

    link.restore();

    wait_for(&app, &location, 200, Duration::from_secs(5));
    assert_eq!(app.get(&location).json()["email"], "ada@example.com");
}

#[test]
fn metrics_show_the_pool_and_time_every_wait_for_a_connection() {
    let app = spawn_app();
    assert_eq!(
        app.post_json("/users", br#"{"name":"Ada","email":"ada@example.com"}"#)
            .status,
        201
    );
    for _ in 0..10 {
        assert_eq!(app.get("/users/1").status, 200);
    }

    let metrics = app.metrics();

    // One connection per store call: the POST and the ten reads.
    assert_eq!(metrics["db_pool_acquire_duration_seconds_count"], 11.0);
    assert_eq!(metrics["db_pool_acquire_timeouts_total"], 0.0);
    assert_eq!(metrics["db_pool_max_connections"], 5.0);
    let open = metrics[r#"db_pool_connections{state="idle"}"#]
        + metrics[r#"db_pool_connections{state="in_use"}"#];
    assert!((1.0..=5.0).contains(&open), "{open} connections open");
}

#[test]
fn a_database_that_never_answers_is_a_json_503_at_the_acquire_timeout_and_counted() {
    // Accepts connections (the kernel does, into the backlog) and never says a word.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let app = spawn_app_with_store(
        test_settings(),
        StoreSettings {
            acquire_timeout: ACQUIRE_TIMEOUT,
            ..StoreSettings::new(
                PgConnectOptions::new()
                    .host("127.0.0.1")
                    .port(silent.local_addr().unwrap().port())
                    .username("nobody"),
            )
        },
    );

    let started = Instant::now();
    let response = app.get("/users/1");
    let took = started.elapsed();

    assert_eq!(response.status, 503, "{}", response.body);
    assert_eq!(response.json()["error"], "database_unavailable");
    assert!(
        took >= ACQUIRE_TIMEOUT && took < ACQUIRE_TIMEOUT + SLACK,
        "answered after {took:?}"
    );
    let metrics = app.metrics();
    assert_eq!(metrics["db_pool_acquire_timeouts_total"], 1.0);
    assert_eq!(metrics["db_pool_acquire_duration_seconds_count"], 1.0);
}

#[test]
fn a_statement_past_the_statement_timeout_is_a_json_503_not_a_hang() {
    let database = TestDatabase::create();
    let statement_timeout = Duration::from_millis(300);
    let app = spawn_app_with_store(
        test_settings(),
        StoreSettings {
            statement_timeout,
            ..database.store_settings()
        },
    );
    let (locked_tx, locked_rx) = std::sync::mpsc::channel();
    let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
    let options = database.connect_options();
    let holder = thread::spawn(move || {
        block_on(async {
            let mut connection: PgConnection = options.connect().await.unwrap();
            sqlx::raw_sql("BEGIN; LOCK TABLE users IN ACCESS EXCLUSIVE MODE")
                .execute(&mut connection)
                .await
                .unwrap();
            locked_tx.send(()).unwrap();
            let _ = release_rx.recv();
        })
    });
    locked_rx.recv().unwrap();

    let started = Instant::now();
    let response = app.get("/users/1");
    let took = started.elapsed();
    release_tx.send(()).unwrap();
    holder.join().unwrap();

    assert_eq!(response.status, 503, "{}", response.body);
    assert!(took < statement_timeout + SLACK, "took {took:?}");
}

#[test]
fn refused_credentials_are_named_by_ready_without_the_password() {
    let database = TestDatabase::create();
    let app = spawn_app_with_store(
        test_settings(),
        StoreSettings::new(database.connect_options().password("not-the-s3cret")),
    );

    let ready = app.get("/ready");
    let user = app.get("/users/1");

    assert_eq!(ready.status, 503);
    let reason = ready.json()["reason"].as_str().unwrap().to_owned();
    assert!(reason.contains("refused the credentials"), "{reason}");
    assert_eq!(user.status, 503);
    for body in [&ready.body, &user.body] {
        assert!(!body.contains("not-the-s3cret"), "{body}");
    }
    assert!(!user.body.contains("password"), "{}", user.body);
}

#[test]
fn a_missing_database_is_named_by_ready() {
    let database = TestDatabase::create();
    let app = spawn_app_with_store(
        test_settings(),
        StoreSettings::new(database.connect_options().database("no_such_database")),
    );

    let ready = app.get("/ready");

    assert_eq!(ready.status, 503);
    let reason = ready.json()["reason"].as_str().unwrap().to_owned();
    assert!(
        reason.contains("\"no_such_database\" does not exist"),
        "{reason}"
    );
}

#[test]
fn migrations_from_several_processes_at_once_all_succeed_and_apply_once() {
    let database = TestDatabase::create_empty();

    let runs: Vec<_> = (0..4)
        .map(|_| {
            let settings = database.store_settings();
            thread::spawn(move || block_on(database::migrate(&settings, Duration::ZERO)))
        })
        .collect();
    let results: Vec<_> = runs.into_iter().map(|run| run.join().unwrap()).collect();

    for result in &results {
        assert!(result.is_ok(), "{result:?}");
    }
    let applied: i64 = block_on(async {
        let mut connection: PgConnection = database.connect_options().connect().await.unwrap();
        sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations")
            .fetch_one(&mut connection)
            .await
            .unwrap()
    });
    assert_eq!(applied, database::MIGRATOR.iter().count() as i64);
}

#[test]
fn run_migrations_makes_a_fresh_database_ready_by_itself() {
    let database = TestDatabase::create_empty();
    let app = spawn_app_with_store(
        test_settings(),
        StoreSettings {
            run_migrations: true,
            ..database.store_settings()
        },
    );

    wait_for(&app, "/ready", 200, Duration::from_secs(5));
    let created = app.post_json("/users", br#"{"name":"Ada","email":"ada@example.com"}"#);
    assert_eq!(created.status, 201, "{}", created.body);
}
