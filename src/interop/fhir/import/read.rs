//! Reading import files: a Bundle (transaction, batch, collection, searchset, document), a
//! single resource, NDJSON (one resource per line), or a C-CDA document (read into FHIR
//! resources by `interop::ccda`), told apart by content rather than
//! by the file's name. Every resource keeps where it came from (file, and the path inside
//! it) so that a problem can be reported where a person can find it.

use std::sync::Arc;

use serde_json::Value as Json;

use super::Problem;

/// One resource as read, with its place in the input.
#[derive(Debug, Clone)]
pub struct Resource {
    pub json: Json,
    pub file: Arc<str>,
    /// Where in the file: `entry[3].resource`, or `line 12`.
    pub path: String,
    /// The Bundle entry's fullUrl, when it had one.
    pub full_url: Option<String>,
}

impl Resource {
    pub fn kind(&self) -> &str {
        self.json["resourceType"].as_str().unwrap_or_default()
    }

    pub fn id(&self) -> Option<&str> {
        self.json["id"].as_str().filter(|s| !s.is_empty())
    }

    /// `Type/id` when it has an id.
    pub fn local_ref(&self) -> Option<String> {
        self.id().map(|id| format!("{}/{id}", self.kind()))
    }

    /// How this resource is known across imports: `Type/id`, else its fullUrl, else a
    /// digest of its content (so the same resource read twice is still the same).
    pub fn source_key(&self) -> String {
        if let Some(r) = self.local_ref() {
            return r;
        }
        if let Some(u) = &self.full_url {
            return u.clone();
        }
        let digest = ring::digest::digest(&ring::digest::SHA256, self.json.to_string().as_bytes());
        format!("sha256:{}", hex::encode(digest.as_ref()))
    }

    /// A problem with this resource, at `at` inside it (a FHIRPath-like path).
    pub fn problem(&self, at: &str, message: impl Into<String>) -> Problem {
        Problem {
            file: self.file.to_string(),
            resource: self
                .local_ref()
                .unwrap_or_else(|| format!("{} (no id)", self.kind())),
            path: match (self.path.is_empty(), at.is_empty()) {
                (_, true) => self.path.clone(),
                (true, false) => at.to_string(),
                (false, false) => format!("{}.{at}", self.path),
            },
            message: message.into(),
        }
    }
}

/// Why a file is not read: it is larger than an import takes from one file.
pub fn too_large(len: usize, max: usize) -> String {
    format!(
        "the file is {:.1} MB, more than the {:.1} MB an import reads from one file; split it (one Bundle per patient, or NDJSON)",
        len as f64 / 1e6,
        max as f64 / 1e6
    )
}

/// The resources of one file, or why the file could not be read at all.
pub fn parse(name: &str, bytes: &[u8], max_bytes: usize) -> Result<Vec<Resource>, Problem> {
    let file: Arc<str> = Arc::from(name);
    let whole = |message: String| Problem {
        file: name.to_string(),
        resource: String::new(),
        path: String::new(),
        message,
    };
    if bytes.len() > max_bytes {
        return Err(whole(too_large(bytes.len(), max_bytes)));
    }
    let text = std::str::from_utf8(bytes).map_err(|e| {
        whole(format!(
            "not UTF-8 text (byte {}); FHIR JSON and C-CDA documents are read as UTF-8",
            e.valid_up_to()
        ))
    })?;
    let text = text.trim_start_matches('\u{feff}');
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(whole("the file is empty".into()));
    }
    if crate::interop::ccda::is_document(trimmed) {
        return crate::interop::ccda::resources(name, text);
    }
    if !trimmed.starts_with('{') {
        return Err(whole(
            "not FHIR JSON nor a CDA document: a Bundle, a resource or NDJSON starts with '{', a C-CDA document with <ClinicalDocument> (FHIR XML is not read)"
                .into(),
        ));
    }
    // One JSON value, or several lines of them (NDJSON).
    let mut lines = trimmed.lines().filter(|l| !l.trim().is_empty());
    let first_line = lines.next().unwrap_or_default();
    let ndjson = lines.next().is_some()
        && serde_json::from_str::<Json>(first_line).is_ok_and(|v| v.is_object());
    if ndjson {
        let mut out = Vec::new();
        for (n, line) in trimmed.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let json: Json = serde_json::from_str(line).map_err(|e| Problem {
                file: name.to_string(),
                resource: String::new(),
                path: format!("line {}", n + 1),
                message: format!("malformed JSON: {e}"),
            })?;
            let r = Resource {
                json,
                file: file.clone(),
                path: format!("line {}", n + 1),
                full_url: None,
            };
            if r.kind() == "Bundle" {
                out.extend(bundle_entries(r)?);
            } else {
                out.push(r);
            }
        }
        return Ok(out);
    }
    let json: Json =
        serde_json::from_str(trimmed).map_err(|e| whole(format!("malformed JSON: {e}")))?;
    let r = Resource {
        json,
        file,
        path: String::new(),
        full_url: None,
    };
    if r.kind() == "Bundle" {
        bundle_entries(r)
    } else if r.kind().is_empty()
        && r.json["output"].is_array()
        && r.json.get("transactionTime").is_some()
    {
        // A Bulk Data export's manifest: it lists the NDJSON files beside it, which are read
        // in their own right.
        Ok(Vec::new())
    } else {
        let mut r = r;
        r.path = r.kind().to_string();
        Ok(vec![r])
    }
}

