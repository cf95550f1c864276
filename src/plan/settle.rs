//! Settling a grant left pending: whether the key's usage, read again, shows that its
//! UpdateUsage was carried out, was not, or cannot tell.
//!
//! The pending record keeps the key's figures for the day just before the call (used that
//! day, remaining this period). Within that day the two move together: every request adds
//! one to `used` and takes one from `remaining` (which stops at 0), and a grant sets
//! `remaining` to its value. So a later reading of the same day fits "not carried out" when
//! `remaining` fell by what `used` rose, and "carried out" when `remaining` is the grant's
//! value less at most what `used` rose since; each within [`margin`]. A grant is settled only
//! when exactly one fits, and as not carried out only once [`LAG_SECONDS`] have passed since
//! the record, since AWS's usage figures can lag by tens of minutes.

use std::fmt;

use time::{Date, OffsetDateTime};

use super::impact::{format_day, parse_day};
use crate::model::GRANT_PENDING;

/// How long after its record a grant that looks not carried out stays pending: AWS's usage
/// figures are reported to lag by tens of minutes, so a grant made may not show yet.
pub const LAG_SECONDS: i64 = 60 * 60;

/// The fewest requests [`margin`] allows.
pub const MIN_MARGIN: i64 = 10;

/// A key's figures for one day, as GetUsage gives them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Figures {
    /// Requests the key made that day.
    pub used: i64,
    /// What remained of its quota for the period at the end of that day (or now, today).
    pub remaining: i64,
}

/// The key's figures read just before a grant's UpdateUsage, kept in its pending record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Baseline {
    /// When they were read, by AWS's clock (Unix seconds).
    pub at: i64,
    /// The figures of that day.
    pub figures: Figures,
}

impl Baseline {
    /// The day (UTC) the figures are of.
    pub fn day(&self) -> Date {
        self.time().date()
    }

    fn time(&self) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(self.at).unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }

    /// The pending record's tag value: `pending 2026-11-23T12:00:00Z used=5 remaining=995`
    /// (well within AWS's 256 characters for a tag value, in the characters it allows).
    pub fn record(&self) -> String {
        let time = self.time();
        format!(
            "{GRANT_PENDING} {}T{:02}:{:02}:{:02}Z used={} remaining={}",
            format_day(time.date()),
            time.hour(),
            time.minute(),
            time.second(),
            self.figures.used,
            self.figures.remaining
        )
    }

    /// The baseline a pending record holds; `None` for any other value (`pending` alone, as
    /// written before records kept the figures).
    pub fn parse(record: &str) -> Option<Baseline> {
        let mut words = record.split(' ');
        if words.next()? != GRANT_PENDING {
            return None;
        }
        let stamp = words.next()?.strip_suffix('Z')?;
        let (day, clock) = stamp.split_once('T')?;
        let mut clock = clock.split(':').map(str::parse::<u8>);
        let (hour, minute, second) = (
            clock.next()?.ok()?,
            clock.next()?.ok()?,
            clock.next()?.ok()?,
        );
        let at = parse_day(day)?
            .with_hms(hour, minute, second)
            .ok()?
            .assume_utc()
            .unix_timestamp();
        let mut number = |name: &str| -> Option<i64> {
            words
                .next()?
                .strip_prefix(name)?
                .strip_prefix('=')?
                .parse()
                .ok()
        };
        let figures = Figures {
            used: number("used")?,
            remaining: number("remaining")?,
        };
        (clock.next().is_none() && words.next().is_none() && figures.used >= 0)
            .then_some(Baseline { at, figures })
    }
}

/// What the account shows of a pending grant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// UpdateUsage was carried out: the record is rewritten `applied`, nothing is sent.
    Applied,
    /// UpdateUsage was not carried out: the grant is planned again.
    NotCarriedOut,
    /// The grant stays pending, for this reason.
    Pending(Unsettled),
}

/// Why a pending grant could not be settled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unsettled {
    /// The run did not read the key's usage (a saved plan reads none).
    NotRead,
    /// The record holds no figures from before the call (written by an earlier tollgate).
    NoBaseline,
    /// GetUsage gave no figures for the key on the record's day.
    NoFigures {
        /// The record's day, `YYYY-MM-DD`.
        day: String,
    },
    /// Reading the key's usage failed (a denied read, a key no longer on the plan).
    Unreadable {
        /// What AWS answered.
        detail: String,
    },
    /// The figures say not carried out, but are too recent to trust.
    TooSoon {
        /// From when (Unix seconds, AWS's clock) they are trusted.
        until: i64,
    },
    /// The figures fit both outcomes: the grant sets about what remained anyway.
    Both,
    /// The figures fit neither outcome: something else changed the key's quota that day.
    Neither,
}

