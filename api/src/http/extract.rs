//! Request extractors that fail with problems, never with the framework's plain-text errors.
//!
//! `Json<T>` checks the content type (415), enforces the body limit (413), reports malformed JSON
//! (400 `invalid_json`) and type or shape errors per field with their path (400
//! `validation_failed`), then runs the type's `validator` rules. `Query<T>` does the same for query
//! strings (400 `invalid_query`). Messages name the field and the expectation, never the value
//! that was sent: it may be someone's ID number.
//!
//! This is also the one place where text enters the server, so the rules every text input
//! follows are here: a request body is a JSON object (an array would be matched to fields by
//! position), no string or key holds a control character (`domain::text`), and a query string
//! or form body must percent-decode to valid UTF-8.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
use actix_web::http::header;
use actix_web::web::BytesMut;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use validator::{Validate, ValidationErrors, ValidationErrorsKind};

use super::problem::{ApiError, ErrorCode, FieldError};
use crate::domain::text;

/// The largest request body accepted, in bytes (from `SIJI_BODY_LIMIT`).
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit(pub usize);

/// A JSON request body, deserialised and validated.
#[derive(Debug)]
pub struct Json<T>(pub T);

impl<T> Json<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

fn media_type(req: &HttpRequest) -> Option<String> {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
}

fn is_json(req: &HttpRequest) -> bool {
    media_type(req).is_some_and(|m| {
        m == "application/json" || (m.starts_with("application/") && m.ends_with("+json"))
    })
}

fn is_form(req: &HttpRequest) -> bool {
    media_type(req).is_some_and(|m| m == "application/x-www-form-urlencoded")
}

fn declared_length(req: &HttpRequest) -> Option<usize> {
    req.headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
}

/// Read a whole body of an accepted media type, refusing more than the configured limit.
fn read_body(
    req: &HttpRequest,
    payload: &mut Payload,
    accepted: bool,
    expected: &'static str,
) -> Pin<Box<dyn Future<Output = Result<BytesMut, ApiError>>>> {
    let limit = req.app_data::<BodyLimit>().map_or(1 << 20, |l| l.0);
    let declared = declared_length(req);
    let mut payload = payload.take();
    Box::pin(async move {
        if !accepted {
            return Err(ApiError::UnsupportedMediaType(expected));
        }
        if declared.is_some_and(|len| len > limit) {
            return Err(ApiError::PayloadTooLarge(limit));
        }
        let mut body = BytesMut::new();
        while let Some(chunk) = payload.next().await {
            let chunk = chunk.map_err(|err| match err {
                actix_web::error::PayloadError::Overflow => ApiError::PayloadTooLarge(limit),
                _ => ApiError::BadRequest {
                    code: ErrorCode::BadRequest,
                    detail: "the request body could not be read".to_owned(),
                    errors: Vec::new(),
                },
            })?;
            if body.len() + chunk.len() > limit {
                return Err(ApiError::PayloadTooLarge(limit));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    })
}

impl<T: DeserializeOwned + Validate + 'static> FromRequest for Json<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = read_body(req, payload, is_json(req), "application/json");
        Box::pin(async move {
            let value = parse_json::<T>(&body.await?)?;
            validate(&value)?;
            Ok(Json(value))
        })
    }
}

/// A JSON body as [`Json`] reads it, with the bytes as received: an operation that takes an
/// `Idempotency-Key` tells a repeated request from another by them.
#[derive(Debug)]
pub struct JsonBytes<T> {
    pub value: T,
    pub raw: BytesMut,
}

impl<T: DeserializeOwned + Validate + 'static> FromRequest for JsonBytes<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = read_body(req, payload, is_json(req), "application/json");
        Box::pin(async move {
            let raw = body.await?;
            let value = parse_json::<T>(&raw)?;
            validate(&value)?;
            Ok(JsonBytes { value, raw })
        })
    }
}

/// An `application/x-www-form-urlencoded` body (the OAuth2 token endpoint's format),
/// deserialised and validated like `Json`.
#[derive(Debug)]
pub struct Form<T>(pub T);

