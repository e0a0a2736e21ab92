//! Small pieces of HTTP every host reads the same way: headers, JSON error messages,
//! the shape of an unexpected body, URLs, and auth headers.

use reqwest::header::{HeaderMap, HeaderValue};
use serde::Deserialize;

/// An auth header value, marked sensitive so that no HTTP layer logs it.
pub(crate) fn sensitive_header(value: &str) -> Result<HeaderValue, &'static str> {
    let mut header = HeaderValue::from_str(value)
        .map_err(|_| "the secret contains characters that cannot be sent in an HTTP header")?;
    header.set_sensitive(true);
    Ok(header)
}

pub(crate) fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// A header the host sends at most once, when the answer may be trusted with it: absent
/// is `Ok(None)`; repeated with different values, or not readable as text, is an `Err`
/// saying so (never read as "absent": a proxy or a second hop added it, and which line is
/// the host's is unknown). Identical repeats are one value.
pub(crate) fn single_header(headers: &HeaderMap, name: &str) -> Result<Option<String>, String> {
    let mut value: Option<&str> = None;
    for line in headers.get_all(name) {
        let text = line
            .to_str()
            .map_err(|_| format!("a `{name}` header that is not readable ASCII text"))?;
        match value {
            Some(first) if first.trim() != text.trim() => {
                return Err(format!(
                    "two different `{name}` headers (`{first}` and `{text}`)"
                ));
            }
            Some(_) => {}
            None => value = Some(text),
        }
    }
    Ok(value.map(str::to_owned))
}

/// The `message` of a JSON error body. Not shortened here: the observation is scrubbed
/// of every secret first, then shortened.
pub(crate) fn api_message(body: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(body).ok()?;
    let message = value.get("message")?.as_str()?;
    Some(message.to_owned())
}

/// What an unexpected body looks like, for a `host-error` message (never the body itself).
pub(crate) fn body_kind(headers: &HeaderMap, body: &str) -> &'static str {
    let content_type = header(headers, "content-type").unwrap_or_default();
    if body.trim().is_empty() {
        "an empty body"
    } else if content_type.contains("html") || body.trim_start().starts_with('<') {
        "an HTML page"
    } else {
        "a body that is not the expected JSON"
    }
}

/// What an answer was, for a message that names it: "401 (application/problem+json)", the
/// content type without its parameters, or "no content type".
pub(crate) fn status_and_type(status: reqwest::StatusCode, headers: &HeaderMap) -> String {
    let content_type = header(headers, "content-type")
        .map(|t| t.split(';').next().unwrap_or_default().trim().to_owned())
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| "no content type".into());
    format!("{} ({content_type})", status.as_u16())
}

/// A redirect's target, without its query (which may carry sign-in state).
pub(crate) fn origin_only(location: &str) -> String {
    match reqwest::Url::parse(location) {
        Ok(url) => format!("{}{}", url.origin().ascii_serialization(), url.path()),
        Err(_) => "an unparseable location".into(),
    }
}

/// Whether plain HTTP may go to this URL: loopback only (tests), never through a proxy.
pub(crate) fn is_loopback(url: &reqwest::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// Joins a path onto a base URL that may itself have a path (`https://HOST/api/v3`).
/// The `rel="next"` target of a `Link` header (RFC 8288), as GitHub and GitLab page their
/// listings.
pub(crate) fn next_link(link: &str) -> Option<&str> {
    link.split(',').find_map(|part| {
        let (target, params) = part.trim().split_once(';')?;
        let is_next = params.split(';').any(|param| {
            let Some((name, value)) = param.split_once('=') else {
                return false;
            };
            // `rel` is a space-separated list of types, quoted or not, in any case.
            name.trim().eq_ignore_ascii_case("rel")
                && value
                    .trim()
                    .trim_matches('"')
                    .split_ascii_whitespace()
                    .any(|rel| rel.eq_ignore_ascii_case("next"))
        });
        is_next.then(|| target.trim().trim_start_matches('<').trim_end_matches('>'))
    })
}

pub(crate) fn join(base: &reqwest::Url, path: &str) -> reqwest::Url {
    let mut url = base.clone();
    let joined = format!(
        "{}/{}",
        base.path().trim_end_matches('/'),
        path.trim_start_matches('/')
    );
    url.set_path(&joined);
    url
}

/// For `#[serde(default, deserialize_with = "present")]`: `Some(value)` when the field is
/// present (even `null`), `None` when it is absent, so that "the host said none" and
/// "the host did not say" stay apart.
pub(crate) fn present<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(d).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_single_header_is_one_value_or_a_problem() {
        let mut headers = HeaderMap::new();
        assert_eq!(single_header(&headers, "x-oauth-scopes"), Ok(None));
        headers.append("x-oauth-scopes", HeaderValue::from_static("repo"));
        headers.append("x-oauth-scopes", HeaderValue::from_static("repo"));
        assert_eq!(
            single_header(&headers, "x-oauth-scopes"),
            Ok(Some("repo".into()))
        );
        headers.append("x-oauth-scopes", HeaderValue::from_static("delete_repo"));
        assert!(
            single_header(&headers, "x-oauth-scopes")
                .unwrap_err()
                .contains("two different")
        );
        let mut latin1 = HeaderMap::new();
        latin1.insert(
            "x-oauth-scopes",
            HeaderValue::from_bytes(b"r\xe9po").unwrap(),
        );
        assert!(
            single_header(&latin1, "x-oauth-scopes")
                .unwrap_err()
                .contains("not readable")
        );
    }

    #[test]
    fn the_next_link_is_found_however_rel_is_written() {
        for link in [
            "<https://h/x?page=2>; rel=\"next\", <https://h/x?page=9>; rel=\"last\"",
            "<https://h/x?page=9>; rel=last, <https://h/x?page=2>; rel=next",
            "<https://h/x?page=2>; REL=\"Next Last\"",
        ] {
            assert_eq!(next_link(link), Some("https://h/x?page=2"), "{link}");
        }
        assert_eq!(
            next_link("<https://h/x?page=1>; rel=\"first\", <https://h/x?page=1>; rel=\"prev\""),
            None
        );
        assert_eq!(next_link("<https://h/x?page=2>; title=\"next\""), None);
    }

    #[test]
    fn join_keeps_the_base_path() {
        let ghes = reqwest::Url::parse("https://ghe.example.com/api/v3/").unwrap();
        assert_eq!(
            join(&ghes, "user").as_str(),
            "https://ghe.example.com/api/v3/user"
        );
        let dotcom = reqwest::Url::parse("https://api.github.com").unwrap();
        assert_eq!(
            join(&dotcom, "/user").as_str(),
            "https://api.github.com/user"
        );
    }
}
