//! Raw configuration → validated [`Config`]: the only way into the step function.
//!
//! Implements the parameter tables of SPEC §2.2 and the timers of §5.5, the limit tree (TREE-1),
//! and the configuration-time halves of LB-3 (minimum operating currents, 6 A floor), LB-6 (start
//! threshold, minimum pause and run), LB-7 (load balancing disabled only where the ceilings fit),
//! LB-8 (fail-safe currents fit the limits they replace) and PS-1 (the timing budget).
//!
//! A [`Config`] can only be built by [`Config::new`], which checks every field and refuses the
//! whole configuration on the first wrong one, naming the field (with its point or node index)
//! and the reason. The step function trusts a `Config` and never re-checks it.
//!
//! Choices where the SPEC is silent (written down here, as the SPEC asks):
//! - Tree-node limits are per phase, 0–64 A for a station node (SPEC §2.2 station maximum) and
//!   0–10 000 A for supply and sub-circuit nodes. There is exactly one root.
//! - Which nodes and points follow external set points is configuration (`external`): a node
//!   marked external falls back to its fail-safe current (LB-8) while its set point is missing or
//!   stale; set points sent for other nodes or points are ignored.
//! - The default fail-safe current of a node is, per phase, the largest start threshold (LB-6)
//!   among the points beneath that load that phase, capped at the node limit; of a point, its own
//!   start threshold. An explicit fail-safe current above the limit it replaces is refused.

use core::fmt;

use crate::session::SessionConfig;
use crate::types::{Phase, PhaseCount, SocketType};

/// Most points one configuration may hold (the benchmarks go to 1024).
pub const MAX_POINTS: usize = 4096;
/// Most tree nodes one configuration may hold.
pub const MAX_NODES: usize = 4096;
/// Deepest limit tree: supply → sub-circuits → stations, with room to spare.
pub const MAX_DEPTH: usize = 8;

/// Product family (SPEC §2.1): decides which function inputs exist.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[repr(u8)]
pub enum ProductFamily {
    /// On-street station: In-1 / In-2 inputs.
    City = 0,
    /// Car-park station: In-1 / In-2 inputs.
    Parking = 1,
    /// Home wallbox: delayed-start and temporary-limitation inputs.
    Wallbox = 2,
}

/// Station location (SPEC §2.1, LOC-1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[repr(u8)]
pub enum Location {
    /// Indoors: an EV asking for ventilation (state D) is not charged.
    Indoor = 0,
    /// Outdoors: state D charges like state C.
    Outdoor = 1,
}

/// Load-shedding priority (LB-5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[repr(u8)]
pub enum ShedPriority {
    /// The point whose current uninterrupted charge started first is shed first.
    ChargeDuration = 0,
    /// The session that has delivered the most energy is shed first.
    EnergyDelivered = 1,
}

/// Contact polarity of a function input (IN-1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[repr(u8)]
pub enum Polarity {
    /// Active when the contact is closed.
    NormallyOpen = 0,
    /// Active when the contact is open, so a broken wire activates the function.
    NormallyClosed = 1,
}

impl Polarity {
    /// Whether the function is active for this contact reading (IN-1).
    pub const fn active(self, contact_closed: bool) -> bool {
        match self {
            Polarity::NormallyOpen => contact_closed,
            Polarity::NormallyClosed => !contact_closed,
        }
    }
}

/// Function of input 1 (IN-2, IN-3 on City/Parking; IN-5 delayed start on Wallbox).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[repr(u8)]
pub enum Input1Function {
    /// Not wired.
    NotUsed = 0,
    /// Protection devices state (IN-2): when active every point stops at once.
    ProtectionDevices = 1,
    /// Load-shedding input (IN-3): when active each point's ceiling is the load-shedding set point.
    LoadShedding = 2,
    /// Wallbox delayed start (IN-5): when active the charge waits.
    DelayedStart = 3,
}

/// Function of input 2 (IN-4 on City/Parking; IN-5 temporary limitation on Wallbox).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[repr(u8)]
pub enum Input2Function {
    /// Not wired.
    NotUsed = 0,
    /// Conditional start (IN-4): charging only while active.
    ConditionalStart = 1,
    /// Wallbox temporary limitation (IN-5): while active the ceiling is the temporary set point.
    TemporaryLimitation = 2,
}

/// Kind of a limit-tree node (TREE-1); decides the range of its limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[repr(u8)]
pub enum NodeKind {
    /// The site supply (root).
    Supply = 0,
    /// A sub-circuit between the supply and stations.
    Circuit = 1,
    /// A charging station: its limit is the station maximum current (0–64 A, SPEC §2.2).
    Station = 2,
}

