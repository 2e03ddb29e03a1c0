//! Platform: the template maintains this file, and `cargo microservice upgrade` updates it.
//!
//! The service's platform: what every service of this template runs on, the same whatever its
//! resources. The server and its two listeners (here), the bounds on connections and requests
//! (`connection`, `http`), JSON errors (`error`), logs, request ids and metrics (`logging`,
//! `log_format`, `request_id`, `metrics`, `telemetry`), the probes (`http`, `healthcheck`),
//! a drained stop (`shutdown`), the server's settings (`settings`), JSON bodies and the text
//! they may hold (`json`, `text`) and the OpenAPI document (`openapi`).
//! PostgreSQL's pool and migrations (`database`, `migrate`) too.
//! Change the team's code instead (`src/routes.rs`, the resources, `src/store/`): an edit here
//! is merged at each upgrade, and may conflict.

pub mod connection;
pub mod database;
pub mod error;
pub mod healthcheck;
pub mod http;
pub mod json;
pub mod log_format;
pub mod logging;
pub mod memory;
pub mod metrics;
pub mod migrate;
pub mod openapi;
pub mod request_id;
pub mod settings;
pub mod shutdown;
pub mod telemetry;
pub mod text;

use crate::store::Store;
use actix_web::dev::Server;
use actix_web::{App, web};
use connection::{Connections, Drain, Listener};
use metrics::Metrics;
use settings::{Bounds, Settings};
use std::sync::Arc;
use std::time::Duration;
use telemetry::Telemetry;

/// The admin listener's budget: probes (and scrapes) only, never the main listener's clients.
pub const ADMIN_MAX_CONNECTIONS: usize = 16;
const ADMIN_BACKLOG: u32 = 16;

/// A bound, configured server that has not started serving yet.
pub struct Application {
    port: u16,
    admin_port: u16,
    server: Server,
    admin: Server,
    connections: Connections,
    drain: Drain,
    shutdown_timeout: Duration,
}

impl Application {
    /// Binds both listeners (port 0 picks a free port) and builds the servers around them and
    /// the store: the resources' routes (`routes::configure`) on the main listener, beside the
    /// probes; the probes and `/metrics` on the admin listener.
    pub fn build(settings: &Settings, store: Store) -> std::io::Result<Self> {
        let listener = connection::listen(settings.host, settings.port, settings.bounds.backlog)?;
        let admin_listener = connection::listen(settings.host, settings.admin_port, ADMIN_BACKLOG)?;
        let port = listener.local_addr()?.port();
        let admin_port = admin_listener.local_addr()?.port();
        let connections = Connections::default();
        let drain = Drain::default();
        let metrics = Arc::new(Metrics::new());
        metrics.register(store.collector());
        let store = web::Data::new(store);
        let server = connection::serve(
            Listener {
                listener,
                workers: settings.workers.get(),
                bounds: settings.bounds.clone(),
                connections: connections.clone(),
                drain: drain.clone(),
                shutdown_timeout: settings.shutdown_timeout,
            },
            {
                let max_body_bytes = settings.max_body_bytes;
                let request_timeout = settings.bounds.request_timeout;
                let drain = drain.clone();
                let metrics = Arc::clone(&metrics);
                let store = store.clone();
                move || {
                    let drain = drain.clone();
                    App::new()
                        .app_data(store.clone())
                        .app_data(
                            web::JsonConfig::default()
                                .limit(max_body_bytes)
                                .error_handler(error::json_payload_error),
                        )
                        .app_data(web::PathConfig::default().error_handler(error::path_error))
                        .app_data(web::QueryConfig::default().error_handler(error::query_error))
                        .wrap(http::RequestBounds {
                            request_timeout,
                            drain,
                        })
                        .wrap(error::internal_error_handlers())
                        // Outermost, so it sees every request's final response.
                        .wrap(Telemetry::new(Arc::clone(&metrics)))
                        .configure(http::configure)
                        .configure(crate::routes::configure)
                        .default_service(web::to(http::not_found))
                }
            },
        )?;
        let admin = connection::serve(
            Listener {
                listener: admin_listener,
                workers: 1,
                bounds: Bounds {
                    max_connections: ADMIN_MAX_CONNECTIONS,
                    ..settings.bounds.clone()
                },
                connections: Connections::default(),
                drain: drain.clone(),
                shutdown_timeout: settings.shutdown_timeout,
            },
            move || {
                App::new()
                    .app_data(web::Data::from(Arc::clone(&metrics)))
                    .app_data(store.clone())
                    .wrap(error::internal_error_handlers())
                    .wrap(Telemetry::request_ids_only())
                    .configure(http::configure_admin)
                    .default_service(web::to(http::not_found))
            },
        )?;
        Ok(Self {
            port,
            admin_port,
            server,
            admin,
            connections,
            drain,
            shutdown_timeout: settings.shutdown_timeout,
        })
    }

    /// The port actually bound, which differs from the settings when they asked for 0.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The admin listener's port (health and readiness probes).
    pub fn admin_port(&self) -> u16 {
        self.admin_port
    }

    /// Serves until SIGTERM or SIGINT, then lets open connections finish for at most the
    /// shutdown timeout and returns as soon as they have.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let stop = shutdown::on_signal(
            [self.server.handle(), self.admin.handle()],
            self.connections,
            self.drain,
            self.shutdown_timeout,
        )?;
        actix_web::rt::spawn(stop);
        // A server starts when first polled: the admin listener runs beside the main one.
        let admin = actix_web::rt::spawn(self.admin);
        self.server.await?;
        admin.await.map_err(std::io::Error::other)?
    }
}
