//! The runtime as a child process: started with Lambda's environment, stopped when an
//! invocation times out, and started again when an invocation needs it.

use std::process::{ExitStatus, Stdio};
use std::sync::Arc;

use tokio::sync::mpsc;

use lambda_handler_protocol::env as lambda_env;
use lambda_handler_protocol::error_types::{RUNTIME_EXIT_ERROR, RUNTIME_INVALID_ENTRYPOINT};

use crate::environment::Environment;
use crate::environment::outcome::Outcome;
use crate::environment::process::{Child, StopSignal};
use crate::race::{First, first};

/// Starts the child unless it is running.
pub(crate) fn ensure_running(environment: &Arc<Environment>) {
    let mut child = environment.process.lock();
    if matches!(*child, Child::Running { .. }) {
        return;
    }
    match command(environment).spawn() {
        Ok(mut process) => {
            environment.invocations.reset(process.id());
            environment
                .output
                .attach(process.stdout.take(), process.stderr.take());
            let (signals, received) = mpsc::unbounded_channel();
            *child = Child::Running {
                start: environment.process.next_start(),
                stopping: false,
                pid: process.id(),
                signals,
                initialized: false,
                init_failed: false,
            };
            tokio::spawn(watch(Arc::clone(environment), process, received));
        }
        Err(e) => {
            drop(child);
            let program = environment.options.program.to_string_lossy().into_owned();
            eprintln!("lambda-emulator: cannot start {program}: {e}");
            environment.queue.fail_first(|id| {
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
pub(crate) async fn terminate(environment: &Environment, grace: std::time::Duration) {
    if environment.process.pid().is_none() {
        return;
    }
    environment.process.signal(StopSignal::Terminate);
    let deadline = tokio::time::Instant::now() + grace;
    while environment.process.pid().is_some() && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    if environment.process.pid().is_some() {
        environment.process.kill();
        while environment.process.pid().is_some() {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    }
}

fn command(environment: &Environment) -> tokio::process::Command {
    let options = &environment.options;
    let mut command = tokio::process::Command::new(&options.program);
    command
        .args(&options.args)
        .env(lambda_env::RUNTIME_API, environment.runtime_api.to_string())
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
    if options.durable.is_some() {
        // The function's checkpoints come back to this emulator, signed with any
        // credentials (as on Lambda, the SDK reads them from the environment).
        let endpoint = format!("http://{}", environment.invoke_api);
        command.env(lambda_env::ENDPOINT_URL_LAMBDA, endpoint);
        for (name, default) in [
            ("AWS_ACCESS_KEY_ID", "local"),
            ("AWS_SECRET_ACCESS_KEY", "local"),
        ] {
            if std::env::var_os(name).is_none() {
                command.env(name, default);
            }
        }
    }
    command
}

/// Owns the runtime process until it exits: signals it when asked, then tells the state.
async fn watch(
    environment: Arc<Environment>,
    mut process: tokio::process::Child,
    mut signals: mpsc::UnboundedReceiver<StopSignal>,
) {
    let (status, stopped) = loop {
        let waited = first(process.wait(), signals.recv()).await;
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
    let state = std::mem::replace(&mut *environment.process.lock(), Child::Stopped);
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
        if !environment.invocations.fail_all(exit_error) && !initialized && !init_failed {
            environment.queue.fail_first(exit_error);
        }
    }
    if environment.queue.has_pending() {
        ensure_running(&environment);
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
