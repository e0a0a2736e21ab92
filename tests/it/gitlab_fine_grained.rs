//! GitLab fine-grained personal access tokens against a local server answering as GitLab's
//! source does (`gitlab_server`): the kind and its grants (read from
//! `/personal_access_tokens/:id` after `/self`), `require_permissions` and
//! `forbid_permissions` judged through GitLab's boundaries, a token that may not read
//! itself, the read of each project standing in for unreadable grants, scope keys asked of
//! a fine-grained token, and the policy's validation.

use serde_json::Value;
use wiremock::{MockServer, ResponseTemplate};

use crate::common;
use crate::gitlab_server::{
    SELF, answer, asked, check, grant, granular_refusal, group, policy, project, project_answer,
    token, verdict, with_grants,
};
use patlint::facts::{Observation, TokenKind};
use patlint::hosts::OwnRequirements;
use patlint::hosts::gitlab::GitLab;

const PAT: &str = "glpat-canaryFineGrained00000";
const ID: &str = "/api/v4/personal_access_tokens/42";
/// The token's user.
const USER: u64 = 7;

/// A fine-grained token whose `/:id` lists `grants`.
async fn fine_grained(grants: Vec<Value>) -> MockServer {
    let server = MockServer::start().await;
    answer(&server, PAT, SELF, ok(token(42, USER, true))).await;
    answer(
        &server,
        PAT,
        ID,
        ok(with_grants(token(42, USER, true), grants)),
    )
    .await;
    server
}

fn ok(body: Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(body)
}

/// `acme/team/app` (id 70) and `acme/team/web` (72) in subgroup `acme/team` (id 5),
/// `acme/platform/api` (71) in subgroup `acme/platform` (6), both in top-level group
/// `acme` (4); `user7/tool` (73), the user's own.
async fn projects(server: &MockServer) {
    for (id, path, namespace) in [
        (70, "acme/team/app", (5, "group")),
        (71, "acme/platform/api", (6, "group")),
        (72, "acme/team/web", (5, "group")),
        (73, "user7/tool", (USER, "user")),
    ] {
        project_answer(server, path, ok(project(id, path, "private", namespace))).await;
    }
}

const PAT_READ: &str = "read_personal_access_token";

/// GitLab's answer at `at` to a fine-grained token without `read_personal_access_token`.
async fn may_not_read_itself(server: &MockServer, at: &str) {
    let refusal = granular_refusal("user", "Personal Access Token: Read");
    answer(server, PAT, at, refusal).await;
}

#[tokio::test]
async fn a_fine_grained_token_is_its_own_kind_with_its_grants_from_its_id() {
    let grants = vec![
        grant("user", &[PAT_READ], None, None),
        grant(
            "selected_memberships",
            &["read_project", "create_merge_request"],
            Some(70),
            None,
        ),
    ];
    let server = fine_grained(grants).await;
    projects(&server).await;
    let text = policy(&server, "projects = [\"acme/team/app\"]\n").replace(
        "secret = { env = \"GL\" }",
        "secret = { file = \"SECRET0\" }",
    );
    let observation = common::observe_policy(&text, &[PAT], common::quick_settings())
        .await
        .remove(0);
    let Observation::Observed { facts } = &observation else {
        panic!("{observation:?}")
    };
    assert_eq!(facts.kind, TokenKind::FineGrainedPat);
    assert!(facts.scopes.is_unobservable());
    let record = serde_json::to_value(&**facts).unwrap();
    assert_eq!(record["kind"], "fine-grained-pat");
    assert_eq!(record["granular_scopes"][1]["project_id"], 70);
    assert_eq!(
        record["granular_scopes"][1]["permissions"][1],
        "create_merge_request"
    );
    assert_eq!(
        asked(&server).await,
        [SELF, ID, "/api/v4/projects/acme%2Fteam%2Fapp"].map(str::to_owned),
        "/self first, then the grants and the project together"
    );

    let (exit, report) = check(
        policy(&server, "projects = [\"acme/team/app\"]\nrequire_permissions = [\"read_project\", \"create_merge_request\"]\n"),
        PAT,
    )
    .await;
    let (status, _, messages) = verdict(&report);
    assert_eq!((exit, status.as_str()), (0, "pass"), "{messages}");
    let facts = &report["tokens"][0]["facts"];
    assert_eq!(facts["kind"], "fine-grained-pat");
    assert!(facts.get("scopes").is_none());
    assert_eq!(facts["granular_scopes"][0]["access"], "user");
}

