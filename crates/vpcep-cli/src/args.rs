//! Command-line arguments (clap derive).

use clap::builder::{PossibleValue, PossibleValuesParser};
use clap::{Arg, ArgAction, Args, Parser, Subcommand, ValueEnum};
#[cfg(doc)]
use vpcep_client::contract::CliFlag;
use vpcep_client::contract::{self, Kind, Location, Parameter};

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

  # Every region and sub-project of the account and of two others (IAM agencies), as one
  # listing: each record says its account, region and project
  vpcep --region all --agency acme-dev/vpcep-reader --agency acme-prod/vpcep-reader \
        endpoints list --all --output jsonl

  # Against a local fake server
  vpcep-fake --listen 127.0.0.1:8080 --generate 50 --no-auth &
  vpcep --endpoint-url http://127.0.0.1:8080 --project-id p --token t endpoints list

  # Shell completions
  vpcep completions bash > ~/.local/share/bash-completion/completions/vpcep

Exit codes: 0 success, 1 other error, 2 usage error, 3 invalid parameter (nothing sent),
4 missing or bad configuration (nothing sent), 5 VPCEP answered with an error status,
6 VPCEP could not be reached or did not answer in time, 7 unreadable or inconsistent response,
8 several targets listed and some not complete (the others printed complete).";

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
    /// Region ID, e.g. cn-north-4 (its endpoint: HUAWEICLOUD_SDK_REGION_VPCEP_CN_NORTH_4,
    /// else the regions file ~/.huaweicloud/regions.yaml, else the client's table, else
    /// https://vpcep.REGION.myhuaweicloud.com). Several separated by commas, or `all` (every
    /// region's project and sub-project IAM lists for the credentials): one listing of
    /// every target, with --all.
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

    /// Retries after a throttled (429, or 400 EndPoint.0022), unavailable (502/503/504),
    /// timed-out or interrupted attempt; 0 disables them. Default 2.
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

    /// Also list the account DOMAIN_NAME through its IAM agency AGENCY_NAME, assumed with
    /// the base credentials (AK/SK); repeatable. Its projects are found as --region says.
    #[arg(
        long,
        global = true,
        help_heading = "Several targets",
        value_name = "DOMAIN_NAME/AGENCY_NAME"
    )]
    pub agency: Vec<String>,

    /// With --agency: list only the agencies' accounts, not the base credentials' own.
    #[arg(
        long,
        global = true,
        help_heading = "Several targets",
        requires = "agency"
    )]
    pub no_base_account: bool,

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

/// The commands. (Parsed once per run: the size of the `list` variant's flags does not
/// matter, so it is not boxed.)
#[derive(Debug, Subcommand)]
#[allow(clippy::large_enum_variant)]
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
#[derive(Debug, Args)]
pub struct ListArgs {
    /// The flags of the spec's query parameters (`--vpc-id`, `--limit`, …), built from
    /// its table.
    #[command(flatten)]
    pub parameters: ParameterFlags,

    /// Every page, not just one: fetched concurrently once the first page gives the total.
    #[arg(long, help_heading = "Paging and order")]
    pub all: bool,

    /// With --all: write the listing's receipt to FILE (JSON: complete or not and why,
    /// pages, gaps repaired, retries by cause, bytes, time), also when it fails or is
    /// interrupted.
    #[arg(
        long,
        value_name = "FILE",
        requires = "all",
        help_heading = "Paging and order"
    )]
    pub receipt: Option<std::path::PathBuf>,

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

/// The flags that carry the spec's query parameters, one per parameter of the contract
/// table ([`vpcep_client::contract::LIST_ENDPOINTS`]), built when the command is: the
/// flag's clap id is the parameter's wire name, its long name, value name, help heading,
/// help text and place come from the parameter's `x-cli` extension in the spec
/// ([`CliFlag`]), its enumeration, defaults and bounds from its schema. Integers are parsed
/// by clap (a non-number is a usage error, exit 2; negative numbers reach validation),
/// enumerations checked by clap against the table (exit 2); every other rule is checked by
/// the client (exit 3). A parameter added to the spec gets its flag with no edit here.
///
/// Built at run time with clap's builder API rather than generated: the table is data the
/// client crate already carries, so the CLI needs no generated file and no second copy of
/// the spec, and clap's derive (used for every other flag) flattens it in.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ParameterFlags {
    /// The parameters given, by wire name, as wire text, in the spec's order.
    pub values: Vec<(&'static str, String)>,
}

