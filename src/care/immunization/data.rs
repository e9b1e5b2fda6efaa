//! CDC's CDSi supporting data (release 4.64), parsed into typed tables.
//!
//! The XML files ship unmodified in `assets/cdsi/` (so a reviewer can diff
//! them against CDC's release) and are embedded in the binary; they are
//! parsed once, at first use, with `roxmltree`. Parsing is strict about the
//! things the logic depends on (durations, dates, numbers) so a new release
//! with a changed spelling fails the unit test `supporting_data_parses`
//! instead of silently changing a forecast.
//!
//! Field names follow the supporting data; the logic specification's term is
//! in the doc comment where it differs (e.g. the data's "previous" and
//! "current" vaccine types of a live virus conflict are the specification's
//! "conflicting" and "impacted" vaccine types, section 6.7).

use super::duration::Duration;
use super::CdsiError;
use chrono::NaiveDate;
use roxmltree::{Document, Node};
use std::collections::HashMap;
use std::sync::OnceLock;

/// One antigen file as `(name, contents)`, CDC's file naming kept.
macro_rules! asset {
    ($antigen:literal) => {
        (
            concat!("AntigenSupportingData- ", $antigen, "-508.xml"),
            include_str!(concat!(
                "../../../assets/cdsi/AntigenSupportingData- ",
                $antigen,
                "-508.xml"
            )),
        )
    };
}

/// The embedded files: (file name in `assets/cdsi/`, contents).
pub const FILES: &[(&str, &str)] = &[
    (
        "ScheduleSupportingData.xml",
        include_str!("../../../assets/cdsi/ScheduleSupportingData.xml"),
    ),
    asset!("COVID-19"),
    asset!("Chikungunya"),
    asset!("Cholera"),
    asset!("Dengue"),
    asset!("Diphtheria"),
    asset!("Ebola"),
    asset!("HPV"),
    asset!("HepA"),
    asset!("HepB"),
    asset!("Hib"),
    asset!("Influenza"),
    asset!("JE"),
    asset!("Measles"),
    asset!("Meningococcal B"),
    asset!("Meningococcal"),
    asset!("Mumps"),
    asset!("Orthopoxvirus"),
    asset!("Pertussis"),
    asset!("Pneumococcal"),
    asset!("Polio"),
    asset!("RSV"),
    asset!("Rabies"),
    asset!("Rotavirus"),
    asset!("Rubella"),
    asset!("TBE"),
    asset!("Tetanus"),
    asset!("Typhoid"),
    asset!("Varicella"),
    asset!("YF"),
    asset!("Zoster"),
];

/// Everything the engine knows about the schedule.
#[derive(Debug)]
pub struct SupportingData {
    pub schedule: Schedule,
    /// By antigen name as the CVX map spells it ("Diphtheria", "Meningococcal B").
    pub antigens: Vec<Antigen>,
}

impl SupportingData {
    /// The antigen by name.
    pub fn antigen(&self, name: &str) -> Option<&Antigen> {
        self.antigens.iter().find(|a| a.name == name)
    }
}

/// `ScheduleSupportingData.xml`.
#[derive(Debug)]
pub struct Schedule {
    pub live_virus_conflicts: Vec<LiveVirusConflict>,
    /// In the file's order.
    pub vaccine_groups: Vec<VaccineGroup>,
    /// CVX (normalised, see [`normalize_cvx`]) to the antigens it carries.
    pub cvx_map: HashMap<String, CvxMap>,
    pub observations: Vec<Observation>,
}

/// A live virus conflict: a dose of `current` given too soon after `previous`.
#[derive(Debug)]
pub struct LiveVirusConflict {
    /// The specification's "conflicting vaccine type".
    pub previous_cvx: String,
    /// The specification's "impacted vaccine type".
    pub current_cvx: String,
    pub begin: Duration,
    /// Used when the earlier dose is valid (or unevaluated): CALCDTCONFLICT-2.
    pub min_end: Duration,
    /// Used when the earlier dose is not valid, and in forecasts (CALCDTCONFLICT-3).
    pub end: Duration,
}

