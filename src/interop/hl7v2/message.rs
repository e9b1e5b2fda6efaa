//! One HL7 v2 message as segments → fields → repetitions → components → subcomponents.
//!
//! The message names its own delimiters: MSH-1 is the field separator (the character right
//! after `MSH`) and MSH-2 lists the component, repetition, escape and subcomponent characters
//! in that order. Most labs send `|^~\&`, but nothing here assumes it. Segments end with
//! `\r` as the standard says, or with `\n` or `\r\n` as files and some interfaces have it;
//! blank lines and a trailing separator are ignored.
//!
//! Leaves are unescaped once, at parse time, so every accessor returns the value the sender
//! meant (`\S\` is a literal `^`). Splitting happens on the raw text first and escapes are
//! decoded after, which is what lets an escaped delimiter survive as data. Numbering is
//! 1-based, as HL7 documents it: `PID-3` is `segment.field(3)`.

use super::Hl7Error;

/// The characters one message uses to separate its parts, read from its MSH-1 and MSH-2.
///
/// Only the field separator is certain to exist; a message may declare fewer than the four
/// encoding characters, and the parts it leaves out are then never split (`None`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delimiters {
    pub field: char,
    pub component: Option<char>,
    pub repetition: Option<char>,
    pub escape: Option<char>,
    pub subcomponent: Option<char>,
    /// The 2.7 truncation character (a fifth MSH-2 character), kept so `\P\` can decode.
    pub truncation: Option<char>,
}

impl Default for Delimiters {
    /// `|^~\&`, what nearly every sender uses and what a message built here uses.
    fn default() -> Self {
        Delimiters {
            field: '|',
            component: Some('^'),
            repetition: Some('~'),
            escape: Some('\\'),
            subcomponent: Some('&'),
            truncation: None,
        }
    }
}

impl Delimiters {
    /// Reads the field separator and the MSH-2 encoding characters. Rejects characters that
    /// would make the message ambiguous: a letter or digit, a line break, or the same
    /// character declared for two roles.
    pub fn new(field: char, encoding: &str) -> Result<Delimiters, Hl7Error> {
        let chars: Vec<char> = encoding.chars().collect();
        if chars.len() > 5 {
            return Err(Hl7Error::NotAMessage(format!(
                "MSH-2 (encoding characters) is {encoding:?}: it should be at most 5 \
                 characters such as ^~\\& followed by the field separator {field:?}"
            )));
        }
        let mut all = vec![field];
        all.extend(chars.iter().copied());
        for (i, c) in all.iter().enumerate() {
            if c.is_alphanumeric() || c.is_whitespace() || c.is_control() {
                return Err(Hl7Error::NotAMessage(format!(
                    "the encoding characters MSH-1/MSH-2 contain {c:?}, which cannot be a \
                     delimiter (letters, digits, spaces and control characters are data)"
                )));
            }
            if all[..i].contains(c) {
                return Err(Hl7Error::NotAMessage(format!(
                    "the encoding characters MSH-1/MSH-2 declare {c:?} twice; each \
                     delimiter must be a different character"
                )));
            }
        }
        Ok(Delimiters {
            field,
            component: chars.first().copied(),
            repetition: chars.get(1).copied(),
            escape: chars.get(2).copied(),
            subcomponent: chars.get(3).copied(),
            truncation: chars.get(4).copied(),
        })
    }

    /// MSH-2 as the message wrote it, for an answer that must use the same characters.
    pub fn encoding_characters(&self) -> String {
        [
            self.component,
            self.repetition,
            self.escape,
            self.subcomponent,
            self.truncation,
        ]
        .iter()
        .map_while(|c| *c)
        .collect()
    }

