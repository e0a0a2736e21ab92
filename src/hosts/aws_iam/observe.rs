//! Asking AWS about an access key. One SDK configuration is loaded per run, and only
//! when the policy has an `aws-iam` token; each token gets clients with its own static
//! credentials, so no credential chain (IMDS, ECS, …) is ever probed for a key the
//! policy names. Endpoints follow the SDK's own configuration (`AWS_ENDPOINT_URL`,
//! `AWS_ENDPOINT_URL_IAM`, `_STS`, profile `services`).

use std::time::Duration;

use aws_config::{BehaviorVersion, SdkConfig};
use aws_sdk_iam::config::{Credentials, Region, SharedCredentialsProvider};
use aws_sdk_iam::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_iam::types::{PolicyEvaluationDecisionType, StatusType};
use jiff::Timestamp;
use tokio::sync::OnceCell;

use super::clients::{
    Reader, https_client, iam_client, plain_http_elsewhere, profile_credentials,
    protected_credentials, region_of, sts_client,
};
use super::facts::{ActionDecision, Decision, ServiceCredential};
use super::inventory::{GIT_CREDENTIAL_ID, KEY_ID};
use super::{Endpoint, KeySource};
use crate::client::secret_unavailable;
use crate::facts::{Fact, Observation, Observed, Rejection, TokenFacts, TokenKind};
use crate::hosts::OwnRequirements;
use crate::hosts::{Call, HttpSettings};

pub struct AwsIam {
    base: OnceCell<SdkConfig>,
    /// Configurations of named profiles (`profile = "…"`): their credentials, region and
    /// `services` endpoints, loaded once each.
    profiles: tokio::sync::Mutex<std::collections::HashMap<String, SdkConfig>>,
    settings: HttpSettings,
    /// Keys checked (and accounts listed) at once (`--concurrency`): the SDK has its own
    /// connection pool.
    pub(super) in_flight: tokio::sync::Semaphore,
}

pub(super) const DEFAULT_REGION: &str = "us-east-1";
pub(super) const CODECOMMIT: &str = "codecommit.amazonaws.com";
/// Simulation pages read at most (the policy's actions × resources fit in a few).
const MAX_SIMULATION_PAGES: usize = 20;

impl AwsIam {
    pub fn new(settings: HttpSettings) -> Self {
        AwsIam {
            base: OnceCell::new(),
            profiles: tokio::sync::Mutex::new(std::collections::HashMap::new()),
            in_flight: tokio::sync::Semaphore::new(settings.concurrency.max(1)),
            settings,
        }
    }

    /// The SDK's own configuration (endpoints, profile files), with patlint's retries
    /// and timeouts.
    fn loader(&self) -> aws_config::ConfigLoader {
        let retries = aws_config::retry::RetryConfig::standard()
            .with_max_attempts(self.settings.retries + 1)
            .with_initial_backoff(self.settings.backoff.min(Duration::from_secs(1)));
        let timeouts = aws_config::timeout::TimeoutConfig::builder()
            .connect_timeout(self.settings.timeout)
            .operation_attempt_timeout(self.settings.timeout)
            .build();
        aws_config::defaults(BehaviorVersion::latest())
            .retry_config(retries)
            .timeout_config(timeouts)
            .http_client(https_client())
    }

    /// The configuration shared by keys the policy names: no credential chain at all.
    pub(super) async fn base(&self) -> &SdkConfig {
        self.base
            .get_or_init(|| {
                self.loader()
                    .region(Region::new(DEFAULT_REGION))
                    .no_credentials()
                    .load()
            })
            .await
    }

    /// A named profile's configuration, loaded once.
    pub(super) async fn profile(&self, name: &str) -> SdkConfig {
        let mut profiles = self.profiles.lock().await;
        if let Some(config) = profiles.get(name) {
            return config.clone();
        }
        let config = self.loader().profile_name(name).load().await;
        profiles.insert(name.to_owned(), config.clone());
        config
    }
}

