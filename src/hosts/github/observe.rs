//! Asking GitHub about a token: `GET /user`, and what its answer's headers reveal.

use std::collections::BTreeSet;

use jiff::Timestamp;
use reqwest::StatusCode;
use reqwest::header::{ACCEPT, HeaderName};

use super::{Endpoint, PREFIXES};
use crate::client::api;
use crate::client::wire::join;
use crate::facts::{Observation, Observed, Rejection, TokenFacts, TokenKind};
use crate::hosts::{Answer, Call};
use crate::secret::Secret;

const SCOPES_HEADER: &str = "x-oauth-scopes";
const EXPIRATION_HEADER: &str = "github-authentication-token-expiration";
pub(super) const SSO_HEADER: &str = "x-github-sso";
/// <https://docs.github.com/en/rest/about-the-rest-api/api-versions>
const API_VERSION: &str = "2022-11-28";

pub(super) async fn observe(call: &Call<'_>, endpoint: &Endpoint) -> Observation {
    let api = match Api::new(call, endpoint) {
        Ok(api) => api,
        Err(unsendable) => return unsendable,
    };
    let observation = match api.get("user").await {
        Ok(answer) => interpret(&answer, call.secret()),
        Err(error) => return error,
    };
    if observation.facts().is_some() {
        // The organization's listing of SSO authorizations names a classic token by its
        // last eight characters (`token_last_eight`).
        let secret = call.secret().expose();
        let chars: Vec<char> = secret.chars().collect();
        let last: String = chars[chars.len().saturating_sub(8)..].iter().collect();
        call.identify(super::inventory::LAST_EIGHT, &last);
    }
    let Observation::Observed { mut facts } = observation else {
        return observation;
    };
    if super::probes::asked(&api, endpoint)
        && let Err(stopped) = super::probes::run(&api, endpoint, &mut facts).await
    {
        return stopped;
    }
    Observation::Observed { facts }
}

/// GitHub's REST API, asked with one token: paths carry their query as GitHub's links
/// write it (`orgs/acme/personal-access-tokens?per_page=100&page=2`).
pub(super) struct Api<'a>(api::Api<'a>);

impl<'a> Api<'a> {
    pub(super) fn new(call: &'a Call<'a>, endpoint: &'a Endpoint) -> Result<Self, Observation> {
        let api = api::Api::bearer(call, "GitHub", endpoint.api.clone())?
            .with_header(ACCEPT, "application/vnd.github+json")
            .with_header(HeaderName::from_static("x-github-api-version"), API_VERSION);
        Ok(Api(api))
    }

    pub(super) fn call(&self) -> &'a Call<'a> {
        self.0.call
    }

    /// A URL of this API as a path for [`Api::get`]; `None` for one elsewhere.
    pub(super) fn relative(&self, url: &str) -> Option<String> {
        let url = reqwest::Url::parse(url).ok()?;
        let base = self.0.base();
        let rest = url
            .as_str()
            .strip_prefix(base.as_str().trim_end_matches('/'))?
            .strip_prefix('/')?;
        (url.origin() == base.origin()).then(|| rest.to_owned())
    }

    pub async fn get(&self, path: &str) -> Result<Answer, Observation> {
        self.0.get(&self.url(path)).await
    }

    pub async fn post(&self, path: &str, body: serde_json::Value) -> Result<Answer, Observation> {
        self.0
            .send(reqwest::Method::POST, &self.url(path), Some(&body))
            .await
    }

    /// `path?query` under the API base, the query kept as written (a link's query is
    /// GitHub's own, and is sent back as it came).
    fn url(&self, path: &str) -> reqwest::Url {
        let (path, query) = path.split_once('?').unwrap_or((path, ""));
        let mut url = join(self.0.base(), path);
        if !query.is_empty() {
            url.set_query(Some(query));
        }
        url
    }
}

/// Turns GitHub's answer into an observation. Pure, for tests.
fn interpret(answer: &Answer, secret: &Secret) -> Observation {
    let endpoint = &answer.request;
    let headers = &answer.headers;
    match answer.status {
        StatusCode::OK => {
            let Some(serde_json::Value::Object(user)) = answer.json() else {
                return Observation::host_error(format!(
                    "{endpoint} answered 200 with {} instead of JSON; is `url` the API base (GitHub Enterprise Server: https://HOST/api/v3)?",
                    answer.body_kind()
                ));
            };
            let Some(login) = user.get("login").and_then(|l| l.as_str()) else {
                return Observation::host_error(format!(
                    "{endpoint} answered 200 without a `login`: not GitHub's user object, so it proves nothing about the token"
                ));
            };
            let headers = match TokenHeaders::read(answer) {
                Ok(headers) => headers,
                Err(problem) => {
                    return Observation::host_error(format!(
                        "{endpoint} answered 200 with {problem}; a proxy or another hop may have added one, so the answer proves nothing about the token's scopes or expiry"
                    ));
                }
            };
            let mut facts = facts_from_headers(&headers, endpoint, secret);
            facts.identity = Some(login.to_owned());
            Observation::observed(facts)
        }
        // Only GitHub's own 401 says the token is bad; a proxy's says nothing of it.
        StatusCode::UNAUTHORIZED if !super::probes::own_answer(answer) => {
            Observation::host_error(super::probes::OWN.not_own(answer))
        }
        StatusCode::UNAUTHORIZED => Observation::rejected(
            Rejection::Invalid,
            format!(
                "GitHub answered 401 ({})",
                answer.api_message().as_deref().unwrap_or("Bad credentials")
            ),
            format!("401 from {endpoint}"),
        ),
        StatusCode::FORBIDDEN if headers.contains_key(SSO_HEADER) => {
            let sso = answer.header(SSO_HEADER).unwrap_or_default();
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
                expires_at: None,
            }
        }
        s if s.is_redirection() => Observation::host_error(format!(
            "{endpoint} answered {s} redirecting to {}; patlint does not follow redirects with a token: set `url` to the API base",
            answer.location()
        )),
        StatusCode::NOT_FOUND => Observation::host_error(format!(
            "{endpoint} answered 404; is `url` the API base (github.com: https://api.github.com, Enterprise Server: https://HOST/api/v3)?"
        )),
        s => Observation::host_error(format!(
            "{endpoint} answered {s}{}",
            answer.quoted_message()
        )),
    }
}

