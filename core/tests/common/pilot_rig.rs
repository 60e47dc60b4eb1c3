//! The step-level rig of the pilot scenarios (SPEC §4, §3.5, §7): a `Controller` fed by EV
//! models, stepped every sample period, with the helpers the `pilot_*` test files share.
//!
//! The rig feeds measured CP levels (mV), as firmware samples them every sample period, from an
//! EV model: the EV's resistor sets the high level (A 12 000, B 9 000, C 6 000, D 3 000), the low
//! level reads −12 000 while the pilot output is PWM (the EV's diode), and while core drives
//! State F both levels read −12 000. The EV draws min(signal, its maximum) while the contactor is
//! closed. Every step of every scenario checks the PS-3 and PS-4 invariants from the outputs alone
//! (see `Watch`), so each scenario is also an invariant run.

use loadpilot_core::cp::EvseStatus;
use loadpilot_core::pilot::decode_ma;
use loadpilot_core::{
    AllocReason, Badge, BadgeKind, Controller, CpReading, Location, NodeConfig, NodeKind,
    PilotOutput, PointConfig, PointFlags, PointOutput, ProductFamily, RawConfig, SocketType,
    StationErrors, StepInputs, StepOutputs, VehicleState,
};

pub type Raw<const P: usize, const N: usize> = RawConfig<[PointConfig; P], [NodeConfig; N]>;

pub const A_MV: i32 = 12_000;
pub const B_MV: i32 = 9_000;
pub const C_MV: i32 = 6_000;
pub const D_MV: i32 = 3_000;
pub const E_MV: i32 = 0;
pub const F_MV: i32 = -12_000;

pub const P32: PointConfig = PointConfig::three_phase(0, 32_000);

/// How the point's current is measured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Meas {
    /// What the EV model draws.
    Model,
    /// A fixed reading per point phase.
    Fixed([u32; 3]),
}

/// An EV on one point, as the pilot and the current measurement see it.
#[derive(Clone, Copy, Debug)]
pub struct Ev {
    /// The high level its resistor makes (mV); 12 000 without an EV.
    pub high_mv: i32,
    /// The low level while PWM is on; `None`: −12 000 (a working diode).
    pub low_mv: Option<i32>,
    /// Its own maximum current (mA per phase).
    pub max_ma: u32,
    /// Drawn above min(signal, max) while a signal stands.
    pub extra_ma: u32,
    /// Draws on the point's L1 only.
    pub single: bool,
    pub meas: Meas,
    /// The caller classifies the pilot itself (`cp: None`, `vehicle` given).
    pub classified: Option<VehicleState>,
}

impl Ev {
    pub const NONE: Ev = Ev {
        high_mv: A_MV,
        low_mv: None,
        max_ma: 80_000,
        extra_ma: 0,
        single: false,
        meas: Meas::Model,
        classified: None,
    };
}

/// The believed pilot state as the outputs show it (PS-6).
fn believed(s: EvseStatus) -> VehicleState {
    match s {
        EvseStatus::ANotPresent12V => VehicleState::A,
        EvseStatus::BPresent9V | EvseStatus::BPresentAsked9VM12V => VehicleState::B,
        EvseStatus::CReady6V | EvseStatus::CReady6VM12V => VehicleState::C,
        EvseStatus::DReadyVR3V | EvseStatus::DReadyVR3VM12V => VehicleState::D,
        EvseStatus::EShortCut => VehicleState::E,
        EvseStatus::FNotAvailable => VehicleState::F,
    }
}

/// Per-point checks of every step from the outputs alone: PS-4 (with its grace clause and the
/// opening in the step the debounced state leaves C) and PS-3.
#[derive(Clone, Copy, Debug, Default)]
struct Watch {
    prev: Option<PointOutput>,
    /// The first step without PWM after one with PWM.
    pwm_off_at: Option<u64>,
}

struct Limits {
    grace_ms: u64,
    min_1ph: u32,
    min_3ph: u32,
    outdoor: bool,
}

