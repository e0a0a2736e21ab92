//! Asking Bitbucket Cloud about a token: one GET, and what its answer reveals.
//!
//! - An API token or an app password (Basic) asks `GET /user`
//!   (<https://developer.atlassian.com/cloud/bitbucket/rest/api-group-users/#api-user-get>).
//! - An access token (Bearer) acts as its repository, project or workspace, not a user,
//!   and "some APIs … are inaccessible for Access Tokens"
//!   (<https://developer.atlassian.com/cloud/bitbucket/rest/intro/#access-tokens>): it asks
//!   `GET /repositories`, the request Atlassian's KB "How to fetch the scope of a token via
//!   command line" uses to read a token's scopes
//!   (<https://support.atlassian.com/bitbucket-cloud/kb/how-to-fetch-the-scope-of-a-token-via-command-line/>).
//!
//! Every answer carries `x-oauth-scopes` and `x-credential-type` (the KB's example:
//! `x-credential-type: repo_access_token`, `x-oauth-scopes: repository:write`; TruffleHog
//! reads both, trufflesecurity/trufflehog `pkg/analyzer/analyzers/bitbucket/bitbucket.go`).

use base64::Engine;
use reqwest::StatusCode;
use reqwest::header::{ACCEPT, AUTHORIZATION, HeaderValue};
use serde::Deserialize;

use super::cloud::{APP_PASSWORD_PREFIX, Endpoint};
use super::facts::{API_TOKEN, APP_PASSWORD, set_cloud_credential};
use super::judge::refused_app_password_help;
use crate::client::own_answer::OwnAnswer;
use crate::client::wire::{join, sensitive_header};
use crate::facts::{Fact, Observation, Observed, Rejection, TokenFacts, TokenKind};
use crate::hosts::{Answer, Call};
use crate::secret::Secret;

const PRODUCT: &str = "Bitbucket Cloud";
const SCOPES_HEADER: &str = "x-oauth-scopes";
const CREDENTIAL_HEADER: &str = "x-credential-type";
/// Atlassian KB "Getting 401 HTTP error when using Basic authentication with Bitbucket
/// Cloud REST APIs": `www-authenticate: Basic realm="Bitbucket.org HTTP"`
/// (<https://support.atlassian.com/bitbucket-cloud/kb/getting-401-http-error-while-authenticating-to-bitbucket-cloud-rest-apis>).
const REALM: &str = "Bitbucket.org HTTP";
/// The 403 of a token without the scope an endpoint needs, which still names the scopes
/// it has: `{"type": "error", "error": {"message": "Your credentials lack one or more
/// required privilege scopes.", "detail": {"required": ["account"], "granted": ["team"]}}}`
/// (quoted from Bitbucket in backstage/backstage#22383).
const LACKS_SCOPES: &str = "Your credentials lack one or more required privilege scopes.";

/// The expiry of an API token is chosen at creation and shown on id.atlassian.com, but no
/// Bitbucket Cloud answer carries it, nor a token's creation or last use.
const NOT_IN_THE_API: &str = "Bitbucket Cloud's API does not reveal a token's expiry, creation date or last use (API tokens show them only on id.atlassian.com, access tokens in the repository, project or workspace settings)";

/// How the secret is sent, from the policy's keys.
enum Credential<'a> {
    ApiToken { email: &'a str },
    AppPassword { username: &'a str },
    AccessToken,
}

impl Credential<'_> {
    fn path(&self) -> &'static str {
        match self {
            Credential::AccessToken => "repositories?pagelen=1",
            _ => "user",
        }
    }
}

pub(super) async fn observe(call: &Call<'_>, endpoint: &Endpoint) -> Observation {
    let credential = match (&endpoint.email, &endpoint.username) {
        (Some(email), _) => Credential::ApiToken { email },
        (None, Some(username)) => Credential::AppPassword {
            username: &username.value,
        },
        (None, None) => Credential::AccessToken,
    };
    let auth = match authorization(call, &credential) {
        Ok(auth) => auth,
        Err(unsendable) => return Observation::host_error(unsendable),
    };
    let (path, query) = credential
        .path()
        .split_once('?')
        .unwrap_or((credential.path(), ""));
    let mut url = join(&endpoint.api, path);
    if !query.is_empty() {
        url.set_query(Some(query));
    }
    let answer = match call
        .send(PRODUCT, |client| {
            client
                .get(url.clone())
                .header(AUTHORIZATION, auth.clone())
                .header(ACCEPT, "application/json")
        })
        .await
    {
        Ok(answer) => answer,
        Err(error) => return error.into(),
    };
    let app_password = is_app_password(&credential, call.secret());
    let observation = interpret(&answer, &credential, app_password);
    match app_password {
        true => observation.with_rejection_help(|| refused_app_password_help(call.observed_at())),
        false => observation,
    }
}

/// An app password by the policy (`username`) or by its own prefix.
fn is_app_password(credential: &Credential<'_>, secret: &Secret) -> bool {
    matches!(credential, Credential::AppPassword { .. })
        || secret.prefix_matching(&[APP_PASSWORD_PREFIX]).is_some()
}

