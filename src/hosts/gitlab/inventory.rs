//! Listing a GitLab instance's or group's tokens for `patlint audit`, with read-only calls
//! to GitLab's REST API (`{url}/api/v4`, header `PRIVATE-TOKEN`):
//! - an instance (no `group`): `GET /user` first, which must say `is_admin: true`: for a
//!   non-administrator `GET /personal_access_tokens` "returns a list of all of their
//!   personal access tokens", which would read as a complete listing of the instance; then
//!   `GET /personal_access_tokens?state=active`, which "for administrators, returns a
//!   list of all personal access tokens in the instance"
//!   (<https://docs.gitlab.com/api/personal_access_tokens/#list-all-personal-access-tokens>,
//!   `is_admin` in <https://docs.gitlab.com/api/users/#retrieve-the-current-user>);
//! - a group (`group = "PATH"`): `GET /groups/:id/access_tokens?state=active`
//!   (<https://docs.gitlab.com/api/group_access_tokens/#list-all-group-access-tokens>), the
//!   same for each of its subgroups (`GET /groups/:id/descendant_groups`,
//!   <https://docs.gitlab.com/api/groups/#list-descendant-groups>), its projects and its
//!   subgroups' (`GET /groups/:id/projects?include_subgroups=true&with_shared=false`,
//!   <https://docs.gitlab.com/api/groups/#list-projects>; shared projects belong to other
//!   groups), and `GET /projects/:id/access_tokens?state=active` for each
//!   (<https://docs.gitlab.com/api/project_access_tokens/#list-all-project-access-tokens>).
//!
//! Every listing is read with `per_page=100` to its last page: GitLab's offset pagination
//! sends `x-next-page`, empty on the last page, or `Link: rel="next"` (keyset)
//! (<https://docs.gitlab.com/api/rest/#pagination>). Where the first page says how many
//! pages there are (`x-total-pages`, else `Link: rel="last"`), the rest are asked at
//! once, and every page must say the same (`x-total-pages`, `x-total`); GitLab leaves
//! those out past 10,000 items and for keyset pagination
//! (<https://docs.gitlab.com/api/rest/#pagination-response-headers>), and then each
//! page's next is followed in turn. A page that fails, an `x-next-page` that is not the
//! next page, a page without either header after the first, a page that disagrees with
//! the first on the listing's extent, a token listed twice, or more than
//! [`MAX_PAGES`](crate::client::paging::MAX_PAGES) pages makes the whole listing an error,
//! never a shorter complete one.

use futures_util::StreamExt;
use jiff::Timestamp;
use reqwest::header::HeaderName;
use reqwest::{StatusCode, Url};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::facts::GranularScope;
use super::observe::Expiry;
use super::{Endpoint, Scope};
use crate::client::api::Api;
use crate::client::paging::{self, Extent, Next, Page, Paging, Repeat, paginate};
use crate::client::wire::{join, present};
use crate::facts::{Observation, Observed, TokenFacts, TokenKind};
use crate::hosts::inventory::{Fingerprint, Listed, Listing};
use crate::hosts::{Answer, Call, ListingResult};

/// What a declared token's check notes (its id in `/personal_access_tokens/self`) so
/// that a listing finds it: the same id is every listing's `id`.
pub(super) const TOKEN_ID: &str = "gitlab-token-id";

pub(super) const DOCS: &str = "GitLab: an instance inventory (no `group`) asks `GET /api/v4/user` and goes on only if it says `is_admin: true` (a non-administrator's listing holds only its own tokens, which would look complete), then reads `GET /api/v4/personal_access_tokens?state=active` to its last page: every active personal access token of the instance, project and group access tokens included (owner's user id, name, scopes, creation, expiry, last use). The credential: an administrator's token with `read_api` (and `admin_mode` where Admin Mode is on). A group inventory (`group = \"PATH\"`) reads `GET /api/v4/groups/PATH/access_tokens?state=active`, the same for each subgroup of `GET /api/v4/groups/PATH/descendant_groups`, and `GET /api/v4/projects/ID/access_tokens?state=active` for each project of `GET /api/v4/groups/PATH/projects?include_subgroups=true&with_shared=false`; the credential: a token with `read_api` of a user with the Owner role on the group. Every request is a GET, every listing is read to its last page (`x-next-page` or `Link: rel=\"next\"`), and a listing cut short is an error. A group inventory lists group and project access tokens only: members' personal access tokens reach the group unlisted (`inventory-incomplete`), so it never reports a declared token as `token-not-found`.";

