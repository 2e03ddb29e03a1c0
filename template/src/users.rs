//! The `users` resource: its HTTP contract, the same whichever store keeps the users.

use crate::UserStore;
use crate::error::ApiError;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};

/// The longest name accepted, in characters.
pub const MAX_NAME_CHARS: usize = 200;
/// The longest email address accepted, in characters (RFC 5321's limit for a path).
pub const MAX_EMAIL_CHARS: usize = 254;
/// The page size of `GET /users` when `limit` is not given.
pub const DEFAULT_PAGE_SIZE: u32 = 20;
/// The largest page `GET /users` serves: a bound on the work one request can ask for.
pub const MAX_PAGE_SIZE: u32 = 100;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    pub id: i64,
    pub name: String,
    pub email: String,
}

/// The body of `POST /users`. It is stored as sent, byte for byte, once it is valid.
#[derive(Debug, Clone, Deserialize)]
pub struct NewUser {
    pub name: String,
    pub email: String,
}

impl NewUser {
    /// Says what is wrong with the user, in a sentence a client can show.
    pub fn validate(&self) -> Result<(), String> {
        let name_chars = self.name.chars().count();
        if self.name.trim().is_empty() || name_chars > MAX_NAME_CHARS {
            return Err(format!(
                "name must be 1 to {MAX_NAME_CHARS} characters and not only white space"
            ));
        }
        let email_chars = self.email.chars().count();
        let well_formed = self
            .email
            .split_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && !domain.is_empty())
            && !self.email.chars().any(char::is_whitespace);
        if !well_formed || email_chars > MAX_EMAIL_CHARS {
            return Err(format!(
                "email must look like name@example.com, without white space, at most {MAX_EMAIL_CHARS} characters"
            ));
        }
        Ok(())
    }
}

/// `POST /users`: 201 with the stored user and its `Location`.
pub async fn create(
    users: web::Data<UserStore>,
    user: web::Json<NewUser>,
) -> Result<HttpResponse, ApiError> {
    let user = user.into_inner();
    user.validate().map_err(|message| ApiError::Unprocessable {
        code: "invalid_user",
        message,
    })?;
    let created = users.create(&user).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/users/{}", created.id)))
        .json(created))
}

/// `GET /users/{id}`.
pub async fn get(
    users: web::Data<UserStore>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    // The raw segment, before percent-decoding: `%31` must not reach user 1.
    let raw = request.path().rsplit('/').next().unwrap_or_default();
    let id = parse_id(raw)?;
    match users.get(id).await? {
        Some(user) => Ok(HttpResponse::Ok().json(user)),
        None => Err(ApiError::UserNotFound { id }),
    }
}

/// Only the canonical form names a user: `5`, never `+5`, `05` or `%35`, so one user has one URL.
fn parse_id(raw: &str) -> Result<i64, ApiError> {
    let canonical = raw.bytes().all(|byte| byte.is_ascii_digit()) && !raw.starts_with('0');
    match raw.parse::<i64>() {
        Ok(id) if canonical && id > 0 => Ok(id),
        _ => Err(ApiError::BadRequest {
            code: "invalid_user_id",
            message: format!(
                "user id must be a whole number from 1 to {} without sign or leading zeros, got {raw:?}",
                i64::MAX
            ),
        }),
    }
}

/// `GET /users?limit=&after=`: the query as sent; each value is checked on its own so the
/// error can name it.
#[derive(Deserialize)]
pub struct PageQuery {
    limit: Option<String>,
    after: Option<String>,
}

#[derive(Serialize)]
struct Page {
    users: Vec<User>,
    /// The next page's path, or `null` on the last page.
    next: Option<String>,
}

/// `GET /users`: users in id order, a page at a time. `after` is the last id the client has
/// seen (keyset pagination: a page costs the same however deep it is).
pub async fn list(
    users: web::Data<UserStore>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let limit = match query.limit.as_deref() {
        None => DEFAULT_PAGE_SIZE,
        Some(raw) => raw
            .parse()
            .ok()
            .filter(|limit| (1..=MAX_PAGE_SIZE).contains(limit))
            .ok_or_else(|| ApiError::BadRequest {
                code: "invalid_limit",
                message: format!(
                    "limit must be a whole number from 1 to {MAX_PAGE_SIZE}, got {raw:?}"
                ),
            })?,
    };
    let after = match query.after.as_deref() {
        None => 0,
        Some(raw) => raw
            .parse()
            .ok()
            .filter(|after| *after >= 0)
            .ok_or_else(|| ApiError::BadRequest {
                code: "invalid_after",
                message: format!("after must be the last user id of the previous page, a whole number from 0, got {raw:?}"),
            })?,
    };
    // One more than asked for tells whether another page follows.
    let mut page = users.list(after, limit + 1).await?;
    let next = if page.len() > limit as usize {
        page.truncate(limit as usize);
        page.last()
            .map(|last| format!("/users?limit={limit}&after={}", last.id))
    } else {
        None
    };
    Ok(HttpResponse::Ok().json(Page { users: page, next }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(name: &str, email: &str) -> NewUser {
        NewUser {
            name: name.to_owned(),
            email: email.to_owned(),
        }
    }

    #[test]
    fn a_plain_user_is_valid() {
        assert_eq!(user("Ada Lovelace", "ada@example.com").validate(), Ok(()));
    }

    #[test]
    fn blank_long_or_malformed_fields_are_refused() {
        let long_name = "x".repeat(MAX_NAME_CHARS + 1);
        let long_email = format!("{}@example.com", "x".repeat(MAX_EMAIL_CHARS));
        for (name, email) in [
            ("", "ada@example.com"),
            ("   ", "ada@example.com"),
            (long_name.as_str(), "ada@example.com"),
            ("Ada", "ada.example.com"),
            ("Ada", "@example.com"),
            ("Ada", "ada@"),
            ("Ada", "ada @example.com"),
            ("Ada", long_email.as_str()),
        ] {
            assert!(user(name, email).validate().is_err(), "{name:?} {email:?}");
        }
    }

    #[test]
    fn limits_count_characters_not_bytes() {
        let name = "é".repeat(MAX_NAME_CHARS);
        assert_eq!(user(&name, "ada@example.com").validate(), Ok(()));
    }
}
