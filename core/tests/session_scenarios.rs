//! Scenario tests of charging sessions (SPEC §5.1 outlet status, §5.2 last errors, §5.5 session
//! timers), authentication (AU-1 … AU-4) and the remote-start requirement (EX-2), tick by tick
//! through the harness of `common/` (which also checks LB-1 and LB-3 in every step).
//!
//! Times are absolute ms from the first step; the harness steps every 10 ms. A badge or a remote
//! command is an event: it is presented for exactly one step (`present` / `send`). Feedback
//! inputs (`lock_closed`, `shutter_open`) are set by the test, or follow the commanded outputs one
//! step late (`run_actuators`), like a real lock and shutter. Timeouts are checked at their
//! boundary: one step before, still waiting; at it, the error.

mod common;

use common::{Scenario, station};
use loadpilot_core::{
    AllocReason, AuthLocation, AuthStrategy, Badge, BadgeKind, Commands, LastError, NodeConfig,
    OutletStatus, PilotOutput, PointConfig, PointFlags, RawConfig, Remote, UnreachableStrategy,
    VehicleState,
};

const P32: PointConfig = PointConfig::three_phase(0, 32_000);
/// A PP resistance in the 32 A band (CAB-2): a cable is in the socket.
const PP_32A: u32 = 220;
/// A PP resistance above every band: no cable in the socket.
const PP_NONE: u32 = 10_000;
/// A PP resistance below every band: a cable fault.
const PP_FAULT: u32 = 50;
/// The time from entering the charge loop to a closed contactor (debounce towards C, 100 ms),
/// with a margin of a few steps.
const SETTLE: u64 = 300;

type Raw<const P: usize> = RawConfig<[PointConfig; P], [NodeConfig; 1]>;

/// One 32 A point on a 32 A station, badges checked at `loc`, every other session default.
fn cfg(loc: AuthLocation) -> Raw<1> {
    let mut raw = station(32_000, [P32]);
    raw.session.auth_location = loc;
    raw
}

/// A scenario whose points are all authorised by the caller (the extra gate stays open).
fn scenario<const P: usize>(raw: Raw<P>) -> Scenario<P, 1> {
    let mut s = Scenario::new(raw);
    for p in 0..P {
        s.authorise(p);
    }
    s
}

fn badge(id: u32, kind: BadgeKind) -> Badge {
    Badge {
        id,
        kind,
        booker: false,
        cached: false,
    }
}

fn user(id: u32) -> Badge {
    badge(id, BadgeKind::User)
}

fn admin(id: u32) -> Badge {
    badge(id, BadgeKind::Admin)
}

/// Session steps and checks on top of the common harness.
trait SessionSteps {
    /// Presents badge `b` at point `p` for exactly one step (the next one).
    fn present(&mut self, p: usize, b: Badge) -> &mut Self;
    /// Sends remote command `r` to point `p` for exactly one step (the next one).
    fn send(&mut self, p: usize, r: Remote) -> &mut Self;
    /// Steps up to `t_ms` with the lock and shutter feedback of point `p` following the
    /// commanded outputs one step late (a lock or shutter that obeys).
    fn run_actuators(&mut self, p: usize, t_ms: u64) -> &mut Self;
    fn expect_outlet(&mut self, p: usize, s: OutletStatus) -> &mut Self;
    fn expect_ko(&mut self, p: usize, e: LastError) -> &mut Self;
    fn expect_session_id(&mut self, p: usize, id: u32) -> &mut Self;
    /// Lock commanded locked, shutter commanded open.
    fn expect_actuators(&mut self, p: usize, lock: bool, shutter_open: bool) -> &mut Self;
    /// PWM on, contactor closed, allocation above 0.
    fn expect_charging(&mut self, p: usize) -> &mut Self;
    /// No PWM, contactor open, allocation 0.
    fn expect_no_charge(&mut self, p: usize) -> &mut Self;
}

impl<const P: usize, const N: usize> SessionSteps for Scenario<P, N> {
    fn present(&mut self, p: usize, b: Badge) -> &mut Self {
        self.pi(p, |pi| pi.badge = Some(b)).step();
        self.pi(p, |pi| pi.badge = None)
    }

    fn send(&mut self, p: usize, r: Remote) -> &mut Self {
        self.pi(p, |pi| pi.remote = r).step();
        self.pi(p, |pi| pi.remote = Remote::None)
    }

