//! Concurrent edits: listing the competing values and settling them.

use rusqlite::Connection;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use uuid::Uuid;

use crate::chart::{entities, record, ChartError, Ctx};
use crate::ledger::schema::EntityDef;
use crate::ledger::{Change, Op, Value};
use crate::practice::CATALOGUE;

/// A field edited concurrently on two workstations, with every competing value.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Conflict {
    /// The record's id.
    pub row: String,
    /// Its kind of record.
    pub entity: String,
    pub field: String,
    /// The chart the record belongs to, if any.
    pub patient: Option<String>,
    /// When the first competing value was written (RFC 3339).
    pub since: String,
    /// The value the chart shows until a person chooses (null when hidden).
    pub shown: Json,
    /// The values are secret (password hashes): choose by change id only.
    pub hidden: bool,
    /// On a signed note: the signed value stays, the others are proposed amendments.
    pub signed: bool,
    /// Every competing value, the shown one first.
    pub values: Vec<CompetingValue>,
}

/// One competing value of a conflict.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct CompetingValue {
    /// The change that wrote it: pass it as `choose` to keep this value.
    pub change: String,
    pub value: Json,
    pub signed: bool,
    /// The author's user id, and name.
    pub author: String,
    pub author_name: String,
    pub at: String,
    /// The first 8 bytes of the workstation id, hex.
    pub device: String,
}

/// Fields whose competing values are never shown, only chosen between by change id.
const SECRET_FIELDS: &[(&str, &str)] = &[("user", "password_hash")];

fn secret(entity: &str, field: &str) -> bool {
    SECRET_FIELDS.contains(&(entity, field))
}

struct Head {
    change: String,
    hlc: i64,
    device: Vec<u8>,
    author: String,
    value: Value,
    /// Written by a signature: the signed value, which is the one shown.
    sealed: bool,
}

/// The competing values of one field, the shown one first (the ledger's winner order).
fn heads(conn: &Connection, row: &str, field: &str) -> Result<Vec<Head>, ChartError> {
    let mut stmt = conn.prepare_cached(
        "SELECT change, hlc, device, author, value, sealed FROM ledger_field_head WHERE row = ?1 AND field = ?2 ORDER BY sealed DESC, lamport DESC, device DESC, change DESC",
    )?;
    let out = stmt
        .query_map([row, field], |r| {
            Ok(Head {
                change: r.get(0)?,
                hlc: r.get(1)?,
                device: r.get(2)?,
                author: r.get(3)?,
                value: Value::from_sql(r.get_ref(4)?),
                sealed: r.get(5)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(out)
}

/// The kind of record an open conflict is on.
pub fn entity_of(
    conn: &Connection,
    row: &Uuid,
    field: &str,
) -> Result<&'static EntityDef, ChartError> {
    let entity: String = conn
        .query_row(
            "SELECT entity FROM ledger_conflict WHERE row = ?1 AND field = ?2",
            [row.to_string(), field.to_string()],
            |r| r.get(0),
        )
        .map_err(|_| ChartError::NotFound(format!("an open conflict on {field} of {row}")))?;
    CATALOGUE
        .entity(&entity)
        .ok_or_else(|| ChartError::NotFound(format!("kind of record {entity}")))
}

fn patient_of(conn: &Connection, def: &EntityDef, row: &str) -> Option<String> {
    if def.name == "patient" {
        return Some(row.to_string());
    }
    def.field("patient")?;
    conn.query_row(
        &format!("SELECT patient FROM \"{}\" WHERE id = ?1", def.table),
        [row],
        |r| r.get(0),
    )
    .ok()
}

/// Open conflicts, optionally for one patient, each with every competing value, on the
/// kinds of record `may_read` allows. Secret values (password hashes) are left out.
pub fn list(
    conn: &Connection,
    patient: Option<&Uuid>,
    may_read: impl Fn(&EntityDef) -> bool,
) -> Result<Vec<Conflict>, ChartError> {
    let names = crate::access::users::names(conn)?;
    let mut stmt = conn.prepare(
        "SELECT c.row, c.field, c.entity, (SELECT min(hlc) FROM ledger_field_head h WHERE h.row = c.row AND h.field = c.field) AS since
         FROM ledger_conflict c ORDER BY since, c.row, c.field",
    )?;
    let open: Vec<(String, String, String, i64)> = stmt
        .query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get::<_, Option<i64>>(3)?.unwrap_or(0),
            ))
        })?
        .collect::<Result<_, _>>()?;
    let mut out = Vec::new();
    for (row, field, entity, since) in open {
        let Some(def) = CATALOGUE.entity(&entity) else {
            continue;
        };
        if !may_read(def) {
            continue;
        }
        let hidden = secret(&entity, &field);
        let shown_value = |v: &Value| if hidden { Json::Null } else { v.to_json() };
        let owner = patient_of(conn, def, &row);
        if let Some(p) = patient {
            if owner.as_deref() != Some(p.to_string().as_str()) {
                continue;
            }
        }
        let hs = heads(conn, &row, &field)?;
        let shown = hs
            .first()
            .map(|h| shown_value(&h.value))
            .unwrap_or(Json::Null);
        let signed = hs.iter().any(|h| h.sealed);
        out.push(Conflict {
            row,
            entity,
            field,
            patient: owner,
            since: crate::clock::rfc3339(crate::ledger::hlc::millis(since as u64)),
            shown,
            hidden,
            signed,
            values: hs
                .iter()
                .map(|h| CompetingValue {
                    change: h.change.clone(),
                    value: shown_value(&h.value),
                    signed: h.sealed,
                    author: h.author.clone(),
                    author_name: names.get(&h.author).cloned().unwrap_or_default(),
                    at: crate::clock::rfc3339(crate::ledger::hlc::millis(h.hlc as u64)),
                    device: hex::encode(&h.device[..h.device.len().min(8)]),
                })
                .collect(),
        });
    }
    Ok(out)
}

