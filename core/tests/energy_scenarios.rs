//! Scenario tests of the energy rules (SPEC §3), one or more per rule, tick by tick through the
//! harness of `common/` (which also checks LB-1 and LB-3 in every step).
//!
//! Times are absolute ms from the first step. Most tests set the start stagger to 0 (`station`);
//! the LB-4 and PS-5 defaults tests keep every default.

mod common;

use common::{Ev, Scenario, Slices, station};
use loadpilot_core::{
    AllocReason, Commands, Config, ConfigError, Controller, Field, Input1Function, Input2Function,
    Location, NO_NODE, NodeConfig, NodeKind, Phase, PilotOutput, PointConfig, PointFlags, Polarity,
    ProductFamily, RawConfig, Reason, ShedPriority, StationErrors, VehicleState, two_point_station,
};

const P32: PointConfig = PointConfig::three_phase(0, 32_000);

type Raw<const P: usize, const N: usize> = RawConfig<[PointConfig; P], [NodeConfig; N]>;

/// A station under external control whose set points stay fresh for the whole test.
fn external<const P: usize>(limit_ma: u32, points: [PointConfig; P]) -> Raw<P, 1> {
    let mut raw = station(limit_ma, points);
    raw.external_control = true;
    raw.timers.setpoint_validity_ms = 3_600_000;
    raw
}

// ---- LB-1 ----

/// Proves LB-1: when a node's limit drops, allocations drop in the same step.
#[test]
fn lb1_limit_drop_reduces_allocations_in_the_same_step() {
    let mut s = Scenario::new(external(64_000, [P32; 2]));
    s.node_setpoint(0, 64_000).plug(0).plug(1).at(1_000);
    s.expect_alloc(0, 32_000).expect_alloc(1, 32_000);
    s.node_setpoint(0, 40_000).step();
    assert_eq!(s.ctl().node_states()[0].limit_ma(), [40_000; 3]);
    s.expect_alloc(0, 20_000).expect_alloc(1, 20_000);
    s.expect_reason_at(0, AllocReason::SetPoint, 0);
    assert!(s.point(0).signal_ma <= 20_000 && s.point(1).signal_ma <= 20_000);
}

// ---- LB-2 ----

fn one_point(pc: PointConfig) -> Scenario<1, 1> {
    let mut s = Scenario::new(station(64_000, [pc]));
    s.plug(0);
    s
}

/// Proves LB-2: the rated current binds.
#[test]
fn lb2_rated_current_binds() {
    one_point(PointConfig::three_phase(0, 16_000))
        .at(100)
        .expect_alloc(0, 16_000)
        .expect_reason_at(0, AllocReason::Rated, NO_NODE);
}

/// Proves LB-2: the derated current binds.
#[test]
fn lb2_derated_current_binds() {
    let mut pc = P32;
    pc.derated_ma = 20_000;
    one_point(pc)
        .at(100)
        .expect_alloc(0, 20_000)
        .expect_reason(0, AllocReason::Derated);
}

/// Proves LB-2: the cable capacity binds.
#[test]
fn lb2_cable_capacity_binds() {
    one_point(P32)
        .cable(0, Some(20_000))
        .at(100)
        .expect_alloc(0, 20_000)
        .expect_reason(0, AllocReason::Cable);
}

/// Proves LB-2: the EV's own limit binds, and the smallest term wins over the cable.
#[test]
fn lb2_ev_limit_binds_smallest_term_wins() {
    one_point(P32)
        .cable(0, Some(20_000))
        .ev_limit(0, Some(16_000))
        .at(100)
        .expect_alloc(0, 16_000)
        .expect_reason(0, AllocReason::Ev);
}

/// Proves LB-2: a point's external set point binds.
#[test]
fn lb2_point_setpoint_binds() {
    let mut pc = P32;
    pc.external = true;
    let mut raw = external(64_000, [pc]);
    raw.nodes[0].external = false;
    let mut s = Scenario::new(raw);
    s.plug(0).point_setpoint(0, 18_000).at(100);
    s.expect_alloc(0, 18_000)
        .expect_reason(0, AllocReason::SetPoint);
}

// ---- LB-3 ----

