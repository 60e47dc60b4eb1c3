//! Properties of the energy rules (SPEC §3) over random valid configurations and random input
//! sequences (STYLE.md "Tests": invariants as properties, valid configurations by construction).
//!
//! Every case builds a valid configuration of 1–64 points under a limit tree of depth up to 3
//! (supply → optional circuits → stations → points), with single- and three-phase points on
//! random phase rotations, and drives the slice API (`loadpilot_core::step`) for 200–400 steps of
//! random inputs: plug-ins and unplugs (A … F), authorisation, VIP, EVs that follow the pilot at
//! once, late or never, EV limits, cables, single-phase EVs on three-phase points, node and point
//! set points (fresh, stale, future-stamped, absent), function inputs, EX-2 commands, step gaps,
//! steps repeated at the same millisecond and a clock that sometimes goes back. The measured currents come from the EV model: what each EV
//! draws while its contactor is closed, sometimes absent.
//!
//! Everything the checks compare against (effective limits, ceilings, the LB-9 count, the LB-4
//! target) is computed here from the SPEC text and the brief, not taken from core.
//!
//! Failing seeds are kept in `core/proptest-regressions/` (one file per property); minimal cases
//! found by these properties are replayed as plain `#[test]`s at the end of this file.

// Points, nodes and phases are parallel arrays here (configuration, inputs, outputs, the
// previous outputs): indexing them by one loop variable reads better than zipping four.
#![allow(clippy::needless_range_loop)]

mod common;

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

use loadpilot_core::pilot::{decode_ma, duty_permille};
use loadpilot_core::{
    Commands, Config, Input1Function, Input2Function, InputConfig, Inputs, Location, NodeConfig,
    NodeInputs, NodeKind, NodeState, NodeWork, Outputs, Phase, PhaseCount, PilotOutput,
    PointConfig, PointFlags, PointInputs, PointOutput, PointState, PointWork, Polarity,
    ProductFamily, RawConfig, SetPoint, ShedPriority, SiteState, SocketType, State, StationInputs,
    StationOutput, StationState, Thresholds, Timers, VehicleState, Work, step,
};
use proptest::prelude::*;
use proptest::test_runner::{FileFailurePersistence, TestCaseError, TestRunner};

type Raw = RawConfig<Vec<PointConfig>, Vec<NodeConfig>>;

// ---------------------------------------------------------------------------------------------
// Generated values. Everything refers to points and nodes by `usize` taken modulo the count, so a
// shrunk configuration still makes a valid case.
// ---------------------------------------------------------------------------------------------

/// A node limit before scaling to the node's kind (station: 0–64 A; supply and circuit:
/// 0–400 A, or 10 000 A when loose).
#[derive(Clone, Copy, Debug)]
enum LimitSpec {
    Loose,
    Same(u32),
    PerPhase([u32; 3]),
}

#[derive(Clone, Copy, Debug)]
struct NodeSpec {
    parent: usize,
    limit: LimitSpec,
    external: bool,
    /// Fail-safe per phase as ‰ of the limit.
    fail_safe: Option<[u32; 3]>,
}

#[derive(Clone, Copy, Debug)]
struct PointSpec {
    station: usize,
    three: bool,
    wiring: usize,
    rated: u32,
    derated_permille: u32,
    external: bool,
    fail_safe_permille: Option<u32>,
    phase_detection: bool,
}

#[derive(Clone, Copy, Debug)]
struct GeneralSpec {
    family: u8,
    in1: u8,
    in2: u8,
    nc1: bool,
    nc2: bool,
    ls_permille: u32,
    tl_permille: u32,
    outdoor: bool,
    load_balancing: bool,
    energy_priority: bool,
    external_control: bool,
    voltage_mv: u32,
    timers: Timers,
    thresholds: Thresholds,
}

#[derive(Clone, Debug)]
struct ConfigSpec {
    general: GeneralSpec,
    root: NodeSpec,
    circuits: Vec<NodeSpec>,
    stations: Vec<NodeSpec>,
    points: Vec<PointSpec>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Model {
    /// Follows the signal at once.
    Follow,
    /// Follows every change of the signal this many ms late.
    Late(u32),
    /// Ignores reductions: keeps drawing the highest current it was given.
    Never,
}

#[derive(Clone, Copy, Debug)]
struct PointInit {
    vehicle: VehicleState,
    authorised: bool,
    vip: bool,
    model: Model,
    /// `Some(k)`: a single-phase EV drawing on point phase `k`.
    ev_phase: Option<u8>,
    meas: bool,
    ev_max: Option<u32>,
    reported: bool,
}

#[derive(Clone, Copy, Debug)]
enum Dt {
    Tick(u32),
    Jump(u32),
    /// 2³¹ ms and a bit: moves core's epoch.
    Huge,
    /// The clock goes back (SU-3).
    Back(u32),
    /// Another step at the same millisecond (a caller that steps at a deadline and at its tick
    /// in the same ms): the clock does not move.
    Again,
}

#[derive(Clone, Copy, Debug)]
enum Sp {
    /// A fresh set point, ‰ of the node's (point's) configured maximum, refreshed every step.
    Fresh(u32),
    /// Stop refreshing: goes stale after the validity time.
    Hold,
    Absent,
    /// Stamped later than now.
    Future(u32),
}

#[derive(Clone, Copy, Debug)]
enum Action {
    Vehicle(usize, VehicleState),
    Authorise(usize, bool),
    Vip(usize, bool),
    Model(usize, Model),
    EvPhase(usize, Option<u8>),
    EvLimit(usize, Option<u32>, bool),
    Cable(usize, Option<u32>),
    Meas(usize, bool),
    Undershoot(usize, u32),
    /// The EV's measured current jitters by up to this (mA) around what it draws, every step.
    Jitter(usize, u32),
    NodeSp(usize, Sp),
    PointSp(usize, Sp),
    In1(bool),
    In2(bool),
    Command(usize, u32),
}

#[derive(Clone, Debug)]
struct Event {
    dt: Dt,
    actions: Vec<Action>,
}

#[derive(Clone)]
struct Scenario {
    config: ConfigSpec,
    init: Vec<PointInit>,
    contacts: (bool, bool),
    start_ms: u64,
    events: Vec<Event>,
}

impl fmt::Debug for Scenario {
    /// Compact: the built configuration, the initial point inputs, and only the events that do
    /// something besides a 10–40 ms tick.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let raw = build(&self.config);
        writeln!(f, "Scenario {{")?;
        writeln!(
            f,
            "  family {:?} location {:?} lb {} priority {:?} external {} inputs {:?}",
            raw.family,
            raw.location,
            raw.load_balancing,
            raw.shed_priority,
            raw.external_control,
            raw.inputs
        )?;
        writeln!(f, "  timers {:?}", raw.timers)?;
        writeln!(f, "  thresholds {:?}", raw.thresholds)?;
        for (i, n) in raw.nodes.iter().enumerate() {
            writeln!(f, "  node {i}: {n:?}")?;
        }
        for (i, p) in raw.points.iter().enumerate() {
            writeln!(f, "  point {i}: {p:?}")?;
            writeln!(f, "    init {:?}", self.init[i % self.init.len()])?;
        }
        writeln!(
            f,
            "  contacts {:?} start_ms {} events {}",
            self.contacts,
            self.start_ms,
            self.events.len()
        )?;
        for (k, e) in self.events.iter().enumerate() {
            if !e.actions.is_empty() || !matches!(e.dt, Dt::Tick(_)) {
                writeln!(f, "  #{k}: {:?} {:?}", e.dt, e.actions)?;
            }
        }
        write!(f, "}}")
    }
}

// ---------------------------------------------------------------------------------------------
// Strategies.
// ---------------------------------------------------------------------------------------------

fn limit_spec() -> impl Strategy<Value = LimitSpec> {
    prop_oneof![
        2 => Just(LimitSpec::Loose),
        4 => (0u32..=1000).prop_map(LimitSpec::Same),
        1 => prop::array::uniform3(0u32..=1000).prop_map(LimitSpec::PerPhase),
    ]
}

fn node_spec() -> impl Strategy<Value = NodeSpec> {
    (
        0usize..64,
        limit_spec(),
        any::<bool>(),
        prop::option::weighted(0.3, prop::array::uniform3(0u32..=1000)),
    )
        .prop_map(|(parent, limit, external, fail_safe)| NodeSpec {
            parent,
            limit,
            external,
            fail_safe,
        })
}

fn point_spec() -> impl Strategy<Value = PointSpec> {
    (
        0usize..64,
        prop::bool::weighted(0.6),
        0usize..6,
        prop_oneof![2 => Just(32_000u32), 1 => Just(16_000u32), 3 => 6_000u32..=80_000],
        prop_oneof![3 => Just(1000u32), 1 => 0u32..=1000],
        any::<bool>(),
        prop::option::weighted(0.3, 0u32..=1000),
        prop::bool::weighted(0.7),
    )
        .prop_map(
            |(
                station,
                three,
                wiring,
                rated,
                derated_permille,
                external,
                fail_safe_permille,
                phase_detection,
            )| PointSpec {
                station,
                three,
                wiring,
                rated,
                derated_permille,
                external,
                fail_safe_permille,
                phase_detection,
            },
        )
}

/// Timers within the ranges of `config.rs`, short enough that steady state comes soon, and
/// within the PS-1 budget by construction (safer debounce ≤ P, release ≤ min(50, 100 − 2P)).
fn timers() -> impl Strategy<Value = Timers> {
    (
        (10u32..=40, 0u32..=1000, 0u32..=1000, 1u32..=2000),
        (1_000u32..=5_000, 1_000u32..=6_000, 1_000u32..=3_000),
        (
            0u32..=5_000,
            0u32..=5_000,
            1_000u32..=10_000,
            1_000u32..=5_000,
        ),
        (
            1_000u32..=10_000,
            prop_oneof![3 => Just(0u32), 1 => 0u32..=200],
            100u32..=10_000,
        ),
    )
        .prop_map(
            |(
                (p, deb, rel, deb_c),
                (ev_response_ms, grace_ms, rise_interval_ms),
                (min_pause_ms, min_run_ms, idle_ms, phase_detection_ms),
                (setpoint_validity_ms, stagger_ms, max_gap_ms),
            )| {
                let debounce_safer_ms = 1 + deb * (p - 1) / 1000;
                let contactor_release_ms = 1 + rel * ((100 - 2 * p).min(50) - 1) / 1000;
                Timers {
                    sample_period_ms: p,
                    contactor_release_ms,
                    debounce_safer_ms,
                    debounce_charge_ms: deb_c,
                    ev_response_ms,
                    grace_ms,
                    rise_interval_ms,
                    min_pause_ms,
                    min_run_ms,
                    idle_ms,
                    phase_detection_ms,
                    setpoint_validity_ms,
                    stagger_ms,
                    max_gap_ms,
                    ..Timers::default()
                }
            },
        )
}

