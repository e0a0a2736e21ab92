//! Secret references, and credentials written where they do not belong: a literal
//! secret is refused, and anything that looks like a token is blanked before any policy
//! text is shown.

use std::ops::Range;

use toml::Spanned;

use super::Validator;
use crate::hosts::HostKind;
use crate::policy::DocId;
use crate::policy::raw::SecretRefAsWritten;
use crate::secret::{SecretFile, SecretSource};

impl Validator {
    pub(super) fn secret_ref(
        &mut self,
        doc: DocId,
        key: &str,
        value: &Spanned<SecretRefAsWritten>,
    ) -> Option<SecretSource> {
        match value.get_ref() {
            SecretRefAsWritten::Env(name) if is_env_name(name) => {
                Some(SecretSource::Env(name.clone()))
            }
            SecretRefAsWritten::Env(_) => {
                self.redact.push((doc, value.span()));
                self.problem(doc, value.span(), format!("`{key}.env` is not an environment variable name"), "not a variable name (hidden: it may be a secret)", Some("write the name of the variable that holds the secret, e.g. `{ env = \"JIRA_GITHUB_PAT\" }`; if you wrote the token itself here, revoke it".into()));
                None
            }
            SecretRefAsWritten::File(path) if !looks_like_a_secret(path) => Some(
                SecretSource::File(SecretFile::in_folder(path, &self.policy_folder())),
            ),
            SecretRefAsWritten::File(_) => {
                self.redact.push((doc, value.span()));
                self.problem(
                    doc,
                    value.span(),
                    format!("`{key}.file` looks like a token, not a path"),
                    "not a path (hidden: it may be a secret)",
                    Some(format!("write the path of a file that holds the secret, e.g. `{key} = {{ file = \"/run/secrets/jira-github\" }}`; if you wrote the token itself here, revoke it")),
                );
                None
            }
            SecretRefAsWritten::Literal => {
                self.redact.push((doc, value.span()));
                self.problem(doc, value.span(), format!("`{key}` is written literally in the policy"), "a secret does not belong in the policy file (hidden)", Some(format!("write `{key} = {{ env = \"NAME\" }}` and pass the secret in that variable (or `{{ file = \"PATH\" }}`); revoke this one, since it has been written to a file that may be committed")));
                None
            }
            SecretRefAsWritten::Invalid(reason) => {
                self.redact.push((doc, value.span()));
                self.problem(
                    doc,
                    value.span(),
                    format!("invalid `{key}`: {reason}"),
                    "here",
                    Some(format!(
                        "write `{key} = {{ env = \"NAME\" }}` or `{key} = {{ file = \"PATH\" }}`"
                    )),
                );
                None
            }
        }
    }
}

impl Validator {
    /// A credential-looking string anywhere in the policy (a comment, a URL query, a
    /// name, an organization) is refused, not only blanked: the file may be committed,
    /// and the credential must be revoked. Secrets already refused as such are not repeated.
    pub(super) fn refuse_credentials(&mut self, doc: DocId, text: &str) {
        let refused: Vec<Range<usize>> = self
            .redact
            .iter()
            .filter(|(d, _)| *d == doc)
            .map(|(_, span)| span.clone())
            .collect();
        for run in secret_like_runs(text) {
            if refused
                .iter()
                .any(|span| span.start <= run.start && run.end <= span.end)
            {
                continue;
            }
            self.problem(
                doc,
                run,
                "this looks like a credential written into the policy",
                "hidden: it may be a secret",
                Some("remove it from the policy and revoke it (the file may be committed); a token's secret goes in `secret = { env = \"NAME\" }` or `{ file = \"PATH\" }`".into()),
            );
        }
    }
}

fn is_env_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !looks_like_a_secret(name)
}

/// Catches a token pasted where a name or a path belongs.
fn looks_like_a_secret(text: &str) -> bool {
    secret_like_runs(text).next().is_some()
}

/// Every host's well-known credential prefixes (`ghp_`, `glpat-`, …).
fn token_prefixes() -> impl Iterator<Item = &'static str> {
    HostKind::ALL
        .iter()
        .flat_map(|host| host.meta().secret_prefixes.iter().copied())
}

/// Byte ranges of `text` that look like credentials: a known prefix followed by at least
/// eight token characters, or a run of 32+ letters and digits mixing both (PATs without
/// a prefix, classic 40-hex GitHub tokens, secret keys).
fn secret_like_runs(text: &str) -> impl Iterator<Item = Range<usize>> + '_ {
    let bytes = text.as_bytes();
    let token_char = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'-';
    let mut i = 0;
    std::iter::from_fn(move || {
        while i < bytes.len() {
            let at_boundary = i == 0 || !token_char(bytes[i - 1]);
            if at_boundary {
                if let Some(prefix) =
                    token_prefixes().find(|p| bytes[i..].starts_with(p.as_bytes()))
                {
                    let end = (i..bytes.len())
                        .find(|&j| !token_char(bytes[j]))
                        .unwrap_or(bytes.len());
                    if end - i >= prefix.len() + 8 {
                        let run = i..end;
                        i = end;
                        return Some(run);
                    }
                }
                if bytes[i].is_ascii_alphanumeric() {
                    let end = (i..bytes.len())
                        .find(|&j| !bytes[j].is_ascii_alphanumeric())
                        .unwrap_or(bytes.len());
                    let run = &bytes[i..end];
                    let mixed = run.iter().any(u8::is_ascii_digit)
                        && run.iter().any(u8::is_ascii_alphabetic);
                    if run.len() >= 32 && mixed && (end == bytes.len() || !token_char(bytes[end])) {
                        let found = i..end;
                        i = end;
                        return Some(found);
                    }
                }
            }
            i += 1;
        }
        None
    })
}

/// The policy text as patlint shows it: every credential-looking run blanked with `*`
/// (same length, so spans stay valid), whether in a value, a key or a comment.
pub fn blank_secret_like(text: &str) -> String {
    let mut shown = text.to_owned();
    let runs: Vec<_> = secret_like_runs(text).collect();
    for run in runs {
        shown.replace_range(run.clone(), &"*".repeat(run.len()));
    }
    shown
}

/// Replaces a span's characters with `*`, keeping its quotes and its length.
pub(super) fn blank_out(text: &mut String, span: Range<usize>) {
    let Some(slice) = text.get(span.clone()) else {
        return;
    };
    let blanked: String = slice
        .chars()
        .map(|c| {
            if c == '"' || c == '\'' || c == '{' || c == '}' || c == '=' || c == ' ' {
                c
            } else {
                '*'
            }
        })
        .collect();
    // Multi-byte characters become one byte each: pad to keep later spans in place.
    let padded = format!("{blanked}{}", "*".repeat(slice.len() - blanked.len()));
    text.replace_range(span, &padded);
}

/// serde quotes the offending value in type errors; a value in the wrong place may be a
/// secret, so the quote is dropped.
pub(super) fn sanitize_serde_message(message: &str) -> String {
    let mut out = String::new();
    let mut rest = message;
    while let Some(i) = rest.find("string \"") {
        out.push_str(&rest[..i]);
        out.push_str("a string");
        let after = &rest[i + "string \"".len()..];
        rest = after.find('"').map_or("", |j| &after[j + 1..]);
    }
    out.push_str(rest);
    out
}
