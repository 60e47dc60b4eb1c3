//! Memory figures for docs/performance.md: the sizes of core's state, output, input and
//! configuration types (bytes), the memory of each benchmark site, and the stack one step uses.
//!
//! Stack: the step is run on a thread of its own; before a window of steps, the 256 KiB below
//! the caller's frame are painted with a pattern, and after it the deepest word no longer
//! holding the pattern gives the deepest the step went (the usual "stack painting" of embedded
//! work). Reading and writing below the stack pointer is outside Rust's memory model, so this is
//! a measuring tool for this host only (x86_64, this compiler, bench profile), not a bound for a
//! Cortex-M: there, paint the stack on the target, or sum the frames of the call graph from
//! `-Z emit-stack-sizes` (nightly) for `thumbv7em-none-eabihf`.
//!
//! `cargo run --profile bench -p loadpilot-benches --example sizes`
#[path = "../benches/site.rs"]
mod site;

use loadpilot_core::{
    NodeConfig, NodeInputs, NodeSite, NodeState, NodeWork, PointConfig, PointInputs, PointOutput,
    PointSite, PointState, PointWork, StationOutput, StationState, StationWork,
};
use site::{Case, CoreState, Prepared, SIZES, measured_step};
use std::mem::size_of;

const PATTERN: u64 = 0x5a5a_a5a5_c3c3_3c3c;
const PAINT_BYTES: usize = 256 * 1024;

/// An address near the top of the calling frame.
#[inline(always)]
fn here() -> usize {
    let marker = 0u8;
    std::hint::black_box(&marker) as *const u8 as usize & !7
}

/// Writes the pattern from `lo` up to a little below this function's own frame.
#[inline(never)]
fn paint(lo: usize) {
    let hi = here() - 512;
    let mut a = lo;
    while a < hi {
        // SAFETY: `lo..hi` lies in this thread's stack (4 MiB, mapped), below every live frame.
        unsafe { (a as *mut u64).write_volatile(PATTERN) };
        a += 8;
    }
}

/// The lowest address in `lo..hi` that no longer holds the pattern.
#[inline(never)]
fn deepest(lo: usize, hi: usize) -> usize {
    let mut a = lo;
    // SAFETY: as in `paint`; only reads.
    while a < hi && unsafe { (a as *const u64).read_volatile() } == PATTERN {
        a += 8;
    }
    a
}

/// The deepest stack (bytes below this frame) any step of the case's window reached.
#[inline(never)]
fn window_stack(p: &Prepared, work: &mut CoreState) -> usize {
    work.restore(&p.snapshot);
    let base = here();
    let lo = base - PAINT_BYTES;
    paint(lo);
    for frame in &p.window {
        measured_step(&p.cfg, work, frame);
    }
    let low = deepest(lo, base);
    assert!(
        low > lo,
        "the step used more than {PAINT_BYTES} bytes of stack"
    );
    base - low
}

fn main() {
    println!("size_of (bytes)");
    println!("  PointState    {:5}", size_of::<PointState>());
    println!("  PointOutput   {:5}", size_of::<PointOutput>());
    println!("  PointInputs   {:5}", size_of::<PointInputs>());
    println!("  PointConfig   {:5}", size_of::<PointConfig>());
    println!("  NodeState     {:5}", size_of::<NodeState>());
    println!("  NodeInputs    {:5}", size_of::<NodeInputs>());
    println!("  NodeConfig    {:5}", size_of::<NodeConfig>());
    println!("  StationState  {:5}", size_of::<StationState>());
    println!("  StationOutput {:5}", size_of::<StationOutput>());
    println!(
        "  PointWork     {:5}   (working memory of a step)",
        size_of::<PointWork>()
    );
    println!("  NodeWork      {:5}", size_of::<NodeWork>());
    println!("  StationWork   {:5}", size_of::<StationWork>());
    println!(
        "  PointSite     {:5}   (LB-14, only with a site meter)",
        size_of::<PointSite>()
    );
    println!("  NodeSite      {:5}", size_of::<NodeSite>());
    println!();
    println!(
        "{:>6} {:>6} {:>12} {:>12} {:>12} {:>11} {:>10} {:>12}",
        "points",
        "nodes",
        "state bytes",
        "state/point",
        "work/point",
        "site/point",
        "all/point",
        "stack bytes"
    );
    let rows = std::thread::Builder::new()
        .stack_size(4 << 20)
        .spawn(|| {
            SIZES
                .iter()
                .map(|&n| {
                    let nodes = site::config(n).nodes().len();
                    // The deepest over every case: a transient may go deeper than steady state.
                    let stack = Case::ALL
                        .iter()
                        .map(|&case| {
                            let p = Prepared::new(case, n);
                            let mut work = p.work();
                            window_stack(&p, &mut work)
                        })
                        .max()
                        .unwrap_or(0);
                    (n, nodes, stack)
                })
                .collect::<Vec<_>>()
        })
        .expect("thread spawned")
        .join()
        .expect("no panic");
    for (n, nodes, stack) in rows {
        let state = size_of::<StationState>()
            + n * size_of::<PointState>()
            + nodes * size_of::<NodeState>();
        let work =
            n * size_of::<PointWork>() + nodes * size_of::<NodeWork>() + size_of::<StationWork>();
        // Only under a site meter (none in the benchmark sites).
        let site = n * size_of::<PointSite>() + nodes * size_of::<NodeSite>();
        // Everything the caller holds for the step here: state, working memory, outputs, inputs
        // and configuration (no site meter).
        let all = state
            + work
            + size_of::<StationOutput>()
            + n * (size_of::<PointOutput>() + size_of::<PointInputs>() + size_of::<PointConfig>())
            + nodes * (size_of::<NodeInputs>() + size_of::<NodeConfig>());
        println!(
            "{n:>6} {nodes:>6} {state:>12} {:>12} {:>12} {:>11} {:>10} {stack:>12}",
            state / n,
            work / n,
            site / n,
            all / n
        );
    }
}
