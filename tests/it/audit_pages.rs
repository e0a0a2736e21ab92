//! `patlint audit` of listings many pages long, end to end through the binary: a GitHub
//! organization whose pages name the last one in `Link` (docs.github.com, "Using
//! pagination in the REST API": `next`, `last`, `prev`, `first`, no `last` on the last
//! page) and a GitLab instance whose pages say `x-total-pages` and `x-total`
//! (docs.gitlab.com/api/rest/#pagination). Once the first page names the last, the other
//! pages are asked at once; a page that fails, changes where the listing ends, or lists a
//! token another page listed (so that another is missing) leaves no listing, never a
//! shorter one. And a long listing's human report is a line per undeclared token.

use crate::common;

use common::audit::{self, names, rules, token};
use serde_json::{Value, json};
use wiremock::matchers::{header, method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

const APP: &str = "ghs_auditPagesInstallationToken0000000000";
const ADMIN: &str = "glpat-auditPagesAdmin0000000";
const PER_PAGE: u64 = 100;

/// Four full pages and a last of 50: 450 tokens, ids 1 to 450.
fn ids() -> Vec<Vec<u64>> {
    (0..5)
        .map(|page| {
            let first = page * PER_PAGE + 1;
            let last = if page == 4 { first + 49 } else { first + 99 };
            (first..=last).collect()
        })
        .collect()
}

/// An item of `GET /orgs/{org}/personal-access-tokens`
/// (github/rest-api-description, `organization-programmatic-access-grant`).
fn grant(id: u64) -> Value {
    json!({
        "id": id + 1000,
        "owner": { "login": format!("user-{:02}", id % 37), "id": id % 37, "type": "User" },
        "repository_selection": "subset",
        "repositories_url": "https://api.github.com/organizations/1/personal-access-tokens/1/repositories",
        "permissions": { "repository": { "metadata": "read" }, "organization": {}, "other": {} },
        "access_granted_at": "2026-06-01T00:00:00Z",
        "token_id": id,
        "token_name": format!("token-{id}"),
        "token_expired": false,
        "token_expires_at": if id.is_multiple_of(3) { Value::Null } else { json!("2027-01-01T00:00:00Z") },
        "token_last_used_at": null
    })
}

/// What page `page` of `last` says in GitHub's `Link`, `last` being the last page it
/// names (the listing's own, unless a test moves it).
fn github_link(uri: &str, page: usize, pages: usize, last: usize) -> String {
    let link = |n: usize, rel: &str| {
        format!(
            "<{uri}/organizations/1/personal-access-tokens?per_page=100&page={n}>; rel=\"{rel}\""
        )
    };
    let mut links = Vec::new();
    if page > 1 {
        links.push(link(page - 1, "prev"));
    }
    if page < pages {
        links.push(link(page + 1, "next"));
        links.push(link(last, "last"));
    }
    if page > 1 {
        links.push(link(1, "first"));
    }
    links.join(", ")
}

/// The organization `acme`: `pages` of grants, page `n` answered by
/// `answer(uri, n, default)`, and no SAML SSO.
async fn organization(
    pages: &[Vec<u64>],
    answer: impl Fn(&str, usize, ResponseTemplate) -> ResponseTemplate,
) -> MockServer {
    let server = MockServer::start().await;
    for (at, ids) in pages.iter().enumerate() {
        let page = at + 1;
        let body: Vec<Value> = ids.iter().map(|&id| grant(id)).collect();
        let mut default = ResponseTemplate::new(200).set_body_json(body);
        let link = github_link(&server.uri(), page, pages.len(), pages.len());
        if !link.is_empty() {
            default = default.insert_header("link", link.as_str());
        }
        let mock = Mock::given(method("GET"))
            .and(path("/orgs/acme/personal-access-tokens"))
            .and(header("authorization", format!("Bearer {APP}").as_str()));
        let mock = match page {
            1 => mock.and(query_param_is_missing("page")),
            n => mock.and(query_param("page", n.to_string())),
        };
        mock.respond_with(answer(&server.uri(), page, default))
            .expect(..=1)
            .mount(&server)
            .await;
    }
    // No fine-grained token awaits the organization's approval.
    Mock::given(method("GET"))
        .and(path("/orgs/acme/personal-access-token-requests"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/orgs/acme/credential-authorizations"))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({
            "message": "Not Found",
            "documentation_url": "https://docs.github.com/rest/orgs/orgs#list-saml-sso-authorizations-for-an-organization"
        })))
        .mount(&server)
        .await;
    server
}

