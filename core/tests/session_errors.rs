//! Scenario tests of the last errors (SPEC §5.2) with the session timers at their boundaries
//! (§5.5: shutter time, plug wait, EV wait, lock time, unplug wait, authentication timeout), a
//! cable fault in the plug procedure (CAB-2) and a cable left in the socket (CAB-1), tick by tick
//! through the harness of `common/` (which also checks LB-1 and LB-3 in every step) and the
//! session steps of `common/sessions.rs`.
//!
//! Times are absolute ms from the first step; the harness steps every 10 ms. Feedback inputs
//! (`lock_closed`, `shutter_open`, the PP resistance) are set by the test. Timeouts are checked
//! at their boundary: one step before, still waiting; at it, the error.

mod common;

use common::Scenario;
use common::sessions::{SETTLE, SessionSteps, cfg, free_charge, scenario, user};
use loadpilot_core::{AuthLocation, LastError, OutletStatus, PointFlags, Remote, VehicleState};

/// A PP resistance in the 32 A band (CAB-2): a cable is in the socket.
const PP_32A: u32 = 220;
/// A PP resistance above every band: no cable in the socket.
const PP_NONE: u32 = 10_000;
/// A PP resistance below every band: a cable fault.
const PP_FAULT: u32 = 50;

// ---- §5.2 last errors (with the §5.5 timers at their boundaries) ----

/// Proves SPEC §5.2 `KO_PlugOrShutterAbnormallyLocked`: a lock that reads locked at an idle point
/// (commanded open) is reported and no session starts on a plug-in; once it reads open, the
/// plug-in starts the session.
#[test]
fn s5_2_ko_plug_or_shutter_abnormally_locked() {
    let mut s = scenario(cfg(AuthLocation::Disabled));
    s.pi(0, |pi| pi.lock_closed = Some(true));
    s.plug(0).at(1_000);
    s.expect_outlet(0, OutletStatus::InitDone)
        .expect_ko(0, LastError::PlugOrShutterAbnormallyLocked)
        .expect_actuators(0, false, false)
        .expect_no_charge(0);
    s.pi(0, |pi| pi.lock_closed = Some(false)).step();
    s.expect_outlet(0, OutletStatus::PlugProcedureStarted)
        .expect_actuators(0, true, false);
}

/// Proves SPEC §5.2 `KO_ShutterNotOpened` and §5.5 (shutter time): a shutter that does not read
/// open within `shutter_ms` (3 s) of the badge ends the session; one step before, it still waits.
#[test]
fn s5_5_shutter_open_timeout_gives_ko_shutter_not_opened() {
    let mut raw = cfg(AuthLocation::ChargingStation);
    raw.session.shutter = true;
    let mut s = scenario(raw);
    s.pi(0, |pi| pi.shutter_open = Some(false));
    s.at(100).present(0, user(7));
    let t0 = s.now();
    s.expect_outlet(0, OutletStatus::PlugProcedureStarted)
        .expect_actuators(0, false, true);
    s.at(t0 + 2_990)
        .expect_outlet(0, OutletStatus::PlugProcedureStarted)
        .expect_ko(0, LastError::None);
    s.step();
    s.expect_ko(0, LastError::ShutterNotOpened)
        .expect_outlet(0, OutletStatus::InitDone)
        .expect_actuators(0, false, false)
        .expect_no_charge(0);
}

/// Proves SPEC §5.2 `KO_PlugNotDetected` and §5.5 (plug wait): no plug within `plug_wait_ms`
/// (60 s) of the authorisation ends the session.
#[test]
fn s5_5_plug_wait_timeout_gives_ko_plug_not_detected() {
    let mut s = scenario(cfg(AuthLocation::ChargingStation));
    s.at(100).present(0, user(7));
    let t0 = s.now();
    s.at(t0 + 59_990)
        .expect_outlet(0, OutletStatus::PlugProcedureStarted)
        .expect_ko(0, LastError::None);
    s.step();
    s.expect_ko(0, LastError::PlugNotDetected)
        .expect_outlet(0, OutletStatus::InitDone);
    // The request is closed: a plug-in now starts nothing (a badge is needed).
    s.plug(0).at(t0 + 65_000);
    s.expect_outlet(0, OutletStatus::InitDone)
        .expect_no_charge(0);
}

