//! Runs a parsed command: builds the client, lists, prints.

use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use clap::{CommandFactory, Parser};
use futures::StreamExt;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use vpcep_client::auth::{ENV_AK, ENV_PROJECT_ID, ENV_SK};
use vpcep_client::{Client, Credentials, RetryConfig};

use crate::args::{
    AuthCommand, Cli, Command, EndpointsCommand, GlobalArgs, ListArgs, OutputFormat,
    ENV_ENDPOINT_URL, ENV_REGION,
};
use crate::error::{one_line, CliError, EXIT_OK};
use crate::interrupt::{self, Interrupt, Interrupts};
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
            // Generated in memory, then written: clap_complete panics when its writer
            // fails (a full disk, a closed pipe); our write reports it (exit 1, or a quiet
            // exit 0 for a closed pipe).
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "vpcep", &mut script);
            let mut out = io::stdout().lock();
            out.write_all(&script)?;
            out.flush()?;
            Ok(())
        }
        Command::Auth(AuthCommand::Whoami { json }) => {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(whoami(&cli.global, json))
        }
        Command::Endpoints(EndpointsCommand::List(args))
            if crate::estate::is_several(&cli.global) =>
        {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(list_several(&cli.global, &args))
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
    // Without a project ID, AK/SK credentials find it: their own (the credentials file's
    // project_id), else the region's in IAM (the client says so at the first request if
    // neither is there). A token cannot.
    match given(&g.project_id) {
        Some(project) => builder = builder.project_id(project),
        None if given(&g.token).is_none() => {}
        None => {
            return Err(CliError::Config(format!(
                "no project ID: pass --project-id or set {ENV_PROJECT_ID} \
                 (with AK/SK credentials: project_id in the credentials file, or --region \
                 to look it up in IAM)"
            )))
        }
    }
    if let Some(region) = given(&g.region) {
        // Kept for the IAM project lookup even when --endpoint-url picks the URL.
        builder = builder.region(region);
    }
    builder = builder.credentials(credentials(g)?);
    Ok(common_settings(builder, g)?.build()?)
}

/// The settings every client of a command gets from the global options: retries,
/// timeouts, response limit, compression, user agent, plain HTTP, extra CA.
fn common_settings(
    mut builder: vpcep_client::ClientBuilder,
    g: &GlobalArgs,
) -> Result<vpcep_client::ClientBuilder, CliError> {
    let attempts = g.retries.map_or(3, |r| r.saturating_add(1));
    builder = builder.retry(RetryConfig::standard().with_max_attempts(attempts));
    if let Some(seconds) = g.timeout {
        let limit = Duration::from_secs_f64(seconds);
        builder = builder
            .operation_timeout(limit)
            .attempt_timeout(limit.min(MAX_ATTEMPT_TIMEOUT));
    }
    if let Some(mib) = g.max_response_mib {
        builder = builder.max_response_bytes(mib << 20);
    }
    builder = builder.compression(!g.no_compression);
    builder = builder.user_agent(format!("vpcep-cli/{}", env!("CARGO_PKG_VERSION")));
    builder = builder.allow_http(g.allow_http);
    if let Some(path) = &g.ca_bundle {
        let pem = std::fs::read(path).map_err(|e| {
            CliError::Config(format!("cannot read --ca-bundle {}: {e}", path.display()))
        })?;
        builder = builder.add_root_certificate(pem);
    }
    Ok(builder)
}

