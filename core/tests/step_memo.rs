//! The memo of a point's step in the working memory (point.rs `prepare`, drive.rs `finish`):
//! a point whose state, inputs, station conditions and configuration are those of a step that
//! changed nothing of it, with no timer running out, takes its preparation and outputs from the
//! memo. These tests drive stations through the slice API and, at every step, run the same step
//! from the same state with fresh working memory (no memo): the outputs and the whole state must
//! be the same. Each also checks that the memo was used, so that the comparison is not vacuous,
//! and where a timer runs under constant inputs, that the timer's effect comes on time.

mod common;

use common::Slices;
use loadpilot_core::{
    AllocReason, Config, CpReading, NodeConfig, NodeInputs, NodeWork, PilotOutput, PointConfig,
    PointInputs, PointOutput, PointWork, ProductFamily, RawConfig, SetPoint, StationErrors,
    StationInputs, two_point_station,
};

type Cfg = Config<Vec<PointConfig>, Vec<NodeConfig>>;

/// The standard two-point station (`two_point_station`) over `Vec`s, to adjust before
/// validation.
fn two_points_raw(limit_ma: u32) -> RawConfig<Vec<PointConfig>, Vec<NodeConfig>> {
    let raw = two_point_station(limit_ma);
    RawConfig {
        points: raw.points.to_vec(),
        nodes: raw.nodes.to_vec(),
        ..RawConfig::with_defaults(ProductFamily::City, Vec::new(), Vec::new())
    }
}

/// `two_points_raw` with input 1 wired to the protection devices (IN-2).
fn protection_raw(limit_ma: u32) -> RawConfig<Vec<PointConfig>, Vec<NodeConfig>> {
    let mut raw = two_points_raw(limit_ma);
    raw.inputs.in1 = loadpilot_core::Input1Function::ProtectionDevices;
    raw
}

/// `two_points_raw` whose station node follows an external set point (`Site::set_point`), one
/// that stays valid for 10 minutes when `long` (so that a test sets it once).
fn set_point_raw(long: bool) -> RawConfig<Vec<PointConfig>, Vec<NodeConfig>> {
    let mut raw = two_points_raw(63_000);
    raw.external_control = true;
    raw.nodes[0].external = true;
    if long {
        raw.timers.setpoint_validity_ms = 600_000;
    }
    raw
}

const CP_A_MV: i32 = 12_000;
const CP_B_MV: i32 = 9_000;
const CP_C_MV: i32 = 6_000;
const CP_F_MV: i32 = -12_000;
const PP_32A_OHM: u32 = 220;
const PP_OPEN_OHM: u32 = 100_000;

/// What the memo did over a run: point-steps whose preparation, and whose outputs, came from it.
#[derive(Clone, Copy, Debug, Default)]
struct Used {
    prep: usize,
    fin: usize,
    /// Steps that repeated the last step's passes (the station's memo, `StationWork`).
    repeated: usize,
}

/// Steps `m` (its inputs set) with its own working memory and checks the step against the same
/// step from the same state with fresh working memory.
fn step_checked(cfg: &Cfg, m: &mut Slices, now: u64, used: &mut Used) {
    let mut fresh = m.clone();
    fresh.work.fill(PointWork::new());
    fresh.node_work.fill(NodeWork::new());
    fresh.station_work = loadpilot_core::StationWork::new();
    let slices = "slices have one entry per point and node";
    m.step(&cfg.view(), now).expect(slices);
    fresh.step(&cfg.view(), now).expect(slices);
    assert_eq!(
        m.outputs, fresh.outputs,
        "outputs at {now} ms, memo against none"
    );
    assert_eq!(
        m.station_out, fresh.station_out,
        "station output at {now} ms"
    );
    assert_eq!(m.points, fresh.points, "point states at {now} ms");
    assert_eq!(m.nodes, fresh.nodes, "node states at {now} ms");
    assert_eq!(m.station, fresh.station, "station state at {now} ms");
    for w in &m.work {
        let (prep, fin) = w.from_memo();
        used.prep += usize::from(prep);
        used.fin += usize::from(fin);
    }
    used.repeated += usize::from(m.station_work.repeated());
    for w in &fresh.work {
        assert_eq!(w.from_memo(), (false, false), "fresh memory has no memo");
    }
    assert!(
        !fresh.station_work.repeated(),
        "fresh memory repeats nothing"
    );
}

/// A simple EV per point: answers PWM with C (or holds `cp_mv` when set), draws what it is
/// signalled (at most `max_ma`, or `draw_ma` when set) while the contactor is closed.
#[derive(Clone, Copy, Debug)]
struct Ev {
    plugged: bool,
    max_ma: u32,
    draw_ma: Option<u32>,
    cp_mv: Option<i32>,
}

impl Ev {
    fn new() -> Ev {
        Ev {
            plugged: true,
            max_ma: 32_000,
            draw_ma: None,
            cp_mv: None,
        }
    }
}

/// A station under test: configuration, memory, EVs and the inputs they make.
struct Site {
    cfg: Cfg,
    m: Slices,
    evs: Vec<Ev>,
    si: StationInputs,
    nin: Vec<NodeInputs>,
    now: u64,
    period: u64,
    used: Used,
}

impl Site {
    fn new(cfg: Cfg) -> Site {
        let m = Slices::new(cfg.view().points().len(), cfg.view().nodes().len());
        let (np, nn) = (m.points.len(), m.nodes.len());
        Site {
            cfg,
            m,
            evs: vec![Ev::new(); np],
            si: StationInputs {
                in1_closed: false,
                in2_closed: false,
            },
            nin: vec![NodeInputs::default(); nn],
            now: 0,
            period: 10,
            used: Used::default(),
        }
    }

    fn two_points(limit_ma: u32) -> Site {
        Site::new(Config::new(two_points_raw(limit_ma)).expect("valid"))
    }

    /// The two points under an external set point (`set_point_raw`).
    fn under_set_point(long: bool) -> Site {
        Site::new(Config::new(set_point_raw(long)).expect("valid"))
    }

    /// A fresh set point of `ma` on node 0, received now.
    fn set_point(&mut self, ma: u32) {
        self.nin[0].setpoint = Some(SetPoint {
            current_ma: ma,
            received_ms: self.now,
        });
    }

