//! Saying on standard error what a run waits for, when it waits long: a host that accepts
//! connections and never answers must not look like a hung patlint. Every request (and
//! every SDK call) is noted here while it is in flight; while one has waited longer than
//! a few seconds, a line says which host, how many tokens are pending and which attempt
//! it is: redrawn in place on a terminal, a plain line every ten seconds in a CI log.
//! Standard output and every report stay as they are.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::future::Future;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// When and how waiting is said.
#[derive(Debug, Clone, Copy)]
pub struct ProgressSettings {
    /// How long a request waits before it is said to.
    pub after: Duration,
    /// How often a plain line is written while something waits (not on a terminal).
    pub every: Duration,
    /// How often the line is redrawn on a terminal.
    pub redraw: Duration,
    /// Whether standard error is a terminal: one line redrawn in place, else plain lines.
    pub terminal: bool,
}

impl ProgressSettings {
    /// A few seconds of silence, then a word; every ten seconds in a log.
    pub fn for_stderr(terminal: bool) -> Self {
        ProgressSettings {
            after: Duration::from_secs(5),
            every: Duration::from_secs(10),
            redraw: Duration::from_secs(1),
            terminal,
        }
    }

    /// Every interval the same (tests: a few milliseconds).
    pub fn every(interval: Duration, terminal: bool) -> Self {
        ProgressSettings {
            after: interval,
            every: interval,
            redraw: interval,
            terminal,
        }
    }
}

/// What is in flight: one entry per request or SDK call.
#[derive(Debug, Default)]
pub struct Progress {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    next: u64,
    pending: HashMap<u64, Pending>,
}

#[derive(Debug)]
struct Pending {
    /// "GitHub at https://ghe.example.com", "AWS".
    host: String,
    token: String,
    /// The attempt and how many there may be, when retries are patlint's own.
    attempt: Option<(u32, u32)>,
    since: Instant,
}

/// An entry in flight; dropping it says the wait is over.
pub struct Waiting {
    progress: Arc<Progress>,
    id: u64,
}

impl Drop for Waiting {
    fn drop(&mut self) {
        self.progress
            .state
            .lock()
            .expect("never poisoned")
            .pending
            .remove(&self.id);
    }
}

impl Progress {
    /// Notes that `token`'s request to `host` is in flight until the result is dropped.
    pub fn waiting(
        self: &Arc<Self>,
        host: &str,
        token: &str,
        attempt: Option<(u32, u32)>,
    ) -> Waiting {
        let mut state = self.state.lock().expect("never poisoned");
        state.next += 1;
        let id = state.next;
        state.pending.insert(
            id,
            Pending {
                host: host.to_owned(),
                token: token.to_owned(),
                attempt,
                since: Instant::now(),
            },
        );
        Waiting {
            progress: self.clone(),
            id,
        }
    }

    /// "waiting for GitHub at https://ghe.example.com: 2 tokens pending for 12 s (attempt 2
    /// of 3)", per host with a request older than `after`; `None` when nothing waits that long.
    fn line(&self, after: Duration, now: Instant) -> Option<String> {
        #[derive(Default)]
        struct Host<'a> {
            tokens: BTreeSet<&'a str>,
            longest: Duration,
            attempt: Option<(u32, u32)>,
        }
        let state = self.state.lock().expect("never poisoned");
        let mut hosts: BTreeMap<&str, Host> = BTreeMap::new();
        for pending in state.pending.values() {
            let waited = now.saturating_duration_since(pending.since);
            if waited < after {
                continue;
            }
            let host = hosts.entry(&pending.host).or_default();
            host.tokens.insert(&pending.token);
            host.longest = host.longest.max(waited);
            host.attempt = host.attempt.max(pending.attempt);
        }
        if hosts.is_empty() {
            return None;
        }
        let parts: Vec<String> = hosts
            .into_iter()
            .map(|(name, host)| {
                let n = host.tokens.len();
                let attempt = host
                    .attempt
                    .map(|(attempt, of)| format!(" (attempt {attempt} of {of})"))
                    .unwrap_or_default();
                format!(
                    "{name}: {n} token{} pending for {} s{attempt}",
                    if n == 1 { "" } else { "s" },
                    host.longest.as_secs()
                )
            })
            .collect();
        Some(format!("patlint: waiting for {}", parts.join("; ")))
    }
}

/// Runs `work`, saying on standard error what it waits for while it waits long.
pub async fn reporting<F: Future>(
    progress: &Progress,
    settings: ProgressSettings,
    work: F,
) -> F::Output {
    let tick = match settings.terminal {
        true => settings.redraw,
        false => settings.after.min(settings.every),
    }
    .max(Duration::from_millis(1));
    let mut work = std::pin::pin!(work);
    let mut last_line: Option<Instant> = None;
    let mut drawn = false;
    loop {
        tokio::select! {
            output = &mut work => {
                if drawn {
                    // The progress line is cleared, so that nothing of it stays behind.
                    write_stderr("\r\x1b[2K");
                }
                return output;
            }
            () = tokio::time::sleep(tick) => {
                let now = Instant::now();
                let line = progress.line(settings.after, now);
                match (settings.terminal, line) {
                    (true, Some(line)) => {
                        write_stderr(&format!("\r\x1b[2K{}", crate::ci::defuse(&line)));
                        drawn = true;
                    }
                    (true, None) if drawn => {
                        write_stderr("\r\x1b[2K");
                        drawn = false;
                    }
                    (false, Some(line)) if last_line.is_none_or(|last| now - last >= settings.every) => {
                        write_stderr(&format!("{}\n", crate::ci::defuse(&line)));
                        last_line = Some(now);
                    }
                    _ => {}
                }
            }
        }
    }
}

fn write_stderr(text: &str) {
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(text.as_bytes());
    let _ = err.flush();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_says_which_host_how_many_tokens_and_which_attempt() {
        let progress = Arc::new(Progress::default());
        let _a = progress.waiting("GitHub at https://ghe.example.com", "a", Some((2, 3)));
        let _b = progress.waiting("GitHub at https://ghe.example.com", "b", Some((1, 3)));
        let _probe = progress.waiting("GitHub at https://ghe.example.com", "b", Some((1, 3)));
        let aws = progress.waiting("AWS", "c", None);
        assert_eq!(progress.line(Duration::from_secs(5), Instant::now()), None);
        // Judged as of twelve seconds on: no test waits for them.
        let later = Instant::now() + Duration::from_secs(12);
        assert_eq!(
            progress.line(Duration::from_secs(5), later).unwrap(),
            "patlint: waiting for AWS: 1 token pending for 12 s; GitHub at https://ghe.example.com: 2 tokens pending for 12 s (attempt 2 of 3)"
        );
        drop(aws);
        assert!(
            !progress
                .line(Duration::ZERO, later)
                .unwrap()
                .contains("AWS")
        );
    }
}
