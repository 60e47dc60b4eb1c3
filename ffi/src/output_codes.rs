//! The codes of the output structs: the C enums of `lp_point_output` (carried as `uint8_t`), the
//! point flag and station error bits, and the conversions from core. Enum numbers are core's own
//! discriminants and never change; bit numbers are core's.

use loadpilot_core::cp::{CableStatus, EvseStatus};
use loadpilot_core::{
    AllocReason, LastError, OutletStatus, PilotOutput, PointFlags, StationErrors,
};

/// What the pilot driver must show (`lp_point_output.pilot`).
#[repr(u8)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum lp_pilot_output {
    /// Steady +12 V, no PWM.
    LP_PILOT_STEADY_12V = 0,
    /// 1 kHz PWM with `duty_permille`.
    LP_PILOT_PWM = 1,
    /// Steady −12 V (State F): not available, fault, or the PS-7 wake-up.
    LP_PILOT_STATE_F = 2,
}

/// The binding constraint of a point's allocation (`lp_point_output.reason`, LB-11).
/// `reason_node` names the tree node where one is involved.
#[repr(u8)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum lp_alloc_reason {
    /// No vehicle, or the vehicle does not ask for current.
    LP_REASON_NO_VEHICLE = 0,
    /// Not authorised to charge.
    LP_REASON_NOT_AUTHORISED = 1,
    /// A pilot fault or a latched fault on this point.
    LP_REASON_FAULT = 2,
    /// Protection devices tripped (IN-2).
    LP_REASON_PROTECTION_DEVICE = 3,
    /// The clock went backwards (SU-3).
    LP_REASON_CLOCK_FAULT = 4,
    /// An EX-2 command holds the point.
    LP_REASON_COMMAND = 5,
    /// A function input (IN-3, IN-4, IN-5).
    LP_REASON_INPUT = 6,
    /// State D indoors (LOC-1).
    LP_REASON_VENTILATION = 7,
    /// A tree node's limit (`reason_node`).
    LP_REASON_NODE_LIMIT = 8,
    /// The point's rated current.
    LP_REASON_RATED = 9,
    /// The point's derated current.
    LP_REASON_DERATED = 10,
    /// The cable's capacity (CAB-2).
    LP_REASON_CABLE = 11,
    /// The EV's own limit.
    LP_REASON_EV = 12,
    /// An external set point (EX-1) of the point or of `reason_node`.
    LP_REASON_SET_POINT = 13,
    /// A fail-safe current (LB-8) of the point or of `reason_node`.
    LP_REASON_FALLBACK = 14,
    /// Shed, or waiting for the start threshold to fit (LB-5, LB-6).
    LP_REASON_SHED = 15,
    /// Waiting for the minimum pause after a stop (LB-6).
    LP_REASON_MINIMUM_PAUSE = 16,
    /// A rise waits for the rise interval (PS-5).
    LP_REASON_RATE_LIMIT = 17,
    /// A rise waits until other EVs have reduced (LB-9).
    LP_REASON_TRANSFER = 18,
    /// A site meter is stale (LB-14).
    LP_REASON_SITE_METER_STALE = 19,
    /// The EV is idle (LB-10).
    LP_REASON_EV_IDLE = 20,
    /// A thermal limit (TH-1).
    LP_REASON_THERMAL = 21,
    /// The EV drew above its signalled current (LB-9).
    LP_REASON_EV_OVER_CURRENT = 22,
    /// The start stagger after a power return (SU-1).
    LP_REASON_STAGGER = 23,
    /// The session is not in its charge loop (§5.1).
    LP_REASON_SESSION = 24,
    /// The EV left C for B: stopped at once (PS-4); it may restart after its pause.
    LP_REASON_EV_NOT_READY = 25,
    /// A reason this version of the ABI does not know (a newer core).
    LP_REASON_OTHER = 255,
}

