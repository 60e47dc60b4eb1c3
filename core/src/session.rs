//! The outlet status machine of a charging session (SPEC §5.1, §5.2), with badge authorisation
//! (AU-1 … AU-4), remote start and stop, booking (AU-3), the remote-start requirement (EX-2) and
//! the cable rules of the unplug procedure (CAB-1).
//!
//! A session runs: idle (`OK_InitDone`) → authorisation → contract → plug procedure (open the
//! shutter, detect the plug, lock it, detect the EV) → charge loop → unplug procedure (unlock,
//! cable removed, close the shutter) → idle. Each waiting phase has a timeout; each unexpected
//! event sets the point's last error (`KO_*`) and ends the session. Only in the charge loop may
//! the energy controller give the point current.
//!
//! Choices where the SPEC is silent:
//! - Triggers at idle: a badge (location "charging station", "remote" or "supervision"), a plug-in
//!   (location "disabled": free access under the default id tag, id 0), or a remote start (any
//!   location; with "remote command required" the only trigger). A plug-in under a badge
//!   location waits for a badge without a timeout: nothing runs yet.
//! - An Admin badge never starts a session (AU-1); it may stop any session (AU-3).
//! - A remote or supervision decision that does not come within the authentication timeout is a
//!   rejection (`KO_BadgeUnknown`), as is an explicit reject. With the supervision unreachable,
//!   "allow all" accepts and "reject all" accepts only a badge the caller found in its cache.
//! - Feedback inputs that are `None` (no sensor) count as done at once.
//! - `KO_OnStreetOpenShutterInCharge`: in the charge loop the shutter reads open while no plug is
//!   detected (the socket stands open on the street); `KO_UnlockPlugInCharge`: the lock reads open
//!   in the charge loop. Both stop the charge at once.
//! - A badge during a phase other than idle and the charge loop is ignored.
//! - Under free access a session starts on a plug-in: after a session has ended, the plug (or
//!   the vehicle) must go away before the next one starts by itself, so a stopped charge does not
//!   restart on its own.

mod machine;
pub(crate) use machine::{SessionView, actuators, deadline, run};

/// Outlet status (SPEC §5.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[repr(u8)]
pub enum OutletStatus {
    /// `Not_Initialized`: before the first step.
    #[default]
    NotInitialized = 0,
    /// `OK_InitDone`: idle.
    InitDone = 1,
    /// `OK_ChargeAuthorisationStarted`: waiting for a remote or supervision decision.
    ChargeAuthorisationStarted = 2,
    /// `OK_ChargeAuthorisationDone`.
    ChargeAuthorisationDone = 3,
    /// `OK_ChargeContractStarted`.
    ChargeContractStarted = 4,
    /// `OK_ChargeContractDone`.
    ChargeContractDone = 5,
    /// `OK_PlugProcedureStarted`: open shutter, detect plug, lock, detect EV.
    PlugProcedureStarted = 6,
    /// `OK_PlugProcedureDone`.
    PlugProcedureDone = 7,
    /// `OK_ChargeLoopStarted`: the point may charge.
    ChargeLoopStarted = 8,
    /// `OK_ChargeLoopEnded`.
    ChargeLoopEnded = 9,
    /// `OK_UnplugProcedureStarted`: unlock, cable removed, close shutter.
    UnplugProcedureStarted = 10,
    /// `OK_UnplugProcedureDone`.
    UnplugProcedureDone = 11,
    /// `OK_Unavailable`: an unavailable command holds the idle point.
    Unavailable = 12,
    /// `OK_MaintenanceCity`: a maintenance command holds the idle point.
    MaintenanceCity = 13,
}

/// Last error of a point: the latest unexpected event (SPEC §5.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[repr(u8)]
pub enum LastError {
    /// None since start-up.
    #[default]
    None = 0,
    /// `KO_BadgeUnknown`.
    BadgeUnknown = 1,
    /// `KO_BadgeIsNotTheBooker`.
    BadgeIsNotTheBooker = 2,
    /// `KO_PlugOrShutterAbnormallyLocked`.
    PlugOrShutterAbnormallyLocked = 3,
    /// `KO_ShutterNotOpened`.
    ShutterNotOpened = 4,
    /// `KO_PlugNotDetected`.
    PlugNotDetected = 5,
    /// `KO_EvNotDetected`.
    EvNotDetected = 6,
    /// `KO_PlugOrShutterAbnormallyNotLocked`.
    PlugOrShutterAbnormallyNotLocked = 7,
    /// `KO_PlugProcedureError`.
    PlugProcedureError = 8,
    /// `KO_BadgeIsNotTheCurrentUser`.
    BadgeIsNotTheCurrentUser = 9,
    /// `KO_UnlockPlugInCharge`.
    UnlockPlugInCharge = 10,
    /// `KO_OnStreetOpenShutterInCharge`.
    OnStreetOpenShutterInCharge = 11,
    /// `KO_ShutterNotClosed`.
    ShutterNotClosed = 12,
    /// `KO_PlugStillDetected`.
    PlugStillDetected = 13,
    /// `KO_EVStillDetected`.
    EvStillDetected = 14,
    /// `KO_UnplugProcedureError`.
    UnplugProcedureError = 15,
}