#[tokio::test]
async fn required_permissions_are_judged_on_each_project_through_the_boundary() {
    let grants = vec![
        grant("user", &[PAT_READ], None, None),
        // On `acme/team/app` only: not on `acme/team/web`, a project of the same group.
        grant(
            "selected_memberships",
            &["create_merge_request"],
            Some(70),
            None,
        ),
        // On top-level group `acme`, so on every project of its subgroups.
        grant("selected_memberships", &["push_code"], None, Some(4)),
        // The user's own projects only.
        grant("personal_projects", &["create_branch"], None, None),
    ];
    let server = fine_grained(grants).await;
    projects(&server).await;
    answer(&server, PAT, "/api/v4/groups/4", ok(group(4, "acme"))).await;
    let text = policy(
        &server,
        "projects = [\"acme/team/app\", \"acme/platform/api\", \"acme/team/web\", \"user7/tool\"]\nrequire_permissions = [\"create_merge_request\", \"push_code\", \"create_branch\"]\n",
    );
    let (exit, report) = check(text, PAT).await;
    let (status, rules, messages) = verdict(&report);
    assert_eq!((exit, status.as_str()), (1, "fail"), "{messages}");
    let lacks = |permission: &str, project: &str| {
        messages.contains(&format!(
            "lacks the fine-grained permission `{permission}` on `{project}`"
        ))
    };
    assert!(lacks("create_merge_request", "acme/team/web"), "{messages}");
    assert!(
        lacks("create_merge_request", "acme/platform/api"),
        "{messages}"
    );
    assert!(lacks("create_merge_request", "user7/tool"), "{messages}");
    assert!(
        !lacks("create_merge_request", "acme/team/app"),
        "{messages}"
    );
    // `push_code` on group `acme` reaches its projects and its subgroup's, not the user's.
    assert!(lacks("push_code", "user7/tool"), "{messages}");
    assert!(
        !lacks("push_code", "acme/platform/api") && !lacks("push_code", "acme/team/web"),
        "{messages}"
    );
    // `create_branch` on the personal projects reaches only the user's own.
    assert!(
        !lacks("create_branch", "user7/tool") && lacks("create_branch", "acme/team/app"),
        "{messages}"
    );
    assert!(rules.iter().all(|r| r == "missing-permission"), "{rules:?}");
    assert!(
        messages.contains("`granular_scopes` in GET /api/v4/personal_access_tokens/42"),
        "{messages}"
    );
    // No project sits right in `acme`: GitLab was asked where group 4 is, once.
    let paths = asked(&server).await;
    assert_eq!(
        paths.iter().filter(|p| *p == "/api/v4/groups/4").count(),
        1,
        "{paths:?}"
    );
    assert!(!paths.iter().any(|p| p == "/api/v4/groups/5"), "{paths:?}");
}

#[tokio::test]
async fn all_memberships_reach_every_project_and_forbidden_permissions_fail_anywhere() {
    let grants = vec![
        grant(
            "all_memberships",
            &["read_project", "create_merge_request"],
            None,
            None,
        ),
        grant("selected_memberships", &["delete_project"], Some(999), None),
    ];
    let server = fine_grained(grants).await;
    projects(&server).await;
    let text = policy(
        &server,
        "projects = [\"acme/team/app\", \"acme/team/web\"]\nrequire_permissions = [\"read_project\", \"create_merge_request\"]\nforbid_permissions = [\"delete_project\", \"push_code\"]\n",
    );
    let (exit, report) = check(text, PAT).await;
    let (status, rules, messages) = verdict(&report);
    assert_eq!((exit, status.as_str()), (1, "fail"), "{messages}");
    assert_eq!(rules, ["forbidden-permission"], "{messages}");
    assert!(
        messages.contains("holds the forbidden permission `delete_project` (on project id 999)"),
        "{messages}"
    );
    // No grant names a group: GitLab is asked nothing about groups.
    assert!(
        !asked(&server)
            .await
            .iter()
            .any(|p| p.starts_with("/api/v4/groups"))
    );
}

