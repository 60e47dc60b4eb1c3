//! Scenario tests of how the current is shared under the limits (SPEC §3): the limit (LB-1), a
//! point's ceiling (LB-2), the minimum operating current (LB-3), sharing (LB-4), why a point is
//! limited (LB-11), the phases (LB-12) and the limit tree (TREE-1), one or more per rule, tick
//! by tick through the harness of `common/` (which also checks LB-1 and LB-3 in every step).
//!
//! Times are absolute ms from the first step. Most tests set the start stagger to 0 (`station`);
//! the LB-4 defaults test keeps every default.

mod common;

use common::energy::{P32, external};
use common::{Ev, Scenario, station};
use loadpilot_core::{
    AllocReason, Config, Field, NO_NODE, NodeConfig, NodeKind, Phase, PilotOutput, PointConfig,
    PointFlags, ProductFamily, RawConfig, VehicleState, two_point_station,
};

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

/// Proves LB-11 with LB-5's VIP: a VIP point that a node's limit binds names that node, as any
/// point does, though the water-filling raises it in a pass of its own, before the others' pass
/// (which holds it where its own pass left it, reason and all); the non-VIP point, held at its
/// minimum with no room left, names the same node.
#[test]
fn lb11_lb5_a_vip_bound_by_a_node_names_the_node() {
    let mut s = Scenario::new(station(40_000, [P32; 2]));
    s.plug(0).vip(0, true).plug(1).at(1_000);
    s.expect_alloc(0, 26_000)
        .expect_reason_at(0, AllocReason::NodeLimit, 0);
    s.expect_alloc(1, 14_000)
        .expect_reason_at(1, AllocReason::NodeLimit, 0);
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

/// Proves TREE-1 whatever order the nodes are listed in: the same tree listed parents first,
/// children first (every index mirrored), and mixed (circuit, station A, supply, station B: the
/// circuit before its supply, station A after its circuit) gives the same outputs in every step,
/// through start-up, sharing under a circuit and the supply, shedding and restarts after
/// departures. (The subtree sums take a pass per level when a child is listed before its parent;
/// in the mixed listing one pass in index order would add the circuit into the supply before
/// station A into the circuit, and the supply would miss station A's points.)
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
    // Each listing as the index of each node of the parents-first one.
    let build = |label: [usize; 4]| {
        let mut nodes = [NodeConfig::station(None, 0); 4];
        for i in 0..4 {
            let parent = parents[i].map(|p| u16::try_from(label[p]).unwrap());
            nodes[label[i]] = NodeConfig::new(parent, kinds[i], limits[i]);
        }
        let points =
            of_point.map(|n| PointConfig::three_phase(u16::try_from(label[n]).unwrap(), 32_000));
        let mut raw = RawConfig::with_defaults(ProductFamily::City, points, nodes);
        raw.timers.stagger_ms = 0;
        raw.timers.min_run_ms = 20_000;
        raw.timers.min_pause_ms = 10_000;
        Scenario::new(raw)
    };
    // The listings stepped side by side; the first, parents first, is the reference.
    let labels = [[0, 1, 2, 3], [3, 2, 1, 0], [2, 0, 1, 3]];
    let mut runs = labels.map(build);
    let mut shed = 0;
    for t in (0..180_000).step_by(10) {
        for s in runs.iter_mut() {
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
        let (first, others) = runs.split_first().unwrap();
        for (label, other) in labels[1..].iter().zip(others) {
            for p in 0..5 {
                let (a, b) = (first.point(p), other.point(p));
                let node = |n: u16| {
                    if n == NO_NODE {
                        n
                    } else {
                        u16::try_from(label[usize::from(n)]).unwrap()
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
                    "listing {label:?}: point {p} at {t} ms"
                );
            }
        }
        shed += (0..5)
            .filter(|&p| first.point(p).reason == AllocReason::Shed)
            .count();
    }
    // The scenario does reach sharing and shedding.
    assert!(shed > 0, "no point was shed");
}
