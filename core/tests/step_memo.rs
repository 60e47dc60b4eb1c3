//! The memo of a point's step in the working memory (point.rs `prepare`, drive.rs `finish`):
//! a point whose state, inputs, station conditions and configuration are those of a step that
//! changed nothing of it, with no timer running out, takes its preparation and outputs from the
//! memo. These tests drive stations through the slice API and, at every step, run the same step
//! from the same state with fresh working memory (no memo): the outputs and the whole state must
//! be the same. Each also checks that the memo was used, so that the comparison is not vacuous,
//! and where a timer runs under constant inputs, that the timer's effect comes on time.
//!
//! Here the points' memos: timers that run out under constant inputs (PS-1's debounce, LB-10's
//! idle time, PS-4 and LB-9's offer after a cut, PS-5's grace time, SU-1's closing debounce),
//! steps at one time (SU-3), a new configuration, shared and restored working memory, a cut
//! with the same reason (LB-4, TREE-1), readings that jitter within their bands (PS-1, MT-1),
//! each reading's threshold (PS-1, PS-2, CAB-2, LB-9, LB-10, LB-12, CT-1), a pilot state taken
//! as classified (PS-1) and a point waiting in C (SU-1, LB-6). The station's memo is in
//! `step_memo_station.rs`, the memos through a protection trip (IN-2) in `step_memo_trip.rs`;
//! the station under test (`Site`) and the comparison of each step (`step_checked`) in
//! `common::memo_site`.

mod common;

use common::memo_site::{CP_A_MV, CP_B_MV, CP_C_MV, Site, protection_raw, two_points_raw};
use loadpilot_core::{AllocReason, Config, PointInputs};

/// Steady charging: after the start, nearly every point-step comes from the memo, and the
/// outputs and state equal the computation without it (the energy counts on).
#[test]
fn a_steady_charge_comes_from_the_memo_and_equals_the_computation() {
    let mut s = Site::two_points(63_000);
    s.until(10_000);
    assert!(s.out(0).contactor && s.out(1).contactor, "both charge");
    let before = s.used;
    let e0 = s.out(0).energy_mwh;
    s.until(20_000);
    let steps = 2 * 1_000;
    assert!(
        s.used.prep - before.prep >= steps * 9 / 10 && s.used.fin - before.fin >= steps * 9 / 10,
        "memo used in {:?} of {steps} point-steps",
        s.used
    );
    assert!(
        s.out(0).energy_mwh > e0,
        "the energy counts on from the memo"
    );
}

/// PS-1: the debounce towards C runs while the pilot reading stays the same (constant inputs):
/// the point believes C and closes its contactor on time with the memo as without it.
#[test]
fn ps1_a_debounce_under_constant_inputs_runs_out_with_the_memo() {
    let mut s = Site::two_points(63_000);
    // The EV holds B although PWM is on: constant inputs, the memo forms.
    s.evs[0].cp_mv = Some(CP_B_MV);
    s.evs[1].plugged = false;
    s.until(5_000);
    assert!(!s.out(0).contactor && s.out(0).signal_ma > 0);
    assert!(s.used.prep > 100, "memo used while waiting: {:?}", s.used);
    // Now C, and constant again: the debounce runs under unchanged inputs.
    s.evs[0].cp_mv = Some(CP_C_MV);
    let t0 = s.now;
    s.until(t0 + 1_000);
    assert!(s.out(0).contactor, "closed after the debounce towards C");
}

/// LB-10: an EV that draws below the idle threshold under constant inputs is marked idle after
/// the idle time, with the memo as without it.
#[test]
fn lb10_the_idle_timer_runs_out_under_constant_inputs() {
    let mut s = Site::two_points(63_000);
    s.evs[1].plugged = false;
    s.until(5_000);
    assert!(s.out(0).contactor);
    s.evs[0].draw_ma = Some(0);
    let before = s.used;
    let t0 = s.now;
    let mut idle_at = None;
    while s.now <= t0 + 600_000 && idle_at.is_none() {
        s.until(s.now);
        if s.out(0).reason == AllocReason::EvIdle {
            idle_at = Some(s.now);
        }
    }
    assert!(idle_at.is_some(), "the point goes idle");
    assert!(
        s.used.prep > before.prep + 100,
        "memo used while the idle timer ran"
    );
}

