//! Whether an answer is recognisably the host's own. A refusal settles something (a
//! missing grant, an invalid token, an organization's policy) only when the host itself
//! gave it: a proxy, gateway or firewall in front of the host answers 401 or 403 for its
//! own reasons (an HTML page, an RFC 9457 `application/problem+json`), and such an answer
//! says nothing about the token. Each host says what marks its answers (its JSON error
//! body, a header it sets on every answer); this is the one place that reads them and
//! words what came back when they are missing.

use super::Answer;

/// What marks a host's answers.
pub(crate) struct OwnAnswer {
    /// The host's name as a possessive, for messages: "GitHub's", "Azure DevOps'".
    pub hosts: &'static str,
    /// What marks its answers, in words, for messages: "its JSON error (`message` with
    /// `documentation_url`) or its `X-GitHub-Request-Id` header".
    pub marks: &'static str,
    /// Its JSON error body, as the host documents it.
    pub body: fn(&serde_json::Value) -> bool,
    /// What else marks the whole answer as the host's: the headers it sets on its answers,
    /// errors included, or a body read with its status.
    pub marked: fn(&Answer) -> bool,
}

impl OwnAnswer {
    /// Whether the host itself gave this answer.
    pub fn recognises(&self, answer: &Answer) -> bool {
        answer
            .json::<serde_json::Value>()
            .is_some_and(|body| (self.body)(&body))
            || (self.marked)(answer)
    }

    /// Why an answer that is not the host's own proves nothing, naming what came back:
    /// "GET /user was answered 401 (text/html) without …".
    pub fn not_own(&self, answer: &Answer) -> String {
        format!(
            "{} was answered {} without {}: not {} own answer (a proxy or gateway in front of it?), so it proves nothing",
            answer.request,
            answer.status_and_type(),
            self.marks,
            self.hosts
        )
    }
}

/// Whether the answer carries any of `names` with a value: for [`OwnAnswer::marked`].
pub(crate) fn any_header(answer: &Answer, names: &[&str]) -> bool {
    names
        .iter()
        .any(|name| answer.header(name).is_some_and(|v| !v.trim().is_empty()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::StatusCode;
    use reqwest::header::{HeaderMap, HeaderValue};

    const HOST: OwnAnswer = OwnAnswer {
        hosts: "Host's",
        marks: "its JSON error or its `X-Host-Id` header",
        body: |body| body.get("message").is_some_and(|m| m.is_string()),
        marked: |answer| any_header(answer, &["x-host-id"]),
    };

    fn answer(content_type: &str, header: Option<&'static str>, body: &str) -> Answer {
        let mut headers = HeaderMap::new();
        headers.insert("content-type", HeaderValue::from_str(content_type).unwrap());
        if let Some(id) = header {
            headers.insert("x-host-id", HeaderValue::from_static(id));
        }
        Answer {
            status: StatusCode::UNAUTHORIZED,
            headers,
            body: body.into(),
            request: "GET /user".into(),
        }
    }

    #[test]
    fn the_host_s_body_or_header_marks_it_and_anything_else_is_named() {
        assert!(HOST.recognises(&answer("application/json", None, r#"{"message":"no"}"#)));
        assert!(HOST.recognises(&answer("text/html", Some("abc"), "<html>")));
        assert!(!HOST.recognises(&answer("text/html", Some(" "), "<html>")));
        let problem = answer(
            "application/problem+json; charset=utf-8",
            None,
            r#"{"type":"about:blank","title":"Unauthorized","status":401}"#,
        );
        assert!(!HOST.recognises(&problem));
        assert_eq!(
            HOST.not_own(&problem),
            "GET /user was answered 401 (application/problem+json) without its JSON error or its `X-Host-Id` header: not Host's own answer (a proxy or gateway in front of it?), so it proves nothing"
        );
    }
}
