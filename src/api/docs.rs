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
