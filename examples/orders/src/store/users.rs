//! The users' queries: how each of the `users` resource's requests reads and writes the
//! `users` table (`migrations/`).

use super::{Store, StoreError};
use crate::users::{NewUser, User};

impl Store {
    pub async fn create_user(&self, user: &NewUser) -> Result<User, StoreError> {
        let inserted = self
            .database
            .run(async |connection| {
                let insert = sqlx::query_scalar::<_, i64>(
                    "INSERT INTO users (name, email) VALUES ($1, $2) RETURNING id",
                )
                .bind(&user.name)
                .bind(&user.email)
                .fetch_one(connection)
                .await;
                match insert {
                    Err(error) if is_duplicate_email(&error) => Ok(None),
                    result => result.map(Some),
                }
            })
            .await?;
        let id = inserted.ok_or_else(|| StoreError::EmailTaken {
            email: user.email.clone(),
        })?;
        Ok(User {
            id,
            name: user.name.clone(),
            email: user.email.clone(),
        })
    }

    pub async fn get_user(&self, id: i64) -> Result<Option<User>, StoreError> {
        let row = self
            .database
            .run(async |connection| {
                sqlx::query_as::<_, (i64, String, String)>(
                    "SELECT id, name, email FROM users WHERE id = $1",
                )
                .bind(id)
                .fetch_optional(connection)
                .await
            })
            .await?;
        Ok(row.map(|(id, name, email)| User { id, name, email }))
    }

    /// Up to `limit` users with ids above `after`, in id order.
    pub async fn list_users(&self, after: i64, limit: u32) -> Result<Vec<User>, StoreError> {
        let rows = self
            .database
            .run(async |connection| {
                sqlx::query_as::<_, (i64, String, String)>(
                    "SELECT id, name, email FROM users WHERE id > $1 ORDER BY id LIMIT $2",
                )
                .bind(after)
                .bind(i64::from(limit))
                .fetch_all(connection)
                .await
            })
            .await?;
        Ok(rows
            .into_iter()
            .map(|(id, name, email)| User { id, name, email })
            .collect())
    }
}

/// The unique index on `users.email` refused the insert.
fn is_duplicate_email(error: &sqlx::Error) -> bool {
    error
        .as_database_error()
        .and_then(|error| error.constraint())
        == Some("users_email_key")
}
