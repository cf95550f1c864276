//! AWS's limits on what a plan holds, written once: the validator enforces them and the JSON
//! Schema states them.

use std::collections::BTreeSet;

use crate::model::{grant_tag, DesiredKey, NamedKey, CREATION_TAG, OWNER_TAG};

/// The most tags AWS keeps on one resource.
pub const MAX_TAGS: usize = 50;

/// The tags a plan or key may declare, counting one per grant: one of AWS's 50 is kept for
/// tollgate's creation marker (`tollgate:creation`), which a plan or key tollgate creates
/// carries. With a project file, one more is kept for the owner tag (`tollgate:owner`).
pub const DECLARABLE_TAGS: usize = MAX_TAGS - 1;

/// The grant records (`tollgate:grant:{keyId}:{grantId}`) a plan's keys leave on it: one per
/// grant of a key given by id or by name.
pub fn grant_records(keys: Option<&[DesiredKey]>, named_keys: &[NamedKey]) -> usize {
    let by_id: BTreeSet<(&str, &str)> = keys
        .into_iter()
        .flatten()
        .flat_map(|key| {
            key.grants
                .iter()
                .map(|grant| (key.id.as_str(), grant.id.as_str()))
        })
        .collect();
    // A key given by name has a record per grant too, whatever its id turns out to be.
    let by_name: BTreeSet<(&str, &str)> = named_keys
        .iter()
        .flat_map(|key| {
            key.grants
                .iter()
                .map(|(grant, _)| (key.name.as_str(), grant.id.as_str()))
        })
        .collect();
    by_id.len() + by_name.len()
}

/// Why `declared` tags and `records` grant records would not fit in AWS's 50 on a plan with
/// the tags tollgate keeps there: the creation marker of a plan it may create (not `pinned`)
/// and, in a project (`owned`), the owner tag; `None` when they fit.
pub fn plan_tags_too_many(
    declared: usize,
    records: usize,
    pinned: bool,
    owned: bool,
) -> Option<String> {
    let mut kept = Vec::new();
    if !pinned {
        kept.push(format!(
            "the creation marker `{CREATION_TAG}` of a plan it creates (pin the plan's `id` if \
             it exists already)"
        ));
    }
    if owned {
        kept.push(format!("the owner tag `{OWNER_TAG}` of a project's plans"));
    }
    let most = MAX_TAGS - kept.len();
    let total = declared + records;
    if total <= most {
        return None;
    }
    let limit = match kept.as_slice() {
        [] => format!("AWS keeps at most {MAX_TAGS} on a plan"),
        [one] => format!(
            "AWS keeps at most {MAX_TAGS} on a plan and tollgate keeps one of them for {one}"
        ),
        kept => format!(
            "AWS keeps at most {MAX_TAGS} on a plan and tollgate keeps {} of them, for {}",
            kept.len(),
            kept.join(" and ")
        ),
    };
    Some(if records == 0 {
        format!("{total} tags: {limit}; declare at most {most}")
    } else {
        let record = grant_tag("{keyId}", "{grantId}");
        format!(
            "{declared} tags and {records} grants make {total} tags: each grant keeps a tag \
             `{record}` on the plan for good, and {limit}; declare at most {most} tags and \
             grants together"
        )
    })
}

/// The longest tag key AWS accepts, in characters.
pub const MAX_TAG_KEY: usize = 128;

/// The longest tag value AWS accepts, in characters.
pub const MAX_TAG_VALUE: usize = 256;

/// The largest quota limit, offset, burst limit or remaining quota AWS accepts: it keeps
/// them as 32-bit signed integers.
pub const MAX_INTEGER: i64 = i32::MAX as i64;

/// Why a grant's record tag (`tollgate:grant:{keyId}:{grantId}`) would not fit in a tag key,
/// with the room the grant id has; `None` when it fits.
pub fn grant_record_too_long(key_id: &str, grant_id: &str) -> Option<String> {
    let record = grant_tag(key_id, grant_id);
    let length = record.chars().count();
    if length <= MAX_TAG_KEY {
        return None;
    }
    let room = MAX_TAG_KEY.saturating_sub(grant_tag(key_id, "").chars().count());
    Some(format!(
        "grant id `{grant_id}` is too long for key `{key_id}`: its record tag `{record}` would \
         be {length} characters and AWS accepts at most {MAX_TAG_KEY} in a tag key; shorten \
         the grant id to at most {room} characters"
    ))
}
