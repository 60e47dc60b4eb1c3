//! Why a configuration was refused: the field (with its point or node index) and the reason,
//! both `Copy`, with `Display` texts that name them.

use core::fmt;

use crate::types::Phase;

/// The field a [`ConfigError`] is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Field {
    /// `voltage_mv`.
    Voltage,
    /// `inputs.in1`.
    Input1Function,
    /// `inputs.in2`.
    Input2Function,
    /// `inputs.load_shedding_ma`.
    LoadSheddingSetPoint,
    /// `inputs.temporary_limit_ma`.
    TemporaryLimitSetPoint,
    /// A timer, by its field name in [`Timers`](crate::config::Timers).
    Timer(&'static str),
    /// A threshold, by its field name in [`Thresholds`](crate::config::Thresholds).
    Threshold(&'static str),
    /// The list of points as a whole.
    Points,
    /// The list of nodes as a whole.
    Nodes,
    /// `points[point].node`.
    PointNode {
        /// Point index (0-based).
        point: u16,
    },
    /// `points[point].wiring`.
    Wiring {
        /// Point index.
        point: u16,
    },
    /// `points[point].rated_ma`.
    RatedCurrent {
        /// Point index.
        point: u16,
    },
    /// `points[point].derated_ma`.
    DeratedCurrent {
        /// Point index.
        point: u16,
    },
    /// `points[point].fail_safe_ma`.
    PointFailSafe {
        /// Point index.
        point: u16,
    },
    /// `nodes[node].parent`.
    Parent {
        /// Node index.
        node: u16,
    },
    /// `nodes[node].limit_ma[phase]`.
    NodeLimit {
        /// Node index.
        node: u16,
        /// Supply phase.
        phase: Phase,
    },
    /// `rotation_interval_ms` (LB-13).
    RotationInterval,
    /// A field of `protection` (CT-1, TH-1), by name.
    Protection(&'static str),
    /// A field of `session` (SPEC §5), by name.
    Session(&'static str),
    /// `nodes[node].site_meter` (LB-14).
    SiteMeter {
        /// Node index.
        node: u16,
    },
    /// `nodes[node].site_slot_ms` (LB-14).
    SiteSlot {
        /// Node index.
        node: u16,
    },
    /// `nodes[node].site_fail_safe_ma[phase]` (LB-14).
    SiteFailSafe {
        /// Node index.
        node: u16,
        /// Supply phase.
        phase: Phase,
    },
    /// `nodes[node].fail_safe_ma[phase]`.
    NodeFailSafe {
        /// Node index.
        node: u16,
        /// Supply phase.
        phase: Phase,
    },
    /// `load_balancing` (LB-7).
    LoadBalancing {
        /// The node whose limit the ceilings do not fit under.
        node: u16,
        /// Supply phase.
        phase: Phase,
    },
}

/// Why a field was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Reason {
    /// The value is outside its range `min..=max`.
    OutOfRange {
        /// The value given.
        value: u64,
        /// Smallest accepted value.
        min: u64,
        /// Largest accepted value.
        max: u64,
    },
    /// Derated current above rated current.
    AboveRated {
        /// The value given (mA).
        value: u32,
        /// The rated current (mA).
        rated: u32,
    },
    /// A set point or fail-safe current above the limit it must fit under.
    AboveLimit {
        /// The value given (mA).
        value: u32,
        /// The limit (mA).
        limit: u32,
    },
    /// A node or point refers to a node that does not exist.
    NoSuchNode {
        /// The index given.
        index: u16,
    },
    /// The parent chain does not reach the root (a cycle), or is deeper than [`MAX_DEPTH`](crate::config::MAX_DEPTH).
    NotATree,
    /// More than one root, or none.
    RootCount {
        /// Number of nodes without a parent.
        roots: u16,
    },
    /// The wiring is not a permutation of the three supply phases.
    NotAPermutation,
    /// An input function that the product family does not have.
    NotOnThisFamily,
    /// The list is empty or longer than allowed.
    Count {
        /// Number of entries given.
        count: usize,
        /// Most entries accepted.
        max: usize,
    },
    /// The configuration breaks the PS-1 timing budget (ms needed, ms allowed).
    TimingBudget {
        /// What the timers add up to (ms).
        needed: u32,
        /// The bound (ms).
        allowed: u32,
    },
    /// With load balancing disabled, the points' ceilings add up above a limit (LB-7).
    CeilingsAboveLimit {
        /// Sum of the ceilings (mA).
        sum: u32,
        /// The limit (mA).
        limit: u32,
    },
    /// Hard over-current threshold not above the tolerance.
    NotAboveTolerance,
    /// Thermal temperatures not in the order start < end < pause, or a hysteresis ≤ 0 (TH-1).
    ThermalOrder,
    /// A site-metered node beneath another site-metered node (LB-14).
    NestedSiteMeter {
        /// The metered node above it.
        above: u16,
    },
}

/// A refused configuration: which field, and why. Nothing of the configuration is used.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("configuration refused: {field}: {reason}")]
pub struct ConfigError {
    /// The offending field.
    pub field: Field,
    /// Why it was refused.
    pub reason: Reason,
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Field::Voltage => write!(f, "voltage_mv"),
            Field::Input1Function => write!(f, "inputs.in1"),
            Field::Input2Function => write!(f, "inputs.in2"),
            Field::LoadSheddingSetPoint => write!(f, "inputs.load_shedding_ma"),
            Field::TemporaryLimitSetPoint => write!(f, "inputs.temporary_limit_ma"),
            Field::Timer(name) => write!(f, "timers.{name}"),
            Field::Threshold(name) => write!(f, "thresholds.{name}"),
            Field::Points => write!(f, "points"),
            Field::Nodes => write!(f, "nodes"),
            Field::PointNode { point } => write!(f, "points[{point}].node"),
            Field::Wiring { point } => write!(f, "points[{point}].wiring"),
            Field::RatedCurrent { point } => write!(f, "points[{point}].rated_ma"),
            Field::DeratedCurrent { point } => write!(f, "points[{point}].derated_ma"),
            Field::PointFailSafe { point } => write!(f, "points[{point}].fail_safe_ma"),
            Field::Parent { node } => write!(f, "nodes[{node}].parent"),
            Field::NodeLimit { node, phase } => write!(f, "nodes[{node}].limit_ma[{phase:?}]"),
            Field::RotationInterval => write!(f, "rotation_interval_ms"),
            Field::Protection(name) => write!(f, "protection.{name}"),
            Field::Session(name) => write!(f, "session.{name}"),
            Field::SiteMeter { node } => write!(f, "nodes[{node}].site_meter"),
            Field::SiteSlot { node } => write!(f, "nodes[{node}].site_slot_ms"),
            Field::SiteFailSafe { node, phase } => {
                write!(f, "nodes[{node}].site_fail_safe_ma[{phase:?}]")
            }
            Field::NodeFailSafe { node, phase } => {
                write!(f, "nodes[{node}].fail_safe_ma[{phase:?}]")
            }
            Field::LoadBalancing { node, phase } => {
                write!(f, "load_balancing (node {node}, {phase:?})")
            }
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Reason::OutOfRange { value, min, max } => {
                write!(f, "{value} is outside {min}..={max}")
            }
            Reason::AboveRated { value, rated } => {
                write!(f, "{value} mA is above the rated current {rated} mA")
            }
            Reason::AboveLimit { value, limit } => {
                write!(
                    f,
                    "{value} mA is above the limit {limit} mA it must fit under"
                )
            }
            Reason::NoSuchNode { index } => write!(f, "there is no node {index}"),
            Reason::NotATree => write!(f, "the parent chain has a cycle or is too deep"),
            Reason::RootCount { roots } => write!(f, "{roots} roots; the tree needs exactly one"),
            Reason::NotAPermutation => write!(f, "not a permutation of L1, L2, L3"),
            Reason::NotOnThisFamily => write!(f, "this product family has no such input"),
            Reason::Count { count, max } => write!(f, "{count} entries; 1..={max} accepted"),
            Reason::TimingBudget { needed, allowed } => {
                write!(f, "timers need {needed} ms, the budget is {allowed} ms")
            }
            Reason::CeilingsAboveLimit { sum, limit } => write!(
                f,
                "with load balancing disabled the ceilings add up to {sum} mA, above {limit} mA"
            ),
            Reason::NotAboveTolerance => write!(f, "must be above the over-current tolerance"),
            Reason::ThermalOrder => write!(
                f,
                "needs derate start < derate end < pause and a hysteresis above 0"
            ),
            Reason::NestedSiteMeter { above } => {
                write!(
                    f,
                    "lies beneath node {above}, which has a site meter already"
                )
            }
        }
    }
}
