//! Asking GitLab with the token, telling GitLab's own refusals from anything else in
//! front of it, and reading the refusal GitLab gives a token that lacks a fine-grained
//! permission.

use reqwest::header::HeaderValue;
use reqwest::{StatusCode, Url};
use serde::Deserialize;

use crate::client::own_answer::OwnAnswer;
use crate::facts::Observation;
use crate::hosts::{Answer, Call};

/// `GET url` with the token in `PRIVATE-TOKEN`; the `Err` is a failure to ask.
pub(super) async fn get(
    call: &Call<'_>,
    auth: &HeaderValue,
    url: Url,
) -> Result<Answer, Observation> {
    call.send("GitLab", |client| {
        client
            .get(url.clone())
            .header("private-token", auth.clone())
    })
    .await
    .map_err(Observation::from)
}

/// The body of an OAuth-style error from GitLab's API guard (`rack-oauth2`'s bearer
/// errors: `error`, `error_description`, `scope`).
#[derive(Debug, Deserialize)]
pub(super) struct OAuthError {
    pub error: Option<String>,
    pub error_description: Option<String>,
    pub scope: Option<String>,
}

/// Whether a refusal is GitLab's own answer: JSON (not `application/problem+json`) with
/// either an OAuth `error` code (lib/api/api_guard.rb answers its authentication errors
/// so: `invalid_token`, `insufficient_scope`, `insufficient_granular_scope`, `dpop_error`)
/// or the `message` GitLab's API helpers write, which starts with the status
/// (`render_api_error!`: "401 Unauthorized", "403 Forbidden", "404 Project Not Found",
/// lib/api/helpers.rb), or a map of field errors. A proxy's HTML page, a gateway's
/// `{"message":"Forbidden"}` or an RFC 9457 problem is none of these.
pub(super) fn own_answer(answer: &Answer) -> bool {
    OWN.recognises(answer)
}

/// GitLab marks its answers by their JSON error alone, read with the answer's status.
const OWN: OwnAnswer = OwnAnswer {
    hosts: "GitLab's",
    marks: "GitLab's JSON error (an OAuth `error`, or a `message` that starts with the status)",
    body: |_| false,
    marked: own_error,
};

fn own_error(answer: &Answer) -> bool {
    let content_type = answer.header("content-type").unwrap_or_default();
    if content_type.contains("problem+json") {
        return false;
    }
    let Some(serde_json::Value::Object(body)) = answer.json::<serde_json::Value>() else {
        return false;
    };
    if body.get("error").is_some_and(|e| e.is_string()) {
        return true;
    }
    match body.get("message") {
        Some(serde_json::Value::String(message)) => {
            message.starts_with(&answer.status.as_u16().to_string())
        }
        Some(serde_json::Value::Object(_)) => true,
        _ => false,
    }
}

/// What came back, for a refusal that is not GitLab's own: it proves nothing.
pub(super) fn not_own(answer: &Answer) -> String {
    OWN.not_own(answer)
}

