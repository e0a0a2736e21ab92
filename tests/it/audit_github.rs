//! `patlint audit` on a GitHub organization, end to end through the binary, against a
//! local server answering the two listings as GitHub's OpenAPI description documents
//! them (github/rest-api-description: `orgs/list-pat-grants`, items
//! `organization-programmatic-access-grant`; `orgs/list-saml-sso-authorizations`, items
//! `credential-authorization`), with declared, undeclared and missing tokens.

use crate::common;

use common::audit::{self, names, rules, token};
use serde_json::{Value, json};
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

pub(crate) const APP: &str = "ghs_auditAppInstallationToken000000000000";
const FINE: &str =
    "github_pat_11AAAAAAA0audit0000000_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJK";
const CLASSIC: &str = "ghp_auditClassic00000000000000000LAST8888";
const MISSING: &str =
    "github_pat_11AAAAAAA0missing00000_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJK";

/// `GET /user` for one token: who it is, and a classic token's scopes.
pub(crate) async fn user(server: &MockServer, secret: &str, login: &str, scopes: Option<&str>) {
    let mut answer = ResponseTemplate::new(200).set_body_json(json!({ "login": login }));
    if let Some(scopes) = scopes {
        answer = answer.insert_header("X-OAuth-Scopes", scopes);
    }
    Mock::given(method("GET"))
        .and(path("/user"))
        .and(header("authorization", format!("Bearer {secret}").as_str()))
        .respond_with(answer)
        .mount(server)
        .await;
}

fn grant(token_id: u64, name: &str, owner: &str, expires: Value, last_used: Value) -> Value {
    json!({
        "id": token_id + 1000,
        "owner": { "login": owner, "id": token_id, "type": "User" },
        "repository_selection": "subset",
        "repositories_url": "https://api.github.com/organizations/1/personal-access-tokens/1/repositories",
        "permissions": { "repository": { "contents": "write", "metadata": "read" }, "organization": {}, "other": {} },
        "access_granted_at": "2026-06-01T00:00:00Z",
        "token_id": token_id,
        "token_name": name,
        "token_expired": false,
        "token_expires_at": expires,
        "token_last_used_at": last_used
    })
}

fn authorization(credential_id: u64, login: &str, last_eight: &str, note: &str) -> Value {
    json!({
        "login": login,
        "credential_id": credential_id,
        "credential_type": "personal access token",
        "token_last_eight": last_eight,
        "credential_authorized_at": "2026-01-01T00:00:00Z",
        "credential_accessed_at": "2026-11-20T00:00:00Z",
        "scopes": ["repo", "admin:org"],
        "authorized_credential_id": credential_id + 7,
        "authorized_credential_note": note,
        "authorized_credential_expires_at": null
    })
}

