//! Listing Bitbucket Data Center's HTTP access tokens for `patlint audit`: those of the
//! one user, project or repository the inventory names (its `user`, `project` or
//! `repository`, as for a token), with GET requests under `{url}/rest` only.
//!
//! - `GET /rest/access-tokens/latest/users/{userSlug}`, `…/projects/{projectKey}` and
//!   `…/projects/{projectKey}/repos/{repositorySlug}`: "Get all access tokens associated
//!   with the given project" (or user, or repository), paged with `start` and `limit`,
//!   answered with `isLastPage`, `nextPageStart` and `values`; 401 when "the currently
//!   authenticated user is not permitted to get access tokens for this project or
//!   authentication failed" (Bitbucket Data Center OpenAPI 9.2, `getAllAccessTokens`,
//!   coderabbitai/bitbucket `src/server/openapi/swagger.v3.json`). The records are read
//!   as the token's own check reads them (`dc_observe.rs`).
//! - A project's repositories: `GET /rest/api/latest/projects/{projectKey}/repos`, "Get
//!   repositories for project … The authenticated user must have PROJECT_READ permission
//!   for the specified project", paged the same way (the same OpenAPI, `getRepositories`):
//!   read-only, so a project inventory lists its repositories' tokens too.
//! - Who may list them: a project's or repository's tokens are managed in its settings
//!   ("Project or Repository settings > HTTP access tokens", which "requires project or
//!   repository admin permissions",
//!   <https://confluence.atlassian.com/bitbucketserver091/http-access-tokens-1443038354.html>);
//!   a user's are the user's own, and "as an administrator, you can edit and revoke
//!   tokens" of every user
//!   (<https://confluence.atlassian.com/bitbucketserver0715/managing-personal-access-tokens-1082271241.html>).
//!   The REST reference names no permission for the listing itself beyond its 401: a
//!   credential short of these is refused, and the inventory is a `host-error`.

use reqwest::Url;
use serde::Deserialize;

use super::data_center::{Endpoint, Owner};
use super::dc_observe::{Record, Stop, TOKEN_ID, bearer, listing_url, pages, rest_url};
use super::facts::set_dc_token;
use crate::facts::{Observation, TokenFacts};
use crate::hosts::inventory::{Fingerprint, Listed, Listing};
use crate::hosts::{Answer, Call, ListingResult};

pub(super) const DOCS: &str = "Bitbucket Data Center: an inventory lists the HTTP access tokens of the one user, project or repository its `user = \"SLUG\"`, `project = \"KEY\"` or `repository = \"KEY/slug\"` names (written as for a token), with GET requests under `{url}/rest` only, each read to its last page (`start`, `limit`, `isLastPage`, `nextPageStart`): `GET /rest/access-tokens/latest/users/SLUG` (the user's own token, or a Bitbucket administrator's); `GET /rest/access-tokens/latest/projects/KEY` with `GET /rest/api/latest/projects/KEY/repos` (PROJECT_READ) and `GET /rest/access-tokens/latest/projects/KEY/repos/SLUG` for each repository (a project admin's token); `GET /rest/access-tokens/latest/projects/KEY/repos/SLUG` (a repository admin's). Each record gives the token's id, name, user, permissions, creation and expiry; last use is not read. A page that fails or is not the documented listing makes the inventory a `host-error`, never a shorter complete listing. A project or repository inventory cannot see users' personal tokens (nor, for a repository, its project's tokens, which reach it too): `inventory-incomplete`. Declared tokens are matched by the id their value carries (base64 of `<id>:…`).";

