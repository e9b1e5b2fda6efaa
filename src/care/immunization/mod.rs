//! Immunization evaluation and forecasting after CDC's Clinical Decision
//! Support for Immunization (CDSi): *Logic Specification for ACIP
//! Recommendations* v4.6 and CDC's supporting data 4.64 (shipped in
//! `assets/cdsi/`, see `assets/README.md`).
//!
//! ```
//! use chartkeep::care::immunization::{evaluate, Dose, Patient, Sex};
//! use chrono::NaiveDate;
//! let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
//! let patient = Patient { birth_date: day(2025, 1, 1), sex: Sex::Female, observations: vec![] };
//! let doses = [Dose { date: day(2025, 3, 1), cvx: "107".into(), mvx: None }];
//! let report = evaluate(&patient, &doses, day(2025, 4, 1)).unwrap();
//! let dtap = report.vaccine_group("DTaP/Tdap/Td").unwrap();
//! assert_eq!(dtap.forecast_dose_number, Some(2));
//! ```
//!
//! The steps are the specification's processing model (chapter 4):
//! [`history`] breaks doses into antigens (4.2), [`series`] picks the
//! relevant series (chapter 5), [`evaluate`](mod@evaluate) checks each dose
//! against each series (chapter 6, with [`skip`] for conditional skips),
//! [`forecast`] finds the next dose (chapter 7), [`series`] again selects the
//! best series (chapter 8), and [`vaccine_group`] merges antigens into
//! vaccine groups (chapter 9). Nothing reads a clock: the assessment date is
//! an input.

pub mod data;
pub mod duration;
mod evaluate;
mod forecast;
mod history;
pub mod report;
mod series;
mod skip;
mod vaccine_group;

pub use report::{
    AntigenEvaluation, AntigenSeriesReport, DoseReport, EvaluationReason, EvaluationStatus,
    ForecastKind, GroupDoseEvaluation, Report, SeriesStatus, VaccineGroupReport,
};

use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The patient facts CDSi uses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Patient {
    pub birth_date: NaiveDate,
    pub sex: Sex,
    /// Active CDSi observation codes ("007" pregnant), see [`observations`].
    pub observations: Vec<String>,
}

/// The gender CDSi series may require (table 5-2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    Male,
    Female,
    Unknown,
}

impl Sex {
    /// The spelling of the supporting data's `requiredGender`.
    fn cdsi_name(self) -> &'static str {
        match self {
            Sex::Male => "Male",
            Sex::Female => "Female",
            Sex::Unknown => "Unknown",
        }
    }
}

/// One dose given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Dose {
    pub date: NaiveDate,
    /// CDC CVX code; leading zeros do not matter ("03" = "3").
    pub cvx: String,
    /// CDC MVX manufacturer code, when known; some preferable vaccines name
    /// a product (section 6.8).
    pub mvx: Option<String>,
}

/// What can go wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CdsiError {
    /// A shipped supporting-data file does not read; the build is broken.
    #[error("CDSi supporting data assets/cdsi/{file}: {what}. Reinstall Chartkeep; this build's immunization data is damaged.")]
    SupportingData { file: String, what: String },
    #[error(
        "The assessment date {assessment} is before the birth date {birth}. Check both dates."
    )]
    AssessmentBeforeBirth {
        birth: NaiveDate,
        assessment: NaiveDate,
    },
    #[error("Dose {index} is dated {date}, before the birth date {birth}. Correct the dose date.")]
    DoseBeforeBirth {
        index: usize,
        date: NaiveDate,
        birth: NaiveDate,
    },
}

impl CdsiError {
    /// A stable code the UI can branch on.
    pub fn code(&self) -> &'static str {
        match self {
            CdsiError::SupportingData { .. } => "cdsi_supporting_data",
            CdsiError::AssessmentBeforeBirth { .. } => "cdsi_assessment_before_birth",
            CdsiError::DoseBeforeBirth { .. } => "cdsi_dose_before_birth",
        }
    }
}

/// A CDSi observation code and what it means, for recording conditions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct ObservationCode {
    pub code: String,
    pub title: String,
    /// Why it may call for vaccination, if it does.
    pub indication_text: String,
    /// Why it may rule vaccination out, if it does.
    pub contraindication_text: String,
}

/// Every observation code of the schedule data, in CDC's order.
pub fn observations() -> Result<Vec<ObservationCode>, CdsiError> {
    Ok(data::supporting_data()?
        .schedule
        .observations
        .iter()
        .map(|o| ObservationCode {
            code: o.code.clone(),
            title: o.title.clone(),
            indication_text: o.indication_text.clone(),
            contraindication_text: o.contraindication_text.clone(),
        })
        .collect())
}

/// Evaluates `doses` and forecasts every vaccine group as of `assessment`.
///
/// Doses dated after `assessment` are listed but not evaluated: the answer is
/// what was known on that day.
pub fn evaluate(
    patient: &Patient,
    doses: &[Dose],
    assessment: NaiveDate,
) -> Result<Report, CdsiError> {
    let data = data::supporting_data()?;
    if assessment < patient.birth_date {
        return Err(CdsiError::AssessmentBeforeBirth {
            birth: patient.birth_date,
            assessment,
        });
    }
    if let Some((index, dose)) = doses
        .iter()
        .enumerate()
        .find(|(_, d)| d.date < patient.birth_date)
    {
        return Err(CdsiError::DoseBeforeBirth {
            index,
            date: dose.date,
            birth: patient.birth_date,
        });
    }
    let ctx = Context::new(data, patient, doses, assessment);
    let antigens = series::assess_antigens(&ctx);
    Ok(vaccine_group::report(&ctx, doses, &antigens))
}

/// What every step reads: the data, the patient, the day, the whole history.
pub(crate) struct Context<'a> {
    pub data: &'static data::SupportingData,
    pub patient: &'a Patient,
    pub assessment: NaiveDate,
    /// Doses on or before the assessment date, in date order.
    pub history: Vec<history::HistoryDose>,
}

impl<'a> Context<'a> {
    fn new(
        data: &'static data::SupportingData,
        patient: &'a Patient,
        doses: &[Dose],
        assessment: NaiveDate,
    ) -> Self {
        Context {
            data,
            patient,
            assessment,
            history: history::history(doses, assessment),
        }
    }

    /// Birth date plus an age; `None` when the age is not given.
    pub fn age_date(&self, age: Option<duration::Duration>) -> Option<NaiveDate> {
        age.map(|a| a.after(self.patient.birth_date))
    }

    /// The patient has this observation.
    pub fn has_observation(&self, code: &str) -> bool {
        self.patient.observations.iter().any(|o| o.trim() == code)
    }
}

#[cfg(test)]
mod tests;
