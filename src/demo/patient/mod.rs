//! One synthetic patient: who they are, what they have, and years of visits, as the ledger
//! changes that would have recorded them.
//!
//! Everything about the patient's content comes from their own random stream and the
//! reference day, so the same seed and day give the same patient, and a patient does not
//! change when others are added. Only ids come from the practice's id source.

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use serde_json::{json, Value as Json};
use uuid::Uuid;

use super::clinical::{self as cl, cvx, Acute, Cond, Lab, Med};
use super::names::{self, Group};
use super::rng::Rng;
use crate::clock::{Clock, IdSource};
use crate::codes;
use crate::ledger::{Change, Op, Value};

// The parts of a patient, each in its own file; they share this module's types.
mod history;
mod note;
mod registration;
mod schedule;
mod visit;
use history::*;
use note::*;
use registration::*;
use schedule::*;
use visit::*;

/// Where the ids of new rows and changes come from.
pub struct Ids<'a> {
    pub ids: &'a dyn IdSource,
    pub clock: &'a dyn Clock,
    /// Who writes the charts, and signs their notes.
    pub author: Uuid,
}

impl Ids<'_> {
    pub fn next(&self) -> Uuid {
        self.ids.uuid_v7(self.clock.now_ms())
    }

    fn create(&self, entity: &str, row: Uuid, fields: Fields) -> Change {
        Change::new(self.next(), entity, row, Op::Create, fields.0, vec![])
    }
}

/// A record's field values as a change carries them; absent values are left out.
#[derive(Default)]
struct Fields(Vec<(String, Value)>);

impl Fields {
    fn text(&mut self, k: &str, v: impl Into<String>) -> &mut Self {
        self.0.push((k.to_string(), Value::Text(v.into())));
        self
    }
    fn opt(&mut self, k: &str, v: Option<impl Into<String>>) -> &mut Self {
        if let Some(v) = v {
            self.text(k, v);
        }
        self
    }
    fn id(&mut self, k: &str, v: Uuid) -> &mut Self {
        self.text(k, v.to_string())
    }
    fn real(&mut self, k: &str, v: f64) -> &mut Self {
        self.0.push((k.to_string(), Value::Real(v)));
        self
    }
    fn int(&mut self, k: &str, v: i64) -> &mut Self {
        self.0.push((k.to_string(), Value::Int(v)));
        self
    }
    fn bool(&mut self, k: &str, v: bool) -> &mut Self {
        self.0.push((k.to_string(), Value::Bool(v)));
        self
    }
    fn json(&mut self, k: &str, v: Json) -> &mut Self {
        self.text(k, v.to_string())
    }
}

/// What kind of chart to make.
#[derive(Debug, Clone, Copy)]
pub enum Profile {
    /// Anyone, as a practice's patients come.
    Typical,
    /// A patient with several chronic problems and years of follow-up: the one to open
    /// in a demo.
    Rich,
    /// One patient seen about every 12 days for `years` years: a heavy chart for benchmarks.
    Heavy { years: u32 },
}

