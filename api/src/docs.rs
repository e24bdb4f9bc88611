//! The published OpenAPI document: the base from the `siji-openapi` crate, every operation and
//! schema collected from the registered routes, the shared problem responses, and the responses
//! that every operation of a kind can return, added here once so none can be forgotten.

use actix_web::App;
use utoipa::OpenApi;
use utoipa::openapi::path::Operation;
use utoipa::openapi::security::SecurityRequirement;
use utoipa::openapi::{OpenApi as Document, Ref, RefOr};
use utoipa_actix_web::AppExt;

use crate::auth::permissions::Permission;
use crate::http::problem::{ErrorCode, FieldError, Problem};
use crate::http::responses::*;

#[derive(OpenApi)]
#[openapi(components(
    // Query-parameter enumerations are referenced but not collected from the routes.
    schemas(
        Problem,
        FieldError,
        ErrorCode,
        siji_core::registry::lists::StatusFilter,
        crate::spreadsheet::Format
    ),
    responses(
        BadRequest,
        Unauthorized,
        Forbidden,
        NotFound,
        Conflict,
        PreconditionFailed,
        IdempotencyKeyInFlight,
        IdempotencyKeyReused,
        BalanceConflict,
        CursorExpired,
        PayloadTooLarge,
        ImportTooLarge,
        UnsupportedMediaType,
        TooManyRequests,
        InternalError,
        ServiceUnavailable,
    ),
))]
struct SharedComponents;

/// Generate the document from the code. Needs no database and no running server.
pub fn document() -> Document {
    let (_, collected) = App::new()
        .into_utoipa_app()
        .configure(crate::resources::routes)
        .split_for_parts();
    let mut doc = siji_openapi::base_document();
    doc.merge(collected);
    doc.merge(SharedComponents::openapi());
    add_common_responses(&mut doc);
    describe_enum_values(&mut doc);
    reference_page_items(&mut doc);
    doc
}

/// utoipa copies a generic's type argument into every `Page_X` (its items inline), so a client
/// generator makes one model per page type for the same item. Each page's `items` refers to
/// the item's own schema instead.
fn reference_page_items(doc: &mut Document) {
    use utoipa::openapi::schema::{ArrayItems, Schema};
    let Some(components) = doc.components.as_mut() else {
        return;
    };
    let names: Vec<String> = components.schemas.keys().cloned().collect();
    for name in names {
        let Some(item) = name.strip_prefix("Page_") else {
            continue;
        };
        if !components.schemas.contains_key(item) {
            continue;
        }
        let Some(RefOr::T(Schema::Object(page))) = components.schemas.get_mut(&name) else {
            continue;
        };
        if let Some(RefOr::T(Schema::Array(items))) = page.properties.get_mut("items") {
            items.items =
                ArrayItems::RefOrSchema(Box::new(RefOr::Ref(Ref::from_schema_name(item))));
        }
    }
}

/// utoipa keeps an enumeration's own doc comment but drops its values' comments; they carry the
/// Chinese terms integrators need, so each documented enumeration's schema gets them back: as a
/// list in its description and as `x-enum-descriptions` (read by code generators).
fn describe_enum_values(doc: &mut Document) {
    use utoipa::openapi::schema::Schema;
    let Some(schemas) = doc.components.as_mut().map(|c| &mut c.schemas) else {
        return;
    };
    for described in crate::resources::meta::catalogue::catalogue() {
        let Some(RefOr::T(Schema::Object(object))) = schemas.get_mut(described.name) else {
            continue;
        };
        let lines: Vec<String> = described
            .values
            .iter()
            .map(|v| format!("- `{}`: {}", v.value, v.description))
            .collect();
        let description = object.description.take().unwrap_or_default();
        object.description = Some(format!("{description}\n\n{}", lines.join("\n")));
        let in_order: Vec<serde_json::Value> = object
            .enum_values
            .iter()
            .flatten()
            .map(|value| {
                let text = described
                    .values
                    .iter()
                    .find(|v| value.as_str() == Some(v.value))
                    .map_or("", |v| v.description);
                serde_json::Value::from(text)
            })
            .collect();
        object
            .extensions
            .get_or_insert_with(Default::default)
            .insert("x-enum-descriptions".to_owned(), in_order.into());
    }
}

