//! `where`: an elementwise choice between two tensors, with broadcasting.

/// `out[i] = f(c[i], a[i], b[i])` with broadcasting: each input has one
/// stride per output dim (0 where it is broadcast; missing strides count as
/// 0), and `out` is written row-major over `out_shape`.
#[allow(clippy::too_many_arguments)]
pub fn where_broadcast<C: Copy, A: Copy, B: Copy, O>(
    c: &[C],
    c_strides: &[usize],
    a: &[A],
    a_strides: &[usize],
    b: &[B],
    b_strides: &[usize],
    out: &mut [O],
    out_shape: &[usize],
    f: impl Fn(C, A, B) -> O,
) {
    let sides = Sides {
        c,
        c_strides,
        a,
        a_strides,
        b,
        b_strides,
    };
    sides.walk(0, [0; 3], out, out_shape, &f);
}

struct Sides<'x, C, A, B> {
    c: &'x [C],
    c_strides: &'x [usize],
    a: &'x [A],
    a_strides: &'x [usize],
    b: &'x [B],
    b_strides: &'x [usize],
}

impl<C: Copy, A: Copy, B: Copy> Sides<'_, C, A, B> {
    fn walk<O, F: Fn(C, A, B) -> O>(
        &self,
        dim: usize,
        at: [usize; 3],
        out: &mut [O],
        shape: &[usize],
        f: &F,
    ) {
        let s = |strides: &[usize]| strides.get(dim).copied().unwrap_or(0);
        let step = [s(self.c_strides), s(self.a_strides), s(self.b_strides)];
        match shape {
            [] => {
                if let Some(o) = out.first_mut() {
                    if let Some(v) = self.get(at, f) {
                        *o = v;
                    }
                }
            }
            [n, rest @ ..] => {
                let inner: usize = rest.iter().product();
                if inner == 0 {
                    return;
                }
                for (i, chunk) in out.chunks_exact_mut(inner).take(*n).enumerate() {
                    let next = [
                        at[0] + i * step[0],
                        at[1] + i * step[1],
                        at[2] + i * step[2],
                    ];
                    if rest.is_empty() {
                        if let (Some(o), Some(v)) = (chunk.first_mut(), self.get(next, f)) {
                            *o = v;
                        }
                    } else {
                        self.walk(dim + 1, next, chunk, rest, f);
                    }
                }
            }
        }
    }

    #[inline(always)]
    fn get<O, F: Fn(C, A, B) -> O>(&self, at: [usize; 3], f: &F) -> Option<O> {
        Some(f(
            *self.c.get(at[0])?,
            *self.a.get(at[1])?,
            *self.b.get(at[2])?,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mask_rows_against_a_scalar() {
        // cond [2, 1], a [] (a scalar), b [2, 3] -> out [2, 3].
        let cond = [true, false];
        let b = [1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0];
        let mut out = [0.0f32; 6];
        let pick = |c: bool, x: f32, y: f32| if c { x } else { y };
        where_broadcast(
            &cond,
            &[1, 0],
            &[f32::NEG_INFINITY],
            &[],
            &b,
            &[3, 1],
            &mut out,
            &[2, 3],
            pick,
        );
        let inf = f32::NEG_INFINITY;
        assert_eq!(out, [inf, inf, inf, 4.0, 5.0, 6.0]);
    }

    #[test]
    fn every_broadcast_pattern_matches_indexing() {
        // out [2, 3, 4]; each input is either full or broadcast along some dims.
        let full = [12, 4, 1];
        let patterns: [[usize; 3]; 4] = [full, [0, 4, 1], [12, 4, 0], [0, 0, 0]];
        let c: [bool; 24] = core::array::from_fn(|i| i % 3 == 0);
        let a: [i32; 24] = core::array::from_fn(|i| i as i32);
        let b: [i32; 24] = core::array::from_fn(|i| -100 - i as i32);
        for cs in &patterns {
            for as_ in &patterns {
                for bs in &patterns {
                    let mut out = [0i32; 24];
                    where_broadcast(&c, cs, &a, as_, &b, bs, &mut out, &[2, 3, 4], |k, x, y| {
                        if k {
                            x
                        } else {
                            y
                        }
                    });
                    for i in 0..2 {
                        for j in 0..3 {
                            for k in 0..4 {
                                let at = |s: &[usize; 3]| i * s[0] + j * s[1] + k * s[2];
                                let want = if c[at(cs)] { a[at(as_)] } else { b[at(bs)] };
                                assert_eq!(out[i * 12 + j * 4 + k], want);
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn short_inputs_do_not_panic() {
        let mut out = [7i32; 4];
        where_broadcast(
            &[true],
            &[1],
            &[1, 2],
            &[1],
            &[5],
            &[0],
            &mut out,
            &[4],
            |k, x, y| if k { x } else { y },
        );
        assert_eq!(out, [1, 7, 7, 7]);
    }
}
