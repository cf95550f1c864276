//! The command line: clap definitions and one function per command.

use std::collections::BTreeSet;
use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use clap::{Args, Parser, Subcommand, ValueEnum};

use futures_util::future::join_all;
use tollgate::api_keys;
use tollgate::apply::{self, CreationMarkers};
use tollgate::endpoint::{EndpointSetting, ForeignEndpoint, ForeignEndpoints};
use tollgate::live::{allow_list, Connection, LiveClient, Pace, Stop};
use tollgate::model::{self, DesiredPlan, LiveApiKey, LiveKeys, LivePlan, Named, Names};
use tollgate::plan::{
    format_day, settle, ApiKeyEntry, Orphan, OrphanKind, Plan, PlanRef, PlanTarget, PlanUsage,
    Unsettled, Usage, Verdict,
};
use tollgate::reconcile::{self, Matching, PlanOptions};
use tollgate::references;
use tollgate::render::{self, count_of, FailedTarget, Format, Style};
use tollgate::resolve;
use tollgate::saved::signature::{PlanKey, Signature};
use tollgate::saved::{self, reviewed, Inputs, SavedPlan};
use tollgate::spec::export::ExportPlan;
use tollgate::spec::{self, Desired, SpecError, SpecErrors};

use crate::places::{self, Connected, Place, Places, Selection};
use crate::progress::Progress;

/// What a command concluded, which main maps to an exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Success, and nothing is (or was) left to change.
    Done,
    /// Success with changes pending (or, for apply, made); exit 2 with `--detailed-exitcode`.
    Changes,
    /// A failure already reported on stderr.
    Failed,
}

/// Keeps Amazon API Gateway usage plans equal to what a Git repository declares.
#[derive(Debug, Parser)]
#[command(name = "tollgate", version, about, propagate_version = true)]
pub struct Cli {
    /// The AWS region (default: the standard AWS chain, e.g. AWS_REGION).
    #[arg(long, global = true)]
    region: Option<String>,
    /// The named AWS profile to use.
    #[arg(long, global = true)]
    profile: Option<String>,
    /// Send API Gateway's and STS's requests to this URL, as AWS_ENDPOINT_URL does (STS
    /// stays AWS's when it is AWS's own API Gateway host). A host that is neither AWS's own
    /// nor this machine must be listed in TOLLGATE_ALLOW_ENDPOINTS.
    #[arg(long, global = true)]
    endpoint_url: Option<String>,
    /// How fast to call AWS: `aws` (inside AWS's account quotas), `aws:F` (those quotas F
    /// times faster: an emulator, raised quotas) or `none`.
    #[arg(long, global = true, env = "TOLLGATE_PACE", default_value = "aws")]
    pace: Pace,
    /// When to colour output; never when NO_COLOR is set.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
    /// The project file (default: tollgate.yaml in this folder or the nearest one above).
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Run over this target of the project file (repeatable; default: every target).
    #[arg(long = "target", global = true, value_name = "NAME")]
    targets: Vec<String>,
    /// Print what was read and how long it took on stderr, and show under each change of the
    /// text plan the patch operations that carry it out.
    #[arg(short, long, global = true)]
    verbose: bool,
    #[command(subcommand)]
    command: Command,
}

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// `--format`: the view of a plan, as the command line names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum FormatArg {
    /// For a terminal or a CI log.
    Text,
    /// For a pull-request comment.
    Markdown,
    /// For a machine: the JSON plan of format 1.
    Json,
    /// For GitHub Actions: workflow commands that annotate the YAML's lines (plan only), then
    /// the text view; with GITHUB_STEP_SUMMARY set, the Markdown view in the job summary.
    Github,
}

impl FormatArg {
    /// The view of a plan this format is; `None` for `github`, which also needs the YAML.
    fn view(self) -> Option<Format> {
        match self {
            FormatArg::Text => Some(Format::Text),
            FormatArg::Markdown => Some(Format::Markdown),
            FormatArg::Json => Some(Format::Json),
            FormatArg::Github => None,
        }
    }
}

/// `validate --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ValidateFormat {
    /// Errors as `FILE:LINE:COLUMN: message`.
    Text,
    /// Errors also as GitHub workflow commands (`::error file=...`) on stdout.
    Github,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check the YAML offline; no AWS call.
    Validate(ValidateArgs),
    /// Show what apply would change; with --out, also save the plan for `apply FILE`.
    Plan(PlanArgs),
    /// Render a saved plan (written by `plan --out`); no AWS call.
    Show(ShowArgs),
    /// Change the live usage plans to equal the YAML.
    Apply(ApplyArgs),
    /// Write the live usage plans as YAML in tollgate's format.
    Export(ExportArgs),
    /// Print the JSON Schema of the YAML format.
    Schema,
}

#[derive(Debug, Args)]
struct PathsArg {
    /// YAML files or folders (every *.yaml / *.yml below a folder; default: plans, or with a
    /// project file each target's paths, which given paths narrow); for `apply`, a single
    /// saved plan file (any name not ending in .yaml or .yml) instead.
    paths: Vec<PathBuf>,
}

#[derive(Debug, Args)]
struct ValidateArgs {
    #[command(flatten)]
    paths: PathsArg,
    /// How errors are reported.
    #[arg(long, value_enum, default_value_t = ValidateFormat::Text)]
    format: ValidateFormat,
}

#[derive(Debug, Args)]
struct ReadArgs {
    #[command(flatten)]
    paths: PathsArg,
    /// Plan grants found pending (an apply stopped between record and call) again.
    #[arg(long)]
    retry_pending_grants: bool,
    /// Exit 2 when there are changes (0 when none, 1 on error).
    #[arg(long)]
    detailed_exitcode: bool,
    /// With a project file: delete the plans and keys this target owns and no longer declares
    /// (its stages removed first), and the records of grants no longer declared; `plan --out`
    /// saves the deletions, and `apply FILE` needs it when the saved plan was made with it.
    #[arg(long)]
    prune: bool,
    /// The most plans and keys --prune may delete in one target; more is refused [default:
    /// 5]. Given explicitly, it also allows --prune in a target that declares no usage plan.
    #[arg(long, value_name = "N")]
    prune_max: Option<usize>,
}

/// How many plans and keys `--prune` may delete in one target unless `--prune-max` says.
const DEFAULT_PRUNE_MAX: usize = 5;

impl ReadArgs {
    /// The most plans and keys `--prune` may delete in one target.
    fn prune_max(&self) -> usize {
        self.prune_max.unwrap_or(DEFAULT_PRUNE_MAX)
    }
}

#[derive(Debug, Args)]
struct PlanArgs {
    #[command(flatten)]
    read: ReadArgs,
    /// The view of the plan.
    #[arg(long, value_enum, default_value_t = FormatArg::Text)]
    format: FormatArg,
    /// Also save the plan to this file, for `tollgate show FILE` and `tollgate apply FILE`
    /// (the view still goes to stdout).
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Read the usage of the plans with destructive changes (GetUsage) and tell which keys
    /// each change affects.
    #[arg(long)]
    impact: bool,
}