/// PS-4 / LB-9: after a cut the old offer stays the reference for the response time and then
/// expires; the limit comes from an external set point that stays the same for long stretches.
#[test]
fn ps4_the_offer_expires_after_a_cut_with_the_memo() {
    let mut s = Site::under_set_point(false);
    s.set_point(63_000);
    s.until(5_000);
    assert!(s.out(0).contactor && s.out(1).contactor);
    // Refreshed every second only: the inputs stay the same in between.
    for k in 0..30 {
        s.set_point(if k < 10 { 63_000 } else { 20_000 });
        let t = s.now + 1_000;
        s.until(t);
    }
    assert!(s.out(0).allocation_ma <= 10_000);
    assert!(s.used.prep > 1_000, "memo used: {:?}", s.used);
}

/// The memo is made only in a step in which the clock moved: steps at one time (here while a
/// protection device trips and closes again, core driving State F and stamping its settling
/// window when it ends, SU-2) give the same outputs and state with it as without.
#[test]
fn su3_steps_at_one_time_do_not_make_a_wrong_memo() {
    let mut raw = protection_raw(63_000);
    raw.inputs.in1_polarity = loadpilot_core::Polarity::NormallyClosed;
    let mut s = Site::new(Config::new(raw).expect("valid"));
    s.si.in1_closed = true;
    s.until(5_000);
    for round in 0..20 {
        // Trip and close again, each for a while, with runs of steps at one time.
        s.si.in1_closed = round % 2 == 1;
        for _ in 0..50 {
            let now = s.now;
            s.step_at(now);
            s.step_at(now);
            s.step_at(now);
            s.now += s.period;
        }
    }
    assert!(s.used.prep > 0);
}

/// The memo is tied to the configuration: stepping the same memory under another
/// configuration (a lower rated current) gives that configuration's outputs at once.
#[test]
fn a_new_configuration_is_not_served_from_the_memo_of_the_old() {
    let mut s = Site::two_points(64_000);
    s.until(10_000);
    assert!(s.used.fin > 0);
    assert_eq!(s.out(0).allocation_ma, 32_000);
    let mut raw = two_points_raw(64_000);
    raw.points[0].rated_ma = 16_000;
    raw.points[0].derated_ma = 16_000;
    s.cfg = Config::new(raw).expect("valid");
    let t = s.now + 2_000;
    s.until(t);
    assert_eq!(
        s.out(0).allocation_ma,
        16_000,
        "the new rated current holds"
    );
}

/// Working memory shared by two stations stepped one after the other (allowed: the memo is
/// used only where its keys are this point's, so the two mostly overwrite each other's), then
/// one station alone with its state put back to an earlier snapshot, the working memory kept:
/// every step equals the computation without the memo.
#[test]
fn shared_working_memory_and_a_restored_state_are_served_right() {
    let mut a = Site::two_points(63_000);
    let mut b = Site::two_points(40_000);
    b.evs[1].plugged = false;
    for _ in 0..1_000 {
        // b steps on a's working memory, which then goes back to a.
        std::mem::swap(&mut a.m.work, &mut b.m.work);
        std::mem::swap(&mut a.m.node_work, &mut b.m.node_work);
        b.until(b.now);
        std::mem::swap(&mut a.m.work, &mut b.m.work);
        std::mem::swap(&mut a.m.node_work, &mut b.m.node_work);
        a.until(a.now);
    }
    let t = a.now + 5_000;
    a.until(t);
    let snapshot = (
        a.m.station,
        a.m.points.clone(),
        a.m.nodes.clone(),
        a.m.outputs.clone(),
    );
    let before = a.used;
    let t = a.now + 5_000;
    a.until(t);
    // Back to the snapshot, the working memory kept; the EV at point 1 leaves meanwhile.
    (a.m.station, a.m.points, a.m.nodes, a.m.outputs) = snapshot;
    a.evs[1].plugged = false;
    let t = a.now + 5_000;
    a.until(t);
    assert!(a.used.prep > before.prep + 500, "{:?}", a.used);
}

