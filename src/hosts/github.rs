//! GitHub.com, GitHub Enterprise Cloud and Enterprise Server (hosts.md §1).
//!
//! One request, `GET {url}/user`: a 200 proves the token works, `X-OAuth-Scopes` gives a
//! classic token's scopes and `GitHub-Authentication-Token-Expiration` its expiry.

use std::collections::BTreeSet;

use async_trait::async_trait;
use jiff::{SignedDuration, Timestamp};
use reqwest::StatusCode;
use reqwest::header::{ACCEPT, AUTHORIZATION, HeaderMap, LOCATION};

use super::{Host, Http, api_message, body_kind, header, join, read_body, sensitive_header};
use crate::facts::{Fact, Observation, Observed, Rejection, TokenFacts, TokenKind};
use crate::policy::{Endpoint, TokenSpec};
use crate::secret::Secret;

pub struct GitHub;

const SCOPES_HEADER: &str = "x-oauth-scopes";
const EXPIRATION_HEADER: &str = "github-authentication-token-expiration";
const SSO_HEADER: &str = "x-github-sso";
const API_VERSION: &str = "2022-11-28";

#[async_trait]
impl Host for GitHub {
    async fn observe(&self, http: &Http, token: &TokenSpec, secret: &Secret) -> Observation {
        let Endpoint::Github { api } = &token.endpoint else {
            return Observation::host_error(
                "internal: a non-GitHub token was sent to the GitHub host",
            );
        };
        let auth = match sensitive_header(&format!("Bearer {}", secret.expose())) {
            Ok(auth) => auth,
            Err(unsendable) => return Observation::host_error(unsendable),
        };
        let url = join(api, "user");
        let response = http
            .send("GitHub", token, || {
                http.client()
                    .get(url.clone())
                    .header(AUTHORIZATION, auth.clone())
                    .header(ACCEPT, "application/vnd.github+json")
                    .header("x-github-api-version", API_VERSION)
            })
            .await;
        let response = match response {
            Ok(r) => r,
            Err(detail) => return Observation::host_error(detail),
        };
        let status = response.status();
        let headers = response.headers().clone();
        let body = match read_body(response).await {
            Ok(body) => body,
            Err(detail) => return Observation::host_error(detail),
        };
        interpret(
            status,
            &headers,
            &body,
            secret,
            url.path(),
            Timestamp::now(),
        )
    }
}

/// Turns GitHub's answer into an observation. Pure, for tests.
pub fn interpret(
    status: StatusCode,
    headers: &HeaderMap,
    body: &str,
    secret: &Secret,
    path: &str,
    observed_at: Timestamp,
) -> Observation {
    let endpoint = format!("GET {path}");
    let message = api_message(body);
    match status {
        StatusCode::OK => {
            let Ok(serde_json::Value::Object(user)) = serde_json::from_str(body) else {
                return Observation::host_error(format!(
                    "{endpoint} answered 200 with {} instead of JSON; is `url` the API base (GitHub Enterprise Server: https://HOST/api/v3)?",
                    body_kind(headers, body)
                ));
            };
            let Some(login) = user.get("login").and_then(|l| l.as_str()) else {
                return Observation::host_error(format!(
                    "{endpoint} answered 200 without a `login`: not GitHub's user object, so it proves nothing about the token"
                ));
            };
            let mut facts = facts_from_headers(headers, secret, &endpoint, observed_at);
            facts.identity = Some(login.to_owned());
            Observation::observed(facts)
        }
        StatusCode::UNAUTHORIZED => Observation::Rejected {
            reason: Rejection::Invalid,
            detail: format!(
                "GitHub answered 401 ({})",
                message.as_deref().unwrap_or("Bad credentials")
            ),
            evidence: format!("401 from {endpoint}"),
            help: None,
        },
        StatusCode::FORBIDDEN if headers.contains_key(SSO_HEADER) => {
            let sso = header(headers, SSO_HEADER).unwrap_or_default();
            let url = sso
                .split(';')
                .find_map(|part| part.trim().strip_prefix("url="));
            Observation::Rejected {
                reason: Rejection::SsoRequired,
                detail: format!("GitHub answered 403 with X-GitHub-SSO: {sso}"),
                evidence: format!("X-GitHub-SSO header of 403 from {endpoint}"),
                help: Some(match url {
                    Some(url) => format!("authorize the token for the organization: open {url} (or Settings > Developer settings > Personal access tokens > Configure SSO > Authorize)"),
                    None => "authorize the token for the organization: Settings > Developer settings > Personal access tokens > Configure SSO > Authorize".into(),
                }),
            }
        }
        s if s.is_redirection() => Observation::host_error(format!(
            "{endpoint} answered {s} redirecting to {}; patlint does not follow redirects with a token: set `url` to the API base",
            header(headers, LOCATION.as_str()).unwrap_or_else(|| "nowhere".into())
        )),
        StatusCode::NOT_FOUND => Observation::host_error(format!(
            "{endpoint} answered 404; is `url` the API base (github.com: https://api.github.com, Enterprise Server: https://HOST/api/v3)?"
        )),
        s => Observation::host_error(format!(
            "{endpoint} answered {s}{}",
            message.map(|m| format!(" ({m})")).unwrap_or_default()
        )),
    }
}

