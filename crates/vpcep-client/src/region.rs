//! VPCEP regions and their endpoints, as listed by Huawei's official SDKs (`VpcepRegion`).

/// Every region with a VPCEP endpoint known to this client, and its host's domain.
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
    ("cn-east-2", "myhuaweicloud.com"),
    ("cn-east-3", "myhuaweicloud.com"),
    ("cn-east-4", "myhuaweicloud.com"),
    ("cn-east-5", "myhuaweicloud.com"),
    ("cn-north-1", "myhuaweicloud.com"),
    ("cn-north-11", "myhuaweicloud.com"),
    ("cn-north-2", "myhuaweicloud.com"),
    ("cn-north-4", "myhuaweicloud.com"),
    ("cn-north-9", "myhuaweicloud.com"),
    ("cn-south-1", "myhuaweicloud.com"),
    ("cn-south-2", "myhuaweicloud.com"),
    ("cn-south-4", "myhuaweicloud.com"),
    ("cn-southwest-2", "myhuaweicloud.com"),
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

/// The VPCEP base URL of a known region, e.g. `https://vpcep.cn-north-4.myhuaweicloud.com`.
pub fn endpoint_for(region: &str) -> Option<String> {
    REGIONS
        .iter()
        .find(|(id, _)| *id == region)
        .map(|(id, domain)| format!("https://vpcep.{id}.{domain}"))
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
