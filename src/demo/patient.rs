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

/// Where the ids of new rows and changes come from.
pub struct Ids<'a> {
    pub ids: &'a dyn IdSource,
    pub clock: &'a dyn Clock,
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

/// Onset of a chronic problem: some years back, not before `min_age`.
fn onset(rng: &mut Rng, p: &Person, today: NaiveDate, min_age: f64, mean_years: f64) -> NaiveDate {
    let age = p.age(today);
    let back = rng.exp(mean_years).min((age - min_age).max(0.0));
    let d = at_age(p.birth, age - back);
    d.min(today - days(20)).max(p.birth + days(1))
}

fn problems(rng: &mut Rng, p: &mut Person, today: NaiveDate, profile: Profile) {
    let age = p.age(today);
    let female = p.female();
    let smoker = !matches!(p.tobacco, Tobacco::Never);
    let obese = p.bmi_base >= 30.0;
    let forced: &[Cond] = match profile {
        Profile::Typical => &[],
        Profile::Rich => &[
            Cond::Diabetes,
            Cond::Hypertension,
            Cond::Hyperlipidemia,
            Cond::Obesity,
            Cond::Anxiety,
        ],
        Profile::Heavy { .. } => &[
            Cond::Diabetes,
            Cond::Hypertension,
            Cond::Hyperlipidemia,
            Cond::Ckd,
            Cond::HeartFailure,
            Cond::Afib,
            Cond::Obesity,
            Cond::Gerd,
        ],
    };
    let add = |rng: &mut Rng, p: &mut Person, c: Cond, min_age: f64, mean: f64| {
        let onset = match profile {
            Profile::Rich => between(rng, today - days(9 * 365), today - days(4 * 365)),
            Profile::Heavy { years } => {
                let start = today - days(years as i64 * 365 + rng.int(200, 2000));
                start.max(p.birth + days(1))
            }
            _ => onset(rng, p, today, min_age, mean),
        };
        p.problems.push(Problem {
            cond: c,
            onset,
            resolved: None,
            status: "active",
        });
    };
    for c in Cond::ALL {
        let chance = if forced.contains(&c) {
            1.0
        } else if !matches!(profile, Profile::Typical) {
            0.0
        } else {
            let has = |p: &Person, c: Cond| p.problems.iter().any(|x| x.cond == c);
            match c {
                Cond::Obesity if age >= 12.0 && obese => 0.6,
                Cond::Prediabetes if age >= 30.0 => {
                    if obese {
                        0.15
                    } else {
                        0.06
                    }
                }
                Cond::Diabetes if age >= 30.0 && !has(p, Cond::Prediabetes) => {
                    (if age >= 60.0 {
                        0.2
                    } else if age >= 45.0 {
                        0.11
                    } else {
                        0.04
                    }) * if obese { 1.8 } else { 0.8 }
                }
                Cond::Hypertension if age >= 25.0 => {
                    (if age >= 65.0 {
                        0.58
                    } else if age >= 45.0 {
                        0.32
                    } else {
                        0.09
                    }) * if obese { 1.3 } else { 1.0 }
                }
                Cond::Hyperlipidemia if age >= 30.0 => {
                    if age >= 60.0 {
                        0.42
                    } else if age >= 45.0 {
                        0.28
                    } else {
                        0.08
                    }
                }
                Cond::Ckd
                    if age >= 50.0 && (has(p, Cond::Diabetes) || has(p, Cond::Hypertension)) =>
                {
                    0.18
                }
                Cond::Cad if age >= 50.0 => {
                    (if age >= 70.0 { 0.14 } else { 0.06 })
                        * if female { 0.6 } else { 1.2 }
                        * if smoker { 1.6 } else { 1.0 }
                }
                Cond::HeartFailure
                    if age >= 60.0 && (has(p, Cond::Cad) || has(p, Cond::Hypertension)) =>
                {
                    0.08
                }
                Cond::Afib if age >= 65.0 => {
                    if age >= 80.0 {
                        0.12
                    } else {
                        0.06
                    }
                }
                Cond::Copd if age >= 45.0 && smoker => 0.18,
                Cond::Asthma if age >= 4.0 => 0.08,
                Cond::Anxiety if (12.0..85.0).contains(&age) => {
                    if female {
                        0.09
                    } else {
                        0.05
                    }
                }
                Cond::Depression if (14.0..90.0).contains(&age) => {
                    if female {
                        0.1
                    } else {
                        0.06
                    }
                }
                Cond::Hypothyroid if age >= 25.0 => {
                    if female {
                        0.08
                    } else {
                        0.02
                    }
                }
                Cond::Gerd if age >= 25.0 => 0.1,
                Cond::KneeOa if age >= 55.0 => 0.1,
                Cond::Osteoporosis if female && age >= 60.0 => 0.16,
                Cond::AllergicRhinitis if (4.0..75.0).contains(&age) => 0.11,
                Cond::Migraine if (12.0..60.0).contains(&age) => {
                    if female {
                        0.12
                    } else {
                        0.04
                    }
                }
                Cond::BackPain if (20.0..80.0).contains(&age) => 0.06,
                Cond::VitaminD if age >= 18.0 => 0.05,
                Cond::Adhd if (6.0..30.0).contains(&age) => {
                    if female {
                        0.04
                    } else {
                        0.08
                    }
                }
                Cond::Eczema if (0.3..18.0).contains(&age) => 0.1,
                Cond::Pcos if female && (16.0..46.0).contains(&age) => 0.05,
                Cond::Menopause if female && (47.0..59.0).contains(&age) => 0.25,
                Cond::Gout if !female && age >= 40.0 => 0.04,
                Cond::Bph if !female && age >= 55.0 => 0.2,
                Cond::Osa if age >= 35.0 && p.bmi_base >= 32.0 => 0.16,
                _ => 0.0,
            }
        };
        if chance > 0.0 && rng.chance(chance) {
            let (min_age, mean) = match c {
                Cond::Asthma => (3.0, 12.0),
                Cond::Eczema => (0.3, 3.0),
                Cond::Adhd => (6.0, 4.0),
                Cond::Migraine | Cond::Anxiety | Cond::Depression => (12.0, 8.0),
                Cond::AllergicRhinitis => (4.0, 10.0),
                Cond::Menopause => (47.0, 2.0),
                Cond::Pcos => (16.0, 5.0),
                Cond::Obesity => (12.0, 8.0),
                _ => (25.0, 7.0),
            };
            add(rng, p, c, min_age, mean);
        }
    }
    // Some problems settle.
    for prob in &mut p.problems {
        let settle = match (profile, prob.cond) {
            (Profile::Typical, Cond::BackPain) => 0.5,
            (Profile::Typical, Cond::VitaminD) => 0.4,
            (Profile::Typical, Cond::Eczema) if age > 12.0 => 0.4,
            (Profile::Typical, Cond::Depression) => 0.2,
            _ => 0.0,
        };
        if settle > 0.0 && rng.chance(settle) {
            let end = prob.onset + days(rng.int(60, 400));
            if end < today - days(7) {
                if prob.cond == Cond::Depression {
                    prob.status = "remission";
                } else {
                    prob.resolved = Some(end);
                    prob.status = "resolved";
                }
            }
        }
    }
    // A past smoker carries the history on the problem list; it is coded separately.
}

