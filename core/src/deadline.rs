//! The step's deadline (`next_deadline_ms`, PS-1): the earliest end of a timer that can change
//! an output, per point (`point_deadline`, kept with the memo of the point's outputs,
//! `memo_deadline`) and per node (`node_deadline`). The choices are in `step.rs`'s head.

use crate::config::NodeConfig;
use crate::general::General;
use crate::io::{NodeInputs, PointInputs};
use crate::limits::fresh;
use crate::quiet::release_watched;
use crate::start::start_hold;
use crate::state::{NO_CAND, NodeSite, NodeState, PointState, Run, StationState, bits};
use crate::step::Ctx;
use crate::types::AllocReason;
use crate::work::{Front, PointWork};

/// `point_deadline` of every point in a repeated step: the earliest timer, and whether one is to
/// be stepped within a sample period. The points whose outputs came from the memo get the
/// passes' decisions that the preparation wrote again first (`Mid`), as `point_deadline` reads
/// them after the passes.
#[cold]
#[inline(never)]
pub(crate) fn all_point_deadlines(
    cx: &Ctx<'_>,
    points: &[PointState],
    work: &mut [PointWork],
    inputs: &[PointInputs],
) -> (u64, bool) {
    let (mut timers, mut sample) = (u64::MAX, false);
    for (i, ((p, w), pi)) in points.iter().zip(work.iter_mut()).zip(inputs).enumerate() {
        if w.quiet.fin_used {
            w.quiet.mid.restore(w);
        }
        let (d, s) = memo_deadline(cx, p, w, pi, i);
        timers = timers.min(d);
        sample |= s;
    }
    (timers, sample)
}

/// `point_deadline`, from the memo of the point's outputs where they came from it and its
/// deadline has not come (the state, the decisions and the timers it reads are the memo's; a
/// timer that ran out since would have been the earliest), and kept with a memo just made.
#[inline(always)]
pub(crate) fn memo_deadline(
    cx: &Ctx<'_>,
    p: &PointState,
    w: &mut PointWork,
    pi: &PointInputs,
    i: usize,
) -> (u64, bool) {
    let q = &w.quiet;
    if q.fin_used && q.deadline > cx.now_ms {
        return (q.deadline, q.deadline_sample);
    }
    let (d, s) = point_deadline(cx, p, w, pi, i);
    let q = &mut w.quiet;
    if q.fin {
        q.deadline = d;
        q.deadline_sample = s;
    }
    (d, s)
}