#[derive(Debug, Args)]
struct ShowArgs {
    /// A saved plan, written by `tollgate plan --out FILE`.
    file: PathBuf,
    /// The view of the plan.
    #[arg(long, value_enum, default_value_t = FormatArg::Text)]
    format: FormatArg,
}

#[derive(Debug, Args)]
struct ApplyArgs {
    #[command(flatten)]
    read: ReadArgs,
    /// Show the plan and change nothing.
    #[arg(long)]
    dry_run: bool,
    /// Apply without asking (required without a terminal).
    #[arg(long)]
    auto_approve: bool,
}

/// How long changes in flight may take to finish after an interrupt.
const INTERRUPT_GRACE: Duration = Duration::from_secs(60);

#[derive(Debug, Args)]
struct ExportArgs {
    /// Write one file per plan into this folder instead of one document to stdout.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Overwrite files that already exist in --out.
    #[arg(long)]
    force: bool,
}

impl Cli {
    /// Runs the parsed command.
    pub async fn run(self) -> Result<Outcome> {
        if std::env::var_os("TOLLGATE_UPDATE_INTERVAL").is_some() {
            bail!(
                "TOLLGATE_UPDATE_INTERVAL is no longer read: pacing now covers every call; unset \
                 it and use --pace or TOLLGATE_PACE (`aws`, `aws:F` for quotas F times faster, \
                 or `none`)"
            );
        }
        let style = Style {
            color: match self.color {
                _ if std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()) => false,
                ColorChoice::Always => true,
                ColorChoice::Never => false,
                ColorChoice::Auto => std::io::stdout().is_terminal(),
            },
            verbose: self.verbose,
        };
        let run = Run {
            pace: self.pace,
            style,
            verbose: self.verbose,
        };
        let given: &[PathBuf] = match &self.command {
            Command::Validate(args) => &args.paths.paths,
            Command::Plan(args) => &args.read.paths.paths,
            Command::Apply(args) => &args.read.paths.paths,
            Command::Show(_) | Command::Export(_) | Command::Schema => &[],
        };
        let selection = Selection {
            config: self.config.as_deref(),
            targets: &self.targets,
            connection: Connection {
                region: self.region.clone(),
                profile: self.profile.clone(),
                endpoint: self.endpoint_url.clone().map(|url| EndpointSetting {
                    url,
                    source: "--endpoint-url".into(),
                }),
            },
            paths: given,
        };
        match &self.command {
            Command::Show(args) => return show(args, style),
            Command::Schema => {
                println!("{}", spec::json_schema()?);
                return Ok(Outcome::Done);
            }
            _ => {}
        }
        // `apply FILE`: the saved plan says which target it is for.
        if let Command::Apply(args) = &self.command {
            if let Some(file) = saved::saved_plan_path(given) {
                let selection = Selection {
                    paths: &[],
                    ..selection
                };
                let Some(places) = places::places(&selection)? else {
                    return Ok(Outcome::Failed);
                };
                return apply_saved(&places, run, file, args).await;
            }
        }
        let Some(places) = places::places(&selection)? else {
            return Ok(Outcome::Failed);
        };
        match self.command {
            Command::Validate(args) => Ok(validate(&places, args.format)),
            Command::Plan(args) => plan(&places, run, args).await,
            Command::Apply(args) => apply_command(&places, run, args).await,
            Command::Export(args) => export(&places, run.pace, args).await,
            Command::Show(_) | Command::Schema => Ok(Outcome::Done),
        }
    }
}

/// The settings of a run that every command calling AWS takes.
#[derive(Debug, Clone, Copy)]
struct Run {
    pace: Pace,
    style: Style,
    verbose: bool,
}

/// Loads the YAML of every place, printing every error once in `PATH:LINE:COLUMN: message`
/// form (a file two targets share, once); `None` after errors.
fn load_desired(places: &Places) -> Option<Vec<Desired>> {
    load_every_place(places)
        .map_err(|errors| places::report(&errors, "in the YAML"))
        .ok()
}

/// Loads the YAML of every place: every error found, each once (a file two targets share
/// holds its errors once).
fn load_every_place(places: &Places) -> Result<Vec<Desired>, SpecErrors> {
    let mut loaded = Vec::new();
    let mut errors: Vec<SpecError> = Vec::new();
    for place in &places.places {
        let found = match spec::load(&place.paths) {
            Ok(desired) => {
                // In a project, the owner tag takes one more of AWS's 50 tags.
                let room = match places.project {
                    Some(_) => desired.owner_tag_room(),
                    None => Vec::new(),
                };
                if room.is_empty() {
                    loaded.push(desired);
                    continue;
                }
                room
            }
            Err(found) => found.0,
        };
        for error in found {
            if !errors.contains(&error) {
                errors.push(error);
            }
        }
    }
    if errors.is_empty() {
        Ok(loaded)
    } else {
        Err(SpecErrors(errors))
    }
}

fn validate(places: &Places, format: ValidateFormat) -> Outcome {
    let loaded = match load_every_place(places) {
        Ok(loaded) => loaded,
        Err(errors) => {
            if format == ValidateFormat::Github {
                print!("{}", render::github::error_annotations(&errors.0));
            }
            places::report(&errors, "in the YAML");
            return Outcome::Failed;
        }
    };
    for (place, desired) in places.places.iter().zip(&loaded) {
        let mut valid = count_of(desired.plans.len(), "usage plan", "usage plans");
        if !desired.api_keys.is_empty() {
            let keys = count_of(desired.api_keys.len(), "API key", "API keys");
            valid = format!("{valid} and {keys}");
        }
        match &place.target {
            Some(target) => println!("Target {}: {valid} valid.", target.name),
            None => println!("{valid} valid."),
        }
    }
    Outcome::Done
}

/// What a plan is made from: the YAML, the live state, how they match, and the options.
struct PlanInputs {
    client: LiveClient,
    /// The account the credentials belong to.
    account: String,
    target: Option<PlanTarget>,
    desired: Vec<DesiredPlan>,
    live: Vec<LivePlan>,
    matching: Matching,
    live_keys: LiveKeys,
    /// The keys of other plans, read by the checks of what AWS would refuse.
    checked_keys: LiveKeys,
    options: PlanOptions,
    /// The declared API keys, matched to the account's.
    api_keys: Vec<ApiKeyEntry>,
    /// The keys this target created and no longer declares (with --prune, those no plan
    /// outside this apply's reach still has).
    orphan_keys: Vec<PlanRef>,
    /// With --prune, the orphaned keys still on a plan this apply leaves them on.
    orphan_keys_in_use: Vec<PlanRef>,
    /// The REST APIs and keys listed to resolve the YAML's names (none when it uses none).
    listed: Listed,
}

