//! Observing every token of a policy: concurrently (requests bounded per origin in
//! [`Http`]), each within its deadline, and never letting a secret into what comes back.

use std::sync::Mutex;

use jiff::Timestamp;

use super::http::{Answer, HostError, Http, HttpSettings, RequestContext, TokenClock};
use super::progress::ProgressSettings;
use crate::facts::{FactsFile, Failure, Observation, TokenRecord};
use crate::hosts::Hosts;
use crate::hosts::inventory::{Fingerprint, ListingResult};
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
    observe_all_reporting(policy, settings, observed_at, None).await
}

/// [`observe_all`], saying on standard error what it waits for when it waits long.
pub async fn observe_all_reporting(
    policy: &Policy,
    settings: &HttpSettings,
    observed_at: Timestamp,
    progress: Option<ProgressSettings>,
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
    let checks = futures_util::future::join_all(checks);
    let tokens = match progress {
        Some(progress) => super::progress::reporting(http.progress(), progress, checks).await,
        None => checks.await,
    };
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
    observe_for_audit(hosts, http, token, observed_at).await.0
}

/// Observes one token, keeping what `patlint audit` matches the token by and the
/// secrets its check read (to scrub from every listing too).
pub(super) async fn observe_for_audit(
    hosts: &Hosts,
    http: &Http,
    token: &TokenSpec,
    observed_at: Timestamp,
) -> (Observation, Vec<Fingerprint>, Vec<Secret>) {
    let secret = match token.secret.value.read() {
        Ok(secret) => secret,
        Err(e) => return (secret_unavailable(&e), Vec::new(), Vec::new()),
    };
    // `--deadline` bounds the token's own time (see [`TokenClock`]): every request, wait
    // and SDK call of a host goes through it.
    let call = Call::new(http, token, &secret, observed_at);
    let observation = call.scrub(hosts.observe(&call, &token.endpoint).await);
    let prints = call.fingerprints.lock().expect("never poisoned").clone();
    let protected = call.protected.lock().expect("never poisoned").clone();
    (observation, prints, protected)
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
    clock: TokenClock,
    /// Every secret value of this check: the token's, and any other a host read or
    /// derived (an Entra token, an encoded header, a profile's keys).
    protected: Mutex<Vec<Secret>>,
    /// What identifies the token to an inventory's listing (`patlint audit`).
    fingerprints: Mutex<Vec<Fingerprint>>,
}

impl<'a> Call<'a> {
    pub(super) fn new(
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
            clock: TokenClock::watched(
                http.settings().deadline,
                http.progress().clone(),
                &token.name,
            ),
            protected: Mutex::new(Vec::new()),
            fingerprints: Mutex::new(Vec::new()),
        };
        call.protect(secret);
        call
    }

    /// The token's secret.
    pub fn secret(&self) -> &Secret {
        self.secret
    }

    /// The token's own time, for a host that calls through something other than
    /// [`Call::send`] (the AWS SDK).
    pub fn clock(&self) -> &TokenClock {
        &self.clock
    }

    /// Requests in flight to one origin at most (`--concurrency`): how many pages of a
    /// listing, or users' listings, are asked at once.
    pub fn concurrency(&self) -> usize {
        self.http.settings().concurrency.max(1)
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

    /// Notes a value that identifies the token in its host's admin listing (its id, the
    /// last eight characters GitHub lists), kept only as a [`Fingerprint`], so that
    /// `patlint audit` finds the token there without the value going anywhere.
    pub fn identify(&self, kind: &str, value: &str) {
        self.fingerprints
            .lock()
            .expect("never poisoned")
            .push(Fingerprint::of(kind, value));
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
            clock: &self.clock,
        };
        self.http.send(host, context, build).await
    }

    /// Defence in depth: a host that echoes a secret back (in a message, a header we
    /// quote, a URL, an IAM name) must not get it into a report, as it is or escaped the
    /// way JSON and `Debug` escape it. Shortened only after every secret is out, so a cut
    /// never leaves part of one.
    fn scrub(&self, observation: Observation) -> Observation {
        let protected = self.protected.lock().expect("never poisoned");
        scrub(observation, &protected)
    }

    /// Every secret this call read, to scrub from what it returns.
    pub(super) fn protected(&self) -> Vec<Secret> {
        self.protected.lock().expect("never poisoned").clone()
    }
}