/// The organization `acme`: two pages of fine-grained grants and, unless `sso` is
/// false, its SAML SSO authorizations.
pub(crate) async fn organization(sso: bool) -> MockServer {
    let server = MockServer::start().await;
    user(&server, FINE, "octocat", None).await;
    user(&server, CLASSIC, "builder", Some("repo")).await;
    user(&server, MISSING, "octocat", None).await;
    let next = format!(
        "<{}/orgs/acme/personal-access-tokens?per_page=100&page=2>; rel=\"next\", <{}/orgs/acme/personal-access-tokens?per_page=100&page=2>; rel=\"last\"",
        server.uri(),
        server.uri()
    );
    Mock::given(method("GET"))
        .and(path("/orgs/acme/personal-access-tokens"))
        .and(query_param("page", "2"))
        .and(header("authorization", format!("Bearer {APP}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([
            grant(14, "bot", "carol", json!("2027-03-01T00:00:00Z"), json!(null)),
            { "owner": { "login": "bob" }, "token_id": 13, "token_name": "old", "token_expired": true,
              "token_expires_at": "2026-01-01T00:00:00Z", "token_last_used_at": null,
              "repository_selection": "all", "permissions": {} }
        ])))
        .expect(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/orgs/acme/personal-access-tokens"))
        .and(query_param("per_page", "100"))
        .and(header("authorization", format!("Bearer {APP}").as_str()))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("Link", next.as_str())
                .set_body_json(json!([
                    grant(
                        11,
                        "jira-sync",
                        "octocat",
                        json!("2027-01-01T00:00:00Z"),
                        json!("2026-11-23T00:00:00Z")
                    ),
                    grant(
                        12,
                        "old-deploy",
                        "alice",
                        json!(null),
                        json!("2025-01-01T00:00:00Z")
                    ),
                ])),
        )
        .expect(1)
        .with_priority(2)
        .mount(&server)
        .await;
    // Each declared token's check: `GET /orgs/acme` shows only the public view, and a
    // private repository of acme read with the token shows its SSO authorization.
    Mock::given(method("GET"))
        .and(path("/orgs/acme"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "login": "acme" })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/repos/acme/app"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({ "full_name": "acme/app", "private": true })),
        )
        .mount(&server)
        .await;
    // One fine-grained token awaits acme's approval (`orgs/list-pat-grant-requests`, items
    // `organization-programmatic-access-grant-request`): not a token with access.
    Mock::given(method("GET"))
        .and(path("/orgs/acme/personal-access-token-requests"))
        .and(header("authorization", format!("Bearer {APP}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([{
            "id": 77,
            "reason": "Jira needs to read acme/app",
            "owner": { "login": "octocat", "id": 1, "type": "User" },
            "repository_selection": "subset",
            "repositories_url": "https://api.github.com/organizations/1/personal-access-token-requests/77/repositories",
            "permissions": { "repository": { "contents": "read", "metadata": "read" } },
            "created_at": "2026-11-20T09:00:00Z",
            "token_id": 21,
            "token_name": "jira-next",
            "token_expired": false,
            "token_expires_at": "2027-02-01T00:00:00Z",
            "token_last_used_at": null
        }])))
        .expect(1)
        .mount(&server)
        .await;
    let authorizations = match sso {
        true => ResponseTemplate::new(200).set_body_json(json!([
            authorization(501, "builder", "LAST8888", "ci"),
            authorization(502, "dave", "DAVE0000", "legacy"),
        ])),
        false => ResponseTemplate::new(404).set_body_json(json!({
            "message": "Not Found",
            "documentation_url": "https://docs.github.com/rest/orgs/orgs#list-saml-sso-authorizations-for-an-organization"
        })),
    };
    Mock::given(method("GET"))
        .and(path("/orgs/acme/credential-authorizations"))
        .and(header("authorization", format!("Bearer {APP}").as_str()))
        .respond_with(authorizations)
        .expect(1)
        .mount(&server)
        .await;
    server
}

fn policy(url: &str, extra: &str) -> String {
    format!(
        r#"version = 1
{extra}
[[inventory]]
name = "acme-github"
host = "github"
url = "{url}"
organization = "acme"
secret = {{ env = "ACME_APP" }}

[[token]]
name = "jira"
host = "github"
url = "{url}"
organizations = ["acme"]
repositories = ["acme/app"]
token_name = "jira-sync"
secret = {{ env = "JIRA" }}

[[token]]
name = "ci-classic"
host = "github"
url = "{url}"
organizations = ["acme"]
repositories = ["acme/app"]
secret = {{ env = "CI" }}

[[token]]
name = "gone"
host = "github"
url = "{url}"
organizations = ["acme"]
repositories = ["acme/app"]
token_id = 999
secret = {{ env = "GONE" }}
"#
    )
}

fn env() -> Vec<(String, String)> {
    audit::env(&[
        ("ACME_APP", APP),
        ("JIRA", FINE),
        ("CI", CLASSIC),
        ("GONE", MISSING),
    ])
}

/// `patlint audit --format json`: the exit code, the report and stderr.
async fn audit(policy: String) -> (i32, Value, String) {
    audit::run(policy, env(), &[APP, FINE, CLASSIC, MISSING], &[]).await
}

