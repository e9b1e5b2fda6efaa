// The entity catalogue: one projection table per kind of record.
// Kept in step with migrations/*.sql; `practice::tests::catalogue_matches_schema` checks it.

use crate::ledger::schema::{EntityDef, FieldDef, FieldKind::*};

pub static PATIENT: EntityDef = EntityDef {
    name: "patient",
    table: "patient",
    fields: &[
        FieldDef {
            name: "family",
            kind: Text,
        },
        FieldDef {
            name: "given",
            kind: Json,
        },
        FieldDef {
            name: "preferred",
            kind: Text,
        },
        FieldDef {
            name: "birth_date",
            kind: Date,
        },
        FieldDef {
            name: "sex",
            kind: Text,
        },
        FieldDef {
            name: "gender_identity",
            kind: Text,
        },
        FieldDef {
            name: "mrn",
            kind: Text,
        },
        FieldDef {
            name: "identifiers",
            kind: Json,
        },
        FieldDef {
            name: "phones",
            kind: Json,
        },
        FieldDef {
            name: "email",
            kind: Text,
        },
        FieldDef {
            name: "address",
            kind: Json,
        },
        FieldDef {
            name: "language",
            kind: Text,
        },
        FieldDef {
            name: "emergency_contact",
            kind: Json,
        },
        FieldDef {
            name: "status",
            kind: Text,
        },
        FieldDef {
            name: "deceased_date",
            kind: Date,
        },
    ],
};

pub static COVERAGE: EntityDef = EntityDef {
    name: "coverage",
    table: "coverage",
    fields: &[
        FieldDef {
            name: "patient",
            kind: Ref,
        },
        FieldDef {
            name: "payer",
            kind: Text,
        },
        FieldDef {
            name: "member_id",
            kind: Text,
        },
        FieldDef {
            name: "group_number",
            kind: Text,
        },
        FieldDef {
            name: "subscriber",
            kind: Text,
        },
        FieldDef {
            name: "relation",
            kind: Text,
        },
        FieldDef {
            name: "priority",
            kind: Int,
        },
        FieldDef {
            name: "start_date",
            kind: Date,
        },
        FieldDef {
            name: "end_date",
            kind: Date,
        },
        FieldDef {
            name: "status",
            kind: Text,
        },
    ],
};

pub static PROBLEM: EntityDef = EntityDef {
    name: "problem",
    table: "problem",
    fields: &[
        FieldDef {
            name: "patient",
            kind: Ref,
        },
        FieldDef {
            name: "code",
            kind: Text,
        },
        FieldDef {
            name: "display",
            kind: Text,
        },
        FieldDef {
            name: "onset_date",
            kind: Date,
        },
        FieldDef {
            name: "resolved_date",
            kind: Date,
        },
        FieldDef {
            name: "status",
            kind: Text,
        },
        FieldDef {
            name: "note",
            kind: Text,
        },
    ],
};

pub static MEDICATION: EntityDef = EntityDef {
    name: "medication",
    table: "medication",
    fields: &[
        FieldDef {
            name: "patient",
            kind: Ref,
        },
        FieldDef {
            name: "name",
            kind: Text,
        },
        FieldDef {
            name: "rxnorm",
            kind: Text,
        },
        FieldDef {
            name: "dose",
            kind: Text,
        },
        FieldDef {
            name: "route",
            kind: Text,
        },
        FieldDef {
            name: "frequency",
            kind: Text,
        },
        FieldDef {
            name: "start_date",
            kind: Date,
        },
        FieldDef {
            name: "stop_date",
            kind: Date,
        },
        FieldDef {
            name: "status",
            kind: Text,
        },
        FieldDef {
            name: "reason",
            kind: Text,
        },
    ],
};

pub static ALLERGY: EntityDef = EntityDef {
    name: "allergy",
    table: "allergy",
    fields: &[
        FieldDef {
            name: "patient",
            kind: Ref,
        },
        FieldDef {
            name: "substance",
            kind: Text,
        },
        FieldDef {
            name: "code",
            kind: Text,
        },
        FieldDef {
            name: "category",
            kind: Text,
        },
        FieldDef {
            name: "reactions",
            kind: Json,
        },
        FieldDef {
            name: "severity",
            kind: Text,
        },
        FieldDef {
            name: "criticality",
            kind: Text,
        },
        FieldDef {
            name: "status",
            kind: Text,
        },
        FieldDef {
            name: "no_known",
            kind: Bool,
        },
        FieldDef {
            name: "onset_date",
            kind: Date,
        },
        FieldDef {
            name: "note",
            kind: Text,
        },
    ],
};

