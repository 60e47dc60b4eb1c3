//! The session machine of one point (the session module's doc says what it does and the
//! choices it makes): `run` each step, its `deadline`, and the actuators it commands.

use super::{
    AuthLocation, AuthStrategy, Badge, BadgeKind, LastError, OutletStatus, Remote,
    UnreachableStrategy,
};
use crate::general::General;
use crate::state::{PointState, StationState, bits};
use crate::types::{Commands, VehicleState};

/// This step's facts about a point, as the session machine needs them.
#[derive(Clone, Copy, Debug)]
pub(crate) struct SessionView {
    pub vehicle: VehicleState,
    pub plug: bool,
    pub cable_fault: bool,
    pub lock_closed: Option<bool>,
    pub shutter_open: Option<bool>,
    pub badge: Option<Badge>,
    pub remote: Remote,
    pub offline: bool,
    pub commands: Commands,
}

/// Runs the session machine of one point for one step. Returns whether this step ended a
/// charge at once (an immediate stop, PS-4) rather than gracefully.
pub(crate) fn run(g: &General, st: &StationState, p: &mut PointState, v: &SessionView) -> bool {
    if p.status == OutletStatus::NotInitialized {
        p.status = OutletStatus::InitDone;
    }
    // Where the machine stands, but for the mark of whether it stopped while still moving.
    let at = |p: &PointState| (p.status, p.bits & !bits::SESS_MORE);
    if p.status == OutletStatus::ChargeLoopStarted {
        // The loop below would stop after this one phase whatever it does.
        let before = at(p);
        let immediate = charge_loop(st, p, v);
        let more = at(p) != before;
        p.put(bits::SESS_MORE, more);
        return immediate;
    }
    // Phases that complete at once run on in the same step (a plug-in under free access reaches
    // the charge loop in one step); the bound covers the longest chain of the machine.
    let mut immediate = false;
    // Whether the machine stopped while still moving: it may move on in the next step with the
    // same inputs (`deadline`).
    let mut more = false;
    for _ in 0..6 {
        let before = at(p);
        // (Never true here: the loop stops on reaching the charge loop, the one phase that stops
        // at once. Written without it, the step measured 1 % slower: the layout, docs.)
        immediate |= run_once(g, st, p, v);
        more = at(p) != before;
        if !more || p.status == OutletStatus::ChargeLoopStarted || immediate {
            break;
        }
        if matches!(
            p.status,
            OutletStatus::InitDone | OutletStatus::ChargeLoopEnded
        ) {
            // A session ended this step: the next one starts no sooner than the next step.
            break;
        }
    }
    p.put(bits::SESS_MORE, more);
    immediate
}

/// The earliest time after which the session machine of this point may move on with its inputs
/// as they are (ms; `u64::MAX` if it waits for an input): the next step where it stopped while
/// still moving, else the end of the phase timer it waits on (the authorisation timeout, or the
/// shutter, plug, lock, EV or unplug wait of the plug and unplug procedures, SPEC §2.1, CAB-1).
/// The timer of the sub-step the procedure is in, or an earlier one's where the procedure may
/// still wait on it: a step at a timer's end that changes nothing costs a step, one missed would
/// leave the session waiting past its time.
pub(crate) fn deadline(g: &General, st: &StationState, p: &PointState, now_ms: u64) -> u64 {
    if p.has(bits::SESS_MORE) {
        return now_ms.saturating_add(1);
    }
    let sc = &g.session;
    let ms = match p.status {
        OutletStatus::ChargeAuthorisationStarted => g.timers.auth_timeout_ms,
        OutletStatus::PlugProcedureStarted | OutletStatus::PlugProcedureDone => {
            if !p.has(bits::SESS_SHUTTER_DONE) {
                sc.shutter_ms
            } else if !p.has(bits::SESS_PLUG_DONE) {
                sc.plug_wait_ms
            } else if !p.has(bits::SESS_LOCK_DONE) {
                sc.lock_ms
            } else {
                sc.ev_wait_ms
            }
        }
        OutletStatus::UnplugProcedureStarted => {
            if p.has(bits::SESS_HELD) {
                // No timeout runs until the hold is gone (an input, or the contactor's opening).
                return u64::MAX;
            } else if !p.has(bits::SESS_UNLOCKED) {
                sc.lock_ms
            } else if !p.has(bits::SESS_REMOVED) {
                sc.unplug_wait_ms
            } else {
                sc.shutter_ms
            }
        }
        _ => return u64::MAX,
    };
    st.at(p.sess_since).saturating_add(u64::from(ms))
}

