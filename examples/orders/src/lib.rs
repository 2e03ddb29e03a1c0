//! The orders service: an Actix-web HTTP API configured from the environment.
//!
//! Yours: `routes` (which resource answers which paths), one module per resource (`users`: its
//! types, checks and handlers), `store` (where the data lives, one file per resource) and
//! `migrations/`. The template's: `platform`, which `cargo microservice upgrade` keeps up to
//! date (README.md, "Code map").

pub mod platform;
pub mod routes;
pub mod store;
pub mod users;

pub use platform::Application;
pub use platform::settings::{Bounds, Settings, SettingsError};
pub use store::{Store, StoreError, StoreSettings};