fn thresholds() -> impl Strategy<Value = Thresholds> {
    (
        prop_oneof![2 => Just(8_000u32), 1 => Just(6_000u32), 2 => 6_000u32..=32_000],
        prop_oneof![2 => Just(14_000u32), 1 => Just(6_000u32), 2 => 6_000u32..=32_000],
        1_000u32..=3_000,
        0u32..=10_000,
        0u32..=1000,
        100u32..=6_000,
        100u32..=6_000,
    )
        .prop_map(|(min1, min3, start, tol, hard, idle, phase_tol)| {
            let lo = (tol + 1).max(1_000);
            Thresholds {
                min_1ph_ma: min1,
                min_3ph_ma: min3,
                start_threshold_permille: start,
                overcurrent_tolerance_ma: tol,
                overcurrent_hard_ma: lo + hard * (20_000 - lo) / 1000,
                idle_threshold_ma: idle,
                phase_tolerance_ma: phase_tol,
                ..Thresholds::default()
            }
        })
}

fn general_spec() -> impl Strategy<Value = GeneralSpec> {
    (
        (0u8..3, 0u8..6, 0u8..4, any::<bool>(), any::<bool>()),
        (0u32..=1000, 0u32..=1000, any::<bool>()),
        (
            prop::bool::weighted(0.8),
            any::<bool>(),
            prop::bool::weighted(0.4),
            175_000u32..=276_000,
        ),
        timers(),
        thresholds(),
    )
        .prop_map(
            |(
                (family, in1, in2, nc1, nc2),
                (ls_permille, tl_permille, outdoor),
                (load_balancing, energy_priority, external_control, voltage_mv),
                timers,
                thresholds,
            )| GeneralSpec {
                family,
                in1,
                in2,
                nc1,
                nc2,
                ls_permille,
                tl_permille,
                outdoor,
                load_balancing,
                energy_priority,
                external_control,
                voltage_mv,
                timers,
                thresholds,
            },
        )
}

fn config_spec() -> impl Strategy<Value = ConfigSpec> {
    (
        general_spec(),
        node_spec(),
        prop::collection::vec(node_spec(), 0..=3),
        prop::collection::vec(node_spec(), 1..=16),
        prop::collection::vec(point_spec(), 1..=64),
    )
        .prop_map(|(general, root, circuits, stations, points)| ConfigSpec {
            general,
            root,
            circuits,
            stations,
            points,
        })
}

fn vehicle() -> impl Strategy<Value = VehicleState> {
    prop_oneof![
        3 => Just(VehicleState::A),
        3 => Just(VehicleState::B),
        8 => Just(VehicleState::C),
        1 => Just(VehicleState::D),
        1 => prop_oneof![
            Just(VehicleState::E),
            Just(VehicleState::F),
            Just(VehicleState::Unknown)
        ],
    ]
}

fn model() -> impl Strategy<Value = Model> {
    prop_oneof![
        6 => Just(Model::Follow),
        2 => (1u32..=6_000).prop_map(Model::Late),
        1 => Just(Model::Never),
    ]
}

fn ev_phase() -> impl Strategy<Value = Option<u8>> {
    prop_oneof![4 => Just(None), 1 => (0u8..3).prop_map(Some)]
}

fn point_init() -> impl Strategy<Value = PointInit> {
    (
        vehicle(),
        prop::bool::weighted(0.85),
        prop::bool::weighted(0.15),
        model(),
        ev_phase(),
        prop::bool::weighted(0.8),
        prop::option::weighted(0.25, 6_000u32..=80_000),
        any::<bool>(),
    )
        .prop_map(
            |(vehicle, authorised, vip, model, ev_phase, meas, ev_max, reported)| PointInit {
                vehicle,
                authorised,
                vip,
                model,
                ev_phase,
                meas,
                ev_max,
                reported,
            },
        )
}

fn sp() -> impl Strategy<Value = Sp> {
    prop_oneof![
        4 => (0u32..=1200).prop_map(Sp::Fresh),
        2 => Just(Sp::Hold),
        1 => Just(Sp::Absent),
        1 => (1u32..=5_000).prop_map(Sp::Future),
    ]
}

fn action() -> impl Strategy<Value = Action> {
    let pt = || 0usize..64;
    prop_oneof![
        6 => (pt(), vehicle()).prop_map(|(i, v)| Action::Vehicle(i, v)),
        3 => (pt(), prop::bool::weighted(0.7)).prop_map(|(i, b)| Action::Authorise(i, b)),
        1 => (pt(), prop::bool::weighted(0.3)).prop_map(|(i, b)| Action::Vip(i, b)),
        2 => (pt(), model()).prop_map(|(i, m)| Action::Model(i, m)),
        1 => (pt(), ev_phase()).prop_map(|(i, k)| Action::EvPhase(i, k)),
        1 => (pt(), prop::option::of(6_000u32..=80_000), any::<bool>())
            .prop_map(|(i, m, r)| Action::EvLimit(i, m, r)),
        1 => (
            pt(),
            prop::option::of(prop::sample::select(vec![13_000u32, 20_000, 32_000, 63_000, 70_000]))
        )
            .prop_map(|(i, c)| Action::Cable(i, c)),
        1 => (pt(), prop::bool::weighted(0.8)).prop_map(|(i, b)| Action::Meas(i, b)),
        1 => (pt(), prop_oneof![Just(0u32), 0u32..=1_500]).prop_map(|(i, u)| Action::Undershoot(i, u)),
        1 => (pt(), prop_oneof![Just(0u32), 1u32..=400]).prop_map(|(i, j)| Action::Jitter(i, j)),
        3 => (0usize..64, sp()).prop_map(|(n, s)| Action::NodeSp(n, s)),
        2 => (pt(), sp()).prop_map(|(i, s)| Action::PointSp(i, s)),
        1 => any::<bool>().prop_map(Action::In1),
        1 => any::<bool>().prop_map(Action::In2),
        1 => (pt(), prop_oneof![2 => Just(0u32), 1 => 1u32..64]).prop_map(|(i, c)| Action::Command(i, c)),
    ]
}

fn dt() -> impl Strategy<Value = Dt> {
    prop_oneof![
        160 => (10u32..=40).prop_map(Dt::Tick),
        6 => (41u32..=100).prop_map(Dt::Jump),
        3 => (100u32..=3_000).prop_map(Dt::Jump),
        2 => (3_000u32..=20_000).prop_map(Dt::Jump),
        1 => (1u32..=300).prop_map(Dt::Back),
        1 => Just(Dt::Huge),
        3 => Just(Dt::Again),
    ]
}

fn event() -> impl Strategy<Value = Event> {
    (
        dt(),
        prop_oneof![
            3 => Just(Vec::new()),
            1 => prop::collection::vec(action(), 1..=4),
        ],
    )
        .prop_map(|(dt, actions)| Event { dt, actions })
}

fn scenario(steps: std::ops::RangeInclusive<usize>) -> impl Strategy<Value = Scenario> {
    (
        config_spec(),
        prop::collection::vec(point_init(), 64),
        (any::<bool>(), any::<bool>()),
        0u64..(1u64 << 40),
        prop::collection::vec(event(), steps),
    )
        .prop_map(|(config, init, contacts, start_ms, events)| Scenario {
            config,
            init,
            contacts,
            start_ms,
            events,
        })
}

// ---------------------------------------------------------------------------------------------
// Building a valid configuration from a spec.
// ---------------------------------------------------------------------------------------------

const PERMUTATIONS: [[Phase; 3]; 6] = [
    [Phase::L1, Phase::L2, Phase::L3],
    [Phase::L1, Phase::L3, Phase::L2],
    [Phase::L2, Phase::L1, Phase::L3],
    [Phase::L2, Phase::L3, Phase::L1],
    [Phase::L3, Phase::L1, Phase::L2],
    [Phase::L3, Phase::L2, Phase::L1],
];

const STATION_MAX_MA: u32 = 64_000;
const LOOSE_MA: u32 = 10_000_000;

fn limit_of(spec: LimitSpec, kind: NodeKind) -> [u32; 3] {
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
fn min_of(t: &Thresholds, phases: PhaseCount) -> u32 {
    match phases {
        PhaseCount::One => t.min_1ph_ma,
        PhaseCount::Three => t.min_3ph_ma,
    }
}

/// Rated and derated, 0 below the minimum (LB-2, LB-3).
fn static_ceiling(t: &Thresholds, p: &PointConfig) -> u32 {
    let c = p.rated_ma.min(p.derated_ma);
    if c < min_of(t, p.phases) { 0 } else { c }
}

/// Start threshold (LB-6): minimum × ‰, capped at the ceiling.
fn start_threshold(t: &Thresholds, min: u32, ceiling: u32) -> u32 {
    let v = u64::from(min) * u64::from(t.start_threshold_permille) / 1000;
    u32::try_from(v).unwrap_or(u32::MAX).min(ceiling)
}

/// Supply phases a point loads by configuration (single-phase: its L1's supply phase).
fn config_mask(p: &PointConfig) -> u8 {
    match p.phases {
        PhaseCount::One => 1 << p.wiring[0].index(),
        PhaseCount::Three => 0b111,
    }
}

/// The node of a point and its ancestors, nearest first.
fn chain(nodes: &[NodeConfig], node: u16) -> Vec<usize> {
    let mut out = Vec::new();
    let mut cur = Some(node);
    while let Some(n) = cur {
        out.push(usize::from(n));
        cur = nodes[usize::from(n)].parent;
    }
    out
}

fn build(spec: &ConfigSpec) -> Raw {
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

// ---------------------------------------------------------------------------------------------
// The simulated site: EVs and the caller's inputs, core's state over `Vec`s, and the checks.
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug)]
struct Ev {
    model: Model,
    ev_phase: Option<u8>,
    /// The EV's own maximum (mA), reported to core or not.
    max: Option<u32>,
    reported: bool,
    meas: bool,
    undershoot: u32,
    jitter: u32,
    drawing: u32,
    pending: Option<(u32, u64)>,
}

