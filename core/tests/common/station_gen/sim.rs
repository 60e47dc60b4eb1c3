//! The simulated site of the properties: EVs and the caller's inputs, core's state over `Vec`s,
//! and the step (`Sim::run_step`), which steps a copy of the state on fresh working memory beside
//! the original (the determinism of the step, SPEC §1, and its memos) and then checks the rules
//! of every step (`check.rs`).

use loadpilot_core::{
    Commands, Config, Input1Function, Input2Function, Inputs, Location, NodeConfig, NodeInputs,
    NodeState, NodeWork, Outputs, PhaseCount, PointConfig, PointInputs, PointOutput, PointState,
    PointWork, SetPoint, SiteState, State, StationInputs, StationOutput, StationState,
    VehicleState, Work, step,
};

use super::build::{chain, config_mask, min_of, start_threshold, static_ceiling};
use super::run::Stats;
use super::{Action, Dt, Event, Model, PointInit, Raw, Sp};

#[derive(Clone, Copy, Debug)]
pub struct Ev {
    pub model: Model,
    pub ev_phase: Option<u8>,
    /// The EV's own maximum (mA), reported to core or not.
    pub max: Option<u32>,
    pub reported: bool,
    pub meas: bool,
    pub undershoot: u32,
    pub jitter: u32,
    pub drawing: u32,
    pub pending: Option<(u32, u64)>,
}

/// Which rules the per-step check asserts.
#[derive(Clone, Copy, Debug, Default)]
pub struct Checks {
    /// LB-9 "raised only by what is free under the count", exactly as the brief defines it.
    pub lb9: bool,
}

pub struct Sim {
    pub cfg: Config<Vec<PointConfig>, Vec<NodeConfig>>,
    pub checks: Checks,
    pub anc: Vec<Vec<usize>>,
    pub station: StationState,
    pub points: Vec<PointState>,
    pub nodes: Vec<NodeState>,
    pub work: Vec<PointWork>,
    pub nwork: Vec<NodeWork>,
    pub swork: loadpilot_core::StationWork,
    pub so: StationOutput,
    pub out: Vec<PointOutput>,
    pub si: StationInputs,
    pub pin: Vec<PointInputs>,
    pub nin: Vec<NodeInputs>,
    pub evs: Vec<Ev>,
    pub node_refresh: Vec<bool>,
    pub point_refresh: Vec<bool>,
    pub now: u64,
    pub max_now: u64,
    pub started: bool,
    pub first_ms: u64,
    pub pwm_off_at: Vec<Option<u64>>,
    /// Since when the point has been in C (or D outdoors) with PWM on, in every step.
    pub ready_since: Vec<Option<u64>>,
    pub last_clock_fault: Option<u64>,
    pub fault_latched: Vec<bool>,
    pub steps: u64,
    pub stats: Stats,
}

pub fn fresh(sp: Option<SetPoint>, now: u64, validity_ms: u32) -> Option<u32> {
    let sp = sp?;
    (sp.received_ms <= now && now - sp.received_ms <= u64::from(validity_ms))
        .then_some(sp.current_ma)
}

pub fn mask_of(o: &PointOutput) -> u8 {
    o.alloc_ma
        .iter()
        .enumerate()
        .filter(|(_, a)| **a > 0)
        .fold(0u8, |m, (ph, _)| m | (1 << ph))
}

macro_rules! ensure {
    ($cond:expr, $($arg:tt)+) => {
        if !$cond {
            return Err(format!($($arg)+));
        }
    };
}
pub(crate) use ensure;

