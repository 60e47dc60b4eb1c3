//! Step-level scenarios of metering (SPEC §7): MT-1 (energy from the measured current, exact over a
//! day of 10 ms steps, no overflow over ten years) and MT-2 (an external meter's register). The
//! long MT-1 runs go straight on `Controller` to stay quick; the rest goes through the step, on the
//! rig of `common/pilot_rig.rs`, which checks the signal and contactor invariants in every step, so
//! each scenario is also an invariant run.

mod common;

use common::pilot_rig::{P32, Rig, big, one};
use loadpilot_core::{Controller, PointConfig, StationErrors, StepInputs, VehicleState};

// ---------------------------------------------------------------------------------------------
// MT-1, MT-2: metering
// ---------------------------------------------------------------------------------------------

/// mV·mA·ms in one mWh.
const UNITS_PER_MWH: u128 = 3_600_000_000;

/// Proves MT-1: 24 h of 10 ms steps at a constant current (13.337 A on three phases, 230 V)
/// books the exact product within 1 mWh. Straight on `Controller` to keep it quick.
#[test]
fn mt1_24_h_at_10_ms_steps_is_exact() {
    const DAY: u64 = 86_400_000;
    let amps = [13_337u32, 13_337, 13_337];
    let mut ctl = Controller::<1, 1>::new(one(P32)).expect("valid");
    let mut inp = StepInputs::<1, 1>::default();
    inp.points[0].vehicle = VehicleState::C;
    inp.points[0].authorised = true;
    inp.points[0].measured_ma = Some([0; 3]);
    let mut t = 0;
    while !ctl.step(&inp, t).points[0].contactor {
        t += 10;
    }
    let (t0, e0) = (t, ctl.outputs().points[0].energy_mwh);
    assert_eq!(e0, 0);
    inp.points[0].measured_ma = Some(amps);
    while t < t0 + DAY {
        t += 10;
        ctl.step(&inp, t);
    }
    let got = ctl.outputs().points[0].energy_mwh;
    let exact = 230_000u128 * 40_011 * u128::from(DAY) / UNITS_PER_MWH;
    assert!(ctl.outputs().points[0].contactor, "charging all day");
    assert!(
        u128::from(got).abs_diff(exact) <= 1,
        "booked {got} mWh, exact {exact} mWh"
    );
}

/// Proves MT-1 and SU-3: ten years at 3 × 80 A and 276 V, stepped every `max_gap_ms` (10 s, so
/// nothing is capped), book exactly 184 000 mWh per step: no overflow, no drift, and the clock's
/// epoch moves on (u32 offsets) without a fault.
#[test]
fn mt1_ten_years_at_3_x_80_a_276_v_no_overflow() {
    const YEARS10_MS: u64 = 3_652 * 86_400_000 + 6 * 3_600_000;
    let mut raw = big(PointConfig::three_phase(0, 80_000));
    raw.voltage_mv = 276_000;
    raw.timers.max_gap_ms = 10_000;
    let mut ctl = Controller::<1, 1>::new(raw).expect("valid");
    let mut inp = StepInputs::<1, 1>::default();
    inp.points[0].vehicle = VehicleState::C;
    inp.points[0].authorised = true;
    inp.points[0].measured_ma = Some([0; 3]);
    let mut t = 0;
    while !ctl.step(&inp, t).points[0].contactor {
        t += 10;
    }
    inp.points[0].measured_ma = Some([80_000; 3]);
    let mut steps = 0u64;
    let end = t + YEARS10_MS;
    while t < end {
        t += 10_000;
        steps += 1;
        let out = ctl.step(&inp, t);
        assert!(
            !out.station.errors.contains(StationErrors::CLOCK_FAULT),
            "at {t} ms"
        );
    }
    let got = ctl.outputs().points[0].energy_mwh;
    assert_eq!(got, 184_000 * steps, "after {steps} steps of 10 s");
    assert!(got > 5_800_000_000_000, "{got} mWh");
}

/// Proves MT-2: an external meter's register moves the session energy by its increase (the first
/// reading only sets the base, a register that goes back is a new base); while it is absent MT-1
/// counts from the measured current; when it returns it sets a new base, not a jump.
#[test]
fn mt2_external_meter_moves_the_energy_by_its_increase() {
    let mut r = Rig::new(one(P32));
    r.charge(0);
    r.after(1_000);
    let meter = |r: &mut Rig<1, 1>, v: Option<u64>| {
        r.pi(0, |pi| pi.meter_mwh = v).step();
        r.po(0).energy_mwh
    };
    let e0 = r.po(0).energy_mwh;
    assert!(e0 > 0, "MT-1 counted before the meter");
    assert_eq!(
        meter(&mut r, Some(1_000_000)),
        e0,
        "the first reading is the base"
    );
    assert_eq!(meter(&mut r, Some(1_000_500)), e0 + 500);
    assert_eq!(meter(&mut r, Some(1_000_500)), e0 + 500);
    assert_eq!(
        meter(&mut r, Some(1_000_400)),
        e0 + 500,
        "a register going back"
    );
    assert_eq!(meter(&mut r, Some(1_000_450)), e0 + 550);
    // Absent: MT-1 from 3 × 31.98 A at 230 V, about 61.3 mWh per 10 ms step.
    let e1 = e0 + 550;
    let mut e = e1;
    for _ in 0..100 {
        e = meter(&mut r, None);
    }
    let mt1 = 230_000u128 * 3 * 31_980 * 10 * 100 / UNITS_PER_MWH;
    assert!(
        u128::from(e - e1).abs_diff(mt1) <= 1,
        "MT-1 fallback booked {} mWh, expected {mt1}",
        e - e1
    );
    assert_eq!(
        meter(&mut r, Some(9_000_000)),
        e,
        "the meter returns: a new base"
    );
    assert_eq!(meter(&mut r, Some(9_000_100)), e + 100);
}