#[tokio::test]
async fn declared_undeclared_and_missing_tokens_of_an_sso_organization() {
    let server = organization(true).await;
    let (code, report, stderr) = audit(policy(&server.uri(), "")).await;
    // `gone` is declared for acme, and acme lists every fine-grained token: an error.
    assert_eq!(code, 1, "{report:#}{stderr}");
    let jira = token(&report, "jira");
    assert_eq!(
        jira["listed"]["id"], "11",
        "matched by token_name and owner"
    );
    assert_eq!(jira["listed"]["declared"], true);
    assert!(
        rules(jira)
            .iter()
            .all(|(rule, _)| rule != "token-not-found")
    );
    let classic = token(&report, "ci-classic");
    assert_eq!(
        classic["listed"]["id"], "501",
        "matched by its last eight characters"
    );
    assert_eq!(
        rules(token(&report, "gone")),
        vec![("token-not-found".to_owned(), "error".to_owned())]
    );
    // Both pages were read; the expired grant is not a token anyone can use.
    let listed = names(&report);
    for undeclared in ["acme-github.12", "acme-github.14", "acme-github.502"] {
        assert!(listed.contains(&undeclared), "{listed:?}");
        let t = token(&report, undeclared);
        assert!(rules(t).contains(&("undeclared-token".to_owned(), "warning".to_owned())));
        assert_eq!(t["listed"]["declared"], false);
    }
    assert!(!listed.contains(&"acme-github.13"), "{listed:?}");
    // Outside collaborators' classic tokens need no SSO authorization: never listed.
    let inventory = token(&report, "acme-github");
    assert_eq!(
        rules(inventory),
        vec![audit::finding("inventory-incomplete", "warning")]
    );
    assert_eq!(inventory["status"], "unverifiable");
    assert!(
        inventory["findings"][0]["message"]
            .as_str()
            .unwrap()
            .contains("outside collaborators"),
        "{inventory:#}"
    );
    // What the listing gave is judged: alice's token never expires, dave's scopes are known.
    let alice = token(&report, "acme-github.12");
    assert_eq!(alice["facts"]["expires_at"], Value::Null);
    assert_eq!(alice["facts"]["identity"], "alice");
    assert_eq!(alice["listed"]["name"], "old-deploy");
    assert_eq!(
        token(&report, "acme-github.502")["facts"]["scopes"],
        json!(["admin:org", "repo"])
    );
    // Read-only: nothing but GET reached the host.
    audit::only_gets(&server).await;
}

#[tokio::test]
async fn undeclared_decides_what_an_unknown_token_does_to_the_gate() {
    let server = organization(true).await;
    let fail = "[hosts.github]\nundeclared = \"fail\"\n[[waiver]]\ntoken = \"gone\"\nrule = \"token-not-found\"\nuntil = \"2026-12-20\"\nreason = \"being rotated\"\n";
    let (code, report, _) = audit(policy(&server.uri(), fail)).await;
    assert_eq!(code, 1);
    assert!(
        rules(token(&report, "acme-github.12"))
            .contains(&("undeclared-token".to_owned(), "error".to_owned()))
    );

    let server = organization(true).await;
    let ignore = "[defaults]\nundeclared = \"ignore\"\n[[waiver]]\ntoken = \"gone\"\nrule = \"token-not-found\"\nuntil = \"2026-12-20\"\nreason = \"being rotated\"\n";
    let (code, report, stderr) = audit(policy(&server.uri(), ignore)).await;
    assert_eq!(code, 0, "{report:#}{stderr}");
    assert!(
        rules(token(&report, "acme-github.12"))
            .iter()
            .all(|(rule, _)| rule != "undeclared-token")
    );
}

#[tokio::test]
async fn without_sso_classic_tokens_are_a_blind_spot_not_missing() {
    let server = organization(false).await;
    let (_, report, _) = audit(policy(&server.uri(), "")).await;
    let inventory = token(&report, "acme-github");
    assert_eq!(
        rules(inventory),
        vec![("inventory-incomplete".to_owned(), "warning".to_owned())]
    );
    let message = inventory["findings"][0]["message"].as_str().unwrap();
    assert!(message.contains("classic tokens"), "{message}");
    let evidence = &inventory["findings"][0]["evidence"];
    assert_eq!(evidence, "the listing of inventory `acme-github`");
    // The classic token cannot be listed, so its absence proves nothing.
    assert!(
        rules(token(&report, "ci-classic"))
            .iter()
            .all(|(rule, _)| rule != "token-not-found")
    );
}

#[tokio::test]
async fn a_listing_cut_short_is_an_error_never_a_complete_answer() {
    let server = MockServer::start().await;
    let next = format!(
        "<{}/orgs/acme/personal-access-tokens?per_page=100&page=2>; rel=\"next\"",
        server.uri()
    );
    Mock::given(method("GET"))
        .and(path("/orgs/acme/personal-access-tokens"))
        .and(query_param("page", "2"))
        .respond_with(ResponseTemplate::new(500))
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/orgs/acme/personal-access-tokens"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("Link", next.as_str())
                .set_body_json(json!([grant(
                    12,
                    "old-deploy",
                    "alice",
                    json!(null),
                    json!(null)
                )])),
        )
        .with_priority(2)
        .mount(&server)
        .await;
    let (out, _) = common::run_patlint(
        inventory_only(&server.uri()),
        env(),
        &[
            "audit",
            "--now",
            "2026-11-24",
            "--format",
            "json",
            "--retries",
            "0",
        ],
    )
    .await;
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(common::code(&out), 3, "{report:#}");
    assert_eq!(
        names(&report),
        vec!["acme-github"],
        "page 1 alone is not reported"
    );
    assert_eq!(rules(token(&report, "acme-github"))[0].0, "host-error");
}

