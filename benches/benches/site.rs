//! The benchmark site, shared by the criterion benches (`benches/step.rs`) and the callgrind
//! drivers (`examples/case.rs`, through `#[path]`): one configuration per size, a simple EV
//! model that closes the loop, and recorded windows of steps that a bench replays.
//!
//! Layout. 2 points: the standard wallbox pair, two three-phase 32 A points under one station
//! node of 48 A. 8 points and more: a limit tree of depth 3, supply → circuits (4 stations each,
//! 200 A or 240 A, alternating) → stations (64 A, SPEC §2.2 station maximum) of up to 8 points.
//! In each station, points 0 and 4 are three-phase with their wiring rotated per station, the
//! other six single-phase, two on each supply phase; every point is rated 32 A. The supply has
//! 52 A per phase per station, so the supply and every other circuit bind, and every third EV
//! reports a 16 A limit of its own (LB-2), so water-filling has uneven work to do.
//!
//! The full step runs: the pilot is given as measured CP millivolts (PS-1, PS-2), the proximity
//! pin as ohms (CAB-2), sessions run under free access (§5.1), energy is metered from the
//! measured currents (MT-1), and the supply follows a fresh external set point (EX-1). The start
//! stagger (SU-1) is 0 so that 1024 points settle in seconds, not 34 minutes.
//!
//! Cases. Each is a window of [`WINDOW`] steps (10 ms apart) from a settled snapshot:
//! - `steady`: every point charging, nothing changes.
//! - `shed`: the supply set point drops to 30 A per station (2-point: 20 A), below the sum of the
//!   minimums, so about a third of the points are shed in the first step.
//! - `plugin`: half the points (odd indices) idle, then all of them plug in at once: CP 12 V →
//!   9 V, PP open → 220 Ω; sessions start, PWM comes on, the EVs go to C and draw.
//! - `trip`: In-1 (ProtectionDevices, normally closed) opens: every point stops at once (IN-2).
//!
//! The window's inputs are recorded once from the EV model, then replayed from the snapshot, so
//! a timed run spends its time in the step alone and every replay is the same.
#![allow(dead_code)] // Each includer uses a different part.

use loadpilot_core::{
    Config, CpReading, Input1Function, Inputs, NodeConfig, NodeInputs, NodeKind, NodeState,
    NodeWork, Outputs, Phase, PhaseCount, PilotOutput, PointConfig, PointInputs, PointOutput,
    PointState, PointWork, Polarity, ProductFamily, RawConfig, SetPoint, SiteState, State,
    StationInputs, StationOutput, StationState, StationWork, StepError, Work, step,
};

/// The sizes of the issue (points behind one supply).
pub const SIZES: [usize; 5] = [2, 8, 64, 256, 1024];
/// Sample period (ms).
pub const PERIOD_MS: u64 = 10;
/// Steps in one window: 500 ms, long enough for a plug-in to reach a closed contactor (safer
/// debounce 20 ms, session start, PWM, EV to C, charge debounce 100 ms, EV draws).
pub const WINDOW: usize = 50;
/// Points per station.
pub const STATION_POINTS: usize = 8;
/// Stations per circuit.
pub const CIRCUIT_STATIONS: usize = 4;
/// What an EV draws at most (mA per phase).
pub const EV_MAX_MA: u32 = 32_000;
/// The limit every third EV reports (mA, LB-2).
pub const EV_LIMITED_MA: u32 = 16_000;

/// A benchmark case.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Case {
    /// Every point charging, nothing changes.
    Steady,
    /// The supply set point drops below the sum of the minimums.
    Shed,
    /// Half the points plug in at once.
    PlugIn,
    /// The protection devices trip.
    Trip,
    /// Every point charging, its readings jittering within their bands every sample: the pilot's
    /// levels by up to ±60 mV, each phase's measured current by up to ±40 mA (an ADC's noise).
    Noisy,
}

impl Case {
    /// Every case, in table order.
    pub const ALL: [Case; 5] = [
        Case::Steady,
        Case::Shed,
        Case::PlugIn,
        Case::Trip,
        Case::Noisy,
    ];

