//! How Lambda writes its log lines: the timestamp every line carries, and the platform's own
//! lines around an invocation (`START`, `END`, `REPORT`, or their JSON forms when the function
//! logs JSON, `AWS_LAMBDA_LOG_FORMAT=JSON`).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// RFC 3339 in UTC with milliseconds, as Lambda's lines carry it.
pub fn timestamp(time: SystemTime) -> String {
    let since = time.duration_since(UNIX_EPOCH).unwrap_or_default();
    let (days, seconds) = (since.as_secs() / 86_400, since.as_secs() % 86_400);
    // Days to a civil date (Howard Hinnant's `civil_from_days`).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        seconds / 3_600,
        seconds / 60 % 60,
        seconds % 60,
        since.subsec_millis()
    )
}

/// How an invocation ended, as the platform's report says it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Answered with a response.
    Success,
    /// Answered with an error (the function's, or the runtime's).
    Error,
    /// Its deadline passed first.
    Timeout,
}

impl Status {
    fn name(self) -> &'static str {
        match self {
            Status::Success => "success",
            Status::Error => "error",
            Status::Timeout => "timeout",
        }
    }
}

/// What the platform's report says of an invocation.
#[derive(Clone, Copy, Debug)]
pub struct Report<'a> {
    /// The invocation.
    pub request_id: &'a str,
    /// How long it ran.
    pub duration: Duration,
    /// The function's memory, MB.
    pub memory_size_mb: u32,
    /// The most the process held, MB.
    pub max_memory_used_mb: u64,
    /// How it ended.
    pub status: Status,
    /// The function timeout, for a timeout's line.
    pub timeout: Duration,
}

/// The platform's line when an invocation starts: `START RequestId: .. Version: $LATEST`, or
/// `{"time":..,"type":"platform.start","record":{"requestId":..,"version":"$LATEST"}}`.
pub fn start(request_id: &str, json: bool, now: SystemTime) -> String {
    if json {
        format!(
            r#"{{"time":"{}","type":"platform.start","record":{{"requestId":"{request_id}","version":"$LATEST"}}}}"#,
            timestamp(now)
        ) + "\n"
    } else {
        format!("START RequestId: {request_id} Version: $LATEST\n")
    }
}

/// The platform's lines when an invocation ends: for a timeout, Lambda's `Task timed out after
/// 3.00 seconds` line first; then `END` and `REPORT` (with `Status: timeout` after a timeout),
/// or `platform.report` with its metrics and status.
pub fn end(report: &Report<'_>, json: bool, now: SystemTime) -> String {
    let millis = report.duration.as_secs_f64() * 1e3;
    let billed = millis.ceil();
    let id = report.request_id;
    if json {
        return format!(
            r#"{{"time":"{}","type":"platform.report","record":{{"requestId":"{id}","metrics":{{"durationMs":{millis:.2},"billedDurationMs":{billed},"memorySizeMB":{},"maxMemoryUsedMB":{}}},"status":"{}"}}}}"#,
            timestamp(now),
            report.memory_size_mb,
            report.max_memory_used_mb,
            report.status.name()
        ) + "\n";
    }
    let mut lines = String::new();
    if report.status == Status::Timeout {
        lines.push_str(&format!(
            "{} {id} Task timed out after {:.2} seconds\n\n",
            timestamp(now),
            report.timeout.as_secs_f64()
        ));
    }
    let status = if report.status == Status::Timeout {
        "Status: timeout"
    } else {
        ""
    };
    lines.push_str(&format!(
        "END RequestId: {id}\nREPORT RequestId: {id}\tDuration: {millis:.2} ms\tBilled Duration: {billed} ms\tMemory Size: {} MB\tMax Memory Used: {} MB\t{status}\n",
        report.memory_size_mb, report.max_memory_used_mb,
    ));
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_rfc_3339_in_utc() {
        let at = |ms: u64| timestamp(UNIX_EPOCH + Duration::from_millis(ms));
        assert_eq!(at(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(at(951_782_400_000), "2000-02-29T00:00:00.000Z");
        assert_eq!(at(1_764_477_003_123), "2025-11-30T04:30:03.123Z");
        assert_eq!(at(4_102_444_799_999), "2099-12-31T23:59:59.999Z");
        // Across the calendar's century rules: 2100 is no leap year, 2400 is.
        assert_eq!(at(4_107_542_400_000), "2100-03-01T00:00:00.000Z");
        assert_eq!(at(7_289_568_000_000), "2200-12-31T00:00:00.000Z");
        assert_eq!(at(13_574_563_200_000), "2400-02-29T00:00:00.000Z");
        assert_eq!(at(946_684_799_000), "1999-12-31T23:59:59.000Z");
    }

    fn report(status: Status) -> Report<'static> {
        Report {
            request_id: "r-1",
            duration: Duration::from_micros(1_234_500),
            memory_size_mb: 128,
            max_memory_used_mb: 7,
            status,
            timeout: Duration::from_secs(1),
        }
    }

    #[test]
    fn text_lines_are_lambdas() {
        let at = UNIX_EPOCH + Duration::from_millis(1_764_477_003_123);
        assert_eq!(
            start("r-1", false, at),
            "START RequestId: r-1 Version: $LATEST\n"
        );
        assert_eq!(
            end(&report(Status::Success), false, at),
            "END RequestId: r-1\nREPORT RequestId: r-1\tDuration: 1234.50 ms\tBilled Duration: 1235 ms\tMemory Size: 128 MB\tMax Memory Used: 7 MB\t\n"
        );
        let timed_out = end(&report(Status::Timeout), false, at);
        assert!(
            timed_out.starts_with(
                "2025-11-30T04:30:03.123Z r-1 Task timed out after 1.00 seconds\n\nEND RequestId: r-1\n"
            ),
            "{timed_out}"
        );
        assert!(
            timed_out.ends_with("Max Memory Used: 7 MB\tStatus: timeout\n"),
            "{timed_out}"
        );
    }

    #[test]
    fn json_lines_are_lambdas_platform_events() {
        let at = UNIX_EPOCH + Duration::from_millis(1_764_477_003_123);
        assert_eq!(
            start("r-1", true, at),
            "{\"time\":\"2025-11-30T04:30:03.123Z\",\"type\":\"platform.start\",\"record\":{\"requestId\":\"r-1\",\"version\":\"$LATEST\"}}\n"
        );
        let report = end(&report(Status::Timeout), true, at);
        assert_eq!(
            report,
            "{\"time\":\"2025-11-30T04:30:03.123Z\",\"type\":\"platform.report\",\"record\":{\"requestId\":\"r-1\",\"metrics\":{\"durationMs\":1234.50,\"billedDurationMs\":1235,\"memorySizeMB\":128,\"maxMemoryUsedMB\":7},\"status\":\"timeout\"}}\n"
        );
    }
}