/// The REST APIs and API keys a run listed.
#[derive(Default)]
struct Listed {
    apis: Vec<Named>,
    keys: Vec<LiveApiKey>,
}

impl PlanInputs {
    /// The plan these inputs give.
    fn plan(&self) -> Plan {
        let mut plan = reconcile::build_plan(
            self.client.region(),
            &self.desired,
            &self.live,
            &self.matching,
            &self.live_keys,
            &self.options,
        );
        plan.account = self.account.clone();
        plan.endpoints = self.client.foreign_endpoints();
        plan.target = self.target.clone();
        let keys: Vec<Named> = self.listed.keys.iter().map(LiveApiKey::named).collect();
        plan.names = plan.mentioned_names(&self.listed.apis, &keys);
        plan.api_keys = self
            .api_keys
            .iter()
            .filter(|entry| entry.has_changes())
            .cloned()
            .collect();
        let left_alone = match self.options.prune {
            true => {
                plan.deleted_keys = self.orphan_keys.clone();
                &self.orphan_keys_in_use
            }
            false => &self.orphan_keys,
        };
        plan.orphans.extend(left_alone.iter().map(|key| Orphan {
            kind: OrphanKind::ApiKey,
            item: key.clone(),
        }));
        plan
    }
}

/// The plans of every place, made concurrently: each place's inputs, or why it has none.
struct Planned {
    /// The places whose plan was made, in order.
    made: Vec<PlanInputs>,
    /// The places whose plan could not be made (the reason already printed).
    failed: Vec<FailedTarget>,
}

impl Planned {
    /// Whether every place has its plan.
    fn complete(&self) -> bool {
        self.failed.is_empty()
    }
}

/// Loads the YAML of every place, connects (checking accounts), then reads each place's
/// live state concurrently; `None` when nothing could be planned (errors reported).
async fn make_plans(places: &Places, run: Run, args: &ReadArgs) -> Result<Option<Planned>> {
    if args.prune {
        check_prune(places)?;
    }
    let Some(loaded) = load_desired(places) else {
        return Ok(None);
    };
    if args.prune && args.prune_max.is_none() {
        check_prune_declares(places, &loaded)?;
    }
    let connected = places::connect(places, run.pace).await?;
    let reads = places.places.iter().zip(connected).zip(loaded).map(
        |((place, connected), desired)| async move {
            let region = connected.client.region().to_string();
            let owner = places
                .project
                .as_ref()
                .zip(place.target.as_ref())
                .map(|(project, target)| model::owner(&project.name, &target.name));
            let read = read_inputs(place, connected, desired, args, run.verbose, owner).await;
            (place, region, read)
        },
    );
    let mut planned = Planned {
        made: Vec::new(),
        failed: Vec::new(),
    };
    for (place, region, read) in join_all(reads).await {
        let error = match read {
            Ok(Some(inputs)) => {
                planned.made.push(inputs);
                continue;
            }
            Ok(None) => "errors above".to_string(),
            Err(error) => {
                eprintln!("error: {}{error:#}", place.prefix());
                format!("{error:#}")
            }
        };
        if places.project.is_none() {
            return Ok(None);
        }
        planned.failed.push(FailedTarget {
            name: place
                .target
                .as_ref()
                .map(|t| t.name.clone())
                .unwrap_or_default(),
            region,
            error,
        });
    }
    Ok(Some(planned))
}

/// Refuses `--prune` where an orphan cannot be told from a plan the run does not read:
/// without a project file (nothing carries an owner tag), and with paths that narrow a
/// target's.
fn check_prune(places: &Places) -> Result<()> {
    if places.project.is_none() {
        bail!(
            "--prune needs a project file: only a project's targets mark what they manage with \
             the owner tag `{}`, and only what carries it is pruned. Nothing was read or written.",
            model::OWNER_TAG
        );
    }
    let narrowed: Vec<String> = places
        .places
        .iter()
        .filter(|place| !place.complete)
        .filter_map(|place| Some(place.target.as_ref()?.name.clone()))
        .collect();
    if !narrowed.is_empty() {
        bail!(
            "--prune runs over a target's complete paths, and the paths given narrow {} \
             (a plan declared outside them would look orphaned); run without paths, choosing \
             targets with --target. Nothing was read or written.",
            narrowed.join(", ")
        );
    }
    Ok(())
}

/// `target prod-us: ` before a message about a target's plan; empty without a project file.
fn target_prefix(plan: &Plan) -> String {
    plan.target
        .as_ref()
        .map(|target| format!("target {}: ", target.name))
        .unwrap_or_default()
}

/// Refuses `--prune` in a target that declares no usage plan at all: an emptied or misnamed
/// folder is far likelier than a wish to delete everything the target owns, which an explicit
/// `--prune-max` still allows.
fn check_prune_declares(places: &Places, loaded: &[Desired]) -> Result<()> {
    let empty: Vec<&str> = places
        .places
        .iter()
        .zip(loaded)
        .filter(|(_, desired)| desired.plans.is_empty())
        .filter_map(|(place, _)| Some(place.target.as_ref()?.name.as_str()))
        .collect();
    match empty.is_empty() {
        true => Ok(()),
        false => Err(prune_of_nothing_declared(&empty)),
    }
}

/// The refusal of `--prune` in `targets`, which declare no usage plan.
fn prune_of_nothing_declared(targets: &[&str]) -> anyhow::Error {
    anyhow!(
        "--prune in {} that declares no usage plan ({}) would delete every plan the target \
         owns: check that its paths hold the YAML. To delete them all, give --prune-max \
         explicitly. Nothing was sent to AWS.",
        if targets.len() == 1 {
            "a target"
        } else {
            "targets"
        },
        targets.join(", ")
    )
}

/// The targets whose plan would delete more than `--prune-max` allows, as error lines.
fn past_prune_max(plans: &[Plan], most: usize) -> Vec<String> {
    plans
        .iter()
        .filter(|plan| plan.deletions() > most)
        .map(|plan| {
            let prefix = target_prefix(plan);
            format!(
                "{prefix}--prune would delete {} plans and keys, more than --prune-max {most}; \
                 check the list above, then raise --prune-max to {} if they are all to go",
                plan.deletions(),
                plan.deletions()
            )
        })
        .collect()
}

