//! Building a valid configuration from a spec of `station_gen`, and the reference values that the
//! configuration implies (TREE-1 chains, LB-3 minimums, LB-2 static ceilings, LB-8 start
//! thresholds), written from the SPEC text, not taken from core.

use loadpilot_core::{
    Input1Function, Input2Function, InputConfig, Location, NodeConfig, NodeKind, Phase, PhaseCount,
    PointConfig, Polarity, ProductFamily, RawConfig, ShedPriority, SocketType, Thresholds,
};

use super::{ConfigSpec, LimitSpec, NodeSpec, Raw};

pub const PERMUTATIONS: [[Phase; 3]; 6] = [
    [Phase::L1, Phase::L2, Phase::L3],
    [Phase::L1, Phase::L3, Phase::L2],
    [Phase::L2, Phase::L1, Phase::L3],
    [Phase::L2, Phase::L3, Phase::L1],
    [Phase::L3, Phase::L1, Phase::L2],
    [Phase::L3, Phase::L2, Phase::L1],
];

pub const STATION_MAX_MA: u32 = 64_000;
pub const LOOSE_MA: u32 = 10_000_000;

pub fn limit_of(spec: LimitSpec, kind: NodeKind) -> [u32; 3] {
    let (scale, loose) = match kind {
        NodeKind::Station => (64, STATION_MAX_MA),
        _ => (400, LOOSE_MA),
    };
    match spec {
        LimitSpec::Loose => [loose; 3],
        LimitSpec::Same(v) => [v * scale; 3],
        LimitSpec::PerPhase(v) => v.map(|x| x * scale),
    }
}

/// Minimum operating current of a charge on `phases` (LB-3).
pub fn min_of(t: &Thresholds, phases: PhaseCount) -> u32 {
    match phases {
        PhaseCount::One => t.min_1ph_ma,
        PhaseCount::Three => t.min_3ph_ma,
    }
}

/// Rated and derated, 0 below the minimum (LB-2, LB-3).
pub fn static_ceiling(t: &Thresholds, p: &PointConfig) -> u32 {
    let c = p.rated_ma.min(p.derated_ma);
    if c < min_of(t, p.phases) { 0 } else { c }
}

/// Start threshold (LB-6): minimum × ‰, capped at the ceiling.
pub fn start_threshold(t: &Thresholds, min: u32, ceiling: u32) -> u32 {
    let v = u64::from(min) * u64::from(t.start_threshold_permille) / 1000;
    u32::try_from(v).unwrap_or(u32::MAX).min(ceiling)
}

/// Supply phases a point loads by configuration (single-phase: its L1's supply phase).
pub fn config_mask(p: &PointConfig) -> u8 {
    match p.phases {
        PhaseCount::One => 1 << p.wiring[0].index(),
        PhaseCount::Three => 0b111,
    }
}

/// The node of a point and its ancestors, nearest first.
pub fn chain(nodes: &[NodeConfig], node: u16) -> Vec<usize> {
    let mut out = Vec::new();
    let mut cur = Some(node);
    while let Some(n) = cur {
        out.push(usize::from(n));
        cur = nodes[usize::from(n)].parent;
    }
    out
}