impl ParameterFlags {
    /// The value given for the parameter `name`, as wire text.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The parameters that are flags of `endpoints list`, in the spec's order: those of the
/// query string (`project_id`, in the path, is the global `--project-id`).
pub fn flag_parameters() -> impl Iterator<Item = &'static Parameter> {
    contract::LIST_ENDPOINTS
        .iter()
        .filter(|p| p.location == Location::Query)
}

/// The flag of parameter `p`.
pub fn parameter_flag(p: &'static Parameter) -> Arg {
    let cli = &p.cli;
    let mut arg = Arg::new(p.name)
        .long(cli.long)
        .action(ArgAction::Set)
        .help(flag_help(p));
    if let Some(name) = cli.value_name {
        arg = arg.value_name(name);
    }
    if let Some(heading) = cli.heading {
        arg = arg.help_heading(heading);
    }
    match p.kind {
        Kind::Integer => arg
            .value_parser(clap::value_parser!(i64))
            .allow_negative_numbers(true),
        Kind::String if !p.allowed.is_empty() => arg.value_parser(spec_values(p.name)),
        Kind::String => arg,
    }
}

/// The help of parameter `p`'s flag: its `x-cli.help`, with `{default}`, `{minimum}` and
/// `{maximum}` replaced by the spec's values (the generator checks that they exist).
pub fn flag_help(p: &Parameter) -> String {
    let mut help = p.cli.help.to_owned();
    let values = [
        ("{default}", p.default.map(str::to_owned)),
        ("{minimum}", p.minimum.map(|v| v.to_string())),
        ("{maximum}", p.maximum.map(|v| v.to_string())),
    ];
    for (placeholder, value) in values {
        if let Some(value) = value {
            help = help.replace(placeholder, &value);
        }
    }
    help
}

impl clap::Args for ParameterFlags {
    fn augment_args(mut cmd: clap::Command) -> clap::Command {
        let mut parameters: Vec<(usize, &'static Parameter)> =
            flag_parameters().enumerate().collect();
        parameters.sort_by_key(|(index, p)| (p.cli.order.unwrap_or(u32::MAX), *index));
        for (_, p) in parameters {
            cmd = cmd.arg(parameter_flag(p));
        }
        cmd
    }

    fn augment_args_for_update(cmd: clap::Command) -> clap::Command {
        Self::augment_args(cmd)
    }
}

impl clap::FromArgMatches for ParameterFlags {
    fn from_arg_matches(matches: &clap::ArgMatches) -> Result<Self, clap::Error> {
        let mut values = Vec::new();
        for p in flag_parameters() {
            let value = match p.kind {
                Kind::Integer => matches.get_one::<i64>(p.name).map(i64::to_string),
                Kind::String => matches.get_one::<String>(p.name).cloned(),
            };
            if let Some(value) = value {
                values.push((p.name, value));
            }
        }
        Ok(ParameterFlags { values })
    }

    fn update_from_arg_matches(&mut self, matches: &clap::ArgMatches) -> Result<(), clap::Error> {
        *self = Self::from_arg_matches(matches)?;
        Ok(())
    }
}

/// The spec's parameter `name`, from the generated table.
///
/// # Panics
/// If the spec has no such parameter.
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
        assert_eq!(list.parameters.get("limit"), Some("100"));
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
        let help = flag_help(p);
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
        assert_eq!(list.parameters.get("limit"), Some("-1"));
    }

    #[test]
    fn timeout_must_be_positive() {
        assert!(parse_seconds("0").is_err());
        assert!(parse_seconds("abc").is_err());
        assert_eq!(parse_seconds("1.5"), Ok(1.5));
    }
}
