//! Reading variables: the one lookup every concern reads through, and [`ConfigError`], which
//! names the variable to fix.

/// A setting that keeps an instance from starting, naming its variable.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("configuration: {variable} {problem}")]
pub struct ConfigError {
    pub variable: &'static str,
    pub problem: String,
}

impl ConfigError {
    pub(super) fn new(variable: &'static str, problem: impl Into<String>) -> Self {
        Self { variable, problem: problem.into() }
    }
}

/// The environment (or any lookup a test gives): values are trimmed and an empty one counts as
/// unset, so `FOO=` in a dashboard means the default rather than a parse error.
pub(super) struct Env<'a>(pub(super) &'a dyn Fn(&str) -> Option<String>);

impl Env<'_> {
    pub(super) fn optional(&self, name: &str) -> Option<String> {
        (self.0)(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
    }

    pub(super) fn required(&self, name: &'static str) -> Result<String, ConfigError> {
        self.optional(name).ok_or_else(|| ConfigError::new(name, "is not set"))
    }

    /// A count of at least 1 (a limit of 0 would shut the route).
    pub(super) fn at_least_one(&self, name: &'static str, default: u32) -> Result<u32, ConfigError> {
        match self.parsed(name, default)? {
            0 => Err(ConfigError::new(name, "must be at least 1")),
            n => Ok(n),
        }
    }

    pub(super) fn parsed<T: std::str::FromStr>(&self, name: &'static str, default: T) -> Result<T, ConfigError> {
        match self.optional(name) {
            None => Ok(default),
            Some(raw) => raw.parse().map_err(|_| ConfigError::new(name, format!("is not a valid value: {raw:?}"))),
        }
    }
}
