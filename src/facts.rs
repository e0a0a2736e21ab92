//! What a host revealed about a token. Serializable: `patlint facts` writes it and
//! `patlint check --facts` reads it back, so evaluation can run without a network.

use std::collections::{BTreeMap, BTreeSet};

use jiff::Timestamp;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::hosts::{HostFacts, HostKind};
use crate::rules::Rule;

/// A fact that a host may or may not reveal, with where it came from or why it is
/// missing: one value per fact, nothing to keep in step beside it. In JSON the value is
/// the fact's own key (absent when unobservable; `null` means "observed: none", e.g. a
/// token that never expires), and the evidence and reasons are the record's `evidence`
/// and `unobservable` maps, keyed by the fact's name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Observed<T> {
    /// The host revealed it; `evidence` says where (an endpoint, a header, a probe).
    Value { value: T, evidence: Option<String> },
    /// The host did not reveal it; `why` says why, when it was said.
    Unobservable { why: Option<String> },
    /// The host gave it, and its own answer (or the time of it) contradicts it: not a fact.
    Distrusted { why: String },
}

impl<T> Default for Observed<T> {
    fn default() -> Self {
        Observed::Unobservable { why: None }
    }
}

impl<T> Observed<T> {
    /// A value the host revealed, and where.
    pub fn seen(value: T, evidence: impl Into<String>) -> Self {
        Observed::Value {
            value,
            evidence: Some(evidence.into()),
        }
    }

    /// A value recorded without saying where it came from.
    pub fn bare(value: T) -> Self {
        Observed::Value {
            value,
            evidence: None,
        }
    }

    /// A fact the host does not reveal, and why.
    pub fn unobservable(why: impl Into<String>) -> Self {
        Observed::Unobservable {
            why: Some(why.into()),
        }
    }

    pub fn value(&self) -> Option<&T> {
        match self {
            Observed::Value { value, .. } => Some(value),
            Observed::Unobservable { .. } | Observed::Distrusted { .. } => None,
        }
    }

    pub fn is_unobservable(&self) -> bool {
        self.value().is_none()
    }

    pub fn is_distrusted(&self) -> bool {
        matches!(self, Observed::Distrusted { .. })
    }

    /// Where the value came from.
    pub fn evidence(&self) -> Option<&str> {
        match self {
            Observed::Value { evidence, .. } => evidence.as_deref(),
            _ => None,
        }
    }

    /// Why there is no value.
    pub fn why_unobservable(&self) -> &str {
        match self {
            Observed::Unobservable { why: Some(why) } | Observed::Distrusted { why } => why,
            _ => "the host does not reveal it",
        }
    }

    /// The same state with the value mapped (evidence and reasons kept).
    pub fn map<U>(&self, f: impl FnOnce(&T) -> U) -> Observed<U> {
        match self {
            Observed::Value { value, evidence } => Observed::Value {
                value: f(value),
                evidence: evidence.clone(),
            },
            Observed::Unobservable { why } => Observed::Unobservable { why: why.clone() },
            Observed::Distrusted { why } => Observed::Distrusted { why: why.clone() },
        }
    }

    /// Says where the value came from (nothing if there is no value).
    pub fn set_evidence(&mut self, text: String) {
        if let Observed::Value { evidence, .. } = self {
            *evidence = Some(text);
        }
    }

    /// Says why there is no value (nothing if there is one).
    pub fn set_why(&mut self, text: String) {
        if let Observed::Unobservable { why } = self {
            *why = Some(text);
        }
    }

    /// Forgets a value the host gave, saying what contradicts it.
    pub fn distrust(&mut self, contradiction: &str) {
        let source = self.evidence().unwrap_or("the host").to_owned();
        *self = Observed::Distrusted {
            why: format!("{source} {contradiction}, so it is not trusted"),
        };
    }
}

impl<T: Serialize> Serialize for Observed<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.value() {
            Some(v) => v.serialize(s),
            // Fields holding this are skipped when unobservable; this is only reached
            // when an `Observed` is serialized on its own.
            None => s.serialize_none(),
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Observed<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        T::deserialize(d).map(Observed::bare)
    }
}

/// Where a fact came from, or why it is missing, whatever its type: how a record's
/// `evidence` and `unobservable` maps are written and read back.
pub trait Provenance {
    fn evidence(&self) -> Option<&str>;
    /// Why it is missing, if it is and a reason was given.
    fn why(&self) -> Option<&str>;
    fn set_evidence(&mut self, evidence: String);
    fn set_why(&mut self, why: String);
}

impl<T> Provenance for Observed<T> {
    fn evidence(&self) -> Option<&str> {
        Observed::evidence(self)
    }

    fn why(&self) -> Option<&str> {
        match self {
            Observed::Unobservable { why } => why.as_deref(),
            Observed::Distrusted { why } => Some(why),
            Observed::Value { .. } => None,
        }
    }