/// What the cases went through, so that a run shows it is not vacuous.
#[derive(Clone, Debug, Default)]
struct Stats {
    steps: u64,
    /// Point-steps with a connected vehicle, by the LB-11 reason.
    reasons: [u64; 32],
    /// Point-steps with an allocation.
    charging: u64,
    /// Point-steps charging single-phase on a three-phase point (LB-12 detection).
    detected_single: u64,
    /// Point-steps with a closed contactor and no PWM (graceful stop, PS-4).
    grace: u64,
    /// LB-4 cases that ended with ≥ 2 points charging, and with some point below its ceiling.
    shared: u64,
    bound: u64,
    /// Point-steps whose preparation, and whose outputs, came from the memo of the point's
    /// step (the comparison with fresh working memory in every step then checks it).
    memo_prep: u64,
    memo_fin: u64,
    /// Steps that repeated the last step's passes (the station's memo).
    memo_station: u64,
}

impl Stats {
    fn add(&mut self, o: &Stats) {
        self.steps += o.steps;
        for (a, b) in self.reasons.iter_mut().zip(o.reasons) {
            *a += b;
        }
        self.charging += o.charging;
        self.detected_single += o.detected_single;
        self.grace += o.grace;
        self.shared += o.shared;
        self.bound += o.bound;
        self.memo_prep += o.memo_prep;
        self.memo_fin += o.memo_fin;
        self.memo_station += o.memo_station;
    }
}

/// Which rules the per-step check asserts.
#[derive(Clone, Copy, Debug, Default)]
struct Checks {
    /// LB-9 "raised only by what is free under the count", exactly as the brief defines it.
    lb9: bool,
}

struct Sim {
    cfg: Config<Vec<PointConfig>, Vec<NodeConfig>>,
    checks: Checks,
    anc: Vec<Vec<usize>>,
    station: StationState,
    points: Vec<PointState>,
    nodes: Vec<NodeState>,
    work: Vec<PointWork>,
    nwork: Vec<NodeWork>,
    swork: loadpilot_core::StationWork,
    so: StationOutput,
    out: Vec<PointOutput>,
    si: StationInputs,
    pin: Vec<PointInputs>,
    nin: Vec<NodeInputs>,
    evs: Vec<Ev>,
    node_refresh: Vec<bool>,
    point_refresh: Vec<bool>,
    now: u64,
    max_now: u64,
    started: bool,
    first_ms: u64,
    pwm_off_at: Vec<Option<u64>>,
    /// Since when the point has been in C (or D outdoors) with PWM on, in every step.
    ready_since: Vec<Option<u64>>,
    last_clock_fault: Option<u64>,
    fault_latched: Vec<bool>,
    steps: u64,
    stats: Stats,
}

fn fresh(sp: Option<SetPoint>, now: u64, validity_ms: u32) -> Option<u32> {
    let sp = sp?;
    (sp.received_ms <= now && now - sp.received_ms <= u64::from(validity_ms))
        .then_some(sp.current_ma)
}

fn mask_of(o: &PointOutput) -> u8 {
    o.alloc_ma
        .iter()
        .enumerate()
        .filter(|(_, a)| **a > 0)
        .fold(0u8, |m, (ph, _)| m | (1 << ph))
}

macro_rules! ensure {
    ($cond:expr, $($arg:tt)+) => {
        if !$cond {
            return Err(format!($($arg)+));
        }
    };
}

impl Sim {
    fn new(raw: Raw, init: &[PointInit], contacts: (bool, bool), start_ms: u64) -> Self {
        let cfg = match Config::new(raw.clone()) {
            Ok(c) => c,
            Err(e) => panic!("the strategy built an invalid configuration: {e}\n{raw:#?}"),
        };
        let np = raw.points.len();
        let nn = raw.nodes.len();
        let anc = raw
            .points
            .iter()
            .map(|p| chain(&raw.nodes, p.node))
            .collect();
        let mut pin = vec![PointInputs::default(); np];
        let mut evs = Vec::with_capacity(np);
        for (i, p) in pin.iter_mut().enumerate() {
            let s = init[i % init.len()];
            p.vehicle = s.vehicle;
            p.authorised = s.authorised;
            p.vip = s.vip;
            p.ev_limit_ma = if s.reported { s.ev_max } else { None };
            evs.push(Ev {
                model: s.model,
                ev_phase: s.ev_phase,
                max: s.ev_max,
                reported: s.reported,
                meas: s.meas,
                undershoot: 0,
                jitter: 0,
                drawing: 0,
                pending: None,
            });
        }
        Sim {
            cfg,
            checks: Checks::default(),
            anc,
            station: StationState::new(),
            points: vec![PointState::new(); np],
            nodes: vec![NodeState::new(); nn],
            work: vec![PointWork::new(); np],
            nwork: vec![NodeWork::new(); nn],
            swork: loadpilot_core::StationWork::new(),
            so: StationOutput::default(),
            out: vec![PointOutput::default(); np],
            si: StationInputs {
                in1_closed: contacts.0,
                in2_closed: contacts.1,
            },
            pin,
            nin: vec![NodeInputs::default(); nn],
            evs,
            node_refresh: vec![false; nn],
            point_refresh: vec![false; np],
            now: start_ms,
            max_now: start_ms,
            started: false,
            first_ms: start_ms,
            pwm_off_at: vec![None; np],
            ready_since: vec![None; np],
            last_clock_fault: None,
            fault_latched: vec![false; np],
            steps: 0,
            stats: Stats::default(),
        }
    }

    fn raw(&self) -> &Raw {
        self.cfg.raw()
    }

    fn apply(&mut self, a: Action) {
        let np = self.pin.len();
        let nn = self.nin.len();
        match a {
            Action::Vehicle(i, v) => self.pin[i % np].vehicle = v,
            Action::Authorise(i, b) => self.pin[i % np].authorised = b,
            Action::Vip(i, b) => self.pin[i % np].vip = b,
            Action::Model(i, m) => self.evs[i % np].model = m,
            Action::EvPhase(i, k) => self.evs[i % np].ev_phase = k,
            Action::EvLimit(i, m, r) => {
                let ev = &mut self.evs[i % np];
                ev.max = m;
                ev.reported = r;
                self.pin[i % np].ev_limit_ma = if r { m } else { None };
            }
            Action::Cable(i, c) => self.pin[i % np].cable_ma = c,
            Action::Meas(i, b) => self.evs[i % np].meas = b,
            Action::Undershoot(i, u) => self.evs[i % np].undershoot = u,
            Action::Jitter(i, j) => self.evs[i % np].jitter = j,
            Action::NodeSp(n, s) => {
                let n = n % nn;
                let scale = self.raw().nodes[n]
                    .limit_ma
                    .iter()
                    .copied()
                    .max()
                    .unwrap_or(0)
                    .min(400_000);
                let (sp, refresh) = self.setpoint(s, scale, self.nin[n].setpoint);
                self.nin[n].setpoint = sp;
                self.node_refresh[n] = refresh;
            }
            Action::PointSp(i, s) => {
                let i = i % np;
                let scale = self.raw().points[i].rated_ma;
                let (sp, refresh) = self.setpoint(s, scale, self.pin[i].setpoint);
                self.pin[i].setpoint = sp;
                self.point_refresh[i] = refresh;
            }
            Action::In1(b) => self.si.in1_closed = b,
            Action::In2(b) => self.si.in2_closed = b,
            Action::Command(i, c) => self.pin[i % np].commands = Commands(c),
        }
    }

    fn setpoint(&self, s: Sp, scale: u32, old: Option<SetPoint>) -> (Option<SetPoint>, bool) {
        match s {
            Sp::Fresh(p) => (
                Some(SetPoint {
                    current_ma: (u64::from(scale) * u64::from(p) / 1000) as u32,
                    received_ms: self.now,
                }),
                true,
            ),
            Sp::Hold => (old, false),
            Sp::Absent => (None, false),
            Sp::Future(ms) => (
                Some(SetPoint {
                    current_ma: old.map_or(scale, |o| o.current_ma),
                    received_ms: self.now + u64::from(ms),
                }),
                false,
            ),
        }
    }

    /// What each EV drew since the last step: only while its contactor is closed and it is in C
    /// or D, following the signal as its model says.
    fn measure(&mut self) {
        let now = self.now;
        for i in 0..self.pin.len() {
            let pc = self.cfg.raw().points[i];
            let o = self.out[i];
            let ev = &mut self.evs[i];
            let v = self.pin[i].vehicle;
            let can = o.contactor && matches!(v, VehicleState::C | VehicleState::D);
            if !can {
                ev.drawing = 0;
                ev.pending = None;
            } else {
                let desired = o
                    .signal_ma
                    .min(ev.max.unwrap_or(u32::MAX))
                    .saturating_sub(ev.undershoot);
                match ev.model {
                    Model::Follow => {
                        ev.drawing = desired;
                        ev.pending = None;
                    }
                    Model::Late(d) => {
                        if desired == ev.drawing {
                            ev.pending = None;
                        } else if ev.pending.map(|p| p.0) != Some(desired) {
                            ev.pending = Some((desired, now + u64::from(d)));
                        }
                        if let Some((val, at)) = ev.pending
                            && now >= at
                        {
                            ev.drawing = val;
                            ev.pending = None;
                        }
                    }
                    Model::Never => ev.drawing = ev.drawing.max(desired),
                }
            }
            let d = ev.drawing;
            let k = if pc.phases == PhaseCount::One {
                Some(0)
            } else {
                ev.ev_phase
            };
            let mut m = match k {
                Some(k) => {
                    let mut m = [0; 3];
                    m[usize::from(k)] = d;
                    m
                }
                None => [d; 3],
            };
            // An ammeter's noise on the phases that draw: a fixed function of the time, the
            // point and the phase, within ± the EV's jitter.
            if ev.jitter > 0 {
                for (ph, x) in m.iter_mut().enumerate().filter(|(_, x)| **x > 0) {
                    let h = common::mix(now ^ (i as u64) << 40 ^ (ph as u64) << 56);
                    let span = u64::from(ev.jitter) * 2 + 1;
                    let delta = i64::try_from(h % span).unwrap_or(0) - i64::from(ev.jitter);
                    *x = x.saturating_add_signed(i32::try_from(delta).unwrap_or(0));
                }
            }
            self.pin[i].measured_ma = ev.meas.then_some(m);
        }
    }

