//! Fuzzes the response decoders: the page (`EndpointListResp` through
//! `serde_json::from_slice`) and the error body (`ApiError::from_body`, both error shapes
//! and HTML pages). Neither may panic, whatever the bytes; a page that decodes must
//! serialize and decode back to the same value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vpcep_client::types::EndpointListResp;
use vpcep_client::ApiError;

fuzz_target!(|data: &[u8]| {
    if let Ok(page) = serde_json::from_slice::<EndpointListResp>(data) {
        let bytes = serde_json::to_vec(&page).expect("a decoded page serializes");
        let again: EndpointListResp =
            serde_json::from_slice(&bytes).expect("a serialized page decodes");
        assert_eq!(again, page);
    }
    for status in [400, 404, 429, 500, 503] {
        let _ = ApiError::from_body(status, data, None);
    }
});
