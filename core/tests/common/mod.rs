//! Tick-by-tick scenario harness, after smoltcp's scripted tests:
//! `Scenario::new(raw).plug(0).at(1_000).expect_alloc(0, 32_000)`.
//!
//! Points and nodes are 0-based; inputs set by a method apply from the next step on. `at(t)` steps
//! every sample period (default 10 ms, the first step at 0 ms) up to `t`, so timers run as on a
//! station. Every step checks LB-1 (on every node and supply phase, the sum over the points beneath
//! of max(allocation, signal) is within the node's effective limit) and LB-3 (an allocation is 0 or
//! at least the minimum), and panics with a clear message if one is broken.
//!
//! Each point has an EV model ([`Ev`]): while the contactor is closed it draws min(signal, its max)
//! (plus an optional overdraw) on its phases, from the next sample, after a lag, or ignoring the
//! signal; 0 while the contactor is open. That is the point's measurement unless a test fixes it.
//! An EV may follow at a limited rate, both ways (a real EV's ramp). A site meter (LB-14) reads the other
//! consumers' load (a function of time) plus what the EVs beneath its node draw every period; the
//! reading arrives a latency later, in order. While it is fresh each step checks LB-14 too: the
//! points fit under the limit less core's other load and margin, and core's other load is at
//! least the true one at the reading's time if no EV beneath changed its draw since.
#![allow(dead_code)]

pub mod config_checks;
pub mod deadline_world;
pub mod energy;
pub mod memo_site;
pub mod pilot_rig;
pub mod sessions;
pub mod site;
pub mod slices;
pub mod station_gen;

pub use slices::{Slices, mix, proptest_cases};

use std::collections::VecDeque;
use std::fmt::Debug;

use loadpilot_core::{
    AllocReason, Commands, Controller, NodeConfig, PhaseCount, PilotOutput, PointConfig,
    PointFlags, PointInputs, PointOutput, ProductFamily, RawConfig, SetPoint, SiteReading,
    StationErrors, StepInputs, StepOutputs, VehicleState,
};

/// How an EV follows the current it is signalled: from the next sample on, `Lag(ms)` after the
/// signal changed (both ways), or `Never` (it draws its maximum whenever the contactor is closed).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Follow {
    #[default]
    Now,
    Lag(u64),
    Never,
}

/// An EV model.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Ev {
    /// Its own maximum current (mA per phase).
    pub max_ma: u32,
    /// Draws on the point's L1 only.
    pub single_phase: bool,
    /// How it follows the signal.
    pub follow: Follow,
    /// Drawn above min(signal, max) while a signal stands (a slightly disobedient EV).
    pub extra_ma: u32,
    /// Follows at most this fast, up and down (mA/s; 0 = at once).
    pub ramp_ma_per_s: u32,
}

impl Ev {
    /// A three-phase EV of `max_ma` that follows at once.
    pub fn three_phase(max_ma: u32) -> Ev {
        Ev {
            max_ma,
            ..Ev::default()
        }
    }
    /// A single-phase EV of `max_ma` that follows at once.
    pub fn single_phase(max_ma: u32) -> Ev {
        Ev {
            single_phase: true,
            ..Ev::three_phase(max_ma)
        }
    }
    /// The same EV, following `ms` late.
    pub fn lag(mut self, ms: u64) -> Ev {
        self.follow = Follow::Lag(ms);
        self
    }
    /// The same EV, ignoring the signal.
    pub fn never(mut self) -> Ev {
        self.follow = Follow::Never;
        self
    }
    /// The same EV, drawing `extra_ma` above its signal.
    pub fn over(mut self, extra_ma: u32) -> Ev {
        self.extra_ma = extra_ma;
        self
    }
    /// The same EV, following at most `ma_per_s` both ways.
    pub fn ramp(mut self, ma_per_s: u32) -> Ev {
        self.ramp_ma_per_s = ma_per_s;
        self
    }
}

#[derive(Clone, Copy, Debug, Default)]
enum Meter {
    #[default]
    Model,
    Fixed([u32; 3]),
    Absent,
}

/// One EV's simulation: what it draws now, and what it is heading for since when.
#[derive(Clone, Copy, Debug, Default)]
struct Sim {
    ev: Ev,
    meter: Meter,
    draw: u32,
    want: u32,
    changed_ms: u64,
    last_ms: u64,
}

