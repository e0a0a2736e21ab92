//! Listing an Azure DevOps Services organization's PATs for `patlint audit`, read with a
//! Microsoft Entra access token of a token administrator (`secret`, sent as
//! `Authorization: Bearer`), in two read-only calls:
//! - `GET {vssps_url}/{organization}/_apis/graph/users?api-version=7.1-preview.1`: the
//!   organization's users, continued by the response header `X-MS-ContinuationToken`
//!   (MicrosoftDocs/vsts-rest-api-specs `specification/graph/7.1/graph.json`, `Users_List`;
//!   <https://learn.microsoft.com/en-us/rest/api/azure/devops/graph/users/list?view=azure-devops-rest-7.1>);
//! - per user, `GET {vssps_url}/{organization}/_apis/tokenadmin/personalaccesstokens/{descriptor}?api-version=7.1&isPublic=false`:
//!   the user's PATs as session tokens, continued by the body's `continuationToken`
//!   ("`null` if there is no next page"), which needs the `vso.tokenadministration`
//!   scope; it answers 401 "if the caller does not have permission to administrate
//!   tokens" (`specification/tokenAdmin/7.1/tokenAdmin.json`, `Personal Access
//!   Tokens_List`, `TokenAdminPagedSessionTokens`, `SessionToken`;
//!   <https://learn.microsoft.com/en-us/rest/api/azure/devops/tokenadmin/personal-access-tokens/list?view=azure-devops-rest-7.1>).
//!   That specification gives the operation the `api-Version` parameter, "This should be
//!   set to '7.1' to use this version of the api", and does not mark it preview, so `7.1`
//!   is the version asked. `Users_List` is still marked preview (`x-ms-preview`,
//!   `api-Version-preview.1`, "This should be set to '7.1-preview.1'"), and Azure DevOps
//!   refuses a preview API asked without the `-preview` suffix, so the users are asked
//!   with `7.1-preview.1`.
//!
//! `Users_List`'s description gives its 200 as a bare array of `GraphUser`, but Azure
//! DevOps answers an object whose `value` holds the users (the `GetAllUsers.json` example
//! beside it); a listing read in any other shape is an error that says what came.
//!
//! Every page of both is read; a page that fails, a continuation token given twice in a
//! row, or a chain longer than [`MAX_PAGES`](crate::client::paging::MAX_PAGES) makes the
//! whole listing an error.

use futures_util::StreamExt;
use jiff::Timestamp;
use reqwest::header::{ACCEPT, HeaderName};
use reqwest::{StatusCode, Url};
use serde::{Deserialize, Deserializer};

use super::services::Endpoint;
use crate::client::api::Api;
use crate::client::paging::{Next, Page, Paging, Repeat, paginate};
use crate::client::wire::{join, present};
use crate::facts::{Observation, Observed, TokenFacts, TokenKind};
use crate::hosts::inventory::{Fingerprint, Listed, Listing};
use crate::hosts::{Answer, Call, ListingResult};

/// What a declared PAT's check notes (its authorization id, lowercased, from the PAT
/// Lifecycle API) so that the listing finds it.
pub(super) const AUTHORIZATION_ID: &str = "azure-devops-authorization-id";

pub(super) const DOCS: &str = "Azure DevOps Services: lists every PAT of every user of the organization, with its authorization id, display name, owner, scopes, validity window and organization reach (Azure DevOps does not reveal last use). Two kinds of request, both GET: `GET https://vssps.dev.azure.com/ORG/_apis/graph/users?api-version=7.1-preview.1` to every page (`X-MS-ContinuationToken`), which needs the `vso.graph` scope, then for each user `GET https://vssps.dev.azure.com/ORG/_apis/tokenadmin/personalaccesstokens/DESCRIPTOR?api-version=7.1&isPublic=false` to every page (`continuationToken`), which needs the `vso.tokenadministration` scope. The credential (`secret`): a Microsoft Entra access token for Azure DevOps (audience 499b84ac-1321-427f-aa17-267ca6975798) of a Project Collection Administrator, granted both scopes. A declared PAT is matched by the authorization id its own check reads from the PAT Lifecycle API, or by `authorization_id` / `display_name`.";

/// `Users_List`: a preview API in 7.1 (`specification/graph/7.1/graph.json`).
const GRAPH_API_VERSION: &str = "7.1-preview.1";
/// `Personal Access Tokens_List`: 7.1 (`specification/tokenAdmin/7.1/tokenAdmin.json`).
const TOKEN_ADMIN_API_VERSION: &str = "7.1";
const PRODUCT: &str = "Azure DevOps";

