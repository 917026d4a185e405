//! The least the seed handler needs on lambda-handler's stack: a keep-alive hyper
//! connection on a current-thread tokio runtime, `GET next`, the event through serde_json,
//! `POST response`. No error reporting, context, logs, local mode or concurrency: what is
//! left is what tokio, hyper and serde_json cost, the floor under any runtime built on them.

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use serde::{Deserialize, Serialize};

#[derive(Deserialize)]
struct Name {
    first_name: String,
    last_name: String,
    /// The bench's large answer, as the measured handlers have it (the size compares like
    /// with like).
    #[serde(default)]
    repeat: Option<usize>,
}

#[derive(Serialize)]
struct Greeting {
    message: String,
}

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .expect("runtime");
    runtime.block_on(serve());
}

async fn serve() {
    let endpoint = std::env::var("AWS_LAMBDA_RUNTIME_API").expect("AWS_LAMBDA_RUNTIME_API");
    let stream = tokio::net::TcpStream::connect(&endpoint)
        .await
        .expect("connect");
    stream.set_nodelay(true).expect("nodelay");
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
            .await
            .expect("handshake");
    tokio::spawn(connection);
    let base = format!("http://{endpoint}/2018-06-01/runtime/invocation");
    loop {
        let next = hyper::Request::get(format!("{base}/next"))
            .body(Full::new(Bytes::new()))
            .expect("request");
        let reply = sender.send_request(next).await.expect("next");
        let id = reply.headers()["lambda-runtime-aws-request-id"]
            .to_str()
            .expect("id")
            .to_owned();
        let event = reply.into_body().collect().await.expect("body").to_bytes();
        let name: Name = serde_json::from_slice(&event).expect("event");
        let greeting = Greeting {
            message: {
                let message = format!("Hello {} {}!", name.first_name, name.last_name);
                match name.repeat {
                    Some(times) => message.repeat(times),
                    None => message,
                }
            },
        };
        let answer = hyper::Request::post(format!("{base}/{id}/response"))
            .body(Full::new(Bytes::from(
                serde_json::to_vec(&greeting).expect("json"),
            )))
            .expect("request");
        let accepted = sender.send_request(answer).await.expect("response");
        accepted.into_body().collect().await.expect("body");
    }
}
