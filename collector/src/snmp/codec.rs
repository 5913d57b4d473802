//! Pure SNMP message codec: bytes in, our typed values out, and back. No sockets, no clocks.
//! It is what the fuzz target and the property tests hit, and what the agent simulator uses
//! to answer requests.
//!
//! BER and message framing are async-snmp's (pinned); this module converts between its
//! types and ours, so nothing outside `snmp/` depends on the engine crate.

use crate::snmp::{Oid, SnmpValue, VarBind, Version};
use async_snmp as engine;
use bytes::Bytes;

/// What a PDU asks or answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PduKind {
    Get,
    GetNext,
    GetBulk {
        non_repeaters: u32,
        max_repetitions: u32,
    },
    Response,
    Set,
    TrapV1,
    TrapV2,
    Inform,
    Report,
}

/// A decoded SNMP message. For SNMPv3 messages only the version is known without keys, so
/// `pdu` is `None` when the scoped PDU is encrypted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodedMessage {
    pub version: Version,
    /// The community of a v1/v2c message (a secret: never log it).
    pub community: Option<Bytes>,
    pub pdu: Option<DecodedPdu>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodedPdu {
    pub kind: PduKind,
    pub request_id: i32,
    pub error_status: i32,
    pub error_index: i32,
    pub varbinds: Vec<VarBind>,
}

/// Why bytes are not an SNMP message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed SNMP message: {0}")]
pub struct CodecError(pub String);

/// Decodes any SNMP message. Never panics, whatever the bytes.
pub fn decode_message(bytes: &[u8]) -> Result<DecodedMessage, CodecError> {
    let message = engine::message::Message::decode(
        Bytes::copy_from_slice(bytes),
        engine::DecodeConfig::DEFAULT,
    )
    .map_err(|e| CodecError(e.to_string()))?
    .value;
    let version = match message.version() {
        engine::Version::V1 => Version::V1,
        engine::Version::V2c => Version::V2c,
        _ => Version::V3,
    };
    let community = match &message {
        engine::message::Message::Community(m) => {
            Some(Bytes::copy_from_slice(m.community().as_bytes()))
        }
        engine::message::Message::V3(_) => None,
    };
    // SNMPv1 traps have a PDU of their own; translate them to the v2 form (RFC 3584 §3.1:
    // sysUpTime.0, snmpTrapOID.0, then the varbinds) so every consumer sees one shape.
    if let engine::message::Message::Community(m) = &message
        && let Some(trap) = m.pdu().trap_v1()
    {
        let trap_oid = trap.v2_trap_oid().map_err(|e| CodecError(e.to_string()))?;
        let mut varbinds = vec![
            VarBind {
                oid: Oid::from_arcs(vec![1, 3, 6, 1, 2, 1, 1, 3, 0]),
                value: SnmpValue::TimeTicks(trap.time_stamp()),
            },
            VarBind {
                oid: Oid::from_arcs(vec![1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0]),
                value: SnmpValue::ObjectId(Oid::from_arcs(trap_oid.arcs())),
            },
        ];
        varbinds.extend(from_engine_varbinds(trap.varbinds().to_vec()));
        // RFC 3584 §3.1 (3): the v1 agent-addr travels on as snmpTrapAddress.0.
        varbinds.push(VarBind {
            oid: Oid::from_arcs(vec![1, 3, 6, 1, 6, 3, 18, 1, 3, 0]),
            value: SnmpValue::IpAddress(trap.agent_addr()),
        });
        return Ok(DecodedMessage {
            version,
            community,
            pdu: Some(DecodedPdu {
                kind: PduKind::TrapV1,
                request_id: 0,
                error_status: 0,
                error_index: 0,
                varbinds,
            }),
        });
    }
    let pdu = message.into_pdu().map(|pdu| {
        let kind = pdu_kind(&pdu);
        let error_status = pdu.error_status();
        let error_index = pdu.error_index();
        let (request_id, _, varbinds) = pdu.into_raw_parts();
        DecodedPdu {
            kind,
            request_id,
            error_status,
            error_index,
            varbinds: from_engine_varbinds(varbinds),
        }
    });
    Ok(DecodedMessage {
        version,
        community,
        pdu,
    })
}

