//! A Lambda Runtime API server on 127.0.0.1: it queues events, serves them on `GET /next` as
//! Lambda does, answers as Lambda's `rapid` does (`protocol::rapid`), records every answer the
//! runtime sends, and starts handler binaries pointed at itself.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use lambda_handler_protocol::rapid::{Environment, Reply, ResponseMode};
use lambda_handler_protocol::{env, headers, ids, limits, paths};
use tokio::sync::Notify;

use crate::process::Handler;

/// An event to serve on `/next`.
#[derive(Clone, Debug)]
pub struct Event {
    /// The `Lambda-Runtime-Aws-Request-Id` header.
    pub request_id: String,
    /// The body.
    pub body: Vec<u8>,
    /// More headers, or replacements of the default ones.
    pub headers: Vec<(String, String)>,
    /// Default headers not to send.
    pub without: Vec<String>,
}

impl Event {
    /// An event with the default headers.
    pub fn new(request_id: impl Into<String>, body: impl Into<Vec<u8>>) -> Self {
        Event {
            request_id: request_id.into(),
            body: body.into(),
            headers: Vec::new(),
            without: Vec::new(),
        }
    }

    /// Leaves out one of the default headers.
    pub fn without(mut self, name: &str) -> Self {
        self.without.push(name.to_ascii_lowercase());
        self
    }

    /// Adds or replaces a header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers
            .push((name.to_ascii_lowercase(), value.to_owned()));
        self
    }
}

/// A request the runtime sent, other than `GET /next`.
#[derive(Clone, Debug)]
pub struct Received {
    /// `POST` or anything else the runtime sent.
    pub method: String,
    /// The path after the base path, such as `/2018-06-01/runtime/invocation/ID/response`.
    pub path: String,
    /// The headers, names in lower case.
    pub headers: Vec<(String, String)>,
    /// The body (its first 64 MiB).
    pub body: Vec<u8>,
    /// How many bytes of the body the server read: all of them, or its mode's limit and one
    /// more when it refused the answer as too large there.
    pub len: usize,
    /// The trailers sent after a chunked body, names in lower case.
    pub trailers: Vec<(String, String)>,
    /// The status the server answered with; 0 when it closed the connection instead.
    pub status: u16,
    /// Which TCP connection it came on: 1 for the first the server accepted, and so on.
    pub connection: usize,
}

/// Which requests a [`Fault`] applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    /// `GET /runtime/invocation/next`
    Next,
    /// `POST /runtime/invocation/{id}/response`
    Response,
    /// `POST /runtime/invocation/{id}/error`
    Error,
}

/// Something the server does to the next request on a [`Route`] instead of answering it well.
#[derive(Clone, Copy, Debug)]
pub enum Fault {
    /// Closes the connection without reading or answering the request.
    CloseBeforeReply,
    /// Takes an answer (it counts as accepted), then closes the connection without replying.
    AcceptThenClose,
    /// Answers with this status, and rapid's body for it (400, 403, 413, 500); for `/next`,
    /// without handing out an event. The invocation stays as it was.
    Status(u16),
    /// Takes a response as if it were over Lambda's limit: 413, and the invocation is closed,
    /// as Lambda's Runtime API does (Lambda tells the caller itself).
    TooLarge,
    /// Waits this long, then answers normally.
    Delay(Duration),
    /// Waits this long, then answers with this status, as [`Fault::Status`] does.
    DelayedStatus(u16, Duration),
    /// Answers with this status and a body of this many bytes (of an event, say), for a
    /// runtime that must not log it whole.
    LargeStatus(u16, usize),
    /// `/next` only: sends the invocation's status, headers and the first half of its body at
    /// once, and the rest after this long.
    SlowBody(Duration),
    /// Answers at once with this status (and rapid's body for it), without reading the
    /// request's body, as a server that refuses an answer early may; the invocation is closed
    /// for a 403 or 410. The connection is then closed after the given time, so the client
    /// holds its unsent body until then.
    ReplyUnread(u16, Duration),
}

