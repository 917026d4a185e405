//! A local AWS Lambda for any custom runtime, as AWS's Runtime Interface Emulator is: it runs
//! the runtime (a `bootstrap`, or `python -m awslambdaric app.handler`) as a child process
//! with `AWS_LAMBDA_RUNTIME_API` pointing at an embedded Runtime API on 127.0.0.1, and serves
//! Lambda's Invoke API (`POST /2015-03-31/functions/{name}/invocations`) in front of it.
//!
//! Invocations run one at a time, as in one Lambda execution environment, or up to
//! `concurrency` at once in one runtime, as on Lambda Managed Instances. The function
//! timeout is enforced (the child is stopped, the caller gets Lambda's timeout error), and a
//! child that exits is started again for the next invocation.
//!
//! Handler binaries built with `lambda-handler`'s `serve` feature run this emulator around
//! themselves with `--serve`; `lambda-emulator -- ./bootstrap` runs it around anything else.
//!
//! For a durable function (`Options::durable`) it is the durable-execution service as well:
//! an `Invoke` starts an execution, which the emulator runs to its end, invoking the function
//! again as its waits end and its callbacks complete.

#![warn(missing_docs, unreachable_pub)]

mod durable;
mod environment;
mod eventstream;
mod function_url;
mod functions;
mod http;
mod invoke_api;
mod logs;
mod options;
mod race;
mod runtime_api;
mod supervisor;

use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;

pub use options::{DurableOptions, Function, Options};

/// Runs the emulator until the process is stopped; returns an exit code only when it cannot
/// start.
pub fn serve(options: Options) -> i32 {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("lambda-emulator: cannot start the async runtime: {e}");
            return 1;
        }
    };
    runtime.block_on(async {
        match start(options).await {
            Ok(functions) => {
                termination().await;
                // As Lambda ends an environment: the runtime gets SIGTERM and time for its
                // shutdown hook; the emulator never leaves one running.
                eprintln!("lambda-emulator: stopping the runtime");
                for environment in functions.started() {
                    supervisor::terminate(&environment, SHUTDOWN_GRACE).await;
                }
                0
            }
            Err(message) => {
                eprintln!("lambda-emulator: {message}");
                1
            }
        }
    })
}

/// How long the runtime has to exit after SIGTERM before it is killed: Lambda's shutdown
/// budget, with room for the process to end.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

/// SIGTERM or SIGINT (Ctrl-C) to the emulator.
async fn termination() {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        eprintln!("lambda-emulator: cannot listen for SIGTERM; stop it with SIGKILL");
        return std::future::pending().await;
    };
    std::future::poll_fn(|cx| {
        if term.poll_recv(cx).is_ready() || int.poll_recv(cx).is_ready() {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await
}

/// The Invoke API's port serves the Invoke API, the durable-execution API (for a durable
/// function), and the function URL under its prefix.
async fn front_door(
    request: hyper::Request<hyper::body::Incoming>,
    functions: Arc<functions::Functions>,
) -> http::Reply {
    let path = request.uri().path();
    if durable::is_durable_api(path) {
        let Some(service) = functions.durable() else {
            return http::aws_error(
                hyper::StatusCode::NOT_FOUND,
                "ResourceNotFoundException",
                "no function here is durable: serve a `#[lambda_handler(durable)]` binary, or \
                 run `lambda-emulator --durable`",
            );
        };
        let targets = |name: String| {
            let functions = Arc::clone(&functions);
            async move { functions.named(&name).await.ok().flatten() }
        };
        durable::route(request, service, targets).await
    } else if function_url::is_function_url(path) {
        function_url::route(request, Arc::clone(&functions.main)).await
    } else {
        invoke_api::route(request, functions).await
    }
}

async fn start(options: Options) -> Result<Arc<functions::Functions>, String> {
    let invoke = TcpListener::bind(options.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", options.listen))?;
    let invoke_addr = invoke.local_addr().map_err(|e| e.to_string())?;
    let functions = Arc::new(functions::Functions::new(options, invoke_addr).await?);
    tokio::spawn(http::serve(invoke, Arc::clone(&functions), front_door));
    eprintln!(
        "lambda-emulator: invoke with POST http://{invoke_addr}/2015-03-31/functions/function/invocations"
    );
    eprintln!("lambda-emulator: function URL http://{invoke_addr}/lambda-url/function/");
    supervisor::ensure_running(&functions.main);
    Ok(functions)
}
