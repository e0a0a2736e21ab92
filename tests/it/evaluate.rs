//! Evaluation: inline policies + hand-written facts + a fixed `now` → findings, statuses
//! and exit codes; rendered diagnostics of each finding kind are snapshotted.

use crate::common;

use common::{at, policy};
use patlint::evaluate::Status;
use patlint::facts::FactsFile;
use patlint::outcome::{Exit, gate};
use patlint::report::human::{self, Style};

const NOW: &str = "2026-11-24T00:00:00Z";

/// One GitHub token with the given requirements, observed with the given outcome.
fn judge(
    requirements: &str,
    observation: serde_json::Value,
) -> (Status, Vec<String>, String, Exit) {
    judge_host("github", "", requirements, observation)
}

fn judge_host(
    host: &str,
    extra: &str,
    requirements: &str,
    observation: serde_json::Value,
) -> (Status, Vec<String>, String, Exit) {
    let policy = policy(&format!(
        "version = 1\n\n[[token]]\nname = \"t\"\nhost = \"{host}\"\n{extra}secret = {{ env = \"T\" }}\n{requirements}\n"
    ));
    let mut record = observation;
    record["name"] = "t".into();
    record["host"] = host.into();
    let facts: FactsFile = serde_json::from_value(serde_json::json!({
        "schema_version": 1, "observed_at": NOW, "tokens": [record]
    }))
    .unwrap();
    let report = patlint::evaluate_all(&policy, &facts, at(NOW));
    let token = &report.tokens[0];
    let rules = token
        .verdict
        .findings
        .iter()
        .map(|f| f.rule.id().to_owned())
        .collect();
    let rendered = human::render(&report, Style::PLAIN);
    let exit = gate(report.tokens.iter().map(|t| &t.verdict));
    (token.verdict.status, rules, rendered, exit)
}

fn observed(facts: serde_json::Value) -> serde_json::Value {
    serde_json::json!({ "outcome": "observed", "facts": facts })
}

#[test]
fn a_token_in_policy_passes() {
    let (status, rules, _, exit) = judge(
        "require_scopes = [\"repo\"]\nmax_lifespan = \"90d\"",
        observed(
            serde_json::json!({"kind": "classic-pat", "scopes": ["repo", "read:org"], "expires_at": "2027-01-31T00:00:00Z"}),
        ),
    );
    assert_eq!((status, rules, exit), (Status::Pass, vec![], Exit::Clean));
}

#[test]
fn scopes_are_closed_under_implications() {
    // `repo` includes `public_repo`: required is met, forbidden is violated through it.
    let (status, rules, rendered, exit) = judge(
        "require_scopes = [\"public_repo\", \"workflow\"]\nforbid_scopes = [\"repo:status\", \"delete_repo\"]",
        observed(
            serde_json::json!({"kind": "classic-pat", "scopes": ["repo"], "expires_at": null}),
        ),
    );
    assert_eq!(status, Status::Fail);
    assert_eq!(rules, ["missing-scope", "forbidden-scope"]);
    assert!(
        rendered.contains("through `repo`, which includes it"),
        "{rendered}"
    );
    assert_eq!(exit, Exit::Violation);
    insta::assert_snapshot!("missing-and-forbidden-scope", rendered);
}

#[test]
fn excess_scopes_are_reported_when_extras_are_not_allowed() {
    let (_, rules, rendered, _) = judge(
        "require_scopes = [\"repo\"]\nallow_extra_scopes = false",
        observed(
            serde_json::json!({"kind": "classic-pat", "scopes": ["repo", "public_repo", "admin:org"], "expires_at": null}),
        ),
    );
    // `public_repo` is inside `repo`'s closure; `admin:org` is not.
    assert_eq!(rules, ["excess-scope"]);
    insta::assert_snapshot!("excess-scope", rendered);
}

#[test]
fn lifespan_with_creation_date_uses_expiry_minus_creation() {
    // The GitLab example of the issue: created 2026-01-10, expires 2026-12-31, 90-day limit.
    let (_, rules, rendered, _) = judge_host(
        "gitlab",
        "",
        "max_lifespan = \"90d\"",
        observed(
            serde_json::json!({"kind": "personal-access-token", "created_at": "2026-01-10T09:00:00Z", "expires_at": "2026-12-31T00:00:00Z"}),
        ),
    );
    assert_eq!(rules, ["lifespan-exceeded"]);
    assert!(rendered.contains("lives 354 days"), "{rendered}");
}

