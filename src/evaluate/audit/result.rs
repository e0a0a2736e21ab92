//! What `patlint audit` concludes: the declared tokens judged as `check` judges them and
//! against the listings, every undeclared token an inventory lists judged against its
//! host's `[hosts.<host>]` over `[defaults]`, and every inventory whose listing failed or
//! is incomplete, on its own findings.

use super::{ListedAs, ListingTrouble, Plan, UndeclaredListing, plan};
use crate::evaluate::waivers::{self, Target};
use crate::evaluate::{
    Instants, Judged, Subject, TokenVerdict, Unwaived, Verdict, findings_of, unwaived_declared,
    with_fixes,
};
use crate::hosts::{AuditFacts, HostKind};
use std::sync::Arc;

use crate::policy::{InventorySpec, Origin, Policy, Requirements, TokenSpec, Waiver};

/// The audit's verdicts, in report order.
pub struct AuditResult<'p> {
    /// The declared tokens, in policy order.
    pub declared: Vec<TokenVerdict<'p>>,
    /// The inventories, in policy order.
    pub inventories: Vec<InventoryAudit<'p>>,
}

impl AuditResult<'_> {
    /// Every verdict, in report order.
    pub fn verdicts(&self) -> impl Iterator<Item = &Verdict> {
        let declared = self.declared.iter().map(|t| &t.verdict);
        declared.chain(self.inventories.iter().flat_map(|inventory| {
            let undeclared = inventory.undeclared.iter().map(|t| &t.verdict);
            undeclared.chain(inventory.own.iter().map(|t| &t.verdict))
        }))
    }
}

/// What one inventory's listing brings to the report.
pub struct InventoryAudit<'p> {
    pub spec: &'p InventorySpec,
    /// The tokens it lists that no `[[token]]` declares, in listing order.
    pub undeclared: Vec<UndeclaredVerdict<'p>>,
    /// The inventory's own verdict, when its listing failed or cannot see every token;
    /// an inventory that listed everything is no item of the report.
    pub own: Option<InventoryVerdict<'p>>,
}

/// A listed token that no `[[token]]` declares.
#[derive(Debug, Clone)]
pub struct UndeclaredToken<'p> {
    /// `INVENTORY.ID` (or `INVENTORY.HASH`): the name waivers give it.
    pub name: String,
    /// The inventory that lists it: findings on the token point at its name.
    pub inventory: &'p InventorySpec,
    /// What it was judged against: `[hosts.<host>]` over `[defaults]`, shared by every
    /// undeclared token of its inventory.
    pub requirements: Arc<Requirements>,
    pub listed: ListedAs,
}

/// An undeclared token's verdict, judged on what its listing shows.
pub type UndeclaredVerdict<'p> = Judged<UndeclaredToken<'p>>;

/// An inventory's verdict on its own findings (host-error, inventory-incomplete); the
/// observation is why it could not be listed, when it could not.
pub type InventoryVerdict<'p> = Judged<&'p InventorySpec>;

/// Matches every listing to the declared tokens and judges the lot.
pub fn judge_audit(policy: &Policy, audit: AuditFacts, at: Instants) -> AuditResult<'_> {
    judge_plan(plan(policy, audit), &policy.waivers, at)
}

/// Judges each item of the plan, then applies the waivers across all of them in report
/// order, as `check` does across its tokens.
fn judge_plan<'p>(plan: Plan<'p>, waivers: &[Waiver], at: Instants) -> AuditResult<'p> {
    let mut declared: Vec<_> = plan
        .declared
        .into_iter()
        .map(|d| {
            let record = d.check.map(|check| check.record);
            unwaived_declared(d.spec, record.as_ref(), at, d.listed, d.findings)
        })
        .collect();
    let mut inventories: Vec<_> = plan
        .inventories
        .into_iter()
        .map(|inventory| {
            let mut judged_as = judged_as(inventory.spec, &inventory.requirements);
            UnwaivedInventory {
                spec: inventory.spec,
                undeclared: inventory
                    .undeclared
                    .into_iter()
                    .map(|listing| unwaived_undeclared(listing, &mut judged_as, at))
                    .collect(),
                own: inventory
                    .trouble
                    .map(|trouble| unwaived_inventory(inventory.spec, trouble)),
            }
        })
        .collect();
    let mut targets: Vec<Target> = declared
        .iter_mut()
        .map(Unwaived::target)
        .chain(inventories.iter_mut().flat_map(UnwaivedInventory::targets))
        .collect();
    waivers::apply(waivers, &mut targets, at.now);
    AuditResult {
        declared: declared.into_iter().map(Unwaived::conclude).collect(),
        inventories: inventories
            .into_iter()
            .map(UnwaivedInventory::conclude)
            .collect(),
    }
}

