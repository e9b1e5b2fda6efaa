//! The page's CSP, finished at start-up. tauri.conf.json holds the policy; Tauri adds its
//! isolation frame's origin to `default-src` only, but our `frame-src` (for `blob:` document
//! previews) overrides `default-src` for frames, which would block the isolation frame and
//! with it every IPC call. The frame's scheme is generated per build, so it can only be
//! added here, from the compiled context.

use tauri::utils::config::Csp;
use tauri::{Context, Pattern, Runtime};

/// Adds the isolation frame's origin, and nothing else, to `frame-src`.
pub fn allow_isolation_frame<R: Runtime>(context: &mut Context<R>) {
    let schema = match context.pattern() {
        Pattern::Isolation { schema, .. } => schema.clone(),
        _ => return,
    };
    let origin = isolation_origin(&schema);
    match &mut context.config_mut().app.security.csp {
        Some(Csp::DirectiveMap(map)) => map.entry("frame-src".to_owned()).or_default().push(origin),
        Some(Csp::Policy(p)) => *p = p.replace("frame-src ", &format!("frame-src {origin} ")),
        None => {}
    }
}

/// The origin Tauri serves the isolation frame from (its `protocol::origin`).
fn isolation_origin(schema: &str) -> String {
    if cfg!(windows) || cfg!(target_os = "android") {
        format!("http://{schema}.localhost")
    } else {
        format!("{schema}://localhost")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_src_keeps_blob_and_gains_only_the_isolation_frame() {
        let mut context: Context<tauri::Wry> = tauri::generate_context!();
        allow_isolation_frame(&mut context);
        let Some(Csp::DirectiveMap(map)) = &context.config().app.security.csp else {
            panic!("tauri.conf.json must hold the CSP as a directive map");
        };
        let sources = |d: &str| Vec::<String>::from(map[d].clone());
        let frame = sources("frame-src");
        assert_eq!(frame.len(), 2, "{frame:?}");
        assert_eq!(frame[0], "blob:");
        assert!(frame[1].starts_with("isolation"), "{frame:?}");
        assert_eq!(
            sources("script-src"),
            ["'self'"],
            "no unsafe-eval, data: or blob: for scripts"
        );
        assert_eq!(sources("object-src"), ["'none'"]);
    }
}
