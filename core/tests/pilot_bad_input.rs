//! Bad input on the pilot side (SPEC §4, §5.5, §6): each has a defined outcome that fails safe,
//! never a panic. CP levels between or outside the bands (PS-1, SU-2), impossible PP resistances
//! during a charge (CAB-2), every timer at its minimum (PS-1, PS-4), safety timers of 0 (§5.5) and
//! badges for a point without a session (AU-2, AU-3). Everything goes through the step, on the rig
//! of `common/pilot_rig.rs`, which checks the signal and contactor invariants in every step, so
//! each scenario is also an invariant run.

mod common;

use common::pilot_rig::{B_MV, C_MV, P32, Raw, Rig, badge, is_fault, one, two};
use loadpilot_core::cp::EvseStatus;
use loadpilot_core::{
    AuthLocation, BadgeKind, Commands, Config, Field, LastError, OutletStatus, PilotOutput,
    PointFlags, Reason, Remote, StationErrors,
};

// ---------------------------------------------------------------------------------------------
// Bad input: each has a defined outcome that fails safe, never a panic
// ---------------------------------------------------------------------------------------------

const BAD_LEVELS: [i32; 10] = [
    13_501,
    20_000,
    i32::MAX,
    -1_501,
    -5_000,
    -10_500,
    -13_501,
    -20_000,
    i32::MIN,
    i32::MIN + 1,
];

/// Proves PS-1 and SU-2 (bad input): CP levels between or outside the bands, from the first step
/// or during a charge, end in a pilot fault: contactor open, PWM off, within the safer debounce.
#[test]
fn ps1_su2_levels_between_bands_fail_safe() {
    for mv in BAD_LEVELS {
        let mut r = Rig::new(one(P32));
        r.pp(0, Some(220)).level(0, mv);
        for _ in 0..200 {
            r.step();
            assert!(
                !r.closed(0) && !r.pwm(0),
                "{mv} mV from the start: {:?}",
                r.po(0)
            );
        }
        assert!(is_fault(&r.po(0)), "{mv} mV: {:?}", r.po(0));
        assert_eq!(r.po(0).evse_status, EvseStatus::FNotAvailable);

        let mut r = Rig::new(one(P32));
        r.charge(0);
        r.level(0, mv);
        let t = r.now;
        let t_f = r.until(t + 100, |r| is_fault(&r.po(0)));
        assert!(t_f <= t + 30, "{mv} mV: fault only at {t_f} ms");
        assert!(!r.closed(0) && !r.pwm(0), "{mv} mV: {:?}", r.po(0));
        // A garbage low level while PWM is on is a diode fault, not a panic.
        let mut r = Rig::new(one(P32));
        r.charge(0);
        r.low(0, Some(mv));
        let t = r.now;
        r.until(t + 100, |r| r.po(0).flags.contains(PointFlags::DIODE_FAULT));
        assert!(!r.closed(0) && !r.pwm(0));
    }
}

/// Proves CAB-2 (bad input): impossible PP resistances during a charge stop it at once (cable
/// fault: contactor open, PWM off).
#[test]
fn cab2_impossible_resistances_during_a_charge_fail_safe() {
    for ohm in [
        0,
        1,
        79,
        141,
        163,
        309,
        399,
        937,
        1_099,
        2_461,
        4_500,
        u32::MAX,
    ] {
        let mut r = Rig::new(one(P32));
        r.charge(0);
        r.pp(0, Some(ohm)).step();
        let po = r.po(0);
        assert!(
            po.flags.contains(PointFlags::CABLE_FAULT),
            "{ohm} Ω: {po:?}"
        );
        assert!(
            !po.contactor && po.pilot != PilotOutput::Pwm,
            "{ohm} Ω: {po:?}"
        );
    }
}

