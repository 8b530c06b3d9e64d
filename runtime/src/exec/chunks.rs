//! Cutting a pass. A full pass is cut into fold units fixed by the domain alone (`Domain::unit_cols`,
//! `Domain::unit_rows`): each unit is folded whole into one lane, so every partial sum groups the same
//! elements on every machine, whatever the thread count or tile size. A unit is walked in tiles of rows
//! (`chunk_rows`, sized from the cache) so that the rows' inputs and partial sums stay in cache while its
//! columns pass over them; tiles start at multiples of `BLOCK_ROWS` and so regroup nothing.

use crate::kernel::{Domain, BLOCK_ROWS};

/// A rectangle of the grid: columns `j0..j1`, rows `i0..i1` of each (clipped to `i <= j` when symmetric).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chunk {
    pub j0: u64,
    pub j1: u64,
    pub i0: u64,
    pub i1: u64,
}

impl Chunk {
    pub fn visited(&self, symmetric: bool) -> u64 {
        (self.j0..self.j1)
            .map(|j| {
                let hi = if symmetric {
                    self.i1.min(j + 1)
                } else {
                    self.i1
                };
                hi.saturating_sub(self.i0)
            })
            .sum()
    }

    /// This unit's tiles, in row order: its whole width, rows cut at multiples of `tile_rows` (rounded
    /// up to whole blocks). A symmetric unit's rows end at its last column's diagonal. A unit of one
    /// column is one tile: no other column comes back to its rows, so there is nothing to keep in cache.
    pub fn tiles(&self, d: Domain, tile_rows: u64) -> impl Iterator<Item = Chunk> + '_ {
        let tile_rows = if self.j1 - self.j0 <= 1 {
            u64::MAX
        } else {
            tile_rows
        };
        let step = tile_rows
            .max(1)
            .div_ceil(BLOCK_ROWS)
            .saturating_mul(BLOCK_ROWS);
        let end = if d.symmetric {
            self.i1.min(self.j1)
        } else {
            self.i1
        };
        let mut i = self.i0;
        std::iter::from_fn(move || {
            if i >= end {
                return None;
            }
            let next = (i / step).saturating_add(1).saturating_mul(step).min(end);
            let t = Chunk {
                i0: i,
                i1: next,
                ..*self
            };
            i = next;
            Some(t)
        })
    }
}

/// The fold units of a full pass over `d`, in their fixed order: column blocks of `unit_cols`, each cut
/// into row groups of `unit_rows` (a symmetric block only down to its diagonal).
pub fn units(d: Domain) -> Vec<Chunk> {
    let mut out = Vec::new();
    if d.rows == 0 || d.cols == 0 {
        return out;
    }
    let (w, h) = (d.unit_cols(), d.unit_rows());
    let mut j0 = 0;
    while j0 < d.cols {
        let j1 = (j0 + w).min(d.cols);
        let rows = if d.symmetric { j1.min(d.rows) } else { d.rows };
        let mut i0 = 0;
        while i0 < rows {
            let i1 = (i0 + h).min(d.rows);
            out.push(Chunk { j0, j1, i0, i1 });
            i0 = i1;
        }
        j0 = j1;
    }
    out
}