    fn run_actuators(&mut self, p: usize, t_ms: u64) -> &mut Self {
        while self.now() + 10 <= t_ms {
            let (lock, shutter) = (self.point(p).lock, self.point(p).shutter_open);
            self.pi(p, |pi| {
                pi.lock_closed = Some(lock);
                pi.shutter_open = Some(shutter);
            })
            .step();
        }
        self
    }

    #[track_caller]
    fn expect_outlet(&mut self, p: usize, s: OutletStatus) -> &mut Self {
        let (t, po) = (self.now(), *self.point(p));
        assert_eq!(po.status, s, "at {t} ms, point {p}: outlet status; {po:?}");
        self
    }

    #[track_caller]
    fn expect_ko(&mut self, p: usize, e: LastError) -> &mut Self {
        let (t, po) = (self.now(), *self.point(p));
        assert_eq!(po.last_error, e, "at {t} ms, point {p}: last error; {po:?}");
        self
    }

    #[track_caller]
    fn expect_session_id(&mut self, p: usize, id: u32) -> &mut Self {
        let (t, po) = (self.now(), *self.point(p));
        assert_eq!(
            po.session_id, id,
            "at {t} ms, point {p}: session id; {po:?}"
        );
        self
    }

    #[track_caller]
    fn expect_actuators(&mut self, p: usize, lock: bool, shutter_open: bool) -> &mut Self {
        let (t, po) = (self.now(), *self.point(p));
        assert_eq!(
            (po.lock, po.shutter_open),
            (lock, shutter_open),
            "at {t} ms, point {p}: (lock commanded locked, shutter commanded open); {po:?}"
        );
        self
    }

    #[track_caller]
    fn expect_charging(&mut self, p: usize) -> &mut Self {
        let (t, po) = (self.now(), *self.point(p));
        assert!(
            po.pilot == PilotOutput::Pwm && po.contactor && po.allocation_ma > 0,
            "at {t} ms, point {p}: expected a charge (PWM, contactor closed); {po:?}"
        );
        self
    }

    #[track_caller]
    fn expect_no_charge(&mut self, p: usize) -> &mut Self {
        let (t, po) = (self.now(), *self.point(p));
        assert!(
            po.pilot != PilotOutput::Pwm
                && po.signal_ma == 0
                && !po.contactor
                && po.allocation_ma == 0,
            "at {t} ms, point {p}: expected no charge (no PWM, contactor open); {po:?}"
        );
        self
    }
}

/// A charge under free access (plug-in at 0 ms), running by `SETTLE`.
fn free_charge(raw: Raw<1>) -> Scenario<1, 1> {
    let mut s = scenario(raw);
    s.plug(0).at(SETTLE);
    s.expect_outlet(0, OutletStatus::ChargeLoopStarted)
        .expect_charging(0);
    s
}

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

// ---- AU-1 ----

/// Proves AU-1: an Admin badge cannot charge: at an idle point with the vehicle plugged it
/// starts nothing and is no error.
#[test]
fn au1_admin_cannot_charge() {
    let mut s = scenario(cfg(AuthLocation::ChargingStation));
    s.plug(0).at(1_000).present(0, admin(1));
    s.expect_outlet(0, OutletStatus::InitDone)
        .expect_ko(0, LastError::None);
    s.at(5_000).expect_no_charge(0);
}

/// Proves AU-1 and AU-3: an Admin badge stops a session started by another badge, without an
/// error (graceful: PWM off at once).
#[test]
fn au1_admin_stops_a_session_started_by_another_badge() {
    let mut s = scenario(cfg(AuthLocation::ChargingStation));
    s.plug(0).at(100).present(0, user(7));
    s.at(1_000).expect_charging(0).present(0, admin(1));
    s.expect_outlet(0, OutletStatus::ChargeLoopEnded)
        .expect_pilot(0, PilotOutput::Steady12V)
        .expect_ko(0, LastError::None);
    s.at(10_000).expect_no_charge(0);
}

/// Two 32 A points on a node of `limit_ma`, both vehicles plugged at 0 ms; point 0 badged as
/// User, point 1 as `kind` at `t1_ms`.
fn two_badged(limit_ma: u32, kind: BadgeKind, t1_ms: u64) -> Scenario<2, 1> {
    let mut raw = station(limit_ma, [P32; 2]);
    raw.session.auth_location = AuthLocation::ChargingStation;
    let mut s = scenario(raw);
    s.plug(0).plug(1).at(100).present(0, user(1));
    s.at(t1_ms).present(1, badge(2, kind));
    s
}

