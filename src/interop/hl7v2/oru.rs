//! ORU^R01, "unsolicited observation result": a lab's results as typed data.
//!
//! The structure read (2.3 to 2.5.1, the segments that matter for results):
//!
//! ```text
//! MSH [SFT...]
//! { PID [PD1] [NTE...] [NK1...] [PV1 [PV2]]          one PATIENT_RESULT per PID
//!   { [ORC] OBR [NTE...] [TQ1...] [CTD]              one ORDER_OBSERVATION per OBR
//!     { OBX [NTE...] }                               its observations
//!     [SPM [OBX...]] } }                             2.5.1 specimen (and its OBX)
//! ```
//!
//! Other segments (PV1, TQ1, SPM's content, Z-segments...) are passed over here but stay
//! readable through the [`Message`]. What would attach a result to the wrong order or patient
//! (an OBX before any OBR, an OBR before any PID) is refused; a value that is malformed but
//! not needed to file the result (an impossible birth date, an `NM` value of `<0.5`) is kept
//! as best it can be and reported in [`OruR01::warnings`], so nothing is dropped silently.

use super::message::{Delimiters, Message, Repetition, Segment};
use super::timestamp::Timestamp;
use super::Hl7Error;

/// The HL7 versions whose ORU^R01 this parser reads (MSH-12).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Version {
    V2_3,
    V2_3_1,
    V2_4,
    V2_5,
    V2_5_1,
}

impl Version {
    pub fn parse(text: &str) -> Option<Version> {
        Some(match text {
            "2.3" => Version::V2_3,
            "2.3.1" => Version::V2_3_1,
            "2.4" => Version::V2_4,
            "2.5" => Version::V2_5,
            "2.5.1" => Version::V2_5_1,
            _ => return None,
        })
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            Version::V2_3 => "2.3",
            Version::V2_3_1 => "2.3.1",
            Version::V2_4 => "2.4",
            Version::V2_5 => "2.5",
            Version::V2_5_1 => "2.5.1",
        }
    }
}

/// An `HD`: an application or facility (namespace, and the OID that names it uniquely).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HierarchicDesignator {
    pub namespace_id: String,
    pub universal_id: String,
    pub universal_id_type: String,
}

/// An `EI`: an order number and who assigned it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EntityId {
    pub id: String,
    pub namespace_id: String,
    pub universal_id: String,
    pub universal_id_type: String,
}

/// A `CE`/`CWE`/`CNE`: a code, its text and coding system, and the alternate triple (labs
/// often send their local code first and the LOINC as the alternate).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CodedValue {
    pub code: String,
    pub text: String,
    pub system: String,
    pub alt_code: String,
    pub alt_text: String,
    pub alt_system: String,
}

impl CodedValue {
    fn from_rep(rep: &Repetition) -> CodedValue {
        CodedValue {
            code: rep.value(1).to_string(),
            text: rep.value(2).to_string(),
            system: rep.value(3).to_string(),
            alt_code: rep.value(4).to_string(),
            alt_text: rep.value(5).to_string(),
            alt_system: rep.value(6).to_string(),
        }
    }

    /// The LOINC code (coding system `LN`), whether it was sent first or as the alternate;
    /// `None` when only the lab's local code was sent.
    pub fn loinc(&self) -> Option<&str> {
        if self.system == "LN" && !self.code.is_empty() {
            Some(&self.code)
        } else if self.alt_system == "LN" && !self.alt_code.is_empty() {
            Some(&self.alt_code)
        } else {
            None
        }
    }

    pub fn is_empty(&self) -> bool {
        self.code.is_empty() && self.text.is_empty() && self.alt_code.is_empty()
    }
}

/// MSH-9.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageType {
    pub code: String,
    pub trigger: String,
    /// MSH-9.3 (2.3.1 and later), e.g. `ORU_R01`; often empty.
    pub structure: String,
}

/// The MSH fields the next step and the ACK need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub sending_application: HierarchicDesignator,
    pub sending_facility: HierarchicDesignator,
    pub receiving_application: HierarchicDesignator,
    pub receiving_facility: HierarchicDesignator,
    /// MSH-7, when the message was created (by the sender's clock).
    pub sent_at: Option<Timestamp>,
    pub message_type: MessageType,
    /// MSH-10, echoed back in the ACK's MSA-2 and the key for spotting a resent message.
    pub control_id: String,
    /// MSH-11.1: `P` production, `D` debugging, `T` training. A result marked `T` or `D` is
    /// not a patient's real result; the caller decides what to do with one.
    pub processing_id: String,
    pub version: Version,
}

/// One PID-3 identifier (`CX`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatientIdentifier {
    pub id: String,
    pub assigning_authority: HierarchicDesignator,
    /// CX-5, e.g. `MR` medical record number, `SS` social security, `PI` patient internal.
    pub type_code: String,
}

/// One PID-5 name (`XPN`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonName {
    pub family: String,
    pub given: String,
    /// XPN-3, further given names or initials.
    pub middle: String,
}

/// PID-8 (HL7 table 0001).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sex {
    Female,
    Male,
    Other,
    Unknown,
    Ambiguous,
    NotApplicable,
    /// A code outside table 0001, as sent.
    Unrecognised(String),
}

impl Sex {
    fn from_code(code: &str) -> Sex {
        match code {
            "F" => Sex::Female,
            "M" => Sex::Male,
            "O" => Sex::Other,
            "U" => Sex::Unknown,
            "A" => Sex::Ambiguous,
            "N" => Sex::NotApplicable,
            other => Sex::Unrecognised(other.to_string()),
        }
    }
}

/// An NTE comment, attached to whatever it followed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// NTE-2: `L` from the lab (filler), `P` from the orderer (placer), `O` other.
    pub source: String,
    /// NTE-3, its repetitions as lines.
    pub text: String,
    /// NTE-4 (2.4 and later), e.g. `RE^Remark`.
    pub comment_type: Option<CodedValue>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Patient {
    pub identifiers: Vec<PatientIdentifier>,
    pub names: Vec<PersonName>,
    /// PID-7. A birth date is usually day precision; the precision is kept.
    pub birth_date: Option<Timestamp>,
    pub sex: Option<Sex>,
    pub notes: Vec<Note>,
    /// The PID's position in the message.
    pub line: usize,
}

