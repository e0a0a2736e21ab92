//! Asking Bitbucket Data Center about an HTTP access token: its own record, found by id
//! in the listing of the user, project or repository it belongs to.
//!
//! - `GET {url}/rest/access-tokens/latest/users/{userSlug}`, `…/projects/{projectKey}`,
//!   `…/projects/{projectKey}/repos/{repositorySlug}`, paged with `start` and `limit`,
//!   answered with `isLastPage`, `nextPageStart` and `values`; 401 when "the currently
//!   authenticated user is not permitted to get access tokens … or authentication
//!   failed" (Bitbucket Data Center OpenAPI 9.2, `getAllAccessTokens`, coderabbitai/bitbucket
//!   `src/server/openapi/swagger.v3.json`).
//! - A record's `id` (a string there, "252973515069"), `name` and `createdDate` are in that
//!   OpenAPI's `RestAccessToken`; `permissions`, `expiryDays`, `lastAuthenticated` and
//!   `user` are what servers answer beyond it, as Eclipse Che reads them
//!   (eclipse-che/che-server `…/bitbucket/server/BitbucketPersonalAccessToken.java`:
//!   `createdDate` and `lastAuthenticated` epoch milliseconds, `expiryDays` days).
//! - Only paths under `/rest`: from 8.9.22, 8.19.12 and 9.3.2 a token sent anywhere else
//!   gets a 302 to the login page or a 401
//!   (<https://support.atlassian.com/bitbucket-data-center/kb/access-tokens-no-longer-work-as-expected-after-upgrading-bitbucket-data-center>).
//! - Every answer to an authenticated request names its user in `X-AUSERNAME`, "even a
//!   request that returns a 404" (Atlassian, community.developer.atlassian.com/t/obtain-authorised-users-username-from-api/24422).

use base64::Engine;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use jiff::{SignedDuration, Timestamp};
use reqwest::header::{ACCEPT, AUTHORIZATION, HeaderValue};
use reqwest::{StatusCode, Url};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::data_center::{Endpoint, Owner};
use super::facts::set_dc_token;
use crate::client::paging::{Next, Page, Paging, Repeat, paginate};
use crate::client::wire::{join, sensitive_header};
use crate::facts::{Fact, Observation, Observed, Rejection, TokenFacts};
use crate::hosts::{Answer, Call};
use crate::secret::Secret;

const PRODUCT: &str = "Bitbucket Data Center";
const USER_HEADER: &str = "x-ausername";
/// The largest page asked for (the default is 25).
pub(super) const PER_PAGE: usize = 100;

/// What a declared token's check notes (the id its value carries) so that an inventory's
/// listing finds it: the same id is every listed record's `id`.
pub(super) const TOKEN_ID: &str = "bitbucket-dc-token-id";

/// `lastAuthenticated` is set when the token authenticates, so the record patlint reads
/// always shows patlint's own request.
const LAST_USE_IS_OURS: &str = "Bitbucket Data Center sets a token's `lastAuthenticated` when it authenticates, so the record read with the token itself shows patlint's own request: it says nothing about the integration's use";

pub(super) async fn observe(call: &Call<'_>, endpoint: &Endpoint) -> Observation {
    let auth = match bearer(call) {
        Ok(auth) => auth,
        Err(unsendable) => return unsendable,
    };
    // The id is the listed record's, not a secret: an inventory's listing shows it.
    if let Some(id) = token_id(call.secret()) {
        call.identify(TOKEN_ID, &id);
    }
    let records = pages(call, &auth, &listing_url(endpoint)).await;
    match records {
        Ok(records) => from_listing(call, endpoint, records),
        Err(Stop::Host(observation)) => observation,
        Err(Stop::Refused(answer)) => refused(call, endpoint, &auth, &answer).await,
    }
}

/// The token as Bearer, in a header marked sensitive.
pub(super) fn bearer(call: &Call<'_>) -> Result<HeaderValue, Observation> {
    sensitive_header(&format!("Bearer {}", call.secret().expose())).map_err(Observation::host_error)
}

/// Every item of a listing under `/rest`, to its last page (`start`, `limit`), each with
/// the user the page's answer names.
pub(super) async fn pages<T: DeserializeOwned>(
    call: &Call<'_>,
    auth: &HeaderValue,
    listing: &Url,
) -> Result<Vec<(T, Option<String>)>, Stop> {
    paginate(
        Paging::new(
            0_u64,
            Repeat::Body,
            format!("GET {} runs", listing.path()),
            Some(PER_PAGE),
        ),
        |start| get(call, auth, page_url(listing, start)),
        read_page,
    )
    .await
}

