//! The YAML of one file as a tree of located nodes.
//!
//! serde-saphyr parses the text; every node keeps its line and column so later stages can
//! point at it. Duplicate mapping keys are found here, all of them, and the later entry is
//! dropped so the rest of the file can still be checked.

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::options::DuplicateKeyPolicy;
use serde_saphyr::{MessageFormatter, Spanned, UserMessageFormatter};
use std::fmt;

/// A place in a file: line and column, both from 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Pos {
    /// The line, from 1.
    pub line: usize,
    /// The column, from 1.
    pub column: usize,
}

/// One YAML node and where it starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// What the node holds.
    pub kind: Kind,
    /// Where the node starts.
    pub pos: Pos,
    /// The source text of a scalar that YAML resolved to a number or a boolean, so that a
    /// field that wants a string gets `1.10` rather than `1.1`.
    pub text: Option<String>,
    span: Option<(usize, usize)>,
}

/// The kinds of YAML nodes tollgate distinguishes.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// `~`, `null` or nothing.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// Any other number.
    Float(f64),
    /// A string.
    Str(String),
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping, in source order: (key node, value node).
    Map(Vec<(Node, Node)>),
    /// A value left out for an error already reported. It decodes as the empty value of a
    /// scalar type (0, `""`) or as an absent option, so that the rest can still be checked,
    /// and nothing that is checked there is reported.
    Void,
}

/// A problem found while reading a file's YAML: a message and where it is, if known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Where the problem is.
    pub pos: Option<Pos>,
    /// What is wrong.
    pub message: String,
}

/// A parsed file: its tree (or `None` when the YAML itself is broken) and the problems found.
#[derive(Debug)]
pub struct Parsed {
    /// The root node; `Null` for an empty file.
    pub root: Option<Node>,
    /// Syntax errors and duplicate keys.
    pub problems: Vec<Problem>,
}

/// The most YAML nodes a file may hold: room for an export of 10,000 plans with all their
/// keys and tags (about 30 nodes a plan, plus one a key), yet a bound on time and memory.
/// Anchors and aliases replay what they name at most 100,000 nodes in all, so that an
/// alias-expansion bomb is refused in a fraction of a second.
pub const MAX_NODES: usize = 4_000_000;

/// The most anchors, and the most aliases, a file may hold (an export uses none).
pub const MAX_ALIASES: usize = 10_000;

/// The deepest nesting a file may have: the format needs 8 levels (a method throttle's
/// field), and a bound keeps the recursive reading of the tree within any thread's stack.
pub const MAX_DEPTH: usize = 24;

/// Parses one file's text.
pub fn parse(source: &str) -> Parsed {
    let options = serde_saphyr::options! {
        budget: serde_saphyr::budget! {
            max_nodes: MAX_NODES,
            max_events: 2 * MAX_NODES,
            max_depth: MAX_DEPTH,
            max_aliases: MAX_ALIASES,
            max_anchors: MAX_ALIASES,
            max_recorded_anchor_events: MAX_NODES / 40,
        },
        duplicate_keys: DuplicateKeyPolicy::PassThrough,
        leading_zero_numbers_as_strings: true,
    };
    match serde_saphyr::from_str_with_options::<Option<Node>>(source, options) {
        Ok(root) => {
            let mut root = root.unwrap_or(Node::null(Pos { line: 1, column: 1 }));
            let mut problems = Vec::new();
            root.finish(source, &mut problems);
            Parsed {
                root: Some(root),
                problems,
            }
        }
        Err(error) => {
            let error = error.without_snippet();
            let pos = error.location().and_then(|location| {
                (location.line() > 0).then(|| Pos {
                    line: to_usize(location.line()),
                    column: to_usize(location.column()),
                })
            });
            let message = UserMessageFormatter
                .format_message(error)
                .escape_debug()
                .to_string();
            Parsed {
                root: None,
                problems: vec![Problem { pos, message }],
            }
        }
    }
}

fn to_usize(value: u64) -> usize {
    usize::try_from(value).unwrap_or(usize::MAX)
}

impl Node {
    fn null(pos: Pos) -> Node {
        Node {
            kind: Kind::Null,
            pos,
            text: None,
            span: None,
        }
    }

