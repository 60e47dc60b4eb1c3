//! Random valid stations and random input sequences for the properties of the energy rules
//! (SPEC §3) over the step function (`properties.rs`, `properties_lb9.rs`, `properties_lb4.rs`,
//! `properties_memo.rs`; STYLE.md "Tests": invariants as properties, valid configurations by
//! construction), and the simulated site that drives them.
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
//! This module holds the generated values and their strategies; [`build`] makes a valid
//! configuration of a spec, [`sim`] is the simulated site, [`check`] the rules checked in every
//! step (LB-1, LB-2, LB-3, PS-3, PS-4, LB-9, …) and [`run`] the runners of the properties.
//! Everything the checks compare against (effective limits, ceilings, the LB-9 count) is computed
//! from the SPEC text and the brief, not taken from core.

pub mod build;
pub mod check;
pub mod run;
pub mod sim;

use std::fmt;

use loadpilot_core::{NodeConfig, PointConfig, RawConfig, Thresholds, Timers, VehicleState};
use proptest::prelude::*;

use build::build;

pub type Raw = RawConfig<Vec<PointConfig>, Vec<NodeConfig>>;

// ---------------------------------------------------------------------------------------------
// Generated values. Everything refers to points and nodes by `usize` taken modulo the count, so a
// shrunk configuration still makes a valid case.
// ---------------------------------------------------------------------------------------------

/// A node limit before scaling to the node's kind (station: 0–64 A; supply and circuit:
/// 0–400 A, or 10 000 A when loose).
#[derive(Clone, Copy, Debug)]
pub enum LimitSpec {
    Loose,
    Same(u32),
    PerPhase([u32; 3]),
}

#[derive(Clone, Copy, Debug)]
pub struct NodeSpec {
    pub parent: usize,
    pub limit: LimitSpec,
    pub external: bool,
    /// Fail-safe per phase as ‰ of the limit.
    pub fail_safe: Option<[u32; 3]>,
}

#[derive(Clone, Copy, Debug)]
pub struct PointSpec {
    pub station: usize,
    pub three: bool,
    pub wiring: usize,
    pub rated: u32,
    pub derated_permille: u32,
    pub external: bool,
    pub fail_safe_permille: Option<u32>,
    pub phase_detection: bool,
}

#[derive(Clone, Copy, Debug)]
pub struct GeneralSpec {
    pub family: u8,
    pub in1: u8,
    pub in2: u8,
    pub nc1: bool,
    pub nc2: bool,
    pub ls_permille: u32,
    pub tl_permille: u32,
    pub outdoor: bool,
    pub load_balancing: bool,
    pub energy_priority: bool,
    pub external_control: bool,
    pub voltage_mv: u32,
    pub timers: Timers,
    pub thresholds: Thresholds,
}

#[derive(Clone, Debug)]
pub struct ConfigSpec {
    pub general: GeneralSpec,
    pub root: NodeSpec,
    pub circuits: Vec<NodeSpec>,
    pub stations: Vec<NodeSpec>,
    pub points: Vec<PointSpec>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Model {
    /// Follows the signal at once.
    Follow,
    /// Follows every change of the signal this many ms late.
    Late(u32),
    /// Ignores reductions: keeps drawing the highest current it was given.
    Never,
}

#[derive(Clone, Copy, Debug)]
pub struct PointInit {
    pub vehicle: VehicleState,
    pub authorised: bool,
    pub vip: bool,
    pub model: Model,
    /// `Some(k)`: a single-phase EV drawing on point phase `k`.
    pub ev_phase: Option<u8>,
    pub meas: bool,
    pub ev_max: Option<u32>,
    pub reported: bool,
}

#[derive(Clone, Copy, Debug)]
pub enum Dt {
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
pub enum Sp {
    /// A fresh set point, ‰ of the node's (point's) configured maximum, refreshed every step.
    Fresh(u32),
    /// Stop refreshing: goes stale after the validity time.
    Hold,
    Absent,
    /// Stamped later than now.
    Future(u32),
}

#[derive(Clone, Copy, Debug)]
pub enum Action {
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
pub struct Event {
    pub dt: Dt,
    pub actions: Vec<Action>,
}

#[derive(Clone)]
pub struct Scenario {
    pub config: ConfigSpec,
    pub init: Vec<PointInit>,
    pub contacts: (bool, bool),
    pub start_ms: u64,
    pub events: Vec<Event>,
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

pub fn limit_spec() -> impl Strategy<Value = LimitSpec> {
    prop_oneof![
        2 => Just(LimitSpec::Loose),
        4 => (0u32..=1000).prop_map(LimitSpec::Same),
        1 => prop::array::uniform3(0u32..=1000).prop_map(LimitSpec::PerPhase),
    ]
}

pub fn node_spec() -> impl Strategy<Value = NodeSpec> {
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

pub fn point_spec() -> impl Strategy<Value = PointSpec> {
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
pub fn timers() -> impl Strategy<Value = Timers> {
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

pub fn thresholds() -> impl Strategy<Value = Thresholds> {
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

pub fn general_spec() -> impl Strategy<Value = GeneralSpec> {
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

pub fn config_spec() -> impl Strategy<Value = ConfigSpec> {
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

pub fn vehicle() -> impl Strategy<Value = VehicleState> {
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

pub fn model() -> impl Strategy<Value = Model> {
    prop_oneof![
        6 => Just(Model::Follow),
        2 => (1u32..=6_000).prop_map(Model::Late),
        1 => Just(Model::Never),
    ]
}

pub fn ev_phase() -> impl Strategy<Value = Option<u8>> {
    prop_oneof![4 => Just(None), 1 => (0u8..3).prop_map(Some)]
}

pub fn point_init() -> impl Strategy<Value = PointInit> {
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

pub fn sp() -> impl Strategy<Value = Sp> {
    prop_oneof![
        4 => (0u32..=1200).prop_map(Sp::Fresh),
        2 => Just(Sp::Hold),
        1 => Just(Sp::Absent),
        1 => (1u32..=5_000).prop_map(Sp::Future),
    ]
}

pub fn action() -> impl Strategy<Value = Action> {
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

pub fn dt() -> impl Strategy<Value = Dt> {
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

pub fn event() -> impl Strategy<Value = Event> {
    (
        dt(),
        prop_oneof![
            3 => Just(Vec::new()),
            1 => prop::collection::vec(action(), 1..=4),
        ],
    )
        .prop_map(|(dt, actions)| Event { dt, actions })
}

pub fn scenario(steps: std::ops::RangeInclusive<usize>) -> impl Strategy<Value = Scenario> {
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
