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

use vpcep_client::lenient::{AccountStatus, EndpointStatus, LenientBool, OneOrMany, ServiceType};
use vpcep_client::types::{EndpointResp, PolicyStatement, QueryError, TagList};

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

fn uuid(rng: &mut fastrand::Rng) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let v = rng.u128(..);
    let mut s = String::with_capacity(36);
    for i in 0..32 {
        if matches!(i, 8 | 12 | 16 | 20) {
            s.push('-');
        }
        s.push(HEX[((v >> (124 - 4 * i)) & 0xf) as usize] as char);
    }
    s
}

/// `YYYY-MM-DDTHH:MM:SSZ` of a Unix time (seconds, UTC).
pub fn format_time(secs: i64) -> String {
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
        return format!(
            "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
            rem / 3600,
            rem % 3600 / 60,
            rem % 60
        );
    }
    let mut out = [0u8; 20];
    let mut put = |at: usize, n: i64, width: u32| {
        for k in 0..width as usize {
            let digit = n / 10i64.pow(width - 1 - k as u32) % 10;
            out[at + k] = b'0' + digit as u8;
        }
    };
    put(0, year, 4);
    put(5, month, 2);
    put(8, day, 2);
    put(11, rem / 3600, 2);
    put(14, rem % 3600 / 60, 2);
    put(17, rem % 60, 2);
    for (at, c) in [
        (4, b'-'),
        (7, b'-'),
        (10, b'T'),
        (13, b':'),
        (16, b':'),
        (19, b'Z'),
    ] {
        out[at] = c;
    }
    String::from_utf8(out.to_vec()).expect("ASCII")
}

/// What every endpoint of one `(seed, project_id)` draws from (VPCs, subnets, service
/// ids, pools); [`Pools::endpoint`] makes endpoint `i`, the same for the same arguments.
pub(crate) struct Pools {
    vpcs: Vec<String>,
    subnets: Vec<Vec<String>>,
    gateway_ids: Vec<String>,
    interface_ids: Vec<String>,
    pools: Vec<String>,
    project_id: String,
    seed: u64,
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

impl Pools {
    pub(crate) fn new(seed: u64, project_id: &str) -> Self {
        let mut rng = fastrand::Rng::with_seed(seed);
        Pools {
            vpcs: (0..7).map(|_| uuid(&mut rng)).collect(),
            subnets: (0..7)
                .map(|_| (0..3).map(|_| uuid(&mut rng)).collect())
                .collect(),
            gateway_ids: (0..GATEWAY_SERVICES.len())
                .map(|_| uuid(&mut rng))
                .collect(),
            interface_ids: (0..INTERFACE_SERVICES.len())
                .map(|_| uuid(&mut rng))
                .collect(),
            pools: (0..3).map(|_| uuid(&mut rng)).collect(),
            project_id: project_id.to_owned(),
            seed,
        }
    }

