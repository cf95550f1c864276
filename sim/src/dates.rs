//! Calendar arithmetic on UTC days, written out so the emulator needs no date crate.
//!
//! A day is counted from 1970-01-01 (day 0), like Unix time divided by 86,400.

use crate::error::SimError;

/// Seconds in a day.
pub const DAY_SECONDS: i64 = 86_400;

/// The day number of a civil date (Howard Hinnant's `days_from_civil`).
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date `(year, month, day)` of a day number.
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Parses `YYYY-MM-DD` into a day number.
pub fn parse_date(text: &str) -> Result<i64, SimError> {
    let invalid = || SimError::bad_request(format!("Invalid date '{text}': expected YYYY-MM-DD"));
    let parts: Vec<&str> = text.split('-').collect();
    let [y, m, d] = parts.as_slice() else {
        return Err(invalid());
    };
    if y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return Err(invalid());
    }
    let year: i64 = y.parse().map_err(|_| invalid())?;
    let month: u32 = m.parse().map_err(|_| invalid())?;
    let day: u32 = d.parse().map_err(|_| invalid())?;
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return Err(invalid());
    }
    Ok(days_from_civil(year, month, day))
}

/// Formats a day number as `YYYY-MM-DD`.
pub fn format_date(days: i64) -> String {
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Parses an RFC 3339 UTC timestamp (`2024-01-31T12:00:00Z`, fractions ignored) into Unix seconds.
pub fn parse_rfc3339(text: &str) -> Result<i64, SimError> {
    let invalid = || {
        SimError::bad_request(format!(
            "Invalid timestamp '{text}': expected RFC 3339 in UTC"
        ))
    };
    let (date, rest) = text.split_once(['T', 't']).ok_or_else(invalid)?;
    let time = rest.strip_suffix(['Z', 'z']).ok_or_else(invalid)?;
    let time = time.split('.').next().unwrap_or(time);
    let parts: Vec<&str> = time.split(':').collect();
    let [h, mi, s] = parts.as_slice() else {
        return Err(invalid());
    };
    let field = |v: &str, max: i64| match v.parse::<i64>() {
        Ok(n) if v.len() == 2 && (0..=max).contains(&n) => Ok(n),
        _ => Err(invalid()),
    };
    let seconds = field(h, 23)? * 3600 + field(mi, 59)? * 60 + field(s, 60)?;
    Ok(parse_date(date)? * DAY_SECONDS + seconds)
}

/// The number of days in a month.
pub fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// The weekday of a day number, 0 = Sunday.
pub fn weekday(days: i64) -> i64 {
    (days + 4).rem_euclid(7)
}

/// Unix seconds as an HTTP date (RFC 9110's IMF-fixdate): `Thu, 03 Dec 2026 12:52:17 GMT`.
pub fn http_date(seconds: i64) -> String {
    const WEEKDAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let day = seconds.div_euclid(DAY_SECONDS);
    let time = seconds.rem_euclid(DAY_SECONDS);
    let (year, month, dom) = civil_from_days(day);
    let weekday = WEEKDAYS[usize::try_from(weekday(day)).unwrap_or(0)];
    let month = MONTHS[usize::try_from(month - 1).unwrap_or(0)];
    format!(
        "{weekday}, {dom:02} {month} {year:04} {:02}:{:02}:{:02} GMT",
        time / 3600,
        time / 60 % 60,
        time % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_dates_are_imf_fixdates() {
        assert_eq!(http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        let seconds = parse_rfc3339("2026-12-03T12:52:17Z").unwrap();
        assert_eq!(http_date(seconds), "Thu, 03 Dec 2026 12:52:17 GMT");
    }

    #[test]
    fn round_trips_dates() {
        for text in ["1970-01-01", "2000-02-29", "2024-12-31", "2025-03-01"] {
            assert_eq!(format_date(parse_date(text).unwrap()), text);
        }
        assert_eq!(parse_date("1970-01-02").unwrap(), 1);
    }

    #[test]
    fn refuses_bad_dates() {
        for text in ["2023-02-29", "2024-13-01", "2024-1-01", "x", "2024-01-00"] {
            assert!(parse_date(text).is_err(), "{text}");
        }
    }

    #[test]
    fn parses_rfc3339() {
        assert_eq!(parse_rfc3339("1970-01-02T00:00:10Z").unwrap(), 86_410);
        assert_eq!(
            parse_rfc3339("2024-01-01T00:00:00.5Z").unwrap(),
            1_704_067_200
        );
        assert!(parse_rfc3339("2024-01-01 00:00:00").is_err());
    }

    #[test]
    fn knows_weekdays() {
        assert_eq!(weekday(0), 4); // 1970-01-01 was a Thursday
        assert_eq!(weekday(parse_date("2024-06-02").unwrap()), 0); // a Sunday
    }
}
