//! The projects a GitLab token works on, each read once with `GET /projects/:id`, against
//! a local server answering as GitLab does (and as proxies in front of it do): reach,
//! the refusal of a top-level group that requires fine-grained tokens, a group's IP
//! restriction (a bare 404), answers that are not GitLab's own, and the request log.

use serde_json::json;
use wiremock::{MockServer, ResponseTemplate};

use crate::gitlab_server::{
    SELF, answer, asked, check, granular_refusal, policy, project, project_answer,
    project_not_found, token, verdict,
};

const PAT: &str = "glpat-canaryTargets000000000";

async fn classic() -> MockServer {
    let server = MockServer::start().await;
    answer(
        &server,
        PAT,
        SELF,
        ResponseTemplate::new(200).set_body_json(token(42, 7, false)),
    )
    .await;
    server
}

fn private(id: u64, full_path: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(project(id, full_path, "private", (5, "group")))
}

#[tokio::test]
async fn each_declared_project_is_read_once_even_when_nothing_is_asked() {
    let server = classic().await;
    project_answer(&server, "acme/app", private(7, "acme/app")).await;
    project_answer(&server, "acme/web", private(8, "acme/web")).await;
    let text = policy(&server, "projects = [\"acme/app\", \"acme/web\"]\n");
    let (exit, report) = check(text, PAT).await;
    let (status, rules, messages) = verdict(&report);
    assert_eq!((exit, status.as_str()), (0, "pass"), "{rules:?} {messages}");
    let mut paths = asked(&server).await;
    paths.sort();
    assert_eq!(
        paths,
        [
            "/api/v4/personal_access_tokens/self",
            "/api/v4/projects/acme%2Fapp",
            "/api/v4/projects/acme%2Fweb"
        ]
    );

    // Without projects, nothing but `/self`.
    let quiet = classic().await;
    let (exit, _) = check(policy(&quiet, ""), PAT).await;
    assert_eq!(exit, 0);
    assert_eq!(asked(&quiet).await, ["/api/v4/personal_access_tokens/self"]);
}

#[tokio::test]
async fn probe_false_reads_no_project_and_says_so() {
    let server = classic().await;
    let text = policy(&server, "projects = [\"acme/app\"]\nprobe = false\n");
    let (exit, report) = check(text, PAT).await;
    let (status, rules, messages) = verdict(&report);
    assert_eq!((exit, status.as_str()), (1, "unverifiable"), "{messages}");
    assert_eq!(rules, ["unverifiable"]);
    assert!(
        messages.contains("`probe = false`") && messages.contains("`acme/app`"),
        "{messages}"
    );
    assert_eq!(
        asked(&server).await,
        ["/api/v4/personal_access_tokens/self"]
    );
}

#[tokio::test]
async fn a_project_gitlab_does_not_show_is_never_a_pass() {
    let server = classic().await;
    project_answer(&server, "acme/app", private(7, "acme/app")).await;
    // What a group's IP restriction answers too: GitLab's bare 404.
    project_answer(&server, "acme/secret", project_not_found()).await;
    let text = policy(&server, "projects = [\"acme/app\", \"acme/secret\"]\n");
    let (exit, report) = check(text, PAT).await;
    let (status, rules, messages) = verdict(&report);
    assert_eq!((exit, status.as_str()), (1, "fail"), "{messages}");
    assert_eq!(rules, ["missing-repository"], "{messages}");
    assert!(
        messages.contains("`acme/secret`")
            && messages.contains("IP restriction")
            && messages.contains("404 Project Not Found")
            && !messages.contains("`acme/app`"),
        "{messages}"
    );
}

#[tokio::test]
async fn a_top_level_group_requiring_fine_grained_tokens_refuses_a_legacy_one() {
    let server = classic().await;
    project_answer(
        &server,
        "acme/app",
        granular_refusal("project", "Project: Read"),
    )
    .await;
    let text = policy(
        &server,
        "projects = [\"acme/app\"]\nrequire_scopes = [\"api\"]\n",
    );
    let (exit, report) = check(text, PAT).await;
    let (status, rules, messages) = verdict(&report);
    assert_eq!((exit, status.as_str()), (1, "fail"), "{messages}");
    assert_eq!(rules, ["fine-grained-required"], "{messages}");
    assert!(
        messages.contains("refused on `acme/app`")
            && messages.contains("accepts only fine-grained personal access tokens")
            && messages.contains("Access denied: This operation requires a fine-grained personal access token with the following project permissions: [Project: Read].")
            && messages.contains("Fine-grained token"),
        "{messages}"
    );
}

#[tokio::test]
async fn refusals_that_are_not_gitlabs_settle_nothing() {
    for (response, shown) in [
        (
            ResponseTemplate::new(403).set_body_raw("<html><body>Access denied</body></html>", "text/html"),
            "403 (text/html)",
        ),
        (
            ResponseTemplate::new(401).set_body_raw(
                r#"{"type":"about:blank","title":"Unauthorized","status":401,"error":"invalid_token"}"#,
                "application/problem+json",
            ),
            "401 (application/problem+json)",
        ),
        (
            ResponseTemplate::new(403).set_body_json(json!({"message": "Forbidden"})),
            "403 (application/json)",
        ),
        (
            ResponseTemplate::new(404).set_body_raw("Not Found", "text/plain"),
            "404 (text/plain)",
        ),
    ] {
        let server = classic().await;
        project_answer(&server, "acme/app", response).await;
        let text = policy(&server, "projects = [\"acme/app\"]\nforbid_scopes = [\"sudo\"]\n");
        let (exit, report) = check(text, PAT).await;
        let (status, rules, messages) = verdict(&report);
        assert_eq!((exit, status.as_str()), (1, "unverifiable"), "{shown}: {messages}");
        assert_eq!(rules, ["unverifiable"], "{shown}: {messages}");
        assert!(
            messages.contains(shown) && messages.contains("not GitLab's own answer"),
            "{shown}: {messages}"
        );
    }
}

#[tokio::test]
async fn a_401_is_the_tokens_only_when_gitlab_says_it() {
    // GitLab's own 401 on a project: the token is refused.
    let server = classic().await;
    project_answer(
        &server,
        "acme/app",
        ResponseTemplate::new(401).set_body_json(json!({"message": "401 Unauthorized"})),
    )
    .await;
    let (exit, report) = check(policy(&server, "projects = [\"acme/app\"]\n"), PAT).await;
    let (status, rules, messages) = verdict(&report);
    assert_eq!(
        (exit, status.as_str(), rules),
        (1, "fail", vec!["token-invalid".to_owned()]),
        "{messages}"
    );

    // A proxy's HTML 401 to `/self` and `/version`: says nothing about the token.
    let proxy = MockServer::start().await;
    let page = || ResponseTemplate::new(401).set_body_raw("<html>Sign in</html>", "text/html");
    answer(&proxy, PAT, SELF, page()).await;
    answer(&proxy, PAT, "/api/v4/version", page()).await;
    let (exit, report) = check(policy(&proxy, ""), PAT).await;
    let (status, rules, messages) = verdict(&report);
    assert_eq!((exit, status.as_str()), (3, "error"), "{messages}");
    assert_eq!(rules, ["host-error"]);
    assert!(
        messages.contains("401 (text/html)") && messages.contains("not GitLab's own"),
        "{messages}"
    );
}
