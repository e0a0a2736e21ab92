//! Azure DevOps Services (hosts.md §3).
//!
//! A PAT reveals little about itself, so patlint takes what truth exists and says what
//! it could not see:
//! - validity: `GET {url}/{organization}/_apis/connectionData` with the PAT;
//! - scopes, validity window and organization reach, authoritatively: the PAT Lifecycle
//!   API, which only accepts a Microsoft Entra token of the PAT's owner (`entra_token`);
//! - without one, organization reach by a heuristic probe of `profiles/me` (200 with the
//!   PAT only for a global PAT), and scopes and expiry unverifiable.

use async_trait::async_trait;
use base64::Engine;
use jiff::Timestamp;
use reqwest::StatusCode;
use reqwest::header::{ACCEPT, AUTHORIZATION, HeaderMap, HeaderValue};
use serde::Deserialize;

use super::{Host, Http, api_message, body_kind, header, join, read_body, scrub, sensitive_header};
use crate::facts::{Fact, Observation, Observed, Rejection, TokenFacts, TokenKind};
use crate::policy::{AzureDevopsEndpoint, AzurePatId, Endpoint, TokenSpec};
use crate::secret::Secret;

pub struct AzureDevops;

const PRODUCT: &str = "Azure DevOps";
const LIFECYCLE_API_VERSION: &str = "7.1-preview.1";
/// Pages of the PAT list patlint reads at most (100 PATs a page).
const MAX_PAGES: usize = 50;

#[async_trait]
impl Host for AzureDevops {
    async fn observe(&self, http: &Http, token: &TokenSpec, secret: &Secret) -> Observation {
        let Endpoint::AzureDevops(azure) = &token.endpoint else {
            return Observation::host_error(
                "internal: a non-Azure DevOps token was sent to the Azure DevOps host",
            );
        };
        let pat = match basic_auth(secret) {
            Ok(pat) => pat,
            Err(unsendable) => return Observation::host_error(unsendable),
        };
        let organization_url = join(&azure.url, &azure.organization);
        let entra = azure.entra_token.as_ref().map(|source| source.read());
        if let Some(Ok(entra)) = &entra {
            crate::masking::mask(entra);
        }
        // What the PAT is, asked at the same time as whether it is valid: one round trip.
        let details = async {
            let mut facts = TokenFacts::new(TokenKind::PersonalAccessToken);
            let lifecycle = match &entra {
                Some(Ok(entra)) => lifecycle(http, token, azure, entra).await,
                Some(Err(e)) => Err(format!("the Entra token could not be read: {e}")),
                None => Err("Azure DevOps does not reveal a PAT's scopes or validity to the PAT itself; give `entra_token` (and `display_name` or `authorization_id`) to read them from the PAT Lifecycle API".into()),
            };
            match lifecycle {
                Ok(record) => record.into_facts(&mut facts, &lifecycle_endpoint(azure)),
                Err(reason) => {
                    for fact in [Fact::Scopes, Fact::ExpiresAt, Fact::CreatedAt] {
                        facts.unobservable.insert(fact, reason.clone());
                    }
                    probe_reach(http, token, azure, &pat, &mut facts).await;
                }
            }
            facts
        };
        let (validity, mut facts) = tokio::join!(
            connection_data(http, token, PRODUCT, &organization_url, &pat),
            details
        );
        if let Err(refused) = validity {
            return scrub(refused, &encoded_basic(secret));
        }
        facts.unobservable.insert(
            Fact::LastUsedAt,
            "Azure DevOps does not reveal when a PAT was last used".into(),
        );
        let observation = scrub(Observation::observed(facts), &encoded_basic(secret));
        match &entra {
            Some(Ok(entra)) => scrub(observation, entra),
            _ => observation,
        }
    }
}

pub(super) fn basic_auth(secret: &Secret) -> Result<HeaderValue, &'static str> {
    sensitive_header(&format!("Basic {}", encoded_basic(secret).expose()))
}

/// `base64(":" + PAT)`: what travels in the header, and so what a host might echo back.
pub(super) fn encoded_basic(secret: &Secret) -> Secret {
    Secret::new(base64::engine::general_purpose::STANDARD.encode(format!(":{}", secret.expose())))
}

/// Checks the PAT against `{base}/_apis/connectionData`. `Ok` means the PAT is valid;
/// `Err` is the observation to report (rejected, or could not check).
pub(super) async fn connection_data(
    http: &Http,
    token: &TokenSpec,
    product: &str,
    base: &reqwest::Url,
    pat: &HeaderValue,
) -> Result<(), Observation> {
    let url = join(base, "_apis/connectionData");
    let response = http
        .send(product, token, || {
            http.client()
                .get(url.clone())
                .header(AUTHORIZATION, pat.clone())
                .header(ACCEPT, "application/json")
                .header("x-tfs-fedauthredirect", "Suppress")
                .header("x-vss-forcemsapassthrough", "true")
        })
        .await
        .map_err(Observation::host_error)?;
    let status = response.status();
    let headers = response.headers().clone();
    let body = read_body(response).await.map_err(Observation::host_error)?;
    judge_connection_data(
        product,
        status,
        &headers,
        &body,
        &format!("GET {}", url.path()),
    )
}

