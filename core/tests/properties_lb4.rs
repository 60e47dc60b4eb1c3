//! The LB-4 property (SPEC §3): after random sequences over random valid configurations, with the
//! inputs held steady, the allocations equal the water-filling target (VIP first, max–min fair,
//! leftover mA to the lowest index, TREE-1 constraints per node and supply phase, LB-12 phases,
//! LB-10 idle EVs at their minimum), computed independently here from the definition in the brief,
//! not taken from core (STYLE.md "Tests": invariants as properties, valid configurations by
//! construction). The reference itself is proved on hand-computed cases.
//!
//! The random stations, the simulated site and the checks of every step (checked on the way) are
//! in `common/station_gen.rs` and its modules.
//!
//! Failing seeds are kept in `core/proptest-regressions/properties-lb4.txt`; minimal cases found by
//! this property (LB-3 and LB-12 on a phase revert, LB-10 without a measurement) are replayed as
//! plain `#[test]`s at the end of this file.

mod common;

use common::station_gen::run::{new_sim, run_events, run_property};
use common::station_gen::sim::{Checks, Sim, ensure, fresh, mask_of};
use common::station_gen::{Dt, Model, scenario};
use loadpilot_core::{
    NodeConfig, Phase, PhaseCount, PilotOutput, PointConfig, PointFlags, PointOutput,
    ProductFamily, RawConfig, VehicleState,
};

// ---------------------------------------------------------------------------------------------
// Settling the simulated site, and comparing its allocations with the reference target.
// ---------------------------------------------------------------------------------------------

impl Sim {
    /// LB-4: holds the inputs steady, with EVs that follow at once and draw exactly their
    /// signal (no jitter), until every timer has run out and the outputs stopped changing;
    /// returns an error if they never settle.
    fn settle(&mut self) -> Result<(), String> {
        for ev in &mut self.evs {
            ev.model = Model::Follow;
            ev.undershoot = 0;
            ev.jitter = 0;
            ev.pending = None;
        }
        let now = self.now;
        let validity = self.raw().timers.setpoint_validity_ms;
        for n in 0..self.nin.len() {
            let sp = self.nin[n].setpoint;
            if fresh(sp, now, validity).is_some() {
                self.node_refresh[n] = true;
            } else if sp.is_some_and(|s| s.received_ms > now) {
                self.nin[n].setpoint = None;
            }
        }
        for i in 0..self.pin.len() {
            let sp = self.pin[i].setpoint;
            if fresh(sp, now, validity).is_some() {
                self.point_refresh[i] = true;
            } else if sp.is_some_and(|s| s.received_ms > now) {
                self.pin[i].setpoint = None;
            }
        }
        let tm = self.raw().timers;
        let p = u64::from(tm.sample_period_ms);
        let longest = [
            tm.min_pause_ms,
            tm.min_run_ms,
            tm.rise_interval_ms,
            tm.idle_ms,
            tm.phase_detection_ms,
            tm.ev_response_ms,
            tm.grace_ms,
        ]
        .into_iter()
        .max()
        .unwrap_or(0);
        let window = u64::from(longest) + 10 * p;
        let stagger_end = self.first_ms + u64::from(tm.stagger_ms) * self.pin.len() as u64;
        let start = self.now;
        let cap = start + 30 * window;
        let snap = |s: &Sim| -> Vec<(u32, bool, PilotOutput, u32)> {
            s.out
                .iter()
                .map(|o| (o.allocation_ma, o.contactor, o.pilot, mask_of(o).into()))
                .collect()
        };
        let mut last = snap(self);
        let mut last_change = self.now;
        loop {
            self.advance(Dt::Tick(tm.sample_period_ms));
            self.run_step()?;
            let s = snap(self);
            if s != last {
                last = s;
                last_change = self.now;
            }
            if self.now - last_change >= window && self.now >= stagger_end {
                return Ok(());
            }
            ensure!(
                self.now < cap,
                "LB-4: outputs still change after {} ms of steady inputs",
                self.now - start
            );
        }
    }

