//! Which declared token each listed token is, found through indexes built once per
//! listing: the fingerprints the declared tokens' checks saw, and the listing's ids and
//! names (for the ids and names the policy gives), so that no listed token is compared
//! with every declared one and no declared token looks through the whole listing.

use std::collections::HashMap;

use super::DeclaredInAudit;
use crate::hosts::{Fingerprint, Listed, Listing};
use crate::policy::InventorySpec;

/// Every (listed token, declared token) pair the listing ties, by their positions, in
/// listing order and then policy order.
pub(super) fn owners(
    inventory: &InventorySpec,
    listing: &Listing,
    declared: &[DeclaredInAudit],
) -> Vec<(usize, usize)> {
    let on_instance: Vec<usize> = (0..declared.len())
        .filter(|&at| same_instance(inventory, listing, &declared[at]))
        .collect();
    let mut by_print: HashMap<Fingerprint, Vec<usize>> = HashMap::new();
    for &at in &on_instance {
        for print in declared[at].prints() {
            by_print.entry(*print).or_default().push(at);
        }
    }
    let mut pairs = Vec::new();
    for (at, listed) in listing.tokens.iter().enumerate() {
        let printed = listed.fingerprint.and_then(|print| by_print.get(&print));
        pairs.extend(printed.into_iter().flatten().map(|&owner| (at, owner)));
    }
    for &owner in &on_instance {
        let token = &declared[owner];
        for name in token.spec.endpoint.policy_names() {
            for at in listing.with_id_or_name(&name) {
                if is_named(token, &listing.tokens[at], listing) {
                    pairs.push((at, owner));
                }
            }
        }
    }
    pairs.sort_unstable();
    pairs.dedup();
    pairs
}

/// Whether a declared token is on the host the inventory lists.
pub(super) fn same_instance(
    inventory: &InventorySpec,
    listing: &Listing,
    declared: &DeclaredInAudit,
) -> bool {
    declared
        .spec
        .endpoint
        .same_instance(declared.facts(), &inventory.token.endpoint, listing)
}

/// Whether the id or name the policy gives the declared token names the listed one, on
/// a token of the kind its check saw. A name alone (the owner unknown, or an Azure DevOps
/// display name, which the listing does not tie to the PAT's owner) matches only a name
/// no other listed token has.
fn is_named(declared: &DeclaredInAudit, listed: &Listed, listing: &Listing) -> bool {
    if declared
        .facts()
        .is_some_and(|facts| facts.kind != listed.facts.kind)
    {
        return false;
    }
    declared
        .spec
        .endpoint
        .names(declared.facts(), listed, listing)
}

/// Whether a token the listing holds apart from `listing.tokens` (one awaiting the
/// organization's approval) is the declared one: the fingerprint its check saw, or the
/// id or name the policy gives it.
pub(super) fn is_listed_as(
    inventory: &InventorySpec,
    listing: &Listing,
    declared: &DeclaredInAudit,
    listed: &Listed,
) -> bool {
    same_instance(inventory, listing, declared)
        && (listed
            .fingerprint
            .is_some_and(|print| declared.prints().contains(&print))
            || is_named(declared, listed, listing))
}
