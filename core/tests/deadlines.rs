//! The contract of `StationOutput::next_deadline_ms` (SPEC PS-1, step.rs module doc): "call the
//! step again no later than this, or sooner when an input changes". A caller that does exactly
//! that, and no more (an event-driven service), must see what a caller that steps every
//! millisecond sees.
//!
//! Each case runs one random station twice over the slice API, from the same script of input
//! changes: an eager caller steps every millisecond; a lazy caller steps at the first step, at
//! every input change and at every deadline the step gave, and holds its outputs in between. The
//! property: at each of the lazy caller's steps its outputs are the eager caller's (energy
//! included), and between two of them the eager caller's outputs never differ from the lazy
//! caller's held ones (but for the energy meter, which counts on). So no timer of core runs out
//! unseen: not the pilot's debounces, State F's settling window, a session's timers, the rise
//! interval, the minimum pause and run, the grace, the wake-up, the weld check, set points.
//!
//! The world each caller drives: per point a scripted vehicle (pilot levels with or without the
//! EV's diode, cable, EV limit, temperature, authorisation, VIP, badges checked at the station or
//! remotely, remote commands and decisions, resets), the station's input 1 and the supply's
//! external set point; a rotation, where configured, gets runs of 150 s; an
//! EV that draws what it is signalled (at most its maximum, sometimes more) on one or three
//! phases while the contactor is closed, optional contactor, lock and shutter feedback that
//! follow the commands, and a contactor that may weld. The physical answers follow the outputs a
//! lag later, so they are inputs that change at known times; both callers get them from their
//! own outputs.

mod common;

use common::Slices;
use loadpilot_core::{
    AuthLocation, AuthStrategy, Badge, BadgeKind, Config, CpReading, Input1Function, NodeConfig,
    NodeInputs, NodeKind, Phase, PilotOutput, PointConfig, PointInputs, PointOutput, ProductFamily,
    RawConfig, Remote, SetPoint, Timers, VehicleState,
};
use proptest::prelude::*;
use proptest::test_runner::{Config as RunnerConfig, FileFailurePersistence, TestRunner};

type Raw = RawConfig<Vec<PointConfig>, Vec<NodeConfig>>;

/// One change of the script, at a time of its own.
#[derive(Clone, Copy, Debug)]
enum Act {
    Vehicle(usize, VehicleState),
    /// The EV pauses in B for this many ms, then asks again (C): a stop within the session and
    /// its minimum pause (PS-4, LB-6). Generated only: the script has the two changes.
    Pause(usize, u64),
    /// The EV's diode: `false` reads 0 V as the low level (PS-2).
    Diode(usize, bool),
    Pp(usize, Option<u32>),
    EvMax(usize, u32),
    /// Drawn above the signal (LB-9, PS-4).
    Extra(usize, u32),
    Temperature(usize, Option<i16>),
    Authorised(usize, bool),
    Vip(usize, bool),
    /// The contactor welds: current and feedback stay when it is commanded open (CT-1).
    Weld(usize, bool),
    /// Given in the step at the change's time only (as are badges).
    Remote(usize, Remote),
    Badge(usize, BadgeKind),
    Reset(usize),
    In1(bool),
    /// The supply's external set point, received now (EX-1); `None`: no longer sent.
    Supply(Option<u32>),
}

#[derive(Clone, Copy, Debug)]
struct PointSpec {
    three: bool,
    rated_ma: u32,
    wiring: usize,
    /// The EV draws on one phase only.
    single_ev: bool,
    meas: bool,
    feedback: bool,
    lock_sensor: bool,
    shutter_sensor: bool,
    /// ms from a change of the outputs to the world's answer.
    lag: u64,
}

#[derive(Clone, Debug)]
struct Case {
    family: u8,
    /// Where badges are checked (`AuthLocation`, 0..4).
    auth: u8,
    in1: u8,
    external: bool,
    session_lock: bool,
    session_shutter: bool,
    rotation: Option<u32>,
    supply_ma: u32,
    station_ma: u32,
    timers: Timers,
    session_ms: [u32; 5],
    points: Vec<PointSpec>,
    start_ms: u64,
    duration_ms: u64,
    script: Vec<(u64, Act)>,
}

fn timers() -> impl Strategy<Value = Timers> {
    (
        (
            prop::sample::select(vec![10u32, 20]),
            1u32..=20,
            1u32..=40,
            1u32..=500,
        ),
        (1_000u32..=5_000, 1_000u32..=6_000, 1_000u32..=5_000),
        (
            0u32..=8_000,
            0u32..=8_000,
            1_000u32..=15_000,
            1_000u32..=15_000,
        ),
        (
            1_000u32..=10_000,
            0u32..=8_000,
            1_000u32..=10_000,
            1_000u32..=3_000,
        ),
        (100u32..=1_000, 0u32..=2_000, 100u32..=1_000),
    )
        .prop_map(|(a, b, c, d, e)| Timers {
            sample_period_ms: a.0,
            contactor_release_ms: a.1,
            debounce_safer_ms: a.2,
            debounce_charge_ms: a.3,
            ev_response_ms: b.0,
            grace_ms: b.1,
            rise_interval_ms: b.2,
            min_pause_ms: c.0,
            min_run_ms: c.1,
            idle_ms: c.2,
            phase_detection_ms: c.3,
            setpoint_validity_ms: d.0,
            auth_timeout_ms: d.1,
            wakeup_after_ms: d.2,
            wakeup_f_ms: d.3,
            wakeup_settle_ms: e.0,
            stagger_ms: e.1,
            max_gap_ms: e.2,
            ..Timers::default()
        })
}

