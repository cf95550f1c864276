//! What an apply shows on stderr as it runs: on a terminal, a progress bar with the changes
//! done of the total, the change in flight and an estimate from the pacing; without one, a
//! plain line per completed change. Failures are printed as they happen.

use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use tollgate::apply::{Applied, Cost, Done, Event};
use tollgate::live::Pacer;
use tollgate::render::report::{applied_line, duration};

/// The apply's progress view.
pub struct Progress<'a> {
    /// The bar, on a terminal.
    bar: Option<ProgressBar>,
    pacer: &'a Pacer,
    /// UpdateUsagePlan calls and calls in all that are still to make.
    left: Cost,
    /// What each printed line starts with (`target prod-us: `), or nothing.
    prefix: String,
}

impl<'a> Progress<'a> {
    /// A view of an apply costing `cost`, paced by `pacer`; a bar when `on_terminal`; each
    /// printed line starts with `prefix`.
    pub fn new(cost: Cost, pacer: &'a Pacer, on_terminal: bool, prefix: String) -> Self {
        let bar = on_terminal.then(|| {
            let bar = ProgressBar::new(cost.changes as u64);
            let template = "{pos}/{len} changes [{bar:30}] {elapsed} {msg}";
            if let Ok(style) = ProgressStyle::with_template(template) {
                bar.set_style(style.progress_chars("=> "));
            }
            bar.enable_steady_tick(Duration::from_millis(250));
            bar
        });
        Progress {
            bar,
            pacer,
            left: cost,
            prefix,
        }
    }

    /// Shows one event of the apply.
    pub fn show(&mut self, event: Event<'_>) {
        match event {
            Event::Started(change) => {
                if let Some(bar) = &self.bar {
                    bar.set_message(format!(
                        "{}; now: {}",
                        self.estimate(),
                        applied_line(change)
                    ));
                }
            }
            Event::Completed(change) => {
                self.count(change);
                self.print(applied_line(change));
                if let Some(bar) = &self.bar {
                    bar.inc(1);
                    bar.set_message(self.estimate());
                }
            }
            Event::Failed(error) => {
                self.print(format!("error: {error}"));
                if let Some(bar) = &self.bar {
                    bar.inc(1);
                }
            }
        }
    }

    /// Removes the bar, leaving the printed lines.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }

    /// Counts a completed change's calls as made.
    fn count(&mut self, change: &Applied) {
        let updates = usize::from(matches!(change.done, Done::Updated { .. }));
        let calls = change.done.calls();
        self.left.updates = self.left.updates.saturating_sub(updates);
        self.left.calls = self.left.calls.saturating_sub(calls);
    }

    /// The least time left, as the pacing allows it.
    fn estimate(&self) -> String {
        let left = self.pacer.minimum(self.left.updates + 1, self.left.calls);
        format!("at least {} left", duration(left))
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