/// A vaccine group and the antigens it classifies.
#[derive(Debug)]
pub struct VaccineGroup {
    pub name: String,
    /// FORECASTDN-2: the forecast dose number is the minimum (true) or the
    /// maximum (false) over the group's antigens.
    pub administer_full: bool,
    pub antigens: Vec<String>,
}

/// A CVX code's antigens.
#[derive(Debug)]
pub struct CvxMap {
    pub cvx: String,
    pub short_description: String,
    pub associations: Vec<Association>,
}

/// One antigen of a CVX code, with the ages at which it counts for it
/// (section 4.2 note a: zoster vaccine below 50 years counts as varicella).
#[derive(Debug)]
pub struct Association {
    pub antigen: String,
    pub begin_age: Option<Duration>,
    pub end_age: Option<Duration>,
}

/// A CDSi patient observation (condition, history, immunity evidence).
#[derive(Debug, Clone)]
pub struct Observation {
    pub code: String,
    pub title: String,
    pub indication_text: String,
    pub contraindication_text: String,
}

/// One `AntigenSupportingData- *.xml` file.
#[derive(Debug)]
pub struct Antigen {
    pub name: String,
    pub immunity: Immunity,
    /// Contraindications of the whole antigen (table 7-5).
    pub antigen_contraindications: Vec<Contraindication>,
    /// Contraindications of particular vaccines (table 7-6).
    pub vaccine_contraindications: Vec<VaccineContraindication>,
    pub series: Vec<Series>,
}

/// Evidence of immunity (section 7.2).
#[derive(Debug, Default)]
pub struct Immunity {
    /// Observation codes that are evidence of immunity on their own.
    pub clinical_history: Vec<String>,
    pub birth: Vec<BirthImmunity>,
}

/// "Born before this date" immunity.
#[derive(Debug)]
pub struct BirthImmunity {
    pub before: NaiveDate,
    /// Empty means any country.
    pub country: String,
    /// Observation codes that cancel the birth-date immunity.
    pub exclusions: Vec<String>,
}

/// An antigen contraindication.
#[derive(Debug)]
pub struct Contraindication {
    pub code: String,
    pub text: String,
    pub begin_age: Option<Duration>,
    pub end_age: Option<Duration>,
}

/// A vaccine contraindication: an observation that rules out some CVX codes.
#[derive(Debug)]
pub struct VaccineContraindication {
    pub code: String,
    pub text: String,
    pub vaccines: Vec<VaccineAgeRange>,
}

/// A vaccine (CVX) allowed in an age range.
#[derive(Debug, Clone)]
pub struct VaccineAgeRange {
    pub cvx: String,
    pub begin_age: Option<Duration>,
    pub end_age: Option<Duration>,
}

/// Series type (section 4.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeriesType {
    Standard,
    Risk,
    EvaluationOnly,
}

/// An antigen series: one path to immunity.
#[derive(Debug)]
pub struct Series {
    pub name: String,
    pub antigen: String,
    pub vaccine_group: String,
    pub series_type: SeriesType,
    /// Series groups whose best series can stand in for this one (table 8-14).
    pub equivalent_series_groups: Vec<String>,
    /// Empty means any gender.
    pub required_gender: Vec<String>,
    pub default_series: bool,
    pub product_path: bool,
    pub series_group: String,
    /// 'A' is the highest priority (SELECTSCORE-2).
    pub priority: String,
    /// Lower is preferred when scores tie (SELECTBEST-2).
    pub preference: u32,
    pub min_age_to_start: Option<Duration>,
    pub max_age_to_start: Option<Duration>,
    pub indications: Vec<Indication>,
    pub doses: Vec<SeriesDose>,
}

/// An indication of a risk series (table 5-4).
#[derive(Debug)]
pub struct Indication {
    pub code: String,
    pub description: String,
    pub begin_age: Option<Duration>,
    pub end_age: Option<Duration>,
}

/// An effective/cessation date range (section 3.3); `None` ends are open.
#[derive(Debug, Clone, Copy, Default)]
pub struct Effective {
    pub from: Option<NaiveDate>,
    pub until: Option<NaiveDate>,
}