/// How a conflict is settled: one of the competing values, or a new one.
pub enum Choice<'a> {
    /// The change id of the competing value to keep.
    Change(&'a str),
    /// A new value, checked as an edit would be.
    Value(&'a Json),
}

/// A value that must be unique but was given twice, on workstations that were apart; or
/// records that look like one entered twice (a patient registered on two workstations, the
/// same allergy added on two), flagged for a person and never merged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Duplicate {
    /// The kind of record: `patient` (an MRN, or a name and birth date), `user` (a user
    /// name) or `allergy` (a substance).
    pub entity: String,
    /// What they share: `mrn`, `name` (user), `name_and_birth_date` (patient: retract the
    /// one registered in error, or correct it), `substance` (allergy: retract one).
    pub field: String,
    /// The value given twice.
    pub value: String,
    /// The ids of the records that share it; change all but one to settle it.
    pub rows: Vec<String>,
}

/// Values that must be unique but were given twice on workstations that were apart (an
/// MRN, a user name), on the kinds of record `may_read` allows: each with the records that
/// share it. Changing all but one of them settles it.
pub fn duplicates(
    conn: &Connection,
    may_read: impl Fn(&EntityDef) -> bool,
) -> Result<Vec<Duplicate>, ChartError> {
    let mut out = Vec::new();
    for (entity, field, value, rows) in crate::ledger::unique::list(conn)? {
        let Some(def) = CATALOGUE.entity(&entity) else {
            continue;
        };
        if may_read(def) {
            out.push(Duplicate {
                entity,
                field,
                value,
                rows,
            });
        }
    }
    // Records that look entered twice. Computed from the projection as it is, so every
    // workstation holding the same commits lists the same ones.
    let lookalikes: [(&str, &str, &str); 2] = [
        (
            "patient",
            "name_and_birth_date",
            "SELECT lower(trim(family)) || ' ' || lower(coalesce(given, '')) || ' ' || birth_date, group_concat(id, ' ')
             FROM (SELECT * FROM patient WHERE retracted = 0 AND family IS NOT NULL AND birth_date IS NOT NULL ORDER BY id)
             GROUP BY lower(trim(family)), lower(coalesce(given, '')), birth_date HAVING count(*) > 1",
        ),
        (
            "allergy",
            "substance",
            "SELECT patient || ' ' || lower(coalesce(code, trim(substance))), group_concat(id, ' ')
             FROM (SELECT * FROM allergy WHERE retracted = 0 AND coalesce(no_known, 0) = 0
                     AND coalesce(status, 'active') = 'active' AND coalesce(code, substance) IS NOT NULL ORDER BY id)
             GROUP BY patient, lower(coalesce(code, trim(substance))) HAVING count(*) > 1",
        ),
    ];
    for (entity, field, sql) in lookalikes {
        let Some(def) = CATALOGUE.entity(entity) else {
            continue;
        };
        if !may_read(def) {
            continue;
        }
        let mut stmt = conn.prepare(sql)?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
        for r in rows {
            let (value, ids) = r?;
            out.push(Duplicate {
                entity: entity.to_string(),
                field: field.to_string(),
                value,
                rows: ids.split(' ').map(str::to_string).collect(),
            });
        }
    }
    Ok(out)
}

