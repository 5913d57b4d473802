//! Any bytes a UDP socket can deliver go through the SNMP message decoder without a panic;
//! whatever decodes must survive a re-encode of its varbinds.
#![no_main]

use libfuzzer_sys::fuzz_target;
use netops_collector::snmp::Version;
use netops_collector::snmp::codec::{decode_message, encode_response};

fuzz_target!(|data: &[u8]| {
    if let Ok(message) = decode_message(data)
        && let Some(pdu) = message.pdu
        && message.version != Version::V3
    {
        let _ = encode_response(message.version, b"public", pdu.request_id, 0, 0, &pdu.varbinds);
    }
});
