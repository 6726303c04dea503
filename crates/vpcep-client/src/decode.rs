//! How the generated client decodes JSON response bodies.
//!
//! progenitor's `ResponseValue::from_response` decodes with `serde_json::from_slice`, which
//! validates UTF-8 once per string it meets: on a 1000-endpoint page (~25 strings per
//! endpoint) that is the single largest cost after allocation. `cargo xtask codegen`
//! therefore routes every `ResponseValue::from_response(response)` of the generated client
//! through `from_response` below, which checks the whole body once and then parses it
//! with `serde_json::from_str`. The decoded value, the status, the headers and the errors
//! are exactly those of progenitor's function; only the work is less.
//!
//! Measured with `cargo bench -p vpcep-client --bench decode` (figures in bench/README.md).

use progenitor_client::{Error, ResponseValue};
use serde::de::DeserializeOwned;

use crate::generated::types::{EndpointListResp, EndpointResp};

impl EndpointListResp {
    /// Decodes a ListEndpoints response body (JSON) exactly as the client does: the
    /// lenient shapes accepted, unknown fields kept, one UTF-8 check of the whole body.
    /// The value and the error are those of `serde_json::from_slice`.
    ///
    /// ```
    /// let page = vpcep_client::EndpointListResp::from_json(
    ///     br#"{"endpoints":[{"id":"ep-1","enable_dns":"true"}],"total_count":1}"#,
    /// )?;
    /// assert_eq!(page.total_count, Some(1));
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn from_json(body: &[u8]) -> Result<Self, serde_json::Error> {
        decode_json(body)
    }
}

impl EndpointResp {
    /// Decodes one endpoint (JSON) exactly as the client decodes the endpoints of a page;
    /// see [`EndpointListResp::from_json`].
    pub fn from_json(body: &[u8]) -> Result<Self, serde_json::Error> {
        decode_json(body)
    }
}

/// Decodes a JSON document: one UTF-8 check of the whole input, then
/// `serde_json::from_str`. Input that is not UTF-8 is handed to `serde_json::from_slice`,
/// so the error is the one serde_json gives (with its line and column).
pub(crate) fn decode_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, serde_json::Error> {
    match std::str::from_utf8(body) {
        Ok(text) => serde_json::from_str(text),
        Err(_) => serde_json::from_slice(body),
    }
}

/// Drop-in for progenitor's `ResponseValue::from_response`, decoding with [`decode_json`].
/// Called by the generated client (the call is written there by `cargo xtask codegen`).
pub(crate) async fn from_response<T: DeserializeOwned, E>(
    response: reqwest::Response,
) -> Result<ResponseValue<T>, Error<E>> {
    let status = response.status();
    let headers = response.headers().clone();
    let full = response.bytes().await.map_err(Error::ResponseBodyError)?;
    let inner = decode_json(&full).map_err(|e| Error::InvalidResponsePayload(full, e))?;
    Ok(ResponseValue::new(inner, status, headers))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_like_from_slice() {
        let body = br#"{"endpoints":[{"id":"a","enable_dns":"true","dns_names":"x"}],"total_count":1,"new":{}}"#;
        let ours: EndpointListResp = decode_json(body).unwrap();
        let theirs: EndpointListResp = serde_json::from_slice(body).unwrap();
        assert_eq!(ours, theirs);
        assert_eq!(ours.total_count, Some(1));
    }

    #[test]
    fn invalid_utf8_gives_serde_jsons_error() {
        let body = b"{\"endpoints\":[{\"id\":\"\xff\"}]}";
        let ours = decode_json::<EndpointListResp>(body).unwrap_err();
        let theirs = serde_json::from_slice::<EndpointListResp>(body).unwrap_err();
        assert_eq!(ours.to_string(), theirs.to_string());
        assert!(ours.to_string().contains("invalid unicode"), "{ours}");
    }

    #[test]
    fn syntax_errors_keep_their_position() {
        let body = b"{\"endpoints\": [}";
        let ours = decode_json::<EndpointListResp>(body).unwrap_err();
        let theirs = serde_json::from_slice::<EndpointListResp>(body).unwrap_err();
        assert_eq!(
            (ours.line(), ours.column()),
            (theirs.line(), theirs.column())
        );
    }
}
