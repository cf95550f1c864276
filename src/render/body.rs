//! A PlanBody as lines of the project's YAML, and the before/after diff of two such
//! printouts that both human views show.

use std::fmt;

use similar::{ChangeTag, TextDiff};

use crate::model::PlanBody;
use crate::spec::export;

/// Lines of context around each change in a before/after diff.
const CONTEXT_LINES: usize = 3;

/// A PlanBody as lines of the project's YAML, written as `export` writes a plan.
pub fn body_lines(body: &PlanBody) -> Vec<String> {
    match export::body(body) {
        Ok(text) => text.lines().map(str::to_owned).collect(),
        Err(error) => vec![format!("# cannot write this plan as YAML: {error}")],
    }
}

/// What a line of a before/after diff is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum DiffKind {
    /// A hunk header, `@@ -1,8 +1,9 @@`.
    Hunk,
    /// A line both sides have.
    Context,
    /// A line only the live plan has.
    Removed,
    /// A line only the declared plan has.
    Added,
}

/// One line of a before/after diff; its `Display` is the unified-diff form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct DiffLine {
    /// What the line is.
    pub kind: DiffKind,
    /// The line without its marker.
    pub text: String,
}

impl fmt::Display for DiffLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let marker = match self.kind {
            DiffKind::Hunk => "",
            DiffKind::Context => " ",
            DiffKind::Removed => "-",
            DiffKind::Added => "+",
        };
        write!(f, "{marker}{}", self.text)
    }
}

/// The unified diff, with three lines of context, of the live body (none for a plan being
/// created) and the declared one; empty when they print alike.
pub(super) fn body_diff(before: Option<&PlanBody>, after: &PlanBody) -> Vec<DiffLine> {
    let old = before.map(body_lines).unwrap_or_default();
    let new = body_lines(after);
    let old: Vec<&str> = old.iter().map(String::as_str).collect();
    let new: Vec<&str> = new.iter().map(String::as_str).collect();
    let diff = TextDiff::from_slices(&old, &new);
    let mut lines = Vec::new();
    for hunk in diff
        .unified_diff()
        .context_radius(CONTEXT_LINES)
        .iter_hunks()
    {
        lines.push(DiffLine {
            kind: DiffKind::Hunk,
            text: hunk.header().to_string(),
        });
        lines.extend(hunk.iter_changes().map(|change| DiffLine {
            kind: match change.tag() {
                ChangeTag::Equal => DiffKind::Context,
                ChangeTag::Delete => DiffKind::Removed,
                ChangeTag::Insert => DiffKind::Added,
            },
            text: change.value().to_string(),
        }));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{MethodThrottles, Period, Quota, StageRef, Throttle};

    fn full_body() -> PlanBody {
        PlanBody {
            name: "Gold".to_string(),
            description: "Paying customers".to_string(),
            product_code: Some("prod-gold".to_string()),
            throttle: Some(Throttle {
                rate_limit: 12.5,
                burst_limit: 200,
            }),
            quota: Some(Quota {
                limit: 100_000,
                offset: 2,
                period: Period::Week,
            }),
            stages: [
                (
                    StageRef {
                        api_id: "a1b2c3d4e5".to_string(),
                        stage: "prod".to_string(),
                    },
                    [(
                        "/pets/GET".to_string(),
                        Throttle {
                            rate_limit: 10.0,
                            burst_limit: 20,
                        },
                    )]
                    .into_iter()
                    .collect(),
                ),
                (
                    StageRef {
                        api_id: "a1b2c3d4e5".to_string(),
                        stage: "test".to_string(),
                    },
                    MethodThrottles::new(),
                ),
            ]
            .into_iter()
            .collect(),
        }
    }

    #[test]
    fn a_full_body_prints_every_field_in_yaml_order() {
        assert_eq!(
            body_lines(&full_body()),
            [
                "name: Gold",
                "description: Paying customers",
                "productCode: prod-gold",
                "throttle:",
                "  rateLimit: 12.5",
                "  burstLimit: 200",
                "quota:",
                "  limit: 100000",
                "  period: WEEK",
                "  offset: 2",
                "apiStages:",
                "  - apiId: a1b2c3d4e5",
                "    stage: prod",
                "    throttle:",
                "      /pets/GET: {rateLimit: 10, burstLimit: 20}",
                "  - apiId: a1b2c3d4e5",
                "    stage: test",
            ]
        );
    }

    #[test]
    fn absent_fields_are_left_out() {
        let body = PlanBody {
            name: "Bare".to_string(),
            ..PlanBody::default()
        };
        assert_eq!(body_lines(&body), ["name: Bare"]);
    }

    #[test]
    fn the_diff_shows_changed_lines_with_three_lines_of_context() {
        let before = full_body();
        let mut after = full_body();
        if let Some(quota) = after.quota.as_mut() {
            quota.limit = 1300;
        }
        let diff: Vec<String> = body_diff(Some(&before), &after)
            .iter()
            .map(DiffLine::to_string)
            .collect();
        assert_eq!(
            diff,
            [
                "@@ -5,7 +5,7 @@",
                "   rateLimit: 12.5",
                "   burstLimit: 200",
                " quota:",
                "-  limit: 100000",
                "+  limit: 1300",
                "   period: WEEK",
                "   offset: 2",
                " apiStages:",
            ]
        );
    }

    #[test]
    fn a_new_plan_is_all_additions_and_an_equal_one_has_no_diff() {
        let body = full_body();
        let diff = body_diff(None, &body);
        assert_eq!(diff[0].text, "@@ -0,0 +1,17 @@");
        assert!(diff[1..].iter().all(|line| line.kind == DiffKind::Added));
        assert_eq!(diff.len(), 18);
        assert!(body_diff(Some(&body), &body).is_empty());
    }
}
