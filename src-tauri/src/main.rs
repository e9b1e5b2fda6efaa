//! Chartkeep's desktop shell: one window showing the UI embedded from `ui/dist`, a native
//! menu, and the IPC commands into the engine's `Host`. No practice is opened or unlocked
//! here: the window shows at once and the UI asks for what unlocking needs.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod commands;
mod csp;
mod data_dir;
mod menu;
mod navigation;

use chartkeep::clock::{RandomIds, SystemClock};
use chartkeep::host::{Host, OsKeychains};
use std::sync::{Arc, Mutex};

fn main() {
    let Some(folder) = data_dir::choose(std::env::args_os().skip(1)) else {
        eprintln!("chartkeep-desktop: HOME is not set; pass --data DIR");
        std::process::exit(2);
    };
    // Cheap: nothing is opened, unlocked or derived until the UI asks.
    let host = Host::new(
        folder,
        Arc::new(SystemClock),
        Arc::new(RandomIds),
        Box::new(OsKeychains),
    );
    let shared: commands::SharedHost = Arc::new(Mutex::new(host));
    // Sync with the practice's other workstations while a practice is open. It listens on
    // CHARTKEEP_SYNC_LISTEN (default 0.0.0.0:8421; "off" to only dial).
    let listen = match std::env::var("CHARTKEEP_SYNC_LISTEN").as_deref() {
        Ok("off") => None,
        Ok(a) => a.parse().ok(),
        Err(_) => Some(std::net::SocketAddr::from(([0, 0, 0, 0], 8421))),
    };
    let _sync = match chartkeep::host::background::BackgroundSync::start(
        shared.clone(),
        chartkeep::sync::runner::Config {
            listen,
            ..Default::default()
        },
    ) {
        Ok(s) => Some(s),
        Err(e) => {
            eprintln!("chartkeep-desktop: sync is off: {e}");
            None
        }
    };
    let mut context = tauri::generate_context!();
    csp::allow_isolation_frame(&mut context);
    let result = tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .plugin(navigation::guard())
        .manage(shared)
        .manage(menu::Zoom(Mutex::new(1.0)))
        .menu(menu::build)
        .on_menu_event(menu::on_event)
        .invoke_handler(tauri::generate_handler![
            commands::call,
            commands::app_status,
            commands::app_create,
            commands::app_join,
            commands::app_unlock,
            commands::app_restore,
            commands::app_open_folder,
            commands::app_login,
            commands::app_lock,
            commands::app_resume,
            commands::app_logout,
            commands::app_backup,
            commands::app_save_export,
            commands::app_save_list,
            commands::app_verify,
        ])
        .run(context);
    if let Err(e) = result {
        eprintln!("chartkeep-desktop: {e}");
        std::process::exit(1);
    }
}
