//! A step's log read as the GitHub Actions runner reads it, for tests that check what tollgate's
//! output can make the runner do.
//!
//! Ported from actions/runner: `ActionCommand.TryParseV2` (`::name k=v,...::data` once leading
//! whitespace is trimmed) and the legacy `ActionCommand.TryParse` (`##[name k=v;...]data`
//! anywhere in a line) in src/Runner.Common/ActionCommand.cs, and the order and the
//! `stop-commands` state of `ActionCommandManager.TryProcessCommand` in
//! src/Runner.Worker/ActionCommandManager.cs. Lines end at `\n`, `\r` or `\r\n`, as
//! `StreamReader.ReadLine` has it (src/Runner.Sdk/ProcessInvoker.cs).
//!
//! The runner compares `::` and `##[` with .NET's culture-sensitive `StartsWith` and `IndexOf`,
//! which skip invisible (default-ignorable) characters; this port compares ordinally, so tests
//! must also check that no such character appears at all ([`forbidden_characters`]).

use std::collections::BTreeMap;

/// The commands a runner knows: its command extensions, and `stop-commands`.
const REGISTERED: [&str; 15] = [
    "stop-commands",
    "set-env",
    "set-output",
    "save-state",
    "add-mask",
    "add-path",
    "add-matcher",
    "remove-matcher",
    "debug",
    "warning",
    "error",
    "notice",
    "group",
    "endgroup",
    "echo",
];

/// One workflow command the runner found in a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    /// The line it was found in, from 1.
    pub line: usize,
    /// The command's name, as written.
    pub name: String,
    /// Its properties, unescaped.
    pub properties: BTreeMap<String, String>,
    /// Its data, unescaped.
    pub data: String,
    /// Whether the runner read it while commands were stopped (and so did not carry it out,
    /// unless it is the token that resumes them).
    pub while_stopped: bool,
}

/// What the runner made of a log.
#[derive(Debug, Default)]
pub struct Reading {
    /// Every command found, in order, those read while stopped included.
    pub commands: Vec<Command>,
    /// The token of a `stop-commands` block still open at the end, if any.
    pub open_stop_token: Option<String>,
}

impl Reading {
    /// The commands the runner carried out: those not read while stopped.
    pub fn carried_out(&self) -> impl Iterator<Item = &Command> {
        self.commands
            .iter()
            .filter(|command| !command.while_stopped)
    }
}

/// The lines of `log` as the runner reads them: split at `\n`, `\r` or `\r\n`.
pub fn lines(log: &str) -> Vec<&str> {
    let mut lines = Vec::new();
    let mut rest = log;
    while !rest.is_empty() {
        match rest.find(['\n', '\r']) {
            Some(end) => {
                lines.push(&rest[..end]);
                let after = if rest[end..].starts_with("\r\n") {
                    2
                } else {
                    1
                };
                rest = &rest[end + after..];
            }
            None => {
                lines.push(rest);
                rest = "";
            }
        }
    }
    lines
}

/// Reads `log` line by line as the runner does: each line is tried as a V2 command, then as a
/// legacy one; `stop-commands` stops all others until its token comes back as a command.
pub fn read(log: &str) -> Reading {
    let mut reading = Reading::default();
    let mut stop_token: Option<String> = None;
    for (index, line) in lines(log).into_iter().enumerate() {
        let registered = |name: &str| {
            REGISTERED
                .iter()
                .any(|known| known.eq_ignore_ascii_case(name))
                || stop_token
                    .as_deref()
                    .is_some_and(|token| token.eq_ignore_ascii_case(name))
        };
        let Some((name, properties, data)) =
            parse_v2(line, &registered).or_else(|| parse_legacy(line, &registered))
        else {
            continue;
        };
        let while_stopped = stop_token.is_some();
        if let Some(token) = &stop_token {
            if token.eq_ignore_ascii_case(&name) {
                stop_token = None;
            }
        } else if name.eq_ignore_ascii_case("stop-commands") {
            // The runner refuses (the command fails, nothing stops) an empty token or one that
            // names a command.
            if !data.is_empty() && !registered(&data) && !data.eq_ignore_ascii_case("pause-logging")
            {
                stop_token = Some(data.clone());
            }
        }
        reading.commands.push(Command {
            line: index + 1,
            name,
            properties,
            data,
            while_stopped,
        });
    }
    reading.open_stop_token = stop_token;
    reading
}

/// A name, its properties and its data.
type Parsed = (String, BTreeMap<String, String>, String);

