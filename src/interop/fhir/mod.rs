//! FHIR R4 (4.0.1): one patient's whole chart as a Bundle.
//!
//! The code systems are the ones the chart already uses (ICD-10-CM problems, LOINC
//! observations, RxNorm medications, CVX vaccines, UCUM units); statuses map onto the
//! value sets FHIR binds as required, and a retracted record ("entered in error") is
//! exported with that status rather than left out, so a receiving system knows to
//! disregard what it may have received earlier.

pub mod bulk;
pub mod export;
pub mod import;
pub mod ips;
mod resources;

pub const LOINC: &str = "http://loinc.org";
pub const SNOMED: &str = "http://snomed.info/sct";
pub const ICD10CM: &str = "http://hl7.org/fhir/sid/icd-10-cm";
pub const RXNORM: &str = "http://www.nlm.nih.gov/research/umls/rxnorm";
pub const CVX: &str = "http://hl7.org/fhir/sid/cvx";
pub const UCUM: &str = "http://unitsofmeasure.org";
pub const CPT: &str = "http://www.ama-assn.org/go/cpt";
pub const BCP47: &str = "urn:ietf:bcp:47";
/// The HL7 terminology code systems, e.g. `condition-clinical`.
pub const THO: &str = "http://terminology.hl7.org/CodeSystem/";

/// The identifier system of the chart's medical record numbers in exports.
pub const MRN_SYSTEM: &str = "urn:chartkeep:mrn";
/// Tags what Chartkeep itself derives on export (the Provenance made from its ledger), so
/// an import of its own export does not keep it twice.
pub const OWN_TAG_SYSTEM: &str = "urn:chartkeep:tag";
/// The identifier system of a chart record's own id, where one record leaves as several
/// resources (a social history entry as its smoking and alcohol Observations), so an
/// import puts them back together.
pub const RECORD_SYSTEM: &str = "urn:chartkeep:record";
