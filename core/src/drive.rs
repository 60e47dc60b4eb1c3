//! What a point shows and switches (PS-3, PS-4, LOC-1, SU-1): the offer and its duty, the pilot
//! output, the contactor with its immediate and graceful stops, and the status flags.

use crate::balance::phases;
use crate::config::{Location, PointConfig};
use crate::general::General;
use crate::io::PointInputs;
use crate::io::PointOutput;
use crate::pilot::{decode_ma, duty_permille};
use crate::quiet::{same_after_passes, same_state_apart};
use crate::state::{PointState, Run, Stamp, StationState, bits};
use crate::step::Ctx;
use crate::types::{AllocReason, Commands, PilotOutput, PointFlags, VehicleState};
use crate::work::{Mid, PointWork};

/// LB-3 after LB-12: a running point left below its minimum (the minimum changed with its phase
/// mode and the rise to it did not fit) stops.
pub(crate) fn stop_below_minimum(cx: &Ctx<'_>, p: &mut PointState, w: &PointWork) {
    if p.run == Run::Running && p.alloc_ma < w.min {
        p.alloc_ma = 0;
        p.run = Run::Waiting;
        p.since = cx.st.stamp(cx.now_ms);
        p.put(bits::STOPPED, true);
    }
}

/// Offer, pilot, contactor, flags and outputs of one point (`finish_point`), or the memo's
/// (`QuietMemo::fin`) where this step's preparation came from the memo and the passes since
/// left the point's state and decisions as the memo has them: the outputs of that state are then
/// the memo's (with this step's energy), and they leave the state as it is.
#[inline(always)]
pub(crate) fn finish(
    cx: &Ctx<'_>,
    pc: &PointConfig,
    p: &mut PointState,
    w: &mut PointWork,
    pi: &PointInputs,
    po: &mut PointOutput,
    cluster: bool,
) {
    let mid = Mid::of(w);
    let q = &w.quiet;
    if q.used
        && q.fin
        && u64::from(cx.st.now.0) < q.fin_until
        && q.mid == mid
        && same_after_passes(p, &q.state)
    {
        outputs_from_memo(cx, p, w, po);
        return;
    }
    // The state this step's outputs start from is the memo's: then a memo of them may be made.
    let start = q.prep && cx.advanced && same_after_passes(p, &q.state);
    finish_point(cx, pc, p, w, pi, po, cluster);
    let now = u64::from(cx.st.now.0);
    let until = if start && same_state_apart(p, &w.quiet.state) {
        fin_until(cx.g, p, now)
    } else {
        0
    };
    let fin = now < until;
    let q = &mut w.quiet;
    q.fin_used = false;
    q.fin = fin;
    if fin {
        q.fin_until = until;
        q.mid = mid;
        q.output = *po;
    }
}

/// The outputs of the memo of a point's outputs (`QuietMemo::fin`), with this step's energy,
/// and the offer's expiry (PS-4), which moves every step: `finish` where the memo holds.
#[inline(always)]
pub(crate) fn outputs_from_memo(
    cx: &Ctx<'_>,
    p: &mut PointState,
    w: &mut PointWork,
    po: &mut PointOutput,
) {
    *po = w.quiet.output;
    po.energy_mwh = p.energy.mwh;
    w.quiet.fin_used = true;
    if p.offer_ma >= p.offer_high_ma {
        p.offer_high_ma = p.offer_ma;
        p.offer_high_at = cx.st.now;
    }
}

/// Until when `finish_point`'s outcome for this point does not depend on the time: the earliest
/// stamp after `now` at which a timer it reads runs out, `u64::MAX` if none runs (see
/// `quiet::prep_until`). A timer that has run out already stays run out (`finish_point` only
/// asks whether one has, and the memo's state keeps its stamps): it bounds nothing. (A point in
/// C that waits for current, its closing debounce long past, keeps its memo so.)
#[inline(always)]
fn fin_until(g: &General, p: &PointState, now: u64) -> u64 {
    let charge_state = p.vehicle == VehicleState::C
        || (p.vehicle == VehicleState::D && g.location == Location::Outdoor);
    let closing = !p.has(bits::CONTACTOR) && charge_state;
    let resume = p.has(bits::RESUMED) && !p.has(bits::WOKEN);
    if !(closing || resume || p.has(bits::GRACEFUL | bits::WAKE)) {
        return u64::MAX;
    }
    let t = &g.timers;
    let mut until = u64::MAX;
    let mut run = |on: bool, since: crate::state::Stamp, ms: u32| {
        let end = u64::from(since.0).saturating_add(u64::from(ms));
        if on && end > now {
            until = until.min(end);
        }
    };
    run(p.has(bits::GRACEFUL), p.pwm_off_at, t.grace_ms);
    run(p.has(bits::WAKE), p.wake_at, t.wakeup_f_ms);
    run(resume, p.pwm_since, t.wakeup_after_ms);
    let seen = Stamp(p.c_since.0.max(p.pwm_since.0));
    run(closing, seen, t.debounce_charge_ms);
    until
}