fn run_once(g: &General, st: &StationState, p: &mut PointState, v: &SessionView) -> bool {
    let sc = &g.session;
    let elapsed = |p: &PointState, ms: u32| st.passed(p.sess_since, ms);
    let mut immediate = false;
    match p.status {
        OutletStatus::NotInitialized
        | OutletStatus::InitDone
        | OutletStatus::Unavailable
        | OutletStatus::MaintenanceCity => idle(g, st, p, v),
        OutletStatus::ChargeAuthorisationStarted => {
            let decided = match v.remote {
                Remote::Accept => Some(true),
                Remote::Reject => Some(false),
                _ if v.offline => Some(match sc.unreachable {
                    UnreachableStrategy::AllowAll => true,
                    UnreachableStrategy::RejectAll => p.has(bits::SESS_CACHED),
                }),
                _ if elapsed(p, g.timers.auth_timeout_ms) => Some(false),
                _ => None,
            };
            match decided {
                Some(true) => authorised(st, p),
                Some(false) => {
                    p.last_error = LastError::BadgeUnknown;
                    to(st, p, OutletStatus::InitDone);
                }
                None => {}
            }
        }
        OutletStatus::ChargeAuthorisationDone
        | OutletStatus::ChargeContractStarted
        | OutletStatus::ChargeContractDone => authorised(st, p),
        OutletStatus::PlugProcedureStarted | OutletStatus::PlugProcedureDone => {
            plug_procedure(g, st, p, v);
        }
        OutletStatus::ChargeLoopStarted => immediate = charge_loop(st, p, v),
        OutletStatus::ChargeLoopEnded
        | OutletStatus::UnplugProcedureStarted
        | OutletStatus::UnplugProcedureDone => unplug_procedure(g, st, p, v),
    }
    immediate
}

fn to(st: &StationState, p: &mut PointState, s: OutletStatus) {
    p.status = s;
    p.sess_since = st.now;
}

fn idle(g: &General, st: &StationState, p: &mut PointState, v: &SessionView) {
    let sc = &g.session;
    let held = if v
        .commands
        .intersects(Commands::UNAVAILABLE | Commands::UNAVAILABLE_OCPP)
    {
        OutletStatus::Unavailable
    } else if v.commands.contains(Commands::MAINTENANCE) {
        OutletStatus::MaintenanceCity
    } else {
        OutletStatus::InitDone
    };
    p.status = held;
    if !v.plug || !v.vehicle.connected() {
        p.put(bits::SESS_REPLUG, false);
    }
    // A lock that reads locked at idle (commanded open) is abnormal; no session starts on it.
    if sc.lock && v.lock_closed == Some(true) && !p.has(bits::WELDED) {
        p.last_error = LastError::PlugOrShutterAbnormallyLocked;
        return;
    }
    if held != OutletStatus::InitDone || p.has(bits::WELDED) {
        return;
    }
    p.put(
        bits::SESS_VIP | bits::SESS_BOOKER | bits::SESS_CACHED,
        false,
    );
    if v.remote == Remote::Start {
        p.session_id = 0;
        authorised(st, p);
        return;
    }
    if sc.remote_start_required {
        return;
    }
    if let Some(b) = v.badge
        && sc.auth_location != AuthLocation::Disabled
    {
        badge_at_idle(g, st, p, b, v.commands);
        return;
    }
    // Free access: location "disabled", or the supervision unreachable with "allow all" (AU-4).
    // A session starts when a vehicle is plugged in, not on a cable alone left in the socket.
    let free = sc.auth_location == AuthLocation::Disabled
        || (v.offline
            && sc.unreachable == UnreachableStrategy::AllowAll
            && matches!(
                sc.auth_location,
                AuthLocation::Supervision | AuthLocation::Remote
            ));
    if free && v.plug && v.vehicle.connected() && !p.has(bits::SESS_REPLUG) {
        p.session_id = 0;
        authorised(st, p);
    }
}