impl Received {
    /// The value of a header, if it was sent.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The value of a trailer, if it was sent.
    pub fn trailer(&self, name: &str) -> Option<&str> {
        self.trailers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "{} {} sent a body that is not JSON ({e}): {:?}",
                self.method,
                self.path,
                String::from_utf8_lossy(&self.body)
            )
        })
    }
}

#[derive(Default)]
struct State {
    /// Faults by route, each for the next request there, or for the request with that number
    /// (1 for the first on the route since the start).
    faults: Mutex<Vec<(Route, Option<usize>, Fault)>>,
    /// Requests so far on each route: `/next`, `/response`, `/error`.
    route_requests: Mutex<[usize; 3]>,
    close_every_reply: std::sync::atomic::AtomicBool,
    /// The invocation in flight and its answers, as Lambda's Runtime API takes them.
    environment: Mutex<Environment>,
    events: Mutex<VecDeque<Event>>,
    event_queued: Notify,
    received: Mutex<Vec<Received>>,
    answered: Condvar,
    connections: AtomicUsize,
    /// TCP connections accepted and not yet closed.
    open_connections: AtomicUsize,
    next_requests: AtomicUsize,
    /// When each `GET /next` arrived.
    next_times: Mutex<Vec<Instant>>,
    accepted: AtomicUsize,
    /// The most invocations in flight at once.
    most_in_flight: AtomicUsize,
    /// What the runtime sent that Lambda's Runtime API would not take as meant: a path or
    /// method it does not serve, an error type outside Lambda's pattern. Checked when the
    /// server is dropped (see [`RuntimeApi::violations`]).
    violations: Mutex<Vec<String>>,
}

/// The server; it stops when dropped (its thread ends with the test process). Dropping it
/// fails the test (unless it is failing already) when the runtime broke the protocol: see
/// [`RuntimeApi::violations`].
pub struct RuntimeApi {
    addr: SocketAddr,
    base_path: String,
    state: Arc<State>,
}

/// The path prefix of every Runtime API call.
pub const API: &str = paths::RUNTIME_API;

impl RuntimeApi {
    /// Starts a server on 127.0.0.1 at a free port.
    pub fn start() -> Self {
        Self::start_with_base_path("")
    }

    /// Starts a server whose API lives under `base_path`, as cargo-lambda's emulator's does.
    pub fn start_with_base_path(base_path: &str) -> Self {
        Self::start_with(base_path, 1)
    }

    /// Starts a server that takes up to `concurrency` invocations in flight at once, each
    /// answered on its own id, as on Lambda Managed Instances (`AWS_LAMBDA_MAX_CONCURRENCY`).
    pub fn start_concurrent(concurrency: usize) -> Self {
        Self::start_with("", concurrency)
    }