/// A cable in the socket (PP in the 32 A band) with no EV on the pilot, lock feedback present.
fn cable_without_ev(lock_sensor: bool) -> (Scenario<1, 1>, u64) {
    let mut s = scenario(cfg(AuthLocation::ChargingStation));
    s.pi(0, |pi| {
        pi.pp_ohm = Some(PP_32A);
        pi.lock_closed = lock_sensor.then_some(false);
    });
    s.at(100).present(0, user(7));
    s.expect_actuators(0, true, false);
    if lock_sensor {
        s.expect_outlet(0, OutletStatus::PlugProcedureStarted);
        s.pi(0, |pi| pi.lock_closed = Some(true)).step();
    }
    let t0 = s.now();
    s.expect_outlet(0, OutletStatus::PlugProcedureDone)
        .expect_no_charge(0);
    (s, t0)
}

/// Proves SPEC §5.2 `KO_EvNotDetected` and §5.5 (EV wait): plug in and locked, but no EV on the
/// pilot within `ev_wait_ms` (60 s) of the lock: the session ends, nothing charged.
#[test]
fn s5_5_ev_wait_timeout_gives_ko_ev_not_detected() {
    let (mut s, t0) = cable_without_ev(true);
    s.at(t0 + 59_990)
        .expect_outlet(0, OutletStatus::PlugProcedureDone)
        .expect_ko(0, LastError::None);
    s.step();
    s.expect_ko(0, LastError::EvNotDetected)
        .expect_outlet(0, OutletStatus::UnplugProcedureStarted)
        .expect_no_charge(0);
}

/// Proves SPEC §5.2 `KO_EvNotDetected` on a point without lock sensor: the timeout's own error
/// is what the point shows in the step it happens (not replaced at once by the cable-left
/// notice of the unplug procedure, which concerns an EV that left).
#[test]
fn s5_2_ko_ev_not_detected_is_shown_without_lock_sensor() {
    let (mut s, t0) = cable_without_ev(false);
    s.at(t0 + 60_000);
    s.expect_ko(0, LastError::EvNotDetected).expect_no_charge(0);
}

/// Proves SPEC §5.2 `KO_PlugOrShutterAbnormallyNotLocked` and §5.5 (lock time): a lock that
/// does not read locked within `lock_ms` (2 s) of the plug-in ends the session; the PWM never
/// came on; the unplug procedure then waits for the vehicle.
#[test]
fn s5_5_lock_timeout_gives_ko_plug_or_shutter_abnormally_not_locked() {
    let mut s = scenario(cfg(AuthLocation::Disabled));
    s.pi(0, |pi| pi.lock_closed = Some(false));
    s.at(100).plug(0).step();
    let t0 = s.now();
    s.expect_outlet(0, OutletStatus::PlugProcedureStarted)
        .expect_actuators(0, true, false);
    s.at(t0 + 1_990)
        .expect_outlet(0, OutletStatus::PlugProcedureStarted)
        .expect_ko(0, LastError::None)
        .expect_no_charge(0);
    s.step();
    s.expect_ko(0, LastError::PlugOrShutterAbnormallyNotLocked)
        .expect_outlet(0, OutletStatus::UnplugProcedureStarted)
        .expect_no_charge(0);
    s.at(t0 + 30_000).expect_no_charge(0);
}

/// Proves SPEC §5.2 `KO_PlugProcedureError`: the plug goes out again before the EV showed.
#[test]
fn s5_2_ko_plug_procedure_error_plug_removed_before_ev() {
    let (mut s, t0) = cable_without_ev(false);
    s.at(t0 + 5_000)
        .pi(0, |pi| pi.pp_ohm = Some(PP_NONE))
        .step();
    s.expect_ko(0, LastError::PlugProcedureError)
        .expect_outlet(0, OutletStatus::InitDone)
        .expect_actuators(0, false, false)
        .expect_no_charge(0);
}

/// Proves SPEC §5.2 `KO_PlugProcedureError` and CAB-2: a cable fault in the plug procedure ends
/// the session before any current.
#[test]
fn s5_2_ko_plug_procedure_error_cable_fault() {
    let mut s = scenario(cfg(AuthLocation::ChargingStation));
    s.at(100).present(0, user(7));
    s.expect_outlet(0, OutletStatus::PlugProcedureStarted);
    s.pi(0, |pi| pi.pp_ohm = Some(PP_FAULT))
        .vehicle(0, VehicleState::B)
        .step();
    s.expect_ko(0, LastError::PlugProcedureError)
        .expect_outlet(0, OutletStatus::UnplugProcedureStarted)
        .expect_flag(0, PointFlags::CABLE_FAULT, true)
        .expect_no_charge(0);
    s.at(5_000).expect_no_charge(0);
}

