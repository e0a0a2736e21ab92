//! What only GitHub reveals about a token: whether each repository a probe read is public.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::facts::{Named, NamedMut, TokenFacts};
use crate::hosts::{HostSpecificFacts, OwnFacts};

#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct Facts {
    /// Whether each probed repository is public: a read on a public one proves nothing.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub visibility: BTreeMap<String, Visibility>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Visibility {
    Public,
    /// Private, or internal to an enterprise.
    Private,
}

impl HostSpecificFacts for Facts {
    const NAMES: &'static [&'static str] = &["visibility"];

    fn named(&self) -> Named<'_> {
        Vec::new()
    }

    fn named_mut(&mut self) -> NamedMut<'_> {
        Vec::new()
    }
}

/// A token's GitHub facts, empty when the record holds none.
pub fn of(facts: &TokenFacts) -> &Facts {
    static NONE: Facts = Facts {
        visibility: BTreeMap::new(),
    };
    super::GitHub::facts(facts).unwrap_or(&NONE)
}

/// A token's GitHub facts, to record them.
pub fn of_mut(facts: &mut TokenFacts) -> &mut Facts {
    super::GitHub::facts_mut(facts)
}