    /// The value under `key` in a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|(_, value)| value)
    }

    /// The key node `key` of a mapping (where the key itself is written).
    pub fn key(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|(key, _)| key)
    }

    /// The item at `index` of a sequence.
    pub fn item(&self, index: usize) -> Option<&Node> {
        match &self.kind {
            Kind::Seq(items) => items.get(index),
            _ => None,
        }
    }

    /// The scalar's text, as a field that wants a string reads it.
    pub fn as_text(&self) -> Option<&str> {
        match &self.kind {
            Kind::Str(text) => Some(text),
            _ => self.text.as_deref(),
        }
    }

    /// Leaves out the child at `route`, the child indexes from this node down (into a mapping
    /// entry means into its value): a list item, or with `whole_entry` a mapping entry, is
    /// removed; otherwise the entry's value becomes [`Kind::Void`]. Gives the place of the
    /// list or mapping the child was in; `None` when there is no such child.
    pub fn leave_out(&mut self, route: &[usize], whole_entry: bool) -> Option<Pos> {
        let (&index, below) = route.split_first()?;
        let pos = self.pos;
        match (&mut self.kind, below.is_empty()) {
            (Kind::Seq(items), true) => (index < items.len()).then(|| {
                items.remove(index);
                pos
            }),
            (Kind::Map(entries), true) if whole_entry => (index < entries.len()).then(|| {
                entries.remove(index);
                pos
            }),
            (Kind::Map(entries), true) => {
                let (_, value) = entries.get_mut(index)?;
                value.kind = Kind::Void;
                value.text = None;
                Some(pos)
            }
            (Kind::Seq(items), false) => items.get_mut(index)?.leave_out(below, whole_entry),
            (Kind::Map(entries), false) => entries.get_mut(index)?.1.leave_out(below, whole_entry),
            _ => None,
        }
    }

    fn entry(&self, key: &str) -> Option<&(Node, Node)> {
        match &self.kind {
            Kind::Map(entries) => entries.iter().find(|(k, _)| k.as_text() == Some(key)),
            _ => None,
        }
    }

    /// Fills in scalar texts and drops (and reports) duplicate keys, depth first.
    fn finish(&mut self, source: &str, problems: &mut Vec<Problem>) {
        match &mut self.kind {
            Kind::Bool(_) | Kind::Int(_) | Kind::Float(_) => {
                self.text = self
                    .span
                    .and_then(|(start, end)| source.get(start..end))
                    .map(str::to_owned);
            }
            Kind::Null | Kind::Str(_) | Kind::Void => {}
            Kind::Seq(items) => items
                .iter_mut()
                .for_each(|item| item.finish(source, problems)),
            Kind::Map(entries) => {
                let mut kept: Vec<(Node, Node)> = Vec::with_capacity(entries.len());
                for (mut key, mut value) in std::mem::take(entries) {
                    key.finish(source, problems);
                    value.finish(source, problems);
                    let first = kept
                        .iter()
                        .find(|(seen, _)| seen.kind == key.kind && seen.as_text() == key.as_text());
                    match first {
                        Some((first, _)) => problems.push(Problem {
                            pos: Some(key.pos),
                            message: format!(
                                "duplicate key `{}` (first set at line {}, column {}); keep one of them",
                                key.as_text().unwrap_or("?"),
                                first.pos.line,
                                first.pos.column
                            ),
                        }),
                        None => kept.push((key, value)),
                    }
                }
                *entries = kept;
            }
        }
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Node, D::Error> {
        let spanned = Spanned::<Kind>::deserialize(deserializer)?;
        let location = spanned.referenced;
        let span = location.span();
        Ok(Node {
            kind: spanned.value,
            pos: Pos {
                line: to_usize(location.line()),
                column: to_usize(location.column()),
            },
            text: None,
            span: span
                .byte_offset()
                .zip(span.byte_len())
                .map(|(start, len)| (to_usize(start), to_usize(start.saturating_add(len)))),
        })
    }
}

impl<'de> Deserialize<'de> for Kind {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Kind, D::Error> {
        deserializer.deserialize_any(KindVisitor)
    }
}

struct KindVisitor;

