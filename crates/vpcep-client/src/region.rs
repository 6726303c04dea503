//! VPCEP regions and their endpoints, resolved the way Huawei's official SDKs resolve them
//! (huaweicloudsdkcore 3.1.219, `region/provider.py` and `region/cache.py`), so that a new
//! region or a private cloud needs no upgrade of this crate. First hit wins:
//!
//! 1. the environment variable `HUAWEICLOUD_SDK_REGION_VPCEP_{REGION_ID}` (the region ID
//!    upper-cased, `-` replaced by `_`): one endpoint URL, or several separated by `,`;
//! 2. the regions file, `HUAWEICLOUD_SDK_REGIONS_FILE` or else `~/.huaweicloud/regions.yaml`:
//!    a YAML mapping of service names (compared upper-cased) to lists of regions, each with an
//!    `id` and `endpoints` (a list) and/or `endpoint` (appended after `endpoints`), entries
//!    without an `id` or an endpoint skipped;
//! 3. the table of this crate ([`REGIONS`], the official `VpcepRegion`);
//! 4. for an ID in none of them, `https://vpcep.{region}.myhuaweicloud.com`, with a warning
//!    (the official SDKs refuse it: huaweicloud-sdk-python-v3 issue 28).
//!
//! A region with several endpoints uses the first (the official client moves on to the next
//! one when a host is unreachable; this client does not).

use std::path::{Path, PathBuf};

use crate::credentials::Env;

/// Every region with a VPCEP endpoint known to this client, and its host's domain: the
/// official `VpcepRegion` of huaweicloudsdkvpcep 3.1.219 (`tests/python/test_regions.py`
/// compares them).
///
/// All regions use `https://vpcep.{region}.myhuaweicloud.com` except the European
/// `eu-west-101`, which lives on `myhuaweicloud.eu`.
pub const REGIONS: &[(&str, &str)] = &[
    ("ae-ad-1", "myhuaweicloud.com"),
    ("af-north-1", "myhuaweicloud.com"),
    ("af-south-1", "myhuaweicloud.com"),
    ("ap-southeast-1", "myhuaweicloud.com"),
    ("ap-southeast-2", "myhuaweicloud.com"),
    ("ap-southeast-3", "myhuaweicloud.com"),
    ("ap-southeast-4", "myhuaweicloud.com"),
    ("ap-southeast-5", "myhuaweicloud.com"),
    ("cn-east-2", "myhuaweicloud.com"),
    ("cn-east-3", "myhuaweicloud.com"),
    ("cn-east-4", "myhuaweicloud.com"),
    ("cn-east-5", "myhuaweicloud.com"),
    ("cn-north-1", "myhuaweicloud.com"),
    ("cn-north-11", "myhuaweicloud.com"),
    ("cn-north-12", "myhuaweicloud.com"),
    ("cn-north-2", "myhuaweicloud.com"),
    ("cn-north-4", "myhuaweicloud.com"),
    ("cn-north-9", "myhuaweicloud.com"),
    ("cn-south-1", "myhuaweicloud.com"),
    ("cn-south-2", "myhuaweicloud.com"),
    ("cn-south-4", "myhuaweicloud.com"),
    ("cn-southwest-2", "myhuaweicloud.com"),
    ("cn-southwest-3", "myhuaweicloud.com"),
    ("eu-west-0", "myhuaweicloud.com"),
    ("eu-west-101", "myhuaweicloud.eu"),
    ("la-north-2", "myhuaweicloud.com"),
    ("la-south-2", "myhuaweicloud.com"),
    ("me-east-1", "myhuaweicloud.com"),
    ("my-kualalumpur-1", "myhuaweicloud.com"),
    ("na-mexico-1", "myhuaweicloud.com"),
    ("ru-moscow-1", "myhuaweicloud.com"),
    ("ru-northwest-2", "myhuaweicloud.com"),
    ("sa-brazil-1", "myhuaweicloud.com"),
    ("tr-west-1", "myhuaweicloud.com"),
];

/// The service name in the variable names and the regions file.
const SERVICE: &str = "VPCEP";
/// The official variable naming the regions file.
pub const ENV_REGIONS_FILE: &str = "HUAWEICLOUD_SDK_REGIONS_FILE";
/// The official prefix of a region's endpoint variable:
/// `HUAWEICLOUD_SDK_REGION_VPCEP_{REGION_ID}`.
pub const ENV_REGION_PREFIX: &str = "HUAWEICLOUD_SDK_REGION";

/// Where a region's endpoints came from.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RegionSource {
    /// The environment variable of this name.
    Environment(String),
    /// The regions file at this path.
    RegionsFile(PathBuf),
    /// This crate's table ([`REGIONS`]).
    Table,
    /// None of them: the standard host, `https://vpcep.{region}.myhuaweicloud.com`.
    Standard,
}