    /// LB-4: the allocations equal the reference water-filling target over the points that
    /// have an allocation.
    fn check_target(&mut self) -> Result<(), String> {
        let raw = self.raw();
        let t = &raw.thresholds;
        let nn = raw.nodes.len();
        let limits: Vec<[u32; 3]> = (0..nn).map(|n| self.node_limit(n)).collect();
        let mut pts = Vec::new();
        let mut idx = Vec::new();
        for (i, o) in self.out.iter().enumerate() {
            if o.allocation_ma == 0 {
                continue;
            }
            let mask = mask_of(o);
            // LB-12: after the detection time, a three-phase point whose measured EV draws on
            // one phase only is a single-phase charge on that phase's supply phase; drawing on
            // all three phases, or without detection or measurement, it is three-phase.
            let pc = &raw.points[i];
            if pc.phases == PhaseCount::Three {
                let tol = t.phase_tolerance_ma;
                let drawing = self.pin[i].measured_ma.map(|m| {
                    (0..3)
                        .filter(|&k| m[k] > tol)
                        .fold(0u8, |acc, k| acc | (1 << k))
                });
                let expected = match drawing {
                    _ if !pc.phase_detection => Some(0b111),
                    None => Some(0b111),
                    Some(0b111) => Some(0b111),
                    Some(d) if d.count_ones() == 1 => {
                        Some(1u8 << pc.wiring[d.trailing_zeros() as usize].index())
                    }
                    // Not drawing (B, or no contactor): the mode stays as it was.
                    Some(_) => None,
                };
                if let Some(e) = expected {
                    ensure!(
                        mask == e,
                        "LB-12: point {i} loads {mask:03b}, expected {e:03b} (points phases \
                         drawing {drawing:?}, wiring {:?})",
                        pc.wiring
                    );
                }
            }
            let min = self.min_for_mask(mask);
            let mut ceil = self.ceiling(i);
            // LB-10: a running EV that draws below the idle threshold gets its minimum.
            let drawn = self.pin[i]
                .measured_ma
                .map(|m| m.into_iter().max().unwrap_or(0));
            if drawn.is_some_and(|d| d < t.idle_threshold_ma) {
                ceil = ceil.min(min);
            }
            ensure!(
                ceil >= min,
                "LB-3: point {i} selected with a ceiling {ceil} below its minimum {min}"
            );
            pts.push(RefPoint {
                nodes: self.anc[i].clone(),
                mask,
                min,
                ceil,
                vip: self.pin[i].vip,
            });
            idx.push(i);
        }
        let target = water_fill(&limits, &pts);
        if pts.len() >= 2 {
            self.stats.shared += 1;
        }
        if pts.iter().zip(&target).any(|(p, t)| *t < p.ceil) {
            self.stats.bound += 1;
        }
        let mut diff = Vec::new();
        for (k, &i) in idx.iter().enumerate() {
            if self.out[i].allocation_ma != target[k] {
                diff.push((
                    i,
                    self.out[i].allocation_ma,
                    target[k],
                    self.out[i].reason,
                    self.out[i].reason_node,
                    self.pin[i].vehicle,
                    self.pin[i].measured_ma,
                ));
            }
        }
        ensure!(
            diff.is_empty(),
            "LB-4: (point, allocation, target, reason, node, vehicle, measured) differ: {diff:?}\nlimits {limits:?}\nselected {:?}",
            idx.iter()
                .zip(&pts)
                .map(|(i, p)| (*i, p.mask, p.min, p.ceil, p.vip))
                .collect::<Vec<_>>()
        );
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// The LB-4 reference target, written from the definition in the brief:
// the selected points start at their minimum; VIP points are filled first (non-VIP held at their
// minimum), then the others (VIP held); in each fill, the lowest unfrozen points are raised 1 mA
// per round in index order, each only while its ceiling and every (node, phase) constraint it
// loads have ≥ 1 mA room, otherwise it freezes. Whole rounds are taken in one go where every
// point of the lowest level can take them.
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Debug)]
struct RefPoint {
    nodes: Vec<usize>,
    mask: u8,
    min: u32,
    ceil: u32,
    vip: bool,
}