/// Proves SPEC §5.2 `KO_UnlockPlugInCharge`: the lock reads open during the charge: immediate stop
/// (contactor open, PWM off in the same step).
#[test]
fn s5_2_ko_unlock_plug_in_charge() {
    let mut s = scenario(cfg(AuthLocation::Disabled));
    s.pi(0, |pi| pi.lock_closed = Some(false));
    s.plug(0).step();
    s.expect_outlet(0, OutletStatus::PlugProcedureStarted);
    s.pi(0, |pi| pi.lock_closed = Some(true)).at(SETTLE);
    s.expect_outlet(0, OutletStatus::ChargeLoopStarted)
        .expect_charging(0);
    s.pi(0, |pi| pi.lock_closed = Some(false)).step();
    s.expect_ko(0, LastError::UnlockPlugInCharge)
        .expect_outlet(0, OutletStatus::ChargeLoopEnded)
        .expect_no_charge(0);
}

/// Proves SPEC §5.2 `KO_OnStreetOpenShutterInCharge`: during the charge the shutter reads open
/// while no plug is in the socket: immediate stop.
#[test]
fn s5_2_ko_on_street_open_shutter_in_charge() {
    let mut raw = cfg(AuthLocation::Disabled);
    (raw.session.shutter, raw.session.lock) = (true, false);
    let mut s = scenario(raw);
    s.pi(0, |pi| {
        pi.shutter_open = Some(true);
        pi.pp_ohm = Some(PP_32A);
    });
    s.plug(0).at(SETTLE);
    s.expect_outlet(0, OutletStatus::ChargeLoopStarted)
        .expect_charging(0);
    s.pi(0, |pi| pi.pp_ohm = Some(PP_NONE)).step();
    s.expect_ko(0, LastError::OnStreetOpenShutterInCharge)
        .expect_outlet(0, OutletStatus::ChargeLoopEnded)
        .expect_no_charge(0);
}

/// Proves SPEC §5.2 `KO_ShutterNotClosed` and §5.5 (shutter time): after the cable is removed the
/// shutter must read closed within `shutter_ms` (3 s).
#[test]
fn s5_5_shutter_close_timeout_gives_ko_shutter_not_closed() {
    let mut raw = cfg(AuthLocation::Disabled);
    (raw.session.shutter, raw.session.lock) = (true, false);
    let mut s = scenario(raw);
    s.pi(0, |pi| pi.shutter_open = Some(true));
    s.plug(0).at(SETTLE).expect_charging(0);
    s.unplug(0).step().step();
    let t0 = s.now();
    s.expect_outlet(0, OutletStatus::UnplugProcedureStarted)
        .expect_actuators(0, false, false);
    s.at(t0 + 2_990)
        .expect_outlet(0, OutletStatus::UnplugProcedureStarted)
        .expect_ko(0, LastError::None);
    s.step();
    s.expect_ko(0, LastError::ShutterNotClosed)
        .expect_outlet(0, OutletStatus::InitDone)
        .expect_no_charge(0);
}

/// Proves SPEC §5.2 `KO_PlugStillDetected` (CAB-1) and §5.5 (unplug wait): the EV leaves but the
/// cable stays in the socket: notified at once; after `unplug_wait_ms` (60 s) the session is
/// given up with the same error.
#[test]
fn s5_5_unplug_wait_with_cable_left_gives_ko_plug_still_detected() {
    let mut s = scenario(cfg(AuthLocation::Disabled));
    s.pi(0, |pi| pi.pp_ohm = Some(PP_32A));
    s.plug(0).at(SETTLE).expect_charging(0);
    s.unplug(0).step();
    s.expect_outlet(0, OutletStatus::ChargeLoopEnded)
        .expect_no_charge(0);
    s.step();
    let t0 = s.now();
    s.expect_outlet(0, OutletStatus::UnplugProcedureStarted)
        .expect_ko(0, LastError::PlugStillDetected)
        .expect_actuators(0, false, false);
    s.at(t0 + 59_990)
        .expect_outlet(0, OutletStatus::UnplugProcedureStarted);
    s.step();
    s.expect_outlet(0, OutletStatus::InitDone)
        .expect_ko(0, LastError::PlugStillDetected)
        .expect_no_charge(0);
}

