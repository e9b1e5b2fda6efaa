//! Projecting one change into the typed tables, with per-field concurrency tracking.
//!
//! Each edited field keeps its current "heads" (the changes whose value nobody has yet
//! edited on top of). A new change supersedes the heads named in its `base`; any head it
//! did not know of stays, and two or more heads are a conflict: both values are kept,
//! the one [`outranks`] picks is shown, and a conflict row is
//! opened until a change that saw all heads settles it. The result depends only on which
//! changes exist, not on the order they arrived in (given causal delivery), so every
//! workstation converges.

use std::fmt::Write as _;

use rusqlite::{params, Connection, OptionalExtension};
use uuid::Uuid;

use super::commit::{Change, Op};
use super::schema::{Catalogue, EntityDef, FieldKind, RETRACT_FIELDS};
use super::value::Value;
use super::LedgerError;

/// Where a change came from: its commit's clock, device and author.
#[derive(Debug, Clone, Copy)]
pub struct Origin {
    pub hlc: u64,
    /// The commit's Lamport counter: what picks a winner among conflicting values.
    pub lamport: u64,
    pub device: [u8; 32],
    pub author: Uuid,
}

fn quote(ident: &str) -> String {
    format!("\"{ident}\"")
}

/// Checks a change against the catalogue and the current tables before anything is
/// written, so bad input is refused with a reason instead of half-applied.
pub fn check(
    conn: &Connection,
    cat: &Catalogue,
    c: &Change,
) -> Result<&'static EntityDef, LedgerError> {
    let def = cat
        .entity(&c.entity)
        .ok_or_else(|| LedgerError::Invalid(format!("unknown kind of record '{}'", c.entity)))?;
    for (name, value) in &c.fields {
        let kind = match def.field(name) {
            Some(f) => f.kind,
            None if RETRACT_FIELDS.contains(&name.as_str()) && c.op == Op::Retract => {
                if name == "retracted" {
                    FieldKind::Bool
                } else {
                    FieldKind::Text
                }
            }
            None if c.op == Op::Amend => continue,
            None => {
                return Err(LedgerError::Invalid(format!(
                    "'{}' has no field '{}'",
                    c.entity, name
                )))
            }
        };
        let ok = match (kind, value) {
            (_, Value::Null) => true,
            (FieldKind::Int, Value::Int(_)) => true,
            (FieldKind::Real, Value::Real(f)) => f.is_finite(),
            (FieldKind::Real, Value::Int(_)) => true,
            (FieldKind::Bool, Value::Bool(_)) => true,
            (FieldKind::Bytes, Value::Bytes(_)) => true,
            (
                FieldKind::Text
                | FieldKind::Json
                | FieldKind::Date
                | FieldKind::DateTime
                | FieldKind::Ref,
                Value::Text(_),
            ) => true,
            _ => false,
        };
        if !ok {
            return Err(LedgerError::Invalid(format!(
                "field '{}.{}' cannot hold {:?}",
                c.entity,
                name,
                value.to_json()
            )));
        }
    }
    // A create needs no look-up: the insert's primary key refuses a duplicate id.
    if c.op != Op::Create && !row_entity(conn, def, &c.row)? {
        return Err(LedgerError::NotFound(format!("{} {}", c.entity, c.row)));
    }
    Ok(def)
}

fn row_entity(conn: &Connection, def: &EntityDef, row: &Uuid) -> Result<bool, LedgerError> {
    let sql = format!("SELECT 1 FROM {} WHERE id = ?1", quote(def.table));
    Ok(conn
        .prepare_cached(&sql)?
        .query_row([row.to_string()], |_| Ok(()))
        .optional()?
        .is_some())
}

