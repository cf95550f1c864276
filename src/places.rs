//! Where a command runs: each selected target of the project file, or, without one, the one
//! account and region that the flags and the standard AWS chain give. Connecting checks
//! every target's account (STS GetCallerIdentity) before anything is sent to API Gateway, and
//! gives the targets of one account one pacer.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{bail, Result};
use futures_util::future::join_all;

use tollgate::live::{Connection, LiveClient, Pace, Pacer, Stop};
use tollgate::plan::PlanTarget;
use tollgate::project::{self, Project, Target};
use tollgate::render::count_of;
use tollgate::spec::SpecErrors;

/// The folder read when no path is given and there is no project file.
const DEFAULT_PATHS: &str = "plans";

/// One place a command runs.
#[derive(Debug, Clone)]
pub struct Place {
    /// The project target; `None` without a project file.
    pub target: Option<Target>,
    /// Where and as whom to connect.
    pub connection: Connection,
    /// The YAML files and folders declaring its plans.
    pub paths: Vec<PathBuf>,
    /// Whether `paths` are all the target's (no given path narrowed them): what `--prune`
    /// needs, since a plan outside the paths read would look orphaned.
    pub complete: bool,
}

impl Place {
    /// `target prod-us: ` before a message about this place; empty without a project file.
    pub fn prefix(&self) -> String {
        self.target
            .as_ref()
            .map(|target| format!("target {}: ", target.name))
            .unwrap_or_default()
    }
}

/// The places a command runs at, and the project file they come from.
#[derive(Debug, Clone)]
pub struct Places {
    /// The project, when there is a project file.
    pub project: Option<Project>,
    /// The selected places, in the project file's order.
    pub places: Vec<Place>,
}

/// What the command line says about where to run.
#[derive(Debug, Clone, Default)]
pub struct Selection<'a> {
    /// `--config`.
    pub config: Option<&'a Path>,
    /// `--target`, each time given.
    pub targets: &'a [String],
    /// `--region`, `--profile`, `--endpoint-url`.
    pub connection: Connection,
    /// The paths given; empty for the default.
    pub paths: &'a [PathBuf],
}

/// The places `selection` gives; `None` after errors in the project file, reported.
pub fn places(selection: &Selection<'_>) -> Result<Option<Places>> {
    let file = match selection.config {
        Some(file) => Some(file.to_path_buf()),
        None => project::find(&std::env::current_dir()?),
    };
    let Some(file) = file else {
        if !selection.targets.is_empty() {
            bail!(
                "--target needs a project file, and there is no {} here or in a folder above; \
                 write one (see the README's \"Project file\"), or pass --config FILE",
                project::FILE_NAME
            );
        }
        let paths = match selection.paths {
            [] => vec![PathBuf::from(DEFAULT_PATHS)],
            given => given.to_vec(),
        };
        return Ok(Some(Places {
            project: None,
            places: vec![Place {
                target: None,
                connection: selection.connection.clone(),
                paths,
                complete: true,
            }],
        }));
    };
    let project = match project::load(&file) {
        Ok(project) => project,
        Err(errors) => {
            report(&errors, "in the project file");
            return Ok(None);
        }
    };
    if selection.connection.region.is_some() {
        bail!(
            "--region cannot be used with a project file: {} gives each target's region; \
             choose targets with --target",
            file.display()
        );
    }
    let selected = project
        .select(selection.targets)
        .map_err(anyhow::Error::msg)?;
    let mut places = Vec::new();
    for target in selected {
        let paths = match selection.paths {
            [] => target.paths.clone(),
            given => project::narrow(&target.paths, given),
        };
        if paths.is_empty() {
            eprintln!(
                "Target {}: none of the given paths is among its paths; skipped.",
                target.name
            );
            continue;
        }
        places.push(Place {
            connection: Connection {
                region: Some(target.region.clone()),
                profile: target
                    .profile
                    .clone()
                    .or_else(|| selection.connection.profile.clone()),
                endpoint: target
                    .endpoint
                    .clone()
                    .or_else(|| selection.connection.endpoint.clone()),
            },
            complete: paths == target.paths,
            target: Some(target.clone()),
            paths,
        });
    }
    if places.is_empty() {
        let given: Vec<String> = selection
            .paths
            .iter()
            .map(|path| path.display().to_string())
            .collect();
        bail!(
            "{} is among no selected target's paths in {}; give paths that a target lists",
            given.join(", "),
            file.display()
        );
    }
    Ok(Some(Places {
        project: Some(project),
        places,
    }))
}