/// Resolves the YAML's names and reads the live state a place's plan is made from; `None`
/// after reported errors.
async fn read_inputs(
    place: &Place,
    connected: Connected,
    desired: Desired,
    args: &ReadArgs,
    verbose: bool,
    owner: Option<String>,
) -> Result<Option<PlanInputs>> {
    let Desired {
        plans: mut desired,
        api_keys: declared_keys,
    } = desired;
    let Connected {
        client,
        account,
        target,
    } = connected;
    let started = Instant::now();
    let mut unresolved = Vec::new();
    let mut listed = Listed::default();
    if desired.iter().any(|plan| !plan.named_stages.is_empty()) {
        listed.apis = client.list_rest_apis().await?;
        unresolved.extend(resolve::api_names(&mut desired, &listed.apis, client.region()).err());
    }
    let mut api_keys = Vec::new();
    // With an owner, the keys are read for orphans too.
    let named_keys = desired.iter().any(|plan| !plan.named_keys.is_empty());
    if !declared_keys.is_empty() || named_keys || owner.is_some() {
        listed.keys = client.list_api_keys().await?;
        let region = client.region();
        let matched =
            match api_keys::match_keys(&declared_keys, &listed.keys, region, owner.as_deref()) {
                Ok(matched) => matched,
                Err(errors) => {
                    unresolved.push(errors);
                    api_keys::Matched::default()
                }
            };
        let keys: Vec<Named> = listed.keys.iter().map(LiveApiKey::named).collect();
        unresolved.extend(resolve::key_names(&mut desired, &keys, &matched.ids, region).err());
        api_keys = matched.entries;
    }
    if !unresolved.is_empty() {
        let errors = resolve::in_file_order(unresolved.into_iter().flatten().collect());
        eprintln!("{}", SpecErrors(errors.clone()));
        eprintln!(
            "error: {}{} resolving the YAML's names; nothing was written to AWS",
            place.prefix(),
            count_of(errors.len(), "error", "errors")
        );
        return Ok(None);
    }
    let live = client.list_plans().await?;
    let matched = reconcile::match_plans(&desired, &live).and_then(|matching| {
        let mut foreign = reconcile::managed_by_stack(&desired, &live, &matching);
        foreign.extend(owner.as_deref().map_or_else(Vec::new, |owner| {
            reconcile::owned_elsewhere(&desired, &live, &matching, owner)
        }));
        if foreign.is_empty() {
            Ok(matching)
        } else {
            Err(foreign)
        }
    });
    let matching = match matched {
        Ok(matching) => matching,
        Err(errors) => {
            // A plan may be both a stack's and another owner's: one list, in file order.
            let located = resolve::in_file_order(
                errors
                    .iter()
                    .map(|error| SpecError {
                        location: Some(error.location().clone()),
                        message: error.to_string(),
                    })
                    .collect(),
            );
            let what = format!("{}matching the YAML to the live plans", place.prefix());
            places::report(&SpecErrors(located), &what);
            return Ok(None);
        }
    };
    let live_keys = client
        .list_plan_keys(matching.plans_needing_keys(&desired, &live))
        .await?;
    let deleted: BTreeSet<String> = match (&owner, args.prune) {
        (Some(owner), true) => matching
            .unmanaged
            .iter()
            .map(|&i| &live[i])
            .filter(|plan| model::is_orphan_of(&plan.tags, owner))
            .map(|plan| plan.id.clone())
            .collect(),
        _ => BTreeSet::new(),
    };
    let checked = references::Account {
        desired: &desired,
        live: &live,
        matching: &matching,
        live_keys: &live_keys,
        deleted: &deleted,
    };
    let findings = client.check_references(&checked).await?;
    if !report_references(&findings, &place.prefix()) {
        return Ok(None);
    }
    if verbose {
        eprintln!(
            "{}read {} and the keys of {} in {:.2?}",
            place.prefix(),
            count_of(live.len(), "usage plan", "usage plans"),
            count_of(live_keys.len(), "plan", "plans"),
            started.elapsed()
        );
    }
    let options = PlanOptions {
        owner: owner.clone(),
        prune: args.prune,
    };
    let mut orphan_keys = match &owner {
        Some(owner) => api_keys::orphan_keys(&listed.keys, &declared_keys, &desired, owner),
        None => Vec::new(),
    };
    let mut orphan_keys_in_use = Vec::new();
    if let (Some(owner), true) = (&owner, args.prune) {
        // A key still on a plan that this apply neither takes it off nor deletes serves
        // someone: it is listed, never deleted.
        let frees = |plan_id: &str, key_id: &str| {
            let declared_without = desired.iter().zip(&matching.matched).any(|(plan, at)| {
                at.is_some_and(|i| live[i].id == plan_id)
                    && plan
                        .keys
                        .as_ref()
                        .is_some_and(|keys| keys.iter().all(|key| key.id != key_id))
            });
            let deleted = matching
                .unmanaged
                .iter()
                .any(|&i| live[i].id == plan_id && model::is_orphan_of(&live[i].tags, owner));
            declared_without || deleted
        };
        let mut unused = Vec::new();
        for key in orphan_keys {
            let plans = client.plans_with_key(&key.id).await?;
            if plans.iter().all(|plan_id| frees(plan_id, &key.id)) {
                unused.push(key);
            } else {
                orphan_keys_in_use.push(key);
            }
        }
        orphan_keys = unused;
    }
    Ok(Some(PlanInputs {
        client,
        account,
        target,
        desired,
        live,
        matching,
        live_keys,
        checked_keys: findings.read_keys,
        options,
        api_keys,
        orphan_keys,
        orphan_keys_in_use,
        listed,
    }))
}

/// Prints what the reference checks found on stderr: warnings (the plan goes on) and errors
/// (it does not); whether the plan may go on.
fn report_references(findings: &references::Findings, prefix: &str) -> bool {
    for line in findings.warning_lines() {
        eprintln!("{prefix}{line}");
    }
    if findings.errors.is_empty() {
        return true;
    }
    let what = format!("{prefix}checking the YAML against the account: AWS would refuse the apply");
    places::report(&SpecErrors(findings.errors.clone()), &what);
    false
}

/// Reads the usage `plan --impact` needs (GetUsage: one call and its pages per live plan
/// with a quota change or a change that takes stages from keys) and works out what the
/// plan's destructive changes do to the keys using the plans.
async fn assess_impact(inputs: &PlanInputs, plan: &mut Plan) -> Result<()> {
    let day = inputs.client.today();
    let today = format_day(day);
    let mut usage = Usage {
        today: today.clone(),
        ..Usage::default()
    };
    for read in plan.usage_reads(day) {
        let start = format_day(read.start);
        let keys = inputs
            .client
            .usage(&read.plan_id, &start, &today)
            .await
            .map_err(|error| {
                let name = plan
                    .entries
                    .iter()
                    .find(|entry| entry.id() == Some(&read.plan_id));
                let name = name.map_or(read.plan_id.as_str(), |entry| entry.name.as_str());
                error.on_plan(name, Some(&read.plan_id))
            })?;
        usage.plans.insert(read.plan_id, PlanUsage { start, keys });
    }
    let read_any = !usage.plans.is_empty();
    if read_any {
        // Those the checks read already are not read again.
        let (checked, ids): (Vec<String>, Vec<String>) = plan
            .plans_needing_keys_for_impact(&inputs.live_keys)
            .into_iter()
            .partition(|id| inputs.checked_keys.contains_key(id));
        usage.plan_keys = inputs.client.list_plan_keys(ids).await?;
        for id in checked {
            if let Some(keys) = inputs.checked_keys.get(&id) {
                usage.plan_keys.insert(id, keys.clone());
            }
        }
    }
    plan.impact = Some(plan.assess(usage, &inputs.live_keys));
    // The keys the impact names, by name: listed now when the run has not listed them (no
    // value is read).
    let listed_keys = match inputs.listed.keys.is_empty() && read_any {
        true => inputs.client.list_api_keys().await?,
        false => inputs.listed.keys.clone(),
    };
    let keys: Vec<Named> = listed_keys.iter().map(LiveApiKey::named).collect();
    plan.names = plan.mentioned_names(&inputs.listed.apis, &keys);
    Ok(())
}