/// Writes one change into the projections. The caller holds the ledger's transaction.
/// With `keep_unique`, the duplicates of unique fields are kept up to date row by row; a
/// replay passes false and derives them once at the end ([`super::unique::derive_all`]):
/// its scratch tables have no secondary indexes, so a per-row look-up would scan.
pub fn apply_change(
    conn: &Connection,
    cat: &Catalogue,
    def: &EntityDef,
    c: &Change,
    origin: &Origin,
    keep_unique: bool,
) -> Result<(), LedgerError> {
    // Ids are bound as text from stack buffers: a replay projects millions of changes, and
    // three heap strings each were a measurable share of it.
    let (mut row_buf, mut author_buf) = ([0u8; 36], [0u8; 36]);
    let row: &str = c.row.hyphenated().encode_lower(&mut row_buf);
    let author: &str = origin.author.hyphenated().encode_lower(&mut author_buf);
    let at = super::hlc::millis(origin.hlc);
    match c.op {
        Op::Create => create_rows(conn, def, &[c], origin)?,
        Op::Set | Op::Retract | Op::Resolve => {
            let seal = cat.seal(def.name);
            let sealing = seal.is_some_and(|s| {
                c.op == Op::Set
                    && c.fields
                        .iter()
                        .any(|(k, v)| k == s.field && v.as_str() == Some(s.value))
            });
            let mut shown: Vec<(&str, Value)> = Vec::with_capacity(c.fields.len());
            for (name, v) in &c.fields {
                // Only the record's own fields are sealed: retracting a signed note (by
                // its signer or an administrator) stays possible.
                let rule = match seal {
                    Some(s) if def.field(name).is_some() => Some(SealState { seal: s, sealing }),
                    _ => None,
                };
                let winner = settle_field(conn, def, c, name, v, origin, rule)?;
                shown.push((name, winner));
            }
            let mut sets: Vec<String> = Vec::new();
            let mut vals: Vec<&dyn rusqlite::ToSql> = Vec::new();
            for (i, (name, v)) in shown.iter().enumerate() {
                sets.push(format!("{} = ?{}", quote(name), i + 1));
                vals.push(v);
            }
            let n = vals.len();
            // The latest change by (time, author) stamps the row, whatever order changes
            // arrived in, so every workstation shows the same "last updated".
            sets.push(format!(
                "updated_by = CASE WHEN ?{a} > updated_at OR (?{a} = updated_at AND ?{b} > updated_by) THEN ?{b} ELSE updated_by END",
                a = n + 1,
                b = n + 2
            ));
            sets.push(format!("updated_at = max(updated_at, ?{})", n + 1));
            vals.push(&at);
            vals.push(&author);
            vals.push(&row);
            let sql = format!(
                "UPDATE {} SET {} WHERE id = ?{}",
                quote(def.table),
                sets.join(", "),
                n + 3
            );
            conn.prepare_cached(&sql)?.execute(vals.as_slice())?;
        }
        Op::Amend => {
            let fields: serde_json::Map<String, serde_json::Value> = c
                .fields
                .iter()
                .map(|(k, v)| (k.clone(), v.to_json()))
                .collect();
            conn.prepare_cached(
                "INSERT INTO amendment (id, entity, row, fields, author, hlc) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![
                c.id.to_string(),
                c.entity,
                row,
                serde_json::Value::Object(fields).to_string(),
                author,
                origin.hlc as i64
            ])?;
        }
    }
    after_write(conn, cat, def, row, keep_unique)
}

/// What follows every write of a row: its duplicates of unique fields (unless a replay
/// derives them at the end) and the derived indexes.
fn after_write(
    conn: &Connection,
    cat: &Catalogue,
    def: &EntityDef,
    row: &str,
    keep_unique: bool,
) -> Result<(), LedgerError> {
    if keep_unique {
        for u in cat.unique.iter().filter(|u| u.entity == def.name) {
            super::unique::settle(conn, def, u, row)?;
        }
    }
    if let Some(hook) = cat.row_hook {
        hook(conn, def.name, row)?;
    }
    Ok(())
}

/// Whether `later` can be written in the same statement as `first` by [`create_all`]:
/// both create a row of the same kind with the same fields in the same order.
pub fn creates_alike(first: &Change, later: &Change) -> bool {
    later.op == Op::Create
        && first.op == Op::Create
        && later.entity == first.entity
        && later.fields.len() == first.fields.len()
        && later
            .fields
            .iter()
            .zip(&first.fields)
            .all(|(a, b)| a.0 == b.0)
}

/// At most this many rows go into one insert (SQLite's limit on a statement's
/// parameters is far above it).
const ROWS_PER_INSERT: usize = 64;

/// Writes the rows that `creates` (all alike, see [`creates_alike`]) make, with as few
/// statements as possible, then what follows each row's write. A form's seven results
/// are one insert instead of seven: every statement on a table with a guard trigger gets
/// a statement journal, a copy of each page it touches, and seven rows appended to the
/// same pages were seven copies of them.
pub fn create_all(
    conn: &Connection,
    cat: &Catalogue,
    def: &EntityDef,
    creates: &[&Change],
    origin: &Origin,
) -> Result<(), LedgerError> {
    for group in creates.chunks(ROWS_PER_INSERT) {
        create_rows(conn, def, group, origin)?;
    }
    let mut row_buf = [0u8; 36];
    for c in creates {
        after_write(
            conn,
            cat,
            def,
            c.row.hyphenated().encode_lower(&mut row_buf),
            true,
        )?;
    }
    Ok(())
}

