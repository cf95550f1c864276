//! Files and folders: which files are read, in what order, and each file's plans decoded
//! one by one, each as far as it goes, so that no error hides another.

use super::decode::{decode, decode_all, DecodeError};
use super::error::SpecError;
use super::node::{self, Kind, Node, Pos};
use super::yaml::{Document, UsagePlan};
use crate::model::SourceLocation;
use serde::de::IgnoredAny;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// One file's plans, each with the node it was read from.
#[derive(Debug)]
pub struct SourceFile {
    /// The path as the user gave it (joined below a folder).
    pub path: String,
    /// The plans that decoded, whole or in part.
    pub plans: Vec<SourcePlan>,
    /// Every error found in the file so far.
    pub errors: Vec<SpecError>,
}

/// One plan as decoded, and where its parts are.
#[derive(Debug)]
pub struct SourcePlan {
    /// The plan; a part that did not decode is empty or absent.
    pub plan: UsagePlan,
    /// The plan's node, where a part that did not decode is left out (removed, or its value
    /// [`Kind::Void`]): where the plan's parts are.
    pub node: Node,
}

/// What reading the paths gave: the files in order and the errors of paths that are no file.
#[derive(Debug, Default)]
pub struct Sources {
    /// The files, in the order they are merged.
    pub files: Vec<SourceFile>,
    /// Errors with no place in a file (a path that does not exist, an unreadable folder).
    pub errors: Vec<SpecError>,
}

/// Reads every path: a file as it is, a folder as every `*.yaml`/`*.yml` below it in sorted
/// order. A file reached twice is read once.
pub fn read(paths: &[PathBuf]) -> Sources {
    let mut sources = Sources::default();
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            collect_folder(path, &mut files, &mut sources.errors);
        } else if path.exists() {
            files.push(path.clone());
        } else {
            sources.errors.push(placeless(format!(
                "{} does not exist; give a YAML file or a folder of them",
                path.display()
            )));
        }
    }
    let mut seen = BTreeSet::new();
    for file in files {
        let identity = file.canonicalize().unwrap_or_else(|_| file.clone());
        if seen.insert(identity) {
            sources.files.push(read_file(&file));
        }
    }
    sources
}

fn placeless(message: String) -> SpecError {
    SpecError {
        location: None,
        message,
    }
}

/// Adds every `*.yaml`/`*.yml` file below `folder`, depth first in file-name order, following
/// symbolic links but not a link that loops back to a folder above it (an error says which).
fn collect_folder(folder: &Path, files: &mut Vec<PathBuf>, errors: &mut Vec<SpecError>) {
    let walk = walkdir::WalkDir::new(folder)
        .follow_links(true)
        .sort_by_file_name();
    for entry in walk {
        match entry {
            Ok(entry) => {
                let path = entry.path();
                let yaml = path
                    .extension()
                    .is_some_and(|extension| extension == "yaml" || extension == "yml");
                if yaml && !entry.file_type().is_dir() {
                    files.push(path.to_path_buf());
                }
            }
            Err(error) => errors.push(placeless(match error.loop_ancestor() {
                Some(ancestor) => format!(
                    "{} is a symbolic link back to {}, which holds it: a loop, not followed; \
                     remove the link",
                    error.path().unwrap_or(folder).display(),
                    ancestor.display()
                ),
                None => format!(
                    "cannot read {}: {}",
                    error.path().unwrap_or(folder).display(),
                    error
                        .io_error()
                        .map_or_else(|| error.to_string(), ToString::to_string)
                ),
            })),
        }
    }
}

/// The largest file tollgate reads: many times an export of 10,000 plans, and a bound on the
/// memory a hostile file can take.
pub const MAX_FILE_BYTES: u64 = 32 * 1024 * 1024;

/// Reads, parses and decodes one file.
pub fn read_file(path: &Path) -> SourceFile {
    let display = path.display().to_string();
    let size = std::fs::metadata(path).map_or(0, |metadata| metadata.len());
    if size > MAX_FILE_BYTES {
        return SourceFile {
            errors: vec![SpecError {
                location: Some(SourceLocation {
                    path: display.clone(),
                    line: 1,
                    column: 1,
                }),
                message: format!(
                    "the file is {} MiB and tollgate reads at most {} MiB a file; split the \
                     plans into several files in a folder",
                    size / (1024 * 1024),
                    MAX_FILE_BYTES / (1024 * 1024)
                ),
            }],
            path: display,
            plans: Vec::new(),
        };
    }
    match std::fs::read_to_string(path) {
        Ok(text) => decode_file(display, &text),
        Err(error) => SourceFile {
            errors: vec![placeless(format!("cannot read {display}: {error}"))],
            path: display,
            plans: Vec::new(),
        },
    }
}