fn pdu_kind(pdu: &engine::Pdu) -> PduKind {
    if let Some((non_repeaters, max_repetitions)) = pdu.get_bulk_fields() {
        return PduKind::GetBulk {
            non_repeaters,
            max_repetitions,
        };
    }
    match pdu.pdu_type() {
        engine::PduType::GetRequest => PduKind::Get,
        engine::PduType::GetNextRequest => PduKind::GetNext,
        engine::PduType::SetRequest => PduKind::Set,
        engine::PduType::TrapV1 => PduKind::TrapV1,
        engine::PduType::TrapV2 => PduKind::TrapV2,
        engine::PduType::InformRequest => PduKind::Inform,
        engine::PduType::Report => PduKind::Report,
        _ => PduKind::Response,
    }
}

/// Encodes a v1/v2c Response PDU.
pub fn encode_response(
    version: Version,
    community: &[u8],
    request_id: i32,
    error_status: i32,
    error_index: i32,
    varbinds: &[VarBind],
) -> Result<Bytes, CodecError> {
    let pdu = engine::Pdu::from_raw_parts(
        request_id,
        engine::PduBody::Standard {
            pdu_type: engine::StandardPduType::Response,
            error_status,
            error_index,
        },
        varbinds.iter().map(to_engine_varbind).collect(),
    );
    let community = Bytes::copy_from_slice(community);
    let message = match version {
        Version::V1 => engine::message::CommunityMessage::v1(community, pdu),
        Version::V2c => engine::message::CommunityMessage::v2c(community, pdu),
        Version::V3 => return Err(CodecError("SNMPv3 responses need a USM engine".into())),
    }
    .map_err(|e| CodecError(e.to_string()))?;
    message.encode().map_err(|e| CodecError(e.to_string()))
}

pub(crate) fn to_engine_oid(oid: &Oid) -> engine::Oid {
    engine::Oid::from_slice(oid.arcs())
}

pub(crate) fn to_engine_varbind(vb: &VarBind) -> engine::VarBind {
    let value = match &vb.value {
        // INTEGER is 32-bit on the wire; our wider type only exists for convenience.
        SnmpValue::Integer(v) => engine::Value::Integer(*v as i32),
        SnmpValue::OctetString(b) => engine::Value::OctetString(b.clone()),
        SnmpValue::Null => engine::Value::Null,
        SnmpValue::ObjectId(o) => engine::Value::ObjectIdentifier(to_engine_oid(o)),
        SnmpValue::IpAddress(a) => engine::Value::IpAddress(*a),
        SnmpValue::Counter32(v) => engine::Value::Counter32(*v),
        SnmpValue::Gauge32(v) => engine::Value::Gauge32(*v),
        SnmpValue::TimeTicks(v) => engine::Value::TimeTicks(*v),
        SnmpValue::Opaque(b) => engine::Value::Opaque(b.clone()),
        SnmpValue::Counter64(v) => engine::Value::Counter64(*v),
        SnmpValue::NoSuchObject => engine::Value::NoSuchObject,
        SnmpValue::NoSuchInstance => engine::Value::NoSuchInstance,
        SnmpValue::EndOfMibView => engine::Value::EndOfMibView,
    };
    engine::VarBind::new(to_engine_oid(&vb.oid), value)
}

/// Converts the engine's varbinds into ours.
pub(crate) fn from_engine_varbinds(varbinds: Vec<engine::VarBind>) -> Vec<VarBind> {
    varbinds.into_iter().map(from_engine_varbind).collect()
}