pub static IMMUNIZATION: EntityDef = EntityDef {
    name: "immunization",
    table: "immunization",
    fields: &[
        FieldDef {
            name: "patient",
            kind: Ref,
        },
        FieldDef {
            name: "cvx",
            kind: Text,
        },
        FieldDef {
            name: "vaccine",
            kind: Text,
        },
        FieldDef {
            name: "date",
            kind: Date,
        },
        FieldDef {
            name: "dose_number",
            kind: Int,
        },
        FieldDef {
            name: "lot",
            kind: Text,
        },
        FieldDef {
            name: "site",
            kind: Text,
        },
        FieldDef {
            name: "route",
            kind: Text,
        },
        FieldDef {
            name: "status",
            kind: Text,
        },
        FieldDef {
            name: "reason",
            kind: Text,
        },
        FieldDef {
            name: "performer",
            kind: Text,
        },
    ],
};

pub static ENCOUNTER: EntityDef = EntityDef {
    name: "encounter",
    table: "encounter",
    fields: &[
        FieldDef {
            name: "patient",
            kind: Ref,
        },
        FieldDef {
            name: "start",
            kind: DateTime,
        },
        FieldDef {
            name: "end",
            kind: DateTime,
        },
        FieldDef {
            name: "type",
            kind: Text,
        },
        FieldDef {
            name: "reason",
            kind: Text,
        },
        FieldDef {
            name: "provider",
            kind: Text,
        },
        FieldDef {
            name: "location",
            kind: Text,
        },
        FieldDef {
            name: "status",
            kind: Text,
        },
    ],
};

pub static OBSERVATION: EntityDef = EntityDef {
    name: "observation",
    table: "observation",
    fields: &[
        FieldDef {
            name: "patient",
            kind: Ref,
        },
        FieldDef {
            name: "encounter",
            kind: Ref,
        },
        FieldDef {
            name: "order_ref",
            kind: Ref,
        },
        FieldDef {
            name: "panel",
            kind: Text,
        },
        FieldDef {
            name: "panel_id",
            kind: Ref,
        },
        FieldDef {
            name: "code",
            kind: Text,
        },
        FieldDef {
            name: "display",
            kind: Text,
        },
        FieldDef {
            name: "category",
            kind: Text,
        },
        FieldDef {
            name: "value_num",
            kind: Real,
        },
        FieldDef {
            name: "value_text",
            kind: Text,
        },
        FieldDef {
            name: "value_code",
            kind: Text,
        },
        FieldDef {
            name: "unit",
            kind: Text,
        },
        FieldDef {
            name: "ref_low",
            kind: Real,
        },
        FieldDef {
            name: "ref_high",
            kind: Real,
        },
        FieldDef {
            name: "ref_text",
            kind: Text,
        },
        FieldDef {
            name: "flag",
            kind: Text,
        },
        FieldDef {
            name: "effective",
            kind: DateTime,
        },
        FieldDef {
            name: "status",
            kind: Text,
        },
    ],
};

pub static NOTE: EntityDef = EntityDef {
    name: "note",
    table: "note",
    fields: &[
        FieldDef {
            name: "patient",
            kind: Ref,
        },
        FieldDef {
            name: "encounter",
            kind: Ref,
        },
        FieldDef {
            name: "kind",
            kind: Text,
        },
        FieldDef {
            name: "title",
            kind: Text,
        },
        FieldDef {
            name: "subjective",
            kind: Text,
        },
        FieldDef {
            name: "objective",
            kind: Text,
        },
        FieldDef {
            name: "assessment",
            kind: Text,
        },
        FieldDef {
            name: "plan",
            kind: Text,
        },
        FieldDef {
            name: "text",
            kind: Text,
        },
        FieldDef {
            name: "status",
            kind: Text,
        },
        FieldDef {
            name: "signed_at",
            kind: DateTime,
        },
        FieldDef {
            name: "signed_by",
            kind: Text,
        },
        FieldDef {
            name: "signed_digest",
            kind: Text,
        },
    ],
};

