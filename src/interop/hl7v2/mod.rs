//! HL7 version 2 lab results in: parse an ORU^R01 message, answer it with an ACK, and frame
//! both for MLLP. The parsing layers are pure functions over text and bytes, with no
//! database and no clock (every timestamp the ACK carries is passed in); [`receive`] is the
//! step that matches the patient and files the results into the chart through the ledger.
//!
//! The layers, each usable alone:
//! - [`message`]: any v2 message as segments, fields, repetitions, components and
//!   subcomponents, split with the message's own encoding characters and unescaped.
//! - [`oru`]: an ORU^R01 (2.3 to 2.5.1) as typed data: header, patient, orders, observations.
//! - [`timestamp`]: HL7 `DTM`/`TS` values that keep their precision and whether an offset was
//!   sent at all.
//! - [`ack`]: the original-mode acknowledgement for a received message.
//! - [`mllp`]: the `<VT>message<FS><CR>` framing as a codec over byte chunks.
//! - [`batch`]: a file of several messages split into each one.
//! - [`receive`]: a message filed into a chart (patient matched, results as observations,
//!   the order completed) or held for a person, and its ACK; [`entities`] are the records
//!   it keeps.
//!
//! ```
//! use chartkeep::interop::hl7v2::{oru::OruR01, message::Message};
//! let text = "MSH|^~\\&|LAB|ACME|EHR|CLINIC|20240105083000-0500||ORU^R01|42|P|2.5.1\r\
//!             PID|1||MRN7^^^ACME^MR||Doe^Jane||19800101|F\r\
//!             OBR|1||F1|24331-1^Lipid panel^LN|||20240105070000-0500||||||||||||||||||F\r\
//!             OBX|1|NM|2093-3^Cholesterol^LN||212|mg/dL^^UCUM|<200|H|||F\r";
//! let message = Message::parse(text).unwrap();
//! let oru = OruR01::from_message(&message).unwrap();
//! let obx = &oru.patient_results[0].orders[0].observations[0];
//! assert_eq!(obx.id.loinc(), Some("2093-3"));
//! assert_eq!(obx.reference_range.as_ref().and_then(|r| r.high).map(|b| b.value), Some(200.0));
//! ```

pub mod ack;
pub mod batch;
pub mod codes;
pub mod entities;
pub mod message;
pub mod mllp;
pub mod oru;
pub mod queue;
pub mod receive;
pub mod timestamp;

/// Why a message (or an MLLP frame) could not be taken. Each kind has a stable [`code`] for
/// the UI and logs, and knows how it should be acknowledged ([`ack_code`]) and which HL7
/// table 0357 error it is ([`hl7_error_code`]), so the ACK tells the sender the same thing.
///
/// [`code`]: Hl7Error::code
/// [`ack_code`]: Hl7Error::ack_code
/// [`hl7_error_code`]: Hl7Error::hl7_error_code
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Hl7Error {
    /// The text does not begin with an MSH segment, or its MSH cannot name the encoding
    /// characters: nothing in it can be read, and no ACK can be addressed.
    #[error("not an HL7 v2 message: {0}")]
    NotAMessage(String),
    /// A well-formed message of a kind this parser does not take (only ORU^R01 is read).
    #[error("message type {found} is not accepted here: {reason}")]
    UnsupportedType { found: String, reason: String },
    /// MSH-12 names a version whose ORU^R01 layout this parser has not been checked against.
    #[error(
        "HL7 version {found} (MSH-12) is not supported: ORU^R01 is read for versions 2.3, \
         2.3.1, 2.4, 2.5 and 2.5.1; ask the sender to configure one of those for this interface"
    )]
    UnsupportedVersion { found: String },
    /// MSH-11 says the message is for training (`T`): it is about no real patient and is
    /// never filed in a chart.
    #[error(
        "processing id {found} (MSH-11) is not taken here: a training message is never filed \
         in a patient's chart; send results with processing id P"
    )]
    UnsupportedProcessingId { found: String },
    /// A segment where the ORU^R01 structure does not allow it, or a required one missing.
    #[error("{segment} segment (line {line}): {message}")]
    BadSegment {
        segment: String,
        /// 1-based position of the segment in the message, so a person can find it.
        line: usize,
        message: String,
    },
    /// A field the message cannot be understood without is empty.
    #[error("{segment}-{field} ({name}) is empty (line {line}): {message}")]
    MissingField {
        segment: String,
        field: usize,
        name: &'static str,
        line: usize,
        message: String,
    },
    /// A field whose value does not fit its data type (e.g. a value type OBX-2 that is not
    /// one of the HL7 codes).
    #[error("{segment}-{field} ({name}) (line {line}): {message}")]
    BadField {
        segment: String,
        field: usize,
        name: &'static str,
        line: usize,
        message: String,
    },
    /// An MLLP frame over the decoder's size limit: it is dropped rather than buffered.
    #[error(
        "an MLLP frame is larger than the limit of {limit} bytes; it was dropped. Raise the \
         limit if this sender's messages are legitimately that large"
    )]
    TooLarge { limit: usize },
    /// MLLP bytes that are not a whole frame (a frame started before the previous ended).
    #[error("MLLP framing error: {0}")]
    BadFrame(String),
}

