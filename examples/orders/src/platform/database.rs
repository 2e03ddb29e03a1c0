//! Platform: the template maintains this file, and `cargo microservice upgrade` updates it.
//!
//! PostgreSQL: the pool, the one way a query gets a connection ([`Database::run`]), what the
//! driver's errors mean for a client, the pool's metrics and the migrations. The pool connects
//! lazily, so the service starts without its database; `/ready` says whether the database
//! answers; no request waits longer than the acquire timeout for a connection, nor longer than
//! the statement timeout for an answer. The schema lives in `migrations/`, compiled into the
//! binary and applied by `migrate`. The queries are the team's: `src/store/`.

use super::settings::{SettingsError, read_value};
use actix_web::http::StatusCode;
use actix_web::rt::time::{sleep, timeout};
use deadpool::managed::{self, Object, PoolError, RecycleResult};
use prometheus::core::{Collector, Desc};
use prometheus::proto::MetricFamily;
use prometheus::{Histogram, HistogramOpts, IntCounter, IntGauge, IntGaugeVec, Opts};
use sqlx::Connection;
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgConnection};
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// The migrations in `migrations/`, compiled in: the image needs no files and no tools to migrate.
pub static MIGRATOR: Migrator = sqlx::migrate!();

/// A connection idle longer than this is pinged before use; it may have outlived its server.
/// Busier connections are not: a ping per request would cost a round trip per request.
const PING_WHEN_IDLE_FOR: Duration = Duration::from_secs(1);

/// The pool of connections. deadpool rather than sqlx's own pool: sqlx pings every connection
/// as it comes back to its pool, one more round trip to PostgreSQL for each request (measured:
/// 20% fewer requests per second at 0.5 CPU, and as many pings as queries on the server).
type Pool = managed::Pool<Connector>;

/// Opens the pool's connections, and tests one that sat idle before it is handed out again.
struct Connector {
    options: PgConnectOptions,
}

impl managed::Manager for Connector {
    type Type = PgConnection;
    type Error = sqlx::Error;

    async fn create(&self) -> Result<PgConnection, sqlx::Error> {
        PgConnection::connect_with(&self.options).await
    }

    async fn recycle(
        &self,
        connection: &mut PgConnection,
        metrics: &managed::Metrics,
    ) -> RecycleResult<sqlx::Error> {
        if metrics.last_used() > PING_WHEN_IDLE_FOR {
            connection.ping().await?;
        }
        Ok(())
    }
}

/// A connection from the pool for one call. It goes back to the pool only when the call ended
/// cleanly (rows, or an error from PostgreSQL that leaves the session usable); a call cut short
/// by a timeout, or a network error, leaves it mid-conversation, so it is closed instead.
struct Lease {
    connection: Option<Object<Connector>>,
    reusable: bool,
}

impl Lease {
    fn connection(&mut self) -> &mut PgConnection {
        self.connection.as_mut().expect("leased until dropped")
    }

    /// Hands back `result`, noting whether the connection can serve another call.
    fn finish<T>(mut self, result: Result<T, sqlx::Error>) -> Result<T, sqlx::Error> {
        self.reusable = match &result {
            Ok(_) => true,
            Err(sqlx::Error::Database(error)) => {
                let code = error.code().unwrap_or_default();
                !(code.starts_with("08") || code.starts_with("57P"))
            }
            Err(sqlx::Error::RowNotFound | sqlx::Error::ColumnDecode { .. }) => true,
            Err(_) => false,
        };
        result
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        if !self.reusable
            && let Some(connection) = self.connection.take()
        {
            drop(Object::take(connection));
        }
    }
}

/// How the store reaches PostgreSQL.
#[derive(Clone)]
pub struct StoreSettings {
    /// `DATABASE_URL`, parsed. It holds the password: never logged, never in a response.
    pub connect: PgConnectOptions,
    /// `DATABASE_POOL_SIZE`: the most connections the service opens.
    pub pool_size: u32,
    /// `DATABASE_ACQUIRE_TIMEOUT_MS`: the longest a request waits for a connection.
    pub acquire_timeout: Duration,
    /// `DATABASE_STATEMENT_TIMEOUT_MS`: the longest PostgreSQL runs one statement.
    pub statement_timeout: Duration,
    /// `RUN_MIGRATIONS`: apply the migrations at start (in the background, while `/ready` says 503).
    pub run_migrations: bool,
}