    /// The inputs of the next step, from the EVs and the last outputs.
    fn inputs(&self) -> Vec<PointInputs> {
        self.evs
            .iter()
            .zip(&self.m.outputs)
            .map(|(ev, po)| {
                let pwm = po.pilot == PilotOutput::Pwm;
                let high_mv = match (po.pilot, ev.plugged) {
                    (PilotOutput::StateF, _) => CP_F_MV,
                    (_, false) => CP_A_MV,
                    _ if ev.cp_mv.is_some() => ev.cp_mv.unwrap_or(CP_B_MV),
                    (PilotOutput::Pwm, true) => CP_C_MV,
                    (PilotOutput::Steady12V, true) => CP_B_MV,
                };
                let draw = if po.contactor && ev.plugged {
                    ev.draw_ma.unwrap_or(po.signal_ma.min(ev.max_ma))
                } else {
                    0
                };
                PointInputs {
                    cp: Some(CpReading {
                        high_mv,
                        low_mv: if pwm { CP_F_MV } else { high_mv },
                    }),
                    pp_ohm: Some(if ev.plugged { PP_32A_OHM } else { PP_OPEN_OHM }),
                    authorised: true,
                    measured_ma: Some([draw; 3]),
                    ..PointInputs::default()
                }
            })
            .collect()
    }

    /// Steps every period up to `t` (ms), each step checked.
    fn until(&mut self, t: u64) -> &mut Site {
        while self.now <= t {
            self.step_with(|_| {});
        }
        self
    }

    /// One checked step now with the EVs' inputs changed by `f`, then the clock on a period.
    fn step_with(&mut self, f: impl FnOnce(&mut [PointInputs])) {
        self.step_at_with(self.now, f);
        self.now += self.period;
    }

    /// One checked step at `now` (the clock stays).
    fn step_at(&mut self, now: u64) {
        self.step_at_with(now, |_| {});
    }

    fn step_at_with(&mut self, now: u64, f: impl FnOnce(&mut [PointInputs])) {
        let mut pin = self.inputs();
        f(&mut pin);
        self.m.inputs = pin;
        self.m.node_inputs.clone_from(&self.nin);
        self.m.station_inputs = self.si;
        step_checked(&self.cfg, &mut self.m, now, &mut self.used);
    }

    /// Checked steps while `waiting` holds (at most `within_ms`, else the wait fails): how many
    /// of them began with point `i` held for `reason`, and how many repeated the last step.
    fn wait_while(
        &mut self,
        i: usize,
        reason: AllocReason,
        within_ms: u64,
        waiting: impl Fn(&Site) -> bool,
    ) -> (usize, usize) {
        let (t0, before) = (self.now, self.used.repeated);
        let mut held = 0;
        while waiting(self) {
            held += usize::from(self.out(i).reason == reason);
            self.step_with(|_| {});
            assert!(
                self.now < t0 + within_ms,
                "still waiting after {within_ms} ms: {:?}",
                self.out(i)
            );
        }
        (held, self.used.repeated - before)
    }

    fn out(&self, i: usize) -> PointOutput {
        self.m.outputs[i]
    }
}

/// Steady charging: after the start, nearly every point-step comes from the memo, and the
/// outputs and state equal the computation without it (the energy counts on).
#[test]
fn a_steady_charge_comes_from_the_memo_and_equals_the_computation() {
    let mut s = Site::two_points(63_000);
    s.until(10_000);
    assert!(s.out(0).contactor && s.out(1).contactor, "both charge");
    let before = s.used;
    let e0 = s.out(0).energy_mwh;
    s.until(20_000);
    let steps = 2 * 1_000;
    assert!(
        s.used.prep - before.prep >= steps * 9 / 10 && s.used.fin - before.fin >= steps * 9 / 10,
        "memo used in {:?} of {steps} point-steps",
        s.used
    );
    assert!(
        s.out(0).energy_mwh > e0,
        "the energy counts on from the memo"
    );
}

/// PS-1: the debounce towards C runs while the pilot reading stays the same (constant inputs):
/// the point believes C and closes its contactor on time with the memo as without it.
#[test]
fn ps1_a_debounce_under_constant_inputs_runs_out_with_the_memo() {
    let mut s = Site::two_points(63_000);
    // The EV holds B although PWM is on: constant inputs, the memo forms.
    s.evs[0].cp_mv = Some(CP_B_MV);
    s.evs[1].plugged = false;
    s.until(5_000);
    assert!(!s.out(0).contactor && s.out(0).signal_ma > 0);
    assert!(s.used.prep > 100, "memo used while waiting: {:?}", s.used);
    // Now C, and constant again: the debounce runs under unchanged inputs.
    s.evs[0].cp_mv = Some(CP_C_MV);
    let t0 = s.now;
    s.until(t0 + 1_000);
    assert!(s.out(0).contactor, "closed after the debounce towards C");
}

/// LB-10: an EV that draws below the idle threshold under constant inputs is marked idle after
/// the idle time, with the memo as without it.
#[test]
fn lb10_the_idle_timer_runs_out_under_constant_inputs() {
    let mut s = Site::two_points(63_000);
    s.evs[1].plugged = false;
    s.until(5_000);
    assert!(s.out(0).contactor);
    s.evs[0].draw_ma = Some(0);
    let before = s.used;
    let t0 = s.now;
    let mut idle_at = None;
    while s.now <= t0 + 600_000 && idle_at.is_none() {
        s.until(s.now);
        if s.out(0).reason == AllocReason::EvIdle {
            idle_at = Some(s.now);
        }
    }
    assert!(idle_at.is_some(), "the point goes idle");
    assert!(
        s.used.prep > before.prep + 100,
        "memo used while the idle timer ran"
    );
}

/// PS-4 / LB-9: after a cut the old offer stays the reference for the response time and then
/// expires; the limit comes from an external set point that stays the same for long stretches.
#[test]
fn ps4_the_offer_expires_after_a_cut_with_the_memo() {
    let mut s = Site::under_set_point(false);
    s.set_point(63_000);
    s.until(5_000);
    assert!(s.out(0).contactor && s.out(1).contactor);
    // Refreshed every second only: the inputs stay the same in between.
    for k in 0..30 {
        s.set_point(if k < 10 { 63_000 } else { 20_000 });
        let t = s.now + 1_000;
        s.until(t);
    }
    assert!(s.out(0).allocation_ma <= 10_000);
    assert!(s.used.prep > 1_000, "memo used: {:?}", s.used);
}

