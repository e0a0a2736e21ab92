//! `patlint audit`: which listed tokens the policy declares, which it does not, and
//! which declared tokens an inventory that should see them does not list. Pure, like
//! the rest of evaluation: the listings and the declared tokens' checks come in, the
//! tokens to judge and the audit's own findings go out.

use super::Finding;
use crate::facts::{FactsFile, Failure, Observation, TokenFacts, TokenKind, TokenRecord};
use crate::hosts::{AuditFacts, Fingerprint, Listed, Listing};
use crate::policy::{Escalation, InventorySpec, Policy, TokenSpec};
use crate::rules::{Rule, RuleMeta, Severity};
use serde::Serialize;

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

/// The audit as tokens to judge: the declared ones, one per undeclared listed token and
/// one per inventory that failed or cannot see everything. Built by [`plan`].
pub struct Plan {
    /// The policy, with the undeclared tokens and the inventories after the declared tokens.
    pub policy: Policy,
    /// An observation for each token of `policy` that has one.
    pub facts: FactsFile,
    /// Per token of `policy`: whether its observation is judged as `check` would, and the
    /// findings the audit adds to it.
    pub entries: Vec<Entry>,
}

pub struct Entry {
    pub judged: bool,
    pub findings: Vec<Finding>,
    pub listed: Option<ListedAs>,
}

/// Matches every listing to the declared tokens.
pub fn plan(policy: &Policy, audit: &AuditFacts) -> Plan {
    let mut plan = Plan {
        policy: policy.clone(),
        facts: audit.facts.clone(),
        entries: Vec::new(),
    };
    let declared: Vec<Declared> = policy
        .tokens
        .iter()
        .enumerate()
        .map(|(i, spec)| Declared {
            spec,
            facts: audit
                .facts
                .find(&spec.name)
                .and_then(|r| r.observation.facts()),
            prints: audit.fingerprints.get(i).map_or(&[], Vec::as_slice),
        })
        .collect();
    plan.entries = declared
        .iter()
        .map(|_| Entry {
            judged: true,
            findings: Vec::new(),
            listed: None,
        })
        .collect();
    for (inventory, record) in policy.inventories.iter().zip(&audit.inventories) {
        match &record.listing {
            Ok(listing) => plan.listing(inventory, listing, &declared),
            Err(failure) => plan.failed(inventory, failure),
        }
    }
    plan
}

/// A declared token, with what its check saw.
struct Declared<'a> {
    spec: &'a TokenSpec,
    facts: Option<&'a TokenFacts>,
    prints: &'a [Fingerprint],
}

impl Plan {
    fn listing(&mut self, inventory: &InventorySpec, listing: &Listing, declared: &[Declared]) {
        let name = &inventory.token.name;
        // Declared tokens this listing holds: each inventory is judged on its own.
        let mut found = vec![false; declared.len()];
        for listed in &listing.tokens {
            let owners: Vec<usize> = declared
                .iter()
                .enumerate()
                .filter(|(_, d)| {
                    same_instance(inventory, listing, d) && is_listed_as(d, listed, listing)
                })
                .map(|(i, _)| i)
                .collect();
            let view = listed_as(name, listed, !owners.is_empty());
            for i in &owners {
                found[*i] = true;
                self.entries[*i].listed.get_or_insert_with(|| view.clone());
            }
            if owners.is_empty() {
                self.undeclared(inventory, listed, view);
            }
        }
        for (i, d) in declared.iter().enumerate() {
            if found[i] || !expected_in(inventory, listing, d) {
                continue;
            }
            let finding = match identifiable(d) {
                true => not_found(name, d),
                false => unidentified(name, d),
            };
            self.entries[i].findings.push(finding);
        }
        if !listing.blind_spots.is_empty() {
            self.push_inventory(inventory, None, incomplete(inventory, &listing.blind_spots));
        }
    }

    fn undeclared(&mut self, inventory: &InventorySpec, listed: &Listed, view: ListedAs) {
        let host = inventory.token.host();
        let requirements = self
            .policy
            .undeclared
            .get(&host)
            .cloned()
            .unwrap_or_default();
        let name = self.undeclared_name(&inventory.token.name, &listed.id);
        let mut findings = Vec::new();
        let severity = match requirements.undeclared() {
            Escalation::Fail => Some(Severity::Error),
            Escalation::Warn => Some(Severity::Warning),
            Escalation::Ignore => None,
        };
        if let Some(severity) = severity {
            findings.push(undeclared_finding(inventory, listed, &name).severity(severity));
        }
        let spec = TokenSpec {
            name: name.clone(),
            requirements,
            url_origin: None,
            ..inventory.token.clone()
        };
        self.policy.tokens.push(spec);
        self.facts.tokens.push(TokenRecord {
            name,
            host,
            observation: Observation::observed(listed.facts.clone()),
        });
        self.entries.push(Entry {
            judged: true,
            findings,
            listed: Some(view),
        });
    }

    /// `INVENTORY.ID`, or `INVENTORY.HASH` (a hash of the id, the same run after run, so
    /// a waiver keeps naming the same token) when the id does not make a safe name.
    fn undeclared_name(&self, inventory: &str, id: &str) -> String {
        let taken = |name: &str| self.policy.tokens.iter().any(|t| t.name == name);
        let name = format!("{inventory}.{id}");
        if crate::policy::is_safe_name(&name) && !taken(&name) {
            return name;
        }
        let hash = format!("{:012x}", super::fnv1a(id.as_bytes()) >> 16);
        // Room for `.HASH` and a `-N` should two ids hash alike.
        let stem: String = inventory.chars().take(64 - hash.len() - 5).collect();
        std::iter::once(format!("{stem}.{hash}"))
            .chain((2..100).map(|n| format!("{stem}.{hash}-{n}")))
            .find(|name| !taken(name))
            .unwrap_or_default()
    }

