//! How entities map onto projection tables. The ledger is generic over entities: the
//! domain (chart, access) describes its tables here and the ledger projects changes into
//! them, so one write path serves every kind of record.

/// The storage kind of a field. Validation of meaning (codes, ranges) is the domain's job;
/// this only says how the value is held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    Text,
    Int,
    Real,
    Bool,
    /// A list or object, held as JSON text.
    Json,
    Bytes,
    /// `YYYY-MM-DD`.
    Date,
    /// RFC 3339.
    DateTime,
    /// The id of another row.
    Ref,
}

#[derive(Debug)]
pub struct FieldDef {
    pub name: &'static str,
    pub kind: FieldKind,
}

/// One kind of record and its projection table. Every table also has the standard columns
/// `id, created_change, created_at, created_by, updated_at, updated_by, retracted,
/// retract_reason`.
#[derive(Debug)]
pub struct EntityDef {
    pub name: &'static str,
    pub table: &'static str,
    pub fields: &'static [FieldDef],
}

impl EntityDef {
    pub fn field(&self, name: &str) -> Option<&FieldDef> {
        self.fields.iter().find(|f| f.name == name)
    }
}

/// Fields the ledger itself sets on retraction, present on every table.
pub const RETRACT_FIELDS: [&str; 2] = ["retracted", "retract_reason"];

/// Keeps derived indexes (full-text search) in step with a projection row. Called inside
/// the ledger's transaction after each change to a row of `entity`, and on rebuild.
pub type RowHook = fn(&rusqlite::Connection, entity: &str, row: &str) -> rusqlite::Result<()>;

/// Whether a user may change the practice's member devices right now (is an active
/// administrator). Called inside the ledger's transaction, so it sees the state the commit
/// applies on top of, on this and on every peer.
pub type AdminCheck = fn(&rusqlite::Connection, user: &uuid::Uuid) -> rusqlite::Result<bool>;

/// Everything the ledger needs to know about the domain.
#[derive(Debug)]
pub struct Catalogue {
    pub entities: &'static [&'static EntityDef],
    /// Derived tables cleared and refilled on rebuild, besides the entity tables.
    pub derived_tables: &'static [&'static str],
    pub row_hook: Option<RowHook>,
    /// The schema version these tables are at: signed into every commit, and a commit
    /// written by a newer version waits in quarantine until this binary catches up.
    pub schema_version: u32,
    /// Who may add or remove member devices. Without it, nobody can.
    pub member_admin: Option<AdminCheck>,
    /// Kinds of record that a change can seal (a signed note).
    pub seals: &'static [Seal],
    /// Fields whose values must be unique across the practice (see [`super::unique`]).
    pub unique: &'static [super::unique::Unique],
}

/// A state that freezes a record: once a change sets `field` to `value` (a note's status
/// to "signed"), the values that change wrote are the record's, whatever arrives later.
///
/// Sealing is a projection rule rather than a check at the API, because the edits it must
/// stop can come from a peer that had not yet seen the signature: a draft edited on one
/// workstation while it was signed on another. Such an edit stays beside the sealed value
/// as an open conflict (a proposed amendment for a person to review), never the value shown.
#[derive(Debug)]
pub struct Seal {
    pub entity: &'static str,
    pub field: &'static str,
    pub value: &'static str,
}

impl Catalogue {
    pub fn entity(&self, name: &str) -> Option<&'static EntityDef> {
        self.entities.iter().copied().find(|e| e.name == name)
    }

    /// The seal rule of a kind of record, if it has one.
    pub fn seal(&self, entity: &str) -> Option<&'static Seal> {
        self.seals.iter().find(|s| s.entity == entity)
    }
}