impl Effective {
    /// RELEVANT-1/2: the instance applies on `date`.
    pub fn covers(&self, date: NaiveDate) -> bool {
        self.from.is_none_or(|f| date >= f) && self.until.is_none_or(|u| date <= u)
    }
}

/// A series dose: the template of a target dose.
#[derive(Debug, Clone)]
pub struct SeriesDose {
    pub number: u32,
    pub ages: Vec<AgeRule>,
    pub intervals: Vec<IntervalRule>,
    pub allowable_intervals: Vec<AllowableInterval>,
    pub preferable: Vec<PreferableVaccine>,
    pub allowable: Vec<VaccineAgeRange>,
    pub inadvertent: Vec<String>,
    pub skips: Vec<ConditionalSkip>,
    pub recurring: bool,
    pub season_start: Option<NaiveDate>,
    pub season_end: Option<NaiveDate>,
}

/// Age limits of a series dose.
#[derive(Debug, Clone, Default)]
pub struct AgeRule {
    pub abs_min: Option<Duration>,
    pub min: Option<Duration>,
    pub earliest_rec: Option<Duration>,
    pub latest_rec: Option<Duration>,
    pub max: Option<Duration>,
    pub effective: Effective,
}

/// Where a preferable interval is measured from (section 6.5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IntervalFrom {
    /// The immediate previous dose administered.
    Previous,
    /// The dose that satisfied target dose N (1-based).
    TargetDose(u32),
    /// The most recent dose of any of these CVX codes.
    MostRecent(Vec<String>),
    /// The date of a patient observation (the code).
    Observation(String),
}

/// A preferable interval.
#[derive(Debug, Clone)]
pub struct IntervalRule {
    pub from: IntervalFrom,
    pub abs_min: Option<Duration>,
    pub min: Option<Duration>,
    pub earliest_rec: Option<Duration>,
    pub latest_rec: Option<Duration>,
    /// "override": FORECASTPRIORITY-1.
    pub priority: bool,
    pub effective: Effective,
}

/// An allowable interval (section 6.6).
#[derive(Debug, Clone)]
pub struct AllowableInterval {
    pub from: IntervalFrom,
    pub abs_min: Option<Duration>,
    pub effective: Effective,
}

/// A preferable vaccine.
#[derive(Debug, Clone)]
pub struct PreferableVaccine {
    pub cvx: String,
    pub begin_age: Option<Duration>,
    pub end_age: Option<Duration>,
    pub mvx: Option<String>,
    /// FORECASTRECVAC-1.
    pub forecast: bool,
}

/// Where a conditional skip applies (section 3.3, figure 3-3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SkipContext {
    Evaluation,
    Forecast,
    Both,
}

/// A conditional skip (section 6.2).
#[derive(Debug, Clone)]
pub struct ConditionalSkip {
    pub context: SkipContext,
    /// `true` for AND over sets; `false` for OR (also "n/a" with one set).
    pub all_sets: bool,
    pub sets: Vec<SkipSet>,
}

/// A set of conditions.
#[derive(Debug, Clone)]
pub struct SkipSet {
    pub description: String,
    pub effective: Effective,
    /// `true` for AND over conditions.
    pub all_conditions: bool,
    pub conditions: Vec<SkipCondition>,
}

/// One condition of a set (tables 6-6 to 6-9).
#[derive(Debug, Clone)]
pub enum SkipCondition {
    Age {
        begin_age: Option<Duration>,
        end_age: Option<Duration>,
    },
    CompletedSeries {
        series_groups: Vec<String>,
    },
    Interval {
        interval: Duration,
    },
    VaccineCount {
        begin_age: Option<Duration>,
        end_age: Option<Duration>,
        start_date: Option<NaiveDate>,
        end_date: Option<NaiveDate>,
        count: usize,
        valid_only: bool,
        logic: CountLogic,
        /// Empty means any vaccine of the antigen.
        cvx: Vec<String>,
    },
}

/// Dose count comparison (table 6-9).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CountLogic {
    GreaterThan,
    Equal,
    LessThan,
}

