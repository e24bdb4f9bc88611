//! The autumn tuition aid paid to the students' bank cards (金秋助学: "a bank card issued to each
//! student → transfer to the card"), through the core as staff would: each student's card
//! registered by the caseworker; a batch built by the caseworker and approved by the approver
//! (maker-checker); the bank file exported and downloaded by the federation (an administrator's
//! permission); the bank's result file (回盘文件) applied by the approver, one card refused as
//! closed (账户已销户); that card replaced, and a follow-up batch paying its student again. The
//! ledger records each payment once; the report checks it against the balances.
//!
//! The bank is simulated: its answer is the file it was sent with the two columns most banks
//! add (处理结果, 失败原因). Every step resumes: cards are registered for the payees still
//! awaiting one, a batch is taken on from the state it was left in, and the card that failed is
//! replaced only while it is the one the payout failed on.

use entity::{bank_cards, grants, payout_batches, payout_files, payouts as payout_rows};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use sha2::{Digest, Sha256};
use siji_core::CoreError;
use siji_core::domain::bank_card;
use siji_core::grants::GrantStatus;
use siji_core::payouts::batches::{self, NewBatch};
use siji_core::payouts::cards::{self, CardDetails, Payee};
use siji_core::payouts::reconcile::{self, ResultFile};
use siji_core::payouts::{self as payout_ops, BatchStatus, PayoutStatus, export};
use uuid::Uuid;

use super::campaigns::{City, People};

/// The days of the payment: after the approval (16 August), before the close (10 September).
const CARDS_ISSUED: (i32, u32, u32) = (2017, 8, 18);
const BUILT: (i32, u32, u32) = (2017, 8, 21);
const APPROVED: (i32, u32, u32) = (2017, 8, 22);
const ANSWERED: (i32, u32, u32) = (2017, 8, 25);
const CARD_REPLACED: (i32, u32, u32) = (2017, 8, 28);
const FOLLOWED_UP: (i32, u32, u32) = (2017, 8, 29);
const FOLLOW_UP_APPROVED: (i32, u32, u32) = (2017, 8, 30);
const FOLLOW_UP_ANSWERED: (i32, u32, u32) = (2017, 9, 1);

/// The layout the federation's bank takes.
const LAYOUT: &str = "generic";
/// Why the bank refuses the first batch's first payout.
const CLOSED: &str = "账户已销户";
/// Every student's card is an ICBC (中国工商银行, CNAPS 102) debit card: one bank keeps the
/// simulated bank's answer one file.
const BANK: &str = "102";
const BIN: &str = "622202";

/// Pay the campaign's approved grants; returns (payouts paid by this run, paid before).
pub(super) async fn pay(
    city: &City<'_>,
    people: &People,
    campaign: Uuid,
) -> Result<(usize, usize), CoreError> {
    let before = paid(city, campaign).await?;
    register_cards(city, people, campaign).await?;
    let Some(first) = first_batch(city, people, campaign).await? else {
        return Ok((0, before));
    };
    let first = carry(city, people, first, (APPROVED, ANSWERED), true).await?;
    if let Some(follow_up) = follow_up(city, people, &first).await? {
        carry(
            city,
            people,
            follow_up,
            (FOLLOW_UP_APPROVED, FOLLOW_UP_ANSWERED),
            false,
        )
        .await?;
    }
    Ok((paid(city, campaign).await?.saturating_sub(before), before))
}

async fn paid(city: &City<'_>, campaign: Uuid) -> Result<usize, CoreError> {
    let n = payout_rows::Entity::find()
        .filter(payout_rows::Column::CampaignId.eq(campaign))
        .filter(payout_rows::Column::Status.eq(PayoutStatus::Paid.as_str()))
        .count(city.db)
        .await?;
    Ok(usize::try_from(n).unwrap_or(usize::MAX))
}

/// A card number of the demonstration: the bank's prefix, twelve digits drawn from the person
/// (and which of their cards it is), and the Luhn check digit.
fn card_number(person_key: &str, nth: u8) -> String {
    let digest = Sha256::digest([person_key.as_bytes(), &[nth]].concat());
    let body: String = digest
        .iter()
        .take(12)
        .map(|b| char::from(b'0' + b % 10))
        .collect();
    let stem = format!("{BIN}{body}");
    (0..10u8)
        .map(|d| format!("{stem}{d}"))
        .find(|n| bank_card::luhn(n))
        .unwrap_or(stem)
}