#[tokio::test]
async fn a_token_that_may_not_read_itself_is_unverifiable_and_says_what_to_grant() {
    let server = MockServer::start().await;
    may_not_read_itself(&server, SELF).await;
    let text = policy(&server, "max_lifespan = \"90d\"\n");
    let (exit, report) = check(text, PAT).await;
    let (status, rules, messages) = verdict(&report);
    assert_eq!((exit, status.as_str()), (1, "unverifiable"), "{messages}");
    assert_eq!(rules, ["unverifiable"], "{messages}");
    assert!(
        messages
            .contains("fine-grained personal access token without `read_personal_access_token`")
            && messages.contains("Personal Access Token: Read"),
        "{messages}"
    );
    assert_eq!(report["tokens"][0]["facts"]["kind"], "fine-grained-pat");
    assert_eq!(asked(&server).await, [SELF], "no /:id without an id");
}

#[tokio::test]
async fn without_its_grants_each_projects_read_settles_read_project_and_nothing_else() {
    let server = MockServer::start().await;
    may_not_read_itself(&server, SELF).await;
    project_answer(
        &server,
        "acme/team/app",
        ok(project(70, "acme/team/app", "private", (5, "group"))),
    )
    .await;
    project_answer(
        &server,
        "acme/open",
        ok(project(74, "acme/open", "public", (5, "group"))),
    )
    .await;
    project_answer(
        &server,
        "acme/team/web",
        granular_refusal("project", "Project: Read"),
    )
    .await;
    project_answer(
        &server,
        "acme/proxied",
        ResponseTemplate::new(403).set_body_raw("<html>denied</html>", "text/html"),
    )
    .await;
    let requirements = "require_permissions = [\"read_project\", \"create_merge_request\"]\n";
    let one = |project: &str| {
        policy(
            &server,
            &format!("projects = [\"{project}\"]\n{requirements}"),
        )
    };

    // A private project answered 200: `read_project` holds; the rest cannot be known.
    let (_, report) = check(one("acme/team/app"), PAT).await;
    let (status, rules, messages) = verdict(&report);
    assert_eq!(
        (status.as_str(), rules.len()),
        ("unverifiable", 1),
        "{messages}"
    );
    assert!(
        messages.contains("`create_merge_request`") && !messages.contains("`read_project` on"),
        "{messages}"
    );

    // GitLab's refusal names the permission: missing, whatever else is unknown.
    let (exit, report) = check(one("acme/team/web"), PAT).await;
    let (status, rules, messages) = verdict(&report);
    assert_eq!((exit, status.as_str()), (1, "fail"), "{messages}");
    assert!(
        rules.contains(&"missing-permission".to_owned()),
        "{rules:?}"
    );
    assert!(
        messages.contains("lacks the fine-grained permission `read_project` on `acme/team/web`")
            && messages.contains("[Project: Read]"),
        "{messages}"
    );

    // A public project's 200, and a proxy's 403, prove nothing of `read_project`.
    for (project, why) in [
        ("acme/open", "is public"),
        ("acme/proxied", "403 (text/html)"),
    ] {
        let (_, report) = check(one(project), PAT).await;
        let (status, _, messages) = verdict(&report);
        assert_eq!(status, "unverifiable", "{project}: {messages}");
        assert!(messages.contains(why), "{project}: {messages}");
        assert!(!messages.contains("lacks"), "{project}: {messages}");
    }
}

