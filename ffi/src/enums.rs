//! The C enums of the input and configuration structs, the EX-2 command bits, and their checked
//! conversions to core.
//!
//! Input structs carry enums as plain `uint32_t` and booleans as `uint8_t` (a C enum or `bool` out
//! of range would be undefined behaviour on the Rust side, STYLE.md); each value is converted here
//! and refused when it names no variant. The numbers below are the ABI: they never change. For
//! phase, phase count, socket and vehicle state core's own wire numbers are the ABI's, so core's
//! `TryFrom<u32>` is used; the others are mapped here explicitly, against the constants of the C
//! enum, so that the ABI numbers stay fixed whatever core's own numbering does.

use loadpilot_core::{
    AuthLocation, AuthStrategy, BadgeKind, Commands, Input1Function, Input2Function, Location,
    NodeKind, Phase, PhaseCount, Polarity, ProductFamily, Remote, ShedPriority, SocketType,
    UnreachableStrategy, VehicleState,
};

/// Product family (`lp_config.family`).
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum lp_product_family {
    /// On-street station: inputs In-1 / In-2.
    LP_FAMILY_CITY = 0,
    /// Car-park station: inputs In-1 / In-2.
    LP_FAMILY_PARKING = 1,
    /// Home wallbox: delayed start and temporary limitation inputs.
    LP_FAMILY_WALLBOX = 2,
}

/// Station location (`lp_config.location`, LOC-1).
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum lp_location {
    /// Indoors: an EV asking for ventilation (state D) is not charged.
    LP_LOCATION_INDOOR = 0,
    /// Outdoors: state D charges like state C.
    LP_LOCATION_OUTDOOR = 1,
}

/// Load-shedding priority (`lp_config.shed_priority`, LB-5).
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum lp_shed_priority {
    /// The point whose current charge started first is shed first.
    LP_SHED_CHARGE_DURATION = 0,
    /// The session that delivered the most energy is shed first.
    LP_SHED_ENERGY_DELIVERED = 1,
}

/// Contact polarity of a function input (IN-1).
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum lp_polarity {
    /// Active when the contact is closed.
    LP_POLARITY_NORMALLY_OPEN = 0,
    /// Active when the contact is open (a broken wire activates the function).
    LP_POLARITY_NORMALLY_CLOSED = 1,
}

/// Function of input 1 (IN-2, IN-3; IN-5 delayed start on a wallbox).
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum lp_input1_function {
    /// Not wired.
    LP_IN1_NOT_USED = 0,
    /// Protection devices (IN-2): when active every point stops at once.
    LP_IN1_PROTECTION_DEVICES = 1,
    /// Load shedding (IN-3): when active every ceiling is `inputs.load_shedding_ma`.
    LP_IN1_LOAD_SHEDDING = 2,
    /// Wallbox delayed start (IN-5).
    LP_IN1_DELAYED_START = 3,
}

/// Function of input 2 (IN-4; IN-5 temporary limitation on a wallbox).
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum lp_input2_function {
    /// Not wired.
    LP_IN2_NOT_USED = 0,
    /// Conditional start (IN-4): charging only while active.
    LP_IN2_CONDITIONAL_START = 1,
    /// Wallbox temporary limitation (IN-5): ceiling `inputs.temporary_limit_ma` while active.
    LP_IN2_TEMPORARY_LIMITATION = 2,
}

/// Kind of a limit-tree node (TREE-1).
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum lp_node_kind {
    /// The site supply (root), limit 0–10 000 A per phase.
    LP_NODE_SUPPLY = 0,
    /// A sub-circuit, limit 0–10 000 A per phase.
    LP_NODE_CIRCUIT = 1,
    /// A charging station, limit 0–64 A per phase.
    LP_NODE_STATION = 2,
}

/// Number of phases of a point (`lp_point_config.phases`).
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum lp_phases {
    /// Single-phase point.
    LP_PHASES_ONE = 1,
    /// Three-phase point.
    LP_PHASES_THREE = 3,
}

