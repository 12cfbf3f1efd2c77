//! GCRA, the generic cell rate algorithm (governor's, and the usual one in Redis): a client's
//! whole state is one time, when its allowance is next back to full ("theoretical arrival
//! time"). Each request moves it on by one interval; a request that would move it more than the
//! burst ahead of now is refused, and the wait is how far. One number per client, so the same
//! rule runs in this process ([`LocalLimiter`]) and in one Redis script (`shared`).
use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Clients remembered before the ones back at full allowance are forgotten, so a spray of
/// addresses cannot grow the table without bound.
const PRUNE_ABOVE: usize = 50_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    /// Microseconds between two requests at the sustained rate.
    pub interval_us: u64,
    /// How far ahead of now the arrival time may run: the burst less the request itself.
    pub tolerance_us: u64,
}

impl Quota {
    pub fn per_second(rate: NonZeroU32, burst: NonZeroU32) -> Self {
        Self::new(1_000_000 / u64::from(rate.get()), burst)
    }

    /// `n` a minute, all of them at once if the client likes.
    pub fn per_minute(n: NonZeroU32) -> Self {
        Self::new(60_000_000 / u64::from(n.get()), n)
    }

    fn new(interval_us: u64, burst: NonZeroU32) -> Self {
        let interval_us = interval_us.max(1);
        Self {
            interval_us,
            tolerance_us: interval_us * u64::from(burst.get() - 1),
        }
    }

    /// A request at `now` from a client whose arrival time is `tat`: its new arrival time, or
    /// the wait in microseconds until one would be let through.
    pub fn decide(&self, tat: Option<u64>, now: u64) -> Result<u64, u64> {
        let tat = tat.unwrap_or(now).max(now);
        let allowed_from = tat.saturating_sub(self.tolerance_us);
        if now < allowed_from {
            Err(allowed_from - now)
        } else {
            Ok(tat + self.interval_us)
        }
    }
}

/// What a limiter does with a request that is let through: count it, or only look (whether a
/// client has allowance left, without spending it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Take {
    One,
    Peek,
}

/// The limit in this process's memory: per gateway.
#[derive(Debug)]
pub struct LocalLimiter {
    started: Instant,
    clients: Mutex<HashMap<String, u64>>,
}

impl Default for LocalLimiter {
    fn default() -> Self {
        Self {
            started: Instant::now(),
            clients: Mutex::new(HashMap::new()),
        }
    }
}

impl LocalLimiter {
    /// `Err` with the wait when `key` is past `quota`.
    pub fn check(&self, key: &str, quota: Quota, take: Take) -> Result<(), Duration> {
        let now = self.started.elapsed().as_micros() as u64;
        let mut clients = self.clients.lock().unwrap_or_else(|e| e.into_inner());
        if clients.len() > PRUNE_ABOVE {
            // An arrival time in the past is the same as none.
            clients.retain(|_, tat| *tat > now);
        }
        match quota.decide(clients.get(key).copied(), now) {
            Ok(tat) => {
                if take == Take::One {
                    clients.insert(key.to_owned(), tat);
                }
                Ok(())
            }
            Err(wait) => Err(Duration::from_micros(wait)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(v: u32) -> NonZeroU32 {
        NonZeroU32::new(v).unwrap()
    }

    #[test]
    fn a_burst_then_the_sustained_rate() {
        let quota = Quota::per_second(n(2), n(3));
        let mut tat = None;
        for _ in 0..3 {
            tat = Some(quota.decide(tat, 0).unwrap());
        }
        assert_eq!(quota.decide(tat, 0), Err(500_000), "the 4th waits one interval");
        assert!(quota.decide(tat, 500_000).is_ok());
    }

    #[test]
    fn a_peek_spends_nothing() {
        let limiter = LocalLimiter::default();
        let quota = Quota::per_minute(n(2));
        for _ in 0..5 {
            assert!(limiter.check("a", quota, Take::Peek).is_ok());
        }
        assert!(limiter.check("a", quota, Take::One).is_ok());
        assert!(limiter.check("a", quota, Take::One).is_ok());
        let wait = limiter.check("a", quota, Take::Peek).unwrap_err();
        assert!(wait > Duration::from_secs(29), "{wait:?}");
        assert!(limiter.check("b", quota, Take::One).is_ok(), "another client");
    }
}
