//! `patlint audit` on a GitLab instance and a GitLab group, end to end through the binary,
//! against a local server answering as docs.gitlab.com documents: the token entity of
//! `api/personal_access_tokens.md` (list and `/self`), `api/group_access_tokens.md` and
//! `api/project_access_tokens.md` (with `access_level`), `api/groups.md` (projects,
//! descendant groups), `api/users.md` (`is_admin`) and the offset pagination headers of
//! `api/rest/index.md` (`x-next-page`, empty on the last page).

use crate::common;

use common::audit::{self, names, only_gets, rules, token as find};
use serde_json::{Value, json};
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const ADMIN: &str = "glpat-auditAdminToken0000000";
const JIRA: &str = "glpat-auditJiraToken00000000";
const GONE: &str = "glpat-auditGoneToken00000000";
const OWNER: &str = "glpat-auditGroupOwner0000000";
const DEPLOY: &str = "glpat-auditProjectDeploy0000";

const LIST: &str = "/api/v4/personal_access_tokens";
const SELF: &str = "/api/v4/personal_access_tokens/self";

/// The token entity, as the list example of `api/personal_access_tokens.md` gives it.
fn token(id: u64, name: &str, user_id: u64, expires_at: Value, last_used_at: Value) -> Value {
    json!({
        "id": id,
        "name": name,
        "revoked": false,
        "created_at": "2026-07-23T14:31:47.729Z",
        "description": "Test Token description",
        "scopes": ["api"],
        "user_id": user_id,
        "last_used_at": last_used_at,
        "active": true,
        "expires_at": expires_at
    })
}

/// A resource (group or project) access token: the same, with its role.
fn resource_token(id: u64, name: &str, bot: u64) -> Value {
    let mut token = token(id, name, bot, json!("2027-01-31"), json!(null));
    token["access_level"] = json!(40);
    token
}

/// `GET /personal_access_tokens/self` for a declared token: its own entity.
async fn self_token(server: &MockServer, secret: &str, entity: Value) {
    Mock::given(method("GET"))
        .and(path(SELF))
        .and(header("private-token", secret))
        .respond_with(ResponseTemplate::new(200).set_body_json(entity))
        .mount(server)
        .await;
}

/// `GET /user` for the inventory's token (`is_admin` only in an administrator's view).
async fn user(server: &MockServer, secret: &str, admin: bool) {
    let mut body =
        json!({ "id": 1, "username": "root", "name": "Administrator", "state": "active" });
    if admin {
        body["is_admin"] = json!(true);
    }
    Mock::given(method("GET"))
        .and(path("/api/v4/user"))
        .and(header("private-token", secret))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(server)
        .await;
}

/// A page of an offset-paginated listing: `x-next-page` is empty on the last one.
fn page(number: u32, next: &str, body: Value) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .insert_header("x-page", number.to_string().as_str())
        .insert_header("x-per-page", "100")
        .insert_header("x-next-page", next)
        .insert_header("x-prev-page", if number > 1 { "1" } else { "" })
        .set_body_json(body)
}

/// An instance whose administrator lists two pages of personal access tokens: jira's
/// (id 11) and alice's (id 12) first, then carol's (14) and a revoked one (13).
async fn instance(page_two: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    user(&server, ADMIN, true).await;
    // Administrator access: another user's tokens may be read (user 0 has none).
    Mock::given(method("GET"))
        .and(path(LIST))
        .and(query_param("user_id", "0"))
        .and(header("private-token", ADMIN))
        .respond_with(page(1, "", json!([])))
        .expect(1)
        .with_priority(1)
        .mount(&server)
        .await;
    self_token(
        &server,
        JIRA,
        token(11, "jira-sync", 3, json!("2027-01-01"), json!(null)),
    )
    .await;
    self_token(
        &server,
        GONE,
        token(99, "gone", 3, json!("2027-01-01"), json!(null)),
    )
    .await;
    Mock::given(method("GET"))
        .and(path(LIST))
        .and(query_param("state", "active"))
        .and(query_param("per_page", "100"))
        .and(query_param("page", "2"))
        .and(header("private-token", ADMIN))
        .respond_with(page_two)
        .expect(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(LIST))
        .and(query_param("state", "active"))
        .and(query_param("per_page", "100"))
        .and(header("private-token", ADMIN))
        .respond_with(page(
            1,
            "2",
            json!([
                token(
                    11,
                    "jira-sync",
                    3,
                    json!("2027-01-01"),
                    json!("2026-11-23T10:00:00.000Z")
                ),
                token(
                    12,
                    "old-deploy",
                    5,
                    json!(null),
                    json!("2025-01-01T00:00:00.000Z")
                ),
                // The administrator's own token: the listing itself is its last use.
                token(
                    15,
                    "audit",
                    1,
                    json!("2027-01-01"),
                    json!("2026-12-02T06:00:00.000Z")
                ),
            ]),
        ))
        .expect(1)
        .with_priority(2)
        .mount(&server)
        .await;
    server
}

