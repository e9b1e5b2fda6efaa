// Practice users and settings, as ledger entities: a role change is a signed change like any other.
// Kept in step with migrations/*.sql; `practice::tests::catalogue_matches_schema` checks it.

use crate::ledger::schema::{EntityDef, FieldDef, FieldKind::*};

pub static USER: EntityDef = EntityDef {
    name: "user",
    table: "app_user",
    fields: &[
        FieldDef {
            name: "name",
            kind: Text,
        },
        FieldDef {
            name: "display_name",
            kind: Text,
        },
        FieldDef {
            name: "role",
            kind: Text,
        },
        FieldDef {
            name: "password_hash",
            kind: Text,
        },
        FieldDef {
            name: "active",
            kind: Bool,
        },
    ],
};

pub static SETTING: EntityDef = EntityDef {
    name: "setting",
    table: "setting",
    fields: &[
        FieldDef {
            name: "name",
            kind: Text,
        },
        FieldDef {
            name: "value",
            kind: Text,
        },
    ],
};