    fn start_with(base_path: &str, concurrency: usize) -> Self {
        let state = Arc::new(State {
            environment: Mutex::new(Environment::with_concurrency(concurrency)),
            ..State::default()
        });
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let server_state = Arc::clone(&state);
        let base = base_path.to_owned();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(serve(listener, base, server_state));
        });
        RuntimeApi {
            addr,
            base_path: base_path.to_owned(),
            state,
        }
    }

    /// `AWS_LAMBDA_RUNTIME_API` for a runtime: `127.0.0.1:PORT`, or the URL form with a base path.
    pub fn endpoint(&self) -> String {
        if self.base_path.is_empty() {
            self.addr.to_string()
        } else {
            format!("http://{}{}", self.addr, self.base_path)
        }
    }

    /// Queues an event for `/next`.
    pub fn push(&self, event: Event) {
        self.state.events.lock().unwrap().push_back(event);
        self.state.event_queued.notify_one();
    }

    /// Applies `fault` to the next request on `route` (faults on one route apply in order).
    pub fn fault(&self, route: Route, fault: Fault) {
        self.state.faults.lock().unwrap().push((route, None, fault));
    }

    /// Applies `fault` to the `nth` request on `route` since the server started (1 for the
    /// first): a fault that must meet one request whenever it comes, however slow the test.
    pub fn fault_at(&self, route: Route, nth: usize, fault: Fault) {
        self.state
            .faults
            .lock()
            .unwrap()
            .push((route, Some(nth), fault));
    }

    /// Sends `Connection: close` with every reply, so each request needs a new connection.
    pub fn close_every_reply(&self) {
        self.state.close_every_reply.store(true, Ordering::SeqCst);
    }

    /// Waits until `count` answers (responses and errors) have been accepted since the start,
    /// and returns the accepted ones not cleared; panics after `timeout` with everything that did arrive.
    pub fn wait_for_accepted(&self, count: usize, timeout: Duration) -> Vec<Received> {
        let deadline = Instant::now() + timeout;
        let mut received = self.state.received.lock().unwrap();
        while self.state.accepted.load(Ordering::SeqCst) < count {
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(
                !left.is_zero(),
                "waited {timeout:?} for {count} accepted answers: {received:#?}"
            );
            received = self.state.answered.wait_timeout(received, left).unwrap().0;
        }
        received
            .iter()
            .filter(|r| r.status == 202)
            .cloned()
            .collect()
    }

    /// Forgets the requests received so far (a long run's memory); counts go on.
    pub fn clear_received(&self) {
        self.state.received.lock().unwrap().clear();
    }

    /// Waits until `count` requests other than `/next` have arrived, and returns all of them;
    /// panics after `timeout` with what did arrive.
    pub fn wait_for(&self, count: usize, timeout: Duration) -> Vec<Received> {
        let deadline = Instant::now() + timeout;
        let mut received = self.state.received.lock().unwrap();
        while received.len() < count {
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(
                !left.is_zero(),
                "waited {timeout:?} for {count} answers, got {}: {received:#?}",
                received.len()
            );
            received = self.state.answered.wait_timeout(received, left).unwrap().0;
        }
        received.clone()
    }

    /// Every request other than `/next` so far.
    pub fn received(&self) -> Vec<Received> {
        self.state.received.lock().unwrap().clone()
    }

    /// TCP connections accepted so far.
    pub fn connections(&self) -> usize {
        self.state.connections.load(Ordering::SeqCst)
    }

    /// TCP connections open now (accepted, and not closed by either side).
    pub fn open_connections(&self) -> usize {
        self.state.open_connections.load(Ordering::SeqCst)
    }

    /// `GET /next` requests so far.
    pub fn next_requests(&self) -> usize {
        self.state.next_requests.load(Ordering::SeqCst)
    }

    /// When each `GET /next` so far arrived, in order.
    pub fn next_request_times(&self) -> Vec<Instant> {
        self.state.next_times.lock().unwrap().clone()
    }

    /// The invocations in flight now (handed out, not yet answered), oldest first.
    pub fn in_flight(&self) -> Vec<String> {
        self.state.environment.lock().unwrap().in_flight().to_vec()
    }

    /// The most invocations that were in flight (handed out, not yet answered) at once.
    pub fn most_in_flight(&self) -> usize {
        self.state.most_in_flight.load(Ordering::SeqCst)
    }

    /// What the runtime sent that Lambda would not take as meant, in order: a request on a
    /// path or with a method the Runtime API does not serve (answered 404 or 405), an
    /// `/init/error` after `/next` (rapid's 403), an error type (header or trailer) outside
    /// Lambda's `(Runtime|Function)\.[A-Z][a-zA-Z]+`, which Lambda records as unknown.
    pub fn violations(&self) -> Vec<String> {
        self.state.violations.lock().unwrap().clone()
    }

    /// Takes the violations so far (see [`RuntimeApi::violations`]), for a test that breaks the
    /// protocol on purpose: those taken no longer fail the test.
    pub fn take_violations(&self) -> Vec<String> {
        std::mem::take(&mut *self.state.violations.lock().unwrap())
    }

    /// Starts a handler binary with `AWS_LAMBDA_RUNTIME_API` pointing here and Lambda's
    /// standard environment, plus `env`.
    pub fn spawn(&self, binary: &str, env: &[(&str, &str)]) -> Handler {
        let mut command = Command::new(binary);
        command
            .env_clear()
            .env(env::RUNTIME_API, self.endpoint())
            .env(env::FUNCTION_NAME, "test-function")
            .env(env::FUNCTION_VERSION, "$LATEST")
            .env(env::FUNCTION_MEMORY_SIZE, "128")
            .env(env::LOG_GROUP_NAME, "/aws/lambda/test-function")
            .env(env::LOG_STREAM_NAME, "2026/11/27/[$LATEST]0123456789abcdef")
            .env("AWS_REGION", "us-east-1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (name, value) in env {
            command.env(name, value);
        }
        command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {binary}: {e}"))
            .into()
    }
}

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        let violations = self.violations();
        if !violations.is_empty() && !std::thread::panicking() {
            panic!("the runtime broke the Runtime API's protocol: {violations:#?}");
        }
    }
}