/// The resources of a Bundle's entries. Bundle types that carry records (transaction,
/// batch, collection, searchset, document, and the responses a server gives back) are read;
/// a history Bundle (versions of the same resource) is not.
fn bundle_entries(bundle: Resource) -> Result<Vec<Resource>, Problem> {
    let kind = bundle.json["type"].as_str().unwrap_or_default().to_string();
    if !matches!(
        kind.as_str(),
        "transaction"
            | "batch"
            | "collection"
            | "searchset"
            | "document"
            | "transaction-response"
            | "batch-response"
            | "message"
    ) {
        return Err(bundle.problem(
            "type",
            format!("a Bundle of type '{kind}' is not imported; give a transaction, batch, collection, searchset or document Bundle"),
        ));
    }
    let prefix = if bundle.path.is_empty() {
        String::new()
    } else {
        format!("{}.", bundle.path)
    };
    let Json::Object(mut b) = bundle.json else {
        unreachable!("a Bundle is an object")
    };
    let entries = match b.remove("entry") {
        Some(Json::Array(a)) => a,
        None => Vec::new(),
        Some(_) => {
            return Err(Problem {
                file: bundle.file.to_string(),
                resource: "Bundle".into(),
                path: format!("{prefix}entry"),
                message: "entry must be a list".into(),
            })
        }
    };
    let mut out = Vec::with_capacity(entries.len());
    for (i, e) in entries.into_iter().enumerate() {
        let Json::Object(mut e) = e else { continue };
        // A searchset's `include` and `outcome` entries are context, not the records asked for,
        // but they are still the patient's records: read them all.
        let full_url = e.get("fullUrl").and_then(Json::as_str).map(str::to_string);
        if let Some(resource) = e.remove("resource") {
            if resource["resourceType"] == "OperationOutcome" {
                continue;
            }
            out.push(Resource {
                json: resource,
                file: bundle.file.clone(),
                path: format!("{prefix}entry[{i}].resource"),
                full_url,
            });
        }
    }
    Ok(out)
}

/// Finds date-times without a time zone anywhere in a resource: FHIR requires a zone
/// whenever a time is given, and without one the chart would have to guess the moment.
pub fn zone_problems(r: &Resource, out: &mut Vec<Problem>) {
    fn walk(v: &Json, path: &mut String, r: &Resource, out: &mut Vec<Problem>) {
        match v {
            Json::Object(m) => {
                for (k, c) in m {
                    // Narrative and attachments hold text, not dates.
                    if k == "div" || k == "data" {
                        continue;
                    }
                    let len = path.len();
                    if !path.is_empty() {
                        path.push('.');
                    }
                    path.push_str(k);
                    walk(c, path, r, out);
                    path.truncate(len);
                }
            }
            Json::Array(a) => {
                for (i, c) in a.iter().enumerate() {
                    let len = path.len();
                    path.push_str(&format!("[{i}]"));
                    walk(c, path, r, out);
                    path.truncate(len);
                }
            }
            Json::String(s) if missing_zone(s) => out.push(r.problem(
                path,
                format!(
                    "'{s}' has a time but no time zone; FHIR requires one (e.g. {s}Z or {s}-05:00)"
                ),
            )),
            _ => {}
        }
    }
    let mut path = String::new();
    walk(&r.json, &mut path, r, out);
}

