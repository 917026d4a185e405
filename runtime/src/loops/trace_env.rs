//! `_X_AMZN_TRACE_ID`: the invocation's X-Ray trace header in the environment, where AWS SDKs
//! read it, as Lambda's other runtimes put it there.
//!
//! Two constraints meet here. Any thread may read the variable at any moment (the AWS SDK's
//! recursion detection reads it on every request, from whatever thread or task sends it), so
//! every value a reader can see must be one invocation's whole trace id, or no value. And
//! Lambda sends a new trace id with every invocation, while glibc's `setenv` keeps a copy of
//! every distinct value it was ever given (a `getenv` caller may still hold one): setting the
//! variable with `std::env::set_var` grew a process ~200 bytes an invocation, 48 MB after
//! 200,000.
//!
//! On glibc, then, the variable is one of a few `NAME=value` buffers of ours, put into the
//! environment with `putenv` (which stores the pointer and copies nothing), and they take
//! turns: the next trace id is written into a buffer that is *not* in the environment, that
//! buffer replaces the last in the environment, and a buffer that was in the environment is
//! written again only after a barrier proves no reader still holds it. With [`BUFFERS`] of
//! them, one barrier frees all but the one in the environment: a barrier every
//! `BUFFERS - 1` invocations. The argument, in full, is on
//! [`Buffers::set`]. Elsewhere (musl, whose `setenv` frees the value it replaces, so that
//! memory stays flat; and other systems, for local development) the variable is set with
//! `std::env::set_var`.
//!
//! A function that sets `LAMBDA_HANDLER_TRACE_ENV=off` never has the variable set, and reads
//! [`Context::xray_trace_id`] instead; with several invocations at once
//! (`AWS_LAMBDA_MAX_CONCURRENCY`), one environment cannot carry each one's trace id, and the
//! variable is never set either.
//!
//! [`Context::xray_trace_id`]: crate::handler::context::Context::xray_trace_id

use lambda_handler_protocol::env::TRACE_ID;

/// The setting that turns the variable off: `LAMBDA_HANDLER_TRACE_ENV=off`.
pub(crate) const SETTING: &str = "LAMBDA_HANDLER_TRACE_ENV";

/// The variable, as this process keeps it.
pub(crate) struct TraceEnv {
    enabled: bool,
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    buffers: glibc::Buffers,
}

impl TraceEnv {
    /// Reads the setting; on by default.
    pub(crate) fn from_environment() -> Self {
        let setting = std::env::var(SETTING).unwrap_or_default();
        let enabled = !matches!(
            setting.trim().to_ascii_lowercase().as_str(),
            "off" | "0" | "false" | "no"
        );
        Self::with(enabled)
    }

    /// Never sets the variable: several invocations run at once (`AWS_LAMBDA_MAX_CONCURRENCY`)
    /// and one environment cannot carry each one's trace id.
    pub(crate) fn disabled() -> Self {
        Self::with(false)
    }

    fn with(enabled: bool) -> Self {
        TraceEnv {
            enabled,
            #[cfg(all(target_os = "linux", target_env = "gnu"))]
            buffers: glibc::Buffers::default(),
        }
    }

    /// Makes `_X_AMZN_TRACE_ID` the invocation's trace id, or removes it when there is none.
    /// Called on the invocation loop's thread, before the invocation's handler runs.
    pub(crate) fn set(&mut self, trace_id: Option<&str>) {
        if !self.enabled {
            return;
        }
        // A value with a NUL cannot be an environment value; a header never carries one.
        let trace_id = trace_id.filter(|id| !id.as_bytes().contains(&0));
        #[cfg(all(target_os = "linux", target_env = "gnu"))]
        self.buffers.set(trace_id);
        #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
        set_with_std(trace_id);
    }
}

