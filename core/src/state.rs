//! Core's state: per station, per point and per node, all in caller-owned memory.
//!
//! Timers are `u32` ms offsets ([`Stamp`]) from a `u64` epoch held in [`StationState`]. The
//! epoch moves forward before an offset can pass 2³¹ ms; offsets that would fall before it
//! saturate at 0, i.e. "at least 2³⁰ ms ago", longer than any timer of §5.5.

use crate::cp::CableStatus;
use crate::meter::Energy;
use crate::session::{LastError, OutletStatus};
use crate::types::{AllocReason, VehicleState};

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

/// A point's working memory for one step: rewritten by every step before it is read, so it
/// need not be kept between steps (stations stepped one after another may share one). The
/// exceptions are two memos, each used only where it is exact: the last water-filling
/// (`FillMemo`), used where every input of the water-filling equals the memo's, and the point's
/// last step that changed nothing of it (`QuietMemo`), used where its keys equal this step's.
/// Kept, they save recomputing what did not change; lost or overwritten, the step computes it
/// afresh, with the same result.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(C)]
pub struct PointWork {
    // What the preparation writes (`Prepared`), first and in its order (`repr(C)`, both): the
    // memo's `Prepared::apply` is then a copy of one block.
    pub(crate) ceil: u32,
    pub(crate) min: u32,
    pub(crate) mask: u8, // supply phases loaded
    pub(crate) wants: bool,
    pub(crate) vip: bool,
    pub(crate) domestic: bool,
    pub(crate) cable_fault: bool,
    pub(crate) immediate: bool,
    pub(crate) cable: CableStatus,
    pub(crate) ceil_reason: AllocReason,
    pub(crate) reason: AllocReason,
    pub(crate) in_s: bool,
    pub(crate) frozen: bool,
    pub(crate) has_meas: bool,
    pub(crate) tried: bool,
    /// The transfer may raise this point now (its target is above its allocation and the rise
    /// interval does not hold it).
    pub(crate) rises: bool,
    pub(crate) node: u16,
    pub(crate) target: u32,
    pub(crate) measured: [u32; 3], // per supply phase
    pub(crate) order: u64,         // a slot of the start order (shed.rs), not about this point
    /// What the point's state was after its preparation (`step::point_deadline`).
    pub(crate) front: Front,
    pub(crate) memo: FillMemo,
    pub(crate) quiet: QuietMemo,
}

/// One point's memo of its last step, in two parts (quiet.rs, drive.rs). `prep`: the
/// preparation from `state` with `inputs`, under the conditions `cond` and the configuration
/// (`fingerprint`, and `index` for the point's own part), leaves `state` as it was (but for
/// the metering and the offer's expiry, see `same_state`) and writes `out` (with `lost`), and no
/// timer it reads runs out before the stamp `until`. `fin`: the outputs of that state with the
/// step's decisions `mid` are `output` (its energy aside), they too leave the state as it was,
/// and no timer they read runs out before `fin_until`. Either claim is a fact about a pure
/// function of what the memo holds, so it may be used in any later step whose keys equal the
/// memo's, whatever ran in between.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct QuietMemo {
    pub(crate) prep: bool,
    pub(crate) fin: bool,
    /// This step's preparation came from the memo.
    pub(crate) used: bool,
    /// This step's outputs came from the memo.
    pub(crate) fin_used: bool,
    /// The generation (`StationWork::generation`, its low 32 bits) of the last step that settled
    /// the station (this point ending it with its memos, see `step`).
    pub(crate) settled: u32,
    pub(crate) cond: u8,
    /// The stamps until which each part holds (see `quiet::prep_until`, `drive::fin_until`).
    pub(crate) until: u64,
    pub(crate) fin_until: u64,
    /// The point's deadline (`step::point_deadline`) with the memo of its outputs: the same in
    /// every step whose outputs come from it, until it is reached.
    pub(crate) deadline: u64,
    pub(crate) deadline_sample: bool,
    pub(crate) out: Prepared,
    pub(crate) mid: Mid,
    pub(crate) fingerprint: u64,
    /// The point's index (its configuration is the fingerprint's).
    pub(crate) index: usize,
    pub(crate) inputs: crate::io::PointInputs,
    /// Bands around readings that the preparation reads as it read those of `inputs`, once a
    /// step made them (`quiet::read_alike`).
    pub(crate) bands: crate::readings::Bands,
    pub(crate) state: PointState,
    pub(crate) output: crate::io::PointOutput,
}

/// The part of a point's state that the passes and the outputs write and a step's preparation
/// reads (the running state, allocation and offer, which the idle, over-current, diode and weld
/// checks read, and the bits): where a step changed it after the preparation, the next step's
/// preparation sees something new though no input changed, so it is due at once
/// (`step::point_deadline`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Front {
    pub(crate) bits: u64,
    pub(crate) alloc_ma: u32,
    pub(crate) offer_ma: u32,
    pub(crate) offer_high_ma: u32,
    pub(crate) run: Run,
}