fn water_fill(limits: &[[u32; 3]], pts: &[RefPoint]) -> Vec<u32> {
    let mut room: Vec<[i64; 3]> = limits.iter().map(|l| l.map(i64::from)).collect();
    let loads = |p: &RefPoint| {
        let mut v = Vec::new();
        for &n in &p.nodes {
            for ph in 0..3 {
                if p.mask & (1 << ph) != 0 {
                    v.push((n, ph));
                }
            }
        }
        v
    };
    let mut level: Vec<i64> = pts.iter().map(|p| i64::from(p.min)).collect();
    for p in pts {
        for (n, ph) in loads(p) {
            room[n][ph] -= i64::from(p.min);
        }
    }
    for vip_pass in [true, false] {
        let mut frozen: Vec<bool> = pts
            .iter()
            .zip(&level)
            .map(|(p, l)| p.vip != vip_pass || *l >= i64::from(p.ceil))
            .collect();
        while let Some(lo) = (0..pts.len())
            .filter(|&i| !frozen[i])
            .map(|i| level[i])
            .min()
        {
            let lowest: Vec<usize> = (0..pts.len())
                .filter(|&i| !frozen[i] && level[i] == lo)
                .collect();
            // How many whole rounds every lowest point can take.
            let mut k = (0..pts.len())
                .filter(|&i| !frozen[i] && level[i] > lo)
                .map(|i| level[i] - lo)
                .min()
                .unwrap_or(i64::MAX);
            let mut per: Vec<[i64; 3]> = vec![[0; 3]; limits.len()];
            for &i in &lowest {
                k = k.min(i64::from(pts[i].ceil) - lo);
                for (n, ph) in loads(&pts[i]) {
                    per[n][ph] += 1;
                }
            }
            for n in 0..limits.len() {
                for ph in 0..3 {
                    if per[n][ph] > 0 {
                        k = k.min(room[n][ph].div_euclid(per[n][ph]));
                    }
                }
            }
            if k >= 1 {
                for &i in &lowest {
                    level[i] += k;
                    for (n, ph) in loads(&pts[i]) {
                        room[n][ph] -= k;
                    }
                    if level[i] >= i64::from(pts[i].ceil) {
                        frozen[i] = true;
                    }
                }
                continue;
            }
            // One round, 1 mA each, in index order.
            for &i in &lowest {
                let l = loads(&pts[i]);
                if level[i] < i64::from(pts[i].ceil) && l.iter().all(|&(n, ph)| room[n][ph] >= 1) {
                    level[i] += 1;
                    for (n, ph) in l {
                        room[n][ph] -= 1;
                    }
                    if level[i] >= i64::from(pts[i].ceil) {
                        frozen[i] = true;
                    }
                } else {
                    frozen[i] = true;
                }
            }
        }
    }
    level.into_iter().map(|l| l as u32).collect()
}

/// Proves LB-4: after a random sequence, with inputs held steady and EVs that follow at once
/// and draw exactly their signal, once every timer has run out the allocations equal the
/// water-filling target computed independently here (VIP first, max–min fair, leftover mA to
/// the lowest index), over the points that have an allocation. The every-step rules are checked
/// on the way.
#[test]
fn lb4_steady_state_equals_water_filling_target() {
    run_property(
        "lb4_steady_state_equals_water_filling_target",
        192,
        "proptest-regressions/properties-lb4.txt",
        scenario(200..=300),
        |s| {
            let mut sim = new_sim(s, Checks::default());
            run_events(&mut sim, s)?;
            sim.settle()?;
            sim.check_target()?;
            Ok(sim.stats)
        },
    );
}

// ---------------------------------------------------------------------------------------------
// The reference itself, on hand-computed cases (so that a wrong reference cannot hide a bug).
// ---------------------------------------------------------------------------------------------

fn rp(nodes: &[usize], mask: u8, min: u32, ceil: u32, vip: bool) -> RefPoint {
    RefPoint {
        nodes: nodes.to_vec(),
        mask,
        min,
        ceil,
        vip,
    }
}

