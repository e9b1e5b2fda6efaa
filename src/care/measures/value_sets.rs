//! Value sets: the code lists a measure's criteria test membership in, imported by the
//! practice from a VSAC export (FHIR ValueSet resources with their expansions).
//!
//! They are practice data and never ship with Chartkeep: VSAC expansions carry AMA CPT
//! codes, which need the practice's own licence. Each is one ledger record (so a value set
//! imported on one workstation reaches the others), keyed by its canonical url, with the
//! expansion as a list of `[system, code]` pairs. Importing the same version again writes
//! nothing; a new version replaces the codes. Kept in step with
//! migrations/20261203_0012_value_sets.sql.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use rusqlite::{Connection, OptionalExtension};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use uuid::Uuid;

use super::MeasureError;
use crate::chart::shape::record_kinds;
use crate::chart::Ctx;
use crate::ledger::schema::{EntityDef, FieldDef, FieldKind::*};
use crate::ledger::{Change, Op, Value};

record_kinds! {
    /// A value set's expansion, as the practice imported it.
    VALUE_SET: "value_set" in "value_set", ValueSetFields, ValueSetRecord,
    {
        /// The canonical url, e.g. http://cts.nlm.nih.gov/fhir/ValueSet/2.16.840.1.113883.3.464.1003.101.12.1001.
        url: Text,
        /// The OID the url ends in.
        oid: Text,
        /// Its title, e.g. Office Visit.
        name: Text,
        /// The value set's version (or the expansion's identifier).
        version: Text,
        /// The expansion: `[[system, code], …]`.
        codes: Json,
    }
}

/// One value set read from a file, before it is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueSetFile {
    pub url: String,
    pub oid: String,
    pub name: String,
    pub version: String,
    pub codes: Vec<(String, String)>,
}

/// What an import of value sets did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ValueSetImport {
    /// New value sets written.
    pub added: usize,
    /// Value sets whose version or codes changed.
    pub updated: usize,
    /// Already here, the same.
    pub unchanged: usize,
    /// Codes in the value sets read.
    pub codes: usize,
    /// Files that are not a ValueSet with an expansion, with why.
    pub skipped: Vec<String>,
}

/// The codes of a ValueSet resource (its expansion, else the concepts its compose lists
/// one by one), or why it has none this can use.
pub fn read_value_set(j: &Json) -> Result<ValueSetFile, String> {
    if j["resourceType"] != "ValueSet" {
        return Err("not a ValueSet".into());
    }
    let url = j["url"]
        .as_str()
        .ok_or("the ValueSet has no url")?
        .to_string();
    let oid = j["id"]
        .as_str()
        .map(str::to_string)
        .unwrap_or_else(|| url.rsplit('/').next().unwrap_or_default().to_string());
    let mut codes = Vec::new();
    fn walk(list: &Json, out: &mut Vec<(String, String)>) {
        for c in list.as_array().into_iter().flatten() {
            if let (Some(s), Some(k)) = (c["system"].as_str(), c["code"].as_str()) {
                out.push((s.to_string(), k.to_string()));
            }
            walk(&c["contains"], out);
        }
    }
    walk(&j["expansion"]["contains"], &mut codes);
    if codes.is_empty() {
        for inc in j["compose"]["include"].as_array().into_iter().flatten() {
            let Some(system) = inc["system"].as_str() else {
                continue;
            };
            for c in inc["concept"].as_array().into_iter().flatten() {
                if let Some(k) = c["code"].as_str() {
                    codes.push((system.to_string(), k.to_string()));
                }
            }
        }
    }
    if codes.is_empty() {
        return Err(format!(
            "{url} has no expansion; export it from VSAC with its expansion"
        ));
    }
    codes.sort();
    codes.dedup();
    Ok(ValueSetFile {
        url,
        oid,
        name: j["title"]
            .as_str()
            .or(j["name"].as_str())
            .unwrap_or_default()
            .to_string(),
        version: j["version"]
            .as_str()
            .or(j["expansion"]["identifier"].as_str())
            .unwrap_or_default()
            .to_string(),
        codes,
    })
}

/// Every ValueSet in a folder's `.json` files (a ValueSet each, or Bundles of them), in
/// file name order; files that hold none are listed in `skipped`.
pub fn read_dir(dir: &Path) -> Result<(Vec<ValueSetFile>, Vec<String>), MeasureError> {
    let io = |e: std::io::Error| MeasureError::Io(format!("{}: {e}", dir.display()));
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .map_err(io)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    let mut sets = Vec::new();
    let mut skipped = Vec::new();
    for p in paths {
        let name = p
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .to_string();
        let text = std::fs::read_to_string(&p).map_err(io)?;
        let j: Json = match serde_json::from_str(&text) {
            Ok(j) => j,
            Err(e) => {
                skipped.push(format!("{name}: not JSON ({e})"));
                continue;
            }
        };
        let resources: Vec<&Json> = if j["resourceType"] == "Bundle" {
            j["entry"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|e| &e["resource"])
                .collect()
        } else {
            vec![&j]
        };
        for r in resources {
            match read_value_set(r) {
                Ok(v) => sets.push(v),
                Err(why) => skipped.push(format!("{name}: {why}")),
            }
        }
    }
    Ok((sets, skipped))
}

