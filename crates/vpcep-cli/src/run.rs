//! Runs a parsed command: builds the client, lists, prints.

use std::io::{self, BufWriter, IsTerminal, Write};
use std::process::ExitCode;
use std::time::Duration;

use clap::{CommandFactory, Parser};
use futures::StreamExt;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use vpcep_client::auth::{ENV_AK, ENV_PROJECT_ID, ENV_SK};
use vpcep_client::{Client, Credentials, RetryConfig};

use crate::args::{
    Cli, Command, EndpointsCommand, GlobalArgs, ListArgs, OutputFormat, ENV_ENDPOINT_URL,
    ENV_REGION, ENV_TOKEN,
};
use crate::error::{one_line, CliError, EXIT_OK};
use crate::output::Printer;

/// Longest time one attempt may take; `--timeout` may only lower it.
pub const MAX_ATTEMPT_TIMEOUT: Duration = Duration::from_secs(30);

/// Parses the process's arguments, runs the command, and returns the exit code. Errors are
/// printed as one line on stderr.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    crate::logging::init(cli.global.verbose);
    match run(cli) {
        Ok(()) => ExitCode::from(EXIT_OK),
        Err(e) if e.is_broken_pipe() => ExitCode::from(EXIT_OK),
        Err(e) => {
            eprintln!("error: {}", one_line(&e.to_string()));
            ExitCode::from(e.exit_code())
        }
    }
}

/// Runs a parsed command.
pub fn run(cli: Cli) -> Result<(), CliError> {
    match cli.command {
        Command::Completions { shell } => {
            let mut out = io::stdout().lock();
            clap_complete::generate(shell, &mut Cli::command(), "vpcep", &mut out);
            out.flush()?;
            Ok(())
        }
        Command::Endpoints(EndpointsCommand::List(args)) => {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(list(&cli.global, &args))
        }
    }
}

/// Non-blank value of an option.
fn given(value: &Option<String>) -> Option<&str> {
    value.as_deref().filter(|v| !v.trim().is_empty())
}

/// Builds the client from the global options and the environment. Says which flag or
/// variable to set when something is missing; sends nothing.
pub fn build_client(g: &GlobalArgs) -> Result<Client, CliError> {
    let mut builder = Client::builder();
    builder = match (given(&g.endpoint_url), given(&g.region)) {
        (Some(url), _) => builder.base_url(url),
        (None, Some(region)) => builder.region(region),
        (None, None) => {
            return Err(CliError::Config(format!(
                "no endpoint: pass --region (e.g. cn-north-4) or --endpoint-url URL, \
                 or set {ENV_REGION} or {ENV_ENDPOINT_URL}"
            )))
        }
    };
    let project = given(&g.project_id).ok_or_else(|| {
        CliError::Config(format!(
            "no project ID: pass --project-id or set {ENV_PROJECT_ID}"
        ))
    })?;
    builder = builder.project_id(project);
    builder = builder.credentials(credentials(g)?);
    let attempts = g.retries.map_or(3, |r| r.saturating_add(1));
    builder = builder.retry(RetryConfig::standard().with_max_attempts(attempts));
    if let Some(seconds) = g.timeout {
        let limit = Duration::from_secs_f64(seconds);
        builder = builder
            .operation_timeout(limit)
            .attempt_timeout(limit.min(MAX_ATTEMPT_TIMEOUT));
    }
    builder = builder.compression(!g.no_compression);
    builder = builder.user_agent(format!("vpcep-cli/{}", env!("CARGO_PKG_VERSION")));
    Ok(builder.build()?)
}

/// `--token`, else AK/SK from the environment.
fn credentials(g: &GlobalArgs) -> Result<Credentials, CliError> {
    if let Some(token) = given(&g.token) {
        return Ok(Credentials::token(token));
    }
    let set = |name: &str| std::env::var(name).is_ok_and(|v| !v.trim().is_empty());
    match (set(ENV_AK), set(ENV_SK)) {
        (false, false) => Err(CliError::Config(format!(
            "no credentials: pass --token or set {ENV_TOKEN}, \
             or set {ENV_AK} and {ENV_SK} for AK/SK signing"
        ))),
        (true, false) => Err(CliError::Config(format!(
            "{ENV_SK} is not set: AK/SK signing needs both {ENV_AK} and {ENV_SK} \
             (or pass --token)"
        ))),
        (false, true) => Err(CliError::Config(format!(
            "{ENV_AK} is not set: AK/SK signing needs both {ENV_AK} and {ENV_SK} \
             (or pass --token)"
        ))),
        (true, true) => Credentials::from_env().map_err(|e| CliError::Config(e.to_string())),
    }
}

/// The output format: as asked, else a table for a person at a terminal and JSON for a
/// program.
pub fn output_format(asked: Option<OutputFormat>, stdout_is_terminal: bool) -> OutputFormat {
    asked.unwrap_or(if stdout_is_terminal {
        OutputFormat::Table
    } else {
        OutputFormat::Json
    })
}

