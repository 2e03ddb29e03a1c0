//! The `users` resource: its types, what a valid one is, its routes and handlers; the same
//! HTTP contract whichever store keeps the users (`store/users.rs`). Yours to change.

use crate::platform::error::{ApiError, ErrorBody, query_error};
use crate::platform::http::method_not_allowed;
use crate::platform::json::Json;
use crate::platform::text;
use crate::store::Store;
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use std::future::{Ready, ready};
use utoipa::openapi::schema::{Object, ObjectBuilder, Type};
use utoipa::{IntoParams, OpenApi, ToSchema};

/// The longest name accepted, in characters.
pub const MAX_NAME_CHARS: usize = 200;
/// The longest email address accepted, in characters (RFC 5321's limit for a path).
pub const MAX_EMAIL_CHARS: usize = 254;
/// The page size of `GET /users` when `limit` is not given.
pub const DEFAULT_PAGE_SIZE: u32 = 20;
/// The largest page `GET /users` serves: a bound on the work one request can ask for.
pub const MAX_PAGE_SIZE: u32 = 100;

/// A stored user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(example = json!({"id": 1, "name": "Ada Lovelace", "email": "ada@example.com"}))]
pub struct User {
    #[schema(minimum = 1)]
    pub id: i64,
    pub name: String,
    pub email: String,
}

/// The body of `POST /users`. It is stored as sent, byte for byte, once it is valid.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[schema(example = json!({"name": "Ada Lovelace", "email": "ada@example.com"}))]
pub struct NewUser {
    /// 1 to 200 characters, not only white space, no control characters (README.md, "API").
    #[schema(schema_with = name_schema)]
    pub name: String,
    /// `local@domain`, no white space, at most 254 characters, no control characters.
    #[schema(schema_with = email_schema)]
    pub email: String,
}

fn name_schema() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(Some(1))
        .max_length(Some(MAX_NAME_CHARS))
        .pattern(Some(text::pattern(true)))
        .build()
}

fn email_schema() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(Some(3))
        .max_length(Some(MAX_EMAIL_CHARS))
        .pattern(Some(text::email_pattern()))
        .build()
}

impl NewUser {
    /// Says which field is wrong and why, in a sentence a client can show. The same rules for
    /// every store, so a value one would keep the other never refuses.
    pub fn validate(&self) -> Result<(), ApiError> {
        let invalid =
            |field: &str, message: String| ApiError::invalid(Some(field.to_owned()), message);
        text::check(&self.name).map_err(|message| invalid("name", message))?;
        if self.name.chars().all(text::is_space) || self.name.chars().count() > MAX_NAME_CHARS {
            return Err(invalid(
                "name",
                format!("must be 1 to {MAX_NAME_CHARS} characters and not only white space"),
            ));
        }
        text::check(&self.email).map_err(|message| invalid("email", message))?;
        let well_formed = self
            .email
            .split_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && !domain.is_empty())
            && !self.email.chars().any(text::is_space);
        if !well_formed || self.email.chars().count() > MAX_EMAIL_CHARS {
            return Err(invalid(
                "email",
                format!(
                    "must look like name@example.com, without white space, at most {MAX_EMAIL_CHARS} characters"
                ),
            ));
        }
        Ok(())
    }
}

/// The resource's part of the OpenAPI document (see `routes::api`): its handlers'
/// `#[utoipa::path]`, which name their types.
#[derive(OpenApi)]
#[openapi(
    paths(create, get, list),
    tags((name = "users", description = "The users resource"))
)]
pub struct Api;

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
#[utoipa::path(
    post,
    path = "/users",
    tag = "users",
    operation_id = "create_user",
    summary = "Store a user",
    request_body = NewUser,
    responses(
        (status = 201, description = "The stored user", body = User,
            headers(("Location" = String, description = "The user's path: `/users/<id>`"))),
        (status = 409, description = "A user has this email already, whatever its case", body = ErrorBody),
        (status = 422, description = "A field is missing or its value is refused; `field` names it", body = ErrorBody),
{%- if database == "none" %}
        (status = 507, description = "The store holds MAX_USERS users already", body = ErrorBody),
{%- endif %}
    )
)]
pub async fn create(
    store: web::Data<Store>,
    user: Json<NewUser>,
) -> Result<HttpResponse, ApiError> {
    let user = user.into_inner();
    user.validate()?;
    let created = store.create_user(&user).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/users/{}", created.id)))
        .json(created))
}

/// `GET /users/{id}`.
#[utoipa::path(
    get,
    path = "/users/{id}",
    tag = "users",
    operation_id = "get_user",
    summary = "Read a user",
    params(("id" = i64, Path, description = "The user's id, written plainly (`5`, not `+5` or `05`)",
        minimum = 1, maximum = 9_223_372_036_854_775_807_i64)),
    responses(
        (status = 200, description = "The user", body = User),
        (status = 400, description = "The id is not a positive whole number written plainly", body = ErrorBody),
        (status = 404, description = "No user has this id", body = ErrorBody),
    )
)]
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
/// error can name it. What it documents is what `Page::checked` accepts.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct PageQuery {
    /// How many users, 1 to 100 (default 20).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100)]
    limit: Option<String>,
    /// The last id of the previous page (default 0).
    #[param(value_type = Option<i64>, minimum = 0, maximum = 9_223_372_036_854_775_807_i64)]
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

/// A page of users.
#[derive(Serialize, ToSchema)]
#[schema(as = UserPage)]
struct Listed {
    users: Vec<User>,
    /// The next page's path, or `null` on the last page.
    #[schema(required = true, example = "/users?limit=20&after=20")]
    next: Option<String>,
}

/// `GET /users`: users in id order, a page at a time. `after` is the last id the client has
/// seen (keyset pagination: a page costs the same however deep it is).
#[utoipa::path(
    get,
    path = "/users",
    tag = "users",
    operation_id = "list_users",
    summary = "List users in id order, a page at a time",
    params(PageQuery),
    responses(
        (status = 200, description = "Users in id order", body = Listed),
        (status = 400, description = "`limit` or `after` is out of range or not a whole number", body = ErrorBody),
    )
)]
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

    fn field(user: NewUser) -> Option<String> {
        match user.validate() {
            Err(ApiError::Unprocessable { field, .. }) => field,
            other => panic!("{other:?}"),
        }
    }

    fn user(name: &str, email: &str) -> NewUser {
        NewUser {
            name: name.to_owned(),
            email: email.to_owned(),
        }
    }

    #[test]
    fn a_plain_user_is_valid() {
        assert!(user("Ada Lovelace", "ada@example.com").validate().is_ok());
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
    fn a_refused_character_names_its_field() {
        assert_eq!(
            field(user("Ada\0", "ada@example.com")).as_deref(),
            Some("name")
        );
        assert_eq!(
            field(user("Ada", "ada\u{202e}@example.com")).as_deref(),
            Some("email")
        );
        assert_eq!(
            field(user("\u{3000}", "ada@example.com")).as_deref(),
            Some("name")
        );
    }

    #[test]
    fn limits_count_characters_not_bytes() {
        let name = "é".repeat(MAX_NAME_CHARS);
        assert!(user(&name, "ada@example.com").validate().is_ok());
    }
}
