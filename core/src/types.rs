//! Small shared types: phases, sockets, pilot states, the LB-11 reason, status flags and
//! commands. Enums that come from outside convert with `TryFrom<u8>` whose error carries the raw
//! value (STYLE.md, wire values).

use core::fmt;

/// Error of a `TryFrom` conversion of a wire value: carries the value that was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{what}: {value} is not a valid value")]
pub struct BadValue {
    /// What was being converted.
    pub what: &'static str,
    /// The raw value.
    pub value: u32,
}

macro_rules! wire_enum {
    ($name:ident, $what:literal, { $($variant:ident = $n:literal),+ $(,)? }) => {
        impl TryFrom<u8> for $name {
            type Error = $crate::types::BadValue;
            fn try_from(v: u8) -> Result<Self, $crate::types::BadValue> {
                match v {
                    $($n => Ok($name::$variant),)+
                    _ => Err($crate::types::BadValue { what: $what, value: u32::from(v) }),
                }
            }
        }
        impl TryFrom<u32> for $name {
            type Error = $crate::types::BadValue;
            fn try_from(v: u32) -> Result<Self, $crate::types::BadValue> {
                u8::try_from(v)
                    .map_err(|_| $crate::types::BadValue { what: $what, value: v })
                    .and_then($name::try_from)
            }
        }
    };
}
pub(crate) use wire_enum;

/// A supply phase.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[repr(u8)]
pub enum Phase {
    /// Phase L1.
    L1 = 0,
    /// Phase L2.
    L2 = 1,
    /// Phase L3.
    L3 = 2,
}
wire_enum!(Phase, "phase", { L1 = 0, L2 = 1, L3 = 2 });

impl Phase {
    /// All three phases in order.
    pub const ALL: [Phase; 3] = [Phase::L1, Phase::L2, Phase::L3];

    /// 0, 1 or 2.
    pub const fn index(self) -> usize {
        self as usize
    }

    /// The phase of index `i % 3`.
    pub const fn from_index(i: usize) -> Phase {
        match i % 3 {
            0 => Phase::L1,
            1 => Phase::L2,
            _ => Phase::L3,
        }
    }

    /// This phase as a bit of a 3-bit phase mask.
    pub const fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

/// Whether a point (or a charge) is single- or three-phase.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[repr(u8)]
pub enum PhaseCount {
    /// Single-phase.
    One = 1,
    /// Three-phase.
    Three = 3,
}
wire_enum!(PhaseCount, "phase count", { One = 1, Three = 3 });

/// Socket or cable type of a point (SPEC §2.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[repr(u8)]
pub enum SocketType {
    /// Type 2 socket.
    T2 = 0,
    /// Type 3 socket.
    T3 = 1,
    /// Domestic socket type E (no pilot, CAB-3).
    TE = 2,
    /// Type 2 socket plus domestic socket.
    T2TE = 3,
    /// Attached cable (Type 1 or Type 2 cable).
    T1 = 4,
}
wire_enum!(SocketType, "socket type", { T2 = 0, T3 = 1, TE = 2, T2TE = 3, T1 = 4 });

/// The EV side of the control pilot, as the pilot front end classified it (SPEC §4.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[repr(u8)]
pub enum VehicleState {
    /// +12 V: no vehicle.
    #[default]
    A = 0,
    /// +9 V: vehicle connected, not ready.
    B = 1,
    /// +6 V: ready to charge.
    C = 2,
    /// +3 V: ready, ventilation required.
    D = 3,
    /// 0 V: pilot shorted.
    E = 4,
    /// −12 V: EVSE not available / diode fault.
    F = 5,
    /// A level outside every band.
    Unknown = 6,
}
wire_enum!(VehicleState, "vehicle state", { A = 0, B = 1, C = 2, D = 3, E = 4, F = 5, Unknown = 6 });

impl VehicleState {
    /// A vehicle is connected and asks (or may ask) for current: B, C or D.
    pub const fn connected(self) -> bool {
        matches!(self, VehicleState::B | VehicleState::C | VehicleState::D)
    }

