//! Matching listings to declared tokens, without a host: plans built from hand-made
//! listings.

use super::*;
use crate::facts::TokenKind;
use crate::facts::TokenRecord;
use crate::hosts::{HostKind, InventoryRecord};

const POLICY: &str = r#"version = 1
[[inventory]]
name = "acme"
host = "github"
organization = "acme"
secret = { env = "A" }

[[inventory]]
name = "beta"
host = "github"
organization = "beta"
secret = { env = "B" }

[[token]]
name = "jira"
host = "github"
organizations = ["acme", "beta"]
token_id = 42
secret = { env = "J" }
"#;

fn listed(id: &str, name: &str, owner: &str, kind: TokenKind) -> Listed {
    let mut facts = TokenFacts::new(kind);
    facts.identity = Some(owner.into());
    Listed {
        id: id.into(),
        name: Some(name.into()),
        owner: Some(owner.into()),
        source: "GET /orgs/acme/personal-access-tokens".into(),
        fingerprint: None,
        facts,
    }
}

fn fine_grained(tokens: Vec<Listed>) -> Listing {
    let mut listing = Listing::complete_for(&[TokenKind::FineGrainedPat]);
    listing.tokens = tokens;
    listing
}

/// The declared token's check saw a fine-grained token of `octocat` (or failed).
fn audit(policy: &Policy, checked: bool, listings: Vec<Listing>) -> AuditFacts {
    let observation = match checked {
        true => {
            let mut facts = TokenFacts::new(TokenKind::FineGrainedPat);
            facts.identity = Some("octocat".into());
            Observation::observed(facts)
        }
        false => Observation::host_error("down"),
    };
    AuditFacts {
        observed_at: jiff::Timestamp::UNIX_EPOCH,
        declared: vec![DeclaredCheck {
            record: TokenRecord {
                name: "jira".into(),
                host: HostKind::Github,
                observation,
            },
            fingerprints: Vec::new(),
        }],
        inventories: policy
            .inventories
            .iter()
            .zip(listings)
            .map(|(inventory, listing)| InventoryRecord {
                name: inventory.token.name.clone(),
                host: HostKind::Github,
                listing: Ok(listing),
            })
            .collect(),
    }
}

fn rules_of(plan: &Plan, i: usize) -> Vec<Rule> {
    plan.declared[i].findings.iter().map(|f| f.rule).collect()
}

/// The names the plan gives the tokens its inventories list and nobody declares.
fn undeclared_names(plan: &Plan) -> Vec<String> {
    let inventories = plan.inventories.iter();
    let undeclared = inventories.flat_map(|inventory| &inventory.undeclared);
    undeclared.map(|u| u.token.name.clone()).collect()
}

#[test]
fn each_inventory_is_judged_on_its_own_listing() {
    let policy = crate::policy::parse_policy("p.toml", POLICY).unwrap();
    let acme = fine_grained(vec![listed(
        "42",
        "jira",
        "octocat",
        TokenKind::FineGrainedPat,
    )]);
    let plan = super::plan(
        &policy,
        audit(&policy, true, vec![acme, fine_grained(vec![])]),
    );
    // Found in acme's listing, and missing from beta's, which lists every one.
    assert_eq!(rules_of(&plan, 0), vec![Rule::TokenNotFound]);
    assert!(plan.declared[0].findings[0].message.contains("`beta`"));
}

#[test]
fn an_id_or_a_name_matches_only_a_token_of_the_kind_and_owner_the_check_saw() {
    let policy = crate::policy::parse_policy("p.toml", POLICY).unwrap();
    // A classic token's credential id is no fine-grained token id.
    let acme = fine_grained(vec![listed("42", "ci", "octocat", TokenKind::ClassicPat)]);
    let plan = super::plan(
        &policy,
        audit(&policy, true, vec![acme, fine_grained(vec![])]),
    );
    assert!(plan.declared[0].listed.is_none());
    assert!(undeclared_names(&plan).iter().any(|name| name == "acme.42"));

    // By name: with its check failed, the owner is unknown, so only a name no other
    // listed token has matches.
    let text = POLICY.replace("token_id = 42", "token_name = \"deploy\"");
    let policy = crate::policy::parse_policy("p.toml", &text).unwrap();
    let two = fine_grained(vec![
        listed("1", "deploy", "alice", TokenKind::FineGrainedPat),
        listed("2", "deploy", "bob", TokenKind::FineGrainedPat),
    ]);
    let plan = super::plan(
        &policy,
        audit(&policy, false, vec![two, fine_grained(vec![])]),
    );
    assert!(plan.declared[0].listed.is_none());
    let one = fine_grained(vec![listed(
        "1",
        "deploy",
        "alice",
        TokenKind::FineGrainedPat,
    )]);
    let matched = super::plan(
        &policy,
        audit(&policy, false, vec![one, fine_grained(vec![])]),
    );
    assert_eq!(matched.declared[0].listed.as_ref().unwrap().id, "1");
    // With the owner its check saw, the name must be that owner's.
    let alice = fine_grained(vec![listed(
        "1",
        "deploy",
        "alice",
        TokenKind::FineGrainedPat,
    )]);
    let plan = super::plan(
        &policy,
        audit(&policy, true, vec![alice, fine_grained(vec![])]),
    );
    assert!(plan.declared[0].listed.is_none());
}

#[test]
fn a_token_nothing_ties_to_the_listing_is_unverifiable_not_missing() {
    let text = POLICY.replace("token_id = 42\n", "");
    let policy = crate::policy::parse_policy("p.toml", &text).unwrap();
    let plan = super::plan(
        &policy,
        audit(
            &policy,
            true,
            vec![fine_grained(vec![]), fine_grained(vec![])],
        ),
    );
    assert_eq!(
        rules_of(&plan, 0),
        vec![Rule::Unverifiable, Rule::Unverifiable]
    );
    assert!(
        plan.declared[0].findings[0]
            .message
            .contains("cannot be told")
    );
}

#[test]
fn an_id_too_long_for_a_name_gets_the_same_name_every_run() {
    let long = "a-very-long-inventory-name-of-an-organization";
    let text = POLICY.replace("name = \"acme\"", &format!("name = \"{long}\""));
    let policy = crate::policy::parse_policy("p.toml", &text).unwrap();
    let id = "4c60c9ed-a378-4883-af16-d655ca025b11";
    let names = |listing: Listing| {
        let plan = super::plan(
            &policy,
            audit(&policy, true, vec![listing, fine_grained(vec![])]),
        );
        let name = undeclared_names(&plan).last().unwrap().clone();
        assert!(crate::policy::is_safe_name(&name), "{name}");
        name
    };
    let first = names(fine_grained(vec![listed(
        id,
        "x",
        "o",
        TokenKind::FineGrainedPat,
    )]));
    let other = listed("7", "y", "o", TokenKind::FineGrainedPat);
    let again = names(fine_grained(vec![
        other,
        listed(id, "x", "o", TokenKind::FineGrainedPat),
    ]));
    assert_eq!(first, again, "a waiver of it keeps naming it");
    assert!(first.starts_with("a-very-long"), "{first}");
}
