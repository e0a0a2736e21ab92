//! The page where a new Bitbucket credential is made.
//!
//! Cloud: an Atlassian account's API tokens, `https://id.atlassian.com/manage-profile/security/api-tokens`
//! (Atlassian, "Manage API tokens for your Atlassian account": "Log in to
//! https://id.atlassian.com/manage-profile/security/api-tokens. Select Create API token"),
//! for an API token and for an app password, which API tokens replace. No parameters
//! prefill it. Access tokens of a repository, project or workspace: no link.
//! Data Center: Atlassian's docs give the menu path of HTTP access tokens, not an address:
//! no link.

use reqwest::Url;

use crate::facts::{TokenFacts, TokenKind};

pub(super) fn cloud(facts: Option<&TokenFacts>) -> Option<Url> {
    match facts.map(|f| f.kind) {
        None | Some(TokenKind::ApiToken | TokenKind::AppPassword | TokenKind::Unknown) => {
            Url::parse("https://id.atlassian.com/manage-profile/security/api-tokens").ok()
        }
        Some(_) => None,
    }
}