/// The parsed supporting data, built on first use.
pub fn supporting_data() -> Result<&'static SupportingData, CdsiError> {
    static DATA: OnceLock<Result<SupportingData, CdsiError>> = OnceLock::new();
    DATA.get_or_init(parse_all).as_ref().map_err(Clone::clone)
}

/// CVX codes are compared without leading zeros: the supporting data writes
/// "03" where a registry may send "3".
pub fn normalize_cvx(cvx: &str) -> String {
    let t = cvx.trim().trim_start_matches('0');
    if t.is_empty() {
        "0".to_string()
    } else {
        t.to_string()
    }
}

fn parse_all() -> Result<SupportingData, CdsiError> {
    let mut schedule = None;
    let mut antigens = Vec::new();
    for (file, text) in FILES {
        let doc = Document::parse(text).map_err(|e| bad(file, e.to_string()))?;
        let root = doc.root_element();
        if *file == "ScheduleSupportingData.xml" {
            schedule = Some(parse_schedule(file, root)?);
        } else {
            antigens.push(parse_antigen(file, root)?);
        }
    }
    let schedule = schedule.ok_or_else(|| bad("ScheduleSupportingData.xml", "missing".into()))?;
    Ok(SupportingData { schedule, antigens })
}

fn bad(file: &str, what: String) -> CdsiError {
    CdsiError::SupportingData {
        file: file.to_string(),
        what,
    }
}

fn children<'a, 'i>(node: Node<'a, 'i>, tag: &'static str) -> impl Iterator<Item = Node<'a, 'i>> {
    node.children().filter(move |c| c.has_tag_name(tag))
}

fn child<'a, 'i>(node: Node<'a, 'i>, tag: &str) -> Option<Node<'a, 'i>> {
    node.children().find(|c| c.has_tag_name(tag))
}

/// The trimmed text of a child element; empty and "n/a" read as `None`.
fn text(node: Node, tag: &str) -> Option<String> {
    let t = child(node, tag)?.text()?.trim();
    if t.is_empty() || t.eq_ignore_ascii_case("n/a") {
        None
    } else {
        Some(t.to_string())
    }
}

fn text_or_empty(node: Node, tag: &str) -> String {
    text(node, tag).unwrap_or_default()
}

fn duration(file: &str, node: Node, tag: &str) -> Result<Option<Duration>, CdsiError> {
    text(node, tag)
        .map(|t| Duration::parse(&t).map_err(|e| bad(file, format!("<{tag}>: {e}"))))
        .transpose()
}

/// Dates in the antigen files are `YYYYMMDD`; immunity birth dates `MM/DD/YYYY`.
fn date(file: &str, node: Node, tag: &str) -> Result<Option<NaiveDate>, CdsiError> {
    let Some(t) = text(node, tag) else {
        return Ok(None);
    };
    NaiveDate::parse_from_str(&t, "%Y%m%d")
        .or_else(|_| NaiveDate::parse_from_str(&t, "%m/%d/%Y"))
        .map(Some)
        .map_err(|_| bad(file, format!("<{tag}>: '{t}' is not a date")))
}

fn yes(node: Node, tag: &str) -> bool {
    matches!(
        text(node, tag)
            .as_deref()
            .map(str::to_ascii_lowercase)
            .as_deref(),
        Some("yes" | "y")
    )
}

fn cvx_list(t: &str) -> Vec<String> {
    t.split([';', ','])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(normalize_cvx)
        .collect()
}

