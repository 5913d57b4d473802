//! snmpsim's `.snmprec` recording format: one object per line, `OID|TAG|VALUE`.
//!
//! Tags are the BER type numbers snmpsim uses: 2 INTEGER, 4 OCTET STRING, 5 NULL, 6 OBJECT
//! IDENTIFIER, 64 IpAddress, 65 Counter32, 66 Gauge32, 67 TimeTicks, 68 Opaque, 70 Counter64.
//! A tag followed by `x` (`4x`, `68x`) carries its value as hex. snmpsim's variation modules
//! (`4:numeric`, `2e`) are refused by name: a simulator that silently served them as static
//! values would lie about the device.
//!
//! Pure text in, values out: no files here beyond [`read_file`], which only adds the path to
//! errors. Parsing never panics, whatever the line (property-tested).

use crate::sim::SimError;
use crate::snmp::{Oid, SnmpValue, VarBind};
use bytes::Bytes;
use std::fmt::Write as _;
use std::path::Path;

/// Parses a whole recording. `file` only names the source in errors. Blank lines and lines
/// starting with `#` are skipped. The result is sorted by OID; a duplicate OID is an error
/// naming both lines.
pub fn parse(file: &str, text: &str) -> Result<Vec<VarBind>, SimError> {
    let mut out: Vec<(usize, VarBind)> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        out.push((i + 1, parse_line(file, i + 1, line)?));
    }
    out.sort_by(|a, b| a.1.oid.cmp(&b.1.oid));
    for w in out.windows(2) {
        if w[0].1.oid == w[1].1.oid {
            return Err(SimError::Snmprec {
                file: file.to_string(),
                line: w[1].0,
                field: "oid",
                reason: format!("duplicate OID {} (first on line {})", w[1].1.oid, w[0].0),
            });
        }
    }
    Ok(out.into_iter().map(|(_, vb)| vb).collect())
}

/// Reads and parses a `.snmprec` file.
pub fn read_file(path: &Path) -> Result<Vec<VarBind>, SimError> {
    let text = std::fs::read_to_string(path).map_err(|source| SimError::Io {
        path: path.display().to_string(),
        source,
    })?;
    parse(&path.display().to_string(), &text)
}

/// Parses one `OID|TAG|VALUE` line (the value may itself contain `|`).
pub fn parse_line(file: &str, line_no: usize, line: &str) -> Result<VarBind, SimError> {
    let err = |field: &'static str, reason: String| SimError::Snmprec {
        file: file.to_string(),
        line: line_no,
        field,
        reason,
    };
    let mut parts = line.splitn(3, '|');
    let (Some(oid), Some(tag), Some(value)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(err(
            "line",
            "expected OID|TAG|VALUE (two '|' separators)".into(),
        ));
    };
    let oid: Oid = oid
        .trim()
        .parse()
        .map_err(|e: crate::snmp::OidParseError| {
            err("oid", format!("{:?}: {}", e.input, e.reason))
        })?;
    let (tag_number, hex) = match tag.trim().strip_suffix('x') {
        Some(t) => (t, true),
        None => (tag.trim(), false),
    };
    if tag_number.contains(':') || tag_number.ends_with('e') {
        return Err(err(
            "tag",
            format!("{tag:?}: snmpsim variation modules are not supported"),
        ));
    }
    let tag_number: u8 = tag_number
        .parse()
        .map_err(|_| err("tag", format!("{tag:?} is not a known snmprec tag")))?;
    let bytes = |value: &str| -> Result<Bytes, SimError> {
        if hex {
            hex::decode(value.trim())
                .map(Bytes::from)
                .map_err(|e| err("value", format!("bad hex: {e}")))
        } else {
            Ok(Bytes::copy_from_slice(value.as_bytes()))
        }
    };
    let text = |value: &str| -> Result<String, SimError> {
        if hex {
            String::from_utf8(bytes(value)?.to_vec())
                .map_err(|_| err("value", "hex value is not text".into()))
        } else {
            Ok(value.trim().to_string())
        }
    };
    let number = |value: &str, what: &str| -> Result<u64, SimError> {
        let t = text(value)?;
        t.parse::<u64>()
            .map_err(|_| err("value", format!("{t:?} is not a {what}")))
    };
    let u32_value = |value: &str, what: &str| -> Result<u32, SimError> {
        let n = number(value, what)?;
        u32::try_from(n).map_err(|_| err("value", format!("{n} does not fit a 32-bit {what}")))
    };
    let snmp_value = match tag_number {
        2 => {
            let t = text(value)?;
            let v: i64 = t
                .parse()
                .map_err(|_| err("value", format!("{t:?} is not an integer")))?;
            if i32::try_from(v).is_err() {
                return Err(err("value", format!("{v} does not fit a 32-bit INTEGER")));
            }
            SnmpValue::Integer(v)
        }
        4 => SnmpValue::OctetString(bytes(value)?),
        5 => SnmpValue::Null,
        6 => {
            let t = text(value)?;
            SnmpValue::ObjectId(t.parse().map_err(|e: crate::snmp::OidParseError| {
                err("value", format!("{:?}: {}", e.input, e.reason))
            })?)
        }
        64 => {
            let a = if hex {
                let b = bytes(value)?;
                <[u8; 4]>::try_from(&b[..])
                    .map_err(|_| err("value", "an IpAddress has 4 octets".into()))?
            } else {
                let t = text(value)?;
                t.parse::<std::net::Ipv4Addr>()
                    .map_err(|_| err("value", format!("{t:?} is not an IPv4 address")))?
                    .octets()
            };
            SnmpValue::IpAddress(a)
        }
        65 => SnmpValue::Counter32(u32_value(value, "Counter32")?),
        66 => SnmpValue::Gauge32(u32_value(value, "Gauge32")?),
        67 => SnmpValue::TimeTicks(u32_value(value, "TimeTicks")?),
        68 => SnmpValue::Opaque(bytes(value)?),
        70 => SnmpValue::Counter64(number(value, "Counter64")?),
        other => {
            return Err(err(
                "tag",
                format!("unknown tag {other} (expected 2, 4, 5, 6, 64, 65, 66, 67, 68 or 70)"),
            ));
        }
    };
    Ok(VarBind {
        oid,
        value: snmp_value,
    })
}