/// Proves AU-1: a VIP badge's session is reduced last: with 40 A for two points, the VIP point
/// (the higher index, which a tie would give less) gets all above the other's minimum; with a
/// User badge instead the two share equally.
#[test]
fn au1_vip_badge_session_is_reduced_last() {
    let mut s = two_badged(40_000, BadgeKind::Vip, 100);
    s.at(60_000).expect_alloc(0, 14_000).expect_alloc(1, 26_000);
    let mut s = two_badged(40_000, BadgeKind::User, 100);
    s.at(60_000).expect_alloc(0, 20_000).expect_alloc(1, 20_000);
}

/// Proves AU-1: a VIP badge's session is shed last: on 24 A (room for one point), a VIP badge at
/// the second point starts it and sheds the running User session; a User badge there waits.
#[test]
fn au1_vip_badge_session_is_shed_last() {
    let mut s = two_badged(24_000, BadgeKind::Vip, 10_000);
    s.at(30_000)
        .expect_charging(1)
        .expect_alloc(0, 0)
        .expect_flag(0, PointFlags::SHED, true);
    let mut s = two_badged(24_000, BadgeKind::User, 10_000);
    s.at(30_000)
        .expect_charging(0)
        .expect_alloc(1, 0)
        .expect_flag(1, PointFlags::NOT_ENOUGH_ENERGY_TO_START, true);
}

/// Proves AU-1 with SPEC §5.3: a session started by a VIP badge shows `VIP_Badge_Mode`.
#[test]
fn au1_vip_badge_session_shows_vip_badge_mode_flag() {
    let mut s = two_badged(64_000, BadgeKind::Vip, 100);
    s.at(1_000)
        .expect_flag(1, PointFlags::VIP_BADGE_MODE, true)
        .expect_flag(0, PointFlags::VIP_BADGE_MODE, false);
}

// ---- AU-2 ----

/// Proves AU-2 (location "disabled"): free access; the session runs under the default id tag
/// (0) and needs no badge; a badge presented at idle starts nothing by itself.
#[test]
fn au2_disabled_is_free_access_with_default_id() {
    let mut s = scenario(cfg(AuthLocation::Disabled));
    s.at(100).present(0, user(7));
    s.expect_outlet(0, OutletStatus::InitDone);
    s.plug(0).step();
    s.expect_outlet(0, OutletStatus::ChargeLoopStarted)
        .expect_session_id(0, 0);
    s.at(110 + SETTLE).expect_charging(0);
}

/// Proves AU-2 (location "charging station", "allow all"): a badge not in the list starts.
#[test]
fn au2_charging_station_allow_all_accepts_unknown_badge() {
    let mut raw = cfg(AuthLocation::ChargingStation);
    raw.session.auth_strategy = AuthStrategy::AllowAll;
    let mut s = scenario(raw);
    s.plug(0).at(100).present(0, badge(9, BadgeKind::Unknown));
    s.expect_outlet(0, OutletStatus::ChargeLoopStarted)
        .expect_session_id(0, 9);
    s.at(110 + SETTLE).expect_charging(0);
}

/// Proves AU-2 (location "charging station", "reject unknown") and SPEC §5.2 `KO_BadgeUnknown`:
/// an unknown badge is refused and starts nothing; a listed badge then starts.
#[test]
fn au2_charging_station_reject_unknown_refuses_unknown_badge() {
    let mut raw = cfg(AuthLocation::ChargingStation);
    raw.session.auth_strategy = AuthStrategy::RejectUnknown;
    let mut s = scenario(raw);
    s.plug(0).at(100).present(0, badge(9, BadgeKind::Unknown));
    s.expect_outlet(0, OutletStatus::InitDone)
        .expect_ko(0, LastError::BadgeUnknown);
    s.at(3_000).expect_no_charge(0).present(0, user(7));
    s.expect_outlet(0, OutletStatus::ChargeLoopStarted)
        .expect_session_id(0, 7);
    s.at(3_010 + SETTLE).expect_charging(0);
}

