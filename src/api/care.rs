//! Decision-support commands: medication safety checks, the immunization forecast, what a
//! patient is due for, and the practice-wide due lists and registries.
//!
//! The engines in `crate::care` are pure; this module reads the chart for them
//! (`care::chart_facts`), reads the practice's settings, and holds the one place where a
//! medication or allergy save is refused for an unanswered interruptive alert.

use std::collections::{BTreeSet, HashMap};

use chrono::{Months, NaiveDate};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json};
use uuid::Uuid;

use super::{ApiError, ErrorCode, Session};
use crate::access::users;
use crate::care::alert_overrides::{self, Answerer, OverrideAnswer, RowState, Suppressed};
use crate::care::chart_facts::{self, ChartFacts};
use crate::care::code_lists::CodeLists;
use crate::care::immunization::{self, Dose, SeriesStatus};
pub use crate::care::immunization::{ObservationCode, Report};
use crate::care::medication_safety::{
    self, Alert, AllergyInput, Candidate, MedicationInput, Unchecked,
};
use crate::care::preventive::{
    self, DueList, RecallEntry, RuleSet, RuleStatus, Settings as PreventiveSettings,
};
use crate::care::registries::{self, RegistryList, RegistrySet, Why};
use crate::chart::ChartError;
use crate::ledger::Value;
use crate::practice::Practice;

/// The practice setting holding the switches over the preventive rule table (JSON, see
/// `care::preventive::Settings`).
pub const PREVENTIVE_SETTING: &str = "preventive_rules";
/// The practice setting holding the practice's own registries (a JSON array shaped like
/// `assets/registries.json`'s `registries`).
pub const REGISTRIES_SETTING: &str = "registries";

/// Days ahead in which a forecast dose counts as "due soon".
const IMMUNIZATION_SOON_DAYS: u64 = 30;
/// Patients younger than this get the childhood forecast in practice-wide lists.
const CHILD_YEARS: u32 = 19;

/// Checks a setting value before it is saved: the preventive switches and the practice's
/// registries must read against the shipped tables, so that a typo never turns a rule off
/// silently or breaks the lists later.
pub fn check_setting(name: &str, value: &str) -> Result<(), ApiError> {
    match name {
        PREVENTIVE_SETTING => {
            let s = parse_preventive(value)?;
            s.check(RuleSet::shipped())?;
        }
        REGISTRIES_SETTING => {
            RegistrySet::shipped().with_additions(value, CodeLists::shipped())?;
        }
        _ => {}
    }
    Ok(())
}

fn parse_preventive(value: &str) -> Result<PreventiveSettings, ApiError> {
    serde_json::from_str(value).map_err(|e| {
        ApiError::new(
            ErrorCode::InvalidInput,
            format!("value: the preventive_rules setting is not valid ({e}); it is an object like {{\"rules\": {{\"lung_cancer_screening\": {{\"enabled\": false}}}}}}"),
        )
    })
}

fn preventive_settings(practice: &Practice) -> Result<PreventiveSettings, ApiError> {
    match users::setting(practice.reader(), PREVENTIVE_SETTING).map_err(ChartError::from)? {
        Some(v) => parse_preventive(&v),
        None => Ok(PreventiveSettings::default()),
    }
}

fn registry_set(practice: &Practice) -> Result<RegistrySet, ApiError> {
    match users::setting(practice.reader(), REGISTRIES_SETTING).map_err(ChartError::from)? {
        Some(v) if !v.trim().is_empty() => {
            Ok(RegistrySet::shipped().with_additions(&v, CodeLists::shipped())?)
        }
        _ => Ok(RegistrySet::shipped().clone()),
    }
}

fn today(practice: &Practice) -> NaiveDate {
    practice.clock.now().date_naive()
}

// ---------------------------------------------------------------------------------------
// Medication safety