fn point_spec() -> impl Strategy<Value = PointSpec> {
    (
        (
            any::<bool>(),
            prop::sample::select(vec![16_000u32, 32_000]),
            0usize..3,
        ),
        (any::<bool>(), prop::bool::weighted(0.8), any::<bool>()),
        (any::<bool>(), any::<bool>(), 1u64..=300),
    )
        .prop_map(|(a, b, c)| PointSpec {
            three: a.0,
            rated_ma: a.1,
            wiring: a.2,
            single_ev: b.0,
            meas: b.1,
            feedback: b.2,
            lock_sensor: c.0,
            shutter_sensor: c.1,
            lag: c.2,
        })
}

fn act(points: usize) -> impl Strategy<Value = Act> {
    let p = 0..points;
    let vehicle = prop::sample::select(vec![
        VehicleState::A,
        VehicleState::B,
        VehicleState::C,
        VehicleState::C,
        VehicleState::C,
        VehicleState::D,
        VehicleState::E,
        VehicleState::F,
        VehicleState::Unknown,
    ]);
    let remote = prop::sample::select(vec![
        Remote::Start,
        Remote::Stop,
        Remote::Accept,
        Remote::Reject,
    ]);
    prop_oneof![
        8 => (p.clone(), vehicle).prop_map(|(k, v)| Act::Vehicle(k, v)),
        3 => (p.clone(), 100u64..=6_000).prop_map(|(k, ms)| Act::Pause(k, ms)),
        1 => (p.clone(), prop::bool::weighted(0.7)).prop_map(|(k, d)| Act::Diode(k, d)),
        1 => (p.clone(), prop::sample::select(vec![None, Some(220u32), Some(680), Some(100_000)]))
            .prop_map(|(k, r)| Act::Pp(k, r)),
        2 => (p.clone(), 0u32..=40_000).prop_map(|(k, m)| Act::EvMax(k, m)),
        1 => (p.clone(), prop::sample::select(vec![0u32, 0, 3_000, 12_000]))
            .prop_map(|(k, e)| Act::Extra(k, e)),
        1 => (p.clone(), prop::option::of(-100i16..=900)).prop_map(|(k, t)| Act::Temperature(k, t)),
        2 => (p.clone(), prop::bool::weighted(0.8)).prop_map(|(k, a)| Act::Authorised(k, a)),
        1 => (p.clone(), any::<bool>()).prop_map(|(k, v)| Act::Vip(k, v)),
        1 => (p.clone(), prop::bool::weighted(0.2)).prop_map(|(k, w)| Act::Weld(k, w)),
        1 => (p.clone(), remote).prop_map(|(k, r)| Act::Remote(k, r)),
        1 => (p.clone(), prop::sample::select(vec![
            BadgeKind::User,
            BadgeKind::Vip,
            BadgeKind::Admin,
            BadgeKind::Unknown,
        ]))
        .prop_map(|(k, b)| Act::Badge(k, b)),
        1 => p.prop_map(Act::Reset),
        1 => any::<bool>().prop_map(Act::In1),
        2 => prop::option::of(0u32..=100_000).prop_map(Act::Supply),
    ]
}

fn case() -> impl Strategy<Value = Case> {
    (1usize..=4)
        .prop_flat_map(|n| {
            (
                (
                    0u8..3,
                    0u8..3,
                    any::<bool>(),
                    any::<bool>(),
                    any::<bool>(),
                    // Free access in half the cases: the others need a badge to charge.
                    prop::sample::select(vec![0u8, 0, 0, 1, 2, 3]),
                ),
                (
                    prop::option::of(60_000u32..=90_000),
                    10_000u32..=120_000,
                    10_000u32..=64_000,
                ),
                timers(),
                [
                    500u32..=5_000,
                    500..=5_000,
                    1_000..=8_000,
                    1_000..=8_000,
                    1_000..=8_000,
                ],
                prop::collection::vec(point_spec(), n),
                (0u64..=5_000_000, 20_000u64..=45_000),
                prop::collection::vec((0u64..150_000, act(n)), 4..40),
            )
        })
        .prop_map(|(f, l, timers, session_ms, points, time, mut script)| {
            // With a rotation (1 min at least), long enough for a turn or two.
            let duration_ms = if l.0.is_some() { 150_000 } else { time.1 };
            script = script
                .into_iter()
                .flat_map(|(t, a)| match a {
                    Act::Pause(k, ms) => vec![
                        (t, Act::Vehicle(k, VehicleState::B)),
                        (t + ms, Act::Vehicle(k, VehicleState::C)),
                    ],
                    _ => vec![(t, a)],
                })
                .collect();
            script.retain(|(t, _)| *t < duration_ms);
            script.sort_by_key(|(t, _)| *t);
            Case {
                family: f.0,
                auth: f.5,
                in1: f.1,
                external: f.2,
                session_lock: f.3,
                session_shutter: f.4,
                rotation: l.0,
                supply_ma: l.1,
                station_ma: l.2,
                timers,
                session_ms,
                points,
                start_ms: time.0,
                duration_ms,
                script,
            }
        })
}