impl Sim {
    fn measure(&mut self, now: u64) -> Option<[u32; 3]> {
        if let Follow::Lag(ms) = self.ev.follow
            && now.saturating_sub(self.changed_ms) >= ms
        {
            self.draw = self.want;
        }
        let rate = u64::from(self.ev.ramp_ma_per_s);
        if rate > 0 && self.want != u32::MAX {
            let d = (rate * now.saturating_sub(self.last_ms) / 1000) as u32;
            let (lo, hi) = (self.draw.saturating_sub(d), self.draw.saturating_add(d));
            self.draw = self.want.clamp(lo, hi);
        }
        self.last_ms = now;
        match self.meter {
            Meter::Model if self.ev.single_phase => Some([self.draw, 0, 0]),
            Meter::Model => Some([self.draw; 3]),
            Meter::Fixed(m) => Some(m),
            Meter::Absent => None,
        }
    }

    fn react(&mut self, po: &PointOutput, now: u64) {
        if !po.contactor {
            (self.draw, self.want) = (0, 0);
            return;
        }
        let want = match self.ev.follow {
            Follow::Never => self.ev.max_ma + self.ev.extra_ma,
            _ if po.signal_ma == 0 => 0,
            _ => po.signal_ma.min(self.ev.max_ma) + self.ev.extra_ma,
        };
        if want != self.want {
            (self.want, self.changed_ms) = (want, now);
            if self.ev.ramp_ma_per_s == 0 && !matches!(self.ev.follow, Follow::Lag(_)) {
                self.draw = want;
            }
        }
    }

    /// What the EV draws per supply phase (whatever the point's measurement says).
    fn supply_draw(&self, pc: &PointConfig) -> [u32; 3] {
        let mut out = [0; 3];
        let n = if self.ev.single_phase { 1 } else { 3 };
        (pc.wiring[..n].iter()).for_each(|ph| out[ph.index()] += self.draw);
        out
    }
}

/// A site meter at a node: see the module doc.
struct SiteGen {
    node: usize,
    period_ms: u64,
    next_ms: u64,
    latency: Box<dyn Fn(u64) -> u64>,
    other: Box<dyn Fn(u64) -> [u32; 3]>,
    silent: bool,
    queue: VecDeque<(u64, SiteReading)>,
}

/// A City configuration with every default but the start stagger (0): one station node of
/// `limit_ma` per phase over `points`.
pub fn station<const P: usize>(
    limit_ma: u32,
    points: [PointConfig; P],
) -> RawConfig<[PointConfig; P], [NodeConfig; 1]> {
    let node = [NodeConfig::station(None, limit_ma)];
    let mut raw = RawConfig::with_defaults(ProductFamily::City, points, node);
    raw.timers.stagger_ms = 0;
    raw
}

fn reading(load_ma: [u32; 3], measured_ms: u64) -> SiteReading {
    SiteReading {
        load_ma,
        measured_ms,
    }
}

fn setpoint(current_ma: u32, received_ms: u64) -> Option<SetPoint> {
    Some(SetPoint {
        current_ma,
        received_ms,
    })
}

/// A scripted run of one controller.
pub struct Scenario<const P: usize, const N: usize> {
    ctl: Controller<P, N>,
    inputs: StepInputs<P, N>,
    sims: [Sim; P],
    /// Per node: the points beneath it.
    beneath: Vec<Vec<usize>>,
    site: Option<SiteGen>,
    /// Per point: what its EV drew per supply phase in the last step, and since when.
    drawn: [([u32; 3], u64); P],
    /// Time of the last step and of the next one (ms).
    now: u64,
    next: u64,
}

impl<const P: usize, const N: usize> Scenario<P, N> {
    /// A scenario over `raw`; panics if the configuration is refused. Nothing is plugged; each
    /// point has an EV of 80 A (single-phase on a single-phase point) that follows at once.
    pub fn new(raw: RawConfig<[PointConfig; P], [NodeConfig; N]>) -> Self {
        let ctl = Controller::new(raw).unwrap_or_else(|e| panic!("{e}"));
        let (points, nodes) = (ctl.config().points(), ctl.config().nodes());
        let mut beneath = vec![Vec::new(); N];
        for (i, pc) in points.iter().enumerate() {
            let mut node = Some(pc.node);
            while let Some(n) = node {
                beneath[usize::from(n)].push(i);
                node = nodes[usize::from(n)].parent;
            }
        }
        let mut sims = [Sim::default(); P];
        for (sim, pc) in sims.iter_mut().zip(points) {
            sim.ev = Ev::three_phase(80_000);
            sim.ev.single_phase = pc.phases == PhaseCount::One;
        }
        let (inputs, now, next) = (StepInputs::default(), 0, 0);
        Scenario {
            ctl,
            inputs,
            sims,
            beneath,
            site: None,
            drawn: [([0; 3], 0); P],
            now,
            next,
        }
    }

    // ---- time ----

