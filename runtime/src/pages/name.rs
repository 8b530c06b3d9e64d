//! Names of pages. A page of variable `var` in namespace `ns` lives at `/lzs.<uid>.<ns>.<var>`; the uid keeps
//! users apart. Names are restricted to ASCII letters, digits, '.', '_' and '-' (what R users name
//! variables and memshare's examples use): no '/' or ".." that could reach outside /dev/shm, no NUL,
//! nothing a terminal or another locale would show differently. The one character with a meaning of its
//! own, the '.' that separates the parts, is written as `%2E` inside a part, so that every pair of names
//! maps to exactly one shared-memory name and back.

use std::fmt;

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
    // SAFETY: geteuid has no preconditions and cannot fail. The effective uid: the one that owns the files
    // this process creates.
    let uid = unsafe { libc::geteuid() };
    format!("{PREFIX}.{uid}.")
}

/// The prefix of every page of this user in namespace `ns`.
pub fn namespace_prefix(ns: &str) -> String {
    format!("{}{}.", user_prefix(), encode(ns))
}

/// What names may be, as error messages and help pages say it.
pub const NAME_RULE: &str =
    "names are ASCII letters, digits, '.', '_' and '-', not \".\" and without \"..\"";

/// Why a string is not a valid name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameProblem {
    Empty,
    Slash,
    Nul,
    NonAscii(char),
    Other(char),
    Dot,
    DotDot,
}

impl fmt::Display for NameProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NameProblem::Empty => f.write_str("is empty"),
            NameProblem::Slash => f.write_str("contains '/'"),
            NameProblem::Nul => f.write_str("contains a NUL byte"),
            NameProblem::NonAscii(c) => write!(f, "contains the non-ASCII character {c:?}"),
            NameProblem::Other(c) => write!(f, "contains {c:?}"),
            NameProblem::Dot => f.write_str("is \".\""),
            NameProblem::DotDot => f.write_str("contains \"..\""),
        }
    }
}

