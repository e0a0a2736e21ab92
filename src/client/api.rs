//! A host's REST API asked with one token: its base URL, the header that carries the
//! token, the headers every request of that host also sends, and the token's [`Call`].
//! Each host keeps what is its own (GitLab's `api/v4/` prefix, Azure DevOps'
//! `api-version`, GitHub's paths with their query) in its folder, as small functions
//! around this.

use reqwest::header::{AUTHORIZATION, HeaderName, HeaderValue};
use reqwest::{Method, Url};

use super::wire::{join, sensitive_header};
use super::{Answer, Call};
use crate::facts::Observation;

pub(crate) struct Api<'a> {
    pub call: &'a Call<'a>,
    /// The host's name, for messages and the shared client's bookkeeping ("GitHub").
    product: &'static str,
    base: Url,
    /// The header that carries the token, marked sensitive: never logged, and not in
    /// any `Debug` (this type has none) or message.
    auth: (HeaderName, HeaderValue),
    /// What every request to this host also says (`Accept`, an API version), in order.
    headers: Vec<(HeaderName, HeaderValue)>,
}

impl<'a> Api<'a> {
    /// Authenticated with `Authorization: Bearer {secret}`.
    pub(crate) fn bearer(
        call: &'a Call<'a>,
        product: &'static str,
        base: Url,
    ) -> Result<Self, Observation> {
        let auth = sensitive_header(&format!("Bearer {}", call.secret().expose()))
            .map_err(Observation::host_error)?;
        Ok(Self::with_auth(call, product, base, (AUTHORIZATION, auth)))
    }

    /// Authenticated with the bare secret in a header of the host's own
    /// (GitLab's `PRIVATE-TOKEN`).
    pub(crate) fn secret_in(
        call: &'a Call<'a>,
        product: &'static str,
        base: Url,
        header: HeaderName,
    ) -> Result<Self, Observation> {
        let auth = sensitive_header(call.secret().expose()).map_err(Observation::host_error)?;
        Ok(Self::with_auth(call, product, base, (header, auth)))
    }

    fn with_auth(
        call: &'a Call<'a>,
        product: &'static str,
        base: Url,
        auth: (HeaderName, HeaderValue),
    ) -> Self {
        Api {
            call,
            product,
            base,
            auth,
            headers: Vec::new(),
        }
    }

    /// Adds a header every request sends.
    pub(crate) fn with_header(mut self, name: HeaderName, value: &'static str) -> Self {
        self.headers.push((name, HeaderValue::from_static(value)));
        self
    }

    pub(crate) fn base(&self) -> &Url {
        &self.base
    }

    /// `{base}/{path}?{query}`, each query pair encoded; no `?` without a query.
    pub(crate) fn url(&self, path: &str, query: &[(&str, &str)]) -> Url {
        let mut url = join(&self.base, path);
        if !query.is_empty() {
            let mut pairs = url.query_pairs_mut();
            for (key, value) in query {
                pairs.append_pair(key, value);
            }
        }
        url
    }

    /// A link a page gave, as a URL of this API; `None` for one elsewhere, where the
    /// token would go with it.
    pub(crate) fn within(&self, link: &str) -> Option<Url> {
        within(&self.base, link)
    }

    pub(crate) async fn get(&self, url: &Url) -> Result<Answer, Observation> {
        self.send(Method::GET, url, None).await
    }

    /// One request, with the token and this host's headers, through the shared client
    /// (no redirects followed, retries and rate limits handled there).
    pub(crate) async fn send(
        &self,
        method: Method,
        url: &Url,
        body: Option<&serde_json::Value>,
    ) -> Result<Answer, Observation> {
        self.call
            .send(self.product, |client| {
                let (name, value) = &self.auth;
                let mut request = client
                    .request(method.clone(), url.clone())
                    .header(name, value.clone());
                for (name, value) in &self.headers {
                    request = request.header(name, value.clone());
                }
                match body {
                    Some(body) => request.json(body),
                    None => request,
                }
            })
            .await
            .map_err(Observation::from)
    }
}

/// `link` as a URL under `base` (same origin, path below it), or `None`.
fn within(base: &Url, link: &str) -> Option<Url> {
    let url = Url::parse(link).ok()?;
    (url.origin() == base.origin() && url.path().starts_with(base.path())).then_some(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_is_followed_only_within_the_api() {
        let base = Url::parse("https://gitlab.example.com/api/v4/").unwrap();
        let page_two = "https://gitlab.example.com/api/v4/x?page=2";
        assert_eq!(within(&base, page_two).unwrap().as_str(), page_two);
        for elsewhere in [
            "https://gitlab.example.com/other/x",
            "https://evil.example.com/api/v4/x",
            "http://gitlab.example.com/api/v4/x",
            "not a url",
        ] {
            assert!(within(&base, elsewhere).is_none(), "{elsewhere}");
        }
    }
}