/// Every timer at the smallest value the configuration accepts.
fn minimum_timers(raw: &mut Raw<1, 1>) {
    let t = &mut raw.timers;
    t.sample_period_ms = 10;
    t.contactor_release_ms = 1;
    t.debounce_safer_ms = 1;
    t.debounce_charge_ms = 1;
    t.ev_response_ms = 1_000;
    t.grace_ms = 1_000;
    t.rise_interval_ms = 1_000;
    t.min_pause_ms = 0;
    t.min_run_ms = 0;
    t.idle_ms = 1_000;
    t.phase_detection_ms = 1_000;
    t.setpoint_validity_ms = 1_000;
    t.site_meter_validity_ms = 1_000;
    t.site_meter_hold_ms = 0;
    t.auth_timeout_ms = 0;
    t.wakeup_after_ms = 1_000;
    t.wakeup_f_ms = 1_000;
    t.wakeup_settle_ms = 1;
    t.stagger_ms = 0;
    t.max_gap_ms = 100;
    raw.protection.welded_ms = 100;
    raw.protection.welded_current_ma = 100;
    let s = &mut raw.session;
    s.shutter_ms = 500;
    s.lock_ms = 500;
    s.plug_wait_ms = 1_000;
    s.ev_wait_ms = 1_000;
    s.unplug_wait_ms = 1_000;
}

/// Proves PS-1, PS-4, PS-5 and SU-3 (bad input): with every timer at its minimum a charge runs
/// through stops, glitches, a gap and faults with the invariants of every step held, and a real
/// C → B still opens the contactor within the PS-1 budget.
#[test]
fn ps1_ps4_timers_at_their_minimum_stay_safe() {
    let mut raw = one(P32);
    minimum_timers(&mut raw);
    let mut r = Rig::new(raw);
    r.charge(0);
    r.after(2_000);
    for _ in 0..3 {
        r.level(0, B_MV);
        let t = r.now;
        let t_open = r.until(t + 100, |r| !r.closed(0));
        assert!(
            t_open - t <= 20,
            "opened {} ms after the change",
            t_open - t
        );
        r.at(t_open + 500);
        r.level(0, C_MV);
        let t = r.now;
        r.until(t + 2_000, |r| r.closed(0));
        r.after(1_500);
    }
    r.pi(0, |pi| pi.commands = Commands::SUSPEND).after(3_000);
    assert!(!r.closed(0), "grace time of 1 s over");
    r.pi(0, |pi| pi.commands = Commands::EMPTY).level(0, B_MV);
    r.after(5_000);
    r.level(0, C_MV).after(2_000);
    let t = r.now;
    r.step_at(t + 150);
    assert!(r.errors().contains(StationErrors::STEP_GAP));
    assert!(!r.closed(0));
    r.level(0, -7_000).after(500);
    assert!(is_fault(&r.po(0)) && !r.closed(0) && !r.pwm(0));
}

/// Proves §5.5 and PS-1 (bad input): a safety timer of 0 is refused by `Config::new`, naming the
/// field; the timers that may be 0 (pauses, stagger, hold, authentication timeout) are accepted.
#[test]
fn ps1_zero_safety_timers_are_refused() {
    type Set = fn(&mut Raw<1, 1>);
    let refused: [(Field, Set); 21] = [
        (Field::Timer("sample_period_ms"), |r| {
            r.timers.sample_period_ms = 0
        }),
        (Field::Timer("contactor_release_ms"), |r| {
            r.timers.contactor_release_ms = 0
        }),
        (Field::Timer("debounce_safer_ms"), |r| {
            r.timers.debounce_safer_ms = 0
        }),
        (Field::Timer("debounce_charge_ms"), |r| {
            r.timers.debounce_charge_ms = 0
        }),
        (Field::Timer("ev_response_ms"), |r| {
            r.timers.ev_response_ms = 0
        }),
        (Field::Timer("grace_ms"), |r| r.timers.grace_ms = 0),
        (Field::Timer("rise_interval_ms"), |r| {
            r.timers.rise_interval_ms = 0
        }),
        (Field::Timer("idle_ms"), |r| r.timers.idle_ms = 0),
        (Field::Timer("phase_detection_ms"), |r| {
            r.timers.phase_detection_ms = 0
        }),
        (Field::Timer("setpoint_validity_ms"), |r| {
            r.timers.setpoint_validity_ms = 0
        }),
        (Field::Timer("site_meter_validity_ms"), |r| {
            r.timers.site_meter_validity_ms = 0
        }),
        (Field::Timer("wakeup_after_ms"), |r| {
            r.timers.wakeup_after_ms = 0
        }),
        (Field::Timer("wakeup_f_ms"), |r| r.timers.wakeup_f_ms = 0),
        (Field::Timer("wakeup_settle_ms"), |r| {
            r.timers.wakeup_settle_ms = 0
        }),
        (Field::Timer("max_gap_ms"), |r| r.timers.max_gap_ms = 0),
        (Field::Protection("welded_ms"), |r| {
            r.protection.welded_ms = 0
        }),
        (Field::Session("shutter_ms"), |r| r.session.shutter_ms = 0),
        (Field::Session("lock_ms"), |r| r.session.lock_ms = 0),
        (Field::Session("plug_wait_ms"), |r| {
            r.session.plug_wait_ms = 0
        }),
        (Field::Session("ev_wait_ms"), |r| r.session.ev_wait_ms = 0),
        (Field::Session("unplug_wait_ms"), |r| {
            r.session.unplug_wait_ms = 0
        }),
    ];
    for (field, set) in refused {
        let mut raw = one(P32);
        set(&mut raw);
        let e = Config::new(raw).expect_err("a zero safety timer accepted");
        assert_eq!(e.field, field);
        assert!(
            matches!(e.reason, Reason::OutOfRange { value: 0, .. }),
            "{field:?}: {:?}",
            e.reason
        );
    }
    let mut raw = one(P32);
    raw.timers.min_pause_ms = 0;
    raw.timers.min_run_ms = 0;
    raw.timers.stagger_ms = 0;
    raw.timers.site_meter_hold_ms = 0;
    raw.timers.auth_timeout_ms = 0;
    assert!(Config::new(raw).is_ok());
}

