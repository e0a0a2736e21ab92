//! Bitbucket: Cloud (`bitbucket.org`) and Data Center, two registry rows sharing this
//! folder. They share a name and little else: Cloud has OAuth-style scopes in two
//! vocabularies and reveals them in a response header; Data Center has HTTP access
//! tokens whose permissions, creation and expiry are read from their own record.

mod cloud;
mod cloud_observe;
mod data_center;
mod dc_inventory;
mod dc_observe;
pub mod facts;
pub(crate) mod judge;
mod new_token;
mod scopes;

pub use cloud::Cloud;
pub use data_center::DataCenter;
