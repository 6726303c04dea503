//! The request contract, as the spec states it: what each layer of the workspace reads
//! instead of restating it.
//!
//! - [`LIST_ENDPOINTS`]: every parameter of ListEndpoints with its location and rules,
//!   generated from `openapi/vpcep.yaml` by `cargo xtask codegen` (in the generated module,
//!   re-exported here), and what the service does with it (the spec's `x-vpcep-…`
//!   extensions: [`Role`], [`Parameter::error_code`]); [`LIST_ENDPOINTS_PATH`] its path.
//!   The fake and the CLI read their enumerations and defaults here, the fake its
//!   filters, paging, sorting and error codes, and each layer's completeness test
//!   enumerates it.
//! - [`ListEndpointsQuery`]: one request's path and query parameters, each held as the
//!   type progenitor generated for it (`types::ListEndpointsVpcId` checks 1..=64
//!   characters, …), also generated (its fields, `set`, `get` and the builder's `apply`
//!   are written by `cargo xtask codegen` from the table and progenitor's builder), so a
//!   parameter added to the spec is held, checked and sent with no hand edit. Values are
//!   checked by converting them to those types, after the rules progenitor cannot
//!   express (an integer's `maximum`, a `minimum` other than 1, its int32 range), read
//!   from the table: nothing here repeats a limit of the spec.

pub use crate::generated::contract::{ListEndpointsQuery, LIST_ENDPOINTS, LIST_ENDPOINTS_PATH};
pub use crate::parameter::{CliFlag, Direction, Kind, Location, Match, Parameter, Role};

/// The ListEndpoints parameter named `name` (wire name), if there is one.
pub fn parameter(name: &str) -> Option<&'static Parameter> {
    LIST_ENDPOINTS.iter().find(|p| p.name == name)
}

impl ListEndpointsQuery {
    /// The query string the client sends, in the spec's order (path parameters and
    /// unset ones left out).
    pub fn query_pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs = Vec::new();
        for p in LIST_ENDPOINTS
            .iter()
            .filter(|p| p.location == Location::Query)
        {
            if let Some(value) = self.get(p.name) {
                pairs.push((p.name, value));
            }
        }
        pairs
    }

    /// The same query for the page at `offset` (the paginator's one setter).
    pub(crate) fn at_offset(&self, offset: i64) -> Self {
        let mut query = self.clone();
        query.offset = Some(i32::try_from(offset).unwrap_or(i32::MAX));
        query
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query() -> ListEndpointsQuery {
        ListEndpointsQuery::default()
    }

    #[test]
    fn lengths_count_characters_not_bytes() {
        assert!(query().set("vpc_id", &"é".repeat(64)).is_ok());
        let e = query().set("vpc_id", &"é".repeat(65)).unwrap_err();
        assert_eq!(e.parameter, "vpc_id");
        assert!(
            e.to_string()
                .contains("must be 1 to 64 characters long, is 65"),
            "{e}"
        );
        let e = query().set("id", "").unwrap_err();
        assert_eq!(
            e.to_string(),
            r#"invalid id: must be 1 to 64 characters long, is 0 (got "")"#
        );
    }

    #[test]
    fn ranges() {
        assert!(query().set("limit", "1").is_ok());
        assert!(query().set("limit", "1000").is_ok());
        let e = query().set("limit", "1001").unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid limit: must be between 1 and 1000 (got \"1001\")"
        );
        let e = query().set("offset", "-1").unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid offset: must be at least 0 (got \"-1\")"
        );
        let e = query().set("offset", "2147483648").unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid offset: must be at most 2147483647 (int32) (got \"2147483648\")"
        );
    }

    #[test]
    fn enumerations_and_unknown_names() {
        let mut q = query();
        assert_eq!(q.set("sort_key", "update_at"), Ok(true));
        assert_eq!(q.sort_key, Some(crate::generated::types::SortKey::UpdateAt));
        let e = q.set("sort_dir", "up").unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid sort_dir: must be one of desc, asc (got \"up\")"
        );
        assert_eq!(q.set("no_such_parameter", "x"), Ok(false));
    }

    #[test]
    fn round_trips_through_wire_text() {
        let mut q = query();
        for (name, value) in [
            ("project_id", "p1"),
            ("vpc_id", "v"),
            ("limit", "5"),
            ("offset", "7"),
            ("sort_dir", "asc"),
        ] {
            assert_eq!(q.set(name, value), Ok(true), "{name}");
            assert_eq!(q.get(name).as_deref(), Some(value), "{name}");
        }
        assert_eq!(
            q.query_pairs(),
            vec![
                ("vpc_id", "v".to_owned()),
                ("limit", "5".to_owned()),
                ("offset", "7".to_owned()),
                ("sort_dir", "asc".to_owned()),
            ]
        );
    }
}
