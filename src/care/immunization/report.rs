//! What [`evaluate`](super::evaluate) returns: the evaluated history and the
//! forecast, in the vocabulary of the CDSi logic specification (chapter 3.2,
//! tables 3-1 to 3-3) so a clinician can look an answer up in CDC's text.
//!
//! Status values serialize with CDC's spelling ("Not Valid", "Aged Out");
//! reasons with the spelling CDC's test cases use ("Age: Too Young").

use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::Serialize;

/// The evaluation status of one dose for one antigen (table 3-1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
pub enum EvaluationStatus {
    Valid,
    #[serde(rename = "Not Valid")]
    NotValid,
    Extraneous,
    #[serde(rename = "Sub-standard")]
    SubStandard,
}

impl EvaluationStatus {
    /// CDC's spelling.
    pub fn label(self) -> &'static str {
        match self {
            EvaluationStatus::Valid => "Valid",
            EvaluationStatus::NotValid => "Not Valid",
            EvaluationStatus::Extraneous => "Extraneous",
            EvaluationStatus::SubStandard => "Sub-standard",
        }
    }
}

/// Why a dose was evaluated as it was (chapter 6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
pub enum EvaluationReason {
    /// Table 6-13.
    #[serde(rename = "Inadvertent Vaccine")]
    InadvertentVaccine,
    /// Table 6-15: before the absolute minimum age.
    #[serde(rename = "Age: Too Young")]
    AgeTooYoung,
    /// Table 6-15: between the absolute minimum and the minimum age (valid).
    #[serde(rename = "Age: Grace Period")]
    AgeGracePeriod,
    /// Table 6-15: on or after the maximum age (extraneous).
    #[serde(rename = "Age: Too Old")]
    AgeTooOld,
    /// Tables 6-18 and 6-21.
    #[serde(rename = "Interval: too Soon")]
    IntervalTooSoon,
    /// Table 6-18: between the absolute minimum and the minimum interval (valid).
    #[serde(rename = "Interval: Grace Period")]
    IntervalGracePeriod,
    /// Section 6.7.
    #[serde(rename = "Live Virus Conflict")]
    LiveVirusConflict,
    /// Tables 6-26 and 6-29.
    #[serde(rename = "Not a preferable or allowable vaccine")]
    NotPreferableOrAllowable,
    /// Section 4.4 step 6a: every target dose is already satisfied.
    #[serde(rename = "Series Already Complete")]
    SeriesAlreadyComplete,
}

impl EvaluationReason {
    /// The spelling of CDC's test cases.
    pub fn label(self) -> &'static str {
        match self {
            EvaluationReason::InadvertentVaccine => "Inadvertent Vaccine",
            EvaluationReason::AgeTooYoung => "Age: Too Young",
            EvaluationReason::AgeGracePeriod => "Age: Grace Period",
            EvaluationReason::AgeTooOld => "Age: Too Old",
            EvaluationReason::IntervalTooSoon => "Interval: too Soon",
            EvaluationReason::IntervalGracePeriod => "Interval: Grace Period",
            EvaluationReason::LiveVirusConflict => "Live Virus Conflict",
            EvaluationReason::NotPreferableOrAllowable => "Not a preferable or allowable vaccine",
            EvaluationReason::SeriesAlreadyComplete => "Series Already Complete",
        }
    }

    /// Grace-period notes accompany a valid dose; the others explain why a
    /// dose does not count.
    pub fn is_note(self) -> bool {
        matches!(
            self,
            EvaluationReason::AgeGracePeriod | EvaluationReason::IntervalGracePeriod
        )
    }
}

/// The one reason to show for a dose: the first failing check in the order
/// of figure 6-1 (age, interval, conflict, vaccine). A dose can fail more
/// than one (too young and too soon); all of them are in `reasons`.
pub(crate) fn primary_reason(
    _status: EvaluationStatus,
    reasons: &[EvaluationReason],
) -> Option<EvaluationReason> {
    reasons.iter().copied().find(|r| !r.is_note())
}

/// A patient series or vaccine group status (table 3-3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
pub enum SeriesStatus {
    #[serde(rename = "Not Complete")]
    NotComplete,
    Complete,
    Immune,
    #[serde(rename = "Not Recommended")]
    NotRecommended,
    #[serde(rename = "Aged Out")]
    AgedOut,
    Contraindicated,
}

