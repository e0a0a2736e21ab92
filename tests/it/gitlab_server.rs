//! GitLab's answers as its source gives them, for the GitLab test modules: the token
//! entities of lib/api/entities/personal_access_token*.rb (`granular`, and
//! `granular_scopes` from `GET /personal_access_tokens/:id`), a grant of
//! lib/api/entities/personal_access_token_granular_scope.rb, the project of
//! `GET /projects/:id` (docs.gitlab.com/api/projects/#get-a-single-project), and GitLab's
//! refusals: `insufficient_granular_scope` (app/services/authz/tokens/authorize_granular_scopes_service.rb,
//! 403 by spec/lib/api/api_guard_spec.rb) and `render_api_error!`'s messages
//! (lib/api/helpers.rb).

#![allow(dead_code)] // each test module uses its own share

use serde_json::{Value, json};
use wiremock::matchers::{header, method, path, path_regex};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

pub const SELF: &str = "/api/v4/personal_access_tokens/self";

/// The token entity `/self` gives: a fine-grained token is `granular: true`, its one
/// scope `granular` (app/services/authn/personal_access_tokens/create_granular_service.rb).
pub fn token(id: u64, user: u64, fine_grained: bool) -> Value {
    json!({
        "id": id,
        "name": "jira",
        "revoked": false,
        "created_at": "2026-11-01T15:00:00.000Z",
        "description": "Jira integration",
        "scopes": if fine_grained { json!(["granular"]) } else { json!(["api"]) },
        "user_id": user,
        "last_used_at": "2026-11-23T10:00:00.000Z",
        "active": true,
        "expires_at": "2027-01-15",
        "last_used_ips": ["192.0.2.1"],
        "granular": fine_grained
    })
}

/// The same entity with its grants, as `GET /personal_access_tokens/:id` gives it.
pub fn with_grants(mut entity: Value, grants: Vec<Value>) -> Value {
    entity["granular_scopes"] = Value::Array(grants);
    entity
}

/// One grant: `access`, `permissions`, and `project_id` or `group_id` (null otherwise).
pub fn grant(
    access: &str,
    permissions: &[&str],
    project: Option<u64>,
    group: Option<u64>,
) -> Value {
    json!({
        "access": access,
        "permissions": permissions,
        "project_id": project,
        "group_id": group
    })
}

/// `GET /projects/:id`: the fields the API documents that patlint reads, among others.
pub fn project(id: u64, full_path: &str, visibility: &str, namespace: (u64, &str)) -> Value {
    let (namespace_id, kind) = namespace;
    let (parent, name) = full_path.rsplit_once('/').unwrap();
    let mut body = json!({
        "id": id,
        "description": null,
        "name": name,
        "path": name,
        "path_with_namespace": full_path,
        "default_branch": "main",
        "visibility": visibility,
        "web_url": format!("https://gitlab.example.com/{full_path}"),
        "namespace": {
            "id": namespace_id,
            "name": parent.rsplit('/').next().unwrap(),
            "path": parent.rsplit('/').next().unwrap(),
            "kind": kind,
            "full_path": parent,
            "parent_id": null
        },
        "archived": false
    });
    if kind == "user" {
        body["owner"] = json!({"id": namespace_id, "username": parent, "name": parent});
    }
    body
}

/// `GET /groups/:id`: its id and full path, among others.
pub fn group(id: u64, full_path: &str) -> Value {
    json!({
        "id": id,
        "name": full_path.rsplit('/').next().unwrap(),
        "path": full_path.rsplit('/').next().unwrap(),
        "full_path": full_path,
        "visibility": "private",
        "parent_id": null
    })
}

/// GitLab's 403 for a grant that lacks what the request needs.
pub fn granular_refusal(boundary: &str, permissions: &str) -> ResponseTemplate {
    ResponseTemplate::new(403).set_body_json(json!({
        "error": "insufficient_granular_scope",
        "error_description": format!("Access denied: This operation requires a fine-grained personal access token with the following {boundary} permissions: [{permissions}].")
    }))
}

/// GitLab's 404 for a project the token does not reach.
pub fn project_not_found() -> ResponseTemplate {
    ResponseTemplate::new(404).set_body_json(json!({"message": "404 Project Not Found"}))
}

/// A GET of `path` with the token `secret`, answered with `response`.
pub async fn answer(server: &MockServer, secret: &str, at: &str, response: ResponseTemplate) {
    Mock::given(method("GET"))
        .and(path(at))
        .and(header("private-token", secret))
        .respond_with(response)
        .mount(server)
        .await;
}

/// `GET /projects/:id` of `full_path`, answered with `response`.
pub async fn project_answer(server: &MockServer, full_path: &str, response: ResponseTemplate) {
    Mock::given(method("GET"))
        .and(path(format!(
            "/api/v4/projects/{}",
            full_path.replace('/', "%2F")
        )))
        .respond_with(response)
        .mount(server)
        .await;
}

/// Every project, private, in a group named by its path: for tests about something else.
pub async fn any_project(server: &MockServer) {
    Mock::given(method("GET"))
        .and(path_regex(r"^/api/v4/projects/[^/]+$"))
        .respond_with(AnyProject)
        .mount(server)
        .await;
}

struct AnyProject;

impl Respond for AnyProject {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let full_path = request
            .url
            .path()
            .trim_start_matches("/api/v4/projects/")
            .replace("%2F", "/");
        ResponseTemplate::new(200).set_body_json(project(900, &full_path, "private", (90, "group")))
    }
}

/// The paths GitLab was asked, in order, without their query.
pub async fn asked(server: &MockServer) -> Vec<String> {
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| r.url.path().to_owned())
        .collect()
}

/// A GitLab token's policy: `url` is the server, the secret in `GL`, `extra` its other keys.
pub fn policy(server: &MockServer, extra: &str) -> String {
    format!(
        "version = 1\n[[token]]\nname = \"jira\"\nhost = \"gitlab\"\nurl = \"{}\"\nsecret = {{ env = \"GL\" }}\n{extra}",
        server.uri()
    )
}

/// `patlint check --format json --now 2026-11-24` with `secret` in `GL`: the exit code and
/// the report, with no part of the secret in either stream.
pub async fn check(policy: String, secret: &str) -> (i32, Value) {
    let (out, _) = crate::common::run_patlint(
        policy,
        vec![("GL".into(), secret.into())],
        &["check", "--format", "json", "--now", "2026-11-24"],
    )
    .await;
    let stdout = crate::common::text(&out.stdout);
    let stderr = crate::common::text(&out.stderr);
    crate::common::assert_no_secret(secret, "stdout", &stdout);
    crate::common::assert_no_secret(secret, "stderr", &stderr);
    let json = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}{stderr}"));
    (crate::common::code(&out), json)
}

/// The first token's status, its findings' rules, and every message with its evidence.
pub fn verdict(report: &Value) -> (String, Vec<String>, String) {
    let token = &report["tokens"][0];
    let findings = token["findings"].as_array().unwrap();
    (
        token["status"].as_str().unwrap().to_owned(),
        findings
            .iter()
            .map(|f| f["rule"].as_str().unwrap().to_owned())
            .collect(),
        findings
            .iter()
            .map(|f| {
                format!(
                    "{} [{}] help: {}",
                    f["message"].as_str().unwrap(),
                    f["evidence"].as_str().unwrap_or_default(),
                    f["help"].as_str().unwrap_or_default()
                )
            })
            .collect::<Vec<_>>()
            .join("\n"),
    )
}
