//! What the spec says of one parameter: the types of the contract table that the generated
//! module fills in (`generated::contract`) and [`crate::contract`] re-exports. A module of
//! its own so that the generated code and the contract each depend on it, not on each
//! other (`cargo xtask deps`).

use crate::error::ValidationError;

/// Where a parameter travels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Location {
    /// In the URL path (`/v1/{project_id}/…`).
    Path,
    /// In the query string.
    Query,
    /// As an HTTP header.
    Header,
}

/// The JSON Schema type of a parameter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// A string (possibly restricted to [`Parameter::allowed`]).
    String,
    /// An integer.
    Integer,
}

/// What the service does with a parameter, as the spec's `x-vpcep-…` extensions on it
/// say (openapi/README.md); the fake acts it out, other layers may ignore it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Role {
    /// `x-vpcep-match`: only endpoints whose field of the parameter's name matches the
    /// value, this way, are listed (a path parameter: the resources of that project).
    Filter(Match),
    /// `x-vpcep-paging: page-size`: how many endpoints a page holds at most.
    PageSize,
    /// `x-vpcep-paging: page-offset`: how many matching endpoints come before the page.
    PageOffset,
    /// `x-vpcep-sort: field`: the endpoint field the list is sorted by, per value
    /// (`x-vpcep-sort-fields`, e.g. `create_at` → `created_at`).
    SortField(&'static [(&'static str, &'static str)]),
    /// `x-vpcep-sort: direction`: the direction of the sort, per value
    /// (`x-vpcep-sort-directions`, e.g. `asc` → ascending).
    SortDirection(&'static [(&'static str, Direction)]),
}

/// How a filter compares an endpoint's field with the parameter's value
/// (`x-vpcep-match`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Match {
    /// `exact`: the same text.
    Exact,
    /// `case-insensitive-substring`: the value is a part of the field, ignoring case.
    CaseInsensitiveSubstring,
}

/// A sort direction (`x-vpcep-sort-directions`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    /// `ascending`: oldest (smallest) first.
    Ascending,
    /// `descending`: newest (largest) first.
    Descending,
}

impl Role {
    /// The endpoint field a [`Role::SortField`] parameter's `value` sorts by.
    pub fn sort_field(&self, value: &str) -> Option<&'static str> {
        match self {
            Role::SortField(fields) => fields.iter().find(|(v, _)| *v == value).map(|f| f.1),
            _ => None,
        }
    }

    /// The direction a [`Role::SortDirection`] parameter's `value` sorts in.
    pub fn sort_direction(&self, value: &str) -> Option<Direction> {
        match self {
            Role::SortDirection(directions) => {
                directions.iter().find(|(v, _)| *v == value).map(|d| d.1)
            }
            _ => None,
        }
    }
}

/// One parameter of an operation and every rule the spec gives it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Parameter {
    /// The name on the wire, e.g. `vpc_id`.
    pub name: &'static str,
    /// Where it travels.
    pub location: Location,
    /// Whether every request must carry it.
    pub required: bool,
    /// Its type.
    pub kind: Kind,
    /// Shortest allowed length, in characters (strings).
    pub min_length: Option<usize>,
    /// Longest allowed length, in characters (strings).
    pub max_length: Option<usize>,
    /// Smallest allowed value (integers).
    pub minimum: Option<i64>,
    /// Largest allowed value (integers).
    pub maximum: Option<i64>,
    /// The schema's `format` of an integer (`int32`, `int64`): its range bounds the value
    /// where `minimum`/`maximum` do not.
    pub format: Option<&'static str>,
    /// The allowed values, when the spec enumerates them (empty: any).
    pub allowed: &'static [&'static str],
    /// The value the server assumes when the parameter is absent, as text.
    pub default: Option<&'static str>,
    /// The first paragraph of the spec's description.
    pub description: &'static str,
    /// How the `vpcep` CLI offers it as a flag: the spec's `x-cli` extension, with the
    /// defaults filled in (openapi/README.md).
    pub cli: CliFlag,
    /// What the service does with it (`x-vpcep-match`, `x-vpcep-paging`,
    /// `x-vpcep-sort`), if the spec says.
    pub role: Option<Role>,
    /// VPCEP's error code for a bad value (`x-vpcep-error-code` of the parameter, else of
    /// its operation), e.g. `EndPoint.0006` for `limit`.
    pub error_code: &'static str,
}

