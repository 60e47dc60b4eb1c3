//! The C ABI against core's Rust API (issue 5): the same configuration and the same inputs
//! through `lp_controller_init` / `lp_step` and through `Controller::step` give the same outputs,
//! compared field by field every step, over seeded random scenarios (SplitMix64, written here).
//! The C inputs are built from core's `PointInputs` by a conversion written in this test (core →
//! C), the opposite direction of the library's (C → core), and enum outputs are compared with
//! core's own discriminants, so neither side can hide a mapping error of the other.

use loadpilot_core::{
    AuthLocation, Badge, BadgeKind, Commands, Controller, CpReading, NodeConfig, NodeInputs,
    NodeKind, Phase, PointConfig, PointInputs, PointOutput, RawConfig, Remote, SetPoint,
    SiteReading, StationOutput, StepInputs, ThermalConfig, VehicleState, two_point_station,
};
use loadpilot_ffi::*;

mod common;
use common::CSide;

struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn chance(&mut self, per_mille: u64) -> bool {
        self.below(1000) < per_mille
    }
    /// True `n` times in 100 000.
    fn rare(&mut self, n: u64) -> bool {
        self.below(100_000) < n
    }
    fn u32_below(&mut self, n: u32) -> u32 {
        u32::try_from(self.below(n.into())).unwrap()
    }
}

/// Core → C, written here independently of the library's C → core conversion.
fn point_inputs_to_c(p: &PointInputs) -> lp_point_inputs {
    let b = |x: bool| u8::from(x);
    let (has_cp, high, low) = p.cp.map_or((0, 0, 0), |c| (1, c.high_mv, c.low_mv));
    let badge = p.badge;
    lp_point_inputs {
        has_cp,
        vehicle: p.vehicle as u32,
        cp_high_mv: high,
        cp_low_mv: low,
        has_pp: b(p.pp_ohm.is_some()),
        pp_ohm: p.pp_ohm.unwrap_or(0),
        domestic: b(p.domestic),
        has_contactor_feedback: b(p.contactor_feedback.is_some()),
        contactor_feedback: b(p.contactor_feedback.unwrap_or(false)),
        has_temperature: b(p.temperature_dc.is_some()),
        temperature_dc: p.temperature_dc.unwrap_or(0),
        has_meter: b(p.meter_mwh.is_some()),
        meter_mwh: p.meter_mwh.unwrap_or(0),
        reset: b(p.reset),
        has_badge: b(badge.is_some()),
        badge_id: badge.map_or(0, |x| x.id),
        badge_kind: badge.map_or(0, |x| x.kind as u32),
        badge_booker: b(badge.is_some_and(|x| x.booker)),
        badge_cached: b(badge.is_some_and(|x| x.cached)),
        remote: p.remote as u32,
        offline: b(p.offline),
        has_lock_feedback: b(p.lock_closed.is_some()),
        lock_closed: b(p.lock_closed.unwrap_or(false)),
        has_shutter_feedback: b(p.shutter_open.is_some()),
        shutter_open: b(p.shutter_open.unwrap_or(false)),
        authorised: b(p.authorised),
        vip: b(p.vip),
        has_measured: b(p.measured_ma.is_some()),
        measured_ma: p.measured_ma.unwrap_or([0; 3]),
        has_ev_limit: b(p.ev_limit_ma.is_some()),
        ev_limit_ma: p.ev_limit_ma.unwrap_or(0),
        has_cable_limit: b(p.cable_ma.is_some()),
        cable_ma: p.cable_ma.unwrap_or(0),
        has_setpoint: b(p.setpoint.is_some()),
        setpoint_ma: p.setpoint.map_or(0, |s| s.current_ma),
        setpoint_received_ms: p.setpoint.map_or(0, |s| s.received_ms),
        commands: p.commands.0,
    }
}

fn node_inputs_to_c(n: &NodeInputs) -> lp_node_inputs {
    lp_node_inputs {
        has_setpoint: n.setpoint.is_some().into(),
        setpoint_ma: n.setpoint.map_or(0, |s| s.current_ma),
        setpoint_received_ms: n.setpoint.map_or(0, |s| s.received_ms),
        has_site: n.site.is_some().into(),
        site_load_ma: n.site.map_or([0; 3], |s| s.load_ma),
        site_measured_ms: n.site.map_or(0, |s| s.measured_ms),
    }
}

