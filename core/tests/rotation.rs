//! Rotation under a lasting shortage (LB-13, with the shedding order of LB-5 and the minimum run
//! of LB-6): scenarios through the harness of `common/` (which checks LB-1 and LB-3 in every
//! step).
//!
//! Times are absolute ms from the first step; every test sets the start stagger to 0.

mod common;

use common::site::{MIN, P32, Runs};
use common::{Scenario, station};
use loadpilot_core::{
    AllocReason, NodeConfig, Phase, PointConfig, PointFlags, ProductFamily, RawConfig, VehicleState,
};

// ---- LB-13 ----

/// The time of the second step (one sample period): SU-1 starts nothing at the first.
fn second_step<const P: usize, const N: usize>(s: &Scenario<P, N>) -> u64 {
    u64::from(s.ctl().config().raw().timers.sample_period_ms)
}

/// `points` on a station of `limit_ma`, rotating every `rotation_ms`, nothing plugged in.
fn rotating<const P: usize>(
    limit_ma: u32,
    points: [PointConfig; P],
    rotation_ms: Option<u32>,
) -> Scenario<P, 1> {
    let mut raw = station(limit_ma, points);
    raw.rotation_interval_ms = rotation_ms;
    // A 40 ms period keeps the hours-long runs short (PS-1: 40 × 2 + 20 = 100 ms).
    raw.timers.sample_period_ms = 40;
    Scenario::new(raw)
}

/// Three 32 A points on a 40 A station, all plugged in: room for two (14 + 21 fits, 14 + 14 +
/// 21 does not).
fn crowded(rotation_ms: Option<u32>) -> Scenario<3, 1> {
    let mut s = rotating(40_000, [P32; 3], rotation_ms);
    s.plug(0).plug(1).plug(2);
    s
}

/// Proves LB-13: the third point gets its turn one interval after start-up (its minimum pause
/// and the others' minimum run are over by then), replacing the one the shedding priority sheds
/// next (equal starts: the higher index), and nothing else moves.
#[test]
fn lb13_third_point_gets_its_turn_within_one_interval() {
    let mut s = crowded(Some(10 * 60_000));
    let mut runs = Runs::new(3);
    runs.run(&mut s, 10 * MIN - 40);
    assert_eq!(runs.starts(2), Vec::<u64>::new());
    s.expect_alloc(0, 20_000).expect_alloc(1, 20_000);
    runs.run(&mut s, 11 * MIN);
    assert_eq!(runs.sheds, vec![(10 * MIN, 1)]);
    let t = runs.starts(2)[0];
    assert!((10 * MIN..=10 * MIN + 200).contains(&t), "started at {t}");
    s.expect_alloc(0, 20_000)
        .expect_alloc(1, 0)
        .expect_alloc(2, 20_000);
    s.expect_reason_at(1, AllocReason::Shed, 0);
}

/// Proves LB-13: of two waiting points the one that has waited longest gets the turn, not the
/// lower index. Four points on a 40 A station (room for two): points 0, 1 and 3 plug in at the
/// start, 0 and 1 charge, 3 waits; point 2 plugs in a minute later. At 10 min point 3 (waiting
/// since the start) takes point 1's place; at 20 min point 2 (waiting since 1 min) takes the
/// place of point 0, not point 1 (waiting since 10 min).
#[test]
fn lb13_the_point_waiting_longest_gets_the_turn() {
    let mut s = rotating(40_000, [P32; 4], Some(10 * MIN as u32));
    // Unmetered, a point counts its allocation (LB-9): the point shed for the turn frees its
    // current at once, so the turn's point starts in the step of the swap (with the EVs'
    // currents measured, it would wait for them to leave, and be tried again in the start
    // order, which would choose the same).
    for p in 0..4 {
        s.unmetered(p);
    }
    s.plug(0).plug(1).plug(3);
    let mut runs = Runs::new(4);
    runs.run(&mut s, MIN);
    s.plug(2);
    runs.run(&mut s, 10 * MIN - 40);
    assert_eq!(runs.sheds, vec![]);
    s.expect_alloc(0, 20_000).expect_alloc(1, 20_000);
    runs.run(&mut s, 11 * MIN);
    assert_eq!(runs.sheds, vec![(10 * MIN, 1)]);
    assert_eq!(runs.starts(2), Vec::<u64>::new());
    assert_eq!(runs.starts(3), vec![10 * MIN], "point 3 waited longest");
    runs.run(&mut s, 21 * MIN);
    assert_eq!(runs.sheds, vec![(10 * MIN, 1), (20 * MIN, 0)]);
    assert_eq!(runs.starts(1).len(), 1, "point 1 waits since 10 min");
    assert_eq!(runs.starts(2), vec![20 * MIN], "point 2 waited since 1 min");
    s.expect_alloc(0, 0)
        .expect_alloc(1, 0)
        .expect_alloc(2, 20_000)
        .expect_alloc(3, 20_000);
}

