//! A received ORU^R01 filed into the chart, or held for a person, and the ACK that answers it.
//!
//! [`receive`] reads one message and returns a [`Receipt`]: what the ACK says and the
//! changes to commit, all of them in one commit (the message's record, its observations and
//! the order it completes), so a message is filed whole or not at all. Nothing here writes:
//! the caller commits (`api` does, as the logged-in interface user).
//!
//! What happens to a message:
//! - Not readable, not an ORU^R01 2.3–2.5.1, a training message, no results, several
//!   patients, or a result that fails the chart's validation: refused (AR or AE with the
//!   reason, as [`Hl7Error::ack_code`] says); nothing is kept, the lab corrects and resends.
//! - The same sending facility and MSH-10 as a message already kept: AA, nothing applied.
//! - The patient is matched ([`match_patient`]) and every OBX-3 is a LOINC or a mapped local
//!   code: the results are filed (state `applied`), AA.
//! - No patient matches, several do, or a local code has no mapping: the message waits in
//!   the "Unmatched results" queue (state `unmatched`) with the reason; AA, since it was
//!   taken and a person will file it ([`assign`]) or refuse it ([`refuse`]). Nothing is
//!   guessed.
//!
//! A result's status (OBX-11) decides what it does to the chart: `F` files a final result,
//! `P` (and `R`, `S`) a preliminary one, `C` an amended one. The result it follows (the same
//! order, LOINC and OBX-4 sub-id, filed earlier) is edited in place with that record's
//! version as base, so the earlier value stays in the record's history; without one a new
//! observation is filed. `X` marks the earlier result cancelled, `D` and `W` mark it entered
//! in error; `U` makes it final. A result with no value or of a status that carries none
//! (`I`, `O`, `N`) files nothing, and the message's `reason` says so.
//!
//! Orders: OBR-2 (or ORC-2) is the placer order number, which for an order placed in
//! Chartkeep is the order's record id (orders have no separate number; that id is what an
//! interface sends the lab). A result whose placer number names an order of this patient is
//! attached to it (`order_ref`) and the order is completed as `order.result` does.

use std::collections::BTreeSet;

use chrono::{FixedOffset, Utc};
use rusqlite::OptionalExtension;
use serde_json::{json, Map, Value as Json};
use uuid::Uuid;

use super::ack::{build_ack, AckCode, AckReply};
use super::entities::HL7_MESSAGE;
use super::message::Message;
use super::oru::{
    AbnormalFlag, CodedValue, Header, Observation, ObservationValue, Order, OruR01, Patient,
    ResultStatus,
};
use super::timestamp::{Precision, Timestamp};
use super::Hl7Error;
use crate::chart::entities::{ObservationFields, OBSERVATION, ORDER};
use crate::chart::shape::DateTime;
use crate::chart::vitals::{self, LabsForm};
use crate::chart::{self, ChartError, Ctx};
use crate::ledger::{Change, Value};

/// The practice setting naming the UTC offset of timestamps sent without one (`-05:00`);
/// UTC when not set. HL7 times without an offset are the sender's local time, and only the
/// practice knows which zone its lab is in.
pub const LOCAL_OFFSET_SETTING: &str = "hl7_local_offset";

/// What became of a message.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Its results were filed in the patient's chart.
    Applied,
    /// The same message (sending facility and MSH-10) was received before; nothing applied.
    Duplicate,
    /// Kept in the "Unmatched results" queue for a person.
    Held,
    /// Not taken (AE or AR); nothing kept.
    Refused,
}

/// The answer to one message: what the ACK says, and the changes to commit in one commit.
#[derive(Debug)]
pub struct Receipt {
    pub outcome: Outcome,
    /// MSH-10 of the message (empty when it had none that could be read).
    pub control_id: String,
    pub ack_code: AckCode,
    /// For the staff user: why it was held or refused, what was not filed.
    pub text: String,
    /// MSA-3, for the sender: the same, less what the chart holds about the patient (a lab
    /// that sent a wrong MRN must not learn the birth date of the patient it names).
    ack_text: String,
    /// The error an AE or AR describes in its ERR segment.
    pub error: Option<Hl7Error>,
    /// The `hl7_message` record, new or (for a duplicate) the one received before.
    pub message: Option<Uuid>,
    pub patient: Option<Uuid>,
    /// The observations written or edited.
    pub observations: Vec<Uuid>,
    /// The orders completed.
    pub orders: Vec<Uuid>,
    pub changes: Vec<Change>,
    /// The message as parsed, which the ACK is addressed from.
    parsed: Option<Message>,
}

impl Receipt {
    fn refused(control_id: String, error: Hl7Error, parsed: Option<Message>) -> Receipt {
        Receipt {
            outcome: Outcome::Refused,
            control_id,
            ack_code: error.ack_code(),
            text: error.to_string(),
            ack_text: error.to_string(),
            error: Some(error),
            message: None,
            patient: None,
            observations: Vec::new(),
            orders: Vec::new(),
            changes: Vec::new(),
            parsed,
        }
    }

    /// The ACK as message text (segments ended by `\r`), with the ACK's own control id and
    /// time from the caller.
    pub fn ack(&self, ack_control_id: &str, at_ms: i64) -> String {
        let at = chrono::DateTime::from_timestamp_millis(at_ms)
            .unwrap_or_default()
            .fixed_offset();
        let ts = Timestamp::from_datetime(at);
        let empty = Message {
            delimiters: Default::default(),
            segments: Vec::new(),
        };
        let original = self.parsed.as_ref().unwrap_or(&empty);
        let reply = AckReply {
            code: self.ack_code,
            control_id: ack_control_id,
            timestamp: &ts,
            text: &self.ack_text,
            error: self.error.as_ref(),
        };
        build_ack(original, &reply)
    }
}

