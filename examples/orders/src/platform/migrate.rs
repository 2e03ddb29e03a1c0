//! Platform: the template maintains this file, and `cargo microservice upgrade` updates it.
//!
//! `<binary> migrate`: applies the migrations compiled into the binary, so the image needs no
//! other tool. Run it before the service (compose's `migrate` service, an init container) or
//! set `RUN_MIGRATIONS=true`. Several at once are safe: they take turns on an advisory lock.

use super::database::{self, StoreSettings};
use super::log_format::LogFormat;
use super::logging;
use std::process::ExitCode;
use std::time::Duration;

/// How long `migrate` waits for a database that does not accept connections yet.
const WAIT_FOR_DATABASE: Duration = Duration::from_secs(30);

/// Migrates the database `DATABASE_URL` names; exits 0 when the schema is up to date.
pub fn run() -> ExitCode {
    logging::init(LogFormat::for_stderr());
    let code = match StoreSettings::from_env() {
        Err(error) => {
            log::error!("migrate: {error}");
            ExitCode::FAILURE
        }
        Ok(settings) => {
            let result = actix_web::rt::System::new()
                .block_on(database::migrate(&settings, WAIT_FOR_DATABASE));
            match result {
                Ok(version) => {
                    log::info!("migrate: the schema is up to date (version {version})");
                    ExitCode::SUCCESS
                }
                Err(error) => {
                    log::error!("migrate: {}", error.reason());
                    ExitCode::FAILURE
                }
            }
        }
    };
    logging::flush();
    code
}
