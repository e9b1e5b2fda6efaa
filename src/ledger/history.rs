//! Per-row history, read back from the signed commits themselves.

use rusqlite::Connection;
use uuid::Uuid;

use super::{encoding, hlc, LedgerError, Op, Value};

/// One change to a row, with who made it, where and when.
#[derive(Debug, Clone)]
pub struct Entry {
    pub change: Uuid,
    pub op: Op,
    pub hlc: u64,
    /// Wall-clock milliseconds of the change (from its HLC).
    pub at_ms: i64,
    pub author: Uuid,
    pub device: [u8; 32],
    pub fields: Vec<(String, Value)>,
}

/// Every change to `row`, oldest first.
pub fn row(conn: &Connection, row: &Uuid) -> Result<Vec<Entry>, LedgerError> {
    let mut stmt = conn.prepare_cached(
        "SELECT k.body, c.idx FROM ledger_change c JOIN ledger_commit k ON k.ord = c.commit_ord
         WHERE c.row = ?1 ORDER BY c.commit_ord, c.idx",
    )?;
    let rows = stmt.query_map([row.to_string()], |r| {
        Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, i64>(1)?))
    })?;
    let mut out = Vec::new();
    for r in rows {
        let (body, idx) = r?;
        let body = encoding::decode(&body)?;
        let device = super::commit::device_id(&body.device_key);
        let c = body
            .changes
            .into_iter()
            .nth(idx as usize)
            .ok_or(LedgerError::Decode(encoding::DecodeError(
                "change index beyond commit",
            )))?;
        out.push(Entry {
            change: c.id,
            op: c.op,
            hlc: body.hlc,
            at_ms: hlc::millis(body.hlc),
            author: body.author,
            device,
            fields: c.fields,
        });
    }
    Ok(out)
}
