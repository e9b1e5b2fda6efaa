//! Clinical knowledge for synthetic charts: chronic problems with their ICD-10-CM codes
//! and treatments, acute complaints, allergies, vaccines (CVX), labs (LOINC) with
//! reference ranges, family and surgical history. Every code here is checked against the
//! shipped code sets by the tests below.

use super::names;

/// Chronic problems the demo gives patients.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cond {
    Obesity,
    Prediabetes,
    Diabetes,
    Hypertension,
    Hyperlipidemia,
    Ckd,
    Cad,
    HeartFailure,
    Afib,
    Copd,
    Asthma,
    Anxiety,
    Depression,
    Hypothyroid,
    Gerd,
    KneeOa,
    Osteoporosis,
    AllergicRhinitis,
    Migraine,
    BackPain,
    VitaminD,
    Adhd,
    Eczema,
    Pcos,
    Menopause,
    Gout,
    Bph,
    Osa,
}

impl Cond {
    pub const ALL: [Cond; 28] = [
        Cond::Obesity,
        Cond::Prediabetes,
        Cond::Diabetes,
        Cond::Hypertension,
        Cond::Hyperlipidemia,
        Cond::Ckd,
        Cond::Cad,
        Cond::HeartFailure,
        Cond::Afib,
        Cond::Copd,
        Cond::Asthma,
        Cond::Anxiety,
        Cond::Depression,
        Cond::Hypothyroid,
        Cond::Gerd,
        Cond::KneeOa,
        Cond::Osteoporosis,
        Cond::AllergicRhinitis,
        Cond::Migraine,
        Cond::BackPain,
        Cond::VitaminD,
        Cond::Adhd,
        Cond::Eczema,
        Cond::Pcos,
        Cond::Menopause,
        Cond::Gout,
        Cond::Bph,
        Cond::Osa,
    ];

    /// The ICD-10-CM code (billable).
    pub fn code(self) -> &'static str {
        match self {
            Cond::Obesity => "E66.9",
            Cond::Prediabetes => "R73.03",
            Cond::Diabetes => "E11.9",
            Cond::Hypertension => "I10",
            Cond::Hyperlipidemia => "E78.5",
            Cond::Ckd => "N18.30",
            Cond::Cad => "I25.10",
            Cond::HeartFailure => "I50.9",
            Cond::Afib => "I48.91",
            Cond::Copd => "J44.9",
            Cond::Asthma => "J45.909",
            Cond::Anxiety => "F41.1",
            Cond::Depression => "F32.A",
            Cond::Hypothyroid => "E03.9",
            Cond::Gerd => "K21.9",
            Cond::KneeOa => "M17.11",
            Cond::Osteoporosis => "M81.0",
            Cond::AllergicRhinitis => "J30.9",
            Cond::Migraine => "G43.909",
            Cond::BackPain => "M54.50",
            Cond::VitaminD => "E55.9",
            Cond::Adhd => "F90.9",
            Cond::Eczema => "L20.9",
            Cond::Pcos => "E28.2",
            Cond::Menopause => "N95.1",
            Cond::Gout => "M10.9",
            Cond::Bph => "N40.0",
            Cond::Osa => "G47.33",
        }
    }

    /// How a clinician writes it in a note.
    pub fn short(self) -> &'static str {
        match self {
            Cond::Obesity => "obesity",
            Cond::Prediabetes => "prediabetes",
            Cond::Diabetes => "type 2 diabetes",
            Cond::Hypertension => "hypertension",
            Cond::Hyperlipidemia => "hyperlipidemia",
            Cond::Ckd => "CKD stage 3",
            Cond::Cad => "coronary artery disease",
            Cond::HeartFailure => "heart failure",
            Cond::Afib => "atrial fibrillation",
            Cond::Copd => "COPD",
            Cond::Asthma => "asthma",
            Cond::Anxiety => "generalized anxiety disorder",
            Cond::Depression => "depression",
            Cond::Hypothyroid => "hypothyroidism",
            Cond::Gerd => "GERD",
            Cond::KneeOa => "right knee osteoarthritis",
            Cond::Osteoporosis => "osteoporosis",
            Cond::AllergicRhinitis => "allergic rhinitis",
            Cond::Migraine => "migraine",
            Cond::BackPain => "low back pain",
            Cond::VitaminD => "vitamin D deficiency",
            Cond::Adhd => "ADHD",
            Cond::Eczema => "atopic dermatitis",
            Cond::Pcos => "PCOS",
            Cond::Menopause => "menopausal symptoms",
            Cond::Gout => "gout",
            Cond::Bph => "BPH",
            Cond::Osa => "obstructive sleep apnea",
        }
    }

    /// Months between follow-up visits for this problem alone (0: no routine follow-up).
    pub fn follow_up_months(self) -> u32 {
        match self {
            Cond::Diabetes | Cond::HeartFailure | Cond::Afib => 3,
            Cond::Hypertension
            | Cond::Ckd
            | Cond::Cad
            | Cond::Copd
            | Cond::Depression
            | Cond::Anxiety
            | Cond::Adhd => 6,
            Cond::Hyperlipidemia
            | Cond::Hypothyroid
            | Cond::Asthma
            | Cond::Osteoporosis
            | Cond::Gout
            | Cond::Prediabetes => 12,
            _ => 0,
        }
    }

    /// A sentence of the assessment, by how the problem is doing.
    pub fn plan(self) -> &'static str {
        match self {
            Cond::Obesity => "Discussed diet and activity; goal 5% weight loss.",
            Cond::Prediabetes => "Lifestyle changes; recheck HbA1c in a year.",
            Cond::Diabetes => "Continue current regimen; foot exam done; annual eye exam reminded.",
            Cond::Hypertension => "Continue current medications; home BP log; low-sodium diet.",
            Cond::Hyperlipidemia => "Continue statin; lipid panel yearly.",
            Cond::Ckd => "Avoid NSAIDs; monitor creatinine and potassium.",
            Cond::Cad => "Continue aspirin and statin; chest pain precautions reviewed.",
            Cond::HeartFailure => "Daily weights; 2 g sodium restriction; continue diuretic.",
            Cond::Afib => "Rate controlled; continue anticoagulation.",
            Cond::Copd => "Continue inhalers; pulmonary rehab offered.",
            Cond::Asthma => "Reviewed inhaler technique and asthma action plan.",
            Cond::Anxiety => "Continue SSRI; counseling referral offered.",
            Cond::Depression => "PHQ-9 reviewed; continue medication and therapy.",
            Cond::Hypothyroid => "Continue levothyroxine; TSH yearly.",
            Cond::Gerd => "Continue PPI; avoid late meals.",
            Cond::KneeOa => "Home exercises, weight loss, acetaminophen as needed.",
            Cond::Osteoporosis => {
                "Continue bisphosphonate, calcium and vitamin D; fall prevention."
            }
            Cond::AllergicRhinitis => "Nasal steroid and antihistamine during season.",
            Cond::Migraine => "Triptan as needed; headache diary.",
            Cond::BackPain => "Stretching program; physical therapy if not improving.",
            Cond::VitaminD => "Continue supplement; recheck level.",
            Cond::Adhd => "Continue stimulant; school reports reviewed.",
            Cond::Eczema => "Emollients twice daily; topical steroid for flares.",
            Cond::Pcos => "Continue metformin; discussed cycle tracking.",
            Cond::Menopause => "Discussed options for vasomotor symptoms.",
            Cond::Gout => "Continue allopurinol; uric acid goal below 6.",
            Cond::Bph => "Continue tamsulosin; PSA per guidelines.",
            Cond::Osa => "Continue nightly CPAP.",
        }
    }
}

