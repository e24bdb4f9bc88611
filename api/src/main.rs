//! The `siji` binary: parse the command line and hand over to the library.

use std::process::ExitCode;

#[actix_web::main]
async fn main() -> ExitCode {
    siji_api::cli::run().await
}
