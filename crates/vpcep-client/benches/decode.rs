//! Decoding throughput of one 1000-endpoint ListEndpoints page.
//!
//! Three decoders over the same bytes:
//! - `typed`: `serde_json::from_slice::<EndpointListResp>` — what the client does per page;
//! - `ignored_any`: `serde_json::from_slice::<IgnoredAny>` — the parser alone, the ceiling;
//! - `value`: `serde_json::from_slice::<serde_json::Value>` — an untyped tree.
//!
//! The page is realistic and quirky: booleans as `"true"`/`"false"` strings, one-element
//! lists as a single string, tags, whitelists, policy statements and unknown fields.
//! Criterion reports bytes/s; the bench also prints endpoints/s of each decoder.
//!
//! Run: `cargo bench -p vpcep-client --bench decode`.

use std::hint::black_box;
use std::time::Instant;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use serde_json::{json, Value};
use vpcep_client::types::EndpointListResp;

const N: usize = 1000;

fn uuid(rng: &mut u64) -> String {
    let mut next = || {
        // xorshift64*
        *rng ^= *rng >> 12;
        *rng ^= *rng << 25;
        *rng ^= *rng >> 27;
        rng.wrapping_mul(0x2545_F491_4F6C_DD1D)
    };
    let h = format!("{:016x}{:016x}", next(), next());
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// A page of `n` endpoints in the shapes real servers send.
fn page(n: usize) -> Vec<u8> {
    let mut rng = 0x9E37_79B9_7F4A_7C15_u64;
    let statuses = [
        "accepted",
        "pendingAcceptance",
        "creating",
        "rejected",
        "failed",
        "deleting",
    ];
    let endpoints: Vec<Value> = (0..n)
        .map(|i| {
            let gateway = i % 4 == 1;
            let mut e = json!({
                "id": uuid(&mut rng),
                "status": statuses[i % statuses.len()],
                "ip": format!("192.168.{}.{}", i / 250, i % 250 + 2),
                "marker_id": 16_777_216 + i,
                "vpc_id": uuid(&mut rng),
                "service_type": if gateway { "gateway" } else { "interface" },
                "project_id": "295dacf46a4842fcbf7844dc2dc2489d",
                "subnet_id": uuid(&mut rng),
                "created_at": "2018-10-18T06:49:46Z",
                "updated_at": "2018-10-18T06:49:50Z",
                "endpoint_service_id": uuid(&mut rng),
                "endpoint_service_name": format!("cn-north-4.obs{i}.{}", uuid(&mut rng)),
                "endpoint_pool_id": uuid(&mut rng),
                "public_border_group": "br-iaas-odin1raa",
                "description": "created by terraform",
                "whitelist": ["127.0.0.1", "10.0.0.0/8"],
                "routetables": if gateway { json!([uuid(&mut rng)]) } else { json!([]) },
                "tags": (0..i % 4)
                    .map(|k| json!({"key": format!("key{k}"), "value": format!("value{i}")}))
                    .collect::<Vec<_>>(),
                "unknown_future_field": {"nested": [1, 2, 3]},
            });
            let map = e.as_object_mut().expect("object");
            if i % 2 == 0 {
                // The vendor doc's shapes.
                map.insert("enable_dns".into(), json!("true"));
                map.insert("enable_whitelist".into(), json!("false"));
                map.insert("active_status".into(), json!("active"));
                map.insert("dns_names".into(), json!(format!("ep{i}.example.com")));
            } else {
                map.insert("enable_dns".into(), json!(true));
                map.insert("enable_whitelist".into(), json!(false));
                map.insert("active_status".into(), json!(["active"]));
                map.insert(
                    "dns_names".into(),
                    json!([format!("ep{i}.example.com"), format!("ep{i}.internal")]),
                );
            }
            if gateway {
                map.insert(
                    "policy_statement".into(),
                    json!([{"Effect": "Allow", "Action": "obs:*:*", "Resource": ["obs:*:*:*:*/*"]}]),
                );
            }
            e
        })
        .collect();
    serde_json::to_vec(&json!({"endpoints": endpoints, "total_count": 100_000})).expect("page")
}

/// Endpoints/s of one decoder, measured over a fixed number of iterations (printed beside
/// criterion's bytes/s so the README can quote both).
fn endpoints_per_sec(name: &str, bytes: &[u8], decode: impl Fn(&[u8])) {
    for _ in 0..20 {
        decode(bytes);
    }
    let iters = 200;
    let start = Instant::now();
    for _ in 0..iters {
        decode(bytes);
    }
    let secs = start.elapsed().as_secs_f64();
    let eps = (iters * N) as f64 / secs;
    let mbps = (iters * bytes.len()) as f64 / secs / 1e6;
    println!(
        "decode/{name}: {eps:.0} endpoints/s, {mbps:.0} MB/s ({N} endpoints, {} bytes/page)",
        bytes.len()
    );
}

fn bench(c: &mut Criterion) {
    let bytes = page(N);
    let decoded: EndpointListResp = serde_json::from_slice(&bytes).expect("the page decodes");
    assert_eq!(decoded.endpoints.as_ref().map(Vec::len), Some(N));

    endpoints_per_sec("typed", &bytes, |b| {
        black_box(serde_json::from_slice::<EndpointListResp>(b).expect("decodes"));
    });
    endpoints_per_sec("ignored_any", &bytes, |b| {
        black_box(serde_json::from_slice::<serde::de::IgnoredAny>(b).expect("parses"));
    });
    endpoints_per_sec("value", &bytes, |b| {
        black_box(serde_json::from_slice::<Value>(b).expect("parses"));
    });

    let mut group = c.benchmark_group("decode_page_1000");
    group.throughput(Throughput::Bytes(bytes.len() as u64));
    group.bench_function("typed", |b| {
        b.iter(|| serde_json::from_slice::<EndpointListResp>(black_box(&bytes)).expect("decodes"))
    });
    group.bench_function("ignored_any", |b| {
        b.iter(|| {
            serde_json::from_slice::<serde::de::IgnoredAny>(black_box(&bytes)).expect("parses")
        })
    });
    group.bench_function("value", |b| {
        b.iter(|| serde_json::from_slice::<Value>(black_box(&bytes)).expect("parses"))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
