//! Views of an apply as it runs: one line per change, and the closing summary.

use std::time::Duration;

use super::human::{count_of, printable};
use crate::apply::{Applied, ApplyReport, Done};

/// The line of a change: `Gold (ywbqww): added key k1` (`Trial (new)` before its create).
pub fn applied_line(applied: &Applied) -> String {
    let what = match &applied.done {
        Done::Created | Done::ApiKeyCreated => "created".to_string(),
        Done::Deleted | Done::ApiKeyDeleted => "deleted".to_string(),
        Done::ApiKeyUpdated { operations } | Done::Updated { operations } => format!(
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

/// The closing line: what was made, what failed, was skipped or not started, how long it
/// took beside the least time AWS's quotas allow, and what to do.
pub fn summary(report: &ApplyReport, took: Duration, minimum: Duration) -> String {
    let made = count_of(report.applied.len(), "change", "changes");
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
    summary.push_str(&format!(" {timing}; run `tollgate apply` again to finish."));
    summary
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::{AwsError, AwsErrorKind};

    fn applied(done: Done) -> Applied {
        Applied {
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
                Done::Updated { operations: 1 },
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
    fn the_summary_counts_made_failed_skipped_and_not_started() {
        let second = Duration::from_secs(1);
        let mut report = ApplyReport {
            applied: vec![applied(Done::Created)],
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
        report.failed.push(AwsError {
            operation: "UpdateUsagePlan",
            plan: None,
            kind: AwsErrorKind::Server,
            detail: "boom".into(),
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
}
