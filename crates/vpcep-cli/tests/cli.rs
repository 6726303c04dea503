//! Golden-output tests: the real `vpcep` binary against an in-process `vpcep-fake` on
//! 127.0.0.1, one test per output format and per error path. Snapshots are in
//! `tests/snapshots/`; run `cargo insta review` (or `INSTA_UPDATE=always`) after a change.

use std::collections::HashSet;
use std::process::Output;

use vpcep_fake::{FakeConfig, FakeServer, Fault};

mod common;
use common::{credentials_file, list, list_without_token, stdout, success, vpcep, PROJECT, TOKEN};

fn stderr(out: &Output) -> String {
    String::from_utf8(out.stderr.clone()).expect("UTF-8 stderr")
}

/// Exit code and stderr, with the fake's address and request ids (random per fake) made
/// stable.
fn failure(out: &Output, fake: Option<&FakeServer>, url: &str) -> String {
    let mut err = stderr(out).replace(url, "http://[FAKE]");
    if let Some(fake) = fake {
        for r in fake.requests() {
            err = err.replace(&r.request_id, "[REQUEST_ID]");
        }
    }
    assert!(
        out.stdout.is_empty(),
        "stdout must carry only output: {:?}",
        stdout(out)
    );
    assert_eq!(err.lines().count(), 1, "one line on stderr: {err}");
    format!("exit: {}\n{err}", out.status.code().unwrap_or(-1))
}

fn doc_fake() -> FakeServer {
    FakeServer::start(FakeConfig::new().token(TOKEN)).expect("fake starts")
}

fn generated_fake(n: usize) -> FakeServer {
    FakeServer::start(FakeConfig::new().generate(n, 7).token(TOKEN)).expect("fake starts")
}

// ---------------------------------------------------------------- output formats

#[test]
fn table_of_the_doc_example() {
    let fake = doc_fake();
    let out = list(&fake.url(), &["--output", "table"]);
    insta::assert_snapshot!("table_doc_example", success(&out));
}

#[test]
fn json_of_the_doc_example() {
    let fake = FakeServer::start(FakeConfig::new().token(TOKEN).quirks(true)).unwrap();
    let out = list(&fake.url(), &["--output", "json"]);
    let text = success(&out);
    // The fake sent the doc's quirky shapes; the output is normalised.
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["endpoints"][0]["enable_dns"], serde_json::json!(true));
    insta::assert_snapshot!("json_doc_example", text);
}

#[test]
fn json_is_the_default_when_stdout_is_not_a_terminal() {
    let fake = doc_fake();
    let default = success(&list(&fake.url(), &[]));
    let json = success(&list(&fake.url(), &["--output", "json"]));
    assert_eq!(default, json);
}

#[test]
fn jsonl_of_the_doc_example() {
    let fake = doc_fake();
    let out = list(&fake.url(), &["--output", "jsonl"]);
    insta::assert_snapshot!("jsonl_doc_example", success(&out));
}

#[test]
fn ids_of_the_doc_example() {
    let fake = doc_fake();
    let out = list(&fake.url(), &["-o", "ids"]);
    insta::assert_snapshot!("ids_doc_example", success(&out));
}

#[test]
fn table_of_generated_endpoints_with_footer() {
    let fake = generated_fake(30);
    let out = list(&fake.url(), &["--output", "table", "--limit", "8"]);
    insta::assert_snapshot!("table_generated_first_page", success(&out));
}

#[test]
fn all_pages_in_every_format() {
    let fake = generated_fake(25);
    let want: Vec<String> = {
        let mut query = vpcep_client::ListEndpointsQuery::default();
        query.set("limit", "25").unwrap();
        let (_, all) = fake.select(&query);
        all.into_iter().map(|e| e.id.unwrap()).collect()
    };
    let ids = success(&list(
        &fake.url(),
        &["--all", "--limit", "10", "--concurrency", "2", "-o", "ids"],
    ));
    assert_eq!(ids.lines().collect::<Vec<_>>(), want);
    // Three pages of 10.
    assert_eq!(fake.requests().len(), 3);

    let jsonl = success(&list(
        &fake.url(),
        &["--all", "--limit", "10", "-o", "jsonl"],
    ));
    let jsonl_ids: Vec<String> = jsonl
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(jsonl_ids, want);

    let json = success(&list(
        &fake.url(),
        &["--all", "--limit", "10", "-o", "json"],
    ));
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["total_count"], 25);
    assert_eq!(v["endpoints"].as_array().unwrap().len(), 25);

    let table = success(&list(
        &fake.url(),
        &["--all", "--limit", "10", "-o", "table"],
    ));
    assert_eq!(table.lines().count(), 26, "header and 25 rows, no footer");
    insta::assert_snapshot!("table_generated_all", table);
}

