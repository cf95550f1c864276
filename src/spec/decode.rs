//! Typed values out of located nodes: a serde `Deserializer` over [`Node`] whose errors
//! point at the node they are about and say what to write instead, and [`decode_all`],
//! which finds every error in a node rather than the first.

use super::node::{Kind, Node, Pos};
use serde::de::value::StrDeserializer;
use serde::de::{self, DeserializeOwned, DeserializeSeed, IntoDeserializer, Visitor};
use std::collections::BTreeSet;
use std::fmt;

/// Decodes one node into `T`, stopping at the first error.
pub fn decode<T: DeserializeOwned>(node: &Node) -> Result<T, DecodeError> {
    T::deserialize(node)
}

/// Decodes a name (a scalar's text) into `T`, typically an enum of names.
pub fn decode_name<T: DeserializeOwned>(name: &str) -> Result<T, DecodeError> {
    let name: StrDeserializer<'_, DecodeError> = name.into_deserializer();
    T::deserialize(name)
}

/// What [`decode_all`] made of a node.
#[derive(Debug)]
pub struct Partial<T> {
    /// The value decoded from what is left of the node; `None` when the node as a whole is
    /// wrong (not a mapping, or a required field missing).
    pub value: Option<T>,
    /// The node with what was left out removed or made [`Kind::Void`], so that the value's
    /// parts are found in it at the same places (list items at the same indexes).
    pub node: Node,
    /// Every error found, in the order found.
    pub errors: Vec<DecodeError>,
}

/// Decodes `node` into `T`, finding every error instead of the first.
///
/// After each error, the value it is in is left out and the node decoded again, until it
/// decodes or the node as a whole is wrong: a wrong value in a mapping becomes
/// [`Kind::Void`] (which decodes as an empty or absent value), a wrong key or list item is
/// removed. A missing field in a mapping that lost a wrong key is not reported: the key is
/// most likely the field, misspelt.
pub fn decode_all<T: DeserializeOwned>(node: &Node) -> Partial<T> {
    let mut node = node.clone();
    let mut errors = Vec::new();
    let mut lost_a_key: BTreeSet<Pos> = BTreeSet::new();
    loop {
        let error = match decode::<T>(&node) {
            Ok(value) => {
                return Partial {
                    value: Some(value),
                    node,
                    errors,
                }
            }
            Err(error) => error,
        };
        let route: Vec<usize> = error.route.iter().rev().copied().collect();
        let (in_key, void) = (error.in_key, error.void);
        let follows = matches!(error.field, Some(FieldProblem::Missing(_)))
            && error.pos.is_some_and(|pos| lost_a_key.contains(&pos));
        if !(void || follows) {
            errors.push(error);
        }
        match node.leave_out(&route, in_key || void) {
            Some(from) if in_key => {
                lost_a_key.insert(from);
            }
            Some(_) => {}
            None => {
                return Partial {
                    value: None,
                    node,
                    errors,
                }
            }
        }
    }
}

/// Why a node does not fit its type, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    /// Where the offending node is.
    pub pos: Option<Pos>,
    message: String,
    /// The kind of field error, kept after the message names the mapping.
    field: Option<FieldProblem>,
    /// Whether the message names the mapping the field error is in.
    named: bool,
    /// Child indexes from the entry or item the error is in up to the decoded node: the way
    /// down to it, innermost first.
    route: Vec<usize>,
    /// Whether the error is in the key of that entry rather than its value.
    in_key: bool,
    /// Whether the error is about a [`Kind::Void`], that is one already reported.
    void: bool,
}

/// A field error whose message needs the name of the mapping it is in.
#[derive(Debug, Clone, PartialEq, Eq)]
enum FieldProblem {
    Unknown(String, &'static [&'static str]),
    Missing(&'static str),
}

