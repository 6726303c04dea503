//! `vpcep`, the command-line tool for VPCEP ListEndpoints, as a library: the binary's
//! `main` only calls [`run::main`]. Argument definitions are in [`args`], output
//! formatting in [`output`] (pure functions over `io::Write`), exit codes in [`error`].

pub mod args;
pub mod error;
pub mod estate;
pub mod interrupt;
pub mod logging;
pub mod output;
pub mod run;
