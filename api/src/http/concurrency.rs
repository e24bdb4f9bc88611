//! Optimistic concurrency: every mutable record has a `version`, sent as `ETag: "<version>"`.
//! A write with `If-Match` naming another version is refused with 412; the update itself is
//! conditional on the version in the database, so two concurrent writers cannot both win.

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, HttpResponseBuilder};

use super::problem::{ApiError, ErrorCode, FieldError};

/// The version named by `If-Match`, if the header was sent.
#[derive(Debug, Clone, Copy)]
pub struct IfMatch(pub Option<i32>);

impl IfMatch {
    /// 412 unless the header is absent or names `current`.
    pub fn check(&self, current: i32) -> Result<(), ApiError> {
        match self.0 {
            Some(expected) if expected != current => Err(ApiError::PreconditionFailed),
            _ => Ok(()),
        }
    }
}

fn parse(value: &str) -> Option<Option<i32>> {
    let value = value.trim();
    if value == "*" {
        return Some(None);
    }
    let value = value.strip_prefix("W/").unwrap_or(value);
    value
        .strip_prefix('"')?
        .strip_suffix('"')?
        .parse()
        .ok()
        .map(Some)
}

impl FromRequest for IfMatch {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let result =
            match req.headers().get(header::IF_MATCH) {
                None => Ok(IfMatch(None)),
                Some(v) => v.to_str().ok().and_then(parse).map(IfMatch).ok_or_else(|| {
                    ApiError::BadRequest {
                        code: ErrorCode::InvalidHeader,
                        detail: "If-Match must be an ETag this API issued, such as \"3\""
                            .to_owned(),
                        errors: vec![FieldError::new(
                            "If-Match",
                            "invalid_etag",
                            "is not a quoted version number",
                        )],
                    }
                }),
            };
        std::future::ready(result)
    }
}

/// Add `ETag: "<version>"` to a response.
pub fn etag(builder: &mut HttpResponseBuilder, version: i32) -> &mut HttpResponseBuilder {
    builder.insert_header((header::ETAG, format!("\"{version}\"")))
}

/// 200 with the record and its `ETag`.
pub fn ok_versioned<T: serde::Serialize>(version: i32, body: &T) -> actix_web::HttpResponse {
    etag(&mut actix_web::HttpResponse::Ok(), version).json(body)
}

/// 201 with `Location`, `ETag` and the created record.
pub fn created_versioned<T: serde::Serialize>(
    location: String,
    version: i32,
    body: &T,
) -> actix_web::HttpResponse {
    let mut builder = actix_web::HttpResponse::Created();
    builder.insert_header((header::LOCATION, location));
    etag(&mut builder, version).json(body)
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn parses_etags() {
        assert_eq!(parse("\"3\""), Some(Some(3)));
        assert_eq!(parse("W/\"3\""), Some(Some(3)));
        assert_eq!(parse("*"), Some(None));
        assert_eq!(parse("3"), None);
        assert_eq!(parse("\"x\""), None);
    }
}