/// Settles the plan's pending grants from their keys' usage: one GetUsage (the key alone,
/// the record's day) per pending grant whose record kept the figures from before its call.
/// A read that fails leaves its grant pending, saying why; the plan goes on. With `retry`
/// (`--retry-pending-grants`), the grants left pending are planned again.
async fn settle_grants(client: &LiveClient, plan: &mut Plan, retry: bool) {
    let mut verdicts = Vec::new();
    for (entry, pending) in plan.unsettled_grants() {
        let (Some(id), Some(baseline)) = (entry.id(), pending.baseline) else {
            continue;
        };
        let day = format_day(baseline.day());
        let verdict = match client.key_usage(id, &pending.key_id, &day).await {
            Ok(Some(figures)) => settle(pending.remaining, &baseline, client.now(), &figures),
            Ok(None) => Verdict::Pending(Unsettled::NoFigures { day }),
            Err(error) => Verdict::Pending(Unsettled::Unreadable {
                detail: error.to_string(),
            }),
        };
        let grant = (pending.key_id.clone(), pending.grant_id.clone());
        verdicts.push((id.to_string(), grant, verdict));
    }
    plan.settle_grants(retry, |id, pending| {
        // A grant's id is unique per key: the plan, the key and the grant name it.
        let found = verdicts.iter().position(|(plan, (key, grant), _)| {
            plan == id && *key == pending.key_id && *grant == pending.grant_id
        });
        match found {
            Some(at) => verdicts.swap_remove(at).2,
            None => Verdict::Pending(pending.why.clone()),
        }
    });
}

/// Whether any plan holds a grant left pending that its key's usage did not settle: it asks
/// for attention, so the drift check exits 2, each with a line saying how it clears.
fn unsettled(plans: &[Plan], detailed: bool) -> bool {
    let lines: Vec<String> = plans
        .iter()
        .flat_map(|plan| {
            let prefix = target_prefix(plan);
            render::pending::unsettled_lines(plan)
                .into_iter()
                .map(move |line| format!("{prefix}{line}"))
        })
        .collect();
    if detailed {
        for line in &lines {
            eprintln!("{line}");
        }
    }
    !lines.is_empty()
}

/// The outcome of a successful run: changes pending or not, as --detailed-exitcode asks.
fn pending(has_changes: bool, detailed: bool) -> Outcome {
    if detailed && has_changes {
        Outcome::Changes
    } else {
        Outcome::Done
    }
}

/// Renders the plans of every place: as today without a project file, by target with one.
fn render_plans(
    places: &Places,
    plans: &[Plan],
    failed: &[FailedTarget],
    format: Format,
    style: Style,
) -> String {
    match (&places.project, plans) {
        (Some(project), _) => render::render_targets(&project.name, plans, failed, format, style),
        (None, [plan]) => render::render(plan, format, style),
        (None, _) => String::new(),
    }
}

async fn plan(places: &Places, run: Run, args: PlanArgs) -> Result<Outcome> {
    if args.out.is_some() && args.read.retry_pending_grants {
        bail!(
            "--retry-pending-grants cannot be saved with --out: a pending grant may have been \
             granted already, so retrying it is decided right before applying, after checking the \
             key's usage; run `tollgate apply --retry-pending-grants` on the YAML instead. Nothing \
             was read or written."
        );
    }
    let plan_key = match args.out {
        Some(_) => {
            PlanKey::from_env().map_err(|why| anyhow!("{why}. Nothing was read or written."))?
        }
        None => None,
    };
    let mut saved_yaml = Vec::new();
    if let Some(path) = args.out.as_deref() {
        if spec::is_yaml_name(path) {
            bail!(
                "--out {}: a saved plan's name must not end in .yaml or .yml, which `apply` reads as YAML; choose another, such as tollgate.plan. Nothing was read or written.",
                path.display()
            );
        }
        if let [place] = places.places.as_slice() {
            saved_yaml = reviewed::record(&place.paths, &project_root(places)).map_err(|why| {
                anyhow!(
                    "--out {}: {why}. Nothing was read or written.",
                    path.display()
                )
            })?;
        }
        if let [_, _, ..] = places.places.as_slice() {
            let names: Vec<&str> = places
                .places
                .iter()
                .filter_map(|place| Some(place.target.as_ref()?.name.as_str()))
                .collect();
            bail!(
                "--out {}: a saved plan holds one target, and {} are selected ({}); save one plan \
                 per target, e.g. `tollgate plan --target {} --out {}.plan`. Nothing was read or \
                 written.",
                path.display(),
                names.len(),
                names.join(", "),
                names[0],
                names[0]
            );
        }
    }
    let Some(planned) = make_plans(places, run, &args.read).await? else {
        return Ok(Outcome::Failed);
    };
    let mut plans: Vec<Plan> = planned.made.iter().map(PlanInputs::plan).collect();
    // A saved plan keeps pending grants as they are: it holds no usage to settle them from.
    if args.out.is_none() {
        let settling = planned.made.iter().zip(&mut plans);
        let retry = args.read.retry_pending_grants;
        join_all(settling.map(|(inputs, plan)| settle_grants(&inputs.client, plan, retry))).await;
    }
    if args.impact {
        let assessed = planned.made.iter().zip(&mut plans).map(|(inputs, plan)| {
            let place = target_prefix(plan);
            async move {
                assess_impact(inputs, plan)
                    .await
                    .with_context(|| format!("{place}reading usage for --impact"))
            }
        });
        join_all(assessed)
            .await
            .into_iter()
            .collect::<Result<Vec<()>>>()?;
    }
    if let (Some(path), [inputs], [plan]) = (&args.out, planned.made.as_slice(), plans.as_slice()) {
        let project = places.project.as_ref().map(|project| project.name.as_str());
        let context = saved::Context::here(
            project,
            inputs.account.clone(),
            inputs.client.endpoint_url(),
            inputs.client.sts_endpoint_url(),
        );
        let saved = SavedPlan::new(
            plan,
            Inputs {
                desired: &inputs.desired,
                live: &inputs.live,
                matching: &inputs.matching,
                live_keys: &inputs.live_keys,
                live_api_keys: &inputs.listed.keys,
                prune: args.read.prune,
                yaml: &saved_yaml,
            },
            context,
        );
        saved.write(path, plan_key.as_ref())?;
        eprintln!(
            "Saved the plan to {}; `tollgate apply {}` applies exactly these changes.",
            path.display(),
            path.display()
        );
    }
    let format = args.format.view().unwrap_or(Format::Text);
    if args.format == FormatArg::Github {
        let workspace = std::env::var_os("GITHUB_WORKSPACE").map(PathBuf::from);
        let mut changes = Vec::new();
        for (inputs, plan) in planned.made.iter().zip(&plans) {
            for mut change in render::drift::field_changes(plan, &inputs.desired) {
                if let (Some(at), Some(root)) = (&mut change.at, &workspace) {
                    at.path = from_root(&at.path, root);
                }
                changes.push((target_prefix(plan), change));
            }
        }
        print!("{}", render::github::plan_annotations(&changes));
        if let Some(summary) = std::env::var_os("GITHUB_STEP_SUMMARY") {
            let markdown =
                render_plans(places, &plans, &planned.failed, Format::Markdown, run.style);
            if let Err(error) = append_step_summary(Path::new(&summary), &markdown, &plans) {
                eprintln!("warning: {error:#}; the plan is in the log only");
            }
        }
    } else if args.read.detailed_exitcode && format == Format::Text {
        // The drift check leads with one line per drifted field.
        let drift: Vec<String> = planned
            .made
            .iter()
            .zip(&plans)
            .flat_map(|(inputs, plan)| {
                let prefix = target_prefix(plan);
                let lines = render::drift::drift_lines(plan, &inputs.desired);
                lines.into_iter().map(move |line| format!("{prefix}{line}"))
            })
            .collect();
        if !drift.is_empty() {
            println!("{}\n", drift.join("\n"));
        }
    }
    print!(
        "{}",
        render_plans(places, &plans, &planned.failed, format, run.style)
    );
    for problem in past_prune_max(&plans, args.read.prune_max()) {
        eprintln!("warning: {problem}; apply would refuse");
    }
    if !planned.complete() {
        return Ok(Outcome::Failed);
    }
    // Orphans left alone and grants that cannot be settled need attention too: the drift
    // check shows them until they are cleared.
    let changes = plans
        .iter()
        .any(|plan| plan.has_changes() || plan.has_orphans());
    let attention = unsettled(&plans, args.read.detailed_exitcode);
    Ok(pending(changes || attention, args.read.detailed_exitcode))
}