/// The changes that bring the stored value sets up to `sets`: one create per new url, one
/// set per changed one. Nothing for a value set already stored the same.
pub fn changes(
    ctx: &Ctx,
    sets: &[ValueSetFile],
    report: &mut ValueSetImport,
) -> Result<Vec<Change>, MeasureError> {
    let mut out = Vec::new();
    for v in sets {
        report.codes += v.codes.len();
        let pairs: Vec<Json> = v
            .codes
            .iter()
            .map(|(s, c)| Json::from(vec![s.as_str(), c.as_str()]))
            .collect();
        let codes = Json::Array(pairs).to_string();
        let fields = vec![
            ("url".to_string(), Value::Text(v.url.clone())),
            ("oid".into(), Value::Text(v.oid.clone())),
            ("name".into(), Value::Text(v.name.clone())),
            ("version".into(), Value::Text(v.version.clone())),
            ("codes".into(), Value::Text(codes.clone())),
        ];
        let existing: Option<(String, Option<String>, Option<String>)> = ctx
            .conn
            .query_row(
                "SELECT id, version, codes FROM value_set WHERE url = ?1 AND retracted = 0",
                [&v.url],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        match existing {
            Some((_, ver, stored))
                if ver.as_deref() == Some(&v.version) && stored.as_deref() == Some(&codes) =>
            {
                report.unchanged += 1
            }
            Some((id, _, _)) => {
                let id = Uuid::parse_str(&id).unwrap_or_default();
                let base = crate::ledger::row_version(ctx.conn, &VALUE_SET, &id)?;
                out.push(Change::new(
                    ctx.new_id(),
                    VALUE_SET.name,
                    id,
                    Op::Set,
                    fields,
                    base,
                ));
                report.updated += 1;
            }
            None => {
                // The id follows from the url, so two workstations importing the same
                // export write the same record.
                let id = Uuid::new_v5(&Uuid::NAMESPACE_URL, v.url.as_bytes());
                out.push(Change::new(
                    ctx.new_id(),
                    VALUE_SET.name,
                    id,
                    Op::Create,
                    fields,
                    vec![],
                ));
                report.added += 1;
            }
        }
    }
    Ok(out)
}

/// A value set as stored: its name and its `(system URI, code)` pairs.
#[derive(Debug, Clone)]
pub struct StoredSet {
    pub name: String,
    pub codes: Vec<(String, String)>,
}

/// The stored value sets among `oids`, in that order; the ones not imported are left out.
pub fn stored(conn: &Connection, oids: &[&str]) -> Result<Vec<StoredSet>, MeasureError> {
    let mut stmt =
        conn.prepare("SELECT name, codes FROM value_set WHERE oid = ?1 AND retracted = 0")?;
    let mut out = Vec::new();
    for oid in oids {
        let row: Option<(Option<String>, Option<String>)> = stmt
            .query_row([oid], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        if let Some((name, codes)) = row {
            let pairs: Vec<(String, String)> = codes
                .and_then(|c| serde_json::from_str(&c).ok())
                .unwrap_or_default();
            out.push(StoredSet {
                name: name.unwrap_or_default(),
                codes: pairs,
            });
        }
    }
    Ok(out)
}

/// The value sets a measure evaluation tests codes against, by OID: each a set of
/// `system|code` keys, so a membership test is one hash look-up.
#[derive(Debug, Clone, Default)]
pub struct ValueSets {
    by_oid: HashMap<String, HashSet<String>>,
}

/// The key a coding is looked up by.
pub fn key(system: &str, code: &str) -> String {
    format!("{system}|{code}")
}

impl ValueSets {
    /// Every value set stored in the practice.
    pub fn load(conn: &Connection) -> Result<ValueSets, MeasureError> {
        let mut stmt = conn.prepare("SELECT oid, codes FROM value_set WHERE retracted = 0")?;
        let rows: Vec<(Option<String>, Option<String>)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        let mut by_oid = HashMap::new();
        for (oid, codes) in rows {
            let (Some(oid), Some(codes)) = (oid, codes) else {
                continue;
            };
            let pairs: Vec<(String, String)> = serde_json::from_str(&codes).unwrap_or_default();
            let set: HashSet<String> = pairs.iter().map(|(s, c)| key(s, c)).collect();
            by_oid.insert(oid, set);
        }
        Ok(ValueSets { by_oid })
    }

    /// Built from files read (tests, benchmarks).
    pub fn from_files(sets: &[ValueSetFile]) -> ValueSets {
        ValueSets {
            by_oid: sets
                .iter()
                .map(|v| {
                    (
                        v.oid.clone(),
                        v.codes.iter().map(|(s, c)| key(s, c)).collect(),
                    )
                })
                .collect(),
        }
    }

    /// The codes of `system` in the value set `oid`.
    pub fn codes_in<'a>(&'a self, oid: &str, system: &'a str) -> impl Iterator<Item = &'a str> {
        self.by_oid
            .get(oid)
            .into_iter()
            .flatten()
            .filter_map(move |k| {
                k.strip_prefix(system)
                    .and_then(|rest| rest.strip_prefix('|'))
            })
    }

    pub fn has(&self, oid: &str) -> bool {
        self.by_oid.contains_key(oid)
    }

    /// Whether any of `codes` (keys) is in the value set `oid`.
    pub fn any(&self, oid: &str, codes: &[String]) -> bool {
        self.by_oid
            .get(oid)
            .is_some_and(|set| codes.iter().any(|c| set.contains(c.as_str())))
    }
}
