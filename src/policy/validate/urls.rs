//! URLs and CA bundles of a token's host: https only (plain http only to loopback, for
//! tests), never with credentials in them.

use reqwest::Url;

use super::Validator;
use crate::hosts::is_loopback;
use crate::policy::DocId;
use crate::policy::raw::Text;

impl Validator {
    /// A CA bundle must be readable and hold a certificate: better said now than as a
    /// TLS failure against the host.
    pub(super) fn ca_file(&mut self, doc: DocId, file: &Text) -> Option<std::path::PathBuf> {
        let path = crate::files::policy_relative(file.get_ref(), &self.policy_folder());
        let problem = match crate::files::read(&path, crate::files::FileKind::CaBundle) {
            Ok(pem) if String::from_utf8_lossy(&pem).contains("-----BEGIN CERTIFICATE-----") => {
                return Some(path);
            }
            Ok(_) => "holds no PEM certificate (`-----BEGIN CERTIFICATE-----`)".to_owned(),
            Err(e) => format!(
                "cannot be read: it {e} (looked for {})",
                std::path::absolute(&path)
                    .unwrap_or_else(|_| path.clone())
                    .display()
            ),
        };
        self.problem(
            doc,
            file.span(),
            format!("`ca_file` {problem}"),
            "not a CA bundle",
            Some("point `ca_file` at a PEM file with the certificate authority (or chain) that signed the host's certificate (a relative path is read from the policy file's folder, `~/` from the home folder)".into()),
        );
        None
    }

    pub(super) fn url(
        &mut self,
        doc: DocId,
        value: Option<&Text>,
        key: &str,
        default: &str,
    ) -> Option<Url> {
        let Some(text) = value else {
            return Some(Url::parse(default).expect("default URLs are valid"));
        };
        let raw = text.get_ref();
        let url = match Url::parse(raw) {
            Ok(url) => url,
            Err(e) => {
                self.problem(
                    doc,
                    text.span(),
                    format!("`{key}` is not a URL: {e}"),
                    "not a URL",
                    Some(format!("write a full URL, e.g. \"{default}\"")),
                );
                return None;
            }
        };
        if !url.username().is_empty() || url.password().is_some() {
            self.redact.push((doc, text.span()));
            self.problem(doc, text.span(), format!("`{key}` contains credentials"), "credentials in a URL (hidden)", Some("remove the user and password from the URL; patlint sends the token from `secret` itself".into()));
            return None;
        }
        match url.scheme() {
            "https" => Some(url),
            "http" if is_loopback(&url) => Some(url),
            "http" => {
                self.problem(doc, text.span(), format!("`{key}` uses plain http to a non-loopback host"), "tokens would travel unencrypted", Some("use https:// (plain http is allowed only to 127.0.0.1, ::1 or localhost, for tests)".into()));
                None
            }
            other => {
                self.problem(
                    doc,
                    text.span(),
                    format!("`{key}` has scheme `{other}`"),
                    "expected https",
                    Some(format!("write a full URL, e.g. \"{default}\"")),
                );
                None
            }
        }
    }
}
