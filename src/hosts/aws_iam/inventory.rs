//! Listing an AWS account's access keys and CodeCommit HTTPS Git credentials for
//! `patlint audit`, with read-only calls only, signed by the inventory's own credentials
//! (its `profile`, or the key it names):
//! - `sts:GetCallerIdentity`: the account listed (needs no permission,
//!   <https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html>);
//! - `iam:ListUsers`: every IAM user of the account, paged with `Marker` while
//!   `IsTruncated` (<https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListUsers.html>);
//! - per user, `iam:ListAccessKeys`: the user's keys with `Status` and `CreateDate`
//!   (<https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListAccessKeys.html>),
//!   and `iam:ListServiceSpecificCredentials` without `ServiceName`: the user's
//!   service-specific credentials of every service (CodeCommit Git credentials, Bedrock
//!   API keys)
//!   (<https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListServiceSpecificCredentials.html>);
//! - per active key, `iam:GetAccessKeyLastUsed`: its last use
//!   (<https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetAccessKeyLastUsed.html>).
//!
//! Every list is read to its last page, with the SDK's paginators (and, for
//! `ListServiceSpecificCredentials`, which has none, one that pages the same way); a page
//! that fails, a `Marker` that repeats, `IsTruncated` without a `Marker`, or more than
//! [`MAX_PAGES`] pages make the whole listing an error. Only the Git
//! credentials may be missing from a listing that is otherwise complete: they are no
//! kind of token the listing is complete for, and the report says what it could not see.

use aws_sdk_iam::config::http::HttpResponse;
use aws_sdk_iam::config::{Credentials, SharedCredentialsProvider};
use aws_sdk_iam::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_iam::operation::list_service_specific_credentials::ListServiceSpecificCredentialsError;
use aws_sdk_iam::types::{AccessKeyMetadata, ServiceSpecificCredentialMetadata, StatusType, User};
use futures_util::stream::poll_fn;
use futures_util::{Stream, StreamExt, TryStreamExt};
use jiff::Timestamp;

use super::clients::{
    iam_client, plain_http_elsewhere, profile_credentials, protected_credentials, region_of,
    sts_client,
};
use super::observe::{AwsIam, CallError, SIGNED_BY_PATLINT, classify, timestamp};
use super::{Endpoint, KeySource};
use crate::client::paging::{MAX_PAGES, past_the_cap};
use crate::client::secret_unavailable;
use crate::facts::{Observation, Observed, TokenFacts, TokenKind};
use crate::hosts::Call;
use crate::hosts::inventory::{Fingerprint, Listed, Listing, ListingResult};

/// What a declared key's check notes (its access key id) so that the listing finds it.
pub(super) const KEY_ID: &str = "aws-access-key-id";
/// What a declared key's check with `service_credentials = true` notes of its user's Git
/// credentials (their `ServiceSpecificCredentialId`), which it judges with the key.
pub(super) const GIT_CREDENTIAL_ID: &str = "aws-service-specific-credential-id";

/// Items asked for per page (`MaxItems`; IAM's default is 100 as well).
const PAGE_SIZE: i32 = 100;
/// Users whose keys and Git credentials are read at once (each two lists and a last-use
/// lookup per active key): some, so that a large account is listed in fewer round trips,
/// and not so many that the first burst meets IAM's request throttling, which the
/// listing's client then keeps under (see [`adaptive`]).
const USERS_AT_ONCE: usize = 8;

pub(super) const DOCS: &str = "AWS IAM (`profile`, or `access_key_id` and `secret`): lists every active access key and every active service-specific credential (CodeCommit HTTPS Git credentials, Bedrock API keys, Keyspaces credentials) of the IAM users of the account the inventory's credentials belong to, with read-only calls only: `sts:GetCallerIdentity` for the account (needs no permission); `iam:ListUsers` for every user, read to the last page (needs `iam:ListUsers`); per user, `iam:ListAccessKeys` for the user's keys, their status and creation date (needs `iam:ListAccessKeys` on the users) and `iam:ListServiceSpecificCredentials` for their service-specific credentials of every service (needs `iam:ListServiceSpecificCredentials`); per active key, `iam:GetAccessKeyLastUsed` for its last use (needs `iam:GetAccessKeyLastUsed`); `iam:GetAccountSummary` for whether the root user has access keys, which no listing shows (needs `iam:GetAccountSummary`). AWS's managed policy `IAMReadOnlyAccess` grants them all. Inactive keys and credentials are not listed: they authenticate nothing until someone reactivates them. A declared key is matched by its access key id, which its own check reads; a declared key of another account is not expected in the listing. Git credentials that could not be listed are reported (`inventory-incomplete`), never taken for none.";

