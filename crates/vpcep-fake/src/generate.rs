//! Deterministic synthetic endpoints (`--generate N --seed S`).
//!
//! The same `(n, seed, project_id)` always gives the same endpoints, every one of them
//! carrying `project_id` (the CLI's `--project-id`, by default [`DEFAULT_PROJECT_ID`]),
//! which is the project to list them under when project scoping is on. Categorical fields
//! cycle with the index so that every value appears as soon as `n` is a few dozen:
//!
//! * `status` cycles through accepted (most), pendingAcceptance, creating, rejected and
//!   failed (failed ones carry `error`); one in 37 is `deleting` (official SDKs' value);
//! * one in four is a `gateway` endpoint (`routetables`, sometimes `policy_statement`
//!   with `Sid`, and a `Condition` on every other one; no `ip`, no DNS, no whitelist); the
//!   rest are `interface` endpoints (`ip` when accepted or rejected, `dns_names` when
//!   `enable_dns`, `whitelist`/`enable_whitelist`, a `policy_document` on one in ten);
//! * 7 VPCs, 12 endpoint services (mixed-case names, so case-insensitive matching shows),
//!   2 public border groups on about one in five, 0–3 tags (some with an empty value),
//!   `active_status` frozen on one in eleven;
//! * creation and update times are random but independent, so the two sort orders differ;
//!   one in ten endpoints was created in one of 40 batches (and one in six was never
//!   updated), so equal timestamps exercise the tie-breaking by id.
//!
//! Each endpoint is written straight as JSON text ([`Pools::write`]: the bytes
//! `serde_json` makes of the same `EndpointResp`, keys in the struct's order, no value
//! built on the way), from its random draws ([`Draws`], a few numbers per endpoint, made
//! again at will since they depend only on the seed and the index). So the fake holds
//! only the text, and can lay it out in any order without holding two copies;
//! [`generate`] decodes that text for callers that want the typed endpoints.

use std::io::Write;

use vpcep_client::types::{EndpointResp, PolicyStatement, QueryError};

/// Project id of the vendor doc's example, used by default for generated endpoints.
pub const DEFAULT_PROJECT_ID: &str = "295dacf46a4842fcbf7844dc2dc2489d";

/// The public border groups generated endpoints may carry.
pub const PUBLIC_BORDER_GROUPS: [&str; 2] = ["br-iaas-odin1raa", "br-iaas-odin1rab"];

const STATUSES: [&str; 7] = [
    "accepted",
    "pendingAcceptance",
    "accepted",
    "creating",
    "accepted",
    "rejected",
    "failed",
];

const GATEWAY_SERVICES: [&str; 3] = [
    "com.myhuaweicloud.cn-north-4.obs",
    "com.myhuaweicloud.cn-north-4.DIS",
    "cn-north-4.sfs-turbo",
];

const INTERFACE_SERVICES: [&str; 9] = [
    "com.myhuaweicloud.cn-north-4.dns",
    "cn-north-4.apig",
    "cn-north-4.Payments-API",
    "cn-north-4.payments-batch",
    "cn-north-4.ledger.PROD",
    "cn-north-4.ledger.dev",
    "cn-north-4.search",
    "cn-north-4.MyPrivateSvc",
    "test123",
];

const TAG_KEYS: [&str; 5] = ["env", "team", "cost-center", "owner", "app"];
const TAG_VALUES: [&str; 5] = ["prod", "dev", "", "payments", "ops"];

/// The 36-character text of a UUID held as a number (lower-case hex: the text sorts as
/// the number does).
pub(crate) fn write_uuid(out: &mut Vec<u8>, v: u128) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut text = [0u8; 36];
    let mut at = 0;
    for byte in 0..16 {
        if matches!(byte, 4 | 6 | 8 | 10) {
            text[at] = b'-';
            at += 1;
        }
        let b = (v >> (120 - 8 * byte)) as u8;
        text[at] = HEX[usize::from(b >> 4)];
        text[at + 1] = HEX[usize::from(b & 0xf)];
        at += 2;
    }
    out.extend_from_slice(&text);
}

fn uuid_text(v: u128) -> String {
    let mut out = Vec::with_capacity(36);
    write_uuid(&mut out, v);
    String::from_utf8(out).expect("ASCII")
}

