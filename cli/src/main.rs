//! `cargo microservice` (or `cargo-microservice`): parse, call the library, exit with its status.

use std::process::ExitCode;

fn main() -> ExitCode {
    // cargo-generate insists on an author name even though the template uses none; CI and
    // containers often have no $USER.
    let author_variables = [
        "CARGO_NAME",
        "GIT_AUTHOR_NAME",
        "GIT_COMMITTER_NAME",
        "USER",
        "USERNAME",
        "NAME",
    ];
    if author_variables
        .iter()
        .all(|name| std::env::var_os(name).is_none())
    {
        // SAFETY: no other thread exists yet.
        unsafe { std::env::set_var("CARGO_NAME", "cargo-microservice") };
    }
    ExitCode::from(cargo_microservice::cli::main(
        cargo_microservice::cli::args_os(),
    ))
}
