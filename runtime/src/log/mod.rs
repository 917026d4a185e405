//! Log lines in Lambda's formats. Lambda's advanced logging controls set
//! `AWS_LAMBDA_LOG_FORMAT` (`Text`, the default, or `JSON`) and `AWS_LAMBDA_LOG_LEVEL`
//! (`TRACE` to `FATAL`, `INFO` by default); every line carries the id of the invocation it
//! belongs to, as Lambda's managed runtimes write them:
//!
//! - JSON: `{"timestamp":"2026-11-30T04:50:03.123Z","level":"WARN","requestId":"...","message":"..."}`
//! - Text: `[WARN]\t2026-11-30T04:50:03.123Z\t<request id>\tmessage` (the Python runtime's)
//!
//! The runtime's own messages go through [`write()`]; with the `tracing` feature, so do a
//! handler's `tracing` events (the `tracing_logs` module).

#[cfg(feature = "tracing")]
pub(crate) mod tracing_logs;

use std::cell::RefCell;
use std::fmt::{self, Write as _};
use std::io::Write as _;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::SystemTime;

use lambda_handler_protocol::env::{LOG_FORMAT, LOG_LEVEL, is_json_log_format};

/// A log line's level, in Lambda's names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Level {
    Trace,
    Debug,
    Info,
    Warn,
    Error,
    Fatal,
}

impl Level {
    fn parse(name: &str) -> Option<Self> {
        Some(match name.trim().to_ascii_uppercase().as_str() {
            "TRACE" => Level::Trace,
            "DEBUG" => Level::Debug,
            "INFO" => Level::Info,
            "WARN" | "WARNING" => Level::Warn,
            "ERROR" => Level::Error,
            "FATAL" | "CRITICAL" => Level::Fatal,
            _ => return None,
        })
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Level::Trace => "TRACE",
            Level::Debug => "DEBUG",
            Level::Info => "INFO",
            Level::Warn => "WARN",
            Level::Error => "ERROR",
            Level::Fatal => "FATAL",
        }
    }
}

/// How lines are written, read once from the environment.
pub(crate) struct Settings {
    pub(crate) json: bool,
    /// Lines below this level are not written.
    pub(crate) level: Level,
}

pub(crate) fn settings() -> &'static Settings {
    static SETTINGS: OnceLock<Settings> = OnceLock::new();
    SETTINGS.get_or_init(|| Settings {
        json: std::env::var(LOG_FORMAT).is_ok_and(|f| is_json_log_format(&f)),
        level: std::env::var(LOG_LEVEL)
            .ok()
            .and_then(|l| Level::parse(&l))
            .unwrap_or(Level::Info),
    })
}

/// The invocation a line belongs to: its request id, and its tenant for a multi-tenant
/// function (empty for none).
struct Invocation {
    request_id: String,
    tenant_id: String,
}

impl Invocation {
    const NONE: Invocation = Invocation {
        request_id: String::new(),
        tenant_id: String::new(),
    };

    fn set(&mut self, request_id: &str, tenant_id: Option<&str>) {
        self.request_id.clear();
        self.request_id.push_str(request_id);
        self.tenant_id.clear();
        self.tenant_id.push_str(tenant_id.unwrap_or_default());
    }

    fn copy(&self) -> Invocation {
        Invocation {
            request_id: self.request_id.clone(),
            tenant_id: self.tenant_id.clone(),
        }
    }
}

/// The invocation being served, for the lines written meanwhile (from any thread).
static INVOCATION: Mutex<Invocation> = Mutex::new(Invocation::NONE);

/// Whether each thread serves invocations of its own (`AWS_LAMBDA_MAX_CONCURRENCY`): a line
/// then belongs to the invocation its thread serves.
static PER_THREAD: AtomicBool = AtomicBool::new(false);

thread_local! {
    /// The invocation this thread serves, when [`PER_THREAD`].
    static THREAD_INVOCATION: RefCell<Invocation> = const { RefCell::new(Invocation::NONE) };
}

/// From now on each thread's lines belong to the invocation that thread serves: several
/// invocation loops run at once, on threads of their own, several to a thread when each is
/// wrapped in [`PerLoop`].
pub(crate) fn request_ids_per_thread() {
    PER_THREAD.store(true, Ordering::Relaxed);
}

/// An invocation loop that shares its thread with other loops (tasks of one `LocalSet`):
/// while it is polled, the thread's invocation is this loop's, so each line it writes carries
/// its own request id whichever loop ran before it.
pub(crate) struct PerLoop<F> {
    inner: std::pin::Pin<Box<F>>,
    invocation: Invocation,
}

impl<F> PerLoop<F> {
    pub(crate) fn new(inner: F) -> Self {
        PerLoop {
            inner: Box::pin(inner),
            invocation: Invocation::NONE,
        }
    }
}

impl<F: std::future::Future> std::future::Future for PerLoop<F> {
    type Output = F::Output;