/// AU-1 … AU-4 for a badge presented at an idle point.
fn badge_at_idle(g: &General, st: &StationState, p: &mut PointState, b: Badge, commands: Commands) {
    if b.kind == BadgeKind::Admin {
        return;
    }
    if commands.contains(Commands::BOOKED) && !b.booker {
        p.last_error = LastError::BadgeIsNotTheBooker;
        return;
    }
    p.session_id = b.id;
    p.put(bits::SESS_VIP, b.kind == BadgeKind::Vip);
    p.put(bits::SESS_BOOKER, b.booker);
    p.put(bits::SESS_CACHED, b.cached);
    match g.session.auth_location {
        AuthLocation::ChargingStation => {
            if b.kind == BadgeKind::Unknown
                && g.session.auth_strategy == AuthStrategy::RejectUnknown
            {
                p.last_error = LastError::BadgeUnknown;
            } else {
                authorised(st, p);
            }
        }
        AuthLocation::Remote | AuthLocation::Supervision => {
            to(st, p, OutletStatus::ChargeAuthorisationStarted);
        }
        AuthLocation::Disabled => authorised(st, p),
    }
}

/// Authorisation and contract done: the plug procedure starts, and the session's energy with it.
fn authorised(st: &StationState, p: &mut PointState) {
    p.energy = crate::meter::Energy::default();
    to(st, p, OutletStatus::PlugProcedureStarted);
    p.put(
        bits::SESS_SHUTTER_DONE | bits::SESS_PLUG_DONE | bits::SESS_LOCK_DONE,
        false,
    );
}

/// Ends the session with `err` (if any) and starts the unplug procedure.
fn end(st: &StationState, p: &mut PointState, err: Option<LastError>) {
    if let Some(e) = err {
        p.last_error = e;
    }
    let next = if p.status == OutletStatus::ChargeLoopStarted {
        OutletStatus::ChargeLoopEnded
    } else {
        OutletStatus::UnplugProcedureStarted
    };
    to(st, p, next);
    p.put(
        bits::SESS_UNLOCKED | bits::SESS_REMOVED | bits::SESS_HELD,
        false,
    );
    // An error that ends the session is what the point shows; the cable-left notice (CAB-1) is
    // for an EV that leaves, not for one that never came.
    p.put(bits::SESS_NOTIFIED, err.is_some());
    p.put(bits::SESS_REPLUG, true);
}

fn plug_procedure(g: &General, st: &StationState, p: &mut PointState, v: &SessionView) {
    let sc = &g.session;
    if v.remote == Remote::Stop {
        end(st, p, None);
        return;
    }
    if v.cable_fault {
        end(st, p, Some(LastError::PlugProcedureError));
        return;
    }
    // Each sub-step restarts the phase timer when it completes.
    if !p.has(bits::SESS_SHUTTER_DONE) {
        if !sc.shutter || v.shutter_open != Some(false) {
            done_sub(st, p, bits::SESS_SHUTTER_DONE);
        } else if st.passed(p.sess_since, sc.shutter_ms) {
            end(st, p, Some(LastError::ShutterNotOpened));
            return;
        } else {
            return;
        }
    }
    if !p.has(bits::SESS_PLUG_DONE) {
        if v.plug {
            done_sub(st, p, bits::SESS_PLUG_DONE);
        } else if st.passed(p.sess_since, sc.plug_wait_ms) {
            end(st, p, Some(LastError::PlugNotDetected));
            return;
        } else {
            return;
        }
    }
    if !p.has(bits::SESS_LOCK_DONE) {
        if !sc.lock || v.lock_closed != Some(false) {
            done_sub(st, p, bits::SESS_LOCK_DONE);
        } else if st.passed(p.sess_since, sc.lock_ms) {
            end(st, p, Some(LastError::PlugOrShutterAbnormallyNotLocked));
            return;
        } else {
            return;
        }
    }
    if v.vehicle.connected() {
        to(st, p, OutletStatus::ChargeLoopStarted);
    } else if !v.plug {
        // The plug went out again before the EV showed.
        end(st, p, Some(LastError::PlugProcedureError));
    } else if st.passed(p.sess_since, sc.ev_wait_ms) {
        end(st, p, Some(LastError::EvNotDetected));
    } else {
        p.status = OutletStatus::PlugProcedureDone;
    }
}

fn done_sub(st: &StationState, p: &mut PointState, bit: u64) {
    p.put(bit, true);
    p.sess_since = st.now;
}