fn raw(c: &Case) -> Raw {
    let points = c
        .points
        .iter()
        .map(|s| {
            let phase = [Phase::L1, Phase::L2, Phase::L3][s.wiring];
            let mut pc = if s.three {
                PointConfig::three_phase(1, s.rated_ma)
            } else {
                PointConfig::single_phase(1, s.rated_ma, phase)
            };
            if s.three {
                pc.wiring.rotate_left(s.wiring);
            }
            pc
        })
        .collect();
    let nodes = vec![
        NodeConfig::new(None, NodeKind::Supply, c.supply_ma),
        NodeConfig::station(Some(0), c.station_ma),
    ];
    let family = [
        ProductFamily::City,
        ProductFamily::Parking,
        ProductFamily::Wallbox,
    ][usize::from(c.family)];
    let mut raw = RawConfig::with_defaults(family, points, nodes);
    raw.timers = c.timers;
    raw.external_control = c.external;
    raw.rotation_interval_ms = c.rotation;
    // (A wallbox's input 1 delays the start; City and Parking have the other two.)
    raw.inputs.in1 = match (family, c.in1) {
        (_, 0) => Input1Function::NotUsed,
        (ProductFamily::Wallbox, _) => Input1Function::DelayedStart,
        (_, 1) => Input1Function::ProtectionDevices,
        _ => Input1Function::LoadShedding,
    };
    raw.inputs.load_shedding_ma = 10_000;
    raw.session.auth_location = [
        AuthLocation::Disabled,
        AuthLocation::ChargingStation,
        AuthLocation::Remote,
        AuthLocation::Supervision,
    ][usize::from(c.auth)];
    raw.session.auth_strategy = AuthStrategy::RejectUnknown;
    raw.session.lock = c.session_lock;
    raw.session.shutter = c.session_shutter;
    let [shutter, lock, plug, ev, unplug] = c.session_ms;
    raw.session.shutter_ms = shutter;
    raw.session.lock_ms = lock;
    raw.session.plug_wait_ms = plug;
    raw.session.ev_wait_ms = ev;
    raw.session.unplug_wait_ms = unplug;
    raw
}

/// What the world answers to a point's outputs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Answer {
    /// The pilot shows PWM: the low level (PS-2) is there to read.
    pwm: bool,
    draw_ma: u32,
    feedback: Option<bool>,
    lock: Option<bool>,
    shutter: Option<bool>,
}

#[derive(Clone, Debug)]
struct PointWorld {
    spec: PointSpec,
    vehicle: VehicleState,
    diode: bool,
    pp: Option<u32>,
    ev_max: u32,
    extra: u32,
    temperature: Option<i16>,
    authorised: bool,
    vip: bool,
    welded: bool,
    now: Answer,
    next: Option<(u64, Answer)>,
}

/// One caller's world: the script, and the answers to this caller's outputs.
#[derive(Clone, Debug)]
struct World {
    points: Vec<PointWorld>,
    in1: bool,
    supply: Option<SetPoint>,
    /// The next script entry not yet applied.
    at: usize,
}

impl World {
    fn new(c: &Case) -> World {
        let points = c
            .points
            .iter()
            .map(|s| PointWorld {
                spec: *s,
                vehicle: VehicleState::A,
                diode: true,
                pp: None,
                ev_max: 32_000,
                extra: 0,
                temperature: None,
                authorised: true,
                vip: false,
                welded: false,
                now: Answer {
                    pwm: false,
                    draw_ma: 0,
                    feedback: s.feedback.then_some(false),
                    lock: s.lock_sensor.then_some(false),
                    shutter: s.shutter_sensor.then_some(false),
                },
                next: None,
            })
            .collect();
        World {
            points,
            in1: false,
            supply: None,
            at: 0,
        }
    }

    /// The inputs at `now` (after the changes up to it) into `m`.
    fn inputs(&mut self, c: &Case, now: u64, m: &mut Slices) {
        let mut once: Vec<Act> = Vec::new();
        while let Some(&(t, a)) = c.script.get(self.at) {
            if c.start_ms + t > now {
                break;
            }
            self.at += 1;
            match a {
                Act::Vehicle(k, v) => self.points[k].vehicle = v,
                Act::Pause(..) => unreachable!("expanded when the script is made"),
                Act::Diode(k, d) => self.points[k].diode = d,
                Act::Pp(k, r) => self.points[k].pp = r,
                Act::EvMax(k, ma) => self.points[k].ev_max = ma,
                Act::Extra(k, ma) => self.points[k].extra = ma,
                Act::Temperature(k, t) => self.points[k].temperature = t,
                Act::Authorised(k, a) => self.points[k].authorised = a,
                Act::Vip(k, v) => self.points[k].vip = v,
                Act::Weld(k, w) => self.points[k].welded = w,
                Act::In1(closed) => self.in1 = closed,
                Act::Supply(ma) => {
                    self.supply = ma.map(|current_ma| SetPoint {
                        current_ma,
                        received_ms: now,
                    })
                }
                Act::Remote(..) | Act::Reset(_) | Act::Badge(..) => {
                    // Given in the step at the change's time only (a later step of the lazy
                    // caller is at a later time).
                    if c.start_ms + t == now {
                        once.push(a);
                    }
                }
            }
        }
        for (pw, pi) in self.points.iter_mut().zip(m.inputs.iter_mut()) {
            if let Some((t, a)) = pw.next
                && t <= now
            {
                pw.now = a;
                pw.next = None;
            }
            let high_mv = match pw.vehicle {
                VehicleState::A => 12_000,
                VehicleState::B => 9_000,
                VehicleState::C => 6_000,
                VehicleState::D => 3_000,
                VehicleState::E => 0,
                VehicleState::F => -12_000,
                VehicleState::Unknown => 14_500,
            };
            // An EV that leaves C (or D) stops drawing at once; one that unplugs cannot draw.
            let d = if matches!(pw.vehicle, VehicleState::C | VehicleState::D) {
                pw.now.draw_ma
            } else {
                0
            };
            *pi = PointInputs {
                cp: Some(CpReading {
                    high_mv,
                    // Without PWM there is no low level: a reading of none is as good as any.
                    low_mv: if pw.now.pwm && !pw.diode { 0 } else { -12_000 },
                }),
                pp_ohm: pw.pp,
                contactor_feedback: pw.now.feedback,
                temperature_dc: pw.temperature,
                lock_closed: pw.now.lock,
                shutter_open: pw.now.shutter,
                authorised: pw.authorised,
                vip: pw.vip,
                measured_ma: pw.spec.meas.then_some(if pw.spec.single_ev {
                    [d, 0, 0]
                } else {
                    [d; 3]
                }),
                ev_limit_ma: Some(pw.ev_max),
                ..PointInputs::default()
            };
        }
        for a in once {
            match a {
                Act::Remote(k, r) => m.inputs[k].remote = r,
                Act::Reset(k) => m.inputs[k].reset = true,
                Act::Badge(k, kind) => {
                    m.inputs[k].badge = Some(Badge {
                        id: 1 + k as u32,
                        kind,
                        booker: false,
                        cached: false,
                    })
                }
                _ => {}
            }
        }
        m.station_inputs.in1_closed = self.in1;
        m.node_inputs[0] = NodeInputs {
            setpoint: self.supply,
            site: None,
        };
    }