/// A prescription as the chart lists it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Med {
    pub name: &'static str,
    /// RxNorm clinical drug code, where the demo carries one ("" when it does not).
    pub rxnorm: &'static str,
    pub dose: &'static str,
    pub route: &'static str,
    pub frequency: &'static str,
}

const fn med(
    name: &'static str,
    rxnorm: &'static str,
    dose: &'static str,
    route: &'static str,
    frequency: &'static str,
) -> Med {
    Med {
        name,
        rxnorm,
        dose,
        route,
        frequency,
    }
}

pub const METFORMIN_500: Med = med(
    "Metformin 500 mg oral tablet",
    "861007",
    "500 mg",
    "oral",
    "twice daily with meals",
);
pub const METFORMIN_1000: Med = med(
    "Metformin 1000 mg oral tablet",
    "",
    "1000 mg",
    "oral",
    "twice daily with meals",
);
pub const EMPAGLIFLOZIN: Med = med(
    "Empagliflozin 10 mg oral tablet",
    "",
    "10 mg",
    "oral",
    "once daily",
);
pub const SEMAGLUTIDE: Med = med(
    "Semaglutide 0.5 mg/dose pen injector",
    "",
    "0.5 mg",
    "subcutaneous",
    "once weekly",
);
pub const GLARGINE: Med = med(
    "Insulin glargine 100 units/mL pen",
    "",
    "20 units",
    "subcutaneous",
    "at bedtime",
);
pub const LISINOPRIL_10: Med = med(
    "Lisinopril 10 mg oral tablet",
    "314076",
    "10 mg",
    "oral",
    "once daily",
);
pub const LISINOPRIL_20: Med = med(
    "Lisinopril 20 mg oral tablet",
    "",
    "20 mg",
    "oral",
    "once daily",
);
pub const LOSARTAN: Med = med(
    "Losartan 50 mg oral tablet",
    "",
    "50 mg",
    "oral",
    "once daily",
);
pub const AMLODIPINE_5: Med = med(
    "Amlodipine 5 mg oral tablet",
    "197361",
    "5 mg",
    "oral",
    "once daily",
);
pub const AMLODIPINE_10: Med = med(
    "Amlodipine 10 mg oral tablet",
    "",
    "10 mg",
    "oral",
    "once daily",
);
pub const HCTZ: Med = med(
    "Hydrochlorothiazide 25 mg oral tablet",
    "",
    "25 mg",
    "oral",
    "once daily",
);
pub const ATORVASTATIN_20: Med = med(
    "Atorvastatin 20 mg oral tablet",
    "617310",
    "20 mg",
    "oral",
    "once daily at bedtime",
);
pub const ATORVASTATIN_40: Med = med(
    "Atorvastatin 40 mg oral tablet",
    "",
    "40 mg",
    "oral",
    "once daily at bedtime",
);
pub const ATORVASTATIN_80: Med = med(
    "Atorvastatin 80 mg oral tablet",
    "",
    "80 mg",
    "oral",
    "once daily at bedtime",
);
pub const ROSUVASTATIN: Med = med(
    "Rosuvastatin 10 mg oral tablet",
    "",
    "10 mg",
    "oral",
    "once daily",
);
pub const ASPIRIN_81: Med = med(
    "Aspirin 81 mg delayed-release oral tablet",
    "",
    "81 mg",
    "oral",
    "once daily",
);
pub const METOPROLOL: Med = med(
    "Metoprolol succinate 50 mg extended-release oral tablet",
    "",
    "50 mg",
    "oral",
    "once daily",
);
pub const CARVEDILOL: Med = med(
    "Carvedilol 12.5 mg oral tablet",
    "",
    "12.5 mg",
    "oral",
    "twice daily",
);
pub const FUROSEMIDE: Med = med(
    "Furosemide 40 mg oral tablet",
    "",
    "40 mg",
    "oral",
    "once daily in the morning",
);
pub const APIXABAN: Med = med(
    "Apixaban 5 mg oral tablet",
    "",
    "5 mg",
    "oral",
    "twice daily",
);
pub const WARFARIN: Med = med(
    "Warfarin 5 mg oral tablet",
    "",
    "5 mg",
    "oral",
    "once daily in the evening, dose per INR",
);
pub const TIOTROPIUM: Med = med(
    "Tiotropium 18 mcg inhalation capsule",
    "",
    "18 mcg",
    "inhaled",
    "once daily",
);
pub const ALBUTEROL: Med = med(
    "Albuterol 90 mcg/actuation metered-dose inhaler",
    "745679",
    "2 puffs",
    "inhaled",
    "every 4-6 hours as needed for wheezing",
);
pub const FLUTICASONE_INH: Med = med(
    "Fluticasone propionate 110 mcg/actuation inhaler",
    "",
    "2 puffs",
    "inhaled",
    "twice daily",
);
pub const SERTRALINE: Med = med(
    "Sertraline 50 mg oral tablet",
    "312940",
    "50 mg",
    "oral",
    "once daily",
);
pub const ESCITALOPRAM: Med = med(
    "Escitalopram 10 mg oral tablet",
    "",
    "10 mg",
    "oral",
    "once daily",
);
pub const FLUOXETINE: Med = med(
    "Fluoxetine 20 mg oral capsule",
    "",
    "20 mg",
    "oral",
    "once daily",
);
pub const BUPROPION: Med = med(
    "Bupropion XL 150 mg extended-release oral tablet",
    "",
    "150 mg",
    "oral",
    "once daily in the morning",
);
pub const BUSPIRONE: Med = med(
    "Buspirone 10 mg oral tablet",
    "",
    "10 mg",
    "oral",
    "twice daily",
);
pub const LEVOTHYROXINE: [Med; 4] = [
    med(
        "Levothyroxine 50 mcg oral tablet",
        "",
        "50 mcg",
        "oral",
        "once daily before breakfast",
    ),
    med(
        "Levothyroxine 75 mcg oral tablet",
        "",
        "75 mcg",
        "oral",
        "once daily before breakfast",
    ),
    med(
        "Levothyroxine 88 mcg oral tablet",
        "",
        "88 mcg",
        "oral",
        "once daily before breakfast",
    ),
    med(
        "Levothyroxine 100 mcg oral tablet",
        "",
        "100 mcg",
        "oral",
        "once daily before breakfast",
    ),
];
pub const OMEPRAZOLE: Med = med(
    "Omeprazole 20 mg delayed-release oral capsule",
    "",
    "20 mg",
    "oral",
    "once daily before breakfast",
);
pub const FAMOTIDINE: Med = med(
    "Famotidine 20 mg oral tablet",
    "",
    "20 mg",
    "oral",
    "twice daily",
);
pub const ACETAMINOPHEN: Med = med(
    "Acetaminophen 500 mg oral tablet",
    "",
    "1000 mg",
    "oral",
    "every 8 hours as needed for pain",
);
pub const MELOXICAM: Med = med(
    "Meloxicam 7.5 mg oral tablet",
    "",
    "7.5 mg",
    "oral",
    "once daily with food",
);
pub const DICLOFENAC_GEL: Med = med(
    "Diclofenac sodium 1% topical gel",
    "",
    "4 g",
    "topical",
    "four times daily to the knee",
);
pub const ALENDRONATE: Med = med(
    "Alendronate 70 mg oral tablet",
    "",
    "70 mg",
    "oral",
    "once weekly, upright with water",
);
pub const VITAMIN_D3: Med = med(
    "Cholecalciferol 1000 unit oral tablet",
    "",
    "1000 units",
    "oral",
    "once daily",
);
pub const VITAMIN_D2: Med = med(
    "Ergocalciferol 50,000 unit oral capsule",
    "",
    "50,000 units",
    "oral",
    "once weekly for 8 weeks",
);
pub const CETIRIZINE: Med = med(
    "Cetirizine 10 mg oral tablet",
    "",
    "10 mg",
    "oral",
    "once daily",
);
pub const FLUTICASONE_NASAL: Med = med(
    "Fluticasone propionate 50 mcg/actuation nasal spray",
    "",
    "2 sprays each nostril",
    "nasal",
    "once daily",
);
pub const SUMATRIPTAN: Med = med(
    "Sumatriptan 50 mg oral tablet",
    "",
    "50 mg",
    "oral",
    "at migraine onset, may repeat once after 2 hours",
);
pub const IBUPROFEN: Med = med(
    "Ibuprofen 400 mg oral tablet",
    "",
    "400 mg",
    "oral",
    "every 8 hours as needed with food",
);
pub const CYCLOBENZAPRINE: Med = med(
    "Cyclobenzaprine 5 mg oral tablet",
    "",
    "5 mg",
    "oral",
    "at bedtime as needed for spasm",
);
pub const METHYLPHENIDATE: Med = med(
    "Methylphenidate ER 18 mg oral tablet",
    "",
    "18 mg",
    "oral",
    "once daily in the morning",
);
pub const HYDROCORTISONE: Med = med(
    "Hydrocortisone 2.5% topical cream",
    "",
    "thin layer",
    "topical",
    "twice daily to affected areas",
);
pub const ALLOPURINOL: Med = med(
    "Allopurinol 100 mg oral tablet",
    "",
    "100 mg",
    "oral",
    "once daily",
);
pub const TAMSULOSIN: Med = med(
    "Tamsulosin 0.4 mg oral capsule",
    "",
    "0.4 mg",
    "oral",
    "once daily after dinner",
);
pub const AMOXICILLIN: Med = med(
    "Amoxicillin 500 mg oral capsule",
    "",
    "500 mg",
    "oral",
    "three times daily for 10 days",
);
pub const AMOXICILLIN_SUSP: Med = med(
    "Amoxicillin 400 mg/5 mL oral suspension",
    "",
    "45 mg/kg/day",
    "oral",
    "twice daily for 10 days",
);
pub const AZITHROMYCIN: Med = med(
    "Azithromycin 250 mg oral tablet",
    "",
    "500 mg then 250 mg",
    "oral",
    "once daily for 5 days",
);
pub const NITROFURANTOIN: Med = med(
    "Nitrofurantoin monohydrate/macrocrystals 100 mg oral capsule",
    "",
    "100 mg",
    "oral",
    "twice daily for 5 days",
);
pub const BENZONATATE: Med = med(
    "Benzonatate 100 mg oral capsule",
    "",
    "100 mg",
    "oral",
    "three times daily as needed for cough",
);
pub const POLYMYXIN_DROPS: Med = med(
    "Polymyxin B/trimethoprim ophthalmic solution",
    "",
    "1 drop",
    "ophthalmic",
    "every 4 hours for 7 days",
);

