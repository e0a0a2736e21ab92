//! Asking GitLab about a token: `/personal_access_tokens/self`, and `/version` when
//! that cannot answer.

use jiff::Timestamp;
use reqwest::StatusCode;
use serde::Deserialize;

use super::Endpoint;
use super::answers::{OAuthError, granular_refusal, not_own, own_answer};
use super::granular::{LET_IT_READ_ITSELF, READ_PAT, READ_PAT_SHOWN};
use crate::client::wire::{join, present, sensitive_header};
use crate::facts::{Fact, Observation, Observed, Rejection, TokenFacts, TokenKind};
use crate::hosts::{Answer, Call};

const SELF_PATH: &str = "api/v4/personal_access_tokens/self";
const VERSION_PATH: &str = "api/v4/version";
const SELF_SINCE: &str = "15.5";

/// GitLab's auth finder runs `PersonalAccessTokens::LastUsedService` before the API
/// handler (`lib/gitlab/auth/auth_finders.rb`); the service sets `last_used_at` to now
/// when the stored value is older than 10 minutes
/// (`app/services/personal_access_tokens/last_used_service.rb`). So `/self` always
/// reports a use within the last ten minutes: patlint's own.
const LAST_USE_IS_OURS: &str = "GitLab sets `last_used_at` to now when a token authenticates (at most every 10 minutes), so the token's own request to /personal_access_tokens/self always reads as \"used just now\": it says nothing about the integration's use";

pub(super) async fn observe(call: &Call<'_>, endpoint: &Endpoint) -> Observation {
    let auth = match sensitive_header(call.secret().expose()) {
        Ok(auth) => auth,
        Err(unsendable) => return Observation::host_error(unsendable),
    };
    let get = |path: &str| super::answers::get(call, &auth, join(&endpoint.url, path));
    let answer = match get(SELF_PATH).await {
        Ok(answer) => answer,
        Err(error) => return error,
    };
    let observation = if needs_version_check(&answer) {
        match get(VERSION_PATH).await {
            Ok(version) => interpret_version(&answer, &version),
            Err(error) => return error,
        }
    } else {
        interpret_self(&answer)
    };
    let Observation::Observed { mut facts } = observation else {
        return observation;
    };
    // `patlint audit` finds the token in a listing by the id `/self` gives.
    let id = answer.json::<SelfToken>().and_then(|token| token.id);
    if let Some(id) = id.filter(|_| answer.status == StatusCode::OK) {
        call.identify(super::inventory::TOKEN_ID, &id.to_string());
    }
    match more(call, endpoint, &auth, &answer, id, &mut facts).await {
        Ok(()) => Observation::Observed { facts },
        Err(stopped) => stopped,
    }
}

/// What `/self` does not say: a fine-grained token's grants, the token's reach to its
/// projects (all read at once), where its grants' groups sit, and its role on its projects.
async fn more(
    call: &Call<'_>,
    endpoint: &Endpoint,
    auth: &reqwest::header::HeaderValue,
    self_answer: &Answer,
    id: Option<u64>,
    facts: &mut TokenFacts,
) -> Result<(), Observation> {
    let fine_grained = facts.kind == TokenKind::FineGrainedPat;
    let grants = async {
        match id {
            Some(id) if fine_grained && self_answer.status == StatusCode::OK => {
                super::granular::read(call, endpoint, auth, id)
                    .await
                    .map(Some)
            }
            _ => Ok(None),
        }
    };
    let targets = super::targets::read(call, endpoint, auth, fine_grained);
    let (grants, targets) = futures_util::join!(grants, targets);
    let mut targets = targets?;
    if let Some(grants) = grants? {
        if let Some(read) = grants.value() {
            super::targets::place_groups(call, endpoint, auth, read, &mut targets).await?;
        }
        super::facts::of_mut(facts).granular_scopes = grants;
    }
    facts.grants.extend(targets.grants);
    if fine_grained || !targets.places.is_empty() {
        let own = super::facts::of_mut(facts);
        own.project_places = targets.places;
        if fine_grained {
            own.group_paths = targets.groups;
        }
    }
    if super::associations::asked(call, endpoint) {
        super::associations::record(call, endpoint, auth, facts).await?;
    }
    Ok(())
}

