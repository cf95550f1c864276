//! The command line: clap definitions and one function per command.

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use clap::{Args, Parser, Subcommand, ValueEnum};

use tollgate::apply::{self, CreationMarkers};
use tollgate::live::{Connection, LiveClient, Pace, Stop};
use tollgate::model::{DesiredPlan, LiveKeys, LivePlan};
use tollgate::plan::Plan;
use tollgate::reconcile::{self, Matching, PlanOptions};
use tollgate::render::{self, count_of, Format, Style};
use tollgate::resolve;
use tollgate::saved::{self, Inputs, SavedPlan};
use tollgate::spec::export::{ExportPlan, Names};
use tollgate::spec::{self, SpecError, SpecErrors};

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
    /// Send AWS requests (API Gateway's, and STS's for saved plans) to this URL, as
    /// AWS_ENDPOINT_URL does; AWS_ENDPOINT_URL_API_GATEWAY redirects API Gateway alone.
    #[arg(long, global = true)]
    endpoint_url: Option<String>,
    /// How fast to call AWS: `aws` (inside AWS's account quotas), `aws:F` (those quotas F
    /// times faster: an emulator, raised quotas) or `none`.
    #[arg(long, global = true, env = "TOLLGATE_PACE", default_value = "aws")]
    pace: Pace,
    /// When to colour output; never when NO_COLOR is set.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
    /// Print what was read and how long it took on stderr.
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
}

impl From<FormatArg> for Format {
    fn from(format: FormatArg) -> Self {
        match format {
            FormatArg::Text => Format::Text,
            FormatArg::Markdown => Format::Markdown,
            FormatArg::Json => Format::Json,
        }
    }
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check the YAML offline; no AWS call.
    Validate(PathsArg),
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
    /// YAML files or folders (every *.yaml / *.yml below a folder); for `apply`, a single
    /// saved plan file (any name not ending in .yaml or .yml) instead.
    #[arg(default_value = "plans")]
    paths: Vec<PathBuf>,
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
        };
        let connection = Connection {
            region: self.region.clone(),
            profile: self.profile.clone(),
            endpoint_url: self.endpoint_url.clone(),
        };
        let verbose = self.verbose;
        let pace = self.pace;
        match self.command {
            Command::Validate(args) => validate(&args),
            Command::Plan(args) => plan(&connection, pace, args, style, verbose).await,
            Command::Show(args) => show(&args, style),
            Command::Apply(args) => apply_command(&connection, pace, args, style, verbose).await,
            Command::Export(args) => export(&connection, pace, args).await,
            Command::Schema => {
                println!("{}", spec::json_schema()?);
                Ok(Outcome::Done)
            }
        }
    }
}

/// Loads the YAML, printing every error in `PATH:LINE:COLUMN: message` form.
fn load_desired(paths: &[PathBuf]) -> Option<Vec<DesiredPlan>> {
    spec::load(paths)
        .map_err(|errors| report_errors(&errors, "in the YAML"))
        .ok()
}

/// Prints located errors, one a line, and a closing line saying nothing was sent.
fn report_errors(errors: &SpecErrors, what: &str) {
    eprintln!("{errors}");
    eprintln!(
        "error: {} {what}; nothing was sent to AWS",
        count_of(errors.0.len(), "error", "errors")
    );
}

fn validate(args: &PathsArg) -> Result<Outcome> {
    let Some(plans) = load_desired(&args.paths) else {
        return Ok(Outcome::Failed);
    };
    println!(
        "{} valid.",
        count_of(plans.len(), "usage plan", "usage plans")
    );
    Ok(Outcome::Done)
}

/// What a plan is made from: the YAML, the live state, how they match, and the options.
struct PlanInputs {
    client: LiveClient,
    desired: Vec<DesiredPlan>,
    live: Vec<LivePlan>,
    matching: Matching,
    live_keys: LiveKeys,
    options: PlanOptions,
}

impl PlanInputs {
    /// The plan these inputs give.
    fn plan(&self) -> Plan {
        reconcile::build_plan(
            self.client.region(),
            &self.desired,
            &self.live,
            &self.matching,
            &self.live_keys,
            &self.options,
        )
    }
}

