//! AWS IAM access keys used for CodeCommit, through the AWS SDK.
//!
//! Calls: `sts:GetCallerIdentity` (validity and the user), then concurrently
//! `iam:ListAccessKeys` (status, age, other active keys), `iam:GetAccessKeyLastUsed`,
//! `iam:SimulatePrincipalPolicy` (when the policy requires actions) and
//! `iam:ListServiceSpecificCredentials` (when `service_credentials = true`); see the IAM
//! API reference, <https://docs.aws.amazon.com/IAM/latest/APIReference/>.

mod clients;
mod errors;
pub mod facts;
mod inventory;
pub(crate) mod judge;
mod new_token;
mod observe;
pub mod requirements;

use serde::Deserialize;
use toml::Spanned;

use super::{Call, Declared, Host, HostMeta, HttpSettings, Listing, ListingResult, ValueProblem};
use jiff::Timestamp;

use crate::evaluate::Finding;
use crate::facts::{Observation, TokenFacts};
use crate::policy::raw::{SecretRefAsWritten, Text};
use crate::policy::{RequirementKeys, TokenKeys, TokenSpec};
use crate::rules::Rule;
use crate::secret::SecretSource;

pub use observe::AwsIam;

/// The token keys of an AWS access key, as written.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct RawKeys {
    /// AWS IAM: where the access key id is read from.
    #[serde(default)]
    #[schemars(with = "crate::policy::raw::SecretRefSchema")]
    pub access_key_id: Option<Spanned<SecretRefAsWritten>>,
    /// AWS IAM: the region for STS (default us-east-1; IAM is global).
    #[serde(default)]
    #[schemars(with = "String")]
    pub region: Option<Text>,
    /// AWS IAM: a profile of the shared AWS config. Alone, the key to check is that profile's; beside `access_key_id` and `secret`, it is an auditor credential that reads the key's last use and IAM facts, so the key itself signs only `sts:GetCallerIdentity`.
    #[serde(default)]
    #[schemars(with = "String")]
    pub profile: Option<Text>,
    /// AWS IAM: also check the user's CodeCommit HTTPS Git credentials.
    #[serde(default)]
    #[schemars(with = "bool")]
    pub service_credentials: Option<Spanned<bool>>,
}

/// Whose key to check, and where.
#[derive(Debug, Clone, PartialEq)]
pub struct Endpoint {
    pub key: KeySource,
    pub region: Option<String>,
    pub service_credentials: bool,
}

/// Where the key comes from, and who reads its IAM facts.
#[derive(Debug, Clone, PartialEq)]
pub enum KeySource {
    /// `access_key_id` and `secret`; with `profile`, that profile is the auditor that
    /// asks IAM about the key.
    Policy {
        access_key_id: SecretSource,
        auditor: Option<String>,
    },
    /// `profile` alone: the key is that profile's, and asks IAM about itself.
    Profile(String),
}

impl Host for AwsIam {
    type Endpoint = Endpoint;
    type Facts = facts::Facts;
    type RawRequirements = requirements::RawRequirements;
    type Requirements = requirements::Requirements;

    fn requirements(
        raw: requirements::RawRequirements,
        keys: &mut RequirementKeys<'_>,
    ) -> requirements::Requirements {
        requirements::parse(raw, keys)
    }

    fn check_requirements(own: &requirements::Requirements) -> Result<(), ValueProblem> {
        requirements::check(own)
    }
    type RawKeys = RawKeys;

    const META: HostMeta = HostMeta {
        name: "aws-iam",
        product: "AWS IAM (CodeCommit)",
        http: false,
        requirement_keys: &[],
        scopes: None,
        probes: &[],
        // <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-unique-ids>
        secret_prefixes: &["AKIA", "ASIA"],
        rules: &[
            Rule::MissingAction,
            Rule::KeyInactive,
            Rule::KeyRotationOverlap,
        ],
        fixes: FIXES,
        token_requires: &[&["access_key_id", "secret"], &["profile"]],
        inventory_requires: &[&["access_key_id", "secret"], &["profile"]],
        lifespan_by_age: true,
        starter: STARTER,
        inventory: Some(inventory::DOCS),
    };

    fn endpoint(raw: RawKeys, keys: &mut TokenKeys<'_>) -> Option<Endpoint> {
        if let Some(profile) = &raw.profile
            && !keys.has_secret()
        {
            keys.secret_from(
                SecretSource::Profile(profile.get_ref().clone()),
                profile.span(),
            );
        }
        let profile = raw.profile.as_ref().map(|p| p.get_ref().clone());
        let key = match (&raw.access_key_id, profile) {
            (Some(value), auditor) => KeySource::Policy {
                access_key_id: keys.secret_ref("access_key_id", value)?,
                auditor,
            },
            (None, Some(profile)) => KeySource::Profile(profile),
            (None, None) => {
                keys.missing(
                    "access_key_id",
                    "add `access_key_id = { env = \"NAME\" }` (or `profile = \"NAME\"` to use the shared AWS config)",
                );
                return None;
            }
        };
        Some(Endpoint {
            key,
            region: raw.region.as_ref().map(|r| r.get_ref().clone()),
            service_credentials: raw
                .service_credentials
                .as_ref()
                .is_some_and(|b| *b.get_ref()),
        })
    }

