//! `vpcep-fake`: serve a fake VPCEP `ListEndpoints` on a local port.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Parser;
use vpcep_fake::{Churn, FakeConfig, FakeHandle, RandomFaults, DEFAULT_PROJECT_ID};

/// A local fake of Huawei Cloud VPCEP `GET /v1/{project_id}/vpc-endpoints`.
///
/// Authentication must be chosen: --token, --ak/--sk (both may be given), or --no-auth.
#[derive(Parser, Debug)]
#[command(name = "vpcep-fake", version, about, long_about = None)]
struct Cli {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR:PORT")]
    listen: SocketAddr,

    /// Replay the endpoints in FILE (a JSON array of endpoints or a ListEndpoints body)
    /// as recorded: nulls, unknown fields and odd shapes kept; filters, sorts and pages
    /// use the fields that can be read.
    #[arg(long, value_name = "FILE", conflicts_with = "generate")]
    data: Option<PathBuf>,

    /// Serve N deterministic synthetic endpoints (see --seed); at most 50,000,000.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(0..=MAX_GENERATE))]
    generate: Option<u64>,

    /// Seed of --generate, of the random faults and of --churn-per-request.
    #[arg(long, default_value_t = 0)]
    seed: u64,

    /// After every page answered, delete N endpoints drawn at random and create N new
    /// ones (of --project-id), deterministically for --seed: offset paging shifts in
    /// every sort order. Default 0: the data never changes.
    #[arg(long, value_name = "N", default_value_t = 0,
          value_parser = clap::value_parser!(u64).range(0..=100_000))]
    churn_per_request: u64,

    /// project_id of the generated endpoints (list them under /v1/P/vpc-endpoints with
    /// --project-scoped).
    #[arg(long, default_value = DEFAULT_PROJECT_ID, value_parser = project_id)]
    project_id: String,

    /// Accept this X-Auth-Token (repeatable).
    #[arg(long = "token", value_name = "T")]
    tokens: Vec<String>,

    /// Accept requests signed with this access key (repeatable, paired with --sk in order).
    #[arg(long = "ak", value_name = "AK", requires = "sks")]
    aks: Vec<String>,

    /// Secret key of the --ak at the same position.
    #[arg(long = "sk", value_name = "SK", requires = "aks")]
    sks: Vec<String>,

    /// Accept every request without authentication.
    #[arg(long, conflicts_with_all = ["tokens", "aks"])]
    no_auth: bool,

    /// Serve HTTPS with this certificate chain (PEM, leaf first); needs --tls-key.
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    tls_cert: Option<PathBuf>,

    /// Private key of --tls-cert (PEM: PKCS#8, PKCS#1 or SEC1).
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    tls_key: Option<PathBuf>,

    /// Largest accepted distance between X-Sdk-Date and the server clock, in seconds.
    #[arg(long, default_value_t = 900, value_parser = clap::value_parser!(u64).range(0..=86_400))]
    max_skew_secs: u64,

    /// Milliseconds added to every response (at most an hour).
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..=3_600_000))]
    latency_ms: u64,

    /// Limit the bytes sent per second, all connections together (one link), to N Mbit/s;
    /// on top of --latency-ms. Default: no limit.
    #[arg(long, value_name = "N", value_parser = mbps)]
    bandwidth_mbps: Option<f64>,

    /// Never compress responses (by default they are gzipped when the request accepts it).
    #[arg(long)]
    no_compression: bool,

    /// Probability (0..1) that a request is answered with --fail-status.
    #[arg(long, default_value_t = 0.0, value_parser = rate)]
    fail_rate: f64,

    /// Status of --fail-rate failures (429 adds Retry-After: 1).
    #[arg(long, default_value_t = 503, value_parser = clap::value_parser!(u16).range(100..=599))]
    fail_status: u16,

    /// --fail-rate failures answer with a gateway's HTML error page (text/html, e.g.
    /// nginx's "502 Bad Gateway") instead of a JSON error body.
    #[arg(long)]
    fail_html: bool,

    /// Probability (0..1) that a response body is cut short, then the connection closed.
    #[arg(long, default_value_t = 0.0, value_parser = rate)]
    truncate_rate: f64,

    /// Probability (0..1) that the connection is closed without a response.
    #[arg(long, default_value_t = 0.0, value_parser = rate)]
    drop_rate: f64,

    /// Serve booleans as "true"/"false" and one-element lists as a single string.
    #[arg(long)]
    quirks: bool,

    /// List under /v1/{P}/vpc-endpoints only the endpoints whose project_id is P, like
    /// the real service (total_count, filters and paging within the project; an unknown
    /// project gets an empty list). Off by default: every endpoint is listed for any
    /// project. Generated endpoints belong to --project-id.
    #[arg(long)]
    project_scoped: bool,

    /// Seconds requests in flight may take to finish on shutdown.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(0..=3600))]
    grace_secs: u64,

    /// Seconds a connection has to deliver a complete request head, from when the fake
    /// starts waiting for it (on accept, TLS handshake included; on a keep-alive
    /// connection, from the first byte of the next request): half-sent requests are
    /// closed after it.
    #[arg(long, default_value_t = 10, value_name = "SECS",
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    header_read_timeout_secs: u64,

    /// Seconds a connection may stay with nothing read or written and no request being
    /// answered (idle keep-alive, a client that stopped reading) before it is closed.
    #[arg(long, default_value_t = 60, value_name = "SECS",
          value_parser = clap::value_parser!(u64).range(1..=86_400))]
    idle_timeout_secs: u64,

    /// Open connections at most; at the cap, a new connection closes the one that waited
    /// longest for a request (or is refused with a 503 when all are busy). Keep it below
    /// the open-files limit (ulimit -n).
    #[arg(long, default_value_t = 512, value_name = "N",
          value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    max_connections: u64,

    /// The ECS metadata service it plays (PUT /meta-data/latest/api/token, GET
    /// /openstack/latest/securitykey): open (session token optional), token-required
    /// (401 without one), unreachable (never answers) or off (404).
    #[arg(long, default_value = "open", value_name = "MODE")]
    metadata: vpcep_fake::MetadataMode,

    /// Lifetime of the temporary credentials the metadata service hands out, in seconds
    /// (at most a year).
    #[arg(long, default_value_t = 3600, value_parser = clap::value_parser!(u64).range(1..=31_536_000))]
    credential_lifetime_secs: u64,

    /// An IAM project for GET /v3/projects?name=REGION (repeatable), as REGION=ID.
    #[arg(long = "iam-project", value_name = "REGION=ID", value_parser = region_project)]
    iam_projects: Vec<(String, String)>,

    /// Authentication on, accepting only the metadata service's temporary credentials
    /// (with their X-Security-Token, until they expire) besides any --token/--ak.
    #[arg(long, conflicts_with = "no_auth")]
    temporary_credentials_only: bool,
}