impl Sim {
    pub fn new(raw: Raw, init: &[PointInit], contacts: (bool, bool), start_ms: u64) -> Self {
        let cfg = match Config::new(raw.clone()) {
            Ok(c) => c,
            Err(e) => panic!("the strategy built an invalid configuration: {e}\n{raw:#?}"),
        };
        let np = raw.points.len();
        let nn = raw.nodes.len();
        let anc = raw
            .points
            .iter()
            .map(|p| chain(&raw.nodes, p.node))
            .collect();
        let mut pin = vec![PointInputs::default(); np];
        let mut evs = Vec::with_capacity(np);
        for (i, p) in pin.iter_mut().enumerate() {
            let s = init[i % init.len()];
            p.vehicle = s.vehicle;
            p.authorised = s.authorised;
            p.vip = s.vip;
            p.ev_limit_ma = if s.reported { s.ev_max } else { None };
            evs.push(Ev {
                model: s.model,
                ev_phase: s.ev_phase,
                max: s.ev_max,
                reported: s.reported,
                meas: s.meas,
                undershoot: 0,
                jitter: 0,
                drawing: 0,
                pending: None,
            });
        }
        Sim {
            cfg,
            checks: Checks::default(),
            anc,
            station: StationState::new(),
            points: vec![PointState::new(); np],
            nodes: vec![NodeState::new(); nn],
            work: vec![PointWork::new(); np],
            nwork: vec![NodeWork::new(); nn],
            swork: loadpilot_core::StationWork::new(),
            so: StationOutput::default(),
            out: vec![PointOutput::default(); np],
            si: StationInputs {
                in1_closed: contacts.0,
                in2_closed: contacts.1,
            },
            pin,
            nin: vec![NodeInputs::default(); nn],
            evs,
            node_refresh: vec![false; nn],
            point_refresh: vec![false; np],
            now: start_ms,
            max_now: start_ms,
            started: false,
            first_ms: start_ms,
            pwm_off_at: vec![None; np],
            ready_since: vec![None; np],
            last_clock_fault: None,
            fault_latched: vec![false; np],
            steps: 0,
            stats: Stats::default(),
        }
    }

    pub fn raw(&self) -> &Raw {
        self.cfg.raw()
    }

    pub fn apply(&mut self, a: Action) {
        let np = self.pin.len();
        let nn = self.nin.len();
        match a {
            Action::Vehicle(i, v) => self.pin[i % np].vehicle = v,
            Action::Authorise(i, b) => self.pin[i % np].authorised = b,
            Action::Vip(i, b) => self.pin[i % np].vip = b,
            Action::Model(i, m) => self.evs[i % np].model = m,
            Action::EvPhase(i, k) => self.evs[i % np].ev_phase = k,
            Action::EvLimit(i, m, r) => {
                let ev = &mut self.evs[i % np];
                ev.max = m;
                ev.reported = r;
                self.pin[i % np].ev_limit_ma = if r { m } else { None };
            }
            Action::Cable(i, c) => self.pin[i % np].cable_ma = c,
            Action::Meas(i, b) => self.evs[i % np].meas = b,
            Action::Undershoot(i, u) => self.evs[i % np].undershoot = u,
            Action::Jitter(i, j) => self.evs[i % np].jitter = j,
            Action::NodeSp(n, s) => {
                let n = n % nn;
                let scale = self.raw().nodes[n]
                    .limit_ma
                    .iter()
                    .copied()
                    .max()
                    .unwrap_or(0)
                    .min(400_000);
                let (sp, refresh) = self.setpoint(s, scale, self.nin[n].setpoint);
                self.nin[n].setpoint = sp;
                self.node_refresh[n] = refresh;
            }
            Action::PointSp(i, s) => {
                let i = i % np;
                let scale = self.raw().points[i].rated_ma;
                let (sp, refresh) = self.setpoint(s, scale, self.pin[i].setpoint);
                self.pin[i].setpoint = sp;
                self.point_refresh[i] = refresh;
            }
            Action::In1(b) => self.si.in1_closed = b,
            Action::In2(b) => self.si.in2_closed = b,
            Action::Command(i, c) => self.pin[i % np].commands = Commands(c),
        }
    }

