//! `patlint init`. Each preset's starter (and the one without a preset) has a block per
//! host: each block, uncommented, validates and names the targets it needs; with every
//! block uncommented and pointed at local hosts answering as documented, tokens that have
//! every right the preset asks for pass `check`, and only harmless requests are sent.
//! Where init writes (a `.github/` that does not exist yet) and what it says it did.

use crate::common;

use common::aws;
use common::azure::{self, ENTRA, PAT};
use jiff::{SignedDuration, Timestamp};
use serde_json::json;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// What a starter is built on.
#[derive(Clone, Copy, Debug)]
enum Preset {
    None,
    /// `git-integration-for-jira`: branches and pull requests.
    Write,
    /// `git-integration-for-jira-readonly`: viewing only.
    Read,
}

const PRESETS: [Preset; 3] = [Preset::None, Preset::Write, Preset::Read];

impl Preset {
    /// What a host grants a token with the preset's rights: `write` for the write preset,
    /// `read` for the read-only one and for a starter without a preset (it requires none).
    fn grants<T>(self, write: T, read: T) -> T {
        match self {
            Preset::Write => write,
            Preset::None | Preset::Read => read,
        }
    }

    fn args(self) -> Vec<&'static str> {
        match self {
            Preset::None => vec!["init"],
            Preset::Write => vec!["init", "--preset", "git-integration-for-jira"],
            Preset::Read => vec!["init", "--preset", "git-integration-for-jira-readonly"],
        }
    }
}

/// `patlint init` (with the preset) in a new folder: the starter's text.
fn starter(preset: Preset) -> String {
    let dir = tempfile::tempdir().unwrap();
    let out = common::patlint()
        .current_dir(dir.path())
        .args(preset.args())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", common::text(&out.stderr));
    std::fs::read_to_string(dir.path().join("patlint.toml")).unwrap()
}

/// The starter's paragraphs, with the `[[token]]` blocks whose index `uncomment` picks
/// uncommented (each of their lines loses its leading `# `, as a user would remove it).
fn uncommented(starter: &str, uncomment: impl Fn(usize) -> bool) -> String {
    let mut block = 0;
    starter
        .split("\n\n")
        .map(|paragraph| {
            if !paragraph.starts_with("# [[token]]") {
                return paragraph.to_owned();
            }
            block += 1;
            if !uncomment(block) {
                return paragraph.to_owned();
            }
            paragraph
                .lines()
                .map(|line| {
                    line.strip_prefix("# ")
                        .unwrap_or_else(|| panic!("a block line without `# `: {line}"))
                })
                .collect::<Vec<_>>()
                .join("\n")
        })
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// The `[[token]]` blocks of an uncommented starter, by host.
fn token_blocks(policy: &str) -> Vec<(String, String)> {
    policy
        .split("\n\n")
        .filter(|p| p.starts_with("[[token]]"))
        .map(|block| {
            let host = block
                .lines()
                .find_map(|l| l.strip_prefix("host"))
                .and_then(|l| l.split('"').nth(1))
                .unwrap()
                .to_owned();
            (host, block.to_owned())
        })
        .collect()
}

/// `patlint validate` of a policy text: exit code and what it said.
fn validate(policy: &str) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("patlint.toml"), policy).unwrap();
    let out = common::patlint()
        .current_dir(dir.path())
        .arg("validate")
        .output()
        .unwrap();
    let said = common::text(&out.stdout) + &common::text(&out.stderr);
    (common::code(&out), said)
}

/// The key each host's token needs so that patlint can vouch for the integration, not only
/// for the token: its targets (for Bitbucket Data Center, where the token was made).
fn target_key(host: &str) -> Option<&'static str> {
    match host {
        "github" => Some("repositories"),
        "gitlab" => Some("projects"),
        "azure-devops" | "azure-devops-server" | "bitbucket-data-center" => Some("project"),
        "aws-iam" => Some("resources"),
        _ => None,
    }
}

