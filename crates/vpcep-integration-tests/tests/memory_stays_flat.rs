//! An endless response body does not grow the client's memory: the process's peak
//! resident set (VmHWM) stays far below what the server sent. Alone in its test binary so
//! no other test shares the process's peak.

use vpcep_client::{Client, Error};
use vpcep_fake::Fault;
use vpcep_integration_tests::{page_error, scripted};

/// Peak resident set size of this process, in KiB (Linux).
fn vm_hwm_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM")
}

#[tokio::test]
async fn an_endless_body_keeps_memory_flat() {
    const SENT_AT_MOST: u64 = 1 << 30; // 1 GiB, if the client kept reading
    const LIMIT: u64 = 8 << 20; // 8 MiB
    let server = scripted(|_, _| Some(Fault::endless(" ".repeat(16 * 1024), SENT_AT_MOST)));
    let client = Client::builder()
        .base_url(server.url())
        .project_id("p")
        .token("t")
        .max_response_bytes(LIMIT)
        .build()
        .unwrap();
    let before = vm_hwm_kib();
    let err = page_error(&client).await;
    assert!(
        matches!(err, Error::ResponseTooLarge { limit: LIMIT, .. }),
        "{err:?}"
    );
    let after = vm_hwm_kib();
    let grown_mib = (after.saturating_sub(before)) / 1024;
    eprintln!("VmHWM {before} KiB -> {after} KiB (+{grown_mib} MiB), limit 8 MiB");
    // Buffering at most the limit (plus its growth slack): well under 64 MiB. Reading the
    // whole body would have grown it by up to 1 GiB.
    assert!(grown_mib < 64, "peak memory grew by {grown_mib} MiB");
}
