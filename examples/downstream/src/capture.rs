//! Reads the messages a client received out of a websocket capture (`.jsonl`, one frame a line).

/// One captured frame; only what the reader needs.
#[derive(serde::Deserialize)]
struct Frame {
    /// `send` or `receive`.
    #[serde(rename = "type")]
    direction: String,
    /// The frame's text; binary and control frames have none.
    #[serde(default)]
    data: Option<String>,
}

/// Why a capture could not be read.
#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    /// A line is not a captured frame.
    #[error("line {line} is not a captured frame: {reason}")]
    Frame { line: usize, reason: String },
    /// The capture holds more frames than the reader takes.
    #[error("the capture has more than {0} lines")]
    TooLong(usize),
}

/// The most lines a capture may have.
pub const MAX_LINES: usize = 100_000;

/// The text of every frame the client received, in order. Blank lines are skipped.
///
/// ```
/// let capture = concat!(
///     r#"{"type":"send","data":"{\"Controller\":\"Zenith\"}"}"#, "\n",
///     r#"{"type":"receive","data":"{\"Controller\":\"Market\"}"}"#, "\n",
/// );
/// assert_eq!(downstream::capture::received(capture).unwrap(), [r#"{"Controller":"Market"}"#]);
/// ```
pub fn received(capture: &str) -> Result<Vec<String>, CaptureError> {
    let mut texts = Vec::new();
    for (index, line) in capture.lines().enumerate() {
        if index >= MAX_LINES {
            return Err(CaptureError::TooLong(MAX_LINES));
        }
        if line.trim().is_empty() {
            continue;
        }
        let frame: Frame =
            serde_json::from_str(line).map_err(|e| CaptureError::Frame { line: index + 1, reason: e.to_string() })?;
        if frame.direction == "receive" {
            texts.extend(frame.data);
        }
    }
    Ok(texts)
}