/// Outlet status (`lp_point_output.status`, SPEC §5.1).
#[repr(u8)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum lp_outlet_status {
    /// `Not_Initialized`.
    LP_STATUS_NOT_INITIALIZED = 0,
    /// `OK_InitDone`: idle.
    LP_STATUS_INIT_DONE = 1,
    /// `OK_ChargeAuthorisationStarted`.
    LP_STATUS_CHARGE_AUTHORISATION_STARTED = 2,
    /// `OK_ChargeAuthorisationDone`.
    LP_STATUS_CHARGE_AUTHORISATION_DONE = 3,
    /// `OK_ChargeContractStarted`.
    LP_STATUS_CHARGE_CONTRACT_STARTED = 4,
    /// `OK_ChargeContractDone`.
    LP_STATUS_CHARGE_CONTRACT_DONE = 5,
    /// `OK_PlugProcedureStarted`.
    LP_STATUS_PLUG_PROCEDURE_STARTED = 6,
    /// `OK_PlugProcedureDone`.
    LP_STATUS_PLUG_PROCEDURE_DONE = 7,
    /// `OK_ChargeLoopStarted`: the point may charge.
    LP_STATUS_CHARGE_LOOP_STARTED = 8,
    /// `OK_ChargeLoopEnded`.
    LP_STATUS_CHARGE_LOOP_ENDED = 9,
    /// `OK_UnplugProcedureStarted`.
    LP_STATUS_UNPLUG_PROCEDURE_STARTED = 10,
    /// `OK_UnplugProcedureDone`.
    LP_STATUS_UNPLUG_PROCEDURE_DONE = 11,
    /// `OK_Unavailable`.
    LP_STATUS_UNAVAILABLE = 12,
    /// `OK_MaintenanceCity`.
    LP_STATUS_MAINTENANCE_CITY = 13,
}

/// Last error of a point (`lp_point_output.last_error`, SPEC §5.2).
#[repr(u8)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum lp_last_error {
    /// None since start-up.
    LP_LAST_ERROR_NONE = 0,
    /// `KO_BadgeUnknown`.
    LP_LAST_ERROR_BADGE_UNKNOWN = 1,
    /// `KO_BadgeIsNotTheBooker`.
    LP_LAST_ERROR_BADGE_IS_NOT_THE_BOOKER = 2,
    /// `KO_PlugOrShutterAbnormallyLocked`.
    LP_LAST_ERROR_PLUG_OR_SHUTTER_ABNORMALLY_LOCKED = 3,
    /// `KO_ShutterNotOpened`.
    LP_LAST_ERROR_SHUTTER_NOT_OPENED = 4,
    /// `KO_PlugNotDetected`.
    LP_LAST_ERROR_PLUG_NOT_DETECTED = 5,
    /// `KO_EvNotDetected`.
    LP_LAST_ERROR_EV_NOT_DETECTED = 6,
    /// `KO_PlugOrShutterAbnormallyNotLocked`.
    LP_LAST_ERROR_PLUG_OR_SHUTTER_ABNORMALLY_NOT_LOCKED = 7,
    /// `KO_PlugProcedureError`.
    LP_LAST_ERROR_PLUG_PROCEDURE_ERROR = 8,
    /// `KO_BadgeIsNotTheCurrentUser`.
    LP_LAST_ERROR_BADGE_IS_NOT_THE_CURRENT_USER = 9,
    /// `KO_UnlockPlugInCharge`.
    LP_LAST_ERROR_UNLOCK_PLUG_IN_CHARGE = 10,
    /// `KO_OnStreetOpenShutterInCharge`.
    LP_LAST_ERROR_ON_STREET_OPEN_SHUTTER_IN_CHARGE = 11,
    /// `KO_ShutterNotClosed`.
    LP_LAST_ERROR_SHUTTER_NOT_CLOSED = 12,
    /// `KO_PlugStillDetected`.
    LP_LAST_ERROR_PLUG_STILL_DETECTED = 13,
    /// `KO_EVStillDetected`.
    LP_LAST_ERROR_EV_STILL_DETECTED = 14,
    /// `KO_UnplugProcedureError`.
    LP_LAST_ERROR_UNPLUG_PROCEDURE_ERROR = 15,
}

