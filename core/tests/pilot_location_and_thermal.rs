//! Step-level scenarios of where the station stands and how warm it runs (SPEC §3.5, §4.1): LOC-1
//! (state D charges outdoors and stops indoors) and TH-1 (linear thermal derating, the pause with
//! its hysteresis, a missing sensor). Everything goes through the step, on the rig of
//! `common/pilot_rig.rs`, which checks the signal and contactor invariants in every step, so each
//! scenario is also an invariant run.

mod common;

use common::config_checks::{accepted, refused};
use common::pilot_rig::{B_MV, D_MV, P32, Raw, Rig, one};
use loadpilot_core::{
    AllocReason, Field, Location, PointFlags, Reason, ThermalConfig, VehicleState,
};

// ---------------------------------------------------------------------------------------------
// LOC-1
// ---------------------------------------------------------------------------------------------

/// Proves LOC-1: outdoors, state D charges like C (the contactor stays closed through C → D and
/// closes on B → D); indoors D stops with the ventilation flag (see also the PS-4 test).
#[test]
fn loc1_d_outdoors_charges_indoors_stops() {
    let mut raw = one(P32);
    raw.location = Location::Outdoor;
    let mut r = Rig::new(raw);
    r.charge(0);
    r.level(0, D_MV);
    for _ in 0..100 {
        r.step();
        assert!(r.closed(0), "at {} ms: {:?}", r.now, r.po(0));
    }
    assert_eq!(r.state(0), VehicleState::D);
    assert!(r.po(0).flags.contains(PointFlags::VENTILATION_REQUIRED));
    r.level(0, B_MV);
    let t = r.now;
    r.until(t + 200, |r| !r.closed(0));
    // PS-4: leaving D for B is an immediate stop with PWM off; the point may charge again after
    // its minimum pause (LB-6, default 60 s).
    assert!(!r.pwm(0), "{:?}", r.po(0));
    r.level(0, D_MV);
    let t = r.now;
    r.until(t + 61_000, |r| r.closed(0));
    assert!(
        r.now > t + 59_000,
        "restarted at {} ms, before the pause",
        r.now
    );
    assert_eq!(r.state(0), VehicleState::D);

    let mut r = Rig::new(one(P32));
    r.pp(0, Some(220)).level(0, D_MV);
    for _ in 0..300 {
        r.step();
        assert!(
            !r.closed(0) && !r.pwm(0),
            "indoors D at {} ms: {:?}",
            r.now,
            r.po(0)
        );
    }
    assert!(r.po(0).flags.contains(PointFlags::VENTILATION_REQUIRED));
    assert_eq!(r.po(0).reason, AllocReason::Ventilation);
}

// ---------------------------------------------------------------------------------------------
// TH-1: thermal derating
// ---------------------------------------------------------------------------------------------

fn thermal_raw() -> Raw<1, 1> {
    let mut raw = one(P32);
    raw.timers.min_pause_ms = 0;
    raw.timers.rise_interval_ms = 1_000;
    raw.protection.thermal = Some(ThermalConfig {
        derate_start_dc: 600,
        derate_end_dc: 800,
        pause_dc: 900,
        hysteresis_dc: 50,
    });
    raw
}

/// Proves TH-1's configuration: the derating starts below its end, which is below the pause
/// temperature, and the hysteresis is above zero, or the configuration is refused naming the
/// thermal parameters; each condition is checked at its edge (one 0.1 °C apart is accepted,
/// equal temperatures or no hysteresis are refused) with the others right.
#[test]
fn th1_thermal_parameters_out_of_order_are_refused() {
    let with = |start, end, pause, hysteresis| {
        let mut raw = thermal_raw();
        raw.protection.thermal = Some(ThermalConfig {
            derate_start_dc: start,
            derate_end_dc: end,
            pause_dc: pause,
            hysteresis_dc: hysteresis,
        });
        raw
    };
    accepted(with(600, 601, 602, 1));
    for (start, end, pause, hysteresis) in [
        (601, 601, 900, 50),
        (700, 600, 900, 50),
        (600, 900, 900, 50),
        (600, 901, 900, 50),
        (600, 800, 900, 0),
    ] {
        refused(
            with(start, end, pause, hysteresis),
            Field::Protection("thermal"),
            Reason::ThermalOrder,
        );
    }
}

/// Proves TH-1: above the start temperature the ceiling falls linearly to the minimum at the end
/// temperature; at the pause temperature the point pauses until it is the hysteresis below.
#[test]
fn th1_linear_derating_pause_with_hysteresis() {
    let mut r = Rig::new(thermal_raw());
    r.pi(0, |pi| pi.temperature_dc = Some(500));
    r.charge(0);
    assert_eq!(r.po(0).allocation_ma, 32_000);
    for (temp, want) in [
        (600, 32_000),
        (700, 23_000),
        (750, 18_500),
        (800, 14_000),
        (899, 14_000),
    ] {
        r.pi(0, |pi| pi.temperature_dc = Some(temp));
        r.step();
        let po = r.po(0);
        assert_eq!(po.allocation_ma, want, "{temp} dC: {po:?}");
        assert_eq!(
            po.flags.contains(PointFlags::THERMAL),
            temp > 600,
            "{temp} dC"
        );
        assert!(po.contactor && r.pwm(0));
    }
    r.pi(0, |pi| pi.temperature_dc = Some(900)).step();
    assert!(!r.pwm(0), "paused at 90 °C: {:?}", r.po(0));
    assert_eq!(r.po(0).reason, AllocReason::Thermal);
    r.pi(0, |pi| pi.temperature_dc = Some(850));
    r.after(2_000);
    assert!(!r.pwm(0), "resumed within the hysteresis");
    r.pi(0, |pi| pi.temperature_dc = Some(849));
    let t = r.now;
    r.until(t + 1_000, |r| r.pwm(0));
    assert_eq!(r.po(0).allocation_ma, 14_000);
    r.pi(0, |pi| pi.temperature_dc = Some(550));
    let t = r.now;
    r.until(t + 3_000, |r| r.po(0).allocation_ma == 32_000);
}

/// Proves TH-1: as the temperature climbs, the point is derated to its minimum before it
/// pauses; a missing temperature while derating is configured runs at the minimum.
#[test]
fn th1_derate_before_stop_missing_sensor_at_minimum() {
    let mut r = Rig::new(thermal_raw());
    r.pi(0, |pi| pi.temperature_dc = Some(600));
    r.charge(0);
    let mut last = r.po(0).allocation_ma;
    for temp in 600..=950 {
        r.pi(0, |pi| pi.temperature_dc = Some(temp)).step();
        let a = r.po(0).allocation_ma;
        assert!(a <= last, "{temp} dC: rose {last} -> {a}");
        if temp < 900 {
            assert!(
                a >= 14_000 && r.pwm(0),
                "{temp} dC: stopped before the pause: {a}"
            );
        } else {
            assert_eq!(a, 0, "{temp} dC");
        }
        if (800..900).contains(&temp) {
            assert_eq!(a, 14_000, "{temp} dC");
        }
        last = a;
    }
    let mut r = Rig::new(thermal_raw());
    r.charge(0);
    assert_eq!(
        r.po(0).allocation_ma,
        14_000,
        "no temperature: {:?}",
        r.po(0)
    );
}
