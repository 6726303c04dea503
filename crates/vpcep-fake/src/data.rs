//! The data a fake serves when told nothing else (the vendor doc's example response), and
//! endpoints read from JSON (typed: normalised, unknown fields dropped; `replay.rs` keeps
//! them as recorded).

use std::io;
use std::path::Path;

use vpcep_client::types::{EndpointListResp, EndpointResp};

/// The vendor doc's example response (two endpoints), served by default.
pub const DOC_EXAMPLE_RESPONSE: &str = include_str!("../data/doc_example_response.json");

/// The two endpoints of the vendor doc's example response.
pub fn doc_example_endpoints() -> Vec<EndpointResp> {
    parse_endpoints(DOC_EXAMPLE_RESPONSE).expect("the doc example decodes")
}

/// Decodes endpoints from JSON: either an array of endpoints or a `ListEndpoints` response
/// body (`{"endpoints": […], …}`). Quirky shapes (`"true"`, single strings) are accepted.
pub fn parse_endpoints(json: &str) -> Result<Vec<EndpointResp>, serde_json::Error> {
    let value: serde_json::Value = serde_json::from_str(json)?;
    if value.is_array() {
        serde_json::from_value(value)
    } else {
        let resp: EndpointListResp = serde_json::from_value(value)?;
        Ok(resp.endpoints.unwrap_or_default())
    }
}

/// Reads endpoints from a file (see [`parse_endpoints`]).
pub fn load_endpoints(path: &Path) -> io::Result<Vec<EndpointResp>> {
    let text = std::fs::read_to_string(path)?;
    parse_endpoints(&text).map_err(|e| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{}: {e}", path.display()),
        )
    })
}
