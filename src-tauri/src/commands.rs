//! The page's whole IPC surface: one generic `call` for the API's commands and one command
//! per host command. Each is a one-liner into the engine's `Host`; the shell adds no logic,
//! so the desktop and `chartkeep serve` behave the same. The capability file allows exactly
//! these (see build.rs).

use chartkeep::api::{ApiError, ErrorCode};
use chartkeep::host::Host;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use tauri::State;

/// The one `Host` of this window, shared with the menu (About reads its status).
pub type SharedHost = Arc<Mutex<Host>>;

/// Which of the host's two doors a command goes through.
#[derive(Clone, Copy)]
pub enum Door {
    /// `Host::call`: the host's own `app.*` commands.
    Host,
    /// `Host::api`: API commands only; the host refuses `app.*` names there.
    Api,
}

/// Runs one host call off the main thread: unlocking derives a key and logging in checks a
/// password hash (each up to a second), and the window must keep painting meanwhile.
pub async fn run(
    host: &SharedHost,
    door: Door,
    command: String,
    args: Option<Value>,
) -> Result<Value, ApiError> {
    let host = Arc::clone(host);
    let args = args.unwrap_or_else(|| json!({}));
    tauri::async_runtime::spawn_blocking(move || {
        let mut host = host
            .lock()
            .map_err(|_| internal("the host failed earlier; restart Chartkeep"))?;
        match door {
            Door::Host => host.call(&command, args),
            Door::Api => host.api(&command, args),
        }
    })
    .await
    .map_err(|_| internal("the host call stopped unexpectedly"))?
}

fn internal(message: &str) -> ApiError {
    ApiError::new(ErrorCode::InternalError, message)
}

/// Any API command (`patient.search`, ...); the host refuses `app.*` names here.
#[tauri::command]
pub async fn call(
    host: State<'_, SharedHost>,
    command: String,
    args: Option<Value>,
) -> Result<Value, ApiError> {
    run(&host, Door::Api, command, args).await
}

macro_rules! host_commands {
    ($($name:ident => $command:literal,)*) => {$(
        #[doc = concat!("`", $command, "`, as the host documents it.")]
        #[tauri::command]
        pub async fn $name(host: State<'_, SharedHost>, args: Option<Value>) -> Result<Value, ApiError> {
            run(&host, Door::Host, $command.to_owned(), args).await
        }
    )*};
}

host_commands! {
    app_status => "app.status",
    app_create => "app.create",
    app_join => "app.join",
    app_unlock => "app.unlock",
    app_restore => "app.restore",
    app_open_folder => "app.open_folder",
    app_login => "app.login",
    app_lock => "app.lock",
    app_resume => "app.resume",
    app_logout => "app.logout",
    app_backup => "app.backup",
    app_save_export => "app.save_export",
    app_save_list => "app.save_list",
    app_verify => "app.verify",
}