/// Field by field, enums against core's own discriminants.
fn assert_same(t: u64, k: usize, c: &lp_point_output, r: &PointOutput) {
    let ctx = format!("t={t} point {k}: C {c:?} vs Rust {r:?}");
    assert_eq!(c.alloc_ma, r.alloc_ma, "alloc_ma {ctx}");
    assert_eq!(c.allocation_ma, r.allocation_ma, "allocation_ma {ctx}");
    assert_eq!(c.signal_ma, r.signal_ma, "signal_ma {ctx}");
    assert_eq!(c.duty_permille, r.duty_permille, "duty {ctx}");
    assert_eq!(c.pilot, r.pilot as u8, "pilot {ctx}");
    assert_eq!(c.contactor, u8::from(r.contactor), "contactor {ctx}");
    assert_eq!(c.reason, r.reason as u8, "reason {ctx}");
    assert_eq!(c.reason_node, r.reason_node, "reason_node {ctx}");
    assert_eq!(c.flags, r.flags.0, "flags {ctx}");
    assert_eq!(c.energy_mwh, r.energy_mwh, "energy {ctx}");
    assert_eq!(c.status, r.status as u8, "status {ctx}");
    assert_eq!(c.last_error, r.last_error as u8, "last_error {ctx}");
    assert_eq!(c.evse_status, r.evse_status as u8, "evse {ctx}");
    assert_eq!(c.cable, r.cable as u8, "cable {ctx}");
    assert_eq!(c.lock, u8::from(r.lock), "lock {ctx}");
    assert_eq!(c.shutter_open, u8::from(r.shutter_open), "shutter {ctx}");
    assert_eq!(c.session_id, r.session_id, "session_id {ctx}");
}

/// The world of one point: an EV that plugs, charges, leaves; plus rare random events (rates
/// per 100 000 steps of 10 ms, so that charges last long enough to matter).
#[derive(Clone, Copy, Default)]
struct World {
    plugged: bool,
    ev: VehicleState,
    measured_cp: bool,
    commands: Commands,
}