    /// The world's answers to the outputs of the step at `now`, due a lag later.
    fn answer(&mut self, outputs: &[PointOutput], now: u64) {
        for (pw, o) in self.points.iter_mut().zip(outputs) {
            let charging = matches!(pw.vehicle, VehicleState::C | VehicleState::D);
            let flows = o.contactor || (pw.welded && pw.now.draw_ma > 0);
            let draw_ma = if !flows {
                0
            } else if o.contactor && charging {
                o.signal_ma.min(pw.ev_max).saturating_add(pw.extra)
            } else {
                pw.now.draw_ma
            };
            let want = Answer {
                pwm: o.pilot == PilotOutput::Pwm,
                draw_ma,
                feedback: pw
                    .spec
                    .feedback
                    .then_some(o.contactor || (pw.welded && pw.now.feedback == Some(true))),
                lock: pw.spec.lock_sensor.then_some(o.lock),
                shutter: pw.spec.shutter_sensor.then_some(o.shutter_open),
            };
            let heading = pw.next.map_or(pw.now, |(_, a)| a);
            if want == pw.now {
                pw.next = None;
            } else if want != heading {
                pw.next = Some((now + pw.spec.lag, want));
            }
        }
    }

    /// The first time after `now` at which an input changes.
    fn next_change(&self, c: &Case, now: u64) -> u64 {
        let script = c
            .script
            .get(self.at)
            .map_or(u64::MAX, |(t, _)| c.start_ms + t);
        self.points
            .iter()
            .filter_map(|pw| pw.next.map(|(t, _)| t))
            .fold(script, u64::min)
            .max(now + 1)
    }
}

/// One caller: its memory and its world.
struct Caller {
    m: Slices,
    world: World,
}

impl Caller {
    fn new(c: &Case) -> Caller {
        Caller {
            m: Slices::new(c.points.len(), 2),
            world: World::new(c),
        }
    }

    fn step(&mut self, c: &Case, cfg: &Config<Vec<PointConfig>, Vec<NodeConfig>>, now: u64) {
        self.world.inputs(c, now, &mut self.m);
        self.m
            .step(&cfg.view(), now)
            .expect("slices have one entry per point and node");
        self.world.answer(&self.m.outputs, now);
    }
}

/// mV·mA·ms in one mWh.
const MWH: u128 = 3_600_000_000;

/// The outputs but for the energy meter.
fn held(o: &PointOutput) -> PointOutput {
    PointOutput {
        energy_mwh: 0,
        ..*o
    }
}

/// What the two callers went through, so that a run is known not to be idle.
#[derive(Debug, Default)]
struct Seen {
    lazy_steps: u64,
    eager_steps: u64,
    charging: u64,
    /// The session statuses, last errors and reasons the outputs showed (as debug strings).
    shown: std::collections::BTreeSet<String>,
    /// The same, by kind and discriminant, to note each once cheaply.
    noted: Noted,
}

/// Which statuses, last errors and reasons were noted (`Seen::note`).
struct Noted([[bool; 256]; 3]);

impl Default for Noted {
    fn default() -> Self {
        Noted([[false; 256]; 3])
    }
}

impl std::fmt::Debug for Noted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("..")
    }
}

impl Seen {
    fn note(&mut self, o: &PointOutput) {
        let keys = [o.status as u8, o.last_error as u8, o.reason as u8];
        for (kind, key) in keys.into_iter().enumerate() {
            if !self.noted.0[kind][usize::from(key)] {
                self.noted.0[kind][usize::from(key)] = true;
                self.shown.insert(match kind {
                    0 => format!("{:?}", o.status),
                    1 => format!("{:?}", o.last_error),
                    _ => format!("{:?}", o.reason),
                });
            }
        }
    }
}