/// `YYYY-MM-DDTHH:MM:SSZ` of a Unix time (seconds, UTC).
pub fn format_time(secs: i64) -> String {
    let mut out = Vec::with_capacity(20);
    write_time(&mut out, secs);
    String::from_utf8(out).expect("ASCII")
}

/// [`format_time`] written to `out`.
fn write_time(out: &mut Vec<u8>, secs: i64) {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    if !(0..10_000).contains(&year) {
        let _ = write!(
            out,
            "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
            rem / 3600,
            rem % 3600 / 60,
            rem % 60
        );
        return;
    }
    let mut text = *b"0000-00-00T00:00:00Z";
    let mut put = |at: usize, mut n: i64, width: usize| {
        for k in (0..width).rev() {
            text[at + k] = b'0' + (n % 10) as u8;
            n /= 10;
        }
    };
    put(0, year, 4);
    put(5, month, 2);
    put(8, day, 2);
    put(11, rem / 3600, 2);
    put(14, rem % 3600 / 60, 2);
    put(17, rem % 60, 2);
    out.extend_from_slice(&text);
}

/// What every endpoint of one `(seed, project_id)` draws from (VPCs, subnets, service
/// ids, pools, and the JSON of the few nested values), and the writer of endpoint `i`.
pub(crate) struct Pools {
    vpcs: Vec<String>,
    subnets: Vec<Vec<String>>,
    gateway_ids: Vec<String>,
    interface_ids: Vec<String>,
    pools: Vec<String>,
    /// `project_id`'s JSON string.
    project_json: Vec<u8>,
    seed: u64,
    /// The JSON of `error` (failed endpoints) and `policy_document`, and of the
    /// `policy_statement` of endpoint `i` by `(i % 17, i % 16 == 1)`.
    error_json: Vec<u8>,
    policy_document_json: Vec<u8>,
    statements_json: Vec<Vec<u8>>,
    /// The interface services' names in lower case (for `dns_names`).
    interface_lower: Vec<String>,
}

/// The random draws of one endpoint, in the order they are made (so that the endpoint
/// is the same whatever else is generated).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Draws {
    pub(crate) i: usize,
    pub(crate) id: u128,
    /// Index of the endpoint service (gateway or interface list).
    service: usize,
    vpc: usize,
    subnet: usize,
    pub(crate) created: i64,
    pub(crate) updated: i64,
    /// Gateways: the route tables (one or two); interfaces: the IP's last two bytes.
    routes: [u128; 2],
    ip: (u8, u8),
}

const BASE: i64 = 1_514_764_800; // 2018-01-01T00:00:00Z
const YEAR: u64 = 365 * 86_400;

impl Pools {
    pub(crate) fn new(seed: u64, project_id: &str) -> Self {
        let mut rng = fastrand::Rng::with_seed(seed);
        let mut uuid = || uuid_text(rng.u128(..));
        let vpcs = (0..7).map(|_| uuid()).collect();
        let subnets = (0..7).map(|_| (0..3).map(|_| uuid()).collect()).collect();
        let gateway_ids = (0..GATEWAY_SERVICES.len()).map(|_| uuid()).collect();
        let interface_ids = (0..INTERFACE_SERVICES.len()).map(|_| uuid()).collect();
        let pools = (0..3).map(|_| uuid()).collect();
        let json = |value: &dyn erased::Json| value.to_json();
        let error = vec![QueryError {
            error_code: Some("EndPoint.2004".to_owned()),
            error_message: Some(
                "Failed to create the endpoint: no IP address left in the subnet".to_owned(),
            ),
        }];
        let policy_document = serde_json::json!({
            "Version": "5.0",
            "Statement": [{ "Effect": "Allow", "Action": ["*"] }]
        });
        let statements_json = (0..34)
            .map(|k| {
                let (m, condition) = (k / 2, k % 2 == 1);
                json(&vec![PolicyStatement {
                    sid: Some(format!("stmt-{m}")),
                    effect: Some("Allow".to_owned()),
                    action: Some(vpcep_client::lenient::OneOrMany(vec![
                        "obs:object:GetObject".to_owned(),
                        "obs:object:PutObject".to_owned(),
                    ])),
                    resource: Some(vec![format!("obs:*:*:object:bucket-{m}/*")]),
                    condition: condition.then(|| {
                        json_object(serde_json::json!({
                            "StringEquals": { "obs:prefix": [format!("logs-{m}/")] }
                        }))
                    }),
                }])
            })
            .collect();
        Pools {
            vpcs,
            subnets,
            gateway_ids,
            interface_ids,
            pools,
            project_json: json(&project_id),
            seed,
            error_json: json(&error),
            policy_document_json: json(&json_object(policy_document)),
            statements_json,
            interface_lower: INTERFACE_SERVICES
                .iter()
                .map(|s| s.to_lowercase())
                .collect(),
        }
    }

