//! Every documented enumeration of the API, in one list: served by `GET /api/v1/meta/enums` and
//! written into the OpenAPI schemas (each value's meaning and `x-enum-descriptions`).

use serde::Serialize;
use utoipa::ToSchema;

use crate::enums::{Documented, chinese_term};
use crate::listing::RecordStatus;
use crate::resources::beneficiaries::dto as archive;
use crate::resources::enterprises::dto::Ownership;
use crate::resources::orgs::dto::OrgLevel;
use crate::resources::wage_agreements::dto as agreements;
use crate::resources::workers::dto as workers;

/// One value of an enumeration.
#[derive(Debug, Serialize, ToSchema)]
pub struct EnumValue {
    /// What the API sends and accepts.
    pub value: &'static str,
    /// The Chinese term to show people, when the value has one.
    pub label: Option<&'static str>,
    pub description: &'static str,
}

/// An enumeration (its name is the OpenAPI schema's name).
#[derive(Debug, Serialize, ToSchema)]
pub struct EnumDescription {
    pub name: &'static str,
    pub description: &'static str,
    pub values: Vec<EnumValue>,
}

fn describe<E: Documented>() -> EnumDescription {
    EnumDescription {
        name: E::NAME,
        description: E::DESCRIPTION.trim(),
        values: E::VALUES
            .iter()
            .map(|(value, description)| EnumValue {
                value,
                label: chinese_term(description),
                description: description.trim(),
            })
            .collect(),
    }
}

/// Every documented enumeration, by schema name.
pub fn catalogue() -> Vec<EnumDescription> {
    vec![
        describe::<OrgLevel>(),
        describe::<Ownership>(),
        describe::<RecordStatus>(),
        describe::<workers::WorkerKind>(),
        describe::<workers::EmploymentStatus>(),
        describe::<workers::Honour>(),
        describe::<workers::Sex>(),
        describe::<agreements::AgreementScope>(),
        describe::<agreements::NegotiationMode>(),
        describe::<agreements::TextType>(),
        describe::<agreements::AgreementStatus>(),
        describe::<archive::Category>(),
        describe::<archive::Cause>(),
        describe::<archive::ArchiveStatus>(),
        describe::<archive::Relation>(),
        describe::<archive::Health>(),
        describe::<archive::Stage>(),
        describe::<archive::LiftOutReason>(),
        describe::<archive::CancelReason>(),
        describe::<archive::Channel>(),
    ]
}