/// ORC-2/3 and OBR-2/3 are both sent by some labs and only one by others; both are kept.
#[derive(Debug, Clone, PartialEq)]
pub struct Order {
    /// ORC-1, e.g. `RE` (observations to follow), when an ORC was sent.
    pub order_control: Option<String>,
    pub orc_placer_order_number: Option<EntityId>,
    pub orc_filler_order_number: Option<EntityId>,
    pub placer_order_number: Option<EntityId>,
    pub filler_order_number: Option<EntityId>,
    /// OBR-4, what was ordered (a panel, e.g. `24331-1^Lipid panel^LN`).
    pub service: CodedValue,
    /// OBR-7, when the specimen was collected or the observation made.
    pub observed_at: Option<Timestamp>,
    /// OBR-25, the status of the order's results as a whole.
    pub status: Option<ResultStatus>,
    pub notes: Vec<Note>,
    pub observations: Vec<Observation>,
    /// The OBR's position in the message.
    pub line: usize,
}

impl Order {
    /// The placer's order number from OBR-2, or ORC-2 when OBR-2 was empty.
    pub fn placer(&self) -> Option<&EntityId> {
        self.placer_order_number
            .as_ref()
            .or(self.orc_placer_order_number.as_ref())
    }

    /// The lab's order number from OBR-3, or ORC-3 when OBR-3 was empty.
    pub fn filler(&self) -> Option<&EntityId> {
        self.filler_order_number
            .as_ref()
            .or(self.orc_filler_order_number.as_ref())
    }
}

/// OBX-2, the type of OBX-5.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ValueType {
    Numeric,
    StructuredNumeric,
    String,
    Text,
    FormattedText,
    CodedEntry,
    CodedWithExceptions,
    CodedNoExceptions,
    /// Any other type (`DT`, `TS`, `ED`, `RP`...): its values are kept as text.
    Other(String),
}

impl ValueType {
    fn from_code(code: &str) -> ValueType {
        match code {
            "NM" => ValueType::Numeric,
            "SN" => ValueType::StructuredNumeric,
            "ST" => ValueType::String,
            "TX" => ValueType::Text,
            "FT" => ValueType::FormattedText,
            "CE" => ValueType::CodedEntry,
            "CWE" => ValueType::CodedWithExceptions,
            "CNE" => ValueType::CodedNoExceptions,
            other => ValueType::Other(other.to_string()),
        }
    }

    pub fn code(&self) -> &str {
        match self {
            ValueType::Numeric => "NM",
            ValueType::StructuredNumeric => "SN",
            ValueType::String => "ST",
            ValueType::Text => "TX",
            ValueType::FormattedText => "FT",
            ValueType::CodedEntry => "CE",
            ValueType::CodedWithExceptions => "CWE",
            ValueType::CodedNoExceptions => "CNE",
            ValueType::Other(code) => code,
        }
    }
}

/// A decimal as sent and as a number: the text keeps the significant digits (`98.0` is not
/// `98`), which a chart shows as the lab wrote them.
#[derive(Debug, Clone, PartialEq)]
pub struct Numeric {
    pub text: String,
    pub value: f64,
}

impl Numeric {
    /// HL7 `NM`: an optional sign, digits and at most one decimal point. Rust's float parser
    /// alone would also take `inf`, `NaN` and `1e5`, which no lab means.
    pub fn parse(text: &str) -> Option<Numeric> {
        let t = text.trim();
        let unsigned = t.strip_prefix(['+', '-']).unwrap_or(t);
        let mut parts = unsigned.splitn(2, '.');
        let int = parts.next().unwrap_or("");
        let frac = parts.next().unwrap_or("");
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if int.is_empty() && frac.is_empty() || !digits(int) || !digits(frac) {
            return None;
        }
        let value = t.parse::<f64>().ok().filter(|v| v.is_finite())?;
        Some(Numeric {
            text: t.to_string(),
            value,
        })
    }
}

/// `SN`: `[comparator]^[num1]^[separator/suffix]^[num2]`, e.g. `<^5`, `^10^-^20` (a range),
/// `^1^:^128` (a titre), `^2^+` (a category).
#[derive(Debug, Clone, PartialEq)]
pub struct StructuredNumeric {
    /// `>`, `<`, `>=`, `<=`, `=` or `<>`.
    pub comparator: Option<String>,
    pub first: Option<Numeric>,
    /// `-`, `+`, `/`, `.` or `:`.
    pub separator: Option<String>,
    pub second: Option<Numeric>,
}

const COMPARATORS: [&str; 6] = [">", "<", ">=", "<=", "=", "<>"];
const SN_SEPARATORS: [&str; 5] = ["-", "+", "/", ".", ":"];

impl StructuredNumeric {
    fn from_rep(rep: &Repetition) -> Option<StructuredNumeric> {
        let part = |n: usize| Some(rep.value(n).trim()).filter(|s| !s.is_empty());
        let number = |n: usize| match part(n) {
            None => Some(None),
            Some(t) => Numeric::parse(t).map(Some),
        };
        let comparator = part(1);
        let separator = part(3);
        if comparator.is_some_and(|c| !COMPARATORS.contains(&c))
            || separator.is_some_and(|s| !SN_SEPARATORS.contains(&s))
            || rep.components.len() > 4
        {
            return None;
        }
        let sn = StructuredNumeric {
            comparator: comparator.map(str::to_string),
            first: number(2)?,
            separator: separator.map(str::to_string),
            second: number(4)?,
        };
        (sn.first.is_some() || sn.second.is_some()).then_some(sn)
    }
}

/// One OBX-5 repetition, read as OBX-2 says.
#[derive(Debug, Clone, PartialEq)]
pub enum ObservationValue {
    Number(Numeric),
    Structured(StructuredNumeric),
    /// `ST`, `TX`, `FT`: the text with escapes decoded (`FT` formatting other than `\.br\` is
    /// left as sent).
    Text(String),
    Coded(CodedValue),
    /// A value of another type, or one that did not fit its type (then a warning says so).
    Other(String),
}

/// One end of a reference range.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bound {
    pub value: f64,
    /// `3.5-5.0` includes its ends; `<200` does not include 200.
    pub inclusive: bool,
}

/// OBX-7 as text, and its bounds when the text is one of `a-b`, `<b`, `<=b`, `>a`, `>=a`.
/// Anything else (`<9 mcg/dL: acceptable`, `negative`) keeps only the text: guessing at free
/// text would be worse than showing it.
#[derive(Debug, Clone, PartialEq)]
pub struct ReferenceRange {
    pub text: String,
    pub low: Option<Bound>,
    pub high: Option<Bound>,
}

impl ReferenceRange {
    pub fn parse(text: &str) -> ReferenceRange {
        let (low, high) = range_bounds(text.trim()).unwrap_or((None, None));
        ReferenceRange {
            text: text.to_string(),
            low,
            high,
        }
    }
}