/// LB-4 / TREE-1: a lower set point on the station node cuts both allocations while their
/// reason (the set point) and binding node stay the same: the outputs show the cut at once.
#[test]
fn lb4_an_allocation_cut_with_the_same_reason_is_not_served_from_the_memo() {
    let mut s = Site::under_set_point(false);
    let mut sp = 40_000;
    for _ in 0..6 {
        s.set_point(sp);
        let t = s.now + 10_000;
        s.until(t);
        assert_eq!(s.out(0).reason, AllocReason::SetPoint);
        assert_eq!(
            s.out(0).allocation_ma + s.out(1).allocation_ma,
            sp,
            "at {sp} mA"
        );
        sp -= 2_000;
    }
    assert!(s.used.fin > 1_000, "{:?}", s.used);
}

/// PS-5: a graceful stop (PWM off, contactor held for the grace time) under constant inputs:
/// the EV keeps drawing a fixed current, so nothing the point reads changes; the contactor
/// opens when the grace time runs out, with the memo as without it.
#[test]
fn ps5_the_grace_time_runs_out_under_constant_inputs() {
    let mut s = Site::two_points(63_000);
    s.evs[1].plugged = false;
    s.until(5_000);
    assert!(s.out(0).contactor);
    s.evs[0].draw_ma = Some(8_000);
    let t = s.now + 5_000;
    s.until(t);
    // Suspend: PWM off at once, the contactor follows after the grace time.
    let mut pin_commands = loadpilot_core::Commands::EMPTY;
    pin_commands.set(loadpilot_core::Commands::SUSPEND, true);
    let t0 = s.now;
    let mut opened = None;
    while s.now <= t0 + 60_000 && opened.is_none() {
        let now = s.now;
        s.step_with(|pin| pin[0].commands = pin_commands);
        if !s.out(0).contactor {
            opened = Some(now);
        }
    }
    assert!(opened.is_some(), "the contactor opens");
    assert!(s.used.fin > 0);
}

/// SU-1 / PS-4: an EV that shows C before PWM comes on: the contactor closes once C has been
/// seen with PWM on for the debounce time, a timer of the outputs that runs under constant
/// inputs.
#[test]
fn su1_the_closing_debounce_runs_out_under_constant_inputs() {
    let mut s = Site::two_points(63_000);
    s.evs[0].cp_mv = Some(CP_C_MV);
    s.evs[1].plugged = false;
    let mut closed = None;
    while s.now <= 10_000 && closed.is_none() {
        s.until(s.now);
        if s.out(0).contactor {
            closed = Some(s.now);
        }
    }
    assert!(closed.is_some(), "the contactor closes");
    assert!(s.used.fin > 0, "{:?}", s.used);
}

/// PS-1 / MT-1: readings that jitter within their bands (the pilot's levels by tens of mV, the
/// measured current by tens of mA, as an ADC gives them every sample) keep a point on its memo:
/// the memo compares them as the preparation reads them (classified, against thresholds), and the
/// metering still counts every mA.
#[test]
fn ps1_mt1_jittering_readings_keep_the_memo_and_meter_exactly() {
    let mut s = Site::two_points(63_000);
    s.until(5_000);
    assert!(s.out(0).contactor && s.out(1).contactor);
    let before = s.used;
    let mut e_prev = s.out(0).energy_mwh;
    let mut rises = 0;
    for k in 0..3_000i32 {
        s.step_with(|pin| {
            for pi in pin.iter_mut() {
                if let Some(cp) = &mut pi.cp {
                    cp.high_mv += (k * 37 % 120) - 60;
                    cp.low_mv += (k * 53 % 100) - 50;
                }
                if let Some(m) = &mut pi.measured_ma {
                    for (ph, x) in m.iter_mut().enumerate() {
                        *x = x.saturating_add_signed((k * 29 + ph as i32 * 11) % 80 - 40);
                    }
                }
            }
        });
        let e = s.out(0).energy_mwh;
        rises += usize::from(e > e_prev);
        e_prev = e;
    }
    assert!(s.out(0).contactor && s.out(1).contactor);
    assert!(
        s.used.prep - before.prep >= 2 * 3_000 * 9 / 10,
        "memo used under jitter: {:?}",
        s.used
    );
    assert!(rises > 100, "the energy counts on");
}

