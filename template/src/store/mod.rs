{%- if database == "postgres" -%}
//! The store: where the service keeps its data, one file of it per resource (`users.rs`).
//! Yours to change. Here in PostgreSQL, through the platform's pool (`platform::database`):
//! every query takes its connection through [`Database::run`], which hands it back.

mod users;

use crate::platform::database::{Database, DatabaseError};
use actix_web::http::StatusCode;
use prometheus::core::Collector;
use std::fmt;

pub use crate::platform::database::StoreSettings;

/// Why the store could not do what it was asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreError {
    EmailTaken {
        email: String,
    },
    /// The database refused a value the client sent: `field` names it when the store can tell.
    Refused {
        field: Option<&'static str>,
        message: String,
    },
    /// The database could not answer; the platform says why (`/ready`, the log).
    Database(DatabaseError),
}

impl From<DatabaseError> for StoreError {
    fn from(error: DatabaseError) -> Self {
        Self::Database(error)
    }
}

impl StoreError {
    pub fn status_code(&self) -> StatusCode {
        match self {
            Self::EmailTaken { .. } => StatusCode::CONFLICT,
            Self::Refused { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Database(error) => error.status_code(),
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            Self::EmailTaken { .. } => "email_taken",
            Self::Refused { .. } => "invalid_fields",
            Self::Database(error) => error.code(),
        }
    }

    /// The field whose value was refused, when the store can tell.
    pub fn field(&self) -> Option<&str> {
        match self {
            Self::Refused { field, .. } => *field,
            _ => None,
        }
    }

    /// What `/ready` and the log say: the whole story, which a client's message leaves out.
    pub fn reason(&self) -> String {
        match self {
            Self::EmailTaken { .. } | Self::Refused { .. } => self.to_string(),
            Self::Database(error) => error.reason(),
        }
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::EmailTaken { email } => {
                write!(f, "a user with the email {email:?} exists already")
            }
            Self::Refused {
                field: Some(field),
                message,
            } => write!(f, "{field}: {message}"),
            Self::Refused {
                field: None,
                message,
            } => f.write_str(message),
            Self::Database(error) => error.fmt(f),
        }
    }
}

/// The service's data: its queries are in one file per resource.
pub struct Store {
    database: Database,
}

impl Store {
    /// Builds the pool without connecting (see [`Database::new`]). Call it inside the actix
    /// runtime.
    pub fn new(settings: &StoreSettings) -> Self {
        Self {
            database: Database::new(settings),
        }
    }

    /// The pool's metrics, for `/metrics`.
    pub fn collector(&self) -> Box<dyn Collector> {
        self.database.collector()
    }

    /// Ready when the schema is migrated and the database answers.
    pub async fn ready(&self) -> Result<(), StoreError> {
        Ok(self.database.ready().await?)
    }
}
{%- else -%}
//! The store: where the service keeps its data, one file of it per resource (`users.rs`).
//! Yours to change. Here in process memory: every instance has its own, and a restart loses them
//! all. `MAX_USERS` bounds the users, so no client can fill the container's memory.

mod users;

use crate::platform::settings::{SettingsError, read_value};
use crate::users::User;
use actix_web::http::StatusCode;
use prometheus::IntGauge;
use prometheus::core::{Collector, Desc};
use prometheus::proto::MetricFamily;
use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::sync::Mutex;

/// How the store is configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreSettings {
    /// `MAX_USERS`: how many users the store holds before `POST /users` answers 507.
    pub max_users: usize,
}

impl Default for StoreSettings {
    fn default() -> Self {
        // About 500 bytes a user at the size limits: 5 MB at most.
        Self { max_users: 10_000 }
    }
}

impl StoreSettings {
    pub fn from_env() -> Result<Self, SettingsError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, SettingsError> {
        Ok(Self {
            max_users: read_value(
                &lookup,
                "MAX_USERS",
                "a whole number of users, at least 1",
                |v| v.parse().ok().filter(|max| *max > 0),
            )?
            .unwrap_or(Self::default().max_users),
        })
    }
}

/// Why the store could not do what it was asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreError {
    EmailTaken { email: String },
    Full { max_users: usize },
}

impl StoreError {
    pub fn status_code(&self) -> StatusCode {
        match self {
            Self::EmailTaken { .. } => StatusCode::CONFLICT,
            Self::Full { .. } => StatusCode::INSUFFICIENT_STORAGE,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            Self::EmailTaken { .. } => "email_taken",
            Self::Full { .. } => "storage_full",
        }
    }

    /// The field whose value was refused: none, in memory every valid value is kept.
    pub fn field(&self) -> Option<&str> {
        None
    }

    /// What `/ready` and the log say.
    pub fn reason(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::EmailTaken { email } => {
                write!(f, "a user with the email {email:?} exists already")
            }
            Self::Full { max_users } => write!(
                f,
                "this service keeps users in memory and holds at most {max_users} (MAX_USERS)"
            ),
        }
    }
}

/// The users, in id order, and their emails in lower case (an email is unique whatever its case).
pub struct Store {
    users: Mutex<Users>,
    max_users: usize,
    metrics: StoreMetrics,
}

#[derive(Default)]
struct Users {
    by_id: BTreeMap<i64, User>,
    emails: HashSet<String>,
    last_id: i64,
}

impl Store {
    pub fn new(settings: &StoreSettings) -> Self {
        log::info!(
            "users are kept in memory, at most {} (MAX_USERS)",
            settings.max_users
        );
        let metrics = StoreMetrics {
            stored: IntGauge::new("users_stored", "Users held in memory.").expect("a valid metric"),
            max: IntGauge::new(
                "users_max",
                "The most users memory holds (MAX_USERS); POST /users answers 507 past it.",
            )
            .expect("a valid metric"),
        };
        metrics
            .max
            .set(i64::try_from(settings.max_users).unwrap_or(i64::MAX));
        Self {
            users: Mutex::default(),
            max_users: settings.max_users,
            metrics,
        }
    }

    /// How full the store is, for `/metrics`.
    pub fn collector(&self) -> Box<dyn Collector> {
        Box::new(self.metrics.clone())
    }

    /// Ready as soon as it serves: the data is in this process.
    pub async fn ready(&self) -> Result<(), StoreError> {
        Ok(())
    }
}

#[derive(Clone)]
struct StoreMetrics {
    stored: IntGauge,
    max: IntGauge,
}

impl Collector for StoreMetrics {
    fn desc(&self) -> Vec<&Desc> {
        [self.stored.desc(), self.max.desc()].concat()
    }

    fn collect(&self) -> Vec<MetricFamily> {
        [self.stored.collect(), self.max.collect()].concat()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_users_is_read_and_zero_is_refused() {
        let read = |value: &str| {
            StoreSettings::from_lookup(|name| (name == "MAX_USERS").then(|| value.to_owned()))
        };
        assert_eq!(read("3"), Ok(StoreSettings { max_users: 3 }));
        let error = read("0").unwrap_err();
        assert_eq!(error.variable, "MAX_USERS");
    }
}
{%- endif %}
