//! Step-level scenarios of the pilot side of issue 4 (SPEC §4, §3.5, §7): PS-1 … PS-7, SU-1 …
//! SU-3, CAB-1 … CAB-3, LOC-1, CT-1, TH-1, MT-1, MT-2, and bad input. The golden tables of the
//! pure functions (duty, CP bands, hysteresis, PP bands) live in `core/src/pilot.rs` and
//! `core/src/cp.rs`; here everything goes through the step.
//!
//! The rig below feeds measured CP levels (mV), as firmware samples them every sample period,
//! from an EV model: the EV's resistor sets the high level (A 12 000, B 9 000, C 6 000, D 3 000),
//! the low level reads −12 000 while the pilot output is PWM (the EV's diode), and while core
//! drives State F both levels read −12 000. The EV draws min(signal, its maximum) while the
//! contactor is closed. Every step of every scenario checks the PS-3 and PS-4 invariants from the
//! outputs alone (see `Watch`), so each scenario is also an invariant run.

use loadpilot_core::cp::{CableStatus, EvseStatus};
use loadpilot_core::pilot::{decode_ma, signal_ma};
use loadpilot_core::{
    AllocReason, AuthLocation, Badge, BadgeKind, Commands, Config, Controller, CpReading, Field,
    Input1Function, Input2Function, LastError, Location, NodeConfig, NodeKind, OutletStatus, Phase,
    PilotOutput, PointConfig, PointFlags, PointOutput, ProductFamily, RawConfig, Reason, Remote,
    SetPoint, SocketType, StationErrors, StepInputs, StepOutputs, ThermalConfig, VehicleState,
};

type Raw<const P: usize, const N: usize> = RawConfig<[PointConfig; P], [NodeConfig; N]>;

const A_MV: i32 = 12_000;
const B_MV: i32 = 9_000;
const C_MV: i32 = 6_000;
const D_MV: i32 = 3_000;
const E_MV: i32 = 0;
const F_MV: i32 = -12_000;

const P32: PointConfig = PointConfig::three_phase(0, 32_000);

// ---------------------------------------------------------------------------------------------
// The rig
// ---------------------------------------------------------------------------------------------

/// How the point's current is measured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Meas {
    /// What the EV model draws.
    Model,
    /// A fixed reading per point phase.
    Fixed([u32; 3]),
}

/// An EV on one point, as the pilot and the current measurement see it.
#[derive(Clone, Copy, Debug)]
struct Ev {
    /// The high level its resistor makes (mV); 12 000 without an EV.
    high_mv: i32,
    /// The low level while PWM is on; `None`: −12 000 (a working diode).
    low_mv: Option<i32>,
    /// Its own maximum current (mA per phase).
    max_ma: u32,
    /// Drawn above min(signal, max) while a signal stands.
    extra_ma: u32,
    /// Draws on the point's L1 only.
    single: bool,
    meas: Meas,
    /// The caller classifies the pilot itself (`cp: None`, `vehicle` given).
    classified: Option<VehicleState>,
}