#[test]
fn filters_paging_and_order_reach_the_server() {
    let fake = generated_fake(40);
    let out = list(
        &fake.url(),
        &[
            "--service-name",
            "ledger",
            "--vpc-id",
            "vpc-x",
            "--id",
            "id-x",
            "--public-border-group",
            "br-iaas-odin1raa",
            "--sort-key",
            "update_at",
            "--sort-dir",
            "asc",
            "--limit",
            "5",
            "--offset",
            "1",
            "-o",
            "ids",
        ],
    );
    success(&out);
    let requests = fake.requests();
    assert_eq!(requests.len(), 1);
    let query = requests[0].uri.query().unwrap_or_default().to_owned();
    for part in [
        "endpoint_service_name=ledger",
        "vpc_id=vpc-x",
        "id=id-x",
        "public_border_group=br-iaas-odin1raa",
        "sort_key=update_at",
        "sort_dir=asc",
        "limit=5",
        "offset=1",
    ] {
        assert!(query.contains(part), "{part} missing from {query}");
    }
    assert_eq!(
        requests[0].uri.path(),
        format!("/v1/{PROJECT}/vpc-endpoints")
    );
    let agent = requests[0].headers["user-agent"].to_str().unwrap();
    assert!(agent.contains("vpcep-cli/"), "{agent}");
}

#[test]
fn aksk_from_the_environment_signs_requests() {
    let fake = FakeServer::start(FakeConfig::new().aksk("AKTEST", "SK-Secret-value-42")).unwrap();
    let url = fake.url();
    let out = vpcep(
        &[
            ("HUAWEICLOUD_SDK_AK", "AKTEST"),
            ("HUAWEICLOUD_SDK_SK", "SK-Secret-value-42"),
            ("HUAWEICLOUD_SDK_PROJECT_ID", PROJECT),
            ("VPCEP_ENDPOINT_URL", &url),
        ],
        &["endpoints", "list", "-o", "ids"],
    );
    assert_eq!(success(&out).lines().count(), 2);
    assert!(fake.requests()[0].headers.contains_key("authorization"));
}

#[test]
fn jsonl_all_of_20000_generated_endpoints() {
    let fake = FakeServer::start(
        FakeConfig::new()
            .generate(20_000, 3)
            .token(TOKEN)
            .request_log_capacity(0),
    )
    .unwrap();
    let out = list(&fake.url(), &["--all", "--output", "jsonl"]);
    let text = success(&out);
    let mut ids = HashSet::new();
    let mut lines = 0;
    for line in text.lines() {
        lines += 1;
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(
            ids.insert(v["id"].as_str().unwrap().to_owned()),
            "duplicate id"
        );
    }
    assert_eq!(lines, 20_000);
    assert_eq!(ids.len(), 20_000);
}

// ---------------------------------------------------------------- error paths

#[test]
fn unauthorized_with_a_bad_token() {
    let fake = doc_fake();
    let url = fake.url();
    let out = vpcep(
        &[],
        &[
            "--endpoint-url",
            &url,
            "--project-id",
            PROJECT,
            "--token",
            "wrong-token",
            "endpoints",
            "list",
        ],
    );
    assert_eq!(out.status.code(), Some(5));
    let err = failure(&out, Some(&fake), &url);
    assert!(!err.contains("wrong-token"));
    insta::assert_snapshot!("error_401_bad_token", err);
}

#[test]
fn bad_request_from_the_server() {
    let fake = doc_fake();
    let url = fake.url();
    fake.faults().push(Fault::status(400));
    let out = list(&url, &[]);
    assert_eq!(out.status.code(), Some(5));
    assert_eq!(fake.requests().len(), 1, "a 400 is not retried");
    insta::assert_snapshot!("error_400_from_server", failure(&out, Some(&fake), &url));
}

#[test]
fn unavailable_after_retries() {
    let fake = doc_fake();
    let url = fake.url();
    fake.faults().extend([
        Fault::unavailable(),
        Fault::unavailable(),
        Fault::unavailable(),
    ]);
    let out = list(&url, &["--retries", "1"]);
    assert_eq!(out.status.code(), Some(5));
    assert_eq!(fake.requests().len(), 2, "--retries 1 means two attempts");
    insta::assert_snapshot!("error_503_after_retries", failure(&out, Some(&fake), &url));
}