fn second_page() -> ResponseTemplate {
    let mut revoked = token(13, "revoked", 5, json!("2026-01-01"), json!(null));
    revoked["revoked"] = json!(true);
    revoked["active"] = json!(false);
    page(
        2,
        "",
        json!([
            token(14, "bot", 7, json!("2027-03-01"), json!(null)),
            revoked
        ]),
    )
}

fn instance_policy(url: &str, extra: &str, gone: bool) -> String {
    let mut text = format!(
        r#"version = 1
{extra}
[[inventory]]
name = "gitlab-admin"
host = "gitlab"
url = "{url}"
secret = {{ env = "ADMIN" }}

[[token]]
name = "jira"
host = "gitlab"
url = "{url}"
secret = {{ env = "JIRA" }}
"#
    );
    if gone {
        text.push_str(&format!(
            "\n[[token]]\nname = \"gone\"\nhost = \"gitlab\"\nurl = \"{url}\"\nsecret = {{ env = \"GONE\" }}\n"
        ));
    }
    text
}

const SECRETS: [&str; 5] = [ADMIN, JIRA, GONE, OWNER, DEPLOY];

fn env() -> Vec<(String, String)> {
    audit::env(&[
        ("ADMIN", ADMIN),
        ("JIRA", JIRA),
        ("GONE", GONE),
        ("OWNER", OWNER),
        ("DEPLOY", DEPLOY),
    ])
}

/// `patlint audit --format json`: the exit code, the report and stderr.
async fn audit(policy: String) -> (i32, Value, String) {
    audit::run(policy, env(), &SECRETS, &[]).await
}

#[tokio::test]
async fn an_instance_listing_matches_declared_tokens_by_id_across_pages() {
    let server = instance(second_page()).await;
    let (code, report, stderr) = audit(instance_policy(&server.uri(), "", true)).await;
    // `gone` is a personal access token of the instance the administrator lists in full.
    assert_eq!(code, 1, "{report:#}{stderr}");
    let jira = find(&report, "jira");
    assert_eq!(
        jira["listed"]["id"], "11",
        "matched by the id /self gave: {jira:#}"
    );
    assert_eq!(jira["listed"]["declared"], true);
    assert!(
        rules(jira)
            .iter()
            .all(|(rule, _)| rule != "token-not-found"),
        "{jira:#}"
    );
    assert_eq!(
        rules(find(&report, "gone")),
        vec![("token-not-found".to_owned(), "error".to_owned())]
    );
    let listed = names(&report);
    assert!(
        !listed.contains(&"gitlab-admin.11"),
        "declared, so not undeclared: {listed:?}"
    );
    // Both pages were read; the revoked token is not one anyone can use.
    for undeclared in ["gitlab-admin.12", "gitlab-admin.14"] {
        let t = find(&report, undeclared);
        assert!(
            rules(t).contains(&("undeclared-token".to_owned(), "warning".to_owned())),
            "{t:#}"
        );
        assert_eq!(t["listed"]["declared"], false);
        assert_eq!(t["listed"]["source"], "GET /api/v4/personal_access_tokens");
    }
    assert!(!listed.contains(&"gitlab-admin.13"), "{listed:?}");
    assert!(
        !listed.contains(&"gitlab-admin"),
        "a complete listing has no findings of its own"
    );
    // What the listing says is judged: alice's token never expires.
    let alice = find(&report, "gitlab-admin.12");
    assert_eq!(alice["facts"]["expires_at"], Value::Null);
    assert_eq!(alice["facts"]["last_used_at"], "2025-01-01T00:00:00Z");
    assert_eq!(alice["listed"]["name"], "old-deploy");
    assert_eq!(alice["listed"]["owner"], "5");
    assert_eq!(
        find(&report, "gitlab-admin.14")["facts"]["expires_at"],
        "2027-03-01T00:00:00Z"
    );
    let own = find(&report, "gitlab-admin.15");
    assert!(own["facts"].get("last_used_at").is_none(), "{own:#}");
    only_gets(&server).await;
}