#[tokio::test]
async fn the_policy_is_refused_without_an_organization_or_an_inventory() {
    let (out, _) = common::run_patlint(
        "version = 1\n[[inventory]]\nname = \"gh\"\nhost = \"github\"\nsecret = { env = \"X\" }\n"
            .into(),
        vec![],
        &["audit"],
    )
    .await;
    assert_eq!(common::code(&out), 2);
    assert!(common::text(&out.stderr).contains("no `organization`"));
    let (out, _) = common::run_patlint(
        "version = 1\n[[token]]\nname = \"t\"\nhost = \"github\"\nsecret = { env = \"X\" }\n"
            .into(),
        vec![],
        &["audit"],
    )
    .await;
    assert_eq!(common::code(&out), 2);
    assert!(common::text(&out.stderr).contains("no [[inventory]]"));
    // `validate` counts the inventories too.
    let (out, _) = common::run_patlint(
        inventory_only("https://api.github.com"),
        vec![],
        &["validate"],
    )
    .await;
    assert_eq!(common::code(&out), 0);
    assert!(
        common::text(&out.stdout)
            .contains("is valid: 0 tokens and 1 inventory for `patlint audit`"),
        "{}",
        common::text(&out.stdout)
    );
}

/// Every format renders the audit as it renders a check, through its consumers' own
/// schemas and parsers; the job summary lists the tokens by owner with their timeline.
#[tokio::test]
async fn every_format_reports_the_audit() {
    let server = organization(true).await;
    let dir = tempfile::tempdir().unwrap();
    let file = |name: &str| dir.path().join(name).display().to_string();
    let summary = file("summary.md");
    let mut env = env();
    env.push(("GITHUB_STEP_SUMMARY".into(), summary.clone()));
    let formats = [
        "sarif",
        "gitlab",
        "junit",
        "azure",
        "human",
        "json",
        "openmetrics",
        "markdown",
    ]
    .map(|f| format!("{f}={}", file(f)));
    let mut args = vec!["audit", "--now", "2026-11-24", "--format", "github"];
    for format in &formats {
        args.extend(["--format", format.as_str()]);
    }
    let (out, _) = common::run_patlint(policy(&server.uri(), ""), env, &args).await;
    assert_eq!(common::code(&out), 1);
    let read = |name: &str| std::fs::read_to_string(file(name)).unwrap();
    let everything = [
        common::text(&out.stdout),
        read("summary.md"),
        read("sarif"),
        read("gitlab"),
        read("junit"),
        read("azure"),
        read("human"),
        read("json"),
        read("openmetrics"),
        read("markdown"),
    ];
    for text in &everything {
        for secret in [APP, FINE, CLASSIC, MISSING] {
            common::assert_no_secret(secret, "an audit format", text);
        }
    }

    // The metrics of an audit: undeclared tokens carry their inventory, and both parsers
    // read every series once.
    if let Some(series) =
        crate::consumers::metrics_series(std::path::Path::new(&file("openmetrics")))
    {
        let undeclared = series.iter().find(|s| {
            s["name"] == "patlint_token_findings" && s["labels"]["rule"] == "undeclared-token"
        });
        let labels = &undeclared.expect("an undeclared token's findings")["labels"];
        assert_eq!(labels["inventory"], "acme-github", "{labels}");
        assert!(
            crate::consumers::series_value(
                &series,
                "patlint_token_status",
                &[
                    ("token", "jira"),
                    ("inventory", "acme-github"),
                    ("status", "pass")
                ]
            )
            .is_some(),
            "{series:#?}"
        );
    }
    assert!(read("markdown").contains("| Token | Host | Inventory | Status |"));

    let sarif: Value = serde_json::from_str(&read("sarif")).unwrap();
    let errors = common::sarif_schema_errors(&sarif, false);
    assert!(errors.is_empty(), "{errors:#?}");
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert!(results.iter().any(|r| r["ruleId"] == "undeclared-token"));
    assert!(results.iter().any(|r| r["ruleId"] == "token-not-found"));

    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(common::root().join("tests/fixtures/gitlab-codeclimate.json"))
            .unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let issues: Value = serde_json::from_str(&read("gitlab")).unwrap();
    assert!(
        issues
            .as_array()
            .unwrap()
            .iter()
            .all(|i| validator.is_valid(i))
    );
    assert!(read("gitlab").contains("undeclared-token"));

    let junit = read("junit");
    let doc = roxmltree::Document::parse(&junit).unwrap();
    assert!(doc.descendants().any(|n| {
        n.has_tag_name("testcase")
            && n.attribute("name")
                .is_some_and(|a| a.contains("acme-github.12"))
    }));

    let annotations = common::text(&out.stdout);
    assert!(
        annotations.contains("title=token-not-found::"),
        "{annotations}"
    );
    assert!(
        annotations.contains("title=undeclared-token::"),
        "{annotations}"
    );
    assert!(read("azure").contains("##vso[task.logissue type=warning"));

    // The human report: the undeclared tokens under one diagnostic, a line each with
    // owner, name, id, expiry and what is wrong, by owner (alice, carol, dave).
    let human = read("human");
    let rows: Vec<&str> = human
        .lines()
        .filter(|l| l.contains("warning: undeclared-token"))
        .collect();
    assert_eq!(rows.len(), 3, "{human}");
    for (row, parts) in rows.iter().zip([
        ["alice", " old-deploy ", " 12 ", "never"],
        ["carol", " bot ", " 14 ", "2027-03-01"],
        ["dave", " legacy ", " 502 ", "never"],
    ]) {
        assert!(
            parts.iter().all(|part| row.contains(part)),
            "{parts:?}: {row}"
        );
    }
    assert!(
        human.contains("acme-github: 3 undeclared tokens (3 pass)"),
        "{human}"
    );

    // By owner: alice's rows come before carol's, octocat's after; the chart names them.
    let summary = read("summary.md");
    assert!(summary.contains("| Owner | Token |"), "{summary}");
    let row = |owner: &str| {
        summary
            .find(&format!("\n| {owner} |"))
            .unwrap_or_else(|| panic!("{owner}: {summary}"))
    };
    assert!(
        row("alice") < row("carol") && row("carol") < row("octocat"),
        "{summary}"
    );
    assert!(
        summary.contains("section carol · acme-github.14"),
        "{summary}"
    );
    if let Some(tools) = common::required_tool("PATLINT_CONSUMERS", ".tools/consumers") {
        let out = std::process::Command::new("node")
            .arg(common::root().join("tests/consumers/mermaid-parse.mjs"))
            .arg(tools)
            .arg(file("summary.md"))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}{}",
            common::text(&out.stdout),
            common::text(&out.stderr)
        );
    }
}