impl fmt::Display for Unsettled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unsettled::NotRead => {
                write!(f, "its key's usage was not read (a saved plan reads none)")
            }
            Unsettled::NoBaseline => write!(
                f,
                "its record holds no usage from before the call (an earlier tollgate wrote it)"
            ),
            Unsettled::Unreadable { detail } => {
                write!(f, "reading its key's usage failed ({detail})")
            }
            Unsettled::NoFigures { day } => {
                write!(f, "AWS's usage has no figures for the key on {day}")
            }
            Unsettled::TooSoon { until } => {
                let until = OffsetDateTime::from_unix_timestamp(*until)
                    .unwrap_or(OffsetDateTime::UNIX_EPOCH);
                write!(
                    f,
                    "its usage shows no grant yet, and AWS's usage figures can lag by tens of \
                     minutes, so it settles from {} {:02}:{:02} UTC on",
                    format_day(until.date()),
                    until.hour(),
                    until.minute()
                )
            }
            Unsettled::Both => write!(
                f,
                "its usage fits both outcomes (the grant sets about what remained anyway)"
            ),
            Unsettled::Neither => write!(
                f,
                "its usage fits neither outcome (the quota, its period or another grant changed \
                 the key's figures that day)"
            ),
        }
    }
}

/// How far, in requests, the figures may stray from an outcome and still fit it: 1% of the
/// larger of the grant and what remained before it, at least [`MIN_MARGIN`].
pub fn margin(grant: i64, before: &Figures) -> i64 {
    (grant.max(before.remaining) / 100).max(MIN_MARGIN)
}

