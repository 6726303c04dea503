//! Per-call state for the generated client's hooks (auth, retries, tracing).

/// State the generated client carries for one operation call.
#[derive(Clone, Debug, Default)]
pub struct CallState {}

impl progenitor_client::ClientHooks<CallState> for crate::generated::Client {}
