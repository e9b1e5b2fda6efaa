//! HL7 date/times: `YYYY[MM[DD[HH[MM[SS[.S[S[S[S]]]]]]]]][+/-ZZZZ]` (DTM, and the first
//! component of TS).
//!
//! Two things a chart must not lose are kept: how precise the sender was (a birth date is a
//! day, a collection time may be a minute) and whether an offset was sent. A timestamp without
//! one is local time *somewhere* (usually the lab's), and only the caller knows where, so
//! there is no conversion to UTC that could guess it silently.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone};

/// How much of the timestamp the sender gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Precision {
    Year,
    Month,
    Day,
    Hour,
    Minute,
    Second,
    /// Fractions of a second, with this many digits (1 to 4 in HL7; up to 9 accepted).
    Fraction(u8),
}

/// A parsed HL7 timestamp. Parts finer than [`Precision`] are zero (month and day are 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timestamp {
    /// The date and time as written, in the sender's clock.
    pub local: NaiveDateTime,
    pub precision: Precision,
    /// The UTC offset when one was sent; `None` means "local time, zone unknown here".
    pub offset: Option<FixedOffset>,
}

/// Why a timestamp could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimestampError {
    #[error("{0:?} is not an HL7 timestamp (YYYY[MM[DD[HH[MM[SS[.S]]]]]][+/-ZZZZ])")]
    Shape(String),
    #[error("{0:?} names a date or time that does not exist")]
    OutOfRange(String),
    #[error("{0:?} has an offset that is not +/-HHMM within 14 hours")]
    Offset(String),
}

impl Timestamp {
    /// Reads `text`; an empty string is not a timestamp (callers treat empty fields as absent
    /// before asking). Surrounding spaces are ignored.
    pub fn parse(text: &str) -> Result<Timestamp, TimestampError> {
        let shape = || TimestampError::Shape(text.to_string());
        let t = text.trim();
        let (body, offset) = match t.find(['+', '-']) {
            Some(i) => (&t[..i], Some(parse_offset(&t[i..], text)?)),
            None => (t, None),
        };
        let (digits, fraction) = match body.split_once('.') {
            Some((d, f)) => (d, Some(f)),
            None => (body, None),
        };
        if !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(shape());
        }
        let precision = match (digits.len(), fraction) {
            (4, None) => Precision::Year,
            (6, None) => Precision::Month,
            (8, None) => Precision::Day,
            (10, None) => Precision::Hour,
            (12, None) => Precision::Minute,
            (14, None) => Precision::Second,
            (14, Some(f))
                if (1..=9).contains(&f.len()) && f.bytes().all(|b| b.is_ascii_digit()) =>
            {
                Precision::Fraction(f.len() as u8)
            }
            _ => return Err(shape()),
        };
        let num = |range: std::ops::Range<usize>, default: u32| -> u32 {
            digits
                .get(range)
                .and_then(|s| s.parse().ok())
                .unwrap_or(default)
        };
        let year = num(0..4, 0) as i32;
        let date = NaiveDate::from_ymd_opt(year, num(4..6, 1), num(6..8, 1))
            .ok_or_else(|| TimestampError::OutOfRange(text.to_string()))?;
        let nanos = match fraction {
            Some(f) => {
                let n: u32 = f.parse().map_err(|_| shape())?;
                n * 10u32.pow(9 - f.len() as u32)
            }
            None => 0,
        };
        let time =
            NaiveTime::from_hms_nano_opt(num(8..10, 0), num(10..12, 0), num(12..14, 0), nanos)
                .ok_or_else(|| TimestampError::OutOfRange(text.to_string()))?;
        Ok(Timestamp {
            local: NaiveDateTime::new(date, time),
            precision,
            offset,
        })
    }

    /// The instant, when the sender said which offset its clock was on.
    pub fn instant(&self) -> Option<DateTime<FixedOffset>> {
        let offset = self.offset?;
        offset.from_local_datetime(&self.local).single()
    }

    /// The instant, given the offset the caller decides applies when none was sent (for
    /// example the lab's configured zone at that date).
    pub fn instant_or(&self, assumed: FixedOffset) -> Option<DateTime<FixedOffset>> {
        self.offset
            .unwrap_or(assumed)
            .from_local_datetime(&self.local)
            .single()
    }

    /// The date alone (a birth date, say), whatever the precision was.
    pub fn date(&self) -> NaiveDate {
        self.local.date()
    }

    /// A second-precision timestamp with its offset, as an ACK's MSH-7.
    pub fn from_datetime(at: DateTime<FixedOffset>) -> Timestamp {
        Timestamp {
            local: at.naive_local(),
            precision: Precision::Second,
            offset: Some(*at.offset()),
        }
    }

    /// Writes the timestamp back in HL7 form at its own precision.
    pub fn to_hl7(&self) -> String {
        let full = self.local.format("%Y%m%d%H%M%S").to_string();
        let mut out = match self.precision {
            Precision::Year => full[..4].to_string(),
            Precision::Month => full[..6].to_string(),
            Precision::Day => full[..8].to_string(),
            Precision::Hour => full[..10].to_string(),
            Precision::Minute => full[..12].to_string(),
            Precision::Second => full,
            Precision::Fraction(n) => {
                let nanos = format!("{:09}", self.local.and_utc().timestamp_subsec_nanos());
                format!("{full}.{}", &nanos[..usize::from(n.min(9))])
            }
        };
        if let Some(offset) = self.offset {
            let secs = offset.local_minus_utc();
            let sign = if secs < 0 { '-' } else { '+' };
            let mins = secs.unsigned_abs() / 60;
            out.push_str(&format!("{sign}{:02}{:02}", mins / 60, mins % 60));
        }
        out
    }
}