/// The prescriptions that go with the problems, with dose changes over time.
fn medications(rng: &mut Rng, p: &mut Person, today: NaiveDate) {
    let mut rx: Vec<Rx> = Vec::new();
    let start_of =
        |rng: &mut Rng, onset: NaiveDate| (onset + days(rng.int(0, 30))).min(today - days(1));
    // Titrate: the first medicine is stopped part-way and a stronger dose continues.
    let titrate = |rng: &mut Rng,
                   rx: &mut Vec<Rx>,
                   first: Med,
                   then: Med,
                   start: NaiveDate,
                   reason: &'static str| {
        let span = (today - start).num_days();
        if span > 240 && rng.chance(0.35) {
            let switch = start + days(rng.int(90, span - 30));
            rx.push(Rx {
                med: first,
                start,
                stop: Some(switch),
                reason,
            });
            rx.push(Rx {
                med: then,
                start: switch,
                stop: None,
                reason,
            });
        } else {
            rx.push(Rx {
                med: first,
                start,
                stop: None,
                reason,
            });
        }
    };
    let age = p.age(today);
    let conds: Vec<(Cond, NaiveDate, Option<NaiveDate>)> = p
        .problems
        .iter()
        .map(|x| (x.cond, x.onset, x.resolved))
        .collect();
    for (c, onset, resolved) in conds {
        let s = start_of(rng, onset);
        let reason = c.short();
        match c {
            Cond::Diabetes => {
                titrate(
                    rng,
                    &mut rx,
                    cl::METFORMIN_500,
                    cl::METFORMIN_1000,
                    s,
                    reason,
                );
                if p.a1c_target > 7.6 || rng.chance(0.25) {
                    let add = *rng.pick(&[cl::EMPAGLIFLOZIN, cl::SEMAGLUTIDE, cl::GLARGINE]);
                    let later = (s + days(rng.int(120, 900))).min(today - days(1));
                    rx.push(Rx {
                        med: add,
                        start: later,
                        stop: None,
                        reason,
                    });
                }
            }
            Cond::Hypertension => {
                let ace = if rng.chance(0.15) {
                    cl::LOSARTAN
                } else {
                    cl::LISINOPRIL_10
                };
                if ace.name == cl::LISINOPRIL_10.name {
                    titrate(
                        rng,
                        &mut rx,
                        cl::LISINOPRIL_10,
                        cl::LISINOPRIL_20,
                        s,
                        reason,
                    );
                } else {
                    rx.push(Rx {
                        med: ace,
                        start: s,
                        stop: None,
                        reason,
                    });
                }
                if rng.chance(0.45) {
                    let second = if rng.chance(0.6) {
                        cl::AMLODIPINE_5
                    } else {
                        cl::HCTZ
                    };
                    let later = (s + days(rng.int(60, 700))).min(today - days(1));
                    if second.name == cl::AMLODIPINE_5.name {
                        titrate(
                            rng,
                            &mut rx,
                            cl::AMLODIPINE_5,
                            cl::AMLODIPINE_10,
                            later,
                            reason,
                        );
                    } else {
                        rx.push(Rx {
                            med: second,
                            start: later,
                            stop: None,
                            reason,
                        });
                    }
                }
            }
            Cond::Hyperlipidemia => {
                if rng.chance(0.15) {
                    rx.push(Rx {
                        med: cl::ROSUVASTATIN,
                        start: s,
                        stop: None,
                        reason,
                    });
                } else {
                    titrate(
                        rng,
                        &mut rx,
                        cl::ATORVASTATIN_20,
                        cl::ATORVASTATIN_40,
                        s,
                        reason,
                    );
                }
            }
            Cond::Cad => {
                rx.push(Rx {
                    med: cl::ASPIRIN_81,
                    start: s,
                    stop: None,
                    reason,
                });
                rx.push(Rx {
                    med: cl::METOPROLOL,
                    start: s,
                    stop: None,
                    reason,
                });
                if !p.problems.iter().any(|x| x.cond == Cond::Hyperlipidemia) {
                    rx.push(Rx {
                        med: cl::ATORVASTATIN_80,
                        start: s,
                        stop: None,
                        reason,
                    });
                }
            }
            Cond::HeartFailure => {
                rx.push(Rx {
                    med: cl::FUROSEMIDE,
                    start: s,
                    stop: None,
                    reason,
                });
                rx.push(Rx {
                    med: cl::CARVEDILOL,
                    start: s,
                    stop: None,
                    reason,
                });
            }
            Cond::Afib => {
                let heart_failure = p.problems.iter().any(|x| x.cond == Cond::HeartFailure);
                let anticoag = if rng.chance(0.3) || heart_failure && age > 70.0 {
                    cl::WARFARIN
                } else {
                    cl::APIXABAN
                };
                rx.push(Rx {
                    med: anticoag,
                    start: s,
                    stop: None,
                    reason,
                });
                if !rx
                    .iter()
                    .any(|r| r.med.name == cl::METOPROLOL.name || r.med.name == cl::CARVEDILOL.name)
                {
                    rx.push(Rx {
                        med: cl::METOPROLOL,
                        start: s,
                        stop: None,
                        reason,
                    });
                }
            }
            Cond::Copd => {
                rx.push(Rx {
                    med: cl::TIOTROPIUM,
                    start: s,
                    stop: None,
                    reason,
                });
                rx.push(Rx {
                    med: cl::ALBUTEROL,
                    start: s,
                    stop: None,
                    reason,
                });
            }
            Cond::Asthma => {
                rx.push(Rx {
                    med: cl::ALBUTEROL,
                    start: s,
                    stop: None,
                    reason,
                });
                if rng.chance(0.4) {
                    rx.push(Rx {
                        med: cl::FLUTICASONE_INH,
                        start: s,
                        stop: None,
                        reason,
                    });
                }
            }
            Cond::Anxiety | Cond::Depression => {
                let choice = match c {
                    Cond::Anxiety => *rng.pick(&[cl::SERTRALINE, cl::ESCITALOPRAM, cl::BUSPIRONE]),
                    _ => *rng.pick(&[cl::SERTRALINE, cl::FLUOXETINE, cl::BUPROPION]),
                };
                if !rx.iter().any(|r| r.med.name == choice.name) {
                    let stop = resolved.or_else(|| {
                        (rng.chance(0.15) && (today - s).num_days() > 200)
                            .then(|| s + days(rng.int(120, (today - s).num_days() - 10)))
                    });
                    rx.push(Rx {
                        med: choice,
                        start: s,
                        stop,
                        reason,
                    });
                }
            }
            Cond::Hypothyroid => {
                let m = cl::LEVOTHYROXINE[rng.below(3)];
                titrate(rng, &mut rx, m, cl::LEVOTHYROXINE[3], s, reason);
            }
            Cond::Gerd => {
                let m = if rng.chance(0.7) {
                    cl::OMEPRAZOLE
                } else {
                    cl::FAMOTIDINE
                };
                rx.push(Rx {
                    med: m,
                    start: s,
                    stop: None,
                    reason,
                });
            }
            Cond::KneeOa => {
                rx.push(Rx {
                    med: cl::ACETAMINOPHEN,
                    start: s,
                    stop: None,
                    reason,
                });
                let nsaid_ok = !p
                    .problems
                    .iter()
                    .any(|x| matches!(x.cond, Cond::Ckd | Cond::HeartFailure | Cond::Afib));
                if nsaid_ok && rng.chance(0.4) {
                    rx.push(Rx {
                        med: cl::MELOXICAM,
                        start: s,
                        stop: None,
                        reason,
                    });
                } else {
                    rx.push(Rx {
                        med: cl::DICLOFENAC_GEL,
                        start: s,
                        stop: None,
                        reason,
                    });
                }
            }
            Cond::Osteoporosis => {
                rx.push(Rx {
                    med: cl::ALENDRONATE,
                    start: s,
                    stop: None,
                    reason,
                });
                rx.push(Rx {
                    med: cl::VITAMIN_D3,
                    start: s,
                    stop: None,
                    reason,
                });
            }
            Cond::AllergicRhinitis => {
                rx.push(Rx {
                    med: cl::CETIRIZINE,
                    start: s,
                    stop: None,
                    reason,
                });
                if rng.chance(0.5) {
                    rx.push(Rx {
                        med: cl::FLUTICASONE_NASAL,
                        start: s,
                        stop: None,
                        reason,
                    });
                }
            }
            Cond::Migraine if age >= 12.0 => rx.push(Rx {
                med: cl::SUMATRIPTAN,
                start: s,
                stop: None,
                reason,
            }),
            Cond::BackPain => {
                let stop = resolved.unwrap_or(s + days(30)).min(today - days(1)).max(s);
                rx.push(Rx {
                    med: cl::IBUPROFEN,
                    start: s,
                    stop: Some(stop),
                    reason,
                });
                if rng.chance(0.4) {
                    rx.push(Rx {
                        med: cl::CYCLOBENZAPRINE,
                        start: s,
                        stop: Some(stop),
                        reason,
                    });
                }
            }
            Cond::VitaminD => {
                let stop = (s + days(56)).min(today - days(1)).max(s);
                rx.push(Rx {
                    med: cl::VITAMIN_D2,
                    start: s,
                    stop: Some(stop),
                    reason,
                });
                rx.push(Rx {
                    med: cl::VITAMIN_D3,
                    start: stop,
                    stop: None,
                    reason,
                });
            }
            Cond::Adhd => rx.push(Rx {
                med: cl::METHYLPHENIDATE,
                start: s,
                stop: None,
                reason,
            }),
            Cond::Eczema => rx.push(Rx {
                med: cl::HYDROCORTISONE,
                start: s,
                stop: resolved,
                reason,
            }),
            Cond::Pcos => rx.push(Rx {
                med: cl::METFORMIN_500,
                start: s,
                stop: None,
                reason,
            }),
            Cond::Gout => rx.push(Rx {
                med: cl::ALLOPURINOL,
                start: s,
                stop: None,
                reason,
            }),
            Cond::Bph => rx.push(Rx {
                med: cl::TAMSULOSIN,
                start: s,
                stop: None,
                reason,
            }),
            _ => {}
        }
    }
    // One active entry per medicine name: a later duplicate (metformin for PCOS and
    // diabetes) is dropped.
    let mut seen: Vec<&str> = Vec::new();
    rx.retain(|r| {
        let key = r.med.name;
        if r.stop.is_none() && seen.contains(&key) {
            return false;
        }
        if r.stop.is_none() {
            seen.push(key);
        }
        true
    });
    p.meds = rx;
}

/// When the patient is seen, from joining the practice to yesterday.
fn schedule(rng: &mut Rng, p: &Person, today: NaiveDate, profile: Profile) -> Vec<Visit> {
    let last = today - days(1);
    let mut out: Vec<Visit> = Vec::new();
    let mut push = |rng: &mut Rng, d: NaiveDate, kind: Kind| {
        // Weekends move to Friday, unless that is before the patient joined.
        let moved = weekday(d, p.birth);
        let d = if moved < p.join { d } else { moved };
        if d <= last && d >= p.join {
            let minute = 8 * 60 + 20 * rng.int(0, 26) as u32;
            out.push(Visit {
                date: d,
                minute,
                kind,
            });
        }
    };
    if let Profile::Heavy { years } = profile {
        let span = (last - p.join).num_days().max(1);
        let n = (years as i64 * 30).max(1);
        let step = span as f64 / n as f64;
        for i in 0..n {
            let d = p.join + days((i as f64 * step) as i64 + rng.int(0, (step as i64 - 1).max(0)));
            let kind = if i % 26 == 0 {
                Kind::Physical
            } else if i % 3 == 0 {
                Kind::Anticoagulation
            } else if rng.chance(0.04) {
                Kind::Acute(pick_acute(rng, p, d))
            } else {
                Kind::FollowUp
            };
            push(rng, d, kind);
        }
    } else {
        // Well-child visits, months of age; the ones with vaccines are never missed.
        const MILESTONES: &[u32] = &[
            0, 1, 2, 4, 6, 9, 12, 15, 18, 24, 30, 36, 48, 60, 72, 84, 96, 108, 120, 132, 144, 156,
            168, 180, 192, 204,
        ];
        for &m in MILESTONES {
            let d = if m == 0 {
                p.birth + days(rng.int(3, 5))
            } else {
                p.birth + days((m as f64 * 30.44) as i64 + rng.int(0, 10))
            };
            let must = matches!(m, 0 | 1 | 2 | 4 | 6 | 12 | 15 | 18 | 48 | 132 | 192);
            if must || rng.chance(if m <= 36 { 0.9 } else { 0.75 }) {
                push(rng, d, Kind::WellChild(m));
            }
        }
        // Children who join after birth have a first visit too.
        if p.join > p.birth + days(30) && p.age(p.join) < 18.0 {
            push(rng, p.join, Kind::NewPatient);
        }
        // Adults: a first visit, then physicals about yearly.
        let adult_from = at_age(p.birth, 18.0).max(p.join);
        if adult_from <= last {
            push(rng, adult_from, Kind::NewPatient);
            let mut t = adult_from;
            loop {
                t += days(365 + rng.int(-45, 60));
                if t > last {
                    break;
                }
                let attend = if p.age(t) >= 65.0 { 0.75 } else { 0.55 };
                if rng.chance(attend) {
                    push(rng, t, Kind::Physical);
                }
            }
        }
        // Follow-up of chronic problems.
        let first = p
            .problems
            .iter()
            .filter(|x| x.cond.follow_up_months() > 0)
            .map(|x| x.onset)
            .min();
        if let Some(first) = first {
            let mut t = first.max(p.join);
            loop {
                let months = p
                    .active_chronic(t)
                    .iter()
                    .map(|c| c.follow_up_months())
                    .filter(|m| *m > 0)
                    .min();
                let Some(months) = months else {
                    t += days(90);
                    if t > last {
                        break;
                    }
                    continue;
                };
                t += days(months as i64 * 30 + rng.int(-14, 21));
                if t > last {
                    break;
                }
                if rng.chance(0.85) {
                    let tele = t >= date(2020, 4, 1) && rng.chance(0.12);
                    push(
                        rng,
                        t,
                        if tele {
                            Kind::Telehealth
                        } else {
                            Kind::FollowUp
                        },
                    );
                }
            }
        }
        // Warfarin needs INR checks.
        if let Some(w) = p.meds.iter().find(|r| r.med.name == cl::WARFARIN.name) {
            let mut t = w.start.max(p.join);
            loop {
                t += days(42 + rng.int(-5, 10));
                if t > last {
                    break;
                }
                push(rng, t, Kind::Anticoagulation);
            }
        }
        // Sick visits.
        let mut t = p.join;
        loop {
            let age = p.age(t);
            let rate = if age < 2.0 {
                1.4
            } else if age < 6.0 {
                1.0
            } else if age < 18.0 {
                0.5
            } else if age < 65.0 {
                0.3
            } else {
                0.45
            };
            t += days((rng.exp(1.0 / rate) * 365.25) as i64 + 1);
            if t > last {
                break;
            }
            let a = pick_acute(rng, p, t);
            push(rng, t, Kind::Acute(a));
        }
    }
    out.sort_by_key(|v| (v.date, v.minute));
    out.dedup_by(|b, a| a.date == b.date);
    out
}

