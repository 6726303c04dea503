//! The CLI's errors and exit codes.

use std::fmt;
use std::io;

/// Exit code: success.
pub const EXIT_OK: u8 = 0;
/// Exit code: any other failure (e.g. writing the output failed, a page fetch was
/// cancelled, or an internal error of the client).
pub const EXIT_OTHER: u8 = 1;
/// Exit code: the command line could not be parsed (clap's own code).
pub const EXIT_USAGE: u8 = 2;
/// Exit code: a parameter broke a documented rule; nothing was sent.
pub const EXIT_INVALID_INPUT: u8 = 3;
/// Exit code: configuration is missing or wrong (endpoint, project ID, credentials);
/// nothing was sent.
pub const EXIT_CONFIG: u8 = 4;
/// Exit code: VPCEP (or its gateway) answered with an error status, or a redirect
/// (redirects are not followed).
pub const EXIT_API: u8 = 5;
/// Exit code: VPCEP could not be reached, did not answer in time, its answer was
/// interrupted (connection reset or closed mid-response), or its TLS certificate was
/// rejected.
pub const EXIT_UNREACHABLE: u8 = 6;
/// Exit code: the response could not be read (undecodable, or larger than the limit), a
/// page of a listing contradicted itself (twice), or a listing could not be established
/// complete (the list kept moving past what its repairs can follow).
pub const EXIT_BAD_RESPONSE: u8 = 7;

/// Exit code: a listing of several targets (`--region all`, several regions, `--agency`)
/// where some targets are complete and printed, and others are not (failed: the summary on
/// stderr names them and says why).
pub const EXIT_PARTIAL: u8 = 8;

/// Exit code: interrupted by SIGINT (128 + 2, as a shell reports it).
pub const EXIT_SIGINT: u8 = 130;
/// Exit code: interrupted by SIGTERM (128 + 15).
pub const EXIT_SIGTERM: u8 = 143;

/// Why a command failed.
#[derive(Debug)]
pub enum CliError {
    /// A signal stopped the command; the message says what was written.
    Interrupted {
        /// The signal.
        signal: crate::interrupt::Interrupt,
        /// What became of the output.
        output: String,
    },
    /// Something the user must set or fix before anything is sent.
    Config(String),
    /// The client failed.
    Client(vpcep_client::Error),
    /// Writing the output failed.
    Io(io::Error),
    /// Some targets of a listing of several are not complete; the others are printed.
    Partial {
        /// Targets not complete.
        incomplete: usize,
        /// Targets in all.
        targets: usize,
    },
}

impl CliError {
    /// The process exit code for this error.
    pub fn exit_code(&self) -> u8 {
        use vpcep_client::Error as E;
        match self {
            CliError::Interrupted { signal, .. } => signal.exit_code(),
            CliError::Config(_) => EXIT_CONFIG,
            CliError::Io(_) => EXIT_OTHER,
            CliError::Partial { .. } => EXIT_PARTIAL,
            CliError::Client(e) => match e {
                E::Validation(_) => EXIT_INVALID_INPUT,
                E::Config(_) | E::Credentials(_) => EXIT_CONFIG,
                // A redirect is an answer with a status we do not accept.
                E::Api(_) | E::Redirect { .. } => EXIT_API,
                E::Transport { .. } | E::Interrupted { .. } | E::Timeout { .. } | E::Tls { .. } => {
                    EXIT_UNREACHABLE
                }
                E::Decode { .. }
                | E::TotalCountChanged { .. }
                | E::ShortPage { .. }
                | E::InconsistentPage { .. }
                | E::ListingIncomplete { .. }
                | E::ResponseTooLarge { .. } => EXIT_BAD_RESPONSE,
                // Not the user's configuration: whether anything was sent is unknown
                // (cancelled), or the client disagrees with itself (internal).
                E::Cancelled { .. } | E::Internal(_) => EXIT_OTHER,
                _ => EXIT_OTHER,
            },
        }
    }

