//! Views of an apply as it runs: one line per change, and the closing summary.

use std::time::Duration;

use super::human::{count_of, printable};
use crate::apply::{Applied, ApplyReport, Done, Event, Failure};

/// The line of a change: `Gold (ywbqww): added key k1` (`Trial (new)` before its create).
pub fn applied_line(applied: &Applied) -> String {
    let what = match &applied.done {
        Done::Created | Done::ApiKeyCreated => "created".to_string(),
        Done::Deleted | Done::ApiKeyDeleted => "deleted".to_string(),
        Done::ApiKeyUpdated { operations } | Done::Updated { operations, .. } => format!(
            "updated ({})",
            count_of(*operations, "operation", "operations")
        ),
        Done::KeyAdded(key) => format!("added key {key}"),
        Done::KeyRemoved(key) => format!("removed key {key}"),
        Done::KeyMoved {
            key,
            from_plan,
            from_id,
        } => match from_id {
            Some(from_id) => format!("moved key {key} here from \"{from_plan}\" ({from_id})"),
            None => format!("moved key {key} here from \"{from_plan}\""),
        },
        Done::TagsSet(count) => format!("set {}", count_of(*count, "tag", "tags")),
        Done::TagsRemoved(count) => format!("removed {}", count_of(*count, "tag", "tags")),
        Done::Granted {
            grant_id,
            key,
            remaining,
        } => format!("granted {grant_id} to key {key}: remaining = {remaining}"),
    };
    let id = applied.id.as_deref().unwrap_or("new");
    printable(&format!("{} ({id}): {what}", applied.plan)).into_owned()
}

/// The line of a step in flight, in the words of what it is doing:
/// `Gold (ywbqww): updating its quota and throttle`, `Gold (ywbqww): adding key acme (k3y)`.
pub fn doing_line(applied: &Applied) -> String {
    let doing = match &applied.done {
        Done::Created => "creating the plan".to_string(),
        Done::ApiKeyCreated => "creating the key".to_string(),
        Done::Deleted => "deleting the plan".to_string(),
        Done::ApiKeyDeleted => "deleting the key".to_string(),
        Done::Updated { parts, .. } if !parts.is_empty() => {
            format!("updating its {}", listed(parts))
        }
        Done::Updated { operations, .. } => format!(
            "updating the plan ({})",
            count_of(*operations, "operation", "operations")
        ),
        Done::ApiKeyUpdated { operations } => format!(
            "updating the key ({})",
            count_of(*operations, "operation", "operations")
        ),
        Done::KeyAdded(key) => format!("adding key {key}"),
        Done::KeyRemoved(key) => format!("removing key {key}"),
        Done::KeyMoved {
            key,
            from_plan,
            from_id,
        } => match from_id {
            Some(from_id) => format!("moving key {key} here from \"{from_plan}\" ({from_id})"),
            None => format!("moving key {key} here from \"{from_plan}\""),
        },
        Done::TagsSet(count) => format!("setting {}", count_of(*count, "tag", "tags")),
        Done::TagsRemoved(count) => format!("removing {}", count_of(*count, "tag", "tags")),
        Done::Granted {
            grant_id,
            key,
            remaining,
        } => format!("granting {grant_id} to key {key}: remaining = {remaining}"),
    };
    let id = applied.id.as_deref().unwrap_or("new");
    printable(&format!("{} ({id}): {doing}", applied.plan)).into_owned()
}