impl StoreSettings {
    /// Settings for `connect` with every other value at its default.
    pub fn new(connect: PgConnectOptions) -> Self {
        Self {
            connect,
            pool_size: 5,
            acquire_timeout: Duration::from_secs(2),
            statement_timeout: Duration::from_secs(5),
            run_migrations: false,
        }
    }

    pub fn from_env() -> Result<Self, SettingsError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, SettingsError> {
        let connect = read_value(&lookup, "DATABASE_URL", URL_FORM, |url| parse_url(url).ok())
            .map_err(|error| SettingsError {
                value: redact(&error.value),
                ..error
            })?
            .ok_or_else(|| SettingsError {
                variable: "DATABASE_URL",
                value: String::new(),
                expected: URL_FORM,
            })?;
        let defaults = Self::new(connect);
        let millis = |variable, expected, max: u64| {
            read_value(&lookup, variable, expected, |v| {
                v.parse()
                    .ok()
                    .filter(|ms| (1..=max).contains(ms))
                    .map(Duration::from_millis)
            })
        };
        Ok(Self {
            pool_size: read_value(
                &lookup,
                "DATABASE_POOL_SIZE",
                "a whole number of connections from 1 to 100",
                |v| v.parse().ok().filter(|size| (1..=100).contains(size)),
            )?
            .unwrap_or(defaults.pool_size),
            acquire_timeout: millis(
                "DATABASE_ACQUIRE_TIMEOUT_MS",
                "whole milliseconds from 1 to 60000",
                60_000,
            )?
            .unwrap_or(defaults.acquire_timeout),
            statement_timeout: millis(
                "DATABASE_STATEMENT_TIMEOUT_MS",
                "whole milliseconds from 1 to 600000",
                600_000,
            )?
            .unwrap_or(defaults.statement_timeout),
            run_migrations: read_value(&lookup, "RUN_MIGRATIONS", "true or false", |v| {
                v.parse().ok()
            })?
            .unwrap_or(defaults.run_migrations),
            ..defaults
        })
    }

    fn connect_options(&self) -> PgConnectOptions {
        self.connect
            .clone()
            .application_name(env!("CARGO_PKG_NAME"))
            .options([(
                "statement_timeout",
                self.statement_timeout.as_millis().to_string(),
            )])
    }
}

const URL_FORM: &str = "a URL such as postgres://USER:PASSWORD@HOST:5432/DATABASE";

fn parse_url(url: &str) -> Result<PgConnectOptions, sqlx::Error> {
    if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
        return Err(sqlx::Error::Configuration("not a postgres:// URL".into()));
    }
    PgConnectOptions::from_str(url)
}

/// `url` with its password hidden, fit for a message: `postgres://app:***@db:5432/orders`.
/// A value that is not a URL at all may be nothing but a password, so none of it is shown.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return "(hidden: not a URL)".to_owned();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let authority = match authority.rsplit_once('@') {
        Some((user_info, host)) => match user_info.split_once(':') {
            Some((user, _password)) => format!("{user}:***@{host}"),
            None => format!("{user_info}@{host}"),
        },
        None => authority.to_owned(),
    };
    // The password may also come as a query parameter.
    let tail = match tail.split_once('?') {
        Some((path, query)) if query.contains("password") => format!("{path}?***"),
        _ => tail.to_owned(),
    };
    format!("{scheme}://{authority}{tail}")
}

/// Where the store connects, without the password: `app@db:5432/orders`.
fn target(connect: &PgConnectOptions) -> String {
    format!(
        "{}@{}:{}/{}",
        connect.get_username(),
        connect.get_host(),
        connect.get_port(),
        connect.get_database().unwrap_or(connect.get_username())
    )
}

impl fmt::Debug for StoreSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoreSettings")
            .field("database", &target(&self.connect))
            .field("pool_size", &self.pool_size)
            .field("acquire_timeout", &self.acquire_timeout)
            .field("statement_timeout", &self.statement_timeout)
            .field("run_migrations", &self.run_migrations)
            .finish()
    }
}