/// One patient's changes: the registration with their history, then one list per visit.
pub struct Generated {
    pub patient: Uuid,
    pub registration: Vec<Change>,
    pub visits: Vec<Vec<Change>>,
    pub encounters: u64,
    pub observations: u64,
    pub notes: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sex {
    Female,
    Male,
}

impl Sex {
    fn name(self) -> &'static str {
        match self {
            Sex::Female => "female",
            Sex::Male => "male",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Tobacco {
    Never,
    Former { quit: NaiveDate, pack_years: i64 },
    Current { packs_per_day: f64 },
}

/// A problem on the list.
struct Problem {
    cond: Cond,
    onset: NaiveDate,
    resolved: Option<NaiveDate>,
    status: &'static str,
}

/// A prescription over time.
struct Rx {
    med: Med,
    start: NaiveDate,
    stop: Option<NaiveDate>,
    reason: &'static str,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    WellChild(u32),
    NewPatient,
    Physical,
    FollowUp,
    Telehealth,
    Acute(usize),
    Anticoagulation,
}

struct Visit {
    date: NaiveDate,
    /// Minutes after midnight.
    minute: u32,
    kind: Kind,
}

struct Shot {
    cvx: &'static str,
    date: NaiveDate,
    dose: Option<i64>,
    status: &'static str,
    reason: Option<&'static str>,
    /// The visit it was given at.
    visit: Option<usize>,
}

/// The person behind the chart.
struct Person {
    sex: Sex,
    birth: NaiveDate,
    group: &'static Group,
    family: String,
    given: Vec<String>,
    preferred: Option<String>,
    language: &'static str,
    join: NaiveDate,
    problems: Vec<Problem>,
    meds: Vec<Rx>,
    tobacco: Tobacco,
    alcohol: (&'static str, f64),
    adult_height: f64,
    bmi_base: f64,
    growth: f64,
    sbp_offset: f64,
    dbp_offset: f64,
    hr_offset: f64,
    bp_control: f64,
    a1c_target: f64,
    ldl_base: f64,
    hdl_base: f64,
    tg_base: f64,
    creatinine_base: f64,
    /// Indexes into [`cl::ALLERGENS`]; empty means no known allergies.
    allergies: Vec<usize>,
    avoid_penicillin: bool,
    vaccine_hesitant: bool,
    /// Seen every couple of weeks, with full vitals and frequent labs.
    heavy: bool,
}

fn ymd(d: NaiveDate) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day())
}

fn stamp(d: NaiveDate, minute: u32) -> String {
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:00Z",
        d.year(),
        d.month(),
        d.day(),
        minute / 60,
        minute % 60
    )
}

fn days(n: i64) -> Duration {
    Duration::days(n)
}

fn years(birth: NaiveDate, on: NaiveDate) -> f64 {
    (on - birth).num_days() as f64 / 365.25
}

fn at_age(birth: NaiveDate, age: f64) -> NaiveDate {
    birth + days((age * 365.25) as i64)
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
}

fn round(x: f64, decimals: i32) -> f64 {
    let f = 10f64.powi(decimals);
    (x * f).round() / f
}

/// A random day between two dates, inclusive (the first when they are reversed).
fn between(rng: &mut Rng, a: NaiveDate, b: NaiveDate) -> NaiveDate {
    if b <= a {
        return a;
    }
    a + days(rng.int(0, (b - a).num_days()))
}

/// Weekends move to the Friday before, never before `floor`.
fn weekday(d: NaiveDate, floor: NaiveDate) -> NaiveDate {
    let moved = match d.weekday() {
        Weekday::Sat => d - days(1),
        Weekday::Sun => d - days(2),
        _ => d,
    };
    moved.max(floor)
}

impl Person {
    fn age(&self, on: NaiveDate) -> f64 {
        years(self.birth, on)
    }

    fn has(&self, c: Cond, on: NaiveDate) -> bool {
        self.problems
            .iter()
            .any(|p| p.cond == c && p.onset <= on && p.resolved.is_none_or(|r| r > on))
    }

    fn on_med(&self, m: &Med, on: NaiveDate) -> bool {
        self.meds
            .iter()
            .any(|r| r.med.name == m.name && r.start <= on && r.stop.is_none_or(|s| s > on))
    }

    fn on_any(&self, ms: &[Med], on: NaiveDate) -> bool {
        ms.iter().any(|m| self.on_med(m, on))
    }

    fn female(&self) -> bool {
        self.sex == Sex::Female
    }

    fn active_chronic(&self, on: NaiveDate) -> Vec<Cond> {
        self.problems
            .iter()
            .filter(|p| p.onset <= on && p.resolved.is_none_or(|r| r > on))
            .map(|p| p.cond)
            .collect()
    }