/// The memo is made only in a step in which the clock moved: steps at one time (here while a
/// protection device trips and closes again, core driving State F and stamping its settling
/// window when it ends, SU-2) give the same outputs and state with it as without.
#[test]
fn su3_steps_at_one_time_do_not_make_a_wrong_memo() {
    let mut raw = protection_raw(63_000);
    raw.inputs.in1_polarity = loadpilot_core::Polarity::NormallyClosed;
    let mut s = Site::new(Config::new(raw).expect("valid"));
    s.si.in1_closed = true;
    s.until(5_000);
    for round in 0..20 {
        // Trip and close again, each for a while, with runs of steps at one time.
        s.si.in1_closed = round % 2 == 1;
        for _ in 0..50 {
            let now = s.now;
            s.step_at(now);
            s.step_at(now);
            s.step_at(now);
            s.now += s.period;
        }
    }
    assert!(s.used.prep > 0);
}

/// The memo is tied to the configuration: stepping the same memory under another
/// configuration (a lower rated current) gives that configuration's outputs at once.
#[test]
fn a_new_configuration_is_not_served_from_the_memo_of_the_old() {
    let mut s = Site::two_points(64_000);
    s.until(10_000);
    assert!(s.used.fin > 0);
    assert_eq!(s.out(0).allocation_ma, 32_000);
    let mut raw = two_points_raw(64_000);
    raw.points[0].rated_ma = 16_000;
    raw.points[0].derated_ma = 16_000;
    s.cfg = Config::new(raw).expect("valid");
    let t = s.now + 2_000;
    s.until(t);
    assert_eq!(
        s.out(0).allocation_ma,
        16_000,
        "the new rated current holds"
    );
}

/// Working memory shared by two stations stepped one after the other (allowed: the memo is
/// used only where its keys are this point's, so the two mostly overwrite each other's), then
/// one station alone with its state put back to an earlier snapshot, the working memory kept:
/// every step equals the computation without the memo.
#[test]
fn shared_working_memory_and_a_restored_state_are_served_right() {
    let mut a = Site::two_points(63_000);
    let mut b = Site::two_points(40_000);
    b.evs[1].plugged = false;
    for _ in 0..1_000 {
        // b steps on a's working memory, which then goes back to a.
        std::mem::swap(&mut a.m.work, &mut b.m.work);
        std::mem::swap(&mut a.m.node_work, &mut b.m.node_work);
        b.until(b.now);
        std::mem::swap(&mut a.m.work, &mut b.m.work);
        std::mem::swap(&mut a.m.node_work, &mut b.m.node_work);
        a.until(a.now);
    }
    let t = a.now + 5_000;
    a.until(t);
    let snapshot = (
        a.m.station,
        a.m.points.clone(),
        a.m.nodes.clone(),
        a.m.outputs.clone(),
    );
    let before = a.used;
    let t = a.now + 5_000;
    a.until(t);
    // Back to the snapshot, the working memory kept; the EV at point 1 leaves meanwhile.
    (a.m.station, a.m.points, a.m.nodes, a.m.outputs) = snapshot;
    a.evs[1].plugged = false;
    let t = a.now + 5_000;
    a.until(t);
    assert!(a.used.prep > before.prep + 500, "{:?}", a.used);
}

/// LB-4 / TREE-1: a lower set point on the station node cuts both allocations while their
/// reason (the set point) and binding node stay the same: the outputs show the cut at once.
#[test]
fn lb4_an_allocation_cut_with_the_same_reason_is_not_served_from_the_memo() {
    let mut s = Site::under_set_point(false);
    let mut sp = 40_000;
    for _ in 0..6 {
        s.set_point(sp);
        let t = s.now + 10_000;
        s.until(t);
        assert_eq!(s.out(0).reason, AllocReason::SetPoint);
        assert_eq!(
            s.out(0).allocation_ma + s.out(1).allocation_ma,
            sp,
            "at {sp} mA"
        );
        sp -= 2_000;
    }
    assert!(s.used.fin > 1_000, "{:?}", s.used);
}

/// PS-5: a graceful stop (PWM off, contactor held for the grace time) under constant inputs:
/// the EV keeps drawing a fixed current, so nothing the point reads changes; the contactor
/// opens when the grace time runs out, with the memo as without it.
#[test]
fn ps5_the_grace_time_runs_out_under_constant_inputs() {
    let mut s = Site::two_points(63_000);
    s.evs[1].plugged = false;
    s.until(5_000);
    assert!(s.out(0).contactor);
    s.evs[0].draw_ma = Some(8_000);
    let t = s.now + 5_000;
    s.until(t);
    // Suspend: PWM off at once, the contactor follows after the grace time.
    let mut pin_commands = loadpilot_core::Commands::EMPTY;
    pin_commands.set(loadpilot_core::Commands::SUSPEND, true);
    let t0 = s.now;
    let mut opened = None;
    while s.now <= t0 + 60_000 && opened.is_none() {
        let now = s.now;
        s.step_with(|pin| pin[0].commands = pin_commands);
        if !s.out(0).contactor {
            opened = Some(now);
        }
    }
    assert!(opened.is_some(), "the contactor opens");
    assert!(s.used.fin > 0);
}

/// SU-1 / PS-4: an EV that shows C before PWM comes on: the contactor closes once C has been
/// seen with PWM on for the debounce time, a timer of the outputs that runs under constant
/// inputs.
#[test]
fn su1_the_closing_debounce_runs_out_under_constant_inputs() {
    let mut s = Site::two_points(63_000);
    s.evs[0].cp_mv = Some(CP_C_MV);
    s.evs[1].plugged = false;
    let mut closed = None;
    while s.now <= 10_000 && closed.is_none() {
        s.until(s.now);
        if s.out(0).contactor {
            closed = Some(s.now);
        }
    }
    assert!(closed.is_some(), "the contactor closes");
    assert!(s.used.fin > 0, "{:?}", s.used);
}

/// PS-1 / MT-1: readings that jitter within their bands (the pilot's levels by tens of mV, the
/// measured current by tens of mA, as an ADC gives them every sample) keep a point on its memo:
/// the memo compares them as the preparation reads them (classified, against thresholds), and the
/// metering still counts every mA.
#[test]
fn ps1_mt1_jittering_readings_keep_the_memo_and_meter_exactly() {
    let mut s = Site::two_points(63_000);
    s.until(5_000);
    assert!(s.out(0).contactor && s.out(1).contactor);
    let before = s.used;
    let mut e_prev = s.out(0).energy_mwh;
    let mut rises = 0;
    for k in 0..3_000i32 {
        s.step_with(|pin| {
            for pi in pin.iter_mut() {
                if let Some(cp) = &mut pi.cp {
                    cp.high_mv += (k * 37 % 120) - 60;
                    cp.low_mv += (k * 53 % 100) - 50;
                }
                if let Some(m) = &mut pi.measured_ma {
                    for (ph, x) in m.iter_mut().enumerate() {
                        *x = x.saturating_add_signed((k * 29 + ph as i32 * 11) % 80 - 40);
                    }
                }
            }
        });
        let e = s.out(0).energy_mwh;
        rises += usize::from(e > e_prev);
        e_prev = e;
    }
    assert!(s.out(0).contactor && s.out(1).contactor);
    assert!(
        s.used.prep - before.prep >= 2 * 3_000 * 9 / 10,
        "memo used under jitter: {:?}",
        s.used
    );
    assert!(rises > 100, "the energy counts on");
}

