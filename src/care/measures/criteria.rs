//! The pieces several measures share: the retrieve-and-status filters of QI-Core's
//! `Status` library, the adult outpatient visits that qualify a patient, and the
//! exclusions for hospice, palliative care, advanced illness with frailty, and long-term
//! nursing-home residence.
//!
//! Each criterion answers `Option<String>`: the event that met it, in a line a person
//! can check against the chart, or `None` when it is not met.

use super::input::{Condition, Encounter, Observation, PatientInput, Procedure, Request, Value};
use super::input::{LOINC, SNOMED};
use super::period::{age_at, Day, Period};
use super::value_sets::{key, ValueSets};

/// One patient, the value sets and the period: what every criterion reads.
pub struct Eval<'a> {
    pub p: &'a PatientInput,
    pub vs: &'a ValueSets,
    pub mp: Period,
}

pub fn date(d: Option<Day>) -> String {
    d.and_then(chrono::NaiveDate::from_num_days_from_ce_opt)
        .map_or("no date".to_string(), |d| d.to_string())
}

fn has_code(codes: &[String], system: &str, code: &str) -> bool {
    let k = key(system, code);
    codes.contains(&k)
}

const PERFORMED: [&str; 5] = ["finished", "arrived", "triaged", "in-progress", "onleave"];
const RESULTED: [&str; 3] = ["final", "amended", "corrected"];

impl<'a> Eval<'a> {
    /// `AgeInYearsAt(date from end of "Measurement Period")`.
    pub fn age_at_end(&self) -> Option<i32> {
        self.p.birth_date.map(|b| age_at(b, self.mp.to))
    }

    pub fn age_at_start(&self) -> Option<i32> {
        self.p.birth_date.map(|b| age_at(b, self.mp.from))
    }

    pub fn in_vs(&self, oid: &str, codes: &[String]) -> bool {
        self.vs.any(oid, codes)
    }

    /// `[Encounter: vs].isEncounterPerformed()`.
    pub fn encounters(&self, oid: &'a str) -> impl Iterator<Item = &'a Encounter> + '_ {
        self.p.encounters.iter().filter(move |e| {
            e.status.as_deref().is_some_and(|s| PERFORMED.contains(&s)) && self.in_vs(oid, &e.codes)
        })
    }

    /// Performed encounters whose type is one code.
    pub fn encounters_coded(
        &self,
        system: &'a str,
        code: &'a str,
    ) -> impl Iterator<Item = &'a Encounter> + 'a {
        self.p.encounters.iter().filter(move |e| {
            e.status.as_deref().is_some_and(|s| PERFORMED.contains(&s))
                && has_code(&e.codes, system, code)
        })
    }

    pub fn conditions(&self, oid: &'a str) -> impl Iterator<Item = &'a Condition> + '_ {
        self.p
            .conditions
            .iter()
            .filter(move |c| self.in_vs(oid, &c.codes))
    }

    /// Observations in a value set with a final status (`isDiagnosticStudyPerformed`).
    pub fn results(&self, oid: &'a str) -> impl Iterator<Item = &'a Observation> + '_ {
        self.p.observations.iter().filter(move |o| {
            o.status.as_deref().is_some_and(|s| RESULTED.contains(&s)) && self.in_vs(oid, &o.codes)
        })
    }

    /// `isLaboratoryTestPerformed`: final, and of the laboratory category.
    pub fn lab_results(&self, oid: &'a str) -> impl Iterator<Item = &'a Observation> + '_ {
        self.results(oid)
            .filter(|o| o.categories.iter().any(|c| c == "laboratory"))
    }

    /// `isAssessmentPerformed` on one LOINC code: final, and of the survey category.
    pub fn assessments(&self, loinc: &'a str) -> impl Iterator<Item = &'a Observation> + 'a {
        self.p.observations.iter().filter(move |o| {
            o.status.as_deref().is_some_and(|s| RESULTED.contains(&s))
                && o.categories.iter().any(|c| c == "survey")
                && has_code(&o.codes, LOINC, loinc)
        })
    }

    /// `isAssessmentPerformed` on a value set.
    pub fn assessments_in(&self, oid: &'a str) -> impl Iterator<Item = &'a Observation> + '_ {
        self.results(oid)
            .filter(|o| o.categories.iter().any(|c| c == "survey"))
    }