/// One page's worth: GitLab's largest `per_page`.
const PER_PAGE: usize = 100;

/// Project listings asked at once (each also bounded per origin by `--concurrency`).
const PROJECTS_AT_ONCE: usize = 8;

pub(super) async fn list(call: &Call<'_>, endpoint: &Endpoint, scope: &Scope) -> ListingResult {
    let api = Api::secret_in(
        call,
        "GitLab",
        rest_api(&endpoint.url),
        HeaderName::from_static("private-token"),
    )?;
    let me = current_user(&api).await?;
    let mut listing = match scope {
        Scope::Instance => instance(&api, &me).await?,
        Scope::Group(group) => group_listing(&api, group).await?,
    };
    // The inventory's own token is in the listing, and GitLab records patlint's
    // listing as its last use: for the inventory user's tokens that is no evidence.
    let own = me.id.to_string();
    for token in &mut listing.tokens {
        if token.owner.as_deref() == Some(own.as_str()) {
            token.facts.last_used_at = Observed::unobservable(
                "it is a token of the inventory's own user, and GitLab may have recorded patlint's listing as its last use",
            );
        }
    }
    Ok(listing)
}

async fn instance(api: &Api<'_>, me: &User) -> ListingResult {
    admin_only(me)?;
    admin_access(api).await?;
    let source = "GET /api/v4/personal_access_tokens";
    let tokens: Vec<Token> = pages(
        api,
        "personal_access_tokens",
        &[("state", "active")],
        "it needs an administrator's token with `read_api` (and `admin_mode` where Admin Mode is on)",
        Token::key,
    )
    .await?;
    // Project and group access tokens are personal access tokens of their bot users:
    // an administrator's listing holds them too, so every token `/self` describes is in it.
    let mut listing =
        Listing::complete_for(&[TokenKind::PersonalAccessToken, TokenKind::FineGrainedPat]);
    listing.tokens.reserve_exact(tokens.len());
    listing.tokens.extend(
        tokens
            .into_iter()
            .filter(Token::usable)
            .map(|token| token.listed(source, None)),
    );
    Ok(listing)
}

/// The inventory's user, from `GET /user` (`is_admin` is there for administrators
/// only: `UserWithAdmin`, <https://docs.gitlab.com/api/users/#retrieve-the-current-user>).
#[derive(Deserialize)]
struct User {
    id: u64,
    #[serde(default)]
    is_admin: Option<bool>,
}

async fn current_user(api: &Api<'_>) -> Result<User, Observation> {
    let answer = api.get(&api.url("user", &[])).await?;
    if answer.status != StatusCode::OK {
        return Err(refused(&answer, "it needs a token with `read_api`"));
    }
    answer.json::<User>().ok_or_else(|| {
        Observation::host_error(format!(
            "{} answered 200 with {}, not GitLab's user; is `url` the GitLab instance URL?",
            answer.request,
            answer.body_kind()
        ))
    })
}

/// An instance listing is an administrator's: anyone else's is of their own tokens alone.
fn admin_only(me: &User) -> Result<(), Observation> {
    if me.is_admin == Some(true) {
        return Ok(());
    }
    Err(Observation::host_error_with_help(
        "the inventory's token is not an administrator's (`is_admin` is not true in GET /api/v4/user): GitLab lists a non-administrator only its own personal access tokens, which would pass for every token of the instance",
        ADMIN_HELP,
    ))
}

const ADMIN_HELP: &str = "GitLab: give the instance inventory an administrator's token with `read_api` (and `admin_mode` where Admin Mode is on), or set `group = \"PATH\"` to list one group's access tokens with a group Owner's token.";

