//! Observation: the only place that talks to hosts. One file per host behind [`Host`];
//! [`observe_all`] checks every token concurrently (bounded per host), reusing
//! connections, and never lets a secret into what it returns.

mod aws_iam;
mod azure_devops;
mod azure_devops_server;
mod github;
mod gitlab;
mod http;

use async_trait::async_trait;
use jiff::Timestamp;

pub use http::{Http, HttpSettings, read_body};

use crate::facts::{FactsFile, Failure, Observation, Observed, TokenRecord};
use crate::host_kind::HostKind;
use crate::policy::{Policy, TokenSpec};
use crate::secret::Secret;

/// A kind of host that patlint can ask about a token.
#[async_trait]
pub trait Host: Send + Sync {
    /// Asks the host about one token. Every failure is an [`Observation`], never a panic
    /// or an error that could carry the secret.
    async fn observe(&self, http: &Http, token: &TokenSpec, secret: &Secret) -> Observation;
}

/// The hosts of one run. Only AWS keeps state (its SDK configuration, loaded on first use).
struct Hosts {
    aws: aws_iam::AwsIam,
}

impl Hosts {
    fn for_kind(&self, kind: HostKind) -> &dyn Host {
        match kind {
            HostKind::Github => &github::GitHub,
            HostKind::Gitlab => &gitlab::GitLab,
            HostKind::AzureDevops => &azure_devops::AzureDevops,
            HostKind::AzureDevopsServer => &azure_devops_server::AzureDevopsServer,
            HostKind::AwsIam => &self.aws,
        }
    }
}

/// Observes every token of the policy, concurrently, and returns them in policy order.
pub async fn observe_all(policy: &Policy, settings: &HttpSettings) -> FactsFile {
    let observed_at = Timestamp::now();
    let http = Http::new(settings.clone());
    let hosts = Hosts {
        aws: aws_iam::AwsIam::new(settings.clone()),
    };
    // Requests are bounded per origin inside `Http`; tokens all start at once.
    let checks = policy.tokens.iter().map(|token| {
        let http = &http;
        let hosts = &hosts;
        async move {
            TokenRecord {
                name: token.name.clone(),
                host: token.host(),
                observation: observe_one(hosts.for_kind(token.host()), http, token).await,
            }
        }
    });
    let tokens = futures_util::future::join_all(checks).await;
    FactsFile {
        schema_version: FactsFile::SCHEMA_VERSION,
        observed_at,
        tokens,
    }
}

async fn observe_one(host: &dyn Host, http: &Http, token: &TokenSpec) -> Observation {
    let secret = match token.secret.value.read() {
        Ok(secret) => {
            crate::masking::mask(&secret);
            secret
        }
        Err(e) => {
            return Observation::Unchecked {
                failure: Failure::SecretUnavailable,
                detail: e.to_string(),
            };
        }
    };
    let deadline = http.settings().deadline;
    let observation = match tokio::time::timeout(deadline, host.observe(http, token, &secret)).await
    {
        Ok(observation) => observation,
        Err(_) => Observation::host_error(format!(
            "the check did not finish within --deadline ({}s)",
            deadline.as_secs_f64()
        )),
    };
    // Shortened only after every secret is out, so a cut never leaves part of one.
    map_texts(scrub(observation, &secret), shorten)
}

/// Defence in depth: a host that echoes the token back (in a message, a header we
/// quote, a URL) must not get it into a report.
fn scrub(observation: Observation, secret: &Secret) -> Observation {
    let value = secret.expose();
    map_texts(observation, |text| {
        if value.len() >= 4 && text.contains(value) {
            text.replace(value, "<redacted>")
        } else {
            text
        }
    })
}

