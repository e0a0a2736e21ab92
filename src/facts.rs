//! What a host revealed about a token. Serializable: `patlint facts` writes it and
//! `patlint check --facts` reads it back, so evaluation can run without a network.

use std::collections::{BTreeMap, BTreeSet};

use jiff::Timestamp;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::hosts::HostKind;

/// A fact that a host may or may not reveal. In JSON an unobservable fact is absent;
/// `null` means "observed: none" (e.g. a token that never expires).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Observed<T> {
    #[default]
    Unobservable,
    Value(T),
}

impl<T> Observed<T> {
    pub fn value(&self) -> Option<&T> {
        match self {
            Observed::Value(v) => Some(v),
            Observed::Unobservable => None,
        }
    }

    pub fn is_unobservable(&self) -> bool {
        matches!(self, Observed::Unobservable)
    }
}

impl<T: Serialize> Serialize for Observed<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Observed::Value(v) => v.serialize(s),
            // Fields holding this are skipped when unobservable; this is only reached
            // when an `Observed` is serialized on its own.
            Observed::Unobservable => s.serialize_none(),
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Observed<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        T::deserialize(d).map(Observed::Value)
    }
}

/// The facts patlint knows how to ask about, used to key evidence and reasons.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fact {
    Scopes,
    ExpiresAt,
    CreatedAt,
    LastUsedAt,
    AllAccessibleOrganizations,
    AllowedActions,
    Active,
    Permissions,
    OtherActiveKeys,
    ServiceCredentials,
}

impl Fact {
    pub fn describe(self) -> &'static str {
        match self {
            Fact::Scopes => "its scopes",
            Fact::ExpiresAt => "its expiry",
            Fact::CreatedAt => "its creation date",
            Fact::LastUsedAt => "its last use",
            Fact::AllAccessibleOrganizations => "its organization reach",
            Fact::AllowedActions => "which actions it may perform",
            Fact::Active => "whether it is active",
            Fact::Permissions => "its permissions",
            Fact::OtherActiveKeys => "its user's other keys",
            Fact::ServiceCredentials => "its user's CodeCommit Git credentials",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TokenKind {
    ClassicPat,
    FineGrainedPat,
    OauthToken,
    GithubAppUserToken,
    GithubAppInstallationToken,
    PersonalAccessToken,
    AccessKey,
    Unknown,
}

/// What a host revealed about a token it accepted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TokenFacts {
    pub kind: TokenKind,
    /// Who the token acts as (GitHub login, GitLab user id, ...), when the host says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<String>,
    #[serde(default, skip_serializing_if = "Observed::is_unobservable")]
    pub scopes: Observed<BTreeSet<String>>,
    #[serde(default, skip_serializing_if = "Observed::is_unobservable")]
    pub expires_at: Observed<Option<Timestamp>>,
    #[serde(default, skip_serializing_if = "Observed::is_unobservable")]
    pub created_at: Observed<Option<Timestamp>>,
    #[serde(default, skip_serializing_if = "Observed::is_unobservable")]
    pub last_used_at: Observed<Option<Timestamp>>,
    #[serde(default, skip_serializing_if = "Observed::is_unobservable")]
    pub all_accessible_organizations: Observed<bool>,
    /// AWS: whether the access key is active.
    #[serde(default, skip_serializing_if = "Observed::is_unobservable")]
    pub active: Observed<bool>,
    /// AWS: the policy simulation of the required actions on the required resources.
    #[serde(default, skip_serializing_if = "Observed::is_unobservable")]
    pub actions: Observed<Vec<ActionDecision>>,
    /// AWS: how many other active access keys the key's user has (rotation overlap).
    #[serde(default, skip_serializing_if = "Observed::is_unobservable")]
    pub other_active_keys: Observed<u32>,
    /// AWS: the user's CodeCommit HTTPS Git credentials.
    #[serde(default, skip_serializing_if = "Observed::is_unobservable")]
    pub service_credentials: Observed<Vec<ServiceCredential>>,
    /// What the probes settled: grants the host does not list but answers harmless
    /// requests differently for (a repository permission, an SSO authorization, a scope).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub grants: Vec<Grant>,
    /// GitHub: whether each probed repository is public (a read on it proves nothing).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub visibility: BTreeMap<String, Visibility>,
    /// Where each observed fact came from (endpoint, header, or "heuristic probe").
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub evidence: BTreeMap<Fact, String>,
    /// Why each fact the host does not reveal is missing.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub unobservable: BTreeMap<Fact, String>,
    /// The host's answer proved that the token worked at the time of observation, so an
    /// expiry more than a few minutes before that time is contradicted, not a fact.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub worked_when_observed: bool,
    /// Facts the host gave that evaluation does not trust (the answer contradicts them):
    /// set while judging, never recorded.
    #[serde(skip)]
    pub distrusted: BTreeSet<Fact>,
}

impl TokenFacts {
    pub fn new(kind: TokenKind) -> Self {
        TokenFacts {
            kind,
            identity: None,
            scopes: Observed::Unobservable,
            expires_at: Observed::Unobservable,
            created_at: Observed::Unobservable,
            last_used_at: Observed::Unobservable,
            all_accessible_organizations: Observed::Unobservable,
            active: Observed::Unobservable,
            actions: Observed::Unobservable,
            other_active_keys: Observed::Unobservable,
            service_credentials: Observed::Unobservable,
            grants: Vec::new(),
            visibility: BTreeMap::new(),
            evidence: BTreeMap::new(),
            unobservable: BTreeMap::new(),
            worked_when_observed: false,
            distrusted: BTreeSet::new(),
        }
    }

