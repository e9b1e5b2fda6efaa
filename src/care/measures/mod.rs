//! Electronic clinical quality measures, computed on the workstation from the chart: the
//! five of the 2025 performance period (CMS122, CMS165, CMS125, CMS130, CMS138), for any
//! measurement period, per patient and for the practice, with the patients and the events
//! behind every count.
//!
//! Each measure is implemented natively, one file each, from its published CQL (the
//! `define`s are cited by name in the code), rather than by interpreting the measures'
//! ELM. Five measures are a fixed set: native code is plain to test against the official
//! test patients, a hundred times faster than walking an expression tree for every
//! patient, and says in each criterion why a patient is where they are. The trade-off:
//! a new measure, or next year's version of these, is code and a release, where an ELM
//! interpreter would let a practice add measures as data. The value sets are data, which
//! the practice imports from its own VSAC export (`value_sets`), because they carry AMA
//! CPT codes that cannot ship.
//!
//! The measures read a typed input (`input`) loaded from the chart in one pass, and never
//! a clock: the period is a parameter.

pub mod cms122;
pub mod cms125;
pub mod cms130;
pub mod cms138;
pub mod cms165;
pub mod criteria;
pub mod input;
pub mod period;
pub mod value_sets;

use std::collections::BTreeSet;

use chrono::NaiveDate;
use rusqlite::Connection;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use self::criteria::Eval;
use self::input::{PatientInput, Which};
use self::period::Period;
use self::value_sets::ValueSets;

/// The value sets of qualifying visits (OIDs), whose codes the visit form offers:
/// office, annual wellness, preventive (adult and child, initial and established),
/// home, telephone, virtual, preventive counselling.
pub const VISIT_VALUE_SETS: &[&str] = &[
    criteria::vs::OFFICE_VISIT,
    criteria::vs::ANNUAL_WELLNESS,
    criteria::vs::PREVENTIVE_ESTABLISHED_18,
    criteria::vs::PREVENTIVE_INITIAL_18,
    "2.16.840.1.113883.3.464.1003.101.12.1024",
    "2.16.840.1.113883.3.464.1003.101.12.1022",
    criteria::vs::HOME_HEALTHCARE,
    criteria::vs::TELEPHONE_VISITS,
    criteria::vs::VIRTUAL_ENCOUNTER,
    "2.16.840.1.113883.3.464.1003.101.12.1026",
    "2.16.840.1.113883.3.464.1003.101.12.1027",
];

/// What can go wrong computing a measure.
#[derive(Debug, thiserror::Error)]
pub enum MeasureError {
    #[error("measure: no measure {0}; the measures are CMS122, CMS165, CMS125, CMS130 and CMS138")]
    UnknownMeasure(String),
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    #[error(
        "{measure} needs value sets that are not imported ({missing}); import the practice's VSAC export with `chartkeep import valuesets DIR`"
    )]
    ValueSetsMissing { measure: String, missing: String },
    #[error("{0}")]
    Io(String),
    #[error("storage error: {0}")]
    Storage(#[from] rusqlite::Error),
    #[error(transparent)]
    Ledger(#[from] crate::ledger::LedgerError),
}

impl MeasureError {
    pub fn code(&self) -> &'static str {
        match self {
            MeasureError::UnknownMeasure(_) => "invalid_input",
            MeasureError::Invalid { .. } => "invalid_input",
            MeasureError::ValueSetsMissing { .. } => "value_sets_missing",
            MeasureError::Io(_) => "io_error",
            MeasureError::Storage(_) => "storage_error",
            MeasureError::Ledger(e) => e.code(),
        }
    }
}

/// The five measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub enum Measure {
    CMS122,
    CMS165,
    CMS125,
    CMS130,
    CMS138,
}

impl Measure {
    pub const ALL: [Measure; 5] = [
        Measure::CMS122,
        Measure::CMS165,
        Measure::CMS125,
        Measure::CMS130,
        Measure::CMS138,
    ];

    /// By its CMS id, in any case (`cms122`, `CMS122`).
    pub fn parse(s: &str) -> Result<Measure, MeasureError> {
        Measure::ALL
            .into_iter()
            .find(|m| m.id().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| MeasureError::UnknownMeasure(s.to_string()))
    }