/// Loads the YAML, reads the live state and builds the plan; `None` after reported errors.
async fn make_plan(
    connection: &Connection,
    pace: Pace,
    args: &ReadArgs,
    verbose: bool,
) -> Result<Option<(LiveClient, Plan, CreationMarkers)>> {
    let Some(inputs) = read_inputs(connection, pace, args, verbose).await? else {
        return Ok(None);
    };
    let plan = inputs.plan();
    Ok(Some((inputs.client, plan, CreationMarkers::new())))
}

/// Loads the YAML and reads the live state a plan is made from; `None` after reported errors.
async fn read_inputs(
    connection: &Connection,
    pace: Pace,
    args: &ReadArgs,
    verbose: bool,
) -> Result<Option<PlanInputs>> {
    let Some(mut desired) = load_desired(&args.paths.paths) else {
        return Ok(None);
    };
    let client = LiveClient::connect(connection, pace).await?;
    let started = Instant::now();
    let mut unresolved = Vec::new();
    if desired.iter().any(|plan| !plan.named_stages.is_empty()) {
        let apis = client.list_rest_apis().await?;
        unresolved.extend(resolve::api_names(&mut desired, &apis, client.region()).err());
    }
    if desired.iter().any(|plan| !plan.named_keys.is_empty()) {
        let keys = client.list_api_keys().await?;
        unresolved.extend(resolve::key_names(&mut desired, &keys, client.region()).err());
    }
    if !unresolved.is_empty() {
        let errors = resolve::in_file_order(unresolved.into_iter().flatten().collect());
        eprintln!("{}", SpecErrors(errors.clone()));
        eprintln!(
            "error: {} resolving the YAML's names; nothing was written to AWS",
            count_of(errors.len(), "error", "errors")
        );
        return Ok(None);
    }
    let live = client.list_plans().await?;
    let matching = match reconcile::match_plans(&desired, &live) {
        Ok(matching) => matching,
        Err(errors) => {
            let located = errors
                .iter()
                .map(|error| SpecError {
                    location: Some(error.location().clone()),
                    message: error.to_string(),
                })
                .collect();
            report_errors(&SpecErrors(located), "matching the YAML to the live plans");
            return Ok(None);
        }
    };
    let live_keys = client
        .list_plan_keys(matching.plans_needing_keys(&desired, &live))
        .await?;
    if verbose {
        eprintln!(
            "read {} and the keys of {} in {:.2?}",
            count_of(live.len(), "usage plan", "usage plans"),
            count_of(live_keys.len(), "plan", "plans"),
            started.elapsed()
        );
    }
    let options = PlanOptions {
        retry_pending_grants: args.retry_pending_grants,
    };
    Ok(Some(PlanInputs {
        client,
        desired,
        live,
        matching,
        live_keys,
        options,
    }))
}

/// The outcome of a successful plan: changes pending or not, as --detailed-exitcode asks.
fn pending(plan: &Plan, detailed: bool) -> Outcome {
    if detailed && plan.has_changes() {
        Outcome::Changes
    } else {
        Outcome::Done
    }
}

async fn plan(
    connection: &Connection,
    pace: Pace,
    args: PlanArgs,
    style: Style,
    verbose: bool,
) -> Result<Outcome> {
    if args.out.is_some() && args.read.retry_pending_grants {
        bail!(
            "--retry-pending-grants cannot be saved with --out: a pending grant may have been \
             granted already, so retrying it is decided right before applying, after checking the \
             key's usage; run `tollgate apply --retry-pending-grants` on the YAML instead. Nothing \
             was read or written."
        );
    }
    if let Some(path) = args.out.as_deref().filter(|path| saved::is_yaml(path)) {
        bail!(
            "--out {}: a saved plan's name must not end in .yaml or .yml, which `apply` reads as YAML; choose another, such as tollgate.plan. Nothing was read or written.",
            path.display()
        );
    }
    let Some(inputs) = read_inputs(connection, pace, &args.read, verbose).await? else {
        return Ok(Outcome::Failed);
    };
    let plan = inputs.plan();
    if let Some(path) = &args.out {
        let account = inputs.client.account_id().await?;
        let context = saved::Context::here(account, inputs.client.endpoint_url());
        let saved = SavedPlan::new(
            &plan,
            Inputs {
                desired: &inputs.desired,
                live: &inputs.live,
                matching: &inputs.matching,
                live_keys: &inputs.live_keys,
            },
            context,
        );
        saved.write(path)?;
        eprintln!(
            "Saved the plan to {}; `tollgate apply {}` applies exactly these changes.",
            path.display(),
            path.display()
        );
    }
    print!("{}", render::render(&plan, args.format.into(), style));
    Ok(pending(&plan, args.read.detailed_exitcode))
}