/// What is about to be saved.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum CheckItem {
    /// A medication being added, or one whose name, code or dose changes (give its `id`).
    Medication {
        #[serde(default)]
        id: Option<Uuid>,
        name: String,
        #[serde(default)]
        rxnorm: Option<String>,
        #[serde(default)]
        dose: Option<String>,
    },
    /// An allergy being added.
    Allergy {
        #[serde(default)]
        id: Option<Uuid>,
        substance: String,
        #[serde(default)]
        code: Option<String>,
    },
}

/// Check a medication or allergy against the patient's active medications and allergies.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct CdsCheck {
    pub patient: Uuid,
    pub item: CheckItem,
}

/// An alert with the key to answer it by.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ShownAlert {
    /// Send it back in `alert_overrides.alerts` to answer an interruptive alert.
    pub key: String,
    #[serde(flatten)]
    pub alert: Alert,
}

/// The alerts to show before the clinician confirms.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct CheckAnswer {
    /// Interruptive first. Interruptive ones need `alert_overrides` to save.
    pub alerts: Vec<ShownAlert>,
    /// Items that could not be checked, each said in words.
    pub unchecked: Vec<Unchecked>,
    /// Alerts answered before for the same pair and doses, not shown again.
    pub suppressed: Vec<Suppressed>,
    /// Whether saving needs `alert_overrides` (an interruptive alert is shown).
    pub needs_override: bool,
}

/// The check for one item, with earlier answers applied.
struct Evaluated {
    check: medication_safety::Check,
    suppressed: Vec<Suppressed>,
    rows: HashMap<String, RowState>,
    dose: Option<String>,
}

fn row_states(practice: &Practice, patient: &Uuid) -> Result<HashMap<String, RowState>, ApiError> {
    let conn = practice.reader();
    let mut out = HashMap::new();
    let id = patient.to_string();
    let mut stmt = conn
        .prepare_cached(
            "SELECT id, dose, alert_overrides FROM medication WHERE patient = ?1 AND retracted = 0
             UNION ALL SELECT id, NULL, alert_overrides FROM allergy WHERE patient = ?1 AND retracted = 0",
        )
        .map_err(ChartError::from)?;
    let rows = stmt
        .query_map([&id], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, Option<String>>(1)?,
                r.get::<_, Option<String>>(2)?,
            ))
        })
        .map_err(ChartError::from)?;
    for row in rows {
        let (id, dose, stored) = row.map_err(ChartError::from)?;
        out.insert(id, RowState::new(dose, stored.as_deref()));
    }
    Ok(out)
}

fn evaluate_item(
    practice: &Practice,
    patient: &Uuid,
    item: &CheckItem,
) -> Result<Evaluated, ApiError> {
    let (meds, allergies) = chart_facts::safety_inputs(practice.reader(), patient)?;
    let rows = row_states(practice, patient)?;
    let (candidate, id, dose) = match item {
        CheckItem::Medication {
            id,
            name,
            rxnorm,
            dose,
        } => (
            Candidate::Medication(MedicationInput {
                id: id.map(|u| u.to_string()),
                name: name.clone(),
                rxnorm: rxnorm.clone().filter(|r| !r.trim().is_empty()),
            }),
            id.map(|u| u.to_string()),
            dose.clone().filter(|d| !d.trim().is_empty()),
        ),
        CheckItem::Allergy {
            id,
            substance,
            code,
        } => (
            Candidate::Allergy(AllergyInput {
                id: id.map(|u| u.to_string()),
                substance: substance.clone(),
                code: code.clone().filter(|c| !c.trim().is_empty()),
            }),
            id.map(|u| u.to_string()),
            None,
        ),
    };
    // An allergy being re-saved is not checked against itself.
    let allergies: Vec<AllergyInput> = allergies
        .into_iter()
        .filter(|a| id.is_none() || a.id != id)
        .collect();
    let check = medication_safety::check(candidate, &meds, &allergies);
    let own = RowState {
        dose: dose.clone(),
        overrides: id
            .as_ref()
            .and_then(|i| rows.get(i))
            .map(|r| r.overrides.clone())
            .unwrap_or_default(),
    };
    let (check, suppressed) = alert_overrides::filter(check, id.as_deref(), &own, &rows);
    Ok(Evaluated {
        check,
        suppressed,
        rows,
        dose,
    })
}

