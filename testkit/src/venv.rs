//! Where the project's Python virtual environment and its executables are.

use std::ffi::OsString;
use std::path::PathBuf;

/// The environment variable that overrides the virtual environment's location.
const VENV_VAR: &str = "TOLLGATE_VENV";

/// The workspace root: the folder that holds the root `Cargo.toml`.
pub fn workspace_root() -> PathBuf {
    let testkit = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    testkit.parent().map(PathBuf::from).unwrap_or(testkit)
}

/// The Python virtual environment: `$TOLLGATE_VENV` if set and not empty, otherwise
/// `<workspace root>/.venv`.
pub fn venv_dir() -> PathBuf {
    venv_dir_from(std::env::var_os(VENV_VAR))
}

/// The virtual environment given the value of `$TOLLGATE_VENV`.
fn venv_dir_from(var: Option<OsString>) -> PathBuf {
    match var {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => workspace_root().join(".venv"),
    }
}

/// The path of executable `name` in the virtual environment's `bin/`.
///
/// # Panics
///
/// When it is not there, with a message that says how to install it, so that a test that
/// needs it fails instead of passing without having run.
pub fn venv_tool(name: &str) -> PathBuf {
    let path = venv_dir().join("bin").join(name);
    assert!(
        path.is_file(),
        "{} not found: run ./scripts/test, which installs awscli and moto 5.2.5 into .venv \
         (or set {VENV_VAR} to a virtual environment that has them)",
        path.display()
    );
    path
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workspace_root_holds_the_workspace_manifest() {
        let manifest = std::fs::read_to_string(workspace_root().join("Cargo.toml"))
            .expect("root Cargo.toml is readable");
        assert!(manifest.contains("[workspace]"));
    }

    #[test]
    fn the_venv_is_in_the_workspace_root_unless_overridden() {
        assert_eq!(venv_dir_from(None), workspace_root().join(".venv"));
        assert_eq!(
            venv_dir_from(Some("".into())),
            workspace_root().join(".venv")
        );
        assert_eq!(
            venv_dir_from(Some("/opt/tools".into())),
            PathBuf::from("/opt/tools")
        );
    }

    #[test]
    #[should_panic(expected = "run ./scripts/test, which installs awscli and moto 5.2.5")]
    fn a_missing_tool_fails_with_the_install_hint() {
        venv_tool("no-such-tool-in-any-venv");
    }
}
