//! Core's state: per station, per point and per node, all in caller-owned memory.
//!
//! Timers are `u32` ms offsets ([`Stamp`]) from a `u64` epoch held in [`StationState`]. The
//! epoch moves forward before an offset can pass 2³¹ ms; offsets that would fall before it
//! saturate at 0, i.e. "at least 2³⁰ ms ago", longer than any timer of §5.5.

use crate::meter::Energy;
use crate::session::{LastError, OutletStatus};
use crate::types::VehicleState;

/// A time as an offset (ms) from the station's epoch.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Stamp(pub(crate) u32);

const SHIFT_AT: u64 = 1 << 31;
const SHIFT_KEEP: u64 = 1 << 30;

/// State of the whole station (clock, epoch, start-up).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct StationState {
    pub(crate) epoch_ms: u64,
    /// Largest `now_ms` seen (SU-3).
    pub(crate) max_now_ms: u64,
    /// When core (re)started: the first step after a reset (SU-1 stagger).
    pub(crate) start: Stamp,
    /// The last rotation (LB-13), or the start.
    pub(crate) last_rotation: Stamp,
    /// `max_now_ms` as a stamp: the time of the step in progress (its parts read it).
    pub(crate) now: Stamp,
    pub(crate) started: bool,
}

impl StationState {
    /// A fresh state: the next step is a start-up (SU-1).
    pub const fn new() -> Self {
        StationState {
            epoch_ms: 0,
            max_now_ms: 0,
            start: Stamp(0),
            last_rotation: Stamp(0),
            now: Stamp(0),
            started: false,
        }
    }

    /// Largest `now_ms` seen so far.
    pub fn max_now_ms(&self) -> u64 {
        self.max_now_ms
    }

    pub(crate) fn stamp(&self, now_ms: u64) -> Stamp {
        Stamp(u32::try_from(now_ms.saturating_sub(self.epoch_ms)).unwrap_or(u32::MAX))
    }

    /// The absolute time of `s`.
    pub(crate) fn at(&self, s: Stamp) -> u64 {
        self.epoch_ms.saturating_add(u64::from(s.0))
    }

    /// ms from `s` to the step's time (0 if `s` is later). Exact: after `shift_epoch` the
    /// step's time is less than 2³¹ ms past the epoch.
    pub(crate) fn since(&self, s: Stamp) -> u32 {
        self.now.0.saturating_sub(s.0)
    }

    /// Whether `dur_ms` have passed since `s`, at the step's time.
    pub(crate) fn passed(&self, s: Stamp, dur_ms: u32) -> bool {
        self.since(s) >= dur_ms
    }

    /// Moves the epoch forward when offsets near 2³¹ ms; returns by how much (ms) so that the
    /// caller can shift every stamp.
    pub(crate) fn shift_epoch(&mut self, now_ms: u64) -> u32 {
        let span = now_ms.saturating_sub(self.epoch_ms);
        if span < SHIFT_AT {
            return 0;
        }
        let d = span.saturating_sub(SHIFT_KEEP);
        self.epoch_ms = self.epoch_ms.saturating_add(d);
        u32::try_from(d).unwrap_or(u32::MAX)
    }
}

impl Stamp {
    pub(crate) fn shift(&mut self, d: u32) {
        self.0 = self.0.saturating_sub(d);
    }
}

/// Where a point stands in the energy controller.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Run {
    /// No vehicle, or the vehicle asks for nothing.
    #[default]
    Idle = 0,
    /// Asks for current, has none (not started yet, shed, paused or held).
    Waiting = 1,
    /// Has an allocation.
    Running = 2,
}