    fn describe(&self, on: NaiveDate) -> String {
        let age = self.age(on);
        let (adult, child) = match self.sex {
            Sex::Female => ("woman", "girl"),
            Sex::Male => ("man", "boy"),
        };
        if age < 2.0 {
            let months = (age * 12.0).floor() as i64;
            if months < 1 {
                format!("{}-day-old {}", (on - self.birth).num_days(), child)
            } else {
                format!("{months}-month-old {child}")
            }
        } else if age < 18.0 {
            format!("{}-year-old {child}", age.floor())
        } else {
            format!("{}-year-old {adult}", age.floor())
        }
    }
}

/// Builds one patient.
pub fn generate(
    rng: &mut Rng,
    today: NaiveDate,
    ids: &Ids<'_>,
    mrn: &str,
    profile: Profile,
) -> Generated {
    let person = person(rng, today, profile);
    let patient = ids.next();
    let mut out = Generated {
        patient,
        registration: Vec::new(),
        visits: Vec::new(),
        encounters: 0,
        observations: 0,
        notes: 0,
    };
    let visits = schedule(rng, &person, today, profile);
    let shots = immunizations(rng, &person, today, &visits);
    registration(rng, &person, today, ids, mrn, &shots, &mut out);
    let mut sim = Sim::new(rng, &person);
    for (i, v) in visits.iter().enumerate() {
        let given: Vec<&Shot> = shots.iter().filter(|s| s.visit == Some(i)).collect();
        let last = i + 1 == visits.len();
        let changes = visit(
            rng, &person, today, ids, patient, v, &given, &mut sim, last, &mut out,
        );
        out.visits.push(changes);
    }
    out
}

fn person(rng: &mut Rng, today: NaiveDate, profile: Profile) -> Person {
    let sex = match profile {
        Profile::Typical => {
            if rng.chance(0.51) {
                Sex::Female
            } else {
                Sex::Male
            }
        }
        Profile::Rich => Sex::Female,
        Profile::Heavy { .. } => Sex::Male,
    };
    let age = match profile {
        Profile::Typical => {
            const BANDS: &[((f64, f64), f64)] = &[
                ((0.0, 2.0), 4.0),
                ((2.0, 12.0), 10.0),
                ((12.0, 18.0), 7.0),
                ((18.0, 30.0), 14.0),
                ((30.0, 45.0), 19.0),
                ((45.0, 65.0), 26.0),
                ((65.0, 80.0), 15.0),
                ((80.0, 96.0), 5.0),
            ];
            let (lo, hi) = *rng.weighted(BANDS);
            rng.uniform(lo, hi)
        }
        Profile::Rich => rng.uniform(58.0, 66.0),
        Profile::Heavy { years } => 58.0 + years as f64 + rng.uniform(0.0, 4.0),
    };
    let birth = (today - days((age * 365.25) as i64)).min(today - days(2));
    let weights: Vec<(usize, f64)> = names::GROUPS
        .iter()
        .enumerate()
        .map(|(i, g)| (i, g.weight))
        .collect();
    let group = &names::GROUPS[*rng.weighted(&weights)];
    let fi = rng.below(group.family.len());
    let family = match (sex, group.family_female) {
        (Sex::Female, Some(f)) => f[fi],
        _ => group.family[fi],
    }
    .to_string();
    let firsts = match sex {
        Sex::Female => group.female,
        Sex::Male => group.male,
    };
    let first = *rng.pick(firsts);
    let mut given = vec![first.to_string()];
    if rng.chance(0.45) {
        let middle = *rng.pick(firsts);
        if middle != first {
            given.push(middle.to_string());
        }
    }
    let now_age = years(birth, today);
    let preferred = if let Some((_, nick)) = names::NICKNAMES
        .iter()
        .find(|(n, _)| *n == first)
        .filter(|_| rng.chance(0.4))
    {
        Some(nick.to_string())
    } else if group.english_preferred && now_age >= 16.0 && rng.chance(0.3) {
        let list = match sex {
            Sex::Female => names::ENGLISH_FEMALE,
            Sex::Male => names::ENGLISH_MALE,
        };
        Some(rng.pick(list).to_string())
    } else {
        None
    };
    let mut language = "en";
    let mut roll = rng.unit();
    let scale = if now_age > 50.0 { 1.4 } else { 1.0 };
    for (code, p) in group.languages {
        if roll < p * scale {
            language = code;
            break;
        }
        roll -= p * scale;
    }
    let tenure = match profile {
        Profile::Typical => {
            if rng.chance(0.15) {
                rng.uniform(0.05, 1.0)
            } else {
                rng.exp(3.5).min(12.0)
            }
        }
        Profile::Rich => rng.uniform(7.0, 9.0),
        Profile::Heavy { years } => years as f64,
    };
    let join = (today - days((tenure * 365.25) as i64))
        .max(birth + days(rng.int(3, 5)))
        .min(today - days(1));
    let adult_height = match sex {
        Sex::Female => rng.normal(163.0, 6.5),
        Sex::Male => rng.normal(176.0, 7.0),
    }
    .clamp(140.0, 205.0);
    let bmi_base = match profile {
        Profile::Typical => (rng.normal(27.5, 5.5)).clamp(17.5, 52.0),
        _ => rng.uniform(31.0, 35.0),
    };
    let tobacco = if now_age < 16.0 {
        Tobacco::Never
    } else {
        let r = rng.unit();
        if r < 0.12 {
            Tobacco::Current {
                packs_per_day: *rng.pick(&[0.25, 0.5, 0.5, 1.0, 1.0, 1.5]),
            }
        } else if r < 0.34 && now_age > 25.0 {
            let quit = between(
                rng,
                at_age(birth, 22.0).max(today - days(40 * 365)),
                today - days(60),
            );
            Tobacco::Former {
                quit,
                pack_years: rng.int(2, 40),
            }
        } else {
            Tobacco::Never
        }
    };
    let alcohol = if now_age < 18.0 {
        ("none", 0.0)
    } else {
        *rng.weighted(&[
            (("none", 0.0), 33.0),
            (("occasional", 1.0), 35.0),
            (("moderate", 5.0), 26.0),
            (("heavy", 18.0), 6.0),
        ])
    };
    let alcohol = (
        alcohol.0,
        if alcohol.1 > 0.0 {
            (alcohol.1 * rng.uniform(0.6, 1.6)).round()
        } else {
            0.0
        },
    );
    let mut p = Person {
        sex,
        birth,
        group,
        family,
        given,
        preferred,
        language,
        join,
        problems: Vec::new(),
        meds: Vec::new(),
        tobacco,
        alcohol,
        adult_height,
        bmi_base,
        growth: rng.normal(0.0, 1.0).clamp(-2.5, 2.5),
        sbp_offset: rng.normal(0.0, 6.0),
        dbp_offset: rng.normal(0.0, 4.0),
        hr_offset: rng.normal(0.0, 6.0),
        bp_control: if rng.chance(0.25) {
            rng.uniform(8.0, 16.0)
        } else {
            rng.uniform(0.0, 6.0)
        },
        a1c_target: rng.normal(7.2, 0.6).clamp(6.2, 9.5),
        ldl_base: rng.normal(118.0, 22.0).clamp(60.0, 190.0),
        hdl_base: match sex {
            Sex::Female => rng.normal(60.0, 11.0),
            Sex::Male => rng.normal(47.0, 9.0),
        }
        .clamp(28.0, 100.0),
        tg_base: rng.normal(120.0, 40.0).clamp(45.0, 400.0),
        creatinine_base: match sex {
            Sex::Female => rng.normal(0.76, 0.09),
            Sex::Male => rng.normal(0.98, 0.11),
        }
        .clamp(0.5, 1.3),
        allergies: Vec::new(),
        avoid_penicillin: false,
        vaccine_hesitant: rng.chance(0.04),
        heavy: matches!(profile, Profile::Heavy { .. }),
    };
    let allergic = match profile {
        Profile::Typical => rng.chance(if now_age < 2.0 { 0.05 } else { 0.38 }),
        _ => true,
    };
    if allergic {
        let n = match profile {
            Profile::Typical => *rng.weighted(&[(1usize, 70.0), (2, 22.0), (3, 8.0)]),
            _ => 2,
        };
        if !matches!(profile, Profile::Typical) {
            p.allergies.push(0);
        }
        while p.allergies.len() < n {
            let weights: Vec<(usize, f64)> = cl::ALLERGENS
                .iter()
                .enumerate()
                .filter(|(i, _)| !p.allergies.contains(i))
                .map(|(i, a)| {
                    (
                        i,
                        if a.category == "food" && now_age < 18.0 {
                            a.weight * 2.0
                        } else {
                            a.weight
                        },
                    )
                })
                .collect();
            p.allergies.push(*rng.weighted(&weights));
        }
        p.avoid_penicillin = p
            .allergies
            .iter()
            .any(|i| matches!(cl::ALLERGENS[*i].substance, "Penicillin" | "Amoxicillin"));
    }
    problems(rng, &mut p, today, profile);
    medications(rng, &mut p, today);
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day() -> NaiveDate {
        date(2026, 11, 1)
    }

    #[test]
    fn adults_have_a_first_visit_when_they_join() {
        let mut first = 0;
        let mut adults = 0;
        for i in 0..200 {
            let mut rng = Rng::new(1, i);
            let p = person(&mut rng, day(), Profile::Typical);
            let visits = schedule(&mut rng, &p, day(), Profile::Typical);
            if p.age(p.join) >= 18.0 {
                adults += 1;
                if visits
                    .first()
                    .is_some_and(|v| v.kind == Kind::NewPatient && v.date == p.join)
                {
                    first += 1;
                }
                assert!(
                    !visits.iter().any(|v| matches!(v.kind, Kind::WellChild(_))),
                    "an adult at a well-child visit"
                );
            }
        }
        assert!(first * 10 >= adults * 9, "{first} of {adults}");
    }
}
