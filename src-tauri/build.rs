//! Generates the ACL for the app's own commands: only the commands named here get an
//! `allow-<name>` permission, and with an app manifest Tauri no longer allows every app
//! command by default, so the capability file is the whole list of what the page may call.

/// Every command the shell registers; `capabilities/main.json` allows exactly these.
const COMMANDS: &[&str] = &[
    "call",
    "app_status",
    "app_create",
    "app_join",
    "app_unlock",
    "app_restore",
    "app_open_folder",
    "app_login",
    "app_lock",
    "app_resume",
    "app_logout",
    "app_backup",
    "app_save_export",
    "app_save_list",
    "app_verify",
];

fn main() {
    let attributes = tauri_build::Attributes::new()
        .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS));
    tauri_build::try_build(attributes).expect("tauri build script");
}