/// Settles a grant of `grant` (the remaining quota it sets) from its `baseline` and the
/// key's figures of the same day read again at `now` (Unix seconds, AWS's clock).
pub fn settle(grant: i64, baseline: &Baseline, now: i64, figures: &Figures) -> Verdict {
    // The record is tollgate's but a tag anyone may edit: no arithmetic may overflow.
    let before = &baseline.figures;
    let rose = figures.used.saturating_sub(before.used);
    if rose < 0 {
        return Verdict::Pending(Unsettled::Neither);
    }
    let margin = margin(grant, before);
    let near = |value: i64, expected: i64| value.abs_diff(expected) <= margin.unsigned_abs();
    let not_carried_out = near(
        figures.remaining,
        before.remaining.saturating_sub(rose).max(0),
    );
    let lowest = grant.saturating_sub(rose).max(0);
    let carried_out = figures.remaining >= lowest.saturating_sub(margin)
        && figures.remaining <= grant.saturating_add(margin);
    let until = baseline.at.saturating_add(LAG_SECONDS);
    match (carried_out, not_carried_out) {
        (true, false) => Verdict::Applied,
        (false, true) if now >= until => Verdict::NotCarriedOut,
        (false, true) => Verdict::Pending(Unsettled::TooSoon { until }),
        (true, true) => Verdict::Pending(Unsettled::Both),
        (false, false) => Verdict::Pending(Unsettled::Neither),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-11-23T12:00:00Z.
    const NOON: i64 = 1_795_435_200;

    fn figures(used: i64, remaining: i64) -> Figures {
        Figures { used, remaining }
    }

    fn baseline(used: i64, remaining: i64) -> Baseline {
        Baseline {
            at: NOON,
            figures: figures(used, remaining),
        }
    }

    const LATER: i64 = NOON + LAG_SECONDS;

    #[test]
    fn a_record_round_trips_and_fits_a_tag_value() {
        let record = baseline(5, 995).record();
        assert_eq!(record, "pending 2026-11-23T12:00:00Z used=5 remaining=995");
        assert_eq!(Baseline::parse(&record), Some(baseline(5, 995)));
        assert_eq!(format_day(baseline(5, 995).day()), "2026-11-23");
        let widest = Baseline {
            at: NOON,
            figures: figures(i64::MAX, i64::MIN),
        };
        assert!(widest.record().len() <= 256);
        assert_eq!(Baseline::parse(&widest.record()), Some(widest));
        assert_eq!(Baseline::parse(&baseline(-1, 0).record()), None, "used < 0");
    }

    #[test]
    fn records_without_figures_or_malformed_hold_no_baseline() {
        for record in [
            "pending",
            "applied",
            "pending 2026-11-23T12:00:00Z used=5",
            "pending 2026-11-23T12:00:00 used=5 remaining=995",
            "pending 2026-11-23T12:00:00Z remaining=995 used=5",
            "pending 2026-11-23T12:00:00Z used=5 remaining=995 more",
            "pending 2026-13-23T12:00:00Z used=5 remaining=995",
            "pending 2026-11-23T25:00:00Z used=5 remaining=995",
        ] {
            assert_eq!(Baseline::parse(record), None, "{record}");
        }
    }

    #[test]
    fn a_grant_that_shows_is_applied_at_once() {
        // 1000 remained; the grant set 5000; 30 requests since.
        let verdict = settle(5000, &baseline(0, 1000), NOON + 60, &figures(30, 4970));
        assert_eq!(verdict, Verdict::Applied);
        // Made right away, then every request since counted.
        assert_eq!(
            settle(5000, &baseline(10, 0), NOON + 60, &figures(10, 5000)),
            Verdict::Applied
        );
    }

    #[test]
    fn a_grant_that_does_not_show_is_not_carried_out_once_the_lag_has_passed() {
        let before = baseline(0, 1000);
        assert_eq!(
            settle(5000, &before, LATER, &figures(30, 970)),
            Verdict::NotCarriedOut
        );
        // Before then, the grant may not show yet.
        assert_eq!(
            settle(5000, &before, LATER - 1, &figures(30, 970)),
            Verdict::Pending(Unsettled::TooSoon { until: LATER })
        );
        // The quota ran out: remaining stops at 0.
        assert_eq!(
            settle(5000, &baseline(0, 20), LATER, &figures(30, 0)),
            Verdict::NotCarriedOut
        );
    }

    #[test]
    fn figures_within_the_margin_still_fit() {
        // The margin is 1% of 5000: 50 requests either way.
        assert_eq!(margin(5000, &figures(0, 1000)), 50);
        assert_eq!(margin(100, &figures(0, 20)), MIN_MARGIN);
        let before = baseline(0, 1000);
        assert_eq!(
            settle(5000, &before, LATER, &figures(0, 5050)),
            Verdict::Applied
        );
        assert_eq!(
            settle(5000, &before, LATER, &figures(0, 5051)),
            Verdict::Pending(Unsettled::Neither)
        );
        assert_eq!(
            settle(5000, &before, LATER, &figures(0, 950)),
            Verdict::NotCarriedOut
        );
        assert_eq!(
            settle(5000, &before, LATER, &figures(0, 949)),
            Verdict::Pending(Unsettled::Neither)
        );
    }

    #[test]
    fn figures_that_fit_both_or_neither_leave_the_grant_pending() {
        // The grant sets what remained anyway.
        assert_eq!(
            settle(1000, &baseline(0, 1000), LATER, &figures(0, 1000)),
            Verdict::Pending(Unsettled::Both)
        );
        // Another grant, or a new quota, changed the figures.
        assert_eq!(
            settle(5000, &baseline(0, 1000), LATER, &figures(0, 3000)),
            Verdict::Pending(Unsettled::Neither)
        );
        // Fewer requests than before: not the same day's figures.
        assert_eq!(
            settle(5000, &baseline(10, 1000), LATER, &figures(5, 5000)),
            Verdict::Pending(Unsettled::Neither)
        );
    }

    #[test]
    fn edited_records_with_extreme_figures_do_not_overflow() {
        let extreme = baseline(i64::MAX, i64::MIN);
        assert_eq!(
            settle(5000, &extreme, i64::MAX, &figures(0, 5000)),
            Verdict::Pending(Unsettled::Neither)
        );
        let far = Baseline {
            at: i64::MAX,
            figures: figures(0, i64::MAX),
        };
        assert!(matches!(
            settle(i64::MAX, &far, 0, &figures(i64::MAX, i64::MIN)),
            Verdict::Pending(_)
        ));
    }

    #[test]
    fn every_reason_says_why_in_words() {
        let until = Unsettled::TooSoon { until: LATER }.to_string();
        assert!(until.contains("2026-11-23 13:00 UTC"), "{until}");
        assert!(Unsettled::Both.to_string().contains("both outcomes"));
        let day = Unsettled::NoFigures {
            day: "2026-11-23".into(),
        };
        assert!(day.to_string().contains("2026-11-23"));
    }
}