fn violation(state: &State, what: String) {
    state.violations.lock().unwrap().push(what);
}

/// Checks an error type the runtime sent (`Lambda-Runtime-Function-Error-Type`, as a header of
/// `/error` or `/init/error` or a trailer of a streamed response).
fn check_error_type(state: &State, line: &RequestLine, error_type: Option<&str>) {
    match error_type {
        Some(value) if lambda_handler_protocol::error_types::is_valid_error_type(value) => {}
        Some(value) => violation(
            state,
            format!(
                "{} {}: error type {value:?} is not Lambda's (Runtime|Function)\\.[A-Z][a-zA-Z]+",
                line.method, line.path
            ),
        ),
        None => violation(
            state,
            format!(
                "{} {}: no {}",
                line.method,
                line.path,
                headers::FUNCTION_ERROR_TYPE
            ),
        ),
    }
}

async fn serve(listener: std::net::TcpListener, base_path: String, state: Arc<State>) {
    let listener = tokio::net::TcpListener::from_std(listener).unwrap();
    let base_path: Arc<str> = base_path.into();
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        stream.set_nodelay(true).unwrap();
        let connection = ConnectionId(state.connections.fetch_add(1, Ordering::SeqCst) + 1);
        state.open_connections.fetch_add(1, Ordering::SeqCst);
        let state = Arc::clone(&state);
        let base_path = Arc::clone(&base_path);
        tokio::spawn(async move {
            let service_state = Arc::clone(&state);
            let service = service_fn(move |mut request: Request<Incoming>| {
                request.extensions_mut().insert(connection);
                let state = Arc::clone(&service_state);
                let base_path = Arc::clone(&base_path);
                async move { route(request, &base_path, &state).await }
            });
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
            state.open_connections.fetch_sub(1, Ordering::SeqCst);
        });
    }
}

/// The number of the connection a request came on (see [`Received::connection`]).
#[derive(Clone, Copy)]
struct ConnectionId(usize);

/// Closes the connection instead of answering (hyper drops it when the service fails).
#[derive(Debug)]
struct Close;

impl std::fmt::Display for Close {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("scripted close")
    }
}

impl std::error::Error for Close {}

/// A reply's body: whole, or in two parts with a pause between them ([`Fault::SlowBody`]).
type ReplyBody = http_body_util::Either<Full<Bytes>, HalfThenRest>;

/// A body sent in two parts: the first at once, the rest after a pause.
struct HalfThenRest {
    first: Option<Bytes>,
    rest: Option<(std::pin::Pin<Box<tokio::time::Sleep>>, Bytes)>,
}

