//! Step-level scenarios of start-up, faults and recovery (SPEC §4.3): SU-1 (the first step, PWM
//! before the contactor, the stagger, a reset), SU-2 (faults that latch until A, and those that
//! clear with their cause) and SU-3 (the clock going back, gaps between steps). Everything goes
//! through the step, on the rig of `common/pilot_rig.rs`, which checks the signal and contactor
//! invariants in every step, so each scenario is also an invariant run.

mod common;

use common::pilot_rig::{A_MV, B_MV, C_MV, E_MV, F_MV, P32, Rig, is_fault, one, two};
use loadpilot_core::{
    AllocReason, Input1Function, PilotOutput, PointFlags, StationErrors, VehicleState,
};

// ---------------------------------------------------------------------------------------------
// SU-1: start-up
// ---------------------------------------------------------------------------------------------

/// Proves SU-1: at the first step every contactor is open and every pilot shows +12 V, even with
/// EVs in C from the first reading (measured levels, and a caller that classifies itself).
#[test]
fn su1_first_step_all_open_and_plus_12_v() {
    let mut r = Rig::new(two(P32));
    r.pp(0, Some(220))
        .level(0, C_MV)
        .pp(1, Some(220))
        .level(1, C_MV);
    r.step();
    for p in 0..2 {
        assert!(
            !r.closed(p) && r.po(p).pilot == PilotOutput::Steady12V,
            "{:?}",
            r.po(p)
        );
    }
    let mut r = Rig::new(two(P32));
    for p in 0..2 {
        r.ev[p].classified = Some(VehicleState::C);
    }
    r.step();
    for p in 0..2 {
        let po = r.po(p);
        assert!(!po.contactor, "classified C at start-up: {po:?}");
        assert_eq!(
            po.pilot,
            PilotOutput::Steady12V,
            "classified C at start-up: {po:?}"
        );
    }
}

/// Proves SU-1: an EV found in C at start-up gets PWM first; the contactor closes only after C
/// has been seen with PWM on for the debounce time towards C (100 ms).
#[test]
fn su1_ev_in_c_at_start_up_pwm_first_then_the_contactor() {
    for classified in [false, true] {
        let mut r = Rig::new(one(P32));
        r.pp(0, Some(220)).level(0, C_MV);
        if classified {
            r.ev[0].classified = Some(VehicleState::C);
        }
        let t_pwm = r.until(1_000, |r| r.pwm(0));
        assert!(
            !r.closed(0),
            "classified {classified}: closed with the first PWM"
        );
        r.at(t_pwm + 90);
        assert!(
            !r.closed(0),
            "classified {classified}: closed at {} ms",
            r.now
        );
        r.at(t_pwm + 100);
        assert!(r.closed(0), "classified {classified}: open at {} ms", r.now);
    }
}

/// Proves SU-1 and PS-4: the contactor closes only while the pilot still reads C. An EV that
/// leaves C in the sample before the closing debounce would end is not switched on during the
/// safer-state debounce of its new reading (B is believed 20 ms later).
#[test]
fn su1_ps4_the_contactor_does_not_close_onto_a_pilot_that_left_c() {
    let mut r = Rig::new(one(P32));
    r.pp(0, Some(220)).level(0, C_MV);
    let t_pwm = r.until(1_000, |r| r.pwm(0));
    r.at(t_pwm + 80);
    assert!(!r.closed(0));
    // Read from the step at t_pwm + 90 on: the step at t_pwm + 100 ends the debounce towards C.
    r.level(0, B_MV);
    for _ in 0..5 {
        r.step();
        assert!(!r.closed(0), "closed at {} ms on a B reading", r.now);
    }
    assert_eq!(r.state(0), VehicleState::B, "at {} ms", r.now);
    // Leaving C stopped the point (PS-4): it waits for its minimum pause (LB-6) from then.
    r.level(0, C_MV);
    r.after(1_000);
    assert!(!r.closed(0), "closed at {} ms", r.now);
    assert_eq!(r.po(0).reason, AllocReason::MinimumPause);
}

/// Proves SU-1: after a power return points start their PWM staggered (2 s per point); the
/// stagger delays the offer, not the closing once C is seen with PWM.
#[test]
fn su1_stagger_delays_the_offer_not_the_closing() {
    let mut raw = two(P32);
    raw.timers.stagger_ms = 2_000;
    let mut r = Rig::new(raw);
    r.pp(0, Some(220))
        .level(0, C_MV)
        .pp(1, Some(220))
        .level(1, C_MV);
    r.at(1_990);
    assert!(r.closed(0));
    assert!(!r.pwm(1) && !r.closed(1), "{:?}", r.po(1));
    assert_eq!(r.po(1).reason, AllocReason::Stagger);
    let t1 = r.until(3_000, |r| r.pwm(1));
    assert_eq!(t1, 2_000);
    r.at(t1 + 90);
    assert!(!r.closed(1));
    r.at(t1 + 100);
    assert!(r.closed(1));
}

