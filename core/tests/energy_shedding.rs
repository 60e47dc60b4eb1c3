//! Scenario tests of shedding (SPEC §3): the shedding order (LB-5), no flapping (LB-6: the start
//! threshold, the minimum pause, also after a clock fault (SU-3), and the minimum run) and load
//! balancing disabled (LB-7), one or more per rule, tick by tick through the harness of
//! `common/` (which also checks LB-1 and LB-3 in every step).
//!
//! Times are absolute ms from the first step; the scenarios set the start stagger to 0
//! (`station`).

mod common;

use common::energy::{P32, external};
use common::{Ev, Scenario, station};
use loadpilot_core::{
    AllocReason, Commands, ConfigError, Controller, Field, NodeConfig, NodeKind, Phase,
    PointConfig, PointFlags, ProductFamily, RawConfig, Reason, ShedPriority, StationErrors,
    two_point_station,
};

// ---- LB-5 ----

/// Proves LB-5 (charge duration): the point whose charge started first is shed first, even when
/// it has the lower index.
#[test]
fn lb5_charge_duration_sheds_first_started() {
    let mut raw = external(64_000, [P32; 2]);
    raw.timers.min_run_ms = 0;
    let mut s = Scenario::new(raw);
    s.node_setpoint(0, 64_000).plug(1).at(0);
    s.plug(0)
        .at(1_000)
        .expect_alloc(0, 32_000)
        .expect_alloc(1, 32_000);
    s.at(5_000).node_setpoint(0, 27_000).step();
    s.expect_alloc(1, 0).expect_flag(1, PointFlags::SHED, true);
    s.expect_reason_at(1, AllocReason::Shed, 0);
    s.expect_alloc(0, 27_000)
        .expect_flag(0, PointFlags::SHED, false);
}

/// Proves LB-5 with LB-11: the shed flag says the last stop was a shed: a shed point that
/// resumes and is then suspended by a command shows no shed, but the command.
#[test]
fn lb5_lb11_a_resumed_point_stopped_otherwise_shows_no_shed() {
    let mut raw = external(64_000, [P32; 2]);
    raw.timers.min_run_ms = 0;
    raw.timers.min_pause_ms = 0;
    let mut s = Scenario::new(raw);
    s.node_setpoint(0, 64_000).plug(1).at(0);
    s.plug(0).at(1_000);
    s.at(5_000).node_setpoint(0, 27_000).step();
    s.expect_alloc(1, 0).expect_flag(1, PointFlags::SHED, true);
    s.node_setpoint(0, 64_000).at(10_000);
    s.expect_alloc(1, 32_000)
        .expect_flag(1, PointFlags::SHED, false);
    s.command(1, Commands::SUSPEND).at(11_000);
    s.expect_alloc(1, 0)
        .expect_flag(1, PointFlags::SHED, false)
        .expect_flag(1, PointFlags::SUSPEND_PLC_CMD, true);
}

/// Proves LB-5 (energy delivered): the session with the most energy is shed first, though it
/// started last.
#[test]
fn lb5_energy_delivered_sheds_most_energy() {
    let mut raw = external(64_000, [P32; 2]);
    raw.shed_priority = ShedPriority::EnergyDelivered;
    let mut s = Scenario::new(raw);
    s.node_setpoint(0, 64_000)
        .plug(1)
        .ev(1, Ev::three_phase(16_000))
        .at(0);
    s.plug(0).at(100_000);
    assert!(s.point(0).energy_mwh > s.point(1).energy_mwh);
    s.node_setpoint(0, 27_000).step();
    s.expect_alloc(0, 0).expect_flag(0, PointFlags::SHED, true);
    s.expect_alloc(1, 27_000);
}

