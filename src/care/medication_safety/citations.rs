//! The sources the medication-safety tables cite, by the keys the tables use.
//!
//! The keys are checked by `build.rs` (a table may only use a key listed
//! there); the texts live here so every alert can carry its full citation, as
//! ONC 170.315(b)(11) asks of decision support.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One cited source: the key the tables use and the reference in full.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub struct Citation {
    /// Stable key, e.g. `phansalkar2012`.
    pub key: String,
    /// The reference as a reader would look it up.
    pub text: String,
}

/// The full reference for a key, or `None` for a key no table should use.
pub fn text(key: &str) -> Option<&'static str> {
    Some(match key {
        "phansalkar2012" => {
            "Phansalkar S, Desai AA, Bell D, et al. High-priority drug-drug interactions for use \
             in electronic health records. J Am Med Inform Assoc. 2012;19(5):735-743. \
             doi:10.1136/amiajnl-2011-000612"
        }
        "phansalkar2013" => {
            "Phansalkar S, van der Sijs H, Tucker AD, et al. Drug-drug interactions that should be \
             non-interruptive in order to reduce alert fatigue in electronic health records. \
             J Am Med Inform Assoc. 2013;20(3):489-493. doi:10.1136/amiajnl-2012-001089"
        }
        "ayvaz2015" => {
            "Ayvaz S, Horn J, Hassanzadeh O, et al. Toward a complete dataset of drug-drug \
             interaction information from publicly available sources. J Biomed Inform. \
             2015;55:206-217 (the drug-level mapping of the ONC lists)"
        }
        "hl7-pddi" => {
            "HL7 International, Clinical Decision Support Work Group. Potential Drug-Drug \
             Interaction (PDDI) CDS Implementation Guide, hl7.fhir.uv.pddi 1.0.0 (2022): the \
             warfarin + NSAIDs and digoxin + cyclosporine rules"
        }
        "aaaai2022" => {
            "Khan DA, Banerji A, Blumenthal KG, et al. Drug allergy: a 2022 practice parameter \
             update. J Allergy Clin Immunol. 2022;150(6):1333-1393. \
             doi:10.1016/j.jaci.2022.08.028"
        }
        "jtfpp2010" => {
            "Joint Task Force on Practice Parameters. Drug allergy: an updated practice \
             parameter. Ann Allergy Asthma Immunol. 2010;105(4):259-273. \
             doi:10.1016/j.anai.2010.08.002"
        }
        "haymore2008" => {
            "Haymore BR, Yoon J, Mikita CP, Klote MM, DeZee KJ. Risk of angioedema with \
             angiotensin receptor blockers in patients with prior angioedema associated with \
             angiotensin-converting enzyme inhibitors: a meta-analysis. Ann Allergy Asthma \
             Immunol. 2008;101(5):495-499"
        }
        "acr-contrast" => {
            "ACR Committee on Drugs and Contrast Media. ACR Manual on Contrast Media. American \
             College of Radiology"
        }
        "who-atc" => {
            "WHO Collaborating Centre for Drug Statistics Methodology. ATC classification \
             index (drug class membership)"
        }
        _ => return None,
    })
}

/// The citations of a `; `-separated key list from a table.
pub(crate) fn list(keys: &str) -> Vec<Citation> {
    keys.split("; ")
        .filter(|key| !key.is_empty())
        .map(|key| Citation {
            key: key.to_string(),
            text: text(key).unwrap_or("(unknown source)").to_string(),
        })
        .collect()
}