/// EVSE status (`lp_point_output.evse_status`, PS-6), named after the IEC states.
#[repr(u8)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum lp_evse_status {
    /// `A_Not_Present_12V`.
    LP_EVSE_A_NOT_PRESENT_12V = 0,
    /// `B_Present_9V`: B without PWM.
    LP_EVSE_B_PRESENT_9V = 1,
    /// `B_Present_Asked_9V_M12V`: B with PWM.
    LP_EVSE_B_PRESENT_ASKED_9V_M12V = 2,
    /// `C_Ready_6V`: C without PWM.
    LP_EVSE_C_READY_6V = 3,
    /// `C_Ready_6V_M12V`: C with PWM.
    LP_EVSE_C_READY_6V_M12V = 4,
    /// `D_Ready_VR_3V`: D without PWM.
    LP_EVSE_D_READY_VR_3V = 5,
    /// `D_Ready_VR_3V_M12V`: D with PWM.
    LP_EVSE_D_READY_VR_3V_M12V = 6,
    /// `E_ShortCut`.
    LP_EVSE_E_SHORT_CUT = 7,
    /// `F_NotAvailable`.
    LP_EVSE_F_NOT_AVAILABLE = 8,
}

/// What the proximity pin says (`lp_point_output.cable`, CAB-2).
#[repr(u8)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum lp_cable_status {
    /// `Not_Plugged` (also where PP is not measured).
    LP_CABLE_NOT_PLUGGED = 0,
    /// 13 A cable.
    LP_CABLE_13A = 1,
    /// 20 A cable.
    LP_CABLE_20A = 2,
    /// 32 A cable.
    LP_CABLE_32A = 3,
    /// 63 A cable (70 A on a single-phase point).
    LP_CABLE_63A_OR_70A = 4,
    /// Outside every band: cable fault.
    LP_CABLE_FAULT = 5,
}

