//! Desired state: the YAML types, loading files and folders, and located errors.