/// Runs `s` to a steady state, then `hold_ms` with `before` applied to point 0's inputs in every
/// step (the memo forms on them), then `hold_ms` with `after`: each step compared with fresh
/// working memory. Returns the steps in which point 0 was served by the memo while `before` held.
/// With `jitter`, every other step of `before` moves each reading given by one unit (mV, Ω, mA
/// on a phase that draws): the memo then serves them through its readings' bands (`Bands`),
/// which `after` must leave.
fn one_reading_changes(
    mut s: Site,
    hold_ms: u64,
    jitter: bool,
    before: impl Fn(&mut PointInputs),
    after: impl Fn(&mut PointInputs),
) -> usize {
    s.until(5_000);
    let run = |s: &mut Site, f: &dyn Fn(&mut PointInputs), jitter: bool| {
        let mut served = 0;
        let t = s.now + hold_ms;
        let mut odd = false;
        while s.now <= t {
            odd = !odd;
            s.step_with(|pin| {
                f(&mut pin[0]);
                if jitter && odd {
                    nudge(&mut pin[0]);
                }
            });
            served += usize::from(s.m.work[0].from_memo().0);
        }
        served
    };
    let served = run(&mut s, &before, jitter);
    run(&mut s, &after, false);
    served
}

/// Moves each reading of `pi` by one unit (a phase that draws nothing stays at 0).
fn nudge(pi: &mut PointInputs) {
    if let Some(cp) = &mut pi.cp {
        cp.high_mv += 1;
        cp.low_mv += 1;
    }
    if let Some(ohm) = &mut pi.pp_ohm {
        *ohm += 1;
    }
    if let Some(m) = &mut pi.measured_ma {
        for x in m.iter_mut().filter(|x| **x > 0) {
            *x += 1;
        }
    }
}

/// Each part of what the memo compares of the readings (`Sensed`) on its own: a change of that
/// part alone, from a reading the memo was made on, is not served from the memo (PS-1 pilot
/// class, PS-2 diode, CAB-2 cable, LB-9 over-current and hard over-current, LB-10 idle, LB-12
/// phases drawing, CT-1 current through an open contactor), whether the memo served the readings
/// before as made on them or through the bands around readings that jittered.
#[test]
fn each_reading_threshold_ends_the_memo() {
    let measured = |m: [u32; 3]| move |pi: &mut PointInputs| pi.measured_ma = Some(m);
    let high = |mv: i32| move |pi: &mut PointInputs| pi.cp.as_mut().unwrap().high_mv = mv;
    let low = |mv: i32| move |pi: &mut PointInputs| pi.cp.as_mut().unwrap().low_mv = mv;
    let pp = |ohm: u32| move |pi: &mut PointInputs| pi.pp_ohm = Some(ohm);
    // Point 0 charges alone at its rated 32 A (point 1 waits: its start does not fit), so its
    // signal is 31.98 A: a draw passes it by the tolerance (2 A) above 33.98 A and by the hard
    // margin (10 A) above 41.98 A.
    type Change = Box<dyn Fn(&mut PointInputs)>;
    let cases: Vec<(&str, Change, Change)> = vec![
        // The welded-current threshold (1 A by default, as the idle one) is set to 0.3 A below.
        (
            "LB-10 idle",
            Box::new(measured([1_500, 0, 0])),
            Box::new(measured([500, 0, 0])),
        ),
        (
            "LB-9 over",
            Box::new(measured([31_000; 3])),
            Box::new(measured([34_500; 3])),
        ),
        (
            "PS-4 hard",
            Box::new(measured([35_000; 3])),
            Box::new(measured([42_500; 3])),
        ),
        // One phase stops drawing and the other stays: single-phase detection starts.
        (
            "LB-12 L1",
            Box::new(measured([10_000, 10_000, 0])),
            Box::new(measured([0, 10_000, 0])),
        ),
        (
            "LB-12 L2",
            Box::new(measured([10_000, 10_000, 0])),
            Box::new(measured([10_000, 0, 0])),
        ),
        (
            "LB-12 L3",
            Box::new(measured([10_000, 0, 10_000])),
            Box::new(measured([10_000, 0, 0])),
        ),
        ("PS-1 class", Box::new(high(6_000)), Box::new(high(9_000))),
        // No cable on the proximity pin, a vehicle on the pilot (CAB-2: a cable fault); then
        // the level moves past the A/B boundary by less than the hysteresis: still B as
        // believed, but no longer connected as read, so no longer a cable fault.
        (
            "CAB-2 PS-1 as read",
            Box::new(|pi: &mut PointInputs| {
                pi.pp_ohm = Some(100_000);
                pi.cp.as_mut().unwrap().high_mv = 10_400;
            }),
            Box::new(|pi: &mut PointInputs| {
                pi.pp_ohm = Some(100_000);
                pi.cp.as_mut().unwrap().high_mv = 10_600;
            }),
        ),
        ("PS-2 diode", Box::new(low(-12_000)), Box::new(low(-5_000))),
        ("CAB-2 cable", Box::new(pp(220)), Box::new(pp(680))),
    ];
    for (name, before, after) in cases {
        // From a memo made on the readings, then from readings within its bands.
        for jitter in [false, true] {
            let mut raw = two_points_raw(32_000);
            raw.protection.welded_current_ma = 300;
            let site = Site::new(Config::new(raw).expect("valid"));
            let served = one_reading_changes(site, 3_000, jitter, &before, &after);
            assert!(
                served > 200,
                "{name}, jitter {jitter}: the memo formed ({served})"
            );
        }
    }
}

/// CT-1: current through an open contactor passing the welded-current threshold (set apart
/// from the idle threshold) is not served from the memo made below it.
#[test]
fn ct1_current_through_an_open_contactor_ends_the_memo() {
    let mut raw = two_points_raw(63_000);
    raw.protection.welded_current_ma = 1_500;
    let mut s = Site::new(Config::new(raw).expect("valid"));
    s.evs[0].plugged = false;
    let served = one_reading_changes(
        s,
        3_000,
        true,
        |pi| pi.measured_ma = Some([1_200, 0, 0]),
        |pi| pi.measured_ma = Some([1_800, 0, 0]),
    );
    assert!(served > 200, "the memo formed ({served})");
}

