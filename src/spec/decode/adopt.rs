//! A plan's `adopt:` opt-in: the CloudFormation stack whose leftover plan the declaration may
//! take over.

use super::{Node, Reader};

pub(super) const ADOPT: &[&str] = &["cloudFormationStack"];

/// The longest name CloudFormation gives a stack.
const MAX_STACK_NAME: usize = 128;

impl<'a> Reader<'a> {
    /// `adopt: { cloudFormationStack: NAME }`: the stack's name, as CloudFormation allows it
    /// (a letter, then letters, digits and hyphens, at most 128).
    pub(super) fn adopt(&mut self, node: Node<'a>) -> Option<String> {
        let mut stack = None;
        self.fields(node, "adopt", ADOPT, ADOPT, |reader, field, _, value| {
            let pos = value.pos;
            let Some(name) = reader.nonempty(value, field) else {
                return;
            };
            if is_stack_name(&name) {
                stack = Some(name);
            } else {
                reader.error(
                    pos,
                    format!(
                        "`cloudFormationStack` {name:?} is not a CloudFormation stack name: a \
                         letter, then letters, digits and `-`, at most {MAX_STACK_NAME}; copy \
                         the plan's tag `aws:cloudformation:stack-name`"
                    ),
                );
            }
        });
        stack
    }
}

/// Whether `name` is a name CloudFormation gives a stack.
fn is_stack_name(name: &str) -> bool {
    name.len() <= MAX_STACK_NAME
        && name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stack_names_are_a_letter_then_letters_digits_and_hyphens() {
        for good in ["payments", "Payments-Prod-2", &"a".repeat(128)] {
            assert!(is_stack_name(good), "{good}");
        }
        for bad in ["", "2fast", "-x", "my stack", "my_stack", &"a".repeat(129)] {
            assert!(!is_stack_name(bad), "{bad}");
        }
    }
}
