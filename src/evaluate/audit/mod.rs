//! `patlint audit`: which listed tokens the policy declares, which it does not, and
//! which declared tokens an inventory that should see them does not list. Pure, like
//! the rest of evaluation: the listings and the declared tokens' checks come in; a
//! [`Plan`] of what the listings add to each item of the run, then each item judged
//! ([`AuditResult`]), go out.

mod matching;
mod result;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use super::Finding;
use crate::facts::{Failure, Observation, TokenFacts};
use crate::hosts::{AuditFacts, DeclaredCheck, Fingerprint, Listed, Listing};
use crate::policy::{Escalation, InventorySpec, Policy, Requirements, TokenSpec};
use crate::rules::{Rule, RuleMeta, Severity};
use serde::Serialize;

pub use result::{
    AuditResult, InventoryAudit, InventoryVerdict, UndeclaredToken, UndeclaredVerdict, judge_audit,
};

pub const UNDECLARED_TOKEN: RuleMeta = RuleMeta {
    id: "undeclared-token",
    summary: "An inventory lists a token that no [[token]] declares.",
    default_severity: Severity::Warning,
    why: "The tokens that hurt are the ones nobody wrote down: the PAT a departed admin made for the integration, the second access key, the fine-grained token granted to the organization last year. Nobody rotates them, nobody notices when they leak, and nobody knows what breaks when they are revoked. `patlint audit` lists every token an `[[inventory]]` can see, judges the undeclared ones against `[defaults]` and `[hosts.<host>]`, and reports each; `undeclared = \"fail\" | \"warn\" | \"ignore\"` in either section sets what they do to the gate (default warn).",
    fix: Some(
        "Find who uses the token (its owner and last use are in the finding). If an integration does, declare it with a [[token]] (the finding says which key ties it to the listing); if nobody does, revoke it. To accept it for a while, waive `undeclared-token` for the token name the report gives (INVENTORY.ID), with a reason and a date.",
    ),
};

pub const TOKEN_NOT_FOUND: RuleMeta = RuleMeta {
    id: "token-not-found",
    summary: "A declared token is not in the inventory that should list it.",
    default_severity: Severity::Error,
    why: "An inventory that lists every token of its kind, and not the declared one, means the token does not reach what the inventory covers (a fine-grained token whose access the organization never granted or revoked, a key of another account), or that patlint cannot tell which listed token it is. Either way, what the policy says about the integration is not what the host has.",
    fix: Some(
        "Check that the token still has access to what the inventory covers. If it does, tell patlint which listed token it is: GitHub `token_id` (or `token_name`), Azure DevOps `authorization_id` (or `display_name`); GitLab and AWS match by the id the token's own check reads.",
    ),
};

pub const INVENTORY_INCOMPLETE: RuleMeta = RuleMeta {
    id: "inventory-incomplete",
    summary: "An inventory cannot list every kind of token that reaches what it covers.",
    default_severity: Severity::Warning,
    why: "An audit that cannot see a kind of token cannot say none is there: GitHub lists classic tokens only for organizations with SAML SSO, and only to their owners. What the listing could not see is reported, never taken for empty.",
    fix: Some(
        "Give the inventory a credential that can list the missing kind (the finding names it), or close the gap on the host (GitHub: enforce SAML SSO, or restrict classic personal access tokens in the organization's settings). Waive `inventory-incomplete` for the inventory's name to accept the gap.",
    ),
};

/// How an inventory lists a token (`patlint audit`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ListedAs {
    pub inventory: String,
    /// The host's id for the token.
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// The request that listed it.
    pub source: String,
    /// Whether a `[[token]]` declares it.
    pub declared: bool,
}

/// The listings matched to the declared tokens: what the audit adds to each item of the
/// run before any rule judges it. Built by [`plan`], judged by [`judge_audit`].
pub struct Plan<'p> {
    /// The declared tokens, in policy order.
    pub declared: Vec<DeclaredInAudit<'p>>,
    /// The inventories, in policy order.
    pub inventories: Vec<InventoryPlan<'p>>,
    /// The names of the report's items planned so far.
    taken: HashSet<String>,
}

/// A declared token: what its check saw, and what the listings say of it.
pub struct DeclaredInAudit<'p> {
    pub spec: &'p TokenSpec,
    /// Its check, as `patlint audit` ran it.
    pub check: Option<DeclaredCheck>,
    /// How the first inventory that lists it lists it.
    pub listed: Option<ListedAs>,
    /// Each inventory that should list it and does not, or cannot tell.
    pub findings: Vec<Finding>,
}

