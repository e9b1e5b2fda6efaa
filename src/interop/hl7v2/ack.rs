//! The original-mode acknowledgement (ACK) for a received message.
//!
//! The ACK is addressed back to the sender (MSH-3/4 and MSH-5/6 swapped), carries the same
//! version and processing id, and echoes the original control id in MSA-2 so the sender can
//! match it. It is written with the incoming message's own delimiters: a sender that uses
//! `#*@!%` must be able to read the answer. The caller passes the ACK's own control id and
//! timestamp; nothing here reads a clock or makes up an id.

use super::message::{Delimiters, Message, Segment};
use super::oru::Version;
use super::timestamp::Timestamp;
use super::Hl7Error;

/// MSA-1 (HL7 table 0008, original mode).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AckCode {
    /// AA: accepted.
    Accept,
    /// AE: accepted for processing but in error; the sender should correct and resend.
    Error,
    /// AR: rejected (type, version or processing id not taken here); resending won't help.
    Reject,
}

impl AckCode {
    /// The MSA-1 value (HL7 table 0008), not an engine error code.
    pub fn as_str(&self) -> &'static str {
        match self {
            AckCode::Accept => "AA",
            AckCode::Error => "AE",
            AckCode::Reject => "AR",
        }
    }
}

/// What to answer: the code, the caller's new control id and timestamp, a text for MSA-3,
/// and for AE/AR the error that ERR describes.
#[derive(Debug, Clone, Copy)]
pub struct AckReply<'a> {
    pub code: AckCode,
    /// MSH-10 of the ACK itself.
    pub control_id: &'a str,
    /// MSH-7 of the ACK (the caller's clock).
    pub timestamp: &'a Timestamp,
    /// MSA-3, a short text for the sender's operator.
    pub text: &'a str,
    /// Written as an ERR segment when the code is AE or AR.
    pub error: Option<&'a Hl7Error>,
}

impl<'a> AckReply<'a> {
    /// The reply for a message read without error.
    pub fn accept(control_id: &'a str, timestamp: &'a Timestamp) -> AckReply<'a> {
        AckReply {
            code: AckCode::Accept,
            control_id,
            timestamp,
            text: "",
            error: None,
        }
    }

    /// The reply for a message refused with `error`: AR or AE as the error says, its message
    /// as MSA-3 and an ERR with its table 0357 code and location.
    pub fn refuse(
        control_id: &'a str,
        timestamp: &'a Timestamp,
        error: &'a Hl7Error,
        text: &'a str,
    ) -> AckReply<'a> {
        AckReply {
            code: error.ack_code(),
            control_id,
            timestamp,
            text,
            error: Some(error),
        }
    }
}

/// Builds the ACK for `original` as message text, segments ended by `\r` (wrap it with
/// [`super::mllp::encode`] to send it).
pub fn build_ack(original: &Message, reply: &AckReply<'_>) -> String {
    let d = original.delimiters;
    let empty = Segment {
        name: "MSH".into(),
        fields: Vec::new(),
        line: 1,
    };
    let msh = original.msh().unwrap_or(&empty);
    let raw = |n: usize| msh.field(n).map(|f| f.raw.as_str()).unwrap_or("");
    let version = msh.value(12, 1);
    let trigger = msh.value(9, 2);
    let comp = d.component.map(String::from).unwrap_or_default();
    // 2.3 has a two-part MSH-9; from 2.3.1 the message structure is the third part.
    let message_type = if version == "2.3" || d.component.is_none() {
        format!("ACK{comp}{}", d.escape(trigger))
    } else {
        format!("ACK{comp}{}{comp}ACK", d.escape(trigger))
    };
    let f = d.field.to_string();
    let mut out = String::new();
    let header = [
        "MSH".to_string(),
        d.encoding_characters(),
        raw(5).to_string(),
        raw(6).to_string(),
        raw(3).to_string(),
        raw(4).to_string(),
        reply.timestamp.to_hl7(),
        String::new(),
        message_type,
        d.escape(reply.control_id),
        raw(11).to_string(),
        raw(12).to_string(),
    ];
    out.push_str(&header.join(&f));
    out.push('\r');
    let msa = ["MSA", reply.code.as_str(), raw(10), &d.escape(reply.text)];
    out.push_str(msa.join(&f).trim_end_matches(d.field));
    out.push('\r');
    if let (Some(error), AckCode::Error | AckCode::Reject) = (reply.error, reply.code) {
        out.push_str(&err_segment(original, error, &d));
        out.push('\r');
    }
    out
}

