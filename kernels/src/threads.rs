//! Feature `threads`: the large kernels (1×1 convolutions and other matrix
//! products, depthwise convolutions) split their work across a pool of threads
//! built once and kept for the life of the process. Without the feature, or
//! with one thread (the default), every kernel runs on the caller's thread.
//!
//! The caller chooses the count with [`set`]; until then it is `ETCH_THREADS`
//! from the environment, else 1. Workers spin for about 200 µs after each job,
//! then sleep until the next one, so the gaps between kernels cost no wake-up.
//! Kernels hand out more parts than threads where that costs nothing, so a
//! thread that the OS has descheduled leaves its share to the others. Each
//! thread first takes the parts of its own share, a fixed run of them: kernels
//! split the same way from one layer to the next (columns of a product are the
//! pixels a depthwise band covers), so a thread mostly reads what it wrote, from
//! its own cache.
//! A call that finds the pool busy (another thread's model) runs alone.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, OnceLock};

/// 0 until [`set`] or the first query reads `ETCH_THREADS`.
static COUNT: AtomicUsize = AtomicUsize::new(0);

/// Most threads the pool takes (workers plus the caller).
pub const MAX: usize = 64;

/// Splits every large kernel after this call into `n` parts (1 to [`MAX`]),
/// run by the calling thread and `n - 1` pool threads, started on first use.
pub fn set(n: usize) {
    COUNT.store(n.clamp(1, MAX), Ordering::Relaxed);
}

/// The current count: what [`set`] chose, else `ETCH_THREADS`, else 1.
pub fn get() -> usize {
    match COUNT.load(Ordering::Relaxed) {
        0 => {
            let n = std::env::var("ETCH_THREADS").ok().and_then(|v| v.trim().parse::<usize>().ok()).unwrap_or(1);
            let n = n.clamp(1, MAX);
            COUNT.store(n, Ordering::Relaxed);
            n
        }
        n => n,
    }
}

/// Jobs handed to the pool, so tests know a kernel was split.
#[cfg(test)]
static SPLIT_JOBS: AtomicUsize = AtomicUsize::new(0);

