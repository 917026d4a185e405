//! A program that installs its own `tracing` subscriber before `run()` keeps it: the runtime
//! installs Lambda's format only when none is set, and sends its own messages to the
//! program's subscriber too. Here the subscriber is a minimal one that writes `OWN level
//! message` to stderr; a real program would install `tracing_subscriber::fmt()` or an
//! OpenTelemetry layer the same way.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

use lambda_handler::lambda_handler;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

/// Writes each event as `OWN <level> <message>`.
struct Own {
    spans: AtomicU64,
}

struct Message(String);

impl Visit for Message {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == "message" {
            self.0 = format!("{value:?}");
        }
    }
}

impl Subscriber for Own {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(self.spans.fetch_add(1, Ordering::Relaxed) + 1)
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut message = Message(String::new());
        event.record(&mut message);
        eprintln!("OWN {} {}", event.metadata().level(), message.0);
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

/// Logs the event's `note`, and fails when there is none.
#[lambda_handler]
fn note(event: serde_json::Value) -> Result<String, String> {
    let note = event["note"].as_str().ok_or("no note")?;
    tracing::info!("noting {note}");
    Ok(note.to_owned())
}

fn main() {
    let own = Own {
        spans: AtomicU64::new(0),
    };
    tracing::subscriber::set_global_default(own).expect("the first subscriber");
    lambda_handler::run()
}