/// Why the database could not answer a query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseError {
    /// The database cannot be used now; `reason` is for logs and `/ready`, never a secret.
    Unavailable { reason: String },
    /// PostgreSQL refused a value the query sent (SQLSTATE class 22, data exception, or 23,
    /// integrity constraint): the client's input, so a 4xx, never an ERROR line. The store
    /// names the field (`store/`).
    Refused(Refusal),
    /// Anything else; the detail goes to the log, not to the client.
    Internal { detail: String },
}

/// What PostgreSQL said when it refused a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// `23505` (unique), `23514` (check), `22021` (a byte its encoding refuses: NUL), ...
    pub sqlstate: String,
    /// The constraint that refused it, when one did (`users_email_key`).
    pub constraint: Option<String>,
    pub message: String,
}

impl DatabaseError {
    pub fn status_code(&self) -> StatusCode {
        match self {
            Self::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Self::Refused(refusal) if refusal.sqlstate == "23505" => StatusCode::CONFLICT,
            Self::Refused(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Internal { .. } => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            Self::Unavailable { .. } => "database_unavailable",
            Self::Refused(refusal) if refusal.sqlstate == "23505" => "conflict",
            Self::Refused(_) => "invalid_fields",
            Self::Internal { .. } => "internal_error",
        }
    }

    /// What `/ready` and the log say: the whole story, which a client's message leaves out.
    pub fn reason(&self) -> String {
        match self {
            Self::Unavailable { reason } => reason.clone(),
            Self::Refused(refusal) => format!(
                "the database refused a value ({}): {}",
                refusal.sqlstate, refusal.message
            ),
            Self::Internal { detail } => detail.clone(),
        }
    }
}

impl fmt::Display for DatabaseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unavailable { .. } => {
                f.write_str("the database is unavailable; try again in a moment")
            }
            Self::Refused(refusal) if refusal.sqlstate == "23505" => {
                f.write_str("a value that must be unique is taken already")
            }
            Self::Refused(_) => f.write_str("a value cannot be stored"),
            Self::Internal { .. } => f.write_str("the service failed to handle this request"),
        }
    }
}

/// Sorts a driver error into what a client may learn (unavailable: try later) and what only
/// the log should hold. Server messages name users and databases, never passwords.
fn classify(error: sqlx::Error) -> DatabaseError {
    let unavailable = |reason: String| DatabaseError::Unavailable { reason };
    match error {
        sqlx::Error::Database(error) => {
            let message = error.message();
            match error.code().as_deref().unwrap_or("") {
                "28P01" | "28000" => unavailable(format!(
                    "the database refused the credentials in DATABASE_URL ({message})"
                )),
                "3D000" => unavailable(format!(
                    "{message}: create it, or correct the database name in DATABASE_URL"
                )),
                "42P01" => unavailable(format!(
                    "{message}: the schema is not migrated; run `{} migrate` or start with RUN_MIGRATIONS=true",
                    env!("CARGO_PKG_NAME")
                )),
                "57014" => unavailable(format!(
                    "a statement ran past DATABASE_STATEMENT_TIMEOUT_MS ({message})"
                )),
                // Connection exceptions, shutdowns and restarts, too many connections.
                code if code.starts_with("08") || code.starts_with("57P") || code == "53300" => {
                    unavailable(message.to_owned())
                }
                // What the values sent can cause: the client's to fix.
                code if code.starts_with("22") || code.starts_with("23") => {
                    DatabaseError::Refused(Refusal {
                        sqlstate: code.to_owned(),
                        constraint: error.constraint().map(str::to_owned),
                        message: message.to_owned(),
                    })
                }
                code => DatabaseError::Internal {
                    detail: format!("database error {code}: {message}"),
                },
            }
        }
        sqlx::Error::PoolTimedOut => unavailable(
            "no database connection within DATABASE_ACQUIRE_TIMEOUT_MS (is the database up?)"
                .to_owned(),
        ),
        sqlx::Error::Io(error) => unavailable(format!("cannot reach the database: {error}")),
        sqlx::Error::Tls(error) => unavailable(format!("TLS with the database failed: {error}")),
        error @ (sqlx::Error::Protocol(_)
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed) => unavailable(error.to_string()),
        error => DatabaseError::Internal {
            detail: error.to_string(),
        },
    }
}

