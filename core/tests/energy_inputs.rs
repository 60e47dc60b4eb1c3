//! Scenario tests of what the energy rules take from outside (SPEC §3): external set points and
//! their fallback (LB-8, EX-1), the commands (EX-2), the function inputs (IN-1 … IN-5), the
//! station location (LOC-1) and a clock going backwards (SU-3), tick by tick through the harness
//! of `common/` (which also checks LB-1 and LB-3 in every step); and the step's refusal of a
//! caller slice of the wrong length.
//!
//! Times are absolute ms from the first step. Most tests set the start stagger to 0 (`station`).

mod common;

use common::energy::{P32, external};
use common::{Ev, Scenario, Slices, station};
use loadpilot_core::{
    AllocReason, Commands, Config, Input1Function, Input2Function, Location, NO_NODE, NodeConfig,
    PilotOutput, PointFlags, Polarity, ProductFamily, RawConfig, Reason, StationErrors,
    VehicleState, two_point_station,
};

// ---- LB-8 ----

/// Proves LB-8: without any set point a node runs on its fail-safe current (default: the largest
/// start threshold, 21 A), reason Fallback, SETPOINT_LOST.
#[test]
fn lb8_absent_setpoint_falls_back() {
    let mut s = Scenario::new(external(64_000, [P32; 2]));
    s.plug(0).plug(1).at(1_000);
    assert_eq!(s.ctl().node_states()[0].limit_ma(), [21_000; 3]);
    s.expect_alloc(0, 21_000)
        .expect_reason_at(0, AllocReason::Fallback, 0);
    s.expect_flag(0, PointFlags::FALLBACK, true);
    s.expect_alloc(1, 0);
    s.expect_error(StationErrors::SETPOINT_LOST, true);
}

/// Proves LB-8: a set point older than its validity time falls back (then LB-5 sheds).
#[test]
fn lb8_stale_setpoint_falls_back() {
    let mut raw = station(64_000, [P32; 2]);
    raw.external_control = true;
    let mut s = Scenario::new(raw);
    s.node_setpoint(0, 40_000).plug(0).plug(1).at(60_000);
    s.expect_alloc(0, 20_000).expect_alloc(1, 20_000);
    s.expect_error(StationErrors::SETPOINT_LOST, false);
    s.at(60_010);
    s.expect_error(StationErrors::SETPOINT_LOST, true);
    s.expect_alloc(1, 0).expect_flag(1, PointFlags::SHED, true);
    s.expect_alloc(0, 20_000); // its rise to 21 A waits for point 1's EV (LB-9)
    s.until(70_000, |s| s.point(0).allocation_ma == 21_000);
    s.expect_reason_at(0, AllocReason::Fallback, 0);
}

/// Proves LB-8: a set point stamped in the future is stale until its time comes.
#[test]
fn lb8_future_stamped_setpoint_is_stale() {
    let mut s = Scenario::new(external(64_000, [P32; 1]));
    s.node_setpoint_at(0, 40_000, 5_000).plug(0).at(4_990);
    s.expect_error(StationErrors::SETPOINT_LOST, true);
    s.expect_alloc(0, 21_000)
        .expect_reason(0, AllocReason::Fallback);
    s.at(5_000);
    s.expect_error(StationErrors::SETPOINT_LOST, false);
    assert_eq!(s.ctl().node_states()[0].limit_ma(), [40_000; 3]);
}

/// Proves LB-8: an explicit fail-safe current is shared by LB-4; one above its limit is refused;
/// a point's own set point falls back to its start threshold.
#[test]
fn lb8_explicit_fail_safe_and_point_fallback() {
    let mut raw = external(64_000, [P32; 2]);
    raw.nodes[0].fail_safe_ma = Some([70_000; 3]);
    assert!(matches!(
        Config::new(raw.clone()).err().map(|e| e.reason),
        Some(Reason::AboveLimit { .. })
    ));
    raw.nodes[0].fail_safe_ma = Some([36_000; 3]);
    let mut s = Scenario::new(raw);
    s.plug(0).plug(1).at(1_000);
    s.expect_alloc(0, 18_000).expect_alloc(1, 18_000);

    let mut pc = P32;
    pc.external = true;
    let mut raw = external(64_000, [pc]);
    raw.nodes[0].external = false;
    let mut s = Scenario::new(raw);
    s.plug(0).at(1_000);
    s.expect_alloc(0, 21_000)
        .expect_reason(0, AllocReason::Fallback);
    s.expect_error(StationErrors::SETPOINT_LOST, true);
}

// ---- EX-1 ----

