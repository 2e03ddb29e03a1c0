//! cargo-microservice: scaffold Rust microservices from the template, and prove their images.

pub mod answers;
pub mod check;
pub mod docker;
pub mod errors;
pub mod new;
pub mod template;
pub mod variants;