fn range_bounds(t: &str) -> Option<(Option<Bound>, Option<Bound>)> {
    let number = |s: &str| Numeric::parse(s).map(|n| n.value);
    for (prefix, is_high, inclusive) in [
        ("<=", true, true),
        (">=", false, true),
        ("<", true, false),
        (">", false, false),
    ] {
        if let Some(rest) = t.strip_prefix(prefix) {
            let bound = Some(Bound {
                value: number(rest)?,
                inclusive,
            });
            return Some(if is_high {
                (None, bound)
            } else {
                (bound, None)
            });
        }
    }
    // `a-b`, where either side may itself be negative (`-5--1`): try each dash.
    for (i, _) in t.match_indices('-').filter(|(i, _)| *i > 0) {
        if let (Some(a), Some(b)) = (number(&t[..i]), number(&t[i + 1..])) {
            if a <= b {
                let bound = |value| {
                    Some(Bound {
                        value,
                        inclusive: true,
                    })
                };
                return Some((bound(a), bound(b)));
            }
        }
    }
    None
}

/// OBX-8 (HL7 table 0078).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AbnormalFlag {
    Normal,
    High,
    Low,
    CriticalHigh,
    CriticalLow,
    Abnormal,
    CriticalAbnormal,
    /// `<`: below the low end of the measurable scale.
    BelowScale,
    /// `>`: above the high end of the measurable scale.
    AboveScale,
    /// Any other code (`POS`, `NEG`, `S`, `R`, `I`, `W`, ...), as sent.
    Other(String),
}

impl AbnormalFlag {
    fn from_code(code: &str) -> AbnormalFlag {
        match code {
            "N" => AbnormalFlag::Normal,
            "H" => AbnormalFlag::High,
            "L" => AbnormalFlag::Low,
            "HH" => AbnormalFlag::CriticalHigh,
            "LL" => AbnormalFlag::CriticalLow,
            "A" => AbnormalFlag::Abnormal,
            "AA" => AbnormalFlag::CriticalAbnormal,
            "<" => AbnormalFlag::BelowScale,
            ">" => AbnormalFlag::AboveScale,
            other => AbnormalFlag::Other(other.to_string()),
        }
    }

    pub fn code(&self) -> &str {
        match self {
            AbnormalFlag::Normal => "N",
            AbnormalFlag::High => "H",
            AbnormalFlag::Low => "L",
            AbnormalFlag::CriticalHigh => "HH",
            AbnormalFlag::CriticalLow => "LL",
            AbnormalFlag::Abnormal => "A",
            AbnormalFlag::CriticalAbnormal => "AA",
            AbnormalFlag::BelowScale => "<",
            AbnormalFlag::AboveScale => ">",
            AbnormalFlag::Other(code) => code,
        }
    }
}

/// OBX-11 (table 0085) and OBR-25 (table 0123). The two tables share most letters with the
/// same meaning; where they differ the doc says which is which.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResultStatus {
    /// `F`
    Final,
    /// `P`
    Preliminary,
    /// `C`: replaces a result sent before.
    Corrected,
    /// `X`: the result cannot be obtained.
    CannotObtain,
    /// `D` (OBX): delete the result sent before.
    Delete,
    /// `R`: entered, not yet verified.
    NotVerified,
    /// `I`: specimen in the lab, result pending.
    Pending,
    /// `S`: partial result.
    Partial,
    /// `W` (OBX): the result sent before was for the wrong patient.
    WrongPatient,
    /// `U` (OBX): the preliminary result sent before is now final, not resent.
    MadeFinal,
    /// `O`: order received, no result yet.
    OrderReceived,
    /// `A` (OBR): some of the order's results are available.
    SomeResults,
    /// `N` (OBX): not asked.
    NotAsked,
    /// Any other code, as sent.
    Other(String),
}

impl ResultStatus {
    fn from_code(code: &str) -> ResultStatus {
        match code {
            "F" => ResultStatus::Final,
            "P" => ResultStatus::Preliminary,
            "C" => ResultStatus::Corrected,
            "X" => ResultStatus::CannotObtain,
            "D" => ResultStatus::Delete,
            "R" => ResultStatus::NotVerified,
            "I" => ResultStatus::Pending,
            "S" => ResultStatus::Partial,
            "W" => ResultStatus::WrongPatient,
            "U" => ResultStatus::MadeFinal,
            "O" => ResultStatus::OrderReceived,
            "A" => ResultStatus::SomeResults,
            "N" => ResultStatus::NotAsked,
            other => ResultStatus::Other(other.to_string()),
        }
    }

    pub fn code(&self) -> &str {
        match self {
            ResultStatus::Final => "F",
            ResultStatus::Preliminary => "P",
            ResultStatus::Corrected => "C",
            ResultStatus::CannotObtain => "X",
            ResultStatus::Delete => "D",
            ResultStatus::NotVerified => "R",
            ResultStatus::Pending => "I",
            ResultStatus::Partial => "S",
            ResultStatus::WrongPatient => "W",
            ResultStatus::MadeFinal => "U",
            ResultStatus::OrderReceived => "O",
            ResultStatus::SomeResults => "A",
            ResultStatus::NotAsked => "N",
            ResultStatus::Other(code) => code,
        }
    }
}

/// One OBX.
#[derive(Debug, Clone, PartialEq)]
pub struct Observation {
    /// OBX-1.
    pub set_id: String,
    /// OBX-2; `None` only when OBX-5 is empty too (a result with no value, e.g. status `X`).
    pub value_type: Option<ValueType>,
    /// OBX-3: LOINC (`LN`) or the lab's local code; see [`CodedValue::loinc`].
    pub id: CodedValue,
    /// OBX-4, telling apart OBX with the same OBX-3 in one order (e.g. isolates).
    pub sub_id: String,
    /// OBX-5, one entry a repetition (empty when not sent).
    pub values: Vec<ObservationValue>,
    /// OBX-6; the code is usually UCUM or close to it (`10*9/L`, sometimes `10^9/L`).
    pub units: Option<CodedValue>,
    pub reference_range: Option<ReferenceRange>,
    pub abnormal_flags: Vec<AbnormalFlag>,
    /// OBX-11, required by HL7.
    pub status: ResultStatus,
    /// OBX-14; when absent the order's OBR-7 is the usual stand-in (the caller's choice).
    pub observed_at: Option<Timestamp>,
    pub notes: Vec<Note>,
    /// True for an OBX after an SPM: in 2.5.1 that belongs to the specimen (e.g. "age at
    /// collection" asked at order entry), though some senders put the result itself there.
    pub in_specimen_group: bool,
    /// The OBX's position in the message.
    pub line: usize,
}