/// Proves LB-3: a balanced share below the minimum becomes 0 for one point, never the minimum.
#[test]
fn lb3_share_below_minimum_becomes_zero() {
    for (limit, a0, a1) in [(27_000, 27_000, 0), (28_000, 14_000, 14_000)] {
        let mut raw = station(limit, [P32; 2]);
        raw.thresholds.start_threshold_permille = 1_000;
        let mut s = Scenario::new(raw);
        s.plug(0).plug(1).at(2_000);
        s.expect_alloc(0, a0).expect_alloc(1, a1);
    }
}

/// Proves LB-3: a derated current, EV limit or cable below the minimum gives 0, never the minimum.
#[test]
fn lb3_ceiling_below_minimum_is_zero_never_raised() {
    let mut pc = P32;
    pc.derated_ma = 12_000;
    one_point(pc)
        .at(1_000)
        .expect_alloc(0, 0)
        .expect_contactor(0, false);
    one_point(P32)
        .ev_limit(0, Some(13_999))
        .at(1_000)
        .expect_alloc(0, 0)
        .expect_reason(0, AllocReason::Ev);
    one_point(P32)
        .cable(0, Some(13_000))
        .at(1_000)
        .expect_alloc(0, 0)
        .expect_reason(0, AllocReason::Cable);
    // Single-phase: 8 A is the minimum.
    let p1 = PointConfig::single_phase(0, 32_000, Phase::L1);
    one_point(p1)
        .ev_limit(0, Some(7_999))
        .at(1_000)
        .expect_alloc(0, 0);
    one_point(p1)
        .ev_limit(0, Some(8_000))
        .at(1_000)
        .expect_alloc(0, 8_000);
}

/// Proves LB-3: a 6 A minimum is accepted (and 5.999 A refused); shares of 6.5 A then charge.
#[test]
fn lb3_custom_six_amp_minimum() {
    let mut raw = station(13_000, [P32; 2]);
    raw.thresholds.min_3ph_ma = 5_999;
    assert_eq!(
        Config::new(raw.clone()).err().map(|e| e.field),
        Some(Field::Threshold("min_3ph_ma"))
    );
    raw.thresholds.min_3ph_ma = 6_000;
    raw.thresholds.min_1ph_ma = 6_000;
    raw.thresholds.start_threshold_permille = 1_000;
    let mut s = Scenario::new(raw);
    s.plug(0).plug(1).at(1_000);
    s.expect_alloc(0, 6_500).expect_alloc(1, 6_500);
    assert!(s.point(0).signal_ma >= 6_000);
    // Never signalled below 6 A: an EV limit of 5.999 A stops the point.
    s.ev_limit(1, Some(5_999)).step().expect_alloc(1, 0);
}

// ---- LB-4 ----

/// Proves LB-4: mA that do not divide evenly go one each to the lowest-indexed points.
#[test]
fn lb4_leftover_ma_go_to_lowest_index() {
    let mut raw = station(25_000, [PointConfig::single_phase(0, 32_000, Phase::L1); 3]);
    raw.thresholds.start_threshold_permille = 1_000;
    let mut s = Scenario::new(raw);
    s.plug(0).plug(1).plug(2).at(1_000);
    s.expect_alloc(0, 8_334)
        .expect_alloc(1, 8_333)
        .expect_alloc(2, 8_333)
        .expect_phases(0, [8_334, 0, 0]);
}

/// Proves LB-4: headroom a point cannot use (EV limit) goes to the others.
#[test]
fn lb4_unused_headroom_goes_to_others() {
    let mut s = Scenario::new(station(40_000, [P32; 2]));
    s.plug(0).plug(1).ev_limit(0, Some(16_000)).at(1_000);
    s.expect_alloc(0, 16_000).expect_reason(0, AllocReason::Ev);
    s.expect_alloc(1, 24_000)
        .expect_reason_at(1, AllocReason::NodeLimit, 0);
}

/// Proves LB-4: a VIP is served first; non-VIPs are held at their minimum until it has its ceiling.
#[test]
fn lb4_vip_served_first() {
    for (limit, normal, vip) in [(40_000, 14_000, 26_000), (50_000, 18_000, 32_000)] {
        let mut s = Scenario::new(station(limit, [P32; 2]));
        s.plug(0).plug(1).vip(1, true).at(1_000);
        s.expect_alloc(0, normal).expect_alloc(1, vip);
        s.expect_flag(1, PointFlags::VIP_BADGE_MODE, true);
    }
}

