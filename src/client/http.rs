//! The HTTP client every host shares: one connection pool, no redirects (so an
//! `Authorization` header can never follow one to another origin), per-request timeouts,
//! bounded retries for 5xx and timeouts, and bounded waits for rate limits.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::header::HeaderMap;
use reqwest::{Client, RequestBuilder, Response, StatusCode};
use tokio::sync::Semaphore;

use super::progress::Progress;
use super::rate_limits::{
    Identity, MAX_RATE_LIMIT_WAITS, RateLimits, beyond_max_wait, rate_limit_wait,
};
use crate::facts::Observation;

/// What a request needs to know of the token it is sent for: its name, for messages,
/// the extra certificate authorities its host is trusted with, and its deadline.
#[derive(Debug, Clone, Copy)]
pub struct RequestContext<'a> {
    pub token: &'a str,
    pub ca_file: Option<&'a Path>,
    pub clock: &'a TokenClock,
}

/// A token's own time (`--deadline`): its requests, their answers, its backoffs and its
/// rate-limit waits. Time queued behind other tokens' requests to the same host is not
/// its fault and is not counted, so a host that stalls for some tokens cannot make
/// healthy ones beside them run out of time.
#[derive(Debug)]
pub struct TokenClock {
    deadline: Duration,
    spent: Mutex<Duration>,
    /// Where the token's waits are noted, to say on standard error what a run waits for.
    watched: Option<(Arc<Progress>, String)>,
}

impl TokenClock {
    pub fn new(deadline: Duration) -> Self {
        TokenClock {
            deadline,
            spent: Mutex::new(Duration::ZERO),
            watched: None,
        }
    }

    /// A clock whose waits for `token` are noted in `progress`.
    pub fn watched(deadline: Duration, progress: Arc<Progress>, token: &str) -> Self {
        TokenClock {
            watched: Some((progress, token.to_owned())),
            ..TokenClock::new(deadline)
        }
    }

    /// What is left, or the host error that says the deadline is spent.
    fn remaining(&self, host: &str) -> Result<Duration, HostError> {
        let spent = *self.spent.lock().expect("never poisoned");
        self.deadline
            .checked_sub(spent)
            .filter(|left| !left.is_zero())
            .ok_or_else(|| self.exceeded(host))
    }

    fn charge(&self, time: Duration) {
        let mut spent = self.spent.lock().expect("never poisoned");
        *spent = spent.saturating_add(time);
    }

    fn exceeded(&self, host: &str) -> HostError {
        HostError::new(
            HostErrorKind::Timeout,
            format!(
                "the check did not finish within --deadline ({}s of its own requests to {host}; time queued behind other tokens' requests is not counted)",
                self.deadline.as_secs_f64()
            ),
        )
    }

    /// Runs `work` within what is left, charging the time it took.
    pub async fn within<T>(
        &self,
        host: &str,
        work: impl std::future::Future<Output = T>,
    ) -> Result<T, HostError> {
        self.within_attempt(host, host, None, work).await
    }

    /// [`Self::within`] for one attempt of a request to `place` (the host and where it is),
    /// noted as waited for while it runs.
    async fn within_attempt<T>(
        &self,
        host: &str,
        place: &str,
        attempt: Option<(u32, u32)>,
        work: impl std::future::Future<Output = T>,
    ) -> Result<T, HostError> {
        let _waiting = self
            .watched
            .as_ref()
            .map(|(progress, token)| progress.waiting(place, token, attempt));
        let left = self.remaining(host)?;
        let started = std::time::Instant::now();
        let outcome = tokio::time::timeout(left, work).await;
        self.charge(started.elapsed());
        outcome.map_err(|_| self.exceeded(host))
    }

    /// Sleeps for `wait` if that fits in what is left.
    pub(super) async fn sleep(&self, host: &str, wait: Duration) -> Result<(), HostError> {
        if wait >= self.remaining(host)? {
            return Err(self.exceeded(host));
        }
        self.within(host, tokio::time::sleep(wait)).await
    }
}

/// One HTTP answer, read in full, with the request that produced it.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
    /// `GET /path`: the method and path (never the query, which may carry state).
    pub request: String,
}

impl Answer {
    /// One header's value, when it is present and readable.
    pub fn header(&self, name: &str) -> Option<String> {
        super::wire::header(&self.headers, name)
    }

    /// A header the host sends once: see [`super::wire::single_header`].
    pub fn single_header(&self, name: &str) -> Result<Option<String>, String> {
        super::wire::single_header(&self.headers, name)
    }

    /// The body as JSON, when it is JSON.
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> Option<T> {
        serde_json::from_str(&self.body).ok()
    }

    /// The body as the JSON object a host documents, or what is wrong with it (the field
    /// that does not read and its value's shape, never the body).
    pub fn read<T: serde::de::DeserializeOwned>(&self) -> Result<T, String> {
        super::wire::read_json(&self.headers, &self.body)
    }

