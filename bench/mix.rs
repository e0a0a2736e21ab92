//! The realistic mix the benchmark checks: tokens for GitHub, GitHub Enterprise Server,
//! GitLab and Azure DevOps in turn, about a fifth of them out of policy (a forbidden scope)
//! and some rejected by their host, each with the verdict it must get.
//!
//! The GitHub and Azure DevOps tokens name the targets their integration works on (a
//! repository, a project), which a check reads after the token's own request: their
//! request graph is two round trips deep (`/user`, then the repository and its owner at
//! once; connectionData, then the project), and the floor counts every request.
//!
//! Each host is a wiremock server answering like the vendor, with `latency` added to every
//! answer. A rejected token's 401 carries a spent rate limit (`x-ratelimit-remaining: 0`),
//! as GitHub's does: that is the per-IP unauthenticated limit, and it must slow nobody.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use wiremock::matchers::{header_regex, method, path, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Host {
    Github,
    Ghes,
    Gitlab,
    Azure,
}

const HOSTS: [Host; 4] = [Host::Github, Host::Ghes, Host::Gitlab, Host::Azure];

/// What a token is, and so the verdict it must get.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Kind {
    Healthy,
    /// Works, but has a scope the policy forbids.
    OutOfPolicy,
    /// The host refuses it.
    Rejected,
}

impl Kind {
    pub fn verdict(self) -> &'static str {
        match self {
            Kind::Healthy => "pass",
            Kind::OutOfPolicy | Kind::Rejected => "fail",
        }
    }

    /// Put in the secret, so the mock hosts know what to answer.
    fn marker(self) -> &'static str {
        match self {
            Kind::Healthy => "ok",
            Kind::OutOfPolicy => "over",
            Kind::Rejected => "rejected",
        }
    }
}

pub struct Token {
    pub name: String,
    pub host: Host,
    pub kind: Kind,
    pub secret: String,
}

/// The repository the GitHub tokens' integration works on (its owner is read too, for
/// SAML SSO), and the Azure DevOps tokens' project.
const REPOSITORY: &str = "bench/app";
const OWNER: &str = "bench";
const PROJECT: &str = "app";

impl Token {
    /// The requests its check sends, and how many of them follow one another.
    fn requests(&self) -> (u64, u32) {
        match (self.host, self.kind) {
            (_, Kind::Rejected) | (Host::Gitlab, _) => (1, 1),
            (Host::Github | Host::Ghes, _) => (3, 2),
            (Host::Azure, _) => (2, 2),
        }
    }
}

/// The best wall time a client with `in_flight` requests at once can have on `tokens`:
/// every request takes `latency`, so it needs as many rounds as its requests fill, and no
/// fewer than the deepest chain of requests one after the other.
pub fn floor(tokens: &[Token], latency: Duration, in_flight: u64) -> Duration {
    let requests: u64 = tokens.iter().map(|t| t.requests().0).sum();
    let depth = tokens.iter().map(|t| t.requests().1).max().unwrap_or(1);
    let rounds = u32::try_from(requests.div_ceil(in_flight)).unwrap();
    latency * rounds.max(depth)
}

/// N tokens of the mix: hosts in turn; one in `rejected_every` rejected; two in nine of the
/// rest out of policy (Azure DevOps, whose scopes a PAT does not reveal without an Entra
/// token, has only healthy and rejected ones).
pub fn tokens(n: u64, rejected_every: u64) -> Vec<Token> {
    (0..n)
        .map(|i| {
            let host = HOSTS[(i % 4) as usize];
            let kind = if i % rejected_every == rejected_every / 2 {
                Kind::Rejected
            } else if host != Host::Azure && matches!(i % 9, 0 | 4) {
                Kind::OutOfPolicy
            } else {
                Kind::Healthy
            };
            let prefix = match host {
                Host::Github | Host::Ghes => "ghp_",
                Host::Gitlab => "glpat-",
                Host::Azure => "",
            };
            Token {
                name: format!("t{i}"),
                host,
                kind,
                secret: format!("{prefix}bench{}{i:0>24}", kind.marker()),
            }
        })
        .collect()
}

/// The local hosts, and the URL each is reached at (its own, or a TLS front's).
pub struct Hosts {
    pub servers: Vec<MockServer>,
    pub urls: Vec<String>,
}

impl Hosts {
    pub async fn start(latency: Duration) -> Hosts {
        let mut servers = Vec::new();
        for host in HOSTS {
            let server = MockServer::start().await;
            mount(host, &server, latency).await;
            servers.push(server);
        }
        let urls = servers.iter().map(|s| s.uri()).collect();
        Hosts { servers, urls }
    }