/// Proves LB-4 on the defaults (with SU-1 stagger and LB-9 transfer): the second point waits
/// for its stagger, the first is reduced at once, the second starts once the first EV followed.
#[test]
fn lb4_defaults_second_point_shares_after_stagger() {
    let mut s = Scenario::new(two_point_station(40_000));
    // SU-1: at the first step every pilot shows +12 V; point 0 starts one step later.
    s.plug(0).plug(1).at(0);
    s.expect_alloc(0, 0).expect_pilot(0, PilotOutput::Steady12V);
    s.at(10)
        .expect_alloc(0, 32_000)
        .expect_reason(0, AllocReason::Rated);
    s.at(1_990)
        .expect_alloc(1, 0)
        .expect_reason(1, AllocReason::Stagger);
    s.at(2_000).expect_alloc(0, 20_000).expect_alloc(1, 0);
    s.expect_reason_at(1, AllocReason::Transfer, 0);
    s.at(2_010).expect_alloc(0, 20_000).expect_alloc(1, 20_000);
    s.at(70_000).expect_alloc(0, 20_000).expect_alloc(1, 20_000);
}

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

// ---- LB-9 ----

/// Proves LB-9: a point is raised only by what is free under max(allocation, measured): an EV
/// that follows a reduction late delays the other point's start, reason Transfer.
#[test]
fn lb9_late_ev_delays_the_others_rise() {
    let mut s = Scenario::new(station(40_000, [P32; 2]));
    s.plug(0)
        .ev(0, Ev::three_phase(32_000).lag(2_000))
        .at(4_000);
    s.plug(1).step(); // 4 010
    s.expect_alloc(0, 20_000).expect_alloc(1, 0);
    s.expect_reason_at(1, AllocReason::Transfer, 0);
    s.at(6_000)
        .expect_alloc(1, 0)
        .expect_reason(1, AllocReason::Transfer);
    s.at(6_010).expect_alloc(1, 20_000);
}

/// Proves LB-9 with LB-11: where a rise is held by the count, the reason names the constraint
/// with the least room; of two with the same room, the one nearest the point (as the
/// water-filling names the first full one up the tree): a station of 40 A under a supply of
/// 40 A, the late EV of `lb9_late_ev_delays_the_others_rise`.
#[test]
fn lb9_lb11_a_held_rise_names_the_nearest_of_equally_short_constraints() {
    let nodes = [
        NodeConfig::new(None, NodeKind::Supply, 40_000),
        NodeConfig::station(Some(0), 40_000),
    ];
    let points = [PointConfig::three_phase(1, 32_000); 2];
    let mut raw = RawConfig::with_defaults(ProductFamily::City, points, nodes);
    raw.timers.stagger_ms = 0;
    let mut s = Scenario::new(raw);
    s.plug(0)
        .ev(0, Ev::three_phase(32_000).lag(2_000))
        .at(4_000);
    s.plug(1).step();
    s.expect_alloc(0, 20_000).expect_alloc(1, 0);
    s.expect_reason_at(1, AllocReason::Transfer, 1);
    s.at(6_010).expect_alloc(1, 20_000);
}

/// Proves LB-9: a point is raised only by what is free under the count, its own count included:
/// an EV still drawing above a reduced allocation does not make room for its own rise while the
/// count is at the limit (reason Transfer); the point rises once its EV follows the reduction.
#[test]
fn lb9_an_ev_drawing_above_its_allocation_does_not_make_room_for_its_own_rise() {
    let mut pc = P32;
    pc.external = true;
    let mut raw = external(40_000, [pc, P32]);
    raw.nodes[0].external = false;
    let mut s = Scenario::new(raw);
    s.plug(0).plug(1).point_setpoint(0, 32_000).at(10_000);
    s.expect_alloc(0, 20_000).expect_alloc(1, 20_000);
    // Point 0 is cut to 16 A; its EV keeps drawing 20 A: the count is 20 + 20 A, the limit.
    s.point_setpoint(0, 16_000).measured(0, [20_000; 3]).step();
    s.expect_alloc(0, 16_000)
        .expect_alloc(1, 20_000)
        .expect_reason(1, AllocReason::Transfer);
    // Its set point returns within the EV's response time, long after its last rise: nothing is
    // free under the count, so it stays at 16 A.
    s.point_setpoint(0, 32_000).at(11_000);
    s.expect_alloc(0, 16_000)
        .expect_reason_at(0, AllocReason::Transfer, 0);
    // Its EV follows the reduction: 4 A are free, it takes them.
    s.measured(0, [16_000; 3]).step();
    s.expect_alloc(0, 20_000).expect_alloc(1, 20_000);
}