/// Proves AU-2, AU-3 and PS-4 (bad input): badges and remote decisions for a point that has no
/// session (Admin at idle, accept/reject/stop with nothing pending, a badge under free access, a
/// user badge with no plug) have a defined outcome and never give current; a badge of another
/// point's session at a free point leaves that session alone.
#[test]
fn au2_au3_badge_for_a_point_without_a_session_fails_safe() {
    let mut raw = two(P32);
    raw.session.auth_location = AuthLocation::ChargingStation;
    raw.session.plug_wait_ms = 1_000;
    let mut r = Rig::new(raw);
    r.pulse(0, |pi, on| {
        pi.badge = if on { badge(7, BadgeKind::User) } else { None }
    });
    r.charge(0);
    r.after(500);
    let idle = |r: &Rig<2, 1>| {
        let po = r.po(1);
        assert!(!po.contactor && po.pilot != PilotOutput::Pwm, "{po:?}");
        assert!(r.closed(0), "point 0's session disturbed: {:?}", r.po(0));
    };
    r.pulse(1, |pi, on| {
        pi.badge = if on { badge(9, BadgeKind::Admin) } else { None }
    });
    idle(&r);
    assert_eq!(r.po(1).status, OutletStatus::InitDone);
    for remote in [Remote::Accept, Remote::Reject, Remote::Stop] {
        r.pulse(1, |pi, on| {
            pi.remote = if on { remote } else { Remote::None }
        });
        idle(&r);
        assert_eq!(r.po(1).status, OutletStatus::InitDone, "{remote:?}");
    }
    // Point 0's own badge presented at the free point 1: a session waiting for a plug there.
    r.pulse(1, |pi, on| {
        pi.badge = if on { badge(7, BadgeKind::User) } else { None }
    });
    for _ in 0..150 {
        r.step();
        idle(&r);
    }
    assert_eq!(r.po(1).status, OutletStatus::InitDone);
    assert_eq!(r.po(1).last_error, LastError::PlugNotDetected);
    assert_eq!(r.po(0).status, OutletStatus::ChargeLoopStarted);

    // Free access: a badge with nothing plugged is ignored.
    let mut r = Rig::new(one(P32));
    r.at(100);
    r.pulse(0, |pi, on| {
        pi.badge = if on { badge(7, BadgeKind::Vip) } else { None }
    });
    r.at(1_000);
    assert_eq!(r.po(0).status, OutletStatus::InitDone);
    assert!(!r.closed(0) && !r.pwm(0));
}
