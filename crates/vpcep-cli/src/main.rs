//! The `vpcep` binary. Everything happens in the library (`vpcep_cli::run`).

/// Listing decodes ~25 `String`s per endpoint; mimalloc makes that ~1.3x faster than
/// glibc's malloc (`cargo bench -p vpcep-client --bench decode_mimalloc`).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    vpcep_cli::run::main()
}