/// Runs `s` to a steady state, then `hold_ms` with `before` applied to point 0's inputs in every
/// step (the memo forms on them), then `hold_ms` with `after`: each step compared with fresh
/// working memory. Returns the steps in which point 0 was served by the memo while `before` held.
/// With `jitter`, every other step of `before` moves each reading given by one unit (mV, Ω, mA
/// on a phase that draws): the memo then serves them through its readings' bands (`Bands`),
/// which `after` must leave.
fn one_reading_changes(
    mut s: Site,
    hold_ms: u64,
    jitter: bool,
    before: impl Fn(&mut PointInputs),
    after: impl Fn(&mut PointInputs),
) -> usize {
    s.until(5_000);
    let run = |s: &mut Site, f: &dyn Fn(&mut PointInputs), jitter: bool| {
        let mut served = 0;
        let t = s.now + hold_ms;
        let mut odd = false;
        while s.now <= t {
            odd = !odd;
            s.step_with(|pin| {
                f(&mut pin[0]);
                if jitter && odd {
                    nudge(&mut pin[0]);
                }
            });
            served += usize::from(s.m.work[0].from_memo().0);
        }
        served
    };
    let served = run(&mut s, &before, jitter);
    run(&mut s, &after, false);
    served
}

/// Moves each reading of `pi` by one unit (a phase that draws nothing stays at 0).
fn nudge(pi: &mut PointInputs) {
    if let Some(cp) = &mut pi.cp {
        cp.high_mv += 1;
        cp.low_mv += 1;
    }
    if let Some(ohm) = &mut pi.pp_ohm {
        *ohm += 1;
    }
    if let Some(m) = &mut pi.measured_ma {
        for x in m.iter_mut().filter(|x| **x > 0) {
            *x += 1;
        }
    }
}

/// Each part of what the memo compares of the readings (`Sensed`) on its own: a change of that
/// part alone, from a reading the memo was made on, is not served from the memo (PS-1 pilot
/// class, PS-2 diode, CAB-2 cable, LB-9 over-current and hard over-current, LB-10 idle, LB-12
/// phases drawing, CT-1 current through an open contactor), whether the memo served the readings
/// before as made on them or through the bands around readings that jittered.
#[test]
fn each_reading_threshold_ends_the_memo() {
    let measured = |m: [u32; 3]| move |pi: &mut PointInputs| pi.measured_ma = Some(m);
    let high = |mv: i32| move |pi: &mut PointInputs| pi.cp.as_mut().unwrap().high_mv = mv;
    let low = |mv: i32| move |pi: &mut PointInputs| pi.cp.as_mut().unwrap().low_mv = mv;
    let pp = |ohm: u32| move |pi: &mut PointInputs| pi.pp_ohm = Some(ohm);
    // Point 0 charges alone at its rated 32 A (point 1 waits: its start does not fit), so its
    // signal is 31.98 A: a draw passes it by the tolerance (2 A) above 33.98 A and by the hard
    // margin (10 A) above 41.98 A.
    type Change = Box<dyn Fn(&mut PointInputs)>;
    let cases: Vec<(&str, Change, Change)> = vec![
        // The welded-current threshold (1 A by default, as the idle one) is set to 0.3 A below.
        (
            "LB-10 idle",
            Box::new(measured([1_500, 0, 0])),
            Box::new(measured([500, 0, 0])),
        ),
        (
            "LB-9 over",
            Box::new(measured([31_000; 3])),
            Box::new(measured([34_500; 3])),
        ),
        (
            "PS-4 hard",
            Box::new(measured([35_000; 3])),
            Box::new(measured([42_500; 3])),
        ),
        // One phase stops drawing and the other stays: single-phase detection starts.
        (
            "LB-12 L1",
            Box::new(measured([10_000, 10_000, 0])),
            Box::new(measured([0, 10_000, 0])),
        ),
        (
            "LB-12 L2",
            Box::new(measured([10_000, 10_000, 0])),
            Box::new(measured([10_000, 0, 0])),
        ),
        (
            "LB-12 L3",
            Box::new(measured([10_000, 0, 10_000])),
            Box::new(measured([10_000, 0, 0])),
        ),
        ("PS-1 class", Box::new(high(6_000)), Box::new(high(9_000))),
        // No cable on the proximity pin, a vehicle on the pilot (CAB-2: a cable fault); then
        // the level moves past the A/B boundary by less than the hysteresis: still B as
        // believed, but no longer connected as read, so no longer a cable fault.
        (
            "CAB-2 PS-1 as read",
            Box::new(|pi: &mut PointInputs| {
                pi.pp_ohm = Some(100_000);
                pi.cp.as_mut().unwrap().high_mv = 10_400;
            }),
            Box::new(|pi: &mut PointInputs| {
                pi.pp_ohm = Some(100_000);
                pi.cp.as_mut().unwrap().high_mv = 10_600;
            }),
        ),
        ("PS-2 diode", Box::new(low(-12_000)), Box::new(low(-5_000))),
        ("CAB-2 cable", Box::new(pp(220)), Box::new(pp(680))),
    ];
    for (name, before, after) in cases {
        // From a memo made on the readings, then from readings within its bands.
        for jitter in [false, true] {
            let mut raw = two_points_raw(32_000);
            raw.protection.welded_current_ma = 300;
            let site = Site::new(Config::new(raw).expect("valid"));
            let served = one_reading_changes(site, 3_000, jitter, &before, &after);
            assert!(
                served > 200,
                "{name}, jitter {jitter}: the memo formed ({served})"
            );
        }
    }
}