/// `path` from the repository's root `root` (GitHub's workspace), as GitHub wants it for an
/// annotation; as it is when it lies outside or cannot be resolved.
fn from_root(path: &str, root: &Path) -> String {
    let resolved = std::fs::canonicalize(path).ok();
    let root = std::fs::canonicalize(root).ok();
    match (resolved, root) {
        (Some(resolved), Some(root)) => match resolved.strip_prefix(&root) {
            Ok(inside) => inside.display().to_string(),
            Err(_) => path.to_string(),
        },
        _ => path.to_string(),
    }
}

/// GitHub's limit on a step's job summary, in bytes.
const STEP_SUMMARY_BYTES: u64 = 1024 * 1024;

/// Appends the Markdown plan to the job summary at `path`, cut to what is left of its 1 MiB
/// (whole sections left out, with notices), or a notice alone when even that does not fit.
fn append_step_summary(path: &Path, markdown: &str, plans: &[Plan]) -> Result<()> {
    let used = std::fs::metadata(path).map_or(0, |file| file.len());
    let room = usize::try_from(STEP_SUMMARY_BYTES.saturating_sub(used)).unwrap_or(usize::MAX);
    // A character takes at most 4 bytes.
    let cut = match plans {
        [plan] if room / 4 > render::markdown::MIN_LIMIT => {
            render::markdown::render_within(plan, room / 4)
        }
        _ => String::new(),
    };
    let notice = "> [!NOTE]\n> The plan does not fit in what is left of this step's summary \
                  (GitHub keeps 1 MiB per step); see the step's log.\n";
    let text = if markdown.len() <= room {
        markdown
    } else if !cut.is_empty() && cut.len() <= room {
        &cut
    } else if notice.len() <= room {
        notice
    } else {
        eprintln!("warning: the job summary is full (1 MiB); the plan is in the log only");
        return Ok(());
    };
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("cannot open the job summary {}", path.display()))?;
    file.write_all(text.as_bytes())
        .with_context(|| format!("cannot write the job summary {}", path.display()))?;
    Ok(())
}

/// `show FILE`: renders a saved plan as `plan` printed it; no AWS call.
fn show(args: &ShowArgs, style: Style) -> Result<Outcome> {
    let Some(format) = args.format.view() else {
        bail!(
            "show --format github: annotations point at the YAML, which a saved plan does not \
             hold; run `tollgate plan --format github` on the YAML"
        );
    };
    let key = PlanKey::from_env().map_err(|why| anyhow!("{why}"))?;
    let mut saved = SavedPlan::read(&args.file, key.as_ref())?;
    // The endpoints as the plan recorded them, but why each is used as this run sees it: the
    // file's own word is no warrant.
    let allowed = allow_list().map_err(|error| anyhow!("{}", error.detail))?;
    let context = &saved.saved.context;
    saved.plan.endpoints = ForeignEndpoints::of(
        context.endpoint.as_deref(),
        context.sts_endpoint.as_deref(),
        |service, url| ForeignEndpoint::checked(service, url, &allowed),
    );
    print!("{}", render::render(&saved.plan, format, style));
    Ok(Outcome::Done)
}