/// ERR in the shape of the message's version: before 2.5 a single ERR-1 (`segment^sequence^
/// field^code&text&HL70357`); from 2.5 the location in ERR-2, the code in ERR-3, severity
/// `E` in ERR-4 and the explanation in ERR-8.
fn err_segment(original: &Message, error: &Hl7Error, d: &Delimiters) -> String {
    let comp = d.component.map(String::from).unwrap_or_default();
    let sub = d.subcomponent.map(String::from).unwrap_or_default();
    let f = d.field.to_string();
    let (code, code_text) = error.hl7_error_code();
    let location = error.location().map(|(segment, line, field)| {
        // ERR-2's sequence is the segment's occurrence (the 2nd OBX is 2), not its line.
        let occurrence = original
            .segments
            .iter()
            .take_while(|s| s.line <= line)
            .filter(|s| s.name == segment)
            .count()
            .max(1);
        let field = field.map(|n| n.to_string()).unwrap_or_default();
        (d.escape(segment), occurrence, field)
    });
    let msh = original.msh();
    let version = msh
        .map(|m| m.value(12, 1))
        .and_then(Version::parse)
        .unwrap_or(Version::V2_5_1);
    if version < Version::V2_5 {
        let (segment, occurrence, field) = location.unwrap_or_default();
        let occurrence = if segment.is_empty() {
            String::new()
        } else {
            occurrence.to_string()
        };
        format!(
            "ERR{f}{segment}{comp}{occurrence}{comp}{field}{comp}{code}{sub}{}{sub}HL70357",
            d.escape(code_text)
        )
    } else {
        let err2 = location
            .map(|(segment, occurrence, field)| format!("{segment}{comp}{occurrence}{comp}{field}"))
            .unwrap_or_default();
        let fields = [
            "ERR".to_string(),
            String::new(),
            err2,
            format!("{code}{comp}{}{comp}HL70357", d.escape(code_text)),
            "E".to_string(),
            String::new(),
            String::new(),
            String::new(),
            d.escape(&error.to_string()),
        ];
        fields.join(&f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::interop::hl7v2::oru::OruR01;

    const INCOMING: &str = "MSH|^~\\&|LAB^1.2.3^ISO|ACME LAB|EHR|CLINIC|20240105083000||ORU^R01^ORU_R01|ORIG-1|P|2.5.1\r\
                            PID|1||M1^^^A^MR||Doe^J\r\
                            OBR|1||F1|X^Y^L\r\
                            OBX|1|NM|X^Y^L||1||||||F\r\
                            OBX|2|NM|X^Y^L||2|||||\r";

    fn at() -> Timestamp {
        Timestamp::parse("20240105083500-0500").unwrap()
    }

    #[test]
    fn an_accept_swaps_the_addresses_and_echoes_the_control_id() {
        let original = Message::parse(INCOMING).unwrap();
        let ts = at();
        let ack = build_ack(&original, &AckReply::accept("ACK-9", &ts));
        assert_eq!(
            ack,
            "MSH|^~\\&|EHR|CLINIC|LAB^1.2.3^ISO|ACME LAB|20240105083500-0500||ACK^R01^ACK|ACK-9|P|2.5.1\r\
             MSA|AA|ORIG-1\r"
        );
        let back = Message::parse(&ack).unwrap();
        assert_eq!(back.get("MSH", 5, 1, 2, 1), Some("1.2.3"));
        assert_eq!(back.get("MSA", 2, 1, 1, 1), Some("ORIG-1"));
    }

    #[test]
    fn an_error_names_the_field_in_err_and_parses_back() {
        let original = Message::parse(INCOMING).unwrap();
        let error = OruR01::from_message(&original).unwrap_err();
        assert_eq!(error.code(), "hl7_missing_field");
        let ts = at();
        let ack = build_ack(
            &original,
            &AckReply::refuse("ACK-10", &ts, &error, "OBX-11 | status ^ missing"),
        );
        let back = Message::parse(&ack).unwrap();
        assert_eq!(back.segments.len(), 3);
        assert_eq!(back.get("MSA", 1, 1, 1, 1), Some("AE"));
        assert_eq!(
            back.get("MSA", 3, 1, 1, 1),
            Some("OBX-11 | status ^ missing")
        );
        let err = back.segment("ERR").unwrap();
        assert_eq!(err.value(2, 1), "OBX");
        assert_eq!(err.value(2, 2), "2", "the second OBX");
        assert_eq!(err.value(2, 3), "11");
        assert_eq!(err.value(3, 1), "101");
        assert_eq!(err.value(3, 3), "HL70357");
        assert_eq!(err.value(4, 1), "E");
        assert!(err.value(8, 1).contains("OBX-11"));
    }

    #[test]
    fn a_reject_for_another_type_uses_the_senders_delimiters_and_old_err_shape() {
        let incoming = "MSH#*@!%#LAB#FAC#EHR#CLIN#20240105##ADT*A01#X1#P#2.3\rPID#1";
        let original = Message::parse(incoming).unwrap();
        let error = OruR01::from_message(&original).unwrap_err();
        assert_eq!(error.ack_code(), AckCode::Reject);
        let ts = at();
        let ack = build_ack(
            &original,
            &AckReply::refuse("A2", &ts, &error, "only ORU*R01 here"),
        );
        assert!(ack.starts_with("MSH#*@!%#EHR#CLIN#LAB#FAC#"), "{ack}");
        let back = Message::parse(&ack).unwrap();
        assert_eq!(back.get("MSH", 9, 1, 1, 1), Some("ACK"));
        assert_eq!(back.get("MSH", 9, 1, 2, 1), Some("A01"));
        assert_eq!(
            back.get("MSH", 9, 1, 3, 1),
            None,
            "2.3 has no structure part"
        );
        assert_eq!(back.get("MSH", 12, 1, 1, 1), Some("2.3"));
        assert_eq!(back.get("MSA", 1, 1, 1, 1), Some("AR"));
        assert_eq!(back.get("MSA", 2, 1, 1, 1), Some("X1"));
        assert_eq!(back.get("MSA", 3, 1, 1, 1), Some("only ORU*R01 here"));
        let err = back.segment("ERR").unwrap();
        assert_eq!(err.value(1, 1), "MSH");
        assert_eq!(err.value(1, 3), "9");
        assert_eq!(err.get(1, 1, 4, 1), Some("200"));
        assert_eq!(err.get(1, 1, 4, 3), Some("HL70357"));
    }
}
