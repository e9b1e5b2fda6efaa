//! Which practice folder the desktop app opens: the same rule as the `chartkeep` CLI
//! (`--data DIR`, else `CHARTKEEP_DATA`, else the platform data folder), so the app and the
//! command line always agree on where a workstation's chart lives.

use std::ffi::OsString;
use std::path::PathBuf;

/// The folder from the command line (`--data DIR` or `--data=DIR`), the environment, or
/// the platform default. `None` only when not even `HOME`/`APPDATA` is set.
pub fn choose(args: impl IntoIterator<Item = OsString>) -> Option<PathBuf> {
    from_args(args)
        .or_else(|| {
            std::env::var_os("CHARTKEEP_DATA")
                .filter(|x| !x.is_empty())
                .map(PathBuf::from)
        })
        .or_else(platform_default)
}

fn from_args(args: impl IntoIterator<Item = OsString>) -> Option<PathBuf> {
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        if arg == "--data" {
            return args.next().map(PathBuf::from);
        }
        if let Some(dir) = arg.to_str().and_then(|a| a.strip_prefix("--data=")) {
            return Some(PathBuf::from(dir));
        }
    }
    None
}

/// Mirrors `default_data_dir` in the CLI (src/main.rs).
fn platform_default() -> Option<PathBuf> {
    let home = std::env::var_os("HOME").map(PathBuf::from);
    if cfg!(target_os = "windows") {
        return std::env::var_os("APPDATA").map(|a| PathBuf::from(a).join("Chartkeep"));
    }
    if cfg!(target_os = "macos") {
        return home.map(|h| h.join("Library/Application Support/Chartkeep"));
    }
    if let Some(x) = std::env::var_os("XDG_DATA_HOME").filter(|x| !x.is_empty()) {
        return Some(PathBuf::from(x).join("chartkeep"));
    }
    home.map(|h| h.join(".local/share/chartkeep"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<OsString> {
        list.iter().map(OsString::from).collect()
    }

    #[test]
    fn data_argument_wins_in_both_spellings() {
        assert_eq!(
            from_args(args(&["app", "--data", "/x/y"])),
            Some(PathBuf::from("/x/y"))
        );
        assert_eq!(
            from_args(args(&["app", "--data=/x/z"])),
            Some(PathBuf::from("/x/z"))
        );
        assert_eq!(from_args(args(&["app"])), None);
    }
}
