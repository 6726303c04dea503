//! The request contract, as the spec states it: what each layer of the workspace reads
//! instead of restating it.
//!
//! - [`LIST_ENDPOINTS`]: every parameter of ListEndpoints with its location and rules,
//!   generated from `openapi/vpcep.yaml` by `cargo xtask codegen` (in the generated module,
//!   re-exported here). The fake and the CLI read their enumerations and defaults here, and
//!   each layer's completeness test enumerates it.
//! - [`ListEndpointsQuery`]: one request's parameters, each held as the type progenitor
//!   generated for it (`types::ListEndpointsVpcId` checks 1..=64 characters, …). Values
//!   are checked by converting them to those types, plus the rules progenitor cannot
//!   express (an integer's `maximum`, a `minimum` other than 1), which this module reads
//!   from the table: nothing here repeats a limit of the spec.

use std::num::NonZeroU32;

use crate::error::ValidationError;
use crate::generated::types;

pub use crate::generated::contract::LIST_ENDPOINTS;
pub use crate::parameter::{Kind, Location, Parameter};

/// The ListEndpoints parameter named `name` (wire name), if there is one.
pub fn parameter(name: &str) -> Option<&'static Parameter> {
    LIST_ENDPOINTS.iter().find(|p| p.name == name)
}

/// The parameters of one ListEndpoints request, each of the type progenitor generated
/// for it from the spec. Build it with [`set`](Self::set) (the wire names and texts, as
/// the fake parses a request) or through [`crate::ListEndpoints`]'s setters.
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct ListEndpointsQuery {
    /// `project_id` (path).
    pub project_id: Option<types::ListEndpointsProjectId>,
    /// `endpoint_service_name`: case-insensitive substring of the service name.
    pub endpoint_service_name: Option<types::ListEndpointsEndpointServiceName>,
    /// `vpc_id`.
    pub vpc_id: Option<types::ListEndpointsVpcId>,
    /// `id`.
    pub id: Option<types::ListEndpointsId>,
    /// `public_border_group`.
    pub public_border_group: Option<types::ListEndpointsPublicBorderGroup>,
    /// `limit`: page size.
    pub limit: Option<NonZeroU32>,
    /// `offset`: matches to skip.
    pub offset: Option<i32>,
    /// `sort_key`.
    pub sort_key: Option<types::SortKey>,
    /// `sort_dir`.
    pub sort_dir: Option<types::SortDir>,
}

/// Converts `value` to the generated type `T`, after the table's rules for `name`.
fn convert<T>(name: &str, value: &str) -> Result<T, ValidationError>
where
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    let parameter = parameter(name).expect("a parameter of the table");
    parameter.check(value)?;
    // The generated type is the truth; the table's rules only word the error better. A
    // rule the table does not know still fails here, with the generated type's words.
    value
        .parse::<T>()
        .map_err(|e| ValidationError::new(parameter.name, e.to_string(), value))
}

impl ListEndpointsQuery {
    /// Sets the parameter `name` (its wire name) from its text as sent on the wire.
    ///
    /// `Ok(false)`: `name` is not a parameter of ListEndpoints (the service ignores such
    /// parameters). `Err`: the value breaks a rule of the spec; the error names the
    /// parameter, the rule and the value. A parameter of the spec this type does not hold
    /// yet is a bug that the completeness test (`tests/contract.rs`) names.
    pub fn set(&mut self, name: &str, value: &str) -> Result<bool, ValidationError> {
        match name {
            "project_id" => self.project_id = Some(convert(name, value)?),
            "endpoint_service_name" => self.endpoint_service_name = Some(convert(name, value)?),
            "vpc_id" => self.vpc_id = Some(convert(name, value)?),
            "id" => self.id = Some(convert(name, value)?),
            "public_border_group" => self.public_border_group = Some(convert(name, value)?),
            "limit" => self.limit = Some(convert(name, value)?),
            "offset" => self.offset = Some(convert(name, value)?),
            "sort_key" => self.sort_key = Some(convert(name, value)?),
            "sort_dir" => self.sort_dir = Some(convert(name, value)?),
            _ => return Ok(false),
        }
        Ok(true)
    }

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

    /// The value of the parameter `name` as wire text, if set.
    pub fn get(&self, name: &str) -> Option<String> {
        fn text<T: ToString>(v: &Option<T>) -> Option<String> {
            v.as_ref().map(ToString::to_string)
        }
        match name {
            "project_id" => self.project_id.as_ref().map(|v| v.to_string()),
            "endpoint_service_name" => self.endpoint_service_name.as_ref().map(|v| v.to_string()),
            "vpc_id" => self.vpc_id.as_ref().map(|v| v.to_string()),
            "id" => self.id.as_ref().map(|v| v.to_string()),
            "public_border_group" => self.public_border_group.as_ref().map(|v| v.to_string()),
            "limit" => text(&self.limit),
            "offset" => text(&self.offset),
            "sort_key" => text(&self.sort_key),
            "sort_dir" => text(&self.sort_dir),
            _ => None,
        }
    }

    /// The same query for the page at `offset` (the paginator's one setter).
    pub(crate) fn at_offset(&self, offset: i64) -> Self {
        let mut query = self.clone();
        query.offset = Some(i32::try_from(offset).unwrap_or(i32::MAX));
        query
    }

    /// Sets every parameter on the generated builder (once per attempt). The values are
    /// of the builder's own types, so its conversions cannot fail.
    pub(crate) fn apply<'a>(
        &self,
        mut b: crate::generated::builder::ListEndpoints<'a>,
    ) -> crate::generated::builder::ListEndpoints<'a> {
        if let Some(v) = &self.project_id {
            b = b.project_id(v.clone());
        }
        if let Some(v) = &self.endpoint_service_name {
            b = b.endpoint_service_name(v.clone());
        }
        if let Some(v) = &self.vpc_id {
            b = b.vpc_id(v.clone());
        }
        if let Some(v) = &self.id {
            b = b.id(v.clone());
        }
        if let Some(v) = &self.public_border_group {
            b = b.public_border_group(v.clone());
        }
        if let Some(v) = self.limit {
            b = b.limit(v);
        }
        if let Some(v) = self.offset {
            b = b.offset(v);
        }
        if let Some(v) = self.sort_key {
            b = b.sort_key(v);
        }
        if let Some(v) = self.sort_dir {
            b = b.sort_dir(v);
        }
        b
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
        assert_eq!(q.sort_key, Some(types::SortKey::UpdateAt));
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
