//! The processes the tests start: a handler, stopped when the test lets go of it, and what
//! the kernel says of it.

use std::process::Child;
use std::time::{Duration, Instant};

/// A process's peak resident set (`VmHWM`), in KiB.
#[cfg(target_os = "linux")]
pub fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// A running handler process, killed when dropped.
pub struct Handler(Option<Child>);

impl From<Child> for Handler {
    fn from(child: Child) -> Self {
        Handler(Some(child))
    }
}

impl Handler {
    /// Waits for the process to exit by itself, at most `timeout`; its exit code and stderr.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<(i32, String)> {
        let deadline = Instant::now() + timeout;
        let child = self.0.as_mut().expect("running");
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                let mut stderr = String::new();
                if let Some(mut pipe) = child.stderr.take() {
                    std::io::Read::read_to_string(&mut pipe, &mut stderr).unwrap();
                }
                return Some((status.code().unwrap_or(-1), stderr));
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Stops the process and returns what it wrote to stderr.
    pub fn stop(mut self) -> String {
        let mut child = self.0.take().expect("running");
        let _ = child.kill();
        let _ = child.wait();
        let mut stderr = String::new();
        if let Some(mut pipe) = child.stderr.take() {
            std::io::Read::read_to_string(&mut pipe, &mut stderr).unwrap();
        }
        stderr
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.0.as_ref().expect("running").id()
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        self.0
            .as_mut()
            .expect("running")
            .try_wait()
            .unwrap()
            .is_none()
    }
}

impl Drop for Handler {
    fn drop(&mut self) {
        if let Some(mut child) = self.0.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