    /// Whether this is the reader of our output going away (`vpcep ... | head`), which is
    /// not a failure of the command.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, CliError::Io(e) if e.kind() == io::ErrorKind::BrokenPipe)
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CliError::Interrupted { signal, output } => {
                write!(f, "interrupted by {}: {output}", signal.name())
            }
            CliError::Config(message) => f.write_str(message),
            CliError::Client(e) => write!(f, "{e}"),
            CliError::Io(e) => write!(f, "could not write the output: {e}"),
            CliError::Partial {
                incomplete,
                targets,
            } => write!(
                f,
                "{incomplete} of {targets} targets not complete (the summary above says why); \
                 the endpoints of the others are printed complete"
            ),
        }
    }
}

impl std::error::Error for CliError {}

impl From<vpcep_client::Error> for CliError {
    fn from(e: vpcep_client::Error) -> Self {
        use vpcep_client::auth::CredentialsError;
        match &e {
            // The default chain found nothing: say what the user can set, then what each
            // provider of the chain said.
            vpcep_client::Error::Credentials(CredentialsError::Provider(p))
                if p.provider == "chain" =>
            {
                CliError::Config(format!(
                    "no credentials: pass --token or set VPCEP_TOKEN, set HUAWEICLOUD_SDK_AK and \
                     HUAWEICLOUD_SDK_SK, write ~/.huaweicloud/credentials, or run on an ECS with \
                     an agency; the default chain found none, it tried in order: {}",
                    p.message
                        .strip_prefix("no credentials found; tried, in order: ")
                        .unwrap_or(&p.message)
                ))
            }
            _ => CliError::Client(e),
        }
    }
}

impl From<io::Error> for CliError {
    fn from(e: io::Error) -> Self {
        CliError::Io(e)
    }
}

/// Errors are printed as one line: a message that spans lines (e.g. a server's text) is
/// joined, so scripts can rely on `error: ...` being the whole story; and what a terminal
/// would act on (escape sequences, other control and bidirectional characters) is shown
/// escaped ([`vpcep_client::terminal::printable`]).
pub fn one_line(message: &str) -> String {
    vpcep_client::terminal::printable(message)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_are_distinct() {
        let mut codes = vec![
            EXIT_OK,
            EXIT_OTHER,
            EXIT_USAGE,
            EXIT_INVALID_INPUT,
            EXIT_CONFIG,
            EXIT_API,
            EXIT_UNREACHABLE,
            EXIT_BAD_RESPONSE,
            EXIT_PARTIAL,
            EXIT_SIGINT,
            EXIT_SIGTERM,
        ];
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), 11);
        assert_eq!(crate::interrupt::Interrupt::Int.exit_code(), EXIT_SIGINT);
        assert_eq!(crate::interrupt::Interrupt::Term.exit_code(), EXIT_SIGTERM);
    }

    #[test]
    fn classes() {
        assert_eq!(CliError::Config("x".into()).exit_code(), EXIT_CONFIG);
        assert_eq!(
            CliError::Client(vpcep_client::Error::Config("x".into())).exit_code(),
            EXIT_CONFIG
        );
        let short = vpcep_client::Error::ShortPage {
            offset: 1000,
            expected: 1000,
            found: 999,
        };
        assert_eq!(CliError::Client(short).exit_code(), EXIT_BAD_RESPONSE);
        let cancelled = vpcep_client::Error::Cancelled { offset: 0 };
        assert_eq!(CliError::Client(cancelled).exit_code(), EXIT_OTHER);
        let internal = vpcep_client::Error::Internal("x".into());
        assert_eq!(CliError::Client(internal).exit_code(), EXIT_OTHER);
        let broken = CliError::Io(io::Error::from(io::ErrorKind::BrokenPipe));
        assert!(broken.is_broken_pipe());
        assert_eq!(broken.exit_code(), EXIT_OTHER);
    }

    #[test]
    fn one_line_joins() {
        assert_eq!(one_line("a\n  b\tc "), "a b c");
        assert_eq!(one_line("a\r\u{1b}[2Jb"), "a \\u{1b}[2Jb");
    }
}