#[test]
fn every_block_of_every_starter_validates_uncommented_and_names_its_targets() {
    for preset in PRESETS {
        let text = starter(preset);
        let (code, said) = validate(&text);
        assert_eq!(code, 0, "{preset:?} as written: {said}");
        let all = uncommented(&text, |_| true);
        let blocks = token_blocks(&all);
        assert_eq!(blocks.len(), patlint::hosts::HostKind::ALL.len(), "{all}");
        for (i, (host, block)) in blocks.iter().enumerate() {
            // Block 0 is live in the starter; the others are uncommented one at a time.
            let one = uncommented(&text, |b| b == i);
            let (code, said) = validate(&one);
            assert_eq!(code, 0, "{preset:?}, {host} uncommented:\n{block}\n{said}");
            if let Some(key) = target_key(host) {
                assert!(
                    block.lines().any(|l| l.starts_with(&format!("{key} "))),
                    "{host} asks for no `{key}`:\n{block}"
                );
                // The block's comments, as one text.
                let prose: Vec<&str> = block.lines().filter_map(|l| l.strip_prefix("# ")).collect();
                let prose = prose.join(" ");
                assert!(
                    prose.contains("vouch for the token but not for the integration")
                        || prose.contains("reads the token's permissions and expiry from"),
                    "{host} does not say why it needs `{key}`:\n{block}"
                );
            }
        }
    }
}

/// Days from now, as an instant.
fn days(n: i64) -> Timestamp {
    Timestamp::now() + SignedDuration::from_hours(24 * n)
}

const GITHUB_TOKEN: &str =
    "github_pat_11AAAAAAA0starter0000000_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKL";
const GITLAB_TOKEN: &str = "glpat-starterGitLab000000";
const TFS_PAT: &str = "startertfspat55dwf4vpitomw63jzvomefmi2jluguprzwwqwuc6xq";
const BITBUCKET_TOKEN: &str = "ATATT3xFfGF0starterBitbucketApiToken000";

async fn serve(server: &MockServer, verb: &str, at: &str, response: ResponseTemplate) {
    Mock::given(method(verb))
        .and(path(at))
        .respond_with(response)
        .mount(server)
        .await;
}

/// GitHub answering a fine-grained token that may do what `preset` asks on `acme/app`, a
/// private repository of the organization `acme` (bodies as in `github_probes.rs`).
async fn github(preset: Preset) -> MockServer {
    let server = MockServer::start().await;
    let expires = days(60).strftime("%Y-%m-%d %H:%M:%S UTC").to_string();
    Mock::given(method("GET"))
        .and(path("/user"))
        .and(header(
            "authorization",
            format!("Bearer {GITHUB_TOKEN}").as_str(),
        ))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("GitHub-Authentication-Token-Expiration", expires.as_str())
                .set_body_json(json!({"login": "jira-bot"})),
        )
        .mount(&server)
        .await;
    let repository = ResponseTemplate::new(200).set_body_json(json!({
        "full_name": "acme/app", "private": true,
        "permissions": {"admin": false, "maintain": false, "push": true, "triage": true, "pull": true}
    }));
    serve(&server, "GET", "/repos/acme/app", repository).await;
    serve(
        &server,
        "GET",
        "/orgs/acme",
        ResponseTemplate::new(200).set_body_json(json!({"login": "acme"})),
    )
    .await;
    // GitHub's own answers (its JSON error and request id) to the write probes: 422 when
    // the token may write, 403 when it may not.
    let github_error = |status: u16, message: &str| {
        ResponseTemplate::new(status)
            .insert_header("X-GitHub-Request-Id", "E3A2:160030:DC7C75:F76DCA:6990609D")
            .set_body_json(json!({"message": message, "documentation_url": "https://docs.github.com/rest", "status": status.to_string()}))
    };
    let refused = github_error(403, "Resource not accessible by personal access token");
    let (refs, pulls) = preset.grants(
        (
            github_error(422, "Object does not exist"),
            github_error(422, "Validation Failed"),
        ),
        (refused.clone(), refused),
    );
    serve(&server, "POST", "/repos/acme/app/git/refs", refs).await;
    serve(&server, "POST", "/repos/acme/app/pulls", pulls).await;
    let listing = |body| ResponseTemplate::new(200).set_body_json(body);
    serve(
        &server,
        "GET",
        "/repos/acme/app/contents/",
        listing(json!([{"name": "README.md"}])),
    )
    .await;
    serve(&server, "GET", "/repos/acme/app/pulls", listing(json!([]))).await;
    server
}

/// GitLab's `/personal_access_tokens/self` for a token with the preset's scope, created 10
/// days ago and expiring in 60 (doc/api/personal_access_tokens.md), and its project.
async fn gitlab(preset: Preset) -> MockServer {
    let server = MockServer::start().await;
    let scope = preset.grants("api", "read_api");
    Mock::given(method("GET"))
        .and(path("/api/v4/personal_access_tokens/self"))
        .and(header("private-token", GITLAB_TOKEN))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": 42, "name": "jira", "revoked": false, "active": true,
            "created_at": days(-10).to_string(), "description": "",
            "scopes": [scope], "user_id": 1337, "last_used_at": null,
            "expires_at": days(60).strftime("%Y-%m-%d").to_string()
        })))
        .mount(&server)
        .await;
    serve(
        &server,
        "GET",
        "/api/v4/projects/acme%2Fapp",
        ResponseTemplate::new(200).set_body_json(
            json!({"id": 3, "path_with_namespace": "acme/app", "default_branch": "main"}),
        ),
    )
    .await;
    server
}

