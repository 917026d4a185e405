//! The least a Lambda runtime can do over the Runtime API: the floor the harness measures
//! the runtimes against. Deliberately raw (no HTTP library, no JSON): it reads only what it
//! must to stay in step with the harness's own server.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;

/// Connects to `AWS_LAMBDA_RUNTIME_API`.
pub fn connect() -> TcpStream {
    let endpoint = std::env::var("AWS_LAMBDA_RUNTIME_API").expect("AWS_LAMBDA_RUNTIME_API");
    let stream = TcpStream::connect(endpoint).expect("connect");
    stream.set_nodelay(true).expect("nodelay");
    stream
}

/// `GET /next` as bytes.
pub const NEXT: &[u8] =
    b"GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nhost: runtime\r\n\r\n";

/// Reads one response: its request id header (if any) and its body.
pub fn read_reply(reader: &mut BufReader<TcpStream>, body: &mut Vec<u8>) -> String {
    let mut line = String::new();
    let mut length = 0;
    let mut request_id = String::new();
    loop {
        line.clear();
        reader.read_line(&mut line).expect("read");
        let header = line.trim_end();
        if header.is_empty() {
            break;
        }
        let lower = header.to_ascii_lowercase();
        if let Some(value) = lower.strip_prefix("content-length:") {
            length = value.trim().parse().expect("length");
        } else if lower.starts_with("lambda-runtime-aws-request-id:") {
            request_id = header["lambda-runtime-aws-request-id:".len()..]
                .trim()
                .to_owned();
        }
    }
    body.resize(length, 0);
    reader.read_exact(body).expect("body");
    request_id
}

/// Serves invocations forever with a constant response.
pub fn serve() -> ! {
    let stream = connect();
    let mut writer = stream.try_clone().expect("clone");
    let mut reader = BufReader::new(stream);
    let mut body = Vec::new();
    let mut request = Vec::new();
    loop {
        writer.write_all(NEXT).expect("write");
        let id = read_reply(&mut reader, &mut body);
        request.clear();
        write!(
            request,
            "POST /2018-06-01/runtime/invocation/{id}/response HTTP/1.1\r\nhost: runtime\r\ncontent-length: 2\r\n\r\n{{}}"
        )
        .expect("format");
        writer.write_all(&request).expect("write");
        read_reply(&mut reader, &mut body);
    }
}

/// [`serve`] on `AWS_LAMBDA_MAX_CONCURRENCY` connections at once, a blocking thread each:
/// the floor of the Managed Instances table (one thread per loop is the least code; the
/// kernel's wake-ups are the cost it cannot avoid).
pub fn serve_concurrently() -> ! {
    let loops: usize = std::env::var("AWS_LAMBDA_MAX_CONCURRENCY")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(1)
        .max(1);
    for _ in 1..loops {
        std::thread::spawn(|| serve());
    }
    serve()
}
