//! The project-ID lookup: the project ID of a region from IAM, when the client has
//! credentials but no project ID (`BasicCredentials.process_auth_params` in the official
//! SDK): `GET {iam}/v3/projects?name={region}` (KeystoneListProjects), signed with the
//! credentials the client has. Not a credential provider: it uses credentials, it does not
//! make them.
//!
//! The IAM endpoint is, in order: the client's [`crate::ClientBuilder::iam_endpoint`], the
//! profile's `iam_endpoint`, `HUAWEICLOUD_SDK_IAM_ENDPOINT`, the region's endpoint from the
//! official table ([`IAM_REGIONS`]), else `https://iam.myhuaweicloud.com`. Results are
//! cached for the process per IAM endpoint, access key and region.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, SystemTime};

use reqwest::header::{HeaderValue, USER_AGENT};

use crate::http_policy::{excerpt, without_url};
use crate::secrets::AkSk;

/// Regions whose IAM endpoint is `https://iam.{region}.myhuaweicloud.com`
/// (`huaweicloudsdkcore/auth/endpoint.py`); others use [`DEFAULT_IAM_ENDPOINT`].
pub(crate) const IAM_REGIONS: &[&str] = &[
    "ae-ad-1",
    "af-south-1",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "cn-east-2",
    "cn-east-3",
    "cn-east-4",
    "cn-east-5",
    "cn-north-1",
    "cn-north-12",
    "cn-north-2",
    "cn-north-4",
    "cn-north-9",
    "cn-south-1",
    "cn-south-2",
    "cn-southwest-2",
    "eu-west-0",
    "la-north-2",
    "la-south-2",
    "me-east-1",
    "my-kualalumpur-1",
    "na-mexico-1",
    "ru-moscow-1",
    "sa-brazil-1",
    "tr-west-1",
];

/// The official SDK's IAM endpoint for regions outside its table.
pub(crate) const DEFAULT_IAM_ENDPOINT: &str = "https://iam.myhuaweicloud.com";

/// The IAM endpoint of a region by the official table.
pub(crate) fn iam_endpoint_for(region: &str) -> String {
    if IAM_REGIONS.contains(&region) {
        format!("https://iam.{region}.myhuaweicloud.com")
    } else {
        DEFAULT_IAM_ENDPOINT.to_owned()
    }
}

type CacheKey = (String, String, String);
static CACHE: LazyLock<Mutex<HashMap<CacheKey, String>>> = LazyLock::new(Default::default);

