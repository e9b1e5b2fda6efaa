//! FHIR R4 import: Bundles and NDJSON onto the chart, one ledger commit per patient.
//!
//! A file is read whole, its resources are grouped by the patient they belong to, and each
//! patient's group is checked (time zones, references), matched against the patients
//! already here, mapped (`map.rs`) and committed at once, so a patient is either imported
//! whole or not at all and the rest of the import goes on. What the chart has no place for
//! is kept verbatim. Each commit also writes an `import_batch` record saying which file
//! each record came from; with it (and the source ids the records keep), importing the
//! same data again writes nothing twice.
//!
//! Bundles are imported file by file, so memory is bounded by the largest file. NDJSON
//! (a bulk export: one file per resource type) can only be grouped by patient once every
//! file is read, so the NDJSON files of one import are held together.

pub mod map;
mod matching;
pub mod read;
pub mod source;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use rusqlite::OptionalExtension;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json};
use uuid::Uuid;

use self::map::Mapped;
use self::matching::{candidates, known_patient, known_sources};
use self::read::Resource;
use crate::chart::{self, entities, ChartError};
use crate::ledger::schema::EntityDef;
use crate::ledger::{Change, Op, Value};
use crate::practice::Practice;

/// The largest file an import reads, unless told otherwise.
pub const MAX_FILE_BYTES: usize = 512 * 1024 * 1024;

/// What to do with a patient who may already be here (same identifier, or same name and
/// birth date) but is not known to be the same person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum OnMatch {
    /// Stop for that patient and list them for a person to decide (the default).
    #[default]
    Ask,
    /// Add the records to the one patient who matches (still asks when several do).
    Link,
    /// Register the patient as new.
    New,
}

/// A person's decision for one waiting patient.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// The same person as this patient here.
    Link(Uuid),
    /// A different person: register as new.
    New,
}

#[derive(Debug, Clone)]
pub struct Options {
    pub on_match: OnMatch,
    /// By the waiting patient's `source` (from an earlier report).
    pub decisions: HashMap<String, Decision>,
    pub max_file_bytes: usize,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            on_match: OnMatch::Ask,
            decisions: HashMap::new(),
            max_file_bytes: MAX_FILE_BYTES,
        }
    }
}

/// One input: a file on disk, or bytes that arrived another way (the app's drop zone).
#[derive(Debug, Clone)]
pub enum Input {
    Path(PathBuf),
    Bytes { name: String, bytes: Vec<u8> },
}

/// Something wrong with the input, where a person can find it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Problem {
    pub file: String,
    /// `Type/id` of the resource, empty for the file as a whole.
    pub resource: String,
    /// Where inside the file (`entry[3].resource.effectiveDateTime`, `line 12`).
    pub path: String,
    pub message: String,
}

/// Per resource type, what became of them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Counts {
    /// Written as chart records (or read as names, or as a panel of results).
    pub mapped: usize,
    /// Kept as they arrived, listed as other imported records.
    pub verbatim: usize,
    /// Already here from an earlier import.
    pub duplicate: usize,
    /// Not written: a problem, or a patient who waits for a decision.
    pub refused: usize,
    /// Not written by rule, with the reason in `skipped` (Chartkeep's own Provenance).
    pub skipped: usize,
}

/// A patient here who may be the same person as an imported one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Candidate {
    pub patient: Uuid,
    pub name: String,
    pub birth_date: Option<String>,
    pub mrn: Option<String>,
    /// Why: same identifier, or same name and birth date.
    pub reason: String,
}

/// An imported patient who waits for a person's decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Waiting {
    pub file: String,
    /// Pass this with a decision to import them.
    pub source: String,
    pub name: String,
    pub birth_date: Option<String>,
    pub resources: usize,
    pub candidates: Vec<Candidate>,
}

/// One patient the import wrote to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ImportedPatient {
    pub patient: Uuid,
    pub name: String,
    /// Registered by this import (not an existing chart).
    pub new: bool,
    /// Records written (chart records and verbatim ones).
    pub records: usize,
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ImportReport {
    pub files: usize,
    pub resources: usize,
    /// By resource type.
    pub types: BTreeMap<String, Counts>,
    pub patients: Vec<ImportedPatient>,
    /// Patients whose resources were all here already.
    pub unchanged: usize,
    pub waiting: Vec<Waiting>,
    /// What could not be imported; nothing of a patient with a problem was written.
    pub problems: Vec<Problem>,
    /// Why resources were skipped or kept verbatim rather than mapped, one line per
    /// reason and type, with how many.
    pub notes: Vec<String>,
    /// Everything was imported: no problem, nobody waiting.
    pub complete: bool,
}

/// How far a long import has got.
#[derive(Debug, Clone, Default)]
pub struct Progress {
    pub files_done: usize,
    pub files_total: usize,
    pub resources: usize,
    pub patients: usize,
}

/// Files to import from paths: files as given, folders searched for `.json`, `.ndjson`
/// and `.xml` (C-CDA) files, in name order.
pub fn expand(paths: &[PathBuf]) -> Result<Vec<PathBuf>, crate::interop::InteropError> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), crate::interop::InteropError> {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(crate::interop::InteropError::io(dir))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                walk(&p, out)?;
            } else if p.extension().and_then(|e| e.to_str()).is_some_and(|e| {
                matches!(
                    e.to_ascii_lowercase().as_str(),
                    "json" | "ndjson" | "jsonl" | "xml"
                )
            }) {
                out.push(p);
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            walk(p, &mut out)?;
        } else if p.exists() {
            out.push(p.clone());
        } else {
            return Err(crate::interop::InteropError::Io {
                path: p.clone(),
                source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such file or folder"),
            });
        }
    }
    Ok(out)
}

