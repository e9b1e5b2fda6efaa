//! Visit notes: drafts are edited freely; a signed note is immutable and is corrected by
//! amendments (with a reason) and addenda appended to it.

use serde_json::Value as Json;
use uuid::Uuid;

use super::entities::NOTE;
use super::{load, record, ChartError, Ctx};
use crate::ledger::{Change, Op, Value};

/// The fields a signature covers: everything the note says, and about whom. The signing
/// fields themselves (status, signer, time, digest) are not part of the digest.
pub const SIGNED_FIELDS: &[&str] = &[
    "patient",
    "encounter",
    "kind",
    "title",
    "subjective",
    "objective",
    "assessment",
    "plan",
    "text",
];

/// SHA-256 of the signed content, hex: each field's name and JSON value, length-prefixed,
/// in [`SIGNED_FIELDS`] order, so that no two different notes share a digest.
pub fn digest(note: &serde_json::Map<String, Json>) -> String {
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    for name in SIGNED_FIELDS {
        let value = note.get(*name).cloned().unwrap_or(Json::Null).to_string();
        for part in [name.as_bytes(), value.as_bytes()] {
            ctx.update(&(part.len() as u64).to_be_bytes());
            ctx.update(part);
        }
    }
    hex::encode(ctx.finish().as_ref())
}

/// Signed notes whose content no longer matches what was signed, one sentence each.
pub fn check_signed(conn: &rusqlite::Connection) -> Result<Vec<String>, ChartError> {
    let mut stmt =
        conn.prepare("SELECT id FROM note WHERE status = 'signed' AND retracted = 0 ORDER BY id")?;
    let ids: Vec<String> = stmt
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let mut problems = Vec::new();
    for id in ids {
        let note = load(conn, &NOTE, &Uuid::parse_str(&id).unwrap_or_default())?;
        let stored = note.get("signed_digest").and_then(Json::as_str);
        if stored != Some(digest(&note).as_str()) {
            problems.push(format!(
                "signed note {id}: its content differs from what was signed"
            ));
        }
    }
    Ok(problems)
}

/// Signing: the note's content is frozen from here on. The change carries the content
/// the signer saw, with its digest, so that on every workstation the signed text is the
/// text shown, whatever edits of the draft were made elsewhere at the same time.
pub fn sign(
    ctx: &Ctx,
    id: Uuid,
    version: &[Uuid],
    signer: &Uuid,
) -> Result<(Uuid, Change), ChartError> {
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
    let base = super::base_from(version)?;
    let mut fields = vec![
        ("status".to_string(), Value::from("signed")),
        (
            "signed_at".to_string(),
            Value::Text(crate::clock::rfc3339(ctx.clock.now_ms())),
        ),
        ("signed_by".to_string(), Value::Text(signer.to_string())),
        ("signed_digest".to_string(), Value::Text(digest(&note))),
    ];
    // The patient is fixed at creation; the rest is written again as signed.
    for name in SIGNED_FIELDS.iter().filter(|n| **n != "patient") {
        let def = NOTE.field(name).expect("signed fields are note fields");
        let v = note.get(*name).cloned().unwrap_or(Json::Null);
        fields.push((
            name.to_string(),
            record::value_from_json(name, def.kind, &v)?,
        ));
    }
    Ok((
        id,
        Change::new(ctx.new_id(), "note", id, Op::Set, fields, base),
    ))
}

/// Signs a note an import creates in the same commit (a final note from another system):
/// the content as `create` writes it, signed at the source's time by the importing user,
/// who vouches for the import. Based on `create`, so it is the note's second version.
pub fn sign_imported(ctx: &Ctx, create: &Change, signer: &Uuid, at: &str) -> Change {
    let note = record::created_row(create);
    let mut fields = vec![
        ("status".to_string(), Value::from("signed")),
        ("signed_at".to_string(), Value::Text(at.to_string())),
        ("signed_by".to_string(), Value::Text(signer.to_string())),
        ("signed_digest".to_string(), Value::Text(digest(&note))),
    ];
    for (k, v) in &create.fields {
        if SIGNED_FIELDS.contains(&k.as_str()) && k != "patient" {
            fields.push((k.clone(), v.clone()));
        }
    }
    Change::new(
        ctx.new_id(),
        "note",
        create.row,
        Op::Set,
        fields,
        vec![create.id],
    )
}

