use std::fmt;
use std::sync::Arc;

/// A set of label pairs, kept sorted by name so that two label sets with the same pairs
/// compare, hash and print the same whatever order they were built in.
///
/// Names and values are shared strings: every column of an interface row carries the same
/// labels, and cloning them must not copy text (it is on the hot path of every poll).
#[derive(Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Labels(Vec<(Arc<str>, Arc<str>)>);

impl Labels {
    pub fn new() -> Self {
        Self(Vec::new())
    }

    /// Adds or replaces a label, keeping the set sorted.
    pub fn insert(&mut self, name: impl Into<String>, value: impl Into<String>) {
        let name: String = name.into();
        let value: Arc<str> = Arc::from(value.into());
        match self
            .0
            .binary_search_by(|(n, _)| n.as_ref().cmp(name.as_str()))
        {
            Ok(i) => self.0[i].1 = value,
            Err(i) => self.0.insert(i, (Arc::from(name), value)),
        }
    }

    /// Builder form of [`Labels::insert`].
    #[must_use]
    pub fn with(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.insert(name, value);
        self
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .binary_search_by(|(n, _)| n.as_ref().cmp(name))
            .ok()
            .map(|i| self.0[i].1.as_ref())
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(n, v)| (n.as_ref(), v.as_ref()))
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for Labels {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut labels = Labels::new();
        for (k, v) in iter {
            labels.insert(k, v);
        }
        labels
    }
}

impl fmt::Debug for Labels {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Prints in Prometheus' `{a="1",b="2"}` form (values escaped as in the text exposition).
impl fmt::Display for Labels {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("{")?;
        for (i, (name, value)) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{name}=\"")?;
            for c in value.chars() {
                match c {
                    '\\' => f.write_str("\\\\")?,
                    '"' => f.write_str("\\\"")?,
                    '\n' => f.write_str("\\n")?,
                    c => write!(f, "{c}")?,
                }
            }
            f.write_str("\"")?;
        }
        f.write_str("}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_of_insertion_does_not_matter() {
        let a = Labels::new().with("ifIndex", "2").with("ifName", "eth0");
        let b = Labels::new().with("ifName", "eth0").with("ifIndex", "2");
        assert_eq!(a, b);
        assert_eq!(a.to_string(), r#"{ifIndex="2",ifName="eth0"}"#);
    }

    #[test]
    fn insert_replaces_and_escapes() {
        let mut l = Labels::new().with("a", "x");
        l.insert("a", "say \"hi\"\\\n");
        assert_eq!(l.len(), 1);
        assert_eq!(l.get("a"), Some("say \"hi\"\\\n"));
        assert_eq!(l.to_string(), r#"{a="say \"hi\"\\\n"}"#);
        assert_eq!(l.get("b"), None);
    }
}
