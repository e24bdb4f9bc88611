//! The enumeration catalogue.

use actix_web::{HttpResponse, get, http::header};
use serde::Serialize;
use siji_openapi::tags;
use utoipa::ToSchema;

use super::catalogue::{
    EnumDescription, EnumValue, catalogue, field_error_codes, industry_sections,
};
use crate::auth::Caller;
use crate::http::ApiError;

/// Every enumeration of the API with its values' labels.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"enums": [{
    "name": "Category",
    "description": "Hardship category (困难类别), derived by the eligibility rules (or overridden with a reason).",
    "values": [
        {"value": "deep", "label": "深度困难", "description": "Deep hardship (深度困难): per-capita monthly income below the minimum living standard."},
        {"value": "relative", "label": "相对困难", "description": "Relative hardship (相对困难): below twice the standard."}
    ]
}],
"industry_sections": [{"value": "C", "label": "制造业", "description": "制造业"}],
"field_error_codes": [{"value": "checksum", "label": "校验位错误", "description": "its check digit or character does not match"}]
}))]
pub struct EnumCatalogue {
    pub enums: Vec<EnumDescription>,
    /// The GB/T 4754-2017 sections (行业门类) an enterprise's `industry` is one of.
    pub industry_sections: Vec<EnumValue>,
    /// The `code`s of field errors (`errors[].code` in a problem document).
    pub field_error_codes: Vec<EnumValue>,
}

/// List enumerations and their labels.
///
/// Every enumeration the API uses (organisation levels, ownership types, hardship categories
/// (困难类别), causes, archive statuses, negotiation modes, text types, roles, permissions, problem
/// codes, …): each value as sent and accepted, its Chinese label for display, and what it means;
/// with the GB/T 4754 industry sections and the codes of field errors. The same words describe the
/// schemas of this document. Changes only with a new release, so clients may cache it.
#[utoipa::path(
    tag = tags::META,
    operation_id = "list_enums",
    extensions(("x-permission" = json!(siji_core::access::AUTHENTICATED))),
    responses((status = 200, description = "The catalogue", body = EnumCatalogue)),
)]
#[get("/meta/enums")]
pub async fn enums(_caller: Caller) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "private, max-age=3600"))
        .json(EnumCatalogue {
            enums: catalogue(),
            industry_sections: industry_sections(),
            field_error_codes: field_error_codes(),
        }))
}