#[test]
fn a_retry_recovers() {
    let fake = doc_fake();
    fake.faults().push(Fault::unavailable());
    let out = list(&fake.url(), &["-o", "ids"]);
    assert_eq!(success(&out).lines().count(), 2);
    assert_eq!(fake.requests().len(), 2);
}

#[test]
fn validation_error_sends_nothing() {
    let fake = doc_fake();
    let url = fake.url();
    let out = list(&url, &["--limit", "0"]);
    assert_eq!(out.status.code(), Some(3));
    insta::assert_snapshot!("error_validation_limit", failure(&out, None, &url));
    let out = list(&url, &["--all", "--limit", "5000", "-o", "jsonl"]);
    assert_eq!(out.status.code(), Some(3));
    let out = list(&url, &["--offset", "-1"]);
    assert_eq!(out.status.code(), Some(3));
    let long = "x".repeat(65);
    let out = list(&url, &["--vpc-id", &long]);
    assert_eq!(out.status.code(), Some(3));
    assert!(fake.requests().is_empty(), "no request may be sent");
}

#[test]
fn bad_characters_in_a_token_or_an_access_key_are_credential_errors() {
    // Exit 4 (configuration: credentials) as the table says, not 3 (a parameter of the
    // request); the message names the key, never the value.
    let fake = doc_fake();
    let url = fake.url();
    let bad_token = "Secret-token\nsecond-line";
    let mut argv = vec!["--endpoint-url", &url, "--project-id", PROJECT];
    argv.extend_from_slice(&["--token", bad_token, "endpoints", "list"]);
    let out = vpcep(&[], &argv);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(4), "{err}");
    assert!(err.contains("X-Auth-Token"), "{err}");
    assert!(!err.contains("Secret-token"), "{err}");
    for bad_ak in ["AK\u{1}TEST", "AK TEST ", "AKTEST\nMORE"] {
        let out = vpcep(
            &[
                ("HUAWEICLOUD_SDK_AK", bad_ak),
                ("HUAWEICLOUD_SDK_SK", "SK-Secret-value-42"),
            ],
            &list_without_token(&url),
        );
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(4), "{bad_ak:?}: {err}");
        assert!(err.contains("HUAWEICLOUD_SDK_AK"), "{bad_ak:?}: {err}");
        assert!(!err.contains("SK-Secret"), "{err}");
    }
    assert!(fake.requests().is_empty());
}

/// `vpcep --endpoint-url URL --project-id P endpoints list` with a credentials file (its
/// directory as `HOME`) and `env`.
fn list_with_credentials_file(
    url: &str,
    (home, file): &(std::path::PathBuf, std::path::PathBuf),
    env: &[(&str, &str)],
) -> Output {
    let mut vars = vec![
        ("HOME", home.to_str().unwrap()),
        ("HUAWEICLOUD_SDK_CREDENTIALS_FILE", file.to_str().unwrap()),
    ];
    vars.extend_from_slice(env);
    vpcep(&vars, &list_without_token(url))
}

/// A configuration error: exit 4 and one line on stderr, which is returned.
fn config_error(out: &Output) -> String {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(4), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    err
}

/// A `security_token` continued on a second line of the credentials file (configparser's
/// continuation) cannot go in a header: a configuration error naming the provider and the
/// key, nothing sent (it used to be sent unsigned, and fail with the server's 401).
#[test]
fn a_credentials_file_value_that_cannot_be_sent_is_a_configuration_error() {
    let fake = FakeServer::start(FakeConfig::new().aksk("AKPROFILE", "SK-Secret-value-42"))
        .expect("fake starts");
    let file = credentials_file(
        "continuation",
        "[basic]\nak = AKPROFILE\nsk = SK-Secret-value-42\nsecurity_token = Token-first-line\n  second-line\n",
    );
    let err = config_error(&list_with_credentials_file(&fake.url(), &file, &[]));
    assert!(
        err.contains("profile") && err.contains("security_token"),
        "{err}"
    );
    for secret in ["Token-first-line", "second-line", "SK-Secret"] {
        assert!(!err.contains(secret), "{err}");
    }
    assert!(fake.requests().is_empty(), "{:?}", fake.requests());
}