/// Acute complaints seen at sick visits.
pub struct Acute {
    pub complaint: &'static str,
    pub code: &'static str,
    pub min_age: f64,
    pub max_age: f64,
    /// Only for this sex (`female`/`male`), or anyone.
    pub sex: Option<&'static str>,
    pub fever: f64,
    pub weight: f64,
    /// Treatment; when a penicillin is contraindicated the alternative is used.
    pub med: Option<Med>,
    pub alternative: Option<Med>,
    pub plan: &'static str,
}

pub static ACUTE: &[Acute] = &[
    Acute { complaint: "Cough and nasal congestion", code: "J06.9", min_age: 0.2, max_age: 120.0, sex: None, fever: 0.3, weight: 30.0, med: None, alternative: None, plan: "Supportive care: fluids, rest, saline spray. Return if fever persists beyond 3 days or breathing is difficult." },
    Acute { complaint: "Sore throat", code: "J02.0", min_age: 3.0, max_age: 60.0, sex: None, fever: 0.6, weight: 8.0, med: Some(AMOXICILLIN), alternative: Some(AZITHROMYCIN), plan: "Rapid strep positive. Antibiotic for 10 days; may return to school or work after 24 hours of treatment." },
    Acute { complaint: "Sore throat", code: "J02.9", min_age: 3.0, max_age: 120.0, sex: None, fever: 0.3, weight: 8.0, med: None, alternative: None, plan: "Rapid strep negative; likely viral. Warm fluids, analgesics as needed." },
    Acute { complaint: "Ear pain", code: "H66.90", min_age: 0.5, max_age: 10.0, sex: None, fever: 0.5, weight: 14.0, med: Some(AMOXICILLIN_SUSP), alternative: Some(AZITHROMYCIN), plan: "Antibiotic for 10 days; ibuprofen for pain. Recheck ears if not better in 48-72 hours." },
    Acute { complaint: "Burning with urination", code: "N39.0", min_age: 16.0, max_age: 120.0, sex: Some("female"), fever: 0.1, weight: 7.0, med: Some(NITROFURANTOIN), alternative: None, plan: "Urinalysis positive for leukocyte esterase and nitrites. Antibiotic for 5 days; urine culture sent." },
    Acute { complaint: "Red, itchy eye", code: "H10.9", min_age: 0.5, max_age: 120.0, sex: None, fever: 0.0, weight: 4.0, med: Some(POLYMYXIN_DROPS), alternative: None, plan: "Antibiotic eye drops; hand hygiene; return if vision changes." },
    Acute { complaint: "Low back pain after lifting", code: "M54.50", min_age: 18.0, max_age: 85.0, sex: None, fever: 0.0, weight: 7.0, med: Some(IBUPROFEN), alternative: None, plan: "No red flags. NSAID with food, heat, gentle activity; physical therapy if not better in 4 weeks." },
    Acute { complaint: "Headache", code: "R51.9", min_age: 8.0, max_age: 120.0, sex: None, fever: 0.0, weight: 4.0, med: None, alternative: None, plan: "Normal neurologic exam. Hydration, sleep hygiene, acetaminophen as needed; headache diary." },
    Acute { complaint: "Itchy rash", code: "L30.9", min_age: 0.2, max_age: 120.0, sex: None, fever: 0.0, weight: 4.0, med: Some(HYDROCORTISONE), alternative: None, plan: "Topical steroid twice daily for up to 2 weeks; fragrance-free emollients." },
    Acute { complaint: "Twisted right ankle", code: "S93.401A", min_age: 8.0, max_age: 70.0, sex: None, fever: 0.0, weight: 3.0, med: Some(IBUPROFEN), alternative: None, plan: "Ottawa rules negative, no X-ray needed. Rest, ice, compression, elevation; brace for 2 weeks." },
    Acute { complaint: "Sinus pressure and congestion", code: "J01.90", min_age: 12.0, max_age: 120.0, sex: None, fever: 0.2, weight: 6.0, med: None, alternative: None, plan: "Likely viral sinusitis. Saline irrigation, nasal steroid; antibiotics only if worse after 10 days." },
    Acute { complaint: "Cough for two weeks", code: "J20.9", min_age: 5.0, max_age: 120.0, sex: None, fever: 0.2, weight: 7.0, med: Some(BENZONATATE), alternative: None, plan: "Lungs clear, no pneumonia suspected. Cough suppressant at night; return if shortness of breath." },
    Acute { complaint: "Vomiting and diarrhea", code: "A09", min_age: 0.5, max_age: 120.0, sex: None, fever: 0.3, weight: 6.0, med: None, alternative: None, plan: "Mildly dehydrated. Oral rehydration, bland diet; return if unable to keep fluids down." },
    Acute { complaint: "Fever", code: "R50.9", min_age: 0.2, max_age: 6.0, sex: None, fever: 1.0, weight: 8.0, med: None, alternative: None, plan: "Well appearing, no source found. Antipyretics, fluids; return if fever lasts beyond 3 days." },
    Acute { complaint: "Fever, cough and body aches", code: "J10.1", min_age: 1.0, max_age: 120.0, sex: None, fever: 0.9, weight: 4.0, med: None, alternative: None, plan: "Influenza A positive. Rest, fluids; antiviral discussed; return for shortness of breath." },
];

