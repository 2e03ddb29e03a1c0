//! Platform: the template maintains this file, and `cargo microservice upgrade` updates it.
//!
//! `Json<T>`: actix-web's JSON body extractor (its size limit, content type and timeouts), with
//! a `422` that names the field whose value is wrong, for every kind of wrong value: a missing
//! field, a number for a string, or a `\u` escape of a lone UTF-16 surrogate, which is valid
//! JSON syntax but no Unicode text.

use super::error::ApiError;
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;
use std::future::Future;
use std::pin::Pin;

/// A JSON request body of type `T`.
pub struct Json<T>(pub T);

impl<T> Json<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(request: &HttpRequest, payload: &mut Payload) -> Self::Future {
        // Syntax, size and content type are actix-web's (`web::JsonConfig`); the document is
        // kept raw so the second pass can say where a value is wrong.
        let raw = web::Json::<Box<RawValue>>::from_request(request, payload);
        Box::pin(async move {
            let raw = raw.await?.into_inner();
            parse(raw.get()).map(Json).map_err(actix_web::Error::from)
        })
    }
}

/// Reads `T` from a syntactically valid JSON document, naming the field of the first wrong value.
pub fn parse<T: DeserializeOwned>(document: &str) -> Result<T, ApiError> {
    let deserializer = &mut serde_json::Deserializer::from_str(document);
    serde_path_to_error::deserialize(deserializer).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        let field = match path.as_str() {
            "." => missing_field(&inner.to_string()),
            _ => Some(path),
        };
        let message = if inner.is_syntax() {
            // The only syntax the first pass lets through: a lone surrogate in an escape.
            "must be Unicode text, which a \\u escape of a lone UTF-16 surrogate is not".to_owned()
        } else {
            strip_position(&inner.to_string())
        };
        ApiError::invalid(field, message)
    })
}

/// The field a "missing field `x`" error names.
fn missing_field(message: &str) -> Option<String> {
    let rest = message.strip_prefix("missing field `")?;
    rest.split_once('`').map(|(field, _)| field.to_owned())
}

/// serde_json's message without " at line 1 column 42", which names no field.
fn strip_position(message: &str) -> String {
    match message.rsplit_once(" at line ") {
        Some((message, _)) => message.to_owned(),
        None => message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::ResponseError;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Person {
        name: String,
        age: u8,
    }

    fn field_of(document: &str) -> Option<String> {
        match parse::<Person>(document) {
            Err(ApiError::Unprocessable { field, .. }) => field,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn each_wrong_value_names_its_field() {
        assert_eq!(
            field_of(r#"{"name": "\ud800", "age": 1}"#).as_deref(),
            Some("name")
        );
        assert_eq!(
            field_of(r#"{"name": "Ada", "age": "one"}"#).as_deref(),
            Some("age")
        );
        assert_eq!(field_of(r#"{"age": 1}"#).as_deref(), Some("name"));
        assert_eq!(
            field_of(r#"{"name": 5, "age": 1}"#).as_deref(),
            Some("name")
        );
    }

    #[test]
    fn a_lone_surrogate_is_a_422_that_says_why() {
        let error = parse::<Person>(r#"{"name": "a\udc00b", "age": 1}"#).unwrap_err();
        assert_eq!(error.status_code().as_u16(), 422);
        assert!(
            error.to_string().contains("lone UTF-16 surrogate"),
            "{error}"
        );
    }
}
