//! Command-line arguments (clap derive).

use clap::builder::{PossibleValue, PossibleValuesParser};
use clap::{ArgAction, Args, Parser, Subcommand, ValueEnum};
use vpcep_client::contract::{self, Parameter};

/// Environment variable for `--endpoint-url`.
pub const ENV_ENDPOINT_URL: &str = "VPCEP_ENDPOINT_URL";
/// Environment variable for `--region`.
pub const ENV_REGION: &str = "VPCEP_REGION";
/// Environment variable for `--token`.
pub const ENV_TOKEN: &str = "VPCEP_TOKEN";
/// Environment variable for `--ca-bundle`.
pub const ENV_CA_BUNDLE: &str = "VPCEP_CA_BUNDLE";

const MAIN_EXAMPLES: &str = "\
Examples:
  # Token authentication against a region
  vpcep --region cn-north-4 --project-id 0123456789abcdef0123456789abcdef \\
        --token \"$TOKEN\" endpoints list

  # On an ECS with an agency: no configuration (credentials from the metadata service,
  # project ID from IAM)
  vpcep --region cn-north-4 endpoints list

  # AK/SK from the environment, every page, as JSON lines
  export HUAWEICLOUD_SDK_AK=... HUAWEICLOUD_SDK_SK=... HUAWEICLOUD_SDK_PROJECT_ID=...
  vpcep --region cn-north-4 endpoints list --all --output jsonl

  # Against a local fake server
  vpcep-fake --listen 127.0.0.1:8080 --generate 50 --no-auth &
  vpcep --endpoint-url http://127.0.0.1:8080 --project-id p --token t endpoints list

  # Shell completions
  vpcep completions bash > ~/.local/share/bash-completion/completions/vpcep

Exit codes: 0 success, 1 other error, 2 usage error, 3 invalid parameter (nothing sent),
4 missing or bad configuration (nothing sent), 5 VPCEP answered with an error status,
6 VPCEP could not be reached or did not answer in time, 7 unreadable or inconsistent response.";

const ENDPOINTS_EXAMPLES: &str = "\
Examples:
  vpcep endpoints list
  vpcep endpoints list --all --output ids";

const LIST_EXAMPLES: &str = "\
Examples:
  # First page (10 endpoints, the server's default), as a table on a terminal
  vpcep endpoints list

  # Endpoints of one VPC whose service name contains \"obs\", oldest first
  vpcep endpoints list --vpc-id 4189d3c2-8882-4871-a3c2-d380272eed88 \\
        --service-name obs --sort-key create_at --sort-dir asc

  # Every endpoint, 8 pages in flight, one JSON object per line
  vpcep endpoints list --all --concurrency 8 --output jsonl > endpoints.jsonl

  # Only the IDs, for scripts
  vpcep endpoints list --all --output ids | xargs -n1 echo

  # Page by hand
  vpcep endpoints list --limit 100 --offset 200 --output json";

const COMPLETIONS_EXAMPLES: &str = "\
Examples:
  vpcep completions bash > ~/.local/share/bash-completion/completions/vpcep
  vpcep completions zsh > \"${fpath[1]}/_vpcep\"
  vpcep completions fish > ~/.config/fish/completions/vpcep.fish";

/// List Huawei Cloud VPC endpoints (VPCEP ListEndpoints).
#[derive(Debug, Parser)]
#[command(name = "vpcep", version, after_help = MAIN_EXAMPLES, propagate_version = true)]
pub struct Cli {
    /// Connection, authentication and logging options.
    #[command(flatten)]
    pub global: GlobalArgs,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Options that apply to every command.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Region ID, e.g. cn-north-4; requests go to https://vpcep.REGION.myhuaweicloud.com.
    #[arg(long, global = true, help_heading = "Global options", env = ENV_REGION, value_name = "REGION")]
    pub region: Option<String>,

    /// Base URL of the VPCEP API (e.g. a fake server); overrides --region.
    #[arg(long, global = true, help_heading = "Global options", env = ENV_ENDPOINT_URL, value_name = "URL")]
    pub endpoint_url: Option<String>,