/// `std::env::set_var` and `remove_var`: they hold std's environment lock while libc changes
/// the environment, as every `std::env` reader holds it while it copies a value out.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn set_with_std(trace_id: Option<&str>) {
    // SAFETY: std's own readers are excluded by its lock. A C library's `getenv` on another
    // thread (which takes no lock of std's) is what `set_var`'s contract leaves to the caller;
    // on musl it can meet the value `setenv` replaced being freed. Glibc, where Lambda's
    // `provided.al2023` runs, takes the path of the `glibc` module instead, which frees
    // nothing.
    unsafe {
        match trace_id {
            Some(id) => std::env::set_var(TRACE_ID, id),
            None => std::env::remove_var(TRACE_ID),
        }
    }
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
mod glibc {
    use std::ffi::{CStr, c_char};
    use std::sync::atomic::{Ordering, fence};

    use super::TRACE_ID;

    /// `_X_AMZN_TRACE_ID` as a C string, for `getenv`.
    const NAME: &CStr = c"_X_AMZN_TRACE_ID";

    /// A variable no one sets: removing it takes std's environment write lock and changes
    /// nothing (see [`barrier`]).
    const BARRIER: &str = "LAMBDA_HANDLER_TRACE_ENV_BARRIER";

    /// How many buffers take turns (see the module's documentation): a barrier costs a scan of
    /// the environment under std's lock, so it is paid once per `BUFFERS - 1` invocations.
    pub(super) const BUFFERS: usize = 8;

    /// The smallest buffer: Lambda's trace headers (`Root=...;Parent=...;Sampled=...`, with
    /// `Lineage` for recursion detection) fit.
    const MIN_CAPACITY: usize = 256;

    /// One `NAME=value\0` string of ours. Leaked: once in the environment, a C reader of
    /// another variable may compare its name at any later moment, so it is never freed.
    struct Buffer {
        bytes: &'static mut [u8],
    }

    impl Buffer {
        /// A buffer with room for a value of `len` bytes, its `NAME=` written once, here,
        /// before any other thread can know of it.
        fn with_room_for(len: usize) -> Self {
            let capacity = (TRACE_ID.len() + 1 + len + 1).max(MIN_CAPACITY);
            let bytes = Box::leak(vec![0u8; capacity].into_boxed_slice());
            bytes[..TRACE_ID.len()].copy_from_slice(TRACE_ID.as_bytes());
            bytes[TRACE_ID.len()] = b'=';
            Buffer { bytes }
        }

        fn value_room(&self) -> usize {
            self.bytes.len() - TRACE_ID.len() - 2
        }

        /// Where the value starts: what `getenv` returns while this buffer is the variable.
        fn value_ptr(&self) -> *const c_char {
            self.bytes[TRACE_ID.len() + 1..].as_ptr().cast()
        }

        fn value(&self) -> &[u8] {
            let value = &self.bytes[TRACE_ID.len() + 1..];
            let end = value.iter().position(|b| *b == 0).unwrap_or(value.len());
            &value[..end]
        }

        /// Writes the value after `NAME=`; the name's bytes are never written again.
        fn write_value(&mut self, value: &str) {
            let start = TRACE_ID.len() + 1;
            self.bytes[start..start + value.len()].copy_from_slice(value.as_bytes());
            self.bytes[start + value.len()] = 0;
        }
    }

    /// The buffers that take turns as the variable.
    #[derive(Default)]
    pub(super) struct Buffers {
        buffers: [Option<Buffer>; BUFFERS],
        /// The buffer this process last put into the environment, while it may be there.
        installed: Option<usize>,
        /// Whether a reader may hold each buffer: it is in the environment, or was since the
        /// last barrier.
        may_be_read: [bool; BUFFERS],
    }

