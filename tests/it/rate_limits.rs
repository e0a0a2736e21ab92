//! Rate limits belong to identities, not hosts: GitHub's authenticated limit is the user's
//! behind the token, GitLab's the user's and the IP's. These tests send through the shared
//! client to a local server that can hold answers until enough requests are in flight at
//! once, which is how they show that a budget was not cut (no timing is asserted).

use crate::common;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use patlint::hosts::{HostErrorKind, Http, RequestContext, TokenClock};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::Notify;

fn epoch_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// One request the server saw: its path, its `Authorization`, and when it arrived.
#[derive(Debug, Clone)]
struct Seen {
    path: String,
    authorization: String,
    at_epoch_seconds: u64,
}

/// A local HTTP/1.1 server with three kinds of answer, chosen by path:
/// - `/reject`: 401 with `x-ratelimit-remaining: 0`, as GitHub answers a bad token (the
///   per-IP unauthenticated limit);
/// - `/left/R/reset/S`: 200 saying R requests are left until epoch second S;
/// - `/together/K`: held until K requests to that path are in flight at once, then 200;
///   503 if they never are within 10 s (a budget cut below K).
struct Server {
    address: String,
    held: Arc<Held>,
}

/// What the server knows of the requests it was sent.
#[derive(Default)]
struct Held {
    seen: Mutex<Vec<Seen>>,
    /// Requests being answered now, by path.
    in_flight: Mutex<HashMap<String, usize>>,
    /// Paths whose K requests were once in flight together.
    released: Mutex<HashSet<String>>,
    arrived: Notify,
}

impl Server {
    async fn start() -> Server {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = format!("http://{}", listener.local_addr().unwrap());
        let held = Arc::new(Held::default());
        let shared = held.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(answer(stream, shared.clone()));
            }
        });
        Server { address, held }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    fn seen(&self, path: &str) -> Vec<Seen> {
        let seen = self.held.seen.lock().unwrap();
        seen.iter().filter(|s| s.path == path).cloned().collect()
    }
}

