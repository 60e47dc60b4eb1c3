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
#![allow(dead_code)]

use std::fmt::Debug;

use loadpilot_core::{
    AllocReason, Commands, Controller, NodeConfig, PhaseCount, PilotOutput, PointConfig,
    PointFlags, PointInputs, PointOutput, ProductFamily, RawConfig, SetPoint, StationErrors,
    StepInputs, StepOutputs, VehicleState,
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
}

impl Sim {
    fn measure(&mut self, now: u64) -> Option<[u32; 3]> {
        if let Follow::Lag(ms) = self.ev.follow
            && now.saturating_sub(self.changed_ms) >= ms
        {
            self.draw = self.want;
        }
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
            if !matches!(self.ev.follow, Follow::Lag(_)) {
                self.draw = want;
            }
        }
    }
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
        for (sim, pi) in self.sims.iter_mut().zip(self.inputs.points.iter_mut()) {
            pi.measured_ma = sim.measure(t_ms);
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
                // An offer counts on the phases the point is allocated on (on all if none).
                let counts: Vec<(usize, u32)> = (self.beneath[n].iter())
                    .map(|&i| {
                        let po = &out.points[i];
                        let none = po.alloc_ma.iter().all(|a| *a == 0);
                        let offer = (none || po.alloc_ma[ph] > 0).then_some(po.signal_ma);
                        (i, po.alloc_ma[ph].max(offer.unwrap_or(0)))
                    })
                    .collect();
                let sum: u32 = counts.iter().map(|c| c.1).sum();
                assert!(
                    sum <= limit,
                    "LB-1 broken at {t} ms: node {n} phase L{}: the points beneath count {sum} mA, \
                     above the limit {limit} mA; (point, mA): {counts:?}",
                    ph + 1
                );
            }
        }
    }

    // ---- inputs: vehicle, authorisation, VIP badge, EV limit, cable (CAB-2), EX-2 commands, ...
    fn pi(&mut self, p: usize, f: impl FnOnce(&mut PointInputs)) -> &mut Self {
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