    impl Buffers {
        /// Makes the variable `trace_id`, or removes it.
        ///
        /// # Soundness
        ///
        /// Who reads the environment while this runs: any thread, through `std::env` (the AWS
        /// SDK's recursion detection; OpenTelemetry's X-Ray propagator; `Command::spawn`,
        /// which hands `environ` to the child under the same lock), and C code on any thread
        /// calling `getenv` for *other* variables (glibc's resolver reads `RES_OPTIONS` and
        /// `LOCALDOMAIN`, for instance). `std::env` readers hold std's environment read lock
        /// while they find a value and copy it out (`library/std/src/sys/env/unix.rs`);
        /// `set_var` and `remove_var` hold its write lock while libc changes the environment.
        /// Then:
        ///
        /// 1. The bytes of a buffer are written only while no reader can reach it. A buffer
        ///    is written before it first enters the environment (no one knows of it), or after
        ///    it left it *and* a barrier passed: [`barrier`] takes std's write lock, so every
        ///    `std::env` reader that could have found the buffer has released the read lock
        ///    (and copied its value) before the barrier returns, and every reader after it
        ///    finds another string. C readers of other variables compare only the name,
        ///    `_X_AMZN_TRACE_ID=`, the first 17 bytes, which are written once, before the
        ///    buffer is ever in the environment, and never again: what is rewritten is the
        ///    value after them, which they do not look at.
        /// 2. The environment changes by one pointer: `putenv` of a name already in the
        ///    environment stores the new string's address in that name's slot of `environ`
        ///    (`__add_to_environ`, `*ep = np`), under glibc's own lock, and frees nothing
        ///    (glibc never frees environment strings). A reader sees the old pointer, whose
        ///    buffer is intact until the next barrier, or the new one, whose bytes were all
        ///    written before it (the release fence below orders them before the store on
        ///    weakly ordered machines; the reader's loads through the pointer depend on it).
        ///    The slot is one aligned pointer, stored and loaded by glibc's own code.
        /// 3. The environment never grows here without std's lock: `putenv` is called only
        ///    when the name is already in the environment (else `environ` could be moved and
        ///    freed under a reader). Putting the variable back after an invocation without a
        ///    trace id is `std::env::set_var`'s job, under the lock; glibc then keeps a copy of
        ///    that value, ~100 bytes, once per such return.
        /// 4. Removing the variable is `std::env::remove_var`, under the lock, which is also a
        ///    barrier for every buffer.
        ///
        /// User code that sets or removes the variable itself (on this thread, or under
        /// `std::env`'s lock) is seen by `getenv` here: the buffer it replaced is not written
        /// until a barrier, and the variable is the invocation's again on the next one.
        pub(super) fn set(&mut self, trace_id: Option<&str>) {
            // SAFETY: `getenv` reads `environ` without writing it, on the loop's thread, the
            // only thread of the runtime's that changes the environment.
            let slot = unsafe { libc::getenv(NAME.as_ptr()) };
            let installed = self.installed.filter(|&i| {
                self.buffers[i]
                    .as_ref()
                    .is_some_and(|b| std::ptr::eq(b.value_ptr(), slot))
            });
            let Some(id) = trace_id else {
                if !slot.is_null() {
                    // SAFETY: see 4; it holds std's write lock.
                    unsafe { std::env::remove_var(TRACE_ID) };
                    self.after_barrier();
                }
                return;
            };
            if slot.is_null() {
                // SAFETY: see 3; it holds std's write lock.
                unsafe { std::env::set_var(TRACE_ID, id) };
                self.after_barrier();
                return;
            }
            if let Some(i) = installed
                && self.buffers[i]
                    .as_ref()
                    .is_some_and(|b| b.value() == id.as_bytes())
            {
                return;
            }
            // A buffer no reader can hold; when none is left, a barrier frees all but the one
            // in the environment.
            let target = match self.may_be_read.iter().position(|read| !read) {
                Some(free) => free,
                None => {
                    barrier();
                    self.after_barrier();
                    let installed = self.installed;
                    (0..BUFFERS)
                        .find(|&i| Some(i) != installed)
                        .expect("more than one buffer")
                }
            };
            let buffer = match self.buffers[target].take() {
                Some(buffer) if buffer.value_room() >= id.len() => buffer,
                // Outgrown, or the first: a new buffer, the old one leaked (see `Buffer`). At
                // most twice the longest trace id ever seen, per buffer.
                outgrown => {
                    let room = outgrown.map_or(0, |b| b.value_room() * 2);
                    Buffer::with_room_for(id.len().max(room))
                }
            };
            let buffer = self.buffers[target].insert(buffer);
            buffer.write_value(id);
            fence(Ordering::Release);
            // SAFETY: see 1 and 2: the string is NUL-terminated, lives for the rest of the
            // process (leaked), and the name is in the environment (`slot` is not null).
            unsafe { libc::putenv(buffer.bytes.as_mut_ptr().cast()) };
            // The buffer it replaced, if it was ours (or one user code replaced), stays marked
            // as possibly read until the next barrier.
            self.may_be_read[target] = true;
            self.installed = Some(target);
        }

