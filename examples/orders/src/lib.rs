//! The orders service: an Actix-web HTTP API configured from the environment.

pub mod error;
pub mod healthcheck;
pub mod logging;
pub mod routes;
pub mod settings;
pub mod shutdown;

use actix_web::dev::Server;
use actix_web::{App, HttpServer, middleware, web};
use std::net::TcpListener;
use std::time::Duration;

pub use settings::{Settings, SettingsError};

/// A bound, configured server that has not started serving yet.
pub struct Application {
    port: u16,
    server: Server,
    connections: shutdown::Connections,
    shutdown_timeout: Duration,
}

impl Application {
    /// Binds the listener (port 0 picks a free port) and builds the server around it.
    pub fn build(settings: &Settings) -> std::io::Result<Self> {
        let listener = TcpListener::bind((settings.host, settings.port))?;
        let port = listener.local_addr()?.port();
        let max_body_bytes = settings.max_body_bytes;
        let connections = shutdown::Connections::default();
        let counted = connections.clone();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(
                    web::JsonConfig::default()
                        .limit(max_body_bytes)
                        .error_handler(error::json_payload_error),
                )
                .app_data(web::PathConfig::default().error_handler(error::path_error))
                .wrap(error::internal_error_handlers())
                // Probes every few seconds would drown the access log.
                .wrap(middleware::Logger::new(r#"%a "%r" %s %b %Dms"#).exclude("/health"))
                .configure(routes::configure)
                .default_service(web::to(routes::not_found))
        })
        .workers(settings.workers.get())
        .shutdown_timeout(settings.shutdown_timeout.as_secs())
        // Signals are handled by `shutdown`, which ends the drain as soon as it can.
        .disable_signals()
        .on_connect(move |_, extensions| counted.track(extensions))
        .listen(listener)?
        .run();
        Ok(Self {
            port,
            server,
            connections,
            shutdown_timeout: settings.shutdown_timeout,
        })
    }

    /// The port actually bound, which differs from the settings when they asked for 0.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until SIGTERM or SIGINT, then lets open connections finish for at most the
    /// shutdown timeout and returns as soon as they have.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let stop = shutdown::on_signal(
            self.server.handle(),
            self.connections,
            self.shutdown_timeout,
        )?;
        actix_web::rt::spawn(stop);
        self.server.await
    }
}
