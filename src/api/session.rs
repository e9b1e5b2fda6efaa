//! Login sessions and the idle lock.

use super::ApiError;
use crate::access::audit::Access;
use crate::access::users::{self, User};
use crate::access::{AccessError, Permission};
use crate::practice::Practice;

/// Minutes of inactivity after which a session locks, unless the administrator set
/// `idle_lock_minutes`.
pub const DEFAULT_IDLE_MINUTES: i64 = 10;

#[derive(Debug, Clone)]
pub struct Session {
    pub user: User,
    pub workstation: String,
    last_activity_ms: i64,
    idle_limit_ms: i64,
    locked: bool,
}

fn idle_limit_ms(practice: &Practice) -> i64 {
    users::setting(practice.reader(), "idle_lock_minutes")
        .ok()
        .flatten()
        .and_then(|v| v.parse::<i64>().ok())
        .filter(|m| *m > 0)
        .unwrap_or(DEFAULT_IDLE_MINUTES)
        * 60_000
}

/// Checks a user's password and opens a session. Failed attempts are logged too.
pub fn login(practice: &mut Practice, name: &str, password: &str) -> Result<Session, ApiError> {
    let now = practice.clock.now_ms();
    let at = crate::clock::rfc3339(now);
    let workstation = practice.workstation();
    match users::authenticate(practice.reader(), name, password) {
        Ok(user) => {
            practice.log_access(&Access {
                at: &at,
                user_id: &user.id.to_string(),
                user_name: &user.name,
                patient: None,
                action: "login",
                category: "session",
                workstation: &workstation,
                detail: "",
            })?;
            Ok(Session {
                user,
                workstation,
                last_activity_ms: now,
                idle_limit_ms: idle_limit_ms(practice),
                locked: false,
            })
        }
        Err(e) => {
            practice.log_access(&Access {
                at: &at,
                user_id: "",
                user_name: name,
                patient: None,
                action: "login_failed",
                category: "session",
                workstation: &workstation,
                detail: e.code(),
            })?;
            Err(e.into())
        }
    }
}

impl Session {
    /// Records activity, or refuses if the session has been idle too long.
    pub fn touch(&mut self, now_ms: i64) -> Result<(), ApiError> {
        if self.locked || now_ms - self.last_activity_ms > self.idle_limit_ms {
            self.locked = true;
            return Err(AccessError::Locked(self.idle_limit_ms / 60_000).into());
        }
        self.last_activity_ms = self.last_activity_ms.max(now_ms);
        Ok(())
    }

    /// Takes the user's current role and active flag from the chart; a disabled account
    /// locks the session.
    pub fn refresh(&mut self, practice: &Practice) -> Result<(), ApiError> {
        match users::current(practice.reader(), &self.user.id) {
            Ok(user) => {
                self.user = user;
                Ok(())
            }
            Err(e) => {
                if matches!(e, AccessError::Disabled(_)) {
                    self.locked = true;
                }
                Err(e.into())
            }
        }
    }

    pub fn is_locked(&self) -> bool {
        self.locked
    }

    /// Whether the session has been idle past its limit at `now_ms` (it locks on the next
    /// command).
    pub fn is_idle(&self, now_ms: i64) -> bool {
        now_ms - self.last_activity_ms > self.idle_limit_ms
    }

    /// Locks the session by hand (the idle lock of the app): every command is refused
    /// until the same user's password is given again.
    pub fn lock(&mut self) {
        self.locked = true;
    }

    /// Unlocks an idle-locked session with the same user's password.
    pub fn unlock(&mut self, practice: &mut Practice, password: &str) -> Result<(), ApiError> {
        let fresh = login(practice, &self.user.name, password)?;
        *self = fresh;
        Ok(())
    }

    /// Who is logged in, for `session.info`.
    pub fn info(&self) -> super::types::SessionInfo {
        super::types::SessionInfo {
            user: self.user.name.clone(),
            display_name: self.user.display_name.clone(),
            role: self.user.role.name().to_string(),
            workstation: self.workstation.clone(),
            idle_lock_minutes: self.idle_limit_ms / 60_000,
            permissions: Permission::ALL
                .iter()
                .filter(|p| self.user.role.may(**p))
                .map(|p| p.name().to_string())
                .collect(),
        }
    }
}