/// Admin Mode without `admin_mode`: `is_admin` is true, but GitLab refuses the token
/// other users' tokens, so its listing would be its own alone: an error, not a listing.
#[tokio::test]
async fn an_administrator_without_admin_access_is_refused() {
    let server = MockServer::start().await;
    user(&server, ADMIN, true).await;
    Mock::given(method("GET"))
        .and(path(LIST))
        .and(query_param("user_id", "0"))
        .respond_with(
            ResponseTemplate::new(401).set_body_json(json!({"message": "401 Unauthorized"})),
        )
        .expect(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(LIST))
        .respond_with(page(1, "", json!([])))
        .expect(0)
        .mount(&server)
        .await;
    let (code, report, _) = audit(instance_policy(&server.uri(), "", false)).await;
    assert_eq!(code, 3, "{report:#}");
    let inventory = find(&report, "gitlab-admin");
    let message = inventory["findings"][0]["message"].as_str().unwrap();
    assert!(message.contains("admin_mode"), "{message}");
}

#[tokio::test]
async fn undeclared_decides_what_an_unknown_token_does_to_the_gate() {
    let server = instance(second_page()).await;
    let (code, report, stderr) = audit(instance_policy(&server.uri(), "", false)).await;
    assert_eq!(code, 0, "warnings only: {report:#}{stderr}");
    assert!(
        rules(find(&report, "gitlab-admin.12"))
            .contains(&("undeclared-token".to_owned(), "warning".to_owned()))
    );

    let server = instance(second_page()).await;
    let fail = "[defaults]\nundeclared = \"fail\"\n";
    let (code, report, stderr) = audit(instance_policy(&server.uri(), fail, false)).await;
    assert_eq!(code, 1, "{report:#}{stderr}");
    for undeclared in ["gitlab-admin.12", "gitlab-admin.14"] {
        assert!(
            rules(find(&report, undeclared))
                .contains(&("undeclared-token".to_owned(), "error".to_owned()))
        );
    }
    assert!(
        rules(find(&report, "jira"))
            .iter()
            .all(|(rule, _)| rule != "undeclared-token")
    );
}

#[tokio::test]
async fn a_listing_cut_short_is_an_error_never_a_complete_answer() {
    let broken = [
        ResponseTemplate::new(500),
        // Not the page after 1: where the listing goes on is unknown.
        page(
            2,
            "7",
            json!([token(14, "bot", 7, json!(null), json!(null))]),
        ),
        // Page 2 without any pagination header: whether a page 3 exists is unknown.
        ResponseTemplate::new(200).set_body_json(json!([token(
            14,
            "bot",
            7,
            json!(null),
            json!(null)
        )])),
    ];
    for page_two in broken {
        let server = instance(page_two).await;
        let (code, report, stderr) = audit(instance_policy(&server.uri(), "", false)).await;
        assert_eq!(code, 3, "{report:#}{stderr}");
        let inventory = find(&report, "gitlab-admin");
        assert_eq!(rules(inventory)[0].0, "host-error", "{inventory:#}");
        let listed = names(&report);
        assert!(
            !listed.iter().any(|n| n.starts_with("gitlab-admin.")),
            "page 1 alone is not reported: {listed:?}"
        );
    }
    // GitLab.com may leave `x-next-page` out: a `Link` without `rel="next"` (the last
    // page's first and last) is the end.
    let last = ResponseTemplate::new(200)
        .insert_header(
            "link",
            "<https://gitlab.example.com/api/v4/personal_access_tokens?page=1>; rel=\"first\", <https://gitlab.example.com/api/v4/personal_access_tokens?page=2>; rel=\"last\"",
        )
        .set_body_json(json!([token(14, "bot", 7, json!(null), json!(null))]));
    let server = instance(last).await;
    let (code, report, stderr) = audit(instance_policy(&server.uri(), "", false)).await;
    assert_eq!(code, 0, "{report:#}{stderr}");
    assert!(names(&report).contains(&"gitlab-admin.14"));
    // But a full page with such a `Link` may have lost its `x-next-page` on the way.
    let full: Vec<Value> = (100..200)
        .map(|id| token(id, "bulk", 7, json!(null), json!(null)))
        .collect();
    let full = ResponseTemplate::new(200)
        .insert_header(
            "link",
            "<https://gitlab.example.com/api/v4/personal_access_tokens?page=1>; rel=\"first\"",
        )
        .set_body_json(Value::Array(full));
    let server = instance(full).await;
    let (code, report, _) = audit(instance_policy(&server.uri(), "", false)).await;
    assert_eq!(code, 3, "{report:#}");
    assert_eq!(rules(find(&report, "gitlab-admin"))[0].0, "host-error");
}