pub fn build(spec: &ConfigSpec) -> Raw {
    let g = &spec.general;
    let nc = spec.circuits.len();
    let ns = spec.stations.len();
    let mut nodes: Vec<NodeConfig> = Vec::new();
    let mut node_specs: Vec<NodeSpec> = Vec::new();
    nodes.push(NodeConfig::new(
        None,
        NodeKind::Supply,
        0, // set below
    ));
    node_specs.push(spec.root);
    for c in &spec.circuits {
        nodes.push(NodeConfig::new(Some(0), NodeKind::Circuit, 0));
        node_specs.push(*c);
    }
    for s in &spec.stations {
        let parent = u16::try_from(s.parent % (1 + nc)).unwrap();
        nodes.push(NodeConfig::new(Some(parent), NodeKind::Station, 0));
        node_specs.push(*s);
    }
    for (n, s) in nodes.iter_mut().zip(&node_specs) {
        n.limit_ma = limit_of(s.limit, n.kind);
        n.external = s.external;
    }
    let mut points: Vec<PointConfig> = spec
        .points
        .iter()
        .map(|p| {
            let node = u16::try_from(1 + nc + p.station % ns).unwrap();
            let mut pc = PointConfig::three_phase(node, p.rated);
            pc.phases = if p.three {
                PhaseCount::Three
            } else {
                PhaseCount::One
            };
            pc.wiring = PERMUTATIONS[p.wiring % 6];
            pc.socket = SocketType::T2;
            pc.derated_ma = p.rated * p.derated_permille / 1000;
            pc.external = p.external;
            pc.phase_detection = p.phase_detection;
            pc
        })
        .collect();
    let t = g.thresholds;
    if !g.load_balancing {
        // LB-7: the ceilings must fit every limit at or above the points. A station holds at
        // most 64 A, so derate (to 0) the points that do not fit under it, last first; then
        // raise every other limit to the sum beneath it.
        for st in 1 + nc..nodes.len() {
            loop {
                let mut sum = [0u32; 3];
                let mut last = None;
                for (i, p) in points.iter().enumerate() {
                    if usize::from(p.node) == st && static_ceiling(&t, p) > 0 {
                        for (ph, s) in sum.iter_mut().enumerate() {
                            if config_mask(p) & (1 << ph) != 0 {
                                *s += static_ceiling(&t, p);
                            }
                        }
                        last = Some(i);
                    }
                }
                match last {
                    Some(i) if sum.iter().any(|s| *s > STATION_MAX_MA) => points[i].derated_ma = 0,
                    _ => break,
                }
            }
        }
        for n in 0..nodes.len() {
            let mut sum = [0u32; 3];
            for p in &points {
                if chain(&nodes, p.node).contains(&n) {
                    for (ph, s) in sum.iter_mut().enumerate() {
                        if config_mask(p) & (1 << ph) != 0 {
                            *s += static_ceiling(&t, p);
                        }
                    }
                }
            }
            for (l, s) in nodes[n].limit_ma.iter_mut().zip(sum) {
                *l = (*l).max(s);
            }
        }
    }
    for (n, s) in nodes.iter_mut().zip(&node_specs) {
        n.fail_safe_ma = s.fail_safe.map(|fs| {
            let mut out = [0u32; 3];
            for ph in 0..3 {
                out[ph] = (u64::from(n.limit_ma[ph]) * u64::from(fs[ph]) / 1000) as u32;
            }
            out
        });
    }
    for (p, s) in points.iter_mut().zip(&spec.points) {
        p.fail_safe_ma = s.fail_safe_permille.map(|f| p.derated_ma * f / 1000);
    }
    let max_derated = points.iter().map(|p| p.derated_ma).max().unwrap_or(0);
    let family = match g.family {
        0 => ProductFamily::City,
        1 => ProductFamily::Parking,
        _ => ProductFamily::Wallbox,
    };
    // Half of the configurations use no function input at all.
    let (in1, in2) = if family == ProductFamily::Wallbox {
        (
            [Input1Function::NotUsed, Input1Function::DelayedStart][usize::from(g.in1 % 4 / 3)],
            [Input2Function::NotUsed, Input2Function::TemporaryLimitation]
                [usize::from(g.in2 % 4 / 3)],
        )
    } else {
        (
            [
                Input1Function::NotUsed,
                Input1Function::NotUsed,
                Input1Function::NotUsed,
                Input1Function::NotUsed,
                Input1Function::ProtectionDevices,
                Input1Function::LoadShedding,
            ][usize::from(g.in1 % 6)],
            [Input2Function::NotUsed, Input2Function::ConditionalStart][usize::from(g.in2 % 4 / 3)],
        )
    };
    let pol = |nc: bool| {
        if nc {
            Polarity::NormallyClosed
        } else {
            Polarity::NormallyOpen
        }
    };
    let mut raw = RawConfig::with_defaults(family, points, nodes);
    raw.location = if g.outdoor {
        Location::Outdoor
    } else {
        Location::Indoor
    };
    raw.load_balancing = g.load_balancing;
    raw.shed_priority = if g.energy_priority {
        ShedPriority::EnergyDelivered
    } else {
        ShedPriority::ChargeDuration
    };
    raw.external_control = g.external_control;
    raw.voltage_mv = g.voltage_mv;
    raw.inputs = InputConfig {
        in1,
        in1_polarity: pol(g.nc1),
        in2,
        in2_polarity: pol(g.nc2),
        load_shedding_ma: max_derated * g.ls_permille / 1000,
        temporary_limit_ma: max_derated * g.tl_permille / 1000,
    };
    raw.timers = g.timers;
    raw.thresholds = t;
    raw
}