    fn advance(&mut self, dt: Dt) {
        self.now = match dt {
            Dt::Tick(d) | Dt::Jump(d) => self.now + u64::from(d),
            Dt::Huge => self.now + (1 << 31) + 777,
            Dt::Back(d) => self.now.saturating_sub(u64::from(d)),
            Dt::Again => self.now,
        };
    }

    fn event(&mut self, e: &Event) -> Result<(), String> {
        if self.started {
            self.advance(e.dt);
        }
        for a in &e.actions {
            self.apply(*a);
        }
        self.run_step()
    }

    /// C (or D outdoors) with PWM on in this step's outputs, no latched fault.
    fn ready(&self, i: usize) -> bool {
        let v = self.pin[i].vehicle;
        let charge_state = v == VehicleState::C
            || (v == VehicleState::D && self.raw().location == Location::Outdoor);
        charge_state && self.out[i].signal_ma > 0 && !self.fault_latched[i]
    }

    fn in1_active(&self) -> bool {
        self.raw().inputs.in1_polarity.active(self.si.in1_closed)
    }

    fn in2_active(&self) -> bool {
        self.raw().inputs.in2_polarity.active(self.si.in2_closed)
    }

    /// Effective limit of node `n` at `now` (TREE-1, EX-1, LB-8), from the brief.
    fn node_limit(&self, n: usize) -> [u32; 3] {
        let raw = self.raw();
        let nc = &raw.nodes[n];
        let mut l = nc.limit_ma;
        if raw.external_control && nc.external {
            match fresh(
                self.nin[n].setpoint,
                self.now,
                raw.timers.setpoint_validity_ms,
            ) {
                Some(v) => l = l.map(|x| x.min(v)),
                None => {
                    let fs = nc.fail_safe_ma.unwrap_or_else(|| self.default_fail_safe(n));
                    for ph in 0..3 {
                        l[ph] = l[ph].min(fs[ph]);
                    }
                }
            }
        }
        l
    }

    /// LB-8 default: per phase the largest start threshold among the points beneath.
    fn default_fail_safe(&self, n: usize) -> [u32; 3] {
        let raw = self.raw();
        let t = &raw.thresholds;
        let mut out = [0u32; 3];
        for (p, anc) in raw.points.iter().zip(&self.anc) {
            if !anc.contains(&n) {
                continue;
            }
            let thr = start_threshold(t, min_of(t, p.phases), static_ceiling(t, p));
            for (ph, o) in out.iter_mut().enumerate() {
                if config_mask(p) & (1 << ph) != 0 {
                    *o = (*o).max(thr);
                }
            }
        }
        out
    }

    /// The LB-2 ceiling of point `i` at `now` (before LB-3 and LB-10).
    fn ceiling(&self, i: usize) -> u32 {
        let raw = self.raw();
        let pc = &raw.points[i];
        let pi = &self.pin[i];
        let t = &raw.thresholds;
        let mut c = pc.rated_ma.min(pc.derated_ma);
        if let Some(x) = pi.cable_ma {
            c = c.min(x);
        }
        if let Some(x) = pi.ev_limit_ma {
            c = c.min(x);
        }
        if raw.inputs.in1 == Input1Function::LoadShedding && self.in1_active() {
            c = c.min(raw.inputs.load_shedding_ma);
        }
        if raw.inputs.in2 == Input2Function::TemporaryLimitation && self.in2_active() {
            c = c.min(raw.inputs.temporary_limit_ma);
        }
        if raw.external_control && pc.external {
            match fresh(pi.setpoint, self.now, raw.timers.setpoint_validity_ms) {
                Some(v) => c = c.min(v),
                None => {
                    let fs = pc.fail_safe_ma.unwrap_or_else(|| {
                        start_threshold(t, min_of(t, pc.phases), static_ceiling(t, pc))
                    });
                    c = c.min(fs);
                }
            }
        }
        c
    }

    fn min_for_mask(&self, mask: u8) -> u32 {
        let t = &self.raw().thresholds;
        if mask.count_ones() == 1 {
            t.min_1ph_ma
        } else {
            t.min_3ph_ma
        }
    }

    /// Measured current per supply phase (wiring), zeros without a measurement.
    fn supply_measured(&self, i: usize) -> Option<[u32; 3]> {
        let pc = &self.raw().points[i];
        self.pin[i].measured_ma.map(|m| {
            let mut s = [0u32; 3];
            for k in 0..3 {
                s[pc.wiring[k].index()] = m[k];
            }
            s
        })
    }

    fn run_step(&mut self) -> Result<(), String> {
        let now = self.now;
        let clock_fault = self.started && now < self.max_now;
        let dt = if self.started {
            now.saturating_sub(self.max_now)
        } else {
            0
        };
        self.measure();
        for (n, r) in self.node_refresh.iter().enumerate() {
            if *r && let Some(sp) = &mut self.nin[n].setpoint {
                sp.received_ms = now;
            }
        }
        for (i, r) in self.point_refresh.iter().enumerate() {
            if *r && let Some(sp) = &mut self.pin[i].setpoint {
                sp.received_ms = now;
            }
        }
        let prev = self.out.clone();

        // Determinism: the same step on a copy of the state gives the same outputs and state.
        let mut station2 = self.station;
        let mut points2 = self.points.clone();
        let mut nodes2 = self.nodes.clone();
        // The copy steps with fresh working memory, the original with last step's: the same
        // outputs and state prove that the step rewrites its work before it reads it.
        let mut work2 = vec![PointWork::new(); self.points.len()];
        let mut nwork2 = vec![NodeWork::new(); self.nodes.len()];
        let mut swork2 = loadpilot_core::StationWork::new();
        let mut so2 = self.so;
        let mut out2 = self.out.clone();
        {
            let view = self.cfg.view();
            let inputs = Inputs {
                station: self.si,
                points: &self.pin,
                nodes: &self.nin,
            };
            step(
                &view,
                State {
                    station: &mut self.station,
                    points: &mut self.points,
                    nodes: &mut self.nodes,
                    site: SiteState::none(),
                    work: Work {
                        points: &mut self.work,
                        nodes: &mut self.nwork,
                        station: &mut self.swork,
                    },
                },
                &inputs,
                now,
                Outputs {
                    station: &mut self.so,
                    points: &mut self.out,
                },
            )
            .map_err(|e| format!("step refused: {e}"))?;
            step(
                &view,
                State {
                    station: &mut station2,
                    points: &mut points2,
                    nodes: &mut nodes2,
                    site: SiteState::none(),
                    work: Work {
                        points: &mut work2,
                        nodes: &mut nwork2,
                        station: &mut swork2,
                    },
                },
                &inputs,
                now,
                Outputs {
                    station: &mut so2,
                    points: &mut out2,
                },
            )
            .map_err(|e| format!("step refused: {e}"))?;
        }
        self.steps += 1;
        self.stats.steps += 1;
        for (i, o) in self.out.iter().enumerate() {
            if self.pin[i].vehicle.connected() {
                self.stats.reasons[usize::from(o.reason as u8) % 32] += 1;
            }
            if o.allocation_ma > 0 {
                self.stats.charging += 1;
                if self.raw().points[i].phases == PhaseCount::Three && mask_of(o).count_ones() == 1
                {
                    self.stats.detected_single += 1;
                }
            }
            if o.contactor && o.signal_ma == 0 {
                self.stats.grace += 1;
            }
        }
        for w in &self.work {
            let (prep, fin) = w.from_memo();
            self.stats.memo_prep += u64::from(prep);
            self.stats.memo_fin += u64::from(fin);
        }
        self.stats.memo_station += u64::from(self.swork.repeated());
        ensure!(
            out2 == self.out && so2 == self.so,
            "determinism: outputs differ on a re-run of the same step at {now}"
        );
        ensure!(
            station2 == self.station && points2 == self.points && nodes2 == self.nodes,
            "determinism: state differs on a re-run of the same step at {now}: {:?}",
            points2
                .iter()
                .zip(self.points.iter())
                .enumerate()
                .filter(|(_, (a, b))| a != b)
                .map(|(i, (a, b))| format!("point {i}: fresh {a:?} kept {b:?}"))
                .collect::<Vec<_>>()
        );

        if !clock_fault {
            for i in 0..self.pin.len() {
                if self.pin[i].vehicle == VehicleState::A {
                    self.fault_latched[i] = false;
                }
                if self.pin[i].vehicle.is_fault() {
                    self.fault_latched[i] = true;
                }
            }
        }
        let r = self.check(&prev, dt, clock_fault);
        if !self.started {
            self.first_ms = now;
        }
        if clock_fault {
            self.last_clock_fault = Some(now);
        }
        self.started = true;
        self.max_now = self.max_now.max(now);
        for (i, o) in self.out.iter().enumerate() {
            if o.signal_ma > 0 {
                self.pwm_off_at[i] = None;
            } else if prev[i].signal_ma > 0 {
                self.pwm_off_at[i] = Some(now);
            }
            self.ready_since[i] = if self.ready(i) {
                self.ready_since[i].or(Some(now))
            } else {
                None
            };
        }
        r.map_err(|e| format!("step {} at {now} ms (dt {dt}): {e}", self.steps))
    }

