//! The shape of a GitLab `url`: the instance, with its relative URL root if it has one,
//! never its API. patlint adds `/api/v4` itself, as every REST request starts with it
//! (<https://docs.gitlab.com/api/rest/>: "The path must start with /api/v4").

use reqwest::Url;

use crate::policy::TokenKeys;

/// Refuses a `url` that already ends in `/api/v4`, saying which URL to write instead.
pub(super) fn check(keys: &mut TokenKeys<'_>, url: &Url) {
    if keys.written_url().is_none() {
        return;
    }
    if let Some(instance) = instance_of_api_url(url) {
        keys.wrong_url(
            "`url` is GitLab's API URL, not the instance's",
            &instance,
            "patlint adds `/api/v4` itself: with it written here, every request would go to `…/api/v4/api/v4/…`.",
        );
    }
}

/// The instance URL of an API URL (`https://gitlab.example.com/api/v4` →
/// `https://gitlab.example.com`), keeping a relative URL root.
fn instance_of_api_url(url: &Url) -> Option<String> {
    let root = url.path().trim_end_matches('/').strip_suffix("/api/v4")?;
    Some(format!("{}{root}", url.origin().ascii_serialization()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_api_url_gives_its_instance() {
        let instance = |url: &str| instance_of_api_url(&Url::parse(url).unwrap());
        assert_eq!(
            instance("https://gitlab.example.com/api/v4/"),
            Some("https://gitlab.example.com".into())
        );
        assert_eq!(
            instance("https://example.com/gitlab/api/v4"),
            Some("https://example.com/gitlab".into())
        );
        assert_eq!(instance("https://example.com/gitlab"), None);
        assert_eq!(instance("https://gitlab.com"), None);
    }
}