    /// Escapes a value so it can be written into one subcomponent of a message with these
    /// delimiters: each delimiter becomes its escape sequence, a line break becomes `\.br\`
    /// and a carriage return `\X0D\` (either would otherwise end the segment). Without an
    /// escape character there is no way to carry a delimiter, so it is replaced by a space
    /// rather than allowed to split the value.
    pub fn escape(&self, value: &str) -> String {
        let mut out = String::with_capacity(value.len());
        for c in value.chars() {
            let code = if Some(c) == self.escape {
                Some("E")
            } else if c == self.field {
                Some("F")
            } else if Some(c) == self.component {
                Some("S")
            } else if Some(c) == self.subcomponent {
                Some("T")
            } else if Some(c) == self.repetition {
                Some("R")
            } else if Some(c) == self.truncation {
                Some("P")
            } else if c == '\n' {
                Some(".br")
            } else if c == '\r' {
                Some("X0D")
            } else {
                None
            };
            match (code, self.escape) {
                (Some(code), Some(e)) => {
                    out.push(e);
                    out.push_str(code);
                    out.push(e);
                }
                (Some(_), None) => out.push(' '),
                (None, _) => out.push(c),
            }
        }
        out
    }

    /// Decodes the escape sequences of one leaf. Sequences this parser does not interpret
    /// (highlighting `\H\`, character set switches `\C..\`, formatting other than `\.br\`,
    /// local `\Z..\`) are kept verbatim, escape characters included, so nothing the sender
    /// wrote is lost; so is an escape character with no closing partner.
    pub fn unescape(&self, raw: &str) -> String {
        let Some(e) = self.escape else {
            return raw.to_string();
        };
        if !raw.contains(e) {
            return raw.to_string();
        }
        let mut out = String::with_capacity(raw.len());
        let mut rest = raw;
        while let Some(start) = rest.find(e) {
            out.push_str(&rest[..start]);
            let after = &rest[start + e.len_utf8()..];
            let Some(len) = after.find(e) else {
                // No closing escape character: the rest is data.
                out.push_str(&rest[start..]);
                return out;
            };
            let sequence = &after[..len];
            match self.decode_sequence(sequence) {
                Some(decoded) => out.push_str(&decoded),
                None => {
                    out.push(e);
                    out.push_str(sequence);
                    out.push(e);
                }
            }
            rest = &after[len + e.len_utf8()..];
        }
        out.push_str(rest);
        out
    }

    fn decode_sequence(&self, sequence: &str) -> Option<String> {
        let one = |c: Option<char>| c.map(String::from);
        match sequence {
            "F" => Some(self.field.to_string()),
            "S" => one(self.component),
            "T" => one(self.subcomponent),
            "R" => one(self.repetition),
            "E" => one(self.escape),
            "P" => one(self.truncation),
            ".br" => Some("\n".to_string()),
            _ => {
                let hex = sequence.strip_prefix('X')?;
                decode_hex(hex)
            }
        }
    }
}

/// `\Xhhhh\`: the bytes as UTF-8 when they are, otherwise one Latin-1 character a byte (the
/// usual meaning in labs that send it for degree signs and accented names).
fn decode_hex(hex: &str) -> Option<String> {
    if hex.is_empty() || hex.len() % 2 != 0 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let bytes: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16))
        .collect::<Result<_, _>>()
        .ok()?;
    Some(match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => e.into_bytes().iter().map(|&b| char::from(b)).collect(),
    })
}

/// The smallest part: one subcomponent's decoded text lives in [`Component::subcomponents`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Component {
    pub subcomponents: Vec<String>,
}

impl Component {
    /// Subcomponent `n` (1-based), `None` past the end.
    pub fn sub(&self, n: usize) -> Option<&str> {
        self.subcomponents
            .get(n.checked_sub(1)?)
            .map(String::as_str)
    }

    /// The first subcomponent, or `""`: what a simple component's value is.
    pub fn value(&self) -> &str {
        self.sub(1).unwrap_or("")
    }
}

/// One occurrence of a repeating field.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Repetition {
    pub components: Vec<Component>,
    /// The occurrence's text as sent, escapes and all, so a caller can copy it into another
    /// message with the same delimiters (the ACK copies MSH-3..6 this way).
    pub raw: String,
}