// Point flag bits of `lp_point_output.flags` (core's `PointFlags`; SPEC §5.3 bits 0–15).
/// `Simplified_Mode_3`.
pub const LP_FLAG_SIMPLIFIED_MODE_3: u32 = 1 << 0;
/// `Normal_Mode_3`: a pilot-controlled charge.
pub const LP_FLAG_NORMAL_MODE_3: u32 = 1 << 1;
/// `Ventilation_Required`: the EV is in state D (LOC-1).
pub const LP_FLAG_VENTILATION_REQUIRED: u32 = 1 << 2;
/// `Cluster_Mode`.
pub const LP_FLAG_CLUSTER_MODE: u32 = 1 << 3;
/// `Single_Phase` charge (LB-12).
pub const LP_FLAG_SINGLE_PHASE: u32 = 1 << 4;
/// `Three_Phase` charge (LB-12).
pub const LP_FLAG_THREE_PHASE: u32 = 1 << 5;
/// `Domestic_Cable_Detected` (CAB-3).
pub const LP_FLAG_DOMESTIC_CABLE_DETECTED: u32 = 1 << 6;
/// `VIP_Badge_Mode` (AU-1).
pub const LP_FLAG_VIP_BADGE_MODE: u32 = 1 << 7;
/// `Unavailable_OCPP_Cmd_Received` (EX-2).
pub const LP_FLAG_UNAVAILABLE_OCPP_CMD: u32 = 1 << 8;
/// `Not_Enough_Energy_To_Start_Charge` (LB-6).
pub const LP_FLAG_NOT_ENOUGH_ENERGY_TO_START: u32 = 1 << 9;
/// `Charge_Postpone`.
pub const LP_FLAG_CHARGE_POSTPONE: u32 = 1 << 10;
/// `Maintenance_Plc_Cmd_Received` (EX-2).
pub const LP_FLAG_MAINTENANCE_PLC_CMD: u32 = 1 << 11;
/// `Booked_Plc_Cmd_Received` (EX-2).
pub const LP_FLAG_BOOKED_PLC_CMD: u32 = 1 << 12;
/// `Suspend_Plc_Cmd_Received` (EX-2).
pub const LP_FLAG_SUSPEND_PLC_CMD: u32 = 1 << 13;
/// `Unavailable_Plc_Cmd_Received` (EX-2).
pub const LP_FLAG_UNAVAILABLE_PLC_CMD: u32 = 1 << 14;
/// PWM is on.
pub const LP_FLAG_PWM_ON: u32 = 1 << 16;
/// The contactor is commanded closed.
pub const LP_FLAG_CONTACTOR_CLOSED: u32 = 1 << 17;
/// Shed for lack of current (LB-5).
pub const LP_FLAG_SHED: u32 = 1 << 18;
/// The EV is idle (LB-10).
pub const LP_FLAG_EV_IDLE: u32 = 1 << 19;
/// Stopped for EV over-current, latched until the vehicle leaves (LB-9, PS-4).
pub const LP_FLAG_EV_OVERCURRENT: u32 = 1 << 20;
/// A fault holds this point.
pub const LP_FLAG_FAULT: u32 = 1 << 21;
/// A set point is stale: a fail-safe current applies (LB-8).
pub const LP_FLAG_FALLBACK: u32 = 1 << 22;
/// A graceful stop waits for the EV to leave C (PS-4).
pub const LP_FLAG_STOPPING: u32 = 1 << 23;
/// Cable fault (CAB-2).
pub const LP_FLAG_CABLE_FAULT: u32 = 1 << 24;
/// Welded contactor, latched until `reset` (CT-1).
pub const LP_FLAG_WELDED: u32 = 1 << 25;
/// Derated or paused by temperature (TH-1).
pub const LP_FLAG_THERMAL: u32 = 1 << 26;
/// Core drives the State F wake-up (PS-7).
pub const LP_FLAG_WAKE_UP: u32 = 1 << 27;
/// Vehicle diode missing or shorted, latched until state A (PS-2).
pub const LP_FLAG_DIODE_FAULT: u32 = 1 << 28;

// Station error bits of `lp_outputs.station_errors` (core's `StationErrors`, SPEC §5.4).
/// Protection devices tripped (IN-2).
pub const LP_STATION_PROTECTION_TRIPPED: u32 = 1 << 0;
/// The clock went backwards (SU-3).
pub const LP_STATION_CLOCK_FAULT: u32 = 1 << 1;
/// A step gap longer than `timers.max_gap_ms` (SU-3).
pub const LP_STATION_STEP_GAP: u32 = 1 << 2;
/// A contactor was closed across a gap longer than the sample period (SU-3).
pub const LP_STATION_GAP_WHILE_CLOSED: u32 = 1 << 3;
/// Pilot fault on point 1.
pub const LP_STATION_PILOT_FAULT_1: u32 = 1 << 4;
/// Pilot fault on point 2.
pub const LP_STATION_PILOT_FAULT_2: u32 = 1 << 5;
/// Cable fault on point 1.
pub const LP_STATION_CABLE_FAULT_1: u32 = 1 << 6;
/// Cable fault on point 2.
pub const LP_STATION_CABLE_FAULT_2: u32 = 1 << 7;
/// Lock fault on point 1.
pub const LP_STATION_LOCK_FAULT_1: u32 = 1 << 8;
/// Lock fault on point 2.
pub const LP_STATION_LOCK_FAULT_2: u32 = 1 << 9;
/// Welded contactor (CT-1).
pub const LP_STATION_WELDED_CONTACTOR: u32 = 1 << 10;
/// Power meter communication lost (MT-2).
pub const LP_STATION_METER_LOST: u32 = 1 << 11;
/// An external set point is lost; a fail-safe current applies (LB-8).
pub const LP_STATION_SETPOINT_LOST: u32 = 1 << 12;
/// A node's measured load stayed above its limit (LB-9).
pub const LP_STATION_OVERLOAD: u32 = 1 << 13;
/// A site meter is stale (LB-14).
pub const LP_STATION_SITE_METER_LOST: u32 = 1 << 14;
/// A point is stopped for EV over-current (LB-9, PS-4).
pub const LP_STATION_EV_OVERCURRENT: u32 = 1 << 15;