/// Why the listing stopped: the host failed, or it refused the token the listing.
pub(super) enum Stop {
    Host(Observation),
    Refused(Box<Answer>),
}

impl From<Observation> for Stop {
    fn from(observation: Observation) -> Self {
        Stop::Host(observation)
    }
}

async fn get(call: &Call<'_>, auth: &HeaderValue, url: Url) -> Result<Answer, Stop> {
    call.send(PRODUCT, |client| {
        client
            .get(url.clone())
            .header(AUTHORIZATION, auth.clone())
            .header(ACCEPT, "application/json")
    })
    .await
    .map_err(|error| Stop::Host(error.into()))
}

/// `{url}/rest/{segments…}`, each segment encoded on its own.
pub(super) fn rest_url(endpoint: &Endpoint, segments: &[&str]) -> Url {
    let mut url = join(&endpoint.url, "rest");
    if let Ok(mut path) = url.path_segments_mut() {
        path.pop_if_empty().extend(segments);
    }
    url
}

pub(super) fn listing_url(endpoint: &Endpoint) -> Url {
    let mut segments = vec!["access-tokens", "latest"];
    segments.extend(endpoint.owner.segments());
    rest_url(endpoint, &segments)
}

fn page_url(listing: &Url, start: u64) -> Url {
    let mut url = listing.clone();
    url.query_pairs_mut()
        .append_pair("start", &start.to_string())
        .append_pair("limit", &PER_PAGE.to_string());
    url
}

/// One page of a listing (OpenAPI 9.2: `isLastPage`, `nextPageStart`, `values`).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListingPage<T> {
    is_last_page: bool,
    #[serde(default)]
    next_page_start: Option<u64>,
    values: Vec<T>,
}

/// One token's record, as much of it as the server gives.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Record {
    id: Id,
    #[serde(default)]
    pub(super) name: Option<String>,
    #[serde(default)]
    created_date: Option<Instant>,
    #[serde(default)]
    expiry_date: Option<Instant>,
    #[serde(default)]
    expiry_days: Option<i64>,
    #[serde(default)]
    permissions: Option<Vec<String>>,
    #[serde(default)]
    user: Option<User>,
}

impl Record {
    pub(super) fn id(&self) -> String {
        self.id.as_string()
    }

    /// The slug (or name) of the user the record names.
    pub(super) fn user(&self) -> Option<String> {
        let user = self.user.as_ref()?;
        user.slug.clone().or_else(|| user.name.clone())
    }
}

/// A record's id: a string in the OpenAPI, a number where servers write one.
#[derive(Deserialize)]
#[serde(untagged)]
enum Id {
    Text(String),
    Number(u64),
}

impl Id {
    fn as_string(&self) -> String {
        match self {
            Id::Text(id) => id.clone(),
            Id::Number(id) => id.to_string(),
        }
    }
}

/// A date: epoch milliseconds as servers answer, or RFC 3339 as the OpenAPI writes.
#[derive(Deserialize)]
#[serde(untagged)]
enum Instant {
    Millis(i64),
    Text(Timestamp),
}

