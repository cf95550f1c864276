//! A sealed environment for the Python tools: nothing of the caller's AWS settings leaks in.

use std::path::Path;
use std::process::Command;

/// Clears `command`'s environment and gives it only what the tools need: `PATH`, a private
/// `HOME`, dummy credentials, empty AWS config and credentials files in `home`, and no pager.
///
/// # Panics
///
/// When the empty files cannot be written in `home`.
pub(crate) fn seal<'a>(command: &'a mut Command, home: &Path) -> &'a mut Command {
    let config = home.join("aws-config");
    let credentials = home.join("aws-credentials");
    for file in [&config, &credentials] {
        std::fs::write(file, "").expect("write an empty AWS settings file");
    }
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("LANG", "C.UTF-8")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .env("AWS_CONFIG_FILE", config)
        .env("AWS_SHARED_CREDENTIALS_FILE", credentials)
        .env("AWS_PAGER", "")
}
