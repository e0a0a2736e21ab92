//! Rate limits, kept per identity as the hosts count them: what each token's host said was
//! left of its window, spent as requests go out, and forgotten when the window resets. The
//! headers: GitHub's `x-ratelimit-*`
//! (docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api) and GitLab's
//! `RateLimit-*` (docs.gitlab.com/administration/settings/user_and_ip_rate_limits).
//!
//! The clock is read here only to time waits (how long until a window resets, in the
//! host's epoch seconds against ours), never to judge a token: every verdict about time
//! is evaluation's, against `--now` or the recorded observation time.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::StatusCode;
use reqwest::header::{HeaderMap, RETRY_AFTER};

use super::http::{HostError, HostErrorKind, RequestContext};

/// Whose rate limit a request spends. GitHub's authenticated limit belongs to the user
/// behind the token, not to the host ("Rate limits for the REST API",
/// docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api); GitLab's to the
/// user or the IP (docs.gitlab.com/administration/settings/user_and_ip_rate_limits). So a
/// window is kept per origin and per credential: a keyed hash of the credential headers the request carries, with a key
/// drawn for this process, so the credential cannot be recovered from it and is never kept.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) struct Identity {
    origin: String,
    credential: u64,
}

impl Identity {
    pub(super) fn of(request: &reqwest::Request) -> Self {
        use std::hash::BuildHasher;
        static KEY: std::sync::OnceLock<std::hash::RandomState> = std::sync::OnceLock::new();
        let credentials: Vec<&[u8]> = CREDENTIAL_HEADERS
            .iter()
            .filter_map(|name| request.headers().get(*name))
            .map(|value| value.as_bytes())
            .collect();
        let credential = KEY.get_or_init(Default::default).hash_one(credentials);
        Identity {
            origin: request.url().origin().ascii_serialization(),
            credential,
        }
    }
}

/// The headers that carry a credential: `Authorization` (GitHub, Azure DevOps, an Entra
/// token) and GitLab's `PRIVATE-TOKEN`. A request with neither is the anonymous identity of
/// its origin.
const CREDENTIAL_HEADERS: [&str; 2] = ["authorization", "private-token"];

/// One identity's rate-limit window: the requests the host said were left, less those
/// sent since, until the instant the host said it resets. After that it is forgotten, so a
/// budget recovers with its window.
#[derive(Debug, Clone, Copy)]
struct RateWindow {
    remaining: u64,
    resets_at: std::time::Instant,
}

/// Whether an identity may send now.
#[derive(Debug, PartialEq, Eq)]
enum Spend {
    Go,
    /// Its window is used up; it resets after this long.
    WaitFor(Duration),
}

/// Every identity's window in one run.
#[derive(Debug, Default)]
pub(super) struct RateLimits {
    windows: Mutex<HashMap<Identity, RateWindow>>,
}

/// How many rate-limit waits one request may sit through.
pub(super) const MAX_RATE_LIMIT_WAITS: u32 = 3;

impl RateLimits {
    /// Takes one request from `identity`'s window, or says how long until it resets.
    fn spend(&self, identity: &Identity, now: std::time::Instant) -> Spend {
        let mut windows = self.windows.lock().expect("never poisoned");
        let Some(window) = windows.get_mut(identity) else {
            return Spend::Go;
        };
        if window.resets_at <= now {
            windows.remove(identity);
            return Spend::Go;
        }
        match window.remaining.checked_sub(1) {
            Some(left) => {
                window.remaining = left;
                Spend::Go
            }
            None => Spend::WaitFor(window.resets_at - now),
        }
    }

    /// Keeps what an answer says of its identity's window. A 401 says nothing about it:
    /// GitHub sends the unauthenticated, per-IP limit there (60 an hour), which is not the
    /// limit of any token that works.
    pub(super) fn record(&self, identity: Identity, status: StatusCode, headers: &HeaderMap) {
        if status == StatusCode::UNAUTHORIZED {
            return;
        }
        let (Some(remaining), Some(resets_in)) = (remaining(headers), resets_in(headers)) else {
            return;
        };
        let Some(resets_at) = std::time::Instant::now().checked_add(resets_in) else {
            return;
        };
        self.windows.lock().expect("never poisoned").insert(
            identity,
            RateWindow {
                remaining,
                resets_at,
            },
        );
    }

    /// Waits until `identity` may send: at once, unless the host said its window is used
    /// up, then until it resets (within `--max-wait` and the token's deadline).
    pub(super) async fn wait(
        &self,
        host: &str,
        identity: &Identity,
        context: &RequestContext<'_>,
        max_wait: Duration,
    ) -> Result<(), HostError> {
        for _ in 0..=MAX_RATE_LIMIT_WAITS {
            let Spend::WaitFor(wait) = self.spend(identity, std::time::Instant::now()) else {
                return Ok(());
            };
            if wait > max_wait {
                return Err(beyond_max_wait(host, wait, max_wait));
            }
            eprintln!(
                "patlint: token `{}` has used up its {host} rate limit; waiting {}s for it to reset",
                context.token,
                wait.as_secs_f64().ceil()
            );
            context.clock.sleep(host, wait).await?;
        }
        Err(HostError::new(
            HostErrorKind::RateLimited,
            format!(
                "{host} rate limit of token `{}` did not reset",
                context.token
            ),
        ))
    }
}

