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