    /// Steps every sample period while the next step is due at or before `t_ms`.
    pub fn at(&mut self, t_ms: u64) -> &mut Self {
        while self.next <= t_ms {
            self.step();
        }
        self
    }

    /// The next step, one sample period after the last one (the first is at 0 ms).
    pub fn step(&mut self) -> &mut Self {
        self.step_at(self.next)
    }

    /// Steps until `pred` holds, at most up to `deadline_ms`; returns the time it first held.
    #[track_caller]
    pub fn until(&mut self, deadline_ms: u64, pred: impl Fn(&Self) -> bool) -> u64 {
        loop {
            self.step();
            if pred(self) {
                return self.now;
            }
            assert!(self.now < deadline_ms, "not met by {deadline_ms} ms");
        }
    }

    /// One step at exactly `t_ms`, which may lie in the past (SU-3).
    pub fn step_at(&mut self, t_ms: u64) -> &mut Self {
        let period = self.ctl.config().raw().timers.sample_period_ms;
        (self.now, self.next) = (t_ms, t_ms + u64::from(period));
        let pcs = self.ctl.config().points();
        let it = self.sims.iter_mut().zip(self.inputs.points.iter_mut());
        for (((sim, pi), pc), drawn) in it.zip(pcs).zip(self.drawn.iter_mut()) {
            pi.measured_ma = sim.measure(t_ms);
            let d = sim.supply_draw(pc);
            if d != drawn.0 {
                *drawn = (d, t_ms);
            }
        }
        if let Some(g) = &mut self.site {
            if t_ms >= g.next_ms {
                g.next_ms = t_ms + g.period_ms;
                if !g.silent {
                    let mut load = (g.other)(t_ms);
                    for &i in &self.beneath[g.node] {
                        (0..3).for_each(|ph| load[ph] += self.drawn[i].0[ph]);
                    }
                    let after = g.queue.back().map_or(0, |q| q.0);
                    let at = (t_ms + (g.latency)(t_ms)).max(after);
                    g.queue.push_back((at, reading(load, t_ms)));
                }
            }
            while let Some(&(at, r)) = g.queue.front()
                && at <= t_ms
            {
                self.inputs.nodes[g.node].site = Some(r);
                g.queue.pop_front();
            }
        }
        let out = *self.ctl.step(&self.inputs, t_ms);
        self.check_invariants(&out);
        for (sim, po) in self.sims.iter_mut().zip(out.points.iter()) {
            sim.react(po, t_ms);
        }
        self
    }

    fn check_invariants(&self, out: &StepOutputs<P>) {
        let (th, t) = (self.ctl.config().raw().thresholds, self.now);
        for (i, po) in out.points.iter().enumerate() {
            let one = po.alloc_ma.iter().filter(|a| **a > 0).count() == 1;
            let min = if one { th.min_1ph_ma } else { th.min_3ph_ma };
            let a = po.allocation_ma;
            assert!(
                a == 0 || a >= min,
                "LB-3 broken at {t} ms: point {i} has {a} < {min} mA"
            );
        }
        for (n, ns) in self.ctl.node_states().iter().enumerate() {
            for (ph, limit) in ns.limit_ma().into_iter().enumerate() {
                let (sum, counts) = self.counts(out, n, ph);
                assert!(
                    sum <= limit,
                    "LB-1 broken at {t} ms: node {n} phase L{}: the points beneath count {sum} mA, \
                     above the limit {limit} mA; (point, mA): {counts:?}",
                    ph + 1
                );
            }
        }
        self.check_site(out);
    }

    /// On node `n`, supply phase `ph`: what the points beneath count, max(allocation, signal),
    /// an offer counting on the phases the point is allocated on (on all if none).
    fn counts(&self, out: &StepOutputs<P>, n: usize, ph: usize) -> (u32, Vec<(usize, u32)>) {
        let counts: Vec<(usize, u32)> = (self.beneath[n].iter())
            .map(|&i| {
                let po = &out.points[i];
                let none = po.alloc_ma.iter().all(|a| *a == 0);
                let offer = (none || po.alloc_ma[ph] > 0).then_some(po.signal_ma);
                (i, po.alloc_ma[ph].max(offer.unwrap_or(0)))
            })
            .collect();
        (counts.iter().map(|c| c.1).sum(), counts)
    }

