//! Dated platform changes that turn a policy or a token from fine into broken on a known
//! day. One row each, with its source, so the next announcement is a one-line change.

use jiff::Timestamp;

use crate::rules::Rule;

pub struct PlatformDeadline {
    pub rule: Rule,
    /// The instant from which the change is in force (UTC).
    pub effective: &'static str,
    pub what: &'static str,
    pub source: &'static str,
}

pub static AZURE_GLOBAL_PAT_RETIREMENT: PlatformDeadline = PlatformDeadline {
    rule: Rule::GlobalPatRetirement,
    effective: "2026-12-01T00:00:00Z",
    what: "Azure DevOps global PATs (\"All accessible organizations\") stop working",
    source: "Azure DevOps blog, \"Retirement of Global Personal Access Tokens in Azure DevOps\"; learn.microsoft.com, \"Manage personal access tokens using policies\"",
};

/// Where `now` stands relative to a deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeadlineStatus {
    /// Whole days left (rounded up, so "1 day" until the last instant).
    Ahead {
        days_left: i64,
    },
    Passed,
}

impl PlatformDeadline {
    pub fn effective_at(&self) -> Timestamp {
        self.effective
            .parse()
            .expect("platform deadlines are valid RFC 3339 timestamps")
    }

    pub fn date(&self) -> &'static str {
        &self.effective[..10]
    }

    pub fn status(&self, now: Timestamp) -> DeadlineStatus {
        let left = self.effective_at().duration_since(now);
        if left.is_positive() {
            let secs = left.as_secs();
            DeadlineStatus::Ahead {
                days_left: (secs + 86_399) / 86_400,
            }
        } else {
            DeadlineStatus::Passed
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_days_to_the_azure_retirement() {
        let d = &AZURE_GLOBAL_PAT_RETIREMENT;
        let at = |s: &str| s.parse::<Timestamp>().unwrap();
        assert_eq!(
            d.status(at("2026-11-24T00:00:00Z")),
            DeadlineStatus::Ahead { days_left: 7 }
        );
        assert_eq!(
            d.status(at("2026-11-30T23:59:59Z")),
            DeadlineStatus::Ahead { days_left: 1 }
        );
        assert_eq!(d.status(at("2026-12-01T00:00:00Z")), DeadlineStatus::Passed);
        assert_eq!(d.date(), "2026-12-01");
    }
}