fn region_project(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((r, id)) if !r.is_empty() && !id.is_empty() => Ok((r.to_owned(), id.to_owned())),
        _ => Err("expected REGION=ID".into()),
    }
}

fn rate(s: &str) -> Result<f64, String> {
    let v: f64 = s.parse().map_err(|e| format!("{e}"))?;
    if (0.0..=1.0).contains(&v) {
        Ok(v)
    } else {
        Err("must be between 0 and 1".into())
    }
}

fn mbps(s: &str) -> Result<f64, String> {
    let v: f64 = s.parse().map_err(|e| format!("{e}"))?;
    if v.is_finite() && (0.001..=1_000_000.0).contains(&v) {
        Ok(v)
    } else {
        Err("must be a number of Mbit/s from 0.001 (1 kbit/s) to 1000000 (1 Tbit/s)".into())
    }
}

/// Most endpoints `--generate` makes (see the README's sizing note).
const MAX_GENERATE: u64 = 50_000_000;

/// Memory a generated endpoint takes in the fake, its JSON text and indexes included
/// (about 880 bytes measured; bench/README.md), with some room.
const BYTES_PER_GENERATED: u64 = 950;

/// Refuses a `--generate N` that cannot fit in the memory this process may use (the
/// address-space limit, `ulimit -v`, or the memory available), with what it needs,
/// instead of an allocation failure half-way (Linux; elsewhere nothing is checked).
fn memory_for_generate(n: u64) -> Result<(), String> {
    const MIB: u64 = 1 << 20;
    let needed = n.saturating_mul(BYTES_PER_GENERATED) + 256 * MIB;
    let read = |path: &str| std::fs::read_to_string(path).unwrap_or_default();
    // /proc/self/limits: "Max address space  <soft>  <hard>  bytes".
    let address_space = read("/proc/self/limits").lines().find_map(|line| {
        let rest = line.strip_prefix("Max address space")?;
        rest.split_whitespace().next()?.parse::<u64>().ok()
    });
    // /proc/meminfo: "MemAvailable:  <n> kB".
    let available = read("/proc/meminfo").lines().find_map(|line| {
        let rest = line.strip_prefix("MemAvailable:")?;
        rest.split_whitespace()
            .next()?
            .parse::<u64>()
            .ok()
            .map(|kib| kib * 1024)
    });
    let (limit, what) = match (address_space, available) {
        (Some(a), Some(m)) if a < m => (a, "the address-space limit (ulimit -v)"),
        (Some(a), None) => (a, "the address-space limit (ulimit -v)"),
        (_, Some(m)) => (m, "the memory available"),
        (None, None) => return Ok(()),
    };
    if needed <= limit {
        return Ok(());
    }
    Err(format!(
        "--generate {n} needs about {} MiB (about {BYTES_PER_GENERATED} bytes per endpoint), \
         more than {what}: {} MiB; generate fewer endpoints or allow more memory",
        needed / MIB,
        limit / MIB
    ))
}

