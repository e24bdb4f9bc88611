//! Request and response types of bank cards. The card number is checked (length, Luhn) in the
//! core, so that an import or a sync refuses what the API refuses.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use siji_core::payouts::PayeeKind;
use siji_core::payouts::cards::{Card, CardDetails, CardFilter, Payee};

/// Whose card: exactly one of `worker_id` (a worker, an archive's head included) and
/// `member_id` (a household member, such as a student).
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PayeeBody {
    pub worker_id: Option<Uuid>,
    pub member_id: Option<Uuid>,
}

/// A card as read from the card (银行卡信息).
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "payee": {"member_id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e2101"}, "holder_name": "张小明",
    "bank_code": "313", "bank_name": "济宁银行", "card_number": "6222 0212 3456 7890 128"
}))]
pub struct RegisterCardRequest {
    pub payee: PayeeBody,
    /// 持卡人姓名: must be the payee's name as registered.
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    pub holder_name: String,
    /// The CNAPS bank-type code (行别代码) from `GET /api/v1/banks`.
    #[validate(length(min = 3, max = 3))]
    #[schema(min_length = 3, max_length = 3)]
    pub bank_code: String,
    /// The bank itself where the code is a family (313 城市商业银行 → 济宁银行); the list's
    /// name when left out.
    #[validate(length(min = 2, max = 100))]
    #[schema(min_length = 2, max_length = 100)]
    pub bank_name: Option<String>,
    /// 16–19 digits; spaces and hyphens are dropped. Checked with the Luhn check digit.
    #[validate(length(min = 16, max = 40))]
    #[schema(min_length = 16, max_length = 40)]
    pub card_number: String,
    /// Only for a card whose number really fails the Luhn check (seen on the card itself): why.
    /// Kept on the card and in the audit trail.
    #[validate(length(min = 4, max = 500))]
    #[schema(min_length = 4, max_length = 500)]
    pub luhn_override: Option<String>,
}

impl RegisterCardRequest {
    pub fn payee(&self) -> Result<Payee, crate::http::ApiError> {
        match (self.payee.worker_id, self.payee.member_id) {
            (Some(w), None) => Ok(Payee::Worker(w)),
            (None, Some(m)) => Ok(Payee::Member(m)),
            _ => Err(siji_core::CoreError::field(
                "payee",
                "one_of",
                "name exactly one of worker_id and member_id",
            )
            .into()),
        }
    }

    pub fn details(self) -> CardDetails {
        CardDetails {
            holder_name: self.holder_name,
            bank_code: self.bank_code,
            bank_name: self.bank_name,
            card_number: self.card_number,
            luhn_override: self.luhn_override,
        }
    }
}

/// A new card in place of the active one (换卡), and why.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "holder_name": "张小明", "bank_code": "403", "card_number": "6217 9912 3456 7890 124",
    "reason": "原卡已注销，银行退票后更换为邮储银行卡"
}))]
pub struct ReplaceCardRequest {
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    pub holder_name: String,
    #[validate(length(min = 3, max = 3))]
    #[schema(min_length = 3, max_length = 3)]
    pub bank_code: String,
    #[validate(length(min = 2, max = 100))]
    #[schema(min_length = 2, max_length = 100)]
    pub bank_name: Option<String>,
    #[validate(length(min = 16, max = 40))]
    #[schema(min_length = 16, max_length = 40)]
    pub card_number: String,
    #[validate(length(min = 4, max = 500))]
    #[schema(min_length = 4, max_length = 500)]
    pub luhn_override: Option<String>,
    /// Why the card is replaced (lost, closed, a wrong number the bank refused).
    #[validate(length(min = 2, max = 500))]
    #[schema(min_length = 2, max_length = 500)]
    pub reason: String,
}