impl Front {
    #[inline(always)]
    pub(crate) fn of(p: &PointState) -> Self {
        Front {
            bits: p.bits,
            alloc_ma: p.alloc_ma,
            offer_ma: p.offer_ma,
            offer_high_ma: p.offer_high_ma,
            run: p.run,
        }
    }
}

/// What the step's passes between a point's preparation and its outputs decide for it, as the
/// outputs read it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub(crate) struct Mid {
    pub(crate) immediate: bool,
    pub(crate) wants: bool,
    pub(crate) reason: AllocReason,
    pub(crate) node: u16,
}

impl Mid {
    /// The decisions in `w`.
    #[inline(always)]
    pub(crate) fn of(w: &PointWork) -> Self {
        Mid {
            immediate: w.immediate,
            wants: w.wants,
            reason: w.reason,
            node: w.node,
        }
    }

    /// Writes these decisions into `w`.
    #[inline(always)]
    pub(crate) fn restore(self, w: &mut PointWork) {
        w.immediate = self.immediate;
        w.wants = self.wants;
        w.reason = self.reason;
        w.node = self.node;
    }
}

impl Prepared {
    /// What the preparation wrote to `w`, and whether it found the point's set point lost.
    #[inline(always)]
    pub(crate) fn of(w: &PointWork, lost: bool) -> Self {
        Prepared {
            ceil: w.ceil,
            min: w.min,
            mask: w.mask,
            wants: w.wants,
            vip: w.vip,
            domestic: w.domestic,
            cable_fault: w.cable_fault,
            immediate: w.immediate,
            cable: w.cable,
            ceil_reason: w.ceil_reason,
            reason: w.reason,
            lost,
        }
    }

    /// Writes it to `w` again (and no binding node, as the preparation does).
    #[inline(always)]
    pub(crate) fn apply(self, w: &mut PointWork) {
        w.ceil = self.ceil;
        w.min = self.min;
        w.mask = self.mask;
        w.wants = self.wants;
        w.vip = self.vip;
        w.domestic = self.domestic;
        w.cable_fault = self.cable_fault;
        w.immediate = self.immediate;
        w.cable = self.cable;
        w.ceil_reason = self.ceil_reason;
        w.reason = self.reason;
        w.node = crate::io::NO_NODE;
    }
}

/// What a point's preparation writes to its working memory (in `PointWork`'s order), and whether
/// it found the point's set point lost.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[repr(C)]
pub(crate) struct Prepared {
    pub(crate) ceil: u32,
    pub(crate) min: u32,
    pub(crate) mask: u8,
    pub(crate) wants: bool,
    pub(crate) vip: bool,
    pub(crate) domestic: bool,
    pub(crate) cable_fault: bool,
    pub(crate) immediate: bool,
    pub(crate) cable: CableStatus,
    pub(crate) ceil_reason: AllocReason,
    pub(crate) reason: AllocReason,
    /// EX-1: the point's set point is lost (the preparation's return value; not applied).
    pub(crate) lost: bool,
}

/// One point's part of the memo of the last water-filling (balance.rs): what it read from the
/// point and what it wrote. Valid only together with every other point's and node's part of the
/// same computation: all carry its mark (the low 32 bits of the generation of the step that made
/// it, `StationWork`; 0: no memo), so that parts of different steps put together are not taken
/// for one memo.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub(crate) struct FillMemo {
    pub(crate) mark: u32,
    pub(crate) in_s: bool,
    pub(crate) vip: bool,
    pub(crate) mask: u8,
    pub(crate) ceil_reason: AllocReason,
    pub(crate) reason: AllocReason,
    pub(crate) at_node: u16,
    pub(crate) node: u16,
    pub(crate) min: u32,
    pub(crate) ceil: u32,
    pub(crate) target: u32,
}

impl FillMemo {
    /// No memo.
    pub const fn new() -> Self {
        FillMemo {
            mark: 0,
            in_s: false,
            vip: false,
            mask: 0,
            ceil_reason: AllocReason::NoVehicle,
            reason: AllocReason::NoVehicle,
            at_node: 0,
            node: 0,
            min: 0,
            ceil: 0,
            target: 0,
        }
    }
}

impl PointWork {
    /// Whether the last step took this point's preparation and its outputs from the memo of
    /// its step (the working memory's `QuietMemo`): for tests and benchmarks that check that the
    /// memo is used. Either way the step's result is the same.
    #[doc(hidden)]
    pub fn from_memo(&self) -> (bool, bool) {
        (self.quiet.used, self.quiet.fin_used)
    }
}

impl Default for PointWork {
    fn default() -> Self {
        Self::new()
    }
}