/// `vpcep endpoints list`.
async fn list(global: &GlobalArgs, args: &ListArgs) -> Result<(), CliError> {
    let client = build_client(global)?;
    let mut request = client.list_endpoints();
    if let Some(v) = &args.service_name {
        request = request.endpoint_service_name(v);
    }
    if let Some(v) = &args.vpc_id {
        request = request.vpc_id(v);
    }
    if let Some(v) = &args.id {
        request = request.id(v);
    }
    if let Some(v) = &args.public_border_group {
        request = request.public_border_group(v);
    }
    if let Some(v) = &args.sort_key {
        request = request.sort_key(v);
    }
    if let Some(v) = &args.sort_dir {
        request = request.sort_dir(v);
    }
    if let Some(v) = args.limit {
        request = request.limit(v);
    }
    if let Some(v) = args.offset {
        request = request.offset(v);
    }

    let stdout = io::stdout();
    let format = output_format(args.output, stdout.is_terminal());
    let mut printer = Printer::new(format, BufWriter::with_capacity(64 * 1024, stdout.lock()));

    if args.all {
        let show_progress = !args.no_progress
            && global.verbose == 0
            && !crate::logging::rust_log_set()
            && io::stderr().is_terminal();
        let progress = progress_bar(show_progress);
        let mut list_all = request.list_all();
        if let Some(n) = args.concurrency {
            list_all = list_all.concurrency(usize::from(n));
        }
        let mut pages = std::pin::pin!(list_all.pages());
        let mut first = true;
        while let Some(page) = pages.next().await {
            let page = match page {
                Ok(page) => page,
                Err(e) => {
                    progress.abandon();
                    return Err(e.into());
                }
            };
            let endpoints = page.endpoints.as_deref().unwrap_or_default();
            if first {
                first = false;
                if let Some(total) = page.total_count {
                    progress.set_length(u64::try_from(total).unwrap_or(0));
                }
            }
            progress.inc(endpoints.len() as u64);
            tracing::debug!(endpoints = endpoints.len(), "page received");
            printer.page(page.total_count, endpoints)?;
        }
        progress.finish_and_clear();
        tracing::info!(endpoints = printer.count(), "listing complete");
    } else {
        let page = request.send().await?;
        printer.page(
            page.total_count,
            page.endpoints.as_deref().unwrap_or_default(),
        )?;
    }
    printer.finish()?;
    Ok(())
}

fn progress_bar(visible: bool) -> ProgressBar {
    if !visible {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {wide_bar} {human_pos}/{human_len} endpoints \
             ({eta} left)",
        )
        .expect("valid progress template"),
    );
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

#[cfg(test)]
mod tests {
    use super::*;

    fn globals(args: &[&str]) -> GlobalArgs {
        let mut argv = vec!["vpcep"];
        argv.extend_from_slice(args);
        argv.extend_from_slice(&["endpoints", "list"]);
        Cli::try_parse_from(argv).unwrap().global
    }

    #[test]
    fn default_format_follows_the_terminal() {
        assert_eq!(output_format(None, true), OutputFormat::Table);
        assert_eq!(output_format(None, false), OutputFormat::Json);
        assert_eq!(
            output_format(Some(OutputFormat::Ids), true),
            OutputFormat::Ids
        );
    }

    #[test]
    fn missing_endpoint_and_project_are_named() {
        // These checks come before any environment lookup of credentials.
        let g = GlobalArgs {
            region: None,
            endpoint_url: None,
            project_id: None,
            token: None,
            timeout: None,
            retries: None,
            no_compression: false,
            verbose: 0,
        };
        let e = build_client(&g).unwrap_err();
        assert!(e.to_string().contains("--region"), "{e}");
        assert!(e.to_string().contains("--endpoint-url"), "{e}");
        let g = GlobalArgs {
            endpoint_url: Some("http://127.0.0.1:1".into()),
            ..g
        };
        let e = build_client(&g).unwrap_err();
        assert!(e.to_string().contains("--project-id"), "{e}");
        assert!(e.to_string().contains(ENV_PROJECT_ID), "{e}");
    }

    #[test]
    fn token_flag_builds_a_client() {
        let g = globals(&[
            "--endpoint-url",
            "http://127.0.0.1:1",
            "--project-id",
            "p",
            "--token",
            "t",
            "--timeout",
            "2.5",
            "--retries",
            "0",
        ]);
        let client = build_client(&g).unwrap();
        assert_eq!(client.base_url(), "http://127.0.0.1:1");
    }

    #[test]
    fn unknown_region_is_a_config_error() {
        let g = globals(&[
            "--region",
            "xx-nowhere-1",
            "--project-id",
            "p",
            "--token",
            "t",
        ]);
        let e = build_client(&g).unwrap_err();
        assert_eq!(e.exit_code(), crate::error::EXIT_CONFIG);
    }
}
