//! Every command: its permission, what it logs, its documentation, and its handler.

use serde_json::{json, Value as Json};
use uuid::Uuid;

use super::{conflicts, ApiError, Session};
use crate::access::audit::Access;
use crate::access::{self, Permission};
use crate::chart::{self, entities, record, ChartError};
use crate::ledger::schema::EntityDef;
use crate::ledger::Change;
use crate::practice::Practice;

/// A command's documentation, for `docs/api.md` and `chartkeep call --list`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CommandDoc {
    pub name: String,
    pub permission: String,
    pub summary: String,
    pub request: Json,
    pub response: String,
}

/// The verbs every patient-scoped kind of record answers.
const RECORD_VERBS: &[&str] = &["add", "update", "retract", "get", "list", "history"];

/// Commands other than the generic record verbs: name, permission, summary, request example,
/// response description.
const FIXED: &[(&str, Permission, &str, &str, &str)] = &[
    ("patient.create", Permission::EditDemographics, "Register a patient; an MRN is assigned when none is given.",
     r#"{"family": "Garcia", "given": ["Ana", "Maria"], "birth_date": "1984-03-07", "sex": "female", "phones": ["555-123-4567"]}"#, "the patient, with id, mrn and version"),
    ("patient.update", Permission::EditDemographics, "Change demographics. `version` (from your read) is required, so that concurrent edits are kept and flagged.",
     r#"{"id": "…", "version": ["…"], "preferred": "Ani"}"#, "the patient"),
    ("patient.retract", Permission::EditDemographics, "Mark a patient record entered in error (kept, never deleted).",
     r#"{"id": "…", "version": ["…"], "reason": "duplicate registration"}"#, "the patient"),
    ("patient.get", Permission::Demographics, "One patient's demographics.", r#"{"id": "…"}"#, "the patient"),
    ("patient.search", Permission::Demographics, "Find patients by name parts in any order, prefixes, MRN, birth date (1984-03-07, 03/07/1984, 7.3.1984) or phone digits.",
     r#"{"query": "garc ana 1984-03-07", "limit": 20}"#, "a list of patients with their names"),
    ("patient.history", Permission::Demographics, "Every change to a patient's demographics, with who, when and where.", r#"{"id": "…"}"#, "a list of changes"),
    ("chart.summary", Permission::ReadChart, "What a clinician needs on opening a chart: allergies, problems, medications, latest vitals and labs, recent visits and notes.",
     r#"{"patient": "…"}"#, "an object of sections"),
    ("chart.timeline", Permission::ReadChart, "Everything in the chart in date order, newest first.",
     r#"{"patient": "…", "kinds": ["encounter", "note"], "from": "2020-01-01", "to": "2026-12-31", "limit": 200}"#, "a list of events {kind, date, id, title, detail}"),
    ("observation.series", Permission::ReadChart, "One LOINC code over time, for trends.",
     r#"{"patient": "…", "code": "8480-6", "from": "2020-01-01"}"#, "a list of {effective, value_num, unit, flag}"),
    ("vitals.record", Permission::WriteChart, "Save a vitals form as one commit; BMI is computed from height and weight.",
     r#"{"patient": "…", "effective": "2026-03-01T09:30:00Z", "systolic": 128, "diastolic": 82, "heart_rate": 72, "temperature": 36.8, "height": 170, "weight": 72.5}"#, "the observations saved"),
    ("labs.record", Permission::WriteChart, "Save lab results (a panel or single tests) as one commit; flags come from the reference range when not given.",
     r#"{"patient": "…", "panel": "24321-2", "effective": "2026-03-01T08:00:00Z", "results": [{"code": "2345-7", "value_num": 96, "unit": "mg/dL", "ref_low": 70, "ref_high": 99}]}"#, "the observations saved"),
    ("order.result", Permission::WriteChart, "Attach results to an order and complete it, in one commit.",
     r#"{"id": "…", "version": ["…"], "effective": "2026-03-02T10:00:00Z", "summary": "normal", "results": [{"code": "4548-4", "value_num": 6.1, "unit": "%"}]}"#, "the order and its observations"),
    ("allergy.none", Permission::WriteChart, "Record that the patient has no known allergies.", r#"{"patient": "…"}"#, "the allergy entry"),
    ("note.sign", Permission::Sign, "Sign a draft note as you read it (`version`); it is immutable from then on, on every workstation.", r#"{"id": "…", "version": ["…"]}"#, "the note"),
    ("note.amend", Permission::Sign, "Amend a signed note (a correction, with a reason).", r#"{"id": "…", "text": "…", "reason": "wrong side documented"}"#, "the note with its amendments"),
    ("note.addendum", Permission::Sign, "Add an addendum to a signed note.", r#"{"id": "…", "text": "…"}"#, "the note with its amendments"),
    ("document.content", Permission::ReadChart, "A document's bytes (base64) and media type.", r#"{"id": "…"}"#, "{id, title, mime, content}"),
    ("conflict.list", Permission::Demographics, "Fields edited concurrently on two workstations: every competing value, and the one shown, on the kinds of record your role may read (password hashes never shown).",
     r#"{"patient": "… (optional)"}"#, "a list of conflicts"),
    ("duplicate.list", Permission::Demographics, "Values that must be unique but were given twice on workstations that were apart (an MRN, a user name), each with the records sharing it; change all but one (patient.update, user.update with new_name) to settle it. Only kinds of record your role may read.",
     "{}", "a list of {entity, field, value, rows}"),
    ("conflict.resolve", Permission::ResolveConflicts, "Settle a conflict with one of the competing values (by change id) or a new value; needs the permission an edit of that record needs, and the value passes the same checks. On a signed note only the signed value can be kept.",
     r#"{"row": "…", "field": "dose", "choose": "change id"}"#, "the record"),
    ("code.search", Permission::Demographics, "Search the shipped code sets: icd10 (ICD-10-CM), cvx, loinc.",
     r#"{"system": "icd10", "query": "type 2 diabetes", "limit": 20}"#, "a list of codes"),
    ("user.create", Permission::Administer, "Create a staff account.",
     r#"{"name": "drlee", "role": "clinician", "password": "…", "display_name": "Dr. Lee"}"#, "the user"),
    ("user.list", Permission::Administer, "Staff accounts, each with its version.", "{}", "a list of users"),
    ("user.update", Permission::Administer, "Change a user's role, display name, active flag or password; `version` from user.list is required.",
     r#"{"name": "drlee", "version": ["…"], "role": "nurse"}"#, "the user"),
    ("setting.list", Permission::Administer, "Practice settings, each with its version.", "{}", "a list of {id, name, value, version}"),
    ("setting.set", Permission::Administer, "Set a practice setting, e.g. idle_lock_minutes; changing one that exists needs its `version` from setting.list.", r#"{"name": "idle_lock_minutes", "value": "5", "version": ["…"]}"#, "{name, value}"),
    ("audit.report", Permission::Administer, "Access log entries between two dates, optionally for one user or patient.",
     r#"{"from": "2026-01-01", "to": "2026-12-31", "user": "drlee", "patient": "…"}"#, "a list of entries"),
    ("audit.verify", Permission::Administer, "Check the access log's hash chain.", "{}", "{entries, ok}"),
    ("session.info", Permission::Demographics, "Who is logged in, with what role.", "{}", "{user, role, workstation, idle_lock_minutes}"),
];

fn record_permission(def: &EntityDef, verb: &str) -> &'static [Permission] {
    let write = matches!(verb, "add" | "update" | "retract");
    match (def.name, write) {
        // An administrator may retract a signed note on a documented reason; whether the
        // caller may retract this note is decided once the note is read.
        ("note", true) if verb == "retract" => &[Permission::WriteChart, Permission::Administer],
        ("coverage", true) => &[Permission::EditDemographics, Permission::Billing],
        ("coverage", false) => &[Permission::Demographics, Permission::Billing],
        ("encounter" | "problem", false) => &[Permission::ReadChart, Permission::Billing],
        (_, true) => &[Permission::WriteChart],
        (_, false) => &[Permission::ReadChart],
    }
}

pub fn command_names() -> Vec<String> {
    describe().into_iter().map(|d| d.name).collect()
}

/// All commands with their shapes, generic record commands included.
pub fn describe() -> Vec<CommandDoc> {
    let mut out: Vec<CommandDoc> = FIXED
        .iter()
        .map(|(name, perm, summary, req, resp)| CommandDoc {
            name: name.to_string(),
            permission: serde_json::to_value(perm)
                .ok()
                .and_then(|v| v.as_str().map(String::from))
                .unwrap_or_default(),
            summary: summary.to_string(),
            request: serde_json::from_str(req).unwrap_or(Json::Null),
            response: resp.to_string(),
        })
        .collect();
    for def in chart::RECORD_KINDS {
        let fields: serde_json::Map<String, Json> = def
            .fields
            .iter()
            .filter(|f| f.name != "patient")
            .map(|f| {
                (
                    f.name.to_string(),
                    Json::String(format!("{:?}", f.kind).to_lowercase()),
                )
            })
            .collect();
        for verb in RECORD_VERBS {
            let perms: Vec<String> = record_permission(def, verb)
                .iter()
                .filter_map(|p| {
                    serde_json::to_value(p)
                        .ok()
                        .and_then(|v| v.as_str().map(String::from))
                })
                .collect();
            let noun = def.name.replace('_', " ");
            let a = if noun.starts_with(['a', 'e', 'i', 'o', 'u']) {
                "an"
            } else {
                "a"
            };
            let (summary, request, response) = match *verb {
                "add" => (format!("Add {a} {noun} to a patient's chart."), {
                    let mut m = fields.clone();
                    m.insert("patient".into(), Json::from("…"));
                    Json::Object(m)
                }, format!("the {noun}, with id and version")),
                "update" => (format!("Change fields of {a} {noun}; `version` from your read is required, so that concurrent edits are kept and flagged."),
                    json!({"id": "…", "version": ["…"], "<field>": "<value>"}), format!("the {noun}")),
                "retract" => (format!("Mark {a} {noun} entered in error, with a reason (never deleted)."), json!({"id": "…", "version": ["…"], "reason": "…"}), format!("the {noun}")),
                "get" => (format!("One {noun}."), json!({"id": "…"}), format!("the {noun}")),
                "list" => (format!("A patient's {noun} entries, oldest first."), json!({"patient": "…", "include_retracted": false}), format!("a list of {noun} entries")),
                _ => (format!("Every change to {a} {noun}, with who, when and where."), json!({"id": "…"}), "a list of changes".to_string()),
            };
            out.push(CommandDoc {
                name: format!("{}.{verb}", def.name),
                permission: perms.join(" or "),
                summary,
                request,
                response,
            });
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out.dedup_by(|a, b| a.name == b.name);
    out
}

/// What a role needs to read records of a kind (for lists that span kinds).
fn read_permission(def: &EntityDef) -> &'static [Permission] {
    match def.name {
        "user" | "setting" => &[Permission::Administer],
        "patient" => &[Permission::Demographics],
        _ => record_permission(def, "get"),
    }
}

/// What a role needs to edit records of a kind; settling a conflict on one is such an edit.
fn edit_permission(def: &EntityDef) -> &'static [Permission] {
    match def.name {
        "user" | "setting" => &[Permission::Administer],
        "patient" => &[Permission::EditDemographics],
        _ => record_permission(def, "update"),
    }
}

/// A signed note is retracted only by its signer or an administrator (the reason is
/// required of everyone); a draft by anyone who writes the chart.
fn may_retract_note(practice: &Practice, session: &Session, args: &Json) -> Result<(), ApiError> {
    let id = record::get_id(args, "id")?;
    let note = chart::load(practice.reader(), &entities::NOTE, &id)?;
    let signed = note.get("status").and_then(Json::as_str) == Some("signed");
    let role = session.user.role;
    let (ok, what) = if signed {
        let signer = note.get("signed_by").and_then(Json::as_str);
        (
            signer == Some(session.user.id.to_string().as_str())
                || role == access::Role::Administrator,
            "retract a note someone else signed; ask its signer or the practice administrator",
        )
    } else {
        (role.may(Permission::WriteChart), "retract a draft note")
    };
    if ok {
        Ok(())
    } else {
        Err(access::AccessError::Forbidden {
            role: role.name().to_string(),
            what: what.to_string(),
        }
        .into())
    }
}

/// The change an ordinary edit of `field` to `value` would make, through the same
/// validation: what a conflict's resolution must pass.
fn resolution_as_edit(
    ctx: &chart::Ctx,
    def: &EntityDef,
    row: Uuid,
    field: &str,
    value: crate::ledger::Value,
) -> Result<Change, ApiError> {
    let kind = def.field(field).map(|f| f.kind);
    let as_json = match (&value, kind) {
        (crate::ledger::Value::Text(t), Some(crate::ledger::schema::FieldKind::Json)) => {
            serde_json::from_str(t).unwrap_or(Json::Null)
        }
        (crate::ledger::Value::Bytes(b), _) => {
            use base64::Engine as _;
            Json::from(base64::engine::general_purpose::STANDARD.encode(b))
        }
        _ => value.to_json(),
    };
    let version: Vec<String> = crate::ledger::row_version(ctx.conn, def, &row)?
        .iter()
        .map(Uuid::to_string)
        .collect();
    let mut input = json!({"id": row.to_string(), "version": version});
    match def.name {
        "user" => {
            access::users::check_field(field, &value)?;
            return Ok(Change::new(
                ctx.new_id(),
                def.name,
                row,
                crate::ledger::Op::Set,
                vec![(field.to_string(), value)],
                vec![],
            ));
        }
        "setting" => {
            let name: String = ctx
                .conn
                .query_row(
                    "SELECT name FROM setting WHERE id = ?1",
                    [row.to_string()],
                    |r| r.get(0),
                )
                .map_err(ChartError::from)?;
            if field != "value" {
                return Err(
                    ChartError::invalid("field", "only a setting's value can be chosen").into(),
                );
            }
            access::users::check_setting(&name, value.as_str().unwrap_or_default())?;
            return Ok(Change::new(
                ctx.new_id(),
                def.name,
                row,
                crate::ledger::Op::Set,
                vec![(field.to_string(), value)],
                vec![],
            ));
        }
        _ => {}
    }
    input[field] = as_json;
    let (_, change) = if def.name == "patient" {
        chart::patient::update(ctx, &input)?
    } else {
        chart::update(ctx, def, &input)?
    };
    Ok(change)
}

fn require(session: &Session, any_of: &[Permission], command: &str) -> Result<(), ApiError> {
    if any_of.iter().any(|p| session.user.role.may(*p)) {
        Ok(())
    } else {
        Err(access::AccessError::Forbidden {
            role: session.user.role.name().to_string(),
            what: format!("run {command}"),
        }
        .into())
    }
}

pub(super) fn log(
    practice: &Practice,
    session: &Session,
    patient: Option<&str>,
    action: &str,
    category: &str,
    detail: &str,
) -> Result<(), ApiError> {
    let at = crate::clock::rfc3339(practice.clock.now_ms());
    practice.log_access(&Access {
        at: &at,
        user_id: &session.user.id.to_string(),
        user_name: &session.user.name,
        patient,
        action,
        category,
        workstation: &session.workstation,
        detail,
    })?;
    Ok(())
}

/// The chart a request is about, if it names one: its `patient`, a patient's `id`, or the
/// patient of the record its `id` names.
pub(super) fn patient_in(practice: &Practice, command: &str, args: &Json) -> Option<String> {
    let id = |k: &str| {
        args.get(k)
            .and_then(Json::as_str)
            .and_then(|v| Uuid::parse_str(v).ok())
    };
    if let Some(p) = id("patient") {
        return Some(p.to_string());
    }
    let (domain, _) = command.split_once('.')?;
    let row = id("id")?;
    match domain {
        "patient" => Some(row.to_string()),
        "document" => patient_of(practice, &entities::DOCUMENT, &row),
        "order" => patient_of(practice, &entities::ORDER, &row),
        _ => patient_of(practice, chart::kind(domain)?, &row),
    }
}

fn patient_of(practice: &Practice, def: &EntityDef, id: &Uuid) -> Option<String> {
    practice
        .reader()
        .query_row(
            &format!("SELECT patient FROM \"{}\" WHERE id = ?1", def.table),
            [id.to_string()],
            |r| r.get(0),
        )
        .ok()
}

fn commit(
    practice: &mut Practice,
    session: &Session,
    changes: Vec<Change>,
) -> Result<(), ApiError> {
    practice.commit(session.user.id, changes)?;
    Ok(())
}

fn get_row(practice: &Practice, def: &EntityDef, id: &Uuid) -> Result<Json, ApiError> {
    Ok(Json::Object(chart::load(practice.reader(), def, id)?))
}

fn str_arg<'a>(args: &'a Json, key: &str) -> Option<&'a str> {
    args.get(key)
        .and_then(Json::as_str)
        .filter(|s| !s.is_empty())
}

fn required<'a>(args: &'a Json, key: &str) -> Result<&'a str, ChartError> {
    str_arg(args, key).ok_or_else(|| ChartError::invalid(key, "is required"))
}

/// The `limit` argument, `default` when absent, kept between 1 and `max`.
fn limit(args: &Json, default: u64, max: u64) -> usize {
    args.get("limit")
        .and_then(Json::as_u64)
        .unwrap_or(default)
        .clamp(1, max) as usize
}

pub fn dispatch(
    practice: &mut Practice,
    session: &mut Session,
    command: &str,
    args: &Json,
) -> Result<Json, ApiError> {
    if !args.is_object() {
        return Err(ApiError::new(
            "invalid_input",
            "the request must be a JSON object, e.g. {\"patient\": \"…\"}",
        ));
    }
    let (domain, verb) = command.split_once('.').ok_or_else(|| {
        ApiError::new(
            "unknown_command",
            format!("'{command}' is not a command; commands look like patient.search"),
        )
    })?;
    if let Some((_, perm, ..)) = FIXED.iter().find(|c| c.0 == command) {
        require(session, &[*perm], command)?;
        return fixed(practice, session, command, args);
    }
    if let (Some(def), true) = (chart::kind(domain), RECORD_VERBS.contains(&verb)) {
        require(session, record_permission(def, verb), command)?;
        return generic(practice, session, def, verb, args);
    }
    Err(ApiError::new(
        "unknown_command",
        format!("'{command}' is not a command; see docs/api.md or `chartkeep call --list`"),
    ))
}

fn generic(
    practice: &mut Practice,
    session: &Session,
    def: &'static EntityDef,
    verb: &str,
    args: &Json,
) -> Result<Json, ApiError> {
    match verb {
        "add" | "update" | "retract" => {
            if def.name == "note" && verb == "retract" {
                may_retract_note(practice, session, args)?;
            }
            let (id, change) = {
                let ctx = practice.chart_ctx();
                match verb {
                    "add" => chart::add(&ctx, def, args)?,
                    "update" => chart::update(&ctx, def, args)?,
                    _ => chart::retract(&ctx, def, args)?,
                }
            };
            commit(practice, session, vec![change])?;
            get_row(practice, def, &id)
        }
        "get" => {
            let id = record::get_id(args, "id")?;
            let row = if def.name == "note" {
                chart::notes::with_amendments(practice.reader(), &id)?
            } else {
                get_row(practice, def, &id)?
            };
            let patient = row.get("patient").and_then(Json::as_str).map(String::from);
            log(
                practice,
                session,
                patient.as_deref(),
                "read",
                def.name,
                &id.to_string(),
            )?;
            Ok(row)
        }
        "list" => {
            let patient = record::get_id(args, "patient")?;
            chart::load(practice.reader(), &entities::PATIENT, &patient)?;
            let all = args
                .get("include_retracted")
                .and_then(Json::as_bool)
                .unwrap_or(false);
            let mut rows = record::list_for_patient(
                practice.reader(),
                def,
                &patient,
                all || def.name == "note",
            )?;
            if def.name == "note" && !all {
                // A signed note is the legal record: retracted, it stays in the list,
                // marked entered in error with the reason. Retracted drafts drop out.
                rows.retain(|n| {
                    n.get("retracted") != Some(&Json::Bool(true))
                        || n.get("status").and_then(Json::as_str) == Some("signed")
                });
            }
            log(
                practice,
                session,
                Some(&patient.to_string()),
                "read",
                def.name,
                "list",
            )?;
            Ok(Json::Array(rows))
        }
        _ => {
            let id = record::get_id(args, "id")?;
            let patient = patient_of(practice, def, &id)
                .ok_or_else(|| ChartError::NotFound(format!("{} {id}", def.name)))?;
            let h = chart::history(practice.reader(), &id)?;
            log(
                practice,
                session,
                Some(&patient),
                "read",
                def.name,
                "history",
            )?;
            Ok(h)
        }
    }
}

fn fixed(
    practice: &mut Practice,
    session: &mut Session,
    command: &str,
    args: &Json,
) -> Result<Json, ApiError> {
    let p = &entities::PATIENT;
    match command {
        "patient.create" | "patient.update" | "patient.retract" => {
            let (id, change) = {
                let ctx = practice.chart_ctx();
                match command {
                    "patient.create" => chart::patient::create(&ctx, args)?,
                    "patient.update" => chart::patient::update(&ctx, args)?,
                    _ => chart::retract(&ctx, p, args)?,
                }
            };
            commit(practice, session, vec![change])?;
            let mut row = chart::load(practice.reader(), p, &id)?;
            row.insert(
                "name".into(),
                Json::String(chart::patient::display_name(&row)),
            );
            Ok(Json::Object(row))
        }
        "patient.get" => {
            let id = record::get_id(args, "id")?;
            let mut row = chart::load(practice.reader(), p, &id)?;
            row.insert(
                "name".into(),
                Json::String(chart::patient::display_name(&row)),
            );
            log(
                practice,
                session,
                Some(&id.to_string()),
                "read",
                "demographics",
                "",
            )?;
            Ok(Json::Object(row))
        }
        "patient.search" => {
            let q = required(args, "query")?;
            let limit = limit(args, 25, 200);
            let found = chart::search::search(practice.reader(), q, limit)?;
            // A search discloses the demographics of every chart it shows: name them all.
            let shown: Vec<&str> = found
                .iter()
                .filter_map(|p| p.get("id").and_then(Json::as_str))
                .collect();
            log(
                practice,
                session,
                None,
                "search",
                "demographics",
                &Json::from(shown).to_string(),
            )?;
            Ok(Json::Array(found))
        }
        "patient.history" => {
            let id = record::get_id(args, "id")?;
            chart::load(practice.reader(), p, &id)?;
            let h = chart::history(practice.reader(), &id)?;
            log(
                practice,
                session,
                Some(&id.to_string()),
                "read",
                "demographics",
                "history",
            )?;
            Ok(h)
        }
        "chart.summary" => {
            let id = record::get_id(args, "patient")?;
            let s = chart::summary::summary(practice.reader(), &id)?;
            log(
                practice,
                session,
                Some(&id.to_string()),
                "read",
                "chart",
                "summary",
            )?;
            Ok(s)
        }
        "chart.timeline" => {
            let id = record::get_id(args, "patient")?;
            chart::load(practice.reader(), p, &id)?;
            let kinds = match args.get("kinds") {
                Some(Json::Array(a)) => Some(
                    a.iter()
                        .filter_map(Json::as_str)
                        .map(String::from)
                        .collect(),
                ),
                _ => None,
            };
            let f = chart::timeline::Filter {
                kinds,
                from: str_arg(args, "from").map(String::from),
                to: str_arg(args, "to").map(String::from),
                limit: limit(args, 200, 5000),
            };
            let t = chart::timeline::timeline(practice.reader(), &id, &f)?;
            log(
                practice,
                session,
                Some(&id.to_string()),
                "read",
                "chart",
                "timeline",
            )?;
            Ok(t)
        }
        "observation.series" => {
            let id = record::get_id(args, "patient")?;
            chart::load(practice.reader(), p, &id)?;
            let code = str_arg(args, "code")
                .ok_or_else(|| ChartError::invalid("code", "is required (a LOINC code)"))?;
            let s = chart::timeline::series(
                practice.reader(),
                &id,
                code,
                str_arg(args, "from"),
                str_arg(args, "to"),
            )?;
            log(
                practice,
                session,
                Some(&id.to_string()),
                "read",
                "observation",
                code,
            )?;
            Ok(s)
        }
        "vitals.record" | "labs.record" => {
            let changes = {
                let ctx = practice.chart_ctx();
                if command == "vitals.record" {
                    chart::vitals::record(&ctx, args)?
                } else {
                    chart::vitals::labs(&ctx, args, None)?
                }
            };
            // The saved observations, as the commit wrote them: reading them back would
            // cost a query per row on a cache the write just invalidated.
            let saved: Vec<Json> = changes.iter().map(created_json).collect();
            let commit = practice.commit(session.user.id, changes)?;
            let at = crate::ledger::hlc::millis(commit.body.hlc);
            let by = session.user.id.to_string();
            Ok(Json::Array(
                saved
                    .into_iter()
                    .map(|mut row| {
                        row["created_at"] = json!(at);
                        row["updated_at"] = json!(at);
                        row["created_by"] = json!(by);
                        row["updated_by"] = json!(by);
                        row
                    })
                    .collect(),
            ))
        }
        "order.result" => {
            let id = record::get_id(args, "id")?;
            let order = chart::load(practice.reader(), &entities::ORDER, &id)?;
            if order.get("status").and_then(Json::as_str) == Some("cancelled") {
                return Err(ChartError::invalid(
                    "id",
                    "this order was cancelled; it takes no results",
                )
                .into());
            }
            let mut lab_args = args.clone();
            if let (Some(o), Some(pt)) = (lab_args.as_object_mut(), order.get("patient")) {
                o.insert("patient".into(), pt.clone());
                o.remove("id");
                o.remove("summary");
            }
            let mut changes = {
                let ctx = practice.chart_ctx();
                let has_results = args
                    .get("results")
                    .and_then(Json::as_array)
                    .is_some_and(|r| !r.is_empty());
                let mut changes = if has_results {
                    chart::vitals::labs(&ctx, &lab_args, Some(&id))?
                } else {
                    vec![]
                };
                let mut upd = json!({"id": id.to_string(), "status": "completed",
                    "version": args.get("version").cloned().unwrap_or(Json::Null),
                    "result_at": str_arg(args, "effective").map(String::from).unwrap_or_else(|| crate::clock::rfc3339(ctx.clock.now_ms()))});
                if let Some(s) = str_arg(args, "summary") {
                    upd["result_summary"] = Json::from(s);
                }
                if !has_results && str_arg(args, "summary").is_none() {
                    return Err(ChartError::invalid("results", "give results or a summary").into());
                }
                let (_, c) = chart::update(&ctx, &entities::ORDER, &upd)?;
                changes.push(c);
                changes
            };
            let obs: Vec<Uuid> = changes
                .iter()
                .filter(|c| c.entity == "observation")
                .map(|c| c.row)
                .collect();
            changes.sort_by_key(|c| c.entity != "observation");
            commit(practice, session, changes)?;
            let results: Result<Vec<Json>, ApiError> = obs
                .iter()
                .map(|i| get_row(practice, &entities::OBSERVATION, i))
                .collect();
            Ok(json!({"order": get_row(practice, &entities::ORDER, &id)?, "results": results?}))
        }
        "allergy.none" => {
            let patient = record::get_id(args, "patient")?;
            let (id, change) = {
                let ctx = practice.chart_ctx();
                let active: Vec<Json> =
                    record::list_for_patient(ctx.conn, &entities::ALLERGY, &patient, false)?;
                if active.iter().any(|a| {
                    a.get("status").and_then(Json::as_str) == Some("active")
                        && a.get("no_known") != Some(&Json::Bool(true))
                }) {
                    return Err(ChartError::invalid("patient", "this patient has active allergies on file; mark them inactive or entered in error first").into());
                }
                chart::add(
                    &ctx,
                    &entities::ALLERGY,
                    &json!({"patient": patient.to_string(), "no_known": true}),
                )?
            };
            commit(practice, session, vec![change])?;
            get_row(practice, &entities::ALLERGY, &id)
        }
        "note.sign" | "note.amend" | "note.addendum" => {
            let (id, change) = {
                let ctx = practice.chart_ctx();
                match command {
                    "note.sign" => chart::notes::sign(&ctx, args, &session.user.id)?,
                    "note.amend" => chart::notes::append(&ctx, args, "amendment")?,
                    _ => chart::notes::append(&ctx, args, "addendum")?,
                }
            };
            commit(practice, session, vec![change])?;
            Ok(chart::notes::with_amendments(practice.reader(), &id)?)
        }
        "document.content" => {
            let id = record::get_id(args, "id")?;
            let doc = chart::documents::content(practice.reader(), &id)?;
            let patient = patient_of(practice, &entities::DOCUMENT, &id);
            log(
                practice,
                session,
                patient.as_deref(),
                "read",
                "document",
                &id.to_string(),
            )?;
            Ok(doc)
        }
        "conflict.list" => {
            let patient = match args.get("patient") {
                Some(Json::String(_)) => Some(record::get_id(args, "patient")?),
                _ => None,
            };
            let role = session.user.role;
            let list = conflicts::list(practice.reader(), patient.as_ref(), |def| {
                read_permission(def).iter().any(|p| role.may(*p))
            })?;
            // Every chart whose data the list shows is named in the access log.
            let mut shown: Vec<&str> = list
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|c| c.get("patient").and_then(Json::as_str))
                .collect();
            shown.sort_unstable();
            shown.dedup();
            if shown.is_empty() {
                log(practice, session, None, "read", "conflicts", "")?;
            }
            for p in shown {
                log(practice, session, Some(p), "read", "conflicts", "")?;
            }
            Ok(list)
        }
        "duplicate.list" => {
            let role = session.user.role;
            let list = conflicts::duplicates(practice.reader(), |def| {
                read_permission(def).iter().any(|p| role.may(*p))
            })?;
            // Every chart whose MRN the list shows is named in the access log.
            for d in list.as_array().into_iter().flatten() {
                if d["entity"] == "patient" {
                    for p in d["rows"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(Json::as_str)
                    {
                        log(practice, session, Some(p), "read", "duplicates", "")?;
                    }
                }
            }
            Ok(list)
        }
        "conflict.resolve" => {
            let row = record::get_id(args, "row")?;
            let field = required(args, "field")?;
            let def = conflicts::entity_of(practice.reader(), &row, field)?;
            require(
                session,
                edit_permission(def),
                &format!("conflict.resolve on {}", def.name.replace('_', " ")),
            )?;
            let (def, id, change) = {
                let ctx = practice.chart_ctx();
                conflicts::resolve(&ctx, args, |def, row, field, value| {
                    resolution_as_edit(&ctx, def, row, field, value)
                })?
            };
            commit(practice, session, vec![change])?;
            get_row(practice, def, &id)
        }
        "code.search" => {
            let q = required(args, "query")?;
            let limit = limit(args, 20, 200);
            let out: Vec<Json> = match str_arg(args, "system").unwrap_or("icd10") {
                "icd10" => crate::codes::icd10::search(q, limit)
                    .into_iter()
                    .map(|c| json!({"code": c.code, "display": c.display, "billable": c.billable}))
                    .collect(),
                "cvx" => {
                    let ql = q.to_lowercase();
                    crate::codes::cvx::all()
                        .iter()
                        .filter(|c| c.code == q || c.short_name.to_lowercase().contains(&ql) || c.full_name.to_lowercase().contains(&ql))
                        .take(limit)
                        .map(|c| json!({"code": c.code, "display": c.short_name, "status": c.status}))
                        .collect()
                }
                "loinc" => {
                    let ql = q.to_lowercase();
                    crate::codes::loinc::all()
                        .iter()
                        .filter(|c| c.code == q || c.display.to_lowercase().contains(&ql))
                        .take(limit)
                        .map(|c| json!({"code": c.code, "display": c.display, "unit": c.unit, "category": c.category}))
                        .collect()
                }
                other => {
                    return Err(ChartError::invalid(
                        "system",
                        &format!("'{other}' is not one of: icd10, cvx, loinc"),
                    )
                    .into())
                }
            };
            Ok(Json::Array(out))
        }
        "user.create" => {
            let name = required(args, "name")?;
            let role = required(args, "role")?;
            let pass = required(args, "password")?;
            let (_, change) = access::users::create(
                practice.reader(),
                practice.ids.as_ref(),
                practice.clock.as_ref(),
                name,
                str_arg(args, "display_name"),
                role,
                pass,
            )?;
            commit(practice, session, vec![change])?;
            user_json(practice, name)
        }
        "user.list" => Ok(access::users::list(practice.reader())?),
        "user.update" => {
            let (id, change) = access::users::update(
                practice.reader(),
                practice.ids.as_ref(),
                practice.clock.as_ref(),
                args,
            )?;
            commit(practice, session, vec![change])?;
            user_json_by_id(practice, &id)
        }
        "setting.list" => Ok(access::users::settings(practice.reader())?),
        "setting.set" => {
            let name = required(args, "name")?;
            let value = match args.get("value") {
                Some(Json::String(s)) => s.clone(),
                Some(Json::Number(n)) => n.to_string(),
                _ => return Err(ChartError::invalid("value", "is required").into()),
            };
            access::users::check_setting(name, &value)?;
            let existing: Option<String> = practice
                .reader()
                .query_row(
                    "SELECT id FROM setting WHERE name = ?1 AND retracted = 0",
                    [name],
                    |r| r.get(0),
                )
                .ok();
            let now = practice.clock.now_ms();
            let change = match existing.and_then(|e| Uuid::parse_str(&e).ok()) {
                Some(id) => {
                    let base = access::users::version(args)?;
                    Change::new(
                        practice.ids.uuid_v7(now),
                        "setting",
                        id,
                        crate::ledger::Op::Set,
                        vec![("value".into(), value.clone().into())],
                        base,
                    )
                }
                None => Change::new(
                    practice.ids.uuid_v7(now),
                    "setting",
                    practice.ids.uuid_v7(now),
                    crate::ledger::Op::Create,
                    vec![
                        ("name".into(), name.into()),
                        ("value".into(), value.clone().into()),
                    ],
                    vec![],
                ),
            };
            commit(practice, session, vec![change])?;
            Ok(json!({"name": name, "value": value}))
        }
        "audit.report" => {
            let from = str_arg(args, "from")
                .ok_or_else(|| ChartError::invalid("from", "is required (YYYY-MM-DD)"))?;
            let to = str_arg(args, "to")
                .ok_or_else(|| ChartError::invalid("to", "is required (YYYY-MM-DD)"))?;
            for (k, v) in [("from", from), ("to", to)] {
                record::parse_date(v).map_err(|m| ChartError::invalid(k, &m))?;
            }
            Ok(access::audit::report(
                practice.reader(),
                from,
                to,
                str_arg(args, "user"),
                str_arg(args, "patient"),
            )?)
        }
        "audit.verify" => {
            let n = access::audit::verify(practice.reader())?;
            Ok(json!({"entries": n, "ok": true}))
        }
        "session.info" => Ok(session.to_json()),
        _ => Err(ApiError::new(
            "unknown_command",
            format!("'{command}' is not a command"),
        )),
    }
}

/// A newly created row as JSON, from the change that creates it (the same shape a read
/// returns: its fields, `id`, not retracted, and `version`).
fn created_json(c: &Change) -> Json {
    let mut m = serde_json::Map::new();
    m.insert("id".into(), json!(c.row.to_string()));
    for (k, v) in &c.fields {
        m.insert(k.clone(), v.to_json());
    }
    m.insert("created_change".into(), json!(c.id.to_string()));
    m.insert("retracted".into(), json!(false));
    m.insert("retract_reason".into(), Json::Null);
    m.insert("version".into(), json!([c.id.to_string()]));
    Json::Object(m)
}

fn user_json_by_id(practice: &Practice, id: &Uuid) -> Result<Json, ApiError> {
    let all = access::users::list(practice.reader())?;
    let id = id.to_string();
    all.as_array()
        .and_then(|a| {
            a.iter()
                .find(|u| u.get("id").and_then(Json::as_str) == Some(id.as_str()))
                .cloned()
        })
        .ok_or_else(|| ApiError::new("not_found", format!("no user with id '{id}'")))
}

fn user_json(practice: &Practice, name: &str) -> Result<Json, ApiError> {
    let all = access::users::list(practice.reader())?;
    all.as_array()
        .and_then(|a| {
            a.iter()
                .find(|u| u.get("name").and_then(Json::as_str) == Some(name))
                .cloned()
        })
        .ok_or_else(|| ApiError::new("not_found", format!("no user named '{name}'")))
}