    /// The every-step rules.
    fn check(&self, prev: &[PointOutput], dt: u64, clock_fault: bool) -> Result<(), String> {
        let raw = self.raw();
        let tm = &raw.timers;
        let np = raw.points.len();
        let nn = raw.nodes.len();
        let now = self.now;

        if clock_fault {
            // SU-3: everything stops.
            for (i, o) in self.out.iter().enumerate() {
                ensure!(
                    o.allocation_ma == 0 && !o.contactor && o.signal_ma == 0,
                    "SU-3: point {i} not stopped on a clock fault: {o:?}"
                );
            }
            return Ok(());
        }

        // TREE-1 / EX-1 / LB-8: the effective limits.
        let limits: Vec<[u32; 3]> = (0..nn).map(|n| self.node_limit(n)).collect();
        for (n, l) in limits.iter().enumerate() {
            ensure!(
                self.nodes[n].limit_ma() == *l,
                "EX-1/LB-8: node {n} effective limit {:?}, expected {l:?}",
                self.nodes[n].limit_ma()
            );
        }

        let protection = raw.inputs.in1 == Input1Function::ProtectionDevices && self.in1_active();
        let postponed = (raw.inputs.in1 == Input1Function::DelayedStart && self.in1_active())
            || (raw.inputs.in2 == Input2Function::ConditionalStart && !self.in2_active());
        let budget_broken =
            dt + u64::from(tm.debounce_safer_ms) + u64::from(tm.contactor_release_ms) > 100;

        for i in 0..np {
            let o = &self.out[i];
            let pc = &raw.points[i];
            let pi = &self.pin[i];
            let a = o.allocation_ma;
            let mask = mask_of(o);

            // Output shape (LB-12): the charge loads one phase or three.
            if a == 0 {
                ensure!(
                    o.alloc_ma == [0; 3],
                    "point {i}: alloc_ma {:?} with allocation 0",
                    o.alloc_ma
                );
            } else {
                for ph in 0..3 {
                    let want = if mask & (1 << ph) != 0 { a } else { 0 };
                    ensure!(
                        o.alloc_ma[ph] == want,
                        "point {i}: alloc_ma {:?} vs allocation {a}",
                        o.alloc_ma
                    );
                }
                match pc.phases {
                    PhaseCount::One => ensure!(
                        mask == config_mask(pc),
                        "LB-12: single-phase point {i} loads mask {mask:03b}, wired to {:?}",
                        pc.wiring[0]
                    ),
                    PhaseCount::Three => ensure!(
                        mask == 0b111 || (pc.phase_detection && mask.count_ones() == 1),
                        "LB-12: three-phase point {i} loads mask {mask:03b}"
                    ),
                }
            }

            // LB-2: never above the ceiling; LB-10: an idle EV gets its minimum.
            let ceiling = self.ceiling(i);
            ensure!(
                a <= ceiling,
                "LB-2: point {i} allocation {a} above its ceiling {ceiling}"
            );
            // LB-3: 0 or at least the minimum of the charge.
            if a > 0 {
                let min = self.min_for_mask(mask);
                ensure!(
                    a >= min,
                    "LB-3: point {i} allocation {a} below its minimum {min} (mask {mask:03b})"
                );
                if o.flags.contains(PointFlags::EV_IDLE) {
                    ensure!(a == min, "LB-10: idle point {i} at {a}, minimum {min}");
                }
            }

            // PS-3: the signal is the allocation rounded down to a duty.
            ensure!(
                o.signal_ma <= a,
                "PS-3: point {i} signal {} above allocation {a}",
                o.signal_ma
            );
            let waking = o.flags.contains(PointFlags::WAKE_UP);
            if waking {
                // PS-7: core drives State F for the wake-up; nothing is signalled meanwhile.
                ensure!(
                    a > 0
                        && o.pilot == PilotOutput::StateF
                        && o.signal_ma == 0
                        && o.duty_permille == 0
                        && !o.contactor,
                    "PS-7: point {i} wakes up with {o:?}"
                );
            } else if a >= 6_000 {
                let d = o.duty_permille;
                ensure!(
                    o.pilot == PilotOutput::Pwm && (100..=960).contains(&d),
                    "PS-3: point {i} allocation {a} but pilot {:?} duty {d}",
                    o.pilot
                );
                ensure!(
                    decode_ma(d) == o.signal_ma,
                    "PS-3: point {i} duty {d} decodes to {} not {}",
                    decode_ma(d),
                    o.signal_ma
                );
                ensure!(
                    decode_ma(d) <= a,
                    "PS-3: point {i} duty {d} signals above {a}"
                );
                ensure!(
                    d == 960 || decode_ma(d + 1) > a,
                    "PS-3: point {i} duty {d} is not the largest for {a}"
                );
                ensure!(
                    Some(d) == duty_permille(a),
                    "PS-3: point {i} duty {d} vs pilot::duty_permille"
                );
            } else {
                ensure!(
                    o.signal_ma == 0 && o.duty_permille == 0 && o.pilot != PilotOutput::Pwm,
                    "PS-3: point {i} with allocation {a} signals {o:?}"
                );
            }

            // Who may have current at all (EX-2, IN-2, IN-4, IN-5, LOC-1, SU-2, LB-9).
            if a > 0 {
                let v = pi.vehicle;
                let vehicle_ok = matches!(v, VehicleState::B | VehicleState::C)
                    || (v == VehicleState::D && raw.location == Location::Outdoor);
                ensure!(
                    vehicle_ok,
                    "point {i} has {a} with vehicle {v:?} ({:?})",
                    raw.location
                );
                ensure!(pi.authorised, "point {i} has {a} while not authorised");
                ensure!(
                    pi.commands.is_empty(),
                    "EX-2: point {i} has {a} under commands {:?}",
                    pi.commands
                );
                ensure!(!postponed, "IN-4/IN-5: point {i} has {a} while postponed");
                ensure!(
                    !protection,
                    "IN-2: point {i} has {a} while protection devices tripped"
                );
                ensure!(
                    !self.fault_latched[i],
                    "SU-2: point {i} has {a} with a latched pilot fault"
                );
                ensure!(
                    !o.flags.contains(PointFlags::EV_OVERCURRENT),
                    "LB-9: point {i} has {a} while stopped for EV over-current"
                );
            }
            // IN-2: protection devices show State F; SU-2: a latched pilot fault offers nothing
            // (it may show +12 V, so that the vehicle's departure can be seen).
            if protection {
                ensure!(
                    o.pilot == PilotOutput::StateF && !o.contactor,
                    "IN-2: point {i} shows {:?}, contactor {}",
                    o.pilot,
                    o.contactor
                );
            }
            if self.fault_latched[i] {
                ensure!(
                    o.pilot != PilotOutput::Pwm && !o.contactor,
                    "SU-2: point {i} with a latched pilot fault shows {:?}, contactor {}",
                    o.pilot,
                    o.contactor
                );
            }

            // PS-4: the contactor.
            if o.contactor {
                let v = pi.vehicle;
                ensure!(
                    v == VehicleState::C
                        || (v == VehicleState::D && raw.location == Location::Outdoor),
                    "PS-4: point {i} contactor closed in {v:?} ({:?})",
                    raw.location
                );
                ensure!(
                    !o.flags.contains(PointFlags::FAULT),
                    "PS-4: point {i} contactor closed with a fault"
                );
                if o.signal_ma > 0 {
                    ensure!(
                        a >= self.min_for_mask(mask),
                        "PS-4: point {i} closed at {a}"
                    );
                } else {
                    let off = self.pwm_off_at[i].or(if prev[i].signal_ma > 0 {
                        Some(now)
                    } else {
                        None
                    });
                    ensure!(
                        prev[i].contactor
                            && off
                                .is_some_and(|t0| now.saturating_sub(t0) < u64::from(tm.grace_ms)),
                        "PS-4: point {i} contactor closed without PWM beyond the grace time (off since {off:?})"
                    );
                }
                if !prev[i].contactor {
                    // SU-1 / PS-4: it closes only after C with PWM on held for the debounce.
                    let since = if self.ready(i) {
                        self.ready_since[i].unwrap_or(now)
                    } else {
                        now
                    };
                    ensure!(
                        self.ready(i)
                            && now.saturating_sub(since) >= u64::from(tm.debounce_charge_ms),
                        "PS-4/SU-1: point {i} contactor closes after C with PWM on for {} ms, \
                         debounce {} ms (last clock fault at {:?}, PWM in the last step {})",
                        now.saturating_sub(since),
                        tm.debounce_charge_ms,
                        self.last_clock_fault,
                        prev[i].signal_ma
                    );
                }
                ensure!(
                    !(budget_broken && prev[i].contactor),
                    "SU-3: point {i} contactor still closed across a gap of {dt} ms"
                );
            }
        }

        // LB-1: on every node and supply phase, the allocations (and offers) beneath fit.
        let mut sum = vec![[0u64; 3]; nn];
        for i in 0..np {
            let o = &self.out[i];
            let mask = mask_of(o);
            for ph in 0..3 {
                let offer = if mask & (1 << ph) != 0 {
                    o.signal_ma
                } else {
                    0
                };
                let v = u64::from(o.alloc_ma[ph].max(offer));
                for &n in &self.anc[i] {
                    sum[n][ph] += v;
                }
            }
        }
        for n in 0..nn {
            let lim = self.nodes[n].limit_ma();
            for ph in 0..3 {
                ensure!(
                    sum[n][ph] <= u64::from(lim[ph]),
                    "LB-1: node {n} phase L{} carries {} mA above its limit {} mA",
                    ph + 1,
                    sum[n][ph],
                    lim[ph]
                );
            }
        }

        if self.checks.lb9 {
            self.check_lb9(prev, &limits)?;
        }
        Ok(())
    }

