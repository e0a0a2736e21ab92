//! The page where a new GitLab token is made, prefilled with the policy's requirements.
//!
//! Personal access tokens: `https://HOST/-/user_settings/personal_access_tokens?name=NAME&scopes=a,b`
//! (gitlab-org/gitlab `doc/user/profile/personal_access_tokens.md`, "Prefill personal access
//! token name and scopes"; the form opens itself when the parameters are set,
//! gitlab-org/gitlab!163944). A project access token's form takes the same two parameters
//! (gitlab-org/gitlab!149672) at `https://HOST/GROUP/PROJECT/-/settings/access_tokens`.
//! A fine-grained token: the same page without parameters, which prefill only the legacy
//! form. Group access tokens and other kinds: no link.

use reqwest::Url;

use super::Endpoint;
use crate::facts::{TokenFacts, TokenKind};
use crate::hosts::fix_link::{join, minimal_scopes, with_query};
use crate::policy::TokenSpec;

pub(super) fn link(
    token: &TokenSpec,
    endpoint: &Endpoint,
    facts: Option<&TokenFacts>,
) -> Option<Url> {
    let page = match facts.map(|f| f.kind) {
        Some(TokenKind::FineGrainedPat) => {
            return join(&endpoint.url, "-/user_settings/personal_access_tokens");
        }
        None | Some(TokenKind::PersonalAccessToken) | Some(TokenKind::Unknown) => {
            join(&endpoint.url, "-/user_settings/personal_access_tokens")?
        }
        Some(TokenKind::ProjectAccessToken) => match endpoint.projects.as_slice() {
            [project] => join(
                &endpoint.url,
                &format!("{}/-/settings/access_tokens", project.value),
            )?,
            _ => return None,
        },
        Some(_) => return None,
    };
    let scopes = minimal_scopes(token, &super::scopes::CATALOG);
    let mut pairs = vec![("name", token.name.clone())];
    if !scopes.is_empty() {
        pairs.push(("scopes", scopes.join(",")));
    }
    Some(with_query(page, pairs))
}
