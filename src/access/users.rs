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

/// The live account named `name`. Two of them (made on two workstations while apart) is
/// an error until an administrator renames one: never an arbitrary pick.
fn find(conn: &Connection, name: &str) -> Result<Option<Row>, AccessError> {
    find_where(conn, "name", name, true)
}

fn find_where(
    conn: &Connection,
    column: &str,
    value: &str,
    refuse_duplicates: bool,
) -> Result<Option<Row>, AccessError> {
    let mut rows: Vec<Row> = conn
        .prepare_cached(&format!(
            "SELECT id, name, display_name, role, password_hash, active FROM app_user WHERE {column} = ?1 AND retracted = 0 ORDER BY id"
        ))?
        .query_map([value], |r| {
            Ok(Row {
                id: r.get(0)?,
                name: r.get(1)?,
                display_name: r.get(2)?,
                role: r.get(3)?,
                hash: r.get(4)?,
                active: r.get::<_, Option<bool>>(5)?.unwrap_or(false),
            })
        })?
        .collect::<Result<_, _>>()?;
    if rows.len() > 1 && refuse_duplicates {
        return Err(AccessError::DuplicateName(value.to_string()));
    }
    Ok(rows.pop())
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

/// The user as the chart holds them now, for the check at every command: a role change or
/// a disabled account (made here or replicated from another workstation) takes effect on
/// the next command, not at the next login.
pub fn current(conn: &Connection, id: &Uuid) -> Result<User, AccessError> {
    let row = conn
        .prepare_cached(
            "SELECT name, display_name, role, active, retracted FROM app_user WHERE id = ?1",
        )?
        .query_row([id.to_string()], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, Option<String>>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Option<bool>>(3)?.unwrap_or(false),
                r.get::<_, bool>(4)?,
            ))
        })
        .optional()?;
    let Some((name, display_name, role, active, retracted)) = row else {
        return Err(AccessError::Disabled(id.to_string()));
    };
    if !active || retracted {
        return Err(AccessError::Disabled(name));
    }
    let role = Role::parse(&role).ok_or_else(|| AccessError::Disabled(name.clone()))?;
    Ok(User {
        id: *id,
        display_name: display_name.unwrap_or_else(|| name.clone()),
        name,
        role,
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
        let id: String = r.get(0)?;
        Ok(json!({
            "version": version_json(conn, &super::entities::USER, &id),
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
    let row = match (
        input.get("id").and_then(Json::as_str),
        input.get("name").and_then(Json::as_str),
    ) {
        // By id: the way to reach one of two accounts that share a name.
        (Some(id), _) => find_where(conn, "id", id, false)?
            .ok_or_else(|| AccessError::Invalid(format!("no user with id '{id}'")))?,
        (None, Some(name)) => find(conn, name)?
            .ok_or_else(|| AccessError::Invalid(format!("no user named '{name}'")))?,
        (None, None) => {
            return Err(AccessError::Invalid(
                "name: which user to change (or id)".into(),
            ))
        }
    };
    let name = row.name.as_str();
    let mut fields = Vec::new();
    if let Some(n) = input.get("new_name").and_then(Json::as_str) {
        valid_name(n)?;
        if find_where(conn, "name", n, false)?.is_some() {
            return Err(AccessError::Invalid(format!(
                "a user named '{n}' already exists"
            )));
        }
        fields.push(("name".to_string(), Value::from(n)));
    }
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
            "nothing to change: give role, display_name, active, password or new_name".into(),
        ));
    }
    let stays_admin = fields.iter().all(|(k, v)| match k.as_str() {
        "role" => v.as_str() == Some(Role::Administrator.name()),
        "active" => *v == Value::Bool(true),
        _ => true,
    });
    if row.role == Role::Administrator.name() && row.active && !stays_admin {
        let others: i64 = conn.query_row(
            "SELECT count(*) FROM app_user WHERE role = 'administrator' AND active = 1 AND retracted = 0 AND id <> ?1",
            [&row.id],
            |r| r.get(0),
        )?;
        if others == 0 {
            return Err(AccessError::Invalid(format!(
                "'{name}' is the practice's only active administrator; make another user an administrator first, or no one could manage accounts"
            )));
        }
    }
    let id = Uuid::parse_str(&row.id).unwrap_or_default();
    let base = version(input)?;
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

/// The `version` an edit was made on (from `user.list` or `setting.list`): required, so
/// that two administrators changing one account on two workstations are both kept.
pub fn version(input: &Json) -> Result<Vec<Uuid>, AccessError> {
    let bad = || {
        AccessError::Invalid(
            "version: is required; pass the `version` from the list you read (user.list, setting.list)"
                .into(),
        )
    };
    let list = input
        .get("version")
        .and_then(Json::as_array)
        .ok_or_else(bad)?;
    if list.is_empty() {
        return Err(bad());
    }
    list.iter()
        .map(|v| {
            v.as_str()
                .and_then(|s| Uuid::parse_str(s).ok())
                .ok_or_else(bad)
        })
        .collect()
}

/// The current version of a row as a JSON list, for reads that editors send back.
fn version_json(conn: &Connection, def: &crate::ledger::schema::EntityDef, id: &str) -> Json {
    let id = Uuid::parse_str(id).unwrap_or_default();
    let v = crate::ledger::row_version(conn, def, &id).unwrap_or_default();
    Json::from(v.iter().map(|u| u.to_string()).collect::<Vec<_>>())
}

/// Checks a new value of one account field, as `update` would (for settling a conflict).
pub fn check_field(field: &str, value: &Value) -> Result<(), AccessError> {
    let ok = match field {
        "role" => value.as_str().and_then(Role::parse).is_some(),
        "display_name" => value.as_str().is_some_and(|s| !s.trim().is_empty()),
        "active" => matches!(value, Value::Bool(_)),
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(AccessError::Invalid(format!(
            "{field}: not a value an account edit would accept (role is one of clinician, nurse, front_desk, billing, administrator; active is true or false; the name and password are not set this way)"
        )))
    }
}

/// Checks a setting's value before it is saved (or chosen to settle a conflict).
pub fn check_setting(name: &str, value: &str) -> Result<(), AccessError> {
    if name == "idle_lock_minutes" && !value.parse::<i64>().is_ok_and(|m| (1..=240).contains(&m)) {
        return Err(AccessError::Invalid(
            "value: idle_lock_minutes must be a whole number of minutes from 1 to 240".into(),
        ));
    }
    Ok(())
}

/// Every practice setting with its version.
pub fn settings(conn: &Connection) -> Result<Json, AccessError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, name, value FROM setting WHERE retracted = 0 ORDER BY name, created_at",
    )?;
    let rows: Vec<(String, String, Option<String>)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<Result<_, _>>()?;
    Ok(Json::Array(
        rows.into_iter()
            .map(|(id, name, value)| {
                json!({"id": id, "name": name, "value": value,
                       "version": version_json(conn, &super::entities::SETTING, &id)})
            })
            .collect(),
    ))
}

/// A practice setting (e.g. `idle_lock_minutes`), or None if never set.
pub fn setting(conn: &Connection, name: &str) -> Result<Option<String>, rusqlite::Error> {
    conn.prepare_cached("SELECT value FROM setting WHERE name = ?1 AND retracted = 0 ORDER BY created_at DESC LIMIT 1")?
        .query_row([name], |r| r.get(0))
        .optional()
}