    /// `isProcedurePerformed` / `isInterventionPerformed`: status completed.
    pub fn procedures(&self, oid: &'a str) -> impl Iterator<Item = &'a Procedure> + '_ {
        self.p
            .procedures
            .iter()
            .filter(move |x| x.status.as_deref() == Some("completed") && self.in_vs(oid, &x.codes))
    }

    /// `isInterventionOrder` / `isDeviceOrder`: active or completed orders.
    fn orders(
        list: &'a [Request],
        vs: &'a ValueSets,
        oid: &'a str,
    ) -> impl Iterator<Item = &'a Request> + 'a {
        list.iter().filter(move |r| {
            matches!(r.status.as_deref(), Some("active" | "completed"))
                && r.intent.as_deref() == Some("order")
                && vs.any(oid, &r.codes)
        })
    }

    pub fn service_orders(&self, oid: &'a str) -> impl Iterator<Item = &'a Request> + 'a {
        Self::orders(&self.p.service_requests, self.vs, oid)
    }

    pub fn device_orders(&self, oid: &'a str) -> impl Iterator<Item = &'a Request> + 'a {
        Self::orders(&self.p.device_requests, self.vs, oid)
    }

    /// `isMedicationOrder`: active or completed orders.
    pub fn medication_orders(&self, oid: &'a str) -> impl Iterator<Item = &'a Request> + 'a {
        Self::orders(&self.p.medication_requests, self.vs, oid)
    }

    /// `isMedicationActive`: active orders.
    pub fn medications_active(&self, oid: &'a str) -> impl Iterator<Item = &'a Request> + 'a {
        self.medication_orders(oid)
            .filter(|r| r.status.as_deref() == Some("active"))
    }
}

pub mod vs {
    //! The value sets the shared criteria name, by OID.
    pub const OFFICE_VISIT: &str = "2.16.840.1.113883.3.464.1003.101.12.1001";
    pub const ANNUAL_WELLNESS: &str = "2.16.840.1.113883.3.526.3.1240";
    pub const PREVENTIVE_ESTABLISHED_18: &str = "2.16.840.1.113883.3.464.1003.101.12.1025";
    pub const PREVENTIVE_INITIAL_18: &str = "2.16.840.1.113883.3.464.1003.101.12.1023";
    pub const HOME_HEALTHCARE: &str = "2.16.840.1.113883.3.464.1003.101.12.1016";
    pub const VIRTUAL_ENCOUNTER: &str = "2.16.840.1.113883.3.464.1003.101.12.1089";
    pub const TELEPHONE_VISITS: &str = "2.16.840.1.113883.3.464.1003.101.12.1080";
    pub const ENCOUNTER_INPATIENT: &str = "2.16.840.1.113883.3.666.5.307";
    pub const HOSPICE_CARE_AMBULATORY: &str = "2.16.840.1.113883.3.526.3.1584";
    pub const HOSPICE_ENCOUNTER: &str = "2.16.840.1.113883.3.464.1003.1003";
    pub const HOSPICE_DIAGNOSIS: &str = "2.16.840.1.113883.3.464.1003.1165";
    pub const PALLIATIVE_ENCOUNTER: &str = "2.16.840.1.113883.3.464.1003.101.12.1090";
    pub const PALLIATIVE_INTERVENTION: &str = "2.16.840.1.113883.3.464.1003.198.12.1135";
    pub const PALLIATIVE_DIAGNOSIS: &str = "2.16.840.1.113883.3.464.1003.1167";
    pub const ADVANCED_ILLNESS: &str = "2.16.840.1.113883.3.464.1003.110.12.1082";
    pub const DEMENTIA_MEDICATIONS: &str = "2.16.840.1.113883.3.464.1003.196.12.1510";
    pub const FRAILTY_DEVICE: &str = "2.16.840.1.113883.3.464.1003.118.12.1300";
    pub const FRAILTY_DIAGNOSIS: &str = "2.16.840.1.113883.3.464.1003.113.12.1074";
    pub const FRAILTY_ENCOUNTER: &str = "2.16.840.1.113883.3.464.1003.101.12.1088";
    pub const FRAILTY_SYMPTOM: &str = "2.16.840.1.113883.3.464.1003.113.12.1075";