/// An amendment (corrects, needs a reason) or an addendum (adds), appended to a signed note.
pub fn append(
    ctx: &Ctx,
    id: Uuid,
    kind: &str,
    text: &str,
    reason: Option<&str>,
) -> Result<(Uuid, Change), ChartError> {
    let note = load(ctx.conn, &NOTE, &id)?;
    if note.get("status").and_then(Json::as_str) != Some("signed") {
        return Err(ChartError::invalid(
            "id",
            "only a signed note takes amendments or addenda; edit the draft instead",
        ));
    }
    let text = Some(text.trim())
        .filter(|t| !t.is_empty())
        .ok_or_else(|| ChartError::invalid("text", "is required"))?;
    let mut fields = vec![
        ("kind".to_string(), Value::from(kind)),
        ("text".to_string(), Value::from(text)),
    ];
    let reason = reason.map(str::trim).filter(|r| !r.is_empty());
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

/// A signed note is retracted only by its signer or an administrator (the reason is
/// required of everyone); a draft by anyone who writes the chart.
pub fn may_retract(
    conn: &rusqlite::Connection,
    id: &Uuid,
    user: &Uuid,
    role: crate::access::Role,
) -> Result<(), ChartError> {
    use crate::access::{AccessError, Permission, Role};
    let note = load(conn, &NOTE, id)?;
    let signed = note.get("status").and_then(Json::as_str) == Some("signed");
    let (ok, what) = if signed {
        let signer = note.get("signed_by").and_then(Json::as_str);
        (
            signer == Some(user.to_string().as_str()) || role == Role::Administrator,
            "retract a note someone else signed; ask its signer or the practice administrator",
        )
    } else {
        (role.may(Permission::WriteChart), "retract a draft note")
    };
    if ok {
        Ok(())
    } else {
        Err(AccessError::Forbidden {
            role: role.name().to_string(),
            what: what.to_string(),
        }
        .into())
    }
}

/// A note as `note.get` and the signing commands answer: the record and what was
/// appended to it once signed.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct NoteView {
    #[serde(flatten)]
    pub record: super::entities::NoteRecord,
    /// Amendments and addenda, oldest first.
    pub amendments: Vec<Amendment>,
}

/// An amendment or addendum of a signed note.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct Amendment {
    /// The change id.
    pub id: String,
    /// `kind` (amendment or addendum), `text`, and `reason` for an amendment.
    pub fields: Json,
    /// The author's user id.
    pub author: String,
    /// RFC 3339.
    pub at: String,
}

/// The note with its amendments and addenda, oldest first.
pub fn with_amendments(conn: &rusqlite::Connection, id: &Uuid) -> Result<NoteView, ChartError> {
    let note = load(conn, &NOTE, id)?;
    let mut stmt = conn.prepare_cached(
        "SELECT id, fields, author, hlc FROM amendment WHERE row = ?1 ORDER BY hlc",
    )?;
    let amendments = stmt
        .query_map([id.to_string()], |r| {
            let fields: String = r.get(1)?;
            Ok(Amendment {
                id: r.get(0)?,
                fields: serde_json::from_str::<Json>(&fields).unwrap_or(Json::Null),
                author: r.get(2)?,
                at: crate::clock::rfc3339(crate::ledger::hlc::millis(r.get::<_, i64>(3)? as u64)),
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(NoteView {
        record: super::shape::answer(note)?,
        amendments,
    })
}