/// Internal per-point bits.
pub(crate) mod bits {
    pub const STOPPED: u64 = 1 << 0; // stopped within this session: the minimum pause applies
    pub const SHED: u64 = 1 << 1; // the last stop was a shed (LB-5)
    pub const PILOT_FAULT: u64 = 1 << 2; // E, F, unknown seen: latched until A (SU-2)
    pub const OVERCURRENT: u64 = 1 << 3; // EV over-current: latched until A (LB-9)
    pub const CONTACTOR: u64 = 1 << 4; // contactor commanded closed
    pub const BELOW_IDLE: u64 = 1 << 5; // drawing below the idle threshold since idle_since
    pub const IDLE: u64 = 1 << 6; // idle (LB-10)
    pub const OVER: u64 = 1 << 7; // drawing above signal + tolerance since over_since
    pub const GRACEFUL: u64 = 1 << 8; // PWM stopped during a charge at pwm_off_at
    pub const HARD_FAULT: u64 = 1 << 9; // hard over-current: latched until A (PS-4)
    pub const RAW_CHARGE: u64 = 1 << 10; // the pilot reads C or D (undebounced) since c_since
    pub const DIODE_PENDING: u64 = 1 << 11; // low level wrong since diode_since (PS-2)
    pub const DIODE_FAULT: u64 = 1 << 12; // diode fault, latched with PILOT_FAULT (PS-2, SU-2)
    pub const RESUMED: u64 = 1 << 13; // PWM returned after a stop in this session (PS-7)
    pub const WOKEN: u64 = 1 << 14; // the wake-up of this resume is done (PS-7)
    pub const WAKE: u64 = 1 << 15; // core drives State F since wake_at (PS-7)
    pub const SETTLE: u64 = 1 << 16; // settling window after core drove State F (PS-7, SU-2)
    pub const WELD_PENDING: u64 = 1 << 17; // current through an open contactor since weld_since
    pub const WELDED: u64 = 1 << 18; // welded contactor, latched until reset (CT-1)
    pub const THERMAL_PAUSE: u64 = 1 << 19; // paused by temperature (TH-1)
    pub const METER_HAVE: u64 = 1 << 20; // meter_last holds the external meter's last reading
    pub const PWM_WAS: u64 = 1 << 21; // PWM on in the last step (since pwm_since)
    pub const SESS_VIP: u64 = 1 << 22; // the session's badge is VIP (AU-1)
    pub const SESS_BOOKER: u64 = 1 << 23; // the session's badge is the booker's (AU-3)
    pub const SESS_CACHED: u64 = 1 << 24; // the pending badge is in the cache (AU-4)
    pub const SESS_SHUTTER_DONE: u64 = 1 << 25; // plug procedure: shutter open
    pub const SESS_PLUG_DONE: u64 = 1 << 26; // plug procedure: plug detected
    pub const SESS_LOCK_DONE: u64 = 1 << 27; // plug procedure: locked
    pub const SESS_UNLOCKED: u64 = 1 << 28; // unplug procedure: unlocked
    pub const SESS_REMOVED: u64 = 1 << 29; // unplug procedure: cable removed
    pub const SESS_NOTIFIED: u64 = 1 << 30; // KO_PlugStillDetected already raised (CAB-1)
    pub const SESS_REPLUG: u64 = 1 << 31; // a session ended: free access waits for a new plug-in
    pub const F_DRIVEN: u64 = 1 << 32; // core drove State F in the last step
    pub const SESS_MORE: u64 = 1 << 33; // the session machine stopped while still moving
    pub const SESS_HELD: u64 = 1 << 34; // unplug procedure: held by the contactor or a weld
}

/// Phase mode of a three-phase point (LB-12): 3 = three-phase, 0..=2 = single-phase on that
/// point phase.
pub(crate) const THREE: u8 = 3;
/// No single-phase candidate.
pub(crate) const NO_CAND: u8 = 0xFF;