/// Checks one part of a name (a namespace or a variable name) against `NAME_RULE`.
pub(crate) fn check_part(s: &str) -> std::result::Result<(), NameProblem> {
    if s.is_empty() {
        return Err(NameProblem::Empty);
    }
    if let Some(c) = s
        .chars()
        .find(|&c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
    {
        return Err(match c {
            '/' => NameProblem::Slash,
            '\0' => NameProblem::Nul,
            c if !c.is_ascii() => NameProblem::NonAscii(c),
            c => NameProblem::Other(c),
        });
    }
    if s == "." {
        return Err(NameProblem::Dot);
    }
    if s.contains("..") {
        return Err(NameProblem::DotDot);
    }
    Ok(())
}

/// Checks one part of a name, its length included: it must leave room for the other part.
pub fn validate_part(kind: NameKind, s: &str) -> Result<()> {
    check_part(s).map_err(|problem| PageError::BadName {
        kind,
        name: s.to_string(),
        problem,
    })?;
    let len = user_prefix().len() + encode(s).len() + 2;
    if len > MAX_SHM_NAME {
        return Err(PageError::NameTooLong {
            kind,
            name: s.to_string(),
            len,
            max: MAX_SHM_NAME,
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

    fn problem(ns: &str, var: &str) -> Option<(NameKind, NameProblem)> {
        match PageName::new(ns, var) {
            Err(PageError::BadName { kind, problem, .. }) => Some((kind, problem)),
            _ => None,
        }
    }

    #[test]
    fn encoding_round_trips_and_is_unambiguous() {
        let a = PageName::new("a.b", "c").unwrap();
        let b = PageName::new("a", "b.c").unwrap();
        assert_ne!(a.shm(), b.shm());
        assert!(a.shm().ends_with("a%2Eb.c"));
        for (ns, var) in [
            ("ns", "X"),
            ("my_ns", "x.1"),
            ("ns_viewL", "mat"),
            ("a-b_c", "Z"),
            (".hidden", "v.1.2"),
            ("lzs_apply_1_2", "lzs_X_3"),
        ] {
            let n = PageName::new(ns, var).unwrap();
            let back = PageName::from_shm_file(n.shm()).unwrap();
            assert_eq!((back.ns(), back.var()), (ns, var));
        }
    }

    #[test]
    fn names_outside_the_rule_are_refused_with_the_reason() {
        use NameKind::{Namespace, Variable};
        assert_eq!(problem("", "x"), Some((Namespace, NameProblem::Empty)));
        assert_eq!(problem("ns", ""), Some((Variable, NameProblem::Empty)));
        assert_eq!(problem("a/b", "x"), Some((Namespace, NameProblem::Slash)));
        assert_eq!(problem("ns", "/etc"), Some((Variable, NameProblem::Slash)));
        assert_eq!(problem("..", "x"), Some((Namespace, NameProblem::DotDot)));
        assert_eq!(problem("ns", "a..b"), Some((Variable, NameProblem::DotDot)));
        assert_eq!(problem(".", "x"), Some((Namespace, NameProblem::Dot)));
        assert_eq!(problem("ns", "a\0b"), Some((Variable, NameProblem::Nul)));
        assert_eq!(
            problem("ü", "x"),
            Some((Namespace, NameProblem::NonAscii('ü')))
        );
        assert_eq!(
            problem("ns", "名前"),
            Some((Variable, NameProblem::NonAscii('名')))
        );
        for c in [' ', '%', '\\', '\n', '*', '\u{7f}'] {
            assert_eq!(
                problem("ns", &format!("a{c}")),
                Some((Variable, NameProblem::Other(c)))
            );
        }
        let msg = PageName::new("ns", "a/b").unwrap_err().to_string();
        assert!(
            msg.starts_with("variable name \"a/b\" contains '/'; names are ASCII letters"),
            "{msg}"
        );
    }

    #[test]
    fn long_names_are_refused_and_shown_cut_short() {
        let long = "v".repeat(300);
        match PageName::new("ns", &long) {
            Err(PageError::NameTooLong { kind, len, .. }) => {
                assert_eq!(kind, NameKind::Variable);
                assert!(len > MAX_SHM_NAME);
            }
            other => panic!("expected NameTooLong, got {other:?}"),
        }
        let huge = "n".repeat(10 * 1024);
        let err = PageName::new(&huge, "x").unwrap_err();
        assert!(matches!(
            err,
            PageError::NameTooLong {
                kind: NameKind::Namespace,
                ..
            }
        ));
        let msg = err.to_string();
        assert!(msg.len() < 300 && msg.contains("(10240 bytes)"), "{msg}");
        // Dots count thrice: 100 of them do not fit beside the prefix and another name.
        assert!(matches!(
            PageName::new(&"a.".repeat(50), &"b".repeat(60)),
            Err(PageError::NameTooLong { .. })
        ));
    }

    /// A file in /dev/shm is one of our pages only if its name decodes to valid names: a page name made by
    /// hand with an encoded '/', NUL, ".." or non-ASCII byte is not.
    #[test]
    fn shm_files_with_forbidden_names_are_not_pages() {
        let p = user_prefix();
        for bad in [
            "ns.a%2Fb",
            "ns.a%00b",
            "%2E%2E.x",
            "ns.%2E",
            "ns.%C3%BC",
            "ns.a%20b",
            "ns.%ZZ",
            "ns.a%2",
            "ns.%FF",
            "ns",
            ".x",
        ] {
            assert!(
                PageName::from_shm_file(&format!("{p}{bad}")).is_none(),
                "{bad}"
            );
        }
        assert!(PageName::from_shm_file("lzs.0.x").is_none());
        assert!(PageName::from_shm_file("other").is_none());
        assert!(PageName::from_shm_file(&format!("{p}ns.a%2Eb")).is_some());
        // Only the canonical encoding names a page: "%41" is not how 'A' is written.
        assert!(PageName::from_shm_file(&format!("{p}ns.%41")).is_none());
    }
}