/// The charge loop: who may stop it (AU-3), and what ends it. Returns whether the end is an
/// immediate stop.
fn charge_loop(st: &StationState, p: &mut PointState, v: &SessionView) -> bool {
    if p.has(bits::WELDED) {
        // CT-1: the session ends at once; the unplug procedure waits for the reset, locked.
        end(st, p, None);
        return true;
    }
    if let Some(b) = v.badge {
        if b.kind == BadgeKind::Admin || (b.id == p.session_id && p.session_id != 0) {
            end(st, p, None);
            return false;
        }
        p.last_error = LastError::BadgeIsNotTheCurrentUser;
    }
    if v.remote == Remote::Stop {
        end(st, p, None);
        return false;
    }
    if !v.vehicle.connected() {
        end(st, p, None);
        return true;
    }
    if v.lock_closed == Some(false) {
        end(st, p, Some(LastError::UnlockPlugInCharge));
        return true;
    }
    if v.shutter_open == Some(true) && !v.plug {
        end(st, p, Some(LastError::OnStreetOpenShutterInCharge));
        return true;
    }
    false
}

fn unplug_procedure(g: &General, st: &StationState, p: &mut PointState, v: &SessionView) {
    let sc = &g.session;
    if p.status == OutletStatus::UnplugProcedureDone {
        to(st, p, OutletStatus::InitDone);
        return;
    }
    p.status = OutletStatus::UnplugProcedureStarted;
    // CAB-1: the lock is released, except while a welded contactor holds it; and never under
    // load: the unlock (and its timeout) starts once the contactor is open.
    if p.has(bits::WELDED) || p.has(bits::CONTACTOR) {
        p.put(bits::SESS_HELD, true);
        return;
    }
    if p.has(bits::SESS_HELD) {
        // The unlock's timeout runs from the step that finds the hold gone (the reset, the
        // contactor's opening), however long ago the last step was.
        p.put(bits::SESS_HELD, false);
        p.sess_since = st.now;
    }
    if !p.has(bits::SESS_UNLOCKED) {
        if !sc.lock || v.lock_closed != Some(true) {
            done_sub(st, p, bits::SESS_UNLOCKED);
        } else if st.passed(p.sess_since, sc.lock_ms) {
            p.last_error = LastError::UnplugProcedureError;
            to(st, p, OutletStatus::InitDone);
            return;
        } else {
            return;
        }
    }
    if !p.has(bits::SESS_REMOVED) {
        let gone = !v.plug && !v.vehicle.connected();
        if gone {
            done_sub(st, p, bits::SESS_REMOVED);
        } else if !v.vehicle.connected() && v.plug && sc.allow_cable_left {
            // CAB-1: the cable may stay; the session is over.
            to(st, p, OutletStatus::InitDone);
            return;
        } else {
            if !v.vehicle.connected() && v.plug && !p.has(bits::SESS_NOTIFIED) {
                // CAB-1: the EV left, the cable stays: notify at once.
                p.last_error = LastError::PlugStillDetected;
                p.put(bits::SESS_NOTIFIED, true);
            }
            if st.passed(p.sess_since, sc.unplug_wait_ms) {
                p.last_error = if v.vehicle.connected() {
                    LastError::EvStillDetected
                } else {
                    LastError::PlugStillDetected
                };
                to(st, p, OutletStatus::InitDone);
            }
            return;
        }
    }
    if sc.shutter && v.shutter_open == Some(true) {
        if st.passed(p.sess_since, sc.shutter_ms) {
            p.last_error = LastError::ShutterNotClosed;
            to(st, p, OutletStatus::InitDone);
        }
        return;
    }
    p.put(bits::SESS_NOTIFIED, false);
    to(st, p, OutletStatus::UnplugProcedureDone);
}

/// What the lock and shutter should be commanded to (true: locked / open). The lock holds from
/// the plug's detection in the plug procedure through the charge loop, and for as long as the
/// contactor is closed or welded (CAB-1, CT-1): never released under load.
pub(crate) fn actuators(g: &General, p: &PointState) -> (bool, bool) {
    let s = p.status;
    let in_use = matches!(
        s,
        OutletStatus::PlugProcedureDone
            | OutletStatus::ChargeLoopStarted
            | OutletStatus::ChargeLoopEnded
    ) || (s == OutletStatus::PlugProcedureStarted && p.has(bits::SESS_PLUG_DONE));
    let lock = g.session.lock && (in_use || p.has(bits::WELDED | bits::CONTACTOR));
    let shutter = g.session.shutter
        && (matches!(
            s,
            OutletStatus::PlugProcedureStarted
                | OutletStatus::PlugProcedureDone
                | OutletStatus::ChargeLoopStarted
                | OutletStatus::ChargeLoopEnded
        ) || (s == OutletStatus::UnplugProcedureStarted && !p.has(bits::SESS_REMOVED)));
    (lock, shutter)
}
