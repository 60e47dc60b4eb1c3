//! Per point, each step: the session-level state that the inputs move (vehicle, faults,
//! metering, over-current, idle, phase detection), and the ceiling, minimum and demand the
//! energy controller works with (LB-2, LB-3, LB-9, LB-10, LB-12, IN-*, EX-*, LOC-1).

use crate::config::{
    General, Location, PointConfig, ThermalConfig, min_for, phase_mask, static_ceiling,
};
use crate::cp::{CableStatus, front_end, note_charge_state};
use crate::io::{NO_NODE, PointInputs};
use crate::readings::same_but_readings;
use crate::session::{self, OutletStatus, SessionView};
use crate::state::{
    Front, NO_CAND, PointState, PointWork, Prepared, QuietMemo, Run, StationState, THREE, bits,
};
use crate::step::{Conditions, Ctx, fresh};
use crate::types::{AllocReason, Commands, PhaseCount, SocketType, VehicleState};

/// Updates one point's session-level state and computes its ceiling, minimum and whether it
/// wants current this step. Returns whether the point's set point is lost (EX-1); sets `left`
/// when the vehicle left (the session's energy is reset).
#[inline(always)]
fn prepare_point(
    cx: &Ctx<'_>,
    cond: &Conditions,
    pc: &PointConfig,
    p: &mut PointState,
    w: &mut PointWork,
    pi: &PointInputs,
    left: &mut bool,
) -> bool {
    let Ctx {
        g,
        st,
        now_ms,
        energy_dt,
        ..
    } = *cx;
    let th = &g.thresholds;
    let t = &g.timers;
    let now = st.now;
    let mut lost = false;
    w.immediate = false;
    w.node = NO_NODE;
    // CAB-3: a domestic socket has no pilot; a plug in it stands for a vehicle ready to draw.
    let domestic = pc.socket == SocketType::TE || (pc.socket == SocketType::T2TE && pi.domestic);
    w.domestic = domestic;
    // A state taken as it is (no pilot, or the caller's classification) has no debounce
    // running: no candidate besides it (as `front_end` has it for a reading of the believed state).
    let vehicle = if domestic {
        let v = if pi.domestic {
            VehicleState::C
        } else {
            VehicleState::A
        };
        note_charge_state(p, v, now);
        p.cand = v;
        v
    } else if let Some(cp) = pi.cp {
        front_end(g, st, p, cp)
    } else {
        note_charge_state(p, pi.vehicle, now);
        p.cand = pi.vehicle;
        pi.vehicle
    };

    if vehicle == VehicleState::A && (p.vehicle != VehicleState::A || p.run != Run::Idle) {
        // The vehicle left: the session ends, latched EV faults clear (SU-2).
        *left = true;
        p.energy = crate::meter::Energy::default();
        p.put(
            bits::STOPPED
                | bits::SHED
                | bits::PILOT_FAULT
                | bits::OVERCURRENT
                | bits::HARD_FAULT
                | bits::IDLE
                | bits::BELOW_IDLE
                | bits::OVER
                | bits::DIODE_FAULT
                | bits::DIODE_PENDING
                | bits::RESUMED
                | bits::WOKEN,
            false,
        );
        p.phase_mode = THREE;
        p.phase_cand = NO_CAND;
    }
    if vehicle.is_fault() {
        p.put(bits::PILOT_FAULT, true);
    }
    // PS-4: a running point whose EV leaves C (or D) for B stops at once, PWM off; it may charge
    // again after its minimum pause (LB-6), with a wake-up if the EV sleeps (PS-7).
    let left_charge = p.run == Run::Running
        && matches!(p.vehicle, VehicleState::C | VehicleState::D)
        && vehicle == VehicleState::B;
    p.vehicle = vehicle;

    let meas = meter(g, pc, p, w, pi, energy_dt);
    let drawn = meas.iter().copied().max().unwrap_or(0);
    welded_contactor(g, st, p, pi, drawn);

    // The highest offer within the response time (PS-4), expired.
    if p.offer_ma >= p.offer_high_ma || st.passed(p.offer_high_at, t.ev_response_ms) {
        p.offer_high_ma = p.offer_ma;
        p.offer_high_at = now;
    }
    // PS-4: far above the signalled value is an immediate stop. Not during a graceful stop:
    // there the grace time (PS-5) bounds the draw and opens the contactor.
    if !p.has(bits::GRACEFUL) && drawn > p.offer_high_ma.saturating_add(th.overcurrent_hard_ma) {
        p.put(bits::HARD_FAULT, true);
    }
    // LB-9: above signal + tolerance once the response time has run out: graceful stop.
    if p.offer_ma > 0 && drawn > p.offer_ma.saturating_add(th.overcurrent_tolerance_ma) {
        if !p.has(bits::OVER) {
            p.put(bits::OVER, true);
            p.over_since = now;
        } else if st.passed(p.over_since, t.ev_response_ms) {
            p.put(bits::OVERCURRENT, true);
        }
    } else {
        p.put(bits::OVER, false);
    }

    phase_detection(g, st, pc, p, &meas, pi.measured_ma.is_some());

    // LB-10: idle EV.
    if p.run == Run::Running && pi.measured_ma.is_some() && drawn < th.idle_threshold_ma {
        if !p.has(bits::BELOW_IDLE) {
            p.put(bits::BELOW_IDLE, true);
            p.idle_since = now;
        } else if st.passed(p.idle_since, t.idle_ms) {
            p.put(bits::IDLE, true);
        }
    } else if p.run != Run::Running || pi.measured_ma.is_none() || drawn >= th.idle_threshold_ma {
        p.put(bits::BELOW_IDLE | bits::IDLE, false);
    }

    // Blocks, in order of precedence: (reason, immediate stop).
    // LB-2 ceiling, with the term that binds; LB-3 minimum.
    let single = pc.phases == PhaseCount::One || p.phase_mode != THREE;
    let count = if single {
        PhaseCount::One
    } else {
        PhaseCount::Three
    };
    w.min = if domestic {
        // CAB-3: switched on at its rated current or off, never reduced.
        pc.rated_ma
    } else {
        min_for(th, count)
    };
    w.mask = if pc.phases == PhaseCount::One {
        phase_mask(pc)
    } else if p.phase_mode == THREE {
        0b111
    } else {
        pc.wiring
            .get(usize::from(p.phase_mode))
            .map_or(0b111, |ph| ph.bit())
    };
    w.cable_fault = false;
    w.cable = CableStatus::NotPlugged;
    let mut cable_ma = None;
    let uses_pp = matches!(
        pc.socket,
        SocketType::T2 | SocketType::T3 | SocketType::T2TE
    ) && !domestic;
    if uses_pp && let Some(ohm) = pi.pp_ohm {
        let cable = CableStatus::of(ohm);
        w.cable = cable;
        cable_ma = cable.capacity_ma(pc.phases == PhaseCount::One);
        // CAB-2: outside every band, or a vehicle on the pilot with no cable, is a cable fault;
        // it clears as soon as the resistance is back in a band.
        // A plug pulled out shows "no cable" in the same sample as the pilot's A, which is
        // still being debounced: judge the pilot as read, too.
        w.cable_fault = cable == CableStatus::Fault
            || (cable_ma.is_none()
                && vehicle.connected()
                && pi
                    .cp
                    .is_none_or(|cp| crate::cp::classify_raw(cp.high_mv).connected()));
    }
    let thermal = thermal_state(g, p, w.min, pi, pc.rated_ma.min(pc.derated_ma));
    // The session (SPEC §5): the plug is the PP reading where there is one, else the pilot.
    let plug = if domestic {
        pi.domestic
    } else if uses_pp && pi.pp_ohm.is_some() {
        // The PP reading classified above.
        w.cable != CableStatus::NotPlugged
    } else {
        vehicle.connected()
    };
    let view = SessionView {
        vehicle,
        plug,
        cable_fault: w.cable_fault,
        lock_closed: pi.lock_closed,
        shutter_open: pi.shutter_open,
        badge: pi.badge,
        remote: pi.remote,
        offline: pi.offline,
        commands: pi.commands,
    };
    let session_immediate = session::run(g, st, p, &view);
    let in_loop = p.status == OutletStatus::ChargeLoopStarted;
    let idle = matches!(
        p.status,
        OutletStatus::InitDone | OutletStatus::Unavailable | OutletStatus::MaintenanceCity
    );
    let mut commands = pi.commands;
    if p.has(bits::SESS_BOOKER) {
        // AU-3: the booking holds the point for its booker, who may charge.
        commands.set(Commands::BOOKED, false);
    }
    let block = if cond.protection {
        Some(PROTECTION_BLOCK)
    } else if p.has(bits::WELDED | bits::PILOT_FAULT | bits::HARD_FAULT) || w.cable_fault {
        Some((AllocReason::Fault, true))
    } else if !vehicle.connected() {
        Some((AllocReason::NoVehicle, true))
    } else if vehicle == VehicleState::D && g.location == Location::Indoor {
        Some((AllocReason::Ventilation, true))
    } else if left_charge {
        Some((AllocReason::EvNotReady, true))
    } else if p.has(bits::OVERCURRENT) {
        Some((AllocReason::EvOverCurrent, false))
    } else if !commands.is_empty() {
        Some((AllocReason::Command, session_immediate))
    } else if !in_loop && idle {
        Some((AllocReason::NotAuthorised, session_immediate))
    } else if !in_loop {
        Some((AllocReason::Session, session_immediate))
    } else if !pi.authorised {
        Some((AllocReason::NotAuthorised, false))
    } else if cond.postponed {
        Some((AllocReason::Input, false))
    } else if p.has(bits::THERMAL_PAUSE) {
        Some((AllocReason::Thermal, false))
    } else {
        None
    };

    let mut ceil = pc.rated_ma;
    let mut why = AllocReason::Rated;
    let mut lower = |v: u32, r: AllocReason| {
        if v < ceil {
            ceil = v;
            why = r;
        }
    };
    lower(pc.derated_ma, AllocReason::Derated);
    if let Some(c) = pi.cable_ma {
        lower(c, AllocReason::Cable);
    }
    if let Some(c) = cable_ma {
        lower(c, AllocReason::Cable);
    }
    if let Some(derated) = thermal {
        lower(derated, AllocReason::Thermal);
    }
    if let Some(e) = pi.ev_limit_ma {
        lower(e, AllocReason::Ev);
    }
    if cond.load_shedding {
        lower(g.inputs.load_shedding_ma, AllocReason::Input);
    }
    if cond.temporary_limit {
        lower(g.inputs.temporary_limit_ma, AllocReason::Input);
    }
    if g.external_control && pc.external {
        match fresh(pi.setpoint, now_ms, t.setpoint_validity_ms) {
            Some(sp) => lower(sp, AllocReason::SetPoint),
            None => {
                lost = true;
                let fs = pc.fail_safe_ma.unwrap_or_else(|| {
                    let c = static_ceiling(th, pc);
                    crate::config::start_threshold(th, min_for(th, pc.phases), c)
                });
                lower(fs, AllocReason::Fallback);
            }
        }
    }
    if ceil < w.min {
        ceil = 0;
    } else if p.has(bits::IDLE) {
        ceil = w.min;
        why = AllocReason::EvIdle;
    }
    w.ceil = ceil;
    w.ceil_reason = why;
    w.vip = pi.vip || p.has(bits::SESS_VIP);
    match block {
        Some((r, immediate)) => {
            w.wants = false;
            w.immediate = immediate;
            w.reason = r;
        }
        None => {
            w.wants = ceil > 0;
            w.reason = why;
        }
    }
    lost
}