pub fn cds_check(
    practice: &mut Practice,
    session: &mut Session,
    req: CdsCheck,
) -> Result<CheckAnswer, ApiError> {
    crate::chart::load(
        practice.reader(),
        &crate::chart::entities::PATIENT,
        &req.patient,
    )?;
    let e = evaluate_item(practice, &req.patient, &req.item)?;
    super::commands::log(
        practice,
        session,
        Some(&req.patient.to_string()),
        "read",
        "cds",
        "check",
    )?;
    let needs_override = !alert_overrides::interruptive(&e.check).is_empty();
    Ok(CheckAnswer {
        alerts: e
            .check
            .alerts
            .into_iter()
            .map(|alert| ShownAlert {
                key: alert.alert_key(),
                alert,
            })
            .collect(),
        unchecked: e.check.unchecked,
        suppressed: e.suppressed,
        needs_override,
    })
}

fn text_of(fields: &[(String, Value)], name: &str) -> Option<Option<String>> {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| match v {
            Value::Text(s) if !s.trim().is_empty() => Some(s.clone()),
            _ => None,
        })
}

/// Applies the safety check to a medication or allergy save: takes the client's answer
/// out of `alert_overrides`, refuses the save while an interruptive alert is unanswered,
/// and puts the answered alerts (with who and when) in its place. Other kinds, and saves
/// that change nothing the check reads, pass through untouched (any `alert_overrides`
/// sent with them is dropped: it is never the client's to write directly).
pub fn guard_save(
    practice: &Practice,
    session: &Session,
    kind: &str,
    patient: &Uuid,
    id: Option<&Uuid>,
    current: Option<&Map<String, Json>>,
    fields: &mut Vec<(String, Value)>,
) -> Result<(), ApiError> {
    if kind != "medication" && kind != "allergy" {
        return Ok(());
    }
    let answer = match fields.iter().position(|(k, _)| k == "alert_overrides") {
        Some(i) => match fields.remove(i).1 {
            Value::Text(t) => Some(serde_json::from_str::<OverrideAnswer>(&t).map_err(|e| {
                ApiError::new(
                    ErrorCode::InvalidInput,
                    format!("alert_overrides: must be {{\"reason\": \"…\", \"alerts\": [\"key\", …]}} with the keys cds.check gave ({e})"),
                )
            })?),
            _ => None,
        },
        None => None,
    };
    let cur = |name: &str| -> Option<String> {
        current
            .and_then(|c| c.get(name))
            .and_then(Json::as_str)
            .filter(|s| !s.trim().is_empty())
            .map(String::from)
    };
    let now = |name: &str| text_of(fields, name).unwrap_or_else(|| cur(name));
    let item = if kind == "medication" {
        let status = now("status");
        if !chart_facts::is_active_medication(status.as_deref()) {
            return Ok(());
        }
        // On an edit, only a new name, code or dose (or a stopped medication restarted)
        // asks for a check.
        if let Some(c) = current {
            let was_active =
                chart_facts::is_active_medication(c.get("status").and_then(Json::as_str));
            let changed = ["name", "rxnorm", "dose"]
                .iter()
                .any(|f| text_of(fields, f).is_some_and(|v| v != cur(f)));
            if was_active && !changed {
                return Ok(());
            }
        }
        let Some(name) = now("name") else {
            return Ok(());
        };
        CheckItem::Medication {
            id: id.copied(),
            name,
            rxnorm: now("rxnorm"),
            dose: now("dose"),
        }
    } else {
        // Allergies are checked when added (and when an entered one is reactivated).
        if let Some(c) = current {
            let was_active = c.get("status").and_then(Json::as_str).unwrap_or("active") == "active";
            if was_active || now("status").as_deref().unwrap_or("active") != "active" {
                return Ok(());
            }
        }
        let no_known = fields
            .iter()
            .any(|(k, v)| k == "no_known" && matches!(v, Value::Bool(true)));
        let Some(substance) = now("substance").filter(|_| !no_known) else {
            return Ok(());
        };
        if now("status").as_deref().unwrap_or("active") != "active" {
            return Ok(());
        }
        CheckItem::Allergy {
            id: id.copied(),
            substance,
            code: now("code"),
        }
    };
    let e = evaluate_item(practice, patient, &item)?;
    let at = crate::clock::rfc3339(practice.clock.now_ms());
    let user_id = session.user.id.to_string();
    let who = Answerer {
        user_id: &user_id,
        user_name: &session.user.display_name,
        at: &at,
    };
    let kept = alert_overrides::record(&e.check, answer.as_ref(), &e.dose, &e.rows, &who)
        .map_err(|u| ApiError::new(ErrorCode::AlertNeedsOverride, u.message()))?;
    if kept.is_empty() {
        return Ok(());
    }
    let mut all = id
        .and_then(|i| e.rows.get(&i.to_string()))
        .map(|r| r.overrides.clone())
        .unwrap_or_default();
    all.extend(kept);
    let json = serde_json::to_string(&all)
        .map_err(|e| ApiError::new(ErrorCode::InternalError, format!("overrides: {e}")))?;
    fields.push(("alert_overrides".into(), Value::Text(json)));
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Immunizations

/// Where a vaccine group stands, in the chart's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum VaccineDue {
    /// Past the past-due date.
    Overdue,
    /// The recommended date has come (or, without one, the earliest).
    DueNow,
    /// The recommended date is within 30 days.
    DueSoon,
    /// A dose will be due later.
    Later,
    /// Complete or immune.
    Complete,
    /// Not recommended, aged out or contraindicated.
    NotRecommended,
}

