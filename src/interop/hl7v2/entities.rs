//! The HL7 v2 records the ledger keeps: each message received, and the practice's table
//! of a lab's local codes.
//!
//! A message is kept whole (its raw text) once it could be read, so the "Unmatched
//! results" queue can show it to a person and file it later, a resent copy (the same
//! MSH-10 from the same facility) is known and applied once, and what each message wrote
//! is on record. Kept in step with migrations/20261202_0010_lab_messages.sql;
//! `practice::tests::catalogue_matches_schema` checks it.

use crate::chart::shape::record_kinds;
use crate::ledger::schema::{EntityDef, FieldDef, FieldKind::*};

record_kinds! {
    /// One HL7 v2 message received, its state, and what it wrote.
    HL7_MESSAGE: "hl7_message" in "hl7_message", Hl7MessageFields, Hl7MessageRecord,
    {
        /// MSH-10, with the sending facility the key for spotting a resent message.
        control_id: Text,
        /// MSH-3.
        sending_application: Text,
        /// MSH-4 (its namespace, or its universal id when that is all it has); the lab a
        /// local code belongs to.
        sending_facility: Text,
        /// When this workstation received it (the practice's clock).
        received_at: DateTime,
        /// The message as received, segments ended by `\r`.
        message: Text,
        /// applied, unmatched (waiting for a person), assigned (filed by a person) or
        /// refused (by a person, with the reason).
        state: Text,
        /// The patient its results were filed for, once known.
        patient: Ref,
        /// Why it waits in the queue, why it was refused, or what was not filed.
        reason: Text,
        /// What it wrote: one entry per result, `{observation, code, order, sub_id, op}`.
        results: Json,
    }

    /// A lab's local test code and the LOINC it means, kept by the practice.
    HL7_CODE_MAP: "hl7_code_map" in "hl7_code_map", Hl7CodeMapFields, Hl7CodeMapRecord,
    {
        /// The sending facility (MSH-4) whose code this is.
        lab: Text,
        /// OBX-3's code as that lab sends it.
        local_code: Text,
        /// The LOINC code results with that code are filed under.
        loinc: Text,
        display: Text,
    }
}