impl DecodeError {
    /// The message, ready for the user.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The error for a key that `what` (for example "file") does not have.
    pub fn unknown_key(key: &Node, expected: &'static [&'static str], what: &str) -> DecodeError {
        let field = key.as_text().unwrap_or("?");
        <DecodeError as de::Error>::unknown_field(field, expected)
            .at(key)
            .within(what)
    }

    fn at(mut self, node: &Node) -> DecodeError {
        self.pos.get_or_insert(node.pos);
        self
    }

    /// Completes a field error with the name of the mapping it is in (the innermost one).
    fn within(mut self, what: &str) -> DecodeError {
        if self.named {
            return self;
        }
        match &self.field {
            Some(FieldProblem::Unknown(field, expected)) => {
                self.message = format!(
                    "unknown field `{field}` in {what}; expected one of {}",
                    quoted_list(expected)
                );
            }
            Some(FieldProblem::Missing(field)) => {
                self.message = format!("missing field `{field}` in {what}; add it");
            }
            None => {}
        }
        self.named = true;
        self
    }

    /// Records that the error is in the child `index` of the node being decoded.
    fn in_child(mut self, index: usize) -> DecodeError {
        self.route.push(index);
        self
    }

    /// Records that the error is in the key of the entry it is in.
    fn in_key(mut self) -> DecodeError {
        self.in_key = true;
        self
    }
}

fn quoted_list(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|name| format!("`{name}`")).collect();
    quoted.join(", ")
}

/// "UsagePlan" -> "usage plan": how a struct is named in messages.
fn describe_struct(name: &str) -> String {
    let mut words = String::new();
    for (index, c) in name.chars().enumerate() {
        if c.is_uppercase() && index > 0 {
            words.push(' ');
        }
        words.extend(c.to_lowercase());
    }
    words
}

/// serde's names for what it expected, in words a YAML author knows.
fn describe_expected(expected: &str) -> String {
    match expected {
        "i64" | "u64" | "i32" | "u32" => "an integer".to_owned(),
        "f64" | "f32" => "a number".to_owned(),
        "a string" | "a borrowed string" => "a string".to_owned(),
        "a sequence" => "a list".to_owned(),
        "a map" => "a mapping".to_owned(),
        other if other.starts_with("struct ") => "a mapping".to_owned(),
        other if other.starts_with("enum ") => "one of the listed values".to_owned(),
        other => other.to_owned(),
    }
}

fn describe_found(unexpected: &de::Unexpected<'_>) -> String {
    match unexpected {
        de::Unexpected::Unit | de::Unexpected::Option => "nothing".to_owned(),
        de::Unexpected::Map => "a mapping".to_owned(),
        de::Unexpected::Seq => "a list".to_owned(),
        de::Unexpected::Str(text) => format!("the string \"{text}\""),
        de::Unexpected::Float(value) => format!("the number {value}"),
        de::Unexpected::Signed(value) => format!("the integer {value}"),
        de::Unexpected::Unsigned(value) => format!("the integer {value}"),
        other => other.to_string(),
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for DecodeError {}

impl de::Error for DecodeError {
    fn custom<T: fmt::Display>(message: T) -> DecodeError {
        DecodeError {
            pos: None,
            message: message.to_string(),
            field: None,
            named: false,
            route: Vec::new(),
            in_key: false,
            void: false,
        }
    }

    fn invalid_type(unexpected: de::Unexpected<'_>, expected: &dyn de::Expected) -> DecodeError {
        DecodeError::custom(format_args!(
            "expected {}, found {}",
            describe_expected(&expected.to_string()),
            describe_found(&unexpected)
        ))
    }

    fn invalid_value(unexpected: de::Unexpected<'_>, expected: &dyn de::Expected) -> DecodeError {
        DecodeError::invalid_type(unexpected, expected)
    }

    fn unknown_variant(variant: &str, expected: &'static [&'static str]) -> DecodeError {
        DecodeError::custom(format_args!(
            "unknown value `{variant}`; expected one of {}",
            quoted_list(expected)
        ))
    }

    fn unknown_field(field: &str, expected: &'static [&'static str]) -> DecodeError {
        DecodeError {
            field: Some(FieldProblem::Unknown(field.to_owned(), expected)),
            ..DecodeError::custom(format_args!("unknown field `{field}`"))
        }
    }

    fn missing_field(field: &'static str) -> DecodeError {
        DecodeError {
            field: Some(FieldProblem::Missing(field)),
            ..DecodeError::custom(format_args!("missing field `{field}`"))
        }
    }
}