/// Imports `inputs` as `author`, one commit per patient.
pub fn run(
    practice: &mut Practice,
    author: Uuid,
    inputs: Vec<Input>,
    opts: &Options,
    progress: &mut dyn FnMut(&Progress),
) -> ImportReport {
    let mut report = ImportReport::default();
    let mut notes: BTreeMap<String, usize> = BTreeMap::new();
    // Patients in the report up to here are durable.
    let mut durable = 0;
    let done = practice.batch(|p| -> Result<(), crate::ledger::LedgerError> {
        run_files(
            p,
            author,
            inputs,
            opts,
            progress,
            &mut report,
            &mut notes,
            &mut durable,
        );
        Ok(())
    });
    if let Err(e) = done {
        unsaved(&mut report, durable, &e.to_string());
    }
    report.notes = notes
        .into_iter()
        .map(|(k, n)| format!("{n} × {k}"))
        .collect();
    report.complete = report.problems.is_empty() && report.waiting.is_empty();
    report
}

/// Patients written in one SQLite transaction (each still its own ledger commit): enough
/// that index pages are written once for many patients, few enough that a crash loses
/// little work, which importing again redoes.
const BATCH_PATIENTS: usize = 64;

/// Makes the batch durable once it holds enough patients.
fn maybe_checkpoint(practice: &mut Practice, report: &mut ImportReport, durable: &mut usize) {
    if practice.take_batch_lost() {
        unsaved(
            report,
            *durable,
            "another patient's commit in the same batch failed",
        );
        *durable = report.patients.len();
    }
    if report.patients.len() - *durable < BATCH_PATIENTS {
        return;
    }
    if let Err(e) = practice.checkpoint() {
        unsaved(report, *durable, &e.to_string());
    }
    *durable = report.patients.len();
}

/// The patients since the last durable point were not saved after all (the disk refused
/// the transaction, or another patient's commit failed): they leave the report's imported
/// patients for its problems.
fn unsaved(report: &mut ImportReport, durable: usize, why: &str) {
    for p in report.patients.drain(durable..) {
        report.problems.push(Problem {
            file: String::new(),
            resource: format!("Patient {}", p.name),
            path: String::new(),
            message: format!(
                "not saved ({why}); nothing of this patient was written: import the file again"
            ),
        });
    }
}

#[allow(clippy::too_many_arguments)]
fn run_files(
    practice: &mut Practice,
    author: Uuid,
    inputs: Vec<Input>,
    opts: &Options,
    progress: &mut dyn FnMut(&Progress),
    report: &mut ImportReport,
    notes: &mut BTreeMap<String, usize>,
    durable: &mut usize,
) {
    let mut pool: Vec<Resource> = Vec::new();
    // Files that hold one resource each (a folder per patient, as measure authoring tools
    // export test patients) are read together with the others of their folder, so that a
    // Condition finds the Patient in the next file; a folder at a time keeps memory
    // bounded, and folders are never mixed (test patients reuse one id).
    let mut singles: Vec<Resource> = Vec::new();
    let mut singles_folder: Option<PathBuf> = None;
    let mut step = Progress {
        files_total: inputs.len(),
        ..Progress::default()
    };
    for input in inputs {
        let folder = match &input {
            Input::Path(p) => p.parent().map(Path::to_path_buf),
            Input::Bytes { .. } => None,
        };
        let (name, bytes) = match input {
            Input::Path(p) => {
                let name = p.display().to_string();
                match std::fs::metadata(&p) {
                    Ok(m) if m.len() as usize > opts.max_file_bytes => {
                        // Refused before reading it into memory.
                        report.problems.push(Problem {
                            file: name,
                            resource: String::new(),
                            path: String::new(),
                            message: read::too_large(m.len() as usize, opts.max_file_bytes),
                        });
                        step.files_done += 1;
                        continue;
                    }
                    _ => {}
                }
                match std::fs::read(&p) {
                    Ok(b) => (name, b),
                    Err(e) => {
                        report.problems.push(Problem {
                            file: name,
                            resource: String::new(),
                            path: String::new(),
                            message: format!("cannot be read: {e}"),
                        });
                        step.files_done += 1;
                        continue;
                    }
                }
            }
            Input::Bytes { name, bytes } => (name, bytes),
        };
        report.files += 1;
        let is_ndjson = looks_like_ndjson(&bytes);
        match read::parse(&name, &bytes, opts.max_file_bytes) {
            Err(p) => report.problems.push(p),
            Ok(resources) if is_ndjson => pool.extend(resources),
            Ok(resources)
                if folder.is_some()
                    && resources.len() == 1
                    && resources[0].path == resources[0].kind() =>
            {
                if singles_folder != folder && !singles.is_empty() {
                    let group = std::mem::take(&mut singles);
                    import_scope(practice, author, &group, opts, report, notes, durable);
                }
                singles_folder = folder;
                singles.extend(resources);
            }
            Ok(resources) => {
                drop(bytes);
                import_scope(practice, author, &resources, opts, report, notes, durable);
            }
        }
        step.files_done += 1;
        step.resources = report.resources;
        step.patients = report.patients.len();
        progress(&step);
    }
    if !singles.is_empty() {
        import_scope(practice, author, &singles, opts, report, notes, durable);
    }
    if !pool.is_empty() {
        import_scope(practice, author, &pool, opts, report, notes, durable);
        step.resources = report.resources;
        step.patients = report.patients.len();
        progress(&step);
    }
}