/// Parses and decodes one file's text; `path` names it in errors.
pub fn decode_file(path: String, text: &str) -> SourceFile {
    let parsed = node::parse(text);
    let mut file = SourceFile {
        errors: Vec::new(),
        plans: Vec::new(),
        path,
    };
    for problem in parsed.problems {
        let location = problem.pos.map(|pos| locate(&file.path, pos));
        file.errors.push(SpecError {
            location,
            message: problem.message,
        });
    }
    if let Some(root) = parsed.root {
        let mut top_errors = Vec::new();
        for item in plan_nodes(&root, &mut top_errors) {
            let partial = decode_all::<UsagePlan>(item);
            for error in partial.errors {
                file.errors.push(located(&file.path, item, error));
            }
            if let Some(plan) = partial.value {
                file.plans.push(SourcePlan {
                    plan,
                    node: partial.node,
                });
            }
        }
        for error in top_errors {
            file.errors.push(located(&file.path, &root, error));
        }
    }
    file
}

/// The items of `usagePlans`, checking the file's top level by hand (every error pushed to
/// `errors`) so that each plan can be decoded on its own.
fn plan_nodes<'a>(root: &'a Node, errors: &mut Vec<DecodeError>) -> Vec<&'a Node> {
    let entries = match &root.kind {
        Kind::Null => return Vec::new(),
        Kind::Map(entries) => entries,
        _ => {
            errors.extend(decode::<Document>(root).err());
            return Vec::new();
        }
    };
    let mut items = Vec::new();
    for (key, value) in entries {
        if key.as_text() != Some("usagePlans") {
            errors.push(DecodeError::unknown_key(key, Document::FIELDS, "file"));
            continue;
        }
        match &value.kind {
            Kind::Null => {}
            Kind::Seq(plans) => items.extend(plans),
            _ => errors.extend(decode::<Vec<IgnoredAny>>(value).err()),
        }
    }
    items
}

fn located(path: &str, node: &Node, error: DecodeError) -> SpecError {
    SpecError {
        location: Some(locate(path, error.pos.unwrap_or(node.pos))),
        message: error.message().to_owned(),
    }
}

/// A position in the file at `path`.
pub fn locate(path: &str, pos: Pos) -> SourceLocation {
    SourceLocation {
        path: path.to_owned(),
        line: pos.line,
        column: pos.column,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(file: &SourceFile) -> Vec<String> {
        file.errors.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn each_plan_is_decoded_on_its_own() {
        let file = decode_file(
            "p.yaml".into(),
            "usagePlans:\n  - name: A\n    colour: red\n  - name: B\n  - nme: C\n",
        );
        let names: Vec<&str> = file.plans.iter().map(|p| p.plan.name.as_str()).collect();
        assert_eq!(names, vec!["A", "B"]);
        assert_eq!(
            lines(&file),
            vec![
                "p.yaml:3:5: unknown field `colour` in usage plan; expected one of `name`, `id`, `description`, `productCode`, `throttle`, `quota`, `apiStages`, `tags`, `keys`",
                "p.yaml:5:5: unknown field `nme` in usage plan; expected one of `name`, `id`, `description`, `productCode`, `throttle`, `quota`, `apiStages`, `tags`, `keys`",
            ]
        );
    }

    #[test]
    fn an_empty_file_and_an_empty_list_declare_nothing() {
        for text in ["", "usagePlans:\n", "usagePlans: []\n"] {
            let file = decode_file("p.yaml".into(), text);
            assert!(file.plans.is_empty() && file.errors.is_empty(), "{text:?}");
        }
    }

    #[test]
    fn the_top_level_must_be_usage_plans() {
        let file = decode_file(
            "p.yaml".into(),
            "plans: []\nusagePlans: [{name: A}]\nkeys: []\n",
        );
        assert_eq!(
            lines(&file),
            vec![
                "p.yaml:1:1: unknown field `plans` in file; expected one of `usagePlans`",
                "p.yaml:3:1: unknown field `keys` in file; expected one of `usagePlans`",
            ]
        );
        assert_eq!(file.plans.len(), 1);
        let file = decode_file("p.yaml".into(), "usagePlans: Gold\n");
        assert_eq!(
            lines(&file),
            vec!["p.yaml:1:13: expected a list, found the string \"Gold\""]
        );
        let file = decode_file("p.yaml".into(), "- name: Gold\n");
        assert_eq!(
            lines(&file),
            vec!["p.yaml:1:1: expected a mapping, found a list"]
        );
    }

    #[test]
    fn a_missing_path_is_an_error_naming_it() {
        let sources = read(&[PathBuf::from("no/such/plans")]);
        assert_eq!(
            sources
                .errors
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>(),
            vec!["error: no/such/plans does not exist; give a YAML file or a folder of them"]
        );
    }
}