// ---------------------------------------------------------------------------------------------
// The station's memo (`StationWork`): a step whose points all come from their memos with the
// readings of the last step, over nodes as they were, repeats the last step's decisions of the
// passes between preparation and outputs (selection, water-filling, transfer) until a time they
// read runs out.
// ---------------------------------------------------------------------------------------------

/// LB-4: two points sharing a station limit, steady: nearly every step repeats the last one's
/// passes, and each equals the computation (outputs, deadline, errors, state).
#[test]
fn lb4_a_steady_shared_station_repeats_its_passes_and_equals_the_computation() {
    let mut s = Site::two_points(40_000);
    s.until(10_000);
    assert_eq!(s.out(0).allocation_ma + s.out(1).allocation_ma, 40_000);
    let before = s.used;
    s.until(20_000);
    assert!(
        s.used.repeated - before.repeated >= 900,
        "{} of 1,000 steps repeated",
        s.used.repeated - before.repeated
    );
    assert_eq!(s.out(0).allocation_ma + s.out(1).allocation_ma, 40_000);
}

/// PS-5 / LB-4: after a cut and two raises of the station's set point, the second rise of the
/// one charging point waits for the rise interval (reason rate limit) under constant inputs
/// while the steps repeat; it comes in the step in which the interval runs out, as without the
/// memo.
#[test]
fn ps5_a_rise_held_by_the_rise_interval_comes_on_time_while_steps_repeat() {
    let mut s = Site::under_set_point(true);
    s.evs[1].plugged = false;
    s.set_point(40_000);
    s.until(30_000);
    assert_eq!(s.out(0).allocation_ma, 32_000);
    s.set_point(16_000);
    let t = s.now + 2_000;
    s.until(t);
    assert_eq!(s.out(0).allocation_ma, 16_000);
    // A first rise (the last was long ago), then the next one waits.
    s.set_point(24_000);
    s.step_with(|_| {});
    assert_eq!(s.out(0).allocation_ma, 24_000);
    s.set_point(40_000);
    s.step_with(|_| {});
    let (held, repeated) = s.wait_while(0, AllocReason::RateLimit, 30_000, |s| {
        s.out(0).allocation_ma < 32_000
    });
    assert!(held > 100, "held {held} steps by the rise interval");
    assert!(repeated > 100, "{repeated} steps repeated");
}

/// LB-6 / LB-3: a point shed by a lower limit waits its minimum pause before it may start again;
/// the limit comes back at once, so it waits only for its pause, under constant inputs, while
/// the steps repeat; it starts in the step in which the pause runs out, as without the memo.
#[test]
fn lb6_a_waiting_point_starts_when_its_pause_runs_out_while_steps_repeat() {
    let mut raw = set_point_raw(true);
    raw.timers.min_pause_ms = 20_000;
    let mut s = Site::new(Config::new(raw).expect("valid"));
    s.set_point(40_000);
    s.until(30_000);
    assert!(s.out(0).contactor && s.out(1).contactor);
    // 8 A: room for one minimum only: one point is shed.
    s.set_point(8_000);
    let t = s.now + 3_000;
    s.until(t);
    let shed = usize::from(s.out(0).allocation_ma > 0);
    assert_eq!(s.out(shed).allocation_ma, 0, "one point shed");
    s.set_point(40_000);
    let (paused, repeated) = s.wait_while(shed, AllocReason::MinimumPause, 60_000, |s| {
        s.out(shed).allocation_ma == 0
    });
    assert!(paused > 100, "paused {paused} steps");
    assert!(repeated > 100, "{repeated} steps repeated");
}

/// Two points charging under a 40 A set point for 20 s, then under 30 A for 20 s: the station
/// then, and its memory at the end of the 40 A part (to put parts of it back).
fn forty_then_thirty_amps() -> (Site, Slices) {
    let mut s = Site::under_set_point(true);
    s.set_point(40_000);
    s.until(20_000);
    let at_forty = s.m.clone();
    s.set_point(30_000);
    let t = s.now + 20_000;
    s.until(t);
    (s, at_forty)
}

/// The station's memo is tied to the points' working memory of the same step: the points' part
/// put back to an older copy (its memos those of another allocation), the station's part kept,
/// and the other way round, every step still equals the computation.
#[test]
fn a_working_memory_put_together_from_different_steps_is_served_right() {
    let (mut s, at_forty) = forty_then_thirty_amps();
    let old_points = (at_forty.work, at_forty.node_work);
    let old_station = at_forty.station_work;
    let before = s.used.repeated;
    // The points' memory of the 40 A step, the station's of now.
    (s.m.work, s.m.node_work) = old_points.clone();
    let t = s.now + 5_000;
    s.until(t);
    // The station's memory of the 40 A step, the points' of now; then both of then.
    s.m.station_work = old_station;
    let t = s.now + 5_000;
    s.until(t);
    (s.m.work, s.m.node_work) = old_points;
    s.m.station_work = old_station;
    let t = s.now + 5_000;
    s.until(t);
    assert_eq!(s.out(0).allocation_ma + s.out(1).allocation_ma, 30_000);
    assert!(s.used.repeated > before + 1_000, "{:?}", s.used);
}

/// LB-4: the memo of the last water-filling is one memo across the points' and the nodes' parts
/// of the working memory: the points' part of a step under a 40 A set point put back under the
/// nodes' part of a later one under 30 A (every input the water-filling compares then equals
/// the memo's, but its targets are of 40 A) is not taken for a memo, and every step equals the
/// computation (`step_checked`). (Before the parts carried their computation's mark, the step
/// after the put-back served the 40 A targets: the allocation held at 15 A by the LB-9 count,
/// with the reason "transfer" where the computation gives "set point".)
#[test]
fn lb4_the_points_part_of_the_working_memory_from_another_step_is_served_right() {
    let (mut s, at_forty) = forty_then_thirty_amps();
    s.m.work = at_forty.work;
    let t = s.now + 5_000;
    s.until(t);
    assert_eq!(s.out(0).allocation_ma + s.out(1).allocation_ma, 30_000);
    assert_eq!(s.out(0).reason, AllocReason::SetPoint);
}