    /// A pilot fault state: E, F or unknown.
    pub const fn is_fault(self) -> bool {
        matches!(
            self,
            VehicleState::E | VehicleState::F | VehicleState::Unknown
        )
    }
}

/// What core asks the pilot driver to show (SPEC §4.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[repr(u8)]
pub enum PilotOutput {
    /// Steady +12 V, no PWM: nothing may be drawn.
    #[default]
    Steady12V = 0,
    /// PWM with the output's `duty_permille`.
    Pwm = 1,
    /// Steady −12 V: EVSE not available or fault.
    StateF = 2,
}

/// The binding constraint of a point's allocation (LB-11). `node` in the output names the tree
/// node where one is involved.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[repr(u8)]
#[non_exhaustive]
pub enum AllocReason {
    /// No vehicle, or the vehicle does not ask for current.
    #[default]
    NoVehicle = 0,
    /// Not authorised to charge.
    NotAuthorised = 1,
    /// A pilot fault or a latched fault (E, F, unknown, over-current) on this point.
    Fault = 2,
    /// Protection devices tripped (IN-2).
    ProtectionDevice = 3,
    /// The clock went backwards (SU-3).
    ClockFault = 4,
    /// An EX-2 command (postpone, suspend, maintenance, booked, unavailable) holds the point.
    Command = 5,
    /// A function input: load-shedding (IN-3), conditional start (IN-4), delayed start or
    /// temporary limitation (IN-5).
    Input = 6,
    /// State D on an indoor station (LOC-1).
    Ventilation = 7,
    /// A tree node's limit (with `node`): the station limit when the node is a station.
    NodeLimit = 8,
    /// The point's rated current.
    Rated = 9,
    /// The point's derated current.
    Derated = 10,
    /// The cable's capacity (CAB-2).
    Cable = 11,
    /// The EV's own limit.
    Ev = 12,
    /// An external set point (EX-1) of the point, or of `node`.
    SetPoint = 13,
    /// A fail-safe current (LB-8) of the point, or of `node`.
    Fallback = 14,
    /// Shed for lack of current, or waiting for its start threshold to fit (LB-5, LB-6; `node` is
    /// the limit that does not fit).
    Shed = 15,
    /// Waiting for the minimum pause after a stop (LB-6).
    MinimumPause = 16,
    /// A rise waits for the rise interval (PS-5).
    RateLimit = 17,
    /// A rise waits until other points' EVs have reduced (LB-9; `node` is the limit).
    Transfer = 18,
    /// A site meter is stale; its node runs on its fail-safe headroom (LB-14).
    SiteMeterStale = 19,
    /// The EV drew less than the idle threshold for the idle time (LB-10).
    EvIdle = 20,
    /// A thermal limit (TH-1).
    Thermal = 21,
    /// The EV drew above its signalled current after its response time (LB-9).
    EvOverCurrent = 22,
    /// The start stagger after a power return (SU-1).
    Stagger = 23,
    /// The session is not in its charge loop: authorisation, plug or unplug procedure (§5.1).
    Session = 24,
    /// The EV left C for B: an immediate stop (PS-4); the point may restart after its pause.
    EvNotReady = 25,
}

impl fmt::Display for AllocReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            AllocReason::NoVehicle => "no vehicle",
            AllocReason::NotAuthorised => "not authorised",
            AllocReason::Fault => "fault",
            AllocReason::ProtectionDevice => "protection device",
            AllocReason::ClockFault => "clock fault",
            AllocReason::Command => "command",
            AllocReason::Input => "function input",
            AllocReason::Ventilation => "ventilation required",
            AllocReason::NodeLimit => "node limit",
            AllocReason::Rated => "rated",
            AllocReason::Derated => "derated",
            AllocReason::Cable => "cable",
            AllocReason::Ev => "EV limit",
            AllocReason::SetPoint => "set point",
            AllocReason::Fallback => "fallback",
            AllocReason::Shed => "shed",
            AllocReason::MinimumPause => "minimum pause",
            AllocReason::RateLimit => "rate limit",
            AllocReason::Transfer => "transfer in progress",
            AllocReason::SiteMeterStale => "site meter stale",
            AllocReason::EvIdle => "EV idle",
            AllocReason::Thermal => "thermal",
            AllocReason::EvOverCurrent => "EV over-current",
            AllocReason::Stagger => "start stagger",
            AllocReason::Session => "session procedure",
            AllocReason::EvNotReady => "EV not ready",
        };
        f.write_str(s)
    }
}

