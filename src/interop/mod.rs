//! Records in and out of the practice in other systems' formats: FHIR R4 (a chart, the
//! practice, the International Patient Summary), HL7 v2 lab results, and C-CDA documents
//! that patients bring.
//!
//! Everything here reads the chart through the same projection tables as the screens, and
//! (for imports) writes through the ledger like any other write.

use std::path::PathBuf;

use crate::chart::ChartError;

pub mod ccda;
pub mod fhir;
pub mod hl7v2;

#[derive(Debug, thiserror::Error)]
pub enum InteropError {
    #[error(transparent)]
    Chart(#[from] ChartError),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// An export never writes over files that are already there.
    #[error("{0} already holds files; choose a new or empty folder for the export")]
    NotEmpty(PathBuf),
    #[error("{0} exists; choose a new file name for the export")]
    Exists(PathBuf),
}

impl InteropError {
    pub fn code(&self) -> &'static str {
        match self {
            InteropError::Chart(e) => e.code(),
            InteropError::Io { .. } => "io_error",
            InteropError::NotEmpty(_) => "invalid_input",
            InteropError::Exists(_) => "file_exists",
        }
    }

    pub(crate) fn io(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> InteropError + '_ {
        move |source| InteropError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// Writes `bytes` to a file that must not exist yet, and makes it durable. A file that
/// cannot be written whole is removed, so an export is either all there or not there.
pub fn write_new_file(path: &std::path::Path, bytes: &[u8]) -> Result<(), InteropError> {
    use std::io::Write;
    let mut file = match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
    {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            return Err(InteropError::Exists(path.to_path_buf()))
        }
        Err(e) => return Err(InteropError::io(path)(e)),
    };
    let written = file.write_all(bytes).and_then(|()| file.sync_all());
    if let Err(e) = written {
        drop(file);
        let _ = std::fs::remove_file(path);
        return Err(InteropError::io(path)(e));
    }
    Ok(())
}

impl From<rusqlite::Error> for InteropError {
    fn from(e: rusqlite::Error) -> InteropError {
        InteropError::Chart(e.into())
    }
}
