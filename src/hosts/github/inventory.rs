//! Listing an organization's tokens for `patlint audit`, with two read-only calls
//! (github/rest-api-description, `descriptions/api.github.com` and `descriptions/ghec`):
//! - `GET /orgs/{org}/personal-access-tokens` (`orgs/list-pat-grants`): the fine-grained
//!   tokens granted access to the organization; only GitHub Apps may call it, with the
//!   organization permission "Personal access tokens" (read),
//!   <https://docs.github.com/en/rest/orgs/personal-access-tokens#list-fine-grained-personal-access-tokens-with-access-to-organization-resources>;
//! - `GET /orgs/{org}/credential-authorizations` (`orgs/list-saml-sso-authorizations`,
//!   GitHub Enterprise Cloud): on an organization with SAML SSO, the classic tokens
//!   authorized for it; an organization owner's, or an App's with "Administration" (read),
//!   <https://docs.github.com/en/enterprise-cloud@latest/rest/orgs/orgs#list-saml-sso-authorizations-for-an-organization>.
//!
//! - `GET /orgs/{org}/personal-access-token-requests` (`orgs/list-pat-grant-requests`):
//!   the fine-grained tokens awaiting the organization's approval (items of
//!   `organization-programmatic-access-grant-request`: `token_id`, `token_name`, `owner`,
//!   `created_at`, …); GitHub Apps only, with the organization permission "Personal access
//!   token requests" (read),
//!   <https://docs.github.com/en/rest/orgs/personal-access-tokens#list-requests-to-access-organization-resources-with-fine-grained-personal-access-tokens>.
//!   A declared token found only there is `approval-pending`, not `token-not-found`.
//!
//! All three are asked at once and read to the last page. Once a first page names the last
//! one (`Link: rel="last"`), the pages between are asked at once too, each by its `page`
//! number as the `Link` URLs ask
//! (<https://docs.github.com/en/rest/using-the-rest-api/using-pagination-in-the-rest-api#using-link-headers>);
//! without one, each `rel="next"` is followed in turn. A page that fails, a page that
//! disagrees with the first on where the listing ends, a token listed twice, or a chain
//! longer than [`MAX_PAGES`](crate::client::paging::MAX_PAGES) makes the whole listing an
//! error.

use jiff::Timestamp;
use reqwest::StatusCode;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::observe::Api;
use super::{Endpoint, Scope};
use crate::client::paging::{self, Extent, Next, Page, Paging, Repeat, paginate};
use crate::facts::{Grant, Observation, Observed, Settled, TokenFacts, TokenKind};
use crate::hosts::inventory::{Fingerprint, Listed, Listing, ListingResult};
use crate::hosts::{Answer, Call};
use crate::rules::Rule;

/// What a declared token's check notes so that the listing of SSO authorizations
/// (`token_last_eight`) finds it.
pub(super) const LAST_EIGHT: &str = "github-last-eight";

pub(super) const DOCS: &str = "GitHub (`organization`): `GET /orgs/ORG/personal-access-tokens` lists the fine-grained tokens with access to the organization (owner, name, permissions, expiry, last use); `GET /orgs/ORG/personal-access-token-requests` those awaiting its approval (a declared token found only there is `approval-pending`); `GET /orgs/ORG/credential-authorizations` lists, on GitHub Enterprise Cloud with SAML SSO, the classic tokens authorized for it (owner, note, scopes, expiry, last access). All are GET requests. The credential: a GitHub App installation token (only GitHub Apps may list fine-grained grants) with the organization permissions \"Personal access tokens\" (read), \"Personal access token requests\" (read) and, for the SSO authorizations, \"Administration\" (read). Where GitHub lists no SSO authorizations, classic tokens are a blind spot and the report says so (`inventory-incomplete`).";

