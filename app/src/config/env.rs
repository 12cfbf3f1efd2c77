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

    /// A secret: refused when it is a placeholder of the example environment file, which a
    /// copied but unfilled file would otherwise run with, a value anyone can read in the repository.
    pub fn secret(&self, var: &'static str) -> Result<Option<&str>, ConfigError> {
        match self.get(var) {
            Some(value) if is_placeholder(value) => Err(ConfigError {
                var,
                reason: "is the example file's placeholder; set a value of your own (e.g. `openssl rand -hex 32`)"
                    .into(),
            }),
            value => Ok(value),
        }
    }

    /// A bearer token: a [`secret`](Self::secret) of at least [`MIN_TOKEN_CHARS`] characters, so
    /// that guessing it (at the few tries a minute the gateway allows) is hopeless.
    pub fn token(&self, var: &'static str) -> Result<Option<String>, ConfigError> {
        let Some(token) = self.secret(var)? else {
            return Ok(None);
        };
        let chars = token.chars().count();
        if chars < MIN_TOKEN_CHARS {
            return Err(ConfigError {
                var,
                reason: format!(
                    "is {chars} characters; a token needs at least {MIN_TOKEN_CHARS} (e.g. `openssl rand -hex 32`)"
                ),
            });
        }
        Ok(Some(token.to_owned()))
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

/// The shortest bearer token accepted.
pub const MIN_TOKEN_CHARS: usize = 32;

/// Whether `value` is one of the example environment file's placeholders
/// (`deploy/cartflow.env.example`: `replace-with-…`, `…_replace_me`) or a habitual one.
pub fn is_placeholder(value: &str) -> bool {
    let value = value.to_ascii_lowercase();
    ["replace-with", "replace_me", "replace-me", "changeme", "change-me"]
        .iter()
        .any(|p| value.contains(p))
}

fn parse_duration(var: &'static str, raw: &str) -> Result<Duration, ConfigError> {
    humantime::parse_duration(raw).map_err(|e| ConfigError {
        var,
        reason: format!("{raw:?} is not a duration like 500ms, 90s, 1h or 7d: {e}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_placeholder_of_the_example_file_is_refused() {
        let example = include_str!("../../../deploy/cartflow.env.example");
        let placeholders: Vec<(&str, &str)> = example
            .lines()
            .filter(|l| !l.trim_start().starts_with('#'))
            .filter_map(|l| l.split_once('='))
            .filter(|(_, value)| value.contains("replace"))
            .collect();
        assert!(placeholders.len() >= 6, "{placeholders:?}");
        for (var, value) in placeholders {
            assert!(is_placeholder(value), "{var}={value}");
        }
    }

    #[test]
    fn a_token_is_long_and_no_placeholder() {
        let env = Env::from_pairs([
            ("SHORT", "0123456789abcdef0123456789abcde"),
            ("LONG", "0123456789abcdef0123456789abcdef"),
            ("EXAMPLE", "replace-with-a-long-random-token"),
        ]);
        let err = env.token("SHORT").unwrap_err();
        assert_eq!(err.var, "SHORT");
        assert!(err.to_string().contains("31 characters"), "{err}");
        assert!(!err.to_string().contains("0123"), "the value is not echoed: {err}");
        assert_eq!(
            env.token("LONG").unwrap().as_deref(),
            Some("0123456789abcdef0123456789abcdef")
        );
        assert!(env.token("EXAMPLE").unwrap_err().to_string().contains("placeholder"));
        assert_eq!(env.token("UNSET").unwrap(), None);
    }
}