    pub fn setpoint(&self, s: Sp, scale: u32, old: Option<SetPoint>) -> (Option<SetPoint>, bool) {
        match s {
            Sp::Fresh(p) => (
                Some(SetPoint {
                    current_ma: (u64::from(scale) * u64::from(p) / 1000) as u32,
                    received_ms: self.now,
                }),
                true,
            ),
            Sp::Hold => (old, false),
            Sp::Absent => (None, false),
            Sp::Future(ms) => (
                Some(SetPoint {
                    current_ma: old.map_or(scale, |o| o.current_ma),
                    received_ms: self.now + u64::from(ms),
                }),
                false,
            ),
        }
    }

    /// What each EV drew since the last step: only while its contactor is closed and it is in C
    /// or D, following the signal as its model says.
    pub fn measure(&mut self) {
        let now = self.now;
        for i in 0..self.pin.len() {
            let pc = self.cfg.raw().points[i];
            let o = self.out[i];
            let ev = &mut self.evs[i];
            let v = self.pin[i].vehicle;
            let can = o.contactor && matches!(v, VehicleState::C | VehicleState::D);
            if !can {
                ev.drawing = 0;
                ev.pending = None;
            } else {
                let desired = o
                    .signal_ma
                    .min(ev.max.unwrap_or(u32::MAX))
                    .saturating_sub(ev.undershoot);
                match ev.model {
                    Model::Follow => {
                        ev.drawing = desired;
                        ev.pending = None;
                    }
                    Model::Late(d) => {
                        if desired == ev.drawing {
                            ev.pending = None;
                        } else if ev.pending.map(|p| p.0) != Some(desired) {
                            ev.pending = Some((desired, now + u64::from(d)));
                        }
                        if let Some((val, at)) = ev.pending
                            && now >= at
                        {
                            ev.drawing = val;
                            ev.pending = None;
                        }
                    }
                    Model::Never => ev.drawing = ev.drawing.max(desired),
                }
            }
            let d = ev.drawing;
            let k = if pc.phases == PhaseCount::One {
                Some(0)
            } else {
                ev.ev_phase
            };
            let mut m = match k {
                Some(k) => {
                    let mut m = [0; 3];
                    m[usize::from(k)] = d;
                    m
                }
                None => [d; 3],
            };
            // An ammeter's noise on the phases that draw: a fixed function of the time, the
            // point and the phase, within ± the EV's jitter.
            if ev.jitter > 0 {
                for (ph, x) in m.iter_mut().enumerate().filter(|(_, x)| **x > 0) {
                    let h = crate::common::mix(now ^ (i as u64) << 40 ^ (ph as u64) << 56);
                    let span = u64::from(ev.jitter) * 2 + 1;
                    let delta = i64::try_from(h % span).unwrap_or(0) - i64::from(ev.jitter);
                    *x = x.saturating_add_signed(i32::try_from(delta).unwrap_or(0));
                }
            }
            self.pin[i].measured_ma = ev.meas.then_some(m);
        }
    }

    pub fn advance(&mut self, dt: Dt) {
        self.now = match dt {
            Dt::Tick(d) | Dt::Jump(d) => self.now + u64::from(d),
            Dt::Huge => self.now + (1 << 31) + 777,
            Dt::Back(d) => self.now.saturating_sub(u64::from(d)),
            Dt::Again => self.now,
        };
    }

    pub fn event(&mut self, e: &Event) -> Result<(), String> {
        if self.started {
            self.advance(e.dt);
        }
        for a in &e.actions {
            self.apply(*a);
        }
        self.run_step()
    }

    /// C (or D outdoors) with PWM on in this step's outputs, no latched fault.
    pub fn ready(&self, i: usize) -> bool {
        let v = self.pin[i].vehicle;
        let charge_state = v == VehicleState::C
            || (v == VehicleState::D && self.raw().location == Location::Outdoor);
        charge_state && self.out[i].signal_ma > 0 && !self.fault_latched[i]
    }

    pub fn in1_active(&self) -> bool {
        self.raw().inputs.in1_polarity.active(self.si.in1_closed)
    }

    pub fn in2_active(&self) -> bool {
        self.raw().inputs.in2_polarity.active(self.si.in2_closed)
    }

