//! Listing a GitLab instance's or group's tokens for `patlint audit`: not written yet.

use super::{Endpoint, Scope};
use crate::facts::Observation;
use crate::hosts::{Call, ListingResult};

pub(super) const DOCS: &str = "GitLab: not listed yet.";

pub(super) async fn list(_call: &Call<'_>, _endpoint: &Endpoint, _scope: &Scope) -> ListingResult {
    Err(Observation::host_error("this patlint cannot list GitLab tokens yet"))
}
