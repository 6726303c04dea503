//! Fuzzes the response decoders: the page through the client's own decoder
//! (`vpcep_client::EndpointListResp::from_json`, which must agree with `serde_json::from_slice`:
//! the same value or the same error) and the error body (`ApiError::from_body`, both error
//! shapes and HTML pages). Nothing may panic, whatever the bytes; a page that decodes must
//! serialize and decode back to the same value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vpcep_client::types::EndpointListResp;
use vpcep_client::ApiError;

fuzz_target!(|data: &[u8]| {
    let ours = EndpointListResp::from_json(data);
    let theirs = serde_json::from_slice::<EndpointListResp>(data);
    match (&ours, &theirs) {
        (Ok(a), Ok(b)) => assert_eq!(a, b),
        (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string()),
        _ => panic!("from_json and from_slice disagree: {ours:?} vs {theirs:?}"),
    }
    if let Ok(page) = ours {
        let bytes = serde_json::to_vec(&page).expect("a decoded page serializes");
        let again = EndpointListResp::from_json(&bytes).expect("a serialized page decodes");
        assert_eq!(again, page);
    }
    for status in [400, 404, 429, 500, 503] {
        let _ = ApiError::from_body(status, data, None);
    }
});
