//! Clinical code sets compiled into the binary: ICD-10-CM diagnoses, CDC CVX
//! vaccines and the LOINC codes Chartkeep records vitals and labs with.
//!
//! Why compiled in rather than downloaded or stored in the database:
//! - Chartkeep is offline-first, so coding a diagnosis or a vaccine must work
//!   on a clinic laptop with no network and on the first run.
//! - The tables ship with the exact binary they were tested with: there is no
//!   install step, no migration and no way for the data to drift from the
//!   code that interprets it.
//! - `build.rs` validates every row (format, check digits, ordering,
//!   hierarchy) so a malformed row fails the build instead of reaching a
//!   chart.
//!
//! The ICD-10-CM table (about 98,000 codes) is embedded deflated and inflated
//! on first use only; the small tables are embedded as plain text. Sources,
//! versions and licences are in `assets/README.md`.

pub mod check_digits;
pub mod cvx;
pub mod icd10;
pub mod loinc;
pub mod visit_kinds;