impl hyper::body::Body for HalfThenRest {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Bytes>, Self::Error>>> {
        use std::task::Poll;
        if let Some(first) = self.first.take() {
            return Poll::Ready(Some(Ok(hyper::body::Frame::data(first))));
        }
        let Some((pause, _)) = &mut self.rest else {
            return Poll::Ready(None);
        };
        if pause.as_mut().poll(cx).is_pending() {
            return Poll::Pending;
        }
        let (_, rest) = self.rest.take().expect("checked above");
        Poll::Ready(Some(Ok(hyper::body::Frame::data(rest))))
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        let len = self.first.as_ref().map_or(0, Bytes::len)
            + self.rest.as_ref().map_or(0, |(_, rest)| rest.len());
        hyper::body::SizeHint::with_exact(len as u64)
    }
}

async fn route(
    request: Request<Incoming>,
    base_path: &str,
    state: &State,
) -> Result<Response<ReplyBody>, Close> {
    let mut response = route_inner(request, base_path, state).await?;
    if state.close_every_reply.load(Ordering::SeqCst) {
        response.headers_mut().insert(
            hyper::header::CONNECTION,
            hyper::header::HeaderValue::from_static("close"),
        );
    }
    Ok(response)
}

fn take_fault(state: &State, route: Route) -> Option<Fault> {
    let number = {
        let mut counts = state.route_requests.lock().unwrap();
        let count = &mut counts[route as usize];
        *count += 1;
        *count
    };
    let mut faults = state.faults.lock().unwrap();
    let index = faults
        .iter()
        .position(|(r, at, _)| *r == route && at.is_none_or(|at| at == number))?;
    Some(faults.remove(index).2)
}