impl Repetition {
    /// Component `n` (1-based).
    pub fn component(&self, n: usize) -> Option<&Component> {
        self.components.get(n.checked_sub(1)?)
    }

    /// Component `n`'s first subcomponent, or `""` when absent.
    pub fn value(&self, n: usize) -> &str {
        self.component(n).map(Component::value).unwrap_or("")
    }
}

/// One field: its repetitions (a field without repetitions has one).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Field {
    pub repetitions: Vec<Repetition>,
    /// The whole field as sent, before splitting and unescaping.
    pub raw: String,
}

impl Field {
    /// Repetition `n` (1-based).
    pub fn rep(&self, n: usize) -> Option<&Repetition> {
        self.repetitions.get(n.checked_sub(1)?)
    }

    /// True when the field was sent empty (HL7 "not present").
    pub fn is_empty(&self) -> bool {
        self.raw.is_empty()
    }
}

/// One segment: its three-character id and fields numbered from 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    pub name: String,
    /// `fields[0]` is field 1. For MSH that is the field separator itself (MSH-1) and
    /// `fields[1]` is MSH-2, the encoding characters, neither split nor unescaped.
    pub fields: Vec<Field>,
    /// 1-based position in the message, for errors that point a person at it.
    pub line: usize,
}

impl Segment {
    /// Field `n` (1-based).
    pub fn field(&self, n: usize) -> Option<&Field> {
        self.fields.get(n.checked_sub(1)?)
    }

    /// The leaf at field/repetition/component/subcomponent, all 1-based.
    pub fn get(&self, field: usize, rep: usize, component: usize, sub: usize) -> Option<&str> {
        self.field(field)?.rep(rep)?.component(component)?.sub(sub)
    }

    /// Field `n`, first repetition, component `c`, first subcomponent, or `""`: the common
    /// case of reading a simple value.
    pub fn value(&self, field: usize, component: usize) -> &str {
        self.get(field, 1, component, 1).unwrap_or("")
    }

    /// Field `n`'s first repetition as one string with its component and subcomponent
    /// separators kept (as the message's own characters) and escapes decoded: how a text
    /// (`ST`) field reads when a sender put an unescaped `^` in it.
    pub fn text(&self, field: usize, delimiters: &Delimiters) -> String {
        let Some(rep) = self.field(field).and_then(|f| f.rep(1)) else {
            return String::new();
        };
        delimiters.unescape(&rep.raw)
    }
}

/// A parsed message: its delimiters and segments in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub delimiters: Delimiters,
    pub segments: Vec<Segment>,
}

impl Message {
    /// Parses bytes as they arrive from a file or an MLLP frame. UTF-8 is read as UTF-8; any
    /// other bytes are read as ISO-8859-1 (one character per byte), the character set of
    /// most labs that do not send UTF-8, so a non-UTF-8 name is kept rather than refused.
    pub fn parse_bytes(bytes: &[u8]) -> Result<Message, Hl7Error> {
        match std::str::from_utf8(bytes) {
            Ok(text) => Message::parse(text),
            Err(_) => {
                let text: String = bytes.iter().map(|&b| char::from(b)).collect();
                Message::parse(&text)
            }
        }
    }

