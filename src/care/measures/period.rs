//! Time as the measures compare it: whole days (UTC), and spans of them.
//!
//! Every criterion of these five measures compares at day precision ("during day of",
//! "overlaps day of", "ends on or before day of"), so a point in time is kept as its day.
//! A span's missing end follows the CQL the measures are written in: a condition with no
//! abatement goes on (`overlaps` treats it as open), while a criterion about when
//! something started or ended needs the date it names.

use chrono::{Datelike, NaiveDate};

/// Days from the common era, as `chrono` counts them.
pub type Day = i32;

pub fn day(d: NaiveDate) -> Day {
    d.num_days_from_ce()
}

/// The day of a FHIR date or dateTime (`2025`, `2025-03`, `2025-03-07`,
/// `2025-03-07T10:00:00-05:00`), in UTC; a partial date is its first day.
pub fn parse_day(s: &str) -> Option<Day> {
    if s.len() > 10 {
        if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
            return Some(day(t.with_timezone(&chrono::Utc).date_naive()));
        }
        // A dateTime without seconds or zone: its date part.
        return NaiveDate::parse_from_str(&s[..10], "%Y-%m-%d")
            .ok()
            .map(day);
    }
    match s.len() {
        10 => NaiveDate::parse_from_str(s, "%Y-%m-%d").ok().map(day),
        7 => NaiveDate::parse_from_str(&format!("{s}-01"), "%Y-%m-%d")
            .ok()
            .map(day),
        4 => NaiveDate::parse_from_str(&format!("{s}-01-01"), "%Y-%m-%d")
            .ok()
            .map(day),
        _ => None,
    }
}

/// A span of days; either end may be unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    pub start: Option<Day>,
    pub end: Option<Day>,
}

impl Span {
    pub fn at(d: Day) -> Span {
        Span {
            start: Some(d),
            end: Some(d),
        }
    }

    pub fn new(start: Option<Day>, end: Option<Day>) -> Span {
        Span { start, end }
    }

    /// Both ends known and within `[from, to]`.
    pub fn during(&self, from: Day, to: Day) -> bool {
        matches!((self.start, self.end), (Some(s), Some(e)) if s >= from && e <= to)
    }

    /// Shares a day with `[from, to]`; an unknown start is before anything, an unknown end
    /// after anything.
    pub fn overlaps(&self, from: Day, to: Day) -> bool {
        self.start.unwrap_or(Day::MIN) <= to && self.end.unwrap_or(Day::MAX) >= from
    }

    pub fn ends_during(&self, from: Day, to: Day) -> bool {
        self.end.is_some_and(|e| e >= from && e <= to)
    }

    pub fn starts_during(&self, from: Day, to: Day) -> bool {
        self.start.is_some_and(|s| s >= from && s <= to)
    }

    pub fn starts_by(&self, to: Day) -> bool {
        self.start.is_some_and(|s| s <= to)
    }

    pub fn ends_by(&self, to: Day) -> bool {
        self.end.is_some_and(|e| e <= to)
    }

    /// CQL's `latest()`: the end when there is one, else the start.
    pub fn latest(&self) -> Option<Day> {
        self.end.or(self.start)
    }
}

/// A measurement period: whole days, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl Period {
    pub fn start(&self) -> Day {
        day(self.from)
    }

    pub fn end(&self) -> Day {
        day(self.to)
    }

    /// The day `years` before the period starts (`start of "Measurement Period" - N years`).
    pub fn start_minus_years(&self, years: i32) -> Day {
        day(shift_months(self.from, -12 * years))
    }

    pub fn start_minus_months(&self, months: i32) -> Day {
        day(shift_months(self.from, -months))
    }

    /// `start + months` (the first six months of the period end the day before).
    pub fn start_plus_months(&self, months: i32) -> Day {
        day(shift_months(self.from, months))
    }
}

/// A date moved by whole months, the day clamped to the month's length (CQL's rule).
pub fn shift_months(d: NaiveDate, months: i32) -> NaiveDate {
    let total = d.year() * 12 + d.month0() as i32 + months;
    let (y, m0) = (total.div_euclid(12), total.rem_euclid(12) as u32);
    let mut dd = d.day();
    loop {
        if let Some(out) = NaiveDate::from_ymd_opt(y, m0 + 1, dd) {
            return out;
        }
        dd -= 1;
    }
}

/// Whole years from `birth` to `at` (CQL's `AgeInYearsAt`).
pub fn age_at(birth: NaiveDate, at: NaiveDate) -> i32 {
    let mut years = at.year() - birth.year();
    if (at.month(), at.day()) < (birth.month(), birth.day()) {
        years -= 1;
    }
    years
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_from_the_shapes_fhir_dates_take() {
        let d = |s| NaiveDate::parse_from_str(s, "%Y-%m-%d").map(day).ok();
        assert_eq!(parse_day("2025-12-31T23:59:59.000Z"), d("2025-12-31"));
        assert_eq!(parse_day("2025-12-31T23:00:00-05:00"), d("2026-01-01"));
        assert_eq!(parse_day("2025-03"), d("2025-03-01"));
        assert_eq!(parse_day("2025"), d("2025-01-01"));
        assert_eq!(parse_day("soon"), None);
    }

    #[test]
    fn ages_turn_on_the_birthday() {
        let d = |s| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(age_at(d("1951-12-31"), d("2025-12-31")), 74);
        assert_eq!(age_at(d("1952-01-01"), d("2025-12-31")), 73);
        assert_eq!(shift_months(d("2025-08-31"), 6), d("2026-02-28"));
    }
}