/// Applies `f` to every text of an observation that a host's answer may have shaped.
fn map_texts(observation: Observation, f: impl Fn(String) -> String) -> Observation {
    match observation {
        Observation::Observed { mut facts } => {
            facts.identity = facts.identity.map(&f);
            if let Observed::Value(scopes) = &mut facts.scopes {
                *scopes = std::mem::take(scopes).into_iter().map(&f).collect();
            }
            facts.evidence = facts.evidence.into_iter().map(|(k, v)| (k, f(v))).collect();
            facts.unobservable = facts
                .unobservable
                .into_iter()
                .map(|(k, v)| (k, f(v)))
                .collect();
            Observation::Observed { facts }
        }
        Observation::Rejected {
            reason,
            detail,
            evidence,
            help,
        } => Observation::Rejected {
            reason,
            detail: f(detail),
            evidence: f(evidence),
            help: help.map(&f),
        },
        Observation::Unchecked { failure, detail } => Observation::Unchecked {
            failure,
            detail: f(detail),
        },
    }
}

/// Interprets a GitLab `/personal_access_tokens/self` answer without a server, for tests
/// and fixtures.
pub fn gitlab_interpret_self(status: u16, body: &str) -> Observation {
    gitlab::interpret_self(&gitlab::Answer {
        status: reqwest::StatusCode::from_u16(status)
            .unwrap_or(reqwest::StatusCode::INTERNAL_SERVER_ERROR),
        headers: reqwest::header::HeaderMap::new(),
        body: body.to_owned(),
        path: "/api/v4/personal_access_tokens/self".into(),
    })
}

/// An auth header value, marked sensitive so that no HTTP layer logs it.
pub(crate) fn sensitive_header(value: &str) -> Result<reqwest::header::HeaderValue, &'static str> {
    let mut header = reqwest::header::HeaderValue::from_str(value)
        .map_err(|_| "the secret contains characters that cannot be sent in an HTTP header")?;
    header.set_sensitive(true);
    Ok(header)
}

pub(crate) fn header(headers: &reqwest::header::HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// The `message` of a JSON error body, shortened.
pub(crate) fn api_message(body: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(body).ok()?;
    let message = value.get("message")?.as_str()?;
    // Not shortened here: `scrub` first removes any echoed secret, then shortens.
    Some(message.to_owned())
}

/// What an unexpected body looks like, for a `host-error` message (never the body itself).
pub(crate) fn body_kind(headers: &reqwest::header::HeaderMap, body: &str) -> &'static str {
    let content_type = header(headers, "content-type").unwrap_or_default();
    if body.trim().is_empty() {
        "an empty body"
    } else if content_type.contains("html") || body.trim_start().starts_with('<') {
        "an HTML page"
    } else {
        "a body that is not the expected JSON"
    }
}

/// Host messages quoted in findings are kept short; this runs after the secret is
/// removed, so a cut can never leave part of it behind.
fn shorten(text: String) -> String {
    const LIMIT: usize = 600;
    if text.chars().count() <= LIMIT {
        return text;
    }
    let mut short: String = text.chars().take(LIMIT).collect();
    short.push('…');
    short
}

/// Joins a path onto a base URL that may itself have a path (`https://HOST/api/v3`).
pub(crate) fn join(base: &reqwest::Url, path: &str) -> reqwest::Url {
    let mut url = base.clone();
    let joined = format!(
        "{}/{}",
        base.path().trim_end_matches('/'),
        path.trim_start_matches('/')
    );
    url.set_path(&joined);
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_keeps_the_base_path() {
        let ghes = reqwest::Url::parse("https://ghe.example.com/api/v3/").unwrap();
        assert_eq!(
            join(&ghes, "user").as_str(),
            "https://ghe.example.com/api/v3/user"
        );
        let dotcom = reqwest::Url::parse("https://api.github.com").unwrap();
        assert_eq!(
            join(&dotcom, "/user").as_str(),
            "https://api.github.com/user"
        );
    }

    #[test]
    fn scrub_removes_an_echoed_secret() {
        let secret = Secret::new("ghp_canarycanarycanary");
        let obs = Observation::host_error("server said: ghp_canarycanarycanary is bad");
        let Observation::Unchecked { detail, .. } = scrub(obs, &secret) else {
            panic!()
        };
        assert_eq!(detail, "server said: <redacted> is bad");
    }
}
