//! The format read in one pass over a file's YAML events: each value is checked where it is
//! read and each error reported where it is, with what to write instead; a wrong value is
//! left out, so it hides no other error, and a plan with no error is built straight into the
//! model.

use super::error::SpecError;
use super::events::{Ev, Events, Fault, Pos};
use super::limits::{
    grant_record_too_long, grant_records, plan_tags_too_many, MAX_INTEGER, MAX_TAG_KEY,
    MAX_TAG_VALUE,
};
use crate::model::{
    is_reserved_tag, DesiredApiKey, DesiredKey, DesiredPlan, FieldLines, Grant, KeyLine,
    LineColumn, MethodLine, MethodThrottles, NamedKey, NamedStage, Period, PlanBody, Quota,
    RefLines, SourceLocation, StageLine, StageRef, Tags, Throttle,
};
use std::borrow::Cow;
use std::collections::BTreeMap;

mod adopt;
mod api_keys;
mod project;

pub use project::decode_project;

/// The fields of each mapping of the format, in the order the messages list them.
const FILE: &[&str] = &["usagePlans", "apiKeys"];
const PLAN: &[&str] = &[
    "name",
    "id",
    "description",
    "productCode",
    "throttle",
    "quota",
    "apiStages",
    "tags",
    "keys",
    "adopt",
];
const THROTTLE: &[&str] = &["rateLimit", "burstLimit"];
const QUOTA: &[&str] = &["limit", "period", "offset"];
const STAGE: &[&str] = &["apiId", "api", "stage", "throttle"];
const KEY: &[&str] = &["id", "name", "grants"];
const GRANT: &[&str] = &["id", "remaining"];

/// The most fields a mapping of the format has.
const MAX_FIELDS: usize = 10;
const _: () = assert!(PLAN.len() <= MAX_FIELDS);

/// The most errors reported in one file; past them it is not read further, so that a
/// broken or hostile file costs bounded time and memory.
const MAX_ERRORS: usize = 100;

/// The HTTP methods a method-throttle key may end in.
const METHODS: &[&str] = &[
    "GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "ANY",
];

/// One file as read: the plans it declares and every error found in it.
#[derive(Debug, Default)]
pub struct Decoded {
    /// Every plan whose name could be read, in file order.
    pub plans: Vec<Declared>,
    /// Every declared API key without error, in file order.
    pub api_keys: Vec<DesiredApiKey>,
    /// Every error, in the order found.
    pub errors: Vec<SpecError>,
}

/// A plan as a file declares it.
#[derive(Debug)]
pub struct Declared {
    /// The plan; where it has an error, the parts in error are left out.
    pub plan: DesiredPlan,
    /// Where its `id` pin is in the file, when it has one.
    pub id_at: Option<Pos>,
    /// Whether the plan has no error of its own.
    pub valid: bool,
}

/// Reads one file's text; `path` names it in errors.
pub fn decode(path: &str, text: &str) -> Decoded {
    let mut reader = Reader::new(path, text);
    let mut plans = Vec::new();
    let mut api_keys = Vec::new();
    if let Some(root) = reader.next() {
        if !root.is_null() {
            reader.fields(root, "file", FILE, &[], |reader, field, _, value| {
                if field == "apiKeys" {
                    reader.list(value, |reader, item| api_keys.extend(reader.api_key(item)));
                } else {
                    reader.list(value, |reader, item| plans.extend(reader.plan(item)));
                }
            });
        }
        // What follows the root can only be a second document, which is a fault.
        reader.next();
    }
    match reader.fault.take() {
        Some(fault) => Decoded {
            plans: Vec::new(),
            api_keys: Vec::new(),
            errors: vec![SpecError {
                location: Some(locate(path, fault.pos)),
                message: fault.message,
            }],
        },
        None => {
            // One plan a file is common: no room kept for more (a Vec's first room is four).
            plans.shrink_to_fit();
            Decoded {
                plans,
                api_keys,
                errors: reader.errors,
            }
        }
    }
}

/// A position in the file at `path`.
pub fn locate(path: &str, pos: Pos) -> SourceLocation {
    SourceLocation {
        path: path.to_owned(),
        line: pos.line,
        column: pos.column,
    }
}

/// A node as the reader meets it: its first event and where it starts.
struct Node<'a> {
    event: Ev<'a>,
    pos: Pos,
}

impl Node<'_> {
    fn is_null(&self) -> bool {
        matches!(&self.event, Ev::Scalar(text, true) if is_null(text))
    }
}

/// What a scalar means in YAML 1.2's core schema.
#[derive(Debug, PartialEq)]
enum Scalar<'t> {
    Null,
    Bool(bool),
    Int(i128),
    Float(f64),
    Str(&'t str),
}

/// Resolves a plain scalar as YAML 1.2's core schema does, and as YAML 1.1 did for numbers
/// with `_` between digits (`1_000`) and binary ones (`0b101`), except that a number written
/// with a leading zero (`0123`) stays a string, as an id or code would be.
fn resolve(text: &str) -> Scalar<'_> {
    match text {
        _ if is_null(text) => Scalar::Null,
        "true" | "True" | "TRUE" => Scalar::Bool(true),
        "false" | "False" | "FALSE" => Scalar::Bool(false),
        ".nan" | ".NaN" | ".NAN" => Scalar::Float(f64::NAN),
        _ if text.starts_with('_') || text.ends_with('_') => Scalar::Str(text),
        _ if text.contains('_') => number(&text.replace('_', "")).unwrap_or(Scalar::Str(text)),
        _ => number(text).unwrap_or(Scalar::Str(text)),
    }
}

/// Whether a plain scalar is YAML's null.
fn is_null(text: &str) -> bool {
    matches!(text, "" | "~" | "null" | "Null" | "NULL")
}

/// The number `text` writes, if it writes one.
fn number(text: &str) -> Option<Scalar<'static>> {
    let (negative, unsigned) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let sign = if negative { -1 } else { 1 };
    if matches!(unsigned, ".inf" | ".Inf" | ".INF") {
        let infinity = if negative {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        };
        return Some(Scalar::Float(infinity));
    }
    let radix = [("0x", 16), ("0o", 8), ("0b", 2)]
        .into_iter()
        .find_map(|(prefix, radix)| Some((unsigned.strip_prefix(prefix)?, radix)));
    if let Some((digits, radix)) = radix {
        let alphanumeric = digits.bytes().all(|b| b.is_ascii_alphanumeric());
        let value = i128::from_str_radix(digits, radix)
            .ok()
            .filter(|_| alphanumeric)?;
        return Some(Scalar::Int(sign * value));
    }
    let digits = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    if digits(unsigned) {
        if unsigned.len() > 1 && unsigned.starts_with('0') {
            return None;
        }
        return Some(match unsigned.parse::<i128>() {
            Ok(value) => Scalar::Int(sign * value),
            Err(_) => Scalar::Float(text.parse().unwrap_or(f64::INFINITY)),
        });
    }
    let (mantissa, exponent) = match unsigned.split_once(['e', 'E']) {
        Some((mantissa, exponent)) => (mantissa, Some(exponent)),
        None => (unsigned, None),
    };
    let exponent_ok = exponent
        .is_none_or(|exponent| digits(exponent.strip_prefix(['-', '+']).unwrap_or(exponent)));
    let mantissa_ok = match mantissa.split_once('.') {
        Some((whole, fraction)) => {
            (digits(whole) || whole.is_empty())
                && (digits(fraction) || fraction.is_empty())
                && !(whole.is_empty() && fraction.is_empty())
        }
        None => digits(mantissa),
    };
    let value = text.parse::<f64>().ok()?;
    (exponent_ok && mantissa_ok).then_some(Scalar::Float(value))
}