fn parse_schedule(file: &str, root: Node) -> Result<Schedule, CdsiError> {
    let mut live_virus_conflicts = Vec::new();
    if let Some(list) = child(root, "liveVirusConflicts") {
        for c in children(list, "liveVirusConflict") {
            let cvx_of = |tag: &str| {
                child(c, tag)
                    .and_then(|n| text(n, "cvx"))
                    .map(|s| normalize_cvx(&s))
                    .ok_or_else(|| bad(file, format!("liveVirusConflict without <{tag}><cvx>")))
            };
            let need = |tag: &str| {
                duration(file, c, tag)?
                    .ok_or_else(|| bad(file, format!("liveVirusConflict without <{tag}>")))
            };
            live_virus_conflicts.push(LiveVirusConflict {
                previous_cvx: cvx_of("previous")?,
                current_cvx: cvx_of("current")?,
                begin: need("conflictBeginInterval")?,
                min_end: need("minConflictEndInterval")?,
                end: need("conflictEndInterval")?,
            });
        }
    }
    let mut full: HashMap<String, bool> = HashMap::new();
    if let Some(list) = child(root, "vaccineGroups") {
        for g in children(list, "vaccineGroup") {
            full.insert(
                text_or_empty(g, "name"),
                yes(g, "administerFullVaccineGroup"),
            );
        }
    }
    let mut vaccine_groups = Vec::new();
    if let Some(list) = child(root, "vaccineGroupToAntigenMap") {
        for g in children(list, "vaccineGroupMap") {
            let name = text_or_empty(g, "name");
            vaccine_groups.push(VaccineGroup {
                administer_full: full.get(&name).copied().unwrap_or(false),
                antigens: children(g, "antigen")
                    .filter_map(|a| a.text().map(|t| t.trim().to_string()))
                    .collect(),
                name,
            });
        }
    }
    let mut cvx_map = HashMap::new();
    if let Some(list) = child(root, "cvxToAntigenMap") {
        for m in children(list, "cvxMap") {
            let cvx = normalize_cvx(&text_or_empty(m, "cvx"));
            let mut associations = Vec::new();
            for a in children(m, "association") {
                associations.push(Association {
                    antigen: text_or_empty(a, "antigen"),
                    begin_age: duration(file, a, "associationBeginAge")?,
                    end_age: duration(file, a, "associationEndAge")?,
                });
            }
            cvx_map.insert(
                cvx.clone(),
                CvxMap {
                    cvx,
                    short_description: text_or_empty(m, "shortDescription"),
                    associations,
                },
            );
        }
    }
    let mut observations = Vec::new();
    if let Some(list) = child(root, "observations") {
        for o in children(list, "observation") {
            observations.push(Observation {
                code: text_or_empty(o, "observationCode"),
                title: text_or_empty(o, "observationTitle"),
                indication_text: text_or_empty(o, "indicationText"),
                contraindication_text: text_or_empty(o, "contraindicationText"),
            });
        }
    }
    Ok(Schedule {
        live_virus_conflicts,
        vaccine_groups,
        cvx_map,
        observations,
    })
}

fn parse_antigen(file: &str, root: Node) -> Result<Antigen, CdsiError> {
    let mut immunity = Immunity::default();
    if let Some(imm) = child(root, "immunity") {
        for c in children(imm, "clinicalHistory") {
            if let Some(code) = text(c, "guidelineCode") {
                immunity.clinical_history.push(code);
            }
        }
        for b in children(imm, "dateOfBirth") {
            if let Some(before) = date(file, b, "immunityBirthDate")? {
                immunity.birth.push(BirthImmunity {
                    before,
                    country: text_or_empty(b, "birthCountry"),
                    exclusions: children(b, "exclusion")
                        .filter_map(|e| text(e, "exclusionCode"))
                        .collect(),
                });
            }
        }
    }
    let mut antigen_contraindications = Vec::new();
    let mut vaccine_contraindications = Vec::new();
    if let Some(ci) = child(root, "contraindications") {
        if let Some(group) = child(ci, "vaccineGroup") {
            for c in children(group, "contraindication") {
                antigen_contraindications.push(Contraindication {
                    code: text_or_empty(c, "observationCode"),
                    text: text_or_empty(c, "contraindicationText"),
                    begin_age: duration(file, c, "beginAge")?,
                    end_age: duration(file, c, "endAge")?,
                });
            }
        }
        if let Some(vaccine) = child(ci, "vaccine") {
            for c in children(vaccine, "contraindication") {
                let mut vaccines = Vec::new();
                for v in children(c, "contraindicatedVaccine") {
                    vaccines.push(vaccine_age_range(file, v)?);
                }
                vaccine_contraindications.push(VaccineContraindication {
                    code: text_or_empty(c, "observationCode"),
                    text: text_or_empty(c, "contraindicationText"),
                    vaccines,
                });
            }
        }
    }
    let mut series = Vec::new();
    for s in children(root, "series") {
        series.push(parse_series(file, s)?);
    }
    let name = series
        .first()
        .map(|s| s.antigen.clone())
        .ok_or_else(|| bad(file, "no <series>".into()))?;
    Ok(Antigen {
        name,
        immunity,
        antigen_contraindications,
        vaccine_contraindications,
        series,
    })
}

