//! The registration: demographics, coverage and the history recorded at the first visit.

use super::*;

pub(super) fn given_names(g: &Group, sex: Sex) -> &'static [&'static str] {
    match sex {
        Sex::Female => g.female,
        Sex::Male => g.male,
    }
}

/// The patient's family name as a relative of `sex` carries it (Kowalski / Kowalska).
pub(super) fn family_for(p: &Person, sex: Sex) -> String {
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

pub(super) fn phone(rng: &mut Rng) -> String {
    format!("555-{}{}-{}", rng.int(2, 9), rng.digits(2), rng.digits(4))
}

pub(super) fn registration(
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

pub(super) fn icd_display(code: &str) -> &'static str {
    codes::icd10::lookup(code).map(|c| c.display).unwrap_or("")
}

pub(super) fn shot_change(rng: &mut Rng, ids: &Ids<'_>, pid: Uuid, p: &Person, s: &Shot) -> Change {
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
