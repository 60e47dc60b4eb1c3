//! Quick criterion bench of one 2-point step (the full suite is a later issue).
use criterion::{Criterion, criterion_group, criterion_main};
use loadpilot_core::{Controller, PointInputs, StepInputs, VehicleState, two_point_station};
use std::hint::black_box;

fn two_point_step(c: &mut Criterion) {
    let mut ctl = Controller::<2, 1>::new(two_point_station(32_000)).expect("valid config");
    let mut inputs = StepInputs::<2, 1>::default();
    for p in &mut inputs.points {
        *p = PointInputs {
            vehicle: VehicleState::C,
            authorised: true,
            measured_ma: Some([16_000; 3]),
            ..PointInputs::default()
        };
    }
    let mut now = 0u64;
    // Warm into steady state: both charging.
    for _ in 0..2_000 {
        now += 10;
        ctl.step(&inputs, now);
    }
    c.bench_function("step_2_points_steady", |b| {
        b.iter(|| {
            now += 10;
            black_box(ctl.step(black_box(&inputs), now));
        })
    });
}

criterion_group!(benches, two_point_step);
criterion_main!(benches);