/// An administrator whose token lacks `admin_mode` (where Admin Mode is on) is listed only
/// their own tokens too. GitLab refuses such a token another user's tokens
/// (`restrict_non_admins! unless current_user.can_admin_all_resources?`,
/// gitlab-org/gitlab `lib/api/personal_access_tokens.rb`), so asking for those of a user
/// that cannot exist (id 0) answers 401 without administrator access and 200 with it.
async fn admin_access(api: &Api<'_>) -> Result<(), Observation> {
    let probe = api.url(
        "personal_access_tokens",
        &[("user_id", "0"), ("per_page", "1")],
    );
    let answer = api.get(&probe).await?;
    match answer.status {
        StatusCode::OK | StatusCode::NOT_FOUND => Ok(()),
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => Err(Observation::host_error_with_help(
            format!(
                "{} answered {}: the administrator's token may not read other users' tokens (Admin Mode is on and it lacks the `admin_mode` scope), so its listing would hold only its own",
                answer.request, answer.status
            ),
            ADMIN_HELP,
        )),
        status => Err(Observation::host_error(format!(
            "{} answered {status}{}",
            answer.request,
            answer.quoted_message()
        ))),
    }
}

async fn group_listing(api: &Api<'_>, group: &str) -> ListingResult {
    let id = encode(group);
    let owner_hint = format!(
        "it needs a token with `read_api` of a user with the Owner role on group `{group}`"
    );
    let mut groups = vec![(group.to_owned(), id.clone())];
    let descendants: Vec<Group> = pages(
        api,
        &format!("groups/{id}/descendant_groups"),
        &[],
        &owner_hint,
        |group: &Group| group.id.to_string(),
    )
    .await?;
    groups.extend(
        descendants
            .into_iter()
            .map(|g| (g.full_path, g.id.to_string())),
    );
    let projects: Vec<Project> = pages(
        api,
        &format!("groups/{id}/projects"),
        &[("include_subgroups", "true"), ("with_shared", "false")],
        &owner_hint,
        |project: &Project| project.id.to_string(),
    )
    .await?;
    // A group sees only group and project access tokens: its members' personal access
    // tokens are listed to an administrator alone, so no kind is complete here and a
    // declared token missing from this listing proves nothing.
    let mut listing = Listing::complete_for(&[]);
    listing.blind_spots.push(format!(
        "personal access tokens of `{group}`'s members: GitLab lists them only to an instance administrator, so a group inventory lists only the group's and its projects' access tokens (an instance inventory, without `group`, lists them all)"
    ));
    for (path, gid) in &groups {
        let api_path = format!("groups/{gid}/access_tokens");
        let source = format!("GET /api/v4/{api_path}");
        let tokens: Vec<Token> = pages(
            api,
            &api_path,
            &[("state", "active")],
            &owner_hint,
            Token::key,
        )
        .await?;
        let on = format!("group `{path}`");
        listing.tokens.extend(
            tokens
                .into_iter()
                .filter(Token::usable)
                .map(|t| t.listed(&source, Some(&on))),
        );
    }
    let per_project = futures_util::stream::iter(projects)
        .map(|project| {
            let hint = format!(
                "it needs a token with `read_api` of a user with at least the Maintainer role on project `{}`",
                project.path_with_namespace
            );
            async move {
                let api_path = format!("projects/{}/access_tokens", project.id);
                let source = format!("GET /api/v4/{api_path}");
                let tokens: Vec<Token> =
                    pages(api, &api_path, &[("state", "active")], &hint, Token::key).await?;
                let on = format!("project `{}`", project.path_with_namespace);
                Ok::<_, Observation>(
                    tokens
                        .into_iter()
                        .filter(Token::usable)
                        .map(|t| t.listed(&source, Some(&on)))
                        .collect::<Vec<_>>(),
                )
            }
        })
        .buffered(PROJECTS_AT_ONCE)
        .collect::<Vec<_>>()
        .await;
    for tokens in per_project {
        listing.tokens.extend(tokens?);
    }
    Ok(listing)
}

/// A group path as one path segment: GitLab takes "ID or URL-encoded path".
fn encode(path: &str) -> String {
    url::form_urlencoded::byte_serialize(path.as_bytes()).collect()
}

