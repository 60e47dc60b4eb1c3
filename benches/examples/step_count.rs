//! Runs a steady two-point station for N steps (N from the command line), for instruction
//! counting under `valgrind --tool=callgrind`: the difference between two runs of different N,
//! divided by the difference in N, is the cost of one step without the set-up.
use loadpilot_core::{Controller, PointInputs, StepInputs, VehicleState, two_point_station};
use std::hint::black_box;

fn main() {
    let n: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000);
    let mut ctl = Controller::<2, 1>::new(two_point_station(40_000)).expect("valid config");
    let mut inputs = StepInputs::<2, 1>::default();
    for p in &mut inputs.points {
        *p = PointInputs {
            vehicle: VehicleState::C,
            authorised: true,
            measured_ma: Some([20_000; 3]),
            ..PointInputs::default()
        };
    }
    let mut now = 0u64;
    for _ in 0..n {
        now += 10;
        black_box(ctl.step(black_box(&inputs), now));
    }
    println!("{:?}", ctl.outputs().points[0].allocation_ma);
}