    fn set_evidence(&mut self, text: String) {
        Observed::set_evidence(self, text);
    }

    fn set_why(&mut self, text: String) {
        Observed::set_why(self, text);
    }
}

/// The facts of a record, each with its name in the record's maps, in the order they
/// are written.
pub type Named<'a> = Vec<(&'static str, &'a dyn Provenance)>;
pub type NamedMut<'a> = Vec<(&'static str, &'a mut dyn Provenance)>;

/// The facts every host may reveal, for messages ("cannot verify its expiry").
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fact {
    Scopes,
    ExpiresAt,
    CreatedAt,
    LastUsedAt,
    Permissions,
}

impl Fact {
    pub fn describe(self) -> &'static str {
        match self {
            Fact::Scopes => "its scopes",
            Fact::ExpiresAt => "its expiry",
            Fact::CreatedAt => "its creation date",
            Fact::LastUsedAt => "its last use",
            Fact::Permissions => "its permissions",
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
    /// An Atlassian API token (Bitbucket Cloud).
    ApiToken,
    /// A Bitbucket Cloud app password.
    AppPassword,
    /// A token of a repository, project or workspace rather than of a user.
    RepositoryAccessToken,
    ProjectAccessToken,
    WorkspaceAccessToken,
    AccessKey,
    Unknown,
}

impl TokenKind {
    /// "fine-grained personal access token", for messages.
    pub fn describe(self) -> &'static str {
        match self {
            TokenKind::ClassicPat => "classic personal access token",
            TokenKind::FineGrainedPat => "fine-grained personal access token",
            TokenKind::OauthToken
            | TokenKind::GithubAppUserToken
            | TokenKind::GithubAppInstallationToken
            | TokenKind::Unknown => "token",
            TokenKind::PersonalAccessToken => "personal access token",
            TokenKind::ApiToken => "API token",
            TokenKind::AppPassword => "app password",
            TokenKind::RepositoryAccessToken => "repository access token",
            TokenKind::ProjectAccessToken => "project access token",
            TokenKind::WorkspaceAccessToken => "workspace access token",
            TokenKind::AccessKey => "access key",
        }
    }
}

/// What a host revealed about a token it accepted: what every host may reveal, and what
/// only its host does ([`HostFacts`], declared in the host's folder).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self")]
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
    /// What the probes settled: grants the host does not list but answers harmless
    /// requests differently for (a repository permission, an SSO authorization, a scope).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub grants: Vec<Grant>,
    /// What only the token's host reveals.
    #[serde(flatten)]
    pub host: HostFacts,
    /// The host's answer proved that the token worked at the time of observation, so an
    /// expiry more than a few minutes before that time is contradicted, not a fact.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub worked_when_observed: bool,
}

impl TokenFacts {
    pub fn new(kind: TokenKind) -> Self {
        TokenFacts {
            kind,
            identity: None,
            scopes: Observed::default(),
            expires_at: Observed::default(),
            created_at: Observed::default(),
            last_used_at: Observed::default(),
            grants: Vec::new(),
            host: HostFacts::None,
            worked_when_observed: false,
        }
    }

    /// Records the same reason for each of `facts` that the host does not reveal.
    pub fn unobservable_all(&mut self, facts: &[Fact], reason: &str) {
        for fact in facts {
            if let Some(fact) = self.fact_mut(*fact) {
                fact.set_why(reason.to_owned());
            }
        }
    }

    /// The shared fact itself; permissions are not one: probes settle them as grants.
    fn fact(&self, fact: Fact) -> Option<&dyn Provenance> {
        Some(match fact {
            Fact::Scopes => &self.scopes,
            Fact::ExpiresAt => &self.expires_at,
            Fact::CreatedAt => &self.created_at,
            Fact::LastUsedAt => &self.last_used_at,
            Fact::Permissions => return None,
        })
    }

    fn fact_mut(&mut self, fact: Fact) -> Option<&mut dyn Provenance> {
        Some(match fact {
            Fact::Scopes => &mut self.scopes,
            Fact::ExpiresAt => &mut self.expires_at,
            Fact::CreatedAt => &mut self.created_at,
            Fact::LastUsedAt => &mut self.last_used_at,
            Fact::Permissions => return None,
        })
    }

    pub fn evidence_for(&self, fact: Fact) -> Option<&str> {
        self.fact(fact)?.evidence()
    }

    pub fn why_unobservable(&self, fact: Fact) -> &str {
        self.fact(fact)
            .and_then(Provenance::why)
            .unwrap_or("the host does not reveal it")
    }

    /// What a probe settled for `permission` on `target`.
    pub fn grant(&self, target: &str, permission: &str) -> Option<&Grant> {
        self.grants
            .iter()
            .find(|g| g.target == target && g.permission == permission)
    }