impl Observation {
    /// The first value, the usual case.
    pub fn value(&self) -> Option<&ObservationValue> {
        self.values.first()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct PatientResult {
    pub patient: Patient,
    pub orders: Vec<Order>,
}

/// Something in the message that was not as HL7 says but did not stop it being read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// Stable: `hl7_bad_timestamp`, `hl7_value_not_numeric`, `hl7_bad_structured_numeric`,
    /// `hl7_note_unattached`.
    pub code: &'static str,
    pub segment: String,
    pub line: usize,
    pub field: usize,
    pub message: String,
}

/// A whole ORU^R01.
#[derive(Debug, Clone, PartialEq)]
pub struct OruR01 {
    pub header: Header,
    /// One entry per PID, each with its orders (a message normally has one).
    pub patient_results: Vec<PatientResult>,
    pub warnings: Vec<Warning>,
}

impl OruR01 {
    /// Parses the text and reads it as an ORU^R01.
    pub fn parse(text: &str) -> Result<OruR01, Hl7Error> {
        OruR01::from_message(&Message::parse(text)?)
    }

    /// Reads a parsed message as an ORU^R01. Refuses another message type or version with
    /// [`Hl7Error::UnsupportedType`] / [`Hl7Error::UnsupportedVersion`] (acknowledge with
    /// AR), and a message whose structure or required fields are wrong with the segment and
    /// field (acknowledge with AE).
    pub fn from_message(message: &Message) -> Result<OruR01, Hl7Error> {
        let mut reader = Reader {
            d: message.delimiters,
            warnings: Vec::new(),
        };
        let msh = message
            .msh()
            .ok_or_else(|| Hl7Error::NotAMessage("there is no MSH segment".into()))?;
        let header = reader.header(msh)?;
        let patient_results = reader.groups(&message.segments[1..], message.segments.len())?;
        Ok(OruR01 {
            header,
            patient_results,
            warnings: reader.warnings,
        })
    }
}

struct Reader {
    d: Delimiters,
    warnings: Vec<Warning>,
}

/// Which group an NTE belongs to: the segment it follows.
enum Attach {
    Nothing,
    Patient,
    Order,
    Observation,
}

fn missing(seg: &Segment, field: usize, name: &'static str, message: &str) -> Hl7Error {
    Hl7Error::MissingField {
        segment: seg.name.clone(),
        field,
        name,
        line: seg.line,
        message: message.to_string(),
    }
}

fn bad_segment(seg: &Segment, message: &str) -> Hl7Error {
    Hl7Error::BadSegment {
        segment: seg.name.clone(),
        line: seg.line,
        message: message.to_string(),
    }
}

fn hd(seg: &Segment, field: usize) -> HierarchicDesignator {
    HierarchicDesignator {
        namespace_id: seg.value(field, 1).to_string(),
        universal_id: seg.value(field, 2).to_string(),
        universal_id_type: seg.value(field, 3).to_string(),
    }
}

fn entity_id(seg: &Segment, field: usize) -> Option<EntityId> {
    let id = EntityId {
        id: seg.value(field, 1).to_string(),
        namespace_id: seg.value(field, 2).to_string(),
        universal_id: seg.value(field, 3).to_string(),
        universal_id_type: seg.value(field, 4).to_string(),
    };
    (!id.id.is_empty()).then_some(id)
}

fn coded(seg: &Segment, field: usize) -> Option<CodedValue> {
    let value = CodedValue::from_rep(seg.field(field)?.rep(1)?);
    (!value.is_empty()).then_some(value)
}

fn non_empty(text: &str) -> Option<String> {
    (!text.is_empty()).then(|| text.to_string())
}

impl Reader {
    fn warn(&mut self, code: &'static str, seg: &Segment, field: usize, message: String) {
        self.warnings.push(Warning {
            code,
            segment: seg.name.clone(),
            line: seg.line,
            field,
            message,
        });
    }

    fn timestamp(&mut self, seg: &Segment, field: usize, name: &str) -> Option<Timestamp> {
        let text = seg.value(field, 1);
        if text.is_empty() {
            return None;
        }
        match Timestamp::parse(text) {
            Ok(ts) => Some(ts),
            Err(e) => {
                let message = format!("{name}: {e}; it was left out");
                self.warn("hl7_bad_timestamp", seg, field, message);
                None
            }
        }
    }

    fn header(&mut self, msh: &Segment) -> Result<Header, Hl7Error> {
        let message_type = MessageType {
            code: msh.value(9, 1).to_string(),
            trigger: msh.value(9, 2).to_string(),
            structure: msh.value(9, 3).to_string(),
        };
        if message_type.code.is_empty() {
            return Err(missing(
                msh,
                9,
                "message type",
                "the sender must say the message type, ORU^R01 for results",
            ));
        }
        if message_type.code != "ORU" || message_type.trigger != "R01" {
            let found = format!("{}^{}", message_type.code, message_type.trigger);
            return Err(Hl7Error::UnsupportedType {
                reason: format!(
                    "only lab results (ORU^R01) are read on this interface; {found} should be \
                     sent to the system that handles it"
                ),
                found,
            });
        }
        let control_id = msh.value(10, 1).to_string();
        if control_id.is_empty() {
            return Err(missing(
                msh,
                10,
                "message control id",
                "without it the message cannot be acknowledged or told apart from a resend",
            ));
        }
        let version_text = msh.value(12, 1);
        if version_text.is_empty() {
            return Err(missing(
                msh,
                12,
                "version id",
                "the sender must name the HL7 version, e.g. 2.5.1",
            ));
        }
        let version = Version::parse(version_text).ok_or_else(|| Hl7Error::UnsupportedVersion {
            found: version_text.to_string(),
        })?;
        Ok(Header {
            sending_application: hd(msh, 3),
            sending_facility: hd(msh, 4),
            receiving_application: hd(msh, 5),
            receiving_facility: hd(msh, 6),
            sent_at: self.timestamp(msh, 7, "MSH-7 (date/time of message)"),
            message_type,
            control_id,
            processing_id: msh.value(11, 1).to_string(),
            version,
        })
    }