/// Reads a request's head (path and `Authorization`), or `None` if the client left.
async fn read_head(stream: &mut tokio::net::TcpStream) -> Option<(String, String)> {
    let mut head = Vec::new();
    let mut buffer = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 16 * 1024 {
        match stream.read(&mut buffer).await {
            Ok(0) | Err(_) => return None,
            Ok(read) => head.extend_from_slice(&buffer[..read]),
        }
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    let path = head.split(' ').nth(1)?.to_owned();
    let authorization = head
        .lines()
        .find_map(|l| l.strip_prefix("authorization: "))
        .unwrap_or("")
        .to_owned();
    Some((path, authorization))
}

/// Whether `path` has been released: now, if K of its requests are in flight.
fn release(held: &Held, path: &str, count: usize) -> bool {
    let now_in_flight = held.in_flight.lock().unwrap()[path];
    let mut released = held.released.lock().unwrap();
    if now_in_flight >= count || released.contains(path) {
        released.insert(path.to_owned());
        held.arrived.notify_waiters();
        return true;
    }
    false
}

/// Holds a `/together/K` request until K are in flight at once: true if they were.
async fn together(held: &Held, path: &str, count: usize) -> bool {
    let all_in_flight = async {
        loop {
            let notified = held.arrived.notified();
            if release(held, path, count) {
                return;
            }
            notified.await;
        }
    };
    tokio::time::timeout(Duration::from_secs(10), all_in_flight)
        .await
        .is_ok()
}

async fn answer(mut stream: tokio::net::TcpStream, held: Arc<Held>) {
    let Some((path, authorization)) = read_head(&mut stream).await else {
        return;
    };
    held.seen.lock().unwrap().push(Seen {
        path: path.clone(),
        authorization,
        at_epoch_seconds: epoch_now(),
    });
    *held
        .in_flight
        .lock()
        .unwrap()
        .entry(path.clone())
        .or_default() += 1;
    held.arrived.notify_waiters();
    let far = epoch_now() + 3600;
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let (status, headers) = match parts.as_slice() {
        ["reject"] => (
            "401 Unauthorized",
            format!("x-ratelimit-remaining: 0\r\nx-ratelimit-reset: {far}\r\n"),
        ),
        ["left", left, "reset", reset] => (
            "200 OK",
            format!("x-ratelimit-remaining: {left}\r\nx-ratelimit-reset: {reset}\r\n"),
        ),
        ["together", count] => {
            let status = if together(&held, &path, count.parse().unwrap()).await {
                "200 OK"
            } else {
                "503 Service Unavailable"
            };
            (
                status,
                format!("x-ratelimit-remaining: 4999\r\nx-ratelimit-reset: {far}\r\n"),
            )
        }
        _ => ("404 Not Found", String::new()),
    };
    let response = format!(
        "HTTP/1.1 {status}\r\n{headers}content-type: application/json\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{{}}"
    );
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
    *held.in_flight.lock().unwrap().get_mut(&path).unwrap() -= 1;
}

/// No retries, and a timeout longer than the server holds a request: a budget cut shows
/// as a 503 answer, never as a retry that happens to arrive later.
fn settings() -> patlint::hosts::HttpSettings {
    patlint::hosts::HttpSettings {
        retries: 0,
        timeout: Duration::from_secs(15),
        ..common::quick_settings()
    }
}

/// Sends `GET url` for `token`, with `Authorization: token <secret>`.
async fn get(
    http: &Http,
    token: &str,
    secret: &str,
    url: &str,
) -> Result<u16, patlint::hosts::HostError> {
    let clock = TokenClock::new(http.settings().deadline);
    let context = RequestContext {
        token,
        ca_file: None,
        clock: &clock,
    };
    let answer = http
        .send("the test host", context, |client| {
            client
                .get(url)
                .header("authorization", format!("token {secret}"))
        })
        .await?;
    Ok(answer.status.as_u16())
}

/// `count` requests at once, each for its own token (or all for one, when `secret` is
/// given), all to `url`.
async fn at_once(
    http: &Http,
    count: usize,
    secret: Option<&str>,
    url: &str,
) -> Vec<Result<u16, patlint::hosts::HostError>> {
    let requests = (0..count).map(|i| {
        let own = format!("healthy{i:0>20}");
        let secret = secret.map(str::to_owned).unwrap_or(own);
        async move { get(http, &format!("t{i}"), &secret, url).await }
    });
    futures_util::future::join_all(requests).await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rejected_tokens_401_does_not_slow_the_healthy_tokens_on_its_host() {
    let server = Server::start().await;
    let http = Http::new(settings());
    // The rejected token answers first, with the per-IP limit spent.
    assert_eq!(
        get(&http, "bad", "badtoken0000", &server.url("/reject")).await,
        Ok(401)
    );
    // Twenty healthy tokens are then all in flight at once on the same host: the 401's
    // rate-limit headers cut nobody's budget.
    let statuses = at_once(&http, 20, None, &server.url("/together/20")).await;
    assert!(statuses.iter().all(|s| s == &Ok(200)), "{statuses:?}");
    // And the rejected token itself is not held back either.
    assert_eq!(
        get(&http, "bad", "badtoken0000", &server.url("/reject")).await,
        Ok(401)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_token_spends_only_what_its_host_said_was_left_and_others_keep_their_own() {
    let server = Server::start().await;
    let http = Http::new(settings());
    let far = epoch_now() + 3600;
    let two_left = server.url(&format!("/left/2/reset/{far}"));
    assert_eq!(get(&http, "t", "shared000000", &two_left).await, Ok(200));
    // Five more at once for the same token: two go out, three are refused without being
    // sent, since the window resets after --max-wait. The two are held (three are never in
    // flight together, so they get a 503 after 10 s): an answer that refreshed the window
    // before the other three were decided would make the count depend on scheduling.
    let statuses = at_once(&http, 5, Some("shared000000"), &server.url("/together/3")).await;
    let refused: Vec<_> = statuses
        .iter()
        .filter_map(|s| s.as_ref().err())
        .filter(|e| e.kind == HostErrorKind::RateLimited)
        .collect();
    assert_eq!(refused.len(), 3, "{statuses:?}");
    for refused in refused {
        assert_eq!(refused.kind, HostErrorKind::RateLimited);
        assert!(
            refused.message.contains("longer than --max-wait"),
            "{}",
            refused.message
        );
    }
    assert_eq!(server.seen("/together/3").len(), 2);
    // Another token on the same host is not held back.
    let statuses = at_once(&http, 10, None, &server.url("/together/10")).await;
    assert!(statuses.iter().all(|s| s == &Ok(200)), "{statuses:?}");
    assert!(
        server
            .seen("/together/10")
            .iter()
            .all(|s| !s.authorization.contains("shared")),
        "the spent token sent nothing more"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_spent_window_is_waited_out_and_then_whole_again() {
    let server = Server::start().await;
    let http = Http::new(settings());
    let reset = epoch_now() + 1;
    let spent = server.url(&format!("/left/0/reset/{reset}"));
    assert_eq!(get(&http, "t", "shared000000", &spent).await, Ok(200));
    // Ten at once for the same token: each waits for the reset, then all ten are in
    // flight together, so the budget came back whole rather than staying cut.
    let statuses = at_once(&http, 10, Some("shared000000"), &server.url("/together/10")).await;
    assert!(statuses.iter().all(|s| s == &Ok(200)), "{statuses:?}");
    let after = server.seen("/together/10");
    assert_eq!(after.len(), 10);
    assert!(
        after.iter().all(|s| s.at_epoch_seconds >= reset),
        "sent before the reset at {reset}: {after:?}"
    );
}
