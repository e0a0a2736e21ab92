//! Every rule patlint can report. Each rule's text (id, meaning, why it matters, how to
//! fix it) is declared next to the check that reports it, in `evaluate/`; each host adds
//! its own fix texts in its folder. This file is the one list of them: one row a rule.

use serde::{Serialize, Serializer};

use crate::hosts::HostKind;

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

/// What a rule means, written once, next to its check.
pub struct RuleMeta {
    /// The stable id reports and `patlint explain` use.
    pub id: &'static str,
    pub summary: &'static str,
    pub default_severity: Severity,
    pub why: &'static str,
    /// How to fix it on a host that has no words of its own for it.
    pub fix: Option<&'static str>,
}

macro_rules! rules {
    ($($variant:ident => $meta:path),+ $(,)?) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Rule {
            $($variant,)+
        }

        impl Rule {
            /// Every rule, in the order `patlint explain` lists them.
            pub const ALL: &'static [Rule] = &[$(Rule::$variant),+];

            pub fn meta(self) -> &'static RuleMeta {
                match self {
                    $(Rule::$variant => &$meta,)+
                }
            }
        }
    };
}

rules! {
    TokenInvalid => crate::evaluate::verdict::TOKEN_INVALID,
    TokenExpired => crate::evaluate::verdict::TOKEN_EXPIRED,
    ExpiresSoon => crate::evaluate::lifespan::EXPIRES_SOON,
    LifespanExceeded => crate::evaluate::lifespan::LIFESPAN_EXCEEDED,
    NoExpiry => crate::evaluate::lifespan::NO_EXPIRY,
    MissingScope => crate::evaluate::scopes::MISSING_SCOPE,
    ForbiddenScope => crate::evaluate::scopes::FORBIDDEN_SCOPE,
    ExcessScope => crate::evaluate::scopes::EXCESS_SCOPE,
    OrgReach => crate::evaluate::reach::ORG_REACH,
    MissingPermission => crate::evaluate::permissions::MISSING_PERMISSION,
    MissingRepository => crate::evaluate::permissions::MISSING_REPOSITORY,
    MissingAction => crate::evaluate::access_keys::MISSING_ACTION,
    KeyInactive => crate::evaluate::access_keys::KEY_INACTIVE,
    StaleToken => crate::evaluate::stale::STALE_TOKEN,
    Unverifiable => crate::evaluate::verdict::UNVERIFIABLE,
    HostError => crate::evaluate::verdict::HOST_ERROR,
    SecretUnavailable => crate::evaluate::verdict::SECRET_UNAVAILABLE,
    SsoNotAuthorized => crate::evaluate::verdict::SSO_NOT_AUTHORIZED,
    GlobalPatRetirement => crate::evaluate::reach::GLOBAL_PAT_RETIREMENT,
    FactsMissing => crate::evaluate::verdict::FACTS_MISSING,
    KeyRotationOverlap => crate::evaluate::access_keys::KEY_ROTATION_OVERLAP,
    WaiverExpired => crate::evaluate::waivers::WAIVER_EXPIRED,
    WaiverExpiresSoon => crate::evaluate::waivers::WAIVER_EXPIRES_SOON,
    WaiverUnused => crate::evaluate::waivers::WAIVER_UNUSED,
    UndeclaredToken => crate::evaluate::audit::UNDECLARED_TOKEN,
    TokenNotFound => crate::evaluate::audit::TOKEN_NOT_FOUND,
    InventoryIncomplete => crate::evaluate::audit::INVENTORY_INCOMPLETE,
}

impl Rule {
    /// Whether a `[[waiver]]` may accept this rule's findings. Not a token that could not
    /// be checked, was rejected or expired (that is a broken integration), nor a waiver's
    /// own findings.
    pub fn is_waivable(self) -> bool {
        !matches!(
            self,
            Rule::HostError
                | Rule::SecretUnavailable
                | Rule::FactsMissing
                | Rule::TokenInvalid
                | Rule::TokenExpired
                | Rule::WaiverExpired
                | Rule::WaiverExpiresSoon
                | Rule::WaiverUnused
        )
    }
}

impl Rule {
    pub fn id(self) -> &'static str {
        self.meta().id
    }

    pub fn all() -> impl Iterator<Item = Rule> {
        Rule::ALL.iter().copied()
    }

    pub fn from_id(id: &str) -> Option<Rule> {
        Rule::all().find(|rule| rule.id() == id)
    }

    /// The fix text for one host: the host's own, else the generic one.
    pub fn fix_for(self, host: HostKind) -> Option<&'static str> {
        (host.meta().fix)(self).or(self.meta().fix)
    }

    /// Every fix text, the hosts' in registry order and then the generic one, without
    /// repeats.
    pub fn fixes(self) -> Vec<&'static str> {
        let mut fixes: Vec<&'static str> = Vec::new();
        let texts = HostKind::ALL
            .iter()
            .filter_map(|host| (host.meta().fix)(self))
            .chain(self.meta().fix);
        for text in texts {
            if !fixes.contains(&text) {
                fixes.push(text);
            }
        }
        fixes
    }
}

impl Serialize for Rule {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.id())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_found_again() {
        for rule in Rule::all() {
            assert_eq!(Rule::from_id(rule.id()), Some(rule));
            assert_eq!(serde_json::to_value(rule).unwrap(), rule.id());
        }
    }

    #[test]
    fn every_rule_has_a_fix_for_every_host() {
        for rule in Rule::all() {
            for host in HostKind::ALL {
                // Host-specific rules say so for other hosts rather than saying nothing.
                assert!(
                    rule.fix_for(*host).is_some(),
                    "{} has no fix text for {host}",
                    rule.id()
                );
            }
        }
    }
}
