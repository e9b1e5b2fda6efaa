//! When the patient is seen, and the vaccines given at those visits.

use super::*;

/// When the patient is seen, from joining the practice to yesterday.
pub(super) fn schedule(
    rng: &mut Rng,
    p: &Person,
    today: NaiveDate,
    profile: Profile,
) -> Vec<Visit> {
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

pub(super) fn pick_acute(rng: &mut Rng, p: &Person, on: NaiveDate) -> usize {
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
pub(super) fn immunizations(
    rng: &mut Rng,
    p: &Person,
    today: NaiveDate,
    visits: &[Visit],
) -> Vec<Shot> {
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