fn github_policy(url: &str) -> String {
    format!(
        "version = 1\n\n[[inventory]]\nname = \"acme-github\"\nhost = \"github\"\nurl = \"{url}\"\norganization = \"acme\"\nsecret = {{ env = \"APP\" }}\n"
    )
}

async fn audit_github(server: &MockServer) -> (i32, Value, String) {
    audit::run(
        github_policy(&server.uri()),
        audit::env(&[("APP", APP)]),
        &[APP],
        &[],
    )
    .await
}

/// The page numbers of `listing` asked for, in order (page 1 asks with none).
async fn pages_asked(server: &MockServer, listing: &str) -> Vec<usize> {
    let requests = server.received_requests().await.unwrap();
    let mut asked: Vec<usize> = requests
        .iter()
        .filter(|r| r.url.path() == listing && r.url.query_pairs().all(|(k, _)| k != "user_id"))
        .map(|r| {
            r.url
                .query_pairs()
                .find(|(k, _)| k == "page")
                .map_or(1, |(_, v)| v.parse().unwrap())
        })
        .collect();
    asked.sort_unstable();
    asked
}

/// The undeclared tokens the report lists for `inventory`.
fn listed(report: &Value, inventory: &str) -> usize {
    let prefix = format!("{inventory}.");
    names(report)
        .iter()
        .filter(|n| n.starts_with(&prefix))
        .count()
}

/// The inventory's own `host-error`, and that no listed token was reported.
fn no_listing(code: i32, report: &Value, stderr: &str, inventory: &str, why: &str) {
    assert_eq!(code, 3, "{report:#}{stderr}");
    let own = token(report, inventory);
    assert_eq!(rules(own)[0].0, "host-error", "{own:#}");
    let message = own["findings"][0]["message"].as_str().unwrap();
    assert!(message.contains(why), "{why}: {message}");
    assert_eq!(listed(report, inventory), 0, "{report:#}");
}

#[tokio::test]
async fn every_page_of_a_listing_that_names_its_last_is_read_once() {
    let server = organization(&ids(), |_, _, page| page).await;
    let (code, report, stderr) = audit_github(&server).await;
    assert_eq!(code, 0, "warnings only: {report:#}{stderr}");
    assert_eq!(listed(&report, "acme-github"), 450);
    let t = token(&report, "acme-github.300");
    assert_eq!(t["listed"]["name"], "token-300");
    assert!(rules(t).contains(&audit::finding("undeclared-token", "warning")));
    // Each page was asked once, and nothing but GET reached the host.
    assert_eq!(
        pages_asked(&server, "/orgs/acme/personal-access-tokens").await,
        [1, 2, 3, 4, 5]
    );
    audit::only_gets(&server).await;
}

#[tokio::test]
async fn a_page_that_fails_in_the_middle_leaves_no_listing() {
    let server = organization(&ids(), |_, page, answer| match page {
        3 => ResponseTemplate::new(502),
        _ => answer,
    })
    .await;
    let (code, report, stderr) = audit_github(&server).await;
    no_listing(code, &report, &stderr, "acme-github", "answered 502");
}

#[tokio::test]
async fn a_page_that_moves_the_last_page_leaves_no_listing() {
    // Page 3 says the listing ends at page 6: it grew while it was read.
    let server = organization(&ids(), |uri, page, answer| match page {
        3 => answer.insert_header("link", github_link(uri, 3, 5, 6).as_str()),
        _ => answer,
    })
    .await;
    let (code, report, stderr) = audit_github(&server).await;
    no_listing(
        code,
        &report,
        &stderr,
        "acme-github",
        "page 3 says the last page is page 6, where page 1 said 5 pages",
    );
}

#[tokio::test]
async fn a_page_that_overlaps_the_one_before_leaves_no_listing() {
    // A token was added before page 3 was read: page 3 starts with page 2's last token,
    // and the token that would have ended page 3 is on no page read.
    let mut pages = ids();
    pages[2].insert(0, 200);
    pages[2].pop();
    let server = organization(&pages, |_, _, answer| answer).await;
    let (code, report, stderr) = audit_github(&server).await;
    no_listing(
        code,
        &report,
        &stderr,
        "acme-github",
        "listed an item on page 3 that page 2 listed too",
    );
}

