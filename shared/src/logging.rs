//! Logs go to stdout: one JSON object per line, or human-readable lines.

use tracing_subscriber::{EnvFilter, fmt, layer::SubscriberExt, util::SubscriberInitExt};

use crate::config::LogFormat;

/// Installs the global subscriber. `filter` was validated with the configuration.
pub fn init(format: LogFormat, filter: &str) {
    let filter = EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let registry = tracing_subscriber::registry().with(filter);
    let installed = match format {
        LogFormat::Json => registry
            .with(
                json_subscriber::layer()
                    .flatten_event(true)
                    // The list holds every span, the current one last: written once, not twice.
                    .with_current_span(false)
                    .with_span_list(true)
                    .with_writer(std::io::stdout),
            )
            .try_init(),
        LogFormat::Pretty => registry
            .with(fmt::layer().with_writer(std::io::stdout))
            .try_init(),
    };
    // A second initialisation (tests) keeps the first subscriber.
    drop(installed);
}