/// GitLab's REST API under an instance URL: `{url}/api/v4/`
/// (<https://docs.gitlab.com/api/rest/>).
fn rest_api(url: &Url) -> Url {
    join(url, "api/v4/")
}

/// A listing's refusal, with what the inventory's credential needs.
fn refused(answer: &Answer, needs: &str) -> Observation {
    let status = answer.status;
    let why = match status {
        StatusCode::UNAUTHORIZED => "GitLab refused the inventory's token".to_owned(),
        StatusCode::FORBIDDEN | StatusCode::NOT_FOUND => {
            format!("GitLab refused the listing: {needs}")
        }
        s if s.is_redirection() => format!(
            "redirecting to {}, which patlint does not follow with a token: set `url` to the GitLab instance URL",
            answer.location()
        ),
        _ => "so the listing is not complete".to_owned(),
    };
    Observation::host_error(format!(
        "{} answered {status}{} ({why})",
        answer.request,
        answer.quoted_message()
    ))
}

/// Every page of `GET /api/v4/{path}?{query}&per_page=100`; `key` is an item's id: none
/// is listed twice.
async fn pages<T: DeserializeOwned>(
    api: &Api<'_>,
    path: &str,
    query: &[(&str, &str)],
    needs: &str,
    key: fn(&T) -> String,
) -> Result<Vec<T>, Observation> {
    let per_page = PER_PAGE.to_string();
    let mut query = query.to_vec();
    query.push(("per_page", &per_page));
    let first = api.url(path, &query);
    let page = |number: usize| page_url(&first, number);
    let paging = Paging::new(
        first.clone(),
        Repeat::Body,
        format!("GET /api/v4/{path} runs"),
        Some(PER_PAGE),
    )
    .keyed(key)
    .numbered(&page, api.call.concurrency());
    paginate(
        paging,
        |url| async move { api.get(&url).await },
        |answer, number| read_page(answer, api, &first, number, needs),
    )
    .await
}

/// One page's items, and the page after it (page `n` is the first page's URL with
/// `page=n`).
fn read_page<T: DeserializeOwned>(
    answer: &Answer,
    api: &Api<'_>,
    first: &Url,
    number: usize,
    needs: &str,
) -> Result<Page<T, Url>, Observation> {
    if answer.status != StatusCode::OK {
        return Err(refused(answer, needs));
    }
    let items = answer.read_items::<T>().map_err(|problem| {
        Observation::host_error(format!(
            "{} answered 200, but not with the listing GitLab documents: {problem}; so the listing is not complete",
            answer.request
        ))
    })?;
    let short = items.len() < PER_PAGE;
    let mut extent = extent(answer)?;
    let next = match next(answer, api, number, short)? {
        After::End => Next::End,
        After::Page(n) => {
            extent.next = Some(n);
            Next::Page(page_url(first, n))
        }
        After::Link(link) => {
            extent.next = paging::page_number(link.as_str());
            Next::Page(link)
        }
    };
    Ok(Page {
        items,
        next,
        extent,
    })
}

/// Page `number` of the listing whose first page is `first`.
fn page_url(first: &Url, number: usize) -> Url {
    let mut url = first.clone();
    url.query_pairs_mut()
        .append_pair("page", &number.to_string());
    url
}

/// What a page says of the whole listing: `x-total-pages` (else the page number of
/// `Link: rel="last"`) and `x-total`, which GitLab sends on every page of an offset
/// listing of at most 10,000 items
/// (<https://docs.gitlab.com/api/rest/#other-pagination-headers>).
fn extent(answer: &Answer) -> Result<Extent, Observation> {
    let number = |name: &str| -> Result<Option<usize>, Observation> {
        let problem = |what: String| {
            Observation::host_error(format!(
                "{} answered with {what}, so how long the listing is is not known and it is not complete",
                answer.request
            ))
        };
        match answer.single_header(name).map_err(problem)? {
            None => Ok(None),
            Some(value) if value.trim().is_empty() => Ok(None),
            Some(value) => value
                .trim()
                .parse()
                .map(Some)
                .map_err(|_| problem(format!("`{name}: {}`, not a number", value.trim()))),
        }
    };
    let last = match number("x-total-pages")? {
        Some(pages) => Some(pages),
        None => paging::links(answer)
            .ok()
            .and_then(|links| links.last)
            .as_deref()
            .and_then(paging::page_number),
    };
    Ok(Extent {
        next: None,
        last,
        items: number("x-total")?,
    })
}

