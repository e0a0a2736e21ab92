//! Whether Azure DevOps (Services or Server) accepts a PAT: `GET {base}/_apis/connectionData`
//! with the PAT in Basic auth (<https://learn.microsoft.com/en-us/azure/devops/integrate/get-started/authentication/authentication-guidance>).
//! A 401 says the PAT is bad only when it is Azure DevOps' own ([`OWN`]); its own 403 for
//! the organization's conditional access policy is that refusal, not a host error.

use base64::Engine;
use reqwest::StatusCode;
use reqwest::header::{ACCEPT, AUTHORIZATION, HeaderValue};

use super::refusals::{OWN, conditional_access};
use crate::client::wire::{join, sensitive_header};
use crate::facts::{Observation, Rejection};
use crate::hosts::{Answer, Call};
use crate::rules::Rule;
use crate::secret::Secret;

/// The PAT as a Basic auth header. The encoded form is what travels, and so what a host
/// might echo back: it is scrubbed like the PAT itself.
pub(super) fn basic_auth(call: &Call<'_>) -> Result<HeaderValue, &'static str> {
    let encoded = Secret::new(
        base64::engine::general_purpose::STANDARD.encode(format!(":{}", call.secret().expose())),
    );
    call.protect(&encoded);
    sensitive_header(&format!("Basic {}", encoded.expose()))
}

/// Checks the PAT against `{base}/_apis/connectionData`, `target` being what `base` is
/// (the organization, the collection). `Ok` means the PAT is valid; `Err` is the
/// observation to report (rejected, refused by a policy, or could not check).
pub(super) async fn connection_data(
    call: &Call<'_>,
    product: &str,
    (base, target): (&reqwest::Url, &str),
    pat: &HeaderValue,
) -> Result<(), Observation> {
    let url = join(base, "_apis/connectionData");
    let answer = call
        .send(product, |client| {
            client
                .get(url.clone())
                .header(AUTHORIZATION, pat.clone())
                .header(ACCEPT, "application/json")
                .header("x-tfs-fedauthredirect", "Suppress")
                .header("x-vss-forcemsapassthrough", "true")
        })
        .await
        .map_err(Observation::from)?;
    judge_connection_data(product, target, &answer)
}

/// A PAT is valid only on a 200 with JSON; a sign-in page in any form is a rejection.
fn judge_connection_data(product: &str, target: &str, answer: &Answer) -> Result<(), Observation> {
    let (status, endpoint) = (answer.status, &answer.request);
    let json = answer.json::<serde_json::Value>().filter(|v| v.is_object());
    let is_json = json.is_some();
    let rejected = |reason, detail: String| {
        Observation::rejected(reason, detail, format!("{status} from {endpoint}"))
    };
    match status {
        StatusCode::OK if json.as_ref().is_some_and(blank_user) => {
            Err(Observation::host_error(format!(
                "{endpoint} answered 200 with a blank authenticated user id: not an answer that proves anything"
            )))
        }
        StatusCode::OK if json.as_ref().is_some_and(authenticated) => Ok(()),
        StatusCode::OK if is_json => Err(rejected(
            Rejection::Invalid,
            format!(
                "{product} answered connectionData anonymously (no authenticated user): the PAT was not accepted"
            ),
        )),
        // Azure DevOps answers a PAT it does not accept with a sign-in page (203, or 200
        // with HTML); anything else unexpected is a fault of the host, not a verdict.
        StatusCode::NON_AUTHORITATIVE_INFORMATION => Err(rejected(
            Rejection::Invalid,
            format!("{product} answered {status} (a sign-in page) instead of accepting the PAT"),
        )),
        StatusCode::OK if answer.body_kind() == "an HTML page" => Err(rejected(
            Rejection::Invalid,
            format!(
                "{product} answered {status} with an HTML sign-in page instead of accepting the PAT"
            ),
        )),
        StatusCode::OK => Err(Observation::host_error(format!(
            "{endpoint} answered {status} with {}",
            answer.body_kind()
        ))),
        s if s.is_redirection() => Err(rejected(
            Rejection::Invalid,
            format!(
                "{product} answered {s} redirecting to {} (a sign-in) instead of accepting the PAT",
                answer.location()
            ),
        )),
        StatusCode::FORBIDDEN if let Some(policy) = conditional_access(answer) => {
            Err(Observation::Refused {
                rule: Rule::ConditionalAccess,
                policy,
                target: target.to_owned(),
                evidence: format!(
                    "{} from {}{}",
                    status.as_u16(),
                    answer.request,
                    answer.quoted_message()
                ),
            })
        }
        // Only Azure DevOps' own 401 says the PAT is bad; a proxy's says nothing of it.
        StatusCode::UNAUTHORIZED if !OWN.recognises(answer) => {
            Err(Observation::host_error(OWN.not_own(answer)))
        }
        StatusCode::UNAUTHORIZED => {
            let service_error = answer
                .header("x-tfs-serviceerror")
                .map(|v| percent_decode(&v));
            let message = service_error.or_else(|| answer.api_message());
            let expired = message
                .as_deref()
                .is_some_and(|m| m.to_ascii_lowercase().contains("expired"));
            let detail = match &message {
                Some(m) => format!("{product} answered 401 ({m})"),
                None if answer.body_kind() == "an HTML page" => {
                    format!("{product} answered 401 with an HTML error page (access denied)")
                }
                None => format!("{product} answered 401"),
            };
            Err(rejected(
                if expired {
                    Rejection::Expired
                } else {
                    Rejection::Invalid
                },
                detail,
            ))
        }
        StatusCode::NOT_FOUND => Err(Observation::host_error(format!(
            "{endpoint} answered 404; check `organization` and `url` (Services: https://dev.azure.com; Server: the collection URL)"
        ))),
        s if s.is_client_error() && !OWN.recognises(answer) => {
            Err(Observation::host_error(OWN.not_own(answer)))
        }
        s => Err(Observation::host_error(format!(
            "{endpoint} answered {s}{}",
            answer.quoted_message()
        ))),
    }
}

/// connectionData answers anonymous callers too; only a real user proves the PAT works.
fn authenticated(connection: &serde_json::Value) -> bool {
    const ANONYMOUS: &str = "aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa";
    let user = &connection["authenticatedUser"];
    let id = user["id"].as_str().unwrap_or_default();
    let descriptor = user["descriptor"].as_str().unwrap_or_default();
    !id.is_empty() && id != ANONYMOUS && !descriptor.contains("PublicAccess")
}

/// An `authenticatedUser.id` that is there but blank: no user Azure DevOps would name,
/// so a broken answer rather than a verdict.
fn blank_user(connection: &serde_json::Value) -> bool {
    connection["authenticatedUser"]["id"]
        .as_str()
        .is_some_and(|id| !id.is_empty() && id.trim().is_empty())
}

/// `Access%20Denied%3A%20The%20Personal…` → `Access Denied: The Personal…`.
fn percent_decode(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Ok(byte) = u8::from_str_radix(&value[i + 1..i + 3], 16)
        {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_the_service_error_header() {
        assert_eq!(
            percent_decode(
                "Access%20Denied%3A%20The%20Personal%20Access%20Token%20used%20has%20expired."
            ),
            "Access Denied: The Personal Access Token used has expired."
        );
        assert_eq!(percent_decode("100%"), "100%");
    }
}
