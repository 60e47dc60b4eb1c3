//! Step-level scenarios of what the pilot outputs do (SPEC §4.1): PS-3 (the signalled current and
//! its duty), PS-4 (immediate and graceful stops), PS-5 (closing time, rise interval) and PS-6
//! (status names). The golden table of the duty lives in `core/src/pilot.rs`; here everything goes
//! through the step, on the rig of `common/pilot_rig.rs`, which checks the signal and contactor
//! invariants in every step, so each scenario is also an invariant run.

mod common;

use common::pilot_rig::{A_MV, B_MV, C_MV, D_MV, E_MV, F_MV, Meas, P32, Raw, Rig, badge, big, one};
use loadpilot_core::pilot::signal_ma;
use loadpilot_core::{
    AllocReason, AuthLocation, BadgeKind, Commands, Input1Function, Input2Function, Location,
    OutletStatus, PilotOutput, PointConfig, PointFlags, Remote, SetPoint, StationErrors,
    VehicleState,
};

// ---------------------------------------------------------------------------------------------
// PS-3: the signalled current through the step
// ---------------------------------------------------------------------------------------------

/// Proves PS-3: through the step, the signalled current is the PS-3 value of the allocation,
/// never above it, on an 80 A point as its EV limit sweeps 5.9 … 81 A up and down (the rig
/// checks signal ≤ allocation and the duty's monotonicity in every step).
#[test]
fn ps3_signal_is_the_duty_of_the_allocation_never_above() {
    let mut raw = big(PointConfig::three_phase(0, 80_000));
    raw.timers.rise_interval_ms = 1_000;
    raw.timers.min_pause_ms = 0;
    let mut r = Rig::new(raw);
    r.pp(0, Some(100)).level(0, C_MV);
    let limits = [
        5_900, 6_000, 8_000, 10_000, 13_000, 14_000, 16_000, 20_000, 32_000, 40_000, 51_000,
        51_100, 52_000, 63_000, 70_000, 80_000, 81_000, 52_700, 51_050, 33_333, 14_001,
    ];
    let mut t = 0;
    for lim in limits.into_iter().chain(limits.into_iter().rev()) {
        r.pi(0, |pi| pi.ev_limit_ma = Some(lim));
        t += 2_500;
        r.at(t);
        let po = r.po(0);
        let cap = lim.min(63_000); // the 100 Ω cable on a three-phase point
        let want = if cap >= 14_000 { cap } else { 0 };
        assert_eq!(po.allocation_ma, want, "EV limit {lim}: {po:?}");
        assert_eq!(po.signal_ma, signal_ma(want), "EV limit {lim}: {po:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// PS-4: immediate stops
// ---------------------------------------------------------------------------------------------

/// Charges one point, applies `trigger`, and steps until `changed` shows the believed state
/// changed or the fault set; the contactor must open in exactly that step (closed the step
/// before), and with `pwm_off` the PWM must be off too.
#[track_caller]
fn immediate_stop(
    what: &str,
    setup: impl FnOnce(&mut Raw<1, 1>),
    trigger: impl FnOnce(&mut Rig<1, 1>),
    changed: impl Fn(&Rig<1, 1>) -> bool,
    pwm_off: bool,
) -> Rig<1, 1> {
    let mut raw = one(P32);
    setup(&mut raw);
    let mut r = Rig::new(raw);
    r.charge(0);
    r.after(1_000);
    assert!(r.closed(0) && !changed(&r), "{what}: before the trigger");
    trigger(&mut r);
    let t0 = r.now;
    loop {
        let was_closed = r.closed(0);
        r.step();
        if changed(&r) {
            assert!(
                was_closed,
                "{what}: opened before the change, at {} ms",
                r.now
            );
            assert!(
                !r.closed(0),
                "{what}: still closed at {} ms: {:?}",
                r.now,
                r.po(0)
            );
            if pwm_off {
                assert!(!r.pwm(0), "{what}: PWM on at {} ms: {:?}", r.now, r.po(0));
            }
            return r;
        }
        assert!(r.now < t0 + 1_000, "{what}: no change within 1 s");
    }
}

/// Proves PS-4: leaving C to A, B, E, F or unknown opens the contactor in the step in which the
/// debounced state changes.
#[test]
fn ps4_leaving_c_opens_in_the_step_the_state_changes() {
    for (mv, s) in [
        (A_MV, VehicleState::A),
        (B_MV, VehicleState::B),
        (E_MV, VehicleState::E),
        (F_MV, VehicleState::F),
        (14_000, VehicleState::F), // unknown shows as F_NotAvailable (PS-6)
    ] {
        let r = immediate_stop(
            &format!("C -> {mv} mV"),
            |_| {},
            |r| {
                r.level(0, mv);
            },
            |r| r.state(0) != VehicleState::C,
            s != VehicleState::B,
        );
        assert_eq!(r.state(0), s, "{mv} mV");
    }
}

/// Proves PS-4: a diode fault, a cable fault, the protection-devices input (IN-2), state D
/// indoors (LOC-1) and a hard over-current each open the contactor in the step the fault is set
/// or the state changes, with PWM off.
#[test]
fn ps4_faults_open_in_the_step_they_are_set() {
    immediate_stop(
        "diode",
        |_| {},
        |r| {
            r.low(0, Some(-2_000));
        },
        |r| r.po(0).flags.contains(PointFlags::DIODE_FAULT),
        true,
    );
    let r = immediate_stop(
        "cable fault",
        |_| {},
        |r| {
            r.pp(0, Some(3_000));
        },
        |r| r.po(0).flags.contains(PointFlags::CABLE_FAULT),
        true,
    );
    assert!(r.errors().contains(StationErrors::CABLE_FAULT_1));
    let r = immediate_stop(
        "IN-2",
        |raw| raw.inputs.in1 = Input1Function::ProtectionDevices,
        |r| {
            r.input(true, false);
        },
        |r| r.errors().contains(StationErrors::PROTECTION_TRIPPED),
        true,
    );
    assert_eq!(r.po(0).pilot, PilotOutput::StateF);
    assert_eq!(r.po(0).reason, AllocReason::ProtectionDevice);
    let r = immediate_stop(
        "D indoors",
        |_| {},
        |r| {
            r.level(0, D_MV);
        },
        |r| r.state(0) == VehicleState::D,
        true,
    );
    assert!(r.po(0).flags.contains(PointFlags::VENTILATION_REQUIRED));
    assert_eq!(r.po(0).reason, AllocReason::Ventilation);
    let r = immediate_stop(
        "hard over-current",
        |_| {},
        |r| r.ev[0].extra_ma = 10_001,
        |r| r.po(0).flags.contains(PointFlags::EV_OVERCURRENT),
        true,
    );
    assert!(r.po(0).flags.contains(PointFlags::FAULT));
}

/// Proves PS-4 (and the choice in step.rs's head): a hard over-current stop latches until the
/// vehicle leaves. The EV that overdrew stays stopped while it stays plugged in, although it
/// draws nothing more; after it left, the next vehicle charges.
#[test]
fn ps4_a_hard_over_current_latches_until_the_vehicle_leaves() {
    let mut r = Rig::new(one(P32));
    r.charge(0);
    r.after(1_000);
    r.ev[0].extra_ma = 10_001;
    let t = r.now;
    r.until(t + 1_000, |r| {
        r.po(0).flags.contains(PointFlags::EV_OVERCURRENT)
    });
    r.ev[0].extra_ma = 0;
    r.after(10_000);
    let po = r.po(0);
    assert!(!po.contactor && po.pilot != PilotOutput::Pwm, "{po:?}");
    assert!(
        po.flags
            .contains(PointFlags::EV_OVERCURRENT | PointFlags::FAULT)
    );
    r.level(0, A_MV).pp(0, None);
    r.after(1_000);
    r.charge(0);
    let po = r.po(0);
    assert!(!po.flags.contains(PointFlags::EV_OVERCURRENT), "{po:?}");
    assert!(!po.flags.contains(PointFlags::FAULT), "{po:?}");
}

/// Proves PS-4's hard threshold as a draw above it (`overcurrent_hard_ma`, 10 A over the highest
/// signal): exactly 10 A over is no immediate stop (within the response time the contactor stays
/// closed), 1 mA more opens it at once.
#[test]
fn ps4_the_hard_threshold_is_a_draw_above_it() {
    for (extra_ma, hard) in [(10_000, false), (10_001, true)] {
        let mut r = Rig::new(one(P32));
        r.charge(0);
        r.after(1_000);
        r.ev[0].extra_ma = extra_ma;
        r.after(1_000);
        let po = r.po(0);
        assert_eq!(!po.contactor, hard, "{extra_ma} mA over: {po:?}");
        assert_eq!(po.flags.contains(PointFlags::EV_OVERCURRENT), hard);
    }
}

/// Proves PS-5 with LB-9: an EV that draws on through the grace time of a graceful stop (6 s,
/// longer than its 5 s response time) is not an over-current: with PWM off it is signalled
/// nothing to exceed; the contactor opens at the grace time's end, and the point charges again
/// when the suspend is lifted.
#[test]
fn ps5_lb9_an_ev_drawing_through_its_grace_time_is_no_over_current() {
    let mut r = Rig::new(one(P32));
    r.charge(0);
    r.after(1_000);
    r.ev[0].meas = Meas::Fixed([31_980; 3]);
    r.pi(0, |pi| pi.commands = Commands::SUSPEND);
    let t = r.now;
    let off = r.until(t + 100, |r| !r.pwm(0));
    let open = r.until(off + 6_100, |r| !r.closed(0));
    assert!(
        open > off + 5_000,
        "opened at {open} ms, PWM off at {off} ms"
    );
    r.ev[0].meas = Meas::Model;
    r.after(1_000);
    let po = r.po(0);
    assert!(!po.flags.contains(PointFlags::EV_OVERCURRENT), "{po:?}");
    assert!(!po.flags.contains(PointFlags::FAULT), "{po:?}");
    r.pi(0, |pi| pi.commands = Commands::EMPTY);
    let t = r.now;
    r.until(t + 120_000, |r| r.closed(0));
}

/// Proves PS-4: the hard over-current threshold is measured against the highest value signalled
/// within the response time, so an EV that follows a legal reduction slowly is not stopped; one
/// that still draws the old current after the response time is.
#[test]
fn ps4_ps5_a_legal_reduction_is_not_punished() {
    let mut raw = one(P32);
    raw.timers.ev_response_ms = 3_000;
    let mut r = Rig::new(raw);
    r.charge(0);
    r.after(1_000);
    assert_eq!(r.po(0).signal_ma, 31_980);
    // The limit drops to 14 A; the EV keeps drawing 32 A for 2.9 s.
    r.pi(0, |pi| pi.ev_limit_ma = Some(14_000));
    r.ev[0].meas = Meas::Fixed([31_980; 3]);
    let t0 = r.next_t();
    r.step();
    assert!(r.po(0).signal_ma <= 14_000);
    r.at(t0 + 2_900);
    assert!(
        r.closed(0) && r.pwm(0),
        "stopped within the response time: {:?}",
        r.po(0)
    );
    // Still 32 A at the end of the response time: stopped.
    let t = r.until(t0 + 4_000, |r| !r.closed(0));
    assert!(t >= t0 + 3_000, "stopped at {t} ms");
    assert!(r.po(0).flags.contains(PointFlags::EV_OVERCURRENT));
}

// ---------------------------------------------------------------------------------------------
// PS-4 / PS-5: graceful stops
// ---------------------------------------------------------------------------------------------

/// Charges point `p`, applies `trigger`, and checks the graceful stop: PWM off within `within_ms`
/// with the contactor still closed (STOPPING), then either (EV stays in C) the contactor opens
/// exactly when the grace time has run out, or (EV leaves to B `leave_after_ms` after the PWM
/// stopped) in the step B is believed.
#[track_caller]
fn graceful_stop<const P: usize>(
    what: &str,
    mut r: Rig<P, 1>,
    p: usize,
    trigger: &dyn Fn(&mut Rig<P, 1>),
    within_ms: u64,
    leave_after_ms: Option<u64>,
) -> Rig<P, 1> {
    let grace = u64::from(r.ctl.config().raw().timers.grace_ms);
    r.charge(p);
    r.after(1_000);
    let t0 = r.now;
    trigger(&mut r);
    // A trigger that pulses an input has already stepped.
    let off = if r.pwm(p) {
        r.until(t0 + within_ms + 10, |r| !r.pwm(p))
    } else {
        r.now
    };
    assert!(
        off <= t0 + within_ms + 10,
        "{what}: PWM off only at {off} ms"
    );
    let po = r.po(p);
    assert!(po.contactor, "{what}: opened at once: {po:?}");
    assert!(po.flags.contains(PointFlags::STOPPING), "{what}: {po:?}");
    assert_eq!(po.pilot, PilotOutput::Steady12V, "{what}");
    assert_eq!(po.evse_status.name(), "C_Ready_6V", "{what}");
    match leave_after_ms {
        None => {
            r.at(off + grace - 10);
            assert!(
                r.closed(p),
                "{what}: opened before the grace time: {:?}",
                r.po(p)
            );
            r.step();
            assert!(!r.closed(p), "{what}: still closed after the grace time");
        }
        Some(after) => {
            r.at(off + after);
            assert!(r.closed(p), "{what}");
            r.level(p, B_MV);
            let t1 = r.next_t();
            r.at(t1 + 10);
            assert!(r.closed(p), "{what}: opened before B was believed");
            r.at(t1 + 20);
            assert_eq!(r.state(p), VehicleState::B, "{what}");
            assert!(!r.closed(p), "{what}: closed in B");
        }
    }
    r
}

/// Runs a graceful stop twice: the EV staying in C, and the EV leaving to B after 1.5 s.
#[track_caller]
fn graceful_both<const P: usize>(
    what: &str,
    make: impl Fn() -> Rig<P, 1>,
    p: usize,
    trigger: &dyn Fn(&mut Rig<P, 1>),
    within_ms: u64,
) -> Rig<P, 1> {
    graceful_stop(what, make(), p, trigger, within_ms, None);
    graceful_stop(what, make(), p, trigger, within_ms, Some(1_500))
}

fn rig1(f: impl Fn(&mut Raw<1, 1>)) -> impl Fn() -> Rig<1, 1> {
    move || {
        let mut raw = one(P32);
        f(&mut raw);
        Rig::new(raw)
    }
}

/// Proves PS-4 and PS-5: a shed (the station's set point drops below the minimum) is a
/// graceful stop.
#[test]
fn ps4_graceful_shed() {
    let sp = |ma, t| {
        Some(SetPoint {
            current_ma: ma,
            received_ms: t,
        })
    };
    let make = || {
        let mut raw = one(P32);
        raw.external_control = true;
        raw.timers.setpoint_validity_ms = 3_600_000;
        let mut r = Rig::new(raw);
        r.inp.nodes[0].setpoint = sp(64_000, 0);
        r
    };
    let r = graceful_both(
        "shed",
        make,
        0,
        &|r| r.inp.nodes[0].setpoint = sp(10_000, r.now),
        10,
    );
    assert!(matches!(
        r.po(0).reason,
        AllocReason::Shed | AllocReason::SetPoint
    ));
}

/// Proves PS-4 and PS-5: a point set point of 0 A is a graceful stop.
#[test]
fn ps4_graceful_setpoint_zero() {
    let sp = |ma, t| {
        Some(SetPoint {
            current_ma: ma,
            received_ms: t,
        })
    };
    let make = || {
        let mut raw = one(P32);
        raw.external_control = true;
        raw.points[0].external = true;
        raw.nodes[0].external = false;
        raw.timers.setpoint_validity_ms = 3_600_000;
        let mut r = Rig::new(raw);
        r.inp.points[0].setpoint = sp(32_000, 0);
        r
    };
    let r = graceful_both(
        "set point 0",
        make,
        0,
        &|r| r.inp.points[0].setpoint = sp(0, r.now),
        10,
    );
    assert_eq!(r.po(0).reason, AllocReason::SetPoint);
}

/// Proves PS-4 and PS-5: the load-shedding input (IN-3) with a 0 A set point is a graceful stop.
#[test]
fn ps4_graceful_load_shedding_input_zero() {
    let make = rig1(|raw| {
        raw.inputs.in1 = Input1Function::LoadShedding;
        raw.inputs.load_shedding_ma = 0;
    });
    graceful_both(
        "load shedding",
        make,
        0,
        &|r| {
            r.input(true, false);
        },
        10,
    );
}

/// Proves PS-4 and PS-5: losing the conditional-start input (IN-4) is a graceful stop.
#[test]
fn ps4_graceful_conditional_start_lost() {
    let make = || {
        let mut raw = one(P32);
        raw.inputs.in2 = Input2Function::ConditionalStart;
        let mut r = Rig::new(raw);
        r.input(false, true);
        r
    };
    graceful_both(
        "conditional start",
        make,
        0,
        &|r| {
            r.input(false, false);
        },
        10,
    );
}

/// Proves PS-4 and PS-5: a suspend command (EX-2) is a graceful stop.
#[test]
fn ps4_graceful_suspend_command() {
    let make = rig1(|_| {});
    let r = graceful_both(
        "suspend",
        make,
        0,
        &|r| r.inp.points[0].commands = Commands::SUSPEND,
        10,
    );
    assert_eq!(r.po(0).reason, AllocReason::Command);
}

/// Proves PS-4 and PS-5: an EV drawing above its signal plus the tolerance (but below the hard
/// threshold) is stopped gracefully once its response time has run out.
#[test]
fn ps4_graceful_ev_over_current() {
    let make = rig1(|_| {});
    let r = graceful_both(
        "EV over-current",
        make,
        0,
        &|r| r.ev[0].extra_ma = 3_000,
        5_100,
    );
    assert_eq!(r.po(0).reason, AllocReason::EvOverCurrent);
}

/// Proves PS-4 and PS-5: a stop by the session's own badge is a graceful stop.
#[test]
fn ps4_graceful_badge_stop() {
    let make = || {
        let mut raw = one(P32);
        raw.session.auth_location = AuthLocation::ChargingStation;
        let mut r = Rig::new(raw);
        r.pulse(0, |pi, on| {
            pi.badge = if on { badge(7, BadgeKind::User) } else { None }
        });
        r
    };
    let r = graceful_both(
        "badge stop",
        make,
        0,
        &|r| {
            r.pulse(0, |pi, on| {
                pi.badge = if on { badge(7, BadgeKind::User) } else { None }
            })
        },
        10,
    );
    assert_ne!(r.po(0).status, OutletStatus::ChargeLoopStarted);
}

/// Proves PS-4 and PS-5: a remote stop is a graceful stop.
#[test]
fn ps4_graceful_remote_stop() {
    let make = rig1(|_| {});
    graceful_both(
        "remote stop",
        make,
        0,
        &|r| {
            r.pulse(0, |pi, on| {
                pi.remote = if on { Remote::Stop } else { Remote::None }
            })
        },
        10,
    );
}

// ---------------------------------------------------------------------------------------------
// PS-5: closing time, rise interval
// ---------------------------------------------------------------------------------------------

/// Proves PS-5 and PS-1: with the longest accepted debounce towards C at the longest sample
/// period (2 000 ms at 40 ms), the contactor still closes within 3 s of B → C.
#[test]
fn ps5_closes_within_3_s_of_b_to_c_at_the_slowest_accepted_timing() {
    let mut raw = one(P32);
    raw.timers.sample_period_ms = 40;
    raw.timers.debounce_charge_ms = 2_000;
    raw.timers.debounce_safer_ms = 20;
    let mut r = Rig::new(raw);
    r.pp(0, Some(220)).level(0, B_MV).at(2_000);
    assert!(r.pwm(0));
    // The real change happens just after a sample.
    let t_real = r.now + 1;
    r.level(0, C_MV);
    let t = r.until(t_real + 3_000, |r| r.closed(0));
    assert!(t - t_real <= 3_000, "closed {} ms after B -> C", t - t_real);
}

/// Proves PS-5: a reduction is signalled in the next step; a rise no more often than the rise
/// interval (5 s), from the last rise.
#[test]
fn ps5_rise_interval_and_immediate_reduction() {
    let mut r = Rig::new(one(P32));
    r.pi(0, |pi| pi.ev_limit_ma = Some(16_000));
    r.pp(0, Some(220)).level(0, C_MV);
    // The start (0 -> 16 A) counts as the last rise.
    let t_pwm = r.until(1_000, |r| r.pwm(0));
    let t_start = r.until(2_000, |r| r.closed(0));
    r.at(t_start + 1_000);
    r.pi(0, |pi| pi.ev_limit_ma = Some(32_000));
    r.step();
    assert_eq!(r.po(0).allocation_ma, 16_000);
    assert_eq!(r.po(0).reason, AllocReason::RateLimit);
    let t_up = r.until(t_start + 10_000, |r| r.po(0).allocation_ma > 16_000);
    assert_eq!(t_up, t_pwm + 5_000, "rise at {t_up} ms");
    assert_eq!(r.po(0).allocation_ma, 32_000);
    // A reduction: at once.
    r.at(t_up + 500);
    r.pi(0, |pi| pi.ev_limit_ma = Some(20_000));
    r.step();
    assert_eq!(r.po(0).allocation_ma, 20_000);
    assert!(r.po(0).signal_ma <= 20_000);
    // And up again: 5 s after the last rise, not after the reduction.
    r.pi(0, |pi| pi.ev_limit_ma = Some(32_000));
    let t_up2 = r.until(t_up + 10_000, |r| r.po(0).allocation_ma > 20_000);
    assert_eq!(t_up2, t_up + 5_000);
}

// ---------------------------------------------------------------------------------------------
// PS-6: status names through the step
// ---------------------------------------------------------------------------------------------

/// Proves PS-6: `evse_status` names the believed state, with or without PWM, through a session.
#[test]
fn ps6_evse_status_names_through_the_step() {
    let mut r = Rig::new(one(P32));
    let name = |r: &Rig<1, 1>| r.po(0).evse_status.name();
    r.at(100);
    assert_eq!(name(&r), "A_Not_Present_12V");
    r.pi(0, |pi| pi.authorised = false);
    r.pp(0, Some(220)).level(0, B_MV);
    r.at(500);
    assert_eq!(name(&r), "B_Present_9V");
    r.pi(0, |pi| pi.authorised = true);
    r.at(600);
    assert_eq!(name(&r), "B_Present_Asked_9V_M12V");
    r.level(0, C_MV).at(1_000);
    assert_eq!(name(&r), "C_Ready_6V_M12V");
    r.pi(0, |pi| pi.commands = Commands::SUSPEND).at(1_100);
    assert_eq!(name(&r), "C_Ready_6V");
    r.pi(0, |pi| pi.commands = Commands::EMPTY);
    r.level(0, D_MV).at(1_500);
    assert_eq!(name(&r), "D_Ready_VR_3V", "indoors: D stops, no PWM");
    r.level(0, E_MV).at(1_600);
    assert_eq!(name(&r), "E_ShortCut");
    r.level(0, F_MV).at(1_700);
    assert_eq!(name(&r), "F_NotAvailable");
    r.level(0, 20_000).at(1_800);
    assert_eq!(name(&r), "F_NotAvailable");

    let mut raw = one(P32);
    raw.location = Location::Outdoor;
    let mut r = Rig::new(raw);
    r.pp(0, Some(220)).level(0, D_MV).at(1_000);
    assert_eq!(name(&r), "D_Ready_VR_3V_M12V");
    assert!(r.closed(0), "outdoors D charges");
}