/// A parameter as a flag of the `vpcep` CLI: what the spec cannot say about a flag, from
/// the parameter's `x-cli` extension (documented in openapi/README.md), with defaults
/// filled in by `cargo xtask codegen`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct CliFlag {
    /// The long name, without `--` (`x-cli.flag`; default: the wire name with `-` for
    /// `_`), e.g. `service-name` for `endpoint_service_name`.
    pub long: &'static str,
    /// The placeholder of the value in `--help` (`x-cli.value-name`; default: clap's).
    pub value_name: Option<&'static str>,
    /// The `--help` section it is listed under (`x-cli.heading`; default: clap's
    /// "Options").
    pub heading: Option<&'static str>,
    /// Its `--help` text (`x-cli.help`; default: the description's first paragraph).
    /// `{default}`, `{minimum}` and `{maximum}` stand for the spec's values (the generator
    /// checks that the parameter has them).
    pub help: &'static str,
    /// Its place among the parameters' flags in `--help` (`x-cli.order`; lower first;
    /// default: after those with one, in the spec's order).
    pub order: Option<u32>,
}

impl Parameter {
    /// Whether the parameter is sent in the path or the query string (the ones a request
    /// builder, the fake and the CLI handle; headers are the transport's business).
    pub fn is_request_parameter(&self) -> bool {
        matches!(self.location, Location::Path | Location::Query)
    }

    /// A valid value, as wire text, other than the default, that needs no escaping in a
    /// URL: what the completeness tests of each layer send to see a parameter handled
    /// (the last enumeration value that is not the default; a string of the allowed
    /// length made from the parameter's name; an integer at the maximum, or just above
    /// the minimum).
    pub fn example(&self) -> String {
        match self.kind {
            Kind::String if !self.allowed.is_empty() => self
                .allowed
                .iter()
                .rev()
                .find(|v| Some(**v) != self.default)
                .unwrap_or(&self.allowed[0])
                .to_string(),
            Kind::String => {
                let base = format!(
                    "{}-example",
                    self.name.replace(|c: char| !c.is_ascii_alphanumeric(), "-")
                );
                let min = self.min_length.unwrap_or(1);
                let max = self.max_length.unwrap_or(usize::MAX);
                base.chars()
                    .cycle()
                    .take(base.len().clamp(min, max))
                    .collect()
            }
            Kind::Integer => {
                let min = self.minimum.unwrap_or(0);
                let v = self.maximum.unwrap_or(min + 7);
                if self.default == Some(v.to_string().as_str()) {
                    (v - 1).max(min).to_string()
                } else {
                    v.to_string()
                }
            }
        }
    }

    /// Checks `value` against the rules of the table: length or range, enumeration.
    /// The error names the parameter, the rule and the value.
    pub fn check(&self, value: &str) -> Result<(), ValidationError> {
        let broken = match self.kind {
            Kind::String => self.text_rule_broken(value),
            Kind::Integer => self
                .overflow_rule(value)
                .or_else(|| self.integer_rule_broken(value.parse::<i64>().ok())),
        };
        match broken {
            Some(rule) => Err(ValidationError::new(self.name, rule, value)),
            None => Ok(()),
        }
    }

    /// The rule a string value breaks, if any: its length in characters, the enumeration.
    fn text_rule_broken(&self, value: &str) -> Option<String> {
        let n = value.chars().count();
        let min = self.min_length.unwrap_or(0);
        let max = self.max_length.unwrap_or(usize::MAX);
        if n < min || n > max {
            return Some(if max == usize::MAX {
                format!("must be at least {min} character(s) long")
            } else {
                format!("must be {min} to {max} characters long, is {n}")
            });
        }
        if !self.allowed.is_empty() && !self.allowed.contains(&value) {
            return Some(format!("must be one of {}", self.allowed.join(", ")));
        }
        None
    }

    /// The rule an integer value breaks, if any (`None`: not an integer): the range, then
    /// the bounds of its `format`.
    fn integer_rule_broken(&self, value: Option<i64>) -> Option<String> {
        let in_range = value.is_some_and(|v| {
            self.minimum.is_none_or(|min| v >= min) && self.maximum.is_none_or(|max| v <= max)
        });
        let Some(v) = value.filter(|_| in_range) else {
            return Some(match (self.minimum, self.maximum) {
                (Some(min), Some(max)) => format!("must be between {min} and {max}"),
                (Some(min), None) => format!("must be at least {min}"),
                (None, Some(max)) => format!("must be at most {max}"),
                (None, None) => "must be an integer".to_owned(),
            });
        };
        let (low, high) = match self.format {
            Some("int32") => (i64::from(i32::MIN), i64::from(i32::MAX)),
            _ => (i64::MIN, i64::MAX),
        };
        let format = self.format.unwrap_or("integer");
        if v > high {
            return Some(format!("must be at most {high} ({format})"));
        }
        if v < low {
            return Some(format!("must be at least {low} ({format})"));
        }
        None
    }
}

