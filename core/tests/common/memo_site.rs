//! The station under test of `step_memo.rs`, `step_memo_station.rs` and `step_memo_trip.rs`: the
//! configurations they start from (the standard two-point station, with input 1 wired to the
//! protection devices (IN-2), or under an external set point), a simple EV per point, and
//! `step_checked`, which steps the station with its own working memory and checks the step
//! against the same step from the same state with fresh working memory (no memo).

use super::Slices;
use loadpilot_core::{
    AllocReason, Config, CpReading, NodeConfig, NodeInputs, NodeWork, PilotOutput, PointConfig,
    PointInputs, PointOutput, PointWork, ProductFamily, RawConfig, SetPoint, StationInputs,
    two_point_station,
};

pub type Cfg = Config<Vec<PointConfig>, Vec<NodeConfig>>;

/// The standard two-point station (`two_point_station`) over `Vec`s, to adjust before
/// validation.
pub fn two_points_raw(limit_ma: u32) -> RawConfig<Vec<PointConfig>, Vec<NodeConfig>> {
    let raw = two_point_station(limit_ma);
    RawConfig {
        points: raw.points.to_vec(),
        nodes: raw.nodes.to_vec(),
        ..RawConfig::with_defaults(ProductFamily::City, Vec::new(), Vec::new())
    }
}

/// `two_points_raw` with input 1 wired to the protection devices (IN-2).
pub fn protection_raw(limit_ma: u32) -> RawConfig<Vec<PointConfig>, Vec<NodeConfig>> {
    let mut raw = two_points_raw(limit_ma);
    raw.inputs.in1 = loadpilot_core::Input1Function::ProtectionDevices;
    raw
}

/// `two_points_raw` whose station node follows an external set point (`Site::set_point`), one
/// that stays valid for 10 minutes when `long` (so that a test sets it once).
pub fn set_point_raw(long: bool) -> RawConfig<Vec<PointConfig>, Vec<NodeConfig>> {
    let mut raw = two_points_raw(63_000);
    raw.external_control = true;
    raw.nodes[0].external = true;
    if long {
        raw.timers.setpoint_validity_ms = 600_000;
    }
    raw
}

pub const CP_A_MV: i32 = 12_000;
pub const CP_B_MV: i32 = 9_000;
pub const CP_C_MV: i32 = 6_000;
pub const CP_F_MV: i32 = -12_000;
pub const PP_32A_OHM: u32 = 220;
pub const PP_OPEN_OHM: u32 = 100_000;

/// What the memo did over a run: point-steps whose preparation, and whose outputs, came from it.
#[derive(Clone, Copy, Debug, Default)]
pub struct Used {
    pub prep: usize,
    pub fin: usize,
    /// Steps that repeated the last step's passes (the station's memo, `StationWork`).
    pub repeated: usize,
}

/// Steps `m` (its inputs set) with its own working memory and checks the step against the same
/// step from the same state with fresh working memory.
pub fn step_checked(cfg: &Cfg, m: &mut Slices, now: u64, used: &mut Used) {
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
pub struct Ev {
    pub plugged: bool,
    pub max_ma: u32,
    pub draw_ma: Option<u32>,
    pub cp_mv: Option<i32>,
}

impl Ev {
    pub fn new() -> Ev {
        Ev {
            plugged: true,
            max_ma: 32_000,
            draw_ma: None,
            cp_mv: None,
        }
    }
}

/// A station under test: configuration, memory, EVs and the inputs they make.
pub struct Site {
    pub cfg: Cfg,
    pub m: Slices,
    pub evs: Vec<Ev>,
    pub si: StationInputs,
    pub nin: Vec<NodeInputs>,
    pub now: u64,
    pub period: u64,
    pub used: Used,
}

impl Site {
    pub fn new(cfg: Cfg) -> Site {
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

    pub fn two_points(limit_ma: u32) -> Site {
        Site::new(Config::new(two_points_raw(limit_ma)).expect("valid"))
    }

    /// The two points under an external set point (`set_point_raw`).
    pub fn under_set_point(long: bool) -> Site {
        Site::new(Config::new(set_point_raw(long)).expect("valid"))
    }

    /// A fresh set point of `ma` on node 0, received now.
    pub fn set_point(&mut self, ma: u32) {
        self.nin[0].setpoint = Some(SetPoint {
            current_ma: ma,
            received_ms: self.now,
        });
    }

    /// The inputs of the next step, from the EVs and the last outputs.
    pub fn inputs(&self) -> Vec<PointInputs> {
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
    pub fn until(&mut self, t: u64) -> &mut Site {
        while self.now <= t {
            self.step_with(|_| {});
        }
        self
    }

    /// One checked step now with the EVs' inputs changed by `f`, then the clock on a period.
    pub fn step_with(&mut self, f: impl FnOnce(&mut [PointInputs])) {
        self.step_at_with(self.now, f);
        self.now += self.period;
    }

    /// One checked step at `now` (the clock stays).
    pub fn step_at(&mut self, now: u64) {
        self.step_at_with(now, |_| {});
    }

    pub fn step_at_with(&mut self, now: u64, f: impl FnOnce(&mut [PointInputs])) {
        let mut pin = self.inputs();
        f(&mut pin);
        self.m.inputs = pin;
        self.m.node_inputs.clone_from(&self.nin);
        self.m.station_inputs = self.si;
        step_checked(&self.cfg, &mut self.m, now, &mut self.used);
    }

    /// Checked steps while `waiting` holds (at most `within_ms`, else the wait fails): how many
    /// of them began with point `i` held for `reason`, and how many repeated the last step.
    pub fn wait_while(
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

    pub fn out(&self, i: usize) -> PointOutput {
        self.m.outputs[i]
    }
}
