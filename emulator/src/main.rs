//! `lambda-emulator [OPTIONS] -- PROGRAM [ARGS...]`: a local Lambda around any custom runtime.

use std::ffi::OsString;

use lambda_handler_emulator::{DurableOptions, Options, serve};

const HELP: &str = "\
Runs a Lambda custom runtime locally, as AWS's Runtime Interface Emulator does: the runtime
is a child process talking to an embedded Runtime API, and Lambda's Invoke API is served on
127.0.0.1.

Usage:
  lambda-emulator [OPTIONS] -- PROGRAM [ARGS...]

Options:
  --port PORT            the Invoke API's port on 127.0.0.1 (default 9000)
  --listen ADDR          the Invoke API's address (default 127.0.0.1:9000)
  --timeout SECONDS      the function timeout, 1 to 900 (default
                         AWS_LAMBDA_FUNCTION_TIMEOUT, or 3)
  --function-name NAME   AWS_LAMBDA_FUNCTION_NAME (default the program's file name)
  --memory MB            AWS_LAMBDA_FUNCTION_MEMORY_SIZE (default 128)
  --handler NAME         _HANDLER, for runtimes that read it
  --concurrency N        invocations the runtime gets at once, 1 to 1024 (default 1);
                         above 1 sets AWS_LAMBDA_MAX_CONCURRENCY, as Lambda Managed
                         Instances do
  --durable              the function is durable (DurableConfig): an invocation starts
                         a durable execution, run here; its checkpoints come back to
                         this port (AWS_ENDPOINT_URL_LAMBDA)
  --execution-timeout SECONDS
                         with --durable: how long an execution may run (default
                         86400, a day)
  --skip-time            with --durable: waits and retry delays pass at once; the
                         history still records their durations
  -h, --help             print this help

Invoke:
  curl -d '{\"key\":\"value\"}' http://127.0.0.1:9000/2015-03-31/functions/function/invocations
";

fn main() {
    match parse(std::env::args_os().skip(1)) {
        Ok(Some(options)) => std::process::exit(serve(options)),
        Ok(None) => print!("{HELP}"),
        Err(message) => {
            eprintln!("error: {message}\n\n{HELP}");
            std::process::exit(2);
        }
    }
}

fn parse(args: impl Iterator<Item = OsString>) -> Result<Option<Options>, String> {
    let mut args = args.peekable();
    let mut listen = None;
    let mut timeout = None;
    let mut function_name = None;
    let mut memory = None;
    let mut handler = None;
    let mut concurrency = 1;
    let mut durable: Option<DurableOptions> = None;
    let (mut skip_time, mut execution_timeout) = (false, None);
    while let Some(arg) = args.next() {
        let arg = arg
            .into_string()
            .map_err(|a| format!("{a:?} is not UTF-8"))?;
        let mut value = |name: &str| -> Result<String, String> {
            args.next()
                .and_then(|v| v.into_string().ok())
                .ok_or_else(|| format!("`{name}` needs a value"))
        };
        match arg.as_str() {
            "-h" | "--help" => return Ok(None),
            "--port" => {
                let port: u16 = value("--port")?
                    .parse()
                    .map_err(|e| format!("--port: {e}"))?;
                listen = Some(std::net::SocketAddr::from(([127, 0, 0, 1], port)));
            }
            "--listen" => {
                listen = Some(
                    value("--listen")?
                        .parse()
                        .map_err(|e| format!("--listen: {e}"))?,
                )
            }
            "--timeout" => {
                let seconds = value("--timeout")?;
                timeout = Some(
                    lambda_handler_protocol::env::parse_timeout(&seconds)
                        .map_err(|e| format!("`--timeout {seconds}`: {e}"))?,
                )
            }
            "--function-name" => function_name = Some(value("--function-name")?),
            "--memory" => {
                memory = Some(
                    value("--memory")?
                        .parse::<u32>()
                        .map_err(|e| format!("--memory: {e}"))?,
                )
            }
            "--handler" => handler = Some(value("--handler")?),
            "--concurrency" => {
                let n = value("--concurrency")?;
                concurrency = lambda_handler_protocol::env::parse_concurrency(&n)
                    .map_err(|e| format!("`--concurrency {n}`: {e}"))?;
            }
            "--durable" => durable = Some(DurableOptions::default()),
            "--skip-time" => skip_time = true,
            "--execution-timeout" => {
                let seconds = value("--execution-timeout")?;
                execution_timeout = Some(
                    lambda_handler_protocol::durable::parse_execution_timeout(&seconds)
                        .map_err(|e| format!("`--execution-timeout {seconds}`: {e}"))?,
                );
            }
            "--" => {
                if let Some(durable) = &mut durable {
                    durable.skip_time = skip_time;
                    if let Some(timeout) = execution_timeout {
                        durable.execution_timeout = timeout;
                    }
                } else if skip_time || execution_timeout.is_some() {
                    return Err(
                        "`--skip-time` and `--execution-timeout` go with `--durable`".into(),
                    );
                }
                let program = args.next().ok_or("give the runtime to run after `--`")?;
                let mut options = Options::new(program);
                options.args = args.collect();
                if let Some(listen) = listen {
                    options.listen = listen;
                }
                if let Some(timeout) = timeout {
                    options.timeout = timeout;
                }
                if let Some(name) = function_name {
                    options.function_name = name;
                }
                if let Some(mb) = memory {
                    options.memory_mb = mb;
                }
                options.handler = handler;
                options.concurrency = concurrency;
                options.durable = durable;
                return Ok(Some(options));
            }
            other => return Err(format!("unknown option `{other}`")),
        }
    }
    Err("give the runtime to run: `lambda-emulator -- ./bootstrap`".into())
}