/// Proves EX-1: a set point is clamped down to the configured maximum, and one below the minimum
/// means 0, never a raise (node and point).
#[test]
fn ex1_setpoint_clamped_down_and_below_minimum_is_zero() {
    let mut s = Scenario::new(external(40_000, [P32; 2]));
    s.node_setpoint(0, 60_000).plug(0).plug(1).at(1_000);
    assert_eq!(s.ctl().node_states()[0].limit_ma(), [40_000; 3]);
    s.expect_alloc(0, 20_000).expect_alloc(1, 20_000);

    let mut s = Scenario::new(external(40_000, [P32]));
    s.node_setpoint(0, 13_000)
        .plug(0)
        .at(1_000)
        .expect_alloc(0, 0);

    let mut pc = P32;
    pc.external = true;
    let mut raw = external(64_000, [pc]);
    raw.nodes[0].external = false;
    let mut s = Scenario::new(raw);
    s.plug(0).point_setpoint(0, 50_000).at(1_000);
    s.expect_alloc(0, 32_000)
        .expect_reason(0, AllocReason::Rated);
    s.point_setpoint(0, 20_000).step();
    s.expect_alloc(0, 20_000)
        .expect_reason(0, AllocReason::SetPoint);
    s.point_setpoint(0, 10_000).step();
    s.expect_alloc(0, 0).expect_reason(0, AllocReason::SetPoint);
}

// ---- EX-2 ----

/// Proves EX-2: each command stops a running charge and prevents a new one, shows its flag, and
/// the charge resumes once it is lifted.
#[test]
fn ex2_each_command_stops_and_shows_its_flag() {
    let table = [
        (Commands::POSTPONE, PointFlags::CHARGE_POSTPONE),
        (Commands::SUSPEND, PointFlags::SUSPEND_PLC_CMD),
        (Commands::MAINTENANCE, PointFlags::MAINTENANCE_PLC_CMD),
        (Commands::BOOKED, PointFlags::BOOKED_PLC_CMD),
        (Commands::UNAVAILABLE, PointFlags::UNAVAILABLE_PLC_CMD),
        (Commands::UNAVAILABLE_OCPP, PointFlags::UNAVAILABLE_OCPP_CMD),
    ];
    for (cmd, flag) in table {
        let mut raw = station(32_000, [P32; 2]);
        raw.timers.min_pause_ms = 0;
        let mut s = Scenario::new(raw);
        s.plug(0).command(1, cmd).plug(1).at(1_000);
        s.expect_alloc(0, 32_000).expect_flag(0, flag, false);
        s.expect_alloc(1, 0)
            .expect_reason(1, AllocReason::Command)
            .expect_flag(1, flag, true);
        s.command(0, cmd).step();
        s.expect_alloc(0, 0).expect_reason(0, AllocReason::Command);
        s.expect_flag(0, flag, true)
            .expect_flag(0, PointFlags::PWM_ON, false);
        s.command(0, Commands::EMPTY).at(2_000);
        s.expect_alloc(0, 32_000).expect_flag(0, flag, false);
        s.at(5_000).expect_alloc(1, 0);
    }
}

// ---- IN-1 … IN-5 ----

/// Proves IN-1: normally open is active when closed; normally closed is active when open (a
/// broken wire activates the function). Function: load shedding to 0 A.
#[test]
fn in1_contact_polarity() {
    for (polarity, idle_contact) in [
        (Polarity::NormallyOpen, false),
        (Polarity::NormallyClosed, true),
    ] {
        let mut raw = station(32_000, [P32]);
        raw.inputs.in1 = Input1Function::LoadShedding;
        raw.inputs.in1_polarity = polarity;
        let mut s = Scenario::new(raw);
        s.input(idle_contact, false).plug(0).at(1_000);
        s.expect_alloc(0, 32_000);
        s.input(!idle_contact, false).step();
        s.expect_alloc(0, 0).expect_reason(0, AllocReason::Input);
    }
}

/// Proves IN-2: protection devices stop every point at once (contactor open in the same step,
/// State F, error bit), nothing restarts while active, and charging resumes once it clears.
#[test]
fn in2_protection_devices_stop_everything_at_once() {
    let mut raw = station(64_000, [P32; 2]);
    raw.inputs.in1 = Input1Function::ProtectionDevices;
    raw.timers.min_pause_ms = 0;
    let mut s = Scenario::new(raw);
    s.plug(0).plug(1).at(1_000);
    s.expect_contactor(0, true).expect_contactor(1, true);
    s.input(true, false).step();
    for p in 0..2 {
        s.expect_alloc(p, 0)
            .expect_contactor(p, false)
            .expect_pilot(p, PilotOutput::StateF)
            .expect_reason(p, AllocReason::ProtectionDevice);
    }
    s.expect_error(StationErrors::PROTECTION_TRIPPED, true);
    s.at(5_000).expect_alloc(0, 0).expect_alloc(1, 0);
    s.input(false, false).step();
    s.expect_error(StationErrors::PROTECTION_TRIPPED, false);
    s.expect_alloc(0, 32_000).expect_alloc(1, 32_000);
    s.at(5_210)
        .expect_contactor(0, true)
        .expect_contactor(1, true);
}

