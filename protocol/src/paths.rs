//! The Runtime API's paths (version 2018-06-01) and the Invoke API's.

/// The prefix of every Runtime API path.
pub const RUNTIME_API: &str = "/2018-06-01/runtime";

/// `GET`: the next invocation, after [`RUNTIME_API`].
pub const NEXT: &str = "/invocation/next";

/// `POST`: a failed initialization, after [`RUNTIME_API`].
pub const INIT_ERROR: &str = "/init/error";

/// The prefix of an invocation's answer paths, after [`RUNTIME_API`].
pub const INVOCATION: &str = "/invocation/";

/// The Invoke API's path prefix and suffix: `/2015-03-31/functions/{name}/invocations`.
pub const INVOKE_PREFIX: &str = "/2015-03-31/functions/";
/// See [`INVOKE_PREFIX`].
pub const INVOKE_SUFFIX: &str = "/invocations";

/// `InvokeWithResponseStream`'s path prefix and suffix:
/// `/2021-11-15/functions/{name}/response-streaming-invocations`.
pub const STREAM_PREFIX: &str = "/2021-11-15/functions/";
/// See [`STREAM_PREFIX`].
pub const STREAM_SUFFIX: &str = "/response-streaming-invocations";

/// The local function URL's prefix on the Invoke API's port: `/lambda-url/{function}/{path}`
/// (cargo-lambda's convention; Lambda gives each function URL a host of its own).
pub const FUNCTION_URL_PREFIX: &str = "/lambda-url/";

/// The two ways a runtime answers an invocation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    /// `POST /invocation/{id}/response`
    Response,
    /// `POST /invocation/{id}/error`
    Error,
}

impl Answer {
    /// The last segment of its path.
    pub fn segment(self) -> &'static str {
        match self {
            Answer::Response => "response",
            Answer::Error => "error",
        }
    }
}

/// Reads a path after [`RUNTIME_API`] as an answer: its request id and kind.
pub fn parse_answer(path: &str) -> Option<(&str, Answer)> {
    let (id, kind) = path.strip_prefix(INVOCATION)?.split_once('/')?;
    let kind = match kind {
        "response" => Answer::Response,
        "error" => Answer::Error,
        _ => return None,
    };
    (!id.is_empty()).then_some((id, kind))
}

#[cfg(test)]
mod tests {
    use super::{Answer, parse_answer};

    #[test]
    fn an_answers_segment_is_the_end_of_its_path() {
        for answer in [Answer::Response, Answer::Error] {
            let path = format!("/invocation/id-1/{}", answer.segment());
            assert_eq!(parse_answer(&path), Some(("id-1", answer)));
        }
        assert_eq!(
            (Answer::Response.segment(), Answer::Error.segment()),
            ("response", "error")
        );
    }

    #[test]
    fn answers_are_read_from_their_paths() {
        assert_eq!(
            parse_answer("/invocation/abc-1/response"),
            Some(("abc-1", Answer::Response))
        );
        assert_eq!(
            parse_answer("/invocation/abc-1/error"),
            Some(("abc-1", Answer::Error))
        );
        for other in [
            "/invocation/next",
            "/invocation//response",
            "/init/error",
            "/x/a/response",
        ] {
            assert_eq!(parse_answer(other), None, "{other}");
        }
    }
}