/// `ActionCommand.TryParseV2`: `::name k=v,k=v::data` after the line's leading whitespace.
fn parse_v2(line: &str, registered: &dyn Fn(&str) -> bool) -> Option<Parsed> {
    let message = line.trim_start();
    let after_key = message.strip_prefix("::")?;
    let end = after_key.find("::")?;
    let info = &after_key[..end];
    let (name, properties) = name_and_properties(info, registered)?;
    let properties = properties
        .map(|text| split_properties(text.trim(), ',', unescape_property))
        .unwrap_or_default();
    Some((name, properties, unescape_data(&after_key[end + 2..])))
}

/// The legacy `ActionCommand.TryParse`: `##[name k=v;k=v]data` anywhere in the line.
fn parse_legacy(line: &str, registered: &dyn Fn(&str) -> bool) -> Option<Parsed> {
    let start = line.find("##[")? + 3;
    let end = start + line[start..].find(']')?;
    let (name, properties) = name_and_properties(&line[start..end], registered)?;
    let properties = properties
        .map(|text| split_properties(text, ';', unescape_legacy))
        .unwrap_or_default();
    Some((name, properties, unescape_legacy(&line[end + 1..])))
}

/// The command's name (up to the first space), when the runner knows it, and the text of its
/// properties after that space.
fn name_and_properties<'a>(
    info: &'a str,
    registered: &dyn Fn(&str) -> bool,
) -> Option<(String, Option<&'a str>)> {
    let (name, properties) = match info.find(' ') {
        Some(space) => (&info[..space], Some(&info[space + 1..])),
        None => (info, None),
    };
    // The runner reads properties only after a space that follows a name.
    let properties = properties.filter(|_| !name.is_empty());
    registered(name).then(|| (name.to_string(), properties))
}

/// `k=v` pairs split at `separator`, empty entries and pairs without both sides skipped.
fn split_properties(
    text: &str,
    separator: char,
    unescape: fn(&str) -> String,
) -> BTreeMap<String, String> {
    text.split(separator)
        .filter(|pair| !pair.is_empty())
        .filter_map(|pair| {
            let parts: Vec<&str> = pair
                .splitn(2, '=')
                .filter(|part| !part.is_empty())
                .collect();
            match parts.as_slice() {
                [key, value] => Some((key.to_string(), unescape(value))),
                _ => None,
            }
        })
        .collect()
}

/// Replaces each escape of `mappings` by its character, in the runner's order.
fn unescape(text: &str, mappings: &[(&str, &str)]) -> String {
    mappings
        .iter()
        .fold(text.to_string(), |text, (token, escape)| {
            text.replace(escape, token)
        })
}

fn unescape_data(text: &str) -> String {
    unescape(text, &[("\r", "%0D"), ("\n", "%0A"), ("%", "%25")])
}

fn unescape_property(text: &str) -> String {
    unescape(
        text,
        &[
            ("\r", "%0D"),
            ("\n", "%0A"),
            (":", "%3A"),
            (",", "%2C"),
            ("%", "%25"),
        ],
    )
}

fn unescape_legacy(text: &str) -> String {
    unescape(
        text,
        &[
            (";", "%3B"),
            ("\r", "%0D"),
            ("\n", "%0A"),
            ("]", "%5D"),
            ("%", "%25"),
        ],
    )
}

/// The characters of `line` that no line tollgate prints may hold: control characters (a line
/// has no line break left), the line and paragraph separators, bidirectional formatting and
/// invisible (default-ignorable) characters.
pub fn forbidden_characters(line: &str) -> Vec<char> {
    line.chars()
        .filter(|&character| {
            character.is_control()
                || matches!(
                    character,
                    '\u{2028}' | '\u{2029}' | '\u{00ad}' | '\u{034f}' | '\u{061c}'
                        | '\u{115f}' | '\u{1160}' | '\u{17b4}' | '\u{17b5}'
                        | '\u{180b}'..='\u{180f}' | '\u{200b}'..='\u{200f}'
                        | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{206f}' | '\u{3164}'
                        | '\u{fe00}'..='\u{fe0f}' | '\u{feff}' | '\u{ffa0}'
                        | '\u{fff0}'..='\u{fff8}' | '\u{1bca0}'..='\u{1bca3}'
                        | '\u{1d173}'..='\u{1d17a}' | '\u{e0000}'..='\u{e0fff}'
                )
        })
        .collect()
}
