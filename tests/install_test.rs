//! The Action's install (action/install.sh) and the release list it trusts
//! (scripts/release-checksums, which the release workflow runs to write action/checksums.txt),
//! run for real: releases are archives built here and published by scripts/release-checksums
//! into a fake action checkout's action/checksums.txt, downloaded by the script's curl from a
//! `file://` base (TOLLGATE_DOWNLOAD_BASE), so nothing leaves the machine. The "binaries" are
//! small shell programs, so that a test can tell which one was installed by running it, and
//! whether a refused one ever ran.

mod common;

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use tempfile::TempDir;

const LINUX_X64: &str = "x86_64-unknown-linux-gnu";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The SHA-256 of a file, as the tests' own witness (sha256sum, not the script's code).
fn sha256(path: &Path) -> String {
    let output = Command::new("sha256sum")
        .arg(path)
        .output()
        .expect("sha256sum runs");
    assert!(output.status.success());
    String::from_utf8_lossy(&output.stdout)
        .split_whitespace()
        .next()
        .expect("a digest")
        .to_string()
}

/// What one run of a script left behind.
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    outputs: BTreeMap<String, String>,
}

/// A scratch world for the install: a release server folder, a fake checkout of the action
/// (with its action/checksums.txt), the runner's tool cache, and GITHUB_PATH.
struct World {
    dir: TempDir,
}