#[tokio::test]
async fn a_page_short_of_a_full_one_before_the_last_leaves_no_listing() {
    // A token was revoked between page 2 and page 3 being read: one token moved from page
    // 3 to page 2, which was already read, so it is on no page read.
    let mut pages = ids();
    pages[2].remove(0);
    let server = organization(&pages, |_, _, answer| answer).await;
    let (code, report, stderr) = audit_github(&server).await;
    no_listing(
        code,
        &report,
        &stderr,
        "acme-github",
        "page 3 holds 99 items where a page before the last holds 100",
    );
}

/// An item of `GET /api/v4/personal_access_tokens` (docs.gitlab.com,
/// `api/personal_access_tokens.md`).
fn gitlab_token(id: u64) -> Value {
    json!({
        "id": id, "name": format!("token-{id}"), "revoked": false,
        "created_at": "2026-07-23T14:31:47.729Z", "description": "",
        "scopes": ["read_api"], "user_id": 2 + id % 11, "last_used_at": null,
        "active": true, "expires_at": "2027-01-01"
    })
}

/// A GitLab instance whose administrator lists `pages` of tokens with GitLab's offset
/// pagination headers (`x-total` and `x-total-pages` only when `totals`); page `n`
/// answered by `answer(n, default)`.
async fn instance(
    pages: &[Vec<u64>],
    totals: bool,
    answer: impl Fn(usize, ResponseTemplate) -> ResponseTemplate,
) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v4/user"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({ "id": 1, "username": "root", "state": "active", "is_admin": true }),
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v4/personal_access_tokens"))
        .and(query_param("user_id", "0"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .mount(&server)
        .await;
    let total: usize = pages.iter().map(Vec::len).sum();
    for (at, ids) in pages.iter().enumerate() {
        let page = at + 1;
        let body: Vec<Value> = ids.iter().map(|&id| gitlab_token(id)).collect();
        let next = match page < pages.len() {
            true => (page + 1).to_string(),
            false => String::new(),
        };
        let mut default = ResponseTemplate::new(200)
            .insert_header("x-page", page.to_string().as_str())
            .insert_header("x-per-page", "100")
            .insert_header("x-next-page", next.as_str())
            .set_body_json(body);
        if totals {
            default = default
                .insert_header("x-total", total.to_string().as_str())
                .insert_header("x-total-pages", pages.len().to_string().as_str());
        }
        let mock = Mock::given(method("GET"))
            .and(path("/api/v4/personal_access_tokens"))
            .and(query_param("state", "active"))
            .and(header("private-token", ADMIN));
        let mock = match page {
            1 => mock.and(query_param_is_missing("page")),
            n => mock.and(query_param("page", n.to_string())),
        };
        mock.respond_with(answer(page, default))
            .expect(..=1)
            .mount(&server)
            .await;
    }
    server
}

async fn audit_gitlab(server: &MockServer) -> (i32, Value, String) {
    let url = server.uri();
    let policy = format!(
        "version = 1\n\n[[inventory]]\nname = \"gitlab-admin\"\nhost = \"gitlab\"\nurl = \"{url}\"\nsecret = {{ env = \"ADMIN\" }}\n"
    );
    audit::run(policy, audit::env(&[("ADMIN", ADMIN)]), &[ADMIN], &[]).await
}

#[tokio::test]
async fn gitlab_pages_must_agree_on_the_total() {
    let server = instance(&ids(), true, |_, page| page).await;
    let (code, report, stderr) = audit_gitlab(&server).await;
    assert_eq!(code, 0, "{report:#}{stderr}");
    assert_eq!(listed(&report, "gitlab-admin"), 450);
    let listing = "/api/v4/personal_access_tokens";
    assert_eq!(pages_asked(&server, listing).await, [1, 2, 3, 4, 5]);

    // Page 4 says there are 6 pages.
    let server = instance(&ids(), true, |page, answer| match page {
        4 => answer.insert_header("x-total-pages", "6"),
        _ => answer,
    })
    .await;
    let (code, report, stderr) = audit_gitlab(&server).await;
    no_listing(
        code,
        &report,
        &stderr,
        "gitlab-admin",
        "page 4 says the last page is page 6, where page 1 said 5 pages of 450 items",
    );

    // Page 2 counts one more token than page 1 did.
    let server = instance(&ids(), true, |page, answer| match page {
        2 => answer.insert_header("x-total", "451"),
        _ => answer,
    })
    .await;
    let (code, report, stderr) = audit_gitlab(&server).await;
    no_listing(
        code,
        &report,
        &stderr,
        "gitlab-admin",
        "page 2 counts 451 items",
    );
}

/// Past 10,000 tokens GitLab sends no `x-total-pages` or `x-total`
/// (docs.gitlab.com/api/rest/#pagination-response-headers): each page's `x-next-page` is
/// followed in turn, and the listing is as complete as when the total is said.
#[tokio::test]
async fn gitlab_pages_without_a_total_are_followed_in_turn() {
    let server = instance(&ids(), false, |_, page| page).await;
    let (code, report, stderr) = audit_gitlab(&server).await;
    assert_eq!(code, 0, "{report:#}{stderr}");
    assert_eq!(listed(&report, "gitlab-admin"), 450);
    let listing = "/api/v4/personal_access_tokens";
    assert_eq!(pages_asked(&server, listing).await, [1, 2, 3, 4, 5]);
}

/// `patlint audit` in the human format.
async fn human_report(policy: String) -> String {
    let (out, _) = common::run_patlint(
        policy,
        audit::env(&[("APP", APP)]),
        &["audit", "--now", "2026-11-24", "--retries", "0"],
    )
    .await;
    let human = common::text(&out.stdout);
    common::assert_no_secret(APP, "the human report", &human);
    human
}

/// The human report of a long listing: one diagnostic for the inventory's undeclared
/// tokens, and one line for each, whatever their findings.
#[tokio::test]
async fn a_long_listing_is_a_line_per_token_in_the_human_report() {
    let server = organization(&ids(), |_, _, page| page).await;
    let url = server.uri();
    let policy = format!(
        "{}\n[defaults]\nmax_lifespan = \"90d\"\non_unverifiable = \"warn\"\n",
        github_policy(&url)
    );
    let human = human_report(policy.clone()).await;
    let lines = human.lines().count();
    assert!(
        lines <= 450 + 60,
        "{lines} lines for 450 listed tokens:\n{human}"
    );
    // Each token on exactly one line, with its owner, id and expiry beside its name.
    for id in [1_u64, 3, 300, 450] {
        let name = format!(" token-{id} ");
        let rows: Vec<&str> = human.lines().filter(|l| l.contains(&name)).collect();
        assert_eq!(rows.len(), 1, "{name}: {rows:?}");
        let expiry = if id.is_multiple_of(3) {
            "never"
        } else {
            "2027-01-01"
        };
        for part in [
            format!("user-{:02}", id % 37),
            format!(" {id} "),
            expiry.to_owned(),
        ] {
            assert!(rows[0].contains(&part), "{part}: {}", rows[0]);
        }
    }
    assert_eq!(
        human
            .matches("lists 450 tokens that no [[token]] declares")
            .count(),
        1
    );
    // By owner, and within an owner the most severe first.
    let rows: Vec<&str> = human
        .lines()
        .filter(|l| l.trim_start().starts_with("user-"))
        .collect();
    assert_eq!(rows.len(), 450);
    let owners: Vec<&str> = rows
        .iter()
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert!(owners.windows(2).all(|w| w[0] <= w[1]), "{owners:?}");
    let severity = |row: &str| match row.contains("error:") {
        true => 2,
        false => 1,
    };
    for pair in rows.windows(2) {
        let owner = |row: &str| row.split_whitespace().next().unwrap().to_owned();
        if owner(pair[0]) == owner(pair[1]) {
            assert!(severity(pair[0]) >= severity(pair[1]), "{pair:?}");
        }
    }
    assert!(
        human.contains(
            "acme-github: 450 undeclared tokens (150 fail, 300 pass), in the table above"
        ),
        "{human}"
    );

    // Waived for them all: still a line each, the waiver said where the findings are.
    let server = organization(&ids(), |_, _, page| page).await;
    let policy = policy.replace(&url, &server.uri());
    let waived = format!(
        "{policy}\n[[waiver]]\ntoken = \"acme-github.*\"\nrule = \"undeclared-token\"\nuntil = \"2027-01-01\"\nreason = \"being sorted out\"\n"
    );
    let human = human_report(waived).await;
    let row = human.lines().find(|l| l.contains(" token-3 ")).unwrap();
    assert!(row.contains("waived: undeclared-token"), "{row}");
    assert!(row.contains("error: no-expiry"), "{row}");
    assert!(human.lines().count() <= 450 + 60);
}