/// Proves SU-1: after a reset of core's state the first step has every contactor open and every
/// pilot at +12 V, and an EV still in C is treated as one that has just reached C.
#[test]
fn su1_after_a_reset_everything_starts_open() {
    let mut r = Rig::new(one(P32));
    r.charge(0);
    r.after(1_000);
    r.ctl.reset();
    r.step();
    assert!(
        !r.closed(0) && r.po(0).pilot == PilotOutput::Steady12V,
        "{:?}",
        r.po(0)
    );
    let t = r.now;
    let t_pwm = r.until(t + 1_000, |r| r.pwm(0));
    assert!(!r.closed(0));
    let t_c = r.until(t_pwm + 1_000, |r| r.closed(0));
    assert_eq!(t_c, t_pwm + 100);
}

// ---------------------------------------------------------------------------------------------
// SU-2: latching
// ---------------------------------------------------------------------------------------------

/// Charges, sets a pilot fault with `trigger`, and checks it holds while the EV shows C and B
/// again, and clears in the step A is believed; a new plug-in then charges.
#[track_caller]
fn latch_until_a(
    what: &str,
    trigger: impl FnOnce(&mut Rig<1, 1>),
    undo: impl FnOnce(&mut Rig<1, 1>),
) {
    let mut raw = one(P32);
    raw.timers.min_pause_ms = 0;
    let mut r = Rig::new(raw);
    r.charge(0);
    r.after(500);
    trigger(&mut r);
    let t = r.now;
    r.until(t + 500, |r| is_fault(&r.po(0)));
    undo(&mut r);
    for level in [C_MV, B_MV] {
        r.level(0, level);
        for _ in 0..200 {
            r.step();
            let po = r.po(0);
            assert!(
                is_fault(&po) && !po.contactor && !r.pwm(0),
                "{what}: at {} ms: {po:?}",
                r.now
            );
            assert!(r.errors().contains(StationErrors::PILOT_FAULT_1), "{what}");
        }
    }
    r.level(0, A_MV).pp(0, None);
    let t = r.now;
    let t_a = r.until(t + 500, |r| r.state(0) == VehicleState::A);
    assert!(
        !is_fault(&r.po(0)),
        "{what}: still latched in A at {t_a} ms: {:?}",
        r.po(0)
    );
    assert!(!r.errors().contains(StationErrors::PILOT_FAULT_1), "{what}");
    r.at(t_a + 200);
    r.charge(0);
}

/// Proves SU-2: E, F, unknown and diode faults latch until the point has seen A.
#[test]
fn su2_pilot_faults_latch_until_a() {
    for mv in [E_MV, F_MV, 20_000] {
        latch_until_a(
            &format!("{mv} mV"),
            |r| {
                r.level(0, mv);
            },
            |_| {},
        );
    }
    latch_until_a(
        "diode",
        |r| {
            r.low(0, Some(0));
        },
        |r| {
            r.low(0, None);
        },
    );
}

/// Proves SU-2 and CAB-2: a cable fault clears in the step the resistance is back in a band,
/// and the charge goes on.
#[test]
fn su2_cab2_cable_fault_clears_with_the_resistance() {
    let mut raw = one(P32);
    raw.timers.min_pause_ms = 0;
    let mut r = Rig::new(raw);
    r.charge(0);
    r.after(500);
    r.pp(0, Some(3_000)).step();
    assert!(r.po(0).flags.contains(PointFlags::CABLE_FAULT) && !r.closed(0));
    r.after(1_000);
    assert!(r.errors().contains(StationErrors::CABLE_FAULT_1));
    r.pp(0, Some(680)).step();
    assert!(
        !r.po(0).flags.contains(PointFlags::CABLE_FAULT),
        "{:?}",
        r.po(0)
    );
    assert!(!r.errors().contains(StationErrors::CABLE_FAULT_1));
    let t = r.now;
    r.until(t + 2_000, |r| r.closed(0));
    assert_eq!(r.po(0).allocation_ma, 20_000);
}