impl Instant {
    fn timestamp(&self) -> Option<Timestamp> {
        match self {
            Instant::Millis(ms) => Timestamp::from_millisecond(*ms).ok(),
            Instant::Text(at) => Some(*at),
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct User {
    #[serde(default)]
    slug: Option<String>,
    #[serde(default)]
    name: Option<String>,
}

/// The page's records, the user it names, and where the listing goes on.
fn read_page<T: DeserializeOwned>(
    answer: &Answer,
    number: usize,
) -> Result<Page<(T, Option<String>), u64>, Stop> {
    match answer.status {
        StatusCode::OK => {}
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN if number == 1 => {
            return Err(Stop::Refused(Box::new(answer.clone())));
        }
        StatusCode::NOT_FOUND if number == 1 => {
            return Err(Stop::Host(Observation::host_error(format!(
                "{} answered 404{}: the user, project or repository does not exist, or is not visible to the token; check `user`, `project` or `repository` and `url`",
                answer.request,
                answer.quoted_message()
            ))));
        }
        s if s.is_redirection() => {
            return Err(Stop::Host(Observation::host_error(format!(
                "{} answered {s} redirecting to {}; patlint does not follow redirects with a token: set `url` to the instance's base URL",
                answer.request,
                answer.location()
            ))));
        }
        s => {
            return Err(Stop::Host(Observation::host_error(format!(
                "{} answered {s}{}",
                answer.request,
                answer.quoted_message()
            ))));
        }
    }
    let Some(page) = answer.json::<ListingPage<T>>() else {
        return Err(Stop::Host(Observation::host_error(format!(
            "{} answered 200 with {} that is not the listing Bitbucket documents; is `url` the instance's base URL?",
            answer.request,
            answer.body_kind()
        ))));
    };
    let next = match (page.is_last_page, page.next_page_start) {
        (true, _) => Next::End,
        (false, Some(start)) => Next::Page(start),
        (false, None) => {
            return Err(Stop::Host(Observation::host_error(format!(
                "{} answered a page that is not the last without `nextPageStart`, so the listing cannot be read to its end",
                answer.request
            ))));
        }
    };
    let user = answer.header(USER_HEADER);
    Ok(Page::new(
        page.values.into_iter().map(|r| (r, user.clone())).collect(),
        next,
    ))
}

/// The id Bitbucket lists the token under, when its value carries it: a token such as
/// the OpenAPI's example `MjUyOTczNTE1MDY5On2rDbID2EgYpH8AVOECHv0saruQ` (id
/// "252973515069") is base64 of `"<id>:"` and random bytes. Other formats (newer
/// servers' tokens are said to start `BBDC-`, which no Atlassian document found
/// confirms) carry no id patlint can read.
fn token_id(secret: &Secret) -> Option<String> {
    let lenient = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
    );
    let bytes = lenient.decode(secret.expose().trim()).ok()?;
    let colon = bytes.iter().position(|b| *b == b':')?;
    let id = &bytes[..colon];
    ((1..=20).contains(&id.len()) && id.iter().all(u8::is_ascii_digit))
        .then(|| String::from_utf8_lossy(id).into_owned())
}

/// The listing answered: the token works; its record, found by id, says the rest.
fn from_listing(
    call: &Call<'_>,
    endpoint: &Endpoint,
    records: Vec<(Record, Option<String>)>,
) -> Observation {
    let user = records.iter().find_map(|(_, user)| user.clone());
    let mut facts = works(endpoint, user);
    let source = format!("GET {}", listing_url(endpoint).path());
    let Some(id) = token_id(call.secret()) else {
        facts.unobservable_all(
            &[Fact::Scopes, Fact::ExpiresAt, Fact::CreatedAt],
            &format!("the token's value does not carry its id (only tokens that are base64 of `<id>:…` do), so its record in {source} cannot be told from the others"),
        );
        return Observation::observed(facts);
    };
    let Some((record, _)) = records.into_iter().find(|(r, _)| r.id.as_string() == id) else {
        facts.unobservable_all(
            &[Fact::Scopes, Fact::ExpiresAt, Fact::CreatedAt],
            &format!("{source} lists no token with the token's id {id}: is `user`, `project` or `repository` where the token was made?"),
        );
        return Observation::observed(facts);
    };
    record_facts(&mut facts, record, &format!("token {id} in {source}"));
    Observation::observed(facts)
}

/// What a token that was accepted is, before its record is read.
fn works(endpoint: &Endpoint, user: Option<String>) -> TokenFacts {
    let mut facts = TokenFacts::new(endpoint.owner.token_kind());
    facts.worked_when_observed = true;
    facts.identity = user;
    set_dc_token(
        &mut facts,
        endpoint.owner.kind(),
        format!("the policy lists it under {}", endpoint.owner.describe()),
    );
    facts.last_used_at.set_why(LAST_USE_IS_OURS.into());
    facts
}

pub(super) fn record_facts(facts: &mut TokenFacts, record: Record, source: &str) {
    let field = |name: &str| format!("`{name}` of {source}");
    if let Some(user) = record.user.and_then(|u| u.slug.or(u.name)) {
        facts.identity = Some(match &record.name {
            Some(name) => format!("token `{name}` of {user}"),
            None => user,
        });
    }
    match record.permissions {
        Some(permissions) => {
            facts.scopes = Observed::seen(permissions.into_iter().collect(), field("permissions"));
        }
        None => facts
            .scopes
            .set_why(format!("{source} has no `permissions`")),
    }
    let created = record.created_date.as_ref().and_then(Instant::timestamp);
    match created {
        Some(created) => facts.created_at = Observed::seen(Some(created), field("createdDate")),
        None => facts
            .created_at
            .set_why(format!("{source} has no readable `createdDate`")),
    }
    match (record.expiry_date.as_ref().and_then(Instant::timestamp), record.expiry_days, created) {
        (Some(expires), _, _) => {
            facts.expires_at = Observed::seen(Some(expires), field("expiryDate"));
        }
        (None, Some(days), Some(created)) => {
            let expires = created.checked_add(SignedDuration::from_hours(days.saturating_mul(24)));
            match expires {
                Ok(expires) => {
                    facts.expires_at = Observed::seen(
                        Some(expires),
                        format!("`createdDate` + `expiryDays` ({days}) of {source}"),
                    );
                }
                Err(_) => facts
                    .expires_at
                    .set_why(format!("`expiryDays` ({days}) of {source} is out of range")),
            }
        }
        // A record without either may be a token that never expires, or a server that
        // does not say: not a fact either way.
        _ => facts.expires_at.set_why(format!(
            "{source} has neither `expiryDate` nor `expiryDays` with a `createdDate`, so whether and when the token expires is not known"
        )),
    }
}

/// The listing was refused (401 or 403). The OpenAPI gives one 401 for "not permitted"
/// and "authentication failed", so the token's validity is settled apart: an answer that
/// names the user in `X-AUSERNAME` was authenticated; otherwise a request the token's own
/// grant covers (its project, repository or user) is asked.
async fn refused(
    call: &Call<'_>,
    endpoint: &Endpoint,
    auth: &HeaderValue,
    listing: &Answer,
) -> Observation {
    let cannot_read = |user: Option<String>, how: String| {
        let mut facts = works(endpoint, user);
        facts.unobservable_all(
            &[Fact::Scopes, Fact::ExpiresAt, Fact::CreatedAt],
            &format!(
                "{} answered {}{}: the token may not read its own record (listing {}'s tokens needs admin permission there); {how}",
                listing.request,
                listing.status,
                listing.quoted_message(),
                endpoint.owner.describe()
            ),
        );
        Observation::observed(facts)
    };
    if let Some(user) = listing.header(USER_HEADER) {
        return cannot_read(
            Some(user.clone()),
            format!("the answer names the authenticated user `{user}` (X-AUSERNAME)"),
        );
    }
    let own = own_resource_url(endpoint);
    let answer = match get(call, auth, own).await {
        Ok(answer) => answer,
        Err(Stop::Host(observation)) => return observation,
        Err(Stop::Refused(_)) => unreachable!("get only fails with host errors"),
    };
    match answer.status {
        StatusCode::OK
            if answer
                .json::<serde_json::Value>()
                .is_some_and(|v| v.is_object()) =>
        {
            cannot_read(
                answer.header(USER_HEADER),
                format!("{} answered 200, so the token works", answer.request),
            )
        }
        StatusCode::UNAUTHORIZED if bitbucket_errors(&answer).is_some() => Observation::rejected(
            Rejection::Invalid,
            format!(
                "{PRODUCT} answered 401 to the listing and to {} ({})",
                answer.request,
                bitbucket_errors(&answer).unwrap_or_default()
            ),
            format!("401 from {} and {}", listing.request, answer.request),
        ),
        s => Observation::host_error(format!(
            "{} answered {}{} and {} answered {s}{}: neither settles whether the token works",
            listing.request,
            listing.status,
            listing.quoted_message(),
            answer.request,
            answer.quoted_message()
        )),
    }
}

/// What the token's own grant lets it read: its repository, its project, or its user.
fn own_resource_url(endpoint: &Endpoint) -> Url {
    match &endpoint.owner {
        Owner::User(slug) => rest_url(endpoint, &["api", "latest", "users", slug]),
        Owner::Project(key) => rest_url(endpoint, &["api", "latest", "projects", key]),
        Owner::Repository { project, slug } => rest_url(
            endpoint,
            &["api", "latest", "projects", project, "repos", slug],
        ),
    }
}

/// Bitbucket's error body (OpenAPI 9.2 `RestErrorMessage`: `{"errors": [{"message",
/// "exceptionName", "context"}]}`): its first message.
fn bitbucket_errors(answer: &Answer) -> Option<String> {
    let body = answer.json::<serde_json::Value>()?;
    let first = body.get("errors")?.as_array()?.first()?;
    Some(first.get("message")?.as_str()?.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_openapi_example_token_carries_its_id() {
        // RestRawAccessToken's example in the Data Center OpenAPI 9.2.
        let example = Secret::new("MjUyOTczNTE1MDY5On2rDbID2EgYpH8AVOECHv0saruQ");
        assert_eq!(token_id(&example).as_deref(), Some("252973515069"));
        assert_eq!(token_id(&Secret::new("BBDC-not-base64!")), None);
    }

    #[test]
    fn dates_are_epoch_milliseconds_or_rfc_3339() {
        let ms: Instant = serde_json::from_str("1700000000000").unwrap();
        let text: Instant = serde_json::from_str("\"2023-11-14T22:13:20Z\"").unwrap();
        assert_eq!(ms.timestamp(), text.timestamp());
    }
}
