//! Check digits of LOINC codes and SNOMED CT concept ids.
//!
//! One copy for the whole project: `build.rs` includes this file (`#[path]`) to
//! check the tables in `assets/`, and the engine uses it to check codes typed
//! into the chart or into a practice's own rules. So it uses nothing but `std`.

/// `^\d{1,7}-\d$` with a correct mod-10 check digit.
pub fn loinc_problem(code: &str) -> Option<String> {
    let Some((body, check)) = code.split_once('-') else {
        return Some(format!(
            "LOINC code {code:?} has no '-' before its check digit"
        ));
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit());
    if !digits(body) || body.len() > 7 || check.len() != 1 || !digits(check) {
        return Some(format!(
            "LOINC code {code:?} must be 1 to 7 digits, '-', one check digit"
        ));
    }
    let mut sum = 0u32;
    for (position, c) in body.bytes().rev().enumerate() {
        let mut d = u32::from(c - b'0');
        if position % 2 == 0 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    let expected = ((10 - sum % 10) % 10) as u8;
    let found = check.as_bytes()[0] - b'0';
    (expected != found)
        .then(|| format!("LOINC code {code:?} has check digit {found}, expected {expected}"))
}

/// A SNOMED CT concept id: 6 to 18 digits, no leading zero, partition `00`
/// (international) or `10` (extension) before the Verhoeff check digit.
pub fn is_sctid(code: &str) -> bool {
    const D: [[u8; 10]; 10] = [
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
        [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
        [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
        [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
        [4, 0, 1, 2, 3, 9, 5, 6, 7, 8],
        [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
        [6, 5, 9, 8, 7, 1, 0, 4, 3, 2],
        [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
        [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
        [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
    ];
    const P: [[u8; 10]; 8] = [
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
        [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
        [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
        [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
        [9, 4, 5, 3, 1, 2, 6, 8, 7, 0],
        [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
        [2, 7, 9, 3, 8, 0, 6, 4, 1, 5],
        [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
    ];
    let b = code.as_bytes();
    if !(6..=18).contains(&b.len()) || b[0] == b'0' || !b.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let partition = &code[b.len() - 3..b.len() - 1];
    if partition != "00" && partition != "10" {
        return false;
    }
    let mut c = 0u8;
    for (i, digit) in b.iter().rev().enumerate() {
        c = D[usize::from(c)][usize::from(P[i % 8][usize::from(digit - b'0')])];
    }
    c == 0
}