/// One node of the limit tree (TREE-1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct NodeConfig {
    /// Index of the parent node; `None` for the root.
    pub parent: Option<u16>,
    /// Kind of node.
    pub kind: NodeKind,
    /// Maximum current per supply phase L1, L2, L3 (mA).
    pub limit_ma: [u32; 3],
    /// Whether this node's limit follows an external set point (EX-1, LB-8).
    pub external: bool,
    /// Fail-safe current per phase when the set point is stale (LB-8); `None` for the default.
    pub fail_safe_ma: Option<[u32; 3]>,
    /// The node carries a site meter whose readings (through the inputs) set the headroom of
    /// the points beneath (LB-14). No metered node may lie beneath another.
    #[cfg_attr(feature = "serde", serde(default))]
    pub site_meter: bool,
    /// Headroom per phase for the points beneath while the site meter is stale (LB-14); `None`
    /// for the default (as LB-8: the largest start threshold beneath, capped at the limit).
    #[cfg_attr(feature = "serde", serde(default))]
    pub site_fail_safe_ma: Option<[u32; 3]>,
    /// Width (ms) of each of the 16 slots of the site meter's history of the points' own
    /// currents (LB-14): the history covers 16 × this, which should exceed the meter's latency
    /// (10–1000 ms, default 50 ms).
    #[cfg_attr(feature = "serde", serde(default = "default_site_slot_ms"))]
    pub site_slot_ms: u32,
}

#[cfg(feature = "serde")]
fn default_site_slot_ms() -> u32 {
    50
}

impl NodeConfig {
    /// A station node with the same limit on every phase, under `parent`.
    pub const fn station(parent: Option<u16>, limit_ma: u32) -> Self {
        Self::new(parent, NodeKind::Station, limit_ma)
    }

    /// A node of `kind` with the same limit on every phase.
    pub const fn new(parent: Option<u16>, kind: NodeKind, limit_ma: u32) -> Self {
        NodeConfig {
            parent,
            kind,
            limit_ma: [limit_ma; 3],
            external: true,
            fail_safe_ma: None,
            site_meter: false,
            site_fail_safe_ma: None,
            site_slot_ms: 50,
        }
    }
}

/// One charge point (SPEC §2.2 per point).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct PointConfig {
    /// Index of the tree node the point hangs under (usually its station).
    pub node: u16,
    /// Single- or three-phase point.
    pub phases: PhaseCount,
    /// Supply phase each point phase (L1, L2, L3) is wired to; a permutation. A single-phase point
    /// uses only `wiring[0]`.
    pub wiring: [Phase; 3],
    /// Socket or cable type.
    pub socket: SocketType,
    /// Rated current (mA), fixed by hardware: 6–80 A.
    pub rated_ma: u32,
    /// Derated current (mA): 0 – rated. Below the minimum operating current the point never charges.
    pub derated_ma: u32,
    /// Whether this point's ceiling follows an external per-point set point (EX-1, LB-8).
    pub external: bool,
    /// Fail-safe current when the point's set point is stale (LB-8); `None` for the default.
    pub fail_safe_ma: Option<u32>,
    /// Single-phase detection on a three-phase point (LB-12); ignored on single-phase points.
    pub phase_detection: bool,
}

impl PointConfig {
    /// A three-phase Type 2 point of `rated_ma`, not derated, under `node`, wired L1→L1.
    pub const fn three_phase(node: u16, rated_ma: u32) -> Self {
        PointConfig {
            node,
            phases: PhaseCount::Three,
            wiring: [Phase::L1, Phase::L2, Phase::L3],
            socket: SocketType::T2,
            rated_ma,
            derated_ma: rated_ma,
            external: false,
            fail_safe_ma: None,
            phase_detection: true,
        }
    }

    /// A single-phase Type 2 point of `rated_ma` on supply phase `phase`, under `node`.
    pub const fn single_phase(node: u16, rated_ma: u32, phase: Phase) -> Self {
        let wiring = match phase {
            Phase::L1 => [Phase::L1, Phase::L2, Phase::L3],
            Phase::L2 => [Phase::L2, Phase::L3, Phase::L1],
            Phase::L3 => [Phase::L3, Phase::L1, Phase::L2],
        };
        PointConfig {
            phases: PhaseCount::One,
            wiring,
            ..Self::three_phase(node, rated_ma)
        }
    }
}

/// Thermal derating of every point from its temperature input (TH-1), in tenths of °C.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ThermalConfig {
    /// Above this the ceiling falls linearly …
    pub derate_start_dc: i16,
    /// … to the minimum operating current at this temperature.
    pub derate_end_dc: i16,
    /// At or above this the point pauses …
    pub pause_dc: i16,
    /// … until the temperature is this much below `pause_dc` again (> 0).
    pub hysteresis_dc: i16,
}

/// Contactor and temperature protection (CT-1, TH-1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ProtectionConfig {
    /// Current through a contactor commanded open that counts as welded (0.1–6 A, default 1 A,
    /// CT-1).
    pub welded_current_ma: u32,
    /// How long that current must flow (100 ms – 10 s, default 500 ms, CT-1).
    pub welded_ms: u32,
    /// Thermal derating (TH-1), where the firmware reports temperatures; `None`: off.
    pub thermal: Option<ThermalConfig>,
}

impl Default for ProtectionConfig {
    fn default() -> Self {
        ProtectionConfig {
            welded_current_ma: 1_000,
            welded_ms: 500,
            thermal: None,
        }
    }
}

