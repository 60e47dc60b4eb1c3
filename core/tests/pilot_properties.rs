//! Properties of the pilot side (SPEC §4): over random configurations and random sequences of
//! measured CP levels (in and between the bands), PP resistances, EV behaviour, commands,
//! function inputs and step timing, in every step:
//! - PS-4: contactor closed ⇒ debounced state C (or D outdoors) ∧ no fault ∧ (PWM on ∧ allocation
//!   ≥ minimum, or PWM stopped less than the grace time ago); the contactor is open in the step in
//!   which the debounced state leaves C;
//! - PS-3: the duty decodes to the signalled current, never above the allocation, and never falls
//!   in a step where the allocation rises.
//!
//! And, for the PS-1 timing budget: configurations that break it are refused, and with any
//! accepted one a real C → B at the pilot, sampled every sample period, opens the contactor
//! within 100 ms.
//!
//! The believed state and the PWM history are tracked from the outputs alone (`evse_status`,
//! `pilot`), never from core's internal state.

use loadpilot_core::cp::EvseStatus;
use loadpilot_core::pilot::decode_ma;
use loadpilot_core::{
    AllocReason, Commands, Config, Controller, CpReading, Field, Input1Function, Location,
    NodeConfig, PilotOutput, PointConfig, PointFlags, PointOutput, ProductFamily, RawConfig,
    Reason, StepInputs, Timers, VehicleState,
};
use proptest::prelude::*;

type Raw = RawConfig<[PointConfig; 2], [NodeConfig; 1]>;

const F_MV: i32 = -12_000;

// ---------------------------------------------------------------------------------------------
// Checking from the outputs
// ---------------------------------------------------------------------------------------------

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

fn is_fault(po: &PointOutput) -> bool {
    po.flags.intersects(
        PointFlags::FAULT | PointFlags::CABLE_FAULT | PointFlags::WELDED | PointFlags::DIODE_FAULT,
    ) || matches!(
        po.reason,
        AllocReason::ProtectionDevice | AllocReason::ClockFault
    )
}

struct Limits {
    grace_ms: u64,
    min_1ph: u32,
    min_3ph: u32,
    outdoor: bool,
}

impl Limits {
    fn of(raw: &Raw) -> Self {
        Limits {
            grace_ms: u64::from(raw.timers.grace_ms),
            min_1ph: raw.thresholds.min_1ph_ma,
            min_3ph: raw.thresholds.min_3ph_ma,
            outdoor: raw.location == Location::Outdoor,
        }
    }
    fn charge(&self, s: VehicleState) -> bool {
        s == VehicleState::C || (self.outdoor && s == VehicleState::D)
    }
}

/// What one point's outputs showed so far.
#[derive(Clone, Copy, Debug, Default)]
struct Watch {
    prev: Option<PointOutput>,
    /// The first step without PWM after one with PWM.
    pwm_off_at: Option<u64>,
}

