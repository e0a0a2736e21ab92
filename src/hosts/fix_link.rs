//! The page where a finding's fix, a new token, is made: each host builds it in its folder
//! ([`super::Host::new_token_link`]), prefilled where the host documents how; this file
//! holds what they share.

use jiff::SignedDuration;
use reqwest::Url;

use super::scope_catalog::ScopeCatalog;
use crate::policy::TokenSpec;
use crate::rules::Rule;

/// The rules whose fix is a new token: their findings carry the link.
pub const NEW_TOKEN_RULES: &[Rule] = &[
    Rule::TokenExpired,
    Rule::ExpiresSoon,
    Rule::LifespanExceeded,
    Rule::NoExpiry,
    Rule::MissingScope,
    Rule::MissingPermission,
    Rule::ForbiddenScope,
    Rule::TokenInvalid,
    Rule::GlobalPatRetirement,
    Rule::AppPasswordRetired,
];

/// `base` with the query pairs appended, each percent-encoded.
pub fn with_query<'a>(mut base: Url, pairs: impl IntoIterator<Item = (&'a str, String)>) -> Url {
    let pairs: Vec<_> = pairs.into_iter().collect();
    if !pairs.is_empty() {
        let mut query = base.query_pairs_mut();
        for (key, value) in &pairs {
            query.append_pair(key, value);
        }
    }
    base
}

/// `base` with a path relative to it (the base's own path kept, as for a context path or
/// a collection).
pub fn join(base: &Url, path: &str) -> Option<Url> {
    let mut base = base.clone();
    base.set_query(None);
    base.set_fragment(None);
    if !base.path().ends_with('/') {
        let with_slash = format!("{}/", base.path());
        base.set_path(&with_slash);
    }
    base.join(path).ok()
}

/// The fewest scopes that grant every scope the policy requires: a required scope another
/// required scope already grants is left out, and so is one that may grant a forbidden
/// scope. In the catalog's order.
pub fn minimal_scopes(token: &TokenSpec, catalog: &ScopeCatalog) -> Vec<String> {
    let required: Vec<&str> = token
        .requirements
        .require_scopes
        .iter()
        .flatten()
        .map(|s| s.value.as_str())
        .collect();
    let forbidden: Vec<&str> = token
        .requirements
        .forbid_scopes
        .iter()
        .flatten()
        .map(|s| s.value.as_str())
        .collect();
    let mut chosen: Vec<String> = Vec::new();
    for (i, scope) in required.iter().enumerate() {
        let granted_by_another = required.iter().enumerate().any(|(j, other)| {
            // Of two scopes that grant each other, the first one written stays.
            i != j
                && catalog.closure([*other]).contains(*scope)
                && (!catalog.closure([*scope]).contains(*other) || j < i)
        });
        let grants_forbidden = catalog
            .broad_closure([*scope])
            .iter()
            .any(|s| forbidden.contains(&s.as_str()));
        if !granted_by_another && !grants_forbidden && !chosen.iter().any(|c| c == scope) {
            chosen.push((*scope).to_owned());
        }
    }
    chosen
}

/// Whole days of the policy's `max_lifespan` (at least one), for an expiry field in days.
pub fn lifespan_days(token: &TokenSpec) -> Option<i64> {
    let lifespan: SignedDuration = token.requirements.max_lifespan.as_ref()?.value;
    Some((lifespan.as_secs() / 86_400).max(1))
}
