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
//! The world each caller drives (`common::deadline_world`): per point a scripted vehicle (pilot
//! levels with or without the EV's diode, cable, EV limit, temperature, authorisation, VIP, badges
//! checked at the station or remotely, remote commands and decisions, resets), the station's
//! input 1 and the supply's external set point; a rotation, where configured, gets runs of 150 s;
//! an EV that draws what it is signalled (at most its maximum, sometimes more) on one or three
//! phases while the contactor is closed, optional contactor, lock and shutter feedback that follow
//! the commands, and a contactor that may weld. The physical answers follow the outputs a lag
//! later, so they are inputs that change at known times; both callers get them from their own
//! outputs.
//!
//! The scripted deadline tests, one point stepped every sample period, are in
//! `deadlines_scripted.rs`.

mod common;

use common::Slices;
use common::deadline_world::{Act, Case, PointSpec, Raw, World, held};
use loadpilot_core::{
    AuthLocation, AuthStrategy, BadgeKind, Config, Input1Function, NodeConfig, NodeKind, Phase,
    PointConfig, PointOutput, ProductFamily, RawConfig, Remote, Timers, VehicleState,
};
use proptest::prelude::*;
use proptest::test_runner::{Config as RunnerConfig, FileFailurePersistence, TestRunner};

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