/// `apply FILE`: applies what a saved plan has left to do, after checking that it was made
/// here (the same project target, account, region and endpoint) and is not stale.
async fn apply_saved(places: &Places, run: Run, file: &Path, args: &ApplyArgs) -> Result<Outcome> {
    if !can_ask(args) {
        return Ok(Outcome::Failed);
    }
    if args.read.retry_pending_grants {
        eprintln!(
            "error: --retry-pending-grants cannot be used with a saved plan: a grant pending now may have been granted by an earlier apply of {}; check the key's usage, then run `tollgate apply --retry-pending-grants` on the YAML. Nothing was sent to AWS.",
            file.display()
        );
        return Ok(Outcome::Failed);
    }
    let key = PlanKey::from_env().map_err(|why| anyhow!("{why}. Nothing was sent to AWS."))?;
    let saved = SavedPlan::read(file, key.as_ref())?;
    if let Some(problem) = prune_mismatch(&saved, file, args.read.prune) {
        eprintln!("error: {problem}. Nothing was sent to AWS.");
        return Ok(Outcome::Failed);
    }
    let context = &saved.saved.context;
    let made_for = saved
        .plan
        .target
        .as_ref()
        .map(|target| target.name.as_str());
    let place = match (&places.project, made_for) {
        (None, None) => &places.places[0],
        (Some(project), Some(name)) if context.project.as_deref() == Some(&project.name) => {
            match places.places.iter().find(|place| place.target.as_ref().is_some_and(|t| t.name == name)) {
                Some(place) => place,
                None => bail!(
                    "{} was made for target {name}, which is not among the selected targets of {}; select it with --target {name}, or make a new plan. Nothing was sent to AWS.",
                    file.display(),
                    project.file.display()
                ),
            }
        }
        (project, _) => bail!(
            "{} was made {}, and this run is {}; apply it where it was made, or make a new plan with `tollgate plan --out`. Nothing was sent to AWS.",
            file.display(),
            match (&context.project, made_for) {
                (Some(p), Some(t)) => format!("for target {t} of project {p}"),
                _ => "without a project file".to_string(),
            },
            match project {
                Some(project) => format!("in project {} ({})", project.name, project.file.display()),
                None => "without a project file".to_string(),
            }
        ),
    };
    eprintln!(
        "Saved plan {}: {}account {}, region {}, made by tollgate {}{}; {}.",
        file.display(),
        place.prefix(),
        context.account,
        saved.region,
        context.tollgate_version,
        context
            .git_commit
            .as_deref()
            .map(|commit| format!(" at commit {commit}"))
            .unwrap_or_default(),
        match saved.signature {
            Signature::Verified => "signature verified",
            Signature::Unchecked => "signed, not checked (TOLLGATE_PLAN_KEY is not set)",
            Signature::Unsigned => "not signed",
        }
    );
    let checkout = reviewed_yaml(&saved, file, &project_root(places), place)?;
    if let (true, [], None, Some(target)) = (
        saved.saved.prune,
        checkout.plans.as_slice(),
        args.read.prune_max,
        &place.target,
    ) {
        return Err(prune_of_nothing_declared(&[target.name.as_str()]));
    }
    let (client, plan, markers, warnings) =
        saved::resume(&place.connection, run.pace, &saved, checkout, file).await?;
    for line in warnings {
        eprintln!("{}{line}", place.prefix());
    }
    let ready = Ready {
        client,
        plan,
        markers,
    };
    apply_plans(places, run, args, vec![ready], Vec::new()).await
}