/// Function inputs (SPEC §2.2, IN-1 … IN-5).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct InputConfig {
    /// Function of input 1.
    pub in1: Input1Function,
    /// Polarity of input 1.
    pub in1_polarity: Polarity,
    /// Function of input 2.
    pub in2: Input2Function,
    /// Polarity of input 2.
    pub in2_polarity: Polarity,
    /// Ceiling of every point while the load-shedding input is active (IN-3), mA; 0 pauses.
    pub load_shedding_ma: u32,
    /// Ceiling of every point while the temporary-limitation input is active (IN-5), mA.
    pub temporary_limit_ma: u32,
}

/// Every timer of SPEC §5.5, in ms. None is a hidden constant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Timers {
    /// Caller's sample period P (10–40 ms, PS-1).
    pub sample_period_ms: u32,
    /// Contactor release time R (1–50 ms, PS-1 budget).
    pub contactor_release_ms: u32,
    /// Debounce towards a safer pilot state A, B, E, F, unknown (1–60 ms, PS-1).
    pub debounce_safer_ms: u32,
    /// Debounce towards C and D (1–2000 ms, PS-1).
    pub debounce_charge_ms: u32,
    /// EV response time to a reduction (1–5 s, PS-5, LB-9).
    pub ev_response_ms: u32,
    /// Grace time to leave C after PWM stops (1–6 s, PS-5).
    pub grace_ms: u32,
    /// Shortest interval between two rises of one point's current (1–60 s, PS-5).
    pub rise_interval_ms: u32,
    /// Minimum pause after a stop before a restart (0–3600 s, LB-6).
    pub min_pause_ms: u32,
    /// Minimum run time before a point may be shed for lack of current (0–3600 s, LB-6).
    pub min_run_ms: u32,
    /// Time below the idle threshold before an EV's allocation drops to its minimum (1–3600 s,
    /// LB-10).
    pub idle_ms: u32,
    /// Time one phase alone must draw before a three-phase point counts as single-phase
    /// (1–3600 s, LB-12).
    pub phase_detection_ms: u32,
    /// Validity of an external set point (1–3600 s, LB-8).
    pub setpoint_validity_ms: u32,
    /// Validity of a site-meter reading (1–3600 s, LB-14).
    pub site_meter_validity_ms: u32,
    /// Hold time before a fall of the site's other load is believed (0–3600 s, LB-14).
    pub site_meter_hold_ms: u32,
    /// Authentication timeout (0–999 s, SPEC §2.1, AU-2).
    pub auth_timeout_ms: u32,
    /// Time an EV stays in B after PWM returned before core drives a wake-up (1–600 s, PS-7).
    pub wakeup_after_ms: u32,
    /// Length of the State F wake-up pulse (1–10 s, PS-7).
    pub wakeup_f_ms: u32,
    /// Settling window after a wake-up in which −12 V is expected (1–5000 ms, PS-7).
    pub wakeup_settle_ms: u32,
    /// Start stagger per point after a power return (0–60 s, SU-1).
    pub stagger_ms: u32,
    /// Longest step gap counted for energy (100 ms – 10 s, SU-3).
    pub max_gap_ms: u32,
}

/// Current thresholds of the energy rules (mA).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Thresholds {
    /// Minimum operating current of a single-phase charge (6–32 A, default 8 A, LB-3).
    pub min_1ph_ma: u32,
    /// Minimum operating current of a three-phase charge (6–32 A, default 14 A, LB-3).
    pub min_3ph_ma: u32,
    /// Start threshold as ‰ of the minimum (1000–3000 ‰, default 1500 ‰, LB-6).
    pub start_threshold_permille: u32,
    /// Draw above the signalled current tolerated after the response time (0–10 A, LB-9).
    pub overcurrent_tolerance_ma: u32,
    /// Draw above the highest current signalled within the response time that stops the point
    /// at once (1–20 A, PS-4). Must exceed the tolerance.
    pub overcurrent_hard_ma: u32,
    /// Below this draw an EV counts as idle (0.1–6 A, LB-10).
    pub idle_threshold_ma: u32,
    /// A phase drawing more than this counts as drawing (0.1–6 A, LB-12).
    pub phase_tolerance_ma: u32,
    /// Safety margin kept below a site-metered node's limit (0–100 A, LB-14).
    pub site_margin_ma: u32,
}

