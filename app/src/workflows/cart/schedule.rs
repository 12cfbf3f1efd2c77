//! When the inactivity timer is due, and for what: a pure function of the cart's timing, its
//! last change and the next reminder stage, so it is tested on its own, without a clock.
use super::CartTiming;
use std::time::{Duration, SystemTime};

/// What the inactivity timer is due for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Due {
    /// The lines' stock reservations lapse.
    Lapse,
    Reminder(u32),
    Expiry,
}

/// The reservations' lapse at `lapse_at` if it comes before `due`.
pub(super) fn sooner_lapse(due: (Due, SystemTime), lapse_at: SystemTime) -> (Due, SystemTime) {
    if lapse_at < due.1 { (Due::Lapse, lapse_at) } else { due }
}

/// The reminder stage `next_stage` if it comes before expiry, otherwise expiry. Stages are
/// counted from the last change (`since`): stage `n` is due after the first `n + 1` reminder
/// intervals together; expiry after `expire_after`.
pub(super) fn next_due(timing: &CartTiming, since: SystemTime, next_stage: u32) -> (Due, SystemTime) {
    let expiry = since + timing.expire_after;
    let stage = next_stage as usize;
    if stage < timing.reminder_after.len() {
        let at = since + timing.reminder_after[..=stage].iter().sum::<Duration>();
        if at < expiry {
            return (Due::Reminder(next_stage), at);
        }
    }
    (Due::Expiry, expiry)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn timing(reminders: Vec<u64>, expire: u64) -> CartTiming {
        CartTiming {
            reminder_after: reminders.into_iter().map(Duration::from_secs).collect(),
            expire_after: Duration::from_secs(expire),
            ..CartTiming::production()
        }
    }

    fn at(secs: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
    }

    #[test]
    fn production_reminds_after_an_hour_then_a_day_and_expires_after_a_week() {
        let t = CartTiming::production();
        assert_eq!(next_due(&t, at(0), 0), (Due::Reminder(0), at(3600)));
        assert_eq!(next_due(&t, at(0), 1), (Due::Reminder(1), at(24 * 3600)));
        assert_eq!(next_due(&t, at(0), 2), (Due::Expiry, at(7 * 24 * 3600)));
    }

    proptest! {
        #[test]
        fn never_after_expiry_and_reminders_at_their_stage(
            reminders in proptest::collection::vec(1u64..100_000, 0..5),
            expire in 1u64..1_000_000,
            since in 0u64..1_000_000_000,
            stage in 0u32..7,
        ) {
            let t = timing(reminders.clone(), expire);
            let (due, when) = next_due(&t, at(since), stage);
            let expiry = at(since + expire);
            prop_assert!(when <= expiry);
            let stage_at = (stage as usize) < reminders.len()
                && since + reminders[..=stage as usize].iter().sum::<u64>() < since + expire;
            match due {
                Due::Reminder(s) => {
                    prop_assert!(stage_at);
                    prop_assert_eq!(s, stage);
                    prop_assert_eq!(when, at(since + reminders[..=stage as usize].iter().sum::<u64>()));
                    prop_assert!(when < expiry);
                }
                Due::Expiry => {
                    prop_assert!(!stage_at);
                    prop_assert_eq!(when, expiry);
                }
                Due::Lapse => prop_assert!(false, "next_due never answers a lapse"),
            }
        }

        #[test]
        fn a_later_change_never_brings_the_timer_forward(
            reminders in proptest::collection::vec(1u64..100_000, 0..5),
            expire in 1u64..1_000_000,
            since in 0u64..1_000_000_000,
            later in 0u64..1_000_000,
            stage in 0u32..7,
        ) {
            let t = timing(reminders, expire);
            let first = next_due(&t, at(since), stage);
            let second = next_due(&t, at(since + later), stage);
            prop_assert_eq!(first.0, second.0);
            prop_assert!(second.1 >= first.1);
        }

        #[test]
        fn a_later_stage_is_never_due_sooner(
            reminders in proptest::collection::vec(1u64..100_000, 0..5),
            expire in 1u64..1_000_000,
            stage in 0u32..6,
        ) {
            let t = timing(reminders, expire);
            prop_assert!(next_due(&t, at(0), stage + 1).1 >= next_due(&t, at(0), stage).1);
        }
    }
}
