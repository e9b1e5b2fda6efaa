//! Visit notes: drafts are edited freely; a signed note is immutable and is corrected by
//! amendments (with a reason) and addenda appended to it.

use serde_json::{json, Value as Json};
use uuid::Uuid;

use super::entities::NOTE;
use super::{load, record, ChartError, Ctx};
use crate::ledger::{Change, Op, Value};

/// Signing: the note's content is frozen from here on.
pub fn sign(ctx: &Ctx, input: &Json, signer: &str) -> Result<(Uuid, Change), ChartError> {
    let id = record::get_id(input, "id")?;
    let note = load(ctx.conn, &NOTE, &id)?;
    if note.get("status").and_then(Json::as_str) == Some("signed") {
        return Err(ChartError::Immutable("this note is already signed".into()));
    }
    if note.get("retracted") == Some(&Json::Bool(true)) {
        return Err(ChartError::Immutable(
            "this note was entered in error and cannot be signed".into(),
        ));
    }
    let has_text = ["subjective", "objective", "assessment", "plan", "text"]
        .iter()
        .any(|f| {
            note.get(*f)
                .and_then(Json::as_str)
                .is_some_and(|s| !s.trim().is_empty())
        });
    if !has_text {
        return Err(ChartError::invalid(
            "text",
            "an empty note cannot be signed",
        ));
    }
    let base = super::base_from(ctx.conn, &NOTE, &id, input)?;
    Ok((
        id,
        Change::new(
            ctx.new_id(),
            "note",
            id,
            Op::Set,
            vec![
                ("status".into(), Value::from("signed")),
                (
                    "signed_at".into(),
                    Value::Text(crate::clock::rfc3339(ctx.clock.now_ms())),
                ),
                ("signed_by".into(), Value::from(signer)),
            ],
            base,
        ),
    ))
}

/// An amendment (corrects, needs a reason) or an addendum (adds), appended to a signed note.
pub fn append(ctx: &Ctx, input: &Json, kind: &str) -> Result<(Uuid, Change), ChartError> {
    let id = record::get_id(input, "id")?;
    let note = load(ctx.conn, &NOTE, &id)?;
    if note.get("status").and_then(Json::as_str) != Some("signed") {
        return Err(ChartError::invalid(
            "id",
            "only a signed note takes amendments or addenda; edit the draft instead",
        ));
    }
    let text = input
        .get("text")
        .and_then(Json::as_str)
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| ChartError::invalid("text", "is required"))?;
    let mut fields = vec![
        ("kind".to_string(), Value::from(kind)),
        ("text".to_string(), Value::from(text)),
    ];
    let reason = input
        .get("reason")
        .and_then(Json::as_str)
        .map(str::trim)
        .filter(|r| !r.is_empty());
    match (kind, reason) {
        ("amendment", None) => {
            return Err(ChartError::invalid("reason", "an amendment needs a reason"))
        }
        (_, Some(r)) => fields.push(("reason".into(), Value::from(r))),
        _ => {}
    }
    Ok((
        id,
        Change::new(ctx.new_id(), "note", id, Op::Amend, fields, vec![]),
    ))
}

/// The note with its amendments and addenda, oldest first.
pub fn with_amendments(ctx_conn: &rusqlite::Connection, id: &Uuid) -> Result<Json, ChartError> {
    let mut note = load(ctx_conn, &NOTE, id)?;
    let mut stmt = ctx_conn.prepare_cached(
        "SELECT id, fields, author, hlc FROM amendment WHERE row = ?1 ORDER BY hlc",
    )?;
    let items = stmt
        .query_map([id.to_string()], |r| {
            let fields: String = r.get(1)?;
            Ok(json!({
                "id": r.get::<_, String>(0)?,
                "fields": serde_json::from_str::<Json>(&fields).unwrap_or(Json::Null),
                "author": r.get::<_, String>(2)?,
                "at": crate::clock::rfc3339(crate::ledger::hlc::millis(r.get::<_, i64>(3)? as u64)),
            }))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    note.insert("amendments".into(), Json::Array(items));
    Ok(Json::Object(note))
}
