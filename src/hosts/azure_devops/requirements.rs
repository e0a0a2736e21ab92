//! Azure DevOps Services' own requirement key: the PAT's organization reach.

use serde::Deserialize;
use toml::Spanned;

use crate::policy::{RequirementKeys, Setting};

/// Azure DevOps Services' requirement keys as written.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct RawRequirements {
    /// Azure DevOps Services: whether the PAT must be valid for all accessible organizations (global PATs no longer work since 2026-12-01: one PAT per organization).
    #[serde(default)]
    #[schemars(with = "bool")]
    pub all_accessible_organizations: Option<Spanned<bool>>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Requirements {
    pub all_accessible_organizations: Option<Setting<bool>>,
}

crate::hosts::layered!(Requirements {
    all_accessible_organizations
});

pub fn parse(raw: RawRequirements, keys: &mut RequirementKeys<'_>) -> Requirements {
    Requirements {
        all_accessible_organizations: raw.all_accessible_organizations.map(|b| keys.flag(b)),
    }
}