#[tokio::test]
async fn grants_gitlab_will_not_show_are_unverifiable_with_the_reason() {
    let server = MockServer::start().await;
    answer(&server, PAT, SELF, ok(token(42, USER, true))).await;
    may_not_read_itself(&server, ID).await;
    let text = policy(&server, "forbid_permissions = [\"delete_project\"]\n");
    let (exit, report) = check(text, PAT).await;
    let (status, rules, messages) = verdict(&report);
    assert_eq!(
        (exit, status.as_str(), rules),
        (1, "unverifiable", vec!["unverifiable".to_owned()]),
        "{messages}"
    );
    assert!(
        messages.contains("`delete_project` cannot be judged") && messages.contains(PAT_READ),
        "{messages}"
    );
}

#[tokio::test]
async fn scope_keys_asked_of_a_fine_grained_token_name_the_permission_keys() {
    let server = fine_grained(vec![grant("user", &[PAT_READ], None, None)]).await;
    let text = policy(
        &server,
        "require_scopes = [\"api\", \"write_repository\"]\n",
    );
    let (exit, report) = check(text, PAT).await;
    let (status, rules, messages) = verdict(&report);
    assert_eq!(
        (exit, status.as_str(), rules),
        (1, "unverifiable", vec!["unverifiable".to_owned()]),
        "{messages}"
    );
    assert!(
        messages.contains("write `require_permissions`")
            && messages.contains("for `write_repository`: `download_code` and `push_code`")
            && messages.contains("for `api`: no one permission"),
        "{messages}"
    );

    // A policy for both kinds: the scope keys judge classic tokens, the permission keys
    // fine-grained ones.
    let text = policy(
        &server,
        "require_scopes = [\"api\"]\nrequire_permissions = [\"read_personal_access_token\"]\n",
    );
    let (exit, report) = check(text, PAT).await;
    let (_, _, messages) = verdict(&report);
    assert_eq!(exit, 0, "{messages}");
    let classic = MockServer::start().await;
    answer(&classic, PAT, SELF, ok(token(43, USER, false))).await;
    let text = policy(
        &classic,
        "require_scopes = [\"api\"]\nrequire_permissions = [\"read_personal_access_token\"]\n",
    );
    let (exit, report) = check(text, PAT).await;
    let (_, _, messages) = verdict(&report);
    assert_eq!(exit, 0, "{messages}");
    // Permission keys alone cannot judge a classic token.
    let text = policy(&classic, "forbid_permissions = [\"delete_project\"]\n");
    let (exit, report) = check(text, PAT).await;
    let (status, _, messages) = verdict(&report);
    assert_eq!((exit, status.as_str()), (1, "unverifiable"), "{messages}");
    assert!(messages.contains("`forbid_scopes`"), "{messages}");
}

#[test]
fn permission_names_are_validated_offline_in_every_place_they_may_be_written() {
    let errors = common::render_policy_errors(
        "patlint.toml",
        "version = 1\n[hosts.gitlab]\nforbid_permissions = [\"delete_projcet\"]\n[[token]]\nname = \"t\"\nhost = \"gitlab\"\nsecret = { env = \"T\" }\nrequire_permissions = [\"read_merge_requests\", \"Read Project\"]\n",
    );
    assert!(
        errors.contains("did you mean `delete_project`?"),
        "{errors}"
    );
    assert!(
        errors.contains("did you mean `read_merge_request`?"),
        "{errors}"
    );
    assert!(
        errors.contains("`Read Project` is not a GitLab fine-grained permission"),
        "{errors}"
    );

    // `[defaults]` may hold either host's shape: each host takes its own.
    let policy = common::policy(
        "version = 1\n[defaults]\nrequire_permissions = [\"read_project\"]\nforbid_permissions = [\"delete_project\"]\n[[token]]\nname = \"gl\"\nhost = \"gitlab\"\nsecret = { env = \"T\" }\n[[token]]\nname = \"gh\"\nhost = \"github\"\nsecret = { env = \"T\" }\n",
    );
    let gitlab = GitLab::requirements_of(&policy.tokens[0].requirements);
    assert_eq!(gitlab.required_permissions()[0].value, "read_project");
    assert_eq!(gitlab.forbidden_permissions()[0].value, "delete_project");
    common::policy(
        "version = 1\n[defaults]\nrequire_permissions = { contents = \"write\" }\n[[token]]\nname = \"gl\"\nhost = \"gitlab\"\nsecret = { env = \"T\" }\n",
    );

    // A GitHub token is told its shape; so is one permission both required and forbidden.
    let errors = common::render_policy_errors(
        "patlint.toml",
        "version = 1\n[[token]]\nname = \"t\"\nhost = \"github\"\nsecret = { env = \"T\" }\nrequire_permissions = [\"contents\"]\n",
    );
    assert!(
        errors.contains("GitHub's `require_permissions` is a table"),
        "{errors}"
    );
    let errors = common::render_policy_errors(
        "patlint.toml",
        "version = 1\n[[token]]\nname = \"t\"\nhost = \"gitlab\"\nsecret = { env = \"T\" }\nrequire_permissions = [\"push_code\"]\nforbid_permissions = [\"push_code\"]\n",
    );
    assert!(
        errors.contains("`push_code` is both required and forbidden"),
        "{errors}"
    );
}