/// An inventory's items before waivers.
struct UnwaivedInventory<'p> {
    spec: &'p InventorySpec,
    undeclared: Vec<Unwaived<UndeclaredToken<'p>>>,
    own: Option<Unwaived<&'p InventorySpec>>,
}

impl<'p> UnwaivedInventory<'p> {
    /// Its undeclared tokens, then itself: the order the report gives them.
    fn targets(&mut self) -> impl Iterator<Item = Target<'_>> {
        let undeclared = self.undeclared.iter_mut().map(Unwaived::target);
        undeclared.chain(self.own.iter_mut().map(Unwaived::target))
    }

    fn conclude(self) -> InventoryAudit<'p> {
        InventoryAudit {
            spec: self.spec,
            undeclared: self
                .undeclared
                .into_iter()
                .map(Unwaived::conclude)
                .collect(),
            own: self.own.map(Unwaived::conclude),
        }
    }
}

/// An undeclared token's findings: the rules' on what its listing shows, then
/// `undeclared-token`. `judged_as` is its inventory's [`judged_as`], given its name here.
fn unwaived_undeclared<'p>(
    listing: UndeclaredListing<'p>,
    judged_as: &mut TokenSpec,
    at: Instants,
) -> Unwaived<UndeclaredToken<'p>> {
    judged_as.name.clone_from(&listing.token.name);
    let mut findings = findings_of(judged_as, Some(&listing.observation), at);
    findings.extend(with_fixes(
        listing.finding.into_iter().collect(),
        judged_as.host(),
    ));
    Unwaived {
        item: listing.token,
        observation: Some(listing.observation),
        findings,
    }
}

/// An inventory's own findings: no rule judges an inventory's credential, only its
/// listing.
fn unwaived_inventory(spec: &InventorySpec, trouble: ListingTrouble) -> Unwaived<&InventorySpec> {
    Unwaived {
        item: spec,
        observation: trouble.failure,
        findings: with_fixes(trouble.findings, spec.token.host()),
    }
}

/// An inventory's undeclared tokens as the rules judge them: the inventory's token, under
/// each one's name in turn, against `requirements`, with no `url` of its own (findings
/// point at the inventory's name). Made once per inventory, not per token.
fn judged_as(inventory: &InventorySpec, requirements: &Requirements) -> TokenSpec {
    TokenSpec {
        requirements: requirements.clone(),
        url_origin: None,
        ..inventory.token.clone()
    }
}

impl Subject for UndeclaredToken<'_> {
    fn name(&self) -> &str {
        &self.name
    }

    fn host(&self) -> HostKind {
        self.inventory.token.host()
    }

    fn origin(&self) -> &Origin {
        &self.inventory.token.origin
    }

    fn requirements(&self) -> &Requirements {
        &self.requirements
    }

    fn listed(&self) -> Option<&ListedAs> {
        Some(&self.listed)
    }
}

impl Subject for &InventorySpec {
    fn name(&self) -> &str {
        &self.token.name
    }

    fn host(&self) -> HostKind {
        self.token.host()
    }

    fn origin(&self) -> &Origin {
        &self.token.origin
    }

    fn requirements(&self) -> &Requirements {
        &self.token.requirements
    }

    fn listed(&self) -> Option<&ListedAs> {
        None
    }
}
