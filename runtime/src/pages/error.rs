//! Typed errors of the pages layer. Messages name the namespace, variable and owner so that the R layer can
//! pass them on unchanged.

use std::fmt;
use std::io;

use super::owner::Owner;

/// Which of a page's two names an error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameKind {
    Namespace,
    Variable,
}

impl fmt::Display for NameKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NameKind::Namespace => "namespace",
            NameKind::Variable => "variable name",
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PageError {
    #[error("{kind} {} {problem}; {}", shown_name(.name), super::name::NAME_RULE)]
    BadName {
        kind: NameKind,
        name: String,
        problem: super::name::NameProblem,
    },
    #[error(
        "{kind} {} is too long: its shared-memory name would be {len} bytes and the system allows {max} (each '.' inside a name takes 3)",
        shown_name(.name)
    )]
    NameTooLong {
        kind: NameKind,
        name: String,
        len: usize,
        max: usize,
    },
    #[error("variable '{var}' already exists in namespace '{ns}', {}", owned_by(.owner))]
    Exists {
        ns: String,
        var: String,
        owner: Option<Owner>,
    },
    #[error("variable '{var}' not found in namespace '{ns}'; the namespace holds {}", holdings(.holds))]
    NotFound {
        ns: String,
        var: String,
        holds: Vec<String>,
    },
    #[error("variable '{var}' in namespace '{ns}' is still being registered by {owner}; retry when it is done")]
    NotReady {
        ns: String,
        var: String,
        owner: Owner,
    },
    #[error("this process holds no view of '{var}' in namespace '{ns}'; it holds {}", holdings(.holds))]
    NoView {
        ns: String,
        var: String,
        holds: Vec<String>,
    },
    #[error(
        "variable '{var}' in namespace '{ns}' is owned by {owner}; only its owner can release it"
    )]
    NotOwner {
        ns: String,
        var: String,
        owner: Owner,
    },
    #[error("page '{name}' {}; lazyshare never reads, replaces or removes it", foreign(.why))]
    NotOurs {
        name: String,
        why: super::segment::Foreign,
    },
    #[error("page '{name}' is not a valid lazyshare page: {reason}")]
    Corrupt { name: String, reason: String },
    #[error("variable '{var}' in namespace '{ns}' was released by its owner and registered again; this view refers to the old data")]
    Replaced { ns: String, var: String },
    #[error(
        "not enough shared memory for '{var}': it needs {} and {} has {} free",
        gib(*.needed),
        super::segment::SHM_DIR,
        gib(*.free)
    )]
    NoSpace { var: String, needed: u64, free: u64 },
    #[error("shared memory operation '{op}' on '{name}' failed: {source}")]
    Io {
        op: &'static str,
        name: String,
        #[source]
        source: io::Error,
    },
}

/// A name as an error message shows it: quoted with escapes, and cut short when long (a 10 KB name would
/// bury the message).
pub fn shown_name(name: &str) -> String {
    const MAX: usize = 40;
    if name.chars().count() <= MAX {
        return format!("{name:?}");
    }
    let head: String = name.chars().take(MAX).collect();
    format!("{head:?}... ({} bytes)", name.len())
}

fn holdings(names: &[String]) -> String {
    if names.is_empty() {
        "nothing".to_string()
    } else {
        names
            .iter()
            .map(|n| format!("'{n}'"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn foreign(why: &super::segment::Foreign) -> String {
    use super::segment::Foreign;
    match why {
        Foreign::User(uid) => format!(
            "belongs to user id {uid}, not to this process's user ({})",
            // SAFETY: geteuid has no preconditions and cannot fail.
            unsafe { libc::geteuid() }
        ),
        Foreign::NotAFile => "is not a regular file".to_string(),
    }
}

fn owned_by(owner: &Option<Owner>) -> String {
    match owner {
        Some(o) => format!("owned by {o}"),
        None => "owned by another process".to_string(),
    }
}

/// Sizes in messages are for people deciding what to free, so GiB with two decimals (MiB, or KiB, when
/// small: a full /dev/shm must not read as "needs 0.0 MiB and has 0.0 MiB free").
pub fn gib(bytes: u64) -> String {
    let b = bytes as f64;
    if b >= (1u64 << 30) as f64 {
        format!("{:.2} GiB", b / (1u64 << 30) as f64)
    } else if b >= (1u64 << 20) as f64 {
        format!("{:.1} MiB", b / (1u64 << 20) as f64)
    } else {
        format!("{:.1} KiB", b / 1024.0)
    }
}

pub type Result<T> = std::result::Result<T, PageError>;

#[cfg(test)]
mod tests {
    use super::gib;

    #[test]
    fn sizes_keep_a_significant_digit() {
        assert_eq!(gib(3 << 30), "3.00 GiB");
        assert_eq!(gib(99 << 20), "99.0 MiB");
        assert_eq!(gib(8192), "8.0 KiB");
        assert_eq!(gib(0), "0.0 KiB");
    }
}
