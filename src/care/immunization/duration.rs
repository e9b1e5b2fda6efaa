//! CDSi durations ("6 weeks - 4 days", "4 years") and the date arithmetic
//! the logic specification defines for them (chapter 3.4, table 3-6).
//!
//! A duration is kept as its parts (years, months, days) rather than as a
//! day count, because "6 months" is a different number of days from every
//! start date. The parts are applied in the order CALCDT-6 demands: years and
//! months first with the day of month held constant, a date that does not
//! exist moved to the first of the next month (CALCDT-5), then days.

use chrono::{Datelike, Days, NaiveDate};
use std::fmt;

/// A span of time as the supporting data spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Duration {
    /// Whole years, signed ("5 years - 4 days" has +5 here).
    pub years: i32,
    /// Whole months, signed.
    pub months: i32,
    /// Days, signed, weeks already multiplied out (CALCDT-3: a week is 7 days).
    pub days: i64,
}

/// Why a duration string could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{text}' is not a CDSi duration (expected e.g. '6 weeks - 4 days')")]
pub struct DurationError {
    /// The text as found in the supporting data.
    pub text: String,
}

impl Duration {
    /// A duration of whole days.
    pub fn days(days: i64) -> Self {
        Duration {
            days,
            ..Duration::default()
        }
    }

    /// Parses "N unit [(+|-) N unit]...", units year(s), month(s), week(s), day(s).
    pub fn parse(text: &str) -> Result<Self, DurationError> {
        let err = || DurationError {
            text: text.to_string(),
        };
        let mut out = Duration::default();
        let mut sign: i64 = 1;
        let mut tokens = text.split_whitespace().peekable();
        let mut terms = 0;
        while let Some(token) = tokens.next() {
            match token {
                "+" => sign = 1,
                "-" => sign = -1,
                number => {
                    let n: i64 = number.parse().map_err(|_| err())?;
                    let unit = tokens.next().ok_or_else(err)?;
                    let n = sign * n;
                    match unit.trim_end_matches('s') {
                        "year" => out.years += i32::try_from(n).map_err(|_| err())?,
                        "month" => out.months += i32::try_from(n).map_err(|_| err())?,
                        "week" => out.days += 7 * n,
                        "day" => out.days += n,
                        _ => return Err(err()),
                    }
                    terms += 1;
                    sign = 1;
                }
            }
        }
        if terms == 0 {
            return Err(err());
        }
        Ok(out)
    }

    /// `date` plus this duration (CALCDT-1 to CALCDT-6).
    pub fn after(&self, date: NaiveDate) -> NaiveDate {
        let total_months = date.year() * 12 + date.month0() as i32 + self.years * 12 + self.months;
        let year = total_months.div_euclid(12);
        let month = total_months.rem_euclid(12) as u32 + 1;
        let moved = NaiveDate::from_ymd_opt(year, month, date.day()).unwrap_or_else(|| {
            // CALCDT-5: a date that does not exist becomes the first of the next month.
            let (y, m) = if month == 12 {
                (year + 1, 1)
            } else {
                (year, month + 1)
            };
            NaiveDate::from_ymd_opt(y, m, 1).unwrap_or(NaiveDate::MAX)
        });
        add_days(moved, self.days)
    }
}

/// `date` plus (or minus) whole days, saturating at the ends of chrono's range.
pub fn add_days(date: NaiveDate, days: i64) -> NaiveDate {
    if days >= 0 {
        date.checked_add_days(Days::new(days as u64))
            .unwrap_or(NaiveDate::MAX)
    } else {
        date.checked_sub_days(Days::new(days.unsigned_abs()))
            .unwrap_or(NaiveDate::MIN)
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if self.years != 0 {
            parts.push(format!("{} years", self.years));
        }
        if self.months != 0 {
            parts.push(format!("{} months", self.months));
        }
        if self.days != 0 || parts.is_empty() {
            parts.push(format!("{} days", self.days));
        }
        write!(f, "{}", parts.join(" + "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn plus(text: &str, date: NaiveDate) -> NaiveDate {
        Duration::parse(text).unwrap().after(date)
    }

    // The examples of table 3-6, one per business rule.
    #[test]
    fn calcdt_1_years_hold_month_and_day() {
        assert_eq!(plus("3 years", d(2000, 1, 1)), d(2003, 1, 1));
    }

    #[test]
    fn calcdt_2_months_hold_day_and_roll_the_year() {
        assert_eq!(plus("6 months", d(2000, 1, 1)), d(2000, 7, 1));
        assert_eq!(plus("6 months", d(2000, 11, 1)), d(2001, 5, 1));
    }

    #[test]
    fn calcdt_3_weeks_and_days_count_days() {
        assert_eq!(plus("3 days", d(2000, 1, 1)), d(2000, 1, 4));
        assert_eq!(plus("3 weeks", d(2000, 1, 1)), d(2000, 1, 22));
        assert_eq!(plus("5 weeks", d(2000, 2, 1)), d(2000, 3, 7));
        assert_eq!(plus("5 weeks", d(2001, 2, 1)), d(2001, 3, 8));
    }

    #[test]
    fn calcdt_4_subtracting_days() {
        assert_eq!(add_days(d(2000, 1, 15), -4), d(2000, 1, 11));
    }

    #[test]
    fn calcdt_5_a_date_that_does_not_exist_moves_to_the_next_first() {
        assert_eq!(plus("6 months", d(2000, 3, 31)), d(2000, 10, 1));
        assert_eq!(plus("6 months", d(2000, 8, 31)), d(2001, 3, 1));
        assert_eq!(plus("1 year", d(2000, 2, 29)), d(2001, 3, 1));
    }

    #[test]
    fn calcdt_6_months_before_days() {
        assert_eq!(plus("6 months - 4 days", d(2000, 1, 31)), d(2000, 7, 27));
    }

    #[test]
    fn parses_the_shapes_the_supporting_data_uses() {
        let cases = [
            (
                "6 weeks - 4 days",
                Duration {
                    years: 0,
                    months: 0,
                    days: 38,
                },
            ),
            (
                "3 months + 4 weeks",
                Duration {
                    years: 0,
                    months: 3,
                    days: 28,
                },
            ),
            (
                "1 year",
                Duration {
                    years: 1,
                    months: 0,
                    days: 0,
                },
            ),
            (
                "4 years - 4 days",
                Duration {
                    years: 4,
                    months: 0,
                    days: -4,
                },
            ),
            (
                "19 years - 6 months",
                Duration {
                    years: 19,
                    months: -6,
                    days: 0,
                },
            ),
            (
                " 50 years",
                Duration {
                    years: 50,
                    months: 0,
                    days: 0,
                },
            ),
            (
                "0 days - 4 days",
                Duration {
                    years: 0,
                    months: 0,
                    days: -4,
                },
            ),
        ];
        for (text, want) in cases {
            assert_eq!(Duration::parse(text).unwrap(), want, "{text}");
        }
        assert!(Duration::parse("").is_err());
        assert!(Duration::parse("6 fortnights").is_err());
        assert!(Duration::parse("weeks").is_err());
    }
}
