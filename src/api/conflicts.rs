//! Concurrent edits: listing the competing values and settling them.

use rusqlite::Connection;
use serde_json::{json, Value as Json};
use uuid::Uuid;

use crate::chart::{record, ChartError, Ctx};
use crate::ledger::schema::EntityDef;
use crate::ledger::{Change, Op, Value};
use crate::practice::CATALOGUE;

struct Head {
    change: String,
    hlc: i64,
    device: Vec<u8>,
    author: String,
    value: Value,
}

fn heads(conn: &Connection, row: &str, field: &str) -> Result<Vec<Head>, ChartError> {
    let mut stmt = conn.prepare_cached(
        "SELECT change, hlc, device, author, value FROM ledger_field_head WHERE row = ?1 AND field = ?2 ORDER BY hlc DESC, device DESC, change DESC",
    )?;
    let out = stmt
        .query_map([row, field], |r| {
            Ok(Head {
                change: r.get(0)?,
                hlc: r.get(1)?,
                device: r.get(2)?,
                author: r.get(3)?,
                value: Value::from_sql(r.get_ref(4)?),
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(out)
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

/// Open conflicts, optionally for one patient, each with every competing value.
pub fn list(conn: &Connection, patient: Option<&Uuid>) -> Result<Json, ChartError> {
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
        let owner = patient_of(conn, def, &row);
        if let Some(p) = patient {
            if owner.as_deref() != Some(p.to_string().as_str()) {
                continue;
            }
        }
        let hs = heads(conn, &row, &field)?;
        let shown = hs.first().map(|h| h.value.to_json()).unwrap_or(Json::Null);
        out.push(json!({
            "row": row,
            "entity": entity,
            "field": field,
            "patient": owner,
            "since": crate::clock::rfc3339(crate::ledger::hlc::millis(since as u64)),
            "shown": shown,
            "values": hs.iter().map(|h| json!({
                "change": h.change,
                "value": h.value.to_json(),
                "author": h.author,
                "author_name": names.get(&h.author).cloned().unwrap_or_default(),
                "at": crate::clock::rfc3339(crate::ledger::hlc::millis(h.hlc as u64)),
                "device": hex::encode(&h.device[..h.device.len().min(8)]),
            })).collect::<Vec<_>>(),
        }));
    }
    Ok(Json::Array(out))
}

/// The change that settles one conflict: a chosen competing value or a new one, based on
/// every competing value so the field has a single head afterwards.
pub fn resolve(ctx: &Ctx, args: &Json) -> Result<(&'static EntityDef, Uuid, Change), ChartError> {
    let row = record::get_id(args, "row")?;
    let field = args
        .get("field")
        .and_then(Json::as_str)
        .ok_or_else(|| ChartError::invalid("field", "is required"))?;
    let entity: String = ctx
        .conn
        .query_row(
            "SELECT entity FROM ledger_conflict WHERE row = ?1 AND field = ?2",
            [row.to_string(), field.to_string()],
            |r| r.get(0),
        )
        .map_err(|_| ChartError::NotFound(format!("an open conflict on {field} of {row}")))?;
    let def = CATALOGUE
        .entity(&entity)
        .ok_or_else(|| ChartError::NotFound(format!("kind of record {entity}")))?;
    let hs = heads(ctx.conn, &row.to_string(), field)?;
    let value = match (args.get("choose").and_then(Json::as_str), args.get("value")) {
        (Some(c), _) => hs
            .iter()
            .find(|h| h.change == c)
            .map(|h| h.value.clone())
            .ok_or_else(|| {
                ChartError::invalid("choose", "is not one of the competing values' change ids")
            })?,
        (None, Some(v)) => {
            let kind = def
                .field(field)
                .map(|f| f.kind)
                .ok_or_else(|| ChartError::invalid("field", "is not a field of that record"))?;
            record::value_from_json(field, kind, v)?
        }
        _ => {
            return Err(ChartError::invalid(
                "choose",
                "give the change id of the value to keep, or a new value",
            ))
        }
    };
    let mut base = crate::ledger::row_version(ctx.conn, def, &row)?;
    base.extend(hs.iter().filter_map(|h| Uuid::parse_str(&h.change).ok()));
    Ok((
        def,
        row,
        Change::new(
            ctx.new_id(),
            def.name,
            row,
            Op::Resolve,
            vec![(field.to_string(), value)],
            base,
        ),
    ))
}