fn looks_like_ndjson(bytes: &[u8]) -> bool {
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(1 << 20)]);
    let mut lines = text.trim().lines().filter(|l| !l.trim().is_empty());
    let first = lines.next().unwrap_or_default();
    lines.next().is_some() && serde_json::from_str::<Json>(first).is_ok()
}

/// Where a resource belongs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Owner {
    /// The Patient resource at this index.
    Resource(usize),
    /// A patient already in the chart, named by id.
    Chart(Uuid),
}

/// The resources read together (one Bundle, or every NDJSON file), indexed so references
/// between them resolve, and what the mapping needs to know about the others.
pub struct Scope<'a> {
    resources: &'a [Resource],
    index: HashMap<String, usize>,
    /// Chart ids given to the Encounters (not stays) being imported.
    encounters: HashMap<usize, Uuid>,
    /// Observation → (panel code, panel id), from the DiagnosticReports listing them.
    panels: HashMap<usize, (String, Uuid)>,
    /// Chart ids of the resources of the patient being imported.
    rows: HashMap<usize, Uuid>,
    /// Resources that name the chart record they were made from, by that record's id.
    records: HashMap<Uuid, Vec<usize>>,
}

impl<'a> Scope<'a> {
    fn new(resources: &'a [Resource]) -> Scope<'a> {
        let mut index = HashMap::with_capacity(resources.len() * 2);
        for (i, r) in resources.iter().enumerate() {
            if let Some(u) = &r.full_url {
                index.entry(u.clone()).or_insert(i);
            }
            if let Some(l) = r.local_ref() {
                index.entry(l).or_insert(i);
            }
            // NDJSON has no fullUrls, but its references may still be `urn:uuid:` ids.
            if let Some(id) = r.id().filter(|id| Uuid::parse_str(id).is_ok()) {
                index.entry(format!("urn:uuid:{id}")).or_insert(i);
            }
        }
        let mut records: HashMap<Uuid, Vec<usize>> = HashMap::new();
        for (i, r) in resources.iter().enumerate() {
            for id in r.json["identifier"].as_array().into_iter().flatten() {
                if id["system"] == super::RECORD_SYSTEM {
                    if let Some(u) = id["value"].as_str().and_then(|v| Uuid::parse_str(v).ok()) {
                        records.entry(u).or_default().push(i);
                    }
                }
            }
        }
        Scope {
            resources,
            records,
            index,
            encounters: HashMap::new(),
            panels: HashMap::new(),
            rows: HashMap::new(),
        }
    }

    /// The index a reference string points at, in this scope.
    fn find(&self, reference: &str) -> Option<usize> {
        if let Some(i) = self.index.get(reference) {
            return Some(*i);
        }
        // An absolute URL ending in Type/id, or a relative one with a version.
        let r = reference.split("/_history/").next().unwrap_or(reference);
        let mut parts = r.rsplit('/');
        let id = parts.next()?;
        let kind = parts.next()?;
        self.index.get(&format!("{kind}/{id}")).copied()
    }

    /// The resource a Reference element points at.
    pub fn resolve(&self, reference: &Json) -> Option<&'a Resource> {
        let r = reference["reference"].as_str()?;
        self.find(r).map(|i| &self.resources[i])
    }

    /// What a Reference names: its display, else the name of what it points at.
    pub fn display(&self, reference: &Json) -> Option<String> {
        reference["display"]
            .as_str()
            .filter(|d| !d.trim().is_empty())
            .map(str::to_string)
            .or_else(|| map::name_of(&self.resolve(reference)?.json))
    }

    /// The chart id of the encounter a reference points at, when it is imported as one.
    pub fn encounter_of(&self, reference: &Json) -> Option<String> {
        let r = reference["reference"].as_str()?;
        let i = self.find(r)?;
        self.encounters.get(&i).map(Uuid::to_string)
    }

    pub fn resource(&self, idx: usize) -> &'a Resource {
        &self.resources[idx]
    }

    /// The chart record id a resource names as the one it was made from.
    pub fn record_id(&self, idx: usize) -> Option<Uuid> {
        self.records
            .iter()
            .find(|(_, v)| v.contains(&idx))
            .map(|(k, _)| *k)
    }

    /// The resources made from the same chart record as this one (itself included), in
    /// order; empty when it names none.
    pub fn same_record(&self, idx: usize) -> Vec<usize> {
        self.record_id(idx)
            .and_then(|id| self.records.get(&id).cloned())
            .unwrap_or_default()
    }

    /// The panel an observation is a result of.
    pub fn panel_of(&self, idx: usize) -> (Option<String>, Option<String>) {
        match self.panels.get(&idx) {
            Some((code, id)) => (Some(code.clone()), Some(id.to_string())),
            None => (None, None),
        }
    }

    /// The panel id of a panel given as one resource's components.
    pub fn panel_id_for(&self, idx: usize) -> String {
        let row = self.rows.get(&idx).copied().unwrap_or_default();
        Uuid::new_v5(&row, b"panel").to_string()
    }
}

/// The patient a resource names, as a reference string.
fn patient_ref(r: &Resource) -> Option<&str> {
    for key in ["subject", "patient", "beneficiary"] {
        if let Some(s) = r.json[key]["reference"].as_str() {
            return Some(s);
        }
    }
    None
}

