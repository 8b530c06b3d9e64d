//! Names of pages. A page of variable `var` in namespace `ns` lives at `/lzs.<uid>.<ns>.<var>`; the uid keeps
//! users apart, and `ns`/`var` are percent-encoded so that any R name maps to exactly one valid,
//! unambiguous shared-memory name (the `.` separators never occur inside an encoded part).

use super::error::{NameKind, PageError, Result};

/// The longest file name the shared-memory file system accepts (NAME_MAX on Linux tmpfs).
pub const MAX_SHM_NAME: usize = 255;

const PREFIX: &str = "lzs";

/// A validated (namespace, variable) pair and its shared-memory name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PageName {
    ns: String,
    var: String,
    shm: String,
}

impl PageName {
    pub fn new(ns: &str, var: &str) -> Result<PageName> {
        validate_part(NameKind::Namespace, ns)?;
        validate_part(NameKind::Variable, var)?;
        let shm = format!("{}{}.{}", user_prefix(), encode(ns), encode(var));
        if shm.len() > MAX_SHM_NAME {
            let kind = if encode(ns).len() > encode(var).len() {
                NameKind::Namespace
            } else {
                NameKind::Variable
            };
            let name = if kind == NameKind::Namespace { ns } else { var };
            return Err(PageError::NameTooLong {
                kind,
                name: name.to_string(),
                len: shm.len(),
                max: MAX_SHM_NAME,
            });
        }
        Ok(PageName {
            ns: ns.to_string(),
            var: var.to_string(),
            shm,
        })
    }

    /// The page name of a file found in the shared-memory directory, if it is one of this user's pages.
    pub fn from_shm_file(file: &str) -> Option<PageName> {
        let rest = file.strip_prefix(&user_prefix())?;
        let (ns, var) = rest.split_once('.')?;
        let name = PageName::new(&decode(ns)?, &decode(var)?).ok()?;
        (name.shm == file).then_some(name)
    }

    pub fn ns(&self) -> &str {
        &self.ns
    }

    pub fn var(&self) -> &str {
        &self.var
    }

    /// The name without the leading '/', as it appears in the shared-memory directory.
    pub fn shm(&self) -> &str {
        &self.shm
    }

    /// `<ns>.<var>`, the form memshare's pageList/viewList print.
    pub fn display(&self) -> String {
        format!("{}.{}", self.ns, self.var)
    }
}

/// `lzs.<uid>.`: every page of this user starts with it.
pub fn user_prefix() -> String {
    // SAFETY: getuid has no preconditions and cannot fail.
    let uid = unsafe { libc::getuid() };
    format!("{PREFIX}.{uid}.")
}

/// The prefix of every page of this user in namespace `ns`.
pub fn namespace_prefix(ns: &str) -> String {
    format!("{}{}.", user_prefix(), encode(ns))
}

fn validate_part(kind: NameKind, s: &str) -> Result<()> {
    if s.is_empty() {
        return Err(PageError::EmptyName { kind });
    }
    if s.contains('/') {
        return Err(PageError::SlashInName {
            kind,
            name: s.to_string(),
        });
    }
    Ok(())
}

fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b == b'_' || b == b'-' {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoding_round_trips_and_is_unambiguous() {
        let a = PageName::new("a.b", "c").unwrap();
        let b = PageName::new("a", "b.c").unwrap();
        assert_ne!(a.shm(), b.shm());
        assert!(a.shm().ends_with("a%2Eb.c"));
        for (ns, var) in [("ns", "X"), ("my ns", "x.1"), ("ü", "%41"), ("a-b_c", "Z")] {
            let n = PageName::new(ns, var).unwrap();
            let back = PageName::from_shm_file(n.shm()).unwrap();
            assert_eq!((back.ns(), back.var()), (ns, var));
        }
    }

    #[test]
    fn invalid_names_are_refused() {
        assert!(matches!(
            PageName::new("", "x"),
            Err(PageError::EmptyName {
                kind: NameKind::Namespace
            })
        ));
        assert!(matches!(
            PageName::new("a/b", "x"),
            Err(PageError::SlashInName { .. })
        ));
        assert!(matches!(
            PageName::new("ns", ""),
            Err(PageError::EmptyName {
                kind: NameKind::Variable
            })
        ));
        let long = "v".repeat(300);
        match PageName::new("ns", &long) {
            Err(PageError::NameTooLong { kind, len, .. }) => {
                assert_eq!(kind, NameKind::Variable);
                assert!(len > MAX_SHM_NAME);
            }
            other => panic!("expected NameTooLong, got {other:?}"),
        }
        assert!(PageName::from_shm_file("lzs.0.x").is_none());
        assert!(PageName::from_shm_file("other").is_none());
    }
}