/// State of one charge point.
///
/// (`repr(C)`, in this order: `quiet::same_state`, which compares the memo's state with a step's
/// in every step, compares the fields in this order, which measured cheaper than in Rust's own
/// layout.)
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[repr(C)]
pub struct PointState {
    pub(crate) bits: u64,
    pub(crate) energy: Energy,
    /// The external meter's last reading (mWh, MT-2).
    pub(crate) meter_last: u64,
    pub(crate) alloc_ma: u32,
    pub(crate) offer_ma: u32,
    pub(crate) offer_high_ma: u32,
    /// Session (SPEC §5): the badge handle (0: default id tag) and when the current phase
    /// started; its status and last error are below.
    pub(crate) session_id: u32,
    pub(crate) sess_since: Stamp,
    pub(crate) since: Stamp,
    pub(crate) last_rise: Stamp,
    pub(crate) idle_since: Stamp,
    pub(crate) phase_since: Stamp,
    pub(crate) over_since: Stamp,
    pub(crate) pwm_off_at: Stamp,
    pub(crate) c_since: Stamp,
    pub(crate) pwm_since: Stamp,
    pub(crate) cand_since: Stamp,
    pub(crate) diode_since: Stamp,
    pub(crate) wake_at: Stamp,
    /// Where the settling window after core drove State F starts (PS-7 wake-up, IN-2, CT-1):
    /// readings of −12 V until it ends are expected, not faults (SU-2).
    pub(crate) f_at: Stamp,
    pub(crate) opened_at: Stamp,
    pub(crate) weld_since: Stamp,
    pub(crate) offer_high_at: Stamp,
    /// The pilot state being debounced (PS-1).
    pub(crate) cand: VehicleState,
    pub(crate) vehicle: VehicleState,
    pub(crate) status: OutletStatus,
    pub(crate) last_error: LastError,
    pub(crate) run: Run,
    pub(crate) phase_mode: u8,
    pub(crate) phase_cand: u8,
    /// Always 0: it fills the struct's last byte, so that `quiet::same_state` compares the
    /// eight one-byte fields as one word.
    pub(crate) spare: u8,
}

impl PointState {
    /// A fresh point: no vehicle, contactor open.
    pub const fn new() -> Self {
        PointState {
            alloc_ma: 0,
            offer_ma: 0,
            offer_high_ma: 0,
            energy: Energy { mwh: 0, rem: 0 },
            since: Stamp(0),
            last_rise: Stamp(0),
            idle_since: Stamp(0),
            phase_since: Stamp(0),
            over_since: Stamp(0),
            offer_high_at: Stamp(0),
            pwm_off_at: Stamp(0),
            c_since: Stamp(0),
            pwm_since: Stamp(0),
            cand_since: Stamp(0),
            diode_since: Stamp(0),
            wake_at: Stamp(0),
            f_at: Stamp(0),
            opened_at: Stamp(0),
            weld_since: Stamp(0),
            meter_last: 0,
            cand: VehicleState::A,
            status: OutletStatus::NotInitialized,
            last_error: LastError::None,
            session_id: 0,
            sess_since: Stamp(0),
            run: Run::Idle,
            bits: 0,
            phase_mode: THREE,
            phase_cand: NO_CAND,
            vehicle: VehicleState::A,
            spare: 0,
        }
    }

    /// Where the point stands in the energy controller.
    pub fn run(&self) -> Run {
        self.run
    }

    /// Outlet status of the session (SPEC §5.1).
    pub fn status(&self) -> OutletStatus {
        self.status
    }

    /// Last error (SPEC §5.2).
    pub fn last_error(&self) -> LastError {
        self.last_error
    }

    /// Energy of the current session (mWh, MT-1).
    pub fn session_energy_mwh(&self) -> u64 {
        self.energy.mwh
    }

    pub(crate) fn has(&self, b: u64) -> bool {
        self.bits & b != 0
    }

    /// The settling window after State F (SU-2) runs: it is set and core no longer drives State
    /// F (`f_at`, where it starts, is stamped when State F ends).
    pub(crate) fn settling(&self) -> bool {
        self.bits & (bits::SETTLE | bits::F_DRIVEN) == bits::SETTLE
    }

    pub(crate) fn put(&mut self, b: u64, on: bool) {
        if on {
            self.bits |= b;
        } else {
            self.bits &= !b;
        }
    }

    pub(crate) fn shift(&mut self, d: u32) {
        for s in [
            &mut self.since,
            &mut self.last_rise,
            &mut self.idle_since,
            &mut self.phase_since,
            &mut self.over_since,
            &mut self.offer_high_at,
            &mut self.pwm_off_at,
            &mut self.c_since,
            &mut self.pwm_since,
            &mut self.cand_since,
            &mut self.diode_since,
            &mut self.wake_at,
            &mut self.f_at,
            &mut self.opened_at,
            &mut self.weld_since,
            &mut self.sess_since,
        ] {
            s.shift(d);
        }
    }
}