/// The token entity of `/personal_access_tokens/self`. Older servers lack
/// `description` and `last_used_at`; newer ones add fields, which are ignored.
#[derive(Debug, Deserialize)]
struct SelfToken {
    id: Option<u64>,
    name: Option<String>,
    /// Both are in every `/self` answer since 15.5; an answer without them is not one.
    revoked: Option<bool>,
    active: Option<bool>,
    scopes: Vec<String>,
    created_at: Option<Timestamp>,
    /// `Some(None)`: never expires; `None`: the answer did not say.
    #[serde(default, deserialize_with = "present")]
    expires_at: Option<Option<Expiry>>,
    user_id: Option<u64>,
    /// Granular (fine-grained) tokens: their permissions are not in `scopes`, and the
    /// `/self` entity never lists them: `lib/api/entities/personal_access_token.rb`
    /// exposes `granular_scopes` only `if token.granular? && options[:with_granular_scopes]`,
    /// an option `lib/api/personal_access_tokens/self_information.rb` does not pass.
    #[serde(default)]
    granular: bool,
    #[serde(default)]
    granular_scopes: Vec<serde_json::Value>,
}

pub(super) fn interpret_self(answer: &Answer) -> Observation {
    let endpoint = &answer.request;
    match answer.status {
        StatusCode::OK => match answer.read::<SelfToken>() {
            Ok(token) => from_self(token, endpoint),
            // A JSON object is an API's answer: what is wrong is in it, not in `url`.
            Err(problem)
                if answer
                    .json::<serde_json::Map<String, serde_json::Value>>()
                    .is_some() =>
            {
                Observation::host_error(format!(
                    "{endpoint} answered 200, but not with GitLab's token entity: {problem}"
                ))
            }
            Err(problem) => Observation::host_error(format!(
                "{endpoint} answered 200 with {problem}; is `url` the GitLab instance URL?"
            )),
        },
        StatusCode::UNAUTHORIZED => rejected_401(answer),
        StatusCode::FORBIDDEN if let Some(refusal) = granular_refusal(answer) => {
            // Only a fine-grained token is held to a permission at the user boundary
            // (`granular_token_required?` looks only at a root namespace's enforcement,
            // which `/self` has none of), so the token is one, it authenticated, and GitLab
            // will not describe it.
            let reason = format!(
                "{endpoint} answered 403 insufficient_granular_scope (\"{}\"): the token is a fine-grained personal access token without `{READ_PAT}` (\"{READ_PAT_SHOWN}\"), so GitLab shows neither it nor its grants; {LET_IT_READ_ITSELF}",
                refusal.description
            );
            let mut facts = nothing_observable(TokenKind::FineGrainedPat, &reason);
            super::facts::of_mut(&mut facts)
                .granular_scopes
                .set_why(reason);
            Observation::observed(facts)
        }
        StatusCode::FORBIDDEN => {
            let error: Option<OAuthError> = serde_json::from_str(&answer.body).ok();
            match error {
                Some(OAuthError {
                    error: Some(kind),
                    scope,
                    ..
                }) if kind == "insufficient_scope" => {
                    // Authenticated, but not allowed to read itself: valid, facts unknown.
                    let reason = format!(
                        "{endpoint} answered 403 insufficient_scope{}",
                        scope
                            .map(|s| format!(" (it requires: {s})"))
                            .unwrap_or_default()
                    );
                    Observation::observed(nothing_observable(
                        TokenKind::PersonalAccessToken,
                        &reason,
                    ))
                }
                _ if !own_answer(answer) => Observation::host_error(not_own(answer)),
                _ => Observation::host_error(format!(
                    "{endpoint} answered 403{}",
                    answer.quoted_message()
                )),
            }
        }
        StatusCode::BAD_REQUEST
            if answer
                .body
                .contains("requires token type to be a personal access token") =>
        {
            Observation::observed(nothing_observable(
                TokenKind::OauthToken,
                "the token is not a personal, project or group access token (GitLab answered 400), so GitLab does not describe it",
            ))
        }
        s if s.is_redirection() => Observation::host_error(format!(
            "{endpoint} answered {s} redirecting to {}; patlint does not follow redirects with a token: set `url` to the GitLab instance URL",
            answer.location()
        )),
        s => Observation::host_error(format!(
            "{endpoint} answered {s}{}",
            answer.quoted_message()
        )),
    }
}

