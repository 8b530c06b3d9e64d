//! The error every fallible function here returns. It lives below everything else so that the argument
//! readers in `rapi` and the guard that raises it in R both depend on it, not on each other. The runtime's
//! errors already word their messages for the R user, so each converts by its `Display`; what it adds is
//! the condition class R code can catch (`lazyshare_too_big`, `lazyshare_page_not_found`, ...), every one
//! also a `lazyshare_error`. An interrupted pass is not an error at all: the guard signals R's own
//! `interrupt` condition for it.

use lazyshare_runtime::config::ConfigError;
use lazyshare_runtime::exec::ExecError;
use lazyshare_runtime::graph::GraphError;
use lazyshare_runtime::pages::PageError;
use lazyshare_runtime::plan::PlanError;
use lazyshare_runtime::stats::mi::MiError;
use lazyshare_runtime::stats::pde::PdeError;

/// What went wrong, as R code tells errors apart: the condition class after `lazyshare_`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An argument has the wrong type, shape or value.
    BadArgument,
    /// A namespace or variable name breaks the naming rule (also a `lazyshare_bad_argument`).
    BadName,
    /// A result would exceed `max_materialize`.
    TooBig,
    /// No such page, or no view of it here.
    PageNotFound,
    /// The name is registered already.
    NameTaken,
    /// Only the page's owner may do this.
    NotOwner,
    /// /dev/shm has too little room.
    NoSpace,
    /// A page's contents cannot be trusted.
    CorruptPage,
    /// The system refused a shared-memory operation.
    System,
    /// `lazy_explain()` stopped the computation on purpose.
    ExplainOnly,
    /// A bug in lazyshare (a Rust panic).
    Internal,
    /// The user pressed Ctrl-C: signalled as R's `interrupt`, not as an error.
    Interrupt,
}

impl Kind {
    /// The specific condition class.
    pub fn class(self) -> &'static str {
        match self {
            Kind::BadArgument => "lazyshare_bad_argument",
            Kind::BadName => "lazyshare_bad_name",
            Kind::TooBig => "lazyshare_too_big",
            Kind::PageNotFound => "lazyshare_page_not_found",
            Kind::NameTaken => "lazyshare_name_taken",
            Kind::NotOwner => "lazyshare_not_owner",
            Kind::NoSpace => "lazyshare_no_space",
            Kind::CorruptPage => "lazyshare_corrupt_page",
            Kind::System => "lazyshare_system",
            Kind::ExplainOnly => "lazyshare_explain_only",
            Kind::Internal => "lazyshare_internal",
            Kind::Interrupt => "interrupt",
        }
    }
}

/// A message for the R user and its kind, raised in R by `guard` once every Rust value is dropped.
#[derive(Debug)]
pub struct RError {
    kind: Kind,
    msg: String,
}

impl RError {
    /// An argument error: what most checks in this crate find.
    pub fn new(msg: impl Into<String>) -> RError {
        RError::of(Kind::BadArgument, msg)
    }

    pub fn of(kind: Kind, msg: impl Into<String>) -> RError {
        RError {
            kind,
            msg: msg.into(),
        }
    }

    pub fn into_parts(self) -> (Kind, String) {
        (self.kind, self.msg)
    }
}

pub type RResult<T> = Result<T, RError>;

fn page_kind(e: &PageError) -> Kind {
    match e {
        PageError::BadName { .. } | PageError::NameTooLong { .. } => Kind::BadName,
        PageError::Exists { .. } => Kind::NameTaken,
        PageError::NotFound { .. } | PageError::NotReady { .. } | PageError::NoView { .. } => {
            Kind::PageNotFound
        }
        PageError::NotOwner { .. } | PageError::NotOurs { .. } => Kind::NotOwner,
        PageError::Corrupt { .. } | PageError::Replaced { .. } => Kind::CorruptPage,
        PageError::NoSpace { .. } => Kind::NoSpace,
        PageError::Io { .. } => Kind::System,
    }
}

fn plan_kind(e: &PlanError) -> Kind {
    match e {
        PlanError::Graph(_) => Kind::BadArgument,
        PlanError::Exec(ExecError::Interrupted) => Kind::Interrupt,
        PlanError::ExplainOnly => Kind::ExplainOnly,
        PlanError::TooBig { .. } => Kind::TooBig,
    }
}

macro_rules! from_display {
    ($($t:ty => $kind:expr),* $(,)?) => {
        $(impl From<$t> for RError {
            fn from(e: $t) -> RError {
                #[allow(clippy::redundant_closure_call)]
                let kind = ($kind)(&e);
                RError::of(kind, e.to_string())
            }
        })*
    };
}

from_display!(
    ConfigError => |_: &ConfigError| Kind::BadArgument,
    GraphError => |_: &GraphError| Kind::BadArgument,
    PageError => page_kind,
    PlanError => plan_kind,
    MiError => |_: &MiError| Kind::BadArgument,
    PdeError => |_: &PdeError| Kind::BadArgument,
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_keep_their_message_and_get_their_class() {
        let (kind, msg) = RError::from(PlanError::Exec(ExecError::Interrupted)).into_parts();
        assert_eq!(
            (kind.class(), msg.as_str()),
            ("interrupt", "computation interrupted by the user")
        );
        let too_big = PlanError::TooBig {
            what: "matrix".into(),
            bytes: 1 << 40,
            limit: 1 << 30,
        };
        assert_eq!(RError::from(too_big).into_parts().0, Kind::TooBig);
        let missing = PageError::NotFound {
            ns: "ns".into(),
            var: "X".into(),
            holds: vec![],
        };
        let (kind, msg) = RError::from(missing).into_parts();
        assert_eq!(kind.class(), "lazyshare_page_not_found");
        assert!(msg.contains("variable 'X' not found in namespace 'ns'"));
        assert_eq!(
            RError::new("`x` must be numeric").into_parts().0,
            Kind::BadArgument
        );
    }
}