/// Proves LB-13 with LB-6: the point whose place the turn takes is shed like any other: flagged
/// shed, and held by its minimum pause (60 s) even where room comes back sooner. At 10 min
/// point 2 takes point 1's place; at 10 min 20 s point 0 leaves; point 1 is selected again at 11
/// min.
#[test]
fn lb13_lb6_the_point_rotated_out_is_shed_and_keeps_its_minimum_pause() {
    let mut s = crowded(Some(10 * 60_000));
    let mut runs = Runs::new(3);
    runs.run(&mut s, 10 * MIN + 20_000);
    assert_eq!(runs.sheds, vec![(10 * MIN, 1)]);
    s.expect_flag(1, PointFlags::SHED, true);
    s.unplug(0);
    runs.run(&mut s, 11 * MIN - 40);
    s.expect_reason(1, AllocReason::MinimumPause)
        .expect_flag(1, PointFlags::SHED, true);
    runs.run(&mut s, 11 * MIN + 1_000);
    // Selected at 11 min, its current comes a sample later: point 2, risen to 32 A alone,
    // follows its cut a sample late (LB-9).
    assert_eq!(runs.starts(1), vec![40, 11 * MIN + 40]);
}

/// Proves LB-13 with LB-12: the turn takes the place of a point on the waiting point's phase.
/// Single-phase points on a 12 A station: point 0 on L1 and point 1 on L2 charge, point 2 on L1
/// waits (its 12 A start threshold does not fit over point 0's 8 A minimum). At 10 min point 2
/// takes point 0's place, although the shedding order, with equal starts, would shed point 1
/// first: shedding point 1 frees nothing on L1.
#[test]
fn lb13_lb12_the_turn_takes_a_place_on_the_waiting_points_phase() {
    let on = |ph| PointConfig::single_phase(0, 32_000, ph);
    let points = [on(Phase::L1), on(Phase::L2), on(Phase::L1)];
    let mut s = rotating(12_000, points, Some(10 * MIN as u32));
    s.plug(0).plug(1).plug(2);
    let mut runs = Runs::new(3);
    runs.run(&mut s, 10 * MIN - 40);
    assert_eq!(runs.starts(0), runs.starts(1), "equal starts");
    s.expect_phases(0, [12_000, 0, 0])
        .expect_phases(1, [0, 12_000, 0])
        .expect_alloc(2, 0);
    runs.run(&mut s, 11 * MIN);
    assert_eq!(runs.sheds, vec![(10 * MIN, 0)]);
    s.expect_phases(1, [0, 12_000, 0])
        .expect_phases(2, [12_000, 0, 0]);
}

/// Proves LB-13: the turn is for a point that wants current. Point 3's EV is plugged in (C) from
/// the start but not authorised, so it waits longest of all; point 2 plugs in (authorised) a
/// minute later. At 10 min point 2 takes point 1's place in that step (had the turn gone to
/// point 3, point 1 would be shed for nothing and point 2 start a step later, by the start
/// order), and no running point is ever shed for point 3.
#[test]
fn lb13_a_point_that_does_not_want_current_gets_no_turn() {
    let mut s = rotating(40_000, [P32; 4], Some(10 * MIN as u32));
    for p in 0..4 {
        s.unmetered(p); // the turn's point starts in the step of the swap (LB-9)
    }
    s.vehicle(3, VehicleState::C).plug(0).plug(1);
    let mut runs = Runs::new(4);
    runs.run(&mut s, MIN);
    s.plug(2);
    runs.run(&mut s, 31 * MIN);
    assert_eq!(
        runs.sheds,
        vec![(10 * MIN, 1), (20 * MIN, 0), (30 * MIN, 2)],
        "the turns go round points 0, 1 and 2"
    );
    assert_eq!(runs.starts(2), vec![10 * MIN], "in the step of its turn");
    assert_eq!(runs.starts(3), Vec::<u64>::new());
    s.expect_reason(3, AllocReason::NotAuthorised);
}

/// Proves LB-13 with LB-5 in one step: when a shed and a due rotation fall in the same step, the
/// point just shed is already a waiting point for the rotation (with no minimum pause it has
/// waited long enough), so it takes the place of the next point in the shedding order at once,
/// as it would one step later. (A guard on the selection's shortcut: rotation and starts are
/// skipped only when no point waits, the points shed in the step included.)
#[test]
fn lb13_lb5_a_point_shed_in_a_step_whose_rotation_is_due_is_a_candidate() {
    let mut raw = station(64_000, [P32; 3]);
    raw.external_control = true;
    raw.timers.setpoint_validity_ms = 3_600_000;
    raw.timers.min_pause_ms = 0;
    raw.timers.min_run_ms = 0;
    raw.rotation_interval_ms = Some(MIN as u32);
    let mut s = Scenario::new(raw);
    s.node_setpoint(0, 64_000)
        .plug(0)
        .plug(1)
        .plug(2)
        .at(MIN + 5_000);
    assert!((0..3).all(|p| s.point(p).allocation_ma > 21_000));
    // 40 A: the three minimums (42 A) do not fit; one point is shed, and the rotation, due
    // since 1 min, swaps it for the next in the shedding order in the same step.
    s.node_setpoint(0, 40_000).step();
    s.expect_alloc(0, 20_000);
    s.expect_reason_at(1, AllocReason::Shed, 0)
        .expect_alloc(1, 0);
    // Selected in point 1's place, point 2 waits for point 1's current to leave (LB-9).
    s.expect_reason_at(2, AllocReason::Transfer, 0)
        .expect_alloc(2, 0);
}