impl ReplaceCardRequest {
    pub fn details(self) -> (CardDetails, String) {
        (
            CardDetails {
                holder_name: self.holder_name,
                bank_code: self.bank_code,
                bank_name: self.bank_name,
                card_number: self.card_number,
                luhn_override: self.luhn_override,
            },
            self.reason,
        )
    }
}

/// A bank card, masked.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e6001", "org_id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e0f12",
    "payee_kind": "member", "worker_id": null, "member_id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e2101",
    "holder_name": "张小明", "bank_code": "313", "bank_name": "济宁银行",
    "card_number_masked": "************0128", "display": "济宁银行 ************0128",
    "luhn_override": null, "status": "active", "replaced_by": null, "replaced_reason": null,
    "shared": false, "created_by": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e0a01",
    "created_at": "2017-08-20T09:00:00Z", "updated_at": "2017-08-20T09:00:00Z", "version": 1
}))]
pub struct CardResponse {
    pub id: Uuid,
    /// The payee's organisation.
    pub org_id: Uuid,
    pub payee_kind: PayeeKind,
    pub worker_id: Option<Uuid>,
    pub member_id: Option<Uuid>,
    pub holder_name: String,
    pub bank_code: String,
    pub bank_name: String,
    /// The one mask of a card number: the last four digits.
    pub card_number_masked: String,
    /// The bank and the masked number, as a screen shows them.
    pub display: String,
    /// Why a number failing the Luhn check was accepted, if it was.
    pub luhn_override: Option<String>,
    /// `active`, or `replaced` (history).
    pub status: String,
    pub replaced_by: Option<Uuid>,
    pub replaced_reason: Option<String>,
    /// The same number is on another payee's active card (a fraud signal to review).
    pub shared: bool,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

impl From<Card> for CardResponse {
    fn from(Card { card: c, shared }: Card) -> Self {
        Self {
            id: c.id,
            org_id: c.org_id,
            payee_kind: PayeeKind::parse(&c.payee_kind).unwrap_or(PayeeKind::Worker),
            worker_id: c.worker_id,
            member_id: c.member_id,
            display: format!("{} {}", c.bank_name, c.bank_card_masked),
            holder_name: c.holder_name,
            bank_code: c.bank_code,
            bank_name: c.bank_name,
            card_number_masked: c.bank_card_masked,
            luhn_override: c.luhn_override,
            status: c.status,
            replaced_by: c.replaced_by,
            replaced_reason: c.replaced_reason,
            shared,
            created_by: c.created_by,
            created_at: c.created_at,
            updated_at: c.updated_at,
            version: c.version,
        }
    }
}

/// Filters of the card list.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CardListQuery {
    pub worker_id: Option<Uuid>,
    pub member_id: Option<Uuid>,
    /// `true` for active cards only, `false` for replaced ones only.
    pub active: Option<bool>,
    /// Only active cards whose number is also on another payee's active card (共用银行卡).
    pub shared: Option<bool>,
    /// Page size, 1–200 (default 50).
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200, default = 50)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Also return `total`.
    pub count: Option<bool>,
}

impl CardListQuery {
    pub fn filter(&self) -> CardFilter {
        CardFilter {
            worker_id: self.worker_id,
            member_id: self.member_id,
            active: self.active,
            shared: self.shared.unwrap_or(false),
        }
    }
}

/// Why you need the full number; recorded in the audit trail.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason": "银行退票，核对卡号"}))]
pub struct RevealCardRequest {
    /// At least 4 characters.
    #[validate(length(min = 4, max = 200))]
    #[schema(min_length = 4, max_length = 200)]
    pub reason: String,
}

/// A card's full number. Do not store or log it.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e6001", "card_number": "6222021234567890128"}))]
pub struct RevealCardResponse {
    pub id: Uuid,
    pub card_number: String,
}

/// A bank type Siji pays through.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"code": "102", "name": "中国工商银行"}))]
pub struct BankResponse {
    /// The CNAPS bank-type code (行别代码).
    pub code: &'static str,
    pub name: &'static str,
}
