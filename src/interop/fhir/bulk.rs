//! The whole practice as FHIR Bulk Data NDJSON: one file per resource type and a
//! `manifest.json` in the shape of a Bulk Data export's completion answer. This is the
//! practice's way out to another system (the export of all electronic health information
//! that ONC 170.315(b)(10) describes).
//!
//! Patients are exported one at a time, each chart built as for a single patient and
//! appended line by line, so memory stays bounded by the largest chart, not the practice.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use rusqlite::Connection;
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

use super::export::patient_bundle;
use crate::interop::InteropError;

/// One NDJSON file of the export.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct BulkFile {
    /// The FHIR resource type the file holds.
    #[serde(rename = "type")]
    pub kind: String,
    /// The file's name inside the export folder.
    pub url: String,
    pub count: u64,
}

/// What a practice-wide export wrote.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct BulkExport {
    pub patients: u64,
    pub resources: u64,
    pub files: Vec<BulkFile>,
}

/// Writes every patient's chart under `dir` (created if missing; refused if it holds
/// anything). `now_ms` is the export's transaction time. An export that fails part way
/// (a full disk) removes what it wrote, so a folder never holds half an export.
pub fn practice_ndjson(
    conn: &Connection,
    dir: &Path,
    now_ms: i64,
) -> Result<BulkExport, InteropError> {
    let created = !dir.exists();
    if !created {
        let mut entries = std::fs::read_dir(dir).map_err(InteropError::io(dir))?;
        if entries.next().is_some() {
            return Err(InteropError::NotEmpty(dir.to_path_buf()));
        }
    }
    std::fs::create_dir_all(dir).map_err(InteropError::io(dir))?;
    let out = write_export(conn, dir, now_ms);
    if out.is_err() {
        // The folder was empty: everything in it now is this export's.
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let _ = std::fs::remove_file(entry.path());
        }
        if created {
            let _ = std::fs::remove_dir(dir);
        }
    }
    out
}

fn write_export(conn: &Connection, dir: &Path, now_ms: i64) -> Result<BulkExport, InteropError> {
    let ids: Vec<String> = conn
        .prepare("SELECT id FROM patient ORDER BY created_at, id")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let mut files: BTreeMap<String, (BufWriter<File>, u64)> = BTreeMap::new();
    let mut resources = 0u64;
    for id in &ids {
        let Ok(patient) = Uuid::parse_str(id) else {
            continue;
        };
        let exported = patient_bundle(conn, &patient, now_ms)?;
        for entry in exported.bundle["entry"].as_array().into_iter().flatten() {
            let resource = &entry["resource"];
            let kind = resource["resourceType"].as_str().unwrap_or("Unknown");
            if !files.contains_key(kind) {
                let path = dir.join(format!("{kind}.ndjson"));
                let f = File::create(&path).map_err(InteropError::io(&path))?;
                files.insert(kind.to_string(), (BufWriter::new(f), 0));
            }
            let Some((w, n)) = files.get_mut(kind) else {
                continue;
            };
            let path = dir.join(format!("{kind}.ndjson"));
            serde_json::to_writer(&mut *w, resource)
                .map_err(|e| InteropError::io(&path)(e.into()))?;
            w.write_all(b"\n").map_err(InteropError::io(&path))?;
            *n += 1;
            resources += 1;
        }
    }
    let mut out = Vec::new();
    for (kind, (mut w, count)) in files {
        let path = dir.join(format!("{kind}.ndjson"));
        w.flush().map_err(InteropError::io(&path))?;
        w.get_ref().sync_all().map_err(InteropError::io(&path))?;
        out.push(BulkFile {
            url: format!("{kind}.ndjson"),
            kind,
            count,
        });
    }
    let manifest = json!({
        "transactionTime": crate::clock::rfc3339(now_ms),
        "request": "chartkeep export fhir --all",
        "requiresAccessToken": false,
        "output": out,
        "error": [],
    });
    let text = serde_json::to_string_pretty(&manifest).unwrap_or_default();
    crate::interop::write_new_file(&dir.join("manifest.json"), text.as_bytes())?;
    Ok(BulkExport {
        patients: ids.len() as u64,
        resources,
        files: out,
    })
}