        /// Where the buffers are, for tests.
        #[cfg(test)]
        pub(super) fn addresses(&self) -> [*const u8; BUFFERS] {
            self.buffers
                .each_ref()
                .map(|b| b.as_ref().map_or(std::ptr::null(), |b| b.bytes.as_ptr()))
        }

        /// A barrier passed: no reader holds a buffer that is not in the environment.
        fn after_barrier(&mut self) {
            self.may_be_read = [false; BUFFERS];
            // SAFETY: see `set`; it reads `environ` on the loop's thread.
            let slot = unsafe { libc::getenv(NAME.as_ptr()) };
            self.installed = self.installed.filter(|&i| {
                let in_environment = self.buffers[i]
                    .as_ref()
                    .is_some_and(|b| std::ptr::eq(b.value_ptr(), slot));
                self.may_be_read[i] = in_environment;
                in_environment
            });
        }
    }

    /// Returns once no `std::env` reader that started before the call is still reading:
    /// `std::env::remove_var` takes std's environment write lock, which waits for every read
    /// lock held, and removing a variable that is not set changes nothing and allocates
    /// nothing.
    fn barrier() {
        // SAFETY: removing a variable no one sets; it holds std's write lock as any
        // `remove_var` does.
        unsafe { std::env::remove_var(BARRIER) };
    }
}

#[cfg(test)]
mod tests {
    use super::{TRACE_ID, TraceEnv};

    // One test touches the process environment, so no other test reads it meanwhile.
    #[test]
    fn the_variable_follows_each_invocation_in_bounded_memory() {
        let mut env = TraceEnv::with(true);
        env.set(Some("Root=1-a"));
        assert_eq!(std::env::var(TRACE_ID).as_deref(), Ok("Root=1-a"));
        for i in 0..1000 {
            let id = format!("Root=1-{i:08x};Parent={i:016x};Sampled=1");
            env.set(Some(&id));
            assert_eq!(std::env::var(TRACE_ID).as_deref(), Ok(id.as_str()));
        }
        #[cfg(all(target_os = "linux", target_env = "gnu"))]
        let buffers = env.buffers.addresses();
        env.set(None);
        assert!(std::env::var_os(TRACE_ID).is_none());
        env.set(Some("Root=1-b"));
        assert_eq!(std::env::var(TRACE_ID).as_deref(), Ok("Root=1-b"));
        let long = "x".repeat(1000);
        env.set(Some(&long));
        assert_eq!(std::env::var(TRACE_ID).as_deref(), Ok(long.as_str()));
        env.set(Some("short"));
        assert_eq!(std::env::var(TRACE_ID).as_deref(), Ok("short"));
        #[cfg(all(target_os = "linux", target_env = "gnu"))]
        {
            // The same buffers took turns until a value outgrew them.
            let now = env.buffers.addresses();
            assert!(now.iter().any(|p| buffers.contains(p)), "a buffer was kept");
        }

        // User code that sets the variable itself: the runtime puts its own value back.
        // SAFETY: this test is the only one touching the environment.
        unsafe { std::env::set_var(TRACE_ID, "user") };
        env.set(Some("Root=1-c"));
        assert_eq!(std::env::var(TRACE_ID).as_deref(), Ok("Root=1-c"));
        unsafe { std::env::remove_var(TRACE_ID) };
        env.set(Some("Root=1-d"));
        assert_eq!(std::env::var(TRACE_ID).as_deref(), Ok("Root=1-d"));
        env.set(Some("Root=1-e"));
        assert_eq!(std::env::var(TRACE_ID).as_deref(), Ok("Root=1-e"));

        let mut off = TraceEnv::with(false);
        off.set(Some("Root=1-f"));
        assert_eq!(std::env::var(TRACE_ID).as_deref(), Ok("Root=1-e"));
        env.set(None);
    }
}