/// A chart patient's id in a reference that names one (`Patient/<id>`, `urn:uuid:<id>`).
fn chart_patient(practice: &Practice, reference: &str) -> Option<Uuid> {
    let id = reference
        .strip_prefix("urn:uuid:")
        .or_else(|| reference.rsplit_once("Patient/").map(|(_, id)| id))?;
    let id = Uuid::parse_str(id).ok()?;
    exists(practice, &entities::PATIENT, &id).then_some(id)
}

fn exists(practice: &Practice, def: &EntityDef, id: &Uuid) -> bool {
    owner_of(practice, def, id).is_some()
}

/// The patient a chart row belongs to (itself for a patient), if the row exists.
fn owner_of(practice: &Practice, def: &EntityDef, id: &Uuid) -> Option<String> {
    let column = if def.name == "patient" {
        "id"
    } else {
        "patient"
    };
    practice
        .reader()
        .prepare_cached(&format!(
            "SELECT {column} FROM \"{}\" WHERE id = ?1",
            def.table
        ))
        .and_then(|mut s| {
            s.query_row([id.to_string()], |r| r.get::<_, String>(0))
                .optional()
        })
        .ok()
        .flatten()
}

struct Group {
    owner: Owner,
    members: Vec<usize>,
    problems: Vec<Problem>,
}

fn count<'r>(report: &'r mut ImportReport, kind: &str) -> &'r mut Counts {
    report.types.entry(kind.to_string()).or_default()
}

#[allow(clippy::too_many_arguments)]
fn import_scope(
    practice: &mut Practice,
    author: Uuid,
    resources: &[Resource],
    opts: &Options,
    report: &mut ImportReport,
    notes: &mut BTreeMap<String, usize>,
    durable: &mut usize,
) {
    report.resources += resources.len();
    let mut scope = Scope::new(resources);
    let patients: Vec<usize> = resources
        .iter()
        .enumerate()
        .filter(|(_, r)| r.kind() == "Patient")
        .map(|(i, _)| i)
        .collect();
    let mut groups: Vec<Group> = Vec::new();
    let mut by_owner: HashMap<Owner, usize> = HashMap::new();
    let mut group_of = |owner: Owner, groups: &mut Vec<Group>| -> usize {
        *by_owner.entry(owner).or_insert_with(|| {
            groups.push(Group {
                owner,
                members: Vec::new(),
                problems: Vec::new(),
            });
            groups.len() - 1
        })
    };
    for &p in &patients {
        group_of(Owner::Resource(p), &mut groups);
    }
    for (i, r) in resources.iter().enumerate() {
        let kind = r.kind();
        if kind == "Patient" {
            continue;
        }
        if kind.is_empty() || !read::R4_TYPES.contains(&kind) {
            let p = r.problem(
                "resourceType",
                if kind.is_empty() {
                    "no resourceType: this is not a FHIR resource".to_string()
                } else {
                    format!("'{kind}' is not a FHIR R4 resource type")
                },
            );
            // It cannot be read, so its patient's import is not whole: stop that patient.
            match owner(practice, &scope, r, &patients) {
                Some(o) => {
                    let g = group_of(o, &mut groups);
                    groups[g].problems.push(p);
                }
                None => report.problems.push(p),
            }
            count(report, if kind.is_empty() { "(none)" } else { kind }).refused += 1;
            continue;
        }
        if read::definitional(kind) {
            report.problems.push(r.problem(
                "",
                format!("a {kind} defines rather than records care; an import of charts does not take it"),
            ));
            count(report, kind).refused += 1;
            continue;
        }
        if kind == "Provenance" && map::is_own_provenance(&r.json) {
            count(report, kind).skipped += 1;
            *notes
                .entry(format!("{kind} skipped: {}", map::OWN_PROVENANCE))
                .or_default() += 1;
            continue;
        }
        if read::shared(kind) && patient_ref(r).is_none() {
            count(report, kind).mapped += 1;
            continue;
        }
        match owner(practice, &scope, r, &patients) {
            Some(o) => {
                let g = group_of(o, &mut groups);
                groups[g].members.push(i);
            }
            None => {
                let message = match patient_ref(r) {
                    Some(to) => format!("its patient reference '{to}' points at no Patient in the import or the chart"),
                    None => "it names no patient, and the file holds more than one".to_string(),
                };
                report.problems.push(r.problem(
                    if patient_ref(r).is_some() {
                        "subject"
                    } else {
                        ""
                    },
                    message,
                ));
                count(report, kind).refused += 1;
            }
        }
    }
    for mut g in groups {
        // Checks that stop the whole patient: time zones and references that go nowhere.
        let mut all = g.members.clone();
        if let Owner::Resource(p) = g.owner {
            all.insert(0, p);
        }
        for &i in &all {
            let r = &resources[i];
            read::zone_problems(r, &mut g.problems);
            reference_problems(practice, &scope, r, &mut g.problems);
        }
        if !g.problems.is_empty() {
            for &i in &all {
                count(report, resources[i].kind()).refused += 1;
            }
            report.problems.append(&mut g.problems);
            continue;
        }
        import_patient(practice, author, &mut scope, &g, &all, opts, report, notes);
        maybe_checkpoint(practice, report, durable);
    }
}

/// The patient a resource belongs to.
fn owner(practice: &Practice, scope: &Scope, r: &Resource, patients: &[usize]) -> Option<Owner> {
    let reference = match r.kind() {
        "Provenance" => r.json["target"]
            .as_array()
            .and_then(|t| t.iter().find_map(|t| scope.resolve(t)))
            .and_then(patient_ref)
            .or_else(|| patient_ref(r)),
        _ => patient_ref(r),
    };
    match reference {
        Some(to) => match scope.find(to) {
            Some(i) if scope.resources[i].kind() == "Patient" => Some(Owner::Resource(i)),
            Some(_) => None,
            None => chart_patient(practice, to).map(Owner::Chart),
        },
        // With one patient in the file, what names nobody is theirs (a Claim's Organization
        // aside, which is shared).
        None if patients.len() == 1 => Some(Owner::Resource(patients[0])),
        None => None,
    }
}