impl<T: DeserializeOwned + Validate + 'static> FromRequest for Form<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = read_body(
            req,
            payload,
            is_form(req),
            "application/x-www-form-urlencoded",
        );
        Box::pin(async move {
            let body = body.await?;
            let bad = check_urlencoded(&body);
            if !bad.is_empty() {
                return Err(ApiError::Validation(bad));
            }
            let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(&body));
            let value: T = serde_path_to_error::deserialize(de).map_err(|err| {
                let path = err.path().to_string();
                ApiError::Validation(vec![serde_field_error(
                    &path,
                    &err.into_inner().to_string(),
                )])
            })?;
            validate(&value)?;
            Ok(Form(value))
        })
    }
}

/// For optional fields of a PATCH body that can be cleared: absent is `None`, `null` is
/// `Some(None)`. Use with `#[serde(default, deserialize_with = "double_option")]`.
pub fn double_option<'de, D, T>(de: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    serde::Deserialize::deserialize(de).map(Some)
}

/// At most this many control-character errors are listed for one request.
const MAX_TEXT_ERRORS: usize = 20;

/// Every string (and key) of a JSON value that holds a control character, by path.
fn control_characters(value: &serde_json::Value, path: &str, out: &mut Vec<FieldError>) {
    use serde_json::Value;
    if out.len() >= MAX_TEXT_ERRORS {
        return;
    }
    match value {
        Value::String(s) if text::has_control(s) => out.push(FieldError::new(
            path,
            text::CONTROL_CODE,
            text::CONTROL_MESSAGE,
        )),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                control_characters(item, &format!("{path}[{i}]"), out);
            }
        }
        Value::Object(map) => {
            for (key, item) in map {
                if text::has_control(key) {
                    out.push(FieldError::new(
                        path,
                        text::CONTROL_CODE,
                        "has a key with a control character",
                    ));
                    continue;
                }
                control_characters(item, &join(path, key), out);
            }
        }
        _ => {}
    }
}

fn malformed(err: &serde_json::Error) -> ApiError {
    ApiError::BadRequest {
        code: ErrorCode::InvalidJson,
        detail: format!(
            "the body is not well-formed JSON (line {}, column {})",
            err.line(),
            err.column()
        ),
        errors: Vec::new(),
    }
}

/// Deserialise JSON, turning serde's errors into field errors without the submitted values.
/// The body must be an object whose text holds no control characters.
pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let value: serde_json::Value = serde_json::from_slice(body).map_err(|e| malformed(&e))?;
    if !value.is_object() {
        return Err(ApiError::field(
            "",
            "invalid_type",
            "the body must be a JSON object",
        ));
    }
    let mut bad = Vec::new();
    control_characters(&value, "", &mut bad);
    if !bad.is_empty() {
        return Err(ApiError::Validation(bad));
    }
    let de = &mut serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(de).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        match inner.classify() {
            serde_json::error::Category::Data => {
                ApiError::Validation(vec![serde_field_error(&path, &inner.to_string())])
            }
            _ => malformed(&inner),
        }
    })
}

/// A query string, deserialised and validated. Unknown parameters are rejected when `T` says
/// `#[serde(deny_unknown_fields)]`, as every query type in this API does.
#[derive(Debug)]
pub struct Query<T>(pub T);

impl<T> Query<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T: DeserializeOwned + Validate> FromRequest for Query<T> {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(parse_query(req.query_string()).map(Query))
    }
}