    /// What the shared criteria need, for `measure.list`'s "value sets imported".
    pub const SHARED: &[&str] = &[
        OFFICE_VISIT,
        ANNUAL_WELLNESS,
        PREVENTIVE_ESTABLISHED_18,
        PREVENTIVE_INITIAL_18,
        HOME_HEALTHCARE,
        VIRTUAL_ENCOUNTER,
        TELEPHONE_VISITS,
        ENCOUNTER_INPATIENT,
        HOSPICE_CARE_AMBULATORY,
        HOSPICE_ENCOUNTER,
        HOSPICE_DIAGNOSIS,
        PALLIATIVE_ENCOUNTER,
        PALLIATIVE_INTERVENTION,
        PALLIATIVE_DIAGNOSIS,
        ADVANCED_ILLNESS,
        DEMENTIA_MEDICATIONS,
        FRAILTY_DEVICE,
        FRAILTY_DIAGNOSIS,
        FRAILTY_ENCOUNTER,
        FRAILTY_SYMPTOM,
    ];
}

/// AdultOutpatientEncounters' "Qualifying Encounters": a performed adult outpatient visit
/// during the period.
pub fn qualifying_encounter(e: &Eval) -> Option<String> {
    let (from, to) = (e.mp.start(), e.mp.end());
    [
        ("office visit", vs::OFFICE_VISIT),
        ("annual wellness visit", vs::ANNUAL_WELLNESS),
        (
            "preventive visit, established",
            vs::PREVENTIVE_ESTABLISHED_18,
        ),
        ("preventive visit, initial", vs::PREVENTIVE_INITIAL_18),
        ("home health visit", vs::HOME_HEALTHCARE),
        ("virtual visit", vs::VIRTUAL_ENCOUNTER),
        ("telephone visit", vs::TELEPHONE_VISITS),
    ]
    .iter()
    .find_map(|(what, oid)| {
        e.encounters(oid)
            .find(|x| x.period.during(from, to))
            .map(|x| format!("{what} on {}", date(x.period.start)))
    })
}

/// Hospice's "Has Hospice Services" in the period.
pub fn hospice(e: &Eval) -> Option<String> {
    let (from, to) = (e.mp.start(), e.mp.end());
    let discharged = e.encounters(vs::ENCOUNTER_INPATIENT).find(|x| {
        (has_code(&x.discharge, SNOMED, "428361000124107")
            || has_code(&x.discharge, SNOMED, "428371000124100"))
            && x.period.ends_during(from, to)
    });
    if let Some(x) = discharged {
        return Some(format!(
            "discharged for hospice care on {}",
            date(x.period.end)
        ));
    }
    if let Some(x) = e
        .encounters(vs::HOSPICE_ENCOUNTER)
        .find(|x| x.period.overlaps(from, to))
    {
        return Some(format!("hospice encounter from {}", date(x.period.start)));
    }
    let yes = key(SNOMED, "373066001");
    if let Some(o) = e.assessments("45755-6").find(|o| {
        matches!(&o.value, Value::Codes(c) if c.contains(&yes)) && o.effective.overlaps(from, to)
    }) {
        return Some(format!(
            "hospice care assessment 'yes' on {}",
            date(o.effective.latest())
        ));
    }
    if let Some(r) = e
        .service_orders(vs::HOSPICE_CARE_AMBULATORY)
        .find(|r| r.authored.is_some_and(|d| d >= from && d <= to))
    {
        return Some(format!("hospice care ordered on {}", date(r.authored)));
    }
    if let Some(x) = e
        .procedures(vs::HOSPICE_CARE_AMBULATORY)
        .find(|x| x.performed.overlaps(from, to))
    {
        return Some(format!("hospice care from {}", date(x.performed.start)));
    }
    e.conditions(vs::HOSPICE_DIAGNOSIS)
        .find(|c| c.prevalence.overlaps(from, to))
        .map(|c| format!("hospice diagnosis from {}", date(c.prevalence.start)))
}