pub fn is_fault(po: &PointOutput) -> bool {
    po.flags.intersects(
        PointFlags::FAULT | PointFlags::CABLE_FAULT | PointFlags::WELDED | PointFlags::DIODE_FAULT,
    ) || matches!(
        po.reason,
        AllocReason::ProtectionDevice | AllocReason::ClockFault
    )
}

impl Watch {
    #[track_caller]
    fn check(&mut self, t: u64, i: usize, po: &PointOutput, lim: &Limits, domestic: bool) {
        let pwm = po.pilot == PilotOutput::Pwm;
        let charge =
            |s: VehicleState| s == VehicleState::C || (lim.outdoor && s == VehicleState::D);
        let now_state = believed(po.evse_status);
        // PS-3: the duty decodes to the signal, never above the allocation.
        assert!(
            po.signal_ma <= po.allocation_ma,
            "PS-3 at {t} ms, point {i}: signal {} above allocation {}",
            po.signal_ma,
            po.allocation_ma
        );
        if pwm {
            assert!(
                (100..=960).contains(&po.duty_permille),
                "PS-3 at {t} ms: {po:?}"
            );
            assert_eq!(
                decode_ma(po.duty_permille),
                po.signal_ma,
                "PS-3 at {t} ms: {po:?}"
            );
        } else {
            assert_eq!(
                (po.duty_permille, po.signal_ma),
                (0, 0),
                "PS-3 at {t} ms: {po:?}"
            );
        }
        if let Some(prev) = self.prev {
            if prev.pilot == PilotOutput::Pwm && pwm && po.allocation_ma > prev.allocation_ma {
                assert!(
                    po.duty_permille >= prev.duty_permille,
                    "PS-3 at {t} ms, point {i}: allocation rose, duty fell: {prev:?} -> {po:?}"
                );
            }
            if prev.pilot == PilotOutput::Pwm && !pwm {
                self.pwm_off_at = Some(t);
            }
            // PS-4: the contactor opens in the step the debounced state leaves C.
            if !domestic && charge(believed(prev.evse_status)) && !charge(now_state) {
                assert!(
                    !po.contactor,
                    "PS-4 at {t} ms, point {i}: left C ({:?} -> {:?}) with the contactor closed",
                    prev.evse_status, po.evse_status
                );
            }
        }
        if pwm {
            self.pwm_off_at = None;
        }
        if po.contactor {
            assert!(
                !is_fault(po),
                "PS-4 at {t} ms, point {i}: closed on a fault: {po:?}"
            );
            if domestic {
                // CAB-3: switched on at the rated current, never reduced.
                assert!(po.allocation_ma > 0, "CAB-3 at {t} ms: {po:?}");
            } else {
                assert!(
                    charge(now_state),
                    "PS-4 at {t} ms, point {i}: closed in {:?}",
                    po.evse_status
                );
                let one = po.alloc_ma.iter().filter(|a| **a > 0).count() == 1;
                let min = if one { lim.min_1ph } else { lim.min_3ph };
                let graceful = !pwm
                    && self
                        .pwm_off_at
                        .is_some_and(|off| t.saturating_sub(off) < lim.grace_ms);
                assert!(
                    (pwm && po.allocation_ma >= min) || graceful,
                    "PS-4 at {t} ms, point {i}: closed without PWM and allocation >= {min} mA, \
                     nor within the grace time (PWM off since {:?}): {po:?}",
                    self.pwm_off_at
                );
            }
        }
        self.prev = Some(*po);
    }
}

/// A controller fed by EV models, stepped every sample period.
pub struct Rig<const P: usize, const N: usize> {
    pub ctl: Controller<P, N>,
    pub inp: StepInputs<P, N>,
    pub ev: [Ev; P],
    watch: [Watch; P],
    pub now: u64,
    next: u64,
}