/// `--token`, else AK/SK from the environment, else the official default chain.
fn credentials(g: &GlobalArgs) -> Result<Credentials, CliError> {
    if let Some(token) = given(&g.token) {
        return Ok(Credentials::token(token));
    }
    let set = |name: &str| std::env::var(name).is_ok_and(|v| !v.trim().is_empty());
    match (set(ENV_AK), set(ENV_SK)) {
        // OIDC STS, profile file, ECS metadata, CCE pod identity (the environment's AK/SK
        // are known to be unset); what each gave is in the error at the first request.
        (false, false) => Ok(Credentials::default_chain()),
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

/// `vpcep auth whoami`: provider, the AK's first characters, expiry, project ID.
async fn whoami(g: &GlobalArgs, json: bool) -> Result<(), CliError> {
    let client = build_client(g)?;
    let identity = client.identity().await?;
    let provider = match (&identity, given(&g.token)) {
        (_, Some(_)) => "token",
        (Some(id), None) if id.provider() == "static" => "env",
        (Some(id), None) => id.provider(),
        (None, None) => "none",
    };
    let ak_prefix = identity.as_ref().map(|id| id.access_key_prefix());
    let expires_at = identity
        .as_ref()
        .and_then(|id| id.expires_at())
        .map(vpcep_client::credentials::format_time);
    let (project_id, project_error) = match client.project_id().await {
        Ok(p) => (Some(p), None),
        Err(e) => (None, Some(one_line(&e.to_string()))),
    };
    let mut out = io::stdout().lock();
    if json {
        let value = serde_json::json!({
            "provider": provider,
            "access_key_prefix": ak_prefix,
            "expires_at": expires_at,
            "project_id": project_id,
            "project_id_error": project_error,
        });
        writeln!(out, "{value}")?;
    } else {
        writeln!(out, "provider:    {provider}")?;
        if let Some(prefix) = &ak_prefix {
            writeln!(out, "access key:  {prefix}… (first characters)")?;
        }
        writeln!(
            out,
            "expires at:  {}",
            expires_at.as_deref().unwrap_or("never (permanent)")
        )?;
        match (&project_id, &project_error) {
            (Some(p), _) => writeln!(out, "project ID:  {p}")?,
            (None, Some(e)) => writeln!(out, "project ID:  none ({e})")?,
            (None, None) => {}
        }
    }
    out.flush()?;
    Ok(())
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

/// `vpcep endpoints list` over several targets (`crate::estate`).
async fn list_several(global: &GlobalArgs, args: &ListArgs) -> Result<(), CliError> {
    let stdout = io::stdout();
    let format = output_format(args.output, stdout.is_terminal());
    let printer = Printer::new(format, BufWriter::with_capacity(64 * 1024, stdout.lock()));
    let mut interrupts = Interrupts::install().ok();
    let settings = |builder| common_settings(builder, global);
    let setup = crate::estate::Setup {
        credentials: credentials(global)?,
        settings: &settings,
        progress: progress_bar(
            show_progress(global, args),
            crate::estate::PROGRESS_TEMPLATE,
        ),
    };
    crate::estate::list(global, args, printer, &mut interrupts, setup).await
}

/// Whether to show a progress bar: asked for, not logging, stderr a terminal.
fn show_progress(global: &GlobalArgs, args: &ListArgs) -> bool {
    !args.no_progress
        && global.verbose == 0
        && !crate::logging::rust_log_set()
        && io::stderr().is_terminal()
}

/// `vpcep endpoints list`.
async fn list(global: &GlobalArgs, args: &ListArgs) -> Result<(), CliError> {
    let client = build_client(global)?;
    // The flags of the spec's parameters, by wire name (args::ParameterFlags, built from
    // the contract table); the client validates every value (exit 3).
    let mut request = client.list_endpoints();
    for (name, value) in &args.parameters.values {
        request = request.parameter(name, value.as_str());
    }

    let stdout = io::stdout();
    let format = output_format(args.output, stdout.is_terminal());
    let printer = Printer::new(format, BufWriter::with_capacity(64 * 1024, stdout.lock()));
    let mut interrupts = Interrupts::install().ok();
    if args.all {
        return list_all(global, args, request.list_all(), printer, &mut interrupts).await;
    }
    let mut printer = printer;
    let page = tokio::select! {
        biased;
        signal = interrupt::next(&mut interrupts) => {
            return Err(CliError::Interrupted {
                signal,
                output: "nothing was written".to_owned(),
            });
        }
        page = request.send() => page?,
    };
    printer.page(
        page.total_count,
        page.endpoints.as_deref().unwrap_or_default(),
    )?;
    printer.finish()?;
    Ok(())
}

/// How the pages of a listing stopped coming.
enum Stop {
    /// The listing ended.
    Done(Result<(), vpcep_client::Error>),
    /// A signal came.
    Interrupted(Interrupt),
    /// stdout could not be written.
    Output(io::Error),
}

/// `vpcep endpoints list --all`: prints pages as they come; on SIGINT/SIGTERM stops
/// fetching between two pages and closes the output where it can. Whatever happens, the
/// receipt is written (`--receipt`) and summed up on stderr (at `-v`, or when the listing
/// was not clean).
async fn list_all<W: Write>(
    global: &GlobalArgs,
    args: &ListArgs,
    mut listing: vpcep_client::ListAll,
    mut printer: Printer<W>,
    interrupts: &mut Option<Interrupts>,
) -> Result<(), CliError> {
    let progress = progress_bar(
        show_progress(global, args),
        "{spinner} [{elapsed_precise}] {wide_bar} {human_pos}/{human_len} endpoints \
         ({eta} left)",
    );
    if let Some(n) = args.concurrency {
        listing = listing.concurrency(usize::from(n));
    }
    let mut pages = listing.pages();
    let mut first = true;
    let stop = loop {
        let page = tokio::select! {
            biased;
            signal = interrupt::next(interrupts) => break Stop::Interrupted(signal),
            page = pages.next() => page,
        };
        let page = match page {
            None => break Stop::Done(Ok(())),
            Some(Err(e)) => break Stop::Done(Err(e)),
            Some(Ok(page)) => page,
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
        if let Err(e) = printer.page(page.total_count, endpoints) {
            break Stop::Output(e);
        }
    };
    let mut receipt = pages.receipt();
    // Stops fetching: the page requests still in flight are aborted.
    drop(pages);
    match &stop {
        Stop::Done(Ok(())) => progress.finish_and_clear(),
        _ => progress.abandon(),
    }
    match &stop {
        Stop::Interrupted(signal) => {
            receipt.mark_incomplete(format!("interrupted by {}", signal.name()))
        }
        Stop::Output(e) => receipt.mark_incomplete(format!("the output could not be written: {e}")),
        Stop::Done(_) => {}
    }
    let receipt_written = match &args.receipt {
        Some(path) => write_receipt(path, &receipt),
        None => Ok(()),
    };
    if global.verbose > 0 || !receipt.is_clean() {
        eprintln!("{}", receipt.summary());
    }
    let written = printer.count();
    match stop {
        Stop::Done(Ok(())) => {
            tracing::info!(endpoints = written, "listing complete");
            printer.finish()?;
            receipt_written
        }
        Stop::Done(Err(e)) => {
            if written > 0 {
                eprintln!("the output is partial: {written} endpoints written before the error");
            }
            Err(e.into())
        }
        Stop::Output(e) => Err(CliError::Io(e)),
        Stop::Interrupted(signal) => {
            let format = printer.format();
            let output = match printer.finish() {
                Ok(_) => match format {
                    OutputFormat::Json => format!(
                        "the output is partial: {written} endpoints written, the JSON document \
                         closed (valid, but not the whole listing)"
                    ),
                    OutputFormat::Table => {
                        format!("the output is partial: the table shows {written} endpoints")
                    }
                    OutputFormat::Jsonl | OutputFormat::Ids => format!(
                        "the output is partial: {written} endpoints written, every line whole"
                    ),
                },
                Err(e) => format!(
                    "the output is partial ({written} endpoints written) and could not be \
                     closed: {e}"
                ),
            };
            Err(CliError::Interrupted { signal, output })
        }
    }
}

/// Writes `receipt` as JSON to `path`.
fn write_receipt(path: &Path, receipt: &vpcep_client::Receipt) -> Result<(), CliError> {
    let text = serde_json::to_string_pretty(receipt).expect("a receipt serialises");
    std::fs::write(path, text + "\n").map_err(|e| {
        CliError::Config(format!(
            "could not write the receipt to {}: {e}",
            path.display()
        ))
    })
}

/// A progress bar on stderr with `template`, or a hidden one.
fn progress_bar(visible: bool, template: &str) -> ProgressBar {
    if !visible {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    bar.set_style(ProgressStyle::with_template(template).expect("valid progress template"));
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
            allow_http: false,
            ca_bundle: None,
            max_response_mib: None,
            no_compression: false,
            agency: Vec::new(),
            no_base_account: false,
            verbose: 0,
        };
        let e = build_client(&g).unwrap_err();
        assert!(e.to_string().contains("--region"), "{e}");
        assert!(e.to_string().contains("--endpoint-url"), "{e}");
        // A token cannot find a project (AK/SK credentials can: their own, or IAM's).
        let g = GlobalArgs {
            endpoint_url: Some("http://127.0.0.1:1".into()),
            token: Some("t".into()),
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
    fn plain_http_to_another_host_needs_allow_http() {
        let args = [
            "--endpoint-url",
            "http://vpcep.cn-north-4.myhuaweicloud.com",
            "--project-id",
            "p",
            "--token",
            "t",
        ];
        let e = build_client(&globals(&args)).unwrap_err();
        assert_eq!(e.exit_code(), crate::error::EXIT_CONFIG);
        assert!(e.to_string().contains("--allow-http"), "{e}");
        let mut allowed = args.to_vec();
        allowed.push("--allow-http");
        let client = build_client(&globals(&allowed)).unwrap();
        assert_eq!(
            client.base_url(),
            "http://vpcep.cn-north-4.myhuaweicloud.com"
        );
    }

    #[test]
    fn unknown_region_gets_the_standard_host_and_a_malformed_one_is_a_config_error() {
        // Issue 22: a region in no table (a new one, a private cloud) is not refused.
        let g = globals(&[
            "--region",
            "xx-nowhere-1",
            "--project-id",
            "p",
            "--token",
            "t",
        ]);
        let client = build_client(&g).unwrap();
        assert_eq!(
            client.base_url(),
            "https://vpcep.xx-nowhere-1.myhuaweicloud.com"
        );
        let g = globals(&[
            "--region",
            "xx/nowhere",
            "--project-id",
            "p",
            "--token",
            "t",
        ]);
        let e = build_client(&g).unwrap_err();
        assert_eq!(e.exit_code(), crate::error::EXIT_CONFIG);
        assert!(e.to_string().contains("invalid region"), "{e}");
    }
}
