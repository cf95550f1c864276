//! A PlanBody printed as lines of the project's YAML, and the before/after diff of two such
//! printouts that both human views show.

use std::fmt;

use similar::{ChangeTag, TextDiff};

use crate::model::{format_number, MethodThrottles, PlanBody, Throttle};

/// Lines of context around each change in a before/after diff.
const CONTEXT_LINES: usize = 3;

/// Prints a PlanBody as lines of the project's YAML (field names as in the YAML format).
///
/// Absent fields are left out, as the YAML leaves them out; strings that would not read back
/// as the same plain YAML string are double-quoted.
pub fn body_lines(body: &PlanBody) -> Vec<String> {
    let mut lines = vec![format!("name: {}", scalar(&body.name))];
    if !body.description.is_empty() {
        lines.push(format!("description: {}", scalar(&body.description)));
    }
    if let Some(product_code) = &body.product_code {
        lines.push(format!("productCode: {}", scalar(product_code)));
    }
    if let Some(throttle) = body.throttle {
        lines.push("throttle:".to_string());
        lines.push(format!(
            "  rateLimit: {}",
            format_number(throttle.rate_limit)
        ));
        lines.push(format!("  burstLimit: {}", throttle.burst_limit));
    }
    if let Some(quota) = body.quota {
        lines.push("quota:".to_string());
        lines.push(format!("  limit: {}", quota.limit));
        lines.push(format!("  period: {}", quota.period));
        lines.push(format!("  offset: {}", quota.offset));
    }
    if !body.stages.is_empty() {
        lines.push("apiStages:".to_string());
        for (stage, throttles) in &body.stages {
            lines.push(format!("  - apiId: {}", scalar(&stage.api_id)));
            lines.push(format!("    stage: {}", scalar(&stage.stage)));
            lines.extend(method_throttle_lines(throttles));
        }
    }
    lines
}

/// The `throttle:` block of a stage, one flow mapping per method; nothing when empty.
fn method_throttle_lines(throttles: &MethodThrottles) -> Vec<String> {
    if throttles.is_empty() {
        return Vec::new();
    }
    let mut lines = vec!["    throttle:".to_string()];
    lines.extend(throttles.iter().map(|(method, throttle)| {
        format!("      {}: {}", scalar(method), flow_throttle(*throttle))
    }));
    lines
}

/// A throttle as a YAML flow mapping: `{ rateLimit: 10, burstLimit: 20 }`.
fn flow_throttle(throttle: Throttle) -> String {
    format!(
        "{{ rateLimit: {}, burstLimit: {} }}",
        format_number(throttle.rate_limit),
        throttle.burst_limit
    )
}

/// A string as a YAML scalar: plain when that reads back as the same string, else quoted.
fn scalar(text: &str) -> String {
    if is_plain(text) {
        text.to_string()
    } else {
        quote(text)
    }
}

/// Whether `text` reads back from a plain YAML scalar as the same string (strictly: some
/// strings that would are quoted anyway, for example anything starting with a digit).
fn is_plain(text: &str) -> bool {
    let Some(first) = text.chars().next() else {
        return false;
    };
    let keyword = matches!(
        text.to_ascii_lowercase().as_str(),
        "true" | "false" | "yes" | "no" | "on" | "off" | "y" | "n" | "null" | "~"
    );
    !keyword
        && !first.is_ascii_digit()
        && !"-+.?:,[]{}#&*!|>'\"%@`".contains(first)
        && !first.is_whitespace()
        && !text.ends_with(char::is_whitespace)
        && !text.ends_with(':')
        && !text.contains(": ")
        && !text.contains(" #")
        && !text.chars().any(char::is_control)
}

/// `text` as a double-quoted string, escaped so that both YAML and JSON read it back.
pub(super) fn quote(text: &str) -> String {
    let mut quoted = String::with_capacity(text.len() + 2);
    quoted.push('"');
    for character in text.chars() {
        match character {
            '"' => quoted.push_str("\\\""),
            '\\' => quoted.push_str("\\\\"),
            '\n' => quoted.push_str("\\n"),
            '\r' => quoted.push_str("\\r"),
            '\t' => quoted.push_str("\\t"),
            control if control.is_control() => {
                quoted.push_str(&format!("\\u{:04x}", u32::from(control)));
            }
            other => quoted.push(other),
        }
    }
    quoted.push('"');
    quoted
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
    use crate::model::{Period, Quota, StageRef};

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
                    .into(),
                ),
                (
                    StageRef {
                        api_id: "a1b2c3d4e5".to_string(),
                        stage: "test".to_string(),
                    },
                    MethodThrottles::new(),
                ),
            ]
            .into(),
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
                "      /pets/GET: { rateLimit: 10, burstLimit: 20 }",
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
    fn strings_that_would_not_read_back_are_quoted() {
        assert_eq!(scalar("Paying customers"), "Paying customers");
        assert_eq!(scalar("/pets/{id}/GET"), "/pets/{id}/GET");
        assert_eq!(scalar("a: b"), "\"a: b\"");
        assert_eq!(scalar("ends with:"), "\"ends with:\"");
        assert_eq!(scalar("x #y"), "\"x #y\"");
        assert_eq!(scalar("- item"), "\"- item\"");
        assert_eq!(scalar("*alias"), "\"*alias\"");
        assert_eq!(scalar("123"), "\"123\"");
        assert_eq!(scalar("Yes"), "\"Yes\"");
        assert_eq!(scalar(" padded"), "\" padded\"");
        assert_eq!(scalar(""), "\"\"");
        assert_eq!(
            scalar("two\nlines \"q\" \\"),
            "\"two\\nlines \\\"q\\\" \\\\\""
        );
        assert_eq!(scalar("bell\u{7}"), "\"bell\\u0007\"");
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