/// `YYYY-MM-DDThh:mm[:ss[.fff]]` with nothing after it.
fn missing_zone(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() < 16 || b.len() > 29 || b[10] != b'T' {
        return false;
    }
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    let shape = digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && digits(11..13)
        && b[13] == b':'
        && digits(14..16);
    if !shape {
        return false;
    }
    let rest = &s[16..];
    let rest = rest
        .strip_prefix(':')
        .map(|r| r.trim_start_matches(|c: char| c.is_ascii_digit() || c == '.'))
        .unwrap_or(rest);
    rest.is_empty()
}

/// The resource types of FHIR R4 (4.0.1).
pub const R4_TYPES: &[&str] = &[
    "Account",
    "ActivityDefinition",
    "AdverseEvent",
    "AllergyIntolerance",
    "Appointment",
    "AppointmentResponse",
    "AuditEvent",
    "Basic",
    "Binary",
    "BiologicallyDerivedProduct",
    "BodyStructure",
    "Bundle",
    "CapabilityStatement",
    "CarePlan",
    "CareTeam",
    "CatalogEntry",
    "ChargeItem",
    "ChargeItemDefinition",
    "Claim",
    "ClaimResponse",
    "ClinicalImpression",
    "CodeSystem",
    "Communication",
    "CommunicationRequest",
    "CompartmentDefinition",
    "Composition",
    "ConceptMap",
    "Condition",
    "Consent",
    "Contract",
    "Coverage",
    "CoverageEligibilityRequest",
    "CoverageEligibilityResponse",
    "DetectedIssue",
    "Device",
    "DeviceDefinition",
    "DeviceMetric",
    "DeviceRequest",
    "DeviceUseStatement",
    "DiagnosticReport",
    "DocumentManifest",
    "DocumentReference",
    "EffectEvidenceSynthesis",
    "Encounter",
    "Endpoint",
    "EnrollmentRequest",
    "EnrollmentResponse",
    "EpisodeOfCare",
    "EventDefinition",
    "Evidence",
    "EvidenceVariable",
    "ExampleScenario",
    "ExplanationOfBenefit",
    "FamilyMemberHistory",
    "Flag",
    "Goal",
    "GraphDefinition",
    "Group",
    "GuidanceResponse",
    "HealthcareService",
    "ImagingStudy",
    "Immunization",
    "ImmunizationEvaluation",
    "ImmunizationRecommendation",
    "ImplementationGuide",
    "InsurancePlan",
    "Invoice",
    "Library",
    "Linkage",
    "List",
    "Location",
    "Measure",
    "MeasureReport",
    "Media",
    "Medication",
    "MedicationAdministration",
    "MedicationDispense",
    "MedicationKnowledge",
    "MedicationRequest",
    "MedicationStatement",
    "MedicinalProduct",
    "MedicinalProductAuthorization",
    "MedicinalProductContraindication",
    "MedicinalProductIndication",
    "MedicinalProductIngredient",
    "MedicinalProductInteraction",
    "MedicinalProductManufactured",
    "MedicinalProductPackaged",
    "MedicinalProductPharmaceutical",
    "MedicinalProductUndesirableEffect",
    "MessageDefinition",
    "MessageHeader",
    "MolecularSequence",
    "NamingSystem",
    "NutritionOrder",
    "Observation",
    "ObservationDefinition",
    "OperationDefinition",
    "OperationOutcome",
    "Organization",
    "OrganizationAffiliation",
    "Parameters",
    "Patient",
    "PaymentNotice",
    "PaymentReconciliation",
    "Person",
    "PlanDefinition",
    "Practitioner",
    "PractitionerRole",
    "Procedure",
    "Provenance",
    "Questionnaire",
    "QuestionnaireResponse",
    "RelatedPerson",
    "RequestGroup",
    "ResearchDefinition",
    "ResearchElementDefinition",
    "ResearchStudy",
    "ResearchSubject",
    "RiskAssessment",
    "RiskEvidenceSynthesis",
    "Schedule",
    "SearchParameter",
    "ServiceRequest",
    "Slot",
    "Specimen",
    "SpecimenDefinition",
    "StructureDefinition",
    "StructureMap",
    "Subscription",
    "Substance",
    "SubstanceNucleicAcid",
    "SubstancePolymer",
    "SubstanceProtein",
    "SubstanceReferenceInformation",
    "SubstanceSourceMaterial",
    "SubstanceSpecification",
    "SupplyDelivery",
    "SupplyRequest",
    "Task",
    "TerminologyCapabilities",
    "TestReport",
    "TestScript",
    "ValueSet",
    "VerificationResult",
    "VisionPrescription",
];