fn facts_from_headers(
    headers: &HeaderMap,
    secret: &Secret,
    endpoint: &str,
    observed_at: Timestamp,
) -> TokenFacts {
    let scopes_header = header(headers, SCOPES_HEADER);
    let kind = token_kind(secret, scopes_header.is_some());
    let mut facts = TokenFacts::new(kind);

    match (&scopes_header, kind) {
        (_, TokenKind::FineGrainedPat) => {
            facts.unobservable.insert(Fact::Scopes, "fine-grained personal access tokens have permissions, which GitHub does not reveal to the token".into());
        }
        (_, TokenKind::GithubAppInstallationToken) => {
            facts.unobservable.insert(
                Fact::Scopes,
                "GitHub App installation tokens have the app's permissions, not scopes".into(),
            );
        }
        (Some(value), _) => {
            facts.scopes = Observed::Value(parse_scopes(value));
            facts
                .evidence
                .insert(Fact::Scopes, format!("X-OAuth-Scopes header of {endpoint}"));
        }
        (None, _) => {
            facts.unobservable.insert(
                Fact::Scopes,
                format!("GitHub sent no X-OAuth-Scopes header on {endpoint}"),
            );
        }
    }

    match header(headers, EXPIRATION_HEADER) {
        Some(value) => match parse_expiration(&value) {
            // A 200 proves the token works now: an expiry in the past is a wrong header
            // (seen for tokens without expiry, google/go-github#3708), not a fact.
            Some(at) if at < observed_at - SignedDuration::from_mins(5) => {
                facts.unobservable.insert(Fact::ExpiresAt, format!("GitHub-Authentication-Token-Expiration says `{value}`, in the past although the token works, so it is not trusted"));
            }
            Some(at) => {
                facts.expires_at = Observed::Value(Some(at));
                facts.evidence.insert(
                    Fact::ExpiresAt,
                    format!("GitHub-Authentication-Token-Expiration header of {endpoint}"),
                );
            }
            None => {
                facts.unobservable.insert(
                    Fact::ExpiresAt,
                    format!(
                        "GitHub-Authentication-Token-Expiration `{value}` is in no known format"
                    ),
                );
            }
        },
        None if matches!(kind, TokenKind::ClassicPat | TokenKind::FineGrainedPat) => {
            facts.expires_at = Observed::Value(None);
            facts.evidence.insert(Fact::ExpiresAt, format!("no GitHub-Authentication-Token-Expiration header on {endpoint}: the token never expires"));
        }
        None => {
            facts.unobservable.insert(
                Fact::ExpiresAt,
                format!(
                    "GitHub sends no expiry header for {} tokens",
                    kind_name(kind)
                ),
            );
        }
    }
    facts.unobservable.insert(
        Fact::CreatedAt,
        "GitHub does not tell a token when it was created".into(),
    );
    facts.unobservable.insert(
        Fact::LastUsedAt,
        "GitHub does not tell a token when it was last used".into(),
    );
    facts
}

