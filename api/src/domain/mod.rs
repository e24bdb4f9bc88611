//! Pure rules of the domain, with no I/O and no HTTP: identifiers and their check characters,
//! eligibility, money.

pub mod division_code;
pub mod eligibility;
pub mod id_number;
pub mod money;
pub mod phone;
pub mod uscc;