fn vaccine_age_range(file: &str, v: Node) -> Result<VaccineAgeRange, CdsiError> {
    Ok(VaccineAgeRange {
        cvx: normalize_cvx(&text_or_empty(v, "cvx")),
        begin_age: duration(file, v, "beginAge")?,
        end_age: duration(file, v, "endAge")?,
    })
}

fn effective(file: &str, node: Node) -> Result<Effective, CdsiError> {
    Ok(Effective {
        from: date(file, node, "effectiveDate")?,
        until: date(file, node, "cessationDate")?,
    })
}

fn parse_series(file: &str, s: Node) -> Result<Series, CdsiError> {
    let name = text_or_empty(s, "seriesName");
    let series_type = match text_or_empty(s, "seriesType").as_str() {
        "Standard" => SeriesType::Standard,
        "Risk" => SeriesType::Risk,
        "Evaluation Only" => SeriesType::EvaluationOnly,
        other => return Err(bad(file, format!("{name}: series type '{other}'"))),
    };
    let select =
        child(s, "selectSeries").ok_or_else(|| bad(file, format!("{name}: no <selectSeries>")))?;
    let mut indications = Vec::new();
    for i in children(s, "indication") {
        let Some(code) = child(i, "observationCode").and_then(|o| text(o, "code")) else {
            continue;
        };
        indications.push(Indication {
            code,
            description: text_or_empty(i, "description"),
            begin_age: duration(file, i, "beginAge")?,
            end_age: duration(file, i, "endAge")?,
        });
    }
    let mut doses = Vec::new();
    for d in children(s, "seriesDose") {
        doses.push(parse_dose(file, &name, d)?);
    }
    Ok(Series {
        antigen: text_or_empty(s, "targetDisease"),
        vaccine_group: text_or_empty(s, "vaccineGroup"),
        series_type,
        equivalent_series_groups: text(s, "equivalentSeriesGroups")
            .map(|t| cvx_list(&t))
            .unwrap_or_default(),
        required_gender: children(s, "requiredGender")
            .filter_map(|g| g.text().map(|t| t.trim().to_string()))
            .filter(|t| !t.is_empty())
            .collect(),
        default_series: yes(select, "defaultSeries"),
        product_path: yes(select, "productPath"),
        series_group: text_or_empty(select, "seriesGroup"),
        priority: text_or_empty(select, "seriesPriority"),
        preference: text(select, "seriesPreference")
            .map(|p| {
                p.parse()
                    .map_err(|_| bad(file, format!("{name}: preference '{p}'")))
            })
            .transpose()?
            .unwrap_or(u32::MAX),
        min_age_to_start: duration(file, select, "minAgeToStart")?,
        max_age_to_start: duration(file, select, "maxAgeToStart")?,
        indications,
        doses,
        name,
    })
}

fn interval_from(file: &str, i: Node) -> Result<IntervalFrom, CdsiError> {
    if text(i, "fromPrevious").as_deref() == Some("Y") {
        return Ok(IntervalFrom::Previous);
    }
    if let Some(n) = text(i, "fromTargetDose") {
        let n = n
            .parse()
            .map_err(|_| bad(file, format!("<fromTargetDose> '{n}'")))?;
        return Ok(IntervalFrom::TargetDose(n));
    }
    if let Some(list) = text(i, "fromMostRecent") {
        return Ok(IntervalFrom::MostRecent(cvx_list(&list)));
    }
    if let Some(code) = child(i, "fromRelevantObs").and_then(|o| text(o, "code")) {
        return Ok(IntervalFrom::Observation(code));
    }
    // An interval with no reference at all: measured from the previous dose.
    Ok(IntervalFrom::Previous)
}