fn token_kind(secret: &Secret, has_scopes_header: bool) -> TokenKind {
    match secret.prefix_matching(&["ghp_", "github_pat_", "gho_", "ghu_", "ghs_"]) {
        Some("ghp_") => TokenKind::ClassicPat,
        Some("github_pat_") => TokenKind::FineGrainedPat,
        Some("gho_") => TokenKind::OauthToken,
        Some("ghu_") => TokenKind::GithubAppUserToken,
        Some("ghs_") => TokenKind::GithubAppInstallationToken,
        // Tokens from before the prefixes (40 hex characters) are classic PATs.
        _ if has_scopes_header => TokenKind::ClassicPat,
        _ => TokenKind::Unknown,
    }
}

fn kind_name(kind: TokenKind) -> &'static str {
    match kind {
        TokenKind::OauthToken => "OAuth",
        TokenKind::GithubAppUserToken => "GitHub App user",
        TokenKind::GithubAppInstallationToken => "GitHub App installation",
        _ => "unrecognised",
    }
}

/// `repo, user` → {repo, user}; an empty header is a token with no scopes.
pub fn parse_scopes(value: &str) -> BTreeSet<String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Both documented forms: `2021-09-03 02:34:04 UTC` and `2023-04-26 20:23:26 +0200`.
pub fn parse_expiration(value: &str) -> Option<Timestamp> {
    let value = value.trim();
    if let Some(utc) = value.strip_suffix(" UTC") {
        let civil: jiff::civil::DateTime =
            jiff::civil::DateTime::strptime("%Y-%m-%d %H:%M:%S", utc).ok()?;
        return civil
            .to_zoned_datetime(jiff::tz::TimeZone::UTC)
            .ok()
            .map(|z| z.timestamp());
    }
    Timestamp::strptime("%Y-%m-%d %H:%M:%S %z", value).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn parses_both_documented_expiration_formats() {
        // Values from go-github's TestParseTokenExpiration (hosts.md §1.4).
        assert_eq!(
            parse_expiration("2021-09-03 02:34:04 UTC")
                .unwrap()
                .to_string(),
            "2021-09-03T02:34:04Z"
        );
        assert_eq!(
            parse_expiration("2021-09-03 14:34:04 UTC")
                .unwrap()
                .to_string(),
            "2021-09-03T14:34:04Z"
        );
        assert_eq!(
            parse_expiration("2023-04-26 20:23:26 +0200")
                .unwrap()
                .to_string(),
            "2023-04-26T18:23:26Z"
        );
        assert_eq!(parse_expiration("tomorrow"), None);
    }

    #[test]
    fn parses_scope_headers() {
        // The documented example: `X-OAuth-Scopes: repo, user`.
        assert_eq!(
            parse_scopes("repo, user"),
            BTreeSet::from(["repo".to_string(), "user".to_string()])
        );
        assert!(parse_scopes("").is_empty());
    }

    #[test]
    fn an_expiry_in_the_past_on_a_working_token_is_not_trusted() {
        let mut headers = HeaderMap::new();
        headers.insert(
            EXPIRATION_HEADER,
            HeaderValue::from_static("2021-09-03 02:34:04 UTC"),
        );
        headers.insert(SCOPES_HEADER, HeaderValue::from_static("repo"));
        let now: Timestamp = "2026-11-24T00:00:00Z".parse().unwrap();
        let secret = Secret::new("ghp_canary");
        let obs = interpret(
            StatusCode::OK,
            &headers,
            r#"{"login":"octocat"}"#,
            &secret,
            "/user",
            now,
        );
        let facts = obs.facts().unwrap();
        assert!(facts.expires_at.is_unobservable());
        assert!(
            facts
                .why_unobservable(Fact::ExpiresAt)
                .contains("not trusted")
        );
        assert_eq!(facts.identity.as_deref(), Some("octocat"));
    }
}
