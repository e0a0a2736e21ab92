//! What evaluation hands on: each item of a run (a declared token, an undeclared token
//! an inventory lists, an inventory itself) with its verdict and what it was judged on.

use super::waivers::Target;
use super::{Finding, Verdict, audit::ListedAs, verdict_of};
use crate::facts::Observation;
use crate::hosts::HostKind;
use crate::policy::{Origin, Requirements, TokenSpec};

/// What a verdict is about: what reports show of it and what waivers know it by.
pub trait Subject {
    /// The name reports give it and waivers match.
    fn name(&self) -> &str;
    fn host(&self) -> HostKind;
    /// Where the policy declares it: a report with no finding on it points here.
    fn origin(&self) -> &Origin;
    /// What it was judged against.
    fn requirements(&self) -> &Requirements;
    /// `patlint audit`: how an inventory lists it.
    fn listed(&self) -> Option<&ListedAs>;
}

/// An item with its verdict and the observation it was judged on.
#[derive(Debug, Clone)]
pub struct Judged<T> {
    pub item: T,
    pub observation: Option<Observation>,
    pub verdict: Verdict,
}

/// A `[[token]]` of the policy.
#[derive(Debug, Clone)]
pub struct DeclaredToken<'p> {
    pub spec: &'p TokenSpec,
    /// `patlint audit`: how an inventory lists the token.
    pub listed: Option<ListedAs>,
}

/// One declared token's verdict.
pub type TokenVerdict<'p> = Judged<DeclaredToken<'p>>;

impl Subject for DeclaredToken<'_> {
    fn name(&self) -> &str {
        &self.spec.name
    }

    fn host(&self) -> HostKind {
        self.spec.host()
    }

    fn origin(&self) -> &Origin {
        &self.spec.origin
    }

    fn requirements(&self) -> &Requirements {
        &self.spec.requirements
    }

    fn listed(&self) -> Option<&ListedAs> {
        self.listed.as_ref()
    }
}

/// An item's findings before waivers: a waiver's own findings go to the first item it
/// names, anywhere in the run, so no verdict is reached until every item's findings are.
pub(crate) struct Unwaived<T> {
    pub item: T,
    pub observation: Option<Observation>,
    pub findings: Vec<Finding>,
}

impl<T: Subject> Unwaived<T> {
    /// The item as waivers see it.
    pub fn target(&mut self) -> Target<'_> {
        Target {
            name: self.item.name(),
            expiry_warning: self.item.requirements().expiry_warning(),
            findings: &mut self.findings,
        }
    }

    /// Orders the findings, waived or not, and says what they add up to.
    pub fn conclude(self) -> Judged<T> {
        Judged {
            verdict: verdict_of(self.observation.as_ref(), self.findings),
            item: self.item,
            observation: self.observation,
        }
    }
}

/// Gives the findings an audit adds to an item, where they carry no help of their own,
/// the rule's fix on the item's host, as the item's own findings have.
pub(crate) fn with_fixes(mut findings: Vec<Finding>, host: HostKind) -> Vec<Finding> {
    for finding in &mut findings {
        if finding.help.is_none() {
            finding.help = finding.rule.fix_for(host).map(std::borrow::Cow::Borrowed);
        }
    }
    findings
}
