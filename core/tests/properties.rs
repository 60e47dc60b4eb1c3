//! Properties of the energy rules (SPEC §3) in every step: LB-1 (never above a node's limit),
//! LB-2, LB-3, PS-3 and PS-4, with SU-1/SU-2/SU-3, IN-2/IN-4/IN-5, EX-1/EX-2/LB-8, LB-10, LB-12
//! and the determinism of the step (SPEC §1), over random valid configurations and random input
//! sequences (STYLE.md "Tests": invariants as properties, valid configurations by construction).
//!
//! The random stations, the simulated site and the checks of every step are in
//! `common/station_gen.rs` and its modules, shared with the other properties of the step:
//! `properties_lb9.rs` (LB-9), `properties_lb4.rs` (LB-4, the water-filling target) and
//! `properties_memo.rs` (TREE-1, LB-4: the station's memo against fresh working memory).
//!
//! Failing seeds are kept in `core/proptest-regressions/` (one file per property, here
//! `properties-every-step.txt`); minimal cases found by these properties are replayed as plain
//! `#[test]`s at the end of their property's file (here PS-4, SU-1, SU-3 after a clock fault).

mod common;

use common::station_gen::run::{new_sim, run_events, run_property};
use common::station_gen::scenario;
use common::station_gen::sim::Checks;
use loadpilot_core::{NodeConfig, PointConfig, ProductFamily, RawConfig, VehicleState};

/// Proves LB-1, LB-2, LB-3, PS-3 and PS-4 in every step of random sequences over random valid
/// configurations, with SU-2/SU-3, IN-2/IN-4/IN-5, EX-1/EX-2/LB-8 (effective limits, who may
/// have current), LB-10 (idle at the minimum), LB-12 (phases loaded) and the determinism of the
/// step (SPEC §1): a copy of the state stepped with the same inputs gives the same outputs and
/// state.
#[test]
fn lb1_lb2_lb3_ps3_ps4_hold_in_every_step() {
    run_property(
        "lb1_lb2_lb3_ps3_ps4_hold_in_every_step",
        384,
        "proptest-regressions/properties-every-step.txt",
        scenario(200..=400),
        |s| {
            let mut sim = new_sim(s, Checks::default());
            run_events(&mut sim, s)?;
            Ok(sim.stats)
        },
    );
}

// ---------------------------------------------------------------------------------------------
// Regressions: minimal cases of property failures, replayed deterministically.
// ---------------------------------------------------------------------------------------------

/// Regression of all three properties (PS-4, SU-1, SU-3), every time right after a clock fault.
///
/// A clock fault (SU-3) stops every point immediately: contactor open, PWM off. When the clock is
/// back, the PWM starts again; the contactor may close only once C has been seen with PWM on
/// for the debounce time towards C (SU-1, PS-4: "PWM first, and the contactor closes only after
/// C has been seen with PWM on for the debounce time"), as after any other stop.
#[test]
fn ps4_su1_su3_contactor_waits_for_the_debounce_after_a_clock_fault() {
    let mut raw = RawConfig::with_defaults(
        ProductFamily::City,
        [PointConfig::three_phase(0, 32_000)],
        [NodeConfig::station(None, 64_000)],
    );
    raw.timers.stagger_ms = 0;
    raw.timers.min_pause_ms = 0;
    let debounce = u64::from(raw.timers.debounce_charge_ms);
    let mut ctl = loadpilot_core::Controller::<1, 1>::new(raw).expect("valid configuration");
    let mut inp = loadpilot_core::StepInputs::<1, 1>::default();
    inp.points[0].vehicle = VehicleState::C;
    inp.points[0].authorised = true;
    let mut t = 0;
    while t <= 1_000 {
        ctl.step(&inp, t);
        t += 10;
    }
    assert!(
        ctl.outputs().points[0].contactor,
        "charging before the fault"
    );
    // The clock goes back 50 ms: everything stops.
    let o = ctl.step(&inp, t - 60).points[0];
    assert!(!o.contactor && o.signal_ma == 0, "SU-3 stop: {o:?}");
    // The clock is back: PWM again, but the contactor waits for the debounce.
    let back = t;
    while t <= back + 2 * debounce {
        let o = ctl.step(&inp, t).points[0];
        assert!(
            !o.contactor || t >= back + debounce,
            "contactor closed {} ms after PWM restarted at {back} ms (debounce {debounce} ms): {o:?}",
            t - back
        );
        t += 10;
    }
    assert!(
        ctl.outputs().points[0].contactor,
        "closes after the debounce"
    );
}