pub(super) async fn list(call: &Call<'_>, endpoint: &Endpoint, scope: &Scope) -> ListingResult {
    let api = Api::new(call, endpoint)?;
    let org = &scope.organization;
    let mut listing = Listing::complete_for(&[TokenKind::FineGrainedPat]);
    let grants = format!("orgs/{org}/personal-access-tokens");
    let requests = format!("orgs/{org}/personal-access-token-requests");
    let authorizations = format!("orgs/{org}/credential-authorizations");
    let (grants, requests, authorizations) = futures_util::future::join3(
        pages(&api, &grants, |grant: &FineGrained| {
            grant.token_id.to_string()
        }),
        pages(&api, &requests, |request: &Request| request.id.to_string()),
        pages(&api, &authorizations, |authorization: &Authorization| {
            authorization.credential_id.to_string()
        }),
    )
    .await;
    let grants = grants?;
    let source = format!("GET /orgs/{org}/personal-access-tokens");
    listing.tokens.reserve_exact(grants.len());
    listing.tokens.extend(
        grants
            .into_iter()
            .filter(|grant| !grant.token_expired)
            .map(|grant| grant.listed(org, &source)),
    );
    match requests {
        Ok(requests) => {
            let source = format!("GET /orgs/{org}/personal-access-token-requests");
            listing.awaiting.extend(
                requests
                    .into_iter()
                    .filter(|request| !request.token_expired)
                    .map(|request| request.listed(org, &source)),
            );
        }
        Err(Refused::Host(error)) => return Err(error),
        Err(Refused::Status(status)) => listing.blind_spots.push(format!(
            "fine-grained tokens awaiting approval: GET /orgs/{org}/personal-access-token-requests answered {status}, so a declared token that only awaits `{org}`'s approval is reported as not found; the inventory's credential needs the organization permission \"Personal access token requests\" (read)"
        )),
    }
    match authorizations {
        // An empty list is what an organization without SAML SSO may answer too
        // (github/rest-api-description declares only 200 for this operation), so it
        // proves no classic token absent.
        Ok(authorizations) if authorizations.is_empty() => listing.blind_spots.push(format!(
            "classic tokens: GET /orgs/{org}/credential-authorizations lists no SAML SSO authorization, which is also what an organization without SAML SSO answers, where any member's classic token reaches it unlisted"
        )),
        Ok(authorizations) => {
            let source = format!("GET /orgs/{org}/credential-authorizations");
            listing.tokens.extend(
                authorizations
                    .into_iter()
                    .filter(|a| a.credential_type == "personal access token")
                    .map(|a| a.listed(&source)),
            );
            // So the listing is never complete for classic tokens: a declared one missing
            // from it may be an outside collaborator's.
            listing.blind_spots.push(format!(
                "classic tokens of outside collaborators: SAML SSO does not apply to them, so their classic tokens reach `{org}`'s repositories without an SSO authorization and are not in GET /orgs/{org}/credential-authorizations"
            ));
        }
        Err(Refused::Host(error)) => return Err(error),
        Err(Refused::Status(status)) => listing.blind_spots.push(format!(
            "classic tokens: GitHub lists them only as SAML SSO authorizations, and GET /orgs/{org}/credential-authorizations answered {status} ({}): either `{org}` has no SAML SSO, so any member's classic token reaches it unlisted, or the inventory's credential is not an organization owner's",
            if status == StatusCode::NOT_FOUND { "no SAML SSO here" } else { "refused" }
        )),
    }
    Ok(listing)
}

/// Why a listing has no pages: the host failed (an error for the whole audit), or it
/// refused this listing (which may be a blind spot rather than an error).
enum Refused {
    Host(Observation),
    Status(StatusCode),
}

impl From<Refused> for Observation {
    fn from(refused: Refused) -> Self {
        match refused {
            Refused::Host(observation) => observation,
            Refused::Status(status) => Observation::host_error(format!(
                "GitHub refused the listing ({status}): the inventory's credential needs the organization permission \"Personal access tokens\" (read)"
            )),
        }
    }
}

impl From<Observation> for Refused {
    fn from(error: Observation) -> Self {
        Refused::Host(error)
    }
}

/// Every page of a listing: at once after the first when it names the last, else
/// following `Link: rel="next"`; a full page without one is followed by the next page
/// number (the SSO listing documents no `Link` header), so a listing is complete only
/// once a page comes back short. `key` is an item's id: none is listed twice.
async fn pages<T: DeserializeOwned>(
    api: &Api<'_>,
    path: &str,
    key: fn(&T) -> String,
) -> Result<Vec<T>, Refused> {
    let page = |number: usize| format!("{path}?per_page={PER_PAGE}&page={number}");
    let paging = Paging::new(
        format!("{path}?per_page={PER_PAGE}"),
        Repeat::Body,
        format!("GET /{path} runs"),
        Some(PER_PAGE),
    )
    .keyed(key)
    .numbered(&page, api.call().concurrency());
    paginate(
        paging,
        |next| async move { api.get(&next).await.map_err(Refused::Host) },
        |answer, number| read_page(answer, api, path, number),
    )
    .await
}