impl<'de> de::Deserializer<'de> for &Node {
    type Error = DecodeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        let result = match &self.kind {
            Kind::Null => visitor.visit_unit(),
            Kind::Bool(value) => visitor.visit_bool(*value),
            Kind::Int(value) => visitor.visit_i64(*value),
            Kind::Float(value) => visitor.visit_f64(*value),
            Kind::Str(text) => visitor.visit_str(text),
            Kind::Seq(items) => visitor.visit_seq(Items(items.iter().enumerate())),
            Kind::Map(entries) => visitor.visit_map(Entries {
                entries: entries.iter().enumerate(),
                value: None,
            }),
            Kind::Void => Err(DecodeError {
                void: true,
                ..de::Error::custom("a value left out")
            }),
        };
        result.map_err(|error| error.at(self))
    }

    fn deserialize_i64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        match self.kind {
            Kind::Void => visitor.visit_i64(0),
            _ => self.deserialize_any(visitor),
        }
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        match self.kind {
            Kind::Void => visitor.visit_f64(0.0),
            _ => self.deserialize_any(visitor),
        }
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        match (&self.kind, &self.text) {
            (Kind::Void, _) => visitor.visit_str(""),
            (Kind::Bool(_) | Kind::Int(_) | Kind::Float(_), Some(text)) => visitor
                .visit_str(text)
                .map_err(|error: DecodeError| error.at(self)),
            _ => self.deserialize_any(visitor),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        match self.kind {
            Kind::Null | Kind::Void => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        let result = match self.kind {
            // serde would read a list as the fields in order; YAML authors mean a mapping.
            Kind::Seq(_) => Err(de::Error::invalid_type(de::Unexpected::Seq, &visitor)),
            _ => self.deserialize_any(visitor),
        };
        result.map_err(|error| error.at(self).within(&describe_struct(name)))
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        match self.as_text() {
            Some(text) => {
                let variant: StrDeserializer<'_, DecodeError> = text.into_deserializer();
                visitor.visit_enum(variant).map_err(|error| error.at(self))
            }
            None => self.deserialize_any(visitor),
        }
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i128 u8 u16 u32 u64 u128 f32 char bytes byte_buf unit
        unit_struct newtype_struct seq tuple tuple_struct map ignored_any
    }
}

struct Items<'a>(std::iter::Enumerate<std::slice::Iter<'a, Node>>);

impl<'de> de::SeqAccess<'de> for Items<'_> {
    type Error = DecodeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DecodeError> {
        self.0
            .next()
            .map(|(index, item)| {
                seed.deserialize(item)
                    .map_err(|error| error.at(item).in_child(index))
            })
            .transpose()
    }
}

struct Entries<'a> {
    entries: std::iter::Enumerate<std::slice::Iter<'a, (Node, Node)>>,
    /// The value of the entry whose key was read last, with the entry's index.
    value: Option<(usize, &'a Node)>,
}