/// Proves AU-2 (location "supervision"): the core waits for the decision up to the
/// authentication timeout while the user plugs in, then rejects; nothing charged meanwhile.
#[test]
fn au2_supervision_waits_while_user_plugs_in_then_rejects() {
    let mut s = scenario(cfg(AuthLocation::Supervision));
    s.at(100).present(0, user(7));
    let t0 = s.now();
    s.at(3_000).plug(0);
    for t in (3_010..t0 + 10_000).step_by(10) {
        s.at(t)
            .expect_outlet(0, OutletStatus::ChargeAuthorisationStarted)
            .expect_no_charge(0);
    }
    s.at(t0 + 10_000)
        .expect_outlet(0, OutletStatus::InitDone)
        .expect_ko(0, LastError::BadgeUnknown);
    s.at(t0 + 20_000).expect_no_charge(0);
}

// ---- AU-3 ----

/// Proves AU-3 and SPEC §5.2 `KO_BadgeIsNotTheCurrentUser`: another User badge during the charge
/// is refused and the charge goes on; the starting badge stops it.
#[test]
fn au3_only_the_starting_badge_stops() {
    let mut s = scenario(cfg(AuthLocation::ChargingStation));
    s.plug(0).at(100).present(0, user(7));
    s.at(1_000).expect_charging(0).present(0, user(8));
    s.expect_ko(0, LastError::BadgeIsNotTheCurrentUser)
        .expect_outlet(0, OutletStatus::ChargeLoopStarted)
        .expect_charging(0);
    s.at(5_000)
        .expect_charging(0)
        .expect_session_id(0, 7)
        .present(0, user(7));
    s.expect_outlet(0, OutletStatus::ChargeLoopEnded)
        .expect_pilot(0, PilotOutput::Steady12V);
}

/// Proves AU-3 and SPEC §5.2 `KO_BadgeIsNotTheBooker`: at a booked point only the booking badge
/// starts, and its session charges while the booking holds.
#[test]
fn au3_booked_point_only_booker_starts_and_booker_charges() {
    let mut s = scenario(cfg(AuthLocation::ChargingStation));
    s.command(0, Commands::BOOKED).plug(0).at(100);
    s.present(0, user(5));
    s.expect_outlet(0, OutletStatus::InitDone)
        .expect_ko(0, LastError::BadgeIsNotTheBooker);
    s.at(2_000).expect_no_charge(0);
    let booker = Badge {
        booker: true,
        ..user(6)
    };
    s.present(0, booker);
    s.expect_outlet(0, OutletStatus::ChargeLoopStarted)
        .expect_session_id(0, 6);
    s.at(10_000)
        .expect_charging(0)
        .expect_alloc(0, 32_000)
        .expect_flag(0, PointFlags::BOOKED_PLC_CMD, true);
}

/// Proves AU-1 and AU-3: what a badge gave its session ends with the session. After a VIP
/// booker's session at a booked point, a remote start there (no badge) is not VIP, and the
/// booking holds it (EX-2: `Booked` holds the point, but for its booker's session).
#[test]
fn au1_au3_a_badges_vip_and_booking_end_with_its_session() {
    let mut s = scenario(cfg(AuthLocation::ChargingStation));
    s.command(0, Commands::BOOKED).plug(0).at(100);
    let vip_booker = Badge {
        booker: true,
        ..badge(7, BadgeKind::Vip)
    };
    s.present(0, vip_booker);
    s.at(100 + SETTLE)
        .expect_charging(0)
        .expect_session_id(0, 7)
        .expect_flag(0, PointFlags::VIP_BADGE_MODE, true);
    s.at(2_000).unplug(0).step();
    s.at(2_500).expect_outlet(0, OutletStatus::InitDone);
    s.at(3_000).plug(0).send(0, Remote::Start).step();
    s.expect_outlet(0, OutletStatus::ChargeLoopStarted)
        .expect_session_id(0, 0);
    s.at(3_000 + SETTLE)
        .expect_no_charge(0)
        .expect_flag(0, PointFlags::VIP_BADGE_MODE, false)
        .expect_flag(0, PointFlags::BOOKED_PLC_CMD, true);
}

// ---- AU-4 ----

fn offline(strategy: UnreachableStrategy) -> Scenario<1, 1> {
    let mut raw = cfg(AuthLocation::Supervision);
    raw.session.unreachable = strategy;
    let mut s = scenario(raw);
    s.pi(0, |pi| pi.offline = true);
    s
}

