//! The entity catalogue: one projection table per kind of record, with its typed
//! request and answer shapes (see `shape.rs`).
//!
//! Kept in step with migrations/*.sql; `practice::tests::catalogue_matches_schema` checks it.

use crate::chart::shape::record_kinds;
use crate::ledger::schema::{EntityDef, FieldDef, FieldKind::*};

record_kinds! {
    /// Demographics, identifiers and the medical record number.
    PATIENT: "patient" in "patient", PatientFields, PatientRecord,
    {
        family: Text,
        given: Json,
        preferred: Text,
        birth_date: Date,
        sex: Text,
        gender_identity: Text,
        mrn: Text,
        identifiers: Json,
        phones: Json,
        email: Text,
        address: Json,
        language: Text,
        emergency_contact: Json,
        status: Text,
        deceased_date: Date,
    }

    /// Insurance coverage.
    COVERAGE: "coverage" in "coverage", CoverageFields, CoverageRecord,
    patient: Ref,
    {
        payer: Text,
        member_id: Text,
        group_number: Text,
        subscriber: Text,
        relation: Text,
        priority: Int,
        start_date: Date,
        end_date: Date,
        status: Text,
    }

    /// A problem-list entry (ICD-10-CM).
    PROBLEM: "problem" in "problem", ProblemFields, ProblemRecord,
    patient: Ref,
    {
        code: Text,
        display: Text,
        onset_date: Date,
        resolved_date: Date,
        status: Text,
        note: Text,
    }

    /// A medication the patient takes or took.
    MEDICATION: "medication" in "medication", MedicationFields, MedicationRecord,
    patient: Ref,
    {
        name: Text,
        rxnorm: Text,
        dose: Text,
        route: Text,
        frequency: Text,
        start_date: Date,
        stop_date: Date,
        status: Text,
        reason: Text,
    }

    /// An allergy or intolerance, or "no known allergies".
    ALLERGY: "allergy" in "allergy", AllergyFields, AllergyRecord,
    patient: Ref,
    {
        substance: Text,
        code: Text,
        category: Text,
        reactions: Json,
        severity: Text,
        criticality: Text,
        status: Text,
        no_known: Bool,
        onset_date: Date,
        note: Text,
    }

    /// A vaccine given, or refused (CVX).
    IMMUNIZATION: "immunization" in "immunization", ImmunizationFields, ImmunizationRecord,
    patient: Ref,
    {
        cvx: Text,
        vaccine: Text,
        date: Date,
        dose_number: Int,
        lot: Text,
        site: Text,
        route: Text,
        status: Text,
        reason: Text,
        performer: Text,
    }

    /// A visit.
    ENCOUNTER: "encounter" in "encounter", EncounterFields, EncounterRecord,
    patient: Ref,
    {
        start: DateTime,
        end: DateTime,
        r#type: Text,
        reason: Text,
        provider: Text,
        location: Text,
        status: Text,
    }

    /// A vital sign or lab result (LOINC).
    OBSERVATION: "observation" in "observation", ObservationFields, ObservationRecord,
    patient: Ref,
    {
        encounter: Ref,
        order_ref: Ref,
        panel: Text,
        panel_id: Ref,
        code: Text,
        display: Text,
        category: Text,
        value_num: Real,
        value_text: Text,
        value_code: Text,
        unit: Text,
        ref_low: Real,
        ref_high: Real,
        ref_text: Text,
        flag: Text,
        effective: DateTime,
        status: Text,
    }

    /// A visit note; immutable once signed.
    NOTE: "note" in "note", NoteFields, NoteRecord,
    patient: Ref,
    {
        encounter: Ref,
        kind: Text,
        title: Text,
        subjective: Text,
        objective: Text,
        assessment: Text,
        plan: Text,
        text: Text,
        status: Text,
        signed_at: DateTime,
        signed_by: Text,
        signed_digest: Text,
    }

    /// A lab, imaging or referral order.
    ORDER: "order" in "clinical_order", OrderFields, OrderRecord,
    patient: Ref,
    {
        encounter: Ref,
        kind: Text,
        code: Text,
        description: Text,
        reason: Text,
        status: Text,
        ordered_at: DateTime,
        ordered_by: Text,
        result_summary: Text,
        result_at: DateTime,
    }

    /// A procedure, surgical or not.
    PROCEDURE: "procedure" in "clinical_procedure", ProcedureFields, ProcedureRecord,
    patient: Ref,
    {
        code: Text,
        code_system: Text,
        description: Text,
        date: Date,
        surgical: Bool,
        status: Text,
        performer: Text,
        note: Text,
    }

    /// A hospital stay.
    HOSPITALIZATION: "hospitalization" in "hospitalization", HospitalizationFields, HospitalizationRecord,
    patient: Ref,
    {
        admit_date: Date,
        discharge_date: Date,
        facility: Text,
        reason: Text,
        note: Text,
    }

    /// A condition of a relative.
    FAMILY_HISTORY: "family_history" in "family_history", FamilyHistoryFields, FamilyHistoryRecord,
    patient: Ref,
    {
        relative: Text,
        condition: Text,
        code: Text,
        onset_age: Int,
        deceased: Bool,
        note: Text,
    }

    /// Tobacco and alcohol use.
    SOCIAL_HISTORY: "social_history" in "social_history", SocialHistoryFields, SocialHistoryRecord,
    patient: Ref,
    {
        tobacco_status: Text,
        tobacco_detail: Text,
        alcohol_status: Text,
        alcohol_drinks_per_week: Real,
        recorded_date: Date,
        note: Text,
    }

    /// A scanned or uploaded file (PDF or image).
    DOCUMENT: "document" in "document", DocumentFields, DocumentRecord,
    patient: Ref,
    {
        encounter: Ref,
        title: Text,
        kind: Text,
        mime: Text,
        size: Int,
        sha256: Text,
        content: Bytes,
        date: Date,
    }
}
