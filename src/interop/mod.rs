//! Records in and out of the practice in other systems' formats: FHIR R4 first.
//!
//! Everything here reads the chart through the same projection tables as the screens, and
//! (for imports, later) writes through the ledger like any other write.

pub mod fhir;
pub mod hl7v2;