fn from_self(token: SelfToken, endpoint: &str) -> Observation {
    let expires_at = token.expires_at.flatten().map(Expiry::instant);
    let (Some(revoked), Some(active)) = (token.revoked, token.active) else {
        return Observation::host_error(format!(
            "{endpoint} answered 200 without `active` and `revoked`: not GitLab's token entity, so it proves nothing about the token"
        ));
    };
    if revoked {
        return Observation::rejected(
            Rejection::Revoked,
            "GitLab reports the token as revoked",
            format!("`revoked: true` in {endpoint}"),
        );
    }
    if !active {
        // Expired or disabled: evaluation tells them apart by its expiry.
        return Observation::Rejected {
            reason: Rejection::Invalid,
            detail: "GitLab reports the token as inactive".into(),
            evidence: format!("`active: false` in {endpoint}"),
            help: None,
            expires_at,
        };
    }
    let granular = token.granular || !token.granular_scopes.is_empty();
    let kind = match granular {
        true => TokenKind::FineGrainedPat,
        false => TokenKind::PersonalAccessToken,
    };
    let mut facts = TokenFacts::new(kind);
    facts.identity = match (&token.name, token.id, token.user_id) {
        (Some(name), Some(id), Some(user)) => {
            Some(format!("token `{name}` (id {id}) of user {user}"))
        }
        (Some(name), _, _) => Some(format!("token `{name}`")),
        _ => None,
    };
    let evidence = |field: &str| format!("`{field}` in {endpoint}");
    if granular {
        facts.scopes.set_why(format!("the token is a fine-grained personal access token (`granular: true` in {endpoint}): what it may do is in its grants' permissions, not in `scopes`"),
        );
        let own = super::facts::of_mut(&mut facts);
        own.token_user = token.user_id;
        own.granular_scopes.set_why(format!(
            "{endpoint} does not list a fine-grained token's grants, and they were not read"
        ));
    } else {
        facts.scopes = Observed::bare(token.scopes.into_iter().collect());
        facts.scopes.set_evidence(evidence("scopes"));
    }
    match token.expires_at {
        Some(expiry) => {
            facts.expires_at = Observed::bare(expiry.map(Expiry::instant));
            facts
                .expires_at
                .set_evidence(Expiry::evidence(expiry, &evidence("expires_at")));
        }
        None => {
            facts
                .expires_at
                .set_why(format!("{endpoint} gave no `expires_at`"));
        }
    }
    match token.created_at {
        Some(created) => {
            facts.created_at = Observed::bare(Some(created));
            facts.created_at.set_evidence(evidence("created_at"));
        }
        None => {
            facts
                .created_at
                .set_why(format!("{endpoint} gave no `created_at`"));
        }
    }
    facts.last_used_at.set_why(LAST_USE_IS_OURS.into());
    Observation::observed(facts)
}

pub(super) fn rejected_401(answer: &Answer) -> Observation {
    if !own_answer(answer) {
        return Observation::host_error(format!(
            "{}; a 401 that is not GitLab's says nothing about the token",
            not_own(answer)
        ));
    }
    let error = serde_json::from_str::<OAuthError>(&answer.body).ok();
    if let Some(OAuthError {
        error: Some(kind),
        error_description,
        ..
    }) = &error
        && kind == "dpop_error"
    {
        return dpop_required(answer, error_description.as_deref());
    }
    let description = error
        .and_then(|e| e.error_description.or(e.error))
        .or_else(|| answer.api_message())
        .unwrap_or_else(|| "401 Unauthorized".into());
    let lower = description.to_ascii_lowercase();
    let reason = if lower.contains("expired") {
        Rejection::Expired
    } else if lower.contains("revoked") {
        Rejection::Revoked
    } else {
        Rejection::Invalid
    };
    Observation::rejected(
        reason,
        format!("GitLab answered 401 ({description})"),
        format!("401 from {}", answer.request),
    )
}