    /// Parses one message. Fails only when the text is not a message at all (no MSH, or
    /// encoding characters that cannot be delimiters); anything past the MSH is split as it
    /// comes, and what it means is for [`super::oru`] to judge.
    pub fn parse(text: &str) -> Result<Message, Hl7Error> {
        let text = text.trim_start_matches(['\u{feff}', '\r', '\n', ' ', '\t']);
        if text.is_empty() {
            return Err(Hl7Error::NotAMessage(
                "the text is empty; an HL7 v2 message starts with an MSH segment".into(),
            ));
        }
        if !text.starts_with("MSH") {
            let start: String = text.chars().take(3).collect();
            let why = if start == "FHS" || start == "BHS" {
                "it is a batch (FHS/BHS header); split the batch into its messages first"
                    .to_string()
            } else {
                format!("it starts with {start:?}; an HL7 v2 message starts with MSH")
            };
            return Err(Hl7Error::NotAMessage(why));
        }
        let mut chars = text["MSH".len()..].chars();
        let Some(field_sep) = chars.next() else {
            return Err(Hl7Error::NotAMessage(
                "the MSH segment ends before its field separator (MSH-1)".into(),
            ));
        };
        let after_sep = chars.as_str();
        let line_end = after_sep.find(['\r', '\n']).unwrap_or(after_sep.len());
        let encoding_end = after_sep[..line_end].find(field_sep).unwrap_or(line_end);
        let delimiters = Delimiters::new(field_sep, &after_sep[..encoding_end])?;

        let mut lines: Vec<String> = Vec::new();
        for line in text.split(['\r', '\n']) {
            if line.is_empty() {
                continue;
            }
            if looks_like_segment(line, field_sep) || lines.is_empty() {
                lines.push(line.to_string());
            } else if let Some(last) = lines.last_mut() {
                // A line break inside a value (some labs send TX text this way instead of
                // `\.br\`): keep it as part of the value rather than invent a segment.
                last.push('\n');
                last.push_str(line);
            }
        }
        let segments = lines
            .iter()
            .enumerate()
            .map(|(i, line)| parse_segment(line, i + 1, &delimiters))
            .collect();
        Ok(Message {
            delimiters,
            segments,
        })
    }

    /// The first segment named `name`.
    pub fn segment(&self, name: &str) -> Option<&Segment> {
        self.segments.iter().find(|s| s.name == name)
    }

    /// Every segment named `name`, in order.
    pub fn segments_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Segment> {
        self.segments.iter().filter(move |s| s.name == name)
    }

    /// The leaf at `name`-field(rep).component.sub of the first such segment, 1-based:
    /// `msg.get("PID", 3, 1, 1, 1)` is the first patient identifier.
    pub fn get(
        &self,
        name: &str,
        field: usize,
        rep: usize,
        component: usize,
        sub: usize,
    ) -> Option<&str> {
        self.segment(name)?.get(field, rep, component, sub)
    }

    /// The MSH segment (always the first: [`Message::parse`] refuses text without it).
    pub fn msh(&self) -> Option<&Segment> {
        self.segments.first().filter(|s| s.name == "MSH")
    }
}

