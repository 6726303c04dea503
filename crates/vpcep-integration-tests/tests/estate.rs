//! Many targets as one listing (`vpcep_client::estate`) against the fake's organisation
//! (`vpcep_fake::organisation`): discovery of every region's projects from IAM, one region
//! failing, a throttled region, agencies into other accounts.

use std::collections::BTreeSet;

use vpcep_client::credentials::Env;
use vpcep_client::estate::{self, Estate, EstateItem, Outcome, Regions, Target};
use vpcep_client::{Client, Credentials, RetryConfig};
use vpcep_fake::organisation::{OrgConfig, OrgServer, RegionFault, GENERATED_AGENCY};

const REGIONS: [&str; 3] = ["xx-north-1", "xx-south-2", "xx-west-3"];

fn org(config: OrgConfig) -> OrgServer {
    OrgServer::start(config, "127.0.0.1:0".parse().unwrap()).unwrap()
}

/// A client of `credentials` that finds regions and IAM in `org` the official way (the
/// region variables and the IAM endpoint), by a fixed environment.
fn account(org: &OrgServer, credentials: Credentials) -> Client {
    Client::builder()
        .region(REGIONS[0])
        .env(Env::from_pairs(org.region_env()))
        .iam_endpoint(org.iam_url())
        .credentials(credentials)
        .retry(RetryConfig::standard().with_max_attempts(2))
        .build()
        .unwrap()
}

fn base_keys() -> Credentials {
    Credentials::aksk("AK-ACCT-0", "SK-ACCT-0")
}

/// Every project of account `a` in a region, by ID, with its endpoint IDs.
fn expected(org: &OrgServer, a: usize) -> Vec<(String, String, BTreeSet<String>)> {
    let mut all: Vec<_> = org.config().accounts[a]
        .projects
        .iter()
        .filter_map(|p| {
            let region = p.region()?.to_owned();
            let ids = org.endpoint_ids(a, &p.id).into_iter().collect();
            Some((region, p.id.clone(), ids))
        })
        .collect();
    all.sort();
    all
}

