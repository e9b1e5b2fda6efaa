//! Documents (PDFs, images, and the CDA documents patients bring) kept inside the encrypted
//! database, never as loose files.

use base64::Engine as _;
use serde_json::{Map, Value as Json};
use uuid::Uuid;

use super::validate::MAX_DOCUMENT_BYTES;
use super::ChartError;
use crate::ledger::Value;

/// The media type from the file's first bytes; only PDFs, common images and HL7 CDA
/// documents (XML, `text/xml` as IHE document sharing names it) are kept.
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    if is_cda(bytes) {
        Some("text/xml")
    } else if bytes.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some("image/gif")
    } else if bytes.len() > 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else if bytes.starts_with(b"II*\0") || bytes.starts_with(b"MM\0*") {
        Some("image/tiff")
    } else {
        None
    }
}

/// An HL7 CDA document: XML whose root element is `ClinicalDocument` in the HL7 v3
/// namespace. Other XML is not kept: a viewer could not show it safely for what it is.
fn is_cda(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(8192)];
    let Ok(text) =
        std::str::from_utf8(head).or_else(|e| std::str::from_utf8(&head[..e.valid_up_to()]))
    else {
        return false;
    };
    let text = text.trim_start_matches('\u{feff}').trim_start();
    if !text.starts_with('<') {
        return false;
    }
    // The root element: the first tag that is not a declaration, instruction or comment.
    let mut rest = text;
    loop {
        let Some(i) = rest.find('<') else {
            return false;
        };
        rest = &rest[i..];
        if rest.starts_with("<?") {
            let Some(end) = rest.find("?>") else {
                return false;
            };
            rest = &rest[end + 2..];
        } else if rest.starts_with("<!--") {
            let Some(end) = rest.find("-->") else {
                return false;
            };
            rest = &rest[end + 3..];
        } else {
            break;
        }
    }
    let tag_end = rest.find('>').unwrap_or(rest.len());
    let tag = &rest[..tag_end];
    let name = tag[1..]
        .split(|c: char| c.is_whitespace() || c == '/')
        .next()
        .unwrap_or_default();
    name.rsplit(':').next() == Some("ClinicalDocument") && tag.contains("urn:hl7-org:v3")
}

/// Checks the content and fills size, checksum and media type from the bytes themselves.
pub fn check(fields: &mut Vec<(String, Value)>, m: &Map<String, Json>) -> Result<(), ChartError> {
    if m.get("title")
        .and_then(Json::as_str)
        .is_none_or(|t| t.trim().is_empty())
    {
        return Err(ChartError::invalid("title", "is required"));
    }
    let Some(Value::Bytes(bytes)) = fields
        .iter()
        .find(|(k, _)| k == "content")
        .map(|(_, v)| v.clone())
    else {
        if m.contains_key("id") {
            return Ok(()); // An edit of a stored document that leaves the content alone.
        }
        return Err(ChartError::invalid(
            "content",
            "attach the file as base64 text",
        ));
    };
    if bytes.len() > MAX_DOCUMENT_BYTES {
        return Err(ChartError::TooLarge(format!(
            "the document is {:.1} MB; the limit is {} MB. Scan at a lower resolution or split it",
            bytes.len() as f64 / 1_048_576.0,
            MAX_DOCUMENT_BYTES / 1_048_576
        )));
    }
    let mime = sniff(&bytes).ok_or_else(|| {
        ChartError::invalid(
            "content",
            "is not a PDF, an image (PNG, JPEG, GIF, WebP, TIFF) or a CDA document",
        )
    })?;
    let digest = ring::digest::digest(&ring::digest::SHA256, &bytes);
    fields.retain(|(k, _)| !["mime", "size", "sha256"].contains(&k.as_str()));
    fields.push(("mime".into(), Value::from(mime)));
    fields.push(("size".into(), Value::Int(bytes.len() as i64)));
    fields.push(("sha256".into(), Value::Text(hex::encode(digest.as_ref()))));
    Ok(())
}

/// A document's bytes, for `document.content`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct Content {
    pub id: Uuid,
    pub title: Option<String>,
    /// The media type found in the bytes (application/pdf, image/png…).
    pub mime: Option<String>,
    /// The bytes, standard base64.
    pub content: super::shape::Base64,
}

/// The document's bytes as base64, with its media type.
pub fn content(conn: &rusqlite::Connection, id: &Uuid) -> Result<Content, ChartError> {
    let (mime, bytes, title): (Option<String>, Option<Vec<u8>>, Option<String>) = conn
        .query_row(
            "SELECT mime, content, title FROM document WHERE id = ?1",
            [id.to_string()],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .map_err(|e| match e {
            rusqlite::Error::QueryReturnedNoRows => ChartError::NotFound(format!("document {id}")),
            e => e.into(),
        })?;
    Ok(Content {
        id: *id,
        title,
        mime,
        content: super::shape::Base64(
            base64::engine::general_purpose::STANDARD.encode(bytes.unwrap_or_default()),
        ),
    })
}
