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
        /// Family name; required.
        family: Text,
        /// Given names in order, e.g. ["Ana", "Maria"].
        given: Json,
        /// The name the patient goes by.
        preferred: Text,
        /// Required; not in the future.
        birth_date: Date,
        /// Required.
        sex: Text,
        gender_identity: Text,
        /// Medical record number; assigned (seven digits) when none is given, unique.
        mrn: Text,
        /// Other identifiers, a list.
        identifiers: Json,
        /// A list of phone numbers.
        phones: Json,
        email: Text,
        /// An object (street, city…).
        address: Json,
        language: Text,
        /// An object (name, relation, phone…).
        emergency_contact: Json,
        status: Text,
        /// Required when status is deceased.
        deceased_date: Date,
    }

    /// Insurance coverage.
    COVERAGE: "coverage" in "coverage", CoverageFields, CoverageRecord,
    patient: Ref,
    {
        /// Required.
        payer: Text,
        /// Required.
        member_id: Text,
        group_number: Text,
        subscriber: Text,
        relation: Text,
        /// 1 for primary, 2 for secondary…
        priority: Int,
        start_date: Date,
        end_date: Date,
        status: Text,
    }

    /// A problem-list entry (ICD-10-CM).
    PROBLEM: "problem" in "problem", ProblemFields, ProblemRecord,
    patient: Ref,
    {
        /// ICD-10-CM (normalised, e11.9 → E11.9, fills display when that is empty), or a
        /// code of `code_system`.
        code: Text,
        /// Empty for ICD-10-CM; otherwise the system's name or URI (SNOMED CT from an
        /// import), whose codes are kept as given and need a display.
        code_system: Text,
        /// Required when there is no code.
        display: Text,
        /// Not in the future, not before birth.
        onset_date: Date,
        resolved_date: Date,
        status: Text,
        note: Text,
    }

    /// A medication the patient takes or took.
    MEDICATION: "medication" in "medication", MedicationFields, MedicationRecord,
    patient: Ref,
    {
        /// Required.
        name: Text,
        /// RxNorm code.
        rxnorm: Text,
        dose: Text,
        route: Text,
        frequency: Text,
        start_date: Date,
        stop_date: Date,
        status: Text,
        /// Why it is taken.
        reason: Text,
        /// The interruptive safety alerts answered when it was saved: the alerts, the
        /// reason to go on, who and when. Set from the request's `alert_overrides`.
        alert_overrides: Json,
    }

    /// An allergy or intolerance, or "no known allergies".
    ALLERGY: "allergy" in "allergy", AllergyFields, AllergyRecord,
    patient: Ref,
    {
        /// Required unless no_known.
        substance: Text,
        code: Text,
        category: Text,
        /// A list of reactions, e.g. ["hives"].
        reactions: Json,
        severity: Text,
        criticality: Text,
        status: Text,
        /// The entry says "no known allergies" (see allergy.none).
        no_known: Bool,
        onset_date: Date,
        note: Text,
        /// The interruptive safety alerts answered when it was saved (see medication).
        alert_overrides: Json,
    }

    /// A vaccine given, or refused (CVX).
    IMMUNIZATION: "immunization" in "immunization", ImmunizationFields, ImmunizationRecord,
    patient: Ref,
    {
        /// CVX vaccine code; fills vaccine when that is empty.
        cvx: Text,
        vaccine: Text,
        /// Required; not in the future, not before birth.
        date: Date,
        dose_number: Int,
        lot: Text,
        site: Text,
        route: Text,
        status: Text,
        /// Required when refused: why.
        reason: Text,
        performer: Text,
    }

    /// A visit.
    ENCOUNTER: "encounter" in "encounter", EncounterFields, EncounterRecord,
    patient: Ref,
    {
        /// Required; not in the future.
        start: DateTime,
        end: DateTime,
        /// The kind of visit, e.g. office visit.
        r#type: Text,
        /// The kind of visit as a code, which quality measures count (a SNOMED CT
        /// concept, or a CPT or HCPCS code of an imported value set).
        type_code: Text,
        /// Empty for SNOMED CT; "CPT" or "HCPCS".
        type_system: Text,
        /// Why the patient came.
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
        /// The order these results answer.
        order_ref: Ref,
        /// LOINC code of the panel the result belongs to.
        panel: Text,
        /// Shared by the results saved together (one form, one panel).
        panel_id: Ref,
        /// LOINC; required; fills display, category and unit when known.
        code: Text,
        display: Text,
        category: Text,
        /// The numeric value; a value (num, text or code) is required.
        value_num: Real,
        value_text: Text,
        value_code: Text,
        unit: Text,
        /// Reference range; the flag is computed from it when not given.
        ref_low: Real,
        ref_high: Real,
        ref_text: Text,
        /// Abnormal flag.
        flag: Text,
        /// When measured; required, not in the future.
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
        /// Free text (kind free); SOAP notes use the four sections.
        text: Text,
        /// draft until note.sign; only draft can be written.
        status: Text,
        /// Set by note.sign.
        signed_at: DateTime,
        /// The signer's user id; set by note.sign.
        signed_by: Text,
        /// SHA-256 of the signed content; set by note.sign.
        signed_digest: Text,
    }

    /// A lab, imaging or referral order.
    ORDER: "order" in "clinical_order", OrderFields, OrderRecord,
    patient: Ref,
    {
        encounter: Ref,
        /// Required.
        kind: Text,
        code: Text,
        /// Required.
        description: Text,
        reason: Text,
        status: Text,
        ordered_at: DateTime,
        /// User id of who ordered.
        ordered_by: Text,
        /// Set by order.result.
        result_summary: Text,
        /// Set by order.result.
        result_at: DateTime,
    }

    /// A procedure, surgical or not.
    PROCEDURE: "procedure" in "clinical_procedure", ProcedureFields, ProcedureRecord,
    patient: Ref,
    {
        code: Text,
        /// The code's system, e.g. CPT or SNOMED CT.
        code_system: Text,
        description: Text,
        date: Date,
        /// Shown in the summary's surgical history.
        surgical: Bool,
        status: Text,
        performer: Text,
        note: Text,
    }

    /// A hospital stay.
    HOSPITALIZATION: "hospitalization" in "hospitalization", HospitalizationFields, HospitalizationRecord,
    patient: Ref,
    {
        /// Required; not in the future.
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
        /// Required, e.g. mother.
        relative: Text,
        /// Required.
        condition: Text,
        /// ICD-10-CM, optional.
        code: Text,
        /// Age in years at onset.
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
        /// Drinks per week.
        alcohol_drinks_per_week: Real,
        recorded_date: Date,
        note: Text,
    }

    /// A preventive service the patient declined, so they are not called for it again at once.
    DECLINE: "decline" in "care_decline", DeclineFields, DeclineRecord,
    patient: Ref,
    {
        /// Required: the preventive rule's id (`cds.rules`), e.g. colorectal_cancer_screening.
        rule: Text,
        /// Required; not in the future.
        date: Date,
        /// Required: what the patient said.
        reason: Text,
    }

    /// A scanned or uploaded file (PDF or image).
    DOCUMENT: "document" in "document", DocumentFields, DocumentRecord,
    patient: Ref,
    {
        encounter: Ref,
        title: Text,
        kind: Text,
        /// Found from the bytes; not set by the caller.
        mime: Text,
        /// Bytes; set from the content.
        size: Int,
        /// Hex; set from the content.
        sha256: Text,
        /// The file, base64: a PDF or an image; answers leave it out (document.content gives it).
        content: Bytes,
        date: Date,
    }

    /// A resource an import could not map onto the chart, kept verbatim and exported again
    /// unchanged (a Claim, an ImagingStudy, a CarePlan).
    IMPORTED_RESOURCE: "imported_resource" in "imported_resource", ImportedResourceFields, ImportedResourceRecord,
    patient: Ref,
    {
        /// The FHIR resource type, e.g. Claim.
        resource_type: Text,
        /// Where it came from: its fullUrl, or type/id.
        source: Text,
        /// Its main date, when it has one, for listing.
        date: Text,
        /// A line to show in the chart.
        summary: Text,
        /// The resource as it arrived.
        resource: Json,
    }

    /// One import of one patient's records: the file, the format, and which record each
    /// source resource became, so importing the same data again writes nothing twice.
    IMPORT_BATCH: "import_batch" in "import_batch", ImportBatchFields, ImportBatchRecord,
    patient: Ref,
    {
        /// The file's name.
        file: Text,
        /// fhir, ccda or hl7v2.
        format: Text,
        /// The source key of the patient's own resource.
        patient_source: Text,
        /// Source key → record id.
        sources: Json,
        /// Per resource type: mapped, verbatim, duplicate.
        counts: Json,
    }
}
