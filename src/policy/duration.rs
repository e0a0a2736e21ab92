//! Durations in a policy: `90d`, `2w`, `36h`, `P90D`. Months and years are refused:
//! they have no fixed length, and a gate must not guess.

use jiff::{SignedDuration, Span, SpanRelativeTo};

/// The longest duration a policy may give: a century. Longer ones are a typo or an
/// attempt to overflow date arithmetic, never a real lifetime.
pub const MAX_DURATION_DAYS: i64 = 36_500;

pub fn parse_duration(text: &str) -> Result<SignedDuration, String> {
    let span: Span = text.trim().parse().map_err(|_| {
        format!("`{text}` is not a duration; write a number of days, weeks or hours, e.g. \"90d\", \"2w\" or \"36h\"")
    })?;
    if span.get_years() != 0 || span.get_months() != 0 {
        return Err(format!(
            "`{text}` uses months or years, which have no fixed length; write days instead, e.g. \"90d\" or \"365d\""
        ));
    }
    if span.is_negative() {
        return Err(format!("`{text}` is negative; durations must be positive"));
    }
    let duration = span
        .to_duration(SpanRelativeTo::days_are_24_hours())
        .map_err(|e| format!("`{text}` is not a usable duration: {e}"))?;
    if duration > SignedDuration::from_hours(24 * MAX_DURATION_DAYS) {
        return Err(format!(
            "`{text}` is longer than {MAX_DURATION_DAYS} days (a century), the longest duration a policy may give"
        ));
    }
    Ok(duration)
}

/// An instant as a policy or the command line gives it: RFC 3339, or a date meaning
/// 00:00 UTC that day.
pub fn parse_instant(s: &str) -> Result<jiff::Timestamp, String> {
    if let Ok(ts) = s.parse::<jiff::Timestamp>() {
        return Ok(ts);
    }
    s.parse::<jiff::civil::Date>()
        .ok()
        .and_then(|d| d.to_zoned_datetime(jiff::tz::TimeZone::UTC).ok())
        .map(|z| z.timestamp())
        .ok_or_else(|| {
            format!("`{s}` is not a timestamp; write e.g. 2026-11-24T00:00:00Z or 2026-11-24")
        })
}

/// A duration as people read it: "412 days", "3 days 4 hours", "5 hours".
pub fn format_duration(d: SignedDuration) -> String {
    let secs = d.as_secs().abs();
    let days = secs / 86_400;
    let hours = (secs % 86_400) / 3_600;
    let plural = |n: i64, unit: &str| format!("{n} {unit}{}", if n == 1 { "" } else { "s" });
    let minutes = (secs % 3_600) / 60;
    let text = if days >= 10 || (days > 0 && hours == 0) {
        plural(days, "day")
    } else if days > 0 {
        format!("{} {}", plural(days, "day"), plural(hours, "hour"))
    } else if hours > 0 {
        plural(hours, "hour")
    } else {
        plural(minutes, "minute")
    };
    if d.is_negative() {
        format!("-{text}")
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_days_weeks_hours_and_iso() {
        assert_eq!(
            parse_duration("90d").unwrap(),
            SignedDuration::from_hours(90 * 24)
        );
        assert_eq!(
            parse_duration("2w").unwrap(),
            SignedDuration::from_hours(14 * 24)
        );
        assert_eq!(
            parse_duration("36h").unwrap(),
            SignedDuration::from_hours(36)
        );
        assert_eq!(
            parse_duration("P90D").unwrap(),
            SignedDuration::from_hours(90 * 24)
        );
    }

    #[test]
    fn refuses_months_years_and_garbage() {
        assert!(
            parse_duration("3mo")
                .unwrap_err()
                .contains("months or years")
        );
        assert!(
            parse_duration("1y")
                .unwrap_err()
                .contains("months or years")
        );
        assert_eq!(
            parse_duration("4500000d").unwrap_err(),
            "`4500000d` is longer than 36500 days (a century), the longest duration a policy may give"
        );
        assert_eq!(
            parse_duration("36500d").unwrap(),
            SignedDuration::from_hours(24 * 36_500)
        );
        assert!(
            parse_duration("ninety days")
                .unwrap_err()
                .contains("not a duration")
        );
    }

    #[test]
    fn formats_for_people() {
        assert_eq!(
            format_duration(SignedDuration::from_hours(412 * 24)),
            "412 days"
        );
        assert_eq!(
            format_duration(SignedDuration::from_hours(3 * 24 + 4)),
            "3 days 4 hours"
        );
        assert_eq!(format_duration(SignedDuration::from_hours(1)), "1 hour");
        assert_eq!(format_duration(SignedDuration::from_hours(24)), "1 day");
    }
}