/// Azure DevOps Services: connectionData accepts the PAT, and the PAT Lifecycle API shows
/// it (for its owner's Entra token) with the preset's scope, in this organization only.
async fn azure_devops(preset: Preset) -> MockServer {
    let server = MockServer::start().await;
    azure::valid_connection(&server).await;
    let scope = preset.grants("vso.code_write", "vso.code");
    Mock::given(method("GET"))
        .and(path(azure::PATS))
        .and(header("authorization", format!("Bearer {ENTRA}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "continuationToken": "",
            "patTokens": [{
                "displayName": "jira", "scope": scope,
                "validFrom": days(-10).to_string(), "validTo": days(60).to_string(),
                "targetAccounts": ["38aaa865-2c70-4bf7-a308-0c6539c38c1a"],
                "authorizationId": "4ab5764f-4193-4f1d-b995-64144880b7d7", "token": null
            }]
        })))
        .mount(&server)
        .await;
    serve(
        &server,
        "GET",
        "/fabrikam/Fabrikam%20Fiber/_apis/git/repositories",
        ResponseTemplate::new(200).set_body_json(json!({"count": 0, "value": []})),
    )
    .await;
    server
}

/// Azure DevOps Server: the collection accepts the PAT; the read probe is granted, and the
/// write probe is granted for the write preset and refused (Azure DevOps' own 401) for the
/// read-only one, which forbids writing.
async fn azure_devops_server(preset: Preset) -> MockServer {
    let server = MockServer::start().await;
    let collection = "/tfs/DefaultCollection";
    use base64::Engine;
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!(":{TFS_PAT}"))
    );
    Mock::given(method("GET"))
        .and(path(format!("{collection}/_apis/connectionData")))
        .and(header("authorization", basic.as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "authenticatedUser": {"id": "bb5bb6c8-ef0a-400f-8987-92b3674d2043"},
            "deploymentType": "onPremises"
        })))
        .mount(&server)
        .await;
    for repositories in [
        format!("{collection}/_apis/git/repositories"),
        format!("{collection}/Fabrikam%20Fiber/_apis/git/repositories"),
    ] {
        serve(
            &server,
            "GET",
            &repositories,
            ResponseTemplate::new(200).set_body_json(json!({"count": 0, "value": []})),
        )
        .await;
    }
    let write = preset.grants(
        crate::azure_probes::not_found(),
        crate::common::azure::own_401(),
    );
    serve(
        &server,
        "POST",
        &format!(
            "{collection}/Fabrikam%20Fiber/_apis/git/repositories/{ZERO_REPOSITORY}/pullrequests"
        ),
        write,
    )
    .await;
    server
}

const ZERO_REPOSITORY: &str = "00000000-0000-0000-0000-000000000000";

/// IAM and STS for Bob's key, created 10 days ago, whose user may do the preset's actions.
async fn aws_iam(preset: Preset) -> MockServer {
    let server = aws::iam_mock().await;
    aws::answer_instead(
        &server,
        "ListAccessKeys",
        aws::xml(
            "ListAccessKeys",
            &format!(
                "<AccessKeyMetadata><member><UserName>Bob</UserName><AccessKeyId>{}</AccessKeyId><Status>Active</Status><CreateDate>{}</CreateDate></member></AccessKeyMetadata><IsTruncated>false</IsTruncated>",
                aws::KEY_ID,
                days(-10).strftime("%Y-%m-%dT%H:%M:%SZ")
            ),
        ),
    )
    .await;
    let actions: &[&str] = match preset {
        Preset::None => &[],
        Preset::Write => &["codecommit:CreateBranch", "codecommit:CreatePullRequest"],
        Preset::Read => &["codecommit:GitPull"],
    };
    let allowed: Vec<String> = actions
        .iter()
        .map(|action| aws::evaluation(action, "allowed"))
        .collect();
    aws::simulation(&server, &allowed).await;
    server
}

