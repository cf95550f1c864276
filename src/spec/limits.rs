//! AWS's limits on what a plan holds, written once: the validator enforces them and the JSON
//! Schema states them.

/// The most tags AWS keeps on one resource.
pub const MAX_TAGS: usize = 50;

/// The tags a plan may declare, counting one per grant: one of AWS's 50 is kept for
/// tollgate's creation marker (`tollgate:creation`), which a plan tollgate creates carries.
pub const DECLARABLE_TAGS: usize = MAX_TAGS - 1;

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
    let record = crate::model::grant_tag(key_id, grant_id);
    let length = record.chars().count();
    if length <= MAX_TAG_KEY {
        return None;
    }
    let room = MAX_TAG_KEY.saturating_sub(crate::model::grant_tag(key_id, "").chars().count());
    Some(format!(
        "grant id `{grant_id}` is too long for key `{key_id}`: its record tag `{record}` would \
         be {length} characters and AWS accepts at most {MAX_TAG_KEY} in a tag key; shorten \
         the grant id to at most {room} characters"
    ))
}