async fn route_inner(
    request: Request<Incoming>,
    base_path: &str,
    state: &State,
) -> Result<Response<ReplyBody>, Close> {
    let path = request.uri().path().to_owned();
    let api_path = path
        .strip_prefix(base_path)
        .and_then(|p| p.strip_prefix(API))
        .unwrap_or_default();
    let answer = paths::parse_answer(api_path).map(|(id, answer)| (id.to_owned(), answer));
    let is_init_error = api_path == paths::INIT_ERROR;
    let route = match &answer {
        _ if api_path == paths::NEXT => Some(Route::Next),
        Some((_, paths::Answer::Response)) => Some(Route::Response),
        Some((_, paths::Answer::Error)) => Some(Route::Error),
        None => None,
    };
    // rapid's router serves these paths with one method each, and nothing else.
    let method = if route == Some(Route::Next) {
        hyper::Method::GET
    } else {
        hyper::Method::POST
    };
    let path = path.strip_prefix(base_path).unwrap_or(&path).to_owned();
    if route.is_none() && !is_init_error {
        violation(
            state,
            format!("{} {path}: not a Runtime API path", request.method()),
        );
        return Ok(reply(StatusCode::NOT_FOUND, "404 page not found").map(whole));
    }
    if request.method() != method {
        violation(
            state,
            format!(
                "{} {path}: the Runtime API takes {method}",
                request.method()
            ),
        );
        return Ok(reply(StatusCode::METHOD_NOT_ALLOWED, "").map(whole));
    }
    if is_init_error {
        let line = request_line(&request, &path);
        let body = request
            .into_body()
            .collect()
            .await
            .map(|b| b.to_bytes().to_vec())
            .unwrap_or_default();
        check_error_type(
            state,
            &line,
            header_of(&line.headers, headers::FUNCTION_ERROR_TYPE),
        );
        let refused = state.environment.lock().unwrap().init_error();
        if refused.status != 202 {
            violation(state, format!("POST {path} after /next: {}", refused.body));
        }
        record(state, &line, body, None, Vec::new(), refused.status);
        let mut response = Response::new(whole(Full::new(Bytes::from(refused.body))));
        *response.status_mut() = StatusCode::from_u16(refused.status).unwrap();
        return Ok(response);
    }
    let is_next = route == Some(Route::Next);
    let mut fault = route.and_then(|r| take_fault(state, r));
    match fault {
        Some(Fault::Delay(delay)) => {
            tokio::time::sleep(delay).await;
            fault = None;
        }
        Some(Fault::DelayedStatus(status, delay)) => {
            tokio::time::sleep(delay).await;
            fault = Some(Fault::Status(status));
        }
        _ => {}
    }
    if matches!(fault, Some(Fault::CloseBeforeReply)) {
        if !is_next {
            record(
                state,
                &request_line(&request, &path),
                Vec::new(),
                None,
                Vec::new(),
                0,
            );
        }
        return Err(Close);
    }
    if let Some(Fault::LargeStatus(status, len)) = fault {
        if !is_next {
            record(
                state,
                &request_line(&request, &path),
                Vec::new(),
                None,
                Vec::new(),
                status,
            );
        }
        // An error reply's start, then filler: what a runtime must not log whole.
        let mut body = br#"{"errorMessage":"large","errorType":"Large","pad":""#.to_vec();
        body.resize(len, b'x');
        let mut response = Response::new(whole(Full::new(Bytes::from(body))));
        *response.status_mut() = StatusCode::from_u16(status).unwrap();
        return Ok(response);
    }
    if is_next {
        state.next_requests.fetch_add(1, Ordering::SeqCst);
        state.next_times.lock().unwrap().push(Instant::now());
        state.environment.lock().unwrap().next_requested();
        if let Some(Fault::Status(status)) = fault {
            let body = scripted(status, paths::Answer::Response).body;
            let mut response = Response::new(whole(Full::new(Bytes::from(body))));
            *response.status_mut() = StatusCode::from_u16(status).unwrap();
            return Ok(response);
        }
        let response = next_event(state).await;
        if let Some(Fault::SlowBody(pause)) = fault {
            return Ok(response.map(|body| {
                let body = ready_bytes(body);
                let half = body.len() / 2;
                http_body_util::Either::Right(HalfThenRest {
                    first: Some(body.slice(..half)),
                    rest: Some((Box::pin(tokio::time::sleep(pause)), body.slice(half..))),
                })
            }));
        }
        return Ok(response.map(whole));
    }
    let line = request_line(&request, &path);
    if let (Some(Fault::ReplyUnread(status, linger)), Some((id, kind))) = (fault, &answer) {
        if matches!(status, 403 | 410) {
            state.environment.lock().unwrap().close(id);
        }
        record(state, &line, Vec::new(), None, Vec::new(), status);
        let body = request.into_body();
        // The body is neither read nor dropped until the linger is over: the connection stays
        // open, and the client's write of it stalls.
        tokio::spawn(async move {
            tokio::time::sleep(linger).await;
            drop(body);
        });
        let body = Full::new(Bytes::from(scripted(status, *kind).body));
        let mut response = Response::new(whole(body));
        *response.status_mut() = StatusCode::from_u16(status).unwrap();
        return Ok(response);
    }
    // rapid reads an answer up to its mode's limit and refuses it (413) as soon as it is over,
    // without reading the rest.
    let streaming = answer.is_some()
        && ResponseMode::of(header_of(&line.headers, headers::RESPONSE_MODE).map(str::as_bytes))
            == Some(ResponseMode::Streaming);
    let limit = if streaming {
        limits::MAX_STREAMED_RESPONSE
    } else {
        limits::MAX_RESPONSE
    };
    let read = read_body(request.into_body(), limit).await;
    let (body, trailers, truncated) = (read.kept, read.trailers, read.truncated);
    let (status, reply_body) = match (fault, &answer) {
        // A body cut short (the runtime's connection broke): rapid closes the invocation and
        // answers 400 `TruncatedHTTPRequest` (see the protocol crate).
        (_, Some((id, _))) if truncated => {
            state.environment.lock().unwrap().close(id);
            let reply = Reply::truncated_http_request();
            (reply.status, reply.body)
        }
        (Some(Fault::Status(status)), answer) => {
            let kind = answer
                .as_ref()
                .map_or(paths::Answer::Response, |(_, kind)| *kind);
            (status, scripted(status, kind).body)
        }
        // The status and body Lambda's Runtime API gives (rapid's, see the protocol crate).
        (_, Some((id, kind))) => {
            let mode = line
                .headers
                .iter()
                .find(|(name, _)| name == headers::RESPONSE_MODE)
                .map(|(_, value)| value.as_bytes());
            let echoed = line
                .headers
                .iter()
                .find(|(name, _)| name == headers::INVOCATION_ID)
                .map(|(_, value)| value.as_str());
            let len = match fault {
                // Over the limit of the response's mode.
                Some(Fault::TooLarge) => limit + 1,
                _ => read.len,
            };
            let mut environment = state.environment.lock().unwrap();
            // Only a response has a mode; an error report is always whole.
            let (_, reply) = match (kind, ResponseMode::of(mode)) {
                (paths::Answer::Response, Some(ResponseMode::Streaming)) => {
                    environment.answer_streamed(id, echoed, len)
                }
                (paths::Answer::Response, None) => environment.answer_in_unknown_mode(id, echoed),
                _ => environment.answer(id, echoed, *kind, len),
            };
            (reply.status, reply.body)
        }
        (_, None) => (202, "{\"status\":\"OK\"}".to_owned()),
    };
    match &answer {
        Some((_, paths::Answer::Error)) => check_error_type(
            state,
            &line,
            header_of(&line.headers, headers::FUNCTION_ERROR_TYPE),
        ),
        _ => {
            if let Some(error_type) = header_of(&trailers, headers::FUNCTION_ERROR_TYPE) {
                check_error_type(state, &line, Some(error_type));
            }
        }
    }
    record(
        state,
        &line,
        body.to_vec(),
        Some(read.len),
        trailers,
        status,
    );
    if matches!(fault, Some(Fault::AcceptThenClose)) {
        return Err(Close);
    }
    let mut response = Response::new(whole(Full::new(Bytes::from(reply_body))));
    *response.status_mut() = StatusCode::from_u16(status).unwrap();
    Ok(response)
}

