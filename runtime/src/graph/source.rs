//! Data at the leaves of a graph. A source borrows memory it does not own (an R vector, a shared page) and
//! keeps its owner alive through `keepalive`; or it owns a buffer (a materialised intermediate). Sources
//! never change after creation: the R layer marks borrowed R vectors immutable.

use std::any::Any;
use std::sync::OnceLock;

/// Whatever keeps borrowed memory valid; dropped when the last graph node using it goes.
pub trait Keepalive: Any + Send + Sync {}

enum Storage {
    Owned(Box<[f64]>),
    Borrowed {
        ptr: *const f64,
        len: usize,
        _owner: Box<dyn Keepalive>,
    },
}

// SAFETY: the borrowed memory is immutable for the source's lifetime (the R layer guarantees it) and its
// owner is Send + Sync; owned data is a plain boxed slice.
unsafe impl Send for Storage {}
// SAFETY: as above; only shared reads ever happen.
unsafe impl Sync for Storage {}

/// What a scan of the data found, used to prove results finite without a pass.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Extent {
    pub all_finite: bool,
    /// Largest |value| and smallest value; meaningful only when `all_finite`.
    pub max_abs: f64,
    pub min: f64,
}

pub struct Source {
    storage: Storage,
    extent: OnceLock<Extent>,
}

impl std::fmt::Debug for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Source({} values at {:p})",
            self.len(),
            self.values().as_ptr()
        )
    }
}

impl Source {
    pub fn owned(values: Vec<f64>) -> Source {
        Source {
            storage: Storage::Owned(values.into_boxed_slice()),
            extent: OnceLock::new(),
        }
    }

    /// Borrows `len` doubles at `ptr`.
    ///
    /// # Safety
    /// The memory must stay valid and unchanged while `owner` lives.
    pub unsafe fn borrowed(ptr: *const f64, len: usize, owner: Box<dyn Keepalive>) -> Source {
        Source {
            storage: Storage::Borrowed {
                ptr,
                len,
                _owner: owner,
            },
            extent: OnceLock::new(),
        }
    }

    pub fn values(&self) -> &[f64] {
        match &self.storage {
            Storage::Owned(v) => v,
            Storage::Borrowed { len: 0, .. } => &[],
            // SAFETY: guaranteed by the contract of `borrowed`.
            Storage::Borrowed { ptr, len, .. } => unsafe { std::slice::from_raw_parts(*ptr, *len) },
        }
    }

    pub fn len(&self) -> usize {
        self.values().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Finiteness and magnitude of the data, scanned once.
    pub fn extent(&self) -> Extent {
        *self.extent.get_or_init(|| {
            let v = self.values();
            let all_finite = crate::pool::install(|| {
                use rayon::prelude::*;
                v.par_chunks(crate::summary::CHUNK)
                    .all(|c| c.iter().all(|x| x.is_finite()))
            });
            let (max_abs, min) = if all_finite {
                v.iter().fold((0.0f64, f64::INFINITY), |(m, lo), x| {
                    (m.max(x.abs()), lo.min(*x))
                })
            } else {
                (f64::INFINITY, f64::NEG_INFINITY)
            };
            Extent {
                all_finite,
                max_abs,
                min,
            }
        })
    }

    /// Identity of the data, for hash-consing: two sources over the same memory are the same source.
    pub fn address(&self) -> (usize, usize) {
        (self.values().as_ptr() as usize, self.len())
    }
}
