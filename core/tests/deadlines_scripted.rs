//! The contract of `StationOutput::next_deadline_ms` (SPEC PS-1, step.rs module doc) in scripted
//! runs: one point on a station, stepped every sample period from a script, and each step's
//! deadline checked against the steps that follow. A timer that has run out asks for no step
//! (PS-1, with SU-1 and CT-1); the unplug wait runs from the reset of a weld (CAB-1, CT-1); a
//! reading of F as the protection devices trip leaves no debounce (IN-2); and the wake-up
//! (PS-7), a node above its limit (LB-9), the end of a fall's hold time at the site meter (LB-14)
//! and the plug procedure's waits (§5.1) are deadlines. The property that a caller stepping at
//! the deadlines sees what one stepping every millisecond sees is in `deadlines.rs`.

mod common;

use common::Slices;
use common::deadline_world::{Raw, held};
use loadpilot_core::{
    Config, CpReading, Input1Function, NodeConfig, PilotOutput, PointConfig, PointOutput,
    ProductFamily, RawConfig, Remote,
};

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