/// Proves SU-2 and IN-2: the protection-devices stop holds while the input is active and clears
/// when it clears.
#[test]
fn su2_in2_protection_stop_clears_with_the_input() {
    let mut raw = one(P32);
    raw.timers.min_pause_ms = 0;
    raw.inputs.in1 = Input1Function::ProtectionDevices;
    let mut r = Rig::new(raw);
    r.charge(0);
    r.input(true, false).step();
    assert!(!r.closed(0) && r.po(0).pilot == PilotOutput::StateF);
    r.after(2_000);
    assert!(r.errors().contains(StationErrors::PROTECTION_TRIPPED));
    assert!(!r.closed(0) && r.po(0).pilot == PilotOutput::StateF);
    r.input(false, false).step();
    assert!(!r.errors().contains(StationErrors::PROTECTION_TRIPPED));
    assert!(
        !is_fault(&r.po(0)),
        "a fault outlives the input (the −12 V core drove itself was taken for F): {:?}",
        r.po(0)
    );
    assert_ne!(r.po(0).pilot, PilotOutput::StateF);
    let t = r.now;
    r.until(t + 2_000, |r| r.closed(0));
}

// ---------------------------------------------------------------------------------------------
// SU-3: clock and gaps
// ---------------------------------------------------------------------------------------------

/// Proves SU-3: a step whose `now_ms` is below the largest seen stops every point at once and
/// sets the clock-fault bit until `now_ms` reaches that value again.
#[test]
fn su3_clock_backwards_stops_everything_until_it_is_back() {
    let mut r = Rig::new(two(P32));
    r.charge(0);
    r.charge(1);
    r.after(500);
    let max = r.now;
    r.step_at(max - 50);
    for p in 0..2 {
        let po = r.po(p);
        assert!(
            !po.contactor && po.pilot == PilotOutput::Steady12V,
            "{po:?}"
        );
        assert_eq!(po.reason, AllocReason::ClockFault);
    }
    assert!(r.errors().contains(StationErrors::CLOCK_FAULT));
    r.step_at(max - 1);
    assert!(r.errors().contains(StationErrors::CLOCK_FAULT));
    assert!(!r.closed(0) && !r.closed(1));
    r.step_at(max);
    assert!(
        !r.errors().contains(StationErrors::CLOCK_FAULT),
        "{:?}",
        r.errors()
    );
}

/// Proves SU-3: a gap longer than the sample period with a contactor closed is a station error;
/// within the PS-1 budget (gap + safer debounce + release ≤ 100 ms) the charge goes on; a gap
/// that breaks it stops that point in that step; a gap above `max_gap_ms` raises STEP_GAP.
#[test]
fn su3_gaps_flag_and_stop_a_closed_point() {
    let mut r = Rig::new(two(P32));
    r.charge(0);
    r.after(500);
    let t = r.now;
    r.step_at(t + 15);
    assert!(r.errors().contains(StationErrors::GAP_WHILE_CLOSED));
    assert!(r.closed(0));
    r.step_at(t + 25);
    assert!(!r.errors().contains(StationErrors::GAP_WHILE_CLOSED));
    // 60 ms + 20 ms + 20 ms = 100 ms: still within the budget.
    r.step_at(t + 85);
    assert!(r.errors().contains(StationErrors::GAP_WHILE_CLOSED));
    assert!(r.closed(0), "stopped within the budget");
    // 61 ms: a C -> B may have been missed.
    r.step_at(t + 146);
    assert!(
        !r.closed(0),
        "closed across a gap that breaks the PS-1 budget"
    );
    assert!(!r.errors().contains(StationErrors::STEP_GAP));
    r.after(500);
    r.step_at(r.now + 1_001);
    assert!(r.errors().contains(StationErrors::STEP_GAP));
    r.step();
    assert!(!r.errors().contains(StationErrors::STEP_GAP));
}

/// Proves SU-3 and MT-1: a stalled caller books at most `max_gap_ms` of energy for one step.
#[test]
fn su3_mt1_a_long_gap_counts_as_max_gap_for_energy() {
    let mut raw = one(P32);
    raw.voltage_mv = 240_000; // 240 V × 3 × 10 A × 10 ms = exactly 20 mWh
    let mut r = Rig::new(raw);
    r.ev[0].max_ma = 10_000;
    r.charge(0);
    r.after(1_000);
    let e0 = r.po(0).energy_mwh;
    r.step();
    assert_eq!(r.po(0).energy_mwh - e0, 20);
    let e1 = r.po(0).energy_mwh;
    r.step_at(r.now + 5_000);
    assert!(r.errors().contains(StationErrors::STEP_GAP));
    assert_eq!(r.po(0).energy_mwh - e1, 2_000, "a 5 s gap counted as 1 s");
}