/// Inserts the rows of one or more alike creates in one statement.
fn create_rows(
    conn: &Connection,
    def: &EntityDef,
    creates: &[&Change],
    origin: &Origin,
) -> Result<(), LedgerError> {
    let Some(first) = creates.first() else {
        return Ok(());
    };
    // Ids are encoded into one buffer rather than a heap string each, as in
    // `apply_change`: a replay creates millions of rows, one statement each.
    let mut author_buf = [0u8; 36];
    let author: &str = origin.author.hyphenated().encode_lower(&mut author_buf);
    let at = super::hlc::millis(origin.hlc);
    let mut buf = vec![0u8; 72 * creates.len()];
    for (b, c) in buf.chunks_mut(72).zip(creates) {
        let (row, change) = b.split_at_mut(36);
        c.row.hyphenated().encode_lower(row);
        c.id.hyphenated().encode_lower(change);
    }
    // Hyphenated UUIDs are ASCII, so these never fail.
    let ids: Vec<(&str, &str)> = buf
        .chunks(72)
        .map(|b| {
            let (row, change) = b.split_at(36);
            (
                std::str::from_utf8(row).unwrap_or_default(),
                std::str::from_utf8(change).unwrap_or_default(),
            )
        })
        .collect();
    let width = first.fields.len() + 6;
    let mut sql = String::with_capacity(64 + 24 * width * creates.len());
    sql.push_str("INSERT INTO \"");
    sql.push_str(def.table);
    sql.push_str("\" (id");
    for (name, _) in &first.fields {
        sql.push_str(", \"");
        sql.push_str(name);
        sql.push('"');
    }
    sql.push_str(", created_change, created_at, created_by, updated_at, updated_by) VALUES ");
    let mut vals: Vec<&dyn rusqlite::ToSql> = Vec::with_capacity(width * creates.len());
    for (n, (c, (row, change))) in creates.iter().zip(&ids).enumerate() {
        vals.push(row);
        for (_, v) in &c.fields {
            vals.push(v);
        }
        vals.extend([change as &dyn rusqlite::ToSql, &at, &author, &at, &author]);
        sql.push_str(if n == 0 { "(" } else { ", (" });
        for i in 0..width {
            // Writing into a String cannot fail.
            let _ = write!(
                sql,
                "{}?{}",
                if i == 0 { "" } else { ", " },
                n * width + i + 1
            );
        }
        sql.push(')');
    }
    match conn.prepare_cached(&sql)?.execute(vals.as_slice()) {
        Ok(_) => Ok(()),
        Err(rusqlite::Error::SqliteFailure(f, _))
            if f.code == rusqlite::ErrorCode::ConstraintViolation && creates.len() > 1 =>
        {
            // The statement wrote nothing. Row by row, to say which one is refused.
            for c in creates {
                create_rows(conn, def, &[c], origin)?;
            }
            Ok(())
        }
        Err(rusqlite::Error::SqliteFailure(f, _))
            if f.code == rusqlite::ErrorCode::ConstraintViolation =>
        {
            Err(LedgerError::Invalid(format!(
                "a {} with id {} already exists, or a required field is missing",
                first.entity, first.row
            )))
        }
        Err(e) => Err(e.into()),
    }
}

/// How the seal rule bears on one field of one change.
#[derive(Clone, Copy)]
struct SealState {
    seal: &'static super::schema::Seal,
    /// The change seals the record (it signs the note).
    sealing: bool,
}

struct Head {
    change: String,
    hlc: i64,
    lamport: i64,
    device: Vec<u8>,
    value: Value,
    sealed: bool,
    /// Has a row in `ledger_field_head` (an implicit creation head has none yet).
    stored: bool,
}

