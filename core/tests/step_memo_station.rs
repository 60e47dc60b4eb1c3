//! The station's memo in the working memory (`StationWork`): a step whose points all come from
//! their memos with the readings of the last step, over nodes as they were, repeats the last
//! step's decisions of the passes between preparation and outputs (selection, water-filling,
//! transfer) until a time they read runs out. As in `step_memo.rs`, every step is checked against
//! the same step from the same state with fresh working memory (`step_checked`): a steady shared
//! station (LB-4), a rise held by the rise interval (PS-5), a point waiting its minimum pause
//! (LB-6, LB-3), working memory put together from different steps (LB-4), measurements that
//! jitter, a node over its limit within the response time and a rise held by the count (LB-9),
//! and the rotation (LB-13).

mod common;

use common::Slices;
use common::memo_site::{Site, set_point_raw};
use loadpilot_core::{AllocReason, Config, StationErrors};

/// LB-4: two points sharing a station limit, steady: nearly every step repeats the last one's
/// passes, and each equals the computation (outputs, deadline, errors, state).
#[test]
fn lb4_a_steady_shared_station_repeats_its_passes_and_equals_the_computation() {
    let mut s = Site::two_points(40_000);
    s.until(10_000);
    assert_eq!(s.out(0).allocation_ma + s.out(1).allocation_ma, 40_000);
    let before = s.used;
    s.until(20_000);
    assert!(
        s.used.repeated - before.repeated >= 900,
        "{} of 1,000 steps repeated",
        s.used.repeated - before.repeated
    );
    assert_eq!(s.out(0).allocation_ma + s.out(1).allocation_ma, 40_000);
}

/// PS-5 / LB-4: after a cut and two raises of the station's set point, the second rise of the
/// one charging point waits for the rise interval (reason rate limit) under constant inputs
/// while the steps repeat; it comes in the step in which the interval runs out, as without the
/// memo.
#[test]
fn ps5_a_rise_held_by_the_rise_interval_comes_on_time_while_steps_repeat() {
    let mut s = Site::under_set_point(true);
    s.evs[1].plugged = false;
    s.set_point(40_000);
    s.until(30_000);
    assert_eq!(s.out(0).allocation_ma, 32_000);
    s.set_point(16_000);
    let t = s.now + 2_000;
    s.until(t);
    assert_eq!(s.out(0).allocation_ma, 16_000);
    // A first rise (the last was long ago), then the next one waits.
    s.set_point(24_000);
    s.step_with(|_| {});
    assert_eq!(s.out(0).allocation_ma, 24_000);
    s.set_point(40_000);
    s.step_with(|_| {});
    let (held, repeated) = s.wait_while(0, AllocReason::RateLimit, 30_000, |s| {
        s.out(0).allocation_ma < 32_000
    });
    assert!(held > 100, "held {held} steps by the rise interval");
    assert!(repeated > 100, "{repeated} steps repeated");
}

/// LB-6 / LB-3: a point shed by a lower limit waits its minimum pause before it may start again;
/// the limit comes back at once, so it waits only for its pause, under constant inputs, while
/// the steps repeat; it starts in the step in which the pause runs out, as without the memo.
#[test]
fn lb6_a_waiting_point_starts_when_its_pause_runs_out_while_steps_repeat() {
    let mut raw = set_point_raw(true);
    raw.timers.min_pause_ms = 20_000;
    let mut s = Site::new(Config::new(raw).expect("valid"));
    s.set_point(40_000);
    s.until(30_000);
    assert!(s.out(0).contactor && s.out(1).contactor);
    // 8 A: room for one minimum only: one point is shed.
    s.set_point(8_000);
    let t = s.now + 3_000;
    s.until(t);
    let shed = usize::from(s.out(0).allocation_ma > 0);
    assert_eq!(s.out(shed).allocation_ma, 0, "one point shed");
    s.set_point(40_000);
    let (paused, repeated) = s.wait_while(shed, AllocReason::MinimumPause, 60_000, |s| {
        s.out(shed).allocation_ma == 0
    });
    assert!(paused > 100, "paused {paused} steps");
    assert!(repeated > 100, "{repeated} steps repeated");
}