/// `lp_point_output.reason_node` when the reason involves no tree node.
pub const LP_NO_NODE: u16 = 0xFFFF;

/// Core's pilot output → `lp_pilot_output`.
pub(crate) fn pilot_out(p: PilotOutput) -> lp_pilot_output {
    match p {
        PilotOutput::Steady12V => lp_pilot_output::LP_PILOT_STEADY_12V,
        PilotOutput::Pwm => lp_pilot_output::LP_PILOT_PWM,
        PilotOutput::StateF => lp_pilot_output::LP_PILOT_STATE_F,
    }
}

/// Core's LB-11 reason → `lp_alloc_reason` (core's enum is non-exhaustive: a newer reason
/// becomes `LP_REASON_OTHER` until this ABI names it).
pub(crate) fn reason_out(r: AllocReason) -> lp_alloc_reason {
    use lp_alloc_reason as L;
    match r {
        AllocReason::NoVehicle => L::LP_REASON_NO_VEHICLE,
        AllocReason::NotAuthorised => L::LP_REASON_NOT_AUTHORISED,
        AllocReason::Fault => L::LP_REASON_FAULT,
        AllocReason::ProtectionDevice => L::LP_REASON_PROTECTION_DEVICE,
        AllocReason::ClockFault => L::LP_REASON_CLOCK_FAULT,
        AllocReason::Command => L::LP_REASON_COMMAND,
        AllocReason::Input => L::LP_REASON_INPUT,
        AllocReason::Ventilation => L::LP_REASON_VENTILATION,
        AllocReason::NodeLimit => L::LP_REASON_NODE_LIMIT,
        AllocReason::Rated => L::LP_REASON_RATED,
        AllocReason::Derated => L::LP_REASON_DERATED,
        AllocReason::Cable => L::LP_REASON_CABLE,
        AllocReason::Ev => L::LP_REASON_EV,
        AllocReason::SetPoint => L::LP_REASON_SET_POINT,
        AllocReason::Fallback => L::LP_REASON_FALLBACK,
        AllocReason::Shed => L::LP_REASON_SHED,
        AllocReason::MinimumPause => L::LP_REASON_MINIMUM_PAUSE,
        AllocReason::RateLimit => L::LP_REASON_RATE_LIMIT,
        AllocReason::Transfer => L::LP_REASON_TRANSFER,
        AllocReason::SiteMeterStale => L::LP_REASON_SITE_METER_STALE,
        AllocReason::EvIdle => L::LP_REASON_EV_IDLE,
        AllocReason::Thermal => L::LP_REASON_THERMAL,
        AllocReason::EvOverCurrent => L::LP_REASON_EV_OVER_CURRENT,
        AllocReason::Stagger => L::LP_REASON_STAGGER,
        AllocReason::Session => L::LP_REASON_SESSION,
        AllocReason::EvNotReady => L::LP_REASON_EV_NOT_READY,
        _ => L::LP_REASON_OTHER,
    }
}

