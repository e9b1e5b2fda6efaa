//! Care logic that helps the clinician act safely: pure functions over the
//! chart's data and the clinical knowledge compiled from `assets/`.
//!
//! Nothing here touches the database; callers pass in what the check needs, so
//! every rule is testable with plain values.

pub mod code_lists;
pub mod criteria;
pub mod csv;
pub mod definitions;
pub mod facts;
pub mod medication_safety;
pub mod preventive;
pub mod registries;