fn from_engine_varbind(vb: engine::VarBind) -> VarBind {
    let value = match vb.value {
        engine::Value::Integer(v) => SnmpValue::Integer(i64::from(v)),
        engine::Value::OctetString(b) | engine::Value::Nsap(b) => SnmpValue::OctetString(b),
        engine::Value::Null => SnmpValue::Null,
        engine::Value::ObjectIdentifier(o) => SnmpValue::ObjectId(Oid::from_arcs(o.arcs())),
        engine::Value::IpAddress(a) => SnmpValue::IpAddress(a),
        engine::Value::Counter32(v) => SnmpValue::Counter32(v),
        engine::Value::Gauge32(v) | engine::Value::UInteger32(v) => SnmpValue::Gauge32(v),
        engine::Value::TimeTicks(v) => SnmpValue::TimeTicks(v),
        engine::Value::Opaque(b) => SnmpValue::Opaque(b),
        engine::Value::Counter64(v) => SnmpValue::Counter64(v),
        engine::Value::NoSuchObject => SnmpValue::NoSuchObject,
        engine::Value::NoSuchInstance => SnmpValue::NoSuchInstance,
        engine::Value::EndOfMibView => SnmpValue::EndOfMibView,
        engine::Value::Unknown { tag, data } => {
            // Keep the bytes rather than fail a whole walk on one exotic value.
            tracing::warn!(oid = %vb.oid, tag, "unknown SNMP value type; kept as opaque bytes");
            SnmpValue::Opaque(data)
        }
        other => {
            tracing::warn!(oid = %vb.oid, kind = ?other.kind(), "unsupported SNMP value type; kept as null");
            SnmpValue::Null
        }
    };
    VarBind {
        oid: Oid::from_arcs(vb.oid.arcs()),
        value,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn arb_oid() -> impl Strategy<Value = Oid> {
        (0u32..3, prop::collection::vec(any::<u32>(), 1..20)).prop_map(|(first, rest)| {
            // X.690: the first two arcs share one sub-identifier; under 0 and 1 the second is < 40.
            let second = if first < 2 {
                rest[0] % 40
            } else {
                rest[0] % 1000
            };
            let mut arcs = vec![first, second];
            arcs.extend_from_slice(&rest[1..]);
            Oid::from_arcs(arcs)
        })
    }

    fn arb_value() -> impl Strategy<Value = SnmpValue> {
        prop_oneof![
            any::<i32>().prop_map(|v| SnmpValue::Integer(i64::from(v))),
            prop::collection::vec(any::<u8>(), 0..300)
                .prop_map(|b| SnmpValue::OctetString(b.into())),
            Just(SnmpValue::Null),
            arb_oid().prop_map(SnmpValue::ObjectId),
            any::<[u8; 4]>().prop_map(SnmpValue::IpAddress),
            any::<u32>().prop_map(SnmpValue::Counter32),
            any::<u32>().prop_map(SnmpValue::Gauge32),
            any::<u32>().prop_map(SnmpValue::TimeTicks),
            prop::collection::vec(any::<u8>(), 0..40).prop_map(|b| SnmpValue::Opaque(b.into())),
            any::<u64>().prop_map(SnmpValue::Counter64),
            Just(SnmpValue::NoSuchObject),
            Just(SnmpValue::NoSuchInstance),
            Just(SnmpValue::EndOfMibView),
        ]
    }

    fn arb_varbinds() -> impl Strategy<Value = Vec<VarBind>> {
        prop::collection::vec(
            (arb_oid(), arb_value()).prop_map(|(oid, value)| VarBind { oid, value }),
            0..30,
        )
    }

    proptest! {
        #[test]
        fn v2c_response_round_trips(
            varbinds in arb_varbinds(),
            request_id in any::<i32>(),
            community in prop::collection::vec(any::<u8>(), 0..32),
        ) {
            let bytes = encode_response(Version::V2c, &community, request_id, 0, 0, &varbinds).unwrap();
            let decoded = decode_message(&bytes).unwrap();
            prop_assert_eq!(decoded.version, Version::V2c);
            prop_assert_eq!(decoded.community.as_deref(), Some(&community[..]));
            let pdu = decoded.pdu.unwrap();
            prop_assert_eq!(pdu.kind, PduKind::Response);
            prop_assert_eq!(pdu.request_id, request_id);
            prop_assert_eq!(pdu.varbinds, varbinds);
        }

        /// Whatever arrives on the wire, decoding returns (an error or a message), never panics.
        #[test]
        fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
            let _ = decode_message(&bytes);
        }

        /// Valid messages with bytes flipped, cut or extended: still no panic.
        #[test]
        fn mutated_messages_never_panic(
            varbinds in arb_varbinds(),
            flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
            cut in any::<prop::sample::Index>(),
        ) {
            let bytes = encode_response(Version::V2c, b"public", 7, 0, 0, &varbinds).unwrap().to_vec();
            let mut mutated = bytes.clone();
            for (i, b) in flips {
                let i = i.index(mutated.len());
                mutated[i] = b;
            }
            let _ = decode_message(&mutated);
            let _ = decode_message(&bytes[..cut.index(bytes.len())]);
        }
    }

    #[test]
    fn v1_response_and_errors() {
        let vb = VarBind {
            oid: "1.3.6.1.2.1.1.5.0".parse().unwrap(),
            value: SnmpValue::OctetString(Bytes::from_static("市桥街-gw1".as_bytes())),
        };
        let bytes =
            encode_response(Version::V1, b"public", 42, 2, 1, std::slice::from_ref(&vb)).unwrap();
        let m = decode_message(&bytes).unwrap();
        let pdu = m.pdu.unwrap();
        assert_eq!(
            (m.version, pdu.request_id, pdu.error_status, pdu.error_index),
            (Version::V1, 42, 2, 1)
        );
        assert_eq!(pdu.varbinds, vec![vb]);
        assert!(decode_message(b"").is_err());
        assert!(decode_message(&[0x30, 0x80]).is_err());
    }
}