/// How a node is named in a message: "found {this}", a string quoted and escaped.
fn describe(event: &Ev<'_>) -> String {
    match event {
        Ev::SeqStart => "a list".to_owned(),
        Ev::MapStart => "a mapping".to_owned(),
        Ev::Scalar(text, false) => format!("the string {text:?}"),
        Ev::Scalar(text, true) => match resolve(text) {
            Scalar::Null => "nothing".to_owned(),
            Scalar::Bool(value) => format!("the boolean {value}"),
            Scalar::Int(value) => format!("the integer {value}"),
            Scalar::Float(value) => format!("the number {value}"),
            Scalar::Str(text) => format!("the string {text:?}"),
        },
        Ev::End => "the end of a list or mapping".to_owned(),
    }
}

/// A position as the model keeps it.
fn line_column(pos: Pos) -> LineColumn {
    LineColumn {
        line: pos.line,
        column: pos.column,
    }
}

fn quoted_list(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|name| format!("`{name}`")).collect();
    quoted.join(", ")
}

/// Stages as a plan reads them, with what later checks need.
#[derive(Default)]
struct ReadStages {
    /// The stages given by API id and their method throttles, in file order.
    read: Vec<(StageRef, MethodThrottles)>,
    /// The stages given by API name.
    named: Vec<NamedStage>,
    /// Where each stage is first listed, by API id or by name.
    first: BTreeMap<(bool, StageRef), Pos>,
    /// Where each stage with method throttles has its `throttle` key.
    method_throttles_at: Vec<Pos>,
    /// Where and how each stage is written.
    lines: Vec<StageLine>,
}

/// A key as `keys` lists it, and where its id or name is.
enum ReadKey {
    /// By id.
    Id(DesiredKey, Pos),
    /// By name, to resolve.
    Name(NamedKey, Pos),
}

/// Reads one file's events, collecting errors.
struct Reader<'a> {
    events: Events<'a>,
    path: &'a str,
    errors: Vec<SpecError>,
    /// The fault that ended the reading, if any: then nothing else is reported.
    fault: Option<Fault>,
    /// Whether reading stopped at [`MAX_ERRORS`].
    stopped: bool,
}

impl<'a> Reader<'a> {
    /// A reader of `text`, the file at `path`.
    fn new(path: &'a str, text: &'a str) -> Self {
        Reader {
            events: Events::new(text),
            path,
            errors: Vec::new(),
            fault: None,
            stopped: false,
        }
    }