impl AwsIam {
    pub(super) async fn observe_key(&self, call: &Call<'_>, endpoint: &Endpoint) -> Observation {
        let Endpoint {
            key,
            region,
            service_credentials,
        } = endpoint;
        let (config, provider, auditor) = match key {
            KeySource::Policy {
                access_key_id,
                auditor,
            } => match call.read(access_key_id) {
                Ok(id) => (
                    self.base().await.clone(),
                    SharedCredentialsProvider::new(Credentials::new(
                        id.expose(),
                        call.secret().expose(),
                        None,
                        None,
                        "patlint policy",
                    )),
                    auditor.as_deref(),
                ),
                Err(e) => return secret_unavailable(&e),
            },
            KeySource::Profile(profile) => (
                self.profile(profile).await,
                profile_credentials(profile),
                None,
            ),
        };
        if let Some(endpoint) = plain_http_elsewhere(&config) {
            return Observation::host_error(format!(
                "the AWS endpoint `{}` is plain http:// to a host that is not loopback, so the key would travel in clear; nothing was sent: use https://",
                crate::client::wire::origin_only(&endpoint)
            ));
        }
        // The key id is not the secret, but the user did not write it either.
        let key_id = match protected_credentials(call, &provider).await {
            Ok(credentials) => credentials.access_key_id().to_owned(),
            Err(unavailable) => return unavailable,
        };
        // Both kinds of key (the policy's, a profile's) are known by their id here, and
        // `patlint audit` finds the key in an account's listing by it.
        call.identify(KEY_ID, &key_id);
        let region = region_of(region.as_ref(), &config);
        let sts = sts_client(&config, provider.clone(), region.clone());
        let reader = match auditor {
            None => Reader {
                iam: iam_client(&config, provider, region),
                who: "the key".into(),
                grantee: "its user".into(),
                auditor: false,
            },
            Some(profile) => {
                let provider = profile_credentials(profile);
                if let Err(unavailable) = protected_credentials(call, &provider).await {
                    return unavailable;
                }
                Reader {
                    iam: iam_client(&self.profile(profile).await, provider, region),
                    who: format!("the auditor profile `{profile}`"),
                    grantee: format!("the identity of profile `{profile}`, on the key's user,"),
                    auditor: true,
                }
            }
        };
        let _permit = self.in_flight.acquire().await.expect("never closed");
        // The token's own time starts with its permit.
        let checked = call.clock().within(
            "AWS",
            check_key(call, &reader, &sts, &key_id, *service_credentials),
        );
        checked.await.unwrap_or_else(Observation::from)
    }
}

/// What went wrong with one AWS call.
pub(super) enum CallError {
    Invalid(String),
    Expired(String),
    Denied(String),
    Failed(String),
}

pub(super) fn classify<E, R>(call: &str, err: &SdkError<E, R>) -> CallError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    if let SdkError::ServiceError(service) = err {
        let e = service.err();
        let code = e.code().unwrap_or("Unknown");
        let message = e.message().unwrap_or("");
        let detail = format!(
            "{call}: {code}{}",
            if message.is_empty() {
                String::new()
            } else {
                format!(" ({message})")
            }
        );
        return match code {
            "InvalidClientTokenId"
            | "SignatureDoesNotMatch"
            | "InvalidAccessKeyId"
            | "UnrecognizedClientException" => CallError::Invalid(detail),
            "ExpiredToken" | "ExpiredTokenException" | "TokenRefreshRequired" => {
                CallError::Expired(detail)
            }
            "AccessDenied" | "AccessDeniedException" | "UnauthorizedOperation" => {
                CallError::Denied(detail)
            }
            _ => CallError::Failed(detail),
        };
    }
    CallError::Failed(format!("{call}: {}", super::errors::sdk_failure(err)))
}

/// A call whose failure is fatal for the token (invalid, expired, host error) ends the
/// observation; access denied leaves that fact unverifiable with the permission to grant.
fn fatal(error: CallError) -> Result<String, Observation> {
    match error {
        CallError::Denied(detail) => Ok(detail),
        CallError::Invalid(detail) => Err(Observation::rejected(
            Rejection::Invalid,
            format!(
                "AWS rejected the key ({detail}); an inactive or deleted key is rejected the same way"
            ),
            detail,
        )),
        CallError::Expired(detail) => Err(Observation::rejected(
            Rejection::Expired,
            format!("AWS says the credentials expired ({detail})"),
            detail,
        )),
        CallError::Failed(detail) => Err(Observation::host_error(format!(
            "AWS could not be asked: {detail}"
        ))),
    }
}

/// Why a fact is missing when IAM refused the call that reads it.
fn denied(reader: &Reader, detail: &str, permission: &str) -> String {
    let (who, grantee) = (&reader.who, &reader.grantee);
    format!(
        "{who} may not call {permission} ({detail}); grant {grantee} `{permission}` to make this verifiable"
    )
}

