//! The visit note a clinician would have written for what happened at the visit.

use super::*;

pub(super) struct NoteText {
    pub(super) title: String,
    pub(super) subjective: String,
    pub(super) objective: String,
    pub(super) assessment: String,
    pub(super) plan: String,
}

pub(super) fn lab_name(code: &str) -> &'static str {
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
pub(super) fn note(
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