fn listed(listing: &estate::EstateListing) -> Vec<(String, String, BTreeSet<String>)> {
    let mut all: Vec<_> = listing
        .targets
        .iter()
        .map(|t| {
            let ids: BTreeSet<String> = t.endpoints.iter().filter_map(|e| e.id.clone()).collect();
            assert_eq!(ids.len(), t.endpoints.len(), "no endpoint twice");
            (
                t.report.target.region.clone().unwrap(),
                t.report.target.project_id.clone().unwrap(),
                ids,
            )
        })
        .collect();
    all.sort();
    all
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_region_and_sub_project_iam_lists_is_discovered_and_listed_complete() {
    let org = org(OrgConfig::generated(1, &REGIONS, 1, 1_205));
    let client = account(&org, base_keys());
    let targets = estate::discover(&client, None, &Regions::All).await;
    // Three regions, each with its project and one sub-project; MOS is not a region.
    assert_eq!(targets.len(), 6);
    let listing = Estate::new().targets(targets).send().await;
    assert!(listing.is_complete(), "{listing:?}");
    assert_eq!(listed(&listing), expected(&org, 0));
    for t in &listing.targets {
        let receipt = t.report.receipt.as_ref().expect("a receipt per target");
        assert!(receipt.complete);
        assert_eq!(receipt.endpoints, 1_205);
        // The account is named by the domain ID IAM gave.
        assert_eq!(
            t.report.target.account.as_deref(),
            Some(org.config().accounts[0].domain_id.as_str())
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_region_failing_leaves_every_other_target_complete() {
    let org = org(OrgConfig::generated(1, &REGIONS, 1, 30));
    org.set_region_fault("xx-south-2", Some(RegionFault::Unavailable));
    let client = account(&org, base_keys());
    let targets = estate::discover(&client, None, &Regions::All).await;
    let listing = Estate::new().targets(targets).send().await;
    assert!(!listing.is_complete());
    for t in &listing.targets {
        let region = t.report.target.region.as_deref().unwrap();
        if region == "xx-south-2" {
            assert!(
                matches!(&t.report.outcome, Outcome::Failed(e) if e.to_string().contains("503")),
                "{:?}",
                t.report.outcome
            );
            let receipt = t.report.receipt.as_ref().unwrap();
            assert!(!receipt.complete);
            assert!(t.endpoints.is_empty());
        } else {
            assert!(t.report.outcome.is_complete(), "{:?}", t.report.outcome);
            assert_eq!(t.endpoints.len(), 30);
        }
    }
    let failed = listing
        .targets
        .iter()
        .filter(|t| !t.report.outcome.is_complete())
        .count();
    assert_eq!(failed, 2, "the region's project and its sub-project");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_throttled_region_slows_only_itself() {
    // Every request of one region is throttled (EndPoint.0022, Retry-After 1 s); a cap of 2
    // requests in flight. The other regions do not wait for it: each of their targets is
    // reported before the throttled ones, with the one request it needs.
    let regions = [
        "xx-north-1",
        "xx-south-2",
        "xx-west-3",
        "xx-east-4",
        "xx-east-5",
    ];
    let org = org(OrgConfig::generated(1, &regions, 0, 40));
    org.set_region_fault("xx-north-1", Some(RegionFault::ThrottledEndpoint0022(1)));
    let client = Client::builder()
        .region(regions[0])
        .env(Env::from_pairs(org.region_env()))
        .iam_endpoint(org.iam_url())
        .credentials(base_keys())
        .retry(RetryConfig::standard().with_max_attempts(3))
        .build()
        .unwrap();
    let targets = estate::discover(&client, None, &Regions::All).await;
    let mut stream = std::pin::pin!(Estate::new().max_in_flight(2).targets(targets).stream());
    let mut order = Vec::new();
    while let Some(item) = futures::StreamExt::next(&mut stream).await {
        if let EstateItem::Finished(report) = item {
            order.push((report.target.region.clone().unwrap(), report.outcome));
        }
    }
    let (last, outcome) = order.last().unwrap();
    assert_eq!(last, "xx-north-1", "{order:?}");
    assert!(matches!(outcome, Outcome::Failed(_)), "{outcome:?}");
    assert!(order[..4].iter().all(|(_, o)| o.is_complete()), "{order:?}");
    for region in &regions[1..] {
        assert_eq!(org.requests_in(region), 1, "{region}: one page, no retry");
    }
    // The throttled region used its three attempts.
    assert_eq!(org.requests_in("xx-north-1"), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_account_is_listed_with_its_agency_s_temporary_credentials() {
    let org = org(OrgConfig::generated(2, &REGIONS[..2], 0, 20));
    let credentials = base_keys()
        .assume_agency(org.iam_url(), "acct-1", GENERATED_AGENCY)
        .unwrap();
    let agency = account(&org, credentials);
    let mut targets = estate::discover(&agency, Some("acct-1"), &Regions::All).await;
    targets
        .extend(estate::discover(&account(&org, base_keys()), Some("acct-0"), &Regions::All).await);
    assert_eq!(targets.len(), 4);
    let listing = Estate::new().targets(targets).send().await;
    assert!(listing.is_complete(), "{listing:?}");
    let of = |label: &str| {
        listing
            .targets
            .iter()
            .filter(|t| t.report.target.account.as_deref() == Some(label))
            .count()
    };
    assert_eq!(of("acct-0"), 2);
    assert_eq!(of("acct-1"), 2);
    let mut agency_listed: Vec<_> = listed(&listing)
        .into_iter()
        .filter(|(_, project, _)| project.starts_with("01"))
        .collect();
    agency_listed.sort();
    assert_eq!(agency_listed, expected(&org, 1));
    // One assumption (IAM's answer is renewed only when due), never a base key in acct-1.
    assert_eq!(org.assume_calls(), 1);
    let secrets = org.issued_secrets();
    assert!(!secrets.is_empty());
    assert!(!format!("{listing:?}").contains(&secrets[0]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agency_credentials_are_renewed_like_the_chain_s() {
    // Lifetime 30 min, under the 40-minute refresh margin: every signing renews them, and
    // each renewal is a new assumption with new keys; the listing completes all the same.
    let mut config = OrgConfig::generated(2, &REGIONS, 0, 10);
    config.credential_lifetime = std::time::Duration::from_secs(1800);
    let org = org(config);
    let credentials = base_keys()
        .assume_agency(org.iam_url(), "acct-1", GENERATED_AGENCY)
        .unwrap();
    let agency = account(&org, credentials);
    let targets = estate::discover(&agency, Some("acct-1"), &Regions::All).await;
    let listing = Estate::new().targets(targets).send().await;
    assert!(listing.is_complete(), "{listing:?}");
    assert!(org.assume_calls() > 3, "renewed: {}", org.assume_calls());
    // Two secrets (SK, security token) per assumption: new keys each time.
    assert_eq!(org.issued_secrets().len() as u64, 2 * org.assume_calls());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agency_that_does_not_trust_the_caller_is_a_failed_target() {
    let org = org(OrgConfig::generated(2, &REGIONS[..1], 0, 5));
    let credentials = base_keys()
        .assume_agency(org.iam_url(), "acct-1", "no-such-agency")
        .unwrap();
    let agency = account(&org, credentials);
    let targets = estate::discover(&agency, Some("acct-1"), &Regions::All).await;
    assert_eq!(targets.len(), 1);
    let listing = Estate::new().targets(targets).send().await;
    let outcome = &listing.targets[0].report.outcome;
    assert!(
        matches!(outcome, Outcome::Failed(e) if e.to_string().contains("403")),
        "{outcome:?}"
    );
    assert_eq!(
        listing.targets[0].report.target.account.as_deref(),
        Some("acct-1")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listed_regions_take_each_region_s_project_from_iam() {
    let org = org(OrgConfig::generated(1, &REGIONS, 1, 12));
    let client = account(&org, base_keys());
    let regions = Regions::parse("xx-west-3,xx-north-1").unwrap();
    let targets = estate::discover(&client, Some("acct-0"), &regions).await;
    assert_eq!(targets.len(), 2);
    let listing = Estate::new().targets(targets).send().await;
    assert!(listing.is_complete(), "{listing:?}");
    // The region's own project (named after it), not its sub-project.
    let projects: Vec<(String, String)> = listing
        .targets
        .iter()
        .map(|t| {
            (
                t.report.target.region.clone().unwrap(),
                t.report.target.project_id.clone().unwrap(),
            )
        })
        .collect();
    let own = |region: &str| {
        org.config().accounts[0]
            .projects
            .iter()
            .find(|p| p.name == region)
            .unwrap()
            .id
            .clone()
    };
    assert_eq!(
        projects,
        [
            ("xx-west-3".to_owned(), own("xx-west-3")),
            ("xx-north-1".to_owned(), own("xx-north-1"))
        ]
    );
    assert!(Regions::parse("all,xx-north-1").is_err());
    assert!(Regions::parse(" , ").is_err());
}

#[test]
fn an_iam_token_cannot_assume_an_agency() {
    let e = Credentials::token("t")
        .assume_agency("http://127.0.0.1:9", "acct-1", GENERATED_AGENCY)
        .unwrap_err();
    assert!(e.to_string().contains("AK/SK"), "{e}");
}

#[test]
fn skipped_and_failed_targets_are_reported_without_a_request() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let id = estate::TargetId::new(Some("a".into()), Some("xx-north-1".into()), None);
    let listing = runtime.block_on(
        Estate::new()
            .target(Target::skipped(id.clone(), "not today"))
            .target(Target::failed(
                id,
                vpcep_client::Error::Config("broken".into()),
            ))
            .send(),
    );
    assert_eq!(listing.targets.len(), 2);
    assert!(matches!(&listing.targets[0].report.outcome, Outcome::Skipped(r) if r == "not today"));
    assert!(matches!(
        &listing.targets[1].report.outcome,
        Outcome::Failed(_)
    ));
}