/// A token name is a host's text: a control character in it (which could rewrite a
/// terminal line) reaches no report.
#[tokio::test]
async fn a_hosts_control_characters_reach_no_report() {
    let hostile = page(
        2,
        "",
        json!([token(
            14,
            "x\u{1b}[2K\rpass  evil",
            7,
            json!(null),
            json!(null)
        )]),
    );
    let server = instance(hostile).await;
    let (out, _) = common::run_patlint(
        instance_policy(&server.uri(), "", false),
        env(),
        &["audit", "--now", "2026-11-24", "--retries", "0"],
    )
    .await;
    let human = common::text(&out.stdout);
    assert!(human.contains("x [2K pass  evil"), "{human}");
    assert!(
        !human.contains('\u{1b}') && !human.contains('\r'),
        "{human:?}"
    );
}

#[tokio::test]
async fn a_non_administrator_cannot_list_the_instance() {
    let server = MockServer::start().await;
    user(&server, ADMIN, false).await;
    self_token(
        &server,
        JIRA,
        token(11, "jira-sync", 3, json!("2027-01-01"), json!(null)),
    )
    .await;
    // A non-administrator's listing holds only its own tokens: never asked.
    Mock::given(path(LIST))
        .respond_with(page(1, "", json!([])))
        .expect(0)
        .mount(&server)
        .await;
    let (code, report, stderr) = audit(instance_policy(&server.uri(), "", false)).await;
    assert_eq!(code, 3, "{report:#}{stderr}");
    let inventory = find(&report, "gitlab-admin");
    assert_eq!(rules(inventory)[0].0, "host-error");
    let message = inventory["findings"][0]["message"].as_str().unwrap();
    assert!(message.contains("not an administrator"), "{message}");
    assert!(
        rules(find(&report, "jira"))
            .iter()
            .all(|(rule, _)| rule != "token-not-found")
    );
    only_gets(&server).await;
}