fn random_point(
    rng: &mut SplitMix64,
    w: &mut World,
    prev: &PointOutput,
    now_ms: u64,
) -> PointInputs {
    // Plugged within ~20 s, unplugged after ~200 s; B → C within ~5 s, back to B after ~100 s.
    if rng.rare(if w.plugged { 5 } else { 50 }) {
        w.plugged = !w.plugged;
        w.ev = if w.plugged {
            VehicleState::B
        } else {
            VehicleState::A
        };
    }
    if w.plugged && rng.rare(if w.ev == VehicleState::B { 200 } else { 10 }) {
        w.ev = match rng.below(40) {
            0 => VehicleState::D,
            1 => VehicleState::E,
            2..=30 => VehicleState::C,
            _ => VehicleState::B,
        };
    }
    if rng.rare(5) {
        w.commands = Commands(rng.u32_below(64));
    }
    if rng.rare(30) {
        w.commands = Commands::EMPTY;
    }
    let glitch_pp = rng.rare(5);
    let diode = rng.rare(3);
    let overdraw = rng.rare(20);
    let unauthorised = rng.rare(10);
    let unmeasured = rng.rare(50);
    let high_mv = match w.ev {
        VehicleState::A => 12_000,
        VehicleState::B => 9_000,
        VehicleState::C => 6_000,
        VehicleState::D => 3_000,
        VehicleState::E => 0,
        VehicleState::F => -12_000,
        VehicleState::Unknown => 15_000,
    } + i32::try_from(rng.below(400)).unwrap()
        - 200;
    let draw = if prev.contactor {
        prev.signal_ma.saturating_sub(rng.u32_below(500)) + if overdraw { 5_000 } else { 0 }
    } else {
        0
    };
    let mut p = PointInputs {
        cp: w.measured_cp.then_some(CpReading {
            high_mv,
            low_mv: if diode { 0 } else { -12_000 },
        }),
        vehicle: w.ev,
        pp_ohm: if glitch_pp {
            Some(rng.u32_below(6_000))
        } else if w.plugged {
            Some(220)
        } else {
            Some(10_000)
        },
        authorised: !unauthorised,
        measured_ma: (!unmeasured).then_some([draw, draw, draw.saturating_sub(100)]),
        commands: w.commands,
        ..PointInputs::default()
    };
    if rng.rare(30) {
        p.badge = Some(Badge {
            id: rng.u32_below(4),
            kind: [
                BadgeKind::Unknown,
                BadgeKind::User,
                BadgeKind::Vip,
                BadgeKind::Admin,
            ][rng.below(4) as usize],
            booker: rng.chance(500),
            cached: rng.chance(500),
        });
    }
    if rng.rare(30) {
        p.remote =
            [Remote::Start, Remote::Stop, Remote::Accept, Remote::Reject][rng.below(4) as usize];
    }
    p.offline = rng.rare(100);
    p.vip = rng.rare(100);
    p.reset = rng.rare(300);
    p.domestic = rng.rare(10);
    if rng.rare(500) {
        p.ev_limit_ma = Some(6_000 + rng.u32_below(30_000));
    }
    if rng.rare(100) {
        p.cable_ma = Some(rng.u32_below(40_000));
    }
    if rng.rare(5_000) {
        p.temperature_dc = Some(i16::try_from(rng.below(1_000)).unwrap() - 100);
    }
    if rng.rare(100) {
        p.meter_mwh = Some(now_ms * 10 + rng.below(100));
    }
    // Lock and shutter sensors that follow their commands, rarely stuck (§5.1 procedures).
    p.lock_closed = Some(prev.lock != rng.rare(3));
    p.shutter_open = Some(prev.shutter_open != rng.rare(3));
    // An auxiliary contact that follows the command, and rarely a welded one (CT-1).
    p.contactor_feedback = Some(prev.contactor != rng.rare(2));
    if rng.rare(30_000) {
        p.setpoint = Some(SetPoint {
            current_ma: rng.u32_below(40_000),
            received_ms: now_ms.saturating_sub(rng.below(100_000)),
        });
    }
    p
}

/// What a scenario went through, so that a test can show it was not vacuous.
#[derive(Debug, Default)]
struct Seen {
    closed_steps: usize,
    reasons: std::collections::BTreeSet<u8>,
    statuses: std::collections::BTreeSet<u8>,
    errors: u32,
}

/// Runs `steps` random steps through both sides and compares every output.
fn compare<const P: usize, const N: usize>(
    raw: RawConfig<[PointConfig; P], [NodeConfig; N]>,
    seed: u64,
    steps: usize,
) -> Seen {
    let mut seen = Seen::default();
    let mut c = CSide::new(&raw);
    let mut r = Controller::<P, N>::new(raw).unwrap();
    let mut rng = SplitMix64(seed);
    let mut worlds = [World::default(); P];
    for w in &mut worlds {
        w.measured_cp = rng.chance(700);
    }
    let mut prev = [PointOutput::default(); P];
    let mut now = 0u64;
    for _ in 0..steps {
        let mut inputs = StepInputs::<P, N>::default();
        inputs.station.in1_closed = rng.rare(50);
        inputs.station.in2_closed = !rng.rare(50);
        for k in 0..P {
            inputs.points[k] = random_point(&mut rng, &mut worlds[k], &prev[k], now);
        }
        for n in inputs.nodes.iter_mut() {
            if rng.chance(990) {
                n.setpoint = Some(SetPoint {
                    current_ma: 10_000 + rng.u32_below(60_000),
                    received_ms: now.saturating_sub(rng.below(70_000)),
                });
            }
            if rng.chance(990) {
                n.site = Some(SiteReading {
                    load_ma: [rng.u32_below(50_000); 3],
                    measured_ms: now.saturating_sub(rng.below(2_000)),
                });
            }
        }
        let pin: Vec<_> = inputs.points.iter().map(point_inputs_to_c).collect();
        let nin: Vec<_> = inputs.nodes.iter().map(node_inputs_to_c).collect();
        let (cout, errors, deadline) = c.step(
            (inputs.station.in1_closed, inputs.station.in2_closed),
            &pin,
            &nin,
            now,
        );
        let rout = r.step(&inputs, now);
        assert_eq!(cout.len(), P);
        for (k, (co, ro)) in cout.iter().zip(&rout.points).enumerate() {
            assert_same(now, k, co, ro);
            seen.closed_steps += usize::from(co.contactor);
            seen.reasons.insert(co.reason);
            seen.statuses.insert(co.status);
        }
        seen.errors |= errors;
        let StationOutput {
            errors: rerr,
            next_deadline_ms,
        } = rout.station;
        assert_eq!(errors, rerr.0, "station errors at {now}");
        assert_eq!(deadline, next_deadline_ms, "deadline at {now}");
        prev = rout.points;
        now = match rng.below(100_000) {
            0..=4 => now.saturating_sub(rng.below(500)), // SU-3: the clock goes back
            5..=49 => now + rng.below(5_000),            // a gap
            _ => now + 10,
        };
    }
    seen
}

