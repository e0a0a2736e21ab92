//! The page where a new GitHub token is made, prefilled with the policy's requirements.
//!
//! - Classic: `https://github.com/settings/tokens/new?scopes=a,b&description=NAME`. GitHub's
//!   docs link `https://github.com/settings/tokens/new?scopes=write:packages` (github/docs,
//!   authenticating to the Container registry), GitHub's changelog of 2025-08-26 ("Template URLs
//!   for fine-grained PATs") calls prefilling "a hidden feature for PAT (Classic)", and
//!   `description` is the token's note (gitlab-org/gitlab#334664 quotes GitHub's
//!   `settings/tokens/new?description=Testing&scopes=repo,delete:packages`). On Enterprise
//!   Server the same page lies at `https://HOST/settings/tokens/new`.
//! - Fine-grained, github.com and Enterprise Cloud: github/docs "Pre-filling fine-grained
//!   personal access token details using URL parameters" (managing-your-personal-access-tokens,
//!   versioned `fpt or ghec` only): `https://github.com/settings/personal-access-tokens/new`
//!   with `name`, `description`, `target_name` (the resource owner), `expires_in` (days) and
//!   one `PERMISSION=LEVEL` pair per permission (`contents=read`). Enterprise Server: the
//!   page without parameters.

use reqwest::Url;

use super::Endpoint;
use crate::facts::{TokenFacts, TokenKind};
use crate::hosts::OwnRequirements;
use crate::hosts::fix_link::{join, lifespan_days, minimal_scopes, with_query};
use crate::policy::TokenSpec;

/// Where the web pages are, from the API base: `api.github.com` is github.com's,
/// `api.SUBDOMAIN.ghe.com` an Enterprise Cloud tenant's, `https://HOST/api/v3` an
/// Enterprise Server's. Whether it is GitHub's cloud (where fine-grained prefill exists).
fn web(api: &Url) -> Option<(Url, bool)> {
    let host = api.host_str()?;
    if host == "api.github.com" {
        return Some((Url::parse("https://github.com/").ok()?, true));
    }
    if let Some(tenant) = host
        .strip_prefix("api.")
        .filter(|h| h.ends_with(".ghe.com"))
    {
        return Some((Url::parse(&format!("https://{tenant}/")).ok()?, true));
    }
    let mut base = api.clone();
    let path = base.path().trim_end_matches('/');
    let path = path.strip_suffix("/api/v3").unwrap_or(path).to_owned();
    base.set_path(&format!("{path}/"));
    base.set_query(None);
    base.set_fragment(None);
    Some((base, false))
}

pub(super) fn link(
    token: &TokenSpec,
    endpoint: &Endpoint,
    facts: Option<&TokenFacts>,
) -> Option<Url> {
    let (web, cloud) = web(&endpoint.api)?;
    let permissions = super::GitHub::requirements_of(&token.requirements).required_permissions();
    let fine_grained = match facts.map(|f| f.kind) {
        Some(TokenKind::FineGrainedPat) => true,
        Some(TokenKind::ClassicPat) => false,
        // Nothing observed: the kind the policy asks for.
        _ => token.requirements.require_scopes.is_none(),
    };
    if !fine_grained {
        let scopes = minimal_scopes(token, &super::scopes::CATALOG);
        let mut pairs = Vec::new();
        if !scopes.is_empty() {
            pairs.push(("scopes", scopes.join(",")));
        }
        pairs.push(("description", token.name.clone()));
        return Some(with_query(join(&web, "settings/tokens/new")?, pairs));
    }
    let page = join(&web, "settings/personal-access-tokens/new")?;
    if !cloud {
        return Some(page);
    }
    let mut pairs = vec![
        ("name", token.name.clone()),
        (
            "description",
            format!("Checked by patlint as {}", token.name),
        ),
    ];
    if let Some(owner) = owner(endpoint) {
        pairs.push(("target_name", owner));
    }
    if let Some(days) = lifespan_days(token) {
        pairs.push(("expires_in", days.to_string()));
    }
    pairs.extend(fine_grained_permissions(permissions));
    Some(with_query(page, pairs))
}

/// One `PERMISSION=LEVEL` pair per required permission.
fn fine_grained_permissions(
    permissions: &[super::requirements::Permission],
) -> Vec<(&str, String)> {
    permissions
        .iter()
        .map(|p| (p.name.as_str(), p.level.value.as_str().to_owned()))
        .collect()
}

/// The resource owner: the repositories' owner, else the first organization.
fn owner(endpoint: &Endpoint) -> Option<String> {
    endpoint
        .repositories
        .iter()
        .find_map(|r| r.value.split_once('/').map(|(owner, _)| owner.to_owned()))
        .or_else(|| endpoint.organizations.first().cloned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn web_pages_follow_the_api_base() {
        let web_of = |api: &str| web(&Url::parse(api).unwrap()).unwrap();
        assert_eq!(
            web_of("https://api.github.com"),
            (Url::parse("https://github.com/").unwrap(), true)
        );
        assert_eq!(
            web_of("https://api.octo.ghe.com/"),
            (Url::parse("https://octo.ghe.com/").unwrap(), true)
        );
        assert_eq!(
            web_of("https://ghe.example.com/api/v3"),
            (Url::parse("https://ghe.example.com/").unwrap(), false)
        );
        assert_eq!(
            web_of("https://ghe.example.com/api/v3/"),
            (Url::parse("https://ghe.example.com/").unwrap(), false)
        );
    }
}
