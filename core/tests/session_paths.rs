//! Scenario tests of the session paths (SPEC §5.1 outlet status): free access, a badge or a
//! remote start before or after the plug-in at each authentication location (AU-2), the plug
//! and unplug procedures with lock and shutter feedback, the commands that hold an idle point or
//! stop a charge (EX-2), and bad input (events for a point with no session to take them), tick
//! by tick through the harness of `common/` (which also checks LB-1 and LB-3 in every step) and
//! the session steps of `common/sessions.rs`.
//!
//! Times are absolute ms from the first step; the harness steps every 10 ms. A badge or a remote
//! command is an event: it is presented for exactly one step (`present` / `send`). Feedback
//! inputs (`lock_closed`, `shutter_open`) are set by the test, or follow the commanded outputs one
//! step late (`run_actuators`), like a real lock and shutter.

mod common;

use common::sessions::{SETTLE, SessionSteps, admin, badge, cfg, free_charge, scenario, user};
use loadpilot_core::{
    AllocReason, AuthLocation, BadgeKind, Commands, LastError, OutletStatus, PilotOutput,
    PointFlags, Remote, VehicleState,
};

// ---- §5.1 session paths ----

/// Proves SPEC §5.1 (free access, AU-2 "disabled"): a plug-in starts the session and the charge;
/// pulling the plug ends it at once and the unplug procedure brings the point back to idle,
/// ready for the next plug-in.
#[test]
fn s5_1_free_access_plug_in_starts_and_unplug_ends_via_unplug_procedure() {
    let mut s = scenario(cfg(AuthLocation::Disabled));
    s.at(100)
        .expect_outlet(0, OutletStatus::InitDone)
        .expect_actuators(0, false, false)
        .expect_no_charge(0)
        .expect_reason(0, AllocReason::NoVehicle);
    s.plug(0).step();
    s.expect_outlet(0, OutletStatus::ChargeLoopStarted)
        .expect_session_id(0, 0)
        .expect_actuators(0, true, false)
        .expect_pilot(0, PilotOutput::Pwm);
    s.at(100 + SETTLE)
        .expect_charging(0)
        .expect_alloc(0, 32_000)
        .expect_ko(0, LastError::None);
    s.unplug(0).step();
    s.expect_outlet(0, OutletStatus::ChargeLoopEnded)
        .expect_no_charge(0);
    s.step();
    s.expect_outlet(0, OutletStatus::InitDone)
        .expect_actuators(0, false, false)
        .expect_ko(0, LastError::None);
    // The next plug-in is a new session.
    s.at(2_000).plug(0).step();
    s.expect_outlet(0, OutletStatus::ChargeLoopStarted);
    s.at(2_500).expect_charging(0);
}

/// Proves SPEC §5.1 (free access): a session stopped by a remote stop stays stopped while the
/// vehicle stays plugged (the unplug procedure waits, then gives up with `KO_EVStillDetected`):
/// it does not restart by itself; it restarts only after the vehicle went away and came back.
#[test]
fn s5_1_free_access_stopped_session_restarts_only_after_the_vehicle_left() {
    let mut s = free_charge(cfg(AuthLocation::Disabled));
    s.send(0, Remote::Stop);
    // Graceful stop: PWM off at once, the contactor waits for the EV (grace).
    s.expect_outlet(0, OutletStatus::ChargeLoopEnded)
        .expect_pilot(0, PilotOutput::Steady12V)
        .expect_alloc(0, 0);
    s.step()
        .expect_outlet(0, OutletStatus::UnplugProcedureStarted);
    s.at(SETTLE + 7_000).expect_no_charge(0);
    s.at(SETTLE + 70_000)
        .expect_outlet(0, OutletStatus::InitDone)
        .expect_ko(0, LastError::EvStillDetected);
    s.at(SETTLE + 100_000)
        .expect_outlet(0, OutletStatus::InitDone)
        .expect_no_charge(0);
    s.unplug(0).step().expect_outlet(0, OutletStatus::InitDone);
    s.plug(0)
        .step()
        .expect_outlet(0, OutletStatus::ChargeLoopStarted);
    let t = s.now();
    s.at(t + SETTLE).expect_charging(0);
}

