//! The facts about one patient that preventive-care rules and registries read.
//!
//! The chart layer fills [`Facts`] from the database; tests write it as JSON.
//! It is deliberately plain (strings, dates, numbers) so that nothing here
//! depends on how the chart stores a record. The assessment date is not a
//! fact: every evaluation takes it as an argument, so no rule reads a clock.

use chrono::{Datelike, NaiveDate};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Everything the rules may look at for one patient.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub struct Facts {
    pub birth_date: NaiveDate,
    /// Sex as the chart records it (assigned at birth where the chart has it):
    /// rules for one sex leave `other` and `unknown` to the clinician.
    pub sex: Sex,
    #[serde(default)]
    pub problems: Vec<Problem>,
    #[serde(default)]
    pub procedures: Vec<Procedure>,
    #[serde(default)]
    pub observations: Vec<Observation>,
    #[serde(default)]
    pub medications: Vec<Medication>,
    #[serde(default)]
    pub orders: Vec<Order>,
    #[serde(default)]
    pub tobacco: Vec<TobaccoUse>,
    /// `Some(true)` when the patient is pregnant now; `None` when not recorded.
    #[serde(default)]
    pub pregnancy: Option<bool>,
    /// Services the patient declined, so they are not called again at once.
    #[serde(default)]
    pub declines: Vec<Decline>,
    /// Vaccine groups the immunization forecast (computed elsewhere) says are
    /// overdue, e.g. `["DTaP", "MMR"]`.
    #[serde(default)]
    pub overdue_vaccine_groups: Vec<String>,
    /// The latest 10-year cardiovascular risk estimate, computed elsewhere
    /// (pooled cohort equations or the practice's tool): the statin rule needs it.
    #[serde(default)]
    pub ten_year_cvd_risk: Option<RiskEstimate>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    Female,
    Male,
    Other,
    Unknown,
}

impl Sex {
    pub fn as_str(self) -> &'static str {
        match self {
            Sex::Female => "female",
            Sex::Male => "male",
            Sex::Other => "other",
            Sex::Unknown => "unknown",
        }
    }
}

/// A problem-list entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub struct Problem {
    /// The code system as stored; `None` means ICD-10-CM.
    #[serde(default)]
    pub system: Option<String>,
    pub code: String,
    #[serde(default)]
    pub display: String,
    #[serde(default)]
    pub onset: Option<NaiveDate>,
    #[serde(default)]
    pub resolved: Option<NaiveDate>,
    /// Whether the chart shows it as active.
    pub active: bool,
}

/// A procedure done (any code system the chart keeps).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub struct Procedure {
    /// `snomed`, `hcpcs`, `loinc`, `icd10pcs`, `cpt`... or a FHIR system URI.
    pub system: String,
    pub code: String,
    #[serde(default)]
    pub display: String,
    pub date: NaiveDate,
}

/// A result or vital sign (LOINC).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub struct Observation {
    pub loinc: String,
    #[serde(default)]
    pub value_num: Option<f64>,
    #[serde(default)]
    pub unit: Option<String>,
    pub date: NaiveDate,
}

/// A medication the patient takes or took.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub struct Medication {
    pub name: String,
    #[serde(default)]
    pub rxnorm: Option<String>,
    pub active: bool,
    #[serde(default)]
    pub start: Option<NaiveDate>,
    #[serde(default)]
    pub stop: Option<NaiveDate>,
}

/// A lab, imaging or referral order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub struct Order {
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub kind: String,
    /// As stored: `active`, `completed`, `cancelled`... Only a completed
    /// order counts as done; an open one is reported as pending.
    #[serde(default)]
    pub status: String,
    pub date: NaiveDate,
}

impl Order {
    /// Whether the order was carried out (so it can satisfy a rule).
    pub fn is_done(&self) -> bool {
        matches!(
            self.status.trim().to_ascii_lowercase().as_str(),
            "completed" | "complete" | "resulted" | "final" | "done"
        )
    }

    /// Whether the order is still open (so a rule can say it is pending).
    pub fn is_open(&self) -> bool {
        matches!(
            self.status.trim().to_ascii_lowercase().as_str(),
            "active"
                | "ordered"
                | "pending"
                | "draft"
                | "in-progress"
                | "in_progress"
                | "scheduled"
        )
    }
}

/// A tobacco-use entry as the social history records it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub struct TobaccoUse {
    /// As stored: `current`, `former`, `never`, or FHIR-style wording such as
    /// "Current every day smoker", "Former smoker", "Never smoker".
    pub status: String,
    pub date: NaiveDate,
    /// Lifetime pack-years, when recorded (lung cancer screening needs it).
    #[serde(default)]
    pub pack_years: Option<f64>,
    /// When a former smoker quit, when recorded.
    #[serde(default)]
    pub quit_date: Option<NaiveDate>,
}

