//! Every rule patlint can report: its stable id, what it means, why it matters and how to
//! fix it on each host. `patlint explain RULE` prints these; reports take ids and
//! summaries from here.

use serde::Serialize;

use crate::host_kind::HostKind;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Rule {
    TokenInvalid,
    TokenExpired,
    ExpiresSoon,
    LifespanExceeded,
    NoExpiry,
    MissingScope,
    ForbiddenScope,
    ExcessScope,
    OrgReach,
    MissingAction,
    KeyInactive,
    StaleToken,
    Unverifiable,
    HostError,
    SecretUnavailable,
    SsoAuthorizationRequired,
    GlobalPatRetirement,
    FactsMissing,
    KeyRotationOverlap,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Note,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Note => "note",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

pub struct RuleMeta {
    pub rule: Rule,
    pub id: &'static str,
    pub summary: &'static str,
    pub default_severity: Severity,
    pub why: &'static str,
    /// How to fix it; hosts without their own entry use the `None` entry.
    pub fix: &'static [(Option<HostKind>, &'static str)],
}

impl Rule {
    pub fn meta(self) -> &'static RuleMeta {
        &RULES[self as usize]
    }

    pub fn id(self) -> &'static str {
        self.meta().id
    }

    pub fn all() -> impl Iterator<Item = Rule> {
        RULES.iter().map(|m| m.rule)
    }

    pub fn from_id(id: &str) -> Option<Rule> {
        RULES.iter().find(|m| m.id == id).map(|m| m.rule)
    }

    /// The fix text for one host, falling back to the generic one.
    pub fn fix_for(self, host: HostKind) -> Option<&'static str> {
        let fixes = self.meta().fix;
        fixes
            .iter()
            .find(|(h, _)| *h == Some(host))
            .or_else(|| fixes.iter().find(|(h, _)| h.is_none()))
            .map(|(_, text)| *text)
    }
}

const GITHUB_NEW_TOKEN: &str = "GitHub: Settings > Developer settings > Personal access tokens > Generate new token; give it a Note (e.g. git-integration-for-jira), an Expiration within the policy, and tick the scopes the policy requires (ticking `repo` selects everything under it). Copy the token and update the secret the policy names.";
const GITLAB_NEW_TOKEN: &str = "GitLab: Preferences > Access Tokens > Add new token; give it a name, an expiration date within the policy and the scopes the policy requires (e.g. `api`), then update the secret the policy names.";
const AZURE_NEW_TOKEN: &str = "Azure DevOps: User settings > Personal access tokens > New Token; pick the organization, an expiration within the policy, Scopes: Custom defined with the scopes the policy requires (e.g. Code: Read & write), then update the secret the policy names.";
const SERVER_NEW_TOKEN: &str = "Azure DevOps Server / TFS: user menu > Security > Personal access tokens > Add; set the lifespan within the policy and Selected scopes (e.g. Code: read and write), then update the secret the policy names.";
const AWS_NEW_KEY: &str = "AWS: IAM > Users > (the integration's user) > Security credentials > Create access key; update the secrets the policy names, then deactivate and delete the old key.";

const NEW_TOKEN: &[(Option<HostKind>, &str)] = &[
    (Some(HostKind::Github), GITHUB_NEW_TOKEN),
    (Some(HostKind::Gitlab), GITLAB_NEW_TOKEN),
    (Some(HostKind::AzureDevops), AZURE_NEW_TOKEN),
    (Some(HostKind::AzureDevopsServer), SERVER_NEW_TOKEN),
    (Some(HostKind::AwsIam), AWS_NEW_KEY),
];

