//! Decoding throughput of one 1000-endpoint ListEndpoints page, system allocator.
//!
//! The page is realistic and quirky: booleans as `"true"`/`"false"` strings, one-element
//! lists as a single string, tags, whitelists, policy statements and unknown fields
//! (`support/mod.rs`). Criterion reports bytes/s; the bench also prints endpoints/s of
//! each decoder. `decode_mimalloc.rs` runs the same with mimalloc.
//!
//! Run: `cargo bench -p vpcep-client --bench decode`.

use criterion::{criterion_group, criterion_main, Criterion};

mod support;

fn bench(c: &mut Criterion) {
    support::bench(c, "decode");
}

criterion_group!(benches, bench);
criterion_main!(benches);