fn details(holder_name: &str, person_key: &str, nth: u8) -> CardDetails {
    CardDetails {
        holder_name: holder_name.to_owned(),
        bank_code: BANK.to_owned(),
        bank_name: None,
        card_number: card_number(person_key, nth),
        luhn_override: None,
    }
}

/// A card for each payee of an approved grant who has none (the "awaiting a card" worklist).
async fn register_cards(city: &City<'_>, people: &People, campaign: Uuid) -> Result<(), CoreError> {
    let ctx = city.as_staff(&people.caseworker, CARDS_ISSUED)?;
    let waiting = batches::awaiting_card(&ctx, campaign, None)
        .await?
        .all(city.db)
        .await?;
    for grant in waiting {
        let payee = match (grant.member_id, grant.worker_id) {
            (Some(member), _) => Payee::Member(member),
            (None, Some(worker)) => Payee::Worker(worker),
            (None, None) => {
                return Err(CoreError::Internal(format!(
                    "grant {}: neither a worker nor a household member",
                    grant.id
                )));
            }
        };
        cards::register(&ctx, payee, details(&grant.name, &grant.person_key, 0)).await?;
    }
    Ok(())
}

/// The campaign's first batch (not a follow-up, not cancelled), built by the caseworker where
/// there is none yet and something to pay.
async fn first_batch(
    city: &City<'_>,
    people: &People,
    campaign: Uuid,
) -> Result<Option<payout_batches::Model>, CoreError> {
    use payout_batches::Column as B;
    let found = payout_batches::Entity::find()
        .filter(B::CampaignId.eq(campaign))
        .filter(B::FollowUpOf.is_null())
        .filter(B::Status.ne(BatchStatus::Cancelled.as_str()))
        .order_by_asc(B::CreatedAt)
        .one(city.db)
        .await?;
    if found.is_some() {
        return Ok(found);
    }
    // A plan without students has nothing to pay.
    let approved = grants::Entity::find()
        .filter(grants::Column::CampaignId.eq(campaign))
        .filter(grants::Column::Status.eq(GrantStatus::Approved.as_str()))
        .count(city.db)
        .await?;
    if approved == 0 {
        return Ok(None);
    }
    let new = NewBatch {
        campaign_id: campaign,
        ..NewBatch::default()
    };
    build(city, people, new, BUILT).await.map(Some)
}

/// Build a batch as the caseworker.
async fn build(
    city: &City<'_>,
    people: &People,
    new: NewBatch,
    at: (i32, u32, u32),
) -> Result<payout_batches::Model, CoreError> {
    let ctx = city.as_staff(&people.caseworker, at)?;
    let work = batches::begin(&ctx, payout_ops::WRITE).await?;
    let built = batches::build(&ctx, &work, new).await?;
    work.commit().await?;
    Ok(built.batch)
}

/// Take a batch from where it is to reconciled: approved by the approver, exported by the
/// federation, and the bank's answer applied (refusing the first payout when `refuse_one`).
async fn carry(
    city: &City<'_>,
    people: &People,
    mut batch: payout_batches::Model,
    (approved, answered): ((i32, u32, u32), (i32, u32, u32)),
    refuse_one: bool,
) -> Result<payout_batches::Model, CoreError> {
    if batch.status == BatchStatus::Draft.as_str() {
        let ctx = city.as_staff(&people.approver, approved)?;
        let work = batches::begin(&ctx, payout_ops::APPROVE).await?;
        batch = batches::approve(&ctx, &work, batch.id, None).await?;
        work.commit().await?;
    }
    if batch.status == BatchStatus::Approved.as_str() {
        let ctx = city.as_system(approved)?;
        batch = export::export(&ctx, batch.id, LAYOUT).await?.batch;
    }
    if batch.status == BatchStatus::Exported.as_str() {
        let refused = if refuse_one {
            first_reference(city, batch.id).await?
        } else {
            None
        };
        let file = bank_answer(city, batch.id, approved, refused.as_deref()).await?;
        let ctx = city.as_staff(&people.approver, answered)?;
        let layout = export::layout(city.db, LAYOUT).await?;
        let report = reconcile::apply(&ctx, batch.id, layout, file).await?;
        if !report.exceptions.is_empty() || !report.missing.is_empty() {
            return Err(CoreError::Internal(format!(
                "the bank's answer to batch {} did not apply cleanly: {} exception(s), {} missing",
                batch.id,
                report.exceptions.len(),
                report.missing.len()
            )));
        }
        batch = payout_batches::Entity::find_by_id(batch.id)
            .one(city.db)
            .await?
            .ok_or(CoreError::NotFound)?;
    }
    Ok(batch)
}

