use actix_web::{web, App, HttpResponse, HttpServer};

async fn ok() -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    HttpServer::new(|| {
        App::new()
            .service(web::resource("/health").route(web::get().to(ok)))
            .service(web::resource("/ready").route(web::get().to(ok)))
    })
    .bind(("0.0.0.0", 8080))?
    .run()
    .await
}