    /// LB-9, as the brief defines it. The count on a constraint (node, supply phase) is the
    /// sum over the points beneath of max(allocation, measured current) (the allocation alone
    /// without a measurement).
    /// (a) No point rises (or starts) in a step where, on some constraint above it on a phase it
    ///     loads, the count with the allocations after this step's reductions (the rising
    ///     points at their old allocation) and this step's measured currents already exceeds
    ///     the limit.
    /// (b) After a step in which a point rose, the count with the new allocations and this
    ///     step's measured currents fits every constraint above it on the phases it loads.
    fn check_lb9(&self, prev: &[PointOutput], limits: &[[u32; 3]]) -> Result<(), String> {
        let nn = limits.len();
        let mut before = vec![[0u64; 3]; nn];
        let mut after = vec![[0u64; 3]; nn];
        for i in 0..self.out.len() {
            let o = &self.out[i];
            let mask = mask_of(o);
            let reduced = prev[i].allocation_ma.min(o.allocation_ma);
            let meas = self.supply_measured(i);
            for ph in 0..3 {
                let on = mask & (1 << ph) != 0;
                let a0 = if on { reduced } else { 0 };
                let a1 = if on { o.allocation_ma } else { 0 };
                let (c0, c1) = match meas {
                    Some(m) => (a0.max(m[ph]), a1.max(m[ph])),
                    None => (a0, a1),
                };
                for &n in &self.anc[i] {
                    before[n][ph] += u64::from(c0);
                    after[n][ph] += u64::from(c1);
                }
            }
        }
        for i in 0..self.out.len() {
            let (a0, a1) = (prev[i].allocation_ma, self.out[i].allocation_ma);
            if a1 <= a0 {
                continue;
            }
            let mask = mask_of(&self.out[i]);
            for &n in &self.anc[i] {
                for ph in 0..3 {
                    if mask & (1 << ph) == 0 {
                        continue;
                    }
                    let lim = u64::from(limits[n][ph]);
                    ensure!(
                        before[n][ph] <= lim,
                        "LB-9: point {i} rose {a0} -> {a1} while the count on node {n} phase L{} \
                         was already {} above the limit {lim} (measured per supply phase {:?})",
                        ph + 1,
                        before[n][ph],
                        self.supply_measured(i)
                    );
                    ensure!(
                        after[n][ph] <= lim,
                        "LB-9: point {i} rose {a0} -> {a1} and the count on node {n} phase L{} is \
                         then {} above the limit {lim} (measured per supply phase {:?})",
                        ph + 1,
                        after[n][ph],
                        self.supply_measured(i)
                    );
                }
            }
        }
        Ok(())
    }

    /// LB-4: holds the inputs steady, with EVs that follow at once and draw exactly their
    /// signal (no jitter), until every timer has run out and the outputs stopped changing;
    /// returns an error if they never settle.
    fn settle(&mut self) -> Result<(), String> {
        for ev in &mut self.evs {
            ev.model = Model::Follow;
            ev.undershoot = 0;
            ev.jitter = 0;
            ev.pending = None;
        }
        let now = self.now;
        let validity = self.raw().timers.setpoint_validity_ms;
        for n in 0..self.nin.len() {
            let sp = self.nin[n].setpoint;
            if fresh(sp, now, validity).is_some() {
                self.node_refresh[n] = true;
            } else if sp.is_some_and(|s| s.received_ms > now) {
                self.nin[n].setpoint = None;
            }
        }
        for i in 0..self.pin.len() {
            let sp = self.pin[i].setpoint;
            if fresh(sp, now, validity).is_some() {
                self.point_refresh[i] = true;
            } else if sp.is_some_and(|s| s.received_ms > now) {
                self.pin[i].setpoint = None;
            }
        }
        let tm = self.raw().timers;
        let p = u64::from(tm.sample_period_ms);
        let longest = [
            tm.min_pause_ms,
            tm.min_run_ms,
            tm.rise_interval_ms,
            tm.idle_ms,
            tm.phase_detection_ms,
            tm.ev_response_ms,
            tm.grace_ms,
        ]
        .into_iter()
        .max()
        .unwrap_or(0);
        let window = u64::from(longest) + 10 * p;
        let stagger_end = self.first_ms + u64::from(tm.stagger_ms) * self.pin.len() as u64;
        let start = self.now;
        let cap = start + 30 * window;
        let snap = |s: &Sim| -> Vec<(u32, bool, PilotOutput, u32)> {
            s.out
                .iter()
                .map(|o| (o.allocation_ma, o.contactor, o.pilot, mask_of(o).into()))
                .collect()
        };
        let mut last = snap(self);
        let mut last_change = self.now;
        loop {
            self.advance(Dt::Tick(tm.sample_period_ms));
            self.run_step()?;
            let s = snap(self);
            if s != last {
                last = s;
                last_change = self.now;
            }
            if self.now - last_change >= window && self.now >= stagger_end {
                return Ok(());
            }
            ensure!(
                self.now < cap,
                "LB-4: outputs still change after {} ms of steady inputs",
                self.now - start
            );
        }
    }

    /// LB-4: the allocations equal the reference water-filling target over the points that
    /// have an allocation.
    fn check_target(&mut self) -> Result<(), String> {
        let raw = self.raw();
        let t = &raw.thresholds;
        let nn = raw.nodes.len();
        let limits: Vec<[u32; 3]> = (0..nn).map(|n| self.node_limit(n)).collect();
        let mut pts = Vec::new();
        let mut idx = Vec::new();
        for (i, o) in self.out.iter().enumerate() {
            if o.allocation_ma == 0 {
                continue;
            }
            let mask = mask_of(o);
            // LB-12: after the detection time, a three-phase point whose measured EV draws on
            // one phase only is a single-phase charge on that phase's supply phase; drawing on
            // all three phases, or without detection or measurement, it is three-phase.
            let pc = &raw.points[i];
            if pc.phases == PhaseCount::Three {
                let tol = t.phase_tolerance_ma;
                let drawing = self.pin[i].measured_ma.map(|m| {
                    (0..3)
                        .filter(|&k| m[k] > tol)
                        .fold(0u8, |acc, k| acc | (1 << k))
                });
                let expected = match drawing {
                    _ if !pc.phase_detection => Some(0b111),
                    None => Some(0b111),
                    Some(0b111) => Some(0b111),
                    Some(d) if d.count_ones() == 1 => {
                        Some(1u8 << pc.wiring[d.trailing_zeros() as usize].index())
                    }
                    // Not drawing (B, or no contactor): the mode stays as it was.
                    Some(_) => None,
                };
                if let Some(e) = expected {
                    ensure!(
                        mask == e,
                        "LB-12: point {i} loads {mask:03b}, expected {e:03b} (points phases \
                         drawing {drawing:?}, wiring {:?})",
                        pc.wiring
                    );
                }
            }
            let min = self.min_for_mask(mask);
            let mut ceil = self.ceiling(i);
            // LB-10: a running EV that draws below the idle threshold gets its minimum.
            let drawn = self.pin[i]
                .measured_ma
                .map(|m| m.into_iter().max().unwrap_or(0));
            if drawn.is_some_and(|d| d < t.idle_threshold_ma) {
                ceil = ceil.min(min);
            }
            ensure!(
                ceil >= min,
                "LB-3: point {i} selected with a ceiling {ceil} below its minimum {min}"
            );
            pts.push(RefPoint {
                nodes: self.anc[i].clone(),
                mask,
                min,
                ceil,
                vip: self.pin[i].vip,
            });
            idx.push(i);
        }
        let target = water_fill(&limits, &pts);
        if pts.len() >= 2 {
            self.stats.shared += 1;
        }
        if pts.iter().zip(&target).any(|(p, t)| *t < p.ceil) {
            self.stats.bound += 1;
        }
        let mut diff = Vec::new();
        for (k, &i) in idx.iter().enumerate() {
            if self.out[i].allocation_ma != target[k] {
                diff.push((
                    i,
                    self.out[i].allocation_ma,
                    target[k],
                    self.out[i].reason,
                    self.out[i].reason_node,
                    self.pin[i].vehicle,
                    self.pin[i].measured_ma,
                ));
            }
        }
        ensure!(
            diff.is_empty(),
            "LB-4: (point, allocation, target, reason, node, vehicle, measured) differ: {diff:?}\nlimits {limits:?}\nselected {:?}",
            idx.iter()
                .zip(&pts)
                .map(|(i, p)| (*i, p.mask, p.min, p.ceil, p.vip))
                .collect::<Vec<_>>()
        );
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// The LB-4 reference target, written from the definition in the brief:
// the selected points start at their minimum; VIP points are filled first (non-VIP held at their
// minimum), then the others (VIP held); in each fill, the lowest unfrozen points are raised 1 mA
// per round in index order, each only while its ceiling and every (node, phase) constraint it
// loads have ≥ 1 mA room, otherwise it freezes. Whole rounds are taken in one go where every
// point of the lowest level can take them.
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Debug)]
struct RefPoint {
    nodes: Vec<usize>,
    mask: u8,
    min: u32,
    ceil: u32,
    vip: bool,
}

fn water_fill(limits: &[[u32; 3]], pts: &[RefPoint]) -> Vec<u32> {
    let mut room: Vec<[i64; 3]> = limits.iter().map(|l| l.map(i64::from)).collect();
    let loads = |p: &RefPoint| {
        let mut v = Vec::new();
        for &n in &p.nodes {
            for ph in 0..3 {
                if p.mask & (1 << ph) != 0 {
                    v.push((n, ph));
                }
            }
        }
        v
    };
    let mut level: Vec<i64> = pts.iter().map(|p| i64::from(p.min)).collect();
    for p in pts {
        for (n, ph) in loads(p) {
            room[n][ph] -= i64::from(p.min);
        }
    }
    for vip_pass in [true, false] {
        let mut frozen: Vec<bool> = pts
            .iter()
            .zip(&level)
            .map(|(p, l)| p.vip != vip_pass || *l >= i64::from(p.ceil))
            .collect();
        while let Some(lo) = (0..pts.len())
            .filter(|&i| !frozen[i])
            .map(|i| level[i])
            .min()
        {
            let lowest: Vec<usize> = (0..pts.len())
                .filter(|&i| !frozen[i] && level[i] == lo)
                .collect();
            // How many whole rounds every lowest point can take.
            let mut k = (0..pts.len())
                .filter(|&i| !frozen[i] && level[i] > lo)
                .map(|i| level[i] - lo)
                .min()
                .unwrap_or(i64::MAX);
            let mut per: Vec<[i64; 3]> = vec![[0; 3]; limits.len()];
            for &i in &lowest {
                k = k.min(i64::from(pts[i].ceil) - lo);
                for (n, ph) in loads(&pts[i]) {
                    per[n][ph] += 1;
                }
            }
            for n in 0..limits.len() {
                for ph in 0..3 {
                    if per[n][ph] > 0 {
                        k = k.min(room[n][ph].div_euclid(per[n][ph]));
                    }
                }
            }
            if k >= 1 {
                for &i in &lowest {
                    level[i] += k;
                    for (n, ph) in loads(&pts[i]) {
                        room[n][ph] -= k;
                    }
                    if level[i] >= i64::from(pts[i].ceil) {
                        frozen[i] = true;
                    }
                }
                continue;
            }
            // One round, 1 mA each, in index order.
            for &i in &lowest {
                let l = loads(&pts[i]);
                if level[i] < i64::from(pts[i].ceil) && l.iter().all(|&(n, ph)| room[n][ph] >= 1) {
                    level[i] += 1;
                    for (n, ph) in l {
                        room[n][ph] -= 1;
                    }
                    if level[i] >= i64::from(pts[i].ceil) {
                        frozen[i] = true;
                    }
                } else {
                    frozen[i] = true;
                }
            }
        }
    }
    level.into_iter().map(|l| l as u32).collect()
}

