//! What the caller gives each step and what core writes back.

use crate::cp::{CableStatus, EvseStatus};
use crate::session::{Badge, LastError, OutletStatus, Remote};
use crate::types::{AllocReason, Commands, PilotOutput, PointFlags, StationErrors, VehicleState};

/// An external set point (EX-1) with the time it was received (`now_ms` clock).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct SetPoint {
    /// Current (mA), applied to every phase.
    pub current_ma: u32,
    /// When it was received or last refreshed (ms). One later than `now_ms` counts as stale.
    pub received_ms: u64,
}

/// Station-wide inputs of one step.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct StationInputs {
    /// Contact of input 1 is closed (IN-1 polarity decides what that means).
    pub in1_closed: bool,
    /// Contact of input 2 is closed.
    pub in2_closed: bool,
}

/// A site meter's reading at a tree node (LB-14).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct SiteReading {
    /// Current per supply phase at the node (mA), the points beneath included.
    pub load_ma: [u32; 3],
    /// When it was measured (`now_ms` clock). One later than `now_ms` counts as stale.
    pub measured_ms: u64,
}

/// Inputs of one tree node.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct NodeInputs {
    /// The node's external set point (EX-1), if one was ever received.
    pub setpoint: Option<SetPoint>,
    /// The latest site-meter reading at this node (LB-14), if the node has a meter and it ever
    /// answered.
    #[cfg_attr(feature = "serde", serde(default))]
    pub site: Option<SiteReading>,
}

/// The measured levels of the control pilot (mV), sampled by the caller each step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct CpReading {
    /// The high level of the CP signal (the EV's state, PS-1).
    pub high_mv: i32,
    /// The low level while PWM is on (−12 V with a working EV diode, PS-2).
    pub low_mv: i32,
}

/// Inputs of one charge point.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct PointInputs {
    /// The measured pilot levels: core classifies and debounces them (PS-1, PS-2). `None` where
    /// the caller's hardware classifies the pilot itself; `vehicle` is then taken as it is.
    pub cp: Option<CpReading>,
    /// The pilot state of the vehicle as the caller's hardware classified it, used only when
    /// `cp` is `None`.
    pub vehicle: VehicleState,
    /// Proximity-pin resistance (Ω, CAB-2) of a socket; `None` where not measured.
    pub pp_ohm: Option<u32>,
    /// A plug is in the domestic socket (TE, or the TE side of T2-TE, CAB-3).
    pub domestic: bool,
    /// Contactor auxiliary contact: `Some(true)` reads closed (CT-1).
    pub contactor_feedback: Option<bool>,
    /// Temperature of the point (tenths of °C, TH-1).
    pub temperature_dc: Option<i16>,
    /// An external meter's energy register for this point (mWh, MT-2): used instead of MT-1 in
    /// each step where it is given.
    pub meter_mwh: Option<u64>,
    /// Explicit reset of a latched welded-contactor fault (CT-1).
    pub reset: bool,
    /// A badge presented this step, with what the caller's list says of it (AU-1 … AU-4).
    pub badge: Option<Badge>,
    /// A remote command or authorisation decision this step.
    pub remote: Remote,
    /// The supervision is unreachable (AU-4).
    pub offline: bool,
    /// Cable lock feedback: `Some(true)` reads locked; `None` without a sensor.
    pub lock_closed: Option<bool>,
    /// Shutter feedback: `Some(true)` reads open; `None` without a sensor.
    pub shutter_open: Option<bool>,
    /// The session may charge (badge or free access decided by the session layer).
    pub authorised: bool,
    /// The session holds a VIP badge (AU-1).
    pub vip: bool,
    /// Measured current of the point's phases L1, L2, L3 (mA), if the point has a measurement.
    pub measured_ma: Option<[u32; 3]>,
    /// The EV's own maximum current (mA), when known.
    pub ev_limit_ma: Option<u32>,
    /// Cable capacity (mA, CAB-2), when a cable is detected.
    pub cable_ma: Option<u32>,
    /// The point's external set point (EX-1).
    pub setpoint: Option<SetPoint>,
    /// EX-2 commands holding the point.
    pub commands: Commands,
}

impl PointInputs {
    /// The default inputs, as a constant (`Default::default()` gives the same).
    pub(crate) const DEFAULT: PointInputs = PointInputs {
        cp: None,
        vehicle: VehicleState::A,
        pp_ohm: None,
        domestic: false,
        contactor_feedback: None,
        temperature_dc: None,
        meter_mwh: None,
        reset: false,
        badge: None,
        remote: Remote::None,
        offline: false,
        lock_closed: None,
        shutter_open: None,
        authorised: false,
        vip: false,
        measured_ma: None,
        ev_limit_ma: None,
        cable_ma: None,
        setpoint: None,
        commands: Commands::EMPTY,
    };

