//! The project file, `tollgate.yaml`: the project's name and its targets (an account and
//! region each, with the YAML that declares their plans). Found from the working directory
//! upward, or given with `--config`; without one, tollgate has a single target from the
//! standard AWS chain.

use std::path::{Component, Path, PathBuf};

use crate::endpoint::EndpointSetting;
use crate::spec::{self, SpecError, SpecErrors};

/// The project file's name.
pub const FILE_NAME: &str = "tollgate.yaml";

/// A project: its name and targets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Project {
    /// The project's name, written on what tollgate manages.
    pub name: String,
    /// The project file, as found or given.
    pub file: PathBuf,
    /// The targets, in file order.
    pub targets: Vec<Target>,
}

/// One account and region, and the YAML that declares its plans.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Target {
    /// The target's name, unique in the project.
    pub name: String,
    /// The region; never taken from the environment.
    pub region: String,
    /// The account the credentials must belong to, when given.
    pub account_id: Option<String>,
    /// The named AWS profile, when given; else the standard chain.
    pub profile: Option<String>,
    /// The endpoint, when given (an emulator, a rehearsal), and the line it is on.
    pub endpoint: Option<EndpointSetting>,
    /// The YAML files and folders, relative to the working directory once loaded.
    pub paths: Vec<PathBuf>,
}

/// The project file in `from` or the nearest folder above it, as a path relative to `from`'s
/// form (`tollgate.yaml`, `../tollgate.yaml`); `None` when there is none.
pub fn find(from: &Path) -> Option<PathBuf> {
    let mut relative = PathBuf::new();
    for folder in from.ancestors() {
        if folder.join(FILE_NAME).is_file() {
            return Some(relative.join(FILE_NAME));
        }
        relative.push("..");
    }
    None
}

/// Reads and checks the project file at `file`; target paths are made relative to the
/// working directory (they are written relative to the file's folder).
pub fn load(file: &Path) -> Result<Project, SpecErrors> {
    let display = file.display().to_string();
    let text = std::fs::read_to_string(file).map_err(|error| {
        SpecErrors(vec![SpecError {
            location: None,
            message: format!("cannot read the project file {display}: {error}"),
        }])
    })?;
    let mut project = spec::decode_project(&display, &text).map_err(SpecErrors)?;
    let folder = file.parent().unwrap_or(Path::new(""));
    for target in &mut project.targets {
        for path in &mut target.paths {
            *path = folder.join(&*path);
        }
    }
    Ok(project)
}

impl Project {
    /// The targets `names` selects, in file order; every target when `names` is empty. An
    /// unknown name is an error listing the project's targets.
    pub fn select(&self, names: &[String]) -> Result<Vec<&Target>, String> {
        let unknown: Vec<&str> = names
            .iter()
            .filter(|name| !self.targets.iter().any(|target| &target.name == *name))
            .map(String::as_str)
            .collect();
        if !unknown.is_empty() {
            let known: Vec<&str> = self.targets.iter().map(|t| t.name.as_str()).collect();
            return Err(format!(
                "--target {}: no such target in {}; its targets are {}",
                unknown.join(", "),
                self.file.display(),
                known.join(", ")
            ));
        }
        Ok(self
            .targets
            .iter()
            .filter(|target| names.is_empty() || names.contains(&target.name))
            .collect())
    }
}

/// The part of a target's paths that the paths given on the command line cover: each given
/// path inside one of the target's, and each of the target's inside a given one. Paths are
/// compared by their components, `.` and `..` resolved as written.
pub fn narrow(own: &[PathBuf], given: &[PathBuf]) -> Vec<PathBuf> {
    let mut narrowed = Vec::new();
    for wanted in given {
        for path in own {
            let (wanted_n, path_n) = (normal(wanted), normal(path));
            let kept = if wanted_n.starts_with(&path_n) {
                wanted
            } else if path_n.starts_with(&wanted_n) {
                path
            } else {
                continue;
            };
            if !narrowed.contains(kept) {
                narrowed.push(kept.clone());
            }
        }
    }
    narrowed
}

/// `path` made absolute from the working directory, `.` and `..` resolved as written.
fn normal(path: &Path) -> PathBuf {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut normal = PathBuf::new();
    for component in absolute.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                normal.pop();
            }
            other => normal.push(other),
        }
    }
    normal
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_is_found_here_or_in_a_folder_above() {
        let root = tempfile::tempdir().unwrap();
        let deep = root.path().join("plans/prod");
        std::fs::create_dir_all(&deep).unwrap();
        assert_eq!(find(&deep), None);
        std::fs::write(root.path().join(FILE_NAME), "").unwrap();
        assert_eq!(find(&deep), Some(PathBuf::from("../../tollgate.yaml")));
        assert_eq!(find(root.path()), Some(PathBuf::from("tollgate.yaml")));
    }

    #[test]
    fn loading_makes_paths_relative_to_the_working_directory() {
        let root = tempfile::tempdir().unwrap();
        let file = root.path().join(FILE_NAME);
        std::fs::write(
            &file,
            "project: p\ntargets:\n  - {name: a, region: us-east-1, paths: [plans, /abs]}\n",
        )
        .unwrap();
        let project = load(&file).unwrap();
        assert_eq!(
            project.targets[0].paths,
            [root.path().join("plans"), PathBuf::from("/abs")]
        );
        let missing = load(&root.path().join("nothing.yaml")).unwrap_err();
        assert!(missing
            .to_string()
            .starts_with("error: cannot read the project file"));
    }

    #[test]
    fn targets_are_selected_by_name_in_file_order() {
        let target = |name: &str| Target {
            name: name.into(),
            ..Target::default()
        };
        let project = Project {
            name: "p".into(),
            file: FILE_NAME.into(),
            targets: vec![target("a"), target("b"), target("c")],
        };
        let names = |selected: Vec<&Target>| -> Vec<String> {
            selected.iter().map(|t| t.name.clone()).collect()
        };
        assert_eq!(names(project.select(&[]).unwrap()), ["a", "b", "c"]);
        assert_eq!(
            names(project.select(&["c".into(), "a".into()]).unwrap()),
            ["a", "c"]
        );
        assert_eq!(
            project.select(&["x".into(), "a".into()]).unwrap_err(),
            "--target x: no such target in tollgate.yaml; its targets are a, b, c"
        );
    }

    #[test]
    fn given_paths_narrow_a_targets_paths_to_what_they_share() {
        let paths = |list: &[&str]| -> Vec<PathBuf> { list.iter().map(PathBuf::from).collect() };
        let own = paths(&["plans/common", "plans/prod"]);
        assert_eq!(narrow(&own, &paths(&["plans"])), own);
        assert_eq!(
            narrow(&own, &paths(&["plans/prod/gold.yaml"])),
            paths(&["plans/prod/gold.yaml"])
        );
        assert_eq!(
            narrow(&own, &paths(&["./plans/x/../common"])),
            paths(&["./plans/x/../common"])
        );
        assert!(narrow(&own, &paths(&["plans/dev"])).is_empty());
    }
}
