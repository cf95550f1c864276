//! Text from outside tollgate (the YAML's values and file paths, AWS's names, ids,
//! descriptions, tags and error messages) made inert for every place it is printed: a
//! terminal, a CI log that the GitHub Actions runner reads for workflow commands, a
//! pull-request comment. Every view writes outside text through this module, so there is one
//! rule and one way of writing it: a character that could act is written as its escape.

use std::borrow::Cow;
use std::io;

use serde::Serialize;
use serde_json::ser::{Formatter, PrettyFormatter};

/// Text from outside made inert for a terminal and for a line of any view: every control
/// character (a line break, an escape sequence's ESC), every character that breaks, reorders
/// or hides text (the line and paragraph separators, bidirectional controls such as U+202E,
/// zero-width and other invisible characters) is written as an escape (`\n`, `\u{1b}`,
/// `\u{202e}`), so that no value can start a line of its own, move the cursor, change colours
/// or make the text around it read backwards. So that no value can be read as a GitHub
/// Actions workflow command wherever it lands in a line, the `[` of `##[` is written
/// `\u{5b}`, and a `:` that begins the value (after any whitespace) `\u{3a}`.
pub fn printable(text: &str) -> Cow<'_, str> {
    if is_inert(text) {
        return Cow::Borrowed(text);
    }
    let mut inert = String::with_capacity(text.len() + 8);
    // Whether the value has shown anything but whitespace (an escape counts).
    let mut started = false;
    for character in text.chars() {
        let starts_command = match character {
            '[' => inert.ends_with("##"),
            ':' => !started,
            _ => false,
        };
        match character {
            '\n' => inert.push_str("\\n"),
            '\r' => inert.push_str("\\r"),
            '\t' => inert.push_str("\\t"),
            other if is_unsafe(other) || starts_command => {
                inert.push_str(&format!("\\u{{{:x}}}", u32::from(other)));
            }
            other => inert.push(other),
        }
        started = started || !character.is_whitespace() || is_unsafe(character);
    }
    Cow::Owned(inert)
}

/// Text of several lines in which tollgate's words hold outside text (an error and its
/// causes), made inert line by line: each line as [`printable`] makes a value, the line breaks
/// between them kept.
pub fn printable_lines(text: &str) -> String {
    text.split('\n')
        .map(printable)
        .collect::<Vec<_>>()
        .join("\n")
}

/// The first line (counted from 1) of `text` that [`printable`] would change: one that holds
/// a character or a sequence a terminal or the CI runner would act on. `None` when every line
/// can be printed as it is.
pub fn first_active_line(text: &str) -> Option<usize> {
    text.split('\n')
        .position(|line| matches!(printable(line), Cow::Owned(_)))
        .map(|index| index + 1)
}

/// Text from outside as a double-quoted string that JSON reads back, and YAML too (but for
/// the rare invisible characters above U+FFFF, written as JSON's surrogate pairs): `"`, `\`
/// and the characters [`printable`] escapes are written as `\"`, `\\`, `\n` and `\u202e`,
/// the `[` of `##[` as `\u005b`.
pub fn quote(text: &str) -> String {
    let mut quoted = String::with_capacity(text.len() + 2);
    quoted.push('"');
    for character in text.chars() {
        match character {
            '"' => quoted.push_str("\\\""),
            '\\' => quoted.push_str("\\\\"),
            '\n' => quoted.push_str("\\n"),
            '\r' => quoted.push_str("\\r"),
            '\t' => quoted.push_str("\\t"),
            other if is_unsafe(other) || (other == '[' && quoted.ends_with("##")) => {
                for unit in other.encode_utf16(&mut [0; 2]) {
                    quoted.push_str(&format!("\\u{unit:04x}"));
                }
            }
            other => quoted.push(other),
        }
    }
    quoted.push('"');
    quoted
}

/// `value` as pretty-printed JSON in which outside text is inert too: the characters
/// [`printable`] escapes (serde_json escapes only the control characters) and the `[` of
/// `##[` are written as `\uXXXX` escapes, which every JSON reader reads back as the same
/// string. Fails only when `value`'s own `Serialize` fails.
pub fn to_json_pretty<T: Serialize + ?Sized>(value: &T) -> serde_json::Result<String> {
    let mut json = Vec::new();
    let mut serializer =
        serde_json::Serializer::with_formatter(&mut json, InertJson(PrettyFormatter::new()));
    value.serialize(&mut serializer)?;
    // serde_json writes UTF-8 only: nothing is lost here.
    Ok(String::from_utf8_lossy(&json).into_owned())
}

/// serde_json's pretty formatter, writing each string's characters as [`to_json_pretty`]
/// says.
struct InertJson<'a>(PrettyFormatter<'a>);

impl Formatter for InertJson<'_> {
    fn write_string_fragment<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        // A fragment runs between serde_json's own escapes, so `##[` lies within one.
        let mut written = 0;
        for (at, character) in fragment.char_indices() {
            let escaped =
                is_unsafe(character) || (character == '[' && fragment[..at].ends_with("##"));
            if escaped {
                writer.write_all(&fragment.as_bytes()[written..at])?;
                for unit in character.encode_utf16(&mut [0; 2]) {
                    write!(writer, "\\u{unit:04x}")?;
                }
                written = at + character.len_utf8();
            }
        }
        writer.write_all(&fragment.as_bytes()[written..])
    }

    fn begin_array<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.begin_array(writer)
    }

    fn end_array<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.end_array(writer)
    }

    fn begin_array_value<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.0.begin_array_value(writer, first)
    }

    fn end_array_value<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.end_array_value(writer)
    }

    fn begin_object<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.begin_object(writer)
    }

    fn end_object<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.end_object(writer)
    }

    fn begin_object_key<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.0.begin_object_key(writer, first)
    }

    fn begin_object_value<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.begin_object_value(writer)
    }

    fn end_object_value<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.end_object_value(writer)
    }
}