    pub fn id(self) -> &'static str {
        match self {
            Measure::CMS122 => "CMS122",
            Measure::CMS165 => "CMS165",
            Measure::CMS125 => "CMS125",
            Measure::CMS130 => "CMS130",
            Measure::CMS138 => "CMS138",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Measure::CMS122 => "Diabetes: Glycemic Status Assessment Greater Than 9%",
            Measure::CMS165 => "Controlling High Blood Pressure",
            Measure::CMS125 => "Breast Cancer Screening",
            Measure::CMS130 => "Colorectal Cancer Screening",
            Measure::CMS138 => {
                "Preventive Care and Screening: Tobacco Use: Screening and Cessation Intervention"
            }
        }
    }

    /// The eCQM (FHIR) version implemented, of the 2025 performance period.
    pub fn version(self) -> &'static str {
        match self {
            Measure::CMS122 => "0.1.002",
            Measure::CMS165 => "0.1.000",
            Measure::CMS125 => "0.0.001",
            Measure::CMS130 => "0.1.000",
            Measure::CMS138 => "0.0.001",
        }
    }

    pub fn description(self) -> &'static str {
        match self {
            Measure::CMS122 => "Patients 18–75 with diabetes whose most recent HbA1c or GMI in the period was above 9%, had no result, or was not done (lower is better).",
            Measure::CMS165 => "Patients 18–85 with essential hypertension whose most recent blood pressure in the period was below 140/90 mmHg.",
            Measure::CMS125 => "Women 52–74 with a mammogram from October 1 two years before the period to its end.",
            Measure::CMS130 => "Adults 46–75 with an appropriate colorectal cancer screening within its look-back.",
            Measure::CMS138 => "Patients 12 and older screened for tobacco use in the period (group 1), tobacco users given a cessation intervention (group 2), and both (group 3).",
        }
    }

    /// Whether a higher rate is better care (CMS122 counts poor control).
    pub fn higher_is_better(self) -> bool {
        self != Measure::CMS122
    }

    /// The value sets (by OID) the measure's criteria name, the shared ones included.
    pub fn value_sets(self) -> Vec<&'static str> {
        let own: &[&str] = match self {
            Measure::CMS122 => cms122::VALUE_SETS,
            Measure::CMS165 => cms165::VALUE_SETS,
            Measure::CMS125 => cms125::VALUE_SETS,
            Measure::CMS130 => cms130::VALUE_SETS,
            Measure::CMS138 => cms138::VALUE_SETS,
        };
        let shared: &[&str] = if self == Measure::CMS138 {
            &[
                criteria::vs::ANNUAL_WELLNESS,
                criteria::vs::HOME_HEALTHCARE,
                criteria::vs::OFFICE_VISIT,
                criteria::vs::PREVENTIVE_ESTABLISHED_18,
                criteria::vs::PREVENTIVE_INITIAL_18,
                criteria::vs::TELEPHONE_VISITS,
                criteria::vs::VIRTUAL_ENCOUNTER,
                criteria::vs::ENCOUNTER_INPATIENT,
                criteria::vs::HOSPICE_CARE_AMBULATORY,
                criteria::vs::HOSPICE_ENCOUNTER,
                criteria::vs::HOSPICE_DIAGNOSIS,
            ]
        } else {
            criteria::vs::SHARED
        };
        let mut all: Vec<&str> = own.iter().chain(shared).copied().collect();
        all.sort();
        all.dedup();
        all
    }

    /// Population groups: three for CMS138, one for the others.
    pub fn groups(self) -> usize {
        if self == Measure::CMS138 {
            3
        } else {
            1
        }
    }

    /// One patient's outcome, one per group.
    pub fn evaluate(self, p: &PatientInput, vs: &ValueSets, mp: Period) -> Vec<Outcome> {
        let e = Eval { p, vs, mp };
        match self {
            Measure::CMS122 => cms122::evaluate(&e),
            Measure::CMS165 => cms165::evaluate(&e),
            Measure::CMS125 => cms125::evaluate(&e),
            Measure::CMS130 => cms130::evaluate(&e),
            Measure::CMS138 => cms138::evaluate(&e),
        }
    }
}

/// Where one patient stands in one population group: for each population they are in,
/// the event (or events) that put them there. The numerator and exclusion are only filled
/// for a patient in the denominator; these five measures define no denominator exceptions,
/// so that one stays empty.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Outcome {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub initial_population: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub denominator: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub denominator_exclusion: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub denominator_exception: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub numerator: Option<String>,
}

/// A patient as a population lists them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Member {
    pub id: Uuid,
    pub mrn: String,
    pub name: String,
    /// Why they are in this population: the event that met the criterion.
    pub because: String,
}

/// One population's count and members.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Population {
    pub count: usize,
    pub patients: Vec<Member>,
}

/// One population group's results for the practice (or one patient).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Group {
    /// 1-based; CMS138 has three.
    pub group: usize,
    pub initial_population: Population,
    pub denominator: Population,
    pub denominator_exclusion: Population,
    pub denominator_exception: Population,
    pub numerator: Population,
    /// numerator / (denominator − exclusions − exceptions), when that is not zero.
    pub performance_rate: Option<f64>,
    /// In the denominator, not excluded, not in the numerator: the gaps to close (for
    /// CMS122, where the numerator is poor control, the patients in control).
    pub gaps: Vec<Member>,
}