/// The SSO listing documents no `Link` header: a full page is followed by the next page
/// number until a page comes back short. An empty one proves nothing of classic tokens.
#[tokio::test]
async fn full_pages_without_a_link_are_followed_and_an_empty_sso_list_is_a_blind_spot() {
    let server = MockServer::start().await;
    let grants = ResponseTemplate::new(200).set_body_json(json!([]));
    Mock::given(method("GET"))
        .and(path("/orgs/acme/personal-access-tokens"))
        .respond_with(grants)
        .mount(&server)
        .await;
    let page: Vec<Value> = (0..100)
        .map(|i| authorization(600 + i, "dave", "DAVE0000", "bulk"))
        .collect();
    Mock::given(method("GET"))
        .and(path("/orgs/acme/credential-authorizations"))
        .and(query_param("page", "2"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!([authorization(900, "erin", "ERIN0000", "last")])),
        )
        .expect(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/orgs/acme/credential-authorizations"))
        .respond_with(ResponseTemplate::new(200).set_body_json(Value::Array(page)))
        .expect(1)
        .with_priority(2)
        .mount(&server)
        .await;
    let (code, report, _) = audit(inventory_only(&server.uri())).await;
    assert_eq!(code, 0);
    let listed = names(&report);
    assert_eq!(
        listed.len(),
        102,
        "101 tokens and the inventory's own findings: {listed:?}"
    );
    assert!(listed.contains(&"acme-github.900"));

    // Refused after its first page (a secondary rate limit): cut short, an error.
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/orgs/acme/personal-access-tokens"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/orgs/acme/credential-authorizations"))
        .and(query_param("page", "2"))
        .respond_with(
            ResponseTemplate::new(403)
                .set_body_json(json!({"message": "You have exceeded a secondary rate limit"})),
        )
        .with_priority(1)
        .mount(&server)
        .await;
    let page: Vec<Value> = (0..100)
        .map(|i| authorization(600 + i, "dave", "DAVE0000", "bulk"))
        .collect();
    Mock::given(method("GET"))
        .and(path("/orgs/acme/credential-authorizations"))
        .respond_with(ResponseTemplate::new(200).set_body_json(Value::Array(page)))
        .with_priority(2)
        .mount(&server)
        .await;
    let (code, report, _) = audit(inventory_only(&server.uri())).await;
    assert_eq!(code, 3, "{report:#}");
    assert_eq!(names(&report), vec!["acme-github"]);
    assert_eq!(rules(token(&report, "acme-github"))[0].0, "host-error");

    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path_regex_any())
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .mount(&server)
        .await;
    let (_, report, _) = audit(inventory_only(&server.uri())).await;
    assert_eq!(
        rules(token(&report, "acme-github")),
        vec![("inventory-incomplete".to_owned(), "warning".to_owned())]
    );
}

