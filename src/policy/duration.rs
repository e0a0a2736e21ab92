//! Durations in a policy: whole days, weeks or hours (`90d`, `2w`, `36h`, `90 days`, ISO
//! 8601 `P90D`). Months and years are refused: they have no fixed length, and a gate must
//! not guess. Minutes and seconds are refused in every spelling (`3m`, `30min`, `90s`,
//! `PT5M`): a lifetime or a warning window is days or hours, and `3m` meant as three months
//! would otherwise be three minutes. Zero is refused: a zero `expiry_warning` switches
//! expiry warnings off and a zero `max_lifespan` fails every token.

use jiff::SignedDuration;

/// The longest duration a policy may give: a century. Longer ones are a typo or an
/// attempt to overflow date arithmetic, never a real lifetime.
pub const MAX_DURATION_DAYS: i64 = 36_500;

/// What a duration may be, for messages and help lines.
pub const DURATION_HELP: &str = "durations are whole days, weeks or hours: \"90d\", \"12w\", \"36h\", \"90 days\" or ISO 8601 \"P90D\"; never minutes, seconds, months, years or zero";

pub fn parse_duration(text: &str) -> Result<SignedDuration, String> {
    let refuse = |what: &str| format!("`{text}` {what}");
    let trimmed = text.trim();
    if trimmed.starts_with('-') {
        return Err(refuse("is negative"));
    }
    let body = trimmed.strip_prefix('+').unwrap_or(trimmed);
    let hours = match body.strip_prefix(['P', 'p']) {
        Some(iso) => iso_hours(iso),
        None => friendly_hours(body),
    }
    .map_err(|problem| refuse(problem.text()))?;
    if hours == 0 {
        return Err(refuse("is zero"));
    }
    if hours == i64::MAX || hours > 24 * MAX_DURATION_DAYS {
        return Err(format!(
            "`{text}` is longer than {MAX_DURATION_DAYS} days (a century), the longest duration a policy may give"
        ));
    }
    Ok(SignedDuration::from_hours(hours))
}

/// Why a duration's spelling is refused.
enum Refused {
    NotADuration,
    MonthsOrYears,
    /// `3M`, `1Y`: not a unit, but what a reader takes for months or years.
    ReadsAsMonths,
    ReadsAsYears,
    MinutesOrSeconds,
    TimePart,
    Fraction,
}

impl Refused {
    fn text(&self) -> &'static str {
        match self {
            Refused::NotADuration => "is not a duration",
            Refused::MonthsOrYears => "uses months or years, which have no fixed length",
            Refused::ReadsAsMonths => {
                "reads as months, which have no fixed length (units are lowercase: \"m\" would be minutes, refused too)"
            }
            Refused::ReadsAsYears => {
                "reads as years, which have no fixed length (units are lowercase)"
            }
            Refused::MinutesOrSeconds => "is in minutes or seconds",
            Refused::TimePart => "has an ISO 8601 time part (after `T`); write hours as \"36h\"",
            Refused::Fraction => "has a fraction: write whole numbers",
        }
    }
}

/// Hours in a unit of the friendly spelling (`90d`, `2 weeks`, `36 hrs`).
fn unit_hours(word: &str) -> Result<i64, Refused> {
    match word {
        "w" | "wk" | "wks" | "week" | "weeks" => Ok(7 * 24),
        "d" | "day" | "days" => Ok(24),
        "h" | "hr" | "hrs" | "hour" | "hours" => Ok(1),
        "M" => Err(Refused::ReadsAsMonths),
        "Y" => Err(Refused::ReadsAsYears),
        "mo" | "mos" | "month" | "months" | "y" | "yr" | "yrs" | "year" | "years" => {
            Err(Refused::MonthsOrYears)
        }
        "m" | "min" | "mins" | "minute" | "minutes" | "s" | "sec" | "secs" | "second"
        | "seconds" | "ms" | "msec" | "msecs" | "millisecond" | "milliseconds" | "us" | "µs"
        | "usec" | "usecs" | "microsecond" | "microseconds" | "ns" | "nsec" | "nsecs"
        | "nanosecond" | "nanoseconds" => Err(Refused::MinutesOrSeconds),
        _ => Err(Refused::NotADuration),
    }
}

/// One or more `NUMBER UNIT` parts, separated by spaces or not (`1d 3h`, `1d3h`).
fn friendly_hours(mut rest: &str) -> Result<i64, Refused> {
    let mut total = 0i64;
    let mut refused = None;
    while !rest.trim_start().is_empty() {
        rest = rest.trim_start();
        let (number, after) = rest.split_at(
            rest.find(|c: char| !c.is_ascii_digit())
                .unwrap_or(rest.len()),
        );
        if number.is_empty() {
            return Err(Refused::NotADuration);
        }
        if after.starts_with(['.', ',']) {
            refused.get_or_insert(Refused::Fraction);
        }
        let after = after.trim_start_matches(|c: char| c.is_ascii_digit() || c == '.' || c == ',');
        let after = after.trim_start();
        let (word, after) = after.split_at(
            after
                .find(|c: char| !c.is_alphabetic())
                .unwrap_or(after.len()),
        );
        let per = unit_hours(word)?;
        total = add(total, number, per);
        rest = after;
    }
    refused.map_or(Ok(total), Err)
}