const NEEDS: &str = "the inventory's `secret` must be a Microsoft Entra access token for Azure DevOps (audience 499b84ac-1321-427f-aa17-267ca6975798) of a Project Collection Administrator, with the `vso.tokenadministration` scope (and `vso.graph` to list the users)";

pub(super) async fn list(call: &Call<'_>, azure: &Endpoint) -> ListingResult {
    let api = Api::bearer(call, PRODUCT, join(&azure.vssps_url, &azure.organization))?
        .with_header(ACCEPT, "application/json")
        .with_header(HeaderName::from_static("x-tfs-fedauthredirect"), "Suppress");
    let users = users(&api).await?;
    // Every user's PATs are asked at once, `--concurrency` in flight: Azure DevOps limits
    // what a caller consumes, not how many requests it has in flight, and answers one
    // over its limit with 429 and `Retry-After` (or a spent `X-RateLimit-Remaining`
    // with `X-RateLimit-Reset`), which the shared client waits out
    // (<https://learn.microsoft.com/en-us/azure/devops/integrate/concepts/rate-limits>).
    let per_user = futures_util::stream::iter(users)
        .map(|user| {
            let api = &api;
            async move { user_pats(api, &user).await }
        })
        .buffered(call.concurrency())
        .collect::<Vec<_>>()
        .await;
    let mut listing = Listing::complete_for(&[TokenKind::PersonalAccessToken]);
    for pats in per_user {
        listing.tokens.extend(pats?);
    }
    Ok(listing)
}

/// `{vssps_url}/{organization}/{segments…}?api-version={version}&{query}`; each segment
/// is encoded on its own (a descriptor is one segment whatever it holds).
fn url(api: &Api<'_>, segments: &[&str], version: &str, query: &[(&str, &str)]) -> Url {
    let mut pairs = vec![("api-version", version)];
    pairs.extend_from_slice(query);
    let mut url = api.url("", &pairs);
    if let Ok(mut path) = url.path_segments_mut() {
        path.pop_if_empty().extend(segments);
    }
    url
}

/// A 200 with a JSON body (whether it is the documented one is for its reader to say), or
/// why the listing is not complete.
async fn get(api: &Api<'_>, url: Url) -> Result<Answer, Observation> {
    let answer = api.get(&url).await?;
    let json = answer.json::<serde_json::Value>().is_some();
    match answer.status {
        StatusCode::OK if json => Ok(answer),
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => Err(Observation::host_error_with_help(
            format!(
                "{} answered {}{}: Azure DevOps refused to list the organization's PATs to the inventory's token",
                answer.request,
                answer.status,
                answer.quoted_message()
            ),
            format!("Azure DevOps: {NEEDS}."),
        )),
        // A sign-in page (203, or 200 with HTML): the Entra token was not accepted.
        StatusCode::OK | StatusCode::NON_AUTHORITATIVE_INFORMATION => {
            Err(Observation::host_error_with_help(
                format!(
                    "{} answered {} with {} (a sign-in page): the inventory's token was not accepted",
                    answer.request,
                    answer.status,
                    answer.body_kind()
                ),
                format!("Azure DevOps: {NEEDS}."),
            ))
        }
        s if s.is_redirection() => Err(Observation::host_error(format!(
            "{} answered {s} redirecting to {}; patlint does not follow redirects with a token",
            answer.request,
            answer.location()
        ))),
        s => Err(Observation::host_error(format!(
            "{} answered {s}{}, so the listing is not complete",
            answer.request,
            answer.quoted_message()
        ))),
    }
}

/// Every user of the organization, following `X-MS-ContinuationToken`.
async fn users(api: &Api<'_>) -> Result<Vec<User>, Observation> {
    let paging = Paging::new(
        None,
        Repeat::ContinuationToken { of: "users" },
        "the organization's users run".into(),
        None,
    )
    .keyed(|user: &User| user.descriptor.clone());
    paginate(
        paging,
        |continuation: Option<String>| async move {
            let query: Vec<_> = continuation
                .iter()
                .map(|token| ("continuationToken", token.as_str()))
                .collect();
            let users = url(api, &["_apis", "graph", "users"], GRAPH_API_VERSION, &query);
            get(api, users).await
        },
        |answer, _| users_page(answer),
    )
    .await
}

fn users_page(answer: &Answer) -> Result<Page<User, Option<String>>, Observation> {
    #[derive(Deserialize)]
    struct Users {
        value: Vec<User>,
    }
    let users = answer
        .read::<Users>()
        .map_err(|problem| not_documented(answer, "users", &problem))?;
    let next = answer
        .single_header("x-ms-continuationtoken")
        .map_err(|problem| {
            Observation::host_error(format!(
                "{} answered with {problem}, so where the list of users goes on is not known",
                answer.request
            ))
        })?;
    Ok(Page::new(users.value, continuation(next)))
}