impl<'de> de::MapAccess<'de> for Entries<'_> {
    type Error = DecodeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DecodeError> {
        match self.entries.next() {
            Some((index, (key, value))) => {
                self.value = Some((index, value));
                seed.deserialize(key)
                    .map(Some)
                    .map_err(|error| error.at(key).in_key().in_child(index))
            }
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, DecodeError> {
        match self.value.take() {
            Some((index, value)) => seed
                .deserialize(value)
                .map_err(|error| error.at(value).in_child(index)),
            None => Err(de::Error::custom("a value was read before its key")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::node::parse;
    use serde::Deserialize;
    use std::collections::BTreeMap;

    #[derive(Debug, PartialEq, Deserialize)]
    #[serde(deny_unknown_fields, rename_all = "camelCase")]
    struct RateCard {
        rate_limit: f64,
        burst_limit: i64,
        label: Option<String>,
        period: Option<Unit>,
        #[serde(default)]
        extra: BTreeMap<String, String>,
    }

    #[derive(Debug, PartialEq, Deserialize)]
    enum Unit {
        #[serde(rename = "DAY")]
        Day,
    }

    fn decode_text(source: &str) -> Result<RateCard, DecodeError> {
        decode(&parse(source).root.expect("a tree"))
    }

    fn failure(source: &str) -> (Option<Pos>, String) {
        let error = decode_text(source).expect_err("an error");
        (error.pos, error.message().to_owned())
    }

    fn pos(line: usize, column: usize) -> Option<Pos> {
        Some(Pos { line, column })
    }

    #[test]
    fn decodes_typed_values_and_reads_numbers_as_text_where_strings_are_wanted() {
        let card =
            decode_text("rateLimit: 10\nburstLimit: 20\nlabel: 1.10\nperiod: DAY\nextra: {a: 7}\n")
                .expect("decodes");
        assert_eq!(card.rate_limit, 10.0);
        assert_eq!(card.burst_limit, 20);
        assert_eq!(card.label.as_deref(), Some("1.10"));
        assert_eq!(card.period, Some(Unit::Day));
        assert_eq!(card.extra.get("a").map(String::as_str), Some("7"));
    }

    #[test]
    fn an_unknown_field_is_reported_at_its_key_with_the_choices() {
        assert_eq!(
            failure("rateLimt: 10\nburstLimit: 20\n"),
            (
                pos(1, 1),
                "unknown field `rateLimt` in rate card; expected one of `rateLimit`, `burstLimit`, `label`, `period`, `extra`".to_owned()
            )
        );
    }

    #[test]
    fn a_missing_field_is_reported_at_the_mapping() {
        assert_eq!(
            failure("rateLimit: 10\n"),
            (
                pos(1, 1),
                "missing field `burstLimit` in rate card; add it".to_owned()
            )
        );
    }

    #[test]
    fn a_wrong_type_is_reported_at_the_value() {
        assert_eq!(
            failure("rateLimit: fast\nburstLimit: 20\n"),
            (
                pos(1, 12),
                "expected a number, found the string \"fast\"".to_owned()
            )
        );
        assert_eq!(
            failure("rateLimit: 1\nburstLimit: 2.5\n"),
            (
                pos(2, 13),
                "expected an integer, found the number 2.5".to_owned()
            )
        );
    }

    #[test]
    fn a_list_is_no_mapping() {
        assert_eq!(
            failure("[1, 2]\n"),
            (pos(1, 1), "expected a mapping, found a list".to_owned())
        );
    }

    #[test]
    fn an_unknown_enum_value_lists_the_choices() {
        assert_eq!(
            failure("rateLimit: 1\nburstLimit: 2\nperiod: YEAR\n"),
            (
                pos(3, 9),
                "unknown value `YEAR`; expected one of `DAY`".to_owned()
            )
        );
    }

    #[derive(Debug, PartialEq, Deserialize)]
    #[serde(deny_unknown_fields, rename_all = "camelCase")]
    struct Card {
        name: String,
        rate: Option<RateCard>,
        #[serde(default)]
        items: Vec<RateCard>,
    }

    fn all_of(source: &str) -> (Option<Card>, Vec<(Option<Pos>, String)>) {
        let partial = decode_all::<Card>(&parse(source).root.expect("a tree"));
        let errors = partial
            .errors
            .iter()
            .map(|error| (error.pos, error.message().to_owned()))
            .collect();
        (partial.value, errors)
    }

    #[test]
    fn decode_all_reports_every_error_and_keeps_the_rest() {
        let (card, errors) = all_of(
            "name: x
rate: {rateLimit: fast, burstLimit: 2.5, label: [a]}
items:
  - {rateLimit: 1, burstLimit: 2}
  - {rateLimit: 1}
  - 7
  - {rateLimit: 3, burstLimit: 4}
",
        );
        assert_eq!(
            errors,
            vec![
                (
                    pos(2, 19),
                    "expected a number, found the string \"fast\"".to_owned()
                ),
                (
                    pos(2, 37),
                    "expected an integer, found the number 2.5".to_owned()
                ),
                (pos(2, 49), "expected a string, found a list".to_owned()),
                (
                    pos(5, 5),
                    "missing field `burstLimit` in rate card; add it".to_owned()
                ),
                (
                    pos(6, 5),
                    "expected a mapping, found the integer 7".to_owned()
                ),
            ]
        );
        let card = card.expect("decodes in part");
        // Wrong values stand in as empty ones; wrong items are left out.
        let rate = card.rate.expect("a rate");
        assert_eq!(
            (rate.rate_limit, rate.burst_limit, rate.label),
            (0.0, 0, None)
        );
        let bursts: Vec<i64> = card.items.iter().map(|item| item.burst_limit).collect();
        assert_eq!(bursts, vec![2, 4]);
    }

    #[test]
    fn decode_all_keeps_the_places_of_what_is_left() {
        let partial = decode_all::<Card>(
            &parse(
                "name: x
items:
  - 7
  - {rateLimit: 1, burstLimit: 2}
",
            )
            .root
            .expect("a tree"),
        );
        assert_eq!(
            partial
                .node
                .get("items")
                .and_then(|items| items.item(0))
                .map(|item| item.pos),
            pos(4, 5)
        );
        let (_, errors) = all_of(
            "name: [x]
rate: {rateLimit: fast, burstLimit: 1}
",
        );
        assert_eq!(errors.len(), 2);
    }

    #[test]
    fn a_misspelt_field_is_not_also_missing() {
        let (card, errors) = all_of(
            "name: x
rate: {rateLimt: 1, burstLimit: 2}
",
        );
        assert_eq!(
            errors,
            vec![(
                pos(2, 8),
                "unknown field `rateLimt` in rate card; expected one of `rateLimit`, `burstLimit`, `label`, `period`, `extra`".to_owned()
            )]
        );
        assert_eq!(card.map(|card| card.rate), Some(None));
    }

    #[test]
    fn decode_all_gives_up_only_on_the_node_as_a_whole() {
        let (card, errors) = all_of(
            "rate: {rateLimit: 1, burstLimit: 2}
",
        );
        assert_eq!(card, None);
        assert_eq!(
            errors,
            vec![(pos(1, 1), "missing field `name` in card; add it".to_owned())]
        );
        let (card, errors) = all_of(
            "nme: x
",
        );
        assert_eq!(card, None);
        assert_eq!(errors.len(), 1, "{errors:?}");
        let (card, errors) = all_of(
            "[1]
",
        );
        assert_eq!(card, None);
        assert_eq!(
            errors,
            vec![(pos(1, 1), "expected a mapping, found a list".to_owned())]
        );
    }

    #[test]
    fn a_name_decodes_with_the_choices_in_its_error() {
        assert_eq!(decode_name::<Unit>("DAY").ok(), Some(Unit::Day));
        assert_eq!(
            decode_name::<Unit>("YEAR").map_err(|error| error.message().to_owned()),
            Err("unknown value `YEAR`; expected one of `DAY`".to_owned())
        );
    }

    #[test]
    fn unknown_key_names_what_it_is_in() {
        let tree = parse("plans: []\n").root.expect("a tree");
        let key = tree.key("plans").expect("key");
        let error = DecodeError::unknown_key(key, &["usagePlans"], "file");
        assert_eq!(error.pos, pos(1, 1));
        assert_eq!(
            error.message(),
            "unknown field `plans` in file; expected one of `usagePlans`"
        );
    }
}
