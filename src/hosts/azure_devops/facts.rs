//! What only Azure DevOps Services reveals about a PAT: its organization reach.

use serde::{Deserialize, Serialize};

use crate::facts::{Named, NamedMut, Observed, TokenFacts};
use crate::hosts::{HostSpecificFacts, OwnFacts};

#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct Facts {
    /// Whether the PAT is valid for all accessible organizations (a global PAT).
    #[serde(default, skip_serializing_if = "Observed::is_unobservable")]
    pub all_accessible_organizations: Observed<bool>,
}

/// The fact's name in records and messages.
pub const REACH: &str = "all_accessible_organizations";
/// "cannot verify its organization reach".
pub const REACH_DESCRIBED: &str = "its organization reach";

impl HostSpecificFacts for Facts {
    const NAMES: &'static [&'static str] = &[REACH];

    fn named(&self) -> Named<'_> {
        vec![(REACH, &self.all_accessible_organizations)]
    }

    fn named_mut(&mut self) -> NamedMut<'_> {
        vec![(REACH, &mut self.all_accessible_organizations)]
    }

    fn reported(&self) -> Vec<(&'static str, serde_json::Value)> {
        self.all_accessible_organizations
            .value()
            .map(|global| (REACH, serde_json::Value::Bool(*global)))
            .into_iter()
            .collect()
    }
}

/// A PAT's facts, empty when the record holds none.
pub fn of(facts: &TokenFacts) -> &Facts {
    static NONE: Facts = Facts {
        all_accessible_organizations: Observed::Unobservable { why: None },
    };
    super::Services::facts(facts).unwrap_or(&NONE)
}

/// A PAT's facts, to record them.
pub fn of_mut(facts: &mut TokenFacts) -> &mut Facts {
    super::Services::facts_mut(facts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn facts_a_host_could_not_read_at_all_still_say_why() {
        let json = serde_json::json!({
            "kind": "personal-access-token",
            "unobservable": {"all_accessible_organizations": "the probe answered 500"}
        });
        let facts: TokenFacts = serde_json::from_value(json).unwrap();
        let reach = &of(&facts).all_accessible_organizations;
        assert!(reach.is_unobservable());
        assert_eq!(reach.why_unobservable(), "the probe answered 500");
    }
}
