//! Integration tests live in `api/` (one test binary); this library target is intentionally empty.
