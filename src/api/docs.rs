//! The generated command reference, `docs/api.md`.

use super::commands::describe;

pub fn markdown() -> String {
    let mut s = String::from(
        "# Chartkeep API\n\nGenerated from the command table (`chartkeep api-docs > docs/api.md`); a test keeps it current.\n\n\
         Every command is called as `api::call(practice, session, \"domain.verb\", json)`, from the desktop app, the local \
         HTTP server, or `chartkeep call COMMAND [JSON]`. Errors come back as `{\"code\": \"…\", \"message\": \"…\"}`; branch on \
         the code, show the message.\n\nRecords answer with all their fields plus `id`, `created_at`, `created_by`, `updated_at`, \
         `updated_by`, `retracted`, `retract_reason` and `version` (pass it back on update to have concurrent edits flagged).\n\n",
    );
    for d in describe() {
        s.push_str(&format!(
            "## `{}`\n\n{}\n\n- permission: `{}`\n- request: `{}`\n- response: {}\n\n",
            d.name, d.summary, d.permission, d.request, d.response
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    /// `docs/api.md` is generated; this keeps the committed copy in step with the code.
    #[test]
    fn committed_api_reference_is_current() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/api.md");
        let committed = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            committed == super::markdown(),
            "docs/api.md is out of date: run `cargo run --quiet -- api-docs > docs/api.md`"
        );
    }

    #[test]
    fn every_command_is_documented_with_a_request_shape() {
        for d in super::describe() {
            assert!(!d.summary.is_empty(), "{} has no summary", d.name);
            assert!(d.request.is_object(), "{} has no request example", d.name);
        }
    }
}
