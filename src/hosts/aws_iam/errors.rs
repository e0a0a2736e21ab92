//! What went wrong with the SDK, in sentences. The SDK's own `DisplayErrorContext` ends
//! with the error's `Debug` form (`DispatchFailure(DispatchFailure { source: … })`),
//! which no report should carry: the messages here are the errors' `Display` texts only,
//! and the failures a user meets first (nothing listening, no answer in time, a profile
//! without credentials) are said plainly, with what to do.

use std::error::Error;

use aws_sdk_iam::error::SdkError;

/// Why a call got no answer from AWS (not AWS's own refusal, which has its code).
pub(super) fn sdk_failure<E, R>(err: &SdkError<E, R>) -> String
where
    E: Error + 'static,
    R: std::fmt::Debug,
{
    let causes = || chain(&err.to_string(), err.source());
    match err {
        SdkError::TimeoutError(_) => "no answer in time".to_owned(),
        SdkError::DispatchFailure(failure) if failure.is_timeout() => {
            "no answer in time".to_owned()
        }
        SdkError::DispatchFailure(failure) if failure.is_io() => format!(
            "could not connect ({})",
            err.source()
                .and_then(root_cause)
                .unwrap_or_else(|| "no reason given".to_owned())
        ),
        SdkError::DispatchFailure(_) => format!("the request was not sent ({})", causes()),
        SdkError::ConstructionFailure(_) => {
            format!("the request could not be built ({})", causes())
        }
        SdkError::ResponseError(_) => format!("the answer could not be read ({})", causes()),
        _ => causes(),
    }
}

/// Why a profile's credentials could not be loaded, and what to do about it.
pub(super) fn credentials_failure(
    err: &aws_credential_types::provider::error::CredentialsError,
) -> (String, &'static str) {
    use aws_credential_types::provider::error::CredentialsError as E;
    let detail = match err {
        E::CredentialsNotLoaded(_) => match err.source() {
            Some(source) => format!("no credentials were found for the profile: {}", causes_of(source)),
            None => "no credentials were found for the profile: it is in neither the shared config file (AWS_CONFIG_FILE, else ~/.aws/config) nor the credentials file (AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials), or it holds no keys".to_owned(),
        },
        E::ProviderTimedOut(_) => "loading the profile's credentials took too long".to_owned(),
        E::InvalidConfiguration(_) => {
            format!("the profile's configuration is not usable: {}", causes_of(err))
        }
        _ => format!("the profile's credentials could not be loaded: {}", causes_of(err)),
    };
    (detail, PROFILE_HELP)
}

const PROFILE_HELP: &str = "AWS: define the profile where patlint runs (`aws configure --profile NAME`, or its keys in the shared credentials file; on a CI runner, point AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE at files the job writes from its secrets), or name the key in the policy instead (`access_key_id` and `secret`).";

/// The `Display` text of every error in the chain, each said once: "dispatch failure: io
/// error: client error (Connect): tcp connect error: Connection refused (os error 111)".
fn chain(first: &str, mut next: Option<&(dyn Error + 'static)>) -> String {
    let mut texts: Vec<String> = vec![first.to_owned()];
    while let Some(e) = next {
        let text = e.to_string();
        if !text.is_empty() && !texts.last().is_some_and(|last| last.contains(&text)) {
            texts.push(text);
        }
        next = e.source();
    }
    texts.retain(|t| !t.is_empty());
    texts.join(": ")
}

fn causes_of(err: &(dyn Error + 'static)) -> String {
    chain(&err.to_string(), err.source())
}

/// The innermost error's text: what actually failed ("Connection refused (os error 111)").
fn root_cause(err: &(dyn Error + 'static)) -> Option<String> {
    let mut cause = err;
    while let Some(next) = cause.source() {
        cause = next;
    }
    let text = cause.to_string();
    (!text.is_empty()).then_some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Outer(std::io::Error);

    impl std::fmt::Display for Outer {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("io error")
        }
    }

    impl Error for Outer {
        fn source(&self) -> Option<&(dyn Error + 'static)> {
            Some(&self.0)
        }
    }

    #[test]
    fn a_chain_is_its_display_texts_without_debug() {
        let err = Outer(std::io::Error::new(
            std::io::ErrorKind::ConnectionRefused,
            "Connection refused (os error 111)",
        ));
        assert_eq!(
            causes_of(&err),
            "io error: Connection refused (os error 111)"
        );
        assert_eq!(
            root_cause(&err).as_deref(),
            Some("Connection refused (os error 111)")
        );
        let not_loaded =
            aws_credential_types::provider::error::CredentialsError::not_loaded_no_source();
        let (detail, help) = credentials_failure(&not_loaded);
        assert!(
            !detail.contains('{') && !detail.contains("CredentialsNotLoaded"),
            "{detail}"
        );
        assert!(help.contains("aws configure --profile"));
    }
}