    /// Project whose endpoints are listed. Optional with AK/SK credentials: the
    /// credentials file's project_id, else (with --region) the region's project from IAM.
    #[arg(
        long,
        global = true,
        help_heading = "Global options",
        env = "HUAWEICLOUD_SDK_PROJECT_ID",
        value_name = "PROJECT_ID"
    )]
    pub project_id: Option<String>,

    /// IAM token (X-Auth-Token). Without it, AK/SK signing with HUAWEICLOUD_SDK_AK,
    /// HUAWEICLOUD_SDK_SK (and HUAWEICLOUD_SDK_SECURITY_TOKEN) if set, else the official
    /// default chain: OIDC STS, ~/.huaweicloud/credentials, ECS metadata, CCE pod identity.
    #[arg(
        long,
        global = true, help_heading = "Global options",
        env = ENV_TOKEN,
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    pub token: Option<String>,

    /// Time limit for each API call in seconds, retries included (each attempt gets at
    /// most 30 s of it). Default 120.
    #[arg(long, global = true, help_heading = "Global options", value_name = "SECONDS", value_parser = parse_seconds)]
    pub timeout: Option<f64>,

    /// Retries after a throttled (429), unavailable (502/503/504) or failed attempt;
    /// 0 disables them. Default 2.
    #[arg(long, global = true, help_heading = "Global options", value_name = "N")]
    pub retries: Option<u32>,

    /// Allow a plain http:// endpoint URL to a host other than this machine: the token or
    /// signature would cross the network unencrypted. http:// to 127.0.0.0/8, ::1 or
    /// localhost is always allowed.
    #[arg(long, global = true, help_heading = "Global options")]
    pub allow_http: bool,

    /// Also trust the CA certificate(s) in FILE (PEM), e.g. a corporate proxy's or a
    /// private endpoint's CA; the system's roots stay trusted.
    #[arg(long, global = true, help_heading = "Global options", env = ENV_CA_BUNDLE, value_name = "FILE")]
    pub ca_bundle: Option<std::path::PathBuf>,
    /// Largest response body read, in MiB (1 to 4096; default 32, a page of 1000
    /// endpoints is about 1 MiB): a larger or endless body stops there, exit 7.
    #[arg(long, global = true, help_heading = "Global options", value_name = "MIB", value_parser = clap::value_parser!(u64).range(1..=MAX_RESPONSE_MIB))]
    pub max_response_mib: Option<u64>,

    /// Do not ask for gzip-compressed responses (by default the CLI sends
    /// Accept-Encoding: gzip; a 1000-endpoint page is ~9x smaller on the wire).
    #[arg(long, global = true, help_heading = "Global options")]
    pub no_compression: bool,

    /// Logging on stderr: -v one line per HTTP attempt (status, time, request id), -vv
    /// more detail, -vvv the HTTP stack too. RUST_LOG, when set, takes precedence.
    #[arg(short, long, global = true, help_heading = "Global options", action = ArgAction::Count)]
    pub verbose: u8,
}

/// Largest `--max-response-mib`: 4 GiB.
pub const MAX_RESPONSE_MIB: u64 = 4096;

