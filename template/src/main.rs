//! Platform: the template maintains this file, and `cargo microservice upgrade` updates it.
//!
//! The binary: serves, or probes itself (`healthcheck`), or prints its OpenAPI document (`openapi`){% if database == "postgres" %}, or migrates the database (`migrate`){% endif %}.

use std::process::ExitCode;

use {{crate_name}}::platform;
use {{crate_name}}::{Application, Settings};
use {{crate_name}}::{Store, StoreSettings};
{%- if base == "alpine" %}

// musl's allocator serialises threads under load; mimalloc restores glibc-like throughput.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
{%- endif %}

fn main() -> ExitCode {
    match std::env::args().nth(1).as_deref() {
        None => serve(),
        Some("healthcheck") => platform::healthcheck::run(),
        Some("openapi") => platform::openapi::run(),
{%- if database == "postgres" %}
        Some("migrate") => platform::migrate::run(),
        Some(other) => {
            eprintln!(
                "error: unknown argument {other:?}; run with no argument to serve, `healthcheck` to probe /health, `openapi` to print the OpenAPI document, or `migrate` to apply the database migrations"
            );
{%- else %}
        Some(other) => {
            eprintln!(
                "error: unknown argument {other:?}; run with no argument to serve, `healthcheck` to probe /health, or `openapi` to print the OpenAPI document"
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
    platform::logging::init(settings.as_ref().map_or_else(
        |_| platform::log_format::LogFormat::for_stderr(),
        |settings| settings.log_format,
    ));
    let (settings, store_settings) =
        match settings.and_then(|settings| Ok((settings, StoreSettings::from_env()?))) {
            Ok(both) => both,
            Err(error) => {
                log::error!("{error}");
                platform::logging::flush();
                return ExitCode::FAILURE;
            }
        };
{%- if libc == "glibc" %}
    platform::memory::return_freed_memory();
{%- endif %}
    let result = actix_web::rt::System::new().block_on(async {
        let store = Store::new(&store_settings);
        let application = Application::build(&settings, store)?;
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
    platform::logging::flush();
    code
}
