//! The shape of a GitHub `url`: the REST API's base, not the web address. Every request
//! is `{url}/user` and the like, so a web address reaches the sign-in page, not the API.
//!
//! - github.com: <https://api.github.com>;
//! - GHE.com (data residency): `https://api.SUBDOMAIN.ghe.com`
//!   (<https://docs.github.com/en/enterprise-cloud@latest/rest/enterprise-admin/network-configurations>:
//!   "replace api.github.com with your enterprise's dedicated subdomain at api.SUBDOMAIN.ghe.com");
//! - Enterprise Server: `https://HOSTNAME/api/v3`
//!   (<https://docs.github.com/en/enterprise-server@3.10/rest/enterprise-admin>, "Endpoint URLs").

use reqwest::Url;

use crate::client::wire::is_loopback;
use crate::policy::TokenKeys;

/// Refuses a `url` that is GitHub's web address instead of its API's, saying which.
pub(super) fn check(keys: &mut TokenKeys<'_>, url: &Url) {
    if keys.written_url().is_none() {
        return;
    }
    if let Some((right, kind)) = api_url_for(url) {
        keys.wrong_url(
            format!("`url` is {kind}'s web address, not its REST API"),
            &right,
            &format!("{kind}'s REST API is at {}; patlint asks it `/user`, which the web address does not answer.", kind_api(kind)),
        );
    }
}

const GITHUB_COM: &str = "github.com";
const GHE_COM: &str = "GHE.com";
const SERVER: &str = "GitHub Enterprise Server";

fn kind_api(kind: &str) -> &'static str {
    match kind {
        GITHUB_COM => "https://api.github.com",
        GHE_COM => "https://api.SUBDOMAIN.ghe.com",
        _ => "https://HOSTNAME/api/v3",
    }
}

/// The API base URL `url` should have been, and what kind of GitHub it is; `None` when
/// it already is one (a local test server stands in for any of them).
fn api_url_for(url: &Url) -> Option<(String, &'static str)> {
    let host = url.host_str()?.to_ascii_lowercase();
    if is_loopback(url) || host == "api.github.com" {
        return None;
    }
    if host == "github.com" || host == "www.github.com" {
        return Some(("https://api.github.com".into(), GITHUB_COM));
    }
    if let Some(subdomain) = host.strip_suffix(".ghe.com") {
        if subdomain.starts_with("api.") {
            return None;
        }
        return Some((format!("https://api.{subdomain}.ghe.com"), GHE_COM));
    }
    if url.path().trim_end_matches('/').ends_with("/api/v3") {
        return None;
    }
    Some((
        format!("{}/api/v3", url.origin().ascii_serialization()),
        SERVER,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn right(url: &str) -> Option<String> {
        api_url_for(&Url::parse(url).unwrap()).map(|(right, _)| right)
    }

    #[test]
    fn web_addresses_get_their_api_url() {
        assert_eq!(right("https://api.github.com"), None);
        assert_eq!(right("https://ghe.example.com/api/v3/"), None);
        assert_eq!(right("https://api.octocorp.ghe.com"), None);
        assert_eq!(right("http://127.0.0.1:8080"), None);
        assert_eq!(
            right("https://github.com/"),
            Some("https://api.github.com".into())
        );
        assert_eq!(
            right("https://octocorp.ghe.com"),
            Some("https://api.octocorp.ghe.com".into())
        );
        assert_eq!(
            right("https://ghe.example.com:8443"),
            Some("https://ghe.example.com:8443/api/v3".into())
        );
        assert_eq!(
            right("https://ghe.example.com/api"),
            Some("https://ghe.example.com/api/v3".into())
        );
    }
}