    /// The body as a JSON array of `T` (a listing's page), or what is wrong with it:
    /// "`token_expires_at` of item 3 is not a date-time (a string shaped `9999-99-99`)".
    pub fn read_items<T: serde::de::DeserializeOwned>(&self) -> Result<Vec<T>, String> {
        super::wire::read_json_items(&self.headers, &self.body)
    }

    /// The `message` of a JSON error body.
    pub fn api_message(&self) -> Option<String> {
        super::wire::api_message(&self.body)
    }

    /// " (message)" when the body has one, for host-error messages.
    pub fn quoted_message(&self) -> String {
        self.api_message()
            .map(|m| format!(" ({m})"))
            .unwrap_or_default()
    }

    /// What an unexpected body looks like, for a `host-error` message (never the body).
    pub fn body_kind(&self) -> &'static str {
        super::wire::body_kind(&self.headers, &self.body)
    }

    /// "401 (application/problem+json)": the status and content type, for a message saying
    /// what came back when it was not the host's own answer.
    pub fn status_and_type(&self) -> String {
        super::wire::status_and_type(self.status, &self.headers)
    }

    /// "probe: POST /repos/o/r/git/refs → 422": how a probe's answer is cited as evidence.
    pub fn probe_evidence(&self) -> String {
        format!("probe: {} → {}", self.request, self.status.as_u16())
    }

    /// A redirect's target, for messages (origin and path only).
    pub fn location(&self) -> String {
        self.header("location")
            .map(|l| super::wire::origin_only(&l))
            .unwrap_or_else(|| "nowhere".into())
    }
}

/// Why a host could not be asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostErrorKind {
    /// The request could not be built, or the token's `ca_file` could not be used.
    Request,
    Timeout,
    Connect,
    RateLimited,
    /// 5xx after the retries.
    Status,
    /// A body that was too large or did not arrive whole.
    Body,
}

/// A failure to get an answer, worded for a `host-error` finding.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct HostError {
    pub kind: HostErrorKind,
    pub message: String,
}

impl HostError {
    pub(super) fn new(kind: HostErrorKind, message: impl Into<String>) -> Self {
        HostError {
            kind,
            message: message.into(),
        }
    }
}

impl From<HostError> for Observation {
    fn from(error: HostError) -> Self {
        Observation::host_error(error.message)
    }
}

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
    /// Requests in flight per origin: at most `--concurrency`, whatever any host says.
    in_flight: Mutex<HashMap<String, Arc<Semaphore>>>,
    /// What is waited for, to say so when it takes long.
    progress: Arc<Progress>,
    /// What each identity has left of its rate limit, as its host last said.
    rate_limits: RateLimits,
}