/// A listing scrubbed of `protected` secrets: the inventory's own, and every declared
/// token's (a key id one token reads as a secret is listed by the inventory too).
pub(super) fn scrub_listing(listing: ListingResult, protected: &[Secret]) -> ListingResult {
    match listing {
        Err(observation) => Err(scrub(observation, protected)),
        Ok(mut listing) => {
            let forms = forms(protected);
            let held_a_secret = || {
                Observation::host_error(
                    "the listing held a secret where a date or a name belongs, so it is not reported",
                )
            };
            // Token by token: one pass over each token's text finds whether it holds a
            // secret or a text to shorten, and only such a token is rewritten.
            let finder = Finder::new(&forms);
            let mut text = Vec::new();
            let tokens = std::mem::take(&mut listing.tokens);
            let mut listing =
                map_texts(listing, |text| redact(text, &forms)).ok_or_else(held_a_secret)?;
            listing.tokens = tokens
                .into_iter()
                .map(|token| match finder.needs_scrubbing(&token, &mut text) {
                    true => map_texts(token, |text| redact(text, &forms)),
                    false => Some(token),
                })
                .collect::<Option<_>>()
                .ok_or_else(held_a_secret)?;
            Ok(listing)
        }
    }
}

/// Finds, in one pass over a value's JSON text, whether any of its strings holds a
/// secret or is long enough to be shortened.
struct Finder {
    /// Each form of each secret as it reads inside a JSON string: a string that holds a
    /// form holds it escaped this way in the JSON text.
    secrets: Option<aho_corasick::AhoCorasick>,
}

impl Finder {
    fn new(forms: &[String]) -> Self {
        let escaped = forms.iter().map(|form| {
            let quoted = serde_json::to_string(form).unwrap_or_default();
            quoted.trim_matches('"').to_owned()
        });
        Finder {
            secrets: aho_corasick::AhoCorasick::new(escaped.collect::<Vec<_>>()).ok(),
        }
    }

    /// Whether `value` has a string [`redact`] would change. Any doubt (a value that
    /// does not serialize, secrets too many to search at once) says yes.
    fn needs_scrubbing(&self, value: &impl serde::Serialize, text: &mut Vec<u8>) -> bool {
        text.clear();
        let (Ok(()), Some(secrets)) = (serde_json::to_writer(&mut *text, value), &self.secrets)
        else {
            return true;
        };
        secrets.is_match(text.as_slice()) || longest_string(text) > SHORTEN_PAST
    }
}

/// The longest string literal of a JSON text, in bytes as escaped (never fewer than the
/// characters it holds).
fn longest_string(json: &[u8]) -> usize {
    let (mut longest, mut length) = (0, 0);
    let (mut inside, mut escaped) = (false, false);
    for &byte in json {
        match (inside, escaped, byte) {
            (true, true, _) => {
                escaped = false;
                length += 1;
            }
            (true, false, b'\\') => {
                escaped = true;
                length += 1;
            }
            (true, false, b'"') => {
                inside = false;
                longest = longest.max(length);
            }
            (true, false, _) => length += 1,
            (false, _, b'"') => {
                inside = true;
                length = 0;
            }
            (false, _, _) => {}
        }
    }
    longest
}

fn forms(protected: &[Secret]) -> Vec<String> {
    protected
        .iter()
        .flat_map(|secret| escaped_forms(secret.expose()))
        .filter(|form| form.len() >= crate::secret::MIN_SECRET_CHARS)
        .collect()
}

fn redact(mut text: String, forms: &[String]) -> String {
    for form in forms {
        if text.contains(form.as_str()) {
            text = text.replace(form.as_str(), "<redacted>");
        }
    }
    shorten(text)
}

fn scrub(observation: Observation, protected: &[Secret]) -> Observation {
    let forms = forms(protected);
    let Some(scrubbed) = map_texts(observation, |text| redact(text, &forms)) else {
        return Observation::host_error(
            "the host's answer held a secret where a date or a name belongs, so it is not reported",
        );
    };
    scrubbed
}

/// A secret as it is, and as JSON and Rust's `Debug` would quote it (serde's and the
/// SDKs' error texts escape `\` and `"`).
fn escaped_forms(secret: &str) -> Vec<String> {
    let json = serde_json::to_string(secret).unwrap_or_default();
    let debug = format!("{secret:?}");
    let mut forms = vec![secret.to_owned()];
    for quoted in [json, debug] {
        let inner = quoted
            .strip_prefix('"')
            .and_then(|q| q.strip_suffix('"'))
            .unwrap_or(&quoted)
            .to_owned();
        if !forms.contains(&inner) {
            forms.push(inner);
        }
    }
    forms
}

/// Applies `f` to every string value of an observation or a listing, whatever field
/// holds it: the value goes through its serialized form, so a field added later is
/// covered without anyone remembering to list it. `None` when the scrubbed form no
/// longer reads back (a secret stood where a date belongs).
fn map_texts<T: serde::Serialize + serde::de::DeserializeOwned>(
    value: T,
    f: impl Fn(String) -> String,
) -> Option<T> {
    let mut value = serde_json::to_value(&value).ok()?;
    map_strings(&mut value, &f);
    serde_json::from_value(value).ok()
}