fn pick_acute(rng: &mut Rng, p: &Person, on: NaiveDate) -> usize {
    let age = p.age(on);
    let sex = p.sex.name();
    let options: Vec<(usize, f64)> = cl::ACUTE
        .iter()
        .enumerate()
        .filter(|(_, a)| age >= a.min_age && age < a.max_age && a.sex.is_none_or(|s| s == sex))
        .map(|(i, a)| (i, a.weight))
        .collect();
    if options.is_empty() {
        return 0;
    }
    *rng.weighted(&options)
}

/// Vaccines: the childhood series, adolescent and adult vaccines, flu seasons. Doses given
/// at a visit of this practice are recorded with that visit.
fn immunizations(rng: &mut Rng, p: &Person, today: NaiveDate, visits: &[Visit]) -> Vec<Shot> {
    let last = today - days(1);
    let mut out: Vec<Shot> = Vec::new();
    let well_child = |m: u32| visits.iter().position(|v| v.kind == Kind::WellChild(m));
    let give = |out: &mut Vec<Shot>,
                rng: &mut Rng,
                cvx: &'static str,
                d: NaiveDate,
                dose: Option<i64>,
                visit: Option<usize>| {
        if d > last || d < p.birth {
            return;
        }
        let at_practice = d >= p.join;
        let refused = at_practice
            && p.vaccine_hesitant
            && matches!(
                cvx,
                cl::cvx::HPV9 | cl::cvx::FLU_QUAD | cl::cvx::FLU_TRI | cl::cvx::FLU_PED_QUAD
            )
            && rng.chance(0.7);
        out.push(Shot {
            cvx,
            date: d,
            dose,
            status: if refused {
                "refused"
            } else if at_practice {
                "completed"
            } else {
                "historical"
            },
            reason: refused.then_some(if p.age(d) < 18.0 {
                "Parent declined after counseling"
            } else {
                "Patient declined"
            }),
            visit: if at_practice { visit } else { None },
        });
    };
    let childhood = p.birth > today - days(22 * 365);
    if childhood {
        let series: &[(u32, &[(&str, i64)])] = &[
            (0, &[(cvx::HEPB_PED, 1)]),
            (1, &[(cvx::HEPB_PED, 2)]),
            (
                2,
                &[
                    (cvx::DTAP, 1),
                    (cvx::IPV, 1),
                    (cvx::HIB, 1),
                    ("PCV", 1),
                    (cvx::ROTAVIRUS, 1),
                ],
            ),
            (
                4,
                &[
                    (cvx::DTAP, 2),
                    (cvx::IPV, 2),
                    (cvx::HIB, 2),
                    ("PCV", 2),
                    (cvx::ROTAVIRUS, 2),
                ],
            ),
            (
                6,
                &[
                    (cvx::DTAP, 3),
                    (cvx::IPV, 3),
                    (cvx::HEPB_PED, 3),
                    ("PCV", 3),
                    (cvx::ROTAVIRUS, 3),
                ],
            ),
            (
                12,
                &[
                    (cvx::MMR, 1),
                    (cvx::VARICELLA, 1),
                    (cvx::HEPA_PED, 1),
                    (cvx::HIB, 3),
                    ("PCV", 4),
                ],
            ),
            (15, &[(cvx::DTAP, 4)]),
            (18, &[(cvx::HEPA_PED, 2)]),
            (
                48,
                &[(cvx::DTAP_IPV, 5), (cvx::MMR, 2), (cvx::VARICELLA, 2)],
            ),
            (132, &[(cvx::TDAP, 1), ("HPV", 1), ("MEN", 1)]),
            (144, &[("HPV", 2)]),
            (192, &[("MEN", 2)]),
        ];
        for (m, doses) in series {
            let visit = well_child(*m);
            let d = match visit {
                Some(i) => visits[i].date,
                None if *m == 0 => p.birth,
                None => p.birth + days((*m as f64 * 30.44) as i64 + rng.int(0, 14)),
            };
            for (code, dose) in doses.iter() {
                let code: &'static str = match *code {
                    "PCV" if d < date(2010, 3, 1) => cvx::PCV7,
                    "PCV" if d < date(2023, 6, 1) => cvx::PCV13,
                    "PCV" => cvx::PCV20,
                    "HPV" if d < date(2006, 6, 1) => continue,
                    "HPV" if d < date(2015, 1, 1) => cvx::HPV4,
                    "HPV" => cvx::HPV9,
                    "MEN" if d < date(2005, 6, 1) => continue,
                    "MEN" if d < date(2020, 6, 1) => cvx::MENACWY,
                    "MEN" => cvx::MENACWY_TT,
                    c if c == cvx::ROTAVIRUS && d < date(2006, 3, 1) => continue,
                    c if c == cvx::HEPA_PED && d < date(2006, 6, 1) => continue,
                    c if c == cvx::TDAP && d < date(2005, 6, 1) => continue,
                    c if c == cvx::HEPB_PED && *m == 0 => {
                        // The birth dose is given in hospital.
                        give(&mut out, rng, c, p.birth, Some(1), None);
                        if let Some(s) = out.last_mut() {
                            s.status = "historical";
                        }
                        continue;
                    }
                    c => c,
                };
                give(&mut out, rng, code, d, Some(*dose), visit);
            }
        }
    }
    // Flu, every season the patient was with the practice (and some before).
    let first_season = p.join.year().max(p.birth.year()) - 1;
    for season in first_season..=today.year() {
        let start = date(season, 9, 1);
        let end = date(season, 12, 31);
        let age = p.age(start);
        if age < 0.5 {
            continue;
        }
        let chronic = !p.active_chronic(start).is_empty();
        let want = if age < 18.0 {
            0.55
        } else if age < 50.0 {
            0.35
        } else if age < 65.0 {
            0.5
        } else {
            0.72
        } + if chronic { 0.1 } else { 0.0 };
        if !rng.chance(want) {
            continue;
        }
        let visit = visits
            .iter()
            .position(|v| v.date >= start && v.date <= end && v.date > date(season, 9, 10));
        let d = match visit {
            Some(i) => visits[i].date,
            None => weekday(date(season, 9, 20) + days(rng.int(0, 70)), p.birth),
        };
        if d < p.join - days(365) {
            continue;
        }
        let age = p.age(d);
        let code = if season >= 2024 {
            if age >= 65.0 {
                cvx::FLU_HD_TRI
            } else {
                cvx::FLU_TRI
            }
        } else if age >= 65.0 {
            if season >= 2020 {
                cvx::FLU_HD_QUAD
            } else {
                cvx::FLU_HD_TRI
            }
        } else if age < 3.0 {
            cvx::FLU_PED_QUAD
        } else {
            cvx::FLU_QUAD
        };
        give(&mut out, rng, code, d, None, visit);
    }
    let adult = at_age(p.birth, 19.0);
    if adult < last {
        // Tetanus: Tdap in the last ten years for most adults.
        if !childhood && rng.chance(0.6) {
            let d = between(rng, adult.max(today - days(3650)), last);
            give(&mut out, rng, cvx::TDAP, d, None, None);
        }
        // COVID-19.
        if p.age(date(2021, 3, 1)) >= 18.0 && rng.chance(0.72) {
            let d1 = between(rng, date(2021, 2, 1), date(2021, 6, 30));
            give(&mut out, rng, cvx::COVID_PRIMARY, d1, Some(1), None);
            let d2 = d1 + days(21 + rng.int(0, 10));
            give(&mut out, rng, cvx::COVID_PRIMARY, d2, Some(2), None);
            if rng.chance(0.45) {
                let d = between(rng, date(2022, 9, 15), date(2022, 12, 15));
                give(&mut out, rng, cvx::COVID_BIVALENT, d, Some(3), None);
                if rng.chance(0.55) {
                    let d = between(rng, date(2023, 9, 20), date(2023, 12, 20));
                    give(&mut out, rng, cvx::COVID_2023, d, Some(4), None);
                }
            }
        }
    }
    // Shingles, two doses from 50.
    let fifty = at_age(p.birth, 50.0).max(date(2018, 2, 1));
    if fifty < last - days(30) && rng.chance(0.42) {
        let d1 = between(rng, fifty, last);
        give(&mut out, rng, cvx::ZOSTER, d1, Some(1), None);
        let d2 = d1 + days(rng.int(60, 180));
        give(&mut out, rng, cvx::ZOSTER, d2, Some(2), None);
    }
    // Pneumococcal from 65.
    let sixty_five = at_age(p.birth, 65.0);
    if sixty_five < last && rng.chance(0.65) {
        let d = between(rng, sixty_five, (sixty_five + days(365)).min(last));
        let code = if d >= date(2022, 1, 1) {
            cvx::PCV20
        } else {
            cvx::PPSV23
        };
        give(&mut out, rng, code, d, None, None);
    }
    // RSV from 60 (75) since 2023.
    let rsv_from = at_age(p.birth, 60.0).max(date(2023, 9, 1));
    if rsv_from < last && rng.chance(if p.age(today) >= 75.0 { 0.4 } else { 0.2 }) {
        let d = between(rng, rsv_from, last);
        give(&mut out, rng, cvx::RSV_ADULT, d, None, None);
    }
    // A dose without a visit, given at this practice, is a nurse's immunization visit:
    // recorded like the others, in the registration.
    out
}

fn given_names(g: &Group, sex: Sex) -> &'static [&'static str] {
    match sex {
        Sex::Female => g.female,
        Sex::Male => g.male,
    }
}

/// The patient's family name as a relative of `sex` carries it (Kowalski / Kowalska).
fn family_for(p: &Person, sex: Sex) -> String {
    if let Some(female) = p.group.family_female {
        let i = female
            .iter()
            .position(|f| *f == p.family)
            .or_else(|| p.group.family.iter().position(|f| *f == p.family));
        if let Some(i) = i {
            return match sex {
                Sex::Female => female[i],
                Sex::Male => p.group.family[i],
            }
            .to_string();
        }
    }
    p.family.clone()
}

fn phone(rng: &mut Rng) -> String {
    format!("555-{}{}-{}", rng.int(2, 9), rng.digits(2), rng.digits(4))
}

