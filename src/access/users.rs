//! Staff accounts, stored as ledger entities so a new user or a role change reaches every
//! workstation like any other change.

use std::collections::HashMap;

use rusqlite::{Connection, OptionalExtension};
use serde_json::{json, Value as Json};
use uuid::Uuid;

use super::{password, AccessError, Role};
use crate::clock::{Clock, IdSource};
use crate::ledger::{Change, Op, Value};

/// A logged-in (or about to be) user.
#[derive(Debug, Clone)]
pub struct User {
    pub id: Uuid,
    pub name: String,
    pub display_name: String,
    pub role: Role,
}

fn valid_name(name: &str) -> Result<(), AccessError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
    if ok {
        Ok(())
    } else {
        Err(AccessError::Invalid(format!(
            "'{name}' is not a usable user name: use letters, digits, '.', '_' or '-'"
        )))
    }
}

/// The change that creates an account. Refuses a taken name, an unknown role or a weak
/// password before anything is written.
pub fn create(
    conn: &Connection,
    ids: &dyn IdSource,
    clock: &dyn Clock,
    name: &str,
    display_name: Option<&str>,
    role: &str,
    pass: &str,
) -> Result<(Uuid, Change), AccessError> {
    valid_name(name)?;
    let role = Role::parse(role).ok_or_else(|| {
        AccessError::Invalid(format!(
            "'{role}' is not a role; use one of: clinician, nurse, front_desk, billing, administrator"
        ))
    })?;
    password::acceptable(pass).map_err(AccessError::Invalid)?;
    if find(conn, name)?.is_some() {
        return Err(AccessError::Invalid(format!(
            "a user named '{name}' already exists"
        )));
    }
    let id = ids.uuid_v7(clock.now_ms());
    let fields = vec![
        ("name".to_string(), Value::from(name)),
        (
            "display_name".to_string(),
            Value::from(display_name.unwrap_or(name)),
        ),
        ("role".to_string(), Value::from(role.name())),
        (
            "password_hash".to_string(),
            Value::Text(password::hash(pass, ids)),
        ),
        ("active".to_string(), Value::Bool(true)),
    ];
    Ok((
        id,
        Change::new(
            ids.uuid_v7(clock.now_ms()),
            "user",
            id,
            Op::Create,
            fields,
            vec![],
        ),
    ))
}

struct Row {
    id: String,
    name: String,
    display_name: Option<String>,
    role: String,
    hash: String,
    active: bool,
}

fn find(conn: &Connection, name: &str) -> Result<Option<Row>, AccessError> {
    Ok(conn
        .prepare_cached(
            "SELECT id, name, display_name, role, password_hash, active FROM app_user WHERE name = ?1 AND retracted = 0",
        )?
        .query_row([name], |r| {
            Ok(Row {
                id: r.get(0)?,
                name: r.get(1)?,
                display_name: r.get(2)?,
                role: r.get(3)?,
                hash: r.get(4)?,
                active: r.get::<_, Option<bool>>(5)?.unwrap_or(false),
            })
        })
        .optional()?)
}

/// Checks a password. Unknown users and wrong passwords give the same error.
pub fn authenticate(conn: &Connection, name: &str, pass: &str) -> Result<User, AccessError> {
    let Some(row) = find(conn, name)? else {
        // Spend the same time as a real check, so names cannot be probed by timing.
        let _ = password::verify(pass, "pbkdf2-sha256$600000$00$00");
        return Err(AccessError::WrongPassword(name.to_string()));
    };
    if !password::verify(pass, &row.hash) {
        return Err(AccessError::WrongPassword(name.to_string()));
    }
    if !row.active {
        return Err(AccessError::Disabled(name.to_string()));
    }
    Ok(User {
        id: Uuid::parse_str(&row.id).unwrap_or_default(),
        display_name: row.display_name.unwrap_or_else(|| row.name.clone()),
        name: row.name,
        role: Role::parse(&row.role).unwrap_or(Role::FrontDesk),
    })
}

/// User id → name, for showing who made a change.
pub fn names(conn: &Connection) -> Result<HashMap<String, String>, rusqlite::Error> {
    let mut stmt = conn.prepare_cached("SELECT id, name FROM app_user")?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    rows.collect()
}

pub fn list(conn: &Connection) -> Result<Json, AccessError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, name, display_name, role, active, retracted FROM app_user ORDER BY name",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(json!({
            "id": r.get::<_, String>(0)?,
            "name": r.get::<_, String>(1)?,
            "display_name": r.get::<_, Option<String>>(2)?,
            "role": r.get::<_, String>(3)?,
            "active": r.get::<_, Option<bool>>(4)?.unwrap_or(false),
            "retracted": r.get::<_, bool>(5)?,
        }))
    })?;
    Ok(Json::Array(rows.collect::<Result<_, _>>()?))
}

/// Changes a user's role, display name, active flag or password.
pub fn update(
    conn: &Connection,
    ids: &dyn IdSource,
    clock: &dyn Clock,
    input: &Json,
) -> Result<(Uuid, Change), AccessError> {
    let name = input
        .get("name")
        .and_then(Json::as_str)
        .ok_or_else(|| AccessError::Invalid("name: which user to change".into()))?;
    let row =
        find(conn, name)?.ok_or_else(|| AccessError::Invalid(format!("no user named '{name}'")))?;
    let mut fields = Vec::new();
    if let Some(r) = input.get("role").and_then(Json::as_str) {
        let role =
            Role::parse(r).ok_or_else(|| AccessError::Invalid(format!("'{r}' is not a role")))?;
        fields.push(("role".to_string(), Value::from(role.name())));
    }
    if let Some(d) = input.get("display_name").and_then(Json::as_str) {
        fields.push(("display_name".to_string(), Value::from(d)));
    }
    if let Some(a) = input.get("active").and_then(Json::as_bool) {
        fields.push(("active".to_string(), Value::Bool(a)));
    }
    if let Some(p) = input.get("password").and_then(Json::as_str) {
        password::acceptable(p).map_err(AccessError::Invalid)?;
        fields.push((
            "password_hash".to_string(),
            Value::Text(password::hash(p, ids)),
        ));
    }
    if fields.is_empty() {
        return Err(AccessError::Invalid(
            "nothing to change: give role, display_name, active or password".into(),
        ));
    }
    let id = Uuid::parse_str(&row.id).unwrap_or_default();
    let base = crate::ledger::row_version(conn, &super::entities::USER, &id)
        .map_err(|e| AccessError::Invalid(e.to_string()))?;
    Ok((
        id,
        Change::new(
            ids.uuid_v7(clock.now_ms()),
            "user",
            id,
            Op::Set,
            fields,
            base,
        ),
    ))
}

/// A practice setting (e.g. `idle_lock_minutes`), or None if never set.
pub fn setting(conn: &Connection, name: &str) -> Result<Option<String>, rusqlite::Error> {
    conn.prepare_cached("SELECT value FROM setting WHERE name = ?1 AND retracted = 0 ORDER BY created_at DESC LIMIT 1")?
        .query_row([name], |r| r.get(0))
        .optional()
}