/// GitLab's refusal of a request a token's fine-grained grants do not cover: a 403
/// `insufficient_granular_scope` (`Gitlab::Auth::GranularPermissionsError`, answered 403 by
/// the API guard: spec/lib/api/api_guard_spec.rb), whose description is the message of
/// `Authz::Tokens::AuthorizeGranularScopesService`
/// (app/services/authz/tokens/authorize_granular_scopes_service.rb).
#[derive(Debug, Clone, PartialEq)]
pub(super) struct GranularRefusal {
    /// GitLab's words, as it gave them.
    pub description: String,
    pub kind: RefusalKind,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum RefusalKind {
    /// "Access denied: This operation requires a fine-grained personal access token with
    /// the following project permissions: [Project: Read]." A fine-grained token lacks
    /// them; a legacy token is refused the same way where a top-level group requires
    /// fine-grained tokens (`granular_token_required?`).
    Requires {
        /// `project`, `group`, `user` or `instance`.
        boundary: String,
        /// "Project: Read", as GitLab names them (resource: action).
        permissions: Vec<String>,
    },
    /// "This operation doesn't support fine-grained personal access tokens." or
    /// "Fine-grained personal access tokens are not yet supported.": nothing a grant fixes.
    Unsupported,
}

/// The refusal in a 403, if it is GitLab's `insufficient_granular_scope`.
pub(super) fn granular_refusal(answer: &Answer) -> Option<GranularRefusal> {
    if answer.status != StatusCode::FORBIDDEN {
        return None;
    }
    let error: OAuthError = answer.json()?;
    if error.error.as_deref() != Some("insufficient_granular_scope") {
        return None;
    }
    let description = error.error_description.unwrap_or_default();
    let kind = requires(&description).unwrap_or(RefusalKind::Unsupported);
    Some(GranularRefusal { description, kind })
}

/// "… with the following BOUNDARY permissions: [A: B, C: D]."
fn requires(description: &str) -> Option<RefusalKind> {
    let (_, rest) = description.split_once("with the following ")?;
    let (boundary, rest) = rest.split_once(" permissions: [")?;
    let (list, _) = rest.rsplit_once(']')?;
    let permissions = list
        .split(", ")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
        .collect();
    Some(RefusalKind::Requires {
        boundary: boundary.trim().to_owned(),
        permissions,
    })
}

impl GranularRefusal {
    /// Whether GitLab names this permission ("Project: Read" for `read_project`).
    pub fn names(&self, display: &str) -> bool {
        matches!(&self.kind, RefusalKind::Requires { permissions, .. } if permissions.iter().any(|p| p == display))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, content_type: &str, body: &str) -> Answer {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("content-type", content_type.parse().unwrap());
        Answer {
            status: StatusCode::from_u16(status).unwrap(),
            headers,
            body: body.into(),
            request: "GET /api/v4/projects/acme%2Fapp".into(),
        }
    }

    #[test]
    fn gitlabs_own_refusals_are_told_from_a_proxys() {
        let json = "application/json";
        assert!(own_answer(&answer(
            404,
            json,
            r#"{"message":"404 Project Not Found"}"#
        )));
        assert!(own_answer(&answer(
            401,
            json,
            r#"{"message":"401 Unauthorized"}"#
        )));
        assert!(own_answer(&answer(
            403,
            json,
            r#"{"error":"insufficient_granular_scope","error_description":"x"}"#
        )));
        assert!(!own_answer(&answer(
            403,
            json,
            r#"{"message":"Forbidden"}"#
        )));
        assert!(!own_answer(&answer(401, "text/html", "<html>401</html>")));
        assert!(!own_answer(&answer(
            403,
            "application/problem+json",
            r#"{"type":"about:blank","title":"Forbidden","status":403,"error":"denied"}"#
        )));
    }

    #[test]
    fn gitlabs_refusal_text_names_the_boundary_and_permissions() {
        let body = r#"{"error":"insufficient_granular_scope","error_description":"Access denied: This operation requires a fine-grained personal access token with the following project permissions: [Code: Download, Project: Read]."}"#;
        let refusal = granular_refusal(&answer(403, "application/json", body)).unwrap();
        assert_eq!(
            refusal.kind,
            RefusalKind::Requires {
                boundary: "project".into(),
                permissions: vec!["Code: Download".into(), "Project: Read".into()],
            }
        );
        assert!(refusal.names("Project: Read"));
        let body = r#"{"error":"insufficient_granular_scope","error_description":"Access denied: This operation doesn't support fine-grained personal access tokens."}"#;
        let refusal = granular_refusal(&answer(403, "application/json", body)).unwrap();
        assert_eq!(refusal.kind, RefusalKind::Unsupported);
        assert!(
            granular_refusal(&answer(
                403,
                "application/json",
                r#"{"message":"403 Forbidden"}"#
            ))
            .is_none()
        );
    }
}
