//! The event-stream framing (`headers::EVENT_STREAM`) of `InvokeWithResponseStream`'s reply: a
//! `PayloadChunk` event per chunk of the response, then one `InvokeComplete` event.
//!
//! A message is: its total length and its headers' length (4 bytes each, big-endian), the CRC32
//! of those 8 bytes, the headers, the payload, and the CRC32 of everything before it. A header
//! is its name's length (1 byte), the name, its value type (7: a string), the value's length
//! (2 bytes) and the value. AWS SDKs check both CRCs (botocore's `eventstream.py`).

use hyper::body::Bytes;

/// The `PayloadChunk` event: `bytes` as the function streamed them.
pub(crate) fn payload_chunk(bytes: &[u8]) -> Bytes {
    message(
        &[
            (":event-type", "PayloadChunk"),
            (":content-type", "application/octet-stream"),
            (":message-type", "event"),
        ],
        bytes,
    )
}

/// How an invocation ended, as `InvokeComplete` reports it.
#[derive(Debug, Default)]
pub(crate) struct Complete {
    /// The error type, when the function failed.
    pub(crate) error_code: Option<String>,
    /// The error's JSON (`errorMessage`, `errorType`, ...), when it failed.
    pub(crate) error_details: Option<String>,
    /// The last 4 KB of the log, base64, when the caller asked (`LogType: Tail`).
    pub(crate) log_result: Option<String>,
}

/// The `InvokeComplete` event, the stream's last.
pub(crate) fn invoke_complete(complete: &Complete) -> Bytes {
    let mut fields = serde_json::Map::new();
    for (name, value) in [
        ("ErrorCode", &complete.error_code),
        ("ErrorDetails", &complete.error_details),
        ("LogResult", &complete.log_result),
    ] {
        if let Some(value) = value {
            fields.insert(name.to_owned(), value.clone().into());
        }
    }
    let payload = serde_json::Value::Object(fields).to_string();
    message(
        &[
            (":event-type", "InvokeComplete"),
            (":content-type", "application/json"),
            (":message-type", "event"),
        ],
        payload.as_bytes(),
    )
}

fn message(headers: &[(&str, &str)], payload: &[u8]) -> Bytes {
    let mut encoded_headers = Vec::new();
    for (name, value) in headers {
        encoded_headers.push(name.len() as u8);
        encoded_headers.extend_from_slice(name.as_bytes());
        encoded_headers.push(7);
        encoded_headers.extend_from_slice(&(value.len() as u16).to_be_bytes());
        encoded_headers.extend_from_slice(value.as_bytes());
    }
    let total = 12 + encoded_headers.len() + payload.len() + 4;
    let mut message = Vec::with_capacity(total);
    message.extend_from_slice(&(total as u32).to_be_bytes());
    message.extend_from_slice(&(encoded_headers.len() as u32).to_be_bytes());
    let prelude_crc = crc32(&message);
    message.extend_from_slice(&prelude_crc.to_be_bytes());
    message.extend_from_slice(&encoded_headers);
    message.extend_from_slice(payload);
    let message_crc = crc32(&message);
    message.extend_from_slice(&message_crc.to_be_bytes());
    Bytes::from(message)
}

/// CRC-32 (IEEE 802.3, zlib's), bit by bit: messages are few, and this needs no table.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = (crc >> 1) ^ (0xEDB8_8320 & (crc & 1).wrapping_neg());
        }
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_is_zlibs() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b""), 0);
    }

    /// The framing, read back as an SDK reads it.
    #[test]
    fn a_message_reads_back() {
        let frame = payload_chunk(b"hello");
        let total = u32::from_be_bytes(frame[0..4].try_into().unwrap()) as usize;
        let headers_len = u32::from_be_bytes(frame[4..8].try_into().unwrap()) as usize;
        assert_eq!(total, frame.len());
        assert_eq!(
            u32::from_be_bytes(frame[8..12].try_into().unwrap()),
            crc32(&frame[..8])
        );
        assert_eq!(&frame[12 + headers_len..total - 4], b"hello");
        assert_eq!(
            u32::from_be_bytes(frame[total - 4..].try_into().unwrap()),
            crc32(&frame[..total - 4])
        );
        let headers = &frame[12..12 + headers_len];
        assert_eq!(headers[0] as usize, ":event-type".len());
        assert_eq!(&headers[1..12], b":event-type");
        assert_eq!(headers[12], 7);
        assert_eq!(&headers[15..27], b"PayloadChunk");
    }

    #[test]
    fn invoke_complete_leaves_out_what_is_absent() {
        let frame = invoke_complete(&Complete {
            error_code: Some("Function.Broke".into()),
            ..Complete::default()
        });
        let text = String::from_utf8_lossy(&frame);
        assert!(text.contains(r#"{"ErrorCode":"Function.Broke"}"#), "{text}");
    }
}
