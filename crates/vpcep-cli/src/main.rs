//! The `vpcep` binary. Everything happens in the library (`vpcep_cli::run`).

fn main() -> std::process::ExitCode {
    vpcep_cli::run::main()
}