/// Bitbucket Cloud's `/user` for an API token with the preset's scopes.
async fn bitbucket(preset: Preset) -> MockServer {
    let server = MockServer::start().await;
    let scopes = preset.grants(
        "read:repository:bitbucket, write:repository:bitbucket, read:pullrequest:bitbucket, write:pullrequest:bitbucket",
        "read:repository:bitbucket, read:pullrequest:bitbucket",
    );
    use base64::Engine;
    let basic = base64::engine::general_purpose::STANDARD
        .encode(format!("jira-bot@example.com:{BITBUCKET_TOKEN}"));
    Mock::given(method("GET"))
        .and(path("/2.0/user"))
        .and(header("authorization", format!("Basic {basic}").as_str()))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("x-oauth-scopes", scopes)
                .set_body_json(
                    json!({"type": "user", "username": "jira-bot", "account_id": "557058:0000"}),
                ),
        )
        .mount(&server)
        .await;
    server
}

/// Bitbucket Data Center's listing of project PROJ's tokens, with the token's record.
async fn bitbucket_data_center(preset: Preset) -> MockServer {
    let server = MockServer::start().await;
    let permission = preset.grants("REPO_WRITE", "REPO_READ");
    let record = json!({
        "id": crate::bitbucket::DC_ID, "name": "jira",
        "createdDate": days(-10).as_millisecond(), "expiryDays": 60,
        "permissions": [permission], "user": {"name": "proj-bot", "slug": "proj-bot"}
    });
    Mock::given(method("GET"))
        .and(path("/rest/access-tokens/latest/projects/PROJ"))
        .and(header(
            "authorization",
            format!("Bearer {}", crate::bitbucket::DC_TOKEN).as_str(),
        ))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("x-ausername", "proj-bot")
                .set_body_json(json!({"size": 1, "limit": 100, "start": 0, "isLastPage": true, "values": [record]})),
        )
        .mount(&server)
        .await;
    server
}

/// The local hosts of one run, each answering a token with the preset's rights.
struct Hosts {
    github: MockServer,
    gitlab: MockServer,
    azure_devops: MockServer,
    azure_devops_server: MockServer,
    aws_iam: MockServer,
    bitbucket: MockServer,
    bitbucket_data_center: MockServer,
}

impl Hosts {
    async fn start(preset: Preset) -> Hosts {
        Hosts {
            github: github(preset).await,
            gitlab: gitlab(preset).await,
            azure_devops: azure_devops(preset).await,
            azure_devops_server: azure_devops_server(preset).await,
            aws_iam: aws_iam(preset).await,
            bitbucket: bitbucket(preset).await,
            bitbucket_data_center: bitbucket_data_center(preset).await,
        }
    }

    /// The keys that send a host's block to its local server instead of the one the
    /// starter names (AWS is pointed at it through the environment).
    fn keys(&self, host: &str) -> Vec<String> {
        let url = |s: &MockServer, tail: &str| format!("url = \"{}{tail}\"", s.uri());
        match host {
            "github" => vec![url(&self.github, "")],
            "gitlab" => vec![url(&self.gitlab, "")],
            "azure-devops" => {
                let uri = self.azure_devops.uri();
                vec![
                    format!("url = \"{uri}\""),
                    format!("vssps_url = \"{uri}/vssps\""),
                    format!("profile_url = \"{uri}/app\""),
                ]
            }
            "azure-devops-server" => {
                vec![url(&self.azure_devops_server, "/tfs/DefaultCollection")]
            }
            "bitbucket" => vec![url(&self.bitbucket, "/2.0")],
            "bitbucket-data-center" => vec![url(&self.bitbucket_data_center, "")],
            _ => Vec::new(),
        }
    }

    /// The starter with every block uncommented, each pointed at its local host: its `url`
    /// line replaced, or the keys added after `host`.
    fn policy(&self, starter: &str) -> String {
        uncommented(starter, |_| true)
            .split("\n\n")
            .map(|paragraph| {
                let Some((host, _)) = token_blocks(paragraph).pop() else {
                    return paragraph.to_owned();
                };
                let mut lines: Vec<String> = paragraph
                    .lines()
                    .filter(|l| !l.starts_with("url "))
                    .map(str::to_owned)
                    .collect();
                let at = lines.iter().position(|l| l.starts_with("host")).unwrap() + 1;
                lines.splice(at..at, self.keys(&host));
                lines.join("\n")
            })
            .collect::<Vec<_>>()
            .join("\n\n")
    }

