//! The functions the emulator serves: the main one, and the other functions of the same
//! program (a `lambda-handler` binary's other handlers), each in an execution environment of
//! its own, made when it is first invoked (by name, or by a durable function's chained
//! invoke). The durable-execution service is one for them all: an execution's callbacks and
//! state are reached by ARN, whatever function runs it.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::net::TcpListener;
use tokio::sync::OnceCell;

use crate::durable::Service;
use crate::environment::Environment;
use crate::options::Options;
use crate::{http, runtime_api};

pub(crate) struct Functions {
    pub(crate) main: Arc<Environment>,
    others: HashMap<String, Other>,
    /// Where the Invoke API listens, for every function's durable checkpoints.
    invoke_api: SocketAddr,
    durable: Option<Arc<Service>>,
    /// Every environment made, to stop their runtimes at the end.
    started: Mutex<Vec<Arc<Environment>>>,
}

struct Other {
    options: Options,
    environment: OnceCell<Arc<Environment>>,
}

impl Functions {
    /// The main function's environment, its Runtime API listening, and the others named.
    pub(crate) async fn new(options: Options, invoke_api: SocketAddr) -> Result<Self, String> {
        let needs_service =
            options.durable.is_some() || options.more_functions.iter().any(|f| f.durable);
        let settings = options.durable.unwrap_or_default();
        let durable = needs_service.then(|| Arc::new(Service::new(settings)));
        let others = options
            .more_functions
            .iter()
            .map(|function| {
                let mut other = options.clone();
                other.function_name.clone_from(&function.name);
                other.handler = Some(function.handler.clone());
                other.more_functions = Vec::new();
                other.durable = function.durable.then_some(settings);
                let other = Other {
                    options: other,
                    environment: OnceCell::new(),
                };
                (function.name.clone(), other)
            })
            .collect();
        let main = environment(options, invoke_api).await?;
        Ok(Functions {
            started: Mutex::new(vec![Arc::clone(&main)]),
            main,
            others,
            invoke_api,
            durable,
        })
    }

    /// The durable-execution service, when a function is durable.
    pub(crate) fn durable(&self) -> Option<&Arc<Service>> {
        self.durable.as_ref()
    }

    /// The function `name` names (`function` and the main function's name, another
    /// function's name, or an ARN of one), its environment made on first use.
    pub(crate) async fn named(&self, name: &str) -> Result<Option<Arc<Environment>>, String> {
        if names_this_function(name, &self.main.options.function_name) {
            return Ok(Some(Arc::clone(&self.main)));
        }
        let Some(other) = self.others.get(&unqualified(name)) else {
            return Ok(None);
        };
        let made = other
            .environment
            .get_or_try_init(|| async {
                let made = environment(other.options.clone(), self.invoke_api).await?;
                self.started
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push(Arc::clone(&made));
                Ok::<_, String>(made)
            })
            .await?;
        Ok(Some(Arc::clone(made)))
    }

    /// The names a caller may use, for a message.
    pub(crate) fn names(&self) -> String {
        let mut names = vec![
            "`function`".to_owned(),
            format!("`{}`", self.main.options.function_name),
        ];
        let mut others: Vec<&String> = self.others.keys().collect();
        others.sort();
        names.extend(others.into_iter().map(|name| format!("`{name}`")));
        names.join(", ")
    }

    /// Every environment made so far.
    pub(crate) fn started(&self) -> Vec<Arc<Environment>> {
        self.started
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

/// A function's environment, with its own Runtime API on 127.0.0.1.
async fn environment(options: Options, invoke_api: SocketAddr) -> Result<Arc<Environment>, String> {
    let runtime_api = TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| format!("cannot listen on 127.0.0.1: {e}"))?;
    let runtime_api_addr = runtime_api.local_addr().map_err(|e| e.to_string())?;
    let environment = Arc::new(Environment::new(options, runtime_api_addr, invoke_api));
    tokio::spawn(http::serve(
        runtime_api,
        Arc::clone(&environment),
        runtime_api::route,
    ));
    Ok(environment)
}

/// `function` (as RIE accepts), the function's name, or an ARN or partial ARN naming it,
/// with or without a qualifier.
pub(crate) fn names_this_function(name: &str, function_name: &str) -> bool {
    let unqualified = unqualified(name);
    unqualified == "function" || unqualified == function_name
}

/// The function's own name in a name, a partial ARN or an ARN, without a qualifier.
fn unqualified(name: &str) -> String {
    let name = crate::http::percent_decode(name);
    match name.split(':').collect::<Vec<_>>()[..] {
        [.., "function", function, _] | [.., "function", function] => function.to_owned(),
        [function, _] => function.to_owned(),
        _ => name.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_function_is_named_as_lambda_accepts() {
        for name in [
            "function",
            "hello",
            "hello:$LATEST",
            "arn:aws:lambda:us-east-1:1:function:hello",
            "arn%3Aaws%3Alambda%3Aus-east-1%3A1%3Afunction%3Ahello%3Aprod",
        ] {
            assert!(names_this_function(name, "hello"), "{name}");
        }
        assert!(!names_this_function("other", "hello"));
    }

    #[test]
    fn another_function_is_named_by_its_own_name_only() {
        assert_eq!(
            unqualified("arn:aws:lambda:us-east-1:1:function:echo:$LATEST"),
            "echo"
        );
        assert_eq!(unqualified("echo"), "echo");
    }
}