impl AwsIam {
    pub(super) async fn list_account(&self, call: &Call<'_>, endpoint: &Endpoint) -> ListingResult {
        // Who lists: the inventory's `profile` (alone, or as the auditor beside a key), or
        // the key it names.
        let (config, provider, who) = match &endpoint.key {
            KeySource::Profile(profile)
            | KeySource::Policy {
                auditor: Some(profile),
                ..
            } => (
                self.profile(profile).await,
                profile_credentials(profile),
                format!("the inventory's profile `{profile}`"),
            ),
            KeySource::Policy {
                access_key_id,
                auditor: None,
            } => {
                let id = call
                    .read(access_key_id)
                    .map_err(|e| secret_unavailable(&e))?;
                let provider = SharedCredentialsProvider::new(Credentials::new(
                    id.expose(),
                    call.secret().expose(),
                    None,
                    None,
                    "patlint policy",
                ));
                (
                    self.base().await.clone(),
                    provider,
                    "the inventory's key".to_owned(),
                )
            }
        };
        if let Some(endpoint) = plain_http_elsewhere(&config) {
            return Err(Observation::host_error(format!(
                "the AWS endpoint `{}` is plain http:// to a host that is not loopback, so the inventory's key would travel in clear; nothing was sent: use https://",
                crate::client::wire::origin_only(&endpoint)
            )));
        }
        // Every part of the inventory's credentials is scrubbed from the listing.
        let own_key = protected_credentials(call, &provider)
            .await?
            .access_key_id()
            .to_owned();
        let region = region_of(endpoint.region.as_ref(), &config);
        let sts = sts_client(&config, provider.clone(), region.clone());
        let lister = Lister {
            iam: adaptive(iam_client(&config, provider, region)),
            who,
            own_key,
        };
        let _permit = self.in_flight.acquire().await.expect("never closed");
        // The inventory's own time (`--deadline`) starts with its permit.
        call.clock()
            .within("AWS", lister.list(&sts))
            .await
            .unwrap_or_else(|exceeded| Err(Observation::from(exceeded)))
    }
}

/// The listing's IAM client with adaptive retries, as many attempts as the run's others:
/// one client asking one account's IAM is what they are for, and after IAM's first
/// throttling answer it sends no faster than IAM then accepts ("adaptive: … automatic
/// client-side rate limiting",
/// <https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html>), so
/// the users read at once stay within IAM's rate instead of running out of retries.
fn adaptive(client: aws_sdk_iam::Client) -> aws_sdk_iam::Client {
    let config = client.config();
    let adaptive = match config.retry_config() {
        Some(standard) => aws_sdk_iam::config::retry::RetryConfig::adaptive()
            .with_max_attempts(standard.max_attempts())
            .with_initial_backoff(standard.initial_backoff())
            .with_max_backoff(standard.max_backoff()),
        None => aws_sdk_iam::config::retry::RetryConfig::adaptive(),
    };
    aws_sdk_iam::Client::from_conf(config.to_builder().retry_config(adaptive).build())
}

/// The IAM client of one inventory, and who it signs as (for messages).
struct Lister {
    iam: aws_sdk_iam::Client,
    who: String,
    /// The key the listing signs with: IAM records the listing as its last use.
    own_key: String,
}

/// Why one list was not read.
enum Unlisted {
    /// `NoSuchEntity`: the user or key was deleted while the listing ran, so nothing of
    /// it authenticates any more.
    Gone,
    /// Said for the report.
    Failed(String),
}

impl From<Unlisted> for Observation {
    fn from(unlisted: Unlisted) -> Self {
        match unlisted {
            // Only the calls on one user or key can answer it, and they handle it.
            Unlisted::Gone => {
                Observation::host_error("IAM answered NoSuchEntity for the account's own listing")
            }
            Unlisted::Failed(message) => Observation::host_error(message),
        }
    }
}

