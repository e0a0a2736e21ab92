//! AWS IAM's own requirement keys: the actions the key's user must be allowed, and the
//! resources IAM is asked about.

use serde::Deserialize;

use crate::hosts::ValueProblem;
use crate::policy::raw::TextList;
use crate::policy::{RequirementKeys, Setting};

/// AWS IAM's requirement keys as written.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct RawRequirements {
    /// AWS IAM: actions the key's user must be allowed, as `service:Action`.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub require_actions: Option<TextList>,
    /// AWS IAM: the resource ARNs `require_actions` are checked on (required with `require_actions`; `["*"]` asks about every resource).
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub resources: Option<TextList>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Requirements {
    pub require_actions: Option<Vec<Setting<String>>>,
    pub resources: Option<Vec<Setting<String>>>,
}

crate::hosts::layered!(Requirements {
    require_actions,
    resources
});

impl Requirements {
    pub fn required_actions(&self) -> &[Setting<String>] {
        self.require_actions.as_deref().unwrap_or_default()
    }

    pub fn resources(&self) -> &[Setting<String>] {
        self.resources.as_deref().unwrap_or_default()
    }
}

/// Validates one level's keys: each action and resource on its own.
pub fn parse(raw: RawRequirements, keys: &mut RequirementKeys<'_>) -> Requirements {
    let mut checked = |list: TextList, check: fn(&str) -> Result<(), ValueProblem>| {
        for value in list.get_ref() {
            if let Err(problem) = check(value.get_ref()) {
                keys.problem(value.span(), problem);
            }
        }
        keys.settings(list)
    };
    Requirements {
        require_actions: raw.require_actions.map(|l| checked(l, action)),
        resources: raw.resources.map(|l| checked(l, resource)),
    }
}

/// `require_actions` are `service:Action`
/// (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html>).
fn action(value: &str) -> Result<(), ValueProblem> {
    if is_iam_action(value) {
        return Ok(());
    }
    Err(ValueProblem {
        message: format!("`{value}` is not an IAM action"),
        label: "expected service:Action".into(),
        help: "write actions as `service:Action`, e.g. \"codecommit:CreateBranch\"".into(),
    })
}

/// `resources` are ARNs or `*`.
fn resource(value: &str) -> Result<(), ValueProblem> {
    if value == "*" || value.starts_with("arn:") {
        return Ok(());
    }
    Err(ValueProblem {
        message: format!("`{value}` is not an ARN"),
        label: "expected an ARN or \"*\"".into(),
        help: "CodeCommit repositories are `arn:aws:codecommit:REGION:ACCOUNT:REPOSITORY` (the name may be `*`)".into(),
    })
}

/// `require_actions` is simulated on `resources`: on `*` alone, a policy that allows one
/// repository reads as `implicitDeny`, and a deny on one repository beside an allow on
/// `*` reads as allowed (`SimulatePrincipalPolicy` evaluates each resource ARN given,
/// <https://docs.aws.amazon.com/IAM/latest/APIReference/API_SimulatePrincipalPolicy.html>).
/// So the repositories the integration uses must be named.
pub fn check(requirements: &Requirements) -> Result<(), ValueProblem> {
    if requirements.required_actions().is_empty() || !requirements.resources().is_empty() {
        return Ok(());
    }
    Err(ValueProblem {
        message: "`require_actions` is set but `resources` is not: IAM would be asked about `*`, where a policy limited to the integration's repositories reads as denied and a deny on one of them reads as allowed".into(),
        label: "requires actions on no named resource".into(),
        help: "add `resources = [\"arn:aws:codecommit:REGION:ACCOUNT:REPOSITORY\"]` with the repositories the integration uses (the name may be `*`; `[\"*\"]` asks about every resource on purpose)".into(),
    })
}

fn is_iam_action(action: &str) -> bool {
    let Some((service, name)) = action.split_once(':') else {
        return false;
    };
    !service.is_empty()
        && service
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '*' || c == '?')
}