pub static RULES: [RuleMeta; 19] = [
    RuleMeta {
        rule: Rule::TokenInvalid,
        id: "token-invalid",
        summary: "The host rejected the token: it is unknown, revoked or malformed.",
        default_severity: Severity::Error,
        why: "An integration whose token is rejected is already broken; nothing else about the token matters until it is replaced.",
        fix: NEW_TOKEN,
    },
    RuleMeta {
        rule: Rule::TokenExpired,
        id: "token-expired",
        summary: "The token has expired.",
        default_severity: Severity::Error,
        why: "An expired token fails every request the integration makes.",
        fix: NEW_TOKEN,
    },
    RuleMeta {
        rule: Rule::ExpiresSoon,
        id: "expires-soon",
        summary: "The token expires within the policy's `expiry_warning` window.",
        default_severity: Severity::Warning,
        why: "Rotating before expiry avoids an outage; the warning window is the time you give yourself to do it.",
        fix: &[
            (
                Some(HostKind::Github),
                "GitHub: open the token under Settings > Developer settings > Personal access tokens and use Regenerate token, choosing a new expiration within `max_lifespan`; update the secret the policy names.",
            ),
            (
                Some(HostKind::Gitlab),
                "GitLab: rotate the token (Access Tokens > Rotate, or POST /personal_access_tokens/self/rotate) and update the secret the policy names.",
            ),
            (
                Some(HostKind::AzureDevops),
                "Azure DevOps: User settings > Personal access tokens > select the token > Regenerate (or Edit its expiration), then update the secret the policy names.",
            ),
            (
                None,
                "Create a replacement before the old one expires and update the secret the policy names.",
            ),
        ],
    },
    RuleMeta {
        rule: Rule::LifespanExceeded,
        id: "lifespan-exceeded",
        summary: "The token lives (or, for a key, has lived) longer than `max_lifespan` allows.",
        default_severity: Severity::Error,
        why: "Long-lived credentials are the ones that leak and get forgotten; a short lifespan bounds the damage of a leak.",
        fix: &[
            (
                Some(HostKind::Github),
                "GitHub: regenerate the token with an Expiration no further than `max_lifespan` from today (custom date if needed) and update the secret the policy names.",
            ),
            (
                Some(HostKind::Gitlab),
                "GitLab: create or rotate the token with an expiration date no further than `max_lifespan` from its creation, and update the secret the policy names.",
            ),
            (
                Some(HostKind::AzureDevops),
                "Azure DevOps: create a token whose Expiration (custom defined) is within `max_lifespan`, then revoke the old one.",
            ),
            (
                Some(HostKind::AwsIam),
                "AWS: rotate the key: create a second access key, switch the integration to it, then deactivate and delete the old key.",
            ),
            (
                None,
                "Replace the token with one whose lifetime is within `max_lifespan`.",
            ),
        ],
    },
    RuleMeta {
        rule: Rule::NoExpiry,
        id: "no-expiry",
        summary: "The token never expires, but the policy sets a `max_lifespan`.",
        default_severity: Severity::Error,
        why: "A token without expiry lives until someone remembers to revoke it; the policy asks for a bounded lifetime.",
        fix: &[
            (
                Some(HostKind::Github),
                "GitHub: regenerate the token with an Expiration (not \"No expiration\") within `max_lifespan`, and update the secret the policy names.",
            ),
            (
                Some(HostKind::Gitlab),
                "GitLab: create a token with an expiration date within `max_lifespan` (non-expiring tokens are legacy or service-account tokens), then revoke the old one.",
            ),
            (
                None,
                "Replace the token with one that has an expiry within `max_lifespan`.",
            ),
        ],
    },
    RuleMeta {
        rule: Rule::MissingScope,
        id: "missing-scope",
        summary: "The token lacks a scope the policy requires (after closing its scopes under the host's implications).",
        default_severity: Severity::Error,
        why: "The integration will fail on the operations that scope allows (for the Jira integration: creating branches and pull requests).",
        fix: &[
            (
                Some(HostKind::Github),
                "GitHub: edit the token under Settings > Developer settings > Personal access tokens (classic) and tick the missing scope; scopes can be added without changing the token value.",
            ),
            (
                Some(HostKind::Gitlab),
                "GitLab: scopes cannot be changed after creation: create a token with the required scopes and update the secret the policy names.",
            ),
            (
                Some(HostKind::AzureDevops),
                "Azure DevOps: edit the token (User settings > Personal access tokens > Edit) and add the scope, e.g. Code: Read & write for `vso.code_write`.",
            ),
            (
                Some(HostKind::AzureDevopsServer),
                "Azure DevOps Server / TFS: edit the token (Security > Personal access tokens) and add the scope under Selected scopes.",
            ),
            (
                None,
                "Give the token the required scope, or replace it with one that has it.",
            ),
        ],
    },
    RuleMeta {
        rule: Rule::ForbiddenScope,
        id: "forbidden-scope",
        summary: "The token has (directly or through an implied scope) a scope the policy forbids.",
        default_severity: Severity::Error,
        why: "Over-scoped tokens turn a leak of an integration's credential into a leak of much more (deleting repositories, administering organizations).",
        fix: &[
            (
                Some(HostKind::Github),
                "GitHub: edit the token and untick the forbidden scope (and any parent scope that includes it).",
            ),
            (
                Some(HostKind::Gitlab),
                "GitLab: scopes cannot be removed: create a token without the forbidden scope, update the secret, revoke the old token.",
            ),
            (
                None,
                "Remove the scope from the token, or replace the token with one that lacks it.",
            ),
        ],
    },
    RuleMeta {
        rule: Rule::ExcessScope,
        id: "excess-scope",
        summary: "The token has a scope that the required scopes do not account for (`allow_extra_scopes = false`).",
        default_severity: Severity::Error,
        why: "Least privilege: every scope beyond what the integration needs is risk with no benefit.",
        fix: &[(
            None,
            "Remove the extra scope from the token (or add it to `require_scopes` if the integration really needs it).",
        )],
    },
    RuleMeta {
        rule: Rule::OrgReach,
        id: "org-reach",
        summary: "The Azure DevOps token's organization reach (\"All accessible organizations\" or one organization) is not what the policy requires.",
        default_severity: Severity::Error,
        why: "A global PAT reaches every organization its user can; an organization-scoped one only its own. Integrations that need several organizations break with the wrong one, and global PATs retire on 2026-12-01.",
        fix: &[
            (
                Some(HostKind::AzureDevops),
                "Azure DevOps: create a token with the Organization field set as the policy requires (prefer one PAT per organization: global PATs stop working on 2026-12-01), then revoke the old one.",
            ),
            (None, "Only Azure DevOps Services has organization reach."),
        ],
    },
    RuleMeta {
        rule: Rule::MissingAction,
        id: "missing-action",
        summary: "The IAM user behind the access key is not allowed an action the policy requires.",
        default_severity: Severity::Error,
        why: "Without e.g. `codecommit:CreateBranch` the integration cannot create branches from Jira issues.",
        fix: &[
            (
                Some(HostKind::AwsIam),
                "AWS: attach a policy to the key's IAM user (or its group) that allows the action on the listed resources, e.g. {\"Effect\":\"Allow\",\"Action\":[\"codecommit:CreateBranch\",\"codecommit:CreatePullRequest\"],\"Resource\":\"arn:aws:codecommit:REGION:ACCOUNT:*\"}; for an explicit deny, remove the denying statement.",
            ),
            (None, "Only AWS IAM has actions."),
        ],
    },
    RuleMeta {
        rule: Rule::KeyInactive,
        id: "key-inactive",
        summary: "The AWS access key is inactive.",
        default_severity: Severity::Error,
        why: "An inactive key is rejected by AWS; the integration using it is broken.",
        fix: &[
            (
                Some(HostKind::AwsIam),
                "AWS: reactivate the key if it was deactivated by mistake (IAM > Users > Security credentials > Actions > Activate), or create a new key and update the secrets.",
            ),
            (None, "Only AWS keys are active or inactive."),
        ],
    },
    RuleMeta {
        rule: Rule::StaleToken,
        id: "stale-token",
        summary: "The token has not been used for longer than `stale_after`.",
        default_severity: Severity::Warning,
        why: "An unused credential is pure risk: either the integration is gone and the token should be revoked, or the integration is silently broken.",
        fix: &[(
            None,
            "Check whether the integration still runs; if not, revoke the token and remove it from the policy.",
        )],
    },
    RuleMeta {
        rule: Rule::Unverifiable,
        id: "unverifiable",
        summary: "The policy asks about a fact the host does not reveal for this token.",
        default_severity: Severity::Error,
        why: "A gate must fail closed: patlint never reports `pass` for what it did not observe. `on_unverifiable` decides whether this fails the gate (`fail`), warns (`warn`) or is only noted (`ignore`).",
        fix: &[
            (
                Some(HostKind::Github),
                "GitHub: fine-grained tokens do not reveal their permissions and no token reveals its creation date; use a classic token if scopes must be verified, or drop the requirement, or set `on_unverifiable = \"warn\"` for this token.",
            ),
            (
                Some(HostKind::Gitlab),
                "GitLab: GET /api/v4/personal_access_tokens/self, which reveals scopes, creation, expiry and last use, needs GitLab 15.5 or later; upgrade the instance, or set `on_unverifiable = \"warn\"` for this token.",
            ),
            (
                Some(HostKind::AwsIam),
                "AWS: grant the key's IAM user the permission the message names (iam:ListAccessKeys, iam:GetAccessKeyLastUsed, iam:SimulatePrincipalPolicy or iam:ListServiceSpecificCredentials, on the user itself), or set `on_unverifiable = \"warn\"` for this token.",
            ),
            (
                Some(HostKind::AzureDevops),
                "Azure DevOps: supply `entra_token` (a Microsoft Entra access token of the PAT's owner) and `display_name` so that patlint can read the PAT's scopes and expiry from the PAT Lifecycle API.",
            ),
            (
                None,
                "Drop the requirement for this host, or set `on_unverifiable = \"warn\"` or \"ignore\" for this token.",
            ),
        ],
    },
    RuleMeta {
        rule: Rule::HostError,
        id: "host-error",
        summary: "The host could not be asked: unreachable, timed out, rate limited past the wait limit, 5xx after retries, or an unparseable answer.",
        default_severity: Severity::Error,
        why: "patlint does not guess: a token it could not check is reported as `error`, and the run exits 3 unless something else was violated.",
        fix: &[(
            None,
            "Check `url` (GitHub Enterprise Server: https://HOST/api/v3), the network path and proxy settings, then run again; `--timeout` and `--max-wait` bound how long patlint waits.",
        )],
    },
    RuleMeta {
        rule: Rule::SecretUnavailable,
        id: "secret-unavailable",
        summary: "The token's secret could not be read from the environment variable or file the policy names.",
        default_severity: Severity::Error,
        why: "Without the secret the token cannot be checked; in CI this usually means the secret is not passed to the job.",
        fix: &[(
            None,
            "Pass the secret to the job (GitHub Actions: `env: NAME: ${{ secrets.NAME }}`; GitLab CI: a masked CI/CD variable; Azure Pipelines: a secret variable mapped with `env:`), or fix the `secret` entry.",
        )],
    },
    RuleMeta {
        rule: Rule::SsoAuthorizationRequired,
        id: "sso-authorization-required",
        summary: "GitHub refused the token for an organization that enforces SAML single sign-on until the token is authorized for it.",
        default_severity: Severity::Error,
        why: "The integration cannot reach that organization's repositories with this token.",
        fix: &[
            (
                Some(HostKind::Github),
                "GitHub: Settings > Developer settings > Personal access tokens > Configure SSO > Authorize next to the organization (or open the URL in the finding).",
            ),
            (None, "Only GitHub has SAML SSO authorization of tokens."),
        ],
    },
    RuleMeta {
        rule: Rule::GlobalPatRetirement,
        id: "global-pat-retirement",
        summary: "Azure DevOps global PATs (\"All accessible organizations\") stop working on 2026-12-01.",
        default_severity: Severity::Warning,
        why: "Microsoft retires every global PAT on 2026-12-01 (Azure DevOps blog: \"Retirement of Global Personal Access Tokens in Azure DevOps\"). An integration relying on one breaks that day.",
        fix: &[
            (
                Some(HostKind::AzureDevops),
                "Azure DevOps: create one PAT per organization the integration needs (Organization: that organization, not \"All accessible organizations\"), or move the integration to Microsoft Entra tokens; then set `all_accessible_organizations = false` in the policy.",
            ),
            (None, "Only Azure DevOps Services has global PATs."),
        ],
    },
    RuleMeta {
        rule: Rule::FactsMissing,
        id: "facts-missing",
        summary: "`check --facts` was given a facts file that has no record for this token.",
        default_severity: Severity::Error,
        why: "A token without observed facts was not checked, so it cannot pass.",
        fix: &[(
            None,
            "Record facts for every token (`patlint facts > facts.json`) with the same policy, or remove the token from the policy.",
        )],
    },
    RuleMeta {
        rule: Rule::KeyRotationOverlap,
        id: "key-rotation-overlap",
        summary: "The IAM user behind the access key has another active access key.",
        default_severity: Severity::Warning,
        why: "Two active keys are normal only during a rotation; a rotation left half done keeps an old credential alive that nobody watches.",
        fix: &[
            (
                Some(HostKind::AwsIam),
                "AWS: finish the rotation: once the integration uses the new key, deactivate and then delete the old one (IAM > Users > Security credentials).",
            ),
            (None, "Only AWS users have several access keys."),
        ],
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_indexed_by_rule() {
        for (i, meta) in RULES.iter().enumerate() {
            assert_eq!(meta.rule as usize, i, "{}", meta.id);
            assert_eq!(Rule::from_id(meta.id), Some(meta.rule));
            let serialized = serde_json::to_value(meta.rule).unwrap();
            assert_eq!(serialized, meta.id);
        }
    }

    #[test]
    fn every_rule_has_a_fix_for_every_host() {
        for rule in Rule::all() {
            for host in HostKind::ALL {
                let fix = rule.fix_for(host);
                let fixable = fix.is_some();
                // Host-specific rules say so for other hosts rather than saying nothing.
                assert!(fixable, "{} has no fix text for {host}", rule.id());
            }
        }
    }
}