/// One page: its items, whether IAM says more follow (`IsTruncated`), and the `Marker`
/// to ask for them with.
type Page<T> = (Vec<T>, bool, Option<String>);

impl Lister {
    async fn list(&self, sts: &aws_sdk_sts::Client) -> ListingResult {
        let identity = sts
            .get_caller_identity()
            .send()
            .await
            .map_err(|e| Observation::from(self.failed("sts:GetCallerIdentity", &e)))?;
        let Some(account) = identity.account().filter(|a| !a.is_empty()) else {
            return Err(Observation::host_error(
                "sts:GetCallerIdentity answered without an `Account`, so which account is listed is not known",
            ));
        };
        let mut pages = self
            .iam
            .list_users()
            .into_paginator()
            .page_size(PAGE_SIZE)
            .send();
        let users = self
            .pages(
                "iam:ListUsers",
                poll_fn(move |cx| pages.poll_next(cx))
                    .map_ok(|out| (out.users, out.is_truncated, out.marker)),
            )
            .await?;
        let per_user: Vec<UserTokens> = futures_util::stream::iter(&users)
            .map(|user| self.user(user))
            // In ListUsers' order, so that reports come out the same run after run.
            .buffered(USERS_AT_ONCE)
            .try_collect()
            .await?;
        let mut listing = Listing::complete_for(&[TokenKind::AccessKey]);
        listing.account = Some(account.to_owned());
        let mut unlisted_git = Vec::new();
        for (user, tokens) in users.iter().zip(per_user) {
            listing.tokens.extend(tokens.listed);
            if let Some(why) = tokens.git_unlisted {
                unlisted_git.push((user.user_name(), why));
            }
        }
        if let Some(spot) = self.root_keys().await {
            listing.blind_spots.push(spot);
        }
        if let Some((first, why)) = unlisted_git.first() {
            listing.blind_spots.push(format!(
                "CodeCommit HTTPS Git credentials: iam:ListServiceSpecificCredentials could not be read for {} of the {} users (for `{first}`: {why}), so their Git credentials are not in the listing",
                unlisted_git.len(),
                users.len(),
            ));
        }
        Ok(listing)
    }

    /// The root user's access keys are no IAM user's, so `ListUsers` never reaches them;
    /// `GetAccountSummary` says whether there are any
    /// (<https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetAccountSummary.html>,
    /// `AccountAccessKeysPresent`).
    async fn root_keys(&self) -> Option<String> {
        use aws_sdk_iam::types::SummaryKeyType;
        match self.iam.get_account_summary().send().await {
            Ok(out) => {
                let present = out
                    .summary_map()
                    .and_then(|map| map.get(&SummaryKeyType::AccountAccessKeysPresent))
                    .copied();
                match present {
                    Some(0) => None,
                    Some(_) => Some("the root user's access keys: iam:GetAccountSummary says the account has some (`AccountAccessKeysPresent`), and IAM lists no user's keys for them; delete them (AWS advises against root access keys)".into()),
                    None => Some("the root user's access keys: iam:GetAccountSummary gave no `AccountAccessKeysPresent`, so whether there are any is not known".into()),
                }
            }
            Err(e) => Some(format!(
                "the root user's access keys: whether there are any is not known ({})",
                match self.unlisted("iam:GetAccountSummary", &e) {
                    Unlisted::Failed(why) => why,
                    Unlisted::Gone => "NoSuchEntity".into(),
                }
            )),
        }
    }