#[test]
fn lifespan_with_only_an_expiry_judges_the_remaining_validity() {
    let (_, rules, rendered, _) = judge(
        "max_lifespan = \"90d\"",
        observed(serde_json::json!({"kind": "classic-pat", "expires_at": "2027-06-30T00:00:00Z"})),
    );
    assert_eq!(rules, ["lifespan-exceeded"]);
    insta::assert_snapshot!("lifespan-exceeded", rendered);

    let (_, rules, _, _) = judge(
        "max_lifespan = \"90d\"",
        observed(serde_json::json!({"kind": "classic-pat", "expires_at": "2027-02-01T00:00:00Z"})),
    );
    assert!(rules.is_empty());
}

#[test]
fn a_token_that_never_expires_violates_any_max_lifespan() {
    let (status, rules, rendered, _) = judge(
        "max_lifespan = \"366d\"",
        observed(serde_json::json!({"kind": "classic-pat", "expires_at": null})),
    );
    assert_eq!(
        (status, rules),
        (Status::Fail, vec!["no-expiry".to_owned()])
    );
    insta::assert_snapshot!("no-expiry", rendered);
}

#[test]
fn expired_tokens_get_one_finding_and_nothing_else() {
    let (status, rules, rendered, _) = judge(
        "max_lifespan = \"30d\"\nrequire_scopes = [\"workflow\"]\nstale_after = \"1d\"",
        observed(
            serde_json::json!({"kind": "classic-pat", "scopes": [], "expires_at": "2026-11-20T00:00:00Z"}),
        ),
    );
    assert_eq!(
        (status, rules),
        (Status::Fail, vec!["token-expired".to_owned()])
    );
    insta::assert_snapshot!("token-expired", rendered);
}

#[test]
fn expiry_within_the_warning_window_warns_without_failing() {
    let (status, rules, rendered, exit) = judge(
        "expiry_warning = \"14d\"",
        observed(serde_json::json!({"kind": "classic-pat", "expires_at": "2026-11-29T00:00:00Z"})),
    );
    assert_eq!((status, exit), (Status::Pass, Exit::Clean));
    assert_eq!(rules, ["expires-soon"]);
    insta::assert_snapshot!("expires-soon", rendered);

    // The default window is 14 days.
    let (_, rules, _, _) = judge(
        "",
        observed(serde_json::json!({"kind": "classic-pat", "expires_at": "2026-12-07T00:00:00Z"})),
    );
    assert_eq!(rules, ["expires-soon"]);
    let (_, rules, _, _) = judge(
        "",
        observed(serde_json::json!({"kind": "classic-pat", "expires_at": "2026-12-09T00:00:00Z"})),
    );
    assert!(rules.is_empty());
}

#[test]
fn unobservable_facts_are_never_a_pass() {
    let fine_grained = || {
        observed(serde_json::json!({
            "kind": "fine-grained-pat", "expires_at": "2027-01-01T00:00:00Z",
            "unobservable": {"scopes": "fine-grained personal access tokens have permissions, which GitHub does not reveal to the token"}
        }))
    };
    let (status, rules, rendered, exit) = judge("require_scopes = [\"repo\"]", fine_grained());
    assert_eq!((status, exit), (Status::Unverifiable, Exit::Violation));
    assert_eq!(rules, ["unverifiable"]);
    insta::assert_snapshot!("unverifiable-fail", rendered);

    let (status, _, rendered, exit) = judge(
        "require_scopes = [\"repo\"]\non_unverifiable = \"warn\"",
        fine_grained(),
    );
    assert_eq!((status, exit), (Status::Unverifiable, Exit::Clean));
    assert!(
        rendered.contains("! `require_scopes` cannot be verified"),
        "{rendered}"
    );

    let (status, _, _, exit) = judge(
        "require_scopes = [\"repo\"]\non_unverifiable = \"ignore\"",
        fine_grained(),
    );
    assert_eq!((status, exit), (Status::Unverifiable, Exit::Clean));

    // Without any scope requirement, not revealing scopes is no problem.
    let (status, rules, _, _) = judge("", fine_grained());
    assert_eq!((status, rules.len()), (Status::Pass, 0));
}