/// An ACK for a message that was not taken for a reason outside the message itself (an
/// MLLP frame too large or broken, the practice unable to write): `code` with `reason` as
/// MSA-3, and `error` as ERR when it is an HL7 error. Addressed from the message when its
/// MSH can be read.
pub fn ack_for(
    text: Option<&str>,
    code: AckCode,
    reason: &str,
    error: Option<&Hl7Error>,
    ack_control_id: &str,
    at_ms: i64,
) -> String {
    let parsed = text.and_then(|t| Message::parse(t).ok());
    let receipt = Receipt {
        outcome: Outcome::Refused,
        control_id: String::new(),
        ack_code: code,
        text: reason.to_string(),
        ack_text: reason.to_string(),
        error: error.cloned(),
        message: None,
        patient: None,
        observations: Vec::new(),
        orders: Vec::new(),
        changes: Vec::new(),
        parsed,
    };
    receipt.ack(ack_control_id, at_ms)
}

/// Text from bytes as [`Message::parse_bytes`] reads them: UTF-8, or else ISO-8859-1.
pub fn text_of(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(t) => t.to_string(),
        Err(_) => bytes.iter().map(|&b| char::from(b)).collect(),
    }
}

/// The lab a message comes from, as the code table and the resend check know it: MSH-4's
/// namespace, or its universal id, or MSH-3's namespace when MSH-4 is empty.
pub fn lab_of(header: &Header) -> String {
    [
        &header.sending_facility.namespace_id,
        &header.sending_facility.universal_id,
        &header.sending_application.namespace_id,
    ]
    .into_iter()
    .map(|s| s.trim())
    .find(|s| !s.is_empty())
    .unwrap_or_default()
    .to_string()
}

/// Reads one message and decides what it does; see the module doc.
pub fn receive(ctx: &Ctx, text: &str) -> Result<Receipt, ChartError> {
    let message = match Message::parse(text) {
        Ok(m) => m,
        Err(e) => return Ok(Receipt::refused(String::new(), e, None)),
    };
    let control_id = message
        .msh()
        .map(|m| m.value(10, 1).to_string())
        .unwrap_or_default();
    let oru = match OruR01::from_message(&message) {
        Ok(o) => o,
        Err(e) => return Ok(Receipt::refused(control_id, e, Some(message))),
    };
    if oru.header.processing_id == "T" {
        let e = Hl7Error::UnsupportedProcessingId {
            found: oru.header.processing_id.clone(),
        };
        return Ok(Receipt::refused(control_id, e, Some(message)));
    }
    let lab = lab_of(&oru.header);
    if let Some((id, state)) = earlier(ctx, &lab, &control_id)? {
        return Ok(Receipt {
            outcome: Outcome::Duplicate,
            ack_code: AckCode::Accept,
            text: format!(
                "message {control_id} from {lab} was received before ({state}); not applied again"
            ),
            ack_text: "received before; not applied again".into(),
            error: None,
            message: Some(id),
            patient: None,
            observations: Vec::new(),
            orders: Vec::new(),
            changes: Vec::new(),
            control_id,
            parsed: Some(message),
        });
    }
    if let Some(e) = unfileable(&oru) {
        return Ok(Receipt::refused(control_id, e, Some(message)));
    }
    let group = &oru.patient_results[0];
    let matched = match match_patient(ctx, &group.patient)? {
        Match::One(p) => Ok(p),
        Match::No(reason) => Err(reason),
    };
    let filed = match &matched {
        Ok(patient) => match file(ctx, &oru, &lab, *patient)? {
            Filed::Done(f) => Ok(f),
            Filed::Hold(reason, tell) => Err((reason, tell)),
            Filed::Invalid(e, detail) => {
                let mut r = Receipt::refused(control_id, e, Some(message));
                r.text = detail;
                return Ok(r);
            }
        },
        Err(reason) => Err((reason.clone(), false)),
    };
    let row = ctx.new_id();
    let mut fields = vec![
        ("control_id".to_string(), Value::from(control_id.as_str())),
        (
            "sending_application".into(),
            Value::from(oru.header.sending_application.namespace_id.as_str()),
        ),
        ("sending_facility".into(), Value::from(lab.as_str())),
        (
            "received_at".into(),
            Value::Text(crate::clock::rfc3339(ctx.clock.now_ms())),
        ),
        ("message".into(), Value::from(stored_text(text).as_str())),
    ];
    let patient = matched.as_ref().ok().copied();
    if let Some(p) = patient {
        fields.push(("patient".into(), Value::Text(p.to_string())));
    }
    let receipt = match filed {
        Ok(f) => {
            fields.push(("state".into(), Value::from("applied")));
            fields.push(("results".into(), Value::Text(f.results.to_string())));
            let text = f.notes.join("; ");
            if !text.is_empty() {
                fields.push(("reason".into(), Value::from(text.as_str())));
            }
            let mut changes = f.changes;
            changes.push(create(ctx, row, fields));
            Receipt {
                outcome: Outcome::Applied,
                control_id,
                ack_code: AckCode::Accept,
                ack_text: text.clone(),
                text,
                error: None,
                message: Some(row),
                patient,
                observations: f.observations,
                orders: f.orders,
                changes,
                parsed: Some(message),
            }
        }
        Err((reason, tell)) => {
            fields.push(("state".into(), Value::from("unmatched")));
            fields.push(("reason".into(), Value::from(reason.as_str())));
            Receipt {
                outcome: Outcome::Held,
                control_id,
                ack_code: AckCode::Accept,
                text: format!("held for a person to file: {reason}"),
                ack_text: if tell {
                    format!("held for a person to file: {reason}")
                } else {
                    "held for a person to file: the patient or the order it names needs a \
                     person to check it"
                        .into()
                },
                error: None,
                message: Some(row),
                patient,
                observations: Vec::new(),
                orders: Vec::new(),
                changes: vec![create(ctx, row, fields)],
                parsed: Some(message),
            }
        }
    };
    Ok(receipt)
}