/// A credentials file that exists but cannot be used (here: no `[basic]` section) is an
/// error naming the file and the problem (exit 4); the metadata service is not asked, so
/// the listing never runs as another identity.
#[test]
fn an_unusable_credentials_file_is_an_error_not_another_identity() {
    let fake = FakeServer::start(
        FakeConfig::new()
            .require_auth()
            .iam_project("cn-north-4", PROJECT),
    )
    .expect("fake starts");
    let url = fake.url();
    let file = credentials_file(
        "unusable",
        "[global]\nak = AKGLOBAL\nsk = SK-Secret-value-42\n",
    );
    let out = list_with_credentials_file(&url, &file, &[("VPCEP_METADATA_URL", &url)]);
    let err = config_error(&out);
    assert!(err.contains(file.1.to_str().unwrap()), "{err}");
    assert!(err.contains("'basic' does not exist"), "{err}");
    assert!(!err.contains("SK-Secret"), "{err}");
    assert!(fake.requests().is_empty(), "{:?}", fake.requests());
}

/// The credentials file's `project_id` is the project, with or without `--region` (as
/// the official SDKs read it); without a region it used to be "no project ID".
#[test]
fn the_credentials_file_project_id_is_used_without_region() {
    let fake = FakeServer::start(FakeConfig::new().aksk("AKPROFILE", "SK-Secret-value-42"))
        .expect("fake starts");
    let url = fake.url();
    let (dir, file) = credentials_file(
        "project",
        &format!("[basic]\nak = AKPROFILE\nsk = SK-Secret-value-42\nproject_id = {PROJECT}\n"),
    );
    let env = [
        ("HOME", dir.to_str().unwrap()),
        ("HUAWEICLOUD_SDK_CREDENTIALS_FILE", file.to_str().unwrap()),
    ];
    let out = vpcep(
        &env,
        &["--endpoint-url", &url, "endpoints", "list", "-o", "ids"],
    );
    assert_eq!(success(&out).lines().count(), 2);
    let requests = fake.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(
        requests[0].uri.path(),
        format!("/v1/{PROJECT}/vpc-endpoints")
    );
    assert_eq!(requests[0].header("x-project-id"), Some(PROJECT));
    // whoami says so too.
    let out = vpcep(&env, &["--endpoint-url", &url, "auth", "whoami", "--json"]);
    let who: serde_json::Value = serde_json::from_str(&success(&out)).unwrap();
    assert_eq!(who["project_id"], PROJECT);
    assert_eq!(who["provider"], "profile");

    // AK/SK without any project and without a region: said before anything is sent.
    let out = vpcep(
        &[
            ("HUAWEICLOUD_SDK_AK", "AKPROFILE"),
            ("HUAWEICLOUD_SDK_SK", "SK-Secret-value-42"),
        ],
        &["--endpoint-url", &url, "endpoints", "list"],
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(4), "{err}");
    assert!(
        err.contains("no project ID") && err.contains("--project-id"),
        "{err}"
    );
    assert!(err.contains("--region"), "{err}");
    assert_eq!(fake.requests().len(), 1);
}

#[test]
fn usage_error_from_clap() {
    let out = vpcep(&[], &["endpoints", "list", "--sort-key", "name"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("create_at"), "{}", stderr(&out));
}

#[test]
fn missing_project_id() {
    let fake = doc_fake();
    let url = fake.url();
    let out = vpcep(
        &[("VPCEP_TOKEN", TOKEN)],
        &["--endpoint-url", &url, "endpoints", "list"],
    );
    assert_eq!(out.status.code(), Some(4));
    insta::assert_snapshot!("error_missing_project_id", failure(&out, None, &url));
    assert!(fake.requests().is_empty());
}

#[test]
fn missing_credentials() {
    // The default chain finds nothing: the fake plays a metadata service that is not
    // there (404), so the listing of what each provider said is the same everywhere.
    let fake = FakeServer::start(
        FakeConfig::new()
            .token(TOKEN)
            .metadata(vpcep_fake::MetadataMode::Off),
    )
    .expect("fake starts");
    let url = fake.url();
    let args = list_without_token(&url);
    let out = vpcep(&[("VPCEP_METADATA_URL", &url)], &args);
    assert_eq!(out.status.code(), Some(4));
    insta::assert_snapshot!("error_missing_credentials", failure(&out, None, &url));
    let out = vpcep(&[("HUAWEICLOUD_SDK_AK", "AKONLY")], &args);
    assert_eq!(out.status.code(), Some(4));
    insta::assert_snapshot!("error_missing_sk", failure(&out, None, &url));
    assert!(fake.requests().is_empty());
}

#[test]
fn missing_endpoint() {
    let out = vpcep(
        &[("VPCEP_TOKEN", TOKEN)],
        &["--project-id", PROJECT, "endpoints", "list"],
    );
    assert_eq!(out.status.code(), Some(4));
    insta::assert_snapshot!(
        "error_missing_endpoint",
        failure(&out, None, "http://unused.invalid")
    );
}

#[test]
fn unreachable_server() {
    // A port that was just free: nothing listens there.
    let url = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", listener.local_addr().unwrap())
    };
    let out = list(&url, &["--retries", "0"]);
    assert_eq!(out.status.code(), Some(6));
    insta::assert_snapshot!("error_unreachable", failure(&out, None, &url));
}