/// A PAT is valid only on a 200 with JSON; a sign-in page in any form is a rejection.
pub(super) fn judge_connection_data(
    product: &str,
    status: StatusCode,
    headers: &HeaderMap,
    body: &str,
    endpoint: &str,
) -> Result<(), Observation> {
    let json = serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .filter(|v| v.is_object());
    let is_json = json.is_some();
    let rejected = |reason, detail: String| Observation::Rejected {
        reason,
        detail,
        evidence: format!("{status} from {endpoint}"),
        help: None,
    };
    match status {
        StatusCode::OK if json.as_ref().is_some_and(authenticated) => Ok(()),
        StatusCode::OK if is_json => Err(rejected(
            Rejection::Invalid,
            format!(
                "{product} answered connectionData anonymously (no authenticated user): the PAT was not accepted"
            ),
        )),
        // Azure DevOps answers a PAT it does not accept with a sign-in page (203, or 200
        // with HTML); anything else unexpected is a fault of the host, not a verdict.
        StatusCode::NON_AUTHORITATIVE_INFORMATION => Err(rejected(
            Rejection::Invalid,
            format!("{product} answered {status} (a sign-in page) instead of accepting the PAT"),
        )),
        StatusCode::OK if body_kind(headers, body) == "an HTML page" => Err(rejected(
            Rejection::Invalid,
            format!(
                "{product} answered {status} with an HTML sign-in page instead of accepting the PAT"
            ),
        )),
        StatusCode::OK => Err(Observation::host_error(format!(
            "{endpoint} answered {status} with {}",
            body_kind(headers, body)
        ))),
        s if s.is_redirection() => Err(rejected(
            Rejection::Invalid,
            format!(
                "{product} answered {s} redirecting to {} (a sign-in) instead of accepting the PAT",
                header(headers, "location")
                    .map(|l| origin_only(&l))
                    .unwrap_or_else(|| "nowhere".into())
            ),
        )),
        StatusCode::UNAUTHORIZED => {
            let service_error = header(headers, "x-tfs-serviceerror").map(|v| percent_decode(&v));
            let message = service_error.or_else(|| api_message(body));
            let expired = message
                .as_deref()
                .is_some_and(|m| m.to_ascii_lowercase().contains("expired"));
            let detail = match &message {
                Some(m) => format!("{product} answered 401 ({m})"),
                None if body_kind(headers, body) == "an HTML page" => {
                    format!("{product} answered 401 with an HTML error page (access denied)")
                }
                None => format!("{product} answered 401"),
            };
            Err(rejected(
                if expired {
                    Rejection::Expired
                } else {
                    Rejection::Invalid
                },
                detail,
            ))
        }
        StatusCode::NOT_FOUND => Err(Observation::host_error(format!(
            "{endpoint} answered 404; check `organization` and `url` (Services: https://dev.azure.com; Server: the collection URL)"
        ))),
        s => Err(Observation::host_error(format!(
            "{endpoint} answered {s}{}",
            api_message(body)
                .map(|m| format!(" ({m})"))
                .unwrap_or_default()
        ))),
    }
}

/// connectionData answers anonymous callers too; only a real user proves the PAT works.
fn authenticated(connection: &serde_json::Value) -> bool {
    const ANONYMOUS: &str = "aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa";
    let user = &connection["authenticatedUser"];
    let id = user["id"].as_str().unwrap_or_default();
    let descriptor = user["descriptor"].as_str().unwrap_or_default();
    !id.is_empty() && id != ANONYMOUS && !descriptor.contains("PublicAccess")
}

/// A redirect's target, without its query (which may carry sign-in state).
fn origin_only(location: &str) -> String {
    match reqwest::Url::parse(location) {
        Ok(url) => format!("{}{}", url.origin().ascii_serialization(), url.path()),
        Err(_) => "an unparseable location".into(),
    }
}

/// `Access%20Denied%3A%20The%20Personal…` → `Access Denied: The Personal…`.
fn percent_decode(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Ok(byte) = u8::from_str_radix(&value[i + 1..i + 3], 16)
        {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `Some(value)` when the field is present (even `null`), `None` when it is absent.
fn present<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(d).map(Some)
}

/// A PAT as the PAT Lifecycle API describes it (`PatToken`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PatToken {
    pub display_name: Option<String>,
    pub valid_to: Option<Timestamp>,
    pub valid_from: Option<Timestamp>,
    pub scope: Option<String>,
    /// `null`: the PAT is valid for all of the user's accessible organizations.
    /// `Some(None)`: `null`, valid for all accessible organizations; `None`: absent.
    #[serde(default, deserialize_with = "present")]
    pub target_accounts: Option<Option<Vec<String>>>,
    pub authorization_id: Option<String>,
}