/// The group `acme/platform`: its access tokens, its subgroup `acme/platform/ops`'s, and
/// two projects (over two pages), each with its own project access tokens.
async fn group() -> MockServer {
    let server = MockServer::start().await;
    user(&server, OWNER, false).await;
    self_token(&server, DEPLOY, resource_token(31, "deploy", 501)).await;
    self_token(
        &server,
        JIRA,
        token(11, "jira-sync", 3, json!("2027-01-01"), json!(null)),
    )
    .await;
    let get = |p: &str| {
        Mock::given(method("GET"))
            .and(path(format!("/api/v4/{p}")))
            .and(header("private-token", OWNER))
    };
    get("groups/acme%2Fplatform/access_tokens")
        .and(query_param("state", "active"))
        .respond_with(page(1, "", json!([resource_token(21, "group-bot", 401)])))
        .expect(1)
        .mount(&server)
        .await;
    get("groups/acme%2Fplatform/descendant_groups")
        .respond_with(page(
            1,
            "",
            json!([{ "id": 77, "name": "ops", "path": "ops", "full_path": "acme/platform/ops" }]),
        ))
        .expect(1)
        .mount(&server)
        .await;
    get("groups/77/access_tokens")
        .and(query_param("state", "active"))
        .respond_with(page(1, "", json!([])))
        .expect(1)
        .mount(&server)
        .await;
    get("groups/acme%2Fplatform/projects")
        .and(query_param("page", "2"))
        .respond_with(page(
            2,
            "",
            json!([{ "id": 9, "name": "api", "path_with_namespace": "acme/platform/ops/api" }]),
        ))
        .expect(1)
        .with_priority(1)
        .mount(&server)
        .await;
    get("groups/acme%2Fplatform/projects")
        .and(query_param("include_subgroups", "true"))
        .and(query_param("with_shared", "false"))
        .respond_with(page(
            1,
            "2",
            json!([{ "id": 8, "name": "web", "path_with_namespace": "acme/platform/web" }]),
        ))
        .expect(1)
        .with_priority(2)
        .mount(&server)
        .await;
    get("projects/8/access_tokens")
        .and(query_param("state", "active"))
        .respond_with(page(1, "", json!([resource_token(31, "deploy", 501)])))
        .expect(1)
        .mount(&server)
        .await;
    get("projects/9/access_tokens")
        .and(query_param("state", "active"))
        .respond_with(page(1, "", json!([resource_token(32, "ci", 502)])))
        .expect(1)
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn a_group_listing_sees_its_access_tokens_and_says_what_it_cannot() {
    let server = group().await;
    let url = server.uri();
    let policy = format!(
        r#"version = 1
[[inventory]]
name = "platform"
host = "gitlab"
url = "{url}"
group = "acme/platform"
secret = {{ env = "OWNER" }}

[[token]]
name = "deploy"
host = "gitlab"
url = "{url}"
secret = {{ env = "DEPLOY" }}

[[token]]
name = "jira"
host = "gitlab"
url = "{url}"
secret = {{ env = "JIRA" }}
"#
    );
    let (code, report, stderr) = audit(policy).await;
    assert_eq!(code, 0, "{report:#}{stderr}");
    let deploy = find(&report, "deploy");
    assert_eq!(deploy["listed"]["id"], "31", "{deploy:#}");
    assert_eq!(
        deploy["listed"]["source"],
        "GET /api/v4/projects/8/access_tokens"
    );
    // A personal access token is not in a group's listing, and proves nothing by it.
    assert!(
        rules(find(&report, "jira"))
            .iter()
            .all(|(rule, _)| rule != "token-not-found")
    );
    for undeclared in ["platform.21", "platform.32"] {
        let t = find(&report, undeclared);
        assert!(
            rules(t).contains(&("undeclared-token".to_owned(), "warning".to_owned())),
            "{t:#}"
        );
    }
    assert_eq!(
        find(&report, "platform.21")["listed"]["source"],
        "GET /api/v4/groups/acme%2Fplatform/access_tokens"
    );
    let inventory = find(&report, "platform");
    assert_eq!(
        rules(inventory),
        vec![("inventory-incomplete".to_owned(), "warning".to_owned())]
    );
    let message = inventory["findings"][0]["message"].as_str().unwrap();
    assert!(message.contains("personal access tokens"), "{message}");
    only_gets(&server).await;
}

/// An instance whose `/self` and listing give token 11's `expires_at` as `expiry`, and
/// token 12's as a date.
async fn expiring(expiry: Value) -> MockServer {
    let server = MockServer::start().await;
    user(&server, ADMIN, true).await;
    Mock::given(method("GET"))
        .and(path(LIST))
        .and(query_param("user_id", "0"))
        .respond_with(page(1, "", json!([])))
        .with_priority(1)
        .mount(&server)
        .await;
    let jira = token(11, "jira-sync", 3, expiry, json!(null));
    self_token(&server, JIRA, jira.clone()).await;
    let date = token(12, "old-deploy", 5, json!("2027-01-01"), json!(null));
    Mock::given(method("GET"))
        .and(path(LIST))
        .and(query_param("state", "active"))
        .respond_with(page(1, "", json!([jira, date])))
        .with_priority(2)
        .mount(&server)
        .await;
    server
}

/// GitLab documents the token entity's `expires_at` as a date-time (gitlab-org/gitlab
/// `lib/api/entities/personal_access_token.rb`: `type: 'DateTime'`, example
/// `2020-08-31T15:53:00.073Z`): that is the instant; a date keeps its meaning (00:00 UTC
/// that day); anything else names the field and its shape, not `url`.
#[tokio::test]
async fn an_expiry_is_a_date_or_a_date_time_and_anything_else_names_the_field() {
    let server = expiring(json!("2026-12-31T15:53:00.073Z")).await;
    let (code, report, stderr) = audit(instance_policy(&server.uri(), "", false)).await;
    assert_ne!(code, 3, "{report:#}{stderr}");
    let jira = find(&report, "jira");
    assert_eq!(
        jira["facts"]["expires_at"], "2026-12-31T15:53:00.073Z",
        "{jira:#}"
    );
    assert_eq!(jira["listed"]["id"], "11", "{jira:#}");
    let dated = find(&report, "gitlab-admin.12");
    assert_eq!(dated["facts"]["expires_at"], "2027-01-01T00:00:00Z");

    let server = expiring(json!("31/12/2026")).await;
    let (code, report, stderr) = audit(instance_policy(&server.uri(), "", false)).await;
    assert_eq!(code, 3, "{report:#}{stderr}");
    let not_read = "is not a date (YYYY-MM-DD) or a date-time (a string shaped `99/99/9999`)";
    for (name, field) in [
        ("jira", "`expires_at` "),
        ("gitlab-admin", "`expires_at` of item 1 "),
    ] {
        let item = find(&report, name);
        assert_eq!(rules(item)[0].0, "host-error", "{item:#}");
        let message = item["findings"][0]["message"].as_str().unwrap();
        assert!(message.contains(&format!("{field}{not_read}")), "{message}");
        assert!(!message.contains("`url`"), "{message}");
    }
}
