//! Views of an apply as it runs: one line per completed change, and the closing summary.

use super::human::count_of;
use crate::apply::{Applied, ApplyReport, Done};

/// The progress line of a completed change: `Gold (ywbqww): added key k1`.
pub fn applied_line(applied: &Applied) -> String {
    let what = match &applied.done {
        Done::Created => "created".to_string(),
        Done::Updated { operations } => format!(
            "updated ({})",
            count_of(*operations, "operation", "operations")
        ),
        Done::KeyAdded(key_id) => format!("added key {key_id}"),
        Done::KeyRemoved(key_id) => format!("removed key {key_id}"),
        Done::KeyMoved { key_id, from } => format!("moved key {key_id} here from {from}"),
        Done::TagsSet(count) => format!("set {}", count_of(*count, "tag", "tags")),
        Done::TagsRemoved(count) => format!("removed {}", count_of(*count, "tag", "tags")),
        Done::Granted {
            grant_id,
            key_id,
            remaining,
        } => format!("granted {grant_id} to key {key_id}: remaining = {remaining}"),
    };
    format!("{} ({}): {what}", applied.plan, applied.id)
}

/// The closing line: what was made, what failed or was skipped, and what to do.
pub fn summary(report: &ApplyReport) -> String {
    let made = count_of(report.applied.len(), "change", "changes");
    if report.succeeded() {
        return format!("Apply complete: {made} made");
    }
    let mut summary = format!(
        "Apply incomplete: {made} made, {} failed",
        report.failed.len()
    );
    if report.skipped > 0 {
        summary.push_str(&format!(
            ", {} skipped (they depend on a failed change)",
            report.skipped
        ));
    }
    summary.push_str("; run `tollgate apply` again to finish");
    summary
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::{AwsError, AwsErrorKind};

    fn applied(done: Done) -> Applied {
        Applied {
            plan: "Gold".into(),
            id: "ywbqww".into(),
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
                    key_id: "k1".into(),
                    from: "\"Silver\" (s1)".into(),
                },
                "Gold (ywbqww): moved key k1 here from \"Silver\" (s1)",
            ),
            (Done::TagsSet(2), "Gold (ywbqww): set 2 tags"),
            (Done::TagsRemoved(1), "Gold (ywbqww): removed 1 tag"),
            (
                Done::Granted {
                    grant_id: "SUP-1".into(),
                    key_id: "k1".into(),
                    remaining: 50,
                },
                "Gold (ywbqww): granted SUP-1 to key k1: remaining = 50",
            ),
        ];
        for (done, line) in cases {
            assert_eq!(applied_line(&applied(done)), line);
        }
    }

    #[test]
    fn the_summary_counts_made_failed_and_skipped() {
        let mut report = ApplyReport {
            applied: vec![applied(Done::Created)],
            ..ApplyReport::default()
        };
        assert_eq!(summary(&report), "Apply complete: 1 change made");
        report.failed.push(AwsError {
            operation: "UpdateUsagePlan",
            plan: None,
            kind: AwsErrorKind::Server,
            detail: "boom".into(),
        });
        report.skipped = 2;
        assert_eq!(
            summary(&report),
            "Apply incomplete: 1 change made, 1 failed, 2 skipped (they depend on a failed \
             change); run `tollgate apply` again to finish"
        );
    }
}