    /// The next node or collection end; `None` at the end of the file or after a fault.
    fn next(&mut self) -> Option<Node<'a>> {
        if self.fault.is_some() || self.stopped {
            return None;
        }
        match self.events.next() {
            Ok(next) => next.map(|(event, pos)| Node { event, pos }),
            Err(fault) => {
                self.fault = Some(fault);
                None
            }
        }
    }

    /// The next node of the collection being read; `None` at its end.
    fn child(&mut self) -> Option<Node<'a>> {
        self.next().filter(|node| !matches!(node.event, Ev::End))
    }

    /// Reads past a node.
    fn skip(&mut self, node: Node<'a>) {
        if matches!(node.event, Ev::SeqStart | Ev::MapStart) {
            while let Some(child) = self.child() {
                self.skip(child);
            }
        }
    }

    /// Reports an error; at the [`MAX_ERRORS`]th, says so and stops reading the file.
    fn error(&mut self, pos: Pos, message: String) {
        if self.stopped {
            return;
        }
        self.errors.push(SpecError {
            location: Some(self.at(pos)),
            message,
        });
        if self.errors.len() == MAX_ERRORS {
            self.errors.push(SpecError {
                location: Some(self.at(pos)),
                message: format!(
                    "{MAX_ERRORS} errors: the rest of the file is not read; fix these first"
                ),
            });
            self.stopped = true;
        }
    }

    fn at(&self, pos: Pos) -> SourceLocation {
        locate(self.path, pos)
    }

    /// Reports that `node` is not `what` and reads past it.
    fn expected(&mut self, node: Node<'a>, what: &str) {
        let message = format!("expected {what}, found {}", describe(&node.event));
        self.error(node.pos, message);
        self.skip(node);
    }

    /// A string: any scalar but null, a number or boolean as written.
    fn text(&mut self, node: Node<'a>) -> Option<String> {
        let pos = node.pos;
        let text = self.lines(node)?;
        if text.chars().any(char::is_control) {
            self.control_character(pos, &text);
            return None;
        }
        Some(text)
    }

    /// Reports the first control character of `text`, a key or a value that must be one line.
    fn control_character(&mut self, pos: Pos, text: &str) {
        let Some(control) = text.chars().find(|c| c.is_control()) else {
            return;
        };
        let what = if control == '\n' {
            ", a line break"
        } else {
            ""
        };
        self.error(
            pos,
            format!(
                "this value holds a control character (U+{:04X}{what}); names, ids, stages, \
                 keys and tags are one line of printable characters: remove it",
                u32::from(control)
            ),
        );
    }

    /// A string that may hold line breaks and other control characters: a description.
    fn lines(&mut self, node: Node<'a>) -> Option<String> {
        match node.event {
            Ev::Scalar(text, _) if !node.is_null() => Some(text.into_owned()),
            _ => {
                self.expected(node, "a string");
                None
            }
        }
    }

    /// A string that must not be empty when given.
    fn nonempty(&mut self, node: Node<'a>, field: &str) -> Option<String> {
        let pos = node.pos;
        let text = self.text(node)?;
        if text.is_empty() {
            self.error(
                pos,
                format!("`{field}` must not be empty; leave it out instead"),
            );
        }
        Some(text)
    }

    /// A whole number, of any size.
    fn whole(&mut self, node: Node<'a>) -> Option<i128> {
        if let Ev::Scalar(text, true) = &node.event {
            if let Scalar::Int(value) = resolve(text) {
                return Some(value);
            }
        }
        self.expected(node, "an integer");
        None
    }

    /// An integer AWS keeps as a 32-bit signed one, from 0 to [`MAX_INTEGER`].
    fn count(&mut self, node: Node<'a>, field: &str) -> Option<i64> {
        let pos = node.pos;
        let value = self.whole(node)?;
        self.in_range(value, pos, field)
    }

    fn in_range(&mut self, value: i128, pos: Pos, field: &str) -> Option<i64> {
        if value < 0 {
            self.error(
                pos,
                format!("`{field}` must be an integer >= 0, found {value}"),
            );
            return None;
        }
        if value > i128::from(MAX_INTEGER) {
            self.error(
                pos,
                format!(
                    "`{field}` must be at most {MAX_INTEGER}, the largest AWS accepts, found \
                     {value}; lower it"
                ),
            );
            return None;
        }
        i64::try_from(value).ok()
    }

    /// A rate: a number >= 0.
    fn rate(&mut self, node: Node<'a>, field: &str) -> Option<f64> {
        let value = match &node.event {
            Ev::Scalar(text, true) => match resolve(text) {
                Scalar::Int(value) => Some(value as f64),
                Scalar::Float(value) => Some(value),
                _ => None,
            },
            _ => None,
        };
        let Some(value) = value else {
            self.expected(node, "a number");
            return None;
        };
        if !(value.is_finite() && value >= 0.0) {
            self.error(
                node.pos,
                format!("`{field}` must be a number >= 0, found {value}"),
            );
            return None;
        }
        Some(value)
    }

    /// Reads a list, item by item.
    fn list(&mut self, node: Node<'a>, mut each: impl FnMut(&mut Self, Node<'a>)) {
        if !matches!(node.event, Ev::SeqStart) {
            return self.expected(node, "a list");
        }
        while let Some(item) = self.child() {
            each(self, item);
        }
    }

    /// Reads a mapping entry by entry: `each` gets the key, where it is, the value, and
    /// whether the entry comes from a merge key (`<<: *defaults`, or a list of such mappings),
    /// whose entries yield to the mapping's own. A key that is no string is an error. The
    /// number of keys refused so; `None` when the node is no mapping.
    fn entries(
        &mut self,
        node: Node<'a>,
        each: &mut impl FnMut(&mut Self, Cow<'a, str>, Pos, Node<'a>, bool),
        merged: bool,
    ) -> Option<usize> {
        if !matches!(node.event, Ev::MapStart) {
            self.expected(node, "a mapping");
            return None;
        }
        let mut refused = 0;
        while let Some(key) = self.child() {
            let key_pos = key.pos;
            let key = match key.event {
                Ev::Scalar(text, _) if text.chars().any(char::is_control) => {
                    self.control_character(key_pos, &text);
                    refused += 1;
                    None
                }
                Ev::Scalar(text, plain) if !key.is_null() => Some((text, plain)),
                _ => {
                    self.expected(key, "a string");
                    refused += 1;
                    None
                }
            };
            let Some(value) = self.child() else { break };
            match key {
                Some((text, true)) if text == "<<" => self.merge(value, each),
                Some((text, _)) => each(self, text, key_pos, value, merged),
                None => self.skip(value),
            }
        }
        Some(refused)
    }

    /// Reads the value of a merge key: a mapping, or a list of mappings, the earlier ones
    /// first.
    fn merge(
        &mut self,
        node: Node<'a>,
        each: &mut impl FnMut(&mut Self, Cow<'a, str>, Pos, Node<'a>, bool),
    ) {
        if matches!(node.event, Ev::SeqStart) {
            while let Some(item) = self.child() {
                self.entries(item, each, true);
            }
        } else {
            self.entries(node, each, true);
        }
    }

    /// Reads a mapping of free keys (tags, method throttles) entry by entry, as [`entries`]
    /// does, reporting and skipping a key written again. The number of entries read.
    ///
    /// [`entries`]: Reader::entries
    fn unique_entries(
        &mut self,
        node: Node<'a>,
        mut each: impl FnMut(&mut Self, &str, Pos, Node<'a>),
    ) -> usize {
        // Where each key is, and whether it came from a merge key.
        let mut seen: BTreeMap<Cow<'a, str>, (Pos, bool)> = BTreeMap::new();
        let mut read = 0;
        let mut entry =
            |reader: &mut Self, key: Cow<'a, str>, at: Pos, value: Node<'a>, merged: bool| {
                match seen.get(&key) {
                    Some(&(first, false)) if !merged => reader.duplicate(&key, at, first, value),
                    // What a merge key gives yields to what the mapping says.
                    Some(_) if merged => reader.skip(value),
                    _ => {
                        read += 1;
                        each(reader, &key, at, value);
                        seen.insert(key, (at, merged));
                    }
                }
            };
        self.entries(node, &mut entry, false);
        read
    }

    /// Reports a key written again, at `at`, and skips its value.
    fn duplicate(&mut self, key: &str, at: Pos, first: Pos, value: Node<'a>) {
        let message = format!(
            "duplicate key `{key}` (first set at line {}, column {}); keep one of them",
            first.line, first.column
        );
        self.error(at, message);
        self.skip(value);
    }

    /// Reads a mapping of the format, `what` by name, whose keys are `fields` (at most
    /// [`MAX_FIELDS`]): `each` gets the field, where its key is, and the value. A field with a
    /// null value is absent. Reports unknown fields, fields written again and, unless a key
    /// was refused (most likely the missing field, misspelt), a missing `required` one.
    /// Whether it is a mapping with every required field.
    fn fields(
        &mut self,
        node: Node<'a>,
        what: &str,
        fields: &'static [&'static str],
        required: &[&str],
        mut each: impl FnMut(&mut Self, &'static str, Pos, Node<'a>),
    ) -> bool {
        let at = node.pos;
        // Where each field is, and whether it came from a merge key.
        let mut seen: [Option<(Pos, bool)>; MAX_FIELDS] = [None; MAX_FIELDS];
        let mut unknown = 0;
        let mut entry =
            |reader: &mut Self, key: Cow<'a, str>, key_pos: Pos, value: Node<'a>, merged: bool| {
                let known = fields.iter().position(|field| *field == key);
                let Some((index, seen)) =
                    known.and_then(|index| Some((index, seen.get_mut(index)?)))
                else {
                    unknown += 1;
                    let message = format!(
                        "unknown field `{key}` in {what}; expected one of {}",
                        quoted_list(fields)
                    );
                    reader.error(key_pos, message);
                    return reader.skip(value);
                };
                match *seen {
                    Some((first, false)) if !merged => {
                        return reader.duplicate(&key, key_pos, first, value)
                    }
                    // What a merge key gives yields to what the mapping says.
                    Some(_) if merged => return reader.skip(value),
                    _ => *seen = Some((key_pos, merged)),
                }
                let field = fields[index];
                if value.is_null() && !required.contains(&field) {
                    reader.skip(value);
                } else {
                    each(reader, field, key_pos, value);
                }
            };
        let refused = self.entries(node, &mut entry, false);
        let present = |field: &&str| {
            let index = fields.iter().position(|known| known == field);
            index.is_some_and(|index| seen.get(index).is_some_and(Option::is_some))
        };
        let mut whole = refused.is_some();
        for field in required {
            if !present(field) {
                whole = false;
                if refused == Some(0) && unknown == 0 {
                    self.error(at, format!("missing field `{field}` in {what}; add it"));
                }
            }
        }
        whole
    }

    /// A plan, when its name can be read.
    fn plan(&mut self, node: Node<'a>) -> Option<Declared> {
        let errors_before = self.errors.len();
        let mut name = None;
        let mut id = None;
        let mut body = PlanBody::default();
        let mut throttled = false;
        let mut stages = ReadStages::default();
        let mut tags = None;
        let mut keys = None;
        let mut named_keys = Vec::new();
        let mut key_lines = Vec::new();
        let mut adopt_stack = None;
        let (mut tags_at, mut keys_at) = (node.pos, node.pos);
        let mut lines = FieldLines::default();
        self.fields(
            node,
            "usage plan",
            PLAN,
            &["name"],
            |reader, field, key_pos, value| {
                let pos = value.pos;
                let written = Some(LineColumn {
                    line: key_pos.line,
                    column: key_pos.column,
                });
                match field {
                    "description" => lines.description = written,
                    "productCode" => lines.product_code = written,
                    "throttle" => lines.throttle = written,
                    "quota" => lines.quota = written,
                    "apiStages" => lines.api_stages = written,
                    "tags" => lines.tags = written,
                    "keys" => lines.keys = written,
                    _ => {}
                }
                match field {
                    "name" => {
                        name = reader.text(value).map(|text| (text, pos));
                        if name
                            .as_ref()
                            .is_some_and(|(text, _)| text.trim().is_empty())
                        {
                            reader.error(pos, "`name` must not be empty".to_owned());
                        }
                    }
                    "id" => id = reader.nonempty(value, "id").map(|text| (text, pos)),
                    "description" => body.description = reader.lines(value).unwrap_or_default(),
                    "productCode" => body.product_code = reader.nonempty(value, "productCode"),
                    "throttle" => {
                        // A plan-level throttle left out for its errors is still there.
                        throttled = true;
                        body.throttle = reader.throttle(value);
                    }
                    "quota" => body.quota = reader.quota(value),
                    "apiStages" => {
                        // A merge key's stages give way to the plan's own.
                        stages = ReadStages::default();
                        reader.list(value, |reader, item| reader.stage(item, &mut stages))
                    }
                    "tags" => {
                        tags_at = pos;
                        tags = Some(reader.tags(value));
                    }
                    "keys" => {
                        keys_at = pos;
                        let (by_id, by_name, lines) = reader.keys(value);
                        keys = Some(by_id);
                        named_keys = by_name;
                        key_lines = lines;
                    }
                    "adopt" => adopt_stack = reader.adopt(value),
                    _ => reader.skip(value),
                }
            },
        );
        if !throttled {
            for pos in stages.method_throttles_at {
                self.error(
                    pos,
                    "method throttles need a plan-level throttle; add `throttle` to the plan"
                        .to_owned(),
                );
            }
        }
        let count_at = if tags.is_some() { tags_at } else { keys_at };
        self.tag_count(
            tags.as_ref(),
            keys.as_deref(),
            &named_keys,
            id.is_some(),
            count_at,
        );
        let (name, name_at) = name?;
        body.name = name;
        body.stages = stages.read.into_iter().collect();
        let named_stages = stages.named;
        let refs = RefLines {
            stages: stages.lines,
            keys: key_lines,
        };
        let (id, id_at) = id.unzip();
        Some(Declared {
            plan: DesiredPlan {
                body,
                id,
                tags,
                keys,
                location: self.at(name_at),
                named_stages,
                named_keys,
                fields: lines,
                refs,
                adopt_stack,
            },
            id_at,
            valid: self.errors.len() == errors_before,
        })
    }

    fn throttle(&mut self, node: Node<'a>) -> Option<Throttle> {
        let (mut rate, mut burst) = (None, None);
        self.fields(
            node,
            "throttle",
            THROTTLE,
            THROTTLE,
            |reader, field, _, value| match field {
                "rateLimit" => rate = reader.rate(value, field),
                "burstLimit" => burst = reader.count(value, field),
                _ => reader.skip(value),
            },
        );
        Some(Throttle {
            rate_limit: rate?,
            burst_limit: burst?,
        })
    }

    fn quota(&mut self, node: Node<'a>) -> Option<Quota> {
        let (mut limit, mut period, mut offset) = (None, None, None);
        let whole = self.fields(
            node,
            "quota",
            QUOTA,
            &QUOTA[..2],
            |reader, field, _, value| {
                let pos = value.pos;
                match field {
                    "limit" => limit = reader.count(value, field),
                    "period" => period = reader.period(value),
                    "offset" => offset = reader.whole(value).map(|offset| (offset, pos)),
                    _ => reader.skip(value),
                }
            },
        );
        let offset = match (offset, period) {
            (None, _) => 0,
            (Some((offset, pos)), Some(period)) => {
                let max = period.max_offset();
                if !(0..=i128::from(max)).contains(&offset) {
                    let allowed = if max == 0 {
                        "0".to_owned()
                    } else {
                        format!("0 to {max}")
                    };
                    self.error(
                        pos,
                        format!(
                            "`offset` {offset} is out of range for a {period} quota; use {allowed}"
                        ),
                    );
                    return None;
                }
                i64::try_from(offset).ok()?
            }
            // Without a period the offset can only be held to what AWS stores.
            (Some((offset, pos)), None) if whole => self.in_range(offset, pos, "offset")?,
            (Some(_), None) => return None,
        };
        Some(Quota {
            limit: limit?,
            period: period?,
            offset,
        })
    }

    fn period(&mut self, node: Node<'a>) -> Option<Period> {
        let pos = node.pos;
        let text = self.text(node)?;
        let period = Period::parse(&text);
        if period.is_none() {
            let names: Vec<&str> = Period::ALL.iter().map(|period| period.as_str()).collect();
            self.error(
                pos,
                format!(
                    "unknown value `{text}`; expected one of {}",
                    quoted_list(&names)
                ),
            );
        }
        period
    }

    /// A stage of `apiStages`, added to `stages` unless it is listed already.
    fn stage(&mut self, node: Node<'a>, stages: &mut ReadStages) {
        let at = node.pos;
        let (mut api_id, mut api, mut stage) = (None, None, None);
        let mut methods = MethodThrottles::new();
        let mut method_lines = Vec::new();
        // Whether `apiId` or `api` is written at all, even wrong.
        let mut given = false;
        let whole = self.fields(
            node,
            "api stage",
            STAGE,
            &["stage"],
            |reader, field, key_pos, value| match field {
                "apiId" => {
                    given = true;
                    api_id = reader.stage_part(value, field).map(|id| (id, key_pos));
                }
                "api" => {
                    given = true;
                    let pos = value.pos;
                    api = reader.nonempty(value, field).map(|name| (name, pos));
                }
                "stage" => stage = reader.stage_part(value, field),
                "throttle" => {
                    let read;
                    (methods, read, method_lines) = reader.method_throttles(value);
                    if read > 0 {
                        stages.method_throttles_at.push(key_pos);
                    }
                }
                _ => reader.skip(value),
            },
        );
        let (reference, named_at) = match (api_id, api) {
            (Some(_), Some((_, pos))) => {
                let message = "give the REST API by `apiId` or by `api` (its name), not both";
                return self.error(pos, message.to_owned());
            }
            (Some((api_id, _)), None) => (stage.map(|stage| StageRef { api_id, stage }), None),
            (None, Some((name, pos))) => (
                stage.map(|stage| StageRef {
                    api_id: name,
                    stage,
                }),
                Some(pos),
            ),
            (None, None) => {
                if whole && !given {
                    let message = "missing field `apiId` in api stage; add it, or `api` with the \
                                   REST API's name";
                    self.error(at, message.to_owned());
                }
                return;
            }
        };
        let Some(reference) = reference else {
            return;
        };
        let key = (named_at.is_some(), reference);
        if let Some(first) = stages.first.get(&key) {
            let stage = match key {
                (false, ref reference) => format!("stage `{reference}`"),
                (true, ref reference) => {
                    format!("stage `{}` of `api: {}`", reference.stage, reference.api_id)
                }
            };
            let message = format!(
                "{stage} is already listed at {}; list it once",
                self.at(*first)
            );
            return self.error(at, message);
        }
        stages.first.insert(key.clone(), at);
        let (by_name, reference) = key;
        stages.lines.push(StageLine {
            api: reference.api_id.clone(),
            api_id: (!by_name).then(|| reference.api_id.clone()),
            stage: reference.stage.clone(),
            at: line_column(at),
            methods: method_lines,
        });
        match named_at {
            None => stages.read.push((reference, methods)),
            Some(pos) => stages.named.push(NamedStage {
                api: reference.api_id,
                stage: reference.stage,
                throttle: methods,
                location: self.at(pos),
            }),
        }
    }

    /// An `apiId` or `stage`: the two halves of `apiId:stage`.
    fn stage_part(&mut self, node: Node<'a>, field: &str) -> Option<String> {
        let pos = node.pos;
        let text = self.text(node)?;
        if text.is_empty() || text.contains(':') {
            self.error(
                pos,
                format!("`{field}` must be a non-empty name without `:`"),
            );
            return None;
        }
        Some(text)
    }

    /// The method throttles of a stage, how many entries it has, valid or not, and where each
    /// key is written.
    fn method_throttles(&mut self, node: Node<'a>) -> (MethodThrottles, usize, Vec<MethodLine>) {
        let mut throttles = Vec::new();
        let mut lines = Vec::new();
        let read = self.unique_entries(node, |reader, key, key_pos, value| {
            lines.push(MethodLine {
                key: key.to_owned(),
                at: line_column(key_pos),
            });
            if !is_method_key(key) {
                reader.error(
                    key_pos,
                    format!(
                        "method throttle key `{key}` must be `{{resourcePath}}/{{METHOD}}` \
                         without `*`, METHOD one of {}; for example `/pets/GET`",
                        METHODS.join(", ")
                    ),
                );
            }
            if let Some(throttle) = reader.throttle(value) {
                throttles.push((key.to_owned(), throttle));
            }
        });
        (throttles.into_iter().collect(), read, lines)
    }

    fn tags(&mut self, node: Node<'a>) -> Tags {
        let mut tags = Vec::new();
        self.unique_entries(node, |reader, key, key_pos, value| {
            if is_reserved_tag(key) {
                reader.error(
                    key_pos,
                    format!(
                        "tag `{key}` is reserved: keys starting `tollgate:` or `aws:` belong to \
                         tollgate and AWS; remove it"
                    ),
                );
            }
            let length = key.chars().count();
            if length > MAX_TAG_KEY {
                reader.error(
                    key_pos,
                    format!(
                        "tag key `{key}` is {length} characters: AWS accepts at most \
                         {MAX_TAG_KEY}; shorten it"
                    ),
                );
            }
            let pos = value.pos;
            let Some(value) = reader.text(value) else {
                return;
            };
            let length = value.chars().count();
            if length > MAX_TAG_VALUE {
                reader.error(
                    pos,
                    format!(
                        "the value of tag `{key}` is {length} characters: AWS accepts at most \
                         {MAX_TAG_VALUE}; shorten it"
                    ),
                );
            }
            tags.push((key.to_owned(), value));
        });
        tags.into_iter().collect()
    }

    /// Checks that the declared tags fit on the plan with the record each grant leaves
    /// there; `pinned`: the plan exists already (an `id` pin), so tollgate never creates it
    /// and keeps no creation marker on it.
    fn tag_count(
        &mut self,
        tags: Option<&Tags>,
        keys: Option<&[DesiredKey]>,
        named_keys: &[NamedKey],
        pinned: bool,
        at: Pos,
    ) {
        let declared = tags.map_or(0, Tags::len);
        let records = grant_records(keys, named_keys);
        if let Some(message) = plan_tags_too_many(declared, records, pinned, false) {
            self.error(at, message);
        }
    }

    /// The keys of `keys`: those given by id, and those given by name.
    fn keys(&mut self, node: Node<'a>) -> (Vec<DesiredKey>, Vec<NamedKey>, Vec<KeyLine>) {
        let mut keys = Vec::new();
        let mut named = Vec::new();
        let mut lines = Vec::new();
        let mut first: BTreeMap<(bool, String), Pos> = BTreeMap::new();
        self.list(node, |reader, item| {
            let Some(key) = reader.key(item) else {
                return;
            };
            let (identity, at) = match &key {
                ReadKey::Id(key, at) => ((false, key.id.clone()), *at),
                ReadKey::Name(key, at) => ((true, key.name.clone()), *at),
            };
            if let Some(first) = first.get(&identity) {
                let (by_name, text) = &identity;
                let listed = if *by_name { "key named" } else { "key" };
                let message = format!(
                    "{listed} `{text}` is already listed at {}; list it once",
                    reader.at(*first)
                );
                return reader.error(at, message);
            }
            first.insert(identity.clone(), at);
            let (by_name, written) = identity;
            lines.push(KeyLine {
                id: (!by_name).then(|| written.clone()),
                written,
                at: line_column(at),
            });
            match key {
                ReadKey::Id(key, _) => keys.push(key),
                ReadKey::Name(key, _) => named.push(key),
            }
        });
        (keys, named, lines)
    }

    /// A key of `keys`, by id or by name, and where its id or name is.
    fn key(&mut self, node: Node<'a>) -> Option<ReadKey> {
        let at = node.pos;
        let (mut id, mut name) = (None, None);
        let mut grants: Vec<(Grant, Pos)> = Vec::new();
        // Whether `id` or `name` is written at all, even wrong.
        let mut given = false;
        let whole = self.fields(node, "api key", KEY, &[], |reader, field, _, value| {
            let pos = value.pos;
            given |= field != "grants";
            match field {
                "id" => id = reader.text(value).map(|id| (id, pos)),
                "name" => name = reader.nonempty(value, field).map(|name| (name, pos)),
                "grants" => grants = reader.grants(value),
                _ => reader.skip(value),
            }
        });
        match (id, name) {
            (Some(_), Some((_, pos))) => {
                let message = "give the key by `id` or by `name`, not both";
                self.error(pos, message.to_owned());
                None
            }
            (Some((id, at)), None) => {
                if id.is_empty() {
                    self.error(at, "a key's `id` must not be empty".to_owned());
                }
                for (grant, pos) in &grants {
                    if let Some(message) = grant_record_too_long(&id, &grant.id) {
                        self.error(*pos, message);
                    }
                }
                let grants = grants.into_iter().map(|(grant, _)| grant).collect();
                Some(ReadKey::Id(DesiredKey { id, grants }, at))
            }
            (None, Some((name, at))) => {
                let grants = grants
                    .into_iter()
                    .map(|(grant, pos)| (grant, self.at(pos)))
                    .collect();
                let location = self.at(at);
                Some(ReadKey::Name(
                    NamedKey {
                        name,
                        grants,
                        location,
                    },
                    at,
                ))
            }
            (None, None) => {
                if whole && !given {
                    let message = "missing field `id` in api key; add it, or `name` with the \
                                   key's name";
                    self.error(at, message.to_owned());
                }
                None
            }
        }
    }

    /// The grants of a key, each with where its id is.
    fn grants(&mut self, node: Node<'a>) -> Vec<(Grant, Pos)> {
        let mut grants: Vec<(Grant, Pos)> = Vec::new();
        let mut first: BTreeMap<String, Pos> = BTreeMap::new();
        self.list(node, |reader, item| {
            let (mut id, mut remaining) = (None, None);
            reader.fields(item, "grant", GRANT, GRANT, |reader, field, _, value| {
                let pos = value.pos;
                match field {
                    "id" => id = reader.text(value).map(|id| (id, pos)),
                    "remaining" => remaining = reader.count(value, field),
                    _ => reader.skip(value),
                }
            });
            let Some((id, at)) = id else {
                return;
            };
            if id.is_empty() {
                return reader.error(at, "a grant's `id` must not be empty".to_owned());
            }
            if let Some(first) = first.get(&id) {
                let message = format!(
                    "grant `{id}` is already listed for this key at {}; give each grant its \
                     own id",
                    reader.at(*first)
                );
                return reader.error(at, message);
            }
            first.insert(id.clone(), at);
            if let Some(remaining) = remaining {
                grants.push((Grant { id, remaining }, at));
            }
        });
        grants
    }
}

