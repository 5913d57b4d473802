//! Receiving with kernel timestamps (SO_TIMESTAMPNS).
//!
//! nix's `recvmsg` and `ControlMessageOwned::ScmTimestampns` wrap the cmsg parsing, so this
//! stays free of `unsafe`. The timestamp is CLOCK_REALTIME, stamped when the packet entered
//! the stack; the send side takes `SystemTime::now()` right before `sendto`, on the same clock.

use nix::sys::socket::{
    ControlMessageOwned, MsgFlags, SockaddrStorage, recvmsg, setsockopt, sockopt,
};
use std::io::IoSliceMut;
use std::net::IpAddr;
use std::os::fd::{AsFd, AsRawFd};
use std::time::{Duration, SystemTime};

/// Asks the kernel to attach a receive timestamp to every datagram of `fd`.
pub fn enable_rx_timestamps(fd: &impl AsFd) -> std::io::Result<()> {
    setsockopt(fd, sockopt::ReceiveTimestampns, &true).map_err(std::io::Error::from)
}

/// One received datagram.
#[derive(Debug, Clone, Copy)]
pub struct Received {
    pub len: usize,
    pub from: Option<IpAddr>,
    /// Kernel receive time, or the time of reading when the kernel attached none.
    pub at: SystemTime,
    pub kernel_timestamp: bool,
}

/// Non-blocking `recvmsg` into `buf` (returns `WouldBlock` when nothing is queued).
pub fn recv_timestamped(fd: &impl AsRawFd, buf: &mut [u8]) -> std::io::Result<Received> {
    let mut cmsg = nix::cmsg_space!(nix::sys::time::TimeSpec);
    let mut iov = [IoSliceMut::new(buf)];
    let msg = recvmsg::<SockaddrStorage>(
        fd.as_raw_fd(),
        &mut iov,
        Some(&mut cmsg),
        MsgFlags::MSG_DONTWAIT,
    )
    .map_err(std::io::Error::from)?;
    let mut at = None;
    if let Ok(cmsgs) = msg.cmsgs() {
        for c in cmsgs {
            if let ControlMessageOwned::ScmTimestampns(ts) = c {
                let secs = u64::try_from(ts.tv_sec()).unwrap_or(0);
                let nanos = u32::try_from(ts.tv_nsec()).unwrap_or(0);
                at = SystemTime::UNIX_EPOCH.checked_add(Duration::new(secs, nanos));
            }
        }
    }
    let from = msg.address.as_ref().and_then(|a| {
        a.as_sockaddr_in()
            .map(|s| IpAddr::V4(s.ip()))
            .or_else(|| a.as_sockaddr_in6().map(|s| IpAddr::V6(s.ip())))
    });
    Ok(Received {
        len: msg.bytes,
        from,
        kernel_timestamp: at.is_some(),
        at: at.unwrap_or_else(SystemTime::now),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_udp_datagram_carries_a_kernel_timestamp() {
        let rx = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        enable_rx_timestamps(&rx).unwrap();
        let tx = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let before = SystemTime::now();
        tx.send_to(b"hello", rx.local_addr().unwrap()).unwrap();
        let mut buf = [0u8; 64];
        let mut got = None;
        for _ in 0..200 {
            match recv_timestamped(&rx, &mut buf) {
                Ok(r) => {
                    got = Some(r);
                    break;
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    std::thread::sleep(Duration::from_millis(5));
                }
                Err(e) => panic!("recvmsg: {e}"),
            }
        }
        let r = got.expect("datagram");
        assert_eq!(&buf[..r.len], b"hello");
        assert!(r.kernel_timestamp, "SO_TIMESTAMPNS gave no control message");
        assert!(r.at >= before - Duration::from_millis(1));
        assert_eq!(r.from, Some("127.0.0.1".parse().unwrap()));
    }
}