/// The earliest time a timer of this point can change its outputs: the earliest time after
/// `now_ms` at which one of its timers runs out (ms, `u64::MAX` if none), and whether it is to be
/// stepped again within a sample period (its contactor closed, a rise held by the LB-9 count, a
/// pilot debounce running).
///
/// A timer that has run out bounds nothing: this step read it as run out (every timer is read
/// as `passed`, true from its end on) and did what its end does; what it still waits for is an
/// input or another timer (a point in C waiting for current after its closing debounce, a
/// resumed session whose EV charges past the wake-up time, a latched weld whose current still
/// flows). Counting it would ask for a step 1 ms later, in every step, for as long as it lasts.
/// (Out of line: the step's loop over the points keeps fewer values in flight.)
#[inline(never)]
fn point_deadline(
    cx: &Ctx<'_>,
    p: &PointState,
    w: &PointWork,
    pi: &PointInputs,
    i: usize,
) -> (u64, bool) {
    let Ctx { g, st, now_ms, .. } = *cx;
    let t = &g.timers;
    let mut d = u64::MAX;
    let mut ends = |end: u64| {
        if end > now_ms {
            d = d.min(end);
        }
    };
    let after = |s, ms: u32| st.at(s).saturating_add(u64::from(ms));
    let mut sample = p.has(bits::CONTACTOR) || w.reason == AllocReason::Transfer;
    if w.wants
        && p.alloc_ma == 0
        && let Some((_, until)) = start_hold(cx, p, i)
    {
        ends(until);
    }
    if w.reason == AllocReason::RateLimit {
        ends(after(p.last_rise, t.rise_interval_ms));
    }
    if !p.has(bits::CONTACTOR) {
        if p.has(bits::RAW_CHARGE) {
            let seen = st.at(p.c_since).max(st.at(p.pwm_since));
            ends(seen.saturating_add(u64::from(t.debounce_charge_ms)));
        }
        // CT-1: feedback that still reads closed after the release time is a weld.
        if release_watched(p, pi) {
            ends(after(p.opened_at, t.contactor_release_ms));
        }
    }
    // The timers below run only under one of these bits: most points have none.
    const TIMED: u64 = bits::BELOW_IDLE
        | bits::OVER
        | bits::GRACEFUL
        | bits::WAKE
        | bits::RESUMED
        | bits::WELD_PENDING
        | bits::DIODE_PENDING;
    if p.bits & TIMED != 0 {
        if p.has(bits::BELOW_IDLE) && !p.has(bits::IDLE) {
            ends(after(p.idle_since, t.idle_ms));
        }
        if p.has(bits::OVER) {
            ends(after(p.over_since, t.ev_response_ms));
        }
        if p.has(bits::GRACEFUL) {
            ends(after(p.pwm_off_at, t.grace_ms));
        }
        if p.has(bits::WAKE) {
            ends(after(p.wake_at, t.wakeup_f_ms));
        }
        if p.has(bits::PWM_WAS) && p.has(bits::RESUMED) && !p.has(bits::WOKEN) {
            ends(after(p.pwm_since, t.wakeup_after_ms));
        }
        if p.has(bits::WELD_PENDING) {
            ends(after(p.weld_since, g.protection.welded_ms));
        }
        if p.has(bits::DIODE_PENDING) {
            ends(after(p.diode_since, t.debounce_safer_ms));
        }
    }
    if p.settling() {
        // PS-7, SU-2: −12 V is believed again once the settling window after State F ends.
        ends(after(p.f_at, t.wakeup_settle_ms));
    }
    if p.phase_cand != NO_CAND {
        ends(after(p.phase_since, t.phase_detection_ms));
    }
    if p.cand != p.vehicle {
        // A pilot debounce runs (PS-1): at most one sample period ahead, and at its end.
        sample = true;
        let debounce = if crate::cp::is_safer(p.cand) {
            t.debounce_safer_ms
        } else {
            t.debounce_charge_ms
        };
        ends(after(p.cand_since, debounce));
    }
    if p.offer_high_ma > p.offer_ma {
        ends(after(p.offer_high_at, t.ev_response_ms));
    }
    if p.run == Run::Running {
        // The minimum run time changes the shedding order.
        ends(after(p.since, t.min_run_ms));
    }
    ends(crate::session::deadline(g, st, p, now_ms));
    // (A preparation from the memo left the memo's state as it was: `prepare`.)
    let front = if w.quiet.used {
        Front::of(&w.quiet.state)
    } else {
        w.front
    };
    if Front::of(p) != front {
        // The passes or the outputs changed what the next preparation reads: it is due now (the
        // idle, over-current, diode and weld checks start from the step that first sees it).
        ends(now_ms.saturating_add(1));
    }
    (d, sample)
}

pub(crate) fn node_deadline(
    g: &General,
    st: &StationState,
    nc: &NodeConfig,
    ns: &NodeState,
    ss: Option<&NodeSite>,
    ni: &NodeInputs,
    now_ms: u64,
) -> u64 {
    let mut d = u64::MAX;
    if ns.over != 0 {
        for (ph, s) in ns.over_since.iter().enumerate() {
            if ns.over & (1 << ph) != 0 {
                d = d.min(st.at(*s).saturating_add(u64::from(g.timers.ev_response_ms)));
            }
        }
    }
    if let Some(ss) = ss
        && ss.fall != 0
    {
        for (ph, s) in ss.fall_since.iter().enumerate() {
            if ss.fall & (1 << ph) != 0 {
                d = d.min(
                    st.at(*s)
                        .saturating_add(u64::from(g.timers.site_meter_hold_ms)),
                );
            }
        }
    }
    if nc.site_meter
        && let Some(r) = ni.site
        && r.measured_ms <= now_ms
    {
        let expiry = r
            .measured_ms
            .saturating_add(u64::from(g.timers.site_meter_validity_ms))
            .saturating_add(1);
        if expiry > now_ms {
            d = d.min(expiry);
        }
    }
    if g.external_control
        && nc.external
        && let Some(sp) = ni.setpoint
        && fresh(Some(sp), now_ms, g.timers.setpoint_validity_ms).is_some()
    {
        d = d.min(
            sp.received_ms
                .saturating_add(u64::from(g.timers.setpoint_validity_ms))
                .saturating_add(1),
        );
    }
    d
}
