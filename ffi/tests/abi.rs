//! The C ABI against core's Rust API (issue 5): the same configuration and the same inputs
//! through `lp_controller_init` / `lp_step` and through `Controller::step` give the same outputs,
//! compared field by field every step, over seeded random scenarios (SplitMix64, written here).
//! The C inputs are built from core's `PointInputs` by a conversion written in this test (core →
//! C), the opposite direction of the library's (C → core), and enum outputs are compared with
//! core's own discriminants, so neither side can hide a mapping error of the other.
//! Also: every enum, boolean and flag field of the input structs refuses an out-of-range value.

use core::mem::MaybeUninit;

use loadpilot_core::{
    AuthLocation, Badge, BadgeKind, Commands, Controller, CpReading, NodeConfig, NodeInputs,
    NodeKind, Phase, PointConfig, PointInputs, PointOutput, RawConfig, Remote, SetPoint,
    SiteReading, StationOutput, StepInputs, ThermalConfig, VehicleState, two_point_station,
};
use loadpilot_ffi::*;

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

/// Controller memory from the test's heap, aligned as `lp_controller_align` asks.
struct Arena {
    words: Vec<u64>,
}

impl Arena {
    fn new(bytes: usize) -> Arena {
        assert!(lp_controller_align() <= 8);
        Arena {
            words: vec![0; bytes.div_ceil(8)],
        }
    }
    fn ptr(&mut self) -> *mut core::ffi::c_void {
        self.words.as_mut_ptr().cast()
    }
    fn len(&self) -> usize {
        self.words.len() * 8
    }
}

/// A C controller for a core configuration, through the C entry points.
struct CSide {
    _arena: Arena,
    ctl: *mut lp_controller,
    points: usize,
}

impl CSide {
    fn new<const P: usize, const N: usize>(
        raw: &RawConfig<[PointConfig; P], [NodeConfig; N]>,
    ) -> CSide {
        let pts: Vec<lp_point_config> = raw.points.iter().map(point_config_to_c).collect();
        let nodes: Vec<lp_node_config> = raw.nodes.iter().map(node_config_to_c).collect();
        let mut cfg = config_to_c_general(raw);
        cfg.points = pts.as_ptr();
        cfg.points_len = P as u32;
        cfg.nodes = nodes.as_ptr();
        cfg.nodes_len = N as u32;
        let mut size = 0usize;
        assert_eq!(
            unsafe { lp_controller_size(P as u32, N as u32, &mut size) },
            lp_result::LP_OK
        );
        let mut arena = Arena::new(size);
        let mut err = lp_config_error::default();
        let mut ctl = core::ptr::null_mut();
        let r = unsafe { lp_controller_init(arena.ptr(), arena.len(), &cfg, &mut err, &mut ctl) };
        assert_eq!(r, lp_result::LP_OK, "{err:?}");
        CSide {
            _arena: arena,
            ctl,
            points: P,
        }
    }

