use std::process::ExitCode;

use {{crate_name}}::log_format::LogFormat;
{%- if libc == "glibc" %}
use {{crate_name}}::memory;
{%- endif %}
{%- if database == "postgres" %}
use {{crate_name}}::migrate;
{%- endif %}
use {{crate_name}}::{Application, Settings};
use {{crate_name}}::{StoreSettings, UserStore};
use {{crate_name}}::{healthcheck, logging};
{%- if base == "alpine" %}

// musl's allocator serialises threads under load; mimalloc restores glibc-like throughput.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
{%- endif %}

fn main() -> ExitCode {
    match std::env::args().nth(1).as_deref() {
        None => serve(),
        Some("healthcheck") => healthcheck::run(),
{%- if database == "postgres" %}
        Some("migrate") => migrate::run(),
        Some(other) => {
            eprintln!(
                "error: unknown argument {other:?}; run with no argument to serve, `healthcheck` to probe /health, or `migrate` to apply the database migrations"
            );
{%- else %}
        Some(other) => {
            eprintln!(
                "error: unknown argument {other:?}; run with no argument to serve, or `healthcheck` to probe /health"
            );
{%- endif %}
            ExitCode::from(2)
        }
    }
}

fn serve() -> ExitCode {
{%- if database == "postgres" %}
    // A development build (`cargo run`) reads the credentials in .env; a release build, the
    // image's, never does: a container gets its settings from its environment alone. Variables
    // already set win.
    #[cfg(debug_assertions)]
    let _ = dotenvy::dotenv();
{%- endif %}
    let settings = Settings::from_env();
    // With a bad LOG_FORMAT, the error that says so is logged in the default format.
    logging::init(
        settings
            .as_ref()
            .map_or_else(|_| LogFormat::for_stderr(), |settings| settings.log_format),
    );
    let (settings, store_settings) =
        match settings.and_then(|settings| Ok((settings, StoreSettings::from_env()?))) {
            Ok(both) => both,
            Err(error) => {
                log::error!("{error}");
                logging::flush();
                return ExitCode::FAILURE;
            }
        };
{%- if libc == "glibc" %}
    memory::return_freed_memory();
{%- endif %}
    let result = actix_web::rt::System::new().block_on(async {
        let users = UserStore::new(&store_settings);
        let application = Application::build(&settings, users)?;
        log::info!(
            "listening on {}:{} (admin and metrics on port {}, version {})",
            settings.host,
            application.port(),
            application.admin_port(),
            env!("CARGO_PKG_VERSION")
        );
        application.run_until_stopped().await
    });
    let code = match result {
        Ok(()) => {
            log::info!("stopped cleanly");
            ExitCode::SUCCESS
        }
        Err(error) => {
            log::error!(
                "could not serve on {}:{}: {error}",
                settings.host,
                settings.port
            );
            ExitCode::FAILURE
        }
    };
    logging::flush();
    code
}