impl std::fmt::Display for RegionSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RegionSource::Environment(name) => write!(f, "environment variable {name}"),
            RegionSource::RegionsFile(path) => write!(f, "regions file {}", path.display()),
            RegionSource::Table => f.write_str("the client's table"),
            RegionSource::Standard => f.write_str("the standard host"),
        }
    }
}

/// A region's VPCEP endpoints and where they came from.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ResolvedRegion {
    /// The region ID.
    pub id: String,
    /// Its endpoints (base URLs), at least one; the client uses the first.
    pub endpoints: Vec<String>,
    /// Where they came from.
    pub source: RegionSource,
}

/// The name of a region's endpoint variable: `HUAWEICLOUD_SDK_REGION_VPCEP_CN_NORTH_4` for
/// `cn-north-4`.
pub fn env_var_name(region: &str) -> String {
    format!(
        "{ENV_REGION_PREFIX}_{SERVICE}_{}",
        region.replace('-', "_").to_uppercase()
    )
}

/// The regions file `env` points at: `HUAWEICLOUD_SDK_REGIONS_FILE`, else
/// `~/.huaweicloud/regions.yaml` (`None` without a home directory).
pub fn regions_file(env: &Env) -> Option<PathBuf> {
    env.var(ENV_REGIONS_FILE).map(PathBuf::from).or_else(|| {
        env.home()
            .map(|h| h.join(".huaweicloud").join("regions.yaml"))
    })
}

/// Resolves `region`'s VPCEP endpoints by the chain in this module's documentation, reading
/// `env` (variables and home directory). Errors: an ID that cannot name a host (for the
/// standard host), a regions file that exists but cannot be read or parsed. The standard
/// host is logged as a warning.
pub fn resolve(env: &Env, region: &str) -> Result<ResolvedRegion, String> {
    let resolved = |endpoints: Vec<String>, source| ResolvedRegion {
        id: region.to_owned(),
        endpoints,
        source,
    };
    let variable = env_var_name(region);
    if let Some(value) = env.var(&variable) {
        let endpoints = split_endpoints(&value);
        if endpoints.is_empty() {
            return Err(format!("{variable} holds no endpoint URL"));
        }
        return Ok(resolved(endpoints, RegionSource::Environment(variable)));
    }
    if let Some(path) = regions_file(env) {
        if let Some(endpoints) = from_regions_file(&path, region)? {
            return Ok(resolved(endpoints, RegionSource::RegionsFile(path)));
        }
    }
    if let Some(url) = endpoint_for(region) {
        return Ok(resolved(vec![url], RegionSource::Table));
    }
    let valid = !region.is_empty()
        && region.len() <= 64
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !region.starts_with('-')
        && !region.ends_with('-');
    if !valid {
        return Err(format!(
            "invalid region {:?}: a region ID is lower-case letters, digits and '-' (e.g. \
             cn-north-4); or set its endpoint in {variable} or the regions file",
            crate::terminal::printable(region)
        ));
    }
    let url = format!("https://vpcep.{region}.myhuaweicloud.com");
    tracing::warn!(
        region,
        url,
        "region unknown to this client (not in {variable}, the regions file or the table): \
         using the standard host"
    );
    Ok(resolved(vec![url], RegionSource::Standard))
}

/// The endpoints of a comma-separated list, blanks dropped.
fn split_endpoints(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The endpoints of `region` in the regions file at `path` (`None`: no file, or the region
/// is not in it).
fn from_regions_file(path: &Path, region: &str) -> Result<Option<Vec<String>>, String> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(format!(
                "cannot read the regions file {}: {e}",
                path.display()
            ))
        }
    };
    parse_regions_file(&text, region)
        .map_err(|e| format!("cannot parse the regions file {}: {e}", path.display()))
}

/// One region entry of the regions file.
#[derive(serde::Deserialize)]
struct FileRegion {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    endpoints: Option<Vec<String>>,
    #[serde(default)]
    endpoint: Option<String>,
}

/// The endpoints of `region` for VPCEP in a regions file's text: `endpoints`, then
/// `endpoint` appended (as `ProfileRegionCache` does); the last entry with the ID wins.
fn parse_regions_file(text: &str, region: &str) -> Result<Option<Vec<String>>, String> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    let services: std::collections::BTreeMap<String, Option<Vec<FileRegion>>> =
        serde_norway::from_str(text).map_err(|e| e.to_string())?;
    let mut found = None;
    for (service, regions) in services {
        if service.to_uppercase() != SERVICE {
            continue;
        }
        for entry in regions.unwrap_or_default() {
            if entry.id.as_deref() != Some(region) {
                continue;
            }
            let mut endpoints = entry.endpoints.unwrap_or_default();
            endpoints.extend(entry.endpoint);
            endpoints.retain(|e| !e.trim().is_empty());
            if !endpoints.is_empty() {
                found = Some(endpoints);
            }
        }
    }
    Ok(found)
}

