//! A request's parameters, checked against the spec and parsed.
//!
//! Restates no rule of the spec: [`validate`] parses a request into the client's
//! [`ListEndpointsQuery`] (the generated types and the contract table of `vpcep-client`),
//! and a refusal carries the client's [`ValidationError`] text with VPCEP's error code for
//! the parameter ([`bad_request_code`]).

use http::header::CONTENT_TYPE;
use http::HeaderMap;
use vpcep_client::contract::{self, Location};
use vpcep_client::{ListEndpointsQuery, ValidationError};

/// VPCEP's error code for a rejected parameter (the service's error code table), keyed by
/// the parameter's wire name. `EndPoint.2001` is "the VPC does not exist", not a bad
/// parameter.
pub(crate) fn bad_request_code(parameter: &str) -> &'static str {
    match parameter {
        "limit" => "EndPoint.0006",
        "offset" => "EndPoint.0010",
        "project_id" => "EndPoint.0014",
        "sort_key" => "EndPoint.0017",
        "sort_dir" => "EndPoint.0018",
        "vpc_id" => "EndPoint.0020",
        // "Parameter error.", the table's code for any other bad parameter.
        _ => "EndPoint.0002",
    }
}

/// A request the fake refuses with a 400: the parameter (wire name) and what is wrong,
/// in the client's words ([`ValidationError`]'s text).
#[derive(Debug)]
pub(crate) struct Rejected {
    pub(crate) parameter: &'static str,
    pub(crate) message: String,
}

impl From<ValidationError> for Rejected {
    fn from(e: ValidationError) -> Self {
        Rejected {
            parameter: e.parameter,
            message: e.to_string(),
        }
    }
}

/// Checks the request against the spec's rules (the contract table of `vpcep-client`,
/// through [`ListEndpointsQuery::set`], the parsing the client's own validation uses)
/// and returns its parameters: the path's `project_id` (as sent, percent-encoded), the
/// `Content-Type` header, and every query parameter of the spec. Query parameters the
/// spec does not list are ignored, as the service ignores them; one given twice is
/// refused.
pub(crate) fn validate(
    raw_project_id: &str,
    raw_query: Option<&str>,
    headers: &HeaderMap,
) -> Result<ListEndpointsQuery, Rejected> {
    let mut q = ListEndpointsQuery::default();
    q.set("project_id", &percent_decode(raw_project_id))?;
    if let Some(ct) = headers.get(CONTENT_TYPE) {
        let parameter = contract::LIST_ENDPOINTS
            .iter()
            .find(|p| p.location == Location::Header && CONTENT_TYPE == p.name)
            .expect("the spec lists the Content-Type header");
        parameter.check(&String::from_utf8_lossy(ct.as_bytes()))?;
    }
    let mut seen: Vec<&'static str> = Vec::new();
    for (name, value) in form_urlencoded::parse(raw_query.unwrap_or("").as_bytes()) {
        let Some(parameter) = contract::parameter(&name).filter(|p| p.location == Location::Query)
        else {
            continue; // not a query parameter of the spec: ignored, as by the real service
        };
        if seen.contains(&parameter.name) {
            return Err(Rejected {
                parameter: parameter.name,
                message: format!(
                    "invalid {}: must be given at most once (got {value:?})",
                    parameter.name
                ),
            });
        }
        seen.push(parameter.name);
        // `Ok(false)`, a parameter of the spec the contract cannot hold yet, is ignored
        // like an unknown one (tests/contract.rs names it).
        q.set(parameter.name, &value)?;
    }
    Ok(q)
}

/// A path segment percent-decoded (invalid UTF-8 replaced).
fn percent_decode(s: &str) -> String {
    // `form_urlencoded` would turn `+` into a space, which a path does not do.
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 3 <= bytes.len() {
            let hi = (bytes[i + 1] as char).to_digit(16);
            let lo = (bytes[i + 2] as char).to_digit(16);
            if let (Some(hi), Some(lo)) = (hi, lo) {
                out.push((hi * 16 + lo) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(project_id: &str, query: &str) -> (&'static str, String) {
        let rejected = validate(project_id, Some(query), &HeaderMap::new()).unwrap_err();
        (bad_request_code(rejected.parameter), rejected.message)
    }

    #[test]
    fn rejections_carry_the_parameter_code_and_the_clients_words() {
        assert_eq!(
            refused("p", "limit=0"),
            (
                "EndPoint.0006",
                r#"invalid limit: must be between 1 and 1000 (got "0")"#.to_owned()
            )
        );
        assert_eq!(refused("p", "sort_dir=up").0, "EndPoint.0018");
        assert_eq!(refused("", "").0, "EndPoint.0014");
        assert_eq!(refused("p", "id=").0, "EndPoint.0002");
        assert_eq!(
            refused("p", "vpc_id=a&vpc_id=b"),
            (
                "EndPoint.0020",
                r#"invalid vpc_id: must be given at most once (got "b")"#.to_owned()
            )
        );
    }

    #[test]
    fn unknown_parameters_and_non_query_names_are_ignored() {
        let q = validate(
            "p1",
            Some("project_id=p2&Content-Type=&whatever=1&limit=5"),
            &HeaderMap::new(),
        )
        .unwrap();
        assert_eq!(q.project_id.as_deref().map(String::as_str), Some("p1"));
        assert_eq!(q.limit.map(|n| n.get()), Some(5));
        assert_eq!(
            q.query_pairs(),
            vec![("limit", "5".to_owned())],
            "nothing else was set"
        );
    }
}
