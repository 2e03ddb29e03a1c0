//! A database of its own for every test: created on the server `DATABASE_URL` names, migrated
//! as `migrate` would, and dropped when the test ends, so tests never see each other's users.

use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::{AssertSqlSafe, ConnectOptions};
use std::str::FromStr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use {{crate_name}}::StoreSettings;
use {{crate_name}}::platform::database;

const NO_SERVER: &str = "the API tests need PostgreSQL: DATABASE_URL (in the environment or in \
    .env) must name a server whose user may create databases. With this project's compose file: \
    `docker compose up --detach --wait postgres`, then `cargo test` (README.md, \"Run it\")";

pub struct TestDatabase {
    pub name: String,
    server: PgConnectOptions,
}

/// The server the tests create their databases on: `DATABASE_URL` from the environment, or from
/// the project's `.env`, as `cargo run` reads it.
pub fn server() -> PgConnectOptions {
    let url = std::env::var("DATABASE_URL")
        .ok()
        .or_else(|| {
            let dotenv = concat!(env!("CARGO_MANIFEST_DIR"), "/.env");
            dotenvy::from_path_iter(dotenv)
                .ok()?
                .filter_map(Result::ok)
                .find_map(|(key, value)| (key == "DATABASE_URL").then_some(value))
        })
        .unwrap_or_else(|| panic!("{NO_SERVER}"));
    PgConnectOptions::from_str(&url)
        .unwrap_or_else(|error| panic!("DATABASE_URL does not parse ({error}); {NO_SERVER}"))
}

/// Runs `future` to completion on a runtime of its own, outside the app's.
pub fn block_on<F: Future>(future: F) -> F::Output {
    actix_web::rt::System::new().block_on(future)
}

async fn admin(server: &PgConnectOptions, sql: String) -> Result<(), sqlx::Error> {
    let mut connection: PgConnection = server.connect().await?;
    sqlx::raw_sql(AssertSqlSafe(sql))
        .execute(&mut connection)
        .await
        .map(drop)
}

impl TestDatabase {
    /// Creates a database of its own and migrates it.
    pub fn create() -> Self {
        let database = Self::create_empty();
        block_on(database::migrate(
            &database.store_settings(),
            Duration::ZERO,
        ))
        .unwrap_or_else(|error| panic!("migrations failed: {}", error.reason()));
        database
    }

    /// Creates a database named after this process and a counter, with no schema.
    pub fn create_empty() -> Self {
        static CREATED: AtomicUsize = AtomicUsize::new(0);
        let started = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_millis();
        let name = format!(
            "test_{}_{started}_{}",
            std::process::id(),
            CREATED.fetch_add(1, Ordering::Relaxed)
        );
        let database = Self {
            name,
            server: server(),
        };
        let create = format!(r#"CREATE DATABASE "{}""#, database.name);
        block_on(admin(&database.server, create))
            .unwrap_or_else(|error| panic!("cannot create a test database ({error}); {NO_SERVER}"));
        database
    }

    /// Settings that point the store at this database.
    pub fn store_settings(&self) -> StoreSettings {
        StoreSettings::new(self.connect_options())
    }

    pub fn connect_options(&self) -> PgConnectOptions {
        self.server.clone().database(&self.name)
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        // FORCE closes the app's pooled connections, which outlive the test by a moment.
        let drop = format!(r#"DROP DATABASE IF EXISTS "{}" WITH (FORCE)"#, self.name);
        if let Err(error) = block_on(admin(&self.server, drop)) {
            eprintln!("could not drop test database {}: {error}", self.name);
        }
    }
}