impl<const P: usize, const N: usize> Rig<P, N> {
    pub fn new(raw: Raw<P, N>) -> Self {
        let ctl = Controller::new(raw).unwrap_or_else(|e| panic!("config refused: {e}"));
        let mut inp = StepInputs::default();
        for pi in inp.points.iter_mut() {
            pi.authorised = true;
        }
        let mut ev = [Ev::NONE; P];
        for (e, pc) in ev.iter_mut().zip(ctl.config().points()) {
            e.single = pc.phases == loadpilot_core::PhaseCount::One;
        }
        Rig {
            ctl,
            inp,
            ev,
            watch: [Watch::default(); P],
            now: 0,
            next: 0,
        }
    }

    fn period(&self) -> u64 {
        u64::from(self.ctl.config().raw().timers.sample_period_ms)
    }

    /// The time of the next step.
    pub fn next_t(&self) -> u64 {
        self.next
    }

    /// Steps every sample period while the next step is due at or before `t`.
    pub fn at(&mut self, t: u64) -> &mut Self {
        while self.next <= t {
            self.step();
        }
        self
    }

    pub fn step(&mut self) -> &mut Self {
        self.step_at(self.next)
    }

    /// Steps for `ms` from the last step.
    pub fn after(&mut self, ms: u64) -> &mut Self {
        self.at(self.now + ms)
    }

    /// Steps until `pred` holds (checked after each step), at most to `deadline`; returns the
    /// time it first held.
    #[track_caller]
    pub fn until(&mut self, deadline: u64, pred: impl Fn(&Self) -> bool) -> u64 {
        loop {
            self.step();
            if pred(self) {
                return self.now;
            }
            assert!(self.now < deadline, "not met by {deadline} ms");
        }
    }

    /// As `until`, but returns at once if `pred` already holds.
    #[track_caller]
    pub fn when(&mut self, deadline: u64, pred: impl Fn(&Self) -> bool) -> u64 {
        if pred(self) {
            self.now
        } else {
            self.until(deadline, pred)
        }
    }

    fn reading(&self, p: usize) -> CpReading {
        let last = &self.ctl.outputs().points[p];
        let ev = &self.ev[p];
        match last.pilot {
            PilotOutput::StateF => CpReading {
                high_mv: F_MV,
                low_mv: F_MV,
            },
            PilotOutput::Pwm => CpReading {
                high_mv: ev.high_mv,
                low_mv: ev.low_mv.unwrap_or(F_MV),
            },
            PilotOutput::Steady12V => CpReading {
                high_mv: ev.high_mv,
                low_mv: ev.high_mv,
            },
        }
    }

    fn measured(&self, p: usize) -> Option<[u32; 3]> {
        let last = &self.ctl.outputs().points[p];
        let ev = &self.ev[p];
        match ev.meas {
            Meas::Fixed(m) => Some(m),
            Meas::Model => {
                let draw = if last.contactor && last.signal_ma > 0 {
                    last.signal_ma.min(ev.max_ma) + ev.extra_ma
                } else if last.contactor && last.pilot == PilotOutput::Steady12V {
                    // A domestic socket switched on: the load draws what it draws.
                    last.allocation_ma.min(ev.max_ma)
                } else {
                    0
                };
                Some(if ev.single { [draw, 0, 0] } else { [draw; 3] })
            }
        }
    }

    /// One step at exactly `t` (which may lie in the past, SU-3).
    pub fn step_at(&mut self, t: u64) -> &mut Self {
        for p in 0..P {
            let cp = self.reading(p);
            let meas = self.measured(p);
            let pi = &mut self.inp.points[p];
            match self.ev[p].classified {
                Some(v) => (pi.cp, pi.vehicle) = (None, v),
                None => pi.cp = Some(cp),
            }
            pi.measured_ma = meas;
        }
        let out = *self.ctl.step(&self.inp, t);
        let raw = self.ctl.config().raw();
        let lim = Limits {
            grace_ms: u64::from(raw.timers.grace_ms),
            min_1ph: raw.thresholds.min_1ph_ma,
            min_3ph: raw.thresholds.min_3ph_ma,
            outdoor: raw.location == Location::Outdoor,
        };
        for (i, po) in out.points.iter().enumerate() {
            let socket = raw.points[i].socket;
            let domestic = socket == SocketType::TE
                || (socket == SocketType::T2TE && self.inp.points[i].domestic);
            self.watch[i].check(t, i, po, &lim, domestic);
        }
        self.now = t;
        self.next = t + self.period();
        self
    }

