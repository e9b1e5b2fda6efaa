//! Deterministic synthetic practices for demos and benchmarks.

use uuid::Uuid;

use crate::practice::{Practice, PracticeError};

/// Password of the demo staff accounts. Demo practices only.
pub const DEMO_PASSWORD: &str = "chartkeep-demo";

#[derive(Debug, Clone, serde::Serialize)]
pub struct Report {
    pub patients: usize,
    pub commits: u64,
    pub changes: u64,
    pub showcase: Uuid,
}

pub fn populate(
    _practice: &mut Practice,
    _patients: usize,
    _seed: u64,
    _progress: &mut dyn FnMut(usize),
) -> Result<Report, PracticeError> {
    unimplemented!()
}

pub fn showcase_chart(
    _practice: &mut Practice,
    _years: u32,
    _seed: u64,
) -> Result<Uuid, PracticeError> {
    unimplemented!()
}
