//! The FHIR resource each imported chart record was made from, kept as it arrived.
//!
//! Mapping onto the chart keeps what a clinician reads, and a record's columns cannot hold
//! every coding of a visit's type, a discharge disposition, a condition's verification
//! status or a prescription's supply. Quality measures test exactly that detail
//! (`care::measures`), so the import keeps the source beside the record rather than
//! widening every kind of record for it. Kept in step with
//! migrations/20261203_0012_value_sets.sql; `practice::tests::catalogue_matches_schema`
//! checks it.

use uuid::Uuid;

use crate::chart::shape::record_kinds;
use crate::ledger::schema::{EntityDef, FieldDef, FieldKind::*};

record_kinds! {
    /// The resource an imported record was made from.
    IMPORT_SOURCE: "import_source" in "import_source", ImportSourceFields, ImportSourceRecord,
    patient: Ref,
    {
        /// The chart record it became (the first, when it became several); empty when it
        /// was folded into another (a DiagnosticReport into its results' panel).
        record: Ref,
        /// That record's kind, e.g. encounter.
        kind: Text,
        /// The FHIR resource type, e.g. Encounter.
        resource_type: Text,
        /// The resource as it arrived.
        resource: Json,
    }
}

/// The id of the source row for a patient's resource: derived from the patient and the
/// resource's source key, so the same resource imported again names the same row.
pub fn id_for(patient: &Uuid, source_key: &str) -> Uuid {
    Uuid::new_v5(patient, format!("import_source {source_key}").as_bytes())
}