impl PatToken {
    fn into_facts(self, facts: &mut TokenFacts, endpoint: &str) {
        // The record is found by name or authorization id: say so, since nothing ties it
        // to the PAT in `secret` beyond that.
        let evidence = |field: &str| {
            format!(
                "`{field}` of the PAT in the PAT Lifecycle API ({endpoint}; found by `display_name` / `authorization_id`)"
            )
        };
        if let Some(scope) = &self.scope {
            facts.scopes = Observed::Value(scope.split_whitespace().map(str::to_owned).collect());
            facts.evidence.insert(Fact::Scopes, evidence("scope"));
        }
        match self.valid_to {
            Some(to) => {
                facts.expires_at = Observed::Value(Some(to));
                facts.evidence.insert(Fact::ExpiresAt, evidence("validTo"));
            }
            None => {
                facts.unobservable.insert(
                    Fact::ExpiresAt,
                    format!("the PAT Lifecycle API gave no `validTo` ({endpoint})"),
                );
            }
        }
        if let Some(from) = self.valid_from {
            facts.created_at = Observed::Value(Some(from));
            facts
                .evidence
                .insert(Fact::CreatedAt, evidence("validFrom"));
        }
        match &self.target_accounts {
            Some(accounts) => {
                facts.all_accessible_organizations = Observed::Value(accounts.is_none());
                facts
                    .evidence
                    .insert(Fact::AllAccessibleOrganizations, evidence("targetAccounts"));
            }
            None => {
                facts.unobservable.insert(
                    Fact::AllAccessibleOrganizations,
                    format!("the PAT Lifecycle API gave no `targetAccounts` ({endpoint})"),
                );
            }
        }
        facts.identity = match (self.display_name, self.authorization_id) {
            (Some(name), Some(id)) => Some(format!("PAT `{name}` (authorization id {id})")),
            (Some(name), None) => Some(format!("PAT `{name}`")),
            (None, id) => id.map(|id| format!("PAT with authorization id {id}")),
        };
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PagedPatTokens {
    continuation_token: Option<String>,
    #[serde(default)]
    pat_tokens: Vec<PatToken>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PatTokenResult {
    pat_token: Option<PatToken>,
    pat_token_error: Option<String>,
}

fn lifecycle_endpoint(azure: &AzureDevopsEndpoint) -> String {
    format!(
        "GET {}",
        join(
            &join(&azure.vssps_url, &azure.organization),
            "_apis/tokens/pats"
        )
        .path()
    )
}

/// Finds the PAT's own record with the owner's Entra token. `Err` says why not, and
/// becomes the reason its facts are unverifiable.
async fn lifecycle(
    http: &Http,
    token: &TokenSpec,
    azure: &AzureDevopsEndpoint,
    entra: &Secret,
) -> Result<PatToken, String> {
    let Some(pat_id) = &azure.pat_id else {
        return Err("an `entra_token` is given but neither `display_name` nor `authorization_id`, so the PAT cannot be found among its owner's PATs".into());
    };
    let auth = sensitive_header(&format!("Bearer {}", entra.expose()))?;
    let url = join(
        &join(&azure.vssps_url, &azure.organization),
        "_apis/tokens/pats",
    );
    let get = |query: Vec<(&'static str, String)>| {
        let mut target = url.clone();
        target
            .query_pairs_mut()
            .append_pair("api-version", LIFECYCLE_API_VERSION);
        for (k, v) in &query {
            target.query_pairs_mut().append_pair(k, v);
        }
        let auth = auth.clone();
        async move {
            let response = http
                .send("the Azure DevOps PAT Lifecycle API", token, || {
                    http.client()
                        .get(target.clone())
                        .header(AUTHORIZATION, auth.clone())
                        .header(ACCEPT, "application/json")
                })
                .await?;
            let status = response.status();
            let body = read_body(response).await?;
            let is_json = serde_json::from_str::<serde_json::Value>(&body).is_ok();
            if status != StatusCode::OK || !is_json {
                return Err(format!(
                    "the PAT Lifecycle API refused the Entra token ({status}{}); it needs a Microsoft Entra access token of the PAT's owner for audience 499b84ac-1321-427f-aa17-267ca6975798",
                    api_message(&body)
                        .map(|m| format!(": {m}"))
                        .unwrap_or_default()
                ));
            }
            Ok(body)
        }
    };
    match pat_id {
        AzurePatId::AuthorizationId(id) => {
            let body = get(vec![("authorizationId", id.clone())]).await?;
            let result: PatTokenResult = serde_json::from_str(&body)
                .map_err(|e| format!("the PAT Lifecycle API answered unparseable JSON ({e})"))?;
            match (result.pat_token, result.pat_token_error.as_deref()) {
                (Some(pat), None | Some("none")) => Ok(pat),
                (_, error) => Err(format!(
                    "the PAT Lifecycle API has no PAT with authorizationId {id} (patTokenError: {})",
                    error.unwrap_or("none")
                )),
            }
        }
        AzurePatId::DisplayName(name) => {
            let mut continuation: Option<String> = None;
            let mut matches = Vec::new();
            for _ in 0..MAX_PAGES {
                let mut query = vec![
                    ("displayFilterOption", "active".to_owned()),
                    ("$top", "100".to_owned()),
                ];
                if let Some(c) = &continuation {
                    query.push(("continuationToken", c.clone()));
                }
                let body = get(query).await?;
                let page: PagedPatTokens = serde_json::from_str(&body).map_err(|e| {
                    format!("the PAT Lifecycle API answered unparseable JSON ({e})")
                })?;
                matches.extend(
                    page.pat_tokens
                        .into_iter()
                        .filter(|p| p.display_name.as_deref() == Some(name.as_str())),
                );
                continuation = page.continuation_token.filter(|c| !c.is_empty());
                if continuation.is_none() {
                    break;
                }
            }
            match matches.len() {
                1 => Ok(matches.pop().expect("one match")),
                0 => Err(format!(
                    "the PAT Lifecycle API lists no active PAT named `{name}` for the Entra token's owner in this organization"
                )),
                n => Err(format!(
                    "{n} active PATs are named `{name}`; give `authorization_id` instead of `display_name`"
                )),
            }
        }
    }
}

/// Without the Lifecycle API: `profiles/me` answers a PAT only if it is global.
async fn probe_reach(
    http: &Http,
    token: &TokenSpec,
    azure: &AzureDevopsEndpoint,
    pat: &HeaderValue,
    facts: &mut TokenFacts,
) {
    let mut url = join(&azure.profile_url, "_apis/profile/profiles/me");
    url.query_pairs_mut().append_pair("api-version", "7.1");
    let response = http
        .send(PRODUCT, token, || {
            http.client()
                .get(url.clone())
                .header(AUTHORIZATION, pat.clone())
                .header(ACCEPT, "application/json")
                .header("x-tfs-fedauthredirect", "Suppress")
        })
        .await;
    let endpoint = format!("GET {}{}", url.origin().ascii_serialization(), url.path());
    let outcome = match response {
        Ok(r) => {
            let status = r.status();
            let json = read_body(r).await.ok().is_some_and(|b| {
                serde_json::from_str::<serde_json::Value>(&b).is_ok_and(|v| v.is_object())
            });
            match status {
                StatusCode::OK if json => Ok(true),
                StatusCode::UNAUTHORIZED => Ok(false),
                s => Err(format!("the heuristic probe {endpoint} answered {s}")),
            }
        }
        Err(detail) => Err(format!("the heuristic probe {endpoint} failed: {detail}")),
    };
    match outcome {
        Ok(global) => {
            facts.all_accessible_organizations = Observed::Value(global);
            facts.evidence.insert(
                Fact::AllAccessibleOrganizations,
                format!(
                    "heuristic probe: {endpoint} answered {} to the PAT, as it does for {} PATs (give `entra_token` for an authoritative answer)",
                    if global { "200" } else { "401" },
                    if global { "global" } else { "organization-scoped" }
                ),
            );
        }
        Err(reason) => {
            facts
                .unobservable
                .insert(Fact::AllAccessibleOrganizations, reason);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_the_service_error_header() {
        assert_eq!(
            percent_decode(
                "Access%20Denied%3A%20The%20Personal%20Access%20Token%20used%20has%20expired."
            ),
            "Access Denied: The Personal Access Token used has expired."
        );
        assert_eq!(percent_decode("100%"), "100%");
    }

    #[test]
    fn lifecycle_dates_with_any_fraction_parse() {
        let pat: PatToken = serde_json::from_str(r#"{"displayName":"x","validTo":"2020-11-23T04:04:38.5233333Z","validFrom":"2020-12-01T23:46:23.32Z","scope":"app_token","targetAccounts":null,"authorizationId":"4c60c9ed-a378-4883-af16-d655ca025b11","token":null}"#).unwrap();
        assert_eq!(
            pat.valid_to.unwrap().to_string(),
            "2020-11-23T04:04:38.5233333Z"
        );
        assert_eq!(pat.target_accounts, Some(None));
    }
}
