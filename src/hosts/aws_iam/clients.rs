//! The AWS SDK's clients for one key: patlint's own HTTPS client (no proxy for plain
//! HTTP), the credentials of a key or a profile (each part protected from reports), and
//! who asks IAM (the key, or an auditor profile).

use aws_config::SdkConfig;
use aws_sdk_iam::config::{Credentials, ProvideCredentials, Region, SharedCredentialsProvider};

use crate::facts::{Failure, Observation};
use crate::hosts::Call;
use crate::secret::Secret;

/// The SDK's default HTTPS client (rustls with aws-lc, as `default-https-client` builds
/// it in aws-smithy-runtime's `client/http.rs`), but with a proxy for HTTPS only: plain
/// HTTP goes only to loopback (see [`plain_http_elsewhere`]) and never through a proxy,
/// which would carry the key id and signature in clear.
pub(super) fn https_client() -> aws_sdk_iam::config::SharedHttpClient {
    use aws_smithy_http_client::{Builder, ConnectorBuilder, tls};
    Builder::new().build_with_connector_fn(|settings, components| {
        let mut connector = ConnectorBuilder::default().tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::AwsLc,
        ));
        connector.set_connector_settings(settings.cloned());
        if let Some(components) = components {
            connector.set_sleep_impl(components.sleep_impl());
        }
        connector.set_proxy_config(Some(https_proxy()));
        connector.build()
    })
}

/// `HTTPS_PROXY` (or `ALL_PROXY`) with `NO_PROXY`, for HTTPS requests only.
fn https_proxy() -> aws_smithy_http_client::proxy::ProxyConfig {
    use aws_smithy_http_client::proxy::ProxyConfig;
    let var = |names: &[&str]| {
        names
            .iter()
            .find_map(|name| std::env::var(name).ok().filter(|v| !v.trim().is_empty()))
    };
    let Some(proxy) = var(&["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"]) else {
        return ProxyConfig::disabled();
    };
    match ProxyConfig::https(proxy) {
        Ok(config) => match var(&["NO_PROXY", "no_proxy"]) {
            Some(bypass) => config.no_proxy(bypass),
            None => config,
        },
        Err(_) => ProxyConfig::disabled(),
    }
}

/// An endpoint the SDK would use (`AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_IAM`/`_STS`, a
/// profile's `services`) that is plain HTTP to a host other than loopback: the key would
/// travel in clear, so nothing is sent.
pub(super) fn plain_http_elsewhere(config: &SdkConfig) -> Option<String> {
    let service = |id: &str| {
        let key = aws_types::service_config::ServiceConfigKey::builder()
            .service_id(id)
            .env("AWS_ENDPOINT_URL")
            .profile("endpoint_url")
            .build()
            .ok()?;
        config.service_config()?.load_config(key)
    };
    [
        config.endpoint_url().map(str::to_owned),
        service("IAM"),
        service("STS"),
    ]
    .into_iter()
    .flatten()
    .find(|endpoint| {
        reqwest::Url::parse(endpoint)
            .is_ok_and(|url| url.scheme() == "http" && !crate::hosts::is_loopback(&url))
    })
}

/// A profile's credentials only: the default chain would try the runner's own
/// AWS_ACCESS_KEY_ID first and judge the wrong key.
pub(super) fn profile_credentials(profile: &str) -> SharedCredentialsProvider {
    SharedCredentialsProvider::new(
        aws_config::profile::ProfileFileCredentialsProvider::builder()
            .profile_name(profile)
            .build(),
    )
}

/// Loads credentials and protects every part of them (a profile's secret key and session
/// token were never in `secret`, so nothing else would scrub them).
pub(super) async fn protected_credentials(
    call: &Call<'_>,
    provider: &SharedCredentialsProvider,
) -> Result<Credentials, Observation> {
    match provider.provide_credentials().await {
        Ok(credentials) => {
            [
                Some(credentials.access_key_id()),
                Some(credentials.secret_access_key()),
                credentials.session_token(),
            ]
            .into_iter()
            .flatten()
            .for_each(|part| call.protect(&Secret::new(part)));
            Ok(credentials)
        }
        Err(e) => {
            let (detail, help) = super::errors::credentials_failure(&e);
            Err(Observation::Unchecked {
                failure: Failure::SecretUnavailable,
                detail,
                help: Some(help.to_owned()),
            })
        }
    }
}

/// The token's (or inventory's) `region`, else the profile's, else us-east-1 (IAM is
/// global).
pub(super) fn region_of(region: Option<&String>, config: &SdkConfig) -> Region {
    region
        .cloned()
        .map(Region::new)
        .or_else(|| config.region().cloned())
        .unwrap_or_else(|| Region::new(super::observe::DEFAULT_REGION))
}

pub(super) fn sts_client(
    config: &SdkConfig,
    provider: SharedCredentialsProvider,
    region: Region,
) -> aws_sdk_sts::Client {
    aws_sdk_sts::Client::from_conf(
        aws_sdk_sts::config::Builder::from(config)
            .credentials_provider(provider)
            .region(region)
            .build(),
    )
}

pub(super) fn iam_client(
    config: &SdkConfig,
    provider: SharedCredentialsProvider,
    region: Region,
) -> aws_sdk_iam::Client {
    aws_sdk_iam::Client::from_conf(
        aws_sdk_iam::config::Builder::from(config)
            .credentials_provider(provider)
            .region(region)
            .build(),
    )
}

/// Who asks IAM about the key: the key itself, or an auditor profile.
pub(super) struct Reader {
    pub(super) iam: aws_sdk_iam::Client,
    /// For messages: "the key", "the auditor profile `audit`".
    pub(super) who: String,
    /// Who to grant a missing permission to.
    pub(super) grantee: String,
    /// The auditor reads the key's last use before the key signs anything.
    pub(super) auditor: bool,
}