    /// Its name in bench ids and tables.
    pub const fn name(self) -> &'static str {
        match self {
            Case::Steady => "steady",
            Case::Shed => "shed",
            Case::PlugIn => "plugin",
            Case::Trip => "trip",
            Case::Noisy => "noisy",
        }
    }

    /// The case of a name.
    pub fn parse(s: &str) -> Option<Case> {
        Case::ALL.into_iter().find(|c| c.name() == s)
    }
}

/// A configuration whose points and nodes live in `Vec`s, so N is chosen at run time.
pub type SiteConfig = Config<Vec<PointConfig>, Vec<NodeConfig>>;

/// The supply's limit per phase (mA) for `n` points.
pub fn supply_ma(n: usize) -> u32 {
    if n <= 2 {
        48_000
    } else {
        52_000 * stations(n) as u32
    }
}

/// The supply set point (mA) after the drop of the `shed` case.
pub fn dropped_ma(n: usize) -> u32 {
    if n <= 2 {
        20_000
    } else {
        30_000 * stations(n) as u32
    }
}

fn stations(n: usize) -> usize {
    n.div_ceil(STATION_POINTS)
}

/// The raw configuration of the site of `n` points (see the module doc).
pub fn raw_config(n: usize) -> RawConfig<Vec<PointConfig>, Vec<NodeConfig>> {
    let (points, nodes) = if n <= 2 {
        (
            vec![PointConfig::three_phase(0, 32_000); n],
            vec![NodeConfig::station(None, supply_ma(n))],
        )
    } else {
        let stations = stations(n);
        let circuits = stations.div_ceil(CIRCUIT_STATIONS);
        let mut nodes = vec![NodeConfig::new(None, NodeKind::Supply, supply_ma(n))];
        for c in 0..circuits {
            let limit_ma = if c % 2 == 0 { 200_000 } else { 240_000 };
            nodes.push(NodeConfig::new(Some(0), NodeKind::Circuit, limit_ma));
        }
        for s in 0..stations {
            let circuit = 1 + s / CIRCUIT_STATIONS;
            nodes.push(NodeConfig::station(Some(circuit as u16), 64_000));
        }
        let points = (0..n)
            .map(|i| {
                let (s, k) = (i / STATION_POINTS, i % STATION_POINTS);
                let node = (1 + circuits + s) as u16;
                if k % 4 == 0 {
                    let r = s + k / 4;
                    let mut p = PointConfig::three_phase(node, 32_000);
                    p.wiring = [
                        Phase::from_index(r),
                        Phase::from_index(r + 1),
                        Phase::from_index(r + 2),
                    ];
                    p
                } else {
                    PointConfig::single_phase(node, 32_000, Phase::from_index(s + k))
                }
            })
            .collect();
        (points, nodes)
    };
    let mut raw = RawConfig::with_defaults(ProductFamily::City, points, nodes);
    raw.timers.stagger_ms = 0;
    raw.external_control = true;
    for (i, node) in raw.nodes.iter_mut().enumerate() {
        node.external = i == 0;
    }
    raw.inputs.in1 = Input1Function::ProtectionDevices;
    raw.inputs.in1_polarity = Polarity::NormallyClosed;
    raw
}

/// The same raw configuration over borrowed slices: cheap to clone, for timing `Config::new`
/// without the cost of copying the points.
pub fn borrowed(
    raw: &RawConfig<Vec<PointConfig>, Vec<NodeConfig>>,
) -> RawConfig<&[PointConfig], &[NodeConfig]> {
    RawConfig {
        family: raw.family,
        location: raw.location,
        load_balancing: raw.load_balancing,
        shed_priority: raw.shed_priority,
        external_control: raw.external_control,
        voltage_mv: raw.voltage_mv,
        inputs: raw.inputs,
        timers: raw.timers,
        thresholds: raw.thresholds,
        rotation_interval_ms: raw.rotation_interval_ms,
        protection: raw.protection,
        session: raw.session,
        points: raw.points.as_slice(),
        nodes: raw.nodes.as_slice(),
    }
}

/// The validated configuration of the site of `n` points.
pub fn config(n: usize) -> SiteConfig {
    Config::new(raw_config(n)).expect("the benchmark site is a valid configuration")
}