/// The VPCEP base URL of a region in this crate's table, e.g.
/// `https://vpcep.cn-north-4.myhuaweicloud.com`.
pub fn endpoint_for(region: &str) -> Option<String> {
    REGIONS
        .iter()
        .find(|(id, _)| *id == region)
        .map(|(id, domain)| format!("https://vpcep.{id}.{domain}"))
}

/// Whether a project name of IAM is a region's project: `{region}` or `{region}_{suffix}`,
/// the region part shaped like a region ID (`cn-north-4`: lower-case letters, digits and at
/// least one `-`). IAM's other projects (`MOS`) are not. Returns the region.
pub fn region_of_project(name: &str) -> Option<&str> {
    let region = name.split_once('_').map_or(name, |(region, _)| region);
    let shaped = region.contains('-')
        && !region.starts_with('-')
        && !region.ends_with('-')
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    shaped.then_some(region)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Env {
        // No HOME: the default regions file is not read unless named.
        Env::from_pairs(pairs.iter().copied())
    }

    #[test]
    fn regional_hosts() {
        assert_eq!(
            endpoint_for("cn-north-4").as_deref(),
            Some("https://vpcep.cn-north-4.myhuaweicloud.com")
        );
        assert_eq!(
            endpoint_for("eu-west-101").as_deref(),
            Some("https://vpcep.eu-west-101.myhuaweicloud.eu")
        );
        assert_eq!(endpoint_for("xx-nowhere-1"), None);
    }

    #[test]
    fn table_is_sorted_and_unique() {
        let ids: Vec<&str> = REGIONS.iter().map(|(id, _)| *id).collect();
        let mut sorted = ids.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(ids, sorted);
    }

    #[test]
    fn the_variable_wins_over_the_file_and_the_table() {
        let dir = std::env::temp_dir().join(format!("vpcep-regions-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("regions.yaml");
        std::fs::write(
            &file,
            "VPCEP:\n  - id: cn-north-4\n    endpoint: https://from-file\n",
        )
        .unwrap();
        let file_name = file.to_str().unwrap();
        let with_var = env(&[
            (
                "HUAWEICLOUD_SDK_REGION_VPCEP_CN_NORTH_4",
                "https://a, https://b",
            ),
            (ENV_REGIONS_FILE, file_name),
        ]);
        let r = resolve(&with_var, "cn-north-4").unwrap();
        assert_eq!(r.endpoints, ["https://a", "https://b"]);
        assert_eq!(
            r.source,
            RegionSource::Environment("HUAWEICLOUD_SDK_REGION_VPCEP_CN_NORTH_4".into())
        );
        let r = resolve(&env(&[(ENV_REGIONS_FILE, file_name)]), "cn-north-4").unwrap();
        assert_eq!(r.endpoints, ["https://from-file"]);
        assert_eq!(r.source, RegionSource::RegionsFile(file.clone()));
        let r = resolve(&env(&[(ENV_REGIONS_FILE, file_name)]), "cn-east-3").unwrap();
        assert_eq!(r.source, RegionSource::Table);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn an_unknown_region_gets_the_standard_host_and_a_bad_id_an_error() {
        let r = resolve(&env(&[]), "xx-private-7").unwrap();
        assert_eq!(
            r.endpoints,
            ["https://vpcep.xx-private-7.myhuaweicloud.com"]
        );
        assert_eq!(r.source, RegionSource::Standard);
        for bad in ["", "cn-north-4/..", "CN-NORTH-4", "a.b", "-x"] {
            let e = resolve(&env(&[]), bad).unwrap_err();
            assert!(e.contains("invalid region"), "{bad}: {e}");
        }
    }

    #[test]
    fn the_file_as_the_official_sdk_reads_it() {
        let text = "\
vpcep:
  - id: r-1
    endpoints: [https://e1, https://e2]
    endpoint: https://e3
  - endpoint: https://no-id
  - id: r-2
OTHER:
  - id: r-3
    endpoint: https://other
";
        assert_eq!(
            parse_regions_file(text, "r-1").unwrap().unwrap(),
            ["https://e1", "https://e2", "https://e3"]
        );
        assert_eq!(parse_regions_file(text, "r-2").unwrap(), None);
        assert_eq!(parse_regions_file(text, "r-3").unwrap(), None);
        assert!(parse_regions_file("VPCEP: [", "r-1").is_err());
        assert_eq!(parse_regions_file("", "r-1").unwrap(), None);
    }

    #[test]
    fn projects_of_regions() {
        assert_eq!(region_of_project("cn-north-4"), Some("cn-north-4"));
        assert_eq!(region_of_project("cn-north-4_dev"), Some("cn-north-4"));
        assert_eq!(region_of_project("MOS"), None);
        assert_eq!(region_of_project("admin"), None);
        assert_eq!(
            env_var_name("cn-north-4"),
            "HUAWEICLOUD_SDK_REGION_VPCEP_CN_NORTH_4"
        );
    }
}