/// References inside the import that point at nothing in it (nor at a chart patient).
/// Absolute URLs to other servers, contained resources and conditional references are
/// the sender's to resolve and are not checked.
fn reference_problems(practice: &Practice, scope: &Scope, r: &Resource, out: &mut Vec<Problem>) {
    fn walk(v: &Json, path: &mut String, f: &mut dyn FnMut(&str, &str)) {
        match v {
            Json::Object(m) => {
                for (k, c) in m {
                    let len = path.len();
                    if !path.is_empty() {
                        path.push('.');
                    }
                    path.push_str(k);
                    if k == "reference" {
                        if let Json::String(s) = c {
                            f(path, s);
                        }
                    } else if k != "contained" {
                        walk(c, path, f);
                    }
                    path.truncate(len);
                }
            }
            Json::Array(a) => {
                for (i, c) in a.iter().enumerate() {
                    let len = path.len();
                    path.push_str(&format!("[{i}]"));
                    walk(c, path, f);
                    path.truncate(len);
                }
            }
            _ => {}
        }
    }
    let mut path = String::new();
    walk(&r.json, &mut path, &mut |at, to| {
        let external = to.starts_with('#')
            || to.contains('?')
            || to.starts_with("http://")
            || to.starts_with("https://")
            || to.starts_with("urn:oid:");
        // A clinician or a place the sender did not include (`Practitioner/example` in the
        // eCQM test patients) names who or where, not what happened: the resource is kept
        // whole with it (its source row has the reference), and nothing clinical is lost.
        let who_or_where = [
            "Practitioner/",
            "PractitionerRole/",
            "Organization/",
            "Location/",
        ]
        .iter()
        .any(|k| to.starts_with(k));
        if !external
            && !who_or_where
            && scope.find(to).is_none()
            && chart_patient(practice, to).is_none()
        {
            out.push(r.problem(
                at,
                format!("the reference '{to}' points at nothing in the import; include that resource, or leave the reference out"),
            ));
        }
    });
}

/// Who the imported patient is here.
enum Target {
    /// The same record (same id, or imported from the same source before).
    Known(Uuid),
    /// Linked by a person's decision or the import's option.
    Linked(Uuid),
    New,
    Wait(Vec<Candidate>),
}