fn registration(
    rng: &mut Rng,
    p: &Person,
    today: NaiveDate,
    ids: &Ids<'_>,
    mrn: &str,
    shots: &[Shot],
    out: &mut Generated,
) {
    let pid = out.patient;
    let c = &mut out.registration;
    let age = p.age(today);
    let street = format!(
        "{} {} {}",
        rng.int(10, 9899),
        rng.pick(names::STREETS),
        rng.pick(names::STREET_KINDS)
    );
    let (town, zip) = *rng.pick(names::TOWNS);
    let mut line = vec![Json::from(street)];
    if rng.chance(0.2) {
        line.push(Json::from(format!("Apt {}", rng.int(1, 40))));
    }
    let mut f = Fields::default();
    f.text("family", p.family.clone())
        .json("given", json!(p.given))
        .opt("preferred", p.preferred.clone())
        .text("birth_date", ymd(p.birth))
        .text("sex", p.sex.name())
        .text("mrn", mrn)
        .json("address", json!({"line": line, "city": town, "state": names::STATE, "postal_code": zip, "country": "US"}))
        .text("language", p.language)
        .text("status", "active");
    let mut phones = vec![Json::from(phone(rng))];
    if rng.chance(0.3) {
        phones.push(Json::from(phone(rng)));
    }
    f.json("phones", Json::Array(phones));
    if age >= 16.0 && rng.chance(0.7) {
        let domain = rng.pick(&["example.com", "example.org", "example.net"]);
        let email = format!(
            "{}.{}{}@{}",
            names::ascii_fold(&p.given[0]).to_lowercase(),
            names::ascii_fold(&p.family).to_lowercase(),
            rng.int(1, 99),
            domain
        );
        f.text("email", email);
    }
    if rng.chance(0.25) {
        f.json(
            "identifiers",
            json!([{"system": "previous-mrn", "value": format!("L{}", rng.digits(6))}]),
        );
    }
    let relation = if age < 18.0 {
        *rng.pick(&["mother", "father"])
    } else {
        *rng.pick(&[
            "spouse", "spouse", "daughter", "son", "sister", "brother", "friend",
        ])
    };
    let contact_sex = match relation {
        "mother" | "daughter" | "sister" => Sex::Female,
        "father" | "son" | "brother" => Sex::Male,
        _ if p.sex == Sex::Female => Sex::Male,
        _ => Sex::Female,
    };
    let contact_given = rng.pick(given_names(p.group, contact_sex)).to_string();
    let contact_family = family_for(p, contact_sex);
    f.json("emergency_contact", json!({"name": format!("{contact_given} {contact_family}"), "relation": relation, "phone": phone(rng)}));
    c.push(ids.create("patient", pid, f));

    // Insurance.
    let member = |rng: &mut Rng| format!("{}{}", rng.letters(3), rng.digits(9));
    let parent = format!(
        "{} {}",
        rng.pick(p.group.female),
        family_for(p, Sex::Female)
    );
    // Payer, member id, subscriber (when not the patient), relation, priority, start.
    type Plan = (String, String, Option<String>, &'static str, i64, NaiveDate);
    let mut coverages: Vec<Plan> = Vec::new();
    let start = p.join.max(today - days(rng.int(200, 3000)));
    if age >= 65.0 {
        let mbi = format!(
            "{}{}{}{}{}",
            rng.int(1, 9),
            rng.letters(2),
            rng.digits(1),
            rng.letters(2),
            rng.digits(5)
        );
        if rng.chance(0.35) {
            coverages.push((
                rng.pick(names::MEDICARE_ADVANTAGE).to_string(),
                member(rng),
                None,
                "self",
                1,
                start,
            ));
        } else {
            coverages.push((
                "Medicare".into(),
                mbi,
                None,
                "self",
                1,
                at_age(p.birth, 65.0).max(p.join),
            ));
            if rng.chance(0.55) {
                coverages.push((
                    rng.pick(names::MEDICARE_SUPPLEMENT).to_string(),
                    member(rng),
                    None,
                    "self",
                    2,
                    start,
                ));
            }
        }
    } else {
        let r = rng.unit();
        if r < 0.17 {
            coverages.push((
                "Medicaid (Oregon Health Plan)".into(),
                format!("OHP{}", rng.digits(8)),
                None,
                "self",
                1,
                start,
            ));
        } else if r < 0.92 {
            let payer = rng.weighted(names::COMMERCIAL).to_string();
            let (subscriber, rel) = if age < 18.0 {
                (Some(parent.clone()), "child")
            } else if rng.chance(0.2) {
                let other = if p.sex == Sex::Female {
                    Sex::Male
                } else {
                    Sex::Female
                };
                let name = format!(
                    "{} {}",
                    rng.pick(given_names(p.group, other)),
                    family_for(p, other)
                );
                (Some(name), "spouse")
            } else {
                (None, "self")
            };
            coverages.push((payer, member(rng), subscriber, rel, 1, start));
        }
    }
    for (payer, member_id, subscriber, relation, priority, start) in coverages {
        let mut f = Fields::default();
        f.id("patient", pid)
            .text("payer", payer)
            .text("member_id", member_id)
            .text("group_number", format!("G{}", rng.digits(6)))
            .opt("subscriber", subscriber)
            .text("relation", relation)
            .int("priority", priority)
            .text("start_date", ymd(start.min(today)))
            .text("status", "active");
        c.push(ids.create("coverage", ids.next(), f));
    }

    // Problems.
    for prob in &p.problems {
        let mut f = Fields::default();
        f.id("patient", pid)
            .text("code", prob.cond.code())
            .text("display", icd_display(prob.cond.code()))
            .text("onset_date", ymd(prob.onset))
            .opt("resolved_date", prob.resolved.map(ymd))
            .text("status", prob.status);
        c.push(ids.create("problem", ids.next(), f));
    }
    if let Tobacco::Former { quit, .. } = p.tobacco {
        let mut f = Fields::default();
        f.id("patient", pid)
            .text("code", "Z87.891")
            .text("display", icd_display("Z87.891"))
            .text("onset_date", ymd(quit.max(p.birth)))
            .text("status", "active");
        c.push(ids.create("problem", ids.next(), f));
    }

    // Medications.
    for r in &p.meds {
        let mut f = Fields::default();
        let status = match r.stop {
            Some(s) if s <= today => "stopped",
            _ => "active",
        };
        f.id("patient", pid)
            .text("name", r.med.name)
            .text("dose", r.med.dose)
            .text("route", r.med.route)
            .text("frequency", r.med.frequency)
            .text("start_date", ymd(r.start))
            .opt("stop_date", r.stop.map(ymd))
            .text("status", status)
            .text("reason", r.reason);
        if !r.med.rxnorm.is_empty() {
            f.text("rxnorm", r.med.rxnorm);
        }
        c.push(ids.create("medication", ids.next(), f));
    }

    // Allergies.
    if !p.allergies.is_empty() {
        for &i in &p.allergies {
            let a = &cl::ALLERGENS[i];
            let severe = rng.chance(a.severe);
            let mut reactions = vec![*rng.pick(a.reactions)];
            if rng.chance(0.35) {
                let r2 = *rng.pick(a.reactions);
                if !reactions.contains(&r2) {
                    reactions.push(r2);
                }
            }
            if severe && a.reactions.contains(&"anaphylaxis") && !reactions.contains(&"anaphylaxis")
            {
                reactions.push("anaphylaxis");
            }
            let mut f = Fields::default();
            f.id("patient", pid)
                .text("substance", a.substance)
                .text("category", a.category)
                .json("reactions", json!(reactions))
                .text(
                    "severity",
                    if severe {
                        "severe"
                    } else if rng.chance(0.5) {
                        "moderate"
                    } else {
                        "mild"
                    },
                )
                .text("criticality", if severe { "high" } else { "low" })
                .text("status", "active")
                .bool("no_known", false);
            if !a.code.is_empty() {
                f.text("code", a.code);
            }
            if rng.chance(0.5) {
                let d = between(rng, p.birth + days(180).min(today - p.birth), p.join);
                f.text("onset_date", ymd(d.min(today)));
            }
            if rng.chance(0.15) {
                f.text(
                    "note",
                    *rng.pick(&[
                        "Reaction as a child, per parent.",
                        "Confirmed by allergist.",
                        "Tolerated cephalexin in the past.",
                    ]),
                );
            }
            c.push(ids.create("allergy", ids.next(), f));
        }
    } else {
        let mut f = Fields::default();
        f.id("patient", pid)
            .bool("no_known", true)
            .text("status", "active");
        c.push(ids.create("allergy", ids.next(), f));
    }

    // Immunizations recorded from outside records, or given outside a visit.
    for s in shots.iter().filter(|s| s.visit.is_none()) {
        c.push(shot_change(rng, ids, pid, p, s));
    }

    // Family history.
    let n = *rng.weighted(&[(0usize, 25.0), (1, 30.0), (2, 25.0), (3, 13.0), (4, 7.0)]);
    let mut used: Vec<(&str, &str)> = Vec::new();
    for _ in 0..n {
        let (condition, code, lo, hi) = *rng.pick(cl::FAMILY_CONDITIONS);
        let relative = *rng.pick(cl::RELATIVES);
        let female_relative = relative.contains("mother") || relative == "sister";
        if (code == "C50.919" && !female_relative)
            || (code == "C61" && female_relative)
            || used.contains(&(relative, condition))
        {
            continue;
        }
        used.push((relative, condition));
        let grand = relative.contains("grand");
        let deceased = grand && rng.chance(0.7) || !grand && age > 45.0 && rng.chance(0.25);
        let mut f = Fields::default();
        f.id("patient", pid)
            .text("relative", relative)
            .text("condition", condition)
            .text("code", code)
            .int("onset_age", rng.int(lo, hi))
            .bool("deceased", deceased);
        if deceased && rng.chance(0.4) {
            f.text("note", format!("Died at {}", rng.int(hi.min(90), 95)));
        }
        c.push(ids.create("family_history", ids.next(), f));
    }

    // Social history.
    {
        let mut f = Fields::default();
        f.id("patient", pid).text("recorded_date", ymd(p.join));
        let (status, detail) = match p.tobacco {
            Tobacco::Never => ("never", None),
            Tobacco::Former { quit, pack_years } => (
                "former",
                Some(format!("Quit {}; {pack_years} pack-years", quit.year())),
            ),
            Tobacco::Current { packs_per_day } => (
                "current",
                Some(format!(
                    "{packs_per_day} pack(s) per day; counseled to quit"
                )),
            ),
        };
        f.text("tobacco_status", status)
            .opt("tobacco_detail", detail);
        f.text("alcohol_status", p.alcohol.0)
            .real("alcohol_drinks_per_week", p.alcohol.1);
        let note = if age < 5.0 {
            format!(
                "Lives with parents; {}.",
                if rng.chance(0.5) {
                    "attends daycare"
                } else {
                    "at home with a parent"
                }
            )
        } else if age < 18.0 {
            format!(
                "Lives with parents; grade {} at school.",
                (age as i64 - 5).clamp(0, 12)
            )
        } else if age >= 67.0 {
            format!(
                "Retired {}; lives {}.",
                rng.pick(names::OCCUPATIONS),
                rng.pick(&["with spouse", "alone", "with family"])
            )
        } else {
            let job = *rng.pick(names::OCCUPATIONS);
            let article = if job.starts_with(['a', 'e', 'i', 'o', 'u']) {
                "an"
            } else {
                "a"
            };
            format!(
                "Works as {article} {job}; lives {}.",
                rng.pick(&[
                    "with spouse",
                    "alone",
                    "with partner and children",
                    "with roommates"
                ])
            )
        };
        let note = if p.language != "en" {
            format!(
                "{note} Prefers {}; interpreter offered.",
                cl::language_name(p.language)
            )
        } else {
            note
        };
        f.text("note", note);
        c.push(ids.create("social_history", ids.next(), f));
    }

    // Surgical history, screenings, hospital stays.
    for pr in cl::PROCEDURES {
        if age < pr.min_age || pr.sex.is_some_and(|s| s != p.sex.name()) {
            continue;
        }
        if !rng.chance(pr.chance) {
            continue;
        }
        let lo = at_age(p.birth, pr.min_age);
        let hi = at_age(p.birth, pr.max_age).min(today - days(30));
        let d = if pr.surgical {
            between(rng, lo, hi)
        } else {
            between(rng, lo.max(today - days(8 * 365)), hi)
        };
        if d >= today || d < p.birth {
            continue;
        }
        let mut f = Fields::default();
        f.id("patient", pid)
            .text("code", pr.cpt)
            .text("code_system", "CPT")
            .text("description", pr.description)
            .text("date", ymd(d))
            .bool("surgical", pr.surgical)
            .text("status", "completed");
        if rng.chance(0.3) {
            f.text(
                "note",
                if pr.surgical {
                    "No complications."
                } else {
                    "Normal."
                },
            );
        }
        c.push(ids.create("procedure", ids.next(), f));
        if let Some(reason) = pr.stay {
            let mut f = Fields::default();
            let out_day = (d + days(rng.int(1, 3))).min(today - days(1)).max(d);
            f.id("patient", pid)
                .text("admit_date", ymd(d))
                .text("discharge_date", ymd(out_day))
                .text("facility", *rng.pick(names::HOSPITALS))
                .text("reason", reason);
            c.push(ids.create("hospitalization", ids.next(), f));
        }
    }
    for (reason, min_age, chance, longest) in cl::ADMISSIONS {
        if age < *min_age || !rng.chance(*chance) {
            continue;
        }
        let d = between(
            rng,
            at_age(p.birth, *min_age).max(today - days(15 * 365)),
            today - days(20),
        );
        let out_day = (d + days(rng.int(1, *longest))).min(today - days(1)).max(d);
        let mut f = Fields::default();
        f.id("patient", pid)
            .text("admit_date", ymd(d))
            .text("discharge_date", ymd(out_day))
            .text("facility", *rng.pick(names::HOSPITALS))
            .text("reason", *reason);
        if rng.chance(0.5) {
            f.text(
                "note",
                "Discharged home in stable condition; follow-up with primary care within a week.",
            );
        }
        c.push(ids.create("hospitalization", ids.next(), f));
        if reason.contains("pneumonia") {
            let mut f = Fields::default();
            f.id("patient", pid)
                .text("code", "J18.9")
                .text("display", icd_display("J18.9"))
                .text("onset_date", ymd(d))
                .text(
                    "resolved_date",
                    ymd((d + days(14)).min(today - days(1)).max(d)),
                )
                .text("status", "resolved");
            c.push(ids.create("problem", ids.next(), f));
        }
    }
}

fn icd_display(code: &str) -> &'static str {
    codes::icd10::lookup(code).map(|c| c.display).unwrap_or("")
}

