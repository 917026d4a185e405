//! What to run, and how to serve it: the emulator's settings, with Lambda's defaults.

use std::ffi::OsString;
use std::net::SocketAddr;
use std::time::Duration;

/// What to run and how to serve it.
#[derive(Clone, Debug)]
pub struct Options {
    /// Where the Invoke API listens; `127.0.0.1:9000` by default, as RIE's.
    pub listen: SocketAddr,
    /// The runtime to run.
    pub program: OsString,
    /// Its arguments.
    pub args: Vec<OsString>,
    /// The function's name (`AWS_LAMBDA_FUNCTION_NAME`); the Invoke API also accepts
    /// `function`, as RIE does.
    pub function_name: String,
    /// The function timeout (`AWS_LAMBDA_FUNCTION_TIMEOUT`); Lambda's default is 3 s.
    pub timeout: Duration,
    /// The function's memory (`AWS_LAMBDA_FUNCTION_MEMORY_SIZE`), in MB.
    pub memory_mb: u32,
    /// `_HANDLER`, when set.
    pub handler: Option<String>,
    /// Whether the platform's own log lines are JSON (`AWS_LAMBDA_LOG_FORMAT=JSON`, which the
    /// runtime is given too), as Lambda writes them for a function that logs JSON.
    pub log_json: bool,
    /// How many invocations the runtime gets at once (`AWS_LAMBDA_MAX_CONCURRENCY`, as on
    /// Lambda Managed Instances); 1, Lambda's default, leaves the variable unset.
    pub concurrency: usize,
    /// The function is durable (`DurableConfig`): an `Invoke` starts a durable execution that
    /// the emulator runs itself, serving the durable-execution API on the Invoke API's port.
    /// `None`: an ordinary function.
    pub durable: Option<DurableOptions>,
    /// The other functions of the same program, served beside this one by their names (and
    /// reached by durable functions' chained invokes): the other handlers of a
    /// `lambda-handler` binary. Each runs in its own execution environment, started when it
    /// is first invoked.
    pub more_functions: Vec<Function>,
}

/// Another function of the same program.
#[derive(Clone, Debug)]
pub struct Function {
    /// Its name, as callers and chained invokes name it.
    pub name: String,
    /// Its `_HANDLER`.
    pub handler: String,
    /// It is durable; its executions use [`Options::durable`]'s settings.
    pub durable: bool,
}

impl Options {
    /// Lambda's defaults for running `program`.
    pub fn new(program: impl Into<OsString>) -> Self {
        let program = program.into();
        let function_name = std::path::Path::new(&program).file_stem().map_or_else(
            || "function".to_owned(),
            |s| s.to_string_lossy().into_owned(),
        );
        Options {
            listen: SocketAddr::from(([127, 0, 0, 1], 9000)),
            program,
            args: Vec::new(),
            function_name,
            timeout: lambda_handler_protocol::env::function_timeout(),
            memory_mb: 128,
            handler: None,
            concurrency: 1,
            durable: None,
            more_functions: Vec::new(),
            log_json: std::env::var(lambda_handler_protocol::env::LOG_FORMAT)
                .is_ok_and(|f| lambda_handler_protocol::env::is_json_log_format(&f)),
        }
    }
}

/// The durable-execution service's settings, for a durable function.
#[derive(Clone, Copy, Debug)]
pub struct DurableOptions {
    /// `DurableConfig.ExecutionTimeout`: how long an execution may run (a day by default,
    /// up to a year).
    pub execution_timeout: Duration,
    /// Skip the waits the service runs (waits, retry delays), as `dex-local-runner
    /// --skip-time` does; the history still records the durations asked for.
    pub skip_time: bool,
}

impl Default for DurableOptions {
    fn default() -> Self {
        DurableOptions {
            execution_timeout: Duration::from_secs(
                lambda_handler_protocol::durable::DEFAULT_EXECUTION_TIMEOUT_SECONDS,
            ),
            skip_time: false,
        }
    }
}