/// Prints located errors, one a line, and a closing line saying nothing was sent.
pub fn report(errors: &SpecErrors, what: &str) {
    eprintln!("{errors}");
    eprintln!(
        "error: {} {what}; nothing was sent to AWS",
        count_of(errors.0.len(), "error", "errors")
    );
}

/// A place connected: its client, its account and, with a project file, the target as plans
/// name it.
pub struct Connected {
    /// The client, pacing with the other targets of its account.
    pub client: LiveClient,
    /// The account the credentials belong to, as STS told it.
    pub account: String,
    /// The target; `None` without a project file.
    pub target: Option<PlanTarget>,
}

/// Connects to every place (refusing, with nothing sent, an endpoint the endpoint rule does
/// not allow), then asks STS who the credentials of every place are before anything else;
/// refuses (sending nothing to API Gateway) when a target's `accountId` is another account or
/// two targets reach one account and region, and gives the places of one account one pacer
/// and every place one stop flag.
pub async fn connect(places: &Places, pace: Pace) -> Result<Vec<Connected>> {
    let stop = Stop::default();
    let mut clients = Vec::new();
    for place in &places.places {
        let client = LiveClient::connect(&place.connection, pace)
            .await
            .map_err(|error| anyhow::anyhow!("{}{error}", place.prefix()))?;
        clients.push(client);
    }
    let accounts = join_all(clients.iter().map(LiveClient::account_id)).await;
    let mut problems = Vec::new();
    let mut reached: BTreeMap<(String, String), &str> = BTreeMap::new();
    let mut pacers: BTreeMap<String, Arc<Pacer>> = BTreeMap::new();
    let mut connected = Vec::new();
    for ((place, client), account) in places.places.iter().zip(clients).zip(accounts) {
        let account = match account {
            Ok(account) => account,
            Err(error) => {
                problems.push(format!("{}{error}", place.prefix()));
                continue;
            }
        };
        if let Some(target) = &place.target {
            if let Some(expected) = target.account_id.as_deref().filter(|id| *id != account) {
                problems.push(format!(
                    "target {}: the credentials belong to account {account}, and the target is \
                     account {expected}; use the target's profile or credentials",
                    target.name
                ));
                continue;
            }
            let place_key = (account.clone(), target.region.clone());
            let first = *reached.entry(place_key).or_insert(&target.name);
            if first != target.name {
                problems.push(format!(
                    "targets {first} and {} both reach account {account} in {}; one target per \
                     account and region, so merge their paths",
                    target.name, target.region
                ));
                continue;
            }
        }
        let pacer = pacers
            .entry(account.clone())
            .or_insert_with(|| Arc::new(Pacer::new(pace)))
            .clone();
        connected.push(Connected {
            client: client.sharing(pacer, stop.clone()),
            account,
            target: place.target.as_ref().map(|target| PlanTarget {
                name: target.name.clone(),
            }),
        });
    }
    if let (None, [problem]) = (&places.project, problems.as_slice()) {
        // Without a project file there is one place, and its error says it all.
        bail!("{problem}");
    }
    if !problems.is_empty() {
        for problem in &problems {
            eprintln!("error: {problem}");
        }
        bail!(
            "{} checking the targets' accounts; nothing was sent to API Gateway",
            count_of(problems.len(), "error", "errors")
        );
    }
    Ok(connected)
}
