//! Everything the generated module (`generated.rs`) refers to in hand-written code, in one
//! place: the generator (`xtask/src/codegen.rs`) names only `crate::codegen_support::…`,
//! so what generated code depends on is listed here and nowhere else.

pub(crate) use crate::contract::{Kind, Location, Parameter};
