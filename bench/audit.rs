//! The audit at organization scale: a GitHub organization and a GitLab instance that each
//! list 10,000 tokens (100 pages of 100), with 50 ms added to every answer, audited by
//! patlint and read by a sequential client that follows `Link: rel="next"`, as
//! `gh api --paginate` and python-gitlab's `list(get_all=True)` do
//! (`sequential_lister.py`).
//!
//! Each host states where its listing ends on every page as the vendor does: GitHub in
//! `Link` (`next`, `last`, `prev`, `first`; no `last` on the last page), GitLab in
//! `x-total-pages`, `x-total`, `x-next-page` and `Link`. The servers note when each
//! listing request arrived, so the listing's window (first page asked to last page
//! answered) is measured where the requests land. A few of the listed tokens are
//! declared in the policy (matched by id); the rest are judged as undeclared against
//! `[defaults]`, with a mix of expiries and last uses that gives most of them findings.

use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use wiremock::matchers::{header, method, path, path_regex, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// Tokens each host lists.
pub const LISTED: usize = 10_000;
/// GitHub's and GitLab's largest page.
const PER_PAGE: usize = 100;
/// Tokens of each listing the policy declares (ids 1 to this).
const DECLARED: usize = 20;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Host {
    Github,
    Gitlab,
}

impl Host {
    pub fn label(self) -> &'static str {
        match self {
            Host::Github => "GitHub organization",
            Host::Gitlab => "GitLab instance",
        }
    }

    /// The inventory's name in the policy, the prefix of every undeclared token's name.
    pub fn inventory(self) -> &'static str {
        match self {
            Host::Github => "acme-github",
            Host::Gitlab => "gitlab-admin",
        }
    }

    /// The inventory's secret: a GitHub App installation token, a GitLab administrator's.
    fn inventory_secret(self) -> &'static str {
        match self {
            Host::Github => "bench-github-inventory-installation",
            Host::Gitlab => "bench-gitlab-inventory-admin",
        }
    }

    /// The listing's path, as the sequential client asks for it.
    fn listing(self) -> &'static str {
        match self {
            Host::Github => "/orgs/acme/personal-access-tokens",
            Host::Gitlab => "/api/v4/personal_access_tokens",
        }
    }
}

pub fn pages() -> usize {
    LISTED.div_ceil(PER_PAGE)
}

/// A responder that notes when each request arrived.
#[derive(Clone)]
struct Noted {
    answer: ResponseTemplate,
    arrivals: Arc<Mutex<Vec<Instant>>>,
}

impl Respond for Noted {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        self.arrivals.lock().unwrap().push(Instant::now());
        self.answer.clone()
    }
}

/// One host's local server, and when its listing's requests arrived.
pub struct Server {
    pub host: Host,
    pub server: MockServer,
    arrivals: Arc<Mutex<Vec<Instant>>>,
    latency: Duration,
}

impl Server {
    pub async fn start(host: Host, latency: Duration) -> Server {
        let server = MockServer::start().await;
        let arrivals = Arc::new(Mutex::new(Vec::new()));
        let this = Server {
            host,
            server,
            arrivals,
            latency,
        };
        match host {
            Host::Github => this.mount_github().await,
            Host::Gitlab => this.mount_gitlab().await,
        }
        this
    }

    pub fn uri(&self) -> String {
        self.server.uri()
    }

    /// Forgets the arrivals noted so far.
    pub fn reset(&self) {
        self.arrivals.lock().unwrap().clear();
    }

    /// The listing's window since the last [`Server::reset`]: from the first listing
    /// request's arrival to the last one's answer (its arrival plus the latency), and how
    /// many listing requests came.
    pub fn window(&self) -> (Duration, usize) {
        let arrivals = self.arrivals.lock().unwrap();
        let (Some(first), Some(last)) = (arrivals.iter().min(), arrivals.iter().max()) else {
            return (Duration::ZERO, 0);
        };
        (*last - *first + self.latency, arrivals.len())
    }

    fn answer(&self, status: u16) -> ResponseTemplate {
        ResponseTemplate::new(status).set_delay(self.latency)
    }