    fn poll(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<F::Output> {
        let this = self.get_mut();
        // Swapped in and out: two `String`s change places, nothing is copied.
        THREAD_INVOCATION.with_borrow_mut(|current| std::mem::swap(current, &mut this.invocation));
        let polled = this.inner.as_mut().poll(cx);
        THREAD_INVOCATION.with_borrow_mut(|current| std::mem::swap(current, &mut this.invocation));
        polled
    }
}

/// Lines written from now on (on this thread, with several loops) belong to the invocation
/// `request_id` (empty: to none, as during init), of the tenant `tenant_id` if it has one.
pub(crate) fn set_invocation(request_id: &str, tenant_id: Option<&str>) {
    if PER_THREAD.load(Ordering::Relaxed) {
        THREAD_INVOCATION.with_borrow_mut(|current| current.set(request_id, tenant_id));
    } else {
        let mut current = INVOCATION.lock().unwrap_or_else(|p| p.into_inner());
        current.set(request_id, tenant_id);
    }
}

/// The invocation a line written now belongs to.
fn invocation() -> Invocation {
    if PER_THREAD.load(Ordering::Relaxed) {
        THREAD_INVOCATION.with_borrow(Invocation::copy)
    } else {
        INVOCATION.lock().unwrap_or_else(|p| p.into_inner()).copy()
    }
}

/// Writes one of the runtime's own messages.
pub(crate) fn write(level: Level, message: fmt::Arguments<'_>) {
    if level < settings().level {
        return;
    }
    #[cfg(feature = "tracing")]
    if forward(level, &message) {
        return;
    }
    let mut text = String::from("lambda-handler: ");
    let _ = text.write_fmt(message);
    let line = format_line(level, &text, &[]);
    let _ = std::io::stderr().lock().write_all(line.as_bytes());
}

/// One of the runtime's own messages, as a `tracing` event when a subscriber is installed (so
/// that a program's own subscriber sees it too); false when there is none.
#[cfg(feature = "tracing")]
fn forward(level: Level, message: &fmt::Arguments<'_>) -> bool {
    if !tracing::dispatcher::has_been_set() {
        return false;
    }
    match level {
        Level::Trace => tracing::trace!(target: "lambda_handler", "lambda-handler: {message}"),
        Level::Debug => tracing::debug!(target: "lambda_handler", "lambda-handler: {message}"),
        Level::Info => tracing::info!(target: "lambda_handler", "lambda-handler: {message}"),
        Level::Warn => tracing::warn!(target: "lambda_handler", "lambda-handler: {message}"),
        Level::Error | Level::Fatal => {
            tracing::error!(target: "lambda_handler", "lambda-handler: {message}")
        }
    }
    true
}

/// One line, newline included, in the configured format; `fields` are a `tracing` event's
/// other fields (JSON values, already encoded).
pub(crate) fn format_line(level: Level, message: &str, fields: &[(&str, String)]) -> String {
    let Invocation {
        request_id,
        tenant_id,
    } = invocation();
    let timestamp = lambda_handler_protocol::log_format::timestamp(SystemTime::now());
    let mut line = String::with_capacity(message.len() + 128);
    if settings().json {
        let quote = |s: &str| serde_json::to_string(s).expect("strings encode");
        let _ = write!(
            line,
            r#"{{"timestamp":"{timestamp}","level":"{}","message":{}"#,
            level.name(),
            quote(message)
        );
        if !request_id.is_empty() {
            let _ = write!(line, r#","requestId":{}"#, quote(&request_id));
        }
        // As Lambda's own runtimes write it, for a tenant's invocation only.
        if !tenant_id.is_empty() {
            let _ = write!(line, r#","tenantId":{}"#, quote(&tenant_id));
        }
        for (name, value) in fields {
            let _ = write!(line, ",{}:{value}", quote(name));
        }
        line.push('}');
    } else {
        let _ = write!(
            line,
            "[{}]\t{timestamp}\t{request_id}\t{message}",
            level.name()
        );
        for (name, value) in fields {
            let _ = write!(line, " {name}={value}");
        }
    }
    line.push('\n');
    line
}

/// How much of a body a log line may quote.
const EXCERPT: usize = 256;

/// A body as a log line may quote it: its length, and at most its first [`EXCERPT`] bytes,
/// escaped (control characters and invalid UTF-8 included). Bodies may carry users' data
/// (an event, a response) and be megabytes long: a line never carries one whole.
pub(crate) fn excerpt(body: &[u8]) -> String {
    let start = &body[..body.len().min(EXCERPT)];
    let quoted = format!("{:?}", String::from_utf8_lossy(start));
    if body.len() > EXCERPT {
        format!("{quoted}... ({} bytes)", body.len())
    } else {
        quoted
    }
}

/// `log!(Level::Warn, "...", args)`: one of the runtime's own messages.
macro_rules! log {
    ($level:ident, $($arg:tt)*) => {
        $crate::log::write($crate::log::Level::$level, format_args!($($arg)*))
    };
}

pub(crate) use log;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpts_are_bounded_and_escaped() {
        assert_eq!(excerpt(br#"{"a":1}"#), r#""{\"a\":1}""#);
        assert_eq!(
            excerpt(b"line\nbreak\x1b[31m"),
            r#""line\nbreak\u{1b}[31m""#
        );
        let long = excerpt(&vec![b'x'; 8 << 20]);
        assert!(long.len() < 300, "{}", long.len());
        assert!(long.ends_with("... (8388608 bytes)"), "{long}");
    }

    #[test]
    fn levels_are_lambdas_names_in_order() {
        assert_eq!(Level::parse("warn"), Some(Level::Warn));
        assert_eq!(Level::parse(" FATAL "), Some(Level::Fatal));
        assert_eq!(Level::parse("loud"), None);
        assert!(Level::Debug < Level::Info && Level::Error < Level::Fatal);
    }
}
