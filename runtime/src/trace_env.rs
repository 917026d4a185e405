//! `_X_AMZN_TRACE_ID`: the invocation's X-Ray trace header in the environment, where AWS SDKs
//! read it, as Lambda's other runtimes put it there.
//!
//! `std::env::set_var` cannot be used per invocation: glibc's `setenv` keeps every distinct
//! value it was ever given (a caller of `getenv` may still hold the old one), and on Lambda
//! every invocation brings a new trace id, so a process grew ~200 bytes an invocation (48 MB
//! after 200,000). Here the variable is one `NAME=value` buffer of ours, put into the
//! environment once with `putenv` (which stores the pointer and copies nothing) and rewritten
//! in place for each invocation. A longer trace id than the buffer holds gets a buffer twice
//! the size, and the old one is kept (a `getenv` caller may hold it): at most twice the longest
//! trace id ever seen, however many invocations.
//!
//! # Soundness
//!
//! Writing the environment is sound only while no other thread reads or writes it. The
//! runtime writes it on the invocation loop's thread, after `/next` delivered an invocation
//! and before its handler is called; the runtime starts no thread of its own. So it is sound
//! unless something the handler started is still running on another thread when the next
//! invocation begins: a thread it spawned, or a task on tokio's blocking pool (DNS lookups
//! through `getaddrinfo` read the environment). A function that leaves such work running turns
//! the variable off with `LAMBDA_HANDLER_TRACE_ENV=off` and reads [`Context::xray_trace_id`]
//! instead, as aws-lambda-go's users do.
//!
//! [`Context::xray_trace_id`]: crate::Context::xray_trace_id

use lambda_handler_protocol::env::TRACE_ID;

/// The setting that turns the variable off: `LAMBDA_HANDLER_TRACE_ENV=off`.
pub(crate) const SETTING: &str = "LAMBDA_HANDLER_TRACE_ENV";

/// The smallest buffer: Lambda's trace headers (`Root=...;Parent=...;Sampled=...`, with
/// `Lineage` for recursion detection) fit.
const MIN_CAPACITY: usize = 256;

/// The variable, as this process keeps it.
pub(crate) struct TraceEnv {
    enabled: bool,
    /// The buffer in the environment, `NAME=value\0`, leaked: the environment points at it.
    buffer: Option<&'static mut [u8]>,
    /// Whether the buffer is in the environment now (it leaves it for an invocation with no
    /// trace id).
    installed: bool,
}

impl TraceEnv {
    /// Reads the setting; on by default.
    pub(crate) fn from_environment() -> Self {
        let setting = std::env::var(SETTING).unwrap_or_default();
        let enabled = !matches!(
            setting.trim().to_ascii_lowercase().as_str(),
            "off" | "0" | "false" | "no"
        );
        TraceEnv {
            enabled,
            buffer: None,
            installed: false,
        }
    }

    /// Never sets the variable: several invocations run at once (`AWS_LAMBDA_MAX_CONCURRENCY`)
    /// and one environment cannot carry each one's trace id.
    pub(crate) fn disabled() -> Self {
        TraceEnv {
            enabled: false,
            buffer: None,
            installed: false,
        }
    }

    /// Makes `_X_AMZN_TRACE_ID` the invocation's trace id, or removes it when there is none.
    ///
    /// Call only between invocations, on the invocation loop's thread (see the module's
    /// soundness section).
    pub(crate) fn set(&mut self, trace_id: Option<&str>) {
        if !self.enabled {
            return;
        }
        match trace_id.filter(|id| !id.as_bytes().contains(&0)) {
            Some(id) => self.install(id),
            None if self.installed => {
                // SAFETY: see the module's soundness section; no other thread reads the
                // environment now. Our buffer is not freed: the environment only forgets it.
                unsafe { std::env::remove_var(TRACE_ID) };
                self.installed = false;
            }
            None => {}
        }
    }