    /// LB-14 while the site meter's reading is fresh (see the module doc).
    fn check_site(&self, out: &StepOutputs<P>) {
        let Some(g) = &self.site else { return };
        let (n, t, raw) = (g.node, self.now, self.ctl.config().raw());
        let validity = u64::from(raw.timers.site_meter_validity_ms);
        let r = match self.inputs.nodes[n].site {
            Some(r) if r.measured_ms <= t && t - r.measured_ms <= validity => r,
            _ => return,
        };
        let (margin, limit) = (raw.thresholds.site_margin_ma, raw.nodes[n].limit_ma);
        let core = self.ctl.node_sites()[n].other_ma();
        let truth = (g.other)(r.measured_ms);
        let steady = (self.beneath[n].iter()).all(|&i| self.drawn[i].1 <= r.measured_ms);
        for ph in 0..3 {
            let (sum, counts) = self.counts(out, n, ph);
            let (core, truth, room) = (core[ph], truth[ph], limit[ph].saturating_sub(margin));
            assert!(
                sum <= room.saturating_sub(core) && (!steady || core >= truth),
                "LB-14 broken at {t} ms: node {n} L{}: points count {sum} mA ({counts:?}), core's \
                 other load {core} mA, margin {margin} mA, limit {} mA; true other load {truth} mA \
                 at {} ms (no EV changed its draw since: {steady})",
                ph + 1,
                limit[ph],
                r.measured_ms
            );
        }
    }

    // ---- inputs: vehicle, authorisation, VIP badge, EV limit, cable (CAB-2), EX-2 commands, ...
    /// Sets any point input from the next step on (for inputs without a method of their own).
    pub fn pi(&mut self, p: usize, f: impl FnOnce(&mut PointInputs)) -> &mut Self {
        f(&mut self.inputs.points[p]);
        self
    }
    /// A vehicle ready to charge (state C) on `p`, authorised.
    pub fn plug(&mut self, p: usize) -> &mut Self {
        self.vehicle(p, VehicleState::C).authorise(p)
    }
    /// The vehicle leaves `p` (state A): the session ends.
    pub fn unplug(&mut self, p: usize) -> &mut Self {
        self.vehicle(p, VehicleState::A)
    }
    pub fn vehicle(&mut self, p: usize, v: VehicleState) -> &mut Self {
        self.pi(p, |pi| pi.vehicle = v)
    }
    pub fn authorise(&mut self, p: usize) -> &mut Self {
        self.pi(p, |pi| pi.authorised = true)
    }
    pub fn vip(&mut self, p: usize, vip: bool) -> &mut Self {
        self.pi(p, |pi| pi.vip = vip)
    }
    pub fn ev_limit(&mut self, p: usize, ma: Option<u32>) -> &mut Self {
        self.pi(p, |pi| pi.ev_limit_ma = ma)
    }
    pub fn cable(&mut self, p: usize, ma: Option<u32>) -> &mut Self {
        self.pi(p, |pi| pi.cable_ma = ma)
    }
    pub fn command(&mut self, p: usize, c: Commands) -> &mut Self {
        self.pi(p, |pi| pi.commands = c)
    }
    /// A set point for point `p`, received now.
    pub fn point_setpoint(&mut self, p: usize, ma: u32) -> &mut Self {
        let sp = setpoint(ma, self.now);
        self.pi(p, |pi| pi.setpoint = sp)
    }
    /// A set point for node `n`, received now.
    pub fn node_setpoint(&mut self, n: usize, ma: u32) -> &mut Self {
        self.node_setpoint_at(n, ma, self.now)
    }
    /// A set point for node `n`, stamped `received_ms` (which may lie in the future).
    pub fn node_setpoint_at(&mut self, n: usize, ma: u32, received_ms: u64) -> &mut Self {
        self.inputs.nodes[n].setpoint = setpoint(ma, received_ms);
        self
    }
    /// The contacts of In-1 and In-2.
    pub fn input(&mut self, in1_closed: bool, in2_closed: bool) -> &mut Self {
        self.inputs.station.in1_closed = in1_closed;
        self.inputs.station.in2_closed = in2_closed;
        self
    }
    /// Replaces `p`'s EV model (its present draw carries over) and meters it again.
    pub fn ev(&mut self, p: usize, ev: Ev) -> &mut Self {
        let sim = &mut self.sims[p];
        (sim.ev, sim.meter, sim.want) = (ev, Meter::Model, u32::MAX); // reacts at the next step
        self
    }
    /// Fixes `p`'s measurement (per point phase) whatever its EV draws.
    pub fn measured(&mut self, p: usize, ma: [u32; 3]) -> &mut Self {
        self.sims[p].meter = Meter::Fixed(ma);
        self
    }
    /// `p` has no current measurement.
    pub fn unmetered(&mut self, p: usize) -> &mut Self {
        self.sims[p].meter = Meter::Absent;
        self
    }

