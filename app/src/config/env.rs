//! Reading variables: [`Env`] (the process's environment, or a map in tests) and the one
//! error every setting fails with, naming its variable.
use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
#[error("{var}: {reason}")]
pub struct ConfigError {
    pub var: &'static str,
    pub reason: String,
}

/// The environment as a map, so tests can pass their own.
pub struct Env(HashMap<String, String>);

impl Env {
    pub fn from_process() -> Self {
        Self(std::env::vars().collect())
    }

    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        Self(pairs.into_iter().map(|(k, v)| (k.to_owned(), v.to_owned())).collect())
    }

    pub fn get(&self, var: &str) -> Option<&str> {
        self.0.get(var).map(|s| s.trim()).filter(|s| !s.is_empty())
    }

    pub fn string(&self, var: &'static str, default: &str) -> String {
        self.get(var).unwrap_or(default).to_owned()
    }

    pub fn required(&self, var: &'static str, why: &str) -> Result<String, ConfigError> {
        self.get(var).map(str::to_owned).ok_or_else(|| ConfigError {
            var,
            reason: format!("not set; {why}"),
        })
    }

    pub fn parse<T: FromStr>(&self, var: &'static str, default: T) -> Result<T, ConfigError>
    where
        T::Err: fmt::Display,
    {
        Ok(self.parse_optional(var)?.unwrap_or(default))
    }

    /// `None` when unset; a value that does not parse is an error naming the variable.
    pub fn parse_optional<T: FromStr>(&self, var: &'static str) -> Result<Option<T>, ConfigError>
    where
        T::Err: fmt::Display,
    {
        self.get(var)
            .map(|raw| {
                raw.parse().map_err(|e| ConfigError {
                    var,
                    reason: format!("cannot parse {raw:?}: {e}"),
                })
            })
            .transpose()
    }

    pub fn duration(&self, var: &'static str, default: Duration) -> Result<Duration, ConfigError> {
        match self.get(var) {
            None => Ok(default),
            Some(raw) => parse_duration(var, raw),
        }
    }

    pub fn durations(&self, var: &'static str, default: &[Duration]) -> Result<Vec<Duration>, ConfigError> {
        match self.get(var) {
            None => Ok(default.to_vec()),
            Some(raw) => raw.split(',').map(|part| parse_duration(var, part.trim())).collect(),
        }
    }
}

fn parse_duration(var: &'static str, raw: &str) -> Result<Duration, ConfigError> {
    humantime::parse_duration(raw).map_err(|e| ConfigError {
        var,
        reason: format!("{raw:?} is not a duration like 500ms, 90s, 1h or 7d: {e}"),
    })
}