impl Parameter {
    /// The rule an integer too large (or small) for 64 bits breaks, e.g. `offset` =
    /// `99999999999999999999`: the upper bound (`maximum`, else the `format`'s), as for
    /// any value above it; `None` for text that is not such an integer.
    fn overflow_rule(&self, value: &str) -> Option<String> {
        let digits = value.strip_prefix(['-', '+']).unwrap_or(value);
        let integer = !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit());
        if !integer || value.parse::<i64>().is_ok() {
            return None;
        }
        let format = self.format.unwrap_or("integer");
        let (low, high) = match self.format {
            Some("int32") => (i64::from(i32::MIN), i64::from(i32::MAX)),
            _ => (i64::MIN, i64::MAX),
        };
        Some(match (value.starts_with('-'), self.minimum, self.maximum) {
            (_, Some(min), Some(max)) => format!("must be between {min} and {max}"),
            (false, _, None) => format!("must be at most {high} ({format})"),
            (false, _, Some(max)) => format!("must be at most {max}"),
            (true, Some(min), None) => format!("must be at least {min}"),
            (true, None, _) => format!("must be at least {low} ({format})"),
        })
    }
}

/// Converts the wire text `value` of parameter `p` to its generated type `T`, after the
/// table's rules (which word the error). The generated type is the truth: a rule the table
/// does not know still fails here, with the generated type's words. Called by the
/// generated `set` of each operation's query type, and by the builder's setters of string
/// parameters (whose value is its own wire text).
pub(crate) fn convert<T>(p: &Parameter, value: &str) -> Result<T, ValidationError>
where
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    p.check(value)?;
    value
        .parse::<T>()
        .map_err(|e| ValidationError::new(p.name, e.to_string(), value))
}

/// Converts the integer `value` of parameter `p` to its generated type `T` (`i32`,
/// `NonZeroU32`, … whatever progenitor made of the schema), after the table's rules: the
/// builder's setters of integer parameters, with no detour through text.
pub(crate) fn convert_integer<T: FromInteger>(
    p: &Parameter,
    value: i64,
) -> Result<T, ValidationError> {
    let invalid = |rule: String| ValidationError::new(p.name, rule, &value.to_string());
    if let Some(rule) = p.integer_rule_broken(Some(value)) {
        return Err(invalid(rule));
    }
    T::from_integer(value).ok_or_else(|| {
        invalid(format!(
            "must fit the parameter's type {}",
            std::any::type_name::<T>()
        ))
    })
}

/// An integer type of a generated builder, from the `i64` the setters take.
pub(crate) trait FromInteger: Sized {
    /// The value, if the type can hold it.
    fn from_integer(value: i64) -> Option<Self>;
}

macro_rules! from_integer {
    ($($t:ty),*) => {$(
        impl FromInteger for $t {
            fn from_integer(value: i64) -> Option<Self> {
                <$t>::try_from(value).ok()
            }
        }
    )*};
}
from_integer!(i32, i64, u32, u64);

macro_rules! from_integer_non_zero {
    ($($t:ty => $inner:ty),*) => {$(
        impl FromInteger for $t {
            fn from_integer(value: i64) -> Option<Self> {
                <$t>::new(<$inner>::try_from(value).ok()?)
            }
        }
    )*};
}
from_integer_non_zero!(
    std::num::NonZeroU32 => u32,
    std::num::NonZeroU64 => u64,
    std::num::NonZeroI32 => i32,
    std::num::NonZeroI64 => i64
);

#[cfg(test)]
mod tests {
    #[test]
    fn integers_beyond_64_bits_break_the_upper_or_lower_bound() {
        let offset = crate::contract::parameter("offset").unwrap();
        let message = |p: &super::Parameter, v: &str| p.check(v).unwrap_err().to_string();
        assert_eq!(
            message(offset, "99999999999999999999"),
            r#"invalid offset: must be at most 2147483647 (int32) (got "99999999999999999999")"#
        );
        assert_eq!(
            message(offset, "-99999999999999999999"),
            r#"invalid offset: must be at least 0 (got "-99999999999999999999")"#
        );
        let limit = crate::contract::parameter("limit").unwrap();
        assert_eq!(
            message(limit, "99999999999999999999"),
            r#"invalid limit: must be between 1 and 1000 (got "99999999999999999999")"#
        );
        // Not an integer at all: the range rule, as before.
        assert_eq!(
            message(offset, "1e3"),
            r#"invalid offset: must be at least 0 (got "1e3")"#
        );
    }

    #[test]
    fn examples_are_valid_and_not_the_default() {
        for p in crate::contract::LIST_ENDPOINTS {
            let example = p.example();
            assert_eq!(p.check(&example), Ok(()), "{}: {example:?}", p.name);
            assert_ne!(p.default, Some(example.as_str()), "{}", p.name);
            assert!(
                example
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)),
                "{}: {example:?} needs escaping",
                p.name
            );
        }
    }
}
