//! Observing every token of a policy: concurrently (requests bounded per origin in
//! [`Http`]), each within its deadline, and never letting a secret into what comes back.

use std::sync::Mutex;

use jiff::Timestamp;

use super::Hosts;
use super::http::{Answer, HostError, Http, HttpSettings, RequestContext};
use crate::facts::{FactsFile, Failure, Observation, Observed, TokenRecord};
use crate::policy::{Policy, Requirements, TokenSpec};
use crate::secret::{Secret, SecretError, SecretSource};

/// Observes every token of the policy, concurrently, and returns them in policy order,
/// recorded as observed at `observed_at` (the command's one clock read; hosts whose
/// answers mean something else from a known date on read it, never the clock).
pub async fn observe_all(
    policy: &Policy,
    settings: &HttpSettings,
    observed_at: Timestamp,
) -> FactsFile {
    let http = Http::new(settings.clone());
    let hosts = Hosts::new(settings);
    let checks = policy.tokens.iter().map(|token| {
        let (http, hosts) = (&http, &hosts);
        async move {
            TokenRecord {
                name: token.name.clone(),
                host: token.host(),
                observation: observe_one(hosts, http, token, observed_at).await,
            }
        }
    });
    let tokens = futures_util::future::join_all(checks).await;
    FactsFile {
        schema_version: FactsFile::SCHEMA_VERSION,
        observed_at,
        tokens,
    }
}

async fn observe_one(
    hosts: &Hosts,
    http: &Http,
    token: &TokenSpec,
    observed_at: Timestamp,
) -> Observation {
    let secret = match token.secret.value.read() {
        Ok(secret) => secret,
        Err(e) => return secret_unavailable(&e),
    };
    let call = Call::new(http, token, &secret, observed_at);
    let deadline = http.settings().deadline;
    let observation =
        match tokio::time::timeout(deadline, hosts.observe(&call, &token.endpoint)).await {
            Ok(observation) => observation,
            Err(_) => Observation::host_error(format!(
                "the check did not finish within --deadline ({}s)",
                deadline.as_secs_f64()
            )),
        };
    call.scrub(observation)
}

pub(crate) fn secret_unavailable(error: &SecretError) -> Observation {
    Observation::Unchecked {
        failure: Failure::SecretUnavailable,
        detail: error.to_string(),
        help: None,
    }
}

/// One token's check: what a host needs to ask about it, and the one place where the
/// secrets it involves are read, masked on the CI runner and scrubbed from the result.
pub struct Call<'a> {
    http: &'a Http,
    token: &'a TokenSpec,
    secret: &'a Secret,
    observed_at: Timestamp,
    /// Every secret value of this check: the token's, and any other a host read or
    /// derived (an Entra token, an encoded header, a profile's keys).
    protected: Mutex<Vec<Secret>>,
}

impl<'a> Call<'a> {
    fn new(
        http: &'a Http,
        token: &'a TokenSpec,
        secret: &'a Secret,
        observed_at: Timestamp,
    ) -> Self {
        let call = Call {
            http,
            token,
            secret,
            observed_at,
            protected: Mutex::new(Vec::new()),
        };
        call.protect(secret);
        call
    }

    /// The token's secret.
    pub fn secret(&self) -> &Secret {
        self.secret
    }

    /// The run's time of observation, for a host whose answers mean something else from
    /// a known date on (never the clock: evaluation judges time).
    pub fn observed_at(&self) -> Timestamp {
        self.observed_at
    }

    pub fn requirements(&self) -> &Requirements {
        &self.token.requirements
    }

    /// Reads another secret the token's check needs, masking and scrubbing it like the
    /// token's own.
    pub fn read(&self, source: &SecretSource) -> Result<Secret, SecretError> {
        let secret = source.read()?;
        self.protect(&secret);
        Ok(secret)
    }

    /// Masks `secret` on the CI runner now, and scrubs it from the observation later.
    pub fn protect(&self, secret: &Secret) {
        crate::ci::mask(secret);
        self.protected
            .lock()
            .expect("never poisoned")
            .push(secret.clone());
    }

    /// Sends a request for this token through the shared client.
    pub async fn send(
        &self,
        host: &str,
        build: impl Fn(&reqwest::Client) -> reqwest::RequestBuilder,
    ) -> Result<Answer, HostError> {
        let context = RequestContext {
            token: &self.token.name,
            ca_file: self.token.ca_file.as_deref(),
        };
        self.http.send(host, context, build).await
    }

    /// Defence in depth: a host that echoes a secret back (in a message, a header we
    /// quote, a URL) must not get it into a report. Shortened only after every secret
    /// is out, so a cut never leaves part of one.
    fn scrub(&self, observation: Observation) -> Observation {
        let protected = self.protected.lock().expect("never poisoned");
        let scrubbed = map_texts(observation, |mut text| {
            for secret in protected.iter() {
                let value = secret.expose();
                if value.len() >= 4 && text.contains(value) {
                    text = text.replace(value, "<redacted>");
                }
            }
            text
        });
        map_texts(scrubbed, shorten)
    }
}

/// Applies `f` to every text of an observation that a host's answer may have shaped.
fn map_texts(observation: Observation, f: impl Fn(String) -> String) -> Observation {
    match observation {
        Observation::Observed { mut facts } => {
            facts.identity = facts.identity.map(&f);
            if let Observed::Value(scopes) = &mut facts.scopes {
                *scopes = std::mem::take(scopes).into_iter().map(&f).collect();
            }
            if let Observed::Value(actions) = &mut facts.actions {
                for decision in actions {
                    decision.action = f(std::mem::take(&mut decision.action));
                    decision.resource = f(std::mem::take(&mut decision.resource));
                }
            }
            if let Observed::Value(credentials) = &mut facts.service_credentials {
                for credential in credentials {
                    credential.service_user_name =
                        f(std::mem::take(&mut credential.service_user_name));
                }
            }
            facts.evidence = facts.evidence.into_iter().map(|(k, v)| (k, f(v))).collect();
            facts.unobservable = facts
                .unobservable
                .into_iter()
                .map(|(k, v)| (k, f(v)))
                .collect();
            Observation::Observed { facts }
        }
        Observation::Rejected {
            reason,
            detail,
            evidence,
            help,
            expires_at,
        } => Observation::Rejected {
            reason,
            detail: f(detail),
            evidence: f(evidence),
            help: help.map(&f),
            expires_at,
        },
        Observation::Unchecked {
            failure,
            detail,
            help,
        } => Observation::Unchecked {
            failure,
            detail: f(detail),
            help: help.map(&f),
        },
    }
}

/// Host messages quoted in findings are kept short.
fn shorten(text: String) -> String {
    const LIMIT: usize = 600;
    if text.chars().count() <= LIMIT {
        return text;
    }
    let mut short: String = text.chars().take(LIMIT).collect();
    short.push('…');
    short
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrub_removes_an_echoed_secret() {
        let policy = crate::policy::parse_policy(
            "p.toml",
            "version = 1\n[[token]]\nname = \"t\"\nhost = \"github\"\nsecret = { env = \"T\" }\n",
        )
        .unwrap();
        let http = Http::new(HttpSettings::default());
        let secret = Secret::new("ghp_canarycanarycanary");
        let call = Call::new(&http, &policy.tokens[0], &secret, Timestamp::UNIX_EPOCH);
        let obs = Observation::host_error("server said: ghp_canarycanarycanary is bad");
        let Observation::Unchecked { detail, .. } = call.scrub(obs) else {
            panic!()
        };
        assert_eq!(detail, "server said: <redacted> is bad");
    }
}
