//! Listing an AWS account's access keys for `patlint audit`: not written yet.

use super::Endpoint;
use super::observe::AwsIam;
use crate::facts::Observation;
use crate::hosts::{Call, ListingResult};

pub(super) const DOCS: &str = "AWS IAM: not listed yet.";

impl AwsIam {
    pub(super) async fn list_account(&self, _call: &Call<'_>, _endpoint: &Endpoint) -> ListingResult {
        Err(Observation::host_error("this patlint cannot list AWS keys yet"))
    }
}