/// The change that settles one conflict: a chosen competing value or a new one, based on
/// every competing value so the field has a single head afterwards.
///
/// A resolution is an edit of that record: the value passes the same validation an edit
/// would ([`edit_change`] builds the edit's change), so a conflict cannot smuggle in what
/// an edit would refuse. On a signed note only the signed value can be kept; the other
/// text belongs in an amendment.
pub fn resolve(
    ctx: &Ctx,
    row: Uuid,
    field: &str,
    choice: Option<Choice>,
) -> Result<(&'static EntityDef, Uuid, Change), ChartError> {
    let def = entity_of(ctx.conn, &row, field)?;
    let hs = heads(ctx.conn, &row.to_string(), field)?;
    let validate = |def: &EntityDef, row: Uuid, field: &str, value: Value| {
        edit_change(ctx, def, row, field, value)
    };
    let chosen = match choice {
        Some(Choice::Change(c)) => hs.iter().find(|h| h.change == c).ok_or_else(|| {
            ChartError::invalid("choose", "is not one of the competing values' change ids")
        })?,
        Some(Choice::Value(v)) => {
            if secret(def.name, field) || hs.iter().any(|h| h.sealed) {
                return Err(ChartError::invalid(
                    "value",
                    "this field takes no new value here; choose one of the competing values by change id",
                ));
            }
            let kind = def
                .field(field)
                .map(|f| f.kind)
                .ok_or_else(|| ChartError::invalid("field", "is not a field of that record"))?;
            let value = record::value_from_json(field, kind, v)?;
            let change = validate(def, row, field, value)?;
            return Ok((def, row, as_resolution(ctx, def, row, change, &hs)?));
        }
        None => {
            return Err(ChartError::invalid(
                "choose",
                "give the change id of the value to keep, or a new value",
            ))
        }
    };
    if hs.iter().any(|h| h.sealed) && !chosen.sealed {
        return Err(ChartError::Immutable(
            "this note is signed: keep the signed value, and add the other text as an amendment (note.amend) if it is right".into(),
        ));
    }
    let change = if chosen.sealed || secret(def.name, field) {
        // The signed value was validated when it was signed; a password hash is one that
        // a password change made.
        Change::new(
            ctx.new_id(),
            def.name,
            row,
            Op::Resolve,
            vec![(field.to_string(), chosen.value.clone())],
            vec![],
        )
    } else {
        validate(def, row, field, chosen.value.clone())?
    };
    Ok((def, row, as_resolution(ctx, def, row, change, &hs)?))
}

/// An edit's change made into a resolution: the same fields, based on every competing
/// value so the field has a single head afterwards.
fn as_resolution(
    ctx: &Ctx,
    def: &EntityDef,
    row: Uuid,
    change: Change,
    hs: &[Head],
) -> Result<Change, ChartError> {
    let mut base = crate::ledger::row_version(ctx.conn, def, &row)?;
    base.extend(hs.iter().filter_map(|h| Uuid::parse_str(&h.change).ok()));
    base.sort();
    base.dedup();
    Ok(Change::new(
        ctx.new_id(),
        def.name,
        row,
        Op::Resolve,
        change.fields,
        base,
    ))
}

/// The change an ordinary edit of `field` to `value` would make, through the same
/// validation: what a conflict's resolution must pass.
pub fn edit_change(
    ctx: &Ctx,
    def: &EntityDef,
    row: Uuid,
    field: &str,
    value: Value,
) -> Result<Change, ChartError> {
    let version = crate::ledger::row_version(ctx.conn, def, &row)?;
    match def.name {
        "user" => {
            crate::access::users::check_field(field, &value)?;
            return Ok(Change::new(
                ctx.new_id(),
                def.name,
                row,
                Op::Set,
                vec![(field.to_string(), value)],
                vec![],
            ));
        }
        "setting" => {
            let name: String = ctx.conn.query_row(
                "SELECT name FROM setting WHERE id = ?1",
                [row.to_string()],
                |r| r.get(0),
            )?;
            if field != "value" {
                return Err(ChartError::invalid(
                    "field",
                    "only a setting's value can be chosen",
                ));
            }
            crate::access::users::check_setting(&name, value.as_str().unwrap_or_default())?;
            return Ok(Change::new(
                ctx.new_id(),
                def.name,
                row,
                Op::Set,
                vec![(field.to_string(), value)],
                vec![],
            ));
        }
        _ => {}
    }
    let fields = vec![(field.to_string(), value)];
    let (_, change) = if def.name == entities::PATIENT.name {
        super::patient::update(ctx, row, &version, fields)?
    } else {
        super::update(ctx, def, row, &version, fields)?
    };
    Ok(change)
}
