//! Public notices (公示): grants of one campaign and organisation shown to the public for a
//! period of at least the campaign's notice days before they may be approved. What the public
//! sees is the public-notice view and nothing more: the masked name (张*明), the ID number in its
//! public mask (1101**********002X), the county, the school or category where the campaign needs
//! it, and the amount.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use entity::{grant_notices as notices, grants, orgs as org_rows};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
};
use serde_json::json;
use uuid::Uuid;

use super::{GrantStatus, WRITE, not_ready};
use crate::audit::Event;
use crate::campaigns;
use crate::context::Context;
use crate::pii::mask;
use crate::registry::orgs;
use crate::tenancy::county_of;
use crate::{CoreError, FieldError};

/// A notice to open over verified grants.
#[derive(Debug, Clone)]
pub struct NewNotice {
    pub campaign_id: Uuid,
    /// The organisation that publishes it; every grant lies in its subtree.
    pub org_id: Uuid,
    pub title: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    /// Where objections go (an office's phone or address).
    pub contact: String,
    pub grant_ids: Vec<Uuid>,
}

/// One line of a notice, as the public sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicLine {
    pub name: String,
    pub id_number: Option<String>,
    pub county: String,
    pub school: Option<String>,
    pub category: Option<String>,
    pub stage: Option<String>,
    pub amount_fen: i64,
}

/// Place verified grants on a public notice: `verified` → `on_notice`, all of them or none.
pub async fn place(ctx: &Context<'_>, new: NewNotice) -> Result<notices::Model, CoreError> {
    ctx.require(WRITE).await?;
    let mut errors = Vec::new();
    if new.ends_on < new.starts_on {
        errors.push(FieldError::new(
            "ends_on",
            "before_start",
            "ends before it starts",
        ));
    }
    let mut ids = new.grant_ids.clone();
    ids.sort();
    ids.dedup();
    if ids.len() != new.grant_ids.len() {
        errors.push(FieldError::new("grant_ids", "repeated", "each grant once"));
    }
    if !errors.is_empty() {
        return Err(CoreError::Validation(errors));
    }
    let work = ctx.begin().await?;
    let campaign = campaigns::queries::find(work.conn(), ctx.scope(), new.campaign_id)
        .await?
        .ok_or(CoreError::NotFound)?;
    let days = (new.ends_on - new.starts_on).num_days() + 1;
    if days < i64::from(campaign.notice_days) {
        return Err(CoreError::field(
            "ends_on",
            "too_short",
            format!(
                "the campaign's notice period is {} days; this notice runs {days}",
                campaign.notice_days
            ),
        ));
    }
    let publisher = orgs::find(work.conn(), ctx.scope(), new.org_id)
        .await?
        .ok_or(CoreError::NotFound)?;
    let under = ctx.scope().at(&publisher);
    let found: HashMap<Uuid, grants::Model> = grants::Entity::find()
        .filter(grants::Column::Id.is_in(new.grant_ids.clone()))
        .filter(ctx.scope().owns(grants::Column::OrgId))
        .all(work.conn())
        .await?
        .into_iter()
        .map(|g| (g.id, g))
        .collect();
    let publisher_subtree: HashSet<Uuid> = under
        .orgs()
        .all(work.conn())
        .await?
        .into_iter()
        .map(|o| o.id)
        .collect();
    let mut errors = Vec::new();
    for (i, id) in new.grant_ids.iter().enumerate() {
        match found.get(id) {
            None => errors.push(FieldError::new(
                format!("grant_ids[{i}]"),
                "not_found",
                "no such grant in your organisation",
            )),
            Some(g) if g.campaign_id != campaign.id => {
                errors.push(not_ready(i, "belongs to another campaign"));
            }
            Some(g) if g.status != GrantStatus::Verified.as_str() => {
                errors.push(not_ready(i, "only verified grants go on notice"));
            }
            Some(g) if !publisher_subtree.contains(&g.org_id) => {
                errors.push(not_ready(i, "lies outside the publishing organisation"));
            }
            Some(_) => {}
        }
    }
    if !errors.is_empty() {
        return Err(CoreError::Validation(errors));
    }
    let now = ctx.clock.now();
    let notice = notices::Entity::insert(notices::ActiveModel {
        id: Set(Uuid::now_v7()),
        campaign_id: Set(campaign.id),
        org_id: Set(publisher.id),
        title: Set(new.title.trim().to_owned()),
        starts_on: Set(new.starts_on),
        ends_on: Set(new.ends_on),
        contact: Set(new.contact.trim().to_owned()),
        public_token: Set(crate::accounts::secrets::random_token()),
        created_by: Set(ctx.actor().id.unwrap_or_default()),
        created_at: Set(now),
    })
    .exec_with_returning(work.conn())
    .await?;
    let moved = grants::Entity::update_many()
        .col_expr(
            grants::Column::Status,
            Expr::value(GrantStatus::OnNotice.as_str()),
        )
        .col_expr(grants::Column::NoticeId, Expr::value(notice.id))
        .col_expr(grants::Column::UpdatedAt, Expr::value(now))
        .col_expr(
            grants::Column::Version,
            Expr::col(grants::Column::Version).add(1),
        )
        .filter(grants::Column::Id.is_in(new.grant_ids.clone()))
        .filter(grants::Column::Status.eq(GrantStatus::Verified.as_str()))
        .exec(work.conn())
        .await?;
    if moved.rows_affected != new.grant_ids.len() as u64 {
        // Another request moved one of them first; the caller named no version, so this is a
        // conflict with that request, not a failed precondition.
        return Err(CoreError::conflict(
            "another request moved one of these grants at the same moment: read them again",
        ));
    }
    work.record(
        Event::new("grant_notice.create")
            .on("grant_notice", notice.id)
            .changes(json!({
                "campaign_id": campaign.id, "grants": new.grant_ids.len(),
                "starts_on": notice.starts_on, "ends_on": notice.ends_on,
            })),
    )
    .await?;
    work.commit().await?;
    Ok(notice)
}

