//! A file of HL7 v2 text split into its messages.
//!
//! Labs and interface engines write results to files one message each, several one after
//! the other, inside a batch (`FHS`/`BHS` … `BTS`/`FTS`), or still in their MLLP frames.
//! Each message starts at an `MSH` segment at the start of a line; batch header and trailer
//! segments and MLLP framing bytes belong to no message and are dropped.

use super::mllp;

/// The batch envelope's segments, which are not part of any message.
const ENVELOPE: [&str; 4] = ["FHS", "BHS", "BTS", "FTS"];

/// The messages in `text`, in order, each as its segments joined by `\r`. Text before the
/// first `MSH` that is not envelope is returned as a message of its own, so that it is
/// answered (and refused) rather than skipped without a word.
pub fn split(text: &str) -> Vec<String> {
    let frame_bytes = |c: char| c == char::from(mllp::START) || c == char::from(mllp::END);
    let mut out: Vec<String> = Vec::new();
    let mut current: Option<String> = None;
    for raw in text.split(['\r', '\n']) {
        let line = raw.trim_matches(frame_bytes).trim_start_matches('\u{feff}');
        if line.trim().is_empty() || ENVELOPE.iter().any(|e| line.starts_with(e)) {
            continue;
        }
        if line.starts_with("MSH") {
            out.extend(current.take());
            current = Some(String::new());
        }
        let message = current.get_or_insert_with(String::new);
        message.push_str(line);
        message.push('\r');
    }
    out.extend(current);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_split_at_each_msh_whatever_the_line_ends() {
        let text =
            "FHS|^~\\&\nBHS|^~\\&\r\nMSH|^~\\&|A\nPID|1\r\n\nMSH|^~\\&|B\rOBX|1\rBTS|2\nFTS|1\n";
        assert_eq!(
            split(text),
            vec!["MSH|^~\\&|A\rPID|1\r", "MSH|^~\\&|B\rOBX|1\r"]
        );
    }

    #[test]
    fn mllp_frames_in_a_file_are_unwrapped() {
        let mut bytes = mllp::encode(b"MSH|^~\\&|A\rPID|1\r");
        bytes.extend(mllp::encode(b"MSH|^~\\&|B\r"));
        let text = String::from_utf8(bytes).unwrap();
        assert_eq!(split(&text), vec!["MSH|^~\\&|A\rPID|1\r", "MSH|^~\\&|B\r"]);
    }

    #[test]
    fn text_before_any_msh_is_kept_to_be_refused() {
        assert_eq!(
            split("hello\nMSH|^~\\&|A\n"),
            vec!["hello\r", "MSH|^~\\&|A\r"]
        );
        assert!(split("\n\n").is_empty());
    }
}