fn path_regex_any() -> wiremock::matchers::PathRegexMatcher {
    wiremock::matchers::path_regex("^/orgs/acme/")
}

/// A policy with the `acme` inventory alone.
fn inventory_only(url: &str) -> String {
    format!(
        "version = 1\n[[inventory]]\nname = \"acme-github\"\nhost = \"github\"\nurl = \"{url}\"\norganization = \"acme\"\nsecret = {{ env = \"ACME_APP\" }}\n"
    )
}

/// `patlint explain undeclared-token`: the rule, how to write an inventory, and every
/// host's listing with the permission it needs.
#[test]
fn explain_says_how_each_host_lists_its_tokens() {
    let out = common::patlint()
        .args(["explain", "undeclared-token"])
        .output()
        .unwrap();
    assert_eq!(common::code(&out), 0);
    let text = common::text(&out.stdout);
    for expected in [
        "default severity: warning",
        "[[inventory]]",
        "undeclared = \"fail\" | \"warn\" | \"ignore\"",
        "GET /orgs/ORG/personal-access-tokens",
        "\"Personal access tokens\" (read)",
        "GET /api/v4/personal_access_tokens",
        "_apis/tokenadmin/personalaccesstokens",
        "vso.tokenadministration",
        "sts:GetCallerIdentity",
        "iam:ListUsers",
        "iam:ListAccessKeys",
        "iam:GetAccessKeyLastUsed",
        "iam:ListServiceSpecificCredentials",
        "iam:GetAccountSummary",
    ] {
        assert!(text.contains(expected), "`{expected}` not in:\n{text}");
    }
    assert!(
        !text.contains("Azure DevOps Server"),
        "it has no listing: {text}"
    );
}

/// A server that ignores the page asked for answers the first page again: the listing
/// does not go on, and is not read a thousand times over.
#[tokio::test]
async fn the_same_page_twice_is_an_error() {
    let server = MockServer::start().await;
    let page: Vec<Value> = (0..100)
        .map(|i| grant(100 + i, "same", "alice", json!(null), json!(null)))
        .collect();
    Mock::given(method("GET"))
        .and(path("/orgs/acme/personal-access-tokens"))
        .respond_with(ResponseTemplate::new(200).set_body_json(Value::Array(page)))
        .expect(2)
        .mount(&server)
        .await;
    let (code, report, _) = audit(inventory_only(&server.uri())).await;
    assert_eq!(code, 3, "{report:#}");
    let message = token(&report, "acme-github")["findings"][0]["message"].to_string();
    assert!(
        message.contains("the same page as the one before"),
        "{message}"
    );
}

/// A listing item whose field is not what the description types it as: the message
/// names the item and the field, once.
#[tokio::test]
async fn a_listing_item_that_does_not_read_names_its_field() {
    let server = MockServer::start().await;
    let date = json!("2027-01-01");
    let items = [json!(null), json!(null), date].map(|e| grant(1, "x", "alice", e, json!(null)));
    Mock::given(method("GET"))
        .and(path("/orgs/acme/personal-access-tokens"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!(items)))
        .mount(&server)
        .await;
    let (code, report, _) = audit(inventory_only(&server.uri())).await;
    assert_eq!(code, 3, "{report:#}");
    let message = token(&report, "acme-github")["findings"][0]["message"].to_string();
    let expected = "`token_expires_at` of item 3 is not a date-time (a string shaped `9999-99-99`)";
    assert!(message.contains(expected), "{message}");
    assert!(!message.contains("not the expected JSON"), "{message}");
    assert_eq!(message.matches("documents").count(), 1, "{message}");
}