impl World {
    fn new() -> World {
        let world = World {
            dir: tempfile::tempdir().expect("a scratch folder"),
        };
        std::fs::create_dir_all(world.action().join("action")).expect("the action's checkout");
        std::fs::copy(root().join("action/checksums.txt"), world.checksums())
            .expect("the action's list, as checked in");
        world
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The releases' download folder, one subfolder per version.
    fn server(&self) -> PathBuf {
        self.path("releases")
    }

    /// The fake checkout of the action (GITHUB_ACTION_PATH); it holds no source to build.
    fn action(&self) -> PathBuf {
        self.path("action-checkout")
    }

    fn checksums(&self) -> PathBuf {
        self.action().join("action/checksums.txt")
    }

    fn cache(&self) -> PathBuf {
        self.path("tool-cache")
    }

    /// The runner's temporary folder (RUNNER_TEMP), emptied after each job.
    fn runner_temp(&self) -> PathBuf {
        self.path("runner-temp")
    }

    /// The file the program from `evil` creates when it runs: the proof that it ran.
    fn marker(&self) -> PathBuf {
        self.path("evil-ran")
    }

    /// A program that says `tollgate VERSION`.
    fn good(&self, version: &str) -> String {
        format!("#!/bin/sh\necho \"tollgate {version}\"\n")
    }

    /// A program that, run, leaves the marker.
    fn evil(&self) -> String {
        format!(
            "#!/bin/sh\ntouch '{}'\necho \"tollgate (not the release)\"\n",
            self.marker().display()
        )
    }

    /// Builds the release archive of `program` for `version` and `triple` the way the release
    /// workflow packages it, into the server's folder for `version`, with a `.sha256` file
    /// beside it that matches it (as a replaced release would carry).
    fn publish(&self, version: &str, triple: &str, program: &str) -> PathBuf {
        let name = format!("tollgate-{version}-{triple}");
        let stage = self.path("stage").join(version).join(triple);
        let folder = stage.join(&name);
        std::fs::create_dir_all(&folder).expect("stage");
        let binary = folder.join("tollgate");
        std::fs::write(&binary, program).expect("the program");
        std::fs::set_permissions(&binary, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        let out = self.server().join(version);
        std::fs::create_dir_all(&out).expect("release folder");
        let archive = out.join(format!("{name}.tar.gz"));
        let status = Command::new("tar")
            .arg("-czf")
            .arg(&archive)
            .arg("-C")
            .arg(&stage)
            .arg(&name)
            .status()
            .expect("tar runs");
        assert!(status.success());
        std::fs::write(
            out.join(format!("{name}.tar.gz.sha256")),
            format!("{}  {name}.tar.gz\n", sha256(&archive)),
        )
        .expect("the checksum beside it");
        archive
    }

    /// Runs scripts/release-checksums for `version` over the server's folder, with the action's
    /// list as the earlier releases' lines.
    fn release_checksums(&self, version: &str) -> Run {
        let output = Command::new(root().join("scripts/release-checksums"))
            .arg(version)
            .arg(self.server().join(version))
            .arg(self.checksums())
            .output()
            .expect("scripts/release-checksums runs");
        Run {
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            outputs: BTreeMap::new(),
        }
    }

    /// Lists `version` (as published now) in the action's checksums.txt, as the release
    /// workflow does in the commit it tags.
    fn list(&self, version: &str) {
        let run = self.release_checksums(version);
        assert_eq!(run.code, Some(0), "{}", run.stderr);
        std::fs::write(self.checksums(), run.stdout).expect("the action's list");
    }

    /// `install.sh STEP` of `version` on a runner (`os`, `arch`), downloading from the server.
    fn install_on(
        &self,
        step: &str,
        version: &str,
        os: &str,
        arch: &str,
        extra: &[(&str, &str)],
    ) -> Run {
        let github_output = self.path("github-output");
        std::fs::write(&github_output, "").expect("GITHUB_OUTPUT");
        let github_path = self.path("github-path");
        std::fs::write(&github_path, "").expect("GITHUB_PATH");
        std::fs::create_dir_all(self.runner_temp()).expect("RUNNER_TEMP");
        let output = Command::new(root().join("action/install.sh"))
            .arg(step)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.dir.path())
            .env("TOLLGATE_VERSION", version)
            .env("TOLLGATE_REPOSITORY", "example/tollgate")
            .env("GITHUB_ACTION_PATH", self.action())
            .env(
                "TOLLGATE_DOWNLOAD_BASE",
                format!("file://{}", self.server().display()),
            )
            .env("RUNNER_OS", os)
            .env("RUNNER_ARCH", arch)
            .env("RUNNER_TOOL_CACHE", self.cache())
            .env("RUNNER_TEMP", self.runner_temp())
            .env("GITHUB_OUTPUT", &github_output)
            .env("GITHUB_PATH", &github_path)
            .envs(extra.iter().copied())
            .output()
            .expect("install.sh runs");
        let outputs = common::step_outputs(&github_output);
        Run {
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            outputs,
        }
    }

    /// `install.sh STEP` of `version` on a Linux x86_64 runner.
    fn install(&self, step: &str, version: &str) -> Run {
        self.install_on(step, version, "Linux", "X64", &[])
    }

    /// Where the install puts the binary of `version` for Linux x86_64.
    fn installed(&self, version: &str) -> PathBuf {
        self.cache()
            .join("tollgate")
            .join(format!("tollgate-{version}-{LINUX_X64}"))
            .join("bin/tollgate")
    }

    /// What the install appended to GITHUB_PATH.
    fn github_path(&self) -> String {
        std::fs::read_to_string(self.path("github-path")).expect("GITHUB_PATH")
    }

    /// The one folder the install put on GITHUB_PATH, after checking that it holds the
    /// program `tollgate` and nothing else, outside the tool cache.
    fn only_tollgate_on_path(&self) -> PathBuf {
        let added = self.github_path();
        let lines: Vec<&str> = added.lines().collect();
        assert_eq!(lines.len(), 1, "one folder on the PATH: {added}");
        let folder = PathBuf::from(lines[0]);
        assert!(
            folder.starts_with(self.runner_temp()),
            "a folder of RUNNER_TEMP, not the cache's: {}",
            folder.display()
        );
        let names: Vec<String> = std::fs::read_dir(&folder)
            .expect("the folder on the PATH")
            .map(|entry| {
                entry
                    .expect("an entry")
                    .file_name()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        assert_eq!(names, ["tollgate"], "{}", folder.display());
        folder
    }

    /// Runs an installed program and returns what it printed.
    fn run_installed(&self, binary: &Path) -> String {
        let output = Command::new(binary)
            .output()
            .expect("the installed program runs");
        String::from_utf8_lossy(&output.stdout).trim().to_string()
    }
}

#[test]
fn a_listed_release_is_installed_once_its_archive_and_binary_match_the_actions_list() {
    let world = World::new();
    let archive = world.publish("v9.8.7", LINUX_X64, &world.good("9.8.7"));
    world.list("v9.8.7");
    let list = std::fs::read_to_string(world.checksums()).expect("the list");
    assert!(
        list.contains(&format!(
            "{}  tollgate-v9.8.7-{LINUX_X64}.tar.gz\n",
            sha256(&archive)
        )),
        "{list}"
    );

    let located = world.install("locate", "v9.8.7");
    assert_eq!(located.code, Some(0), "{}", located.stderr);
    assert_eq!(located.outputs["cacheable"], "true");
    assert_eq!(
        located.outputs["cache-key"],
        format!("tollgate-v9.8.7-{LINUX_X64}")
    );
    let binary = world.installed("v9.8.7");
    assert_eq!(
        PathBuf::from(&located.outputs["dir"]).join("bin/tollgate"),
        binary
    );

    let run = world.install("install", "v9.8.7");
    assert_eq!(run.code, Some(0), "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains(
            "tollgate v9.8.7 (x86_64-unknown-linux-gnu): downloaded and installed; its archive \
             and binary match the action's checksums.txt"
        ),
        "{}",
        run.stdout
    );
    assert_eq!(world.run_installed(&binary), "tollgate 9.8.7");
    let on_path = world.only_tollgate_on_path();
    assert_eq!(
        world.run_installed(&on_path.join("tollgate")),
        "tollgate 9.8.7"
    );

    // The next run finds it where the cache restores it, checks it, and downloads nothing.
    std::fs::remove_dir_all(world.server()).expect("the release is gone");
    let again = world.install("install", "v9.8.7");
    assert_eq!(again.code, Some(0), "{}", again.stdout);
    assert!(
        again
            .stdout
            .contains("restored from the cache; it matches the action's checksums.txt"),
        "{}",
        again.stdout
    );
    assert_eq!(world.run_installed(&binary), "tollgate 9.8.7");
}

#[test]
fn a_replaced_release_archive_is_refused_though_the_checksum_beside_it_matches() {
    let world = World::new();
    world.publish("v9.8.7", LINUX_X64, &world.good("9.8.7"));
    world.list("v9.8.7");
    // Someone with write access to the releases replaces the archive, and its .sha256 too.
    let replaced = world.publish("v9.8.7", LINUX_X64, &world.evil());

    let run = world.install("install", "v9.8.7");
    assert_eq!(run.code, Some(1), "{}", run.stdout);
    assert!(
        run.stdout.contains(
            "::error title=tollgate install::tollgate-v9.8.7-x86_64-unknown-linux-gnu.tar.gz as \
             downloaded does not match the SHA-256 in the action's checksums.txt (expected "
        ),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains(&format!("got {})", sha256(&replaced))),
        "{}",
        run.stdout
    );
    assert!(!world.installed("v9.8.7").exists(), "nothing installed");
    assert_eq!(world.github_path(), "", "nothing put on the PATH");
    assert!(!world.marker().exists(), "the replaced program never ran");
}

#[test]
fn a_tampered_cached_binary_is_removed_unrun_and_the_checked_release_installed_instead() {
    let world = World::new();
    world.publish("v9.8.7", LINUX_X64, &world.good("9.8.7"));
    world.list("v9.8.7");
    assert_eq!(world.install("install", "v9.8.7").code, Some(0));
    let binary = world.installed("v9.8.7");
    let listed = sha256(&binary);

    // A cache entry under the same key holding another program (as a pull request's run can
    // save in its own scope): restored in place of the release's binary.
    std::fs::write(&binary, world.evil()).expect("tamper");
    let run = world.install("install", "v9.8.7");
    assert_eq!(run.code, Some(0), "{}", run.stdout);
    assert!(
        run.stdout.contains(
            "::warning title=tollgate install::the tollgate v9.8.7 binary restored from the \
             cache does not match the SHA-256 in the action's checksums.txt"
        ),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("downloaded and installed"),
        "{}",
        run.stdout
    );
    assert_eq!(sha256(&binary), listed, "the release's binary, again");
    assert!(!world.marker().exists(), "the tampered program never ran");

    // Tampered again while the release cannot be downloaded: refused, and not left in place.
    std::fs::write(&binary, world.evil()).expect("tamper");
    std::fs::remove_dir_all(world.server()).expect("the release is gone");
    let refused = world.install("install", "v9.8.7");
    assert_eq!(refused.code, Some(1), "{}", refused.stdout);
    assert!(
        refused.stdout.contains(
            "::error title=tollgate install::could not download \
             tollgate-v9.8.7-x86_64-unknown-linux-gnu.tar.gz"
        ),
        "{}",
        refused.stdout
    );
    assert!(!binary.exists(), "the tampered binary is removed");
    assert_eq!(world.github_path(), "");
    assert!(!world.marker().exists());
}

#[test]
fn a_release_the_actions_list_does_not_name_is_refused_and_never_cached() {
    let world = World::new();
    world.publish("v9.8.7", LINUX_X64, &world.good("9.8.7"));
    world.list("v9.8.7");
    // v9.9.9 is published, intact, but the action's checkout does not list it.
    world.publish("v9.9.9", LINUX_X64, &world.good("9.9.9"));

    let located = world.install("locate", "v9.9.9");
    assert_eq!(
        located.outputs["cacheable"], "false",
        "nothing is restored for it"
    );
    let run = world.install("install", "v9.9.9");
    assert_eq!(run.code, Some(1), "{}", run.stdout);
    assert!(
        run.stdout.contains(&format!(
            "::error title=tollgate install::tollgate v9.9.9 is not listed in the action's \
             checksums.txt ({}), so its binary cannot be checked; nothing was installed. Pin the \
             action to a release tag",
            world.checksums().display()
        )),
        "{}",
        run.stdout
    );
    assert!(!world.installed("v9.9.9").exists());
    assert_eq!(world.github_path(), "");

    // Nor does the list as checked in name any release: only a release commit's list does.
    std::fs::copy(root().join("action/checksums.txt"), world.checksums()).expect("reset");
    let unlisted = world.install("install", "v9.8.7");
    assert_eq!(unlisted.code, Some(1));
    assert!(unlisted.stdout.contains("tollgate v9.8.7 is not listed"));
}

#[test]
fn a_listed_release_without_a_binary_for_the_runner_builds_the_actions_source() {
    let world = World::new();
    world.publish("v9.8.7", LINUX_X64, &world.good("9.8.7"));
    world.list("v9.8.7");
    for (os, arch) in [("macOS", "ARM64"), ("Windows", "X64")] {
        let located = world.install_on("locate", "v9.8.7", os, arch, &[]);
        assert_eq!(located.outputs["cacheable"], "false", "{os}");
        let run = world.install_on("install", "v9.8.7", os, arch, &[]);
        assert_eq!(run.code, Some(1), "{os}: {}", run.stdout);
        assert!(
            run.stdout.contains(&format!(
                "tollgate v9.8.7: the release has no binary for {os}-{arch}\n"
            )),
            "{}",
            run.stdout
        );
        // The fake checkout holds no source; the step says what to do.
        assert!(
            run.stdout.contains(
                "::error title=tollgate install::no release binary to install and no tollgate \
                 source"
            ),
            "{}",
            run.stdout
        );
    }
}

#[test]
fn a_build_from_source_is_cached_only_for_a_commit_in_a_branch_or_tag_run() {
    let world = World::new();
    let commit = "0123456789abcdef0123456789abcdef01234567";
    let source_key = format!("tollgate-source-{commit}-Linux-X64");
    for (version, github_ref, cacheable, key) in [
        (
            "main",
            "refs/heads/main",
            "false",
            "tollgate-source-Linux-X64",
        ),
        ("", "refs/heads/main", "false", "tollgate-source-Linux-X64"),
        (
            "v1",
            "refs/heads/main",
            "false",
            "tollgate-source-Linux-X64",
        ),
        (
            "v1.2.3-fix/x",
            "refs/heads/main",
            "false",
            "tollgate-source-Linux-X64",
        ),
        (commit, "refs/heads/main", "true", source_key.as_str()),
        (commit, "refs/tags/v1.0.0", "true", source_key.as_str()),
        // A pull request's run neither restores nor saves it: its cache scope is the pull
        // request's own, which the pull request's workflows can fill with anything.
        (
            commit,
            "refs/pull/7/merge",
            "false",
            "tollgate-source-Linux-X64",
        ),
        (commit, "", "false", "tollgate-source-Linux-X64"),
    ] {
        // The action's own ref, with no version input.
        let located = world.install_on(
            "locate",
            "",
            "Linux",
            "X64",
            &[("GITHUB_REF", github_ref), ("TOLLGATE_ACTION_REF", version)],
        );
        assert_eq!(located.code, Some(0));
        assert_eq!(
            located.outputs["cacheable"], cacheable,
            "{version} {github_ref}"
        );
        assert_eq!(located.outputs["cache-key"], key, "{version} {github_ref}");
    }
}

#[test]
fn the_release_list_keeps_earlier_releases_and_refuses_what_it_cannot_vouch_for() {
    let world = World::new();
    let first = world.publish("v1.0.0", LINUX_X64, &world.good("1.0.0"));
    world.list("v1.0.0");
    let arm = world.publish("v1.1.0", "aarch64-apple-darwin", &world.good("1.1.0"));
    world.publish("v1.1.0", LINUX_X64, &world.good("1.1.0"));
    let run = world.release_checksums("v1.1.0");
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let checked_in = std::fs::read_to_string(root().join("action/checksums.txt")).expect("list");
    assert!(
        run.stdout.starts_with(&checked_in),
        "the header as checked in: {}",
        run.stdout
    );
    let entries: Vec<&str> = run
        .stdout
        .lines()
        .filter(|line| !line.starts_with('#'))
        .collect();
    let names: Vec<&str> = entries
        .iter()
        .map(|line| line.split_once("  ").expect("SHA256  NAME").1)
        .collect();
    assert_eq!(
        names,
        [
            "tollgate-v1.0.0-x86_64-unknown-linux-gnu.tar.gz",
            "tollgate-v1.0.0-x86_64-unknown-linux-gnu/tollgate",
            "tollgate-v1.1.0-aarch64-apple-darwin.tar.gz",
            "tollgate-v1.1.0-aarch64-apple-darwin/tollgate",
            "tollgate-v1.1.0-x86_64-unknown-linux-gnu.tar.gz",
            "tollgate-v1.1.0-x86_64-unknown-linux-gnu/tollgate",
        ]
    );
    assert!(entries.contains(
        &format!(
            "{}  tollgate-v1.0.0-x86_64-unknown-linux-gnu.tar.gz",
            sha256(&first)
        )
        .as_str()
    ));
    assert!(entries.contains(
        &format!(
            "{}  tollgate-v1.1.0-aarch64-apple-darwin.tar.gz",
            sha256(&arm)
        )
        .as_str()
    ));

    // A pre-release lists only itself: v1.2.0-rc.1 does not make v1.2.0 listed.
    std::fs::write(world.checksums(), &run.stdout).expect("the list with v1.1.0");
    world.publish("v1.2.0-rc.1", LINUX_X64, &world.good("1.2.0-rc.1"));
    world.list("v1.2.0-rc.1");
    world.publish("v1.2.0", LINUX_X64, &world.good("1.2.0"));
    let unlisted = world.install("install", "v1.2.0");
    assert_eq!(unlisted.code, Some(1));
    assert!(
        unlisted.stdout.contains("tollgate v1.2.0 is not listed"),
        "{}",
        unlisted.stdout
    );
    world.list("v1.2.0");
    let installed = world.install("install", "v1.2.0");
    assert_eq!(installed.code, Some(0), "{}", installed.stdout);
    assert_eq!(
        world.run_installed(&world.installed("v1.2.0")),
        "tollgate 1.2.0"
    );
    let listed = std::fs::read_to_string(world.checksums()).expect("list");
    assert_eq!(
        listed.lines().filter(|line| !line.starts_with('#')).count(),
        10,
        "v1.0.0, v1.1.0 (two targets), v1.2.0-rc.1 and v1.2.0: {listed}"
    );

    // v1.0.0 again: a release is made once.
    let again = world.release_checksums("v1.0.0");
    assert_eq!(again.code, Some(1));
    assert!(
        again
            .stderr
            .contains("v1.0.0 is already listed: a release is made once"),
        "{}",
        again.stderr
    );
    assert_eq!(again.stdout, "", "nothing written");

    // An earlier list that disagrees with itself, or holds a line that is not `SHA256  NAME`.
    world.publish("v3.0.0", LINUX_X64, &world.good("3.0.0"));
    let forged = format!(
        "{listed}{}  tollgate-v1.0.0-x86_64-unknown-linux-gnu.tar.gz\n",
        "0".repeat(64)
    );
    std::fs::write(world.checksums(), forged).expect("forge");
    let twice = world.release_checksums("v3.0.0");
    assert_eq!(twice.code, Some(1));
    assert!(
        twice.stderr.contains(
            "tollgate-v1.0.0-x86_64-unknown-linux-gnu.tar.gz is listed with two checksums"
        ),
        "{}",
        twice.stderr
    );
    std::fs::write(
        world.checksums(),
        format!("{listed}abc tollgate-v0.9.0.tar.gz\n"),
    )
    .expect("forge");
    let malformed = world.release_checksums("v3.0.0");
    assert_eq!(malformed.code, Some(1));
    assert!(
        malformed.stderr.contains(&format!(
            "{}:14: not a `SHA256  NAME` line: abc tollgate-v0.9.0.tar.gz",
            world.checksums().display()
        )),
        "{}",
        malformed.stderr
    );

    // An archive without the binary where the release puts it.
    let odd = world.server().join("v2.0.0");
    std::fs::create_dir_all(&odd).expect("folder");
    let status = Command::new("tar")
        .arg("-czf")
        .arg(odd.join(format!("tollgate-v2.0.0-{LINUX_X64}.tar.gz")))
        .arg("-C")
        .arg(world.path("stage"))
        .arg("v1.0.0")
        .status()
        .expect("tar");
    assert!(status.success());
    std::fs::write(world.checksums(), &listed).expect("restore");
    let empty = world.release_checksums("v2.0.0");
    assert_eq!(empty.code, Some(1));
    assert!(
        empty
            .stderr
            .contains("tollgate-v2.0.0-x86_64-unknown-linux-gnu.tar.gz holds no tollgate-v2.0.0-x86_64-unknown-linux-gnu/tollgate"),
        "{}",
        empty.stderr
    );

    // A pre-release's archive among a release's.
    let mixed = world.server().join("v5.0.0");
    std::fs::create_dir_all(&mixed).expect("folder");
    std::fs::copy(
        &first,
        mixed.join(format!("tollgate-v5.0.0-rc.1-{LINUX_X64}.tar.gz")),
    )
    .expect("copy");
    let stray = world.release_checksums("v5.0.0");
    assert_eq!(stray.code, Some(1));
    assert!(
        stray.stderr.contains(
            "tollgate-v5.0.0-rc.1-x86_64-unknown-linux-gnu.tar.gz is not an archive of v5.0.0 \
             for a target such as x86_64-unknown-linux-gnu"
        ),
        "{}",
        stray.stderr
    );
}

#[test]
fn only_the_checked_binary_goes_on_the_path_not_the_rest_of_the_restored_cache() {
    let world = World::new();
    world.publish("v9.8.7", LINUX_X64, &world.good("9.8.7"));
    world.list("v9.8.7");
    assert_eq!(world.install("install", "v9.8.7").code, Some(0));
    let binary = world.installed("v9.8.7");
    // A cache entry under the same key that holds the release's binary, as listed, and a
    // program named like a tool the later steps call through the PATH.
    let bin = binary.parent().expect("bin");
    let awk = bin.join("awk");
    std::fs::write(&awk, world.evil()).expect("a fake awk");
    std::fs::set_permissions(&awk, std::fs::Permissions::from_mode(0o755)).expect("chmod");

    let run = world.install("install", "v9.8.7");
    assert_eq!(run.code, Some(0), "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout
            .contains("restored from the cache; it matches the action's checksums.txt"),
        "{}",
        run.stdout
    );
    let on_path = world.only_tollgate_on_path();
    assert_eq!(
        world.run_installed(&on_path.join("tollgate")),
        "tollgate 9.8.7"
    );
    // What a later step's PATH lookup of `awk` finds: not the fake one.
    let output = Command::new("sh")
        .arg("-c")
        .arg("command -v awk")
        .env(
            "PATH",
            format!(
                "{}:{}",
                on_path.display(),
                std::env::var("PATH").unwrap_or_default()
            ),
        )
        .output()
        .expect("sh runs");
    let found = String::from_utf8_lossy(&output.stdout).trim().to_string();
    assert_ne!(
        PathBuf::from(&found),
        awk,
        "the fake awk is not on the PATH"
    );
    assert!(!world.marker().exists(), "the fake awk never ran");

    // The same for the cached build of a commit, restored in a branch's run.
    let commit = "0123456789abcdef0123456789abcdef01234567";
    let extra = [
        ("GITHUB_REF", "refs/heads/main"),
        ("TOLLGATE_ACTION_REF", commit),
    ];
    let located = world.install_on("locate", "", "Linux", "X64", &extra);
    assert_eq!(located.outputs["cacheable"], "true");
    let built = PathBuf::from(&located.outputs["dir"]).join("bin");
    std::fs::create_dir_all(&built).expect("the restored build");
    std::fs::copy(&binary, built.join("tollgate")).expect("a build");
    std::fs::copy(&awk, built.join("awk")).expect("a fake awk");
    let source = world.install_on("install", "", "Linux", "X64", &extra);
    assert_eq!(source.code, Some(0), "{}{}", source.stdout, source.stderr);
    assert!(
        source
            .stdout
            .contains("the build of this commit, restored from the cache of this branch"),
        "{}",
        source.stdout
    );
    let on_path = world.only_tollgate_on_path();
    assert_eq!(
        world.run_installed(&on_path.join("tollgate")),
        "tollgate 9.8.7"
    );
    assert!(!world.marker().exists());
}

#[test]
fn a_version_input_that_is_neither_a_release_nor_the_actions_ref_is_refused() {
    let world = World::new();
    world.publish("v9.8.7", LINUX_X64, &world.good("9.8.7"));
    world.list("v9.8.7");
    for (input, action_ref) in [
        ("1.2.3", "v9.8.7"),
        ("v1.2", "v9.8.7"),
        ("9.8.7", "main"),
        ("main", "v9.8.7"),
        ("v9.8.7 ", ""),
    ] {
        for step in ["locate", "install"] {
            let run = world.install_on(
                step,
                input,
                "Linux",
                "X64",
                &[("TOLLGATE_ACTION_REF", action_ref)],
            );
            assert_eq!(run.code, Some(1), "{input} {step}: {}", run.stdout);
            assert!(
                run.stdout.contains(&format!(
                    "::error title=tollgate install::the version input '{input}' is not a \
                     release: set it to the form vX.Y.Z (such as v0.2.0, or a pre-release such \
                     as v0.2.0-rc.1), or leave it empty (or set it to the action's own ref, "
                )),
                "{input} {step}: {}",
                run.stdout
            );
            assert!(
                !run.stdout.contains("building the action's source"),
                "{}",
                run.stdout
            );
            assert!(run.outputs.is_empty(), "{input}: {:?}", run.outputs);
            assert_eq!(world.github_path(), "", "{input}: nothing on the PATH");
        }
    }

    // A release, a pre-release, and the action's own ref (here a branch) are accepted.
    let release = world.install_on(
        "install",
        "v9.8.7",
        "Linux",
        "X64",
        &[("TOLLGATE_ACTION_REF", "main")],
    );
    assert_eq!(release.code, Some(0), "{}", release.stdout);
    world.only_tollgate_on_path();
    for (input, action_ref) in [("main", "main"), ("", "main"), ("v1.0.0-rc.1", "")] {
        let located = world.install_on(
            "locate",
            input,
            "Linux",
            "X64",
            &[("TOLLGATE_ACTION_REF", action_ref)],
        );
        assert_eq!(located.code, Some(0), "{input}: {}", located.stdout);
        assert_eq!(located.outputs["cacheable"], "false", "{input}");
    }
}