/// An answer's body as the server read it.
struct ReadBody {
    /// Its bytes, up to [`KEPT`].
    kept: Bytes,
    /// How many bytes were read: over the limit, the limit and one.
    len: usize,
    trailers: Vec<(String, String)>,
    /// The connection broke before the body's end.
    truncated: bool,
}

/// How much of a body the server keeps for the test to read: streamed responses of up to
/// 200 MiB are counted, not kept whole.
const KEPT: usize = 64 << 20;

/// Reads `body` frame by frame, up to `limit` bytes and one more (then stops, as rapid does).
async fn read_body(mut body: Incoming, limit: usize) -> ReadBody {
    let mut read = ReadBody {
        kept: Bytes::new(),
        len: 0,
        trailers: Vec::new(),
        truncated: false,
    };
    let mut kept = Vec::new();
    while read.len <= limit {
        match body.frame().await {
            None => break,
            Some(Err(_)) => {
                read.truncated = true;
                break;
            }
            Some(Ok(frame)) => match frame.into_data() {
                Ok(data) => {
                    read.len += data.len();
                    let room = KEPT.saturating_sub(kept.len());
                    kept.extend_from_slice(&data[..data.len().min(room)]);
                }
                Err(frame) => {
                    if let Some(trailers) = frame.trailers_ref() {
                        read.trailers = pairs(trailers);
                    }
                }
            },
        }
    }
    read.len = read.len.min(limit + 1);
    read.kept = kept.into();
    read
}

fn whole(body: Full<Bytes>) -> ReplyBody {
    http_body_util::Either::Left(body)
}

/// The bytes of a whole body (one that is ready: `Full`).
fn ready_bytes(body: Full<Bytes>) -> Bytes {
    use hyper::body::Body;
    let mut body = std::pin::pin!(body);
    let waker = std::task::Waker::noop();
    let mut cx = std::task::Context::from_waker(waker);
    match body.as_mut().poll_frame(&mut cx) {
        std::task::Poll::Ready(Some(Ok(frame))) => frame.into_data().unwrap_or_default(),
        _ => Bytes::new(),
    }
}