fn run(c: &Case, seen: &mut Seen) -> Result<(), TestCaseError> {
    let cfg = match Config::new(raw(c)) {
        Ok(cfg) => cfg,
        Err(e) => return Err(TestCaseError::fail(format!("invalid configuration: {e}"))),
    };
    let (mut eager, mut lazy) = (Caller::new(c), Caller::new(c));
    let end = c.start_ms + c.duration_ms;
    let mut next_lazy = c.start_ms;
    let mut last_lazy = c.start_ms;
    // Per point: the lazy caller's last measured current (sum of phases, mA), and how far the
    // two energy registers may be apart (mV·mA·ms).
    let voltage = u128::from(cfg.raw().voltage_mv);
    let mut drawn = vec![0u128; c.points.len()];
    let mut allowance = vec![0u128; c.points.len()];
    for now in c.start_ms..=end {
        eager.step(c, &cfg, now);
        seen.eager_steps += 1;
        if now == next_lazy {
            lazy.step(c, &cfg, now);
            seen.lazy_steps += 1;
            for (k, (l, e)) in lazy.m.outputs.iter().zip(&eager.m.outputs).enumerate() {
                prop_assert_eq!(
                    held(l),
                    held(e),
                    "point {} at {} ms: a step at the deadline or at an input change (the last \
                     at {} ms) against one every ms",
                    k,
                    now,
                    last_lazy
                );
                // MT-1 counts a step's measured current over the gap since the last step: where
                // the current changed, the two callers count the change over their own gaps.
                let sum = |m: &Slices| {
                    m.inputs[k]
                        .measured_ma
                        .map_or(0, |a| a.iter().map(|&x| u128::from(x)).sum::<u128>())
                };
                let (now_ma, before_ma) = (sum(&lazy.m), drawn[k]);
                allowance[k] +=
                    now_ma.abs_diff(before_ma) * voltage * u128::from(now - last_lazy + 1);
                drawn[k] = now_ma;
                let diff = u128::from(l.energy_mwh.abs_diff(e.energy_mwh));
                prop_assert!(
                    diff <= allowance[k] / MWH + 1,
                    "point {} at {} ms: energy {} mWh against {} mWh, beyond the changes' {} mWh",
                    k,
                    now,
                    l.energy_mwh,
                    e.energy_mwh,
                    allowance[k] / MWH
                );
            }
            prop_assert_eq!(lazy.m.station_out.errors, eager.m.station_out.errors);
            let deadline = lazy.m.station_out.next_deadline_ms;
            prop_assert!(deadline > now, "deadline {} not after {}", deadline, now);
            next_lazy = deadline.min(lazy.world.next_change(c, now));
            last_lazy = now;
        } else {
            for (k, (e, l)) in eager.m.outputs.iter().zip(&lazy.m.outputs).enumerate() {
                prop_assert_eq!(
                    held(e),
                    held(l),
                    "point {} at {} ms: the outputs changed since the step at {} ms, whose \
                     deadline was {} ms, with no input changed",
                    k,
                    now,
                    last_lazy,
                    lazy.m.station_out.next_deadline_ms
                );
            }
            // Station errors but the step-gap ones, which only the lazy caller's steps raise
            // (none is expected: its gaps stay within `max_gap_ms`).
            prop_assert_eq!(
                eager.m.station_out.errors,
                lazy.m.station_out.errors,
                "station errors at {} ms (held since {} ms)",
                now,
                last_lazy
            );
        }
        seen.charging += eager.m.outputs.iter().filter(|o| o.contactor).count() as u64;
        for o in &eager.m.outputs {
            seen.note(o);
        }
    }
    Ok(())
}

/// PS-1 (the deadline's contract), with the timers of LB-6, LB-9, LB-10, LB-12, LB-13, PS-4, PS-5,
/// PS-7, SU-1, SU-2, CT-1, EX-1 and the sessions' (AU-2, CAB-1) that it covers.
#[test]
fn ps1_a_caller_stepping_at_the_deadlines_sees_what_one_stepping_every_ms_sees() {
    let cases = common::proptest_cases(128);
    let mut runner = TestRunner::new(RunnerConfig {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
            "proptest-regressions/deadlines.txt",
        ))),
        max_shrink_iters: 2_000,
        ..RunnerConfig::default()
    });
    let total = std::cell::RefCell::new(Seen::default());
    runner
        .run(&case(), |c| {
            let mut seen = Seen::default();
            let r = run(&c, &mut seen);
            let mut t = total.borrow_mut();
            t.lazy_steps += seen.lazy_steps;
            t.eager_steps += seen.eager_steps;
            t.charging += seen.charging;
            t.shown.extend(seen.shown);
            r
        })
        .unwrap();
    let total = total.into_inner();
    // Not vacuous: the lazy caller stepped far less often, and EVs charged.
    assert!(
        total.lazy_steps * 5 < total.eager_steps,
        "lazy {} of {} steps",
        total.lazy_steps,
        total.eager_steps
    );
    assert!(total.charging > 10_000, "{total:?}");
    for shown in [
        "ChargeAuthorisationStarted",
        "PlugProcedureStarted",
        "ChargeLoopStarted",
        "UnplugProcedureStarted",
        "Fault",
    ] {
        assert!(
            total.shown.contains(shown),
            "{shown} never shown: {total:?}"
        );
    }
    eprintln!("{total:?}");
}

/// What one step of `one_point` showed.
struct Shown {
    now: u64,
    deadline: u64,
    out: PointOutput,
    /// The point's preparation and outputs came from its memo.
    from_memo: bool,
    /// The station's errors.
    errors: loadpilot_core::StationErrors,
}