/// Proves SPEC §5.1 (badge before plug-in, AU-2 "charging station"): the badge starts the plug
/// procedure, which waits for the plug; the plug-in reaches the charge loop; the same badge
/// stops the charge gracefully and the unplug procedure waits for the vehicle to leave.
#[test]
fn s5_1_badge_before_plug_in() {
    let mut s = scenario(cfg(AuthLocation::ChargingStation));
    s.at(100).present(0, user(7));
    s.expect_outlet(0, OutletStatus::PlugProcedureStarted)
        .expect_session_id(0, 7)
        .expect_actuators(0, false, false)
        .expect_no_charge(0);
    s.at(5_000)
        .expect_outlet(0, OutletStatus::PlugProcedureStarted)
        .expect_no_charge(0);
    s.plug(0).step();
    s.expect_outlet(0, OutletStatus::ChargeLoopStarted)
        .expect_actuators(0, true, false);
    s.at(5_000 + SETTLE).expect_charging(0);
    s.present(0, user(7));
    s.expect_outlet(0, OutletStatus::ChargeLoopEnded)
        .expect_pilot(0, PilotOutput::Steady12V)
        .expect_alloc(0, 0)
        .expect_ko(0, LastError::None);
    s.step()
        .expect_outlet(0, OutletStatus::UnplugProcedureStarted);
    s.at(20_000)
        .expect_outlet(0, OutletStatus::UnplugProcedureStarted)
        .expect_no_charge(0);
    s.unplug(0).step();
    s.expect_outlet(0, OutletStatus::InitDone)
        .expect_ko(0, LastError::None);
}

/// Proves SPEC §5.1: every session runs the whole plug and unplug procedures, whatever the one
/// before did. After a session that went through both, a badge before the plug-in again waits
/// for the plug (no `KO_PlugProcedureError` for a plug not there yet), and after the badge stop
/// an EV left plugged in is waited for again, `unplug_wait_ms` (60 s) from the unlock, then
/// `KO_EVStillDetected`.
#[test]
fn s5_1_a_second_session_runs_both_procedures_again() {
    let mut s = scenario(cfg(AuthLocation::ChargingStation));
    s.at(100).present(0, user(7));
    s.at(1_000).plug(0).at(1_000 + SETTLE).expect_charging(0);
    s.present(0, user(7));
    s.at(5_000).unplug(0).at(6_000);
    s.expect_outlet(0, OutletStatus::InitDone)
        .expect_ko(0, LastError::None);
    // The second session.
    s.at(10_000).present(0, user(8));
    s.at(15_000)
        .expect_outlet(0, OutletStatus::PlugProcedureStarted)
        .expect_session_id(0, 8)
        .expect_ko(0, LastError::None)
        .expect_no_charge(0);
    s.plug(0).at(15_000 + SETTLE).expect_charging(0);
    s.present(0, user(8));
    let stop = s.now();
    s.at(stop + 50_000)
        .expect_outlet(0, OutletStatus::UnplugProcedureStarted)
        .expect_ko(0, LastError::None)
        .expect_no_charge(0);
    // (The wait runs from the unlock, once the contactor opened after the grace time.)
    s.at(stop + 90_000)
        .expect_outlet(0, OutletStatus::InitDone)
        .expect_ko(0, LastError::EvStillDetected);
}

/// Proves SPEC §5.1 (plug-in before badge, AU-2 "charging station"): a plug-in alone starts
/// nothing (idle, reason NotAuthorised, no PWM); the badge then goes straight to the charge loop.
#[test]
fn s5_1_plug_in_before_badge() {
    let mut s = scenario(cfg(AuthLocation::ChargingStation));
    s.plug(0).at(3_000);
    s.expect_outlet(0, OutletStatus::InitDone)
        .expect_reason(0, AllocReason::NotAuthorised)
        .expect_no_charge(0);
    s.present(0, user(7));
    s.expect_outlet(0, OutletStatus::ChargeLoopStarted)
        .expect_session_id(0, 7);
    s.at(3_010 + SETTLE).expect_charging(0);
    s.unplug(0).step();
    s.expect_outlet(0, OutletStatus::ChargeLoopEnded)
        .expect_no_charge(0);
    s.step().expect_outlet(0, OutletStatus::InitDone);
}

