//! Proves that `loadpilot-core` builds without `std`: if std leaks in through a dependency, this
//! crate fails to link with a duplicate `panic_impl` lang item.
#![cfg_attr(not(test), no_std)]

/// Touches the step function so that it is type-checked and code-generated here.
pub fn step_two_points(now_ms: u64) -> u32 {
    let mut ctl = loadpilot_core::Controller::<2, 1>::new(loadpilot_core::two_point_station(32_000))
        .unwrap_or_else(|_| loop {});
    let inputs = loadpilot_core::StepInputs::<2, 1>::default();
    ctl.step(&inputs, now_ms);
    ctl.outputs().points.first().map_or(0, |p| p.signal_ma)
}

#[cfg(not(test))]
#[panic_handler]
fn panic(_info: &core::panic::PanicInfo) -> ! {
    loop {}
}