/// Proves LB-9: a point with no current measurement counts its allocation, so the other point
/// starts in the step the first is reduced, however late its EV follows.
#[test]
fn lb9_unmetered_point_counts_its_allocation() {
    let mut s = Scenario::new(station(40_000, [P32; 2]));
    s.plug(0)
        .ev(0, Ev::three_phase(32_000).lag(2_000))
        .unmetered(0);
    s.at(4_000).plug(1).step();
    s.expect_alloc(0, 20_000).expect_alloc(1, 20_000);
}

/// Proves LB-9: an EV drawing above signal + tolerance (below the hard threshold) is stopped
/// gracefully once its response time has run out, reason EvOverCurrent, latched until it leaves.
#[test]
fn lb9_ev_overcurrent_graceful_stop_after_response_time() {
    let mut s = Scenario::new(station(48_000, [P32; 2]));
    s.plug(0).ev(0, Ev::three_phase(32_000).never()).at(0);
    s.at(9_990).plug(1).at(10_000); // it goes on drawing 32 A: 8 A over
    s.expect_alloc(0, 24_000);
    s.at(14_990).expect_alloc(0, 24_000);
    let t = s.until(15_100, |s| s.point(0).allocation_ma == 0);
    assert!(
        t >= 15_000,
        "stopped at {t} ms, before the 5 s response time"
    );
    s.expect_reason(0, AllocReason::EvOverCurrent);
    s.expect_flag(0, PointFlags::EV_OVERCURRENT, true);
    s.expect_error(StationErrors::EV_OVERCURRENT, true);
    s.expect_pilot(0, PilotOutput::Steady12V);
    s.expect_contactor(0, true); // graceful: PWM off first, the EV gets its grace time
    s.at(t + 6_010).expect_contactor(0, false);
    s.at(30_000).expect_alloc(0, 0);
    s.unplug(0).at(31_000);
    s.ev(0, Ev::three_phase(32_000)).plug(0).at(32_000);
    assert!(s.point(0).allocation_ma > 0, "latched beyond the session");
}

/// Proves LB-9 and PS-5: every excursion above the signal plus the tolerance gets a whole
/// response time from the first sample that shows it, also one that starts within the response
/// time of a reduction after the EV had followed it (the choice: an EV is not stopped two
/// seconds into an excursion because its offer was cut three seconds before; one that never
/// follows a cut is stopped a sample after the response time from the cut,
/// `lb9_ev_overcurrent_graceful_stop_after_response_time`).
#[test]
fn lb9_ps5_an_excursion_after_following_a_cut_gets_its_own_response_time() {
    let mut s = Scenario::new(station(48_000, [P32; 2]));
    s.plug(0).ev(0, Ev::three_phase(32_000)).at(0);
    s.at(9_990).plug(1).at(10_000); // 24 A each from 10 000 ms: point 0's offer cut
    s.expect_alloc(0, 24_000);
    // Followed at once, then 6 A over (below the hard threshold) from the step at 13 000 ms.
    s.at(12_990).measured(0, [30_000; 3]).at(17_990);
    s.expect_alloc(0, 24_000).expect_contactor(0, true);
    let t = s.until(18_100, |s| s.point(0).allocation_ma == 0);
    assert_eq!(
        t, 18_000,
        "the response time after the excursion's first sample"
    );
    s.expect_reason(0, AllocReason::EvOverCurrent);
}

/// Proves LB-9 and PS-5: an EV already above its signal plus the tolerance when its offer is cut
/// gets a whole response time from the cut (the time restarts on each reduction, README
/// "Over-current"), not the rest of the one from its first excursion.
#[test]
fn lb9_ps5_a_cut_restarts_the_response_time_of_an_ev_already_over() {
    let mut s = Scenario::new(station(48_000, [P32; 2]));
    // 3 A above whatever it is signalled (below the hard threshold), from its first current.
    s.plug(0).ev(0, Ev::three_phase(32_000).over(3_000));
    let first = s.until(2_000, |s| s.point(0).contactor);
    s.at(first + 2_990).plug(1).at(first + 3_000);
    s.expect_alloc(0, 24_000).expect_contactor(0, true);
    s.at(first + 7_990).expect_alloc(0, 24_000);
    let t = s.until(first + 8_100, |s| s.point(0).allocation_ma == 0);
    assert_eq!(t, first + 8_000, "the response time from the cut");
    s.expect_reason(0, AllocReason::EvOverCurrent);
}

