//! Session steps and checks shared by the session scenario tests (`session_paths.rs`,
//! `session_errors.rs`, `session_auth.rs`): a one-point station by authentication location
//! (AU-2), badges (AU-1), a badge or a remote command presented for exactly one step, lock and
//! shutter feedback that follows the commanded outputs one step late, and checks of the outlet
//! status (SPEC §5.1), the last error (§5.2), the session id, the actuators and the charge.

use super::{Scenario, station};
use loadpilot_core::{
    AuthLocation, Badge, BadgeKind, LastError, NodeConfig, OutletStatus, PilotOutput, PointConfig,
    RawConfig, Remote,
};

pub const P32: PointConfig = PointConfig::three_phase(0, 32_000);
/// The time from entering the charge loop to a closed contactor (debounce towards C, 100 ms),
/// with a margin of a few steps.
pub const SETTLE: u64 = 300;

pub type Raw<const P: usize> = RawConfig<[PointConfig; P], [NodeConfig; 1]>;

/// One 32 A point on a 32 A station, badges checked at `loc`, every other session default.
pub fn cfg(loc: AuthLocation) -> Raw<1> {
    let mut raw = station(32_000, [P32]);
    raw.session.auth_location = loc;
    raw
}

/// A scenario whose points are all authorised by the caller (the extra gate stays open).
pub fn scenario<const P: usize>(raw: Raw<P>) -> Scenario<P, 1> {
    let mut s = Scenario::new(raw);
    for p in 0..P {
        s.authorise(p);
    }
    s
}

pub fn badge(id: u32, kind: BadgeKind) -> Badge {
    Badge {
        id,
        kind,
        booker: false,
        cached: false,
    }
}

pub fn user(id: u32) -> Badge {
    badge(id, BadgeKind::User)
}

pub fn admin(id: u32) -> Badge {
    badge(id, BadgeKind::Admin)
}

/// Session steps and checks on top of the common harness.
pub trait SessionSteps {
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
pub fn free_charge(raw: Raw<1>) -> Scenario<1, 1> {
    let mut s = scenario(raw);
    s.plug(0).at(SETTLE);
    s.expect_outlet(0, OutletStatus::ChargeLoopStarted)
        .expect_charging(0);
    s
}