    fn install(&mut self, id: &str) {
        let needed = TRACE_ID.len() + 1 + id.len() + 1;
        let value_at = TRACE_ID.len() + 1;
        let fits = self.buffer.as_ref().is_some_and(|b| b.len() >= needed);
        if fits && self.installed {
            let buffer = self.buffer.as_mut().expect("fits");
            if &buffer[value_at..needed - 1] == id.as_bytes() && buffer[needed - 1] == 0 {
                return;
            }
            // Rewritten in place: the environment's pointer stays valid and unchanged.
            buffer[value_at..needed - 1].copy_from_slice(id.as_bytes());
            buffer[needed - 1] = 0;
            return;
        }
        if !fits {
            let capacity = needed
                .max(MIN_CAPACITY)
                .max(self.buffer.as_ref().map_or(0, |b| b.len() * 2));
            // The old buffer, if any, stays allocated: a `getenv` caller may hold it.
            self.buffer = Some(Box::leak(vec![0u8; capacity].into_boxed_slice()));
        }
        let buffer = self.buffer.as_mut().expect("allocated above");
        buffer[..TRACE_ID.len()].copy_from_slice(TRACE_ID.as_bytes());
        buffer[TRACE_ID.len()] = b'=';
        buffer[value_at..needed - 1].copy_from_slice(id.as_bytes());
        buffer[needed - 1] = 0;
        put(buffer.as_mut_ptr());
        self.installed = true;
    }
}

/// Puts the `NAME=value\0` string at `string`, one of our leaked buffers, into the
/// environment without copying it.
#[cfg(unix)]
fn put(string: *mut u8) {
    // SAFETY: the string is NUL-terminated (written by the caller) and lives for the rest of
    // the process (leaked), as `putenv` requires; no other thread reads the environment now
    // (see the module's soundness section).
    unsafe {
        libc::putenv(string.cast());
    }
}

/// Elsewhere (local development on other systems), the standard library's way.
#[cfg(not(unix))]
fn put(string: *mut u8) {
    // SAFETY: the caller wrote a NUL-terminated string there, in a buffer that is never freed.
    let text = unsafe { std::ffi::CStr::from_ptr(string.cast()) }.to_string_lossy();
    let value = text.split_once('=').map_or("", |(_, value)| value);
    // SAFETY: see the module's soundness section.
    unsafe { std::env::set_var(TRACE_ID, value) };
}

#[cfg(test)]
mod tests {
    use super::{TRACE_ID, TraceEnv};

    // One test touches the process environment, so no other test reads it meanwhile.
    #[test]
    fn the_variable_follows_each_invocation_in_one_buffer() {
        let mut env = TraceEnv {
            enabled: true,
            buffer: None,
            installed: false,
        };
        env.set(Some("Root=1-a"));
        assert_eq!(std::env::var(TRACE_ID).as_deref(), Ok("Root=1-a"));
        let first = env.buffer.as_ref().unwrap().as_ptr();
        for i in 0..1000 {
            let id = format!("Root=1-{i:08x};Parent={i:016x};Sampled=1");
            env.set(Some(&id));
            assert_eq!(std::env::var(TRACE_ID).as_deref(), Ok(id.as_str()));
        }
        assert_eq!(
            env.buffer.as_ref().unwrap().as_ptr(),
            first,
            "rewritten in place"
        );
        env.set(None);
        assert!(std::env::var_os(TRACE_ID).is_none());
        env.set(Some("Root=1-b"));
        assert_eq!(std::env::var(TRACE_ID).as_deref(), Ok("Root=1-b"));
        let long = "x".repeat(1000);
        env.set(Some(&long));
        assert_eq!(std::env::var(TRACE_ID).as_deref(), Ok(long.as_str()));
        assert!(env.buffer.as_ref().unwrap().len() >= 1000 + TRACE_ID.len() + 2);
        env.set(Some("short"));
        assert_eq!(std::env::var(TRACE_ID).as_deref(), Ok("short"));

        let mut off = TraceEnv {
            enabled: false,
            buffer: None,
            installed: false,
        };
        off.set(Some("Root=1-c"));
        assert_eq!(std::env::var(TRACE_ID).as_deref(), Ok("short"));
        env.set(None);
    }
}