/// One vaccine group's line in the chart.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct VaccineLine {
    pub vaccine_group: String,
    pub due: VaccineDue,
    /// CDC's status ("Not Complete", "Complete"...).
    pub status: String,
    pub dose_number: Option<u32>,
    pub earliest_date: Option<NaiveDate>,
    pub recommended_date: Option<NaiveDate>,
    pub past_due_date: Option<NaiveDate>,
    /// The vaccines to give, by CVX.
    pub recommended_cvx: Vec<String>,
    pub reasons: Vec<String>,
    /// "standard" or "risk".
    pub kind: String,
}

/// The patient's immunization forecast to CDC's CDSi logic.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Forecast {
    pub assessment_date: NaiveDate,
    /// One line per vaccine group, overdue first.
    pub lines: Vec<VaccineLine>,
    /// The CDSi observations (conditions) that were applied.
    pub observations: Vec<String>,
    /// The full evaluation: each dose, valid or not with the reason, and each group.
    pub report: Report,
    /// "CDSi logic 4.6, supporting data 4.64".
    pub source: String,
}

pub const CDSI_SOURCE: &str = "CDC CDSi logic specification 4.6, supporting data 4.64";

fn lines(report: &Report) -> Vec<VaccineLine> {
    let on = report.assessment_date;
    let soon = on + chrono::Days::new(IMMUNIZATION_SOON_DAYS);
    let mut out: Vec<VaccineLine> = report
        .vaccine_groups
        .iter()
        .map(|g| {
            let due = match g.status {
                SeriesStatus::Complete | SeriesStatus::Immune => VaccineDue::Complete,
                SeriesStatus::NotRecommended
                | SeriesStatus::AgedOut
                | SeriesStatus::Contraindicated => VaccineDue::NotRecommended,
                SeriesStatus::NotComplete => {
                    let when = g.recommended_date.or(g.earliest_date);
                    if g.past_due_date.is_some_and(|d| d <= on) {
                        VaccineDue::Overdue
                    } else if when.is_some_and(|d| d <= on) {
                        VaccineDue::DueNow
                    } else if when.is_some_and(|d| d <= soon) {
                        VaccineDue::DueSoon
                    } else {
                        VaccineDue::Later
                    }
                }
            };
            let mut cvx: Vec<String> = g
                .series
                .iter()
                .flat_map(|s| s.recommended_cvx.iter().cloned())
                .collect();
            cvx.sort();
            cvx.dedup();
            VaccineLine {
                vaccine_group: g.vaccine_group.clone(),
                due,
                status: g.status.label().to_string(),
                dose_number: g.forecast_dose_number,
                earliest_date: g.earliest_date,
                recommended_date: g.recommended_date,
                past_due_date: g.past_due_date,
                recommended_cvx: cvx,
                reasons: g.reasons.clone(),
                kind: match g.kind {
                    immunization::ForecastKind::Standard => "standard".into(),
                    immunization::ForecastKind::Risk => "risk".into(),
                },
            }
        })
        .collect();
    out.sort_by_key(|l| l.due as u8);
    out
}

