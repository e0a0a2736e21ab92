//! What Azure DevOps Services' `organization` and `url` hold: the organization's bare
//! name, and the service's root. patlint asks `{url}/{organization}/_apis/…`, so an
//! organization written as its URL, or a `url` that already names it, asks for a path
//! that does not exist.
//!
//! An organization's URL is `https://dev.azure.com/{organization}` (formerly
//! `https://{organization}.visualstudio.com`); its name is English letters, digits and
//! hyphens, starts and ends with a letter or digit, and has at most 50 characters
//! (<https://learn.microsoft.com/en-us/azure/devops/organizations/accounts/rename-organization>,
//! "guidelines when you create an organization name").

use reqwest::Url;

use crate::policy::TokenKeys;
use crate::policy::raw::Text;

/// The organization's name, or `None` after saying what to write instead.
pub(super) fn name(
    keys: &mut TokenKeys<'_>,
    written: &Text,
    project_written: bool,
) -> Option<String> {
    let value = written.get_ref().trim();
    if !looks_like_more_than_a_name(value) {
        return Some(value.to_owned());
    }
    let (message, parts) = match split(value) {
        Some(parts) => (
            if value.contains("://") || value.contains(".visualstudio.com") {
                "`organization` is a URL, not the organization's name"
            } else {
                "`organization` holds more than the organization's name"
            },
            parts,
        ),
        None => {
            keys.problem(
                written.span(),
                format!("`{value}` is not an Azure DevOps organization name"),
                "not an organization name",
                Some("write the part after https://dev.azure.com/ in the organization's URL: English letters, digits and hyphens, starting and ending with a letter or digit".into()),
            );
            return None;
        }
    };
    let mut help = format!("did you mean `organization = \"{}\"`", parts.organization);
    match &parts.project {
        Some(project) if !project_written => {
            help.push_str(&format!(" and `project = \"{project}\"`"));
        }
        _ => {}
    }
    help.push_str("? `organization` is the name alone: patlint asks https://dev.azure.com/ORGANIZATION/_apis/…");
    keys.problem(written.span(), message, "not the bare name", Some(help));
    None
}

/// Refuses a Services `url` that is more than the service's root: an organization's
/// address (`https://dev.azure.com/fabrikam`, `https://fabrikam.visualstudio.com`).
/// Returns the organization the URL names, for when `organization` is missing.
pub(super) fn check_url(
    keys: &mut TokenKeys<'_>,
    url: &Url,
    organization: Option<&str>,
) -> Option<String> {
    keys.written_url()?;
    let host = url.host_str()?.to_ascii_lowercase();
    let named = match host.strip_suffix(".visualstudio.com") {
        Some(subdomain) if is_name(subdomain) => Some(subdomain.to_owned()),
        _ => url
            .path_segments()
            .and_then(|mut segments| segments.next())
            .map(percent_decoded)
            .filter(|segment| is_name(segment)),
    };
    let root = match host.ends_with(".visualstudio.com") {
        true => "https://dev.azure.com".to_owned(),
        false => url.origin().ascii_serialization(),
    };
    if named.is_none() && url.path().trim_end_matches('/').is_empty() {
        return None;
    }
    let why = match (&named, organization) {
        (Some(named), Some(organization)) if named.eq_ignore_ascii_case(organization) => {
            "The organization goes in `organization` alone, where it already is; `url` may also be left out (it defaults to https://dev.azure.com)".to_owned()
        }
        (Some(named), _) => format!(
            "The organization goes in `organization` (`organization = \"{named}\"`); `url` is the service's root, and may be left out"
        ),
        (None, _) => "The `url` is the service's root, and may be left out".to_owned(),
    };
    keys.wrong_url(
        "`url` is an organization's address, not Azure DevOps Services' root",
        &root,
        &format!("{why}."),
    );
    named
}

/// What an organization written as a URL or a path holds.
struct Parts {
    organization: String,
    project: Option<String>,
}

/// `https://dev.azure.com/fabrikam/Project%20One`, `https://fabrikam.visualstudio.com`,
/// `fabrikam/Project One`: the organization and project they name.
fn split(value: &str) -> Option<Parts> {
    let (organization, project) = match Url::parse(value) {
        Ok(url) if url.has_host() => {
            let host = url.host_str()?.to_ascii_lowercase();
            let mut segments = url
                .path_segments()
                .into_iter()
                .flatten()
                .filter(|s| !s.is_empty())
                .map(percent_decoded);
            match host.strip_suffix(".visualstudio.com") {
                Some(subdomain) => (subdomain.to_owned(), segments.next()),
                None => (segments.next()?, segments.next()),
            }
        }
        _ => {
            let mut parts = value.split('/').filter(|p| !p.trim().is_empty());
            let first = parts.next()?.trim();
            let organization = first.strip_suffix(".visualstudio.com").unwrap_or(first);
            (
                organization.to_owned(),
                parts.next().map(|p| p.trim().to_owned()),
            )
        }
    };
    is_name(&organization).then_some(Parts {
        organization,
        project: project.filter(|p| !p.starts_with('_')),
    })
}

/// A URL, a path, a host name or blanks: what no organization name holds. Anything else
/// is taken as written (an organization named before today's naming rules still works).
fn looks_like_more_than_a_name(value: &str) -> bool {
    value.is_empty()
        || value.contains(['/', '\\', ':', '?', '#'])
        || value.chars().any(char::is_whitespace)
        || value.to_ascii_lowercase().ends_with(".visualstudio.com")
}

/// A name by today's rules: what patlint suggests.
fn is_name(value: &str) -> bool {
    let bytes = value.as_bytes();
    (1..=50).contains(&bytes.len())
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'-')
        && bytes[0].is_ascii_alphanumeric()
        && bytes[bytes.len() - 1].is_ascii_alphanumeric()
}

/// A URL path segment as text: `Project%20One` → `Project One`.
fn percent_decoded(segment: &str) -> String {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(value: &str) -> Option<(String, Option<String>)> {
        split(value).map(|p| (p.organization, p.project))
    }

    #[test]
    fn urls_and_paths_give_the_organization_and_project() {
        let org = |o: &str, p: Option<&str>| Some((o.to_owned(), p.map(str::to_owned)));
        assert_eq!(
            parts("https://dev.azure.com/fabrikam"),
            org("fabrikam", None)
        );
        assert_eq!(
            parts("https://dev.azure.com/fabrikam/Project%20One/_git/repo"),
            org("fabrikam", Some("Project One"))
        );
        assert_eq!(
            parts("https://fabrikam.visualstudio.com/"),
            org("fabrikam", None)
        );
        assert_eq!(
            parts("fabrikam/Project One"),
            org("fabrikam", Some("Project One"))
        );
        assert_eq!(parts("fab rikam"), None);
        assert!(is_name("fabrikam-2") && !is_name("-fabrikam") && !is_name("a_b"));
    }
}