/// Offer, pilot, contactor, flags and outputs of one point (PS-3, PS-4, LOC-1).
#[inline(always)]
pub(crate) fn finish_point(
    cx: &Ctx<'_>,
    pc: &PointConfig,
    p: &mut PointState,
    w: &PointWork,
    pi: &PointInputs,
    po: &mut PointOutput,
    cluster: bool,
) {
    let Ctx { g, st, now_ms, .. } = *cx;
    let now = st.now;
    let duty = duty_permille(p.alloc_ma);
    let offer = duty.map_or(0, decode_ma);
    let prev = p.offer_ma;
    if offer < prev {
        // A reduction: the EV has a new response time, and the old offer stays the reference
        // for the hard threshold within it (PS-4, LB-9).
        p.offer_high_ma = p.offer_high_ma.max(prev);
        p.offer_high_at = now;
        if p.has(bits::OVER) {
            p.over_since = now;
        }
    } else if offer >= p.offer_high_ma {
        p.offer_high_ma = offer;
        p.offer_high_at = now;
    }
    p.offer_ma = offer;
    let domestic = w.domestic;
    // A domestic socket has no pilot (CAB-3): "PWM" stands for "switched on".
    let pwm = offer > 0 || (domestic && p.alloc_ma > 0);
    if pwm && !p.has(bits::PWM_WAS) && !p.has(bits::WAKE) {
        p.pwm_since = now;
    }
    let wake = wake_up(g, st, p, pwm);

    let charge_state = p.vehicle == VehicleState::C
        || (p.vehicle == VehicleState::D && g.location == Location::Outdoor);
    let pilot_fault = p.has(bits::PILOT_FAULT | bits::HARD_FAULT);
    let fault = pilot_fault || p.has(bits::WELDED) || w.cable_fault;
    let was_closed = p.has(bits::CONTACTOR);
    if prev > 0 && !pwm && was_closed {
        p.put(bits::GRACEFUL, true);
        p.pwm_off_at = now;
    }
    let closed = if domestic {
        // CAB-3: contactor closed ⇒ switched on ∧ no fault; switched off at once.
        pwm && !fault && !w.immediate && p.alloc_ma >= w.min
    } else if was_closed {
        !w.immediate
            && !fault
            && charge_state
            && (pwm || (p.has(bits::GRACEFUL) && !st.passed(p.pwm_off_at, g.timers.grace_ms)))
    } else {
        // SU-1 / PS-4: closes only once C has been seen with PWM on for the debounce time towards
        // C, also for an EV found in C at start-up or after a pause, and only while the pilot
        // still reads C (or D): not onto a level that leaves C, whose debounce towards the safer
        // state has not run yet.
        let seen = st.at(p.c_since).max(st.at(p.pwm_since));
        charge_state
            && p.has(bits::RAW_CHARGE)
            && pwm
            && !wake
            && !fault
            && !w.immediate
            && p.alloc_ma >= w.min
            && now_ms.saturating_sub(seen) >= u64::from(g.timers.debounce_charge_ms)
    };
    if was_closed && !closed {
        p.opened_at = now;
    }
    p.put(bits::CONTACTOR, closed);
    if !closed || pwm {
        p.put(bits::GRACEFUL, false);
    }
    p.put(bits::PWM_WAS, pwm && !wake && !domestic);

    // A latched pilot fault shows +12 V so that the vehicle's departure (A) can be seen (SU-2);
    // protection devices and a welded contactor show State F (IN-2, CT-1). The protection is read
    // from the input, not from the point's reason: a stop in the same step (LB-9's overload
    // stops) may give the point another.
    let pilot = if cx.protection || p.has(bits::WELDED) || wake {
        PilotOutput::StateF
    } else if pwm && !domestic && !pilot_fault {
        PilotOutput::Pwm
    } else {
        PilotOutput::Steady12V
    };
    let was_f = p.has(bits::F_DRIVEN);
    p.put(bits::F_DRIVEN, pilot == PilotOutput::StateF);
    if pilot == PilotOutput::StateF {
        // Core drives −12 V: the pilot reads it back until the settling window after core
        // stops driving it (SU-2), which is stamped when it stops: a tripped station's state
        // stays as it is from step to step.
        p.put(bits::SETTLE, true);
    } else if was_f {
        // The caller drove State F until this step's outputs: the window starts now, however
        // long ago the last step was.
        p.f_at = now;
    }
    let (offer, duty) = if pilot == PilotOutput::Pwm {
        (offer, duty)
    } else {
        (0, None)
    };

    let mut flags = PointFlags::EMPTY;
    flags.set(PointFlags::NORMAL_MODE_3, !domestic);
    flags.set(
        PointFlags::DOMESTIC_CABLE_DETECTED,
        domestic && p.vehicle.connected(),
    );
    flags.set(PointFlags::CABLE_FAULT, w.cable_fault);
    flags.set(PointFlags::WELDED, p.has(bits::WELDED));
    flags.set(
        PointFlags::THERMAL,
        p.has(bits::THERMAL_PAUSE) || w.ceil_reason == AllocReason::Thermal,
    );
    flags.set(PointFlags::WAKE_UP, wake);
    flags.set(PointFlags::DIODE_FAULT, p.has(bits::DIODE_FAULT));
    flags.set(
        PointFlags::VENTILATION_REQUIRED,
        p.vehicle == VehicleState::D,
    );
    flags.set(PointFlags::CLUSTER_MODE, cluster);
    if p.vehicle.connected() {
        let single = w.mask.count_ones() == 1;
        flags.set(PointFlags::SINGLE_PHASE, single);
        flags.set(PointFlags::THREE_PHASE, !single);
    }
    flags.set(PointFlags::VIP_BADGE_MODE, w.vip);
    let c = pi.commands;
    flags.set(
        PointFlags::UNAVAILABLE_OCPP_CMD,
        c.contains(Commands::UNAVAILABLE_OCPP),
    );
    flags.set(
        PointFlags::MAINTENANCE_PLC_CMD,
        c.contains(Commands::MAINTENANCE),
    );
    flags.set(PointFlags::BOOKED_PLC_CMD, c.contains(Commands::BOOKED));
    flags.set(PointFlags::SUSPEND_PLC_CMD, c.contains(Commands::SUSPEND));
    flags.set(
        PointFlags::UNAVAILABLE_PLC_CMD,
        c.contains(Commands::UNAVAILABLE),
    );
    flags.set(
        PointFlags::CHARGE_POSTPONE,
        c.contains(Commands::POSTPONE) || (w.reason == AllocReason::Input && p.alloc_ma == 0),
    );
    let waiting = w.wants && p.alloc_ma == 0;
    flags.set(
        PointFlags::NOT_ENOUGH_ENERGY_TO_START,
        waiting && matches!(w.reason, AllocReason::Shed | AllocReason::NodeLimit),
    );
    flags.set(PointFlags::PWM_ON, pwm);
    flags.set(PointFlags::CONTACTOR_CLOSED, closed);
    flags.set(PointFlags::SHED, p.has(bits::SHED) && p.alloc_ma == 0);
    flags.set(PointFlags::EV_IDLE, p.has(bits::IDLE));
    flags.set(
        PointFlags::EV_OVERCURRENT,
        p.has(bits::OVERCURRENT | bits::HARD_FAULT),
    );
    flags.set(PointFlags::FAULT, fault);
    flags.set(PointFlags::FALLBACK, w.reason == AllocReason::Fallback);
    flags.set(PointFlags::STOPPING, closed && !pwm);

    let mut alloc = [0u32; 3];
    for ph in phases(w.mask) {
        if let Some(a) = alloc.get_mut(ph) {
            *a = p.alloc_ma;
        }
    }
    let _ = pc;
    let (lock, shutter_open) = crate::session::actuators(g, p);
    *po = PointOutput {
        alloc_ma: alloc,
        allocation_ma: p.alloc_ma,
        signal_ma: offer,
        duty_permille: duty.unwrap_or(0),
        pilot,
        contactor: closed,
        reason: w.reason,
        reason_node: w.node,
        flags,
        energy_mwh: p.energy.mwh,
        status: p.status,
        last_error: p.last_error,
        evse_status: crate::cp::EvseStatus::of(p.vehicle, pilot == PilotOutput::Pwm),
        cable: w.cable,
        lock,
        shutter_open,
        session_id: p.session_id,
    };
}

/// PS-7: when a paused point charges again and its EV stays in B for the configured time after
/// PWM returned, core drives State F for the wake-up time, then PWM again; once per resume.
/// Returns whether core drives State F now.
fn wake_up(g: &General, st: &StationState, p: &mut PointState, pwm: bool) -> bool {
    let t = &g.timers;
    if p.has(bits::WAKE) {
        if !pwm || st.passed(p.wake_at, t.wakeup_f_ms) {
            // Back to PWM (as a new offer) with the settling window of the front end.
            p.put(bits::WAKE, false);
            p.put(bits::SETTLE, true);
            p.f_at = st.now;
            p.pwm_since = st.now;
            return false;
        }
        return true;
    }
    let due = pwm
        && p.has(bits::RESUMED)
        && !p.has(bits::WOKEN)
        && p.vehicle == VehicleState::B
        && st.passed(p.pwm_since, t.wakeup_after_ms);
    if due {
        p.put(bits::WAKE | bits::WOKEN, true);
        p.wake_at = st.now;
    }
    due
}
