//! The native menu. Actions that need the UI (new patient, backup) are sent to the page as
//! a `menu` event `{ action }`; the shell does zoom, print and About itself, since the page
//! may not run script in the webview from outside (CSP) and About needs no page state.

use crate::commands::{self, SharedHost};
use serde_json::{json, Value};
use std::sync::Mutex;
use tauri::menu::{
    Menu, MenuBuilder, MenuEvent, MenuItemBuilder, PredefinedMenuItem, SubmenuBuilder,
};
use tauri::{AppHandle, Emitter, Manager, Runtime};
use tauri_plugin_dialog::DialogExt;

/// The page's zoom factor, changed from the View menu.
pub struct Zoom(pub Mutex<f64>);

const ZOOM_STEP: f64 = 0.1;
const ZOOM_RANGE: (f64, f64) = (0.5, 3.0);

pub fn build<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<Menu<R>> {
    let item = |id: &str, text: &str, accel: Option<&str>| {
        let b = MenuItemBuilder::with_id(id, text);
        match accel {
            Some(a) => b.accelerator(a).build(app),
            None => b.build(app),
        }
    };
    let file = SubmenuBuilder::new(app, "File")
        .item(&item(
            "new-patient",
            "New patient",
            Some("CmdOrCtrl+Shift+N"),
        )?)
        .item(&item("backup", "Backup now…", None)?)
        .separator()
        .item(&item("print", "Print…", Some("CmdOrCtrl+P"))?)
        .separator()
        .item(&PredefinedMenuItem::quit(app, Some("Quit"))?)
        .build()?;
    let view = SubmenuBuilder::new(app, "View")
        .item(&item("zoom-in", "Zoom in", Some("CmdOrCtrl+="))?)
        .item(&item("zoom-out", "Zoom out", Some("CmdOrCtrl+-"))?)
        .item(&item("zoom-reset", "Actual size", Some("CmdOrCtrl+0"))?)
        .build()?;
    let help = SubmenuBuilder::new(app, "Help")
        .item(&item("about", "About Chartkeep", None)?)
        .build()?;
    MenuBuilder::new(app).items(&[&file, &view, &help]).build()
}

pub fn on_event<R: Runtime>(app: &AppHandle<R>, event: MenuEvent) {
    let id = event.id().as_ref();
    let result = match id {
        "new-patient" | "backup" => app.emit_to("main", "menu", json!({ "action": id })),
        "print" => main_window(app).map_or(Ok(()), |w| w.print()),
        "zoom-in" => zoom(app, |z| z + ZOOM_STEP),
        "zoom-out" => zoom(app, |z| z - ZOOM_STEP),
        "zoom-reset" => zoom(app, |_| 1.0),
        "about" => {
            about(app);
            Ok(())
        }
        _ => Ok(()),
    };
    if let Err(e) = result {
        eprintln!("chartkeep-desktop: menu action {id} failed: {e}");
    }
}

fn main_window<R: Runtime>(app: &AppHandle<R>) -> Option<tauri::WebviewWindow<R>> {
    app.get_webview_window("main")
}

fn zoom<R: Runtime>(app: &AppHandle<R>, change: impl Fn(f64) -> f64) -> tauri::Result<()> {
    let state = app.state::<Zoom>();
    let mut level = state.0.lock().unwrap_or_else(|p| p.into_inner());
    *level = (change(*level) * 10.0).round() / 10.0;
    *level = level.clamp(ZOOM_RANGE.0, ZOOM_RANGE.1);
    main_window(app).map_or(Ok(()), |w| w.set_zoom(*level))
}

/// About: the version, the practice folder and how its key is kept, read from the host's
/// status (off the main thread, as the host may be busy unlocking).
fn about<R: Runtime>(app: &AppHandle<R>) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let host = app.state::<SharedHost>().inner().clone();
        let text = match commands::run(&host, commands::Door::Host, "app.status".into(), None).await
        {
            Ok(status) => about_text(&status),
            Err(e) => format!("Chartkeep {}\n\n{}", env!("CARGO_PKG_VERSION"), e.message),
        };
        app.dialog()
            .message(text)
            .title("About Chartkeep")
            .show(|_| {});
    });
}

fn about_text(status: &Value) -> String {
    let text = |key: &str| status.get(key).and_then(Value::as_str);
    let key_mode = match text("key_mode") {
        Some("keychain") => "the OS keychain",
        Some("passphrase") => "a passphrase (no keychain on this machine)",
        _ => "no practice in this folder yet",
    };
    format!(
        "Chartkeep {}\n\nPractice folder: {}\nKey kept in: {}",
        text("version").unwrap_or(env!("CARGO_PKG_VERSION")),
        text("folder").unwrap_or("unknown"),
        key_mode
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn about_names_version_folder_and_key_mode() {
        let status = json!({"version": "9.9.9", "folder": "/data/p", "key_mode": "passphrase"});
        let text = about_text(&status);
        assert!(text.contains("Chartkeep 9.9.9"), "{text}");
        assert!(text.contains("/data/p"), "{text}");
        assert!(text.contains("passphrase"), "{text}");
        assert!(about_text(&json!({"key_mode": null})).contains("no practice"));
    }
}