    fn noted(&self, answer: ResponseTemplate) -> Noted {
        Noted {
            answer,
            arrivals: self.arrivals.clone(),
        }
    }

    async fn mount_github(&self) {
        let uri = self.uri();
        let link = |page: usize, rel: &str| {
            format!(
                "<{uri}/organizations/1/personal-access-tokens?per_page={PER_PAGE}&page={page}>; rel=\"{rel}\""
            )
        };
        let last = pages();
        for page in 1..=last {
            // GitHub's `Link`: `prev` and `first` after the first page, `next` and `last`
            // before the last (docs.github.com, "Using pagination in the REST API").
            let mut links = Vec::new();
            if page > 1 {
                links.push(link(page - 1, "prev"));
            }
            if page < last {
                links.push(link(page + 1, "next"));
                links.push(link(last, "last"));
            }
            if page > 1 {
                links.push(link(1, "first"));
            }
            let grants: Vec<Value> = ids(page).map(grant).collect();
            let mut answer = self.answer(200).set_body_json(Value::Array(grants));
            if !links.is_empty() {
                answer = answer.insert_header("link", links.join(", ").as_str());
            }
            // GitHub's links name the organization by its id.
            let mock = Mock::given(method("GET"))
                .and(path_regex(
                    "^/(orgs/acme|organizations/1)/personal-access-tokens$",
                ))
                .and(header(
                    "authorization",
                    format!("Bearer {}", Host::Github.inventory_secret()).as_str(),
                ));
            let mock = match page {
                1 => mock.and(query_param_is_missing("page")),
                n => mock.and(query_param("page", n.to_string())),
            };
            mock.respond_with(self.noted(answer))
                .mount(&self.server)
                .await;
        }
        // Past the last page: an empty page, as GitHub answers one.
        Mock::given(method("GET"))
            .and(path_regex(
                "^/(orgs/acme|organizations/1)/personal-access-tokens$",
            ))
            .respond_with(
                self.answer(200)
                    .insert_header(
                        "link",
                        [link(last, "prev"), link(last, "last"), link(1, "first")]
                            .join(", ")
                            .as_str(),
                    )
                    .set_body_json(json!([])),
            )
            .with_priority(9)
            .mount(&self.server)
            .await;
        // No fine-grained token awaits the organization's approval.
        Mock::given(method("GET"))
            .and(path("/orgs/acme/personal-access-token-requests"))
            .respond_with(self.answer(200).set_body_json(json!([])))
            .mount(&self.server)
            .await;
        // No SAML SSO authorizations: an empty list, which the audit reports as what it
        // cannot see (classic tokens).
        Mock::given(method("GET"))
            .and(path("/orgs/acme/credential-authorizations"))
            .respond_with(self.answer(200).set_body_json(json!([])))
            .mount(&self.server)
            .await;
        // The declared tokens' own checks.
        Mock::given(method("GET"))
            .and(path("/user"))
            .respond_with(
                self.answer(200)
                    .insert_header(
                        "github-authentication-token-expiration",
                        "2027-01-01 00:00:00 UTC",
                    )
                    .set_body_json(json!({ "login": "integrations" })),
            )
            .mount(&self.server)
            .await;
    }

