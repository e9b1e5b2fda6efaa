//! Patient search on FTS5: any order of name parts, prefixes, MRN, birth date in common
//! formats, phone digits.
//!
//! The index holds one document per patient. Birth dates are indexed as a single token
//! `d19840307` so "1984-03-07", "03/07/1984" and "7.3.1984" all find the same patient
//! without matching stray numbers; phones are indexed as their digits and their last
//! seven and four digits.

use rusqlite::{params, Connection, OptionalExtension};
use serde_json::Value as Json;

use super::entities::PATIENT;
use super::record::row_to_json;
use super::ChartError;

/// Keeps `patient_fts` in step with the patient table; called by the ledger inside its
/// transaction (and during rebuild).
pub fn row_hook(conn: &Connection, entity: &str, row: &str) -> rusqlite::Result<()> {
    if entity != "patient" {
        return Ok(());
    }
    let found = conn
        .prepare_cached(
            "SELECT rowid, family, given, preferred, mrn, birth_date, phones, identifiers, retracted FROM patient WHERE id = ?1",
        )?
        .query_row([row], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                [
                    r.get::<_, Option<String>>(1)?,
                    r.get::<_, Option<String>>(2)?,
                    r.get::<_, Option<String>>(3)?,
                    r.get::<_, Option<String>>(4)?,
                    r.get::<_, Option<String>>(5)?,
                    r.get::<_, Option<String>>(6)?,
                    r.get::<_, Option<String>>(7)?,
                ],
                r.get::<_, bool>(8)?,
            ))
        })
        .optional()?;
    let Some((rowid, cols, retracted)) = found else {
        return Ok(());
    };
    conn.prepare_cached("DELETE FROM patient_fts WHERE rowid = ?1")?
        .execute([rowid])?;
    if retracted {
        return Ok(());
    }
    let [family, given, preferred, mrn, birth, phones, identifiers] = cols;
    let mut terms: Vec<String> = Vec::new();
    terms.extend(family);
    if let Some(g) = given {
        let names: Vec<String> = serde_json::from_str(&g).unwrap_or_default();
        terms.extend(names);
    }
    terms.extend(preferred);
    terms.extend(mrn);
    if let Some(b) = birth {
        terms.push(format!("d{}", b.replace('-', "")));
    }
    for p in [phones, identifiers].into_iter().flatten() {
        let items: Vec<Json> = serde_json::from_str(&p).unwrap_or_default();
        for item in items {
            let text = match &item {
                Json::String(s) => s.clone(),
                Json::Object(o) => o
                    .get("value")
                    .or_else(|| o.get("number"))
                    .and_then(Json::as_str)
                    .unwrap_or("")
                    .to_string(),
                _ => String::new(),
            };
            let digits: String = text.chars().filter(char::is_ascii_digit).collect();
            if digits.len() >= 4 {
                terms.push(digits.clone());
                if digits.len() > 7 {
                    terms.push(digits[digits.len() - 7..].to_string());
                }
                terms.push(digits[digits.len() - 4..].to_string());
            } else if !text.is_empty() {
                terms.push(text);
            }
        }
    }
    conn.prepare_cached("INSERT INTO patient_fts (rowid, patient, terms) VALUES (?1, ?2, ?3)")?
        .execute(params![rowid, row, terms.join(" ")])?;
    Ok(())
}

/// A date typed the way people type them, as the index token, or None.
pub fn date_token(term: &str) -> Option<String> {
    use chrono::NaiveDate;
    let formats = [
        "%Y-%m-%d", "%m/%d/%Y", "%d.%m.%Y", "%Y%m%d", "%Y/%m/%d", "%m-%d-%Y",
    ];
    formats
        .iter()
        .find_map(|f| NaiveDate::parse_from_str(term, f).ok())
        .filter(|d| (1850..=2200).contains(&chrono::Datelike::year(d)))
        .map(|d| format!("d{}", d.format("%Y%m%d")))
}

/// Turns what the user typed into an FTS5 query: every term must match, each as a prefix.
/// Returns None when nothing searchable was typed.
pub fn fts_query(text: &str) -> Option<String> {
    let mut parts: Vec<String> = Vec::new();
    for raw in text.split_whitespace() {
        let t = raw.trim_matches(|c: char| c == ',' || c == ';');
        if t.is_empty() {
            continue;
        }
        if let Some(d) = date_token(t) {
            parts.push(format!("\"{d}\""));
            continue;
        }
        let digits: String = t.chars().filter(char::is_ascii_digit).collect();
        if !digits.is_empty()
            && digits.len() * 2 >= t.chars().filter(|c| c.is_alphanumeric()).count() * 2
        {
            parts.push(format!("\"{digits}\"*"));
            continue;
        }
        // Letters: each alphanumeric run is a token, as the tokenizer will see it.
        for word in t
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
        {
            parts.push(format!("\"{}\"*", word.to_lowercase()));
        }
    }
    if parts.is_empty() {
        None
    } else {
        Some(parts.join(" "))
    }
}

/// The columns a search result shows: enough to pick the right patient, not the chart.
pub const SEARCH_SQL: &str =
    "SELECT p.id, p.family, p.given, p.preferred, p.birth_date, p.sex, p.mrn, p.phones, p.status
     FROM patient_fts f JOIN patient p ON p.rowid = f.rowid
     WHERE patient_fts MATCH ?1 ORDER BY f.rank LIMIT ?2";

/// A patient found: the columns a result list shows, and the display name.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
#[schemars(transform = super::shape::Choices("patient"))]
pub struct Hit {
    pub id: uuid::Uuid,
    pub family: Option<String>,
    pub given: Option<super::shape::Structured>,
    pub preferred: Option<String>,
    pub birth_date: Option<super::shape::Date>,
    pub sex: Option<String>,
    pub mrn: Option<String>,
    pub phones: Option<super::shape::Structured>,
    pub status: Option<String>,
    /// "Family, Given Middle (Preferred)".
    pub name: String,
}

/// Patients matching `text`, best match first, at most `limit`.
pub fn search(conn: &Connection, text: &str, limit: usize) -> Result<Vec<Hit>, ChartError> {
    let Some(q) = fts_query(text) else {
        return Err(ChartError::invalid(
            "query",
            "type part of a name, an MRN, a birth date or phone digits",
        ));
    };
    let mut stmt = conn.prepare_cached(SEARCH_SQL)?;
    let rows = stmt.query_map(params![q, limit as i64], |r| Ok(row_to_json(&PATIENT, r)))?;
    let mut out = Vec::new();
    for r in rows {
        let mut m = r?;
        m.insert(
            "name".into(),
            Json::String(super::patient::display_name(&m)),
        );
        out.push(super::shape::answer(m)?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_in_common_formats_become_one_token() {
        for t in ["1984-03-07", "03/07/1984", "7.3.1984", "19840307"] {
            assert_eq!(date_token(t).as_deref(), Some("d19840307"), "{t}");
        }
        assert_eq!(date_token("garcia"), None);
        assert_eq!(date_token("2023-02-30"), None);
    }

    #[test]
    fn query_terms_are_prefixes_in_any_order() {
        assert_eq!(fts_query("Gar ana").unwrap(), "\"gar\"* \"ana\"*");
        assert_eq!(
            fts_query("(555) 123-4567").unwrap(),
            "\"555\"* \"1234567\"*"
        );
        assert_eq!(fts_query("  "), None);
        assert_eq!(fts_query("O'Brien"), Some("\"o\"* \"brien\"*".into()));
    }
}