/// A 401 `dpop_error`: the user turned on DPoP and the token is valid
/// only with a proof of possession signed by the user's SSH key
/// (`app/services/auth/dpop_authentication_service.rb`; the API guard answers its
/// `Gitlab::Auth::DpopValidationError` with `error: dpop_error`). That says nothing about
/// the token being invalid, and patlint holds no key to sign a proof with.
fn dpop_required(answer: &Answer, description: Option<&str>) -> Observation {
    Observation::host_error_with_help(
        format!(
            "{} answered 401 dpop_error{}: GitLab requires DPoP-bound requests for this token's user",
            answer.request,
            description.map(|d| format!(" ({d})")).unwrap_or_default()
        ),
        "GitLab: the token's user has turned on DPoP (Demonstrating Proof of Possession) for personal access tokens, so every request must carry a proof signed with the user's key, which patlint does not hold; give the integration a token of a user without DPoP (a service account), or turn DPoP off for that user.",
    )
}

/// `/self` answered 404 (a server older than 15.5, or a wrong `url`), or a bare 401: on
/// 15.1–15.4 `/self` is read as `/:id` and refuses even a valid token. `/version` tells.
fn needs_version_check(answer: &Answer) -> bool {
    match answer.status {
        StatusCode::NOT_FOUND => true,
        StatusCode::UNAUTHORIZED => serde_json::from_str::<OAuthError>(&answer.body)
            .map_or(true, |e| {
                !matches!(e.error.as_deref(), Some("invalid_token" | "dpop_error"))
            }),
        _ => false,
    }
}

/// What `/version` says after `/self` could not answer.
pub fn interpret_version(self_answer: &Answer, version: &Answer) -> Observation {
    let insufficient_scope = version.status == StatusCode::FORBIDDEN
        && serde_json::from_str::<OAuthError>(&version.body)
            .is_ok_and(|e| e.error.as_deref() == Some("insufficient_scope"));
    if insufficient_scope {
        // Authenticated, but not allowed even `/version`: valid, and nothing observable.
        let reason = format!(
            "{} answered {} and {} answered 403 insufficient_scope: this server has no GET /personal_access_tokens/self for this token (it needs GitLab {SELF_SINCE} or later)",
            self_answer.request, self_answer.status, version.request
        );
        return Observation::observed(nothing_observable(TokenKind::PersonalAccessToken, &reason));
    }
    match version.status {
        StatusCode::OK => {
            let number = serde_json::from_str::<serde_json::Value>(&version.body)
                .ok()
                .and_then(|v| v.get("version").and_then(|v| v.as_str()).map(str::to_owned));
            let Some(number) = number else {
                return Observation::host_error(format!(
                    "{} answered {} and {} answered 200 with {}; is `url` the GitLab instance URL?",
                    self_answer.request,
                    self_answer.status,
                    version.request,
                    version.body_kind()
                ));
            };
            let reason = match has_self(&number) {
                // A server that has `/self` and did not answer it: something in front of
                // GitLab held the request back, and upgrading would change nothing.
                true => format!(
                    "GitLab {number} has {} (since {SELF_SINCE}) but answered it {}: a proxy or a rewrite in front of the instance may not pass it on; {} proves only that the token is valid",
                    self_answer.request, self_answer.status, version.request
                ),
                false => format!(
                    "GitLab {number} has no usable {} (it answered {}; it needs GitLab {SELF_SINCE} or later); {} proves only that the token is valid",
                    self_answer.request, self_answer.status, version.request
                ),
            };
            Observation::observed(nothing_observable(TokenKind::PersonalAccessToken, &reason))
        }
        StatusCode::UNAUTHORIZED => rejected_401(version),
        _ => Observation::host_error(format!(
            "{} answered {} and {} answered {}; is `url` the GitLab instance URL (e.g. https://gitlab.example.com, with its path if it has one)?",
            self_answer.request, self_answer.status, version.request, version.status
        )),
    }
}