/// Proves the LB-4 reference: equal shares, leftover mA to the lowest index, unused headroom to
/// the others, per phase.
#[test]
fn lb4_reference_shares_fairly_and_gives_leftover_to_lowest_index() {
    // 25 A on one phase for three single-phase points: 8 334 / 8 333 / 8 333.
    let pts = [
        rp(&[0], 0b001, 6_000, 32_000, false),
        rp(&[0], 0b001, 6_000, 32_000, false),
        rp(&[0], 0b001, 6_000, 32_000, false),
    ];
    assert_eq!(water_fill(&[[25_000; 3]], &pts), [8_334, 8_333, 8_333]);
    // A low ceiling leaves its headroom to the others.
    let pts = [
        rp(&[0], 0b111, 6_000, 7_000, false),
        rp(&[0], 0b111, 6_000, 32_000, false),
    ];
    assert_eq!(water_fill(&[[30_000; 3]], &pts), [7_000, 23_000]);
    // Per phase: the L2 point does not compete with the L1 points.
    let pts = [
        rp(&[0], 0b001, 6_000, 32_000, false),
        rp(&[0], 0b010, 6_000, 32_000, false),
        rp(&[0], 0b001, 6_000, 32_000, false),
    ];
    assert_eq!(
        water_fill(&[[20_001, 40_000, 0]], &pts),
        [10_001, 32_000, 10_000]
    );
    // Tree: a station of 20 A under a supply of 30 A shared with a third point.
    let pts = [
        rp(&[1, 0], 0b111, 6_000, 32_000, false),
        rp(&[1, 0], 0b111, 6_000, 32_000, false),
        rp(&[0], 0b111, 6_000, 32_000, false),
    ];
    assert_eq!(
        water_fill(&[[30_000; 3], [20_000; 3]], &pts),
        [10_000, 10_000, 10_000]
    );
    let pts = [
        rp(&[1, 0], 0b111, 6_000, 32_000, false),
        rp(&[1, 0], 0b111, 6_000, 32_000, false),
        rp(&[0], 0b111, 6_000, 32_000, false),
    ];
    assert_eq!(
        water_fill(&[[50_000; 3], [20_000; 3]], &pts),
        [10_000, 10_000, 30_000]
    );
}

/// Proves the LB-4 reference: VIP points are filled first, the others held at their minimum.
#[test]
fn lb4_reference_fills_vip_first() {
    let pts = [
        rp(&[0], 0b111, 6_000, 32_000, false),
        rp(&[0], 0b111, 6_000, 32_000, true),
        rp(&[0], 0b111, 6_000, 32_000, false),
    ];
    // 40 A: VIP takes 40 − 2 × 6 = 28 A; nothing left for the others.
    assert_eq!(water_fill(&[[40_000; 3]], &pts), [6_000, 28_000, 6_000]);
    // 60 A: VIP at its ceiling 32 A, the others share 28 A.
    assert_eq!(water_fill(&[[60_000; 3]], &pts), [14_000, 32_000, 14_000]);
}

// ---------------------------------------------------------------------------------------------
// Regressions: minimal cases of property failures, replayed deterministically.
// ---------------------------------------------------------------------------------------------

/// A scripted two-point run over the Controller API: every 10 ms, EVs that follow the signal
/// at once (drawing on point phase L1 only, or on all three), with `script(t, inputs, ev3)`
/// changing the inputs. Returns every step's outputs.
fn scripted_two_points(
    raw: RawConfig<[PointConfig; 2], [NodeConfig; 1]>,
    end_ms: u64,
    script: impl Fn(u64, &mut loadpilot_core::StepInputs<2, 1>, &mut [bool; 2]),
) -> Vec<(u64, [PointOutput; 2])> {
    let mut ctl = loadpilot_core::Controller::<2, 1>::new(raw).expect("valid configuration");
    let mut inp = loadpilot_core::StepInputs::<2, 1>::default();
    let mut ev3 = [false; 2];
    let mut last = [PointOutput::default(); 2];
    let mut trace = Vec::new();
    let mut t = 0;
    while t <= end_ms {
        script(t, &mut inp, &mut ev3);
        for i in 0..2 {
            let v = inp.points[i].vehicle;
            let d = if last[i].contactor && v == VehicleState::C {
                last[i].signal_ma
            } else {
                0
            };
            inp.points[i].measured_ma = Some(if ev3[i] { [d; 3] } else { [d, 0, 0] });
        }
        last = ctl.step(&inp, t).points;
        trace.push((t, last));
        t += 10;
    }
    trace
}