fn parse_offset(z: &str, text: &str) -> Result<FixedOffset, TimestampError> {
    let bad = || TimestampError::Offset(text.to_string());
    let (sign, digits) = z.split_at(1);
    if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let hours: i32 = digits[..2].parse().map_err(|_| bad())?;
    let minutes: i32 = digits[2..].parse().map_err(|_| bad())?;
    if hours > 14 || minutes > 59 {
        return Err(bad());
    }
    let secs = (hours * 60 + minutes) * 60;
    let secs = if sign == "-" { -secs } else { secs };
    FixedOffset::east_opt(secs).ok_or_else(bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(text: &str) -> Timestamp {
        Timestamp::parse(text).unwrap()
    }

    #[test]
    fn each_precision_is_kept() {
        for (text, precision) in [
            ("2024", Precision::Year),
            ("202401", Precision::Month),
            ("20240105", Precision::Day),
            ("2024010508", Precision::Hour),
            ("202401050830", Precision::Minute),
            ("20240105083015", Precision::Second),
            ("20240105083015.1", Precision::Fraction(1)),
            ("20240105083015.1234", Precision::Fraction(4)),
        ] {
            let t = ts(text);
            assert_eq!(t.precision, precision, "{text}");
            assert_eq!(t.offset, None, "{text}");
            assert_eq!(t.to_hl7(), text, "writes back as read");
        }
        let t = ts("20240105083015.25");
        assert_eq!(t.local.and_utc().timestamp_subsec_millis(), 250);
        assert_eq!(
            ts("202401").date(),
            NaiveDate::from_ymd_opt(2024, 1, 1).unwrap()
        );
    }

    #[test]
    fn an_offset_gives_an_instant_and_no_offset_gives_none() {
        let t = ts("200808151030-0700");
        assert_eq!(t.precision, Precision::Minute);
        assert_eq!(t.offset, FixedOffset::west_opt(7 * 3600));
        let instant = t.instant().unwrap();
        assert_eq!(instant.to_rfc3339(), "2008-08-15T10:30:00-07:00");
        assert_eq!(t.to_hl7(), "200808151030-0700");

        let t = ts("20080818183002.1+0530");
        assert_eq!(t.precision, Precision::Fraction(1));
        assert_eq!(t.offset, FixedOffset::east_opt(5 * 3600 + 30 * 60));

        let local = ts("20100929110702");
        assert_eq!(local.offset, None);
        assert_eq!(local.instant(), None, "no offset is never silently UTC");
        let assumed = FixedOffset::west_opt(6 * 3600).unwrap();
        assert_eq!(
            local.instant_or(assumed).unwrap().to_rfc3339(),
            "2010-09-29T11:07:02-06:00"
        );
        // A date with an offset (allowed by the grammar).
        assert_eq!(ts("20240105+0000").precision, Precision::Day);
    }

    #[test]
    fn malformed_timestamps_are_refused() {
        for text in [
            "",
            "24",
            "20240",
            "2024010",
            "20240105 0830",
            "20240105083015.",
            "202401050830.5",
            "20240105083015.1234567890",
            "abcd",
        ] {
            assert!(
                matches!(Timestamp::parse(text), Err(TimestampError::Shape(_))),
                "{text:?}"
            );
        }
        assert!(Timestamp::parse("2024-01-05").is_err());
        for text in [
            "20241301",
            "20240230",
            "2024010525",
            "202401050860",
            "20240105083060",
        ] {
            assert!(
                matches!(Timestamp::parse(text), Err(TimestampError::OutOfRange(_))),
                "{text:?}"
            );
        }
        for text in [
            "20240105-07",
            "20240105+2500",
            "20240105-0760",
            "20240105+07:00",
        ] {
            assert!(
                matches!(Timestamp::parse(text), Err(TimestampError::Offset(_))),
                "{text:?}"
            );
        }
    }

    #[test]
    fn from_datetime_writes_seconds_and_offset() {
        let at = FixedOffset::east_opt(3600)
            .unwrap()
            .with_ymd_and_hms(2024, 3, 9, 7, 5, 1)
            .unwrap();
        assert_eq!(Timestamp::from_datetime(at).to_hl7(), "20240309070501+0100");
    }
}