    /// The one-byte fields (the flags, the three-state feedbacks, the remote command and the
    /// pilot state), for comparing them as one array: a few wide comparisons, where field by
    /// field each was a load, a comparison and a branch (`readings::same_but_readings`, in the
    /// memo's check of a point's inputs). In the order rustc lays them out today, which lets the
    /// array be read with two loads; any order gives the same answer.
    #[inline(always)]
    pub(crate) fn small_fields(&self) -> [u8; 10] {
        let tri = |x: Option<bool>| x.map_or(2, u8::from);
        [
            u8::from(self.domestic),
            u8::from(self.reset),
            u8::from(self.offline),
            u8::from(self.authorised),
            u8::from(self.vip),
            tri(self.contactor_feedback),
            tri(self.lock_closed),
            tri(self.shutter_open),
            self.remote as u8,
            self.vehicle as u8,
        ]
    }
}

impl PointOutput {
    /// The default outputs, as a constant (`Default::default()` gives the same).
    pub(crate) const DEFAULT: PointOutput = PointOutput {
        alloc_ma: [0; 3],
        allocation_ma: 0,
        signal_ma: 0,
        duty_permille: 0,
        pilot: PilotOutput::Steady12V,
        contactor: false,
        reason: AllocReason::NoVehicle,
        reason_node: 0,
        flags: PointFlags::EMPTY,
        energy_mwh: 0,
        status: OutletStatus::NotInitialized,
        last_error: LastError::None,
        evse_status: EvseStatus::ANotPresent12V,
        cable: CableStatus::NotPlugged,
        lock: false,
        shutter_open: false,
        session_id: 0,
    };
}

/// Everything the caller gives one step, over its own slices.
#[derive(Clone, Copy, Debug)]
pub struct Inputs<'a> {
    /// Station-wide inputs.
    pub station: StationInputs,
    /// One per configured point, in order.
    pub points: &'a [PointInputs],
    /// One per configured node, in order.
    pub nodes: &'a [NodeInputs],
}

/// What core decided for one point.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct PointOutput {
    /// Allocation per supply phase L1, L2, L3 (mA).
    pub alloc_ma: [u32; 3],
    /// The allocation of the charge (mA per loaded phase); 0 or ≥ the minimum (LB-3).
    pub allocation_ma: u32,
    /// The current the EV is told (decoded duty, PS-3), 0 without PWM.
    pub signal_ma: u32,
    /// PWM duty (‰, 100..=960) while `pilot` is PWM, else 0.
    pub duty_permille: u16,
    /// What the pilot driver shows.
    pub pilot: PilotOutput,
    /// Contactor commanded closed.
    pub contactor: bool,
    /// The binding constraint (LB-11).
    pub reason: AllocReason,
    /// The tree node `reason` refers to, or [`NO_NODE`].
    pub reason_node: u16,
    /// Status flags.
    pub flags: PointFlags,
    /// Energy of the current session (mWh, MT-1).
    pub energy_mwh: u64,
    /// Outlet status (SPEC §5.1).
    pub status: OutletStatus,
    /// Last error (SPEC §5.2).
    pub last_error: LastError,
    /// EVSE status (PS-6).
    pub evse_status: EvseStatus,
    /// What the proximity pin says (CAB-2); `NotPlugged` where not measured.
    pub cable: CableStatus,
    /// Command the cable lock locked.
    pub lock: bool,
    /// Command the shutter open.
    pub shutter_open: bool,
    /// The session's badge handle (0: the default id tag, or no session).
    pub session_id: u32,
}

/// `reason_node` when the reason involves no node.
pub const NO_NODE: u16 = u16::MAX;

/// What core decided for the station.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct StationOutput {
    /// Station error bits (SPEC §5.4).
    pub errors: StationErrors,
    /// Call the step again no later than this (ms), or sooner when an input changes. It is the
    /// earliest time at which a timer of core can change an output (the pilot's debounces,
    /// State F's settling window, the sessions' timeouts, the rise interval, the minimum pause
    /// and run, set points, ...), 1 ms ahead after a step that changed what the next one reads
    /// first, at most one sample period ahead while a contactor is closed, a debounce runs or a
    /// transfer waits, and at most `max_gap_ms` ahead. A caller that steps exactly then and at
    /// every input change sees what one stepping every millisecond sees (the energy register
    /// aside, which counts each step's measured current over the gap since the last step).
    pub next_deadline_ms: u64,
}

/// Why a step was refused. Nothing of the state or outputs changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StepError {
    /// A slice does not have one entry per configured point or node.
    #[error("{what}: {len} entries given, {expected} expected")]
    Length {
        /// Which slice.
        what: &'static str,
        /// Its length.
        len: usize,
        /// The configured count.
        expected: usize,
    },
}