/// Core's outlet status → `lp_outlet_status`.
pub(crate) fn status_out(s: OutletStatus) -> lp_outlet_status {
    use lp_outlet_status as L;
    match s {
        OutletStatus::NotInitialized => L::LP_STATUS_NOT_INITIALIZED,
        OutletStatus::InitDone => L::LP_STATUS_INIT_DONE,
        OutletStatus::ChargeAuthorisationStarted => L::LP_STATUS_CHARGE_AUTHORISATION_STARTED,
        OutletStatus::ChargeAuthorisationDone => L::LP_STATUS_CHARGE_AUTHORISATION_DONE,
        OutletStatus::ChargeContractStarted => L::LP_STATUS_CHARGE_CONTRACT_STARTED,
        OutletStatus::ChargeContractDone => L::LP_STATUS_CHARGE_CONTRACT_DONE,
        OutletStatus::PlugProcedureStarted => L::LP_STATUS_PLUG_PROCEDURE_STARTED,
        OutletStatus::PlugProcedureDone => L::LP_STATUS_PLUG_PROCEDURE_DONE,
        OutletStatus::ChargeLoopStarted => L::LP_STATUS_CHARGE_LOOP_STARTED,
        OutletStatus::ChargeLoopEnded => L::LP_STATUS_CHARGE_LOOP_ENDED,
        OutletStatus::UnplugProcedureStarted => L::LP_STATUS_UNPLUG_PROCEDURE_STARTED,
        OutletStatus::UnplugProcedureDone => L::LP_STATUS_UNPLUG_PROCEDURE_DONE,
        OutletStatus::Unavailable => L::LP_STATUS_UNAVAILABLE,
        OutletStatus::MaintenanceCity => L::LP_STATUS_MAINTENANCE_CITY,
    }
}

/// Core's last error → `lp_last_error`.
pub(crate) fn last_error_out(e: LastError) -> lp_last_error {
    use lp_last_error as L;
    match e {
        LastError::None => L::LP_LAST_ERROR_NONE,
        LastError::BadgeUnknown => L::LP_LAST_ERROR_BADGE_UNKNOWN,
        LastError::BadgeIsNotTheBooker => L::LP_LAST_ERROR_BADGE_IS_NOT_THE_BOOKER,
        LastError::PlugOrShutterAbnormallyLocked => {
            L::LP_LAST_ERROR_PLUG_OR_SHUTTER_ABNORMALLY_LOCKED
        }
        LastError::ShutterNotOpened => L::LP_LAST_ERROR_SHUTTER_NOT_OPENED,
        LastError::PlugNotDetected => L::LP_LAST_ERROR_PLUG_NOT_DETECTED,
        LastError::EvNotDetected => L::LP_LAST_ERROR_EV_NOT_DETECTED,
        LastError::PlugOrShutterAbnormallyNotLocked => {
            L::LP_LAST_ERROR_PLUG_OR_SHUTTER_ABNORMALLY_NOT_LOCKED
        }
        LastError::PlugProcedureError => L::LP_LAST_ERROR_PLUG_PROCEDURE_ERROR,
        LastError::BadgeIsNotTheCurrentUser => L::LP_LAST_ERROR_BADGE_IS_NOT_THE_CURRENT_USER,
        LastError::UnlockPlugInCharge => L::LP_LAST_ERROR_UNLOCK_PLUG_IN_CHARGE,
        LastError::OnStreetOpenShutterInCharge => L::LP_LAST_ERROR_ON_STREET_OPEN_SHUTTER_IN_CHARGE,
        LastError::ShutterNotClosed => L::LP_LAST_ERROR_SHUTTER_NOT_CLOSED,
        LastError::PlugStillDetected => L::LP_LAST_ERROR_PLUG_STILL_DETECTED,
        LastError::EvStillDetected => L::LP_LAST_ERROR_EV_STILL_DETECTED,
        LastError::UnplugProcedureError => L::LP_LAST_ERROR_UNPLUG_PROCEDURE_ERROR,
    }
}

/// Core's EVSE status → `lp_evse_status`.
pub(crate) fn evse_out(s: EvseStatus) -> lp_evse_status {
    use lp_evse_status as L;
    match s {
        EvseStatus::ANotPresent12V => L::LP_EVSE_A_NOT_PRESENT_12V,
        EvseStatus::BPresent9V => L::LP_EVSE_B_PRESENT_9V,
        EvseStatus::BPresentAsked9VM12V => L::LP_EVSE_B_PRESENT_ASKED_9V_M12V,
        EvseStatus::CReady6V => L::LP_EVSE_C_READY_6V,
        EvseStatus::CReady6VM12V => L::LP_EVSE_C_READY_6V_M12V,
        EvseStatus::DReadyVR3V => L::LP_EVSE_D_READY_VR_3V,
        EvseStatus::DReadyVR3VM12V => L::LP_EVSE_D_READY_VR_3V_M12V,
        EvseStatus::EShortCut => L::LP_EVSE_E_SHORT_CUT,
        EvseStatus::FNotAvailable => L::LP_EVSE_F_NOT_AVAILABLE,
    }
}

