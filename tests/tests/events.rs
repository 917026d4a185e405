//! Real event types (`aws_lambda_events`) through the Runtime API, with the sample events AWS
//! documents for each service (`tests/events/`): an HTTP API request and its HTTP response, an
//! SQS batch with partial failures, an S3 notification.

use std::time::Duration;

use lambda_handler_tests::{Binary, Event, RuntimeApi};
use serde_json::{Value, json};

static APIGW: Binary = Binary::example("apigw_http");
static SQS: Binary = Binary::example("sqs_batch");
static S3: Binary = Binary::example("s3_notification");

fn sample(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("events")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The answer `binary` gives each event, in order.
fn answers(binary: &Binary, events: &[String]) -> Vec<Value> {
    let api = RuntimeApi::start();
    let mut process = api.spawn(binary.path(), &[]);
    for (i, event) in events.iter().enumerate() {
        api.push(Event::new(format!("event-{i}"), event.as_str()));
    }
    let answers = api.wait_for_accepted(events.len(), Duration::from_secs(30));
    assert!(process.is_running());
    answers
        .iter()
        .map(|answer| {
            assert!(answer.path.ends_with("/response"), "{answer:?}");
            answer.json()
        })
        .collect()
}

#[test]
fn an_http_api_request_gets_an_http_response() {
    let found = sample("apigw-http-v2.json");
    let missing = found.replace(r#""rawPath": "/hello""#, r#""rawPath": "/nope""#);
    let answers = answers(&APIGW, &[found, missing]);
    let ok = &answers[0];
    assert_eq!(ok["statusCode"], 200);
    assert_eq!(ok["headers"], json!({"content-type": "application/json"}));
    assert_eq!(ok["isBase64Encoded"], false);
    let body: Value = serde_json::from_str(ok["body"].as_str().unwrap()).unwrap();
    assert_eq!(
        body,
        json!({"message": "Hello Ada!", "request_id": "event-0"})
    );
    assert_eq!(answers[1]["statusCode"], 404);
    assert!(
        answers[1]["body"]
            .as_str()
            .unwrap()
            .contains("no route for GET /nope")
    );
}

#[test]
fn an_sqs_batch_reports_its_failed_messages_only() {
    let answers = answers(&SQS, &[sample("sqs-batch.json")]);
    assert_eq!(
        answers[0],
        json!({"batchItemFailures": [
            {"itemIdentifier": "2e1424d4-f796-459a-8184-9c92662be6da"},
            {"itemIdentifier": "a1b2c3d4-0000-4000-8000-000000000003"},
        ]})
    );
}

#[test]
fn an_s3_notification_names_its_objects() {
    let answers = answers(&S3, &[sample("s3-put.json")]);
    assert_eq!(
        answers[0],
        json!({"objects": [{
            "event": "ObjectCreated:Put",
            "bucket": "DOC-EXAMPLE-BUCKET",
            "key": "photos/my photo(1).jpg",
            "size": 1305107,
        }]})
    );
}
