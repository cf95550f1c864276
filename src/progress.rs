//! What an apply shows on stderr as it runs: on a terminal, a progress bar with the changes
//! made of the total, the least time left as the pacing allows it (counting down through
//! quota waits) and the step in flight; without one, a plain line per completed step.
//! Failures are printed as they happen.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressState, ProgressStyle};
use tollgate::apply::{Cost, Event};
use tollgate::live::{Pacer, Reserved};
use tollgate::render::report::{applied_line, duration, InFlight};

/// What the bar shows after its counts, read at each of its ticks.
#[derive(Debug)]
struct Status {
    /// When the pacing allows the apply to be done at the earliest.
    done_by: Instant,
    /// The `now:` part: the step in flight, if any.
    now: Option<String>,
}

/// The apply's progress view.
pub struct Progress<'a> {
    /// The bar, on a terminal.
    bar: Option<ProgressBar>,
    pacer: &'a Pacer,
    /// What the whole apply costs.
    cost: Cost,
    /// The pacer's count of reserved calls when the apply started.
    since: Reserved,
    in_flight: InFlight,
    status: Arc<Mutex<Status>>,
    /// What each printed line starts with (`target prod-us: `), or nothing.
    prefix: String,
}

impl<'a> Progress<'a> {
    /// A view of an apply costing `cost`, paced by `pacer`; a bar when `on_terminal`; each
    /// printed line starts with `prefix`.
    pub fn new(cost: Cost, pacer: &'a Pacer, on_terminal: bool, prefix: String) -> Self {
        // A terminal that cannot move the cursor (TERM unset or `dumb`) gets the plain lines:
        // the bar would hide them.
        let on_terminal = on_terminal
            && std::env::var("TERM").is_ok_and(|term| !term.is_empty() && term != "dumb");
        let since = pacer.reserved();
        let status = Arc::new(Mutex::new(Status {
            done_by: Instant::now() + pacer.time_left(since, cost.updates, cost.calls),
            now: None,
        }));
        let bar = on_terminal.then(|| {
            let bar = ProgressBar::new(cost.changes as u64);
            let shown = Arc::clone(&status);
            let template = "{pos}/{len} changes [{bar:30}] {elapsed} {status}";
            if let Ok(style) = ProgressStyle::with_template(template) {
                let style = style.progress_chars("=> ").with_key(
                    "status",
                    move |_: &ProgressState, out: &mut dyn std::fmt::Write| {
                        let status = lock(&shown);
                        let left = status.done_by.saturating_duration_since(Instant::now());
                        let _ = write!(out, "at least {} left", duration(rounded(left)));
                        if let Some(now) = &status.now {
                            let _ = write!(out, "; {now}");
                        }
                    },
                );
                bar.set_style(style);
            }
            bar.enable_steady_tick(Duration::from_millis(250));
            bar
        });
        Progress {
            bar,
            pacer,
            cost,
            since,
            in_flight: InFlight::default(),
            status,
            prefix,
        }
    }

    /// Shows one event of the apply.
    pub fn show(&mut self, event: Event<'_>) {
        self.in_flight.follow(event);
        {
            let mut status = lock(&self.status);
            status.now = self.in_flight.now();
            let left = self
                .pacer
                .time_left(self.since, self.cost.updates, self.cost.calls);
            status.done_by = Instant::now() + left;
        }
        match event {
            Event::Started(_) => {}
            Event::Completed { step, change_made } => {
                self.print(applied_line(step));
                if let (Some(bar), true) = (&self.bar, change_made) {
                    bar.inc(1);
                }
            }
            Event::Failed(failure) => {
                self.print(format!("error: {}", failure.error));
                if let Some(bar) = &self.bar {
                    bar.inc(1);
                }
            }
        }
        if let Some(bar) = &self.bar {
            bar.tick();
        }
    }

    /// Removes the bar, leaving the printed lines.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }

    /// Prints a line above the bar, or on its own without one.
    fn print(&self, line: String) {
        let line = format!("{}{line}", self.prefix);
        match &self.bar {
            Some(bar) => bar.println(line),
            None => eprintln!("{line}"),
        }
    }
}

/// The status, even if a tick panicked while holding it (its fields stay whole).
fn lock(status: &Mutex<Status>) -> MutexGuard<'_, Status> {
    status
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A time left to the tenth of a second, so that the line does not flicker in milliseconds.
fn rounded(left: Duration) -> Duration {
    Duration::from_millis(left.as_millis().div_ceil(100) as u64 * 100)
}
