//! Dates and times in the hot responses (the registry's lists and gets), written exactly as
//! chrono writes them — RFC 3339 with `Z` and as many fraction digits as needed, dates as
//! `YYYY-MM-DD` — but formatted into a string first. chrono hands serde_json a `Display`, which
//! the JSON writer escapes one character at a time: on the million-worker city that was a
//! tenth of the server's time serialising a page of fifty workers.

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use serde::Serializer;

pub fn utc<S: Serializer>(at: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&at.to_rfc3339_opts(SecondsFormat::AutoSi, true))
}

pub fn date<S: Serializer>(day: &NaiveDate, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&day.to_string())
}

pub fn optional_date<S: Serializer>(day: &Option<NaiveDate>, s: S) -> Result<S::Ok, S::Error> {
    match day {
        Some(day) => date(day, s),
        None => s.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
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
        let whole = Utc.with_ymd_and_hms(2026, 11, 29, 9, 0, 0).unwrap();
        let instants = [
            whole,
            whole + chrono::Duration::milliseconds(120),
            whole + chrono::Duration::microseconds(171_781),
            whole + chrono::Duration::nanoseconds(5),
        ];
        let days = [
            NaiveDate::from_ymd_opt(1949, 12, 31).unwrap(),
            NaiveDate::from_ymd_opt(2026, 1, 2).unwrap(),
        ];
        for at in instants {
            for day in days {
                for maybe in [None, Some(day)] {
                    let fast = serde_json::to_string(&Fast { at, day, maybe }).unwrap();
                    let chrono = serde_json::to_string(&Chrono { at, day, maybe }).unwrap();
                    assert_eq!(fast, chrono);
                }
            }
        }
    }
}