    fn groups(
        &mut self,
        segments: &[Segment],
        count: usize,
    ) -> Result<Vec<PatientResult>, Hl7Error> {
        let mut results: Vec<PatientResult> = Vec::new();
        // The ORC waiting for its OBR.
        let mut pending_orc: Option<&Segment> = None;
        let mut attach = Attach::Nothing;
        let mut after_specimen = false;
        for seg in segments {
            match seg.name.as_str() {
                "PID" => {
                    if let Some(orc) = pending_orc.take() {
                        return Err(bad_segment(orc, "an ORC must be followed by its OBR"));
                    }
                    results.push(PatientResult {
                        patient: self.patient(seg)?,
                        orders: Vec::new(),
                    });
                    attach = Attach::Patient;
                }
                "ORC" => {
                    if let Some(orc) = pending_orc.replace(seg) {
                        return Err(bad_segment(orc, "an ORC must be followed by its OBR"));
                    }
                    attach = Attach::Nothing;
                }
                "OBR" => {
                    let Some(result) = results.last_mut() else {
                        return Err(bad_segment(
                            seg,
                            "an OBR comes before any PID; results must follow the patient \
                             they belong to",
                        ));
                    };
                    let order = self.order(seg, pending_orc.take())?;
                    result.orders.push(order);
                    attach = Attach::Order;
                    after_specimen = false;
                }
                "OBX" => {
                    let Some(order) = results.last_mut().and_then(|r| r.orders.last_mut()) else {
                        return Err(bad_segment(
                            seg,
                            "an OBX comes before any OBR; each observation must follow the \
                             order (OBR) it answers",
                        ));
                    };
                    let observation = self.observation(seg, after_specimen)?;
                    order.observations.push(observation);
                    attach = Attach::Observation;
                }
                "NTE" => {
                    let note = self.note(seg);
                    let target = results.last_mut();
                    let notes = match (&attach, target) {
                        (Attach::Patient, Some(r)) => Some(&mut r.patient.notes),
                        (Attach::Order, Some(r)) => r.orders.last_mut().map(|o| &mut o.notes),
                        (Attach::Observation, Some(r)) => r
                            .orders
                            .last_mut()
                            .and_then(|o| o.observations.last_mut())
                            .map(|o| &mut o.notes),
                        _ => None,
                    };
                    match notes {
                        Some(notes) => notes.push(note),
                        None => self.warn(
                            "hl7_note_unattached",
                            seg,
                            3,
                            format!(
                                "this NTE does not follow a PID, OBR or OBX and was left out: {:?}",
                                note.text
                            ),
                        ),
                    }
                }
                "SPM" => {
                    after_specimen = true;
                    attach = Attach::Nothing;
                }
                "MSH" => {
                    return Err(bad_segment(
                        seg,
                        "a second MSH: parse one message at a time (split a batch first)",
                    ))
                }
                // Segments of the groups that carry nothing read here (PD1, NK1, PV1, PV2,
                // TQ1, TQ2, CTD, FT1, CTI, SFT, DSC, Z-segments): NTE does not follow them.
                _ => attach = Attach::Nothing,
            }
        }
        if let Some(orc) = pending_orc {
            return Err(bad_segment(orc, "an ORC must be followed by its OBR"));
        }
        if results.is_empty() {
            return Err(Hl7Error::BadSegment {
                segment: "PID".into(),
                line: count,
                message: "the message has no PID: results cannot be filed without a patient".into(),
            });
        }
        for result in &results {
            if result.orders.is_empty() {
                return Err(Hl7Error::BadSegment {
                    segment: "PID".into(),
                    line: result.patient.line,
                    message: "this patient has no OBR: an ORU^R01 carries at least one order"
                        .into(),
                });
            }
        }
        Ok(results)
    }

    fn patient(&mut self, pid: &Segment) -> Result<Patient, Hl7Error> {
        let identifiers: Vec<PatientIdentifier> = pid
            .field(3)
            .map(|f| f.repetitions.as_slice())
            .unwrap_or_default()
            .iter()
            .filter(|rep| !rep.value(1).is_empty())
            .map(|rep| {
                let authority = rep.component(4);
                let sub = |n| authority.and_then(|c| c.sub(n)).unwrap_or("").to_string();
                PatientIdentifier {
                    id: rep.value(1).to_string(),
                    assigning_authority: HierarchicDesignator {
                        namespace_id: sub(1),
                        universal_id: sub(2),
                        universal_id_type: sub(3),
                    },
                    type_code: rep.value(5).to_string(),
                }
            })
            .collect();
        if identifiers.is_empty() {
            return Err(missing(
                pid,
                3,
                "patient identifier list",
                "the patient cannot be matched without an identifier",
            ));
        }
        let names = pid
            .field(5)
            .map(|f| f.repetitions.as_slice())
            .unwrap_or_default()
            .iter()
            .filter(|rep| !rep.raw.is_empty())
            .map(|rep| PersonName {
                family: rep.value(1).to_string(),
                given: rep.value(2).to_string(),
                middle: rep.value(3).to_string(),
            })
            .collect();
        Ok(Patient {
            identifiers,
            names,
            birth_date: self.timestamp(pid, 7, "PID-7 (date of birth)"),
            sex: non_empty(pid.value(8, 1)).map(|c| Sex::from_code(&c)),
            notes: Vec::new(),
            line: pid.line,
        })
    }

    fn order(&mut self, obr: &Segment, orc: Option<&Segment>) -> Result<Order, Hl7Error> {
        let Some(service) = coded(obr, 4) else {
            return Err(missing(
                obr,
                4,
                "universal service identifier",
                "the order must say what was tested",
            ));
        };
        Ok(Order {
            order_control: orc.and_then(|s| non_empty(s.value(1, 1))),
            orc_placer_order_number: orc.and_then(|s| entity_id(s, 2)),
            orc_filler_order_number: orc.and_then(|s| entity_id(s, 3)),
            placer_order_number: entity_id(obr, 2),
            filler_order_number: entity_id(obr, 3),
            service,
            observed_at: self.timestamp(obr, 7, "OBR-7 (observation date/time)"),
            status: non_empty(obr.value(25, 1)).map(|c| ResultStatus::from_code(&c)),
            notes: Vec::new(),
            observations: Vec::new(),
            line: obr.line,
        })
    }

    fn observation(&mut self, obx: &Segment, in_specimen: bool) -> Result<Observation, Hl7Error> {
        let Some(id) = coded(obx, 3).filter(|c| !c.code.is_empty()) else {
            return Err(missing(
                obx,
                3,
                "observation identifier",
                "each result must say what was measured (a LOINC or the lab's code)",
            ));
        };
        let status_code = obx.value(11, 1);
        if status_code.is_empty() {
            return Err(missing(
                obx,
                11,
                "observation result status",
                "each result must say whether it is final, preliminary, corrected...",
            ));
        }
        let value_type = non_empty(obx.value(2, 1)).map(|c| ValueType::from_code(&c));
        let reps: Vec<&Repetition> = obx
            .field(5)
            .map(|f| f.repetitions.iter().filter(|r| !r.raw.is_empty()).collect())
            .unwrap_or_default();
        let values = match (&value_type, reps.is_empty()) {
            (_, true) => Vec::new(),
            (None, false) => {
                return Err(missing(
                    obx,
                    2,
                    "value type",
                    "OBX-5 has a value but OBX-2 does not say its type",
                ))
            }
            (Some(vt), false) => {
                let vt = vt.clone();
                reps.iter().map(|rep| self.value(obx, &vt, rep)).collect()
            }
        };
        let range_text = obx.text(7, &self.d);
        let abnormal_flags = obx
            .field(8)
            .map(|f| f.repetitions.as_slice())
            .unwrap_or_default()
            .iter()
            .map(|r| r.value(1))
            .filter(|c| !c.is_empty())
            .map(AbnormalFlag::from_code)
            .collect();
        Ok(Observation {
            set_id: obx.value(1, 1).to_string(),
            value_type,
            id,
            sub_id: obx.value(4, 1).to_string(),
            values,
            units: coded(obx, 6),
            reference_range: (!range_text.is_empty()).then(|| ReferenceRange::parse(&range_text)),
            abnormal_flags,
            status: ResultStatus::from_code(status_code),
            observed_at: self.timestamp(obx, 14, "OBX-14 (date/time of the observation)"),
            notes: Vec::new(),
            in_specimen_group: in_specimen,
            line: obx.line,
        })
    }