/// Two points charging under a 40 A set point for 20 s, then under 30 A for 20 s: the station
/// then, and its memory at the end of the 40 A part (to put parts of it back).
fn forty_then_thirty_amps() -> (Site, Slices) {
    let mut s = Site::under_set_point(true);
    s.set_point(40_000);
    s.until(20_000);
    let at_forty = s.m.clone();
    s.set_point(30_000);
    let t = s.now + 20_000;
    s.until(t);
    (s, at_forty)
}

/// The station's memo is tied to the points' working memory of the same step: the points' part
/// put back to an older copy (its memos those of another allocation), the station's part kept,
/// and the other way round, every step still equals the computation.
#[test]
fn a_working_memory_put_together_from_different_steps_is_served_right() {
    let (mut s, at_forty) = forty_then_thirty_amps();
    let old_points = (at_forty.work, at_forty.node_work);
    let old_station = at_forty.station_work;
    let before = s.used.repeated;
    // The points' memory of the 40 A step, the station's of now.
    (s.m.work, s.m.node_work) = old_points.clone();
    let t = s.now + 5_000;
    s.until(t);
    // The station's memory of the 40 A step, the points' of now; then both of then.
    s.m.station_work = old_station;
    let t = s.now + 5_000;
    s.until(t);
    (s.m.work, s.m.node_work) = old_points;
    s.m.station_work = old_station;
    let t = s.now + 5_000;
    s.until(t);
    assert_eq!(s.out(0).allocation_ma + s.out(1).allocation_ma, 30_000);
    assert!(s.used.repeated > before + 1_000, "{:?}", s.used);
}

/// LB-4: the memo of the last water-filling is one memo across the points' and the nodes' parts
/// of the working memory: the points' part of a step under a 40 A set point put back under the
/// nodes' part of a later one under 30 A (every input the water-filling compares then equals
/// the memo's, but its targets are of 40 A) is not taken for a memo, and every step equals the
/// computation (`step_checked`). (Before the parts carried their computation's mark, the step
/// after the put-back served the 40 A targets: the allocation held at 15 A by the LB-9 count,
/// with the reason "transfer" where the computation gives "set point".)
#[test]
fn lb4_the_points_part_of_the_working_memory_from_another_step_is_served_right() {
    let (mut s, at_forty) = forty_then_thirty_amps();
    s.m.work = at_forty.work;
    let t = s.now + 5_000;
    s.until(t);
    assert_eq!(s.out(0).allocation_ma + s.out(1).allocation_ma, 30_000);
    assert_eq!(s.out(0).reason, AllocReason::SetPoint);
}

/// LB-9: readings that change within their bands every step (an ammeter's jitter) keep the
/// points' memos, and the station's too where no node is over a limit and no point is free to
/// rise: the passes then read no measured current.
#[test]
fn lb9_jittering_measurements_repeat_the_passes_where_nothing_rises() {
    let mut s = Site::two_points(40_000);
    s.until(10_000);
    let before = s.used;
    for k in 0..1_000u32 {
        s.step_with(|pin| {
            for p in pin.iter_mut() {
                if let Some(m) = p.measured_ma.as_mut() {
                    m[0] = m[0].saturating_sub(1 + k % 2);
                }
            }
        });
    }
    assert!(s.used.repeated - before.repeated > 900, "{:?}", s.used);
    assert!(s.used.prep - before.prep > 1_800, "{:?}", s.used);
}