    fn new_token_link(
        _token: &crate::policy::TokenSpec,
        _endpoint: &Self::Endpoint,
        facts: Option<&crate::facts::TokenFacts>,
    ) -> Option<reqwest::Url> {
        new_token::link(facts)
    }

    fn new(settings: &HttpSettings) -> Self {
        AwsIam::new(settings.clone())
    }

    fn judge(
        token: &TokenSpec,
        endpoint: &Endpoint,
        facts: &TokenFacts,
        now: Timestamp,
    ) -> Vec<Finding> {
        judge::check(token, endpoint, facts, now)
    }

    /// A declared key of another account than the listing's is not on it; one whose
    /// account is unknown may be.
    fn same_instance(_: &Endpoint, declared: Declared<'_, Self>, listing: &Listing) -> bool {
        match &listing.account {
            Some(account) => declared
                .facts
                .and_then(|f| f.identity.as_deref())
                .and_then(account_of)
                .is_none_or(|declared| declared == account),
            None => true,
        }
    }

    /// A listing of a known account holds every key of its users.
    fn expected(_scope: &(), _declared: &Endpoint, listing: &Listing) -> bool {
        listing.account.is_some()
    }

    fn decisive(token: &TokenSpec, facts: &TokenFacts) -> Option<Finding> {
        judge::inactive(token, facts)
    }

    async fn observe(&self, call: &Call<'_>, endpoint: &Endpoint) -> Observation {
        self.observe_key(call, endpoint).await
    }

    type InventoryKeys = crate::hosts::NoInventoryKeys;
    /// An account's users, read with the inventory's `profile`.
    type Scope = ();

    fn scope(_raw: crate::hosts::NoInventoryKeys, _keys: &mut TokenKeys<'_>) -> Option<()> {
        Some(())
    }

    async fn list(&self, call: &Call<'_>, endpoint: &Endpoint, _scope: &()) -> ListingResult {
        self.list_account(call, endpoint).await
    }
}

/// The account of an ARN: `arn:aws:iam::ACCOUNT:user/NAME`.
fn account_of(arn: &str) -> Option<&str> {
    arn.split(':').nth(4).filter(|a| !a.is_empty())
}

/// The `init` starter: the resources `require_actions` needs (validation refuses it
/// without them).
const STARTER: &str = r#"[[token]]
name          = "jira-codecommit"
host          = "aws-iam"
access_key_id = { env = "JIRA_AWS_ACCESS_KEY_ID" }
secret        = { env = "JIRA_AWS_SECRET_ACCESS_KEY" }
# The repositories the integration uses, as ARNs. Without them patlint can vouch for the
# token but not for the integration: IAM is asked whether the key's user may do what the
# policy requires (`require_actions`, set by the presets) on exactly these, as asked about
# `*` instead, a policy limited to them would read as a denial.
resources     = ["arn:aws:codecommit:us-east-1:123456789012:app"]
"#;

/// How to make a new token, for findings that need one.
const NEW_TOKEN: &str = "AWS: IAM > Users > (the integration's user) > Security credentials > Create access key; update the secrets the policy names, then deactivate and delete the old key.";

/// This host's own words for fixing a finding: one row a rule it fires.
const FIXES: &[(Rule, &str)] = &[
    (
        Rule::HostError,
        "AWS: check the key's `region` (or the `profile`'s), the network path to STS and IAM and the proxy settings, then run again; `--timeout` and `--max-wait` bound how long patlint waits.",
    ),
    (Rule::TokenInvalid, NEW_TOKEN),
    (Rule::TokenExpired, NEW_TOKEN),
    (
        Rule::LifespanExceeded,
        "AWS: rotate the key: create a second access key, switch the integration to it, then deactivate and delete the old key.",
    ),
    (
        Rule::MissingAction,
        "AWS: attach a policy to the key's IAM user (or its group) that allows the action on the listed resources, e.g. {\"Effect\":\"Allow\",\"Action\":[\"codecommit:CreateBranch\",\"codecommit:CreatePullRequest\"],\"Resource\":\"arn:aws:codecommit:REGION:ACCOUNT:*\"}; for an explicit deny, remove the denying statement.",
    ),
    (
        Rule::KeyInactive,
        "AWS: reactivate the key if it was deactivated by mistake (IAM > Users > Security credentials > Actions > Activate), or create a new key and update the secrets.",
    ),
    (
        Rule::Unverifiable,
        "AWS: when the message names an IAM permission (iam:ListAccessKeys, iam:GetAccessKeyLastUsed, iam:SimulatePrincipalPolicy or iam:ListServiceSpecificCredentials), grant it to the key's IAM user, on the user itself, or to the auditor `profile`'s identity; when the key's last recorded use is patlint's own signing, add an auditor `profile` (read-only IAM credentials of another identity, which read the last use before the key signs anything) and let the integration use the key again; or drop the requirement, or set `on_unverifiable = \"warn\"` for this token.",
    ),
    (
        Rule::KeyRotationOverlap,
        "AWS: finish the rotation: once the integration uses the new key, deactivate and then delete the old one (IAM > Users > Security credentials).",
    ),
];
