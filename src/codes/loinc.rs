//! LOINC codes for the vital signs and common labs Chartkeep records.
//!
//! This is a short, hand-picked list rather than the whole of LOINC: it is
//! the set of observations the chart's forms offer, each with the UCUM unit
//! values are stored in and the panel it is ordered or shown under. LOINC is
//! copyright Regenstrief Institute; see `assets/README.md` for the notice.

use std::sync::OnceLock;

/// The rows of `assets/loinc.tsv` without the header, validated by `build.rs`
/// (check digits, categories, panel references).
static TSV: &str = include_str!(concat!(env!("OUT_DIR"), "/loinc.tsv"));

/// One LOINC code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Loinc {
    /// The LOINC number with its check digit, e.g. `8480-6`.
    pub code: &'static str,
    /// `vital` or `lab`.
    pub category: &'static str,
    /// The LOINC long common name.
    pub display: &'static str,
    /// Default UCUM unit, e.g. `mm[Hg]`; empty for panels and unitless
    /// observations.
    pub unit: &'static str,
    /// The panel this observation is a direct member of, if any.
    pub panel: Option<&'static str>,
}

/// Every code in the embedded table, in file order (panels before their
/// members).
pub fn all() -> &'static [Loinc] {
    static TABLE: OnceLock<Vec<Loinc>> = OnceLock::new();
    TABLE.get_or_init(|| TSV.lines().map(parse_row).collect())
}

fn parse_row(line: &'static str) -> Loinc {
    let mut fields = line.split('\t');
    let mut next = || fields.next().unwrap_or_default();
    let (code, category, display, unit) = (next(), next(), next(), next());
    let panel = Some(next()).filter(|p| !p.is_empty());
    Loinc {
        code,
        category,
        display,
        unit,
        panel,
    }
}

/// Finds a code, ignoring surrounding spaces.
pub fn lookup(code: &str) -> Option<Loinc> {
    let code = code.trim();
    all().iter().find(|loinc| loinc.code == code).copied()
}

/// The direct members of a panel, in file order. Nested panels are members
/// like any other code: the vital-signs panel lists the blood-pressure panel,
/// whose own members are systolic, diastolic and mean pressure.
pub fn panel_members(panel_code: &str) -> Vec<Loinc> {
    let panel_code = panel_code.trim();
    all()
        .iter()
        .filter(|loinc| loinc.panel == Some(panel_code))
        .copied()
        .collect()
}

/// The LOINC codes of the vital signs, as recorded by the vitals form and
/// required by the FHIR vital-signs profiles.
pub mod vitals {
    /// Blood pressure panel with all children optional.
    pub const BP_PANEL: &str = "85354-9";
    /// Systolic blood pressure, mm[Hg].
    pub const SYSTOLIC: &str = "8480-6";
    /// Diastolic blood pressure, mm[Hg].
    pub const DIASTOLIC: &str = "8462-4";
    /// Heart rate, /min.
    pub const HEART_RATE: &str = "8867-4";
    /// Respiratory rate, /min.
    pub const RESP_RATE: &str = "9279-1";
    /// Body temperature, Cel.
    pub const TEMPERATURE: &str = "8310-5";
    /// Oxygen saturation by pulse oximetry, %: what a clinic measures. FHIR
    /// also expects the general code 2708-6 alongside it.
    pub const SPO2: &str = "59408-5";
    /// Body height, cm.
    pub const HEIGHT: &str = "8302-2";
    /// Body weight, kg.
    pub const WEIGHT: &str = "29463-7";
    /// Body mass index, kg/m2.
    pub const BMI: &str = "39156-5";
    /// Head occipital-frontal circumference, cm.
    pub const HEAD_CIRCUMFERENCE: &str = "9843-4";
    /// Pain severity, 0-10 verbal numeric rating.
    pub const PAIN: &str = "72514-3";
    /// Vital signs, weight, height, head circumference, oxygen saturation and
    /// BMI panel.
    pub const VITALS_PANEL: &str = "85353-1";
}

#[cfg(test)]
mod tests {
    use super::vitals::*;
    use super::*;

    #[test]
    fn blood_pressure_panel_members() {
        let members: Vec<&str> = panel_members(BP_PANEL).iter().map(|l| l.code).collect();
        assert!(members.contains(&SYSTOLIC));
        assert!(members.contains(&DIASTOLIC));
        for member in panel_members(BP_PANEL) {
            assert_eq!(member.unit, "mm[Hg]");
            assert_eq!(member.category, "vital");
        }
        assert_eq!(lookup(BP_PANEL).and_then(|l| l.panel), Some(VITALS_PANEL));
    }

    #[test]
    fn vitals_panel_members() {
        let members: Vec<&str> = panel_members(VITALS_PANEL).iter().map(|l| l.code).collect();
        for code in [
            BP_PANEL,
            HEART_RATE,
            RESP_RATE,
            TEMPERATURE,
            SPO2,
            HEIGHT,
            WEIGHT,
            BMI,
            HEAD_CIRCUMFERENCE,
        ] {
            assert!(
                members.contains(&code),
                "{code} missing from the vitals panel"
            );
        }
        assert!(!members.contains(&PAIN));
    }

    #[test]
    fn every_vitals_constant_is_in_the_table() {
        for code in [
            BP_PANEL,
            SYSTOLIC,
            DIASTOLIC,
            HEART_RATE,
            RESP_RATE,
            TEMPERATURE,
            SPO2,
            HEIGHT,
            WEIGHT,
            BMI,
            HEAD_CIRCUMFERENCE,
            PAIN,
            VITALS_PANEL,
        ] {
            let loinc = lookup(code).unwrap_or_else(|| panic!("{code} missing"));
            assert_eq!(loinc.category, "vital", "{code}");
        }
        assert_eq!(lookup(TEMPERATURE).map(|l| l.unit), Some("Cel"));
        assert_eq!(lookup(WEIGHT).map(|l| l.unit), Some("kg"));
        assert_eq!(lookup(BMI).map(|l| l.unit), Some("kg/m2"));
    }

    #[test]
    fn lab_panels_and_units() {
        let cbc: Vec<&str> = panel_members("58410-2").iter().map(|l| l.code).collect();
        for code in ["6690-2", "789-8", "718-7", "4544-3", "777-3"] {
            assert!(cbc.contains(&code), "{code} missing from the CBC");
        }
        let lipids: Vec<&str> = panel_members("57698-3").iter().map(|l| l.code).collect();
        for code in ["2093-3", "2085-9", "18262-6", "2571-8"] {
            assert!(
                lipids.contains(&code),
                "{code} missing from the lipid panel"
            );
        }
        assert_eq!(panel_members("24321-2").len(), 8);
        let a1c = lookup(" 4548-4 ").expect("HbA1c");
        assert_eq!((a1c.category, a1c.unit, a1c.panel), ("lab", "%", None));
        assert_eq!(lookup("2345-7").map(|l| l.unit), Some("mg/dL"));
    }

    #[test]
    fn unknown_codes() {
        assert_eq!(lookup("8480-7"), None);
        assert_eq!(lookup(""), None);
        assert!(panel_members("8480-6").is_empty());
        assert!(panel_members("nope").is_empty());
    }

    #[test]
    fn panel_references_resolve() {
        for loinc in all() {
            if let Some(panel) = loinc.panel {
                assert!(
                    lookup(panel).is_some(),
                    "{} names missing panel {panel}",
                    loinc.code
                );
            }
            assert!(matches!(loinc.category, "vital" | "lab"));
        }
    }
}