// ---------------------------------------------------------------------------------------------
// Runners.
// ---------------------------------------------------------------------------------------------

fn runner(cases: u32, file: &'static str) -> TestRunner {
    TestRunner::new(ProptestConfig {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(file))),
        max_shrink_iters: 2_000,
        ..ProptestConfig::default()
    })
}

fn run_property(
    name: &str,
    cases: u32,
    file: &'static str,
    strategy: impl Strategy<Value = Scenario>,
    case: impl Fn(&Scenario) -> Result<Stats, String>,
) {
    let cases = common::proptest_cases(cases);
    let total = std::sync::Mutex::new(Stats::default());
    let ran = AtomicU64::new(0);
    let started = std::time::Instant::now();
    let result = runner(cases, file).run(&strategy, |s| {
        let st = case(&s).map_err(TestCaseError::fail)?;
        total.lock().unwrap().add(&st);
        ran.fetch_add(1, Ordering::Relaxed);
        Ok(())
    });
    let st = total.into_inner().unwrap();
    let r = |x: loadpilot_core::AllocReason| st.reasons[usize::from(x as u8)];
    use loadpilot_core::AllocReason as R;
    println!(
        "{name}: {} passing cases, {} steps, {:.1} s; point-steps charging {}, single-phase \
         detected {}, in grace {}; reasons: node limit {}, shed {}, transfer {}, rate limit {}, \
         idle {}, over-current {}, fallback {}, set point {}, min pause {}, input {}, command {}, \
         fault {}; LB-4 cases shared {} bound {}; from the memo: preparations {}, outputs {}, \
         steps repeated {}",
        ran.load(Ordering::Relaxed),
        st.steps,
        started.elapsed().as_secs_f64(),
        st.charging,
        st.detected_single,
        st.grace,
        r(R::NodeLimit),
        r(R::Shed),
        r(R::Transfer),
        r(R::RateLimit),
        r(R::EvIdle),
        r(R::EvOverCurrent),
        r(R::Fallback),
        r(R::SetPoint),
        r(R::MinimumPause),
        r(R::Input),
        r(R::Command),
        r(R::Fault),
        st.shared,
        st.bound,
        st.memo_prep,
        st.memo_fin,
        st.memo_station,
    );
    if let Err(e) = result {
        panic!("{name}: {e}");
    }
}

/// Runs the random part of a scenario; returns the steps run.
fn run_events(sim: &mut Sim, s: &Scenario) -> Result<(), String> {
    for e in &s.events {
        sim.event(e)?;
    }
    Ok(())
}

fn new_sim(s: &Scenario, checks: Checks) -> Sim {
    let mut sim = Sim::new(build(&s.config), &s.init, s.contacts, s.start_ms);
    sim.checks = checks;
    sim
}

/// Proves LB-1, LB-2, LB-3, PS-3 and PS-4 in every step of random sequences over random valid
/// configurations, with SU-2/SU-3, IN-2/IN-4/IN-5, EX-1/EX-2/LB-8 (effective limits, who may
/// have current), LB-10 (idle at the minimum), LB-12 (phases loaded) and the determinism of the
/// step (SPEC §1): a copy of the state stepped with the same inputs gives the same outputs and
/// state.
#[test]
fn lb1_lb2_lb3_ps3_ps4_hold_in_every_step() {
    run_property(
        "lb1_lb2_lb3_ps3_ps4_hold_in_every_step",
        384,
        "proptest-regressions/properties-every-step.txt",
        scenario(200..=400),
        |s| {
            let mut sim = new_sim(s, Checks::default());
            run_events(&mut sim, s)?;
            Ok(sim.stats)
        },
    );
}

/// Proves LB-9 in every step: a point rises (or starts) only by what is free under the count
/// sum of max(allocation, measured current) on every node and phase above it, with EVs that
/// follow late or never and measurements that come and go.
#[test]
fn lb9_rises_only_by_what_is_free_under_the_count() {
    run_property(
        "lb9_rises_only_by_what_is_free_under_the_count",
        192,
        "proptest-regressions/properties-lb9.txt",
        scenario(200..=400),
        |s| {
            let mut sim = new_sim(s, Checks { lb9: true });
            run_events(&mut sim, s)?;
            Ok(sim.stats)
        },
    );
}

/// Proves LB-4: after a random sequence, with inputs held steady and EVs that follow at once
/// and draw exactly their signal, once every timer has run out the allocations equal the
/// water-filling target computed independently here (VIP first, max–min fair, leftover mA to
/// the lowest index), over the points that have an allocation. The every-step rules are checked
/// on the way.
#[test]
fn lb4_steady_state_equals_water_filling_target() {
    run_property(
        "lb4_steady_state_equals_water_filling_target",
        192,
        "proptest-regressions/properties-lb4.txt",
        scenario(200..=300),
        |s| {
            let mut sim = new_sim(s, Checks::default());
            run_events(&mut sim, s)?;
            sim.settle()?;
            sim.check_target()?;
            Ok(sim.stats)
        },
    );
}

/// Scenarios that stand still between their events: no external control, EVs that follow at
/// once and no faulted pilots, and after each event a run of steps one sample period apart with
/// the same inputs (0 to 40 of them), so that whole stations settle and the step's memo of the
/// station's passes (`StationWork`) is used, then ended by the next event.
fn quiet_scenario() -> impl Strategy<Value = Scenario> {
    (scenario(40..=80), prop::collection::vec(0usize..=40, 80)).prop_map(|(mut s, runs)| {
        s.config.general.external_control = false;
        for p in &mut s.init {
            p.model = Model::Follow;
            if !matches!(
                p.vehicle,
                VehicleState::A | VehicleState::B | VehicleState::C
            ) {
                p.vehicle = VehicleState::C;
            }
        }
        let period = s.config.general.timers.sample_period_ms;
        let mut events = Vec::new();
        for (e, run) in s.events.iter().zip(runs.iter().cycle()) {
            events.push(e.clone());
            for _ in 0..*run {
                events.push(Event {
                    dt: Dt::Tick(period),
                    actions: Vec::new(),
                });
            }
        }
        s.events = events;
        s
    })
}

/// Proves that the station's memo changes nothing: in scenarios whose stations stand still for
/// runs of steps (`quiet_scenario`), every step with the working memory of the last step equals
/// the same step on fresh working memory (outputs, deadline, errors and state; `Sim::run_step`),
/// and the every-step rules (LB-1, LB-2, LB-3, PS-3, PS-4) hold; the steps that repeated the
/// last step's passes are counted (TREE-1, LB-4, LB-6, LB-9, LB-13 decide them).
#[test]
fn tree1_lb4_repeated_steps_equal_fresh_steps() {
    let repeated = AtomicU64::new(0);
    run_property(
        "tree1_lb4_repeated_steps_equal_fresh_steps",
        192,
        "proptest-regressions/properties-quiet.txt",
        quiet_scenario(),
        |s| {
            let mut sim = new_sim(s, Checks { lb9: true });
            run_events(&mut sim, s)?;
            repeated.fetch_add(sim.stats.memo_station, Ordering::Relaxed);
            Ok(sim.stats)
        },
    );
    // Without repeated steps this would prove nothing of them.
    assert!(
        repeated.load(Ordering::Relaxed) > 1_000,
        "only {} steps repeated",
        repeated.load(Ordering::Relaxed)
    );
}

// ---------------------------------------------------------------------------------------------
// The reference itself, on hand-computed cases (so that a wrong reference cannot hide a bug).
// ---------------------------------------------------------------------------------------------

fn rp(nodes: &[usize], mask: u8, min: u32, ceil: u32, vip: bool) -> RefPoint {
    RefPoint {
        nodes: nodes.to_vec(),
        mask,
        min,
        ceil,
        vip,
    }
}

