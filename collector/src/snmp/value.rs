//! SNMP values and varbinds, and their JSON form (the `-o json` contract of `netops snmp`).

use crate::snmp::Oid;
use bytes::Bytes;
use std::fmt;

#[derive(Clone, PartialEq, Eq, Debug)]
pub enum SnmpValue {
    Integer(i64),
    OctetString(Bytes),
    Null,
    ObjectId(Oid),
    IpAddress([u8; 4]),
    Counter32(u32),
    Gauge32(u32),
    TimeTicks(u32),
    Opaque(Bytes),
    Counter64(u64),
    NoSuchObject,
    NoSuchInstance,
    EndOfMibView,
}

impl SnmpValue {
    /// The type name used in JSON output.
    pub fn type_name(&self) -> &'static str {
        match self {
            SnmpValue::Integer(_) => "integer",
            SnmpValue::OctetString(_) => "octet-string",
            SnmpValue::Null => "null",
            SnmpValue::ObjectId(_) => "oid",
            SnmpValue::IpAddress(_) => "ip-address",
            SnmpValue::Counter32(_) => "counter32",
            SnmpValue::Gauge32(_) => "gauge32",
            SnmpValue::TimeTicks(_) => "timeticks",
            SnmpValue::Opaque(_) => "opaque",
            SnmpValue::Counter64(_) => "counter64",
            SnmpValue::NoSuchObject => "no-such-object",
            SnmpValue::NoSuchInstance => "no-such-instance",
            SnmpValue::EndOfMibView => "end-of-mib-view",
        }
    }

    /// `noSuchObject`, `noSuchInstance` and `endOfMibView` are answers about the request,
    /// not values of the object.
    pub fn is_exception(&self) -> bool {
        matches!(
            self,
            SnmpValue::NoSuchObject | SnmpValue::NoSuchInstance | SnmpValue::EndOfMibView
        )
    }

    /// The value as a number, for metrics. Strings and OIDs have none.
    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            SnmpValue::Integer(v) => Some(v as f64),
            SnmpValue::Counter32(v) | SnmpValue::Gauge32(v) | SnmpValue::TimeTicks(v) => {
                Some(f64::from(v))
            }
            SnmpValue::Counter64(v) => Some(v as f64),
            _ => None,
        }
    }

    /// Raw bytes of octet strings and opaques.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            SnmpValue::OctetString(b) | SnmpValue::Opaque(b) => Some(b),
            _ => None,
        }
    }

    /// The bytes as text when they are printable UTF-8 (tabs, newlines and carriage
    /// returns allowed), else `None`: binary strings (MAC addresses) must not be shown as
    /// mojibake.
    pub fn printable_text(bytes: &[u8]) -> Option<&str> {
        let text = std::str::from_utf8(bytes).ok()?;
        text.chars()
            .all(|c| !c.is_control() || matches!(c, '\t' | '\n' | '\r'))
            .then_some(text)
    }
}

/// Human form, close to net-snmp's `-On` output without the type prefix.
impl fmt::Display for SnmpValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SnmpValue::Integer(v) => write!(f, "{v}"),
            SnmpValue::OctetString(b) | SnmpValue::Opaque(b) => match Self::printable_text(b) {
                Some(text) => write!(f, "\"{text}\""),
                None => {
                    for (i, byte) in b.iter().enumerate() {
                        if i > 0 {
                            f.write_str(" ")?;
                        }
                        write!(f, "{byte:02X}")?;
                    }
                    Ok(())
                }
            },
            SnmpValue::Null => f.write_str("NULL"),
            SnmpValue::ObjectId(o) => write!(f, "{o}"),
            SnmpValue::IpAddress([a, b, c, d]) => write!(f, "{a}.{b}.{c}.{d}"),
            SnmpValue::Counter32(v) | SnmpValue::Gauge32(v) | SnmpValue::TimeTicks(v) => {
                write!(f, "{v}")
            }
            SnmpValue::Counter64(v) => write!(f, "{v}"),
            SnmpValue::NoSuchObject => {
                f.write_str("No Such Object available on this agent at this OID")
            }
            SnmpValue::NoSuchInstance => {
                f.write_str("No Such Instance currently exists at this OID")
            }
            SnmpValue::EndOfMibView => f.write_str("No more variables left in this MIB View"),
        }
    }
}