impl<'de> Visitor<'de> for KindVisitor {
    type Value = Kind;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Kind, E> {
        Ok(Kind::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Kind, E> {
        Ok(Kind::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Kind, D::Error> {
        deserializer.deserialize_any(KindVisitor)
    }

    fn visit_bool<E: de::Error>(self, value: bool) -> Result<Kind, E> {
        Ok(Kind::Bool(value))
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Kind, E> {
        Ok(Kind::Int(value))
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Kind, E> {
        Ok(i64::try_from(value).map_or(Kind::Float(value as f64), Kind::Int))
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<Kind, E> {
        Ok(Kind::Float(value))
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Kind, E> {
        Ok(Kind::Str(value.to_owned()))
    }

    fn visit_string<E: de::Error>(self, value: String) -> Result<Kind, E> {
        Ok(Kind::Str(value))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Kind, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Node>()? {
            items.push(item);
        }
        Ok(Kind::Seq(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Kind, A::Error> {
        let mut entries = Vec::new();
        while let Some(entry) = map.next_entry::<Node, Node>()? {
            entries.push(entry);
        }
        Ok(Kind::Map(entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root(source: &str) -> Node {
        let parsed = parse(source);
        assert_eq!(parsed.problems, vec![]);
        parsed.root.expect("a tree")
    }

    #[test]
    fn nodes_know_where_they_start() {
        let tree = root("a:\n  - x: 1\n    y: [true, 2.5]\n");
        let item = tree.get("a").and_then(|a| a.item(0)).expect("item");
        assert_eq!(
            item.get("x").map(|x| x.pos),
            Some(Pos { line: 2, column: 8 })
        );
        assert_eq!(
            item.key("y").map(|y| y.pos),
            Some(Pos { line: 3, column: 5 })
        );
        assert_eq!(item.get("x").map(|x| &x.kind), Some(&Kind::Int(1)));
    }

    #[test]
    fn numbers_keep_their_source_text() {
        let tree = root("version: 1.10\ncode: 0123\nflag: true\n");
        assert_eq!(tree.get("version").and_then(Node::as_text), Some("1.10"));
        assert_eq!(tree.get("code").and_then(Node::as_text), Some("0123"));
        assert_eq!(tree.get("flag").and_then(Node::as_text), Some("true"));
    }

    #[test]
    fn an_empty_file_is_null() {
        assert_eq!(root("").kind, Kind::Null);
        assert_eq!(root("# only a comment\n").kind, Kind::Null);
    }

    #[test]
    fn every_duplicate_key_is_reported_and_the_first_kept() {
        let parsed = parse("a: 1\nb: 2\na: 3\nb: 4\n");
        let messages: Vec<_> = parsed
            .problems
            .iter()
            .map(|p| (p.pos, p.message.as_str()))
            .collect();
        assert_eq!(
            messages,
            vec![
                (
                    Some(Pos { line: 3, column: 1 }),
                    "duplicate key `a` (first set at line 1, column 1); keep one of them"
                ),
                (
                    Some(Pos { line: 4, column: 1 }),
                    "duplicate key `b` (first set at line 2, column 1); keep one of them"
                ),
            ]
        );
        let tree = parsed.root.expect("a tree");
        assert_eq!(tree.get("a").map(|a| &a.kind), Some(&Kind::Int(1)));
    }

    #[test]
    fn leaving_out_removes_items_and_keys_and_voids_values() {
        let mut tree = root("a:\n  - 1\n  - 2\nb: {c: 3, d: 4}\n");
        assert_eq!(
            tree.leave_out(&[0, 0], false),
            Some(Pos { line: 2, column: 3 })
        );
        assert_eq!(
            tree.get("a").and_then(|a| a.item(0)).map(|i| i.pos.line),
            Some(3)
        );
        assert_eq!(
            tree.leave_out(&[1, 0], false),
            Some(Pos { line: 4, column: 4 })
        );
        assert_eq!(
            tree.get("b").and_then(|b| b.get("c")).map(|c| &c.kind),
            Some(&Kind::Void)
        );
        assert_eq!(
            tree.leave_out(&[1, 1], true),
            Some(Pos { line: 4, column: 4 })
        );
        assert_eq!(tree.get("b").and_then(|b| b.get("d")), None);
        assert_eq!(tree.leave_out(&[5], false), None);
        assert_eq!(tree.leave_out(&[], false), None);
    }

    #[test]
    fn a_syntax_error_is_located() {
        let parsed = parse("a: [1, 2\nb: 3\n");
        assert!(parsed.root.is_none());
        assert_eq!(parsed.problems.len(), 1);
        assert!(parsed.problems[0].pos.is_some());
        assert!(!parsed.problems[0].message.is_empty());
    }
}