/// CT-1: current through an open contactor passing the welded-current threshold (set apart
/// from the idle threshold) is not served from the memo made below it.
#[test]
fn ct1_current_through_an_open_contactor_ends_the_memo() {
    let mut raw = two_points_raw(63_000);
    raw.protection.welded_current_ma = 1_500;
    let mut s = Site::new(Config::new(raw).expect("valid"));
    s.evs[0].plugged = false;
    let served = one_reading_changes(
        s,
        3_000,
        true,
        |pi| pi.measured_ma = Some([1_200, 0, 0]),
        |pi| pi.measured_ma = Some([1_800, 0, 0]),
    );
    assert!(served > 200, "the memo formed ({served})");
}

/// PS-1: a pilot state taken as the caller's hardware classified it (no levels given) has no
/// debounce running: steady charging with such inputs comes from the memo (a candidate state
/// left from before would look like a debounce that never ends, and no memo would be made).
#[test]
fn ps1_a_state_taken_as_classified_runs_no_debounce() {
    let mut s = Site::two_points(63_000);
    let classified = |pin: &mut [PointInputs]| {
        for p in pin.iter_mut() {
            if let Some(cp) = p.cp.take() {
                p.vehicle = match cp.high_mv {
                    CP_A_MV => loadpilot_core::VehicleState::A,
                    CP_B_MV => loadpilot_core::VehicleState::B,
                    _ => loadpilot_core::VehicleState::C,
                };
            }
        }
    };
    while s.now <= 10_000 {
        s.step_with(classified);
    }
    assert!(s.out(0).contactor && s.out(1).contactor, "both charge");
    let before = s.used;
    while s.now <= 20_000 {
        s.step_with(classified);
    }
    assert!(
        s.used.prep - before.prep > 1_900 && s.used.fin - before.fin > 1_900,
        "{:?}",
        s.used
    );
}

/// SU-1 / LB-6: an EV that shows C while its point waits for current (no PWM), its closing
/// debounce long run out: the outputs come from the memo (a timer that has run out bounds
/// nothing), the same as without it.
#[test]
fn su1_a_waiting_point_in_c_keeps_the_memo_of_its_outputs() {
    let mut s = Site::under_set_point(true);
    // Room for one start threshold (1.5 × 14 A), not for two minimums.
    s.set_point(24_000);
    s.evs[0].cp_mv = Some(CP_C_MV);
    s.evs[1].cp_mv = Some(CP_C_MV);
    s.until(20_000);
    let waiting = usize::from(s.out(0).allocation_ma > 0);
    assert_eq!(s.out(waiting).allocation_ma, 0);
    assert!(!s.out(waiting).contactor);
    let before = s.used;
    s.until(30_000);
    assert!(s.used.fin - before.fin > 1_900, "{:?}", s.used);
}
