//! Files and folders: which files are read, and in what order.

use super::decode::{decode, locate, Decoded};
use super::error::SpecError;
use super::events::Pos;
use std::collections::BTreeSet;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

/// What reading the paths gave: the files in order and the errors of paths that are no file.
#[derive(Debug, Default)]
pub struct Sources {
    /// The files, in the order they are merged.
    pub files: Vec<Decoded>,
    /// Errors with no place in a file (a path that does not exist, an unreadable folder).
    pub errors: Vec<SpecError>,
}

/// Reads every path: a file as it is, a folder as every `*.yaml`/`*.yml` (any letter case)
/// below it in sorted order. A file reached twice is read once.
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
    for path in files {
        let display = path.display().to_string();
        let opened = File::open(&path).and_then(|file| Ok((file.metadata()?, file)));
        match opened {
            Ok((metadata, file)) => {
                if seen.insert(file_id(&path, &metadata)) {
                    sources.files.push(read_file(display, file, metadata.len()));
                }
            }
            Err(error) => sources.files.push(unreadable(display, &error)),
        }
    }
    sources
}

/// What makes two paths one file: its device and inode.
#[cfg(unix)]
type FileId = (u64, u64);

#[cfg(unix)]
fn file_id(_: &Path, metadata: &std::fs::Metadata) -> FileId {
    use std::os::unix::fs::MetadataExt;
    (metadata.dev(), metadata.ino())
}

/// What makes two paths one file: its canonical path.
#[cfg(not(unix))]
type FileId = PathBuf;

#[cfg(not(unix))]
fn file_id(path: &Path, _: &std::fs::Metadata) -> FileId {
    path.canonicalize().unwrap_or_else(|_| path.to_path_buf())
}

fn placeless(message: String) -> SpecError {
    SpecError {
        location: None,
        message,
    }
}

/// Whether a file's name ends in `.yaml` or `.yml`, in any letter case (`.YAML`, `.Yml`).
pub fn is_yaml_name(path: &Path) -> bool {
    path.extension()
        .and_then(|extension| extension.to_str())
        .is_some_and(|extension| {
            extension.eq_ignore_ascii_case("yaml") || extension.eq_ignore_ascii_case("yml")
        })
}

/// Adds every `*.yaml`/`*.yml` file (in any letter case) below `folder`, depth first in file-name order, following
/// symbolic links but not a link that loops back to a folder above it (an error says which).
fn collect_folder(folder: &Path, files: &mut Vec<PathBuf>, errors: &mut Vec<SpecError>) {
    let mut found = Vec::new();
    for entry in walkdir::WalkDir::new(folder).follow_links(true) {
        match entry {
            Ok(entry) => {
                let path = entry.path();
                if is_yaml_name(path) && !entry.file_type().is_dir() {
                    found.push(entry.into_path());
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
    // Depth first in file-name order is the order of the paths' components; with the
    // separator as the smallest byte, that is the order of their bytes.
    found.sort_by_cached_key(|path| {
        let bytes = path.as_os_str().as_encoded_bytes();
        let key: Vec<u8> = bytes
            .iter()
            .map(|&byte| {
                if std::path::is_separator(char::from(byte)) {
                    0
                } else {
                    byte
                }
            })
            .collect();
        key
    });
    files.append(&mut found);
}

/// The largest file tollgate reads: many times an export of 10,000 plans, and a bound on the
/// memory a hostile file can take.
pub const MAX_FILE_BYTES: u64 = 32 * 1024 * 1024;

/// Reads and decodes one open file of `size` bytes; `path` names it in errors.
fn read_file(path: String, file: File, size: u64) -> Decoded {
    let too_large = |size: u64| Decoded {
        errors: vec![SpecError {
            location: Some(locate(&path, Pos { line: 1, column: 1 })),
            message: format!(
                "the file is {} MiB and tollgate reads at most {} MiB a file; split the plans \
                 into several files in a folder",
                size / (1024 * 1024),
                MAX_FILE_BYTES / (1024 * 1024)
            ),
        }],
        ..Decoded::default()
    };
    if size > MAX_FILE_BYTES {
        return too_large(size);
    }
    let mut text = String::with_capacity(usize::try_from(size).unwrap_or(0));
    // The size the file had when it was opened, and no more, so that a file growing
    // meanwhile is held to the bound and the end needs no read of its own.
    match file.take(size).read_to_string(&mut text) {
        Ok(_) => decode(&path, &text),
        Err(error) => unreadable(path, &error),
    }
}

fn unreadable(path: String, error: &std::io::Error) -> Decoded {
    Decoded {
        errors: vec![placeless(format!("cannot read {path}: {error}"))],
        ..Decoded::default()
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

    #[test]
    fn a_folder_is_read_depth_first_in_file_name_order() {
        let dir = tempfile::tempdir().expect("a scratch folder");
        for file in [
            "a.yaml",
            "a-b/y.yaml",
            "a/x.yaml",
            "a/c/z.yml",
            "b.yaml",
            "C.YAML",
            "d.Yml",
            "notes.txt",
            "yaml",
        ] {
            let path = dir.path().join(file);
            std::fs::create_dir_all(path.parent().expect("a parent")).expect("folders");
            std::fs::write(&path, "").expect("a file");
        }
        let mut files = Vec::new();
        let mut errors = Vec::new();
        collect_folder(dir.path(), &mut files, &mut errors);
        let found: Vec<String> = files
            .iter()
            .filter_map(|file| file.strip_prefix(dir.path()).ok())
            .map(|file| file.display().to_string())
            .collect();
        assert_eq!(
            found,
            [
                "C.YAML",
                "a/c/z.yml",
                "a/x.yaml",
                "a-b/y.yaml",
                "a.yaml",
                "b.yaml",
                "d.Yml"
            ]
        );
        assert!(errors.is_empty());
    }
}