/// What GitLab says follows a page.
enum After {
    End,
    /// `x-next-page`: a page number.
    Page(usize),
    /// `Link: rel="next"` (keyset pagination).
    Link(Url),
}

/// The page after `page`: `x-next-page` (empty on the last page), else `Link:
/// rel="next"`. Neither is the end only for a first page short of a full one (an
/// endpoint GitLab does not paginate); anywhere else the listing's end is not known.
fn next(answer: &Answer, api: &Api<'_>, page: usize, short: bool) -> Result<After, Observation> {
    let problem = |what: String| {
        Observation::host_error(format!(
            "{} answered with {what}, so where the listing goes on is not known and it is not complete",
            answer.request
        ))
    };
    match answer.single_header("x-next-page").map_err(problem)? {
        Some(next) if next.trim().is_empty() => return Ok(After::End),
        Some(next) => {
            return match next.trim().parse::<usize>() {
                Ok(n) if n == page + 1 => Ok(After::Page(n)),
                _ => Err(problem(format!(
                    "`x-next-page: {}` after page {page}",
                    next.trim()
                ))),
            };
        }
        None => {}
    }
    let short_first = page == 1 && short;
    let links = paging::links(answer).map_err(problem)?;
    match links.next {
        Some(target) => api.within(&target).map(After::Link).ok_or_else(|| {
            problem(format!(
                "a next page outside the API (`{}`), which is not followed",
                crate::client::wire::origin_only(&target)
            ))
        }),
        // A `Link` without `rel="next"` (the last page's first, prev and last) on a page
        // short of a full one is GitLab saying there is none; on a full page, a header may
        // have been lost on the way, and a next page may follow.
        None if links.present && short => Ok(After::End),
        _ if short_first => Ok(After::End),
        _ => Err(problem(format!(
            "no `x-next-page` or `Link: rel=\"next\"` header after page {page}"
        ))),
    }
}

/// One item of `GET /groups/:id/descendant_groups`.
#[derive(Deserialize)]
struct Group {
    id: u64,
    full_path: String,
}

/// One item of `GET /groups/:id/projects`.
#[derive(Deserialize)]
struct Project {
    id: u64,
    path_with_namespace: String,
}

/// One token of a listing: GitLab's personal access token entity, and the resource
/// access token entity (the same fields and `access_level`).
#[derive(Deserialize)]
struct Token {
    id: u64,
    name: String,
    #[serde(default)]
    revoked: bool,
    #[serde(default)]
    active: Option<bool>,
    #[serde(default)]
    scopes: Option<Vec<String>>,
    #[serde(default)]
    created_at: Option<Timestamp>,
    /// `Some(None)`: never expires; `None`: the listing did not say.
    #[serde(default, deserialize_with = "present")]
    expires_at: Option<Option<Expiry>>,
    #[serde(default, deserialize_with = "present")]
    last_used_at: Option<Option<Timestamp>>,
    #[serde(default)]
    user_id: Option<u64>,
    #[serde(default)]
    granular: bool,
    /// A fine-grained token's grants: the listing presents them (`with_granular_scopes:
    /// true`, lib/api/personal_access_tokens.rb).
    #[serde(default)]
    granular_scopes: Option<Vec<GranularScope>>,
    #[serde(default)]
    access_level: Option<u64>,
}

impl Token {
    /// What tells it from every other token of a listing.
    fn key(&self) -> String {
        self.id.to_string()
    }

    /// Asked with `state=active`; a server older than the filter lists the rest too.
    fn usable(&self) -> bool {
        !self.revoked && self.active != Some(false)
    }