/// Basic `account:secret` for an API token or app password, Bearer for an access token.
/// The encoded form is what travels, and so what a host might echo: it is scrubbed too.
fn authorization(
    call: &Call<'_>,
    credential: &Credential<'_>,
) -> Result<HeaderValue, &'static str> {
    let account = match credential {
        Credential::ApiToken { email } => email,
        Credential::AppPassword { username } => username,
        Credential::AccessToken => {
            return sensitive_header(&format!("Bearer {}", call.secret().expose()));
        }
    };
    let encoded = Secret::new(
        base64::engine::general_purpose::STANDARD
            .encode(format!("{account}:{}", call.secret().expose())),
    );
    call.protect(&encoded);
    sensitive_header(&format!("Basic {}", encoded.expose()))
}

/// Bitbucket's JSON error body: `{"type": "error", "error": {"message": …, "detail": …}}`.
#[derive(Deserialize)]
struct ErrorBody {
    #[serde(rename = "type")]
    kind: String,
    error: ErrorDetail,
}

#[derive(Deserialize)]
struct ErrorDetail {
    message: String,
    #[serde(default)]
    detail: Option<ScopeDetail>,
}

#[derive(Deserialize)]
struct ScopeDetail {
    #[serde(default)]
    granted: Option<Vec<String>>,
}

/// Bitbucket's own error body, if the answer has one.
fn bitbucket_error(answer: &Answer) -> Option<ErrorDetail> {
    answer
        .json::<ErrorBody>()
        .filter(|body| body.kind == "error")
        .map(|body| body.error)
}

/// Turns Bitbucket Cloud's answer into an observation. Pure, for tests.
fn interpret(answer: &Answer, credential: &Credential<'_>, app_password: bool) -> Observation {
    let request = &answer.request;
    match answer.status {
        StatusCode::OK => accepted(answer, credential, app_password),
        StatusCode::FORBIDDEN => match bitbucket_error(answer) {
            Some(ErrorDetail {
                message,
                detail:
                    Some(ScopeDetail {
                        granted: Some(granted),
                    }),
            }) if message == LACKS_SCOPES => {
                let mut facts = described(answer, credential, app_password);
                facts.scopes = Observed::seen(
                    granted.into_iter().collect(),
                    format!("`detail.granted` of the 403 \"{LACKS_SCOPES}\" from {request}"),
                );
                Observation::observed(facts)
            }
            _ => Observation::host_error(format!(
                "{request} answered 403{}",
                answer.quoted_message()
            )),
        },
        // Only Bitbucket's own 401 says the token is bad; a proxy's says nothing of it.
        StatusCode::UNAUTHORIZED if !OWN.recognises(answer) => {
            Observation::host_error(OWN.not_own(answer))
        }
        StatusCode::UNAUTHORIZED => {
            let said = match bitbucket_error(answer) {
                Some(error) => error.message,
                None => format!(
                    "www-authenticate: {}",
                    answer.header("www-authenticate").unwrap_or_default()
                ),
            };
            Observation::rejected(
                Rejection::Invalid,
                format!("{PRODUCT} answered 401 ({said})"),
                format!("401 from {request}"),
            )
        }
        s if s.is_redirection() => Observation::host_error(format!(
            "{request} answered {s} redirecting to {}; patlint does not follow redirects with a token: set `url` to the API base (https://api.bitbucket.org/2.0)",
            answer.location()
        )),
        StatusCode::NOT_FOUND => Observation::host_error(format!(
            "{request} answered 404; is `url` the API base (https://api.bitbucket.org/2.0)?"
        )),
        s => Observation::host_error(format!("{request} answered {s}{}", answer.quoted_message())),
    }
}

/// What marks Bitbucket's own answer: its JSON error, or its realm in `www-authenticate`.
const OWN: OwnAnswer = OwnAnswer {
    hosts: "Bitbucket's",
    marks: "Bitbucket's JSON error (`{\"type\": \"error\", \"error\": {\"message\": …}}`) or its `www-authenticate: Basic realm=\"Bitbucket.org HTTP\"`",
    body: |body| {
        body.get("type").and_then(|t| t.as_str()) == Some("error")
            && body
                .get("error")
                .and_then(|e| e.get("message"))
                .is_some_and(|m| m.is_string())
    },
    marked: |answer| {
        answer.header("www-authenticate").is_some_and(|realm| {
            realm.contains(&format!("realm=\"{REALM}\""))
                || realm.contains(&format!("realm={REALM}"))
        })
    },
};

