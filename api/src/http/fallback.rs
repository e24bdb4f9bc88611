//! What answers when no route matched: 405 with `Allow` when the path exists under another
//! method, 404 otherwise. The table of paths and methods is derived from the generated OpenAPI
//! document, so it cannot drift from the routes that are actually registered.

use actix_web::dev::ResourceDef;
use actix_web::http::Method;
use actix_web::{HttpRequest, HttpResponse, web};
use utoipa::openapi::OpenApi;

use super::problem::ApiError;

/// Every known path pattern with the methods it answers.
pub struct RouteTable(Vec<(ResourceDef, Vec<Method>)>);

impl RouteTable {
    /// Build from the document, plus the routes that serve the document itself.
    pub fn from_document(doc: &OpenApi) -> Self {
        let mut routes = Vec::new();
        for (path, item) in doc.paths.paths.iter() {
            let candidates = [
                (Method::GET, item.get.is_some()),
                (Method::POST, item.post.is_some()),
                (Method::PUT, item.put.is_some()),
                (Method::PATCH, item.patch.is_some()),
                (Method::DELETE, item.delete.is_some()),
            ];
            let methods: Vec<Method> = candidates
                .into_iter()
                .filter(|(_, present)| *present)
                .map(|(m, _)| m)
                .collect();
            routes.push((ResourceDef::new(path.as_str()), methods));
        }
        for path in ["/openapi.json", "/docs", "/docs/{tail}*"] {
            routes.push((ResourceDef::new(path), vec![Method::GET]));
        }
        Self(routes)
    }

    /// The methods of every pattern matching `path`; with `fixed_only`, of the fixed paths (no
    /// `{parameter}`) alone: when a request for `/orgs/tree` was taken by `/orgs/{id}` and its id
    /// failed to parse, the client meant `/orgs/tree` with a method it does not have.
    fn allowed(&self, path: &str, fixed_only: bool) -> Vec<Method> {
        let mut allowed: Vec<Method> = Vec::new();
        for (def, methods) in &self.0 {
            let fixed = def.pattern().is_some_and(|p| !p.contains('{'));
            if (fixed || !fixed_only) && def.is_match(path) {
                for m in methods {
                    if !allowed.contains(m) {
                        allowed.push(m.clone());
                    }
                }
            }
        }
        allowed
    }
}

/// The application's default service.
pub async fn not_matched(
    req: HttpRequest,
    table: web::Data<RouteTable>,
) -> Result<HttpResponse, ApiError> {
    // A fixed path (`/orgs/tree`) speaks for itself, whatever `/orgs/{id}` allows.
    let mut allowed = table.allowed(req.path(), true);
    if allowed.is_empty() {
        allowed = table.allowed(req.path(), false);
    }
    if allowed.is_empty() || allowed.contains(req.method()) {
        Err(ApiError::NotFound)
    } else {
        Err(ApiError::MethodNotAllowed(allowed))
    }
}

/// What a malformed path parameter answers: 405 when the path is really a fixed path under
/// another method, otherwise 400 `invalid_path`.
pub fn malformed_path(req: &HttpRequest) -> ApiError {
    let allowed = req
        .app_data::<web::Data<RouteTable>>()
        .map(|table| table.allowed(req.path(), true))
        .unwrap_or_default();
    if !allowed.is_empty() && !allowed.contains(req.method()) {
        return ApiError::MethodNotAllowed(allowed);
    }
    ApiError::BadRequest {
        code: super::problem::ErrorCode::InvalidPath,
        detail: "a path parameter is malformed (ids are UUIDs)".to_owned(),
        errors: Vec::new(),
    }
}