/// A lab test: LOINC code, reference range, and decimals shown.
#[derive(Debug, Clone, Copy)]
pub struct Lab {
    pub code: &'static str,
    pub low: Option<f64>,
    pub high: Option<f64>,
    pub decimals: i32,
}

const fn lab(code: &'static str, low: Option<f64>, high: Option<f64>, decimals: i32) -> Lab {
    Lab {
        code,
        low,
        high,
        decimals,
    }
}

pub const BMP_PANEL: &str = "24321-2";
pub const GLUCOSE: Lab = lab("2345-7", Some(70.0), Some(99.0), 0);
pub const BUN: Lab = lab("3094-0", Some(7.0), Some(20.0), 0);
pub const CREATININE_F: Lab = lab("2160-0", Some(0.59), Some(1.04), 2);
pub const CREATININE_M: Lab = lab("2160-0", Some(0.74), Some(1.35), 2);
pub const SODIUM: Lab = lab("2951-2", Some(135.0), Some(145.0), 0);
pub const POTASSIUM: Lab = lab("2823-3", Some(3.5), Some(5.1), 1);
pub const CHLORIDE: Lab = lab("2075-0", Some(98.0), Some(107.0), 0);
pub const CO2: Lab = lab("2028-9", Some(22.0), Some(29.0), 0);
pub const CALCIUM: Lab = lab("17861-6", Some(8.6), Some(10.3), 1);
pub const EGFR: Lab = lab("98979-8", Some(60.0), None, 0);
pub const LIPID_PANEL: &str = "57698-3";
pub const CHOLESTEROL: Lab = lab("2093-3", None, Some(200.0), 0);
pub const TRIGLYCERIDES: Lab = lab("2571-8", None, Some(150.0), 0);
pub const HDL: Lab = lab("2085-9", Some(40.0), None, 0);
pub const LDL: Lab = lab("18262-6", None, Some(100.0), 0);
pub const HBA1C: Lab = lab("4548-4", Some(4.0), Some(5.6), 1);
pub const CBC_PANEL: &str = "58410-2";
pub const WBC: Lab = lab("6690-2", Some(4.0), Some(11.0), 1);
pub const RBC_F: Lab = lab("789-8", Some(3.9), Some(5.2), 2);
pub const RBC_M: Lab = lab("789-8", Some(4.3), Some(5.9), 2);
pub const HGB_F: Lab = lab("718-7", Some(12.0), Some(15.5), 1);
pub const HGB_M: Lab = lab("718-7", Some(13.5), Some(17.5), 1);
pub const HCT_F: Lab = lab("4544-3", Some(35.5), Some(44.9), 1);
pub const HCT_M: Lab = lab("4544-3", Some(38.3), Some(48.6), 1);
pub const MCV: Lab = lab("787-2", Some(80.0), Some(100.0), 0);
pub const MCH: Lab = lab("785-6", Some(27.0), Some(33.0), 1);
pub const MCHC: Lab = lab("786-4", Some(32.0), Some(36.0), 1);
pub const RDW: Lab = lab("788-0", Some(11.5), Some(14.5), 1);
pub const PLATELETS: Lab = lab("777-3", Some(150.0), Some(450.0), 0);
pub const TSH: Lab = lab("3016-3", Some(0.4), Some(4.0), 2);
pub const UACR: Lab = lab("9318-7", None, Some(30.0), 0);
pub const PSA: Lab = lab("2857-1", None, Some(4.0), 2);
pub const VITAMIN_D: Lab = lab("1989-3", Some(30.0), Some(100.0), 0);
pub const INR: Lab = lab("6301-6", Some(0.8), Some(1.2), 1);
pub const URATE: Lab = lab("3084-1", Some(3.5), Some(7.2), 1);
pub const MAGNESIUM: Lab = lab("19123-9", Some(1.7), Some(2.2), 1);
pub const PHOSPHATE: Lab = lab("2777-1", Some(2.5), Some(4.5), 1);