/// One EV on one point: plugged or not, its pilot state, what it draws.
#[derive(Clone, Copy, Debug, Default)]
struct Ev {
    plugged: bool,
    three_phase: bool,
    /// Its own limit, reported to core when below [`EV_MAX_MA`].
    max_ma: u32,
    /// The signal it saw in the previous step, which it draws from this step on (a one-sample
    /// lag, as a real EV's current controller).
    follow_ma: u32,
}

/// Everything core keeps between steps, plus the last outputs: what a snapshot restores.
#[derive(Clone, Debug)]
pub struct CoreState {
    /// Station state.
    pub station: StationState,
    /// Per point.
    pub points: Vec<PointState>,
    /// Per node.
    pub nodes: Vec<NodeState>,
    /// The step's working memory (not part of the state, kept here so a step allocates nothing;
    /// a restore leaves it as it is, which the step must not mind).
    pub work: Vec<PointWork>,
    /// The same, per node.
    pub nwork: Vec<NodeWork>,
    pub swork: StationWork,
    /// Last station output.
    pub station_out: StationOutput,
    /// Last point outputs.
    pub out: Vec<PointOutput>,
}

impl CoreState {
    fn new(cfg: &SiteConfig) -> Self {
        CoreState {
            station: StationState::new(),
            points: vec![PointState::new(); cfg.points().len()],
            nodes: vec![NodeState::new(); cfg.nodes().len()],
            work: vec![PointWork::new(); cfg.points().len()],
            nwork: vec![NodeWork::new(); cfg.nodes().len()],
            swork: StationWork::new(),
            station_out: StationOutput::default(),
            out: vec![PointOutput::default(); cfg.points().len()],
        }
    }

    /// Copies `from` into `self` without allocating: the state and the working memory (its
    /// memos are part of how the station stood before the window).
    pub fn restore(&mut self, from: &CoreState) {
        self.station = from.station;
        self.points.copy_from_slice(&from.points);
        self.nodes.copy_from_slice(&from.nodes);
        self.work.copy_from_slice(&from.work);
        self.nwork.copy_from_slice(&from.nwork);
        self.swork = from.swork;
        self.station_out = from.station_out;
        self.out.copy_from_slice(&from.out);
    }
}

/// The inputs of one step.
#[derive(Clone, Debug)]
pub struct Frame {
    /// `now_ms` of the step.
    pub now_ms: u64,
    /// Station inputs.
    pub station: StationInputs,
    /// Per point.
    pub points: Vec<PointInputs>,
    /// Per node.
    pub nodes: Vec<NodeInputs>,
}

/// Runs one step of a replayed window. Not inlined, so that callgrind can count it alone
/// (`--toggle-collect='*measured_*'`); settling and recording use [`run_step`], which it does not
/// count.
#[inline(never)]
pub fn measured_step(cfg: &SiteConfig, core: &mut CoreState, frame: &Frame) {
    run_step(cfg, core, frame);
}

/// Runs one step of `frame` on `core` through the slice API.
#[inline(always)]
pub fn run_step(cfg: &SiteConfig, core: &mut CoreState, frame: &Frame) {
    let inputs = Inputs {
        station: frame.station,
        points: &frame.points,
        nodes: &frame.nodes,
    };
    let state = State {
        station: &mut core.station,
        points: &mut core.points,
        nodes: &mut core.nodes,
        site: SiteState::none(),
        work: Work {
            points: &mut core.work,
            nodes: &mut core.nwork,
            station: &mut core.swork,
        },
    };
    let outputs = Outputs {
        station: &mut core.station_out,
        points: &mut core.out,
    };
    let r: Result<(), StepError> = step(
        &cfg.view(),
        state,
        std::hint::black_box(&inputs),
        frame.now_ms,
        outputs,
    );
    r.expect("slices have one entry per point and node");
}

/// The site with its EVs, stepping in closed loop.
struct Sim {
    n: usize,
    core: CoreState,
    evs: Vec<Ev>,
    frame: Frame,
    setpoint_ma: u32,
    /// The readings jitter (`Case::Noisy`).
    noise: bool,
}