/// Proves IN-2 with LB-9: the protection devices trip in the very step in which a node that
/// has been over its limit for the response time stops the point drawing most above its signal:
/// every point still shows State F with its contactor open (the stop's reason, EV over-current,
/// may be the one shown, but not +12 V: IN-2 is read from the input, not from the reason).
#[test]
fn in2_lb9_a_trip_in_the_step_of_an_overload_stop_still_shows_state_f() {
    let raw = || {
        let mut raw = station(40_000, [P32; 2]);
        raw.inputs.in1 = Input1Function::ProtectionDevices;
        raw
    };
    let start = |s: &mut Scenario<2, 1>| {
        s.plug(0).ev(0, Ev::three_phase(32_000).over(1_900)).at(0);
        s.ev(1, Ev::three_phase(32_000).over(1_000));
        s.at(9_990).plug(1);
    };
    // Without a trip: the overload stop's step.
    let mut s = Scenario::new(raw());
    start(&mut s);
    let t = s.until(15_300, |s| s.point(0).allocation_ma == 0);
    assert!(t >= 15_000, "stopped at {t} ms");
    assert_eq!(s.point(0).reason, AllocReason::EvOverCurrent);
    // The same run with the trip in that step.
    let mut s = Scenario::new(raw());
    start(&mut s);
    s.at(t - 1);
    assert!(s.point(0).contactor && s.point(1).contactor);
    s.input(true, false).step();
    assert_eq!(
        s.point(0).reason,
        AllocReason::EvOverCurrent,
        "the overload stop"
    );
    s.expect_error(StationErrors::PROTECTION_TRIPPED, true);
    for p in 0..2 {
        s.expect_alloc(p, 0)
            .expect_contactor(p, false)
            .expect_pilot(p, PilotOutput::StateF);
    }
}

/// Proves IN-3: while the load-shedding input is active each ceiling is the load-shedding set
/// point (reduced in the same step); below the minimum it pauses.
#[test]
fn in3_load_shedding_input_sets_the_ceiling() {
    for (set_ma, expected) in [(16_000, 16_000), (10_000, 0)] {
        let mut raw = station(64_000, [P32; 2]);
        raw.inputs.in1 = Input1Function::LoadShedding;
        raw.inputs.load_shedding_ma = set_ma;
        let mut s = Scenario::new(raw);
        s.plug(0).plug(1).at(1_000);
        s.expect_alloc(0, 32_000).expect_alloc(1, 32_000);
        s.input(true, false).step();
        s.expect_alloc(0, expected).expect_alloc(1, expected);
        s.expect_reason(0, AllocReason::Input);
    }
}

/// Proves IN-4: with conditional start a charge starts and goes on only while In-2 is active,
/// and resumes by itself.
#[test]
fn in4_conditional_start() {
    let mut raw = station(32_000, [P32]);
    raw.inputs.in2 = Input2Function::ConditionalStart;
    raw.timers.min_pause_ms = 0;
    let mut s = Scenario::new(raw);
    s.plug(0).at(1_000);
    s.expect_alloc(0, 0).expect_reason(0, AllocReason::Input);
    s.expect_flag(0, PointFlags::CHARGE_POSTPONE, true);
    s.input(false, true).step().expect_alloc(0, 32_000);
    s.input(false, false).step().expect_alloc(0, 0);
    s.expect_flag(0, PointFlags::CHARGE_POSTPONE, true);
    s.input(false, true).step().expect_alloc(0, 32_000);
}

/// Proves IN-5: the wallbox delayed-start input delays or interrupts a charge, which resumes
/// when it clears; the temporary-limitation input sets the ceiling.
#[test]
fn in5_wallbox_delayed_start_and_temporary_limitation() {
    let mut raw = RawConfig::with_defaults(
        ProductFamily::Wallbox,
        [P32],
        [NodeConfig::station(None, 32_000)],
    );
    raw.inputs.temporary_limit_ma = 16_000;
    raw.timers.min_pause_ms = 0;
    let mut s = Scenario::new(raw);
    s.input(true, false).plug(0).at(1_000);
    s.expect_alloc(0, 0).expect_reason(0, AllocReason::Input);
    s.expect_flag(0, PointFlags::CHARGE_POSTPONE, true);
    s.input(false, false).step().expect_alloc(0, 32_000);
    s.input(false, true).step().expect_alloc(0, 16_000);
    s.expect_reason(0, AllocReason::Input);
    s.input(true, true).step().expect_alloc(0, 0);
    s.input(false, false).step().expect_alloc(0, 32_000);
}

