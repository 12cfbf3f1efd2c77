//! A shipping address, parsed from the shopper's form field by field so that shipping and tax
//! only ever see a country that exists and, in the US, a state and ZIP code they can look up.
use super::regions::{is_country, is_us_state};
use serde::{Deserialize, Serialize};

/// Longer than this is a paste gone wrong, not a name, street or city; labels print far less.
pub const MAX_LINE_CHARS: usize = 100;
/// A region (state, province, county) outside the US is free text, up to this long.
pub const MAX_REGION_CHARS: usize = 64;
/// Outside the US a postal code is checked loosely (formats differ by country); this leaves
/// room for the longest in use with their spaces and dashes.
pub const MAX_POSTAL_CHARS: usize = 12;

/// The address as the shopper typed it. Absent optional fields read as empty.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AddressForm {
    pub name: String,
    pub line1: String,
    #[serde(default)]
    pub line2: String,
    pub city: String,
    pub postal_code: String,
    /// A US state's two-letter code (required there); a province or county elsewhere.
    #[serde(default)]
    pub region: String,
    /// ISO 3166-1 alpha-2, either case.
    pub country: String,
}

/// An address [`Address::parse`] accepted: every field trimmed, the country, a US state and
/// a postal code upper case. Deserializing parses again, so a stored address is checked too.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "AddressForm")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Address {
    pub name: String,
    pub line1: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line2: Option<String>,
    pub city: String,
    pub postal_code: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    pub country: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct AddressError {
    /// `address.<field>`: the form field at fault.
    pub field: &'static str,
    pub message: String,
}

fn refuse(field: &'static str, message: impl Into<String>) -> AddressError {
    AddressError {
        field,
        message: message.into(),
    }
}

/// Control characters break labels and logs; bidirectional overrides and isolates, line
/// separators and zero-width spaces make an address read differently on screen than it prints.
/// The zero-width joiners (U+200C, U+200D) stay: Persian and Indic names need them.
fn is_hidden(c: char) -> bool {
    c.is_control() || matches!(c, '\u{200B}' | '\u{2028}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

/// The trimmed text, checked for length and hidden characters. Messages never repeat the input:
/// an address is personal data and refusals get logged.
fn text(field: &'static str, raw: &str, required: bool, max: usize) -> Result<String, AddressError> {
    let s = raw.trim();
    let rule = || {
        let what = if required { "1" } else { "0" };
        format!("{field} must be {what} to {max} characters, none of them control characters")
    };
    if (required && s.is_empty()) || s.chars().count() > max || s.chars().any(is_hidden) {
        return Err(refuse(field, rule()));
    }
    Ok(s.to_owned())
}

fn optional(s: String) -> Option<String> {
    (!s.is_empty()).then_some(s)
}

fn us_zip(s: &str) -> bool {
    let digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
    match s.split_once('-') {
        None => s.len() == 5 && digits(s),
        Some((zip, plus4)) => zip.len() == 5 && plus4.len() == 4 && digits(zip) && digits(plus4),
    }
}

impl Address {
    /// Checks the fields in form order, except that the country comes before the region and
    /// postal code, whose rules depend on it. The first fault is the one reported.
    pub fn parse(form: AddressForm) -> Result<Address, AddressError> {
        let name = text("address.name", &form.name, true, MAX_LINE_CHARS)?;
        let line1 = text("address.line1", &form.line1, true, MAX_LINE_CHARS)?;
        let line2 = optional(text("address.line2", &form.line2, false, MAX_LINE_CHARS)?);
        let city = text("address.city", &form.city, true, MAX_LINE_CHARS)?;

        let country = form.country.trim().to_ascii_uppercase();
        if !is_country(&country) {
            return Err(refuse(
                "address.country",
                "address.country must be an ISO 3166-1 alpha-2 country code, such as US or DE",
            ));
        }
        let us = country == "US";

        let region = optional(text("address.region", &form.region, false, MAX_REGION_CHARS)?);
        let region = if us {
            let state = region.map(|r| r.to_ascii_uppercase()).filter(|r| is_us_state(r));
            Some(state.ok_or_else(|| {
                refuse(
                    "address.region",
                    "address.region must be a US state's two-letter code, such as CA or NY",
                )
            })?)
        } else {
            region
        };

        let postal_code = form.postal_code.trim().to_ascii_uppercase();
        let postal_ok = if us {
            us_zip(&postal_code)
        } else {
            postal_code.len() <= MAX_POSTAL_CHARS
                && postal_code.bytes().any(|b| b.is_ascii_alphanumeric())
                && postal_code
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b' ' || b == b'-')
        };
        if !postal_ok {
            let rule = if us {
                "address.postal_code must be a US ZIP code: 5 digits, or ZIP+4 such as 94103-1234".to_owned()
            } else {
                format!("address.postal_code must be 1 to {MAX_POSTAL_CHARS} letters, digits, spaces or '-'")
            };
            return Err(refuse("address.postal_code", rule));
        }

        Ok(Address {
            name,
            line1,
            line2,
            city,
            postal_code,
            region,
            country,
        })
    }
}

impl TryFrom<AddressForm> for Address {
    type Error = AddressError;
    fn try_from(form: AddressForm) -> Result<Self, AddressError> {
        Self::parse(form)
    }
}

impl From<Address> for AddressForm {
    fn from(a: Address) -> Self {
        AddressForm {
            name: a.name,
            line1: a.line1,
            line2: a.line2.unwrap_or_default(),
            city: a.city,
            postal_code: a.postal_code,
            region: a.region.unwrap_or_default(),
            country: a.country,
        }
    }
}
