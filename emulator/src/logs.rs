//! The runtime's output: passed through to the emulator's own stdout and stderr, and the
//! last 4 KB an invocation wrote kept for the caller that asks with `X-Amz-Log-Type: Tail`,
//! with Lambda's `START`, `END` and `REPORT` lines around it.
//!
//! Every read of the runtime's pipes happens under one lock, and an invocation's capture ends
//! by reading the pipes dry under that lock: the runtime writes its log lines before it posts
//! its answer, so whatever it wrote for the invocation is in the pipes by then, and all of it
//! is in the tail.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{ErrorKind, Read, Write};
use std::sync::{Arc, Mutex};

use tokio::io::Interest;
use tokio::io::unix::AsyncFd;

/// How much of an invocation's log Lambda returns (`X-Amz-Log-Result`).
const TAIL: usize = 4 * 1024;

#[derive(Clone, Copy)]
enum Stream {
    Stdout,
    Stderr,
}

#[derive(Default)]
pub(crate) struct Output {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    /// The open pipes, each with the id its watcher knows it by.
    pipes: Vec<(File, Stream, u64)>,
    next_id: u64,
    /// Invocations whose capture is running: with a concurrency above 1 their lines
    /// interleave, and the tail holds them all since the oldest began.
    capturing: usize,
    tail: VecDeque<u8>,
}

impl Output {
    /// Takes over a new runtime process's stdout and stderr.
    pub(crate) fn attach(
        self: &Arc<Self>,
        stdout: Option<tokio::process::ChildStdout>,
        stderr: Option<tokio::process::ChildStderr>,
    ) {
        let mut inner = self.lock();
        inner.pipes.clear();
        inner.capturing = 0;
        let pipes = [
            stdout
                .and_then(|p| p.into_owned_fd().ok())
                .map(|fd| (File::from(fd), Stream::Stdout)),
            stderr
                .and_then(|p| p.into_owned_fd().ok())
                .map(|fd| (File::from(fd), Stream::Stderr)),
        ];
        for (file, stream) in pipes.into_iter().flatten() {
            // tokio hands the pipe back blocking; a read under the lock must never wait.
            if !nonblocking(&file) {
                continue;
            }
            // A second descriptor of the same pipe, only to be told when it has data.
            let id = inner.next_id;
            inner.next_id += 1;
            if let Ok(watched) = file.try_clone() {
                let output = Arc::clone(self);
                tokio::spawn(async move { output.watch(watched, id).await });
            }
            inner.pipes.push((file, stream, id));
        }
    }

    /// Drains the pipes whenever pipe `id` has data, until it is closed (or replaced).
    async fn watch(&self, watched: File, id: u64) {
        // SAFETY: the `AsyncFd` owns the `File`, whose descriptor stays open, and the same,
        // until the `AsyncFd` drops it.
        let Ok(watched) = (unsafe { AsyncFd::register_with_interest(watched, Interest::READABLE) })
        else {
            return;
        };
        loop {
            let Ok(mut ready) = watched.readable().await else {
                return;
            };
            let open = self.drain(id);
            ready.clear_ready();
            if !open {
                return;
            }
        }
    }

    /// A new invocation: its capture starts empty, unless others are running.
    pub(crate) fn begin(&self, line: &str) {
        let mut inner = self.lock();
        drain(&mut inner);
        if inner.capturing == 0 {
            inner.tail.clear();
        }
        inner.capturing += 1;
        emit(&mut inner, Stream::Stderr, line.as_bytes());
    }

    /// The invocation is over: what it wrote (the pipes read dry first), with `line` after.
    pub(crate) fn finish(&self, line: &str) -> Vec<u8> {
        let mut inner = self.lock();
        drain(&mut inner);
        emit(&mut inner, Stream::Stderr, line.as_bytes());
        inner.capturing = inner.capturing.saturating_sub(1);
        inner.tail.iter().copied().collect()
    }

    /// Reads every pipe dry; false once pipe `id` is closed (at end of file its readiness
    /// never clears, so its watcher must stop).
    fn drain(&self, id: u64) -> bool {
        let mut inner = self.lock();
        drain(&mut inner);
        inner.pipes.iter().any(|(_, _, open)| *open == id)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Makes reads of `file` (and of every descriptor of its pipe) return at once when empty.
fn nonblocking(file: &File) -> bool {
    use std::os::fd::AsRawFd;
    let fd = file.as_raw_fd();
    // SAFETY: `fcntl` on a descriptor the `File` owns and keeps open; no memory is passed.
    unsafe {
        let flags = libc::fcntl(fd, libc::F_GETFL);
        flags >= 0 && libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK) == 0
    }
}

fn drain(inner: &mut Inner) {
    let mut buffer = [0u8; 8192];
    let mut index = 0;
    while index < inner.pipes.len() {
        let (file, stream, _) = &mut inner.pipes[index];
        let stream = *stream;
        match file.read(&mut buffer) {
            Ok(0) => {
                inner.pipes.remove(index);
            }
            Ok(read) => emit(inner, stream, &buffer[..read]),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) if e.kind() == ErrorKind::WouldBlock => index += 1,
            Err(_) => {
                inner.pipes.remove(index);
            }
        }
    }
}

/// Passes output on, and keeps the invocation's last [`TAIL`] bytes.
fn emit(inner: &mut Inner, stream: Stream, bytes: &[u8]) {
    let _ = match stream {
        Stream::Stdout => std::io::stdout().lock().write_all(bytes),
        Stream::Stderr => std::io::stderr().lock().write_all(bytes),
    };
    if inner.capturing > 0 {
        inner.tail.extend(bytes);
        let excess = inner.tail.len().saturating_sub(TAIL);
        inner.tail.drain(..excess);
    }
}
