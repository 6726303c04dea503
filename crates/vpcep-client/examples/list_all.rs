//! Lists every endpoint from a base URL and prints endpoints/s and elapsed time.
//!
//! ```text
//! cargo run --release -p vpcep-client --example list_all -- \
//!     --url http://127.0.0.1:8080 --concurrency 16 --limit 1000 [--project ID] [--token T] \
//!     [--receipt]
//! ```
//!
//! Used by `bench/client_compare.sh` and `bench/listing.sh` against `vpcep-fake --no-auth`.
//! Output (one line):
//! `rust list_all concurrency=16 limit=1000: 100000 endpoints in 0.123 s = 812345 endpoints/s`;
//! with `--receipt`, the listing's receipt as JSON on a second line.

use std::process::ExitCode;
use std::time::Instant;

use vpcep_client::{Client, RetryConfig};

/// As in the `vpcep` CLI: an application's allocator choice, worth ~1.3x on decoding
/// (`cargo bench -p vpcep-client --bench decode_mimalloc`).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

struct Args {
    url: String,
    concurrency: usize,
    limit: i64,
    project: String,
    token: Option<String>,
    receipt: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        url: "http://127.0.0.1:8080".to_owned(),
        concurrency: 4,
        limit: 1000,
        project: "295dacf46a4842fcbf7844dc2dc2489d".to_owned(),
        token: None,
        receipt: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--url" => args.url = value()?,
            "--concurrency" => {
                args.concurrency = value()?.parse().map_err(|e| format!("--concurrency: {e}"))?
            }
            "--limit" => args.limit = value()?.parse().map_err(|e| format!("--limit: {e}"))?,
            "--project" => args.project = value()?,
            "--token" => args.token = Some(value()?),
            "--receipt" => args.receipt = true,
            "-h" | "--help" => {
                return Err(
                    "usage: list_all --url URL [--concurrency N] [--limit N] [--project ID] [--token T] [--receipt]"
                        .to_owned(),
                )
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(args)
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let mut builder = Client::builder()
        .base_url(&args.url)
        .project_id(&args.project)
        .retry(RetryConfig::standard());
    if let Some(token) = &args.token {
        builder = builder.token(token);
    }
    let client = match builder.build() {
        Ok(client) => client,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let start = Instant::now();
    let (result, receipt) = client
        .list_endpoints()
        .limit(args.limit)
        .list_all()
        .concurrency(args.concurrency)
        .send_with_receipt()
        .await;
    let elapsed = start.elapsed().as_secs_f64();
    match result {
        Ok(all) => {
            let n = all.endpoints.map_or(0, |e| e.len());
            println!(
                "rust list_all concurrency={} limit={}: {n} endpoints in {elapsed:.3} s = {:.0} endpoints/s",
                args.concurrency,
                args.limit,
                n as f64 / elapsed
            );
            if args.receipt {
                println!("{}", serde_json::to_string(&receipt).expect("JSON"));
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
