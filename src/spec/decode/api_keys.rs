//! The declared API keys (`apiKeys:`), read in the same pass as the plans.

use super::{resolve, Node, Reader, Scalar};
use crate::model::{DesiredApiKey, CREATION_TAG, KEY_VARIABLE_PREFIX};
use crate::spec::events::Ev;
use crate::spec::limits::DECLARABLE_TAGS;

pub(super) const API_KEY: &[&str] = &[
    "name",
    "description",
    "enabled",
    "customerId",
    "tags",
    "valueFrom",
];
pub(super) const VALUE_FROM: &[&str] = &["env"];

impl<'a> Reader<'a> {
    /// A declared API key, when its name can be read.
    pub(super) fn api_key(&mut self, node: Node<'a>) -> Option<DesiredApiKey> {
        let mut name = None;
        let mut key = DesiredApiKey {
            name: String::new(),
            description: String::new(),
            enabled: true,
            customer_id: String::new(),
            tags: None,
            value_from: None,
            location: self.at(node.pos),
        };
        let errors_before = self.errors.len();
        self.fields(
            node,
            "declared API key",
            API_KEY,
            &["name"],
            |reader, field, _, value| {
                let pos = value.pos;
                match field {
                    "name" => name = reader.nonempty(value, "name").map(|name| (name, pos)),
                    "description" => key.description = reader.lines(value).unwrap_or_default(),
                    "enabled" => key.enabled = reader.boolean(value).unwrap_or(true),
                    "customerId" => {
                        key.customer_id = reader.nonempty(value, "customerId").unwrap_or_default()
                    }
                    "tags" => {
                        let tags = reader.tags(value);
                        if tags.len() > DECLARABLE_TAGS {
                            reader.error(
                                pos,
                                format!(
                                    "{} tags: AWS keeps at most {} on a key and tollgate keeps \
                                     one for the creation marker `{CREATION_TAG}` of a key it \
                                     creates; declare at most {DECLARABLE_TAGS}",
                                    tags.len(),
                                    DECLARABLE_TAGS + 1
                                ),
                            );
                        }
                        key.tags = Some(tags);
                    }
                    _ => key.value_from = reader.value_from(value),
                }
            },
        );
        let (name, at) = name?;
        key.name = name;
        key.location = self.at(at);
        (self.errors.len() == errors_before).then_some(key)
    }

    /// `valueFrom: { env: NAME }`: the name of the environment variable.
    fn value_from(&mut self, node: Node<'a>) -> Option<String> {
        let mut variable = None;
        self.fields(
            node,
            "valueFrom",
            VALUE_FROM,
            VALUE_FROM,
            |reader, _, _, value| {
                let pos = value.pos;
                let Some(name) = reader.text(value) else {
                    return;
                };
                if !is_variable_name(&name) {
                    reader.error(
                        pos,
                        format!(
                            "`env` {name:?} is not an environment variable name; use letters, \
                             digits and `_`, not starting with a digit ({KEY_VARIABLE_PREFIX}ACME)"
                        ),
                    );
                } else if !name.starts_with(KEY_VARIABLE_PREFIX) {
                    reader.error(
                        pos,
                        format!(
                            "`env` {name:?} does not begin with {KEY_VARIABLE_PREFIX}: a key's value \
                             is read only from variables named {KEY_VARIABLE_PREFIX}*, so that \
                             the YAML cannot put the runner's other secrets into a key; rename it \
                             ({suggestion}) and set that variable where apply runs",
                            suggestion = key_variable_like(&name)
                        ),
                    );
                } else {
                    variable = Some(name);
                }
            },
        );
        variable
    }

    /// A boolean: `true` or `false` as YAML writes them, unquoted.
    fn boolean(&mut self, node: Node<'a>) -> Option<bool> {
        if let Ev::Scalar(text, true) = &node.event {
            if let Scalar::Bool(value) = resolve(text) {
                return Some(value);
            }
        }
        self.expected(node, "true or false");
        None
    }
}

/// A `TOLLGATE_KEY_` variable name like `name`, to suggest: upper case, the prefix once.
fn key_variable_like(name: &str) -> String {
    let upper = name.to_ascii_uppercase();
    let rest = upper.strip_prefix(KEY_VARIABLE_PREFIX).unwrap_or(&upper);
    format!("{KEY_VARIABLE_PREFIX}{}", rest.trim_start_matches('_'))
}