    fn step(
        &mut self,
        station_in: (bool, bool),
        points: &[lp_point_inputs],
        nodes: &[lp_node_inputs],
        now_ms: u64,
    ) -> (Vec<lp_point_output>, u32, u64) {
        let mut out = vec![lp_point_output::default(); self.points];
        let inputs = lp_inputs {
            in1_closed: station_in.0.into(),
            in2_closed: station_in.1.into(),
            points: points.as_ptr(),
            points_len: points.len() as u32,
            nodes: nodes.as_ptr(),
            nodes_len: nodes.len() as u32,
        };
        let mut outs = lp_outputs {
            points: out.as_mut_ptr(),
            points_len: out.len() as u32,
            station_errors: 0xDEAD,
            next_deadline_ms: 0xDEAD,
        };
        let r = unsafe { lp_step(self.ctl, &inputs, now_ms, &mut outs) };
        assert_eq!(r, lp_result::LP_OK);
        (out, outs.station_errors, outs.next_deadline_ms)
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

fn station_for_errors() -> (CSide, Vec<lp_point_inputs>, Vec<lp_node_inputs>) {
    let mut raw = two_point_station(32_000);
    raw.timers.stagger_ms = 0;
    let c = CSide::new(&raw);
    let pin = vec![lp_point_inputs::default(); 2];
    let nin = vec![lp_node_inputs::default(); 1];
    (c, pin, nin)
}

fn try_step(c: &mut CSide, pin: &[lp_point_inputs], nin: &[lp_node_inputs]) -> lp_result {
    let mut out = vec![lp_point_output::default(); 2];
    let inputs = lp_inputs {
        in1_closed: 0,
        in2_closed: 0,
        points: pin.as_ptr(),
        points_len: 2,
        nodes: nin.as_ptr(),
        nodes_len: 1,
    };
    let mut outs = lp_outputs {
        points: out.as_mut_ptr(),
        points_len: 2,
        station_errors: 0,
        next_deadline_ms: 0,
    };
    unsafe { lp_step(c.ctl, &inputs, 0, &mut outs) }
}

/// Proves STYLE.md "wire values" for the ABI: every boolean (0/1), enum and flag field of
/// `lp_point_inputs` / `lp_node_inputs` refuses a value out of range with LP_BAD_ENUM, and the
/// same step with the field back in range passes.
#[test]
fn every_input_enum_and_boolean_field_is_range_checked() {
    let (mut c, pin, nin) = station_for_errors();
    assert_eq!(try_step(&mut c, &pin, &nin), lp_result::LP_OK);
    type Setter = fn(&mut lp_point_inputs);
    let point_fields: [(&str, Setter); 27] = [
        ("has_cp", |p| p.has_cp = 2),
        ("vehicle", |p| p.vehicle = 7),
        ("has_pp", |p| p.has_pp = 2),
        ("domestic", |p| p.domestic = 2),
        ("has_contactor_feedback", |p| p.has_contactor_feedback = 2),
        ("contactor_feedback", |p| {
            p.has_contactor_feedback = 1;
            p.contactor_feedback = 2
        }),
        ("has_temperature", |p| p.has_temperature = 2),
        ("has_meter", |p| p.has_meter = 2),
        ("reset", |p| p.reset = 2),
        ("has_badge", |p| p.has_badge = 2),
        ("badge_kind", |p| {
            p.has_badge = 1;
            p.badge_kind = 4
        }),
        ("badge_booker", |p| {
            p.has_badge = 1;
            p.badge_booker = 2
        }),
        ("badge_cached", |p| {
            p.has_badge = 1;
            p.badge_cached = 2
        }),
        ("remote", |p| p.remote = 5),
        ("offline", |p| p.offline = 2),
        ("has_lock_feedback", |p| p.has_lock_feedback = 2),
        ("lock_closed", |p| {
            p.has_lock_feedback = 1;
            p.lock_closed = 2
        }),
        ("has_shutter_feedback", |p| p.has_shutter_feedback = 2),
        ("shutter_open", |p| {
            p.has_shutter_feedback = 1;
            p.shutter_open = 2
        }),
        ("authorised", |p| p.authorised = 2),
        ("vip", |p| p.vip = 2),
        ("has_measured", |p| p.has_measured = 2),
        ("has_ev_limit", |p| p.has_ev_limit = 2),
        ("has_cable_limit", |p| p.has_cable_limit = 2),
        ("has_setpoint", |p| p.has_setpoint = 2),
        ("commands", |p| p.commands = 1 << 6),
        ("vehicle (u32 above u8)", |p| p.vehicle = 256),
    ];
    for (name, set) in point_fields {
        for k in 0..2 {
            let mut bad = pin.clone();
            set(&mut bad[k]);
            assert_eq!(
                try_step(&mut c, &bad, &nin),
                lp_result::LP_BAD_ENUM,
                "{name} of point {k}"
            );
        }
    }
    type NodeSetter = fn(&mut lp_node_inputs);
    let node_fields: [(&str, NodeSetter); 2] = [
        ("has_setpoint", |n| n.has_setpoint = 2),
        ("has_site", |n| n.has_site = 3),
    ];
    for (name, set) in node_fields {
        let mut bad = nin.clone();
        set(&mut bad[0]);
        assert_eq!(
            try_step(&mut c, &pin, &bad),
            lp_result::LP_BAD_ENUM,
            "{name}"
        );
    }
    assert_eq!(try_step(&mut c, &pin, &nin), lp_result::LP_OK);
}

/// Proves the sizing contract: init refuses memory one byte short and memory that is
/// not aligned, accepts exactly `lp_controller_size` bytes, and a controller copied elsewhere is
/// refused there.
#[test]
fn init_needs_exactly_the_size_and_alignment_it_reports() {
    let raw = two_point_station(32_000);
    let pts: Vec<_> = raw.points.iter().map(point_config_to_c).collect();
    let nodes: Vec<_> = raw.nodes.iter().map(node_config_to_c).collect();
    let mut cfg = config_to_c_general(&raw);
    cfg.points = pts.as_ptr();
    cfg.points_len = 2;
    cfg.nodes = nodes.as_ptr();
    cfg.nodes_len = 1;
    let mut size = 0;
    assert_eq!(
        unsafe { lp_controller_size(2, 1, &mut size) },
        lp_result::LP_OK
    );
    let mut arena = Arena::new(size + 64);
    let mut ctl = core::ptr::null_mut();
    let mut err = MaybeUninit::<lp_config_error>::uninit();
    let init = |mem, len, ctl: &mut *mut lp_controller, err: *mut lp_config_error| unsafe {
        lp_controller_init(mem, len, &cfg, err, ctl)
    };
    assert_eq!(
        init(arena.ptr(), size - 1, &mut ctl, err.as_mut_ptr()),
        lp_result::LP_BUFFER_TOO_SMALL
    );
    assert!(ctl.is_null());
    let odd = unsafe { arena.ptr().cast::<u8>().add(4) }.cast();
    assert_eq!(
        init(odd, size, &mut ctl, err.as_mut_ptr()),
        lp_result::LP_MISALIGNED
    );
    assert_eq!(
        init(arena.ptr(), size, &mut ctl, err.as_mut_ptr()),
        lp_result::LP_OK
    );
    assert_eq!(ctl.cast(), arena.ptr());
    let mut copy = Arena::new(size);
    unsafe { core::ptr::copy_nonoverlapping(arena.ptr().cast::<u8>(), copy.ptr().cast(), size) };
    let (mut np, mut nn) = (0, 0);
    assert_eq!(
        unsafe { lp_controller_counts(copy.ptr().cast(), &mut np, &mut nn) },
        lp_result::LP_NOT_INITIALIZED
    );
    assert_eq!(
        unsafe { lp_controller_counts(ctl, &mut np, &mut nn) },
        lp_result::LP_OK
    );
    assert_eq!((np, nn), (2, 1));
}

/// Proves AU-3 through the ABI: a booked point refuses a badge that is not the booker's and
/// reports it as last error, exactly as core does.
#[test]
fn au3_booked_point_refuses_other_badges_through_the_abi() {
    let mut raw = two_point_station(32_000);
    raw.timers.stagger_ms = 0;
    raw.session.auth_location = AuthLocation::ChargingStation;
    let mut c = CSide::new(&raw);
    let mut pin = vec![lp_point_inputs::default(); 2];
    let nin = vec![lp_node_inputs::default(); 1];
    pin[0].authorised = 1;
    pin[0].commands = LP_COMMAND_BOOKED;
    pin[0].has_badge = 1;
    pin[0].badge_id = 9;
    pin[0].badge_kind = lp_badge_kind::LP_BADGE_USER as u32;
    let (out, _, _) = c.step((false, false), &pin, &nin, 0);
    let (out2, _, _) = c.step((false, false), &pin, &nin, 10);
    let last = out2[0].last_error;
    assert_eq!(
        last,
        lp_last_error::LP_LAST_ERROR_BADGE_IS_NOT_THE_BOOKER as u8,
        "{out:?} {out2:?}"
    );
}
