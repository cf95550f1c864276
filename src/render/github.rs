//! GitHub workflow commands: the plan's changes and the YAML's errors as annotations at the
//! file, line and column of the YAML, which GitHub shows on the pull request's diff.
//!
//! A change is a `::notice`, a destructive or unbounded one a `::warning`, a YAML error an
//! `::error`.
//! GitHub shows 10 annotations of each type per step: at most 9 of a type are printed, then
//! one that says how many more there are. Every value from outside (a name, a file's path) is
//! made inert ([`printable`]: no `##[`, no invisible or line-breaking character), then escaped
//! as the workflow-command rules require (`%`, CR and LF everywhere, and `:` and `,` in
//! properties), so that no name can end the command early or start one of its own.

use super::drift::FieldChange;
use super::human::printable;
use crate::model::SourceLocation;
use crate::spec::SpecError;

/// The most annotations of one type GitHub shows per step.
const GITHUB_SHOWS: usize = 10;

/// One annotation: its type, where it points, its title and its message.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Annotation {
    level: Level,
    at: Option<SourceLocation>,
    title: String,
    message: String,
}

/// The annotation types tollgate prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Level {
    Notice,
    Warning,
    Error,
}

impl Level {
    fn command(self) -> &'static str {
        match self {
            Level::Notice => "notice",
            Level::Warning => "warning",
            Level::Error => "error",
        }
    }

    fn plural(self) -> &'static str {
        match self {
            Level::Notice => "changes",
            Level::Warning => "risky changes",
            Level::Error => "errors",
        }
    }
}

/// The plans' changes as annotations, in the plan's words (`will lower Gold's quota limit
/// from 1,000,000 to 100,000`): a notice per changed field, a warning per destructive or
/// unbounded one (with its reasons, and with `plan --impact` what it does to the keys using
/// the plan).
/// Each change comes with the prefix that names its target in a project (`target prod-us: `,
/// else empty); a change told twice (a key move, on both plans) is annotated once; all of one
/// step's changes are folded together.
pub fn plan_annotations(changes: &[(String, FieldChange)]) -> String {
    let mut seen = std::collections::BTreeSet::new();
    // A key move is a line on both plans; it is annotated once.
    let changes = changes
        .iter()
        .filter(|(prefix, change)| seen.insert((prefix, &change.planned)));
    let annotations = changes.map(|(prefix, change)| {
        let mut message = change.planned.clone();
        let mut level = Level::Notice;
        for (class, reason) in [
            ("destructive", &change.destructive),
            ("unbounded", &change.unbounded),
        ] {
            if let Some(reason) = reason {
                message.push_str(&format!(" ({class}: {})", printable(reason)));
                level = Level::Warning;
            }
        }
        for sentence in &change.impact {
            message.push_str(&format!("\nImpact: {sentence}"));
        }
        Annotation {
            level,
            at: change.at.clone(),
            title: format!("{prefix}tollgate plan"),
            message,
        }
    });
    folded(annotations.collect())
}

/// The YAML's errors as annotations, one `::error` each at its place.
pub fn error_annotations(errors: &[SpecError]) -> String {
    let annotations = errors.iter().map(|error| Annotation {
        level: Level::Error,
        at: error.location.clone(),
        title: "tollgate validate".to_string(),
        message: printable(&error.message).into_owned(),
    });
    folded(annotations.collect())
}

/// The workflow commands of `annotations`: all of a type when GitHub shows them all, else
/// one fewer than it shows and one saying how many more there are.
fn folded(annotations: Vec<Annotation>) -> String {
    let mut out = String::new();
    for level in [Level::Error, Level::Warning, Level::Notice] {
        let of_level: Vec<&Annotation> = annotations
            .iter()
            .filter(|annotation| annotation.level == level)
            .collect();
        let shown = if of_level.len() > GITHUB_SHOWS {
            GITHUB_SHOWS - 1
        } else {
            of_level.len()
        };
        for annotation in &of_level[..shown] {
            out.push_str(&command(annotation));
        }
        if shown < of_level.len() {
            let more = of_level.len() - shown;
            out.push_str(&command(&Annotation {
                level,
                at: None,
                title: "tollgate".to_string(),
                message: format!(
                    "{more} more {} not shown here (GitHub shows 10 annotations of a type per \
                     step); see the step's log or the job summary for the whole plan",
                    level.plural()
                ),
            }));
        }
    }
    out
}

