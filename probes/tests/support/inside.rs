//! Running code inside a namespace from a dedicated thread: `setns` only affects the
//! calling thread, so the test's other threads stay where they are, and sockets opened by
//! `f` belong to the namespace for good.

use super::netns::Netns;
use std::fs::File;

pub trait RunInside {
    fn run_inside<T: Send + 'static>(&self, f: impl FnOnce() -> T + Send + 'static) -> T;
}

impl RunInside for Netns {
    /// Runs `f` in a fresh thread that has entered this namespace.
    fn run_inside<T: Send + 'static>(&self, f: impl FnOnce() -> T + Send + 'static) -> T {
        let path = format!("/run/netns/{}", self.name);
        std::thread::spawn(move || {
            let fd = File::open(&path).unwrap_or_else(|e| panic!("open {path}: {e}"));
            nix::sched::setns(&fd, nix::sched::CloneFlags::CLONE_NEWNET)
                .unwrap_or_else(|e| panic!("setns {path}: {e}"));
            f()
        })
        .join()
        .expect("thread inside the namespace panicked")
    }
}
