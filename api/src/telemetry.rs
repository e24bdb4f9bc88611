//! Structured logging with `tracing`. Each request runs in a span carrying its request id, so
//! every line it logs can be found again from the id a client reports. SQL statements are not
//! logged: their parameters are personal data.

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::FmtSpan;

use crate::config::{LogFormat, LogSettings};

/// Install the global subscriber. Call once, from the binary.
pub fn init(settings: &LogSettings) {
    // The database drivers log statements at info/debug: keep them quiet unless asked for.
    let filter = EnvFilter::try_new(format!("sqlx=warn,sea_orm=warn,{}", settings.filter))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_span_events(FmtSpan::NONE)
        .with_writer(std::io::stderr);
    let _ = match settings.log_format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .try_init(),
        LogFormat::Pretty => builder.compact().try_init(),
    };
}