    /// Records the same reason for each of `facts` that the host does not reveal.
    pub fn unobservable_all(&mut self, facts: &[Fact], reason: &str) {
        for fact in facts {
            self.unobservable.insert(*fact, reason.to_owned());
        }
    }

    pub fn evidence_for(&self, fact: Fact) -> Option<&str> {
        self.evidence.get(&fact).map(String::as_str)
    }

    /// What a probe settled for `permission` on `target`.
    pub fn grant(&self, target: &str, permission: &str) -> Option<&Grant> {
        self.grants
            .iter()
            .find(|g| g.target == target && g.permission == permission)
    }

    pub fn why_unobservable(&self, fact: Fact) -> &str {
        self.unobservable
            .get(&fact)
            .map_or("the host does not reveal it", String::as_str)
    }
}

/// One grant a probe settled, with the request and answer that settled it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    /// What it is on: `OWNER/REPO`, a GitHub organization, an Azure DevOps organization or
    /// project.
    pub target: String,
    /// What was probed: `repository` (whether the token reaches it at all),
    /// `contents:write` and the like, `sso`, or a scope such as `vso.code_write`.
    pub permission: String,
    #[serde(flatten)]
    pub settled: Settled,
    /// "probe: POST /repos/OWNER/REPO/git/refs → 422".
    pub evidence: String,
}

impl Grant {
    pub fn new(
        target: impl Into<String>,
        permission: impl Into<String>,
        settled: Settled,
        evidence: impl Into<String>,
    ) -> Self {
        Grant {
            target: target.into(),
            permission: permission.into(),
            settled,
            evidence: evidence.into(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Visibility {
    Public,
    /// Private, or internal to an enterprise.
    Private,
}

/// What a probe showed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "settled", rename_all = "kebab-case")]
pub enum Settled {
    Granted,
    /// Not granted; `help` is what the host said to do (an SSO authorization URL).
    Missing {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        help: Option<String>,
    },
    /// The answer proves nothing either way.
    Unverifiable {
        reason: String,
    },
}

/// IAM's answer for one action on one resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionDecision {
    pub action: String,
    pub resource: String,
    pub decision: Decision,
    /// Condition keys the simulation needed and did not have (`aws:SourceIp`,
    /// `aws:MultiFactorAuthPresent`, …): an `allowed` that depends on them is not proof.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing_context: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Decision {
    Allowed,
    ImplicitDeny,
    ExplicitDeny,
}

impl Decision {
    pub fn describe(self) -> &'static str {
        match self {
            Decision::Allowed => "allowed",
            Decision::ImplicitDeny => "implicitly denied (no policy allows it)",
            Decision::ExplicitDeny => "explicitly denied (a policy denies it)",
        }
    }
}

/// A CodeCommit HTTPS Git credential (IAM service-specific credential).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceCredential {
    pub service_user_name: String,
    pub active: bool,
    pub created_at: Timestamp,
}

/// Why a host refused a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Rejection {
    Invalid,
    Expired,
    Revoked,
    SsoRequired,
}

