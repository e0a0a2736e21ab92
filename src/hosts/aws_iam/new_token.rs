//! The page where a new access key is made: the IAM console's page of the key's user, its
//! "Security credentials" section, `https://console.aws.amazon.com/iam/home#/users/details/NAME?section=security_credentials`.
//! AWS documents the steps ("Managing access keys for IAM users": IAM console > Users > the
//! user > Security credentials > Create access key), not the address; the address is the
//! console's own, as public runbooks link it. Known only when the host named the key's user
//! (its ARN in the facts' identity).

use reqwest::Url;

use crate::facts::TokenFacts;

pub(super) fn link(facts: Option<&TokenFacts>) -> Option<Url> {
    let user = user_name(facts?.identity.as_deref()?)?;
    let name: String = url::form_urlencoded::byte_serialize(user.as_bytes()).collect();
    Url::parse(&format!(
        "https://console.aws.amazon.com/iam/home#/users/details/{name}?section=security_credentials"
    ))
    .ok()
}

/// `NAME` of `arn:aws:iam::ACCOUNT:user/PATH/NAME` (an identity may add ` (SERVICE)`).
fn user_name(identity: &str) -> Option<&str> {
    let arn = identity.split_whitespace().next()?;
    let resource = arn.strip_prefix("arn:")?.splitn(5, ':').nth(4)?;
    let path = resource.strip_prefix("user/")?;
    path.rsplit('/').next().filter(|name| !name.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_user_is_read_from_the_arn() {
        assert_eq!(
            user_name("arn:aws:iam::123456789012:user/ci/deployer"),
            Some("deployer")
        );
        assert_eq!(
            user_name("arn:aws:iam::123456789012:user/alice (codecommit.amazonaws.com)"),
            Some("alice")
        );
        assert_eq!(user_name("arn:aws:iam::123456789012:root"), None);
        assert_eq!(
            user_name("arn:aws:sts::123456789012:assumed-role/r/s"),
            None
        );
    }
}
