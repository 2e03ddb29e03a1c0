//! The routes on the main port: which resource answers which paths. Yours: a new resource adds
//! its line here (README.md, "Add a resource"). The probes, `/metrics`, the JSON for unknown
//! paths and the bounds every request is held to are the platform's (`platform::http`).

use actix_web::web;

/// Registers every resource's routes on the main listener.
pub fn configure(cfg: &mut web::ServiceConfig) {
    crate::users::routes(cfg);
}