fn parse_dose(file: &str, series: &str, d: Node) -> Result<SeriesDose, CdsiError> {
    let number_text = text_or_empty(d, "doseNumber");
    let number = number_text
        .trim_start_matches("Dose")
        .trim()
        .parse()
        .map_err(|_| bad(file, format!("{series}: dose number '{number_text}'")))?;
    let mut ages = Vec::new();
    for a in children(d, "age") {
        ages.push(AgeRule {
            abs_min: duration(file, a, "absMinAge")?,
            min: duration(file, a, "minAge")?,
            earliest_rec: duration(file, a, "earliestRecAge")?,
            latest_rec: duration(file, a, "latestRecAge")?,
            max: duration(file, a, "maxAge")?,
            effective: effective(file, a)?,
        });
    }
    let mut intervals = Vec::new();
    for i in children(d, "interval") {
        if i.children().all(|c| !c.is_element()) {
            continue;
        }
        intervals.push(IntervalRule {
            from: interval_from(file, i)?,
            abs_min: duration(file, i, "absMinInt")?,
            min: duration(file, i, "minInt")?,
            earliest_rec: duration(file, i, "earliestRecInt")?,
            latest_rec: duration(file, i, "latestRecInt")?,
            priority: text(i, "intervalPriority")
                .is_some_and(|p| p.eq_ignore_ascii_case("override")),
            effective: effective(file, i)?,
        });
    }
    let mut allowable_intervals = Vec::new();
    for i in children(d, "allowableInterval") {
        if i.children().all(|c| !c.is_element()) {
            continue;
        }
        allowable_intervals.push(AllowableInterval {
            from: interval_from(file, i)?,
            abs_min: duration(file, i, "absMinInt")?,
            effective: effective(file, i)?,
        });
    }
    let mut preferable = Vec::new();
    for p in children(d, "preferableVaccine") {
        let Some(cvx) = text(p, "cvx") else { continue };
        preferable.push(PreferableVaccine {
            cvx: normalize_cvx(&cvx),
            begin_age: duration(file, p, "beginAge")?,
            end_age: duration(file, p, "endAge")?,
            mvx: text(p, "mvx"),
            forecast: text(p, "forecastVaccineType").as_deref() == Some("Y"),
        });
    }
    let mut allowable = Vec::new();
    for a in children(d, "allowableVaccine") {
        if text(a, "cvx").is_some() {
            allowable.push(vaccine_age_range(file, a)?);
        }
    }
    let inadvertent = children(d, "inadvertentVaccine")
        .filter_map(|v| text(v, "cvx"))
        .map(|c| normalize_cvx(&c))
        .collect();
    let mut skips = Vec::new();
    for c in children(d, "conditionalSkip") {
        if let Some(skip) = parse_skip(file, series, c)? {
            skips.push(skip);
        }
    }
    let season = child(d, "seasonalRecommendation");
    Ok(SeriesDose {
        number,
        ages,
        intervals,
        allowable_intervals,
        preferable,
        allowable,
        inadvertent,
        skips,
        recurring: yes(d, "recurringDose"),
        season_start: season
            .map(|s| date(file, s, "startDate"))
            .transpose()?
            .flatten(),
        season_end: season
            .map(|s| date(file, s, "endDate"))
            .transpose()?
            .flatten(),
    })
}

