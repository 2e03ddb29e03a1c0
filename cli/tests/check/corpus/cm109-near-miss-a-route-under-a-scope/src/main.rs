use actix_web::{get, web, App, HttpResponse, HttpServer, Responder};

#[get("/liveness")]
async fn liveness() -> impl Responder {
    HttpResponse::Ok()
}

#[get("/readiness")]
async fn readiness() -> impl Responder {
    HttpResponse::Ok()
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    HttpServer::new(|| App::new().service(web::scope("/probe").service(liveness).service(readiness)))
        .bind(("0.0.0.0", 8080))?
        .run()
        .await
}