/// Writes one varbind as a `.snmprec` line (with the newline). Exceptions (noSuchObject,
/// endOfMibView) are not objects and are skipped: `None`.
pub fn format_line(vb: &VarBind) -> Option<String> {
    let mut s = String::with_capacity(64);
    let _ = write!(s, "{}|", vb.oid);
    let _ = match &vb.value {
        SnmpValue::Integer(v) => write!(s, "2|{v}"),
        SnmpValue::OctetString(b) => {
            // Plain text only when it survives a line-based format unchanged; everything
            // else (MAC addresses, UTF-8, newlines) goes as hex, as snmpsim's recorder does.
            if b.iter().all(|c| (0x20..0x7f).contains(c))
                && b.first() != Some(&b' ')
                && b.last() != Some(&b' ')
            {
                write!(s, "4|{}", String::from_utf8_lossy(b))
            } else {
                write!(s, "4x|{}", hex::encode(b))
            }
        }
        SnmpValue::Null => write!(s, "5|"),
        SnmpValue::ObjectId(o) => write!(s, "6|{o}"),
        SnmpValue::IpAddress([a, b, c, d]) => write!(s, "64|{a}.{b}.{c}.{d}"),
        SnmpValue::Counter32(v) => write!(s, "65|{v}"),
        SnmpValue::Gauge32(v) => write!(s, "66|{v}"),
        SnmpValue::TimeTicks(v) => write!(s, "67|{v}"),
        SnmpValue::Opaque(b) => write!(s, "68x|{}", hex::encode(b)),
        SnmpValue::Counter64(v) => write!(s, "70|{v}"),
        SnmpValue::NoSuchObject | SnmpValue::NoSuchInstance | SnmpValue::EndOfMibView => {
            return None;
        }
    };
    s.push('\n');
    Some(s)
}

