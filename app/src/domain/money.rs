use serde::{Deserialize, Serialize};
use std::fmt;

/// An amount of money in the smallest unit of the currency (US cents). Never a float.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
#[serde(transparent)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Cents(pub u64);

impl Cents {
    pub fn times(self, quantity: u32) -> Cents {
        Cents(self.0 * u64::from(quantity))
    }
}

impl std::iter::Sum for Cents {
    fn sum<I: Iterator<Item = Cents>>(iter: I) -> Self {
        Cents(iter.map(|c| c.0).sum())
    }
}

impl fmt::Display for Cents {
    /// `$1,234.56`: what a shopper reads; computed from integers only.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let dollars = (self.0 / 100).to_string();
        let mut grouped = String::new();
        for (i, ch) in dollars.chars().enumerate() {
            if i > 0 && (dollars.len() - i).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(ch);
        }
        write!(f, "${grouped}.{:02}", self.0 % 100)
    }
}

#[cfg(test)]
mod tests {
    use super::Cents;

    #[test]
    fn formats_with_grouping_and_two_decimals() {
        assert_eq!(Cents(0).to_string(), "$0.00");
        assert_eq!(Cents(5).to_string(), "$0.05");
        assert_eq!(Cents(99_900).to_string(), "$999.00");
        assert_eq!(Cents(123_456_789).to_string(), "$1,234,567.89");
    }

    #[test]
    fn multiplies_and_sums_exactly() {
        assert_eq!(Cents(69_900).times(3), Cents(209_700));
        assert_eq!([Cents(1), Cents(2)].into_iter().sum::<Cents>(), Cents(3));
    }
}