/// PalliativeCare's "Has Palliative Care in the Measurement Period".
pub fn palliative(e: &Eval) -> Option<String> {
    let (from, to) = (e.mp.start(), e.mp.end());
    if let Some(o) = e
        .assessments("71007-9")
        .find(|o| o.effective.overlaps(from, to))
    {
        return Some(format!(
            "palliative care assessment (FACIT-Pal) on {}",
            date(o.effective.latest())
        ));
    }
    if let Some(c) = e
        .conditions(vs::PALLIATIVE_DIAGNOSIS)
        .find(|c| c.prevalence.overlaps(from, to))
    {
        return Some(format!(
            "palliative care diagnosis from {}",
            date(c.prevalence.start)
        ));
    }
    if let Some(x) = e
        .encounters(vs::PALLIATIVE_ENCOUNTER)
        .find(|x| x.period.overlaps(from, to))
    {
        return Some(format!(
            "palliative care encounter on {}",
            date(x.period.start)
        ));
    }
    e.procedures(vs::PALLIATIVE_INTERVENTION)
        .find(|x| x.performed.overlaps(from, to))
        .map(|x| {
            format!(
                "palliative care intervention on {}",
                date(x.performed.start)
            )
        })
}

/// AdvancedIllnessandFrailty's "Has Criteria Indicating Frailty".
pub fn frailty(e: &Eval) -> Option<String> {
    let (from, to) = (e.mp.start(), e.mp.end());
    if let Some(r) = e.device_orders(vs::FRAILTY_DEVICE).find(|r| {
        r.do_not_perform != Some(true) && r.authored.is_some_and(|d| d >= from && d <= to)
    }) {
        return Some(format!("frailty device ordered on {}", date(r.authored)));
    }
    if let Some(o) = e.assessments("98181-1").find(|o| {
        matches!(&o.value, Value::Codes(c) if e.in_vs(vs::FRAILTY_DEVICE, c))
            && o.effective.ends_during(from, to)
    }) {
        return Some(format!(
            "frailty device in use on {}",
            date(o.effective.end)
        ));
    }
    if let Some(c) = e
        .conditions(vs::FRAILTY_DIAGNOSIS)
        .find(|c| c.prevalence.overlaps(from, to))
    {
        return Some(format!(
            "frailty diagnosis from {}",
            date(c.prevalence.start)
        ));
    }
    if let Some(x) = e
        .encounters(vs::FRAILTY_ENCOUNTER)
        .find(|x| x.period.overlaps(from, to))
    {
        return Some(format!("frailty encounter on {}", date(x.period.start)));
    }
    e.p.observations
        .iter()
        .find(|o| {
            matches!(
                o.status.as_deref(),
                Some("preliminary" | "final" | "amended" | "corrected")
            ) && e.in_vs(vs::FRAILTY_SYMPTOM, &o.codes)
                && o.effective.overlaps(from, to)
        })
        .map(|o| format!("frailty symptom on {}", date(o.effective.latest())))
}

/// Advanced illness starting in the year before or during the period, or dementia
/// medication active then.
pub fn advanced_illness(e: &Eval) -> Option<String> {
    let (from, to) = (e.mp.start_minus_years(1), e.mp.end());
    if let Some(c) = e
        .conditions(vs::ADVANCED_ILLNESS)
        .find(|c| c.prevalence.starts_during(from, to))
    {
        return Some(format!(
            "advanced illness from {}",
            date(c.prevalence.start)
        ));
    }
    e.medications_active(vs::DEMENTIA_MEDICATIONS)
        .find(|r| {
            r.period
                .is_some_and(|p| p.overlaps(from, to) && p.start.is_some() && p.end.is_some())
        })
        .map(|r| format!("dementia medication ordered on {}", date(r.authored)))
}

/// "Is Age 66 or Older with Advanced Illness and Frailty".
pub fn frail_with_advanced_illness(e: &Eval, min_age: i32, max_age: Option<i32>) -> Option<String> {
    let age = e.age_at_end()?;
    if age < min_age || max_age.is_some_and(|m| age > m) {
        return None;
    }
    let f = frailty(e)?;
    let a = advanced_illness(e)?;
    Some(format!("aged {age}, {f}, {a}"))
}

/// "Is Age 66 or Older Living Long Term in a Nursing Home": the last housing status
/// assessment by the end of the period says so.
pub fn nursing_home(e: &Eval) -> Option<String> {
    let age = e.age_at_end()?;
    if age < 66 {
        return None;
    }
    let to = e.mp.end();
    let last = e
        .assessments("71802-3")
        .filter(|o| o.effective.ends_by(to))
        .max_by_key(|o| o.effective.end)?;
    let home = key(SNOMED, "160734000");
    matches!(&last.value, Value::Codes(c) if c.contains(&home)).then(|| {
        format!(
            "aged {age}, lives in a nursing home (assessed {})",
            date(last.effective.end)
        )
    })
}
