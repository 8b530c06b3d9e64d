//! Cutting a pass into chunks. The cut depends only on the domain and the target size (`chunk_rows`),
//! never on the thread count, so that the lanes of `run` fold the same elements in the same order on
//! every machine.

use crate::kernel::Domain;

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
}

/// The chunks of a full pass over `d`: about `target` elements each, and (where columns are shorter than
/// that) at least `min_cols` columns each. Kernels with row sums ask for wide chunks, since each chunk ends
/// by flushing its row partials: wide chunks amortise that over many columns.
pub fn chunks(d: Domain, target: u64, min_cols: u64) -> Vec<Chunk> {
    let target = target.max(1);
    let mut out = Vec::new();
    if d.rows == 0 || d.cols == 0 {
        return out;
    }
    let column_len = |j: u64| if d.symmetric { j + 1 } else { d.rows };
    let mut j = 0;
    while j < d.cols {
        let len = column_len(j);
        if len >= target {
            let mut i = 0;
            while i < len {
                let i1 = (i + target).min(len);
                out.push(Chunk {
                    j0: j,
                    j1: j + 1,
                    i0: i,
                    i1,
                });
                i = i1;
            }
            j += 1;
        } else {
            let j0 = j;
            let mut total = 0;
            while j < d.cols
                && (total + column_len(j) <= target.max(column_len(j0)) || j - j0 < min_cols)
            {
                total += column_len(j);
                j += 1;
            }
            out.push(Chunk {
                j0,
                j1: j,
                i0: 0,
                i1: d.rows,
            });
        }
    }
    out
}

/// The chunks covering column-major positions `start..start + len` of a non-symmetric grid.
pub fn range_chunks(d: Domain, start: u64, len: u64) -> Vec<Chunk> {
    let mut out = Vec::new();
    let (mut k, end) = (start, start + len);
    while k < end && d.rows > 0 {
        let (i, j) = (k % d.rows, k / d.rows);
        if i == 0 && end - k >= d.rows {
            let full = ((end - k) / d.rows).min(d.cols - j);
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

    #[test]
    fn chunks_cover_every_element_once() {
        for (rows, cols, sym, target) in [
            (10, 10, false, 7),
            (10, 10, true, 7),
            (1000, 3, false, 256),
            (5, 1, false, 64),
            (33, 33, true, 100),
            (1, 9, false, 4),
        ] {
            let d = Domain {
                rows,
                cols,
                symmetric: sym,
            };
            let cs = chunks(d, target, 1);
            let wide = chunks(d, target, 4);
            assert_eq!(covered(d, &wide), covered(d, &cs));
            let got = covered(d, &cs);
            let mut want: Vec<(u64, u64)> = (0..cols)
                .flat_map(|j| {
                    (0..rows)
                        .filter(move |&i| !sym || i <= j)
                        .map(move |i| (i, j))
                })
                .collect();
            want.sort();
            assert_eq!(got, want, "{rows}x{cols} sym={sym}");
            assert_eq!(cs.iter().map(|c| c.visited(sym)).sum::<u64>(), d.visited());
        }
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
