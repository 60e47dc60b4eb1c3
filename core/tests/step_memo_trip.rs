//! The step's memos through a trip of the protection devices (IN-2, with PS-1 and SU-2): the memo
//! is made in the step whose inputs changed (the pilots reading F), the trip's step is prepared
//! from the memos made before it (also under a postponed start) and repeats none of the passes
//! decided before it, the step after the one that made the memos repeats the passes, and a
//! station that trips for a while keeps its memos and settles after the trip. As in
//! `step_memo.rs`, every step is checked against the same step from the same state with fresh
//! working memory (`step_checked`).

mod common;

use common::memo_site::{CP_F_MV, Site, protection_raw};
use loadpilot_core::{AllocReason, Config, PilotOutput, StationErrors};

/// Two points charging under input 1 as the protection devices' contact, which then trips
/// (IN-2): the station after the trip's step.
fn tripped_while_charging() -> Site {
    let raw = protection_raw(40_000);
    let mut s = Site::new(Config::new(raw).expect("valid"));
    s.until(10_000);
    assert!(s.out(0).contactor && s.out(1).contactor);
    s.si.in1_closed = true;
    s.step_with(|_| {});
    s
}

/// PS-1: a point's memo is made in the step whose inputs changed, where that step leaves the
/// point as it found it: when the protection devices trip (IN-2), core drives State F at once,
/// the pilots read F from the next step (the inputs change) and nothing else changes from
/// then; the memos made in that step serve the one after it, for both points.
#[test]
fn in2_ps1_the_memo_is_made_in_the_step_whose_inputs_changed() {
    let mut s = tripped_while_charging();
    // The trip: State F, the pilots still read C.
    assert!((0..2).all(|i| s.out(i).pilot == PilotOutput::StateF && !s.out(i).contactor));
    // The pilots read F: the preparation runs, and leaves a memo.
    s.step_with(|_| {});
    assert!(s.m.work.iter().all(|w| !w.from_memo().0));
    s.step_with(|_| {});
    assert!(
        s.m.work.iter().all(|w| w.from_memo().0),
        "the step after the pilots' change is not prepared from a memo"
    );
    assert!((0..2).all(|i| s.out(i).pilot == PilotOutput::StateF));
}

/// IN-2, PS-1: the step in which the protection devices trip prepares every point from the memo
/// it made before the trip (the protection blocks every point first and changes nothing else of
/// its preparation), shows State F with every contactor open in that very step, and does not
/// repeat the last step's passes, whose decisions were made before the trip; every step equals
/// the computation with fresh working memory (`step_checked`).
#[test]
fn in2_the_trip_is_prepared_from_the_memos_made_before_it() {
    let mut raw = protection_raw(40_000);
    raw.timers.min_pause_ms = 2_000;
    let mut s = Site::new(Config::new(raw).expect("valid"));
    s.until(10_000);
    assert!(s.out(0).contactor && s.out(1).contactor);
    assert!(
        s.m.station_work.repeated() && s.m.work.iter().all(|w| w.from_memo() == (true, true)),
        "a steady charge comes from the memos"
    );
    s.si.in1_closed = true;
    s.step_with(|_| {});
    assert!(
        s.m.work.iter().all(|w| w.from_memo() == (true, false)),
        "the trip's preparation comes from the memo, its outputs do not"
    );
    assert!(
        !s.m.station_work.repeated(),
        "the passes of before the trip are not repeated"
    );
    for i in 0..2 {
        let o = s.out(i);
        assert_eq!(o.pilot, PilotOutput::StateF, "point {i}");
        assert!(!o.contactor && o.allocation_ma == 0, "point {i}: {o:?}");
        assert_eq!(o.reason, AllocReason::ProtectionDevice);
    }
    assert!(
        s.m.station_out
            .errors
            .contains(StationErrors::PROTECTION_TRIPPED)
    );
    // The trip lasts; the pilots read F, then the station settles again.
    let t = s.now + 2_000;
    s.until(t);
    assert!(s.m.station_work.repeated());
    assert!((0..2).all(|i| s.out(i).pilot == PilotOutput::StateF && !s.out(i).contactor));
    // The devices close again: the memos of the trip do not serve the step after it.
    s.si.in1_closed = false;
    s.step_with(|_| {});
    assert!(s.m.work.iter().all(|w| !w.from_memo().0));
    let t = s.now + 10_000;
    s.until(t);
    assert!(s.out(0).contactor && s.out(1).contactor, "{:?}", s.out(0));
}

