//! Decoding throughput of one 1000-endpoint ListEndpoints page, with mimalloc as the
//! global allocator: typed decoding allocates ~25 `String`s per endpoint, so the allocator
//! is an application's biggest lever (the `vpcep` CLI uses mimalloc). Same page and
//! decoders as `decode.rs`.
//!
//! Run: `cargo bench -p vpcep-client --bench decode_mimalloc`.

use criterion::{criterion_group, criterion_main, Criterion};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod support;

fn bench(c: &mut Criterion) {
    support::bench(c, "decode_mimalloc");
}

criterion_group!(benches, bench);
criterion_main!(benches);