    /// Effective limit of node `n` at `now` (TREE-1, EX-1, LB-8), from the brief.
    pub fn node_limit(&self, n: usize) -> [u32; 3] {
        let raw = self.raw();
        let nc = &raw.nodes[n];
        let mut l = nc.limit_ma;
        if raw.external_control && nc.external {
            match fresh(
                self.nin[n].setpoint,
                self.now,
                raw.timers.setpoint_validity_ms,
            ) {
                Some(v) => l = l.map(|x| x.min(v)),
                None => {
                    let fs = nc.fail_safe_ma.unwrap_or_else(|| self.default_fail_safe(n));
                    for ph in 0..3 {
                        l[ph] = l[ph].min(fs[ph]);
                    }
                }
            }
        }
        l
    }

    /// LB-8 default: per phase the largest start threshold among the points beneath.
    pub fn default_fail_safe(&self, n: usize) -> [u32; 3] {
        let raw = self.raw();
        let t = &raw.thresholds;
        let mut out = [0u32; 3];
        for (p, anc) in raw.points.iter().zip(&self.anc) {
            if !anc.contains(&n) {
                continue;
            }
            let thr = start_threshold(t, min_of(t, p.phases), static_ceiling(t, p));
            for (ph, o) in out.iter_mut().enumerate() {
                if config_mask(p) & (1 << ph) != 0 {
                    *o = (*o).max(thr);
                }
            }
        }
        out
    }

    /// The LB-2 ceiling of point `i` at `now` (before LB-3 and LB-10).
    pub fn ceiling(&self, i: usize) -> u32 {
        let raw = self.raw();
        let pc = &raw.points[i];
        let pi = &self.pin[i];
        let t = &raw.thresholds;
        let mut c = pc.rated_ma.min(pc.derated_ma);
        if let Some(x) = pi.cable_ma {
            c = c.min(x);
        }
        if let Some(x) = pi.ev_limit_ma {
            c = c.min(x);
        }
        if raw.inputs.in1 == Input1Function::LoadShedding && self.in1_active() {
            c = c.min(raw.inputs.load_shedding_ma);
        }
        if raw.inputs.in2 == Input2Function::TemporaryLimitation && self.in2_active() {
            c = c.min(raw.inputs.temporary_limit_ma);
        }
        if raw.external_control && pc.external {
            match fresh(pi.setpoint, self.now, raw.timers.setpoint_validity_ms) {
                Some(v) => c = c.min(v),
                None => {
                    let fs = pc.fail_safe_ma.unwrap_or_else(|| {
                        start_threshold(t, min_of(t, pc.phases), static_ceiling(t, pc))
                    });
                    c = c.min(fs);
                }
            }
        }
        c
    }

    pub fn min_for_mask(&self, mask: u8) -> u32 {
        let t = &self.raw().thresholds;
        if mask.count_ones() == 1 {
            t.min_1ph_ma
        } else {
            t.min_3ph_ma
        }
    }

    /// Measured current per supply phase (wiring), zeros without a measurement.
    pub fn supply_measured(&self, i: usize) -> Option<[u32; 3]> {
        let pc = &self.raw().points[i];
        self.pin[i].measured_ma.map(|m| {
            let mut s = [0u32; 3];
            for k in 0..3 {
                s[pc.wiring[k].index()] = m[k];
            }
            s
        })
    }

