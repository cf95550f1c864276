//! Request bodies: the members of each operation's JSON body and their types, checked before
//! the body is read, so that a wrong type or an unknown member is refused with AWS's 400 and a
//! message naming the member (rather than a deserializer's message).

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::error::SimError;
use crate::state::Period;

/// The type a body member must have.
#[derive(Debug)]
pub enum Shape {
    /// A JSON string.
    String,
    /// A JSON integer that fits an i64 (ranges are checked later, with the API's rules).
    Integer,
    /// Any JSON number.
    Number,
    /// `true` or `false`.
    Boolean,
    /// A quota period, checked with the same rule as the patch path `/quota/period`.
    Period,
    /// An object with these optional members and no others.
    Structure(&'static [(&'static str, Shape)]),
    /// An array of this shape.
    List(&'static Shape),
    /// An object whose member values have this shape.
    Map(&'static Shape),
    /// A member of AWS's model that the emulator does not serve: refused by name.
    Unsupported,
}

/// A throttle: `{"burstLimit", "rateLimit"}`.
pub const THROTTLE: Shape =
    Shape::Structure(&[("burstLimit", Shape::Integer), ("rateLimit", Shape::Number)]);

/// Tags: string to string.
pub const TAGS: Shape = Shape::Map(&Shape::String);

/// A request body whose members are known.
pub trait Body: DeserializeOwned {
    /// The body's members (all optional, as the operations' own checks decide what is needed).
    const MEMBERS: &'static [(&'static str, Shape)];
}

/// Reads `bytes` as the body `T` (an empty body reads as `{}`) after checking its members;
/// a `null` member counts as absent.
pub fn read<T: Body>(bytes: &[u8]) -> Result<T, SimError> {
    let mut value = if bytes.iter().all(u8::is_ascii_whitespace) {
        Value::Object(Map::new())
    } else {
        serde_json::from_slice(bytes).map_err(unparsable)?
    };
    check(&mut value, &Shape::Structure(T::MEMBERS), "")?;
    serde_json::from_value(value).map_err(unparsable)
}

fn unparsable(error: serde_json::Error) -> SimError {
    SimError::bad_request(format!("Could not parse request body into json: {error}"))
}

/// Checks `value` against `shape`; `at` names it in messages (`""` for the whole body).
fn check(value: &mut Value, shape: &Shape, at: &str) -> Result<(), SimError> {
    let fits = match shape {
        Shape::String => value.is_string(),
        Shape::Integer => value.is_i64(),
        Shape::Number => value.is_number(),
        Shape::Boolean => value.is_boolean(),
        Shape::Period => match value.as_str() {
            Some(text) => return Period::parse(text).map(|_| ()),
            None => false,
        },
        Shape::Structure(members) => match value.as_object_mut() {
            Some(object) => return check_structure(object, members, at),
            None => false,
        },
        Shape::List(item) => match value.as_array_mut() {
            Some(items) => {
                for (i, item_value) in items.iter_mut().enumerate() {
                    check(item_value, item, &format!("{at}[{i}]"))?;
                }
                true
            }
            None => false,
        },
        Shape::Map(item) => match value.as_object_mut() {
            Some(object) => {
                for (name, item_value) in object.iter_mut() {
                    check(item_value, item, &member_path(at, name))?;
                }
                true
            }
            None => false,
        },
        Shape::Unsupported => true,
    };
    if fits {
        Ok(())
    } else {
        let constraint = constraint(shape, value);
        Err(SimError::validation(
            &*value,
            if at.is_empty() { "body" } else { at },
            &constraint,
        ))
    }
}

fn check_structure(
    object: &mut Map<String, Value>,
    members: &[(&str, Shape)],
    at: &str,
) -> Result<(), SimError> {
    object.retain(|_, v| !v.is_null());
    for (name, value) in object.iter_mut() {
        let path = member_path(at, name);
        match members.iter().find(|(n, _)| n == name) {
            Some((_, Shape::Unsupported)) => {
                return Err(SimError::bad_request(format!(
                    "Invalid request body: member '{path}' is not supported by tollgate-sim"
                )))
            }
            Some((_, shape)) => check(value, shape, &path)?,
            None => {
                let known: Vec<&str> = members
                    .iter()
                    .filter(|(_, s)| !matches!(s, Shape::Unsupported))
                    .map(|(n, _)| *n)
                    .collect();
                return Err(SimError::bad_request(format!(
                    "Invalid request body: unknown member '{path}'. Must be one of: [{}]",
                    known.join(", ")
                )));
            }
        }
    }
    Ok(())
}

fn member_path(at: &str, name: &str) -> String {
    if at.is_empty() {
        name.to_string()
    } else {
        format!("{at}.{name}")
    }
}

/// What `value` breaks of `shape`, in the words of AWS's validation messages.
fn constraint(shape: &Shape, value: &Value) -> String {
    if matches!(shape, Shape::Integer) && value.is_u64() {
        return format!("Member must be an integer of at most {}", i64::MAX);
    }
    format!("Member must be {}, not {}", expected(shape), kind(value))
}

fn expected(shape: &Shape) -> &'static str {
    match shape {
        Shape::String | Shape::Period => "a string",
        Shape::Integer => "an integer",
        Shape::Number => "a number",
        Shape::Boolean => "a boolean",
        Shape::Structure(_) | Shape::Map(_) => "an object",
        Shape::List(_) => "a list",
        Shape::Unsupported => "absent",
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_f64() => "a decimal number",
        Value::Number(_) => "an integer",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}
