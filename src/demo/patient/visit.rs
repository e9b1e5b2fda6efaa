//! One visit: the vitals and labs that drift from visit to visit, and the observations.

use super::*;

/// What drifts from visit to visit.
pub(super) struct Sim {
    pub(super) bmi: f64,
    pub(super) a1c: f64,
    pub(super) last: std::collections::HashMap<&'static str, NaiveDate>,
}

impl Sim {
    pub(super) fn new(rng: &mut Rng, p: &Person) -> Sim {
        Sim {
            bmi: p.bmi_base + rng.normal(0.0, 0.8),
            a1c: rng.normal(8.4, 0.8).clamp(6.8, 11.5),
            last: std::collections::HashMap::new(),
        }
    }

    /// Whether `what` was last done at least `gap` days before `on` (or never); if so it
    /// counts as done on `on`.
    pub(super) fn due(&mut self, what: &'static str, on: NaiveDate, gap: i64) -> bool {
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

/// The coded kind (a shipped SNOMED CT visit kind) of the visits a quality measure
/// counts: well-child visits and annual physicals. Follow-ups and acute visits are
/// office visits whose codes are CPT (a practice's own value set import), so the demo
/// leaves them in words, as a practice without the import would.
fn visit_code(kind: Kind, age: f64) -> Option<&'static str> {
    match kind {
        Kind::WellChild(_) => Some("3391000175108"),
        Kind::Physical if age >= 65.0 => Some("456201000124103"),
        Kind::Physical => Some("444971000124105"),
        _ => None,
    }
}

/// Length or height in cm at an age, from the adult height the child grows to.
pub(super) fn height_at(p: &Person, age: f64) -> f64 {
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
pub(super) fn child_bmi(age: f64) -> f64 {
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
pub(super) struct Vital {
    pub(super) code: &'static str,
    pub(super) value: f64,
    pub(super) unit: &'static str,
}

/// A lab result, for the observation and the note.
pub(super) struct LabResult {
    pub(super) lab: Lab,
    pub(super) value: f64,
}

impl LabResult {
    pub(super) fn flag(&self) -> &'static str {
        match (self.lab.low, self.lab.high) {
            (Some(l), _) if self.value < l => "L",
            (_, Some(h)) if self.value > h => "H",
            _ => "N",
        }
    }
}

pub(super) fn vitals(
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
pub(super) fn labs(
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
pub(super) fn visit(
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
        .text("reason", reason);
    if let Some(code) = visit_code(v.kind, p.age(v.date)) {
        f.text("type_code", code);
    }
    f.text(
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
        let content: serde_json::Map<String, Json> =
            f.0.iter().map(|(k, v)| (k.clone(), v.to_json())).collect();
        f.text("status", "signed")
            .text("signed_at", stamp(v.date, minute))
            .id("signed_by", ids.author)
            .text("signed_digest", crate::chart::notes::digest(&content));
    } else {
        f.text("status", "draft");
    }
    c.push(ids.create("note", ids.next(), f));
    out.notes += 1;
    c
}

pub(super) fn milestone(m: u32) -> String {
    match m {
        0 => "newborn".to_string(),
        m if m < 24 => format!("{m} months"),
        m if m % 12 == 0 => format!("{} years", m / 12),
        m => format!("{} months", m),
    }
}

pub(super) fn list_or(items: &[&str], none: &str) -> String {
    match items.len() {
        0 => none.to_string(),
        1 => items[0].to_string(),
        n => format!("{} and {}", items[..n - 1].join(", "), items[n - 1]),
    }
}

#[allow(clippy::too_many_arguments)]
pub(super) fn observation(
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
