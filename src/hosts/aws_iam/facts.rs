//! What only AWS IAM reveals about an access key: whether it is active, what its user may
//! do, its user's other keys and CodeCommit Git credentials.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::facts::{Named, NamedMut, Observed, TokenFacts};
use crate::hosts::{HostSpecificFacts, OwnFacts};

#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct Facts {
    /// Whether the access key is active.
    #[serde(default, skip_serializing_if = "Observed::is_unobservable")]
    pub active: Observed<bool>,
    /// The policy simulation of the required actions on the required resources.
    #[serde(default, skip_serializing_if = "Observed::is_unobservable")]
    pub actions: Observed<Vec<ActionDecision>>,
    /// How many other active access keys the key's user has (rotation overlap).
    #[serde(default, skip_serializing_if = "Observed::is_unobservable")]
    pub other_active_keys: Observed<u32>,
    /// The user's CodeCommit HTTPS Git credentials.
    #[serde(default, skip_serializing_if = "Observed::is_unobservable")]
    pub service_credentials: Observed<Vec<ServiceCredential>>,
}

impl Facts {
    /// The same reason for every fact: none could be read.
    pub fn unobservable_all(&mut self, why: &str) {
        for (_, fact) in self.named_mut() {
            fact.set_why(why.to_owned());
        }
    }
}

/// Each fact, as messages name it.
pub const ACTIVE: &str = "whether it is active";
pub const ALLOWED_ACTIONS: &str = "which actions it may perform";
pub const OTHER_ACTIVE_KEYS: &str = "its user's other keys";
pub const SERVICE_CREDENTIALS: &str = "its user's CodeCommit Git credentials";

impl HostSpecificFacts for Facts {
    const NAMES: &'static [&'static str] = &[
        "active",
        "actions",
        "allowed_actions",
        "other_active_keys",
        "service_credentials",
    ];

    fn named(&self) -> Named<'_> {
        vec![
            ("active", &self.active),
            ("allowed_actions", &self.actions),
            ("other_active_keys", &self.other_active_keys),
            ("service_credentials", &self.service_credentials),
        ]
    }

    fn named_mut(&mut self) -> NamedMut<'_> {
        vec![
            ("active", &mut self.active),
            ("allowed_actions", &mut self.actions),
            ("other_active_keys", &mut self.other_active_keys),
            ("service_credentials", &mut self.service_credentials),
        ]
    }
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

/// An access key's facts, empty when the record holds none.
pub fn of(facts: &TokenFacts) -> &Facts {
    static NONE: Facts = Facts {
        active: Observed::Unobservable { why: None },
        actions: Observed::Unobservable { why: None },
        other_active_keys: Observed::Unobservable { why: None },
        service_credentials: Observed::Unobservable { why: None },
    };
    super::AwsIam::facts(facts).unwrap_or(&NONE)
}

/// An access key's facts, to record them.
pub fn of_mut(facts: &mut TokenFacts) -> &mut Facts {
    super::AwsIam::facts_mut(facts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::TokenKind;

    #[test]
    fn a_hosts_facts_come_back_with_their_evidence_and_reasons() {
        let mut facts = TokenFacts::new(TokenKind::AccessKey);
        facts.expires_at = Observed::seen(None, "IAM access keys do not expire");
        of_mut(&mut facts).active = Observed::seen(true, "`Status` in iam:ListAccessKeys");
        of_mut(&mut facts).actions = Observed::unobservable("iam:SimulatePrincipalPolicy denied");
        let json = serde_json::to_value(&facts).unwrap();
        assert_eq!(json["active"], true);
        assert_eq!(
            json["unobservable"]["allowed_actions"],
            "iam:SimulatePrincipalPolicy denied"
        );
        let back: TokenFacts = serde_json::from_value(json).unwrap();
        assert_eq!(back, facts);
    }
}