impl PointWork {
    /// Working memory for one point.
    pub const fn new() -> Self {
        PointWork {
            ceil: 0,
            min: 0,
            target: 0,
            measured: [0; 3],
            mask: 0,
            wants: false,
            in_s: false,
            frozen: false,
            vip: false,
            has_meas: false,
            domestic: false,
            cable_fault: false,
            cable: CableStatus::NotPlugged,
            immediate: false,
            tried: false,
            rises: false,
            ceil_reason: AllocReason::NoVehicle,
            reason: AllocReason::NoVehicle,
            node: 0,
            order: 0,
            front: Front {
                bits: 0,
                alloc_ma: 0,
                offer_ma: 0,
                offer_high_ma: 0,
                run: Run::Idle,
            },
            memo: FillMemo::new(),
            quiet: QuietMemo {
                prep: false,
                fin: false,
                used: false,
                fin_used: false,
                settled: 0,
                cond: 0,
                until: 0,
                fin_until: 0,
                deadline: 0,
                deadline_sample: false,
                out: Prepared {
                    ceil: 0,
                    min: 0,
                    mask: 0,
                    wants: false,
                    vip: false,
                    domestic: false,
                    cable_fault: false,
                    immediate: false,
                    cable: CableStatus::NotPlugged,
                    ceil_reason: AllocReason::NoVehicle,
                    reason: AllocReason::NoVehicle,
                    lost: false,
                },
                mid: Mid {
                    immediate: false,
                    wants: false,
                    reason: AllocReason::NoVehicle,
                    node: 0,
                },
                fingerprint: 0,
                index: usize::MAX,
                inputs: crate::io::PointInputs::DEFAULT,
                bands: crate::readings::Bands::NONE,
                state: PointState::new(),
                output: crate::io::PointOutput::DEFAULT,
            },
        }
    }
}

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

/// A node's working memory for one step (see [`PointWork`]): its limit this step and the sums
/// of the points beneath it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct NodeWork {
    pub(crate) lim: [u32; 3],
    pub(crate) lim_reason: [AllocReason; 3],
    pub(crate) used: [u32; 3],
    pub(crate) sum_min: [u32; 3],
    pub(crate) sum_vip: [u32; 3],
    pub(crate) cnt: [u32; 3],
    /// Depth in the tree (0: the root), written every step (tree.rs).
    pub(crate) depth: u8,
    /// This node's part of the memo of the last water-filling: its mark (`FillMemo::mark`), and
    /// the limits and parent it read.
    pub(crate) memo_mark: u32,
    pub(crate) memo_lim_reason: [AllocReason; 3],
    pub(crate) memo_parent: Option<u16>,
    pub(crate) memo_lim: [u32; 3],
    /// The generation (`StationWork`) of the last step that ran the passes between the points'
    /// preparation and their outputs (the limits they read are the water-filling memo's).
    pub(crate) seen_gen: u64,
}

impl NodeWork {
    /// Working memory for one node.
    pub const fn new() -> Self {
        NodeWork {
            lim: [0; 3],
            lim_reason: [AllocReason::NodeLimit; 3],
            used: [0; 3],
            sum_min: [0; 3],
            sum_vip: [0; 3],
            cnt: [0; 3],
            depth: 0,
            memo_mark: 0,
            memo_lim_reason: [AllocReason::NodeLimit; 3],
            memo_parent: None,
            memo_lim: [0; 3],
            seen_gen: 0,
        }
    }
}

/// The working memory of the whole station: the memo of the passes between the points'
/// preparation and their outputs (running states, selection, water-filling, transfer), which a
/// step that finds everything they read as the last step left it repeats instead of running
/// them (see `step`). Like the rest of the working memory it need not be kept: 64 bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct StationWork {
    /// Counts the steps that ran those passes on this working memory: the points and nodes
    /// are marked with it, so that parts of a working memory from different steps are told
    /// apart.
    pub(crate) generation: u64,
    /// The last step left every point and node as it found them and may be repeated.
    pub(crate) settled: bool,
    /// The last step was such a repetition.
    pub(crate) repeated: bool,
    /// The station's conditions (`step::Conditions::bits`) in the last step.
    pub(crate) cond: u8,
    /// Until when (ms) the rotation (LB-13) stays as it was: its next turn. (The rise intervals
    /// (PS-5) and the waiting points' start holds (LB-6, SU-1) that the passes read are among
    /// the points' timers, `timers`.)
    pub(crate) hold: u64,
    /// The configuration's hash (`General::fingerprint`) that step ran under.
    pub(crate) fingerprint: u64,
    /// The points' deadlines in that step (`step::point_deadline`): the earliest timer (ms),
    /// which a repetition comes before, and whether one is stepped again within a sample period.
    pub(crate) timers: u64,
    pub(crate) sample: bool,
    /// The clock that step read: epoch, start and last rotation.
    pub(crate) epoch_ms: u64,
    pub(crate) start: Stamp,
    pub(crate) last_rotation: Stamp,
}

impl StationWork {
    /// Whether the last step repeated the passes' decisions of the step before (`step`): for
    /// tests and benchmarks that check that the station's memo is used. Either way the step's
    /// result is the same.
    #[doc(hidden)]
    pub fn repeated(&self) -> bool {
        self.repeated
    }

    /// Fresh working memory for the station.
    pub const fn new() -> Self {
        StationWork {
            generation: 0,
            settled: false,
            repeated: false,
            cond: 0,
            hold: 0,
            fingerprint: 0,
            timers: 0,
            sample: false,
            epoch_ms: 0,
            start: Stamp(0),
            last_rotation: Stamp(0),
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
