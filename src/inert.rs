//! Text from outside (the YAML's values, AWS's names, error messages) made inert for the
//! places a person reads it.

use std::borrow::Cow;

/// Text from outside (a name from AWS, an error message) made inert for a terminal and for
/// a line of the views: every control character (a line break, an escape sequence's ESC) is
/// written as an escape (`\n`, `\u{1b}`), so that no value can start a line of its own,
/// move the cursor or change colours.
pub fn printable(text: &str) -> Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return Cow::Borrowed(text);
    }
    let mut inert = String::with_capacity(text.len() + 8);
    for character in text.chars() {
        match character {
            '\n' => inert.push_str("\\n"),
            '\r' => inert.push_str("\\r"),
            '\t' => inert.push_str("\\t"),
            control if control.is_control() => {
                inert.push_str(&format!("\\u{{{:x}}}", u32::from(control)));
            }
            other => inert.push(other),
        }
    }
    Cow::Owned(inert)
}
