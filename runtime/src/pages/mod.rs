//! Shared pages: variables written once into POSIX shared memory by one process and mapped read-only,
//! without copies, by any number of others. See ARCHITECTURE.md, "The two data flows".

mod error;
mod header;
mod name;
mod owner;
mod page;
mod private;
mod registry;
mod segment;
mod sweep;

pub use error::{gib, shown_name, NameKind, PageError, Result};
pub use header::{ArraySpec, DType, Entry, Header, Kind, PageSpec};
pub use name::{validate_part, NameProblem, PageName, MAX_SHM_NAME, NAME_RULE};
pub use owner::Owner;
pub use page::{namespace_vars, OwnedPage, Page, PageId, PageWriter};
pub use private::PrivateArray;
pub use registry::Registry;
pub use segment::{Foreign, SHM_DIR};
pub use sweep::sweep;