/// A job's function with its borrow erased; only called while `run` waits.
#[derive(Clone, Copy)]
struct Task(*const (dyn Fn(usize) + Sync + 'static));

// SAFETY: the pointee is `Sync`, and `run` keeps it alive while any thread may call it.
unsafe impl Send for Task {}

struct State {
    gen: u64,
    task: Option<Task>,
    parts: usize,
    /// Shares the parts are dealt into: one per thread.
    shares: usize,
    /// Worker threads started so far.
    workers: usize,
    /// Workers waiting on `wake`; the others are spinning, and need no call.
    sleeping: usize,
}

struct Pool {
    state: Mutex<State>,
    wake: Condvar,
    /// The current job's generation, for workers spinning between jobs.
    gen: AtomicU64,
    /// Per share, the next part to claim: generation in the high 32 bits, part in the low 32.
    next: [AtomicU64; MAX],
    /// Parts not finished yet.
    left: AtomicUsize,
    /// Held by the one caller whose job the pool runs.
    caller: Mutex<()>,
}

fn pool() -> &'static Pool {
    static POOL: OnceLock<Pool> = OnceLock::new();
    POOL.get_or_init(|| Pool {
        state: Mutex::new(State { gen: 0, task: None, parts: 0, shares: 1, workers: 0, sleeping: 0 }),
        wake: Condvar::new(),
        gen: AtomicU64::new(0),
        next: [const { AtomicU64::new(0) }; MAX],
        left: AtomicUsize::new(0),
        caller: Mutex::new(()),
    })
}

impl Pool {
    /// Claims a part of job `gen`: one of share `own`'s, else of the next share
    /// with any left; None when the job has none left.
    fn claim(&self, gen: u64, parts: usize, shares: usize, own: usize) -> Option<usize> {
        for r in (own..shares).chain(0..own) {
            let end = share_start(r + 1, parts, shares);
            let next = &self.next[r];
            let mut v = next.load(Ordering::Acquire);
            loop {
                let i = (v & 0xffff_ffff) as usize;
                if v >> 32 != gen & 0xffff_ffff || i >= end {
                    break;
                }
                match next.compare_exchange_weak(v, v + 1, Ordering::AcqRel, Ordering::Acquire) {
                    Ok(_) => return Some(i),
                    Err(now) => v = now,
                }
            }
        }
        None
    }

    /// Runs the claimed parts of job `gen`, those of share `own` first.
    fn work(&self, gen: u64, task: Task, parts: usize, shares: usize, own: usize) {
        while let Some(i) = self.claim(gen, parts, shares, own % shares.max(1)) {
            // SAFETY: a part of job `gen` was claimed, so `run` for that job has not
            // returned (it waits for `left` to reach 0, which this part holds up).
            unsafe { (*task.0)(i) };
            self.left.fetch_sub(1, Ordering::AcqRel);
        }
    }

    fn worker(&'static self, own: usize) {
        let mut seen = 0u64;
        loop {
            // Spin for the next job (2^14 pauses, about 200 µs on a Xeon: the gaps
            // where a model runs small kernels on one thread; 2^11 woke the worker by
            // futex in mobilenet_v3_small), then sleep until it comes.
            let mut spins = 0u32;
            while self.gen.load(Ordering::Acquire) == seen && spins < 1 << 14 {
                core::hint::spin_loop();
                spins += 1;
            }
            let (gen, task, parts, shares) = {
                let mut s = self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                while s.gen == seen {
                    s.sleeping += 1;
                    s = self.wake.wait(s).unwrap_or_else(std::sync::PoisonError::into_inner);
                    s.sleeping -= 1;
                }
                (s.gen, s.task, s.parts, s.shares)
            };
            seen = gen;
            if let Some(task) = task {
                self.work(gen, task, parts, shares, own);
            }
        }
    }
}

/// Runs `f(0)`, …, `f(parts - 1)` on the calling thread and the pool's threads
/// (at most `get()` at a time) and returns when all are done. With one thread,
/// one part, or the pool busy with another caller's job, they run here in order.
pub fn run(parts: usize, f: &(dyn Fn(usize) + Sync)) {
    let threads = get();
    let p = pool();
    let guard = if threads > 1 && parts > 1 { p.caller.try_lock().ok() } else { None };
    let Some(_guard) = guard else {
        (0..parts).for_each(f);
        return;
    };
    // Tests force paths per thread (`cpu::portable`): the workers take the caller's.
    #[cfg(test)]
    let cap = crate::cpu::cap();
    #[cfg(test)]
    let capped = move |i: usize| crate::cpu::with_cap(cap, || f(i));
    #[cfg(test)]
    let f: &(dyn Fn(usize) + Sync) = &capped;
    // SAFETY: only the lifetime is erased; the pointer is used by `work` for
    // claimed parts of this job, and this function does not return before every
    // part is finished, after which no part of this job can be claimed.
    let task = Task(unsafe { core::mem::transmute::<*const (dyn Fn(usize) + Sync + '_), *const (dyn Fn(usize) + Sync + 'static)>(f) });
    let (gen, shares, wake) = {
        let mut s = p.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        while s.workers + 1 < threads {
            s.workers += 1;
            let own = s.workers;
            let spawned = std::thread::Builder::new().name(std::format!("etch-{}", s.workers)).spawn(move || pool().worker(own));
            if spawned.is_err() {
                s.workers -= 1;
                break;
            }
        }
        s.gen += 1;
        s.task = Some(task);
        s.parts = parts;
        s.shares = threads.min(parts);
        p.left.store(parts, Ordering::Release);
        for (r, next) in p.next.iter().enumerate().take(s.shares) {
            next.store((s.gen & 0xffff_ffff) << 32 | share_start(r, parts, s.shares) as u64, Ordering::Release);
        }
        p.gen.store(s.gen, Ordering::Release);
        (s.gen, s.shares, s.sleeping > 0)
    };
    if wake {
        p.wake.notify_all();
    }
    #[cfg(test)]
    SPLIT_JOBS.fetch_add(1, Ordering::Relaxed);
    p.work(gen, task, parts, shares, 0);
    let mut spins = 0u32;
    while p.left.load(Ordering::Acquire) != 0 {
        if spins < 1 << 12 {
            core::hint::spin_loop();
            spins += 1;
        } else {
            std::thread::yield_now();
        }
    }
    p.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner).task = None;
}

