//! The memo of a point's quiet step, one that changed nothing of it (`QuietMemo`, in the working
//! memory): the preparation's outcome (`prepare_point`) kept with its keys (the point's state,
//! inputs and readings' bands, the station's conditions, the configuration) and the time until
//! which no timer of the point runs out, so that a step whose keys equal the memo's runs only
//! the metering; and the comparisons that decide it (`same_state`, `read_alike`). The memo of
//! the point's outputs is `drive::finish`'s.

use crate::config::PointConfig;
use crate::general::General;
use crate::io::PointInputs;
use crate::point::{PROTECTION_BLOCK, meter, prepare_point};
use crate::readings::same_but_readings;
use crate::session::OutletStatus;
use crate::state::{NO_CAND, PointState, bits};
use crate::step::{Conditions, Ctx};
use crate::work::{Front, PointWork, Prepared, QuietMemo};

/// The preparation of one point (`prepare_point`), or its memo (`QuietMemo::prep`) where the
/// memo's keys equal this step's: the point's state (see `same_state`), inputs, the station's
/// conditions and the configuration. The memo says that this preparation would leave the state
/// as it is with no timer of its own running, so only the metering and the offer's expiry run
/// and the working memory gets the memo's values. Returns whether the point's set point is lost
/// (EX-1).
#[inline(always)]
pub(crate) fn prepare(
    cx: &Ctx<'_>,
    cond: &Conditions,
    i: usize,
    pc: &PointConfig,
    p: &mut PointState,
    w: &mut PointWork,
    pi: &PointInputs,
) -> bool {
    let key = cond.bits();
    let fp = cx.g.fingerprint;
    let q = &w.quiet;
    let now = u64::from(cx.st.now.0);
    let keys = q.prep && q.cond == key && q.fingerprint == fp && q.index == i && now < q.until;
    // A memo is made only where one can hold: the clock moved (see `Ctx::advanced`), and not
    // in the step in which the station's conditions change or a timer of the memo runs out (the
    // point then mostly changes; the next step tries again). A step whose inputs changed tries
    // too: a point mostly settles in the step of the change (a pilot that now reads F in a
    // trip, a point that the passes shed), and its memo is then there for the next step.
    let tryable = cx.advanced && (!q.prep || (q.cond == key && now < q.until));
    // The state first: a point that the last step's passes or outputs changed (a shed, a stop,
    // a contactor that closed) fails there, before its readings and their bands are read.
    if keys && same_state(p, &w.quiet.state) && read_alike(cx.g, &mut w.quiet, pi) {
        let q = &w.quiet;
        let out = q.out;
        meter(cx.g, pc, p, w, pi, cx.energy_dt);
        // The offer's expiry (PS-4), as `prepare_point` has it while no timer runs out.
        if p.offer_ma >= p.offer_high_ma {
            p.offer_high_ma = p.offer_ma;
            p.offer_high_at = cx.st.now;
        }
        out.apply(w);
        w.quiet.used = true;
        return out.lost;
    }
    // The state before the preparation, kept in the memo's place (a memo is made only if the
    // preparation leaves the state as it was).
    if tryable {
        w.quiet.state = *p;
    }
    let mut left = false;
    let lost = prepare_point(cx, cond, pc, p, w, pi, &mut left);
    w.front = Front::of(p);
    let q = &mut w.quiet;
    q.used = false;
    // The outputs' part is about the memo's state: a new one starts without it.
    q.fin = false;
    q.prep = tryable && !left && same_state(p, &q.state) && {
        let until = prep_until(cx.g, pc, p, pi);
        q.until = until;
        now < until
    };
    if q.prep {
        // (Read only with a memo, by `read_alike` and the bands: copied only where one is made.)
        q.inputs = *pi;
        q.cond = key;
        q.fingerprint = fp;
        q.index = i;
        q.bands.valid = false;
        w.quiet.out = Prepared::of(w, lost);
    }
    lost
}