/// Writes a whole recording.
pub fn format(varbinds: &[VarBind]) -> String {
    varbinds.iter().filter_map(format_line).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn arb_oid() -> impl Strategy<Value = Oid> {
        (0u32..3, prop::collection::vec(any::<u32>(), 1..16)).prop_map(|(first, rest)| {
            let mut arcs = vec![first];
            arcs.extend(rest);
            Oid::from_arcs(arcs)
        })
    }

    fn arb_value() -> impl Strategy<Value = SnmpValue> {
        prop_oneof![
            any::<i32>().prop_map(|v| SnmpValue::Integer(i64::from(v))),
            prop::collection::vec(any::<u8>(), 0..64)
                .prop_map(|b| SnmpValue::OctetString(b.into())),
            "[ -~]{0,40}".prop_map(|s| SnmpValue::OctetString(Bytes::from(s))),
            Just(SnmpValue::Null),
            arb_oid().prop_map(SnmpValue::ObjectId),
            any::<[u8; 4]>().prop_map(SnmpValue::IpAddress),
            any::<u32>().prop_map(SnmpValue::Counter32),
            any::<u32>().prop_map(SnmpValue::Gauge32),
            any::<u32>().prop_map(SnmpValue::TimeTicks),
            prop::collection::vec(any::<u8>(), 0..16).prop_map(|b| SnmpValue::Opaque(b.into())),
            any::<u64>().prop_map(SnmpValue::Counter64),
        ]
    }

    proptest! {
        #[test]
        fn write_then_parse_round_trips(entries in prop::collection::btree_map(arb_oid(), arb_value(), 0..40)) {
            let varbinds: Vec<VarBind> = entries.into_iter().map(|(oid, value)| VarBind { oid, value }).collect();
            let text = format(&varbinds);
            let parsed = parse("prop.snmprec", &text).unwrap();
            prop_assert_eq!(parsed, varbinds);
        }

        #[test]
        fn arbitrary_lines_never_panic(line in "\\PC{0,80}") {
            let _ = parse_line("fuzz.snmprec", 1, &line);
        }

        #[test]
        fn near_valid_lines_never_panic(
            oid in "[0-9.]{0,20}",
            tag in "(2|4|4x|5|6|64|64x|65|66|67|68|68x|70|7|4e|2:x|)",
            value in "[ -~]{0,30}",
        ) {
            let _ = parse_line("fuzz.snmprec", 1, &format!("{oid}|{tag}|{value}"));
        }
    }

    #[test]
    fn snmpsim_sample_lines() {
        let text = "\
# a comment
1.3.6.1.2.1.1.1.0|4|Linux zeus 4.8.6.5-smp #2 SMP Sun Nov 13 14:58:11 CDT 2016 i686
1.3.6.1.2.1.1.2.0|6|1.3.6.1.4.1.8072.3.2.10
1.3.6.1.2.1.1.3.0|67|233425120
1.3.6.1.2.1.2.2.1.6.2|4x|00127962f940
1.3.6.1.2.1.4.20.1.1.10.0.0.1|64|10.0.0.1
1.3.6.1.2.1.2.2.1.10.2|65|3052823040
1.3.6.1.2.1.31.1.1.1.6.2|70|10000000000000
1.3.6.1.2.1.2.2.1.5.2|66|1000000000
1.3.6.1.2.1.1.7.0|2|72
1.3.6.1.2.1.1.9.1.5.1|5|
1.3.6.1.2.1.1.4.0|4|a|b
";
        let vbs = parse("sample.snmprec", text).unwrap();
        assert_eq!(vbs.len(), 11);
        assert_eq!(
            vbs.iter()
                .find(|v| v.oid.to_string() == "1.3.6.1.2.1.1.4.0")
                .unwrap()
                .value,
            SnmpValue::OctetString(Bytes::from_static(b"a|b")),
            "the value is everything after the second '|'"
        );
        assert_eq!(
            vbs.iter()
                .find(|v| v.oid.to_string() == "1.3.6.1.2.1.2.2.1.6.2")
                .unwrap()
                .value,
            SnmpValue::OctetString(Bytes::from_static(&[0x00, 0x12, 0x79, 0x62, 0xf9, 0x40]))
        );
        assert!(vbs.windows(2).all(|w| w[0].oid < w[1].oid), "sorted");
    }

    #[test]
    fn errors_name_file_line_and_field() {
        let cases = [
            (
                "1.3.6.1|4",
                "r.snmprec:3: line: expected OID|TAG|VALUE (two '|' separators)",
            ),
            (
                "1.3.x|4|a",
                "r.snmprec:3: oid: \"1.3.x\": only numeric OIDs are understood (no MIB names are loaded)",
            ),
            (
                "1.3.6|99|a",
                "r.snmprec:3: tag: unknown tag 99 (expected 2, 4, 5, 6, 64, 65, 66, 67, 68 or 70)",
            ),
            (
                "1.3.6|2:numeric|a",
                "r.snmprec:3: tag: \"2:numeric\": snmpsim variation modules are not supported",
            ),
            (
                "1.3.6|65|-1",
                "r.snmprec:3: value: \"-1\" is not a Counter32",
            ),
            (
                "1.3.6|65|4294967296",
                "r.snmprec:3: value: 4294967296 does not fit a 32-bit Counter32",
            ),
            (
                "1.3.6|2|2147483648",
                "r.snmprec:3: value: 2147483648 does not fit a 32-bit INTEGER",
            ),
            (
                "1.3.6|4x|0g",
                "r.snmprec:3: value: bad hex: Invalid character 'g' at position 1",
            ),
            (
                "1.3.6|64|300.1.1.1",
                "r.snmprec:3: value: \"300.1.1.1\" is not an IPv4 address",
            ),
        ];
        for (line, expected) in cases {
            let text = format!("# header\n\n{line}\n");
            let e = parse("r.snmprec", &text).unwrap_err();
            assert_eq!(e.to_string(), expected, "{line}");
        }
        let e = parse("d.snmprec", "1.3.6.1|2|1\n1.3.6.1|2|2\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "d.snmprec:2: oid: duplicate OID 1.3.6.1 (first on line 1)"
        );
    }
}
