//! Registering a socket2 socket with tokio's reactor.
//!
//! Since tokio 1.54 `AsyncFd::new` is deprecated and `AsyncFd::register` is `unsafe`: the
//! caller must promise that `as_raw_fd()` names the same open file description for the
//! whole life of the `AsyncFd`. That is the one `unsafe` block of the crate, hence the
//! module-level allow; the promise holds because `socket2::Socket` owns its descriptor (an
//! `OwnedFd` inside), never replaces it, and closes it only when dropped — which happens
//! after the `AsyncFd` that owns the socket deregisters it.
#![allow(unsafe_code)]

use socket2::Socket;
use tokio::io::unix::AsyncFd;

pub fn register(socket: Socket) -> std::io::Result<AsyncFd<Socket>> {
    // SAFETY: see the module comment; `socket` is moved into the AsyncFd, which owns it.
    unsafe { AsyncFd::register(socket) }.map_err(std::io::Error::from)
}
