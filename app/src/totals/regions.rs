//! The codes an address may name, embedded so that checking one needs no lookup service and
//! gives the same answer on every worker a workflow replays on.

/// Every officially assigned ISO 3166-1 alpha-2 code (249), sorted, so lookups can binary-search.
/// User-assigned codes (`XK` for Kosovo, `ZZ`) and withdrawn ones (`AN`, `CS`) are not here:
/// carriers and card networks do not agree on them.
pub const COUNTRIES: [&str; 249] = [
    "AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT", "AU", "AW", "AX", "AZ", //
    "BA", "BB", "BD", "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN", "BO", "BQ", "BR", "BS", //
    "BT", "BV", "BW", "BY", "BZ", //
    "CA", "CC", "CD", "CF", "CG", "CH", "CI", "CK", "CL", "CM", "CN", "CO", "CR", "CU", "CV", "CW", //
    "CX", "CY", "CZ", //
    "DE", "DJ", "DK", "DM", "DO", "DZ", //
    "EC", "EE", "EG", "EH", "ER", "ES", "ET", //
    "FI", "FJ", "FK", "FM", "FO", "FR", //
    "GA", "GB", "GD", "GE", "GF", "GG", "GH", "GI", "GL", "GM", "GN", "GP", "GQ", "GR", "GS", "GT", //
    "GU", "GW", "GY", //
    "HK", "HM", "HN", "HR", "HT", "HU", //
    "ID", "IE", "IL", "IM", "IN", "IO", "IQ", "IR", "IS", "IT", //
    "JE", "JM", "JO", "JP", //
    "KE", "KG", "KH", "KI", "KM", "KN", "KP", "KR", "KW", "KY", "KZ", //
    "LA", "LB", "LC", "LI", "LK", "LR", "LS", "LT", "LU", "LV", "LY", //
    "MA", "MC", "MD", "ME", "MF", "MG", "MH", "MK", "ML", "MM", "MN", "MO", "MP", "MQ", "MR", "MS", //
    "MT", "MU", "MV", "MW", "MX", "MY", "MZ", //
    "NA", "NC", "NE", "NF", "NG", "NI", "NL", "NO", "NP", "NR", "NU", "NZ", //
    "OM", //
    "PA", "PE", "PF", "PG", "PH", "PK", "PL", "PM", "PN", "PR", "PS", "PT", "PW", "PY", //
    "QA", //
    "RE", "RO", "RS", "RU", "RW", //
    "SA", "SB", "SC", "SD", "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM", "SN", "SO", "SR", "SS", //
    "ST", "SV", "SX", "SY", "SZ", //
    "TC", "TD", "TF", "TG", "TH", "TJ", "TK", "TL", "TM", "TN", "TO", "TR", "TT", "TV", "TW", "TZ", //
    "UA", "UG", "UM", "US", "UY", "UZ", //
    "VA", "VC", "VE", "VG", "VI", "VN", "VU", //
    "WF", "WS", //
    "YE", "YT", //
    "ZA", "ZM", "ZW",
];

/// The 50 states and the District of Columbia, by USPS code, sorted. Territories (PR, GU, VI,
/// ...) have country codes of their own above; military addresses (AA, AE, AP) are not served.
pub const US_STATES: [&str; 51] = [
    "AK", "AL", "AR", "AZ", "CA", "CO", "CT", "DC", "DE", "FL", "GA", "HI", "IA", "ID", "IL", "IN", "KS", //
    "KY", "LA", "MA", "MD", "ME", "MI", "MN", "MO", "MS", "MT", "NC", "ND", "NE", "NH", "NJ", "NM", //
    "NV", "NY", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VA", "VT", "WA", "WI", //
    "WV", "WY",
];

pub fn is_country(code: &str) -> bool {
    COUNTRIES.binary_search(&code).is_ok()
}

pub fn is_us_state(code: &str) -> bool {
    US_STATES.binary_search(&code).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_code_lists_are_the_real_ones_sorted() {
        for list in [&COUNTRIES[..], &US_STATES[..]] {
            assert!(list.windows(2).all(|w| w[0] < w[1]), "sorted, no duplicates");
            assert!(
                list.iter()
                    .all(|c| c.len() == 2 && c.bytes().all(|b| b.is_ascii_uppercase()))
            );
        }
        assert_eq!((COUNTRIES.len(), US_STATES.len()), (249, 51));
        for c in ["GB", "DE", "AX", "SS", "CW", "US"] {
            assert!(COUNTRIES.contains(&c), "{c}");
        }
        for gone in ["UK", "AN", "CS", "XK", "EU"] {
            assert!(!COUNTRIES.contains(&gone), "{gone}");
        }
        let seeded = crate::totals::default_methods().into_iter().flat_map(|m| m.countries);
        assert!(seeded.into_iter().all(|c| COUNTRIES.contains(&c.as_str())));
    }
}