#[test]
fn stale_tokens_warn_but_young_unused_ones_do_not() {
    let (_, rules, rendered, exit) = judge_host(
        "gitlab",
        "",
        "stale_after = \"30d\"",
        observed(
            serde_json::json!({"kind": "personal-access-token", "created_at": "2026-01-01T00:00:00Z", "expires_at": "2026-12-31T00:00:00Z", "last_used_at": "2026-09-01T00:00:00Z"}),
        ),
    );
    assert_eq!((rules, exit), (vec!["stale-token".to_owned()], Exit::Clean));
    insta::assert_snapshot!("stale-token", rendered);

    // Created yesterday, never used: not stale.
    let (status, rules, _, _) = judge_host(
        "gitlab",
        "",
        "stale_after = \"30d\"",
        observed(
            serde_json::json!({"kind": "personal-access-token", "created_at": "2026-11-23T00:00:00Z", "expires_at": "2026-12-31T00:00:00Z", "last_used_at": null}),
        ),
    );
    assert_eq!((status, rules.len()), (Status::Pass, 0));

    // Created long ago, never used: stale.
    let (_, rules, _, _) = judge_host(
        "gitlab",
        "",
        "stale_after = \"30d\"",
        observed(
            serde_json::json!({"kind": "personal-access-token", "created_at": "2026-01-01T00:00:00Z", "expires_at": "2026-12-31T00:00:00Z", "last_used_at": null}),
        ),
    );
    assert_eq!(rules, ["stale-token"]);
}

#[test]
fn rejected_tokens_fail_with_one_finding() {
    let (status, rules, rendered, exit) = judge(
        "require_scopes = [\"repo\"]\nmax_lifespan = \"90d\"",
        serde_json::json!({"outcome": "rejected", "reason": "invalid", "detail": "GitHub answered 401 (Bad credentials)", "evidence": "401 from GET /user"}),
    );
    assert_eq!(
        (status, rules, exit),
        (
            Status::Fail,
            vec!["token-invalid".to_owned()],
            Exit::Violation
        )
    );
    insta::assert_snapshot!("token-invalid", rendered);

    let (_, rules, rendered, _) = judge(
        "",
        serde_json::json!({"outcome": "rejected", "reason": "sso-required", "detail": "GitHub answered 403 with X-GitHub-SSO", "evidence": "X-GitHub-SSO header of 403 from GET /user", "help": "authorize the token: open https://github.com/orgs/octo/sso?authorization_request=1"}),
    );
    assert_eq!(rules, ["sso-not-authorized"]);
    assert!(rendered.contains("authorization_request=1"));
}

#[test]
fn unchecked_tokens_are_errors_and_exit_3() {
    let (status, rules, rendered, exit) = judge(
        "require_scopes = [\"repo\"]",
        serde_json::json!({"outcome": "unchecked", "failure": "secret-unavailable", "detail": "environment variable `T` is not set"}),
    );
    assert_eq!(
        (status, rules, exit),
        (
            Status::Error,
            vec!["secret-unavailable".to_owned()],
            Exit::Unchecked
        )
    );
    insta::assert_snapshot!("secret-unavailable", rendered);

    let (status, rules, rendered, exit) = judge_host(
        "github",
        "url = \"https://ghe.example.com/api/v3\"\n",
        "",
        serde_json::json!({"outcome": "unchecked", "failure": "host-error", "detail": "GitHub answered 503 Service Unavailable (3 attempts)"}),
    );
    assert_eq!(
        (status, rules, exit),
        (
            Status::Error,
            vec!["host-error".to_owned()],
            Exit::Unchecked
        )
    );
    insta::assert_snapshot!("host-error", rendered);
}

#[test]
fn a_violation_anywhere_beats_an_unchecked_token() {
    let policy = policy(
        "version = 1\n[[token]]\nname = \"a\"\nhost = \"github\"\nsecret = { env = \"A\" }\n[[token]]\nname = \"b\"\nhost = \"github\"\nsecret = { env = \"B\" }\nrequire_scopes = [\"repo\"]\n",
    );
    let facts: FactsFile = serde_json::from_value(serde_json::json!({
        "schema_version": 1, "observed_at": NOW, "tokens": [
            {"name": "a", "host": "github", "outcome": "unchecked", "failure": "host-error", "detail": "timeout"},
            {"name": "b", "host": "github", "outcome": "observed", "facts": {"kind": "classic-pat", "scopes": [], "expires_at": null}}
        ]
    }))
    .unwrap();
    let report = patlint::evaluate_all(&policy, &facts, at(NOW));
    assert_eq!(
        gate(report.tokens.iter().map(|t| &t.verdict)),
        Exit::Violation
    );
}