/// The raw configuration, as read from a file or a C struct; see [`Config::new`].
///
/// `PS` and `NS` hold the points and nodes: arrays, `heapless::Vec`s or borrowed slices.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct RawConfig<PS, NS> {
    /// Product family.
    pub family: ProductFamily,
    /// Station location (LOC-1).
    pub location: Location,
    /// Load balancing between points (LB-7 when off).
    pub load_balancing: bool,
    /// Shedding priority (LB-5).
    pub shed_priority: ShedPriority,
    /// Controlled by an external system (EX-1, LB-8).
    pub external_control: bool,
    /// Phase–neutral voltage for internal CT metering (175–276 V, MT-1), mV.
    pub voltage_mv: u32,
    /// Function inputs.
    pub inputs: InputConfig,
    /// Timers.
    pub timers: Timers,
    /// Current thresholds.
    pub thresholds: Thresholds,
    /// Rotation under a lasting shortage (LB-13): the interval (1 min – 24 h), or `None` (off,
    /// the default).
    #[cfg_attr(feature = "serde", serde(default))]
    pub rotation_interval_ms: Option<u32>,
    /// Contactor and temperature protection (CT-1, TH-1).
    #[cfg_attr(feature = "serde", serde(default))]
    pub protection: ProtectionConfig,
    /// Sessions and authorisation (SPEC §2.1, §5, AU-*).
    #[cfg_attr(feature = "serde", serde(default))]
    pub session: SessionConfig,
    /// The charge points.
    pub points: PS,
    /// The limit tree's nodes.
    pub nodes: NS,
}

impl Default for InputConfig {
    fn default() -> Self {
        InputConfig {
            in1: Input1Function::NotUsed,
            in1_polarity: Polarity::NormallyOpen,
            in2: Input2Function::NotUsed,
            in2_polarity: Polarity::NormallyOpen,
            load_shedding_ma: 0,
            temporary_limit_ma: 0,
        }
    }
}

impl Default for Timers {
    fn default() -> Self {
        Timers {
            sample_period_ms: 10,
            contactor_release_ms: 20,
            debounce_safer_ms: 20,
            debounce_charge_ms: 100,
            ev_response_ms: 5_000,
            grace_ms: 6_000,
            rise_interval_ms: 5_000,
            min_pause_ms: 60_000,
            min_run_ms: 60_000,
            idle_ms: 60_000,
            phase_detection_ms: 30_000,
            setpoint_validity_ms: 60_000,
            site_meter_validity_ms: 10_000,
            site_meter_hold_ms: 60_000,
            auth_timeout_ms: 10_000,
            wakeup_after_ms: 30_000,
            wakeup_f_ms: 3_000,
            wakeup_settle_ms: 500,
            stagger_ms: 2_000,
            max_gap_ms: 1_000,
        }
    }
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            min_1ph_ma: 8_000,
            min_3ph_ma: 14_000,
            start_threshold_permille: 1_500,
            overcurrent_tolerance_ma: 2_000,
            overcurrent_hard_ma: 10_000,
            idle_threshold_ma: 1_000,
            phase_tolerance_ma: 2_000,
            site_margin_ma: 2_000,
        }
    }
}

impl<PS, NS> RawConfig<PS, NS> {
    /// A configuration with every parameter at its default (SPEC §2) for `points` and `nodes`.
    pub fn with_defaults(family: ProductFamily, points: PS, nodes: NS) -> Self {
        let mut inputs = InputConfig::default();
        if family == ProductFamily::Wallbox {
            inputs.in1 = Input1Function::DelayedStart;
            inputs.in2 = Input2Function::TemporaryLimitation;
        }
        RawConfig {
            family,
            location: Location::Indoor,
            load_balancing: true,
            shed_priority: ShedPriority::ChargeDuration,
            external_control: false,
            voltage_mv: 230_000,
            inputs,
            timers: Timers::default(),
            thresholds: Thresholds::default(),
            rotation_interval_ms: None,
            protection: ProtectionConfig::default(),
            session: SessionConfig::default(),
            points,
            nodes,
        }
    }
}

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
    /// A timer, by its field name in [`Timers`].
    Timer(&'static str),
    /// A threshold, by its field name in [`Thresholds`].
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
    /// The parent chain does not reach the root (a cycle), or is deeper than [`MAX_DEPTH`].
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

/// A validated configuration. Built only by [`Config::new`]; the step function trusts it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Deserialize),
    serde(
        try_from = "RawConfig<PS, NS>",
        bound(deserialize = "PS: AsRef<[PointConfig]> + serde::Deserialize<'de>, \
                             NS: AsRef<[NodeConfig]> + serde::Deserialize<'de>")
    )
)]
pub struct Config<PS, NS> {
    raw: RawConfig<PS, NS>,
}

impl<PS, NS> TryFrom<RawConfig<PS, NS>> for Config<PS, NS>
where
    PS: AsRef<[PointConfig]>,
    NS: AsRef<[NodeConfig]>,
{
    type Error = ConfigError;
    fn try_from(raw: RawConfig<PS, NS>) -> Result<Self, ConfigError> {
        Config::new(raw)
    }
}

fn err(field: Field, reason: Reason) -> ConfigError {
    ConfigError { field, reason }
}

fn range(field: Field, value: u32, min: u32, max: u32) -> Result<(), ConfigError> {
    if (min..=max).contains(&value) {
        Ok(())
    } else {
        Err(err(
            field,
            Reason::OutOfRange {
                value: value.into(),
                min: min.into(),
                max: max.into(),
            },
        ))
    }
}

/// `P × (1 + ⌈debounce / P⌉)`: how long a pilot change may take to be believed (PS-1).
pub(crate) fn detection_ms(period_ms: u32, debounce_ms: u32) -> u32 {
    let periods = debounce_ms.div_ceil(period_ms.max(1));
    period_ms.saturating_mul(periods.saturating_add(1))
}