fn forecast_of(chart: &ChartFacts, on: NaiveDate) -> Result<Forecast, ApiError> {
    let report = immunization::evaluate(&chart.cdsi_patient(), &chart.doses, on)?;
    Ok(Forecast {
        assessment_date: on,
        lines: lines(&report),
        observations: chart.cdsi_observations.clone(),
        report,
        source: CDSI_SOURCE.into(),
    })
}

/// A patient's forecast on a day (today when not given).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ForecastRequest {
    pub patient: Uuid,
    #[serde(default)]
    pub assessment_date: Option<NaiveDate>,
}

pub fn immunization_forecast(
    practice: &mut Practice,
    session: &mut Session,
    req: ForecastRequest,
) -> Result<Forecast, ApiError> {
    let chart = chart_facts::for_patient(practice.reader(), &req.patient)?;
    let on = req.assessment_date.unwrap_or_else(|| today(practice));
    let f = forecast_of(&chart, on)?;
    super::commands::log(
        practice,
        session,
        Some(&req.patient.to_string()),
        "read",
        "immunization",
        "forecast",
    )?;
    Ok(f)
}

/// A history evaluated without a chart (for checking a record from elsewhere).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct EvaluateRequest {
    pub birth_date: NaiveDate,
    pub sex: immunization::Sex,
    #[serde(default)]
    pub doses: Vec<Dose>,
    /// CDSi observation codes ("007" pregnant); see immunization.observations.
    #[serde(default)]
    pub observations: Vec<String>,
    pub assessment_date: NaiveDate,
}

pub fn immunization_evaluate(
    _practice: &mut Practice,
    _session: &mut Session,
    req: EvaluateRequest,
) -> Result<Report, ApiError> {
    let patient = immunization::Patient {
        birth_date: req.birth_date,
        sex: req.sex,
        observations: req.observations,
    };
    Ok(immunization::evaluate(
        &patient,
        &req.doses,
        req.assessment_date,
    )?)
}

pub fn immunization_observations(
    _practice: &mut Practice,
    _session: &mut Session,
    _: super::types::NoArgs,
) -> Result<Vec<ObservationCode>, ApiError> {
    Ok(immunization::observations()?)
}

// ---------------------------------------------------------------------------------------
// What a patient is due for

/// A patient's decision support on a day (today when not given).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct DueRequest {
    pub patient: Uuid,
    #[serde(default)]
    pub on: Option<NaiveDate>,
}