/// Proves SPEC §5.1 (remote start, any location): with the vehicle plugged at a badge point, a
/// remote start goes to the charge loop under the default id tag; a remote stop ends it.
#[test]
fn s5_1_remote_start_with_the_vehicle_plugged_then_remote_stop() {
    let mut s = scenario(cfg(AuthLocation::ChargingStation));
    s.plug(0).at(1_000).expect_outlet(0, OutletStatus::InitDone);
    s.send(0, Remote::Start);
    s.expect_outlet(0, OutletStatus::ChargeLoopStarted)
        .expect_session_id(0, 0);
    s.at(1_010 + SETTLE).expect_charging(0);
    s.send(0, Remote::Stop);
    s.expect_outlet(0, OutletStatus::ChargeLoopEnded)
        .expect_pilot(0, PilotOutput::Steady12V)
        .expect_ko(0, LastError::None);
    s.step()
        .expect_outlet(0, OutletStatus::UnplugProcedureStarted);
}

/// Proves SPEC §5.1 (remote start before plug-in, location "remote"): the plug procedure waits
/// for the plug, then the charge starts.
#[test]
fn s5_1_remote_start_before_plug_in() {
    let mut s = scenario(cfg(AuthLocation::Remote));
    s.at(100).send(0, Remote::Start);
    s.expect_outlet(0, OutletStatus::PlugProcedureStarted)
        .expect_no_charge(0);
    s.at(10_000)
        .expect_outlet(0, OutletStatus::PlugProcedureStarted);
    s.plug(0)
        .step()
        .expect_outlet(0, OutletStatus::ChargeLoopStarted);
    s.at(10_010 + SETTLE).expect_charging(0);
}

/// Proves SPEC §5.1 and AU-2 (location "remote"): a badge opens `ChargeAuthorisationStarted`;
/// the user plugs in meanwhile (nothing charges, reason Session); the remote acceptance starts
/// the charge at once.
#[test]
fn s5_1_remote_authorisation_accepted_after_plug_in() {
    let mut s = scenario(cfg(AuthLocation::Remote));
    s.at(100).present(0, user(7));
    s.expect_outlet(0, OutletStatus::ChargeAuthorisationStarted)
        .expect_session_id(0, 7)
        .expect_no_charge(0);
    s.at(2_000).plug(0).at(5_000);
    s.expect_outlet(0, OutletStatus::ChargeAuthorisationStarted)
        .expect_reason(0, AllocReason::Session)
        .expect_no_charge(0);
    s.send(0, Remote::Accept);
    s.expect_outlet(0, OutletStatus::ChargeLoopStarted)
        .expect_session_id(0, 7);
    s.at(5_010 + SETTLE)
        .expect_charging(0)
        .expect_ko(0, LastError::None);
}

/// Proves SPEC §5.1, §5.2 `KO_BadgeUnknown` and AU-2 (location "supervision"): a rejection ends
/// the authorisation (idle, no charge, even with the vehicle plugged), and a late acceptance
/// for the closed request starts nothing.
#[test]
fn s5_1_supervision_authorisation_rejected() {
    let mut s = scenario(cfg(AuthLocation::Supervision));
    s.plug(0).at(100).present(0, user(7));
    s.expect_outlet(0, OutletStatus::ChargeAuthorisationStarted);
    s.at(1_000).send(0, Remote::Reject);
    s.expect_outlet(0, OutletStatus::InitDone)
        .expect_ko(0, LastError::BadgeUnknown)
        .expect_no_charge(0);
    s.at(2_000).send(0, Remote::Accept);
    s.expect_outlet(0, OutletStatus::InitDone);
    s.at(5_000)
        .expect_outlet(0, OutletStatus::InitDone)
        .expect_no_charge(0);
}