/// Looks the project up (or finds it in the cache), by the crate's HTTP rules
/// (`http_policy.rs`: no redirect followed, the answer within `limit` bytes). Errors say
/// how to set a project ID and never carry a secret.
pub(crate) async fn project_id(
    http: &reqwest::Client,
    iam: &str,
    region: &str,
    keys: &AkSk,
    user_agent: &HeaderValue,
    timeout: Duration,
    limit: u64,
) -> Result<String, String> {
    let iam = iam.trim_end_matches('/');
    let key = (
        iam.to_owned(),
        keys.access_key().to_owned(),
        region.to_owned(),
    );
    if let Some(found) = CACHE.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
        return Ok(found.clone());
    }
    const HOW: &str = "set the project ID (--project-id, ClientBuilder::project_id, \
                       HUAWEICLOUD_SDK_PROJECT_ID or project_id in the credentials file)";
    let mut url = reqwest::Url::parse(&format!("{iam}/v3/projects"))
        .map_err(|e| format!("invalid IAM endpoint {iam:?}: {e}"))?;
    url.query_pairs_mut().append_pair("name", region);
    tracing::info!(region, iam, "no project ID: looking it up in IAM");
    let failed = |m: String| {
        format!(
            "could not get the project ID of region '{region}' from IAM at {iam}: {}; or {HOW}",
            crate::terminal::printable(&m)
        )
    };
    let (projects, trace_id) = get_projects(http, url, keys, user_agent, timeout, limit)
        .await
        .map_err(failed)?;
    match projects.projects.as_slice() {
        [] => Err(format!(
            "no project named '{region}' in IAM at {iam} (X-IAM-Trace-Id={trace_id}): \
             confirm that the project exists in your account, or {HOW}"
        )),
        [one] => {
            tracing::info!(region, "project ID found in IAM");
            CACHE
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(key, one.id.clone());
            Ok(one.id.clone())
        }
        several => Err(format!(
            "several projects named '{region}' in IAM at {iam}: [{}] (X-IAM-Trace-Id={trace_id}); \
             choose one: {HOW}",
            several
                .iter()
                .map(|p| crate::terminal::printable(&p.id))
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// KeystoneListProjects at `url`, signed with `keys`, its answer read by the crate's HTTP
/// rules: the projects of a 200 and its `X-IAM-Trace-Id`, else what went wrong (no
/// secret).
async fn get_projects(
    http: &reqwest::Client,
    url: reqwest::Url,
    keys: &AkSk,
    user_agent: &HeaderValue,
    timeout: Duration,
    limit: u64,
) -> Result<(Projects, String), String> {
    let mut request = reqwest::Request::new(reqwest::Method::GET, url);
    *request.timeout_mut() = Some(timeout);
    request.headers_mut().insert(USER_AGENT, user_agent.clone());
    request.headers_mut().insert(
        reqwest::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    crate::signer::sign_request(&mut request, keys, SystemTime::now())
        .map_err(|e| format!("could not sign the IAM request: {e}"))?;
    let answer = crate::http_policy::fetch(http, request, limit)
        .await
        .map_err(|e| without_url(e).to_string())?;
    let trace_id = answer
        .headers
        .get("x-iam-trace-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("none")
        .to_owned();
    if answer.status != 200 {
        return Err(format!(
            "IAM answered {} (X-IAM-Trace-Id={trace_id}): {}",
            answer.status,
            excerpt(&answer.body)
        ));
    }
    let projects = serde_json::from_slice(&answer.body)
        .map_err(|e| format!("unexpected answer (X-IAM-Trace-Id={trace_id}): {e}"))?;
    Ok((projects, trace_id))
}

/// A project of IAM's answer.
#[derive(serde::Deserialize)]
struct Project {
    id: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    domain_id: Option<String>,
    #[serde(default)]
    enabled: Option<bool>,
}

/// IAM's answer to KeystoneListProjects.
#[derive(serde::Deserialize)]
struct Projects {
    #[serde(default)]
    projects: Vec<Project>,
}

/// A project of an account, as IAM lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct IamProject {
    /// The project ID.
    pub id: String,
    /// Its name: a region ID (`cn-north-4`), a sub-project (`cn-north-4_dev`), or IAM's own
    /// (`MOS`).
    pub name: String,
    /// The account (domain) ID.
    pub domain_id: Option<String>,
    /// Whether it is enabled (IAM says so; `true` when it does not).
    pub enabled: bool,
}

impl IamProject {
    /// The region of a region's project or sub-project; `None` for IAM's non-regional
    /// projects (`MOS`).
    pub fn region(&self) -> Option<&str> {
        crate::region::region_of_project(&self.name)
    }
}

/// Projects asked for per page of KeystoneListProjects.
const PROJECTS_PER_PAGE: usize = 1000;
/// Pages of projects read at most (a million projects).
const MAX_PROJECT_PAGES: u32 = 1000;

/// Every project of the account `keys` belong to: KeystoneListProjects without a name,
/// paged (`page`, `per_page`) until a page is short.
pub(crate) async fn all_projects(
    http: &reqwest::Client,
    iam: &str,
    keys: &AkSk,
    user_agent: &HeaderValue,
    timeout: Duration,
    limit: u64,
) -> Result<Vec<IamProject>, String> {
    let iam = iam.trim_end_matches('/');
    let failed = |m: String| {
        format!(
            "could not list the projects of the account from IAM at {iam}: {}",
            crate::terminal::printable(&m)
        )
    };
    let mut found = Vec::new();
    for page in 1..=MAX_PROJECT_PAGES {
        let mut url = reqwest::Url::parse(&format!("{iam}/v3/projects"))
            .map_err(|e| format!("invalid IAM endpoint {iam:?}: {e}"))?;
        url.query_pairs_mut()
            .append_pair("page", &page.to_string())
            .append_pair("per_page", &PROJECTS_PER_PAGE.to_string());
        let (projects, _) = get_projects(http, url, keys, user_agent, timeout, limit)
            .await
            .map_err(failed)?;
        let n = projects.projects.len();
        found.extend(projects.projects.into_iter().map(|p| IamProject {
            name: p.name.unwrap_or_default(),
            id: p.id,
            domain_id: p.domain_id,
            enabled: p.enabled.unwrap_or(true),
        }));
        if n < PROJECTS_PER_PAGE {
            return Ok(found);
        }
    }
    Err(failed(format!(
        "more than {} projects",
        MAX_PROJECT_PAGES as usize * PROJECTS_PER_PAGE
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn official_rule() {
        assert_eq!(
            iam_endpoint_for("cn-north-4"),
            "https://iam.cn-north-4.myhuaweicloud.com"
        );
        assert_eq!(iam_endpoint_for("eu-west-101"), DEFAULT_IAM_ENDPOINT);
        let mut sorted = IAM_REGIONS.to_vec();
        sorted.sort_unstable();
        assert_eq!(sorted, IAM_REGIONS);
    }
}