/// The memos of the points' preparations in the step in which the protection devices trip
/// (IN-2): the protection blocks every point first, whatever else its preparation finds, and
/// changes nothing else of it (not the state, nor the ceiling), so a memo under the same
/// conditions but the protection (`key` without it) is, with that block over its `out`, the
/// memo under `key`, and serves this step's preparation as any memo does (`prepare`). (The memo
/// of a point's outputs does not serve the trip's outputs: its decisions, made without the
/// protection, never give the protection's reason, `drive::finish`.) Returns whether a memo
/// changed so: the station's memo, whose passes read the points' prepared working memory, is
/// then not repeated (`step`).
#[cold]
#[inline(never)]
pub(crate) fn protect_memos(work: &mut [PointWork], key: u8) -> bool {
    let mut any = false;
    for w in work.iter_mut() {
        let q = &mut w.quiet;
        if q.prep && q.cond | Conditions::PROTECTION == key && q.cond != key {
            // `prepare_point`'s first block.
            (q.out.reason, q.out.immediate) = PROTECTION_BLOCK;
            q.out.wants = false;
            q.cond = key;
            any = true;
        }
    }
    any
}

/// Whether two states are equal but for what the metering and the offer's expiry write every
/// step: the energy, the meter reading and, while the offer is at its highest, the time of the
/// highest offer.
#[inline(always)]
pub(crate) fn same_state(a: &PointState, b: &PointState) -> bool {
    // Every field is named here, so that a new one cannot be forgotten.
    let PointState {
        alloc_ma,
        offer_ma,
        offer_high_ma,
        energy: _,
        since,
        last_rise,
        idle_since,
        phase_since,
        over_since,
        offer_high_at,
        pwm_off_at,
        c_since,
        pwm_since,
        cand_since,
        diode_since,
        wake_at,
        f_at,
        opened_at,
        weld_since,
        meter_last: _,
        cand,
        status,
        last_error,
        session_id,
        sess_since,
        run,
        bits,
        phase_mode,
        phase_cand,
        spare,
        vehicle,
    } = a;
    // In the order of the fields (`PointState` is `repr(C)`), the 32-bit ones four at a time and
    // the one-byte ones together, as arrays: a few wide comparisons, where field by field each
    // was a load, a comparison and a branch.
    fn same<const N: usize>(x: [u32; N], y: [u32; N]) -> bool {
        x == y
    }
    // The time of the highest offer counts only while the offer is below it.
    let high_at = if *offer_ma >= *offer_high_ma {
        b.offer_high_at.0
    } else {
        offer_high_at.0
    };
    *bits == b.bits
        && same(
            [*alloc_ma, *offer_ma, *offer_high_ma, *session_id],
            [b.alloc_ma, b.offer_ma, b.offer_high_ma, b.session_id],
        )
        && same(
            [sess_since.0, since.0, last_rise.0, idle_since.0],
            [b.sess_since.0, b.since.0, b.last_rise.0, b.idle_since.0],
        )
        && same(
            [phase_since.0, over_since.0, pwm_off_at.0, c_since.0],
            [b.phase_since.0, b.over_since.0, b.pwm_off_at.0, b.c_since.0],
        )
        && same(
            [pwm_since.0, cand_since.0, diode_since.0, wake_at.0],
            [b.pwm_since.0, b.cand_since.0, b.diode_since.0, b.wake_at.0],
        )
        && same(
            [f_at.0, opened_at.0, weld_since.0, high_at],
            [b.f_at.0, b.opened_at.0, b.weld_since.0, b.offer_high_at.0],
        )
        && [
            *cand as u8,
            *vehicle as u8,
            *status as u8,
            *last_error as u8,
            *run as u8,
            *phase_mode,
            *phase_cand,
            *spare,
        ] == [
            b.cand as u8,
            b.vehicle as u8,
            b.status as u8,
            b.last_error as u8,
            b.run as u8,
            b.phase_mode,
            b.phase_cand,
            b.spare,
        ]
}

/// `same_state`, out of line (where the step's registers would otherwise be reloaded).
#[inline(never)]
pub(crate) fn same_state_apart(a: &PointState, b: &PointState) -> bool {
    same_state(a, b)
}

/// Whether this step's inputs are read by the preparation as the memo's (`q.inputs`) were:
/// equal but for the readings (`same_but_readings`), and the readings equal too (the pilot's
/// levels, the proximity pin and the measured current; the meter's register aside, which the
/// metering reads in every step) or within the bands around the memo's (`Bands`, against the
/// memo's state, whose vehicle and offers are those its readings were read with; made by the
/// first step whose readings are within them, kept with the memo). Out of line: inlined into
/// the step, the comparisons' branches made the compiler reload the step's loop registers at
/// each of them.
#[inline(never)]
fn read_alike(g: &General, q: &mut QuietMemo, pi: &PointInputs) -> bool {
    let a = &q.inputs;
    if !same_but_readings(a, pi) {
        return false;
    }
    (a.cp == pi.cp && a.measured_ma == pi.measured_ma && a.pp_ohm == pi.pp_ohm)
        || readings_alike(g, q, pi)
}