fn parse_seconds(s: &str) -> Result<f64, String> {
    let v: f64 = s
        .parse()
        .map_err(|_| format!("{s:?} is not a number of seconds"))?;
    if v.is_finite() && v > 0.0 && v <= 86_400.0 {
        Ok(v)
    } else {
        Err("must be more than 0 and at most 86400 seconds".to_owned())
    }
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// VPC endpoints.
    #[command(subcommand, after_help = ENDPOINTS_EXAMPLES)]
    Endpoints(EndpointsCommand),

    /// Credentials: which ones the command would use.
    #[command(subcommand, after_help = AUTH_EXAMPLES)]
    Auth(AuthCommand),

    /// Print a shell completion script to stdout.
    #[command(after_help = COMPLETIONS_EXAMPLES)]
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

const AUTH_EXAMPLES: &str = "\
Examples:
  # On an ECS with an agency, or with ~/.huaweicloud/credentials, or HUAWEICLOUD_SDK_AK/SK
  vpcep --region cn-north-4 auth whoami
  vpcep --region cn-north-4 auth whoami --json";

/// `vpcep auth ...`
#[derive(Debug, Subcommand)]
pub enum AuthCommand {
    /// Print the credentials' provider, the access key's first characters, their expiry
    /// and the project ID (looked up in IAM if need be). Never prints a secret.
    Whoami {
        /// One JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
}

/// `vpcep endpoints ...`
#[derive(Debug, Subcommand)]
pub enum EndpointsCommand {
    /// List endpoints: one page by default, every page with --all.
    #[command(visible_alias = "ls", after_help = LIST_EXAMPLES)]
    List(ListArgs),
}

/// `vpcep endpoints list` options.
///
/// A flag that carries a parameter of the spec has the parameter's wire name as its clap
/// id (`id = "endpoint_service_name"`): this is where flag and parameter are paired, and
/// `tests/contract.rs` checks that every query parameter of the spec has its flag and
/// reaches the wire. Enumerations, defaults and bounds shown in `--help` come from the
/// spec's table ([`vpcep_client::contract::LIST_ENDPOINTS`]); values are checked by the
/// client (exit 3), except enumerations, which clap checks (exit 2) against the table.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only endpoints whose service name contains this (case-insensitive).
    #[arg(
        id = "endpoint_service_name",
        long = "service-name",
        value_name = "NAME",
        help_heading = "Filters"
    )]
    pub service_name: Option<String>,

    /// Only endpoints in this VPC.
    #[arg(
        id = "vpc_id",
        long = "vpc-id",
        value_name = "VPC_ID",
        help_heading = "Filters"
    )]
    pub vpc_id: Option<String>,

    /// Only the endpoint with this ID.
    #[arg(id = "id", long = "id", value_name = "ID", help_heading = "Filters")]
    pub id: Option<String>,

    /// Only endpoints in this public border group.
    #[arg(
        id = "public_border_group",
        long = "public-border-group",
        value_name = "GROUP",
        help_heading = "Filters"
    )]
    pub public_border_group: Option<String>,

    /// Sort field, one of the spec's `sort_key` values (help: [`sort_key_help`]).
    #[arg(
        id = "sort_key",
        long = "sort-key",
        value_name = "KEY",
        value_parser = spec_values("sort_key"),
        help = sort_key_help(),
        help_heading = "Paging and order"
    )]
    pub sort_key: Option<String>,

    /// Sort direction, one of the spec's `sort_dir` values (help: [`sort_dir_help`]).
    #[arg(
        id = "sort_dir",
        long = "sort-dir",
        value_name = "DIR",
        value_parser = spec_values("sort_dir"),
        help = sort_dir_help(),
        help_heading = "Paging and order"
    )]
    pub sort_dir: Option<String>,

    /// Page size (help: [`limit_help`]); the client checks the spec's range.
    #[arg(
        id = "limit",
        long = "limit",
        value_name = "N",
        allow_negative_numbers = true,
        help = limit_help(),
        help_heading = "Paging and order"
    )]
    pub limit: Option<i64>,

    /// Matching endpoints to skip (help: [`offset_help`]); the client checks the spec's
    /// minimum.
    #[arg(
        id = "offset",
        long = "offset",
        value_name = "N",
        allow_negative_numbers = true,
        help = offset_help(),
        help_heading = "Paging and order"
    )]
    pub offset: Option<i64>,

    /// Every page, not just one: fetched concurrently once the first page gives the total.
    #[arg(long, help_heading = "Paging and order")]
    pub all: bool,

    /// Pages fetched at once with --all (default 8; lowered automatically when throttled).
    #[arg(long, value_name = "N", requires = "all", value_parser = clap::value_parser!(u16).range(1..=64), help_heading = "Paging and order")]
    pub concurrency: Option<u16>,

    /// Output format. Default: table when stdout is a terminal, json otherwise.
    #[arg(short, long, value_enum, value_name = "FORMAT")]
    pub output: Option<OutputFormat>,

    /// No progress bar, even on a terminal.
    #[arg(long)]
    pub no_progress: bool,
}

/// The spec's parameter `name`, from the generated table.
///
/// # Panics
/// If the spec has no such parameter: the CLI names one the spec dropped or renamed.
/// Building the command calls this for every such name, so the unit test
/// `clap_definition_is_consistent` fails first.
pub fn spec_parameter(name: &str) -> &'static Parameter {
    contract::parameter(name)
        .unwrap_or_else(|| panic!("the spec has no ListEndpoints parameter `{name}`"))
}

