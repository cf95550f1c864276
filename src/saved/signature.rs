//! The optional signature of a saved plan: with `TOLLGATE_PLAN_KEY` set, `plan --out` writes
//! an HMAC-SHA256 of the file into its `signature` field, and `apply FILE` (and `show FILE`)
//! refuse a file without a valid one. The fingerprints only tell a stale file; the signature
//! tells a file someone without the key edited or replaced.
//!
//! What is signed is the file's JSON with the `signature` field left out, written compactly
//! (`serde_json::to_vec` of the parsed document), so that the pretty-printed file and the
//! document read back sign alike.

use hmac::{Hmac, KeyInit, Mac};
use serde_json::Value;
use sha2::Sha256;

/// The environment variable holding the key.
pub const KEY_VARIABLE: &str = "TOLLGATE_PLAN_KEY";

/// The top-level field of a saved plan that holds its signature.
pub const FIELD: &str = "signature";

/// The fewest bytes a key may have: 256 bits, as HMAC-SHA256's own output.
const SHORTEST_KEY: usize = 32;

/// How a signature is written: this prefix, then 64 hex digits.
const PREFIX: &str = "hmac-sha256:";

/// The key that signs and verifies saved plans. Its bytes are never printed.
pub struct PlanKey(Vec<u8>);

impl std::fmt::Debug for PlanKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PlanKey(..)")
    }
}

impl PlanKey {
    /// The key in [`KEY_VARIABLE`]; `None` when it is unset or empty, an error when it is too
    /// short to be a key or is not text.
    pub fn from_env() -> Result<Option<PlanKey>, String> {
        match std::env::var_os(KEY_VARIABLE) {
            None => Ok(None),
            Some(value) if value.is_empty() => Ok(None),
            Some(value) => {
                let Some(text) = value.to_str() else {
                    return Err(format!("{KEY_VARIABLE} is not valid UTF-8 text"));
                };
                PlanKey::new(text.as_bytes()).map(Some)
            }
        }
    }

    /// A key of `bytes`; an error when it has fewer than [`SHORTEST_KEY`].
    pub fn new(bytes: &[u8]) -> Result<PlanKey, String> {
        if bytes.len() < SHORTEST_KEY {
            return Err(format!(
                "{KEY_VARIABLE} holds {} bytes, and a key needs at least {SHORTEST_KEY}; make one \
                 with `openssl rand -hex 32` and keep it as a secret only the jobs that make and \
                 apply saved plans on the default branch can read",
                bytes.len()
            ));
        }
        Ok(PlanKey(bytes.to_vec()))
    }

    /// The MAC of `document`'s compact JSON, its `signature` field left out.
    fn mac(&self, document: &Value) -> Hmac<Sha256> {
        let mut unsigned = document.clone();
        if let Value::Object(fields) = &mut unsigned {
            fields.remove(FIELD);
        }
        // Writing a `Value` to a `Vec` cannot fail: its keys are strings.
        let bytes = serde_json::to_vec(&unsigned).unwrap_or_default();
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.0)
            .unwrap_or_else(|_| unreachable!("HMAC takes a key of any length"));
        mac.update(&bytes);
        mac
    }

    /// Writes the signature of `document` into its `signature` field.
    pub fn sign(&self, document: &mut Value) {
        let tag = self.mac(document).finalize().into_bytes();
        let hex: String = tag.iter().map(|byte| format!("{byte:02x}")).collect();
        if let Value::Object(fields) = document {
            fields.insert(FIELD.to_string(), Value::String(format!("{PREFIX}{hex}")));
        }
    }
}

/// What was found of a saved plan's signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signature {
    /// The file has none, and no key was set: nothing to check.
    Unsigned,
    /// The file has one, and no key was set to check it with.
    Unchecked,
    /// The file's signature is valid for the key set.
    Verified,
}

/// Checks `document`'s signature with `key` and removes the field, so the rest reads as an
/// unsigned file; an error says why a file is refused: with a key set, a file must carry a
/// valid signature (compared in constant time).
pub fn verify(document: &mut Value, key: Option<&PlanKey>) -> Result<Signature, String> {
    let written = match document.get(FIELD) {
        None => None,
        Some(Value::String(text)) => Some(text.clone()),
        Some(_) => return Err("its `signature` is not a string".into()),
    };
    let found = match (key, written) {
        (None, None) => Signature::Unsigned,
        (None, Some(_)) => Signature::Unchecked,
        (Some(_), None) => {
            return Err(format!(
                "it is not signed, and {KEY_VARIABLE} is set, so only a signed plan is applied"
            ))
        }
        (Some(key), Some(text)) => {
            let tag = text.strip_prefix(PREFIX).and_then(decode_hex);
            let valid = tag.is_some_and(|tag| key.mac(document).verify_slice(&tag).is_ok());
            if !valid {
                return Err(format!(
                    "its signature does not match its content under {KEY_VARIABLE}: the file was \
                     changed after it was signed, or signed with another key"
                ));
            }
            Signature::Verified
        }
    };
    if let Value::Object(fields) = document {
        fields.remove(FIELD);
    }
    Ok(found)
}

/// The bytes of `text`, two hex digits each; `None` for anything else.
fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if text.len() % 2 != 0 {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|at| u8::from_str_radix(text.get(at..at + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn key(byte: u8) -> PlanKey {
        PlanKey::new(&[byte; 32]).expect("a long enough key")
    }

    #[test]
    fn a_signed_document_verifies_and_loses_its_signature() {
        let mut document = json!({ "formatVersion": 1, "region": "us-east-1", "saved": {} });
        let original = document.clone();
        key(7).sign(&mut document);
        let written = document[FIELD].as_str().unwrap_or_default().to_string();
        assert!(written.starts_with(PREFIX) && written.len() == PREFIX.len() + 64);
        assert_eq!(
            verify(&mut document, Some(&key(7))),
            Ok(Signature::Verified)
        );
        assert_eq!(document, original, "the field is removed once checked");
    }

    #[test]
    fn a_changed_document_or_another_key_is_refused() {
        let mut document = json!({ "region": "us-east-1", "saved": { "plans": [] } });
        key(7).sign(&mut document);
        let mut changed = document.clone();
        changed["region"] = json!("eu-west-1");
        let refused = verify(&mut changed, Some(&key(7))).unwrap_err();
        assert!(refused.contains("changed after it was signed"), "{refused}");
        assert!(verify(&mut document.clone(), Some(&key(8))).is_err());
        let mut garbled = document.clone();
        garbled[FIELD] = json!("hmac-sha256:zz");
        assert!(verify(&mut garbled, Some(&key(7))).is_err());
    }

    #[test]
    fn with_a_key_an_unsigned_document_is_refused_and_without_one_is_read() {
        let mut unsigned = json!({ "region": "us-east-1" });
        let refused = verify(&mut unsigned.clone(), Some(&key(7))).unwrap_err();
        assert!(refused.contains("not signed"), "{refused}");
        assert_eq!(verify(&mut unsigned, None), Ok(Signature::Unsigned));
        let mut signed = json!({ "region": "us-east-1" });
        key(7).sign(&mut signed);
        assert_eq!(verify(&mut signed, None), Ok(Signature::Unchecked));
    }

    #[test]
    fn a_short_key_is_refused_and_a_key_never_prints() {
        let refused = PlanKey::new(b"short").unwrap_err();
        assert!(refused.contains("at least 32"), "{refused}");
        assert_eq!(format!("{:?}", key(7)), "PlanKey(..)");
    }
}
