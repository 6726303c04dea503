//! The example of vpcep-client's README, as a library (`connect`, `list`): see `build.rs`.

include!(concat!(env!("OUT_DIR"), "/readme.rs"));