/// Proves LB-5: a VIP point is shed last, even when the shedding order would pick it.
#[test]
fn lb5_vip_shed_last() {
    let mut raw = external(64_000, [P32; 2]);
    raw.timers.min_run_ms = 0;
    let mut s = Scenario::new(raw);
    s.node_setpoint(0, 64_000).plug(0).vip(0, true).at(0);
    s.plug(1).at(5_000).node_setpoint(0, 27_000).step();
    s.expect_alloc(1, 0).expect_flag(1, PointFlags::SHED, true);
    s.expect_alloc(0, 27_000);
}

/// Proves LB-5: an arriving VIP reduces the non-VIPs to their minimum at once, shedding none
/// while the minimums fit.
#[test]
fn lb5_arriving_vip_reduces_non_vips_to_minimum() {
    let mut s = Scenario::new(station(50_000, [P32; 3]));
    s.plug(0).at(0);
    s.plug(1).at(10_000);
    s.expect_alloc(0, 25_000).expect_alloc(1, 25_000);
    s.plug(2).vip(2, true).step();
    s.expect_alloc(0, 14_000).expect_alloc(1, 14_000);
    s.step().expect_alloc(2, 22_000);
    for p in 0..2 {
        s.expect_flag(p, PointFlags::SHED, false);
    }
}

/// Proves LB-5 (and LB-6's exception): when the minimums do not fit, an arriving VIP sheds a
/// non-VIP point although that point is within its minimum run time.
#[test]
fn lb5_arriving_vip_sheds_non_vip_regardless_of_min_run() {
    let mut s = Scenario::new(station(40_000, [P32; 3]));
    // Point 0 starts first (SU-1: no PWM at the very first step, so it starts at 10 ms).
    s.plug(0).at(500);
    s.plug(1).at(2_000);
    s.expect_alloc(0, 20_000).expect_alloc(1, 20_000);
    // Both others are 10 s into a 60 s minimum run.
    s.at(10_000).plug(2).vip(2, true).step();
    s.expect_alloc(0, 0).expect_flag(0, PointFlags::SHED, true);
    s.expect_alloc(1, 14_000);
    s.step().expect_alloc(2, 26_000).expect_alloc(1, 14_000);
}

/// Proves LB-5 with LB-6's start order: a VIP that arrives together with a non-VIP point is
/// tried first, so the room it makes is its own. 40 A under three points (minimum 14 A, start
/// threshold 21 A): point 0 charges alone, past its minimum run time; points 1 and 2 (VIP)
/// plug in in the same step. The VIP starts over the VIP minimums alone and, with 28 A of
/// minimums, sheds no one; point 1's threshold (21 A over 28 A) does not fit, so it waits.
/// Tried the other way round, point 1 would start (21 A over 14 A), and the VIP would then shed
/// point 0 to make its room: a running point swapped for a waiting non-VIP one, which LB-5
/// allows only for a VIP.
#[test]
fn lb5_lb6_a_vip_arriving_with_a_non_vip_starts_first() {
    let mut s = Scenario::new(station(40_000, [P32; 3]));
    s.plug(0).at(500);
    s.expect_alloc(0, 32_000);
    s.at(70_000).plug(1).plug(2).vip(2, true).step();
    s.expect_flag(0, PointFlags::SHED, false);
    s.expect_alloc(1, 0)
        .expect_reason_at(1, AllocReason::Shed, 0);
    s.expect_flag(1, PointFlags::NOT_ENOUGH_ENERGY_TO_START, true);
    // The VIP's share comes as point 0 follows its lower signal (LB-9): the VIP is raised first,
    // the non-VIP held at its minimum (LB-4).
    for _ in 0..100 {
        s.step();
    }
    s.expect_alloc(0, 14_000)
        .expect_alloc(2, 26_000)
        .expect_alloc(1, 0);
}

// ---- LB-6 ----

