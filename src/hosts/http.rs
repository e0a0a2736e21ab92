//! The HTTP client every host shares: one connection pool, no redirects (so an
//! `Authorization` header can never follow one to another origin), per-request timeouts,
//! bounded retries for 5xx and timeouts, and bounded waits for rate limits.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::sync::Semaphore;

use crate::policy::TokenSpec;

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
    /// The longest one token's whole check may take.
    pub deadline: Duration,
}

impl Default for HttpSettings {
    fn default() -> Self {
        HttpSettings {
            timeout: Duration::from_secs(10),
            max_wait: Duration::from_secs(60),
            retries: 2,
            backoff: Duration::from_millis(500),
            concurrency: 64,
            deadline: Duration::from_secs(120),
        }
    }
}

pub struct Http {
    client: Client,
    /// For plain-HTTP URLs, which policies allow only to loopback: never through a proxy,
    /// which would carry the token in clear over the network.
    direct: Client,
    settings: HttpSettings,
    /// Clients that also trust a token's `ca_file`, by file.
    with_ca: Mutex<HashMap<PathBuf, Client>>,
    budgets: Mutex<HashMap<String, Arc<Budget>>>,
}

/// Requests in flight to one origin: at most `--concurrency`, and fewer once the host says
/// its rate limit is running out, so that patlint slows down before the host refuses.
struct Budget {
    permits: Semaphore,
    limit: AtomicUsize,
    /// Permits to retire as requests finish (they were in flight when the limit dropped).
    debt: AtomicUsize,
}

impl Budget {
    fn new(limit: usize) -> Self {
        Budget {
            permits: Semaphore::new(limit),
            limit: AtomicUsize::new(limit),
            debt: AtomicUsize::new(0),
        }
    }

    /// Lowers the limit to what the host says is left (never below one, never raised:
    /// a run is short next to a rate-limit window).
    fn lower_to(&self, remaining: usize) -> Option<usize> {
        let target = remaining.max(1);
        let current = self.limit.load(Ordering::Acquire);
        if target >= current
            || self
                .limit
                .compare_exchange(current, target, Ordering::AcqRel, Ordering::Acquire)
                .is_err()
        {
            return None;
        }
        let excess = current - target;
        let retired = self.permits.forget_permits(excess);
        self.debt.fetch_add(excess - retired, Ordering::AcqRel);
        Some(target)
    }

    /// Returns a permit, or retires it if the limit was lowered while it was in flight.
    fn release(&self, permit: tokio::sync::SemaphorePermit<'_>) {
        let paid = self
            .debt
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |d| d.checked_sub(1))
            .is_ok();
        if paid {
            permit.forget();
        }
    }
}

/// The longest pause between two retries.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// How many rate-limit waits one request may sit through.
const MAX_RATE_LIMIT_WAITS: u32 = 3;

impl Http {
    pub fn new(settings: HttpSettings) -> Self {
        let client = Self::builder(&settings)
            .build()
            .expect("the HTTP client configuration is static and valid");
        let direct = Self::builder(&settings)
            .no_proxy()
            .build()
            .expect("the HTTP client configuration is static and valid");
        Http {
            client,
            direct,
            settings,
            with_ca: Mutex::new(HashMap::new()),
            budgets: Mutex::new(HashMap::new()),
        }
    }

    fn budget(&self, url: &reqwest::Url) -> Arc<Budget> {
        let origin = url.origin().ascii_serialization();
        let mut budgets = self
            .budgets
            .lock()
            .expect("the budget map is never poisoned");
        budgets
            .entry(origin)
            .or_insert_with(|| Arc::new(Budget::new(self.settings.concurrency.max(1))))
            .clone()
    }

    pub fn settings(&self) -> &HttpSettings {
        &self.settings
    }

    /// A client to build requests with; `send` executes them with the token's own.
    pub fn client(&self) -> &Client {
        &self.client
    }