/// `total` and `number` times `per` hours; `i64::MAX`, far past a century, on overflow.
fn add(total: i64, number: &str, per: i64) -> i64 {
    number
        .parse::<i64>()
        .ok()
        .and_then(|n| n.checked_mul(per))
        .and_then(|h| h.checked_add(total))
        .unwrap_or(i64::MAX)
}

/// ISO 8601 after the `P`: weeks and days (`90D`, `2W`, `2W3D`), each at most once and
/// in that order; a month or year designator, or a time part, is refused.
fn iso_hours(iso: &str) -> Result<i64, Refused> {
    if let Some((_, time)) = iso.split_once(['T', 't']) {
        return Err(if time.contains(['M', 'm', 'S', 's']) {
            Refused::MinutesOrSeconds
        } else {
            Refused::TimePart
        });
    }
    let mut rest = iso;
    let mut total = 0i64;
    let mut larger = i64::MAX;
    if rest.is_empty() {
        return Err(Refused::NotADuration);
    }
    while !rest.is_empty() {
        let (number, after) = rest.split_at(
            rest.find(|c: char| !c.is_ascii_digit())
                .unwrap_or(rest.len()),
        );
        let mut designators = after.chars();
        let per = match designators.next() {
            _ if number.is_empty() => return Err(Refused::NotADuration),
            Some('W' | 'w') => 7 * 24,
            Some('D' | 'd') => 24,
            Some('Y' | 'y' | 'M' | 'm') => return Err(Refused::MonthsOrYears),
            Some('.' | ',') => return Err(Refused::Fraction),
            _ => return Err(Refused::NotADuration),
        };
        if per >= larger {
            return Err(Refused::NotADuration);
        }
        larger = per;
        total = add(total, number, per);
        rest = designators.as_str();
    }
    Ok(total)
}

/// A duration on the command line: the problem and what a duration may be, in one line.
pub fn parse_duration_arg(text: &str) -> Result<SignedDuration, String> {
    parse_duration(text).map_err(|problem| format!("{problem}; {DURATION_HELP}"))
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
    fn parses_the_documented_spellings() {
        for (text, hours) in [
            ("12w", 12 * 7 * 24),
            ("90 days", 90 * 24),
            ("2 weeks", 14 * 24),
            ("1d 3h", 27),
            ("P2W", 14 * 24),
            ("P2W3D", 17 * 24),
            ("+3d", 72),
            (" 36h ", 36),
        ] {
            assert_eq!(
                parse_duration(text),
                Ok(SignedDuration::from_hours(hours)),
                "{text}"
            );
        }
    }

    #[test]
    fn refuses_months_years_and_garbage() {
        for text in ["3mo", "1y", "3 months", "2 years", "P3M", "P1Y"] {
            assert!(
                parse_duration(text)
                    .unwrap_err()
                    .contains("uses months or years"),
                "{text}"
            );
        }
        assert_eq!(
            parse_duration("3M").unwrap_err(),
            "`3M` reads as months, which have no fixed length (units are lowercase: \"m\" would be minutes, refused too)"
        );
        assert!(
            parse_duration("1 Y")
                .unwrap_err()
                .contains("reads as years")
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
    fn refuses_minutes_seconds_time_parts_fractions_and_zero() {
        for (text, why) in [
            ("3m", "in minutes or seconds"),
            ("30min", "in minutes or seconds"),
            ("3 mins", "in minutes or seconds"),
            ("90s", "in minutes or seconds"),
            ("1h30m", "in minutes or seconds"),
            ("1.5h", "fraction"),
            ("1,5h", "fraction"),
            ("90d ago", "not a duration"),
            ("PT5M", "in minutes or seconds"),
            ("PT36H", "ISO 8601 time part"),
            ("P1DT0H", "ISO 8601 time part"),
            ("P3D2W", "not a duration"),
            ("P1D1D", "not a duration"),
            ("P", "not a duration"),
            ("1.0h", "fraction"),
            ("36:00:00", "not a duration"),
            ("0d", "is zero"),
            ("0h", "is zero"),
            ("P0D", "is zero"),
            ("-3d", "is negative"),
        ] {
            let refused = parse_duration(text).unwrap_err();
            assert!(refused.contains(why), "{text}: {refused}");
        }
        assert_eq!(
            parse_duration_arg("3m").unwrap_err(),
            format!("`3m` is in minutes or seconds; {DURATION_HELP}")
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