/// Whether `text` holds nothing [`printable`] would change.
fn is_inert(text: &str) -> bool {
    !text.chars().any(is_unsafe) && !text.contains("##[") && !text.trim_start().starts_with(':')
}

/// Whether `character` is a control character, or one that breaks, reorders or hides text:
/// the line and paragraph separators, the bidirectional controls and marks, and the
/// invisible characters Unicode calls default-ignorable (zero-width spaces and joiners, the
/// byte-order mark, variation selectors, tags), which .NET's text matching (and so the runner
/// reading `::`) skips.
pub(crate) fn is_unsafe(character: char) -> bool {
    character.is_control()
        || matches!(
            character,
            '\u{2028}' | '\u{2029}'
                | '\u{00ad}'
                | '\u{034f}'
                | '\u{061c}'
                | '\u{115f}'..='\u{1160}'
                | '\u{17b4}'..='\u{17b5}'
                | '\u{180b}'..='\u{180f}'
                | '\u{200b}'..='\u{200f}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2060}'..='\u{206f}'
                | '\u{3164}'
                | '\u{fe00}'..='\u{fe0f}'
                | '\u{feff}'
                | '\u{ffa0}'
                | '\u{fff0}'..='\u{fff8}'
                | '\u{1bca0}'..='\u{1bca3}'
                | '\u{1d173}'..='\u{1d17a}'
                | '\u{e0000}'..='\u{e0fff}'
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_and_reordering_characters_become_escapes() {
        assert_eq!(printable("Gold"), "Gold");
        assert!(matches!(
            printable("ünï 計画 a::b #[x] ##"),
            Cow::Borrowed(_)
        ));
        assert_eq!(printable("a\nb\tc\r"), "a\\nb\\tc\\r");
        assert_eq!(printable("\u{1b}[31mred"), "\\u{1b}[31mred");
        assert_eq!(printable("abc\u{202e}fed"), "abc\\u{202e}fed");
        assert_eq!(printable("one\u{2028}two"), "one\\u{2028}two");
        assert_eq!(printable("\u{85}next"), "\\u{85}next");
    }

    #[test]
    fn invisible_characters_become_escapes() {
        assert_eq!(
            printable("a\u{200b}b\u{200d}c\u{2060}d\u{feff}e\u{61c}f\u{ad}g\u{e0041}"),
            "a\\u{200b}b\\u{200d}c\\u{2060}d\\u{feff}e\\u{61c}f\\u{ad}g\\u{e0041}"
        );
    }

    #[test]
    fn no_value_reads_as_a_workflow_command_wherever_it_lands() {
        // `##[` anywhere; `::` only where the value starts, after any whitespace.
        assert_eq!(printable("x ##[error]y"), "x ##\\u{5b}error]y");
        assert_eq!(printable("###[a] ##[b]"), "###\\u{5b}a] ##\\u{5b}b]");
        assert_eq!(printable("::error::x"), "\\u{3a}:error::x");
        assert_eq!(
            printable(" \u{3000}:warning::x"),
            " \u{3000}\\u{3a}warning::x"
        );
        assert_eq!(printable("Gold ::error::x"), "Gold ::error::x");
        // A separator the runner trims is escaped itself, so what follows starts nothing.
        assert_eq!(printable("\u{2028}::x"), "\\u{2028}::x");
        // Made inert once, a value stays as it is.
        let once = printable("::a ##[b]\u{202e}\n").into_owned();
        assert_eq!(printable(&once), once);
    }

    #[test]
    fn the_first_line_a_reader_would_act_on_is_found() {
        assert_eq!(first_active_line("usagePlans:\n  - name: Gold\n"), None);
        assert_eq!(first_active_line("a: 1\nb: x ##[error]y\n"), Some(2));
        assert_eq!(first_active_line("a: 1\n  ::warning::x\n"), Some(2));
        assert_eq!(first_active_line("name: \u{202e}dloG\n"), Some(1));
    }

    #[test]
    fn lines_keep_their_breaks_and_each_is_made_inert() {
        assert_eq!(
            printable_lines("error: a\n::error::b\r\n  ##[c]"),
            "error: a\n\\u{3a}:error::b\\r\n  ##\\u{5b}c]"
        );
    }

    #[test]
    fn quoted_strings_escape_the_same_characters_as_yaml_and_json_read_them() {
        let text = "\"a\\b\"\n\u{202e}##[x]\u{200b}\u{e0041}";
        let quoted = quote(text);
        assert_eq!(quoted, r#""\"a\\b\"\n\u202e##\u005bx]\u200b\udb40\udc41""#);
        let read: String = serde_json::from_str(&quoted).expect("JSON");
        assert_eq!(read, text);
    }

    #[test]
    fn json_escapes_what_printable_does_and_reads_back_the_same() {
        let value =
            serde_json::json!({ "na##[me]": ["::x ##[y] \u{202e}\u{2028}\u{e0041}\u{1b}", 1] });
        let json = to_json_pretty(&value).expect("JSON");
        assert_eq!(
            json,
            "{\n  \"na##\\u005bme]\": [\n    \"::x ##\\u005by] \\u202e\\u2028\\udb40\\udc41\\u001b\",\n    1\n  ]\n}"
        );
        let read: serde_json::Value = serde_json::from_str(&json).expect("JSON");
        assert_eq!(read, value);
    }
}
