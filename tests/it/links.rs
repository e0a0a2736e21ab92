//! The new-token link of each host, from facts replayed with `check --facts`: parsed as a
//! URL (host, path, query pairs) in the JSON report, and whole on one line in the human one.

use std::collections::BTreeMap;

use crate::common::{patlint, text};

const POLICY: &str = r#"version = 1

[[token]]
name = "classic-bot"
host = "github"
secret = { env = "A" }
require_scopes = ["repo", "repo:status", "workflow"]
forbid_scopes = ["admin:org"]

[[token]]
name = "fine"
host = "github"
secret = { env = "B" }
repositories = ["octo-org/app"]
max_lifespan = "30d"
require_permissions = { contents = "write", pull_requests = "read" }

[[token]]
name = "ghes"
host = "github"
url = "https://ghe.example.com/api/v3"
secret = { env = "C" }
require_scopes = ["read:org"]

[[token]]
name = "lab"
host = "gitlab"
url = "https://gitlab.example.com/gitlab"
secret = { env = "D" }
require_scopes = ["api", "read_api"]

[[token]]
name = "ado"
host = "azure-devops"
organization = "fabrikam"
secret = { env = "E" }

[[token]]
name = "tfs"
host = "azure-devops-server"
url = "https://tfs.example.com/tfs/DefaultCollection"
secret = { env = "F" }

[[token]]
name = "bb"
host = "bitbucket"
email = "bot@example.com"
secret = { env = "G" }
"#;

const FACTS: &str = r#"{
  "schema_version": 1,
  "observed_at": "2026-11-23T20:00:00Z",
  "tokens": [
    { "name": "classic-bot", "host": "github", "outcome": "observed",
      "facts": { "kind": "classic-pat", "scopes": ["repo"], "expires_at": "2026-11-01T00:00:00Z" } },
    { "name": "fine", "host": "github", "outcome": "observed",
      "facts": { "kind": "fine-grained-pat", "expires_at": "2026-11-01T00:00:00Z" } },
    { "name": "ghes", "host": "github", "outcome": "observed",
      "facts": { "kind": "classic-pat", "scopes": ["read:org"], "expires_at": "2026-11-01T00:00:00Z" } },
    { "name": "lab", "host": "gitlab", "outcome": "observed",
      "facts": { "kind": "personal-access-token", "scopes": ["api"], "expires_at": "2026-11-01T00:00:00Z" } },
    { "name": "ado", "host": "azure-devops", "outcome": "observed",
      "facts": { "kind": "personal-access-token", "expires_at": "2026-11-01T00:00:00Z" } },
    { "name": "tfs", "host": "azure-devops-server", "outcome": "observed",
      "facts": { "kind": "personal-access-token", "expires_at": "2026-11-01T00:00:00Z" } },
    { "name": "bb", "host": "bitbucket", "outcome": "observed",
      "facts": { "kind": "api-token", "expires_at": "2026-11-01T00:00:00Z" } }
  ]
}"#;

fn run(format: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("patlint.toml"), POLICY).unwrap();
    std::fs::write(dir.path().join("facts.json"), FACTS).unwrap();
    let out = patlint()
        .current_dir(dir.path())
        .args([
            "check",
            "--now",
            "2026-11-24T00:00:00Z",
            "--facts",
            "facts.json",
        ])
        .args(["--policy", "patlint.toml", "--format", format])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    text(&out.stdout)
}

/// Each token's link, from the JSON report.
fn links() -> BTreeMap<String, url::Url> {
    let report: serde_json::Value = serde_json::from_str(&run("json")).unwrap();
    report["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|token| {
            let finding = &token["findings"][0];
            assert_eq!(finding["rule"], "token-expired", "{token}");
            let url = finding["fix_url"].as_str()?;
            Some((
                token["name"].as_str().unwrap().to_owned(),
                url::Url::parse(url).unwrap(),
            ))
        })
        .collect()
}

fn query(url: &url::Url) -> Vec<(String, String)> {
    url.query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn every_host_links_its_new_token_page_prefilled_where_it_allows() {
    let links = links();
    let classic = &links["classic-bot"];
    assert_eq!(classic.host_str(), Some("github.com"));
    assert_eq!(classic.path(), "/settings/tokens/new");
    // `repo` grants `repo:status`: the fewest scopes that grant all three.
    assert_eq!(
        query(classic),
        pairs(&[("scopes", "repo,workflow"), ("description", "classic-bot")])
    );

    let fine = &links["fine"];
    assert_eq!(fine.host_str(), Some("github.com"));
    assert_eq!(fine.path(), "/settings/personal-access-tokens/new");
    assert_eq!(
        query(fine),
        pairs(&[
            ("name", "fine"),
            ("description", "Checked by patlint as fine"),
            ("target_name", "octo-org"),
            ("expires_in", "30"),
            ("contents", "write"),
            ("pull_requests", "read"),
        ])
    );

    let ghes = &links["ghes"];
    assert_eq!(ghes.host_str(), Some("ghe.example.com"));
    assert_eq!(ghes.path(), "/settings/tokens/new");
    assert_eq!(
        query(ghes),
        pairs(&[("scopes", "read:org"), ("description", "ghes")])
    );

    let lab = &links["lab"];
    assert_eq!(lab.host_str(), Some("gitlab.example.com"));
    assert_eq!(lab.path(), "/gitlab/-/user_settings/personal_access_tokens");
    // `api` grants `read_api`.
    assert_eq!(query(lab), pairs(&[("name", "lab"), ("scopes", "api")]));

    assert_eq!(
        links["ado"].as_str(),
        "https://dev.azure.com/fabrikam/_usersSettings/tokens"
    );
    assert_eq!(
        links["tfs"].as_str(),
        "https://tfs.example.com/tfs/DefaultCollection/_usersSettings/tokens"
    );
    assert_eq!(
        links["bb"].as_str(),
        "https://id.atlassian.com/manage-profile/security/api-tokens"
    );
}

#[test]
fn the_human_report_prints_each_link_whole_on_its_own_line() {
    let human = run("human");
    for url in links().values() {
        let line = format!("  new token: {url}");
        assert!(
            human.lines().any(|l| l == line),
            "no line `{line}` in\n{human}"
        );
    }
}

#[test]
fn every_ci_format_carries_the_link() {
    let url = links()["classic-bot"].to_string();
    for format in ["sarif", "github", "gitlab", "junit", "azure"] {
        let out = run(format);
        // Workflow and logging commands escape `%`, XML `&`; their readers decode them.
        let escaped = [
            url.clone(),
            url.replace('%', "%25"),
            url.replace('%', "%AZP25"),
            url.replace('&', "&amp;"),
        ];
        assert!(
            escaped.iter().any(|u| out.contains(u.as_str())),
            "{format}: no {url} in\n{out}"
        );
    }
}