/// The values the spec enumerates for `name`, as clap's possible values: clap accepts
/// exactly these and lists them in `--help`, usage errors and shell completions. A value
/// added to the spec's enumeration is accepted after `cargo xtask codegen`, no edit here.
pub fn spec_values(name: &str) -> PossibleValuesParser {
    PossibleValuesParser::new(
        spec_parameter(name)
            .allowed
            .iter()
            .map(|v| PossibleValue::new(*v))
            .collect::<Vec<_>>(),
    )
}

/// The server's default for `name`, as the spec states it.
fn spec_default(name: &str) -> &'static str {
    spec_parameter(name).default.unwrap_or("none")
}

/// `--sort-key`'s help: the server's default from the spec.
pub fn sort_key_help() -> String {
    format!(
        "Sort by creation or update time (server default {})",
        spec_default("sort_key")
    )
}

/// `--sort-dir`'s help: the server's default from the spec.
pub fn sort_dir_help() -> String {
    format!(
        "Sort direction (server default {})",
        spec_default("sort_dir")
    )
}

/// `--limit`'s help: the spec's range and default. `--all` asks for the largest page.
pub fn limit_help() -> String {
    let p = spec_parameter("limit");
    let (min, max) = (p.minimum.unwrap_or(1), p.maximum.unwrap_or(i64::MAX));
    format!(
        "Page size, {min} to {max} (server default {}; {max} with --all)",
        spec_default("limit")
    )
}

/// `--offset`'s help: the spec's minimum.
pub fn offset_help() -> String {
    let min = spec_parameter("offset").minimum.unwrap_or(0);
    format!("Matching endpoints to skip, {min} or more")
}

/// Output formats of `endpoints list`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Aligned columns for people: ID, status, service name, VPC, IP, created.
    Table,
    /// One JSON document: {"endpoints": [...], "total_count": N}.
    Json,
    /// One endpoint per line (JSON Lines), streamed as pages arrive.
    Jsonl,
    /// One endpoint ID per line.
    Ids,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn clap_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn parses_a_full_list_command() {
        let cli = Cli::try_parse_from([
            "vpcep",
            "--endpoint-url",
            "http://127.0.0.1:1",
            "endpoints",
            "list",
            "--all",
            "--concurrency",
            "8",
            "--limit",
            "100",
            "-o",
            "jsonl",
            "--project-id",
            "p",
            "-vv",
        ])
        .unwrap();
        assert_eq!(cli.global.project_id.as_deref(), Some("p"));
        assert_eq!(cli.global.verbose, 2);
        let Command::Endpoints(EndpointsCommand::List(list)) = cli.command else {
            panic!("expected endpoints list");
        };
        assert!(list.all);
        assert_eq!(list.concurrency, Some(8));
        assert_eq!(list.limit, Some(100));
        assert_eq!(list.output, Some(OutputFormat::Jsonl));
    }

    #[test]
    fn enumerations_are_the_specs() {
        let cli = Cli::command();
        let list = cli
            .find_subcommand("endpoints")
            .and_then(|c| c.find_subcommand("list"))
            .unwrap();
        for name in ["sort_key", "sort_dir"] {
            let arg = list.get_arguments().find(|a| a.get_id() == name).unwrap();
            let values: Vec<String> = arg
                .get_possible_values()
                .iter()
                .map(|v| v.get_name().to_owned())
                .collect();
            assert_eq!(values, spec_parameter(name).allowed, "{name}");
        }
        let p = spec_parameter("limit");
        let help = limit_help();
        for bound in [p.minimum, p.maximum].into_iter().flatten() {
            assert!(help.contains(&bound.to_string()), "{help}");
        }
    }

    #[test]
    fn concurrency_needs_all() {
        let err =
            Cli::try_parse_from(["vpcep", "endpoints", "list", "--concurrency", "2"]).unwrap_err();
        assert_eq!(err.kind(), clap::error::ErrorKind::MissingRequiredArgument);
    }

    #[test]
    fn negative_limit_reaches_validation() {
        let cli = Cli::try_parse_from(["vpcep", "endpoints", "list", "--limit", "-1"]).unwrap();
        let Command::Endpoints(EndpointsCommand::List(list)) = cli.command else {
            panic!("expected endpoints list");
        };
        assert_eq!(list.limit, Some(-1));
    }

    #[test]
    fn timeout_must_be_positive() {
        assert!(parse_seconds("0").is_err());
        assert!(parse_seconds("abc").is_err());
        assert_eq!(parse_seconds("1.5"), Ok(1.5));
    }
}
