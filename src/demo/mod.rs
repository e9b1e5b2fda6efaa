//! Deterministic synthetic practices for demos and benchmarks.
//!
//! [`populate`] fills a practice with realistic invented patients: names from many
//! traditions, birth dates from newborn to 95, insurance, chronic problems coded in
//! ICD-10-CM with the medicines that treat them, allergies, vaccines by age (CVX), family
//! and social history, past surgery and hospital stays, and years of visits, each with a
//! vitals panel, labs where due (LOINC, with reference ranges and flags) and a signed SOAP
//! note. Values drift the way they do in real charts: weight wanders, blood pressure runs
//! higher in hypertensives, HbA1c settles around each diabetic's own target.
//!
//! The same seed and the same reference day give the same patients: content comes from
//! `ChaCha20Rng::seed_from_u64(seed)` (one stream per patient), the reference day from the
//! practice's clock (or [`populate_on`]), never from the wall clock. Ids and commit times
//! come from the practice's id source and clock like any other write.
//!
//! Everything goes through the ledger ([`Practice::commit`]), as changes the chart API
//! would accept (`tests/demo.rs` re-submits them through it), authored by the demo
//! clinician `drlee`. The API's validation is not called per record: it costs more than
//! the write itself at this volume.

pub mod clinical;
pub mod names;
mod patient;
mod rng;

use chrono::NaiveDate;
use rusqlite::OptionalExtension;
use uuid::Uuid;

use crate::access;
use crate::ledger::Change;
use crate::practice::{Practice, PracticeError};
use patient::{Generated, Ids, Profile};
use rng::Rng;

/// Password of every demo staff account. **Demo practices only**: anyone who reads this
/// source knows it, so never create these accounts in a practice holding real patients.
pub const DEMO_PASSWORD: &str = "chartkeep-demo";

/// The demo's staff: user name, display name, role. `drlee` authors the demo's charts.
pub const STAFF: &[(&str, &str, &str)] = &[
    ("drlee", "Dr. Lee", "clinician"),
    ("nurse.kim", "Kim, RN", "nurse"),
    ("frontdesk", "Front desk", "front_desk"),
    ("billing", "Billing office", "billing"),
];

/// Changes per commit when patients are written together (a commit holds whole
/// patients: registration and visits). The ledger's cost per commit (a transaction, a
/// signature, a WAL write and fsync) is then paid once per ~6 patients: with a commit per
/// visit the demo made about 90 patients/s, batched about 300 (release build, 2 cores).
/// The showcase patient keeps one commit per visit.
const BATCH_CHANGES: usize = 600;

/// What a demo run wrote.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Report {
    pub patients: usize,
    pub commits: u64,
    pub changes: u64,
    pub encounters: u64,
    pub observations: u64,
    pub notes: u64,
    /// A patient with several chronic problems and years of visits, to open first.
    pub showcase: Uuid,
}

/// Adds `patients` synthetic patients, as of the practice clock's current day, and the
/// demo staff accounts if missing. `progress` is called with each patient's number once
/// that patient is committed. Running it again adds more patients (with new MRNs; the same
/// seed gives the same people again).
pub fn populate(
    practice: &mut Practice,
    patients: usize,
    seed: u64,
    progress: &mut dyn FnMut(usize),
) -> Result<Report, PracticeError> {
    let today = practice.clock.now().date_naive();
    populate_on(practice, patients, seed, today, progress)
}

/// [`populate`] with the reference day given: every date is before `today`, and the same
/// seed and day give the same patients.
pub fn populate_on(
    practice: &mut Practice,
    patients: usize,
    seed: u64,
    today: NaiveDate,
    progress: &mut dyn FnMut(usize),
) -> Result<Report, PracticeError> {
    write_patients(practice, patients, seed, today, progress)
}

fn write_patients(
    practice: &mut Practice,
    patients: usize,
    seed: u64,
    today: NaiveDate,
    progress: &mut dyn FnMut(usize),
) -> Result<Report, PracticeError> {
    let author = ensure_staff(practice)?;
    let first_mrn = next_mrn(practice)?;
    let ids_source = practice.ids.clone();
    let clock = practice.clock.clone();
    let mut report = Report {
        patients: 0,
        commits: 0,
        changes: 0,
        encounters: 0,
        observations: 0,
        notes: 0,
        showcase: Uuid::nil(),
    };
    // Patients are made on a second thread while this one writes: the writer is the
    // bottleneck, and making the next patients costs it nothing. Only the generator draws
    // ids, in patient order, so the result does not depend on the threads' timing.
    std::thread::scope(|scope| {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Generated>(64);
        scope.spawn(move || {
            let ids = Ids {
                ids: ids_source.as_ref(),
                clock: clock.as_ref(),
                author,
            };
            for i in 0..patients {
                let mut rng = Rng::new(seed, i as u64 + 1);
                let mrn = format!("{:07}", first_mrn + i as u64);
                let profile = if i == 0 {
                    Profile::Rich
                } else {
                    Profile::Typical
                };
                let g = patient::generate(&mut rng, today, &ids, &mrn, profile);
                if tx.send(g).is_err() {
                    // The writer stopped on an error.
                    return;
                }
            }
        });
        let mut batch: Vec<Change> = Vec::with_capacity(BATCH_CHANGES * 2);
        let mut waiting = 0usize;
        for (i, g) in rx.into_iter().enumerate() {
            count(&mut report, &g);
            if i == 0 {
                // The showcase patient is written as a clinic would: the registration,
                // then one commit per visit.
                report.showcase = g.patient;
                write_per_visit(practice, author, g, &mut report)?;
                report.patients += 1;
                progress(report.patients);
                continue;
            }
            batch.extend(g.registration);
            for v in g.visits {
                batch.extend(v);
            }
            waiting += 1;
            if batch.len() >= BATCH_CHANGES {
                flush(practice, author, &mut batch, &mut report)?;
                for _ in 0..waiting {
                    report.patients += 1;
                    progress(report.patients);
                }
                waiting = 0;
            }
        }
        flush(practice, author, &mut batch, &mut report)?;
        for _ in 0..waiting {
            report.patients += 1;
            progress(report.patients);
        }
        Ok(report)
    })
}