fn shot_change(rng: &mut Rng, ids: &Ids<'_>, pid: Uuid, p: &Person, s: &Shot) -> Change {
    let found = codes::cvx::lookup(s.cvx);
    let mut f = Fields::default();
    f.id("patient", pid)
        .text("cvx", found.map(|c| c.code).unwrap_or(s.cvx))
        .text("vaccine", found.map(|c| c.short_name).unwrap_or(""))
        .text("date", ymd(s.date))
        .text("status", s.status);
    if let Some(d) = s.dose {
        f.int("dose_number", d);
    }
    if let Some(r) = s.reason {
        f.text("reason", r);
    }
    if s.status == "completed" {
        let (route, site) = match s.cvx {
            cvx::ROTAVIRUS => ("oral", "mouth"),
            cvx::MMR | cvx::VARICELLA => (
                "subcutaneous",
                if p.age(s.date) < 1.5 {
                    "left thigh"
                } else {
                    "left upper arm"
                },
            ),
            _ if p.age(s.date) < 1.5 => {
                ("intramuscular", *rng.pick(&["left thigh", "right thigh"]))
            }
            _ => (
                "intramuscular",
                *rng.pick(&["left deltoid", "right deltoid"]),
            ),
        };
        f.text("lot", format!("{}{}", rng.letters(2), rng.digits(4)))
            .text("route", route)
            .text("site", site)
            .text("performer", "Kim, RN");
    }
    ids.create("immunization", ids.next(), f)
}

/// What drifts from visit to visit.
struct Sim {
    bmi: f64,
    a1c: f64,
    last: std::collections::HashMap<&'static str, NaiveDate>,
}

impl Sim {
    fn new(rng: &mut Rng, p: &Person) -> Sim {
        Sim {
            bmi: p.bmi_base + rng.normal(0.0, 0.8),
            a1c: rng.normal(8.4, 0.8).clamp(6.8, 11.5),
            last: std::collections::HashMap::new(),
        }
    }

    /// Whether `what` was last done at least `gap` days before `on` (or never); if so it
    /// counts as done on `on`.
    fn due(&mut self, what: &'static str, on: NaiveDate, gap: i64) -> bool {
        let due = self
            .last
            .get(what)
            .is_none_or(|d| (on - *d).num_days() >= gap);
        if due {
            self.last.insert(what, on);
        }
        due
    }
}

/// Length or height in cm at an age, from the adult height the child grows to.
fn height_at(p: &Person, age: f64) -> f64 {
    const CURVE: &[(f64, f64)] = &[
        (0.0, 0.29),
        (0.25, 0.35),
        (0.5, 0.39),
        (1.0, 0.43),
        (2.0, 0.49),
        (3.0, 0.54),
        (4.0, 0.58),
        (6.0, 0.66),
        (8.0, 0.725),
        (10.0, 0.785),
        (12.0, 0.845),
        (14.0, 0.92),
        (16.0, 0.975),
        (18.0, 1.0),
    ];
    let a = if p.female() && age > 9.0 {
        9.0 + (age - 9.0) * 1.25
    } else {
        age
    };
    let frac = if a >= 18.0 {
        1.0
    } else {
        let i = CURVE
            .iter()
            .position(|(x, _)| *x > a)
            .unwrap_or(CURVE.len() - 1)
            .max(1);
        let (x0, y0) = CURVE[i - 1];
        let (x1, y1) = CURVE[i];
        y0 + (y1 - y0) * ((a - x0) / (x1 - x0)).clamp(0.0, 1.0)
    };
    let shrink = if age > 55.0 { (age - 55.0) * 0.08 } else { 0.0 };
    p.adult_height * frac - shrink
}

/// Typical BMI at an age for a child (weight follows from height).
fn child_bmi(age: f64) -> f64 {
    const CURVE: &[(f64, f64)] = &[
        (0.0, 13.2),
        (0.5, 17.2),
        (1.0, 17.2),
        (2.0, 16.3),
        (4.0, 15.7),
        (6.0, 15.4),
        (8.0, 16.0),
        (10.0, 17.0),
        (12.0, 18.2),
        (14.0, 19.5),
        (16.0, 20.8),
        (18.0, 21.8),
    ];
    let i = CURVE
        .iter()
        .position(|(x, _)| *x > age)
        .unwrap_or(CURVE.len() - 1)
        .max(1);
    let (x0, y0) = CURVE[i - 1];
    let (x1, y1) = CURVE[i];
    y0 + (y1 - y0) * ((age - x0) / (x1 - x0)).clamp(0.0, 1.0)
}

/// One row of the vitals panel.
struct Vital {
    code: &'static str,
    value: f64,
    unit: &'static str,
}

/// A lab result, for the observation and the note.
struct LabResult {
    lab: Lab,
    value: f64,
}

impl LabResult {
    fn flag(&self) -> &'static str {
        match (self.lab.low, self.lab.high) {
            (Some(l), _) if self.value < l => "L",
            (_, Some(h)) if self.value > h => "H",
            _ => "N",
        }
    }
}

