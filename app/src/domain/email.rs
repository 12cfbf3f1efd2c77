use serde::{Deserialize, Serialize};
use std::fmt;

/// A syntactically plausible email address. Full RFC 5322 validation is pointless: the only real
/// check is whether mail arrives, so this rejects what is clearly not an address and no more.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let s = raw.trim();
        let valid = s.len() <= 254
            && s.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty()
                    && local.len() <= 64
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !domain.contains("..")
                    && !domain.contains('@')
            })
            && !s
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || "<>,;\"".contains(c));
        if valid {
            Ok(Self(s.to_owned()))
        } else {
            // The rejected text is left out: it is probably an address, and errors get logged.
            Err("email is not a valid address".to_owned())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Addresses are personal data: Debug (which ends up in logs) shows only the domain.
impl fmt::Debug for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let domain = self.0.split_once('@').map_or("", |(_, d)| d);
        write!(f, "Email(***@{domain})")
    }
}

parsed_from_string!(Email);

#[cfg(test)]
mod tests {
    use super::Email;

    #[test]
    fn accepts_ordinary_addresses() {
        for ok in ["a@b.co", "first.last+tag@shop.example.com", " padded@x.io "] {
            assert!(Email::parse(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn rejects_what_is_not_an_address() {
        for bad in [
            "", "plain", "@x.io", "a@", "a@b", "a@.b.c", "a b@c.io", "a@b..c", "a@b@c.io",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn errors_do_not_repeat_the_rejected_text() {
        let err = Email::parse("jane.doe@@example.com").unwrap_err();
        assert!(!err.contains("jane"), "{err}");
    }

    #[test]
    fn debug_hides_the_local_part() {
        let e = Email::parse("secret.person@example.com").unwrap();
        assert_eq!(format!("{e:?}"), "Email(***@example.com)");
    }
}