    fn value(&mut self, obx: &Segment, vt: &ValueType, rep: &Repetition) -> ObservationValue {
        let text = self.d.unescape(&rep.raw);
        match vt {
            ValueType::Numeric => {
                if let Some(n) = Numeric::parse(&text) {
                    return ObservationValue::Number(n);
                }
                // Labs often send `<0.5` or `>1000` as NM: read it as the SN it is.
                let sn = COMPARATORS
                    .iter()
                    .filter(|c| text.trim().starts_with(*c))
                    .max_by_key(|c| c.len())
                    .and_then(|c| {
                        Numeric::parse(&text.trim()[c.len()..]).map(|n| StructuredNumeric {
                            comparator: Some(c.to_string()),
                            first: Some(n),
                            separator: None,
                            second: None,
                        })
                    });
                let (value, what) = match sn {
                    Some(sn) => (
                        ObservationValue::Structured(sn),
                        "read as a structured numeric",
                    ),
                    None => (ObservationValue::Other(text.clone()), "kept as text"),
                };
                self.warn(
                    "hl7_value_not_numeric",
                    obx,
                    5,
                    format!("OBX-2 says NM but OBX-5 is {text:?}; {what}"),
                );
                value
            }
            ValueType::StructuredNumeric => match StructuredNumeric::from_rep(rep) {
                Some(sn) => ObservationValue::Structured(sn),
                None => {
                    self.warn(
                        "hl7_bad_structured_numeric",
                        obx,
                        5,
                        format!(
                            "OBX-2 says SN but OBX-5 {text:?} is not comparator^number^separator^number; kept as text"
                        ),
                    );
                    ObservationValue::Other(text)
                }
            },
            ValueType::String | ValueType::Text | ValueType::FormattedText => {
                ObservationValue::Text(text)
            }
            ValueType::CodedEntry
            | ValueType::CodedWithExceptions
            | ValueType::CodedNoExceptions => ObservationValue::Coded(CodedValue::from_rep(rep)),
            ValueType::Other(_) => ObservationValue::Other(text),
        }
    }