/// The pool, and what the service knows of the database: the store's handle on PostgreSQL.
pub struct Database {
    pool: Pool,
    metrics: PoolMetrics,
    acquire_timeout: Duration,
    /// The longest one call waits: a connection, then the statement. A safety net for what
    /// the pool and the server cannot bound themselves, such as a network that went silent.
    deadline: Duration,
    /// Whether the schema is migrated, as far as this process knows (`RUN_MIGRATIONS`).
    migrated: Arc<AtomicBool>,
    /// Whether the last call reached the database; changes are logged once, not per request.
    available: AtomicBool,
}

impl Database {
    /// Builds the pool without connecting; with `RUN_MIGRATIONS=true`, migrates in the
    /// background. Call it inside the actix runtime.
    pub fn new(settings: &StoreSettings) -> Self {
        let pool = Pool::builder(Connector {
            options: settings.connect_options(),
        })
        .max_size(settings.pool_size as usize)
        .build()
        .expect("a pool without timeouts of its own needs no runtime");
        log::info!(
            "users are kept in PostgreSQL at {}: up to {} connections, acquire timeout {} ms, statement timeout {} ms",
            target(&settings.connect),
            settings.pool_size,
            settings.acquire_timeout.as_millis(),
            settings.statement_timeout.as_millis()
        );
        let migrated = Arc::new(AtomicBool::new(!settings.run_migrations));
        if settings.run_migrations {
            actix_web::rt::spawn(migrate_until_done(pool.clone(), Arc::clone(&migrated)));
        }
        Self {
            metrics: PoolMetrics::new(pool.clone(), settings.pool_size),
            pool,
            acquire_timeout: settings.acquire_timeout,
            deadline: settings.acquire_timeout + settings.statement_timeout,
            migrated,
            available: AtomicBool::new(true),
        }
    }

    /// The pool's metrics (connections in use and idle, acquire waits and timeouts), for
    /// `/metrics`.
    pub fn collector(&self) -> Box<dyn Collector> {
        Box::new(self.metrics.clone())
    }

    /// A connection from the pool within the acquire timeout (a wait for a free one and,
    /// when there is room, opening a new one, together), its wait measured.
    async fn lease(&self) -> Result<Lease, sqlx::Error> {
        let started = Instant::now();
        let connection = match timeout(self.acquire_timeout, self.pool.get()).await {
            Ok(Ok(connection)) => Ok(connection),
            Ok(Err(PoolError::Backend(error))) => Err(error),
            Ok(Err(PoolError::Closed)) => Err(sqlx::Error::PoolClosed),
            Ok(Err(error)) => Err(sqlx::Error::Protocol(error.to_string())),
            Err(_) => {
                self.metrics.acquire_timeouts.inc();
                Err(sqlx::Error::PoolTimedOut)
            }
        };
        self.metrics
            .acquire_wait
            .observe(started.elapsed().as_secs_f64());
        connection.map(|connection| Lease {
            connection: Some(connection),
            reusable: false,
        })
    }

    /// Runs `query` within the deadline and sorts out its error; logs when the database goes
    /// away or comes back.
    async fn call<T>(
        &self,
        query: impl Future<Output = Result<T, sqlx::Error>>,
    ) -> Result<T, DatabaseError> {
        let result = match timeout(self.deadline, query).await {
            Ok(result) => result.map_err(classify),
            Err(_) => Err(DatabaseError::Unavailable {
                reason: format!(
                    "the database did not answer within {} ms",
                    self.deadline.as_millis()
                ),
            }),
        };
        match &result {
            Err(DatabaseError::Unavailable { reason }) => {
                if self.available.swap(false, Ordering::Relaxed) {
                    log::warn!("the database is unavailable: {reason}");
                }
            }
            Err(DatabaseError::Internal { detail }) => {
                log::error!("database call failed: {detail}")
            }
            // Rows, or a value refused (the client's to fix; the access log has the 4xx): the
            // database answers.
            _ => {
                if !self.available.swap(true, Ordering::Relaxed) {
                    log::info!("the database answers again");
                }
            }
        }
        result
    }

    /// Runs one query on a connection of the pool: a connection within the acquire timeout, the
    /// whole call within the deadline. The connection goes back to the pool only when the query
    /// ended cleanly (rows, or an error from PostgreSQL that leaves the session usable); one cut
    /// short is closed. Every query of the store comes through here, so none can forget to hand
    /// its connection back.
    pub async fn run<T>(
        &self,
        query: impl AsyncFnOnce(&mut PgConnection) -> Result<T, sqlx::Error>,
    ) -> Result<T, DatabaseError> {
        self.call(async {
            let mut lease = self.lease().await?;
            let result = query(lease.connection()).await;
            lease.finish(result)
        })
        .await
    }

