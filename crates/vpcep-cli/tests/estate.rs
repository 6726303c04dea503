//! `vpcep` over several targets (`--region all|a,b,c`, `--agency`) against the fake's
//! organisation: records tagged with their target, the summary, the partial exit code,
//! the receipt of every target.

mod common;

use std::collections::BTreeMap;

use common::{stderr_text, vpcep};
use vpcep_fake::organisation::{OrgConfig, OrgServer, RegionFault, GENERATED_AGENCY};

const REGIONS: [&str; 3] = ["xx-north-1", "xx-south-2", "xx-west-3"];

fn org(accounts: usize, endpoints: usize) -> OrgServer {
    OrgServer::start(
        OrgConfig::generated(accounts, &REGIONS, 1, endpoints),
        "127.0.0.1:0".parse().unwrap(),
    )
    .unwrap()
}

/// The environment of a user of the organisation's first account: its keys, and the
/// regions and IAM found the official way.
fn env(org: &OrgServer) -> Vec<(String, String)> {
    let mut env = org.region_env();
    env.push(("HUAWEICLOUD_SDK_AK".into(), "AK-ACCT-0".into()));
    env.push(("HUAWEICLOUD_SDK_SK".into(), "SK-ACCT-0".into()));
    env.push(("HOME".into(), "/nonexistent-home".into()));
    env
}

fn run(org: &OrgServer, args: &[&str]) -> std::process::Output {
    let env = env(org);
    let pairs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    vpcep(&pairs, args)
}

/// `vpcep GLOBALS endpoints list --all -o jsonl`.
fn list_jsonl(org: &OrgServer, globals: &[&str]) -> std::process::Output {
    let mut args = globals.to_vec();
    args.extend(["endpoints", "list", "--all", "-o", "jsonl"]);
    run(org, &args)
}

/// JSON lines by (account, region, project) → endpoint count.
fn by_target(stdout: &[u8]) -> BTreeMap<(String, String, String), usize> {
    let mut counts = BTreeMap::new();
    for line in String::from_utf8_lossy(stdout).lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let t = &v["target"];
        let key = (
            t["account"].as_str().unwrap_or("-").to_owned(),
            t["region"].as_str().unwrap().to_owned(),
            t["project_id"].as_str().unwrap().to_owned(),
        );
        assert!(v["id"].is_string(), "{line}");
        *counts.entry(key).or_default() += 1;
    }
    counts
}

#[test]
fn region_all_lists_every_project_of_the_account_tagged_with_its_target() {
    let org = org(1, 7);
    let out = list_jsonl(&org, &["--region", "all"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr_text(&out));
    let counts = by_target(&out.stdout);
    // Three regions, a project and a sub-project each (MOS is not listed).
    assert_eq!(counts.len(), 6, "{counts:?}");
    assert!(counts.values().all(|&n| n == 7));
    let domain = &org.config().accounts[0].domain_id;
    assert!(counts.keys().all(|(account, _, _)| account == domain));
    // No summary when every target is complete.
    assert!(
        !stderr_text(&out).contains("targets:"),
        "{}",
        stderr_text(&out)
    );
}

#[test]
fn a_failing_region_gives_the_partial_exit_code_and_a_summary_naming_it() {
    let org = org(1, 5);
    org.set_region_fault("xx-south-2", Some(RegionFault::Unavailable));
    let receipt =
        std::env::temp_dir().join(format!("vpcep-estate-receipt-{}.json", std::process::id()));
    let receipt_path = receipt.to_str().unwrap();
    let out = run(
        &org,
        &[
            "--region",
            "all",
            "--retries",
            "0",
            "endpoints",
            "list",
            "--all",
            "-o",
            "jsonl",
            "--receipt",
            receipt_path,
        ],
    );
    assert_eq!(out.status.code(), Some(8), "{}", stderr_text(&out));
    let counts = by_target(&out.stdout);
    assert_eq!(counts.len(), 4, "every other target printed: {counts:?}");
    assert!(counts.keys().all(|(_, region, _)| region != "xx-south-2"));
    let stderr = stderr_text(&out);
    assert!(stderr.contains("targets: 4 of 6 complete"), "{stderr}");
    assert!(stderr.matches("  failed ").count() == 2, "{stderr}");
    assert!(stderr.contains("/xx-south-2/"), "{stderr}");
    assert!(stderr.contains("503"), "{stderr}");
    assert!(
        stderr.contains("error: 2 of 6 targets not complete"),
        "{stderr}"
    );
    // The receipt covers every target.
    let document: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&receipt).unwrap()).unwrap();
    std::fs::remove_file(&receipt).unwrap();
    assert_eq!(document["complete"], false);
    let targets = document["targets"].as_array().unwrap();
    assert_eq!(targets.len(), 6);
    for t in targets {
        let failed = t["region"] == "xx-south-2";
        assert_eq!(
            t["outcome"],
            if failed { "failed" } else { "complete" },
            "{t}"
        );
        assert_eq!(t["receipt"]["complete"], !failed, "{t}");
    }
}