/// Proves LB-6: a waiting point starts only when 150 % of its minimum fits (configurable).
#[test]
fn lb6_start_threshold() {
    // 14 A + 21 A > 34 A: the second point waits although both minimums (28 A) would fit.
    let mut s = Scenario::new(station(34_000, [P32; 2]));
    s.plug(0).at(0);
    s.plug(1)
        .at(20_000)
        .expect_alloc(1, 0)
        .expect_alloc(0, 32_000);
    s.expect_reason_at(1, AllocReason::Shed, 0);
    s.expect_flag(1, PointFlags::NOT_ENOUGH_ENERGY_TO_START, true);
    // 35 A: it fits.
    let mut s = Scenario::new(station(35_000, [P32; 2]));
    s.plug(0).at(0);
    s.plug(1)
        .at(1_010)
        .expect_alloc(0, 17_500)
        .expect_alloc(1, 17_500);
    // A 100 % threshold at 28 A.
    let mut raw = station(28_000, [P32; 2]);
    raw.thresholds.start_threshold_permille = 1_000;
    let mut s = Scenario::new(raw);
    s.plug(0).at(0);
    s.plug(1)
        .at(1_010)
        .expect_alloc(0, 14_000)
        .expect_alloc(1, 14_000);
}

/// Proves LB-6's start order (shed.rs, step 3): where current comes back for one of two waiting
/// points, the one that has waited longest starts, though it has the higher index: point 1,
/// plugged in at the start, before point 0, plugged in 100 s later (past 2^16 ms, so the whole
/// waiting time counts, not its low bits).
#[test]
fn lb6_the_point_waiting_longest_starts_first() {
    let mut raw = external(64_000, [P32; 2]);
    raw.timers.min_pause_ms = 0;
    let mut s = Scenario::new(raw);
    s.node_setpoint(0, 0).plug(1).at(0);
    s.plug(0).at(100_000);
    s.expect_alloc(0, 0).expect_alloc(1, 0);
    // 30 A: one start threshold (21 A) fits, not a minimum (14 A) and a threshold more.
    s.node_setpoint(0, 30_000).at(101_000);
    s.expect_alloc(1, 30_000).expect_alloc(0, 0);
    s.expect_flag(0, PointFlags::NOT_ENOUGH_ENERGY_TO_START, true);
}

/// Proves LB-6: a shed point does not restart before the minimum pause, then does.
#[test]
fn lb6_minimum_pause_before_restart() {
    let mut raw = external(64_000, [P32; 2]);
    raw.timers.min_pause_ms = 10_000;
    raw.timers.min_run_ms = 0;
    let mut s = Scenario::new(raw);
    s.node_setpoint(0, 64_000).plug(0).plug(1).at(5_000);
    s.node_setpoint(0, 27_000).at(5_010).expect_alloc(1, 0);
    s.node_setpoint(0, 64_000).at(15_000);
    s.expect_alloc(1, 0)
        .expect_reason(1, AllocReason::MinimumPause);
    s.at(15_010).expect_alloc(1, 32_000);
}

/// Proves LB-6: a point within its minimum run time is kept when an older point can be shed,
/// even where the priority (energy) would shed the younger one.
#[test]
fn lb6_minimum_run_keeps_younger_point() {
    for (drop_at, shed, kept) in [(40_000, 0, 1), (60_000, 1, 0)] {
        let mut raw = external(64_000, [P32; 2]);
        raw.shed_priority = ShedPriority::EnergyDelivered;
        raw.timers.min_run_ms = 20_000;
        let mut s = Scenario::new(raw);
        // Point 0 draws 2 A from 0 s, point 1 draws 32 A from 30 s.
        s.node_setpoint(0, 64_000)
            .plug(0)
            .ev(0, Ev::three_phase(2_000));
        s.at(29_990).plug(1).at(drop_at);
        assert!(s.point(1).energy_mwh > s.point(0).energy_mwh);
        s.node_setpoint(0, 27_000).step();
        s.expect_alloc(shed, 0)
            .expect_flag(shed, PointFlags::SHED, true);
        s.expect_alloc(kept, 27_000);
    }
}