    /// The random draws of endpoint `i`.
    pub(crate) fn draws(&self, i: usize) -> Draws {
        let mut rng = fastrand::Rng::with_seed(mix(self.seed ^ mix(i as u64)));
        let id = rng.u128(..);
        let gateway = i % 4 == 1;
        let service = if gateway {
            rng.usize(..GATEWAY_SERVICES.len())
        } else {
            rng.usize(..INTERFACE_SERVICES.len())
        };
        let vpc = rng.usize(..self.vpcs.len());
        let subnet = rng.usize(..3);
        let batch = i % 10 == 7;
        let created = if batch {
            BASE + 86_400 * rng.i64(0..40)
        } else {
            BASE + rng.u64(0..5 * YEAR) as i64
        };
        let updated = if i.is_multiple_of(6) {
            created
        } else if batch {
            BASE + 5 * YEAR as i64 + 3_600 * rng.i64(0..40)
        } else {
            created + rng.u64(1..2 * YEAR) as i64
        };
        let mut routes = [0; 2];
        let mut ip = (0, 0);
        if gateway {
            for route in routes.iter_mut().take(1 + i % 2) {
                *route = rng.u128(..);
            }
        } else if matches!(status(i), "accepted" | "rejected") {
            ip = (rng.u8(..), rng.u8(1..255));
        }
        Draws {
            i,
            id,
            service,
            vpc,
            subnet,
            created,
            updated,
            routes,
            ip,
        }
    }