/// A continuation token, if there is one: absent or blank is the last page.
fn continuation(token: Option<String>) -> Next<Option<String>> {
    match token.filter(|token| !token.trim().is_empty()) {
        Some(token) => Next::Page(Some(token)),
        None => Next::End,
    }
}

/// One user's PATs, following the body's `continuationToken`.
async fn user_pats(api: &Api<'_>, user: &User) -> Result<Vec<Listed>, Observation> {
    // Service identities (the build service and the like) sign in as nobody, and hold
    // no PATs.
    if user.descriptor.starts_with("svc.") {
        return Ok(Vec::new());
    }
    let source = format!(
        "GET …/_apis/tokenadmin/personalaccesstokens/{}",
        user.descriptor
    );
    let segments = [
        "_apis",
        "tokenadmin",
        "personalaccesstokens",
        user.descriptor.as_str(),
    ];
    let paging = Paging::new(
        None,
        Repeat::ContinuationToken { of: "PATs" },
        format!(
            "the PATs of `{}` run",
            user.principal_name.as_deref().unwrap_or(&user.descriptor)
        ),
        None,
    )
    .keyed(|pat: &Listed| pat.id.to_ascii_lowercase());
    let segments = &segments;
    paginate(
        paging,
        |continuation: Option<String>| async move {
            let mut query = vec![("isPublic", "false")];
            query.extend(
                continuation
                    .iter()
                    .map(|token| ("continuationToken", token.as_str())),
            );
            get(api, url(api, segments, TOKEN_ADMIN_API_VERSION, &query)).await
        },
        |answer, _| pats_page(answer, user, &source),
    )
    .await
}

/// One page of a user's PATs, the invalid ones left out.
fn pats_page(
    answer: &Answer,
    user: &User,
    source: &str,
) -> Result<Page<Listed, Option<String>>, Observation> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Pats {
        #[serde(default)]
        continuation_token: Option<String>,
        value: Vec<SessionToken>,
    }
    let page = answer
        .read::<Pats>()
        .map_err(|problem| not_documented(answer, "PATs", &problem))?;
    let mut listed = Vec::new();
    for pat in page
        .value
        .into_iter()
        .filter(|pat| pat.is_valid != Some(false))
    {
        // A PAT nothing names cannot be matched or reported: the listing would be
        // complete only in appearance.
        let Some(pat) = pat.listed(user, source) else {
            return Err(Observation::host_error(format!(
                "{} listed a PAT without an `authorizationId`, so the listing cannot name every PAT",
                answer.request
            )));
        };
        listed.push(pat);
    }
    Ok(Page::new(listed, continuation(page.continuation_token)))
}

fn not_documented(answer: &Answer, what: &str, problem: &str) -> Observation {
    Observation::host_error(format!(
        "{} answered 200, but not with the list of {what} Azure DevOps documents (an object whose `value` holds them): {problem}; so the listing is not complete",
        answer.request
    ))
}

/// One item of `GET …/_apis/graph/users` (`GraphUser`).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct User {
    descriptor: String,
    #[serde(default)]
    principal_name: Option<String>,
    #[serde(default)]
    display_name: Option<String>,
}

/// One item of the token administration listing (`SessionToken`).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SessionToken {
    #[serde(default)]
    authorization_id: Option<String>,
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default)]
    scope: Option<String>,
    #[serde(default, deserialize_with = "utc")]
    valid_from: Option<Timestamp>,
    #[serde(default, deserialize_with = "utc")]
    valid_to: Option<Timestamp>,
    /// `Some(None)`: `null`; `None`: absent. Either way, all accessible organizations.
    #[serde(default, deserialize_with = "present")]
    target_accounts: Option<Option<Vec<String>>>,
    #[serde(default)]
    is_valid: Option<bool>,
}

