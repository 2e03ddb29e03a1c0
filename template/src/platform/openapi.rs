//! Platform: the template maintains this file, and `cargo microservice upgrade` updates it.
//!
//! The service's OpenAPI 3.1 document, generated from the code: the team's routes
//! (`routes::api`), the platform's (the probes and this document), and the answers any route
//! can give whatever its handler (the bounds of `http` and `connection`). Built once, served at
//! `GET /openapi.json`, and printed by `<binary> openapi` (no database needed), which is how the
//! project's `openapi.json` is written.

use super::error::ErrorBody;
use super::http::{Health, Readiness};
use actix_web::HttpResponse;
use actix_web::http::header::ContentType;
use std::sync::OnceLock;
use utoipa::OpenApi;
use utoipa::openapi::path::{HttpMethod, Operation};
use utoipa::openapi::{Content, OpenApi as Document, Ref, RefOr, Response, ResponseBuilder};

#[derive(OpenApi)]
#[openapi(
    paths(super::http::health, super::http::ready, serve),
    components(schemas(ErrorBody, Health, Readiness)),
    tags(
        (name = "probes", description = "Liveness and readiness, also on the admin port"),
        (name = "openapi", description = "This document"),
    )
)]
struct Platform;

/// The answers every operation can give: `(status, what it means, whether it has a body)`.
const EVERY_OPERATION: [(&str, &str, bool); 2] = [
    ("414", "The request target is longer than 8 KiB", true),
    (
        "503",
        "The service is at MAX_CONNECTIONS, or its store cannot answer now; retry after `Retry-After`",
        true,
    ),
];

/// The answers every operation with a JSON body can give.
const WITH_A_BODY: [(&str, &str); 5] = [
    ("400", "The body is not JSON"),
    ("408", "The body did not arrive within REQUEST_TIMEOUT"),
    ("413", "The body is larger than MAX_BODY_BYTES"),
    (
        "415",
        "The body is not sent as `Content-Type: application/json`",
    ),
    (
        "422",
        "A field is missing or its value is refused; `field` names it",
    ),
];

/// The document, built on first use.
pub fn document() -> &'static str {
    static DOCUMENT: OnceLock<String> = OnceLock::new();
    DOCUMENT.get_or_init(|| {
        let mut json = build()
            .to_pretty_json()
            .expect("the OpenAPI document serialises");
        json.push('\n');
        json
    })
}

/// `GET /openapi.json`: this document.
#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "openapi",
    operation_id = "openapi",
    summary = "This OpenAPI document",
    responses((status = 200, description = "This document", content_type = "application/json"))
)]
pub async fn serve() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(ContentType::json())
        .body(document())
}

/// `<binary> openapi`: prints the document, for `openapi.json`.
pub fn run() -> std::process::ExitCode {
    print!("{}", document());
    std::process::ExitCode::SUCCESS
}

fn build() -> Document {
    let mut document = crate::routes::api();
    document.merge(Platform::openapi());
    document.info.description = Some(format!(
        "The {} service's HTTP API on its main port. Errors answer the `Error` schema.",
        env!("CARGO_PKG_NAME")
    ));
    document.info.license = None;
    document.info.contact = None;
    for item in document.paths.paths.values_mut() {
        let mut head = None;
        for (method, operation) in operations(item) {
            for (status, description, with_body) in EVERY_OPERATION {
                answer(operation, status, description, with_body);
            }
            if operation.request_body.is_some() {
                for (status, description) in WITH_A_BODY {
                    answer(operation, status, description, true);
                }
            }
            if method == HttpMethod::Get {
                head = Some(head_of(operation));
            }
        }
        // Every GET route takes HEAD too: the same answers, without their bodies.
        item.head = head.or(item.head.take());
    }
    document
}

fn operations(item: &mut utoipa::openapi::PathItem) -> Vec<(HttpMethod, &mut Operation)> {
    [
        (HttpMethod::Get, &mut item.get),
        (HttpMethod::Post, &mut item.post),
        (HttpMethod::Put, &mut item.put),
        (HttpMethod::Patch, &mut item.patch),
        (HttpMethod::Delete, &mut item.delete),
    ]
    .into_iter()
    .filter_map(|(method, operation)| operation.as_mut().map(|operation| (method, operation)))
    .collect()
}

/// Adds `status` to the operation's answers unless its handler documents it already.
fn answer(operation: &mut Operation, status: &str, description: &str, with_body: bool) {
    if operation.responses.responses.contains_key(status) {
        return;
    }
    let mut response = ResponseBuilder::new().description(description);
    if with_body {
        response = response.content(
            "application/json",
            Content::new(Some(Ref::from_schema_name("Error"))),
        );
    }
    operation
        .responses
        .responses
        .insert(status.to_owned(), RefOr::T(response.build()));
}

/// The HEAD twin of a GET operation: its answers' descriptions and headers, no bodies.
fn head_of(get: &Operation) -> Operation {
    let mut head = get.clone();
    head.operation_id = get.operation_id.as_ref().map(|id| format!("{id}_head"));
    head.summary = get
        .summary
        .as_ref()
        .map(|summary| format!("{summary} (HEAD)"));
    for response in head.responses.responses.values_mut() {
        if let RefOr::T(Response { content, .. }) = response {
            content.clear();
        }
    }
    head
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_has_the_platform_answers_and_every_get_a_head() {
        let document = build();
        for (path, item) in &document.paths.paths {
            assert_eq!(item.get.is_some(), item.head.is_some(), "{path}");
            for (_, operation) in operations(&mut item.clone()) {
                for (status, _, _) in EVERY_OPERATION {
                    assert!(
                        operation.responses.responses.contains_key(status),
                        "{path} {status}"
                    );
                }
            }
        }
        assert!(document.paths.paths.contains_key("/openapi.json"));
    }

    #[test]
    fn the_document_is_openapi_3_1_and_built_once() {
        assert!(document().contains("\"openapi\": \"3.1.0\""));
        assert!(std::ptr::eq(document(), document()));
    }
}