    /// Writes endpoint `d.i` as JSON: the bytes `serde_json` makes of the same
    /// `EndpointResp` (fields in the struct's order, those without a value left out).
    /// Returns where in `out` the text of its id starts (36 bytes, no escape).
    pub(crate) fn write(&self, d: &Draws, out: &mut Vec<u8>) -> usize {
        let i = d.i;
        let status = status(i);
        let gateway = i % 4 == 1;
        let (service_name, service_id) = if gateway {
            (GATEWAY_SERVICES[d.service], &self.gateway_ids[d.service])
        } else {
            (
                INTERFACE_SERVICES[d.service],
                &self.interface_ids[d.service],
            )
        };
        let key = |out: &mut Vec<u8>, first: bool, name: &str| {
            out.extend_from_slice(if first { b"{\"" } else { b",\"" });
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(b"\":");
        };
        // Every text value here is a constant, hex or digits: nothing to escape (the
        // project's ID, given, is escaped once in `Pools::new`).
        let text = |out: &mut Vec<u8>, name: &str, value: &str| {
            key(out, false, name);
            write_plain_str(out, value);
        };
        key(out, true, "active_status");
        out.extend_from_slice(if i % 11 == 3 {
            b"[\"frozen\"]"
        } else {
            b"[\"active\"]"
        });
        key(out, false, "created_at");
        out.push(b'"');
        write_time(out, d.created);
        out.push(b'"');
        key(out, false, "description");
        if i.is_multiple_of(3) {
            out.extend_from_slice(b"\"\"");
        } else {
            out.extend_from_slice(b"\"synthetic endpoint ");
            write_integer(out, i as u64);
            out.push(b'"');
        }
        let dns = !gateway && !i.is_multiple_of(3);
        if dns {
            // Made of hex digits, a service's name and constants: nothing to escape.
            key(out, false, "dns_names");
            let mut id = Vec::with_capacity(36);
            write_uuid(&mut id, d.id);
            let short = &id[..8];
            out.extend_from_slice(b"[\"");
            out.extend_from_slice(short);
            out.push(b'.');
            out.extend_from_slice(self.interface_lower[d.service].as_bytes());
            out.extend_from_slice(b".vpcep.cn-north-4.myhuaweicloud.com\"");
            if i.is_multiple_of(13) {
                out.extend_from_slice(b",\"");
                out.extend_from_slice(short);
                out.extend_from_slice(b".internal.example\"");
            }
            out.push(b']');
        }
        key(out, false, "enable_dns");
        out.extend_from_slice(if dns { b"true" } else { b"false" });
        let listed = i.is_multiple_of(5);
        if !gateway {
            key(out, false, "enable_whitelist");
            out.extend_from_slice(if listed { b"true" } else { b"false" });
        }
        text(out, "endpoint_pool_id", &self.pools[i % self.pools.len()]);
        text(out, "endpoint_service_id", service_id);
        text(out, "endpoint_service_name", service_name);
        if status == "failed" {
            key(out, false, "error");
            out.extend_from_slice(&self.error_json);
        }
        key(out, false, "id");
        out.push(b'"');
        let id_at = out.len();
        write_uuid(out, d.id);
        out.push(b'"');
        if !gateway && matches!(status, "accepted" | "rejected") {
            key(out, false, "ip");
            out.extend_from_slice(b"\"192.168.");
            write_integer(out, u64::from(d.ip.0));
            out.push(b'.');
            write_integer(out, u64::from(d.ip.1));
            out.push(b'"');
        }
        key(out, false, "marker_id");
        write_integer(out, 16_777_216 + i as u64);
        if !gateway && i % 10 == 2 {
            key(out, false, "policy_document");
            out.extend_from_slice(&self.policy_document_json);
        }
        if gateway && i % 8 == 1 {
            key(out, false, "policy_statement");
            let k = (i % 17) * 2 + usize::from(i % 16 == 1);
            out.extend_from_slice(&self.statements_json[k]);
        }
        key(out, false, "project_id");
        out.extend_from_slice(&self.project_json);
        match i % 9 {
            4 => text(out, "public_border_group", PUBLIC_BORDER_GROUPS[0]),
            8 => text(out, "public_border_group", PUBLIC_BORDER_GROUPS[1]),
            _ => {}
        }
        if gateway {
            key(out, false, "routetables");
            out.push(b'[');
            for (k, route) in d.routes.iter().take(1 + i % 2).enumerate() {
                if k > 0 {
                    out.push(b',');
                }
                out.push(b'"');
                write_uuid(out, *route);
                out.push(b'"');
            }
            out.push(b']');
        }
        text(
            out,
            "service_type",
            if gateway { "gateway" } else { "interface" },
        );
        text(out, "status", status);
        text(out, "subnet_id", &self.subnets[d.vpc][d.subnet]);
        key(out, false, "tags");
        out.push(b'[');
        for k in 0..i % 4 {
            if k > 0 {
                out.push(b',');
            }
            out.extend_from_slice(b"{\"key\":");
            write_plain_str(out, TAG_KEYS[(i + k) % TAG_KEYS.len()]);
            out.extend_from_slice(b",\"value\":");
            let value = if k == 2 {
                ""
            } else {
                TAG_VALUES[(i / 4 + k) % TAG_VALUES.len()]
            };
            write_plain_str(out, value);
            out.push(b'}');
        }
        out.push(b']');
        key(out, false, "updated_at");
        out.push(b'"');
        write_time(out, d.updated);
        out.push(b'"');
        text(out, "vpc_id", &self.vpcs[d.vpc]);
        if !gateway {
            key(out, false, "whitelist");
            out.extend_from_slice(if listed {
                b"[\"10.0.0.0/8\",\"192.168.0.1\"]"
            } else {
                b"[]"
            });
        }
        out.push(b'}');
        id_at
    }

    /// The JSON text of endpoint `i`.
    pub(crate) fn json(&self, i: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(1024);
        self.write(&self.draws(i), &mut out);
        out
    }

    /// Endpoint `i` of [`generate`]`(n, seed, project_id)` for any `n > i`.
    pub(crate) fn endpoint(&self, i: usize) -> EndpointResp {
        serde_json::from_slice(&self.json(i)).expect("the generator writes valid endpoints")
    }
}