/// A segment id is three upper-case letters or digits (`MSH`, `OBX`, `ZPR`) followed by the
/// field separator or the end of the line.
fn looks_like_segment(line: &str, field_sep: char) -> bool {
    let mut chars = line.chars();
    let id_ok = (0..3).all(|_| {
        chars
            .next()
            .is_some_and(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
    });
    id_ok && chars.next().is_none_or(|c| c == field_sep)
}

fn parse_segment(line: &str, number: usize, d: &Delimiters) -> Segment {
    let name: String = line.chars().take(3).collect();
    let rest = &line[name.len()..];
    let mut fields = Vec::new();
    let body = if name == "MSH" {
        let mut chars = rest.chars();
        // MSH-1 is the separator itself and MSH-2 the encoding characters, both literal.
        chars.next();
        fields.push(literal_field(d.field.to_string()));
        let after = chars.as_str();
        let end = after.find(d.field).unwrap_or(after.len());
        fields.push(literal_field(after[..end].to_string()));
        after.get(end + d.field.len_utf8()..)
    } else {
        rest.strip_prefix(d.field)
    };
    if let Some(body) = body {
        fields.extend(body.split(d.field).map(|raw| parse_field(raw, d)));
    }
    Segment {
        name,
        fields,
        line: number,
    }
}

fn literal_field(value: String) -> Field {
    Field {
        repetitions: vec![Repetition {
            components: vec![Component {
                subcomponents: vec![value.clone()],
            }],
            raw: value.clone(),
        }],
        raw: value,
    }
}

fn split_opt(text: &str, sep: Option<char>) -> Vec<&str> {
    match sep {
        Some(c) => text.split(c).collect(),
        None => vec![text],
    }
}

fn parse_field(raw: &str, d: &Delimiters) -> Field {
    let repetitions = split_opt(raw, d.repetition)
        .into_iter()
        .map(|rep| Repetition {
            components: split_opt(rep, d.component)
                .into_iter()
                .map(|comp| Component {
                    subcomponents: split_opt(comp, d.subcomponent)
                        .into_iter()
                        .map(|sub| d.unescape(sub))
                        .collect(),
                })
                .collect(),
            raw: rep.to_string(),
        })
        .collect();
    Field {
        repetitions,
        raw: raw.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const BASIC: &str = "MSH|^~\\&|LAB|ACME|EHR|CLINIC|20240105083000||ORU^R01|42|P|2.5.1\r\
                         PID|1||MRN7^^^ACME&1.2.3&ISO^MR~X9^^^OTHER^PI||Doe^Jane\r";

    #[test]
    fn msh_numbering_counts_the_separator_as_field_one() {
        let m = Message::parse(BASIC).unwrap();
        let msh = m.msh().unwrap();
        assert_eq!(msh.value(1, 1), "|");
        assert_eq!(msh.value(2, 1), "^~\\&");
        assert_eq!(msh.value(3, 1), "LAB");
        assert_eq!(msh.value(9, 1), "ORU");
        assert_eq!(msh.value(9, 2), "R01");
        assert_eq!(msh.value(10, 1), "42");
        assert_eq!(msh.value(12, 1), "2.5.1");
    }

    #[test]
    fn accessors_reach_repetitions_components_and_subcomponents() {
        let m = Message::parse(BASIC).unwrap();
        assert_eq!(m.get("PID", 3, 1, 1, 1), Some("MRN7"));
        assert_eq!(m.get("PID", 3, 1, 4, 2), Some("1.2.3"));
        assert_eq!(m.get("PID", 3, 2, 1, 1), Some("X9"));
        assert_eq!(m.get("PID", 3, 2, 5, 1), Some("PI"));
        assert_eq!(m.get("PID", 3, 3, 1, 1), None);
        assert_eq!(m.get("PID", 5, 1, 2, 1), Some("Jane"));
        assert_eq!(m.get("PID", 0, 1, 1, 1), None);
        assert_eq!(m.get("PID", 99, 1, 1, 1), None);
    }

    #[test]
    fn each_escape_sequence_decodes() {
        let d = Delimiters::default();
        assert_eq!(d.unescape("a\\F\\b"), "a|b");
        assert_eq!(d.unescape("a\\S\\b"), "a^b");
        assert_eq!(d.unescape("a\\T\\b"), "a&b");
        assert_eq!(d.unescape("a\\R\\b"), "a~b");
        assert_eq!(d.unescape("a\\E\\b"), "a\\b");
        assert_eq!(d.unescape("line1\\.br\\line2"), "line1\nline2");
        assert_eq!(d.unescape("\\X0D\\"), "\r");
        assert_eq!(
            d.unescape("37\\XB0\\C"),
            "37°C",
            "a lone byte reads as Latin-1"
        );
        assert_eq!(
            d.unescape("37\\XC2B0\\C"),
            "37°C",
            "bytes that are UTF-8 read so"
        );
    }

    #[test]
    fn unknown_or_broken_escapes_are_kept_verbatim() {
        let d = Delimiters::default();
        assert_eq!(d.unescape("\\H\\bold\\N\\"), "\\H\\bold\\N\\");
        assert_eq!(d.unescape("\\.sp2\\"), "\\.sp2\\");
        assert_eq!(d.unescape("\\XZZ\\"), "\\XZZ\\");
        assert_eq!(d.unescape("\\X0\\"), "\\X0\\");
        assert_eq!(d.unescape("trailing \\ alone"), "trailing \\ alone");
        assert_eq!(d.unescape("\\\\"), "\\\\");
    }

    #[test]
    fn escapes_in_a_parsed_field_do_not_split_it() {
        let text = "MSH|^~\\&|L\r OBX|1|ST|X||a\\F\\b\\S\\c\\T\\d\\R\\e\r";
        let m = Message::parse(&text.replace("\r ", "\r")).unwrap();
        let obx = m.segment("OBX").unwrap();
        assert_eq!(obx.field(5).unwrap().repetitions.len(), 1);
        assert_eq!(obx.value(5, 1), "a|b^c&d~e");
    }

    #[test]
    fn every_segment_separator_variant_reads_the_same() {
        let segs = ["MSH|^~\\&|L|F", "PID|1||M1", "OBX|1|NM|A||5"];
        let expected = Message::parse(&segs.join("\r")).unwrap();
        for joined in [
            segs.join("\r") + "\r",
            segs.join("\n"),
            segs.join("\n") + "\n",
            segs.join("\r\n"),
            segs.join("\r\n") + "\r\n",
            segs.join("\r\n\r\n") + "\n\n",
            format!("\n\r\n{}", segs.join("\r")),
        ] {
            let m = Message::parse(&joined).unwrap();
            assert_eq!(m.segments.len(), 3, "{joined:?}");
            assert_eq!(
                m.segments.iter().map(|s| &s.fields).collect::<Vec<_>>(),
                expected
                    .segments
                    .iter()
                    .map(|s| &s.fields)
                    .collect::<Vec<_>>(),
                "{joined:?}"
            );
        }
    }

    #[test]
    fn custom_encoding_characters_are_honoured() {
        let text = "MSH#*@!%#LAB#FAC#####ORU*R01#7#P#2.4\rPID#1##A1*B*C%C2@A2##Fam*Giv\r\
                    OBX#1#ST#X##x!F!y!S!z!T!w!R!v!E!u";
        let m = Message::parse(text).unwrap();
        let d = m.delimiters;
        assert_eq!(
            (d.field, d.component, d.repetition, d.escape, d.subcomponent),
            ('#', Some('*'), Some('@'), Some('!'), Some('%'))
        );
        assert_eq!(d.encoding_characters(), "*@!%");
        assert_eq!(m.get("MSH", 9, 1, 2, 1), Some("R01"));
        assert_eq!(m.get("MSH", 12, 1, 1, 1), Some("2.4"));
        assert_eq!(m.get("PID", 3, 1, 3, 2), Some("C2"));
        assert_eq!(m.get("PID", 3, 2, 1, 1), Some("A2"));
        assert_eq!(m.get("PID", 5, 1, 2, 1), Some("Giv"));
        assert_eq!(m.get("OBX", 5, 1, 1, 1), Some("x#y*z%w@v!u"));
        // `|` and `^` are plain data in this message.
        let m = Message::parse("MSH#*@!%#A|B^C\r").unwrap();
        assert_eq!(m.get("MSH", 3, 1, 1, 1), Some("A|B^C"));
    }

    #[test]
    fn fewer_encoding_characters_leave_those_parts_unsplit() {
        let m = Message::parse("MSH|^~|L\rPID|1||a^b~c&d\\S\\").unwrap();
        assert_eq!(m.delimiters.escape, None);
        assert_eq!(m.get("PID", 3, 2, 1, 1), Some("c&d\\S\\"));
    }

    #[test]
    fn text_that_is_not_a_message_is_refused_with_the_reason() {
        for (text, hint) in [
            ("", "empty"),
            ("\r\n", "empty"),
            ("PID|1", "starts with \"PID\""),
            ("FHS|^~\\&|", "batch"),
            ("MSH", "field separator"),
            ("MSHA^~\\&|", "cannot be a delimiter"),
            ("MSH|^^\\&|", "twice"),
            ("MSH|^~\\&xyz|", "at most 5"),
        ] {
            let err = Message::parse(text).unwrap_err();
            assert_eq!(err.code(), "hl7_not_a_message");
            assert!(err.to_string().contains(hint), "{text:?}: {err}");
        }
    }

    #[test]
    fn a_line_break_inside_a_value_stays_in_the_value() {
        let m = Message::parse("MSH|^~\\&|L\nOBX|1|TX|X||first line\nsecond line||\n").unwrap();
        assert_eq!(m.segments.len(), 2);
        assert_eq!(m.get("OBX", 5, 1, 1, 1), Some("first line\nsecond line"));
    }

    #[test]
    fn latin1_bytes_are_read_not_refused() {
        let mut bytes = b"MSH|^~\\&|L\rPID|1||1||M".to_vec();
        bytes.push(0xfc); // ü in ISO-8859-1
        bytes.extend_from_slice(b"ller^Ana");
        let m = Message::parse_bytes(&bytes).unwrap();
        assert_eq!(m.get("PID", 5, 1, 1, 1), Some("Müller"));
    }

    /// A segment's fields as repetitions of components of subcomponents.
    type Fields = Vec<Vec<Vec<Vec<String>>>>;

    /// A tiny encoder for the round trip, each leaf escaped.
    fn encode(d: &Delimiters, segments: &[(String, Fields)]) -> String {
        let mut out = format!("MSH{}{}", d.field, d.encoding_characters());
        for (name, fields) in segments {
            if name != "MSH" {
                out.push('\r');
                out.push_str(name);
            }
            for field in fields {
                out.push(d.field);
                let reps: Vec<String> = field
                    .iter()
                    .map(|rep| {
                        let comps: Vec<String> = rep
                            .iter()
                            .map(|comp| {
                                let subs: Vec<String> = comp.iter().map(|s| d.escape(s)).collect();
                                subs.join(&d.subcomponent.unwrap_or('&').to_string())
                            })
                            .collect();
                        comps.join(&d.component.unwrap_or('^').to_string())
                    })
                    .collect();
                out.push_str(&reps.join(&d.repetition.unwrap_or('~').to_string()));
            }
        }
        out.push('\r');
        out
    }

    fn delimiters() -> impl Strategy<Value = Delimiters> {
        let pool: Vec<char> = "|^~\\&#*@!%$+/:;?<>=".chars().collect();
        Just(pool).prop_shuffle().prop_map(|p| Delimiters {
            field: p[0],
            component: Some(p[1]),
            repetition: Some(p[2]),
            escape: Some(p[3]),
            subcomponent: Some(p[4]),
            truncation: None,
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let _ = Message::parse_bytes(&bytes);
            let mut with_header = b"MSH|^~\\&|".to_vec();
            with_header.extend_from_slice(&bytes);
            let _ = Message::parse_bytes(&with_header);
        }

        #[test]
        fn arbitrary_text_with_random_encoding_characters_never_panics(
            head in "[^\r\n]{0,6}", body in "(?s).{0,300}"
        ) {
            if let Ok(m) = Message::parse(&format!("MSH{head}{body}")) {
                for s in &m.segments {
                    let _ = s.get(3, 1, 1, 1);
                    let _ = s.text(5, &m.delimiters);
                }
            }
        }

        #[test]
        fn values_with_delimiters_round_trip(
            d in delimiters(),
            values in proptest::collection::vec(
                proptest::collection::vec(
                    proptest::collection::vec(
                        proptest::collection::vec("(?s).{0,12}", 1..3), 1..3), 1..3), 1..6)
        ) {
            let segments = vec![("ZZZ".to_string(), values.clone())];
            let text = encode(&d, &segments);
            let m = Message::parse(&text).unwrap();
            prop_assert_eq!(m.delimiters, d);
            let seg = &m.segments[1];
            prop_assert_eq!(&seg.name, "ZZZ");
            let parsed: Fields = seg.fields.iter().map(|f| {
                f.repetitions.iter().map(|r| {
                    r.components.iter().map(|c| c.subcomponents.clone()).collect()
                }).collect()
            }).collect();
            prop_assert_eq!(parsed, values);
        }
    }
}