/// What the chart's Due panel shows.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct DuePanel {
    pub on: NaiveDate,
    /// Every enabled preventive rule's status (not applicable ones included, with why).
    pub preventive: Vec<RuleStatus>,
    pub rules_version: String,
    /// The immunization forecast; none when the CDSi evaluation could not run (the
    /// message says why).
    pub immunizations: Option<Forecast>,
    pub immunization_problem: Option<String>,
    /// The registries the patient is on, and why.
    pub registries: Vec<Why>,
}

/// The vaccine groups a forecast says are overdue, by CDC name.
fn overdue_groups(f: &Forecast) -> Vec<String> {
    f.lines
        .iter()
        .filter(|l| l.due == VaccineDue::Overdue)
        .map(|l| l.vaccine_group.clone())
        .collect()
}

pub fn cds_due(
    practice: &mut Practice,
    session: &mut Session,
    req: DueRequest,
) -> Result<DuePanel, ApiError> {
    let mut chart = chart_facts::for_patient(practice.reader(), &req.patient)?;
    let on = req.on.unwrap_or_else(|| today(practice));
    let settings = preventive_settings(practice)?;
    let set = registry_set(practice)?;
    let (immunizations, immunization_problem) = if on < chart.facts.birth_date {
        (
            None,
            Some("the date is before the patient's birth".to_string()),
        )
    } else {
        match forecast_of(&chart, on) {
            Ok(f) => (Some(f), None),
            Err(e) => (None, Some(e.message)),
        }
    };
    if let Some(f) = &immunizations {
        chart.facts.overdue_vaccine_groups = overdue_groups(f);
    }
    let rules = RuleSet::shipped();
    let preventive = preventive::evaluate(rules, &settings, &chart.facts, on);
    let registries = set
        .registries
        .iter()
        .filter_map(|r| registries::evaluate(r, &chart.facts, on))
        .collect();
    super::commands::log(
        practice,
        session,
        Some(&req.patient.to_string()),
        "read",
        "cds",
        "due",
    )?;
    Ok(DuePanel {
        on,
        preventive,
        rules_version: rules.version.clone(),
        immunizations,
        immunization_problem,
        registries,
    })
}

/// One preventive rule as the practice sees it.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct RuleInfo {
    pub id: String,
    pub title: String,
    pub statement: String,
    pub grade: String,
    pub date: NaiveDate,
    pub citation: String,
    pub note: Option<String>,
    /// Off when the practice switched it off.
    pub enabled: bool,
}

/// The preventive rules and registries, with the practice's settings.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct RulesAnswer {
    pub rules_version: String,
    pub rules: Vec<RuleInfo>,
    /// The practice's switches (the `preventive_rules` setting).
    pub settings: PreventiveSettings,
    /// Every registry, shipped and the practice's own: id and title.
    pub registries: Vec<RegistryInfo>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct RegistryInfo {
    pub id: String,
    pub title: String,
}

pub fn cds_rules(
    practice: &mut Practice,
    _session: &mut Session,
    _: super::types::NoArgs,
) -> Result<RulesAnswer, ApiError> {
    let settings = preventive_settings(practice)?;
    let rules = RuleSet::shipped();
    let set = registry_set(practice)?;
    Ok(RulesAnswer {
        rules_version: rules.version.clone(),
        rules: rules
            .rules
            .iter()
            .map(|r| RuleInfo {
                id: r.def.id.clone(),
                title: r.def.title.clone(),
                statement: r.def.statement.clone(),
                grade: r.def.grade.as_str().to_string(),
                date: r.def.date,
                citation: r.def.citation.clone(),
                note: r.def.note.clone(),
                enabled: settings.enabled(&r.def.id),
            })
            .collect(),
        settings,
        registries: set
            .registries
            .iter()
            .map(|r| RegistryInfo {
                id: r.def.id.clone(),
                title: r.def.title.clone(),
            })
            .collect(),
    })
}

// ---------------------------------------------------------------------------------------
// Practice-wide lists