/// A supply phase (`lp_point_config.wiring`).
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum lp_phase {
    /// L1.
    LP_PHASE_L1 = 0,
    /// L2.
    LP_PHASE_L2 = 1,
    /// L3.
    LP_PHASE_L3 = 2,
}

/// Socket or cable type of a point.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum lp_socket {
    /// Type 2 socket.
    LP_SOCKET_T2 = 0,
    /// Type 3 socket.
    LP_SOCKET_T3 = 1,
    /// Domestic socket type E, no pilot (CAB-3).
    LP_SOCKET_TE = 2,
    /// Type 2 socket plus domestic socket.
    LP_SOCKET_T2TE = 3,
    /// Attached cable (Type 1 or Type 2): the proximity pin is ignored.
    LP_SOCKET_T1 = 4,
}

/// Where badges are checked (`lp_session_config.auth_location`, AU-2).
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum lp_auth_location {
    /// Free access: every plug-in starts a session under the default id tag (0).
    LP_AUTH_DISABLED = 0,
    /// Badges are checked at the station: the firmware looks them up and passes the kind.
    LP_AUTH_CHARGING_STATION = 1,
    /// A remote system decides (`remote` = LP_REMOTE_ACCEPT / LP_REMOTE_REJECT).
    LP_AUTH_REMOTE = 2,
    /// The supervision (OCPP) decides, likewise.
    LP_AUTH_SUPERVISION = 3,
}

/// Strategy at the charging station (AU-2).
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum lp_auth_strategy {
    /// Any badge may start.
    LP_AUTH_ALLOW_ALL = 0,
    /// Unknown badges are refused (`KO_BadgeUnknown`).
    LP_AUTH_REJECT_UNKNOWN = 1,
}

/// Strategy while the supervision is unreachable (AU-4).
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum lp_unreachable_strategy {
    /// Accept every badge.
    LP_UNREACHABLE_ALLOW_ALL = 0,
    /// Accept only badges in the authorisation cache (`badge_cached`).
    LP_UNREACHABLE_REJECT_ALL = 1,
}

/// The vehicle's pilot state as the firmware classified it (`lp_point_inputs.vehicle`, used only
/// when `has_cp` is 0).
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum lp_vehicle_state {
    /// +12 V: no vehicle.
    LP_VEHICLE_A = 0,
    /// +9 V: connected, not ready.
    LP_VEHICLE_B = 1,
    /// +6 V: ready to charge.
    LP_VEHICLE_C = 2,
    /// +3 V: ready, ventilation required.
    LP_VEHICLE_D = 3,
    /// 0 V: pilot shorted.
    LP_VEHICLE_E = 4,
    /// −12 V.
    LP_VEHICLE_F = 5,
    /// Outside every band.
    LP_VEHICLE_UNKNOWN = 6,
}

/// What the firmware's badge list says of a presented badge (AU-1).
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum lp_badge_kind {
    /// Not in the list.
    LP_BADGE_UNKNOWN = 0,
    /// Charges normally.
    LP_BADGE_USER = 1,
    /// Charges with priority (reduced and shed last).
    LP_BADGE_VIP = 2,
    /// Cannot charge; can stop any session.
    LP_BADGE_ADMIN = 3,
}

/// A remote command or authorisation decision for a point this step.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum lp_remote {
    /// Nothing.
    LP_REMOTE_NONE = 0,
    /// Start a session (OCPP RemoteStartTransaction, BMS).
    LP_REMOTE_START = 1,
    /// Stop the session.
    LP_REMOTE_STOP = 2,
    /// Accept the pending authorisation.
    LP_REMOTE_ACCEPT = 3,
    /// Reject the pending authorisation.
    LP_REMOTE_REJECT = 4,
}

