//! The practice's table of lab-local test codes and the LOINC code each one means.
//!
//! Many labs send their own code in OBX-3 and no LOINC beside it. A result is only filed
//! under a LOINC code, so a message with a code that is neither LOINC nor in this table
//! waits in the queue until someone adds the mapping: a guessed code would put the result
//! on the wrong trend line. Codes are per lab (the sending facility), since two labs' local
//! codes need not mean the same test.

use rusqlite::{Connection, OptionalExtension};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::entities::HL7_CODE_MAP;
use crate::chart::validate::looks_like_loinc;
use crate::chart::{self, ChartError, Ctx};
use crate::ledger::{Change, Op, Value};

/// One mapping, as `hl7.code_map_list` answers it.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct CodeMapping {
    pub id: Uuid,
    /// The sending facility (MSH-4) whose code it is.
    pub lab: String,
    /// OBX-3's code as that lab sends it.
    pub local_code: String,
    pub loinc: String,
    pub display: Option<String>,
    /// Pass it back to change the mapping.
    pub version: Vec<Uuid>,
}

/// `hl7.code_map_set`: add a mapping, or change one (its `version` from the list).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CodeMapSet {
    pub lab: String,
    pub local_code: String,
    /// A LOINC code (digits, a dash and the check digit).
    pub loinc: String,
    #[serde(default)]
    pub display: Option<String>,
    /// To change the mapping that exists for this lab and code: its version.
    #[serde(default)]
    pub version: Vec<Uuid>,
}

/// The LOINC (and display text) the practice maps `lab`'s `code` to.
pub fn mapped(
    conn: &Connection,
    lab: &str,
    code: &str,
) -> Result<Option<(String, Option<String>)>, rusqlite::Error> {
    if code.is_empty() {
        return Ok(None);
    }
    conn.prepare_cached(
        "SELECT loinc, display FROM hl7_code_map WHERE lab = ?1 AND local_code = ?2
         AND retracted = 0 ORDER BY created_at LIMIT 1",
    )?
    .query_row([lab, code], |r| Ok((r.get(0)?, r.get(1)?)))
    .optional()
}

fn existing(conn: &Connection, lab: &str, code: &str) -> Result<Option<Uuid>, ChartError> {
    let id: Option<String> = conn
        .prepare_cached(
            "SELECT id FROM hl7_code_map WHERE lab = ?1 AND local_code = ?2 AND retracted = 0
             ORDER BY created_at LIMIT 1",
        )?
        .query_row([lab, code], |r| r.get(0))
        .optional()?;
    Ok(id.and_then(|i| Uuid::parse_str(&i).ok()))
}

/// The change that adds the mapping, or edits the one this lab's code has (which needs the
/// version read, so that two people mapping the same code at once are both kept).
pub fn set(ctx: &Ctx, req: &CodeMapSet) -> Result<(Uuid, Change), ChartError> {
    let lab = req.lab.trim();
    let code = req.local_code.trim();
    let loinc = req.loinc.trim();
    if lab.is_empty() {
        return Err(ChartError::invalid(
            "lab",
            "is required: the sending facility (MSH-4) whose code this is",
        ));
    }
    if code.is_empty() {
        return Err(ChartError::invalid("local_code", "is required"));
    }
    if !looks_like_loinc(loinc) {
        return Err(ChartError::invalid_code(
            "loinc",
            &format!(
                "'{loinc}' is not a LOINC code (digits, a dash and a check digit, e.g. 2345-7)"
            ),
        ));
    }
    let display = req
        .display
        .as_deref()
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(str::to_string)
        .or_else(|| crate::codes::loinc::lookup(loinc).map(|l| l.display.to_string()));
    let display = display.map(Value::Text).unwrap_or(Value::Null);
    match existing(ctx.conn, lab, code)? {
        Some(_) if req.version.is_empty() => Err(ChartError::invalid(
            "version",
            &format!(
                "{lab}'s code {code} is mapped already; pass that mapping's version (hl7.code_map_list) to change it"
            ),
        )),
        Some(id) => chart::update(
            ctx,
            &HL7_CODE_MAP,
            id,
            &req.version,
            vec![("loinc".into(), Value::from(loinc)), ("display".into(), display)],
        ),
        None => {
            let id = ctx.new_id();
            let fields = vec![
                ("lab".to_string(), Value::from(lab)),
                ("local_code".into(), Value::from(code)),
                ("loinc".into(), Value::from(loinc)),
                ("display".into(), display),
            ];
            Ok((
                id,
                Change::new(ctx.new_id(), HL7_CODE_MAP.name, id, Op::Create, fields, vec![]),
            ))
        }
    }
}

/// Every mapping, by lab and code.
pub fn list(conn: &Connection) -> Result<Vec<CodeMapping>, ChartError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, lab, local_code, loinc, display FROM hl7_code_map WHERE retracted = 0
         ORDER BY lab, local_code",
    )?;
    let rows: Vec<(String, String, String, String, Option<String>)> = stmt
        .query_map([], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })?
        .collect::<Result<_, _>>()?;
    rows.into_iter()
        .map(|(id, lab, local_code, loinc, display)| {
            let id = Uuid::parse_str(&id).unwrap_or_default();
            Ok(CodeMapping {
                version: crate::ledger::row_version(conn, &HL7_CODE_MAP, &id)?,
                id,
                lab,
                local_code,
                loinc,
                display,
            })
        })
        .collect()
}
