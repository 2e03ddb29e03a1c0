//! Users kept in process memory: every instance has its own, and a restart loses them all.
//! `MAX_USERS` bounds them, so no client can fill the container's memory.

use crate::settings::{SettingsError, read_value};
use crate::users::{NewUser, User};
use actix_web::http::StatusCode;
use prometheus::IntGauge;
use prometheus::core::{Collector, Desc};
use prometheus::proto::MetricFamily;
use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::sync::{Mutex, MutexGuard};

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
pub struct UserStore {
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

impl UserStore {
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

    fn lock(&self) -> MutexGuard<'_, Users> {
        // A panic aborts the process (panic = "abort"), so a poisoned lock holds consistent data.
        self.users
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub async fn create(&self, user: &NewUser) -> Result<User, StoreError> {
        let mut users = self.lock();
        if users.by_id.len() >= self.max_users {
            return Err(StoreError::Full {
                max_users: self.max_users,
            });
        }
        if !users.emails.insert(user.email.to_lowercase()) {
            return Err(StoreError::EmailTaken {
                email: user.email.clone(),
            });
        }
        users.last_id += 1;
        let created = User {
            id: users.last_id,
            name: user.name.clone(),
            email: user.email.clone(),
        };
        users.by_id.insert(created.id, created.clone());
        self.metrics.stored.inc();
        Ok(created)
    }

    pub async fn get(&self, id: i64) -> Result<Option<User>, StoreError> {
        Ok(self.lock().by_id.get(&id).cloned())
    }

    /// Up to `limit` users with ids above `after`, in id order.
    pub async fn list(&self, after: i64, limit: u32) -> Result<Vec<User>, StoreError> {
        Ok(self
            .lock()
            .by_id
            .range(after.saturating_add(1)..)
            .take(limit as usize)
            .map(|(_, user)| user.clone())
            .collect())
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
