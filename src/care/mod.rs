//! Clinical decision support: pure functions over the chart's data and the clinical
//! knowledge compiled from `assets/`.
//!
//! Nothing here touches the database or a clock (except `measures`, which loads its
//! typed input from the chart before its pure evaluation); callers pass in what a check needs (a
//! birth date, a list of doses, the active medications, an assessment date), so the same
//! answer comes out on every workstation and every rule is testable with plain values.

pub mod alert_overrides;
pub mod chart_facts;
pub mod code_lists;
pub mod criteria;
pub mod csv;
pub mod definitions;
pub mod facts;
pub mod immunization;
pub mod measures;
pub mod medication_safety;
pub mod preventive;
pub mod registries;
