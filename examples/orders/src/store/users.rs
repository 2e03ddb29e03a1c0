//! The users' queries: how each of the `users` resource's requests reads and writes the
//! `users` table (`migrations/`).

use super::{Store, StoreError};
use crate::platform::database::{DatabaseError, Refusal};
use crate::users::{NewUser, User};

impl Store {
    pub async fn create_user(&self, user: &NewUser) -> Result<User, StoreError> {
        let inserted = self
            .database
            .run(async |connection| {
                sqlx::query_scalar::<_, i64>(
                    "INSERT INTO users (name, email) VALUES ($1, $2) RETURNING id",
                )
                .bind(&user.name)
                .bind(&user.email)
                .fetch_one(connection)
                .await
            })
            .await;
        let id = match inserted {
            Ok(id) => id,
            Err(DatabaseError::Refused(refusal)) => return Err(refused(user, refusal)),
            Err(error) => return Err(error.into()),
        };
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

/// What a value PostgreSQL refused means for the client: the unique index on the email, or the
/// field a constraint (`users_<field>_check`) or a NUL (SQLSTATE 22021, which `users.rs`
/// refuses first) names.
fn refused(user: &NewUser, refusal: Refusal) -> StoreError {
    if refusal.constraint.as_deref() == Some("users_email_key") {
        return StoreError::EmailTaken {
            email: user.email.clone(),
        };
    }
    let fields = [("name", &user.name), ("email", &user.email)];
    let field = match refusal.constraint.as_deref() {
        Some(constraint) => fields
            .iter()
            .find(|(field, _)| constraint.starts_with(&format!("users_{field}_")))
            .map(|(field, _)| *field),
        None if refusal.sqlstate == "22021" => fields
            .iter()
            .find(|(_, value)| value.contains('\0'))
            .map(|(field, _)| *field),
        None => None,
    };
    StoreError::Refused {
        field,
        message: format!("cannot be stored ({})", refusal.message),
    }
}
