//! Keeps the window on the app's own pages. The capability already gives a foreign page no
//! IPC at all, but a chart on screen must never be replaced by a page from elsewhere (a
//! link in a pasted note, a script that sets `location`), so every navigation away from the
//! embedded UI is refused.

use tauri::plugin::{Builder, TauriPlugin};
use tauri::{Runtime, Url};

/// A plugin with no commands of its own: only the navigation hook.
pub fn guard<R: Runtime>() -> TauriPlugin<R> {
    Builder::new("navigation-guard")
        .on_navigation(|_webview, url| allowed(url))
        .build()
}

/// The embedded UI's origin (`tauri://localhost`; `http://tauri.localhost` on Windows),
/// and the `blob:` and `about:blank` frames the UI makes for document previews.
fn allowed(url: &Url) -> bool {
    match url.scheme() {
        "tauri" => url.host_str() == Some("localhost"),
        "http" | "https" => url.host_str() == Some("tauri.localhost"),
        "blob" => {
            url.as_str().starts_with("blob:tauri://localhost/")
                || url.as_str().starts_with("blob:http://tauri.localhost/")
        }
        "about" => url.as_str() == "about:blank",
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(url: &str) -> bool {
        allowed(&Url::parse(url).unwrap())
    }

    #[test]
    fn only_the_embedded_ui_and_its_own_frames() {
        assert!(ok("tauri://localhost/"));
        assert!(ok("tauri://localhost/index.html#/chart"));
        assert!(ok("http://tauri.localhost/"));
        assert!(ok(
            "blob:tauri://localhost/6c1e0d6e-1f3a-4b1a-9f0e-0c6f1d2a3b4c"
        ));
        assert!(ok("about:blank"));
        assert!(!ok("https://example.com/"));
        assert!(!ok("http://127.0.0.1:8080/"));
        assert!(!ok("tauri://evil.example/"));
        assert!(!ok("http://tauri.localhost.evil.example/"));
        assert!(!ok("blob:https://example.com/6c1e0d6e"));
        assert!(!ok("data:text/html,<p>hi</p>"));
        assert!(!ok("file:///etc/passwd"));
        assert!(!ok("javascript:alert(1)"));
    }
}