#[test]
fn timeout_when_the_server_hangs() {
    let fake = doc_fake();
    let url = fake.url();
    fake.faults().push(Fault::Hang);
    let out = list(&url, &["--timeout", "0.5", "--retries", "0"]);
    assert_eq!(out.status.code(), Some(6));
    insta::assert_snapshot!("error_timeout", failure(&out, None, &url));
}

#[test]
fn secrets_are_never_printed() {
    let fake = FakeServer::start(
        FakeConfig::new()
            .token(TOKEN)
            .aksk("AKTEST", "SK-Secret-value-42"),
    )
    .unwrap();
    let url = fake.url();
    for env in [
        vec![("VPCEP_TOKEN", TOKEN)],
        vec![
            ("HUAWEICLOUD_SDK_AK", "AKTEST"),
            ("HUAWEICLOUD_SDK_SK", "SK-Secret-value-42"),
            ("HUAWEICLOUD_SDK_SECURITY_TOKEN", "Security-Token-Secret"),
        ],
    ] {
        let out = vpcep(
            &env,
            &[
                "--endpoint-url",
                &url,
                "--project-id",
                PROJECT,
                "-vvv",
                "endpoints",
                "list",
                "-o",
                "ids",
            ],
        );
        let err = stderr(&out);
        assert!(err.contains("status=200"), "-vvv logs each attempt: {err}");
        for secret in [TOKEN, "SK-Secret-value-42", "Security-Token-Secret"] {
            assert!(!err.contains(secret), "secret in the log: {err}");
        }
    }
    // -v: one line per attempt, with the status and the request id.
    let out = list(&url, &["-v", "-o", "ids"]);
    assert!(out.status.success());
    let err = stderr(&out);
    assert!(err.contains("status=200"), "{err}");
    assert!(
        err.contains(&fake.requests().last().unwrap().request_id),
        "{err}"
    );
    assert!(!err.contains(TOKEN), "{err}");
    let help = vpcep(&[("VPCEP_TOKEN", TOKEN)], &["--help"]);
    assert!(help.status.success());
    assert!(!stdout(&help).contains(TOKEN), "secret in --help");
}

// ---------------------------------------------------------------- help and completions

#[test]
fn help_everywhere_with_examples() {
    for args in [
        &["--help"][..],
        &["endpoints", "--help"],
        &["endpoints", "list", "--help"],
        &["completions", "--help"],
    ] {
        let out = vpcep(&[], args);
        assert!(out.status.success(), "{args:?}");
        assert!(stdout(&out).contains("Examples:"), "{args:?}");
    }
    let out = vpcep(&[], &["endpoints", "list", "--help"]);
    insta::assert_snapshot!("help_endpoints_list", stdout(&out));
}

#[test]
fn completions_for_each_shell() {
    for shell in ["bash", "zsh", "fish"] {
        let out = vpcep(&[], &["completions", shell]);
        let script = success(&out);
        assert!(script.contains("vpcep"), "{shell}");
        assert!(script.contains("endpoint-url"), "{shell}");
    }
}

/// `vpcep completions bash` with stdout on a full disk (`/dev/full`) or on a pipe whose
/// reader is gone: a one-line error (exit 1), or a quiet exit 0 for the closed pipe, as
/// for the listing; never a panic (exit 101).
#[test]
fn completions_on_a_full_disk_or_a_closed_pipe() {
    use std::process::{Command, Stdio};
    let run = |stdout: Stdio| {
        Command::new(env!("CARGO_BIN_EXE_vpcep"))
            .env_clear()
            .args(["completions", "bash"])
            .stdout(stdout)
            .stderr(Stdio::piped())
            .output()
            .expect("vpcep runs")
    };
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full (Linux)");
    let out = run(Stdio::from(full));
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("error: could not write the output"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");

    let (reader, writer) = std::io::pipe().expect("a pipe");
    drop(reader);
    let out = run(Stdio::from(writer));
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.is_empty(), "{err}");
}

