use actix_web::{middleware, web, App, HttpResponse, HttpServer, Responder};
use log::info;
use serde::Serialize;

#[derive(Serialize)]
struct User {
    id: u32,
    name: String,
    email: String,
}

async fn health() -> impl Responder {
    HttpResponse::Ok().json(serde_json::json!({"status": "healthy", "version": "1.0.0"}))
}

async fn get_user(path: web::Path<u32>) -> impl Responder {
    let id = path.into_inner();
    info!("Fetching user {}", id);
    HttpResponse::Ok().json(User {
        id,
        name: format!("User {}", id),
        email: format!("user{}@example.com", id),
    })
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    std::env::set_var("RUST_LOG", "info");
    env_logger::init();
    // The one change from the article: the benchmark runs every service on the host network,
    // on loopback and a free port, so that Docker's port proxy is not what gets measured.
    let bind = std::env::var("BIND").unwrap_or_else(|_| "0.0.0.0:8080".to_string());
    info!("Starting server on {}", bind);
    HttpServer::new(|| {
        App::new()
            .wrap(middleware::Logger::default())
            .route("/health", web::get().to(health))
            .route("/users/{id}", web::get().to(get_user))
    })
    .bind(bind)?
    .run()
    .await
}