/// Core's cable status → `lp_cable_status`.
pub(crate) fn cable_out(c: CableStatus) -> lp_cable_status {
    use lp_cable_status as L;
    match c {
        CableStatus::NotPlugged => L::LP_CABLE_NOT_PLUGGED,
        CableStatus::A13 => L::LP_CABLE_13A,
        CableStatus::A20 => L::LP_CABLE_20A,
        CableStatus::A32 => L::LP_CABLE_32A,
        CableStatus::A63Or70 => L::LP_CABLE_63A_OR_70A,
        CableStatus::Fault => L::LP_CABLE_FAULT,
    }
}

/// Point flags as C sees them (the bit numbers are core's and never change).
pub(crate) fn flags_out(f: PointFlags) -> u32 {
    f.0
}

/// Station error bits as C sees them.
pub(crate) fn station_errors_out(e: StationErrors) -> u32 {
    e.0
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Proves the §5.3 and §5.4 bit numbers are the same on both sides of the ABI.
    #[test]
    fn s5_3_flag_and_station_error_bits_match_core() {
        let flags = [
            (LP_FLAG_SIMPLIFIED_MODE_3, PointFlags::SIMPLIFIED_MODE_3),
            (LP_FLAG_NORMAL_MODE_3, PointFlags::NORMAL_MODE_3),
            (
                LP_FLAG_VENTILATION_REQUIRED,
                PointFlags::VENTILATION_REQUIRED,
            ),
            (LP_FLAG_CLUSTER_MODE, PointFlags::CLUSTER_MODE),
            (LP_FLAG_SINGLE_PHASE, PointFlags::SINGLE_PHASE),
            (LP_FLAG_THREE_PHASE, PointFlags::THREE_PHASE),
            (
                LP_FLAG_DOMESTIC_CABLE_DETECTED,
                PointFlags::DOMESTIC_CABLE_DETECTED,
            ),
            (LP_FLAG_VIP_BADGE_MODE, PointFlags::VIP_BADGE_MODE),
            (
                LP_FLAG_UNAVAILABLE_OCPP_CMD,
                PointFlags::UNAVAILABLE_OCPP_CMD,
            ),
            (
                LP_FLAG_NOT_ENOUGH_ENERGY_TO_START,
                PointFlags::NOT_ENOUGH_ENERGY_TO_START,
            ),
            (LP_FLAG_CHARGE_POSTPONE, PointFlags::CHARGE_POSTPONE),
            (LP_FLAG_MAINTENANCE_PLC_CMD, PointFlags::MAINTENANCE_PLC_CMD),
            (LP_FLAG_BOOKED_PLC_CMD, PointFlags::BOOKED_PLC_CMD),
            (LP_FLAG_SUSPEND_PLC_CMD, PointFlags::SUSPEND_PLC_CMD),
            (LP_FLAG_UNAVAILABLE_PLC_CMD, PointFlags::UNAVAILABLE_PLC_CMD),
            (LP_FLAG_PWM_ON, PointFlags::PWM_ON),
            (LP_FLAG_CONTACTOR_CLOSED, PointFlags::CONTACTOR_CLOSED),
            (LP_FLAG_SHED, PointFlags::SHED),
            (LP_FLAG_EV_IDLE, PointFlags::EV_IDLE),
            (LP_FLAG_EV_OVERCURRENT, PointFlags::EV_OVERCURRENT),
            (LP_FLAG_FAULT, PointFlags::FAULT),
            (LP_FLAG_FALLBACK, PointFlags::FALLBACK),
            (LP_FLAG_STOPPING, PointFlags::STOPPING),
            (LP_FLAG_CABLE_FAULT, PointFlags::CABLE_FAULT),
            (LP_FLAG_WELDED, PointFlags::WELDED),
            (LP_FLAG_THERMAL, PointFlags::THERMAL),
            (LP_FLAG_WAKE_UP, PointFlags::WAKE_UP),
            (LP_FLAG_DIODE_FAULT, PointFlags::DIODE_FAULT),
        ];
        for (c, k) in flags {
            assert_eq!(c, flags_out(k));
        }
        let errors = [
            (
                LP_STATION_PROTECTION_TRIPPED,
                StationErrors::PROTECTION_TRIPPED,
            ),
            (LP_STATION_CLOCK_FAULT, StationErrors::CLOCK_FAULT),
            (LP_STATION_STEP_GAP, StationErrors::STEP_GAP),
            (LP_STATION_GAP_WHILE_CLOSED, StationErrors::GAP_WHILE_CLOSED),
            (LP_STATION_PILOT_FAULT_1, StationErrors::PILOT_FAULT_1),
            (LP_STATION_PILOT_FAULT_2, StationErrors::PILOT_FAULT_2),
            (LP_STATION_CABLE_FAULT_1, StationErrors::CABLE_FAULT_1),
            (LP_STATION_CABLE_FAULT_2, StationErrors::CABLE_FAULT_2),
            (LP_STATION_LOCK_FAULT_1, StationErrors::LOCK_FAULT_1),
            (LP_STATION_LOCK_FAULT_2, StationErrors::LOCK_FAULT_2),
            (LP_STATION_WELDED_CONTACTOR, StationErrors::WELDED_CONTACTOR),
            (LP_STATION_METER_LOST, StationErrors::METER_LOST),
            (LP_STATION_SETPOINT_LOST, StationErrors::SETPOINT_LOST),
            (LP_STATION_OVERLOAD, StationErrors::OVERLOAD),
            (LP_STATION_SITE_METER_LOST, StationErrors::SITE_METER_LOST),
            (LP_STATION_EV_OVERCURRENT, StationErrors::EV_OVERCURRENT),
        ];
        for (c, k) in errors {
            assert_eq!(c, station_errors_out(k));
        }
    }

    /// Proves that the C numbers of the output enums are core's own discriminants (LB-11, PS-6,
    /// §5.1, §5.2, CAB-2), so logs from Rust and from C read alike.
    #[test]
    fn lb11_output_enum_numbers_match_core() {
        for n in 0..=25u8 {
            // Every reason core can give maps to the C constant of the same number.
            let r = reason_out(any_reason(n));
            assert_eq!(r as u8, n);
        }
        assert_eq!(
            pilot_out(PilotOutput::StateF) as u8,
            PilotOutput::StateF as u8
        );
        assert_eq!(
            status_out(OutletStatus::MaintenanceCity) as u8,
            OutletStatus::MaintenanceCity as u8
        );
        assert_eq!(
            last_error_out(LastError::UnplugProcedureError) as u8,
            LastError::UnplugProcedureError as u8
        );
        assert_eq!(
            evse_out(EvseStatus::FNotAvailable) as u8,
            EvseStatus::FNotAvailable as u8
        );
        assert_eq!(
            cable_out(CableStatus::Fault) as u8,
            CableStatus::Fault as u8
        );
    }

    fn any_reason(n: u8) -> AllocReason {
        use AllocReason::*;
        [
            NoVehicle,
            NotAuthorised,
            Fault,
            ProtectionDevice,
            ClockFault,
            Command,
            Input,
            Ventilation,
            NodeLimit,
            Rated,
            Derated,
            Cable,
            Ev,
            SetPoint,
            Fallback,
            Shed,
            MinimumPause,
            RateLimit,
            Transfer,
            SiteMeterStale,
            EvIdle,
            Thermal,
            EvOverCurrent,
            Stagger,
            Session,
            EvNotReady,
        ][usize::from(n)]
    }
}
