//! The runtime as a child process: started with Lambda's environment, stopped when an
//! invocation times out, and started again when an invocation needs it.

use std::future::Future;
use std::pin::Pin;
use std::process::{ExitStatus, Stdio};
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::sync::mpsc;

use lambda_handler_protocol::env as lambda_env;
use lambda_handler_protocol::error_types::{RUNTIME_EXIT_ERROR, RUNTIME_INVALID_ENTRYPOINT};

use crate::state::{Child, Outcome, Shared, StopSignal};

/// Starts the child unless it is running.
pub(crate) fn ensure_running(shared: &Arc<Shared>) {
    let mut child = shared.child();
    if matches!(*child, Child::Running { .. }) {
        return;
    }
    match command(shared).spawn() {
        Ok(mut process) => {
            shared.reset_runtime(process.id());
            shared
                .output
                .attach(process.stdout.take(), process.stderr.take());
            let (signals, received) = mpsc::unbounded_channel();
            *child = Child::Running {
                pid: process.id(),
                signals,
                initialized: false,
                init_failed: false,
            };
            tokio::spawn(watch(Arc::clone(shared), process, received));
        }
        Err(e) => {
            drop(child);
            let program = shared.options.program.to_string_lossy().into_owned();
            eprintln!("lambda-emulator: cannot start {program}: {e}");
            shared.fail_first_pending(|id| {
                Outcome::error(
                    RUNTIME_INVALID_ENTRYPOINT,
                    &format!("RequestId: {id} Error: cannot start {program}: {e}"),
                )
            });
        }
    }
}

/// Ends the runtime as Lambda ends an execution environment: SIGTERM, time for its shutdown
/// hook, then SIGKILL if it is still running; returns once it has exited.
pub(crate) async fn terminate(shared: &Shared, grace: std::time::Duration) {
    if shared.child_pid().is_none() {
        return;
    }
    shared.signal_child(StopSignal::Terminate);
    let deadline = tokio::time::Instant::now() + grace;
    while shared.child_pid().is_some() && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    if shared.child_pid().is_some() {
        shared.stop_child();
        while shared.child_pid().is_some() {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    }
}

fn command(shared: &Shared) -> tokio::process::Command {
    let options = &shared.options;
    let mut command = tokio::process::Command::new(&options.program);
    command
        .args(&options.args)
        .env(lambda_env::RUNTIME_API, shared.runtime_api.to_string())
        .env(lambda_env::FUNCTION_NAME, &options.function_name)
        .env(lambda_env::FUNCTION_VERSION, "$LATEST")
        .env(
            lambda_env::FUNCTION_MEMORY_SIZE,
            options.memory_mb.to_string(),
        )
        .env(
            lambda_env::FUNCTION_TIMEOUT,
            options.timeout.as_secs().max(1).to_string(),
        )
        .env(
            lambda_env::LOG_GROUP_NAME,
            format!("/aws/lambda/{}", options.function_name),
        )
        .env(lambda_env::LOG_STREAM_NAME, "$LATEST")
        .env("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    for (name, default) in [
        ("AWS_REGION", "us-east-1"),
        ("AWS_DEFAULT_REGION", "us-east-1"),
    ] {
        if std::env::var_os(name).is_none() {
            command.env(name, default);
        }
    }
    if std::env::var_os("LAMBDA_TASK_ROOT").is_none()
        && let Ok(dir) = std::env::current_dir()
    {
        command.env("LAMBDA_TASK_ROOT", dir);
    }
    if options.concurrency > 1 {
        command.env(lambda_env::MAX_CONCURRENCY, options.concurrency.to_string());
    }
    if let Some(handler) = &options.handler {
        command.env(lambda_env::HANDLER, handler);
    }
    command
}

/// Owns the runtime process until it exits: signals it when asked, then tells the state.
async fn watch(
    shared: Arc<Shared>,
    mut process: tokio::process::Child,
    mut signals: mpsc::UnboundedReceiver<StopSignal>,
) {
    let (status, stopped) = loop {
        let waited = first(Box::pin(process.wait()), Box::pin(signals.recv())).await;
        match waited {
            First::A(status) => break (status, false),
            First::B(Some(StopSignal::Terminate)) => terminate_process(&process),
            // A kill, or no one left to ask for anything.
            First::B(_) => {
                let _ = process.start_kill();
                break (process.wait().await, true);
            }
        }
    };
    let state = std::mem::replace(&mut *shared.child(), Child::Stopped);
    let (initialized, init_failed) = match state {
        Child::Running {
            initialized,
            init_failed,
            ..
        } => (initialized, init_failed),
        Child::Stopped => (true, false),
    };
    let status = describe(status);
    if !stopped {
        eprintln!("lambda-emulator: the runtime exited: {status}");
        let exit_error = |id: &str| {
            Outcome::error(
                RUNTIME_EXIT_ERROR,
                &format!("RequestId: {id} Error: Runtime exited with error: {status}"),
            )
        };
        // The invocation it was running fails; so does the one whose cold start it was, when
        // it died initializing without saying why (an init error has answered that one).
        if !shared.fail_inflight(exit_error) && !initialized && !init_failed {
            shared.fail_first_pending(exit_error);
        }
    }
    if shared.has_pending() {
        ensure_running(&shared);
    }
}

/// SIGTERM to the runtime process.
fn terminate_process(process: &tokio::process::Child) {
    // `id` is `None` once the process has been reaped; until then its pid is still its own
    // (a zombie's pid is not reused), and only this task reaps it.
    let Some(pid) = process.id().and_then(|pid| libc::pid_t::try_from(pid).ok()) else {
        return;
    };
    // SAFETY: `kill` has no memory-safety preconditions; the pid is our own child's, unreaped.
    unsafe {
        libc::kill(pid, libc::SIGTERM);
    }
}

fn describe(status: std::io::Result<ExitStatus>) -> String {
    match status {
        Ok(status) => match status.code() {
            Some(code) => format!("exit status {code}"),
            None => status.to_string(),
        },
        Err(e) => format!("cannot wait for it: {e}"),
    }
}

enum First<A, B> {
    A(A),
    B(B),
}

/// Whichever of two futures finishes first.
fn first<A: Future + Unpin, B: Future + Unpin>(
    a: A,
    b: B,
) -> impl Future<Output = First<A::Output, B::Output>> {
    struct Race<A, B>(A, B);
    impl<A: Future + Unpin, B: Future + Unpin> Future for Race<A, B> {
        type Output = First<A::Output, B::Output>;
        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
            if let Poll::Ready(a) = Pin::new(&mut self.0).poll(cx) {
                return Poll::Ready(First::A(a));
            }
            Pin::new(&mut self.1).poll(cx).map(First::B)
        }
    }
    Race(a, b)
}