/// What one inventory's listing adds to the run.
pub struct InventoryPlan<'p> {
    pub spec: &'p InventorySpec,
    /// What its undeclared tokens are judged against: `[hosts.<host>]` over
    /// `[defaults]`, one for them all.
    pub requirements: Arc<Requirements>,
    /// The tokens it lists that no `[[token]]` declares, in listing order.
    pub undeclared: Vec<UndeclaredListing<'p>>,
    /// What is wrong with the listing itself, if anything: only then is the inventory an
    /// item of the report.
    pub trouble: Option<ListingTrouble>,
}

/// A listed token no `[[token]]` declares, with what the listing shows of it.
pub struct UndeclaredListing<'p> {
    pub token: UndeclaredToken<'p>,
    pub observation: Observation,
    /// `undeclared-token`, unless the host's `undeclared = "ignore"`.
    pub finding: Option<Finding>,
}

/// An inventory that could not be listed, or whose listing cannot see every token.
pub struct ListingTrouble {
    /// Why there is no listing, when there is none.
    pub failure: Option<Observation>,
    pub findings: Vec<Finding>,
}

/// Matches every listing to the declared tokens, taking the listed tokens over.
pub fn plan(policy: &Policy, audit: AuditFacts) -> Plan<'_> {
    let mut checks: HashMap<String, DeclaredCheck> = audit
        .declared
        .into_iter()
        .map(|check| (check.record.name.clone(), check))
        .collect();
    let mut plan = Plan {
        declared: policy
            .tokens
            .iter()
            .map(|spec| DeclaredInAudit {
                spec,
                check: checks.remove(&spec.name),
                listed: None,
                findings: Vec::new(),
            })
            .collect(),
        inventories: Vec::new(),
        taken: policy.tokens.iter().map(|t| t.name.clone()).collect(),
    };
    for (inventory, record) in policy.inventories.iter().zip(audit.inventories) {
        let host = inventory.token.host();
        plan.inventories.push(InventoryPlan {
            spec: inventory,
            requirements: Arc::new(policy.undeclared.get(&host).cloned().unwrap_or_default()),
            undeclared: Vec::new(),
            trouble: None,
        });
        match record.listing {
            Ok(listing) => plan.listing(inventory, listing),
            Err(failure) => plan.current().trouble = Some(listing_failed(inventory, &failure)),
        }
        if plan.current().trouble.is_some() {
            plan.taken.insert(inventory.token.name.clone());
        }
    }
    plan
}

impl DeclaredInAudit<'_> {
    /// What its check saw, when it saw the token.
    fn facts(&self) -> Option<&TokenFacts> {
        self.check
            .as_ref()
            .and_then(|check| check.record.observation.facts())
    }

    /// What its check saw that identifies it in a listing.
    fn prints(&self) -> &[Fingerprint] {
        self.check
            .as_ref()
            .map_or(&[], |check| check.fingerprints.as_slice())
    }
}