/// Proves LB-13: over 6 h 10 min with a 15 min interval each point's charging time differs from
/// every other's by no more than one interval; the swaps come one per interval, never two in
/// one interval, and each replaces exactly one point.
#[test]
fn lb13_long_run_shares_charging_time_one_swap_per_interval() {
    let interval = 15 * MIN;
    let mut s = crowded(Some(interval as u32));
    let mut runs = Runs::new(3);
    let end = 370 * MIN;
    runs.run(&mut s, end);
    let (lo, hi) = (
        *runs.charged_ms.iter().min().unwrap(),
        *runs.charged_ms.iter().max().unwrap(),
    );
    assert!(hi - lo <= interval, "charging times {:?}", runs.charged_ms);
    // Every point charged about two thirds of the time.
    assert!(lo >= end * 2 / 3 - interval, "{:?}", runs.charged_ms);
    let times: Vec<u64> = runs.sheds.iter().map(|s| s.0).collect();
    assert_eq!(times.len() as u64, end / interval, "sheds {:?}", runs.sheds);
    for w in times.windows(2) {
        assert!(
            w[1] - w[0] >= interval,
            "two swaps at {} and {} ms",
            w[0],
            w[1]
        );
    }
    assert!(times.iter().all(|t| t % interval < 1_000), "{times:?}");
}

/// Proves LB-13: rotation is off by default: the waiting point waits for hours, nothing is shed.
#[test]
fn lb13_rotation_off_by_default() {
    let raw = RawConfig::with_defaults(
        ProductFamily::City,
        [P32; 3],
        [NodeConfig::station(None, 40_000)],
    );
    assert_eq!(raw.rotation_interval_ms, None);
    let mut s = crowded(raw.rotation_interval_ms);
    let mut runs = Runs::new(3);
    runs.run(&mut s, 180 * MIN);
    assert_eq!(runs.starts(2), Vec::<u64>::new());
    assert_eq!(runs.sheds, vec![]);
    // SU-1: nothing starts at the very first step (every pilot shows +12 V), so at the second.
    let second = second_step(&s);
    assert_eq!(
        (runs.starts(0), runs.starts(1)),
        (vec![second], vec![second])
    );
}

/// Proves LB-13: a VIP is not rotated out for a non-VIP: the two non-VIP points take turns.
#[test]
fn lb13_vip_is_not_rotated_out() {
    let mut s = crowded(Some(10 * 60_000));
    s.vip(0, true);
    let mut runs = Runs::new(3);
    runs.run(&mut s, 65 * MIN);
    assert_eq!(runs.starts(0), vec![second_step(&s)]);
    let shed: Vec<(u64, usize)> = runs.sheds.iter().map(|&(t, p)| (t / MIN, p)).collect();
    assert_eq!(
        shed,
        vec![(10, 1), (20, 2), (30, 1), (40, 2), (50, 1), (60, 2)]
    );
}

/// Proves LB-13: a point is rotated out only after its minimum run time: with a 5 min interval and
/// a 12 min minimum run, the swaps come at 12 min (the first), 17 min (an interval after it) and
/// when the point started just after 12 min has run 12 min (not at 22 min).
#[test]
fn lb13_rotation_waits_for_the_minimum_run() {
    let mut raw = station(40_000, [P32; 3]);
    raw.rotation_interval_ms = Some(5 * 60_000);
    raw.timers.min_run_ms = 12 * 60_000;
    let mut s = Scenario::new(raw);
    s.plug(0).plug(1).plug(2);
    let mut runs = Runs::new(3);
    runs.run(&mut s, 25 * MIN);
    let times: Vec<u64> = runs.sheds.iter().map(|s| s.0).collect();
    // The first two points start at the second step (SU-1), t0.
    let t0 = runs.starts(0)[0];
    let started = runs.starts(2)[0];
    assert!(
        (t0 + 12 * MIN..t0 + 12 * MIN + 100).contains(&started),
        "{started}"
    );
    let third = started + 12 * MIN;
    assert_eq!(
        times,
        vec![t0 + 12 * MIN, t0 + 17 * MIN, third],
        "{:?}",
        runs.sheds
    );
}
