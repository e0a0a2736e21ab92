//! GitLab's own requirement key: the least role the token must have on each of its
//! `projects`.

use serde::Deserialize;

use crate::hosts::ValueProblem;
use crate::policy::raw::Text;
use crate::policy::{RequirementKeys, Setting};
use crate::suggest;

/// GitLab's requirement keys as written.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct RawRequirements {
    /// GitLab: the least role the token must have on each of the token's `projects`: guest, reporter, developer, maintainer or owner.
    #[serde(default)]
    #[schemars(with = "AccessLevelName")]
    pub require_access_level: Option<Text>,
}

/// GitLab's roles, for the schema.
#[derive(schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
#[allow(dead_code)]
pub enum AccessLevelName {
    Guest,
    Reporter,
    Developer,
    Maintainer,
    Owner,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Requirements {
    pub require_access_level: Option<Setting<AccessLevel>>,
}

crate::hosts::layered!(Requirements {
    require_access_level
});

/// A GitLab role, as its `access_level` number
/// (docs.gitlab.com/api/members/#roles).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum AccessLevel {
    Guest = 10,
    Reporter = 20,
    Developer = 30,
    Maintainer = 40,
    Owner = 50,
}

impl AccessLevel {
    pub const NAMES: [&'static str; 5] = ["guest", "reporter", "developer", "maintainer", "owner"];
    const ALL: [AccessLevel; 5] = [
        AccessLevel::Guest,
        AccessLevel::Reporter,
        AccessLevel::Developer,
        AccessLevel::Maintainer,
        AccessLevel::Owner,
    ];

    pub fn parse(s: &str) -> Option<Self> {
        let at = AccessLevel::NAMES.iter().position(|n| *n == s)?;
        Some(AccessLevel::ALL[at])
    }

    pub fn as_str(self) -> &'static str {
        let at = AccessLevel::ALL
            .iter()
            .position(|l| *l == self)
            .unwrap_or(0);
        AccessLevel::NAMES[at]
    }

    pub fn number(self) -> u64 {
        self as u64
    }
}

pub fn parse(raw: RawRequirements, keys: &mut RequirementKeys<'_>) -> Requirements {
    let require_access_level =
        raw.require_access_level
            .and_then(|text| match AccessLevel::parse(text.get_ref()) {
                Some(level) => Some(keys.setting(level, text.span())),
                None => {
                    keys.problem(text.span(), not_a_role(text.get_ref()));
                    None
                }
            });
    Requirements {
        require_access_level,
    }
}

fn not_a_role(value: &str) -> ValueProblem {
    let help = match suggest::closest(value, AccessLevel::NAMES) {
        Some(s) => format!("did you mean \"{s}\"?"),
        None => format!("use one of {}", AccessLevel::NAMES.join(", ")),
    };
    ValueProblem {
        message: format!("invalid `require_access_level`: `{value}`"),
        label: "not a GitLab role".into(),
        help,
    }
}