#[test]
fn a_token_missing_from_the_facts_file_is_not_a_pass() {
    let policy = policy(
        "version = 1\n[[token]]\nname = \"a\"\nhost = \"github\"\nsecret = { env = \"A\" }\n",
    );
    let facts: FactsFile = serde_json::from_value(
        serde_json::json!({"schema_version": 1, "observed_at": NOW, "tokens": []}),
    )
    .unwrap();
    let report = patlint::evaluate_all(&policy, &facts, at(NOW));
    assert_eq!(report.tokens[0].verdict.status, Status::Error);
    assert_eq!(
        report.tokens[0].verdict.findings[0].rule.id(),
        "facts-missing"
    );
}

#[test]
fn preset_findings_point_at_the_preset_and_the_extends_line() {
    let policy = policy(
        "version = 1\nextends = [\"builtin:git-integration-for-jira\"]\n\n[[token]]\nname = \"jira\"\nhost = \"github\"\nsecret = { env = \"A\" }\n",
    );
    let facts: FactsFile = serde_json::from_value(serde_json::json!({
        "schema_version": 1, "observed_at": NOW,
        "tokens": [{"name": "jira", "host": "github", "outcome": "observed", "facts": {"kind": "classic-pat", "scopes": ["read:org"], "expires_at": null}}]
    }))
    .unwrap();
    let report = patlint::evaluate_all(&policy, &facts, at(NOW));
    let rendered = human::render(&report, Style::PLAIN);
    assert!(
        rendered.contains("builtin:git-integration-for-jira:11"),
        "{rendered}"
    );
    // Where the preset came in, once, on a line of its own (no empty "Advice: " block).
    assert!(
        rendered.contains(
            "\n  from `builtin:git-integration-for-jira`, included at patlint.toml:2:12\n"
        ),
        "{rendered}"
    );
    assert!(!rendered.contains("Advice:"), "{rendered}");
    insta::assert_snapshot!("missing-scope-from-preset", rendered);
    let json: serde_json::Value =
        serde_json::from_str(&patlint::report::json::render(&report)).unwrap();
    assert_eq!(
        json["tokens"][0]["findings"][0]["location"],
        serde_json::json!({"path": "patlint.toml", "line": 2, "column": 12})
    );
}

#[test]
fn azure_global_pat_requirement_gets_the_dated_retirement_diagnostic() {
    let requirement = "all_accessible_organizations = true";
    let extra = "organization = \"fabrikam\"\n";
    let obs = || serde_json::json!({"outcome": "observed", "facts": {"kind": "personal-access-token", "all_accessible_organizations": true}});
    let (_, rules, rendered, exit) = judge_host("azure-devops", extra, requirement, obs());
    assert_eq!(rules, ["global-pat-retirement"]);
    assert!(
        rendered.contains("on 2026-12-01: 7 days left")
            && !rendered.contains("2026-03-15")
            && !rendered.contains("created"),
        "{rendered}"
    );
    assert_eq!(exit, Exit::Clean);
    insta::assert_snapshot!("global-pat-retirement-warning", rendered);

    let policy = policy(&format!(
        "version = 1\n[[token]]\nname = \"t\"\nhost = \"azure-devops\"\n{extra}secret = {{ env = \"T\" }}\n{requirement}\n"
    ));
    let facts: FactsFile = serde_json::from_value(serde_json::json!({
        "schema_version": 1, "observed_at": NOW, "tokens": [{"name": "t", "host": "azure-devops", "outcome": "observed", "facts": {"kind": "personal-access-token", "all_accessible_organizations": true}}]
    }))
    .unwrap();
    let after = patlint::evaluate_all(&policy, &facts, at("2026-12-02T00:00:00Z"));
    let finding = &after.tokens[0].verdict.findings[0];
    assert_eq!(finding.severity, patlint::rules::Severity::Error);
    assert!(
        finding
            .message
            .contains("no longer work (since 2026-12-01)"),
        "{}",
        finding.message
    );
    assert_eq!(
        gate(after.tokens.iter().map(|t| &t.verdict)),
        Exit::Violation
    );
}