/// LB-9: readings that change within their bands every step (an ammeter's jitter) keep the
/// points' memos, and the station's too where no node is over a limit and no point is free to
/// rise: the passes then read no measured current.
#[test]
fn lb9_jittering_measurements_repeat_the_passes_where_nothing_rises() {
    let mut s = Site::two_points(40_000);
    s.until(10_000);
    let before = s.used;
    for k in 0..1_000u32 {
        s.step_with(|pin| {
            for p in pin.iter_mut() {
                if let Some(m) = p.measured_ma.as_mut() {
                    m[0] = m[0].saturating_sub(1 + k % 2);
                }
            }
        });
    }
    assert!(s.used.repeated - before.repeated > 900, "{:?}", s.used);
    assert!(s.used.prep - before.prep > 1_800, "{:?}", s.used);
}

/// LB-9: a supply that binds (two EVs at 20 A each under 40 A) and an EV whose reading jitters
/// above its allocation by up to 0.2 A (within its tolerance): the node's measured total goes
/// over the limit in two steps of three, each time for less than the response time. Only the
/// node's own timer changes then, so the station's memo holds through it. When the EV stays
/// 0.5 A above for longer than the response time, the stops run and stop it in the same step as
/// without the memo (every step is checked against fresh working memory), with the steps in
/// between repeated.
#[test]
fn lb9_a_node_over_its_limit_within_the_response_time_repeats_the_passes() {
    let mut s = Site::two_points(40_000);
    s.until(10_000);
    assert_eq!(
        (s.out(0).allocation_ma, s.out(1).allocation_ma),
        (20_000, 20_000)
    );
    let before = s.used;
    for k in 0..1_000u32 {
        s.step_with(|pin| {
            if let Some(m) = pin[0].measured_ma.as_mut() {
                m.iter_mut().for_each(|x| *x += 100 * (k % 3));
            }
        });
    }
    assert!(s.used.repeated - before.repeated > 900, "{:?}", s.used);
    assert!(!s.m.station_out.errors.contains(StationErrors::OVERLOAD));
    assert!(s.out(0).contactor && s.out(1).contactor);
    // Over the limit for good from `t0`.
    let (t0, before) = (s.now, s.used);
    let response = u64::from(s.cfg.raw().timers.ev_response_ms);
    while s.out(0).contactor {
        s.step_with(|pin| {
            if let Some(m) = pin[0].measured_ma.as_mut() {
                m.iter_mut().for_each(|x| *x += 500);
            }
        });
        assert!(s.now <= t0 + response + 100, "no stop by {} ms", s.now);
    }
    let stopped_at = s.now - s.period;
    assert!(
        stopped_at >= t0 + response,
        "stopped at {stopped_at} ms, over since {t0} ms"
    );
    assert!(s.m.station_out.errors.contains(StationErrors::OVERLOAD));
    assert_eq!(s.out(0).reason, AllocReason::EvOverCurrent);
    assert!(s.out(1).contactor);
    assert!(
        s.used.repeated - before.repeated > 400,
        "{} repeated steps while over",
        s.used.repeated - before.repeated
    );
}

/// Two points charging under input 1 as the protection devices' contact, which then trips
/// (IN-2): the station after the trip's step.
fn tripped_while_charging() -> Site {
    let raw = protection_raw(40_000);
    let mut s = Site::new(Config::new(raw).expect("valid"));
    s.until(10_000);
    assert!(s.out(0).contactor && s.out(1).contactor);
    s.si.in1_closed = true;
    s.step_with(|_| {});
    s
}

/// PS-1: a point's memo is made in the step whose inputs changed, where that step leaves the
/// point as it found it: when the protection devices trip (IN-2), core drives State F at once,
/// the pilots read F from the next step (the inputs change) and nothing else changes from
/// then; the memos made in that step serve the one after it, for both points.
#[test]
fn in2_ps1_the_memo_is_made_in_the_step_whose_inputs_changed() {
    let mut s = tripped_while_charging();
    // The trip: State F, the pilots still read C.
    assert!((0..2).all(|i| s.out(i).pilot == PilotOutput::StateF && !s.out(i).contactor));
    // The pilots read F: the preparation runs, and leaves a memo.
    s.step_with(|_| {});
    assert!(s.m.work.iter().all(|w| !w.from_memo().0));
    s.step_with(|_| {});
    assert!(
        s.m.work.iter().all(|w| w.from_memo().0),
        "the step after the pilots' change is not prepared from a memo"
    );
    assert!((0..2).all(|i| s.out(i).pilot == PilotOutput::StateF));
}

/// IN-2, PS-1: the step in which the protection devices trip prepares every point from the memo
/// it made before the trip (the protection blocks every point first and changes nothing else of
/// its preparation), shows State F with every contactor open in that very step, and does not
/// repeat the last step's passes, whose decisions were made before the trip; every step equals
/// the computation with fresh working memory (`step_checked`).
#[test]
fn in2_the_trip_is_prepared_from_the_memos_made_before_it() {
    let mut raw = protection_raw(40_000);
    raw.timers.min_pause_ms = 2_000;
    let mut s = Site::new(Config::new(raw).expect("valid"));
    s.until(10_000);
    assert!(s.out(0).contactor && s.out(1).contactor);
    assert!(
        s.m.station_work.repeated() && s.m.work.iter().all(|w| w.from_memo() == (true, true)),
        "a steady charge comes from the memos"
    );
    s.si.in1_closed = true;
    s.step_with(|_| {});
    assert!(
        s.m.work.iter().all(|w| w.from_memo() == (true, false)),
        "the trip's preparation comes from the memo, its outputs do not"
    );
    assert!(
        !s.m.station_work.repeated(),
        "the passes of before the trip are not repeated"
    );
    for i in 0..2 {
        let o = s.out(i);
        assert_eq!(o.pilot, PilotOutput::StateF, "point {i}");
        assert!(!o.contactor && o.allocation_ma == 0, "point {i}: {o:?}");
        assert_eq!(o.reason, AllocReason::ProtectionDevice);
    }
    assert!(
        s.m.station_out
            .errors
            .contains(StationErrors::PROTECTION_TRIPPED)
    );
    // The trip lasts; the pilots read F, then the station settles again.
    let t = s.now + 2_000;
    s.until(t);
    assert!(s.m.station_work.repeated());
    assert!((0..2).all(|i| s.out(i).pilot == PilotOutput::StateF && !s.out(i).contactor));
    // The devices close again: the memos of the trip do not serve the step after it.
    s.si.in1_closed = false;
    s.step_with(|_| {});
    assert!(s.m.work.iter().all(|w| !w.from_memo().0));
    let t = s.now + 10_000;
    s.until(t);
    assert!(s.out(0).contactor && s.out(1).contactor, "{:?}", s.out(0));
}