/// Measured current per supply phase (wiring) into the working memory, and metering (MT-1,
/// MT-2). Returns the measurement per point phase (zero without one).
#[inline(always)]
fn meter(
    g: &General,
    pc: &PointConfig,
    p: &mut PointState,
    w: &mut PointWork,
    pi: &PointInputs,
    energy_dt: u64,
) -> [u32; 3] {
    w.has_meas = pi.measured_ma.is_some();
    w.measured = [0; 3];
    let meas = pi.measured_ma.unwrap_or([0; 3]);
    for (k, m) in meas.iter().enumerate() {
        if let Some(sup) = pc.wiring.get(k)
            && let Some(slot) = w.measured.get_mut(sup.index())
        {
            *slot = *m;
        }
    }
    match pi.meter_mwh {
        // MT-2: the external meter's register moves the session energy by its own increase.
        Some(reading) => {
            if p.has(bits::METER_HAVE) && reading >= p.meter_last {
                p.energy.mwh = p
                    .energy
                    .mwh
                    .saturating_add(reading.saturating_sub(p.meter_last));
            }
            p.meter_last = reading;
            p.put(bits::METER_HAVE, true);
        }
        None => {
            p.put(bits::METER_HAVE, false);
            if pi.measured_ma.is_some() {
                p.energy.add(g.voltage_mv, &meas, energy_dt);
            }
        }
    }
    meas
}

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

