//! The one module of hand-written code that the generated code (`generated.rs`) names.
//!
//! `cargo xtask codegen` writes `crate::codegen_support::…` paths into the generated module
//! for progenitor's inner type ([`CallState`]), the decoding routine ([`from_response`])
//! and the lenient types that replace spec schemas. Nothing else of the crate is named
//! there, so the generated code depends on this module only and hand-written modules may
//! depend on the generated one without a cycle (`cargo xtask deps` checks both).

pub(crate) use crate::decode::from_response;
// Every type `REPLACEMENTS` (xtask/src/codegen.rs) names, whether the spec uses it yet or not.
pub(crate) use crate::error::ValidationError;
#[allow(unused_imports)]
pub(crate) use crate::lenient::{
    AccountStatus, ActiveStatusList, EndpointStatus, LenientBool, ServiceType, StringList,
};
pub(crate) use crate::parameter::{
    convert, CliFlag, Direction, Kind, Location, Match, Parameter, Role,
};
pub(crate) use crate::transport::CallState;