fn vitals(
    rng: &mut Rng,
    p: &Person,
    on: NaiveDate,
    kind: Kind,
    sim: &mut Sim,
    fever: bool,
) -> Vec<Vital> {
    use crate::codes::loinc::vitals as v;
    let age = p.age(on);
    let mut out: Vec<Vital> = Vec::new();
    if kind == Kind::Telehealth {
        return out;
    }
    let full = p.heavy || matches!(kind, Kind::NewPatient | Kind::Physical | Kind::WellChild(_));
    // Blood pressure.
    if age >= 3.0 {
        let (mut s, mut d) = if age < 18.0 {
            (
                97.0 + 1.3 * (age - 3.0) + rng.normal(0.0, 6.0),
                58.0 + 0.6 * (age - 3.0) + rng.normal(0.0, 5.0),
            )
        } else {
            let s = 108.0 + 0.45 * (age - 20.0).max(0.0) + p.sbp_offset;
            let d =
                70.0 + 0.22 * (age - 20.0).max(0.0) - 0.35 * (age - 60.0).max(0.0) + p.dbp_offset;
            (s + rng.normal(0.0, 7.0), d + rng.normal(0.0, 5.0))
        };
        if p.has(Cond::Hypertension, on) {
            let treated = p.on_any(
                &[
                    cl::LISINOPRIL_10,
                    cl::LISINOPRIL_20,
                    cl::LOSARTAN,
                    cl::AMLODIPINE_5,
                    cl::AMLODIPINE_10,
                    cl::HCTZ,
                ],
                on,
            );
            let extra = if treated { 4.0 + p.bp_control } else { 20.0 };
            s += extra;
            d += extra * 0.5;
        }
        if sim.bmi >= 30.0 {
            s += 4.0;
            d += 2.0;
        }
        let s = s.round().clamp(78.0, 220.0);
        let d = d.round().clamp(40.0, 130.0).min(s - 20.0);
        out.push(Vital {
            code: v::SYSTOLIC,
            value: s,
            unit: "mm[Hg]",
        });
        out.push(Vital {
            code: v::DIASTOLIC,
            value: d,
            unit: "mm[Hg]",
        });
    }
    // Pulse.
    let hr_mean = if age < 1.0 {
        130.0
    } else if age < 3.0 {
        112.0
    } else if age < 6.0 {
        100.0
    } else if age < 12.0 {
        88.0
    } else if age < 18.0 {
        78.0
    } else {
        72.0 + p.hr_offset
    };
    let beta = p.on_any(&[cl::METOPROLOL, cl::CARVEDILOL], on);
    let afib = p.has(Cond::Afib, on);
    let hr = rng.normal(
        hr_mean - if beta { 8.0 } else { 0.0 }
            + if afib { 8.0 } else { 0.0 }
            + if fever { 12.0 } else { 0.0 },
        if afib { 14.0 } else { 7.0 },
    );
    out.push(Vital {
        code: v::HEART_RATE,
        value: hr.round().clamp(40.0, 200.0),
        unit: "/min",
    });
    // Breathing.
    // Follow-ups record less than a first visit or a physical; an INR check, least.
    let (rr_chance, temp_chance, o2_chance) = match kind {
        Kind::FollowUp => (0.3, 0.4, 0.7),
        Kind::Anticoagulation => (0.0, 0.0, 0.2),
        _ => (1.0, 1.0, 1.0),
    };
    let acute = matches!(kind, Kind::Acute(_));
    if full || age < 12.0 || acute || rng.chance(rr_chance) {
        let rr = if age < 1.0 {
            rng.normal(34.0, 4.0)
        } else if age < 4.0 {
            rng.normal(26.0, 3.0)
        } else if age < 12.0 {
            rng.normal(20.0, 2.0)
        } else {
            rng.normal(16.0, 1.5)
        };
        out.push(Vital {
            code: v::RESP_RATE,
            value: rr.round().clamp(8.0, 70.0),
            unit: "/min",
        });
    }
    if full || age < 12.0 || acute || rng.chance(temp_chance) {
        let temp = if fever {
            rng.normal(38.5, 0.5)
        } else {
            rng.normal(36.8, 0.2)
        };
        out.push(Vital {
            code: v::TEMPERATURE,
            value: round(temp.clamp(35.5, 40.8), 1),
            unit: "Cel",
        });
    }
    if age >= 2.0 && !matches!(kind, Kind::WellChild(_)) && (full || acute || rng.chance(o2_chance))
    {
        let low = p.has(Cond::Copd, on) || p.has(Cond::HeartFailure, on);
        let o2 = if low {
            rng.normal(93.5, 1.5)
        } else {
            rng.normal(98.0, 0.9)
        };
        out.push(Vital {
            code: v::SPO2,
            value: o2.round().clamp(85.0, 100.0),
            unit: "%",
        });
    }
    // Size.
    let h = height_at(p, age);
    let (height, weight) = if age < 18.0 {
        let h = h * (1.0 + 0.012 * p.growth) + rng.normal(0.0, 0.4);
        let bmi = child_bmi(age) * (1.0 + 0.05 * p.growth) + rng.normal(0.0, 0.25);
        (h, bmi * (h / 100.0) * (h / 100.0))
    } else {
        sim.bmi += 0.12 * (p.bmi_base - sim.bmi) + rng.normal(0.0, 0.35);
        if p.has(Cond::Diabetes, on) && p.on_med(&cl::SEMAGLUTIDE, on) {
            sim.bmi -= 0.3;
        }
        sim.bmi = sim.bmi.clamp(16.0, 60.0);
        let h = h + rng.normal(0.0, 0.4);
        (h, sim.bmi * (h / 100.0) * (h / 100.0))
    };
    let wd = if weight < 10.0 { 2 } else { 1 };
    let height = round(height.clamp(30.0, 230.0), 1);
    let weight = round(weight.clamp(1.5, 300.0), wd);
    let weigh = full
        || age < 18.0
        || kind == Kind::FollowUp
        || kind == Kind::Anticoagulation
        || rng.chance(0.6);
    let measure_height = full || age < 18.0;
    if measure_height {
        out.push(Vital {
            code: v::HEIGHT,
            value: height,
            unit: "cm",
        });
    }
    if weigh {
        out.push(Vital {
            code: v::WEIGHT,
            value: weight,
            unit: "kg",
        });
    }
    // As the vitals form does: BMI whenever height and weight are both measured.
    if measure_height && weigh {
        let bmi = (weight / ((height / 100.0) * (height / 100.0)) * 10.0).round() / 10.0;
        out.push(Vital {
            code: v::BMI,
            value: bmi,
            unit: "kg/m2",
        });
    }
    if age < 2.0 {
        let hc =
            35.0 + 14.0 * (1.0 - (-age * 1.6).exp()) + 0.8 * p.growth * 0.5 + rng.normal(0.0, 0.4);
        out.push(Vital {
            code: v::HEAD_CIRCUMFERENCE,
            value: round(hc, 1),
            unit: "cm",
        });
    }
    if let Kind::Acute(i) = kind {
        if matches!(cl::ACUTE[i].code, "M54.50" | "S93.401A" | "R51.9") {
            out.push(Vital {
                code: v::PAIN,
                value: rng.int(3, 8) as f64,
                unit: "{score}",
            });
        }
    } else if (p.has(Cond::KneeOa, on) || p.has(Cond::BackPain, on)) && rng.chance(0.7) {
        out.push(Vital {
            code: v::PAIN,
            value: rng.int(1, 6) as f64,
            unit: "{score}",
        });
    }
    out
}

