//! Per point, each step: the session-level state that the inputs move (vehicle, faults,
//! metering, over-current, idle, phase detection), and the ceiling, minimum and demand the
//! energy controller works with (LB-2, LB-3, LB-9, LB-10, LB-12, IN-*, EX-*, LOC-1).

use crate::config::{Location, PointConfig, ThermalConfig};
use crate::cp::{CableStatus, front_end, note_charge_state};
use crate::general::{General, min_for, phase_mask, static_ceiling};
use crate::io::{NO_NODE, PointInputs};
use crate::limits::fresh;
use crate::session::{self, OutletStatus, SessionView};
use crate::state::{NO_CAND, PointState, Run, StationState, THREE, bits};
use crate::step::{Conditions, Ctx};
use crate::types::{AllocReason, Commands, PhaseCount, SocketType, VehicleState};
use crate::work::PointWork;

/// The block of the protection devices (IN-2), before every other one (`prepare_point`): its
/// reason, and an immediate stop.
pub(crate) const PROTECTION_BLOCK: (AllocReason, bool) = (AllocReason::ProtectionDevice, true);

/// Updates one point's session-level state and computes its ceiling, minimum and whether it
/// wants current this step. Returns whether the point's set point is lost (EX-1); sets `left`
/// when the vehicle left (the session's energy is reset).
#[inline(always)]
pub(crate) fn prepare_point(
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
                    crate::general::start_threshold(th, min_for(th, pc.phases), c)
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
pub(crate) fn meter(
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
