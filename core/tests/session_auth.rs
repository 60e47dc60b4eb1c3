//! Scenario tests of authentication: what a badge may do and gives its session (AU-1: Admin,
//! VIP), the authentication locations and strategies (AU-2), the starting badge and the booker
//! (AU-3), the supervision unreachable (AU-4), and the remote-start requirement (EX-2), with the
//! last errors they give (SPEC §5.2), tick by tick through the harness of `common/` (which also
//! checks LB-1 and LB-3 in every step) and the session steps of `common/sessions.rs`.
//!
//! Times are absolute ms from the first step; the harness steps every 10 ms. A badge or a remote
//! command is an event: it is presented for exactly one step (`present` / `send`).

mod common;

use common::sessions::{P32, SETTLE, SessionSteps, admin, badge, cfg, scenario, user};
use common::{Scenario, station};
use loadpilot_core::{
    AuthLocation, AuthStrategy, Badge, BadgeKind, Commands, LastError, OutletStatus, PilotOutput,
    PointFlags, Remote, UnreachableStrategy,
};

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