    /// What one user has that authenticates: its active keys, then its active Git
    /// credentials (or why those could not be read).
    async fn user(&self, user: &User) -> Result<UserTokens, Observation> {
        let name = user.user_name();
        let mut key_pages = self
            .iam
            .list_access_keys()
            .user_name(name)
            .into_paginator()
            .page_size(PAGE_SIZE)
            .send();
        let (keys, git) = futures_util::future::join(
            self.pages(
                "iam:ListAccessKeys",
                poll_fn(move |cx| key_pages.poll_next(cx))
                    .map_ok(|out| (out.access_key_metadata, out.is_truncated, out.marker)),
            ),
            self.pages(
                "iam:ListServiceSpecificCredentials",
                self.service_credential_pages(name),
            ),
        )
        .await;
        let keys = match keys {
            Ok(keys) => keys,
            // Deleted since ListUsers: nothing of the user authenticates.
            Err(Unlisted::Gone) => return Ok(UserTokens::default()),
            Err(failed) => return Err(failed.into()),
        };
        let source = "iam:ListAccessKeys";
        let mut active = Vec::new();
        for key in &keys {
            let (Some(id), Some(status)) = (key.access_key_id(), key.status()) else {
                return Err(Observation::host_error(format!(
                    "{source} for user `{name}` answered a key without its `AccessKeyId` or `Status`, so the listing is not complete"
                )));
            };
            // An inactive key authenticates nothing until someone reactivates it: it is
            // not a token in use, so it is not listed (nor reported as undeclared).
            if status == &StatusType::Active {
                active.push((id, key));
            }
        }
        let last_uses = futures_util::future::join_all(active.iter().map(|(id, _)| {
            self.iam
                .get_access_key_last_used()
                .access_key_id(*id)
                .send()
        }))
        .await;
        let mut tokens = UserTokens::default();
        for ((id, key), last_use) in active.iter().zip(last_uses) {
            let mut facts = self.key_facts(user, key, active.len() - 1)?;
            if *id == self.own_key {
                // Its id is scrubbed (it is the inventory's secret), so it is listed as
                // `self`, and its last use is the listing's own calls: no evidence.
                facts.last_used_at.set_why("it is the key the inventory lists with, so IAM's last use of it is patlint's own listing".into(),
                );
                tokens.listed.push(Listed {
                    id: "self".to_owned(),
                    name: Some("the inventory's own key".to_owned()),
                    owner: Some(name.to_owned()),
                    source: source.to_owned(),
                    fingerprint: Some(Fingerprint::of(KEY_ID, id)),
                    facts,
                });
                continue;
            }
            match last_use {
                Ok(out) => {
                    let last = out.access_key_last_used();
                    match last.and_then(|l| l.last_used_date()) {
                        None => {
                            facts.last_used_at = Observed::bare(None);
                            facts.last_used_at.set_evidence(
                                "iam:GetAccessKeyLastUsed: no `LastUsedDate`, never used".into(),
                            );
                        }
                        Some(date) => {
                            let date = in_range(date, "iam:GetAccessKeyLastUsed", "LastUsedDate")?;
                            let service = last.map_or("N/A", |l| l.service_name());
                            if SIGNED_BY_PATLINT.contains(&service) {
                                // What `patlint check` signs with a declared key: this
                                // run's, an earlier one's, or the integration's, unknown.
                                facts.last_used_at.set_why(format!("IAM records the key's last use as `{service}`, which is what patlint's own check of a key signs, on some run: it says nothing about the integration's use"),
                                );
                            } else {
                                facts.last_used_at = Observed::bare(Some(date));
                                facts.last_used_at.set_evidence(format!("`LastUsedDate` in iam:GetAccessKeyLastUsed (service `{service}`)"),
                                );
                            }
                        }
                    }
                }
                Err(e) => match self.unlisted("iam:GetAccessKeyLastUsed", &e) {
                    // Deleted since ListAccessKeys, or not yet seen by the last-use
                    // service: the key stays listed, its last use unknown.
                    Unlisted::Gone => {
                        facts.last_used_at.set_why("iam:GetAccessKeyLastUsed answered NoSuchEntity for a key iam:ListAccessKeys listed as active".into(),
                        );
                    }
                    Unlisted::Failed(why) if is_denied(&e) => {
                        facts.last_used_at.set_why(why);
                    }
                    failed => return Err(failed.into()),
                },
            }
            tokens.listed.push(Listed {
                id: (*id).to_owned(),
                name: None,
                owner: Some(name.to_owned()),
                source: source.to_owned(),
                fingerprint: Some(Fingerprint::of(KEY_ID, id)),
                facts,
            });
        }
        match git {
            Ok(credentials) => {
                for credential in credentials
                    .iter()
                    // Inactive: authenticates nothing, as for keys.
                    .filter(|c| c.status() == &StatusType::Active)
                {
                    tokens.listed.push(git_credential(user, credential)?);
                }
            }
            Err(Unlisted::Gone) => {}
            Err(Unlisted::Failed(why)) => tokens.git_unlisted = Some(why),
        }
        Ok(tokens)
    }