/// CKD-EPI 2021 (race-free) estimated GFR from serum creatinine, age and sex.
pub fn egfr(creatinine: f64, age: f64, female: bool) -> f64 {
    let (kappa, alpha) = if female { (0.7, -0.241) } else { (0.9, -0.302) };
    let r = creatinine / kappa;
    let v = 142.0 * r.min(1.0).powf(alpha) * r.max(1.0).powf(-1.200) * 0.9938f64.powf(age);
    if female {
        v * 1.012
    } else {
        v
    }
}

/// Allergies: substance, code (RxNorm ingredient for drugs, empty otherwise), category,
/// possible reactions, usual severity and criticality, and weight.
pub struct Allergen {
    pub substance: &'static str,
    pub code: &'static str,
    pub category: &'static str,
    pub reactions: &'static [&'static str],
    pub severe: f64,
    pub weight: f64,
}

pub static ALLERGENS: &[Allergen] = &[
    Allergen {
        substance: "Penicillin",
        code: "7980",
        category: "medication",
        reactions: &["hives", "rash", "itching", "angioedema"],
        severe: 0.1,
        weight: 30.0,
    },
    Allergen {
        substance: "Amoxicillin",
        code: "723",
        category: "medication",
        reactions: &["rash", "hives"],
        severe: 0.05,
        weight: 6.0,
    },
    Allergen {
        substance: "Sulfamethoxazole / trimethoprim",
        code: "10180",
        category: "medication",
        reactions: &["rash", "hives", "fever"],
        severe: 0.08,
        weight: 14.0,
    },
    Allergen {
        substance: "Codeine",
        code: "2670",
        category: "medication",
        reactions: &["nausea", "vomiting", "itching"],
        severe: 0.0,
        weight: 6.0,
    },
    Allergen {
        substance: "Ibuprofen",
        code: "5640",
        category: "medication",
        reactions: &["hives", "wheezing"],
        severe: 0.1,
        weight: 4.0,
    },
    Allergen {
        substance: "Lisinopril",
        code: "29046",
        category: "medication",
        reactions: &["angioedema", "cough"],
        severe: 0.3,
        weight: 3.0,
    },
    Allergen {
        substance: "Peanut",
        code: "",
        category: "food",
        reactions: &["hives", "anaphylaxis", "vomiting", "throat tightness"],
        severe: 0.35,
        weight: 10.0,
    },
    Allergen {
        substance: "Tree nuts",
        code: "",
        category: "food",
        reactions: &["hives", "anaphylaxis", "itching of the mouth"],
        severe: 0.3,
        weight: 4.0,
    },
    Allergen {
        substance: "Shellfish",
        code: "",
        category: "food",
        reactions: &["hives", "swelling of lips", "vomiting"],
        severe: 0.25,
        weight: 6.0,
    },
    Allergen {
        substance: "Egg",
        code: "",
        category: "food",
        reactions: &["hives", "eczema flare", "vomiting"],
        severe: 0.1,
        weight: 3.0,
    },
    Allergen {
        substance: "Latex",
        code: "",
        category: "environment",
        reactions: &["contact dermatitis", "hives"],
        severe: 0.05,
        weight: 4.0,
    },
    Allergen {
        substance: "Bee venom",
        code: "",
        category: "environment",
        reactions: &["local swelling", "hives", "anaphylaxis"],
        severe: 0.3,
        weight: 4.0,
    },
    Allergen {
        substance: "Cat dander",
        code: "",
        category: "environment",
        reactions: &["sneezing", "itchy eyes", "wheezing"],
        severe: 0.0,
        weight: 5.0,
    },
    Allergen {
        substance: "Iodinated contrast media",
        code: "",
        category: "medication",
        reactions: &["hives", "flushing"],
        severe: 0.1,
        weight: 2.0,
    },
];