    /// Ready when the schema is migrated (as far as this process knows) and `SELECT 1` answers.
    pub async fn ready(&self) -> Result<(), DatabaseError> {
        if !self.migrated.load(Ordering::Relaxed) {
            return Err(DatabaseError::Unavailable {
                reason: "the migrations have not been applied yet (RUN_MIGRATIONS=true)".to_owned(),
            });
        }
        self.run(async |connection| sqlx::query("SELECT 1").execute(connection).await)
            .await
            .map(drop)
    }
}

/// Upper bounds in seconds for the wait for a connection: next to nothing while one is idle,
/// up to the acquire timeout when every connection is busy or the database is away.
const ACQUIRE_BUCKETS: [f64; 12] = [
    0.00001, 0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

/// The pool as Prometheus sees it; the connection counts are read from the pool at scrape time.
#[derive(Clone)]
struct PoolMetrics {
    pool: Pool,
    connections: IntGaugeVec,
    max_connections: IntGauge,
    acquire_wait: Histogram,
    acquire_timeouts: IntCounter,
}

impl PoolMetrics {
    fn new(pool: Pool, max_connections: u32) -> Self {
        let metrics = Self {
            pool,
            connections: IntGaugeVec::new(
                Opts::new(
                    "db_pool_connections",
                    "Open database connections, in use by a request or idle in the pool.",
                ),
                &["state"],
            )
            .expect("a valid metric"),
            max_connections: IntGauge::new(
                "db_pool_max_connections",
                "The most connections the pool opens (DATABASE_POOL_SIZE).",
            )
            .expect("a valid metric"),
            acquire_wait: Histogram::with_opts(
                HistogramOpts::new(
                    "db_pool_acquire_duration_seconds",
                    "Time a request waited for a database connection.",
                )
                .buckets(ACQUIRE_BUCKETS.to_vec()),
            )
            .expect("a valid metric"),
            acquire_timeouts: IntCounter::new(
                "db_pool_acquire_timeouts_total",
                "Requests that got no connection within DATABASE_ACQUIRE_TIMEOUT_MS.",
            )
            .expect("a valid metric"),
        };
        metrics.max_connections.set(i64::from(max_connections));
        metrics
    }
}

impl Collector for PoolMetrics {
    fn desc(&self) -> Vec<&Desc> {
        [
            self.connections.desc(),
            self.max_connections.desc(),
            self.acquire_wait.desc(),
            self.acquire_timeouts.desc(),
        ]
        .concat()
    }

    fn collect(&self) -> Vec<MetricFamily> {
        let status = self.pool.status();
        let open = i64::try_from(status.size).unwrap_or(i64::MAX);
        let idle = i64::try_from(status.available).unwrap_or(open);
        self.connections.with_label_values(&["idle"]).set(idle);
        self.connections
            .with_label_values(&["in_use"])
            .set((open - idle).max(0));
        [
            self.connections.collect(),
            self.max_connections.collect(),
            self.acquire_wait.collect(),
            self.acquire_timeouts.collect(),
        ]
        .concat()
    }
}

/// `RUN_MIGRATIONS=true`: retries until the migrations are applied, then marks the store ready.
async fn migrate_until_done(pool: Pool, migrated: Arc<AtomicBool>) {
    loop {
        let applied = match pool.get().await {
            Ok(mut connection) => MIGRATOR
                .run(&mut *connection)
                .await
                .map_err(|e| e.to_string()),
            Err(error) => Err(error.to_string()),
        };
        match applied {
            Ok(()) => {
                log::info!("migrations applied at start (RUN_MIGRATIONS=true)");
                migrated.store(true, Ordering::Relaxed);
                return;
            }
            Err(error) => {
                log::warn!("cannot apply the migrations yet, retrying in 2 s: {error}");
                sleep(Duration::from_secs(2)).await;
            }
        }
    }
}

/// Applies the migrations that are not applied yet and returns the schema's version.
///
/// Safe to run from several processes at once (replicas, init containers): sqlx holds a
/// PostgreSQL advisory lock while it migrates. A database that is not reachable yet is waited
/// for, up to `wait`; refused credentials or a missing database fail at once.
pub async fn migrate(settings: &StoreSettings, wait: Duration) -> Result<i64, DatabaseError> {
    let started = std::time::Instant::now();
    let mut connection = loop {
        let attempt = sqlx::ConnectOptions::connect(&settings.connect_options()).await;
        match attempt.map_err(classify) {
            Ok(connection) => break connection,
            Err(DatabaseError::Unavailable { reason })
                if started.elapsed() < wait && reason.starts_with("cannot reach") =>
            {
                log::warn!("waiting for the database: {reason}");
                sleep(Duration::from_secs(1)).await;
            }
            Err(error) => return Err(error),
        }
    };
    MIGRATOR
        .run(&mut connection)
        .await
        .map_err(|error| DatabaseError::Internal {
            detail: format!("the migrations failed: {error}"),
        })?;
    Ok(MIGRATOR
        .iter()
        .map(|migration| migration.version)
        .max()
        .unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings_from(vars: &[(&str, &str)]) -> Result<StoreSettings, SettingsError> {
        StoreSettings::from_lookup(|name| {
            vars.iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| value.to_string())
        })
    }

    const URL: (&str, &str) = ("DATABASE_URL", "postgres://app:s3cret@db:5432/orders");

    #[test]
    fn a_url_alone_gives_the_defaults() {
        let settings = settings_from(&[URL]).unwrap();
        assert_eq!(target(&settings.connect), "app@db:5432/orders");
        assert_eq!(settings.pool_size, 5);
        assert_eq!(settings.acquire_timeout, Duration::from_secs(2));
        assert_eq!(settings.statement_timeout, Duration::from_secs(5));
        assert!(!settings.run_migrations);
    }

    #[test]
    fn set_variables_are_honoured() {
        let settings = settings_from(&[
            URL,
            ("DATABASE_POOL_SIZE", "9"),
            ("DATABASE_ACQUIRE_TIMEOUT_MS", "250"),
            ("DATABASE_STATEMENT_TIMEOUT_MS", "1500"),
            ("RUN_MIGRATIONS", "true"),
        ])
        .unwrap();
        assert_eq!(settings.pool_size, 9);
        assert_eq!(settings.acquire_timeout, Duration::from_millis(250));
        assert_eq!(settings.statement_timeout, Duration::from_millis(1500));
        assert!(settings.run_migrations);
    }

    #[test]
    fn a_missing_url_says_what_to_set() {
        let error = settings_from(&[]).unwrap_err();
        assert_eq!(error.variable, "DATABASE_URL");
        assert!(
            error
                .to_string()
                .contains("postgres://USER:PASSWORD@HOST:5432/DATABASE")
        );
    }

    #[test]
    fn a_bad_url_is_named_without_its_password() {
        for url in [
            "postgres://app:s3cret@db:notaport/orders",
            "mysql://app:s3cret@db:3306/orders",
            "s3cret",
            "postgres://db/orders?user=app&password=s3cret&port=x",
        ] {
            let error = settings_from(&[("DATABASE_URL", url)]).unwrap_err();
            let message = error.to_string();
            assert_eq!(error.variable, "DATABASE_URL");
            assert!(!message.contains("s3cret"), "{message}");
        }
    }

    #[test]
    fn a_bad_bound_names_its_variable() {
        for (variable, value) in [
            ("DATABASE_POOL_SIZE", "0"),
            ("DATABASE_ACQUIRE_TIMEOUT_MS", "2s"),
            ("DATABASE_STATEMENT_TIMEOUT_MS", "0"),
            ("RUN_MIGRATIONS", "yes"),
        ] {
            let error = settings_from(&[URL, (variable, value)]).unwrap_err();
            assert_eq!(error.variable, variable);
        }
    }

    #[test]
    fn debug_output_holds_no_password() {
        let settings = settings_from(&[URL]).unwrap();
        assert!(!format!("{settings:?}").contains("s3cret"));
    }

    #[test]
    fn redact_hides_the_password_and_keeps_the_rest() {
        assert_eq!(
            redact("postgres://app:s3cret@db:5432/orders?sslmode=require"),
            "postgres://app:***@db:5432/orders?sslmode=require"
        );
        assert_eq!(redact("postgres://db/orders"), "postgres://db/orders");
    }
}
