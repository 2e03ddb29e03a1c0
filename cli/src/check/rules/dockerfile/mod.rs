//! Rules that read a Dockerfile's model (and what of the project it builds: Cargo facts, the
//! ignore file, the code's ports), once per Dockerfile.

pub mod cm001_single_stage;
pub mod cm002_no_dependency_cache;
pub mod cm003_unpinned_cargo_chef;
pub mod cm004_floating_tag;
pub mod cm005_libc_mismatch;
pub mod cm006_root_user;
pub mod cm007_shell_form_entrypoint;
pub mod cm008_healthcheck_cannot_run;
pub mod cm009_no_healthcheck;
pub mod cm010_unknown_binary;
pub mod cm011_expose_mismatch;
pub mod cm012_no_dockerignore;
pub mod cm013_target_in_context;
pub mod cm014_secrets_in_context;
pub mod cm015_add_for_local_files;
pub mod cm016_tls_without_ca;
pub mod cm017_openssl_static;
pub mod cm018_old_toolchain;
pub mod cm027_exec_form_one_word;