/// Proves SPEC §5.1 with lock and shutter feedback (plug procedure: open the shutter, detect the
/// plug, lock, detect the EV): the shutter is commanded open by the badge and the procedure
/// waits for it to read open; the lock is commanded only once the plug is in, and the charge
/// waits for it to read locked.
#[test]
fn s5_1_plug_procedure_opens_shutter_then_locks_after_plug() {
    let mut raw = cfg(AuthLocation::ChargingStation);
    raw.session.shutter = true;
    let mut s = scenario(raw);
    s.pi(0, |pi| {
        pi.lock_closed = Some(false);
        pi.shutter_open = Some(false);
    });
    s.at(100).expect_actuators(0, false, false);
    s.present(0, user(7));
    s.expect_outlet(0, OutletStatus::PlugProcedureStarted)
        .expect_actuators(0, false, true);
    s.at(500)
        .expect_outlet(0, OutletStatus::PlugProcedureStarted)
        .expect_actuators(0, false, true);
    s.pi(0, |pi| pi.shutter_open = Some(true)).step();
    s.expect_outlet(0, OutletStatus::PlugProcedureStarted)
        .expect_actuators(0, false, true);
    s.at(1_000).plug(0).step();
    // Plug in: lock commanded; no current before it reads locked.
    s.expect_outlet(0, OutletStatus::PlugProcedureStarted)
        .expect_actuators(0, true, true)
        .expect_reason(0, AllocReason::Session)
        .expect_no_charge(0);
    s.at(1_500).expect_no_charge(0);
    s.pi(0, |pi| pi.lock_closed = Some(true)).step();
    s.expect_outlet(0, OutletStatus::ChargeLoopStarted)
        .expect_actuators(0, true, true);
    s.at(1_510 + SETTLE).expect_charging(0);
}

/// Proves SPEC §5.1 (unplug procedure: unlock, cable removed, close the shutter): once the
/// session has ended and the contactor is open, the lock is commanded open and the procedure
/// waits for it to read open.
#[test]
fn s5_1_unplug_procedure_commands_unlock_and_waits_for_it() {
    let mut s = scenario(cfg(AuthLocation::ChargingStation));
    s.pi(0, |pi| pi.lock_closed = Some(false));
    s.plug(0).at(100).present(0, user(7));
    s.expect_outlet(0, OutletStatus::PlugProcedureStarted)
        .expect_actuators(0, true, false);
    s.pi(0, |pi| pi.lock_closed = Some(true)).step();
    s.expect_outlet(0, OutletStatus::ChargeLoopStarted);
    s.at(1_000).expect_charging(0).present(0, user(7));
    s.expect_outlet(0, OutletStatus::ChargeLoopEnded)
        .expect_actuators(0, true, false);
    // PWM is off; the EV leaves C, the contactor opens: only now may the lock open (never under
    // load, CAB-1).
    s.vehicle(0, VehicleState::B).step();
    // The lock still reads locked: the procedure must command it open to go on.
    s.expect_outlet(0, OutletStatus::UnplugProcedureStarted)
        .expect_actuators(0, false, false);
    s.pi(0, |pi| pi.lock_closed = Some(false)).step();
    s.expect_outlet(0, OutletStatus::UnplugProcedureStarted)
        .expect_actuators(0, false, false)
        .expect_ko(0, LastError::None);
    s.unplug(0).step();
    s.expect_outlet(0, OutletStatus::InitDone)
        .expect_ko(0, LastError::None);
}