/// The block of the protection devices (IN-2), before every other one (`prepare_point`): its
/// reason, and an immediate stop.
const PROTECTION_BLOCK: (AllocReason, bool) = (AllocReason::ProtectionDevice, true);

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
/// (`step::point_deadline`).
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

/// LB-12: a three-phase point counts as single-phase once only one phase has drawn for the
/// detection time, and reverts in the step in which another phase draws.
fn phase_detection(
    g: &General,
    st: &StationState,
    pc: &PointConfig,
    p: &mut PointState,
    meas: &[u32; 3],
    has_meas: bool,
) {
    if pc.phases == PhaseCount::One || !pc.phase_detection {
        p.phase_mode = THREE;
        p.phase_cand = NO_CAND;
        return;
    }
    let tol = g.thresholds.phase_tolerance_ma;
    let drawing: u8 = meas
        .iter()
        .enumerate()
        .filter(|(_, m)| **m > tol)
        .fold(0u8, |acc, (k, _)| acc | (1 << k));
    if p.phase_mode != THREE {
        // Revert at once when another phase draws, or when the measurement is gone.
        if !has_meas || drawing & !(1u8 << p.phase_mode) != 0 {
            p.phase_mode = THREE;
            p.phase_cand = NO_CAND;
        }
        return;
    }
    let single = match drawing {
        0b001 => Some(0u8),
        0b010 => Some(1),
        0b100 => Some(2),
        _ => None,
    };
    match single {
        Some(k) if has_meas && p.run == Run::Running => {
            if p.phase_cand != k {
                p.phase_cand = k;
                p.phase_since = st.now;
            } else if st.passed(p.phase_since, g.timers.phase_detection_ms) {
                p.phase_mode = k;
                p.phase_cand = NO_CAND;
            }
        }
        _ => p.phase_cand = NO_CAND,
    }
}

