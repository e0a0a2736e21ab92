//! Every rule patlint can report. Each rule's text (id, meaning, why it matters, how to
//! fix it) is declared next to the check that reports it: in `evaluate/` for the rules
//! every host shares, listed here one row a rule; in the host's folder for a host's own
//! rules, listed beside the host registry (`hosts::host_rules!`). Each host adds its own
//! fix texts in its folder.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

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

crate::hosts::host_rules! {
    rules! {
        TokenInvalid => crate::evaluate::verdict::TOKEN_INVALID,
        TokenExpired => crate::evaluate::verdict::TOKEN_EXPIRED,
        ExpiresSoon => crate::evaluate::lifespan::EXPIRES_SOON,
        LifespanExceeded => crate::evaluate::lifespan::LIFESPAN_EXCEEDED,
        NoExpiry => crate::evaluate::lifespan::NO_EXPIRY,
        MissingScope => crate::evaluate::scopes::MISSING_SCOPE,
        ForbiddenScope => crate::evaluate::scopes::FORBIDDEN_SCOPE,
        ExcessScope => crate::evaluate::scopes::EXCESS_SCOPE,
        MissingPermission => crate::evaluate::permissions::MISSING_PERMISSION,
        MissingRepository => crate::evaluate::permissions::MISSING_REPOSITORY,
        StaleToken => crate::evaluate::stale::STALE_TOKEN,
        Unverifiable => crate::evaluate::verdict::UNVERIFIABLE,
        HostError => crate::evaluate::verdict::HOST_ERROR,
        SecretUnavailable => crate::evaluate::verdict::SECRET_UNAVAILABLE,
        FactsMissing => crate::evaluate::verdict::FACTS_MISSING,
        WaiverExpired => crate::evaluate::waivers::WAIVER_EXPIRED,
        WaiverExpiresSoon => crate::evaluate::waivers::WAIVER_EXPIRES_SOON,
        WaiverUnused => crate::evaluate::waivers::WAIVER_UNUSED,
        UndeclaredToken => crate::evaluate::audit::UNDECLARED_TOKEN,
        TokenNotFound => crate::evaluate::audit::TOKEN_NOT_FOUND,
        InventoryIncomplete => crate::evaluate::audit::INVENTORY_INCOMPLETE,
    }
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
        host.fix(self).or(self.meta().fix)
    }

    /// Whether every host can fire this rule (no host lists it among its own).
    pub fn is_shared(self) -> bool {
        !HostKind::ALL
            .iter()
            .any(|host| host.meta().rules.contains(&self))
    }

    /// Whether `host` can fire this rule.
    pub fn fires_on(self, host: HostKind) -> bool {
        self.is_shared() || host.meta().rules.contains(&self)
    }

    /// Every fix text, the hosts' in registry order and then the generic one, without
    /// repeats.
    pub fn fixes(self) -> Vec<&'static str> {
        let mut fixes: Vec<&'static str> = Vec::new();
        let texts = HostKind::ALL
            .iter()
            .filter_map(|host| host.fix(self))
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

/// By id, as a facts file records it (a refusal names the rule it breaks).
impl<'de> Deserialize<'de> for Rule {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let id = String::deserialize(deserializer)?;
        Rule::from_id(&id)
            .ok_or_else(|| serde::de::Error::custom(format!("`{id}` is not a rule patlint knows")))
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
    fn every_rule_has_a_fix_on_every_host_that_fires_it() {
        for rule in Rule::all() {
            for host in HostKind::ALL.iter().filter(|h| rule.fires_on(**h)) {
                assert!(
                    rule.fix_for(*host).is_some(),
                    "{} has no fix text for {host}",
                    rule.id()
                );
            }
        }
    }

    /// A token that could not be checked is fixed where that host is configured: each
    /// host says what to check for itself, not another host's URL shape.
    #[test]
    fn every_host_says_how_to_fix_its_own_host_errors() {
        for host in HostKind::ALL {
            assert!(
                host.fix(Rule::HostError).is_some(),
                "{host} has no host-error fix of its own"
            );
        }
    }

    #[test]
    fn a_host_has_fix_texts_only_for_rules_it_fires() {
        for host in HostKind::ALL {
            for (rule, _) in host.meta().fixes {
                assert!(
                    rule.fires_on(*host),
                    "{host} has a fix text for {}, which it never fires",
                    rule.id()
                );
            }
        }
    }

    #[test]
    fn a_host_rule_has_no_generic_fix_to_fall_back_on() {
        // A rule only some hosts fire has their words for the fix, and nothing for the
        // hosts that never fire it.
        for rule in Rule::all().filter(|r| !r.is_shared()) {
            assert!(rule.meta().fix.is_none(), "{} has a generic fix", rule.id());
        }
    }
}
