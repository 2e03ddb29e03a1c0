use actix_web::{App, HttpResponse, HttpServer, web};
use serde::Serialize;

#[derive(Serialize)]
struct User {
    id: u64,
    name: String,
    email: String,
}

async fn health() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({"status": "healthy", "version": env!("CARGO_PKG_VERSION")}))
}

async fn get_user(id: web::Path<u64>) -> HttpResponse {
    let id = id.into_inner();
    HttpResponse::Ok().json(User { id, name: format!("User {id}"), email: format!("user{id}@example.com") })
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    // The benchmark runs it on the host network, on loopback and a free port.
    let bind = std::env::var("BIND").unwrap_or_else(|_| "0.0.0.0:8080".to_owned());
    HttpServer::new(|| App::new().route("/health", web::get().to(health)).route("/users/{id}", web::get().to(get_user)))
        .bind(bind)?
        .run()
        .await
}