/// One point on a station of `limit_ma` (City defaults, no stagger, `adjust` applied), stepped
/// every 10 ms from 0 to `to` ms with `set` writing its inputs before each step; returns what the
/// steps from `check_from` on showed.
fn one_point(
    limit_ma: u32,
    to: u64,
    check_from: u64,
    adjust: impl FnOnce(&mut Raw),
    mut set: impl FnMut(u64, &mut Slices),
) -> Vec<Shown> {
    let mut raw = RawConfig::with_defaults(
        ProductFamily::City,
        vec![PointConfig::three_phase(0, 32_000)],
        vec![NodeConfig::station(None, limit_ma)],
    );
    raw.timers.stagger_ms = 0;
    adjust(&mut raw);
    let cfg = Config::new(raw).expect("a valid configuration");
    let mut m = Slices::new(1, 1);
    if cfg.raw().nodes[0].site_meter {
        m.point_site = vec![loadpilot_core::PointSite::new()];
        m.node_site = vec![loadpilot_core::NodeSite::new()];
    }
    let mut shown = Vec::new();
    for now in (0..=to).step_by(10) {
        set(now, &mut m);
        m.step(&cfg.view(), now)
            .expect("slices have one entry per point and node");
        if now >= check_from {
            shown.push(Shown {
                now,
                deadline: m.station_out.next_deadline_ms,
                out: m.outputs[0],
                from_memo: m.work[0].from_memo() == (true, true),
                errors: m.station_out.errors,
            });
        }
    }
    shown
}

/// The pilot at `high_mv` (with a working diode) and `draw_ma` measured on each phase.
fn pilot_and_draw(m: &mut Slices, high_mv: i32, draw_ma: u32) {
    m.inputs[0].cp = Some(CpReading {
        high_mv,
        low_mv: -12_000,
    });
    m.inputs[0].measured_ma = Some([draw_ma; 3]);
}

/// An authorised EV in C that draws 16 A once the contactor has closed; a remote stop at 1 s
/// opens the contactor, but the current flows on until `repair_ms` (CT-1: welded after 500 ms
/// of it), where the fault is reset. `charged` tells whether the contactor ever closed.
fn welded_ev(repair_ms: u64, charged: &mut bool) -> impl FnMut(u64, &mut Slices) + '_ {
    move |now, m| {
        m.inputs[0].authorised = true;
        *charged |= m.outputs[0].contactor;
        let flows = *charged && now < repair_ms;
        pilot_and_draw(m, 6_000, if flows { 16_000 } else { 0 });
        m.inputs[0].remote = if now == 1_000 {
            Remote::Stop
        } else {
            Remote::None
        };
        m.inputs[0].reset = now == repair_ms;
    }
}

/// Proves PS-1 (the deadline): a timer that has run out asks for no step. Before, such a timer
/// put the deadline 1 ms ahead in every step for as long as it lasted: a caller that steps at
/// the deadline would step 1,000 times a second. Here an EV in C that gets no current (the
/// station's limit is 0), its closing debounce long over, and a contactor that welded (its
/// current still flows, the fault latched long ago) leave the deadline at `max_gap_ms`.
#[test]
fn ps1_a_timer_that_has_run_out_asks_for_no_step() {
    // Waiting in C for current that does not come (SU-1's closing debounce ran out at once).
    for s in one_point(0, 5_000, 1_000, |_| {}, |_, m| pilot_and_draw(m, 6_000, 0)) {
        let o = s.out;
        assert!(!o.contactor && o.status == loadpilot_core::OutletStatus::ChargeLoopStarted);
        assert_eq!(
            s.deadline,
            s.now + 1_000,
            "waiting in C at {} ms: {o:?}",
            s.now
        );
    }
    let mut charged = false;
    let welded = one_point(
        32_000,
        20_000,
        10_000,
        |_| {},
        welded_ev(u64::MAX, &mut charged),
    );
    assert!(charged, "the EV never charged");
    for s in welded {
        let o = s.out;
        assert!(!o.contactor && o.flags.contains(loadpilot_core::PointFlags::WELDED));
        assert_eq!(s.deadline, s.now + 1_000, "welded at {} ms: {o:?}", s.now);
    }
}

/// Proves CAB-1 with CT-1: the unplug procedure waits while a welded contactor holds the lock,
/// and its timeout (`unplug_wait_ms`, 60 s) runs from the step that finds the hold gone (the
/// reset), not from before the weld: an EV still plugged in 40 s after the reset is still
/// waited for, and the timeout comes 60 s after the reset, however often the caller stepped
/// during the weld.
#[test]
fn cab1_ct1_the_unplug_wait_runs_from_the_reset_of_a_weld() {
    use loadpilot_core::{LastError, OutletStatus};
    let reset_ms = 30_000;
    let mut charged = false;
    let shown = one_point(
        32_000,
        95_000,
        reset_ms,
        |_| {},
        welded_ev(reset_ms, &mut charged),
    );
    assert!(charged, "the EV never charged");
    for s in shown {
        let (now, o) = (s.now, s.out);
        if now < reset_ms + 60_000 {
            assert_eq!(
                o.status,
                OutletStatus::UnplugProcedureStarted,
                "at {now} ms: {o:?}"
            );
            assert_eq!(o.last_error, LastError::None, "at {now} ms");
        } else {
            assert_eq!(o.status, OutletStatus::InitDone, "at {now} ms: {o:?}");
            assert_eq!(o.last_error, LastError::EvStillDetected, "at {now} ms");
        }
    }
}

