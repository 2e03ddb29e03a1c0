//! The routes on the main port: which resource answers which paths, and how the OpenAPI
//! document describes them. Yours: a new resource adds its line to each (README.md, "Add a
//! resource"). The probes, `/metrics`, `/openapi.json`, the JSON for unknown paths and the
//! bounds every request is held to are the platform's (`platform::http`, `platform::openapi`).

use actix_web::web;
use utoipa::OpenApi;

/// Registers every resource's routes on the main listener.
pub fn configure(cfg: &mut web::ServiceConfig) {
    crate::users::routes(cfg);
}

/// The resources' part of the OpenAPI document, each resource's `Api`; the platform adds its
/// own (`platform::openapi`).
pub fn api() -> utoipa::openapi::OpenApi {
    crate::users::Api::openapi()
}