/// The reference of the batch's first payout, the one the bank refuses.
async fn first_reference(city: &City<'_>, batch: Uuid) -> Result<Option<String>, CoreError> {
    Ok(payout_rows::Entity::find()
        .filter(payout_rows::Column::BatchId.eq(batch))
        .order_by_asc(payout_rows::Column::Reference)
        .one(city.db)
        .await?
        .map(|p| p.reference))
}

/// The bank's result file: the files it was sent (downloaded as the federation would, which
/// audits it), each line with its outcome added.
async fn bank_answer(
    city: &City<'_>,
    batch: Uuid,
    at: (i32, u32, u32),
    refused: Option<&str>,
) -> Result<ResultFile, CoreError> {
    let ctx = city.as_system(at)?;
    let files = payout_files::Entity::find()
        .filter(payout_files::Column::BatchId.eq(batch))
        .filter(payout_files::Column::Layout.eq(LAYOUT))
        .order_by_asc(payout_files::Column::Part)
        .all(city.db)
        .await?;
    let unwritable = |e: csv::Error| CoreError::Internal(format!("the bank's answer: {e}"));
    let mut answer = csv::WriterBuilder::new()
        .flexible(true)
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    for (i, file) in files.iter().enumerate() {
        let (_, _, sent) = export::download(&ctx, file.id).await?;
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(sent.as_slice());
        for (n, record) in reader.records().enumerate() {
            let mut cells: Vec<String> = record
                .map_err(|e| CoreError::Internal(format!("a bank file read back: {e}")))?
                .iter()
                .map(str::to_owned)
                .collect();
            match (n, cells.first().map(String::as_str)) {
                // One header, at the top of the answer.
                (0, _) if i > 0 => continue,
                (0, _) => cells.extend(["处理结果".to_owned(), "失败原因".to_owned()]),
                (_, Some("合计")) => {}
                (_, Some(reference)) if Some(reference) == refused => {
                    cells.extend(["失败".to_owned(), CLOSED.to_owned()]);
                }
                _ => cells.extend(["成功".to_owned(), String::new()]),
            }
            answer.write_record(&cells).map_err(unwritable)?;
        }
    }
    let bytes = answer
        .into_inner()
        .map_err(|e| CoreError::Internal(format!("the bank's answer: {e}")))?;
    Ok(ResultFile { bytes, rows: None })
}

/// After the first batch is reconciled: the card each failed payout failed on replaced, and a
/// follow-up batch for them (found where it was built before).
async fn follow_up(
    city: &City<'_>,
    people: &People,
    first: &payout_batches::Model,
) -> Result<Option<payout_batches::Model>, CoreError> {
    use payout_batches::Column as B;
    if first.status != BatchStatus::Reconciled.as_str() {
        return Ok(None);
    }
    let found = payout_batches::Entity::find()
        .filter(B::FollowUpOf.eq(first.id))
        .filter(B::Status.ne(BatchStatus::Cancelled.as_str()))
        .one(city.db)
        .await?;
    if found.is_some() {
        return Ok(found);
    }
    let failed = payout_rows::Entity::find()
        .filter(payout_rows::Column::BatchId.eq(first.id))
        .filter(payout_rows::Column::Status.eq(PayoutStatus::Failed.as_str()))
        .all(city.db)
        .await?;
    if failed.is_empty() {
        return Ok(None);
    }
    let ctx = city.as_staff(&people.caseworker, CARD_REPLACED)?;
    for payout in &failed {
        let card = bank_cards::Entity::find_by_id(payout.card_id)
            .one(city.db)
            .await?
            .ok_or(CoreError::NotFound)?;
        if card.replaced_by.is_some() {
            continue;
        }
        let reason = format!("{CLOSED}：学生到银行另办新卡");
        cards::replace(
            &ctx,
            card.id,
            Some(card.version),
            details(&card.holder_name, &card.person_key, 1),
            &reason,
        )
        .await?;
    }
    let new = NewBatch {
        campaign_id: first.campaign_id,
        within_org_id: None,
        follow_up_of: Some(first.id),
    };
    build(city, people, new, FOLLOWED_UP).await.map(Some)
}