    fn failed(&mut self, inventory: &InventorySpec, failure: &Observation) {
        let token = &inventory.token;
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
            .label("the secret comes from here"),
            Observation::Unchecked { detail, help, .. } => {
                let finding = Finding::new(
                    Rule::HostError,
                    token.url_origin.as_ref().unwrap_or(&token.origin),
                    format!(
                        "inventory `{}` could not be listed, so the audit is not complete: {detail}",
                        token.name
                    ),
                )
                .label(format!("asked {}", token.host().product()));
                match help {
                    Some(help) => finding.help(help),
                    None => finding,
                }
            }
            // Hosts answer a listing with a listing or `Unchecked`; anything else is
            // still no listing.
            Observation::Rejected { detail, .. } => Finding::new(
                Rule::HostError,
                &token.origin,
                format!("inventory `{}` could not be listed: {detail}", token.name),
            ),
            Observation::Observed { .. } => Finding::new(
                Rule::HostError,
                &token.origin,
                format!("inventory `{}` could not be listed", token.name),
            ),
        };
        self.push_inventory(inventory, Some(failure.clone()), vec![finding]);
    }

    /// The inventory itself, as a token of the report carrying its own findings.
    fn push_inventory(
        &mut self,
        inventory: &InventorySpec,
        observation: Option<Observation>,
        findings: Vec<Finding>,
    ) {
        let token = &inventory.token;
        self.policy.tokens.push(token.clone());
        if let Some(observation) = observation {
            self.facts.tokens.push(TokenRecord {
                name: token.name.clone(),
                host: token.host(),
                observation,
            });
        }
        self.entries.push(Entry {
            judged: false,
            findings,
            listed: None,
        });
    }
}

/// Whether a declared token is on the host the inventory lists.
fn same_instance(inventory: &InventorySpec, listing: &Listing, declared: &Declared) -> bool {
    declared
        .spec
        .endpoint
        .same_instance(declared.facts, &inventory.token.endpoint, listing)
}

/// Whether a listed token is the declared one: the same fingerprint (an id, GitHub's
/// last eight characters) as its check saw, or the id or name the policy gives it, on a
/// token of the kind its check saw. A name alone (the owner unknown, or an Azure DevOps
/// display name, which the listing does not tie to the PAT's owner) matches only a name
/// no other listed token has.
fn is_listed_as(declared: &Declared, listed: &Listed, listing: &Listing) -> bool {
    if listed
        .fingerprint
        .is_some_and(|print| declared.prints.contains(&print))
    {
        return true;
    }
    if declared
        .facts
        .is_some_and(|facts| facts.kind != listed.facts.kind)
    {
        return false;
    }
    declared
        .spec
        .endpoint
        .names(declared.facts, listed, listing)
}

/// Whether the inventory lists every token of the declared one's kind on what the
/// declared token works on: only then is its absence a finding.
fn expected_in(inventory: &InventorySpec, listing: &Listing, declared: &Declared) -> bool {
    let Some(kind) = declared.facts.map(|f| f.kind) else {
        return false; // its own check failed, and says so
    };
    if !listing.complete_for.contains(&kind) || !same_instance(inventory, listing, declared) {
        return false;
    }
    declared
        .spec
        .endpoint
        .expected_in(&inventory.scope, listing)
}

/// Whether anything could tie the declared token to its listing: what its check read,
/// or an id or name the policy gives it.
fn identifiable(declared: &Declared) -> bool {
    !declared.prints.is_empty() || declared.spec.endpoint.named()
}

/// A declared token the inventory should list, that nothing ties to the listing: whether
/// it is there is not known.
fn unidentified(inventory: &str, declared: &Declared) -> Finding {
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
    let mut text = kind_name(listed.facts.kind).to_owned();
    if let Some(name) = &listed.name {
        text.push_str(&format!(" `{}`", printable(name)));
    }
    if let Some(owner) = &listed.owner {
        text.push_str(&format!(" of `{}`", printable(owner)));
    }
    text.push_str(&format!(" (id {})", printable(&listed.id)));
    text
}

fn kind_name(kind: TokenKind) -> &'static str {
    match kind {
        TokenKind::ClassicPat => "classic personal access token",
        TokenKind::FineGrainedPat => "fine-grained personal access token",
        TokenKind::AccessKey => "access key",
        TokenKind::PersonalAccessToken => "personal access token",
        _ => "token",
    }
}

fn undeclared_finding(inventory: &InventorySpec, listed: &Listed, name: &str) -> Finding {
    let token = &inventory.token;
    let declare = match token.host().audit_texts().declare_key {
        Some(key) => key.replace("{}", &printable(&listed.id)),
        None => "its secret (its own check reads the id the listing shows)".to_owned(),
    };
    Finding::new(
        Rule::UndeclaredToken,
        &token.origin,
        format!(
            "inventory `{}` lists a {} that no [[token]] declares; it is reported as `{name}`",
            token.name,
            describe(listed)
        ),
    )
    .label("listed here, declared nowhere")
    .evidence(format!("listed by {}", listed.source))
    .help(format!(
        "if an integration uses it, declare it with a [[token]] naming {declare}; if nobody does, revoke it; to accept it for now, waive `undeclared-token` for `{name}`"
    ))
}

fn not_found(inventory: &str, declared: &Declared) -> Finding {
    let kind = declared.facts.map_or("token", |f| kind_name(f.kind));
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
        })
        .collect()
}

#[cfg(test)]
mod tests;