/// What a tobacco status says, read from the stored words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Smoking {
    Current,
    Former,
    Never,
    /// Words the reader does not know ("unknown if ever smoked").
    Unknown,
}

impl TobaccoUse {
    pub fn reading(&self) -> Smoking {
        let s = self.status.trim().to_ascii_lowercase();
        if s.contains("never") {
            Smoking::Never
        } else if s.contains("former") || s.contains("ex-") || s.starts_with("quit") {
            Smoking::Former
        } else if s.contains("unknown") {
            Smoking::Unknown
        } else if s.contains("current")
            || s.contains("every day")
            || s.contains("some day")
            || s.contains("smoker")
            || s == "yes"
        {
            Smoking::Current
        } else {
            Smoking::Unknown
        }
    }
}

/// A service the patient declined.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub struct Decline {
    /// The preventive rule id, e.g. `colorectal_cancer_screening`.
    pub rule: String,
    pub date: NaiveDate,
    #[serde(default)]
    pub reason: String,
}

/// A 10-year cardiovascular risk estimate in percent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub struct RiskEstimate {
    pub percent: f64,
    pub date: NaiveDate,
    /// How it was computed, e.g. "PCE 2013".
    #[serde(default)]
    pub method: String,
}

/// The code systems a rule can name. Charts write them many ways (`SNOMED
/// CT`, `http://snomed.info/sct`, `sct`), so all are read into one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CodeSystem {
    Icd10cm,
    Snomed,
    Loinc,
    Hcpcs,
    Icd10pcs,
    Cvx,
    /// Read so that it can be told apart, never shipped in a rule.
    Cpt,
}

impl CodeSystem {
    /// Reads a system name, OID or URI; `None` for one this module does not know.
    pub fn recognize(text: &str) -> Option<CodeSystem> {
        let s = text.trim().to_ascii_lowercase();
        let s = s.trim_end_matches('/');
        Some(match s {
            "icd10cm"
            | "icd-10-cm"
            | "icd10"
            | "icd-10"
            | "http://hl7.org/fhir/sid/icd-10-cm"
            | "urn:oid:2.16.840.1.113883.6.90"
            | "2.16.840.1.113883.6.90" => CodeSystem::Icd10cm,
            "snomed"
            | "snomed ct"
            | "snomed-ct"
            | "snomedct"
            | "sct"
            | "http://snomed.info/sct"
            | "urn:oid:2.16.840.1.113883.6.96"
            | "2.16.840.1.113883.6.96" => CodeSystem::Snomed,
            "loinc" | "http://loinc.org" | "urn:oid:2.16.840.1.113883.6.1" => CodeSystem::Loinc,
            "hcpcs"
            | "hcpcs level ii"
            | "https://www.cms.gov/medicare/coding/hcpcsreleasecodesets"
            | "http://www.cms.gov/medicare/coding/hcpcsreleasecodesets"
            | "urn:oid:2.16.840.1.113883.6.285" => CodeSystem::Hcpcs,
            "icd10pcs"
            | "icd-10-pcs"
            | "http://www.cms.gov/medicare/coding/icd10"
            | "urn:oid:2.16.840.1.113883.6.4" => CodeSystem::Icd10pcs,
            "cvx" | "http://hl7.org/fhir/sid/cvx" | "urn:oid:2.16.840.1.113883.12.292" => {
                CodeSystem::Cvx
            }
            "cpt"
            | "cpt-4"
            | "http://www.ama-assn.org/go/cpt"
            | "urn:oid:2.16.840.1.113883.6.12" => CodeSystem::Cpt,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            CodeSystem::Icd10cm => "icd10cm",
            CodeSystem::Snomed => "snomed",
            CodeSystem::Loinc => "loinc",
            CodeSystem::Hcpcs => "hcpcs",
            CodeSystem::Icd10pcs => "icd10pcs",
            CodeSystem::Cvx => "cvx",
            CodeSystem::Cpt => "cpt",
        }
    }

    /// A display label for explanations ("ICD-10-CM E11.9").
    pub fn label(self) -> &'static str {
        match self {
            CodeSystem::Icd10cm => "ICD-10-CM",
            CodeSystem::Snomed => "SNOMED CT",
            CodeSystem::Loinc => "LOINC",
            CodeSystem::Hcpcs => "HCPCS",
            CodeSystem::Icd10pcs => "ICD-10-PCS",
            CodeSystem::Cvx => "CVX",
            CodeSystem::Cpt => "CPT",
        }
    }
}