    fn servers(&self) -> [(&'static str, &MockServer); 7] {
        [
            ("github", &self.github),
            ("gitlab", &self.gitlab),
            ("azure-devops", &self.azure_devops),
            ("azure-devops-server", &self.azure_devops_server),
            ("aws-iam", &self.aws_iam),
            ("bitbucket", &self.bitbucket),
            ("bitbucket-data-center", &self.bitbucket_data_center),
        ]
    }

    /// Every request any host received is harmless: a read, a write probe that can change
    /// nothing (GitHub's on the all-zero object and on branches that do not exist, Azure
    /// DevOps' on the all-zero repository), or an IAM/STS call that only reads.
    async fn assert_only_harmless_requests(&self) {
        const IAM_READS: [&str; 5] = [
            "GetCallerIdentity",
            "ListAccessKeys",
            "GetAccessKeyLastUsed",
            "SimulatePrincipalPolicy",
            "ListServiceSpecificCredentials",
        ];
        for (host, server) in self.servers() {
            for request in server.received_requests().await.unwrap() {
                let at = request.url.path();
                let body = String::from_utf8_lossy(&request.body);
                let harmless = match request.method.as_str() {
                    "GET" => true,
                    "POST" if host == "aws-iam" => IAM_READS
                        .iter()
                        .any(|action| body.contains(&format!("Action={action}&"))),
                    "POST" if at.ends_with("/git/refs") => {
                        serde_json::from_str::<serde_json::Value>(&body).unwrap()["sha"]
                            == "0".repeat(40)
                    }
                    "POST" if at.ends_with("/pulls") => {
                        let pull: serde_json::Value = serde_json::from_str(&body).unwrap();
                        ["head", "base"].iter().all(|branch| {
                            pull[branch]
                                .as_str()
                                .is_some_and(|b| b.starts_with("patlint-probe-"))
                        })
                    }
                    "POST" => at.contains(&format!("/repositories/{ZERO_REPOSITORY}/")),
                    _ => false,
                };
                assert!(
                    harmless,
                    "{host}: {} {}\n{body}",
                    request.method, request.url
                );
            }
        }
    }
}

impl Hosts {
    /// The write preset's rights were asked of each host, not assumed: GitHub's and Azure
    /// DevOps Server's write probes went out, the PAT Lifecycle API was read, and IAM
    /// simulated the actions.
    async fn assert_the_write_rights_were_asked(&self) {
        asked(&self.github, "/git/refs").await;
        asked(&self.github, "/pulls").await;
        asked(&self.azure_devops_server, "/pullrequests").await;
        asked(&self.azure_devops, "/_apis/tokens/pats").await;
        asked(&self.aws_iam, "Action=SimulatePrincipalPolicy&").await;
    }
}

/// `server` received a request whose path ends with `what`, or whose body holds it.
async fn asked(server: &MockServer, what: &str) {
    let requests = server.received_requests().await.unwrap();
    assert!(
        requests.iter().any(
            |r| r.url.path().ends_with(what) || String::from_utf8_lossy(&r.body).contains(what)
        ),
        "nothing asked `{what}`"
    );
}

/// The secrets of every block, in the variables the starter names.
fn secrets(hosts: &Hosts, home: &std::path::Path) -> Vec<(String, String)> {
    let mut env = aws::sdk_env(home, &hosts.aws_iam.uri(), aws::KEY_ID, aws::SECRET_KEY);
    env.extend(
        [
            ("JIRA_GITHUB_PAT", GITHUB_TOKEN),
            ("JIRA_GITLAB_PAT", GITLAB_TOKEN),
            ("JIRA_ADO_PAT", PAT),
            ("JIRA_ADO_ENTRA_TOKEN", ENTRA),
            ("JIRA_TFS_PAT", TFS_PAT),
            ("JIRA_BITBUCKET_TOKEN", BITBUCKET_TOKEN),
            ("JIRA_BITBUCKET_DC_TOKEN", crate::bitbucket::DC_TOKEN),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned())),
    );
    env
}