const CP_A_MV: i32 = 12_000;
const CP_B_MV: i32 = 9_000;
const CP_C_MV: i32 = 6_000;
const CP_F_MV: i32 = -12_000;
const PP_32A_OHM: u32 = 220;
const PP_OPEN_OHM: u32 = 100_000;

impl Sim {
    fn new(cfg: &SiteConfig, plugged: impl Fn(usize) -> bool) -> Sim {
        let n = cfg.points().len();
        let evs = cfg
            .points()
            .iter()
            .enumerate()
            .map(|(i, p)| Ev {
                plugged: plugged(i),
                three_phase: p.phases == PhaseCount::Three,
                max_ma: if i % 3 == 2 { EV_LIMITED_MA } else { EV_MAX_MA },
                follow_ma: 0,
            })
            .collect();
        Sim {
            n,
            core: CoreState::new(cfg),
            evs,
            frame: Frame {
                now_ms: 0,
                station: StationInputs {
                    in1_closed: true,
                    in2_closed: false,
                },
                points: vec![PointInputs::default(); n],
                nodes: vec![NodeInputs::default(); cfg.nodes().len()],
            },
            setpoint_ma: supply_ma(n),
            noise: false,
        }
    }

    /// The inputs of the next step from the EVs and the last outputs.
    fn next_frame(&mut self) {
        let now = self.frame.now_ms.saturating_add(PERIOD_MS);
        self.frame.now_ms = now;
        for ((ev, po), pi) in self
            .evs
            .iter_mut()
            .zip(&self.core.out)
            .zip(&mut self.frame.points)
        {
            let pwm = po.pilot == PilotOutput::Pwm;
            let high_mv = match (po.pilot, ev.plugged) {
                (PilotOutput::StateF, _) => CP_F_MV,
                (_, false) => CP_A_MV,
                // The EV answers PWM with C one sample later; without PWM it waits in B.
                (PilotOutput::Pwm, true) => CP_C_MV,
                (PilotOutput::Steady12V, true) => CP_B_MV,
            };
            let draw = if po.contactor && ev.plugged {
                ev.follow_ma.min(ev.max_ma)
            } else {
                0
            };
            ev.follow_ma = if pwm { po.signal_ma } else { 0 };
            *pi = PointInputs {
                cp: Some(CpReading {
                    high_mv,
                    low_mv: if pwm { CP_F_MV } else { high_mv },
                }),
                pp_ohm: Some(if ev.plugged { PP_32A_OHM } else { PP_OPEN_OHM }),
                authorised: true,
                ev_limit_ma: (ev.plugged && ev.max_ma < EV_MAX_MA).then_some(ev.max_ma),
                measured_ma: Some(if ev.three_phase {
                    [draw; 3]
                } else {
                    [draw, 0, 0]
                }),
                ..PointInputs::default()
            };
        }
        if self.noise {
            // A fixed pseudo-random sequence (an LCG over the step and the point), so that every
            // recording is the same.
            let step = now / PERIOD_MS;
            for (i, pi) in self.frame.points.iter_mut().enumerate() {
                let mut x = step
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(i as u64)
                    .wrapping_mul(1_442_695_040_888_963_407);
                let mut next = |span: i64| {
                    x = x
                        .wrapping_mul(6_364_136_223_846_793_005)
                        .wrapping_add(1_442_695_040_888_963_407);
                    ((x >> 33) as i64 % (2 * span + 1) - span) as i32
                };
                if let Some(cp) = &mut pi.cp {
                    cp.high_mv += next(60);
                    cp.low_mv += next(60);
                }
                if let Some(m) = &mut pi.measured_ma {
                    for v in m.iter_mut() {
                        *v = v.saturating_add_signed(next(40));
                    }
                }
            }
        }
        if let Some(root) = self.frame.nodes.first_mut() {
            root.setpoint = Some(SetPoint {
                current_ma: self.setpoint_ma,
                received_ms: now,
            });
        }
    }

    fn step(&mut self, cfg: &SiteConfig) {
        self.next_frame();
        run_step(cfg, &mut self.core, &self.frame);
    }