impl SeriesStatus {
    /// CDC's spelling.
    pub fn label(self) -> &'static str {
        match self {
            SeriesStatus::NotComplete => "Not Complete",
            SeriesStatus::Complete => "Complete",
            SeriesStatus::Immune => "Immune",
            SeriesStatus::NotRecommended => "Not Recommended",
            SeriesStatus::AgedOut => "Aged Out",
            SeriesStatus::Contraindicated => "Contraindicated",
        }
    }
}

/// Standard and risk forecasts are never blended (chapter 9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ForecastKind {
    /// Standard (and completed evaluation-only) series.
    Standard,
    /// Risk series, driven by a patient observation.
    Risk,
}

/// The result of one evaluation.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Report {
    pub assessment_date: NaiveDate,
    /// One entry per dose given, in the order given.
    pub doses: Vec<DoseReport>,
    /// One entry per vaccine group (two when a risk series runs beside the
    /// standard one), in the order of CDC's schedule data.
    pub vaccine_groups: Vec<VaccineGroupReport>,
}

impl Report {
    /// The (first, standard if any) forecast of a vaccine group by CDC's name.
    pub fn vaccine_group(&self, name: &str) -> Option<&VaccineGroupReport> {
        self.vaccine_groups.iter().find(|g| g.vaccine_group == name)
    }
}

/// One administered dose, evaluated for each antigen it carries.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct DoseReport {
    /// Position in the input.
    pub index: usize,
    pub date: NaiveDate,
    pub cvx: String,
    /// Empty when the CVX code carries no antigen CDSi knows, or the dose is
    /// dated after the assessment date (it is then not evaluated).
    pub evaluations: Vec<AntigenEvaluation>,
}

/// A dose's evaluation against the best series of one antigen.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct AntigenEvaluation {
    pub antigen: String,
    pub vaccine_group: String,
    pub series_name: String,
    /// The target dose (1-based) the dose was evaluated against, if any.
    pub target_dose: Option<u32>,
    pub status: EvaluationStatus,
    /// The one reason to show (see `primary_reason`), as CDC's test cases
    /// report one.
    pub reason: Option<EvaluationReason>,
    pub reasons: Vec<EvaluationReason>,
}

/// A vaccine group forecast (chapter 9).
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct VaccineGroupReport {
    /// CDC's vaccine group name ("DTaP/Tdap/Td", "MMR").
    pub vaccine_group: String,
    pub kind: ForecastKind,
    pub status: SeriesStatus,
    /// The next target dose (1-based); none when no dose is due.
    pub forecast_dose_number: Option<u32>,
    pub earliest_date: Option<NaiveDate>,
    pub recommended_date: Option<NaiveDate>,
    pub past_due_date: Option<NaiveDate>,
    pub latest_date: Option<NaiveDate>,
    /// Why no dose is due, or other forecast reasons (FORECASTVG-7).
    pub reasons: Vec<String>,
    /// The chosen (best) series of each antigen of the group.
    pub series: Vec<AntigenSeriesReport>,
    /// Each dose that carries an antigen of the group, merged over the
    /// group's antigens: not valid for any antigen makes it not valid.
    pub doses: Vec<GroupDoseEvaluation>,
}

impl VaccineGroupReport {
    /// The names of the chosen series, joined for display.
    pub fn series_names(&self) -> String {
        let mut names: Vec<&str> = self.series.iter().map(|s| s.series_name.as_str()).collect();
        names.dedup();
        names.join("; ")
    }

    /// The merged evaluation of the dose at input position `index`.
    pub fn dose(&self, index: usize) -> Option<&GroupDoseEvaluation> {
        self.doses.iter().find(|d| d.index == index)
    }
}

/// One antigen's best series inside a vaccine group forecast.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct AntigenSeriesReport {
    pub antigen: String,
    pub series_name: String,
    pub status: SeriesStatus,
    pub forecast_dose_number: Option<u32>,
    pub earliest_date: Option<NaiveDate>,
    pub recommended_date: Option<NaiveDate>,
    pub past_due_date: Option<NaiveDate>,
    pub latest_date: Option<NaiveDate>,
    pub reason: Option<String>,
    /// CVX codes to recommend for the next dose (FORECASTRECVAC-1).
    pub recommended_cvx: Vec<String>,
}

/// A dose's evaluation for a whole vaccine group.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct GroupDoseEvaluation {
    pub index: usize,
    pub date: NaiveDate,
    pub status: EvaluationStatus,
    pub reason: Option<EvaluationReason>,
    /// Every reason, over the group's antigens that gave this status.
    pub reasons: Vec<EvaluationReason>,
}
