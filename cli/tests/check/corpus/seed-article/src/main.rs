use actix_web::{middleware, web, App, HttpResponse, HttpServer};

async fn health() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({"status": "healthy", "version": "1.0.0"}))
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    std::env::set_var("RUST_LOG", "info");
    env_logger::init();
    HttpServer::new(|| App::new().wrap(middleware::Logger::default()).route("/health", web::get().to(health)))
        .bind(("0.0.0.0", 8080))?
        .run()
        .await
}