/// The services whose calls patlint itself signs with the key on every run: a last use
/// IAM records for them may be patlint's own check, now or on any earlier run.
pub(super) const SIGNED_BY_PATLINT: &[&str] = &["sts", "iam"];

async fn check_key(
    call: &Call<'_>,
    reader: &Reader,
    sts: &aws_sdk_sts::Client,
    key_id: &str,
    want_service_credentials: bool,
) -> Observation {
    let requirements = call.requirements();
    let iam = &reader.iam;
    // An auditor reads the last use before the key signs anything.
    let early_last_used = if reader.auditor {
        Some(
            iam.get_access_key_last_used()
                .access_key_id(key_id)
                .send()
                .await,
        )
    } else {
        None
    };
    let identity = match sts.get_caller_identity().send().await {
        Ok(identity) => identity,
        Err(e) => {
            return match fatal(classify("sts:GetCallerIdentity", &e)) {
                Ok(detail) => {
                    Observation::host_error(format!("sts:GetCallerIdentity was denied ({detail})"))
                }
                Err(observation) => observation,
            };
        }
    };
    let Some(arn) = identity
        .arn()
        .filter(|a| a.starts_with("arn:"))
        .map(str::to_owned)
    else {
        return Observation::host_error(
            "sts:GetCallerIdentity answered without an ARN (an unparseable or truncated answer)",
        );
    };
    let mut facts = TokenFacts::new(TokenKind::AccessKey);
    facts.identity = Some(arn.clone());
    let Some(user) = user_name(&arn) else {
        let reason = format!(
            "the credentials belong to `{arn}`, not to an IAM user; only users have access keys"
        );
        facts.unobservable_all(&[Fact::CreatedAt, Fact::LastUsedAt], &reason);
        super::facts::of_mut(&mut facts).unobservable_all(&reason);
        return Observation::observed(facts);
    };
    facts.expires_at = Observed::bare(None);
    facts
        .expires_at
        .set_evidence("IAM access keys do not expire".into());

    let own = AwsIam::requirements_of(requirements);
    let actions: Vec<String> = own
        .required_actions()
        .iter()
        .map(|s| s.value.clone())
        .collect();
    // Validation makes `require_actions` come with `resources`: never `*` by default.
    let resources: Vec<String> = own.resources().iter().map(|s| s.value.clone()).collect();
    let (keys, last_used, simulation, credentials) = tokio::join!(
        iam.list_access_keys().user_name(user).send(),
        async {
            match early_last_used {
                Some(read) => read,
                None => {
                    iam.get_access_key_last_used()
                        .access_key_id(key_id)
                        .send()
                        .await
                }
            }
        },
        simulate(iam, &arn, &actions, &resources),
        async {
            if want_service_credentials {
                Some(
                    iam.list_service_specific_credentials()
                        .user_name(user)
                        .service_name(CODECOMMIT)
                        .send()
                        .await,
                )
            } else {
                None
            }
        },
    );

    match keys {
        Ok(out) => {
            let evidence = format!("iam:ListAccessKeys for user `{user}`");
            let own = out
                .access_key_metadata()
                .iter()
                .find(|k| k.access_key_id() == Some(key_id));
            match own {
                Some(key) => {
                    // `Status` and `CreateDate` are in every AccessKeyMetadata IAM sends;
                    // a key without them is a broken answer, never "inactive".
                    let Some(status) = key.status() else {
                        return Observation::host_error(format!(
                            "{evidence} answered without the key's `Status`, so whether it is active is unknown"
                        ));
                    };
                    super::facts::of_mut(&mut facts).active =
                        Observed::bare(status == &StatusType::Active);
                    super::facts::of_mut(&mut facts)
                        .active
                        .set_evidence(evidence.clone());
                    if let Some(created) = key.create_date() {
                        let Some(created) = timestamp(created) else {
                            return out_of_range(&evidence, "CreateDate");
                        };
                        facts.created_at = Observed::bare(Some(created));
                        facts.created_at.set_evidence(evidence.clone());
                    }
                }
                None => {
                    let reason = format!("the key is not among the access keys of user `{user}`");
                    super::facts::of_mut(&mut facts)
                        .active
                        .set_why(reason.clone());
                    facts.created_at.set_why(reason);
                }
            }
            let others = out
                .access_key_metadata()
                .iter()
                .filter(|k| {
                    k.access_key_id() != Some(key_id) && k.status() == Some(&StatusType::Active)
                })
                .count();
            super::facts::of_mut(&mut facts).other_active_keys = Observed::bare(others as u32);
            super::facts::of_mut(&mut facts)
                .other_active_keys
                .set_evidence(evidence);
        }
        Err(e) => match fatal(classify("iam:ListAccessKeys", &e)) {
            Ok(detail) => {
                let why = denied(reader, &detail, "iam:ListAccessKeys");
                facts.created_at.set_why(why.clone());
                let key = super::facts::of_mut(&mut facts);
                key.active.set_why(why.clone());
                key.other_active_keys.set_why(why);
            }
            Err(observation) => return observation,
        },
    }

    match last_used {
        Ok(out) => {
            let last = out.access_key_last_used();
            if last
                .and_then(|l| l.last_used_date())
                .is_some_and(|d| timestamp(d).is_none())
            {
                return out_of_range("iam:GetAccessKeyLastUsed", "LastUsedDate");
            }
            record_last_use(&mut facts, last, reader);
        }
        Err(e) => match fatal(classify("iam:GetAccessKeyLastUsed", &e)) {
            Ok(detail) => {
                facts
                    .last_used_at
                    .set_why(denied(reader, &detail, "iam:GetAccessKeyLastUsed"))
            }
            Err(observation) => return observation,
        },
    }

    match simulation {
        None => {}
        Some(Ok(decisions)) => {
            super::facts::of_mut(&mut facts).actions = Observed::bare(decisions);
            super::facts::of_mut(&mut facts)
                .actions
                .set_evidence(format!("iam:SimulatePrincipalPolicy for `{arn}`"));
        }
        Some(Err(CallError::Denied(detail))) => super::facts::of_mut(&mut facts)
            .actions
            .set_why(denied(reader, &detail, "iam:SimulatePrincipalPolicy")),
        Some(Err(other)) => {
            if let Err(observation) = fatal(other) {
                return observation;
            }
        }
    }

    match credentials {
        None => {}
        Some(Ok(out)) => {
            let list: Option<Vec<ServiceCredential>> = out
                .service_specific_credentials()
                .iter()
                .map(|c| {
                    Some(ServiceCredential {
                        service_user_name: c.service_user_name().to_owned(),
                        active: c.status() == &StatusType::Active,
                        created_at: timestamp(c.create_date())?,
                    })
                })
                .collect();
            let Some(list) = list else {
                return out_of_range("iam:ListServiceSpecificCredentials", "CreateDate");
            };
            // The token checks its user's Git credentials with the key, so `patlint audit`
            // counts them as declared by it rather than as tokens nobody declared.
            for credential in out.service_specific_credentials() {
                call.identify(
                    GIT_CREDENTIAL_ID,
                    credential.service_specific_credential_id(),
                );
            }
            super::facts::of_mut(&mut facts).service_credentials = Observed::bare(list);
            super::facts::of_mut(&mut facts)
                .service_credentials
                .set_evidence(format!(
                    "iam:ListServiceSpecificCredentials for user `{user}`"
                ));
        }
        Some(Err(e)) => match fatal(classify("iam:ListServiceSpecificCredentials", &e)) {
            Ok(detail) => super::facts::of_mut(&mut facts)
                .service_credentials
                .set_why(denied(
                    reader,
                    &detail,
                    "iam:ListServiceSpecificCredentials",
                )),
            Err(observation) => return observation,
        },
    }
    Observation::observed(facts)
}

