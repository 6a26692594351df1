//! Unix time as a UTC calendar date and time of day (proleptic Gregorian
//! calendar), for the texts that name a moment: error details, audit
//! notes, webhook bodies.

/// A moment in UTC, to the second.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UtcTime {
    /// The year (negative before year 0).
    pub year: i64,
    /// 1–12.
    pub month: i64,
    /// 1–31.
    pub day: i64,
    /// 0–23.
    pub hour: i64,
    /// 0–59.
    pub minute: i64,
    /// 0–59.
    pub second: i64,
}

impl UtcTime {
    /// The moment `secs` seconds after 1970-01-01 00:00:00 UTC (before it
    /// when negative).
    #[must_use]
    pub fn from_unix_secs(secs: i64) -> Self {
        let days = secs.div_euclid(86_400);
        let rem = secs.rem_euclid(86_400);
        // Howard Hinnant's days-to-civil.
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        Self {
            year: yoe + era * 400 + i64::from(month <= 2),
            month,
            day,
            hour: rem / 3600,
            minute: rem % 3600 / 60,
            second: rem % 60,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(secs: i64) -> String {
        let t = UtcTime::from_unix_secs(secs);
        format!(
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
            t.year, t.month, t.day, t.hour, t.minute, t.second
        )
    }

    #[test]
    fn days_and_seconds_follow_the_gregorian_calendar() {
        for (secs, want) in [
            (0, "1970-01-01 00:00:00"),
            (-1, "1969-12-31 23:59:59"),
            (951_782_400, "2000-02-29 00:00:00"),
            (1_796_000_000, "2026-11-30 00:53:20"),
            (1_800_000_000, "2027-01-15 08:00:00"),
            // The century rules: 1900 and 2100 are not leap years, 1600
            // and 2400 are (the last day of a 400-year era).
            (4_107_542_399, "2100-02-28 23:59:59"),
            (4_107_542_400, "2100-03-01 00:00:00"),
            (-2_203_891_200, "1900-03-01 00:00:00"),
            (13_574_606_400, "2400-02-29 12:00:00"),
            (13_574_649_600, "2400-03-01 00:00:00"),
            (-11_670_998_400, "1600-02-29 00:00:00"),
            (7_289_654_399, "2200-12-31 23:59:59"),
        ] {
            assert_eq!(shown(secs), want, "{secs}");
        }
    }
}