/// The headers GitHub describes a token with, each sent once: `X-OAuth-Scopes`
/// (<https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/scopes-for-oauth-apps>)
/// and `GitHub-Authentication-Token-Expiration`
/// (<https://docs.github.com/en/rest/using-the-rest-api/troubleshooting-the-rest-api>).
struct TokenHeaders {
    scopes: Option<String>,
    expiration: Option<String>,
}

impl TokenHeaders {
    fn read(answer: &Answer) -> Result<Self, String> {
        Ok(TokenHeaders {
            scopes: answer.single_header(SCOPES_HEADER)?,
            expiration: answer.single_header(EXPIRATION_HEADER)?,
        })
    }
}

fn facts_from_headers(headers: &TokenHeaders, endpoint: &str, secret: &Secret) -> TokenFacts {
    let scopes_header = &headers.scopes;
    let kind = token_kind(secret, scopes_header.is_some());
    let mut facts = TokenFacts::new(kind);
    // A 200 proves the token works now: an expiry well before now is contradicted, which
    // evaluation judges against the recorded time of observation.
    facts.worked_when_observed = true;

    match (scopes_header, kind) {
        (_, TokenKind::FineGrainedPat) => {
            facts.scopes.set_why("fine-grained personal access tokens have permissions, which GitHub does not reveal to the token".into());
        }
        (_, TokenKind::GithubAppInstallationToken) => {
            facts.scopes.set_why(
                "GitHub App installation tokens have the app's permissions, not scopes".into(),
            );
        }
        (Some(value), _) => {
            facts.scopes = Observed::bare(parse_scopes(value));
            facts
                .scopes
                .set_evidence(format!("X-OAuth-Scopes header of {endpoint}"));
        }
        (None, _) => {
            facts.scopes.set_why(format!(
                "GitHub sent no X-OAuth-Scopes header on {endpoint}"
            ));
        }
    }

    match &headers.expiration {
        Some(value) => match parse_expiration(value) {
            Some(at) => {
                facts.expires_at = Observed::bare(Some(at));
                facts.expires_at.set_evidence(format!(
                    "GitHub-Authentication-Token-Expiration header of {endpoint}"
                ));
            }
            None => {
                facts.expires_at.set_why(format!(
                    "GitHub-Authentication-Token-Expiration `{value}` is in no known format"
                ));
            }
        },
        None if matches!(kind, TokenKind::ClassicPat | TokenKind::FineGrainedPat) => {
            facts.expires_at = Observed::bare(None);
            facts.expires_at.set_evidence(format!("no GitHub-Authentication-Token-Expiration header on {endpoint}: the token never expires"));
        }
        None => {
            facts.expires_at.set_why(format!(
                "GitHub sends no expiry header for {} tokens",
                kind_name(kind)
            ));
        }
    }
    facts
        .created_at
        .set_why("GitHub does not tell a token when it was created".into());
    facts
        .last_used_at
        .set_why("GitHub does not tell a token when it was last used".into());
    facts
}

fn token_kind(secret: &Secret, has_scopes_header: bool) -> TokenKind {
    match secret.prefix_matching(PREFIXES) {
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
        // Values from go-github's TestParseTokenExpiration (github/github_test.go).
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
    fn a_working_token_records_its_expiry_header_for_evaluation() {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(
            EXPIRATION_HEADER,
            HeaderValue::from_static("2021-09-03 02:34:04 UTC"),
        );
        headers.insert(SCOPES_HEADER, HeaderValue::from_static("repo"));
        let answer = Answer {
            status: StatusCode::OK,
            headers,
            body: r#"{"login":"octocat"}"#.into(),
            request: "GET /user".into(),
        };
        let obs = interpret(&answer, &Secret::new("ghp_canary"));
        let facts = obs.facts().unwrap();
        assert!(facts.worked_when_observed);
        assert_eq!(
            facts.expires_at.value(),
            Some(&Some("2021-09-03T02:34:04Z".parse::<Timestamp>().unwrap()))
        );
        assert_eq!(facts.identity.as_deref(), Some("octocat"));
    }
}
