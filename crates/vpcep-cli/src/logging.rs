//! `-v` / `RUST_LOG` logging to stderr.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

/// The filter for `-v` counted `verbosity` times (RUST_LOG aside).
pub fn filter_for(verbosity: u8) -> &'static str {
    // rustls-platform-verifier logs a rejected certificate at error level (when `log`
    // records reach tracing); our one-line error already says it, with the remedy.
    match verbosity {
        0 => "warn,rustls_platform_verifier=off",
        // One line per HTTP attempt (status, duration, request id), retries, pages.
        1 => "warn,rustls_platform_verifier=off,vpcep_client=debug,vpcep_cli=debug",
        2 => "info,vpcep_client=trace,vpcep_cli=trace",
        // The HTTP stack too.
        _ => "debug,vpcep_client=trace,vpcep_cli=trace",
    }
}

/// Whether RUST_LOG asks for something.
pub fn rust_log_set() -> bool {
    std::env::var_os(EnvFilter::DEFAULT_ENV).is_some_and(|v| !v.is_empty())
}

/// Installs the stderr logger. RUST_LOG, when set and valid, wins over `-v`.
pub fn init(verbosity: u8) {
    let filter = if rust_log_set() {
        EnvFilter::try_from_default_env().unwrap_or_else(|e| {
            eprintln!("warning: ignoring RUST_LOG: {e}");
            EnvFilter::new(filter_for(verbosity))
        })
    } else {
        EnvFilter::new(filter_for(verbosity))
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(verbosity >= 2)
        .try_init();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_parse() {
        for v in 0..5 {
            EnvFilter::try_new(filter_for(v)).unwrap();
        }
    }
}
