//! The page where a new Azure DevOps PAT is made. Microsoft documents no parameters that
//! prefill it: the link is the page itself, and the finding's help says what to pick.
//!
//! Services: `https://dev.azure.com/ORG/_usersSettings/tokens`, Server / TFS:
//! `COLLECTION/_usersSettings/tokens` (User settings > Personal access tokens; Microsoft's
//! docs name the page, not its address; the address is the one integrations link, e.g.
//! `https://dev.azure.com/{org}/_usersSettings/tokens` in public setup guides).

use reqwest::Url;

use crate::hosts::fix_link::join;

/// Services: the organization's page.
pub(super) fn services(url: &Url, organization: &str) -> Option<Url> {
    join(&join(url, organization)?, "_usersSettings/tokens")
}

/// Server / TFS: the collection's page.
pub(super) fn server(collection: &Url) -> Option<Url> {
    join(collection, "_usersSettings/tokens")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_is_under_the_organization_or_collection() {
        let url = Url::parse("https://dev.azure.com").unwrap();
        assert_eq!(
            services(&url, "fabrikam").unwrap().as_str(),
            "https://dev.azure.com/fabrikam/_usersSettings/tokens"
        );
        let collection = Url::parse("https://tfs.example.com/tfs/DefaultCollection").unwrap();
        assert_eq!(
            server(&collection).unwrap().as_str(),
            "https://tfs.example.com/tfs/DefaultCollection/_usersSettings/tokens"
        );
    }
}
