//! `vpcep-fake-org`: the fake's organisation (`vpcep_fake::organisation`) as a process, for
//! benchmarks and manual tries: generated accounts (`acct-0` … with keys
//! `AK-ACCT-{i}`/`SK-ACCT-{i}`; `acct-1` … also reachable from `acct-0` through their
//! agency `vpcep-reader`), regions `bx-r{i}-1`, a project and `--sub-projects`
//! sub-projects per region, `--endpoints` endpoints per project, `--latency-ms` per
//! VPCEP request.
//!
//! Prints `listening on URL`; `--env-file` gets the `export` lines that point the official
//! SDKs and `vpcep` at it (every region's `HUAWEICLOUD_SDK_REGION_VPCEP_*`,
//! `HUAWEICLOUD_SDK_IAM_ENDPOINT`), `--targets-file` one line per regional project:
//! `AK SK REGION PROJECT_ID`. Runs until killed.

use std::io::Write;
use std::time::Duration;

use clap::Parser;
use vpcep_fake::organisation::{OrgConfig, OrgServer};

#[derive(Parser)]
#[command(
    name = "vpcep-fake-org",
    about = "The fake's organisation: accounts, regions, projects, IAM, agencies"
)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: std::net::SocketAddr,
    /// Accounts.
    #[arg(long, default_value_t = 2)]
    accounts: usize,
    /// Regions per account.
    #[arg(long, default_value_t = 30)]
    regions: usize,
    /// Sub-projects per region (besides the region's own project).
    #[arg(long, default_value_t = 1)]
    sub_projects: usize,
    /// Endpoints per project.
    #[arg(long, default_value_t = 1000)]
    endpoints: usize,
    /// Latency of every VPCEP request, in milliseconds.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// Write `export NAME=VALUE` lines for the regions and IAM here.
    #[arg(long)]
    env_file: Option<std::path::PathBuf>,
    /// Write `AK SK REGION PROJECT_ID` lines, one per regional project, here.
    #[arg(long)]
    targets_file: Option<std::path::PathBuf>,
}

fn main() -> std::io::Result<()> {
    let args = Args::parse();
    let regions: Vec<String> = (0..args.regions).map(|i| format!("bx-r{i}-1")).collect();
    let names: Vec<&str> = regions.iter().map(String::as_str).collect();
    let config = OrgConfig::generated(args.accounts, &names, args.sub_projects, args.endpoints)
        .keys_for_every_account()
        .latency(Duration::from_millis(args.latency_ms));
    let server = OrgServer::start(config, args.listen)?;
    if let Some(path) = &args.env_file {
        let mut file = std::fs::File::create(path)?;
        for (name, value) in server.region_env() {
            writeln!(file, "export {name}={value}")?;
        }
    }
    if let Some(path) = &args.targets_file {
        let mut file = std::fs::File::create(path)?;
        for account in &server.config().accounts {
            let (ak, sk) = account.keys.clone().expect("every account has keys");
            for project in &account.projects {
                if let Some(region) = project.region() {
                    writeln!(file, "{ak} {sk} {region} {}", project.id)?;
                }
            }
        }
    }
    println!("listening on {}", server.url());
    std::io::stdout().flush()?;
    loop {
        std::thread::park();
    }
}