#[test]
fn agencies_list_other_accounts_and_the_table_shows_the_targets() {
    let org = org(2, 3);
    let agency = format!("acct-1/{GENERATED_AGENCY}");
    let out = list_jsonl(
        &org,
        &["--region", "xx-north-1,xx-west-3", "--agency", &agency],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr_text(&out));
    let counts = by_target(&out.stdout);
    // Two regions (each region's own project), for the base account and acct-1.
    assert_eq!(counts.len(), 4, "{counts:?}");
    assert_eq!(counts.keys().filter(|(a, _, _)| a == "acct-1").count(), 2);
    assert_eq!(org.assume_calls(), 1);

    let only_agency = run(
        &org,
        &[
            "--region",
            "xx-north-1",
            "--agency",
            &agency,
            "--no-base-account",
            "endpoints",
            "list",
            "--all",
            "-o",
            "table",
        ],
    );
    assert_eq!(
        only_agency.status.code(),
        Some(0),
        "{}",
        stderr_text(&only_agency)
    );
    let table = String::from_utf8_lossy(&only_agency.stdout);
    let header = table.lines().next().unwrap();
    assert!(
        header.starts_with("ACCOUNT  REGION      PROJECT"),
        "{table}"
    );
    assert_eq!(table.lines().count(), 1 + 3, "{table}");
    assert!(
        table
            .lines()
            .skip(1)
            .all(|l| l.starts_with("acct-1   xx-north-1")),
        "{table}"
    );
}

#[test]
fn several_targets_refuse_what_names_one() {
    let org = org(1, 1);
    for (args, needle) in [
        (vec!["--region", "all", "endpoints", "list"], "add --all"),
        (
            vec![
                "--region",
                "all",
                "--project-id",
                "p",
                "endpoints",
                "list",
                "--all",
            ],
            "--project-id",
        ),
        (
            vec![
                "--region",
                "a-b-1,c-d-2",
                "--endpoint-url",
                "http://127.0.0.1:9",
                "endpoints",
                "list",
                "--all",
            ],
            "--endpoint-url",
        ),
        (
            vec![
                "--region",
                "all",
                "--token",
                "t",
                "endpoints",
                "list",
                "--all",
            ],
            "--token",
        ),
        (
            vec![
                "--agency",
                "nobody",
                "--region",
                "all",
                "endpoints",
                "list",
                "--all",
            ],
            "DOMAIN_NAME/AGENCY_NAME",
        ),
    ] {
        let out = run(&org, &args);
        assert_eq!(
            out.status.code(),
            Some(4),
            "{args:?}: {}",
            stderr_text(&out)
        );
        assert!(
            stderr_text(&out).contains(needle),
            "{args:?}: {}",
            stderr_text(&out)
        );
    }
}

#[test]
fn sigint_stops_every_target_and_the_receipt_says_which_were_not_listed() {
    // Every VPCEP request of the organisation takes a minute: nothing completes.
    let org = OrgServer::start(
        OrgConfig::generated(1, &REGIONS, 0, 5).latency(std::time::Duration::from_secs(60)),
        "127.0.0.1:0".parse().unwrap(),
    )
    .unwrap();
    let receipt =
        std::env::temp_dir().join(format!("vpcep-estate-sigint-{}.json", std::process::id()));
    let env = env(&org);
    let pairs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let args = [
        "--region",
        "all",
        "endpoints",
        "list",
        "--all",
        "-o",
        "json",
        "--receipt",
        receipt.to_str().unwrap(),
    ];
    let (code, stdout, stderr) = common::signalled(&pairs, &args, "-INT", || {
        REGIONS.iter().all(|r| org.requests_in(r) >= 1)
    });
    assert_eq!(code, Some(130), "{stderr}");
    let doc: serde_json::Value = serde_json::from_slice(&stdout).expect("a valid JSON document");
    assert_eq!(doc["endpoints"].as_array().unwrap().len(), 0);
    assert!(stderr.contains("interrupted by SIGINT"), "{stderr}");
    assert!(stderr.contains("targets: 0 of 3 complete"), "{stderr}");
    let document: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&receipt).unwrap()).unwrap();
    std::fs::remove_file(&receipt).unwrap();
    assert_eq!(document["complete"], false);
    for t in document["targets"].as_array().unwrap() {
        assert_eq!(t["outcome"], "skipped", "{t}");
        assert_eq!(t["error"], "interrupted by SIGINT", "{t}");
        assert!(t["region"].is_string(), "{t}");
    }
}