    /// Every fact with a name in the record's maps, the shared ones first.
    fn named(&self) -> Named<'_> {
        let mut named: Named<'_> = vec![
            ("scopes", &self.scopes),
            ("expires_at", &self.expires_at),
            ("created_at", &self.created_at),
            ("last_used_at", &self.last_used_at),
        ];
        named.extend(self.host.named());
        named
    }

    fn named_mut(&mut self) -> NamedMut<'_> {
        let mut named: NamedMut<'_> = vec![
            ("scopes", &mut self.scopes),
            ("expires_at", &mut self.expires_at),
            ("created_at", &mut self.created_at),
            ("last_used_at", &mut self.last_used_at),
        ];
        named.extend(self.host.named_mut());
        named
    }
}

/// The record's `evidence` and `unobservable` maps, in the order the facts are named.
struct Notes<'a>(Vec<(&'static str, &'a str)>);

impl Serialize for Notes<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.0.iter().map(|(k, v)| (*k, *v)))
    }
}

impl Serialize for TokenFacts {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Record<'a> {
            #[serde(flatten, serialize_with = "facts_fields")]
            facts: &'a TokenFacts,
            #[serde(skip_serializing_if = "is_empty")]
            evidence: Notes<'a>,
            #[serde(skip_serializing_if = "is_empty")]
            unobservable: Notes<'a>,
        }
        fn facts_fields<S: Serializer>(facts: &&TokenFacts, s: S) -> Result<S::Ok, S::Error> {
            TokenFacts::serialize(facts, s)
        }
        fn is_empty(notes: &Notes<'_>) -> bool {
            notes.0.is_empty()
        }
        let named = self.named();
        let evidence = named
            .iter()
            .filter_map(|(name, fact)| Some((*name, fact.evidence()?)))
            .collect();
        let unobservable = named
            .iter()
            .filter_map(|(name, fact)| Some((*name, fact.why()?)))
            .collect();
        Record {
            facts: self,
            evidence: Notes(evidence),
            unobservable: Notes(unobservable),
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for TokenFacts {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Record {
            #[serde(flatten, deserialize_with = "TokenFacts::deserialize")]
            facts: TokenFacts,
            #[serde(default)]
            evidence: BTreeMap<String, String>,
            #[serde(default)]
            unobservable: BTreeMap<String, String>,
        }
        let Record {
            mut facts,
            mut evidence,
            mut unobservable,
        } = Record::deserialize(d)?;
        // A host's facts that were all unobservable are named only in the maps.
        if facts.host == HostFacts::None {
            let named = evidence.keys().chain(unobservable.keys());
            facts.host = HostFacts::claiming(named.map(String::as_str));
        }
        for (name, fact) in facts.named_mut() {
            if let Some(text) = evidence.remove(name) {
                fact.set_evidence(text);
            }
            if let Some(text) = unobservable.remove(name) {
                fact.set_why(text);
            }
        }
        Ok(facts)
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
    /// An organization's policy refused the token on the target, and the answer is
    /// recognisably the host's own (the grant's evidence quotes it): the token may work
    /// elsewhere, so this is neither a missing grant nor an invalid token.
    Refused {
        /// The rule the refusal breaks, one of the host's own (`lifetime-policy`, …).
        rule: Rule,
        /// What the policy demands, in patlint's words and with what the host said of it
        /// (whose policy, its limit): "the `acme` organization refuses fine-grained
        /// tokens that live longer than 45 days".
        policy: String,
    },
    /// The answer proves nothing either way.
    Unverifiable {
        reason: String,
    },
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
    /// The host answered, in its own words, that an organization's policy refuses the
    /// token before anything about the token could be read (a tenant's conditional
    /// access policy refusing every request): the token may work elsewhere, so it is
    /// neither rejected nor unchecked.
    Refused {
        /// The rule the refusal breaks, one of the host's own (`conditional-access`, …).
        rule: Rule,
        /// What the policy demands, in patlint's words, with what the host said of it.
        policy: String,
        /// Where it was refused: the organization, project or repository the request was
        /// about.
        target: String,
        /// The request and the host's answer: "403 from GET /fabrikam/_apis/connectionData
        /// (VS403463: …)".
        evidence: String,
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

    /// A rejection the host gave no advice for, with `help`; anything else as it is.
    pub fn with_rejection_help(self, help: impl FnOnce() -> String) -> Self {
        match self {
            Observation::Rejected {
                reason,
                detail,
                evidence,
                help: None,
                expires_at,
            } => Observation::Rejected {
                reason,
                detail,
                evidence,
                help: Some(help()),
                expires_at,
            },
            other => other,
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
        assert_eq!(facts.expires_at.value(), Some(&None));
        assert!(facts.created_at.is_unobservable());
        let back = serde_json::to_value(&facts).unwrap();
        assert_eq!(
            back,
            serde_json::json!({"kind":"classic-pat","scopes":["repo"],"expires_at":null})
        );
    }
}