impl<'p> Plan<'p> {
    /// The inventory being planned: the last one pushed.
    fn current(&mut self) -> &mut InventoryPlan<'p> {
        self.inventories
            .last_mut()
            .expect("an inventory is pushed before it is planned")
    }

    /// Ties each listed token to the declared ones; what is left is undeclared, and
    /// each declared token the inventory should list and does not is a finding.
    fn listing(&mut self, inventory: &'p InventorySpec, mut listing: Listing) {
        let name = &inventory.token.name;
        let owners = matching::owners(inventory, &listing, &self.declared);
        let mut found = vec![false; self.declared.len()];
        for &(_, declared) in &owners {
            found[declared] = true;
        }
        // Each inventory is judged on its own: a token another inventory lists is still
        // missing from this one.
        for (declared, found) in self.declared.iter_mut().zip(found) {
            if found || !expected_in(inventory, &listing, declared) {
                continue;
            }
            // Listed as awaiting the organization (a request for access not yet
            // approved): the refusal the listing holds, not `token-not-found`.
            let awaiting = listing
                .awaiting
                .iter()
                .filter(|listed| matching::is_listed_as(inventory, &listing, declared, listed))
                .flat_map(|listed| super::refusals::awaiting(declared.spec, name, listed))
                .collect::<Vec<_>>();
            if !awaiting.is_empty() {
                declared.findings.extend(awaiting);
                continue;
            }
            let finding = match identifiable(declared) {
                true => not_found(name, declared),
                false => unidentified(name, declared),
            };
            declared.findings.push(finding);
        }
        let mut owned = owners.iter().map(|&(at, _)| at).collect::<Vec<_>>();
        owned.dedup();
        // Exactly as many as there are: a listing of thousands is held once, not twice over.
        let undeclared = listing.tokens.len() - owned.len();
        self.current().undeclared.reserve_exact(undeclared);
        let mut owners = owners.into_iter().peekable();
        for (at, listed) in std::mem::take(&mut listing.tokens).into_iter().enumerate() {
            let mut owned = false;
            while let Some((_, declared)) = owners.next_if(|&(of, _)| of == at) {
                owned = true;
                self.declared[declared]
                    .listed
                    .get_or_insert_with(|| listed_as(name, &listed, true));
            }
            if !owned {
                let token = self.undeclared(inventory, listed);
                self.current().undeclared.push(token);
            }
        }
        if !listing.blind_spots.is_empty() {
            self.current().trouble = Some(ListingTrouble {
                failure: None,
                findings: incomplete(inventory, &listing.blind_spots),
            });
        }
    }

    fn undeclared(
        &mut self,
        inventory: &'p InventorySpec,
        listed: Listed,
    ) -> UndeclaredListing<'p> {
        let name = self.undeclared_name(&inventory.token.name, &listed.id);
        let requirements = self.current().requirements.clone();
        let severity = match requirements.undeclared() {
            Escalation::Fail => Some(Severity::Error),
            Escalation::Warn => Some(Severity::Warning),
            Escalation::Ignore => None,
        };
        let finding = severity
            .map(|severity| undeclared_finding(inventory, &listed, &name).severity(severity));
        UndeclaredListing {
            token: UndeclaredToken {
                listed: listed_as(&inventory.token.name, &listed, false),
                name,
                inventory,
                requirements,
            },
            observation: Observation::observed(listed.facts),
            finding,
        }
    }

    /// `INVENTORY.ID`, or `INVENTORY.HASH` (a hash of the id, the same run after run, so
    /// a waiver keeps naming the same token) when the id does not make a safe name; taken
    /// for the report.
    fn undeclared_name(&mut self, inventory: &str, id: &str) -> String {
        let name = format!("{inventory}.{id}");
        let name = match crate::policy::is_safe_name(&name) && !self.taken.contains(&name) {
            true => name,
            false => {
                let hash = format!("{:012x}", super::fnv1a(id.as_bytes()) >> 16);
                // Room for `.HASH` and a `-N` should two ids hash alike.
                let stem: String = inventory.chars().take(64 - hash.len() - 5).collect();
                std::iter::once(format!("{stem}.{hash}"))
                    .chain((2..100).map(|n| format!("{stem}.{hash}-{n}")))
                    .find(|name| !self.taken.contains(name))
                    .unwrap_or_default()
            }
        };
        self.taken.insert(name.clone());
        name
    }
}

/// The inventory's own finding when it could not be listed, with what failed as its
/// evidence: reading the secret, or the listing's requests to the host.
fn listing_failed(inventory: &InventorySpec, failure: &Observation) -> ListingTrouble {
    let token = &inventory.token;
    let requests = format!(
        "the requests listing inventory `{}` on {}",
        token.name,
        token.host().product()
    );
    let finding = match failure {
        Observation::Unchecked {
            failure: Failure::SecretUnavailable,
            detail,
            ..
        } => Finding::new(
            Rule::SecretUnavailable,
            &token.secret.origin,
            format!("inventory `{}` was not listed: {detail}", token.name),
        )
        .label("the secret comes from here")
        .evidence(format!("reading the {}", token.secret.value)),
        Observation::Unchecked { detail, help, .. } => {
            let finding = Finding::new(
                Rule::HostError,
                token.url_origin.as_ref().unwrap_or(&token.origin),
                format!(
                    "inventory `{}` could not be listed, so the audit is not complete: {detail}",
                    token.name
                ),
            )
            .label(format!("asked {}", token.host().product()))
            .evidence(requests);
            match help {
                Some(help) => finding.help(help.clone()),
                None => finding,
            }
        }
        // Hosts answer a listing with a listing or `Unchecked`; anything else is
        // still no listing.
        Observation::Rejected { detail, .. } | Observation::Refused { policy: detail, .. } => {
            Finding::new(
                Rule::HostError,
                &token.origin,
                format!("inventory `{}` could not be listed: {detail}", token.name),
            )
            .evidence(requests)
        }
        Observation::Observed { .. } => Finding::new(
            Rule::HostError,
            &token.origin,
            format!("inventory `{}` could not be listed", token.name),
        )
        .evidence(requests),
    };
    ListingTrouble {
        failure: Some(failure.clone()),
        findings: vec![finding],
    }
}