impl Ev {
    const NONE: Ev = Ev {
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

fn is_fault(po: &PointOutput) -> bool {
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
struct Rig<const P: usize, const N: usize> {
    ctl: Controller<P, N>,
    inp: StepInputs<P, N>,
    ev: [Ev; P],
    watch: [Watch; P],
    now: u64,
    next: u64,
}

impl<const P: usize, const N: usize> Rig<P, N> {
    fn new(raw: Raw<P, N>) -> Self {
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
    fn next_t(&self) -> u64 {
        self.next
    }

    /// Steps every sample period while the next step is due at or before `t`.
    fn at(&mut self, t: u64) -> &mut Self {
        while self.next <= t {
            self.step();
        }
        self
    }

    fn step(&mut self) -> &mut Self {
        self.step_at(self.next)
    }

    /// Steps for `ms` from the last step.
    fn after(&mut self, ms: u64) -> &mut Self {
        self.at(self.now + ms)
    }

    /// Steps until `pred` holds (checked after each step), at most to `deadline`; returns the
    /// time it first held.
    #[track_caller]
    fn until(&mut self, deadline: u64, pred: impl Fn(&Self) -> bool) -> u64 {
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
    fn when(&mut self, deadline: u64, pred: impl Fn(&Self) -> bool) -> u64 {
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
    fn step_at(&mut self, t: u64) -> &mut Self {
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
    fn level(&mut self, p: usize, mv: i32) -> &mut Self {
        self.ev[p].high_mv = mv;
        self
    }
    fn low(&mut self, p: usize, mv: Option<i32>) -> &mut Self {
        self.ev[p].low_mv = mv;
        self
    }
    fn pp(&mut self, p: usize, ohm: Option<u32>) -> &mut Self {
        self.inp.points[p].pp_ohm = ohm;
        self
    }
    fn pi(&mut self, p: usize, f: impl FnOnce(&mut loadpilot_core::PointInputs)) -> &mut Self {
        f(&mut self.inp.points[p]);
        self
    }
    fn input(&mut self, in1_closed: bool, in2_closed: bool) -> &mut Self {
        self.inp.station.in1_closed = in1_closed;
        self.inp.station.in2_closed = in2_closed;
        self
    }
    /// Sets an input for exactly the next step.
    fn pulse(&mut self, p: usize, set: impl Fn(&mut loadpilot_core::PointInputs, bool)) {
        set(&mut self.inp.points[p], true);
        self.step();
        set(&mut self.inp.points[p], false);
    }

    // ---- outputs ----
    fn out(&self) -> &StepOutputs<P> {
        self.ctl.outputs()
    }
    fn po(&self, p: usize) -> PointOutput {
        self.ctl.outputs().points[p]
    }
    fn errors(&self) -> StationErrors {
        self.ctl.outputs().station.errors
    }
    fn closed(&self, p: usize) -> bool {
        self.po(p).contactor
    }
    fn pwm(&self, p: usize) -> bool {
        self.po(p).pilot == PilotOutput::Pwm
    }
    fn state(&self, p: usize) -> VehicleState {
        believed(self.po(p).evse_status)
    }

    /// Plugs a cable of 32 A and an EV ready to charge on `p`, and steps until the contactor
    /// closes (within 5 s); returns that time.
    #[track_caller]
    fn charge(&mut self, p: usize) -> u64 {
        self.pp(p, Some(220)).level(p, C_MV);
        let deadline = self.now + 5_000;
        self.until(deadline, |r| r.closed(p))
    }
}

/// One point under a 64 A station node, stagger 0, every other parameter at its default.
fn one(pc: PointConfig) -> Raw<1, 1> {
    let mut raw = RawConfig::with_defaults(
        ProductFamily::City,
        [pc],
        [NodeConfig::station(None, 64_000)],
    );
    raw.timers.stagger_ms = 0;
    raw
}

/// Two points under a 64 A station node, stagger 0.
fn two(pc: PointConfig) -> Raw<2, 1> {
    let mut raw = RawConfig::with_defaults(
        ProductFamily::City,
        [pc; 2],
        [NodeConfig::station(None, 64_000)],
    );
    raw.timers.stagger_ms = 0;
    raw
}

/// One point under a 100 A supply node (points above 64 A).
fn big(pc: PointConfig) -> Raw<1, 1> {
    let mut raw = RawConfig::with_defaults(
        ProductFamily::City,
        [pc],
        [NodeConfig::new(None, NodeKind::Supply, 100_000)],
    );
    raw.timers.stagger_ms = 0;
    raw
}

fn badge(id: u32, kind: BadgeKind) -> Option<Badge> {
    Some(Badge {
        id,
        kind,
        booker: false,
        cached: false,
    })
}

// ---------------------------------------------------------------------------------------------
// PS-1: classification, hysteresis, debounce, the sample-period deadline
// ---------------------------------------------------------------------------------------------

/// Proves PS-1: A → B is believed after the safer-state debounce (20 ms: the third reading at a
/// 10 ms period), not before; the free-access session then offers PWM (B with PWM).
#[test]
fn ps1_a_to_b_after_the_safer_debounce() {
    let mut r = Rig::new(one(P32));
    r.at(200);
    assert_eq!(r.po(0).evse_status.name(), "A_Not_Present_12V");
    r.level(0, B_MV);
    let t0 = r.next_t();
    r.at(t0 + 10);
    assert_eq!(r.state(0), VehicleState::A, "at {} ms", r.now);
    r.at(t0 + 20);
    assert_eq!(r.state(0), VehicleState::B, "believed B at {} ms", r.now);
    assert!(r.pwm(0) && !r.closed(0));
    assert_eq!(r.po(0).evse_status.name(), "B_Present_Asked_9V_M12V");
}

/// Proves PS-1 and PS-5: B → C is believed after the debounce towards C (100 ms), and the
/// contactor closes in that very step (PWM has been on for long), well within 3 s.
#[test]
fn ps1_ps5_b_to_c_after_the_charge_debounce_contactor_at_once() {
    let mut r = Rig::new(one(P32));
    r.pp(0, Some(220)).level(0, B_MV).at(2_000);
    assert!(r.pwm(0) && r.state(0) == VehicleState::B);
    r.level(0, C_MV);
    let t0 = r.next_t();
    r.at(t0 + 90);
    assert_eq!(r.state(0), VehicleState::B, "at {} ms", r.now);
    assert!(!r.closed(0));
    r.at(t0 + 100);
    assert_eq!(r.state(0), VehicleState::C, "at {} ms", r.now);
    assert!(r.closed(0), "contactor at {} ms: {:?}", r.now, r.po(0));
    assert_eq!(r.po(0).evse_status.name(), "C_Ready_6V_M12V");
}

/// Proves PS-1: glitches shorter than the debounce are ignored, towards a safer state (1 and 2
/// readings of B, E, unknown while charging) and towards C (9 readings of C while in B).
#[test]
fn ps1_short_glitches_are_ignored() {
    let mut r = Rig::new(one(P32));
    r.charge(0);
    r.after(500);
    for glitch in [B_MV, E_MV, 14_000, -5_000, A_MV] {
        for n in 1..=2 {
            r.level(0, glitch);
            for _ in 0..n {
                r.step();
            }
            r.level(0, C_MV);
            r.after(200);
            let po = r.po(0);
            assert!(po.contactor, "{glitch} mV x{n}: opened: {po:?}");
            assert!(!is_fault(&po), "{glitch} mV x{n}: fault: {po:?}");
            assert_eq!(po.evse_status, EvseStatus::CReady6VM12V);
        }
    }
    // Towards C: 9 readings (90 ms) of C while in B never close the contactor.
    r.level(0, B_MV);
    r.after(500);
    assert!(!r.closed(0) && r.state(0) == VehicleState::B);
    r.level(0, C_MV);
    for _ in 0..9 {
        r.step();
        assert!(
            !r.closed(0) && r.state(0) == VehicleState::B,
            "at {} ms",
            r.now
        );
    }
    r.level(0, B_MV);
    for _ in 0..50 {
        r.step();
        assert!(
            !r.closed(0) && r.state(0) == VehicleState::B,
            "at {} ms",
            r.now
        );
    }
}

/// Proves PS-1: the 300 mV hysteresis keeps the believed state: B at 7 300 mV (raw C) stays
/// B, C at 7 700 mV (raw B) stays C; past the hysteresis (7 199, 7 800) the state changes.
#[test]
fn ps1_hysteresis_keeps_the_state_through_the_step() {
    let mut r = Rig::new(one(P32));
    r.pp(0, Some(220)).level(0, B_MV).at(1_000);
    r.level(0, 7_300).at(3_000);
    assert_eq!(r.state(0), VehicleState::B);
    assert!(!r.closed(0));
    r.level(0, 7_199);
    let t0 = r.next_t();
    let t = r.until(t0 + 1_000, |r| r.state(0) == VehicleState::C);
    assert_eq!(t, t0 + 100);
    assert!(r.closed(0));
    r.level(0, 7_700).at(t + 3_000);
    assert_eq!(r.state(0), VehicleState::C);
    assert!(r.closed(0));
    r.level(0, 7_800);
    let t1 = r.next_t();
    let t = r.until(t1 + 1_000, |r| r.state(0) == VehicleState::B);
    assert_eq!(t, t1 + 20);
    assert!(!r.closed(0));
}

/// Proves PS-1: a level outside every band ("unknown") is believed after the safer debounce,
/// and is a fault with an immediate stop in that step: contactor open, PWM off, pilot fault bit.
#[test]
fn ps1_unknown_level_is_a_fault_after_the_safer_debounce() {
    for mv in [14_000, -5_000, -15_000] {
        let mut r = Rig::new(one(P32));
        r.charge(0);
        r.after(300);
        r.level(0, mv);
        let t0 = r.next_t();
        r.at(t0 + 10);
        assert!(
            r.closed(0) && !is_fault(&r.po(0)),
            "{mv} mV at {} ms",
            r.now
        );
        r.at(t0 + 20);
        let po = r.po(0);
        assert_eq!(po.evse_status.name(), "F_NotAvailable", "{mv} mV");
        assert!(
            !po.contactor && po.pilot != PilotOutput::Pwm,
            "{mv} mV: {po:?}"
        );
        assert!(po.flags.contains(PointFlags::FAULT), "{mv} mV: {po:?}");
        assert_eq!(po.reason, AllocReason::Fault);
        assert!(r.errors().contains(StationErrors::PILOT_FAULT_1));
    }
}

/// Proves PS-1: while a debounce runs or a contactor is closed, `next_deadline_ms` is at most one
/// sample period ahead (10 ms, and 40 ms with a 40 ms period).
#[test]
fn ps1_next_deadline_within_one_sample_period() {
    for period in [10u32, 40] {
        let mut raw = one(P32);
        raw.timers.sample_period_ms = period;
        let p = u64::from(period);
        let mut r = Rig::new(raw);
        r.pp(0, Some(220)).level(0, B_MV).at(2_000);
        // B → C debounce running.
        r.level(0, C_MV);
        let t0 = r.next_t();
        while r.next_t() < t0 + 100 {
            r.step();
            let d = r.out().station.next_deadline_ms;
            assert!(
                d <= r.now + p,
                "P {p}: debounce at {} ms, deadline {d}",
                r.now
            );
        }
        r.until(t0 + 1_000, |r| r.closed(0));
        // Contactor closed, nothing else running.
        for _ in 0..300 {
            r.step();
            assert!(r.closed(0));
            let d = r.out().station.next_deadline_ms;
            assert!(
                d <= r.now + p,
                "P {p}: closed at {} ms, deadline {d}",
                r.now
            );
        }
        // A glitch towards B: a safer debounce runs.
        r.level(0, B_MV).step();
        let d = r.out().station.next_deadline_ms;
        assert!(
            d <= r.now + p,
            "P {p}: C -> B debounce at {} ms, deadline {d}",
            r.now
        );
    }
}

// ---------------------------------------------------------------------------------------------
// PS-2: the diode check
// ---------------------------------------------------------------------------------------------

/// Proves PS-2: with PWM on, a low level outside −13 500 ..< −10 500 mV for the safer debounce
/// is a diode fault: the contactor stays open even when the EV goes to C. Shorter glitches of
/// the low level are ignored.
#[test]
fn ps2_missing_diode_is_a_fault_and_the_contactor_stays_open() {
    let mut r = Rig::new(one(P32));
    r.pp(0, Some(220)).level(0, B_MV);
    let t_pwm = r.until(1_000, |r| r.pwm(0));
    // Two readings of a bad low level: ignored.
    r.low(0, Some(-9_000)).step().step();
    r.low(0, None).at(t_pwm + 500);
    assert!(!r.po(0).flags.contains(PointFlags::DIODE_FAULT));
    assert!(r.pwm(0));
    // Missing diode: the low level follows the high level.
    r.low(0, Some(-B_MV));
    let t0 = r.next_t();
    r.at(t0 + 10);
    assert!(!r.po(0).flags.contains(PointFlags::DIODE_FAULT));
    r.at(t0 + 20);
    let po = r.po(0);
    assert!(
        po.flags
            .contains(PointFlags::DIODE_FAULT | PointFlags::FAULT),
        "{po:?}"
    );
    assert!(r.errors().contains(StationErrors::PILOT_FAULT_1));
    assert!(po.pilot != PilotOutput::Pwm && !po.contactor);
    r.level(0, C_MV).at(t0 + 3_000);
    assert!(!r.closed(0) && !r.pwm(0), "{:?}", r.po(0));
}

/// Proves PS-2 and PS-4: a diode that shorts during a charge opens the contactor in the step
/// the fault is set (one safer debounce after the first bad reading).
#[test]
fn ps2_ps4_diode_fault_during_a_charge_opens_at_once() {
    let mut r = Rig::new(one(P32));
    r.charge(0);
    r.after(300);
    r.low(0, Some(-1_000));
    let t0 = r.next_t();
    r.at(t0 + 10);
    assert!(r.closed(0));
    r.at(t0 + 20);
    assert!(r.po(0).flags.contains(PointFlags::DIODE_FAULT));
    assert!(!r.closed(0) && !r.pwm(0));
}

// ---------------------------------------------------------------------------------------------
// PS-3: the signalled current through the step
// ---------------------------------------------------------------------------------------------

/// Proves PS-3: through the step, the signalled current is the PS-3 value of the allocation,
/// never above it, on an 80 A point as its EV limit sweeps 5.9 … 81 A up and down (the rig
/// checks signal ≤ allocation and the duty's monotonicity in every step).
#[test]
fn ps3_signal_is_the_duty_of_the_allocation_never_above() {
    let mut raw = big(PointConfig::three_phase(0, 80_000));
    raw.timers.rise_interval_ms = 1_000;
    raw.timers.min_pause_ms = 0;
    let mut r = Rig::new(raw);
    r.pp(0, Some(100)).level(0, C_MV);
    let limits = [
        5_900, 6_000, 8_000, 10_000, 13_000, 14_000, 16_000, 20_000, 32_000, 40_000, 51_000,
        51_100, 52_000, 63_000, 70_000, 80_000, 81_000, 52_700, 51_050, 33_333, 14_001,
    ];
    let mut t = 0;
    for lim in limits.into_iter().chain(limits.into_iter().rev()) {
        r.pi(0, |pi| pi.ev_limit_ma = Some(lim));
        t += 2_500;
        r.at(t);
        let po = r.po(0);
        let cap = lim.min(63_000); // the 100 Ω cable on a three-phase point
        let want = if cap >= 14_000 { cap } else { 0 };
        assert_eq!(po.allocation_ma, want, "EV limit {lim}: {po:?}");
        assert_eq!(po.signal_ma, signal_ma(want), "EV limit {lim}: {po:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// PS-4: immediate stops
// ---------------------------------------------------------------------------------------------

/// Charges one point, applies `trigger`, and steps until `changed` shows the believed state
/// changed or the fault set; the contactor must open in exactly that step (closed the step
/// before), and with `pwm_off` the PWM must be off too.
#[track_caller]
fn immediate_stop(
    what: &str,
    setup: impl FnOnce(&mut Raw<1, 1>),
    trigger: impl FnOnce(&mut Rig<1, 1>),
    changed: impl Fn(&Rig<1, 1>) -> bool,
    pwm_off: bool,
) -> Rig<1, 1> {
    let mut raw = one(P32);
    setup(&mut raw);
    let mut r = Rig::new(raw);
    r.charge(0);
    r.after(1_000);
    assert!(r.closed(0) && !changed(&r), "{what}: before the trigger");
    trigger(&mut r);
    let t0 = r.now;
    loop {
        let was_closed = r.closed(0);
        r.step();
        if changed(&r) {
            assert!(
                was_closed,
                "{what}: opened before the change, at {} ms",
                r.now
            );
            assert!(
                !r.closed(0),
                "{what}: still closed at {} ms: {:?}",
                r.now,
                r.po(0)
            );
            if pwm_off {
                assert!(!r.pwm(0), "{what}: PWM on at {} ms: {:?}", r.now, r.po(0));
            }
            return r;
        }
        assert!(r.now < t0 + 1_000, "{what}: no change within 1 s");
    }
}

/// Proves PS-4: leaving C to A, B, E, F or unknown opens the contactor in the step in which the
/// debounced state changes.
#[test]
fn ps4_leaving_c_opens_in_the_step_the_state_changes() {
    for (mv, s) in [
        (A_MV, VehicleState::A),
        (B_MV, VehicleState::B),
        (E_MV, VehicleState::E),
        (F_MV, VehicleState::F),
        (14_000, VehicleState::F), // unknown shows as F_NotAvailable (PS-6)
    ] {
        let r = immediate_stop(
            &format!("C -> {mv} mV"),
            |_| {},
            |r| {
                r.level(0, mv);
            },
            |r| r.state(0) != VehicleState::C,
            s != VehicleState::B,
        );
        assert_eq!(r.state(0), s, "{mv} mV");
    }
}

/// Proves PS-4: a diode fault, a cable fault, the protection-devices input (IN-2), state D
/// indoors (LOC-1) and a hard over-current each open the contactor in the step the fault is set
/// or the state changes, with PWM off.
#[test]
fn ps4_faults_open_in_the_step_they_are_set() {
    immediate_stop(
        "diode",
        |_| {},
        |r| {
            r.low(0, Some(-2_000));
        },
        |r| r.po(0).flags.contains(PointFlags::DIODE_FAULT),
        true,
    );
    let r = immediate_stop(
        "cable fault",
        |_| {},
        |r| {
            r.pp(0, Some(3_000));
        },
        |r| r.po(0).flags.contains(PointFlags::CABLE_FAULT),
        true,
    );
    assert!(r.errors().contains(StationErrors::CABLE_FAULT_1));
    let r = immediate_stop(
        "IN-2",
        |raw| raw.inputs.in1 = Input1Function::ProtectionDevices,
        |r| {
            r.input(true, false);
        },
        |r| r.errors().contains(StationErrors::PROTECTION_TRIPPED),
        true,
    );
    assert_eq!(r.po(0).pilot, PilotOutput::StateF);
    assert_eq!(r.po(0).reason, AllocReason::ProtectionDevice);
    let r = immediate_stop(
        "D indoors",
        |_| {},
        |r| {
            r.level(0, D_MV);
        },
        |r| r.state(0) == VehicleState::D,
        true,
    );
    assert!(r.po(0).flags.contains(PointFlags::VENTILATION_REQUIRED));
    assert_eq!(r.po(0).reason, AllocReason::Ventilation);
    let r = immediate_stop(
        "hard over-current",
        |_| {},
        |r| r.ev[0].extra_ma = 10_001,
        |r| r.po(0).flags.contains(PointFlags::EV_OVERCURRENT),
        true,
    );
    assert!(r.po(0).flags.contains(PointFlags::FAULT));
}

/// Proves PS-4: the hard over-current threshold is measured against the highest value signalled
/// within the response time, so an EV that follows a legal reduction slowly is not stopped; one
/// that still draws the old current after the response time is.
#[test]
fn ps4_ps5_a_legal_reduction_is_not_punished() {
    let mut raw = one(P32);
    raw.timers.ev_response_ms = 3_000;
    let mut r = Rig::new(raw);
    r.charge(0);
    r.after(1_000);
    assert_eq!(r.po(0).signal_ma, 31_980);
    // The limit drops to 14 A; the EV keeps drawing 32 A for 2.9 s.
    r.pi(0, |pi| pi.ev_limit_ma = Some(14_000));
    r.ev[0].meas = Meas::Fixed([31_980; 3]);
    let t0 = r.next_t();
    r.step();
    assert!(r.po(0).signal_ma <= 14_000);
    r.at(t0 + 2_900);
    assert!(
        r.closed(0) && r.pwm(0),
        "stopped within the response time: {:?}",
        r.po(0)
    );
    // Still 32 A at the end of the response time: stopped.
    let t = r.until(t0 + 4_000, |r| !r.closed(0));
    assert!(t >= t0 + 3_000, "stopped at {t} ms");
    assert!(r.po(0).flags.contains(PointFlags::EV_OVERCURRENT));
}

// ---------------------------------------------------------------------------------------------
// PS-4 / PS-5: graceful stops
// ---------------------------------------------------------------------------------------------

/// Charges point `p`, applies `trigger`, and checks the graceful stop: PWM off within `within_ms`
/// with the contactor still closed (STOPPING), then either (EV stays in C) the contactor opens
/// exactly when the grace time has run out, or (EV leaves to B `leave_after_ms` after the PWM
/// stopped) in the step B is believed.
#[track_caller]
fn graceful_stop<const P: usize>(
    what: &str,
    mut r: Rig<P, 1>,
    p: usize,
    trigger: &dyn Fn(&mut Rig<P, 1>),
    within_ms: u64,
    leave_after_ms: Option<u64>,
) -> Rig<P, 1> {
    let grace = u64::from(r.ctl.config().raw().timers.grace_ms);
    r.charge(p);
    r.after(1_000);
    let t0 = r.now;
    trigger(&mut r);
    // A trigger that pulses an input has already stepped.
    let off = if r.pwm(p) {
        r.until(t0 + within_ms + 10, |r| !r.pwm(p))
    } else {
        r.now
    };
    assert!(
        off <= t0 + within_ms + 10,
        "{what}: PWM off only at {off} ms"
    );
    let po = r.po(p);
    assert!(po.contactor, "{what}: opened at once: {po:?}");
    assert!(po.flags.contains(PointFlags::STOPPING), "{what}: {po:?}");
    assert_eq!(po.pilot, PilotOutput::Steady12V, "{what}");
    assert_eq!(po.evse_status.name(), "C_Ready_6V", "{what}");
    match leave_after_ms {
        None => {
            r.at(off + grace - 10);
            assert!(
                r.closed(p),
                "{what}: opened before the grace time: {:?}",
                r.po(p)
            );
            r.step();
            assert!(!r.closed(p), "{what}: still closed after the grace time");
        }
        Some(after) => {
            r.at(off + after);
            assert!(r.closed(p), "{what}");
            r.level(p, B_MV);
            let t1 = r.next_t();
            r.at(t1 + 10);
            assert!(r.closed(p), "{what}: opened before B was believed");
            r.at(t1 + 20);
            assert_eq!(r.state(p), VehicleState::B, "{what}");
            assert!(!r.closed(p), "{what}: closed in B");
        }
    }
    r
}

/// Runs a graceful stop twice: the EV staying in C, and the EV leaving to B after 1.5 s.
#[track_caller]
fn graceful_both<const P: usize>(
    what: &str,
    make: impl Fn() -> Rig<P, 1>,
    p: usize,
    trigger: &dyn Fn(&mut Rig<P, 1>),
    within_ms: u64,
) -> Rig<P, 1> {
    graceful_stop(what, make(), p, trigger, within_ms, None);
    graceful_stop(what, make(), p, trigger, within_ms, Some(1_500))
}

fn rig1(f: impl Fn(&mut Raw<1, 1>)) -> impl Fn() -> Rig<1, 1> {
    move || {
        let mut raw = one(P32);
        f(&mut raw);
        Rig::new(raw)
    }
}

/// Proves PS-4 and PS-5: a shed (the station's set point drops below the minimum) is a
/// graceful stop.
#[test]
fn ps4_graceful_shed() {
    let sp = |ma, t| {
        Some(SetPoint {
            current_ma: ma,
            received_ms: t,
        })
    };
    let make = || {
        let mut raw = one(P32);
        raw.external_control = true;
        raw.timers.setpoint_validity_ms = 3_600_000;
        let mut r = Rig::new(raw);
        r.inp.nodes[0].setpoint = sp(64_000, 0);
        r
    };
    let r = graceful_both(
        "shed",
        make,
        0,
        &|r| r.inp.nodes[0].setpoint = sp(10_000, r.now),
        10,
    );
    assert!(matches!(
        r.po(0).reason,
        AllocReason::Shed | AllocReason::SetPoint
    ));
}

/// Proves PS-4 and PS-5: a point set point of 0 A is a graceful stop.
#[test]
fn ps4_graceful_setpoint_zero() {
    let sp = |ma, t| {
        Some(SetPoint {
            current_ma: ma,
            received_ms: t,
        })
    };
    let make = || {
        let mut raw = one(P32);
        raw.external_control = true;
        raw.points[0].external = true;
        raw.nodes[0].external = false;
        raw.timers.setpoint_validity_ms = 3_600_000;
        let mut r = Rig::new(raw);
        r.inp.points[0].setpoint = sp(32_000, 0);
        r
    };
    let r = graceful_both(
        "set point 0",
        make,
        0,
        &|r| r.inp.points[0].setpoint = sp(0, r.now),
        10,
    );
    assert_eq!(r.po(0).reason, AllocReason::SetPoint);
}

/// Proves PS-4 and PS-5: the load-shedding input (IN-3) with a 0 A set point is a graceful stop.
#[test]
fn ps4_graceful_load_shedding_input_zero() {
    let make = rig1(|raw| {
        raw.inputs.in1 = Input1Function::LoadShedding;
        raw.inputs.load_shedding_ma = 0;
    });
    graceful_both(
        "load shedding",
        make,
        0,
        &|r| {
            r.input(true, false);
        },
        10,
    );
}

/// Proves PS-4 and PS-5: losing the conditional-start input (IN-4) is a graceful stop.
#[test]
fn ps4_graceful_conditional_start_lost() {
    let make = || {
        let mut raw = one(P32);
        raw.inputs.in2 = Input2Function::ConditionalStart;
        let mut r = Rig::new(raw);
        r.input(false, true);
        r
    };
    graceful_both(
        "conditional start",
        make,
        0,
        &|r| {
            r.input(false, false);
        },
        10,
    );
}

/// Proves PS-4 and PS-5: a suspend command (EX-2) is a graceful stop.
#[test]
fn ps4_graceful_suspend_command() {
    let make = rig1(|_| {});
    let r = graceful_both(
        "suspend",
        make,
        0,
        &|r| r.inp.points[0].commands = Commands::SUSPEND,
        10,
    );
    assert_eq!(r.po(0).reason, AllocReason::Command);
}

/// Proves PS-4 and PS-5: an EV drawing above its signal plus the tolerance (but below the hard
/// threshold) is stopped gracefully once its response time has run out.
#[test]
fn ps4_graceful_ev_over_current() {
    let make = rig1(|_| {});
    let r = graceful_both(
        "EV over-current",
        make,
        0,
        &|r| r.ev[0].extra_ma = 3_000,
        5_100,
    );
    assert_eq!(r.po(0).reason, AllocReason::EvOverCurrent);
}

/// Proves PS-4 and PS-5: a stop by the session's own badge is a graceful stop.
#[test]
fn ps4_graceful_badge_stop() {
    let make = || {
        let mut raw = one(P32);
        raw.session.auth_location = AuthLocation::ChargingStation;
        let mut r = Rig::new(raw);
        r.pulse(0, |pi, on| {
            pi.badge = if on { badge(7, BadgeKind::User) } else { None }
        });
        r
    };
    let r = graceful_both(
        "badge stop",
        make,
        0,
        &|r| {
            r.pulse(0, |pi, on| {
                pi.badge = if on { badge(7, BadgeKind::User) } else { None }
            })
        },
        10,
    );
    assert_ne!(r.po(0).status, OutletStatus::ChargeLoopStarted);
}

/// Proves PS-4 and PS-5: a remote stop is a graceful stop.
#[test]
fn ps4_graceful_remote_stop() {
    let make = rig1(|_| {});
    graceful_both(
        "remote stop",
        make,
        0,
        &|r| {
            r.pulse(0, |pi, on| {
                pi.remote = if on { Remote::Stop } else { Remote::None }
            })
        },
        10,
    );
}

// ---------------------------------------------------------------------------------------------
// PS-5: closing time, rise interval
// ---------------------------------------------------------------------------------------------

/// Proves PS-5 and PS-1: with the longest accepted debounce towards C at the longest sample
/// period (2 000 ms at 40 ms), the contactor still closes within 3 s of B → C.
#[test]
fn ps5_closes_within_3_s_of_b_to_c_at_the_slowest_accepted_timing() {
    let mut raw = one(P32);
    raw.timers.sample_period_ms = 40;
    raw.timers.debounce_charge_ms = 2_000;
    raw.timers.debounce_safer_ms = 20;
    let mut r = Rig::new(raw);
    r.pp(0, Some(220)).level(0, B_MV).at(2_000);
    assert!(r.pwm(0));
    // The real change happens just after a sample.
    let t_real = r.now + 1;
    r.level(0, C_MV);
    let t = r.until(t_real + 3_000, |r| r.closed(0));
    assert!(t - t_real <= 3_000, "closed {} ms after B -> C", t - t_real);
}

/// Proves PS-5: a reduction is signalled in the next step; a rise no more often than the rise
/// interval (5 s), from the last rise.
#[test]
fn ps5_rise_interval_and_immediate_reduction() {
    let mut r = Rig::new(one(P32));
    r.pi(0, |pi| pi.ev_limit_ma = Some(16_000));
    r.pp(0, Some(220)).level(0, C_MV);
    // The start (0 -> 16 A) counts as the last rise.
    let t_pwm = r.until(1_000, |r| r.pwm(0));
    let t_start = r.until(2_000, |r| r.closed(0));
    r.at(t_start + 1_000);
    r.pi(0, |pi| pi.ev_limit_ma = Some(32_000));
    r.step();
    assert_eq!(r.po(0).allocation_ma, 16_000);
    assert_eq!(r.po(0).reason, AllocReason::RateLimit);
    let t_up = r.until(t_start + 10_000, |r| r.po(0).allocation_ma > 16_000);
    assert_eq!(t_up, t_pwm + 5_000, "rise at {t_up} ms");
    assert_eq!(r.po(0).allocation_ma, 32_000);
    // A reduction: at once.
    r.at(t_up + 500);
    r.pi(0, |pi| pi.ev_limit_ma = Some(20_000));
    r.step();
    assert_eq!(r.po(0).allocation_ma, 20_000);
    assert!(r.po(0).signal_ma <= 20_000);
    // And up again: 5 s after the last rise, not after the reduction.
    r.pi(0, |pi| pi.ev_limit_ma = Some(32_000));
    let t_up2 = r.until(t_up + 10_000, |r| r.po(0).allocation_ma > 20_000);
    assert_eq!(t_up2, t_up + 5_000);
}

// ---------------------------------------------------------------------------------------------
// PS-6: status names through the step
// ---------------------------------------------------------------------------------------------

/// Proves PS-6: `evse_status` names the believed state, with or without PWM, through a session.
#[test]
fn ps6_evse_status_names_through_the_step() {
    let mut r = Rig::new(one(P32));
    let name = |r: &Rig<1, 1>| r.po(0).evse_status.name();
    r.at(100);
    assert_eq!(name(&r), "A_Not_Present_12V");
    r.pi(0, |pi| pi.authorised = false);
    r.pp(0, Some(220)).level(0, B_MV);
    r.at(500);
    assert_eq!(name(&r), "B_Present_9V");
    r.pi(0, |pi| pi.authorised = true);
    r.at(600);
    assert_eq!(name(&r), "B_Present_Asked_9V_M12V");
    r.level(0, C_MV).at(1_000);
    assert_eq!(name(&r), "C_Ready_6V_M12V");
    r.pi(0, |pi| pi.commands = Commands::SUSPEND).at(1_100);
    assert_eq!(name(&r), "C_Ready_6V");
    r.pi(0, |pi| pi.commands = Commands::EMPTY);
    r.level(0, D_MV).at(1_500);
    assert_eq!(name(&r), "D_Ready_VR_3V", "indoors: D stops, no PWM");
    r.level(0, E_MV).at(1_600);
    assert_eq!(name(&r), "E_ShortCut");
    r.level(0, F_MV).at(1_700);
    assert_eq!(name(&r), "F_NotAvailable");
    r.level(0, 20_000).at(1_800);
    assert_eq!(name(&r), "F_NotAvailable");

    let mut raw = one(P32);
    raw.location = Location::Outdoor;
    let mut r = Rig::new(raw);
    r.pp(0, Some(220)).level(0, D_MV).at(1_000);
    assert_eq!(name(&r), "D_Ready_VR_3V_M12V");
    assert!(r.closed(0), "outdoors D charges");
}

// ---------------------------------------------------------------------------------------------
// PS-7: wake-up
// ---------------------------------------------------------------------------------------------

fn wake_raw() -> Raw<1, 1> {
    let mut raw = one(P32);
    raw.timers.min_pause_ms = 0;
    raw.timers.wakeup_after_ms = 1_000;
    raw.timers.wakeup_f_ms = 1_000;
    raw.timers.wakeup_settle_ms = 500;
    raw
}

/// Charges, suspends (the EV falls asleep in B), lifts the suspend; returns the time the pilot
/// left +12 V again.
fn pause_and_resume(r: &mut Rig<1, 1>) -> u64 {
    r.pi(0, |pi| pi.commands = Commands::SUSPEND);
    let t = r.now;
    r.until(t + 100, |r| !r.pwm(0));
    r.level(0, B_MV);
    let t = r.now;
    r.at(t + 2_000);
    assert!(!r.closed(0) && !r.pwm(0));
    r.pi(0, |pi| pi.commands = Commands::EMPTY);
    let t = r.now;
    r.until(t + 1_000, |r| r.po(0).pilot != PilotOutput::Steady12V)
}

/// Proves PS-7: after a resume PWM returns first; State F comes only once the EV has stayed in
/// B for `wakeup_after_ms` (1 s) with PWM on.
#[test]
fn ps7_pwm_returns_before_the_wake_up() {
    let mut r = Rig::new(wake_raw());
    r.charge(0);
    r.after(1_000);
    let t_r = pause_and_resume(&mut r);
    assert!(
        r.pwm(0),
        "the resume at {t_r} ms shows {:?}, not PWM",
        r.po(0).pilot
    );
    let t_f = r.until(t_r + 2_000, |r| r.po(0).pilot == PilotOutput::StateF);
    assert_eq!(
        t_f,
        t_r + 1_000,
        "State F {} ms after PWM returned",
        t_f - t_r
    );
}

/// Proves PS-7: the wake-up drives State F for `wakeup_f_ms`, then PWM again; the −12 V readings
/// while core drives F and within the settling window after are not a fault; once per resume,
/// and again at the next resume.
#[test]
fn ps7_wake_up_once_per_resume_without_a_fault() {
    let mut r = Rig::new(wake_raw());
    r.charge(0);
    r.after(1_000);
    let t_r = pause_and_resume(&mut r);
    let t_f = r.when(t_r + 2_000, |r| r.po(0).pilot == PilotOutput::StateF);
    assert!(r.po(0).flags.contains(PointFlags::WAKE_UP));
    r.at(t_f + 990);
    assert_eq!(r.po(0).pilot, PilotOutput::StateF);
    r.step();
    assert!(r.pwm(0), "PWM again after the wake-up: {:?}", r.po(0));
    assert!(!r.po(0).flags.contains(PointFlags::WAKE_UP));
    // The EV's pilot still reads −12 V for 400 ms of the 500 ms settling window: no fault.
    let t_end = r.now;
    r.level(0, F_MV).at(t_end + 400);
    r.level(0, B_MV).at(t_end + 600);
    assert!(!is_fault(&r.po(0)), "{:?}", r.po(0));
    // The EV stays asleep: no second wake-up in this resume.
    for _ in 0..300 {
        r.step();
        assert!(
            r.pwm(0) && !is_fault(&r.po(0)),
            "at {} ms: {:?}",
            r.now,
            r.po(0)
        );
    }
    // It wakes: charges.
    r.level(0, C_MV);
    let t = r.now;
    r.until(t + 500, |r| r.closed(0));
    // The next resume: a wake-up again.
    r.after(1_000);
    let t_r2 = pause_and_resume(&mut r);
    r.when(t_r2 + 2_000, |r| r.po(0).pilot == PilotOutput::StateF);
    assert!(!r.errors().contains(StationErrors::PILOT_FAULT_1));
}

/// Proves PS-7: a first start (not a resume) with an EV staying in B gets no wake-up, and a
/// −12 V reading after the settling window is a fault again (the window is bounded).
#[test]
fn ps7_no_wake_up_on_a_first_start_and_the_settling_window_is_bounded() {
    let mut r = Rig::new(wake_raw());
    r.pp(0, Some(220)).level(0, B_MV);
    for _ in 0..600 {
        r.step();
        assert_ne!(r.po(0).pilot, PilotOutput::StateF, "at {} ms", r.now);
    }
    r.level(0, C_MV);
    let t = r.now;
    r.until(t + 500, |r| r.closed(0));
    r.after(500);
    let t_r = pause_and_resume(&mut r);
    let t_f = r.when(t_r + 2_000, |r| r.po(0).pilot == PilotOutput::StateF);
    let t_end = r.until(t_f + 2_000, |r| r.pwm(0));
    // −12 V well past the settling window: a fault.
    r.level(0, F_MV);
    let t = r.until(t_end + 2_000, |r| is_fault(&r.po(0)));
    assert!(
        t >= t_end + 500,
        "fault within the settling window, at {t} ms"
    );
    assert!(t <= t_end + 500 + 40, "fault only at {t} ms");
}

// ---------------------------------------------------------------------------------------------
// SU-1: start-up
// ---------------------------------------------------------------------------------------------

/// Proves SU-1: at the first step every contactor is open and every pilot shows +12 V, even with
/// EVs in C from the first reading (measured levels, and a caller that classifies itself).
#[test]
fn su1_first_step_all_open_and_plus_12_v() {
    let mut r = Rig::new(two(P32));
    r.pp(0, Some(220))
        .level(0, C_MV)
        .pp(1, Some(220))
        .level(1, C_MV);
    r.step();
    for p in 0..2 {
        assert!(
            !r.closed(p) && r.po(p).pilot == PilotOutput::Steady12V,
            "{:?}",
            r.po(p)
        );
    }
    let mut r = Rig::new(two(P32));
    for p in 0..2 {
        r.ev[p].classified = Some(VehicleState::C);
    }
    r.step();
    for p in 0..2 {
        let po = r.po(p);
        assert!(!po.contactor, "classified C at start-up: {po:?}");
        assert_eq!(
            po.pilot,
            PilotOutput::Steady12V,
            "classified C at start-up: {po:?}"
        );
    }
}

/// Proves SU-1: an EV found in C at start-up gets PWM first; the contactor closes only after C
/// has been seen with PWM on for the debounce time towards C (100 ms).
#[test]
fn su1_ev_in_c_at_start_up_pwm_first_then_the_contactor() {
    for classified in [false, true] {
        let mut r = Rig::new(one(P32));
        r.pp(0, Some(220)).level(0, C_MV);
        if classified {
            r.ev[0].classified = Some(VehicleState::C);
        }
        let t_pwm = r.until(1_000, |r| r.pwm(0));
        assert!(
            !r.closed(0),
            "classified {classified}: closed with the first PWM"
        );
        r.at(t_pwm + 90);
        assert!(
            !r.closed(0),
            "classified {classified}: closed at {} ms",
            r.now
        );
        r.at(t_pwm + 100);
        assert!(r.closed(0), "classified {classified}: open at {} ms", r.now);
    }
}

/// Proves SU-1 and PS-4: the contactor closes only while the pilot still reads C. An EV that
/// leaves C in the sample before the closing debounce would end is not switched on during the
/// safer-state debounce of its new reading (B is believed 20 ms later).
#[test]
fn su1_ps4_the_contactor_does_not_close_onto_a_pilot_that_left_c() {
    let mut r = Rig::new(one(P32));
    r.pp(0, Some(220)).level(0, C_MV);
    let t_pwm = r.until(1_000, |r| r.pwm(0));
    r.at(t_pwm + 80);
    assert!(!r.closed(0));
    // Read from the step at t_pwm + 90 on: the step at t_pwm + 100 ends the debounce towards C.
    r.level(0, B_MV);
    for _ in 0..5 {
        r.step();
        assert!(!r.closed(0), "closed at {} ms on a B reading", r.now);
    }
    assert_eq!(r.state(0), VehicleState::B, "at {} ms", r.now);
    // Leaving C stopped the point (PS-4): it waits for its minimum pause (LB-6) from then.
    r.level(0, C_MV);
    r.after(1_000);
    assert!(!r.closed(0), "closed at {} ms", r.now);
    assert_eq!(r.po(0).reason, AllocReason::MinimumPause);
}

/// Proves SU-1: after a power return points start their PWM staggered (2 s per point); the
/// stagger delays the offer, not the closing once C is seen with PWM.
#[test]
fn su1_stagger_delays_the_offer_not_the_closing() {
    let mut raw = two(P32);
    raw.timers.stagger_ms = 2_000;
    let mut r = Rig::new(raw);
    r.pp(0, Some(220))
        .level(0, C_MV)
        .pp(1, Some(220))
        .level(1, C_MV);
    r.at(1_990);
    assert!(r.closed(0));
    assert!(!r.pwm(1) && !r.closed(1), "{:?}", r.po(1));
    assert_eq!(r.po(1).reason, AllocReason::Stagger);
    let t1 = r.until(3_000, |r| r.pwm(1));
    assert_eq!(t1, 2_000);
    r.at(t1 + 90);
    assert!(!r.closed(1));
    r.at(t1 + 100);
    assert!(r.closed(1));
}

/// Proves SU-1: after a reset of core's state the first step has every contactor open and every
/// pilot at +12 V, and an EV still in C is treated as one that has just reached C.
#[test]
fn su1_after_a_reset_everything_starts_open() {
    let mut r = Rig::new(one(P32));
    r.charge(0);
    r.after(1_000);
    r.ctl.reset();
    r.step();
    assert!(
        !r.closed(0) && r.po(0).pilot == PilotOutput::Steady12V,
        "{:?}",
        r.po(0)
    );
    let t = r.now;
    let t_pwm = r.until(t + 1_000, |r| r.pwm(0));
    assert!(!r.closed(0));
    let t_c = r.until(t_pwm + 1_000, |r| r.closed(0));
    assert_eq!(t_c, t_pwm + 100);
}

// ---------------------------------------------------------------------------------------------
// SU-2: latching
// ---------------------------------------------------------------------------------------------

/// Charges, sets a pilot fault with `trigger`, and checks it holds while the EV shows C and B
/// again, and clears in the step A is believed; a new plug-in then charges.
#[track_caller]
fn latch_until_a(
    what: &str,
    trigger: impl FnOnce(&mut Rig<1, 1>),
    undo: impl FnOnce(&mut Rig<1, 1>),
) {
    let mut raw = one(P32);
    raw.timers.min_pause_ms = 0;
    let mut r = Rig::new(raw);
    r.charge(0);
    r.after(500);
    trigger(&mut r);
    let t = r.now;
    r.until(t + 500, |r| is_fault(&r.po(0)));
    undo(&mut r);
    for level in [C_MV, B_MV] {
        r.level(0, level);
        for _ in 0..200 {
            r.step();
            let po = r.po(0);
            assert!(
                is_fault(&po) && !po.contactor && !r.pwm(0),
                "{what}: at {} ms: {po:?}",
                r.now
            );
            assert!(r.errors().contains(StationErrors::PILOT_FAULT_1), "{what}");
        }
    }
    r.level(0, A_MV).pp(0, None);
    let t = r.now;
    let t_a = r.until(t + 500, |r| r.state(0) == VehicleState::A);
    assert!(
        !is_fault(&r.po(0)),
        "{what}: still latched in A at {t_a} ms: {:?}",
        r.po(0)
    );
    assert!(!r.errors().contains(StationErrors::PILOT_FAULT_1), "{what}");
    r.at(t_a + 200);
    r.charge(0);
}

/// Proves SU-2: E, F, unknown and diode faults latch until the point has seen A.
#[test]
fn su2_pilot_faults_latch_until_a() {
    for mv in [E_MV, F_MV, 20_000] {
        latch_until_a(
            &format!("{mv} mV"),
            |r| {
                r.level(0, mv);
            },
            |_| {},
        );
    }
    latch_until_a(
        "diode",
        |r| {
            r.low(0, Some(0));
        },
        |r| {
            r.low(0, None);
        },
    );
}

/// Proves SU-2 and CAB-2: a cable fault clears in the step the resistance is back in a band,
/// and the charge goes on.
#[test]
fn su2_cab2_cable_fault_clears_with_the_resistance() {
    let mut raw = one(P32);
    raw.timers.min_pause_ms = 0;
    let mut r = Rig::new(raw);
    r.charge(0);
    r.after(500);
    r.pp(0, Some(3_000)).step();
    assert!(r.po(0).flags.contains(PointFlags::CABLE_FAULT) && !r.closed(0));
    r.after(1_000);
    assert!(r.errors().contains(StationErrors::CABLE_FAULT_1));
    r.pp(0, Some(680)).step();
    assert!(
        !r.po(0).flags.contains(PointFlags::CABLE_FAULT),
        "{:?}",
        r.po(0)
    );
    assert!(!r.errors().contains(StationErrors::CABLE_FAULT_1));
    let t = r.now;
    r.until(t + 2_000, |r| r.closed(0));
    assert_eq!(r.po(0).allocation_ma, 20_000);
}

/// Proves SU-2 and IN-2: the protection-devices stop holds while the input is active and clears
/// when it clears.
#[test]
fn su2_in2_protection_stop_clears_with_the_input() {
    let mut raw = one(P32);
    raw.timers.min_pause_ms = 0;
    raw.inputs.in1 = Input1Function::ProtectionDevices;
    let mut r = Rig::new(raw);
    r.charge(0);
    r.input(true, false).step();
    assert!(!r.closed(0) && r.po(0).pilot == PilotOutput::StateF);
    r.after(2_000);
    assert!(r.errors().contains(StationErrors::PROTECTION_TRIPPED));
    assert!(!r.closed(0) && r.po(0).pilot == PilotOutput::StateF);
    r.input(false, false).step();
    assert!(!r.errors().contains(StationErrors::PROTECTION_TRIPPED));
    assert!(
        !is_fault(&r.po(0)),
        "a fault outlives the input (the −12 V core drove itself was taken for F): {:?}",
        r.po(0)
    );
    assert_ne!(r.po(0).pilot, PilotOutput::StateF);
    let t = r.now;
    r.until(t + 2_000, |r| r.closed(0));
}

// ---------------------------------------------------------------------------------------------
// SU-3: clock and gaps
// ---------------------------------------------------------------------------------------------

/// Proves SU-3: a step whose `now_ms` is below the largest seen stops every point at once and
/// sets the clock-fault bit until `now_ms` reaches that value again.
#[test]
fn su3_clock_backwards_stops_everything_until_it_is_back() {
    let mut r = Rig::new(two(P32));
    r.charge(0);
    r.charge(1);
    r.after(500);
    let max = r.now;
    r.step_at(max - 50);
    for p in 0..2 {
        let po = r.po(p);
        assert!(
            !po.contactor && po.pilot == PilotOutput::Steady12V,
            "{po:?}"
        );
        assert_eq!(po.reason, AllocReason::ClockFault);
    }
    assert!(r.errors().contains(StationErrors::CLOCK_FAULT));
    r.step_at(max - 1);
    assert!(r.errors().contains(StationErrors::CLOCK_FAULT));
    assert!(!r.closed(0) && !r.closed(1));
    r.step_at(max);
    assert!(
        !r.errors().contains(StationErrors::CLOCK_FAULT),
        "{:?}",
        r.errors()
    );
}

/// Proves SU-3: a gap longer than the sample period with a contactor closed is a station error;
/// within the PS-1 budget (gap + safer debounce + release ≤ 100 ms) the charge goes on; a gap
/// that breaks it stops that point in that step; a gap above `max_gap_ms` raises STEP_GAP.
#[test]
fn su3_gaps_flag_and_stop_a_closed_point() {
    let mut r = Rig::new(two(P32));
    r.charge(0);
    r.after(500);
    let t = r.now;
    r.step_at(t + 15);
    assert!(r.errors().contains(StationErrors::GAP_WHILE_CLOSED));
    assert!(r.closed(0));
    r.step_at(t + 25);
    assert!(!r.errors().contains(StationErrors::GAP_WHILE_CLOSED));
    // 60 ms + 20 ms + 20 ms = 100 ms: still within the budget.
    r.step_at(t + 85);
    assert!(r.errors().contains(StationErrors::GAP_WHILE_CLOSED));
    assert!(r.closed(0), "stopped within the budget");
    // 61 ms: a C -> B may have been missed.
    r.step_at(t + 146);
    assert!(
        !r.closed(0),
        "closed across a gap that breaks the PS-1 budget"
    );
    assert!(!r.errors().contains(StationErrors::STEP_GAP));
    r.after(500);
    r.step_at(r.now + 1_001);
    assert!(r.errors().contains(StationErrors::STEP_GAP));
    r.step();
    assert!(!r.errors().contains(StationErrors::STEP_GAP));
}

/// Proves SU-3 and MT-1: a stalled caller books at most `max_gap_ms` of energy for one step.
#[test]
fn su3_mt1_a_long_gap_counts_as_max_gap_for_energy() {
    let mut raw = one(P32);
    raw.voltage_mv = 240_000; // 240 V × 3 × 10 A × 10 ms = exactly 20 mWh
    let mut r = Rig::new(raw);
    r.ev[0].max_ma = 10_000;
    r.charge(0);
    r.after(1_000);
    let e0 = r.po(0).energy_mwh;
    r.step();
    assert_eq!(r.po(0).energy_mwh - e0, 20);
    let e1 = r.po(0).energy_mwh;
    r.step_at(r.now + 5_000);
    assert!(r.errors().contains(StationErrors::STEP_GAP));
    assert_eq!(r.po(0).energy_mwh - e1, 2_000, "a 5 s gap counted as 1 s");
}

// ---------------------------------------------------------------------------------------------
// CAB-1, CAB-2, CAB-3: cables and domestic sockets
// ---------------------------------------------------------------------------------------------

/// Proves CAB-1: when the EV leaves and the cable stays, `KO_PlugStillDetected` is raised at
/// once and the lock is released; with "allow cable left connected" the session ends quietly.
#[test]
fn cab1_cable_left_notifies_and_releases_the_lock() {
    for allow in [false, true] {
        let mut raw = one(P32);
        raw.session.allow_cable_left = allow;
        let mut r = Rig::new(raw);
        r.charge(0);
        r.after(500);
        assert!(r.po(0).lock, "locked while charging");
        r.level(0, A_MV);
        let t = r.now;
        let t_a = r.until(t + 500, |r| r.state(0) == VehicleState::A);
        r.at(t_a + 50);
        let po = r.po(0);
        assert!(
            !po.lock,
            "allow {allow}: lock held after the EV left: {po:?}"
        );
        let want = if allow {
            LastError::None
        } else {
            LastError::PlugStillDetected
        };
        assert_eq!(po.last_error, want, "allow {allow}");
        if allow {
            assert_eq!(po.status, OutletStatus::InitDone);
        }
    }
}

/// Proves CAB-1 and CT-1: while a welded contactor holds, the cable stays locked after the EV
/// left.
#[test]
fn cab1_ct1_lock_held_while_welded() {
    let mut r = Rig::new(one(P32));
    r.charge(0);
    // The auxiliary contact follows the contactor, then sticks closed.
    r.pi(0, |pi| pi.contactor_feedback = Some(true));
    r.after(500);
    r.level(0, A_MV).pp(0, None);
    let t = r.now;
    r.until(t + 500, |r| r.po(0).flags.contains(PointFlags::WELDED));
    r.after(3_000);
    assert!(r.po(0).lock, "{:?}", r.po(0));
    assert!(r.po(0).flags.contains(PointFlags::WELDED));
}

/// Proves CAB-2: the cable's capacity per PP band is a ceiling term (reason Cable), 63 A on a
/// three-phase point and 70 A on a single-phase one.
#[test]
fn cab2_capacity_per_band() {
    let cases = [
        (
            PointConfig::single_phase(0, 80_000, Phase::L1),
            1_500,
            13_000,
            "13 A",
        ),
        (
            PointConfig::single_phase(0, 80_000, Phase::L1),
            680,
            20_000,
            "20 A",
        ),
        (
            PointConfig::single_phase(0, 80_000, Phase::L1),
            220,
            32_000,
            "32 A",
        ),
        (
            PointConfig::single_phase(0, 80_000, Phase::L1),
            100,
            70_000,
            "63 A_OR_70 A",
        ),
        (
            PointConfig::three_phase(0, 80_000),
            100,
            63_000,
            "63 A_OR_70 A",
        ),
        (
            PointConfig::three_phase(0, 80_000),
            80,
            63_000,
            "63 A_OR_70 A",
        ),
        (PointConfig::three_phase(0, 80_000), 308, 32_000, "32 A"),
        (PointConfig::three_phase(0, 80_000), 936, 20_000, "20 A"),
    ];
    for (pc, ohm, cap, name) in cases {
        let mut r = Rig::new(big(pc));
        r.pp(0, Some(ohm)).level(0, C_MV).at(1_000);
        let po = r.po(0);
        assert_eq!(po.allocation_ma, cap, "{ohm} Ω: {po:?}");
        assert_eq!(po.reason, AllocReason::Cable, "{ohm} Ω");
        assert_eq!(po.cable.name(), name);
        assert!(po.contactor);
    }
}

/// Proves CAB-2: a resistance outside every band, or no cable while the pilot shows a vehicle,
/// is a cable fault: no charge starts (no PWM, contactor open), flag and station bit set. An
/// attached cable (T1) ignores PP and uses the rated current.
#[test]
fn cab2_fault_blocks_the_start_attached_cable_ignores_pp() {
    for ohm in [0, 79, 150, 350, 1_000, 3_000, 4_500, 10_000, u32::MAX] {
        let mut r = Rig::new(two(P32));
        r.pp(1, Some(ohm)).level(1, C_MV);
        for _ in 0..300 {
            r.step();
            assert!(
                !r.pwm(1) && !r.closed(1),
                "{ohm} Ω at {} ms: {:?}",
                r.now,
                r.po(1)
            );
        }
        // The point's fault flag says it too.
        assert!(
            r.po(1)
                .flags
                .contains(PointFlags::CABLE_FAULT | PointFlags::FAULT),
            "{ohm} Ω"
        );
        assert!(r.errors().contains(StationErrors::CABLE_FAULT_2), "{ohm} Ω");
        assert!(
            !r.errors().contains(StationErrors::CABLE_FAULT_1),
            "{ohm} Ω"
        );
    }
    let mut pc = P32;
    pc.socket = SocketType::T1;
    let mut r = Rig::new(one(pc));
    r.pp(0, Some(3_000)).level(0, C_MV).at(1_000);
    assert!(
        r.closed(0) && r.po(0).allocation_ma == 32_000,
        "{:?}",
        r.po(0)
    );
    assert_eq!(r.po(0).cable, CableStatus::NotPlugged);
}

/// A domestic (TE) point of 16 A on L1 and a 32 A Type 2 point under a station node whose
/// external set point the test moves.
fn domestic_pair() -> Rig<2, 1> {
    let mut te = PointConfig::single_phase(0, 16_000, Phase::L1);
    te.socket = SocketType::TE;
    let mut raw = RawConfig::with_defaults(
        ProductFamily::City,
        [te, P32],
        [NodeConfig::station(None, 64_000)],
    );
    raw.timers.stagger_ms = 0;
    raw.timers.min_pause_ms = 0;
    raw.timers.min_run_ms = 0;
    raw.timers.rise_interval_ms = 1_000;
    raw.external_control = true;
    raw.timers.setpoint_validity_ms = 3_600_000;
    let mut r = Rig::new(raw);
    r.inp.nodes[0].setpoint = Some(SetPoint {
        current_ma: 64_000,
        received_ms: 0,
    });
    r
}

/// Proves CAB-3: a domestic socket has no pilot (+12 V), is switched on at its rated current
/// while a plug is in, and off when it leaves.
#[test]
fn cab3_domestic_socket_switched_on_at_rated() {
    let mut r = domestic_pair();
    r.at(500);
    assert!(!r.closed(0) && r.po(0).allocation_ma == 0);
    r.pi(0, |pi| pi.domestic = true);
    let t = r.now;
    r.until(t + 1_000, |r| r.closed(0));
    let po = r.po(0);
    assert_eq!(po.allocation_ma, 16_000);
    assert_eq!(po.pilot, PilotOutput::Steady12V);
    assert!(po.flags.contains(PointFlags::DOMESTIC_CABLE_DETECTED));
    r.pi(0, |pi| pi.domestic = false).step();
    assert!(!r.closed(0) && r.po(0).allocation_ma == 0);
}

/// Proves CAB-3: as the station's set point falls and rises, the domestic socket is shed
/// (0) or on at its rated current, never reduced in between.
#[test]
fn cab3_domestic_socket_shed_but_never_reduced() {
    let mut r = domestic_pair();
    r.pi(0, |pi| pi.domestic = true);
    r.charge(1);
    r.at(2_000);
    let (mut on, mut off) = (0, 0);
    let sweep = (0..=64).rev().chain(0..=64);
    for a in sweep {
        r.inp.nodes[0].setpoint = Some(SetPoint {
            current_ma: a * 1_000,
            received_ms: r.now,
        });
        for _ in 0..30 {
            r.step();
            let po = r.po(0);
            assert!(
                po.allocation_ma == 0 || po.allocation_ma == 16_000,
                "limit {a} A: domestic reduced: {po:?}"
            );
            assert_eq!(
                po.contactor,
                po.allocation_ma == 16_000,
                "limit {a} A: {po:?}"
            );
            // No pilot: "PWM on" stands for "switched on", and no duty is signalled.
            assert_eq!(
                po.flags.contains(PointFlags::PWM_ON),
                po.allocation_ma == 16_000,
                "limit {a} A: {po:?}"
            );
            assert!(
                po.signal_ma == 0 && po.duty_permille == 0 && po.pilot == PilotOutput::Steady12V,
                "limit {a} A: {po:?}"
            );
            if po.allocation_ma == 0 {
                off += 1;
            } else {
                on += 1;
            }
        }
    }
    assert!(on > 0 && off > 0, "on {on} steps, off {off} steps");
}

// ---------------------------------------------------------------------------------------------
// LOC-1
// ---------------------------------------------------------------------------------------------

/// Proves LOC-1: outdoors, state D charges like C (the contactor stays closed through C → D and
/// closes on B → D); indoors D stops with the ventilation flag (see also the PS-4 test).
#[test]
fn loc1_d_outdoors_charges_indoors_stops() {
    let mut raw = one(P32);
    raw.location = Location::Outdoor;
    let mut r = Rig::new(raw);
    r.charge(0);
    r.level(0, D_MV);
    for _ in 0..100 {
        r.step();
        assert!(r.closed(0), "at {} ms: {:?}", r.now, r.po(0));
    }
    assert_eq!(r.state(0), VehicleState::D);
    assert!(r.po(0).flags.contains(PointFlags::VENTILATION_REQUIRED));
    r.level(0, B_MV);
    let t = r.now;
    r.until(t + 200, |r| !r.closed(0));
    // PS-4: leaving D for B is an immediate stop with PWM off; the point may charge again after
    // its minimum pause (LB-6, default 60 s).
    assert!(!r.pwm(0), "{:?}", r.po(0));
    r.level(0, D_MV);
    let t = r.now;
    r.until(t + 61_000, |r| r.closed(0));
    assert!(
        r.now > t + 59_000,
        "restarted at {} ms, before the pause",
        r.now
    );
    assert_eq!(r.state(0), VehicleState::D);

    let mut r = Rig::new(one(P32));
    r.pp(0, Some(220)).level(0, D_MV);
    for _ in 0..300 {
        r.step();
        assert!(
            !r.closed(0) && !r.pwm(0),
            "indoors D at {} ms: {:?}",
            r.now,
            r.po(0)
        );
    }
    assert!(r.po(0).flags.contains(PointFlags::VENTILATION_REQUIRED));
    assert_eq!(r.po(0).reason, AllocReason::Ventilation);
}

// ---------------------------------------------------------------------------------------------
// CT-1: welded contactor
// ---------------------------------------------------------------------------------------------

/// Proves CT-1 (feedback path): a contactor commanded open whose feedback still reads closed
/// after the release time is welded: State F, flag, station bit, lock held, no new session
/// until an explicit reset.
#[test]
fn ct1_su2_feedback_welded_state_f_lock_no_session_until_reset() {
    let mut r = Rig::new(one(P32));
    r.charge(0);
    // The auxiliary contact follows the contactor, then sticks closed.
    r.pi(0, |pi| pi.contactor_feedback = Some(true));
    r.after(500);
    r.level(0, B_MV);
    let t = r.now;
    let t_open = r.until(t + 200, |r| !r.closed(0));
    r.at(t_open + 10);
    assert!(
        !r.po(0).flags.contains(PointFlags::WELDED),
        "before the release time"
    );
    r.at(t_open + 20);
    let po = r.po(0);
    assert!(
        po.flags.contains(PointFlags::WELDED | PointFlags::FAULT),
        "{po:?}"
    );
    assert_eq!(po.pilot, PilotOutput::StateF);
    assert!(po.lock);
    assert!(r.errors().contains(StationErrors::WELDED_CONTACTOR));
    // The EV leaves, a new one comes: no session.
    r.level(0, A_MV).pp(0, None).at(t_open + 1_000);
    r.pp(0, Some(220)).level(0, C_MV);
    for _ in 0..300 {
        r.step();
        let po = r.po(0);
        assert!(
            !po.contactor && po.pilot == PilotOutput::StateF && po.lock,
            "{po:?}"
        );
        assert_ne!(po.status, OutletStatus::ChargeLoopStarted);
    }
    r.level(0, A_MV).pp(0, None);
    r.after(500);
    // Reset, with the feedback now open.
    r.pi(0, |pi| pi.contactor_feedback = Some(false));
    r.pulse(0, |pi, on| pi.reset = on);
    assert!(!r.po(0).flags.contains(PointFlags::WELDED));
    assert!(!r.errors().contains(StationErrors::WELDED_CONTACTOR));
    r.after(500);
    // A new session charges again.
    r.charge(0);
    assert!(!r.po(0).flags.contains(PointFlags::WELDED));
}

/// Proves CT-1 with PS-1's deadline: once the contactor is commanded open, its release time is a
/// deadline only while the feedback reads closed (a weld is declared there). With no feedback,
/// or feedback that reads open, nothing happens then, so `next_deadline_ms` does not ask for a
/// step at it (feedback that comes to read closed later is an input change: the caller steps
/// then, and that step sees the release time passed).
#[test]
fn ct1_ps1_the_release_time_is_a_deadline_only_while_the_feedback_reads_closed() {
    for feedback in [None, Some(false), Some(true)] {
        let mut r = Rig::new(one(P32));
        r.charge(0);
        r.pi(0, |pi| pi.contactor_feedback = feedback);
        r.after(500);
        r.level(0, B_MV);
        let t_open = r.until(r.now + 200, |r| !r.closed(0));
        let release = t_open + 20;
        // The step after the opening (the opening's own step asks for the next at once).
        r.step();
        let d = r.out().station.next_deadline_ms;
        if feedback == Some(true) {
            assert_eq!(d, release, "feedback closed: a step at the release time");
            r.at(release);
            assert!(r.po(0).flags.contains(PointFlags::WELDED));
        } else {
            assert!(
                d > release,
                "{feedback:?}: deadline {d}, release at {release}"
            );
            r.at(release);
            assert!(!r.po(0).flags.contains(PointFlags::WELDED));
            // The feedback comes to read closed later: the step of that change declares the
            // weld (the release time has passed).
            r.pi(0, |pi| pi.contactor_feedback = Some(true)).step();
            assert!(r.po(0).flags.contains(PointFlags::WELDED), "{feedback:?}");
        }
    }
}

/// Proves CT-1 (current path): more than 1 A through a contactor commanded open for 500 ms is
/// welded; 1 A is not.
#[test]
fn ct1_current_through_an_open_contactor() {
    for (ma, welded) in [(1_000, false), (1_001, true)] {
        let mut r = Rig::new(one(P32));
        r.charge(0);
        r.after(500);
        r.level(0, B_MV);
        let t = r.now;
        let t_open = r.until(t + 200, |r| !r.closed(0));
        r.ev[0].meas = Meas::Fixed([ma, 0, 0]);
        let t_first = r.next_t();
        r.at(t_first + 490);
        assert!(
            !r.po(0).flags.contains(PointFlags::WELDED),
            "{ma} mA at {} ms",
            r.now
        );
        r.at(t_first + 510);
        let po = r.po(0);
        assert_eq!(
            po.flags.contains(PointFlags::WELDED),
            welded,
            "{ma} mA: {po:?}"
        );
        if welded {
            assert_eq!(po.pilot, PilotOutput::StateF);
        }
        r.at(t_open + 3_000);
        assert_eq!(
            r.po(0).flags.contains(PointFlags::WELDED),
            welded,
            "{ma} mA"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// TH-1: thermal derating
// ---------------------------------------------------------------------------------------------

fn thermal_raw() -> Raw<1, 1> {
    let mut raw = one(P32);
    raw.timers.min_pause_ms = 0;
    raw.timers.rise_interval_ms = 1_000;
    raw.protection.thermal = Some(ThermalConfig {
        derate_start_dc: 600,
        derate_end_dc: 800,
        pause_dc: 900,
        hysteresis_dc: 50,
    });
    raw
}

/// Proves TH-1: above the start temperature the ceiling falls linearly to the minimum at the end
/// temperature; at the pause temperature the point pauses until it is the hysteresis below.
#[test]
fn th1_linear_derating_pause_with_hysteresis() {
    let mut r = Rig::new(thermal_raw());
    r.pi(0, |pi| pi.temperature_dc = Some(500));
    r.charge(0);
    assert_eq!(r.po(0).allocation_ma, 32_000);
    for (temp, want) in [
        (600, 32_000),
        (700, 23_000),
        (750, 18_500),
        (800, 14_000),
        (899, 14_000),
    ] {
        r.pi(0, |pi| pi.temperature_dc = Some(temp));
        r.step();
        let po = r.po(0);
        assert_eq!(po.allocation_ma, want, "{temp} dC: {po:?}");
        assert_eq!(
            po.flags.contains(PointFlags::THERMAL),
            temp > 600,
            "{temp} dC"
        );
        assert!(po.contactor && r.pwm(0));
    }
    r.pi(0, |pi| pi.temperature_dc = Some(900)).step();
    assert!(!r.pwm(0), "paused at 90 °C: {:?}", r.po(0));
    assert_eq!(r.po(0).reason, AllocReason::Thermal);
    r.pi(0, |pi| pi.temperature_dc = Some(850));
    r.after(2_000);
    assert!(!r.pwm(0), "resumed within the hysteresis");
    r.pi(0, |pi| pi.temperature_dc = Some(849));
    let t = r.now;
    r.until(t + 1_000, |r| r.pwm(0));
    assert_eq!(r.po(0).allocation_ma, 14_000);
    r.pi(0, |pi| pi.temperature_dc = Some(550));
    let t = r.now;
    r.until(t + 3_000, |r| r.po(0).allocation_ma == 32_000);
}

/// Proves TH-1: as the temperature climbs, the point is derated to its minimum before it
/// pauses; a missing temperature while derating is configured runs at the minimum.
#[test]
fn th1_derate_before_stop_missing_sensor_at_minimum() {
    let mut r = Rig::new(thermal_raw());
    r.pi(0, |pi| pi.temperature_dc = Some(600));
    r.charge(0);
    let mut last = r.po(0).allocation_ma;
    for temp in 600..=950 {
        r.pi(0, |pi| pi.temperature_dc = Some(temp)).step();
        let a = r.po(0).allocation_ma;
        assert!(a <= last, "{temp} dC: rose {last} -> {a}");
        if temp < 900 {
            assert!(
                a >= 14_000 && r.pwm(0),
                "{temp} dC: stopped before the pause: {a}"
            );
        } else {
            assert_eq!(a, 0, "{temp} dC");
        }
        if (800..900).contains(&temp) {
            assert_eq!(a, 14_000, "{temp} dC");
        }
        last = a;
    }
    let mut r = Rig::new(thermal_raw());
    r.charge(0);
    assert_eq!(
        r.po(0).allocation_ma,
        14_000,
        "no temperature: {:?}",
        r.po(0)
    );
}

// ---------------------------------------------------------------------------------------------
// MT-1, MT-2: metering
// ---------------------------------------------------------------------------------------------

/// mV·mA·ms in one mWh.
const UNITS_PER_MWH: u128 = 3_600_000_000;

/// Proves MT-1: 24 h of 10 ms steps at a constant current (13.337 A on three phases, 230 V)
/// books the exact product within 1 mWh. Straight on `Controller` to keep it quick.
#[test]
fn mt1_24_h_at_10_ms_steps_is_exact() {
    const DAY: u64 = 86_400_000;
    let amps = [13_337u32, 13_337, 13_337];
    let mut ctl = Controller::<1, 1>::new(one(P32)).expect("valid");
    let mut inp = StepInputs::<1, 1>::default();
    inp.points[0].vehicle = VehicleState::C;
    inp.points[0].authorised = true;
    inp.points[0].measured_ma = Some([0; 3]);
    let mut t = 0;
    while !ctl.step(&inp, t).points[0].contactor {
        t += 10;
    }
    let (t0, e0) = (t, ctl.outputs().points[0].energy_mwh);
    assert_eq!(e0, 0);
    inp.points[0].measured_ma = Some(amps);
    while t < t0 + DAY {
        t += 10;
        ctl.step(&inp, t);
    }
    let got = ctl.outputs().points[0].energy_mwh;
    let exact = 230_000u128 * 40_011 * u128::from(DAY) / UNITS_PER_MWH;
    assert!(ctl.outputs().points[0].contactor, "charging all day");
    assert!(
        u128::from(got).abs_diff(exact) <= 1,
        "booked {got} mWh, exact {exact} mWh"
    );
}

/// Proves MT-1 and SU-3: ten years at 3 × 80 A and 276 V, stepped every `max_gap_ms` (10 s, so
/// nothing is capped), book exactly 184 000 mWh per step: no overflow, no drift, and the clock's
/// epoch moves on (u32 offsets) without a fault.
#[test]
fn mt1_ten_years_at_3_x_80_a_276_v_no_overflow() {
    const YEARS10_MS: u64 = 3_652 * 86_400_000 + 6 * 3_600_000;
    let mut raw = big(PointConfig::three_phase(0, 80_000));
    raw.voltage_mv = 276_000;
    raw.timers.max_gap_ms = 10_000;
    let mut ctl = Controller::<1, 1>::new(raw).expect("valid");
    let mut inp = StepInputs::<1, 1>::default();
    inp.points[0].vehicle = VehicleState::C;
    inp.points[0].authorised = true;
    inp.points[0].measured_ma = Some([0; 3]);
    let mut t = 0;
    while !ctl.step(&inp, t).points[0].contactor {
        t += 10;
    }
    inp.points[0].measured_ma = Some([80_000; 3]);
    let mut steps = 0u64;
    let end = t + YEARS10_MS;
    while t < end {
        t += 10_000;
        steps += 1;
        let out = ctl.step(&inp, t);
        assert!(
            !out.station.errors.contains(StationErrors::CLOCK_FAULT),
            "at {t} ms"
        );
    }
    let got = ctl.outputs().points[0].energy_mwh;
    assert_eq!(got, 184_000 * steps, "after {steps} steps of 10 s");
    assert!(got > 5_800_000_000_000, "{got} mWh");
}

/// Proves MT-2: an external meter's register moves the session energy by its increase (the first
/// reading only sets the base, a register that goes back is a new base); while it is absent MT-1
/// counts from the measured current; when it returns it sets a new base, not a jump.
#[test]
fn mt2_external_meter_moves_the_energy_by_its_increase() {
    let mut r = Rig::new(one(P32));
    r.charge(0);
    r.after(1_000);
    let meter = |r: &mut Rig<1, 1>, v: Option<u64>| {
        r.pi(0, |pi| pi.meter_mwh = v).step();
        r.po(0).energy_mwh
    };
    let e0 = r.po(0).energy_mwh;
    assert!(e0 > 0, "MT-1 counted before the meter");
    assert_eq!(
        meter(&mut r, Some(1_000_000)),
        e0,
        "the first reading is the base"
    );
    assert_eq!(meter(&mut r, Some(1_000_500)), e0 + 500);
    assert_eq!(meter(&mut r, Some(1_000_500)), e0 + 500);
    assert_eq!(
        meter(&mut r, Some(1_000_400)),
        e0 + 500,
        "a register going back"
    );
    assert_eq!(meter(&mut r, Some(1_000_450)), e0 + 550);
    // Absent: MT-1 from 3 × 31.98 A at 230 V, about 61.3 mWh per 10 ms step.
    let e1 = e0 + 550;
    let mut e = e1;
    for _ in 0..100 {
        e = meter(&mut r, None);
    }
    let mt1 = 230_000u128 * 3 * 31_980 * 10 * 100 / UNITS_PER_MWH;
    assert!(
        u128::from(e - e1).abs_diff(mt1) <= 1,
        "MT-1 fallback booked {} mWh, expected {mt1}",
        e - e1
    );
    assert_eq!(
        meter(&mut r, Some(9_000_000)),
        e,
        "the meter returns: a new base"
    );
    assert_eq!(meter(&mut r, Some(9_000_100)), e + 100);
}

// ---------------------------------------------------------------------------------------------
// Bad input: each has a defined outcome that fails safe, never a panic
// ---------------------------------------------------------------------------------------------

const BAD_LEVELS: [i32; 10] = [
    13_501,
    20_000,
    i32::MAX,
    -1_501,
    -5_000,
    -10_500,
    -13_501,
    -20_000,
    i32::MIN,
    i32::MIN + 1,
];

/// Proves PS-1 and SU-2 (bad input): CP levels between or outside the bands, from the first step
/// or during a charge, end in a pilot fault: contactor open, PWM off, within the safer debounce.
#[test]
fn ps1_su2_levels_between_bands_fail_safe() {
    for mv in BAD_LEVELS {
        let mut r = Rig::new(one(P32));
        r.pp(0, Some(220)).level(0, mv);
        for _ in 0..200 {
            r.step();
            assert!(
                !r.closed(0) && !r.pwm(0),
                "{mv} mV from the start: {:?}",
                r.po(0)
            );
        }
        assert!(is_fault(&r.po(0)), "{mv} mV: {:?}", r.po(0));
        assert_eq!(r.po(0).evse_status, EvseStatus::FNotAvailable);

        let mut r = Rig::new(one(P32));
        r.charge(0);
        r.level(0, mv);
        let t = r.now;
        let t_f = r.until(t + 100, |r| is_fault(&r.po(0)));
        assert!(t_f <= t + 30, "{mv} mV: fault only at {t_f} ms");
        assert!(!r.closed(0) && !r.pwm(0), "{mv} mV: {:?}", r.po(0));
        // A garbage low level while PWM is on is a diode fault, not a panic.
        let mut r = Rig::new(one(P32));
        r.charge(0);
        r.low(0, Some(mv));
        let t = r.now;
        r.until(t + 100, |r| r.po(0).flags.contains(PointFlags::DIODE_FAULT));
        assert!(!r.closed(0) && !r.pwm(0));
    }
}

/// Proves CAB-2 (bad input): impossible PP resistances during a charge stop it at once (cable
/// fault: contactor open, PWM off).
#[test]
fn cab2_impossible_resistances_during_a_charge_fail_safe() {
    for ohm in [
        0,
        1,
        79,
        141,
        163,
        309,
        399,
        937,
        1_099,
        2_461,
        4_500,
        u32::MAX,
    ] {
        let mut r = Rig::new(one(P32));
        r.charge(0);
        r.pp(0, Some(ohm)).step();
        let po = r.po(0);
        assert!(
            po.flags.contains(PointFlags::CABLE_FAULT),
            "{ohm} Ω: {po:?}"
        );
        assert!(
            !po.contactor && po.pilot != PilotOutput::Pwm,
            "{ohm} Ω: {po:?}"
        );
    }
}

/// Every timer at the smallest value the configuration accepts.
fn minimum_timers(raw: &mut Raw<1, 1>) {
    let t = &mut raw.timers;
    t.sample_period_ms = 10;
    t.contactor_release_ms = 1;
    t.debounce_safer_ms = 1;
    t.debounce_charge_ms = 1;
    t.ev_response_ms = 1_000;
    t.grace_ms = 1_000;
    t.rise_interval_ms = 1_000;
    t.min_pause_ms = 0;
    t.min_run_ms = 0;
    t.idle_ms = 1_000;
    t.phase_detection_ms = 1_000;
    t.setpoint_validity_ms = 1_000;
    t.site_meter_validity_ms = 1_000;
    t.site_meter_hold_ms = 0;
    t.auth_timeout_ms = 0;
    t.wakeup_after_ms = 1_000;
    t.wakeup_f_ms = 1_000;
    t.wakeup_settle_ms = 1;
    t.stagger_ms = 0;
    t.max_gap_ms = 100;
    raw.protection.welded_ms = 100;
    raw.protection.welded_current_ma = 100;
    let s = &mut raw.session;
    s.shutter_ms = 500;
    s.lock_ms = 500;
    s.plug_wait_ms = 1_000;
    s.ev_wait_ms = 1_000;
    s.unplug_wait_ms = 1_000;
}

/// Proves PS-1, PS-4, PS-5 and SU-3 (bad input): with every timer at its minimum a charge runs
/// through stops, glitches, a gap and faults with the invariants of every step held, and a real
/// C → B still opens the contactor within the PS-1 budget.
#[test]
fn ps1_ps4_timers_at_their_minimum_stay_safe() {
    let mut raw = one(P32);
    minimum_timers(&mut raw);
    let mut r = Rig::new(raw);
    r.charge(0);
    r.after(2_000);
    for _ in 0..3 {
        r.level(0, B_MV);
        let t = r.now;
        let t_open = r.until(t + 100, |r| !r.closed(0));
        assert!(
            t_open - t <= 20,
            "opened {} ms after the change",
            t_open - t
        );
        r.at(t_open + 500);
        r.level(0, C_MV);
        let t = r.now;
        r.until(t + 2_000, |r| r.closed(0));
        r.after(1_500);
    }
    r.pi(0, |pi| pi.commands = Commands::SUSPEND).after(3_000);
    assert!(!r.closed(0), "grace time of 1 s over");
    r.pi(0, |pi| pi.commands = Commands::EMPTY).level(0, B_MV);
    r.after(5_000);
    r.level(0, C_MV).after(2_000);
    let t = r.now;
    r.step_at(t + 150);
    assert!(r.errors().contains(StationErrors::STEP_GAP));
    assert!(!r.closed(0));
    r.level(0, -7_000).after(500);
    assert!(is_fault(&r.po(0)) && !r.closed(0) && !r.pwm(0));
}

/// Proves §5.5 and PS-1 (bad input): a safety timer of 0 is refused by `Config::new`, naming the
/// field; the timers that may be 0 (pauses, stagger, hold, authentication timeout) are accepted.
#[test]
fn ps1_zero_safety_timers_are_refused() {
    type Set = fn(&mut Raw<1, 1>);
    let refused: [(Field, Set); 21] = [
        (Field::Timer("sample_period_ms"), |r| {
            r.timers.sample_period_ms = 0
        }),
        (Field::Timer("contactor_release_ms"), |r| {
            r.timers.contactor_release_ms = 0
        }),
        (Field::Timer("debounce_safer_ms"), |r| {
            r.timers.debounce_safer_ms = 0
        }),
        (Field::Timer("debounce_charge_ms"), |r| {
            r.timers.debounce_charge_ms = 0
        }),
        (Field::Timer("ev_response_ms"), |r| {
            r.timers.ev_response_ms = 0
        }),
        (Field::Timer("grace_ms"), |r| r.timers.grace_ms = 0),
        (Field::Timer("rise_interval_ms"), |r| {
            r.timers.rise_interval_ms = 0
        }),
        (Field::Timer("idle_ms"), |r| r.timers.idle_ms = 0),
        (Field::Timer("phase_detection_ms"), |r| {
            r.timers.phase_detection_ms = 0
        }),
        (Field::Timer("setpoint_validity_ms"), |r| {
            r.timers.setpoint_validity_ms = 0
        }),
        (Field::Timer("site_meter_validity_ms"), |r| {
            r.timers.site_meter_validity_ms = 0
        }),
        (Field::Timer("wakeup_after_ms"), |r| {
            r.timers.wakeup_after_ms = 0
        }),
        (Field::Timer("wakeup_f_ms"), |r| r.timers.wakeup_f_ms = 0),
        (Field::Timer("wakeup_settle_ms"), |r| {
            r.timers.wakeup_settle_ms = 0
        }),
        (Field::Timer("max_gap_ms"), |r| r.timers.max_gap_ms = 0),
        (Field::Protection("welded_ms"), |r| {
            r.protection.welded_ms = 0
        }),
        (Field::Session("shutter_ms"), |r| r.session.shutter_ms = 0),
        (Field::Session("lock_ms"), |r| r.session.lock_ms = 0),
        (Field::Session("plug_wait_ms"), |r| {
            r.session.plug_wait_ms = 0
        }),
        (Field::Session("ev_wait_ms"), |r| r.session.ev_wait_ms = 0),
        (Field::Session("unplug_wait_ms"), |r| {
            r.session.unplug_wait_ms = 0
        }),
    ];
    for (field, set) in refused {
        let mut raw = one(P32);
        set(&mut raw);
        let e = Config::new(raw).expect_err("a zero safety timer accepted");
        assert_eq!(e.field, field);
        assert!(
            matches!(e.reason, Reason::OutOfRange { value: 0, .. }),
            "{field:?}: {:?}",
            e.reason
        );
    }
    let mut raw = one(P32);
    raw.timers.min_pause_ms = 0;
    raw.timers.min_run_ms = 0;
    raw.timers.stagger_ms = 0;
    raw.timers.site_meter_hold_ms = 0;
    raw.timers.auth_timeout_ms = 0;
    assert!(Config::new(raw).is_ok());
}

/// Proves AU-2, AU-3 and PS-4 (bad input): badges and remote decisions for a point that has no
/// session (Admin at idle, accept/reject/stop with nothing pending, a badge under free access, a
/// user badge with no plug) have a defined outcome and never give current; a badge of another
/// point's session at a free point leaves that session alone.
#[test]
fn au2_au3_badge_for_a_point_without_a_session_fails_safe() {
    let mut raw = two(P32);
    raw.session.auth_location = AuthLocation::ChargingStation;
    raw.session.plug_wait_ms = 1_000;
    let mut r = Rig::new(raw);
    r.pulse(0, |pi, on| {
        pi.badge = if on { badge(7, BadgeKind::User) } else { None }
    });
    r.charge(0);
    r.after(500);
    let idle = |r: &Rig<2, 1>| {
        let po = r.po(1);
        assert!(!po.contactor && po.pilot != PilotOutput::Pwm, "{po:?}");
        assert!(r.closed(0), "point 0's session disturbed: {:?}", r.po(0));
    };
    r.pulse(1, |pi, on| {
        pi.badge = if on { badge(9, BadgeKind::Admin) } else { None }
    });
    idle(&r);
    assert_eq!(r.po(1).status, OutletStatus::InitDone);
    for remote in [Remote::Accept, Remote::Reject, Remote::Stop] {
        r.pulse(1, |pi, on| {
            pi.remote = if on { remote } else { Remote::None }
        });
        idle(&r);
        assert_eq!(r.po(1).status, OutletStatus::InitDone, "{remote:?}");
    }
    // Point 0's own badge presented at the free point 1: a session waiting for a plug there.
    r.pulse(1, |pi, on| {
        pi.badge = if on { badge(7, BadgeKind::User) } else { None }
    });
    for _ in 0..150 {
        r.step();
        idle(&r);
    }
    assert_eq!(r.po(1).status, OutletStatus::InitDone);
    assert_eq!(r.po(1).last_error, LastError::PlugNotDetected);
    assert_eq!(r.po(0).status, OutletStatus::ChargeLoopStarted);

    // Free access: a badge with nothing plugged is ignored.
    let mut r = Rig::new(one(P32));
    r.at(100);
    r.pulse(0, |pi, on| {
        pi.badge = if on { badge(7, BadgeKind::Vip) } else { None }
    });
    r.at(1_000);
    assert_eq!(r.po(0).status, OutletStatus::InitDone);
    assert!(!r.closed(0) && !r.pwm(0));
}