/// Each parameter of a query string or form body that does not percent-decode to valid UTF-8,
/// or that decodes to a control character (`form_urlencoded` alone would pass both on, the first
/// as U+FFFD).
fn check_urlencoded(input: &[u8]) -> Vec<FieldError> {
    let decode = |part: &[u8]| -> Result<String, &'static str> {
        let plus: Vec<u8> = part
            .iter()
            .map(|b| if *b == b'+' { b' ' } else { *b })
            .collect();
        let text = percent_encoding::percent_decode(&plus)
            .decode_utf8()
            .map_err(|_| "invalid_utf8")?;
        if text::has_control(&text) {
            return Err(text::CONTROL_CODE);
        }
        Ok(text.into_owned())
    };
    let mut errors = Vec::new();
    for pair in input.split(|b| *b == b'&').filter(|p| !p.is_empty()) {
        let (key, value) = match pair.iter().position(|b| *b == b'=') {
            Some(at) => (&pair[..at], &pair[at + 1..]),
            None => (pair, &pair[..0]),
        };
        let (field, code) = match (decode(key), decode(value)) {
            (Err(code), _) => (String::new(), code),
            (Ok(name), Err(code)) => (name.chars().take(64).collect(), code),
            (Ok(_), Ok(_)) => continue,
        };
        let message = if code == "invalid_utf8" {
            "is not percent-encoded UTF-8"
        } else {
            text::CONTROL_MESSAGE
        };
        errors.push(FieldError::new(field, code, message));
        if errors.len() >= MAX_TEXT_ERRORS {
            break;
        }
    }
    errors
}

pub fn parse_query<T: DeserializeOwned + Validate>(query: &str) -> Result<T, ApiError> {
    let bad = check_urlencoded(query.as_bytes());
    if !bad.is_empty() {
        return Err(query_error(bad));
    }
    let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
    let value: T = serde_path_to_error::deserialize(de).map_err(|err| {
        let path = err.path().to_string();
        let message = err.into_inner().to_string();
        query_error(vec![serde_field_error(&path, &message)])
    })?;
    value
        .validate()
        .map_err(|errs| query_error(flatten_validation(&errs)))?;
    Ok(value)
}

fn query_error(errors: Vec<FieldError>) -> ApiError {
    ApiError::BadRequest {
        code: ErrorCode::InvalidQuery,
        detail: format!("{} query parameter(s) invalid", errors.len()),
        errors,
    }
}

/// Run a type's `validator` rules, as the extractors do, for values built by other means.
pub fn validate<T: Validate>(value: &T) -> Result<(), ApiError> {
    value
        .validate()
        .map_err(|errs| ApiError::Validation(flatten_validation(&errs)))
}

fn join(path: &str, field: &str) -> String {
    match (path, field) {
        ("" | ".", f) => f.to_owned(),
        (p, "") => p.to_owned(),
        (p, f) => format!("{p}.{f}"),
    }
}

fn between_backticks(msg: &str) -> Option<&str> {
    let start = msg.find('`')? + 1;
    let len = msg[start..].find('`')?;
    Some(&msg[start..start + len])
}

/// The part of a serde message that describes what was expected: it names our types, not the
/// caller's data ("expected a string", "expected one of `deep`, `relative`").
fn expectation(msg: &str) -> Option<String> {
    let at = msg.find("expected ")?;
    let tail = &msg[at..];
    let tail = tail.find(" at line ").map_or(tail, |end| &tail[..end]);
    Some(tail.to_owned())
}

/// Classify a serde data error into a field error whose message never repeats the input.
fn serde_field_error(path: &str, msg: &str) -> FieldError {
    let path = if path == "." { "" } else { path };
    if msg.starts_with("unknown field") {
        let name = between_backticks(msg).unwrap_or_default();
        let name: String = name.chars().take(64).collect();
        // The path already ends at the unknown key.
        let field = if path == name || path.ends_with(&format!(".{name}")) {
            path.to_owned()
        } else {
            join(path, &name)
        };
        return FieldError::new(field, "unknown_field", "is not a field of this request");
    }
    if msg.starts_with("missing field") {
        let name = between_backticks(msg).unwrap_or_default();
        return FieldError::new(join(path, name), "required", "is required");
    }
    let (code, fallback) = if msg.starts_with("invalid type") {
        ("invalid_type", "has the wrong type")
    } else if msg.starts_with("invalid length") {
        ("invalid_length", "has the wrong number of elements")
    } else if msg.starts_with("unknown variant") {
        ("invalid_value", "is not one of the allowed values")
    } else {
        ("invalid_value", "has an invalid value")
    };
    let message = if msg.starts_with("invalid type")
        || msg.starts_with("unknown variant")
        || msg.starts_with("invalid length")
    {
        expectation(msg).unwrap_or_else(|| fallback.to_owned())
    } else {
        fallback.to_owned()
    };
    FieldError::new(path, code, message)
}

