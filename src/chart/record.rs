//! Records as JSON: turning a request's field values into the ledger's values for a
//! change, and a projection row back into JSON for the typed answer.

use base64::Engine as _;
use chrono::{DateTime, NaiveDate, NaiveDateTime};
use rusqlite::{Connection, OptionalExtension};
use serde_json::{Map, Value as Json};
use uuid::Uuid;

use super::ChartError;
use crate::ledger::schema::{EntityDef, FieldKind};
use crate::ledger::{row_version, Value};

/// One request value as the ledger value a change stores, refusing values of the wrong
/// shape with a message that names the field.
pub fn value_from_json(name: &str, kind: FieldKind, v: &Json) -> Result<Value, ChartError> {
    if v.is_null() {
        return Ok(Value::Null);
    }
    let bad = |what: &str| ChartError::invalid(name, what);
    Ok(match kind {
        FieldKind::Text => Value::Text(
            v.as_str()
                .ok_or_else(|| bad("must be text"))?
                .trim()
                .to_string(),
        ),
        FieldKind::Int => Value::Int(v.as_i64().ok_or_else(|| bad("must be a whole number"))?),
        FieldKind::Real => {
            let f = v.as_f64().ok_or_else(|| bad("must be a number"))?;
            if !f.is_finite() {
                return Err(bad("must be a finite number"));
            }
            Value::Real(f)
        }
        FieldKind::Bool => Value::Bool(v.as_bool().ok_or_else(|| bad("must be true or false"))?),
        FieldKind::Json => match v {
            Json::Array(_) | Json::Object(_) => Value::Text(v.to_string()),
            _ => return Err(bad("must be a list or an object")),
        },
        FieldKind::Bytes => {
            let s = v.as_str().ok_or_else(|| bad("must be base64 text"))?;
            Value::Bytes(
                base64::engine::general_purpose::STANDARD
                    .decode(s)
                    .map_err(|_| bad("must be base64 text"))?,
            )
        }
        FieldKind::Date => {
            let s = v
                .as_str()
                .ok_or_else(|| bad("must be a date, YYYY-MM-DD"))?;
            Value::Text(parse_date(s).map_err(|m| bad(&m))?.to_string())
        }
        FieldKind::DateTime => {
            let s = v.as_str().ok_or_else(|| bad("must be a date and time"))?;
            Value::Text(parse_datetime(s).map_err(|m| bad(&m))?)
        }
        FieldKind::Ref => {
            let s = v.as_str().ok_or_else(|| bad("must be a record id"))?;
            Value::Text(
                Uuid::parse_str(s)
                    .map_err(|_| bad("must be a record id"))?
                    .to_string(),
            )
        }
    })
}

/// A calendar date; impossible dates (2023-02-30) are refused.
pub fn parse_date(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| format!("'{s}' is not a real date in the form YYYY-MM-DD"))
}

/// RFC 3339, or a local `YYYY-MM-DDTHH:MM[:SS]` / a bare date, normalised to RFC 3339 UTC.
pub fn parse_datetime(s: &str) -> Result<String, String> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.to_utc().format("%Y-%m-%dT%H:%M:%SZ").to_string());
    }
    for f in [
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, f) {
            return Ok(t.format("%Y-%m-%dT%H:%M:%SZ").to_string());
        }
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Ok(format!("{d}T00:00:00Z"));
    }
    Err(format!(
        "'{s}' is not a real date and time (use RFC 3339, e.g. 2026-03-01T09:30:00Z)"
    ))
}

/// The row as JSON: every column, JSON fields parsed, bytes left out (they have their own
/// command), plus `version` for optimistic edits.
pub fn row_json(conn: &Connection, def: &EntityDef, id: &Uuid) -> Result<Option<Json>, ChartError> {
    let sql = format!("SELECT * FROM \"{}\" WHERE id = ?1", def.table);
    let mut stmt = conn.prepare_cached(&sql)?;
    let row = stmt
        .query_row([id.to_string()], |r| Ok(row_to_json(def, r)))
        .optional()?;
    let Some(mut row) = row else { return Ok(None) };
    let version: Vec<String> = row_version(conn, def, id)?
        .into_iter()
        .map(|u| u.to_string())
        .collect();
    row.insert("version".into(), Json::from(version));
    Ok(Some(Json::Object(row)))
}

/// One projection row as a JSON object, by column name.
pub fn row_to_json(def: &EntityDef, r: &rusqlite::Row<'_>) -> Map<String, Json> {
    let mut m = Map::new();
    let stmt = r.as_ref();
    for i in 0..stmt.column_count() {
        let name = stmt.column_name(i).unwrap_or("?").to_string();
        let v = r.get_ref(i).map(Value::from_sql).unwrap_or(Value::Null);
        let kind = def.field(&name).map(|f| f.kind);
        let j = match (kind, v) {
            (Some(FieldKind::Json), Value::Text(t)) => {
                serde_json::from_str(&t).unwrap_or(Json::Null)
            }
            (Some(FieldKind::Bool), Value::Int(i)) => Json::Bool(i != 0),
            (Some(FieldKind::Bytes), _) => continue,
            (None, Value::Int(i)) if name == "retracted" => Json::Bool(i != 0),
            (_, v) => v.to_json(),
        };
        m.insert(name, j);
    }
    m
}

/// Every row of `def` for a patient, oldest first.
pub fn list_for_patient(
    conn: &Connection,
    def: &EntityDef,
    patient: &Uuid,
    include_retracted: bool,
) -> Result<Vec<Json>, ChartError> {
    let sql = format!(
        "SELECT * FROM \"{}\" WHERE patient = ?1 {} ORDER BY created_at, id",
        def.table,
        if include_retracted {
            ""
        } else {
            "AND retracted = 0"
        }
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map([patient.to_string()], |r| {
        Ok(Json::Object(row_to_json(def, r)))
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// A newly created row as JSON, from the change that creates it: its fields, `id`, not
/// retracted, and `version`. The author and times come from the commit, which the
/// caller adds once it is written.
pub fn created_row(c: &crate::ledger::Change) -> Map<String, Json> {
    let mut m = Map::new();
    m.insert("id".into(), Json::from(c.row.to_string()));
    for (k, v) in &c.fields {
        m.insert(k.clone(), v.to_json());
    }
    m.insert("created_change".into(), Json::from(c.id.to_string()));
    m.insert("retracted".into(), Json::from(false));
    m.insert("retract_reason".into(), Json::Null);
    m.insert("version".into(), Json::from(vec![c.id.to_string()]));
    m
}