/// Proves IN-2 with PS-1: a pilot that reads −12 V from the step in which the protection
/// devices trip (before core drives State F) leaves no debounce behind while core drives F: the
/// deadline is its timers' or `max_gap_ms` ahead during the trip, not a sample period, and the
/// point's step comes from its memo. (The reading of that step was taken as a candidate for F,
/// whose debounce never ended while the front end ignored the line.)
#[test]
fn in2_a_reading_of_f_as_the_trip_starts_leaves_no_debounce() {
    let trip_ms = 5_000;
    let shown = one_point(
        32_000,
        10_000,
        trip_ms,
        |raw| raw.inputs.in1 = Input1Function::ProtectionDevices,
        |now, m| {
            m.inputs[0].authorised = true;
            m.station_inputs.in1_closed = now >= trip_ms;
            let high_mv = if now >= trip_ms { -12_000 } else { 6_000 };
            let drawn = if m.outputs[0].contactor { 16_000 } else { 0 };
            pilot_and_draw(m, high_mv, drawn);
        },
    );
    let mut memo_steps = 0;
    for s in shown {
        let (now, o) = (s.now, s.out);
        assert_eq!(o.pilot, PilotOutput::StateF, "at {now} ms");
        assert!(!o.contactor, "at {now} ms");
        if now >= trip_ms + 100 {
            // The highest offer before the trip expires after the EV's response time (PS-4).
            let expiry = trip_ms + 5_000;
            assert_eq!(
                s.deadline,
                (now + 1_000).min(if now < expiry { expiry } else { u64::MAX }),
                "at {now} ms: {o:?}"
            );
            memo_steps += usize::from(s.from_memo);
        }
    }
    assert!(memo_steps > 400, "{memo_steps} steps from the memo");
}

/// Every step's deadline is no later than the next step whose outputs (`held`: the energy aside)
/// or station errors change by time alone, over `shown`, whose inputs do not change.
fn deadlines_reach_every_change(shown: &[Shown]) {
    deadlines_reach_every_change_between(shown, |_| false);
}

/// As `deadlines_reach_every_change` where the inputs change in the steps at which `changes`
/// holds: a caller steps there anyway, so a deadline needs to reach only the changes of the
/// outputs before the next of them.
fn deadlines_reach_every_change_between(shown: &[Shown], changes: impl Fn(u64) -> bool) {
    for (i, s) in shown.iter().enumerate() {
        if let Some(next) = shown[i + 1..]
            .iter()
            .find(|n| changes(n.now) || held(&n.out) != held(&s.out) || n.errors != s.errors)
            .filter(|n| !changes(n.now))
        {
            assert!(
                s.deadline <= next.now,
                "the step at {} ms asks for the next at {} ms, but the outputs change at {} ms: {:?}",
                s.now,
                s.deadline,
                next.now,
                next.out
            );
        }
    }
}

/// Proves PS-7 with PS-1: a resumed session whose EV sleeps in B asks for a step when the
/// wake-up is due and when its State F ends, so a caller stepping at the deadlines drives the
/// wake-up on time (after `wakeup_after_ms` with PWM on, State F for `wakeup_f_ms`). The EV has
/// no meter then, so that no other timer (LB-10's idle check) asks for the steps.
#[test]
fn ps7_ps1_the_wake_up_is_a_deadline() {
    use loadpilot_core::Commands;
    let shown = one_point(
        32_000,
        11_000,
        6_000,
        |raw| {
            raw.timers.min_pause_ms = 0;
            raw.timers.wakeup_after_ms = 2_000;
            raw.timers.wakeup_f_ms = 1_000;
            raw.timers.wakeup_settle_ms = 500;
        },
        |now, m| {
            m.inputs[0].authorised = true;
            // Charges, is suspended from 3 s (the EV falls asleep in B once PWM is off) and
            // resumed at 6 s, its EV still asleep: inputs constant from then on.
            let charging = now < 3_000 || m.outputs[0].pilot == PilotOutput::Pwm && now < 3_500;
            let draw = if m.outputs[0].contactor { 16_000 } else { 0 };
            pilot_and_draw(m, if charging { 6_000 } else { 9_000 }, draw);
            if now >= 3_500 {
                // No measurement from then on, so that the idle check (LB-10) times nothing.
                m.inputs[0].measured_ma = None;
            }
            m.inputs[0].commands = if (3_000..6_000).contains(&now) {
                Commands::SUSPEND
            } else {
                Commands::EMPTY
            };
        },
    );
    let f: Vec<u64> = shown
        .iter()
        .filter(|s| s.out.pilot == PilotOutput::StateF)
        .map(|s| s.now)
        .collect();
    let (first, last) = (f.first().copied(), f.last().copied());
    assert!(
        first.is_some_and(|t| (7_900..=8_100).contains(&t)),
        "State F at {f:?}"
    );
    assert_eq!(f.len(), 100, "State F for 1 s: {f:?}");
    assert!(last.is_some_and(|t| t < 10_000));
    assert!(
        shown
            .iter()
            .any(|s| s.out.pilot == PilotOutput::Pwm && s.now > 9_000)
    );
    deadlines_reach_every_change(&shown);
}

