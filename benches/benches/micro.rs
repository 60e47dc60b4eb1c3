//! Criterion micro-benchmarks of core's pure functions: the PWM duty of an allowed current
//! (PS-3), the CP classification with hysteresis (PS-1), the PP cable bands (CAB-2), and the
//! validation of a configuration (`Config::new`) at 2 and 1024 points (the sites of `site.rs`).
//! Each pure-function iteration is one call on the next of 64 inputs spread over the function's
//! whole range, so every band and branch is taken.
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use loadpilot_core::{Config, VehicleState, cp, cp::CableStatus, pilot::duty_permille};
use std::hint::black_box;
use std::time::Duration;

mod site;

/// 64 values from `lo` to `hi`.
fn sweep<T: TryFrom<i64>>(lo: i64, hi: i64) -> Vec<T> {
    (0..64)
        .filter_map(|k| T::try_from(lo + (hi - lo) * k / 63).ok())
        .collect()
}

fn pure_functions(c: &mut Criterion) {
    let currents: Vec<u32> = sweep(0, 90_000);
    let levels: Vec<i32> = sweep(-14_000, 14_000);
    let ohms: Vec<u32> = sweep(0, 6_000);
    let mut group = c.benchmark_group("pure");
    group.bench_function("duty_permille", |b| {
        let mut i = 0;
        b.iter(|| {
            i = (i + 1) % currents.len();
            duty_permille(black_box(currents[i]))
        })
    });
    group.bench_function("cp_classify", |b| {
        let mut i = 0;
        b.iter(|| {
            i = (i + 1) % levels.len();
            cp::classify(black_box(levels[i]), black_box(VehicleState::B))
        })
    });
    group.bench_function("pp_cable_status", |b| {
        let mut i = 0;
        b.iter(|| {
            i = (i + 1) % ohms.len();
            CableStatus::of(black_box(ohms[i]))
        })
    });
    group.finish();
}

fn config_validation(c: &mut Criterion) {
    let mut group = c.benchmark_group("config_new");
    for n in [2, 1024] {
        let raw = site::raw_config(n);
        // Borrowed slices: cloning the raw configuration copies two pointers, not the points.
        let borrowed = site::borrowed(&raw);
        group.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
            b.iter(|| Config::new(black_box(borrowed.clone())).is_ok())
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = pure_functions, config_validation
}
criterion_main!(benches);