fn create(ctx: &Ctx, row: Uuid, fields: Vec<(String, Value)>) -> Change {
    Change::new(
        ctx.new_id(),
        HL7_MESSAGE.name,
        row,
        crate::ledger::Op::Create,
        fields,
        vec![],
    )
}

/// The message as kept: its lines, each ended by `\r` (the HL7 segment terminator, whatever
/// line ends the file had). A line break inside a value reads back the same way, since the
/// parser joins a line that is not a segment to the one before.
fn stored_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 1);
    for line in text.split(['\r', '\n']).filter(|l| !l.trim().is_empty()) {
        out.push_str(line);
        out.push('\r');
    }
    out
}

/// A message received before from the same lab with the same control id: its record and state.
fn earlier(ctx: &Ctx, lab: &str, control_id: &str) -> Result<Option<(Uuid, String)>, ChartError> {
    Ok(ctx
        .conn
        .prepare_cached(
            "SELECT id, state FROM hl7_message WHERE sending_facility = ?1 AND control_id = ?2
             AND retracted = 0 ORDER BY created_at LIMIT 1",
        )?
        .query_row([lab, control_id], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?))
        })
        .optional()?
        .map(|(id, state)| {
            (
                Uuid::parse_str(&id).unwrap_or_default(),
                state.unwrap_or_default(),
            )
        }))
}

/// Why a message that was read cannot be filed at all, whoever the patient is.
fn unfileable(oru: &OruR01) -> Option<Hl7Error> {
    let has_results = oru
        .patient_results
        .iter()
        .flat_map(|g| &g.orders)
        .any(|o| !o.observations.is_empty());
    if !has_results {
        return Some(Hl7Error::BadSegment {
            segment: "OBX".into(),
            line: 1,
            message: "the message has no results (no OBX segment); there is nothing to file".into(),
        });
    }
    if let Some(second) = oru.patient_results.get(1) {
        return Some(Hl7Error::BadSegment {
            segment: "PID".into(),
            line: second.patient.line,
            message: "the message holds results of more than one patient; send one message \
                      per patient"
                .into(),
        });
    }
    None
}

/// Who a message's PID names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Match {
    One(Uuid),
    /// No patient, or more than one: why, for the person who files it.
    No(String),
}

/// The chart a PID names: a patient whose MRN or one of whose identifiers equals the value of
/// a PID-3 repetition; failing any such, one whose family name, first given name
/// (case-insensitive) and birth date all equal PID-5 and PID-7. An empty value never matches,
/// none or several patients is no match, and an identifier match whose birth date
/// contradicts PID-7 is no match either: a mistyped MRN must not file results in a
/// stranger's chart.
pub fn match_patient(ctx: &Ctx, pid: &Patient) -> Result<Match, ChartError> {
    let mut by_id = BTreeSet::new();
    for ident in pid.identifiers.iter().map(|i| i.id.trim()) {
        if !ident.is_empty() {
            by_id.extend(with_identifier(ctx.conn, ident)?);
        }
    }
    let birth = pid
        .birth_date
        .filter(|b| b.precision >= Precision::Day)
        .map(|b| b.date().format("%Y-%m-%d").to_string());
    match by_id.len() {
        1 => {
            let id = by_id.pop_first().unwrap_or_default();
            let on_file: Option<String> =
                ctx.conn
                    .query_row("SELECT birth_date FROM patient WHERE id = ?1", [&id], |r| {
                        r.get(0)
                    })?;
            if let (Some(sent), Some(on_file)) = (&birth, &on_file) {
                if sent != on_file {
                    return Ok(Match::No(format!(
                        "PID-3 names a patient whose birth date ({on_file}) is not PID-7's ({sent})"
                    )));
                }
            }
            return Ok(Match::One(Uuid::parse_str(&id).unwrap_or_default()));
        }
        0 => {}
        n => {
            return Ok(Match::No(format!(
                "the identifiers in PID-3 belong to {n} different patients"
            )))
        }
    }
    let name = pid.names.first();
    let family = name
        .map(|n| n.family.trim().to_lowercase())
        .unwrap_or_default();
    let given = name
        .map(|n| n.given.trim().to_lowercase())
        .unwrap_or_default();
    let (Some(birth), false, false) = (&birth, family.is_empty(), given.is_empty()) else {
        return Ok(Match::No(
            "no patient has an identifier in PID-3, and PID-5/PID-7 do not give a family \
             name, given name and birth date to match on"
                .into(),
        ));
    };
    // The search index holds each birth date as a `dYYYYMMDD` term: the candidates come from
    // it, and each is checked on its own columns.
    let mut stmt = ctx.conn.prepare_cached(
        "SELECT p.id, p.family, p.given, p.birth_date FROM patient_fts f
         JOIN patient p ON p.rowid = f.rowid
         WHERE patient_fts MATCH ?1 AND p.retracted = 0",
    )?;
    let term = format!("terms:\"d{}\"", birth.replace('-', ""));
    let rows = stmt.query_map([term], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, Option<String>>(1)?,
            r.get::<_, Option<String>>(2)?,
            r.get::<_, Option<String>>(3)?,
        ))
    })?;
    let mut by_name = Vec::new();
    for row in rows {
        let (id, f, g, b) = row?;
        let first_given = g
            .and_then(|g| serde_json::from_str::<Vec<String>>(&g).ok())
            .and_then(|g| g.into_iter().next())
            .unwrap_or_default();
        if b.as_deref() == Some(birth.as_str())
            && f.unwrap_or_default().trim().to_lowercase() == family
            && first_given.trim().to_lowercase() == given
        {
            by_name.push(id);
        }
    }
    Ok(match by_name.as_slice() {
        [one] => Match::One(Uuid::parse_str(one).unwrap_or_default()),
        [] => Match::No(
            "no patient has an identifier in PID-3, nor the name and birth date in PID-5/PID-7"
                .into(),
        ),
        more => Match::No(format!(
            "no patient has an identifier in PID-3, and {} patients have the name and birth \
             date in PID-5/PID-7",
            more.len()
        )),
    })
}