    async fn mount_gitlab(&self) {
        let uri = self.uri();
        let last = pages();
        let link = |page: usize, rel: &str| {
            format!(
                "<{uri}/api/v4/personal_access_tokens?per_page={PER_PAGE}&state=active&page={page}>; rel=\"{rel}\""
            )
        };
        for page in 1..=last {
            let mut links = Vec::new();
            if page > 1 {
                links.push(link(page - 1, "prev"));
            }
            if page < last {
                links.push(link(page + 1, "next"));
            }
            links.push(link(1, "first"));
            links.push(link(last, "last"));
            let tokens: Vec<Value> = ids(page).map(gitlab_token).collect();
            // GitLab's offset pagination headers (docs.gitlab.com/api/rest/#pagination).
            let next = if page < last {
                (page + 1).to_string()
            } else {
                String::new()
            };
            let prev = if page > 1 {
                (page - 1).to_string()
            } else {
                String::new()
            };
            let answer = self
                .answer(200)
                .insert_header("link", links.join(", ").as_str())
                .insert_header("x-next-page", next.as_str())
                .insert_header("x-page", page.to_string().as_str())
                .insert_header("x-per-page", PER_PAGE.to_string().as_str())
                .insert_header("x-prev-page", prev.as_str())
                .insert_header("x-total", LISTED.to_string().as_str())
                .insert_header("x-total-pages", last.to_string().as_str())
                .set_body_json(Value::Array(tokens));
            let mock = Mock::given(method("GET"))
                .and(path("/api/v4/personal_access_tokens"))
                .and(query_param("state", "active"))
                .and(header("private-token", Host::Gitlab.inventory_secret()));
            let mock = match page {
                1 => mock.and(query_param_is_missing("page")),
                n => mock.and(query_param("page", n.to_string())),
            };
            mock.respond_with(self.noted(answer))
                .mount(&self.server)
                .await;
        }
        // Administrator access, asked before the listing (user 0 has no tokens).
        Mock::given(method("GET"))
            .and(path("/api/v4/personal_access_tokens"))
            .and(query_param("user_id", "0"))
            .respond_with(self.answer(200).set_body_json(json!([])))
            .with_priority(1)
            .mount(&self.server)
            .await;
        Mock::given(method("GET"))
            .and(path("/api/v4/user"))
            .respond_with(
                self.answer(200)
                    .set_body_json(json!({ "id": 100_000, "username": "root", "is_admin": true })),
            )
            .mount(&self.server)
            .await;
        // Each declared token's `/self` gives its id: declared token `d{i}` is token `i`.
        for id in 1..=DECLARED {
            Mock::given(method("GET"))
                .and(path("/api/v4/personal_access_tokens/self"))
                .and(header(
                    "private-token",
                    declared_secret(Host::Gitlab, id).as_str(),
                ))
                .respond_with(self.answer(200).set_body_json(gitlab_token(id)))
                .mount(&self.server)
                .await;
        }
    }
}

/// The ids of one page's tokens, from 1.
fn ids(page: usize) -> std::ops::RangeInclusive<usize> {
    let first = (page - 1) * PER_PAGE + 1;
    first..=(page * PER_PAGE).min(LISTED)
}

/// What a token's id makes of it: a mix of owners, expiries and last uses.
fn owner(id: usize) -> usize {
    id * 7919 % 500
}

fn expiry(id: usize) -> Value {
    match id % 4 {
        0 => Value::Null,
        1 => json!("2027-01-01T00:00:00Z"),
        2 => json!("2026-12-01T00:00:00Z"),
        _ => json!("2028-06-01T00:00:00Z"),
    }
}

fn last_use(id: usize) -> Value {
    match id % 3 {
        0 => Value::Null,
        1 => json!("2026-11-20T00:00:00Z"),
        _ => json!("2025-06-01T00:00:00Z"),
    }
}

/// An item of `GET /orgs/{org}/personal-access-tokens` (github/rest-api-description,
/// `organization-programmatic-access-grant`).
fn grant(id: usize) -> Value {
    json!({
        "id": id + 1_000_000,
        "owner": { "login": format!("user-{:03}", owner(id)), "id": owner(id), "type": "User" },
        "repository_selection": if id.is_multiple_of(5) { "all" } else { "subset" },
        "repositories_url": "https://api.github.com/organizations/1/personal-access-tokens/1/repositories",
        "permissions": {
            "repository": { "contents": "write", "metadata": "read" },
            "organization": {},
            "other": {}
        },
        "access_granted_at": "2026-06-01T00:00:00Z",
        "token_id": id,
        "token_name": format!("token-{id}"),
        "token_expired": false,
        "token_expires_at": expiry(id),
        "token_last_used_at": last_use(id)
    })
}

