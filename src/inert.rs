//! Text from outside (the YAML's values, AWS's names, error messages) made inert for the
//! places a person reads it.

use std::borrow::Cow;

/// Text from outside (a name from AWS, an error message) made inert for a terminal and for
/// a line of the views: every control character (a line break, an escape sequence's ESC) and
/// every character that reorders or breaks lines (bidirectional overrides such as U+202E, the
/// line and paragraph separators) is written as an escape (`\n`, `\u{1b}`, `\u{202e}`), so
/// that no value can start a line of its own, move the cursor, change colours or make the text
/// around it read backwards.
pub fn printable(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut inert = String::with_capacity(text.len() + 8);
    for character in text.chars() {
        match character {
            '\n' => inert.push_str("\\n"),
            '\r' => inert.push_str("\\r"),
            '\t' => inert.push_str("\\t"),
            unsafe_char if is_unsafe(unsafe_char) => {
                inert.push_str(&format!("\\u{{{:x}}}", u32::from(unsafe_char)));
            }
            other => inert.push(other),
        }
    }
    Cow::Owned(inert)
}

/// Whether `character` is a control character or one that reorders or breaks lines.
pub(crate) fn is_unsafe(character: char) -> bool {
    character.is_control()
        || matches!(
            character,
            '\u{2028}' | '\u{2029}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}'
                | '\u{2066}'..='\u{2069}'
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_and_reordering_characters_become_escapes() {
        assert_eq!(printable("Gold"), "Gold");
        assert!(matches!(printable("ünï 計画"), Cow::Borrowed(_)));
        assert_eq!(printable("a\nb\tc\r"), "a\\nb\\tc\\r");
        assert_eq!(printable("\u{1b}[31mred"), "\\u{1b}[31mred");
        assert_eq!(printable("abc\u{202e}fed"), "abc\\u{202e}fed");
        assert_eq!(printable("one\u{2028}two"), "one\\u{2028}two");
        assert_eq!(printable("\u{85}next"), "\\u{85}next");
    }
}