/// The scenario reached charging, several LB-11 reasons and session states.
fn assert_rich(seen: &Seen) {
    assert!(seen.closed_steps > 100, "{seen:?}");
    assert!(seen.reasons.len() >= 5, "{seen:?}");
    assert!(seen.statuses.len() >= 3, "{seen:?}");
}

/// Proves LB-1 … LB-14, PS-*, §5 through the ABI: on the standard two-point station the C path
/// and the Rust path give identical outputs, field by field, every step.
#[test]
fn lb11_c_path_equals_rust_path_two_points() {
    for seed in 0..6 {
        let mut raw = two_point_station(40_000);
        raw.timers.stagger_ms = 0;
        raw.external_control = seed % 2 == 1;
        assert_rich(&compare(raw, seed, 30_000));
    }
}

/// Proves the same for badges checked at the station and remotely (AU-1 … AU-4), outdoor
/// location (LOC-1), thermal derating (TH-1) and a single-phase point (LB-12).
#[test]
fn au2_c_path_equals_rust_path_with_badges_and_options() {
    for (seed, location) in [
        AuthLocation::ChargingStation,
        AuthLocation::Remote,
        AuthLocation::Supervision,
    ]
    .into_iter()
    .enumerate()
    {
        let mut raw = two_point_station(48_000);
        raw.timers.stagger_ms = 0;
        raw.session.auth_location = location;
        raw.location = loadpilot_core::Location::Outdoor;
        raw.protection.thermal = Some(ThermalConfig {
            derate_start_dc: 400,
            derate_end_dc: 600,
            pause_dc: 700,
            hysteresis_dc: 50,
        });
        raw.points[1] = PointConfig::single_phase(0, 32_000, Phase::L2);
        assert_rich(&compare(raw, 100 + seed as u64, 30_000));
    }
}

/// Proves TREE-1 / LB-14 through the ABI: a supply with a site meter, two circuits and three
/// points (one under each circuit, one under the supply's station) behave the same on both sides.
#[test]
fn tree1_c_path_equals_rust_path_on_a_tree() {
    let mut supply = NodeConfig::new(None, NodeKind::Supply, 80_000);
    supply.site_meter = true;
    let nodes = [
        supply,
        NodeConfig::new(Some(0), NodeKind::Circuit, 40_000),
        NodeConfig::new(Some(0), NodeKind::Circuit, 32_000),
        NodeConfig::station(Some(1), 40_000),
    ];
    let points = [
        PointConfig::three_phase(3, 32_000),
        PointConfig::three_phase(2, 32_000),
        PointConfig::single_phase(3, 16_000, Phase::L3),
    ];
    let mut raw = RawConfig::with_defaults(loadpilot_core::ProductFamily::Parking, points, nodes);
    raw.timers.stagger_ms = 500;
    raw.external_control = true;
    raw.rotation_interval_ms = Some(60_000);
    for seed in 0..3 {
        assert_rich(&compare(raw.clone(), 200 + seed, 30_000));
    }
}