impl Hl7Error {
    /// The stable code the UI and logs match on; the message text is for people.
    pub fn code(&self) -> &'static str {
        match self {
            Hl7Error::NotAMessage(_) => "hl7_not_a_message",
            Hl7Error::UnsupportedType { .. } => "hl7_unsupported_type",
            Hl7Error::UnsupportedVersion { .. } => "hl7_unsupported_version",
            Hl7Error::UnsupportedProcessingId { .. } => "hl7_unsupported_processing_id",
            Hl7Error::BadSegment { .. } => "hl7_bad_segment",
            Hl7Error::MissingField { .. } => "hl7_missing_field",
            Hl7Error::BadField { .. } => "hl7_bad_field",
            Hl7Error::TooLarge { .. } => "hl7_too_large",
            Hl7Error::BadFrame(_) => "hl7_bad_frame",
        }
    }

    /// How to acknowledge a message that failed this way: a message of a type or version we
    /// do not take is rejected (AR: resending it will not help), a message we take but whose
    /// content is wrong is an application error (AE: the sender should correct and resend).
    pub fn ack_code(&self) -> ack::AckCode {
        match self {
            Hl7Error::UnsupportedType { .. }
            | Hl7Error::UnsupportedVersion { .. }
            | Hl7Error::UnsupportedProcessingId { .. }
            | Hl7Error::NotAMessage(_)
            | Hl7Error::TooLarge { .. }
            | Hl7Error::BadFrame(_) => ack::AckCode::Reject,
            Hl7Error::BadSegment { .. }
            | Hl7Error::MissingField { .. }
            | Hl7Error::BadField { .. } => ack::AckCode::Error,
        }
    }

    /// The HL7 table 0357 "message error condition" code and its text, for ERR-3.
    pub fn hl7_error_code(&self) -> (&'static str, &'static str) {
        match self {
            Hl7Error::BadSegment { .. } => ("100", "Segment sequence error"),
            Hl7Error::MissingField { .. } => ("101", "Required field missing"),
            Hl7Error::BadField { .. } => ("102", "Data type error"),
            Hl7Error::UnsupportedType { .. } => ("200", "Unsupported message type"),
            Hl7Error::UnsupportedVersion { .. } => ("203", "Unsupported version id"),
            Hl7Error::UnsupportedProcessingId { .. } => ("202", "Unsupported processing id"),
            Hl7Error::NotAMessage(_) | Hl7Error::TooLarge { .. } | Hl7Error::BadFrame(_) => {
                ("207", "Application internal error")
            }
        }
    }

    /// Where in the message the problem is, as (segment, 1-based line, field), for ERR-2.
    pub fn location(&self) -> Option<(&str, usize, Option<usize>)> {
        match self {
            Hl7Error::BadSegment { segment, line, .. } => Some((segment, *line, None)),
            Hl7Error::MissingField {
                segment,
                field,
                line,
                ..
            }
            | Hl7Error::BadField {
                segment,
                field,
                line,
                ..
            } => Some((segment, *line, Some(*field))),
            Hl7Error::UnsupportedType { .. } => Some(("MSH", 1, Some(9))),
            Hl7Error::UnsupportedVersion { .. } => Some(("MSH", 1, Some(12))),
            Hl7Error::UnsupportedProcessingId { .. } => Some(("MSH", 1, Some(11))),
            _ => None,
        }
    }
}