/// LB-9: a supply that binds (two EVs at 20 A each under 40 A) and an EV whose reading jitters
/// above its allocation by up to 0.2 A (within its tolerance): the node's measured total goes
/// over the limit in two steps of three, each time for less than the response time. Only the
/// node's own timer changes then, so the station's memo holds through it. When the EV stays
/// 0.5 A above for longer than the response time, the stops run and stop it in the same step as
/// without the memo (every step is checked against fresh working memory), with the steps in
/// between repeated.
#[test]
fn lb9_a_node_over_its_limit_within_the_response_time_repeats_the_passes() {
    let mut s = Site::two_points(40_000);
    s.until(10_000);
    assert_eq!(
        (s.out(0).allocation_ma, s.out(1).allocation_ma),
        (20_000, 20_000)
    );
    let before = s.used;
    for k in 0..1_000u32 {
        s.step_with(|pin| {
            if let Some(m) = pin[0].measured_ma.as_mut() {
                m.iter_mut().for_each(|x| *x += 100 * (k % 3));
            }
        });
    }
    assert!(s.used.repeated - before.repeated > 900, "{:?}", s.used);
    assert!(!s.m.station_out.errors.contains(StationErrors::OVERLOAD));
    assert!(s.out(0).contactor && s.out(1).contactor);
    // Over the limit for good from `t0`.
    let (t0, before) = (s.now, s.used);
    let response = u64::from(s.cfg.raw().timers.ev_response_ms);
    while s.out(0).contactor {
        s.step_with(|pin| {
            if let Some(m) = pin[0].measured_ma.as_mut() {
                m.iter_mut().for_each(|x| *x += 500);
            }
        });
        assert!(s.now <= t0 + response + 100, "no stop by {} ms", s.now);
    }
    let stopped_at = s.now - s.period;
    assert!(
        stopped_at >= t0 + response,
        "stopped at {stopped_at} ms, over since {t0} ms"
    );
    assert!(s.m.station_out.errors.contains(StationErrors::OVERLOAD));
    assert_eq!(s.out(0).reason, AllocReason::EvOverCurrent);
    assert!(s.out(1).contactor);
    assert!(
        s.used.repeated - before.repeated > 400,
        "{} repeated steps while over",
        s.used.repeated - before.repeated
    );
}

/// LB-9: a point held below its target by the count (another point's EV draws 1.5 A above its
/// allocation, within the tolerance, and lets its current sag by a milliampere every 2 s): the
/// transfer reads the measured currents in every step in which the held point is free to try,
/// so those steps are not repeated, and the held point takes each milliampere that comes free
/// in the step it comes free (the rise interval of 1 s past), as without the memo.
#[test]
fn lb9_a_rise_held_by_the_count_reads_the_measured_currents() {
    let mut raw = set_point_raw(true);
    raw.timers.rise_interval_ms = 1_000;
    let mut s = Site::new(Config::new(raw).expect("valid"));
    s.set_point(40_000);
    s.until(20_000);
    assert_eq!(s.out(1).allocation_ma, 20_000);
    s.evs[1].draw_ma = Some(21_500);
    let t = s.now + 2_000;
    s.until(t);
    // Room for point 0 to rise, but the count holds it.
    s.set_point(41_500);
    let mut held = 0;
    let mut rose = 0;
    let before = s.used;
    for k in 0..3_000u32 {
        let a0 = s.out(0).allocation_ma;
        s.step_with(|pin| {
            if let Some(m) = pin[1].measured_ma.as_mut() {
                for x in m.iter_mut() {
                    *x = x.saturating_sub(k / 200);
                }
            }
        });
        held += usize::from(s.out(0).reason == AllocReason::Transfer);
        rose += usize::from(s.out(0).allocation_ma > a0);
    }
    assert!(
        held > 1_000 && rose >= 14,
        "held {held} rose {rose}: {:?}",
        s.out(0)
    );
    // (The other point, below its share too, is held by the count all along: no step repeats.)
    assert_eq!(s.used.repeated, before.repeated);
}

