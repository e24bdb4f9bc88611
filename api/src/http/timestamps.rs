//! Dates and times in the hot responses (the registry's lists and gets), written exactly as
//! chrono writes them — RFC 3339 with `Z` and as many fraction digits as needed, dates as
//! `YYYY-MM-DD` — but into a buffer on the stack, handed to the serializer as one string.
//! chrono hands serde_json a `Display`, which the JSON writer escapes one character at a time:
//! on the million-worker city that was a tenth of the server's time serialising a page of
//! fifty workers. Formatting through chrono into a `String` first still cost 8% of the
//! server's samples on the list (`Display` writes a date a character at a time, growing the
//! string, and each instant allocates); the buffer costs a few digits' arithmetic. Instants
//! and dates chrono writes otherwise (a year outside 0000–9999, a leap second) go through
//! chrono, so the output is chrono's in every case.

use chrono::{DateTime, Datelike, NaiveDate, SecondsFormat, Timelike, Utc};
use serde::Serializer;

pub fn utc<S: Serializer>(at: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    let mut buf = [0; 30];
    match rfc3339(at, &mut buf) {
        Some(text) => s.serialize_str(text),
        None => s.serialize_str(&at.to_rfc3339_opts(SecondsFormat::AutoSi, true)),
    }
}

pub fn date<S: Serializer>(day: &NaiveDate, s: S) -> Result<S::Ok, S::Error> {
    let mut buf = [0; 10];
    match write_day(*day, &mut buf).and_then(|()| std::str::from_utf8(&buf).ok()) {
        Some(text) => s.serialize_str(text),
        None => s.serialize_str(&day.to_string()),
    }
}

pub fn optional_date<S: Serializer>(day: &Option<NaiveDate>, s: S) -> Result<S::Ok, S::Error> {
    match day {
        Some(day) => date(day, s),
        None => s.serialize_none(),
    }
}

/// `at` as `to_rfc3339_opts(AutoSi, true)` writes it, unless chrono writes it otherwise.
fn rfc3339<'b>(at: &DateTime<Utc>, buf: &'b mut [u8; 30]) -> Option<&'b str> {
    let at = at.naive_utc();
    let nanos = at.nanosecond();
    // A leap second: chrono writes `:60`.
    if nanos >= 1_000_000_000 {
        return None;
    }
    write_day(at.date(), &mut buf[..10])?;
    buf[10] = b'T';
    digits(&mut buf[11..13], at.hour());
    buf[13] = b':';
    digits(&mut buf[14..16], at.minute());
    buf[16] = b':';
    digits(&mut buf[17..19], at.second());
    // AutoSi: none, milli-, micro- or nanoseconds, whichever writes the fraction exactly.
    let (width, fraction) = match nanos {
        0 => (0, 0),
        n if n % 1_000_000 == 0 => (3, n / 1_000_000),
        n if n % 1_000 == 0 => (6, n / 1_000),
        n => (9, n),
    };
    let mut end = 19;
    if width > 0 {
        buf[19] = b'.';
        digits(&mut buf[20..20 + width], fraction);
        end = 20 + width;
    }
    buf[end] = b'Z';
    std::str::from_utf8(&buf[..=end]).ok()
}

/// `YYYY-MM-DD` into the first ten bytes, for the years chrono writes with four digits.
fn write_day(day: NaiveDate, buf: &mut [u8]) -> Option<()> {
    let year = u32::try_from(day.year()).ok().filter(|y| *y <= 9999)?;
    digits(buf.get_mut(..4)?, year);
    buf[4] = b'-';
    digits(&mut buf[5..7], day.month());
    buf[7] = b'-';
    digits(&mut buf[8..10], day.day());
    Some(())
}

/// `value` in decimal, zero-padded to fill `out` (which it fits).
fn digits(out: &mut [u8], mut value: u32) {
    for place in out.iter_mut().rev() {
        // A digit: below 10.
        *place = b'0' + u8::try_from(value % 10).unwrap_or(0);
        value /= 10;
    }
}

#[cfg(test)]
mod tests {
    use serde::Serialize;

    use super::*;

    #[derive(Serialize)]
    struct Fast {
        #[serde(serialize_with = "utc")]
        at: DateTime<Utc>,
        #[serde(serialize_with = "date")]
        day: NaiveDate,
        #[serde(serialize_with = "optional_date")]
        maybe: Option<NaiveDate>,
    }

    #[derive(Serialize)]
    struct Chrono {
        at: DateTime<Utc>,
        day: NaiveDate,
        maybe: Option<NaiveDate>,
    }

    #[test]
    fn written_as_chrono_writes_them() {
        let days = [
            NaiveDate::from_ymd_opt(1949, 12, 31).unwrap(),
            NaiveDate::from_ymd_opt(2026, 1, 2).unwrap(),
            NaiveDate::from_ymd_opt(1, 1, 1).unwrap(),
            NaiveDate::from_ymd_opt(0, 2, 29).unwrap(),
            NaiveDate::from_ymd_opt(9999, 12, 31).unwrap(),
            NaiveDate::from_ymd_opt(10_000, 1, 1).unwrap(),
            NaiveDate::from_ymd_opt(-1, 6, 30).unwrap(),
        ];
        let times = [
            (0, 0, 0, 0),
            (9, 0, 0, 120_000_000),
            (9, 5, 7, 171_781_000),
            (12, 30, 45, 5),
            (23, 59, 59, 999_999_999),
            (8, 1, 2, 100_000),
            (8, 1, 2, 1_000),
            (8, 1, 2, 10),
            // A leap second, which chrono writes as `:60`.
            (23, 59, 59, 1_500_000_000),
        ];
        let mut seen = 0;
        for day in days {
            for (h, m, sec, nano) in times {
                let at = day.and_hms_nano_opt(h, m, sec, nano).unwrap().and_utc();
                for maybe in [None, Some(day)] {
                    let fast = serde_json::to_string(&Fast { at, day, maybe }).unwrap();
                    let chrono = serde_json::to_string(&Chrono { at, day, maybe }).unwrap();
                    assert_eq!(fast, chrono);
                    seen += 1;
                }
            }
        }
        assert_eq!(seen, days.len() * times.len() * 2);
    }
}
