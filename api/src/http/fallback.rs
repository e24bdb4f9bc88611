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

    fn allowed(&self, path: &str) -> Vec<Method> {
        let mut allowed: Vec<Method> = Vec::new();
        for (def, methods) in &self.0 {
            if def.is_match(path) {
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
    let allowed = table.allowed(req.path());
    if allowed.is_empty() || allowed.contains(req.method()) {
        Err(ApiError::NotFound)
    } else {
        Err(ApiError::MethodNotAllowed(allowed))
    }
}