    fn note(&mut self, nte: &Segment) -> Note {
        let text = nte
            .field(3)
            .map(|f| f.repetitions.as_slice())
            .unwrap_or_default()
            .iter()
            .map(|rep| self.d.unescape(&rep.raw))
            .collect::<Vec<_>>()
            .join("\n");
        Note {
            source: nte.value(2, 1).to_string(),
            text,
            comment_type: coded(nte, 4),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::interop::hl7v2::timestamp::Precision;
    use proptest::prelude::*;

    const MSH: &str =
        "MSH|^~\\&|LAB^1.2.3^ISO|ACME|EHR|CLINIC|20240105083000-0500||ORU^R01^ORU_R01|C42|P|2.5.1";

    fn oru(rest: &[&str]) -> Result<OruR01, Hl7Error> {
        let mut segs = vec![MSH];
        segs.extend_from_slice(rest);
        OruR01::parse(&segs.join("\r"))
    }

    const PID: &str =
        "PID|1||MRN7^^^ACME&1.2.3&ISO^MR~999^^^SSA^SS||Doe^Jane^Q~Roe^Jane||19800101|F";
    const OBR: &str =
        "OBR|1|P1^EHR|F1^LAB|24331-1^Lipid panel^LN|||20240105070000-0500||||||||||||||||||F";

    #[test]
    fn a_full_message_reads_into_typed_data() {
        let m = oru(&[
            PID,
            "NTE|1|P|patient fasting",
            "ORC|RE|P1^EHR|F1^LAB",
            OBR,
            "NTE|1|L|panel comment",
            "OBX|1|NM|2093-3^Cholesterol^LN||212|mg/dL^milligram per deciliter^UCUM|<200|H|||F|||20240105071500-0500",
            "NTE|1|L|line one~line two",
            "OBX|2|SN|2571-8^Triglyceride^LN||<^5|mg/dL|0-150|N|||P",
            "OBX|3|ST|X1^Comment^L||see \\T\\ note||||||C",
            "OBX|4|CWE|600-7^Culture^LN||3092008^Staphylococcus aureus^SCT|||A|||F",
        ])
        .unwrap();
        let h = &m.header;
        assert_eq!(h.sending_application.namespace_id, "LAB");
        assert_eq!(h.sending_application.universal_id, "1.2.3");
        assert_eq!(h.message_type.structure, "ORU_R01");
        assert_eq!(h.control_id, "C42");
        assert_eq!(h.processing_id, "P");
        assert_eq!(h.version, Version::V2_5_1);
        assert_eq!(h.sent_at.unwrap().to_hl7(), "20240105083000-0500");

        let r = &m.patient_results[0];
        let p = &r.patient;
        assert_eq!(p.identifiers.len(), 2);
        assert_eq!(p.identifiers[0].id, "MRN7");
        assert_eq!(p.identifiers[0].assigning_authority.namespace_id, "ACME");
        assert_eq!(p.identifiers[0].assigning_authority.universal_id, "1.2.3");
        assert_eq!(p.identifiers[0].type_code, "MR");
        assert_eq!(p.identifiers[1].type_code, "SS");
        assert_eq!(
            (p.names[0].family.as_str(), p.names[0].given.as_str()),
            ("Doe", "Jane")
        );
        assert_eq!(p.names[0].middle, "Q");
        assert_eq!(p.names[1].family, "Roe");
        let dob = p.birth_date.unwrap();
        assert_eq!((dob.precision, dob.offset), (Precision::Day, None));
        assert_eq!(p.sex, Some(Sex::Female));
        assert_eq!(p.notes[0].text, "patient fasting");

        let o = &r.orders[0];
        assert_eq!(o.order_control.as_deref(), Some("RE"));
        assert_eq!(o.placer().unwrap().id, "P1");
        assert_eq!(o.filler().unwrap().namespace_id, "LAB");
        assert_eq!(o.service.loinc(), Some("24331-1"));
        assert_eq!(o.status, Some(ResultStatus::Final));
        assert_eq!(o.notes[0].source, "L");

        let chol = &o.observations[0];
        assert_eq!(chol.value_type, Some(ValueType::Numeric));
        assert_eq!(
            chol.value(),
            Some(&ObservationValue::Number(Numeric {
                text: "212".into(),
                value: 212.0
            }))
        );
        assert_eq!(chol.units.as_ref().unwrap().code, "mg/dL");
        let range = chol.reference_range.as_ref().unwrap();
        assert_eq!(range.low, None);
        assert_eq!(
            range.high,
            Some(Bound {
                value: 200.0,
                inclusive: false
            })
        );
        assert_eq!(chol.abnormal_flags, vec![AbnormalFlag::High]);
        assert_eq!(chol.observed_at.unwrap().precision, Precision::Second);
        assert_eq!(chol.notes[0].text, "line one\nline two");

        let tg = &o.observations[1];
        assert_eq!(tg.status, ResultStatus::Preliminary);
        let ObservationValue::Structured(sn) = tg.value().unwrap() else {
            panic!("SN expected");
        };
        assert_eq!(sn.comparator.as_deref(), Some("<"));
        assert_eq!(sn.first.as_ref().unwrap().value, 5.0);
        assert_eq!(
            o.observations[2].value(),
            Some(&ObservationValue::Text("see & note".into()))
        );
        assert_eq!(o.observations[2].status, ResultStatus::Corrected);
        let ObservationValue::Coded(c) = o.observations[3].value().unwrap() else {
            panic!("coded expected");
        };
        assert_eq!((c.code.as_str(), c.system.as_str()), ("3092008", "SCT"));
        assert_eq!(
            o.observations[3].abnormal_flags,
            vec![AbnormalFlag::Abnormal]
        );
        assert!(m.warnings.is_empty(), "{:?}", m.warnings);
    }

    #[test]
    fn structured_numeric_forms() {
        let sn = |v: &str| {
            let m = oru(&[PID, OBR, &format!("OBX|1|SN|X^Y^L||{v}||||||F")]).unwrap();
            m.patient_results[0].orders[0].observations[0].values[0].clone()
        };
        let ObservationValue::Structured(range) = sn("^10^-^20") else {
            panic!()
        };
        assert_eq!(range.comparator, None);
        assert_eq!(range.first.unwrap().value, 10.0);
        assert_eq!(range.separator.as_deref(), Some("-"));
        assert_eq!(range.second.unwrap().value, 20.0);
        let ObservationValue::Structured(titre) = sn("^1^:^128") else {
            panic!()
        };
        assert_eq!(titre.second.unwrap().value, 128.0);
        let ObservationValue::Structured(ge) = sn(">=^1.5") else {
            panic!()
        };
        assert_eq!(ge.comparator.as_deref(), Some(">="));
        let ObservationValue::Structured(plain) = sn("^182") else {
            panic!()
        };
        assert_eq!(plain.first.unwrap().text, "182");
        assert_eq!(sn("about^5"), ObservationValue::Other("about^5".into()));
        assert_eq!(sn("^abc"), ObservationValue::Other("^abc".into()));
    }

    #[test]
    fn nm_that_is_not_a_number_is_kept_and_reported() {
        let m = oru(&[
            PID,
            OBR,
            "OBX|1|NM|X^Y^L||<0.5||||||F",
            "OBX|2|NM|X^Y^L||see note||||||F",
            "OBX|3|NM|X^Y^L||1e5||||||F",
        ])
        .unwrap();
        let obs = &m.patient_results[0].orders[0].observations;
        let ObservationValue::Structured(lt) = &obs[0].values[0] else {
            panic!()
        };
        assert_eq!(lt.comparator.as_deref(), Some("<"));
        assert_eq!(obs[1].values[0], ObservationValue::Other("see note".into()));
        assert_eq!(obs[2].values[0], ObservationValue::Other("1e5".into()));
        assert_eq!(m.warnings.len(), 3);
        assert!(m
            .warnings
            .iter()
            .all(|w| w.code == "hl7_value_not_numeric" && w.field == 5));
    }

    #[test]
    fn reference_ranges() {
        let b = |value, inclusive| Some(Bound { value, inclusive });
        for (text, low, high) in [
            ("3.5-5.0", b(3.5, true), b(5.0, true)),
            (" 3.5 - 5.0 ", b(3.5, true), b(5.0, true)),
            ("-5--1", b(-5.0, true), b(-1.0, true)),
            ("-2-2", b(-2.0, true), b(2.0, true)),
            ("<200", None, b(200.0, false)),
            ("<=200", None, b(200.0, true)),
            (">40", b(40.0, false), None),
            (">= 40", b(40.0, true), None),
            ("<9 mcg/dL:  Acceptable", None, None),
            ("negative", None, None),
            ("70_105", None, None),
            ("10-5", None, None),
            ("^^10.000000", None, None),
        ] {
            let r = ReferenceRange::parse(text);
            assert_eq!((r.low, r.high), (low, high), "{text:?}");
            assert_eq!(r.text, text);
        }
    }

    #[test]
    fn abnormal_flags_and_statuses_keep_unknown_codes() {
        for code in ["N", "H", "L", "HH", "LL", "A", "AA", "<", ">", "POS"] {
            assert_eq!(AbnormalFlag::from_code(code).code(), code);
        }
        for code in [
            "F", "P", "C", "X", "D", "R", "I", "S", "W", "U", "O", "A", "N", "Z",
        ] {
            assert_eq!(ResultStatus::from_code(code).code(), code);
        }
        assert_eq!(
            AbnormalFlag::from_code("POS"),
            AbnormalFlag::Other("POS".into())
        );
    }

    #[test]
    fn other_message_types_and_versions_are_refused_for_ar() {
        let err = OruR01::parse("MSH|^~\\&|A|B|C|D|2024||ADT^A01|1|P|2.5.1\rPID|1||X").unwrap_err();
        assert_eq!(err.code(), "hl7_unsupported_type");
        assert!(err.to_string().contains("ADT^A01"), "{err}");
        assert_eq!(err.ack_code(), crate::interop::hl7v2::ack::AckCode::Reject);
        let err = OruR01::parse("MSH|^~\\&|A|B|C|D|2024||ORU^R30|1|P|2.5.1").unwrap_err();
        assert_eq!(err.code(), "hl7_unsupported_type");
        let err = OruR01::parse("MSH|^~\\&|A|B|C|D|2024||ORU^R01|1|P|2.7").unwrap_err();
        assert_eq!(err.code(), "hl7_unsupported_version");
        assert!(err.to_string().contains("2.7"));
        for (text, field) in [
            ("MSH|^~\\&|A|B|C|D|2024||", 9),
            ("MSH|^~\\&|A|B|C|D|2024||ORU^R01||P|2.5", 10),
            ("MSH|^~\\&|A|B|C|D|2024||ORU^R01|1|P", 12),
        ] {
            let err = OruR01::parse(text).unwrap_err();
            assert!(
                matches!(err, Hl7Error::MissingField { field: f, .. } if f == field),
                "{text}: {err:?}"
            );
        }
    }

    #[test]
    fn structure_errors_name_the_segment() {
        let cases: [(&[&str], &str, &str); 7] = [
            (&[OBR], "OBR", "before any PID"),
            (&[PID, "OBX|1|NM|X^Y^L||1||||||F"], "OBX", "before any OBR"),
            (&[PID], "PID", "no OBR"),
            (&[], "PID", "no PID"),
            (
                &[PID, "ORC|RE", "ORC|RE", OBR],
                "ORC",
                "followed by its OBR",
            ),
            (&[PID, OBR, "ORC|RE"], "ORC", "followed by its OBR"),
            (&[PID, OBR, MSH], "MSH", "second MSH"),
        ];
        for (rest, segment, hint) in cases {
            let err = oru(rest).unwrap_err();
            assert_eq!(err.code(), "hl7_bad_segment", "{rest:?}");
            let Hl7Error::BadSegment { segment: s, .. } = &err else {
                panic!()
            };
            assert_eq!(s, segment);
            assert!(err.to_string().contains(hint), "{err}");
            assert_eq!(err.ack_code(), crate::interop::hl7v2::ack::AckCode::Error);
        }
    }

    #[test]
    fn required_fields_are_reported_with_their_place() {
        for (rest, seg, field) in [
            (vec!["PID|1||", OBR], "PID", 3),
            (vec![PID, "OBR|1|||"], "OBR", 4),
            (vec![PID, OBR, "OBX|1|NM|||5||||||F"], "OBX", 3),
            (vec![PID, OBR, "OBX|1|NM|X^Y^L||5"], "OBX", 11),
            (vec![PID, OBR, "OBX|1||X^Y^L||5||||||F"], "OBX", 2),
        ] {
            let err = oru(&rest).unwrap_err();
            let Hl7Error::MissingField {
                segment,
                field: f,
                line,
                ..
            } = &err
            else {
                panic!("{err:?}")
            };
            assert_eq!((segment.as_str(), *f), (seg, field), "{err}");
            assert!(*line > 1);
        }
        // No value and no type is a result without a value (e.g. cannot obtain).
        let m = oru(&[PID, OBR, "OBX|1||X^Y^L||||||||X"]).unwrap();
        let obx = &m.patient_results[0].orders[0].observations[0];
        assert_eq!(
            (obx.values.len(), &obx.status),
            (0, &ResultStatus::CannotObtain)
        );
    }

    #[test]
    fn bad_timestamps_and_stray_notes_are_warnings_not_failures() {
        let m = oru(&[
            "NTE|1||before the patient",
            "PID|1||M1||Doe^J||196203520|M",
            OBR,
            "OBX|1|NM|X^Y^L||1||||||F|||2024-01-05",
        ])
        .unwrap();
        assert_eq!(m.patient_results[0].patient.birth_date, None);
        let codes: Vec<_> = m
            .warnings
            .iter()
            .map(|w| (w.code, w.segment.as_str(), w.field))
            .collect();
        assert_eq!(
            codes,
            vec![
                ("hl7_note_unattached", "NTE", 3),
                ("hl7_bad_timestamp", "PID", 7),
                ("hl7_bad_timestamp", "OBX", 14),
            ]
        );
    }

    #[test]
    fn specimen_observations_and_several_patients_and_orders() {
        let m = oru(&[
            PID,
            OBR,
            "OBX|1|NM|A^A^L||1||||||F",
            "SPM|1|||BLD",
            "OBX|2|NM|35659-2^Age^LN||29|a|||||F",
            "OBR|2||F2|B^B^L",
            "OBX|1|ST|C^C^L||ok||||||F",
            "PID|2||OTHER^^^ACME^MR",
            "OBR|1||F3|D^D^L",
        ])
        .unwrap();
        assert_eq!(m.patient_results.len(), 2);
        let orders = &m.patient_results[0].orders;
        assert_eq!(orders.len(), 2);
        assert_eq!(orders[0].observations.len(), 2);
        assert!(!orders[0].observations[0].in_specimen_group);
        assert!(orders[0].observations[1].in_specimen_group);
        assert!(!orders[1].observations[0].in_specimen_group);
        assert_eq!(orders[1].filler().unwrap().id, "F2");
        assert_eq!(m.patient_results[1].patient.identifiers[0].id, "OTHER");
        assert_eq!(m.patient_results[1].orders[0].observations.len(), 0);
    }

    #[test]
    fn numeric_accepts_only_hl7_decimals() {
        for ok in ["1", "-1", "+1.5", "0.25", ".5", "5.", " 7 "] {
            assert!(Numeric::parse(ok).is_some(), "{ok}");
        }
        for bad in ["", "-", ".", "1e5", "inf", "NaN", "1.2.3", "1,5", "--1"] {
            assert!(Numeric::parse(bad).is_none(), "{bad}");
        }
    }

    proptest! {
        /// Messages shaped like results (real segment ids in any order, fields of random
        /// text and delimiters) are read or refused, never a panic.
        #[test]
        fn result_shaped_messages_never_panic(
            segments in proptest::collection::vec(
                (
                    prop::sample::select(vec!["PID", "ORC", "OBR", "OBX", "NTE", "SPM", "PV1", "MSH", "ZZZ"]),
                    proptest::collection::vec(
                        prop_oneof![
                            "[ -~]{0,12}",
                            prop::sample::select(vec![
                                "F", "NM", "SN", "CWE", "ST", "X^Y^LN", "<^5", "^1^:^2",
                                "3.5-5.0", "<0.5", "20240105083000-0500", "M1^^^A&1&ISO^MR",
                            ])
                            .prop_map(String::from),
                        ],
                        0..16,
                    ),
                ),
                0..12,
            )
        ) {
            let mut text = MSH.to_string();
            for (name, fields) in &segments {
                text.push('\r');
                text.push_str(name);
                for f in fields {
                    text.push('|');
                    text.push_str(f);
                }
            }
            if let Ok(oru) = OruR01::parse(&text) {
                prop_assert!(!oru.patient_results.is_empty());
            }
        }
    }
}
