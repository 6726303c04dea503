//! Listings of several targets as one: `--region all` or `--region a,b,c`, `--agency`
//! (repeatable), `--no-base-account`. Every record says where it came from; a target that
//! fails does not stop the others; a summary of the targets that are not complete goes to
//! stderr, and the exit code is [`EXIT_PARTIAL`](crate::error::EXIT_PARTIAL) when some are
//! complete and others are not.

use std::io::Write;
use std::path::Path;

use futures::StreamExt;
use indicatif::ProgressBar;
use serde_json::json;
use vpcep_client::credentials::agency::AgencyProvider;
use vpcep_client::estate::{self, Estate, EstateItem, Outcome, Regions, Target, TargetId};
use vpcep_client::{Client, ClientBuilder, Credentials};

use crate::args::{GlobalArgs, ListArgs, OutputFormat};
use crate::error::{one_line, CliError};
use crate::interrupt::{self, Interrupts};
use crate::output::Printer;

/// The progress bar's template: targets done of all, endpoints written.
pub const PROGRESS_TEMPLATE: &str =
    "{spinner} [{elapsed_precise}] {wide_bar} {human_pos}/{human_len} targets, {msg} endpoints";

/// What the listing takes from the command's other options (`run.rs`): the base
/// credentials, the settings every client gets, the progress bar.
pub struct Setup<'a> {
    /// The base credentials (`--token` is refused; AK/SK or the default chain).
    pub credentials: Credentials,
    /// Retries, timeouts, limits, … from the global options.
    pub settings: &'a dyn Fn(ClientBuilder) -> Result<ClientBuilder, CliError>,
    /// Where progress goes (hidden when not wanted), with [`PROGRESS_TEMPLATE`].
    pub progress: ProgressBar,
}

/// The version of the JSON shape `--receipt` writes for a listing of several targets.
pub const ESTATE_RECEIPT_VERSION: u32 = 1;

/// The region the accounts' own clients are built for when `--region all` names none:
/// they only ask IAM (its global endpoint); every target gets its region's client.
const ACCOUNT_REGION: &str = "cn-north-4";

/// Whether the options ask for several targets: `--region all`, several regions, or an
/// agency.
pub fn is_several(g: &GlobalArgs) -> bool {
    let region = g.region.as_deref().unwrap_or_default();
    region.trim() == "all" || region.contains(',') || !g.agency.is_empty()
}

/// Checks what a listing of several targets cannot take; nothing is sent.
fn check(g: &GlobalArgs, args: &ListArgs, regions: &Regions) -> Result<(), CliError> {
    if !args.all {
        return Err(CliError::Config(
            "a listing of several targets (--region all, several regions, --agency) lists \
             every page of each: add --all"
                .to_owned(),
        ));
    }
    if g.endpoint_url
        .as_deref()
        .is_some_and(|u| !u.trim().is_empty())
    {
        return Err(CliError::Config(
            "--endpoint-url names one endpoint: with several targets, set each region's \
             endpoint in HUAWEICLOUD_SDK_REGION_VPCEP_{REGION} or the regions file instead"
                .to_owned(),
        ));
    }
    if g.token.as_deref().is_some_and(|t| !t.trim().is_empty()) {
        return Err(CliError::Config(
            "--token cannot list several targets (IAM lists projects and assumes agencies \
             for AK/SK credentials only): use AK/SK credentials"
                .to_owned(),
        ));
    }
    let several_regions = !matches!(regions, Regions::These(r) if r.len() == 1);
    if several_regions
        && g.project_id
            .as_deref()
            .is_some_and(|p| !p.trim().is_empty())
    {
        return Err(CliError::Config(
            "--project-id names the project of one region: with several regions (or all), \
             each region's projects come from IAM; unset it (HUAWEICLOUD_SDK_PROJECT_ID too)"
                .to_owned(),
        ));
    }
    Ok(())
}

