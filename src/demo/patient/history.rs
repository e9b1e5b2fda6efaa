//! The patient's chronic problems and the prescriptions that go with them, over time.

use super::*;

/// Onset of a chronic problem: some years back, not before `min_age`.
pub(super) fn onset(
    rng: &mut Rng,
    p: &Person,
    today: NaiveDate,
    min_age: f64,
    mean_years: f64,
) -> NaiveDate {
    let age = p.age(today);
    let back = rng.exp(mean_years).min((age - min_age).max(0.0));
    let d = at_age(p.birth, age - back);
    d.min(today - days(20)).max(p.birth + days(1))
}

pub(super) fn problems(rng: &mut Rng, p: &mut Person, today: NaiveDate, profile: Profile) {
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
pub(super) fn medications(rng: &mut Rng, p: &mut Person, today: NaiveDate) {
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