pub(super) fn beyond_max_wait(host: &str, wait: Duration, max_wait: Duration) -> HostError {
    HostError::new(
        HostErrorKind::RateLimited,
        format!(
            "{host} rate limit reached; it resets in {}s, longer than --max-wait ({}s)",
            wait.as_secs(),
            max_wait.as_secs()
        ),
    )
}

/// What the host says is left of its rate limit (GitHub `x-ratelimit-remaining`, GitLab
/// `RateLimit-Remaining`).
fn remaining(headers: &HeaderMap) -> Option<u64> {
    number(headers, &["x-ratelimit-remaining", "ratelimit-remaining"])
}

/// The first of `names` that is present and a whole number.
fn number(headers: &HeaderMap, names: &[&str]) -> Option<u64> {
    names
        .iter()
        .find_map(|name| headers.get(*name)?.to_str().ok()?.trim().parse().ok())
}

/// How long to wait before retrying, when the answer is a rate limit.
///
/// GitHub: 403 or 429 with `x-ratelimit-remaining: 0` (wait for `x-ratelimit-reset`) or
/// with `retry-after`. GitLab: 429 with `RateLimit-Reset` / `Retry-After`.
pub fn rate_limit_wait(status: StatusCode, headers: &HeaderMap) -> Option<Duration> {
    let retry_after = number(headers, &[RETRY_AFTER.as_str()]);
    let exhausted = remaining(headers) == Some(0);
    let limited = status == StatusCode::TOO_MANY_REQUESTS
        || (status == StatusCode::FORBIDDEN && (exhausted || retry_after.is_some()));
    if !limited {
        return None;
    }
    if let Some(seconds) = retry_after {
        return Some(Duration::from_secs(seconds));
    }
    // GitHub: "wait for at least one minute before retrying".
    Some(resets_in(headers).unwrap_or(Duration::from_secs(60)))
}

/// How long until the rate-limit window resets: GitHub's `x-ratelimit-reset` ("the time at
/// which the current rate limit window resets in UTC epoch seconds", rate-limits-for-the-
/// rest-api) and GitLab's `RateLimit-Reset` ("Unix time-formatted time when the request
/// quota is reset", user_and_ip_rate_limits) are both the reset instant.
fn resets_in(headers: &HeaderMap) -> Option<Duration> {
    let reset = number(headers, &["x-ratelimit-reset", "ratelimit-reset"])?;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    // One extra second: the reset instant is rounded down to whole seconds.
    Some(Duration::from_secs(
        reset.saturating_sub(now).saturating_add(1),
    ))
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

    fn in_an_hour() -> String {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
        (now.as_secs() + 3600).to_string()
    }

    fn identity(credential: u64) -> Identity {
        Identity {
            origin: "https://api.github.com".into(),
            credential,
        }
    }

    #[test]
    fn an_identity_spends_what_its_host_said_was_left_then_waits_for_the_reset() {
        let limits = RateLimits::default();
        let now = std::time::Instant::now();
        let reset = in_an_hour();
        let two_left = headers(&[
            ("x-ratelimit-remaining", "2"),
            ("x-ratelimit-reset", &reset),
        ]);
        limits.record(identity(1), StatusCode::OK, &two_left);
        assert_eq!(limits.spend(&identity(1), now), Spend::Go);
        assert_eq!(limits.spend(&identity(1), now), Spend::Go);
        let Spend::WaitFor(wait) = limits.spend(&identity(1), now) else {
            panic!("the window is used up")
        };
        assert!(wait > Duration::from_secs(3590), "{wait:?}");
        // Another identity on the same host has its own window.
        assert_eq!(limits.spend(&identity(2), now), Spend::Go);
        // Once the window resets, the budget is whole again.
        let later = now + Duration::from_secs(3602);
        assert_eq!(limits.spend(&identity(1), later), Spend::Go);
        assert_eq!(limits.spend(&identity(1), later), Spend::Go);
    }

    #[test]
    fn a_401_says_nothing_about_any_tokens_rate_limit() {
        let limits = RateLimits::default();
        let reset = in_an_hour();
        let unauthenticated = headers(&[
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-reset", &reset),
        ]);
        limits.record(identity(1), StatusCode::UNAUTHORIZED, &unauthenticated);
        assert_eq!(
            limits.spend(&identity(1), std::time::Instant::now()),
            Spend::Go
        );
        // A window without a reset instant could never recover, so it is not kept.
        limits.record(
            identity(1),
            StatusCode::OK,
            &headers(&[("x-ratelimit-remaining", "0")]),
        );
        assert_eq!(
            limits.spend(&identity(1), std::time::Instant::now()),
            Spend::Go
        );
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
