//! Logging set-up shared by the binaries: `RUST_LOG` filters, `info` by default; a line logged
//! inside a trace ends with its trace id and request id ([`crate::traces`]); no line holds a
//! cart id or an email address ([`crate::domain::redact`]).
use crate::domain::redact;
use std::io::IsTerminal;
use tracing::{Event, Subscriber};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,temporalio_sdk_core=warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        // Colours only for a person at a terminal: log files and journald get plain text.
        .with_ansi(std::io::stdout().is_terminal())
        .event_format(WithTraceIds(tracing_subscriber::fmt::format().with_target(false)))
        .try_init();
}

/// Appends `trace_id=… request_id=…` from the OpenTelemetry context current on the thread: the
/// gateway's request, or the workflow handler or activity the SDK's plugin is running. Those ids
/// live in OpenTelemetry's context, not in a `tracing` span, so no span field can show them.
struct WithTraceIds<F>(F);

impl<S, N, F> FormatEvent<S, N> for WithTraceIds<F>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
    F: FormatEvent<S, N>,
{
    fn format_event(&self, ctx: &FmtContext<'_, S, N>, mut writer: Writer<'_>, event: &Event<'_>) -> std::fmt::Result {
        let (trace_id, request_id) = crate::traces::current_ids();
        let mut line = String::new();
        self.0.format_event(ctx, Writer::new(&mut line), event)?;
        // Our own fields name carts by their tag and hold no address; the SDK's spans name the
        // workflow (a cart's id) and its warnings quote failures, so every line is scrubbed.
        let line = redact::cart_ids(&line);
        let line = redact::addresses(&line);
        write!(writer, "{}", line.trim_end_matches('\n'))?;
        if let Some(id) = trace_id {
            write!(writer, " trace_id={id}")?;
        }
        if let Some(id) = request_id {
            write!(writer, " request_id={id}")?;
        }
        writeln!(writer)
    }
}

/// Resolves on Ctrl-C or SIGTERM: the one shutdown trigger of every binary.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
