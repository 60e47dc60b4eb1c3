//! Configuration validation, the limit tree and the limits that must fit: the nodes form one tree
//! of at most `MAX_DEPTH` levels, each parent and each point's node exists (TREE-1); with load
//! balancing disabled, the points' ceilings fit under every limit at or above their station, per
//! phase (LB-7, with LB-12 and LB-3); a fail-safe current is not above the limit it replaces
//! (LB-8).
//!
//! Each refusal is checked for the exact `ConfigError { field, reason }`, each with an accepted
//! configuration at its edge.

mod common;

use common::config_checks::{accepted, base, refused};
use loadpilot_core::{
    Field, NodeConfig, NodeKind, Phase, PointConfig, ProductFamily, RawConfig, Reason,
    two_point_station,
};

// ---------------------------------------------------------------------------------------------
// TREE-1

/// Supply 0 → circuit 1 → station 2, one point under the station.
fn tree3() -> RawConfig<[PointConfig; 1], [NodeConfig; 3]> {
    RawConfig::with_defaults(
        ProductFamily::City,
        [PointConfig::three_phase(2, 32_000)],
        [
            NodeConfig::new(None, NodeKind::Supply, 100_000),
            NodeConfig::new(Some(0), NodeKind::Circuit, 80_000),
            NodeConfig::station(Some(1), 64_000),
        ],
    )
}

#[test]
fn tree1_three_levels_accepted() {
    accepted(tree3());
}

#[test]
fn tree1_cycle_refused() {
    let mut raw = tree3();
    // 1 → 2 → 1: neither reaches the root.
    raw.nodes[1].parent = Some(2);
    refused(raw, Field::Parent { node: 1 }, Reason::NotATree);
    let mut raw = tree3();
    raw.nodes[2].parent = Some(2);
    refused(raw, Field::Parent { node: 2 }, Reason::NotATree);
}

#[test]
fn tree1_two_roots_refused() {
    let mut raw = tree3();
    raw.nodes[1].parent = None;
    refused(raw, Field::Nodes, Reason::RootCount { roots: 2 });
}

#[test]
fn tree1_unknown_parent_refused() {
    let mut raw = tree3();
    raw.nodes[2].parent = Some(3);
    refused(
        raw,
        Field::Parent { node: 2 },
        Reason::NoSuchNode { index: 3 },
    );
}

#[test]
fn tree1_point_on_unknown_node_refused() {
    let mut raw = tree3();
    raw.points[0].node = 7;
    refused(
        raw,
        Field::PointNode { point: 0 },
        Reason::NoSuchNode { index: 7 },
    );
}

/// A chain of `N` nodes, each under the previous one, with one point on the deepest.
fn chain<const N: usize>() -> RawConfig<[PointConfig; 1], [NodeConfig; N]> {
    let nodes: [NodeConfig; N] = core::array::from_fn(|i| match i {
        0 => NodeConfig::new(None, NodeKind::Supply, 100_000),
        _ => NodeConfig::new(Some(i as u16 - 1), NodeKind::Circuit, 100_000),
    });
    RawConfig::with_defaults(
        ProductFamily::City,
        [PointConfig::three_phase(N as u16 - 1, 32_000)],
        nodes,
    )
}

#[test]
fn tree1_too_deep_refused() {
    use loadpilot_core::config::MAX_DEPTH;
    assert_eq!(MAX_DEPTH, 8, "the chains below assume 8 levels");
    // Eight levels (seven hops from the deepest node to the root) are accepted, nine are not.
    accepted(chain::<8>());
    refused(chain::<9>(), Field::Parent { node: 8 }, Reason::NotATree);
}

// ---------------------------------------------------------------------------------------------
// LB-7, LB-8