/// The reply Lambda's Runtime API gives with `status` (rapid's bodies, see the protocol crate),
/// for a scripted fault.
fn scripted(status: u16, answer: paths::Answer) -> Reply {
    match status {
        400 => Reply::invalid_request_id(),
        403 => Reply::invalid_state_transition("RuntimeResponseSentState", answer),
        410 => Reply::invoke_timeout(),
        413 => Reply::request_entity_too_large(),
        500 => Reply::internal_server_error(),
        _ => Reply {
            status,
            body: "{\"errorMessage\":\"scripted\"}".to_owned(),
        },
    }
}

struct RequestLine {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    connection: usize,
}

fn request_line(request: &Request<Incoming>, path: &str) -> RequestLine {
    RequestLine {
        method: request.method().to_string(),
        path: path.to_owned(),
        headers: pairs(request.headers()),
        connection: request
            .extensions()
            .get::<ConnectionId>()
            .map_or(0, |id| id.0),
    }
}

/// Header names and values as strings.
fn pairs(headers: &hyper::HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(n, v)| {
            (
                n.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect()
}

fn header_of<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

fn record(
    state: &State,
    line: &RequestLine,
    body: Vec<u8>,
    len: Option<usize>,
    trailers: Vec<(String, String)>,
    status: u16,
) {
    let received = Received {
        method: line.method.clone(),
        path: line.path.clone(),
        headers: line.headers.clone(),
        len: len.unwrap_or(body.len()),
        connection: line.connection,
        body,
        trailers,
        status,
    };
    let mut all = state.received.lock().unwrap();
    if status == 202 {
        state.accepted.fetch_add(1, Ordering::SeqCst);
    }
    all.push(received);
    state.answered.notify_all();
}

async fn next_event(state: &State) -> Response<Full<Bytes>> {
    let event = loop {
        let notified = state.event_queued.notified();
        if let Some(event) = state.events.lock().unwrap().pop_front() {
            break event;
        }
        notified.await;
    };
    let deadline = SystemTime::now().duration_since(UNIX_EPOCH).unwrap() + Duration::from_secs(3);
    // As Lambda sends them: a new trace id and a new invocation id with every invocation.
    let mut fields = vec![
        ("content-type".to_owned(), "application/json".to_owned()),
        (headers::REQUEST_ID.to_owned(), event.request_id.clone()),
        (headers::INVOCATION_ID.to_owned(), ids::request_id()),
        (
            headers::DEADLINE_MS.to_owned(),
            deadline.as_millis().to_string(),
        ),
        (
            headers::FUNCTION_ARN.to_owned(),
            "arn:aws:lambda:us-east-1:123456789012:function:test-function".to_owned(),
        ),
        (headers::TRACE_ID.to_owned(), ids::trace_id()),
    ];
    for (name, value) in event.headers {
        fields.retain(|(n, _)| *n != name);
        fields.push((name, value));
    }
    fields.retain(|(name, _)| !event.without.contains(name));
    {
        // The attempt rapid expects an answer to echo, if `/next` gave one.
        let invocation_id = fields
            .iter()
            .find(|(name, _)| name == headers::INVOCATION_ID)
            .map_or("", |(_, value)| value.as_str());
        let mut environment = state.environment.lock().unwrap();
        environment.handed_out(&event.request_id, invocation_id);
        state
            .most_in_flight
            .fetch_max(environment.in_flight().len(), Ordering::SeqCst);
    }
    let mut response = Response::new(Full::new(Bytes::from(event.body)));
    for (name, value) in fields {
        response.headers_mut().insert(
            hyper::header::HeaderName::from_bytes(name.as_bytes()).unwrap(),
            hyper::header::HeaderValue::from_str(&value).unwrap(),
        );
    }
    response
}

fn reply(status: StatusCode, body: &'static str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    *response.status_mut() = status;
    response
}
