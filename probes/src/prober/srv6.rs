//! SRv6 path prober: ICMPv6 echo requests carrying a Segment Routing Header (type 4) with
//! an explicit segment list, so each SRv6 policy path can be checked on its own and
//! compared with the plain path. The request visits the SIDs in order and ends at the
//! target; the target answers with a plain echo reply along its normal route.
//!
//! Sending needs a raw IPv6 socket (see [`crate::socket::raw6`] for why not IPV6_RTHDR);
//! replies arrive on a raw ICMPv6 socket of this prober's own engine.

use super::icmp::{EchoSend, echo_round};
use super::{BoxFuture, ProbePath, ProbeTarget, Prober, Protocol, RoundResult, RoundSpec};
use crate::error::ProbeError;
use crate::packet::icmp::IcmpVersion;
use crate::socket::echo::EchoEngine;
use crate::socket::icmp::{IcmpSocket, SocketKind};
use crate::socket::raw6::RawIpv6Sender;
use crate::socket::source_address_for;
use std::net::{IpAddr, Ipv6Addr};

#[derive(Debug)]
pub struct Srv6Prober {
    sids: Vec<Ipv6Addr>,
    engine: EchoEngine,
    sender: RawIpv6Sender,
}

impl Srv6Prober {
    /// `sids` in travel order, without the final target. Needs CAP_NET_RAW.
    pub fn open(sids: Vec<Ipv6Addr>) -> Result<Self, ProbeError> {
        if sids.is_empty() {
            return Err(ProbeError::BadSegments {
                segs: String::new(),
                reason: "at least one SID is needed".into(),
            });
        }
        let sender = RawIpv6Sender::open()?;
        let socket = IcmpSocket::open_kind(IcmpVersion::V6, SocketKind::Raw)?;
        Ok(Self {
            sids,
            engine: EchoEngine::with_socket(socket),
            sender,
        })
    }
}

impl Prober for Srv6Prober {
    fn protocol(&self) -> Protocol {
        Protocol::Icmp
    }

    fn path(&self) -> ProbePath {
        ProbePath::Srv6(self.sids.clone())
    }

    fn round<'a>(
        &'a self,
        target: &'a ProbeTarget,
        spec: &'a RoundSpec,
    ) -> BoxFuture<'a, Result<RoundResult, ProbeError>> {
        Box::pin(async move {
            spec.validate()?;
            let IpAddr::V6(final_dst) = target.addr else {
                return Err(ProbeError::Unsupported {
                    prober: "srv6",
                    addr: target.addr,
                    reason: "SRv6 paths end at an IPv6 address".into(),
                });
            };
            let mut travel = self.sids.clone();
            if travel.last() != Some(&final_dst) {
                travel.push(final_dst);
            }
            if travel.len() > crate::packet::srh::MAX_SEGMENTS {
                return Err(ProbeError::BadSegments {
                    segs: ProbePath::Srv6(self.sids.clone()).to_string(),
                    reason: format!(
                        "at most {} segments fit in one SRH",
                        crate::packet::srh::MAX_SEGMENTS
                    ),
                });
            }
            // The source is what the kernel would use towards the first SID: the route
            // that matters for the packet's first hop.
            let source = match source_address_for(IpAddr::V6(travel[0])) {
                Ok(IpAddr::V6(s)) => s,
                Ok(other) => {
                    return Err(ProbeError::BadTarget {
                        target: target.name.clone(),
                        reason: format!("source address {other} is not IPv6"),
                    });
                }
                Err(e) => return Err(ProbeError::io("route lookup to first SID", travel[0], e)),
            };
            let how = EchoSend::Srv6 {
                sender: &self.sender,
                source,
                travel,
                sids: self.sids.clone(),
            };
            echo_round(&self.engine, target, spec, &how).await
        })
    }
}