/// Puts a code into the form the code lists use: trimmed; ICD codes upper
/// case with the dot after the category (`e119` → `E11.9`).
pub fn normalize_code(system: CodeSystem, code: &str) -> String {
    let code = code.trim();
    match system {
        CodeSystem::Icd10cm => {
            let upper: String = code
                .chars()
                .filter(|c| *c != '.')
                .flat_map(char::to_uppercase)
                .collect();
            if upper.len() > 3 && upper.is_ascii() {
                format!("{}.{}", &upper[..3], &upper[3..])
            } else {
                upper
            }
        }
        CodeSystem::Icd10pcs | CodeSystem::Hcpcs => code.to_ascii_uppercase(),
        _ => code.to_string(),
    }
}

/// Completed years of age on `on`. Someone born on 29 February turns a year
/// older on 1 March in a common year (the day after 28 February), which is
/// how the law in most US states counts it.
pub fn age_on(birth: NaiveDate, on: NaiveDate) -> i32 {
    let mut age = on.year() - birth.year();
    if (on.month(), on.day()) < (birth.month(), birth.day()) {
        age -= 1;
    }
    age
}

/// The day a person born on `birth` reaches `years` of age (see [`age_on`]).
pub fn birthday(birth: NaiveDate, years: u32) -> NaiveDate {
    let year = birth.year() + years as i32;
    NaiveDate::from_ymd_opt(year, birth.month(), birth.day())
        .or_else(|| NaiveDate::from_ymd_opt(year, 3, 1))
        .unwrap_or(NaiveDate::MAX)
}

/// `date` plus `months` calendar months; the 31st becomes the last day of a
/// shorter month (31 January + 1 month = 28 or 29 February).
pub fn add_months(date: NaiveDate, months: u32) -> NaiveDate {
    date.checked_add_months(chrono::Months::new(months))
        .unwrap_or(NaiveDate::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn age_turns_on_the_birthday_not_the_day_before() {
        assert_eq!(age_on(d("1980-06-15"), d("2025-06-14")), 44);
        assert_eq!(age_on(d("1980-06-15"), d("2025-06-15")), 45);
        assert_eq!(birthday(d("1980-06-15"), 45), d("2025-06-15"));
    }

    #[test]
    fn a_leap_day_birthday_counts_from_the_first_of_march() {
        assert_eq!(age_on(d("2000-02-29"), d("2021-02-28")), 20);
        assert_eq!(age_on(d("2000-02-29"), d("2021-03-01")), 21);
        assert_eq!(birthday(d("2000-02-29"), 21), d("2021-03-01"));
        assert_eq!(birthday(d("2000-02-29"), 24), d("2024-02-29"));
    }

    #[test]
    fn months_are_calendar_months() {
        assert_eq!(add_months(d("2024-01-31"), 1), d("2024-02-29"));
        assert_eq!(add_months(d("2023-03-15"), 12), d("2024-03-15"));
    }

    #[test]
    fn code_systems_are_read_however_the_chart_writes_them() {
        assert_eq!(
            CodeSystem::recognize("http://snomed.info/sct"),
            Some(CodeSystem::Snomed)
        );
        assert_eq!(CodeSystem::recognize("SNOMED CT"), Some(CodeSystem::Snomed));
        assert_eq!(
            CodeSystem::recognize("ICD-10-PCS"),
            Some(CodeSystem::Icd10pcs)
        );
        assert_eq!(CodeSystem::recognize("CPT"), Some(CodeSystem::Cpt));
        assert_eq!(CodeSystem::recognize("made-up"), None);
        assert_eq!(normalize_code(CodeSystem::Icd10cm, " e119 "), "E11.9");
        assert_eq!(normalize_code(CodeSystem::Icd10cm, "Z90.710"), "Z90.710");
        assert_eq!(normalize_code(CodeSystem::Icd10cm, "I10"), "I10");
    }

    #[test]
    fn tobacco_words_are_read() {
        let t = |s: &str| TobaccoUse {
            status: s.into(),
            date: d("2024-01-01"),
            pack_years: None,
            quit_date: None,
        };
        assert_eq!(t("current").reading(), Smoking::Current);
        assert_eq!(t("Current every day smoker").reading(), Smoking::Current);
        assert_eq!(t("Former smoker").reading(), Smoking::Former);
        assert_eq!(t("Never smoker").reading(), Smoking::Never);
        assert_eq!(t("never").reading(), Smoking::Never);
        assert_eq!(t("Unknown if ever smoked").reading(), Smoking::Unknown);
    }
}