/// `show FILE`: renders a saved plan as `plan` printed it; no AWS call.
fn show(args: &ShowArgs, style: Style) -> Result<Outcome> {
    let saved = SavedPlan::read(&args.file)?;
    print!("{}", render::render(&saved.plan, args.format.into(), style));
    Ok(Outcome::Done)
}

/// `apply FILE`: the live client and the plan of what a saved plan has left to do, after
/// checking that it was made here and is not stale; `None` after a reported error.
async fn saved_plan(
    connection: &Connection,
    pace: Pace,
    file: &Path,
    args: &ReadArgs,
) -> Result<Option<(LiveClient, Plan, CreationMarkers)>> {
    if args.retry_pending_grants {
        eprintln!(
            "error: --retry-pending-grants cannot be used with a saved plan: a grant pending now may have been granted by an earlier apply of {}; check the key's usage, then run `tollgate apply --retry-pending-grants` on the YAML. Nothing was sent to AWS.",
            file.display()
        );
        return Ok(None);
    }
    let saved = SavedPlan::read(file)?;
    let context = &saved.saved.context;
    eprintln!(
        "Saved plan {}: account {}, region {}, made by tollgate {}{}.",
        file.display(),
        context.account,
        saved.region,
        context.tollgate_version,
        context
            .git_commit
            .as_deref()
            .map(|commit| format!(" at commit {commit}"))
            .unwrap_or_default()
    );
    Ok(Some(saved::resume(connection, pace, &saved, file).await?))
}

async fn apply_command(
    connection: &Connection,
    pace: Pace,
    args: ApplyArgs,
    style: Style,
    verbose: bool,
) -> Result<Outcome> {
    let ask = !args.dry_run && !args.auto_approve;
    if ask && !std::io::stdin().is_terminal() {
        eprintln!(
            "error: apply asks for confirmation on a terminal, and there is none; pass --auto-approve to apply without asking. Nothing was sent to AWS."
        );
        return Ok(Outcome::Failed);
    }
    // A saved plan (`apply FILE`) or the YAML gives the plan; the rest is the same.
    let made = match saved::saved_plan_path(&args.read.paths.paths) {
        Some(file) => saved_plan(connection, pace, file, &args.read).await?,
        None => make_plan(connection, pace, &args.read, verbose).await?,
    };
    let Some((client, plan, markers)) = made else {
        return Ok(Outcome::Failed);
    };
    print!("{}", render::text::render(&plan, style));
    if args.dry_run || !plan.has_changes() {
        return Ok(pending(&plan, args.read.detailed_exitcode));
    }
    if ask && !confirmed()? {
        return Ok(Outcome::Failed);
    }
    std::io::stdout().flush()?;
    tokio::spawn(stop_on_interrupts(client.stop().clone()));
    let cost = apply::cost(&plan);
    let minimum = client.pacer().minimum(cost.updates, cost.calls);
    let mut progress = Progress::new(cost, client.pacer(), std::io::stderr().is_terminal());
    let started = Instant::now();
    let mut show = |event: apply::Event<'_>| progress.show(event);
    let applying = apply::apply(&client, &plan, &markers, &mut show);
    let grace_over = async {
        client.stop().requested_now().await;
        tokio::time::sleep(INTERRUPT_GRACE).await;
    };
    let finished = tokio::select! {
        report = applying => Some(report),
        () = grace_over => None,
    };
    progress.finish();
    let Some(report) = finished else {
        eprintln!(
            "error: the changes in flight did not finish within {}s of the interrupt; \
             exiting. Run `tollgate plan` to see the state, then `tollgate apply` again.",
            INTERRUPT_GRACE.as_secs()
        );
        return Ok(Outcome::Failed);
    };
    eprintln!(
        "{}",
        render::report::summary(&report, started.elapsed(), minimum)
    );
    if report.succeeded() {
        Ok(pending(&plan, args.read.detailed_exitcode))
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

async fn export(connection: &Connection, pace: Pace, args: ExportArgs) -> Result<Outcome> {
    let client = LiveClient::connect(connection, pace).await?;
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
        None => print!("{}", spec::export::document(&plans, &names)?),
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
        (Ok(apis), Ok(keys)) => Names::unique(&apis, &keys),
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
                FormatArg::from_str(name, false).map(Format::from),
                Ok(format)
            );
        }
    }
}
