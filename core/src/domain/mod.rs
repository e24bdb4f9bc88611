//! Pure rules of the domain, with no I/O and no HTTP: identifiers and their check characters,
//! bank cards and the banks they belong to, eligibility, money, what text input may hold.

pub mod bank_card;
pub mod division_code;
pub mod eligibility;
pub mod id_number;
pub mod industry;
pub mod money;
pub mod phone;
pub mod text;
pub mod uscc;
