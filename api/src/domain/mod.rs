//! Pure rules of the domain, with no I/O and no HTTP: identifiers and their check characters.

pub mod division_code;
pub mod eligibility;
pub mod id_number;
pub mod phone;
pub mod uscc;
