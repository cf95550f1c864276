//! Quota arithmetic: which period a day falls in, and what remains of a key's quota.

use crate::dates::{civil_from_days, days_from_civil, format_date, weekday};
use crate::state::{KeyUsage, Period, Quota};

/// The first day of the quota period that contains `day`.
pub fn period_start(quota: &Quota, day: i64) -> i64 {
    match quota.period {
        None | Some(Period::Day) => day,
        Some(Period::Week) => day - (weekday(day) - quota.offset).rem_euclid(7),
        Some(Period::Month) => {
            let (year, month, dom) = civil_from_days(day);
            let first = u32::try_from(quota.offset + 1).unwrap_or(1);
            if dom >= first {
                days_from_civil(year, month, first)
            } else if month == 1 {
                days_from_civil(year - 1, 12, first)
            } else {
                days_from_civil(year, month - 1, first)
            }
        }
    }
}

/// The most requests one key can have used on one day: AWS's Usage counts are Longs, so
/// recording more saturates here, and a loaded state may not hold more.
pub const MAX_REQUESTS: u64 = i64::MAX as u64;

/// Requests used from the start of `day`'s period up to and including `day` (saturating).
pub fn used_in_period(quota: &Quota, usage: &KeyUsage, day: i64) -> u64 {
    let from = format_date(period_start(quota, day));
    let to = format_date(day);
    usage
        .used
        .range(from..=to)
        .fold(0, |total: u64, (_, n)| total.saturating_add(*n))
}

/// What remains of the quota at the end of `day` (0 when the plan has no quota).
pub fn remaining(quota: Option<&Quota>, usage: &KeyUsage, day: i64) -> i64 {
    let Some(quota) = quota else { return 0 };
    let start = format_date(period_start(quota, day));
    let extension = usage.extensions.get(&start).copied().unwrap_or(0);
    let used = i64::try_from(used_in_period(quota, usage, day)).unwrap_or(i64::MAX);
    quota
        .limit
        .saturating_add(extension)
        .saturating_sub(used)
        .max(0)
}

/// Sets the remaining quota of the period containing `day` to `target`.
pub fn set_remaining(quota: &Quota, usage: &mut KeyUsage, day: i64, target: i64) {
    let start = format_date(period_start(quota, day));
    let used = i64::try_from(used_in_period(quota, usage, day)).unwrap_or(i64::MAX);
    usage.extensions.insert(
        start,
        target.saturating_sub(quota.limit).saturating_add(used),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dates::parse_date;

    fn quota(period: Period, offset: i64) -> Quota {
        Quota {
            limit: 100,
            offset,
            period: Some(period),
        }
    }

    #[test]
    fn periods_start_where_the_offset_says() {
        let d = |s| parse_date(s).unwrap();
        // 2024-06-05 is a Wednesday.
        assert_eq!(
            period_start(&quota(Period::Day, 0), d("2024-06-05")),
            d("2024-06-05")
        );
        assert_eq!(
            period_start(&quota(Period::Week, 0), d("2024-06-05")),
            d("2024-06-02")
        );
        assert_eq!(
            period_start(&quota(Period::Week, 3), d("2024-06-05")),
            d("2024-06-05")
        );
        assert_eq!(
            period_start(&quota(Period::Week, 4), d("2024-06-05")),
            d("2024-05-30")
        );
        assert_eq!(
            period_start(&quota(Period::Month, 0), d("2024-06-05")),
            d("2024-06-01")
        );
        assert_eq!(
            period_start(&quota(Period::Month, 9), d("2024-06-05")),
            d("2024-05-10")
        );
        assert_eq!(
            period_start(&quota(Period::Month, 9), d("2024-01-05")),
            d("2023-12-10")
        );
    }

    #[test]
    fn remaining_falls_with_use_and_resets_each_period() {
        let q = quota(Period::Day, 0);
        let mut usage = KeyUsage::default();
        usage.used.insert("2024-06-05".into(), 30);
        let day = parse_date("2024-06-05").unwrap();
        assert_eq!(remaining(Some(&q), &usage, day), 70);
        assert_eq!(remaining(Some(&q), &usage, day + 1), 100);
        set_remaining(&q, &mut usage, day, 500);
        assert_eq!(remaining(Some(&q), &usage, day), 500);
        assert_eq!(remaining(Some(&q), &usage, day + 1), 100);
        assert_eq!(remaining(None, &usage, day), 0);
    }
}
