//! Payouts (资金发放): aid paid "以银行卡的形式" — each payee's bank card, and batches of approved
//! grants sent to the bank — with the guarantee that a grant's money reaches a bank at most once.
//!
//! - **Cards** (`cards`): one active card per payee (a partial unique index), a replaced card
//!   kept as history, the number encrypted with a blind index and one mask, the holder's name
//!   equal to the payee's, the Luhn check with an audited override, and the same number on two
//!   payees listed as a fraud signal.
//! - **Batches** (`batches`): built from approved, unpaid grants of one campaign that have an
//!   active card (the rest are the "awaiting a card" worklist), by one person, approved by
//!   another (maker-checker), `draft → approved → exported → reconciled`, or `cancelled` while a
//!   draft. Each payout snapshots the card and carries a unique reference of at most 20
//!   characters for the bank's remark field; `pending → sent → paid`, `failed`, `returned`
//!   (退票) or `unknown`. A grant has at most one live payout (not failed, returned or
//!   cancelled), a partial unique index on both databases; builders of one campaign take the
//!   campaign's row lock first, and the grants they pay are locked against a concurrent
//!   rejection. Marking a payout paid or returned moves the campaign ledger (`pay`/`return`) in
//!   the same unit of work.

pub mod batches;
pub mod cards;
pub mod checks;
pub mod export;
pub mod layouts;
pub mod reconcile;

use crate::access::Permission;
use crate::enums::string_enum;

/// What these operations need, declared once.
pub const READ: Permission = Permission::PayoutsRead;
pub const WRITE: Permission = Permission::PayoutsWrite;
pub const APPROVE: Permission = Permission::PayoutsApprove;
pub const EXPORT: Permission = Permission::PayoutsExport;

string_enum!(
    /// Where a payout batch is (发放批次状态).
    BatchStatus {
        /// Built (已生成), waiting for a second person's approval; may be cancelled.
        Draft = "draft",
        /// Approved by someone other than its builder (已审核): ready for the bank file.
        Approved = "approved",
        /// Its bank file has been produced (已导出): every payout is `sent`.
        Exported = "exported",
        /// Every payout has a final outcome (已对账): paid, failed or returned.
        Reconciled = "reconciled",
        /// Cancelled while a draft (已作废), with a reason; its grants can go into another batch.
        Cancelled = "cancelled",
    }
);

string_enum!(
    /// Where one payout is (发放状态).
    PayoutStatus {
        /// In a batch not yet sent to the bank (待发放).
        Pending = "pending",
        /// In the bank file (已提交银行).
        Sent = "sent",
        /// Confirmed paid by the bank (已到账); the ledger records it.
        Paid = "paid",
        /// Refused by the bank (失败), with its reason; a follow-up batch may pay the grant again
        /// once the card is corrected.
        Failed = "failed",
        /// Paid, then bounced (退票), with the reason; the ledger takes the payment back and a
        /// follow-up batch may pay again once the card is corrected.
        Returned = "returned",
        /// The bank's answer is unclear (待确认): never resent automatically; settled only by a
        /// result file or a staff decision with a reason.
        Unknown = "unknown",
        /// Its batch was cancelled before it was sent (已作废).
        Cancelled = "cancelled",
    }
);

string_enum!(
    /// Whose card it is.
    PayeeKind {
        /// A worker of the registry, the head of a hardship archive included (职工).
        Worker = "worker",
        /// A household member, such as a student of 金秋助学 (家庭成员).
        Member = "member",
    }
);

/// The payout states in which a grant is not (or no longer) on its way to being paid: a grant
/// may have any number of these and at most one other.
pub const ENDED: [PayoutStatus; 3] = [
    PayoutStatus::Failed,
    PayoutStatus::Returned,
    PayoutStatus::Cancelled,
];

pub(crate) fn ended() -> [&'static str; 3] {
    ENDED.map(PayoutStatus::as_str)
}