/// Updates the heads of one field and returns the value the chart should show.
fn settle_field(
    conn: &Connection,
    def: &EntityDef,
    c: &Change,
    field: &str,
    value: &Value,
    origin: &Origin,
    seal: Option<SealState>,
) -> Result<Value, LedgerError> {
    let row = c.row.to_string();
    let mut heads: Vec<Head> = conn
        .prepare_cached(
            "SELECT change, hlc, device, value, sealed, lamport FROM ledger_field_head WHERE row = ?1 AND field = ?2",
        )?
        .query_map(params![row, field], |r| {
            Ok(Head {
                change: r.get(0)?,
                hlc: r.get(1)?,
                device: r.get(2)?,
                value: Value::from_sql(r.get_ref(3)?),
                sealed: r.get(4)?,
                lamport: r.get(5)?,
                stored: true,
            })
        })?
        .collect::<Result<_, _>>()?;
    if heads.is_empty() {
        // Never edited since creation: the creating change is the only head. A record
        // created sealed (a note imported already signed) has a sealed creation.
        let state = seal.map_or("NULL".to_string(), |s| quote(s.seal.field));
        let (created, created_at, current, state): (String, i64, Value, Option<String>) = conn
            .prepare_cached(&format!(
                "SELECT created_change, created_at, {}, {} FROM {} WHERE id = ?1",
                quote(field),
                state,
                quote(def.table)
            ))?
            .query_row([&row], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    Value::from_sql(r.get_ref(2)?),
                    r.get(3)?,
                ))
            })?;
        let sealed = seal.is_some_and(|s| state.as_deref() == Some(s.seal.value));
        // Whether this change supersedes it is decided below, like any head.
        heads.push(Head {
            change: created,
            hlc: super::hlc::pack(created_at, 0) as i64,
            lamport: 0,
            device: Vec::new(),
            value: current,
            sealed,
            stored: false,
        });
    }
    let base: Vec<String> = c.base.iter().map(|b| b.to_string()).collect();
    // A sealed value is superseded only by a resolution, which keeps the seal: an edit
    // made on top of a signed note (by a peer that ignored the signature) stays beside it.
    let (superseded, remaining): (Vec<Head>, Vec<Head>) = heads
        .into_iter()
        .partition(|h| base.contains(&h.change) && (!h.sealed || c.op == Op::Resolve));
    let sealed = seal.is_some_and(|s| s.sealing)
        || (c.op == Op::Resolve && superseded.iter().any(|h| h.sealed));
    for h in superseded.iter().filter(|h| h.stored) {
        conn.prepare_cached(
            "DELETE FROM ledger_field_head WHERE row = ?1 AND field = ?2 AND change = ?3",
        )?
        .execute(params![row, field, h.change])?;
    }
    let me = c.id.to_string();
    let insert = "INSERT OR IGNORE INTO ledger_field_head (row, field, change, hlc, device, author, value, sealed, lamport) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
    for h in remaining.iter().filter(|h| !h.stored) {
        // Materialize an implicit creation head that this change did not know of (or, if
        // sealed, may not replace).
        conn.prepare_cached(insert)?.execute(params![
            row, field, h.change, h.hlc, h.device, "", h.value, h.sealed, h.lamport
        ])?;
    }
    conn.prepare_cached(insert)?.execute(params![
        row,
        field,
        me,
        origin.hlc as i64,
        origin.device.as_slice(),
        origin.author.to_string(),
        value,
        sealed,
        origin.lamport as i64
    ])?;
    let conflicted = !remaining.is_empty();
    let mut winner = Head {
        change: me.clone(),
        hlc: origin.hlc as i64,
        lamport: origin.lamport as i64,
        device: origin.device.to_vec(),
        value: value.clone(),
        sealed,
        stored: true,
    };
    for h in remaining {
        if outranks(&h, &winner) {
            winner = h;
        }
    }
    if conflicted {
        conn.prepare_cached(
            "INSERT OR IGNORE INTO ledger_conflict (row, field, entity) VALUES (?1, ?2, ?3)",
        )?
        .execute(params![row, field, c.entity])?;
    } else {
        conn.prepare_cached("DELETE FROM ledger_conflict WHERE row = ?1 AND field = ?2")?
            .execute(params![row, field])?;
    }
    Ok(winner.value)
}

/// Whether head `a` is shown rather than `b`: a sealed value (what a signature wrote, so a
/// signed note shows what was signed), then the greater Lamport counter, then device, then
/// change id. Never the wall clock: a workstation whose clock runs ahead must not win
/// every conflict. Every input is signed in the commits, so every peer picks the same
/// winner whatever order the changes arrived in.
fn outranks(a: &Head, b: &Head) -> bool {
    (a.sealed, a.lamport, &a.device, &a.change) > (b.sealed, b.lamport, &b.device, &b.change)
}
