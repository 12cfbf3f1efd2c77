//! The limit every gateway shares, in Redis (`SHOP_REDIS_URL`): the same GCRA as
//! [`super::gcra`], one atomic script per check, timed by Redis' own clock so that the
//! gateways' clocks do not matter. Redis is a helper here, not a dependency: when it does not
//! answer within a few milliseconds, the check falls back to this gateway's own limiter (fails
//! open) and says so once, and Redis is tried again a moment later.
use super::gcra::{LocalLimiter, Quota, Take};
use redis::Script;
use redis::aio::ConnectionManager;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// KEYS[1]: the client's key. ARGV: interval and tolerance in microseconds, 1 to take a request
/// or 0 to look only. Returns 0 (let through) or the wait in microseconds.
const GCRA: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval, tolerance = tonumber(ARGV[1]), tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local allowed_from = tat - tolerance
if now < allowed_from then return math.max(1, allowed_from - now) end
if ARGV[3] == '1' then
  local new = tat + interval
  redis.call('SET', KEYS[1], string.format('%.0f', new), 'PX', math.ceil((new - now) / 1000))
end
return 0
";

/// How long one check may wait for Redis before this gateway decides alone.
const ANSWER_WITHIN: Duration = Duration::from_millis(250);
/// After a failure, how long checks stay local before Redis is tried again.
const RETRY_AFTER: Duration = Duration::from_secs(5);

pub struct SharedLimiter {
    redis: ConnectionManager,
    script: Script,
    prefix: String,
    started: Instant,
    /// Microseconds since `started` before which Redis is not asked.
    skip_until: AtomicU64,
    /// Redis failed and the fallback has been reported; cleared when it answers again.
    down: AtomicBool,
}

impl SharedLimiter {
    /// Connects lazily: a Redis that is down at start costs nothing but the fallback.
    pub fn new(url: &str, prefix: &str) -> redis::RedisResult<Self> {
        let client = redis::Client::open(url)?;
        let config = redis::aio::ConnectionManagerConfig::new()
            .set_connection_timeout(Some(ANSWER_WITHIN))
            .set_response_timeout(Some(ANSWER_WITHIN))
            .set_number_of_retries(1);
        Ok(Self {
            redis: ConnectionManager::new_lazy_with_config(client, config)?,
            script: Script::new(GCRA),
            prefix: prefix.to_owned(),
            started: Instant::now(),
            skip_until: AtomicU64::new(0),
            down: AtomicBool::new(false),
        })
    }

    /// As [`LocalLimiter::check`], counted in Redis, or in `local` while Redis does not answer.
    pub async fn check(&self, key: &str, quota: Quota, take: Take, local: &LocalLimiter) -> Result<(), Duration> {
        let now = self.started.elapsed().as_micros() as u64;
        if now < self.skip_until.load(Ordering::Relaxed) {
            return local.check(key, quota, take);
        }
        let mut redis = self.redis.clone();
        let mut call = self.script.key(format!("{}:{key}", self.prefix));
        call.arg(quota.interval_us)
            .arg(quota.tolerance_us)
            .arg(u8::from(take == Take::One));
        match tokio::time::timeout(ANSWER_WITHIN, call.invoke_async::<u64>(&mut redis)).await {
            Ok(Ok(wait)) => {
                if self.down.swap(false, Ordering::Relaxed) {
                    tracing::info!("Redis answers again: the rate limit is shared by every gateway again");
                }
                if wait == 0 {
                    Ok(())
                } else {
                    Err(Duration::from_micros(wait))
                }
            }
            failed => {
                let retry = self.started.elapsed() + RETRY_AFTER;
                self.skip_until.store(retry.as_micros() as u64, Ordering::Relaxed);
                if !self.down.swap(true, Ordering::Relaxed) {
                    let error = match failed {
                        Ok(Err(e)) => e.to_string(),
                        _ => format!("no answer within {ANSWER_WITHIN:?}"),
                    };
                    tracing::warn!(%error, "Redis does not answer: each gateway limits on its own until it does");
                }
                local.check(key, quota, take)
            }
        }
    }
}