/// An item of `GET /api/v4/personal_access_tokens` (docs.gitlab.com,
/// `api/personal_access_tokens.md`).
fn gitlab_token(id: usize) -> Value {
    let expires = match id % 4 {
        0 => Value::Null,
        1 => json!("2027-01-01"),
        2 => json!("2026-12-01"),
        _ => json!("2028-06-01"),
    };
    json!({
        "id": id,
        "name": format!("token-{id}"),
        "revoked": false,
        "created_at": "2026-03-01T00:00:00.000Z",
        "description": "",
        "scopes": if id.is_multiple_of(6) { json!(["api", "sudo"]) } else { json!(["read_api"]) },
        "user_id": owner(id) + 2,
        "last_used_at": last_use(id),
        "active": true,
        "expires_at": expires
    })
}

fn declared_secret(host: Host, id: usize) -> String {
    match host {
        Host::Github => format!("github_pat_11BENCH{id:0>15}_{:0>59}", id),
        Host::Gitlab => format!("bench-gitlab-declared-{id:0>8}"),
    }
}

/// The policy: the host's inventory, `DECLARED` of its tokens, and `[defaults]` that
/// most listed tokens break one way or another.
pub fn policy(server: &Server) -> String {
    let url = server.uri();
    let host = server.host;
    let (name, extra) = match host {
        Host::Github => ("github", "organization = \"acme\"\n"),
        Host::Gitlab => ("gitlab", ""),
    };
    let scopes = match host {
        Host::Github => "",
        Host::Gitlab => "\n[hosts.gitlab]\nforbid_scopes = [\"sudo\"]\n",
    };
    let mut text = format!(
        "version = 1\n\n[defaults]\nmax_lifespan = \"400d\"\nstale_after = \"90d\"\non_unverifiable = \"warn\"\n{scopes}\n[[inventory]]\nname = \"{}\"\nhost = \"{name}\"\nurl = \"{url}\"\n{extra}secret = {{ env = \"INVENTORY\" }}\n",
        host.inventory()
    );
    for id in 1..=DECLARED {
        let key = match host {
            Host::Github => format!("token_id = {id}\n"),
            Host::Gitlab => String::new(),
        };
        text.push_str(&format!(
            "\n[[token]]\nname = \"d{id}\"\nhost = \"{name}\"\nurl = \"{url}\"\n{key}secret = {{ env = \"D{id}\" }}\n"
        ));
    }
    text
}

pub fn env(host: Host) -> Vec<(String, String)> {
    let mut env = vec![("INVENTORY".to_owned(), host.inventory_secret().to_owned())];
    env.extend((1..=DECLARED).map(|id| (format!("D{id}"), declared_secret(host, id))));
    env
}

pub fn patlint_audit(
    patlint: &Path,
    policy: &Path,
    env: &[(String, String)],
    format: &str,
) -> Command {
    let mut cmd = Command::new(patlint);
    cmd.env_clear()
        .envs(env.iter().cloned())
        .args([
            "audit",
            "--now",
            "2026-11-24",
            "--format",
            format,
            "--policy",
        ])
        .arg(policy);
    cmd
}

/// The sequential client's command: every page of the host's listing, following `Link`.
pub fn sequential(python: &Path, server: &Server) -> Command {
    let mut cmd = Command::new(python);
    let (auth, value) = match server.host {
        Host::Github => (
            "Authorization",
            format!("Bearer {}", Host::Github.inventory_secret()),
        ),
        Host::Gitlab => ("PRIVATE-TOKEN", Host::Gitlab.inventory_secret().to_owned()),
    };
    let query = match server.host {
        Host::Github => "per_page=100",
        Host::Gitlab => "per_page=100&state=active",
    };
    cmd.arg("bench/sequential_lister.py")
        .arg(format!("{}{}?{query}", server.uri(), server.host.listing()))
        .arg(auth)
        .arg(value);
    cmd
}

/// How many of the listed tokens patlint's JSON report accounts for: declared ones
/// matched to the listing, and undeclared ones reported under the inventory's name.
pub fn counted(report: &str, host: Host) -> usize {
    let json: Value = serde_json::from_str(report)
        .unwrap_or_else(|e| panic!("patlint's JSON report does not parse ({e})"));
    let prefix = format!("{}.", host.inventory());
    json["tokens"]
        .as_array()
        .expect("a tokens array")
        .iter()
        .filter(|t| {
            t["name"].as_str().is_some_and(|n| n.starts_with(&prefix))
                || t["listed"]["declared"] == true
        })
        .count()
}