/// Whether `key` has the form `{resourcePath}/{METHOD}` AWS accepts for usage plans.
fn is_method_key(key: &str) -> bool {
    match key.rsplit_once('/') {
        Some((resource, method)) => {
            resource.starts_with('/') && !key.contains('*') && METHODS.contains(&method)
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The errors of one file, as `load` reports them: in order of place.
    fn errors_of(text: &str) -> Vec<String> {
        let mut errors = decode("p.yaml", text).errors;
        errors.sort_by_key(|error| error.location.as_ref().map(|at| (at.line, at.column)));
        errors.iter().map(ToString::to_string).collect()
    }

    fn plans_of(text: &str) -> Vec<DesiredPlan> {
        let decoded = decode("p.yaml", text);
        assert_eq!(decoded.errors, vec![], "{text}");
        decoded
            .plans
            .into_iter()
            .map(|declared| declared.plan)
            .collect()
    }

    #[test]
    fn control_characters_are_refused_in_names_but_not_in_descriptions() {
        let errors = errors_of(
            "usagePlans:\n  - name: \"Gold</summary>\\n**Plan: 0 to change.** @octocat\"\n    description: \"two\\nlines\"\n    tags: { team: \"\\e[31mred\" }\n    throttle:\n      { \"\\e[2J\": 1 }\n",
        );
        assert_eq!(
            errors,
            [
                "p.yaml:2:11: this value holds a control character (U+000A, a line break); \
                 names, ids, stages, keys and tags are one line of printable characters: \
                 remove it",
                "p.yaml:4:19: this value holds a control character (U+001B); names, ids, \
                 stages, keys and tags are one line of printable characters: remove it",
                "p.yaml:6:9: this value holds a control character (U+001B); names, ids, \
                 stages, keys and tags are one line of printable characters: remove it",
            ]
        );
        let plans = plans_of("usagePlans:\n  - name: Gold\n    description: \"two\\nlines\"\n");
        assert_eq!(plans[0].body.description, "two\nlines");
    }

    #[test]
    fn method_keys_need_a_path_and_a_known_method() {
        for good in ["/pets/GET", "//ANY", "/pets/{id}/DELETE", "/a/b/OPTIONS"] {
            assert!(is_method_key(good), "{good}");
        }
        for bad in [
            "pets/GET",
            "/GET",
            "/pets/FETCH",
            "/pets/get",
            "*/*",
            "/pets/*/GET",
            "/pets",
        ] {
            assert!(!is_method_key(bad), "{bad}");
        }
    }

    #[test]
    fn a_valid_plan_becomes_the_model() {
        let plans = plans_of(
            "usagePlans:\n  - name: Gold\n    description: ''\n    throttle: {rateLimit: 12.5, burstLimit: 20}\n    quota: {limit: 100, period: WEEK, offset: 6}\n    apiStages:\n      - {apiId: a1, stage: prod, throttle: {/pets/GET: {rateLimit: 1, burstLimit: 2}}}\n    tags: {team: payments}\n    keys:\n      - id: k1\n        grants: [{id: SUP-1, remaining: 5}]\n",
        );
        let plan = &plans[0];
        assert_eq!(plan.body.description, "");
        assert_eq!(
            plan.body.throttle,
            Some(Throttle {
                rate_limit: 12.5,
                burst_limit: 20
            })
        );
        assert_eq!(
            plan.body.quota,
            Some(Quota {
                limit: 100,
                offset: 6,
                period: Period::Week
            })
        );
        let stage = StageRef {
            api_id: "a1".into(),
            stage: "prod".into(),
        };
        assert_eq!(
            plan.body
                .stages
                .get(&stage)
                .and_then(|t| t.get("/pets/GET")),
            Some(&Throttle {
                rate_limit: 1.0,
                burst_limit: 2
            })
        );
        assert_eq!(
            plan.tags
                .as_ref()
                .and_then(|t| t.get("team"))
                .map(String::as_str),
            Some("payments")
        );
        assert_eq!(
            plan.keys,
            Some(vec![DesiredKey {
                id: "k1".into(),
                grants: vec![Grant {
                    id: "SUP-1".into(),
                    remaining: 5
                }]
            }])
        );
        assert_eq!(
            plan.location,
            SourceLocation {
                path: "p.yaml".into(),
                line: 2,
                column: 11
            }
        );
    }

    #[test]
    fn ranges_and_offsets_are_checked() {
        assert_eq!(
            errors_of("usagePlans:\n  - name: A\n    throttle: {rateLimit: -1, burstLimit: -2}\n    quota: {limit: -3, period: DAY, offset: 1}\n"),
            vec![
                "p.yaml:3:27: `rateLimit` must be a number >= 0, found -1",
                "p.yaml:3:43: `burstLimit` must be an integer >= 0, found -2",
                "p.yaml:4:20: `limit` must be an integer >= 0, found -3",
                "p.yaml:4:45: `offset` 1 is out of range for a DAY quota; use 0",
            ]
        );
        assert_eq!(
            errors_of(
                "usagePlans:\n  - name: A\n    quota: {limit: 1, period: MONTH, offset: 28}\n"
            ),
            vec!["p.yaml:3:46: `offset` 28 is out of range for a MONTH quota; use 0 to 27"]
        );
    }

    #[test]
    fn integers_must_fit_in_32_bits() {
        let text = "usagePlans:\n  - name: A\n    throttle: {rateLimit: 3000000000, burstLimit: 2147483648}\n    quota: {limit: 3000000000, period: WEEK}\n    keys: [{id: k, grants: [{id: g, remaining: 9999999999}]}]\n  - name: B\n    quota: {limit: 2147483647, period: YEAR, offset: 2147483648}\n    keys: [{id: k, grants: [{id: g, remaining: 2147483647}]}]\n";
        let most = "must be at most 2147483647, the largest AWS accepts, found";
        assert_eq!(
            errors_of(text),
            vec![
                format!("p.yaml:3:51: `burstLimit` {most} 2147483648; lower it"),
                format!("p.yaml:4:20: `limit` {most} 3000000000; lower it"),
                format!("p.yaml:5:48: `remaining` {most} 9999999999; lower it"),
                "p.yaml:7:40: unknown value `YEAR`; expected one of `DAY`, `WEEK`, `MONTH`"
                    .to_owned(),
                format!("p.yaml:7:54: `offset` {most} 2147483648; lower it"),
            ]
        );
    }

    #[test]
    fn tags_fit_aws_limits_counting_grant_records() {
        let long_key = "k".repeat(129);
        let long_value = "v".repeat(257);
        let text = format!(
            "usagePlans:\n  - name: A\n    tags: {{{long_key}: x, ok: {long_value}, {}: y}}\n",
            "k".repeat(128)
        );
        assert_eq!(
            errors_of(&text),
            vec![
                format!("p.yaml:3:12: tag key `{long_key}` is 129 characters: AWS accepts at most 128; shorten it"),
                "p.yaml:3:150: the value of tag `ok` is 257 characters: AWS accepts at most 256; shorten it".to_owned(),
            ]
        );

        let tags: Vec<String> = (0..48).map(|n| format!("t{n}: x")).collect();
        let fits = format!(
            "usagePlans:\n  - name: A\n    tags: {{{}}}\n    keys: [{{id: k, grants: [{{id: g, remaining: 1}}]}}]\n",
            tags.join(", ")
        );
        assert_eq!(errors_of(&fits), Vec::<String>::new());
        let tags: Vec<String> = (0..50).map(|n| format!("t{n}: x")).collect();
        let tagged = format!(
            "usagePlans:\n  - name: A\n    tags: {{{}}}\n",
            tags.join(", ")
        );
        assert_eq!(
            errors_of(&tagged),
            vec![
                "p.yaml:3:11: 50 tags: AWS keeps at most 50 on a plan and tollgate keeps one of \
                  them for the creation marker `tollgate:creation` of a plan it creates (pin the \
                  plan's `id` if it exists already); declare at most 49"
            ]
        );
        // A pinned plan exists already: tollgate never creates it, so it may hold AWS's 50.
        let pinned = tagged.replace("- name: A\n", "- name: A\n    id: a1b2c3\n");
        assert_eq!(errors_of(&pinned), Vec::<String>::new());
        let over = fits.replace(
            "{id: g, remaining: 1}",
            "{id: g, remaining: 1}, {id: h, remaining: 1}",
        );
        assert_eq!(
            errors_of(&over),
            vec!["p.yaml:3:11: 48 tags and 2 grants make 50 tags: each grant keeps a tag \
                  `tollgate:grant:{keyId}:{grantId}` on the plan for good, and AWS keeps at most 50 \
                  on a plan and tollgate keeps one of them for the creation marker \
                  `tollgate:creation` of a plan it creates (pin the plan's `id` if it exists \
                  already); declare at most 49 tags and grants together"]
        );
        let grants: Vec<String> = (0..50)
            .map(|n| format!("{{id: g{n}, remaining: 1}}"))
            .collect();
        let untagged = format!(
            "usagePlans:\n  - name: A\n    keys: [{{id: k, grants: [{}]}}]\n",
            grants.join(", ")
        );
        assert_eq!(
            errors_of(&untagged),
            vec!["p.yaml:3:11: 0 tags and 50 grants make 50 tags: each grant keeps a tag \
                  `tollgate:grant:{keyId}:{grantId}` on the plan for good, and AWS keeps at most 50 \
                  on a plan and tollgate keeps one of them for the creation marker \
                  `tollgate:creation` of a plan it creates (pin the plan's `id` if it exists \
                  already); declare at most 49 tags and grants together"]
        );
    }

    #[test]
    fn a_grant_record_key_must_fit_in_a_tag_key() {
        let key = "k".repeat(40);
        // `tollgate:grant:` and `:` take 16 characters with the key's 40: 72 are left.
        let fits = "g".repeat(72);
        let long = "g".repeat(73);
        let text = format!(
            "usagePlans:\n  - name: A\n    keys: [{{id: {key}, grants: [{{id: {fits}, remaining: 1}}, {{id: {long}, remaining: 1}}]}}]\n"
        );
        assert_eq!(
            errors_of(&text),
            vec![format!(
                "p.yaml:3:167: grant id `{long}` is too long for key `{key}`: its record tag \
                 `tollgate:grant:{key}:{long}` would be 129 characters and AWS accepts at most 128 \
                 in a tag key; shorten the grant id to at most 72 characters"
            )]
        );
    }

    #[test]
    fn stages_keys_grants_and_tags_are_checked() {
        let text = "usagePlans:\n  - name: A\n    apiStages:\n      - {apiId: a, stage: s, throttle: {/x/GET: {rateLimit: 1, burstLimit: 1}}}\n      - {apiId: a, stage: s}\n    tags: {aws:x: y}\n    keys:\n      - id: k\n        grants: [{id: g, remaining: 1}, {id: g, remaining: -1}]\n      - id: k\n";
        assert_eq!(
            errors_of(text),
            vec![
                "p.yaml:4:30: method throttles need a plan-level throttle; add `throttle` to the plan",
                "p.yaml:5:9: stage `a:s` is already listed at p.yaml:4:9; list it once",
                "p.yaml:6:12: tag `aws:x` is reserved: keys starting `tollgate:` or `aws:` belong to tollgate and AWS; remove it",
                "p.yaml:9:46: grant `g` is already listed for this key at p.yaml:9:23; give each grant its own id",
                "p.yaml:9:60: `remaining` must be an integer >= 0, found -1",
                "p.yaml:10:13: key `k` is already listed at p.yaml:8:13; list it once",
            ]
        );
    }

    #[test]
    fn what_stands_in_for_a_wrong_value_is_not_checked() {
        let text = "usagePlans:\n  - name: [A]\n    throttle: fast\n    apiStages:\n      - {apiId: a, stage: {}, throttle: {/x/GET: {rateLimit: 1, burstLimit: 1}}}\n    keys: [{id: [k]}, {id: [k]}]\n  - name: [B]\n";
        assert_eq!(
            errors_of(text),
            vec![
                "p.yaml:2:11: expected a string, found a list",
                "p.yaml:3:15: expected a mapping, found the string \"fast\"",
                "p.yaml:5:27: expected a string, found a mapping",
                "p.yaml:6:17: expected a string, found a list",
                "p.yaml:6:28: expected a string, found a list",
                "p.yaml:7:11: expected a string, found a list",
            ]
        );
    }

    #[test]
    fn scalars_resolve_as_in_the_core_schema_and_leading_zeros_stay_text() {
        assert_eq!(resolve("~"), Scalar::Null);
        assert_eq!(resolve(""), Scalar::Null);
        assert_eq!(resolve("True"), Scalar::Bool(true));
        assert_eq!(resolve("-12"), Scalar::Int(-12));
        assert_eq!(resolve("0x1F"), Scalar::Int(31));
        assert_eq!(resolve("0o17"), Scalar::Int(15));
        assert_eq!(resolve("12.5"), Scalar::Float(12.5));
        assert_eq!(resolve("1e3"), Scalar::Float(1000.0));
        assert_eq!(resolve(".5"), Scalar::Float(0.5));
        assert_eq!(resolve("-.inf"), Scalar::Float(f64::NEG_INFINITY));
        assert!(matches!(resolve(".nan"), Scalar::Float(value) if value.is_nan()));
        for text in [
            "0123", "1.10.2", "inf", "nan", "1e", "e5", ".", "0x", "0x+1", "12a",
        ] {
            assert_eq!(resolve(text), Scalar::Str(text), "{text}");
        }
        assert_eq!(
            resolve("99999999999999999999999999999999999999999"),
            Scalar::Float(1e41)
        );
    }

    #[test]
    fn fields_that_want_text_read_numbers_as_written_and_null_is_absent() {
        let plans = plans_of(
            "usagePlans:\n  - name: 1.10\n    description: ~\n    productCode: 0123\n    keys:\n    tags: {on: true}\n",
        );
        assert_eq!(plans[0].body.name, "1.10");
        assert_eq!(plans[0].body.description, "");
        assert_eq!(plans[0].body.product_code.as_deref(), Some("0123"));
        assert_eq!(
            plans[0].keys, None,
            "`keys:` with nothing leaves keys alone"
        );
        assert_eq!(
            plans[0]
                .tags
                .as_ref()
                .and_then(|tags| tags.get("on"))
                .map(String::as_str),
            Some("true")
        );
    }

    #[test]
    fn an_empty_file_and_an_empty_list_declare_nothing() {
        for text in [
            "",
            "# nothing yet\n",
            "~\n",
            "usagePlans:\n",
            "usagePlans: []\n",
        ] {
            let decoded = decode("p.yaml", text);
            assert!(
                decoded.plans.is_empty() && decoded.errors.is_empty(),
                "{text:?}"
            );
        }
    }

    #[test]
    fn the_top_level_must_be_usage_plans() {
        assert_eq!(
            errors_of("plans: []\nusagePlans: [{name: A}]\nkeys: []\n"),
            vec![
                "p.yaml:1:1: unknown field `plans` in file; expected one of `usagePlans`, `apiKeys`",
                "p.yaml:3:1: unknown field `keys` in file; expected one of `usagePlans`, `apiKeys`",
            ]
        );
        assert_eq!(
            errors_of("usagePlans: Gold\n"),
            vec!["p.yaml:1:13: expected a list, found the string \"Gold\""]
        );
        assert_eq!(
            errors_of("- name: Gold\n"),
            vec!["p.yaml:1:1: expected a mapping, found a list"]
        );
    }

    #[test]
    fn every_duplicate_key_is_reported_and_the_first_kept() {
        let decoded = decode(
            "p.yaml",
            "usagePlans:\n  - name: A\n    description: one\n    name: B\n    description: two\n",
        );
        let errors: Vec<String> = decoded.errors.iter().map(ToString::to_string).collect();
        assert_eq!(
            errors,
            vec![
                "p.yaml:4:5: duplicate key `name` (first set at line 2, column 5); keep one of them",
                "p.yaml:5:5: duplicate key `description` (first set at line 3, column 5); keep one of them",
            ]
        );
        assert_eq!(decoded.plans[0].plan.body.name, "A");
        assert_eq!(decoded.plans[0].plan.body.description, "one");
    }

    #[test]
    fn a_misspelt_field_is_not_also_missing_and_a_missing_one_is_at_its_mapping() {
        assert_eq!(
            errors_of("usagePlans:\n  - name: A\n    throttle: {rateLimt: 1, burstLimit: 2}\n  - description: x\n"),
            vec![
                "p.yaml:3:16: unknown field `rateLimt` in throttle; expected one of `rateLimit`, `burstLimit`",
                "p.yaml:4:5: missing field `name` in usage plan; add it",
            ]
        );
    }

    #[test]
    fn wrong_types_name_what_was_found() {
        assert_eq!(
            errors_of("usagePlans:\n  - name: A\n    throttle: {rateLimit: '5', burstLimit: 2.5}\n    quota: [1]\n    keys: [{id: k, grants: [{id: g, remaining: true}]}]\n    apiStages: {apiId: a}\n"),
            vec![
                "p.yaml:3:27: expected a number, found the string \"5\"",
                "p.yaml:3:44: expected an integer, found the number 2.5",
                "p.yaml:4:12: expected a mapping, found a list",
                "p.yaml:5:48: expected an integer, found the boolean true",
                "p.yaml:6:16: expected a list, found a mapping",
            ]
        );
    }

    #[test]
    fn broken_yaml_is_the_only_error_of_its_file() {
        let errors = errors_of("usagePlans:\n  - name: [A\n    colour: red\n");
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].starts_with("p.yaml:") && errors[0].contains("the YAML is broken"));
    }

    #[test]
    fn aliases_read_as_what_they_name() {
        let plans = plans_of(
            "usagePlans:\n  - name: A\n    throttle: &t {rateLimit: 5, burstLimit: 10}\n  - name: B\n    throttle: *t\n",
        );
        assert_eq!(plans[0].body.throttle, plans[1].body.throttle);
        assert!(plans[1].body.throttle.is_some());
    }

    #[test]
    fn the_fields_read_are_the_fields_the_schema_describes() {
        let schema: serde_json::Value =
            serde_json::from_str(&crate::spec::json_schema().expect("a schema")).expect("JSON");
        let properties = |schema: &serde_json::Value| -> Vec<String> {
            let mut names: Vec<String> = schema["properties"]
                .as_object()
                .map(|properties| properties.keys().cloned().collect())
                .unwrap_or_default();
            names.sort();
            names
        };
        let sorted = |fields: &[&str]| -> Vec<String> {
            let mut names: Vec<String> = fields.iter().map(|field| (*field).to_owned()).collect();
            names.sort();
            names
        };
        assert_eq!(properties(&schema), sorted(FILE));
        for (definition, fields) in [
            ("UsagePlan", PLAN),
            ("Throttle", THROTTLE),
            ("Quota", QUOTA),
            ("ApiStage", STAGE),
            ("ApiKey", KEY),
            ("Grant", GRANT),
            ("DeclaredApiKey", api_keys::API_KEY),
            ("ValueFrom", api_keys::VALUE_FROM),
        ] {
            assert_eq!(
                properties(&schema["$defs"][definition]),
                sorted(fields),
                "{definition}"
            );
        }
    }

    #[test]
    fn numbers_may_hold_underscores_and_be_binary_or_signed_hexadecimal() {
        assert_eq!(resolve("1_000"), Scalar::Int(1000));
        assert_eq!(resolve("1_000.5"), Scalar::Float(1000.5));
        assert_eq!(resolve("0b101"), Scalar::Int(5));
        assert_eq!(resolve("-0x1F"), Scalar::Int(-31));
        for text in ["_1", "1_", "0_123", "a_b"] {
            assert_eq!(resolve(text), Scalar::Str(text), "{text}");
        }
    }

    #[test]
    fn merge_keys_give_what_the_mapping_does_not_say() {
        let plans = plans_of(
            "usagePlans:
  - name: A
    throttle: &t {rateLimit: 1, burstLimit: 2}
    tags: &tags {team: a, tier: gold}
  - name: B
    throttle: {<<: *t, burstLimit: 5}
    tags: {tier: silver, <<: *tags}
  - <<: [{name: X, description: first}, {description: second, productCode: p}]
    name: C
",
        );
        let b = &plans[1];
        assert_eq!(
            b.body.throttle,
            Some(Throttle {
                rate_limit: 1.0,
                burst_limit: 5
            })
        );
        let tags: Vec<(&str, &str)> = b
            .tags
            .iter()
            .flat_map(|tags| tags.iter())
            .map(|(key, value)| (key.as_str(), value.as_str()))
            .collect();
        assert_eq!(tags, [("team", "a"), ("tier", "silver")]);
        let c = &plans[2].body;
        assert_eq!(
            (
                c.name.as_str(),
                c.description.as_str(),
                c.product_code.as_deref()
            ),
            ("C", "first", Some("p"))
        );
        // A field the mapping itself writes twice is still a duplicate.
        assert_eq!(
            errors_of("usagePlans:\n  - {name: A, <<: {name: B}, name: C}\n"),
            vec!["p.yaml:2:30: duplicate key `name` (first set at line 2, column 6); keep one of them"]
        );
    }

    #[test]
    fn an_error_in_what_an_alias_replays_is_reported_at_the_alias() {
        assert_eq!(
            errors_of("usagePlans:\n  - name: A\n    description: &d x\n    quota: *d\n"),
            vec!["p.yaml:4:12: expected a mapping, found the string \"x\""]
        );
        assert_eq!(
            errors_of("usagePlans:\n  - {name: A, apiStages: [&s {apiId: a, stage: s}, *s]}\n"),
            vec!["p.yaml:2:52: stage `a:s` is already listed at p.yaml:2:30; list it once"]
        );
    }

    #[test]
    fn keys_must_be_strings() {
        assert_eq!(
            errors_of("usagePlans:\n  - {[name]: A}\n  - {name: B, tags: {~: x}}\n"),
            vec![
                "p.yaml:2:6: expected a string, found a list",
                "p.yaml:3:22: expected a string, found nothing",
            ]
        );
    }

    #[test]
    fn method_throttles_need_a_plan_throttle_even_when_they_are_wrong() {
        assert_eq!(
            errors_of("usagePlans:\n  - name: A\n    apiStages: [{apiId: a, stage: s, throttle: {/x/GET: {rateLimit: x, burstLimit: 1}}}]\n"),
            vec![
                "p.yaml:3:38: method throttles need a plan-level throttle; add `throttle` to the plan",
                "p.yaml:3:69: expected a number, found the string \"x\"",
            ]
        );
    }

    #[test]
    fn a_file_stops_being_read_at_the_hundredth_error() {
        let fields: Vec<String> = (0..150).map(|n| format!("colour{n}: red")).collect();
        let text = format!("usagePlans:\n  - {{name: A, {}}}\n", fields.join(", "));
        let errors = errors_of(&text);
        assert_eq!(errors.len(), MAX_ERRORS + 1);
        assert!(
            errors[MAX_ERRORS]
                .ends_with("100 errors: the rest of the file is not read; fix these first"),
            "{errors:?}"
        );
    }

    #[test]
    fn a_stage_gives_its_api_by_id_or_by_name_exactly_once() {
        let plans = plans_of(
            "usagePlans:\n  - name: A\n    apiStages:\n      - { api: pets, stage: prod }\n      - { apiId: a1, stage: prod }\n",
        );
        let named: Vec<(&str, &str, usize, usize)> = plans[0]
            .named_stages
            .iter()
            .map(|named| {
                (
                    named.api.as_str(),
                    named.stage.as_str(),
                    named.location.line,
                    named.location.column,
                )
            })
            .collect();
        assert_eq!(named, [("pets", "prod", 4, 16)]);
        assert_eq!(
            plans[0].body.stages.len(),
            1,
            "the stage by id is in the body"
        );
        assert_eq!(
            errors_of("usagePlans:\n  - name: A\n    apiStages:\n      - { apiId: a1, api: pets, stage: prod }\n      - { stage: prod }\n      - { api: pets, stage: s }\n      - { api: pets, stage: s }\n      - { api: '', stage: s }\n"),
            vec![
                "p.yaml:4:27: give the REST API by `apiId` or by `api` (its name), not both",
                "p.yaml:5:9: missing field `apiId` in api stage; add it, or `api` with the REST API's name",
                "p.yaml:7:9: stage `s` of `api: pets` is already listed at p.yaml:6:9; list it once",
                "p.yaml:8:16: `api` must not be empty; leave it out instead",
            ]
        );
    }

    #[test]
    fn a_key_is_given_by_id_or_by_name_exactly_once() {
        let plans = plans_of(
            "usagePlans:\n  - name: A\n    keys:\n      - { name: acme, grants: [{ id: SUP-1, remaining: 5 }] }\n      - { id: k1 }\n",
        );
        let named = &plans[0].named_keys;
        assert_eq!(named.len(), 1);
        assert_eq!(
            (
                named[0].name.as_str(),
                named[0].location.line,
                named[0].location.column
            ),
            ("acme", 4, 17)
        );
        assert_eq!(named[0].grants[0].0.id, "SUP-1");
        assert_eq!(plans[0].keys.as_ref().map(Vec::len), Some(1));
        assert_eq!(
            errors_of("usagePlans:\n  - name: A\n    keys:\n      - { id: k1, name: acme }\n      - { grants: [] }\n      - { name: acme }\n      - { name: acme }\n      - { id: [k] }\n"),
            vec![
                "p.yaml:4:25: give the key by `id` or by `name`, not both",
                "p.yaml:5:9: missing field `id` in api key; add it, or `name` with the key's name",
                "p.yaml:7:17: key named `acme` is already listed at p.yaml:6:17; list it once",
                "p.yaml:8:15: expected a string, found a list",
            ]
        );
    }
}