/// `a`, `a and b`, `a, b and c`.
fn listed(parts: &[&str]) -> String {
    match parts {
        [] => String::new(),
        [one] => (*one).to_string(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// The steps of an apply in flight, followed from its events: what a progress line names
/// as `now:`.
#[derive(Debug, Default)]
pub struct InFlight(Vec<Applied>);

impl InFlight {
    /// Follows one event of the apply: a step starts, or completes or fails.
    pub fn follow(&mut self, event: Event<'_>) {
        let ended = match event {
            Event::Started(step) => {
                self.0.push(step.clone());
                return;
            }
            Event::Completed { step, .. } => step.step,
            Event::Failed(failure) => failure.step.step,
        };
        self.0.retain(|step| step.step != ended);
    }

    /// `now: Gold (ywbqww): updating its quota`, naming the step in flight the longest
    /// (`(+2 more)` when others are too); `None` when none is.
    pub fn now(&self) -> Option<String> {
        let first = self.0.first()?;
        let more = match self.0.len() - 1 {
            0 => String::new(),
            others => format!(" (+{others} more)"),
        };
        Some(format!("now: {}{more}", doing_line(first)))
    }
}

/// A duration as people read it: `850ms`, `12.3s`, `4m 05s`.
pub fn duration(duration: Duration) -> String {
    let seconds = duration.as_secs_f64();
    if seconds < 1.0 {
        format!("{}ms", duration.as_millis())
    } else if seconds < 60.0 {
        format!("{seconds:.1}s")
    } else {
        let whole = duration.as_secs();
        format!("{}m {:02}s", whole / 60, whole % 60)
    }
}

/// The closing lines: what was made, what failed, was skipped or not started, how long it
/// took beside the least time AWS's quotas allow, and what to do. Counted in changes
/// ([`crate::apply::Cost::changes`]). A change AWS refused is listed with AWS's message, apart
/// from the failures that running apply again can finish.
pub fn summary(report: &ApplyReport, took: Duration, minimum: Duration) -> String {
    let made = count_of(report.made, "change", "changes");
    let timing = if minimum.is_zero() {
        format!("in {}", duration(took))
    } else {
        format!(
            "in {} (AWS's quotas allow no less than {})",
            duration(took),
            duration(minimum)
        )
    };
    if report.succeeded() {
        return format!("Apply complete: {made} made {timing}.");
    }
    let title = if report.interrupted {
        "Apply interrupted"
    } else {
        "Apply incomplete"
    };
    let mut summary = format!("{title}: {made} made");
    if !report.failed.is_empty() {
        summary.push_str(&format!(", {} failed", report.failed.len()));
    }
    if report.skipped > 0 {
        summary.push_str(&format!(
            ", {} skipped (they depend on a failed change)",
            report.skipped
        ));
    }
    if report.not_started > 0 {
        summary.push_str(&format!(", {} not started", report.not_started));
    }
    let (refused, unfinished): (Vec<&Failure>, Vec<&Failure>) =
        report.failed.iter().partition(|failure| failure.refused());
    if refused.is_empty() {
        summary.push_str(&format!(" {timing}; run `tollgate apply` again to finish."));
        return summary;
    }
    summary.push_str(&format!(" {timing}."));
    summary.push_str(&format!(
        "\nAWS refused {}; running `tollgate apply` again will not help until the YAML or the \
         account changes:",
        count_of(refused.len(), "change", "changes")
    ));
    for failure in refused {
        summary.push_str(&format!("\n  {}", failure_line(failure)));
    }
    if !unfinished.is_empty() || report.not_started > 0 {
        summary.push_str("\nA new run can finish these:");
        for failure in unfinished {
            summary.push_str(&format!("\n  {}", failure_line(failure)));
        }
        if report.not_started > 0 {
            summary.push_str(&format!(
                "\n  {} not started",
                count_of(report.not_started, "change", "changes")
            ));
        }
    }
    summary
}

/// `Gold (ywbqww): updating its quota: BadRequestException (HTTP 400): ...`.
fn failure_line(failure: &Failure) -> String {
    let detail = printable(&failure.error.detail).into_owned();
    format!("{}: {detail}", doing_line(&failure.step))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::{AwsError, AwsErrorKind};

    fn applied(done: Done) -> Applied {
        Applied {
            step: 0,
            plan: "Gold".into(),
            id: Some("ywbqww".into()),
            done,
        }
    }

    #[test]
    fn each_kind_of_change_has_its_line() {
        let cases = [
            (Done::Created, "Gold (ywbqww): created"),
            (
                Done::Updated {
                    operations: 1,
                    parts: vec!["quota"],
                },
                "Gold (ywbqww): updated (1 operation)",
            ),
            (Done::KeyAdded("k1".into()), "Gold (ywbqww): added key k1"),
            (
                Done::KeyRemoved("k1".into()),
                "Gold (ywbqww): removed key k1",
            ),
            (
                Done::KeyMoved {
                    key: "k1".into(),
                    from_plan: "Silver".into(),
                    from_id: Some("s1".into()),
                },
                "Gold (ywbqww): moved key k1 here from \"Silver\" (s1)",
            ),
            (Done::TagsSet(2), "Gold (ywbqww): set 2 tags"),
            (Done::TagsRemoved(1), "Gold (ywbqww): removed 1 tag"),
            (
                Done::Granted {
                    grant_id: "SUP-1".into(),
                    key: "k1".into(),
                    remaining: 50,
                },
                "Gold (ywbqww): granted SUP-1 to key k1: remaining = 50",
            ),
        ];
        for (done, line) in cases {
            assert_eq!(applied_line(&applied(done)), line);
        }
        let creating = Applied {
            id: None,
            ..applied(Done::Created)
        };
        assert_eq!(applied_line(&creating), "Gold (new): created");
        let from_unknown = applied(Done::KeyMoved {
            key: "k1".into(),
            from_plan: "Silver".into(),
            from_id: None,
        });
        assert_eq!(
            applied_line(&from_unknown),
            "Gold (ywbqww): moved key k1 here from \"Silver\""
        );
    }

    #[test]
    fn durations_read_as_people_write_them() {
        assert_eq!(duration(Duration::from_millis(850)), "850ms");
        assert_eq!(duration(Duration::from_millis(12_340)), "12.3s");
        assert_eq!(duration(Duration::from_secs(245)), "4m 05s");
    }

    #[test]
    fn a_step_in_flight_is_told_by_what_it_is_doing() {
        let update = |parts: Vec<&'static str>| {
            doing_line(&applied(Done::Updated {
                operations: 3,
                parts,
            }))
        };
        assert_eq!(
            update(vec!["quota", "throttle", "stages"]),
            "Gold (ywbqww): updating its quota, throttle and stages"
        );
        assert_eq!(
            update(vec![]),
            "Gold (ywbqww): updating the plan (3 operations)"
        );
        assert_eq!(
            doing_line(&applied(Done::KeyAdded("acme (k1)".into()))),
            "Gold (ywbqww): adding key acme (k1)"
        );
        assert_eq!(
            doing_line(&applied(Done::TagsSet(2))),
            "Gold (ywbqww): setting 2 tags"
        );
    }

    #[test]
    fn now_names_the_oldest_step_in_flight_and_never_a_finished_one() {
        let step = |step: usize, done: Done| Applied {
            step,
            ..applied(done)
        };
        let update = step(
            0,
            Done::Updated {
                operations: 1,
                parts: vec!["quota"],
            },
        );
        let tags = step(1, Done::TagsSet(1));
        let mut in_flight = InFlight::default();
        assert_eq!(in_flight.now(), None);
        in_flight.follow(Event::Started(&update));
        in_flight.follow(Event::Started(&tags));
        assert_eq!(
            in_flight.now().as_deref(),
            Some("now: Gold (ywbqww): updating its quota (+1 more)")
        );
        in_flight.follow(Event::Completed {
            step: &update,
            change_made: true,
        });
        assert_eq!(
            in_flight.now().as_deref(),
            Some("now: Gold (ywbqww): setting 1 tag")
        );
        in_flight.follow(Event::Failed(&Failure {
            step: tags,
            error: error(AwsErrorKind::Server),
        }));
        assert_eq!(in_flight.now(), None);
    }

    fn error(kind: AwsErrorKind) -> AwsError {
        AwsError {
            operation: "UpdateUsagePlan",
            plan: None,
            kind,
            detail: format!("{kind:?} (HTTP 4xx): boom"),
        }
    }

    #[test]
    fn the_summary_counts_made_failed_skipped_and_not_started() {
        let second = Duration::from_secs(1);
        let mut report = ApplyReport {
            made: 1,
            ..ApplyReport::default()
        };
        assert_eq!(
            summary(&report, 3 * second, Duration::ZERO),
            "Apply complete: 1 change made in 3.0s."
        );
        assert_eq!(
            summary(&report, 41 * second, 40 * second),
            "Apply complete: 1 change made in 41.0s (AWS's quotas allow no less than 40.0s)."
        );
        report.failed.push(Failure {
            step: applied(Done::Created),
            error: error(AwsErrorKind::Server),
        });
        report.skipped = 2;
        assert_eq!(
            summary(&report, 3 * second, Duration::ZERO),
            "Apply incomplete: 1 change made, 1 failed, 2 skipped (they depend on a failed \
             change) in 3.0s; run `tollgate apply` again to finish."
        );
        let interrupted = ApplyReport {
            not_started: 4,
            interrupted: true,
            ..ApplyReport::default()
        };
        assert_eq!(
            summary(&interrupted, 3 * second, Duration::ZERO),
            "Apply interrupted: 0 changes made, 4 not started in 3.0s; run `tollgate apply` \
             again to finish."
        );
    }

    #[test]
    fn a_refusal_is_told_apart_from_what_a_new_run_can_finish() {
        let second = Duration::from_secs(1);
        let mut report = ApplyReport {
            made: 2,
            skipped: 1,
            ..ApplyReport::default()
        };
        report.failed.push(Failure {
            step: applied(Done::KeyAdded("acme (k1)".into())),
            error: error(AwsErrorKind::Conflict),
        });
        assert_eq!(
            summary(&report, 3 * second, Duration::ZERO),
            "Apply incomplete: 2 changes made, 1 failed, 1 skipped (they depend on a failed \
             change) in 3.0s.\n\
             AWS refused 1 change; running `tollgate apply` again will not help until the YAML \
             or the account changes:\n  \
             Gold (ywbqww): adding key acme (k1): Conflict (HTTP 4xx): boom"
        );
        report.failed.push(Failure {
            step: applied(Done::TagsSet(1)),
            error: error(AwsErrorKind::Throttled),
        });
        report.not_started = 1;
        let text = summary(&report, 3 * second, Duration::ZERO);
        assert!(
            text.ends_with(
                "\nA new run can finish these:\n  \
                 Gold (ywbqww): setting 1 tag: Throttled (HTTP 4xx): boom\n  \
                 1 change not started"
            ),
            "{text}"
        );
        assert!(!text.contains("again to finish"), "{text}");
    }
}
