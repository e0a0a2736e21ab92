//! The PAT Lifecycle API (<https://learn.microsoft.com/en-us/rest/api/azure/devops/tokens/pats>):
//! a PAT's own record, read with a Microsoft Entra token of its owner.

use jiff::Timestamp;
use reqwest::StatusCode;
use reqwest::header::{ACCEPT, AUTHORIZATION};
use serde::Deserialize;

use super::services::{Endpoint, PatId};
use crate::client::wire::{join, present, sensitive_header};
use crate::facts::{Observed, TokenFacts};
use crate::hosts::Call;
use crate::secret::Secret;

const LIFECYCLE_API_VERSION: &str = "7.1-preview.1";
/// Pages of the PAT list patlint reads at most (100 PATs a page).
const MAX_PAGES: usize = 50;

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
    pub(super) fn into_facts(self, facts: &mut TokenFacts, endpoint: &str) {
        // The record is found by name or authorization id: say so, since nothing ties it
        // to the PAT in `secret` beyond that.
        let evidence = |field: &str| {
            format!(
                "`{field}` of the PAT in the PAT Lifecycle API ({endpoint}; found by `display_name` / `authorization_id`)"
            )
        };
        if let Some(scope) = &self.scope {
            facts.scopes = Observed::bare(scope.split_whitespace().map(str::to_owned).collect());
            facts.scopes.set_evidence(evidence("scope"));
        }
        match self.valid_to {
            Some(to) => {
                facts.expires_at = Observed::bare(Some(to));
                facts.expires_at.set_evidence(evidence("validTo"));
            }
            None => {
                facts.expires_at.set_why(format!(
                    "the PAT Lifecycle API gave no `validTo` ({endpoint})"
                ));
            }
        }
        if let Some(from) = self.valid_from {
            facts.created_at = Observed::bare(Some(from));
            facts.created_at.set_evidence(evidence("validFrom"));
        }
        match &self.target_accounts {
            Some(accounts) => {
                super::facts::of_mut(facts).all_accessible_organizations =
                    Observed::bare(accounts.is_none());
                super::facts::of_mut(facts)
                    .all_accessible_organizations
                    .set_evidence(evidence("targetAccounts"));
            }
            None => {
                super::facts::of_mut(facts)
                    .all_accessible_organizations
                    .set_why(format!(
                        "the PAT Lifecycle API gave no `targetAccounts` ({endpoint})"
                    ));
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

pub(super) fn lifecycle_endpoint(azure: &Endpoint) -> String {
    format!(
        "GET {}",
        join(
            &join(&azure.vssps_url, &azure.organization),
            "_apis/tokens/pats"
        )
        .path()
    )
}

/// Why the PAT's record was not found.
#[derive(Debug)]
pub(super) enum LookupError {
    /// The reason its facts are unverifiable (no identifier, a refused Entra token, no
    /// such PAT).
    Unverifiable(String),
    /// No whole answer (a listing that did not end, no answer at all): nothing about the
    /// PAT can be trusted, so the check is a host error.
    Incomplete(String),
}

impl From<String> for LookupError {
    fn from(reason: String) -> Self {
        LookupError::Unverifiable(reason)
    }
}

impl From<&str> for LookupError {
    fn from(reason: &str) -> Self {
        LookupError::Unverifiable(reason.to_owned())
    }
}

/// Finds the PAT's own record with the owner's Entra token.
pub(super) async fn lifecycle(
    call: &Call<'_>,
    azure: &Endpoint,
    entra: &Secret,
) -> Result<PatToken, LookupError> {
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
            let answer = call
                .send("the Azure DevOps PAT Lifecycle API", |client| {
                    client
                        .get(target.clone())
                        .header(AUTHORIZATION, auth.clone())
                        .header(ACCEPT, "application/json")
                })
                .await
                // No answer (5xx after retries, a timeout) is the host's failure, not a
                // fact about the PAT.
                .map_err(|e| {
                    LookupError::Incomplete(format!(
                        "the PAT Lifecycle API could not be asked: {}",
                        e.message
                    ))
                })?;
            let is_json = answer.json::<serde_json::Value>().is_some();
            if answer.status != StatusCode::OK || !is_json {
                return Err(LookupError::Unverifiable(format!(
                    "the PAT Lifecycle API refused the Entra token ({}{}); it needs a Microsoft Entra access token of the PAT's owner for audience 499b84ac-1321-427f-aa17-267ca6975798",
                    answer.status,
                    answer
                        .api_message()
                        .map(|m| format!(": {m}"))
                        .unwrap_or_default()
                )));
            }
            Ok::<String, LookupError>(answer.body)
        }
    };
    let found = match pat_id {
        PatId::AuthorizationId(id) => {
            let body = get(vec![("authorizationId", id.clone())]).await?;
            let result: PatTokenResult = serde_json::from_str(&body)
                .map_err(|e| format!("the PAT Lifecycle API answered unparseable JSON ({e})"))?;
            match (result.pat_token, result.pat_token_error.as_deref()) {
                (Some(pat), None | Some("none")) => Ok(pat),
                (_, error) => Err(LookupError::Unverifiable(format!(
                    "the PAT Lifecycle API has no PAT with authorizationId {id} (patTokenError: {})",
                    error.unwrap_or("none")
                ))),
            }
        }
        PatId::DisplayName(name) => {
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
            if continuation.is_some() {
                return Err(LookupError::Incomplete(format!(
                    "the PAT Lifecycle API listing did not end within {MAX_PAGES} pages, so whether `{name}` is among them is unknown"
                )));
            }
            match matches.len() {
                1 => Ok(matches.pop().expect("one match")),
                0 => Err(LookupError::Unverifiable(format!(
                    "the PAT Lifecycle API lists no active PAT named `{name}` for the Entra token's owner in this organization"
                ))),
                n => Err(LookupError::Unverifiable(format!(
                    "{n} active PATs are named `{name}`; give `authorization_id` instead of `display_name`"
                ))),
            }
        }
    }?;
    // `patlint audit` finds the PAT in the token administration listing by this id.
    if let Some(id) = &found.authorization_id {
        call.identify(super::inventory::AUTHORIZATION_ID, &id.to_ascii_lowercase());
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

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