impl Watch {
    /// Checks PS-3 and PS-4 for this step; `Err` describes the first broken rule.
    fn check(&mut self, t: u64, i: usize, po: &PointOutput, lim: &Limits) -> Result<(), String> {
        let pwm = po.pilot == PilotOutput::Pwm;
        let state = believed(po.evse_status);
        let fail = |rule: &str, what: String| Err(format!("{rule} at {t} ms, point {i}: {what}"));
        if po.signal_ma > po.allocation_ma {
            return fail("PS-3", format!("signal above the allocation: {po:?}"));
        }
        if pwm {
            if !(100..=960).contains(&po.duty_permille)
                || decode_ma(po.duty_permille) != po.signal_ma
            {
                return fail(
                    "PS-3",
                    format!("duty does not decode to the signal: {po:?}"),
                );
            }
        } else if po.duty_permille != 0 || po.signal_ma != 0 {
            return fail("PS-3", format!("a duty without PWM: {po:?}"));
        }
        if let Some(prev) = self.prev {
            let was_pwm = prev.pilot == PilotOutput::Pwm;
            if was_pwm
                && pwm
                && po.allocation_ma > prev.allocation_ma
                && po.duty_permille < prev.duty_permille
            {
                return fail(
                    "PS-3",
                    format!("allocation rose, duty fell: {prev:?} -> {po:?}"),
                );
            }
            if was_pwm && !pwm {
                self.pwm_off_at = Some(t);
            }
            if lim.charge(believed(prev.evse_status)) && !lim.charge(state) && po.contactor {
                return fail(
                    "PS-4",
                    format!(
                        "the debounced state left C ({:?} -> {:?}), contactor closed",
                        prev.evse_status, po.evse_status
                    ),
                );
            }
        }
        if pwm {
            self.pwm_off_at = None;
        }
        if po.contactor {
            if is_fault(po) {
                return fail("PS-4", format!("closed on a fault: {po:?}"));
            }
            if !lim.charge(state) {
                return fail("PS-4", format!("closed in {:?}", po.evse_status));
            }
            let one = po.alloc_ma.iter().filter(|a| **a > 0).count() == 1;
            let min = if one { lim.min_1ph } else { lim.min_3ph };
            let graceful = !pwm
                && self
                    .pwm_off_at
                    .is_some_and(|off| t.saturating_sub(off) < lim.grace_ms);
            if !((pwm && po.allocation_ma >= min) || graceful) {
                return fail(
                    "PS-4",
                    format!(
                        "closed without PWM and allocation >= {min} mA, nor within the grace \
                         time (PWM off since {:?}): {po:?}",
                        self.pwm_off_at
                    ),
                );
            }
        }
        self.prev = Some(*po);
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// The EV model and the random sequences
// ---------------------------------------------------------------------------------------------

/// One EV as the pilot and the meter see it.
#[derive(Clone, Copy, Debug)]
struct Ev {
    high_mv: i32,
    diode_ok: bool,
    /// Drawn above min(signal, 32 A) while the contactor is closed.
    extra_ma: u32,
}

/// A change to one point's inputs or EV.
#[derive(Clone, Copy, Debug)]
enum Change {
    /// The EV's resistor moves the high level here (mV).
    Level(i32),
    /// The diode works or not (PS-2).
    Diode(bool),
    /// A new PP reading (Ω), or none.
    Pp(Option<u32>),
    /// The EV draws this much above its signal.
    Extra(u32),
    /// The EV's own limit.
    Limit(Option<u32>),
    /// A suspend command on or off.
    Suspend(bool),
    /// The EV leaves with its cable (A, no PP).
    Leave,
    /// An EV arrives with a cable of this resistance, in B.
    Arrive(u32),
}

/// How far the step's clock moves.
#[derive(Clone, Copy, Debug)]
enum Dt {
    /// One sample period.
    Period,
    /// This many ms (may exceed the period or the PS-1 budget).
    Gap(u64),
    /// Backwards by this many ms (SU-3).
    Back(u64),
}

/// One step of a sequence.
#[derive(Clone, Copy, Debug)]
struct Op {
    dt: Dt,
    change: Option<(usize, Change)>,
    /// A one-step level on a point (a glitch).
    glitch: Option<(usize, i32)>,
    /// In-1 (protection devices, where configured) closed.
    in1: Option<bool>,
}

/// A level near a state's nominal (± 1.5 V, so hysteresis edges and neighbouring bands are
/// hit), anywhere, or far outside every band.
fn near(nominal: i32) -> impl Strategy<Value = i32> {
    prop_oneof![
        4 => (-700i32..=700).prop_map(move |d| nominal + d),
        1 => (-1_500i32..=1_500).prop_map(move |d| nominal + d),
    ]
}

/// A fault level: E, F, or outside every band.
fn fault_level() -> impl Strategy<Value = i32> {
    prop_oneof![
        near(0),
        near(-12_000),
        -15_000i32..=15_000,
        prop_oneof![Just(i32::MIN), Just(i32::MAX), Just(-5_000), Just(14_000)],
    ]
}

/// Any level, for one-step glitches.
fn level() -> impl Strategy<Value = i32> {
    prop_oneof![
        near(6_000),
        near(9_000),
        near(12_000),
        near(3_000),
        fault_level(),
    ]
}

fn pp() -> impl Strategy<Value = Option<u32>> {
    prop_oneof![
        6 => (164u32..=308).prop_map(Some),
        2 => (80u32..=140).prop_map(Some),
        2 => (400u32..=936).prop_map(Some),
        1 => (1_100u32..=2_460).prop_map(Some),
        2 => Just(None),
        2 => (0u32..=6_000).prop_map(Some),
        1 => any::<u32>().prop_map(Some),
    ]
}

fn change() -> impl Strategy<Value = Change> {
    prop_oneof![
        30 => near(6_000).prop_map(Change::Level),
        20 => near(9_000).prop_map(Change::Level),
        8 => near(3_000).prop_map(Change::Level),
        3 => near(12_000).prop_map(Change::Level),
        10 => Just(Change::Leave),
        10 => prop_oneof![164u32..=308, 80u32..=140, 400u32..=936].prop_map(Change::Arrive),
        2 => fault_level().prop_map(Change::Level),
        3 => prop_oneof![2 => Just(true), 1 => Just(false)].prop_map(Change::Diode),
        8 => pp().prop_map(Change::Pp),
        8 => prop_oneof![3 => Just(0u32), 3 => 0u32..=3_000, 1 => 0u32..=15_000]
            .prop_map(Change::Extra),
        8 => prop_oneof![Just(None), (6_000u32..=40_000).prop_map(Some)].prop_map(Change::Limit),
        5 => any::<bool>().prop_map(Change::Suspend),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    let dt = prop_oneof![
        940 => Just(Dt::Period),
        50 => (1u64..=120).prop_map(Dt::Gap),
        7 => (121u64..=1_500).prop_map(Dt::Gap),
        3 => (1u64..=100).prop_map(Dt::Back),
    ];
    let change = prop_oneof![
        94 => Just(None),
        6 => ((0usize..2), change()).prop_map(Some),
    ];
    let glitch = prop_oneof![
        97 => Just(None),
        3 => ((0usize..2), level()).prop_map(Some),
    ];
    let in1 = prop_oneof![
        995 => Just(None),
        1 => Just(Some(true)),
        4 => Just(Some(false)),
    ];
    (dt, change, glitch, in1).prop_map(|(dt, change, glitch, in1)| Op {
        dt,
        change,
        glitch,
        in1,
    })
}

/// Timers that keep the PS-1 budget, by construction: the sample period P, the safer debounce
/// (detection P × (1 + ⌈d / P⌉) below 100 ms) and a release time R that fits what is left.
fn budget_timing() -> impl Strategy<Value = (u32, u32, u32, u32)> {
    (10u32..=40)
        .prop_flat_map(|p| {
            // Largest d with P × (1 + ⌈d / P⌉) ≤ 99.
            let periods = 99 / p - 1;
            (Just(p), 1u32..=(periods * p).min(60))
        })
        .prop_flat_map(|(p, safer)| {
            let detect = p * (1 + safer.div_ceil(p));
            (
                Just(p),
                Just(safer),
                1u32..=2_000,
                1u32..=(100 - detect).min(50),
            )
        })
}

fn config() -> impl Strategy<Value = Raw> {
    (
        budget_timing(),
        prop_oneof![3 => 1u32..=200, 1 => 201u32..=2_000],
        any::<bool>(),
        any::<bool>(),
        (1_000u32..=6_000, 0u32..=3_000, 1_000u32..=3_000),
        (
            1_000u32..=5_000,
            1_000u32..=3_000,
            1_000u32..=2_000,
            1u32..=1_000,
        ),
    )
        .prop_map(
            |((p, safer, _, release), charge, outdoor, protection, t1, t2)| {
                let mut raw = RawConfig::with_defaults(
                    ProductFamily::City,
                    [PointConfig::three_phase(0, 32_000); 2],
                    [NodeConfig::station(None, 48_000)],
                );
                let t = &mut raw.timers;
                (t.sample_period_ms, t.debounce_safer_ms) = (p, safer);
                (t.debounce_charge_ms, t.contactor_release_ms) = (charge, release);
                (t.grace_ms, t.min_pause_ms, t.rise_interval_ms) = t1;
                (
                    t.ev_response_ms,
                    t.wakeup_after_ms,
                    t.wakeup_f_ms,
                    t.wakeup_settle_ms,
                ) = t2;
                t.stagger_ms = 0;
                t.min_run_ms = 0;
                if outdoor {
                    raw.location = Location::Outdoor;
                }
                if protection {
                    raw.inputs.in1 = Input1Function::ProtectionDevices;
                }
                raw
            },
        )
}

/// Runs a sequence; returns the first broken rule.
fn run(raw: Raw, ops: &[Op]) -> Result<(), String> {
    let lim = Limits::of(&raw);
    let period = u64::from(raw.timers.sample_period_ms);
    let mut ctl = Controller::<2, 1>::new(raw).map_err(|e| format!("refused: {e}"))?;
    let mut inp = StepInputs::<2, 1>::default();
    for pi in inp.points.iter_mut() {
        pi.authorised = true;
        pi.pp_ohm = Some(220);
    }
    // Both EVs plugged and ready at the start-up (SU-1).
    let mut evs = [Ev {
        high_mv: 6_000,
        diode_ok: true,
        extra_ma: 0,
    }; 2];
    let mut watch = [Watch::default(); 2];
    let mut now = 1_000u64;
    for op in ops {
        now = match op.dt {
            Dt::Period => now + period,
            Dt::Gap(ms) => now + ms,
            Dt::Back(ms) => now.saturating_sub(ms),
        };
        if let Some(c) = op.in1 {
            inp.station.in1_closed = c;
        }
        if let Some((p, c)) = op.change {
            let (ev, pi) = (&mut evs[p], &mut inp.points[p]);
            match c {
                Change::Level(mv) => ev.high_mv = mv,
                Change::Diode(ok) => ev.diode_ok = ok,
                Change::Pp(ohm) => pi.pp_ohm = ohm,
                Change::Extra(ma) => ev.extra_ma = ma,
                Change::Limit(ma) => pi.ev_limit_ma = ma,
                Change::Suspend(on) => {
                    pi.commands = if on {
                        Commands::SUSPEND
                    } else {
                        Commands::EMPTY
                    };
                }
                Change::Leave => (ev.high_mv, pi.pp_ohm) = (12_000, None),
                Change::Arrive(ohm) => (ev.high_mv, pi.pp_ohm) = (9_000, Some(ohm)),
            }
        }
        for (p, (ev, pi)) in evs.iter().zip(inp.points.iter_mut()).enumerate() {
            let last = ctl.outputs().points[p];
            let high = match op.glitch {
                Some((g, mv)) if g == p => mv,
                _ => ev.high_mv,
            };
            pi.cp = Some(match last.pilot {
                PilotOutput::StateF => CpReading {
                    high_mv: F_MV,
                    low_mv: F_MV,
                },
                PilotOutput::Pwm => CpReading {
                    high_mv: high,
                    low_mv: if ev.diode_ok {
                        F_MV
                    } else {
                        -high.saturating_abs() / 2
                    },
                },
                PilotOutput::Steady12V => CpReading {
                    high_mv: high,
                    low_mv: high,
                },
            });
            let draw = if last.contactor && last.signal_ma > 0 {
                last.signal_ma.min(32_000) + ev.extra_ma
            } else {
                0
            };
            pi.measured_ma = Some([draw; 3]);
        }
        let out = *ctl.step(&inp, now);
        for (i, po) in out.points.iter().enumerate() {
            watch[i].check(now, i, po, &lim)?;
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 512,
        failure_persistence: Some(Box::new(
            proptest::test_runner::FileFailurePersistence::Direct(
                "proptest-regressions/pilot_properties.txt",
            ),
        )),
        ..ProptestConfig::default()
    })]

    /// Proves PS-4 (with its grace clause, and the opening in the step the debounced state leaves
    /// C) and PS-3 in every step of random sequences of measured CP levels, PP resistances, EV
    /// draws, limits, commands, protection input and step timing (gaps, clock going back).
    #[test]
    fn ps4_ps3_hold_in_every_step_of_random_pilot_sequences(
        raw in config(),
        ops in prop::collection::vec(op(), 300..=600),
    ) {
        if let Err(e) = run(raw, &ops) {
            prop_assert!(false, "{}", e);
        }
    }

    /// Proves PS-1: a configuration is refused exactly when it breaks the timing budget,
    /// P × (1 + ⌈safer / P⌉) + R ≤ 100 ms and P × (1 + ⌈towards C / P⌉) ≤ 3 000 ms, naming the
    /// debounce and the budget.
    #[test]
    fn ps1_budget_breaking_configs_are_refused(
        p in 10u32..=40,
        safer in 1u32..=60,
        charge in 1u32..=2_000,
        release in 1u32..=50,
    ) {
        let mut raw = RawConfig::with_defaults(
            ProductFamily::City,
            [PointConfig::three_phase(0, 32_000)],
            [NodeConfig::station(None, 64_000)],
        );
        raw.timers = Timers {
            sample_period_ms: p,
            debounce_safer_ms: safer,
            debounce_charge_ms: charge,
            contactor_release_ms: release,
            ..Timers::default()
        };
        let needed = p * (1 + safer.div_ceil(p)) + release;
        let towards_c = p * (1 + charge.div_ceil(p));
        match Config::new(raw) {
            Ok(_) => prop_assert!(needed <= 100 && towards_c <= 3_000, "accepted {needed} ms"),
            Err(e) => {
                prop_assert!(needed > 100 || towards_c > 3_000, "refused: {e}");
                if needed > 100 {
                    prop_assert_eq!(e.field, Field::Timer("debounce_safer_ms"));
                    prop_assert_eq!(e.reason, Reason::TimingBudget { needed, allowed: 100 });
                }
            }
        }
    }

    /// Proves PS-1 and PS-4: with any accepted timing (sample period 10–40 ms, debounces, release
    /// time), a real C → B at the pilot, at any instant between two samples, opens the contactor
    /// (command plus release time) within 100 ms.
    #[test]
    fn ps1_ps4_real_c_to_b_opens_within_100_ms_for_any_accepted_timing(
        (p, safer, charge, release) in budget_timing(),
        hold in 0u64..=2_000,
        offset in 1u64..=40,
        b_mv in 7_800i32..=10_200,
    ) {
        let mut raw = RawConfig::with_defaults(
            ProductFamily::City,
            [PointConfig::three_phase(0, 32_000)],
            [NodeConfig::station(None, 64_000)],
        );
        let t = &mut raw.timers;
        (t.sample_period_ms, t.debounce_safer_ms) = (p, safer);
        (t.debounce_charge_ms, t.contactor_release_ms) = (charge, release);
        t.stagger_ms = 0;
        let mut ctl = Controller::<1, 1>::new(raw).expect("accepted by construction");
        let period = u64::from(p);
        let mut inp = StepInputs::<1, 1>::default();
        inp.points[0].authorised = true;
        inp.points[0].pp_ohm = Some(220);
        let reading = |high: i32, pwm: bool| CpReading {
            high_mv: high,
            low_mv: if pwm { F_MV } else { high },
        };
        let mut now = 0;
        let mut closed_at = None;
        // C from the start: PWM, then the contactor.
        while now < 10_000 {
            let pwm = ctl.outputs().points[0].pilot == PilotOutput::Pwm;
            inp.points[0].cp = Some(reading(6_000, pwm));
            let po = ctl.step(&inp, now).points[0];
            if po.contactor && closed_at.is_none() {
                closed_at = Some(now);
            }
            if closed_at.is_some_and(|c| now >= c + hold) {
                break;
            }
            now += period;
        }
        prop_assert!(closed_at.is_some(), "never closed");
        // The real change, `offset` ms after the last sample (at most one period later).
        let t_change = now + offset.min(period);
        let mut opened = None;
        while opened.is_none() && now < t_change + 1_000 {
            now += period;
            let high = if now >= t_change { b_mv } else { 6_000 };
            let pwm = ctl.outputs().points[0].pilot == PilotOutput::Pwm;
            inp.points[0].cp = Some(reading(high, pwm));
            if !ctl.step(&inp, now).points[0].contactor {
                opened = Some(now);
            }
        }
        let opened = opened.expect("opened within 1 s");
        prop_assert!(opened >= t_change, "opened before the change");
        let total = opened + u64::from(release) - t_change;
        prop_assert!(
            total <= 100,
            "C -> B at {} ms: contactor commanded open at {} ms, open {} ms after the change \
             (P {}, safer {}, release {})",
            t_change, opened, total, p, safer, release
        );
    }
}