#[allow(clippy::too_many_arguments)]
fn import_patient(
    practice: &mut Practice,
    author: Uuid,
    scope: &mut Scope,
    g: &Group,
    all: &[usize],
    opts: &Options,
    report: &mut ImportReport,
    notes: &mut BTreeMap<String, usize>,
) {
    let resources = scope.resources;
    let patient_res = match g.owner {
        Owner::Resource(i) => Some(&resources[i]),
        Owner::Chart(_) => None,
    };
    let source = patient_res.map(Resource::source_key).unwrap_or_default();
    let mut patient_fields = patient_res.map(|p| map::patient(&p.json));
    let target = match (g.owner, patient_res) {
        (Owner::Chart(id), _) => Target::Known(id),
        (_, Some(p)) => match known_patient(practice, p, &source) {
            Some(id) => Target::Known(id),
            None => match opts.decisions.get(&source) {
                Some(Decision::Link(id)) => Target::Linked(*id),
                Some(Decision::New) => Target::New,
                None => {
                    let c = candidates(practice, p, patient_fields.as_deref().unwrap_or(&[]));
                    match (c.len(), opts.on_match) {
                        (0, _) | (_, OnMatch::New) => Target::New,
                        (1, OnMatch::Link) => Target::Linked(c[0].patient),
                        _ => Target::Wait(c),
                    }
                }
            },
        },
        (Owner::Resource(_), None) => unreachable!("a resource owner is a Patient"),
    };
    let file = all
        .first()
        .map(|&i| resources[i].file.to_string())
        .unwrap_or_default();
    let ctx = practice.chart_ctx();
    let (patient_id, new) = match target {
        Target::Wait(candidates) => {
            let fields = patient_fields.take().unwrap_or_default();
            let m: Map<String, Json> = fields
                .iter()
                .map(|(k, v)| (k.clone(), v.to_json()))
                .collect();
            let m = parsed(&m);
            report.waiting.push(Waiting {
                file,
                source,
                name: chart::patient::display_name(&m),
                birth_date: m
                    .get("birth_date")
                    .and_then(Json::as_str)
                    .map(str::to_string),
                resources: all.len(),
                candidates,
            });
            for &i in all {
                count(report, resources[i].kind()).refused += 1;
            }
            return;
        }
        Target::Known(id) | Target::Linked(id) => {
            if !exists(practice, &entities::PATIENT, &id) {
                report.problems.push(Problem {
                    file,
                    resource: source,
                    path: String::new(),
                    message: format!("the patient {id} chosen to link to is not in this practice"),
                });
                for &i in all {
                    count(report, resources[i].kind()).refused += 1;
                }
                return;
            }
            (id, false)
        }
        Target::New => {
            let p = patient_res.expect("a new patient comes from a Patient resource");
            let id = p
                .id()
                .and_then(|i| Uuid::parse_str(i).ok())
                .filter(|u| !exists(practice, &entities::PATIENT, u))
                .unwrap_or_else(|| ctx.new_id());
            (id, true)
        }
    };
    let patient_row: Map<String, Json> = if new {
        let mut m: Map<String, Json> = patient_fields
            .iter()
            .flatten()
            .map(|(k, v)| (k.clone(), v.to_json()))
            .collect();
        m.insert("id".into(), Json::from(patient_id.to_string()));
        m
    } else {
        match chart::load(practice.reader(), &entities::PATIENT, &patient_id) {
            Ok(m) => m,
            Err(e) => {
                report.problems.push(Problem {
                    file,
                    resource: source,
                    path: String::new(),
                    message: e.to_string(),
                });
                return;
            }
        }
    };
    let known = if new {
        HashMap::new()
    } else {
        known_sources(practice, &patient_id)
    };

    let mut changes: Vec<Change> = Vec::new();
    let mut sources = Map::new();
    let mut counts: BTreeMap<String, Counts> = BTreeMap::new();
    let mut records = 0usize;
    let mut problems = Vec::new();

    if new {
        let p = patient_res.expect("a new patient comes from a Patient resource");
        let mut fields = patient_fields.take().unwrap_or_default();
        if let Some(mrn) = p.json["identifier"]
            .as_array()
            .and_then(|ids| ids.iter().find(|i| i["system"] == super::MRN_SYSTEM))
            .and_then(|i| i["value"].as_str())
        {
            let taken: i64 = practice
                .reader()
                .query_row(
                    "SELECT count(*) FROM patient WHERE mrn = ?1 AND retracted = 0",
                    [mrn],
                    |r| r.get(0),
                )
                .unwrap_or(1);
            if taken == 0 {
                fields.push(("mrn".into(), Value::Text(mrn.to_string())));
            }
        }
        match chart::patient::create_as(&ctx, patient_id, fields) {
            Ok(c) => {
                sources.insert(source.clone(), Json::from(patient_id.to_string()));
                changes.push(c);
                counts.entry("Patient".into()).or_default().mapped += 1;
            }
            Err(e) => {
                problems.push(p.problem("", format!("the patient cannot be registered: {e}")))
            }
        }
    } else if let Some(p) = patient_res {
        counts.entry("Patient".into()).or_default().duplicate += 1;
        sources.insert(p.source_key(), Json::from(patient_id.to_string()));
    }

    // Chart ids: the source's own id when it is a UUID the chart does not use for another
    // patient's record, else one derived from the patient and the source key, so that the
    // same resource imported again gets the same id.
    let row_id = |i: usize, def: &EntityDef| -> (Uuid, bool) {
        let r = &resources[i];
        let key = r.source_key();
        if let Some(id) = known.get(&key) {
            return (*id, true);
        }
        let derived = Uuid::new_v5(&patient_id, key.as_bytes());
        let candidates = r
            .id()
            .and_then(|s| Uuid::parse_str(s).ok())
            .into_iter()
            .chain([derived]);
        for id in candidates {
            match owner_of(practice, def, &id) {
                None => return (id, false),
                Some(p) if p == patient_id.to_string() => return (id, true),
                Some(_) => continue,
            }
        }
        (Uuid::new_v5(&derived, b"again"), false)
    };

    let members: Vec<usize> = g.members.clone();
    scope.encounters.clear();
    scope.panels.clear();
    scope.rows.clear();
    for &i in &members {
        let r = &resources[i];
        if r.kind() == "Encounter" {
            let class = r.json["class"]["code"].as_str().unwrap_or_default();
            if !matches!(class, "IMP" | "ACUTE" | "NONAC") {
                let (id, _) = row_id(i, &entities::ENCOUNTER);
                scope.encounters.insert(i, id);
            }
        }
        if r.kind() == "DiagnosticReport" {
            let code = r.json["code"]["coding"]
                .as_array()
                .and_then(|c| c.iter().find(|c| c["system"] == super::LOINC))
                .and_then(|c| c["code"].as_str())
                .unwrap_or_default()
                .to_string();
            let panel = panel_id(r, &patient_id);
            for res in r.json["result"].as_array().into_iter().flatten() {
                if let Some(o) = res["reference"].as_str().and_then(|s| scope.find(s)) {
                    scope.panels.insert(o, (code.clone(), panel));
                }
            }
        }
    }

    let mut seen: HashSet<String> = HashSet::new();
    let mut verbatim_members: Vec<usize> = Vec::new();
    for &i in &members {
        let r = &resources[i];
        let kind = r.kind().to_string();
        let key = r.source_key();
        if !seen.insert(key.clone()) {
            counts.entry(kind).or_default().duplicate += 1;
            continue;
        }
        let mut mapped = map::resource(r, i, scope);
        // Try the records against the chart's checks; what fails is kept verbatim.
        let mut planned_changes = Vec::new();
        let mut duplicate = false;
        if let Mapped::Records(plans) = &mapped {
            let base_def = plans[0].def;
            let (base, dup) = match plans[0].record_id {
                Some(id) => match owner_of(practice, base_def, &id) {
                    None => (id, false),
                    Some(p) if p == patient_id.to_string() => (id, true),
                    Some(_) => row_id(i, base_def),
                },
                None => row_id(i, base_def),
            };
            scope.rows.insert(i, base);
            duplicate = dup;
            if !dup {
                let ctx = practice.chart_ctx();
                let mut failed = None;
                for plan in plans {
                    let id = if plan.part.is_empty() {
                        base
                    } else {
                        Uuid::new_v5(&base, plan.part.as_bytes())
                    };
                    match build(&ctx, author, plan, id, &patient_id, &patient_row) {
                        Ok(mut c) => planned_changes.append(&mut c),
                        Err(e) => {
                            failed = Some(e);
                            break;
                        }
                    }
                }
                if let Some(e) = failed {
                    *notes
                        .entry(format!("{kind} kept verbatim: {}", reason_class(&e)))
                        .or_default() += 1;
                    planned_changes.clear();
                    mapped = map::verbatim(&r.json);
                }
            }
        }
        let c = counts.entry(kind.clone()).or_default();
        match mapped {
            Mapped::Records(_) if duplicate => c.duplicate += 1,
            Mapped::Records(plans) => {
                c.mapped += 1;
                records += 1;
                let row = scope.rows[&i];
                sources.insert(key.clone(), Json::from(row.to_string()));
                changes.append(&mut planned_changes);
                let ctx = practice.chart_ctx();
                match source_change(
                    &ctx,
                    r,
                    &key,
                    Some((row, plans[0].def)),
                    &patient_id,
                    &patient_row,
                ) {
                    Ok(ch) => changes.push(ch),
                    Err(e) => problems.push(r.problem("", e.to_string())),
                }
            }
            Mapped::Names => c.mapped += 1,
            Mapped::Folded => {
                if known.contains_key(&key) {
                    c.duplicate += 1;
                } else {
                    c.mapped += 1;
                    let panel = panel_id(r, &patient_id);
                    sources.insert(key.clone(), Json::from(panel.to_string()));
                    let ctx = practice.chart_ctx();
                    match source_change(&ctx, r, &key, None, &patient_id, &patient_row) {
                        Ok(ch) => changes.push(ch),
                        Err(e) => problems.push(r.problem("", e.to_string())),
                    }
                }
            }
            Mapped::Skipped(why) => {
                c.skipped += 1;
                *notes.entry(format!("{kind} skipped: {why}")).or_default() += 1;
            }
            Mapped::Verbatim { date, summary } => {
                let (id, dup) = row_id(i, &entities::IMPORTED_RESOURCE);
                if dup {
                    c.duplicate += 1;
                    continue;
                }
                let ctx = practice.chart_ctx();
                match verbatim_change(&ctx, r, &key, id, date, summary, &patient_id, &patient_row) {
                    Ok(ch) => {
                        verbatim_members.push(i);
                        c.verbatim += 1;
                        records += 1;
                        sources.insert(key, Json::from(id.to_string()));
                        changes.push(ch);
                    }
                    Err(e) => problems.push(r.problem("", e.to_string())),
                }
            }
        }
    }
    // The people, places and medications that resources kept verbatim point at are kept
    // with them, so the references still resolve when they are exported again.
    let verbatim_refs: Vec<usize> = {
        let mut out = Vec::new();
        for &i in &verbatim_members {
            for to in references_in(&resources[i].json) {
                if let Some(i) = scope.find(&to) {
                    if read::shared(resources[i].kind()) && !out.contains(&i) {
                        out.push(i);
                    }
                }
            }
        }
        out
    };
    for i in verbatim_refs {
        let r = &resources[i];
        let key = r.source_key();
        if !seen.insert(key.clone()) {
            continue;
        }
        let (id, dup) = row_id(i, &entities::IMPORTED_RESOURCE);
        if dup {
            continue;
        }
        let Mapped::Verbatim { date, summary } = map::verbatim(&r.json) else {
            continue;
        };
        let ctx = practice.chart_ctx();
        match verbatim_change(&ctx, r, &key, id, date, summary, &patient_id, &patient_row) {
            Ok(ch) => {
                sources.insert(key, Json::from(id.to_string()));
                changes.push(ch);
            }
            Err(e) => problems.push(r.problem("", e.to_string())),
        }
    }
    let name = chart::patient::display_name(&parsed(&patient_row));
    let refuse_all = |report: &mut ImportReport, problems: &mut Vec<Problem>| {
        for &i in all {
            count(report, resources[i].kind()).refused += 1;
        }
        report.problems.append(problems);
    };
    if !problems.is_empty() {
        refuse_all(report, &mut problems);
        return;
    }
    if changes.is_empty() {
        report.unchanged += 1;
        merge(report, counts);
        return;
    }
    let ctx = practice.chart_ctx();
    let batch = chart::add_for(
        &ctx,
        &entities::IMPORT_BATCH,
        ctx.new_id(),
        &patient_id,
        &patient_row,
        vec![
            ("file".into(), Value::Text(file_name(&file))),
            (
                "format".into(),
                // A C-CDA document's resources carry their place in its XML.
                Value::from(
                    if all
                        .first()
                        .is_some_and(|&i| resources[i].path.starts_with("/ClinicalDocument"))
                    {
                        "ccda"
                    } else {
                        "fhir"
                    },
                ),
            ),
            ("patient_source".into(), Value::Text(source.clone())),
            (
                "sources".into(),
                Value::Text(Json::Object(sources).to_string()),
            ),
            (
                "counts".into(),
                Value::Text(serde_json::to_string(&counts).unwrap_or_default()),
            ),
        ],
    );
    match batch {
        Ok(b) => changes.push(b),
        Err(e) => {
            problems.push(Problem {
                file,
                resource: source,
                path: String::new(),
                message: e.to_string(),
            });
            refuse_all(report, &mut problems);
            return;
        }
    }
    match practice.commit(author, changes) {
        Ok(_) => {
            merge(report, counts);
            report.patients.push(ImportedPatient {
                patient: patient_id,
                name,
                new,
                records,
            });
        }
        Err(e) => {
            problems.push(Problem {
                file,
                resource: source,
                path: String::new(),
                message: format!("nothing of this patient was written: {e}"),
            });
            refuse_all(report, &mut problems);
        }
    }
}