/// `GetAccessKeyLastUsed` answers with the date and the service of the last use
/// (<https://docs.aws.amazon.com/IAM/latest/APIReference/API_AccessKeyLastUsed.html>;
/// `ServiceName` is `N/A` and the date absent for a key never used). A use by `sts` or
/// `iam` is what patlint's own check signs, so it is no evidence of the integration's use
/// (an auditor avoids this run's IAM calls, but the key still signs
/// `sts:GetCallerIdentity`, on this run and every earlier one).
fn record_last_use(
    facts: &mut TokenFacts,
    last: Option<&aws_sdk_iam::types::AccessKeyLastUsed>,
    reader: &Reader,
) {
    let date = last.and_then(|l| l.last_used_date()).and_then(timestamp);
    let service = last.map(|l| l.service_name()).unwrap_or("N/A");
    let ours = if reader.auditor {
        &SIGNED_BY_PATLINT[..1]
    } else {
        SIGNED_BY_PATLINT
    };
    match date {
        Some(date) if ours.contains(&service) => {
            facts.last_used_at.set_why(format!(
                    "IAM records the key's last use as `{service}` on {}, which is what patlint's own check signs with the key (sts:GetCallerIdentity{}), on this run or an earlier one: it says nothing about the integration's use{}",
                    date.strftime("%Y-%m-%d"),
                    if reader.auditor { "" } else { " and the IAM calls" },
                    if reader.auditor {
                        ""
                    } else {
                        " (an auditor `profile` reads IAM with its own credentials, so the key signs no IAM call)"
                    }
                ),
            );
        }
        _ => {
            facts.last_used_at = Observed::bare(date);
            let by = if reader.auditor {
                format!(" read by {} before the key signed anything", reader.who)
            } else {
                String::new()
            };
            facts.last_used_at.set_evidence(match date {
                Some(_) => format!("iam:GetAccessKeyLastUsed{by} (service `{service}`)"),
                None => format!("iam:GetAccessKeyLastUsed{by}: never used"),
            });
        }
    }
}