/// Proves SPEC §5.1 (unplug procedure, shutter): the shutter stays commanded open until the
/// cable is removed, then is commanded closed and the procedure waits for it to read closed.
#[test]
fn s5_1_unplug_procedure_closes_shutter_after_cable_removed() {
    let mut raw = cfg(AuthLocation::Disabled);
    (raw.session.shutter, raw.session.lock) = (true, false);
    let mut s = scenario(raw);
    s.pi(0, |pi| pi.shutter_open = Some(true));
    s.plug(0).at(SETTLE);
    s.expect_outlet(0, OutletStatus::ChargeLoopStarted)
        .expect_actuators(0, false, true)
        .expect_charging(0);
    s.unplug(0).step();
    s.expect_outlet(0, OutletStatus::ChargeLoopEnded)
        .expect_no_charge(0);
    s.step();
    s.expect_outlet(0, OutletStatus::UnplugProcedureStarted)
        .expect_actuators(0, false, false);
    s.at(SETTLE + 1_000)
        .expect_outlet(0, OutletStatus::UnplugProcedureStarted);
    s.pi(0, |pi| pi.shutter_open = Some(false)).step();
    s.expect_outlet(0, OutletStatus::InitDone)
        .expect_ko(0, LastError::None)
        .expect_actuators(0, false, false);
}

/// Proves SPEC §5.1 end to end with a lock and a shutter that obey their commands one step
/// late: badge, shutter opens, plug-in, lock closes, charge, badge stop, lock opens, vehicle
/// and cable leave, shutter closes, idle; no last error anywhere.
#[test]
fn s5_1_full_session_with_lock_and_shutter_actuators() {
    let mut raw = cfg(AuthLocation::ChargingStation);
    raw.session.shutter = true;
    let mut s = scenario(raw);
    s.run_actuators(0, 100).present(0, user(7));
    s.expect_outlet(0, OutletStatus::PlugProcedureStarted);
    s.run_actuators(0, 1_000)
        .plug(0)
        .run_actuators(0, 1_000 + SETTLE);
    s.expect_outlet(0, OutletStatus::ChargeLoopStarted)
        .expect_actuators(0, true, true)
        .expect_charging(0);
    s.run_actuators(0, 5_000).present(0, user(7));
    s.expect_outlet(0, OutletStatus::ChargeLoopEnded);
    // The EV follows the end of PWM and leaves C; the contactor opens, then the lock.
    s.vehicle(0, VehicleState::B).run_actuators(0, 6_000);
    s.expect_outlet(0, OutletStatus::UnplugProcedureStarted)
        .expect_actuators(0, false, true)
        .expect_ko(0, LastError::None);
    s.unplug(0).run_actuators(0, 7_000);
    s.expect_outlet(0, OutletStatus::InitDone)
        .expect_actuators(0, false, false)
        .expect_ko(0, LastError::None);
}

/// Proves SPEC §5.1 `OK_Unavailable` / `OK_MaintenanceCity` and EX-2: while an unavailable (PLC or
/// OCPP) or maintenance command holds an idle point, it shows that status and a plug-in starts
/// nothing; once lifted, the plug-in starts the session.
#[test]
fn s5_1_unavailable_and_maintenance_hold_an_idle_point() {
    let mut s = scenario(cfg(AuthLocation::Disabled));
    s.command(0, Commands::UNAVAILABLE).step();
    s.expect_outlet(0, OutletStatus::Unavailable).expect_flag(
        0,
        PointFlags::UNAVAILABLE_PLC_CMD,
        true,
    );
    s.plug(0).at(2_000);
    s.expect_outlet(0, OutletStatus::Unavailable)
        .expect_no_charge(0);
    s.command(0, Commands::UNAVAILABLE_OCPP).at(3_000);
    s.expect_outlet(0, OutletStatus::Unavailable)
        .expect_flag(0, PointFlags::UNAVAILABLE_OCPP_CMD, true)
        .expect_no_charge(0);
    s.command(0, Commands::MAINTENANCE).at(4_000);
    s.expect_outlet(0, OutletStatus::MaintenanceCity)
        .expect_flag(0, PointFlags::MAINTENANCE_PLC_CMD, true)
        .expect_no_charge(0);
    s.command(0, Commands::EMPTY).step();
    s.expect_outlet(0, OutletStatus::ChargeLoopStarted);
    s.at(4_010 + SETTLE).expect_charging(0);
}

