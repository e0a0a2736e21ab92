//! Refusals by an organization's policy: the host answered, in its own words, that the
//! organization (enterprise, group, tenant) where a target lives refuses this token there
//! (its lifetime, its kind, the caller's address, a pending approval, a conditional-access
//! policy). Each host recognises its own refusals and names the rule each breaks (those
//! rules and their fixes live in the host's folder); judging them is the same everywhere:
//! one finding per refused target and rule, pointing at where the policy names the target.
//! A refusal fails the token: the integration breaks there, whatever the token's own
//! metadata says. A host that meets a refusal before it can read anything about the
//! token records it as the token's observation (`Observation::Refused`), judged here too.

use std::collections::BTreeSet;

use crate::evaluate::Finding;
use crate::facts::{Settled, TokenFacts};
use crate::hosts::Listed;
use crate::policy::{Origin, TokenSpec};
use crate::rules::Rule;

/// The findings for every target a policy refused the token on.
pub fn check(token: &TokenSpec, facts: &TokenFacts) -> Vec<Finding> {
    let mut findings = Vec::new();
    // Several probes of one target meet the same refusal: it is said once.
    let mut said = BTreeSet::new();
    for grant in &facts.grants {
        let Settled::Refused { rule, policy } = &grant.settled else {
            continue;
        };
        if !said.insert((*rule, grant.target.as_str())) {
            continue;
        }
        findings.push(refused(
            token,
            *rule,
            &grant.target,
            policy,
            &grant.evidence,
        ));
    }
    findings
}

/// The finding for a token the host refused before anything about it was read
/// (`Observation::Refused`): one finding, at the target where the policy names it.
pub fn refused(
    token: &TokenSpec,
    rule: Rule,
    target: &str,
    policy: &str,
    evidence: &str,
) -> Finding {
    Finding::new(
        rule,
        target_origin(token, target),
        format!("token `{}` is refused on `{target}`: {policy}", token.name),
    )
    .label("refused here by the organization's policy")
    .evidence(evidence)
}

/// `patlint audit`: a declared token that an inventory lists only as awaiting the
/// organization (a request for access not yet approved): the refusal its listing holds,
/// instead of `token-not-found`. Empty when the listing records no refusal.
pub fn awaiting(token: &TokenSpec, inventory: &str, listed: &Listed) -> Vec<Finding> {
    let mut said = BTreeSet::new();
    listed
        .facts
        .grants
        .iter()
        .filter_map(|grant| match &grant.settled {
            Settled::Refused { rule, policy } if said.insert((*rule, grant.target.as_str())) => {
                Some(
                    Finding::new(
                        *rule,
                        &token.origin,
                        format!(
                            "inventory `{inventory}` lists token `{}` as not yet let in on `{}`: {policy}",
                            token.name, grant.target
                        ),
                    )
                    .label("listed as awaiting the organization")
                    .evidence(grant.evidence.clone()),
                )
            }
            _ => None,
        })
        .collect()
}

/// Where the policy names the target (a repository or project), else the token.
fn target_origin<'a>(token: &'a TokenSpec, target: &str) -> &'a Origin {
    token
        .endpoint
        .repositories()
        .iter()
        .find(|declared| declared.value == target)
        .map_or(&token.origin, |declared| &declared.origin)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::{Grant, TokenKind};
    use crate::policy::parse_policy;
    use crate::rules::Rule;

    #[test]
    fn each_refused_target_is_one_finding_at_the_target_and_survives_the_facts_file() {
        let policy = parse_policy(
            "p.toml",
            "version = 1\n[[token]]\nname = \"jira\"\nhost = \"github\"\nsecret = { env = \"T\" }\nrepositories = [\"acme/app\", \"acme/web\"]\n",
        )
        .unwrap();
        let token = &policy.tokens[0];
        let refused = Settled::Refused {
            rule: Rule::SsoNotAuthorized,
            policy: "the `acme` organization refuses it".into(),
        };
        let mut facts = TokenFacts::new(TokenKind::FineGrainedPat);
        for permission in ["repository", "contents:read"] {
            facts.grants.push(Grant::new(
                "acme/web",
                permission,
                refused.clone(),
                "GET /repos/acme/web → 403",
            ));
        }
        let json = serde_json::to_value(&facts.grants[0]).unwrap();
        assert_eq!(json["settled"], "refused");
        assert_eq!(json["rule"], "sso-not-authorized");
        let back: Grant = serde_json::from_value(json).unwrap();
        assert_eq!(back, facts.grants[0]);

        let findings = check(token, &facts);
        assert_eq!(findings.len(), 1, "{findings:#?}");
        assert_eq!(findings[0].rule, Rule::SsoNotAuthorized);
        assert!(
            findings[0]
                .message
                .contains("`acme/web`: the `acme` organization refuses it")
        );
        let web = &token.endpoint.repositories()[1];
        assert_eq!(findings[0].origin.span, web.origin.span);
    }
}