/// Family history entries: condition, ICD-10-CM code, typical onset ages.
pub static FAMILY_CONDITIONS: &[(&str, &str, i64, i64)] = &[
    ("Hypertension", "I10", 35, 70),
    ("Type 2 diabetes mellitus", "E11.9", 40, 75),
    ("Coronary artery disease", "I25.10", 45, 80),
    ("Myocardial infarction", "I21.9", 45, 80),
    ("Stroke", "I63.9", 55, 85),
    ("Breast cancer", "C50.919", 40, 75),
    ("Colon cancer", "C18.9", 45, 80),
    ("Prostate cancer", "C61", 55, 85),
    ("Lung cancer", "C34.90", 50, 85),
    ("Alzheimer's disease", "G30.9", 65, 90),
    ("Depression", "F32.A", 18, 60),
    ("Asthma", "J45.909", 3, 40),
    ("Hyperlipidemia", "E78.5", 35, 70),
    ("Type 1 diabetes mellitus", "E10.9", 5, 30),
    ("Alcohol dependence", "F10.20", 20, 55),
];

pub static RELATIVES: &[&str] = &[
    "mother",
    "father",
    "sister",
    "brother",
    "maternal grandmother",
    "maternal grandfather",
    "paternal grandmother",
    "paternal grandfather",
];

