//! Step-level scenarios of how the pilot is read (SPEC §4.1): PS-1 (CP bands, hysteresis, the
//! debounces towards a safer state and towards C, the sample-period deadline) and PS-2 (the diode
//! check). The golden tables of the pure functions (CP bands, hysteresis) live in
//! `core/src/pilot.rs` and `core/src/cp.rs`; here everything goes through the step, on the rig of
//! `common/pilot_rig.rs`, which checks the signal and contactor invariants in every step, so each
//! scenario is also an invariant run.

mod common;

use common::pilot_rig::{A_MV, B_MV, C_MV, E_MV, P32, Rig, is_fault, one};
use loadpilot_core::cp::EvseStatus;
use loadpilot_core::{AllocReason, PilotOutput, PointFlags, StationErrors, VehicleState};

// ---------------------------------------------------------------------------------------------
// PS-1: classification, hysteresis, debounce, the sample-period deadline
// ---------------------------------------------------------------------------------------------

/// Proves PS-1: A → B is believed after the safer-state debounce (20 ms: the third reading at a
/// 10 ms period), not before; the free-access session then offers PWM (B with PWM).
#[test]
fn ps1_a_to_b_after_the_safer_debounce() {
    let mut r = Rig::new(one(P32));
    r.at(200);
    assert_eq!(r.po(0).evse_status.name(), "A_Not_Present_12V");
    r.level(0, B_MV);
    let t0 = r.next_t();
    r.at(t0 + 10);
    assert_eq!(r.state(0), VehicleState::A, "at {} ms", r.now);
    r.at(t0 + 20);
    assert_eq!(r.state(0), VehicleState::B, "believed B at {} ms", r.now);
    assert!(r.pwm(0) && !r.closed(0));
    assert_eq!(r.po(0).evse_status.name(), "B_Present_Asked_9V_M12V");
}

/// Proves PS-1 and PS-5: B → C is believed after the debounce towards C (100 ms), and the
/// contactor closes in that very step (PWM has been on for long), well within 3 s.
#[test]
fn ps1_ps5_b_to_c_after_the_charge_debounce_contactor_at_once() {
    let mut r = Rig::new(one(P32));
    r.pp(0, Some(220)).level(0, B_MV).at(2_000);
    assert!(r.pwm(0) && r.state(0) == VehicleState::B);
    r.level(0, C_MV);
    let t0 = r.next_t();
    r.at(t0 + 90);
    assert_eq!(r.state(0), VehicleState::B, "at {} ms", r.now);
    assert!(!r.closed(0));
    r.at(t0 + 100);
    assert_eq!(r.state(0), VehicleState::C, "at {} ms", r.now);
    assert!(r.closed(0), "contactor at {} ms: {:?}", r.now, r.po(0));
    assert_eq!(r.po(0).evse_status.name(), "C_Ready_6V_M12V");
}

/// Proves PS-1: glitches shorter than the debounce are ignored, towards a safer state (1 and 2
/// readings of B, E, unknown while charging) and towards C (9 readings of C while in B).
#[test]
fn ps1_short_glitches_are_ignored() {
    let mut r = Rig::new(one(P32));
    r.charge(0);
    r.after(500);
    for glitch in [B_MV, E_MV, 14_000, -5_000, A_MV] {
        for n in 1..=2 {
            r.level(0, glitch);
            for _ in 0..n {
                r.step();
            }
            r.level(0, C_MV);
            r.after(200);
            let po = r.po(0);
            assert!(po.contactor, "{glitch} mV x{n}: opened: {po:?}");
            assert!(!is_fault(&po), "{glitch} mV x{n}: fault: {po:?}");
            assert_eq!(po.evse_status, EvseStatus::CReady6VM12V);
        }
    }
    // Towards C: 9 readings (90 ms) of C while in B never close the contactor.
    r.level(0, B_MV);
    r.after(500);
    assert!(!r.closed(0) && r.state(0) == VehicleState::B);
    r.level(0, C_MV);
    for _ in 0..9 {
        r.step();
        assert!(
            !r.closed(0) && r.state(0) == VehicleState::B,
            "at {} ms",
            r.now
        );
    }
    r.level(0, B_MV);
    for _ in 0..50 {
        r.step();
        assert!(
            !r.closed(0) && r.state(0) == VehicleState::B,
            "at {} ms",
            r.now
        );
    }
}

/// Proves PS-1: the 300 mV hysteresis keeps the believed state: B at 7 300 mV (raw C) stays
/// B, C at 7 700 mV (raw B) stays C; past the hysteresis (7 199, 7 800) the state changes.
#[test]
fn ps1_hysteresis_keeps_the_state_through_the_step() {
    let mut r = Rig::new(one(P32));
    r.pp(0, Some(220)).level(0, B_MV).at(1_000);
    r.level(0, 7_300).at(3_000);
    assert_eq!(r.state(0), VehicleState::B);
    assert!(!r.closed(0));
    r.level(0, 7_199);
    let t0 = r.next_t();
    let t = r.until(t0 + 1_000, |r| r.state(0) == VehicleState::C);
    assert_eq!(t, t0 + 100);
    assert!(r.closed(0));
    r.level(0, 7_700).at(t + 3_000);
    assert_eq!(r.state(0), VehicleState::C);
    assert!(r.closed(0));
    r.level(0, 7_800);
    let t1 = r.next_t();
    let t = r.until(t1 + 1_000, |r| r.state(0) == VehicleState::B);
    assert_eq!(t, t1 + 20);
    assert!(!r.closed(0));
}