/// Proves LB-7: with load balancing disabled, the ceilings must fit under the station limit.
#[test]
fn lb7_disabled_refused_when_ceilings_exceed_node_limit() {
    let mut raw = two_point_station(63_999);
    raw.load_balancing = false;
    refused(
        raw,
        Field::LoadBalancing {
            node: 0,
            phase: Phase::L1,
        },
        Reason::CeilingsAboveLimit {
            sum: 64_000,
            limit: 63_999,
        },
    );
    let mut raw = two_point_station(64_000);
    raw.load_balancing = false;
    accepted(raw.clone());
    // The same numbers with load balancing on are fine: the points share.
    let mut raw = two_point_station(40_000);
    raw.load_balancing = true;
    accepted(raw);
}

/// Proves LB-7: every limit at or above the station counts, per phase (here the supply's L3).
#[test]
fn lb7_disabled_checks_limits_above_the_station() {
    let mut raw = RawConfig::with_defaults(
        ProductFamily::City,
        [PointConfig::three_phase(1, 32_000); 2],
        [
            NodeConfig::new(None, NodeKind::Supply, 100_000),
            NodeConfig::station(Some(0), 64_000),
        ],
    );
    raw.load_balancing = false;
    raw.nodes[0].limit_ma[2] = 50_000;
    refused(
        raw.clone(),
        Field::LoadBalancing {
            node: 0,
            phase: Phase::L3,
        },
        Reason::CeilingsAboveLimit {
            sum: 64_000,
            limit: 50_000,
        },
    );
    raw.nodes[0].limit_ma[2] = 64_000;
    accepted(raw);
}

/// Proves LB-7 with LB-12 and LB-3: single-phase points on different phases do not add up, and
/// a derated current below the minimum is a ceiling of 0.
#[test]
fn lb7_disabled_counts_per_phase_and_lb3_zero_ceilings() {
    let mut raw = RawConfig::with_defaults(
        ProductFamily::City,
        [
            PointConfig::single_phase(0, 32_000, Phase::L1),
            PointConfig::single_phase(0, 32_000, Phase::L2),
        ],
        [NodeConfig::station(None, 32_000)],
    );
    raw.load_balancing = false;
    accepted(raw.clone());
    raw.points[1] = PointConfig::single_phase(0, 32_000, Phase::L1);
    refused(
        raw,
        Field::LoadBalancing {
            node: 0,
            phase: Phase::L1,
        },
        Reason::CeilingsAboveLimit {
            sum: 64_000,
            limit: 32_000,
        },
    );
    // Derated 13 A on a three-phase point is below the 14 A minimum: it never charges (LB-3).
    let mut raw = two_point_station(32_000);
    raw.load_balancing = false;
    raw.points[1].derated_ma = 13_000;
    accepted(raw);
}

/// Proves LB-8: a node's fail-safe current above the limit it replaces is refused, per phase.
#[test]
fn lb8_node_fail_safe_above_limit_refused() {
    let mut raw = base();
    raw.external_control = true;
    raw.nodes[0].fail_safe_ma = Some([20_000, 64_001, 20_000]);
    refused(
        raw.clone(),
        Field::NodeFailSafe {
            node: 0,
            phase: Phase::L2,
        },
        Reason::AboveLimit {
            value: 64_001,
            limit: 64_000,
        },
    );
    raw.nodes[0].fail_safe_ma = Some([64_000, 64_000, 0]);
    accepted(raw);
}

/// Proves LB-8: a point's fail-safe current above its (derated) maximum is refused.
#[test]
fn lb8_point_fail_safe_above_limit_refused() {
    let mut raw = base();
    raw.external_control = true;
    raw.points[1].external = true;
    raw.points[1].derated_ma = 20_000;
    raw.points[1].fail_safe_ma = Some(20_001);
    refused(
        raw.clone(),
        Field::PointFailSafe { point: 1 },
        Reason::AboveLimit {
            value: 20_001,
            limit: 20_000,
        },
    );
    raw.points[1].fail_safe_ma = Some(20_000);
    accepted(raw.clone());
    raw.points[1].fail_safe_ma = Some(0);
    accepted(raw);
}