/// The longest pause between two retries.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

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
            in_flight: Mutex::new(HashMap::new()),
            progress: Arc::new(Progress::default()),
            rate_limits: RateLimits::default(),
        }
    }

    /// What this client's requests wait for.
    pub fn progress(&self) -> &Arc<Progress> {
        &self.progress
    }

    fn in_flight(&self, url: &reqwest::Url) -> Arc<Semaphore> {
        let origin = url.origin().ascii_serialization();
        let mut in_flight = self.in_flight.lock().expect("never poisoned");
        in_flight
            .entry(origin)
            .or_insert_with(|| Arc::new(Semaphore::new(self.settings.concurrency.max(1))))
            .clone()
    }

    pub fn settings(&self) -> &HttpSettings {
        &self.settings
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
    fn client_for(&self, ca_file: Option<&Path>) -> Result<Client, HostError> {
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
        let request_error = |message: String| HostError::new(HostErrorKind::Request, message);
        let pem = crate::files::read(ca_file, crate::files::FileKind::CaBundle).map_err(|e| {
            request_error(format!(
                "cannot read ca_file `{}`: it {e}",
                ca_file.display()
            ))
        })?;
        let certificates = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
            request_error(format!(
                "ca_file `{}` is not a PEM certificate bundle: {}",
                ca_file.display(),
                root_cause(&e)
            ))
        })?;
        let client = Self::builder(&self.settings)
            .tls_certs_merge(certificates)
            .build()
            .map_err(|e| {
                request_error(format!(
                    "ca_file `{}` could not be used: {}",
                    ca_file.display(),
                    root_cause(&e)
                ))
            })?;
        clients.insert(ca_file.to_owned(), client.clone());
        Ok(client)
    }

    /// Sends a request built by `build` (called again for each attempt), retrying what
    /// is worth retrying, and reads the answer in full.
    pub async fn send(
        &self,
        host: &str,
        context: RequestContext<'_>,
        build: impl Fn(&Client) -> RequestBuilder,
    ) -> Result<Answer, HostError> {
        let (method, response) = self.execute(host, context, build).await?;
        let status = response.status();
        let headers = response.headers().clone();
        let request = format!("{method} {}", response.url().path());
        let body = context.clock.within(host, read_body(response)).await??;
        Ok(Answer {
            status,
            headers,
            body,
            request,
        })
    }

    async fn execute(
        &self,
        host: &str,
        context: RequestContext<'_>,
        build: impl Fn(&Client) -> RequestBuilder,
    ) -> Result<(reqwest::Method, Response), HostError> {
        let token_name = context.token;
        let client = self.client_for(context.ca_file)?;
        let mut failures = 0;
        let mut waits = 0;
        loop {
            let (_, request) = build(&self.client).build_split();
            let request = request.map_err(|e| {
                HostError::new(
                    HostErrorKind::Request,
                    format!("request to {host} could not be built: {}", root_cause(&e)),
                )
            })?;
            let method = request.method().clone();
            let client = if request.url().scheme() == "http" {
                &self.direct
            } else {
                &client
            };
            let identity = Identity::of(&request);
            self.rate_limits
                .wait(host, &identity, &context, self.settings.max_wait)
                .await?;
            let in_flight = self.in_flight(request.url());
            let place = format!("{host} at {}", request.url().origin().ascii_serialization());
            let permit = in_flight
                .acquire()
                .await
                .expect("in-flight semaphores are never closed");
            // Counted from here: the wait for a permit is other tokens' time.
            let attempt = (failures + 1, self.settings.retries + 1);
            let outcome = context
                .clock
                .within_attempt(host, &place, Some(attempt), client.execute(request))
                .await;
            drop(permit);
            let outcome = outcome?;
            if let Ok(response) = &outcome {
                self.rate_limits
                    .record(identity, response.status(), response.headers());
            }
            let retry_reason = match outcome {
                Ok(response) => {
                    if let Some(wait) = rate_limit_wait(response.status(), response.headers()) {
                        if wait > self.settings.max_wait {
                            return Err(beyond_max_wait(host, wait, self.settings.max_wait));
                        }
                        if waits >= MAX_RATE_LIMIT_WAITS {
                            return Err(HostError::new(
                                HostErrorKind::RateLimited,
                                format!(
                                    "{host} kept answering with its rate limit after {waits} waits"
                                ),
                            ));
                        }
                        waits += 1;
                        eprintln!(
                            "patlint: {host} rate limit reached; waiting {}s before checking token `{token_name}` again",
                            wait.as_secs_f64().ceil()
                        );
                        context.clock.sleep(host, wait).await?;
                        continue;
                    }
                    if !response.status().is_server_error() {
                        return Ok((method, response));
                    }
                    (
                        HostErrorKind::Status,
                        format!("{host} answered {}", response.status()),
                    )
                }
                Err(e) => describe(host, &e),
            };
            failures += 1;
            if failures > self.settings.retries {
                let attempts = failures;
                let (kind, reason) = retry_reason;
                return Err(HostError::new(
                    kind,
                    format!(
                        "{reason} ({attempts} attempt{})",
                        if attempts == 1 { "" } else { "s" }
                    ),
                ));
            }
            let backoff =
                (self.settings.backoff * 2u32.saturating_pow(failures - 1)).min(MAX_BACKOFF);
            context.clock.sleep(host, backoff).await?;
        }
    }
}

fn describe(host: &str, e: &reqwest::Error) -> (HostErrorKind, String) {
    let url = e
        .url()
        .map(|u| format!(" at {}", u.origin().ascii_serialization()))
        .unwrap_or_default();
    if e.is_timeout() {
        (
            HostErrorKind::Timeout,
            format!("{host}{url} did not answer in time"),
        )
    } else if e.is_connect() {
        (
            HostErrorKind::Connect,
            format!("could not connect to {host}{url}: {}", root_cause(e)),
        )
    } else {
        (
            HostErrorKind::Connect,
            format!("request to {host}{url} failed: {}", root_cause(e)),
        )
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

/// Reads an answer's body in full, at most [`MAX_BODY`] bytes. A body that did not arrive
/// whole (a reset, a `Content-Length` longer than what was sent, a chunked body cut off or
/// never finished within the timeout) is a host error: a prefix of an answer can read as a
/// different, complete answer.
async fn read_body(mut response: Response) -> Result<String, HostError> {
    let origin = response.url().origin().ascii_serialization();
    let mut body = Vec::new();
    loop {
        let chunk = match response.chunk().await {
            Ok(Some(chunk)) => chunk,
            Ok(None) => break,
            Err(e) => {
                let (kind, why) = if e.is_timeout() {
                    (HostErrorKind::Timeout, "did not finish in time".to_owned())
                } else {
                    (
                        HostErrorKind::Body,
                        format!("was cut short ({})", root_cause(&e)),
                    )
                };
                return Err(HostError::new(
                    kind,
                    format!("the answer from {origin} {why}, so it was not judged"),
                ));
            }
        };
        if body.len() + chunk.len() > MAX_BODY {
            return Err(HostError::new(
                HostErrorKind::Body,
                format!("{origin} answered with a body over {} KiB", MAX_BODY / 1024),
            ));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(String::from_utf8_lossy(&body).into_owned())
}
