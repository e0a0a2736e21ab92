//! How patlint talks to hosts, apart from what it asks them (`hosts/`): one HTTP client
//! with its pool, retries and rate-limit waits (`http`, `rate_limits`), what answers
//! look like on the wire (`wire`), whether an answer is the host's own (`own_answer`),
//! one way to ask a host's API (`api`) and to read a listing to its last page
//! (`paging`), and every token's check and every inventory's listing run concurrently,
//! each within its deadline (`observe`, `audit`).

pub(crate) mod api;
mod audit;
mod http;
mod observe;
pub(crate) mod own_answer;
pub(crate) mod paging;
pub mod progress;
mod rate_limits;
pub(crate) mod wire;

pub use audit::{AuditFacts, DeclaredCheck, InventoryRecord, audit_all, audit_all_reporting};
pub use http::{Answer, HostError, HostErrorKind, Http, HttpSettings, RequestContext, TokenClock};
pub(crate) use observe::secret_unavailable;
pub use observe::{Call, observe_all, observe_all_reporting};
pub(crate) use wire::is_loopback;