/// Slots in a site meter's history of the points' own currents (LB-14).
pub(crate) const SITE_SLOTS_U8: u8 = 16;
/// The same, as an index bound.
pub(crate) const SITE_SLOTS: usize = SITE_SLOTS_U8 as usize;

/// One slot of that history: from `at`, the lowest and highest sum per phase of the currents
/// of the points beneath the meter.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub(crate) struct SiteSlot {
    pub at: Stamp,
    pub low: [u32; 3],
    pub high: [u32; 3],
}

/// State of one tree node: the LB-9 over-limit timers, and the effective limit of the last step.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct NodeState {
    pub(crate) over_since: [Stamp; 3],
    pub(crate) over: u8, // phase bits: measured total above the limit since over_since
    pub(crate) lim: [u32; 3],
}

impl NodeState {
    /// A fresh node.
    pub const fn new() -> Self {
        NodeState {
            over_since: [Stamp(0); 3],
            over: 0,
            lim: [0; 3],
        }
    }

    /// Effective limit per phase in the last step (mA): configured, set point, fallback or
    /// site-meter headroom.
    pub fn limit_ma(&self) -> [u32; 3] {
        self.lim
    }

    pub(crate) fn shift(&mut self, d: u32) {
        for s in self.over_since.iter_mut() {
            s.shift(d);
        }
    }
}

/// A point's LB-14 memory: its lowest and highest current per supply phase since the last
/// site-meter reading. Needed (one per point) only when a node has a site meter.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct PointSite {
    pub(crate) low_ma: [u32; 3],
    pub(crate) high_ma: [u32; 3],
}

impl PointSite {
    /// A fresh record.
    pub const fn new() -> Self {
        PointSite {
            low_ma: [0; 3],
            high_ma: [0; 3],
        }
    }
}

/// A node's LB-14 memory: the readings taken, the estimates of the other consumers' load and
/// the history of the points' own currents. Needed (one per node) only when a node has a site
/// meter; used only at the metered ones.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct NodeSite {
    /// `measured_ms` of the last reading taken, whether one was taken.
    pub(crate) taken_ms: u64,
    pub(crate) have: bool,
    /// Other consumers' load per phase: the held lower bound (reading less the highest current
    /// of the points since the previous reading), and the latest upper bound (reading less
    /// their lowest current). The headroom counts the larger.
    pub(crate) other: [u32; 3],
    pub(crate) upper: [u32; 3],
    /// A lower estimate waiting for the hold time: since when, and the highest estimate since.
    pub(crate) fall: u8,
    pub(crate) fall_since: [Stamp; 3],
    pub(crate) fall_max: [u32; 3],
    /// The history ring (newest at `head`) and how many slots hold data.
    pub(crate) ring: [SiteSlot; SITE_SLOTS],
    pub(crate) head: u8,
    pub(crate) len: u8,
}

impl NodeSite {
    /// A fresh record.
    pub const fn new() -> Self {
        NodeSite {
            taken_ms: 0,
            have: false,
            other: [0; 3],
            upper: [0; 3],
            fall: 0,
            fall_since: [Stamp(0); 3],
            fall_max: [0; 3],
            ring: [SiteSlot {
                at: Stamp(0),
                low: [0; 3],
                high: [0; 3],
            }; SITE_SLOTS],
            head: 0,
            len: 0,
        }
    }

    /// Other consumers' load per phase applied by the site meter (LB-14), mA.
    pub fn other_ma(&self) -> [u32; 3] {
        let mut out = self.other;
        for (o, u) in out.iter_mut().zip(self.upper) {
            *o = (*o).max(u);
        }
        out
    }

    pub(crate) fn shift(&mut self, d: u32) {
        for s in self
            .fall_since
            .iter_mut()
            .chain(self.ring.iter_mut().map(|slot| &mut slot.at))
        {
            s.shift(d);
        }
    }
}
