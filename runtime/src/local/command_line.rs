//! Local mode, when no Runtime API is configured: invoke the handler from the command line or
//! from standard input, with the same decoding, calling and encoding as on Lambda.

use std::ffi::OsString;
use std::io::{BufRead, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, SystemTime};

use lambda_handler_protocol::env::{self as lambda_env, HANDLER};

use crate::handler::context::Context;
use crate::handler::error::InvocationError;
use crate::handler::invoke::invoke;
use crate::handler::registry::{self, BuiltState, Handler, HandlerChoice, Output};

const HELP: &str = "\
Runs this Lambda function locally. On AWS Lambda (AWS_LAMBDA_RUNTIME_API set) it serves the
Runtime API instead, and these options are ignored.

Usage:
  BINARY [OPTIONS] '<EVENT JSON>'   invoke once with the event, print the result
  BINARY [OPTIONS]                  read one JSON event per line of standard input,
                                    print one result per line
  BINARY --serve [ADDR] [OPTIONS]   serve Lambda's Invoke API (default 127.0.0.1:9000):
      curl -d '{}' http://127.0.0.1:9000/2015-03-31/functions/function/invocations

Options:
  --handler NAME      the handler to invoke, when the binary registers several
                      (default: the only one, or the one _HANDLER names)
  --timeout SECONDS   with --serve: the function timeout, 1 to 900 (default
                      AWS_LAMBDA_FUNCTION_TIMEOUT, or Lambda's 3)
  --concurrency N     with --serve: up to N invocations at once in one process, as on
                      Lambda Managed Instances (AWS_LAMBDA_MAX_CONCURRENCY; default 1)
  --skip-time         with --serve, for a durable handler: waits and retry delays pass
                      at once; the history still records their durations
  --execution-timeout SECONDS
                      with --serve, for a durable handler: how long an execution may
                      run (DurableConfig's ExecutionTimeout; default 86400, a day)
  -h, --help          print this help
  --                  what follows is the event, even if it starts with `-`

A result is printed as the JSON Lambda would return. A failed invocation prints Lambda's
error JSON ({\"errorMessage\", \"errorType\", \"stackTrace\"}) and the exit status is 1.
";

#[derive(Debug)]
struct Options {
    handler: Option<String>,
    event: Option<String>,
    /// `--serve [ADDR]`: the Invoke API's address.
    serve: Option<SocketAddr>,
    settings: ServeSettings,
}

/// How `--serve` runs the function, beside its address.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct ServeSettings {
    timeout: Option<Duration>,
    /// Invocations in flight at once; 1 by default.
    concurrency: Option<usize>,
    /// A durable handler's waits pass at once.
    #[cfg_attr(not(feature = "serve"), allow(dead_code))]
    skip_time: bool,
    /// A durable handler's execution timeout.
    #[cfg_attr(not(feature = "serve"), allow(dead_code))]
    execution_timeout: Option<Duration>,
}

/// Where `--serve` listens without an address: RIE's and cargo-lambda's port.
const DEFAULT_SERVE: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 9000);

/// Runs locally; returns the exit code: 0, 1 when an invocation failed, 2 on a usage error.
pub(crate) fn run(args: impl Iterator<Item = OsString>) -> i32 {
    match prepare(args) {
        Prepared::Done(code) => code,
        Prepared::Serve(listen, handler, settings) => serve(listen, handler, settings),
        Prepared::Invoke(handler, event) => {
            let Some(runtime) = crate::handler::invoke::async_runtime() else {
                return 1;
            };
            // In a `LocalSet`, as on Lambda (see `serving::run`): a handler that spawns
            // local tasks behaves the same here.
            tokio::task::LocalSet::new().block_on(&runtime, invoke_all(handler, event))
        }
    }
}

/// [`run`] on the caller's tokio runtime (`run_async`).
pub(crate) async fn run_on_current(args: impl Iterator<Item = OsString>) -> i32 {
    match prepare(args) {
        Prepared::Done(code) => code,
        // The emulator runs a runtime of its own: on a thread where none runs yet.
        Prepared::Serve(listen, handler, settings) => {
            tokio::task::spawn_blocking(move || serve(listen, handler, settings))
                .await
                .unwrap_or(1)
        }
        Prepared::Invoke(handler, event) => {
            tokio::task::LocalSet::new()
                .run_until(invoke_all(handler, event))
                .await
        }
    }
}

/// What the command line asks for.
enum Prepared {
    /// Nothing more to do (help, or a usage error): the exit code.
    Done(i32),
    Serve(SocketAddr, &'static Handler, ServeSettings),
    /// Invoke the handler on this event, or on each line of standard input.
    Invoke(&'static Handler, Option<String>),
}

fn prepare(args: impl Iterator<Item = OsString>) -> Prepared {
    let options = match parse(args) {
        Ok(Some(options)) => options,
        Ok(None) => {
            print!("{HELP}");
            return Prepared::Done(0);
        }
        Err(message) => {
            eprintln!("error: {message}\n\n{HELP}");
            return Prepared::Done(2);
        }
    };
    let configured = std::env::var(HANDLER).ok();
    let choice = match &options.handler {
        Some(name) => HandlerChoice::Explicit(name),
        None => HandlerChoice::Configured(configured.as_deref()),
    };
    let handler = match registry::select(choice) {
        Ok(handler) => handler,
        Err(error) => {
            eprintln!("error: {}", error.error_message);
            return Prepared::Done(2);
        }
    };
    match options.serve {
        Some(listen) => Prepared::Serve(listen, handler, options.settings),
        None => Prepared::Invoke(handler, options.event),
    }
}

/// Invokes the handler on the event, or on each line of standard input; inside a `LocalSet`.
async fn invoke_all(handler: &'static Handler, event: Option<String>) -> i32 {
    // The handler's state, built once for all the events of this run, as on Lambda.
    let state = match handler.build_state().await {
        Ok(state) => state,
        Err(error) => {
            eprintln!("error: the init function failed: {error}");
            return print(&error.to_json(), 1);
        }
    };
    let mut session = Session {
        handler,
        state,
        ctx: Context::from_environment(),
    };
    if session.ctx.function_name.is_empty() {
        session.ctx.function_name = handler.name.to_owned();
    }
    match event {
        Some(event) => session.invoke_and_print(event.into_bytes()).await,
        None => session.invoke_lines().await,
    }
}

fn parse(args: impl Iterator<Item = OsString>) -> Result<Option<Options>, String> {
    let mut options = Options {
        handler: None,
        event: None,
        serve: None,
        settings: ServeSettings::default(),
    };
    let mut args = args
        .map(|a| a.into_string().map_err(|a| format!("{a:?} is not UTF-8")))
        .peekable();
    let mut positional_only = false;
    while let Some(arg) = args.next() {
        let arg = arg?;
        match arg.as_str() {
            "-h" | "--help" if !positional_only => return Ok(None),
            "--" if !positional_only => positional_only = true,
            "--handler" if !positional_only => {
                options.handler = Some(args.next().ok_or("`--handler` needs a handler name")??);
            }
            "--serve" if !positional_only => {
                // An address follows only when the next argument is one.
                let addr = args
                    .peek()
                    .and_then(|a| a.as_ref().ok())
                    .and_then(|a| a.parse().ok());
                if addr.is_some() {
                    args.next();
                }
                options.serve = Some(addr.unwrap_or(DEFAULT_SERVE));
            }
            "--timeout" if !positional_only => {
                let seconds = args
                    .next()
                    .ok_or("`--timeout` needs a number of seconds")??;
                let timeout = lambda_env::parse_timeout(&seconds)
                    .map_err(|e| format!("`--timeout {seconds}`: {e}"))?;
                options.settings.timeout = Some(timeout);
            }
            "--concurrency" if !positional_only => {
                let n = args
                    .next()
                    .ok_or("`--concurrency` needs a number of invocations")??;
                let concurrency = lambda_env::parse_concurrency(&n)
                    .map_err(|e| format!("`--concurrency {n}`: {e}"))?;
                options.settings.concurrency = Some(concurrency);
            }
            // The durable service's settings come with `--serve` (the `serve` feature); a
            // binary without it does not carry their parsing.
            #[cfg(feature = "serve")]
            "--skip-time" if !positional_only => options.settings.skip_time = true,
            #[cfg(feature = "serve")]
            "--execution-timeout" if !positional_only => {
                let seconds = args
                    .next()
                    .ok_or("`--execution-timeout` needs a number of seconds")??;
                let timeout = lambda_handler_protocol::durable::parse_execution_timeout(&seconds)
                    .map_err(|e| format!("`--execution-timeout {seconds}`: {e}"))?;
                options.settings.execution_timeout = Some(timeout);
            }
            _ if !positional_only && arg.starts_with("--handler=") => {
                options.handler = Some(arg["--handler=".len()..].to_owned());
            }
            // An event may begin with `-` (a negative number): JSON is never an option.
            _ if !positional_only
                && arg.starts_with('-')
                && arg.len() > 1
                && serde_json::from_str::<serde::de::IgnoredAny>(&arg).is_err() =>
            {
                return Err(format!(
                    "unknown option `{arg}` (an event that starts with `-` goes after `--`)"
                ));
            }
            _ if options.event.is_some() => {
                return Err(
                    "give one event; for several, write one per line on standard input".into(),
                );
            }
            _ => options.event = Some(arg),
        }
    }
    if options.serve.is_some() && options.event.is_some() {
        return Err("`--serve` takes events over HTTP, not on the command line".into());
    }
    if options.serve.is_none() && options.settings != ServeSettings::default() {
        return Err(
            "`--timeout`, `--concurrency`, `--skip-time` and `--execution-timeout` go with \
             `--serve`"
                .into(),
        );
    }
    Ok(Some(options))
}

struct Session {
    handler: &'static Handler,
    state: BuiltState,
    ctx: Context,
}

impl Session {
    /// One invocation; returns the exit code.
    async fn invoke_and_print(&mut self, mut body: Vec<u8>) -> i32 {
        self.ctx.request_id = lambda_handler_protocol::ids::request_id();
        self.ctx.deadline = SystemTime::now() + lambda_env::function_timeout();
        // The runtime's lines (and the handler's, with `tracing`) carry the id, as on Lambda.
        crate::log::set_invocation(&self.ctx.request_id, None);
        let outcome = invoke(self.handler, &mut body, &self.ctx, self.state.get()).await;
        match outcome {
            // Over Lambda's limit, the error Lambda's caller would get, not a response that
            // works here and fails on AWS.
            Ok(Output::Buffered) => match InvocationError::check_response_size(body.len()) {
                Ok(()) => print(&body, 0),
                Err(error) => print(&failure(&error), 1),
            },
            // Each chunk as it comes; an error that ends the stream after it, on its own line.
            Ok(Output::Streamed(streaming)) => {
                let streamed = streaming
                    .for_each_chunk(|chunk| {
                        let mut out = std::io::stdout().lock();
                        let _ = out.write_all(chunk).and_then(|()| out.flush());
                    })
                    .await;
                match streamed {
                    Ok(()) => 0,
                    Err(error) => print(&failure(&error), 1),
                }
            }
            Err(error) => print(&failure(&error), 1),
        }
    }

    /// One invocation per non-empty line of standard input; 1 if any of them failed.
    async fn invoke_lines(&mut self) -> i32 {
        let mut code = 0;
        for line in std::io::stdin().lock().lines() {
            let line = match line {
                Ok(line) => line,
                Err(e) => {
                    eprintln!("error: cannot read standard input: {e}");
                    return 1;
                }
            };
            if !line.trim().is_empty() {
                code = code.max(self.invoke_and_print(line.into_bytes()).await);
            }
        }
        code
    }
}

/// `--serve`: the emulator, with this very binary as its runtime, so every invocation takes
/// the path it takes on Lambda (a Runtime API on loopback, the same invocation loop, the
/// timeout enforced by stopping the process).
#[cfg(feature = "serve")]
fn serve(listen: SocketAddr, handler: &'static Handler, settings: ServeSettings) -> i32 {
    let program = match std::env::current_exe() {
        Ok(program) => program,
        Err(e) => {
            eprintln!("error: cannot find this program to run it: {e}");
            return 1;
        }
    };
    let mut options = lambda_handler_emulator::Options::new(program);
    options.listen = listen;
    options.handler = Some(handler.name.to_owned());
    if let Some(timeout) = settings.timeout {
        options.timeout = timeout;
    }
    options.concurrency = settings.concurrency.unwrap_or(1);
    let durable_settings = settings.skip_time || settings.execution_timeout.is_some();
    if durable_settings && !handler.durable {
        eprintln!(
            "error: `--skip-time` and `--execution-timeout` are for a durable handler \
             (`#[lambda_handler(durable)]`); `{}` is not one",
            handler.name
        );
        return 2;
    }
    // A durable handler's executions run here, unless its checkpoints go to another service
    // (`AWS_ENDPOINT_URL_LAMBDA`, as for AWS's `dex-local-runner`), which then drives them.
    let external = std::env::var_os(lambda_handler_protocol::env::ENDPOINT_URL_LAMBDA).is_some();
    if handler.durable && !external {
        let defaults = lambda_handler_emulator::DurableOptions::default();
        options.durable = Some(lambda_handler_emulator::DurableOptions {
            skip_time: settings.skip_time,
            execution_timeout: settings
                .execution_timeout
                .unwrap_or(defaults.execution_timeout),
        });
    }
    // The binary's other handlers are functions of their own beside it, invoked by name (as
    // a durable function's chained invoke names its target).
    options.more_functions = crate::handler::registry::HANDLERS
        .iter()
        .filter(|other| other.name != handler.name)
        .map(|other| lambda_handler_emulator::Function {
            name: other.name.to_owned(),
            handler: other.name.to_owned(),
            durable: other.durable && !external,
        })
        .collect();
    lambda_handler_emulator::serve(options)
}

#[cfg(not(feature = "serve"))]
fn serve(_: SocketAddr, _: &'static Handler, _: ServeSettings) -> i32 {
    eprintln!(
        "error: `--serve` comes with lambda-handler's `serve` feature, which this binary was \
         built without (it is off by default, to keep the local server out of a `bootstrap`); \
         run `cargo run --features lambda-handler/serve -- --serve`, or run this binary under \
         the emulator: `lambda-emulator -- ./path/to/binary`"
    );
    2
}

/// Prints one result line; returns `code`, or 1 when standard output fails.
fn print(body: &[u8], code: i32) -> i32 {
    let mut stdout = std::io::stdout().lock();
    let written = stdout
        .write_all(body)
        .and_then(|()| stdout.write_all(b"\n"))
        .and_then(|()| stdout.flush());
    match written {
        Ok(()) => code,
        Err(e) => {
            eprintln!("error: cannot write the result: {e}");
            1
        }
    }
}

fn failure(error: &InvocationError) -> Vec<u8> {
    eprintln!("error: the invocation failed: {error}");
    error.to_json()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(args: &[&str]) -> Result<Option<Options>, String> {
        parse(args.iter().map(OsString::from))
    }

    #[test]
    fn an_event_and_a_handler_are_read() {
        let o = options(&["--handler", "greet", "{}"]).unwrap().unwrap();
        assert_eq!(
            (o.handler.as_deref(), o.event.as_deref()),
            (Some("greet"), Some("{}"))
        );
        let o = options(&["--handler=greet"]).unwrap().unwrap();
        assert_eq!((o.handler.as_deref(), o.event), (Some("greet"), None));
    }

    #[test]
    fn serve_takes_an_optional_address() {
        let o = options(&["--serve"]).unwrap().unwrap();
        assert_eq!(o.serve, Some(DEFAULT_SERVE));
        let o = options(&["--serve", "127.0.0.1:9555", "--timeout", "7"])
            .unwrap()
            .unwrap();
        assert_eq!(o.serve, Some("127.0.0.1:9555".parse().unwrap()));
        assert_eq!(o.settings.timeout, Some(Duration::from_secs(7)));
        let o = options(&["--serve", "--concurrency", "8"])
            .unwrap()
            .unwrap();
        assert_eq!(o.settings.concurrency, Some(8));
        assert!(options(&["--serve", "--concurrency", "0"]).is_err());
        assert!(options(&["--concurrency", "8"]).is_err());
        let o = options(&["--serve", "--handler", "h"]).unwrap().unwrap();
        assert_eq!(
            (o.serve, o.handler.as_deref()),
            (Some(DEFAULT_SERVE), Some("h"))
        );
        assert!(options(&["--serve", "{}"]).is_err());
        assert!(options(&["--timeout", "soon"]).is_err());
    }

    #[test]
    #[cfg(feature = "serve")]
    fn the_durable_services_settings_go_with_serve() {
        let o = options(&["--serve", "--skip-time", "--execution-timeout", "60"])
            .unwrap()
            .unwrap();
        assert!(o.settings.skip_time);
        assert_eq!(o.settings.execution_timeout, Some(Duration::from_secs(60)));
        assert!(
            options(&["--skip-time"]).is_err(),
            "durable settings go with --serve"
        );
        assert!(options(&["--serve", "--execution-timeout", "0"]).is_err());
        assert!(options(&["--serve", "--execution-timeout", "31622401"]).is_err());
    }

    #[test]
    fn help_and_mistakes_are_told_apart() {
        assert!(options(&["--help"]).unwrap().is_none());
        assert!(
            options(&["--frobnicate"])
                .unwrap_err()
                .contains("unknown option `--frobnicate`")
        );
        assert!(options(&["{}", "{}"]).is_err());
        assert!(options(&["--handler"]).is_err());
        let o = options(&["--", "-1"]).unwrap().unwrap();
        assert_eq!(o.event.as_deref(), Some("-1"));
    }

    #[test]
    fn events_that_start_with_a_dash_are_events() {
        for event in ["-5", "-0.5e3"] {
            let o = options(&[event]).unwrap().unwrap();
            assert_eq!(o.event.as_deref(), Some(event));
        }
        assert!(options(&["-x"]).unwrap_err().contains("goes after `--`"));
    }

    #[test]
    fn timeouts_outside_lambdas_range_are_usage_errors() {
        for bad in ["0", "901", "18446744073709551615", "99999999999999999999"] {
            let error = options(&["--serve", "--timeout", bad]).unwrap_err();
            assert!(
                error.contains("1 to 900 seconds") || error.contains("whole number"),
                "{error}"
            );
        }
    }
}