/// Proves LB-9: a node whose measured total stays above its limit for longer than the response
/// time stops the point drawing most above its signal at once (contactor open the same step).
#[test]
fn lb9_node_over_limit_stops_the_worst_immediately() {
    let mut s = Scenario::new(station(40_000, [P32; 2]));
    s.plug(0).ev(0, Ev::three_phase(32_000).over(1_900)).at(0);
    s.ev(1, Ev::three_phase(32_000).over(1_000));
    s.at(9_990)
        .plug(1)
        .at(14_990)
        .expect_error(StationErrors::OVERLOAD, false);
    assert!(s.point(0).contactor && s.point(1).contactor);
    let t = s.until(15_300, |s| s.point(0).allocation_ma == 0);
    assert!(t >= 15_000, "stopped at {t} ms, before the response time");
    s.expect_contactor(0, false)
        .expect_reason(0, AllocReason::EvOverCurrent);
    s.expect_error(StationErrors::OVERLOAD, true);
    s.expect_contactor(1, true);
    assert!(s.point(1).allocation_ma > 0);
}

// ---- LB-10 ----

/// Proves LB-10: an EV idle for the idle time is reduced to its minimum, freeing the rest, and
/// returns to its share when it draws again.
#[test]
fn lb10_idle_ev_reduced_to_minimum_and_back() {
    let mut raw = station(40_000, [P32; 2]);
    raw.timers.idle_ms = 10_000;
    let mut s = Scenario::new(raw);
    s.plug(0).plug(1).at(1_000);
    s.expect_alloc(0, 20_000).expect_alloc(1, 20_000);
    s.ev(0, Ev::three_phase(0)); // battery full: draws nothing
    s.at(10_990).expect_alloc(0, 20_000);
    let t = s.until(12_000, |s| s.point(0).allocation_ma == 14_000);
    assert!(t >= 11_000, "idle after {t} ms");
    s.expect_reason(0, AllocReason::EvIdle)
        .expect_flag(0, PointFlags::EV_IDLE, true);
    s.expect_alloc(1, 26_000);
    s.at(15_000).ev(0, Ev::three_phase(32_000)).at(15_020);
    s.expect_flag(0, PointFlags::EV_IDLE, false);
    s.expect_alloc(1, 20_000);
    s.until(20_100, |s| s.point(0).allocation_ma == 20_000);
}

// ---- LB-11 ----

/// Proves LB-11: every point reports its binding constraint, with the node where one binds.
#[test]
fn lb11_reasons_name_the_constraint_and_node() {
    let nodes = [
        NodeConfig::new(None, NodeKind::Supply, 50_000),
        NodeConfig::station(Some(0), 24_000),
        NodeConfig::station(Some(0), 64_000),
    ];
    let points = [
        PointConfig::three_phase(1, 32_000),
        PointConfig::three_phase(2, 32_000),
        PointConfig::three_phase(2, 32_000),
        PointConfig::three_phase(2, 32_000),
    ];
    let mut raw = RawConfig::with_defaults(ProductFamily::City, points, nodes);
    raw.timers.stagger_ms = 0;
    let mut s = Scenario::new(raw);
    s.plug(0).plug(1).vehicle(2, VehicleState::B).at(1_000);
    s.expect_alloc(0, 24_000)
        .expect_reason_at(0, AllocReason::NodeLimit, 1);
    s.expect_alloc(1, 26_000)
        .expect_reason_at(1, AllocReason::NodeLimit, 0);
    s.expect_reason_at(2, AllocReason::NotAuthorised, NO_NODE);
    s.expect_reason_at(3, AllocReason::NoVehicle, NO_NODE);
}

// ---- LB-12 ----