/// A measure evaluated for a period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Evaluation {
    pub measure: Measure,
    pub title: String,
    pub version: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub higher_is_better: bool,
    pub patients_evaluated: usize,
    pub groups: Vec<Group>,
}

/// Checks a period: from on or before to.
pub fn period(from: NaiveDate, to: NaiveDate) -> Result<Period, MeasureError> {
    if from > to {
        return Err(MeasureError::Invalid {
            field: "to".into(),
            message: format!("the period ends ({to}) before it starts ({from})"),
        });
    }
    Ok(Period { from, to })
}

/// The value sets a measure needs that `vs` lacks.
pub fn missing(measure: Measure, vs: &ValueSets) -> Vec<&'static str> {
    measure
        .value_sets()
        .into_iter()
        .filter(|o| !vs.has(o))
        .collect()
}

/// A measure over patients already loaded, with the value sets given.
pub fn evaluate_inputs(
    measure: Measure,
    patients: &[PatientInput],
    vs: &ValueSets,
    mp: Period,
) -> Evaluation {
    let mut groups: Vec<Group> = (1..=measure.groups())
        .map(|g| Group {
            group: g,
            ..Default::default()
        })
        .collect();
    for p in patients {
        let outcomes = measure.evaluate(p, vs, mp);
        for (g, o) in groups.iter_mut().zip(outcomes) {
            let member = |because: &String| Member {
                id: p.id,
                mrn: p.mrn.clone(),
                name: p.name.clone(),
                because: because.clone(),
            };
            let put = |pop: &mut Population, why: &Option<String>| {
                if let Some(w) = why {
                    pop.count += 1;
                    pop.patients.push(member(w));
                }
            };
            put(&mut g.initial_population, &o.initial_population);
            put(&mut g.denominator, &o.denominator);
            put(&mut g.denominator_exclusion, &o.denominator_exclusion);
            put(&mut g.denominator_exception, &o.denominator_exception);
            put(&mut g.numerator, &o.numerator);
            if let Some(d) = &o.denominator {
                if o.denominator_exclusion.is_none()
                    && o.denominator_exception.is_none()
                    && o.numerator.is_none()
                {
                    g.gaps.push(member(d));
                }
            }
        }
    }
    for g in &mut groups {
        let eligible = g.denominator.count
            - g.denominator_exclusion.count.min(g.denominator.count)
            - g.denominator_exception.count;
        g.performance_rate = (eligible > 0).then(|| g.numerator.count as f64 / eligible as f64);
    }
    Evaluation {
        measure,
        title: measure.title().to_string(),
        version: measure.version().to_string(),
        from: mp.from,
        to: mp.to,
        higher_is_better: measure.higher_is_better(),
        patients_evaluated: patients.len(),
        groups,
    }
}

/// The LOINC codes whose results the measures can test: those of their value sets and
/// those they name directly. A practice-wide load reads no other result.
pub fn result_codes(list: &[Measure], vs: &ValueSets) -> BTreeSet<String> {
    let mut out: BTreeSet<String> = input::DIRECT_RESULT_CODES
        .iter()
        .map(|c| c.to_string())
        .collect();
    for m in list {
        for oid in m.value_sets() {
            out.extend(vs.codes_in(oid, input::LOINC).map(String::from));
        }
    }
    out
}

/// A measure for the practice (or one patient), from the chart.
pub fn evaluate(
    conn: &Connection,
    measure: Measure,
    mp: Period,
    patient: Option<Uuid>,
) -> Result<Evaluation, MeasureError> {
    let vs = ValueSets::load(conn)?;
    let lacking = missing(measure, &vs);
    if !lacking.is_empty() {
        return Err(MeasureError::ValueSetsMissing {
            measure: measure.id().to_string(),
            missing: lacking.join(", "),
        });
    }
    let which = patient.map_or(Which::All, Which::One);
    let codes = patient.is_none().then(|| result_codes(&[measure], &vs));
    let patients = input::load(conn, which, codes.as_ref())?;
    Ok(evaluate_inputs(measure, &patients, &vs, mp))
}

/// Several measures over one load of the chart: what a practice-wide report of all five
/// needs, since reading the chart costs more than evaluating it.
pub fn evaluate_many(
    conn: &Connection,
    list: &[Measure],
    mp: Period,
    patient: Option<Uuid>,
) -> Result<Vec<Evaluation>, MeasureError> {
    let vs = ValueSets::load(conn)?;
    for m in list {
        let lacking = missing(*m, &vs);
        if !lacking.is_empty() {
            return Err(MeasureError::ValueSetsMissing {
                measure: m.id().to_string(),
                missing: lacking.join(", "),
            });
        }
    }
    let codes = patient.is_none().then(|| result_codes(list, &vs));
    let patients = input::load(conn, patient.map_or(Which::All, Which::One), codes.as_ref())?;
    Ok(list
        .iter()
        .map(|m| evaluate_inputs(*m, &patients, &vs, mp))
        .collect())
}