#[derive(Clone, PartialEq, Eq, Debug)]
pub struct VarBind {
    pub oid: Oid,
    pub value: SnmpValue,
}

impl VarBind {
    /// One line of `-o json`: `{"oid","type","value"}`, plus `hex` for byte strings.
    /// Numbers stay JSON numbers (Counter64 included: serde_json writes u64 exactly).
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::{Value, json};
        let value = match &self.value {
            SnmpValue::Integer(v) => json!(v),
            SnmpValue::Counter32(v) | SnmpValue::Gauge32(v) | SnmpValue::TimeTicks(v) => json!(v),
            SnmpValue::Counter64(v) => json!(v),
            SnmpValue::ObjectId(o) => json!(o.to_string()),
            SnmpValue::IpAddress([a, b, c, d]) => json!(format!("{a}.{b}.{c}.{d}")),
            SnmpValue::OctetString(b) | SnmpValue::Opaque(b) => {
                SnmpValue::printable_text(b).map_or(Value::Null, |t| json!(t))
            }
            SnmpValue::Null
            | SnmpValue::NoSuchObject
            | SnmpValue::NoSuchInstance
            | SnmpValue::EndOfMibView => Value::Null,
        };
        let mut object = serde_json::Map::new();
        object.insert("oid".into(), json!(self.oid.to_string()));
        object.insert("type".into(), json!(self.value.type_name()));
        object.insert("value".into(), value);
        if let Some(bytes) = self.value.as_bytes() {
            object.insert("hex".into(), json!(hex::encode(bytes)));
        }
        Value::Object(object)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vb(value: SnmpValue) -> VarBind {
        VarBind {
            oid: "1.3.6.1.2.1.1.1.0".parse().unwrap(),
            value,
        }
    }

    #[test]
    fn json_contract() {
        let cases = [
            (
                SnmpValue::OctetString(Bytes::from_static(b"Linux router")),
                r#"{"hex":"4c696e757820726f75746572","oid":"1.3.6.1.2.1.1.1.0","type":"octet-string","value":"Linux router"}"#,
            ),
            (
                SnmpValue::OctetString(Bytes::from_static(&[0x00, 0x1b, 0x21, 0xff])),
                r#"{"hex":"001b21ff","oid":"1.3.6.1.2.1.1.1.0","type":"octet-string","value":null}"#,
            ),
            (
                SnmpValue::Counter64(u64::MAX),
                r#"{"oid":"1.3.6.1.2.1.1.1.0","type":"counter64","value":18446744073709551615}"#,
            ),
            (
                SnmpValue::Integer(-5),
                r#"{"oid":"1.3.6.1.2.1.1.1.0","type":"integer","value":-5}"#,
            ),
            (
                SnmpValue::IpAddress([10, 0, 0, 1]),
                r#"{"oid":"1.3.6.1.2.1.1.1.0","type":"ip-address","value":"10.0.0.1"}"#,
            ),
            (
                SnmpValue::ObjectId("1.3.6.1.4.1.8072".parse().unwrap()),
                r#"{"oid":"1.3.6.1.2.1.1.1.0","type":"oid","value":"1.3.6.1.4.1.8072"}"#,
            ),
            (
                SnmpValue::NoSuchInstance,
                r#"{"oid":"1.3.6.1.2.1.1.1.0","type":"no-such-instance","value":null}"#,
            ),
            (
                SnmpValue::TimeTicks(12345),
                r#"{"oid":"1.3.6.1.2.1.1.1.0","type":"timeticks","value":12345}"#,
            ),
        ];
        for (value, expected) in cases {
            assert_eq!(vb(value).to_json().to_string(), expected);
        }
    }

    #[test]
    fn control_characters_are_not_text() {
        assert_eq!(SnmpValue::printable_text(b"a\tb\r\n"), Some("a\tb\r\n"));
        assert_eq!(SnmpValue::printable_text(b"a\x01b"), None);
        assert_eq!(
            SnmpValue::printable_text("市桥街".as_bytes()),
            Some("市桥街")
        );
        assert_eq!(SnmpValue::printable_text(&[0xff, 0xfe]), None);
    }
}
