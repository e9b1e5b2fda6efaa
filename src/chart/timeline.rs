//! The timeline: everything in a chart in date order, newest first, with filters.
//!
//! Observations taken together (a vitals form, a lab panel) appear as one event.

use rusqlite::Connection;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::ChartError;

/// Each kind of event: its name and the query giving (date, id, title, detail).
const SOURCES: &[(&str, &str)] = &[
    ("encounter", "SELECT start AS date, id, coalesce(type, 'Visit') AS title, reason AS detail FROM encounter WHERE patient = ?1 AND retracted = 0"),
    ("note", "SELECT coalesce(signed_at, strftime('%Y-%m-%dT%H:%M:%SZ', created_at / 1000, 'unixepoch')) AS date, id, coalesce(title, 'Note') AS title, status AS detail FROM note WHERE patient = ?1 AND retracted = 0"),
    ("problem", "SELECT coalesce(onset_date, strftime('%Y-%m-%d', created_at / 1000, 'unixepoch')) AS date, id, display AS title, status AS detail FROM problem WHERE patient = ?1 AND retracted = 0"),
    ("medication", "SELECT coalesce(start_date, strftime('%Y-%m-%d', created_at / 1000, 'unixepoch')) AS date, id, name AS title, dose AS detail FROM medication WHERE patient = ?1 AND retracted = 0"),
    ("allergy", "SELECT coalesce(onset_date, strftime('%Y-%m-%d', created_at / 1000, 'unixepoch')) AS date, id, coalesce(substance, 'No known allergies') AS title, severity AS detail FROM allergy WHERE patient = ?1 AND retracted = 0"),
    ("immunization", "SELECT date, id, vaccine AS title, status AS detail FROM immunization WHERE patient = ?1 AND retracted = 0"),
    ("observation", "SELECT max(effective) AS date, min(id) AS id, CASE WHEN count(*) > 1 THEN coalesce(panel, 'Observations') ELSE max(display) END AS title, count(*) || ' result(s)' AS detail FROM observation WHERE patient = ?1 AND retracted = 0 GROUP BY coalesce(panel_id, id)"),
    ("order", "SELECT coalesce(ordered_at, strftime('%Y-%m-%dT%H:%M:%SZ', created_at / 1000, 'unixepoch')) AS date, id, description AS title, status AS detail FROM clinical_order WHERE patient = ?1 AND retracted = 0"),
    ("procedure", "SELECT date, id, coalesce(description, code) AS title, status AS detail FROM clinical_procedure WHERE patient = ?1 AND retracted = 0"),
    ("hospitalization", "SELECT admit_date AS date, id, coalesce(facility, 'Hospital stay') AS title, reason AS detail FROM hospitalization WHERE patient = ?1 AND retracted = 0"),
    ("document", "SELECT coalesce(date, strftime('%Y-%m-%d', created_at / 1000, 'unixepoch')) AS date, id, title, mime AS detail FROM document WHERE patient = ?1 AND retracted = 0"),
];

/// One event of the timeline.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Event {
    /// The kind of record: encounter, note, problem, medication, allergy, immunization,
    /// observation, order, procedure, hospitalization or document.
    pub kind: String,
    /// A date or an RFC 3339 time.
    pub date: String,
    /// The record's id (for grouped observations, the first of the group).
    pub id: String,
    pub title: Option<String>,
    pub detail: Option<String>,
}

/// One point of an observation series.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Point {
    /// RFC 3339.
    pub effective: String,
    pub value_num: Option<f64>,
    pub value_text: Option<String>,
    pub unit: Option<String>,
    /// H, L, N or another abnormal flag.
    pub flag: Option<String>,
    /// The observation's id.
    pub id: String,
}

pub struct Filter {
    pub kinds: Option<Vec<String>>,
    /// Inclusive, compared as text (dates and RFC 3339 times sort correctly).
    pub from: Option<String>,
    pub to: Option<String>,
    pub limit: usize,
}

pub fn kinds() -> Vec<&'static str> {
    SOURCES.iter().map(|s| s.0).collect()
}

pub fn timeline(conn: &Connection, patient: &Uuid, f: &Filter) -> Result<Vec<Event>, ChartError> {
    if let Some(ks) = &f.kinds {
        for k in ks {
            if !SOURCES.iter().any(|s| s.0 == k) {
                return Err(ChartError::invalid(
                    "kinds",
                    &format!("'{k}' is not one of: {}", kinds().join(", ")),
                ));
            }
        }
    }
    let parts: Vec<String> = SOURCES
        .iter()
        .filter(|(k, _)| f.kinds.as_ref().is_none_or(|ks| ks.iter().any(|x| x == k)))
        .map(|(k, q)| format!("SELECT '{k}' AS kind, date, id, title, detail FROM ({q})"))
        .collect();
    let sql = format!(
        "SELECT kind, date, id, title, detail FROM ({})
         WHERE date IS NOT NULL AND (?2 IS NULL OR date >= ?2) AND (?3 IS NULL OR substr(date, 1, length(?3)) <= ?3)
         ORDER BY date DESC, id DESC LIMIT ?4",
        parts.join(" UNION ALL ")
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(
        rusqlite::params![patient.to_string(), f.from, f.to, f.limit as i64],
        |r| {
            Ok(Event {
                kind: r.get(0)?,
                date: r.get(1)?,
                id: r.get(2)?,
                title: r.get(3)?,
                detail: r.get(4)?,
            })
        },
    )?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// One observation code over time, oldest first, for trend charts.
pub fn series(
    conn: &Connection,
    patient: &Uuid,
    code: &str,
    from: Option<&str>,
    to: Option<&str>,
) -> Result<Vec<Point>, ChartError> {
    let mut stmt = conn.prepare_cached(
        "SELECT effective, value_num, value_text, unit, flag, id FROM observation
         WHERE patient = ?1 AND code = ?2 AND retracted = 0
           AND (?3 IS NULL OR effective >= ?3) AND (?4 IS NULL OR substr(effective, 1, length(?4)) <= ?4)
         ORDER BY effective",
    )?;
    let rows = stmt.query_map(
        rusqlite::params![patient.to_string(), code, from, to],
        |r| {
            Ok(Point {
                effective: r.get(0)?,
                value_num: r.get(1)?,
                value_text: r.get(2)?,
                unit: r.get(3)?,
                flag: r.get(4)?,
                id: r.get(5)?,
            })
        },
    )?;
    Ok(rows.collect::<Result<_, _>>()?)
}