fn map_strings(value: &mut serde_json::Value, f: &impl Fn(String) -> String) {
    match value {
        serde_json::Value::String(text) => *text = f(std::mem::take(text)),
        serde_json::Value::Array(items) => items.iter_mut().for_each(|v| map_strings(v, f)),
        serde_json::Value::Object(fields) => fields.values_mut().for_each(|v| map_strings(v, f)),
        _ => {}
    }
}

/// The most characters of a host's text a report quotes.
const SHORTEN_PAST: usize = 600;

/// Host messages quoted in findings are kept short.
fn shorten(text: String) -> String {
    if text.chars().count() <= SHORTEN_PAST {
        return text;
    }
    let mut short: String = text.chars().take(SHORTEN_PAST).collect();
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

    #[test]
    fn scrub_reaches_every_field_and_escaped_forms() {
        let policy = crate::policy::parse_policy(
            "p.toml",
            "version = 1\n[[token]]\nname = \"t\"\nhost = \"github\"\nsecret = { env = \"T\" }\n",
        )
        .unwrap();
        let http = Http::new(HttpSettings::default());
        let secret = Secret::new(r#"wJalr/K7"MDENG\bPxRfiCY"#);
        let call = Call::new(&http, &policy.tokens[0], &secret, Timestamp::UNIX_EPOCH);
        let escaped = serde_json::to_string(secret.expose()).unwrap();
        let mut facts = crate::facts::TokenFacts::new(crate::facts::TokenKind::AccessKey);
        // Fields no scrubbing list named: a probe's target, the host's help, its evidence.
        facts.grants.push(crate::facts::Grant::new(
            format!("org/{}", secret.expose()),
            "contents:write",
            crate::facts::Settled::Missing {
                help: Some(format!("authorize at https://sso/{}", secret.expose())),
            },
            format!("probe: GET /repos/org/{}", secret.expose()),
        ));
        facts.identity = Some(format!("error: {escaped}"));
        let scrubbed = serde_json::to_string(&call.scrub(Observation::observed(facts))).unwrap();
        assert!(!scrubbed.contains("K7"), "{scrubbed}");
        assert_eq!(scrubbed.matches("<redacted>").count(), 4, "{scrubbed}");
    }

    /// A listing is scrubbed token by token: a token that holds a secret, as it is or
    /// escaped, or a text long enough to shorten, is rewritten, and the others are kept
    /// as they came.
    #[test]
    fn a_listing_is_scrubbed_where_it_holds_a_secret_or_a_long_text() {
        let secret = Secret::new(r#"wJalr/K7"MDENG\bPxRfiCY"#);
        let escaped = serde_json::to_string(secret.expose()).unwrap();
        let listed = |id: &str, name: String| crate::hosts::inventory::Listed {
            id: id.into(),
            name: Some(name),
            owner: Some("octocat".into()),
            source: "GET /x".into(),
            fingerprint: None,
            facts: crate::facts::TokenFacts::new(crate::facts::TokenKind::FineGrainedPat),
        };
        let mut listing = crate::hosts::inventory::Listing::complete_for(&[]);
        listing.tokens = vec![
            listed("1", "deploy".into()),
            listed("2", format!("ci {}", secret.expose())),
            listed("3", format!("echoed {escaped}")),
            listed("4", "x".repeat(SHORTEN_PAST + 1)),
        ];
        listing.blind_spots = vec![format!("said {}", secret.expose())];
        let scrubbed = scrub_listing(Ok(listing), std::slice::from_ref(&secret)).unwrap();
        let names: Vec<_> = scrubbed
            .tokens
            .iter()
            .map(|t| t.name.clone().unwrap())
            .collect();
        assert_eq!(names[0], "deploy");
        assert_eq!(names[1], "ci <redacted>");
        assert_eq!(names[2], "echoed \"<redacted>\"");
        assert_eq!(
            names[3].chars().count(),
            SHORTEN_PAST + 1,
            "shortened, with its `…`"
        );
        assert!(names[3].ends_with('…'));
        assert_eq!(scrubbed.blind_spots, ["said <redacted>"]);
        assert_eq!(longest_string(br#"{"a":"x\"y","bb":"z"}"#), 4);
    }

    /// One check is held per token for the whole run, so its size is paid a thousand
    /// times over for a thousand tokens: it must not carry the largest host's state.
    #[test]
    fn a_tokens_check_holds_no_host_state_inline() {
        let text =
            "version = 1\n[[token]]\nname = \"a\"\nhost = \"github\"\nsecret = { env = \"X\" }\n";
        let policy = crate::policy::parse_policy("patlint.toml", text)
            .ok()
            .unwrap();
        let http = Http::new(Default::default());
        let hosts = Hosts::new(&Default::default());
        let check = observe_one(&hosts, &http, &policy.tokens[0], Timestamp::UNIX_EPOCH);
        assert!(
            std::mem::size_of_val(&check) < 1024,
            "{} bytes",
            std::mem::size_of_val(&check)
        );
    }
}