/// Past procedures: description, CPT code, surgical, age range, sex, probability.
pub struct PastProcedure {
    pub description: &'static str,
    pub cpt: &'static str,
    pub surgical: bool,
    pub min_age: f64,
    pub max_age: f64,
    pub sex: Option<&'static str>,
    pub chance: f64,
    /// Whether it came with a hospital stay, and why.
    pub stay: Option<&'static str>,
}

pub static PROCEDURES: &[PastProcedure] = &[
    PastProcedure {
        description: "Appendectomy, laparoscopic",
        cpt: "44970",
        surgical: true,
        min_age: 8.0,
        max_age: 60.0,
        sex: None,
        chance: 0.07,
        stay: Some("Acute appendicitis"),
    },
    PastProcedure {
        description: "Tonsillectomy and adenoidectomy",
        cpt: "42820",
        surgical: true,
        min_age: 3.0,
        max_age: 11.0,
        sex: None,
        chance: 0.06,
        stay: None,
    },
    PastProcedure {
        description: "Cholecystectomy, laparoscopic",
        cpt: "47562",
        surgical: true,
        min_age: 25.0,
        max_age: 80.0,
        sex: None,
        chance: 0.08,
        stay: None,
    },
    PastProcedure {
        description: "Cesarean delivery",
        cpt: "59514",
        surgical: true,
        min_age: 20.0,
        max_age: 42.0,
        sex: Some("female"),
        chance: 0.15,
        stay: Some("Delivery by cesarean section"),
    },
    PastProcedure {
        description: "Total knee arthroplasty, right",
        cpt: "27447",
        surgical: true,
        min_age: 55.0,
        max_age: 90.0,
        sex: None,
        chance: 0.06,
        stay: Some("Elective right total knee replacement"),
    },
    PastProcedure {
        description: "Total hip arthroplasty",
        cpt: "27130",
        surgical: true,
        min_age: 60.0,
        max_age: 90.0,
        sex: None,
        chance: 0.04,
        stay: Some("Elective total hip replacement"),
    },
    PastProcedure {
        description: "Inguinal hernia repair",
        cpt: "49505",
        surgical: true,
        min_age: 20.0,
        max_age: 85.0,
        sex: Some("male"),
        chance: 0.07,
        stay: None,
    },
    PastProcedure {
        description: "Cataract extraction with lens implant",
        cpt: "66984",
        surgical: true,
        min_age: 60.0,
        max_age: 95.0,
        sex: None,
        chance: 0.2,
        stay: None,
    },
    PastProcedure {
        description: "Carpal tunnel release",
        cpt: "64721",
        surgical: true,
        min_age: 35.0,
        max_age: 80.0,
        sex: None,
        chance: 0.03,
        stay: None,
    },
    PastProcedure {
        description: "Total abdominal hysterectomy",
        cpt: "58150",
        surgical: true,
        min_age: 38.0,
        max_age: 65.0,
        sex: Some("female"),
        chance: 0.08,
        stay: Some("Hysterectomy for uterine fibroids"),
    },
    PastProcedure {
        description: "Screening colonoscopy",
        cpt: "45378",
        surgical: false,
        min_age: 45.0,
        max_age: 80.0,
        sex: None,
        chance: 0.55,
        stay: None,
    },
    PastProcedure {
        description: "Screening mammogram, bilateral",
        cpt: "77067",
        surgical: false,
        min_age: 40.0,
        max_age: 80.0,
        sex: Some("female"),
        chance: 0.6,
        stay: None,
    },
];

/// Hospital stays without a procedure: reason, youngest age, chance, longest stay (days).
pub static ADMISSIONS: &[(&str, f64, f64, i64)] = &[
    ("Community-acquired pneumonia", 50.0, 0.05, 5),
    ("Chest pain; myocardial infarction ruled out", 40.0, 0.04, 2),
    ("Cellulitis of left lower leg", 30.0, 0.02, 4),
    ("Kidney stone with intractable pain", 25.0, 0.02, 2),
    ("Syncope, observation", 60.0, 0.02, 2),
];

/// Immunization CVX codes the demo records.
pub mod cvx {
    pub const HEPB_PED: &str = "08";
    pub const ROTAVIRUS: &str = "116";
    pub const DTAP: &str = "20";
    pub const DTAP_IPV: &str = "130";
    pub const HIB: &str = "49";
    pub const PCV7: &str = "100";
    pub const PCV13: &str = "133";
    pub const PCV15: &str = "215";
    pub const PCV20: &str = "216";
    pub const IPV: &str = "10";
    pub const MMR: &str = "03";
    pub const VARICELLA: &str = "21";
    pub const HEPA_PED: &str = "83";
    pub const FLU_PED_QUAD: &str = "161";
    pub const FLU_QUAD: &str = "150";
    pub const FLU_TRI: &str = "140";
    pub const FLU_HD_QUAD: &str = "197";
    pub const FLU_HD_TRI: &str = "135";
    pub const TDAP: &str = "115";
    pub const TD: &str = "113";
    pub const HPV4: &str = "62";
    pub const HPV9: &str = "165";
    pub const MENACWY: &str = "114";
    pub const MENACWY_TT: &str = "203";
    pub const ZOSTER: &str = "187";
    pub const PPSV23: &str = "33";
    pub const COVID_PRIMARY: &str = "208";
    pub const COVID_BIVALENT: &str = "300";
    pub const COVID_2023: &str = "309";
    pub const RSV_ADULT: &str = "305";
    pub const ALL: &[&str] = &[
        HEPB_PED,
        ROTAVIRUS,
        DTAP,
        DTAP_IPV,
        HIB,
        PCV7,
        PCV13,
        PCV15,
        PCV20,
        IPV,
        MMR,
        VARICELLA,
        HEPA_PED,
        FLU_PED_QUAD,
        FLU_QUAD,
        FLU_TRI,
        FLU_HD_QUAD,
        FLU_HD_TRI,
        TDAP,
        TD,
        HPV4,
        HPV9,
        MENACWY,
        MENACWY_TT,
        ZOSTER,
        PPSV23,
        COVID_PRIMARY,
        COVID_BIVALENT,
        COVID_2023,
        RSV_ADULT,
    ];
}