/// One page's items, and the page after it.
fn read_page<T: DeserializeOwned>(
    answer: &Answer,
    api: &Api<'_>,
    path: &str,
    number: usize,
) -> Result<Page<T, String>, Refused> {
    match answer.status {
        StatusCode::OK => {}
        // Refused from the first page on: what the credential may not list. A refusal
        // later (a secondary rate limit) cuts the listing short.
        StatusCode::FORBIDDEN | StatusCode::NOT_FOUND | StatusCode::UNPROCESSABLE_ENTITY
            if number == 1 =>
        {
            return Err(Refused::Status(answer.status));
        }
        status => {
            return Err(Refused::Host(Observation::host_error(format!(
                "{} answered {status}{}",
                answer.request,
                answer.quoted_message()
            ))));
        }
    }
    let items = answer.read_items::<T>().map_err(|problem| {
        Refused::Host(Observation::host_error(format!(
            "{} answered 200, but not with the listing GitHub documents: {problem}; so the listing is not complete",
            answer.request
        )))
    })?;
    let full = items.len() >= PER_PAGE;
    let links = pages_linked(answer, api).map_err(|p| Refused::Host(Observation::host_error(p)))?;
    let mut extent = Extent {
        last: links.last,
        ..Extent::default()
    };
    let next = match links.next {
        Some((path, number)) => {
            extent.next = number;
            Next::Page(path)
        }
        // A page GitHub links to others without a `next` is the last page; a full page
        // without any `Link` may have more after it.
        None if full && !links.present => {
            extent.next = Some(number + 1);
            Next::Page(format!("{path}?per_page={PER_PAGE}&page={}", number + 1))
        }
        None => Next::End,
    };
    Ok(Page {
        items,
        next,
        extent,
    })
}

/// GitHub's largest page (`per_page`, at most 100).
const PER_PAGE: usize = 100;

/// What a page's `Link` (RFC 8288) says: the next page's path (on the API's own origin:
/// a link elsewhere is not followed, the token would go with it) and number, and the
/// last page's number.
struct Linked {
    /// Whether the page sent a `Link` at all.
    present: bool,
    next: Option<(String, Option<usize>)>,
    last: Option<usize>,
}

fn pages_linked(answer: &Answer, api: &Api<'_>) -> Result<Linked, String> {
    let links = paging::links(answer).map_err(|problem| {
        format!(
            "{} answered with {problem}, so where the listing goes on is not known",
            answer.request
        )
    })?;
    let last = links.last.as_deref().and_then(paging::page_number);
    let Some(next) = links.next else {
        return Ok(Linked {
            present: links.present,
            next: None,
            last,
        });
    };
    let path = api.relative(&next).ok_or_else(|| {
        format!(
            "{} links its next page outside the API (`{}`), which is not followed",
            answer.request,
            crate::client::wire::origin_only(&next)
        )
    })?;
    Ok(Linked {
        present: true,
        next: Some((path, paging::page_number(&next))),
        last,
    })
}

/// One item of `GET /orgs/{org}/personal-access-tokens`
/// (github/rest-api-description, `organization-programmatic-access-grant`).
#[derive(Deserialize)]
struct FineGrained {
    owner: Owner,
    token_id: u64,
    token_name: String,
    #[serde(default)]
    token_expired: bool,
    #[serde(default, deserialize_with = "crate::client::wire::present_date_time")]
    token_expires_at: Option<Option<Timestamp>>,
    #[serde(default, deserialize_with = "crate::client::wire::present_date_time")]
    token_last_used_at: Option<Option<Timestamp>>,
    repository_selection: String,
    #[serde(default)]
    permissions: Permissions,
}

#[derive(Deserialize)]
struct Owner {
    login: String,
}

#[derive(Deserialize, Default)]
struct Permissions {
    #[serde(default)]
    organization: std::collections::BTreeMap<String, String>,
    #[serde(default)]
    repository: std::collections::BTreeMap<String, String>,
    #[serde(default)]
    other: std::collections::BTreeMap<String, String>,
}

impl FineGrained {
    fn listed(self, org: &str, source: &str) -> Listed {
        let mut facts = TokenFacts::new(TokenKind::FineGrainedPat);
        facts.identity = Some(self.owner.login.clone());
        let field = |name: &str| format!("`{name}` in {source}");
        if let Some(expires) = self.token_expires_at {
            facts.expires_at = Observed::bare(expires);
            facts.expires_at.set_evidence(field("token_expires_at"));
        }
        if let Some(used) = self.token_last_used_at {
            facts.last_used_at = Observed::bare(used);
            facts.last_used_at.set_evidence(field("token_last_used_at"));
        }
        facts.created_at.set_why(format!(
            "{source} gives when the organization granted access, not when the token was made"
        ));
        facts
            .scopes
            .set_why("a fine-grained token has permissions, not scopes".into());
        let target = match self.repository_selection.as_str() {
            "all" => format!("{org} (all repositories)"),
            "subset" => format!("{org} (selected repositories)"),
            _ => format!("{org} (no repositories)"),
        };
        let all = [
            (&self.permissions.organization, org.to_owned()),
            (&self.permissions.repository, target),
            (&self.permissions.other, org.to_owned()),
        ];
        for (permissions, target) in all {
            for (name, level) in permissions {
                facts.grants.push(Grant::new(
                    target.clone(),
                    format!("{name}:{level}"),
                    Settled::Granted,
                    field("permissions"),
                ));
            }
        }
        Listed {
            id: self.token_id.to_string(),
            name: Some(self.token_name),
            owner: Some(self.owner.login),
            source: source.to_owned(),
            fingerprint: None,
            facts,
        }
    }
}

