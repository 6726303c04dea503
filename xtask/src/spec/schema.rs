//! OpenAPI 3.0 Schema Object → JSON Schema: the workspace's one converter lives in the
//! `oas30-schema` crate (`crates/oas30-schema`), shared with the fake's tests. It follows
//! OpenAPI 3.0.3 (`nullable` only beside a `type`); `spec check` also runs the reference
//! `OAS30Validator` (`spec oas30`).

pub use oas30_schema::validate;