// EX-2 command bits of `lp_point_inputs.commands` (core's `Commands`; bit numbers never change).
/// Postpone charge (EX-2).
pub const LP_COMMAND_POSTPONE: u32 = 1 << 0;
/// Suspend charge (EX-2).
pub const LP_COMMAND_SUSPEND: u32 = 1 << 1;
/// Maintenance (EX-2).
pub const LP_COMMAND_MAINTENANCE: u32 = 1 << 2;
/// Booked: only the booker's badge may start (EX-2, AU-3).
pub const LP_COMMAND_BOOKED: u32 = 1 << 3;
/// Unavailable (BMS, EX-2).
pub const LP_COMMAND_UNAVAILABLE: u32 = 1 << 4;
/// Unavailable (OCPP ChangeAvailability, EX-2).
pub const LP_COMMAND_UNAVAILABLE_OCPP: u32 = 1 << 5;
/// Every defined command bit; other bits are refused with `LP_BAD_ENUM`.
pub const LP_COMMAND_ALL: u32 = 0x3F;

/// Maps raw C values to core values by the constants of a C enum: `None` for any other value.
macro_rules! from_c {
    ($(#[$m:meta])* $name:ident: $c:ident -> $core:ty { $($v:ident => $cv:expr),+ $(,)? }) => {
        $(#[$m])*
        pub(crate) fn $name(raw: u32) -> Option<$core> {
            $(if raw == $c::$v as u32 { return Some($cv); })+
            None
        }
    };
}

from_c!(
    /// `lp_product_family` → core.
    family: lp_product_family -> ProductFamily {
        LP_FAMILY_CITY => ProductFamily::City,
        LP_FAMILY_PARKING => ProductFamily::Parking,
        LP_FAMILY_WALLBOX => ProductFamily::Wallbox,
    }
);
from_c!(
    /// `lp_location` → core.
    location: lp_location -> Location {
        LP_LOCATION_INDOOR => Location::Indoor,
        LP_LOCATION_OUTDOOR => Location::Outdoor,
    }
);
from_c!(
    /// `lp_shed_priority` → core.
    shed_priority: lp_shed_priority -> ShedPriority {
        LP_SHED_CHARGE_DURATION => ShedPriority::ChargeDuration,
        LP_SHED_ENERGY_DELIVERED => ShedPriority::EnergyDelivered,
    }
);
from_c!(
    /// `lp_polarity` → core.
    polarity: lp_polarity -> Polarity {
        LP_POLARITY_NORMALLY_OPEN => Polarity::NormallyOpen,
        LP_POLARITY_NORMALLY_CLOSED => Polarity::NormallyClosed,
    }
);
from_c!(
    /// `lp_input1_function` → core.
    input1: lp_input1_function -> Input1Function {
        LP_IN1_NOT_USED => Input1Function::NotUsed,
        LP_IN1_PROTECTION_DEVICES => Input1Function::ProtectionDevices,
        LP_IN1_LOAD_SHEDDING => Input1Function::LoadShedding,
        LP_IN1_DELAYED_START => Input1Function::DelayedStart,
    }
);
from_c!(
    /// `lp_input2_function` → core.
    input2: lp_input2_function -> Input2Function {
        LP_IN2_NOT_USED => Input2Function::NotUsed,
        LP_IN2_CONDITIONAL_START => Input2Function::ConditionalStart,
        LP_IN2_TEMPORARY_LIMITATION => Input2Function::TemporaryLimitation,
    }
);
from_c!(
    /// `lp_node_kind` → core.
    node_kind: lp_node_kind -> NodeKind {
        LP_NODE_SUPPLY => NodeKind::Supply,
        LP_NODE_CIRCUIT => NodeKind::Circuit,
        LP_NODE_STATION => NodeKind::Station,
    }
);
from_c!(
    /// `lp_auth_location` → core.
    auth_location: lp_auth_location -> AuthLocation {
        LP_AUTH_DISABLED => AuthLocation::Disabled,
        LP_AUTH_CHARGING_STATION => AuthLocation::ChargingStation,
        LP_AUTH_REMOTE => AuthLocation::Remote,
        LP_AUTH_SUPERVISION => AuthLocation::Supervision,
    }
);
from_c!(
    /// `lp_auth_strategy` → core.
    auth_strategy: lp_auth_strategy -> AuthStrategy {
        LP_AUTH_ALLOW_ALL => AuthStrategy::AllowAll,
        LP_AUTH_REJECT_UNKNOWN => AuthStrategy::RejectUnknown,
    }
);
from_c!(
    /// `lp_unreachable_strategy` → core.
    unreachable: lp_unreachable_strategy -> UnreachableStrategy {
        LP_UNREACHABLE_ALLOW_ALL => UnreachableStrategy::AllowAll,
        LP_UNREACHABLE_REJECT_ALL => UnreachableStrategy::RejectAll,
    }
);
from_c!(
    /// `lp_badge_kind` → core.
    badge_kind: lp_badge_kind -> BadgeKind {
        LP_BADGE_UNKNOWN => BadgeKind::Unknown,
        LP_BADGE_USER => BadgeKind::User,
        LP_BADGE_VIP => BadgeKind::Vip,
        LP_BADGE_ADMIN => BadgeKind::Admin,
    }
);
from_c!(
    /// `lp_remote` → core.
    remote: lp_remote -> Remote {
        LP_REMOTE_NONE => Remote::None,
        LP_REMOTE_START => Remote::Start,
        LP_REMOTE_STOP => Remote::Stop,
        LP_REMOTE_ACCEPT => Remote::Accept,
        LP_REMOTE_REJECT => Remote::Reject,
    }
);

/// `lp_phases` → core (core's wire conversion).
pub(crate) fn phases(raw: u32) -> Option<PhaseCount> {
    PhaseCount::try_from(raw).ok()
}

/// `lp_phase` → core (core's wire conversion).
pub(crate) fn phase(raw: u32) -> Option<Phase> {
    Phase::try_from(raw).ok()
}

/// `lp_socket` → core (core's wire conversion).
pub(crate) fn socket(raw: u32) -> Option<SocketType> {
    SocketType::try_from(raw).ok()
}

/// `lp_vehicle_state` → core (core's wire conversion).
pub(crate) fn vehicle(raw: u32) -> Option<VehicleState> {
    VehicleState::try_from(raw).ok()
}

/// A C boolean: 0 or 1, anything else refused.
pub(crate) fn boolean(raw: u8) -> Option<bool> {
    match raw {
        0 => Some(false),
        1 => Some(true),
        _ => None,
    }
}

/// EX-2 command bits; unknown bits refused.
pub(crate) fn commands(raw: u32) -> Option<Commands> {
    (raw & !LP_COMMAND_ALL == 0).then_some(Commands(raw))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Proves the EX-2 command bits are core's, and unknown bits are refused.
    #[test]
    fn ex2_command_bits_match_core() {
        let cmd = [
            (LP_COMMAND_POSTPONE, Commands::POSTPONE),
            (LP_COMMAND_SUSPEND, Commands::SUSPEND),
            (LP_COMMAND_MAINTENANCE, Commands::MAINTENANCE),
            (LP_COMMAND_BOOKED, Commands::BOOKED),
            (LP_COMMAND_UNAVAILABLE, Commands::UNAVAILABLE),
            (LP_COMMAND_UNAVAILABLE_OCPP, Commands::UNAVAILABLE_OCPP),
        ];
        let mut all = 0;
        for (c, k) in cmd {
            assert_eq!(c, k.0);
            all |= c;
        }
        assert_eq!(all, LP_COMMAND_ALL);
        assert_eq!(commands(1 << 6), None);
    }

    /// Proves that input enums out of range are refused, not converted (STYLE.md wire values).
    #[test]
    fn input_enums_refuse_values_out_of_range() {
        assert_eq!(family(2), Some(ProductFamily::Wallbox));
        assert_eq!(family(3), None);
        assert_eq!(phases(2), None);
        assert_eq!(phases(3), Some(PhaseCount::Three));
        assert_eq!(vehicle(7), None);
        assert_eq!(vehicle(u32::MAX), None);
        assert_eq!(remote(5), None);
        assert_eq!(badge_kind(4), None);
        assert_eq!(boolean(2), None);
        assert_eq!(boolean(1), Some(true));
        assert_eq!(input1(4), None);
        assert_eq!(input2(3), None);
        assert_eq!(node_kind(3), None);
        assert_eq!(socket(5), None);
        assert_eq!(phase(3), None);
    }
}