/// The folder a saved plan's YAML paths are relative to: the project file's, or the working
/// folder without one.
fn project_root(places: &Places) -> PathBuf {
    let folder = places
        .project
        .as_ref()
        .and_then(|project| project.file.parent());
    match folder {
        Some(folder) if !folder.as_os_str().is_empty() => folder.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// What the YAML a saved plan was planned from declares in this checkout (below `root`; in a
/// project, all of the target's paths at `place`); a file whose YAML cannot be read is
/// refused.
fn reviewed_yaml(saved: &SavedPlan, file: &Path, root: &Path, place: &Place) -> Result<Desired> {
    let unreviewed = |differences| saved::SavedPlanError::Unreviewed {
        path: file.display().to_string(),
        differences,
    };
    let target = place.target.as_ref().map(|_| place.paths.as_slice());
    let paths = reviewed::checkout_paths(&saved.saved.yaml, root, target)
        .map_err(|why| unreviewed(vec![why]))?;
    let checkout = spec::load(&paths).map_err(|errors| {
        let mut why = vec!["its YAML cannot be read in this checkout:".to_string()];
        why.extend(errors.0.iter().map(ToString::to_string));
        unreviewed(why)
    })?;
    Ok(checkout)
}

/// Why `apply FILE` refuses a saved plan given `--prune` or not: deleting needs `--prune` at
/// plan time (where the deletions were reviewed) and again at apply; `None` when both agree.
fn prune_mismatch(saved: &SavedPlan, file: &Path, prune: bool) -> Option<String> {
    let file = file.display();
    match (saved.saved.prune, prune) {
        (true, false) => Some(format!(
            "{file} was made with --prune: it deletes {} and any records of grants no \
             longer declared; pass --prune to apply it, or make a plan without --prune",
            count_of(saved.plan.deletions(), "orphan", "orphans"),
        )),
        (false, true) => Some(format!(
            "{file} was made without --prune, so it deletes nothing; apply it without \
             --prune, or make a plan with `tollgate plan --prune --out {file}`, review its \
             deletions, and apply that"
        )),
        _ => None,
    }
}

/// A plan ready to apply, with its client and the creation markers its creates carry.
struct Ready {
    client: LiveClient,
    plan: Plan,
    markers: CreationMarkers,
}

/// Whether apply can go ahead: it asks on a terminal, and without one needs --auto-approve
/// (or --dry-run), else says so, before anything is read.
fn can_ask(args: &ApplyArgs) -> bool {
    let ask = !args.dry_run && !args.auto_approve;
    if ask && !std::io::stdin().is_terminal() {
        eprintln!(
            "error: apply asks for confirmation on a terminal, and there is none; pass --auto-approve to apply without asking. Nothing was sent to AWS."
        );
        return false;
    }
    true
}

async fn apply_command(places: &Places, run: Run, args: ApplyArgs) -> Result<Outcome> {
    if !can_ask(&args) {
        return Ok(Outcome::Failed);
    }
    let Some(planned) = make_plans(places, run, &args.read).await? else {
        return Ok(Outcome::Failed);
    };
    let retry = args.read.retry_pending_grants;
    let settling = planned.made.into_iter().map(|inputs| async move {
        let mut plan = inputs.plan();
        settle_grants(&inputs.client, &mut plan, retry).await;
        Ready {
            plan,
            client: inputs.client,
            markers: CreationMarkers::default(),
        }
    });
    let ready = join_all(settling).await;
    apply_plans(places, run, &args, ready, planned.failed).await
}

/// Shows the plans, asks, and applies them, each place's concurrently with the others'.
async fn apply_plans(
    places: &Places,
    run: Run,
    args: &ApplyArgs,
    ready: Vec<Ready>,
    failed: Vec<FailedTarget>,
) -> Result<Outcome> {
    let ask = !args.dry_run && !args.auto_approve;
    let plans: Vec<Plan> = ready.iter().map(|ready| ready.plan.clone()).collect();
    print!(
        "{}",
        render_plans(places, &plans, &failed, Format::Text, run.style)
    );
    let changes = plans.iter().any(Plan::has_changes);
    let work = plans.iter().any(Plan::has_work);
    let planned_all = failed.is_empty();
    let mut unusable: Vec<String> = plans
        .iter()
        .flat_map(|plan| {
            let prefix = target_prefix(plan);
            apply::unusable_values(plan)
                .into_iter()
                .map(move |problem| format!("{prefix}{problem}"))
        })
        .collect();
    unusable.extend(past_prune_max(&plans, args.read.prune_max()));
    if !args.dry_run && !unusable.is_empty() {
        for problem in &unusable {
            eprintln!("error: {problem}");
        }
        eprintln!("error: nothing was sent to AWS");
        return Ok(Outcome::Failed);
    }
    if args.dry_run || !work {
        // A dry run exits as `plan` does, orphans left alone and unsettled grants included.
        let attention = args.dry_run && {
            let unsettled = unsettled(&plans, args.read.detailed_exitcode);
            unsettled || plans.iter().any(Plan::has_orphans)
        };
        return Ok(if planned_all {
            pending(changes || attention, args.read.detailed_exitcode)
        } else {
            Outcome::Failed
        });
    }
    if ask && !confirmed()? {
        return Ok(Outcome::Failed);
    }
    std::io::stdout().flush()?;
    let Some(first) = ready.first() else {
        return Ok(Outcome::Failed);
    };
    let stop = first.client.stop().clone();
    tokio::spawn(stop_on_interrupts(stop.clone()));
    let one = ready.len() == 1;
    let applying = ready
        .iter()
        .filter(|ready| ready.plan.has_work())
        .map(|ready| async move {
            let cost = apply::cost(&ready.plan);
            let minimum = ready.client.pacer().minimum(cost.updates, cost.calls);
            let prefix = target_prefix(&ready.plan);
            let bar = one && std::io::stderr().is_terminal();
            let mut progress = Progress::new(cost, ready.client.pacer(), bar, prefix.clone());
            let started = Instant::now();
            let mut show = |event: apply::Event<'_>| progress.show(event);
            let report = apply::apply(&ready.client, &ready.plan, &ready.markers, &mut show).await;
            progress.finish();
            let summary = render::report::summary(&report, started.elapsed(), minimum);
            for line in summary.lines() {
                eprintln!("{prefix}{line}");
            }
            report.succeeded()
        });
    let grace_over = async {
        stop.requested_now().await;
        tokio::time::sleep(INTERRUPT_GRACE).await;
    };
    let finished = tokio::select! {
        succeeded = join_all(applying) => Some(succeeded),
        () = grace_over => None,
    };
    let Some(succeeded) = finished else {
        eprintln!(
            "error: the changes in flight did not finish within {}s of the interrupt; \
             exiting. Run `tollgate plan` to see the state, then `tollgate apply` again.",
            INTERRUPT_GRACE.as_secs()
        );
        return Ok(Outcome::Failed);
    };
    if planned_all && succeeded.into_iter().all(|ok| ok) {
        Ok(pending(changes, args.read.detailed_exitcode))
    } else {
        Ok(Outcome::Failed)
    }
}

/// The first Ctrl-C or SIGTERM asks the apply to stop (no new change starts; changes in
/// flight finish); a second one exits at once.
async fn stop_on_interrupts(stop: Stop) {
    interrupt().await;
    eprintln!(
        "Interrupted: no new change starts; the changes in flight finish (at most {}s). \
         Interrupt again to exit at once.",
        INTERRUPT_GRACE.as_secs()
    );
    stop.request();
    interrupt().await;
    eprintln!("Interrupted again: exiting now. Run `tollgate plan` to see the state.");
    std::process::exit(130);
}

/// Completes at the next Ctrl-C (SIGINT) or SIGTERM.
async fn interrupt() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut terminate) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = terminate.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

/// Asks for `yes` on the terminal.
fn confirmed() -> Result<bool> {
    print!("\nDo you want to apply these changes? Only 'yes' will be accepted: ");
    std::io::stdout().flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    if answer.trim() == "yes" {
        Ok(true)
    } else {
        eprintln!("Apply cancelled; nothing was changed.");
        Ok(false)
    }
}

async fn export(places: &Places, pace: Pace, args: ExportArgs) -> Result<Outcome> {
    let [_] = places.places.as_slice() else {
        bail!(
            "export reads one target, and {} are selected; pass --target NAME",
            places.places.len()
        );
    };
    let connected = places::connect(places, pace).await?;
    let Some(Connected { client, .. }) = connected.into_iter().next() else {
        return Ok(Outcome::Failed);
    };
    let live: Vec<LivePlan> = client.list_plans().await?;
    let ids = live.iter().map(|plan| plan.id.clone()).collect();
    let keys = client.list_plan_keys(ids).await?;
    let names = export_names(&client).await;
    let empty = Default::default();
    let plans: Vec<ExportPlan> = live
        .iter()
        .map(|plan| ExportPlan {
            plan,
            keys: keys.get(&plan.id).unwrap_or(&empty),
        })
        .collect();
    match &args.out {
        None => {
            let document = spec::export::document(&plans, &names)?;
            // YAML has no escape for `##[` or a bidirectional override that every reader
            // honours; files are not read as commands, a log is.
            if let Some(line) = tollgate::inert::first_active_line(&document) {
                bail!(
                    "export: line {line} of the YAML holds text from AWS that a terminal or a CI \
                     log would act on (a control, bidirectional or invisible character, `##[`, \
                     or `::` at the start of a line), so it is not printed; write the files \
                     with `tollgate export --out DIR` and read them there"
                );
            }
            print!("{document}");
        }
        Some(dir) => write_export(dir, spec::export::files(&plans, &names)?, args.force)?,
    }
    Ok(Outcome::Done)
}

/// The names export may write instead of ids; ids alone, with a warning, when the account's
/// REST APIs or keys cannot be listed (a role without GetRestApis or GetApiKeys).
async fn export_names(client: &LiveClient) -> Names {
    let apis = client.list_rest_apis().await;
    let keys = client.list_api_keys().await;
    match (apis, keys) {
        (Ok(apis), Ok(keys)) => {
            let keys: Vec<Named> = keys.iter().map(LiveApiKey::named).collect();
            Names::unique(&apis, &keys)
        }
        (Err(error), _) | (_, Err(error)) => {
            eprintln!(
                "warning: cannot list the REST APIs and API keys for their names ({error}); \
                 writing ids. Allow GetRestApis and GetApiKeys to export names."
            );
            Names::default()
        }
    }
}

/// Writes exported files, refusing (before writing any) to overwrite one without `force`.
fn write_export(dir: &Path, files: Vec<(String, String)>, force: bool) -> Result<()> {
    if !force {
        let existing: Vec<String> = files
            .iter()
            .map(|(name, _)| dir.join(name))
            .filter(|path| path.exists())
            .map(|path| path.display().to_string())
            .collect();
        if !existing.is_empty() {
            bail!(
                "{} already exist: {}; pass --force to overwrite them. Nothing was written.",
                count_of(existing.len(), "file", "files"),
                existing.join(", ")
            );
        }
    }
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    for (name, text) in &files {
        let path = dir.join(name);
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
    }
    eprintln!(
        "Wrote {} to {}.",
        count_of(files.len(), "file", "files"),
        dir.display()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_parse_by_their_lowercase_names() {
        for (name, format) in [
            ("text", Format::Text),
            ("markdown", Format::Markdown),
            ("json", Format::Json),
        ] {
            assert_eq!(
                FormatArg::from_str(name, false).map(FormatArg::view),
                Ok(Some(format))
            );
        }
    }
}