/// Runs the policy simulation for every required action on every resource, following
/// pagination. `None` when the policy requires no action.
async fn simulate(
    iam: &aws_sdk_iam::Client,
    arn: &str,
    actions: &[String],
    resources: &[String],
) -> Option<Result<Vec<ActionDecision>, CallError>> {
    if actions.is_empty() || resources.is_empty() {
        return None;
    }
    let mut decisions = Vec::new();
    let mut marker: Option<String> = None;
    let mut pages = 0;
    loop {
        let response = iam
            .simulate_principal_policy()
            .policy_source_arn(arn)
            .set_action_names(Some(actions.to_vec()))
            .set_resource_arns(Some(resources.to_vec()))
            .set_marker(marker.clone())
            .send()
            .await;
        let out = match response {
            Ok(out) => out,
            Err(e) => return Some(Err(classify("iam:SimulatePrincipalPolicy", &e))),
        };
        decisions.extend(out.evaluation_results().iter().map(|r| ActionDecision {
            action: r.eval_action_name().to_owned(),
            resource: r.eval_resource_name().unwrap_or("*").to_owned(),
            decision: match r.eval_decision() {
                PolicyEvaluationDecisionType::Allowed => Decision::Allowed,
                PolicyEvaluationDecisionType::ExplicitDeny => Decision::ExplicitDeny,
                _ => Decision::ImplicitDeny,
            },
            missing_context: r.missing_context_values().to_vec(),
        }));
        let next = out
            .marker()
            .map(str::to_owned)
            .filter(|_| out.is_truncated());
        pages += 1;
        match next {
            None => return Some(Ok(decisions)),
            // A marker that repeats, or pages without end, is a broken answer.
            Some(ref m) if Some(m) == marker.as_ref() || pages >= MAX_SIMULATION_PAGES => {
                return Some(Err(CallError::Failed(
                    "iam:SimulatePrincipalPolicy kept answering `IsTruncated` without an end"
                        .into(),
                )));
            }
            Some(_) => marker = next,
        }
    }
}

/// `arn:aws:iam::123456789012:user/division/name` → `name`.
fn user_name(arn: &str) -> Option<&str> {
    let resource = arn.splitn(6, ':').nth(5)?;
    let path = resource.strip_prefix("user/")?;
    path.rsplit('/').next().filter(|n| !n.is_empty())
}

/// `None` when the date is outside what a timestamp holds (years -9999 to 9999).
pub(super) fn timestamp(t: &aws_sdk_iam::primitives::DateTime) -> Option<Timestamp> {
    Timestamp::new(t.secs(), t.subsec_nanos() as i32).ok()
}

/// A date no real key has: the answer is broken, and nothing in it is judged.
fn out_of_range(call: &str, field: &str) -> Observation {
    Observation::host_error(format!(
        "{call} answered a `{field}` outside the years -9999 to 9999: not a date IAM gives, so the answer proves nothing"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_names_come_from_user_arns_only() {
        assert_eq!(
            user_name("arn:aws:iam::123456789012:user/patlint-ci"),
            Some("patlint-ci")
        );
        assert_eq!(
            user_name("arn:aws:iam::123456789012:user/division/dev/jira"),
            Some("jira")
        );
        assert_eq!(
            user_name("arn:aws:sts::123456789012:assumed-role/ci/session"),
            None
        );
        assert_eq!(user_name("nonsense"), None);
    }
}