/// Proves LB-6's exception: young points are shed when keeping them would break LB-1.
#[test]
fn lb6_young_points_shed_when_lb1_needs_it() {
    let mut s = Scenario::new(external(64_000, [P32; 2]));
    s.node_setpoint(0, 64_000).plug(0).at(500);
    s.plug(1).at(1_000);
    s.node_setpoint(0, 27_000).at(5_000);
    s.expect_alloc(0, 0).expect_alloc(1, 27_000); // first started is shed
    s.node_setpoint(0, 10_000).at(6_000).expect_alloc(1, 0);
}

/// Proves SU-3 with LB-6: the stop of a clock fault is a stop like any other: once the clock is
/// back, a point that was charging starts again only after its minimum pause from the stop
/// (stamped with the latest time seen, the last good step's), not from its start.
#[test]
fn su3_lb6_after_a_clock_fault_the_minimum_pause_runs_from_the_stop() {
    let mut raw = station(64_000, [P32; 2]);
    raw.timers.min_pause_ms = 20_000;
    let mut s = Scenario::new(raw);
    s.plug(0).plug(1).at(10_000);
    s.expect_alloc(0, 32_000).expect_alloc(1, 32_000);
    s.step_at(5_000);
    s.expect_error(StationErrors::CLOCK_FAULT, true);
    let t = s.until(40_000, |s| s.point(0).allocation_ma > 0);
    assert_eq!(t, 30_000, "the minimum pause after the stop at 10 000 ms");
    s.expect_alloc(1, 32_000);
}

// ---- LB-7 ----

/// Proves LB-7: with load balancing disabled the configuration is refused unless the ceilings
/// fit under every limit at or above the station.
#[test]
fn lb7_config_refused_when_ceilings_exceed_a_limit() {
    let mut raw = two_point_station(40_000);
    raw.load_balancing = false;
    let e = Controller::new(raw.clone()).err();
    let expected = ConfigError {
        field: Field::LoadBalancing {
            node: 0,
            phase: Phase::L1,
        },
        reason: Reason::CeilingsAboveLimit {
            sum: 64_000,
            limit: 40_000,
        },
    };
    assert_eq!(e, Some(expected));
    raw.points[0].derated_ma = 20_000;
    raw.points[1].derated_ma = 20_000;
    assert!(Controller::new(raw.clone()).is_ok());
    // A sub-circuit above the station binds too.
    let mut tree = RawConfig::with_defaults(
        ProductFamily::City,
        raw.points.map(|p| PointConfig { node: 2, ..p }),
        [
            NodeConfig::new(None, NodeKind::Supply, 100_000),
            NodeConfig::new(Some(0), NodeKind::Circuit, 30_000),
            NodeConfig::station(Some(1), 64_000),
        ],
    );
    tree.load_balancing = false;
    let e = Controller::new(tree).err().map(|e| e.field);
    assert_eq!(
        e,
        Some(Field::LoadBalancing {
            node: 1,
            phase: Phase::L1
        })
    );
}

/// Proves LB-7: each point runs on its own ceiling; a run-time set point drop still reduces and
/// sheds.
#[test]
fn lb7_disabled_runs_on_ceilings_and_setpoint_still_reduces() {
    let mut pc = P32;
    pc.derated_ma = 20_000;
    let mut raw = external(40_000, [pc; 2]);
    raw.load_balancing = false;
    let mut s = Scenario::new(raw);
    s.node_setpoint(0, 40_000).plug(0).plug(1).at(1_000);
    s.expect_alloc(0, 20_000).expect_alloc(1, 20_000);
    s.expect_reason(0, AllocReason::Derated);
    s.node_setpoint(0, 30_000).step();
    s.expect_alloc(0, 15_000).expect_alloc(1, 15_000);
    s.node_setpoint(0, 20_000).step();
    s.expect_alloc(1, 0).expect_flag(1, PointFlags::SHED, true); // tie: the higher index
    s.expect_alloc(0, 15_000); // its rise waits for point 1's EV (LB-9) and the rise interval
    s.until(10_000, |s| s.point(0).allocation_ma == 20_000);
}