/// Regression of `lb4_steady_state_equals_water_filling_target` (LB-3 on the way), minimised
/// by hand to default thresholds (8 A single-phase, 14 A three-phase minimum).
///
/// Point 0 (three-phase, phase detection) charges a single-phase EV, so it counts as a
/// single-phase charge on L1 and shares the station's 22 A L1 with the single-phase point 1:
/// 11 A each. When point 0's EV starts drawing on a second phase, point 0 reverts to three-phase
/// (LB-12) in the same step, and its minimum becomes 14 A. Its allocation must then be 0 or at
/// least 14 A (LB-3: "a value below the minimum is never raised to it: it becomes 0"); 22 A per
/// phase holds 14 A + 8 A, so point 0 should go to 14 A at once, or stop.
#[test]
fn lb3_lb12_phase_revert_never_leaves_an_allocation_below_the_new_minimum() {
    let mut raw = RawConfig::with_defaults(
        ProductFamily::City,
        [
            PointConfig::three_phase(0, 32_000),
            PointConfig::single_phase(0, 32_000, Phase::L1),
        ],
        [NodeConfig::station(None, 22_000)],
    );
    raw.timers.stagger_ms = 0;
    raw.timers.phase_detection_ms = 1_000;
    raw.timers.min_pause_ms = 0;
    let min = raw.thresholds;
    let trace = scripted_two_points(raw, 12_000, |t, inp, ev3| {
        let p = &mut inp.points;
        p[0].authorised = true;
        p[1].authorised = true;
        p[0].vehicle = VehicleState::C;
        // Point 1 plugs in, leaves, and comes back.
        p[1].vehicle = match t {
            2_000..3_000 | 5_500.. => VehicleState::C,
            _ => VehicleState::A,
        };
        // Point 0's EV draws on L1 only, then on all three phases.
        ev3[0] = t >= 8_000;
    });
    // The story really happens: point 0 is single-phase at 11 A before the revert.
    let before = trace.iter().find(|(t, _)| *t == 7_990).unwrap().1;
    assert_eq!(before[0].alloc_ma, [11_000, 0, 0], "{:?}", before[0]);
    for (t, o) in &trace {
        for (i, o) in o.iter().enumerate() {
            let a = o.allocation_ma;
            let m = mask_of(o);
            let floor = if m.count_ones() == 1 {
                min.min_1ph_ma
            } else {
                min.min_3ph_ma
            };
            assert!(
                a == 0 || a >= floor,
                "LB-3 at {t} ms: point {i} allocation {a} mA on mask {m:03b}, minimum {floor}: {o:?}"
            );
        }
    }
}

/// Regression of `lb4_steady_state_equals_water_filling_target` (LB-10, LB-4).
///
/// An EV in C that draws nothing goes idle after the idle time and its allocation drops to the
/// minimum (LB-10). Then its current measurement disappears (meter lost, `measured_ma: None`).
/// Without a measurement nothing shows that the EV is idle any more ("a point with no current
/// measurement counts its allocation", LB-9), just as a single-phase detection reverts when the
/// measurement is gone (LB-12); a point that never had a measurement is never idle. So with the
/// inputs steady, the allocation must return to the LB-4 target (its 32 A share), not stay at
/// the minimum for the rest of the session.
#[test]
fn lb10_lb4_idle_does_not_outlive_the_measurement() {
    let mut raw = RawConfig::with_defaults(
        ProductFamily::City,
        [PointConfig::three_phase(0, 32_000)],
        [NodeConfig::station(None, 64_000)],
    );
    raw.timers.stagger_ms = 0;
    raw.timers.idle_ms = 2_000;
    raw.timers.rise_interval_ms = 1_000;
    let mut ctl = loadpilot_core::Controller::<1, 1>::new(raw).expect("valid configuration");
    let mut inp = loadpilot_core::StepInputs::<1, 1>::default();
    inp.points[0].vehicle = VehicleState::C;
    inp.points[0].authorised = true;
    let mut t = 0;
    let mut out = PointOutput::default();
    // The EV draws nothing: idle after 2 s.
    while t <= 5_000 {
        inp.points[0].measured_ma = Some([0; 3]);
        out = ctl.step(&inp, t).points[0];
        t += 10;
    }
    assert_eq!(out.allocation_ma, 14_000, "idle at the minimum: {out:?}");
    assert!(out.flags.contains(PointFlags::EV_IDLE));
    // The measurement is gone; everything else stays as it is for a minute.
    while t <= 65_000 {
        inp.points[0].measured_ma = None;
        out = ctl.step(&inp, t).points[0];
        t += 10;
    }
    assert_eq!(
        out.allocation_ma, 32_000,
        "still held idle without any measurement: {out:?}"
    );
}