/// Who is due for what in a period (this month when not given).
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct DueListRequest {
    #[serde(default)]
    pub from: Option<NaiveDate>,
    #[serde(default)]
    pub to: Option<NaiveDate>,
    /// Only these rules (ids); all enabled rules when empty.
    #[serde(default)]
    pub rules: Vec<String>,
    /// Also give the list and the recall list as CSV, every row of each whatever
    /// `limit` says (what an export or a recall call sheet needs).
    #[serde(default)]
    pub csv: bool,
    /// At most this many rows and recall entries, from `offset` on; all when absent.
    /// A practice of 100,000 has hundreds of thousands of rows: a screen shows a page
    /// (or one rule's list), and the counts always cover everyone.
    #[serde(default)]
    pub limit: Option<usize>,
    #[serde(default)]
    pub offset: usize,
}

/// The due list with its recall list and both as CSV.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct DueListAnswer {
    /// The counts, and the rows from `offset` (at most `limit` of them).
    pub list: DueList,
    /// Rows in the whole list.
    pub rows_total: usize,
    /// One entry per patient to call, with their phone (the same page as the rows).
    pub recall: Vec<RecallEntry>,
    /// Patients on the whole recall list.
    pub recall_total: usize,
    /// With `csv`: every row.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub csv: Option<String>,
    /// With `csv`: every patient to call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recall_csv: Option<String>,
    /// Patients considered (in care, not deceased or inactive).
    pub patients: usize,
}

/// Refuses a filter naming an id that does not exist, so a typo never gives an empty list.
fn known_ids(
    field: &str,
    what: &str,
    ids: &[String],
    known: impl Fn(&str) -> bool,
) -> Result<(), ApiError> {
    match ids.iter().find(|id| !known(id)) {
        Some(id) => Err(ApiError::new(
            ErrorCode::InvalidInput,
            format!("{field}: {id:?} is not {what}; cds.rules lists them"),
        )),
        None => Ok(()),
    }
}

fn month_bounds(on: NaiveDate) -> (NaiveDate, NaiveDate) {
    use chrono::Datelike;
    let first = on.with_day(1).unwrap_or(on);
    let last = first
        .checked_add_months(Months::new(1))
        .and_then(|d| d.pred_opt())
        .unwrap_or(on);
    (first, last)
}

/// Every chart in care, with the results of `result_codes`; with `forecasts`, the CDSi
/// forecast's overdue groups filled in for children (the registries need them; the
/// preventive rules do not, and the forecast is the costly part of a practice-wide list).
fn practice_charts(
    practice: &Practice,
    on: NaiveDate,
    result_codes: BTreeSet<String>,
    forecasts: bool,
) -> Result<Vec<ChartFacts>, ApiError> {
    let needs = chart_facts::Needs {
        result_codes,
        doses: forecasts,
    };
    // Without a second connection the read is the same, on one core.
    let spare = practice.spare_reader().unwrap_or(None);
    let mut charts = chart_facts::for_practice(practice.reader(), &needs, spare)?;
    charts.retain(ChartFacts::in_care);
    if forecasts {
        // Each child's forecast reads only their own chart: one share per core.
        let parts = std::thread::available_parallelism().map_or(1, usize::from);
        let chunk = charts.len().div_ceil(parts).max(256);
        std::thread::scope(|scope| {
            for part in charts.chunks_mut(chunk) {
                scope.spawn(move || {
                    for c in part {
                        let child = c
                            .facts
                            .birth_date
                            .checked_add_months(Months::new(12 * CHILD_YEARS))
                            .is_some_and(|d| d > on);
                        if child && on >= c.facts.birth_date {
                            if let Ok(f) = forecast_of(c, on) {
                                c.facts.overdue_vaccine_groups = overdue_groups(&f);
                            }
                        }
                    }
                });
            }
        });
    }
    Ok(charts)
}