impl<PS, NS> Config<PS, NS>
where
    PS: AsRef<[PointConfig]>,
    NS: AsRef<[NodeConfig]>,
{
    /// Checks every field of `raw` and returns the validated configuration, or the first wrong
    /// field with its reason.
    pub fn new(raw: RawConfig<PS, NS>) -> Result<Self, ConfigError> {
        validate(&raw)?;
        Ok(Config { raw })
    }

    /// The configuration as given (read-only).
    pub fn raw(&self) -> &RawConfig<PS, NS> {
        &self.raw
    }

    /// The points.
    pub fn points(&self) -> &[PointConfig] {
        self.raw.points.as_ref()
    }

    /// The tree nodes.
    pub fn nodes(&self) -> &[NodeConfig] {
        self.raw.nodes.as_ref()
    }

    /// Gives the raw configuration back, e.g. to edit and validate again.
    pub fn into_raw(self) -> RawConfig<PS, NS> {
        self.raw
    }

    /// A borrowed view of this configuration, for the slice-based step function.
    pub fn view(&self) -> ConfigView<'_> {
        ConfigView {
            general: General::of(&self.raw),
            points: self.raw.points.as_ref(),
            nodes: self.raw.nodes.as_ref(),
        }
    }
}

/// The scalar part of a configuration, copied out for the step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct General {
    pub location: Location,
    pub shed_priority: ShedPriority,
    pub external_control: bool,
    pub voltage_mv: u32,
    pub inputs: InputConfig,
    pub timers: Timers,
    pub thresholds: Thresholds,
    pub family: ProductFamily,
    pub rotation_interval_ms: Option<u32>,
    pub protection: ProtectionConfig,
    pub session: SessionConfig,
}

impl General {
    fn of<PS, NS>(raw: &RawConfig<PS, NS>) -> Self {
        General {
            location: raw.location,
            shed_priority: raw.shed_priority,
            external_control: raw.external_control,
            voltage_mv: raw.voltage_mv,
            inputs: raw.inputs,
            timers: raw.timers,
            thresholds: raw.thresholds,
            family: raw.family,
            rotation_interval_ms: raw.rotation_interval_ms,
            protection: raw.protection,
            session: raw.session,
        }
    }
}

/// A validated configuration seen through slices; obtained from [`Config::view`].
#[derive(Clone, Copy, Debug)]
pub struct ConfigView<'a> {
    pub(crate) general: General,
    pub(crate) points: &'a [PointConfig],
    pub(crate) nodes: &'a [NodeConfig],
}

impl<'a> ConfigView<'a> {
    /// The points.
    pub fn points(&self) -> &'a [PointConfig] {
        self.points
    }
    /// The tree nodes.
    pub fn nodes(&self) -> &'a [NodeConfig] {
        self.nodes
    }
    /// The timers.
    pub fn timers(&self) -> &Timers {
        &self.general.timers
    }
    /// The thresholds.
    pub fn thresholds(&self) -> &Thresholds {
        &self.general.thresholds
    }
    /// Minimum operating current of a charge on `phases` (LB-3).
    pub fn min_ma(&self, phases: PhaseCount) -> u32 {
        min_for(&self.general.thresholds, phases)
    }
}

pub(crate) fn min_for(t: &Thresholds, phases: PhaseCount) -> u32 {
    match phases {
        PhaseCount::One => t.min_1ph_ma,
        PhaseCount::Three => t.min_3ph_ma,
    }
}

/// Start threshold (LB-6): the minimum × the configured ratio, capped at the ceiling.
pub(crate) fn start_threshold(t: &Thresholds, min_ma: u32, ceiling_ma: u32) -> u32 {
    let scaled = u64::from(min_ma).saturating_mul(u64::from(t.start_threshold_permille)) / 1000;
    u32::try_from(scaled).unwrap_or(u32::MAX).min(ceiling_ma)
}

/// The static ceiling of a point (rated, derated), 0 if below its minimum (LB-2, LB-3).
pub(crate) fn static_ceiling(t: &Thresholds, p: &PointConfig) -> u32 {
    let c = p.rated_ma.min(p.derated_ma);
    if c < min_for(t, p.phases) { 0 } else { c }
}

/// Supply phases a point loads when it charges on `phases` (LB-12).
pub(crate) fn phase_mask(p: &PointConfig) -> u8 {
    match p.phases {
        PhaseCount::One => p.wiring[0].bit(),
        PhaseCount::Three => 0b111,
    }
}

/// The default fail-safe of a node per phase (LB-8): the largest start threshold among the
/// points beneath, capped at the node limit.
pub(crate) fn default_node_fail_safe(
    t: &Thresholds,
    points: &[PointConfig],
    nodes: &[NodeConfig],
    node: usize,
) -> [u32; 3] {
    let mut out = [0u32; 3];
    for p in points {
        if !is_beneath(nodes, usize::from(p.node), node) {
            continue;
        }
        let ceiling = static_ceiling(t, p);
        let thr = start_threshold(t, min_for(t, p.phases), ceiling);
        let mask = phase_mask(p);
        for (ph, o) in out.iter_mut().enumerate() {
            if mask & (1 << ph) != 0 {
                *o = (*o).max(thr);
            }
        }
    }
    if let Some(n) = nodes.get(node) {
        for (o, l) in out.iter_mut().zip(n.limit_ma) {
            *o = (*o).min(l);
        }
    }
    out
}