/// The chunks covering column-major positions `start..start + len` of a non-symmetric grid, each a unit
/// of its own (for stores and regions, whose values do not depend on how they are grouped).
pub fn range_chunks(d: Domain, start: u64, len: u64) -> Vec<Chunk> {
    let mut out = Vec::new();
    let (mut k, end) = (start, start + len);
    while k < end && d.rows > 0 {
        let (i, j) = (k % d.rows, k / d.rows);
        if i == 0 && end - k >= d.rows {
            let full = ((end - k) / d.rows).min(d.cols - j).min(d.unit_cols());
            out.push(Chunk {
                j0: j,
                j1: j + full,
                i0: 0,
                i1: d.rows,
            });
            k += full * d.rows;
        } else {
            let i1 = d.rows.min(i + (end - k));
            out.push(Chunk {
                j0: j,
                j1: j + 1,
                i0: i,
                i1,
            });
            k += i1 - i;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn covered(d: Domain, cs: &[Chunk]) -> Vec<(u64, u64)> {
        let mut v: Vec<(u64, u64)> = cs
            .iter()
            .flat_map(|c| {
                (c.j0..c.j1).flat_map(move |j| {
                    let hi = if d.symmetric { c.i1.min(j + 1) } else { c.i1 };
                    (c.i0..hi).map(move |i| (i, j))
                })
            })
            .collect();
        v.sort();
        v
    }

    fn tiled(d: Domain, tile_rows: u64) -> Vec<Chunk> {
        units(d)
            .iter()
            .flat_map(|u| u.tiles(d, tile_rows))
            .collect()
    }

    #[test]
    fn tiles_of_units_cover_every_element_once() {
        for (rows, cols, sym) in [
            (10, 10, false),
            (10, 10, true),
            (1000, 3, false),
            (5, 1, false),
            (700, 700, true),
            (1, 9, false),
            (300, 1000, false),
        ] {
            let d = Domain {
                rows,
                cols,
                symmetric: sym,
            };
            let mut want: Vec<(u64, u64)> = (0..cols)
                .flat_map(|j| {
                    (0..rows)
                        .filter(move |&i| !sym || i <= j)
                        .map(move |i| (i, j))
                })
                .collect();
            want.sort();
            for tile_rows in [1, 256, 300, 1 << 30] {
                let ts = tiled(d, tile_rows);
                assert_eq!(
                    covered(d, &ts),
                    want,
                    "{rows}x{cols} sym={sym} tile {tile_rows}"
                );
                assert_eq!(ts.iter().map(|c| c.visited(sym)).sum::<u64>(), d.visited());
            }
        }
    }

    /// Units depend on the domain only, are at most `unit_cols` wide, and start at multiples of the
    /// block; tiles start at multiples of the block too, so no block of rows is ever split.
    #[test]
    fn units_and_tiles_are_aligned_to_blocks() {
        for (rows, cols, sym) in [
            (100_000, 100_000, true),
            (300_000, 1, false),
            (70_000, 500, false),
            (10, 1_000_000, false),
        ] {
            let d = Domain {
                rows,
                cols,
                symmetric: sym,
            };
            let us = units(d);
            assert!(us.iter().all(|u| u.j1 - u.j0 <= d.unit_cols()));
            assert!(us.iter().all(|u| u.i0.is_multiple_of(BLOCK_ROWS)));
            let whole: u64 = us.iter().map(|u| u.visited(sym)).sum();
            assert_eq!(whole, d.visited(), "{rows}x{cols}");
            for tile_rows in [256, 5000, 1 << 16] {
                for u in us.iter().take(50) {
                    let ts: Vec<Chunk> = u.tiles(d, tile_rows).collect();
                    assert!(ts
                        .iter()
                        .all(|t| t.i0.is_multiple_of(BLOCK_ROWS) && (t.j0, t.j1) == (u.j0, u.j1)));
                    assert_eq!(
                        ts.iter().map(|t| t.visited(sym)).sum::<u64>(),
                        u.visited(sym)
                    );
                }
            }
        }
        let long = Domain {
            rows: 300_000,
            cols: 1,
            symmetric: false,
        };
        assert_eq!(
            units(long).len(),
            5,
            "a long vector is cut into units of 2^16 rows"
        );
    }

    #[test]
    fn range_chunks_cover_exactly_the_range() {
        let d = Domain {
            rows: 7,
            cols: 5,
            symmetric: false,
        };
        for (start, len) in [(0, 35), (3, 1), (3, 20), (6, 2), (14, 14), (0, 0)] {
            let got = covered(d, &range_chunks(d, start, len));
            let want: Vec<(u64, u64)> = (start..start + len).map(|k| (k % 7, k / 7)).collect();
            let mut want = want;
            want.sort();
            assert_eq!(got, want, "{start}+{len}");
        }
    }
}