/// Every ICD-10-CM code the demo writes.
pub fn icd_codes() -> Vec<&'static str> {
    let mut v: Vec<&'static str> = Cond::ALL.iter().map(|c| c.code()).collect();
    v.extend(ACUTE.iter().map(|a| a.code));
    v.extend(FAMILY_CONDITIONS.iter().map(|f| f.1));
    v.extend(["Z00.00", "Z00.01", "Z00.129", "Z87.891", "J18.9"]);
    v
}

/// Every LOINC code the demo writes.
pub fn loinc_codes() -> Vec<&'static str> {
    let labs = [
        GLUCOSE,
        BUN,
        CREATININE_F,
        CREATININE_M,
        SODIUM,
        POTASSIUM,
        CHLORIDE,
        CO2,
        CALCIUM,
        EGFR,
        CHOLESTEROL,
        TRIGLYCERIDES,
        HDL,
        LDL,
        HBA1C,
        WBC,
        RBC_F,
        RBC_M,
        HGB_F,
        HGB_M,
        HCT_F,
        HCT_M,
        MCV,
        MCH,
        MCHC,
        RDW,
        PLATELETS,
        TSH,
        UACR,
        PSA,
        VITAMIN_D,
        INR,
        URATE,
        MAGNESIUM,
        PHOSPHATE,
    ];
    let mut v: Vec<&'static str> = labs.iter().map(|l| l.code).collect();
    v.extend([BMP_PANEL, LIPID_PANEL, CBC_PANEL]);
    v
}

/// Language names for notes ("Spanish-speaking").
pub fn language_name(code: &str) -> &'static str {
    match code {
        "es" => "Spanish",
        "vi" => "Vietnamese",
        "zh" => "Mandarin",
        "ko" => "Korean",
        "tl" => "Tagalog",
        "hi" => "Hindi",
        "gu" => "Gujarati",
        "te" => "Telugu",
        "ur" => "Urdu",
        "ar" => "Arabic",
        "de" => "German",
        "da" => "Danish",
        "sv" => "Swedish",
        "is" => "Icelandic",
        "fr" => "French",
        "pl" => "Polish",
        "uk" => "Ukrainian",
        "ru" => "Russian",
        "cs" => "Czech",
        "ja" => "Japanese",
        "tr" => "Turkish",
        "el" => "Greek",
        "yo" => "Yoruba",
        "ig" => "Igbo",
        "am" => "Amharic",
        "sw" => "Swahili",
        _ => "English",
    }
}

/// Every language code a patient can have.
pub fn languages() -> Vec<&'static str> {
    let mut v = vec!["en"];
    for g in names::GROUPS {
        v.extend(g.languages.iter().map(|l| l.0));
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chart::validate::looks_like_loinc;
    use crate::codes::{cvx as cvx_codes, icd10, loinc};

    #[test]
    fn every_icd10_code_is_in_the_shipped_set_and_billable() {
        for code in icd_codes() {
            let found = icd10::lookup(code)
                .unwrap_or_else(|| panic!("{code} is not in the ICD-10-CM table"));
            assert_eq!(found.code, code, "{code} is not in canonical form");
            assert!(found.billable, "{code} is a header, not a billable code");
        }
    }

    #[test]
    fn the_named_codes_exist() {
        for code in [
            "E11.9", "I10", "E78.5", "J45.909", "F41.1", "M17.11", "N18.30",
        ] {
            assert!(icd10::lookup(code).is_some(), "{code}");
        }
    }

    #[test]
    fn every_cvx_code_is_in_the_shipped_list() {
        for code in cvx::ALL {
            let found = cvx_codes::lookup(code).unwrap_or_else(|| panic!("CVX {code} missing"));
            assert_eq!(found.code, *code, "CVX {code} is not canonical");
        }
    }

    #[test]
    fn every_loinc_code_is_in_the_shipped_table() {
        for code in loinc_codes() {
            assert!(looks_like_loinc(code), "{code}");
            let l = loinc::lookup(code).unwrap_or_else(|| panic!("LOINC {code} missing"));
            assert_eq!(l.category, "lab", "{code}");
        }
        for m in loinc::panel_members(BMP_PANEL) {
            assert!(
                loinc_codes().contains(&m.code),
                "BMP member {} not generated",
                m.code
            );
        }
    }

    #[test]
    fn egfr_matches_published_examples() {
        // CKD-EPI 2021: a 50-year-old woman with creatinine 1.0 has an eGFR of about 68.
        let f = egfr(1.0, 50.0, true);
        assert!((f - 68.0).abs() < 1.5, "{f}");
        let m = egfr(1.0, 50.0, false);
        assert!((m - 91.0).abs() < 1.5, "{m}");
    }
}