    /// An active key's facts from `ListAccessKeys`; its last use is added after.
    fn key_facts(
        &self,
        user: &User,
        key: &AccessKeyMetadata,
        other_active_keys: usize,
    ) -> Result<TokenFacts, Observation> {
        let source = "iam:ListAccessKeys";
        let field = |name: &str| format!("`{name}` in {source}");
        let mut facts = TokenFacts::new(TokenKind::AccessKey);
        facts.identity = Some(user.arn().to_owned());
        super::facts::of_mut(&mut facts).active = Observed::bare(true);
        super::facts::of_mut(&mut facts)
            .active
            .set_evidence(field("Status"));
        match key.create_date() {
            Some(created) => {
                facts.created_at = Observed::bare(Some(in_range(created, source, "CreateDate")?));
                facts.created_at.set_evidence(field("CreateDate"));
            }
            None => {
                facts
                    .created_at
                    .set_why(format!("{source} gave no `CreateDate`"));
            }
        }
        facts.expires_at = Observed::bare(None);
        facts
            .expires_at
            .set_evidence("IAM access keys do not expire".into());
        super::facts::of_mut(&mut facts).other_active_keys =
            Observed::bare(other_active_keys as u32);
        super::facts::of_mut(&mut facts)
            .other_active_keys
            .set_evidence(format!("{source} for user `{}`", user.user_name()));
        Ok(facts)
    }

    /// Every item of one list, its pages read from `pages` (the SDK's paginator, which
    /// follows `Marker` from a first call without one). The paginator ends quietly where
    /// a listing must not: on a `Marker` it was given before, or none while IAM says
    /// more follow (`IsTruncated`). So each page is judged here, and at most
    /// [`MAX_PAGES`] are read.
    async fn pages<T, E, R>(
        &self,
        action: &str,
        pages: impl Stream<Item = Result<Page<T>, SdkError<E, R>>>,
    ) -> Result<Vec<T>, Unlisted>
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        R: std::fmt::Debug,
    {
        let mut pages = std::pin::pin!(pages);
        let mut items = Vec::new();
        let mut marker: Option<String> = None;
        let no_marker = || {
            Unlisted::Failed(format!(
                "{action} answered `IsTruncated` without a `Marker`, so the listing cannot go on to its end"
            ))
        };
        for _ in 0..MAX_PAGES {
            // The paginator ends after a page without a `Marker`, which is the last only
            // if it said so.
            let Some(page) = pages.next().await else {
                return Err(no_marker());
            };
            let (page, truncated, next) = page.map_err(|e| self.unlisted(action, &e))?;
            items.extend(page);
            if !truncated {
                return Ok(items);
            }
            // An empty `Marker` is none: the paginator stops at it.
            match next.filter(|next| !next.is_empty()) {
                None => return Err(no_marker()),
                Some(next) if marker.as_ref() == Some(&next) => {
                    return Err(Unlisted::Failed(format!(
                        "{action} answered the same `Marker` twice, so the listing would never end"
                    )));
                }
                Some(next) => marker = Some(next),
            }
        }
        Err(Unlisted::Failed(past_the_cap(
            &format!("{action} runs"),
            Some(PAGE_SIZE as usize),
        )))
    }