/// The accounts to list: the base credentials' own (unless `--no-base-account`), then one
/// per `--agency`, each as (label, client).
fn accounts(
    g: &GlobalArgs,
    regions: &Regions,
    setup: &Setup<'_>,
) -> Result<Vec<(Option<String>, Client)>, CliError> {
    let region = match regions {
        Regions::These(regions) => regions[0].as_str(),
        _ => ACCOUNT_REGION,
    };
    let base = setup.credentials.clone();
    let account = |credentials: Credentials| -> Result<Client, CliError> {
        let mut builder = Client::builder().region(region).credentials(credentials);
        if let Some(project) = g.project_id.as_deref().filter(|p| !p.trim().is_empty()) {
            builder = builder.project_id(project);
        }
        Ok((setup.settings)(builder)?.build()?)
    };
    let mut found = Vec::new();
    if !g.no_base_account {
        found.push((None, account(base.clone())?));
    }
    let iam = std::env::var(vpcep_client::credentials::ENV_IAM_ENDPOINT)
        .ok()
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| "https://iam.myhuaweicloud.com".to_owned());
    for text in &g.agency {
        let (domain, agency) = AgencyProvider::parse_name(text).map_err(CliError::Config)?;
        let credentials = base
            .clone()
            .assume_agency(iam.clone(), domain.clone(), agency)
            .map_err(|e| CliError::Config(e.to_string()))?;
        found.push((Some(domain), account(credentials)?));
    }
    Ok(found)
}

/// What became of one target, for the summary and the receipt.
struct Report {
    target: TargetId,
    outcome: String,
    error: Option<String>,
    endpoints: u64,
    receipt: Option<vpcep_client::Receipt>,
}

/// `vpcep endpoints list --all` over several targets.
pub async fn list<W: Write>(
    g: &GlobalArgs,
    args: &ListArgs,
    mut printer: Printer<W>,
    interrupts: &mut Option<Interrupts>,
    setup: Setup<'_>,
) -> Result<(), CliError> {
    let text = g.region.as_deref().unwrap_or_default();
    if text.trim().is_empty() {
        return Err(CliError::Config(
            "--agency needs --region: a region, several separated by commas, or all".to_owned(),
        ));
    }
    let regions = Regions::parse(text)?;
    check(g, args, &regions)?;
    let accounts = accounts(g, &regions, &setup)?;
    let discovered = futures::future::join_all(
        accounts
            .iter()
            .map(|(label, client)| estate::discover(client, label.as_deref(), &regions)),
    )
    .await;
    let targets: Vec<Target> = discovered.into_iter().flatten().collect();
    let total = targets.len();
    let parameters = args.parameters.values.clone();
    let mut listing = Estate::new().targets(targets).request(move |mut request| {
        for (name, value) in &parameters {
            request = request.parameter(name, value.as_str());
        }
        request
    });
    if let Some(n) = args.concurrency {
        listing = listing.concurrency_per_target(usize::from(n));
    }
    let progress = setup.progress;
    progress.set_length(total as u64);
    let ids: Vec<TargetId> = listing.target_ids().cloned().collect();
    let mut stream = listing.stream();
    let mut reports: Vec<Option<Report>> = (0..total).map(|_| None).collect();
    // Endpoints printed per target so far (for the targets an interruption stops).
    let mut printed = vec![0u64; total];
    let mut interrupted = None;
    let mut output_error = None;
    loop {
        let item = tokio::select! {
            biased;
            signal = interrupt::next(interrupts) => { interrupted = Some(signal); break; }
            item = stream.next() => item,
        };
        match item {
            None => break,
            Some(EstateItem::Page(page)) => {
                if let Err(e) = printer.target_page(&page.target, &page.endpoints) {
                    output_error = Some(e);
                    break;
                }
                printed[page.index] += page.endpoints.len() as u64;
                progress.set_message(printer.count().to_string());
            }
            Some(EstateItem::Finished(report)) => {
                let report = *report;
                progress.inc(1);
                reports[report.index] = Some(Report {
                    target: (*report.target).clone(),
                    outcome: report.outcome.label().to_owned(),
                    error: match &report.outcome {
                        Outcome::Complete => None,
                        other => other.detail().map(|d| one_line(&d)),
                    },
                    endpoints: report.endpoints,
                    receipt: report.receipt,
                });
            }
        }
    }
    // Stops fetching: every listing still running is dropped.
    drop(stream);
    progress.finish_and_clear();
    let stopped = interrupted
        .map(|s| format!("interrupted by {}", s.name()))
        .or_else(|| {
            output_error
                .as_ref()
                .map(|e| format!("the output could not be written: {e}"))
        });
    // Targets the stop caught: not started (skipped), or part-way (failed).
    let reports: Vec<Report> = reports
        .into_iter()
        .zip(ids)
        .zip(printed)
        .map(|((r, id), printed)| {
            r.unwrap_or_else(|| Report {
                target: id,
                outcome: if printed == 0 { "skipped" } else { "failed" }.to_owned(),
                error: Some(stopped.clone().unwrap_or_else(|| "not listed".to_owned())),
                endpoints: printed,
                receipt: None,
            })
        })
        .collect();
    let incomplete = reports.iter().filter(|r| r.outcome != "complete").count();
    if let Some(path) = &args.receipt {
        write_receipt(path, &reports)?;
    }
    if incomplete > 0 || g.verbose > 0 {
        eprint!("{}", summary(&reports, printer.count(), g.verbose > 0));
    }
    let written = printer.count();
    if let Some(e) = output_error {
        return Err(CliError::Io(e));
    }
    if let Some(signal) = interrupted {
        let format = printer.format();
        let output = match printer.finish() {
            Ok(_) if format == OutputFormat::Json => format!(
                "the output is partial: {written} endpoints written, the JSON document closed \
                 (valid, but not the whole listing)"
            ),
            Ok(_) => format!("the output is partial: {written} endpoints written"),
            Err(e) => format!(
                "the output is partial ({written} endpoints written) and could not be closed: {e}"
            ),
        };
        return Err(CliError::Interrupted { signal, output });
    }
    printer.finish()?;
    if incomplete == 0 {
        return Ok(());
    }
    Err(CliError::Partial {
        incomplete,
        targets: total,
    })
}