/// Flatten `validator`'s nested errors into `field.path[index].name` entries, sorted.
pub fn flatten_validation(errs: &ValidationErrors) -> Vec<FieldError> {
    let mut out = Vec::new();
    collect(errs, "", &mut out);
    out.sort_by(|a, b| a.field.cmp(&b.field).then_with(|| a.code.cmp(&b.code)));
    out
}

fn collect(errs: &ValidationErrors, prefix: &str, out: &mut Vec<FieldError>) {
    for (field, kind) in errs.errors() {
        let name = field.as_ref();
        // `__all__` holds struct-level (schema) rules.
        let path = if name == "__all__" {
            prefix.to_owned()
        } else {
            join(prefix, name)
        };
        match kind {
            ValidationErrorsKind::Field(list) => {
                for e in list {
                    // Struct-level rules name the field they are about with a `field` param.
                    let path = match e.params.get("field").and_then(|f| f.as_str()) {
                        Some(field) if name == "__all__" => join(prefix, field),
                        _ => path.clone(),
                    };
                    let message = e
                        .message
                        .as_ref()
                        .map_or_else(|| default_message(&e.code), |m| m.to_string());
                    out.push(FieldError::new(path, e.code.to_string(), message));
                }
            }
            ValidationErrorsKind::Struct(inner) => collect(inner, &path, out),
            ValidationErrorsKind::List(items) => {
                for (index, inner) in items {
                    collect(inner, &format!("{path}[{index}]"), out);
                }
            }
        }
    }
}

fn default_message(code: &str) -> String {
    match code {
        "length" => "has the wrong length".to_owned(),
        "range" => "is out of range".to_owned(),
        "required" => "is required".to_owned(),
        "email" => "is not an e-mail address".to_owned(),
        "url" => "is not a URL".to_owned(),
        other => format!("fails the `{other}` rule"),
    }
}

/// Problems for the framework's own extractors, should a handler use `web::Path` and friends.
pub fn path_config() -> web::PathConfig {
    web::PathConfig::default()
        .error_handler(|_err: PathError, req| super::fallback::malformed_path(req).into())
}

pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|_err: QueryPayloadError, _req| {
        query_error(vec![FieldError::new(
            "",
            "invalid_value",
            "the query string is malformed",
        )])
        .into()
    })
}