macro_rules! bitflags_u32 {
    ($(#[$m:meta])* $name:ident { $($(#[$fm:meta])* $flag:ident = $bit:literal;)+ }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
        #[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
        pub struct $name(pub u32);
        impl $name {
            $($(#[$fm])* pub const $flag: $name = $name(1 << $bit);)+
            /// No flag.
            pub const EMPTY: $name = $name(0);
            /// Whether every flag of `other` is set.
            pub const fn contains(self, other: $name) -> bool { self.0 & other.0 == other.0 }
            /// Whether any flag of `other` is set.
            pub const fn intersects(self, other: $name) -> bool { self.0 & other.0 != 0 }
            /// Sets or clears the flags of `other`.
            pub fn set(&mut self, other: $name, on: bool) {
                if on { self.0 |= other.0 } else { self.0 &= !other.0 }
            }
            /// Whether no flag is set.
            pub const fn is_empty(self) -> bool { self.0 == 0 }
        }
        impl core::ops::BitOr for $name {
            type Output = $name;
            fn bitor(self, o: $name) -> $name { $name(self.0 | o.0) }
        }
        impl core::ops::BitOrAssign for $name {
            fn bitor_assign(&mut self, o: $name) { self.0 |= o.0 }
        }
    };
}

bitflags_u32! {
    /// Per-point status flags: the EVSE status flags of SPEC §5.3 (bits 0–15) and loadpilot's own
    /// (bits 16–31). Bit numbers never change.
    PointFlags {
        /// `Simplified_Mode_3` (reserved for the session layer).
        SIMPLIFIED_MODE_3 = 0;
        /// `Normal_Mode_3`: a pilot-controlled charge.
        NORMAL_MODE_3 = 1;
        /// `Ventilation_Required`: the EV is in state D (LOC-1).
        VENTILATION_REQUIRED = 2;
        /// `Cluster_Mode`: the point shares a limit tree with more than one station.
        CLUSTER_MODE = 3;
        /// `Single_Phase`: the charge counts as single-phase (LB-12).
        SINGLE_PHASE = 4;
        /// `Three_Phase`: the charge counts as three-phase (LB-12).
        THREE_PHASE = 5;
        /// `Domestic_Cable_Detected` (CAB-3).
        DOMESTIC_CABLE_DETECTED = 6;
        /// `VIP_Badge_Mode`: the session holds a VIP badge (AU-1, LB-4, LB-5).
        VIP_BADGE_MODE = 7;
        /// `Unavailable_OCPP_Cmd_Received` (EX-2).
        UNAVAILABLE_OCPP_CMD = 8;
        /// `Not_Enough_Energy_To_Start_Charge`: waiting for the start threshold (LB-6).
        NOT_ENOUGH_ENERGY_TO_START = 9;
        /// `Charge_Postpone`: held by conditional start, delayed start or a postpone command.
        CHARGE_POSTPONE = 10;
        /// `Maintenance_Plc_Cmd_Received` (EX-2).
        MAINTENANCE_PLC_CMD = 11;
        /// `Booked_Plc_Cmd_Received` (EX-2).
        BOOKED_PLC_CMD = 12;
        /// `Suspend_Plc_Cmd_Received` (EX-2).
        SUSPEND_PLC_CMD = 13;
        /// `Unavailable_Plc_Cmd_Received` (EX-2).
        UNAVAILABLE_PLC_CMD = 14;
        /// PWM is on (an offer stands, LB-10).
        PWM_ON = 16;
        /// The contactor is commanded closed.
        CONTACTOR_CLOSED = 17;
        /// Shed for lack of current (LB-5).
        SHED = 18;
        /// The EV is idle; its allocation is at its minimum (LB-10).
        EV_IDLE = 19;
        /// Stopped for EV over-current (LB-9 / PS-4), latched until the vehicle leaves.
        EV_OVERCURRENT = 20;
        /// A fault holds this point.
        FAULT = 21;
        /// The point's or a node's set point is stale: the fail-safe current applies (LB-8).
        FALLBACK = 22;
        /// A graceful stop waits for the EV to leave C (PS-4).
        STOPPING = 23;
        /// The cable's PP resistance is outside every band, or no cable with a vehicle (CAB-2).
        CABLE_FAULT = 24;
        /// Welded contactor, latched until an explicit reset (CT-1).
        WELDED = 25;
        /// The ceiling is derated, or the point paused, by temperature (TH-1).
        THERMAL = 26;
        /// Core drives the State F wake-up (PS-7).
        WAKE_UP = 27;
        /// The vehicle diode is missing or shorted (PS-2), latched until state A.
        DIODE_FAULT = 28;
    }
}

bitflags_u32! {
    /// Station error bits (SPEC §5.4). Bit numbers never change; bit 11 is "power meter
    /// communication lost" as in the reference product. Per-point bits cover points 1 and 2.
    StationErrors {
        /// Protection devices tripped (IN-2).
        PROTECTION_TRIPPED = 0;
        /// The clock went backwards (SU-3).
        CLOCK_FAULT = 1;
        /// A step gap longer than the maximum (SU-3).
        STEP_GAP = 2;
        /// A contactor was closed across a gap longer than the sample period (SU-3).
        GAP_WHILE_CLOSED = 3;
        /// Pilot fault on point 1.
        PILOT_FAULT_1 = 4;
        /// Pilot fault on point 2.
        PILOT_FAULT_2 = 5;
        /// Cable fault on point 1.
        CABLE_FAULT_1 = 6;
        /// Cable fault on point 2.
        CABLE_FAULT_2 = 7;
        /// Lock fault on point 1.
        LOCK_FAULT_1 = 8;
        /// Lock fault on point 2.
        LOCK_FAULT_2 = 9;
        /// Welded contactor (CT-1).
        WELDED_CONTACTOR = 10;
        /// Power meter communication lost (MT-2), bit 11 as in the reference product.
        METER_LOST = 11;
        /// An external set point is lost; a fail-safe current applies (LB-8).
        SETPOINT_LOST = 12;
        /// A node's measured load stayed above its limit beyond the response time (LB-9).
        OVERLOAD = 13;
        /// A site meter is stale (LB-14).
        SITE_METER_LOST = 14;
        /// A point is stopped for EV over-current (LB-9, PS-4).
        EV_OVERCURRENT = 15;
    }
}

bitflags_u32! {
    /// EX-2 commands holding a point, from a BMS (PLC) or OCPP. Any of them stops or prevents
    /// charging until lifted.
    Commands {
        /// Postpone charge.
        POSTPONE = 0;
        /// Suspend charge.
        SUSPEND = 1;
        /// Maintenance.
        MAINTENANCE = 2;
        /// Booked (reserved).
        BOOKED = 3;
        /// Unavailable (BMS).
        UNAVAILABLE = 4;
        /// Unavailable (OCPP ChangeAvailability).
        UNAVAILABLE_OCPP = 5;
    }
}

wire_enum!(PilotOutput, "pilot output", { Steady12V = 0, Pwm = 1, StateF = 2 });

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Location, NodeKind, ShedPriority};
    use crate::session::{BadgeKind, Remote};

    /// Wire values (STYLE.md): every valid number converts, the first invalid one is refused
    /// with its raw value, and a u32 beyond u8 is refused whole (not truncated).
    #[test]
    fn wire_values_convert_or_carry_the_raw_value() {
        assert_eq!(VehicleState::try_from(2u8), Ok(VehicleState::C));
        assert_eq!(BadgeKind::try_from(3u32), Ok(BadgeKind::Admin));
        assert_eq!(Remote::try_from(4u8), Ok(Remote::Reject));
        assert_eq!(NodeKind::try_from(2u8), Ok(NodeKind::Station));
        assert_eq!(
            ShedPriority::try_from(1u8),
            Ok(ShedPriority::EnergyDelivered)
        );
        assert_eq!(PilotOutput::try_from(2u8), Ok(PilotOutput::StateF));
        let e = Remote::try_from(5u8).unwrap_err();
        assert_eq!((e.what, e.value), ("remote command", 5));
        let e = Location::try_from(256u32).unwrap_err();
        assert_eq!((e.what, e.value), ("location", 256));
        let e = Phase::try_from(3u8).unwrap_err();
        assert_eq!(e.to_string(), "phase: 3 is not a valid value");
    }
}
