//! A request's parameters, checked against the spec and parsed.
//!
//! Restates no rule of the spec: [`validate`] parses a request into the client's
//! [`ListEndpointsQuery`] (the generated types and the contract table of `vpcep-client`),
//! and a refusal carries the client's [`ValidationError`] text with VPCEP's error code for
//! the parameter from the spec ([`bad_request_code`]).

use http::HeaderMap;
use vpcep_client::contract::{self, Location};
use vpcep_client::{ListEndpointsQuery, ValidationError};

/// VPCEP's error code for a rejected parameter (wire name): the spec's
/// `x-vpcep-error-code` for it, in the contract table.
pub(crate) fn bad_request_code(parameter: &str) -> &'static str {
    contract::parameter(parameter)
        .expect("a rejection names a parameter of the spec")
        .error_code
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
/// and returns its parameters: the path's (as sent, percent-encoded: `(name, raw value)`,
/// see [`path_parameters`]), the header parameters the request carries, and every query
/// parameter of the spec. Query parameters the spec does not list are ignored, as the
/// service ignores them; one given twice is refused.
pub(crate) fn validate(
    path: &[(&'static str, &str)],
    raw_query: Option<&str>,
    headers: &HeaderMap,
) -> Result<ListEndpointsQuery, Rejected> {
    let mut q = ListEndpointsQuery::default();
    for (name, raw) in path {
        q.set(name, &percent_decode(raw))?;
    }
    for parameter in contract::LIST_ENDPOINTS
        .iter()
        .filter(|p| p.location == Location::Header)
    {
        if let Some(value) = headers.get(parameter.name) {
            parameter.check(&String::from_utf8_lossy(value.as_bytes()))?;
        }
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

/// The path parameters of `path` against the operation's path `template` (the spec's,
/// `/v1/{project_id}/vpc-endpoints`): `(name, raw segment)` for each `{name}`, or `None`
/// when the path does not have the template's shape.
pub(crate) fn path_parameters<'p>(
    template: &'static str,
    path: &'p str,
) -> Option<Vec<(&'static str, &'p str)>> {
    let (want, got): (Vec<&str>, Vec<&str>) =
        (template.split('/').collect(), path.split('/').collect());
    if want.len() != got.len() {
        return None;
    }
    let mut found = Vec::new();
    for (w, g) in want.into_iter().zip(got) {
        match w.strip_prefix('{').and_then(|w| w.strip_suffix('}')) {
            Some(name) => found.push((name, g)),
            None if w == g => {}
            None => return None,
        }
    }
    Some(found)
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

    #[test]
    fn path_parameters_are_read_against_the_template() {
        let template = contract::LIST_ENDPOINTS_PATH;
        assert_eq!(
            path_parameters(template, "/v1/a%2Fb/vpc-endpoints"),
            Some(vec![("project_id", "a%2Fb")])
        );
        assert_eq!(
            path_parameters(template, "/v1//vpc-endpoints"),
            Some(vec![("project_id", "")])
        );
        for other in [
            "/v1/p/vpc-endpoints/",
            "/v2/p/vpc-endpoints",
            "/v1/p/q/vpc-endpoints",
        ] {
            assert_eq!(path_parameters(template, other), None, "{other}");
        }
    }

    fn refused(project_id: &str, query: &str) -> (&'static str, String) {
        let path = [("project_id", project_id)];
        let rejected = validate(&path, Some(query), &HeaderMap::new()).unwrap_err();
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
            &[("project_id", "p1")],
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