pub fn cds_due_list(
    practice: &mut Practice,
    session: &mut Session,
    req: DueListRequest,
) -> Result<DueListAnswer, ApiError> {
    let (first, last) = month_bounds(today(practice));
    let from = req.from.unwrap_or(first);
    let to = req
        .to
        .unwrap_or(if req.from.is_some() { from } else { last });
    if to < from {
        return Err(ApiError::new(
            ErrorCode::InvalidInput,
            "to: must be on or after from",
        ));
    }
    let mut settings = preventive_settings(practice)?;
    let rules = RuleSet::shipped();
    known_ids("rules", "a preventive rule", &req.rules, |r| {
        rules.get(r).is_some()
    })?;
    if !req.rules.is_empty() {
        for r in &rules.rules {
            if !req.rules.contains(&r.def.id) {
                settings.rules.entry(r.def.id.clone()).or_default().enabled = Some(false);
            }
        }
    }
    let codes = rules.result_codes(|r| settings.enabled(&r.def.id));
    let charts = practice_charts(practice, from, codes, false)?;
    let patients = charts.len();
    let mut list = preventive::due_list(
        rules,
        &settings,
        charts.iter().map(|c| (c.patient.clone(), &c.facts)),
        (from, to),
    );
    let mut recall = preventive::recall_list(&list);
    super::commands::log(practice, session, None, "read", "cds", "due_list")?;
    let (csv, recall_csv) = if req.csv {
        (
            Some(preventive::to_csv(&list)),
            Some(preventive::recall_to_csv(&recall)),
        )
    } else {
        (None, None)
    };
    let (rows_total, recall_total) = (list.rows.len(), recall.len());
    let rows_left = page(&mut list.rows, req.offset, req.limit);
    let recall_left = page(&mut recall, req.offset, req.limit);
    // Freeing 100,000 charts and the rows left off the page takes most of a second; the
    // answer does not wait for it.
    std::thread::spawn(move || drop((charts, rows_left, recall_left)));
    Ok(DueListAnswer {
        csv,
        recall_csv,
        list,
        rows_total,
        recall,
        recall_total,
        patients,
    })
}

/// Keeps `limit` items from `offset` on (all of them from `offset` without a limit), and
/// gives back the others.
fn page<T>(items: &mut Vec<T>, offset: usize, limit: Option<usize>) -> Vec<T> {
    let mut left: Vec<T> = items.drain(..offset.min(items.len())).collect();
    if let Some(limit) = limit.filter(|&l| l < items.len()) {
        left.extend(items.drain(limit..));
    }
    left
}

/// The registries on a day (today when not given).
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct RegistryRequest {
    #[serde(default)]
    pub on: Option<NaiveDate>,
    /// Only these registries (ids); all when empty.
    #[serde(default)]
    pub registries: Vec<String>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct RegistryAnswer {
    pub on: NaiveDate,
    pub version: String,
    pub lists: Vec<RegistryList>,
    pub csv: String,
    pub patients: usize,
}

pub fn registry_list(
    practice: &mut Practice,
    session: &mut Session,
    req: RegistryRequest,
) -> Result<RegistryAnswer, ApiError> {
    let on = req.on.unwrap_or_else(|| today(practice));
    let mut set = registry_set(practice)?;
    known_ids("registries", "a registry", &req.registries, |r| {
        set.get(r).is_some()
    })?;
    if !req.registries.is_empty() {
        set.registries
            .retain(|r| req.registries.contains(&r.def.id));
    }
    let needs_forecast = set.registries.iter().any(|r| r.needs_forecast());
    let charts = practice_charts(practice, on, set.result_codes(), needs_forecast)?;
    let lists = registries::registry_lists(
        &set,
        charts.iter().map(|c| (c.patient.clone(), &c.facts)),
        on,
    );
    super::commands::log(practice, session, None, "read", "registry", "list")?;
    Ok(RegistryAnswer {
        on,
        version: set.version.clone(),
        csv: registries::registries_to_csv(&lists),
        lists,
        patients: charts.len(),
    })
}