    fn builder(settings: &HttpSettings) -> reqwest::ClientBuilder {
        Client::builder()
            .user_agent(concat!("patlint/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::none())
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout)
    }

    /// The client for a token: the shared one, or one that also trusts `ca_file` (built
    /// once per file, so its connections are reused too).
    fn client_for(&self, ca_file: Option<&Path>) -> Result<Client, String> {
        let Some(ca_file) = ca_file else {
            return Ok(self.client.clone());
        };
        let mut clients = self
            .with_ca
            .lock()
            .expect("the client map is never poisoned");
        if let Some(client) = clients.get(ca_file) {
            return Ok(client.clone());
        }
        let pem = std::fs::read(ca_file)
            .map_err(|e| format!("cannot read ca_file `{}`: {e}", ca_file.display()))?;
        let certificates = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
            format!(
                "ca_file `{}` is not a PEM certificate bundle: {}",
                ca_file.display(),
                root_cause(&e)
            )
        })?;
        let client = Self::builder(&self.settings)
            .tls_certs_merge(certificates)
            .build()
            .map_err(|e| {
                format!(
                    "ca_file `{}` could not be used: {}",
                    ca_file.display(),
                    root_cause(&e)
                )
            })?;
        clients.insert(ca_file.to_owned(), client.clone());
        Ok(client)
    }

    /// Sends a request built by `build` (called again for each attempt), retrying what
    /// is worth retrying. `Err` is a description fit for a `host-error` finding.
    pub async fn send(
        &self,
        host: &str,
        token: &TokenSpec,
        build: impl Fn() -> RequestBuilder,
    ) -> Result<Response, String> {
        let token_name = &token.name;
        let client = self.client_for(token.ca_file.as_deref())?;
        let mut failures = 0;
        let mut waits = 0;
        loop {
            let (_, request) = build().build_split();
            let request = request
                .map_err(|e| format!("request to {host} could not be built: {}", root_cause(&e)))?;
            let client = if request.url().scheme() == "http" {
                &self.direct
            } else {
                &client
            };
            let budget_origin = request.url().origin().ascii_serialization();
            let budget = self.budget(request.url());
            let permit = budget
                .permits
                .acquire()
                .await
                .expect("budget semaphores are never closed");
            let outcome = client.execute(request).await;
            budget.release(permit);
            if let Ok(response) = &outcome
                && let Some(remaining) = remaining(response.headers())
                && let Some(lowered) = budget.lower_to(remaining)
            {
                eprintln!(
                    "patlint: {host} ({}) has {remaining} requests left in its rate limit; lowering concurrency to {lowered}",
                    budget_origin
                );
            }
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

/// Token answers are a few kilobytes; a body past this is a broken or hostile server.
const MAX_BODY: usize = 1024 * 1024;

/// Reads an answer's body, at most [`MAX_BODY`] bytes. A body cut short by the server
/// reads as what arrived (an unparseable answer, judged by the caller).
pub async fn read_body(mut response: Response) -> Result<String, String> {
    let mut body = Vec::new();
    while let Ok(Some(chunk)) = response.chunk().await {
        if body.len() + chunk.len() > MAX_BODY {
            return Err(format!(
                "{} answered with a body over {} KiB",
                response.url().origin().ascii_serialization(),
                MAX_BODY / 1024
            ));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(String::from_utf8_lossy(&body).into_owned())
}

/// What the host says is left of its rate limit (GitHub `x-ratelimit-remaining`, GitLab
/// `RateLimit-Remaining`).
fn remaining(headers: &HeaderMap) -> Option<usize> {
    ["x-ratelimit-remaining", "ratelimit-remaining"]
        .iter()
        .find_map(|name| headers.get(*name)?.to_str().ok()?.trim().parse().ok())
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

    #[test]
    fn a_budget_only_shrinks_and_retires_permits_in_flight() {
        let budget = Budget::new(64);
        let held: Vec<_> = (0..10)
            .map(|_| budget.permits.try_acquire().unwrap())
            .collect();
        assert_eq!(budget.lower_to(100), None);
        assert_eq!(budget.lower_to(5), Some(5));
        // 54 free permits retired at once; 5 of the 10 in flight owe their retirement.
        assert_eq!(budget.permits.available_permits(), 0);
        for permit in held {
            budget.release(permit);
        }
        assert_eq!(budget.permits.available_permits(), 5);
        assert_eq!(budget.lower_to(0), Some(1));
        assert_eq!(budget.permits.available_permits(), 1);
        assert_eq!(budget.lower_to(3), None);
    }
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