    // ---- inputs (from the next step on) ----
    pub fn level(&mut self, p: usize, mv: i32) -> &mut Self {
        self.ev[p].high_mv = mv;
        self
    }
    pub fn low(&mut self, p: usize, mv: Option<i32>) -> &mut Self {
        self.ev[p].low_mv = mv;
        self
    }
    pub fn pp(&mut self, p: usize, ohm: Option<u32>) -> &mut Self {
        self.inp.points[p].pp_ohm = ohm;
        self
    }
    pub fn pi(&mut self, p: usize, f: impl FnOnce(&mut loadpilot_core::PointInputs)) -> &mut Self {
        f(&mut self.inp.points[p]);
        self
    }
    pub fn input(&mut self, in1_closed: bool, in2_closed: bool) -> &mut Self {
        self.inp.station.in1_closed = in1_closed;
        self.inp.station.in2_closed = in2_closed;
        self
    }
    /// Sets an input for exactly the next step.
    pub fn pulse(&mut self, p: usize, set: impl Fn(&mut loadpilot_core::PointInputs, bool)) {
        set(&mut self.inp.points[p], true);
        self.step();
        set(&mut self.inp.points[p], false);
    }

    // ---- outputs ----
    pub fn out(&self) -> &StepOutputs<P> {
        self.ctl.outputs()
    }
    pub fn po(&self, p: usize) -> PointOutput {
        self.ctl.outputs().points[p]
    }
    pub fn errors(&self) -> StationErrors {
        self.ctl.outputs().station.errors
    }
    pub fn closed(&self, p: usize) -> bool {
        self.po(p).contactor
    }
    pub fn pwm(&self, p: usize) -> bool {
        self.po(p).pilot == PilotOutput::Pwm
    }
    pub fn state(&self, p: usize) -> VehicleState {
        believed(self.po(p).evse_status)
    }

    /// Plugs a cable of 32 A and an EV ready to charge on `p`, and steps until the contactor
    /// closes (within 5 s); returns that time.
    #[track_caller]
    pub fn charge(&mut self, p: usize) -> u64 {
        self.pp(p, Some(220)).level(p, C_MV);
        let deadline = self.now + 5_000;
        self.until(deadline, |r| r.closed(p))
    }
}

/// One point under a 64 A station node, stagger 0, every other parameter at its default.
pub fn one(pc: PointConfig) -> Raw<1, 1> {
    let mut raw = RawConfig::with_defaults(
        ProductFamily::City,
        [pc],
        [NodeConfig::station(None, 64_000)],
    );
    raw.timers.stagger_ms = 0;
    raw
}

/// Two points under a 64 A station node, stagger 0.
pub fn two(pc: PointConfig) -> Raw<2, 1> {
    let mut raw = RawConfig::with_defaults(
        ProductFamily::City,
        [pc; 2],
        [NodeConfig::station(None, 64_000)],
    );
    raw.timers.stagger_ms = 0;
    raw
}

/// One point under a 100 A supply node (points above 64 A).
pub fn big(pc: PointConfig) -> Raw<1, 1> {
    let mut raw = RawConfig::with_defaults(
        ProductFamily::City,
        [pc],
        [NodeConfig::new(None, NodeKind::Supply, 100_000)],
    );
    raw.timers.stagger_ms = 0;
    raw
}

pub fn badge(id: u32, kind: BadgeKind) -> Option<Badge> {
    Some(Badge {
        id,
        kind,
        booker: false,
        cached: false,
    })
}