/// Proves the LB-4 reference: equal shares, leftover mA to the lowest index, unused headroom to
/// the others, per phase.
#[test]
fn lb4_reference_shares_fairly_and_gives_leftover_to_lowest_index() {
    // 25 A on one phase for three single-phase points: 8 334 / 8 333 / 8 333.
    let pts = [
        rp(&[0], 0b001, 6_000, 32_000, false),
        rp(&[0], 0b001, 6_000, 32_000, false),
        rp(&[0], 0b001, 6_000, 32_000, false),
    ];
    assert_eq!(water_fill(&[[25_000; 3]], &pts), [8_334, 8_333, 8_333]);
    // A low ceiling leaves its headroom to the others.
    let pts = [
        rp(&[0], 0b111, 6_000, 7_000, false),
        rp(&[0], 0b111, 6_000, 32_000, false),
    ];
    assert_eq!(water_fill(&[[30_000; 3]], &pts), [7_000, 23_000]);
    // Per phase: the L2 point does not compete with the L1 points.
    let pts = [
        rp(&[0], 0b001, 6_000, 32_000, false),
        rp(&[0], 0b010, 6_000, 32_000, false),
        rp(&[0], 0b001, 6_000, 32_000, false),
    ];
    assert_eq!(
        water_fill(&[[20_001, 40_000, 0]], &pts),
        [10_001, 32_000, 10_000]
    );
    // Tree: a station of 20 A under a supply of 30 A shared with a third point.
    let pts = [
        rp(&[1, 0], 0b111, 6_000, 32_000, false),
        rp(&[1, 0], 0b111, 6_000, 32_000, false),
        rp(&[0], 0b111, 6_000, 32_000, false),
    ];
    assert_eq!(
        water_fill(&[[30_000; 3], [20_000; 3]], &pts),
        [10_000, 10_000, 10_000]
    );
    let pts = [
        rp(&[1, 0], 0b111, 6_000, 32_000, false),
        rp(&[1, 0], 0b111, 6_000, 32_000, false),
        rp(&[0], 0b111, 6_000, 32_000, false),
    ];
    assert_eq!(
        water_fill(&[[50_000; 3], [20_000; 3]], &pts),
        [10_000, 10_000, 30_000]
    );
}

/// Proves the LB-4 reference: VIP points are filled first, the others held at their minimum.
#[test]
fn lb4_reference_fills_vip_first() {
    let pts = [
        rp(&[0], 0b111, 6_000, 32_000, false),
        rp(&[0], 0b111, 6_000, 32_000, true),
        rp(&[0], 0b111, 6_000, 32_000, false),
    ];
    // 40 A: VIP takes 40 − 2 × 6 = 28 A; nothing left for the others.
    assert_eq!(water_fill(&[[40_000; 3]], &pts), [6_000, 28_000, 6_000]);
    // 60 A: VIP at its ceiling 32 A, the others share 28 A.
    assert_eq!(water_fill(&[[60_000; 3]], &pts), [14_000, 32_000, 14_000]);
}

// ---------------------------------------------------------------------------------------------
// Regressions: minimal cases of property failures, replayed deterministically.
// ---------------------------------------------------------------------------------------------

/// A scripted two-point run over the Controller API: every 10 ms, EVs that follow the signal
/// at once (drawing on point phase L1 only, or on all three), with `script(t, inputs, ev3)`
/// changing the inputs. Returns every step's outputs.
fn scripted_two_points(
    raw: RawConfig<[PointConfig; 2], [NodeConfig; 1]>,
    end_ms: u64,
    script: impl Fn(u64, &mut loadpilot_core::StepInputs<2, 1>, &mut [bool; 2]),
) -> Vec<(u64, [PointOutput; 2])> {
    let mut ctl = loadpilot_core::Controller::<2, 1>::new(raw).expect("valid configuration");
    let mut inp = loadpilot_core::StepInputs::<2, 1>::default();
    let mut ev3 = [false; 2];
    let mut last = [PointOutput::default(); 2];
    let mut trace = Vec::new();
    let mut t = 0;
    while t <= end_ms {
        script(t, &mut inp, &mut ev3);
        for i in 0..2 {
            let v = inp.points[i].vehicle;
            let d = if last[i].contactor && v == VehicleState::C {
                last[i].signal_ma
            } else {
                0
            };
            inp.points[i].measured_ma = Some(if ev3[i] { [d; 3] } else { [d, 0, 0] });
        }
        last = ctl.step(&inp, t).points;
        trace.push((t, last));
        t += 10;
    }
    trace
}

/// Regression of `lb4_steady_state_equals_water_filling_target` (LB-3 on the way), minimised
/// by hand to default thresholds (8 A single-phase, 14 A three-phase minimum).
///
/// Point 0 (three-phase, phase detection) charges a single-phase EV, so it counts as a
/// single-phase charge on L1 and shares the station's 22 A L1 with the single-phase point 1:
/// 11 A each. When point 0's EV starts drawing on a second phase, point 0 reverts to three-phase
/// (LB-12) in the same step, and its minimum becomes 14 A. Its allocation must then be 0 or at
/// least 14 A (LB-3: "a value below the minimum is never raised to it: it becomes 0"); 22 A per
/// phase holds 14 A + 8 A, so point 0 should go to 14 A at once, or stop.
#[test]
fn lb3_lb12_phase_revert_never_leaves_an_allocation_below_the_new_minimum() {
    let mut raw = RawConfig::with_defaults(
        ProductFamily::City,
        [
            PointConfig::three_phase(0, 32_000),
            PointConfig::single_phase(0, 32_000, Phase::L1),
        ],
        [NodeConfig::station(None, 22_000)],
    );
    raw.timers.stagger_ms = 0;
    raw.timers.phase_detection_ms = 1_000;
    raw.timers.min_pause_ms = 0;
    let min = raw.thresholds;
    let trace = scripted_two_points(raw, 12_000, |t, inp, ev3| {
        let p = &mut inp.points;
        p[0].authorised = true;
        p[1].authorised = true;
        p[0].vehicle = VehicleState::C;
        // Point 1 plugs in, leaves, and comes back.
        p[1].vehicle = match t {
            2_000..3_000 | 5_500.. => VehicleState::C,
            _ => VehicleState::A,
        };
        // Point 0's EV draws on L1 only, then on all three phases.
        ev3[0] = t >= 8_000;
    });
    // The story really happens: point 0 is single-phase at 11 A before the revert.
    let before = trace.iter().find(|(t, _)| *t == 7_990).unwrap().1;
    assert_eq!(before[0].alloc_ma, [11_000, 0, 0], "{:?}", before[0]);
    for (t, o) in &trace {
        for (i, o) in o.iter().enumerate() {
            let a = o.allocation_ma;
            let m = mask_of(o);
            let floor = if m.count_ones() == 1 {
                min.min_1ph_ma
            } else {
                min.min_3ph_ma
            };
            assert!(
                a == 0 || a >= floor,
                "LB-3 at {t} ms: point {i} allocation {a} mA on mask {m:03b}, minimum {floor}: {o:?}"
            );
        }
    }
}

/// Regression of `lb4_steady_state_equals_water_filling_target` (LB-10, LB-4).
///
/// An EV in C that draws nothing goes idle after the idle time and its allocation drops to the
/// minimum (LB-10). Then its current measurement disappears (meter lost, `measured_ma: None`).
/// Without a measurement nothing shows that the EV is idle any more ("a point with no current
/// measurement counts its allocation", LB-9), just as a single-phase detection reverts when the
/// measurement is gone (LB-12); a point that never had a measurement is never idle. So with the
/// inputs steady, the allocation must return to the LB-4 target (its 32 A share), not stay at
/// the minimum for the rest of the session.
#[test]
fn lb10_lb4_idle_does_not_outlive_the_measurement() {
    let mut raw = RawConfig::with_defaults(
        ProductFamily::City,
        [PointConfig::three_phase(0, 32_000)],
        [NodeConfig::station(None, 64_000)],
    );
    raw.timers.stagger_ms = 0;
    raw.timers.idle_ms = 2_000;
    raw.timers.rise_interval_ms = 1_000;
    let mut ctl = loadpilot_core::Controller::<1, 1>::new(raw).expect("valid configuration");
    let mut inp = loadpilot_core::StepInputs::<1, 1>::default();
    inp.points[0].vehicle = VehicleState::C;
    inp.points[0].authorised = true;
    let mut t = 0;
    let mut out = PointOutput::default();
    // The EV draws nothing: idle after 2 s.
    while t <= 5_000 {
        inp.points[0].measured_ma = Some([0; 3]);
        out = ctl.step(&inp, t).points[0];
        t += 10;
    }
    assert_eq!(out.allocation_ma, 14_000, "idle at the minimum: {out:?}");
    assert!(out.flags.contains(PointFlags::EV_IDLE));
    // The measurement is gone; everything else stays as it is for a minute.
    while t <= 65_000 {
        inp.points[0].measured_ma = None;
        out = ctl.step(&inp, t).points[0];
        t += 10;
    }
    assert_eq!(
        out.allocation_ma, 32_000,
        "still held idle without any measurement: {out:?}"
    );
}

/// Regression of all three properties (PS-4, SU-1, SU-3), every time right after a clock fault.
///
/// A clock fault (SU-3) stops every point immediately: contactor open, PWM off. When the clock is
/// back, the PWM starts again; the contactor may close only once C has been seen with PWM on
/// for the debounce time towards C (SU-1, PS-4: "PWM first, and the contactor closes only after
/// C has been seen with PWM on for the debounce time"), as after any other stop.
#[test]
fn ps4_su1_su3_contactor_waits_for_the_debounce_after_a_clock_fault() {
    let mut raw = RawConfig::with_defaults(
        ProductFamily::City,
        [PointConfig::three_phase(0, 32_000)],
        [NodeConfig::station(None, 64_000)],
    );
    raw.timers.stagger_ms = 0;
    raw.timers.min_pause_ms = 0;
    let debounce = u64::from(raw.timers.debounce_charge_ms);
    let mut ctl = loadpilot_core::Controller::<1, 1>::new(raw).expect("valid configuration");
    let mut inp = loadpilot_core::StepInputs::<1, 1>::default();
    inp.points[0].vehicle = VehicleState::C;
    inp.points[0].authorised = true;
    let mut t = 0;
    while t <= 1_000 {
        ctl.step(&inp, t);
        t += 10;
    }
    assert!(
        ctl.outputs().points[0].contactor,
        "charging before the fault"
    );
    // The clock goes back 50 ms: everything stops.
    let o = ctl.step(&inp, t - 60).points[0];
    assert!(!o.contactor && o.signal_ma == 0, "SU-3 stop: {o:?}");
    // The clock is back: PWM again, but the contactor waits for the debounce.
    let back = t;
    while t <= back + 2 * debounce {
        let o = ctl.step(&inp, t).points[0];
        assert!(
            !o.contactor || t >= back + debounce,
            "contactor closed {} ms after PWM restarted at {back} ms (debounce {debounce} ms): {o:?}",
            t - back
        );
        t += 10;
    }
    assert!(
        ctl.outputs().points[0].contactor,
        "closes after the debounce"
    );
}