pub fn json_config(limit: usize) -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(limit)
        .error_handler(move |err: JsonPayloadError, _req| {
            match err {
                JsonPayloadError::OverflowKnownLength { .. }
                | JsonPayloadError::Overflow { .. } => ApiError::PayloadTooLarge(limit),
                JsonPayloadError::ContentType => ApiError::UnsupportedMediaType("application/json"),
                _ => ApiError::BadRequest {
                    code: ErrorCode::InvalidJson,
                    detail: "the body is not well-formed JSON".to_owned(),
                    errors: Vec::new(),
                },
            }
            .into()
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, Validate)]
    #[serde(deny_unknown_fields)]
    struct Body {
        #[validate(length(min = 2))]
        name: String,
        #[allow(dead_code)]
        age: u32,
        #[validate(nested)]
        #[serde(default)]
        members: Vec<Member>,
    }

    #[derive(Debug, Deserialize, Validate)]
    struct Member {
        #[validate(length(equal = 18))]
        id_number: String,
    }

    fn fields(err: ApiError) -> Vec<FieldError> {
        match err {
            ApiError::Validation(f) => f,
            ApiError::BadRequest { errors, .. } => errors,
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn unknown_and_missing_fields_are_named() {
        let err = parse_json::<Body>(br#"{"name":"ab","age":1,"org_id":"x"}"#).err();
        let f = fields(err.unwrap_or(ApiError::NotFound));
        assert_eq!(f[0].field, "org_id");
        assert_eq!(f[0].code, "unknown_field");
        let f = fields(
            parse_json::<Body>(br#"{"name":"ab"}"#)
                .err()
                .unwrap_or(ApiError::NotFound),
        );
        assert_eq!(
            (f[0].field.as_str(), f[0].code.as_str()),
            ("age", "required")
        );
    }

    #[test]
    fn type_errors_never_echo_the_value() {
        let err = parse_json::<Body>(br#"{"name":"ab","age":"11010519491231002X"}"#).err();
        let f = fields(err.unwrap_or(ApiError::NotFound));
        assert_eq!(f[0].field, "age");
        assert_eq!(f[0].code, "invalid_type");
        assert!(!f[0].message.contains("1101"), "{}", f[0].message);
    }

    #[test]
    fn only_objects_without_control_characters_are_bodies() {
        let f = fields(
            parse_json::<Body>(br#"["ab", 1]"#)
                .err()
                .unwrap_or(ApiError::NotFound),
        );
        assert_eq!(
            (f[0].field.as_str(), f[0].code.as_str()),
            ("", "invalid_type")
        );
        let f = fields(
            parse_json::<Body>(
                br#"{"name":"a\u0000b","age":1,"members":[{"id_number":"\u001b"}]}"#,
            )
            .err()
            .unwrap_or(ApiError::NotFound),
        );
        let named: Vec<_> = f
            .iter()
            .map(|e| (e.field.as_str(), e.code.as_str()))
            .collect();
        assert_eq!(
            named,
            [
                ("members[0].id_number", "control_character"),
                ("name", "control_character")
            ]
        );
        assert!(parse_json::<Body>(br#"{"name":"two\nlines","age":1}"#).is_ok());
    }

    #[test]
    fn query_strings_decode_strictly() {
        let f = fields(
            parse_query::<Q>("limit=%FF")
                .err()
                .unwrap_or(ApiError::NotFound),
        );
        assert_eq!(
            (f[0].field.as_str(), f[0].code.as_str()),
            ("limit", "invalid_utf8")
        );
        let f = fields(
            parse_query::<Q>("limit=1%00")
                .err()
                .unwrap_or(ApiError::NotFound),
        );
        assert_eq!(
            (f[0].field.as_str(), f[0].code.as_str()),
            ("limit", "control_character")
        );
        assert!(parse_query::<Q>("limit=5&").is_ok());
    }

    #[test]
    fn malformed_json_is_invalid_json() {
        let err = parse_json::<Body>(br#"{"name": "#).err();
        assert!(matches!(
            err,
            Some(ApiError::BadRequest {
                code: ErrorCode::InvalidJson,
                ..
            })
        ));
    }

    #[test]
    fn nested_validation_paths() {
        let body: Body =
            serde_json::from_str(r#"{"name":"a","age":1,"members":[{"id_number":"1"}]}"#)
                .unwrap_or_else(|e| panic!("{e}"));
        let f = fields(validate(&body).err().unwrap_or(ApiError::NotFound));
        let names: Vec<_> = f.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(names, ["members[0].id_number", "name"]);
    }

    #[derive(Debug, Deserialize, Validate)]
    #[serde(deny_unknown_fields)]
    struct Q {
        #[validate(range(min = 1, max = 200))]
        limit: Option<u32>,
    }

    #[test]
    fn query_errors() {
        assert!(parse_query::<Q>("limit=5").is_ok());
        let f = fields(
            parse_query::<Q>("limit=abc")
                .err()
                .unwrap_or(ApiError::NotFound),
        );
        assert_eq!(f[0].field, "limit");
        let f = fields(
            parse_query::<Q>("limit=500")
                .err()
                .unwrap_or(ApiError::NotFound),
        );
        assert_eq!(
            (f[0].field.as_str(), f[0].code.as_str()),
            ("limit", "range")
        );
        let f = fields(
            parse_query::<Q>("colour=red")
                .err()
                .unwrap_or(ApiError::NotFound),
        );
        assert_eq!(
            (f[0].field.as_str(), f[0].code.as_str()),
            ("colour", "unknown_field")
        );
    }
}