/// Proves LB-9 with PS-1: a node measured above its limit asks for a step when its response
/// time runs out, also where no contactor is closed (whose sample period would bound the
/// deadline anyway): an EV that draws 40 A on a station of 32 A, whose contactor welds when a
/// remote stop at 1 s and the EV's B open it; the overload is reported (`OVERLOAD`) at the end of the
/// response time, and a caller stepping at the deadlines sees it then.
#[test]
fn lb9_ps1_a_node_above_its_limit_is_a_deadline() {
    use loadpilot_core::StationErrors;
    let mut charged = false;
    let shown = one_point(
        32_000,
        8_000,
        1_600,
        |_| {},
        |now, m| {
            m.inputs[0].authorised = true;
            charged |= m.outputs[0].contactor;
            // In C until the stop, then B (the contactor opens at once, and stays welded).
            let high_mv = if now < 1_000 { 6_000 } else { 9_000 };
            pilot_and_draw(m, high_mv, if charged { 40_000 } else { 0 });
            m.inputs[0].remote = if now == 1_000 {
                Remote::Stop
            } else {
                Remote::None
            };
        },
    );
    assert!(charged, "the EV never charged");
    assert!(shown.iter().all(|s| !s.out.contactor));
    let t = shown
        .iter()
        .find(|s| s.errors.contains(StationErrors::OVERLOAD))
        .map(|s| s.now);
    assert!(t.is_some_and(|t| t > 2_000), "overload reported at {t:?}");
    deadlines_reach_every_change(&shown);
}

/// Proves LB-14 with PS-1: a fall of the other consumers' load, believed once it has lasted the
/// hold time, is a deadline: the site meter's readings arrive every 1.3 s, the hold time (5 s)
/// runs out between two of them, and the point (an EV in B with PWM on, no contactor closed to
/// bound the deadline by the sample period) gets its larger share in the step at which the
/// hold time runs out, which the step before asked for.
#[test]
fn lb14_ps1_the_end_of_a_falls_hold_time_is_a_deadline() {
    use loadpilot_core::SiteReading;
    const PERIOD: u64 = 1_300;
    let shown = one_point(
        64_000,
        30_000,
        10_000,
        |raw| {
            raw.nodes[0].site_meter = true;
            raw.timers.site_meter_hold_ms = 5_000;
        },
        |now, m| {
            m.inputs[0].authorised = true;
            pilot_and_draw(m, 9_000, 0);
            m.inputs[0].measured_ma = None;
            // 40 A of other load, 20 A from 20 s on, each reading arriving as it is measured.
            let at = now / PERIOD * PERIOD;
            let load = if at < 20_000 { 40_000 } else { 20_000 };
            m.node_inputs[0].site = Some(SiteReading {
                load_ma: [load; 3],
                measured_ms: at,
            });
        },
    );
    let share = |t: u64| {
        shown
            .iter()
            .find(|s| s.now == t)
            .map(|s| s.out.allocation_ma)
    };
    // 64 − 40 − 2 = 22 A, then 64 − 20 − 2 = 42 A (the point's 32 A): the fall first read at
    // 20.8 s, believed 5 s later, between the readings at 24.7 s and 26 s.
    assert_eq!(share(25_790), Some(22_000));
    assert_eq!(share(25_800), Some(32_000));
    assert!(
        shown
            .iter()
            .all(|s| !s.out.contactor && s.out.pilot == PilotOutput::Pwm)
    );
    deadlines_reach_every_change_between(&shown, |t| t % PERIOD == 0);
}

/// Proves PS-1 with the plug procedure's waits (§5.1, SPEC §2.1): a shutter that never opens
/// ends the session with `KO_ShutterNotOpened` after `shutter_ms`, a lock that never locks with
/// `KO_PlugOrShutterAbnormallyNotLocked` after `lock_ms`, and each end is a deadline, so a
/// caller stepping at the deadlines ends the wait on time. (The deadline is of the sub-step the
/// procedure waits in: the shutter's wait is not the plug's, nor the lock's the shutter's.)
#[test]
fn ps1_the_plug_procedures_waits_are_deadlines() {
    use loadpilot_core::{LastError, OutletStatus};
    type Sensors = (Option<bool>, Option<bool>);
    // (shutter fitted, the sensors (shutter open, lock closed), the error, the wait in ms)
    let cases: [(bool, Sensors, LastError, u64); 2] = [
        (
            true,
            (Some(false), None),
            LastError::ShutterNotOpened,
            3_000,
        ),
        (
            false,
            (None, Some(false)),
            LastError::PlugOrShutterAbnormallyNotLocked,
            2_000,
        ),
    ];
    for (shutter, (shutter_open, lock_closed), error, wait_ms) in cases {
        let shown = one_point(
            32_000,
            6_000,
            0,
            |raw| {
                raw.session.shutter = shutter;
                raw.session.lock = true;
                raw.session.shutter_ms = 3_000;
                raw.session.lock_ms = 2_000;
            },
            |_, m| {
                m.inputs[0].authorised = true;
                m.inputs[0].shutter_open = shutter_open;
                m.inputs[0].lock_closed = lock_closed;
                pilot_and_draw(m, 9_000, 0);
            },
        );
        let started = shown
            .iter()
            .find(|s| s.out.status == OutletStatus::PlugProcedureStarted)
            .map(|s| s.now)
            .expect("the session starts on the plug-in");
        let ended = shown
            .iter()
            .find(|s| s.out.last_error == error)
            .map(|s| s.now)
            .unwrap_or_else(|| panic!("{error:?} never shown"));
        assert_eq!(ended, started + wait_ms, "{error:?}");
        deadlines_reach_every_change(&shown);
    }
}