/// Every operation of the document with its path and method, for checks and rewrites.
pub fn operations_mut(
    doc: &mut Document,
) -> impl Iterator<Item = (&String, &'static str, &mut Operation)> {
    doc.paths.paths.iter_mut().flat_map(|(path, item)| {
        [
            ("get", item.get.as_mut()),
            ("post", item.post.as_mut()),
            ("put", item.put.as_mut()),
            ("patch", item.patch.as_mut()),
            ("delete", item.delete.as_mut()),
        ]
        .into_iter()
        .filter_map(move |(method, op)| op.map(|op| (path, method, op)))
    })
}

fn ensure(op: &mut Operation, status: &str, response: &str) {
    op.responses
        .responses
        .entry(status.to_owned())
        .or_insert_with(|| RefOr::Ref(Ref::from_response_name(response)));
}

/// The statuses an operation can return because of what it is, not what it does: any operation
/// can fail with 500; one with parameters can get malformed ones (400); one with a body can get a
/// bad, oversized or mistyped body (400, 413, 415); one behind a token can get a bad token (401).
fn add_common_responses(doc: &mut Document) {
    for (_, _, op) in operations_mut(doc) {
        ensure(op, "500", "InternalError");
        // Everything but the liveness probe reads the database, which can be unreachable.
        if op.operation_id.as_deref() != Some("healthz") {
            ensure(op, "503", "ServiceUnavailable");
        }
        if op.parameters.as_ref().is_some_and(|p| !p.is_empty()) {
            ensure(op, "400", "BadRequest");
        }
        if op.request_body.is_some() {
            ensure(op, "400", "BadRequest");
            ensure(op, "413", "PayloadTooLarge");
            ensure(op, "415", "UnsupportedMediaType");
        }
        document_permission(op);
    }
}

/// Operations declare what they need as `x-permission` (a permission name, or `authenticated`
/// for any valid token). From that one declaration and the permission matrix, the operation
/// gets its bearer security requirement, its 401 and 403 responses, and a sentence saying which
/// roles may call it.
fn document_permission(op: &mut Operation) {
    let Some(declared) = op
        .extensions
        .as_ref()
        .and_then(|ext| ext.get("x-permission"))
        .and_then(|v| v.as_str())
        .map(str::to_owned)
    else {
        // Public: say so, rather than leave generators to guess.
        op.security = Some(Vec::new());
        return;
    };
    // A staff bearer token, or a machine client's token from the client-credentials flow.
    op.security = Some(vec![
        SecurityRequirement::new(siji_openapi::BEARER_SCHEME, Vec::<String>::new()),
        SecurityRequirement::new(
            siji_openapi::CLIENT_CREDENTIALS_SCHEME,
            Vec::<String>::new(),
        ),
    ]);
    ensure(op, "401", "Unauthorized");
    let sentence = match Permission::parse(&declared) {
        Some(permission) => {
            ensure(op, "403", "Forbidden");
            let roles: Vec<String> = permission
                .roles()
                .iter()
                .map(|r| format!("`{r}`"))
                .collect();
            format!(
                "**Permission:** `{declared}`, held by {}. Limited to the caller's organisation subtree; \
                 records outside it answer 404.",
                roles.join(", ")
            )
        }
        None => "**Permission:** any valid access token.".to_owned(),
    };
    let description = op.description.take().unwrap_or_default();
    op.description = Some(if description.is_empty() {
        sentence
    } else {
        format!("{description}\n\n{sentence}")
    });
}