/// The patients (not entered in error) whose MRN, or one of whose `identifiers`, is `ident`.
///
/// A scan of the patient table would decrypt every page of it at every message (tens of
/// milliseconds at 10,000 patients), so the MRN comes from its index and the identifiers'
/// candidates from the search index, which holds an identifier of four or more digits as
/// its digits; each candidate is then compared exactly. Identifiers with fewer digits are
/// rare enough to be looked for by a scan.
fn with_identifier(conn: &rusqlite::Connection, ident: &str) -> Result<Vec<String>, ChartError> {
    let mut out: Vec<String> = conn
        .prepare_cached("SELECT id FROM patient WHERE mrn = ?1 AND retracted = 0")?
        .query_map([ident], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let digits: String = ident.chars().filter(char::is_ascii_digit).collect();
    let candidates: Vec<(String, Option<String>)> = if digits.len() >= 4 {
        conn.prepare_cached(
            "SELECT p.id, p.identifiers FROM patient_fts f JOIN patient p ON p.rowid = f.rowid
             WHERE patient_fts MATCH ?1 AND p.retracted = 0 AND p.identifiers IS NOT NULL",
        )?
        .query_map([format!("terms:\"{digits}\"")], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?
        .collect::<Result<_, _>>()?
    } else {
        conn.prepare_cached(
            "SELECT id, identifiers FROM patient WHERE retracted = 0 AND identifiers IS NOT NULL",
        )?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?
    };
    for (id, identifiers) in candidates {
        let list: Vec<Json> = identifiers
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default();
        let named = list.iter().any(|i| {
            let value = match i {
                Json::String(s) => s.as_str(),
                Json::Object(o) => o.get("value").and_then(Json::as_str).unwrap_or(""),
                _ => "",
            };
            value.trim() == ident
        });
        if named && !out.contains(&id) {
            out.push(id);
        }
    }
    Ok(out)
}

/// What filing a message's results in one chart came to.
enum Filed {
    Done(Filing),
    /// A person must decide (a local code without a mapping, an order of another patient);
    /// whether the reason may be told the sender (it says nothing of the chart).
    Hold(String, bool),
    /// A result the chart refuses (its validation): the lab must correct it. The error for
    /// the ACK, and the whole story for the staff user.
    Invalid(Hl7Error, String),
}

struct Filing {
    changes: Vec<Change>,
    observations: Vec<Uuid>,
    orders: Vec<Uuid>,
    /// One entry per result written, for the message's `results`.
    results: Json,
    /// What was not filed, and why.
    notes: Vec<String>,
}

/// What a result's status (OBX-11) does.
enum Action {
    /// File with this observation status.
    File(&'static str),
    /// The earlier result is cancelled (`X`: it cannot be obtained).
    Cancel,
    /// The earlier result was entered in error (`D`, `W`), for this reason.
    Remove(&'static str),
    /// The earlier result is final now (`U`).
    MakeFinal,
    /// Nothing to file.
    Skip,
}

fn action(status: &ResultStatus) -> Action {
    match status {
        ResultStatus::Final => Action::File("final"),
        ResultStatus::Corrected => Action::File("amended"),
        ResultStatus::Preliminary | ResultStatus::NotVerified | ResultStatus::Partial => {
            Action::File("preliminary")
        }
        ResultStatus::CannotObtain => Action::Cancel,
        ResultStatus::Delete => Action::Remove("the lab deleted this result (OBX-11 D)"),
        ResultStatus::WrongPatient => {
            Action::Remove("the lab says this result was for another patient (OBX-11 W)")
        }
        ResultStatus::MadeFinal => Action::MakeFinal,
        _ => Action::Skip,
    }
}

/// Files the message's results in `patient`'s chart (see the module doc).
fn file(ctx: &Ctx, oru: &OruR01, lab: &str, patient: Uuid) -> Result<Filed, ChartError> {
    let offset = local_offset(ctx)?;
    let mut f = Filing {
        changes: Vec::new(),
        observations: Vec::new(),
        orders: Vec::new(),
        results: Json::Array(Vec::new()),
        notes: Vec::new(),
    };
    let mut entries = Vec::new();
    for order in &oru.patient_results[0].orders {
        let chart_order = match linked_order(ctx, order, patient)? {
            Linked::Order(id) => Some(id),
            Linked::None(note) => {
                f.notes.extend(note);
                None
            }
            Linked::OtherPatient(reason) => return Ok(Filed::Hold(reason, false)),
        };
        let key = order_key(order, chart_order);
        let mut new: Vec<(ObservationFields, &Observation, String, String)> = Vec::new();
        let mut effective_first: Option<String> = None;
        for obx in &order.observations {
            let Some((code, display)) = loinc_of(ctx, lab, &obx.id)? else {
                return Ok(Filed::Hold(
                    format!(
                        "OBX-3 code '{}' ({}) from {lab} is not LOINC and has no LOINC mapping; \
                     add one (hl7.code_map_set), then file the message",
                        obx.id.code, obx.id.text
                    ),
                    true,
                ));
            };
            let prior = match &key {
                Some(k) => earlier_result(ctx, patient, &code, k, &obx.sub_id, chart_order)?,
                None => None,
            };
            let effective = obx
                .observed_at
                .or(order.observed_at)
                .and_then(|t| t.instant_or(offset))
                .map(|t| {
                    t.with_timezone(&Utc)
                        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                });
            let what = format!("OBX {} ({code})", obx.set_id);
            match action(&obx.status) {
                Action::File(status) => {
                    let Some(fields) = result_fields(obx, &code, display, status, &effective)
                    else {
                        f.notes.push(format!("{what} has no value; not filed"));
                        continue;
                    };
                    effective_first = effective_first.or(effective.clone());
                    match prior {
                        Some(p) => {
                            let values = update_values(fields, chart_order)?;
                            match edit(ctx, p, values) {
                                Ok(c) => push(&mut f, &mut entries, c, &code, &key, obx, "updated"),
                                Err(e) => return invalid_at(obx, e),
                            }
                        }
                        None => new.push((fields, obx, code, "created".into())),
                    }
                }
                Action::Cancel => match prior {
                    Some(p) => {
                        let values = vec![("status".to_string(), Value::from("cancelled"))];
                        match edit(ctx, p, values) {
                            Ok(c) => push(&mut f, &mut entries, c, &code, &key, obx, "cancelled"),
                            Err(e) => return invalid_at(obx, e),
                        }
                    }
                    None => f.notes.push(format!(
                        "{what}: the lab could not obtain the result (OBX-11 X); nothing filed"
                    )),
                },
                Action::MakeFinal => match prior {
                    Some(p) => {
                        let values = vec![("status".to_string(), Value::from("final"))];
                        match edit(ctx, p, values) {
                            Ok(c) => push(&mut f, &mut entries, c, &code, &key, obx, "updated"),
                            Err(e) => return invalid_at(obx, e),
                        }
                    }
                    None => f.notes.push(format!(
                        "{what} says an earlier result is final (OBX-11 U) but none was filed"
                    )),
                },
                Action::Remove(reason) => match prior {
                    Some(p) => {
                        let version = crate::ledger::row_version(ctx.conn, &OBSERVATION, &p)?;
                        let (_, c) = chart::retract(ctx, &OBSERVATION, p, &version, reason)?;
                        push(&mut f, &mut entries, c, &code, &key, obx, "retracted");
                    }
                    None => f.notes.push(format!(
                        "{what}: {reason}, but no earlier result of it was filed"
                    )),
                },
                Action::Skip => f.notes.push(format!(
                    "{what} has status {} (no result yet); not filed",
                    obx.status.code()
                )),
            }
        }
        if !new.is_empty() {
            let form = LabsForm {
                patient,
                panel: order.service.loinc().map(str::to_string),
                effective: None,
                encounter: None,
                results: new.iter().map(|n| n.0.clone()).collect(),
            };
            let changes = match vitals::labs(ctx, &form, chart_order.as_ref()) {
                Ok(c) => c,
                Err(e) => {
                    let (field, message) = match &e {
                        ChartError::Invalid { field, message }
                        | ChartError::InvalidCode { field, message } => (field, message),
                        _ => return Err(e),
                    };
                    let (i, name) = field
                        .strip_prefix("results[")
                        .and_then(|r| r.split_once("]."))
                        .and_then(|(i, n)| Some((i.parse::<usize>().ok()?, n)))
                        .unwrap_or((0, field.as_str()));
                    let obx = new.get(i).map(|n| n.1).unwrap_or(new[0].1);
                    return invalid_at(obx, ChartError::invalid(name, message));
                }
            };
            for (c, (_, obx, code, op)) in changes.into_iter().zip(&new) {
                push(&mut f, &mut entries, c, code, &key, obx, op);
            }
        }
        if let (Some(id), Some(at)) = (chart_order, &effective_first) {
            if !f.orders.contains(&id) && completes(ctx, &id)? {
                let version = crate::ledger::row_version(ctx.conn, &ORDER, &id)?;
                let values = vec![
                    ("status".to_string(), Value::from("completed")),
                    ("result_at".to_string(), Value::from(at.as_str())),
                ];
                let (_, c) = chart::update(ctx, &ORDER, id, &version, values)?;
                f.changes.push(c);
                f.orders.push(id);
            }
        }
    }
    if f.observations.is_empty() {
        let e = Hl7Error::BadSegment {
            segment: "OBX".into(),
            line: oru.patient_results[0]
                .orders
                .iter()
                .flat_map(|o| &o.observations)
                .map(|o| o.line)
                .next()
                .unwrap_or(1),
            message: format!(
                "none of the message's results could be filed: {}",
                f.notes.join("; ")
            ),
        };
        let detail = e.to_string();
        return Ok(Filed::Invalid(e, detail));
    }
    // Observations first, as `order.result` commits them: the order edit comes after.
    f.changes.sort_by_key(|c| c.entity != OBSERVATION.name);
    f.results = Json::Array(entries);
    Ok(Filed::Done(f))
}

fn push(
    f: &mut Filing,
    entries: &mut Vec<Json>,
    c: Change,
    code: &str,
    key: &Option<String>,
    obx: &Observation,
    op: &str,
) {
    entries.push(json!({
        "observation": c.row.to_string(),
        "code": code,
        "order": key,
        "sub_id": obx.sub_id,
        "op": op,
    }));
    f.observations.push(c.row);
    f.changes.push(c);
}

/// An edit of an earlier observation, on the version the chart holds now.
fn edit(ctx: &Ctx, id: Uuid, values: Vec<(String, Value)>) -> Result<Change, ChartError> {
    let version = crate::ledger::row_version(ctx.conn, &OBSERVATION, &id)?;
    chart::update(ctx, &OBSERVATION, id, &version, values).map(|(_, c)| c)
}

/// A chart refusal of a result as the AE's error: the OBX and the field it is about.
fn invalid_at(obx: &Observation, e: ChartError) -> Result<Filed, ChartError> {
    let (field, message) = match e {
        ChartError::Invalid { field, message } | ChartError::InvalidCode { field, message } => {
            (field, message)
        }
        other => return Err(other),
    };
    let (n, name) = match field.as_str() {
        "code" => (3, "observation identifier"),
        "value_num" | "value_text" | "value_code" => (5, "observation value"),
        "unit" => (6, "units"),
        "ref_low" | "ref_high" | "ref_text" => (7, "reference range"),
        "flag" => (8, "abnormal flags"),
        "status" => (11, "observation result status"),
        "effective" => (14, "date/time of the observation"),
        _ => (3, "observation identifier"),
    };
    // A date check speaks of the chart's patient (its birth date): the sender is told only
    // which value the chart refused.
    let told = if field == "effective" {
        "the chart refuses this result's time: it is in the future, or before the patient \
         was born"
            .to_string()
    } else {
        format!("the chart refuses this result: {field}: {message}")
    };
    let detail = format!(
        "OBX {} (line {}): the chart refuses this result: {field}: {message}",
        obx.set_id, obx.line
    );
    Ok(Filed::Invalid(
        Hl7Error::BadField {
            segment: "OBX".into(),
            field: n,
            name,
            line: obx.line,
            message: told,
        },
        detail,
    ))
}

/// The offset assumed for times sent without one ([`LOCAL_OFFSET_SETTING`]).
fn local_offset(ctx: &Ctx) -> Result<FixedOffset, ChartError> {
    let set = crate::access::users::setting(ctx.conn, LOCAL_OFFSET_SETTING)?;
    Ok(set
        .as_deref()
        .and_then(parse_offset)
        .unwrap_or(FixedOffset::east_opt(0).expect("zero is an offset")))
}

/// `+HH:MM` or `-HH:MM` (or `Z`), within 14 hours.
pub fn parse_offset(s: &str) -> Option<FixedOffset> {
    let s = s.trim();
    if s == "Z" {
        return FixedOffset::east_opt(0);
    }
    let sign = match s.chars().next()? {
        '+' => 1,
        '-' => -1,
        _ => return None,
    };
    let (h, m) = s[1..].split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (i32, i32) = (h.parse().ok()?, m.parse().ok()?);
    if h > 14 || m > 59 {
        return None;
    }
    FixedOffset::east_opt(sign * (h * 3600 + m * 60))
}

/// Coding systems whose codes are LOINC codes: `LN`, and `pCLOCD`, the pan-Canadian LOINC
/// observation code database, which Canadian labs send LOINC codes under.
fn is_loinc_system(system: &str) -> bool {
    matches!(system.trim(), "LN" | "pCLOCD")
}

/// The LOINC code a result is filed under, and its display text from the message: OBX-3's
/// own LOINC (first or alternate triple), or the practice's mapping of the lab's local code.
fn loinc_of(
    ctx: &Ctx,
    lab: &str,
    id: &CodedValue,
) -> Result<Option<(String, Option<String>)>, ChartError> {
    let text = |t: &str| Some(t.trim().to_string()).filter(|t| !t.is_empty());
    if is_loinc_system(&id.system) && !id.code.trim().is_empty() {
        return Ok(Some((id.code.trim().to_string(), text(&id.text))));
    }
    if is_loinc_system(&id.alt_system) && !id.alt_code.trim().is_empty() {
        return Ok(Some((
            id.alt_code.trim().to_string(),
            text(&id.alt_text).or(text(&id.text)),
        )));
    }
    let mapped = super::codes::mapped(ctx.conn, lab, id.code.trim())?;
    Ok(mapped.map(|(loinc, display)| (loinc, display.or(text(&id.text)))))
}

/// How an order placed in Chartkeep is named by a result.
enum Linked {
    Order(Uuid),
    /// No order of this chart; a note when a placer number was sent that names none.
    None(Option<String>),
    OtherPatient(String),
}

/// The chart's order that OBR-2 (or ORC-2) names by its record id, if it is this patient's
/// and not cancelled or entered in error.
fn linked_order(ctx: &Ctx, order: &Order, patient: Uuid) -> Result<Linked, ChartError> {
    let Some(placer) = order
        .placer()
        .map(|p| p.id.trim())
        .filter(|p| !p.is_empty())
    else {
        return Ok(Linked::None(None));
    };
    let Ok(id) = Uuid::parse_str(placer) else {
        return Ok(Linked::None(None));
    };
    let row: Option<(String, Option<String>, bool)> = ctx
        .conn
        .prepare_cached("SELECT patient, status, retracted FROM clinical_order WHERE id = ?1")?
        .query_row([id.to_string()], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    Ok(match row {
        None => Linked::None(Some(format!(
            "placer order number {placer} names no order here; results filed without one"
        ))),
        Some((p, _, _)) if p != patient.to_string() => Linked::OtherPatient(format!(
            "placer order number {placer} (OBR-2/ORC-2) is an order of another patient than \
             the one PID names"
        )),
        Some((_, _, true)) => Linked::None(Some(format!(
            "order {placer} was entered in error; results filed without it"
        ))),
        Some((_, Some(s), _)) if s == "cancelled" => Linked::None(Some(format!(
            "order {placer} was cancelled; results filed without it"
        ))),
        Some(_) => Linked::Order(id),
    })
}

/// Whether an order still waits for its results (not completed yet).
fn completes(ctx: &Ctx, id: &Uuid) -> Result<bool, ChartError> {
    let status: Option<String> = ctx.conn.query_row(
        "SELECT status FROM clinical_order WHERE id = ?1",
        [id.to_string()],
        |r| r.get(0),
    )?;
    Ok(status.as_deref() != Some("completed"))
}

/// What ties a result to the one it corrects: the chart's order, else the lab's (filler)
/// order number, else the placer's.
fn order_key(order: &Order, chart_order: Option<Uuid>) -> Option<String> {
    if let Some(id) = chart_order {
        return Some(format!("order:{id}"));
    }
    let named = |kind: &str, e: Option<&super::oru::EntityId>| {
        e.filter(|e| !e.id.trim().is_empty())
            .map(|e| format!("{kind}:{}^{}", e.id.trim(), e.namespace_id.trim()))
    };
    named("filler", order.filler()).or_else(|| named("placer", order.placer()))
}

/// The observation an earlier message filed for the same order, code and sub-id (or, for an
/// order of this chart, the latest result of that code on it), not entered in error.
fn earlier_result(
    ctx: &Ctx,
    patient: Uuid,
    code: &str,
    key: &str,
    sub_id: &str,
    chart_order: Option<Uuid>,
) -> Result<Option<Uuid>, ChartError> {
    let from_messages: Option<String> = ctx
        .conn
        .prepare_cached(
            "SELECT json_extract(r.value, '$.observation') FROM hl7_message m,
                 json_each(m.results) r
             JOIN observation o ON o.id = json_extract(r.value, '$.observation')
             WHERE m.patient = ?1 AND m.state IN ('applied', 'assigned') AND m.retracted = 0
               AND json_extract(r.value, '$.code') = ?2 AND json_extract(r.value, '$.order') = ?3
               AND coalesce(json_extract(r.value, '$.sub_id'), '') = ?4 AND o.retracted = 0
             ORDER BY m.created_at DESC LIMIT 1",
        )?
        .query_row(
            rusqlite::params![patient.to_string(), code, key, sub_id],
            |r| r.get(0),
        )
        .optional()?;
    if let Some(id) = from_messages {
        return Ok(Uuid::parse_str(&id).ok());
    }
    let Some(order) = chart_order else {
        return Ok(None);
    };
    let on_order: Option<String> = ctx
        .conn
        .prepare_cached(
            "SELECT id FROM observation WHERE order_ref = ?1 AND code = ?2 AND retracted = 0
             ORDER BY created_at DESC LIMIT 1",
        )?
        .query_row([order.to_string(), code.to_string()], |r| r.get(0))
        .optional()?;
    Ok(on_order.and_then(|id| Uuid::parse_str(&id).ok()))
}

/// One OBX as an observation's fields, or `None` when it has no value to file.
fn result_fields(
    obx: &Observation,
    code: &str,
    display: Option<String>,
    status: &str,
    effective: &Option<String>,
) -> Option<ObservationFields> {
    let mut f = ObservationFields {
        code: Some(Some(code.to_string())),
        category: Some(Some("lab".into())),
        status: Some(Some(status.into())),
        ..Default::default()
    };
    if let Some(d) = display {
        f.display = Some(Some(d));
    }
    if let Some(e) = effective {
        f.effective = Some(Some(DateTime(e.clone())));
    }
    let texts: Vec<&str> = obx
        .values
        .iter()
        .filter_map(|v| match v {
            ObservationValue::Text(t) | ObservationValue::Other(t) => Some(t.as_str()),
            _ => None,
        })
        .collect();
    match obx.value()? {
        ObservationValue::Number(n) => f.value_num = Some(Some(n.value)),
        ObservationValue::Structured(sn) => {
            let plain = sn.comparator.as_deref().is_none_or(|c| c == "=")
                && sn.separator.is_none()
                && sn.second.is_none();
            match (&sn.first, plain) {
                (Some(n), true) => f.value_num = Some(Some(n.value)),
                _ => {
                    let part = |s: &Option<String>| s.clone().unwrap_or_default();
                    let num = |n: &Option<super::oru::Numeric>| {
                        n.as_ref().map(|n| n.text.clone()).unwrap_or_default()
                    };
                    let text = format!(
                        "{}{}{}{}",
                        part(&sn.comparator),
                        num(&sn.first),
                        part(&sn.separator),
                        num(&sn.second)
                    );
                    f.value_text = Some(Some(text));
                }
            }
        }
        ObservationValue::Coded(c) => {
            f.value_code = Some(Some(c.code.clone()).filter(|c| !c.is_empty()));
            if !c.text.is_empty() {
                f.value_text = Some(Some(c.text.clone()));
            }
        }
        ObservationValue::Text(_) | ObservationValue::Other(_) => {
            f.value_text = Some(Some(texts.join("\n")));
        }
    }
    if let Some(u) = &obx.units {
        let unit = if u.code.trim().is_empty() {
            u.text.trim()
        } else {
            u.code.trim()
        };
        if !unit.is_empty() {
            f.unit = Some(Some(unit.to_string()));
        }
    }
    if let Some(r) = &obx.reference_range {
        match (r.low, r.high) {
            (None, None) => {
                if !r.text.trim().is_empty() {
                    f.ref_text = Some(Some(r.text.trim().to_string()));
                }
            }
            (low, high) => {
                f.ref_low = low.map(|b| Some(b.value));
                f.ref_high = high.map(|b| Some(b.value));
            }
        }
    }
    if let Some(flag) = obx.abnormal_flags.iter().find_map(flag_of) {
        f.flag = Some(Some(flag.to_string()));
    }
    Some(f)
}

/// OBX-8 as the chart's flag. `AA` (critically abnormal) is filed as `A`; `<` and `>`
/// (off the measurable scale) and codes outside the chart's list (`POS`, `S`, `R`...) leave
/// the flag to be computed from the range.
fn flag_of(flag: &AbnormalFlag) -> Option<&'static str> {
    Some(match flag {
        AbnormalFlag::Normal => "N",
        AbnormalFlag::High => "H",
        AbnormalFlag::Low => "L",
        AbnormalFlag::CriticalHigh => "HH",
        AbnormalFlag::CriticalLow => "LL",
        AbnormalFlag::Abnormal | AbnormalFlag::CriticalAbnormal => "A",
        _ => return None,
    })
}

/// A corrected result's fields as the edit of the earlier record: every result field is set,
/// cleared when the new result does not have it, so the record is the new result and the
/// old value stays in its history.
fn update_values(
    f: ObservationFields,
    chart_order: Option<Uuid>,
) -> Result<Vec<(String, Value)>, ChartError> {
    use crate::chart::shape::RecordFields as _;
    let num = f.value_num.flatten();
    let (low, high) = (f.ref_low.flatten(), f.ref_high.flatten());
    let flag = f.flag.clone().flatten().or_else(|| {
        num.and_then(|x| vitals::range_flag(x, low, high))
            .map(str::to_string)
    });
    let filled = ObservationFields {
        value_num: Some(num),
        value_text: Some(f.value_text.clone().flatten()),
        value_code: Some(f.value_code.clone().flatten()),
        unit: Some(f.unit.clone().flatten()),
        ref_low: Some(low),
        ref_high: Some(high),
        ref_text: Some(f.ref_text.clone().flatten()),
        flag: Some(flag),
        order_ref: chart_order.map(Some).or(f.order_ref),
        ..f
    };
    filled.into_values()
}

/// A message held in the queue, filed into `patient`'s chart by a person: the changes (its
/// results, the order completed, the message marked assigned), in one commit.
pub fn assign(
    ctx: &Ctx,
    id: Uuid,
    version: &[Uuid],
    patient: Uuid,
) -> Result<(Vec<Change>, Vec<Uuid>), ChartError> {
    let (row, oru) = held(ctx, &id)?;
    chart::load(ctx.conn, &crate::chart::entities::PATIENT, &patient)?;
    let lab = row
        .get("sending_facility")
        .and_then(Json::as_str)
        .unwrap_or_default()
        .to_string();
    let f = match file(ctx, &oru, &lab, patient)? {
        Filed::Done(f) => f,
        Filed::Hold(reason, _) | Filed::Invalid(_, reason) => {
            return Err(ChartError::invalid("id", &reason))
        }
    };
    let notes = f.notes.join("; ");
    let values = vec![
        ("state".to_string(), Value::from("assigned")),
        ("patient".into(), Value::Text(patient.to_string())),
        ("results".into(), Value::Text(f.results.to_string())),
        (
            "reason".into(),
            if notes.is_empty() {
                Value::Null
            } else {
                Value::from(notes.as_str())
            },
        ),
    ];
    let (_, c) = chart::update(ctx, &HL7_MESSAGE, id, version, values)?;
    let mut changes = f.changes;
    changes.push(c);
    Ok((changes, f.observations))
}

/// A held message refused by a person, with the reason: it stays on record, filed nowhere.
pub fn refuse(ctx: &Ctx, id: Uuid, version: &[Uuid], reason: &str) -> Result<Change, ChartError> {
    held(ctx, &id)?;
    let reason = Some(reason.trim())
        .filter(|r| !r.is_empty())
        .ok_or_else(|| ChartError::invalid("reason", "say why the message is refused"))?;
    let values = vec![
        ("state".to_string(), Value::from("refused")),
        ("reason".into(), Value::from(reason)),
    ];
    chart::update(ctx, &HL7_MESSAGE, id, version, values).map(|(_, c)| c)
}

/// A message in the queue, and its text read again.
fn held(ctx: &Ctx, id: &Uuid) -> Result<(Map<String, Json>, OruR01), ChartError> {
    let row = chart::load(ctx.conn, &HL7_MESSAGE, id)?;
    let state = row.get("state").and_then(Json::as_str).unwrap_or_default();
    if state != "unmatched" {
        return Err(ChartError::invalid(
            "id",
            &format!("this message is {state}, not waiting in the unmatched results queue"),
        ));
    }
    let text = row
        .get("message")
        .and_then(Json::as_str)
        .unwrap_or_default();
    let oru = OruR01::parse(text).map_err(|e| ChartError::invalid("id", &e.to_string()))?;
    Ok((row, oru))
}