    /// Endpoint `i` of [`generate`]`(n, seed, project_id)` for any `n > i`.
    pub(crate) fn endpoint(&self, i: usize) -> EndpointResp {
        endpoint(i, self)
    }
}

fn endpoint(i: usize, p: &Pools) -> EndpointResp {
    const BASE: i64 = 1_514_764_800; // 2018-01-01T00:00:00Z
    const YEAR: u64 = 365 * 86_400;
    let mut rng = fastrand::Rng::with_seed(mix(p.seed ^ mix(i as u64)));
    let (vpcs, subnets, gateway_ids, interface_ids, pools, project_id) = (
        &p.vpcs,
        &p.subnets,
        &p.gateway_ids,
        &p.interface_ids,
        &p.pools,
        p.project_id.as_str(),
    );
    {
        let id = uuid(&mut rng);
        let status = if i % 37 == 20 {
            "deleting"
        } else {
            STATUSES[i % STATUSES.len()]
        };
        let gateway = i % 4 == 1;
        let (service_name, service_id) = if gateway {
            let k = rng.usize(..GATEWAY_SERVICES.len());
            (GATEWAY_SERVICES[k], &gateway_ids[k])
        } else {
            let k = rng.usize(..INTERFACE_SERVICES.len());
            (INTERFACE_SERVICES[k], &interface_ids[k])
        };
        let v = rng.usize(..vpcs.len());
        let subnet = &subnets[v][rng.usize(..3)];

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

        let tags = (0..i % 4)
            .map(|k| TagList {
                key: Some(TAG_KEYS[(i + k) % TAG_KEYS.len()].to_owned()),
                value: Some(if k == 2 {
                    String::new()
                } else {
                    TAG_VALUES[(i / 4 + k) % TAG_VALUES.len()].to_owned()
                }),
            })
            .collect();

        let mut e = EndpointResp {
            id: Some(id),
            service_type: Some(if gateway {
                ServiceType::Gateway
            } else {
                ServiceType::Interface
            }),
            status: Some(EndpointStatus::from(status)),
            active_status: Some(OneOrMany(vec![if i % 11 == 3 {
                AccountStatus::Frozen
            } else {
                AccountStatus::Active
            }])),
            endpoint_service_name: Some(service_name.to_owned()),
            endpoint_service_id: Some(service_id.clone()),
            marker_id: Some(16_777_216 + i as i64),
            vpc_id: Some(vpcs[v].clone()),
            subnet_id: Some(subnet.clone()),
            created_at: Some(format_time(created)),
            updated_at: Some(format_time(updated)),
            project_id: Some(project_id.to_owned()),
            tags: Some(tags),
            description: Some(if i.is_multiple_of(3) {
                String::new()
            } else {
                format!("synthetic endpoint {i}")
            }),
            endpoint_pool_id: Some(pools[i % pools.len()].clone()),
            public_border_group: match i % 9 {
                4 => Some(PUBLIC_BORDER_GROUPS[0].to_owned()),
                8 => Some(PUBLIC_BORDER_GROUPS[1].to_owned()),
                _ => None,
            },
            ..Default::default()
        };
        if status == "failed" {
            e.error = Some(vec![QueryError {
                error_code: Some("EndPoint.2004".to_owned()),
                error_message: Some(
                    "Failed to create the endpoint: no IP address left in the subnet".to_owned(),
                ),
            }]);
        }
        if gateway {
            e.enable_dns = Some(LenientBool(false));
            e.routetables = Some(
                (0..1 + i % 2)
                    .map(|_| uuid(&mut rng))
                    .collect::<Vec<String>>(),
            );
            if i % 8 == 1 {
                e.policy_statement = Some(vec![PolicyStatement {
                    sid: Some(format!("stmt-{}", i % 17)),
                    effect: Some("Allow".to_owned()),
                    action: Some(OneOrMany(vec![
                        "obs:object:GetObject".to_owned(),
                        "obs:object:PutObject".to_owned(),
                    ])),
                    resource: Some(vec![format!("obs:*:*:object:bucket-{}/*", i % 17)]),
                    condition: (i % 16 == 1).then(|| {
                        json_object(serde_json::json!({
                            "StringEquals": { "obs:prefix": [format!("logs-{}/", i % 17)] }
                        }))
                    }),
                }]);
            }
        } else {
            let dns = !i.is_multiple_of(3);
            e.enable_dns = Some(LenientBool(dns));
            if dns {
                let short = &e.id.as_deref().unwrap_or_default()[..8];
                let mut names = vec![format!(
                    "{short}.{}.vpcep.cn-north-4.myhuaweicloud.com",
                    service_name.to_lowercase()
                )];
                if i.is_multiple_of(13) {
                    names.push(format!("{short}.internal.example"));
                }
                e.dns_names = Some(OneOrMany(names));
            }
            if status == "accepted" || status == "rejected" {
                e.ip = Some(format!("192.168.{}.{}", rng.u8(..), rng.u8(1..255)));
            }
            let listed = i.is_multiple_of(5);
            e.whitelist = Some(if listed {
                vec!["10.0.0.0/8".to_owned(), "192.168.0.1".to_owned()]
            } else {
                Vec::new()
            });
            e.enable_whitelist = Some(LenientBool(listed));
            if i % 10 == 2 {
                e.policy_document = Some(json_object(serde_json::json!({
                    "Version": "5.0",
                    "Statement": [{ "Effect": "Allow", "Action": ["*"] }]
                })));
            }
        }
        e
    }
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

    #[test]
    fn deterministic() {
        assert_eq!(generate(50, 7, "p"), generate(50, 7, "p"));
        assert_ne!(generate(50, 7, "p"), generate(50, 8, "p"));
    }
}