pub static ORDER: EntityDef = EntityDef {
    name: "order",
    table: "clinical_order",
    fields: &[
        FieldDef {
            name: "patient",
            kind: Ref,
        },
        FieldDef {
            name: "encounter",
            kind: Ref,
        },
        FieldDef {
            name: "kind",
            kind: Text,
        },
        FieldDef {
            name: "code",
            kind: Text,
        },
        FieldDef {
            name: "description",
            kind: Text,
        },
        FieldDef {
            name: "reason",
            kind: Text,
        },
        FieldDef {
            name: "status",
            kind: Text,
        },
        FieldDef {
            name: "ordered_at",
            kind: DateTime,
        },
        FieldDef {
            name: "ordered_by",
            kind: Text,
        },
        FieldDef {
            name: "result_summary",
            kind: Text,
        },
        FieldDef {
            name: "result_at",
            kind: DateTime,
        },
    ],
};

pub static PROCEDURE: EntityDef = EntityDef {
    name: "procedure",
    table: "clinical_procedure",
    fields: &[
        FieldDef {
            name: "patient",
            kind: Ref,
        },
        FieldDef {
            name: "code",
            kind: Text,
        },
        FieldDef {
            name: "code_system",
            kind: Text,
        },
        FieldDef {
            name: "description",
            kind: Text,
        },
        FieldDef {
            name: "date",
            kind: Date,
        },
        FieldDef {
            name: "surgical",
            kind: Bool,
        },
        FieldDef {
            name: "status",
            kind: Text,
        },
        FieldDef {
            name: "performer",
            kind: Text,
        },
        FieldDef {
            name: "note",
            kind: Text,
        },
    ],
};

pub static HOSPITALIZATION: EntityDef = EntityDef {
    name: "hospitalization",
    table: "hospitalization",
    fields: &[
        FieldDef {
            name: "patient",
            kind: Ref,
        },
        FieldDef {
            name: "admit_date",
            kind: Date,
        },
        FieldDef {
            name: "discharge_date",
            kind: Date,
        },
        FieldDef {
            name: "facility",
            kind: Text,
        },
        FieldDef {
            name: "reason",
            kind: Text,
        },
        FieldDef {
            name: "note",
            kind: Text,
        },
    ],
};

pub static FAMILY_HISTORY: EntityDef = EntityDef {
    name: "family_history",
    table: "family_history",
    fields: &[
        FieldDef {
            name: "patient",
            kind: Ref,
        },
        FieldDef {
            name: "relative",
            kind: Text,
        },
        FieldDef {
            name: "condition",
            kind: Text,
        },
        FieldDef {
            name: "code",
            kind: Text,
        },
        FieldDef {
            name: "onset_age",
            kind: Int,
        },
        FieldDef {
            name: "deceased",
            kind: Bool,
        },
        FieldDef {
            name: "note",
            kind: Text,
        },
    ],
};

pub static SOCIAL_HISTORY: EntityDef = EntityDef {
    name: "social_history",
    table: "social_history",
    fields: &[
        FieldDef {
            name: "patient",
            kind: Ref,
        },
        FieldDef {
            name: "tobacco_status",
            kind: Text,
        },
        FieldDef {
            name: "tobacco_detail",
            kind: Text,
        },
        FieldDef {
            name: "alcohol_status",
            kind: Text,
        },
        FieldDef {
            name: "alcohol_drinks_per_week",
            kind: Real,
        },
        FieldDef {
            name: "recorded_date",
            kind: Date,
        },
        FieldDef {
            name: "note",
            kind: Text,
        },
    ],
};

pub static DOCUMENT: EntityDef = EntityDef {
    name: "document",
    table: "document",
    fields: &[
        FieldDef {
            name: "patient",
            kind: Ref,
        },
        FieldDef {
            name: "encounter",
            kind: Ref,
        },
        FieldDef {
            name: "title",
            kind: Text,
        },
        FieldDef {
            name: "kind",
            kind: Text,
        },
        FieldDef {
            name: "mime",
            kind: Text,
        },
        FieldDef {
            name: "size",
            kind: Int,
        },
        FieldDef {
            name: "sha256",
            kind: Text,
        },
        FieldDef {
            name: "content",
            kind: Bytes,
        },
        FieldDef {
            name: "date",
            kind: Date,
        },
    ],
};