/// Resources that define things (value sets, profiles, servers) rather than record care:
/// an import of charts refuses them with this reason.
pub fn definitional(kind: &str) -> bool {
    kind.ends_with("Definition")
        || matches!(
            kind,
            "CapabilityStatement"
                | "CodeSystem"
                | "ConceptMap"
                | "ExampleScenario"
                | "ImplementationGuide"
                | "Library"
                | "Measure"
                | "NamingSystem"
                | "Questionnaire"
                | "SearchParameter"
                | "StructureMap"
                | "TerminologyCapabilities"
                | "TestScript"
                | "TestReport"
                | "ValueSet"
                | "Evidence"
                | "EvidenceVariable"
                | "EffectEvidenceSynthesis"
                | "RiskEvidenceSynthesis"
                | "Subscription"
                | "Endpoint"
                | "MessageHeader"
                | "Parameters"
                | "OperationOutcome"
                | "CatalogEntry"
                | "MedicationKnowledge"
                | "InsurancePlan"
        )
        || kind.starts_with("MedicinalProduct")
        || kind.starts_with("Substance") && kind != "Substance"
}

/// Resources that describe people, places and things records point at rather than a
/// patient's care: their names are read into the records that point at them.
pub fn shared(kind: &str) -> bool {
    matches!(
        kind,
        "Practitioner"
            | "PractitionerRole"
            | "Organization"
            | "Location"
            | "Medication"
            | "Substance"
            | "HealthcareService"
            | "Schedule"
            | "Slot"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_time_needs_a_zone() {
        assert!(missing_zone("2020-01-02T10:30"));
        assert!(missing_zone("2020-01-02T10:30:00"));
        assert!(missing_zone("2020-01-02T10:30:00.123"));
        assert!(!missing_zone("2020-01-02T10:30:00Z"));
        assert!(!missing_zone("2020-01-02T10:30:00+02:00"));
        assert!(!missing_zone("2020-01-02T10:30:00.5-05:00"));
        assert!(!missing_zone("2020-01-02"));
        assert!(!missing_zone("a text that is long enough to be checked"));
    }

    #[test]
    fn ndjson_and_bundles_are_told_apart_by_content() {
        let nd = b"{\"resourceType\":\"Patient\",\"id\":\"a\"}\n{\"resourceType\":\"Observation\",\"id\":\"b\"}\n";
        let r = parse("x.json", nd, 1 << 20).expect("ndjson");
        assert_eq!(r.len(), 2);
        assert_eq!(r[1].path, "line 2");
        let b = br#"{"resourceType":"Bundle","type":"collection","entry":[{"fullUrl":"urn:uuid:1","resource":{"resourceType":"Patient"}}]}"#;
        let r = parse("b.ndjson", b, 1 << 20).expect("bundle");
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].full_url.as_deref(), Some("urn:uuid:1"));
        assert_eq!(r[0].path, "entry[0].resource");
        let e = parse(
            "h.json",
            br#"{"resourceType":"Bundle","type":"history"}"#,
            1 << 20,
        )
        .expect_err("history refused");
        assert!(e.message.contains("history"), "{}", e.message);
        let e = parse("big.json", b"{}", 1).expect_err("too large");
        assert!(e.message.contains("split it"), "{}", e.message);
        let e = parse("bad.json", b"{\"resourceType\": ", 1 << 20).expect_err("malformed");
        assert!(e.message.starts_with("malformed JSON"), "{}", e.message);
    }
}
