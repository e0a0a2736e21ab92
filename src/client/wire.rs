//! Small pieces of HTTP every host reads the same way: headers, JSON error messages,
//! the shape of an unexpected body, URLs, and auth headers.

use reqwest::header::{HeaderMap, HeaderValue};
use serde::Deserialize;
use serde::de::DeserializeOwned;

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

/// A JSON body read as the `T` a host documents, or what is wrong with it: not JSON (what
/// it looks like), JSON of another shape, or the field that does not read, with the shape
/// of its value (never the value itself).
pub(crate) fn read_json<T: DeserializeOwned>(headers: &HeaderMap, body: &str) -> Result<T, String> {
    let value: serde_json::Value =
        serde_json::from_str(body).map_err(|_| body_kind(headers, body).to_owned())?;
    match T::deserialize(&value) {
        Ok(read) => Ok(read),
        Err(_) => Err(mismatch::<T>(&value).to_string()),
    }
}

/// A listing's page (a JSON array of `T`), or what is wrong with it: "`token_expires_at`
/// of item 3 is not a date-time (a string shaped `9999-99-99`)".
pub(crate) fn read_json_items<T: DeserializeOwned>(
    headers: &HeaderMap,
    body: &str,
) -> Result<Vec<T>, String> {
    // Read straight into the items; only a body that does not read goes through a
    // `Value`, to say which item and field is wrong.
    if let Ok(items) = serde_json::from_str(body) {
        return Ok(items);
    }
    let value: serde_json::Value =
        serde_json::from_str(body).map_err(|_| body_kind(headers, body).to_owned())?;
    let serde_json::Value::Array(items) = value else {
        return Err(format!(
            "{} where a JSON array was expected",
            json_kind(&value)
        ));
    };
    items
        .iter()
        .enumerate()
        .map(|(index, item)| {
            T::deserialize(item).map_err(|_| match mismatch::<T>(item) {
                Mismatch::Field { name, problem } => {
                    format!("`{name}` of item {} {problem}", index + 1)
                }
                Mismatch::Whole(problem) => format!("item {} is {problem}", index + 1),
            })
        })
        .collect()
}

/// What is wrong with a JSON value that does not read as `T`.
enum Mismatch {
    /// One field of an object: it is missing, or its value does not read.
    Field { name: String, problem: String },
    /// The value as a whole: "a JSON array where a JSON object was expected".
    Whole(String),
}

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Mismatch::Field { name, problem } => write!(f, "`{name}` {problem}"),
            Mismatch::Whole(problem) => f.write_str(problem),
        }
    }
}

/// Which field of an object keeps it from reading as `T`. A derived `Deserialize` reads an
/// object's fields in order and stops at the first value that does not read, so the first
/// field whose prefix of the object fails otherwise than by a missing field is the one;
/// when every prefix only lacks fields, a required field is missing.
fn mismatch<T: DeserializeOwned>(value: &serde_json::Value) -> Mismatch {
    let serde_json::Value::Object(fields) = value else {
        return Mismatch::Whole(format!(
            "{} where a JSON object was expected",
            json_kind(value)
        ));
    };
    let mut prefix = serde_json::Map::new();
    for (name, field) in fields {
        prefix.insert(name.clone(), field.clone());
        let Err(error) = T::deserialize(&serde_json::Value::Object(prefix.clone())) else {
            continue;
        };
        let error = error.to_string();
        if error.starts_with("missing field") {
            continue;
        }
        let expected = error
            .rsplit_once("expected ")
            .map(|(_, expected)| readable_expectation(expected))
            .unwrap_or_else(|| "what the host documents".to_owned());
        return Mismatch::Field {
            name: name.clone(),
            problem: format!("is not {expected} ({})", json_shape(field)),
        };
    }
    match T::deserialize(value) {
        Err(error) => match error.to_string().strip_prefix("missing field ") {
            Some(name) => Mismatch::Field {
                name: name.trim_matches('`').to_owned(),
                problem: "is missing".to_owned(),
            },
            None => Mismatch::Whole("not the object the host documents".to_owned()),
        },
        Ok(_) => Mismatch::Whole("not the object the host documents".to_owned()),
    }
}

/// Serde's expectation in words: "u64" is "a whole number".
fn readable_expectation(expected: &str) -> String {
    match expected.trim() {
        "u8" | "u16" | "u32" | "u64" | "i8" | "i16" | "i32" | "i64" => "a whole number".into(),
        "f32" | "f64" => "a number".into(),
        "a sequence" => "an array".into(),
        "a map" => "an object".into(),
        other => other.trim_matches('`').to_owned(),
    }
}

/// "a JSON array", "a JSON object", …
fn json_kind(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "JSON null",
        serde_json::Value::Bool(_) => "a JSON boolean",
        serde_json::Value::Number(_) => "a JSON number",
        serde_json::Value::String(_) => "a JSON string",
        serde_json::Value::Array(_) => "a JSON array",
        serde_json::Value::Object(_) => "a JSON object",
    }
}