/// IN-2: a trip while input 2 postpones the start (conditional start, open) is prepared from
/// the memos made under the postponement, and the devices' protection gives the reason; a trip
/// in the step in which input 2 changes too is not (the memos were made under other
/// conditions). Each step equals the computation (`step_checked`).
#[test]
fn in2_a_trip_under_a_postponed_start_is_prepared_from_the_memos_made_under_it() {
    let mut raw = protection_raw(40_000);
    raw.inputs.in2 = loadpilot_core::Input2Function::ConditionalStart;
    raw.timers.min_pause_ms = 2_000;
    let mut s = Site::new(Config::new(raw).expect("valid"));
    s.until(10_000);
    assert!(
        (0..2).all(|i| s.out(i).reason == AllocReason::Input && !s.out(i).contactor),
        "{:?}",
        s.out(0)
    );
    assert!(s.m.work.iter().all(|w| w.from_memo().0));
    s.si.in1_closed = true;
    s.step_with(|_| {});
    assert!(s.m.work.iter().all(|w| w.from_memo().0));
    for i in 0..2 {
        let o = s.out(i);
        assert_eq!(o.pilot, PilotOutput::StateF, "point {i}");
        assert_eq!(o.reason, AllocReason::ProtectionDevice, "point {i}");
    }
    // The devices close and input 2 allows the start: the points charge.
    s.si.in1_closed = false;
    s.si.in2_closed = true;
    let t = s.now + 10_000;
    s.until(t);
    assert!(s.out(0).contactor && s.out(1).contactor, "{:?}", s.out(0));
    // The trip and input 2's opening in one step.
    s.si.in1_closed = true;
    s.si.in2_closed = false;
    s.step_with(|_| {});
    assert!(s.m.work.iter().all(|w| !w.from_memo().0));
    for i in 0..2 {
        let o = s.out(i);
        assert!(
            o.pilot == PilotOutput::StateF && !o.contactor,
            "point {i}: {o:?}"
        );
        assert_eq!(o.reason, AllocReason::ProtectionDevice, "point {i}");
    }
}

/// IN-2, PS-1: the station settles in the step in which its points made their memos (the step
/// leaves every point as it found it), so the step after it repeats the passes: in a trip, the
/// step in which the pilots first read F makes every point's memos, and the next step is
/// prepared from them and repeats, as it equals the computation (`step_checked`).
#[test]
fn in2_the_step_after_the_points_made_their_memos_repeats_the_passes() {
    let mut s = tripped_while_charging();
    assert!(
        !s.m.station_work.repeated(),
        "the trip's step changes the points"
    );
    // The pilots read F: every point's preparation runs and makes its memos.
    s.step_with(|_| {});
    assert!(s.m.work.iter().all(|w| w.from_memo() == (false, false)));
    assert!(!s.m.station_work.repeated());
    s.step_with(|_| {});
    assert!(s.m.work.iter().all(|w| w.from_memo() == (true, true)));
    assert!(
        s.m.station_work.repeated(),
        "the step after the one that made the memos runs the passes again"
    );
    let before = s.used.repeated;
    let t = s.now + 1_000;
    s.until(t);
    assert_eq!(
        s.used.repeated - before,
        101,
        "every step of the trip repeats"
    );
    assert!((0..2).all(|i| s.out(i).pilot == PilotOutput::StateF));
}

/// IN-2 / SU-2: a protection device trips for a while under constant inputs: core drives State F
/// at both points and their steps come from the memo (the settling window is stamped when State F
/// ends, not in every step that drives it); when the device closes again, the window after the
/// last step of State F is the same as without the memo (every step compared), the EVs' −12 V
/// echo within it is no fault, and both charge again.
#[test]
fn in2_a_tripped_station_keeps_its_memo_and_settles_after_it() {
    let mut raw = protection_raw(63_000);
    raw.inputs.in1_polarity = loadpilot_core::Polarity::NormallyClosed;
    raw.timers.min_pause_ms = 2_000;
    let mut s = Site::new(Config::new(raw).expect("valid"));
    s.si.in1_closed = true;
    s.until(5_000);
    assert!(s.out(0).contactor && s.out(1).contactor);
    for round in 0..4 {
        s.si.in1_closed = false;
        let t = s.now + 3_000;
        s.until(t);
        assert_eq!(s.out(0).pilot, PilotOutput::StateF, "round {round}");
        let before = s.used;
        let t = s.now + 2_000;
        s.until(t);
        assert!(
            s.used.prep - before.prep > 350 && s.used.fin - before.fin > 350,
            "round {round}: {:?}",
            s.used
        );
        // The pilots still read −12 V for 300 ms (a slow pilot line), within the settling
        // window after the last step of State F, then the EVs' own levels.
        s.si.in1_closed = true;
        for _ in 0..30 {
            s.step_with(|pin| {
                for p in pin.iter_mut() {
                    if let Some(cp) = p.cp.as_mut() {
                        cp.high_mv = CP_F_MV;
                    }
                }
            });
            assert_eq!(s.m.station_out.errors, loadpilot_core::StationErrors::EMPTY);
        }
        let t = s.now + 10_000;
        s.until(t);
        assert!(
            s.out(0).contactor && s.out(1).contactor,
            "round {round}: {:?}",
            s.out(0)
        );
        assert_eq!(s.m.station_out.errors, loadpilot_core::StationErrors::EMPTY);
    }
}