/// Lab panels drawn at this visit: (panel code or "", results).
fn labs(
    rng: &mut Rng,
    p: &Person,
    on: NaiveDate,
    kind: Kind,
    sim: &mut Sim,
    fever: bool,
) -> Vec<(&'static str, Vec<LabResult>)> {
    let age = p.age(on);
    let mut out: Vec<(&'static str, Vec<LabResult>)> = Vec::new();
    if age < 18.0 || kind == Kind::Telehealth {
        return out;
    }
    let female = p.female();
    let dm = p.has(Cond::Diabetes, on);
    let ckd = p.has(Cond::Ckd, on);
    let hf = p.has(Cond::HeartFailure, on);
    let hld = p.has(Cond::Hyperlipidemia, on);
    let htn = p.has(Cond::Hypertension, on);
    let checkup = matches!(kind, Kind::NewPatient | Kind::Physical);
    let follow = kind == Kind::FollowUp;
    let r = |lab: Lab, value: f64| LabResult {
        lab,
        value: round(value, lab.decimals),
    };
    // HbA1c: diabetics every 3 months, screening otherwise.
    if dm {
        let on_treatment = p.on_any(&[cl::METFORMIN_500, cl::METFORMIN_1000], on);
        let target = if on_treatment { p.a1c_target } else { 8.6 };
        sim.a1c += 0.35 * (target - sim.a1c) + rng.normal(0.0, 0.25);
        sim.a1c = sim.a1c.clamp(5.6, 13.5);
    }
    let a1c_value = if dm {
        sim.a1c
    } else if p.has(Cond::Prediabetes, on) {
        rng.normal(6.0, 0.15).clamp(5.7, 6.4)
    } else {
        rng.normal(5.25, 0.22).clamp(4.4, 5.6)
    };
    let a1c_due = if dm {
        (follow || checkup) && sim.due("a1c", on, 80)
    } else if p.has(Cond::Prediabetes, on) {
        (follow || checkup) && sim.due("a1c", on, 330)
    } else {
        checkup && age >= 35.0 && sim.bmi >= 25.0 && sim.due("a1c", on, 3 * 365)
    };
    if a1c_due {
        out.push(("", vec![r(cl::HBA1C, a1c_value)]));
    }
    // Basic metabolic panel with eGFR.
    let bmp_gap = if p.heavy {
        28
    } else if ckd || hf {
        170
    } else {
        330
    };
    let bmp_due = ((checkup && (age >= 45.0 || dm || htn)) || (follow && (dm || htn || ckd || hf)))
        && sim.due("bmp", on, bmp_gap);
    if bmp_due {
        let mut creat = p.creatinine_base + 0.003 * (age - 40.0).max(0.0);
        if let Some(c) = p
            .problems
            .iter()
            .find(|x| x.cond == Cond::Ckd && x.onset <= on)
        {
            creat = creat.max(if female { 1.2 } else { 1.45 }) + 0.04 * years(c.onset, on);
        }
        if hf {
            creat += 0.1;
        }
        let creat = round((creat + rng.normal(0.0, 0.06)).clamp(0.4, 4.5), 2);
        let glucose = if dm {
            95.0 + (a1c_value - 5.5) * 28.0 + rng.normal(0.0, 15.0)
        } else {
            rng.normal(90.0, 8.0)
        };
        let ace = p.on_any(&[cl::LISINOPRIL_10, cl::LISINOPRIL_20, cl::LOSARTAN], on);
        let k = rng.normal(4.2, 0.3) + if ace { 0.2 } else { 0.0 } + if ckd { 0.3 } else { 0.0 };
        let creat_lab = if female {
            cl::CREATININE_F
        } else {
            cl::CREATININE_M
        };
        out.push((
            cl::BMP_PANEL,
            vec![
                r(cl::GLUCOSE, glucose.max(55.0)),
                r(
                    cl::BUN,
                    (14.0 + (creat - 0.9) * 12.0 + rng.normal(0.0, 3.0)).max(4.0),
                ),
                r(creat_lab, creat),
                r(cl::SODIUM, rng.normal(139.5, 2.0)),
                r(cl::POTASSIUM, k.clamp(2.8, 6.5)),
                r(cl::CHLORIDE, rng.normal(103.0, 2.0)),
                r(cl::CO2, rng.normal(if ckd { 23.0 } else { 25.5 }, 1.8)),
                r(cl::CALCIUM, rng.normal(9.4, 0.3)),
                r(cl::EGFR, cl::egfr(creat, age, female)),
            ],
        ));
    }
    // Lipids.
    let statin_meds = [
        cl::ATORVASTATIN_20,
        cl::ATORVASTATIN_40,
        cl::ATORVASTATIN_80,
        cl::ROSUVASTATIN,
    ];
    let lipid_due = if hld || dm || p.has(Cond::Cad, on) {
        (checkup || follow) && sim.due("lipid", on, 330)
    } else {
        checkup && age >= 35.0 && sim.due("lipid", on, 4 * 365)
    };
    if lipid_due {
        let mut ldl = p.ldl_base + if hld { 45.0 } else { 0.0 };
        if p.on_any(&statin_meds, on) {
            ldl *= if p.on_any(
                &[cl::ATORVASTATIN_40, cl::ATORVASTATIN_80, cl::ROSUVASTATIN],
                on,
            ) {
                0.5
            } else {
                0.6
            };
        }
        let ldl = (ldl + rng.normal(0.0, 10.0)).clamp(35.0, 260.0);
        let hdl = (p.hdl_base + rng.normal(0.0, 4.0)).clamp(20.0, 110.0);
        let tg = (p.tg_base
            + if dm { 60.0 } else { 0.0 }
            + if sim.bmi > 30.0 { 30.0 } else { 0.0 }
            + rng.normal(0.0, 25.0))
        .clamp(35.0, 700.0);
        out.push((
            cl::LIPID_PANEL,
            vec![
                r(cl::CHOLESTEROL, ldl + hdl + tg / 5.0),
                r(cl::TRIGLYCERIDES, tg),
                r(cl::HDL, hdl),
                r(cl::LDL, ldl),
            ],
        ));
    }
    // Blood count.
    let cbc_gap = if p.heavy { 90 } else { 360 };
    let cbc_due = (checkup && sim.due("cbc", on, 3 * 365) && rng.chance(0.5))
        || (fever && rng.chance(0.25))
        || ((ckd || hf) && follow && sim.due("cbc", on, cbc_gap));
    if cbc_due {
        let hgb = if female {
            rng.normal(13.4, 0.9)
        } else {
            rng.normal(15.0, 0.9)
        } - if ckd { 1.4 } else { 0.0 };
        let hct = hgb * 2.95 + rng.normal(0.0, 0.8);
        let mcv = rng.normal(89.0, 4.0);
        let rbc = hct / mcv * 10.0;
        out.push((
            cl::CBC_PANEL,
            vec![
                r(
                    cl::WBC,
                    rng.normal(if fever { 11.5 } else { 7.0 }, 1.6).max(2.0),
                ),
                r(if female { cl::RBC_F } else { cl::RBC_M }, rbc),
                r(if female { cl::HGB_F } else { cl::HGB_M }, hgb),
                r(if female { cl::HCT_F } else { cl::HCT_M }, hct),
                r(cl::MCV, mcv),
                r(cl::MCH, hgb / rbc * 10.0),
                r(cl::MCHC, hgb / hct * 100.0),
                r(cl::RDW, rng.normal(13.0, 0.7)),
                r(cl::PLATELETS, rng.normal(250.0, 55.0).max(60.0)),
            ],
        ));
    }
    if bmp_due && ckd {
        out.push((
            "",
            vec![r(cl::PHOSPHATE, rng.normal(3.9, 0.5).clamp(1.5, 8.0))],
        ));
    }
    if bmp_due && p.on_med(&cl::FUROSEMIDE, on) {
        out.push((
            "",
            vec![r(cl::MAGNESIUM, rng.normal(1.95, 0.18).clamp(1.0, 3.2))],
        ));
    }
    if p.has(Cond::Hypothyroid, on) && (checkup || follow) && sim.due("tsh", on, 330) {
        out.push(("", vec![r(cl::TSH, rng.normal(2.4, 1.3).clamp(0.08, 12.0))]));
    }
    if dm && (checkup || follow) && sim.due("uacr", on, 330) {
        out.push((
            "",
            vec![r(
                cl::UACR,
                (rng.normal(22.0, 18.0) * if ckd { 3.0 } else { 1.0 }).clamp(3.0, 900.0),
            )],
        ));
    }
    if !female
        && (55.0..70.0).contains(&age)
        && checkup
        && sim.due("psa", on, 2 * 365)
        && rng.chance(0.5)
    {
        let psa = rng.normal(1.2 + 0.04 * (age - 55.0), 0.7)
            + if p.has(Cond::Bph, on) { 1.6 } else { 0.0 };
        out.push(("", vec![r(cl::PSA, psa.clamp(0.1, 15.0))]));
    }
    if p.problems
        .iter()
        .any(|x| x.cond == Cond::VitaminD && x.onset <= on)
        && (checkup || follow)
        && sim.due("vitd", on, 300)
    {
        let treated = p
            .problems
            .iter()
            .any(|x| x.cond == Cond::VitaminD && x.onset + days(60) <= on);
        out.push((
            "",
            vec![r(
                cl::VITAMIN_D,
                if treated {
                    rng.normal(33.0, 7.0)
                } else {
                    rng.normal(15.0, 4.0)
                }
                .clamp(4.0, 90.0),
            )],
        ));
    }
    if p.has(Cond::Gout, on) && (checkup || follow) && sim.due("urate", on, 330) {
        out.push((
            "",
            vec![r(cl::URATE, rng.normal(6.4, 1.1).clamp(3.0, 11.0))],
        ));
    }
    if p.on_med(&cl::WARFARIN, on) && matches!(kind, Kind::Anticoagulation | Kind::FollowUp) {
        out.push(("", vec![r(cl::INR, rng.normal(2.5, 0.45).clamp(1.3, 4.6))]));
    }
    out
}

#[allow(clippy::too_many_arguments)]
fn visit(
    rng: &mut Rng,
    p: &Person,
    today: NaiveDate,
    ids: &Ids<'_>,
    pid: Uuid,
    v: &Visit,
    shots: &[&Shot],
    sim: &mut Sim,
    last: bool,
    out: &mut Generated,
) -> Vec<Change> {
    let mut c: Vec<Change> = Vec::new();
    let eid = ids.next();
    let length = match v.kind {
        Kind::WellChild(_) | Kind::NewPatient | Kind::Physical => 40,
        Kind::FollowUp => 25,
        Kind::Telehealth | Kind::Acute(_) => 20,
        Kind::Anticoagulation => 15,
    };
    let start = stamp(v.date, v.minute);
    let acute: Option<&Acute> = match v.kind {
        Kind::Acute(i) => Some(&cl::ACUTE[i]),
        _ => None,
    };
    let fever = acute.is_some_and(|a| rng.chance(a.fever));
    let active = p.active_chronic(v.date);
    let addressed: Vec<Cond> = match v.kind {
        Kind::FollowUp | Kind::Telehealth => active
            .iter()
            .copied()
            .filter(|c| c.follow_up_months() > 0)
            .collect(),
        Kind::NewPatient | Kind::Physical => active.clone(),
        _ => Vec::new(),
    };
    let shorts: Vec<&str> = addressed.iter().map(|c| c.short()).collect();
    let (typ, reason) = match v.kind {
        Kind::WellChild(m) => (
            "Well-child visit".to_string(),
            format!("Well-child check, {}", milestone(m)),
        ),
        Kind::NewPatient => (
            "New patient visit".to_string(),
            "Establish care".to_string(),
        ),
        Kind::Physical => (
            "Annual physical".to_string(),
            if p.age(v.date) >= 65.0 {
                "Medicare annual wellness visit".to_string()
            } else {
                "Annual wellness exam".to_string()
            },
        ),
        Kind::FollowUp => (
            "Follow-up visit".to_string(),
            format!("Follow-up: {}", list_or(&shorts, "chronic conditions")),
        ),
        Kind::Telehealth => (
            "Telehealth visit".to_string(),
            format!(
                "Video follow-up: {}",
                list_or(&shorts, "chronic conditions")
            ),
        ),
        Kind::Acute(i) => (
            "Acute visit".to_string(),
            cl::ACUTE[i].complaint.to_string(),
        ),
        Kind::Anticoagulation => (
            "Anticoagulation visit".to_string(),
            "INR check on warfarin".to_string(),
        ),
    };
    let mut f = Fields::default();
    f.id("patient", pid)
        .text("start", start.clone())
        .text("end", stamp(v.date, v.minute + length))
        .text("type", typ.clone())
        .text("reason", reason)
        .text(
            "provider",
            if v.kind == Kind::Anticoagulation {
                "Kim, RN"
            } else {
                "Dr. Lee"
            },
        )
        .text(
            "location",
            if v.kind == Kind::Telehealth {
                "Video visit"
            } else {
                "Main clinic"
            },
        )
        .text("status", "finished");
    c.push(ids.create("encounter", eid, f));
    out.encounters += 1;

    let vit = vitals(rng, p, v.date, v.kind, sim, fever);
    if !vit.is_empty() {
        let panel_id = ids.next().to_string();
        let at = stamp(v.date, v.minute + 5);
        for x in &vit {
            c.push(observation(
                ids,
                pid,
                eid,
                crate::codes::loinc::vitals::VITALS_PANEL,
                &panel_id,
                x.code,
                x.value,
                x.unit,
                None,
                &at,
            ));
        }
        out.observations += vit.len() as u64;
    }
    let results = labs(rng, p, v.date, v.kind, sim, fever);
    let at = stamp(v.date, v.minute + 10);
    for (panel, rs) in &results {
        let panel_id = ids.next().to_string();
        for r in rs {
            let unit = codes::loinc::lookup(r.lab.code)
                .map(|l| l.unit)
                .unwrap_or("");
            c.push(observation(
                ids,
                pid,
                eid,
                panel,
                &panel_id,
                r.lab.code,
                r.value,
                unit,
                Some(r),
                &at,
            ));
        }
        out.observations += rs.len() as u64;
    }
    for s in shots {
        c.push(shot_change(rng, ids, pid, p, s));
    }
    let mut prescribed: Option<Med> = None;
    if let Some(a) = acute {
        let m = if p.avoid_penicillin && a.med.is_some_and(|m| m.name.starts_with("Amoxicillin")) {
            a.alternative
        } else {
            a.med
        };
        if let Some(m) = m {
            let stop = v.date
                + days(if m.frequency.contains("5 days") {
                    5
                } else if m.frequency.contains("10 days") {
                    10
                } else {
                    14
                });
            let mut f = Fields::default();
            f.id("patient", pid)
                .text("name", m.name)
                .text("dose", m.dose)
                .text("route", m.route)
                .text("frequency", m.frequency)
                .text("start_date", ymd(v.date))
                .text("stop_date", ymd(stop))
                .text("status", if stop < today { "completed" } else { "active" })
                .text("reason", a.complaint);
            c.push(ids.create("medication", ids.next(), f));
            prescribed = Some(m);
        }
    }

    // The note.
    let text = note(
        rng, p, v, &addressed, acute, fever, &vit, &results, shots, prescribed, sim,
    );
    let signed = !(last && (today - v.date).num_days() <= 2 && rng.chance(0.5));
    let mut f = Fields::default();
    f.id("patient", pid)
        .id("encounter", eid)
        .text("kind", "soap")
        .text("title", format!("{typ}: {}", text.title))
        .text("subjective", text.subjective)
        .text("objective", text.objective)
        .text("assessment", text.assessment)
        .text("plan", text.plan);
    if signed {
        let minute = (v.minute + length + rng.int(5, 240) as u32).min(23 * 60 + 59);
        f.text("status", "signed")
            .text("signed_at", stamp(v.date, minute))
            .text("signed_by", "drlee");
    } else {
        f.text("status", "draft");
    }
    c.push(ids.create("note", ids.next(), f));
    out.notes += 1;
    c
}

fn milestone(m: u32) -> String {
    match m {
        0 => "newborn".to_string(),
        m if m < 24 => format!("{m} months"),
        m if m % 12 == 0 => format!("{} years", m / 12),
        m => format!("{} months", m),
    }
}

fn list_or(items: &[&str], none: &str) -> String {
    match items.len() {
        0 => none.to_string(),
        1 => items[0].to_string(),
        n => format!("{} and {}", items[..n - 1].join(", "), items[n - 1]),
    }
}

#[allow(clippy::too_many_arguments)]
fn observation(
    ids: &Ids<'_>,
    pid: Uuid,
    eid: Uuid,
    panel: &str,
    panel_id: &str,
    code: &'static str,
    value: f64,
    unit: &str,
    lab: Option<&LabResult>,
    effective: &str,
) -> Change {
    let l = codes::loinc::lookup(code);
    let mut f = Fields::default();
    f.id("patient", pid).id("encounter", eid);
    if !panel.is_empty() {
        f.text("panel", panel);
    }
    f.text("panel_id", panel_id)
        .text("code", code)
        .text("display", l.map(|l| l.display).unwrap_or(""))
        .text("category", l.map(|l| l.category).unwrap_or("lab"))
        .real("value_num", value)
        .text("unit", unit)
        .text("effective", effective)
        .text("status", "final");
    if let Some(r) = lab {
        if let Some(lo) = r.lab.low {
            f.real("ref_low", lo);
        }
        if let Some(hi) = r.lab.high {
            f.real("ref_high", hi);
        }
        f.text("flag", r.flag());
    }
    ids.create("observation", ids.next(), f)
}

struct NoteText {
    title: String,
    subjective: String,
    objective: String,
    assessment: String,
    plan: String,
}

fn lab_name(code: &str) -> &'static str {
    match code {
        "4548-4" => "HbA1c",
        "2345-7" => "glucose",
        "2160-0" => "creatinine",
        "2823-3" => "potassium",
        "98979-8" => "eGFR",
        "18262-6" => "LDL",
        "2085-9" => "HDL",
        "2571-8" => "triglycerides",
        "2093-3" => "total cholesterol",
        "718-7" => "hemoglobin",
        "6690-2" => "WBC",
        "3016-3" => "TSH",
        "9318-7" => "urine albumin/creatinine",
        "2857-1" => "PSA",
        "1989-3" => "25-OH vitamin D",
        "6301-6" => "INR",
        "3084-1" => "uric acid",
        _ => "",
    }
}

