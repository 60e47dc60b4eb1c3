//! Step-level scenarios of PS-7 (SPEC §4.1): the wake-up after a resume (PWM first, State F once
//! per resume, the bounded settling window after it). Everything goes through the step, on the rig
//! of `common/pilot_rig.rs`, which checks the signal and contactor invariants in every step, so
//! each scenario is also an invariant run.

mod common;

use common::pilot_rig::{A_MV, B_MV, C_MV, F_MV, P32, Raw, Rig, is_fault, one};
use loadpilot_core::{Commands, PilotOutput, PointFlags, StationErrors};

// ---------------------------------------------------------------------------------------------
// PS-7: wake-up
// ---------------------------------------------------------------------------------------------

fn wake_raw() -> Raw<1, 1> {
    let mut raw = one(P32);
    raw.timers.min_pause_ms = 0;
    raw.timers.wakeup_after_ms = 1_000;
    raw.timers.wakeup_f_ms = 1_000;
    raw.timers.wakeup_settle_ms = 500;
    raw
}

/// Charges, suspends (the EV falls asleep in B), lifts the suspend; returns the time the pilot
/// left +12 V again.
fn pause_and_resume(r: &mut Rig<1, 1>) -> u64 {
    r.pi(0, |pi| pi.commands = Commands::SUSPEND);
    let t = r.now;
    r.until(t + 100, |r| !r.pwm(0));
    r.level(0, B_MV);
    let t = r.now;
    r.at(t + 2_000);
    assert!(!r.closed(0) && !r.pwm(0));
    r.pi(0, |pi| pi.commands = Commands::EMPTY);
    let t = r.now;
    r.until(t + 1_000, |r| r.po(0).pilot != PilotOutput::Steady12V)
}

/// Proves PS-7: after a resume PWM returns first; State F comes only once the EV has stayed in
/// B for `wakeup_after_ms` (1 s) with PWM on.
#[test]
fn ps7_pwm_returns_before_the_wake_up() {
    let mut r = Rig::new(wake_raw());
    r.charge(0);
    r.after(1_000);
    let t_r = pause_and_resume(&mut r);
    assert!(
        r.pwm(0),
        "the resume at {t_r} ms shows {:?}, not PWM",
        r.po(0).pilot
    );
    let t_f = r.until(t_r + 2_000, |r| r.po(0).pilot == PilotOutput::StateF);
    assert_eq!(
        t_f,
        t_r + 1_000,
        "State F {} ms after PWM returned",
        t_f - t_r
    );
}

/// Proves PS-7: the wake-up drives State F for `wakeup_f_ms`, then PWM again; the −12 V readings
/// while core drives F and within the settling window after are not a fault; once per resume,
/// and again at the next resume.
#[test]
fn ps7_wake_up_once_per_resume_without_a_fault() {
    let mut r = Rig::new(wake_raw());
    r.charge(0);
    r.after(1_000);
    let t_r = pause_and_resume(&mut r);
    let t_f = r.when(t_r + 2_000, |r| r.po(0).pilot == PilotOutput::StateF);
    assert!(r.po(0).flags.contains(PointFlags::WAKE_UP));
    r.at(t_f + 990);
    assert_eq!(r.po(0).pilot, PilotOutput::StateF);
    r.step();
    assert!(r.pwm(0), "PWM again after the wake-up: {:?}", r.po(0));
    assert!(!r.po(0).flags.contains(PointFlags::WAKE_UP));
    // The EV's pilot still reads −12 V for 400 ms of the 500 ms settling window: no fault.
    let t_end = r.now;
    r.level(0, F_MV).at(t_end + 400);
    r.level(0, B_MV).at(t_end + 600);
    assert!(!is_fault(&r.po(0)), "{:?}", r.po(0));
    // The EV stays asleep: no second wake-up in this resume.
    for _ in 0..300 {
        r.step();
        assert!(
            r.pwm(0) && !is_fault(&r.po(0)),
            "at {} ms: {:?}",
            r.now,
            r.po(0)
        );
    }
    // It wakes: charges.
    r.level(0, C_MV);
    let t = r.now;
    r.until(t + 500, |r| r.closed(0));
    // The next resume: a wake-up again.
    r.after(1_000);
    let t_r2 = pause_and_resume(&mut r);
    r.when(t_r2 + 2_000, |r| r.po(0).pilot == PilotOutput::StateF);
    assert!(!r.errors().contains(StationErrors::PILOT_FAULT_1));
}

/// Proves PS-7: a first start (not a resume) with an EV staying in B gets no wake-up, and a
/// −12 V reading after the settling window is a fault again (the window is bounded).
#[test]
fn ps7_no_wake_up_on_a_first_start_and_the_settling_window_is_bounded() {
    let mut r = Rig::new(wake_raw());
    r.pp(0, Some(220)).level(0, B_MV);
    for _ in 0..600 {
        r.step();
        assert_ne!(r.po(0).pilot, PilotOutput::StateF, "at {} ms", r.now);
    }
    r.level(0, C_MV);
    let t = r.now;
    r.until(t + 500, |r| r.closed(0));
    r.after(500);
    let t_r = pause_and_resume(&mut r);
    let t_f = r.when(t_r + 2_000, |r| r.po(0).pilot == PilotOutput::StateF);
    let t_end = r.until(t_f + 2_000, |r| r.pwm(0));
    // −12 V well past the settling window: a fault.
    r.level(0, F_MV);
    let t = r.until(t_end + 2_000, |r| is_fault(&r.po(0)));
    assert!(
        t >= t_end + 500,
        "fault within the settling window, at {t} ms"
    );
    assert!(t <= t_end + 500 + 40, "fault only at {t} ms");
}

/// Proves PS-7: the wake-up belongs to the resume of one session. An EV that charged on at once
/// after its resume (no wake-up was needed) and left takes its resume with it: the next vehicle,
/// whose start is a first start, staying in B gets no State F.
#[test]
fn ps7_a_new_vehicle_gets_no_wake_up_from_the_last_ones_resume() {
    let mut r = Rig::new(wake_raw());
    r.charge(0);
    r.after(1_000);
    let t_r = pause_and_resume(&mut r);
    r.level(0, C_MV);
    r.until(t_r + 500, |r| r.closed(0));
    r.after(500);
    assert!(!r.po(0).flags.contains(PointFlags::WAKE_UP));
    // The EV leaves; another comes and sleeps in B.
    r.level(0, A_MV).pp(0, None);
    r.after(2_000);
    assert!(!r.closed(0) && !r.pwm(0), "{:?}", r.po(0));
    r.pp(0, Some(220)).level(0, B_MV);
    for _ in 0..600 {
        r.step();
        assert_ne!(r.po(0).pilot, PilotOutput::StateF, "at {} ms", r.now);
    }
    assert!(r.pwm(0), "{:?}", r.po(0));
}