/// Whether the inventory lists every token of the declared one's kind on what the
/// declared token works on: only then is its absence a finding.
fn expected_in(inventory: &InventorySpec, listing: &Listing, declared: &DeclaredInAudit) -> bool {
    let Some(kind) = declared.facts().map(|f| f.kind) else {
        return false; // its own check failed, and says so
    };
    if !listing.complete_for.contains(&kind)
        || !matching::same_instance(inventory, listing, declared)
    {
        return false;
    }
    declared
        .spec
        .endpoint
        .expected_in(&inventory.scope, listing)
}

/// Whether anything could tie the declared token to its listing: what its check read,
/// or an id or name the policy gives it.
fn identifiable(declared: &DeclaredInAudit) -> bool {
    !declared.prints().is_empty() || declared.spec.endpoint.named()
}

/// A declared token the inventory should list, that nothing ties to the listing: whether
/// it is there is not known.
fn unidentified(inventory: &str, declared: &DeclaredInAudit) -> Finding {
    let help = declared.spec.host().audit_texts().unidentified;
    Finding::new(
        Rule::Unverifiable,
        &declared.spec.origin,
        format!(
            "whether inventory `{inventory}` lists this token cannot be told: its check read nothing that identifies it there, and the policy names no id"
        ),
    )
    .severity(super::verdict::unverifiable_severity(declared.spec))
    .label("not tied to the listing")
    .evidence(format!("the listing of inventory `{inventory}`"))
    .help(help)
}

/// A host's text as one line of printable characters: names and owners go into every
/// report, and a control character could rewrite a terminal line or end a log line.
fn printable(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            c if c.is_control() => ' ',
            '\u{FFFE}' | '\u{FFFF}' => ' ',
            c => c,
        })
        .collect()
}

fn listed_as(inventory: &str, listed: &Listed, declared: bool) -> ListedAs {
    ListedAs {
        inventory: inventory.to_owned(),
        id: printable(&listed.id),
        name: listed.name.as_deref().map(printable),
        owner: listed.owner.as_deref().map(printable),
        source: printable(&listed.source),
        declared,
    }
}

/// "fine-grained personal access token `deploy` of octocat (id 42)".
fn describe(listed: &Listed) -> String {
    let mut text = listed.facts.kind.describe().to_owned();
    if let Some(name) = &listed.name {
        text.push_str(&format!(" `{}`", printable(name)));
    }
    if let Some(owner) = &listed.owner {
        text.push_str(&format!(" of `{}`", printable(owner)));
    }
    text.push_str(&format!(" (id {})", printable(&listed.id)));
    text
}

/// What ties a listed token of `host` with this id to a `[[token]]`: "`token_id = 42`".
pub(crate) fn declare_key(host: crate::hosts::HostKind, id: &str) -> String {
    match host.audit_texts().declare_key {
        Some(key) => key.replace("{}", id),
        None => "its secret (its own check reads the id the listing shows)".to_owned(),
    }
}

fn undeclared_finding(inventory: &InventorySpec, listed: &Listed, name: &str) -> Finding {
    let token = &inventory.token;
    let declare = declare_key(token.host(), &printable(&listed.id));
    Finding::new(
        Rule::UndeclaredToken,
        &token.origin,
        format!(
            "inventory `{}` lists {} that no [[token]] declares; it is reported as `{name}`",
            token.name,
            crate::suggest::with_article(&describe(listed))
        ),
    )
    .label("listed here, declared nowhere")
    .evidence(format!("listed by {}", listed.source))
    .help(format!(
        "if an integration uses it, declare it with a [[token]] naming {declare}; if nobody does, revoke it; to accept it for now, waive `undeclared-token` for `{name}`"
    ))
}

fn not_found(inventory: &str, declared: &DeclaredInAudit) -> Finding {
    let kind = declared.facts().map_or("token", |f| f.kind.describe());
    let help = declared.spec.host().audit_texts().not_found;
    Finding::new(
        Rule::TokenNotFound,
        &declared.spec.origin,
        format!(
            "inventory `{inventory}` lists every {kind} of what this token works on, and not this one"
        ),
    )
    .label("not in the listing")
    .evidence(format!("the listing of inventory `{inventory}`"))
    .help(help)
}

fn incomplete(inventory: &InventorySpec, blind_spots: &[String]) -> Vec<Finding> {
    blind_spots
        .iter()
        .map(|spot| {
            Finding::new(
                Rule::InventoryIncomplete,
                &inventory.token.origin,
                format!(
                    "inventory `{}` cannot see every token: {spot}",
                    inventory.token.name
                ),
            )
            .label("lists only part of what reaches here")
            .evidence(format!(
                "the listing of inventory `{}`",
                inventory.token.name
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests;