/// Proves LB-12: two single-phase points on different phases do not compete.
#[test]
fn lb12_single_phase_points_on_different_phases_do_not_compete() {
    let mut s = Scenario::new(station(
        16_000,
        [
            PointConfig::single_phase(0, 32_000, Phase::L1),
            PointConfig::single_phase(0, 32_000, Phase::L2),
        ],
    ));
    s.plug(0).plug(1).at(1_000);
    s.expect_phases(0, [16_000, 0, 0])
        .expect_phases(1, [0, 16_000, 0]);
    s.expect_flag(0, PointFlags::SINGLE_PHASE, true);
}

/// Proves LB-12: shedding sheds only on the phase that is short.
#[test]
fn lb12_shedding_only_on_the_short_phase() {
    let l1 = PointConfig::single_phase(0, 32_000, Phase::L1);
    let l2 = PointConfig::single_phase(0, 32_000, Phase::L2);
    let mut s = Scenario::new(external(32_000, [l1, l1, l2]));
    s.node_setpoint(0, 32_000).plug(0).plug(1).plug(2).at(1_000);
    s.expect_alloc(0, 16_000)
        .expect_alloc(1, 16_000)
        .expect_alloc(2, 32_000);
    s.node_setpoint(0, 15_000).step();
    s.expect_alloc(0, 15_000).expect_alloc(1, 0);
    s.expect_flag(1, PointFlags::SHED, true);
    s.expect_phases(2, [0, 15_000, 0])
        .expect_flag(2, PointFlags::SHED, false);
}