/// The inventory's user's, project's or repository's tokens (a project's repositories'
/// too, listed one after another), to the last page of each listing.
pub(super) async fn list(call: &Call<'_>, endpoint: &Endpoint) -> ListingResult {
    let auth = bearer(call)?;
    let mut listing = Listing::complete_for(&[endpoint.owner.token_kind()]);
    let source = listing_url(endpoint);
    listing
        .tokens
        .extend(tokens(call, &auth, &endpoint.owner, &source).await?);
    match &endpoint.owner {
        Owner::User(_) => {}
        Owner::Project(key) => {
            let repos = rest_url(endpoint, &["api", "latest", "projects", key, "repos"]);
            let repos: Vec<(Repository, Option<String>)> = pages(call, &auth, &repos)
                .await
                .map_err(|stop| refused(stop, &format!("project `{key}`'s repositories: it needs PROJECT_READ")))?;
            for (repository, _) in repos {
                let owner = Owner::Repository {
                    project: key.clone(),
                    slug: repository.slug,
                };
                let mut segments = vec!["access-tokens", "latest"];
                segments.extend(owner.segments());
                let url = rest_url(endpoint, &segments);
                listing
                    .tokens
                    .extend(tokens(call, &auth, &owner, &url).await?);
            }
            // Every repository's tokens were read too.
            listing
                .complete_for
                .insert(crate::facts::TokenKind::RepositoryAccessToken);
            listing.blind_spots.push(format!(
                "personal HTTP access tokens of the users who may reach project `{key}`: Bitbucket Data Center lists them per user only (an inventory with `user = \"SLUG\"` lists one user's)"
            ));
        }
        Owner::Repository { project, slug } => listing.blind_spots.push(format!(
            "project `{project}`'s HTTP access tokens, which reach `{project}/{slug}` too (an inventory with `project = \"{project}\"` lists them), and the personal HTTP access tokens of the users who may reach it (listed per user only)"
        )),
    }
    Ok(listing)
}

/// One repository of a project's listing (OpenAPI 9.2 `RestRepository`).
#[derive(Deserialize)]
struct Repository {
    slug: String,
}

/// Every token of one user's, project's or repository's listing.
async fn tokens(
    call: &Call<'_>,
    auth: &reqwest::header::HeaderValue,
    owner: &Owner,
    url: &Url,
) -> Result<Vec<Listed>, Observation> {
    let needs = match owner {
        Owner::User(_) => "it needs the user's own token or a Bitbucket administrator's",
        Owner::Project(_) => "it needs a token of a project admin",
        Owner::Repository { .. } => "it needs a token of a repository (or project) admin",
    };
    let records: Vec<(Record, Option<String>)> = pages(call, auth, url).await.map_err(|stop| {
        refused(
            stop,
            &format!("{}'s HTTP access tokens: {needs}", owner.describe()),
        )
    })?;
    let source = format!("GET {}", url.path());
    Ok(records
        .into_iter()
        .map(|(record, _)| listed(record, owner, &source))
        .collect())
}

/// A listing that stopped: the host's failure as it is, a refusal with what the
/// inventory's credential needs.
fn refused(stop: Stop, what: &str) -> Observation {
    match stop {
        Stop::Host(observation) => observation,
        Stop::Refused(answer) => refusal(&answer, what),
    }
}

fn refusal(answer: &Answer, what: &str) -> Observation {
    Observation::host_error(format!(
        "{} answered {}{}: Bitbucket Data Center refused the inventory's token the listing of {what}; so the listing is not complete",
        answer.request,
        answer.status,
        answer.quoted_message()
    ))
}

fn listed(record: Record, owner: &Owner, source: &str) -> Listed {
    let id = record.id();
    let name = record.name.clone();
    let user = record.user();
    let mut facts = TokenFacts::new(owner.token_kind());
    set_dc_token(
        &mut facts,
        owner.kind(),
        format!("listed under {} ({source})", owner.describe()),
    );
    // `lastAuthenticated` is not in Atlassian's OpenAPI: when it is set is unconfirmed.
    facts.last_used_at.set_why(format!(
        "{source} gives no last use Atlassian documents (`lastAuthenticated` is not in its REST reference)"
    ));
    super::dc_observe::record_facts(&mut facts, record, &format!("token {id} in {source}"));
    Listed {
        fingerprint: Some(Fingerprint::of(TOKEN_ID, &id)),
        id,
        name,
        owner: user,
        source: source.to_owned(),
        facts,
    }
}