/// Proves EX-2: an unavailable command during a charge stops it (PWM off) and the charge
/// resumes when it is lifted (after the minimum pause of LB-6, 60 s from the stop).
#[test]
fn ex2_unavailable_during_a_charge_stops_it_until_lifted() {
    let mut s = free_charge(cfg(AuthLocation::Disabled));
    s.command(0, Commands::UNAVAILABLE).step();
    let t0 = s.now();
    s.expect_pilot(0, PilotOutput::Steady12V)
        .expect_alloc(0, 0)
        .expect_reason(0, AllocReason::Command);
    s.at(70_000)
        .expect_no_charge(0)
        .expect_reason(0, AllocReason::Command);
    s.command(0, Commands::EMPTY).at(70_000 + SETTLE);
    s.expect_outlet(0, OutletStatus::ChargeLoopStarted)
        .expect_charging(0);
    assert!(t0 + 60_000 < 70_000);
}

// ---- bad input: events for a point with no session to take them ----

/// Proves SPEC §5.1 (bad input): badges (the starter, another User, an Admin) during the unplug
/// procedure change nothing: no error, no restart, no current.
#[test]
fn s5_1_badge_during_unplug_procedure_is_ignored() {
    let mut s = scenario(cfg(AuthLocation::ChargingStation));
    s.plug(0).at(100).present(0, user(7));
    s.at(1_000).present(0, user(7)).step();
    s.expect_outlet(0, OutletStatus::UnplugProcedureStarted);
    for b in [user(7), user(8), admin(1), badge(9, BadgeKind::Vip)] {
        s.present(0, b);
        s.expect_outlet(0, OutletStatus::UnplugProcedureStarted)
            .expect_ko(0, LastError::None)
            .expect_alloc(0, 0)
            .expect_pilot(0, PilotOutput::Steady12V);
    }
    s.at(10_000).expect_no_charge(0);
    s.unplug(0).step();
    s.expect_outlet(0, OutletStatus::InitDone)
        .expect_ko(0, LastError::None);
}

/// Proves SPEC §5.1 (bad input): badges during the plug procedure change nothing: the session
/// keeps its id and goes on when the plug comes.
#[test]
fn s5_1_badge_during_plug_procedure_is_ignored() {
    let mut s = scenario(cfg(AuthLocation::ChargingStation));
    s.at(100).present(0, user(7));
    for b in [user(8), admin(1), user(7)] {
        s.present(0, b);
        s.expect_outlet(0, OutletStatus::PlugProcedureStarted)
            .expect_session_id(0, 7)
            .expect_ko(0, LastError::None)
            .expect_no_charge(0);
    }
    s.plug(0).step();
    s.expect_outlet(0, OutletStatus::ChargeLoopStarted)
        .expect_session_id(0, 7);
}

/// Proves SPEC §5.1 (bad input): a remote Accept or Reject with no authorisation pending does
/// nothing, at idle (with the vehicle plugged at a "remote" point) and during a charge.
#[test]
fn s5_1_remote_decision_with_nothing_pending_is_ignored() {
    let mut s = scenario(cfg(AuthLocation::Remote));
    s.plug(0).at(100);
    for r in [Remote::Accept, Remote::Reject] {
        s.send(0, r);
        s.expect_outlet(0, OutletStatus::InitDone)
            .expect_ko(0, LastError::None);
    }
    s.at(2_000).expect_no_charge(0);
    s.send(0, Remote::Start).at(3_000).expect_charging(0);
    for r in [Remote::Accept, Remote::Reject] {
        s.send(0, r);
        s.expect_outlet(0, OutletStatus::ChargeLoopStarted)
            .expect_ko(0, LastError::None)
            .expect_charging(0);
    }
}

/// Proves SPEC §5.1 (bad input): a remote Stop at an idle point does nothing, and does not keep
/// the next plug-in from starting under free access.
#[test]
fn s5_1_remote_stop_at_idle_is_ignored() {
    let mut s = scenario(cfg(AuthLocation::Disabled));
    s.at(100).send(0, Remote::Stop);
    s.expect_outlet(0, OutletStatus::InitDone)
        .expect_ko(0, LastError::None)
        .expect_no_charge(0);
    s.plug(0).step();
    s.expect_outlet(0, OutletStatus::ChargeLoopStarted);
    s.at(120 + SETTLE).expect_charging(0);
}