/// The chart panel id a DiagnosticReport's results share: the report's own id when it is a
/// UUID (as Chartkeep exports it), else one derived from the patient and the source.
fn panel_id(r: &Resource, patient: &Uuid) -> Uuid {
    r.id()
        .and_then(|i| Uuid::parse_str(i).ok())
        .unwrap_or_else(|| Uuid::new_v5(patient, r.source_key().as_bytes()))
}

/// Every `"reference": "…"` value in a resource.
fn references_in(v: &Json) -> Vec<String> {
    let mut out = Vec::new();
    fn walk(v: &Json, out: &mut Vec<String>) {
        match v {
            Json::Object(m) => {
                for (k, c) in m {
                    match (k.as_str(), c) {
                        ("reference", Json::String(s)) => out.push(s.clone()),
                        _ => walk(c, out),
                    }
                }
            }
            Json::Array(a) => a.iter().for_each(|c| walk(c, out)),
            _ => {}
        }
    }
    walk(v, &mut out);
    out
}

fn merge(report: &mut ImportReport, counts: BTreeMap<String, Counts>) {
    for (k, c) in counts {
        let t = count(report, &k);
        t.mapped += c.mapped;
        t.verbatim += c.verbatim;
        t.duplicate += c.duplicate;
        t.refused += c.refused;
        t.skipped += c.skipped;
    }
}