#[allow(clippy::too_many_arguments)]
fn note(
    rng: &mut Rng,
    p: &Person,
    v: &Visit,
    addressed: &[Cond],
    acute: Option<&Acute>,
    fever: bool,
    vit: &[Vital],
    results: &[(&'static str, Vec<LabResult>)],
    shots: &[&Shot],
    prescribed: Option<Med>,
    sim: &Sim,
) -> NoteText {
    use crate::codes::loinc::vitals as vc;
    let who = p.describe(v.date);
    let shorts: Vec<&str> = addressed.iter().map(|c| c.short()).collect();
    let meds: Vec<&str> = p
        .meds
        .iter()
        .filter(|r| r.start <= v.date && r.stop.is_none_or(|s| s > v.date))
        .map(|r| r.med.name)
        .collect();
    let get = |code: &str| vit.iter().find(|x| x.code == code).map(|x| x.value);
    let subjective = match v.kind {
        Kind::WellChild(m) => format!(
            "{who} here with {} for the {} well-child visit. {} No concerns today.",
            rng.pick(&["mother", "father", "both parents", "grandmother"]),
            milestone(m),
            if m < 12 {
                *rng.pick(&["Feeding well, good wet diapers.", "Breastfeeding every 2-3 hours.", "Formula feeding well; sleeping in stretches."])
            } else if m < 60 {
                *rng.pick(&["Eating a varied diet; sleeping through the night.", "Talking more every week; active and playful.", "Picky eater at times but growing well."])
            } else {
                *rng.pick(&["Doing well at school; plays sports.", "Enjoys reading; sleeps 9-10 hours.", "Good appetite; active with friends."])
            }
        ),
        Kind::NewPatient => format!(
            "{who} establishing care. History of {}. Current medications: {}. {}",
            list_or(&shorts, "no chronic problems"),
            list_or(&meds, "none"),
            match p.tobacco {
                Tobacco::Never => "Never smoker.",
                Tobacco::Former { .. } => "Former smoker.",
                Tobacco::Current { .. } => "Current smoker; interested in quitting.",
            }
        ),
        Kind::Physical => format!(
            "{who} here for an annual exam. {} {}",
            if shorts.is_empty() { "No chronic problems.".to_string() } else { format!("Known {}.", list_or(&shorts, "")) },
            rng.pick(&["Feels well overall.", "No new complaints.", "Sleeping well; walks most days.", "Some fatigue lately, otherwise well."])
        ),
        Kind::FollowUp | Kind::Telehealth => format!(
            "{}{who} following up on {}. {} {}",
            if v.kind == Kind::Telehealth { "Video visit, patient at home. " } else { "" },
            list_or(&shorts, "chronic conditions"),
            rng.pick(&[
                "Taking medications as prescribed, no side effects.",
                "Misses an occasional dose; otherwise adherent.",
                "Tolerating medications well.",
            ]),
            rng.pick(&["Denies chest pain or shortness of breath.", "No new symptoms.", "Energy is good.", "Reports mild fatigue."])
        ),
        Kind::Acute(_) => format!(
            "{who} with {} for {} days. {}",
            acute.map(|a| a.complaint.to_lowercase()).unwrap_or_default(),
            rng.int(1, 7),
            if fever { "Fever at home." } else { "No fever." }
        ),
        Kind::Anticoagulation => format!("{who} here for an INR check on warfarin. No bleeding or bruising; no missed doses; no diet changes."),
    };
    let mut objective = String::new();
    if let (Some(s), Some(d)) = (get(vc::SYSTOLIC), get(vc::DIASTOLIC)) {
        objective.push_str(&format!("BP {s}/{d} mmHg. "));
    }
    if let Some(hr) = get(vc::HEART_RATE) {
        objective.push_str(&format!("HR {hr}/min. "));
    }
    if let Some(rr) = get(vc::RESP_RATE) {
        objective.push_str(&format!("RR {rr}/min. "));
    }
    if let Some(t) = get(vc::TEMPERATURE) {
        objective.push_str(&format!("T {t} °C. "));
    }
    if let Some(o) = get(vc::SPO2) {
        objective.push_str(&format!("SpO2 {o}%. "));
    }
    if let Some(h) = get(vc::HEIGHT) {
        objective.push_str(&format!("Height {h} cm. "));
    }
    if let Some(w) = get(vc::WEIGHT) {
        objective.push_str(&format!("Weight {w} kg. "));
    }
    if let Some(b) = get(vc::BMI) {
        objective.push_str(&format!("BMI {b}. "));
    }
    if let Some(hc) = get(vc::HEAD_CIRCUMFERENCE) {
        objective.push_str(&format!("Head circumference {hc} cm. "));
    }
    if v.kind == Kind::Telehealth {
        objective.push_str("Well appearing on video, speaking full sentences, no distress.");
    } else {
        let exam: &&str = rng.pick(&[
            "Well appearing. Heart regular rate and rhythm, no murmur. Lungs clear.",
            "No acute distress. Heart and lung exam normal. No edema.",
            "Alert and comfortable. Lungs clear bilaterally. Abdomen soft.",
        ]);
        objective.push_str(exam);
        if p.has(Cond::Afib, v.date) {
            objective.push_str(" Irregularly irregular rhythm.");
        }
        if let Some(a) = acute {
            objective.push(' ');
            objective.push_str(match a.code {
                "J02.0" | "J02.9" => {
                    "Pharynx erythematous with tonsillar exudate; tender anterior nodes."
                }
                "H66.90" => "Right tympanic membrane bulging and erythematous.",
                "H10.9" => "Conjunctival injection with mucopurulent discharge.",
                "M54.50" => "Paraspinal tenderness; straight leg raise negative.",
                "S93.401A" => "Lateral ankle swelling, able to bear weight.",
                "L30.9" => "Erythematous scaly patches on the forearms.",
                "A09" => "Mucous membranes slightly dry; abdomen soft, non-tender.",
                _ => "Nasal congestion; tympanic membranes normal.",
            });
        }
    }
    let mut reported: Vec<String> = Vec::new();
    for (_, rs) in results {
        for r in rs {
            let name = lab_name(r.lab.code);
            if name.is_empty() {
                continue;
            }
            let flag = r.flag();
            let unit = codes::loinc::lookup(r.lab.code)
                .map(|l| l.unit)
                .unwrap_or("");
            reported.push(format!(
                "{name} {} {unit}{}",
                r.value,
                if flag == "N" {
                    String::new()
                } else {
                    format!(" ({flag})")
                }
            ));
        }
    }
    if !reported.is_empty() {
        objective.push_str(&format!("\nLabs: {}.", reported.join("; ")));
    }

    let mut assessment: Vec<String> = Vec::new();
    let mut plan: Vec<String> = Vec::new();
    let a1c = results
        .iter()
        .flat_map(|(_, rs)| rs)
        .find(|r| r.lab.code == cl::HBA1C.code)
        .map(|r| r.value);
    match v.kind {
        Kind::WellChild(_) => {
            assessment.push(format!(
                "{} (Z00.129). Growth and development appropriate for age.",
                icd_display("Z00.129")
            ));
            plan.push("Anticipatory guidance on safety, nutrition and sleep.".into());
        }
        Kind::NewPatient | Kind::Physical => {
            let code = if addressed.is_empty() {
                "Z00.00"
            } else {
                "Z00.01"
            };
            assessment.push(format!("{} ({code}).", icd_display(code)));
            plan.push("Age-appropriate screening reviewed.".into());
        }
        Kind::Anticoagulation => {
            let inr = results
                .iter()
                .flat_map(|(_, rs)| rs)
                .find(|r| r.lab.code == cl::INR.code)
                .map(|r| r.value);
            assessment.push(format!("{} (I48.91), on warfarin.", icd_display("I48.91")));
            plan.push(match inr {
                Some(x) if x < 2.0 => format!(
                    "INR {x}, below goal 2-3: increase weekly dose by 10%. Recheck in 1 week."
                ),
                Some(x) if x > 3.0 => format!(
                    "INR {x}, above goal 2-3: hold one dose, then resume. Recheck in 1 week."
                ),
                Some(x) => {
                    format!("INR {x}, in goal 2-3. Continue current dose. Recheck in 4-6 weeks.")
                }
                None => "Continue current dose.".to_string(),
            });
        }
        _ => {}
    }
    for c in addressed {
        let status = match c {
            Cond::Diabetes => match a1c {
                Some(x) if x <= 7.0 => format!(" HbA1c {x}%, at goal."),
                Some(x) => format!(" HbA1c {x}%, above goal of 7%."),
                None => String::new(),
            },
            Cond::Hypertension => match get(vc::SYSTOLIC) {
                Some(s) if s < 135.0 => " Blood pressure at goal.".to_string(),
                Some(_) => " Blood pressure above goal.".to_string(),
                None => String::new(),
            },
            Cond::Obesity => format!(" BMI {:.1}.", sim.bmi),
            _ => String::new(),
        };
        assessment.push(format!("{} ({}).{status}", icd_display(c.code()), c.code()));
        plan.push(c.plan().to_string());
    }
    if let Some(a) = acute {
        assessment.push(format!("{} ({}).", icd_display(a.code), a.code));
        plan.push(a.plan.to_string());
        if let Some(m) = prescribed {
            plan.push(format!(
                "Prescribed {}, {} {}.",
                m.name, m.dose, m.frequency
            ));
        }
    }
    let given: Vec<&str> = shots
        .iter()
        .filter(|s| s.status == "completed")
        .filter_map(|s| codes::cvx::lookup(s.cvx).map(|c| c.short_name))
        .collect();
    if !given.is_empty() {
        plan.push(format!(
            "Vaccines given today: {}. VIS provided.",
            given.join(", ")
        ));
    }
    if shots.iter().any(|s| s.status == "refused") {
        plan.push("Vaccine declined after counseling; will offer again.".into());
    }
    plan.push(match v.kind {
        Kind::WellChild(m) if m < 24 => "Next well-child visit as scheduled.".to_string(),
        Kind::Acute(_) => "Return if worse or not improving.".to_string(),
        Kind::Anticoagulation => "Bleeding precautions reviewed.".to_string(),
        _ => {
            let months = addressed
                .iter()
                .map(|c| c.follow_up_months())
                .filter(|m| *m > 0)
                .min()
                .unwrap_or(12);
            format!("Return in {months} months.")
        }
    });
    let title = match v.kind {
        Kind::WellChild(m) => milestone(m),
        Kind::Acute(_) => acute.map(|a| a.complaint.to_string()).unwrap_or_default(),
        Kind::Anticoagulation => "INR check".to_string(),
        _ => list_or(&shorts, "general health"),
    };
    let assessment = assessment
        .iter()
        .enumerate()
        .map(|(i, a)| format!("{}. {a}", i + 1))
        .collect::<Vec<_>>()
        .join("\n");
    NoteText {
        title,
        subjective,
        objective,
        assessment,
        plan: plan.join("\n"),
    }
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