/// Whether node `from` is `ancestor` or lies beneath it.
pub(crate) fn is_beneath(nodes: &[NodeConfig], from: usize, ancestor: usize) -> bool {
    let mut cur = Some(from);
    for _ in 0..=MAX_DEPTH {
        match cur {
            Some(c) if c == ancestor => return true,
            Some(c) => cur = nodes.get(c).and_then(|n| n.parent).map(usize::from),
            None => return false,
        }
    }
    false
}

fn validate<PS, NS>(raw: &RawConfig<PS, NS>) -> Result<(), ConfigError>
where
    PS: AsRef<[PointConfig]>,
    NS: AsRef<[NodeConfig]>,
{
    let points = raw.points.as_ref();
    let nodes = raw.nodes.as_ref();
    let t = &raw.thresholds;
    let tm = &raw.timers;

    range(Field::Voltage, raw.voltage_mv, 175_000, 276_000)?;
    validate_thresholds(t)?;
    validate_timers(tm)?;

    if points.is_empty() || points.len() > MAX_POINTS {
        return Err(err(
            Field::Points,
            Reason::Count {
                count: points.len(),
                max: MAX_POINTS,
            },
        ));
    }
    if nodes.is_empty() || nodes.len() > MAX_NODES {
        return Err(err(
            Field::Nodes,
            Reason::Count {
                count: nodes.len(),
                max: MAX_NODES,
            },
        ));
    }
    validate_tree(nodes)?;

    let mut max_derated = 0u32;
    for (i, p) in points.iter().enumerate() {
        let point = u16::try_from(i).unwrap_or(u16::MAX);
        if usize::from(p.node) >= nodes.len() {
            return Err(err(
                Field::PointNode { point },
                Reason::NoSuchNode { index: p.node },
            ));
        }
        let w = p.wiring;
        let mask = w[0].bit() | w[1].bit() | w[2].bit();
        if mask != 0b111 {
            return Err(err(Field::Wiring { point }, Reason::NotAPermutation));
        }
        // IEC 61851-1 PWM encodes 6–80 A (PS-3).
        range(Field::RatedCurrent { point }, p.rated_ma, 6_000, 80_000)?;
        if p.derated_ma > p.rated_ma {
            return Err(err(
                Field::DeratedCurrent { point },
                Reason::AboveRated {
                    value: p.derated_ma,
                    rated: p.rated_ma,
                },
            ));
        }
        max_derated = max_derated.max(p.derated_ma);
        if let Some(fs) = p.fail_safe_ma {
            let ceiling = p.derated_ma;
            if fs > ceiling {
                return Err(err(
                    Field::PointFailSafe { point },
                    Reason::AboveLimit {
                        value: fs,
                        limit: ceiling,
                    },
                ));
            }
        }
    }

    validate_inputs(raw.family, &raw.inputs, max_derated)?;

    if let Some(r) = raw.rotation_interval_ms {
        range(Field::RotationInterval, r, 60_000, 86_400_000)?;
    }
    validate_site_meters(nodes)?;
    validate_protection(&raw.protection)?;
    validate_session(&raw.session)?;
    for (i, n) in nodes.iter().enumerate() {
        let node = u16::try_from(i).unwrap_or(u16::MAX);
        if let Some(fs) = n.fail_safe_ma {
            for (ph, (f, l)) in fs.iter().zip(n.limit_ma).enumerate() {
                if *f > l {
                    return Err(err(
                        Field::NodeFailSafe {
                            node,
                            phase: Phase::from_index(ph),
                        },
                        Reason::AboveLimit {
                            value: *f,
                            limit: l,
                        },
                    ));
                }
            }
        }
    }

    if !raw.load_balancing {
        validate_unbalanced(t, points, nodes)?;
    }
    Ok(())
}

/// The session timers (SPEC §5.1: every waiting phase has a timeout).
fn validate_session(s: &SessionConfig) -> Result<(), ConfigError> {
    const MIN10: u32 = 600_000;
    range(Field::Session("shutter_ms"), s.shutter_ms, 500, 30_000)?;
    range(Field::Session("lock_ms"), s.lock_ms, 500, 30_000)?;
    range(Field::Session("plug_wait_ms"), s.plug_wait_ms, 1_000, MIN10)?;
    range(Field::Session("ev_wait_ms"), s.ev_wait_ms, 1_000, MIN10)?;
    range(
        Field::Session("unplug_wait_ms"),
        s.unplug_wait_ms,
        1_000,
        3_600_000,
    )
}