/// Proves PS-1: a level outside every band ("unknown") is believed after the safer debounce,
/// and is a fault with an immediate stop in that step: contactor open, PWM off, pilot fault bit.
#[test]
fn ps1_unknown_level_is_a_fault_after_the_safer_debounce() {
    for mv in [14_000, -5_000, -15_000] {
        let mut r = Rig::new(one(P32));
        r.charge(0);
        r.after(300);
        r.level(0, mv);
        let t0 = r.next_t();
        r.at(t0 + 10);
        assert!(
            r.closed(0) && !is_fault(&r.po(0)),
            "{mv} mV at {} ms",
            r.now
        );
        r.at(t0 + 20);
        let po = r.po(0);
        assert_eq!(po.evse_status.name(), "F_NotAvailable", "{mv} mV");
        assert!(
            !po.contactor && po.pilot != PilotOutput::Pwm,
            "{mv} mV: {po:?}"
        );
        assert!(po.flags.contains(PointFlags::FAULT), "{mv} mV: {po:?}");
        assert_eq!(po.reason, AllocReason::Fault);
        assert!(r.errors().contains(StationErrors::PILOT_FAULT_1));
    }
}

/// Proves PS-1: while a debounce runs or a contactor is closed, `next_deadline_ms` is at most one
/// sample period ahead (10 ms, and 40 ms with a 40 ms period).
#[test]
fn ps1_next_deadline_within_one_sample_period() {
    for period in [10u32, 40] {
        let mut raw = one(P32);
        raw.timers.sample_period_ms = period;
        let p = u64::from(period);
        let mut r = Rig::new(raw);
        r.pp(0, Some(220)).level(0, B_MV).at(2_000);
        // B → C debounce running.
        r.level(0, C_MV);
        let t0 = r.next_t();
        while r.next_t() < t0 + 100 {
            r.step();
            let d = r.out().station.next_deadline_ms;
            assert!(
                d <= r.now + p,
                "P {p}: debounce at {} ms, deadline {d}",
                r.now
            );
        }
        r.until(t0 + 1_000, |r| r.closed(0));
        // Contactor closed, nothing else running.
        for _ in 0..300 {
            r.step();
            assert!(r.closed(0));
            let d = r.out().station.next_deadline_ms;
            assert!(
                d <= r.now + p,
                "P {p}: closed at {} ms, deadline {d}",
                r.now
            );
        }
        // A glitch towards B: a safer debounce runs.
        r.level(0, B_MV).step();
        let d = r.out().station.next_deadline_ms;
        assert!(
            d <= r.now + p,
            "P {p}: C -> B debounce at {} ms, deadline {d}",
            r.now
        );
    }
}

// ---------------------------------------------------------------------------------------------
// PS-2: the diode check
// ---------------------------------------------------------------------------------------------

/// Proves PS-2: with PWM on, a low level outside −13 500 ..< −10 500 mV for the safer debounce
/// is a diode fault: the contactor stays open even when the EV goes to C. Shorter glitches of
/// the low level are ignored.
#[test]
fn ps2_missing_diode_is_a_fault_and_the_contactor_stays_open() {
    let mut r = Rig::new(one(P32));
    r.pp(0, Some(220)).level(0, B_MV);
    let t_pwm = r.until(1_000, |r| r.pwm(0));
    // Two readings of a bad low level: ignored.
    r.low(0, Some(-9_000)).step().step();
    r.low(0, None).at(t_pwm + 500);
    assert!(!r.po(0).flags.contains(PointFlags::DIODE_FAULT));
    assert!(r.pwm(0));
    // Missing diode: the low level follows the high level.
    r.low(0, Some(-B_MV));
    let t0 = r.next_t();
    r.at(t0 + 10);
    assert!(!r.po(0).flags.contains(PointFlags::DIODE_FAULT));
    r.at(t0 + 20);
    let po = r.po(0);
    assert!(
        po.flags
            .contains(PointFlags::DIODE_FAULT | PointFlags::FAULT),
        "{po:?}"
    );
    assert!(r.errors().contains(StationErrors::PILOT_FAULT_1));
    assert!(po.pilot != PilotOutput::Pwm && !po.contactor);
    r.level(0, C_MV).at(t0 + 3_000);
    assert!(!r.closed(0) && !r.pwm(0), "{:?}", r.po(0));
}

/// Proves PS-2 and PS-4: a diode that shorts during a charge opens the contactor in the step
/// the fault is set (one safer debounce after the first bad reading).
#[test]
fn ps2_ps4_diode_fault_during_a_charge_opens_at_once() {
    let mut r = Rig::new(one(P32));
    r.charge(0);
    r.after(300);
    r.low(0, Some(-1_000));
    let t0 = r.next_t();
    r.at(t0 + 10);
    assert!(r.closed(0));
    r.at(t0 + 20);
    assert!(r.po(0).flags.contains(PointFlags::DIODE_FAULT));
    assert!(!r.closed(0) && !r.pwm(0));
}
