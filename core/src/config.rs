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

pub use crate::config_error::{ConfigError, Field, Reason};
use crate::general::{General, min_for};
use crate::session::SessionConfig;
use crate::types::{Phase, PhaseCount, SocketType};
use crate::validate::validate;

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
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
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
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
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
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
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
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
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
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
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
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
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
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
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
    /// The scalar part, copied out once at validation so that a step only borrows it.
    general: General,
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

impl<PS, NS> Config<PS, NS>
where
    PS: AsRef<[PointConfig]>,
    NS: AsRef<[NodeConfig]>,
{
    /// Checks every field of `raw` and returns the validated configuration, or the first wrong
    /// field with its reason.
    pub fn new(raw: RawConfig<PS, NS>) -> Result<Self, ConfigError> {
        validate(&raw)?;
        let general = General::of(&raw);
        Ok(Config { raw, general })
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
            general: &self.general,
            points: self.raw.points.as_ref(),
            nodes: self.raw.nodes.as_ref(),
        }
    }
}

/// A validated configuration seen through slices; obtained from [`Config::view`].
#[derive(Clone, Copy, Debug)]
pub struct ConfigView<'a> {
    pub(crate) general: &'a General,
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

crate::types::wire_enum!(ProductFamily, "product family", { City = 0, Parking = 1, Wallbox = 2 });
crate::types::wire_enum!(Location, "location", { Indoor = 0, Outdoor = 1 });
crate::types::wire_enum!(ShedPriority, "shed priority", { ChargeDuration = 0, EnergyDelivered = 1 });
crate::types::wire_enum!(Polarity, "polarity", { NormallyOpen = 0, NormallyClosed = 1 });
crate::types::wire_enum!(Input1Function, "input 1 function", {
    NotUsed = 0, ProtectionDevices = 1, LoadShedding = 2, DelayedStart = 3
});
crate::types::wire_enum!(Input2Function, "input 2 function", {
    NotUsed = 0, ConditionalStart = 1, TemporaryLimitation = 2
});
crate::types::wire_enum!(NodeKind, "node kind", { Supply = 0, Circuit = 1, Station = 2 });