/// CT-1 and TH-1 parameters.
fn validate_protection(p: &ProtectionConfig) -> Result<(), ConfigError> {
    range(
        Field::Protection("welded_current_ma"),
        p.welded_current_ma,
        100,
        6_000,
    )?;
    range(Field::Protection("welded_ms"), p.welded_ms, 100, 10_000)?;
    if let Some(t) = p.thermal
        && !(t.derate_start_dc < t.derate_end_dc
            && t.derate_end_dc < t.pause_dc
            && t.hysteresis_dc > 0)
    {
        return Err(err(Field::Protection("thermal"), Reason::ThermalOrder));
    }
    Ok(())
}

/// LB-14: a site meter's fail-safe headroom fits its node's limit, and metered nodes do not nest
/// (a point's "lowest current since the previous reading" follows one meter only).
fn validate_site_meters(nodes: &[NodeConfig]) -> Result<(), ConfigError> {
    for (i, n) in nodes.iter().enumerate() {
        let node = u16::try_from(i).unwrap_or(u16::MAX);
        if let Some(fs) = n.site_fail_safe_ma {
            for (ph, (f, l)) in fs.iter().zip(n.limit_ma).enumerate() {
                if *f > l {
                    return Err(err(
                        Field::SiteFailSafe {
                            node,
                            phase: Phase::from_index(ph),
                        },
                        Reason::AboveLimit {
                            value: *f,
                            limit: l,
                        },
                    ));
                }
            }
        }
        range(Field::SiteSlot { node }, n.site_slot_ms, 10, 1_000)?;
        if !n.site_meter {
            continue;
        }
        let mut cur = n.parent;
        for _ in 0..MAX_DEPTH {
            let Some(p) = cur else { break };
            let above = nodes.get(usize::from(p));
            if above.is_some_and(|a| a.site_meter) {
                return Err(err(
                    Field::SiteMeter { node },
                    Reason::NestedSiteMeter { above: p },
                ));
            }
            cur = above.and_then(|a| a.parent);
        }
    }
    Ok(())
}

fn validate_thresholds(t: &Thresholds) -> Result<(), ConfigError> {
    // IEC 61851-1: 6 A is the lowest current PWM can signal (LB-3 floor).
    range(Field::Threshold("min_1ph_ma"), t.min_1ph_ma, 6_000, 32_000)?;
    range(Field::Threshold("min_3ph_ma"), t.min_3ph_ma, 6_000, 32_000)?;
    range(
        Field::Threshold("start_threshold_permille"),
        t.start_threshold_permille,
        1_000,
        3_000,
    )?;
    range(
        Field::Threshold("overcurrent_tolerance_ma"),
        t.overcurrent_tolerance_ma,
        0,
        10_000,
    )?;
    range(
        Field::Threshold("overcurrent_hard_ma"),
        t.overcurrent_hard_ma,
        1_000,
        20_000,
    )?;
    if t.overcurrent_hard_ma <= t.overcurrent_tolerance_ma {
        return Err(err(
            Field::Threshold("overcurrent_hard_ma"),
            Reason::NotAboveTolerance,
        ));
    }
    range(
        Field::Threshold("idle_threshold_ma"),
        t.idle_threshold_ma,
        100,
        6_000,
    )?;
    range(
        Field::Threshold("phase_tolerance_ma"),
        t.phase_tolerance_ma,
        100,
        6_000,
    )?;
    range(
        Field::Threshold("site_margin_ma"),
        t.site_margin_ma,
        0,
        100_000,
    )
}

