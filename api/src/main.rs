//! The `siji` binary: parse the command line and hand over to the library.

use std::process::ExitCode;

/// See the workspace's Cargo.toml for why not the system allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[actix_web::main]
async fn main() -> ExitCode {
    siji_api::cli::run().await
}
