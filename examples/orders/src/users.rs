//! The `users` resource: its types, what a valid one is, its routes and handlers; the same
//! HTTP contract whichever store keeps the users (`store/users.rs`). Yours to change.

use crate::platform::error::{ApiError, query_error};
use crate::platform::http::method_not_allowed;
use crate::store::Store;
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use std::future::{Ready, ready};

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

/// Registers the resource's routes (see `routes::configure`).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/users")
            .route(web::get().to(list))
            .route(web::head().to(list))
            .route(web::post().to(create))
            .default_service(web::to(|| method_not_allowed("GET, HEAD, POST"))),
    )
    .service(
        web::resource("/users/{id}")
            .route(web::get().to(get))
            .route(web::head().to(get))
            .default_service(web::to(|| method_not_allowed("GET, HEAD"))),
    );
}

/// `POST /users`: 201 with the stored user and its `Location`.
pub async fn create(
    store: web::Data<Store>,
    user: web::Json<NewUser>,
) -> Result<HttpResponse, ApiError> {
    let user = user.into_inner();
    user.validate().map_err(|message| ApiError::Unprocessable {
        code: "invalid_user",
        message,
    })?;
    let created = store.create_user(&user).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/users/{}", created.id)))
        .json(created))
}

/// `GET /users/{id}`.
pub async fn get(store: web::Data<Store>, UserId(id): UserId) -> Result<HttpResponse, ApiError> {
    match store.get_user(id).await? {
        Some(user) => Ok(HttpResponse::Ok().json(user)),
        None => Err(ApiError::Missing {
            code: "user_not_found",
            message: format!("no user has the id {id}"),
        }),
    }
}

/// A user's id as the path names it. Only the canonical form names a user: `5`, never `+5`,
/// `05` or `%35`, so one user has one URL.
pub struct UserId(pub i64);

impl FromRequest for UserId {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        // The raw segment, before percent-decoding: `%31` must not reach user 1.
        let raw = request.path().rsplit('/').next().unwrap_or_default();
        ready(parse_id(raw).map(UserId))
    }
}

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
struct PageQuery {
    limit: Option<String>,
    after: Option<String>,
}

/// A page of `GET /users`: `limit` users with ids above `after`.
pub struct Page {
    pub limit: u32,
    pub after: i64,
}

impl FromRequest for Page {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, actix_web::Error>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let page = web::Query::<PageQuery>::from_query(request.query_string())
            .map_err(|error| query_error(error, request))
            .and_then(|query| Page::checked(&query).map_err(actix_web::Error::from));
        ready(page)
    }
}

impl Page {
    fn checked(query: &PageQuery) -> Result<Page, ApiError> {
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
        Ok(Page { limit, after })
    }
}

#[derive(Serialize)]
struct Listed {
    users: Vec<User>,
    /// The next page's path, or `null` on the last page.
    next: Option<String>,
}

/// `GET /users`: users in id order, a page at a time. `after` is the last id the client has
/// seen (keyset pagination: a page costs the same however deep it is).
pub async fn list(store: web::Data<Store>, page: Page) -> Result<HttpResponse, ApiError> {
    let Page { limit, after } = page;
    // One more than asked for tells whether another page follows.
    let mut users = store.list_users(after, limit + 1).await?;
    let next = if users.len() > limit as usize {
        users.truncate(limit as usize);
        users
            .last()
            .map(|last| format!("/users?limit={limit}&after={}", last.id))
    } else {
        None
    };
    Ok(HttpResponse::Ok().json(Listed { users, next }))
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
