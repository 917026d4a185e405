//! The `tracing` feature: a handler's `tracing::info!(..)` is written as one line in Lambda's
//! format (see `crate::log`), with the invocation's request id, and lines below
//! `AWS_LAMBDA_LOG_LEVEL` are not written. The runtime's own messages take the same path.

use std::fmt::{self, Write as _};

use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

use crate::log::{Level, format_line, settings};

/// Installs Lambda's format as the global subscriber, unless the program installed one.
pub(crate) fn install() {
    if tracing::dispatcher::has_been_set() {
        return;
    }
    let max = match settings().level {
        Level::Trace => tracing::Level::TRACE,
        Level::Debug => tracing::Level::DEBUG,
        Level::Info => tracing::Level::INFO,
        Level::Warn => tracing::Level::WARN,
        Level::Error | Level::Fatal => tracing::Level::ERROR,
    };
    let subscriber = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_max_level(max)
        .event_format(LambdaFormat)
        .finish();
    // Another thread may have installed one meanwhile: then that one stays.
    let _ = tracing::subscriber::set_global_default(subscriber);
}

/// Lambda's line format for `tracing_subscriber::fmt`.
struct LambdaFormat;

impl<S, N> FormatEvent<S, N> for LambdaFormat
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        _: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let level = match *event.metadata().level() {
            tracing::Level::TRACE => Level::Trace,
            tracing::Level::DEBUG => Level::Debug,
            tracing::Level::INFO => Level::Info,
            tracing::Level::WARN => Level::Warn,
            tracing::Level::ERROR => Level::Error,
        };
        let mut fields = Fields::default();
        event.record(&mut fields);
        let others: Vec<(&str, String)> = fields
            .others
            .iter()
            .map(|(name, value)| (*name, value.clone()))
            .collect();
        writer.write_str(&format_line(level, &fields.message, &others))
    }
}

/// An event's message, and its other fields as JSON values.
#[derive(Default)]
struct Fields {
    message: String,
    others: Vec<(&'static str, String)>,
}

impl Fields {
    fn other(&mut self, field: &Field, json: String) {
        self.others.push((field.name(), json));
    }
}

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.message, "{value:?}");
        } else {
            let text = format!("{value:?}");
            self.other(field, serde_json::Value::String(text).to_string());
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message.push_str(value);
        } else {
            self.other(field, serde_json::Value::from(value).to_string());
        }
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.other(field, value.to_string());
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.other(field, value.to_string());
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.other(field, value.to_string());
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        self.other(field, serde_json::Value::from(value).to_string());
    }
}
