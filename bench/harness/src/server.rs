//! The harness's Runtime API on 127.0.0.1: hands out queued events on `/next` and records
//! when each was handed out and answered. Kept lean so that it is not what is measured.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::header::{HeaderName, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::sync::Notify;

#[derive(Default)]
pub struct Log {
    pub first_next: Option<Instant>,
    /// When each invocation was handed out, by sequence number.
    pub handed: Vec<Option<Instant>>,
    /// When each was answered.
    pub answered: Vec<Option<Instant>>,
    pub answers: usize,
    /// The answer count the harness waits for: the server wakes it only then, so that a
    /// wake-up per answer (a futex call and two context switches on the shared core) is not
    /// counted against the handler.
    awaited: usize,
    pub failures: usize,
    pub first_body: Option<Bytes>,
}

#[derive(Default)]
struct State {
    /// Bumped by every reset. Each reset also listens on a new port, and a connection
    /// serves only the generation it was accepted in: a request a stopped process left
    /// behind (a `/next` it sent just before it died, still in the socket) must neither take
    /// nor answer the next run's events.
    generation: AtomicUsize,
    events: Mutex<VecDeque<(usize, Bytes)>>,
    queued: Notify,
    log: Mutex<Log>,
    answered: Condvar,
    connections: AtomicUsize,
}

pub struct Server {
    /// Where this generation listens; a new port after every reset.
    pub addr: SocketAddr,
    state: Arc<State>,
    next_seq: usize,
    runtime: tokio::runtime::Handle,
    accepting: tokio::task::JoinHandle<()>,
}

impl Server {
    pub fn start() -> Self {
        let (handle, receive) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            handle.send(runtime.handle().clone()).unwrap();
            runtime.block_on(std::future::pending::<()>());
        });
        let runtime = receive.recv().unwrap();
        let state = Arc::new(State::default());
        let (addr, accepting) = listen(&runtime, &state);
        Server {
            addr,
            state,
            next_seq: 0,
            runtime,
            accepting,
        }
    }

    /// Forgets the last run, and listens on a new port.
    pub fn reset(&mut self) {
        self.accepting.abort();
        self.state.generation.fetch_add(1, Ordering::SeqCst);
        self.state.queued.notify_waiters();
        *self.state.log.lock().unwrap() = Log::default();
        self.state.events.lock().unwrap().clear();
        self.state.connections.store(0, Ordering::SeqCst);
        self.next_seq = 0;
        (self.addr, self.accepting) = listen(&self.runtime, &self.state);
    }

    /// Queues `count` copies of `body`.
    pub fn push(&mut self, body: &Bytes, count: usize) {
        let mut events = self.state.events.lock().unwrap();
        let mut log = self.state.log.lock().unwrap();
        for _ in 0..count {
            events.push_back((self.next_seq, body.clone()));
            self.next_seq += 1;
            log.handed.push(None);
            log.answered.push(None);
        }
        drop((events, log));
        // Every waiting `GET next` (several, with a concurrency above 1), and a permit for
        // one about to wait.
        self.state.queued.notify_waiters();
        self.state.queued.notify_one();
    }

    /// Waits until `count` answers in all have arrived; panics after `timeout`.
    pub fn wait_answers(&self, count: usize, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        let mut log = self.state.log.lock().unwrap();
        log.awaited = count;
        while log.answers < count {
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(
                !left.is_zero(),
                "timed out waiting for {count} answers, got {}",
                log.answers
            );
            log = self.state.answered.wait_timeout(log, left).unwrap().0;
        }
    }

    /// Waits for the first `GET next`.
    pub fn wait_first_next(&self, timeout: Duration) -> Instant {
        let deadline = Instant::now() + timeout;
        let mut log = self.state.log.lock().unwrap();
        loop {
            if let Some(at) = log.first_next {
                return at;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(!left.is_zero(), "no GET next arrived");
            log = self.state.answered.wait_timeout(log, left).unwrap().0;
        }
    }

    pub fn with_log<T>(&self, f: impl FnOnce(&Log) -> T) -> T {
        f(&self.state.log.lock().unwrap())
    }

    pub fn connections(&self) -> usize {
        self.state.connections.load(Ordering::SeqCst)
    }
}

/// Binds a new port for the current generation and accepts its connections.
fn listen(
    runtime: &tokio::runtime::Handle,
    state: &Arc<State>,
) -> (SocketAddr, tokio::task::JoinHandle<()>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    let generation = state.generation.load(Ordering::SeqCst);
    let accepting = runtime.spawn(accept(listener, Arc::clone(state), generation));
    (addr, accepting)
}