    /// Steps until the allocations, pilots and contactors have not changed for 6 s (longer than
    /// the rise interval), at most 10 simulated minutes.
    fn settle(&mut self, cfg: &SiteConfig) {
        let key = |o: &[PointOutput]| -> Vec<(u32, u32, bool, u8)> {
            o.iter()
                .map(|p| (p.allocation_ma, p.signal_ma, p.contactor, p.pilot as u8))
                .collect()
        };
        let mut last = key(&self.core.out);
        let mut quiet = 0u64;
        for _ in 0..60_000 {
            self.step(cfg);
            let now = key(&self.core.out);
            if now == last {
                quiet += PERIOD_MS;
                if quiet >= 6_000 {
                    return;
                }
            } else {
                quiet = 0;
                last = now;
            }
        }
        panic!("the {}-point site did not settle in 10 minutes", self.n);
    }
}

/// A prepared case: the configuration, the settled snapshot and the recorded window.
pub struct Prepared {
    /// The case.
    pub case: Case,
    /// Its configuration.
    pub cfg: SiteConfig,
    /// Core's state just before the window.
    pub snapshot: CoreState,
    /// The inputs of each step of the window.
    pub window: Vec<Frame>,
    /// Simulated steps it took to settle.
    pub settle_steps: u64,
}

impl Prepared {
    /// Builds the site of `n` points, settles it, applies the case's event and records the
    /// window of [`WINDOW`] steps.
    pub fn new(case: Case, n: usize) -> Prepared {
        let cfg = config(n);
        let mut sim = match case {
            Case::PlugIn => Sim::new(&cfg, |i| i % 2 == 0),
            _ => Sim::new(&cfg, |_| true),
        };
        sim.settle(&cfg);
        let settle_steps = sim.frame.now_ms / PERIOD_MS;
        let snapshot = sim.core.clone();
        match case {
            Case::Steady => {}
            Case::Shed => sim.setpoint_ma = dropped_ma(n),
            Case::PlugIn => sim.evs.iter_mut().for_each(|ev| ev.plugged = true),
            Case::Trip => sim.frame.station.in1_closed = false,
            Case::Noisy => sim.noise = true,
        }
        let mut window = Vec::with_capacity(WINDOW);
        for _ in 0..WINDOW {
            sim.step(&cfg);
            window.push(sim.frame.clone());
        }
        let p = Prepared {
            case,
            cfg,
            snapshot,
            window,
            settle_steps,
        };
        p.check();
        p
    }

    /// Panics unless the window does what the case says, so that no bench times a case that
    /// quietly stopped happening (a change in core could make a drop shed nothing).
    fn check(&self) {
        let n = self.cfg.points().len();
        let (before, after) = self.charging_before_after();
        let ok = match self.case {
            Case::Steady => before == n && after == n,
            Case::Shed => before == n && after > 0 && after < n,
            Case::PlugIn => before == n.div_ceil(2) && after == n,
            Case::Trip => before == n && after == 0,
            Case::Noisy => before == n && after == n,
        };
        assert!(
            ok,
            "case {} at {n} points: {before} charging before the window, {after} after",
            self.case.name()
        );
    }

    /// A working copy of the snapshot, to replay the window on.
    pub fn work(&self) -> CoreState {
        self.snapshot.clone()
    }

    /// Restores `work` to the snapshot and replays the whole window.
    pub fn replay(&self, work: &mut CoreState) {
        work.restore(&self.snapshot);
        for frame in &self.window {
            measured_step(&self.cfg, work, frame);
        }
    }

    /// What the case did, for a sanity check: points charging (contactor closed) at the start
    /// and at the end of the window. Replays through [`run_step`], which callgrind does not count.
    pub fn charging_before_after(&self) -> (usize, usize) {
        let (before, after, _) = self.replayed();
        (before, after)
    }

    /// `charging_before_after`, and the steps of the window that repeated the last step's
    /// passes (the station's memo).
    pub fn replayed(&self) -> (usize, usize, usize) {
        let mut work = self.work();
        let before = work.out.iter().filter(|o| o.contactor).count();
        let mut repeated = 0;
        for frame in &self.window {
            run_step(&self.cfg, &mut work, frame);
            repeated += usize::from(work.swork.repeated());
        }
        let after = work.out.iter().filter(|o| o.contactor).count();
        (before, after, repeated)
    }
}
