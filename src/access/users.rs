//! Staff accounts, stored as ledger entities so a new user or a role change reaches every
//! workstation like any other change.

use std::collections::HashMap;

use rusqlite::{Connection, OptionalExtension};
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

/// A staff account as `user.list` shows it (never its password hash).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct UserInfo {
    pub id: Uuid,
    pub name: String,
    pub display_name: Option<String>,
    pub role: String,
    pub active: bool,
    pub retracted: bool,
    /// Pass it back on `user.update`.
    pub version: Vec<Uuid>,
}

/// A practice setting with its version.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct SettingInfo {
    pub id: Uuid,
    pub name: String,
    pub value: Option<String>,
    /// Pass it back on `setting.set`.
    pub version: Vec<Uuid>,
}

pub fn list(conn: &Connection) -> Result<Vec<UserInfo>, AccessError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, name, display_name, role, active, retracted FROM app_user ORDER BY name",
    )?;
    let rows = stmt.query_map([], |r| {
        let id: String = r.get(0)?;
        Ok(UserInfo {
            version: version_of(conn, &super::entities::USER, &id),
            id: Uuid::parse_str(&id).unwrap_or_default(),
            name: r.get(1)?,
            display_name: r.get(2)?,
            role: r.get(3)?,
            active: r.get::<_, Option<bool>>(4)?.unwrap_or(false),
            retracted: r.get(5)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Changes a user's role, display name, active flag or password.
/// An edit of a staff account: what to change, on the version read from `user.list`.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct UserUpdate {
    /// Which user to change, by name.
    #[serde(default)]
    pub name: String,
    /// Which user to change, by id: the way to reach one of two accounts that share a name
    /// (made on two workstations while they were apart).
    #[serde(default)]
    pub id: Option<Uuid>,
    /// A new user name for the account (not taken by another).
    #[serde(default)]
    pub new_name: Option<String>,
    /// The `version` from `user.list`.
    #[serde(default)]
    pub version: Vec<Uuid>,
    #[serde(default)]
    pub role: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub active: Option<bool>,
    /// A new password (at least the length `password::acceptable` asks).
    #[serde(default)]
    pub password: Option<String>,
}

pub fn update(
    conn: &Connection,
    ids: &dyn IdSource,
    clock: &dyn Clock,
    input: &UserUpdate,
) -> Result<(Uuid, Change), AccessError> {
    let row = match (input.id.as_ref(), input.name.as_str()) {
        // By id: the way to reach one of two accounts that share a name.
        (Some(id), _) => find_where(conn, "id", &id.to_string(), false)?
            .ok_or_else(|| AccessError::Invalid(format!("no user with id '{id}'")))?,
        (None, name) if !name.is_empty() => find(conn, name)?
            .ok_or_else(|| AccessError::Invalid(format!("no user named '{name}'")))?,
        (None, _) => {
            return Err(AccessError::Invalid(
                "name: which user to change (or id)".into(),
            ))
        }
    };
    let name = row.name.as_str();
    let mut fields = Vec::new();
    if let Some(n) = input.new_name.as_deref() {
        valid_name(n)?;
        if find_where(conn, "name", n, false)?.is_some() {
            return Err(AccessError::Invalid(format!(
                "a user named '{n}' already exists"
            )));
        }
        fields.push(("name".to_string(), Value::from(n)));
    }
    if let Some(r) = input.role.as_deref() {
        let role =
            Role::parse(r).ok_or_else(|| AccessError::Invalid(format!("'{r}' is not a role")))?;
        fields.push(("role".to_string(), Value::from(role.name())));
    }
    if let Some(d) = input.display_name.as_deref() {
        fields.push(("display_name".to_string(), Value::from(d)));
    }
    if let Some(a) = input.active {
        fields.push(("active".to_string(), Value::Bool(a)));
    }
    if let Some(p) = input.password.as_deref() {
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
    let base = version(&input.version)?;
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
/// The base of an account or setting edit: the version read, required so that an edit
/// made meanwhile on another workstation is kept and flagged, not overwritten.
pub fn version(list: &[Uuid]) -> Result<Vec<Uuid>, AccessError> {
    if list.is_empty() {
        return Err(AccessError::Invalid(
            "version: is required; pass the `version` from the list you read (user.list, setting.list)"
                .into(),
        ));
    }
    Ok(list.to_vec())
}

/// The change that sets a practice setting: a new row the first time, else an edit of
/// the existing one on the version read from `setting.list`.
pub fn set_setting(
    conn: &Connection,
    ids: &dyn IdSource,
    clock: &dyn Clock,
    name: &str,
    value: &str,
    version_read: &[Uuid],
) -> Result<Change, AccessError> {
    check_setting(name, value)?;
    let existing: Option<String> = conn
        .query_row(
            "SELECT id FROM setting WHERE name = ?1 AND retracted = 0",
            [name],
            |r| r.get(0),
        )
        .optional()?;
    let now = clock.now_ms();
    Ok(match existing.and_then(|e| Uuid::parse_str(&e).ok()) {
        Some(id) => Change::new(
            ids.uuid_v7(now),
            "setting",
            id,
            Op::Set,
            vec![("value".into(), value.into())],
            version(version_read)?,
        ),
        None => Change::new(
            ids.uuid_v7(now),
            "setting",
            ids.uuid_v7(now),
            Op::Create,
            vec![("name".into(), name.into()), ("value".into(), value.into())],
            vec![],
        ),
    })
}

/// The current version of a row as a JSON list, for reads that editors send back.
fn version_of(conn: &Connection, def: &crate::ledger::schema::EntityDef, id: &str) -> Vec<Uuid> {
    let id = Uuid::parse_str(id).unwrap_or_default();
    crate::ledger::row_version(conn, def, &id).unwrap_or_default()
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
    if name == crate::interop::hl7v2::receive::LOCAL_OFFSET_SETTING
        && crate::interop::hl7v2::receive::parse_offset(value).is_none()
    {
        return Err(AccessError::Invalid(
            "value: hl7_local_offset must be a UTC offset such as -05:00 or +01:00".into(),
        ));
    }
    Ok(())
}

/// Every practice setting with its version.
pub fn settings(conn: &Connection) -> Result<Vec<SettingInfo>, AccessError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, name, value FROM setting WHERE retracted = 0 ORDER BY name, created_at",
    )?;
    let rows: Vec<(String, String, Option<String>)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<Result<_, _>>()?;
    Ok(rows
        .into_iter()
        .map(|(id, name, value)| SettingInfo {
            version: version_of(conn, &super::entities::SETTING, &id),
            id: Uuid::parse_str(&id).unwrap_or_default(),
            name,
            value,
        })
        .collect())
}

/// A practice setting (e.g. `idle_lock_minutes`), or None if never set.
pub fn setting(conn: &Connection, name: &str) -> Result<Option<String>, rusqlite::Error> {
    conn.prepare_cached("SELECT value FROM setting WHERE name = ?1 AND retracted = 0 ORDER BY created_at DESC LIMIT 1")?
        .query_row([name], |r| r.get(0))
        .optional()
}
