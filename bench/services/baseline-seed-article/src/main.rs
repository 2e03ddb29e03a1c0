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
    info!("Starting server on 0.0.0.0:8080");
    HttpServer::new(|| {
        App::new()
            .wrap(middleware::Logger::default())
            .route("/health", web::get().to(health))
            .route("/users/{id}", web::get().to(get_user))
    })
    .bind(("0.0.0.0", 8080))?
    .run()
    .await
}
