//! Agents that misbehave, played by a small UDP responder: each failure must come back as
//! its own clear error naming the agent, never a hang or a panic.

use async_snmp::message::CommunityMessage;
use async_snmp::{DecodeConfig, Pdu, PduBody, StandardPduType, Value};
use bytes::Bytes;
use netops_collector::snmp::{
    AgentAddress, Credentials, Oid, RequestOptions, SnmpClient, SnmpEngine, SnmpError,
    dedicated_session, walk,
};
use std::time::Duration;
use tokio::net::UdpSocket;

#[derive(Clone, Copy)]
enum Misbehaviour {
    /// Answers GETBULK with OIDs that go backwards after the first one.
    NonIncreasing,
    /// Reads requests and never answers.
    Silent,
    /// Answers with a request-id that matches nothing.
    WrongRequestId,
    /// Answers with bytes that are not BER.
    Garbage,
}

/// Starts the responder; returns its address.
async fn spawn_agent(mode: Misbehaviour) -> String {
    let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let addr = socket.local_addr().unwrap().to_string();
    tokio::spawn(async move {
        let mut buf = vec![0u8; 65535];
        while let Ok((n, peer)) = socket.recv_from(&mut buf).await {
            let request =
                CommunityMessage::decode(Bytes::copy_from_slice(&buf[..n]), DecodeConfig::DEFAULT)
                    .expect("the client sends valid SNMP")
                    .value;
            let (request_id, _body, varbinds) =
                request.into_pdu().expect("a request PDU").into_raw_parts();
            let reply: Option<Bytes> = match mode {
                Misbehaviour::Silent => None,
                Misbehaviour::Garbage => {
                    Some(Bytes::from_static(b"\x30\x82\xff\xffthis is not SNMP"))
                }
                Misbehaviour::NonIncreasing | Misbehaviour::WrongRequestId => {
                    let root = varbinds[0].oid.clone();
                    let rows = if matches!(mode, Misbehaviour::NonIncreasing) {
                        [1, 3, 2]
                    } else {
                        [1, 2, 3]
                    };
                    let answer = rows
                        .iter()
                        .map(|i| {
                            async_snmp::VarBind::new(root.child(*i), Value::Integer(*i as i32))
                        })
                        .collect();
                    let id = if matches!(mode, Misbehaviour::WrongRequestId) {
                        request_id ^ 0x5a5a
                    } else {
                        request_id
                    };
                    let pdu = Pdu::from_raw_parts(
                        id,
                        PduBody::Standard {
                            pdu_type: StandardPduType::Response,
                            error_status: 0,
                            error_index: 0,
                        },
                        answer,
                    );
                    Some(
                        CommunityMessage::v2c("public", pdu)
                            .unwrap()
                            .encode()
                            .unwrap(),
                    )
                }
            };
            if let Some(reply) = reply {
                let _ = socket.send_to(&reply, peer).await;
            }
        }
    });
    addr
}

fn options() -> RequestOptions {
    RequestOptions {
        timeout: Duration::from_millis(200),
        retries: 1,
        max_repetitions: 10,
    }
}

async fn walk_dedicated(mode: Misbehaviour) -> (String, SnmpError) {
    let addr = spawn_agent(mode).await;
    let session = dedicated_session(
        &AgentAddress::parse(&addr).unwrap(),
        &Credentials::v2c("public"),
        options(),
    )
    .await
    .unwrap();
    let root: Oid = "1.3.6.1.2.1.2.2.1.10".parse().unwrap();
    let err = tokio::time::timeout(Duration::from_secs(10), walk(&session, &root, 10))
        .await
        .expect("never hangs")
        .expect_err("a misbehaving agent cannot give a clean walk");
    (addr, err)
}

#[tokio::test]
async fn non_increasing_oid_is_an_agent_error_naming_both_oids() {
    let (addr, err) = walk_dedicated(Misbehaviour::NonIncreasing).await;
    assert!(matches!(err, SnmpError::NonIncreasingOid { .. }), "{err}");
    assert_eq!(
        err.to_string(),
        format!(
            "{addr}: agent error: OID not increasing during walk: 1.3.6.1.2.1.2.2.1.10.2 came after 1.3.6.1.2.1.2.2.1.10.3"
        )
    );
}

#[tokio::test]
async fn silent_agent_times_out_after_the_retries() {
    let (addr, err) = walk_dedicated(Misbehaviour::Silent).await;
    assert_eq!(
        err.to_string(),
        format!(
            "{addr}: timeout: no response after 2 attempt(s) of 0.2s (agent down, wrong port, or wrong community?)"
        )
    );
}

#[tokio::test]
async fn wrong_request_id_is_reported_as_unmatched_replies() {
    let (addr, err) = walk_dedicated(Misbehaviour::WrongRequestId).await;
    assert!(matches!(err, SnmpError::Timeout { .. }), "{err}");
    let msg = err.to_string();
    assert!(msg.starts_with(&format!("{addr}: timeout")), "{msg}");
    assert!(
        msg.contains("did not match the request (wrong request-id"),
        "{msg}"
    );
}

#[tokio::test]
async fn garbage_replies_are_reported_as_unparseable() {
    let (addr, err) = walk_dedicated(Misbehaviour::Garbage).await;
    assert!(matches!(err, SnmpError::Timeout { .. }), "{err}");
    let msg = err.to_string();
    assert!(msg.starts_with(&format!("{addr}: timeout")), "{msg}");
    assert!(msg.contains("could not be parsed"), "{msg}");
}

/// On the shared socket the other agents keep working while one sends garbage.
#[tokio::test]
async fn shared_socket_survives_garbage_from_one_agent() {
    let engine = SnmpEngine::new().await.unwrap();
    let bad = spawn_agent(Misbehaviour::Garbage).await;
    let silent = spawn_agent(Misbehaviour::Silent).await;
    let good = spawn_agent(Misbehaviour::NonIncreasing).await;
    let oid: Oid = "1.3.6.1.2.1.1.3".parse().unwrap();
    let creds = Credentials::v2c("public");
    let s_bad = engine
        .session(&AgentAddress::parse(&bad).unwrap(), &creds, options())
        .await
        .unwrap();
    let s_silent = engine
        .session(&AgentAddress::parse(&silent).unwrap(), &creds, options())
        .await
        .unwrap();
    let s_good = engine
        .session(&AgentAddress::parse(&good).unwrap(), &creds, options())
        .await
        .unwrap();
    let (a, b, c) = tokio::join!(
        s_bad.get_next(std::slice::from_ref(&oid)),
        s_silent.get_next(std::slice::from_ref(&oid)),
        s_good.get_bulk(std::slice::from_ref(&oid), 0, 3),
    );
    assert!(matches!(a, Err(SnmpError::Timeout { .. })), "{a:?}");
    assert!(matches!(b, Err(SnmpError::Timeout { .. })), "{b:?}");
    assert_eq!(c.expect("the good agent answers").len(), 3);
}