    pub fn run_step(&mut self) -> Result<(), String> {
        let now = self.now;
        let clock_fault = self.started && now < self.max_now;
        let dt = if self.started {
            now.saturating_sub(self.max_now)
        } else {
            0
        };
        self.measure();
        for (n, r) in self.node_refresh.iter().enumerate() {
            if *r && let Some(sp) = &mut self.nin[n].setpoint {
                sp.received_ms = now;
            }
        }
        for (i, r) in self.point_refresh.iter().enumerate() {
            if *r && let Some(sp) = &mut self.pin[i].setpoint {
                sp.received_ms = now;
            }
        }
        let prev = self.out.clone();

        // Determinism: the same step on a copy of the state gives the same outputs and state.
        let mut station2 = self.station;
        let mut points2 = self.points.clone();
        let mut nodes2 = self.nodes.clone();
        // The copy steps with fresh working memory, the original with last step's: the same
        // outputs and state prove that the step rewrites its work before it reads it.
        let mut work2 = vec![PointWork::new(); self.points.len()];
        let mut nwork2 = vec![NodeWork::new(); self.nodes.len()];
        let mut swork2 = loadpilot_core::StationWork::new();
        let mut so2 = self.so;
        let mut out2 = self.out.clone();
        {
            let view = self.cfg.view();
            let inputs = Inputs {
                station: self.si,
                points: &self.pin,
                nodes: &self.nin,
            };
            step(
                &view,
                State {
                    station: &mut self.station,
                    points: &mut self.points,
                    nodes: &mut self.nodes,
                    site: SiteState::none(),
                    work: Work {
                        points: &mut self.work,
                        nodes: &mut self.nwork,
                        station: &mut self.swork,
                    },
                },
                &inputs,
                now,
                Outputs {
                    station: &mut self.so,
                    points: &mut self.out,
                },
            )
            .map_err(|e| format!("step refused: {e}"))?;
            step(
                &view,
                State {
                    station: &mut station2,
                    points: &mut points2,
                    nodes: &mut nodes2,
                    site: SiteState::none(),
                    work: Work {
                        points: &mut work2,
                        nodes: &mut nwork2,
                        station: &mut swork2,
                    },
                },
                &inputs,
                now,
                Outputs {
                    station: &mut so2,
                    points: &mut out2,
                },
            )
            .map_err(|e| format!("step refused: {e}"))?;
        }
        self.steps += 1;
        self.stats.steps += 1;
        for (i, o) in self.out.iter().enumerate() {
            if self.pin[i].vehicle.connected() {
                self.stats.reasons[usize::from(o.reason as u8) % 32] += 1;
            }
            if o.allocation_ma > 0 {
                self.stats.charging += 1;
                if self.raw().points[i].phases == PhaseCount::Three && mask_of(o).count_ones() == 1
                {
                    self.stats.detected_single += 1;
                }
            }
            if o.contactor && o.signal_ma == 0 {
                self.stats.grace += 1;
            }
        }
        for w in &self.work {
            let (prep, fin) = w.from_memo();
            self.stats.memo_prep += u64::from(prep);
            self.stats.memo_fin += u64::from(fin);
        }
        self.stats.memo_station += u64::from(self.swork.repeated());
        ensure!(
            out2 == self.out && so2 == self.so,
            "determinism: outputs differ on a re-run of the same step at {now}"
        );
        ensure!(
            station2 == self.station && points2 == self.points && nodes2 == self.nodes,
            "determinism: state differs on a re-run of the same step at {now}: {:?}",
            points2
                .iter()
                .zip(self.points.iter())
                .enumerate()
                .filter(|(_, (a, b))| a != b)
                .map(|(i, (a, b))| format!("point {i}: fresh {a:?} kept {b:?}"))
                .collect::<Vec<_>>()
        );

        if !clock_fault {
            for i in 0..self.pin.len() {
                if self.pin[i].vehicle == VehicleState::A {
                    self.fault_latched[i] = false;
                }
                if self.pin[i].vehicle.is_fault() {
                    self.fault_latched[i] = true;
                }
            }
        }
        let r = self.check(&prev, dt, clock_fault);
        if !self.started {
            self.first_ms = now;
        }
        if clock_fault {
            self.last_clock_fault = Some(now);
        }
        self.started = true;
        self.max_now = self.max_now.max(now);
        for (i, o) in self.out.iter().enumerate() {
            if o.signal_ma > 0 {
                self.pwm_off_at[i] = None;
            } else if prev[i].signal_ma > 0 {
                self.pwm_off_at[i] = Some(now);
            }
            self.ready_since[i] = if self.ready(i) {
                self.ready_since[i].or(Some(now))
            } else {
                None
            };
        }
        r.map_err(|e| format!("step {} at {now} ms (dt {dt}): {e}", self.steps))
    }
}