/// Whether `name` can name an environment variable: letters, digits and `_`, not starting
/// with a digit.
fn is_variable_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::super::decode;
    use super::is_variable_name;

    /// The errors of one file with only `apiKeys`, in order of place.
    fn errors_of(text: &str) -> Vec<String> {
        let mut errors = decode("k.yaml", text).errors;
        errors.sort_by_key(|error| error.location.as_ref().map(|at| (at.line, at.column)));
        errors.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn a_declared_key_takes_its_fields_and_defaults_to_enabled() {
        let decoded = decode(
            "k.yaml",
            "apiKeys:\n  - name: acme\n    description: Acme\n    customerId: c-1\n    tags: { team: sales }\n    valueFrom: { env: TOLLGATE_KEY_ACME }\n  - name: globex\n",
        );
        assert_eq!(decoded.errors, vec![]);
        let [acme, globex] = decoded.api_keys.as_slice() else {
            panic!("two keys: {:?}", decoded.api_keys);
        };
        assert_eq!(
            (acme.name.as_str(), acme.description.as_str()),
            ("acme", "Acme")
        );
        assert_eq!(acme.customer_id, "c-1");
        assert_eq!(acme.value_from.as_deref(), Some("TOLLGATE_KEY_ACME"));
        assert_eq!(
            acme.tags
                .as_ref()
                .and_then(|tags| tags.get("team"))
                .map(String::as_str),
            Some("sales")
        );
        assert_eq!((acme.location.line, acme.location.column), (2, 11));
        assert!(acme.enabled && globex.enabled, "enabled is the default");
        assert_eq!(
            (globex.value_from.as_deref(), globex.tags.as_ref()),
            (None, None)
        );
    }

    #[test]
    fn bad_declared_keys_are_located_errors() {
        let errors = errors_of(
            "apiKeys:\n  - description: no name\n  - name: acme\n    enabled: yes\n    valueFrom: { env: 1BAD }\n  - name: globex\n    valueFrom: { file: /tmp/k }\n  - name: ''\n",
        );
        assert_eq!(errors.len(), 5, "{errors:#?}");
        assert!(errors[0].starts_with("k.yaml:2:5: ") && errors[0].contains("`name`"));
        assert!(errors[1].starts_with("k.yaml:4:14: ") && errors[1].contains("true or false"));
        assert!(errors[2].starts_with("k.yaml:5:23: ") && errors[2].contains("\"1BAD\""));
        assert!(errors[3].starts_with("k.yaml:7:18: ") && errors[3].contains("`file`"));
        assert!(errors[4].starts_with("k.yaml:8:11: "), "{}", errors[4]);
    }

    #[test]
    fn a_key_value_is_read_only_from_a_tollgate_key_variable() {
        let errors = errors_of(
            "apiKeys:\n  - name: acme\n    valueFrom: { env: AWS_SECRET_ACCESS_KEY }\n  - name: globex\n    valueFrom: { env: TOLLGATE_KEY_GLOBEX }\n",
        );
        assert_eq!(errors.len(), 1, "{errors:#?}");
        assert!(errors[0].starts_with("k.yaml:3:23: "), "{}", errors[0]);
        assert!(
            errors[0].contains("does not begin with TOLLGATE_KEY_")
                && errors[0].contains("TOLLGATE_KEY_AWS_SECRET_ACCESS_KEY"),
            "{}",
            errors[0]
        );
    }

    #[test]
    fn the_suggested_variable_is_upper_case_with_the_prefix_once() {
        assert_eq!(
            super::key_variable_like("acme_key"),
            "TOLLGATE_KEY_ACME_KEY"
        );
        assert_eq!(super::key_variable_like("tollgate_key_x"), "TOLLGATE_KEY_X");
        assert_eq!(super::key_variable_like("_SECRET"), "TOLLGATE_KEY_SECRET");
    }

    #[test]
    fn too_many_tags_on_a_key_are_refused() {
        let tags: Vec<String> = (0..50).map(|n| format!("t{n}: v")).collect();
        let errors = errors_of(&format!(
            "apiKeys:\n  - name: acme\n    tags: {{ {} }}\n",
            tags.join(", ")
        ));
        assert_eq!(errors.len(), 1, "{errors:#?}");
        assert!(
            errors[0].starts_with("k.yaml:3:11: 50 tags"),
            "{}",
            errors[0]
        );
    }

    #[test]
    fn variable_names_are_shell_names() {
        for good in ["TOLLGATE_KEY_ACME", "_k", "key2"] {
            assert!(is_variable_name(good), "{good}");
        }
        for bad in ["", "2KEY", "ACME-KEY", "A B", "ÄKEY"] {
            assert!(!is_variable_name(bad), "{bad}");
        }
    }
}