/// Where badges are checked (SPEC §2.1, AU-2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[repr(u8)]
pub enum AuthLocation {
    /// Free access: every plug-in starts a charge under the default id tag.
    Disabled = 0,
    /// Badges checked against the station's own list (the caller looks them up).
    ChargingStation = 1,
    /// The decision comes from a remote system.
    Remote = 2,
    /// The decision comes from the supervision (OCPP).
    Supervision = 3,
}

/// Strategy at the charging station (AU-2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[repr(u8)]
pub enum AuthStrategy {
    /// Any badge may start.
    AllowAll = 0,
    /// Badges not in the list are refused (`KO_BadgeUnknown`).
    RejectUnknown = 1,
}

/// Strategy while the supervision is unreachable (AU-4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[repr(u8)]
pub enum UnreachableStrategy {
    /// Free access.
    AllowAll = 0,
    /// Only badges in the authorisation cache.
    RejectAll = 1,
}

/// What the caller's badge list says of a presented badge (AU-1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[repr(u8)]
pub enum BadgeKind {
    /// Not in the list.
    Unknown = 0,
    /// Charges normally.
    User = 1,
    /// Charges with priority (reduced and shed last).
    Vip = 2,
    /// Cannot charge; can stop any session.
    Admin = 3,
}

/// A badge presented at a point this step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Badge {
    /// The caller's handle for the badge (non-zero; 0 is the default id tag).
    pub id: u32,
    /// What the badge list says.
    pub kind: BadgeKind,
    /// It is the badge the point is booked for (AU-3).
    pub booker: bool,
    /// It is in the supervision's authorisation cache and not expired (AU-4).
    pub cached: bool,
}

/// A remote command or decision for a point this step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[repr(u8)]
pub enum Remote {
    /// Nothing.
    #[default]
    None = 0,
    /// Start a session (OCPP RemoteStartTransaction, BMS).
    Start = 1,
    /// Stop the session.
    Stop = 2,
    /// Accept the pending authorisation.
    Accept = 3,
    /// Reject the pending authorisation.
    Reject = 4,
}

/// Session configuration (SPEC §2.1, §5.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct SessionConfig {
    /// Where badges are checked.
    pub auth_location: AuthLocation,
    /// Strategy at the charging station.
    pub auth_strategy: AuthStrategy,
    /// Strategy while the supervision is unreachable.
    pub unreachable: UnreachableStrategy,
    /// A plug-in or badge never starts a charge by itself: only a remote start does (EX-2).
    pub remote_start_required: bool,
    /// The cable may stay in the socket after the EV left (CAB-1).
    pub allow_cable_left: bool,
    /// The sockets have a shutter.
    pub shutter: bool,
    /// The sockets have a cable lock.
    pub lock: bool,
    /// Time for the shutter to open or close (0.5–30 s).
    pub shutter_ms: u32,
    /// Time for the lock to lock or unlock (0.5–30 s).
    pub lock_ms: u32,
    /// Time to plug in after authorisation (1 s – 10 min).
    pub plug_wait_ms: u32,
    /// Time for the EV to show after the plug is locked (1 s – 10 min).
    pub ev_wait_ms: u32,
    /// Time to remove the cable, or the EV, after unlocking (1 s – 1 h).
    pub unplug_wait_ms: u32,
}

impl Default for SessionConfig {
    fn default() -> Self {
        SessionConfig {
            auth_location: AuthLocation::Disabled,
            auth_strategy: AuthStrategy::AllowAll,
            unreachable: UnreachableStrategy::AllowAll,
            remote_start_required: false,
            allow_cable_left: false,
            shutter: false,
            lock: true,
            shutter_ms: 3_000,
            lock_ms: 2_000,
            plug_wait_ms: 60_000,
            ev_wait_ms: 60_000,
            unplug_wait_ms: 60_000,
        }
    }
}

crate::types::wire_enum!(AuthLocation, "authentication location", {
    Disabled = 0, ChargingStation = 1, Remote = 2, Supervision = 3
});
crate::types::wire_enum!(AuthStrategy, "authentication strategy", { AllowAll = 0, RejectUnknown = 1 });
crate::types::wire_enum!(UnreachableStrategy, "unreachable strategy", { AllowAll = 0, RejectAll = 1 });
crate::types::wire_enum!(BadgeKind, "badge kind", { Unknown = 0, User = 1, Vip = 2, Admin = 3 });
crate::types::wire_enum!(Remote, "remote command", { None = 0, Start = 1, Stop = 2, Accept = 3, Reject = 4 });
