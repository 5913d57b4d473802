use std::collections::HashSet;
use std::fmt;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

/// A set of label pairs, kept sorted by name so that two label sets with the same pairs
/// compare, hash and print the same whatever order they were built in.
///
/// The set is shared, not copied: cloning a `Labels` is one reference-count increment, and
/// [`Labels::insert`] copies the pairs only when the set is shared (copy on write). Label
/// names are shared too, across all sets. Every
/// column of an interface row carries the same labels, so a poll of a 48-port router makes
/// 48 label sets for its ~1,600 samples instead of 1,600, and a sink that keeps the latest
/// samples keeps 48 sets too. The empty set allocates nothing.
#[derive(Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Labels(Option<Arc<Pairs>>);

/// (name, value), sorted by name.
type Pairs = Vec<(Arc<str>, Arc<str>)>;

impl Labels {
    pub fn new() -> Self {
        Self(None)
    }

    /// Adds or replaces a label, keeping the set sorted.
    pub fn insert(&mut self, name: impl Into<String>, value: impl Into<String>) {
        let name: String = name.into();
        let value: Arc<str> = Arc::from(value.into());
        let pairs = Arc::make_mut(self.0.get_or_insert_with(Default::default));
        match pairs.binary_search_by(|(n, _)| n.as_ref().cmp(name.as_str())) {
            Ok(i) => pairs[i].1 = value,
            Err(i) => {
                // Sets are small and kept for long (a sink holds one per interface row):
                // no spare capacity. The copy per insert is a few dozen bytes.
                pairs.reserve_exact(1);
                pairs.insert(i, (shared_name(name), value));
            }
        }
    }

    /// Builder form of [`Labels::insert`].
    #[must_use]
    pub fn with(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.insert(name, value);
        self
    }

    fn pairs(&self) -> &[(Arc<str>, Arc<str>)] {
        self.0.as_deref().map_or(&[], Vec::as_slice)
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        let pairs = self.pairs();
        pairs
            .binary_search_by(|(n, _)| n.as_ref().cmp(name))
            .ok()
            .map(|i| pairs[i].1.as_ref())
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.pairs().iter().map(|(n, v)| (n.as_ref(), v.as_ref()))
    }

    pub fn len(&self) -> usize {
        self.pairs().len()
    }

    pub fn is_empty(&self) -> bool {
        self.pairs().is_empty()
    }

    /// True when both are the very same shared set (a clone of one another): a cheap test
    /// that lets consumers reuse work done for an identical set. False does not mean the
    /// pairs differ.
    pub fn shares_storage_with(&self, other: &Labels) -> bool {
        match (&self.0, &other.0) {
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            (None, None) => true,
            _ => false,
        }
    }
}
/// The one shared copy of a label name. Names are few (a few dozen in a whole
/// deployment: `ifIndex`, `ifName`, `target`...) and repeat on every row of every target,
/// so each is allocated once instead of once per row. The table is bounded, so names from
/// outside (a trap's varbinds) cannot grow it without end: past the bound, names are simply
/// not shared.
fn shared_name(name: String) -> Arc<str> {
    const MAX_SHARED_NAMES: usize = 4096;
    static NAMES: OnceLock<Mutex<HashSet<Arc<str>>>> = OnceLock::new();
    let mut names = NAMES
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    if let Some(shared) = names.get(name.as_str()) {
        return shared.clone();
    }
    let name: Arc<str> = Arc::from(name);
    if names.len() < MAX_SHARED_NAMES {
        names.insert(name.clone());
    }
    name
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
        for (i, (name, value)) in self.iter().enumerate() {
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