/// A project ID as the spec allows it in the path.
fn project_id(s: &str) -> Result<String, String> {
    let rule = vpcep_client::contract::parameter("project_id")
        .expect("the spec has a project_id parameter");
    rule.check(s).map_err(|e| e.to_string())?;
    Ok(s.to_owned())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if !cli.no_auth
        && !cli.temporary_credentials_only
        && cli.tokens.is_empty()
        && cli.aks.is_empty()
    {
        eprintln!(
            "vpcep-fake: choose authentication: --token T, --ak AK --sk SK, or --no-auth \
             (for quick local use)"
        );
        return ExitCode::from(2);
    }
    if cli.aks.len() != cli.sks.len() {
        eprintln!("vpcep-fake: give as many --sk as --ak");
        return ExitCode::from(2);
    }

    if let Some(n) = cli.generate {
        if let Err(e) = memory_for_generate(n) {
            eprintln!("vpcep-fake: {e}");
            return ExitCode::from(2);
        }
    }

    let started = Instant::now();
    let config = FakeConfig::new();
    let config = if let Some(path) = &cli.data {
        match vpcep_fake::load_recorded(path) {
            Ok(recorded) => config.recorded(recorded),
            Err(e) => {
                eprintln!("vpcep-fake: cannot load --data: {e}");
                return ExitCode::from(2);
            }
        }
    } else if let Some(n) = cli.generate {
        config.generate_for_project(n as usize, cli.seed, &cli.project_id)
    } else {
        config
    };

    let mut config = config
        .listen(cli.listen)
        .quirks(cli.quirks)
        .project_scoped(cli.project_scoped)
        .compression(!cli.no_compression)
        .bandwidth_mbps(cli.bandwidth_mbps)
        .churn(Churn::new(cli.churn_per_request as usize, cli.seed).project_id(&cli.project_id))
        .header_read_timeout(Duration::from_secs(cli.header_read_timeout_secs))
        .idle_timeout(Duration::from_secs(cli.idle_timeout_secs))
        .max_connections(cli.max_connections as usize)
        // Nobody reads the log of a standalone fake: keep none, so load tests stay flat.
        .request_log_capacity(0)
        .max_skew(Duration::from_secs(cli.max_skew_secs))
        .faults(RandomFaults {
            latency: Duration::from_millis(cli.latency_ms),
            fail_rate: cli.fail_rate,
            fail_status: cli.fail_status,
            fail_html: cli.fail_html,
            truncate_rate: cli.truncate_rate,
            drop_rate: cli.drop_rate,
            seed: cli.seed,
        });
    if let (Some(cert), Some(key)) = (&cli.tls_cert, &cli.tls_key) {
        match vpcep_fake::TlsConfig::from_pem_files(cert, key) {
            Ok(tls) => config = config.tls(tls),
            Err(e) => {
                eprintln!("vpcep-fake: cannot load --tls-cert/--tls-key: {e}");
                return ExitCode::from(2);
            }
        }
    }
    let scheme = if cli.tls_cert.is_some() {
        "https"
    } else {
        "http"
    };
    config = config
        .metadata(cli.metadata)
        .credential_lifetime(Duration::from_secs(cli.credential_lifetime_secs));
    for (region, id) in &cli.iam_projects {
        config = config.iam_project(region.clone(), id.clone());
    }
    if cli.temporary_credentials_only {
        config = config.require_auth();
    }
    for t in &cli.tokens {
        config = config.token(t.clone());
    }
    for (ak, sk) in cli.aks.iter().zip(&cli.sks) {
        config = config.aksk(ak.clone(), sk.clone());
    }
    let loaded_ms = started.elapsed().as_millis();
    let handle = FakeHandle::new(config);

    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("vpcep-fake: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async {
        let listener = match tokio::net::TcpListener::bind(cli.listen).await {
            Ok(l) => l,
            Err(e) => {
                eprintln!("vpcep-fake: cannot listen on {}: {e}", cli.listen);
                return ExitCode::FAILURE;
            }
        };
        let addr = match listener.local_addr() {
            Ok(a) => a,
            Err(e) => {
                eprintln!("vpcep-fake: {e}");
                return ExitCode::FAILURE;
            }
        };
        if let Some(warning) = vpcep_fake::exposure_warning(addr, cli.no_auth) {
            eprintln!("vpcep-fake: warning: {warning}");
        }
        eprintln!(
            "vpcep-fake: {} endpoints loaded in {loaded_ms} ms, ready in {} ms",
            handle.len(),
            started.elapsed().as_millis()
        );
        {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "listening on {scheme}://{addr}");
            let _ = out.flush();
        }
        handle
            .serve(
                listener,
                shutdown_signal(),
                Duration::from_secs(cli.grace_secs),
            )
            .await;
        eprintln!("vpcep-fake: stopped; {} bytes sent", handle.bytes_sent());
        ExitCode::SUCCESS
    })
}
