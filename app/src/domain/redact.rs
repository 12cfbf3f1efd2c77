//! Scrubbing text that came from somewhere else (a mail server's answer, Stripe's error, a line
//! the SDK logs) before it is kept: addresses and cart ids are personal data and credentials,
//! and such text lands in Temporal's history and in log files, which live far longer than a
//! request and are read by more people.
use super::CartTag;
use std::borrow::Cow;

/// What an email address is replaced with.
pub const ADDRESS: &str = "<address>";

/// `text` with anything shaped like an email address replaced by [`ADDRESS`]. Deliberately
/// loose (an `@` with a word on each side; `=` and `/` end it, as in `to=…`): a false positive costs a word of an error
/// message, a miss leaks an address.
pub fn addresses(text: &str) -> Cow<'_, str> {
    if !text.contains('@') {
        return Cow::Borrowed(text);
    }
    let local = |c: char| c.is_alphanumeric() || "._%+-'!#$&*?^`{|}~".contains(c);
    let domain = |c: char| c.is_alphanumeric() || ".-[]:".contains(c);
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('@') {
        let start = rest[..at]
            .char_indices()
            .rev()
            .take_while(|&(_, c)| local(c))
            .last()
            .map_or(at, |(i, _)| i);
        let end = rest[at + 1..]
            .char_indices()
            .take_while(|&(_, c)| domain(c))
            .last()
            .map_or(at + 1, |(i, c)| at + 1 + i + c.len_utf8());
        if start < at && end > at + 1 {
            out.push_str(&rest[..start]);
            out.push_str(ADDRESS);
        } else {
            out.push_str(&rest[..end]);
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// `text` with every cart id (`cart-` and 32 hex digits) replaced by `cart#` and its tag, so a
/// line that names a cart still lets one follow it, without holding the credential.
pub fn cart_ids(text: &str) -> Cow<'_, str> {
    const PREFIX: &str = "cart-";
    const HEX: usize = 32;
    let is_id = |s: &str| {
        s.as_bytes()
            .get(PREFIX.len()..PREFIX.len() + HEX)
            .is_some_and(|hex| hex.iter().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b)))
    };
    if !text.match_indices(PREFIX).any(|(i, _)| is_id(&text[i..])) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find(PREFIX) {
        let end = i + PREFIX.len() + HEX;
        if is_id(&rest[i..]) {
            out.push_str(&rest[..i]);
            out.push_str(&format!("cart#{}", CartTag::of(&rest[i..end])));
            rest = &rest[end..];
        } else {
            out.push_str(&rest[..i + PREFIX.len()]);
            rest = &rest[i + PREFIX.len()..];
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::CartId;

    #[test]
    fn addresses_are_masked_wherever_they_stand() {
        for (text, want) in [
            ("address \"a..b@x.jp\": invalid", "address \"<address>\": invalid"),
            (
                "550 <jane.doe+shop@example.com>: no such user",
                "550 <<address>>: no such user",
            ),
            ("to=a@b.co, cc=c@d.io", "to=<address>, cc=<address>"),
            ("nothing here", "nothing here"),
            ("a lone @ sign and x@ and @y", "a lone @ sign and x@ and @y"),
            ("ünï@exämple.de", "<address>"),
        ] {
            assert_eq!(addresses(text), want, "{text}");
        }
    }

    #[test]
    fn cart_ids_become_their_tags() {
        let id = CartId::random();
        let text = format!("workflow_id={id} run=1 cart-12 cart-{}", "g".repeat(32));
        let masked = cart_ids(&text);
        assert!(!masked.contains(id.as_str()), "{masked}");
        assert!(masked.contains(&format!("cart#{}", id.tag())), "{masked}");
        assert!(
            masked.ends_with(&format!(" run=1 cart-12 cart-{}", "g".repeat(32))),
            "{masked}"
        );
        assert!(matches!(cart_ids("no carts"), Cow::Borrowed(_)));
    }
}