/// LB-13: two points, room for one: the waiting one takes the other's place when the rotation
/// interval runs out, under constant inputs while the steps in between repeat, in the same step
/// as without the memo; and again an interval later.
#[test]
fn lb13_the_rotation_comes_on_time_while_steps_repeat() {
    let mut raw = set_point_raw(true);
    raw.timers.min_pause_ms = 2_000;
    raw.timers.min_run_ms = 2_000;
    raw.rotation_interval_ms = Some(60_000);
    let mut s = Site::new(Config::new(raw).expect("valid"));
    // Room for one start threshold (1.5 × 14 A), not for two minimums.
    s.set_point(24_000);
    s.until(15_000);
    let first = usize::from(s.out(0).allocation_ma == 0);
    assert!(
        s.out(first).allocation_ma > 0 && s.out(1 - first).allocation_ma == 0,
        "{:?} {:?}",
        s.out(0),
        s.out(1)
    );
    let before = s.used;
    let mut swaps = Vec::new();
    let mut charging = first;
    let t = s.now + 185_000;
    while s.now <= t {
        s.step_with(|_| {});
        if s.out(1 - charging).allocation_ma > 0 {
            charging = 1 - charging;
            swaps.push(s.now);
        }
    }
    assert!(swaps.len() >= 2, "rotations at {swaps:?}");
    assert!(
        s.used.repeated - before.repeated > 10_000,
        "{:?}",
        s.used.repeated - before.repeated
    );
    // The station's state put back to its copy from just before the last rotation (its last
    // rotation the one before), the points' kept: the next rotation is due at once, not as the
    // working memory's last step knew it.
    let before_swap = loop {
        let st = s.m.station;
        s.step_with(|_| {});
        if s.out(1 - charging).allocation_ma > 0 {
            charging = 1 - charging;
            break st;
        }
    };
    let t = s.now + 5_000;
    s.until(t);
    s.m.station = before_swap;
    let started = s.now;
    while s.out(1 - charging).allocation_ma == 0 {
        s.step_with(|_| {});
        assert!(s.now < started + 10_000, "the overdue rotation comes");
    }
}

/// LB-13: the station's memo is tied to the station's state it was made with: two stations in
/// lockstep, alike but for when their second EV came (so their rotations fall at different
/// times), and in many steps a copy of the first stepped with the second's station state (its
/// last rotation earlier): every such step equals the computation without the memo, and some
/// of them rotate where the first station's memory alone would have repeated its last step.
#[test]
fn lb13_a_station_state_with_another_last_rotation_is_served_right() {
    let mut raw = set_point_raw(true);
    raw.timers.min_pause_ms = 2_000;
    raw.timers.min_run_ms = 2_000;
    raw.rotation_interval_ms = Some(60_000);
    let cfg = Config::new(raw).expect("valid");
    let mut a = Site::new(cfg.clone());
    let mut b = Site::new(cfg.clone());
    a.set_point(24_000);
    b.set_point(24_000);
    a.evs[1].plugged = false;
    let mut differed = 0;
    while a.now <= 300_000 {
        if a.now == 70_000 {
            // After `b`'s first rotation (at 60 s): `a` rotates when its minimums allow, and
            // then an interval later than `b`.
            a.evs[1].plugged = true;
        }
        if a.now > 100_000 && a.now.is_multiple_of(500) {
            // A copy of `a` with `b`'s station state, stepped (and checked) once.
            let mut c = Site::new(cfg.clone());
            c.m = a.m.clone();
            c.evs = a.evs.clone();
            c.nin = a.nin.clone();
            c.now = a.now;
            c.m.station = b.m.station;
            let mut d = Site::new(cfg.clone());
            d.m = a.m.clone();
            d.evs = a.evs.clone();
            d.nin = a.nin.clone();
            d.now = a.now;
            c.step_with(|_| {});
            d.step_with(|_| {});
            differed += usize::from(c.m.outputs != d.m.outputs);
        }
        a.step_with(|_| {});
        b.step_with(|_| {});
    }
    assert!(differed > 0, "the other station state changed some step");
    assert!(a.used.repeated > 10_000, "{:?}", a.used);
}
