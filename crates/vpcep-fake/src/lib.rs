//! `vpcep-fake`: a local server that behaves like Huawei Cloud VPCEP's `ListEndpoints`
//! (`GET /v1/{project_id}/vpc-endpoints`), for tests — in the spirit of LocalStack or moto.
//!
//! ```no_run
//! use vpcep_fake::{FakeConfig, FakeServer, Fault};
//!
//! let server = FakeServer::start(FakeConfig::new().generate(2_500, 42).token("t0ken")).unwrap();
//! let url = server.url(); // e.g. "http://127.0.0.1:41234"
//! server.faults().extend([Fault::unavailable(), Fault::too_many_requests(1)]);
//! // Or decide each request: here, any response at all for the page at offset 10.
//! server.faults().script(|_, request| {
//!     (request.query("offset") == Some("10"))
//!         .then(|| Fault::json(200, r#"{"endpoints":[],"total_count":7}"#))
//! });
//! // … point a client at `url`, then inspect what it sent:
//! let requests = server.requests();
//! server.stop();
//! ```
//!
//! See the crate's README for the semantics, the CLI and fault injection.

#![warn(missing_docs)]

mod auth;
mod churn;
mod config;
mod connection_limits;
mod connections;
mod data;
mod fault_layer;
mod faults;
mod generate;
mod handle;
mod json_fields;
mod link;
/// An organisation: several accounts, regions and projects, IAM and agencies (one server).
pub mod organisation;
/// Throw-away CA and server certificates (feature `pki`).
#[cfg(feature = "pki")]
pub mod pki;
mod platform;
mod query;
mod replay;
mod request_log;
mod responses;
mod routes;
mod server;
mod state;
mod store;
mod temporary_credentials;
pub mod tls;

pub use auth::AuthConfig;
/// The body type of [`Fault::Respond`] (re-exported so tests need not depend on `bytes`).
pub use bytes::Bytes;
pub use churn::Churn;
pub use config::{exposure_warning, FakeConfig, Generated};
pub use data::{doc_example_endpoints, load_endpoints, parse_endpoints, DOC_EXAMPLE_RESPONSE};
pub use faults::{gateway_html_page, Fault, FaultPlan, RandomFaults};
pub use generate::{format_time, generate, DEFAULT_PROJECT_ID, PUBLIC_BORDER_GROUPS};
pub use handle::FakeHandle;
pub use platform::{MetadataMode, Platform, PlatformConfig};
pub use replay::{load_recorded, parse_recorded, RecordedEndpoint};
pub use request_log::{RecordedRequest, X_REQUEST_ID};
pub use server::FakeServer;
pub use store::{quirk_value, time_key};
pub use tls::TlsConfig;