fn parse_skip(file: &str, series: &str, c: Node) -> Result<Option<ConditionalSkip>, CdsiError> {
    let context = match text(c, "context").as_deref() {
        None => return Ok(None),
        Some("Evaluation") => SkipContext::Evaluation,
        Some("Forecast") => SkipContext::Forecast,
        Some("Both") => SkipContext::Both,
        Some(other) => return Err(bad(file, format!("{series}: skip context '{other}'"))),
    };
    let all_sets = text(c, "setLogic").is_some_and(|l| l.eq_ignore_ascii_case("AND"));
    let mut sets = Vec::new();
    for s in children(c, "set") {
        let mut conditions = Vec::new();
        for k in children(s, "condition") {
            let kind = text_or_empty(k, "conditionType").to_ascii_lowercase();
            let condition = match kind.as_str() {
                "age" => SkipCondition::Age {
                    begin_age: duration(file, k, "beginAge")?,
                    end_age: duration(file, k, "endAge")?,
                },
                "completed series" => SkipCondition::CompletedSeries {
                    series_groups: text(k, "seriesGroups")
                        .map(|t| cvx_list(&t))
                        .unwrap_or_default(),
                },
                "interval" => SkipCondition::Interval {
                    interval: duration(file, k, "interval")?.ok_or_else(|| {
                        bad(file, format!("{series}: interval skip without interval"))
                    })?,
                },
                _ if kind.starts_with("vaccine count") => {
                    let count_text = text_or_empty(k, "doseCount");
                    SkipCondition::VaccineCount {
                        begin_age: duration(file, k, "beginAge")?,
                        end_age: duration(file, k, "endAge")?,
                        start_date: date(file, k, "startDate")?,
                        end_date: date(file, k, "endDate")?,
                        count: count_text.parse().map_err(|_| {
                            bad(file, format!("{series}: dose count '{count_text}'"))
                        })?,
                        valid_only: text(k, "doseType")
                            .is_some_and(|t| t.eq_ignore_ascii_case("valid")),
                        logic: match text_or_empty(k, "doseCountLogic")
                            .to_ascii_lowercase()
                            .as_str()
                        {
                            "greater than" => CountLogic::GreaterThan,
                            "equal to" | "equal" => CountLogic::Equal,
                            "less than" => CountLogic::LessThan,
                            other => {
                                return Err(bad(
                                    file,
                                    format!("{series}: dose count logic '{other}'"),
                                ))
                            }
                        },
                        cvx: text(k, "vaccineTypes")
                            .map(|t| cvx_list(&t))
                            .unwrap_or_default(),
                    }
                }
                other => return Err(bad(file, format!("{series}: condition type '{other}'"))),
            };
            conditions.push(condition);
        }
        sets.push(SkipSet {
            description: text_or_empty(s, "setDescription"),
            effective: effective(file, s)?,
            all_conditions: text(s, "conditionLogic")
                .is_some_and(|l| l.eq_ignore_ascii_case("AND")),
            conditions,
        });
    }
    Ok(Some(ConditionalSkip {
        context,
        all_sets,
        sets,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn supporting_data_parses() {
        let data = supporting_data().expect("the shipped supporting data parses");
        assert_eq!(data.antigens.len(), FILES.len() - 1);
        // Every antigen a vaccine group names has a file, and every series
        // names an antigen that the CVX map knows.
        for group in &data.schedule.vaccine_groups {
            for antigen in &group.antigens {
                assert!(
                    data.antigen(antigen).is_some(),
                    "{antigen} of {}",
                    group.name
                );
            }
        }
        for antigen in &data.antigens {
            for series in &antigen.series {
                assert_eq!(series.antigen, antigen.name, "{}", series.name);
                assert!(!series.doses.is_empty(), "{}", series.name);
            }
        }
        assert!(data.schedule.cvx_map.contains_key("3"), "MMR, written 03");
    }

    #[test]
    fn known_values_read_as_the_file_writes_them() {
        let data = supporting_data().unwrap();
        let hib = data.antigen("Hib").unwrap();
        let standard = &hib.series[0];
        assert_eq!(standard.name, "Hib start at 2 months 4-dose series");
        assert!(standard.default_series);
        let dose1 = &standard.doses[0];
        assert_eq!(
            dose1.ages[0].abs_min,
            Duration::parse("6 weeks - 4 days").ok()
        );
        assert_eq!(dose1.preferable[0].cvx, "48");
        let dtap = data
            .schedule
            .vaccine_groups
            .iter()
            .find(|g| g.name == "DTaP/Tdap/Td")
            .unwrap();
        assert!(!dtap.administer_full);
        assert_eq!(dtap.antigens, ["Diphtheria", "Pertussis", "Tetanus"]);
        let measles = data.antigen("Measles").unwrap();
        assert_eq!(
            measles.immunity.birth[0].before,
            NaiveDate::from_ymd_opt(1957, 1, 1).unwrap()
        );
    }
}