async fn accept(listener: std::net::TcpListener, state: Arc<State>, generation: usize) {
    let listener = tokio::net::TcpListener::from_std(listener).unwrap();
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        stream.set_nodelay(true).unwrap();
        state.connections.fetch_add(1, Ordering::SeqCst);
        let state = Arc::clone(&state);
        tokio::spawn(async move {
            let service = service_fn(move |request| {
                let state = Arc::clone(&state);
                async move { Ok::<_, Infallible>(route(request, &state, generation).await) }
            });
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

const NEXT: &str = "/2018-06-01/runtime/invocation/next";
const PREFIX: &str = "/2018-06-01/runtime/invocation/";

async fn route(
    request: Request<Incoming>,
    state: &State,
    generation: usize,
) -> Response<Full<Bytes>> {
    if state.generation.load(Ordering::SeqCst) != generation {
        return gone();
    }
    if request.uri().path() == NEXT {
        return next(state, generation).await;
    }
    let path = request.uri().path().to_owned();
    let body = read_answer(request.into_body(), state).await;
    let now = Instant::now();
    let answer = path
        .strip_prefix(PREFIX)
        .and_then(|rest| rest.split_once('/'));
    let mut log = state.log.lock().unwrap();
    if let Some((id, kind)) = answer {
        let seq =
            usize::from_str_radix(id.rsplit('-').next().unwrap_or(""), 16).unwrap_or(usize::MAX);
        if let Some(slot) = log.answered.get_mut(seq) {
            *slot = Some(now);
        }
        log.answers += 1;
        if kind != "response" {
            log.failures += 1;
        }
        if let Some(body) = body {
            log.first_body.get_or_insert(body);
        }
    }
    let reached = log.answers == log.awaited;
    drop(log);
    if reached {
        state.answered.notify_all();
    }
    let mut response = Response::new(Full::new(Bytes::from_static(b"{\"status\":\"OK\"}")));
    *response.status_mut() = StatusCode::ACCEPTED;
    response
}

/// Reads an answer's body; keeps it only while no answer has been kept yet (the harness checks
/// the first one). Later bodies are dropped frame by frame, so that the server does not copy a
/// 1 MiB answer into one buffer it then throws away: that copy would be the rig's cost, counted
/// against the handler on the shared core.
async fn read_answer(mut body: Incoming, state: &State) -> Option<Bytes> {
    if state.log.lock().unwrap().first_body.is_none() {
        return body.collect().await.ok().map(|b| b.to_bytes());
    }
    while let Some(Ok(_)) = body.frame().await {}
    None
}

fn gone() -> Response<Full<Bytes>> {
    let mut gone = Response::new(Full::new(Bytes::new()));
    *gone.status_mut() = StatusCode::GONE;
    gone
}

async fn next(state: &State, generation: usize) -> Response<Full<Bytes>> {
    {
        let mut log = state.log.lock().unwrap();
        if log.first_next.is_none() {
            log.first_next = Some(Instant::now());
            drop(log);
            state.answered.notify_all();
        }
    }
    let (seq, body) = loop {
        // Registered before the queue is looked at, so that `notify_waiters` reaches it.
        let mut queued = std::pin::pin!(state.queued.notified());
        queued.as_mut().enable();
        if state.generation.load(Ordering::SeqCst) != generation {
            return gone();
        }
        if let Some(event) = state.events.lock().unwrap().pop_front() {
            break event;
        }
        queued.await;
    };
    let deadline = SystemTime::now().duration_since(UNIX_EPOCH).unwrap() + Duration::from_secs(60);
    let mut response = Response::new(Full::new(body));
    let headers = response.headers_mut();
    let mut set = |name: &'static str, value: String| {
        headers.insert(
            HeaderName::from_static(name),
            HeaderValue::from_str(&value).unwrap(),
        );
    };
    set("content-type", "application/json".into());
    set(
        "lambda-runtime-aws-request-id",
        format!("8476a536-e9f4-11e8-9739-{seq:012x}"),
    );
    // A nonce of this attempt, as Lambda sends one since July 2026; runtimes echo it.
    set(
        "lambda-runtime-invocation-id",
        format!("5c3f42cd-8ad8-4e1a-9b7d-{seq:012x}"),
    );
    set(
        "lambda-runtime-deadline-ms",
        deadline.as_millis().to_string(),
    );
    set(
        "lambda-runtime-invoked-function-arn",
        "arn:aws:lambda:us-east-1:123456789012:function:bench".into(),
    );
    // A new trace id with every invocation, as Lambda sends them: a runtime that keeps some
    // state per distinct trace id (glibc's `setenv`) grows here as it would on Lambda.
    set(
        "lambda-runtime-trace-id",
        format!("Root=1-5759e988-{seq:024x};Parent=53995c3f42cd8ad8;Sampled=1"),
    );
    state.log.lock().unwrap().handed[seq] = Some(Instant::now());
    response
}
