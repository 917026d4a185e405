//! An S3 event notification handler: each record names a bucket and an object key (URL-encoded
//! by S3, `+` for a space).

use aws_lambda_events::s3::S3Event;
use lambda_handler::lambda_handler;
use serde_json::{Value, json};

#[lambda_handler]
fn objects(event: S3Event) -> Value {
    let objects: Vec<Value> = event
        .records
        .iter()
        .map(|record| {
            json!({
                "event": record.event_name,
                "bucket": record.s3.bucket.name,
                "key": record.s3.object.key.as_deref().map(decode_key),
                "size": record.s3.object.size,
            })
        })
        .collect();
    json!({ "objects": objects })
}

/// S3 keys arrive form-encoded: `+` for a space, `%XX` for other bytes.
fn decode_key(key: &str) -> String {
    let bytes = key.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'%')
            .then(|| bytes.get(i + 1..i + 3))
            .flatten()
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match (bytes[i], escaped) {
            (_, Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (b'+', None) => {
                out.push(b' ');
                i += 1;
            }
            (byte, None) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn main() {
    lambda_handler::run()
}
