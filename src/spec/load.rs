//! Files and folders: which files are read, and in what order.

use super::decode::{decode, locate, Decoded};
use super::error::SpecError;
use super::events::Pos;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// What reading the paths gave: the files in order and the errors of paths that are no file.
#[derive(Debug, Default)]
pub struct Sources {
    /// The files, in the order they are merged.
    pub files: Vec<Decoded>,
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

/// Reads and decodes one file.
pub fn read_file(path: &Path) -> Decoded {
    let display = path.display().to_string();
    let size = std::fs::metadata(path).map_or(0, |metadata| metadata.len());
    if size > MAX_FILE_BYTES {
        Decoded {
            plans: Vec::new(),
            errors: vec![SpecError {
                location: Some(locate(&display, Pos { line: 1, column: 1 })),
                message: format!(
                    "the file is {} MiB and tollgate reads at most {} MiB a file; split the \
                     plans into several files in a folder",
                    size / (1024 * 1024),
                    MAX_FILE_BYTES / (1024 * 1024)
                ),
            }],
        }
    } else {
        match std::fs::read_to_string(path) {
            Ok(text) => decode(&display, &text),
            Err(error) => Decoded {
                plans: Vec::new(),
                errors: vec![placeless(format!("cannot read {display}: {error}"))],
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
