//! One trace per shopper request, across the hop: the gateway's request span, the Temporal calls
//! it makes, and the worker's workflow, handler and activity spans. The SDK's
//! `OpenTelemetryPlugin` carries W3C trace context and baggage in the `_tracer-data` header of
//! every start, update, signal, query and activity; the gateway puts the request id in the
//! baggage, so the worker's log lines name the request that caused them ([`crate::telemetry`]
//! appends both ids to every line logged inside a trace).
//!
//! Spans go to an OpenTelemetry collector over OTLP/HTTP when `OTEL_EXPORTER_OTLP_ENDPOINT` (or
//! `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is set, read by the exporter as the specification says.
//! Without one, ids are still made and logged, so logs correlate with no collector running.
use crate::config::Env;
use opentelemetry::baggage::BaggageExt;
use opentelemetry::trace::TraceContextExt;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::{BatchSpanProcessor, SdkTracerProvider};
use temporalio_sdk::ClientAndWorkerPlugin;
use temporalio_sdk::opentelemetry::{OpenTelemetryPlugin, WorkflowIdGenerator, WorkflowSpanProcessor};

/// The baggage entry that carries the gateway's request id to the worker.
pub const REQUEST_ID: &str = "request_id";

/// The process's tracer provider; [`Tracing::shutdown`] sends what is still buffered.
pub struct Tracing {
    provider: Option<SdkTracerProvider>,
}

impl Tracing {
    /// Installs the global tracer provider for `service` (unless `OTEL_SERVICE_NAME` names it
    /// otherwise). `OTEL_SDK_DISABLED=true` installs none: no spans, no ids in the logs.
    pub fn install(service: &'static str, env: &Env) -> anyhow::Result<Self> {
        if env.get("OTEL_SDK_DISABLED") == Some("true") {
            return Ok(Self { provider: None });
        }
        let mut resource = Resource::builder();
        if env.get("OTEL_SERVICE_NAME").is_none() {
            resource = resource.with_service_name(service);
        }
        // Workflow spans take their ids from the workflow's own random stream, so a replay
        // makes the same ones, and the span processor drops the spans a replay starts.
        let mut provider = SdkTracerProvider::builder()
            .with_id_generator(WorkflowIdGenerator::default())
            .with_resource(resource.build());
        if let Some(endpoint) = exporting(env) {
            let exporter = opentelemetry_otlp::SpanExporter::builder()
                .with_http()
                .build()
                .map_err(|e| {
                    anyhow::anyhow!(
                        "OTLP exporter for {}: {e}",
                        crate::settings::without_credentials(endpoint)
                    )
                })?;
            let batches = BatchSpanProcessor::builder(exporter).build();
            provider = provider.with_span_processor(WorkflowSpanProcessor::new(batches));
            tracing::info!(endpoint = %crate::settings::without_credentials(endpoint), "exporting traces over OTLP/HTTP");
        }
        let provider = provider.build();
        opentelemetry::global::set_tracer_provider(provider.clone());
        Ok(Self {
            provider: Some(provider),
        })
    }

    /// Flushes the spans not yet exported; call once, after the process's work has drained.
    pub fn shutdown(self) {
        if let Some(provider) = self.provider
            && let Err(e) = provider.shutdown()
        {
            tracing::warn!(error = %e, "traces not flushed at exit");
        }
    }
}

fn exporting(env: &Env) -> Option<&str> {
    env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
        .or_else(|| env.get("OTEL_EXPORTER_OTLP_ENDPOINT"))
}

/// The SDK's tracing interceptors for a client and every worker built from it.
pub fn plugin() -> ClientAndWorkerPlugin {
    ClientAndWorkerPlugin::new(OpenTelemetryPlugin::builder().build())
}

/// The caller's trace, from its W3C `traceparent` header. Baggage is not taken from outside: it
/// would travel to the worker unchecked.
pub fn caller_context(headers: &dyn opentelemetry::propagation::Extractor) -> opentelemetry::Context {
    use opentelemetry::propagation::TextMapPropagator;
    opentelemetry_sdk::propagation::TraceContextPropagator::new().extract(headers)
}

/// The trace id and request id of the OpenTelemetry context current on this thread, if any.
pub fn current_ids() -> (Option<String>, Option<String>) {
    let cx = opentelemetry::Context::current();
    let span = cx.span();
    let trace = span.span_context();
    let trace_id = trace.is_valid().then(|| trace.trace_id().to_string());
    // Baggage can come from any Temporal client; only a well-formed id reaches a log line.
    let request_id = cx
        .baggage()
        .get(REQUEST_ID)
        .map(|v| v.to_string())
        .filter(|id| is_request_id(id));
    (trace_id, request_id)
}

/// What the gateway takes from an `X-Request-Id` header (a proxy's or a client's): up to 64
/// letters, digits and `-_.:`, so it is safe to log and to send on.
pub fn is_request_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

#[cfg(test)]
mod tests {
    use super::is_request_id;

    #[test]
    fn request_ids_are_short_and_plain() {
        for ok in ["a", "req-1", "0af7651916cd43dd8448eb211c80319c", "lb:2.1_x"] {
            assert!(is_request_id(ok), "{ok}");
        }
        for bad in ["", "two words", "line\nbreak", "ünï", &"x".repeat(65)] {
            assert!(!is_request_id(bad), "{bad:?}");
        }
    }
}
