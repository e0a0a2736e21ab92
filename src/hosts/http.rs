//! The HTTP client every host shares: one connection pool, no redirects (so an
//! `Authorization` header can never follow one to another origin), per-request timeouts,
//! bounded retries for 5xx and timeouts, and bounded waits for rate limits.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::{Client, RequestBuilder, Response, StatusCode};

#[derive(Debug, Clone)]
pub struct HttpSettings {
    /// Per-request timeout.
    pub timeout: Duration,
    /// The longest patlint waits for a rate limit to reset before giving up on a token.
    pub max_wait: Duration,
    /// Retries after a 5xx answer, a timeout or a failed connection.
    pub retries: u32,
    /// First backoff delay; doubled after each retry.
    pub backoff: Duration,
    /// Requests in flight per host.
    pub concurrency: usize,
}

impl Default for HttpSettings {
    fn default() -> Self {
        HttpSettings {
            timeout: Duration::from_secs(10),
            max_wait: Duration::from_secs(60),
            retries: 2,
            backoff: Duration::from_millis(500),
            concurrency: 64,
        }
    }
}

pub struct Http {
    client: Client,
    settings: HttpSettings,
}

/// The longest pause between two retries.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// How many rate-limit waits one request may sit through.
const MAX_RATE_LIMIT_WAITS: u32 = 3;

impl Http {
    pub fn new(settings: HttpSettings) -> Self {
        let client = Client::builder()
            .user_agent(concat!("patlint/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::none())
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout)
            .build()
            .expect("the HTTP client configuration is static and valid");
        Http { client, settings }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Sends a request built by `build` (called again for each attempt), retrying what
    /// is worth retrying. `Err` is a description fit for a `host-error` finding.
    pub async fn send(
        &self,
        host: &str,
        token_name: &str,
        build: impl Fn() -> RequestBuilder,
    ) -> Result<Response, String> {
        let mut failures = 0;
        let mut waits = 0;
        loop {
            let outcome = build().send().await;
            let retry_reason = match outcome {
                Ok(response) => {
                    if let Some(wait) = rate_limit_wait(response.status(), response.headers()) {
                        if wait > self.settings.max_wait {
                            return Err(format!(
                                "{host} rate limit reached; it resets in {}s, longer than --max-wait ({}s)",
                                wait.as_secs(),
                                self.settings.max_wait.as_secs()
                            ));
                        }
                        if waits >= MAX_RATE_LIMIT_WAITS {
                            return Err(format!(
                                "{host} kept answering with its rate limit after {waits} waits"
                            ));
                        }
                        waits += 1;
                        eprintln!(
                            "patlint: {host} rate limit reached; waiting {}s before checking token `{token_name}` again",
                            wait.as_secs_f64().ceil()
                        );
                        tokio::time::sleep(wait).await;
                        continue;
                    }
                    if !response.status().is_server_error() {
                        return Ok(response);
                    }
                    format!("{host} answered {}", response.status())
                }
                Err(e) => describe(host, &e),
            };
            failures += 1;
            if failures > self.settings.retries {
                let attempts = failures;
                return Err(format!(
                    "{retry_reason} ({attempts} attempt{})",
                    if attempts == 1 { "" } else { "s" }
                ));
            }
            let backoff =
                (self.settings.backoff * 2u32.saturating_pow(failures - 1)).min(MAX_BACKOFF);
            tokio::time::sleep(backoff).await;
        }
    }
}

fn describe(host: &str, e: &reqwest::Error) -> String {
    let url = e
        .url()
        .map(|u| format!(" at {}", u.origin().ascii_serialization()))
        .unwrap_or_default();
    if e.is_timeout() {
        format!("{host}{url} did not answer in time")
    } else if e.is_connect() {
        format!("could not connect to {host}{url}: {}", root_cause(e))
    } else {
        format!("request to {host}{url} failed: {}", root_cause(e))
    }
}

fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

/// How long to wait before retrying, when the answer is a rate limit.
///
/// GitHub: 403 or 429 with `x-ratelimit-remaining: 0` (wait for `x-ratelimit-reset`) or
/// with `retry-after`. GitLab: 429 with `RateLimit-Reset` / `Retry-After`.
pub fn rate_limit_wait(status: StatusCode, headers: &HeaderMap) -> Option<Duration> {
    let number = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
    };
    let retry_after = number(RETRY_AFTER.as_str());
    let exhausted =
        number("x-ratelimit-remaining") == Some(0) || number("ratelimit-remaining") == Some(0);
    let limited = status == StatusCode::TOO_MANY_REQUESTS
        || (status == StatusCode::FORBIDDEN && (exhausted || retry_after.is_some()));
    if !limited {
        return None;
    }
    if let Some(seconds) = retry_after {
        return Some(Duration::from_secs(seconds));
    }
    let reset = number("x-ratelimit-reset").or_else(|| number("ratelimit-reset"));
    if let Some(reset) = reset {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        // One extra second: the reset instant is rounded down to whole seconds.
        return Some(Duration::from_secs(reset.saturating_sub(now) + 1));
    }
    // GitHub: "wait for at least one minute before retrying".
    Some(Duration::from_secs(60))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        map
    }

    #[test]
    fn recognises_rate_limits_but_not_permission_errors() {
        let limited = headers(&[("x-ratelimit-remaining", "0"), ("retry-after", "3")]);
        assert_eq!(
            rate_limit_wait(StatusCode::FORBIDDEN, &limited),
            Some(Duration::from_secs(3))
        );
        let permission = headers(&[("x-ratelimit-remaining", "4999")]);
        assert_eq!(rate_limit_wait(StatusCode::FORBIDDEN, &permission), None);
        assert_eq!(
            rate_limit_wait(StatusCode::TOO_MANY_REQUESTS, &HeaderMap::new()),
            Some(Duration::from_secs(60))
        );
        let far = format!(
            "{}",
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap()
                .as_secs()
                + 3600
        );
        let reset = headers(&[("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", &far)]);
        let wait = rate_limit_wait(StatusCode::FORBIDDEN, &reset).unwrap();
        assert!(wait > Duration::from_secs(3590) && wait <= Duration::from_secs(3601));
    }
}