/// A value's shape, never its text: a string's digits are `9`, its letters `a` or `A`.
fn json_shape(value: &serde_json::Value) -> String {
    const LONGEST: usize = 40;
    match value {
        serde_json::Value::String(text) if text.chars().count() <= LONGEST => {
            let shape: String = text
                .chars()
                .map(|c| match c {
                    '0'..='9' => '9',
                    'a'..='z' => 'a',
                    'A'..='Z' => 'A',
                    c if c.is_ascii_punctuation() || c == ' ' => c,
                    _ => '?',
                })
                .collect();
            format!("a string shaped `{shape}`")
        }
        serde_json::Value::String(text) => {
            format!("a string of {} characters", text.chars().count())
        }
        serde_json::Value::Array(items) => format!("an array of {}", items.len()),
        serde_json::Value::Null => "null".into(),
        other => json_kind(other).replace("JSON ", ""),
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

/// The target of a `Link` header's (RFC 8288) link of relation `rel` (`next`, `last`), as
/// GitHub and GitLab page their listings.
pub(crate) fn link_target<'l>(link: &'l str, rel: &str) -> Option<&'l str> {
    link.split(',').find_map(|part| {
        let (target, params) = part.trim().split_once(';')?;
        let is_rel = params.split(';').any(|param| {
            let Some((name, value)) = param.split_once('=') else {
                return false;
            };
            // `rel` is a space-separated list of types, quoted or not, in any case.
            name.trim().eq_ignore_ascii_case("rel")
                && value
                    .trim()
                    .trim_matches('"')
                    .split_ascii_whitespace()
                    .any(|each| each.eq_ignore_ascii_case(rel))
        });
        is_rel.then(|| target.trim().trim_start_matches('<').trim_end_matches('>'))
    })
}

/// Joins a path onto a base URL that may itself have a path (`https://HOST/api/v3`).
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

/// For `#[serde(default, deserialize_with = "present_date_time")]`: [`present`] for an RFC
/// 3339 date-time (`null` is `Some(None)`); anything else is "not a date-time" in the
/// message [`read_json_items`] gives.
pub(crate) fn present_date_time<'de, D>(d: D) -> Result<Option<Option<jiff::Timestamp>>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    match Option::<serde_json::Value>::deserialize(d)? {
        None => Ok(Some(None)),
        Some(serde_json::Value::String(text)) if text.parse::<jiff::Timestamp>().is_ok() => {
            Ok(Some(text.parse().ok()))
        }
        Some(_) => Err(serde::de::Error::custom("expected a date-time")),
    }
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
    fn a_link_is_found_by_its_relation_however_rel_is_written() {
        for link in [
            "<https://h/x?page=2>; rel=\"next\", <https://h/x?page=9>; rel=\"last\"",
            "<https://h/x?page=9>; rel=last, <https://h/x?page=2>; rel=next",
            "<https://h/x?page=2>; REL=\"Next Last\"",
        ] {
            assert_eq!(
                link_target(link, "next"),
                Some("https://h/x?page=2"),
                "{link}"
            );
        }
        assert_eq!(
            link_target(
                "<https://h/x?page=2>; rel=\"next\", <https://h/x?page=9>; rel=\"last\"",
                "last"
            ),
            Some("https://h/x?page=9")
        );
        assert_eq!(
            link_target(
                "<https://h/x?page=1>; rel=\"first\", <https://h/x?page=1>; rel=\"prev\"",
                "next"
            ),
            None
        );
        assert_eq!(
            link_target("<https://h/x?page=2>; title=\"next\"", "next"),
            None
        );
    }

    #[test]
    fn a_body_that_does_not_read_says_which_field_and_its_shape() {
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct Item {
            id: u64,
            #[serde(default, deserialize_with = "present_date_time")]
            at: Option<Option<jiff::Timestamp>>,
        }
        let headers = HeaderMap::new();
        let items = |body: &str| read_json_items::<Item>(&headers, body).unwrap_err();
        assert_eq!(
            items(r#"[{"id":1,"at":null},{"at":"2020-08-31","id":2}]"#),
            "`at` of item 2 is not a date-time (a string shaped `9999-99-99`)"
        );
        assert_eq!(
            items(r#"[{"id":"x"}]"#),
            "`id` of item 1 is not a whole number (a string shaped `a`)"
        );
        assert_eq!(items(r#"[{"at":null}]"#), "`id` of item 1 is missing");
        assert_eq!(
            items(r#"{"value":[]}"#),
            "a JSON object where a JSON array was expected"
        );
        assert_eq!(items("<html>"), "an HTML page");
        assert_eq!(
            read_json::<Item>(&headers, "[]").unwrap_err(),
            "a JSON array where a JSON object was expected"
        );
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