/// IN-2: a trip while input 2 postpones the start (conditional start, open) is prepared from
/// the memos made under the postponement, and the devices' protection gives the reason; a trip
/// in the step in which input 2 changes too is not (the memos were made under other
/// conditions). Each step equals the computation (`step_checked`).
#[test]
fn in2_a_trip_under_a_postponed_start_is_prepared_from_the_memos_made_under_it() {
    let mut raw = protection_raw(40_000);
    raw.inputs.in2 = loadpilot_core::Input2Function::ConditionalStart;
    raw.timers.min_pause_ms = 2_000;
    let mut s = Site::new(Config::new(raw).expect("valid"));
    s.until(10_000);
    assert!(
        (0..2).all(|i| s.out(i).reason == AllocReason::Input && !s.out(i).contactor),
        "{:?}",
        s.out(0)
    );
    assert!(s.m.work.iter().all(|w| w.from_memo().0));
    s.si.in1_closed = true;
    s.step_with(|_| {});
    assert!(s.m.work.iter().all(|w| w.from_memo().0));
    for i in 0..2 {
        let o = s.out(i);
        assert_eq!(o.pilot, PilotOutput::StateF, "point {i}");
        assert_eq!(o.reason, AllocReason::ProtectionDevice, "point {i}");
    }
    // The devices close and input 2 allows the start: the points charge.
    s.si.in1_closed = false;
    s.si.in2_closed = true;
    let t = s.now + 10_000;
    s.until(t);
    assert!(s.out(0).contactor && s.out(1).contactor, "{:?}", s.out(0));
    // The trip and input 2's opening in one step.
    s.si.in1_closed = true;
    s.si.in2_closed = false;
    s.step_with(|_| {});
    assert!(s.m.work.iter().all(|w| !w.from_memo().0));
    for i in 0..2 {
        let o = s.out(i);
        assert!(
            o.pilot == PilotOutput::StateF && !o.contactor,
            "point {i}: {o:?}"
        );
        assert_eq!(o.reason, AllocReason::ProtectionDevice, "point {i}");
    }
}

/// IN-2, PS-1: the station settles in the step in which its points made their memos (the step
/// leaves every point as it found it), so the step after it repeats the passes: in a trip, the
/// step in which the pilots first read F makes every point's memos, and the next step is
/// prepared from them and repeats, as it equals the computation (`step_checked`).
#[test]
fn in2_the_step_after_the_points_made_their_memos_repeats_the_passes() {
    let mut s = tripped_while_charging();
    assert!(
        !s.m.station_work.repeated(),
        "the trip's step changes the points"
    );
    // The pilots read F: every point's preparation runs and makes its memos.
    s.step_with(|_| {});
    assert!(s.m.work.iter().all(|w| w.from_memo() == (false, false)));
    assert!(!s.m.station_work.repeated());
    s.step_with(|_| {});
    assert!(s.m.work.iter().all(|w| w.from_memo() == (true, true)));
    assert!(
        s.m.station_work.repeated(),
        "the step after the one that made the memos runs the passes again"
    );
    let before = s.used.repeated;
    let t = s.now + 1_000;
    s.until(t);
    assert_eq!(
        s.used.repeated - before,
        101,
        "every step of the trip repeats"
    );
    assert!((0..2).all(|i| s.out(i).pilot == PilotOutput::StateF));
}

/// LB-9: a point held below its target by the count (another point's EV draws 1.5 A above its
/// allocation, within the tolerance, and lets its current sag by a milliampere every 2 s): the
/// transfer reads the measured currents in every step in which the held point is free to try,
/// so those steps are not repeated, and the held point takes each milliampere that comes free
/// in the step it comes free (the rise interval of 1 s past), as without the memo.
#[test]
fn lb9_a_rise_held_by_the_count_reads_the_measured_currents() {
    let mut raw = set_point_raw(true);
    raw.timers.rise_interval_ms = 1_000;
    let mut s = Site::new(Config::new(raw).expect("valid"));
    s.set_point(40_000);
    s.until(20_000);
    assert_eq!(s.out(1).allocation_ma, 20_000);
    s.evs[1].draw_ma = Some(21_500);
    let t = s.now + 2_000;
    s.until(t);
    // Room for point 0 to rise, but the count holds it.
    s.set_point(41_500);
    let mut held = 0;
    let mut rose = 0;
    let before = s.used;
    for k in 0..3_000u32 {
        let a0 = s.out(0).allocation_ma;
        s.step_with(|pin| {
            if let Some(m) = pin[1].measured_ma.as_mut() {
                for x in m.iter_mut() {
                    *x = x.saturating_sub(k / 200);
                }
            }
        });
        held += usize::from(s.out(0).reason == AllocReason::Transfer);
        rose += usize::from(s.out(0).allocation_ma > a0);
    }
    assert!(
        held > 1_000 && rose >= 14,
        "held {held} rose {rose}: {:?}",
        s.out(0)
    );
    // (The other point, below its share too, is held by the count all along: no step repeats.)
    assert_eq!(s.used.repeated, before.repeated);
}

/// LB-13: two points, room for one: the waiting one takes the other's place when the rotation
/// interval runs out, under constant inputs while the steps in between repeat, in the same step
/// as without the memo; and again an interval later.
#[test]
fn lb13_the_rotation_comes_on_time_while_steps_repeat() {
    let mut raw = set_point_raw(true);
    raw.timers.min_pause_ms = 2_000;
    raw.timers.min_run_ms = 2_000;
    raw.rotation_interval_ms = Some(60_000);
    let mut s = Site::new(Config::new(raw).expect("valid"));
    // Room for one start threshold (1.5 × 14 A), not for two minimums.
    s.set_point(24_000);
    s.until(15_000);
    let first = usize::from(s.out(0).allocation_ma == 0);
    assert!(
        s.out(first).allocation_ma > 0 && s.out(1 - first).allocation_ma == 0,
        "{:?} {:?}",
        s.out(0),
        s.out(1)
    );
    let before = s.used;
    let mut swaps = Vec::new();
    let mut charging = first;
    let t = s.now + 185_000;
    while s.now <= t {
        s.step_with(|_| {});
        if s.out(1 - charging).allocation_ma > 0 {
            charging = 1 - charging;
            swaps.push(s.now);
        }
    }
    assert!(swaps.len() >= 2, "rotations at {swaps:?}");
    assert!(
        s.used.repeated - before.repeated > 10_000,
        "{:?}",
        s.used.repeated - before.repeated
    );
    // The station's state put back to its copy from just before the last rotation (its last
    // rotation the one before), the points' kept: the next rotation is due at once, not as the
    // working memory's last step knew it.
    let before_swap = loop {
        let st = s.m.station;
        s.step_with(|_| {});
        if s.out(1 - charging).allocation_ma > 0 {
            charging = 1 - charging;
            break st;
        }
    };
    let t = s.now + 5_000;
    s.until(t);
    s.m.station = before_swap;
    let started = s.now;
    while s.out(1 - charging).allocation_ma == 0 {
        s.step_with(|_| {});
        assert!(s.now < started + 10_000, "the overdue rotation comes");
    }
}

