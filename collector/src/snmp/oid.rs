//! `Oid`: an SNMP object identifier as a list of arcs, our own type so that the rest of
//! netops does not depend on the engine crate's types.

use smallvec::SmallVec;
use std::fmt;
use std::str::FromStr;

/// Arcs kept inline up to this many: every OID netops polls (ifTable columns have 11 arcs,
/// IP-MIB address rows about 16) costs no heap allocation, and a walk creates one OID per
/// varbind, so this is on the hottest path of every poll.
const INLINE_ARCS: usize = 16;

#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Oid(SmallVec<[u32; INLINE_ARCS]>);

/// Why a dotted OID string was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid OID {input:?}: {reason}")]
pub struct OidParseError {
    pub input: String,
    pub reason: &'static str,
}

impl Oid {
    pub fn from_arcs(arcs: impl AsRef<[u32]>) -> Self {
        Self(SmallVec::from_slice(arcs.as_ref()))
    }

    pub fn arcs(&self) -> &[u32] {
        &self.0
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// True when `self` is `prefix` or lies below it.
    pub fn starts_with(&self, prefix: &Oid) -> bool {
        self.0.starts_with(&prefix.0)
    }

    /// The arcs after `prefix` (a table row index), if `self` lies below it.
    pub fn suffix_after(&self, prefix: &Oid) -> Option<&[u32]> {
        self.0.strip_prefix(prefix.0.as_slice())
    }

    #[must_use]
    pub fn child(&self, arc: u32) -> Oid {
        let mut arcs = self.0.clone();
        arcs.push(arc);
        Oid(arcs)
    }
}

impl FromStr for Oid {
    type Err = OidParseError;

    /// Accepts `1.3.6.1.2.1.1.1.0` and net-snmp's `.1.3.6.1.2.1.1.1.0`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = |reason| OidParseError {
            input: s.to_string(),
            reason,
        };
        let body = s.strip_prefix('.').unwrap_or(s);
        if body.is_empty() {
            return Err(err("empty"));
        }
        let arcs = body
            .split('.')
            .map(|part| {
                if part.is_empty() {
                    Err(err("empty arc (two dots in a row?)"))
                } else if !part.bytes().all(|b| b.is_ascii_digit()) {
                    Err(err(
                        "only numeric OIDs are understood (no MIB names are loaded)",
                    ))
                } else {
                    part.parse::<u32>()
                        .map_err(|_| err("arc larger than 4294967295"))
                }
            })
            .collect::<Result<SmallVec<[u32; INLINE_ARCS]>, _>>()?;
        if arcs.len() < 2 {
            return Err(err("an OID needs at least two arcs"));
        }
        if arcs[0] > 2 {
            return Err(err("the first arc must be 0, 1 or 2"));
        }
        Ok(Oid(arcs))
    }
}

impl fmt::Display for Oid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, arc) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            write!(f, "{arc}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Oid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Oid({self})")
    }
}

impl serde::Serialize for Oid {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Oid {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_dotted() {
        let oid: Oid = ".1.3.6.1.2.1.1.1.0".parse().unwrap();
        assert_eq!(oid.arcs(), &[1, 3, 6, 1, 2, 1, 1, 1, 0]);
        assert_eq!(oid.to_string(), "1.3.6.1.2.1.1.1.0");
    }

    #[test]
    fn refuses_bad_input_with_reason() {
        for (input, reason) in [
            ("", "empty"),
            ("1..3", "empty arc (two dots in a row?)"),
            (
                "sysDescr.0",
                "only numeric OIDs are understood (no MIB names are loaded)",
            ),
            ("1.3.99999999999", "arc larger than 4294967295"),
            ("1", "an OID needs at least two arcs"),
            ("7.1", "the first arc must be 0, 1 or 2"),
        ] {
            let e = input.parse::<Oid>().unwrap_err();
            assert_eq!(e.reason, reason, "{input}");
        }
    }

    #[test]
    fn ordering_is_lexicographic_by_arc() {
        let a: Oid = "1.3.6.1.2.1.2.2.1.10.2".parse().unwrap();
        let b: Oid = "1.3.6.1.2.1.2.2.1.10.10".parse().unwrap();
        assert!(a < b, "numeric, not textual, order");
        let root: Oid = "1.3.6.1.2.1.2.2.1.10".parse().unwrap();
        assert!(b.starts_with(&root));
        assert_eq!(b.suffix_after(&root), Some(&[10][..]));
    }
}
