//! cargo-microservice: scaffold Rust microservices from the template, and prove their images.

pub mod docker;
pub mod variants;
