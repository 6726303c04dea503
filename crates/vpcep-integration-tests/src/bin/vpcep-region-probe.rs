//! Test tool for the official-SDK cross-check of region resolution
//! (tests/python/test_regions.py): resolves each region ID given as an argument the way
//! the client does (`vpcep_client::region::resolve`, over the process environment) and
//! prints one JSON object per line: `{"region", "endpoints", "source"}`, or `{"region",
//! "error"}`.

use vpcep_client::credentials::Env;
use vpcep_client::region::{resolve, RegionSource};

fn main() {
    let env = Env::process();
    for region in std::env::args().skip(1) {
        let line = match resolve(&env, &region) {
            Ok(r) => {
                let source = match &r.source {
                    RegionSource::Environment(_) => "environment",
                    RegionSource::RegionsFile(_) => "regions-file",
                    RegionSource::Table => "table",
                    _ => "standard",
                };
                serde_json::json!({"region": region, "endpoints": r.endpoints, "source": source})
            }
            Err(e) => serde_json::json!({"region": region, "error": e}),
        };
        println!("{line}");
    }
}