    // ---- site meter (LB-14) ----
    /// A site meter at node `n` reading every `period_ms` from the next step on: the other
    /// consumers' load `other(t)` plus what the EVs beneath draw, arriving `latency(t)` ms after
    /// it was measured at `t`.
    pub fn site_meter(
        &mut self,
        n: usize,
        period_ms: u64,
        latency: impl Fn(u64) -> u64 + 'static,
        other: impl Fn(u64) -> [u32; 3] + 'static,
    ) -> &mut Self {
        self.site = Some(SiteGen {
            node: n,
            period_ms,
            next_ms: self.next,
            latency: Box::new(latency),
            other: Box::new(other),
            silent: false,
            queue: VecDeque::new(),
        });
        self
    }
    /// The site meter stops (or resumes) reading; readings under way still arrive.
    pub fn meter_silent(&mut self, silent: bool) -> &mut Self {
        self.site.as_mut().expect("no site meter").silent = silent;
        self
    }
    /// A site-meter reading at node `n` as core will see it from the next step on.
    pub fn site_reading(&mut self, n: usize, load_ma: [u32; 3], measured_ms: u64) -> &mut Self {
        self.inputs.nodes[n].site = Some(reading(load_ma, measured_ms));
        self
    }
    /// The site-meter reading node `n` had in the last step.
    pub fn site_input(&self, n: usize) -> Option<SiteReading> {
        self.inputs.nodes[n].site
    }
    /// The true other consumers' load of the site meter at `t_ms`.
    pub fn other_load(&self, t_ms: u64) -> [u32; 3] {
        (self.site.as_ref().expect("no site meter").other)(t_ms)
    }
    /// The time of the last step (ms).
    pub fn now(&self) -> u64 {
        self.now
    }

    // ---- outputs ----
    /// The outputs of the last step.
    pub fn out(&self) -> &StepOutputs<P> {
        self.ctl.outputs()
    }
    /// The last output of point `p`.
    pub fn point(&self, p: usize) -> &PointOutput {
        &self.out().points[p]
    }
    /// The controller (state, configuration).
    pub fn ctl(&self) -> &Controller<P, N> {
        &self.ctl
    }

    #[track_caller]
    fn expect<T: PartialEq + Debug>(&mut self, p: usize, w: &str, got: T, want: T) -> &mut Self {
        let (t, po) = (self.now, self.point(p));
        assert_eq!(got, want, "at {t} ms, point {p}: {w}; {po:?}");
        self
    }

    /// Point `p`'s allocation (per loaded phase) is `ma`.
    #[track_caller]
    pub fn expect_alloc(&mut self, p: usize, ma: u32) -> &mut Self {
        self.expect(p, "allocation", self.point(p).allocation_ma, ma)
    }
    /// Point `p`'s allocation per supply phase is `ma`.
    #[track_caller]
    pub fn expect_phases(&mut self, p: usize, ma: [u32; 3]) -> &mut Self {
        self.expect(p, "allocation per phase", self.point(p).alloc_ma, ma)
    }
    /// Point `p`'s reason (LB-11) is `r`.
    #[track_caller]
    pub fn expect_reason(&mut self, p: usize, r: AllocReason) -> &mut Self {
        self.expect(p, "reason", self.point(p).reason, r)
    }
    /// Point `p`'s reason is `r`, naming node `n`.
    #[track_caller]
    pub fn expect_reason_at(&mut self, p: usize, r: AllocReason, n: u16) -> &mut Self {
        let po = *self.point(p);
        self.expect(p, "(reason, node)", (po.reason, po.reason_node), (r, n))
    }
    /// Point `p`'s contactor is commanded `closed`.
    #[track_caller]
    pub fn expect_contactor(&mut self, p: usize, closed: bool) -> &mut Self {
        self.expect(p, "contactor", self.point(p).contactor, closed)
    }
    /// Point `p`'s pilot shows `pilot`.
    #[track_caller]
    pub fn expect_pilot(&mut self, p: usize, pilot: PilotOutput) -> &mut Self {
        self.expect(p, "pilot", self.point(p).pilot, pilot)
    }
    /// Point `p`'s flag `f` is `on`.
    #[track_caller]
    pub fn expect_flag(&mut self, p: usize, f: PointFlags, on: bool) -> &mut Self {
        self.expect(p, &format!("{f:?}"), self.point(p).flags.contains(f), on)
    }
    /// Station error bit `e` is `on`.
    #[track_caller]
    pub fn expect_error(&mut self, e: StationErrors, on: bool) -> &mut Self {
        let (t, errors) = (self.now, self.out().station.errors);
        assert_eq!(errors.contains(e), on, "at {t} ms: {e:?} in {errors:?}");
        self
    }
}