#[test]
fn explain_documents_the_kind_the_rules_and_what_is_asked() {
    for (rule, texts) in [
        (
            "fine-grained-required",
            &["top-level group", "GET /api/v4/projects/:id"][..],
        ),
        (
            "forbidden-permission",
            &[
                "forbid_permissions",
                "GET /api/v4/personal_access_tokens/:id",
            ][..],
        ),
        ("missing-repository", &["IP restriction"][..]),
    ] {
        let out = common::patlint().args(["explain", rule]).output().unwrap();
        let text = common::text(&out.stdout);
        assert_eq!(common::code(&out), 0, "{rule}");
        for expected in texts {
            assert!(text.contains(expected), "{rule}: `{expected}` in {text}");
        }
    }
}

#[test]
fn the_catalog_script_reads_gitlabs_definitions_as_gitlab_does() {
    let Some(python) = common::required_tool("PATLINT_PYTHON", ".venv/bin/python") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let base = dir
        .path()
        .join("config/authz/permission_groups/assignable_permissions");
    for (file, text) in [
        // A resource's metadata: not a permission (GitLab globs `[a-z]?*.yml`).
        (
            "repository/code/_metadata.yml",
            "---\nname: Code\ndescription: Code\n",
        ),
        (
            "repository/code/push.yml",
            "---\nname: push_code\ndescription: Push\nboundaries:\n  - project\navailable_for:\n  - granular_access_token\npermissions:\n  - push_code\n",
        ),
        // Written before `available_for` existed: kept.
        (
            "projects/project/read.yml",
            "---\nname: read_project\ndescription: Read\npermissions:\n  - read_project\nboundaries:\n  - group\n  - project\n  - user\n",
        ),
        // Roles only: no token may hold it.
        (
            "groups/role_only/read.yml",
            "---\nname: read_role_only\ndescription: x\nboundaries:\n  - group\navailable_for:\n  - role\npermissions:\n  - read_role_only\n",
        ),
        (
            "repository/merge_request_dependency/read.yml",
            "---\nname: read_merge_request_dependency\ndeprecated: true\ndescription: x\nboundaries:\n  - project\npermissions:\n  - read_merge_request_dependency\n",
        ),
    ] {
        let path = base.join(file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    let out = std::process::Command::new(python)
        .arg(common::root().join("src/hosts/gitlab/permissions/generate.py"))
        .arg(dir.path())
        .args(["--source", "a test tree"])
        .output()
        .unwrap();
    let catalog = common::text(&out.stdout);
    assert!(out.status.success(), "{}", common::text(&out.stderr));
    assert!(catalog.contains("//! Source: a test tree"), "{catalog}");
    let rows: Vec<&str> = catalog
        .lines()
        .filter(|l| l.trim_start().starts_with("Permission {"))
        .map(str::trim)
        .collect();
    assert_eq!(
        rows,
        [
            r#"Permission { name: "push_code", boundaries: &[Boundary::Project], deprecated: false },"#,
            r#"Permission { name: "read_merge_request_dependency", boundaries: &[Boundary::Project], deprecated: true },"#,
            r#"Permission { name: "read_project", boundaries: &[Boundary::Project, Boundary::Group, Boundary::User], deprecated: false },"#,
        ]
    );
}