// ---- LOC-1 ----

/// Proves LOC-1: indoors, state D stops the charge (contactor opened at once); outdoors it
/// charges like C.
#[test]
fn loc1_ventilation_indoors_stops_outdoors_charges() {
    let mut s = Scenario::new(station(32_000, [P32]));
    s.plug(0).at(1_000).expect_contactor(0, true);
    s.vehicle(0, VehicleState::D).step();
    s.expect_alloc(0, 0).expect_contactor(0, false);
    s.expect_reason(0, AllocReason::Ventilation).expect_flag(
        0,
        PointFlags::VENTILATION_REQUIRED,
        true,
    );

    let mut raw = station(32_000, [P32]);
    raw.location = Location::Outdoor;
    let mut s = Scenario::new(raw);
    s.plug(0).vehicle(0, VehicleState::D).at(1_000);
    s.expect_alloc(0, 32_000).expect_contactor(0, true);
}

// ---- SU-3 ----

/// Proves SU-3: a clock going backwards stops everything (CLOCK_FAULT) until it has caught up.
#[test]
fn su3_clock_backwards_stops_until_caught_up() {
    let mut raw = station(64_000, [P32; 2]);
    raw.timers.min_pause_ms = 0;
    let mut s = Scenario::new(raw);
    s.plug(0).plug(1).at(10_000);
    s.expect_alloc(0, 32_000).expect_alloc(1, 32_000);
    let metered = [s.point(0).energy_mwh, s.point(1).energy_mwh];
    assert!(metered.iter().all(|e| *e > 0), "{metered:?}");
    s.step_at(5_000);
    s.expect_error(StationErrors::CLOCK_FAULT, true);
    for (p, e) in metered.into_iter().enumerate() {
        // The stop names no node, and the meter's count is still shown (MT-1).
        s.expect_alloc(p, 0)
            .expect_contactor(p, false)
            .expect_reason_at(p, AllocReason::ClockFault, NO_NODE);
        assert_eq!(s.point(p).energy_mwh, e, "point {p}");
    }
    s.at(9_990).expect_alloc(0, 0);
    s.expect_error(StationErrors::CLOCK_FAULT, true);
    s.at(10_000).expect_error(StationErrors::CLOCK_FAULT, false);
    s.expect_alloc(0, 32_000).expect_alloc(1, 32_000);
}

// ---- The slice API ----

/// The step refuses, changing nothing, a slice of the wrong length, naming the first one found
/// (in the order of the list below), for each slice, whether too short or too long.
#[test]
fn step_refuses_a_slice_of_the_wrong_length_naming_it() {
    use loadpilot_core::{NodeInputs, NodeState, NodeWork, PointState, PointWork, StepError};
    let cfg = Config::new(two_point_station(32_000)).unwrap();
    let right = || Slices::new(2, 1);
    // Each slice in the order the step checks them, with a way to give it `len` entries.
    type Resize = fn(&mut Slices, usize);
    let slices: [(&str, usize, Resize); 7] = [
        ("state.points", 2, |s, n| {
            s.points.resize(n, PointState::new())
        }),
        ("inputs.points", 2, |s, n| {
            s.inputs.resize(n, Default::default())
        }),
        ("outputs.points", 2, |s, n| {
            s.outputs.resize(n, Default::default())
        }),
        ("state.nodes", 1, |s, n| s.nodes.resize(n, NodeState::new())),
        ("inputs.nodes", 1, |s, n| {
            s.node_inputs.resize(n, NodeInputs::default())
        }),
        ("state.work.points", 2, |s, n| {
            s.work.resize(n, PointWork::new())
        }),
        ("state.work.nodes", 1, |s, n| {
            s.node_work.resize(n, NodeWork::new())
        }),
    ];
    let mut ok = right();
    assert_eq!(ok.step(&cfg.view(), 1_000), Ok(()));
    assert_eq!(ok.station.max_now_ms(), 1_000);
    for (name, expected, resize) in slices {
        for len in [expected - 1, expected + 1] {
            let mut s = right();
            resize(&mut s, len);
            assert_eq!(
                s.step(&cfg.view(), 1_000),
                Err(StepError::Length {
                    what: name,
                    len,
                    expected
                }),
                "{name} with {len} entries"
            );
            assert_eq!(
                s.station.max_now_ms(),
                0,
                "a refused step changes nothing ({name})"
            );
        }
    }
}