/// LB-13: the station's memo is tied to the station's state it was made with: two stations in
/// lockstep, alike but for when their second EV came (so their rotations fall at different
/// times), and in many steps a copy of the first stepped with the second's station state (its
/// last rotation earlier): every such step equals the computation without the memo, and some
/// of them rotate where the first station's memory alone would have repeated its last step.
#[test]
fn lb13_a_station_state_with_another_last_rotation_is_served_right() {
    let mut raw = set_point_raw(true);
    raw.timers.min_pause_ms = 2_000;
    raw.timers.min_run_ms = 2_000;
    raw.rotation_interval_ms = Some(60_000);
    let cfg = Config::new(raw).expect("valid");
    let mut a = Site::new(cfg.clone());
    let mut b = Site::new(cfg.clone());
    a.set_point(24_000);
    b.set_point(24_000);
    a.evs[1].plugged = false;
    let mut differed = 0;
    while a.now <= 300_000 {
        if a.now == 70_000 {
            // After `b`'s first rotation (at 60 s): `a` rotates when its minimums allow, and
            // then an interval later than `b`.
            a.evs[1].plugged = true;
        }
        if a.now > 100_000 && a.now.is_multiple_of(500) {
            // A copy of `a` with `b`'s station state, stepped (and checked) once.
            let mut c = Site::new(cfg.clone());
            c.m = a.m.clone();
            c.evs = a.evs.clone();
            c.nin = a.nin.clone();
            c.now = a.now;
            c.m.station = b.m.station;
            let mut d = Site::new(cfg.clone());
            d.m = a.m.clone();
            d.evs = a.evs.clone();
            d.nin = a.nin.clone();
            d.now = a.now;
            c.step_with(|_| {});
            d.step_with(|_| {});
            differed += usize::from(c.m.outputs != d.m.outputs);
        }
        a.step_with(|_| {});
        b.step_with(|_| {});
    }
    assert!(differed > 0, "the other station state changed some step");
    assert!(a.used.repeated > 10_000, "{:?}", a.used);
}

/// PS-1: a pilot state taken as the caller's hardware classified it (no levels given) has no
/// debounce running: steady charging with such inputs comes from the memo (a candidate state
/// left from before would look like a debounce that never ends, and no memo would be made).
#[test]
fn ps1_a_state_taken_as_classified_runs_no_debounce() {
    let mut s = Site::two_points(63_000);
    let classified = |pin: &mut [PointInputs]| {
        for p in pin.iter_mut() {
            if let Some(cp) = p.cp.take() {
                p.vehicle = match cp.high_mv {
                    CP_A_MV => loadpilot_core::VehicleState::A,
                    CP_B_MV => loadpilot_core::VehicleState::B,
                    _ => loadpilot_core::VehicleState::C,
                };
            }
        }
    };
    while s.now <= 10_000 {
        s.step_with(classified);
    }
    assert!(s.out(0).contactor && s.out(1).contactor, "both charge");
    let before = s.used;
    while s.now <= 20_000 {
        s.step_with(classified);
    }
    assert!(
        s.used.prep - before.prep > 1_900 && s.used.fin - before.fin > 1_900,
        "{:?}",
        s.used
    );
}

/// SU-1 / LB-6: an EV that shows C while its point waits for current (no PWM), its closing
/// debounce long run out: the outputs come from the memo (a timer that has run out bounds
/// nothing), the same as without it.
#[test]
fn su1_a_waiting_point_in_c_keeps_the_memo_of_its_outputs() {
    let mut s = Site::under_set_point(true);
    // Room for one start threshold (1.5 × 14 A), not for two minimums.
    s.set_point(24_000);
    s.evs[0].cp_mv = Some(CP_C_MV);
    s.evs[1].cp_mv = Some(CP_C_MV);
    s.until(20_000);
    let waiting = usize::from(s.out(0).allocation_ma > 0);
    assert_eq!(s.out(waiting).allocation_ma, 0);
    assert!(!s.out(waiting).contactor);
    let before = s.used;
    s.until(30_000);
    assert!(s.used.fin - before.fin > 1_900, "{:?}", s.used);
}

/// IN-2 / SU-2: a protection device trips for a while under constant inputs: core drives State F
/// at both points and their steps come from the memo (the settling window is stamped when State F
/// ends, not in every step that drives it); when the device closes again, the window after the
/// last step of State F is the same as without the memo (every step compared), the EVs' −12 V
/// echo within it is no fault, and both charge again.
#[test]
fn in2_a_tripped_station_keeps_its_memo_and_settles_after_it() {
    let mut raw = protection_raw(63_000);
    raw.inputs.in1_polarity = loadpilot_core::Polarity::NormallyClosed;
    raw.timers.min_pause_ms = 2_000;
    let mut s = Site::new(Config::new(raw).expect("valid"));
    s.si.in1_closed = true;
    s.until(5_000);
    assert!(s.out(0).contactor && s.out(1).contactor);
    for round in 0..4 {
        s.si.in1_closed = false;
        let t = s.now + 3_000;
        s.until(t);
        assert_eq!(s.out(0).pilot, PilotOutput::StateF, "round {round}");
        let before = s.used;
        let t = s.now + 2_000;
        s.until(t);
        assert!(
            s.used.prep - before.prep > 350 && s.used.fin - before.fin > 350,
            "round {round}: {:?}",
            s.used
        );
        // The pilots still read −12 V for 300 ms (a slow pilot line), within the settling
        // window after the last step of State F, then the EVs' own levels.
        s.si.in1_closed = true;
        for _ in 0..30 {
            s.step_with(|pin| {
                for p in pin.iter_mut() {
                    if let Some(cp) = p.cp.as_mut() {
                        cp.high_mv = CP_F_MV;
                    }
                }
            });
            assert_eq!(s.m.station_out.errors, loadpilot_core::StationErrors::EMPTY);
        }
        let t = s.now + 10_000;
        s.until(t);
        assert!(
            s.out(0).contactor && s.out(1).contactor,
            "round {round}: {:?}",
            s.out(0)
        );
        assert_eq!(s.m.station_out.errors, loadpilot_core::StationErrors::EMPTY);
    }
}