/// The status of endpoint `i`.
fn status(i: usize) -> &'static str {
    if i % 37 == 20 {
        "deleting"
    } else {
        STATUSES[i % STATUSES.len()]
    }
}

/// A non-negative integer in decimal, as `serde_json` writes it.
fn write_integer(out: &mut Vec<u8>, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[at..]);
}

/// A JSON string that needs no escape (a constant of this module, hex, digits).
fn write_plain_str(out: &mut Vec<u8>, s: &str) {
    debug_assert!(
        s.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\'),
        "{s:?} needs escaping"
    );
    out.push(b'"');
    out.extend_from_slice(s.as_bytes());
    out.push(b'"');
}

/// `serde_json` text of a value (for the few nested values, made once per [`Pools`]).
mod erased {
    pub(super) trait Json {
        fn to_json(&self) -> Vec<u8>;
    }
    impl<T: serde::Serialize> Json for T {
        fn to_json(&self) -> Vec<u8> {
            serde_json::to_vec(self).expect("serializes")
        }
    }
}

/// SplitMix64: independent-looking seeds for each endpoint's generator.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// `n` synthetic endpoints of project `project_id`, the same for the same arguments
/// (whatever the number of threads: each endpoint has its own random generator).
pub fn generate(n: usize, seed: u64, project_id: &str) -> Vec<EndpointResp> {
    let p = Pools::new(seed, project_id);
    let threads = std::thread::available_parallelism()
        .map(|t| t.get())
        .unwrap_or(1)
        .clamp(1, 8);
    if n < 4096 || threads == 1 {
        return (0..n).map(|i| p.endpoint(i)).collect();
    }
    let chunk = n.div_ceil(threads);
    std::thread::scope(|scope| {
        let parts: Vec<_> = (0..n)
            .step_by(chunk)
            .map(|start| {
                let p = &p;
                scope.spawn(move || {
                    (start..(start + chunk).min(n))
                        .map(|i| p.endpoint(i))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let mut out = Vec::with_capacity(n);
        for part in parts {
            out.extend(part.join().expect("generator thread panicked"));
        }
        out
    })
}

fn json_object(value: serde_json::Value) -> serde_json::Map<String, serde_json::Value> {
    match value {
        serde_json::Value::Object(map) => map,
        _ => unreachable!("an object literal"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vpcep_client::lenient::EndpointStatus;

    #[test]
    fn formats_times() {
        assert_eq!(format_time(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_time(1_539_845_386), "2018-10-18T06:49:46Z");
        assert_eq!(format_time(951_782_400), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn every_known_value_and_new_field_appears() {
        let all = generate(60, 1, "p");
        for status in EndpointStatus::KNOWN {
            assert!(
                all.iter()
                    .any(|e| e.status.as_ref().map(|s| s.as_str()) == Some(*status)),
                "no endpoint with status {status}"
            );
        }
        assert!(all.iter().any(|e| e.policy_document.is_some()));
        let statements: Vec<&PolicyStatement> = all
            .iter()
            .flat_map(|e| e.policy_statement.iter().flatten())
            .collect();
        assert!(statements.iter().all(|s| s.sid.is_some()));
        assert!(statements.iter().any(|s| s.condition.is_some()));
    }

    /// The text is exactly what `serde_json` writes of the endpoint it decodes to, so
    /// serving the text is serving the typed endpoint (and `generate` is that endpoint).
    #[test]
    fn the_text_is_what_serde_writes_of_the_endpoint() {
        for seed in [0, 7] {
            let pools = Pools::new(seed, "p");
            for i in 0..5_000 {
                let text = pools.json(i);
                let endpoint: EndpointResp = serde_json::from_slice(&text).unwrap();
                assert_eq!(
                    serde_json::to_vec(&endpoint).unwrap(),
                    text,
                    "endpoint {i}: {}",
                    String::from_utf8_lossy(&text)
                );
            }
        }
    }

    #[test]
    fn deterministic() {
        assert_eq!(generate(50, 7, "p"), generate(50, 7, "p"));
        assert_ne!(generate(50, 7, "p"), generate(50, 8, "p"));
    }
}