/// Proves LB-12: a three-phase point whose EV draws on one phase counts as single-phase after the
/// detection time (single-phase minimum, one supply phase), and reverts in the step another
/// phase draws, which here sheds it since 10 A is below the three-phase minimum.
#[test]
fn lb12_phase_detection_and_revert() {
    let mut raw = external(32_000, [P32]);
    raw.timers.phase_detection_ms = 5_000;
    let mut s = Scenario::new(raw);
    s.node_setpoint(0, 32_000)
        .plug(0)
        .ev(0, Ev::single_phase(32_000))
        .at(4_990);
    s.expect_phases(0, [32_000; 3])
        .expect_flag(0, PointFlags::THREE_PHASE, true);
    let t = s.until(5_300, |s| {
        s.point(0).flags.contains(PointFlags::SINGLE_PHASE)
    });
    assert!(t >= 5_000, "detected at {t} ms");
    s.expect_phases(0, [32_000, 0, 0]);
    s.node_setpoint(0, 10_000).at(6_000);
    s.expect_phases(0, [10_000, 0, 0]); // kept: 10 A is above the 8 A single-phase minimum
    s.ev(0, Ev::three_phase(32_000)).step(); // the EV now draws on all three phases
    s.expect_flag(0, PointFlags::THREE_PHASE, true)
        .expect_alloc(0, 0);
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

// ---- TREE-1 ----

/// Proves TREE-1: in a depth-3 tree the sub-circuit limit binds its points (reason names it),
/// the supply binds the rest, and a sub-circuit's limit changed at run time applies at once.
#[test]
fn tree1_depth3_sub_circuit_limit_binds() {
    let mut nodes = [
        NodeConfig::new(None, NodeKind::Supply, 60_000),
        NodeConfig::new(Some(0), NodeKind::Circuit, 36_000),
        NodeConfig::station(Some(1), 64_000),
        NodeConfig::station(Some(0), 64_000),
    ];
    for (i, n) in nodes.iter_mut().enumerate() {
        n.external = i == 1;
    }
    let points = [
        PointConfig::three_phase(2, 32_000),
        PointConfig::three_phase(2, 32_000),
        PointConfig::three_phase(3, 32_000),
    ];
    let mut raw = RawConfig::with_defaults(ProductFamily::City, points, nodes);
    raw.timers.stagger_ms = 0;
    raw.external_control = true;
    raw.timers.setpoint_validity_ms = 3_600_000;
    let mut s = Scenario::new(raw);
    s.node_setpoint(1, 36_000).plug(0).plug(1).plug(2).at(1_000);
    s.expect_alloc(0, 18_000)
        .expect_reason_at(0, AllocReason::NodeLimit, 1);
    s.expect_alloc(1, 18_000);
    s.expect_alloc(2, 24_000)
        .expect_reason_at(2, AllocReason::NodeLimit, 0);
    s.node_setpoint(1, 28_000).at(10_000);
    s.expect_alloc(0, 14_000)
        .expect_reason_at(0, AllocReason::SetPoint, 1);
    s.expect_alloc(1, 14_000);
    s.until(20_000, |s| s.point(2).allocation_ma == 32_000);
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

// ---- PS-5 ----

/// Proves PS-5 on the defaults: rises of one point come no more often than the 5 s rise
/// interval (reason RateLimit meanwhile); a start sets the interval.
#[test]
fn ps5_rise_interval_spaces_rises() {
    let mut s = Scenario::new(two_point_station(64_000));
    // SU-1: no PWM at the first step; the start at 10 ms sets the rise interval.
    s.plug(0).ev_limit(0, Some(16_000)).at(0).expect_alloc(0, 0);
    s.at(10).expect_alloc(0, 16_000);
    s.ev_limit(0, Some(20_000)).at(1_010);
    s.expect_alloc(0, 16_000)
        .expect_reason(0, AllocReason::RateLimit);
    s.at(5_000).expect_alloc(0, 16_000);
    s.at(5_010).expect_alloc(0, 20_000);
    s.ev_limit(0, Some(24_000))
        .at(10_000)
        .expect_alloc(0, 20_000);
    s.at(10_010).expect_alloc(0, 24_000);
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

// ---- TREE-1 ----

/// Proves TREE-1 whatever order the nodes are listed in: the same tree listed parents first and
/// children first (every index mirrored) gives the same outputs in every step, through start-up,
/// sharing under a circuit and the supply, shedding and restarts after departures. (The subtree
/// sums take a pass per level when a child is listed before its parent.)
#[test]
fn tree1_node_order_does_not_change_any_output() {
    // Supply 40 A → circuit 32 A → station A (points 0–2); supply → station B (points 3–4).
    // Parents first: supply 0, circuit 1, station A 2, station B 3.
    let parents: [Option<usize>; 4] = [None, Some(0), Some(1), Some(0)];
    let limits = [40_000, 32_000, 64_000, 64_000];
    let kinds = [
        NodeKind::Supply,
        NodeKind::Circuit,
        NodeKind::Station,
        NodeKind::Station,
    ];
    let of_point = [2usize, 2, 2, 3, 3];
    let build = |label: fn(usize) -> usize| {
        let mut nodes = [NodeConfig::station(None, 0); 4];
        for i in 0..4 {
            let parent = parents[i].map(|p| u16::try_from(label(p)).unwrap());
            nodes[label(i)] = NodeConfig::new(parent, kinds[i], limits[i]);
        }
        let points =
            of_point.map(|n| PointConfig::three_phase(u16::try_from(label(n)).unwrap(), 32_000));
        let mut raw = RawConfig::with_defaults(ProductFamily::City, points, nodes);
        raw.timers.stagger_ms = 0;
        raw.timers.min_run_ms = 20_000;
        raw.timers.min_pause_ms = 10_000;
        Scenario::new(raw)
    };
    let mirror = |i: usize| 3 - i;
    let mut first = build(|i| i);
    let mut last = build(mirror);
    let mut shed = 0;
    for t in (0..180_000).step_by(10) {
        for s in [&mut first, &mut last] {
            match t {
                0 => {
                    s.plug(0).plug(3);
                }
                5_000 => {
                    s.plug(1).plug(2).plug(4);
                }
                60_000 => {
                    s.unplug(0);
                }
                90_000 => {
                    s.unplug(3).plug(0);
                }
                _ => {}
            }
            s.step_at(t);
        }
        for p in 0..5 {
            let (a, b) = (first.point(p), last.point(p));
            let node = |n: u16| {
                if n == NO_NODE {
                    n
                } else {
                    u16::try_from(mirror(usize::from(n))).unwrap()
                }
            };
            assert_eq!(
                (
                    a.allocation_ma,
                    a.reason,
                    node(a.reason_node),
                    a.contactor,
                    a.pilot
                ),
                (
                    b.allocation_ma,
                    b.reason,
                    b.reason_node,
                    b.contactor,
                    b.pilot
                ),
                "point {p} at {t} ms"
            );
            shed += usize::from(a.reason == AllocReason::Shed);
        }
    }
    // The scenario does reach sharing and shedding.
    assert!(shed > 0, "no point was shed");
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