    /// `on`: the group or project a resource access token belongs to.
    fn listed(self, source: &str, on: Option<&str>) -> Listed {
        let kind = match self.granular {
            true => TokenKind::FineGrainedPat,
            false => TokenKind::PersonalAccessToken,
        };
        let mut facts = TokenFacts::new(kind);
        let field = |name: &str| format!("`{name}` in {source}");
        let user = self.user_id.map(|u| u.to_string());
        facts.identity = Some(match (on, &user) {
            (Some(on), Some(user)) => format!(
                "access token `{}` (id {}) of {on}, bot user {user}",
                self.name, self.id
            ),
            (Some(on), None) => format!("access token `{}` (id {}) of {on}", self.name, self.id),
            (None, Some(user)) => {
                format!("token `{}` (id {}) of user {user}", self.name, self.id)
            }
            (None, None) => format!("token `{}` (id {})", self.name, self.id),
        });
        match self.scopes {
            _ if self.granular => {
                facts.scopes.set_why(format!("a fine-grained personal access token (`granular: true` in {source}): what it may do is in its grants' permissions, not in `scopes`"),
                );
                let own = super::facts::of_mut(&mut facts);
                own.granular_scopes = match self.granular_scopes {
                    Some(grants) => Observed::seen(grants, field("granular_scopes")),
                    None => Observed::unobservable(format!(
                        "{source} gave no `granular_scopes` for this fine-grained token"
                    )),
                };
            }
            Some(scopes) => {
                facts.scopes = Observed::bare(scopes.into_iter().collect());
                facts.scopes.set_evidence(field("scopes"));
            }
            None => {
                facts.scopes.set_why(format!("{source} gave no `scopes`"));
            }
        }
        match self.expires_at {
            Some(expiry) => {
                facts.expires_at = Observed::bare(expiry.map(Expiry::instant));
                facts
                    .expires_at
                    .set_evidence(Expiry::evidence(expiry, &field("expires_at")));
            }
            None => {
                facts
                    .expires_at
                    .set_why(format!("{source} gave no `expires_at`"));
            }
        }
        match self.created_at {
            Some(created) => {
                facts.created_at = Observed::bare(Some(created));
                facts.created_at.set_evidence(field("created_at"));
            }
            None => {
                facts
                    .created_at
                    .set_why(format!("{source} gave no `created_at`"));
            }
        }
        match self.last_used_at {
            Some(used) => {
                facts.last_used_at = Observed::bare(used);
                facts.last_used_at.set_evidence(format!(
                    "{} (GitLab refreshes it at most every 10 minutes)",
                    field("last_used_at")
                ));
            }
            None => {
                facts
                    .last_used_at
                    .set_why(format!("{source} gave no `last_used_at`"));
            }
        }
        if let Some(level) = self.access_level {
            // The role is the token's cap on its group or project: said, not judged.
            if let Some(identity) = facts.identity.as_mut() {
                identity.push_str(&format!(", access level {level}"));
            }
        }
        let id = self.id.to_string();
        Listed {
            fingerprint: Some(Fingerprint::of(TOKEN_ID, &id)),
            id,
            name: Some(self.name),
            owner: user,
            source: source.to_owned(),
            facts,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_paths_are_one_segment() {
        assert_eq!(encode("acme/platform.team"), "acme%2Fplatform.team");
        assert_eq!(encode("acme"), "acme");
    }

    #[test]
    fn a_listed_token_keeps_none_apart_from_unsaid() {
        let token: Token = serde_json::from_str(
            r#"{"id":4,"name":"Test Token","revoked":false,"created_at":"2020-07-23T14:31:47.729Z","scopes":["api"],"user_id":3,"last_used_at":"2021-10-06T17:58:37.550Z","active":true,"expires_at":null}"#,
        )
        .unwrap();
        assert!(token.usable());
        let listed = token.listed("GET /api/v4/personal_access_tokens", None);
        assert_eq!(listed.facts.expires_at.value(), Some(&None));
        assert_eq!(listed.owner.as_deref(), Some("3"));
        assert_eq!(listed.fingerprint, Some(Fingerprint::of(TOKEN_ID, "4")));
        let token: Token = serde_json::from_str(r#"{"id":5,"name":"x","active":false}"#).unwrap();
        assert!(!token.usable());
    }
}
