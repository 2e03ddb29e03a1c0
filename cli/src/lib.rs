//! cargo-microservice: scaffold Rust microservices from the template (`new`), take one made
//! earlier to the template's later versions (`upgrade`, `adopt`), describe the variants
//! (`variants`), check any service's Dockerfile, Cargo.toml and compose file (`check`), and
//! prove a built image (`docker`, what `check --build` runs).

pub mod check;
pub mod cli;
pub mod docker;
pub mod new;
pub mod upgrade;
pub mod variants;

mod answers;
mod engine;
mod errors;
mod git;
mod names;
mod output;
mod plan;
mod prompts;
mod record;
mod signals;
mod template;
mod vocabulary;

pub use answers::{Answers, Port, RustVersion, Values};
pub use errors::{UserError, exit};
pub use names::ProjectNames;
pub use new::{Created, NewArgs, Vcs, create};