/// A fake answering every request with `200` and `body` (a body its data never makes),
/// under the request id `req-decode`.
fn raw_server(body: &'static str) -> FakeServer {
    let fake = doc_fake();
    fake.faults()
        .script(move |_, _| Some(Fault::json(200, body).with_header("X-Request-Id", "req-decode")));
    fake
}

#[test]
fn a_body_that_does_not_decode() {
    let server =
        raw_server(r#"{"endpoints":[{"id":"a"},{"id":"b","enable_dns":"maybe"}],"total_count":2}"#);
    let url = server.url();
    let out = list(&url, &["--retries", "0"]);
    assert_eq!(out.status.code(), Some(7));
    let err = failure(&out, None, &url);
    assert!(err.contains("endpoints[1].enable_dns"), "{err}");
    insta::assert_snapshot!("error_decode", err);
}

/// On an "ECS" (the fake's metadata service) with no configuration at all: `auth whoami`
/// names the provider, the AK's start, the expiry and the project from IAM; the listing
/// works without --project-id. No secret is printed.
#[test]
fn metadata_credentials_and_project_from_iam() {
    let fake = FakeServer::start(
        FakeConfig::new()
            .require_auth()
            .generate(30, 3)
            .iam_project("cn-north-4", PROJECT),
    )
    .expect("fake starts");
    let url = fake.url();
    let env = [
        ("VPCEP_METADATA_URL", url.as_str()),
        ("HUAWEICLOUD_SDK_IAM_ENDPOINT", url.as_str()),
    ];
    let base = ["--region", "cn-north-4", "--endpoint-url", &url];
    let whoami = |extra: &[&str]| {
        let args: Vec<&str> = base
            .iter()
            .chain(["auth", "whoami"].iter())
            .chain(extra)
            .copied()
            .collect();
        let out = vpcep(&env, &args);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        stdout(&out)
    };
    let json: serde_json::Value = serde_json::from_str(&whoami(&["--json"])).unwrap();
    assert_eq!(json["provider"], "metadata");
    assert_eq!(json["access_key_prefix"], "TMPA");
    assert_eq!(json["project_id"], PROJECT);
    assert!(
        json["expires_at"].as_str().unwrap().ends_with('Z'),
        "{json}"
    );
    let text = whoami(&[]);
    assert!(
        text.starts_with("provider:    metadata\naccess key:  TMPA"),
        "{text}"
    );
    assert!(text.contains(&format!("project ID:  {PROJECT}")), "{text}");

    let args: Vec<&str> = base
        .iter()
        .chain(["endpoints", "list", "--all", "--output", "ids"].iter())
        .copied()
        .collect();
    let out = vpcep(&env, &args);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out).lines().count(), 30);
    for secret in fake.platform().issued_secrets() {
        assert!(!stdout(&out).contains(&secret) && !stderr(&out).contains(&secret));
        assert!(!text.contains(&secret));
    }
}

/// The profile file: `auth whoami --json` shows what the official SDK's
/// ProfileCredentialProvider reads from it (tests/python cross-checks the two).
#[test]
fn whoami_reads_the_profile_file() {
    let (dir, file) = credentials_file(
        "profile",
        "[basic]\nak = AKPROFILE123\nsk = sk-profile-SECRET\nproject_id = profileproject\n",
    );
    let out = vpcep(
        &[
            ("HUAWEICLOUD_SDK_CREDENTIALS_FILE", file.to_str().unwrap()),
            ("VPCEP_METADATA_URL", "http://127.0.0.1:1"),
        ],
        &[
            "--endpoint-url",
            "http://127.0.0.1:1",
            "--region",
            "cn-north-4",
            "auth",
            "whoami",
            "--json",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(json["provider"], "profile");
    assert_eq!(json["access_key_prefix"], "AKPR");
    assert_eq!(json["project_id"], "profileproject");
    assert!(json["expires_at"].is_null());
    assert!(!stdout(&out).contains("SECRET") && !stderr(&out).contains("SECRET"));
    let _ = std::fs::remove_dir_all(&dir);
}
