//! The "Unmatched results" queue: messages that wait for a person to say whose results they
//! are (or to add a code mapping), shown with what the message says of the patient and its
//! results in short, read again from the message text kept.

use rusqlite::Connection;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::entities::HL7_MESSAGE;
use super::oru::{ObservationValue, OruR01, Sex};
use crate::chart::ChartError;

/// One message waiting in the queue.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct HeldMessage {
    /// The `hl7_message` record; pass it and `version` to hl7.assign or hl7.refuse.
    pub id: Uuid,
    pub version: Vec<Uuid>,
    /// MSH-10.
    pub control_id: String,
    /// MSH-4, the lab.
    pub sending_facility: String,
    /// RFC 3339.
    pub received_at: String,
    /// Why it waits: no patient matched, several did, or a code has no LOINC mapping.
    pub reason: String,
    /// The patient matched when only a code mapping is missing.
    pub patient: Option<Uuid>,
    /// The patient as the message names them.
    pub pid: PidSummary,
    /// Its results in short, in message order.
    pub results: Vec<ResultLine>,
}

/// What PID says of the patient.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct PidSummary {
    /// PID-3, each as `value (type, authority)`.
    pub identifiers: Vec<String>,
    pub family: String,
    pub given: String,
    /// PID-7 as `YYYY-MM-DD`, when it is a date.
    pub birth_date: Option<String>,
    /// PID-8 as sent.
    pub sex: Option<String>,
}

/// One OBX in short.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ResultLine {
    /// OBX-3's code and its text.
    pub code: String,
    pub name: String,
    /// OBX-5 as text, with OBX-6's unit.
    pub value: String,
    /// OBX-8, e.g. H.
    pub flag: String,
    /// OBX-11, e.g. F.
    pub status: String,
}

/// Every message in the queue, oldest first.
pub fn unmatched(conn: &Connection) -> Result<Vec<HeldMessage>, ChartError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, control_id, sending_facility, received_at, reason, patient, message
         FROM hl7_message WHERE state = 'unmatched' AND retracted = 0
         ORDER BY received_at, created_at",
    )?;
    type Row = (
        String,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
    );
    let rows: Vec<Row> = stmt
        .query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
            ))
        })?
        .collect::<Result<_, _>>()?;
    let mut out = Vec::with_capacity(rows.len());
    for (id, control_id, facility, received_at, reason, patient, text) in rows {
        let id = Uuid::parse_str(&id).unwrap_or_default();
        let (pid, results) = summary(text.as_deref().unwrap_or_default());
        out.push(HeldMessage {
            version: crate::ledger::row_version(conn, &HL7_MESSAGE, &id)?,
            id,
            control_id: control_id.unwrap_or_default(),
            sending_facility: facility.unwrap_or_default(),
            received_at: received_at.unwrap_or_default(),
            reason: reason.unwrap_or_default(),
            patient: patient.and_then(|p| Uuid::parse_str(&p).ok()),
            pid,
            results,
        });
    }
    Ok(out)
}

/// The patient and the results of a kept message (it parsed when it was received).
fn summary(text: &str) -> (PidSummary, Vec<ResultLine>) {
    let Ok(oru) = OruR01::parse(text) else {
        return (PidSummary::default(), Vec::new());
    };
    let Some(group) = oru.patient_results.first() else {
        return (PidSummary::default(), Vec::new());
    };
    let p = &group.patient;
    let name = p.names.first();
    let pid = PidSummary {
        identifiers: p
            .identifiers
            .iter()
            .filter(|i| !i.id.trim().is_empty())
            .map(|i| {
                let authority = &i.assigning_authority.namespace_id;
                match (i.type_code.is_empty(), authority.is_empty()) {
                    (true, true) => i.id.clone(),
                    (false, true) => format!("{} ({})", i.id, i.type_code),
                    (true, false) => format!("{} ({authority})", i.id),
                    (false, false) => format!("{} ({}, {authority})", i.id, i.type_code),
                }
            })
            .collect(),
        family: name.map(|n| n.family.clone()).unwrap_or_default(),
        given: name.map(|n| n.given.clone()).unwrap_or_default(),
        birth_date: p
            .birth_date
            .map(|b| b.date().format("%Y-%m-%d").to_string()),
        sex: p.sex.as_ref().map(|s| {
            match s {
                Sex::Female => "F",
                Sex::Male => "M",
                Sex::Other => "O",
                Sex::Unknown => "U",
                Sex::Ambiguous => "A",
                Sex::NotApplicable => "N",
                Sex::Unrecognised(code) => code,
            }
            .to_string()
        }),
    };
    let results = group
        .orders
        .iter()
        .flat_map(|o| &o.observations)
        .map(|obx| {
            let value = match obx.value() {
                Some(ObservationValue::Number(n)) => n.text.clone(),
                Some(ObservationValue::Structured(sn)) => [
                    sn.comparator.clone().unwrap_or_default(),
                    sn.first
                        .as_ref()
                        .map(|n| n.text.clone())
                        .unwrap_or_default(),
                    sn.separator.clone().unwrap_or_default(),
                    sn.second
                        .as_ref()
                        .map(|n| n.text.clone())
                        .unwrap_or_default(),
                ]
                .concat(),
                Some(ObservationValue::Coded(c)) => {
                    if c.text.is_empty() {
                        c.code.clone()
                    } else {
                        c.text.clone()
                    }
                }
                Some(ObservationValue::Text(t) | ObservationValue::Other(t)) => t.clone(),
                None => String::new(),
            };
            let unit = obx
                .units
                .as_ref()
                .map(|u| if u.code.is_empty() { &u.text } else { &u.code })
                .filter(|u| !u.is_empty());
            ResultLine {
                code: obx.id.code.clone(),
                name: obx.id.text.clone(),
                value: match unit {
                    Some(u) => format!("{value} {u}"),
                    None => value,
                },
                flag: obx
                    .abnormal_flags
                    .iter()
                    .map(|f| f.code().to_string())
                    .collect::<Vec<_>>()
                    .join(" "),
                status: obx.status.code().to_string(),
            }
        })
        .collect();
    (pid, results)
}
