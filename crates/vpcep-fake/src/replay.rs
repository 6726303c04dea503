//! Replay: serve endpoints exactly as they were recorded (e.g. a response captured from
//! Huawei Cloud), while still filtering, sorting and paging on the fields the fake can
//! read.

use std::io;
use std::path::Path;

use serde::Deserialize;
use serde_json::Value;
use vpcep_client::types::EndpointResp;

/// One recorded endpoint: the JSON served, and what the fake reads from it.
#[derive(Clone, Debug, PartialEq)]
pub struct RecordedEndpoint {
    /// What filters, sorts and pages read: the endpoint decoded leniently (see
    /// [`RecordedEndpoint::new`]).
    pub endpoint: EndpointResp,
    /// The JSON served for it, as recorded: nulls, fields no spec knows, odd shapes and
    /// unknown values kept. (Its text is re-serialized compactly, so object keys come out
    /// in alphabetical order; the values are the recorded ones.)
    pub json: Value,
}

impl RecordedEndpoint {
    /// Keeps `json` to serve, and reads what the fake needs from it leniently: the whole
    /// endpoint when it decodes as an [`EndpointResp`] (quirky shapes included), else
    /// only the fields filters and sorts use (`id`, `vpc_id`, `endpoint_service_name`,
    /// `public_border_group`, `project_id`, `created_at`, `updated_at`), each taken when
    /// it is a string — so a shape the client's types reject still replays.
    pub fn new(json: Value) -> Self {
        let endpoint = EndpointResp::deserialize(&json).unwrap_or_else(|_| {
            let text = |key: &str| json.get(key).and_then(Value::as_str).map(str::to_owned);
            EndpointResp {
                id: text("id"),
                vpc_id: text("vpc_id"),
                endpoint_service_name: text("endpoint_service_name"),
                public_border_group: text("public_border_group"),
                project_id: text("project_id"),
                created_at: text("created_at"),
                updated_at: text("updated_at"),
                ..EndpointResp::default()
            }
        });
        Self { endpoint, json }
    }
}

/// Reads recorded endpoints from JSON: either an array of endpoints or a `ListEndpoints`
/// response body (`{"endpoints": […], …}`; its other members, e.g. `total_count`, are
/// ignored, and `"endpoints": null` or missing is no endpoint). Every element is kept as
/// recorded (see [`RecordedEndpoint`]); only a document that is not JSON, or whose
/// `endpoints` is neither an array nor null, is an error.
pub fn parse_recorded(json: &str) -> Result<Vec<RecordedEndpoint>, String> {
    let value: Value = serde_json::from_str(json).map_err(|e| e.to_string())?;
    let items = match value {
        Value::Array(items) => items,
        Value::Object(mut body) => match body.remove("endpoints") {
            Some(Value::Array(items)) => items,
            Some(Value::Null) | None => Vec::new(),
            Some(other) => {
                return Err(format!(
                    "\"endpoints\" must be an array of endpoints (got {})",
                    kind(&other)
                ))
            }
        },
        other => {
            return Err(format!(
                "expected an array of endpoints or a ListEndpoints response object (got {})",
                kind(&other)
            ))
        }
    };
    Ok(items.into_iter().map(RecordedEndpoint::new).collect())
}

/// Reads recorded endpoints from a file (see [`parse_recorded`]).
pub fn load_recorded(path: &Path) -> io::Result<Vec<RecordedEndpoint>> {
    let text = std::fs::read_to_string(path)?;
    parse_recorded(&text).map_err(|e| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{}: {e}", path.display()),
        )
    })
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