#[tokio::test(flavor = "multi_thread")]
async fn tokens_with_every_right_a_preset_asks_for_pass_the_starters_check() {
    for preset in PRESETS {
        let text = starter(preset);
        let hosts = Hosts::start(preset).await;
        let policy = hosts.policy(&text);
        let warns: Vec<String> = token_blocks(&policy)
            .into_iter()
            .filter(|(_, block)| block.contains("\non_unverifiable = \"warn\""))
            .map(|(host, _)| host)
            .collect();
        let home = tempfile::tempdir().unwrap();
        let env = secrets(&hosts, home.path());
        let (out, _) = common::run_patlint(
            policy.clone(),
            env.clone(),
            &["check", "--format", "json", "--retries", "0"],
        )
        .await;
        let stdout = common::text(&out.stdout);
        let stderr = common::text(&out.stderr);
        for (_, secret) in env.iter().filter(|(k, _)| k.starts_with("JIRA_")) {
            common::assert_no_secret(secret, "stdout", &stdout);
            common::assert_no_secret(secret, "stderr", &stderr);
        }
        let report: serde_json::Value = serde_json::from_str(&stdout)
            .unwrap_or_else(|e| panic!("{preset:?}: {e}\n{stdout}\n{stderr}"));
        assert_eq!(common::code(&out), 0, "{preset:?}:\n{policy}\n{report:#}");
        let tokens = report["tokens"].as_array().unwrap();
        assert_eq!(tokens.len(), hosts.servers().len(), "{report:#}");
        for token in tokens {
            let host = token["host"].as_str().unwrap();
            let findings = token["findings"].as_array().unwrap();
            if warns.iter().any(|w| w == host) {
                // A host that never reveals an expiry: `max_lifespan` warns, nothing else.
                for finding in findings {
                    assert!(
                        finding["rule"] == "unverifiable"
                            && finding["severity"] == "warning"
                            && finding["message"]
                                .as_str()
                                .unwrap()
                                .contains("max_lifespan"),
                        "{preset:?}, {host}: {token:#}"
                    );
                }
            } else {
                assert_eq!(
                    (token["status"].as_str(), findings.len()),
                    (Some("pass"), 0),
                    "{preset:?}, {host}: {token:#}"
                );
            }
        }
        hosts.assert_only_harmless_requests().await;
        if let Preset::Write = preset {
            hosts.assert_the_write_rights_were_asked().await;
        }
    }
}

/// The control: the write preset's starter against hosts that grant only what the read-only
/// preset asks, so every token lacks a right it needs and fails, naming it.
#[tokio::test(flavor = "multi_thread")]
async fn tokens_that_lack_a_right_the_preset_asks_for_do_not_pass() {
    let hosts = Hosts::start(Preset::Read).await;
    let policy = hosts.policy(&starter(Preset::Write));
    let home = tempfile::tempdir().unwrap();
    let (out, _) = common::run_patlint(
        policy,
        secrets(&hosts, home.path()),
        &["check", "--format", "json", "--retries", "0"],
    )
    .await;
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(common::code(&out), 1, "{report:#}");
    for token in report["tokens"].as_array().unwrap() {
        let lacks = token["findings"].as_array().unwrap().iter().any(|f| {
            ["missing-scope", "missing-permission", "missing-action"]
                .contains(&f["rule"].as_str().unwrap())
        });
        assert!(token["status"] == "fail" && lacks, "{token:#}");
    }
}

#[test]
fn init_creates_the_policys_folder_and_says_what_it_did_with_the_schema() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let out = common::patlint()
            .current_dir(dir.path())
            .args(args)
            .output()
            .unwrap();
        assert_eq!(common::code(&out), 0, "{}", common::text(&out.stderr));
        common::text(&out.stderr)
    };
    let said = run(&["init", "--policy", ".github/patlint.toml"]);
    let github = dir.path().join(".github");
    assert!(github.join("patlint.toml").is_file(), "{said}");
    assert!(
        said.contains("created `.github` and wrote `.github/patlint.toml`"),
        "{said}"
    );
    assert!(
        said.contains("wrote `.github/patlint.schema.json`"),
        "{said}"
    );
    assert!(
        said.contains("then run `patlint validate --policy .github/patlint.toml`"),
        "{said}"
    );

    // A schema already there is left alone, and init says so: up to date or not.
    let said = run(&["init", "--policy", ".github/other.toml"]);
    assert!(
        said.contains(
            "left `.github/patlint.schema.json` as it was: it is already this patlint's schema"
        ),
        "{said}"
    );
    assert!(
        !said.contains("wrote `.github/patlint.schema.json`"),
        "{said}"
    );
    std::fs::write(dir.path().join("patlint.schema.json"), "{}\n").unwrap();
    let said = run(&["init"]);
    assert!(
        said.contains("left `patlint.schema.json` as it was, but it is not this patlint's schema: `patlint schema > patlint.schema.json` replaces it"),
        "{said}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("patlint.schema.json")).unwrap(),
        "{}\n"
    );
    assert!(said.contains("then run `patlint validate`"), "{said}");
}