impl SessionToken {
    /// `None` for an entry without an authorization id: nothing names it.
    fn listed(self, user: &User, source: &str) -> Option<Listed> {
        let id = self.authorization_id.filter(|id| !id.trim().is_empty())?;
        let owner = user
            .principal_name
            .clone()
            .or_else(|| user.display_name.clone())
            .unwrap_or_else(|| user.descriptor.clone());
        let field = |name: &str| format!("`{name}` in {source}");
        let mut facts = TokenFacts::new(TokenKind::PersonalAccessToken);
        facts.identity = Some(match &self.display_name {
            Some(name) => format!("PAT `{name}` (authorization id {id}) of {owner}"),
            None => format!("PAT with authorization id {id} of {owner}"),
        });
        match &self.scope {
            Some(scope) => {
                facts.scopes =
                    Observed::bare(scope.split_whitespace().map(str::to_owned).collect());
                facts
                    .scopes
                    .set_evidence(format!("{} (`app_token`: full access)", field("scope")));
            }
            None => {
                facts.scopes.set_why(format!("{source} gave no `scope`"));
            }
        }
        match self.valid_to {
            Some(to) => {
                facts.expires_at = Observed::bare(Some(to));
                facts.expires_at.set_evidence(field("validTo"));
            }
            None => {
                facts
                    .expires_at
                    .set_why(format!("{source} gave no `validTo`"));
            }
        }
        match self.valid_from {
            Some(from) => {
                facts.created_at = Observed::bare(Some(from));
                facts.created_at.set_evidence(field("validFrom"));
            }
            None => {
                facts
                    .created_at
                    .set_why(format!("{source} gave no `validFrom`"));
            }
        }
        let global = !matches!(&self.target_accounts, Some(Some(_)));
        super::facts::of_mut(&mut facts).all_accessible_organizations = Observed::bare(global);
        super::facts::of_mut(&mut facts).all_accessible_organizations.set_evidence(match &self.target_accounts {
                Some(Some(_)) => format!("{} lists the organizations", field("targetAccounts")),
                Some(None) => format!(
                    "{} is null: valid for all of the user's accessible organizations",
                    field("targetAccounts")
                ),
                None => format!(
                    "{source} gave no `targetAccounts`: valid for all of the user's accessible organizations"
                ),
            },
        );
        facts
            .last_used_at
            .set_why("Azure DevOps does not reveal when a PAT was last used".into());
        Some(Listed {
            fingerprint: Some(Fingerprint::of(AUTHORIZATION_ID, &id.to_ascii_lowercase())),
            id,
            name: self.display_name,
            owner: Some(owner),
            source: source.to_owned(),
            facts,
        })
    }
}

/// A date-time that may lack its offset (`2018-07-19T00:00:00`): Azure DevOps means UTC.
fn utc<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Timestamp>, D::Error> {
    let Some(text) = Option::<String>::deserialize(d)? else {
        return Ok(None);
    };
    if let Ok(at) = text.parse::<Timestamp>() {
        return Ok(Some(at));
    }
    let civil: jiff::civil::DateTime = text.parse().map_err(serde::de::Error::custom)?;
    civil
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .map(|z| Some(z.timestamp()))
        .map_err(serde::de::Error::custom)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_tokens_of_the_specification_example_read() {
        let pat: SessionToken = serde_json::from_str(r#"{"clientId":"00000000-0000-0000-0000-000000000000","accessId":"00000000-0000-0000-0000-000000000000","authorizationId":"952858d3-7084-4635-964e-3c2a57645185","hostAuthorizationId":"00000000-0000-0000-0000-000000000000","userId":"bb5bb6c8-ef0a-400f-8987-92b3674d2043","validFrom":"2018-07-19T00:00:00","validTo":"2018-07-19T00:00:00","displayName":null,"scope":"app_token","targetAccounts":null,"token":null,"alternateToken":null,"isValid":true,"isPublic":false,"publicData":null,"source":null}"#).unwrap();
        assert_eq!(pat.valid_to.unwrap().to_string(), "2018-07-19T00:00:00Z");
        let user = User {
            descriptor: "aad.x".into(),
            principal_name: Some("jamal@fabrikam.com".into()),
            display_name: None,
        };
        let listed = pat.listed(&user, "GET x").unwrap();
        assert_eq!(
            crate::hosts::azure_devops::facts::of(&listed.facts)
                .all_accessible_organizations
                .value(),
            Some(&true)
        );
        assert_eq!(
            listed.fingerprint,
            Some(Fingerprint::of(
                AUTHORIZATION_ID,
                "952858d3-7084-4635-964e-3c2a57645185"
            ))
        );
        assert_eq!(listed.owner.as_deref(), Some("jamal@fabrikam.com"));
    }

    #[test]
    fn descriptors_are_one_path_segment() {
        let url = Url::parse("https://vssps.dev.azure.com/fabrikam").unwrap();
        let mut joined = join(&url, "");
        joined
            .path_segments_mut()
            .unwrap()
            .pop_if_empty()
            .extend(["_apis", "a/b"]);
        assert_eq!(joined.path(), "/fabrikam/_apis/a%2Fb");
    }
}
