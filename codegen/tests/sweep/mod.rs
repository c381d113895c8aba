//! What the mutation sweeps share: an allocator that caps and measures what
//! a mutant allocates, a seeded generator, and the tally that fails on a panic.
// Each test binary that includes this uses only part of it.
#![allow(dead_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::panic::{catch_unwind, AssertUnwindSafe};

use etch_codegen::{generate, Config};

/// No mutant of a file under 0.5 MB may allocate more than this at once.
pub const CAP: isize = 1 << 30;

// Per thread: the test harness runs tests side by side, and one test's
// allocations must not count against another's cap or peak. (A block freed
// on another thread than it came from only skews the counts, hence isize.)
std::thread_local! {
    static LIVE: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

/// Starts measuring this thread's peak afresh.
pub fn reset_peak() {
    let _ = LIVE.try_with(|live| PEAK.try_with(|peak| peak.set(live.get())));
}

/// The most this thread has held at once since `reset_peak` (which counts what it held then).
pub fn peak() -> usize {
    PEAK.try_with(Cell::get).unwrap_or(0).max(0) as usize
}

struct Capped;

// SAFETY: every call is forwarded unchanged to `System`; the counters only observe.
unsafe impl GlobalAlloc for Capped {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let size = layout.size() as isize;
        let live = LIVE.try_with(|l| l.get() + size).unwrap_or(0);
        if live > CAP {
            return std::ptr::null_mut();
        }
        let _ = LIVE.try_with(|l| l.set(live));
        let _ = PEAK.try_with(|p| p.set(p.get().max(live)));
        // SAFETY: the caller upholds `alloc`'s contract, which we pass on.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        let _ = LIVE.try_with(|l| l.set(l.get() - layout.size() as isize));
        // SAFETY: `ptr` came from `alloc` above with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOC: Capped = Capped;

/// splitmix64: a fixed seed gives the same mutants on every machine.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

#[derive(Default, Debug)]
pub struct Counts {
    pub compiled: usize,
    pub errors: usize,
    pub panics: Vec<String>,
}

impl Counts {
    pub fn run(&mut self, what: String, bytes: &[u8]) {
        if std::env::var_os("ETCH_SWEEP_VERBOSE").is_some() {
            eprintln!("{what}");
        }
        let mut config = Config::new("mutant");
        config.max_arena_bytes = 64 << 20;
        match catch_unwind(AssertUnwindSafe(|| generate(bytes, &config))) {
            Ok(Ok(_)) => self.compiled += 1,
            // Every message must say something, whatever the variant.
            Ok(Err(e)) => {
                assert!(!e.to_string().is_empty(), "{what}: empty error {e:?}");
                self.errors += 1;
            }
            Err(p) => {
                let msg = p.downcast_ref::<String>().cloned().or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()));
                self.panics.push(format!("{what}: {}", msg.unwrap_or_default()));
            }
        }
    }

    pub fn check(&self, name: &str) {
        let total = self.compiled + self.errors + self.panics.len();
        println!(
            "{name}: {total} mutants, {} compiled, {} typed errors, {} panics, peak {} MB allocated",
            self.compiled,
            self.errors,
            self.panics.len(),
            peak() >> 20
        );
        assert!(self.panics.is_empty(), "{} mutants panicked:\n{}", self.panics.len(), self.panics.join("\n"));
    }
}
