//! Who owns a page: a pid and that process's start time. The start time tells a dead owner from a new
//! process that happens to reuse its pid, so sweeping never removes a live process's pages.

use std::fmt;
use std::fs;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Owner {
    pub pid: u32,
    /// Start time in clock ticks after boot (field 22 of /proc/PID/stat).
    pub start: u64,
}

impl Owner {
    pub fn current() -> Owner {
        let pid = std::process::id();
        Owner {
            pid,
            start: process_start(pid).unwrap_or(0),
        }
    }

    /// True while the owning process runs. A zombie counts as dead: it will never release anything.
    pub fn is_alive(&self) -> bool {
        match read_stat(self.pid) {
            Some((state, start)) => state != 'Z' && state != 'X' && start == self.start,
            None => false,
        }
    }
}

impl fmt::Display for Owner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "pid {}", self.pid)
    }
}

pub(crate) fn process_start(pid: u32) -> Option<u64> {
    read_stat(pid).map(|(_, start)| start)
}

/// (state, start time) of a process. The command name (field 2) may contain spaces and parentheses, so the
/// fields are counted from the last ')'.
fn read_stat(pid: u32) -> Option<(char, u64)> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = &stat[stat.rfind(')')? + 1..];
    let mut fields = after.split_whitespace();
    let state = fields.next()?.chars().next()?;
    // After the state (field 3) the start time is field 22, i.e. 19 fields further on.
    let start = fields.nth(18)?.parse().ok()?;
    Some((state, start))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_is_alive_and_a_different_start_is_not() {
        let me = Owner::current();
        assert!(me.start > 0);
        assert!(me.is_alive());
        let impostor = Owner {
            pid: me.pid,
            start: me.start + 1,
        };
        assert!(!impostor.is_alive());
    }

    #[test]
    fn an_exited_child_is_dead() {
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let owner = Owner {
            pid: child.id(),
            start: process_start(child.id()).unwrap_or(0),
        };
        child.wait().unwrap();
        assert!(!owner.is_alive());
    }
}