fn validate_timers(tm: &Timers) -> Result<(), ConfigError> {
    const H: u32 = 3_600_000;
    let checks: [(&'static str, u32, u32, u32); 20] = [
        ("sample_period_ms", tm.sample_period_ms, 10, 40),
        ("contactor_release_ms", tm.contactor_release_ms, 1, 50),
        ("debounce_safer_ms", tm.debounce_safer_ms, 1, 60),
        ("debounce_charge_ms", tm.debounce_charge_ms, 1, 2_000),
        // IEC 61851-1: the EV follows a reduction within 5 s.
        ("ev_response_ms", tm.ev_response_ms, 1_000, 5_000),
        // IEC 61851-1: the EV leaves C within 6 s after PWM stops.
        ("grace_ms", tm.grace_ms, 1_000, 6_000),
        ("rise_interval_ms", tm.rise_interval_ms, 1_000, 60_000),
        ("min_pause_ms", tm.min_pause_ms, 0, H),
        ("min_run_ms", tm.min_run_ms, 0, H),
        ("idle_ms", tm.idle_ms, 1_000, H),
        ("phase_detection_ms", tm.phase_detection_ms, 1_000, H),
        ("setpoint_validity_ms", tm.setpoint_validity_ms, 1_000, H),
        (
            "site_meter_validity_ms",
            tm.site_meter_validity_ms,
            1_000,
            H,
        ),
        ("site_meter_hold_ms", tm.site_meter_hold_ms, 0, H),
        ("auth_timeout_ms", tm.auth_timeout_ms, 0, 999_000),
        ("wakeup_after_ms", tm.wakeup_after_ms, 1_000, 600_000),
        ("wakeup_f_ms", tm.wakeup_f_ms, 1_000, 10_000),
        ("wakeup_settle_ms", tm.wakeup_settle_ms, 1, 5_000),
        ("stagger_ms", tm.stagger_ms, 0, 60_000),
        ("max_gap_ms", tm.max_gap_ms, 100, 10_000),
    ];
    for (name, value, min, max) in checks {
        range(Field::Timer(name), value, min, max)?;
    }
    // PS-1: a real C→B must open the contactor within 100 ms (IEC 61851-1 Table A.6).
    let safer = detection_ms(tm.sample_period_ms, tm.debounce_safer_ms)
        .saturating_add(tm.contactor_release_ms);
    if safer > 100 {
        return Err(err(
            Field::Timer("debounce_safer_ms"),
            Reason::TimingBudget {
                needed: safer,
                allowed: 100,
            },
        ));
    }
    // PS-1 / PS-5: the contactor closes within 3 s of B→C.
    let towards_c = detection_ms(tm.sample_period_ms, tm.debounce_charge_ms);
    if towards_c > 3_000 {
        return Err(err(
            Field::Timer("debounce_charge_ms"),
            Reason::TimingBudget {
                needed: towards_c,
                allowed: 3_000,
            },
        ));
    }
    Ok(())
}

fn validate_inputs(
    family: ProductFamily,
    inputs: &InputConfig,
    max_derated: u32,
) -> Result<(), ConfigError> {
    let wallbox = family == ProductFamily::Wallbox;
    let in1_ok = match inputs.in1 {
        Input1Function::NotUsed => true,
        Input1Function::ProtectionDevices | Input1Function::LoadShedding => !wallbox,
        Input1Function::DelayedStart => wallbox,
    };
    if !in1_ok {
        return Err(err(Field::Input1Function, Reason::NotOnThisFamily));
    }
    let in2_ok = match inputs.in2 {
        Input2Function::NotUsed => true,
        Input2Function::ConditionalStart => !wallbox,
        Input2Function::TemporaryLimitation => wallbox,
    };
    if !in2_ok {
        return Err(err(Field::Input2Function, Reason::NotOnThisFamily));
    }
    // SPEC §2.2: set points range 0 – (derated) maximum.
    range(
        Field::LoadSheddingSetPoint,
        inputs.load_shedding_ma,
        0,
        max_derated,
    )?;
    range(
        Field::TemporaryLimitSetPoint,
        inputs.temporary_limit_ma,
        0,
        max_derated,
    )
}

fn validate_tree(nodes: &[NodeConfig]) -> Result<(), ConfigError> {
    let mut roots = 0u16;
    for (i, n) in nodes.iter().enumerate() {
        let node = u16::try_from(i).unwrap_or(u16::MAX);
        match n.parent {
            None => roots = roots.saturating_add(1),
            Some(p) if usize::from(p) >= nodes.len() => {
                return Err(err(Field::Parent { node }, Reason::NoSuchNode { index: p }));
            }
            Some(_) => {}
        }
        // Walk up: the root must be reached within MAX_DEPTH hops, or there is a cycle.
        let mut cur = n.parent;
        let mut hops = 0usize;
        while let Some(p) = cur {
            hops = hops.saturating_add(1);
            if hops >= MAX_DEPTH || usize::from(p) == i {
                return Err(err(Field::Parent { node }, Reason::NotATree));
            }
            cur = nodes.get(usize::from(p)).and_then(|x| x.parent);
        }
        let max = match n.kind {
            NodeKind::Station => 64_000,
            NodeKind::Supply | NodeKind::Circuit => 10_000_000,
        };
        for (ph, l) in n.limit_ma.iter().enumerate() {
            range(
                Field::NodeLimit {
                    node,
                    phase: Phase::from_index(ph),
                },
                *l,
                0,
                max,
            )?;
        }
    }
    if roots != 1 {
        return Err(err(Field::Nodes, Reason::RootCount { roots }));
    }
    Ok(())
}

/// LB-7: with load balancing disabled, the sum of the points' own ceilings must fit under every
/// limit at or above them.
fn validate_unbalanced(
    t: &Thresholds,
    points: &[PointConfig],
    nodes: &[NodeConfig],
) -> Result<(), ConfigError> {
    for (i, n) in nodes.iter().enumerate() {
        let mut sum = [0u32; 3];
        for p in points {
            if !is_beneath(nodes, usize::from(p.node), i) {
                continue;
            }
            let c = static_ceiling(t, p);
            let mask = phase_mask(p);
            for (ph, s) in sum.iter_mut().enumerate() {
                if mask & (1 << ph) != 0 {
                    *s = s.saturating_add(c);
                }
            }
        }
        for (ph, (s, l)) in sum.iter().zip(n.limit_ma).enumerate() {
            if *s > l {
                return Err(err(
                    Field::LoadBalancing {
                        node: u16::try_from(i).unwrap_or(u16::MAX),
                        phase: Phase::from_index(ph),
                    },
                    Reason::CeilingsAboveLimit { sum: *s, limit: l },
                ));
            }
        }
    }
    Ok(())
}