/// `read_alike`'s readings that differ from the memo's, against the memo's bands (made here if
/// they are not yet). Out of line: the usual step, whose readings repeat, does not carry it.
#[inline(never)]
fn readings_alike(g: &General, q: &mut QuietMemo, pi: &PointInputs) -> bool {
    if q.bands.valid {
        return q.bands.hold(g, pi);
    }
    q.bands.make_holding(g, &q.state, &q.inputs, pi)
}

/// `same_state` for a point whose state was the same as `b` before the step's passes between
/// its preparation and its outputs: those passes write only its allocation, run state and its
/// time, last rise and bits (step.rs, shed.rs, overload.rs, `drive::stop_below_minimum`).
#[inline(always)]
pub(crate) fn same_after_passes(a: &PointState, b: &PointState) -> bool {
    a.bits == b.bits
        && a.alloc_ma == b.alloc_ma
        && a.run == b.run
        && a.since == b.since
        && a.last_rise == b.last_rise
}

/// Until when `prepare_point`'s outcome for this point does not depend on the time: the
/// earliest stamp (ms past the epoch) at which a timer it reads runs out, `u64::MAX` if none
/// runs; 0 where the point is in a phase whose timing this does not follow (an external set
/// point's validity, the session's timed phases). Every stamp it reads is one `same_state`
/// compares.
#[inline(always)]
fn prep_until(g: &General, pc: &PointConfig, p: &PointState, pi: &PointInputs) -> u64 {
    let timeless = matches!(
        p.status,
        OutletStatus::InitDone
            | OutletStatus::Unavailable
            | OutletStatus::MaintenanceCity
            | OutletStatus::ChargeLoopStarted
    ) && !(g.external_control && pc.external);
    if !timeless {
        return 0;
    }
    const TIMED: u64 = bits::SETTLE | bits::DIODE_PENDING | bits::OVER | bits::WELD_PENDING;
    let running = p.bits & TIMED != 0
        || (p.has(bits::BELOW_IDLE) && !p.has(bits::IDLE))
        || p.cand != p.vehicle
        || p.offer_ma < p.offer_high_ma
        || p.phase_cand != NO_CAND
        || release_watched(p, pi);
    if running {
        prep_timers(g, p, pi)
    } else {
        u64::MAX
    }
}

/// CT-1: whether the end of the contactor's release time can change the point: its contactor is
/// commanded open and its feedback still reads closed (a weld once the release time has
/// passed, `weld_while_open`). Feedback that reads open, or none, is an input whose change
/// brings a step of its own. Read alike by the memo (`prep_until`) and the deadline
/// (`deadline::point_deadline`).
#[inline(always)]
pub(crate) fn release_watched(p: &PointState, pi: &PointInputs) -> bool {
    !p.has(bits::CONTACTOR) && pi.contactor_feedback == Some(true)
}

/// `prep_until` where some timer runs.
#[inline(never)]
fn prep_timers(g: &General, p: &PointState, pi: &PointInputs) -> u64 {
    let t = &g.timers;
    let mut until = u64::MAX;
    let mut run = |on: bool, since: crate::state::Stamp, ms: u32| {
        if on {
            until = until.min(u64::from(since.0).saturating_add(u64::from(ms)));
        }
    };
    let debounce = if crate::cp::is_safer(p.cand) {
        t.debounce_safer_ms
    } else {
        t.debounce_charge_ms
    };
    run(p.settling(), p.f_at, t.wakeup_settle_ms);
    run(p.cand != p.vehicle, p.cand_since, debounce);
    run(
        p.has(bits::DIODE_PENDING),
        p.diode_since,
        t.debounce_safer_ms,
    );
    run(
        p.offer_ma < p.offer_high_ma,
        p.offer_high_at,
        t.ev_response_ms,
    );
    run(p.has(bits::OVER), p.over_since, t.ev_response_ms);
    run(
        p.has(bits::BELOW_IDLE) && !p.has(bits::IDLE),
        p.idle_since,
        t.idle_ms,
    );
    run(p.phase_cand != NO_CAND, p.phase_since, t.phase_detection_ms);
    run(
        p.has(bits::WELD_PENDING),
        p.weld_since,
        g.protection.welded_ms,
    );
    run(release_watched(p, pi), p.opened_at, t.contactor_release_ms);
    until
}

#[cfg(test)]
mod tests;