/// CT-1: a contactor commanded open that still carries current (above the welded current for the
/// welded time), or whose feedback still reads closed after the release time, is welded. Latched
/// until an explicit reset.
#[inline]
fn welded_contactor(
    g: &General,
    st: &StationState,
    p: &mut PointState,
    pi: &PointInputs,
    drawn: u32,
) {
    if pi.reset {
        p.put(bits::WELDED | bits::WELD_PENDING, false);
    }
    if p.has(bits::CONTACTOR) {
        p.put(bits::WELD_PENDING, false);
    } else {
        weld_while_open(g, st, p, pi, drawn);
    }
}

/// `welded_contactor` while the contactor is commanded open.
#[inline(never)]
fn weld_while_open(
    g: &General,
    st: &StationState,
    p: &mut PointState,
    pi: &PointInputs,
    drawn: u32,
) {
    let released = st.passed(p.opened_at, g.timers.contactor_release_ms);
    if released && pi.contactor_feedback == Some(true) {
        p.put(bits::WELDED, true);
    }
    let prot = &g.protection;
    if pi.measured_ma.is_some() && drawn > prot.welded_current_ma {
        if !p.has(bits::WELD_PENDING) {
            p.put(bits::WELD_PENDING, true);
            p.weld_since = st.now;
        } else if st.passed(p.weld_since, prot.welded_ms) {
            p.put(bits::WELDED, true);
        }
    } else {
        p.put(bits::WELD_PENDING, false);
    }
}