/// One patient with a heavy chart: about 30 visits a year for `years` years (300 visits
/// and some 5,000 observations for ten years), each visit its own commit. For the "open a
/// 10-year chart" benchmark. Returns the patient's id.
pub fn showcase_chart(
    practice: &mut Practice,
    years: u32,
    seed: u64,
) -> Result<Uuid, PracticeError> {
    let author = ensure_staff(practice)?;
    let today = practice.clock.now().date_naive();
    let mrn = format!("{:07}", next_mrn(practice)?);
    let ids_source = practice.ids.clone();
    let clock = practice.clock.clone();
    let ids = Ids {
        ids: ids_source.as_ref(),
        clock: clock.as_ref(),
        author,
    };
    let mut rng = Rng::new(seed, 0);
    let g = patient::generate(
        &mut rng,
        today,
        &ids,
        &mrn,
        Profile::Heavy {
            years: years.max(1),
        },
    );
    let id = g.patient;
    let mut report = Report {
        patients: 1,
        commits: 0,
        changes: 0,
        encounters: 0,
        observations: 0,
        notes: 0,
        showcase: id,
    };
    write_per_visit(practice, author, g, &mut report)?;
    Ok(id)
}

fn count(report: &mut Report, g: &Generated) {
    report.encounters += g.encounters;
    report.observations += g.observations;
    report.notes += g.notes;
}

fn write_per_visit(
    practice: &mut Practice,
    author: Uuid,
    g: Generated,
    report: &mut Report,
) -> Result<(), PracticeError> {
    let mut registration = g.registration;
    flush(practice, author, &mut registration, report)?;
    for mut v in g.visits {
        flush(practice, author, &mut v, report)?;
    }
    Ok(())
}

fn flush(
    practice: &mut Practice,
    author: Uuid,
    changes: &mut Vec<Change>,
    report: &mut Report,
) -> Result<(), PracticeError> {
    if changes.is_empty() {
        return Ok(());
    }
    let n = changes.len() as u64;
    practice.commit(author, std::mem::take(changes))?;
    report.commits += 1;
    report.changes += n;
    Ok(())
}

/// Creates the demo staff accounts that do not exist yet (one commit, by the practice's
/// first administrator) and returns `drlee`'s id.
pub fn ensure_staff(practice: &mut Practice) -> Result<Uuid, PracticeError> {
    let find = |practice: &Practice, name: &str| -> Result<Option<Uuid>, PracticeError> {
        let id: Option<String> = practice
            .reader()
            .query_row(
                "SELECT id FROM app_user WHERE name = ?1 AND retracted = 0",
                [name],
                |r| r.get(0),
            )
            .optional()?;
        Ok(id.and_then(|s| Uuid::parse_str(&s).ok()))
    };
    let mut changes = Vec::new();
    let mut drlee = find(practice, STAFF[0].0)?;
    for (name, display, role) in STAFF {
        if find(practice, name)?.is_some() {
            continue;
        }
        let (id, change) = access::users::create(
            practice.reader(),
            practice.ids.as_ref(),
            practice.clock.as_ref(),
            name,
            Some(display),
            role,
            DEMO_PASSWORD,
        )?;
        if *name == STAFF[0].0 {
            drlee = Some(id);
        }
        changes.push(change);
    }
    let drlee = drlee.ok_or_else(|| crate::ledger::LedgerError::NotFound("user drlee".into()))?;
    if !changes.is_empty() {
        let admin: Option<String> = practice
            .reader()
            .query_row(
                "SELECT id FROM app_user WHERE role = 'administrator' AND retracted = 0 ORDER BY created_at, id LIMIT 1",
                [],
                |r| r.get(0),
            )
            .optional()?;
        let author = admin
            .and_then(|s| Uuid::parse_str(&s).ok())
            .unwrap_or(drlee);
        practice.commit(author, changes)?;
    }
    Ok(drlee)
}

/// The first free number of a run of sequential MRNs after every patient already there.
fn next_mrn(practice: &Practice) -> Result<u64, PracticeError> {
    let (max, count): (Option<i64>, i64) = practice.reader().query_row(
        "SELECT max(CASE WHEN mrn NOT GLOB '*[^0-9]*' AND mrn <> '' THEN CAST(mrn AS INTEGER) END), count(*) FROM patient",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    Ok(max.unwrap_or(0).max(count) as u64 + 1)
}