#[test]
fn org_reach_mismatch_is_reported() {
    let (status, rules, _, _) = judge_host(
        "azure-devops",
        "organization = \"fabrikam\"\n",
        "all_accessible_organizations = false",
        serde_json::json!({"outcome": "observed", "facts": {"kind": "personal-access-token", "all_accessible_organizations": true, "evidence": {"all_accessible_organizations": "heuristic probe"}}}),
    );
    assert_eq!(status, Status::Fail);
    assert_eq!(rules, ["org-reach", "global-pat-retirement"]);
}

#[test]
fn aws_actions_are_never_passed_without_an_observation() {
    let (status, rules, _, exit) = judge_host(
        "aws-iam",
        "access_key_id = { env = \"AK\" }\n",
        "require_actions = [\"codecommit:CreateBranch\"]\nresources = [\"arn:aws:codecommit:us-east-1:123456789012:*\"]",
        observed(
            serde_json::json!({"kind": "access-key", "created_at": "2026-11-01T00:00:00Z", "expires_at": null}),
        ),
    );
    assert_eq!((status, exit), (Status::Unverifiable, Exit::Violation));
    assert_eq!(rules, ["unverifiable"]);
}

#[test]
fn forbidding_a_read_scope_catches_its_write_scope() {
    let (_, rules, rendered, _) = judge(
        "forbid_scopes = [\"read:org\"]",
        observed(
            serde_json::json!({"kind": "classic-pat", "scopes": ["write:org"], "expires_at": null}),
        ),
    );
    assert_eq!(rules, ["forbidden-scope"]);
    assert!(rendered.contains("through `write:org`"), "{rendered}");
    // And it satisfies a required one, as the GitHub CLI counts it (cli/cli
    // `pkg/cmd/auth/shared/oauth_scopes.go`); `write:packages` likewise.
    for (required, has) in [
        ("read:org", "write:org"),
        ("read:packages", "write:packages"),
    ] {
        let (status, rules, _, _) = judge(
            &format!("require_scopes = [\"{required}\"]"),
            observed(
                serde_json::json!({"kind": "classic-pat", "scopes": [has], "expires_at": null}),
            ),
        );
        assert_eq!(
            (status, rules),
            (Status::Pass, vec![]),
            "{has} for {required}"
        );
    }
}

#[test]
fn newer_classic_scopes_are_known_and_nest() {
    // Each parent scope on the token settings page includes its children
    // (trufflesecurity/trufflehog `pkg/analyzer/analyzers/github/classic`).
    for (parent, child) in [
        ("audit_log", "read:audit_log"),
        ("admin:org", "manage_runners:org"),
        ("codespace", "codespace:secrets"),
        ("copilot", "manage_billing:copilot"),
        ("admin:ssh_signing_key", "read:ssh_signing_key"),
        ("write:ssh_signing_key", "read:ssh_signing_key"),
        ("write:discussion", "read:discussion"),
    ] {
        let (status, rules, rendered, _) = judge(
            &format!("forbid_scopes = [\"{child}\"]"),
            observed(
                serde_json::json!({"kind": "classic-pat", "scopes": [parent], "expires_at": null}),
            ),
        );
        assert_eq!(
            (status, rules),
            (Status::Fail, vec!["forbidden-scope".to_owned()]),
            "{parent} ⊇ {child}"
        );
        assert!(
            rendered.contains(&format!("through `{parent}`")),
            "{rendered}"
        );
    }
    for scope in [
        "scim:enterprise",
        "write:network_configurations",
        "read:network_configurations",
    ] {
        let (status, _, _, _) = judge(
            &format!("require_scopes = [\"{scope}\"]"),
            observed(
                serde_json::json!({"kind": "classic-pat", "scopes": [scope], "expires_at": null}),
            ),
        );
        assert_eq!(status, Status::Pass, "{scope}");
    }
}

#[test]
fn an_expired_global_pat_gets_only_the_expiry_finding() {
    let (_, rules, _, _) = judge_host(
        "azure-devops",
        "organization = \"fabrikam\"\n",
        "all_accessible_organizations = true",
        observed(
            serde_json::json!({"kind": "personal-access-token", "all_accessible_organizations": true, "expires_at": "2026-11-01T00:00:00Z"}),
        ),
    );
    assert_eq!(rules, ["token-expired"]);
}
