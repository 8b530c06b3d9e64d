//! The frame: the one block of memory through which generated code reads a program's data, passed by
//! pointer as the kernel function's first argument. Generated code knows the layout only as byte
//! offsets, so the offsets are derived here from the struct itself and cannot drift from it.

use std::mem::offset_of;

/// What generated code reads. `#[repr(C)]` fixes the layout; every field is one 64-bit word, since
/// codegen loads each one as an `I64`.
#[repr(C)]
pub(crate) struct Frame {
    pub(crate) data: *const *const f64,
    pub(crate) params: *const f64,
    pub(crate) lds: *const u64,
    /// Per output, `PARTS` addresses in this call's accumulators (`Layout::parts`): computed per call,
    /// so generated code holds each as one opaque pointer instead of re-deriving it at every access.
    pub(crate) parts: *const *mut f64,
    pub(crate) rows: u64,
    pub(crate) store: *mut f64,
    pub(crate) store_offset: u64,
}

// Byte offsets of the fields of `Frame`, where generated code loads them (i32: Cranelift's offset type;
// the frame is 56 bytes, so the casts are exact).
pub(crate) const F_DATA: i32 = offset_of!(Frame, data) as i32;
pub(crate) const F_PARAMS: i32 = offset_of!(Frame, params) as i32;
pub(crate) const F_LDS: i32 = offset_of!(Frame, lds) as i32;
pub(crate) const F_PARTS: i32 = offset_of!(Frame, parts) as i32;
pub(crate) const F_ROWS: i32 = offset_of!(Frame, rows) as i32;
pub(crate) const F_STORE: i32 = offset_of!(Frame, store) as i32;
pub(crate) const F_STORE_OFFSET: i32 = offset_of!(Frame, store_offset) as i32;

#[cfg(test)]
mod tests {
    use std::mem::size_of;

    use super::*;

    /// Size of the field `get` reads.
    fn width<T>(_get: fn(&Frame) -> &T) -> usize {
        size_of::<T>()
    }

    /// Guards against the constants being written by hand again: each is its field's offset.
    #[test]
    fn offsets_are_the_fields_offsets() {
        let derived = [
            (F_DATA, offset_of!(Frame, data)),
            (F_PARAMS, offset_of!(Frame, params)),
            (F_LDS, offset_of!(Frame, lds)),
            (F_PARTS, offset_of!(Frame, parts)),
            (F_ROWS, offset_of!(Frame, rows)),
            (F_STORE, offset_of!(Frame, store)),
            (F_STORE_OFFSET, offset_of!(Frame, store_offset)),
        ];
        for (constant, offset) in derived {
            assert_eq!(constant as usize, offset);
        }
    }

    /// Codegen loads every field as one 64-bit word at its constant: a narrower field would be read with
    /// its neighbour's bytes, and a field added without a constant would never be read. So every field
    /// is 8 bytes wide and the constants tile the whole frame.
    #[test]
    fn every_field_is_one_word_and_has_a_constant() {
        let widths = [
            width(|f| &f.data),
            width(|f| &f.params),
            width(|f| &f.lds),
            width(|f| &f.parts),
            width(|f| &f.rows),
            width(|f| &f.store),
            width(|f| &f.store_offset),
        ];
        assert!(widths.iter().all(|&w| w == 8), "field widths {widths:?}");
        let mut offsets = [
            F_DATA,
            F_PARAMS,
            F_LDS,
            F_PARTS,
            F_ROWS,
            F_STORE,
            F_STORE_OFFSET,
        ];
        offsets.sort_unstable();
        let tiled: Vec<i32> = (0..offsets.len() as i32).map(|k| 8 * k).collect();
        assert_eq!(offsets.to_vec(), tiled);
        assert_eq!(size_of::<Frame>(), 8 * offsets.len());
    }
}