/// The kind of reason a record could not be mapped, without its values (which may be
/// patient data and are many): "code: … is not a LOINC code" → "code".
fn reason_class(e: &ChartError) -> String {
    match e {
        ChartError::Invalid { field, message } | ChartError::InvalidCode { field, message } => {
            let general = message
                .rsplit_once("' ")
                .map(|(_, rest)| rest.to_string())
                .unwrap_or_else(|| message.clone());
            format!("{field} {general}")
        }
        e => e.code().to_string(),
    }
}

fn file_name(path: &str) -> String {
    Path::new(path)
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.to_string())
}

/// JSON fields of a row built from changes hold JSON text; as values for display.
fn parsed(m: &Map<String, Json>) -> Map<String, Json> {
    m.iter()
        .map(|(k, v)| match (k.as_str(), v) {
            ("given" | "identifiers" | "phones" | "address", Json::String(s)) => (
                k.clone(),
                serde_json::from_str(s).unwrap_or_else(|_| v.clone()),
            ),
            _ => (k.clone(), v.clone()),
        })
        .collect()
}

/// The change that keeps the resource a mapped record was made from (`import_source`),
/// with the record (and its kind) it became.
fn source_change(
    ctx: &chart::Ctx,
    r: &Resource,
    key: &str,
    record: Option<(Uuid, &EntityDef)>,
    patient_id: &Uuid,
    patient: &Map<String, Json>,
) -> Result<Change, ChartError> {
    let fields = vec![
        (
            "record".to_string(),
            record.map_or(Value::Null, |(id, _)| Value::Text(id.to_string())),
        ),
        (
            "kind".to_string(),
            record.map_or(Value::Null, |(_, def)| Value::Text(def.name.to_string())),
        ),
        (
            "resource_type".to_string(),
            Value::Text(r.kind().to_string()),
        ),
        ("resource".to_string(), Value::Text(r.json.to_string())),
    ];
    chart::add_for(
        ctx,
        &source::IMPORT_SOURCE,
        source::id_for(patient_id, key),
        patient_id,
        patient,
        fields,
    )
}

/// The change that keeps a resource verbatim (`imported_resource`) for the patient.
#[allow(clippy::too_many_arguments)]
fn verbatim_change(
    ctx: &chart::Ctx,
    r: &Resource,
    key: &str,
    id: Uuid,
    date: Option<String>,
    summary: String,
    patient_id: &Uuid,
    patient: &Map<String, Json>,
) -> Result<Change, ChartError> {
    let fields = vec![
        (
            "resource_type".to_string(),
            Value::Text(r.kind().to_string()),
        ),
        ("source".to_string(), Value::Text(key.to_string())),
        ("date".to_string(), date.map_or(Value::Null, Value::Text)),
        ("summary".to_string(), Value::Text(summary)),
        ("resource".to_string(), Value::Text(r.json.to_string())),
    ];
    chart::add_for(
        ctx,
        &entities::IMPORTED_RESOURCE,
        id,
        patient_id,
        patient,
        fields,
    )
}

/// The changes one planned record becomes: its creation, checked as a form would be, and
/// its retraction or signature when the source says so.
fn build(
    ctx: &chart::Ctx,
    author: Uuid,
    plan: &map::Planned,
    id: Uuid,
    patient_id: &Uuid,
    patient: &Map<String, Json>,
) -> Result<Vec<Change>, ChartError> {
    let create = chart::add_for(ctx, plan.def, id, patient_id, patient, plan.fields.clone())?;
    let mut last = create.id;
    let mut out = vec![create];
    if let Some(at) = &plan.sign_at {
        let sign = chart::notes::sign_imported(ctx, &out[0], &author, at);
        last = sign.id;
        out.push(sign);
    }
    if let Some(reason) = &plan.retract {
        out.push(Change::new(
            ctx.new_id(),
            plan.def.name,
            id,
            Op::Retract,
            vec![
                ("retracted".into(), Value::Bool(true)),
                ("retract_reason".into(), Value::Text(reason.clone())),
            ],
            vec![last],
        ));
    }
    Ok(out)
}
