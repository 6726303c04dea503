//! The page the decoding benchmarks decode, and the benchmark itself, shared by
//! `decode.rs` (system allocator) and `decode_mimalloc.rs` (mimalloc).

use std::hint::black_box;
use std::time::Instant;

use criterion::{Criterion, Throughput};
use serde_json::{json, Value};
use vpcep_client::types::EndpointListResp;

pub const N: usize = 1000;

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
pub fn page(n: usize) -> Vec<u8> {
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
/// criterion's bytes/s so the README can quote both); best of 5 rounds, because the
/// machines we measure on are shared.
fn endpoints_per_sec(label: &str, name: &str, bytes: &[u8], decode: impl Fn(&[u8])) {
    for _ in 0..20 {
        decode(bytes);
    }
    let iters = 100;
    let mut best = f64::INFINITY;
    for _ in 0..5 {
        let start = Instant::now();
        for _ in 0..iters {
            decode(bytes);
        }
        best = best.min(start.elapsed().as_secs_f64());
    }
    let eps = (iters * N) as f64 / best;
    let mbps = (iters * bytes.len()) as f64 / best / 1e6;
    println!(
        "{label}/{name}: {eps:.0} endpoints/s, {mbps:.0} MB/s ({N} endpoints, {} bytes/page)",
        bytes.len()
    );
}

/// Four decoders over the same page:
/// - `typed`: `EndpointListResp::from_json` — what the client does
///   per page (one UTF-8 check, then `serde_json::from_str`);
/// - `typed_from_slice`: `serde_json::from_slice::<EndpointListResp>` — progenitor's own
///   decoding, which validates UTF-8 string by string;
/// - `ignored_any`: `serde_json::from_slice::<IgnoredAny>` — the parser alone, the ceiling;
/// - `value`: `serde_json::from_slice::<serde_json::Value>` — an untyped tree.
pub fn bench(c: &mut Criterion, label: &str) {
    let bytes = page(N);
    let decoded = EndpointListResp::from_json(&bytes).expect("the page decodes");
    assert_eq!(decoded.endpoints.as_ref().map(Vec::len), Some(N));

    endpoints_per_sec(label, "typed", &bytes, |b| {
        black_box(EndpointListResp::from_json(b).expect("decodes"));
    });
    endpoints_per_sec(label, "typed_from_slice", &bytes, |b| {
        black_box(serde_json::from_slice::<EndpointListResp>(b).expect("decodes"));
    });
    endpoints_per_sec(label, "ignored_any", &bytes, |b| {
        black_box(serde_json::from_slice::<serde::de::IgnoredAny>(b).expect("parses"));
    });
    endpoints_per_sec(label, "value", &bytes, |b| {
        black_box(serde_json::from_slice::<Value>(b).expect("parses"));
    });

    let mut group = c.benchmark_group(format!("{label}_page_1000"));
    group.throughput(Throughput::Bytes(bytes.len() as u64));
    group.bench_function("typed", |b| {
        b.iter(|| EndpointListResp::from_json(black_box(&bytes)).expect("decodes"))
    });
    group.bench_function("typed_from_slice", |b| {
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