/// One workflow command: `::warning file=F,line=L,col=C,title=T::MESSAGE`.
fn command(annotation: &Annotation) -> String {
    let mut properties = Vec::new();
    if let Some(at) = &annotation.at {
        properties.push(format!("file={}", property(&printable(&at.path))));
        properties.push(format!("line={}", at.line));
        properties.push(format!("col={}", at.column));
    }
    properties.push(format!("title={}", property(&annotation.title)));
    format!(
        "::{} {}::{}\n",
        annotation.level.command(),
        properties.join(","),
        data(&annotation.message)
    )
}

/// A command's message escaped: `%`, CR and LF.
fn data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A property's value escaped: as [`data`], and `:` and `,`, which end a property.
fn property(text: &str) -> String {
    data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(path: &str, line: usize, column: usize) -> Option<SourceLocation> {
        Some(SourceLocation {
            path: path.into(),
            line,
            column,
        })
    }

    fn change(subject: &str, destructive: Option<&str>) -> FieldChange {
        FieldChange {
            subject: subject.into(),
            what: "quota limit is 250,000 live, 100,000".into(),
            planned: format!(
                "will lower {}'s quota limit from 250,000 to 100,000",
                printable(subject)
            ),
            at: at("plans/silver.yaml", 6, 5),
            destructive: destructive.map(str::to_string),
            unbounded: None,
            impact: Vec::new(),
        }
    }

    #[test]
    fn a_change_is_a_notice_and_a_risky_one_a_warning_at_its_place_in_plan_words() {
        let mut unbounded = change("Bronze", None);
        unbounded.unbounded = Some("quota of 100 per DAY removed".into());
        let out = plan_annotations(&[
            (String::new(), change("Silver", None)),
            (
                String::new(),
                change("Gold", Some("quota limit lowered from 1,000 to 500")),
            ),
            (String::new(), unbounded),
        ]);
        assert_eq!(
            out,
            "::warning file=plans/silver.yaml,line=6,col=5,title=tollgate plan::will lower \
             Gold's quota limit from 250,000 to 100,000 (destructive: quota limit lowered from \
             1,000 to 500)\n\
             ::warning file=plans/silver.yaml,line=6,col=5,title=tollgate plan::will lower \
             Bronze's quota limit from 250,000 to 100,000 (unbounded: quota of 100 per DAY \
             removed)\n\
             ::notice file=plans/silver.yaml,line=6,col=5,title=tollgate plan::will lower \
             Silver's quota limit from 250,000 to 100,000\n"
        );
    }

    #[test]
    fn values_are_escaped_so_that_no_name_ends_or_starts_a_command() {
        let mut hostile = change("50% off, a: b\n::error::pwned", None);
        hostile.at = at("plans/a,b:c%##[x]\u{202e}.yaml", 2, 11);
        let out = plan_annotations(&[("target a:b,c: ".to_string(), hostile)]);
        assert_eq!(
            out,
            "::notice file=plans/a%2Cb%3Ac%25##\\u{5b}x]\\u{202e}.yaml,line=2,col=11,title=target a%3Ab%2Cc%3A \
             tollgate plan::will lower 50%25 off, a: b\\n::error::pwned's quota limit from \
             250,000 to 100,000\n"
        );
        assert_eq!(
            out.lines().count(),
            1,
            "one command, whatever the name holds"
        );
        // Without `printable`, a raw line break is escaped as the rules say.
        assert_eq!(data("a\r\nb%"), "a%0D%0Ab%25");
        assert_eq!(property("a:b,c"), "a%3Ab%2Cc");
    }

    #[test]
    fn past_ten_of_a_type_nine_and_one_more_that_says_how_many() {
        let changes = |count: usize| -> Vec<(String, FieldChange)> {
            (0..count)
                .map(|i| (String::new(), change(&format!("P{i}"), None)))
                .collect()
        };
        assert_eq!(
            plan_annotations(&changes(10)).lines().count(),
            10,
            "all ten"
        );
        let out = plan_annotations(&changes(12));
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 10);
        assert!(lines[8].contains("::will lower P8's "), "{}", lines[8]);
        assert_eq!(
            lines[9],
            "::notice title=tollgate::3 more changes not shown here (GitHub shows 10 \
             annotations of a type per step); see the step's log or the job summary for the \
             whole plan"
        );
    }

    #[test]
    fn errors_are_error_commands_at_their_place() {
        let errors = [SpecError {
            location: at("plans/gold.yaml", 4, 7),
            message: "unknown field `quotas` in usage plan".into(),
        }];
        assert_eq!(
            error_annotations(&errors),
            "::error file=plans/gold.yaml,line=4,col=7,title=tollgate validate::unknown field \
             `quotas` in usage plan\n"
        );
    }
}
