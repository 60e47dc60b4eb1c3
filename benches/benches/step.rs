//! Criterion benches of the full core step (energy, pilot from CP millivolts and PP ohms,
//! sessions under free access, metering) over the slice API, at 2, 8, 64, 256 and 1024 points,
//! in steady state and in three transients: a set-point drop that sheds, half the points
//! plugging in at once, and a protection-device trip (In-1). The site and the cases are in
//! `site.rs`; `examples/case.rs` runs the same cases under callgrind.
//!
//! Each iteration is one step of a recorded 50-step window replayed from a settled snapshot; the
//! restore between windows is not timed. A transient's figure is therefore the mean step of the
//! 500 ms after its event (its peak step is in the callgrind table, `benches/callgrind.sh`).
//! Times are for information (docs/performance.md); the binding figures are instruction counts.
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use std::time::{Duration, Instant};

mod site;
use site::{Case, Prepared, SIZES, WINDOW, measured_step};

/// Times `iters` steps as whole windows: enough windows to cover `iters`, scaled back to
/// `iters` steps, so that every window is replayed from its event to its end.
fn time_steps(p: &Prepared, work: &mut site::CoreState, iters: u64) -> Duration {
    let windows = iters.div_ceil(WINDOW as u64).max(1);
    let mut total = Duration::ZERO;
    for _ in 0..windows {
        work.restore(&p.snapshot);
        let start = Instant::now();
        for frame in &p.window {
            measured_step(&p.cfg, work, frame);
        }
        total += start.elapsed();
    }
    total.mul_f64(iters as f64 / (windows * WINDOW as u64) as f64)
}

fn step_cases(c: &mut Criterion) {
    for case in Case::ALL {
        let mut group = c.benchmark_group(format!("step_{}", case.name()));
        group.sample_size(30);
        for n in SIZES {
            let p = Prepared::new(case, n);
            let mut work = p.work();
            group.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
                b.iter_custom(|iters| time_steps(&p, &mut work, iters));
            });
        }
        group.finish();
    }
}

criterion_group! {
    name = benches;
    // Short runs, so that `cargo bench` as a whole stays within a few minutes.
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = step_cases
}
criterion_main!(benches);