/// TH-1: the thermal ceiling, if the temperature derates the point: from the point's own
/// ceiling at the start temperature linearly down to its minimum at the end temperature. At or
/// above the pause temperature the point pauses until it is a hysteresis below it again. A point
/// whose temperature input is missing while thermal derating is configured runs at its minimum
/// (the sensor may be broken: derate, do not guess).
#[inline]
fn thermal_state(
    g: &General,
    p: &mut PointState,
    min: u32,
    pi: &PointInputs,
    base: u32,
) -> Option<u32> {
    let Some(tc) = g.protection.thermal else {
        p.put(bits::THERMAL_PAUSE, false);
        return None;
    };
    thermal_derating(&tc, p, min, pi, base)
}

/// `thermal_state` where thermal derating is configured.
#[inline(never)]
fn thermal_derating(
    tc: &ThermalConfig,
    p: &mut PointState,
    min: u32,
    pi: &PointInputs,
    base: u32,
) -> Option<u32> {
    let Some(temp) = pi.temperature_dc else {
        return Some(min);
    };
    if temp >= tc.pause_dc {
        p.put(bits::THERMAL_PAUSE, true);
    } else if temp < tc.pause_dc.saturating_sub(tc.hysteresis_dc) {
        p.put(bits::THERMAL_PAUSE, false);
    }
    if temp <= tc.derate_start_dc {
        return None;
    }
    if temp >= tc.derate_end_dc {
        return Some(min);
    }
    let top = i64::from(base.max(min));
    let span = i64::from(tc.derate_end_dc).saturating_sub(i64::from(tc.derate_start_dc));
    let into = i64::from(temp).saturating_sub(i64::from(tc.derate_start_dc));
    let drop = top
        .saturating_sub(i64::from(min))
        .saturating_mul(into)
        .checked_div(span)
        .unwrap_or(0);
    Some(
        u32::try_from(top.saturating_sub(drop))
            .unwrap_or(min)
            .max(min),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::{CpReading, SetPoint};
    use crate::session::{Badge, BadgeKind, LastError, OutletStatus, Remote};
    use crate::state::{Run, Stamp};
    use crate::types::{Commands, VehicleState};
    use proptest::prelude::*;

    /// Each of these changes one field of a `PointState`, every field once, in the order of
    /// the struct, with the name of the field.
    type StateChange = (&'static str, fn(&mut PointState));
    const STATE_CHANGES: [StateChange; 31] = [
        ("bits", |p| p.bits ^= 1 << 7),
        ("energy", |p| p.energy.mwh ^= 1),
        ("meter_last", |p| p.meter_last ^= 1),
        ("alloc_ma", |p| p.alloc_ma ^= 1),
        ("offer_ma", |p| p.offer_ma ^= 1),
        ("offer_high_ma", |p| p.offer_high_ma ^= 1),
        ("session_id", |p| p.session_id ^= 1),
        ("sess_since", |p| p.sess_since.0 ^= 1),
        ("since", |p| p.since.0 ^= 1),
        ("last_rise", |p| p.last_rise.0 ^= 1),
        ("idle_since", |p| p.idle_since.0 ^= 1),
        ("phase_since", |p| p.phase_since.0 ^= 1),
        ("over_since", |p| p.over_since.0 ^= 1),
        ("pwm_off_at", |p| p.pwm_off_at.0 ^= 1),
        ("c_since", |p| p.c_since.0 ^= 1),
        ("pwm_since", |p| p.pwm_since.0 ^= 1),
        ("cand_since", |p| p.cand_since.0 ^= 1),
        ("diode_since", |p| p.diode_since.0 ^= 1),
        ("wake_at", |p| p.wake_at.0 ^= 1),
        ("f_at", |p| p.f_at.0 ^= 1),
        ("opened_at", |p| p.opened_at.0 ^= 1),
        ("weld_since", |p| p.weld_since.0 ^= 1),
        ("offer_high_at", |p| p.offer_high_at.0 ^= 1),
        ("cand", |p| p.cand = other_vehicle(p.cand)),
        ("vehicle", |p| p.vehicle = other_vehicle(p.vehicle)),
        ("status", |p| {
            p.status = if p.status == OutletStatus::InitDone {
                OutletStatus::ChargeLoopStarted
            } else {
                OutletStatus::InitDone
            }
        }),
        ("last_error", |p| {
            p.last_error = if p.last_error == LastError::None {
                LastError::BadgeUnknown
            } else {
                LastError::None
            }
        }),
        ("run", |p| {
            p.run = if p.run == Run::Running {
                Run::Idle
            } else {
                Run::Running
            }
        }),
        ("phase_mode", |p| p.phase_mode ^= 1),
        ("phase_cand", |p| p.phase_cand ^= 1),
        ("spare", |p| p.spare ^= 1),
    ];

    /// Names every field of both structs (no `..`), so that a new field stops this module from
    /// compiling until it has its change in `STATE_CHANGES` or `INPUT_CHANGES`.
    fn every_field_has_a_change(p: &PointState, i: &PointInputs) {
        let PointState {
            bits: _,
            energy: _,
            meter_last: _,
            alloc_ma: _,
            offer_ma: _,
            offer_high_ma: _,
            session_id: _,
            sess_since: _,
            since: _,
            last_rise: _,
            idle_since: _,
            phase_since: _,
            over_since: _,
            pwm_off_at: _,
            c_since: _,
            pwm_since: _,
            cand_since: _,
            diode_since: _,
            wake_at: _,
            f_at: _,
            opened_at: _,
            weld_since: _,
            offer_high_at: _,
            cand: _,
            vehicle: _,
            status: _,
            last_error: _,
            run: _,
            phase_mode: _,
            phase_cand: _,
            spare: _,
        } = p;
        let PointInputs {
            cp: _,
            vehicle: _,
            pp_ohm: _,
            domestic: _,
            contactor_feedback: _,
            temperature_dc: _,
            meter_mwh: _,
            reset: _,
            badge: _,
            remote: _,
            offline: _,
            lock_closed: _,
            shutter_open: _,
            authorised: _,
            vip: _,
            measured_ma: _,
            ev_limit_ma: _,
            cable_ma: _,
            setpoint: _,
            commands: _,
        } = i;
    }

    fn other_vehicle(v: VehicleState) -> VehicleState {
        if v == VehicleState::C {
            VehicleState::B
        } else {
            VehicleState::C
        }
    }

    /// Each of these changes one field of a `PointInputs`, every field once, in the order of
    /// the struct; an option each way between `None` and `Some`, and from `Some` to another
    /// value where the flag says to keep it.
    type InputChange = (&'static str, fn(&mut PointInputs, bool));
    const INPUT_CHANGES: [InputChange; 20] = [
        ("cp", |i, keep| {
            i.cp = flip(
                i.cp,
                CpReading {
                    high_mv: 9_000,
                    low_mv: -12_000,
                },
                keep,
                |c| CpReading {
                    low_mv: c.low_mv ^ 1,
                    ..c
                },
            )
        }),
        ("vehicle", |i, _| i.vehicle = other_vehicle(i.vehicle)),
        ("pp_ohm", |i, keep| {
            i.pp_ohm = flip(i.pp_ohm, 220, keep, |x| x ^ 1)
        }),
        ("domestic", |i, _| i.domestic ^= true),
        ("contactor_feedback", |i, keep| {
            i.contactor_feedback = flip(i.contactor_feedback, true, keep, |x| !x)
        }),
        ("temperature_dc", |i, keep| {
            i.temperature_dc = flip(i.temperature_dc, 250, keep, |x| x ^ 1)
        }),
        ("meter_mwh", |i, keep| {
            i.meter_mwh = flip(i.meter_mwh, 7, keep, |x| x ^ 1)
        }),
        ("reset", |i, _| i.reset ^= true),
        ("badge", |i, keep| {
            i.badge = flip(
                i.badge,
                Badge {
                    id: 5,
                    kind: BadgeKind::User,
                    booker: false,
                    cached: false,
                },
                keep,
                |b| Badge {
                    cached: !b.cached,
                    ..b
                },
            )
        }),
        ("remote", |i, _| {
            i.remote = if i.remote == Remote::None {
                Remote::Stop
            } else {
                Remote::None
            }
        }),
        ("offline", |i, _| i.offline ^= true),
        ("lock_closed", |i, keep| {
            i.lock_closed = flip(i.lock_closed, false, keep, |x| !x)
        }),
        ("shutter_open", |i, keep| {
            i.shutter_open = flip(i.shutter_open, true, keep, |x| !x)
        }),
        ("authorised", |i, _| i.authorised ^= true),
        ("vip", |i, _| i.vip ^= true),
        ("measured_ma", |i, keep| {
            i.measured_ma = flip(i.measured_ma, [0; 3], keep, |m| [m[0], m[1], m[2] ^ 1])
        }),
        ("ev_limit_ma", |i, keep| {
            i.ev_limit_ma = flip(i.ev_limit_ma, 16_000, keep, |x| x ^ 1)
        }),
        ("cable_ma", |i, keep| {
            i.cable_ma = flip(i.cable_ma, 20_000, keep, |x| x ^ 1)
        }),
        ("setpoint", |i, keep| {
            i.setpoint = flip(
                i.setpoint,
                SetPoint {
                    current_ma: 6_000,
                    received_ms: 3,
                },
                keep,
                |s| SetPoint {
                    received_ms: s.received_ms ^ 1,
                    ..s
                },
            )
        }),
        ("commands", |i, _| i.commands = Commands(i.commands.0 ^ 4)),
    ];

    /// `Some(new)` for `None`; else another value where `keep`, `None` where not.
    fn flip<T>(x: Option<T>, new: T, keep: bool, other: fn(T) -> T) -> Option<T> {
        match x {
            None => Some(new),
            Some(v) if keep => Some(other(v)),
            Some(_) => None,
        }
    }

    fn any_vehicle() -> impl Strategy<Value = VehicleState> {
        prop_oneof![
            Just(VehicleState::A),
            Just(VehicleState::B),
            Just(VehicleState::C),
            Just(VehicleState::F),
        ]
    }

    fn any_state() -> impl Strategy<Value = PointState> {
        (
            any::<u64>(),
            proptest::array::uniform32(0u32..4),
            (any_vehicle(), any_vehicle(), any::<bool>(), 0u8..4),
        )
            .prop_map(|(bits, v, (cand, vehicle, running, phase))| {
                let mut p = PointState::new();
                p.bits = bits;
                p.energy.mwh = u64::from(v[0]);
                p.meter_last = u64::from(v[1]);
                p.alloc_ma = v[2];
                p.offer_ma = v[3];
                p.offer_high_ma = v[4];
                p.session_id = v[5];
                for (k, s) in [
                    &mut p.sess_since,
                    &mut p.since,
                    &mut p.last_rise,
                    &mut p.idle_since,
                    &mut p.phase_since,
                    &mut p.over_since,
                    &mut p.pwm_off_at,
                    &mut p.c_since,
                    &mut p.pwm_since,
                    &mut p.cand_since,
                    &mut p.diode_since,
                    &mut p.wake_at,
                    &mut p.f_at,
                    &mut p.opened_at,
                    &mut p.weld_since,
                    &mut p.offer_high_at,
                ]
                .into_iter()
                .enumerate()
                {
                    *s = Stamp(v.get(k + 6).copied().unwrap_or(0));
                }
                p.cand = cand;
                p.vehicle = vehicle;
                p.run = if running { Run::Running } else { Run::Waiting };
                p.phase_mode = phase;
                p.phase_cand = phase ^ 2;
                p
            })
    }

    fn any_inputs() -> impl Strategy<Value = PointInputs> {
        (proptest::array::uniform20(any::<bool>()), any::<u32>()).prop_map(|(set, x)| {
            let mut i = PointInputs::DEFAULT;
            // Each change from the default once where `set` says: every option `Some`, every
            // flag set, and so on; `x` moves the values.
            for ((_, change), on) in INPUT_CHANGES.iter().zip(set) {
                if on {
                    change(&mut i, true);
                }
            }
            if let Some(m) = &mut i.measured_ma {
                m[0] = x;
            }
            if let Some(c) = &mut i.cp {
                c.high_mv = i32::try_from(x % 20_000).unwrap_or(0);
            }
            i
        })
    }

    proptest! {
        /// The memo's comparisons (`same_state`, `same_but_readings`, `read_alike`) see a
        /// change of any one field but those they are meant to pass over (the metering's
        /// energy and meter reading and, while the offer is at its highest, the time of the
        /// highest offer; the readings), and the same value as the same, against the derived
        /// `==` of each struct; `read_alike` reads changed readings as the memo's exactly where
        /// they are within the bands around the memo's (`Bands::around`, whose own property
        /// tests hold them to what the preparation reads) or only the meter's register changed.
        #[test]
        fn the_memos_comparisons_see_every_field(p in any_state(), i in any_inputs()) {
            every_field_has_a_change(&p, &i);
            prop_assert!(same_state(&p, &p));
            for (name, change) in STATE_CHANGES {
                let mut q = p;
                change(&mut q);
                prop_assert_ne!(p, q, "{} did not change", name);
                let passed_over = matches!(name, "energy" | "meter_last")
                    || (name == "offer_high_at" && p.offer_ma >= p.offer_high_ma);
                prop_assert_eq!(same_state(&p, &q), passed_over, "state field {}", name);
                prop_assert_eq!(same_state(&q, &p), passed_over, "state field {} (swapped)", name);
            }
            let g = General::for_tests();
            // A memo of `p` with inputs `i`, its bands not made yet (as a new memo has them).
            let memo = || {
                let mut q = PointWork::new().quiet;
                q.state = p;
                q.inputs = i;
                q
            };
            prop_assert!(same_but_readings(&i, &i));
            prop_assert!(read_alike(&g, &mut memo(), &i));
            for ((name, change), keep) in INPUT_CHANGES
                .into_iter()
                .flat_map(|c| [(c, true), (c, false)])
            {
                let mut j = i;
                change(&mut j, keep);
                prop_assert_ne!(i, j, "{} did not change", name);
                let reading = matches!(name, "cp" | "pp_ohm" | "measured_ma" | "meter_mwh");
                prop_assert_eq!(same_but_readings(&i, &j), reading, "input field {}", name);
                let alike = match name {
                    "meter_mwh" => true,
                    "cp" | "pp_ohm" | "measured_ma" => {
                        crate::readings::Bands::around(&g, &p, &i).hold(&g, &j)
                    }
                    _ => false,
                };
                let mut q = memo();
                prop_assert_eq!(read_alike(&g, &mut q, &j), alike, "input field {}", name);
                // Made, the bands answer the same.
                prop_assert_eq!(read_alike(&g, &mut q, &j), alike, "input field {} again", name);
            }
        }
    }
}