/// The first part of share `r` of `parts` dealt into `shares` runs.
fn share_start(r: usize, parts: usize, shares: usize) -> usize {
    r * parts / shares.max(1)
}

/// `0..n` as at most `parts` ranges of whole multiples of `unit` (the last may
/// end at n), their counts of units differing by one at most.
#[derive(Clone, Copy)]
pub(crate) struct Split {
    n: usize,
    unit: usize,
    units: usize,
    /// How many ranges there are.
    pub(crate) parts: usize,
}

impl Split {
    /// Beyond one part a thread, a whole number of parts a thread: each thread
    /// first takes its own share of them, so shares of 1 and 2 parts of 3 would
    /// leave one thread with twice the work.
    pub(crate) fn new(n: usize, parts: usize, unit: usize) -> Split {
        let unit = unit.max(1);
        let units = n.div_ceil(unit);
        let (parts, t) = (parts.clamp(1, units.max(1)), get());
        Split { n, unit, units, parts: if parts > t { parts / t * t } else { parts } }
    }

    /// Range `i`, as `(start, end)`.
    pub(crate) fn range(&self, i: usize) -> (usize, usize) {
        let at = |i: usize| (i * self.units / self.parts * self.unit).min(self.n);
        (at(i), at(i + 1))
    }
}

/// The fewest runs of `per` elements of `T` that fill whole 64-byte cache
/// lines: parts split at multiples of it write no line in common (of a buffer
/// that starts on one, as the generated arena's large values do).
pub(crate) fn lines<T>(per: usize) -> usize {
    let bytes = per * core::mem::size_of::<T>();
    if bytes == 0 {
        return 1;
    }
    let (mut a, mut b) = (bytes, 64);
    while b != 0 {
        (a, b) = (b, a % b);
    }
    64 / a
}

/// Runs `f(range, band)` for each range of `split` as the parts of one [`run`],
/// `band` being `out[start * per..end * per]` (cut to `out`'s length): the parts
/// write disjoint bands of one buffer.
#[allow(clippy::type_complexity)]
pub(crate) fn bands<T: Send>(out: &mut [T], split: Split, per: usize, f: &(dyn Fn((usize, usize), &mut [T]) + Sync)) {
    let len = out.len();
    let dst = Shared(out.as_mut_ptr());
    run(split.parts, &|i| {
        let (a, b) = split.range(i);
        let (lo, hi) = ((a * per).min(len), (b * per).min(len));
        // SAFETY: ranges of `split` do not overlap, so neither do the parts' bands,
        // each inside `out`, which `run` holds borrowed until every part is done.
        let band = unsafe { core::slice::from_raw_parts_mut(dst.get().add(lo), hi - lo) };
        f((a, b), band);
    });
}

/// A pointer that may cross threads: each part writes only its own range of it.
pub(crate) struct Shared<T>(pub *mut T);

// By hand: derived, they would ask `T: Copy`, and a pointer copies for any `T`.
impl<T> Clone for Shared<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for Shared<T> {}

impl<T> Shared<T> {
    /// The pointer (a method, so closures capture the wrapper, not its field).
    pub(crate) fn get(self) -> *mut T {
        self.0
    }
}