/// One item of `GET /orgs/{org}/personal-access-token-requests`
/// (github/rest-api-description, `organization-programmatic-access-grant-request`): a
/// fine-grained token's request for access, awaiting an owner's approval.
#[derive(Deserialize)]
struct Request {
    id: u64,
    owner: Owner,
    token_id: u64,
    token_name: String,
    #[serde(default)]
    token_expired: bool,
    #[serde(default, deserialize_with = "crate::client::wire::present_date_time")]
    token_expires_at: Option<Option<Timestamp>>,
    #[serde(default, deserialize_with = "crate::client::wire::present_date_time")]
    created_at: Option<Option<Timestamp>>,
}

impl Request {
    /// Listed with its refusal: the organization has not let it in yet.
    fn listed(self, org: &str, source: &str) -> Listed {
        let mut facts = TokenFacts::new(TokenKind::FineGrainedPat);
        facts.identity = Some(self.owner.login.clone());
        if let Some(expires) = self.token_expires_at {
            facts.expires_at = Observed::bare(expires);
            facts
                .expires_at
                .set_evidence(format!("`token_expires_at` in {source}"));
        }
        let since = match self.created_at.flatten() {
            Some(at) => format!(" since {}", at.strftime("%Y-%m-%d")),
            None => String::new(),
        };
        facts.grants.push(Grant::new(
            org,
            "organization",
            Settled::Refused {
                rule: Rule::ApprovalPending,
                policy: format!(
                    "the `{org}` organization requires its owners to approve fine-grained tokens, and this token's request for access (id {}) awaits approval{since}: until then it reaches only `{org}`'s public resources",
                    self.id
                ),
            },
            format!("listed by {source}"),
        ));
        Listed {
            id: self.token_id.to_string(),
            name: Some(self.token_name),
            owner: Some(self.owner.login),
            source: source.to_owned(),
            fingerprint: None,
            facts,
        }
    }
}

/// One item of `GET /orgs/{org}/credential-authorizations`
/// (github/rest-api-description, `credential-authorization`).
#[derive(Deserialize)]
struct Authorization {
    login: String,
    credential_id: u64,
    credential_type: String,
    #[serde(default)]
    token_last_eight: Option<String>,
    #[serde(default)]
    scopes: Option<Vec<String>>,
    #[serde(default, deserialize_with = "crate::client::wire::present_date_time")]
    credential_accessed_at: Option<Option<Timestamp>>,
    #[serde(default, deserialize_with = "crate::client::wire::present_date_time")]
    authorized_credential_expires_at: Option<Option<Timestamp>>,
    #[serde(default)]
    authorized_credential_note: Option<String>,
}

impl Authorization {
    fn listed(self, source: &str) -> Listed {
        let mut facts = TokenFacts::new(TokenKind::ClassicPat);
        facts.identity = Some(self.login.clone());
        let field = |name: &str| format!("`{name}` in {source}");
        if let Some(scopes) = self.scopes {
            facts.scopes = Observed::bare(scopes.into_iter().collect());
            facts.scopes.set_evidence(field("scopes"));
        }
        match self.authorized_credential_expires_at {
            Some(expires) => {
                facts.expires_at = Observed::bare(expires);
                facts
                    .expires_at
                    .set_evidence(field("authorized_credential_expires_at"));
            }
            None => {
                facts.expires_at.set_why(format!(
                    "{source} gave no `authorized_credential_expires_at`"
                ));
            }
        }
        if let Some(accessed) = self.credential_accessed_at {
            facts.last_used_at = Observed::bare(accessed);
            facts.last_used_at.set_evidence(format!(
                "{} (its last access to the organization)",
                field("credential_accessed_at")
            ));
        }
        facts.created_at.set_why(format!(
            "{source} gives when the token was authorized for SSO, not when it was made"
        ));
        Listed {
            id: self.credential_id.to_string(),
            name: self.authorized_credential_note,
            owner: Some(self.login),
            source: source.to_owned(),
            fingerprint: self
                .token_last_eight
                .map(|last| Fingerprint::of(LAST_EIGHT, &last)),
            facts,
        }
    }
}
