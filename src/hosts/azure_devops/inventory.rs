//! Listing an Azure DevOps organization's PATs for `patlint audit`: not written yet.

use super::services::Endpoint;
use crate::facts::Observation;
use crate::hosts::{Call, ListingResult};

pub(super) const DOCS: &str = "Azure DevOps Services: not listed yet.";

pub(super) async fn list(_call: &Call<'_>, _endpoint: &Endpoint) -> ListingResult {
    Err(Observation::host_error("this patlint cannot list Azure DevOps tokens yet"))
}