/// Whether a version (`17.5.1-ee`) is [`SELF_SINCE`] or later; an unreadable one is not
/// taken to be.
fn has_self(version: &str) -> bool {
    let number = |part: Option<&str>| {
        part.map(|p| {
            p.chars()
                .take_while(char::is_ascii_digit)
                .collect::<String>()
        })
        .and_then(|digits| digits.parse::<u32>().ok())
    };
    let mut parts = version.split('.');
    let mut since = SELF_SINCE.split('.');
    match (number(parts.next()), number(parts.next())) {
        (Some(major), Some(minor)) => {
            (major, minor)
                >= (
                    number(since.next()).unwrap_or(0),
                    number(since.next()).unwrap_or(0),
                )
        }
        _ => false,
    }
}

fn nothing_observable(kind: TokenKind, reason: &str) -> TokenFacts {
    let mut facts = TokenFacts::new(kind);
    facts.unobservable_all(
        &[
            Fact::Scopes,
            Fact::ExpiresAt,
            Fact::CreatedAt,
            Fact::LastUsedAt,
        ],
        reason,
    );
    facts
}

/// A token's `expires_at`, in either form GitLab gives it. The token entity
/// (gitlab-org/gitlab `lib/api/entities/personal_access_token.rb`) documents it as
/// `type: 'DateTime', example: '2020-08-31T15:53:00.073Z'`, the documentation GitLab's
/// generated API description (`doc/api/openapi/openapi_v2.yaml`, "auto-generated by a
/// script") is made from, while the entity writes the stored date with `iso8601`, a bare
/// date (`2020-08-31`). A date is the day
/// the token stops working, at 00:00 UTC ([`midnight_utc`]); a date-time is the instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Expiry {
    Date(jiff::civil::Date),
    At(Timestamp),
}

impl Expiry {
    /// When the token stops working.
    pub(super) fn instant(self) -> Timestamp {
        match self {
            Expiry::Date(date) => midnight_utc(date),
            Expiry::At(at) => at,
        }
    }

    /// The evidence for an `expires_at` field (`None`: `null`, never expires).
    pub(super) fn evidence(expiry: Option<Self>, field: &str) -> String {
        match expiry {
            Some(Expiry::Date(_)) => {
                format!("{field} (the token stops working at 00:00 UTC that day)")
            }
            Some(Expiry::At(_)) => field.to_owned(),
            None => format!("{field} is null: the token never expires"),
        }
    }
}

impl<'de> Deserialize<'de> for Expiry {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let unreadable = || serde::de::Error::custom("expected a date (YYYY-MM-DD) or a date-time");
        let serde_json::Value::String(text) = serde_json::Value::deserialize(d)? else {
            return Err(unreadable());
        };
        // Exactly `YYYY-MM-DD`: a date-time without its offset is neither.
        if text.len() == 10
            && let Ok(date) = text.parse::<jiff::civil::Date>()
        {
            return Ok(Expiry::Date(date));
        }
        text.parse::<Timestamp>()
            .map(Expiry::At)
            .map_err(|_| unreadable())
    }
}

/// GitLab tokens expire "on that date at midnight UTC".
fn midnight_utc(date: jiff::civil::Date) -> Timestamp {
    date.to_datetime(jiff::civil::Time::midnight())
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .map(|z| z.timestamp())
        .unwrap_or(Timestamp::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, body: &str) -> Answer {
        Answer {
            status: StatusCode::from_u16(status).unwrap(),
            headers: reqwest::header::HeaderMap::new(),
            body: body.into(),
            request: "GET /api/v4/personal_access_tokens/self".into(),
        }
    }

    #[test]
    fn expiry_dates_are_midnight_utc() {
        let date: jiff::civil::Date = "2023-08-15".parse().unwrap();
        assert_eq!(midnight_utc(date).to_string(), "2023-08-15T00:00:00Z");
    }

    #[test]
    fn a_401_tells_expired_from_revoked_from_unknown() {
        let reason = |body: &str| match interpret_self(&answer(401, body)) {
            Observation::Rejected { reason, .. } => reason,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            reason(
                r#"{"error":"invalid_token","error_description":"Token is expired. You can either do re-authorization or token refresh."}"#
            ),
            Rejection::Expired
        );
        assert_eq!(
            reason(
                r#"{"error":"invalid_token","error_description":"Token was revoked. You have to re-authorize from the user."}"#
            ),
            Rejection::Revoked
        );
        assert_eq!(
            reason(r#"{"message":"401 Unauthorized"}"#),
            Rejection::Invalid
        );
    }
}