/// Proves CAB-1 with §5.2: with "cable may be left" the EV leaving while the cable stays ends
/// the session quietly (no error), and the cable hanging in the socket afterwards is no
/// plug-in: it starts no session that would time out (`KO_EvNotDetected`); a new EV charges.
#[test]
fn cab1_cable_left_ends_quietly_and_starts_nothing_by_itself() {
    let mut raw = cfg(AuthLocation::Disabled);
    raw.session.allow_cable_left = true;
    let mut s = scenario(raw);
    s.pi(0, |pi| pi.pp_ohm = Some(PP_32A));
    s.plug(0).at(SETTLE).expect_charging(0);
    s.unplug(0).step().step();
    s.expect_outlet(0, OutletStatus::InitDone)
        .expect_ko(0, LastError::None)
        .expect_no_charge(0);
    for t in (10_000..=180_000).step_by(10_000) {
        s.at(t).expect_ko(0, LastError::None).expect_no_charge(0);
    }
    s.plug(0).at(180_000 + SETTLE);
    s.expect_outlet(0, OutletStatus::ChargeLoopStarted)
        .expect_charging(0);
}

/// Proves SPEC §5.2 `KO_EVStillDetected` and §5.5 (unplug wait): after a stop the EV stays
/// plugged beyond `unplug_wait_ms` (60 s, counted from the unlock).
#[test]
fn s5_5_unplug_wait_with_ev_left_plugged_gives_ko_ev_still_detected() {
    let mut s = free_charge(cfg(AuthLocation::Disabled));
    // The EV follows the end of PWM (C -> B) and stays plugged in.
    s.send(0, Remote::Stop).vehicle(0, VehicleState::B).step();
    let t0 = s.now();
    s.expect_outlet(0, OutletStatus::UnplugProcedureStarted)
        .expect_actuators(0, false, false);
    // The unlock is done one step later, when the contactor reads open; the unplug wait runs
    // from there.
    s.at(t0 + 60_000)
        .expect_outlet(0, OutletStatus::UnplugProcedureStarted)
        .expect_ko(0, LastError::None)
        .expect_no_charge(0);
    s.step();
    s.expect_ko(0, LastError::EvStillDetected)
        .expect_outlet(0, OutletStatus::InitDone)
        .expect_no_charge(0);
}

/// Proves SPEC §5.2 `KO_UnplugProcedureError` and §5.5 (lock time): a lock that still reads
/// locked `lock_ms` (2 s) after the session ended; the point is then idle and, the lock still
/// reading locked, reports it as abnormally locked.
#[test]
fn s5_5_unlock_timeout_gives_ko_unplug_procedure_error() {
    let mut s = scenario(cfg(AuthLocation::Disabled));
    s.pi(0, |pi| pi.lock_closed = Some(false));
    s.plug(0).step();
    s.pi(0, |pi| pi.lock_closed = Some(true)).at(SETTLE);
    s.expect_charging(0);
    s.unplug(0).step();
    let t0 = s.now();
    s.expect_outlet(0, OutletStatus::ChargeLoopEnded)
        .expect_no_charge(0);
    s.at(t0 + 1_990)
        .expect_outlet(0, OutletStatus::UnplugProcedureStarted)
        .expect_ko(0, LastError::None);
    s.step();
    s.expect_ko(0, LastError::UnplugProcedureError)
        .expect_outlet(0, OutletStatus::InitDone);
    s.step()
        .expect_ko(0, LastError::PlugOrShutterAbnormallyLocked)
        .expect_no_charge(0);
}

/// Proves SPEC §5.5 (authentication timeout) and AU-2: no remote decision within
/// `auth_timeout_ms` (10 s) of the badge is a rejection (`KO_BadgeUnknown`).
#[test]
fn s5_5_auth_timeout_rejects() {
    let mut s = scenario(cfg(AuthLocation::Remote));
    s.at(100).present(0, user(7));
    let t0 = s.now();
    s.at(t0 + 9_990)
        .expect_outlet(0, OutletStatus::ChargeAuthorisationStarted)
        .expect_ko(0, LastError::None);
    s.step();
    s.expect_outlet(0, OutletStatus::InitDone)
        .expect_ko(0, LastError::BadgeUnknown);
}
