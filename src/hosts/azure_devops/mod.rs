//! Azure DevOps: Services (`dev.azure.com`) and Server / TFS on premises. Both take a PAT
//! in Basic auth, answer `connectionData` the same way and share one scope catalog.

mod connection;
pub mod facts;
mod inventory;
pub(crate) mod judge;
mod lifecycle;
mod new_token;
mod organization;
mod probes;
pub mod project;
mod refusals;
pub mod requirements;
mod scopes;
mod server;
mod services;

pub use server::Server;
pub use services::{Endpoint as ServicesEndpoint, PatId, Services};