/// A 200: the token works; its scopes are in `x-oauth-scopes`.
fn accepted(answer: &Answer, credential: &Credential<'_>, app_password: bool) -> Observation {
    let request = &answer.request;
    let Some(serde_json::Value::Object(body)) = answer.json::<serde_json::Value>() else {
        return Observation::host_error(format!(
            "{request} answered 200 with {} instead of JSON; is `url` the API base (https://api.bitbucket.org/2.0)?",
            answer.body_kind()
        ));
    };
    let scopes = match answer.single_header(SCOPES_HEADER) {
        Ok(scopes) => scopes,
        Err(problem) => {
            return Observation::host_error(format!(
                "{request} answered 200 with {problem}; a proxy or another hop may have added one, so the answer proves nothing about the token's scopes"
            ));
        }
    };
    let mut facts = described(answer, credential, app_password);
    match scopes {
        Some(scopes) => {
            facts.scopes = Observed::seen(
                parse_scopes(&scopes),
                format!("x-oauth-scopes header of {request}"),
            );
        }
        None => facts.scopes.set_why(format!(
            "Bitbucket sent no x-oauth-scopes header on {request}"
        )),
    }
    facts.identity = ["username", "nickname", "account_id"]
        .iter()
        .find_map(|key| body.get(*key)?.as_str())
        .map(str::to_owned);
    Observation::observed(facts)
}

/// What any answer that proves the token works tells: its kind, and what no answer tells.
fn described(answer: &Answer, credential: &Credential<'_>, app_password: bool) -> TokenFacts {
    let request = &answer.request;
    let credential_type = answer.header(CREDENTIAL_HEADER);
    let (kind, name, evidence) = match (credential, app_password, credential_type.as_deref()) {
        (_, true, _) => (
            TokenKind::AppPassword,
            APP_PASSWORD,
            "the policy's `username` (Basic username:app password), or the secret's `ATBB` prefix"
                .to_owned(),
        ),
        (Credential::ApiToken { .. }, _, _) => (
            TokenKind::ApiToken,
            API_TOKEN,
            "the policy's `email` (Basic email:API token)".to_owned(),
        ),
        (_, _, Some(header)) => (
            access_token_kind(header),
            access_token_name(header),
            format!("x-credential-type: {header} on {request}"),
        ),
        _ => (
            TokenKind::Unknown,
            "access-token",
            "sent as Bearer".to_owned(),
        ),
    };
    let mut facts = TokenFacts::new(kind);
    facts.worked_when_observed = true;
    set_cloud_credential(&mut facts, name, evidence);
    facts.unobservable_all(
        &[Fact::ExpiresAt, Fact::CreatedAt, Fact::LastUsedAt],
        NOT_IN_THE_API,
    );
    facts
}

/// `repo_access_token` → `repository-access-token` (TruffleHog's `credential_type_map`
/// names the three).
fn access_token_name(header: &str) -> &'static str {
    match header {
        "repo_access_token" => "repository-access-token",
        "project_access_token" => "project-access-token",
        "workspace_access_token" => "workspace-access-token",
        _ => "access-token",
    }
}

/// The shared kind of an access token, by its `x-credential-type`.
fn access_token_kind(header: &str) -> TokenKind {
    match header {
        "repo_access_token" => TokenKind::RepositoryAccessToken,
        "project_access_token" => TokenKind::ProjectAccessToken,
        "workspace_access_token" => TokenKind::WorkspaceAccessToken,
        _ => TokenKind::Unknown,
    }
}

/// `repository:write, pullrequest` → {pullrequest, repository:write}. Bitbucket may pad
/// with unusual whitespace (community answer "How can I list scopes for Bitbucket app
/// password?": `tr -d "[:space:]"` "is essential"), so every kind is trimmed.
fn parse_scopes(value: &str) -> std::collections::BTreeSet<String> {
    value
        .split(',')
        .map(|s| s.trim_matches(|c: char| c.is_whitespace()))
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderMap;

    fn answer(status: u16, headers: &[(&'static str, &'static str)], body: &str) -> Answer {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.append(*name, HeaderValue::from_static(value));
        }
        Answer {
            status: StatusCode::from_u16(status).unwrap(),
            headers: map,
            body: body.into(),
            request: "GET /2.0/user".into(),
        }
    }

    #[test]
    fn a_401_settles_only_when_it_is_bitbucket_s_own() {
        let realm = answer(
            401,
            &[("www-authenticate", "Basic realm=\"Bitbucket.org HTTP\"")],
            "",
        );
        let bearer = answer(
            401,
            &[],
            r#"{"type": "error", "error": {"message": "Token is invalid, expired, or not supported for this endpoint."}}"#,
        );
        for refused in [realm, bearer] {
            assert!(matches!(
                interpret(&refused, &Credential::AccessToken, false),
                Observation::Rejected {
                    reason: Rejection::Invalid,
                    ..
                }
            ));
        }
        let proxy = answer(
            401,
            &[("www-authenticate", "Basic realm=\"corp proxy\"")],
            "",
        );
        assert!(matches!(
            interpret(&proxy, &Credential::AccessToken, false),
            Observation::Unchecked { .. }
        ));
    }

    #[test]
    fn scopes_are_trimmed_of_any_whitespace() {
        let scopes = parse_scopes("repository:write,\u{a0}pullrequest , ");
        assert_eq!(
            scopes.into_iter().collect::<Vec<_>>(),
            ["pullrequest", "repository:write"]
        );
    }
}
