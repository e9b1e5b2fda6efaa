//! CDC CVX vaccine codes (public domain), a curated subset of the CDC table.
//!
//! The table is small (about 150 rows) and embedded as plain text; it is
//! parsed once, on first use. `assets/README.md` says which codes are in it.

use std::sync::OnceLock;

/// The rows of `assets/cvx.tsv` without the header, validated by `build.rs`.
static TSV: &str = include_str!(concat!(env!("OUT_DIR"), "/cvx.tsv"));

/// One CVX code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Cvx {
    /// Canonical form as the CDC writes it: `03`, `115`.
    pub code: &'static str,
    /// CDC short description, e.g. `MMR`.
    pub short_name: &'static str,
    /// CDC full vaccine name.
    pub full_name: &'static str,
    /// CDC status: `Active`, `Inactive`, `Non-US`, `Never Active` or
    /// `Pending`. Inactive codes stay valid for recording past doses.
    pub status: &'static str,
}

/// Every code in the embedded table, in numeric order.
pub fn all() -> &'static [Cvx] {
    static TABLE: OnceLock<Vec<Cvx>> = OnceLock::new();
    TABLE.get_or_init(|| TSV.lines().map(parse_row).collect())
}

fn parse_row(line: &'static str) -> Cvx {
    let mut fields = line.split('\t');
    let mut next = || fields.next().unwrap_or_default();
    Cvx {
        code: next(),
        short_name: next(),
        full_name: next(),
        status: next(),
    }
}

/// Finds a code, ignoring surrounding spaces and leading zeros: `3`, `03`
/// and `003` all find MMR, returned with its canonical code `03`.
pub fn lookup(code: &str) -> Option<Cvx> {
    let code = code.trim();
    if code.is_empty() || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let significant = code.trim_start_matches('0');
    if significant.is_empty() {
        return None;
    }
    all()
        .iter()
        .find(|cvx| cvx.code.trim_start_matches('0') == significant)
        .copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leading_zeros_are_tolerated_and_canonical_code_returned() {
        let mmr = lookup("03").expect("MMR");
        assert_eq!(mmr.code, "03");
        assert_eq!(mmr.short_name, "MMR");
        assert_eq!(mmr.status, "Active");
        assert_eq!(lookup("3"), Some(mmr));
        assert_eq!(lookup(" 003 "), Some(mmr));
    }

    #[test]
    fn common_vaccines_are_present() {
        for (code, short_name) in [
            ("08", "Hep B, adolescent or pediatric"),
            ("10", "IPV"),
            ("20", "DTaP"),
            ("21", "varicella"),
            ("115", "Tdap"),
            ("165", "HPV9"),
            ("187", "zoster recombinant"),
        ] {
            assert_eq!(
                lookup(code).map(|c| c.short_name),
                Some(short_name),
                "CVX {code}"
            );
        }
        assert_eq!(lookup("88").map(|c| c.status), Some("Inactive"));
    }

    #[test]
    fn unknown_and_malformed_codes_are_absent() {
        assert_eq!(lookup("0"), None);
        assert_eq!(lookup("00"), None);
        assert_eq!(lookup(""), None);
        assert_eq!(lookup("12a"), None);
        assert_eq!(lookup("-3"), None);
        assert_eq!(lookup("9999"), None);
        // 98 (tuberculin skin test) is not a vaccine and is left out on purpose.
        assert_eq!(lookup("98"), None);
    }

    #[test]
    fn table_is_complete_and_well_formed() {
        let all = all();
        assert!(all.len() >= 80, "only {} codes", all.len());
        assert!(all
            .iter()
            .all(|c| !c.short_name.is_empty() && !c.full_name.is_empty()));
        let numbers: Vec<u32> = all.iter().map(|c| c.code.parse().unwrap()).collect();
        assert!(numbers.windows(2).all(|w| w[0] < w[1]));
    }
}
