//! Paging of list operations: `limit` (default 25, 1 to 500) and an opaque `position`.

use std::collections::BTreeMap;
use std::ops::Bound;

use crate::error::SimError;

/// The default page size.
pub const DEFAULT_LIMIT: usize = 25;
/// The largest page size.
pub const MAX_LIMIT: usize = 500;

/// One page of a list: the items and the position of the next page, if there is one.
#[derive(Debug)]
pub struct Page<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// Where the next page starts; `None` on the last page.
    pub position: Option<String>,
}

/// Returns the page of `map`'s entries that `limit` and `position` in `query` ask for. The walk
/// starts after the position; `select` keeps an entry (giving what the caller needs of it) or
/// skips it, and is called only from there to one entry past the page, so the caller builds
/// its answer from the page alone.
pub fn page<'a, V, S>(
    query: &BTreeMap<String, Vec<String>>,
    map: &'a BTreeMap<String, V>,
    mut select: impl FnMut(&'a String, &'a V) -> Option<S>,
) -> Result<Page<S>, SimError> {
    let limit = parse_limit(query.get("limit").and_then(|v| v.first()))?;
    let after = match query.get("position").and_then(|v| v.first()) {
        Some(p) => Some(decode_position(p)?),
        None => None,
    };
    let start = match &after {
        Some(after) => Bound::Excluded(after.as_str()),
        None => Bound::Unbounded,
    };
    let mut rest = map
        .range::<str, _>((start, Bound::Unbounded))
        .filter_map(|(id, value)| select(id, value).map(|s| (id, s)));
    let mut out = Vec::new();
    let mut last = None;
    for (id, item) in rest.by_ref().take(limit) {
        last = Some(id);
        out.push(item);
    }
    let position = match (rest.next(), last) {
        (Some(_), Some(last)) => Some(encode_position(last)),
        _ => None,
    };
    Ok(Page {
        items: out,
        position,
    })
}

fn parse_limit(value: Option<&String>) -> Result<usize, SimError> {
    let Some(value) = value else {
        return Ok(DEFAULT_LIMIT);
    };
    let n: i64 = value
        .parse()
        .map_err(|_| SimError::validation(value, "limit", "Member must be an integer"))?;
    if n > MAX_LIMIT as i64 {
        return Err(SimError::validation(
            n,
            "limit",
            &format!("Member must have value less than or equal to {MAX_LIMIT}"),
        ));
    }
    if n < 1 {
        return Err(SimError::validation(
            n,
            "limit",
            "Member must have value greater than or equal to 1",
        ));
    }
    Ok(n as usize)
}

fn encode_position(id: &str) -> String {
    id.bytes().map(|b| format!("{b:02x}")).collect()
}

fn decode_position(position: &str) -> Result<String, SimError> {
    let invalid = || SimError::bad_request(format!("Invalid position parameter: '{position}'"));
    if position.len() % 2 != 0 || position.is_empty() {
        return Err(invalid());
    }
    let bytes = (0..position.len())
        .step_by(2)
        .map(|i| {
            position
                .get(i..i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        })
        .collect::<Option<Vec<u8>>>()
        .ok_or_else(invalid)?;
    String::from_utf8(bytes).map_err(|_| invalid())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(pairs: &[(&str, &str)]) -> BTreeMap<String, Vec<String>> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), vec![v.to_string()]))
            .collect()
    }

    fn map(ids: &[String]) -> BTreeMap<String, ()> {
        ids.iter().map(|id| (id.clone(), ())).collect()
    }

    #[test]
    fn walks_all_items_once() {
        let ids: Vec<String> = (0..60).map(|i| format!("id{i:03}")).collect();
        let map = map(&ids);
        let mut seen = Vec::new();
        let mut position: Option<String> = None;
        loop {
            let mut q = query(&[]);
            if let Some(p) = &position {
                q.insert("position".into(), vec![p.clone()]);
            }
            let page = page(&q, &map, |id, _| Some(id.clone())).unwrap();
            assert!(page.items.len() <= DEFAULT_LIMIT);
            seen.extend(page.items);
            match page.position {
                Some(p) => position = Some(p),
                None => break,
            }
        }
        assert_eq!(seen, ids);
    }

    #[test]
    fn exact_last_page_has_no_position() {
        let ids: Vec<String> = (0..25).map(|i| format!("{i:02}")).collect();
        let page = page(&query(&[]), &map(&ids), |_, _| Some(())).unwrap();
        assert_eq!(page.items.len(), 25);
        assert!(page.position.is_none());
    }

    #[test]
    fn only_the_page_and_one_more_entry_are_looked_at() {
        let ids: Vec<String> = (0..1000).map(|i| format!("id{i:04}")).collect();
        let map = map(&ids);
        let mut looked_at = Vec::new();
        let q = query(&[("limit", "3"), ("position", &encode_position("id0900"))]);
        let page = page(&q, &map, |id, _| {
            looked_at.push(id.clone());
            Some(id.clone())
        })
        .unwrap();
        assert_eq!(page.items, ["id0901", "id0902", "id0903"]);
        assert_eq!(page.position, Some(encode_position("id0903")));
        assert_eq!(looked_at, ["id0901", "id0902", "id0903", "id0904"]);
    }

    #[test]
    fn skipped_entries_are_not_on_the_page() {
        let ids: Vec<String> = (0..10).map(|i| format!("{i}")).collect();
        let page = page(&query(&[("limit", "2")]), &map(&ids), |id, _| {
            (id != "0").then(|| id.clone())
        })
        .unwrap();
        assert_eq!(page.items, ["1", "2"]);
        assert_eq!(page.position, Some(encode_position("2")));
    }

    #[test]
    fn refuses_bad_limits_and_positions() {
        let empty = BTreeMap::<String, ()>::new();
        let none = |_: &String, _: &()| Some(());
        assert!(page(&query(&[("limit", "501")]), &empty, none)
            .unwrap_err()
            .message
            .contains("less than or equal to 500"));
        assert!(page(&query(&[("limit", "0")]), &empty, none).is_err());
        assert!(page(&query(&[("limit", "x")]), &empty, none).is_err());
        assert!(page(&query(&[("position", "zz")]), &empty, none).is_err());
    }
}