    /// The base URL patlint's policy gives for `host`.
    pub fn url(&self, host: Host) -> String {
        let base = &self.urls[HOSTS.iter().position(|h| *h == host).unwrap()];
        match host {
            Host::Ghes => format!("{base}/api/v3"),
            _ => base.clone(),
        }
    }
}

fn epoch_in_an_hour() -> String {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    (now.as_secs() + 3600).to_string()
}

/// A healthy answer: a working token's own rate limit, far from spent.
fn answer(latency: Duration, status: u16) -> ResponseTemplate {
    ResponseTemplate::new(status)
        .set_delay(latency)
        .insert_header("x-ratelimit-limit", "5000")
        .insert_header("x-ratelimit-remaining", "4999")
        .insert_header("x-ratelimit-reset", epoch_in_an_hour().as_str())
        .insert_header("ratelimit-remaining", "1999")
        .insert_header("ratelimit-reset", epoch_in_an_hour().as_str())
}

/// A refusal with the unauthenticated per-IP limit spent, as GitHub sends it.
fn refusal(latency: Duration, body: serde_json::Value) -> ResponseTemplate {
    ResponseTemplate::new(401)
        .set_delay(latency)
        .insert_header("x-ratelimit-limit", "60")
        .insert_header("x-ratelimit-remaining", "0")
        .insert_header("x-ratelimit-reset", epoch_in_an_hour().as_str())
        .insert_header("ratelimit-remaining", "0")
        .insert_header("ratelimit-reset", epoch_in_an_hour().as_str())
        .set_body_json(body)
}

async fn mount(host: Host, server: &MockServer, latency: Duration) {
    match host {
        Host::Github | Host::Ghes => {
            let user = if host == Host::Ghes {
                "/api/v3/user"
            } else {
                "/user"
            };
            let classic = |scopes: &str| {
                answer(latency, 200)
                    .insert_header("X-OAuth-Scopes", scopes)
                    .insert_header(
                        "GitHub-Authentication-Token-Expiration",
                        "2031-01-01 00:00:00 UTC",
                    )
                    .set_body_json(serde_json::json!({"login": "bench"}))
            };
            for (marker, response) in [
                (
                    "rejected",
                    refusal(
                        latency,
                        serde_json::json!({"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest", "status": "401"}),
                    ),
                ),
                ("over", classic("repo, delete_repo")),
                ("ok", classic("repo")),
            ] {
                Mock::given(method("GET"))
                    .and(path(user))
                    .and(header_regex("authorization", marker))
                    .respond_with(response)
                    .mount(server)
                    .await;
            }
            let prefix = user.trim_end_matches("/user");
            for (target, body) in [
                (
                    format!("{prefix}/repos/{REPOSITORY}"),
                    serde_json::json!({"full_name": REPOSITORY, "private": true}),
                ),
                (
                    format!("{prefix}/orgs/{OWNER}"),
                    serde_json::json!({"login": OWNER}),
                ),
            ] {
                Mock::given(method("GET"))
                    .and(path(target))
                    .respond_with(answer(latency, 200).set_body_json(body))
                    .mount(server)
                    .await;
            }
        }
        Host::Gitlab => {
            let token = |scopes: &[&str]| {
                answer(latency, 200).set_body_json(serde_json::json!({
                    "id": 4, "name": "bench", "revoked": false, "created_at": "2026-11-01T00:00:00Z",
                    "scopes": scopes, "user_id": 3, "last_used_at": null, "active": true,
                    "expires_at": "2027-01-15"
                }))
            };
            for (marker, response) in [
                (
                    "rejected",
                    refusal(
                        latency,
                        serde_json::json!({"error": "invalid_token", "error_description": "Token was revoked. You have to re-authorize from the user."}),
                    ),
                ),
                ("over", token(&["api", "sudo"])),
                ("ok", token(&["api"])),
            ] {
                Mock::given(method("GET"))
                    .and(path("/api/v4/personal_access_tokens/self"))
                    .and(header_regex("private-token", marker))
                    .respond_with(response)
                    .mount(server)
                    .await;
            }
        }
        Host::Azure => {
            // Azure DevOps authenticates with Basic (the PAT in base64), so a rejected PAT
            // is told apart by its organization.
            Mock::given(method("GET"))
                .and(path_regex("^/rejected/_apis/connectionData$"))
                .respond_with(
                    refusal(
                        latency,
                        serde_json::json!({"message": "TF400813: The user '' is not authorized to access this resource.", "typeKey": "UnauthorizedRequestException"}),
                    )
                    .insert_header("ActivityId", "5a4d8d5e-1b4e-4a5e-9a31-4c3c0b7f2d10"),
                )
                .mount(server)
                .await;
            Mock::given(method("GET"))
                .and(path(format!("/org/{PROJECT}/_apis/git/repositories")))
                .respond_with(
                    answer(latency, 200)
                        .set_body_json(serde_json::json!({"count": 0, "value": []})),
                )
                .mount(server)
                .await;
            Mock::given(method("GET"))
                .and(path_regex("^/org/_apis/connectionData$"))
                .respond_with(answer(latency, 200).set_body_json(serde_json::json!({
                    "authenticatedUser": {"id": "6c2f0b0e-0000-0000-0000-000000000001", "providerDisplayName": "bench"}
                })))
                .mount(server)
                .await;
        }
    }
}