/// The notice behind a public link, while it runs (from its first day to its last); before
/// and after, none — the link stops working when the notice ends.
pub async fn public(
    db: &impl ConnectionTrait,
    token: &str,
    today: NaiveDate,
) -> Result<Option<notices::Model>, CoreError> {
    Ok(notices::Entity::find()
        .filter(notices::Column::PublicToken.eq(token))
        .filter(notices::Column::StartsOn.lte(today))
        .filter(notices::Column::EndsOn.gte(today))
        .one(db)
        .await?)
}

/// A notice of the principal's scope.
pub async fn find(ctx: &Context<'_>, id: Uuid) -> Result<notices::Model, CoreError> {
    ctx.require(super::READ).await?;
    ctx.scope()
        .find::<notices::Entity>(ctx.db, id)
        .await?
        .ok_or(CoreError::NotFound)
}

/// The notice's lines as the public sees them, in the order the grants were submitted. Reads
/// only what the public view shows; it does not ask who is looking, so the public link can use
/// it too.
pub async fn public_lines(
    db: &impl ConnectionTrait,
    notice: &notices::Model,
) -> Result<Vec<PublicLine>, CoreError> {
    let list = grants::Entity::find()
        .filter(grants::Column::NoticeId.eq(notice.id))
        .filter(grants::Column::Status.is_not_in([
            GrantStatus::Rejected.as_str(),
            GrantStatus::Withdrawn.as_str(),
        ]))
        .order_by_asc(grants::Column::Id)
        .all(db)
        .await?;
    let org_ids: Vec<Uuid> = list.iter().map(|g| g.org_id).collect();
    let paths: HashMap<Uuid, String> = org_rows::Entity::find()
        .filter(org_rows::Column::Id.is_in(org_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|o| (o.id, o.path))
        .collect();
    let counties: Vec<Uuid> = paths.values().filter_map(|p| county_of(p)).collect();
    let county_names: HashMap<Uuid, String> = org_rows::Entity::find()
        .filter(org_rows::Column::Id.is_in(counties))
        .all(db)
        .await?
        .into_iter()
        .map(|o| (o.id, o.name))
        .collect();
    Ok(list
        .into_iter()
        .map(|g| PublicLine {
            name: mask::name_public(&g.name),
            id_number: g.id_number_public,
            county: paths
                .get(&g.org_id)
                .and_then(|p| county_of(p))
                .and_then(|c| county_names.get(&c).cloned())
                .unwrap_or_default(),
            school: g.school,
            category: g.category,
            stage: g.stage,
            amount_fen: g.amount_fen,
        })
        .collect())
}