// SAFETY: used only to hand disjoint ranges of one buffer to the parts of a `run`.
unsafe impl<T> Send for Shared<T> {}
// SAFETY: as above.
unsafe impl<T> Sync for Shared<T> {}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;
    use std::vec;
    use std::vec::Vec;

    use crate::conv::depthwise::{depthwise3x3, depthwise5x5};
    use crate::conv::im2col::{conv2d_im2col, im2col_scratch, Conv2d};
    use crate::matmul::gemm::{gemm, Epilogue};
    use crate::testutil::{each_path, Lcg};

    /// The tests here change the global count: one at a time.
    pub(crate) static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

    /// `f()` with `n` threads, and whether it split any job.
    pub(crate) fn with<R>(n: usize, f: impl FnOnce() -> R) -> (R, bool) {
        set(n);
        let before = SPLIT_JOBS.load(Ordering::Relaxed);
        let r = f();
        let split = SPLIT_JOBS.load(Ordering::Relaxed) != before;
        set(1);
        (r, split)
    }

    #[test]
    fn every_part_runs_once_on_several_threads() {
        let _one = ONE_AT_A_TIME.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        for parts in [1usize, 2, 3, 7, 40] {
            let hits: Vec<AtomicUsize> = (0..parts).map(|_| AtomicUsize::new(0)).collect();
            let ((), split) = with(3, || {
                run(parts, &|i| {
                    hits[i].fetch_add(1, Ordering::Relaxed);
                })
            });
            assert!(hits.iter().all(|h| h.load(Ordering::Relaxed) == 1), "{parts} parts");
            assert_eq!(split, parts > 1, "{parts} parts");
        }
    }

    #[test]
    fn lines_fill_whole_cache_lines() {
        for (per, want) in [(28, 4), (56, 2), (196, 4), (49, 16), (16, 1), (0, 1)] {
            assert_eq!(lines::<f32>(per), want, "{per} floats");
        }
        assert_eq!(lines::<u8>(7), 64);
    }

    #[test]
    fn split_kernels_give_the_one_thread_bits() {
        let _one = ONE_AT_A_TIME.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut rng = Lcg(11);
        for &(m, k, n) in &[(16, 96, 400), (37, 64, 300), (13, 200, 210), (200, 48, 60), (20, 300, 130), (30, 16, 2000), (64, 500, 49)] {
            let (mut a, mut b, mut bias, mut res) = (vec![0.0; m * k], vec![0.0; k * n], vec![0.0; m], vec![0.0; m * n]);
            [&mut a, &mut b, &mut bias, &mut res].into_iter().for_each(|v| rng.fill(v));
            let e = Epilogue { bias: Some(&bias), clamp: Some((-1.0, 1.5)), residual: Some(&res) };
            each_path(|path| {
                let product = || {
                    let mut out = vec![f32::NAN; m * n];
                    gemm(&mut out, &a, &b, m, k, n, e);
                    out
                };
                let (want, _) = with(1, product);
                for t in [2, 3] {
                    let (got, split) = with(t, product);
                    assert!(split, "{path} {m}x{k}x{n} was not split");
                    assert!(got.iter().zip(&want).all(|(g, w)| g.to_bits() == w.to_bits()), "{path} {m}x{k}x{n}, {t} threads");
                }
            });
        }
        // Max pooling, with and without indices: ranges of planes.
        for &(planes, h, w) in &[(64, 112, 112), (7, 201, 190)] {
            let p = crate::pool::window::Pool2d {
                batch: 1, channels: planes, in_h: h, in_w: w, kernel_h: 3, kernel_w: 3, stride_h: 2, stride_w: 2,
                pad_h: 1, pad_w: 1, dilation_h: 1, dilation_w: 1, out_h: (h - 1) / 2 + 1, out_w: (w - 1) / 2 + 1,
            };
            let mut x = vec![0.0; planes * h * w];
            rng.fill(&mut x);
            let len = planes * p.out_h * p.out_w;
            for with_indices in [false, true] {
                let pool = || {
                    let (mut out, mut ix) = (vec![f32::NAN; len], vec![-1i64; len]);
                    crate::pool::window::max_pool2d(&x, &mut out, with_indices.then_some(&mut ix[..]), &p);
                    (out, ix)
                };
                let (want, _) = with(1, pool);
                let (got, split) = with(2, pool);
                assert!(split, "max pool {planes}x{h}x{w} was not split");
                assert!(want.0.iter().all(|v| !v.is_nan()));
                assert!(got.0.iter().zip(&want.0).all(|(g, w)| g.to_bits() == w.to_bits()) && got.1 == want.1, "max pool {planes}x{h}x{w}");
            }
        }
        // Elementwise maps: one range a thread (a length off the 16-element unit too).
        for n in [1 << 16, 200_003] {
            let mut x = vec![0.0; n];
            rng.fill(&mut x);
            let map = || {
                let mut out = vec![f32::NAN; n];
                crate::elementwise::unary::map(&x, &mut out, |v: f32| v * (v + 3.0).clamp(0.0, 6.0) / 6.0);
                out
            };
            let (want, _) = with(1, map);
            let (got, split) = with(2, map);
            assert!(split, "map of {n} was not split");
            assert!(want.iter().all(|v| !v.is_nan()) && got.iter().zip(&want).all(|(g, w)| g.to_bits() == w.to_bits()), "map of {n}");
        }
        // `mm` (ExecuTorch's order, no FMA): bands of rows, or of columns for one row.
        for &(m, k, n) in &[(1, 1280, 1000), (1, 700, 1030), (37, 64, 300), (3, 600, 500)] {
            let (mut a, mut b) = (vec![0.0; m * k], vec![0.0; k * n]);
            [&mut a, &mut b].into_iter().for_each(|v| rng.fill(v));
            each_path(|path| {
                let product = || {
                    let mut out = vec![f32::NAN; m * n];
                    crate::matmul::linear::mm(&mut out, &a, &b, m, k, n);
                    out
                };
                let (want, _) = with(1, product);
                let (got, split) = with(2, product);
                assert!(split, "{path} mm {m}x{k}x{n} was not split");
                assert!(got.iter().zip(&want).all(|(g, w)| g.to_bits() == w.to_bits()), "{path} mm {m}x{k}x{n}");
            });
        }
        for &(c, h, w, s, kk) in &[(32, 24, 24, 1, 3), (20, 64, 64, 2, 3), (9, 40, 40, 1, 5), (5, 80, 60, 2, 5), (64, 37, 50, 2, 3), (64, 40, 7, 1, 3), (160, 14, 14, 1, 3), (2, 20, 2100, 1, 3)] {
            let (oh, ow) = ((h - 1) / s + 1, (w - 1) / s + 1);
            let p = Conv2d {
                batch: 1, in_channels: c, in_h: h, in_w: w, out_channels: c, kernel_h: kk, kernel_w: kk, stride_h: s, stride_w: s,
                pad_h: kk / 2, pad_w: kk / 2, dilation_h: 1, dilation_w: 1, groups: c, out_h: oh, out_w: ow,
            };
            let (mut x, mut wt, mut bias) = (vec![0.0; c * h * w], vec![0.0; c * kk * kk], vec![0.0; c]);
            [&mut x, &mut wt, &mut bias].into_iter().for_each(|v| rng.fill(v));
            let e = Epilogue { bias: Some(&bias), clamp: Some((-0.5, 0.5)), residual: None };
            each_path(|path| {
                let conv = || {
                    let mut out = vec![f32::NAN; c * oh * ow];
                    if kk == 3 { depthwise3x3(&x, &wt, &mut out, &p, e) } else { depthwise5x5(&x, &wt, &mut out, &p, e) }
                    out
                };
                let (want, _) = with(1, conv);
                assert!(want.iter().all(|v| !v.is_nan()));
                let (got, split) = with(2, conv);
                assert!(split, "{path} depthwise {c}x{h}x{w} was not split");
                assert!(got.iter().zip(&want).all(|(g, w)| g.to_bits() == w.to_bits()), "{path} depthwise {c}x{h}x{w}/{s} {kk}x{kk}");
            });
        }
        // A dense 3×3 convolution: its product is split by rows of the weights.
        let p = Conv2d {
            batch: 1, in_channels: 32, in_h: 24, in_w: 24, out_channels: 96, kernel_h: 3, kernel_w: 3, stride_h: 1, stride_w: 1,
            pad_h: 1, pad_w: 1, dilation_h: 1, dilation_w: 1, groups: 1, out_h: 24, out_w: 24,
        };
        let (mut x, mut wt, mut bias) = (vec![0.0; 32 * 24 * 24], vec![0.0; 96 * 32 * 9], vec![0.0; 96]);
        [&mut x, &mut wt, &mut bias].into_iter().for_each(|v| rng.fill(v));
        let e = Epilogue { bias: Some(&bias), clamp: Some((-0.5, 0.5)), residual: None };
        each_path(|path| {
            let conv = || {
                let (mut out, mut scratch) = (vec![f32::NAN; 96 * 24 * 24], vec![f32::NAN; im2col_scratch(&p)]);
                conv2d_im2col(&x, &wt, &mut out, &mut scratch, &p, e);
                out
            };
            let (want, _) = with(1, conv);
            let (got, split) = with(2, conv);
            assert!(split, "{path} im2col was not split");
            assert!(got.iter().zip(&want).all(|(g, w)| g.to_bits() == w.to_bits()), "{path} im2col");
        });
    }

    #[test]
    fn split_stem_gives_the_one_thread_bits() {
        let _one = ONE_AT_A_TIME.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut rng = Lcg(13);
        for &(cin, cout, h, w) in &[(3, 32, 64, 64), (3, 16, 96, 70), (2, 13, 130, 90)] {
            let (oh, ow) = ((h - 1) / 2 + 1, (w - 1) / 2 + 1);
            let p = Conv2d {
                batch: 1, in_channels: cin, in_h: h, in_w: w, out_channels: cout, kernel_h: 3, kernel_w: 3, stride_h: 2, stride_w: 2,
                pad_h: 1, pad_w: 1, dilation_h: 1, dilation_w: 1, groups: 1, out_h: oh, out_w: ow,
            };
            let (mut x, mut wt, mut bias) = (vec![0.0; cin * h * w], vec![0.0; cout * cin * 9], vec![0.0; cout]);
            [&mut x, &mut wt, &mut bias].into_iter().for_each(|v| rng.fill(v));
            let e = Epilogue { bias: Some(&bias), clamp: Some((0.0, 6.0)), residual: None };
            each_path(|path| {
                let conv = || {
                    let mut out = vec![f32::NAN; cout * oh * ow];
                    crate::conv::conv3x3s2::conv3x3s2(&x, &wt, &mut out, &p, e);
                    out
                };
                let (want, _) = with(1, conv);
                assert!(want.iter().all(|v| !v.is_nan()));
                let (got, split) = with(2, conv);
                assert!(split, "{path} stem {cin}->{cout} was not split");
                assert!(got.iter().zip(&want).all(|(g, w)| g.to_bits() == w.to_bits()), "{path} stem {cin}->{cout} {h}x{w}");
            });
        }
    }

    /// Random int8 operands: `x`, and a layer's weights, per channel scales (outputs
    /// spread over the int8 range for sums over `taps` products) and biases.
    fn int8_layer(rng: &mut Lcg, xs: usize, ws: usize, cout: usize, taps: usize) -> (Vec<i8>, Vec<i8>, Vec<f32>, Vec<f32>) {
        let mut byte = |lo: f32| ((rng.next_f32() + 1.0) * 0.5 * (127.0 - lo) + lo).round() as i8;
        let x = (0..xs).map(|_| byte(-128.0)).collect();
        let w = (0..ws).map(|_| byte(-127.0)).collect();
        let s = 2.0 / (5000.0 * (taps as f32).sqrt());
        let scale = (0..cout).map(|c| s * (1.0 + 0.01 * (c % 50) as f32)).collect();
        let bias = (0..cout).map(|c| 0.03 * (c % 40) as f32 - 0.5).collect();
        (x, w, scale, bias)
    }

    #[test]
    fn split_int8_kernels_give_the_one_thread_bits() {
        use crate::quant::affine::Out;
        use crate::quant::conv::{qconv2d, qlinear, Requant};
        let _one = ONE_AT_A_TIME.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut rng = Lcg(17);
        let out = Out { inv_scale: 20.0, zero_point: -7, min: -128, max: 120 };
        // (cin, cout, h, w, kernel, stride, groups)
        #[rustfmt::skip]
        let shapes = [
            // 1×1: panels of columns and a tail (VNNI), few columns (by channels), a channel
            // count the VNNI kernel does not take (AVX2 there too).
            (32, 24, 30, 33, 1, 1, 1), (40, 16, 23, 100, 1, 1, 1), (160, 964, 7, 7, 1, 1, 1), (30, 50, 20, 23, 1, 1, 1),
            // Depthwise, both strides, odd widths; a plane too big for the depthwise kernels.
            (45, 45, 40, 37, 3, 1, 45), (96, 96, 57, 55, 3, 2, 96), (4, 4, 150, 200, 3, 1, 4),
            // RGB stems by rows, both strides, and a grouped layer.
            (3, 32, 64, 70, 3, 2, 1), (3, 13, 50, 47, 3, 1, 1), (8, 24, 40, 40, 3, 1, 4),
            // A 5×5 (`direct` on every path).
            (8, 16, 20, 20, 5, 1, 1),
        ];
        for (i, &(cin, cout, h, w, k, s, g)) in shapes.iter().enumerate() {
            let o = |len: usize| (len + 2 * (k / 2) - k) / s + 1;
            let p = Conv2d {
                batch: 1, in_channels: cin, in_h: h, in_w: w, out_channels: cout, kernel_h: k, kernel_w: k, stride_h: s, stride_w: s,
                pad_h: k / 2, pad_w: k / 2, dilation_h: 1, dilation_w: 1, groups: g, out_h: o(h), out_w: o(w),
            };
            let taps = cin / g * k * k;
            let (x, wt, scale, bias) = int8_layer(&mut rng, cin * h * w, cout * taps, cout, taps);
            let rq = Requant { scale: &scale, bias: &bias, out };
            let x_zp = i as i32 * 9 - 40;
            each_path(|path| {
                let conv = || {
                    let mut y = vec![0x55i8; cout * p.out_h * p.out_w];
                    qconv2d(&x, x_zp, &wt, &mut y, &p, rq);
                    y
                };
                split_on_2_and_3(&std::format!("{path} {p:?}"), conv);
            });
        }
        // Linear layers: by ranges of outputs (one row, a tail of 8), by rows.
        for &(m, k, n) in &[(1, 1280, 1001), (3, 300, 700), (9, 200, 300)] {
            let (a, wt, scale, bias) = int8_layer(&mut rng, m * k, n * k, n, k);
            let rq = Requant { scale: &scale, bias: &bias, out };
            each_path(|path| {
                let linear = || {
                    let mut y = vec![0x55i8; m * n];
                    qlinear(&a, 3, &wt, &mut y, m, k, n, rq);
                    y
                };
                split_on_2_and_3(&std::format!("{path} linear {m}x{k}x{n}"), linear);
            });
        }
    }

    /// `f`'s int8 output on one thread is not constant, and on 2 and 3 threads
    /// `f` splits and gives the same.
    fn split_on_2_and_3(what: &str, f: impl Fn() -> Vec<i8>) {
        let (want, _) = with(1, &f);
        assert!(want.iter().any(|&v| v != want[0]), "a constant output tests nothing: {what}");
        for t in [2, 3] {
            let (got, split) = with(t, &f);
            assert!(split, "{what} was not split");
            assert!(got == want, "{what}, {t} threads");
        }
    }

    #[test]
    fn splits_cover_in_whole_units() {
        let _one = ONE_AT_A_TIME.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let ranges = |n, parts, unit| {
            let s = Split::new(n, parts, unit);
            (0..s.parts).map(|i| s.range(i)).collect::<Vec<_>>()
        };
        // Two threads: 3 parts would be shares of 1 and 2.
        assert_eq!(with(2, || ranges(196, 3, 32)).0, [(0, 96), (96, 196)]);
        assert_eq!(ranges(16, 2, 2), [(0, 8), (8, 16)]);
        assert_eq!(ranges(7, 2, 2), [(0, 4), (4, 7)]);
        assert_eq!(ranges(3, 4, 1), [(0, 1), (1, 2), (2, 3)]);
        assert_eq!(ranges(5, 1, 8), [(0, 5)]);
        // 32 channels in blocks of 6 over 2 threads: 3 blocks each, not 18 and 14.
        assert_eq!(ranges(32, 2, 6), [(0, 18), (18, 32)]);
        assert_eq!(ranges(3136, 8, 32), [(0, 384), (384, 768), (768, 1152), (1152, 1568), (1568, 1952), (1952, 2336), (2336, 2720), (2720, 3136)]);
    }
}
