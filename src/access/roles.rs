//! Roles and the permission matrix, enforced by the API for every command.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Clinician,
    Nurse,
    FrontDesk,
    Billing,
    Administrator,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    /// Find patients and see demographics.
    Demographics,
    /// Register patients, change demographics and insurance.
    EditDemographics,
    /// Read the clinical record.
    ReadChart,
    /// Write clinical entries (vitals, allergies, medications, problems, draft notes...).
    WriteChart,
    /// Sign notes and orders.
    Sign,
    /// See what billing needs: insurance, encounters and problem codes.
    Billing,
    /// Settle conflicting edits.
    ResolveConflicts,
    /// Staff accounts, settings, the access log.
    Administer,
}

impl Permission {
    pub const ALL: [Permission; 8] = [
        Permission::Demographics,
        Permission::EditDemographics,
        Permission::ReadChart,
        Permission::WriteChart,
        Permission::Sign,
        Permission::Billing,
        Permission::ResolveConflicts,
        Permission::Administer,
    ];

    /// The name the API and the UI use (as serialized).
    pub fn name(self) -> &'static str {
        match self {
            Permission::Demographics => "demographics",
            Permission::EditDemographics => "edit_demographics",
            Permission::ReadChart => "read_chart",
            Permission::WriteChart => "write_chart",
            Permission::Sign => "sign",
            Permission::Billing => "billing",
            Permission::ResolveConflicts => "resolve_conflicts",
            Permission::Administer => "administer",
        }
    }
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Clinician,
        Role::Nurse,
        Role::FrontDesk,
        Role::Billing,
        Role::Administrator,
    ];

    pub fn parse(s: &str) -> Option<Role> {
        Some(match s {
            "clinician" => Role::Clinician,
            "nurse" => Role::Nurse,
            "front_desk" => Role::FrontDesk,
            "billing" => Role::Billing,
            "administrator" => Role::Administrator,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Role::Clinician => "clinician",
            Role::Nurse => "nurse",
            Role::FrontDesk => "front_desk",
            Role::Billing => "billing",
            Role::Administrator => "administrator",
        }
    }

    /// The matrix. Kept as one match so it can be read (and reviewed) at a glance.
    pub fn may(self, p: Permission) -> bool {
        use Permission::*;
        match self {
            Role::Clinician => !matches!(p, Administer),
            Role::Nurse => matches!(p, Demographics | EditDemographics | ReadChart | WriteChart),
            Role::FrontDesk => matches!(p, Demographics | EditDemographics),
            Role::Billing => matches!(p, Demographics | Billing),
            Role::Administrator => matches!(
                p,
                Demographics | EditDemographics | Administer | ResolveConflicts
            ),
        }
    }
}
