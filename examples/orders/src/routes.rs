//! HTTP handlers: health probes and the sample `users` resource.

use crate::error::ApiError;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicU64, Ordering};

/// Registers every route; `startup` and the tests share it.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/health")
            .route(web::get().to(health))
            .default_service(web::to(method_not_allowed)),
    )
    .service(
        web::resource("/ready")
            .route(web::get().to(ready))
            .default_service(web::to(method_not_allowed)),
    )
    .service(
        web::resource("/users")
            .route(web::post().to(create_user))
            .default_service(web::to(method_not_allowed)),
    )
    .service(
        web::resource("/users/{id}")
            .route(web::get().to(get_user))
            .default_service(web::to(method_not_allowed)),
    );
}

#[derive(Serialize)]
struct Health {
    status: &'static str,
    version: &'static str,
}

/// Liveness: the process is up and serving.
async fn health() -> HttpResponse {
    HttpResponse::Ok().json(Health {
        status: "healthy",
        version: env!("CARGO_PKG_VERSION"),
    })
}

/// Readiness: add checks for the dependencies this service needs before taking traffic.
async fn ready() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "status": "ready" }))
}

#[derive(Serialize)]
pub struct User {
    pub id: u64,
    pub name: String,
    pub email: String,
}

#[derive(Deserialize)]
pub struct NewUser {
    pub name: String,
    pub email: String,
}

async fn get_user(id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let id = parse_user_id(&id)?;
    Ok(HttpResponse::Ok().json(User {
        id,
        name: format!("User {id}"),
        email: format!("user{id}@example.com"),
    }))
}

fn parse_user_id(raw: &str) -> Result<u64, ApiError> {
    match raw.parse::<u64>() {
        Ok(id) if id > 0 => Ok(id),
        _ => Err(ApiError::BadRequest {
            code: "invalid_user_id",
            message: format!("user id must be a positive whole number, got {raw:?}"),
        }),
    }
}

async fn create_user(user: web::Json<NewUser>) -> Result<HttpResponse, ApiError> {
    // A stand-in for storage: ids are unique for the life of the process.
    static NEXT_ID: AtomicU64 = AtomicU64::new(1);
    let NewUser { name, email } = user.into_inner();
    if name.trim().is_empty() || !email.contains('@') {
        return Err(ApiError::BadRequest {
            code: "invalid_user",
            message: "a user needs a non-empty name and an email address containing @".into(),
        });
    }
    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    Ok(HttpResponse::Created().json(User { id, name, email }))
}

async fn method_not_allowed() -> Result<HttpResponse, ApiError> {
    Err(ApiError::MethodNotAllowed)
}

/// The fallback for every path no route matches.
pub async fn not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotFound)
}