/// Proves AU-4 ("allow all"): with the supervision unreachable any badge starts at once.
#[test]
fn au4_unreachable_allow_all_accepts_any_badge() {
    let mut s = offline(UnreachableStrategy::AllowAll);
    s.plug(0).at(100).present(0, badge(9, BadgeKind::Unknown));
    s.expect_outlet(0, OutletStatus::ChargeLoopStarted);
    s.at(110 + SETTLE).expect_charging(0);
}

/// Proves AU-4 ("allow all" → free access, AU-2: every plug-in starts a charge): with the
/// supervision unreachable a plug-in alone starts the charge.
#[test]
fn au4_unreachable_allow_all_is_free_access_on_plug_in() {
    let mut s = offline(UnreachableStrategy::AllowAll);
    s.at(100).plug(0).at(5_000);
    s.expect_outlet(0, OutletStatus::ChargeLoopStarted)
        .expect_charging(0);
}

/// Proves AU-4 ("reject all"): with the supervision unreachable only a badge in the caller's
/// authorisation cache starts; another one is refused at once (`KO_BadgeUnknown`).
#[test]
fn au4_unreachable_reject_all_accepts_only_cached_badges() {
    let mut s = offline(UnreachableStrategy::RejectAll);
    s.plug(0).at(100).present(0, user(7));
    s.expect_outlet(0, OutletStatus::InitDone)
        .expect_ko(0, LastError::BadgeUnknown);
    s.at(2_000).expect_no_charge(0);
    let cached = Badge {
        cached: true,
        ..user(8)
    };
    s.present(0, cached);
    s.expect_outlet(0, OutletStatus::ChargeLoopStarted)
        .expect_session_id(0, 8);
    s.at(2_010 + SETTLE).expect_charging(0);
}

/// Proves AU-4: a request already waiting for the supervision is decided by the unreachable
/// strategy as soon as the supervision is lost ("reject all": the cached badge is accepted).
#[test]
fn au4_supervision_lost_while_waiting_decides_by_strategy() {
    let mut raw = cfg(AuthLocation::Supervision);
    raw.session.unreachable = UnreachableStrategy::RejectAll;
    let mut s = scenario(raw);
    let cached = Badge {
        cached: true,
        ..user(8)
    };
    s.plug(0).at(100).present(0, cached);
    s.at(3_000)
        .expect_outlet(0, OutletStatus::ChargeAuthorisationStarted)
        .expect_no_charge(0);
    s.pi(0, |pi| pi.offline = true).step();
    s.expect_outlet(0, OutletStatus::ChargeLoopStarted)
        .expect_session_id(0, 8);
    s.at(3_010 + SETTLE).expect_charging(0);
}

// ---- EX-2 remote command required ----

fn remote_required(loc: AuthLocation) -> Scenario<1, 1> {
    let mut raw = cfg(loc);
    raw.session.remote_start_required = true;
    scenario(raw)
}

/// Proves EX-2 ("remote command required to charge"): under free access a plug-in never starts
/// a charge by itself; a remote start does.
#[test]
fn ex2_remote_start_required_plug_in_waits_for_remote_start() {
    let mut s = remote_required(AuthLocation::Disabled);
    s.plug(0).at(30_000);
    s.expect_outlet(0, OutletStatus::InitDone)
        .expect_no_charge(0);
    s.send(0, Remote::Start);
    s.expect_outlet(0, OutletStatus::ChargeLoopStarted);
    s.at(30_010 + SETTLE).expect_charging(0);
}

/// Proves EX-2 ("remote command required to charge"): a badge never starts a charge by itself
/// (charging station: no session; remote location: no authorisation request); a remote start
/// does.
#[test]
fn ex2_remote_start_required_badge_waits_for_remote_start() {
    for loc in [AuthLocation::ChargingStation, AuthLocation::Remote] {
        let mut s = remote_required(loc);
        s.plug(0).at(100).present(0, user(7));
        s.expect_outlet(0, OutletStatus::InitDone);
        s.at(20_000)
            .expect_outlet(0, OutletStatus::InitDone)
            .expect_no_charge(0);
        s.send(0, Remote::Start);
        s.expect_outlet(0, OutletStatus::ChargeLoopStarted);
        s.at(20_010 + SETTLE).expect_charging(0);
    }
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
