//! Timestamps as the store writes them: RFC 3339, UTC, milliseconds, `Z`.
//!
//! Formatted here rather than with a date crate: the store only ever needs
//! "now" in one fixed format, and the civil-date conversion is a few lines.

use std::time::{SystemTime, UNIX_EPOCH};

/// The current time, e.g. `2026-05-01T09:30:00.125Z`.
pub(crate) fn now() -> String {
    let ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0);
    format_millis(ms)
}

/// Formats milliseconds since the Unix epoch.
pub(crate) fn format_millis(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let milli = ms.rem_euclid(1000);
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{milli:03}Z",
        sod / 3600,
        sod % 3600 / 60,
        sod % 60
    )
}

/// Proleptic Gregorian date of a day count from 1970-01-01.
///
/// Works in 400-year eras (146 097 days each) counted from 0000-03-01, so
/// that the leap day falls at the end of the computed year.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468; // days from 0000-03-01 to 1970-01-01
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153; // month index with March = 0
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = era * 400 + yoe + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::format_millis;

    #[test]
    fn matches_gnu_date() {
        // Expected values from `date -u -d @SECONDS +%Y-%m-%dT%H:%M:%S`.
        for (ms, want) in [
            (0, "1970-01-01T00:00:00.000Z"),
            (951_782_400_001, "2000-02-29T00:00:00.001Z"),
            (951_868_799_999, "2000-02-29T23:59:59.999Z"),
            (4_107_542_400_000, "2100-03-01T00:00:00.000Z"),
            (1_709_164_800_500, "2024-02-29T00:00:00.500Z"),
            (1_767_225_599_123, "2025-12-31T23:59:59.123Z"),
            (-1, "1969-12-31T23:59:59.999Z"),
        ] {
            assert_eq!(format_millis(ms), want, "{ms} ms");
        }
    }
}