/// The policy for the tokens, each reading its secret from `T<i>`.
pub fn policy(tokens: &[Token], hosts: &Hosts, ca_file: Option<&std::path::Path>) -> String {
    let mut text = String::from("version = 1\n");
    for (i, token) in tokens.iter().enumerate() {
        let (host, extra) = match token.host {
            Host::Github | Host::Ghes => (
                "github",
                format!("forbid_scopes = [\"delete_repo\"]\nrepositories = [\"{REPOSITORY}\"]\n"),
            ),
            Host::Gitlab => ("gitlab", "forbid_scopes = [\"sudo\"]\n".into()),
            Host::Azure => {
                let organization = if token.kind == Kind::Rejected {
                    "rejected"
                } else {
                    "org"
                };
                (
                    "azure-devops",
                    format!("organization = \"{organization}\"\nproject = \"{PROJECT}\"\n"),
                )
            }
        };
        text.push_str(&format!(
            "\n[[token]]\nname = \"{}\"\nhost = \"{host}\"\nurl = \"{}\"\nsecret = {{ env = \"T{i}\" }}\n{extra}",
            token.name,
            hosts.url(token.host),
        ));
        if let Some(ca_file) = ca_file {
            text.push_str(&format!("ca_file = \"{}\"\n", ca_file.display()));
        }
    }
    text
}

pub fn env(tokens: &[Token]) -> Vec<(String, String)> {
    tokens
        .iter()
        .enumerate()
        .map(|(i, t)| (format!("T{i}"), t.secret.clone()))
        .collect()
}

/// The same tokens for the asyncio checker, as JSON.
pub fn checker_input(tokens: &[Token], hosts: &Hosts) -> serde_json::Value {
    let entries: Vec<_> = tokens
        .iter()
        .map(|t| {
            let (kind, url, forbid, targets) = match t.host {
                Host::Github | Host::Ghes => {
                    let url = hosts.url(t.host);
                    let targets = vec![
                        format!("{url}/repos/{REPOSITORY}"),
                        format!("{url}/orgs/{OWNER}"),
                    ];
                    ("github", url, vec!["delete_repo"], targets)
                }
                Host::Gitlab => ("gitlab", hosts.url(t.host), vec!["sudo"], vec![]),
                Host::Azure => {
                    let organization = if t.kind == Kind::Rejected {
                        "rejected"
                    } else {
                        "org"
                    };
                    let url = format!("{}/{organization}", hosts.url(t.host));
                    let targets = vec![format!(
                        "{url}/{PROJECT}/_apis/git/repositories?api-version=7.1"
                    )];
                    ("azure-devops", url, vec![], targets)
                }
            };
            serde_json::json!({"name": t.name, "host": kind, "url": url, "secret": t.secret, "forbid": forbid, "targets": targets})
        })
        .collect();
    serde_json::Value::Array(entries)
}

/// How many of the verdicts in `statuses` (name → status) are the ones the tokens must
/// get, and the first wrong one.
pub fn wrong_verdicts(
    tokens: &[Token],
    statuses: &std::collections::HashMap<String, String>,
) -> Vec<String> {
    tokens
        .iter()
        .filter(|t| statuses.get(&t.name).map(String::as_str) != Some(t.kind.verdict()))
        .map(|t| {
            format!(
                "{} ({:?} {:?}): {:?}",
                t.name,
                t.host,
                t.kind,
                statuses.get(&t.name)
            )
        })
        .collect()
}