/// Why a token could not be checked at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Failure {
    SecretUnavailable,
    HostError,
}

/// The result of asking a host about one token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "kebab-case")]
pub enum Observation {
    /// The host accepted the token and revealed these facts.
    Observed { facts: Box<TokenFacts> },
    /// The host answered, and refused the token.
    Rejected {
        reason: Rejection,
        detail: String,
        evidence: String,
        /// What the user should do, when the host told us (e.g. an SSO authorization URL).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        help: Option<String>,
        /// The expiry the host gave for a token it calls inactive: evaluation tells an
        /// expired token from a revoked one by comparing it with the time of observation.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        expires_at: Option<Timestamp>,
    },
    /// patlint could not get an answer.
    Unchecked {
        failure: Failure,
        detail: String,
        /// What the user should do, when the host's answer says more than the rule's fix.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        help: Option<String>,
    },
}

impl Observation {
    pub fn facts(&self) -> Option<&TokenFacts> {
        match self {
            Observation::Observed { facts } => Some(facts),
            _ => None,
        }
    }

    pub fn observed(facts: TokenFacts) -> Self {
        Observation::Observed {
            facts: Box::new(facts),
        }
    }

    /// The host refused the token.
    pub fn rejected(
        reason: Rejection,
        detail: impl Into<String>,
        evidence: impl Into<String>,
    ) -> Self {
        Observation::Rejected {
            reason,
            detail: detail.into(),
            evidence: evidence.into(),
            help: None,
            expires_at: None,
        }
    }

    pub fn host_error(detail: impl Into<String>) -> Self {
        Observation::Unchecked {
            failure: Failure::HostError,
            detail: detail.into(),
            help: None,
        }
    }

    /// A host error with the host's own advice.
    pub fn host_error_with_help(detail: impl Into<String>, help: impl Into<String>) -> Self {
        Observation::Unchecked {
            failure: Failure::HostError,
            detail: detail.into(),
            help: Some(help.into()),
        }
    }
}

/// One token's observation, as recorded in a facts file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TokenRecord {
    pub name: String,
    pub host: HostKind,
    #[serde(flatten)]
    pub observation: Observation,
}

/// The file `patlint facts` writes and `patlint check --facts` reads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FactsFile {
    pub schema_version: u32,
    pub observed_at: Timestamp,
    pub tokens: Vec<TokenRecord>,
}

impl FactsFile {
    pub const SCHEMA_VERSION: u32 = 1;

    pub fn find(&self, name: &str) -> Option<&TokenRecord> {
        self.tokens.iter().find(|t| t.name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absent_means_unobservable_and_null_means_none() {
        let facts: TokenFacts =
            serde_json::from_str(r#"{"kind":"classic-pat","scopes":["repo"],"expires_at":null}"#)
                .unwrap();
        assert_eq!(facts.expires_at, Observed::Value(None));
        assert!(facts.created_at.is_unobservable());
        let back = serde_json::to_value(&facts).unwrap();
        assert_eq!(
            back,
            serde_json::json!({"kind":"classic-pat","scopes":["repo"],"expires_at":null})
        );
    }
}
