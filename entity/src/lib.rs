//! sea-orm entities for Siji, one module per table. Entities describe rows only: behaviour that
//! belongs to a record (validation, scoping, masking) lives in the `api` crate beside its resource.
