use orders::{Application, Settings, healthcheck, logging, memory};
use std::process::ExitCode;

fn main() -> ExitCode {
    match std::env::args().nth(1).as_deref() {
        None => serve(),
        Some("healthcheck") => healthcheck::run(),
        Some(other) => {
            eprintln!(
                "error: unknown argument {other:?}; run with no argument to serve, or `healthcheck` to probe /health"
            );
            ExitCode::from(2)
        }
    }
}

fn serve() -> ExitCode {
    logging::init();
    let settings = match Settings::from_env() {
        Ok(settings) => settings,
        Err(error) => {
            log::error!("{error}");
            logging::flush();
            return ExitCode::FAILURE;
        }
    };
    memory::return_freed_memory();
    let result = actix_web::rt::System::new().block_on(async {
        let application = Application::build(&settings)?;
        log::info!(
            "listening on {}:{} (version {})",
            settings.host,
            application.port(),
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