    /// A user's service-specific credentials of every service (Bedrock API keys and
    /// Keyspaces credentials are bearer credentials of the user too, not only
    /// CodeCommit's), page by page. The SDK generates no paginator for
    /// `ListServiceSpecificCredentials`, so this one follows `Marker` as the SDK's do:
    /// lazily, one call per page read.
    fn service_credential_pages<'s>(
        &'s self,
        name: &'s str,
    ) -> impl Stream<
        Item = Result<
            Page<ServiceSpecificCredentialMetadata>,
            SdkError<ListServiceSpecificCredentialsError, HttpResponse>,
        >,
    > + 's {
        // The state: the `Marker` to ask with (`None` for the first page), or nothing
        // more to ask.
        futures_util::stream::unfold(
            Some(None),
            move |marker: Option<Option<String>>| async move {
                let answer = self
                    .iam
                    .list_service_specific_credentials()
                    .user_name(name)
                    .max_items(PAGE_SIZE)
                    .set_marker(marker?)
                    .send()
                    .await
                    .map(|out| {
                        (
                            out.service_specific_credentials.unwrap_or_default(),
                            out.is_truncated,
                            out.marker,
                        )
                    });
                let next = match &answer {
                    Ok((_, _, Some(marker))) if !marker.is_empty() => Some(Some(marker.clone())),
                    // Failed, or no `Marker`: the end, as for the SDK's paginators.
                    _ => None,
                };
                Some((answer, next))
            },
        )
    }

    /// Why a call failed, for the report.
    fn unlisted<E, R>(&self, action: &str, err: &SdkError<E, R>) -> Unlisted
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        R: std::fmt::Debug,
    {
        if err.code() == Some("NoSuchEntity") {
            return Unlisted::Gone;
        }
        self.failed(action, err)
    }

    fn failed<E, R>(&self, action: &str, err: &SdkError<E, R>) -> Unlisted
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        R: std::fmt::Debug,
    {
        let who = &self.who;
        Unlisted::Failed(match classify(action, err) {
            CallError::Invalid(detail) => format!("AWS rejected {who}'s credentials ({detail})"),
            CallError::Expired(detail) => {
                format!("AWS says {who}'s credentials expired ({detail})")
            }
            CallError::Denied(detail) => format!(
                "{who} may not call {action} ({detail}): grant it `{action}` (AWS's managed policy `IAMReadOnlyAccess` has every permission the listing needs)"
            ),
            CallError::Failed(detail) => format!("AWS could not be asked: {detail}"),
        })
    }
}

/// What one user has that authenticates.
#[derive(Default)]
struct UserTokens {
    listed: Vec<Listed>,
    /// Why the user's Git credentials could not be listed.
    git_unlisted: Option<String>,
}

/// An active CodeCommit HTTPS Git credential: a user name and password that Git sends to
/// CodeCommit, acting as the IAM user.
///
/// Its kind is [`TokenKind::Unknown`]: it is no access key (it signs nothing, has no last
/// use IAM records, and counts for no key rotation), nor one of the other kinds, and
/// `TokenKind` has none of its own. The report names it by its `ServiceUserName` and
/// owner, and it is judged by what is known of it: its age, and that it never expires.
fn git_credential(
    user: &User,
    credential: &ServiceSpecificCredentialMetadata,
) -> Result<Listed, Observation> {
    let source = "iam:ListServiceSpecificCredentials";
    let field = |name: &str| format!("`{name}` in {source}");
    let id = credential.service_specific_credential_id();
    let mut facts = TokenFacts::new(TokenKind::Unknown);
    facts.identity = Some(format!("{} ({})", user.arn(), credential.service_name()));
    super::facts::of_mut(&mut facts).active = Observed::bare(true);
    super::facts::of_mut(&mut facts)
        .active
        .set_evidence(field("Status"));
    facts.created_at = Observed::bare(Some(in_range(
        credential.create_date(),
        source,
        "CreateDate",
    )?));
    facts.created_at.set_evidence(field("CreateDate"));
    match credential.expiration_date() {
        Some(expires) => {
            facts.expires_at = Observed::bare(Some(in_range(expires, source, "ExpirationDate")?));
            facts.expires_at.set_evidence(field("ExpirationDate"));
        }
        None => {
            facts.expires_at = Observed::bare(None);
            facts.expires_at.set_evidence(format!(
                "{source} gives no `ExpirationDate`: the credential does not expire"
            ));
        }
    }
    facts
        .last_used_at
        .set_why("IAM records no last use of service-specific credentials".into());
    Ok(Listed {
        id: id.to_owned(),
        name: Some(credential.service_user_name().to_owned()),
        owner: Some(user.user_name().to_owned()),
        source: source.to_owned(),
        fingerprint: Some(Fingerprint::of(GIT_CREDENTIAL_ID, id)),
        facts,
    })
}

fn is_denied<E, R>(err: &SdkError<E, R>) -> bool
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug,
{
    matches!(
        err.code(),
        Some("AccessDenied" | "AccessDeniedException" | "UnauthorizedOperation")
    )
}

/// A date IAM gave, or the error that the answer is broken (no real key has a date
/// outside what a timestamp holds).
fn in_range(
    date: &aws_sdk_iam::primitives::DateTime,
    call: &str,
    field: &str,
) -> Result<Timestamp, Observation> {
    timestamp(date).ok_or_else(|| {
        Observation::host_error(format!(
            "{call} answered a `{field}` outside the years -9999 to 9999: not a date IAM gives, so the listing proves nothing"
        ))
    })
}