/// The per-target summary: one line per target that is not complete (every target at
/// `-v`), then the totals.
fn summary(reports: &[Report], written: u64, every: bool) -> String {
    let complete = reports.iter().filter(|r| r.outcome == "complete").count();
    let mut text = String::new();
    for r in reports.iter().filter(|r| every || r.outcome != "complete") {
        let line = match &r.error {
            Some(error) => format!(
                "  {:<8}  {}  {} endpoints  {error}\n",
                r.outcome, r.target, r.endpoints
            ),
            None => format!(
                "  {:<8}  {}  {} endpoints\n",
                r.outcome, r.target, r.endpoints
            ),
        };
        text.push_str(&line);
    }
    format!(
        "targets: {complete} of {} complete, {written} endpoints written\n{text}",
        reports.len()
    )
}

/// `--receipt FILE` of a listing of several targets: every target, its outcome and its
/// listing's receipt.
fn write_receipt(path: &Path, reports: &[Report]) -> Result<(), CliError> {
    let targets: Vec<_> = reports
        .iter()
        .map(|r| {
            json!({
                "account": r.target.account,
                "region": r.target.region,
                "project_id": r.target.project_id,
                "outcome": r.outcome,
                "error": r.error,
                "endpoints": r.endpoints,
                "receipt": r.receipt,
            })
        })
        .collect();
    let document = json!({
        "version": ESTATE_RECEIPT_VERSION,
        "complete": reports.iter().all(|r| r.outcome == "complete"),
        "targets": targets,
    });
    let text = serde_json::to_string_pretty(&document).expect("a receipt serialises");
    std::fs::write(path, text + "\n").map_err(|e| {
        CliError::Config(format!(
            "could not write the receipt to {}: {e}",
            path.display()
        ))
    })
}
