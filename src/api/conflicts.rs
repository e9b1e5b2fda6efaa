//! Concurrent edits: listing the competing values and settling them.

use rusqlite::Connection;
use serde_json::{json, Value as Json};
use uuid::Uuid;

use super::ApiError;
use crate::chart::{record, ChartError, Ctx};
use crate::ledger::schema::EntityDef;
use crate::ledger::{Change, Op, Value};
use crate::practice::CATALOGUE;

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
) -> Result<Json, ChartError> {
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
        out.push(json!({
            "row": row,
            "entity": entity,
            "field": field,
            "patient": owner,
            "since": crate::clock::rfc3339(crate::ledger::hlc::millis(since as u64)),
            "shown": shown,
            "hidden": hidden,
            // On a signed note the signed value stays; the others are proposed amendments.
            "signed": signed,
            "values": hs.iter().map(|h| json!({
                "change": h.change,
                "value": shown_value(&h.value),
                "signed": h.sealed,
                "author": h.author,
                "author_name": names.get(&h.author).cloned().unwrap_or_default(),
                "at": crate::clock::rfc3339(crate::ledger::hlc::millis(h.hlc as u64)),
                "device": hex::encode(&h.device[..h.device.len().min(8)]),
            })).collect::<Vec<_>>(),
        }));
    }
    Ok(Json::Array(out))
}

/// Values that must be unique but were given twice on workstations that were apart (an
/// MRN, a user name), on the kinds of record `may_read` allows: each with the records that
/// share it. Changing all but one of them settles it.
pub fn duplicates(
    conn: &Connection,
    may_read: impl Fn(&EntityDef) -> bool,
) -> Result<Json, ChartError> {
    let mut out = Vec::new();
    for (entity, field, value, rows) in crate::ledger::unique::list(conn)? {
        let Some(def) = CATALOGUE.entity(&entity) else {
            continue;
        };
        if !may_read(def) {
            continue;
        }
        out.push(json!({
            "entity": entity,
            "field": field,
            "value": value,
            "rows": rows,
        }));
    }
    Ok(Json::Array(out))
}

/// The change that settles one conflict: a chosen competing value or a new one, based on
/// every competing value so the field has a single head afterwards.
///
/// A resolution is an edit of that record: the value passes the same validation an edit
/// would (`validate` builds the edit's change), so a conflict cannot smuggle in what an
/// edit would refuse. On a signed note only the signed value can be kept; the other text
/// belongs in an amendment.
pub fn resolve(
    ctx: &Ctx,
    args: &Json,
    validate: impl FnOnce(&EntityDef, Uuid, &str, Value) -> Result<Change, ApiError>,
) -> Result<(&'static EntityDef, Uuid, Change), ApiError> {
    let row = record::get_id(args, "row")?;
    let field = args
        .get("field")
        .and_then(Json::as_str)
        .ok_or_else(|| ChartError::invalid("field", "is required"))?;
    let def = entity_of(ctx.conn, &row, field)?;
    let hs = heads(ctx.conn, &row.to_string(), field)?;
    let chosen = match (args.get("choose").and_then(Json::as_str), args.get("value")) {
        (Some(c), _) => hs.iter().find(|h| h.change == c).ok_or_else(|| {
            ChartError::invalid("choose", "is not one of the competing values' change ids")
        })?,
        (None, Some(v)) => {
            if secret(def.name, field) || hs.iter().any(|h| h.sealed) {
                return Err(ChartError::invalid(
                    "value",
                    "this field takes no new value here; choose one of the competing values by change id",
                )
                .into());
            }
            let kind = def
                .field(field)
                .map(|f| f.kind)
                .ok_or_else(|| ChartError::invalid("field", "is not a field of that record"))?;
            let value = record::value_from_json(field, kind, v)?;
            let change = validate(def, row, field, value)?;
            return Ok((def, row, as_resolution(ctx, def, row, change, &hs)?));
        }
        _ => {
            return Err(ChartError::invalid(
                "choose",
                "give the change id of the value to keep, or a new value",
            )
            .into())
        }
    };
    if hs.iter().any(|h| h.sealed) && !chosen.sealed {
        return Err(ChartError::Immutable(
            "this note is signed: keep the signed value, and add the other text as an amendment (note.amend) if it is right".into(),
        )
        .into());
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
